/* Themes over a set of comments (themes.h): the words and two-word phrases
 * people use most, each with how many comments use it and their mean
 * sentiment. A comment is cut into words (letters and digits, with inner
 * apostrophes and hyphens), stop words and short words are removed, plurals
 * are folded to the singular, and every kept word and every pair of adjacent
 * kept words is counted once per comment in a bounded hash table. It does no
 * sentiment scoring (the caller passes each comment's compound), no stemming
 * beyond plurals and no language detection: the word lists are English.
 *
 * Choices, in the order a comment meets them:
 * - Words: ASCII letters are lower-cased; other letters are kept as they are
 *   ("Équipe" and "équipe" are two terms). Digits belong to words, but a word
 *   needs at least three letters, so "2024", "1st" and "9am" are dropped and
 *   "covid19" is kept. An apostrophe (' or U+2019, stored as ') or a hyphen
 *   stays in a word between two word characters. Hyphenated words are kept
 *   whole ("one-on-one", "well-being", "work-life"): splitting them would turn
 *   "well-being" into two stop words. A word longer than NLP_THEME_TERM_MAX
 *   bytes is skipped. A possessive "'s" is removed ("manager's" -> "manager").
 * - Clauses: a phrase is two kept words with only white space between them.
 *   Any other character (punctuation, symbols, emoji, a line break, an invalid
 *   UTF-8 byte) and any removed word (stop word, short word, number) ends the
 *   chain, so "lack of communication" gives no phrase.
 * - Bounds: text past NLP_MAX_TEXT bytes is ignored, as by the scorer, and a
 *   word cut by that bound is dropped. The table holds at most max_terms
 *   terms and phrases together. When it is full, the entries used by one
 *   comment only are evicted (a phrase typed once is the usual case); when an
 *   eviction frees less than a quarter of the table, the table holds the
 *   common vocabulary and keeps it: from then on new terms are not added.
 *   Counted terms always keep counting. Every use lost either way is counted
 *   in nlp_themes_dropped(), so 0 there means every count is exact. */
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "nlp/sentiment.h"
#include "nlp/themes.h"

#define DEFAULT_MAX_TERMS 100000
/* Above this the 32-bit slot indexes could overflow; far beyond any real use. */
#define LIMIT_MAX_TERMS (1u << 24)
/* A word needs this many letters (digits, apostrophes and hyphens not counted). */
#define MIN_LETTERS 3
/* Longest key: a phrase, two words and a space. */
#define KEY_MAX (2 * NLP_THEME_TERM_MAX + 1)

/* English function words, pronouns, auxiliaries and chat filler, sorted
 * bytewise for binary search (nlp_themes_check verifies it). Words of fewer
 * than MIN_LETTERS letters are dropped anyway and not listed. A plural is
 * looked up again after folding, so "bits" and "kinds" need no entry. */
