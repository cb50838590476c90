/* Unit tests for themes (nlp/themes.h): words and what is dropped, plural
 * folding, phrases within a clause, counting once per comment, mean
 * sentiment, the bound on terms, the order of the top list, and any input
 * (invalid UTF-8, emoji, huge comments, random bytes) handled without harm. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "nlp/sentiment.h"
#include "nlp/themes.h"

#define ALL 1000

static nlp_themes *themes(size_t max_terms) {
    nlp_themes *t = nlp_themes_new(max_terms);
    assert_non_null(t);
    return t;
}

static void add(nlp_themes *t, const char *text, double compound) {
    assert_int_equal(nlp_themes_add(t, text, strlen(text), compound), HARK_OK);
}

/* The theme TERM among all themes of T (phrases from one use on), or NULL. */
static const nlp_theme *lookup(const nlp_themes *t, const char *term) {
    static nlp_theme all[ALL];
    size_t n = nlp_themes_top(t, all, ALL, 1);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].term, term)) return &all[i];
    return NULL;
}

static unsigned count_of(const nlp_themes *t, const char *term) {
    const nlp_theme *x = lookup(t, term);
    return x ? x->count : 0;
}

static size_t themes_in(const nlp_themes *t) {
    static nlp_theme all[ALL];
    return nlp_themes_top(t, all, ALL, 1);
}

