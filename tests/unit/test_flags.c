/* Unit tests for the red-flag detector (nlp/flags.h): each kind, negation,
 * misspellings, spans and severities, bad input, the rule loader's errors, and
 * an evaluation over the labelled sentences of tests/data/flags ($HARK_SOURCE_DIR,
 * which ctest sets). HARK_FLAGS_REPORT=1 prints the confusion tables in
 * Markdown; HARK_FLAGS_REPORT=2 also lists every sentence the detector gets wrong. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/err.h"
#include "nlp/flags.h"

/* The flag of KIND in TEXT, or NULL; *F receives it. */
static const nlp_flag *find(const char *text, int kind, nlp_flag *f) {
    nlp_flag out[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(text, strlen(text), out, NLP_FLAGS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (out[i].kind == kind) {
            *f = out[i];
            return f;
        }
    }
    return NULL;
}

#define ASSERT_FLAG(kind, text)                                                                                        \
    do {                                                                                                               \
        nlp_flag f_;                                                                                                   \
        if (!find(text, kind, &f_)) fail_msg("expected %s: \"%s\"", nlp_flag_kind_name(kind), text);                   \
    } while (0)

#define ASSERT_NO_FLAG(text)                                                                                           \
    do {                                                                                                               \
        nlp_flag o_[NLP_FLAGS_MAX];                                                                                    \
        size_t n_ = nlp_flags_detect(text, strlen(text), o_, NLP_FLAGS_MAX);                                           \
        if (n_) fail_msg("expected no flag, got %s: \"%s\"", nlp_flag_kind_name(o_[0].kind), text);                    \
    } while (0)

static void test_init_and_names(void **state) {
    (void)state;
    char err[256] = "";
    int rc = nlp_flags_init(err, sizeof err);
    if (rc) fail_msg("nlp_flags_init: %s", err);
    assert_int_equal(nlp_flags_init(err, sizeof err), HARK_OK); /* idempotent */
    for (int k = 1; k <= NLP_FLAG_KINDS; k++) assert_int_equal(nlp_flag_kind_parse(nlp_flag_kind_name(k)), k);
    assert_string_equal(nlp_flag_kind_name(NLP_FLAG_SELF_HARM), "self_harm");
    assert_null(nlp_flag_kind_name(0));
    assert_null(nlp_flag_kind_name(NLP_FLAG_KINDS + 1));
    assert_int_equal(nlp_flag_kind_parse("nope"), 0);
    assert_int_equal(nlp_flag_kind_parse(NULL), 0);
}

static void test_each_kind(void **state) {
    (void)state;
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "My supervisor keeps making comments about my body");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "They treat me differently because I'm a woman");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I'm being bullied by my team lead");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "After I reported him they cut my hours, it's retaliation");
    ASSERT_FLAG(NLP_FLAG_THREAT, "I'm going to hurt my manager");
    ASSERT_FLAG(NLP_FLAG_THREAT, "Someone is going to get hurt");
    ASSERT_FLAG(NLP_FLAG_THREAT, "If they lay me off I'll bring a gun");
    ASSERT_FLAG(NLP_FLAG_THREAT, "My coworker threatened to stab me");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I want to die");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I think about killing myself");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I just want to end it all");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "There is no reason to live");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "Everyone would be better off without me");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I'm going to quit");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I've started interviewing elsewhere");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "Handing in my notice tomorrow");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I won't be here next year");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "I'm burned out");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "Exhausted every day");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "Running on empty");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "I can't keep up with this workload");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "working 70-hour weeks");
}

