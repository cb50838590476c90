/* JSON string escaping into a bounded buffer (jsonw.h). */
#include <string.h>

#include "core/jsonw.h"

int jsonw_str(buf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    int rc = buf_append(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; rc == 0 && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run) rc = buf_append(b, s + i - run, run);
        run = 0;
        if (rc) break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        rc = buf_append(b, esc, n);
    }
    if (rc == 0 && run) rc = buf_append(b, s + len - run, run);
    if (rc == 0) rc = buf_append(b, "\"", 1);
    return rc;
}

int jsonw_cstr(buf *b, const char *s) {
    return jsonw_str(b, s, strlen(s));
}
