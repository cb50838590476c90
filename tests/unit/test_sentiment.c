/* Unit tests for the sentiment scorer (nlp/sentiment.h) and its lexicon: the
 * direction of scores, each VADER rule, the output's shape on any input, and
 * `hark sentiment` line handling. */
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
#include "nlp/lexicon.h"
#include "nlp/sentiment.h"

static double compound(const char *s) {
    nlp_sentiment r;
    nlp_sentiment_score(s, strlen(s), &r);
    return r.compound;
}

static void assert_shape(const nlp_sentiment *r) {
    assert_true(r->compound >= -1.0 && r->compound <= 1.0);
    assert_true(r->pos >= 0 && r->pos <= 1);
    assert_true(r->neu >= 0 && r->neu <= 1);
    assert_true(r->neg >= 0 && r->neg <= 1);
    double sum = r->pos + r->neu + r->neg;
    assert_true(sum > 1 - 1e-9 && sum < 1 + 1e-9);
}

#define ASSERT_POS(s)                                                                                                  \
    do {                                                                                                               \
        if (!(compound(s) > 0.05)) fail_msg("expected positive: \"%s\" scored %.4f", s, compound(s));                  \
    } while (0)
#define ASSERT_NEG(s)                                                                                                  \
    do {                                                                                                               \
        if (!(compound(s) < -0.05)) fail_msg("expected negative: \"%s\" scored %.4f", s, compound(s));                 \
    } while (0)
#define ASSERT_ZERO(s)                                                                                                 \
    do {                                                                                                               \
        if (compound(s) != 0) fail_msg("expected neutral: \"%s\" scored %.4f", s, compound(s));                        \
    } while (0)

static void test_lexicon(void **state) {
    (void)state;
    assert_int_equal(nlp_lexicon_check(), HARK_OK);
    const nlp_lex_entry *e = nlp_lexicon_find("good", 4);
    assert_non_null(e);
    assert_true((e->flags & NLP_LEX_BASE) && e->base == 1.9); /* VADER's own valence */
    e = nlp_lexicon_find("burnout", 7);
    assert_non_null(e);
    assert_true((e->flags & NLP_LEX_SUPP) && !(e->flags & NLP_LEX_BASE) && e->supp < 0);
    e = nlp_lexicon_find("overwhelmed", 11); /* in both: the supplement overrides in default mode */
    assert_true((e->flags & NLP_LEX_BASE) && (e->flags & NLP_LEX_SUPP) && e->base > 0 && e->supp < 0);
    assert_true(nlp_lexicon_find("lol", 3)->base == 1.8); /* a duplicate key keeps its last valence */
    assert_null(nlp_lexicon_find("zzzz", 4));
    assert_null(nlp_lexicon_find("", 0));
    assert_true(nlp_lexicon_find("very", 4)->flags & NLP_LEX_INCR);
    assert_true(nlp_lexicon_find("slightly", 8)->flags & NLP_LEX_DECR);
    assert_true(nlp_lexicon_find("not", 3)->flags & NLP_LEX_NEGATE);
    assert_true(nlp_lexicon_find("\xf0\x9f\x99\x82", 4)->flags & NLP_LEX_SUPP); /* 🙂 */
}

/* Exact results of the reference implementation (npm vader-sentiment 1.1.3). */
static void test_compat_reference(void **state) {
    (void)state;
    static const struct {
        const char *text;
        double compound, pos, neu, neg;
    } cases[] = {
        {"VADER is smart, handsome, and funny.", 0.8316, 0.746, 0.254, 0},
        {"VADER is not smart, handsome, nor funny.", -0.7424, 0, 0.354, 0.646},
        {"The book was kind of good.", 0.3832, 0.343, 0.657, 0},
        {"At least it is not HORRIBLE!!", 0.6094, 0.443, 0.557, 0},
        {"Today SUX!", -0.5461, 0, 0.221, 0.779},
        {"Not bad at all", -0.5423, 0, 0.462, 0.538},
        {"Make sure you :) or :D today!", 0.8633, 0.706, 0.294, 0},
        {"The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042, 0.094, 0.579,
         0.327},
        {"I am never so happy", 0.823, 0.688, 0.312, 0},
        {"the shit", -0.5574, 0, 0.217, 0.783},
        {"Not good", 0.4404, 0.744, 0.256, 0}, /* the reference's negations are case-sensitive */
        {"Catch utf-8 emoji such as \xf0\x9f\x92\x98 and \xf0\x9f\x92\x8b", 0, 0, 1, 0},
        {"", 0, 0, 0, 0}, /* no tokens: all zero, as the reference */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlp_sentiment r;
        nlp_sentiment_score_rules(cases[i].text, strlen(cases[i].text), NLP_RULES_COMPAT, &r);
        if (fabs(r.compound - cases[i].compound) > 0.00005 || fabs(r.pos - cases[i].pos) > 0.0005 ||
            fabs(r.neu - cases[i].neu) > 0.0005 || fabs(r.neg - cases[i].neg) > 0.0005)
            fail_msg("\"%s\": %.4f %.3f %.3f %.3f, the reference %.4f %.3f %.3f %.3f", cases[i].text, r.compound, r.pos,
                     r.neu, r.neg, cases[i].compound, cases[i].pos, cases[i].neu, cases[i].neg);
    }
}