static void test_negation(void **state) {
    (void)state;
    ASSERT_NO_FLAG("Nobody has harassed me");
    ASSERT_NO_FLAG("I have never been harassed");
    ASSERT_NO_FLAG("No one has threatened me");
    ASSERT_NO_FLAG("I'm not going to quit");
    ASSERT_NO_FLAG("I would never hurt myself");
    ASSERT_NO_FLAG("I don't feel burned out");
    ASSERT_NO_FLAG("I\xe2\x80\x99m not planning to leave"); /* U+2019 */
    ASSERT_NO_FLAG("I have never been bullied, harassed or threatened here");
    /* The scope ends at a sentence, at "but", and at a comma followed by a subject. */
    ASSERT_FLAG(NLP_FLAG_RESIGN, "No. I'm going to quit");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I don't know, I'm going to quit");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "Nobody listens and I'm burned out");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "It's not the pay but I'm burned out");
    /* Five words back is in reach, six is not. */
    ASSERT_NO_FLAG("not a b c d burned out");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "not a b c d e burned out");
    /* "can't stop" releases the negation; a negation inside a pattern is part of it. */
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I can't stop thinking about killing myself");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I don't want to live anymore");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "I can't keep up");
    /* A negation before "because" does not reach into the reason. */
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I was told I'd never be promoted because of my race");
    /* A negated verb stops at a new subject, unless it is a verb like "think". */
    ASSERT_FLAG(NLP_FLAG_RESIGN, "if they don't fix my pay I'm leaving by the end of the year");
    ASSERT_NO_FLAG("I don't think I'm burned out");
    ASSERT_NO_FLAG("Nobody I know has been harassed here");
}

static void test_hard_negatives(void **state) {
    (void)state;
    ASSERT_NO_FLAG("The training said to report harassment");
    ASSERT_NO_FLAG("how do I report harassment?");
    ASSERT_NO_FLAG("I'd kill for a day off");
    ASSERT_NO_FLAG("this commute is killing me");
    ASSERT_NO_FLAG("we killed it this quarter");
    ASSERT_NO_FLAG("I'm dying to try the new cafe");
    ASSERT_NO_FLAG("the suspense is killing me");
    ASSERT_NO_FLAG("The deadline is killing me");
    ASSERT_NO_FLAG("I was harassed by a contractor two years ago but it was handled and I feel safe now");
    ASSERT_NO_FLAG("If someone were being bullied, who should they talk to?");
    ASSERT_NO_FLAG("My manager fights for us");
    ASSERT_NO_FLAG("The new search is a killer feature");
    ASSERT_NO_FLAG("I'm going to shoot you an email");
    ASSERT_NO_FLAG("I quit smoking last year");
    ASSERT_NO_FLAG("I'm leaving early on Friday");
    ASSERT_NO_FLAG("We burned through the budget");
    ASSERT_NO_FLAG("I'm proud of myself"); /* "off myself" and "of myself" normalise alike */
    /* Words of a pattern may not straddle a comma unless the pattern has a gap there. */
    ASSERT_NO_FLAG("In the end, you know it works");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "Sexual comments, unwanted hugs, all of it");
    /* A report next to a question about procedure still flags. */
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "How do I report my manager? He keeps touching me.");
    /* ... and a resolution that did not happen does not void. */
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I was harassed last year but it was never handled");
}

static void test_misspellings_and_case(void **state) {
    (void)state;
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I was harrassed");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I was harased");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "I WAS HARASSED");
    ASSERT_FLAG(NLP_FLAG_HARASSMENT, "i was harassssed!!!");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "thinking about sucide");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "i feel suicidel");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "i want to kil myself");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "i feel sucidal");  /* a fuzzy match: one letter missing */
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "i feel suicdial"); /* ... two letters swapped */
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I am resigining next month");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "burnt out");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "burned-out");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "BURNOUT");
    ASSERT_FLAG(NLP_FLAG_BURNOUT, "so exausted");
    ASSERT_FLAG(NLP_FLAG_RESIGN, "I\xe2\x80\x99m going to quit");
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I don\xe2\x80\x99t want to live");
    /* Short words are not matched fuzzily: "kills" is not "skills". */
    ASSERT_NO_FLAG("my skills myself");
}

