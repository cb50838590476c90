/* lexgen: turns the sentiment lexicon's data files into the compiled-in table
 * of src/nlp (lexicon.h). Run by the build, not by users:
 *
 *   lexgen VADER_LEXICON SHA256 MODIFIERS WORKPLACE EMOJI OUT.c
 *
 * VADER_LEXICON is vader_lexicon.txt of the npm package vader-sentiment 1.1.3
 * (Apache-2.0; word <TAB> mean valence <TAB> sd <TAB> ratings). Its SHA-256
 * must equal SHA256, so a changed or corrupt download fails the build instead
 * of silently changing every score. A word listed twice keeps its last
 * valence, as the package's own table does. MODIFIERS, WORKPLACE and EMOJI
 * are Hark's files in data/lexicon (their formats are described at their top).
 *
 * The output is an open-addressing hash table over the lower-case words
 * (FNV-1a, the same function as lexicon.c) plus a short list of multi-word
 * entries. Every problem names its file and line and exits 1. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "nlp/lexicon.h"

#define MAX_WORDS  16384
#define MAX_PHRASE 256
#define LINE_MAX_  4096

typedef struct word {
    char *text;
    unsigned flags;
    double base, supp;
} word;

typedef struct phrase {
    char *words[NLP_LEX_PHRASE_WORDS];
    int n;
    unsigned kind;
    double value;
} phrase;

static word words[MAX_WORDS];
static size_t nwords;
static phrase phrases[MAX_PHRASE];
static size_t nphrases;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("lexgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static char *xstrdup(const char *s) {
    char *d = strdup(s);
    if (!d) die("out of memory");
    return d;
}

static word *find_or_add(const char *text, const char *file, int line) {
    for (size_t i = 0; i < nwords; i++)
        if (strcmp(words[i].text, text) == 0) return &words[i];
    if (nwords == MAX_WORDS) die("%s:%d: more than %d words", file, line, MAX_WORDS);
    if (strlen(text) > NLP_LEX_WORD_MAX) die("%s:%d: '%s' is longer than %d bytes", file, line, text, NLP_LEX_WORD_MAX);
    word *w = &words[nwords++];
    w->text = xstrdup(text);
    return w;
}

static double parse_valence(const char *s, const char *file, int line) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < -4.0 || v > 4.0)
        die("%s:%d: valence '%s' is not a number in -4..4", file, line, s);
    return v;
}

/* Splits LINE at tabs into at most MAX fields; returns the count. */
static int split_tabs(char *line, char **f, int max) {
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static void check_term(const char *t, const char *file, int line) {
    if (!*t) die("%s:%d: empty term", file, line);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') die("%s:%d: '%s' is not lower-case", file, line, t);
        if (*p == '\t' || *p == '\r' || (*p == ' ' && (p[1] == ' ' || p[1] == '\0')))
            die("%s:%d: '%s' has stray white space", file, line, t);
    }
    if (t[0] == ' ') die("%s:%d: '%s' has stray white space", file, line, t);
}

/* Adds the multi-word TERM (already checked) as a phrase of KIND. */
static void add_phrase(const char *term, unsigned kind, double value, const char *file, int line) {
    if (nphrases == MAX_PHRASE) die("%s:%d: more than %d phrases", file, line, MAX_PHRASE);
    phrase *p = &phrases[nphrases++];
    char *copy = xstrdup(term);
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
        if (p->n == NLP_LEX_PHRASE_WORDS)
            die("%s:%d: '%s' has more than %d words", file, line, term, NLP_LEX_PHRASE_WORDS);
        if (strlen(tok) > NLP_LEX_WORD_MAX) die("%s:%d: '%s' is too long", file, line, tok);
        p->words[p->n++] = xstrdup(tok);
    }
    free(copy);
    p->kind = kind;
    p->value = value;
    find_or_add(p->words[0], file, line)->flags |= NLP_LEX_PHRASE;
}

static FILE *open_or_die(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("%s: %s (run scripts/bootstrap to install the npm packages)", path, strerror(errno));
    return f;
}

/* Reads one line into BUF without its newline (and CR). Returns 0 at the end. */
static int read_line(FILE *f, char *buf, const char *file, int line) {
    if (!fgets(buf, LINE_MAX_, f)) return 0;
    size_t n = strlen(buf);
    if (n == LINE_MAX_ - 1 && buf[n - 1] != '\n') die("%s:%d: line too long", file, line);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
    return 1;
}

