/* Invite tokens: the chat link's last path segment. A token carries the
 * tenant, the invite and an expiry, signed with the instance's secret key by
 * HMAC-SHA-256 (libsodium), so it cannot be forged or altered, and the server
 * needs no lookup to reject a bad one. Encoded as unpadded base64url. */
#ifndef HARK_TOKEN_H
#define HARK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_BYTES 32
#define TOKEN_MAX       96 /* longest encoded token, with its NUL */

typedef struct token_claims {
    int64_t tenant_id;
    int64_t invite_id;
    int64_t expires_at; /* Unix ms */
} token_claims;

/* Writes the token for C into OUT (CAP >= TOKEN_MAX). Returns 0 or HARK_EINVAL. */
int token_make(const unsigned char key[TOKEN_KEY_BYTES], const token_claims *c, char *out, size_t cap);

/* Checks TOK (LEN bytes) and fills OUT. Returns 0, HARK_EBADTOKEN (malformed,
 * wrong signature, unknown version) or HARK_EEXPIRED (valid but expires_at <=
 * NOW_MS; OUT is filled then too). Constant-time signature comparison. */
int token_parse(const unsigned char key[TOKEN_KEY_BYTES], const char *tok, size_t len, int64_t now_ms,
                token_claims *out);

/* Reads the 32-byte key from PATH, or creates PATH (mode 0600) with a fresh
 * random key when it does not exist. Returns 0, HARK_EIO or HARK_EINVAL (file
 * of the wrong size). */
int token_key_load_or_create(const char *path, unsigned char key[TOKEN_KEY_BYTES]);

#endif
