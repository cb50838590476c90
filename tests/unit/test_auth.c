/* Unit tests for web/auth (auth.c, auth_http.c, auth_throttle.c): password
 * hashing and rehash, session tokens and timeouts, CSRF tokens, the Origin
 * check, the session cookie, security headers, API tokens and scopes, and the
 * login throttle, all on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "web/auth.h"

/* This definition takes the place of libsodium's for every caller linked
 * into this program (an executable's symbol wins over a shared library's),
 * so the tests can see that secrets are compared with it and not with
 * memcmp. It is itself constant-time, like the original. */
static int ct_compares;
int sodium_memcmp(const void *const b1_, const void *const b2_, size_t len) {
    const volatile unsigned char *b1 = b1_, *b2 = b2_;
    unsigned char d = 0;
    ct_compares++;
    for (size_t i = 0; i < len; i++) d |= (unsigned char)(b1[i] ^ b2[i]);
    return d ? -1 : 0;
}

static unsigned char key[TOKEN_KEY_BYTES], other_key[TOKEN_KEY_BYTES];

/* A Unix time on a 5-minute boundary, so bucket edges are easy to name. */
#define T0   (5000000LL * 300000LL)
#define MIN  (60 * 1000LL)
#define HOUR (60 * MIN)

static int setup(void **state) {
    (void)state;
    if (sodium_init() < 0) return -1;
    randombytes_buf(key, sizeof key);
    randombytes_buf(other_key, sizeof other_key);
    return 0;
}

/* ---- passwords ---- */

