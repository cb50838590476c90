/* Sentiment scoring (sentiment.h): VADER's rules as published by Hutto and
 * Gilbert (ICWSM 2014) and implemented by the reference package, written for
 * speed. A text is split into tokens that point into it (one array, on the
 * stack for short texts), each token is looked up once in the hash table of
 * lexicon.h, then every rule reads the tokens around the current one by
 * index: boosters and dampeners, negation within three tokens, "never so",
 * "least", idioms, ALL-CAPS emphasis, "but", then ! and ? emphasis and the
 * normalisation of the sum into [-1, 1]. The rule bits of sentiment.h switch
 * Hark's additions on; with none of them the result is the reference's.
 * It does not detect red flags (flags.c) or themes (themes.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "nlp/lexicon.h"
#include "nlp/sentiment.h"

/* VADER's empirically derived constants. */
#define B_INCR     0.293  /* booster step */
#define B_DECR     -0.293 /* dampener step */
#define C_INCR     0.733  /* ALL-CAPS emphasis when the rest of the text is not shouting */
#define N_SCALAR   -0.74  /* negation */
#define EP_STEP    0.292  /* per exclamation mark, at most four */
#define QM_STEP    0.18   /* per question mark, two or three */
#define QM_MAX     0.96   /* four question marks or more */
#define NORM_ALPHA 15.0

typedef struct tok {
    uint32_t off, len;      /* the token in the text */
    uint32_t loff, llen;    /* its lower-case (folded) form in the scratch buffer */
    const nlp_lex_entry *e; /* lexicon entry of the lower-case form, or NULL */
    double valence;         /* its own valence when lex */
    int32_t ctx;            /* where modifiers are looked for: before this token */
    uint8_t lex;            /* carries a valence */
    uint8_t inlex;          /* counts as a lexicon word (is never a modifier) */
    uint8_t has_upper;      /* has an ASCII capital: differs from its lower-case form */
    uint8_t upper;          /* Python's isupper(): capitals and no small letters */
    int32_t clause;         /* the first token of its clause (NLP_RULE_CLAUSE), else 0 */
    uint8_t pretty;         /* "pretty" as a booster (NLP_RULE_SENSES) */
} tok;

typedef struct scorer {
    const unsigned char *s;
    char *low; /* lower-case forms of the tokens */
    tok *t;
    size_t n, cap, lowlen;
    unsigned rules;
} scorer;

static const nlp_rule_info rule_list[] = {
    {"case", NLP_RULE_CASE, "negations, \"never\", \"but\" and idioms match in any case"},
    {"tokens", NLP_RULE_TOKENS, "all edge punctuation, quotes and HTML entities stripped; emoji split off"},
    {"no", NLP_RULE_NO, "\"no\" before a sentiment word negates it and is not counted itself"},
    {"supplement", NLP_RULE_SUPPLEMENT, "workplace terms, phrases and emoji of data/lexicon"},
    {"elongated", NLP_RULE_ELONGATED, "letters repeated three times or more are looked up once and twice"},
    {"senses", NLP_RULE_SENSES, "\"like\" as a preposition and \"pretty\" as an adverb carry no sentiment"},
    {"dampen", NLP_RULE_DAMPEN, "\"kind of\" and \"sort of\" move any valence towards zero, wherever they stand"},
    {"clause", NLP_RULE_CLAUSE, "negations and boosters do not reach across . ! ? ; : , or a line break"},
};

const nlp_rule_info *nlp_rule_list(size_t *n) {
    *n = sizeof rule_list / sizeof rule_list[0];
    return rule_list;
}

/* ---- characters ---- */

static int is_punct(unsigned c) { /* the reference's punctuation: ASCII punctuation */
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

/* JavaScript's \s, which the reference splits on. */
static int is_space_cp(uint32_t cp) {
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static int is_emoji(uint32_t cp) {
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2B00 && cp <= 0x2BFF) ||
           (cp >= 0x2300 && cp <= 0x23FF);
}

/* Joiners and modifiers that belong to the emoji before them. */
static int is_emoji_part(uint32_t cp) {
    return cp == 0xFE0F || cp == 0xFE0E || cp == 0x200D || (cp >= 0x1F3FB && cp <= 0x1F3FF);
}

/* Unicode punctuation that the token rule strips as well. */
static int is_upunct(uint32_t cp) {
    return (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E) || cp == 0xAB || cp == 0xBB || cp == 0xA1 ||
           cp == 0xBF || (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0xFF01 && cp <= 0xFF0F);
}

/* Decodes one code point at S (LEN > 0 bytes); an invalid byte is U+FFFD of length 1. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp) {
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = utf8_decode(s, len, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

/* Length of S in UTF-16 code units, the unit of the reference's ".length", up to 2. */
static size_t len16_upto2(const unsigned char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len && n < 2;) {
        uint32_t cp;
        i += decode(s + i, len - i, &cp);
        n += cp >= 0x10000 ? 2 : 1;
    }
    return n;
}