static double rules_compound(const char *s, unsigned rules) {
    nlp_sentiment r;
    nlp_sentiment_score_rules(s, strlen(s), rules, &r);
    return r.compound;
}

/* Each of Hark's rules changes what it says it changes, and only with its bit. */
static void test_hark_rules(void **state) {
    (void)state;
    unsigned all = NLP_RULES_DEFAULT;
    /* case: sentence-initial negations count. */
    assert_true(rules_compound("Not good", all) < -0.05);
    assert_true(rules_compound("Not good", all & ~NLP_RULE_CASE) > 0.05);
    assert_true(rules_compound("The food was good BUT the service was awful", all) < -0.05);
    /* tokens: punctuation runs, quotes and entities at the edges. */
    assert_true(rules_compound("good...", all) > 0.05);
    assert_true(rules_compound("good...", NLP_RULES_COMPAT) == 0);
    assert_true(rules_compound("&quot;great&quot;", all) > 0.05);
    assert_true(rules_compound("(awful)", all) < -0.05);
    assert_true(rules_compound("see http://example.com/great-news", all) == 0);
    /* no: "no" before a sentiment word negates it and is not negative itself. */
    assert_true(rules_compound("no problems", all) > 0.05);
    assert_true(rules_compound("no problems", all & ~NLP_RULE_NO) < -0.05);
    /* supplement: workplace terms, phrases and emoji. */
    assert_true(rules_compound("I am burned out", all) < -0.05);
    assert_true(rules_compound("I am burned out", all & ~NLP_RULE_SUPPLEMENT) == 0);
    assert_true(rules_compound("I feel overwhelmed", all) < -0.05);
    assert_true(rules_compound("I feel overwhelmed", NLP_RULES_COMPAT) > 0);
    assert_true(rules_compound("no work-life balance", all) < -0.05);
    assert_true(rules_compound("\xf0\x9f\x99\x82", all) > 0.05);
    assert_true(rules_compound("\xf0\x9f\x99\x82", NLP_RULES_COMPAT) == 0);
    /* elongated letters. */
    assert_true(rules_compound("goooood", all) > 0.05);
    assert_true(rules_compound("goooood", all & ~NLP_RULE_ELONGATED) == 0);
    /* clause: a negation does not reach into the next sentence. */
    assert_true(rules_compound("Nope. Fine.", all) > 0.05);
    assert_true(rules_compound("Nope. Fine.", all & ~NLP_RULE_CLAUSE) < -0.05);
    /* senses: "like" as a preposition, "pretty" as an adverb. */
    assert_true(rules_compound("It feels like a factory", all) == 0);
    assert_true(rules_compound("It feels like a factory", all & ~NLP_RULE_SENSES) > 0.05);
    assert_true(rules_compound("I like my team", all) > 0.05);
    assert_true(rules_compound("I don't like my team", all) < -0.05);
    assert_true(rules_compound("pretty bad", all) < rules_compound("bad", all));
    assert_true(rules_compound("pretty good", all) > rules_compound("good", all));
    /* The rule list names every bit of the default set once. */
    size_t n;
    const nlp_rule_info *info = nlp_rule_list(&n);
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(seen & info[i].bit, 0);
        seen |= info[i].bit;
    }
    assert_int_equal(seen, NLP_RULES_DEFAULT);
}

