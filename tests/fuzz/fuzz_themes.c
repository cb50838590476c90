/* libFuzzer target for the themes accumulator (themes.h). The input's last
 * three bytes choose MAX_TERMS, MIN_PHRASE and N; the bytes before them are
 * comments, one per line, each added with its own sentiment. Checked: every
 * comment is counted, and no use is dropped below the default bound;
 * nlp_themes_top returns at most N themes (and no more than MAX_TERMS), most
 * used first, with no duplicates; each term is lower-case UTF-8 within
 * NLP_THEME_TERM_MAX, a phrase is two such terms and one space and is used by
 * at least MIN_PHRASE comments; counts lie between 1 and the comments added,
 * mean sentiments between the lowest and highest compound added; and a
 * smaller N gives the head of the same list. See fuzz.h. */
#include "core/err.h"
#include "fuzz.h"
#include "nlp/themes.h"

static void check_term(const nlp_theme *th) {
    const char *end = memchr(th->term, '\0', sizeof th->term);
    FUZZ_CHECK(end != NULL, "a term without its NUL");
    size_t len = (size_t)(end - th->term);
    FUZZ_CHECK(len > 0, "an empty term");
    FUZZ_CHECK(utf8_valid((const unsigned char *)th->term, len), "term \"%s\" is not UTF-8", th->term);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)th->term[i];
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && c >= 0x20 && c != 0x7F, "term \"%s\": byte 0x%02x", th->term, c);
    }
    const char *space = memchr(th->term, ' ', len);
    if (th->phrase) {
        FUZZ_CHECK(space && space > th->term && space < end - 1 && !memchr(space + 1, ' ', (size_t)(end - space - 1)),
                   "phrase \"%s\" is not two words", th->term);
        FUZZ_CHECK((size_t)(space - th->term) <= NLP_THEME_TERM_MAX && (size_t)(end - space - 1) <= NLP_THEME_TERM_MAX,
                   "phrase \"%s\": a word longer than %d bytes", th->term, NLP_THEME_TERM_MAX);
    } else {
        FUZZ_CHECK(th->phrase == 0 && !space, "term \"%s\" (phrase %d) holds a space", th->term, th->phrase);
        FUZZ_CHECK(len <= NLP_THEME_TERM_MAX, "term \"%s\" longer than %d bytes", th->term, NLP_THEME_TERM_MAX);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    size_t max_terms = data[size - 3] % 64; /* 0: the default bound; 1..63 makes the bound bite */
    unsigned min_phrase = data[size - 2] % 4;
    size_t n = 1 + data[size - 1];
    const char *s = (const char *)data, *end = s + size - 3;

    nlp_themes *t = nlp_themes_new(max_terms);
    FUZZ_CHECK(t != NULL, "nlp_themes_new(%zu) failed", max_terms);
    size_t added = 0;
    int complete = 1;
    double lo = 1, hi = -1;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)((nl ? nl : end) - s);
        nlp_sentiment r;
        nlp_sentiment_score(s, len, &r);
        int rc = nlp_themes_add(t, s, len, r.compound);
        FUZZ_CHECK(rc == HARK_OK || rc == HARK_ENOMEM, "nlp_themes_add returned %d", rc);
        complete &= rc == HARK_OK;
        added++;
        lo = fmin(lo, r.compound);
        hi = fmax(hi, r.compound);
        s = nl ? nl + 1 : end;
    }
    FUZZ_CHECK(!complete || nlp_themes_comments(t) == added, "%zu comments added, %zu counted", added,
               nlp_themes_comments(t));
    /* Fewer words than the default bound of 100,000 terms: every count is exact. */
    FUZZ_CHECK(max_terms != 0 || size > 100000 || nlp_themes_dropped(t) == 0, "%zu uses dropped below the bound",
               nlp_themes_dropped(t));

    /* Exactly N entries on the heap, so ASan sees a write past them. */
    nlp_theme *top = malloc(n * sizeof *top);
    FUZZ_CHECK(top != NULL, "out of memory");
    size_t got = nlp_themes_top(t, top, n, min_phrase);
    FUZZ_CHECK(got <= n, "%zu themes asked, %zu written", n, got);
    FUZZ_CHECK(max_terms == 0 || got <= max_terms, "%zu themes from an accumulator of at most %zu", got, max_terms);
    for (size_t i = 0; i < got; i++) {
        const nlp_theme *th = &top[i];
        check_term(th);
        FUZZ_CHECK(th->count >= 1 && th->count <= added, "\"%s\": count %u of %zu comments", th->term, th->count,
                   added);
        FUZZ_CHECK(!th->phrase || th->count >= min_phrase, "phrase \"%s\": %u comments, MIN_PHRASE %u", th->term,
                   th->count, min_phrase);
        FUZZ_CHECK(isfinite(th->sentiment) && th->sentiment >= lo - 1e-9 && th->sentiment <= hi + 1e-9,
                   "\"%s\": mean sentiment %g outside [%g, %g]", th->term, th->sentiment, lo, hi);
        FUZZ_CHECK(i == 0 || th->count <= top[i - 1].count, "\"%s\" (%u) after \"%s\" (%u)", th->term, th->count,
                   top[i - 1].term, top[i - 1].count);
        for (size_t j = 0; j < i; j++) FUZZ_CHECK(strcmp(th->term, top[j].term) != 0, "\"%s\" listed twice", th->term);
    }
    if (got > 1) {
        size_t head = got / 2;
        nlp_theme *first = malloc(head * sizeof *first);
        FUZZ_CHECK(first != NULL, "out of memory");
        size_t h = nlp_themes_top(t, first, head, min_phrase);
        FUZZ_CHECK(h == head, "top %zu gave %zu themes, top %zu gave %zu", n, got, head, h);
        for (size_t i = 0; i < head; i++)
            FUZZ_CHECK(strcmp(first[i].term, top[i].term) == 0 && first[i].count == top[i].count,
                       "top %zu and top %zu differ at %zu: \"%s\" and \"%s\"", head, n, i, first[i].term, top[i].term);
        free(first);
    }
    free(top);
    nlp_themes_free(t);
    return 0;
}
