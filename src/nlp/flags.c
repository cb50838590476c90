/* Red-flag detection (flags.h). The rules are data: data/flags/common.tsv
 * holds word classes and the exclusions shared by all kinds, and one file per
 * kind (harassment.tsv, threat.tsv, ...) that kind's token patterns; the
 * format is described at the top of each file. cmake/embed.cmake compiles them
 * in as hark_flag_files; they are parsed once (pthread_once) into fixed tables
 * that are read-only afterwards. Detection cuts the text into normalised tokens
 * in a bounded window on the stack, finds the rules worth trying through an
 * index on one required word of each, matches those by backtracking over a few
 * tokens, and drops hits that are negated, overlap an exclusion or share a
 * sentence with a voiding pattern. It does not score sentiment (sentiment.c)
 * or find themes. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/err.h"
#include "core/utf8.h"
#include "nlp/flags.h"

/* Compiled in from data/flags by cmake/embed.cmake (CMakeLists.txt). */
extern const struct embed_file hark_flag_files[];

#define WORD_MAX   24 /* bytes of a normalised word; a longer token matches nothing */
#define ALT_WORDS  6  /* words in one alternative ("no_one", "as_soon_as_i_can") */
#define ELEM_MAX   12 /* elements in one pattern */
#define GAP_MAX    8  /* "..8" skips at most eight tokens */
#define SPAN_MAX   24 /* tokens one match can cover at the most */
#define NEG_WINDOW 5  /* tokens a negation reaches back from the start of a match */
#define FUZZY_MIN  7  /* "~words" (this long at least) also match at edit distance 1 */
#define WIN_TOKENS 256
#define OVERLAP    32 /* tokens kept when a window is cut inside a sentence: > SPAN_MAX + NEG_WINDOW */

/* Bounds of the compiled rules, about twice what data/flags needs today; a
 * rule file beyond them is an error that names the file and line. */
#define MAX_RULES    2048
#define MAX_ELEMS    8192
#define MAX_SETS     4096
#define MAX_ALTS     32768
#define MAX_WORDS    32768
#define MAX_CLASSES  128
#define POOL_BYTES   65536 /* the distinct normalised words, each stored once */
#define INTERN_SLOTS 16384 /* hash table over the pool, used while loading */
#define BUCKETS      4096
#define INDEX_MAX    16384
#define LEX_SLOTS    1024 /* hash table of the engine classes' words */

enum { R_HIT, R_NOT, R_VOID, R_CLASS };
enum { E_ALTS, E_GAP, E_NUM };

/* Classes the engine itself uses for negation scope (see common.tsv). */
enum { C_NEGATOR, C_NEG_RELEASE, C_SCOPE_END, C_JOINER, C_SUBJECT, C_NEG_VERB, C_NEG_RAISE, C_RESERVED };
enum {
    CB_NEGATOR = 1,
    CB_NEG_RELEASE = 2,
    CB_SCOPE_END = 4,
    CB_JOINER = 8,
    CB_SUBJECT = 16,
    CB_NEG_VERB = 32,
    CB_NEG_RAISE = 64,
};
enum { K_FULL = 1, K_PRE3, K_PRE2 }; /* kinds of index key */
static const char *const reserved_names[C_RESERVED] = {"@negator", "@neg_release", "@scope_end", "@joiner",
                                                       "@subject", "@neg_verb",    "@neg_raise"};

typedef struct word {
    uint16_t off; /* into the pool */
    uint8_t len;
    uint8_t prefix; /* "harass*": any token starting with these bytes */
    uint8_t fuzzy;  /* "~word": also matches one typo away when it is FUZZY_MIN bytes or longer */
} word;

typedef struct alt {
    uint16_t first; /* into words */
    uint8_t n;      /* words, 1..ALT_WORDS, matched on consecutive tokens */
} alt;

typedef struct set {
    uint16_t first, count; /* a run of alts */
} set;

typedef struct elem {
    uint8_t type; /* E_ALTS, E_GAP or E_NUM */
    uint8_t optional;
    uint8_t gap;              /* E_GAP: at most this many tokens */
    uint16_t set;             /* E_ALTS */
    uint32_t num;             /* E_NUM: a number token >= num */
    uint8_t min_len, max_len; /* fewest and most tokens the element can take */
} elem;

typedef struct rule {
    uint8_t kind; /* 0: an exclusion of common.tsv, for every kind */
    uint8_t type, severity;
    uint8_t nelems, anchor;         /* anchor: the required element the index files the rule under */
    uint8_t min_before, max_before; /* tokens the elements before the anchor can take */
    uint16_t first;                 /* into elems */
} rule;

typedef struct classdef {
    char name[32];
    uint16_t set;
} classdef;

typedef struct lexent {
    uint16_t off; /* into the pool */
    uint8_t len;  /* 0: a free slot */
    uint8_t bits; /* CB_ bits */
} lexent;

typedef struct ruleset {
    char pool[POOL_BYTES];
    size_t npool;
    lexent intern[INTERN_SLOTS]; /* the pool's words, so that each is stored once */
    size_t ninterned;
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
    lexent lex[LEX_SLOTS]; /* the words of the engine classes */
    uint16_t bucket_first[BUCKETS + 1];
    uint16_t index[INDEX_MAX]; /* rule numbers, grouped by bucket */
} ruleset;

static const char *const kind_names[NLP_FLAG_KINDS] = {"harassment", "threat", "self_harm", "resign", "burnout"};

