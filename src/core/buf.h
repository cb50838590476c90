/* A growable byte buffer with a mandatory upper bound (like curl's dynbuf):
 * appending past max fails with HARK_ETOOBIG and leaves the buffer as it was.
 * No memory is allocated until the first append. */
#ifndef HARK_BUF_H
#define HARK_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data; /* owned; NUL-terminated after any successful append */
    size_t len;
    size_t cap;
    size_t max; /* bound on len */
} buf;

void buf_init(buf *b, size_t max);
/* 0, HARK_ETOOBIG when len + n > max, HARK_ENOMEM. */
int buf_append(buf *b, const void *p, size_t n);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b); /* len = 0, keeps memory */
void buf_free(buf *b);  /* releases memory; the buffer may be reused */
/* Transfers ownership of the bytes to the caller (free() them); the buffer is emptied. */
char *buf_take(buf *b, size_t *len);

#endif
