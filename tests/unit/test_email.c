/* Unit tests for the email address check (core/email.h): the addresses it
 * accepts, each reason it gives (in the order the import shows them), the
 * length bound, text that is not clean UTF-8, the characters a mail header
 * cannot take, and that no reason quotes the address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/email.h"

static const char *why(const char *s) {
    return email_problem(s, strlen(s));
}

static void test_accepts(void **state) {
    (void)state;
    static const char *good[] = {
        "a@b.co",
        "ann@acme.test",
        "first.last+tag@mail.acme.co.uk",
        "o'brien@acme.test",
        "ann_lee-2@sub-domain.acme.test",
        "\xC3\xA9lodie@exemple.fr",   /* élodie: UTF-8 in the local part */
        "ann@m\xC3\xBCnchen.example", /* a UTF-8 domain */
        "a.b@1.2",                    /* digits are a domain too */
        "ann.@acme.test",             /* the local part's dots are not checked */
        "ann@acme-.test",             /* nor hyphens */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *w = why(good[i]);
        if (w) fail_msg("case %zu refused: %s", i, w);
    }
}

static void test_reasons(void **state) {
    (void)state;
    static const struct {
        const char *email, *why;
    } bad[] = {
        {"", "is empty"},
        {"ann.acme.test", "has no '@'"},
        {"ann@@acme.test", "has more than one '@'"},
        {"ann@acme@test.io", "has more than one '@'"},
        {"ann lee@acme.test", "contains a space"},
        {" ann@acme.test", "contains a space"},
        {"ann@acme.test ", "contains a space"},
        {"@acme.test", "has nothing before the '@'"},
        {"ann@", "has no domain after the '@'"},
        {"ann@localhost", "has no dot in its domain"},
        {"ann@.acme.test", "has a domain that starts or ends with a dot"},
        {"ann@acme.test.", "has a domain that starts or ends with a dot"},
        {"ann@.", "has a domain that starts or ends with a dot"},
        {"ann@acme..test", "has two dots in a row in its domain"},
        /* Reasons come in a fixed order: the first that applies. */
        {"a b", "has no '@'"},
        {"a b@@x", "has more than one '@'"},
        {"a b@x", "contains a space"},
        {"@x", "has nothing before the '@'"},
        {"a@.x.", "has a domain that starts or ends with a dot"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *w = why(bad[i].email);
        if (!w || strcmp(w, bad[i].why)) fail_msg("case %zu (%s): got %s", i, bad[i].email, w ? w : "(accepted)");
    }
}

/* What cannot stand unquoted in a mail header's address is refused, after
 * every other check. */
static void test_header_characters(void **state) {
    (void)state;
    static const char *bad[] = {
        "<ann@acme.test>", "ann<x@acme.test",   "ann>@acme.test",  "ann(x)@acme.test", "ann,bob@acme.test",
        "ann;@acme.test",  "\"ann\"@acme.test", "an\\n@acme.test", "ann@acme.test,",   "ann@(acme).test",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *w = why(bad[i]);
        if (!w || strcmp(w, "contains one of < > ( ) , ; \" \\"))
            fail_msg("case %zu (%s): got %s", i, bad[i], w ? w : "(accepted)");
    }
    /* An earlier reason wins. */
    assert_string_equal(why("<ann>"), "has no '@'");
    assert_string_equal(why("ann,lee@localhost"), "has no dot in its domain");
}

static void test_text(void **state) {
    (void)state;
    assert_string_equal(why("ann\t@acme.test"), "contains a control character");
    assert_string_equal(why("ann@acme.test\n"), "contains a control character");
    assert_string_equal(why("ann@acme.test\r"), "contains a control character");
    assert_string_equal(why("an\x7Fn@acme.test"), "contains a control character");
    assert_string_equal(why("an\xC2\x85n@acme.test"), "contains a control character"); /* U+0085, C1 */
    assert_string_equal(why("an\xC3\x28n@acme.test"), "is not valid UTF-8");
    assert_string_equal(why("an\xEDn@acme.test"), "is not valid UTF-8");
    assert_string_equal(why("ann@acme.test\xC3"), "is not valid UTF-8");      /* cut at the end */
    assert_string_equal(why("\xED\xA0\x80@acme.test"), "is not valid UTF-8"); /* a surrogate */
    /* A NUL is a control character, not the end: LEN counts. */
    assert_string_equal(email_problem("ann\0x@acme.test", 15), "contains a control character");
    /* Only LEN bytes are read. */
    assert_null(email_problem("ann@acme.test, and more", 13));
    assert_string_equal(email_problem(NULL, 0), "is empty");
}

static void test_length(void **state) {
    (void)state;
    char s[EMAIL_MAX + 2];
    memset(s, 'a', sizeof s);
    memcpy(s + EMAIL_MAX + 1 - 10, "@acme.test", 10); /* 255 bytes */
    assert_int_equal(EMAIL_MAX, 254);
    assert_string_equal(email_problem(s, EMAIL_MAX + 1), "is longer than 254 bytes");
    assert_null(email_problem(s + 1, EMAIL_MAX));
}

/* Reasons are fixed phrases: the address, personal data, is never in one. */
static void test_no_echo(void **state) {
    (void)state;
    static const char *bad[] = {"zed.secret", "zed@secret", "zed@@secret.test", "zed secret@x.y", "zed<secret>@x.y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *w = why(bad[i]);
        assert_non_null(w);
        assert_null(strstr(w, "zed"));
        assert_null(strstr(w, "secret"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts), cmocka_unit_test(test_reasons), cmocka_unit_test(test_header_characters),
        cmocka_unit_test(test_text),    cmocka_unit_test(test_length),  cmocka_unit_test(test_no_echo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
