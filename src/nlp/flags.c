/* Red-flag detection (flags.h): matching answer text against the rules that
 * flags_rules.c loads into the tables of flags_int.h. Detection cuts the text
 * into normalised tokens in a bounded window on the stack and looks each token
 * up once: the rule word it equals, the prefix and fuzzy rule words it
 * matches, its engine classes. A rule is tried only where a token matches its
 * anchor, found through the word index (the rules whose anchor can start with
 * a plain word) or, for a token that matches a prefix or fuzzy word, through
 * the bucket index; an element tries only the alternatives that can start at
 * a token (starts and spec_alts, behind the sets' first_mask), and a match
 * backtracks over a few tokens. Hits that are negated, overlap an exclusion or
 * share a sentence with a voiding pattern are dropped. It does not read rule
 * files (flags_rules.c), score sentiment (sentiment.c) or find themes. */
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "nlp/flags.h"
#include "nlp/flags_int.h"

#define NEG_WINDOW 5 /* tokens a negation reaches back from the start of a match */
#define WIN_TOKENS 256
#define OVERLAP    32 /* tokens kept when a window is cut inside a sentence: > SPAN_MAX + NEG_WINDOW */
#define SPEC_MAX   6  /* prefix and fuzzy words a token lists; past that, word_match decides */
#define SPEC_OVER  255
#define NO_ID      0xFFFF

enum { T_SENT = 1, T_CLAUSE = 2, T_NUM = 4 };

typedef struct token {
    uint32_t start, end;     /* bytes of the text */
    uint32_t num;            /* value of a number token, capped at 10^6 */
    uint32_t hash;           /* flags__hash(0, sk, len) */
    uint16_t id;             /* the rule word equal to sk (ruleset.wi), or NO_ID */
    uint64_t gate;           /* what may_start tests a set's first_mask against */
    uint8_t len;             /* bytes in sk; 0 when the word was too long */
    uint8_t flags;           /* T_SENT: first of a sentence; T_CLAUSE: a comma-like mark came before */
    uint8_t cls;             /* the engine classes it belongs to (CB_ bits) */
    uint8_t nspec;           /* entries of spec, or SPEC_OVER when they did not fit */
    uint16_t spec[SPEC_MAX]; /* the sids of the prefix and fuzzy words it matches */
    char sk[WORD_MAX];       /* lower case, apostrophes dropped, doubled letters made single */
} token;