/* The themes TEXT alone yields, as "a|b|c" in order (terms and phrases). */
static void expect_themes(const char *text, const char *want) {
    nlp_themes *t = themes(0);
    add(t, text, 0);
    nlp_theme all[32];
    size_t n = nlp_themes_top(t, all, 32, 1);
    char got[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s", i ? "|" : "", all[i].term);
    if (strcmp(got, want) != 0) fail_msg("\"%s\": expected themes \"%s\", got \"%s\"", text, want, got);
    nlp_themes_free(t);
}

static void test_word_lists_valid(void **state) {
    (void)state;
    assert_int_equal(nlp_themes_check(), HARK_OK);
}

static void test_stop_words(void **state) {
    (void)state;
    expect_themes("I really just got a lot of things, and also a bit more.", "");
    expect_themes("It's what they're saying: don't get me wrong, yeah", "wrong");
    expect_themes("It\xe2\x80\x99s the way it is, isn\xe2\x80\x99t it", "way");
    expect_themes("You know, I think it would be nice", "nice");
    /* A plural of a stop word is one too. */
    expect_themes("bits and kinds of stuff", "");
    /* Words of fewer than three letters go, whatever they are. */
    expect_themes("HR is ok ya", "");
    expect_themes("pay raise", "pay|pay raise|raise");
}

static void test_plural_folding(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"managers", "manager"},
        {"meetings", "meeting"},
        {"policies", "policy"},
        {"processes", "process"},
        {"boxes", "box"},
        {"process", "process"},
        {"status", "status"},
        {"statuses", "status"},
        {"bus", "bus"},
        {"buses", "bus"},
        {"analysis", "analysis"},
        {"news", "news"},
        {"series", "series"},
        {"always", ""},
        {"its", ""},
        {"lunches", "lunch"},
        {"headaches", "headache"},
        {"coaches", "coach"},
        {"caches", "cache"},
        {"employees", "employee"},
        {"leaves", "leave"},
        {"companies", "company"},
        {"wishes", "wish"},
        {"buzzes", "buzz"},
        {"sizes", "size"},
        {"classes", "class"},
        {"ideas", "idea"},
        {"days", "day"},
        {"ties", "tie"},
        {"bonuses", "bonus"},
        {"lives", "life"},
        {"children", "child"},
        {"sales", "sales"},
        {"bias", "bias"},
        {"stress", "stress"},
        {"focus", "focus"},
        {"crisis", "crisis"},
        {"movies", "movie"},
        {"Managers", "manager"},
        {"manager's", "manager"},
        {"managers'", "manager"},
        {"caf\xc3\xa9s", "caf\xc3\xa9"},
        {"one-on-ones", "one-on-one"},
        {"ads", "ads"},
        {"kudos", "kudos"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_themes(cases[i][0], cases[i][1]);
    expect_themes("manager\xe2\x80\x99s", "manager");

    /* The folded form is the one counted and reported. */
    nlp_themes *t = themes(0);
    add(t, "My manager is great", 0.6);
    add(t, "Managers never listen", -0.4);
    add(t, "The processes are slow", -0.2);
    add(t, "One process for everything", 0);
    assert_int_equal(count_of(t, "manager"), 2);
    assert_int_equal(count_of(t, "process"), 2);
    assert_null(lookup(t, "managers"));
    assert_null(lookup(t, "proces"));
    nlp_themes_free(t);
}

static void test_words(void **state) {
    (void)state;
    /* ASCII is lower-cased; other letters are kept as they are. */
    expect_themes("WORKLOAD", "workload");
    expect_themes("\xc3\x89quipe M\xc3\xbcller", "m\xc3\xbcller|\xc3\x89quipe|\xc3\x89quipe m\xc3\xbcller");
    expect_themes("\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd", "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd"); /* three letters */
    expect_themes("\xe6\x9d\xb1\xe4\xba\xac", "");                                                 /* two */
    /* Numbers: digits-only and words of fewer than three letters go. */
    expect_themes("2024, 9am, 1st, 401k, 24/7", "");
    expect_themes("covid19", "covid19");
    /* Hyphenated words stay whole; a hyphen at a word's edge is not part of it. */
    expect_themes("well-being", "well-being");
    expect_themes("work-life balance", "balance|work-life|work-life balance");
    expect_themes("-workload-", "workload");
    /* Apostrophes inside words only. */
    expect_themes("'workload'", "workload");
    /* The longest word kept is NLP_THEME_TERM_MAX bytes. */
    char w[NLP_THEME_TERM_MAX + 2];
    memset(w, 'q', sizeof w - 1);
    w[sizeof w - 1] = '\0';
    expect_themes(w, "");
    w[NLP_THEME_TERM_MAX] = '\0';
    expect_themes(w, w);
}

static void test_phrases(void **state) {
    (void)state;
    expect_themes("work life balance", "balance|life|life balance|work|work life");
    /* A stop word between breaks the phrase: no "lack communication". */
    expect_themes("lack of communication", "communication|lack");
    /* Punctuation, line breaks, emoji, symbols and invalid bytes end a clause. */
    static const char *const apart[] = {
        "team, meeting",   "team. meeting",    "team; meeting",  "team! meeting",
        "team? meeting",   "team: meeting",    "team\nmeeting",  "team \xf0\x9f\x98\x80 meeting",
        "team\xffmeeting", "team - meeting",   "team (meeting)", "team/meeting",
        "team 42 meeting", "team \"meeting\"", "team & meeting", "team\xe2\x80\x94meeting",
    };
    for (size_t i = 0; i < sizeof apart / sizeof apart[0]; i++) expect_themes(apart[i], "meeting|team");
    /* Only white space between: one phrase, whatever the white space. */
    expect_themes("Team \t meetings", "meeting|team|team meeting");
    expect_themes("team\xc2\xa0meeting", "meeting|team|team meeting");
    /* Phrases are reported from MIN_PHRASE uses on. */
    nlp_themes *t = themes(0);
    add(t, "work life balance is hard", -0.3);
    add(t, "better work life balance please", 0.4);
    add(t, "balance of life", 0);
    nlp_theme top[10];
    size_t n = nlp_themes_top(t, top, 10, 2);
    int phrases = 0;
    for (size_t i = 0; i < n; i++) {
        if (!top[i].phrase) continue;
        phrases++;
        assert_true(!strcmp(top[i].term, "work life") || !strcmp(top[i].term, "life balance"));
        assert_int_equal(top[i].count, 2);
    }
    assert_int_equal(phrases, 2);
    n = nlp_themes_top(t, top, 10, 3);
    for (size_t i = 0; i < n; i++) assert_false(top[i].phrase);
    nlp_themes_free(t);
}

static void test_once_per_comment(void **state) {
    (void)state;
    nlp_themes *t = themes(0);
    add(t, "meeting after meeting, meetings all day. MEETINGS!", -0.5);
    assert_int_equal(count_of(t, "meeting"), 1);
    add(t, "team lunch, then team lunch again", 0.5);
    assert_int_equal(count_of(t, "team lunch"), 1);
    add(t, "too many meetings", -0.2);
    assert_int_equal(count_of(t, "meeting"), 2);
    assert_int_equal(nlp_themes_comments(t), 3);
    nlp_themes_free(t);
}

static void test_mean_sentiment(void **state) {
    (void)state;
    nlp_themes *t = themes(0);
    add(t, "workload", 0.5);
    add(t, "workload workload", -0.3);
    add(t, "the workload", 0.7);
    add(t, "salary", 0.2);
    const nlp_theme *x = lookup(t, "workload");
    assert_non_null(x);
    assert_int_equal(x->count, 3);
    assert_true(fabs(x->sentiment - 0.3) < 1e-12);
    assert_true(fabs(lookup(t, "salary")->sentiment - 0.2) < 1e-12);
    /* Out-of-range compounds are clamped, NaN counts as 0. */
    add(t, "bonus", 5);
    add(t, "bonus", NAN);
    add(t, "bonus", -INFINITY);
    assert_true(fabs(lookup(t, "bonus")->sentiment - 0) < 1e-12);
    add(t, "pension", 3);
    assert_true(lookup(t, "pension")->sentiment == 1);
    nlp_themes_free(t);

    /* With the real scorer: the sign follows the comments. */
    t = themes(0);
    const char *const comments[] = {"My manager is supportive and kind", "I love my manager",
                                    "The workload is terrible", "Workload is crushing me, I am exhausted"};
    for (size_t i = 0; i < 4; i++) {
        nlp_sentiment sc;
        nlp_sentiment_score(comments[i], strlen(comments[i]), &sc);
        add(t, comments[i], sc.compound);
    }
    assert_true(lookup(t, "manager")->sentiment > 0.05);
    assert_true(lookup(t, "workload")->sentiment < -0.05);
    nlp_themes_free(t);
}

static void test_ordering(void **state) {
    (void)state;
    /* zebra 3, yak 3, "zebra yak" 2 (its words used 3 times), apple 2 (2), kiwi 1. */
    const char *const comments[] = {"zebra yak", "kiwi", "apple", "zebra yak", "zebra, yak", "apple"};
    const char *const want[] = {"yak", "zebra", "zebra yak", "apple", "kiwi"};
    for (int round = 0; round < 2; round++) {
        nlp_themes *t = themes(0);
        /* The second time in reverse: insertion order and the hash key must not matter. */
        for (size_t i = 0; i < 6; i++) add(t, comments[round ? 5 - i : i], 0);
        nlp_theme top[10];
        size_t n = nlp_themes_top(t, top, 10, 2);
        assert_int_equal(n, 5);
        for (size_t i = 0; i < n; i++) assert_string_equal(top[i].term, want[i]);
        assert_int_equal(top[0].count, 3);
        assert_int_equal(top[2].phrase, 1);
        assert_int_equal(top[3].phrase, 0);
        /* The best two only; none; a phrase bar too high for it. */
        assert_int_equal(nlp_themes_top(t, top, 2, 2), 2);
        assert_string_equal(top[0].term, "yak");
        assert_string_equal(top[1].term, "zebra");
        assert_int_equal(nlp_themes_top(t, top, 0, 2), 0);
        assert_int_equal(nlp_themes_top(t, top, 10, 3), 4);
        assert_string_equal(top[2].term, "apple");
        nlp_themes_free(t);
    }
    /* Many ties: plain bytewise order. */
    nlp_themes *t = themes(0);
    add(t, "delta, alpha, charlie, bravo, echo", 0);
    nlp_theme top[10];
    assert_int_equal(nlp_themes_top(t, top, 3, 2), 3);
    assert_string_equal(top[0].term, "alpha");
    assert_string_equal(top[1].term, "bravo");
    assert_string_equal(top[2].term, "charlie");
    assert_int_equal(nlp_themes_top(NULL, top, 3, 2), 0);
    assert_int_equal(nlp_themes_top(t, NULL, 3, 2), 0);
    nlp_themes_free(t);
}

/* A distinct lower-case word for N. */
static void word_for(unsigned n, char *w) {
    memcpy(w, "term", 4);
    for (int i = 0; i < 5; i++) {
        w[4 + i] = (char)('a' + n % 26);
        n /= 26;
    }
    w[9] = '\0';
}

static void test_bound(void **state) {
    (void)state;
    /* Full of terms used twice: nothing to evict, new terms are not added,
     * counted ones keep counting. */
    nlp_themes *t = themes(4);
    add(t, "alpha, bravo, charlie, delta", 0);
    add(t, "alpha, bravo, charlie, delta", 0);
    assert_int_equal(nlp_themes_dropped(t), 0);
    add(t, "echo", 0);
    add(t, "alpha, foxtrot", 0);
    assert_int_equal(themes_in(t), 4);
    assert_int_equal(count_of(t, "alpha"), 3);
    assert_int_equal(count_of(t, "echo"), 0);
    assert_int_equal(count_of(t, "foxtrot"), 0);
    assert_int_equal(nlp_themes_dropped(t), 2);
    nlp_themes_free(t);

    /* Terms used once make room for new ones. */
    t = themes(4);
    add(t, "alpha, bravo, charlie, delta", 0);
    add(t, "alpha, bravo", 0);
    add(t, "echo", 0); /* charlie and delta go */
    assert_int_equal(count_of(t, "echo"), 1);
    assert_int_equal(count_of(t, "charlie"), 0);
    assert_int_equal(count_of(t, "alpha"), 2);
    assert_int_equal(nlp_themes_dropped(t), 2);
    add(t, "echo", 0);
    assert_int_equal(count_of(t, "echo"), 2);
    assert_true(themes_in(t) <= 4);
    nlp_themes_free(t);

    /* The entries of the comment being added are never evicted for its own
     * later words: "echo" finds no room. */
    t = themes(4);
    add(t, "alpha, bravo", 0);
    add(t, "alpha, bravo", 0);
    add(t, "charlie, delta, echo", 0);
    assert_int_equal(count_of(t, "charlie"), 1);
    assert_int_equal(count_of(t, "delta"), 1);
    assert_int_equal(count_of(t, "echo"), 0);
    nlp_themes_free(t);

    /* An eviction that frees less than a quarter of the table settles it: no
     * more evictions, so "jay" (used once) stays and "kit" finds no room. */
    t = themes(8);
    add(t, "ant, bee, cat, dog, eel, fox, gnu", 0);
    add(t, "ant, bee, cat, dog, eel, fox, gnu", 0);
    add(t, "hen", 0);
    add(t, "jay", 0); /* evicts hen: one entry of eight freed */
    assert_int_equal(count_of(t, "hen"), 0);
    assert_int_equal(count_of(t, "jay"), 1);
    add(t, "kit", 0);
    assert_int_equal(count_of(t, "jay"), 1);
    assert_int_equal(count_of(t, "kit"), 0);
    assert_int_equal(nlp_themes_dropped(t), 2);
    nlp_themes_free(t);

    /* A long stream of distinct words in a small table: the bound holds, the
     * common terms survive with exact counts. */
    t = themes(64);
    char text[64];
    for (unsigned i = 0; i < 20000; i++) {
        char w[10];
        word_for(i, w);
        snprintf(text, sizeof text, "%s, workload%s", w, i % 2 ? ", salary" : "");
        add(t, text, i % 2 ? 0.5 : -0.5);
        assert_true(themes_in(t) <= 64);
    }
    assert_int_equal(count_of(t, "workload"), 20000);
    assert_int_equal(count_of(t, "salary"), 10000);
    assert_true(fabs(lookup(t, "salary")->sentiment - 0.5) < 1e-9);
    assert_true(nlp_themes_dropped(t) > 0);
    nlp_themes_free(t);
}

/* Checks what any input must leave: sane themes. */
static void assert_sane(const nlp_themes *t) {
    static nlp_theme all[ALL];
    size_t n = nlp_themes_top(t, all, ALL, 1);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(all[i].term);
        assert_true(len >= 3 && len <= 2 * NLP_THEME_TERM_MAX + 1);
        assert_true(all[i].count >= 1 && all[i].count <= nlp_themes_comments(t));
        assert_true(all[i].sentiment >= -1 && all[i].sentiment <= 1);
        assert_int_equal(all[i].phrase, strchr(all[i].term, ' ') != NULL);
        if (i) assert_true(all[i].count <= all[i - 1].count);
    }
}

