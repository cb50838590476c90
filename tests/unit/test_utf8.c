/* Unit tests for the strict UTF-8 validator and decoder (core/utf8.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static int valid(const char *s) {
    return utf8_valid((const unsigned char *)s, strlen(s));
}

static void test_valid_text(void **state) {
    (void)state;
    assert_int_equal(utf8_valid(NULL, 0), 1);
    assert_int_equal(valid(""), 1);
    assert_int_equal(valid("plain ASCII, long enough for the 8-byte path"), 1);
    assert_int_equal(valid("caf\xc3\xa9"), 1);      /* é */
    assert_int_equal(valid("\xe2\x82\xac"), 1);     /* € */
    assert_int_equal(valid("\xef\xbf\xbf"), 1);     /* U+FFFF */
    assert_int_equal(valid("\xf0\x9f\x99\x82"), 1); /* 🙂 */
    assert_int_equal(valid("\xf4\x8f\xbf\xbf"), 1); /* U+10FFFF, the last code point */
    assert_int_equal(valid("\xed\x9f\xbf"), 1);     /* U+D7FF, just below the surrogates */
    assert_int_equal(valid("\xee\x80\x80"), 1);     /* U+E000, just above them */
    assert_int_equal(valid("abcdefgh\xc3\xa9ijklmnop\xe6\x9d\xb1"), 1);
    assert_int_equal(utf8_valid((const unsigned char *)"a\0b", 3), 1); /* U+0000 is a character */
}

static void test_rejects_malformed(void **state) {
    (void)state;
    static const char *bad[] = {
        "\x80", /* lone continuation byte */
        "\xbf",
        "\xc0\x80",     /* overlong NUL */
        "\xc1\xbf",     /* overlong 2-byte */
        "\xe0\x80\x80", /* overlong 3-byte */
        "\xe0\x9f\xbf",
        "\xf0\x80\x80\x80", /* overlong 4-byte */
        "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80",
        "\xff",
        "\xfe",
        "\xe2\x82", /* truncated at the end */
        "\xf0\x9f\x99",
        "\xc3",
        "\xe2\x28\xa1", /* bad continuation */
        "\xc3\x28",
        "abcdefgh\xc3\x28ijkl", /* bad byte after the ASCII fast path */
        "abcdefghijklmnop\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (valid(bad[i]) != 0) fail_msg("case %zu accepted", i);
    }
    /* A valid sequence cut by LEN is invalid. */
    assert_int_equal(utf8_valid((const unsigned char *)"\xc3\xa9", 1), 0);
}

static void test_decode(void **state) {
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(utf8_decode((const unsigned char *)"\xe2\x80\x99", 3, &cp), 3);
    assert_int_equal(cp, 0x2019);
    assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x9e", 4, &cp), 4);
    assert_int_equal(cp, 0x1F61E);
    assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10FFFF);
    cp = 7;
    assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
    assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98", 3, &cp), 0);
    assert_int_equal(utf8_decode((const unsigned char *)"x", 0, &cp), 0);
    assert_int_equal(cp, 7); /* untouched on failure */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_text),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