/* The evidence of KIND in TEXT must be exactly EVIDENCE. */
static void assert_span(const char *text, int kind, const char *evidence) {
    nlp_flag f;
    if (!find(text, kind, &f)) fail_msg("expected %s: \"%s\"", nlp_flag_kind_name(kind), text);
    if (f.len != strlen(evidence) || memcmp(text + f.start, evidence, f.len) != 0)
        fail_msg("span of \"%s\" is \"%.*s\", expected \"%s\"", text, (int)f.len, text + f.start, evidence);
}

static void test_spans(void **state) {
    (void)state;
    assert_span("Honestly, I want to die.", NLP_FLAG_SELF_HARM, "want to die");
    assert_span("My boss is a bully and I'm burned out!", NLP_FLAG_BURNOUT, "burned out");
    assert_span("My boss is a bully and I'm burned out!", NLP_FLAG_HARASSMENT, "bully");
    assert_span("caf\xc3\xa9 \xf0\x9f\x98\x9e I\xe2\x80\x99m HARRASSED", NLP_FLAG_HARASSMENT, "HARRASSED");
    assert_span("Constant 70-hour weeks.", NLP_FLAG_BURNOUT, "70-hour weeks");
    assert_span("I don\xe2\x80\x99t want to live", NLP_FLAG_SELF_HARM, "don\xe2\x80\x99t want to live");
}

static void test_severity_and_choice(void **state) {
    (void)state;
    nlp_flag f;
    assert_non_null(find("I want to kill myself", NLP_FLAG_SELF_HARM, &f));
    assert_int_equal(f.severity, 3);
    assert_non_null(find("I'm going to hurt my manager", NLP_FLAG_THREAT, &f));
    assert_int_equal(f.severity, 3);
    assert_non_null(find("I'm exhausted", NLP_FLAG_BURNOUT, &f));
    assert_int_equal(f.severity, 1);
    assert_non_null(find("I handed in my notice", NLP_FLAG_RESIGN, &f));
    assert_int_equal(f.severity, 3);
    /* The most severe hit of a kind wins; the earliest on a tie. */
    const char *t = "I'm exhausted. Honestly I'm burned out. Also burned out.";
    assert_non_null(find(t, NLP_FLAG_BURNOUT, &f));
    assert_int_equal(f.severity, 2);
    assert_int_equal(f.start, strstr(t, "burned out") - t);
    /* Kinds come out in kind order, one each, at most MAX. */
    const char *m = "I'm so burned out I want to quit and the bullying is constant";
    nlp_flag out[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(m, strlen(m), out, NLP_FLAGS_MAX);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].kind, NLP_FLAG_HARASSMENT);
    assert_int_equal(out[1].kind, NLP_FLAG_RESIGN);
    assert_int_equal(out[2].kind, NLP_FLAG_BURNOUT);
    assert_int_equal(nlp_flags_detect(m, strlen(m), out, 1), 1);
    assert_int_equal(out[0].kind, NLP_FLAG_HARASSMENT);
    assert_int_equal(nlp_flags_detect(m, strlen(m), NULL, 0), 0);
}