static const char *const stop_words[] = {
    "able",       "about",     "above",      "across",   "actually",  "after",     "afterwards",   "again",
    "against",    "ago",       "ahead",      "aka",      "all",       "almost",    "alone",        "along",
    "already",    "also",      "although",   "always",   "among",     "amongst",   "and",          "another",
    "any",        "anybody",   "anyhow",     "anyone",   "anything",  "anyway",    "anyways",      "anywhere",
    "are",        "aren't",    "arent",      "around",   "aside",     "away",      "basically",    "because",
    "been",       "before",    "beforehand", "behind",   "being",     "below",     "beside",       "besides",
    "between",    "beyond",    "bit",        "both",     "btw",       "but",       "can",          "can't",
    "cannot",     "cant",      "could",      "couldn't", "couldnt",   "currently", "definitely",   "did",
    "didn't",     "didnt",     "does",       "doesn't",  "doesnt",    "doing",     "don't",        "done",
    "dont",       "down",      "during",     "each",     "either",    "else",      "elsewhere",    "enough",
    "especially", "etc",       "even",       "ever",     "every",     "everybody", "everyone",     "everything",
    "everywhere", "except",    "feel",       "feels",    "felt",      "few",       "for",          "from",
    "further",    "fyi",       "generally",  "get",      "gets",      "getting",   "goes",         "going",
    "gone",       "gonna",     "got",        "gotta",    "gotten",    "guess",     "had",          "hadn't",
    "hadnt",      "has",       "hasn't",     "hasnt",    "have",      "haven't",   "havent",       "having",
    "he'd",       "he'll",     "he's",       "hence",    "her",       "here",      "here's",       "heres",
    "hers",       "herself",   "him",        "himself",  "his",       "honestly",  "how",          "how's",
    "however",    "i'll",      "i've",       "idk",      "imo",       "into",      "isn't",        "isnt",
    "it'd",       "it'll",     "it's",       "its",      "itself",    "ive",       "just",         "kind",
    "kinda",      "knew",      "know",       "knows",    "lately",    "least",     "less",         "let",
    "let's",      "lets",      "like",       "likely",   "literally", "little",    "lol",          "lot",
    "lots",       "made",      "make",       "makes",    "making",    "many",      "may",          "maybe",
    "mean",       "might",     "mine",       "more",     "most",      "mostly",    "much",         "must",
    "mustn't",    "myself",    "near",       "nearly",   "neither",   "never",     "nevertheless", "next",
    "nobody",     "none",      "noone",      "nope",     "nor",       "not",       "nothing",      "now",
    "nowhere",    "off",       "often",      "okay",     "omg",       "once",      "one",          "ones",
    "only",       "onto",      "other",      "others",   "otherwise", "ought",     "our",          "ours",
    "ourselves",  "out",       "over",       "overall",  "own",       "per",       "perhaps",      "please",
    "pretty",     "probably",  "quite",      "rather",   "really",    "recently",  "said",         "same",
    "say",        "saying",    "says",       "seem",     "seemed",    "seeming",   "seems",        "she",
    "she'd",      "she'll",    "she's",      "should",   "shouldn't", "shouldnt",  "simply",       "since",
    "some",       "somebody",  "somehow",    "someone",  "something", "sometime",  "sometimes",    "somewhat",
    "somewhere",  "sort",      "sorta",      "still",    "stuff",     "such",      "sure",         "tbh",
    "than",       "thank",     "thanks",     "that",     "that's",    "thats",     "the",          "their",
    "theirs",     "them",      "themselves", "then",     "thence",    "there",     "there's",      "thereafter",
    "thereby",    "therefore", "theres",     "these",    "they",      "they'd",    "they'll",      "they're",
    "they've",    "theyre",    "thing",      "things",   "think",     "thinks",    "this",         "those",
    "though",     "through",   "throughout", "thru",     "thus",      "today",     "together",     "too",
    "totally",    "toward",    "towards",    "truly",    "under",     "unless",    "until",        "upon",
    "usually",    "very",      "via",        "wanna",    "was",       "wasn't",    "wasnt",        "well",
    "went",       "were",      "weren't",    "werent",   "what",      "what's",    "whatever",     "whats",
    "when",       "whence",    "whenever",   "where",    "where's",   "whereas",   "whereby",      "wherever",
    "whether",    "which",     "while",      "who",      "who's",     "whoever",   "whole",        "whom",
    "whose",      "why",       "will",       "with",     "within",    "without",   "won't",        "wont",
    "would",      "wouldn't",  "wouldnt",    "yeah",     "yep",       "yes",       "yet",          "you",
    "you'd",      "you'll",    "you're",     "you've",   "your",      "youre",     "yours",        "yourself",
    "yourselves",
};

/* Words the suffix rules of fold_plural would get wrong: TO is the singular,
 * or NULL when the word stays as it is. Sorted bytewise by FROM. */
typedef struct fold_exception {
    const char *from, *to;
} fold_exception;