static void password_hash_and_verify(void **state) {
    (void)state;
    const char *pw = "correct horse battery staple";
    char h1[AUTH_PWHASH_MAX], h2[AUTH_PWHASH_MAX];
    int rehash = -1;
    assert_int_equal(auth_password_hash(pw, strlen(pw), h1), 0);
    assert_int_equal(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
    assert_int_equal(auth_password_hash(pw, strlen(pw), h2), 0);
    assert_string_not_equal(h1, h2); /* a fresh salt each time */
    assert_null(strstr(h1, pw));

    assert_int_equal(auth_password_verify(h1, pw, strlen(pw), &rehash), 0);
    assert_int_equal(rehash, 0);
    assert_int_equal(auth_password_verify(h2, pw, strlen(pw), NULL), 0);
    assert_int_equal(auth_password_verify(h1, "correct horse battery stapl", 27, &rehash), HARK_EBADTOKEN);
    assert_int_equal(rehash, 0);
    assert_int_equal(auth_password_verify(h1, "Correct horse battery staple", 28, NULL), HARK_EBADTOKEN);
    /* LEN counts: a prefix of the right password is not the password. */
    assert_int_equal(auth_password_verify(h1, pw, strlen(pw) - 1, NULL), HARK_EBADTOKEN);
    assert_int_equal(auth_password_verify(h1, "", 0, NULL), HARK_EBADTOKEN);
    /* No such user: it fails like a wrong password. */
    assert_int_equal(auth_password_verify(NULL, pw, strlen(pw), &rehash), HARK_EBADTOKEN);

    assert_int_equal(auth_password_hash("", 0, h2), HARK_EINVAL);
    static char longpw[AUTH_PASSWORD_MAX + 1];
    memset(longpw, 'x', sizeof longpw);
    assert_int_equal(auth_password_hash(longpw, sizeof longpw, h2), HARK_ETOOBIG);
    assert_int_equal(auth_password_verify(h1, longpw, sizeof longpw, NULL), HARK_EBADTOKEN);
    /* Not a password hash at all (a plain-text column, a truncated value). */
    assert_int_equal(auth_password_verify("hunter2", "hunter2", 7, NULL), HARK_EINVAL);
    assert_int_equal(auth_password_verify("", "x", 1, NULL), HARK_EINVAL);
}

static void password_needs_rehash(void **state) {
    (void)state;
    const char *pw = "s3cret-enough-for-a-test";
    char h[crypto_pwhash_STRBYTES];
    int rehash = -1;
    /* Weaker costs than ours: valid, to be replaced. */
    assert_int_equal(crypto_pwhash_str_alg(h, pw, strlen(pw), 1, 8u << 20, crypto_pwhash_ALG_ARGON2ID13), 0);
    assert_int_equal(auth_password_verify(h, pw, strlen(pw), &rehash), 0);
    assert_int_equal(rehash, 1);
    assert_int_equal(auth_password_verify(h, "wrong", 5, &rehash), HARK_EBADTOKEN);
    assert_int_equal(rehash, 0);
    /* argon2i, even with at least our costs: replaced by argon2id. */
    assert_int_equal(crypto_pwhash_str_alg(h, pw, strlen(pw), 3, 19u << 20, crypto_pwhash_ALG_ARGON2I13), 0);
    assert_int_equal(auth_password_verify(h, pw, strlen(pw), &rehash), 0);
    assert_int_equal(rehash, 1);
    /* What cli_provision_tenant stores today: current. */
    assert_int_equal(crypto_pwhash_str_alg(h, pw, strlen(pw), 2, 19u * 1024 * 1024, crypto_pwhash_ALG_ARGON2ID13), 0);
    assert_int_equal(auth_password_verify(h, pw, strlen(pw), &rehash), 0);
    assert_int_equal(rehash, 0);
}

/* ---- session tokens and timeouts ---- */

static void session_tokens(void **state) {
    (void)state;
    enum { N = 1000 };
    static char toks[N][AUTH_SESSION_TOKEN_MAX];
    unsigned bit_set[AUTH_SESSION_RANDOM_BYTES * 8] = {0};
    unsigned char hash[AUTH_HASH_BYTES], again[AUTH_HASH_BYTES], sha[crypto_hash_sha256_BYTES];
    for (int i = 0; i < N; i++) {
        auth_session_new(toks[i], hash);
        assert_int_equal(strlen(toks[i]), AUTH_SESSION_TOKEN_LEN);
        unsigned char raw[32];
        size_t n = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, toks[i], AUTH_SESSION_TOKEN_LEN, NULL, &n, NULL,
                                           sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(n, 16); /* 128 bits */
        for (int b = 0; b < 128; b++) bit_set[b] += (raw[b / 8] >> (b % 8)) & 1;
        /* The stored form is SHA-256 of the cookie value, and only that. */
        crypto_hash_sha256(sha, (const unsigned char *)toks[i], AUTH_SESSION_TOKEN_LEN);
        assert_memory_equal(hash, sha, sizeof sha);
        assert_int_equal(auth_session_hash(toks[i], strlen(toks[i]), again), 0);
        assert_memory_equal(hash, again, sizeof again);
        for (int j = 0; j < i; j++) assert_string_not_equal(toks[i], toks[j]);
    }
    /* Every bit varies: about half of N tokens have it (6 standard deviations). */
    for (int b = 0; b < 128; b++) {
        assert_true(bit_set[b] > 400);
        assert_true(bit_set[b] < 600);
    }
    const char *bad[] = {"",
                         "short",
                         "AAAAAAAAAAAAAAAAAAAAAAA",
                         "AAAAAAAAAAAAAAAAAAAA=A",
                         "AAAAAAAAAAAAAAAAAAAA+/",
                         "AAAAAAAAAAAAAAAAAAAA A"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(auth_session_hash(bad[i], strlen(bad[i]), hash), HARK_EBADTOKEN);
    assert_int_equal(auth_session_hash(NULL, 22, hash), HARK_EBADTOKEN);
}

static void session_timeouts(void **state) {
    (void)state;
    int refresh = -1;
    const int64_t idle = 30 * MIN, absolute = 12 * HOUR;
    assert_int_equal(AUTH_IDLE_TIMEOUT_MS, idle);
    assert_int_equal(AUTH_ABSOLUTE_TIMEOUT_MS, absolute);

    assert_int_equal(auth_session_check(T0, T0, T0, &refresh), AUTH_SESSION_VALID);
    assert_int_equal(refresh, 0);
    /* Idle: valid one millisecond before 30 minutes, expired at 30. */
    assert_int_equal(auth_session_check(T0, T0, T0 + idle - 1, &refresh), AUTH_SESSION_VALID);
    assert_int_equal(refresh, 1);
    assert_int_equal(auth_session_check(T0, T0, T0 + idle, &refresh), AUTH_SESSION_EXPIRED_IDLE);
    assert_int_equal(refresh, 0);
    /* Absolute: in use a moment ago, still over at 12 hours. */
    int64_t seen = T0 + absolute - 2;
    assert_int_equal(auth_session_check(T0, seen, T0 + absolute - 1, &refresh), AUTH_SESSION_VALID);
    assert_int_equal(auth_session_check(T0, seen, T0 + absolute, &refresh), AUTH_SESSION_EXPIRED_ABSOLUTE);
    /* Both past: absolute wins. */
    assert_int_equal(auth_session_check(T0, T0, T0 + absolute, NULL), AUTH_SESSION_EXPIRED_ABSOLUTE);
    /* Times from a clock ahead of ours count as now. */
    assert_int_equal(auth_session_check(T0 + 5000, T0 + 5000, T0, &refresh), AUTH_SESSION_VALID);
    assert_int_equal(refresh, 0);
    /* Extreme values neither overflow nor pass. */
    assert_int_equal(auth_session_check(INT64_MIN, INT64_MIN, INT64_MAX, NULL), AUTH_SESSION_EXPIRED_ABSOLUTE);

    assert_int_equal(auth_session_deadline(T0, T0), T0 + idle);
    assert_int_equal(auth_session_deadline(T0, T0 + absolute - MIN), T0 + absolute);
    assert_int_equal(auth_session_deadline(T0, INT64_MAX), T0 + absolute);
}

/* A browser making a request every 10 s: last_seen_at is written about once
 * a minute, never more, and the session ends at 12 h however busy. */
static void session_refresh_throttled(void **state) {
    (void)state;
    int64_t created = T0, seen = T0, now, prev_write = T0;
    int writes = 0, refresh;
    for (now = T0; now < T0 + 10 * MIN; now += 10000) {
        assert_int_equal(auth_session_check(created, seen, now, &refresh), AUTH_SESSION_VALID);
        if (refresh) {
            assert_true(now - prev_write >= AUTH_REFRESH_INTERVAL_MS);
            seen = prev_write = now;
            writes++;
        }
    }
    assert_int_equal(writes, 9); /* at 1, 2, ... 9 minutes */
    for (; now < T0 + 13 * HOUR; now += 10000) {
        auth_session_state st = auth_session_check(created, seen, now, &refresh);
        if (st != AUTH_SESSION_VALID) {
            assert_int_equal(st, AUTH_SESSION_EXPIRED_ABSOLUTE);
            break;
        }
        if (refresh) seen = now;
    }
    assert_int_equal(now, T0 + 12 * HOUR);
    /* One pause of 30 minutes after the last write ends it, even though the
     * last request came later than that write. */
    assert_int_equal(auth_session_check(T0, T0 + MIN, T0 + MIN + 30 * MIN, NULL), AUTH_SESSION_EXPIRED_IDLE);
}

/* ---- CSRF ---- */

static void csrf_tokens(void **state) {
    (void)state;
    char s1[AUTH_SESSION_TOKEN_MAX], s2[AUTH_SESSION_TOKEN_MAX], c1[AUTH_CSRF_MAX], c1b[AUTH_CSRF_MAX],
        c2[AUTH_CSRF_MAX], ck[AUTH_CSRF_MAX];
    unsigned char h[AUTH_HASH_BYTES];
    auth_session_new(s1, h);
    auth_session_new(s2, h);
    auth_csrf_token(key, s1, strlen(s1), c1);
    auth_csrf_token(key, s1, strlen(s1), c1b);
    auth_csrf_token(key, s2, strlen(s2), c2);
    auth_csrf_token(other_key, s1, strlen(s1), ck);
    assert_int_equal(strlen(c1), AUTH_CSRF_LEN);
    assert_string_equal(c1, c1b); /* derived, not stored */
    assert_string_not_equal(c1, c2);
    assert_string_not_equal(c1, ck);
    assert_null(strstr(c1, s1));

    ct_compares = 0;
    assert_int_equal(auth_csrf_check(key, s1, strlen(s1), c1), 0);
    assert_int_equal(ct_compares, 1);
    assert_int_equal(auth_csrf_check(key, s2, strlen(s2), c1), HARK_EBADTOKEN); /* another session's token */
    assert_int_equal(auth_csrf_check(other_key, s1, strlen(s1), c1), HARK_EBADTOKEN);
    assert_int_equal(ct_compares, 3);
    char tweaked[AUTH_CSRF_MAX];
    for (size_t i = 0; i < AUTH_CSRF_LEN; i += AUTH_CSRF_LEN - 1) { /* first and last character */
        memcpy(tweaked, c1, sizeof tweaked);
        tweaked[i] = tweaked[i] == 'A' ? 'B' : 'A';
        assert_int_equal(auth_csrf_check(key, s1, strlen(s1), tweaked), HARK_EBADTOKEN);
    }
    assert_int_equal(auth_csrf_check(key, s1, strlen(s1), NULL), HARK_EBADTOKEN);
    assert_int_equal(auth_csrf_check(key, s1, strlen(s1), ""), HARK_EBADTOKEN);
    memcpy(tweaked, c1, AUTH_CSRF_LEN - 1);
    tweaked[AUTH_CSRF_LEN - 1] = '\0';
    assert_int_equal(auth_csrf_check(key, s1, strlen(s1), tweaked), HARK_EBADTOKEN);
    char longer[AUTH_CSRF_MAX + 1];
    snprintf(longer, sizeof longer, "%sA", c1);
    assert_int_equal(auth_csrf_check(key, s1, strlen(s1), longer), HARK_EBADTOKEN);
    assert_int_equal(auth_csrf_check(key, "", 0, c1), HARK_EBADTOKEN);

    assert_true(auth_method_is_safe("GET"));
    assert_true(auth_method_is_safe("HEAD"));
    assert_true(auth_method_is_safe("OPTIONS"));
    const char *unsafe[] = {"POST", "PUT", "PATCH", "DELETE", "get", "TRACE", "", NULL};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) assert_false(auth_method_is_safe(unsafe[i]));
}

static void origin_check(void **state) {
    (void)state;
    static const struct {
        const char *origin, *host, *allowed;
        int ok;
    } cases[] = {
        {NULL, "hark.example.com", "", 1}, /* not a browser: the CSRF token decides */
        {"https://hark.example.com", "hark.example.com", "", 1},
        {"http://hark.example.com", "hark.example.com", NULL, 1},
        {"HTTPS://Hark.Example.COM", "hark.example.com", "", 1},
        {"https://hark.example.com:443", "hark.example.com", "", 1},
        {"https://hark.example.com", "hark.example.com:443", "", 1},
        {"http://hark.example.com", "hark.example.com:80", "", 1},
        {"https://hark.example.com", "hark.example.com:80", "", 0},
        {"https://hark.example.com:8443", "hark.example.com", "", 0},
        {"http://localhost:8080", "localhost:8080", "", 1},
        {"http://localhost", "localhost:8080", "", 0},
        {"http://[::1]:8080", "[::1]:8080", "", 1},
        {"https://hark.example.com.evil.test", "hark.example.com", "", 0},
        {"https://evilhark.example.com", "hark.example.com", "", 0},
        {"https://evil.test", "hark.example.com", "", 0},
        {"null", "hark.example.com", "", 0},
        {"", "hark.example.com", "", 0},
        {"https://", "hark.example.com", "", 0},
        {"https://hark.example.com/", "hark.example.com", "", 0},
        {"https://hark.example.com/path", "hark.example.com", "", 0},
        {"https://x@hark.example.com", "hark.example.com", "", 0},
        {"https://hark.example.com evil", "hark.example.com evil", "", 0},
        {"hark.example.com", "hark.example.com", "", 0},
        {"ftp://hark.example.com", "hark.example.com", "", 0},
        {"https://evil.test", "evil.test/x", "", 0},
        {"https://hark.example.com", NULL, "", 0},
        /* The allowed_origins list: exact scheme, host and port. */
        {"https://admin.example.com", "hark.example.com", "https://admin.example.com, http://localhost:8080/", 1},
        {"http://localhost:8080", "hark.example.com", "https://admin.example.com, http://localhost:8080/", 1},
        {"https://localhost:8080", "hark.example.com", "https://admin.example.com, http://localhost:8080/", 0},
        {"http://admin.example.com", "hark.example.com", "https://admin.example.com, http://localhost:8080/", 0},
        {"https://admin.example.com:443", NULL, "https://ADMIN.example.com", 1},
        {"https://admin.example.co", NULL, "https://admin.example.com", 0},
        {"https://evil.test", "hark.example.com", "*", 0},
        {"https://evil.test", "hark.example.com", " , ,*, garbage", 0},
        {"https://hark.example.com", "hark.example.com", "*", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ok = auth_origin_ok(cases[i].origin, cases[i].host, cases[i].allowed);
        if (ok != cases[i].ok)
            fail_msg("origin %s host %s allowed %s: got %d", cases[i].origin ? cases[i].origin : "(null)",
                     cases[i].host ? cases[i].host : "(null)", cases[i].allowed ? cases[i].allowed : "(null)", ok);
    }
}

/* ---- the session cookie ---- */

static void cookie_parsing(void **state) {
    (void)state;
    static const struct {
        const char *header;
        int rc;
        const char *value;
    } cases[] = {
        {"hark_session=abc", 0, "abc"},
        {"a=1; hark_session=abc; b=2", 0, "abc"},
        {"a=1;hark_session=abc", 0, "abc"},
        {"  hark_session = abc  ; x=y", 0, "abc"},
        {"\thark_session=abc\t", 0, "abc"},
        {"hark_session=\"abc\"", 0, "abc"},
        {";;; ;hark_session=abc;;", 0, "abc"},
        {"flag; hark_session=abc", 0, "abc"},
        {"a=\x01\x02; other=\"x;y\"; hark_session=abc", 0, "abc"}, /* other cookies are not judged */
        {"hark_session=abc; hark_session=abc", 0, "abc"},
        {"hark_session=", 0, ""},
        {"hark_session=a=b", 0, "a=b"},
        {"__Host-hark_session=zzz; hark_session=abc", 0, "abc"},
        {"hark_session=abc; hark_session=def", HARK_EINVAL, NULL},
        {"hark_session=abc;hark_session=\"def\"", HARK_EINVAL, NULL},
        {"hark_session=a,b", HARK_EINVAL, NULL},
        {"hark_session=a\\b", HARK_EINVAL, NULL},
        {"hark_session=\"abc", HARK_EINVAL, NULL},
        {"hark_session=\"", HARK_EINVAL, NULL},
        {"hark_session=a b", HARK_EINVAL, NULL},
        {"hark_session=caf\xc3\xa9", HARK_EINVAL, NULL},
        {"xhark_session=abc", HARK_ENOTFOUND, NULL},
        {"hark_session_x=abc", HARK_ENOTFOUND, NULL},
        {"Hark_Session=abc", HARK_ENOTFOUND, NULL},
        {"hark_session", HARK_ENOTFOUND, NULL},
        {"", HARK_ENOTFOUND, NULL},
        {NULL, HARK_ENOTFOUND, NULL},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = auth_cookie_get(cases[i].header, "hark_session", out, sizeof out);
        if (rc != cases[i].rc) fail_msg("case %zu (%s): rc %d", i, cases[i].header ? cases[i].header : "(null)", rc);
        if (cases[i].value) assert_string_equal(out, cases[i].value);
    }
    assert_int_equal(
        auth_cookie_get("a=1; __Host-hark_session=tok; hark_session=x", AUTH_COOKIE_NAME_HTTPS, out, sizeof out), 0);
    assert_string_equal(out, "tok");

    /* Bounds: the value must fit OUT, the header AUTH_COOKIE_HEADER_MAX. */
    assert_int_equal(auth_cookie_get("hark_session=abcd", "hark_session", out, 5), 0);
    assert_string_equal(out, "abcd");
    assert_int_equal(auth_cookie_get("hark_session=abcde", "hark_session", out, 5), HARK_ETOOBIG);
    static char big[AUTH_COOKIE_HEADER_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[0] = 'p';
    big[1] = '=';
    memcpy(big + AUTH_COOKIE_HEADER_MAX - 18, "; hark_session=tok", 18);
    big[AUTH_COOKIE_HEADER_MAX] = '\0';
    assert_int_equal(auth_cookie_get(big, "hark_session", out, sizeof out), 0);
    assert_string_equal(out, "tok");
    big[AUTH_COOKIE_HEADER_MAX] = 'x';
    big[AUTH_COOKIE_HEADER_MAX + 1] = '\0';
    assert_int_equal(auth_cookie_get(big, "hark_session", out, sizeof out), HARK_ETOOBIG);
}

static void cookie_building(void **state) {
    (void)state;
    char tok[AUTH_SESSION_TOKEN_MAX], line[AUTH_SET_COOKIE_MAX], want[256], got[64];
    unsigned char h[AUTH_HASH_BYTES];
    auth_session_new(tok, h);

    assert_string_equal(auth_cookie_name(1), "__Host-hark_session");
    assert_string_equal(auth_cookie_name(0), "hark_session");
    assert_int_equal(auth_cookie_build(line, sizeof line, 1, tok), 0);
    snprintf(want, sizeof want, "__Host-hark_session=%s; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax", tok);
    assert_string_equal(line, want);
    /* What the browser sends back parses to the same token. */
    *strchr(line, ';') = '\0';
    assert_int_equal(auth_cookie_get(line, auth_cookie_name(1), got, sizeof got), 0);
    assert_string_equal(got, tok);

    assert_int_equal(auth_cookie_build(line, sizeof line, 0, tok), 0);
    snprintf(want, sizeof want, "hark_session=%s; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax", tok);
    assert_string_equal(line, want);
    assert_null(strstr(line, "Secure"));
    assert_null(strstr(line, "__Host-"));
    assert_null(strstr(line, "Domain"));

    assert_int_equal(auth_cookie_clear(line, sizeof line, 1), 0);
    assert_string_equal(line, "__Host-hark_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
    assert_int_equal(auth_cookie_clear(line, sizeof line, 0), 0);
    assert_string_equal(line, "hark_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");

    /* Only a session token goes into the header: nothing can be injected. */
    assert_int_equal(auth_cookie_build(line, sizeof line, 1, "abc; Domain=evil.test"), HARK_EINVAL);
    assert_int_equal(auth_cookie_build(line, sizeof line, 1, "AAAAAAAAAAAAAAAAAAAA\r\n"), HARK_EINVAL);
    assert_int_equal(auth_cookie_build(line, sizeof line, 1, NULL), HARK_EINVAL);
    assert_int_equal(auth_cookie_build(line, 40, 1, tok), HARK_EINVAL);
    assert_string_equal(line, "");
}

/* ---- security headers ---- */

static const char *header_value(const auth_header *hs, const char *name) {
    for (; hs->name; hs++)
        if (strcasecmp(hs->name, name) == 0) return hs->value;
    return NULL;
}

static void security_headers(void **state) {
    (void)state;
    for (int https = 0; https <= 1; https++) {
        const auth_header *hs = auth_security_headers(https);
        const char *csp = header_value(hs, "Content-Security-Policy");
        assert_non_null(csp);
        const char *directives[] = {"default-src 'self'",   "script-src 'self'",  "style-src 'self'",
                                    "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'",
                                    "base-uri 'none'",      "form-action 'self'"};
        for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
            assert_non_null(strstr(csp, directives[i]));
        assert_null(strstr(csp, "unsafe-inline"));
        assert_null(strstr(csp, "unsafe-eval"));
        assert_null(strstr(csp, "*"));
        assert_string_equal(header_value(hs, "X-Content-Type-Options"), "nosniff");
        assert_string_equal(header_value(hs, "Referrer-Policy"), "no-referrer");
        assert_string_equal(header_value(hs, "X-Frame-Options"), "DENY");
        assert_string_equal(header_value(hs, "Cross-Origin-Opener-Policy"), "same-origin");
        const char *hsts = header_value(hs, "Strict-Transport-Security");
        if (https) {
            assert_non_null(hsts);
            assert_non_null(strstr(hsts, "max-age=31536000"));
        } else {
            assert_null(hsts);
        }
        /* Values fit on a header line as they are. */
        for (; hs->name; hs++) assert_null(strpbrk(hs->value, "\r\n"));
    }
}

/* ---- API tokens ---- */

static void api_tokens(void **state) {
    (void)state;
    char tok[AUTH_APITOKEN_MAX], tok2[AUTH_APITOKEN_MAX], prefix[AUTH_APITOKEN_PREFIX_MAX],
        prefix2[AUTH_APITOKEN_PREFIX_MAX];
    unsigned char hash[AUTH_HASH_BYTES], hash2[AUTH_HASH_BYTES], sha[crypto_hash_sha256_BYTES];
    auth_apitoken_new(tok, prefix, hash);
    auth_apitoken_new(tok2, prefix2, hash2);
    assert_int_equal(strlen(tok), AUTH_APITOKEN_LEN);
    assert_int_equal(strncmp(tok, "hark_", 5), 0);
    assert_int_equal(strspn(tok + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 32);
    assert_int_equal(strlen(prefix), AUTH_APITOKEN_PREFIX_LEN);
    assert_int_equal(strncmp(tok, prefix, AUTH_APITOKEN_PREFIX_LEN), 0);
    assert_string_not_equal(tok, tok2);
    crypto_hash_sha256(sha, (const unsigned char *)tok, strlen(tok));
    assert_memory_equal(hash, sha, sizeof sha);

    unsigned char looked[AUTH_HASH_BYTES];
    assert_int_equal(auth_apitoken_hash(tok, strlen(tok), looked), 0);
    assert_memory_equal(looked, hash, sizeof hash);
    ct_compares = 0;
    assert_int_equal(auth_apitoken_verify(tok, strlen(tok), hash), 0);
    assert_int_equal(ct_compares, 1);
    assert_int_equal(auth_apitoken_verify(tok2, strlen(tok2), hash), HARK_EBADTOKEN);
    assert_int_equal(ct_compares, 2);
    char tweaked[AUTH_APITOKEN_MAX];
    memcpy(tweaked, tok, sizeof tweaked);
    tweaked[AUTH_APITOKEN_LEN - 1] = tweaked[AUTH_APITOKEN_LEN - 1] == 'a' ? 'b' : 'a';
    assert_int_equal(auth_apitoken_verify(tweaked, strlen(tweaked), hash), HARK_EBADTOKEN);
    /* Malformed: no lookup needed. */
    const char *bad[] = {"",
                         "hark_",
                         "hark_short",
                         "HARK_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         "hark_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-",
                         "hark_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(auth_apitoken_hash(bad[i], strlen(bad[i]), looked), HARK_EBADTOKEN);
    /* A length that stops inside the string is what counts. */
    assert_int_equal(auth_apitoken_hash(tok, strlen(tok) - 1, looked), HARK_EBADTOKEN);

    const char *t;
    size_t n;
    char hdr[80];
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    assert_int_equal(auth_bearer_token(hdr, &t, &n), 0);
    assert_int_equal(n, AUTH_APITOKEN_LEN);
    assert_memory_equal(t, tok, n);
    snprintf(hdr, sizeof hdr, "  bearer\t%s  ", tok);
    assert_int_equal(auth_bearer_token(hdr, &t, &n), 0);
    assert_int_equal(auth_apitoken_verify(t, n, hash), 0);
    assert_int_equal(auth_bearer_token(NULL, &t, &n), HARK_ENOTFOUND);
    assert_int_equal(auth_bearer_token("Basic dXNlcjpwYXNz", &t, &n), HARK_ENOTFOUND);
    assert_int_equal(auth_bearer_token("Bearerxyz", &t, &n), HARK_ENOTFOUND);
    assert_int_equal(auth_bearer_token("Bearer", &t, &n), HARK_EINVAL);
    assert_int_equal(auth_bearer_token("Bearer   ", &t, &n), HARK_EINVAL);
    assert_int_equal(auth_bearer_token("Bearer a b", &t, &n), HARK_EINVAL);
}

static void api_scopes(void **state) {
    (void)state;
    uint32_t s = 0;
    char err[128], text[AUTH_SCOPES_TEXT_MAX];
    assert_int_equal(auth_scopes_parse("read:dashboard,write:employees", &s, err, sizeof err), 0);
    assert_int_equal(s, AUTH_SCOPE_READ_DASHBOARD | AUTH_SCOPE_WRITE_EMPLOYEES);
    assert_int_equal(auth_scopes_parse(" write:employees , read:dashboard,read:dashboard ", &s, NULL, 0), 0);
    assert_int_equal(s, AUTH_SCOPE_READ_DASHBOARD | AUTH_SCOPE_WRITE_EMPLOYEES);
    assert_int_equal(auth_scopes_format(s, text, sizeof text), 0);
    assert_string_equal(text, "read:dashboard,write:employees");

    const char *all = "read:dashboard,read:comments,read:employees,write:employees,read:escalations,"
                      "write:escalations,read:audit";
    assert_int_equal(auth_scopes_parse(all, &s, err, sizeof err), 0);
    assert_int_equal(s, AUTH_SCOPE_ALL);
    assert_int_equal(auth_scopes_format(AUTH_SCOPE_ALL, text, sizeof text), 0);
    assert_string_equal(text, all);
    for (uint32_t bit = 1; bit & AUTH_SCOPE_ALL; bit <<= 1) { /* every scope round-trips alone */
        assert_int_equal(auth_scopes_format(bit, text, sizeof text), 0);
        assert_int_equal(auth_scopes_parse(text, &s, NULL, 0), 0);
        assert_int_equal(s, bit);
    }

    assert_int_equal(auth_scopes_parse("read:dashboard,admin", &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(s, 0);
    assert_non_null(strstr(err, "admin"));
    assert_int_equal(auth_scopes_parse("Read:Dashboard", &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(auth_scopes_parse("read:dashboard,,read:audit", &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(auth_scopes_parse("read:dashboard,", &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(auth_scopes_parse("", &s, err, sizeof err), HARK_EINVAL);
    assert_non_null(strstr(err, "no scope"));
    assert_int_equal(auth_scopes_parse(" ", &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(auth_scopes_parse(NULL, &s, err, sizeof err), HARK_EINVAL);
    assert_int_equal(auth_scopes_format(1u << 20, text, sizeof text), HARK_EINVAL);
    assert_int_equal(auth_scopes_format(AUTH_SCOPE_ALL, text, 20), HARK_ETOOBIG);
    assert_int_equal(auth_scopes_format(0, text, sizeof text), 0);
    assert_string_equal(text, "");

    uint32_t have = AUTH_SCOPE_READ_DASHBOARD | AUTH_SCOPE_WRITE_EMPLOYEES;
    assert_true(auth_scopes_allow(have, AUTH_SCOPE_READ_DASHBOARD));
    assert_true(auth_scopes_allow(have, AUTH_SCOPE_READ_DASHBOARD | AUTH_SCOPE_WRITE_EMPLOYEES));
    assert_false(auth_scopes_allow(have, AUTH_SCOPE_READ_EMPLOYEES)); /* write does not imply read */
    assert_false(auth_scopes_allow(have, AUTH_SCOPE_READ_DASHBOARD | AUTH_SCOPE_READ_AUDIT));
}

/* ---- login throttling ---- */

#define ACCT "acme/alice@example.com"
#define ADDR "198.51.100.7"

static void throttle_delays_grow_and_cap(void **state) {
    (void)state;
    auth_throttle *t = auth_throttle_new(64, NULL, NULL);
    assert_non_null(t);
    for (int i = 0; i < 5; i++) { /* five free failures */
        assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0), 0);
        auth_throttle_fail(t, ACCT, ADDR, T0);
    }
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0), 1000);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 999), 1);
    int64_t now = T0 + 1000;
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, now), 0);
    auth_throttle_fail(t, ACCT, ADDR, now);
    const int64_t expect[] = {2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        assert_int_equal(auth_throttle_check(t, ACCT, ADDR, now), expect[i]);
        assert_int_equal(auth_throttle_check(t, ACCT, ADDR, now + expect[i] - 1), 1);
        now += expect[i];
        assert_int_equal(auth_throttle_check(t, ACCT, ADDR, now), 0);
        auth_throttle_fail(t, ACCT, ADDR, now);
    }
    /* E-mail case does not make a new account. */
    assert_int_equal(auth_throttle_check(t, "acme/ALICE@Example.com", "203.0.113.9", now), 30000);
    /* A clock that went back neither crashes nor waits past the cap. */
    int64_t w = auth_throttle_check(t, ACCT, ADDR, now - 10 * MIN);
    assert_true(w > 0 && w <= 30000);
    auth_throttle_free(t);
}

/* An attacker who waits exactly as told, for three hours: never more than
 * 100 failures in any hour, and never shut out for good. */
static void throttle_hourly_cap_and_sliding_window(void **state) {
    (void)state;
    auth_throttle *t = auth_throttle_new(64, NULL, NULL);
    static int64_t at[2000];
    int n = 0;
    for (int64_t now = T0; now < T0 + 3 * HOUR;) {
        int64_t w = auth_throttle_check(t, ACCT, NULL, now);
        if (w) {
            assert_true(w > 0);
            now += w;
            continue;
        }
        assert_true(n < 2000);
        at[n++] = now;
        auth_throttle_fail(t, ACCT, NULL, now);
    }
    for (int i = 0, j = 0; i < n; i++) {
        while (j < n && at[j] < at[i] + HOUR) j++;
        assert_true(j - i <= 100);
    }
    int first_hour = 0, last_hour = 0;
    for (int i = 0; i < n; i++) {
        first_hour += at[i] < T0 + HOUR;
        last_hour += at[i] >= T0 + 2 * HOUR;
    }
    assert_int_equal(first_hour, 100); /* the delays alone would allow about 125 */
    assert_true(last_hour >= 50);      /* the window slides on */

    /* 100 quick failures: blocked until the bucket holding them leaves the
     * window 65 minutes later, then free again (no delay: nothing counts). */
    auth_throttle_free(t);
    t = auth_throttle_new(64, NULL, NULL);
    for (int i = 0; i < 100; i++) auth_throttle_fail(t, ACCT, NULL, T0 + i);
    assert_int_equal(auth_throttle_check(t, ACCT, NULL, T0 + 10 * MIN), 55 * MIN);
    assert_int_equal(auth_throttle_check(t, ACCT, NULL, T0 + 65 * MIN - 1), 1);
    assert_int_equal(auth_throttle_check(t, ACCT, NULL, T0 + 65 * MIN), 0);
    auth_throttle_free(t);
}

static void throttle_success_resets_account_only(void **state) {
    (void)state;
    /* Room for far more than the 27 keys used here: with the hash keyed at
     * random, 64 entries (8 sets) overflow one set in about 1 run in 100 and
     * evict the address this test follows (throttle_table_bounded tests
     * eviction). */
    auth_throttle *t = auth_throttle_new(4096, NULL, NULL);
    for (int i = 0; i < 7; i++) auth_throttle_fail(t, ACCT, ADDR, T0);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0), 4000);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 4000), 0);
    auth_throttle_success(t, ACCT, ADDR, T0 + 4000);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 4000), 0); /* the account starts afresh */
    auth_throttle_release(t, ACCT, ADDR, T0 + 4000);

    /* An address that guessed at many accounts stays slowed after one of its
     * logins succeeds. */
    const char *bot = "203.0.113.66";
    char acct[64];
    for (int i = 0; i < 25; i++) {
        snprintf(acct, sizeof acct, "acme/user%d@example.com", i);
        auth_throttle_fail(t, acct, bot, T0);
    }
    assert_int_equal(auth_throttle_check(t, "acme/mallory@example.com", bot, T0), 30000);
    assert_int_equal(auth_throttle_check(t, "acme/mallory@example.com", bot, T0 + 30000), 0);
    auth_throttle_success(t, "acme/mallory@example.com", bot, T0 + 30000);
    assert_int_equal(auth_throttle_check(t, "acme/mallory@example.com", bot, T0 + 30000), 30000);
    auth_throttle_free(t);
}

static void throttle_accounts_and_addresses_apart(void **state) {
    (void)state;
    auth_throttle *t = auth_throttle_new(256, NULL, NULL);
    const char *bot = "203.0.113.66";
    char acct[64];
    int64_t now = T0;
    /* One address sprays 40 accounts, waiting as told. */
    for (int i = 0; i < 40; i++) {
        snprintf(acct, sizeof acct, "acme/user%d@example.com", i);
        int64_t w;
        while ((w = auth_throttle_check(t, acct, bot, now)) > 0) now += w;
        auth_throttle_fail(t, acct, bot, now);
    }
    assert_true(now - T0 >= 15 * 30000); /* it was slowed: 20 free, then up to 30 s each */
    assert_int_equal(auth_throttle_check(t, "acme/new@example.com", bot, now), 30000);
    /* The owners of those accounts, from their own addresses, are not held up. */
    for (int i = 0; i < 40; i++) {
        snprintf(acct, sizeof acct, "acme/user%d@example.com", i);
        assert_int_equal(auth_throttle_check(t, acct, "192.0.2.10", now), 0);
        auth_throttle_success(t, acct, "192.0.2.10", now);
    }
    /* One account tried from many addresses is throttled from everywhere. */
    for (int i = 0; i < 10; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "198.51.100.%d", 100 + i);
        auth_throttle_fail(t, ACCT, addr, now);
    }
    assert_int_equal(auth_throttle_check(t, ACCT, "192.0.2.200", now), 30000);
    assert_int_equal(auth_throttle_check(t, "acme/bob@example.com", "192.0.2.200", now), 0);
    auth_throttle_release(t, "acme/bob@example.com", "192.0.2.200", now);

    /* IPv6 addresses count by their /64; IPv4-mapped ones as IPv4. */
    for (int i = 0; i < 20; i++) {
        snprintf(acct, sizeof acct, "acme/v6-%d@example.com", i);
        char addr[64];
        snprintf(addr, sizeof addr, "2001:db8:1:2::%x", i + 1);
        auth_throttle_fail(t, acct, addr, now);
    }
    assert_int_equal(auth_throttle_check(t, "acme/x@example.com", "2001:db8:1:2:ffff::9", now), 1000);
    assert_int_equal(auth_throttle_check(t, "acme/x@example.com", "2001:db8:1:3::1", now), 0);
    assert_int_equal(auth_throttle_check(t, "acme/y@example.com", "::ffff:203.0.113.66", now), 30000);
    auth_throttle_free(t);
}

static void throttle_attempts_in_flight(void **state) {
    (void)state;
    auth_throttle *t = auth_throttle_new(64, NULL, NULL);
    for (int i = 0; i < 5; i++) auth_throttle_fail(t, ACCT, ADDR, T0);
    /* Two requests in parallel: the second sees the first as a failure. */
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 1000), 0);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 1000), 2000);
    auth_throttle_release(t, ACCT, ADDR, T0 + 1100);
    assert_int_equal(auth_throttle_check(t, ACCT, ADDR, T0 + 1100), 900);

    /* An attempt never resolved holds its place for a minute, no longer. */
    const auth_throttle_policy one = {0, 0, 0, 1};
    auth_throttle *u = auth_throttle_new(8, &one, NULL);
    assert_int_equal(auth_throttle_check(u, ACCT, NULL, T0), 0);
    assert_int_equal(auth_throttle_check(u, ACCT, NULL, T0 + 59999), 1000);
    assert_int_equal(auth_throttle_check(u, ACCT, NULL, T0 + 60000), 0);
    auth_throttle_fail(u, ACCT, NULL, T0 + 60000);
    assert_int_equal(auth_throttle_check(u, ACCT, NULL, T0 + 60000), 65 * MIN - 60000);
    auth_throttle_free(u);
    auth_throttle_free(t);

    const auth_throttle_policy none = {0, 0, 0, 0};
    assert_null(auth_throttle_new(8, &none, NULL));
}