static void test_bad_input(void **state) {
    (void)state;
    nlp_flag out[NLP_FLAGS_MAX];
    assert_int_equal(nlp_flags_detect("", 0, out, NLP_FLAGS_MAX), 0);
    assert_int_equal(nlp_flags_detect(NULL, 0, out, NLP_FLAGS_MAX), 0);
    assert_int_equal(nlp_flags_detect(NULL, 10, out, NLP_FLAGS_MAX), 0);
    ASSERT_NO_FLAG("   \t\n  ");
    ASSERT_NO_FLAG("!!!???...,,,;;;");
    ASSERT_NO_FLAG("\xff\xfe\xc0\x80\xed\xa0\x80");
    ASSERT_NO_FLAG("\xca\xbc \xca\xbc\xca\xbc! \xe2\x80\x99x"); /* apostrophes that start no word */
    /* Invalid bytes and NUL bytes are separators, not the end of the text. */
    ASSERT_FLAG(NLP_FLAG_SELF_HARM, "I\xff want\xc0 to\xed\xa0\x80 die");
    const char nul[] = "I want\0to die";
    assert_int_equal(nlp_flags_detect(nul, sizeof nul - 1, out, NLP_FLAGS_MAX), 1);
    assert_int_equal(out[0].kind, NLP_FLAG_SELF_HARM);
    /* LEN is honoured: nothing past it is read. */
    assert_int_equal(nlp_flags_detect("I want to die", 9, out, NLP_FLAGS_MAX), 0);
    /* A word longer than any rule's is an unknown token. */
    char longword[300];
    memset(longword, 'k', sizeof longword - 1);
    longword[sizeof longword - 1] = '\0';
    ASSERT_NO_FLAG(longword);

    /* 64 KiB of emoji, and past it. */
    size_t big = NLP_FLAGS_MAX_TEXT + 4096;
    char *s = malloc(big + 64);
    assert_non_null(s);
    for (size_t i = 0; i + 4 <= big; i += 4) memcpy(s + i, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(nlp_flags_detect(s, big, out, NLP_FLAGS_MAX), 0);
    /* A flag past NLP_FLAGS_MAX_TEXT is not seen; one before it is. */
    memcpy(s + big - 13, "I want to die", 13);
    assert_int_equal(nlp_flags_detect(s, big, out, NLP_FLAGS_MAX), 0);
    memcpy(s + 1000, " I want to die ", 15);
    assert_int_equal(nlp_flags_detect(s, big, out, NLP_FLAGS_MAX), 1);
    assert_int_equal(out[0].start, 1003); /* "want to die" */
    /* Random bytes: never a crash, always a well-formed answer. */
    unsigned int seed = 4242;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (size_t)(seed % 4096);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly letters and spaces so that patterns get exercised. */
            unsigned r = (seed >> 16) & 0xFF;
            s[i] = r < 160 ? "abcdefghijklmnopqrstuvwxyz  ...,'"[r % 33] : (char)r;
        }
        size_t k = nlp_flags_detect(s, n, out, NLP_FLAGS_MAX);
        assert_true(k <= NLP_FLAGS_MAX);
        for (size_t i = 0; i < k; i++) {
            assert_true(out[i].kind >= 1 && out[i].kind <= NLP_FLAG_KINDS);
            assert_true(out[i].severity >= 1 && out[i].severity <= 3);
            assert_true(out[i].start + out[i].len <= n && out[i].len > 0);
            if (i > 0) assert_true(out[i].kind > out[i - 1].kind);
        }
    }
    free(s);
}

/* Long text is read in windows of tokens: a flag is found wherever it falls,
 * with or without sentence ends around it, and its negation is still seen. */
static void test_windows(void **state) {
    (void)state;
    size_t cap = 40000;
    char *s = malloc(cap);
    assert_non_null(s);
    nlp_flag out[NLP_FLAGS_MAX];
    for (int dots = 0; dots < 2; dots++) {
        for (int words = 200; words < 560; words += 7) {
            size_t n = 0;
            for (int i = 0; i < words; i++) {
                memcpy(s + n, dots && i % 10 == 9 ? "ok. " : "ok ", dots && i % 10 == 9 ? 4 : 3);
                n += dots && i % 10 == 9 ? 4 : 3;
            }
            memcpy(s + n, "I want to kill myself ", 22);
            n += 22;
            for (int i = 0; i < 300; i++, n += 3) memcpy(s + n, "ok ", 3);
            size_t k = nlp_flags_detect(s, n, out, NLP_FLAGS_MAX);
            if (k != 1) fail_msg("no flag after %d words (dots %d)", words, dots);
            assert_int_equal(memcmp(s + out[0].start, "kill myself", 11), 0);
        }
    }
    /* Negation reaches across a window cut inside a sentence. */
    for (int words = 220; words < 300; words++) {
        size_t n = 0;
        for (int i = 0; i < words; i++, n += 3) memcpy(s + n, "ok ", 3);
        memcpy(s + n, "I would never hurt myself ", 26);
        n += 26;
        for (int i = 0; i < 100; i++, n += 3) memcpy(s + n, "ok ", 3);
        if (nlp_flags_detect(s, n, out, NLP_FLAGS_MAX) != 0) fail_msg("negation lost after %d words", words);
    }
    free(s);
}