static void check_sha256(const char *path, const char *want) {
    FILE *f = open_or_die(path);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) crypto_hash_sha256_update(&st, buf, n);
    if (ferror(f)) die("%s: read error", path);
    fclose(f);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (strcmp(hex, want) != 0)
        die("%s: SHA-256 %s, expected %s (not the pinned vader-sentiment 1.1.3; run npm ci)", path, hex, want);
}

static void read_vader(const char *path) {
    FILE *f = open_or_die(path);
    char buf[LINE_MAX_];
    int line = 0;
    while (read_line(f, buf, path, ++line)) {
        if (!*buf) continue;
        char *fld[4];
        if (split_tabs(buf, fld, 4) < 2) die("%s:%d: expected word <TAB> valence", path, line);
        /* Keys are looked up lower-cased, so an upper-case key could never
         * match; the package has two (":-Þ", ":Þ") that it cannot match either. */
        int lower = 1;
        for (const char *p = fld[0]; *p; p++)
            if ((unsigned char)*p >= 0x80 || (*p >= 'A' && *p <= 'Z')) lower = 0;
        if (!lower) continue;
        word *w = find_or_add(fld[0], path, line);
        w->flags |= NLP_LEX_BASE;
        w->base = parse_valence(fld[1], path, line);
    }
    fclose(f);
}

static void read_modifiers(const char *path) {
    FILE *f = open_or_die(path);
    char buf[LINE_MAX_];
    int line = 0;
    while (read_line(f, buf, path, ++line)) {
        if (!*buf || *buf == '#') continue;
        char *fld[4];
        if (split_tabs(buf, fld, 4) != 4) die("%s:%d: expected kind <TAB> term <TAB> value <TAB> modes", path, line);
        check_term(fld[1], path, line);
        int extra;
        if (!strcmp(fld[3], "both"))
            extra = 0;
        else if (!strcmp(fld[3], "default"))
            extra = 1;
        else
            die("%s:%d: modes must be 'both' or 'default', not '%s'", path, line, fld[3]);
        int multi = strchr(fld[1], ' ') != NULL;
        unsigned bit;
        if (!strcmp(fld[0], "negate"))
            bit = extra ? NLP_LEX_NEGATE_X : NLP_LEX_NEGATE;
        else if (!strcmp(fld[0], "boost"))
            bit = extra ? NLP_LEX_INCR_X : NLP_LEX_INCR;
        else if (!strcmp(fld[0], "damp"))
            bit = extra ? NLP_LEX_DECR_X : NLP_LEX_DECR;
        else if (!strcmp(fld[0], "idiom")) {
            if (!multi) die("%s:%d: an idiom has at least two words", path, line);
            add_phrase(fld[1], extra ? NLP_PHRASE_IDIOM_X : NLP_PHRASE_IDIOM, parse_valence(fld[2], path, line), path,
                       line);
            continue;
        } else
            die("%s:%d: unknown kind '%s' (negate, boost, damp or idiom)", path, line, fld[0]);
        if (strcmp(fld[2], "-") != 0) die("%s:%d: only idioms have a value; write '-'", path, line);
        if (multi) {
            if (bit != NLP_LEX_DECR && bit != NLP_LEX_DECR_X && bit != NLP_LEX_INCR && bit != NLP_LEX_INCR_X)
                die("%s:%d: only boosters and dampeners may have several words", path, line);
            add_phrase(fld[1], (bit == NLP_LEX_INCR || bit == NLP_LEX_INCR_X) ? NLP_PHRASE_INCR : NLP_PHRASE_DECR, 0,
                       path, line);
            if (extra) phrases[nphrases - 1].kind |= NLP_PHRASE_X;
            continue;
        }
        find_or_add(fld[1], path, line)->flags |= bit;
    }
    fclose(f);
}

/* WORKPLACE: term <TAB> valence <TAB> reason. EMOJI: emoji <TAB> valence <TAB> name. */
static void read_supplement(const char *path, int emoji) {
    FILE *f = open_or_die(path);
    char buf[LINE_MAX_];
    int line = 0;
    while (read_line(f, buf, path, ++line)) {
        if (!*buf || *buf == '#') continue;
        char *fld[3];
        if (split_tabs(buf, fld, 3) != 3 || !*fld[2])
            die("%s:%d: expected %s <TAB> valence <TAB> %s", path, line, emoji ? "emoji" : "term",
                emoji ? "name" : "reason");
        check_term(fld[0], path, line);
        double v = parse_valence(fld[1], path, line);
        if (emoji && ((unsigned char)fld[0][0] < 0x80 || strchr(fld[0], ' ')))
            die("%s:%d: '%s' is not one emoji", path, line, fld[0]);
        if (strchr(fld[0], ' ')) {
            add_phrase(fld[0], NLP_PHRASE_SUPP, v, path, line);
            continue;
        }
        word *w = find_or_add(fld[0], path, line);
        if (w->flags & NLP_LEX_SUPP) die("%s:%d: '%s' is listed twice", path, line, fld[0]);
        w->flags |= NLP_LEX_SUPP;
        w->supp = v;
    }
    fclose(f);
}

