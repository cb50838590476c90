/* The compiled-in sentiment lexicon of the nlp module: words with valences on
 * VADER's -4..+4 scale, the modifier words (boosters, dampeners, negations),
 * ASCII emoticons and emoji. Read-only data and lookups that allocate nothing;
 * the scoring rules themselves live in sentiment.c. */
#ifndef HARK_NLP_LEXICON_H
#define HARK_NLP_LEXICON_H

#include <stddef.h>
#include <stdint.h>

enum nlp_lex_kind {
    NLP_LEX_WORD = 1, /* carries a valence of its own */
    NLP_LEX_BOOST,    /* intensifies the sentiment word after it ("very") */
    NLP_LEX_DAMP,     /* softens the sentiment word after it ("slightly") */
    NLP_LEX_NEGATE,   /* flips the sentiment word after it ("not") */
};

typedef struct nlp_lex_entry {
    const char *word; /* lower-case */
    float valence;    /* -4..+4 for NLP_LEX_WORD, 0 otherwise */
    unsigned char kind;
} nlp_lex_entry;

/* Longest token the lexicon can hold; longer tokens are never looked up. */
#define NLP_LEX_WORD_MAX 32

/* Finds the lower-case WORD (LEN bytes, not NUL-terminated) by binary search.
 * Returns a pointer into static data, or NULL when the word is unknown. */
const nlp_lex_entry *nlp_lexicon_find(const char *word, size_t len);

/* Matches the longest emoticon (":)", ":-(", "<3", ...) at the start of S (LEN
 * bytes). Returns its length in bytes and stores its valence in *VALENCE, or
 * returns 0 when S does not start with one. */
size_t nlp_emoticon_match(const char *s, size_t len, double *valence);

/* Looks up the emoji code point CP. Returns 1 and sets *VALENCE when it is in
 * the lexicon, else 0. */
int nlp_emoji_valence(uint32_t cp, double *valence);

/* Checks that the tables are strictly sorted and lower-case (the binary
 * searches depend on it). Returns 0, or HARK_EINVAL; for the unit tests. */
int nlp_lexicon_check(void);

#endif