const char *nlp_flag_kind_name(int kind) {
    return kind >= 1 && kind <= NLP_FLAG_KINDS ? kind_names[kind - 1] : NULL;
}

int nlp_flag_kind_parse(const char *name) {
    for (int k = 0; name && k < NLP_FLAG_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0) return k + 1;
    return 0;
}

enum { T_SENT = 1, T_CLAUSE = 2, T_NUM = 4 };

typedef struct token {
    uint32_t start, end; /* bytes of the text */
    uint32_t num;        /* value of a number token, capped at 10^6 */
    uint8_t len;         /* bytes in sk; 0 when the word was too long */
    uint8_t flags;       /* T_SENT: first of a sentence; T_CLAUSE: a comma-like mark came before */
    char sk[WORD_MAX];   /* lower case, apostrophes dropped, doubled letters made single */
} token;

typedef struct lexer {
    const unsigned char *s;
    size_t len, pos;
    int sent, clause; /* marks seen since the last token */
} lexer;

/* Code points that are not letters although they are not ASCII: Latin-1
 * punctuation, general punctuation, symbols, arrows, dingbats, CJK marks,
 * variation selectors, full-width punctuation, specials, emoji and tags. */
static const struct {
    uint32_t lo, hi;
} non_letters[] = {
    {0x80, 0xBF},     {0xD7, 0xD7},     {0xF7, 0xF7},     {0x2000, 0x2BFF},   {0x3000, 0x303F},   {0xFE00, 0xFE0F},
    {0xFEFF, 0xFEFF}, {0xFF00, 0xFF20}, {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F},
};

static int is_letter(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    for (size_t i = 0; i < sizeof non_letters / sizeof non_letters[0]; i++)
        if (cp >= non_letters[i].lo && cp <= non_letters[i].hi) return 0;
    return 1;
}

static int is_apostrophe(uint32_t cp) {
    return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC;
}

static int ends_sentence(uint32_t cp) {
    return cp == '.' || cp == '!' || cp == '?' || cp == ';' || cp == '\n' || cp == '\r' || cp == 0x2026 ||
           cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
}

static int ends_clause(uint32_t cp) {
    return cp == ',' || cp == ':' || cp == '(' || cp == ')' || cp == '[' || cp == ']' || cp == '"' || cp == 0x201C ||
           cp == 0x201D || cp == 0x2013 || cp == 0x2014;
}

