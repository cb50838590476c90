/* SHA-1 as RFC 3174 describes it: 512-bit blocks, eighty rounds over a
 * sixteen-word schedule expanded in place, big-endian length padding. Written
 * for clarity rather than speed; the handshake hashes 60 bytes. Also the
 * WebSocket accept key built on it. */
#include <sodium.h>
#include <string.h>

#include "core/sha1.h"

static uint32_t rol(uint32_t x, int n) {
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(sha1_ctx *c, const unsigned char *p) {
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
               (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 80; t++) w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & cc) | (~b & d);
            k = 0x5A827999;
        } else if (t < 40) {
            f = b ^ cc ^ d;
            k = 0x6ED9EBA1;
        } else if (t < 60) {
            f = (b & cc) | (b & d) | (cc & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ cc ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t tmp = rol(a, 5) + f + e + w[t] + k;
        e = d;
        d = cc;
        cc = rol(b, 30);
        b = a;
        a = tmp;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
}

void sha1_init(sha1_ctx *c) {
    c->h[0] = 0x67452301;
    c->h[1] = 0xEFCDAB89;
    c->h[2] = 0x98BADCFE;
    c->h[3] = 0x10325476;
    c->h[4] = 0xC3D2E1F0;
    c->bytes = 0;
    c->used = 0;
}

void sha1_update(sha1_ctx *c, const void *data, size_t len) {
    const unsigned char *p = data;
    c->bytes += len;
    while (len > 0) {
        size_t n = sizeof c->blk - c->used;
        if (n > len) n = len;
        memcpy(c->blk + c->used, p, n);
        c->used += n;
        p += n;
        len -= n;
        if (c->used == sizeof c->blk) {
            sha1_block(c, c->blk);
            c->used = 0;
        }
    }
}

void sha1_final(sha1_ctx *c, unsigned char out[20]) {
    uint64_t bits = c->bytes * 8;
    unsigned char pad = 0x80;
    sha1_update(c, &pad, 1);
    pad = 0;
    while (c->used != 56) sha1_update(c, &pad, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_update(c, len, 8);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

void sha1(const void *data, size_t len, unsigned char out[20]) {
    sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, data, len);
    sha1_final(&c, out);
}

void sha1_ws_accept(const char *key, char out[29]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char in[96];
    unsigned char d[20];
    size_t kl = strnlen(key, 60);
    memcpy(in, key, kl);
    memcpy(in + kl, guid, sizeof guid - 1);
    sha1(in, kl + sizeof guid - 1, d);
    sodium_bin2base64(out, 29, d, sizeof d, sodium_base64_VARIANT_ORIGINAL);
}