static void test_check_rules(void **state) {
    (void)state;
    char err[256];
    assert_int_equal(nlp_flags_check("threat.tsv", "hit\t2\tfoo bar\n", 14, err, sizeof err), HARK_OK);
    assert_int_equal(nlp_flags_check(NULL, NULL, 0, err, sizeof err), HARK_OK);
    static const struct {
        const char *file, *text, *where;
    } bad[] = {
        {"threat.tsv", "# ok\n\nhit\t4\tfoo\n", "threat.tsv:3:"},
        {"threat.tsv", "hit\t2\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo\tbar\n", "threat.tsv:1:"},
        {"threat.tsv", "hot\t2\tfoo\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo ..3\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\t..3 foo\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo ..9 bar\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo? bar?\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\t@nosuchclass\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tha*\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo||bar\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo-bar\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tabc70\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\t#x+ foo\n", "threat.tsv:1:"},
        {"threat.tsv", "not\t2\tfoo\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\ta_b_c_d_e_f_g\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\ta b c d e f g h i j k l m\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\ta ..8 b ..8 c ..8 d\n", "threat.tsv:1:"},
        {"threat.tsv", "hit\t2\tfoo\xff\n", "threat.tsv:1:"},
        {"threat.tsv", "class\tnoat\tfoo\n", "threat.tsv:1:"},
        {"threat.tsv", "class\t@self\tx\nclass\t@self\ty\n", "threat.tsv:2:"},
        {"common.tsv", "hit\t2\tfoo\n", "common.tsv:1:"},
        {"common.tsv", "class\t@negator\tnot|no*\n", "common.tsv"},
        {"nosuchkind.tsv", "", "nosuchkind.tsv"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = nlp_flags_check(bad[i].file, bad[i].text, strlen(bad[i].text), err, sizeof err);
        if (rc != HARK_EINVAL) fail_msg("rule %zu (%s) was accepted", i, bad[i].text);
        if (!strstr(err, bad[i].where)) fail_msg("rule %zu: \"%s\" does not name %s", i, err, bad[i].where);
    }
    /* common.tsv without one of the classes negation needs. */
    const char *root = getenv("HARK_SOURCE_DIR");
    if (!root) fail_msg("HARK_SOURCE_DIR is not set (ctest sets it to the source root)");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/flags/common.tsv", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char common[1 << 16];
    size_t len = 0;
    char line[8192];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "class\t@joiner\t", 14) != 0 && len + strlen(line) < sizeof common) {
            memcpy(common + len, line, strlen(line));
            len += strlen(line);
        }
    fclose(f);
    assert_int_equal(nlp_flags_check("common.tsv", common, len, err, sizeof err), HARK_EINVAL);
    if (!strstr(err, "@joiner")) fail_msg("\"%s\" does not name @joiner", err);
    /* A NUL byte in rule text is an error, not the end of the file. */
    assert_int_equal(nlp_flags_check("threat.tsv", "hit\t2\tfo\0o\n", 11, err, sizeof err), HARK_EINVAL);
    /* Random rule text: an answer, never a crash. */
    static const char alphabet[] = "hitnotvoidclass\t\t\t\n 123-?*|_@.#+ab'\xe2\x80\x99";
    char junk[200];
    unsigned seed = 99;
    for (int round = 0; round < 300; round++) {
        size_t n = seed % sizeof junk;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        int rc = nlp_flags_check("burnout.tsv", junk, n, err, sizeof err);
        assert_true(rc == HARK_OK || rc == HARK_EINVAL);
    }
}

/* Appends to TEXT (*N bytes, CAP at most) word I of a made-up family: "kw" and
 * I in base 26, then MARK ("*" a prefix, "~" one that takes a typo). */