/* Decodes one code point; an invalid byte decodes as U+FFFD (a separator) of length 1. */
static size_t decode(const lexer *lx, size_t at, uint32_t *cp) {
    size_t n = utf8_decode(lx->s + at, lx->len - at, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

/* Appends byte C to T's normalised form, folding a letter that repeats the one
 * before ("harrassed" -> "harased"). Returns 0 when the word got too long. */
static int push_byte(token *t, size_t *n, unsigned char c) {
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z' && *n > 0 && (unsigned char)t->sk[*n - 1] == c) return 1;
    if (*n >= WORD_MAX) return 0;
    t->sk[(*n)++] = (char)c;
    return 1;
}

/* Produces the next token. Returns 1 with T filled, 0 at the end of the text. */
static int next_token(lexer *lx, token *t) {
    while (lx->pos < lx->len) {
        uint32_t cp;
        size_t k = decode(lx, lx->pos, &cp);
        int digit = cp >= '0' && cp <= '9';
        /* U+02BC is a letter to Unicode but an apostrophe here: it never starts a word. */
        if (!digit && (!is_letter(cp) || is_apostrophe(cp))) {
            if (ends_sentence(cp)) lx->sent = 1;
            if (ends_clause(cp)) lx->clause = 1;
            lx->pos += k;
            continue;
        }
        size_t i = lx->pos, n = 0;
        int fits = 1;
        uint32_t num = 0;
        while (i < lx->len) {
            k = decode(lx, i, &cp);
            if (digit) {
                if (!(cp >= '0' && cp <= '9')) break;
                if (num < 1000000) num = num * 10 + (cp - '0');
                if (n < WORD_MAX) {
                    t->sk[n++] = (char)cp;
                } else {
                    fits = 0;
                }
            } else if (is_apostrophe(cp)) {
                /* "don't", "I’m": the apostrophe joins letters and is dropped. */
                uint32_t next = 0;
                if (i + k < lx->len) decode(lx, i + k, &next);
                if (!is_letter(next)) break;
            } else if (is_letter(cp)) {
                for (size_t b = 0; b < k && fits; b++) fits = push_byte(t, &n, lx->s[i + b]);
            } else {
                break;
            }
            i += k;
        }
        t->start = (uint32_t)lx->pos;
        t->end = (uint32_t)i;
        t->len = fits ? (uint8_t)n : 0;
        t->num = num;
        t->flags = (uint8_t)((lx->sent ? T_SENT : 0) | (lx->clause ? T_CLAUSE : 0) | (digit ? T_NUM : 0));
        lx->sent = lx->clause = 0;
        lx->pos = i;
        return 1;
    }
    return 0;
}

/* 1 when A (LA bytes) and B (LB bytes) are at most one insertion, deletion,
 * substitution or swap of neighbours apart. */
static int within_one_edit(const char *a, size_t la, const char *b, size_t lb) {
    if (la < lb) return within_one_edit(b, lb, a, la);
    if (la - lb > 1) return 0;
    size_t i = 0;
    while (i < lb && a[i] == b[i]) i++;
    if (i == lb) return 1;
    if (la > lb) return memcmp(a + i + 1, b + i, lb - i) == 0;
    if (memcmp(a + i + 1, b + i + 1, lb - i - 1) == 0) return 1;
    return i + 1 < lb && a[i] == b[i + 1] && a[i + 1] == b[i] && memcmp(a + i + 2, b + i + 2, lb - i - 2) == 0;
}

static int word_match(const ruleset *rs, const word *w, const token *t) {
    if (t->len == 0 || ((t->flags & T_NUM) && w->prefix)) return 0;
    const char *ws = rs->pool + w->off;
    size_t wl = w->len, tl = t->len;
    if (w->prefix) {
        if (tl >= wl && memcmp(t->sk, ws, wl) == 0) return 1;
    } else if (tl == wl && memcmp(t->sk, ws, wl) == 0) {
        return 1;
    }
    /* A misspelling of a long word: one edit away, the first two letters right. */
    if (wl < FUZZY_MIN || !w->fuzzy || tl < 2 || t->sk[0] != ws[0] || t->sk[1] != ws[1]) return 0;
    if (!w->prefix) return within_one_edit(t->sk, tl, ws, wl);
    for (size_t k = wl - 1; k <= wl + 1 && k <= tl; k++)
        if (within_one_edit(t->sk, k, ws, wl)) return 1;
    return 0;
}

typedef struct window {
    const token *t;
    const uint8_t *cls; /* per token: the engine classes it belongs to (CB_ bits) */
    int n;
} window;

/* 1 when alternative A matches the tokens at POS. Its words are consecutive:
 * no sentence end and no comma between them. */
static int alt_at(const ruleset *rs, const alt *a, const window *w, int pos) {
    if (pos + a->n > w->n) return 0;
    for (int k = 0; k < a->n; k++) {
        if (k > 0 && (w->t[pos + k].flags & (T_SENT | T_CLAUSE))) return 0;
        if (!word_match(rs, &rs->words[a->first + k], &w->t[pos + k])) return 0;
    }
    return 1;
}

/* Matches elements EI.. of R at token POS; the match started at START. A
 * sentence end never falls inside a match; a comma (T_CLAUSE) only where the
 * pattern has a gap, so "the end, you know" is not "end you". LOOSE says a gap
 * came just before. Returns 1 and the end token in *END. */
static int match_from(const ruleset *rs, const rule *r, int ei, const window *w, int start, int pos, int loose,
                      int *end) {
    if (ei == r->nelems) {
        *end = pos;
        return 1;
    }
    const elem *e = &rs->elems[r->first + ei];
    if (e->type == E_GAP) {
        /* A gap skips no sentence end and no negation: "it was never handled". */
        for (int g = 0; g <= e->gap; g++) {
            if (g > 0 && (pos + g > w->n || (w->t[pos + g - 1].flags & T_SENT) || (w->cls[pos + g - 1] & CB_NEGATOR)))
                break;
            if (match_from(rs, r, ei + 1, w, start, pos + g, 1, end)) return 1;
        }
        return 0;
    }
    int here = pos < w->n && (pos == start || !(w->t[pos].flags & (loose ? T_SENT : T_SENT | T_CLAUSE)));
    if (here && e->type == E_NUM) {
        const token *t = &w->t[pos];
        if ((t->flags & T_NUM) && t->num >= e->num && match_from(rs, r, ei + 1, w, start, pos + 1, 0, end)) return 1;
    } else if (here) {
        const set *st = &rs->sets[e->set];
        for (size_t i = 0; i < st->count; i++) {
            const alt *a = &rs->alts[st->first + i];
            if (alt_at(rs, a, w, pos) && match_from(rs, r, ei + 1, w, start, pos + a->n, 0, end)) return 1;
        }
    }
    return e->optional && match_from(rs, r, ei + 1, w, start, pos, loose, end);
}

/* 1 when element E can match at token POS, ignoring what comes before. */
static int elem_at(const ruleset *rs, const elem *e, const window *w, int pos) {
    const set *st = &rs->sets[e->set];
    for (size_t i = 0; i < st->count; i++)
        if (alt_at(rs, &rs->alts[st->first + i], w, pos)) return 1;
    return 0;
}

/* 1 when a negation cue reaches the match that starts at token S: one of the
 * NEG_WINDOW tokens before it, in the same clause, is a @negator that is not
 * followed by a @neg_release word ("can't stop"). The scope ends at a sentence
 * mark, a @scope_end word ("but", "if"), and a comma or a @joiner ("and") that
 * is followed by a @subject ("I", "my"): "No, I'm going to quit" is not negated.
 * A negated verb (@neg_verb: "don't", "won't") does not reach past a new
 * subject either ("if they don't fix it I'm leaving"), unless the verb is one
 * whose negation moves into the clause after it (@neg_raise: "I don't think
 * I'm burned out"). */
static int negated(const window *w, int s) {
    const token *t = w->t;
    const uint8_t *c = w->cls;
    if (c[s] & CB_SCOPE_END) return 0; /* "never promoted because of my race" */
    int subject_between = 0;
    for (int k = s, steps = 0; k > 0 && steps < NEG_WINDOW; steps++) {
        if (t[k].flags & T_SENT) return 0;
        int subj = c[k] & CB_SUBJECT;
        if ((t[k].flags & T_CLAUSE) && subj) return 0;
        if (k < s && subj) subject_between = 1;
        k--;
        if (c[k] & CB_SCOPE_END) return 0;
        if (subj && (c[k] & CB_JOINER)) return 0;
        if ((c[k] & CB_NEGATOR) && !(c[k + 1] & CB_NEG_RELEASE))
            return !(subject_between && (c[k] & CB_NEG_VERB) && !(c[k + 1] & CB_NEG_RAISE));
    }
    return 0;
}

static unsigned hash_bytes(unsigned tag, const char *s, size_t len) {
    uint32_t h = 2166136261u ^ tag;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The index bucket of a rule word: by the whole word, by its first three bytes
 * when it is a prefix, by its first two when it may match with a typo. */
static unsigned word_bucket(const ruleset *rs, const word *w) {
    const char *ws = rs->pool + w->off;
    if (w->len >= FUZZY_MIN && w->fuzzy) return hash_bytes(K_PRE2, ws, 2) & (BUCKETS - 1);
    if (w->prefix) return hash_bytes(K_PRE3, ws, 3) & (BUCKETS - 1);
    return hash_bytes(K_FULL, ws, w->len) & (BUCKETS - 1);
}

/* The buckets a token may find rules in; returns how many (0..3). */
static int token_buckets(const token *t, unsigned *b) {
    int n = 0;
    if (t->len == 0) return 0;
    b[n++] = hash_bytes(K_FULL, t->sk, t->len) & (BUCKETS - 1);
    if (t->len >= 3) b[n++] = hash_bytes(K_PRE3, t->sk, 3) & (BUCKETS - 1);
    if (t->len >= 2) b[n++] = hash_bytes(K_PRE2, t->sk, 2) & (BUCKETS - 1);
    return n;
}

/* The engine classes of token T (CB_ bits), from the exact-word table. */
static uint8_t token_classes(const ruleset *rs, const token *t) {
    if (t->len == 0) return 0;
    for (unsigned i = hash_bytes(0, t->sk, t->len) & (LEX_SLOTS - 1);; i = (i + 1) & (LEX_SLOTS - 1)) {
        const lexent *e = &rs->lex[i];
        if (e->len == 0) return 0;
        if (e->len == t->len && memcmp(rs->pool + e->off, t->sk, t->len) == 0) return e->bits;
    }
}

typedef struct best {
    int severity;
    size_t start, len;
} best;

typedef struct scanstate {
    uint8_t excluded[WIN_TOKENS]; /* per token: kinds an exclusion covers */
    uint8_t voided[WIN_TOKENS];   /* per sentence: kinds a void pattern cancels */
    int sentence[WIN_TOKENS];     /* per token: its sentence in the window */
} scanstate;

/* Records the match of R over tokens P..END-1 (not negated). */
static void record(const rule *r, const window *w, int p, int end, scanstate *ss, best *out) {
    uint8_t bit = (uint8_t)(r->kind ? 1u << (r->kind - 1) : (1u << NLP_FLAG_KINDS) - 1);
    if (r->type == R_NOT) {
        for (int k = p; k < end; k++) ss->excluded[k] |= bit;
        return;
    }
    if (r->type == R_VOID) {
        ss->voided[ss->sentence[p]] |= bit;
        return;
    }
    int blocked = ss->voided[ss->sentence[p]] & bit;
    for (int k = p; k < end && !blocked; k++) blocked = ss->excluded[k] & bit;
    best *b = &out[r->kind - 1];
    size_t start = w->t[p].start, len = w->t[end - 1].end - start;
    if (!blocked && (r->severity > b->severity || (r->severity == b->severity && start < b->start))) {
        b->severity = r->severity;
        b->start = start;
        b->len = len;
    }
}

/* Runs the rules over the tokens of W: first the exclusions, then the hits. A
 * rule is tried only where a token matches its anchor, from the starts that can
 * reach that token. Hits start at FROM or later (the tokens before are context
 * kept from the previous window). */
static void scan(const ruleset *rs, const token *t, int n, int from, best *out) {
    uint8_t cls[WIN_TOKENS];
    unsigned keys[WIN_TOKENS][3];
    int nkeys[WIN_TOKENS];
    uint16_t next_start[MAX_RULES]; /* per rule: the first start not tried yet */
    scanstate ss;
    for (int i = 0, s = 0; i < n; i++) {
        if (i > 0 && (t[i].flags & T_SENT)) s++;
        ss.sentence[i] = s;
        ss.excluded[i] = ss.voided[i] = 0;
        cls[i] = token_classes(rs, &t[i]);
        nkeys[i] = token_buckets(&t[i], keys[i]);
    }
    window w = {t, cls, n};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < rs->nrules; r++) next_start[r] = (uint16_t)(pass ? from : 0);
        for (int q = 0; q < n; q++) {
            for (int kk = 0; kk < nkeys[q]; kk++) {
                unsigned b = keys[q][kk];
                for (unsigned j = rs->bucket_first[b]; j < rs->bucket_first[b + 1]; j++) {
                    const rule *r = &rs->rules[rs->index[j]];
                    if ((r->type == R_HIT) != (pass == 1)) continue;
                    int lo = q - r->max_before, hi = q - r->min_before;
                    if (lo < next_start[rs->index[j]]) lo = next_start[rs->index[j]];
                    if (hi < lo || !elem_at(rs, &rs->elems[r->first + r->anchor], &w, q)) continue;
                    next_start[rs->index[j]] = (uint16_t)(hi + 1);
                    for (int p = lo; p <= hi; p++) {
                        int end;
                        if (match_from(rs, r, 0, &w, p, p, 0, &end) && !negated(&w, p)) record(r, &w, p, end, &ss, out);
                    }
                }
            }
        }
    }
}

static ruleset g_rules;
static int g_status = HARK_EINVAL;
static char g_err[256];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

typedef struct parser {
    ruleset *rs;
    const char *file; /* as named in messages */
    int line;
    int kind; /* of the file; 0 for common.tsv */
    char *err;
    size_t errlen;
} parser;

static int fail(parser *p, const char *fmt, ...) {
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return HARK_EINVAL;
}

static int find_class(const ruleset *rs, const char *name, size_t len) {
    for (size_t i = 0; i < rs->nclasses; i++)
        if (strlen(rs->classes[i].name) == len && memcmp(rs->classes[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* Normalises one rule word the way next_token normalises text into the pool. */
static int parse_word(parser *p, const char *s, size_t n, word *w) {
    memset(w, 0, sizeof *w);
    if (n > 0 && s[0] == '~') {
        w->fuzzy = 1;
        s++;
        n--;
    }
    if (n > 0 && s[n - 1] == '*') {
        w->prefix = 1;
        n--;
    }
    token t;
    size_t len = 0;
    int digits = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'') continue;
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x99) {
            i += 2;
            continue;
        }
        if (c >= '0' && c <= '9') {
            digits = 1;
            if (len >= WORD_MAX) return fail(p, "word \"%.*s\" is too long", (int)n, s);
            t.sk[len++] = (char)c;
            continue;
        }
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && c < 0x80)
            return fail(p, "character '%c' in \"%.*s\": words hold letters, digits and apostrophes", c, (int)n, s);
        letters = 1;
        if (!push_byte(&t, &len, c)) return fail(p, "word \"%.*s\" is too long", (int)n, s);
    }
    if (len == 0) return fail(p, "empty word in \"%.*s\"", (int)n, s);
    if (digits && letters) return fail(p, "\"%.*s\" mixes letters and digits, which the text never does", (int)n, s);
    if (w->prefix && len < 3) return fail(p, "prefix \"%.*s*\" is shorter than three letters", (int)n, s);
    if (w->fuzzy && len < FUZZY_MIN)
        return fail(p, "\"~%.*s\" is shorter than %d letters: short words match no typos", (int)n, s, FUZZY_MIN);
    ruleset *rs = p->rs;
    unsigned slot = hash_bytes(0, t.sk, len) & (INTERN_SLOTS - 1);
    while (rs->intern[slot].len &&
           !(rs->intern[slot].len == len && memcmp(rs->pool + rs->intern[slot].off, t.sk, len) == 0))
        slot = (slot + 1) & (INTERN_SLOTS - 1);
    if (!rs->intern[slot].len) {
        if (rs->npool + len > POOL_BYTES || ++rs->ninterned >= INTERN_SLOTS / 2)
            return fail(p, "too many distinct words (more than %d bytes)", POOL_BYTES);
        memcpy(rs->pool + rs->npool, t.sk, len);
        rs->intern[slot].off = (uint16_t)rs->npool;
        rs->intern[slot].len = (uint8_t)len;
        rs->npool += len;
    }
    w->off = rs->intern[slot].off;
    w->len = (uint8_t)len;
    return HARK_OK;
}

/* Parses "a|b_c|@class|harass*" into a new set of alternatives. */
static int parse_set(parser *p, const char *s, size_t n, uint16_t *setno) {
    ruleset *rs = p->rs;
    if (rs->nsets >= MAX_SETS) return fail(p, "too many elements (more than %d)", MAX_SETS);
    size_t first = rs->nalts;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && s[j] != '|') j++;
        if (j == i) return fail(p, "empty alternative in \"%.*s\"", (int)n, s);
        if (s[i] == '@') {
            int c = find_class(rs, s + i, j - i);
            if (c < 0) return fail(p, "unknown class %.*s (classes are defined before use)", (int)(j - i), s + i);
            const set *src = &rs->sets[rs->classes[c].set];
            if (rs->nalts + src->count > MAX_ALTS) return fail(p, "too many alternatives (more than %d)", MAX_ALTS);
            memcpy(&rs->alts[rs->nalts], &rs->alts[src->first], src->count * sizeof(alt));
            rs->nalts += src->count;
        } else {
            if (rs->nalts >= MAX_ALTS) return fail(p, "too many alternatives (more than %d)", MAX_ALTS);
            alt *a = &rs->alts[rs->nalts];
            a->first = (uint16_t)rs->nwords;
            a->n = 0;
            for (size_t k = i; k < j;) {
                size_t e = k;
                while (e < j && s[e] != '_') e++;
                if (a->n == ALT_WORDS)
                    return fail(p, "\"%.*s\" has more than %d words", (int)(j - i), s + i, ALT_WORDS);
                if (rs->nwords >= MAX_WORDS) return fail(p, "too many words (more than %d)", MAX_WORDS);
                int rc = parse_word(p, s + k, e - k, &rs->words[rs->nwords]);
                if (rc) return rc;
                rs->nwords++;
                a->n++;
                k = e + 1;
            }
            rs->nalts++;
        }
        i = j + 1;
    }
    if (rs->nalts - first > UINT16_MAX) return fail(p, "too many alternatives in one element");
    rs->sets[rs->nsets].first = (uint16_t)first;
    rs->sets[rs->nsets].count = (uint16_t)(rs->nalts - first);
    *setno = (uint16_t)rs->nsets++;
    return HARK_OK;
}