/* ---- tokens ---- */

/* HTML entity at S that stands for punctuation or an apostrophe. Returns its
 * length and sets *APOS when it is an apostrophe, or returns 0. */
static size_t entity_at(const unsigned char *s, size_t len, int *apos) {
    static const struct {
        const char *name;
        int apos;
    } ents[] = {{"&quot;", 0}, {"&amp;", 0}, {"&lt;", 0},    {"&gt;", 0},   {"&#39;", 1},
                {"&apos;", 1}, {"&#34;", 0}, {"&rsquo;", 1}, {"&nbsp;", 0}, {"&hellip;", 0}};
    if (len < 4 || s[0] != '&') return 0;
    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
        size_t n = strlen(ents[i].name);
        if (n <= len && memcmp(s, ents[i].name, n) == 0) {
            *apos = ents[i].apos;
            return n;
        }
    }
    return 0;
}

/* The reference keeps a token whole unless it is one word with one of these
 * attached before or after it. */
static const char *const punc_list[] = {".",  "!",   "?",  ",",   ";",   ":",   "-",    "'",    "\"",
                                        "!!", "!!!", "??", "???", "?!?", "!?!", "?!?!", "!?!?", NULL};

static int in_punc_list(const unsigned char *s, size_t len) {
    for (const char *const *p = punc_list; *p; p++)
        if (strlen(*p) == len && memcmp(*p, s, len) == 0) return 1;
    return 0;
}

/* The reference's token rule for the chunk [*A, *B): "word," becomes "word"
 * when the rest holds no punctuation and is at least two characters long. */
static void strip_compat(const unsigned char *s, uint32_t *a, uint32_t *b) {
    uint32_t lead = *a, trail = *b;
    while (lead < *b && is_punct(s[lead])) lead++;
    while (trail > lead && is_punct(s[trail - 1])) trail--;
    if (lead == *a && trail == *b) return; /* no punctuation at the edges */
    if (lead > *a && trail < *b) return;   /* at both edges */
    for (uint32_t i = lead; i < trail; i++)
        if (is_punct(s[i])) return;
    if (len16_upto2(s + lead, trail - lead) < 2) return;
    if (lead > *a && in_punc_list(s + *a, lead - *a))
        *a = lead;
    else if (trail < *b && in_punc_list(s + trail, *b - trail))
        *b = trail;
}

/* Appends the token [A, B) and its folded lower-case form. */
static void add_tok(scorer *sc, uint32_t a, uint32_t b) {
    if (sc->n == sc->cap) return; /* the arrays are sized so that this cannot happen */
    tok *t = &sc->t[sc->n++];
    memset(t, 0, sizeof *t);
    t->off = a;
    t->len = b - a;
    t->ctx = (int32_t)(sc->n - 1);
    t->loff = (uint32_t)sc->lowlen;
    char *o = sc->low + sc->lowlen;
    size_t n = 0;
    int small = 0;
    for (uint32_t i = a; i < b;) {
        unsigned char c = sc->s[i];
        if (c >= 'A' && c <= 'Z') {
            t->has_upper = 1;
            o[n++] = (char)(c + 32);
            i++;
            continue;
        }
        if (c >= 'a' && c <= 'z') small = 1;
        if (sc->rules & NLP_RULE_TOKENS) {
            int apos = 0;
            size_t k = c == '&' ? entity_at(sc->s + i, b - i, &apos) : 0;
            if (k && apos) {
                o[n++] = '\'';
                i += (uint32_t)k;
                continue;
            }
            /* U+2019 and U+2018 (E2 80 99 / 98) and U+02BC (CA BC) are apostrophes. */
            if (c == 0xE2 && i + 2 < b && sc->s[i + 1] == 0x80 && (sc->s[i + 2] == 0x99 || sc->s[i + 2] == 0x98)) {
                o[n++] = '\'';
                i += 3;
                continue;
            }
            if (c == 0xCA && i + 1 < b && sc->s[i + 1] == 0xBC) {
                o[n++] = '\'';
                i += 2;
                continue;
            }
        }
        o[n++] = (char)c;
        i++;
    }
    t->upper = t->has_upper && !small;
    t->llen = (uint32_t)n;
    sc->lowlen += n;
    t->e = nlp_lexicon_find(o, n);
}