static void append_word(char *text, size_t *n, size_t cap, int i, char mark) {
    char w[32];
    int k = 0;
    if (mark == '~') w[k++] = '~';
    w[k++] = 'k';
    w[k++] = 'w';
    for (int d = 0; d < 3; d++, i /= 26) w[k++] = (char)('a' + i % 26);
    if (mark == '~') k += snprintf(w + k, sizeof w - (size_t)k, "ment");
    if (mark == '*') w[k++] = '*';
    w[k] = '\0';
    *n += (size_t)snprintf(text + *n, cap - *n, "%s", w);
}

/* Rule files far larger than data/flags: thousands of alternatives in one
 * class and in one element, prefix and fuzzy words among them, load and are
 * indexed without an error (and, under the sanitizers, without touching
 * memory they do not own). */
static void test_large_rules(void **state) {
    (void)state;
    size_t cap = 1 << 17, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "class\t@big\t");
    for (int i = 0; i < 3000; i++) {
        if (i) text[n++] = '|';
        append_word(text, &n, cap, i, i % 10 == 0 ? '*' : i % 15 == 0 ? '~' : 0);
    }
    n += (size_t)snprintf(text + n, cap - n, "\nhit\t2\t@big ..2 @big\nhit\t1\t");
    for (int i = 2999; i >= 0; i -= 2) {
        append_word(text, &n, cap, i, 0);
        text[n++] = i % 7 ? '|' : '_';
    }
    n += (size_t)snprintf(text + n, cap - n, "done ..8 @big\nnot\t-\t@big\n");
    assert_true(n < cap);
    char err[256] = "";
    int rc = nlp_flags_check("threat.tsv", text, n, err, sizeof err);
    if (rc != HARK_OK) fail_msg("large rules: %d %s", rc, err);
    free(text);
}

typedef struct worker {
    const char *const *texts;
    size_t n;
    int failures;
} worker;

static const char *const thread_texts[] = {
    "I want to die",
    "I'm not going to quit",
    "I'm so burned out I'm going to quit",
    "nobody harassed me",
    "He threatened to hurt my family and I'm scared",
    "good team",
};

