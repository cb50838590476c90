/* `hark themes`: reads one comment per line on stdin, scores each with the
 * sentiment scorer and prints the most used terms and two-word phrases
 * (nlp/themes.h) as tab-separated lines: term, "term" or "phrase", the number
 * of comments using it, their mean compound (4 decimals). Lines follow the
 * rules of `hark sentiment`: a trailing CR is stripped, a last line without a
 * newline counts, and a line longer than NLP_MAX_TEXT bytes or not valid UTF-8
 * is skipped; the skipped lines are reported on stderr at the end. Empty
 * lines are not comments. Memory is bounded by one line buffer and the
 * accumulator's term bound, whatever the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "nlp/sentiment.h"
#include "nlp/themes.h"

#define TOP_DEFAULT        20
#define TOP_LIMIT          10000
#define MIN_PHRASE_DEFAULT 2
#define MIN_PHRASE_LIMIT   1000000

/* Parses the value of --NAME (VALUE, or NULL when the flag is absent) as an
 * integer from 1 to LIMIT into *OUT. 0, or 2 after printing why. */
static int parse_flag(const char *name, const char *value, unsigned long limit, unsigned long *out) {
    if (!value) return 0;
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end || v < 1 || v > limit) {
        fprintf(stderr, "hark themes: --%s must be an integer from 1 to %lu, not '%s'\n", name, limit, value);
        return 2;
    }
    *out = v;
    return 0;
}

static int print_top(const nlp_themes *t, size_t top, unsigned min_phrase) {
    nlp_theme *out = calloc(top, sizeof *out);
    if (!out) {
        fprintf(stderr, "hark themes: out of memory\n");
        return 1;
    }
    size_t n = nlp_themes_top(t, out, top, min_phrase);
    for (size_t i = 0; i < n; i++)
        printf("%s\t%s\t%u\t%.4f\n", out[i].term, out[i].phrase ? "phrase" : "term", out[i].count,
               nlp_round4(out[i].sentiment));
    free(out);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "hark themes: cannot write the output\n");
        return 1;
    }
    return 0;
}

int cli_themes(int argc, char **argv) {
    unsigned char used[64] = {0};
    unsigned long top = TOP_DEFAULT, min_phrase = MIN_PHRASE_DEFAULT;
    if (argc > 64) {
        fprintf(stderr, "hark themes: too many arguments\n");
        return 2;
    }
    const char *top_arg = cli_opt(argc, argv, "top", used);
    const char *min_arg = cli_opt(argc, argv, "min-phrase", used);
    if (argc > 0 && !used[argc - 1] && (!strcmp(argv[argc - 1], "--top") || !strcmp(argv[argc - 1], "--min-phrase"))) {
        fprintf(stderr, "hark themes: %s needs a value\n", argv[argc - 1]);
        return 2;
    }
    if (cli_check_unused("themes", argc, argv, used) || parse_flag("top", top_arg, TOP_LIMIT, &top) ||
        parse_flag("min-phrase", min_arg, MIN_PHRASE_LIMIT, &min_phrase))
        return 2;

    char *line = malloc(NLP_LINE_CAP);
    nlp_themes *t = nlp_themes_new(0);
    size_t too_long = 0, invalid = 0;
    int rc = 1;
    if (!line || !t) {
        fprintf(stderr, "hark themes: out of memory\n");
        goto out;
    }
    for (;;) {
        size_t len;
        int problem;
        int got = nlp_read_line(stdin, line, &len, &problem);
        if (got < 0) {
            fprintf(stderr, "hark themes: cannot read stdin\n");
            goto out;
        }
        if (got == 0) break;
        if (problem) {
            invalid += problem == NLP_LINE_INVALID;
            too_long += problem == NLP_LINE_TOO_LONG;
            continue;
        }
        if (len == 0) continue;
        nlp_sentiment sc;
        nlp_sentiment_score(line, len, &sc);
        if (nlp_themes_add(t, line, len, sc.compound) != HARK_OK) {
            fprintf(stderr, "hark themes: out of memory\n");
            goto out;
        }
    }
    rc = print_top(t, top, (unsigned)min_phrase);
    if (too_long || invalid)
        fprintf(stderr, "hark themes: skipped %zu lines (%zu longer than %d bytes, %zu not valid UTF-8)\n",
                too_long + invalid, too_long, NLP_MAX_TEXT, invalid);
    if (nlp_themes_dropped(t))
        fprintf(stderr, "hark themes: the term table was full; %zu uses were not counted\n", nlp_themes_dropped(t));
out:
    nlp_themes_free(t);
    free(line);
    return rc;
}
