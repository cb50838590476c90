/* The compiled-in sentiment lexicon of the nlp module: VADER's word valences
 * (from vader-sentiment 1.1.3), the modifier words of its rules (negations,
 * boosters, dampeners, idioms) and Hark's supplement (workplace terms, emoji),
 * generated at build time by tools/lexgen.c from data/lexicon and the npm
 * package. Read-only data and lookups that allocate nothing; the scoring
 * rules live in sentiment.c. */
#ifndef HARK_NLP_LEXICON_H
#define HARK_NLP_LEXICON_H

#include <stddef.h>
#include <stdint.h>

/* Entry flags: which lists a word is on. The _X variants are Hark's
 * additions, used in the default mode only (never with --compat). */
enum {
    NLP_LEX_BASE = 1 << 0,     /* in VADER's lexicon: base is its valence */
    NLP_LEX_SUPP = 1 << 1,     /* in Hark's supplement: supp is its valence */
    NLP_LEX_NEGATE = 1 << 2,   /* a negation of VADER's list */
    NLP_LEX_NEGATE_X = 1 << 3, /* a negation Hark adds */
    NLP_LEX_INCR = 1 << 4,     /* a booster ("very") */
    NLP_LEX_DECR = 1 << 5,     /* a dampener ("slightly") */
    NLP_LEX_INCR_X = 1 << 6,
    NLP_LEX_DECR_X = 1 << 7,
    NLP_LEX_PHRASE = 1 << 8, /* the first word of a multi-word entry */
};

typedef struct nlp_lex_entry {
    const char *word; /* lower-case UTF-8 */
    uint16_t len;
    uint16_t flags;
    double base, supp;
} nlp_lex_entry;

/* Multi-word entries: VADER's idioms and two-word dampeners ("kind of"), and
 * the supplement's phrases ("burned out"). */
enum {
    NLP_PHRASE_IDIOM = 1,   /* VADER's special-case idiom: value replaces the valence */
    NLP_PHRASE_IDIOM_X = 2, /* an idiom Hark adds */
    NLP_PHRASE_INCR = 3,    /* a booster of several words */
    NLP_PHRASE_DECR = 4,    /* a dampener of several words ("kind of") */
    NLP_PHRASE_SUPP = 5,    /* a supplement phrase: value is its valence */
    NLP_PHRASE_X = 0x80,    /* or-ed in: Hark's addition, default mode only */
};

#define NLP_LEX_PHRASE_WORDS 4

typedef struct nlp_lex_phrase {
    const char *words[NLP_LEX_PHRASE_WORDS];
    uint8_t lens[NLP_LEX_PHRASE_WORDS];
    uint8_t n;
    uint8_t kind;
    double value;
} nlp_lex_phrase;

/* Longest word the lexicon can hold; longer tokens are never looked up. */
#define NLP_LEX_WORD_MAX 48

extern const nlp_lex_phrase nlp_lex_phrases[];
extern const size_t nlp_lex_nphrases;
extern const nlp_lex_entry nlp_lex_entries[];
extern const size_t nlp_lex_nentries;

/* FNV-1a over the bytes; tools/lexgen.c builds the table with the same function. */
static inline uint32_t nlp_lex_hash(const char *s, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Finds the lower-case WORD (LEN bytes, not NUL-terminated) whose hash is
 * HASH (nlp_lex_hash). Returns a pointer into static data, or NULL. */
const nlp_lex_entry *nlp_lexicon_find_hashed(const char *word, size_t len, uint32_t hash);

static inline const nlp_lex_entry *nlp_lexicon_find(const char *word, size_t len) {
    return len > NLP_LEX_WORD_MAX ? NULL : nlp_lexicon_find_hashed(word, len, nlp_lex_hash(word, len));
}

/* Checks the generated tables: every entry reachable, lower-case, flags
 * consistent. Returns 0, or HARK_EINVAL; for the unit tests. */
int nlp_lexicon_check(void);

#endif