static void put_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\%03o", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

int main(int argc, char **argv) {
    if (argc != 7) die("usage: lexgen VADER_LEXICON SHA256 MODIFIERS WORKPLACE EMOJI OUT.c");
    if (sodium_init() < 0) die("libsodium failed to initialise");
    check_sha256(argv[1], argv[2]);
    read_vader(argv[1]);
    read_modifiers(argv[3]);
    read_supplement(argv[4], 0);
    read_supplement(argv[5], 1);

    size_t slots = 1;
    while (slots < 2 * nwords) slots <<= 1;
    if (slots > 65536) die("too many words for 16-bit slots");
    uint16_t *table = calloc(slots, sizeof *table);
    if (!table) die("out of memory");
    size_t longest_probe = 0;
    for (size_t i = 0; i < nwords; i++) {
        size_t h = nlp_lex_hash(words[i].text, strlen(words[i].text)) & (slots - 1), probe = 0;
        while (table[h]) {
            h = (h + 1) & (slots - 1);
            probe++;
        }
        if (probe > longest_probe) longest_probe = probe;
        table[h] = (uint16_t)(i + 1);
    }

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[6]);
    FILE *out = fopen(tmp, "w");
    if (!out) die("%s: %s", tmp, strerror(errno));
    fprintf(out,
            "/* Generated by tools/lexgen.c; do not edit. %zu words, %zu phrases, %zu slots (longest probe %zu).\n"
            " *\n"
            " * Base valences: vader_lexicon.txt of vader-sentiment 1.1.3 (SHA-256 %s),\n"
            " * Copyright 2018 Comcast Cable Communications Management, LLC, Apache License 2.0;\n"
            " * VADER by C.J. Hutto, MIT License. See data/lexicon/README.md.\n"
            " * Supplement: data/lexicon/{modifiers,workplace,emoji}.tsv by the Hark team. */\n"
            "#include \"nlp/lexicon.h\"\n\n",
            nwords, nphrases, slots, longest_probe, argv[2]);
    fprintf(out, "const nlp_lex_entry nlp_lex_entries[%zu] = {\n", nwords);
    for (size_t i = 0; i < nwords; i++) {
        fputs("    {", out);
        put_string(out, words[i].text);
        fprintf(out, ", %zu, 0x%x, %.17g, %.17g},\n", strlen(words[i].text), words[i].flags, words[i].base,
                words[i].supp);
    }
    fprintf(out, "};\nconst size_t nlp_lex_nentries = %zu;\n\n", nwords);
    fprintf(out, "const uint16_t nlp_lex_slots[%zu] = {", slots);
    for (size_t i = 0; i < slots; i++) fprintf(out, "%s%u,", i % 16 ? " " : "\n    ", table[i]);
    fprintf(out, "\n};\nconst uint32_t nlp_lex_mask = %zu;\n\n", slots - 1);
    fprintf(out, "const nlp_lex_phrase nlp_lex_phrases[%zu] = {\n", nphrases ? nphrases : 1);
    for (size_t i = 0; i < nphrases; i++) {
        fputs("    {{", out);
        for (int k = 0; k < NLP_LEX_PHRASE_WORDS; k++) {
            if (k < phrases[i].n)
                put_string(out, phrases[i].words[k]);
            else
                fputs("0", out);
            fputs(k + 1 < NLP_LEX_PHRASE_WORDS ? ", " : "", out);
        }
        fputs("}, {", out);
        for (int k = 0; k < NLP_LEX_PHRASE_WORDS; k++)
            fprintf(out, "%zu%s", k < phrases[i].n ? strlen(phrases[i].words[k]) : (size_t)0,
                    k + 1 < NLP_LEX_PHRASE_WORDS ? ", " : "");
        fprintf(out, "}, %d, 0x%x, %.17g},\n", phrases[i].n, phrases[i].kind, phrases[i].value);
    }
    if (!nphrases) fputs("    {{0}, {0}, 0, 0, 0},\n", out);
    fprintf(out, "};\nconst size_t nlp_lex_nphrases = %zu;\n", nphrases);
    if (fclose(out) != 0) die("%s: write error", tmp);
    if (rename(tmp, argv[6]) != 0) die("%s: %s", argv[6], strerror(errno));
    return 0;
}