/* Finds the next white-space separated chunk of S at or after *POS: sets
 * [*A, *B) and moves *POS past it. Returns 0 at the end. */
static int next_chunk(const unsigned char *s, size_t len, size_t *pos, uint32_t *a, uint32_t *b) {
    size_t i = *pos;
    uint32_t cp;
    while (i < len) {
        size_t k = decode(s + i, len - i, &cp);
        if (!is_space_cp(cp)) break;
        i += k;
    }
    if (i >= len) return 0;
    *a = (uint32_t)i;
    while (i < len) {
        size_t k = decode(s + i, len - i, &cp);
        if (is_space_cp(cp)) break;
        i += k;
    }
    *b = (uint32_t)i;
    *pos = i;
    return 1;
}

/* The reference's tokens: white-space separated chunks of two UTF-16 units or
 * more, with one attached punctuation mark removed (strip_compat). */
static void tokenize_compat(scorer *sc, size_t len) {
    const unsigned char *s = sc->s;
    size_t i = 0;
    uint32_t a, b;
    while (next_chunk(s, len, &i, &a, &b)) {
        if (len16_upto2(s + a, b - a) < 2) continue;
        strip_compat(s, &a, &b);
        add_tok(sc, a, b);
    }
}

/* Hark's tokens (NLP_RULE_TOKENS): a chunk that is a lexicon entry as a whole
 * (an emoticon such as ":-)") stays whole; otherwise emoji become tokens of
 * their own, the chunk is split at , ; ! ? / and quotes, and every piece loses
 * the punctuation and HTML entities at its edges. */
static int splits(uint32_t cp) {
    return cp == ',' || cp == ';' || cp == '!' || cp == '?' || cp == '"' || cp == '(' || cp == ')' || cp == '[' ||
           cp == ']' || cp == '{' || cp == '}' || cp == '/' || cp == '|' || cp == '*' || cp == 0x2026 || cp == 0x201C ||
           cp == 0x201D || cp == 0x2014 || cp == 0x2013;
}

static void add_piece(scorer *sc, uint32_t a, uint32_t b) {
    const unsigned char *s = sc->s;
    for (;;) { /* leading punctuation and entities */
        if (a >= b) return;
        uint32_t cp;
        int apos;
        size_t k = entity_at(s + a, b - a, &apos);
        if (!k) {
            k = decode(s + a, b - a, &cp);
            if (!(cp < 0x80 ? is_punct(cp) : is_upunct(cp))) break;
        }
        a += (uint32_t)k;
    }
    for (;;) { /* trailing ones */
        uint32_t j = b - 1;
        if (s[j] == ';') { /* an entity ends here? */
            uint32_t st = j > a + 8 ? j - 8 : a;
            int apos, found = 0;
            for (uint32_t x = st; x < j; x++)
                if (s[x] == '&' && entity_at(s + x, b - x, &apos) == b - x) {
                    b = x;
                    found = 1;
                    break;
                }
            if (found) {
                if (a >= b) return;
                continue;
            }
        }
        while (j > a && (s[j] & 0xC0) == 0x80) j--;
        uint32_t cp;
        decode(s + j, b - j, &cp);
        if (!(cp < 0x80 ? is_punct(cp) : is_upunct(cp))) break;
        b = j;
        if (a >= b) return;
    }
    if (len16_upto2(s + a, b - a) < 2) return;
    add_tok(sc, a, b);
}

static int is_url(const unsigned char *s, size_t n) {
    return (n > 7 && !memcmp(s, "http://", 7)) || (n > 8 && !memcmp(s, "https://", 8)) ||
           (n > 4 && !memcmp(s, "www.", 4));
}

