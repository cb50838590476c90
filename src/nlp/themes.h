/* Themes over a set of comments: the terms and two-word phrases people use
 * most (stop words removed, plurals folded), each with how many comments use
 * it and their mean sentiment; the dashboard's "what people talk about". An
 * accumulator with a bound on the distinct terms it keeps, so any number of
 * comments can be fed in bounded memory. Not thread-safe: one per caller. */
#ifndef HARK_NLP_THEMES_H
#define HARK_NLP_THEMES_H

#include <stddef.h>

typedef struct nlp_themes nlp_themes;

/* Longest term kept (bytes, UTF-8, lower-case); longer words are skipped. */
#define NLP_THEME_TERM_MAX 64

typedef struct nlp_theme {
    char term[2 * NLP_THEME_TERM_MAX + 2]; /* "workload" or "work life" (a phrase: two terms, one space) */
    int phrase;                            /* 1 for a two-word phrase */
    unsigned count;                        /* comments that use it (once per comment) */
    double sentiment;                      /* mean compound of those comments */
} nlp_theme;

/* A new accumulator keeping at most MAX_TERMS distinct terms and phrases (0:
 * a default of 100,000; more than 16,777,216 counts as that). When the table
 * is full, entries used by one comment only make room for new ones while that
 * frees a quarter of it; after that new terms are not added (counted ones keep
 * counting). The caller owns it (nlp_themes_free). NULL when out of memory or
 * when libsodium, which keys its hash, cannot initialise. */
nlp_themes *nlp_themes_new(size_t max_terms);

/* Adds one comment (UTF-8, LEN bytes, need not be NUL-terminated) whose
 * sentiment is COMPOUND (clamped to [-1, 1]; NaN counts as 0). Any bytes are
 * accepted: invalid UTF-8 separates words. Only the first NLP_MAX_TEXT bytes
 * are read (a word cut there is dropped). Returns 0, HARK_EINVAL (T NULL, or
 * TEXT NULL with LEN > 0), or HARK_ENOMEM (the comment is then partly
 * counted). */
int nlp_themes_add(nlp_themes *t, const char *text, size_t len, double compound);

/* Writes the N most used themes to OUT (room for N), most used first, terms
 * and phrases mixed. Ties go to the higher count of the phrase's less used
 * word (a term's own count stands for it), then bytewise order of the term,
 * so the order is fully deterministic. A phrase is reported only when at
 * least MIN_PHRASE comments use it (2 is sensible); a phrase and its two words
 * may all be reported. Allocates nothing and cannot fail; returns how many
 * were written (fewer than N when fewer themes qualify). */
size_t nlp_themes_top(const nlp_themes *t, nlp_theme *out, size_t n, unsigned min_phrase);

/* Comments added so far. */
size_t nlp_themes_comments(const nlp_themes *t);

/* Uses of terms and phrases not counted because of the MAX_TERMS bound (new
 * terms refused, or evicted after one use). 0: every count is exact; else a
 * count may be short by up to this many. */
size_t nlp_themes_dropped(const nlp_themes *t);

/* Checks the compiled-in word lists (stop words, plural exceptions) are
 * sorted, unique and lower-case. HARK_OK or HARK_EINVAL; for the tests. */
int nlp_themes_check(void);

/* Frees T and everything it holds; NULL is fine. */
void nlp_themes_free(nlp_themes *t);

#endif
