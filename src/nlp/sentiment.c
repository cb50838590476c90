/* Sentiment scoring (sentiment.h): a lexicon scorer that follows VADER's rules
 * (Hutto & Gilbert, 2014) over Hark's own lexicon (lexicon.c). It tokenizes
 * UTF-8 text in place, looks each token up, adjusts its valence for boosters,
 * dampeners, negation, capitals, "but" and exclamation marks, and sums. It
 * does not detect red flags or themes, and it allocates nothing: tokens are
 * copied into fixed buffers on the stack and scored in one streaming pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "nlp/lexicon.h"
#include "nlp/sentiment.h"

/* VADER's empirically derived constants. */
#define B_INCR       0.293    /* booster step */
#define B_DECR       (-0.293) /* dampener step */
#define C_INCR       0.733    /* ALL-CAPS emphasis when the rest of the text is not shouting */
#define N_SCALAR     (-0.74)  /* negation */
#define EXCLAIM_STEP 0.292
#define NORM_ALPHA   15.0

/* How many preceding tokens a modifier reaches (VADER looks back three). */
#define LOOKBACK 3

typedef struct token {
    char low[NLP_LEX_WORD_MAX + 1]; /* lower-case ASCII, U+2019 folded to '; NUL-terminated */
    size_t len;                     /* bytes in low; 0 when the token was too long to look up */
    int is_word;                    /* letters/digits, as opposed to emoji or emoticon */
    int all_caps;                   /* at least two ASCII letters, none lower-case */
    int after_break;                /* a clause break (, . ; : ! ? newline) came before it */
    int kind;                       /* enum nlp_lex_kind, or 0 */
    double valence;                 /* the token's own valence before any rule */
} token;

static int is_space(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_break(unsigned char c) {
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n';
}

static int is_ascii_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_emoji(uint32_t cp) {
    if (cp >= 0x1F3FB && cp <= 0x1F3FF) return 0; /* skin-tone modifiers belong to the emoji before */
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2300 && cp <= 0x23FF) || (cp >= 0x2600 && cp <= 0x27BF) ||
           (cp >= 0x2B00 && cp <= 0x2BFF);
}

/* Non-ASCII code points count as letters unless they are punctuation, spaces,
 * symbols, emoji or formatting characters; that keeps "café", "Müller" and
 * "東京" whole without a Unicode property table. */
static int is_letter_cp(uint32_t cp) {
    if (cp < 0x80) return is_ascii_word((unsigned char)cp);
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return 0;
    if (cp >= 0x2000 && cp <= 0x2BFF) return 0;
    if (cp >= 0x3000 && cp <= 0x303F) return 0;
    if (cp >= 0xFE00 && cp <= 0xFE0F) return 0;
    if (cp >= 0xFF00 && cp <= 0xFF20) return 0;
    if (cp == 0xFEFF || cp == 0xFFFD) return 0;
    if (cp >= 0x1F000 && cp <= 0x1FAFF) return 0;
    if (cp >= 0xE0000 && cp <= 0xE007F) return 0;
    return 1;
}

/* Decodes one code point; an invalid byte decodes as U+FFFD (a separator) of length 1. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp) {
    size_t n = utf8_decode(s, len, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

static void classify(token *t) {
    t->kind = 0;
    t->valence = 0;
    if (t->len == 0) return;
    const nlp_lex_entry *e = nlp_lexicon_find(t->low, t->len);
    if (!e && memchr(t->low, '-', t->len)) {
        /* "over-worked", "micro-managed": try the word without hyphens. */
        char joined[NLP_LEX_WORD_MAX + 1];
        size_t n = 0;
        for (size_t i = 0; i < t->len; i++)
            if (t->low[i] != '-') joined[n++] = t->low[i];
        e = nlp_lexicon_find(joined, n);
    }
    if (e) {
        t->kind = e->kind;
        t->valence = e->valence;
    } else if (t->len > 3 && memcmp(t->low + t->len - 3, "n't", 3) == 0) {
        t->kind = NLP_LEX_NEGATE;
    }
}