static const fold_exception fold_exceptions[] = {
    {"aerobics", NULL},
    {"alias", NULL},
    {"analyses", "analysis"},
    {"analytics", NULL},
    {"athletics", NULL},
    {"atlas", NULL},
    {"avalanches", "avalanche"},
    {"bias", NULL},
    {"billiards", NULL},
    {"bonuses", "bonus"},
    {"brownies", "brownie"},
    {"buses", "bus"},
    {"calories", "calorie"},
    {"campuses", "campus"},
    {"canvas", NULL},
    {"censuses", "census"},
    {"chaos", NULL},
    {"children", "child"},
    {"choruses", "chorus"},
    {"christmas", NULL},
    {"cliches", "cliche"},
    {"clothes", NULL},
    {"consensuses", "consensus"},
    {"cookies", "cookie"},
    {"crises", "crisis"},
    {"devops", NULL},
    {"diabetes", NULL},
    {"diagnoses", "diagnosis"},
    {"echoes", "echo"},
    {"economics", NULL},
    {"electronics", NULL},
    {"ergonomics", NULL},
    {"ethics", NULL},
    {"ethos", NULL},
    {"focuses", "focus"},
    {"freebies", "freebie"},
    {"geniuses", "genius"},
    {"goodies", "goodie"},
    {"gymnastics", NULL},
    {"halves", "half"},
    {"headquarters", NULL},
    {"heroes", "hero"},
    {"hoodies", "hoodie"},
    {"hypotheses", "hypothesis"},
    {"knives", "knife"},
    {"kudos", NULL},
    {"lens", NULL},
    {"linguistics", NULL},
    {"lives", "life"},
    {"logistics", NULL},
    {"mathematics", NULL},
    {"measles", NULL},
    {"mechanics", NULL},
    {"men", "man"},
    {"moustaches", "moustache"},
    {"movies", "movie"},
    {"mustaches", "mustache"},
    {"newbies", "newbie"},
    {"news", NULL},
    {"niches", "niche"},
    {"overseas", NULL},
    {"physics", NULL},
    {"politics", NULL},
    {"potatoes", "potato"},
    {"premises", NULL},
    {"quizzes", "quiz"},
    {"rookies", "rookie"},
    {"sales", NULL},
    {"selfies", "selfie"},
    {"series", NULL},
    {"shelves", "shelf"},
    {"smoothies", "smoothie"},
    {"species", NULL},
    {"statistics", NULL},
    {"statuses", "status"},
    {"surpluses", "surplus"},
    {"syllabuses", "syllabus"},
    {"techies", "techie"},
    {"theses", "thesis"},
    {"tomatoes", "tomato"},
    {"vetoes", "veto"},
    {"viruses", "virus"},
    {"wives", "wife"},
    {"women", "woman"},
    {"zombies", "zombie"},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One term or phrase. Its bytes live in the accumulator's text block. */
typedef struct entry {
    uint64_t hash;
    size_t off;           /* where its bytes start in t->text */
    unsigned char len;    /* at most KEY_MAX */
    unsigned char phrase; /* 1 for a two-word phrase */
    unsigned count;       /* comments that used it */
    double sum;           /* sum of their compounds */
    size_t last;          /* serial of the last comment counted, so each counts once */
} entry;

struct nlp_themes {
    size_t max;                                   /* bound on entries */
    entry *e;                                     /* in insertion order */
    size_t n, ecap;                               /* entries used, allocated */
    uint32_t *slot;                               /* linear probing: entry index + 1, or 0 when empty */
    size_t mask;                                  /* slots - 1; slots a power of two, at most half used */
    char *text;                                   /* the entries' bytes, back to back */
    size_t tlen, tcap;                            /* bytes used, allocated */
    size_t comments;                              /* comments added, also the current comment's serial */
    size_t dropped;                               /* uses not counted because of the bound */
    int settled;                                  /* eviction freed too little: no more evictions */
    unsigned char key[crypto_shorthash_KEYBYTES]; /* random SipHash key: comments cannot force collisions */
};

/* Bytewise order, a shorter string before its extensions (strcmp's order
 * for strings without NUL bytes). */
static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static int is_stop(const char *w, size_t len) {
    size_t lo = 0, hi = COUNT_OF(stop_words);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_bytes(w, len, stop_words[mid], strlen(stop_words[mid]));
        if (c == 0) return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static const fold_exception *find_exception(const char *w, size_t len) {
    size_t lo = 0, hi = COUNT_OF(fold_exceptions);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *f = fold_exceptions[mid].from;
        int c = cmp_bytes(w, len, f, strlen(f));
        if (c == 0) return &fold_exceptions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int ends_with(const char *w, size_t len, const char *suffix) {
    size_t n = strlen(suffix);
    return len >= n && memcmp(w + len - n, suffix, n) == 0;
}

/* Folds the plural W (LEN bytes, lower-case) to its singular in place; the
 * result is never longer. Conservative suffix rules: words in -ss, -us and
 * -is and words of three letters are left alone ("process", "status",
 * "analysis", "its", "bus"); -ies becomes -y ("policies"); -sses, -xes,
 * -zzes, -shes and -ches lose -es ("processes", "boxes", "lunches"), but
 * "headaches" keeps its e; other words lose the final s ("managers",
 * "changes", "leaves"). fold_exceptions covers the rest. */
static size_t fold_plural(char *w, size_t len) {
    const fold_exception *x = find_exception(w, len);
    if (x) {
        if (!x->to) return len;
        size_t n = strlen(x->to);
        memcpy(w, x->to, n);
        return n;
    }
    if (len < 4 || w[len - 1] != 's') return len;
    if (ends_with(w, len, "ss") || ends_with(w, len, "us") || ends_with(w, len, "is")) return len;
    if (len >= 5 && ends_with(w, len, "ies")) {
        w[len - 3] = 'y';
        return len - 2;
    }
    if (len >= 5 && ends_with(w, len, "aches")) {
        /* "coaches", "reaches", "attaches" lose -es; "headaches", "caches" only -s. */
        int ch = len > 5 && strchr("eot", w[len - 6]) != NULL;
        return ch ? len - 2 : len - 1;
    }
    if (len >= 5 && (ends_with(w, len, "sses") || ends_with(w, len, "xes") || ends_with(w, len, "zzes") ||
                     ends_with(w, len, "shes") || ends_with(w, len, "ches")))
        return len - 2;
    return len - 1;
}

/* Ranges of non-ASCII code points that are not letters: Latin-1 punctuation
 * and signs, general punctuation to arrows and symbols, CJK punctuation,
 * variation selectors, the byte order mark, full-width punctuation, the
 * replacement character (an invalid byte), emoji and tags. Everything else
 * counts as a letter, which keeps "café", "Müller" and "東京" whole without a
 * Unicode property table; sentiment.c draws the same line. */
static const struct {
    uint32_t lo, hi;
} non_letters[] = {
    {0x80, 0xBF},     {0xD7, 0xD7},     {0xF7, 0xF7},       {0x2000, 0x2BFF},   {0x2E00, 0x2E7F},
    {0x3000, 0x303F}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},   {0xFF00, 0xFF20},   {0xFF3B, 0xFF40},
    {0xFF5B, 0xFF65}, {0xFFFD, 0xFFFD}, {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F},
};

static int is_ascii_alpha(uint32_t cp) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* A letter or a digit: what words are made of. */
static int is_word_cp(uint32_t cp) {
    if (cp < 0x80) return is_ascii_alpha(cp) || (cp >= '0' && cp <= '9');
    for (size_t i = 0; i < COUNT_OF(non_letters); i++)
        if (cp >= non_letters[i].lo && cp <= non_letters[i].hi) return 0;
    return 1;
}

/* White space other than a line break: it separates words within a clause. */
static int is_blank(uint32_t cp) {
    return cp == ' ' || cp == '\t' || cp == '\v' || cp == '\f' || cp == '\r' || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Decodes one code point; an invalid byte decodes as U+FFFD, one byte long. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp) {
    size_t n = utf8_decode(s, len, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

typedef struct word {
    char s[NLP_THEME_TERM_MAX + 1];
    size_t len;
    int too_long;
} word;

/* Reads the word that starts at S[I] (a word character) into W and returns
 * the offset just after it. */
static size_t scan_word(const unsigned char *s, size_t len, size_t i, word *w) {
    w->len = 0;
    w->too_long = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = decode(s + i, len - i, &cp);
        if (cp == '\'' || cp == 0x2019 || cp == '-') {
            uint32_t next = 0;
            if (i + k < len) decode(s + i + k, len - i - k, &next);
            if (!is_word_cp(next)) break;
        } else if (!is_word_cp(cp)) {
            break;
        }
        const char *bytes = (const char *)s + i;
        char one;
        size_t n = k;
        if (cp == 0x2019 || is_ascii_alpha(cp)) {
            one = cp == 0x2019 ? '\'' : (char)(cp | 0x20);
            bytes = &one;
            n = 1;
        }
        if (w->len + n > NLP_THEME_TERM_MAX) w->too_long = 1;
        if (!w->too_long) {
            memcpy(w->s + w->len, bytes, n);
            w->len += n;
        }
        i += k;
    }
    return i;
}

/* Letters in W: ASCII letters and non-ASCII code points (all of which are
 * letters inside a word); digits, apostrophes and hyphens do not count. */
static size_t letters(const char *w, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        n += (c >= 'a' && c <= 'z') || c >= 0xC0;
    }
    return n;
}

/* Turns W into the term it counts as. Returns 0 when it is not a term: too
 * long, a stop word (before or after folding), or short. */
static int make_term(word *w) {
    if (w->too_long || is_stop(w->s, w->len)) return 0;
    if (w->len > 2 && ends_with(w->s, w->len, "'s")) {
        w->len -= 2;
        if (is_stop(w->s, w->len)) return 0;
    }
    w->len = fold_plural(w->s, w->len);
    if (is_stop(w->s, w->len)) return 0;
    return letters(w->s, w->len) >= MIN_LETTERS;
}

static uint64_t hash(const nlp_themes *t, const char *s, size_t len) {
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)s, len, t->key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v;
}

/* The slot that holds S, or the empty slot where it would go. */
static size_t probe(const nlp_themes *t, uint64_t h, const char *s, size_t len) {
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint32_t v = t->slot[i];
        if (v == 0) return i;
        const entry *e = &t->e[v - 1];
        if (e->hash == h && e->len == len && memcmp(t->text + e->off, s, len) == 0) return i;
        i = (i + 1) & t->mask;
    }
}