static void test_polarity(void **state) {
    (void)state;
    ASSERT_POS("I love my team");
    ASSERT_POS("My manager is really supportive.");
    ASSERT_POS("Great onboarding, everyone was welcoming");
    ASSERT_POS("I'm happy here");
    ASSERT_POS("It's fine");
    ASSERT_POS("ok");
    ASSERT_POS("I feel valued and respected");
    ASSERT_POS("No problems at all");
    ASSERT_NEG("I'm completely burned out");
    ASSERT_NEG("burnout");
    ASSERT_NEG("I feel overworked and underpaid");
    ASSERT_NEG("The culture is toxic");
    ASSERT_NEG("I am micromanaged every day");
    ASSERT_NEG("so stressed");
    ASSERT_NEG("My manager is terrible");
    ASSERT_NEG("I hate Mondays here");
    ASSERT_NEG("over-worked and micro-managed");
    ASSERT_ZERO("The meeting is on Tuesday");
    ASSERT_ZERO("I feel like a robot"); /* "like" as a preposition carries nothing */
    ASSERT_POS("I really like my team");
    /* Case does not matter for lookups. */
    assert_true(compound("GOOD") > 0.05);
    assert_true(compound("Toxic") < -0.05);
}

static void test_negation(void **state) {
    (void)state;
    ASSERT_POS("good");
    ASSERT_NEG("not good");
    ASSERT_NEG("It isn't good");
    ASSERT_NEG("I wasn't happy");
    ASSERT_NEG("I\xe2\x80\x99m not happy"); /* typographic apostrophe */
    ASSERT_NEG("never helpful");
    ASSERT_NEG("I don't like it");
    ASSERT_NEG("There is no support");
    ASSERT_POS("not bad");
    ASSERT_POS("I'm not stressed");
    /* Three tokens back is in reach, four is not. */
    ASSERT_NEG("not very much good");
    ASSERT_POS("not in the office good");
    /* Negation stops at a clause break. */
    ASSERT_POS("No, it is good");
    /* -0.74: the flipped score is weaker than the original. */
    nlp_sentiment a, b;
    nlp_sentiment_score("happy", 5, &a);
    nlp_sentiment_score("not happy", 9, &b);
    assert_true(b.compound < 0 && -b.compound < a.compound);
}

static void test_boosters_and_dampeners(void **state) {
    (void)state;
    assert_true(compound("very good") > compound("good"));
    assert_true(compound("extremely good") > compound("good"));
    assert_true(compound("really stressed") < compound("stressed"));
    assert_true(compound("so toxic") < compound("toxic"));
    assert_true(compound("slightly stressed") > compound("stressed"));
    assert_true(compound("slightly stressed") < 0);
    assert_true(compound("somewhat good") < compound("good"));
    assert_true(compound("The book was kind of good") < compound("The book was good"));
    assert_true(compound("The book was kind of good") > 0);
    assert_true(compound("I was sort of stressed") > compound("I was stressed"));
    /* "kind" is a sentiment word only when it is not "kind of". */
    ASSERT_POS("My manager is kind");
    /* A booster loses strength with distance. */
    assert_true(compound("very good") > compound("very much good"));
    /* Capitals stress a word when the rest of the text is not shouting. */
    assert_true(compound("I am HAPPY today") > compound("I am happy today"));
    assert_true(compound("great!") > compound("great"));
    assert_true(compound("great!!!") > compound("great!"));
    assert_true(compound("awful!!") < compound("awful"));
    /* Exclamation marks stop adding after four. */
    assert_true(compound("great!!!!") == compound("great!!!!!!!!"));
}

static void test_but_weighting(void **state) {
    (void)state;
    ASSERT_NEG("The pay is good but my manager is toxic");
    ASSERT_POS("My manager is toxic but the pay is good");
    /* After "but" weighs 1.5, before it 0.5. */
    assert_true(compound("fine but great") > compound("fine great"));
    assert_true(compound("The team is great but I am tired") < compound("The team is great and I am tired"));
    /* Negation does not reach across "but". */
    ASSERT_POS("not bad but good");
}

static void test_emoji_and_emoticons(void **state) {
    (void)state;
    ASSERT_POS("\xf0\x9f\x99\x82");                 /* 🙂 */
    ASSERT_POS("\xf0\x9f\x98\x80");                 /* 😀 */
    ASSERT_POS("\xe2\x9d\xa4\xef\xb8\x8f");         /* ❤️ with its variation selector */
    ASSERT_NEG("\xf0\x9f\x98\x9e");                 /* 😞 */
    ASSERT_NEG("\xf0\x9f\x98\xa1");                 /* 😡 */
    ASSERT_NEG("\xf0\x9f\x91\x8e\xf0\x9f\x8f\xbd"); /* 👎🏽 with a skin tone */
    ASSERT_POS("thanks :)");
    ASSERT_NEG("meh :(");
    ASSERT_NEG(":'(");
    ASSERT_POS("<3");
    ASSERT_ZERO("see http://example.com/a at 10:30");
    ASSERT_ZERO("\xf0\x9f\x8d\x95"); /* 🍕 is a token without sentiment */
    /* Emoji glued to words are separate tokens. */
    ASSERT_NEG("tired\xf0\x9f\x98\x9e");
    assert_true(compound("\xf0\x9f\x98\xa1\xf0\x9f\x98\xa1") < compound("\xf0\x9f\x98\xa1"));
}