/* Scans a word starting at S[*POS] into T. */
static void scan_word(const unsigned char *s, size_t len, size_t *pos, token *t) {
    size_t i = *pos, n = 0;
    int upper = 0, lower = 0, too_long = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = decode(s + i, len - i, &cp);
        int joiner = cp == '\'' || cp == 0x2019 || cp == '-';
        if (joiner) {
            /* An apostrophe or hyphen stays inside a word only between word characters. */
            uint32_t next = 0;
            if (i + k < len) decode(s + i + k, len - i - k, &next);
            if (!is_letter_cp(next)) break;
        } else if (!is_letter_cp(cp)) {
            break;
        }
        if (cp >= 'A' && cp <= 'Z') upper++;
        if (cp >= 'a' && cp <= 'z') lower++;
        if (n + (cp == 0x2019 ? 1 : k) > NLP_LEX_WORD_MAX) too_long = 1;
        if (!too_long) {
            if (cp == 0x2019) {
                t->low[n++] = '\'';
            } else if (cp >= 'A' && cp <= 'Z') {
                t->low[n++] = (char)(cp - 'A' + 'a');
            } else {
                memcpy(t->low + n, s + i, k);
                n += k;
            }
        }
        i += k;
    }
    t->len = too_long ? 0 : n;
    t->low[t->len] = '\0';
    t->is_word = 1;
    t->all_caps = upper >= 2 && lower == 0;
    *pos = i;
    classify(t);
}

/* Produces the next token of S from *POS on. Returns 1 with T filled, or 0 at the end. */
static int next_token(const unsigned char *s, size_t len, size_t *pos, token *t) {
    int brk = 0;
    size_t i = *pos;
    while (i < len) {
        unsigned char c = s[i];
        if (c == ':' || c == ';' || c == '=' || c == '<' || c == '>' || c == '^') {
            double v;
            size_t n = nlp_emoticon_match((const char *)s + i, len - i, &v);
            /* An emoticon must end the chunk, so "http://" and "10:30" are not faces. */
            if (n && (i + n == len || is_space(s[i + n]) || strchr(".,!?", s[i + n]))) {
                memset(t, 0, sizeof *t);
                t->after_break = brk;
                t->kind = NLP_LEX_WORD;
                t->valence = v;
                *pos = i + n;
                return 1;
            }
        }
        uint32_t cp;
        size_t k = decode(s + i, len - i, &cp);
        if (is_letter_cp(cp)) {
            *pos = i;
            scan_word(s, len, pos, t);
            t->after_break = brk;
            return 1;
        }
        if (is_emoji(cp)) {
            double v = 0;
            memset(t, 0, sizeof *t);
            t->after_break = brk;
            if (nlp_emoji_valence(cp, &v)) t->kind = NLP_LEX_WORD;
            t->valence = v;
            *pos = i + k;
            return 1;
        }
        if (cp < 0x80 && is_break((unsigned char)cp)) brk = 1;
        i += k;
    }
    *pos = i;
    return 0;
}

static int tok_is(const token *t, const char *w) {
    return t->len == strlen(w) && memcmp(t->low, w, t->len) == 0;
}

static int tok_in(const token *t, const char *const *list) {
    for (; *list; list++)
        if (tok_is(t, *list)) return 1;
    return 0;
}

static int is_contrast(const token *t) {
    return tok_is(t, "but") || tok_is(t, "however");
}

/* "like" is a sentiment only as a verb after a subject or an adverb ("I like my
 * team"), not in "feels like" or "like a robot". */
static const char *const like_subjects[] = {
    "i",     "we",      "you",    "they",    "really", "do",         "don't",    "dont",      "didn't",
    "didnt", "doesn't", "doesnt", "would",   "i'd",    "we'd",       "actually", "genuinely", "definitely",
    "still", "truly",   "also",   "totally", "so",     "absolutely", NULL};

/* Two-word phrases whose first word carries no sentiment alone ("burned out").
 * The phrase's valence is given to its second word. */
typedef struct phrase {
    const char *first, *second;
    double valence;
} phrase;

static const phrase phrases[] = {
    {"burned", "out", -2.6},  {"burnt", "out", -2.6},      {"worn", "out", -2.1},
    {"fed", "up", -1.9},      {"left", "out", -1.8},       {"freaked", "out", -1.9},
    {"checked", "out", -1.4}, {"stretched", "thin", -1.8}, {"cheered", "up", 1.6},
};

/* The tokens before the current one, nearest first, reset at clause breaks. */
typedef struct history {
    token t[LOOKBACK];
    int damp_of[LOOKBACK]; /* the "of" of "kind of" / "sort of" acts as a dampener */
    int n;
} history;

