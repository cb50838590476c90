/* Passwords, session tokens and their timeouts, CSRF tokens and API tokens
 * (auth.h). Everything here is a pure function of its arguments, the
 * instance key and libsodium's random generator; the cookie and header side
 * is in auth_http.c, the login throttle in auth_throttle.c. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "web/auth.h"

_Static_assert(AUTH_PWHASH_MAX == crypto_pwhash_STRBYTES, "AUTH_PWHASH_MAX is libsodium's hash string size");
_Static_assert(AUTH_HASH_BYTES == crypto_hash_sha256_BYTES, "tokens are hashed with SHA-256");
_Static_assert(AUTH_SESSION_TOKEN_MAX ==
                   sodium_base64_ENCODED_LEN(AUTH_SESSION_RANDOM_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "session token length");
_Static_assert(AUTH_CSRF_MAX ==
                   sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "CSRF token length");

/* ---- passwords ---- */

/* The hash of a random password nobody knows, made with the current costs:
 * verifying against it takes as long as verifying a real user's hash. */
static const char dummy_hash[AUTH_PWHASH_MAX] =
    "$argon2id$v=19$m=19456,t=2,p=1$96YQO3YWFXmXG64P1TF2ig$ACpVXLq44F+XOG1taAXRX3fpHWq1VHXLM4hit209Ook";

int auth_password_hash(const char *pw, size_t len, char out[AUTH_PWHASH_MAX]) {
    if (!pw || len == 0) return HARK_EINVAL;
    if (len > AUTH_PASSWORD_MAX) return HARK_ETOOBIG;
    if (crypto_pwhash_str_alg(out, pw, len, AUTH_PWHASH_OPSLIMIT, AUTH_PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13))
        return HARK_ENOMEM;
    return HARK_OK;
}

int auth_password_verify(const char *stored, const char *pw, size_t len, int *needs_rehash) {
    if (needs_rehash) *needs_rehash = 0;
    /* No stored hash can match these: answering at once tells nothing about
     * the account. */
    if (!pw || len == 0 || len > AUTH_PASSWORD_MAX) return HARK_EBADTOKEN;
    if (!stored) {
        int burned = crypto_pwhash_str_verify(dummy_hash, pw, len);
        (void)burned;
        return HARK_EBADTOKEN;
    }
    if (strnlen(stored, AUTH_PWHASH_MAX) == AUTH_PWHASH_MAX || strncmp(stored, "$argon2", 7) != 0) return HARK_EINVAL;
    if (crypto_pwhash_str_verify(stored, pw, len) != 0) return HARK_EBADTOKEN;
    /* The argon2id-specific check, so an argon2i hash with equal costs is
     * still replaced by an argon2id one (it answers -1 for other algorithms). */
    if (needs_rehash)
        *needs_rehash =
            crypto_pwhash_argon2id_str_needs_rehash(stored, AUTH_PWHASH_OPSLIMIT, AUTH_PWHASH_MEMLIMIT) != 0;
    return HARK_OK;
}

/* ---- tokens: shared helpers ---- */

static int is_b64url(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

static int is_alnum(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* The stored form of any bearer secret (session or API token): SHA-256 of
 * its text. The secrets carry 128 bits or more of randomness, so a fast
 * unkeyed hash is enough, and it survives a change of the instance key. */
static void secret_hash(const char *s, size_t len, unsigned char hash[AUTH_HASH_BYTES]) {
    crypto_hash_sha256(hash, (const unsigned char *)s, len);
}

/* ---- session tokens ---- */

void auth_session_new(char token[AUTH_SESSION_TOKEN_MAX], unsigned char hash[AUTH_HASH_BYTES]) {
    unsigned char raw[AUTH_SESSION_RANDOM_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, AUTH_SESSION_TOKEN_MAX, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    secret_hash(token, AUTH_SESSION_TOKEN_LEN, hash);
}

int auth_session_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES]) {
    if (!token || len != AUTH_SESSION_TOKEN_LEN) return HARK_EBADTOKEN;
    for (size_t i = 0; i < len; i++)
        if (!is_b64url(token[i])) return HARK_EBADTOKEN;
    secret_hash(token, len, hash);
    return HARK_OK;
}

/* NOW - FROM in ms, 0 when FROM is not in the past; computed in unsigned
 * arithmetic so no pair of int64 values can overflow. */
static uint64_t elapsed(int64_t from, int64_t now) {
    return from >= now ? 0 : (uint64_t)now - (uint64_t)from;
}

auth_session_state auth_session_check(int64_t created_at, int64_t last_seen_at, int64_t now_ms, int *refresh) {
    if (refresh) *refresh = 0;
    if (elapsed(created_at, now_ms) >= (uint64_t)AUTH_ABSOLUTE_TIMEOUT_MS) return AUTH_SESSION_EXPIRED_ABSOLUTE;
    uint64_t idle = elapsed(last_seen_at, now_ms);
    if (idle >= (uint64_t)AUTH_IDLE_TIMEOUT_MS) return AUTH_SESSION_EXPIRED_IDLE;
    if (refresh) *refresh = idle >= (uint64_t)AUTH_REFRESH_INTERVAL_MS;
    return AUTH_SESSION_VALID;
}

static int64_t add_sat(int64_t a, int64_t b) {
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t auth_session_deadline(int64_t created_at, int64_t last_seen_at) {
    int64_t idle = add_sat(last_seen_at, AUTH_IDLE_TIMEOUT_MS);
    int64_t absolute = add_sat(created_at, AUTH_ABSOLUTE_TIMEOUT_MS);
    return idle < absolute ? idle : absolute;
}

/* ---- CSRF ---- */

/* Labels the HMAC input, so this use of the instance key can never produce
 * a value another use (invite tokens start with a version byte) would accept. */
static const char csrf_label[] = "hark csrf v1"; /* its NUL separates it from the session token */

void auth_csrf_token(const unsigned char key[TOKEN_KEY_BYTES], const char *session, size_t len,
                     char out[AUTH_CSRF_MAX]) {
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, TOKEN_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)csrf_label, sizeof csrf_label);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)session, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, AUTH_CSRF_MAX, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

