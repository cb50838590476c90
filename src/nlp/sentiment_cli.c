/* `hark sentiment` (sentiment.h): the line-oriented front end of the nlp
 * module. One text per line in, one line of scores and red flags out; a bad
 * line gets an error line of its own and never stops the run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "nlp/flags.h"
#include "nlp/sentiment.h"

/* Rounds to the 4 printed decimals without ever printing "-0.0000". */
static double print4(double x) {
    double r = round(x * 10000.0) / 10000.0;
    return r == 0 ? 0.0 : r;
}

static int emit_line(FILE *out, const char *line, size_t len, int too_long, unsigned rules) {
    if (too_long) return fprintf(out, "error\tline longer than %d bytes\n", NLP_MAX_TEXT);
    if (!utf8_valid((const unsigned char *)line, len)) return fprintf(out, "error\tinvalid UTF-8\n");
    nlp_sentiment sc;
    nlp_sentiment_score_rules(line, len, rules, &sc);
    if (fprintf(out, "%.4f\t%.4f\t%.4f\t%.4f\t", print4(sc.compound), print4(sc.pos), print4(sc.neu), print4(sc.neg)) <
        0)
        return -1;
    nlp_flag flags[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(line, len, flags, NLP_FLAGS_MAX);
    for (size_t i = 0; i < n; i++)
        if (fprintf(out, "%s%s:%d", i ? "," : "", nlp_flag_kind_name(flags[i].kind), flags[i].severity) < 0) return -1;
    return putc('\n', out) == EOF ? -1 : 0;
}

int nlp_sentiment_cli(FILE *in, FILE *out, unsigned rules) {
    /* One more byte than the bound so a line of exactly NLP_MAX_TEXT bytes plus a
     * CR still fits; anything beyond is dropped up to the newline. */
    size_t cap = NLP_MAX_TEXT + 1;
    char *line = malloc(cap);
    if (!line) return HARK_ENOMEM;
    int rc = HARK_OK;
    size_t len = 0;
    int too_long = 0, pending = 0;
    flockfile(in);
    for (;;) {
        int c = getc_unlocked(in);
        if (c == EOF || c == '\n') {
            if (c == EOF && !pending) break;
            if (len > 0 && line[len - 1] == '\r') len--;
            if (len > NLP_MAX_TEXT) too_long = 1;
            if (emit_line(out, line, len, too_long, rules) < 0) {
                rc = HARK_EIO;
                goto done;
            }
            len = 0;
            too_long = pending = 0;
            if (c == EOF) break;
            continue;
        }
        pending = 1;
        if (len < cap)
            line[len++] = (char)c;
        else
            too_long = 1;
    }
done:
    funlockfile(in);
    if (rc == HARK_OK && ferror(in)) rc = HARK_EIO;
    if (fflush(out) != 0 && rc == HARK_OK) rc = HARK_EIO;
    free(line);
    return rc;
}