static void tokenize_hark(scorer *sc, size_t len) {
    const unsigned char *s = sc->s;
    size_t i = 0;
    uint32_t a, b;
    while (next_chunk(s, len, &i, &a, &b)) {
        /* A chunk that the lexicon knows as it is (":-)", "<3") stays whole. */
        if (b - a <= NLP_LEX_WORD_MAX) {
            char low[NLP_LEX_WORD_MAX];
            for (uint32_t x = a; x < b; x++) low[x - a] = (char)(s[x] >= 'A' && s[x] <= 'Z' ? s[x] + 32 : s[x]);
            if (nlp_lexicon_find(low, b - a)) {
                add_tok(sc, a, b);
                continue;
            }
        }
        if (is_url(s + a, b - a)) continue;
        uint32_t p = a, cp;
        size_t ent, k;
        int apos;
        for (uint32_t x = a; x < b;) {
            k = decode(s + x, b - x, &cp);
            if (is_emoji(cp) || is_emoji_part(cp)) {
                add_piece(sc, p, x);
                uint32_t e = x + (uint32_t)k;
                /* Modifiers and joined parts stay with the emoji but are not part of the token. */
                while (e < b) {
                    uint32_t c2;
                    size_t k2 = decode(s + e, b - e, &c2);
                    if (!is_emoji_part(c2)) break;
                    e += (uint32_t)k2;
                }
                if (is_emoji(cp)) add_tok(sc, x, x + (uint32_t)k);
                x = p = e;
            } else if (cp == '&' && (ent = entity_at(s + x, b - x, &apos)) > 0) {
                if (!apos) { /* "you&amp;me": punctuation between two pieces */
                    add_piece(sc, p, x);
                    p = x + (uint32_t)ent;
                }
                x += (uint32_t)ent;
            } else if (splits(cp) || (cp == '.' && x + 1 < b && s[x + 1] == '.')) {
                add_piece(sc, p, x);
                x += (uint32_t)k;
                p = x;
            } else {
                x += (uint32_t)k;
            }
        }
        add_piece(sc, p, b);
    }
}

/* ---- lexicon ---- */

/* "goooood": letters repeated three times or more, looked up as two and as one. */
static const nlp_lex_entry *find_elongated(const char *w, size_t n) {
    char two[NLP_LEX_WORD_MAX], one[NLP_LEX_WORD_MAX];
    size_t n2 = 0, n1 = 0, run = 0;
    int elongated = 0;
    if (n > 3 * NLP_LEX_WORD_MAX) return NULL;
    for (size_t i = 0; i < n; i++) {
        run = i > 0 && w[i] == w[i - 1] ? run + 1 : 1;
        if (run == 3 && w[i] >= 'a' && w[i] <= 'z') elongated = 1;
        if (run <= 2) {
            if (n2 == sizeof two) return NULL;
            two[n2++] = w[i];
        }
        if (run == 1) {
            if (n1 == sizeof one) return NULL;
            one[n1++] = w[i];
        }
    }
    if (!elongated) return NULL;
    const nlp_lex_entry *e = nlp_lexicon_find(two, n2);
    return e ? e : nlp_lexicon_find(one, n1);
}

/* "over-worked": a hyphenated word the lexicon lacks, looked up without its hyphens. */
static const nlp_lex_entry *find_unhyphenated(const char *w, size_t n) {
    char joined[NLP_LEX_WORD_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '-') continue;
        if (k == sizeof joined) return NULL;
        joined[k++] = w[i];
    }
    return nlp_lexicon_find(joined, k);
}

static void classify(scorer *sc) {
    unsigned r = sc->rules;
    for (size_t i = 0; i < sc->n; i++) {
        tok *t = &sc->t[i];
        if (!t->e && (r & NLP_RULE_TOKENS) && memchr(sc->low + t->loff, '-', t->llen))
            t->e = find_unhyphenated(sc->low + t->loff, t->llen);
        if (!t->e && (r & NLP_RULE_ELONGATED) && t->llen >= 3) t->e = find_elongated(sc->low + t->loff, t->llen);
        const nlp_lex_entry *e = t->e;
        if (!e) continue;
        if ((r & NLP_RULE_SUPPLEMENT) && (e->flags & NLP_LEX_SUPP)) {
            t->lex = t->inlex = 1;
            t->valence = e->supp;
        } else if (e->flags & NLP_LEX_BASE) {
            t->lex = t->inlex = 1;
            t->valence = e->base;
        }
    }
}

/* Compares token I with the lower-case WORD (LEN bytes). Under the reference
 * rules the comparison is case-sensitive, as the reference's is. */