static void test_non_ascii_words(void **state) {
    (void)state;
    /* Non-ASCII letters belong to the word: "très" is one unknown token. */
    ASSERT_ZERO("caf\xc3\xa9 tr\xc3\xa8s bien");
    ASSERT_NEG("caf\xc3\xa9 toxic");
    ASSERT_NEG("\xe6\x9d\xb1\xe4\xba\xac stressed"); /* 東京 stressed */
    /* "goodé" is not "good". */
    ASSERT_ZERO("good\xc3\xa9");
    /* A non-breaking space separates words. */
    ASSERT_NEG("not\xc2\xa0good");
}

static void test_proportions(void **state) {
    (void)state;
    static const char *texts[] = {
        "I love my team",
        "not good at all",
        "The pay is good but my manager is toxic",
        "meh",
        "great!!!",
        "fine I guess, kind of stressed???",
        "\xf0\x9f\x98\x9e :(",
        "",
        "WOW this is AMAZING but so TIRING",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        nlp_sentiment r;
        nlp_sentiment_score(texts[i], strlen(texts[i]), &r);
        assert_shape(&r);
    }
    nlp_sentiment r;
    nlp_sentiment_score("I love my team", 14, &r);
    assert_true(r.pos > 0 && r.neg == 0 && r.neu > 0);
    nlp_sentiment_score("awful", 5, &r);
    assert_true(r.neg == 1 && r.pos == 0);
}

static void test_empty_and_garbage(void **state) {
    (void)state;
    nlp_sentiment r;
    nlp_sentiment_score("", 0, &r);
    assert_true(r.compound == 0 && r.neu == 1 && r.pos == 0 && r.neg == 0);
    nlp_sentiment_score(NULL, 0, &r);
    assert_true(r.compound == 0 && r.neu == 1);
    ASSERT_ZERO("   \t  ");
    ASSERT_ZERO("!!!???...");
    ASSERT_ZERO("asdf qwer zxcv");
    ASSERT_ZERO("\xff\xfe\xc0\x80\xed\xa0\x80"); /* invalid UTF-8 scores as separators */
    ASSERT_POS("\xff good \xfe");
    /* LEN is honoured: nothing past it is read. */
    nlp_sentiment_score("good awful", 4, &r);
    assert_true(r.compound > 0);
    /* Random bytes: always a well-formed result. */
    unsigned char junk[512];
    unsigned int seed = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = (unsigned char)(seed >> 16);
        }
        nlp_sentiment_score((const char *)junk, (size_t)(seed % sizeof junk), &r);
        assert_shape(&r);
    }
    /* A word longer than any lexicon entry is just an unknown token. */
    char longword[200];
    memset(longword, 'a', sizeof longword - 1);
    longword[sizeof longword - 1] = '\0';
    ASSERT_ZERO(longword);
}

static void test_long_text(void **state) {
    (void)state;
    /* Longer than NLP_MAX_TEXT: scored on the prefix, without reading past it. */
    size_t n = NLP_MAX_TEXT + 5000;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, ' ', n);
    for (size_t i = 0; i + 5 <= n; i += 5) memcpy(s + i, "good ", 5);
    nlp_sentiment r;
    nlp_sentiment_score(s, n, &r);
    assert_shape(&r);
    assert_true(r.compound > 0.9);
    /* Multi-byte characters straddling the cut. */
    for (size_t i = 0; i + 2 <= n; i += 2) memcpy(s + i, "\xc3\xa9", 2);
    nlp_sentiment_score(s, n, &r);
    assert_true(r.compound == 0 && r.neu == 1);
    free(s);
}

/* Runs the CLI on IN (LEN bytes) and returns its output (caller frees). */
static char *run_cli(const char *in, size_t len, int *rc) {
    /* fmemopen refuses size 0 on some libcs: read an empty file instead. */
    FILE *fin = len ? fmemopen((void *)in, len, "r") : fopen("/dev/null", "r");
    assert_non_null(fin);
    char *outp = NULL;
    size_t outlen = 0;
    FILE *fout = open_memstream(&outp, &outlen);
    assert_non_null(fout);
    *rc = nlp_sentiment_cli(fin, fout, NLP_RULES_DEFAULT);
    fclose(fin);
    fclose(fout);
    return outp;
}

