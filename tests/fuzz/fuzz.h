/* Shared by the libFuzzer targets of tests/fuzz, one fuzz_X.c per nlp entry
 * point (built with -DHARK_FUZZ=ON, run by `make fuzz` and scripts/test). A
 * target feeds the fuzzer's bytes to its function and checks the promises of
 * the function's header that hold for every input; a broken promise aborts
 * through FUZZ_CHECK, which libFuzzer records as a crash with the input. These
 * are properties, not expected values: those belong in tests/unit. */
#ifndef HARK_FUZZ_H
#define HARK_FUZZ_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "nlp/flags.h"
#include "nlp/sentiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

__attribute__((noreturn, format(printf, 4, 5))) static inline void fuzz_fail(const char *file, int line,
                                                                             const char *cond, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", file, line, cond);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Aborts with the failed condition and a printf-style explanation. Unlike
 * assert() it is never compiled out. */
#define FUZZ_CHECK(cond, ...)                                                                                          \
    do {                                                                                                               \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                                \
    } while (0)

/* The text a target works on: the fuzzer's bytes, or, when the first byte is
 * 0xFF, the bytes after it repeated to a length within 16 bytes of
 * NLP_MAX_TEXT (which one depends on the input's size). That reaches the bound
 * on text length and the cut at it without 64 KB seeds, which would slow down
 * every other input. OWNED is what fuzz_text_free releases (NULL when S points
 * into the fuzzer's buffer). */
typedef struct fuzz_text {
    const char *s;
    size_t len;
    char *owned;
} fuzz_text;

static inline fuzz_text fuzz_text_get(const uint8_t *data, size_t size) {
    fuzz_text t = {(const char *)data, size, NULL};
    if (size < 2 || data[0] != 0xFF) return t;
    size_t body = size - 1, len = NLP_MAX_TEXT - 16 + size % 33;
    t.owned = malloc(len);
    FUZZ_CHECK(t.owned != NULL, "out of memory");
    for (size_t i = 0; i < len; i += body) memcpy(t.owned + i, data + 1, len - i < body ? len - i : body);
    t.s = t.owned;
    t.len = len;
    return t;
}

static inline void fuzz_text_free(fuzz_text *t) {
    free(t->owned);
    t->owned = NULL;
}

/* Sets BOUNDARY[i] (LEN + 1 entries) to 1 where a character starts when S is
 * read as the nlp modules read it: a well-formed UTF-8 sequence is one
 * character and any other byte one on its own. LEN itself is a boundary. */
static inline void fuzz_boundaries(const char *s, size_t len, unsigned char *boundary) {
    memset(boundary, 0, len + 1);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        boundary[i] = 1;
        i += k ? k : 1;
    }
    boundary[len] = 1;
}

/* Aborts unless the compiled-in red-flag rules load: without them
 * nlp_flags_detect finds nothing, and fuzzing it would prove nothing. */
static inline void fuzz_require_flags(void) {
    char err[512] = "";
    int rc = nlp_flags_init(err, sizeof err);
    FUZZ_CHECK(rc == 0, "the red-flag rules do not load (%d): %s", rc, err);
}

/* The shape every sentiment has (sentiment.h): compound in [-1, 1] and
 * proportions in [0, 1] that sum to 1. They may all be 0 (text without tokens)
 * only with rules other than NLP_RULES_DEFAULT. */
static inline void fuzz_check_sentiment(const nlp_sentiment *r, unsigned rules) {
    FUZZ_CHECK(isfinite(r->compound) && r->compound >= -1.0 && r->compound <= 1.0, "compound %g", r->compound);
    FUZZ_CHECK(isfinite(r->pos) && r->pos >= 0 && r->pos <= 1, "pos %g", r->pos);
    FUZZ_CHECK(isfinite(r->neu) && r->neu >= 0 && r->neu <= 1, "neu %g", r->neu);
    FUZZ_CHECK(isfinite(r->neg) && r->neg >= 0 && r->neg <= 1, "neg %g", r->neg);
    double sum = r->pos + r->neu + r->neg;
    FUZZ_CHECK(fabs(sum - 1) <= 1e-9 || (sum == 0 && r->compound == 0 && rules != NLP_RULES_DEFAULT),
               "rules 0x%x: pos %g + neu %g + neg %g = %.17g, compound %g", rules, r->pos, r->neu, r->neg, sum,
               r->compound);
}

#endif