static int word_is(const scorer *sc, size_t i, const char *word, size_t len, int any_case) {
    const tok *t = &sc->t[i];
    if (t->llen != len || memcmp(sc->low + t->loff, word, len) != 0) return 0;
    return any_case || (sc->rules & NLP_RULE_CASE) || !t->has_upper;
}
#define IS(sc, i, lit)     word_is(sc, i, lit, sizeof lit - 1, 0)
#define IS_ANY(sc, i, lit) word_is(sc, i, lit, sizeof lit - 1, 1)

static int is_booster(const scorer *sc, size_t i) {
    const nlp_lex_entry *e = sc->t[i].e;
    if (sc->t[i].pretty) return 1;
    if (!e) return 0;
    unsigned mask = NLP_LEX_INCR | NLP_LEX_DECR;
    if (sc->rules & NLP_RULE_SUPPLEMENT) mask |= NLP_LEX_INCR_X | NLP_LEX_DECR_X;
    return (e->flags & mask) != 0;
}

static int negated(const scorer *sc, size_t i) {
    const tok *t = &sc->t[i];
    int any_case = (sc->rules & NLP_RULE_CASE) != 0;
    unsigned mask = NLP_LEX_NEGATE | ((sc->rules & NLP_RULE_SUPPLEMENT) ? NLP_LEX_NEGATE_X : 0);
    if (t->e && (t->e->flags & mask) && (any_case || !t->has_upper)) return 1;
    /* "n't" anywhere in the word; the reference looks at the word as written. */
    const char *w = any_case ? sc->low + t->loff : (const char *)sc->s + t->off;
    size_t n = any_case ? t->llen : t->len;
    for (size_t k = 0; k + 3 <= n; k++)
        if (w[k] == 'n' && w[k + 1] == '\'' && w[k + 2] == 't') return 1;
    return 0;
}

/* Is tokens [START, START+COUNT) a phrase of KIND? */
static const nlp_lex_phrase *phrase_at(const scorer *sc, size_t start, size_t count, int kind) {
    const nlp_lex_entry *head = sc->t[start].e;
    if (!head || !(head->flags & NLP_LEX_PHRASE)) return NULL;
    for (size_t p = 0; p < nlp_lex_nphrases; p++) {
        const nlp_lex_phrase *ph = &nlp_lex_phrases[p];
        if (ph->n != count || (ph->kind & 0x7F) != kind) continue;
        if ((ph->kind & NLP_PHRASE_X) && !(sc->rules & NLP_RULE_SUPPLEMENT)) continue;
        size_t k = 0;
        while (k < count && word_is(sc, start + k, ph->words[k], ph->lens[k], 0)) k++;
        if (k == count) return ph;
    }
    return NULL;
}

static int idiom(const scorer *sc, size_t start, size_t count, double *v) {
    const nlp_lex_phrase *ph = phrase_at(sc, start, count, NLP_PHRASE_IDIOM);
    if (!ph && (sc->rules & NLP_RULE_SUPPLEMENT)) ph = phrase_at(sc, start, count, NLP_PHRASE_IDIOM_X);
    if (ph) *v = ph->value;
    return ph != NULL;
}

/* The supplement's phrases ("burned out"): the last word takes the phrase's
 * valence and looks for its modifiers before the first word. */
static void mark_phrases(scorer *sc) {
    for (size_t i = 0; i + 1 < sc->n; i++) {
        const nlp_lex_entry *e = sc->t[i].e;
        if (!e || !(e->flags & NLP_LEX_PHRASE)) continue;
        for (size_t p = 0; p < nlp_lex_nphrases; p++) {
            const nlp_lex_phrase *ph = &nlp_lex_phrases[p];
            if ((ph->kind & 0x7F) != NLP_PHRASE_SUPP || i + ph->n > sc->n) continue;
            size_t k = 0;
            while (k < ph->n && word_is(sc, i + k, ph->words[k], ph->lens[k], 1)) k++;
            if (k < ph->n) continue;
            for (k = 0; k < ph->n; k++) {
                tok *t = &sc->t[i + k];
                t->lex = 0;
                t->inlex = 1;
                t->ctx = (int32_t)i;
            }
            tok *last = &sc->t[i + ph->n - 1];
            last->lex = 1;
            last->valence = ph->value;
            i += ph->n - 1;
            break;
        }
    }
}

static int is_break(unsigned char c) {
    return c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == ',' || c == '\n';
}