int auth_csrf_check(const unsigned char key[TOKEN_KEY_BYTES], const char *session, size_t len, const char *header) {
    char want[AUTH_CSRF_MAX];
    if (!session || len == 0 || !header) return HARK_EBADTOKEN;
    /* The length of a CSRF token is public: checking it first leaks nothing. */
    if (strnlen(header, AUTH_CSRF_MAX) != AUTH_CSRF_LEN) return HARK_EBADTOKEN;
    auth_csrf_token(key, session, len, want);
    int rc = sodium_memcmp(want, header, AUTH_CSRF_LEN) == 0 ? HARK_OK : HARK_EBADTOKEN;
    sodium_memzero(want, sizeof want);
    return rc;
}

/* ---- API tokens ---- */

static const char apitoken_head[] = "hark_";
#define APITOKEN_HEAD_LEN   (sizeof apitoken_head - 1)
#define APITOKEN_RANDOM_LEN (AUTH_APITOKEN_LEN - APITOKEN_HEAD_LEN)

void auth_apitoken_new(char token[AUTH_APITOKEN_MAX], char prefix[AUTH_APITOKEN_PREFIX_MAX],
                       unsigned char hash[AUTH_HASH_BYTES]) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    memcpy(token, apitoken_head, APITOKEN_HEAD_LEN);
    for (size_t i = APITOKEN_HEAD_LEN; i < AUTH_APITOKEN_LEN; i++)
        token[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    token[AUTH_APITOKEN_LEN] = '\0';
    memcpy(prefix, token, AUTH_APITOKEN_PREFIX_LEN);
    prefix[AUTH_APITOKEN_PREFIX_LEN] = '\0';
    secret_hash(token, AUTH_APITOKEN_LEN, hash);
}

int auth_apitoken_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES]) {
    if (!token || len != AUTH_APITOKEN_LEN || memcmp(token, apitoken_head, APITOKEN_HEAD_LEN) != 0)
        return HARK_EBADTOKEN;
    for (size_t i = APITOKEN_HEAD_LEN; i < len; i++)
        if (!is_alnum(token[i])) return HARK_EBADTOKEN;
    secret_hash(token, len, hash);
    return HARK_OK;
}

int auth_apitoken_verify(const char *token, size_t len, const unsigned char stored[AUTH_HASH_BYTES]) {
    unsigned char hash[AUTH_HASH_BYTES];
    if (auth_apitoken_hash(token, len, hash)) return HARK_EBADTOKEN;
    return sodium_memcmp(hash, stored, AUTH_HASH_BYTES) == 0 ? HARK_OK : HARK_EBADTOKEN;
}

/* ---- scopes ---- */

static const struct {
    const char *name;
    uint32_t bit;
} scope_names[] = {
    {"read:dashboard", AUTH_SCOPE_READ_DASHBOARD},
    {"read:comments", AUTH_SCOPE_READ_COMMENTS},
    {"read:employees", AUTH_SCOPE_READ_EMPLOYEES},
    {"write:employees", AUTH_SCOPE_WRITE_EMPLOYEES},
    {"read:escalations", AUTH_SCOPE_READ_ESCALATIONS},
    {"write:escalations", AUTH_SCOPE_WRITE_ESCALATIONS},
    {"read:audit", AUTH_SCOPE_READ_AUDIT},
};
#define N_SCOPES (sizeof scope_names / sizeof scope_names[0])

int auth_scopes_parse(const char *text, uint32_t *out, char *err, size_t errlen) {
    uint32_t mask = 0;
    *out = 0;
    if (!text) return hark_invalid(err, errlen, "no scope given");
    for (const char *p = text;;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        size_t n = (size_t)(b - a), i;
        if (n == 0) {
            /* "" alone is reported as no scope below; an empty item among others is a typo. */
            if (*end || p != text) return hark_invalid(err, errlen, "empty scope name in \"%.100s\"", text);
        } else {
            for (i = 0; i < N_SCOPES; i++)
                if (strlen(scope_names[i].name) == n && memcmp(scope_names[i].name, a, n) == 0) break;
            if (i == N_SCOPES) return hark_invalid(err, errlen, "unknown scope \"%.*s\"", n > 64 ? 64 : (int)n, a);
            mask |= scope_names[i].bit;
        }
        if (!*end) break;
        p = end + 1;
    }
    if (!mask) return hark_invalid(err, errlen, "no scope given");
    *out = mask;
    return HARK_OK;
}

int auth_scopes_format(uint32_t scopes, char *out, size_t cap) {
    size_t len = 0;
    if (scopes & ~AUTH_SCOPE_ALL) return HARK_EINVAL;
    if (cap == 0) return HARK_ETOOBIG;
    out[0] = '\0';
    for (size_t i = 0; i < N_SCOPES; i++) {
        if (!(scopes & scope_names[i].bit)) continue;
        int n = snprintf(out + len, cap - len, "%s%s", len ? "," : "", scope_names[i].name);
        if (n < 0 || (size_t)n >= cap - len) return HARK_ETOOBIG;
        len += (size_t)n;
    }
    return HARK_OK;
}

int auth_scopes_allow(uint32_t have, uint32_t need) {
    return (have & need) == need;
}
