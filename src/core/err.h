/* Hark's error codes. Every function that can fail returns 0 or one of these
 * negative codes; SQLite, libpq, curl, libuv and errno codes are translated at
 * the edge of the module that called them. */
#ifndef HARK_ERR_H
#define HARK_ERR_H

#include <stddef.h>

enum {
    HARK_OK = 0,
    HARK_ENOMEM = -1,    /* allocation failed */
    HARK_EINVAL = -2,    /* bad argument or malformed input */
    HARK_ENOTFOUND = -3, /* no such row / key / file */
    HARK_EEXISTS = -4,   /* unique key already taken */
    HARK_EIO = -5,       /* I/O or database failure */
    HARK_EBUSY = -6,     /* a bound was hit (queue full, database locked) */
    HARK_EBADTOKEN = -7, /* token malformed or signature wrong */
    HARK_EEXPIRED = -8,  /* token or invite past its expiry */
    HARK_ETOOBIG = -9,   /* input larger than its configured bound */
    HARK_ECLOSED = -10,  /* peer or service is shutting down */
};

/* Returns a static English description of a Hark error code. */
const char *hark_strerror(int err);

/* Writes the formatted message into ERR (when ERR and ERRLEN) and returns
 * HARK_EINVAL: for parsers and checks that explain what is wrong. */
int hark_invalid(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