/* NLP_RULE_CLAUSE: finds where each token's clause starts. A break is one of
 * . ! ? ; : , or a line break between two tokens or ending the token before,
 * where negation scope ends in most accounts of English negation. */
static void mark_clauses(scorer *sc) {
    int32_t start = 0;
    for (size_t i = 1; i < sc->n; i++) {
        const tok *p = &sc->t[i - 1];
        int brk = 0;
        for (uint32_t x = p->off + p->len - 1; x < sc->t[i].off && !brk; x++) brk = is_break(sc->s[x]);
        if (brk || IS_ANY(sc, i - 1, "but")) start = (int32_t)i;
        sc->t[i].clause = start;
    }
}

/* NLP_RULE_SENSES: "like" is a sentiment only as a verb, after a subject, an
 * auxiliary or an adverb ("I like", "don't like", "to like", "really like"),
 * not in "feels like", "more like a" or "like a robot"; "pretty" before a
 * sentiment word is an adverb ("pretty bad"), not the adjective. */
static const char *const like_subjects[] = {
    "i",       "we",      "you",        "they",      "who",       "people",     "everyone", "everybody",
    "to",      "really",  "do",         "don't",     "dont",      "didn't",     "didnt",    "does",
    "doesn't", "doesnt",  "did",        "would",     "wouldn't",  "i'd",        "we'd",     "you'd",
    "they'd",  "will",    "i'll",       "might",     "may",       "could",      "should",   "can",
    "can't",   "cant",    "must",       "actually",  "genuinely", "definitely", "still",    "truly",
    "also",    "totally", "absolutely", "kinda",     "sorta",     "just",       "not",      "never",
    "always",  "usually", "often",      "sometimes", "he",        "she",        NULL};

static int is_in(const scorer *sc, size_t i, const char *const *list) {
    for (; *list; list++)
        if (word_is(sc, i, *list, strlen(*list), 1)) return 1;
    return 0;
}

/* Is the word before OFFSET a lone "I" (a token too short to be kept)? */
static int after_i(const scorer *sc, uint32_t off) {
    uint32_t x = off;
    while (x > 0 && (sc->s[x - 1] == ' ' || sc->s[x - 1] == '\t')) x--;
    return x > 0 && x < off && (sc->s[x - 1] == 'I' || sc->s[x - 1] == 'i') &&
           (x == 1 || sc->s[x - 2] == ' ' || sc->s[x - 2] == '\t' || is_punct(sc->s[x - 2]));
}

static void word_senses(scorer *sc) {
    for (size_t i = 0; i < sc->n; i++) {
        tok *t = &sc->t[i];
        if (!t->lex) continue;
        if (IS_ANY(sc, i, "like")) {
            int verb = i > 0 && sc->t[i].clause <= (int32_t)i - 1 && is_in(sc, i - 1, like_subjects);
            if (!verb && after_i(sc, t->off)) verb = 1;
            if (!verb) t->lex = 0;
        } else if (IS_ANY(sc, i, "pretty") && i + 1 < sc->n && sc->t[i + 1].lex) {
            t->lex = t->inlex = 0;
            t->pretty = 1;
        }
    }
}

/* ---- the rules ---- */

static double scalar_inc_dec(const scorer *sc, size_t i, double valence, int cap_diff) {
    if (!is_booster(sc, i)) return 0;
    const nlp_lex_entry *e = sc->t[i].e;
    double s = sc->t[i].pretty || (e->flags & (NLP_LEX_INCR | NLP_LEX_INCR_X)) ? B_INCR : B_DECR;
    if (valence < 0) s = -s;
    if (cap_diff && sc->t[i].upper) s += valence > 0 ? C_INCR : -C_INCR;
    return s;
}

static int so_or_this(const scorer *sc, size_t i) {
    return IS(sc, i, "so") || IS(sc, i, "this");
}

static double never_check(const scorer *sc, double v, int start_i, size_t idx) {
    if (start_i == 0) {
        if (negated(sc, idx - 1)) v *= N_SCALAR;
    } else if (start_i == 1) {
        if (IS(sc, idx - 2, "never") && so_or_this(sc, idx - 1))
            v *= 1.5;
        else if (negated(sc, idx - 2))
            v *= N_SCALAR;
    } else {
        if ((IS(sc, idx - 3, "never") && so_or_this(sc, idx - 2)) || so_or_this(sc, idx - 1))
            v *= 1.25;
        else if (negated(sc, idx - 3))
            v *= N_SCALAR;
    }
    return v;
}

