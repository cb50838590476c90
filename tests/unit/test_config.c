/* Unit tests for configuration (core/config.c): defaults, file, environment
 * and flags in that order of precedence, and errors that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"

static int load(hark_config *c, int argc, char **argv, char *err, size_t cap, int *nrest, char **rest) {
    config_defaults(c);
    return config_load(c, argc, argv, rest, nrest, err, cap);
}

static void defaults(void **state) {
    (void)state;
    hark_config c;
    char err[256], *rest[4];
    int n;
    unsetenv("HARK_LISTEN");
    assert_int_equal(load(&c, 0, NULL, err, sizeof err, &n, rest), 0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.data_dir, "./var");
    assert_string_equal(c.durability, "full");
    assert_int_equal(c.chat_persist, 1);
    assert_int_equal(c.max_body_bytes, 1048576);
    char url[1100];
    config_db_url(&c, url, sizeof url);
    assert_string_equal(url, "sqlite:./var/hark.db");
    config_public_url(&c, url, sizeof url);
    assert_string_equal(url, "http://127.0.0.1:8080");
}

static void precedence(void **state) {
    (void)state;
    char path[] = "/tmp/hark-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *ini = "listen = 127.0.0.1:7000\ndata_dir = /tmp/from-file\n[hark]\nlog_level = debug\n";
    assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
    close(fd);
    setenv("HARK_DATA_DIR", "/tmp/from-env", 1);
    char cfgflag[64];
    snprintf(cfgflag, sizeof cfgflag, "--config=%s", path);
    char *argv[] = {"serve", cfgflag, "--data-dir", "/tmp/from-flag", "--chat-persist", "false", "extra"};
    hark_config c;
    char err[256], *rest[8];
    int n;
    assert_int_equal(load(&c, 7, argv, err, sizeof err, &n, rest), 0);
    assert_string_equal(c.listen, "127.0.0.1:7000");   /* file */
    assert_string_equal(c.data_dir, "/tmp/from-flag"); /* flag beats env beats file */
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.chat_persist, 0);
    assert_int_equal(n, 2);
    assert_string_equal(rest[0], "serve");
    assert_string_equal(rest[1], "extra");
    unsetenv("HARK_DATA_DIR");
    unlink(path);
}

static void errors_name_the_key(void **state) {
    (void)state;
    hark_config c;
    char err[256], *rest[4];
    int n;
    char *a1[] = {"--durability", "sometimes"};
    assert_int_equal(load(&c, 2, a1, err, sizeof err, &n, rest), HARK_EINVAL);
    assert_non_null(strstr(err, "durability"));
    char *a2[] = {"--max-body-bytes=-5"};
    assert_int_equal(load(&c, 1, a2, err, sizeof err, &n, rest), HARK_EINVAL);
    assert_non_null(strstr(err, "max_body_bytes"));
    char *a3[] = {"--listen"};
    assert_int_equal(load(&c, 1, a3, err, sizeof err, &n, rest), HARK_EINVAL);
    assert_non_null(strstr(err, "listen"));
    setenv("HARK_CHAT_MAX_TEXT", "lots", 1);
    assert_int_equal(load(&c, 0, NULL, err, sizeof err, &n, rest), HARK_EINVAL);
    assert_non_null(strstr(err, "HARK_CHAT_MAX_TEXT"));
    unsetenv("HARK_CHAT_MAX_TEXT");
    char path[] = "/tmp/hark-config-XXXXXX";
    int fd = mkstemp(path);
    const char *ini = "no_such_key = 1\n";
    assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
    close(fd);
    char flag[64];
    snprintf(flag, sizeof flag, "--config=%s", path);
    char *a4[] = {flag};
    assert_int_equal(load(&c, 1, a4, err, sizeof err, &n, rest), HARK_EINVAL);
    assert_non_null(strstr(err, "no_such_key"));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(precedence),
        cmocka_unit_test(errors_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