static const entry *find(const nlp_themes *t, const char *s, size_t len) {
    uint32_t v = t->slot[probe(t, hash(t, s, len), s, len)];
    return v ? &t->e[v - 1] : NULL;
}

/* Refills the slots from the entries. */
static void reindex(nlp_themes *t) {
    memset(t->slot, 0, (t->mask + 1) * sizeof *t->slot);
    for (size_t i = 0; i < t->n; i++) {
        size_t j = (size_t)t->e[i].hash & t->mask;
        while (t->slot[j]) j = (j + 1) & t->mask;
        t->slot[j] = (uint32_t)(i + 1);
    }
}

/* Makes room for one more entry of LEN bytes. 0 or HARK_ENOMEM (nothing lost). */
static int reserve(nlp_themes *t, size_t len) {
    if (t->n == t->ecap) {
        size_t cap = t->ecap ? t->ecap * 2 : 64;
        if (cap > t->max) cap = t->max;
        entry *e = realloc(t->e, cap * sizeof *e);
        if (!e) return HARK_ENOMEM;
        t->e = e;
        t->ecap = cap;
    }
    if ((t->n + 1) * 2 > t->mask + 1) {
        size_t slots = (t->mask + 1) * 2;
        uint32_t *s = malloc(slots * sizeof *s);
        if (!s) return HARK_ENOMEM;
        free(t->slot);
        t->slot = s;
        t->mask = slots - 1;
        reindex(t);
    }
    if (t->tlen + len > t->tcap) {
        size_t cap = t->tcap ? t->tcap : 1024;
        while (cap < t->tlen + len) cap *= 2;
        char *text = realloc(t->text, cap);
        if (!text) return HARK_ENOMEM;
        t->text = text;
        t->tcap = cap;
    }
    return HARK_OK;
}

