/* Invite tokens (token.h). Layout before encoding, 41 bytes:
 *   version (1) | tenant_id (8, big-endian) | invite_id (8) | expires_at (8)
 *   | first 16 bytes of HMAC-SHA-256(key, the 25 bytes before). */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/token.h"

#define TOKEN_VERSION 1
#define BODY_BYTES    25
#define MAC_BYTES     16
#define RAW_BYTES     (BODY_BYTES + MAC_BYTES)

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void token_mac(const unsigned char key[TOKEN_KEY_BYTES], const unsigned char *body,
                      unsigned char mac[MAC_BYTES]) {
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, TOKEN_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, body, BODY_BYTES);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(mac, full, MAC_BYTES);
    sodium_memzero(full, sizeof full);
}

int token_make(const unsigned char key[TOKEN_KEY_BYTES], const token_claims *c, char *out, size_t cap) {
    unsigned char raw[RAW_BYTES];
    if (cap < TOKEN_MAX || c->tenant_id <= 0 || c->invite_id <= 0) return HARK_EINVAL;
    raw[0] = TOKEN_VERSION;
    put_u64(raw + 1, (uint64_t)c->tenant_id);
    put_u64(raw + 9, (uint64_t)c->invite_id);
    put_u64(raw + 17, (uint64_t)c->expires_at);
    token_mac(key, raw, raw + BODY_BYTES);
    sodium_bin2base64(out, cap, raw, RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return HARK_OK;
}

int token_parse(const unsigned char key[TOKEN_KEY_BYTES], const char *tok, size_t len, int64_t now_ms,
                token_claims *out) {
    unsigned char raw[RAW_BYTES], mac[MAC_BYTES];
    size_t n = 0;
    const char *end = NULL;
    if (len == 0 || len >= TOKEN_MAX) return HARK_EBADTOKEN;
    if (sodium_base642bin(raw, sizeof raw, tok, len, NULL, &n, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != RAW_BYTES || end != tok + len)
        return HARK_EBADTOKEN;
    if (raw[0] != TOKEN_VERSION) return HARK_EBADTOKEN;
    token_mac(key, raw, mac);
    if (sodium_memcmp(mac, raw + BODY_BYTES, MAC_BYTES) != 0) return HARK_EBADTOKEN;
    out->tenant_id = (int64_t)get_u64(raw + 1);
    out->invite_id = (int64_t)get_u64(raw + 9);
    out->expires_at = (int64_t)get_u64(raw + 17);
    if (out->tenant_id <= 0 || out->invite_id <= 0) return HARK_EBADTOKEN;
    if (out->expires_at <= now_ms) return HARK_EEXPIRED;
    return HARK_OK;
}

int token_key_load_or_create(const char *path, unsigned char key[TOKEN_KEY_BYTES]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, key, TOKEN_KEY_BYTES);
        char extra;
        ssize_t more = read(fd, &extra, 1);
        close(fd);
        if (n != TOKEN_KEY_BYTES || more != 0) {
            log_error("secret key %s: expected exactly %d bytes", path, TOKEN_KEY_BYTES);
            return HARK_EINVAL;
        }
        return HARK_OK;
    }
    if (errno != ENOENT) {
        log_error("secret key %s: %s", path, strerror(errno));
        return HARK_EIO;
    }
    randombytes_buf(key, TOKEN_KEY_BYTES);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        /* Another process may have created it first: use theirs. */
        if (errno == EEXIST) return token_key_load_or_create(path, key);
        log_error("secret key %s: %s", path, strerror(errno));
        return HARK_EIO;
    }
    ssize_t w = write(fd, key, TOKEN_KEY_BYTES);
    int rc = (w == TOKEN_KEY_BYTES && fsync(fd) == 0) ? HARK_OK : HARK_EIO;
    close(fd);
    return rc;
}
