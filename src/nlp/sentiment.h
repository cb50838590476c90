/* Sentiment scoring of one answer: a lexicon-based scorer whose output has
 * the shape of VADER's (compound in [-1, 1] and pos/neu/neg proportions that
 * sum to 1). Pure functions over compiled-in data: nlp knows nothing of the
 * network or the database. Thread-safe; allocates nothing per call. */
#ifndef HARK_NLP_SENTIMENT_H
#define HARK_NLP_SENTIMENT_H

#include <stddef.h>
#include <stdio.h>

typedef struct nlp_sentiment {
    double compound; /* -1 (most negative) .. +1 (most positive) */
    double pos, neu, neg;
} nlp_sentiment;

/* Largest input scored; longer text is scored on its first NLP_MAX_TEXT bytes. */
#define NLP_MAX_TEXT (64 * 1024)

/* Scores TEXT (UTF-8, LEN bytes, need not be NUL-terminated). Never fails:
 * empty or unscorable text yields compound 0, neu 1. */
void nlp_sentiment_score(const char *text, size_t len, nlp_sentiment *out);

/* `hark sentiment`: reads one text per line from IN, writes one line per input to
 * OUT: compound, pos, neu, neg, flags, tab-separated, 4 decimals. A line that
 * is not valid UTF-8 or longer than NLP_MAX_TEXT gets "error\t<reason>" and
 * scoring goes on. A trailing CR is stripped; a last line without a newline is
 * scored too. Memory use is bounded by NLP_MAX_TEXT whatever the line length.
 * Returns 0, HARK_EIO on a read/write error, HARK_ENOMEM. */
int nlp_sentiment_cli(FILE *in, FILE *out);

#endif