static int count_char(const char *s, char c) {
    int n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

static void test_cli_lines(void **state) {
    (void)state;
    int rc;
    const char in[] = "I love it\nI hate it\n\ngood\r\ngood";
    char *out = run_cli(in, sizeof in - 1, &rc);
    assert_int_equal(rc, HARK_OK);
    assert_int_equal(count_char(out, '\n'), 5);
    char *line = out;
    double values[5];
    for (int i = 0; i < 5; i++) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        /* compound, pos, neu, neg, and an empty flags field. */
        assert_int_equal(count_char(line, '\t'), 4);
        assert_true(line[strlen(line) - 1] == '\t');
        values[i] = strtod(line, NULL);
        if (i == 2) assert_string_equal(line, "0.0000\t0.0000\t1.0000\t0.0000\t");
        line = nl + 1;
    }
    assert_true(values[0] > 0.05);
    assert_true(values[1] < -0.05);
    assert_true(values[3] == values[4]); /* CR stripped; last line without newline scored */
    free(out);

    out = run_cli("", 0, &rc);
    assert_int_equal(rc, HARK_OK);
    assert_string_equal(out, "");
    free(out);
}

static void test_cli_invalid_utf8(void **state) {
    (void)state;
    int rc;
    const char in[] = "fine\n\xc0\xaf\nok \xed\xa0\x80\n\xf4\x90\x80\x80\n\xe2\x82\ngood\n";
    char *out = run_cli(in, sizeof in - 1, &rc);
    assert_int_equal(rc, HARK_OK);
    char *p = out;
    assert_int_equal(strncmp(p, "0.", 2), 0);
    for (int i = 0; i < 4; i++) {
        p = strchr(p, '\n') + 1;
        assert_int_equal(strncmp(p, "error\tinvalid UTF-8\n", 20), 0);
    }
    p = strchr(p, '\n') + 1;
    assert_true(strtod(p, NULL) > 0.05);
    assert_int_equal(count_char(out, '\n'), 6);
    free(out);
}

static void test_cli_long_line(void **state) {
    (void)state;
    /* A line over the bound is reported and skipped; the next line is scored.
     * A line of exactly NLP_MAX_TEXT bytes (plus CR) is still scored. */
    size_t big = (size_t)NLP_MAX_TEXT * 4;
    size_t n = big + 1 + NLP_MAX_TEXT + 2 + 5;
    char *in = malloc(n);
    assert_non_null(in);
    memset(in, 'a', big);
    in[big] = '\n';
    memset(in + big + 1, 'b', NLP_MAX_TEXT);
    memcpy(in + big + 1 + NLP_MAX_TEXT, "\r\ngood\n", 7);
    int rc;
    char *out = run_cli(in, n, &rc);
    assert_int_equal(rc, HARK_OK);
    assert_int_equal(strncmp(out, "error\t", 6), 0);
    char *p = strchr(out, '\n') + 1;
    assert_int_equal(strncmp(p, "0.0000\t", 7), 0);
    p = strchr(p, '\n') + 1;
    assert_true(strtod(p, NULL) > 0.05);
    assert_int_equal(count_char(out, '\n'), 3);
    free(out);
    free(in);
}

static void test_cli_write_error(void **state) {
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (!full) skip();
    FILE *fin = fmemopen((void *)"good\n", 5, "r");
    assert_non_null(fin);
    assert_int_equal(nlp_sentiment_cli(fin, full, NLP_RULES_DEFAULT), HARK_EIO);
    fclose(fin);
    fclose(full);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexicon),           cmocka_unit_test(test_compat_reference),
        cmocka_unit_test(test_hark_rules),        cmocka_unit_test(test_polarity),
        cmocka_unit_test(test_negation),          cmocka_unit_test(test_boosters_and_dampeners),
        cmocka_unit_test(test_but_weighting),     cmocka_unit_test(test_emoji_and_emoticons),
        cmocka_unit_test(test_non_ascii_words),   cmocka_unit_test(test_proportions),
        cmocka_unit_test(test_empty_and_garbage), cmocka_unit_test(test_long_text),
        cmocka_unit_test(test_cli_lines),         cmocka_unit_test(test_cli_invalid_utf8),
        cmocka_unit_test(test_cli_long_line),     cmocka_unit_test(test_cli_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
