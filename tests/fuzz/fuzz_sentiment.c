/* libFuzzer target for nlp_sentiment_score and nlp_sentiment_score_rules
 * (sentiment.h): any bytes, valid UTF-8 or not, of any length, score to the
 * documented shape under the default rules, the reference (compat) rules and
 * a subset chosen by the input's last byte, the same way every time, and
 * bytes past NLP_MAX_TEXT change nothing. See fuzz.h. */
#include "fuzz.h"

static int same(const nlp_sentiment *a, const nlp_sentiment *b) {
    return a->compound == b->compound && a->pos == b->pos && a->neu == b->neu && a->neg == b->neg;
}

/* Scores IN twice with RULES and checks the shape of the scores and that
 * they agree. The default rules are also nlp_sentiment_score's, so the first
 * score of those comes from it. The second score is of the same text, or, when
 * the text is longer than NLP_MAX_TEXT + 1 bytes, of its first NLP_MAX_TEXT +
 * 1: only the first NLP_MAX_TEXT bytes count. */
static void check(const fuzz_text *in, unsigned rules) {
    nlp_sentiment a, b;
    if (rules == NLP_RULES_DEFAULT)
        nlp_sentiment_score(in->s, in->len, &a);
    else
        nlp_sentiment_score_rules(in->s, in->len, rules, &a);
    fuzz_check_sentiment(&a, rules);
    size_t len = in->len > NLP_MAX_TEXT + 1 ? NLP_MAX_TEXT + 1 : in->len;
    nlp_sentiment_score_rules(in->s, len, rules, &b);
    FUZZ_CHECK(same(&a, &b), "rules 0x%x: %zu bytes score %.17g, then %zu of them %.17g", rules, in->len, a.compound,
               len, b.compound);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_text in = fuzz_text_get(data, size);
    check(&in, NLP_RULES_DEFAULT);
    check(&in, NLP_RULES_COMPAT);
    /* A third rule set on short texts only: 64 KB ones are slow under the sanitizers. */
    unsigned some = size ? data[size - 1] & NLP_RULES_DEFAULT : 0;
    if (!in.owned && some != NLP_RULES_DEFAULT && some != NLP_RULES_COMPAT) check(&in, some);
    fuzz_text_free(&in);
    return 0;
}