static void test_bad_input(void **state) {
    (void)state;
    nlp_themes *t = themes(0);
    assert_int_equal(nlp_themes_add(t, "", 0, 0), HARK_OK);
    assert_int_equal(nlp_themes_add(t, NULL, 0, 0), HARK_OK);
    assert_int_equal(nlp_themes_add(t, NULL, 5, 0), HARK_EINVAL);
    assert_int_equal(nlp_themes_add(NULL, "x", 1, 0), HARK_EINVAL);
    assert_int_equal(nlp_themes_comments(t), 2);
    assert_int_equal(themes_in(t), 0);
    assert_int_equal(nlp_themes_comments(NULL), 0);
    nlp_themes_free(NULL);
    nlp_themes_free(t);

    /* Invalid UTF-8 separates words: overlong, surrogate, too large, cut short. */
    expect_themes("team\xc0\xafwork", "team|work");
    expect_themes("team\xed\xa0\x80work", "team|work");
    expect_themes("team\xf4\x90\x80\x80work", "team|work");
    expect_themes("team work\xe2\x82", "team|team work|work");
    expect_themes("\xff\xfe\xfd", "");
    /* Emoji are neither words nor parts of words. */
    expect_themes("\xf0\x9f\x98\x80\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "");
    expect_themes("great\xf0\x9f\x98\x80team", "great|team");
    /* A NUL byte (U+0000) is a separator like any other: no phrase across it. */
    t = themes(0);
    assert_int_equal(nlp_themes_add(t, "team\0work", 9, 0), HARK_OK);
    assert_int_equal(count_of(t, "team"), 1);
    assert_int_equal(count_of(t, "work"), 1);
    assert_int_equal(themes_in(t), 2);
    nlp_themes_free(t);

    /* A huge comment: only the first NLP_MAX_TEXT bytes are read, and a word
     * cut at that bound is dropped. */
    size_t big = (size_t)NLP_MAX_TEXT * 3;
    char *s = malloc(big);
    assert_non_null(s);
    memset(s, ' ', big);
    memcpy(s, "workload", 8);
    memcpy(s + NLP_MAX_TEXT - 4, "cutword", 7);
    memcpy(s + NLP_MAX_TEXT + 100, "beyond", 6);
    t = themes(0);
    assert_int_equal(nlp_themes_add(t, s, big, -0.5), HARK_OK);
    assert_int_equal(count_of(t, "workload"), 1);
    assert_int_equal(count_of(t, "cutw"), 0);
    assert_int_equal(count_of(t, "cutword"), 0);
    assert_int_equal(count_of(t, "beyond"), 0);
    /* Exactly NLP_MAX_TEXT bytes: the last word is whole and counts. */
    memset(s, ' ', big);
    memcpy(s + NLP_MAX_TEXT - 7, "lastone", 7);
    assert_int_equal(nlp_themes_add(t, s, NLP_MAX_TEXT, 0), HARK_OK);
    assert_int_equal(count_of(t, "lastone"), 1);
    /* One long run of letters is one over-long word. */
    memset(s, 'a', big);
    assert_int_equal(nlp_themes_add(t, s, big, 0), HARK_OK);
    assert_int_equal(themes_in(t), 2);
    nlp_themes_free(t);
    free(s);

    /* Random bytes and random mixes of words, separators and broken
     * sequences: no crash, sane output (and, under ASan, no bad access). */
    static const char *const parts[] = {"team", " ",    ",",    "meetings",         "\xe2\x80\x99", "'",  "-",  "s",
                                        "\xff", "\xc3", "\xa9", "\xf0\x9f\x98\x80", "caf\xc3\xa9",  "of", "\n", "1"};
    t = themes(200);
    unsigned seed = 12345;
    char buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t n = 0;
        size_t want = (seed = seed * 1103515245u + 12345u) % sizeof buf;
        while (n < want) {
            seed = seed * 1103515245u + 12345u;
            if (i % 2) {
                buf[n++] = (char)(seed >> 16);
            } else {
                const char *p = parts[(seed >> 16) % (sizeof parts / sizeof parts[0])];
                size_t k = strlen(p);
                if (n + k > sizeof buf) break;
                memcpy(buf + n, p, k);
                n += k;
            }
        }
        assert_int_equal(nlp_themes_add(t, buf, n, (double)(int)(seed % 2001) / 1000.0 - 1.0), HARK_OK);
    }
    assert_sane(t);
    nlp_themes_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_lists_valid),
        cmocka_unit_test(test_stop_words),
        cmocka_unit_test(test_plural_folding),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_once_per_comment),
        cmocka_unit_test(test_mean_sentiment),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
