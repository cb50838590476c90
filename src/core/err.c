/* Descriptions of Hark's error codes (err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "core/err.h"

int hark_invalid(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return HARK_EINVAL;
}

const char *hark_strerror(int err) {
    switch (err) {
    case HARK_OK: return "ok";
    case HARK_ENOMEM: return "out of memory";
    case HARK_EINVAL: return "invalid argument";
    case HARK_ENOTFOUND: return "not found";
    case HARK_EEXISTS: return "already exists";
    case HARK_EIO: return "I/O error";
    case HARK_EBUSY: return "busy";
    case HARK_EBADTOKEN: return "bad token";
    case HARK_EEXPIRED: return "expired";
    case HARK_ETOOBIG: return "too large";
    case HARK_ECLOSED: return "closed";
    }
    return "unknown error";
}
