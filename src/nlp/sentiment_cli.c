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

_Static_assert(NLP_MAX_TEXT == 65536, "the error text of nlp_read_line names the bound");

double nlp_round4(double x) {
    double r = round(x * 10000.0) / 10000.0;
    return r == 0 ? 0.0 : r;
}

const char *nlp_line_problem_text(int problem) {
    return problem == NLP_LINE_TOO_LONG  ? "line longer than 65536 bytes"
           : problem == NLP_LINE_INVALID ? "invalid UTF-8"
                                         : NULL;
}

int nlp_read_line(FILE *in, char *line, size_t *len, int *problem) {
    size_t n = 0;
    int any = 0, over = 0;
    for (;;) {
        int c = getc_unlocked(in);
        if (c == EOF) break;
        any = 1;
        if (c == '\n') break;
        if (n < NLP_LINE_CAP)
            line[n++] = (char)c;
        else
            over = 1;
    }
    if (ferror(in)) return HARK_EIO;
    if (n > 0 && line[n - 1] == '\r' && !over) n--;
    *len = n;
    *problem = NLP_LINE_OK;
    if (over || n > NLP_MAX_TEXT)
        *problem = NLP_LINE_TOO_LONG;
    else if (!utf8_valid((const unsigned char *)line, n))
        *problem = NLP_LINE_INVALID;
    return any;
}

static int emit_line(FILE *out, const char *line, size_t len, int problem, unsigned rules) {
    if (problem) return fprintf(out, "error\t%s\n", nlp_line_problem_text(problem));
    nlp_sentiment sc;
    nlp_sentiment_score_rules(line, len, rules, &sc);
    if (fprintf(out, "%.4f\t%.4f\t%.4f\t%.4f\t", nlp_round4(sc.compound), nlp_round4(sc.pos), nlp_round4(sc.neu),
                nlp_round4(sc.neg)) < 0)
        return -1;
    nlp_flag flags[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(line, len, flags, NLP_FLAGS_MAX);
    for (size_t i = 0; i < n; i++)
        if (fprintf(out, "%s%s:%d", i ? "," : "", nlp_flag_kind_name(flags[i].kind), flags[i].severity) < 0) return -1;
    return putc('\n', out) == EOF ? -1 : 0;
}

int nlp_sentiment_cli(FILE *in, FILE *out, unsigned rules) {
    char *line = malloc(NLP_LINE_CAP);
    if (!line) return HARK_ENOMEM;
    int rc = HARK_OK, got;
    size_t len;
    int problem;
    flockfile(in);
    while ((got = nlp_read_line(in, line, &len, &problem)) > 0) {
        if (emit_line(out, line, len, problem, rules) < 0) {
            rc = HARK_EIO;
            break;
        }
    }
    funlockfile(in);
    if (got < 0) rc = HARK_EIO;
    if (fflush(out) != 0 && rc == HARK_OK) rc = HARK_EIO;
    free(line);
    return rc;
}