static void throttle_table_bounded(void **state) {
    (void)state;
    /* Capacity 8 is one set: the entry used least recently goes first. */
    auth_throttle *t = auth_throttle_new(8, NULL, NULL);
    char acct[64];
    for (int i = 0; i < 9; i++) {
        snprintf(acct, sizeof acct, "acme/u%d@example.com", i);
        for (int k = 0; k < 5; k++) auth_throttle_fail(t, acct, NULL, T0 + i);
        assert_int_equal(auth_throttle_used(t), i < 8 ? (size_t)i + 1 : 8);
    }
    assert_int_equal(auth_throttle_evictions(t), 1);
    for (int i = 1; i < 9; i++) {
        snprintf(acct, sizeof acct, "acme/u%d@example.com", i);
        assert_true(auth_throttle_check(t, acct, NULL, T0 + 9) > 0);
    }
    assert_int_equal(auth_throttle_check(t, "acme/u0@example.com", NULL, T0 + 9), 0); /* forgotten */
    auth_throttle_free(t);

    /* Many keys: memory stays at its capacity (rounded up to 8s). */
    t = auth_throttle_new(10, NULL, NULL);
    for (int i = 0; i < 5000; i++) {
        snprintf(acct, sizeof acct, "acme/spray%d@example.com", i);
        char addr[32];
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        auth_throttle_fail(t, acct, addr, T0 + i);
        assert_true(auth_throttle_used(t) <= 16);
    }
    assert_int_equal(auth_throttle_used(t), 16);
    assert_true(auth_throttle_evictions(t) >= 2 * 5000 - 16);

    /* A login that succeeds at once leaves nothing behind. */
    auth_throttle *q = auth_throttle_new(64, NULL, NULL);
    assert_int_equal(auth_throttle_check(q, ACCT, ADDR, T0), 0);
    assert_int_equal(auth_throttle_used(q), 2);
    auth_throttle_success(q, ACCT, ADDR, T0);
    assert_int_equal(auth_throttle_used(q), 0);
    /* Nor does an hour of quiet after failures. */
    auth_throttle_fail(q, ACCT, ADDR, T0);
    assert_int_equal(auth_throttle_used(q), 2);
    assert_int_equal(auth_throttle_check(q, ACCT, ADDR, T0 + 2 * HOUR), 0);
    auth_throttle_release(q, ACCT, ADDR, T0 + 2 * HOUR);
    assert_int_equal(auth_throttle_used(q), 0);
    auth_throttle_free(q);
    auth_throttle_free(t);
    auth_throttle_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_hash_and_verify),
        cmocka_unit_test(password_needs_rehash),
        cmocka_unit_test(session_tokens),
        cmocka_unit_test(session_timeouts),
        cmocka_unit_test(session_refresh_throttled),
        cmocka_unit_test(csrf_tokens),
        cmocka_unit_test(origin_check),
        cmocka_unit_test(cookie_parsing),
        cmocka_unit_test(cookie_building),
        cmocka_unit_test(security_headers),
        cmocka_unit_test(api_tokens),
        cmocka_unit_test(api_scopes),
        cmocka_unit_test(throttle_delays_grow_and_cap),
        cmocka_unit_test(throttle_hourly_cap_and_sliding_window),
        cmocka_unit_test(throttle_success_resets_account_only),
        cmocka_unit_test(throttle_accounts_and_addresses_apart),
        cmocka_unit_test(throttle_attempts_in_flight),
        cmocka_unit_test(throttle_table_bounded),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
