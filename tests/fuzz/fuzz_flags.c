/* libFuzzer target for nlp_flags_detect (flags.h): on any bytes it returns at
 * most MAX flags, writes no further than MAX entries, in kind order with at
 * most one per kind, each with a known kind and severity and an evidence span
 * that lies inside the text's first NLP_FLAGS_MAX_TEXT bytes and starts and
 * ends on character boundaries; a smaller MAX gives the first of the same
 * flags; and the same text gives the same flags every time, whatever follows
 * its first NLP_FLAGS_MAX_TEXT bytes. See fuzz.h. */
#include "fuzz.h"

static int same(const nlp_flag *a, const nlp_flag *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i].kind != b[i].kind || a[i].severity != b[i].severity || a[i].start != b[i].start ||
            a[i].len != b[i].len)
            return 0;
    return 1;
}

static void check_flags(const fuzz_text *in, const unsigned char *boundary, const nlp_flag *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(f[i].kind >= 1 && f[i].kind <= NLP_FLAG_KINDS, "flag %zu: kind %d", i, f[i].kind);
        FUZZ_CHECK(i == 0 || f[i].kind > f[i - 1].kind, "flag %zu: kind %d after kind %d", i, f[i].kind, f[i - 1].kind);
        const char *name = nlp_flag_kind_name(f[i].kind);
        FUZZ_CHECK(name != NULL && nlp_flag_kind_parse(name) == f[i].kind, "kind %d has no name that parses back",
                   f[i].kind);
        FUZZ_CHECK(f[i].severity >= 1 && f[i].severity <= 3, "%s: severity %d", name, f[i].severity);
        FUZZ_CHECK(f[i].start <= in->len && f[i].len <= in->len - f[i].start,
                   "%s: span %zu+%zu outside the text of %zu bytes", name, f[i].start, f[i].len, in->len);
        FUZZ_CHECK(f[i].len > 0, "%s: empty evidence span at %zu", name, f[i].start);
        FUZZ_CHECK(f[i].start + f[i].len <= NLP_FLAGS_MAX_TEXT, "%s: span %zu+%zu past the %d bytes examined", name,
                   f[i].start, f[i].len, NLP_FLAGS_MAX_TEXT);
        FUZZ_CHECK(boundary[f[i].start] && boundary[f[i].start + f[i].len], "%s: span %zu+%zu cuts a UTF-8 character",
                   name, f[i].start, f[i].len);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_require_flags();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_text in = fuzz_text_get(data, size);
    unsigned char *boundary = malloc(in.len + 1);
    FUZZ_CHECK(boundary != NULL, "out of memory");
    fuzz_boundaries(in.s, in.len, boundary);

    /* Exactly MAX entries on the heap, so ASan sees a write past them. */
    nlp_flag *all = malloc(NLP_FLAGS_MAX * sizeof *all);
    nlp_flag *again = malloc(NLP_FLAGS_MAX * sizeof *again);
    nlp_flag *one = malloc(sizeof *one);
    FUZZ_CHECK(all && again && one, "out of memory");
    size_t n = nlp_flags_detect(in.s, in.len, all, NLP_FLAGS_MAX);
    FUZZ_CHECK(n <= NLP_FLAGS_MAX, "%zu flags, at most %d allowed", n, NLP_FLAGS_MAX);
    check_flags(&in, boundary, all, n);

    /* The same text again, or only the first NLP_FLAGS_MAX_TEXT + 1 bytes of a
     * longer one (only the first NLP_FLAGS_MAX_TEXT count), gives the same flags. */
    size_t len = in.len > NLP_FLAGS_MAX_TEXT + 1 ? NLP_FLAGS_MAX_TEXT + 1 : in.len;
    size_t m = nlp_flags_detect(in.s, len, again, NLP_FLAGS_MAX);
    FUZZ_CHECK(m == n && same(all, again, n), "%zu bytes gave %zu flags, %zu of them %zu", in.len, n, len, m);
    size_t k = nlp_flags_detect(in.s, in.len, one, 1);
    FUZZ_CHECK(k == (n ? 1 : 0), "with MAX 1: %zu flags (of %zu)", k, n);
    FUZZ_CHECK(k == 0 || same(one, all, 1), "with MAX 1: not the first of the %zu flags", n);
    /* Not on 64 KB texts, which are slow under the sanitizers. */
    FUZZ_CHECK(in.owned || nlp_flags_detect(in.s, in.len, one, 0) == 0, "with MAX 0: flags returned");

    free(one);
    free(again);
    free(all);
    free(boundary);
    fuzz_text_free(&in);
    return 0;
}