static int parse_elem(parser *p, const char *s, size_t n, elem *e) {
    memset(e, 0, sizeof *e);
    if (n >= 2 && s[0] == '.' && s[1] == '.') {
        int g = 0;
        for (size_t i = 2; i < n && g <= GAP_MAX; i++) {
            if (s[i] < '0' || s[i] > '9') return fail(p, "gap \"%.*s\" is not ..N", (int)n, s);
            g = g * 10 + (s[i] - '0');
        }
        if (g < 1 || g > GAP_MAX) return fail(p, "gap \"%.*s\" is not ..1 to ..%d", (int)n, s, GAP_MAX);
        e->type = E_GAP;
        e->gap = (uint8_t)g;
        e->max_len = (uint8_t)g;
        return HARK_OK;
    }
    if (n > 0 && s[n - 1] == '?') {
        e->optional = 1;
        n--;
    }
    if (n == 0) return fail(p, "empty element");
    if (s[0] == '#') {
        uint32_t v = 0;
        size_t i = 1;
        for (; i < n && s[i] >= '0' && s[i] <= '9' && v < 1000000; i++) v = v * 10 + (uint32_t)(s[i] - '0');
        if (i == 1 || i + 1 != n || s[i] != '+') return fail(p, "number \"%.*s\" is not #N+", (int)n, s);
        e->type = E_NUM;
        e->num = v;
        e->min_len = e->max_len = 1;
        return HARK_OK;
    }
    e->type = E_ALTS;
    int c = s[0] == '@' && !memchr(s, '|', n) ? find_class(p->rs, s, n) : -1;
    if (c >= 0) {
        e->set = p->rs->classes[c].set; /* a class alone is shared, not copied */
    } else {
        int rc = parse_set(p, s, n, &e->set);
        if (rc) return rc;
    }
    const set *st = &p->rs->sets[e->set];
    e->min_len = ALT_WORDS;
    for (size_t i = 0; i < st->count; i++) {
        uint8_t words = p->rs->alts[st->first + i].n;
        if (words > e->max_len) e->max_len = words;
        if (words < e->min_len) e->min_len = words;
    }
    return HARK_OK;
}