static void history_push(history *h, const token *t, int damp_of) {
    for (int j = LOOKBACK - 1; j > 0; j--) {
        h->t[j] = h->t[j - 1];
        h->damp_of[j] = h->damp_of[j - 1];
    }
    h->t[0] = *t;
    h->damp_of[0] = damp_of;
    if (h->n < LOOKBACK) h->n++;
}

/* Applies the modifiers in H to V, the valence of a sentiment token. */
static double modify(double v, const token *cur, const history *h, int cap_diff) {
    if (cap_diff && cur->all_caps) v += v > 0 ? C_INCR : -C_INCR;
    for (int j = 0; j < h->n; j++) {
        const token *p = &h->t[j];
        /* As in VADER, a sentiment word in between is neither booster nor negation. */
        if (p->kind == NLP_LEX_WORD && p->valence != 0) continue;
        double s = 0;
        if (p->kind == NLP_LEX_BOOST) s = B_INCR;
        if (p->kind == NLP_LEX_DAMP || h->damp_of[j]) s = B_DECR;
        if (s != 0) {
            if (v < 0) s = -s;
            if (cap_diff && p->all_caps) s += s > 0 ? C_INCR : -C_INCR;
            if (j == 1) s *= 0.95;
            if (j == 2) s *= 0.9;
            v += s;
        }
        if (p->kind == NLP_LEX_NEGATE) {
            int so_this = 0, doubt = 0;
            for (int k = 0; k < j; k++) {
                so_this |= tok_is(&h->t[k], "so") || tok_is(&h->t[k], "this");
                doubt |= tok_is(&h->t[k], "doubt");
            }
            if (tok_is(p, "never") && so_this)
                v *= 1.25; /* "never so happy" intensifies */
            else if (!(tok_is(p, "without") && doubt))
                v *= N_SCALAR;
        }
    }
    /* "least happy" flips; "at least" and "very least" do not. */
    if (h->n >= 1 && tok_is(&h->t[0], "least") && !(h->n >= 2 && (tok_is(&h->t[1], "at") || tok_is(&h->t[1], "very"))))
        v *= N_SCALAR;
    return v;
}

/* Sentiment totals of one side of a "but". */
typedef struct region {
    double sum, pos, neg; /* pos and neg: sums of the positive / negative valences */
    int npos, nneg, nneu;
} region;

static void region_add(region *r, double v) {
    r->sum += v;
    if (v > 0) {
        r->pos += v;
        r->npos++;
    } else if (v < 0) {
        r->neg += v;
        r->nneg++;
    } else {
        r->nneu++;
    }
}

static void set_neutral(nlp_sentiment *out) {
    out->compound = 0;
    out->pos = out->neg = 0;
    out->neu = 1;
}

