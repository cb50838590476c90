/* Unit tests for invite tokens (core/token.c): round trip, expiry, tampering,
 * wrong key, malformed input, and the secret key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/token.h"

static unsigned char key[TOKEN_KEY_BYTES], other[TOKEN_KEY_BYTES];

static int setup(void **state) {
    (void)state;
    if (sodium_init() < 0) return -1;
    randombytes_buf(key, sizeof key);
    randombytes_buf(other, sizeof other);
    return 0;
}

static void round_trip(void **state) {
    (void)state;
    char tok[TOKEN_MAX];
    token_claims in = {42, 123456789, 2000000000000LL}, out;
    assert_int_equal(token_make(key, &in, tok, sizeof tok), 0);
    assert_true(strlen(tok) < TOKEN_MAX);
    for (const char *p = tok; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    assert_int_equal(token_parse(key, tok, strlen(tok), 1000, &out), 0);
    assert_int_equal(out.tenant_id, 42);
    assert_int_equal(out.invite_id, 123456789);
    assert_int_equal(out.expires_at, 2000000000000LL);
}

static void expired(void **state) {
    (void)state;
    char tok[TOKEN_MAX];
    token_claims in = {1, 2, 5000}, out;
    assert_int_equal(token_make(key, &in, tok, sizeof tok), 0);
    assert_int_equal(token_parse(key, tok, strlen(tok), 4999, &out), 0);
    assert_int_equal(token_parse(key, tok, strlen(tok), 5000, &out), HARK_EEXPIRED);
    assert_int_equal(out.invite_id, 2);
}

static void tampered(void **state) {
    (void)state;
    char tok[TOKEN_MAX];
    token_claims in = {7, 8, 9000000000000LL}, out;
    assert_int_equal(token_make(key, &in, tok, sizeof tok), 0);
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        char saved = tok[i];
        tok[i] = saved == 'A' ? 'B' : 'A';
        /* The last character carries spare bits that decoding may ignore. */
        int rc = token_parse(key, tok, n, 0, &out);
        if (i + 1 < n) assert_int_equal(rc, HARK_EBADTOKEN);
        tok[i] = saved;
    }
    assert_int_equal(token_parse(other, tok, n, 0, &out), HARK_EBADTOKEN);
}

static void malformed(void **state) {
    (void)state;
    token_claims out;
    const char *bad[] = {
        "", "abc", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(token_parse(key, bad[i], strlen(bad[i]), 0, &out), HARK_EBADTOKEN);
    char tok[TOKEN_MAX];
    token_claims zero = {0, 1, 1};
    assert_int_equal(token_make(key, &zero, tok, sizeof tok), HARK_EINVAL);
}

static void key_file(void **state) {
    (void)state;
    char dir[] = "/tmp/hark-token-XXXXXX", path[64];
    unsigned char a[TOKEN_KEY_BYTES], b[TOKEN_KEY_BYTES];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/secret.key", dir);
    assert_int_equal(token_key_load_or_create(path, a), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, TOKEN_KEY_BYTES);
    assert_int_equal(token_key_load_or_create(path, b), 0);
    assert_memory_equal(a, b, TOKEN_KEY_BYTES);
    FILE *f = fopen(path, "a");
    fputs("x", f);
    fclose(f);
    assert_int_equal(token_key_load_or_create(path, b), HARK_EINVAL);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip), cmocka_unit_test(expired),  cmocka_unit_test(tampered),
        cmocka_unit_test(malformed),  cmocka_unit_test(key_file),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