/* The cost of filing a rule under element E: short words ("i", "to") are in
 * most texts and would make the rule a candidate for nearly every answer. */
static unsigned anchor_cost(const ruleset *rs, const elem *e) {
    const set *st = &rs->sets[e->set];
    unsigned cost = 0;
    for (size_t i = 0; i < st->count; i++) cost += rs->words[rs->alts[st->first + i].first].len <= 3 ? 50 : 1;
    return cost;
}

static int parse_pattern(parser *p, const char *s, size_t n, rule *r) {
    ruleset *rs = p->rs;
    r->first = (uint16_t)rs->nelems;
    r->nelems = 0;
    int span = 0, anchor = -1;
    unsigned best_cost = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        if (r->nelems == ELEM_MAX) return fail(p, "pattern has more than %d elements", ELEM_MAX);
        if (rs->nelems >= MAX_ELEMS) return fail(p, "too many elements (more than %d)", MAX_ELEMS);
        elem *e = &rs->elems[rs->nelems];
        int rc = parse_elem(p, s + i, j - i, e);
        if (rc) return rc;
        span += e->max_len;
        if (e->type == E_ALTS && !e->optional) {
            unsigned cost = anchor_cost(rs, e);
            if (anchor < 0 || cost < best_cost) {
                anchor = r->nelems;
                best_cost = cost;
            }
        }
        rs->nelems++;
        r->nelems++;
        i = j;
    }
    if (r->nelems == 0) return fail(p, "empty pattern");
    if (anchor < 0) return fail(p, "pattern needs at least one word that is not optional");
    if (rs->elems[r->first].type == E_GAP || rs->elems[r->first + r->nelems - 1].type == E_GAP)
        return fail(p, "pattern starts or ends with a gap");
    if (span > SPAN_MAX) return fail(p, "pattern can cover %d tokens, more than %d", span, SPAN_MAX);
    r->anchor = (uint8_t)anchor;
    r->min_before = r->max_before = 0;
    for (int i = 0; i < anchor; i++) {
        const elem *e = &rs->elems[r->first + i];
        if (!e->optional && e->type != E_GAP) r->min_before = (uint8_t)(r->min_before + e->min_len);
        r->max_before = (uint8_t)(r->max_before + e->max_len);
    }
    return HARK_OK;
}

