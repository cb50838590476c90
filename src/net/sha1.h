/* SHA-1 (RFC 3174), private to net: the WebSocket handshake needs it to
 * compute Sec-WebSocket-Accept and libsodium has no SHA-1. It is not for
 * anything that needs collision resistance. */
#ifndef HARK_NET_SHA1_H
#define HARK_NET_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct net_sha1_ctx {
    uint32_t h[5];
    uint64_t bytes;        /* message length so far */
    unsigned char blk[64]; /* partial block */
    size_t used;           /* bytes in blk */
} net_sha1_ctx;

void net_sha1_init(net_sha1_ctx *c);
void net_sha1_update(net_sha1_ctx *c, const void *data, size_t len);
/* Writes the 20-byte digest to OUT; C must be initialised again before reuse. */
void net_sha1_final(net_sha1_ctx *c, unsigned char out[20]);
/* One-shot digest of LEN bytes at DATA. */
void net_sha1(const void *data, size_t len, unsigned char out[20]);

#endif
