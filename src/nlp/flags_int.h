/* Internals of the red-flag detector shared by flags_rules.c (loading and
 * checking the rules of data/flags into the tables below) and flags.c
 * (matching text against them): the compiled rules, their indexes, and the
 * normalisation that rule words and text tokens share. Not for use outside
 * src/nlp/flags*.c. */
#ifndef HARK_NLP_FLAGS_INT_H
#define HARK_NLP_FLAGS_INT_H

#include <stddef.h>
#include <stdint.h>

#define WORD_MAX  24 /* bytes of a normalised word; a longer token matches nothing */
#define ALT_WORDS 6  /* words in one alternative ("no_one", "as_soon_as_i_can") */
#define ELEM_MAX  12 /* elements in one pattern */
#define GAP_MAX   8  /* "..8" skips at most eight tokens */
#define SPAN_MAX  24 /* tokens one match can cover at the most */
#define FUZZY_MIN 7  /* "~words" (this long at least) also match at edit distance 1 */

/* Bounds of the compiled rules, two to four times what data/flags needs today (a
 * uint16_t holds every index, so MAX_ALTS and MAX_WORDS are at their ceiling); a
 * rule file beyond them is an error that names the file and line. */
#define MAX_RULES    4096
#define MAX_ELEMS    16384
#define MAX_SETS     16384
#define MAX_ALTS     65535
#define MAX_WORDS    65535
#define MAX_CLASSES  128
#define POOL_BYTES   65536 /* the distinct normalised words, each stored once */
#define INTERN_SLOTS 32768 /* hash table over the pool */
#define BUCKETS      4096
#define INDEX_MAX    16384
#define LEX_SLOTS    1024 /* the engine classes hold fewer than LEX_SLOTS / 2 words */

/* Derived sizes, large enough for any rule set within the bounds above, so
 * that building the indexes never fails. */
#define MAX_IDS       (INTERN_SLOTS / 2)  /* distinct words: the intern table stays half empty */
#define NO_RULES      (MAX_IDS - 1)       /* the id of no word: its winfo lists no rules */
#define FIRST_SPECIAL ((uint64_t)1 << 63) /* in a set's first_mask (below) */
#define SPEC_BUCKETS  1024                /* heads of the chains of prefix and fuzzy words */
/* Entries of the word index (word_rules), about thirty times what data/flags
 * needs. Rules beyond it load all the same: matching then finds the rules
 * through the bucket index alone, which is slower. */
#define WORD_RULES_MAX 65536
#define WR_RULE        0x7FFF /* in an entry of word_rules: the rule number */
#define WR_SURE        0x8000 /* ... and the word alone is an alternative of the anchor */

enum { R_HIT, R_NOT, R_VOID, R_CLASS };
enum { E_ALTS, E_GAP, E_NUM };

/* Classes the engine itself uses for negation scope (see common.tsv), and the
 * bits a token carries for them (CB_NEGATOR is 1 << C_NEGATOR, and so on). */
enum { C_NEGATOR, C_NEG_RELEASE, C_SCOPE_END, C_JOINER, C_SUBJECT, C_NEG_VERB, C_NEG_RAISE, C_RESERVED };
enum {
    CB_NEGATOR = 1,
    CB_NEG_RELEASE = 2,
    CB_SCOPE_END = 4,
    CB_JOINER = 8,
    CB_SUBJECT = 16,
    CB_NEG_VERB = 32,
    CB_NEG_RAISE = 64,
    W_NO_SPECIAL = 128, /* not a class: a token with the word's text matches no prefix or fuzzy word */
};

/* Kinds of index key, the tags of their hashes: a rule is filed under the
 * whole of its anchor's first words, under the first three bytes of a prefix
 * word ("harass*"), under the first two of a word that may match with a typo. */
enum { K_FULL = 1, K_PRE3, K_PRE2 };

typedef struct word {
    uint16_t off; /* into the pool */
    uint16_t id;  /* the distinct word (wi) it is */
    uint16_t sid; /* 0 for a plain word; else its number among the distinct prefix and fuzzy words */
    uint8_t len;
    uint8_t prefix; /* "harass*": any token starting with these bytes */
    uint8_t fuzzy;  /* "~word": also matches one typo away when it is FUZZY_MIN bytes or longer */
} word;

typedef struct alt {
    uint16_t first; /* into words */
    uint8_t n;      /* words, 1..ALT_WORDS, matched on consecutive tokens */
} alt;

typedef struct set {
    uint16_t first, count;   /* a run of alts */
    uint16_t pfirst, pcount; /* a run of starts: those of its alts whose first word is plain */
    uint16_t sfirst, scount; /* a run of spec_alts: the others (a prefix or fuzzy word first) */
} set;

/* The gate of a required element of words (E_ALTS, not optional) is its set:
 * a match cannot go on at a token where none of the set's alternatives can
 * start. Other elements have none. */
#define NO_GATE 0xFFFF

typedef struct elem {
    uint8_t type; /* E_ALTS, E_GAP or E_NUM */
    uint8_t optional;
    uint8_t gap;              /* E_GAP: at most this many tokens */
    uint16_t set;             /* E_ALTS */
    uint16_t next_gate;       /* the gate of the element after this one in its rule, or NO_GATE */
    uint32_t num;             /* E_NUM: a number token >= num */
    uint8_t min_len, max_len; /* fewest and most tokens the element can take */
} elem;