static void *detect_many(void *arg) {
    worker *w = arg;
    for (int round = 0; round < 2000; round++) {
        const char *t = w->texts[round % w->n];
        nlp_flag a[NLP_FLAGS_MAX], b[NLP_FLAGS_MAX];
        size_t na = nlp_flags_detect(t, strlen(t), a, NLP_FLAGS_MAX);
        size_t nb = nlp_flags_detect(t, strlen(t), b, NLP_FLAGS_MAX);
        if (na != nb || memcmp(a, b, na * sizeof a[0]) != 0) w->failures++;
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){thread_texts, sizeof thread_texts / sizeof thread_texts[0], 0};
        assert_int_equal(pthread_create(&th[i], NULL, detect_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
}

/* ---- Evaluation over the labelled sets ------------------------------------------------- */

#define NONE NLP_FLAG_KINDS /* index of "none" in the confusion matrix */

typedef struct eval {
    int tp[NLP_FLAG_KINDS], fp[NLP_FLAG_KINDS], fn[NLP_FLAG_KINDS];
    int matrix[NLP_FLAG_KINDS + 1][NLP_FLAG_KINDS + 1]; /* expected x predicted */
    int sentences, negatives, exact;
    double us_per_call;
} eval;

static int report_level(void) {
    const char *r = getenv("HARK_FLAGS_REPORT");
    return r ? atoi(r) : 0;
}

/* Parses "harassment,resign" or "-" into a bit set of kinds; -1 when malformed. */
static int parse_expected(char *s) {
    if (strcmp(s, "-") == 0) return 0;
    int bits = 0;
    for (char *p = s; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        int k = nlp_flag_kind_parse(p);
        if (!k) return -1;
        bits |= 1 << (k - 1);
        p = comma ? comma + 1 : NULL;
    }
    return bits;
}

static const char *column_name(int i) {
    return i == NONE ? "none" : nlp_flag_kind_name(i + 1);
}

/* Adds one sentence to E: EXP and GOT are bit sets of kinds. Each expected kind
 * goes to the diagonal when predicted, else to the column of a kind predicted
 * instead (or none); a predicted kind that is neither expected nor used so goes
 * to the row none. Each row then sums to the sentences expecting that kind. */
static void tally(eval *e, int exp, int got) {
    int spare = got & ~exp;
    for (int k = 0; k < NLP_FLAG_KINDS; k++) {
        int bit = 1 << k;
        if ((exp & bit) && (got & bit)) e->tp[k]++;
        if (!(exp & bit) && (got & bit)) e->fp[k]++;
        if ((exp & bit) && !(got & bit)) e->fn[k]++;
    }
    for (int k = 0; k < NLP_FLAG_KINDS; k++) {
        if (!(exp & (1 << k))) continue;
        if (got & (1 << k)) {
            e->matrix[k][k]++;
        } else if (spare) {
            int p = __builtin_ctz((unsigned)spare);
            spare &= spare - 1;
            e->matrix[k][p]++;
        } else {
            e->matrix[k][NONE]++;
        }
    }
    for (; spare; spare &= spare - 1) e->matrix[NONE][__builtin_ctz((unsigned)spare)]++;
    if (!exp && !got) e->matrix[NONE][NONE]++;
}

static void kinds_string(int bits, char *buf, size_t cap) {
    buf[0] = '\0';
    if (!bits) snprintf(buf, cap, "-");
    for (int k = 0; k < NLP_FLAG_KINDS; k++) {
        if (!(bits & (1 << k))) continue;
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, "%s%s", n ? "," : "", nlp_flag_kind_name(k + 1));
    }
}

static void evaluate(const char *name, eval *e) {
    memset(e, 0, sizeof *e);
    const char *root = getenv("HARK_SOURCE_DIR");
    if (!root) fail_msg("HARK_SOURCE_DIR is not set (ctest sets it to the source root)");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/flags/%s", root, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char line[4096];
    int lineno = 0, verbose = report_level() >= 2;
    double seconds = 0;
    long calls = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0 || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (!tab) fail_msg("%s:%d: no tab", name, lineno);
        *tab = '\0';
        const char *text = tab + 1;
        int exp = parse_expected(line);
        if (exp < 0) fail_msg("%s:%d: unknown kind in \"%s\"", name, lineno, line);
        nlp_flag out[NLP_FLAGS_MAX];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        size_t n = 0;
        for (int rep = 0; rep < 20; rep++) n = nlp_flags_detect(text, strlen(text), out, NLP_FLAGS_MAX);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        calls += 20;
        int got = 0;
        for (size_t i = 0; i < n; i++) got |= 1 << (out[i].kind - 1);
        tally(e, exp, got);
        e->sentences++;
        e->negatives += exp == 0;
        e->exact += exp == got;
        if (verbose && exp != got) {
            char a[128], b[128];
            kinds_string(exp, a, sizeof a);
            kinds_string(got, b, sizeof b);
            printf("  %s:%d expected %s, got %s:", name, lineno, a, b);
            for (size_t i = 0; i < n; i++)
                printf(" %s/%d \"%.*s\"", nlp_flag_kind_name(out[i].kind), out[i].severity, (int)out[i].len,
                       text + out[i].start);
            printf("\n    %s\n", text);
        }
    }
    fclose(f);
    e->us_per_call = calls ? seconds * 1e6 / (double)calls : 0;
}

static double ratio(int a, int b) {
    return b ? (double)a / (double)b : 1.0;
}

static double overall_precision(const eval *e) {
    int tp = 0, fp = 0;
    for (int k = 0; k < NLP_FLAG_KINDS; k++) {
        tp += e->tp[k];
        fp += e->fp[k];
    }
    return ratio(tp, tp + fp);
}