void nlp_sentiment_score(const char *text, size_t len, nlp_sentiment *out) {
    set_neutral(out);
    if (!text || len == 0) return;
    const unsigned char *s = (const unsigned char *)text;
    if (len > NLP_MAX_TEXT) {
        len = NLP_MAX_TEXT;
        while (len > 0 && (s[len] & 0xC0) == 0x80) len--; /* do not cut a character in two */
    }

    /* First pass: capitals stress a word only when the text is not all capitals. */
    size_t pos = 0, ntok = 0, ncaps = 0, nexcl = 0, nquest = 0;
    token t;
    while (next_token(s, len, &pos, &t)) {
        ntok++;
        ncaps += (size_t)t.all_caps;
    }
    if (ntok == 0) return;
    int cap_diff = ncaps > 0 && ncaps < ntok;
    for (size_t i = 0; i < len; i++) {
        nexcl += s[i] == '!';
        nquest += s[i] == '?';
    }

    region r[2];
    memset(r, 0, sizeof r);
    int side = 0; /* 1 after the first "but" */
    history h;
    memset(&h, 0, sizeof h);
    pos = 0;
    while (next_token(s, len, &pos, &t)) {
        if (t.after_break) h.n = 0;
        double v = t.valence;
        if (v != 0 && t.is_word && (tok_is(&t, "kind") || tok_is(&t, "sort"))) {
            size_t peek = pos;
            token nt;
            if (next_token(s, len, &peek, &nt) && !nt.after_break && tok_is(&nt, "of")) v = 0;
        }
        if (v != 0 && tok_is(&t, "like") && !(h.n > 0 && tok_in(&h.t[0], like_subjects))) v = 0;
        const history *mods = &h;
        history shifted;
        if (v == 0 && h.n > 0) {
            for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
                if (tok_is(&t, phrases[i].second) && tok_is(&h.t[0], phrases[i].first)) {
                    /* Modifiers reach the phrase from before its first word. */
                    v = phrases[i].valence;
                    shifted = h;
                    shifted.n--;
                    memmove(shifted.t, shifted.t + 1, sizeof shifted.t[0] * (LOOKBACK - 1));
                    memmove(shifted.damp_of, shifted.damp_of + 1, sizeof shifted.damp_of[0] * (LOOKBACK - 1));
                    mods = &shifted;
                    break;
                }
            }
        }
        if (v != 0) v = modify(v, &t, mods, cap_diff);
        region_add(&r[side], v);

        int damp_of = tok_is(&t, "of") && h.n > 0 && (tok_is(&h.t[0], "kind") || tok_is(&h.t[0], "sort"));
        if (is_contrast(&t)) {
            side = 1;
            h.n = 0;
        } else {
            history_push(&h, &t, damp_of);
        }
    }

    /* Before the first "but" counts half, after it one and a half. */
    double fa = side ? 0.5 : 1.0, fb = 1.5;
    double sum = fa * r[0].sum + fb * r[1].sum;
    double emph = (double)(nexcl < 4 ? nexcl : 4) * EXCLAIM_STEP;
    if (nquest > 1) emph += nquest <= 3 ? (double)nquest * 0.18 : 0.96;
    if (sum > 0) sum += emph;
    if (sum < 0) sum -= emph;
    double compound = sum / sqrt(sum * sum + NORM_ALPHA);
    if (compound > 1) compound = 1;
    if (compound < -1) compound = -1;

    /* VADER counts each sentiment token as its valence plus one word. */
    double pos_sum = fa * r[0].pos + r[0].npos + fb * r[1].pos + r[1].npos;
    double neg_sum = -(fa * r[0].neg - r[0].nneg + fb * r[1].neg - r[1].nneg);
    double neu = (double)(r[0].nneu + r[1].nneu);
    if (pos_sum > neg_sum) pos_sum += emph;
    if (pos_sum < neg_sum) neg_sum += emph;
    double total = pos_sum + neg_sum + neu;
    out->compound = compound;
    out->pos = pos_sum / total;
    out->neg = neg_sum / total;
    out->neu = neu / total;
}

/* Rounds to the 4 printed decimals without ever printing "-0.0000". */
static double print4(double x) {
    double r = round(x * 10000.0) / 10000.0;
    return r == 0 ? 0.0 : r;
}

static int emit_line(FILE *out, const char *line, size_t len, int too_long) {
    if (too_long) return fprintf(out, "error\tline longer than %d bytes\n", NLP_MAX_TEXT);
    if (!utf8_valid((const unsigned char *)line, len)) return fprintf(out, "error\tinvalid UTF-8\n");
    nlp_sentiment sc;
    nlp_sentiment_score(line, len, &sc);
    /* The last field (red flags) stays empty until the flags module exists. */
    return fprintf(out, "%.4f\t%.4f\t%.4f\t%.4f\t\n", print4(sc.compound), print4(sc.pos), print4(sc.neu),
                   print4(sc.neg));
}

int nlp_sentiment_cli(FILE *in, FILE *out) {
    /* One more byte than the bound so a line of exactly NLP_MAX_TEXT bytes plus a
     * CR still fits; anything beyond is dropped up to the newline. */
    size_t cap = NLP_MAX_TEXT + 1;
    char *line = malloc(cap);
    if (!line) return HARK_ENOMEM;
    int rc = HARK_OK;
    size_t len = 0;
    int too_long = 0, pending = 0;
    flockfile(in);
    for (;;) {
        int c = getc_unlocked(in);
        if (c == EOF || c == '\n') {
            if (c == EOF && !pending) break;
            if (len > 0 && line[len - 1] == '\r') len--;
            if (len > NLP_MAX_TEXT) too_long = 1;
            if (emit_line(out, line, len, too_long) < 0) {
                rc = HARK_EIO;
                goto done;
            }
            len = 0;
            too_long = pending = 0;
            if (c == EOF) break;
            continue;
        }
        pending = 1;
        if (len < cap)
            line[len++] = (char)c;
        else
            too_long = 1;
    }
done:
    funlockfile(in);
    if (rc == HARK_OK && ferror(in)) rc = HARK_EIO;
    if (fflush(out) != 0 && rc == HARK_OK) rc = HARK_EIO;
    free(line);
    return rc;
}