typedef struct lexer {
    const unsigned char *s;
    size_t len, pos;
    unsigned marks; /* T_SENT, T_CLAUSE: marks seen since the last token */
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

static int is_ascii_letter(uint32_t cp) {
    return (cp | 0x20) - 'a' < 26;
}

static int is_letter(uint32_t cp) {
    if (cp < 0x80) return is_ascii_letter(cp);
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
    if (lx->s[at] < 0x80) {
        *cp = lx->s[at];
        return 1;
    }
    size_t n = utf8_decode(lx->s + at, lx->len - at, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

/* Per ASCII byte, T_SENT or T_CLAUSE when it ends a sentence or a clause: the
 * ASCII cases of ends_sentence and ends_clause. */
static const uint8_t ascii_marks[128] = {
    ['.'] = T_SENT,   ['!'] = T_SENT,   ['?'] = T_SENT,   [';'] = T_SENT,   ['\n'] = T_SENT,
    ['\r'] = T_SENT,  [','] = T_CLAUSE, [':'] = T_CLAUSE, ['('] = T_CLAUSE, [')'] = T_CLAUSE,
    ['['] = T_CLAUSE, [']'] = T_CLAUSE, ['"'] = T_CLAUSE,
};

/* Produces the next token. Returns 1 with T's text fields filled, 0 at the end
 * of the text. ASCII, most of any answer, takes a short way through each loop. */
static int next_token(lexer *lx, token *t) {
    const unsigned char *s = lx->s;
    const size_t end = lx->len;
    size_t pos = lx->pos, k = 1;
    unsigned marks = lx->marks;
    uint32_t cp = 0;
    for (;; pos += k) {
        if (pos >= end) {
            lx->pos = pos;
            lx->marks = marks;
            return 0;
        }
        cp = s[pos];
        k = 1;
        if (is_ascii_letter(cp) || cp - '0' < 10) break;
        if (cp < 0x80) {
            marks |= ascii_marks[cp];
            continue;
        }
        k = decode(lx, pos, &cp);
        /* U+02BC is a letter to Unicode but an apostrophe here: it never starts a word. */
        if (is_letter(cp) && !is_apostrophe(cp)) break;
        if (ends_sentence(cp)) marks |= T_SENT;
        if (ends_clause(cp)) marks |= T_CLAUSE;
    }
    int digit = cp - '0' < 10, fits = 1, rehash = 0;
    size_t i = pos, n = 0;
    uint32_t num = 0, h = 2166136261u; /* flags__hash(0, sk, n), while only ASCII went in */
    char *sk = t->sk;
    memset(sk, 0, WORD_MAX); /* same_word reads all of it */
    for (; digit && i < end && (uint32_t)s[i] - '0' < 10; i++) {
        if (num < 1000000) num = num * 10 + (uint32_t)(s[i] - '0');
        if (n < WORD_MAX) {
            sk[n++] = (char)s[i];
            h = (h ^ s[i]) * 16777619u;
        } else {
            fits = 0;
        }
    }
    unsigned last = 0; /* sk[n - 1], or 0 */
    while (!digit) {
        /* A run of ASCII letters, flags__push_byte inline. */
        for (; i < end; i++) {
            unsigned c = s[i] | 0x20u;
            if (c - 'a' >= 26) break;
            if (fits && c != last) {
                if (n == WORD_MAX) {
                    fits = 0;
                    continue;
                }
                sk[n++] = (char)c;
                last = c;
                h = (h ^ c) * 16777619u;
            }
        }
        if (i >= end || (s[i] < 0x80 && s[i] != '\'')) break;
        k = decode(lx, i, &cp);
        if (is_apostrophe(cp)) {
            /* "don't", "I’m": the apostrophe joins letters and is dropped. */
            uint32_t next = 0;
            if (i + k < end) decode(lx, i + k, &next);
            if (!is_letter(next)) break;
        } else if (is_letter(cp)) {
            for (size_t j = 0; j < k && fits; j++) fits = flags__push_byte(sk, &n, s[i + j]);
            last = n ? (unsigned char)sk[n - 1] : 0;
            rehash = 1;
        } else {
            break;
        }
        i += k;
    }
    t->start = (uint32_t)pos;
    t->end = (uint32_t)i;
    t->len = fits ? (uint8_t)n : 0;
    t->hash = rehash ? flags__hash(0, sk, n) : h;
    t->num = num;
    t->flags = (uint8_t)(marks | (digit ? T_NUM : 0));
    lx->marks = 0;
    lx->pos = i;
    return 1;
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

/* 1 when rule word W matches token T, from their text: the definition. Tokens
 * run it once per prefix or fuzzy word that may match them (find_specials);
 * matching itself compares what that left in the token (word_is). */
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

/* Lists in T the prefix and fuzzy words it matches. Any that does shares its
 * first two bytes (a fuzzy word) or three (a prefix word) with T, so only the
 * chains of those are tried. H2 and H3 hash them as the chains do. */
static void find_specials(const ruleset *rs, token *t, uint32_t h2, uint32_t h3) {
    for (int k = 0; k < 2 && (k == 0 || t->len >= 3); k++) {
        unsigned sid = rs->spec_head[k][(k ? h3 : h2) & (SPEC_BUCKETS - 1)];
        for (; sid; sid = rs->spec_next[sid]) {
            const word *w = &rs->words[rs->spec_word[sid]];
            /* What word_match asks first, without the call: a prefix word fits
             * in the token, a fuzzy one is at most one byte longer. */
            if (t->len + w->fuzzy < w->len || t->sk[1] != rs->pool[w->off + 1] || !word_match(rs, w, t)) continue;
            if (t->nspec == SPEC_MAX) {
                t->nspec = SPEC_OVER;
                return;
            }
            t->spec[t->nspec++] = (uint16_t)sid;
        }
    }
}

int flags__matches_special(const ruleset *rs, const char *s, size_t len) {
    token t;
    memset(&t, 0, sizeof t);
    memcpy(t.sk, s, len);
    t.len = (uint8_t)len;
    t.flags = len && (uint32_t)s[0] - '0' < 10 ? T_NUM : 0; /* a word of digits is a number token */
    if (len >= 2) find_specials(rs, &t, flags__hash(K_PRE2, t.sk, 2), len >= 3 ? flags__hash(K_PRE3, t.sk, 3) : 0);
    return t.nspec != 0;
}

/* memcmp(A, B, N) == 0 for N <= WORD_MAX, reading WORD_MAX bytes of each, 8
 * at a time without a branch on N: words are short, and their lengths vary too
 * much for a byte loop to be predicted. */
static int same_word(const char *a, const char *b, size_t n) {
    static const unsigned char lead[16] = {255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0};
    uint64_t diff = 0;
    for (size_t i = 0; i < WORD_MAX; i += 8) {
        size_t m = n > i ? (n - i < 8 ? n - i : 8) : 0;
        uint64_t x, y, mask;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        memcpy(&mask, lead + 8 - m, 8);
        diff |= (x ^ y) & mask;
    }
    return diff == 0;
}

/* Fills what matching needs to know of token T: its word, its classes and
 * its special words. */
static void look_up(const ruleset *rs, token *t) {
    t->id = NO_ID;
    t->cls = 0;
    t->nspec = 0;
    t->gate = 0;
    size_t len = t->len;
    if (len == 0) return;
    int no_special = 0; /* the word's W_NO_SPECIAL */
    for (uint32_t i = t->hash & rs->look_mask; rs->look[i]; i = (i + 1) & rs->look_mask) {
        uint32_t v = rs->look[i];
        if ((v ^ t->hash) >> 16) continue;
        const winfo *x = &rs->wi[(v & 0xFFFF) - 1];
        if (x->len == len && same_word(rs->pool + x->off, t->sk, len)) {
            t->id = (uint16_t)((v & 0xFFFF) - 1);
            t->cls = x->bits & ~W_NO_SPECIAL;
            no_special = x->bits & W_NO_SPECIAL;
            break;
        }
    }
    unsigned pair = len >= 2 ? (unsigned char)t->sk[0] << 8 | (unsigned char)t->sk[1] : 0;
    if (!no_special && len >= 2 && (rs->spec_pairs[pair / 64] >> (pair % 64) & 1))
        find_specials(rs, t, flags__hash(K_PRE2, t->sk, 2), len >= 3 ? flags__hash(K_PRE3, t->sk, 3) : 0);
    if (t->id != NO_ID) t->gate = flags__word_bit(t->id);
    if (t->nspec) t->gate |= FIRST_SPECIAL;
}

/* The index buckets token T may find rules in, in the order they are tried:
 * its whole word, its first three bytes, its first two. Returns how many. */
static int token_buckets(const token *t, unsigned *b) {
    int n = 0;
    if (t->len == 0) return 0;
    b[n++] = flags__hash(K_FULL, t->sk, t->len) & (BUCKETS - 1);
    if (t->len >= 3) b[n++] = flags__hash(K_PRE3, t->sk, 3) & (BUCKETS - 1);
    if (t->len >= 2) b[n++] = flags__hash(K_PRE2, t->sk, 2) & (BUCKETS - 1);
    return n;
}

/* 1 when rule word W matches token T (as word_match decides). */
static int word_is(const ruleset *rs, const word *w, const token *t) {
    if (!w->sid) return t->id == w->id;
    if (t->nspec == SPEC_OVER) return word_match(rs, w, t);
    for (int i = 0; i < t->nspec; i++)
        if (t->spec[i] == w->sid) return 1;
    return 0;
}

typedef struct window {
    const token *t;
    int n;
} window;

/* The alternatives of a set whose first word matches a token, in the set's
 * order: a merge of those starting with the token's word (a run of starts)
 * and those starting with a prefix or fuzzy word that the token matches. */
typedef struct starts {
    const uint32_t *e, *eend; /* e: the next of the run, while its id is the token's */
    const uint16_t *p;
    size_t np;
    uint32_t id;
} starts;

/* 0 when no alternative of set SETNO can start at token T: its word (if any)
 * misses the set's first_mask, and it matches no prefix or fuzzy word or the
 * set has none first. T's gate holds the bit of its word, and FIRST_SPECIAL
 * when it matches a prefix or fuzzy word. */
static int may_start(const ruleset *rs, uint16_t setno, const token *t) {
    return (rs->first_mask[setno] & t->gate) != 0;
}

static void starts_init(const ruleset *rs, uint16_t setno, const token *t, starts *c) {
    const set *st = &rs->sets[setno];
    c->e = c->eend = rs->starts;
    c->np = 0;
    c->id = t->id;
    if (t->id != NO_ID) {
        /* The first entry not below (id << 16): a binary search whose steps
         * compile to conditional moves, not branches. */
        const uint32_t *a = rs->starts + st->pfirst, key = (uint32_t)t->id << 16;
        size_t n = st->pcount;
        c->eend = a + n;
        while (n > 1) {
            size_t half = n / 2;
            a += half * (a[half - 1] < key);
            n -= half;
        }
        c->e = a + (n == 1 && *a < key);
    }
    if (t->nspec) {
        c->p = rs->spec_alts + st->sfirst;
        c->np = st->scount;
    }
}

/* The next of those alternatives (an alt number), or -1. */
static int starts_next(const ruleset *rs, starts *c, const token *t) {
    while (c->np && !word_is(rs, &rs->words[rs->alts[*c->p].first], t)) {
        c->p++;
        c->np--;
    }
    if (c->e < c->eend && (*c->e >> 16) == c->id && (!c->np || (*c->e & 0xFFFF) < *c->p))
        return (int)(*c->e++ & 0xFFFF);
    if (c->np) {
        c->np--;
        return *c->p++;
    }
    return -1;
}

/* 1 when alternative A, whose first word matches the token at POS, matches
 * from there. Its words are consecutive: no sentence end and no comma between
 * them. */
static int rest_at(const ruleset *rs, const alt *a, const window *w, int pos) {
    if (pos + a->n > w->n) return 0;
    for (int k = 1; k < a->n; k++) {
        if (w->t[pos + k].flags & (T_SENT | T_CLAUSE)) return 0;
        if (!word_is(rs, &rs->words[a->first + k], &w->t[pos + k])) return 0;
    }
    return 1;
}

/* 1 when an element with gate GATE cannot start at token POS, so that
 * matching on from there would fail at once: it need not be called. */
static int gate_closed(const ruleset *rs, uint16_t gate, const window *w, int pos) {
    return gate != NO_GATE && (pos >= w->n || !may_start(rs, gate, &w->t[pos]));
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
            if (g > 0 && (pos + g > w->n || (w->t[pos + g - 1].flags & T_SENT) || (w->t[pos + g - 1].cls & CB_NEGATOR)))
                break;
            if (!gate_closed(rs, e->next_gate, w, pos + g) && match_from(rs, r, ei + 1, w, start, pos + g, 1, end))
                return 1;
        }
        return 0;
    }
    int here = pos < w->n && (pos == start || !(w->t[pos].flags & (loose ? T_SENT : T_SENT | T_CLAUSE)));
    if (here && e->type == E_NUM) {
        const token *t = &w->t[pos];
        if ((t->flags & T_NUM) && t->num >= e->num && match_from(rs, r, ei + 1, w, start, pos + 1, 0, end)) return 1;
    } else if (here && may_start(rs, e->set, &w->t[pos])) {
        starts c;
        starts_init(rs, e->set, &w->t[pos], &c);
        for (int i = starts_next(rs, &c, &w->t[pos]); i >= 0; i = starts_next(rs, &c, &w->t[pos])) {
            const alt *a = &rs->alts[i];
            if (rest_at(rs, a, w, pos) && !gate_closed(rs, e->next_gate, w, pos + a->n) &&
                match_from(rs, r, ei + 1, w, start, pos + a->n, 0, end))
                return 1;
        }
    }
    return e->optional && !gate_closed(rs, e->next_gate, w, pos) &&
           match_from(rs, r, ei + 1, w, start, pos, loose, end);
}

/* 1 when element E can match at token POS, ignoring what comes before. */
static int elem_at(const ruleset *rs, const elem *e, const window *w, int pos) {
    if (!may_start(rs, e->set, &w->t[pos])) return 0;
    starts c;
    starts_init(rs, e->set, &w->t[pos], &c);
    for (int i = starts_next(rs, &c, &w->t[pos]); i >= 0; i = starts_next(rs, &c, &w->t[pos]))
        if (rest_at(rs, &rs->alts[i], w, pos)) return 1;
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
    if (t[s].cls & CB_SCOPE_END) return 0; /* "never promoted because of my race" */
    int subject_between = 0;
    for (int k = s, steps = 0; k > 0 && steps < NEG_WINDOW; steps++) {
        if (t[k].flags & T_SENT) return 0;
        int subj = t[k].cls & CB_SUBJECT;
        if ((t[k].flags & T_CLAUSE) && subj) return 0;
        if (k < s && subj) subject_between = 1;
        k--;
        if (t[k].cls & CB_SCOPE_END) return 0;
        if (subj && (t[k].cls & CB_JOINER)) return 0;
        if ((t[k].cls & CB_NEGATOR) && !(t[k + 1].cls & CB_NEG_RELEASE))
            return !(subject_between && (t[k].cls & CB_NEG_VERB) && !(t[k + 1].cls & CB_NEG_RAISE));
    }
    return 0;
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

typedef struct scanner {
    const ruleset *rs;
    window w;
    int floor;                      /* the first start this pass tries */
    uint16_t next_start[MAX_RULES]; /* per rule: the first start not tried yet, when above the floor */
    scanstate ss;
    best *out;
} scanner;

/* Tries rule RI where token Q may match its anchor (SURE: it does): from
 * each start that can reach Q and was not tried before. A start where the
 * first element, a required one, cannot begin is skipped without a call. */
static void try_rule(scanner *sc, unsigned ri, int q, int sure) {
    const ruleset *rs = sc->rs;
    const rule *r = &rs->rules[ri];
    int lo = q - r->max_before, hi = q - r->min_before;
    if (lo < sc->floor) lo = sc->floor;
    if (lo < sc->next_start[ri]) lo = sc->next_start[ri];
    if (hi < lo || (!sure && !elem_at(rs, &rs->elems[r->first + r->anchor], &sc->w, q))) return;
    sc->next_start[ri] = (uint16_t)(hi + 1);
    for (int p = lo; p <= hi; p++) {
        int end;
        if (gate_closed(rs, r->gate, &sc->w, p)) continue;
        if (match_from(rs, r, 0, &sc->w, p, p, 0, &end) && !negated(&sc->w, p))
            record(r, &sc->w, p, end, &sc->ss, sc->out);
    }
}

/* Runs the rules over the tokens of W: first the exclusions, then the hits. A
 * rule is tried only where a token matches its anchor, from the starts that can
 * reach that token, and each start once. Hits start at FROM or later (the
 * tokens before are context kept from the previous window).
 *
 * Which of two hits of a kind with the same severity and start wins depends on
 * the order they are found in: token by token, then by the token's index
 * buckets (whole word, first three bytes, first two), rule by rule in each.
 * A token that matches no prefix or fuzzy word can match only the anchors
 * that start with its own word, which are all in its first bucket: the word
 * index lists exactly those, in the same order, without the bucket's other
 * rules. The other tokens go through the buckets. */
static void scan(const ruleset *rs, const token *t, int n, int from, best *out) {
    scanner sc;
    sc.rs = rs;
    sc.w.t = t;
    sc.w.n = n;
    sc.out = out;
    /* Per pass, the tokens that can start a rule of it, in order, so that the
     * passes skip the others without a branch each. */
    uint8_t todo[2][WIN_TOKENS];
    int ntodo[2] = {0, 0};
    for (int i = 0, s = 0; i < n; i++) {
        if (i > 0 && (t[i].flags & T_SENT)) s++;
        sc.ss.sentence[i] = s;
        sc.ss.excluded[i] = sc.ss.voided[i] = 0;
        const winfo *e = &rs->wi[t[i].id == NO_ID ? NO_RULES : t[i].id];
        int buckets = !rs->word_rules_ok || t[i].nspec;
        todo[0][ntodo[0]] = (uint8_t)i;
        ntodo[0] += buckets | (e->nexcl != 0);
        todo[1][ntodo[1]] = (uint8_t)i;
        ntodo[1] += buckets | (e->nhits != 0);
    }
    for (int pass = 0; pass < 2; pass++) {
        memset(sc.next_start, 0, rs->nrules * sizeof sc.next_start[0]);
        sc.floor = pass ? from : 0;
        for (int k = 0; k < ntodo[pass]; k++) {
            int q = todo[pass][k];
            if (rs->word_rules_ok && t[q].nspec == 0) {
                const winfo *e = &rs->wi[t[q].id];
                const uint16_t *rules = rs->word_rules + e->rfirst + (pass ? e->nexcl : 0);
                for (unsigned j = 0, nj = pass ? e->nhits : e->nexcl; j < nj; j++)
                    try_rule(&sc, rules[j] & WR_RULE, q, rules[j] & WR_SURE);
                continue;
            }
            unsigned keys[3];
            int nkeys = token_buckets(&t[q], keys);
            for (int kk = 0; kk < nkeys; kk++) {
                unsigned b = keys[kk];
                unsigned j = pass ? rs->bucket_hits[b] : rs->bucket_first[b];
                unsigned jend = pass ? rs->bucket_first[b + 1] : rs->bucket_hits[b];
                for (; j < jend; j++) try_rule(&sc, rs->index[j], q, 0);
            }
        }
    }
}

size_t nlp_flags_detect(const char *text, size_t len, nlp_flag *out, size_t max) {
    const ruleset *rs = flags__rules();
    if (!rs || !text || len == 0) return 0;
    const unsigned char *s = (const unsigned char *)text;
    if (len > NLP_FLAGS_MAX_TEXT) {
        len = NLP_FLAGS_MAX_TEXT;
        while (len > 0 && (s[len] & 0xC0) == 0x80) len--; /* do not cut a character in two */
    }
    best found[NLP_FLAG_KINDS];
    memset(found, 0, sizeof found);
    token t[WIN_TOKENS];
    lexer lx = {.s = s, .len = len, .pos = 0, .marks = T_SENT};
    int n = 0, from = 0;
    for (;;) {
        int more = 1;
        while (more && n < WIN_TOKENS) {
            more = next_token(&lx, &t[n]);
            if (more) look_up(rs, &t[n]);
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
