/* Sentiment scoring of one text: VADER (Hutto & Gilbert, ICWSM 2014) over a
 * compiled-in lexicon (lexicon.h). The compatibility rule set reproduces the
 * reference implementation (the npm package vader-sentiment 1.1.3) and its
 * lexicon alone; the default rule set adds Hark's improvements, each one a
 * rule bit below that docs/sentiment.md lists with its measured effect. Pure
 * functions over compiled-in data: nlp knows nothing of the network or the
 * database. Thread-safe; allocates nothing per call for texts of up to
 * NLP_SMALL_TEXT bytes and one block for longer ones. */
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
/* Texts up to this many bytes are scored without touching the heap. */
#define NLP_SMALL_TEXT 512

/* Hark's additions to the reference rules. */
enum nlp_rule {
    NLP_RULE_CASE = 1 << 0,       /* negations, "never", "but" and idioms match in any case */
    NLP_RULE_TOKENS = 1 << 1,     /* edge punctuation, quotes, HTML entities stripped; emoji split off */
    NLP_RULE_NO = 1 << 2,         /* "no" as a determiner negates and is not itself negative */
    NLP_RULE_SUPPLEMENT = 1 << 3, /* workplace terms, phrases and emoji (data/lexicon) */
    NLP_RULE_ELONGATED = 1 << 4,  /* "goooood" is looked up as "good" */
    NLP_RULE_CLAUSE = 1 << 5,     /* modifiers do not reach across . ! ? ; : , or a line break */
    NLP_RULE_SENSES = 1 << 6,     /* "like" as a preposition, "pretty" as an adverb: no sentiment */
    NLP_RULE_DAMPEN = 1 << 7,     /* "kind of" / "sort of" dampen towards zero, in any position */
};
#define NLP_RULES_COMPAT  0u
#define NLP_RULES_DEFAULT 0xFFu

typedef struct nlp_rule_info {
    const char *name; /* as given to `hark sentiment --without` */
    unsigned bit;
    const char *what;
} nlp_rule_info;

/* The rules above, for the command line and docs. Sets *N to their count. */
const nlp_rule_info *nlp_rule_list(size_t *n);

/* Scores TEXT (UTF-8, LEN bytes, need not be NUL-terminated) with the rule
 * bits RULES. Never fails: invalid bytes count as characters that are not
 * letters; text without tokens yields compound 0 and pos = neg = 0, with neu
 * 1 (neu 0 under NLP_RULES_COMPAT, as the reference does). */
void nlp_sentiment_score_rules(const char *text, size_t len, unsigned rules, nlp_sentiment *out);

/* The same with NLP_RULES_DEFAULT. */
void nlp_sentiment_score(const char *text, size_t len, nlp_sentiment *out);

/* `hark sentiment`: reads one text per line from IN, writes one line per input
 * to OUT: compound, pos, neu, neg (4 decimals) and the red flags (flags.h;
 * "kind:severity" comma-separated, empty when none), tab-separated. A line
 * that is not valid UTF-8 or is longer than NLP_MAX_TEXT gets "error\t<reason>"
 * and scoring goes on. A trailing CR is stripped; a last line without a
 * newline is scored too. Memory is bounded by NLP_MAX_TEXT whatever the line
 * length. Returns 0, HARK_EIO on a read/write error, HARK_ENOMEM. */
int nlp_sentiment_cli(FILE *in, FILE *out, unsigned rules);

/* The line rules of `hark sentiment`, shared by `hark themes`: reads the next
 * line of IN (one thread only) into LINE, which holds NLP_LINE_CAP bytes,
 * without its newline and trailing CR. Returns 1 with *LEN set, 0 at the end
 * of input, HARK_EIO on a read error. *PROBLEM says whether the line can be
 * scored (the rest of a line too long is read and dropped, so memory stays
 * at NLP_LINE_CAP). */
#define NLP_LINE_CAP (NLP_MAX_TEXT + 1)
enum nlp_line_problem { NLP_LINE_OK = 0, NLP_LINE_TOO_LONG, NLP_LINE_INVALID };
int nlp_read_line(FILE *in, char *line, size_t *len, int *problem);

/* "line longer than 65536 bytes", "invalid UTF-8"; NULL for NLP_LINE_OK. */
const char *nlp_line_problem_text(int problem);

/* X rounded to the 4 decimals the commands print, never "-0.0000". */
double nlp_round4(double x);

#endif