static int parse_line(parser *p, const char *s, size_t n) {
    const char *f[3];
    size_t fl[3];
    int nf = 0;
    for (size_t i = 0; i <= n && nf < 4;) {
        size_t j = i;
        while (j < n && s[j] != '\t') j++;
        if (nf == 3) return fail(p, "more than three tab-separated fields");
        f[nf] = s + i;
        fl[nf] = j - i;
        nf++;
        i = j + 1;
    }
    if (nf != 3) return fail(p, "expected TYPE<TAB>SEVERITY<TAB>PATTERN, found %d field(s)", nf);
    ruleset *rs = p->rs;
    int type;
    if (fl[0] == 3 && memcmp(f[0], "hit", 3) == 0) {
        type = R_HIT;
    } else if (fl[0] == 3 && memcmp(f[0], "not", 3) == 0) {
        type = R_NOT;
    } else if (fl[0] == 4 && memcmp(f[0], "void", 4) == 0) {
        type = R_VOID;
    } else if (fl[0] == 5 && memcmp(f[0], "class", 5) == 0) {
        type = R_CLASS;
    } else {
        return fail(p, "unknown type \"%.*s\" (hit, not, void or class)", (int)fl[0], f[0]);
    }
    if (type == R_CLASS) {
        if (fl[1] < 2 || fl[1] >= sizeof rs->classes[0].name || f[1][0] != '@')
            return fail(p, "class name \"%.*s\" is not @name", (int)fl[1], f[1]);
        if (find_class(rs, f[1], fl[1]) >= 0) return fail(p, "class %.*s is defined twice", (int)fl[1], f[1]);
        if (rs->nclasses == MAX_CLASSES) return fail(p, "too many classes (more than %d)", MAX_CLASSES);
        classdef *c = &rs->classes[rs->nclasses];
        int rc = parse_set(p, f[2], fl[2], &c->set);
        if (rc) return rc;
        memcpy(c->name, f[1], fl[1]);
        c->name[fl[1]] = '\0';
        rs->nclasses++;
        return HARK_OK;
    }
    if (p->kind == 0 && type == R_HIT) return fail(p, "hit rules belong in a kind's file, not here");
    int sev = 0;
    if (type == R_HIT) {
        if (fl[1] != 1 || f[1][0] < '1' || f[1][0] > '3')
            return fail(p, "severity \"%.*s\" is not 1, 2 or 3", (int)fl[1], f[1]);
        sev = f[1][0] - '0';
    } else if (fl[1] != 1 || f[1][0] != '-') {
        return fail(p, "%.*s rules take severity -, not \"%.*s\"", (int)fl[0], f[0], (int)fl[1], f[1]);
    }
    if (rs->nrules == MAX_RULES) return fail(p, "too many rules (more than %d)", MAX_RULES);
    rule *r = &rs->rules[rs->nrules];
    r->kind = (uint8_t)p->kind;
    r->type = (uint8_t)type;
    r->severity = (uint8_t)sev;
    int rc = parse_pattern(p, f[2], fl[2], r);
    if (rc) return rc;
    rs->nrules++;
    return HARK_OK;
}

