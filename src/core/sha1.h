/* SHA-1 (RFC 3174), for the WebSocket handshake (net, and the bench client): it computes
 * Sec-WebSocket-Accept, and libsodium has no SHA-1. It is not for
 * anything that needs collision resistance. */
#ifndef HARK_SHA1_H
#define HARK_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha1_ctx {
    uint32_t h[5];
    uint64_t bytes;        /* message length so far */
    unsigned char blk[64]; /* partial block */
    size_t used;           /* bytes in blk */
} sha1_ctx;

void sha1_init(sha1_ctx *c);
void sha1_update(sha1_ctx *c, const void *data, size_t len);
/* Writes the 20-byte digest to OUT; C must be initialised again before reuse. */
void sha1_final(sha1_ctx *c, unsigned char out[20]);
/* One-shot digest of LEN bytes at DATA. */
void sha1(const void *data, size_t len, unsigned char out[20]);

/* Sec-WebSocket-Accept for KEY (RFC 6455 4.2.2: base64 of the SHA-1 of KEY
 * and the protocol's GUID) into OUT, NUL-terminated. Used by the server to
 * answer and by the bench client to check the answer. KEY longer than 60
 * bytes is cut (valid keys are 24). */
void sha1_ws_accept(const char *key, char out[29]);

#endif
