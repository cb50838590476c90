/* libFuzzer target for nlp_sentiment_cli (sentiment.h), `hark sentiment`: the
 * fuzzer's bytes are its standard input (an fmemopen stream) and its output is
 * checked line by line against what the header promises: one line out per
 * line in; "error\t..." exactly for the lines that are too long or not UTF-8;
 * otherwise four numbers that agree with nlp_sentiment_score_rules to the 4
 * printed decimals, then the red flags of nlp_flags_detect as
 * "kind:severity,...". Run with the default rules and, on short input, with a
 * set chosen by the input's last byte. See fuzz.h. */
#include "core/err.h"
#include "fuzz.h"

/* Parses one "%.4f" field at *P followed by a tab; advances *P past the tab. */
static double field(const char **p, const char *end, const char *name) {
    const char *s = *p;
    char *after;
    FUZZ_CHECK(s < end && (*s == '-' || (*s >= '0' && *s <= '9')), "%s: not a number: \"%.*s\"", name, (int)(end - s),
               s);
    FUZZ_CHECK(strncmp(s, "-0.0000", 7) != 0, "%s printed as -0.0000", name);
    double v = strtod(s, &after);
    FUZZ_CHECK(after > s && after < end && *after == '\t', "%s: \"%.*s\" is not a number and a tab", name,
               (int)(end - s), s);
    const char *dot = memchr(s, '.', (size_t)(after - s));
    FUZZ_CHECK(dot && after - dot == 5, "%s: \"%.*s\" has not 4 decimals", name, (int)(after - s), s);
    *p = after + 1;
    return v;
}

static void near(double printed, double scored, const char *name) {
    FUZZ_CHECK(fabs(printed - scored) <= 0.00005 + 1e-9, "%s printed %.4f, nlp_sentiment_score_rules gives %.17g", name,
               printed, scored);
}

/* Checks the output line [P, END) for the input line LINE (LEN bytes, its
 * newline and one trailing CR removed). */
static void check_line(const char *line, size_t len, unsigned rules, const char *p, const char *end) {
    if (len > NLP_MAX_TEXT || !utf8_valid((const unsigned char *)line, len)) {
        FUZZ_CHECK((size_t)(end - p) > 6 && memcmp(p, "error\t", 6) == 0,
                   "a line of %zu bytes (too long or not UTF-8) gave \"%.*s\"", len, (int)(end - p), p);
        return;
    }
    nlp_sentiment r;
    nlp_sentiment_score_rules(line, len, rules, &r);
    near(field(&p, end, "compound"), r.compound, "compound");
    near(field(&p, end, "pos"), r.pos, "pos");
    near(field(&p, end, "neu"), r.neu, "neu");
    near(field(&p, end, "neg"), r.neg, "neg");

    nlp_flag flags[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(line, len, flags, NLP_FLAGS_MAX);
    char want[NLP_FLAGS_MAX * 32] = "";
    size_t w = 0;
    for (size_t i = 0; i < n && i < NLP_FLAGS_MAX; i++) {
        const char *name = nlp_flag_kind_name(flags[i].kind);
        w += (size_t)snprintf(want + w, sizeof want - w, "%s%s:%d", i ? "," : "", name ? name : "?", flags[i].severity);
    }
    FUZZ_CHECK((size_t)(end - p) == w && memcmp(p, want, w) == 0, "flags field \"%.*s\", nlp_flags_detect \"%s\"",
               (int)(end - p), p, want);
}

static void run(const fuzz_text *in, unsigned rules) {
    char empty[1];
    FILE *fin = fmemopen(in->len ? (void *)in->s : empty, in->len, "r");
    FUZZ_CHECK(fin != NULL, "fmemopen failed");
    char *out = NULL;
    size_t outlen = 0;
    FILE *fout = open_memstream(&out, &outlen);
    FUZZ_CHECK(fout != NULL, "open_memstream failed");
    int rc = nlp_sentiment_cli(fin, fout, rules);
    FUZZ_CHECK(rc == HARK_OK, "nlp_sentiment_cli returned %d", rc);
    fclose(fin);
    fclose(fout);

    const char *s = in->s, *s_end = in->s + in->len, *o = out, *o_end = out + outlen;
    size_t lines = 0;
    while (s < s_end) {
        const char *nl = memchr(s, '\n', (size_t)(s_end - s));
        size_t len = (size_t)((nl ? nl : s_end) - s);
        if (len > 0 && s[len - 1] == '\r') len--;
        const char *onl = memchr(o, '\n', (size_t)(o_end - o));
        FUZZ_CHECK(onl != NULL, "rules 0x%x: input line %zu has no output line", rules, lines + 1);
        check_line(s, len, rules, o, onl);
        o = onl + 1;
        lines++;
        s = nl ? nl + 1 : s_end;
    }
    FUZZ_CHECK(o == o_end, "rules 0x%x: %zu lines in, more out: \"%.*s\"", rules, lines, (int)(o_end - o), o);
    free(out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_require_flags();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_text in = fuzz_text_get(data, size);
    run(&in, NLP_RULES_DEFAULT);
    /* A second rule set on short texts only: 64 KB ones are slow under the sanitizers. */
    unsigned some = size ? data[size - 1] & NLP_RULES_DEFAULT : 0;
    if (!in.owned && some != NLP_RULES_DEFAULT) run(&in, some);
    fuzz_text_free(&in);
    return 0;
}