static int parse_file(ruleset *rs, const char *file, int kind, const char *text, size_t len, char *err, size_t errlen) {
    parser p = {.rs = rs, .file = file, .line = 0, .kind = kind, .err = err, .errlen = errlen};
    size_t shared = rs->nclasses; /* a kind file's own classes end with it */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t n = j - i;
        p.line++;
        if (n > 0 && text[i + n - 1] == '\r') n--;
        if (memchr(text + i, '\0', n)) return fail(&p, "NUL byte in line");
        if (!utf8_valid((const unsigned char *)text + i, n)) return fail(&p, "line is not valid UTF-8");
        int blank = 1;
        for (size_t k = 0; k < n && blank; k++) blank = text[i + k] == ' ' || text[i + k] == '\t';
        if (!blank && text[i] != '#') {
            int rc = parse_line(&p, text + i, n);
            if (rc) return rc;
        }
        i = j + 1;
    }
    if (kind) rs->nclasses = shared;
    return HARK_OK;
}

/* Puts the words of the engine classes in their hash table, and files every
 * rule under the buckets of its anchor's first words. */
static int finish(ruleset *rs, char *err, size_t errlen) {
    parser p = {.rs = rs, .file = "data/flags/common.tsv", .line = 0, .err = err, .errlen = errlen};
    size_t nlex = 0;
    for (int i = 0; i < C_RESERVED; i++) {
        int c = find_class(rs, reserved_names[i], strlen(reserved_names[i]));
        if (c < 0) return fail(&p, "class %s, which negation needs, is not defined", reserved_names[i]);
        const set *st = &rs->sets[rs->classes[c].set];
        for (size_t k = 0; k < st->count; k++) {
            const alt *a = &rs->alts[st->first + k];
            const word *w = &rs->words[a->first];
            if (a->n != 1 || w->prefix)
                return fail(&p, "class %s may hold only single words, without *", reserved_names[i]);
            const char *ws = rs->pool + w->off;
            unsigned slot = hash_bytes(0, ws, w->len) & (LEX_SLOTS - 1);
            while (rs->lex[slot].len &&
                   !(rs->lex[slot].len == w->len && memcmp(rs->pool + rs->lex[slot].off, ws, w->len) == 0))
                slot = (slot + 1) & (LEX_SLOTS - 1);
            if (!rs->lex[slot].len && ++nlex >= LEX_SLOTS / 2)
                return fail(&p, "the negation classes hold more than %d words", LEX_SLOTS / 2);
            rs->lex[slot].off = w->off;
            rs->lex[slot].len = w->len;
            rs->lex[slot].bits = (uint8_t)(rs->lex[slot].bits | (1u << i));
        }
    }
    /* Two passes over the rules: count per bucket, then fill. A rule is filed
     * once per distinct bucket of its anchor's first words. */
    uint16_t count[BUCKETS], seen[BUCKETS];
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        memset(count, 0, sizeof count);
        memset(seen, 0xFF, sizeof seen);
        for (size_t r = 0; r < rs->nrules; r++) {
            const elem *e = &rs->elems[rs->rules[r].first + rs->rules[r].anchor];
            const set *st = &rs->sets[e->set];
            for (size_t i = 0; i < st->count; i++) {
                unsigned b = word_bucket(rs, &rs->words[rs->alts[st->first + i].first]);
                if (seen[b] == r) continue;
                seen[b] = (uint16_t)r;
                if (pass == 1) {
                    rs->index[rs->bucket_first[b] + count[b]] = (uint16_t)r;
                } else if (++total > INDEX_MAX) {
                    return fail(&p, "the rule index is full (more than %d entries)", INDEX_MAX);
                }
                count[b]++;
            }
        }
        if (pass == 0) {
            rs->bucket_first[0] = 0;
            for (int b = 0; b < BUCKETS; b++) rs->bucket_first[b + 1] = (uint16_t)(rs->bucket_first[b] + count[b]);
        }
    }
    return HARK_OK;
}