/* Evicts the entries used by one comment only, other than the current one,
 * and compacts the entries and their bytes. Marks the table settled when that
 * freed less than a quarter of it. */
static void evict_rare(nlp_themes *t) {
    size_t kept = 0, tlen = 0;
    for (size_t i = 0; i < t->n; i++) {
        entry e = t->e[i];
        if (e.count <= 1 && e.last != t->comments) {
            t->dropped += e.count;
            continue;
        }
        /* Entries are in text order, so moving each down never overwrites a later one. */
        memmove(t->text + tlen, t->text + e.off, e.len);
        e.off = tlen;
        tlen += e.len;
        t->e[kept++] = e;
    }
    if ((t->n - kept) * 4 < t->max) t->settled = 1;
    t->n = kept;
    t->tlen = tlen;
    reindex(t);
}

/* Counts S (LEN bytes) once for the current comment. 0 (also when the bound
 * keeps it out), or HARK_ENOMEM. */
static int count(nlp_themes *t, const char *s, size_t len, int phrase, double compound) {
    uint64_t h = hash(t, s, len);
    size_t i = probe(t, h, s, len);
    if (t->slot[i] == 0) {
        if (t->n == t->max && !t->settled) evict_rare(t);
        if (t->n == t->max) {
            t->dropped++;
            return HARK_OK;
        }
        int rc = reserve(t, len);
        if (rc) return rc;
        i = probe(t, h, s, len);
        entry *e = &t->e[t->n];
        memset(e, 0, sizeof *e);
        e->hash = h;
        e->off = t->tlen;
        e->len = (unsigned char)len;
        e->phrase = (unsigned char)phrase;
        memcpy(t->text + t->tlen, s, len);
        t->tlen += len;
        t->slot[i] = (uint32_t)(++t->n);
    }
    entry *e = &t->e[t->slot[i] - 1];
    if (e->last != t->comments && e->count < UINT_MAX) {
        e->count++;
        e->sum += compound;
        e->last = t->comments;
    }
    return HARK_OK;
}