static void print_report(const char *name, const eval *e) {
    printf("\n#### %s: %d sentences, %d without a flag; %d (%.1f%%) exactly right; %.2f us per call\n\n", name,
           e->sentences, e->negatives, e->exact, 100.0 * ratio(e->exact, e->sentences), e->us_per_call);
    printf("| kind | TP | FP | FN | precision | recall |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    int tp = 0, fp = 0, fn = 0;
    for (int k = 0; k < NLP_FLAG_KINDS; k++) {
        printf("| %s | %d | %d | %d | %.3f | %.3f |\n", nlp_flag_kind_name(k + 1), e->tp[k], e->fp[k], e->fn[k],
               ratio(e->tp[k], e->tp[k] + e->fp[k]), ratio(e->tp[k], e->tp[k] + e->fn[k]));
        tp += e->tp[k];
        fp += e->fp[k];
        fn += e->fn[k];
    }
    printf("| **all** | %d | %d | %d | %.3f | %.3f |\n\n", tp, fp, fn, ratio(tp, tp + fp), ratio(tp, tp + fn));
    printf("| expected \\ predicted |");
    for (int j = 0; j <= NONE; j++) printf(" %s |", column_name(j));
    printf("\n| --- |");
    for (int j = 0; j <= NONE; j++) printf(" ---: |");
    printf("\n");
    for (int i = 0; i <= NONE; i++) {
        printf("| %s |", column_name(i));
        for (int j = 0; j <= NONE; j++) printf(" %d |", e->matrix[i][j]);
        printf("\n");
    }
    fflush(stdout);
}

/* Evaluates FILE (at least MIN_SENTENCES, 40% without a flag), prints its report
 * when asked, and fails when precision over all flags is below 0.85 or, with
 * RECALL, when the recall of self_harm, threat or harassment is below 0.95. */
static void check_file(const char *file, const char *title, int min_sentences, int recall) {
    eval e;
    evaluate(file, &e);
    if (report_level()) print_report(title, &e);
    assert_true(e.sentences >= min_sentences);
    assert_true(e.negatives * 10 >= e.sentences * 4);
    static const int must_recall[] = {NLP_FLAG_SELF_HARM, NLP_FLAG_THREAT, NLP_FLAG_HARASSMENT};
    for (size_t i = 0; recall && i < sizeof must_recall / sizeof must_recall[0]; i++) {
        int k = must_recall[i] - 1;
        double r = ratio(e.tp[k], e.tp[k] + e.fn[k]);
        if (r < 0.95) fail_msg("%s: recall of %s is %.3f < 0.95", file, nlp_flag_kind_name(k + 1), r);
    }
    double p = overall_precision(&e);
    if (p < 0.85) fail_msg("%s: precision over all flags is %.3f < 0.85", file, p);
}

static void test_eval_labelled(void **state) {
    (void)state;
    check_file("labelled.tsv", "labelled.tsv (development set)", 450, 1);
}

/* The held-out set measures how the rules generalise. Its recall is far below
 * the development set's (docs/sentiment.md has the figures), so only precision
 * is held to the 0.85 floor here; recall is printed, not asserted. */
static void test_eval_heldout(void **state) {
    (void)state;
    check_file("heldout.tsv", "heldout.tsv (held out, not used for tuning)", 100, 0);
}

/* A second held-out set, written after the round-3 rules were frozen; held to
 * the same checks as heldout.tsv (precision, not recall). */
static void test_eval_heldout2(void **state) {
    (void)state;
    check_file("heldout2.tsv", "heldout2.tsv (held out, written after the round-3 freeze)", 150, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_names),
        cmocka_unit_test(test_each_kind),
        cmocka_unit_test(test_negation),
        cmocka_unit_test(test_hard_negatives),
        cmocka_unit_test(test_misspellings_and_case),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_severity_and_choice),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_check_rules),
        cmocka_unit_test(test_large_rules),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_eval_labelled),
        cmocka_unit_test(test_eval_heldout),
        cmocka_unit_test(test_eval_heldout2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