typedef struct rule {
    uint8_t kind; /* 0: an exclusion of common.tsv, for every kind */
    uint8_t type, severity;
    uint8_t nelems, anchor;         /* anchor: the required element the index files the rule under */
    uint8_t min_before, max_before; /* tokens the elements before the anchor can take */
    uint16_t first;                 /* into elems */
    uint16_t gate;                  /* the gate of its first element when that is not the anchor, or NO_GATE */
} rule;

typedef struct classdef {
    char name[32];
    uint16_t set;
} classdef;

/* The intern table: the pool's words by their hash (flags__hash with tag 0),
 * so that each is stored once. */
typedef struct lexent {
    uint16_t off; /* into the pool */
    uint8_t len;  /* 0: a free slot */
    uint16_t id;  /* its number, in the order first seen */
} lexent;

/* A distinct word, by its id. */
typedef struct winfo {
    uint16_t off; /* into the pool */
    uint8_t len;
    uint8_t bits;    /* the engine classes holding the word (CB_ bits), and W_NO_SPECIAL */
    uint16_t sid[3]; /* its sid as a prefix, fuzzy, or fuzzy prefix word; 0 when none */
    /* The rules with an alternative of their anchor that starts with this
     * plain word: a run of word_rules, its exclusions then its hits, each in
     * rule order. */
    uint16_t rfirst, nexcl, nhits;
} winfo;

/* The compiled rules. Filled by flags_rules.c, read-only afterwards. */
typedef struct ruleset {
    char pool[POOL_BYTES + WORD_MAX]; /* the tail: so that a word can be read WORD_MAX bytes at a time */
    size_t npool;
    lexent intern[INTERN_SLOTS];
    size_t ninterned;
    winfo wi[MAX_IDS];
    /* What text looks words up in, by the word's hash & look_mask: the hash's
     * top 16 bits << 16 | id + 1 (0: a free slot). At most half full, and no
     * larger than that needs. */
    uint32_t look[INTERN_SLOTS];
    uint32_t look_mask;
    word words[MAX_WORDS];
    size_t nwords;
    alt alts[MAX_ALTS];
    size_t nalts;
    set sets[MAX_SETS];
    size_t nsets;
    elem elems[MAX_ELEMS];
    size_t nelems;
    rule rules[MAX_RULES];
    size_t nrules;
    classdef classes[MAX_CLASSES];
    size_t nclasses;
    /* The rule index: per bucket, its exclusions (not, void) in rule order from
     * bucket_first[b], then its hits in rule order from bucket_hits[b]. */
    uint16_t bucket_first[BUCKETS + 1];
    uint16_t bucket_hits[BUCKETS];
    uint16_t index[INDEX_MAX]; /* rule numbers */
    /* The word index: the rules each plain word can be the anchor of (the
     * runs of winfo), complete when word_rules_ok. */
    uint16_t word_rules[WORD_RULES_MAX];
    int word_rules_ok;
    uint16_t scratch[MAX_IDS]; /* used while loading */
    /* The distinct prefix and fuzzy words (by sid, from 1), chained from a hash
     * of their first two bytes ([0]: fuzzy words) or three ([1]: the others). */
    uint16_t spec_word[MAX_WORDS + 1];   /* the first word (in words) of each */
    uint16_t spec_next[MAX_WORDS + 1];   /* the next sid in the chain, 0 at the end */
    uint16_t spec_head[2][SPEC_BUCKETS]; /* the first */
    size_t nspecials;
    uint64_t spec_pairs[65536 / 64]; /* bit (b0 << 8 | b1): some special word starts with bytes b0 b1 */
    /* Where each set's alternatives can start: (id << 16 | alt number) for
     * those that start with a plain word, in increasing order in each set's
     * run, and the alt numbers of the others. */
    uint32_t starts[MAX_ALTS];
    uint16_t spec_alts[MAX_ALTS];
    /* Per set, a quick no: bit (id % 63) is set for each plain word that
     * starts one of its alternatives, FIRST_SPECIAL when a prefix or fuzzy
     * word starts one. */
    uint64_t first_mask[MAX_SETS];
} ruleset;

/* The bit of the word with id ID in a first_mask. */
static inline uint64_t flags__word_bit(unsigned id) {
    return (uint64_t)1 << (id % 63);
}

/* FNV-1a of S, with TAG mixed into the basis. */
static inline uint32_t flags__hash(unsigned tag, const char *s, size_t len) {
    uint32_t h = 2166136261u ^ tag;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Appends byte C to the normalised word SK (*N bytes so far), folding a letter
 * that repeats the one before ("harrassed" -> "harased"); text and rule words
 * are normalised alike. Returns 0 when the word got too long. */
static inline int flags__push_byte(char *sk, size_t *n, unsigned char c) {
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z' && *n > 0 && (unsigned char)sk[*n - 1] == c) return 1;
    if (*n >= WORD_MAX) return 0;
    sk[(*n)++] = (char)c;
    return 1;
}

/* The compiled-in rules, loaded on first use (thread-safe); NULL when they do
 * not load. Read-only. */
const ruleset *flags__rules(void);

/* 1 when a token of LEN bytes of normalised text S matches some prefix or
 * fuzzy word of RS, whose specials are indexed (flags.c, for the loader). */
int flags__matches_special(const ruleset *rs, const char *s, size_t len);

#endif