nlp_themes *nlp_themes_new(size_t max_terms) {
    if (sodium_init() < 0) return NULL;
    nlp_themes *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->max = max_terms ? max_terms : DEFAULT_MAX_TERMS;
    if (t->max > LIMIT_MAX_TERMS) t->max = LIMIT_MAX_TERMS;
    t->mask = 63;
    t->slot = calloc(t->mask + 1, sizeof *t->slot);
    if (!t->slot) {
        free(t);
        return NULL;
    }
    randombytes_buf(t->key, sizeof t->key);
    return t;
}

int nlp_themes_add(nlp_themes *t, const char *text, size_t len, double compound) {
    if (!t || (!text && len)) return HARK_EINVAL;
    int cut = len > NLP_MAX_TEXT;
    if (cut) len = NLP_MAX_TEXT;
    if (isnan(compound))
        compound = 0;
    else if (compound > 1)
        compound = 1;
    else if (compound < -1)
        compound = -1;
    t->comments++;
    const unsigned char *s = (const unsigned char *)text;
    char prev[NLP_THEME_TERM_MAX];
    size_t prev_len = 0; /* the kept word just before, in this clause; 0 when none */
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = decode(s + i, len - i, &cp);
        if (!is_word_cp(cp)) {
            if (!is_blank(cp)) prev_len = 0;
            i += k;
            continue;
        }
        word w;
        i = scan_word(s, len, i, &w);
        if (cut && i == len) break;
        if (!make_term(&w)) {
            prev_len = 0;
            continue;
        }
        int rc = count(t, w.s, w.len, 0, compound);
        if (rc == HARK_OK && prev_len) {
            char key[KEY_MAX];
            memcpy(key, prev, prev_len);
            key[prev_len] = ' ';
            memcpy(key + prev_len + 1, w.s, w.len);
            rc = count(t, key, prev_len + 1 + w.len, 1, compound);
        }
        if (rc) return rc;
        memcpy(prev, w.s, w.len);
        prev_len = w.len;
    }
    return HARK_OK;
}

/* What the order of nlp_themes_top looks at. */
typedef struct rank {
    unsigned count;
    unsigned support; /* a term's own count; for a phrase, the count of its less used word */
    const char *s;
    size_t len;
} rank;

static unsigned word_count(const nlp_themes *t, const char *s, size_t len) {
    const entry *e = find(t, s, len);
    return e ? e->count : 0;
}

static void make_rank(const nlp_themes *t, const char *s, size_t len, int phrase, unsigned cnt, rank *r) {
    r->count = cnt;
    r->s = s;
    r->len = len;
    r->support = cnt;
    if (phrase) {
        const char *sp = memchr(s, ' ', len);
        size_t a = (size_t)(sp - s);
        unsigned first = word_count(t, s, a), second = word_count(t, sp + 1, len - a - 1);
        r->support = first < second ? first : second;
    }
}