static double idioms_check(const scorer *sc, double v, size_t i) {
    /* In the reference's order: the first match of the sequences ending at or
     * before the word wins, then those starting at it override. */
    if (!idiom(sc, i - 1, 2, &v) && !idiom(sc, i - 2, 3, &v) && !idiom(sc, i - 2, 2, &v) && !idiom(sc, i - 3, 3, &v))
        idiom(sc, i - 3, 2, &v);
    if (sc->n - 1 > i) idiom(sc, i, 2, &v);
    if (sc->n - 1 > i + 1) idiom(sc, i, 3, &v);
    if (sc->rules & NLP_RULE_DAMPEN) return v; /* two_word_modifier() does it instead */
    if (phrase_at(sc, i - 3, 2, NLP_PHRASE_DECR) || phrase_at(sc, i - 2, 2, NLP_PHRASE_DECR) ||
        phrase_at(sc, i - 3, 2, NLP_PHRASE_INCR) || phrase_at(sc, i - 2, 2, NLP_PHRASE_INCR))
        v += B_DECR; /* the reference adds the dampener step for any two-word booster */
    return v;
}

/* NLP_RULE_DAMPEN: "kind of" and "sort of" right before the word (or one
 * word earlier) move its valence towards zero whatever its sign and
 * position; the reference adds -0.293 (more negative for a negative word),
 * and only when three words precede the sentiment word. */
static double two_word_modifier(const scorer *sc, double v, size_t i) {
    for (size_t back = 2; back <= 3 && back <= i; back++) {
        if ((int32_t)(i - back) < sc->t[i].clause) break;
        int decr = phrase_at(sc, i - back, 2, NLP_PHRASE_DECR) != NULL;
        if (!decr && !phrase_at(sc, i - back, 2, NLP_PHRASE_INCR)) continue;
        double s = decr ? B_DECR : B_INCR;
        if (back == 3) s *= 0.95;
        return v + (v < 0 ? -s : s);
    }
    return v;
}

static double least_check(const scorer *sc, double v, size_t i) {
    if (i > 1 && IS_ANY(sc, i - 1, "least") && !sc->t[i - 1].inlex) {
        if (!IS_ANY(sc, i - 2, "at") && !IS_ANY(sc, i - 2, "very")) v *= N_SCALAR;
    } else if (i > 0 && IS_ANY(sc, i - 1, "least") && !sc->t[i - 1].inlex) {
        v *= N_SCALAR;
    }
    return v;
}

/* "no" (NLP_RULE_NO): "no problems" negates "problems"; "no" itself counts
 * only when no sentiment word follows it. */
static int no_negates(const scorer *sc, size_t i) {
    return (i > 0 && IS_ANY(sc, i - 1, "no")) || (i > 1 && IS_ANY(sc, i - 2, "no")) ||
           (i > 2 && IS_ANY(sc, i - 3, "no") && (IS_ANY(sc, i - 1, "or") || IS_ANY(sc, i - 1, "nor")));
}

static double sentiment_valence(const scorer *sc, size_t i, int cap_diff) {
    const tok *t = &sc->t[i];
    if (!t->lex) return 0;
    double v = t->valence;
    if (sc->rules & NLP_RULE_NO) {
        if (IS_ANY(sc, i, "no") && i + 1 < sc->n && sc->t[i + 1].lex) return 0;
        if (no_negates(sc, t->ctx)) v *= N_SCALAR;
    }
    if (t->upper && cap_diff) v += v > 0 ? C_INCR : -C_INCR;
    size_t idx = (size_t)t->ctx;
    for (int start_i = 0; start_i < 3; start_i++) {
        if (idx > (size_t)start_i && (int32_t)(idx - start_i - 1) >= sc->t[idx].clause &&
            !sc->t[idx - start_i - 1].inlex) {
            double s = scalar_inc_dec(sc, idx - start_i - 1, v, cap_diff);
            if (start_i == 1 && s != 0) s *= 0.95;
            if (start_i == 2 && s != 0) s *= 0.9;
            v += s;
            v = never_check(sc, v, start_i, idx);
            if (start_i == 2) v = idioms_check(sc, v, idx);
        }
    }
    if (sc->rules & NLP_RULE_DAMPEN) v = two_word_modifier(sc, v, idx);
    return least_check(sc, v, idx);
}