/* Loads common.tsv and each kind's file from the compiled-in table. */
static int load(ruleset *rs, const char *extra_name, const char *extra, size_t extra_len, char *err, size_t errlen) {
    memset(rs, 0, sizeof *rs);
    char path[64], file[64];
    int used_extra = 0;
    for (int kind = 0; kind <= NLP_FLAG_KINDS; kind++) {
        const char *name = kind ? kind_names[kind - 1] : "common";
        snprintf(path, sizeof path, "/%s.tsv", name);
        snprintf(file, sizeof file, "data/flags/%s.tsv", name);
        const struct embed_file *f = embed_find(hark_flag_files, path);
        const char *text = f ? (const char *)f->data : NULL;
        size_t len = f ? f->len : 0;
        if (extra_name && strcmp(extra_name, path + 1) == 0) {
            text = extra;
            len = extra_len;
            used_extra = 1;
        }
        if (!text) {
            snprintf(err, errlen, "%s: missing", file);
            return HARK_EINVAL;
        }
        int rc = parse_file(rs, file, kind, text, len, err, errlen);
        if (rc) return rc;
    }
    if (extra_name && !used_extra) {
        snprintf(err, errlen, "%s: not a kind's file nor common.tsv", extra_name);
        return HARK_EINVAL;
    }
    for (const struct embed_file *f = hark_flag_files; f->path; f++) {
        size_t n = strlen(f->path);
        if (n < 5 || strcmp(f->path + n - 4, ".tsv") != 0) continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(n - 5), f->path + 1);
        if (strcmp(name, "common") != 0 && !nlp_flag_kind_parse(name)) {
            snprintf(err, errlen, "data/flags%s: not a kind (%s, %s, %s, %s, %s) nor common.tsv", f->path,
                     kind_names[0], kind_names[1], kind_names[2], kind_names[3], kind_names[4]);
            return HARK_EINVAL;
        }
    }
    return finish(rs, err, errlen);
}

static void load_once(void) {
    g_status = load(&g_rules, NULL, NULL, 0, g_err, sizeof g_err);
    if (g_status) g_rules.nrules = 0;
}

int nlp_flags_init(char *err, size_t errlen) {
    pthread_once(&g_once, load_once);
    if (g_status && err && errlen) snprintf(err, errlen, "%s", g_err);
    return g_status;
}

int nlp_flags_check(const char *name, const char *text, size_t len, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    ruleset *rs = malloc(sizeof *rs);
    if (!rs) return HARK_ENOMEM;
    char msg[256];
    int rc = load(rs, name, text ? text : "", text ? len : 0, msg, sizeof msg);
    if (rc && err && errlen) snprintf(err, errlen, "%s", msg);
    free(rs);
    return rc;
}

size_t nlp_flags_detect(const char *text, size_t len, nlp_flag *out, size_t max) {
    pthread_once(&g_once, load_once);
    if (g_status || !text || len == 0) return 0;
    const ruleset *rs = &g_rules;
    const unsigned char *s = (const unsigned char *)text;
    if (len > NLP_FLAGS_MAX_TEXT) {
        len = NLP_FLAGS_MAX_TEXT;
        while (len > 0 && (s[len] & 0xC0) == 0x80) len--; /* do not cut a character in two */
    }
    best found[NLP_FLAG_KINDS];
    memset(found, 0, sizeof found);
    token t[WIN_TOKENS];
    lexer lx = {.s = s, .len = len, .pos = 0, .sent = 1, .clause = 0};
    int n = 0, from = 0;
    for (;;) {
        int more = 1;
        while (more && n < WIN_TOKENS) {
            more = next_token(&lx, &t[n]);
            n += more;
        }
        if (!more || n < WIN_TOKENS) {
            if (n > from) scan(rs, t, n, from, found);
            break;
        }
        /* The window is full: cut it after the last sentence that ends in its
         * second half, or else keep OVERLAP tokens so that no match is lost. */
        int cut = 0;
        for (int i = n - 1; i >= WIN_TOKENS / 2 && !cut; i--)
            if (t[i].flags & T_SENT) cut = i;
        if (cut) {
            scan(rs, t, cut, from, found);
            from = 0;
        } else {
            scan(rs, t, n, from, found);
            cut = n - OVERLAP;
            from = OVERLAP - SPAN_MAX;
        }
        memmove(t, t + cut, (size_t)(n - cut) * sizeof t[0]);
        n -= cut;
    }
    size_t k = 0;
    for (int i = 0; i < NLP_FLAG_KINDS && k < max; i++) {
        if (found[i].severity == 0) continue;
        out[k].kind = i + 1;
        out[k].severity = found[i].severity;
        out[k].start = found[i].start;
        out[k].len = found[i].len;
        k++;
    }
    return k;
}