/* 1 when A comes before B: more comments, then more used words, then bytewise. */
static int ranks_before(const rank *a, const rank *b) {
    if (a->count != b->count) return a->count > b->count;
    if (a->support != b->support) return a->support > b->support;
    return cmp_bytes(a->s, a->len, b->s, b->len) < 0;
}

static void theme_rank(const nlp_themes *t, const nlp_theme *x, rank *r) {
    make_rank(t, x->term, strlen(x->term), x->phrase, x->count, r);
}

static int theme_worse(const nlp_themes *t, const nlp_theme *a, const nlp_theme *b) {
    rank ra, rb;
    theme_rank(t, a, &ra);
    theme_rank(t, b, &rb);
    return ranks_before(&rb, &ra);
}

static void swap_themes(nlp_theme *a, nlp_theme *b) {
    nlp_theme tmp = *a;
    *a = *b;
    *b = tmp;
}

/* H[0..M) is a heap with the worst theme at the root. */
static void sift_down(const nlp_themes *t, nlp_theme *h, size_t m, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < m && theme_worse(t, &h[l], &h[w])) w = l;
        if (r < m && theme_worse(t, &h[r], &h[w])) w = r;
        if (w == i) return;
        swap_themes(&h[i], &h[w]);
        i = w;
    }
}

static void sift_up(const nlp_themes *t, nlp_theme *h, size_t i) {
    while (i > 0 && theme_worse(t, &h[i], &h[(i - 1) / 2])) {
        swap_themes(&h[i], &h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static void fill_theme(const nlp_themes *t, const entry *e, nlp_theme *x) {
    memcpy(x->term, t->text + e->off, e->len);
    x->term[e->len] = '\0';
    x->phrase = e->phrase;
    x->count = e->count;
    x->sentiment = e->sum / e->count;
}

size_t nlp_themes_top(const nlp_themes *t, nlp_theme *out, size_t n, unsigned min_phrase) {
    if (!t || !out || n == 0) return 0;
    /* A heap of the best N so far in OUT itself, worst at the root: no
     * allocation, so this cannot fail, and N log N work at most per entry. */
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        const entry *e = &t->e[i];
        if (e->phrase && e->count < min_phrase) continue;
        if (m < n) {
            fill_theme(t, e, &out[m]);
            sift_up(t, out, m++);
            continue;
        }
        if (e->count < out[0].count) continue;
        rank re, root;
        make_rank(t, t->text + e->off, e->len, e->phrase, e->count, &re);
        theme_rank(t, &out[0], &root);
        if (!ranks_before(&re, &root)) continue;
        fill_theme(t, e, &out[0]);
        sift_down(t, out, m, 0);
    }
    /* Heap sort: the worst of the rest goes to the end each time. */
    for (size_t k = m; k > 1; k--) {
        swap_themes(&out[0], &out[k - 1]);
        sift_down(t, out, k - 1, 0);
    }
    return m;
}

size_t nlp_themes_comments(const nlp_themes *t) {
    return t ? t->comments : 0;
}

size_t nlp_themes_dropped(const nlp_themes *t) {
    return t ? t->dropped : 0;
}

int nlp_themes_check(void) {
    for (size_t i = 1; i < COUNT_OF(stop_words); i++)
        if (strcmp(stop_words[i - 1], stop_words[i]) >= 0) return HARK_EINVAL;
    for (size_t i = 1; i < COUNT_OF(fold_exceptions); i++)
        if (strcmp(fold_exceptions[i - 1].from, fold_exceptions[i].from) >= 0) return HARK_EINVAL;
    for (size_t i = 0; i < COUNT_OF(stop_words); i++) {
        const char *w = stop_words[i];
        if (letters(w, strlen(w)) < MIN_LETTERS) return HARK_EINVAL;
        for (const char *p = w; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || *p == '\'')) return HARK_EINVAL;
    }
    for (size_t i = 0; i < COUNT_OF(fold_exceptions); i++) {
        const fold_exception *x = &fold_exceptions[i];
        if (x->to && strlen(x->to) > strlen(x->from)) return HARK_EINVAL;
    }
    return HARK_OK;
}

void nlp_themes_free(nlp_themes *t) {
    if (!t) return;
    free(t->e);
    free(t->slot);
    free(t->text);
    free(t);
}