static double normalize(double score) {
    double n = score / sqrt(score * score + NORM_ALPHA);
    return n < -1 ? -1 : n > 1 ? 1 : n;
}

static void score_tokens(scorer *sc, size_t len, nlp_sentiment *out) {
    size_t n = sc->n, ncaps = 0, but = SIZE_MAX;
    for (size_t i = 0; i < n; i++) ncaps += sc->t[i].upper;
    int cap_diff = ncaps > 0 && ncaps < n;
    if (sc->rules & NLP_RULE_CASE) {
        for (size_t i = 0; i < n && but == SIZE_MAX; i++)
            if (IS_ANY(sc, i, "but")) but = i;
    } else {
        for (size_t i = 0; i < n && but == SIZE_MAX; i++)
            if (IS(sc, i, "but")) but = i;
        for (size_t i = 0; i < n && but == SIZE_MAX; i++)
            if (sc->t[i].len == 3 && memcmp(sc->s + sc->t[i].off, "BUT", 3) == 0) but = i;
    }

    double sum = 0, pos_sum = 0, neg_sum = 0;
    size_t neu = 0;
    for (size_t i = 0; i < n; i++) {
        double v = 0;
        int skip = (i + 1 < n && IS_ANY(sc, i, "kind") && IS_ANY(sc, i + 1, "of")) || is_booster(sc, i);
        if (!skip) v = sentiment_valence(sc, i, cap_diff);
        if (but != SIZE_MAX) {
            if (i < but) v *= 0.5;
            if (i > but) v *= 1.5;
        }
        sum += v;
        if (v > 0)
            pos_sum += v + 1; /* each sentiment word also counts as a word */
        else if (v < 0)
            neg_sum += v - 1;
        else
            neu++;
    }

    size_t ep = 0, qm = 0;
    for (size_t i = 0; i < len; i++) {
        ep += sc->s[i] == '!';
        qm += sc->s[i] == '?';
    }
    double amp = (double)(ep > 4 ? 4 : ep) * EP_STEP;
    if (qm > 1) amp += qm <= 3 ? (double)qm * QM_STEP : QM_MAX;
    if (sum > 0)
        sum += amp;
    else if (sum < 0)
        sum -= amp;
    out->compound = normalize(sum);
    if (pos_sum > fabs(neg_sum))
        pos_sum += amp;
    else if (pos_sum < fabs(neg_sum))
        neg_sum -= amp;
    double total = pos_sum + fabs(neg_sum) + (double)neu;
    out->pos = fabs(pos_sum / total);
    out->neg = fabs(neg_sum / total);
    out->neu = fabs((double)neu / total);
}

void nlp_sentiment_score_rules(const char *text, size_t len, unsigned rules, nlp_sentiment *out) {
    out->compound = out->pos = out->neg = 0;
    out->neu = rules == NLP_RULES_COMPAT ? 0 : 1;
    if (!text || len == 0) return;
    if (len > NLP_MAX_TEXT) {
        len = NLP_MAX_TEXT;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--; /* do not cut a character */
    }
    /* A token takes at least two bytes and one separator, or four bytes for an
     * emoji, so len / 2 + 1 tokens always suffice; folding never lengthens. */
    tok small_t[NLP_SMALL_TEXT / 2 + 1];
    char small_low[NLP_SMALL_TEXT];
    scorer sc = {.s = (const unsigned char *)text, .rules = rules, .cap = len / 2 + 1};
    void *block = NULL;
    if (len <= NLP_SMALL_TEXT) {
        sc.t = small_t;
        sc.low = small_low;
    } else {
        block = malloc(sc.cap * sizeof(tok) + len);
        if (!block) return; /* scored as neutral rather than not at all */
        sc.t = block;
        sc.low = (char *)(sc.t + sc.cap);
    }
    if (rules & NLP_RULE_TOKENS)
        tokenize_hark(&sc, len);
    else
        tokenize_compat(&sc, len);
    if (sc.n > 0) {
        classify(&sc);
        if (rules & NLP_RULE_CLAUSE) mark_clauses(&sc);
        if (rules & NLP_RULE_SUPPLEMENT) mark_phrases(&sc);
        if (rules & NLP_RULE_SENSES) word_senses(&sc);
        score_tokens(&sc, len, out);
    }
    free(block);
}

void nlp_sentiment_score(const char *text, size_t len, nlp_sentiment *out) {
    nlp_sentiment_score_rules(text, len, NLP_RULES_DEFAULT, out);
}
