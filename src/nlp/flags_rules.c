/* Loading the red-flag rules (flags.h): data/flags/common.tsv holds word
 * classes and the exclusions shared by all kinds, and one file per kind
 * (harassment.tsv, threat.tsv, ...) that kind's token patterns; the format is
 * described at the top of each file. cmake/embed.cmake compiles them in as
 * hark_flag_files; they are parsed once (pthread_once) into the fixed tables of
 * flags_int.h, checked, and indexed for matching, and are read-only afterwards.
 * nlp_flags_check runs the same loader on a scratch table. Matching text
 * against the rules is flags.c's job. */
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
#include "nlp/flags_int.h"

static const char *const reserved_names[C_RESERVED] = {"@negator", "@neg_release", "@scope_end", "@joiner",
                                                       "@subject", "@neg_verb",    "@neg_raise"};

static const char *const kind_names[NLP_FLAG_KINDS] = {"harassment", "threat", "self_harm", "resign", "burnout"};

const char *nlp_flag_kind_name(int kind) {
    return kind >= 1 && kind <= NLP_FLAG_KINDS ? kind_names[kind - 1] : NULL;
}

int nlp_flag_kind_parse(const char *name) {
    for (int k = 0; name && k < NLP_FLAG_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0) return k + 1;
    return 0;
}

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
    char sk[WORD_MAX];
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
            sk[len++] = (char)c;
            continue;
        }
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && c < 0x80)
            return fail(p, "character '%c' in \"%.*s\": words hold letters, digits and apostrophes", c, (int)n, s);
        letters = 1;
        if (!flags__push_byte(sk, &len, c)) return fail(p, "word \"%.*s\" is too long", (int)n, s);
    }
    if (len == 0) return fail(p, "empty word in \"%.*s\"", (int)n, s);
    if (digits && letters) return fail(p, "\"%.*s\" mixes letters and digits, which the text never does", (int)n, s);
    if (w->prefix && len < 3) return fail(p, "prefix \"%.*s*\" is shorter than three letters", (int)n, s);
    if (w->fuzzy && len < FUZZY_MIN)
        return fail(p, "\"~%.*s\" is shorter than %d letters: short words match no typos", (int)n, s, FUZZY_MIN);
    ruleset *rs = p->rs;
    unsigned slot = flags__hash(0, sk, len) & (INTERN_SLOTS - 1);
    while (rs->intern[slot].len &&
           !(rs->intern[slot].len == len && memcmp(rs->pool + rs->intern[slot].off, sk, len) == 0))
        slot = (slot + 1) & (INTERN_SLOTS - 1);
    if (!rs->intern[slot].len) {
        if (rs->npool + len > POOL_BYTES || ++rs->ninterned >= INTERN_SLOTS / 2)
            return fail(p, "too many distinct words (more than %d bytes)", POOL_BYTES);
        memcpy(rs->pool + rs->npool, sk, len);
        lexent *e = &rs->intern[slot];
        e->off = (uint16_t)rs->npool;
        e->len = (uint8_t)len;
        e->id = (uint16_t)(rs->ninterned - 1);
        rs->wi[e->id].off = e->off;
        rs->wi[e->id].len = e->len;
        rs->npool += len;
    }
    w->off = rs->intern[slot].off;
    w->id = rs->intern[slot].id;
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

/* The index bucket of a rule word: by the whole word, by its first three bytes
 * when it is a prefix, by its first two when it may match with a typo. */
static unsigned word_bucket(const ruleset *rs, const word *w) {
    const char *ws = rs->pool + w->off;
    if (w->len >= FUZZY_MIN && w->fuzzy) return flags__hash(K_PRE2, ws, 2) & (BUCKETS - 1);
    if (w->prefix) return flags__hash(K_PRE3, ws, 3) & (BUCKETS - 1);
    return flags__hash(K_FULL, ws, w->len) & (BUCKETS - 1);
}

/* Marks the words of the engine classes (CB_ bits). */
static int mark_classes(ruleset *rs, parser *p) {
    size_t nlex = 0;
    for (int i = 0; i < C_RESERVED; i++) {
        int c = find_class(rs, reserved_names[i], strlen(reserved_names[i]));
        if (c < 0) return fail(p, "class %s, which negation needs, is not defined", reserved_names[i]);
        const set *st = &rs->sets[rs->classes[c].set];
        for (size_t k = 0; k < st->count; k++) {
            const alt *a = &rs->alts[st->first + k];
            const word *w = &rs->words[a->first];
            if (a->n != 1 || w->prefix)
                return fail(p, "class %s may hold only single words, without *", reserved_names[i]);
            winfo *x = &rs->wi[w->id];
            if (!x->bits && ++nlex >= LEX_SLOTS / 2)
                return fail(p, "the negation classes hold more than %d words", LEX_SLOTS / 2);
            x->bits = (uint8_t)(x->bits | (1u << i));
        }
    }
    return HARK_OK;
}

/* Files every rule under the buckets of its anchor's first words, once per
 * distinct bucket: two passes over the rules, to count and then to fill. In a
 * bucket the exclusions come first, then the hits, each in rule order. */
static int file_rules(ruleset *rs, parser *p) {
    uint16_t nexcl[BUCKETS], nhits[BUCKETS], seen[BUCKETS];
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        memset(nexcl, 0, sizeof nexcl);
        memset(nhits, 0, sizeof nhits);
        memset(seen, 0xFF, sizeof seen);
        for (size_t r = 0; r < rs->nrules; r++) {
            const elem *e = &rs->elems[rs->rules[r].first + rs->rules[r].anchor];
            const set *st = &rs->sets[e->set];
            int hit = rs->rules[r].type == R_HIT;
            for (size_t i = 0; i < st->count; i++) {
                unsigned b = word_bucket(rs, &rs->words[rs->alts[st->first + i].first]);
                if (seen[b] == r) continue;
                seen[b] = (uint16_t)r;
                if (pass == 1) {
                    unsigned at = hit ? rs->bucket_hits[b] + nhits[b] : rs->bucket_first[b] + nexcl[b];
                    rs->index[at] = (uint16_t)r;
                } else if (++total > INDEX_MAX) {
                    return fail(p, "the rule index is full (more than %d entries)", INDEX_MAX);
                }
                if (hit) {
                    nhits[b]++;
                } else {
                    nexcl[b]++;
                }
            }
        }
        if (pass == 0) {
            rs->bucket_first[0] = 0;
            for (int b = 0; b < BUCKETS; b++) {
                rs->bucket_hits[b] = (uint16_t)(rs->bucket_first[b] + nexcl[b]);
                rs->bucket_first[b + 1] = (uint16_t)(rs->bucket_hits[b] + nhits[b]);
            }
        }
    }
    return HARK_OK;
}

/* Fills the table text looks words up in, as small as it can be. */
static void index_lookup(ruleset *rs) {
    uint32_t size = 2;
    while (size < 2 * rs->ninterned) size *= 2;
    rs->look_mask = size - 1;
    for (size_t id = 0; id < rs->ninterned; id++) {
        const winfo *x = &rs->wi[id];
        uint32_t h = flags__hash(0, rs->pool + x->off, x->len), i = h & rs->look_mask;
        while (rs->look[i]) i = (i + 1) & rs->look_mask;
        rs->look[i] = (h & 0xFFFF0000u) | (uint32_t)(id + 1);
    }
}

/* Gives each prefix or fuzzy word its sid, the same for the same text and
 * marks, and chains the distinct ones from the hash of their first bytes. */
static void index_specials(ruleset *rs) {
    for (size_t i = 0; i < rs->nwords; i++) {
        word *w = &rs->words[i];
        if (!w->prefix && !w->fuzzy) continue;
        uint16_t *sid = &rs->wi[w->id].sid[(w->prefix | w->fuzzy << 1) - 1];
        if (!*sid) {
            const char *ws = rs->pool + w->off;
            int k = !w->fuzzy;
            unsigned h = (k ? flags__hash(K_PRE3, ws, 3) : flags__hash(K_PRE2, ws, 2)) & (SPEC_BUCKETS - 1);
            *sid = (uint16_t)++rs->nspecials;
            rs->spec_word[*sid] = (uint16_t)i;
            rs->spec_next[*sid] = rs->spec_head[k][h];
            rs->spec_head[k][h] = *sid;
            unsigned pair = (unsigned char)ws[0] << 8 | (unsigned char)ws[1];
            rs->spec_pairs[pair / 64] |= (uint64_t)1 << (pair % 64);
        }
        w->sid = *sid;
    }
}

/* Sorts the N values at A in increasing order: a heap sort, in place, in
 * O(N log N) however large a set is, and without qsort's allocation. */
static void sort_u32(uint32_t *a, size_t n) {
    for (size_t end = n, start = n / 2; end > 1;) {
        if (start > 0) {
            start--; /* building the heap */
        } else {
            end--; /* moving its top behind it */
            uint32_t top = a[0];
            a[0] = a[end];
            a[end] = top;
        }
        for (size_t root = start; 2 * root + 1 < end;) {
            size_t child = 2 * root + 1;
            if (child + 1 < end && a[child + 1] > a[child]) child++;
            if (a[root] >= a[child]) break;
            uint32_t x = a[root];
            a[root] = a[child];
            a[child] = x;
            root = child;
        }
    }
}

/* Lists, per set, the alternatives that start with a plain word, sorted by
 * that word's id and then in the set's order (starts), and the others in the
 * set's order (spec_alts); and sets the sets' first_mask. The sets' runs of
 * alts do not overlap, so neither list outgrows MAX_ALTS. */
static void index_starts(ruleset *rs) {
    size_t nplain = 0, nspec = 0;
    for (size_t s = 0; s < rs->nsets; s++) {
        set *st = &rs->sets[s];
        st->pfirst = (uint16_t)nplain;
        st->sfirst = (uint16_t)nspec;
        for (size_t i = st->first; i < (size_t)st->first + st->count; i++) {
            const word *w = &rs->words[rs->alts[i].first];
            if (w->sid) {
                rs->spec_alts[nspec++] = (uint16_t)i;
                rs->first_mask[s] |= FIRST_SPECIAL;
            } else {
                rs->starts[nplain++] = (uint32_t)w->id << 16 | (uint32_t)i;
                rs->first_mask[s] |= flags__word_bit(w->id);
            }
        }
        st->pcount = (uint16_t)(nplain - st->pfirst);
        st->scount = (uint16_t)(nspec - st->sfirst);
        sort_u32(rs->starts + st->pfirst, st->pcount);
    }
}

/* Builds the word index: for each plain word, the rules with an alternative
 * of their anchor that starts with it, once each, the exclusions and then the
 * hits in rule order, marked WR_SURE when the word alone is one. Counts, then
 * fills; the fill takes the exclusions first and dedups by the entry just
 * written. When the index would not fit it is left out (word_rules_ok stays 0). */
static void index_words(ruleset *rs) {
    size_t total = 0;
    memset(rs->scratch, 0xFF, sizeof rs->scratch);
    for (int pass = 0; pass < 3; pass++) {
        for (size_t r = 0; r < rs->nrules; r++) {
            int hit = rs->rules[r].type == R_HIT;
            if ((pass == 1 && hit) || (pass == 2 && !hit)) continue;
            const set *st = &rs->sets[rs->elems[rs->rules[r].first + rs->rules[r].anchor].set];
            for (size_t i = st->first; i < (size_t)st->first + st->count; i++) {
                const word *w = &rs->words[rs->alts[i].first];
                if (w->sid) continue;
                winfo *x = &rs->wi[w->id];
                uint16_t *mark = &rs->scratch[w->id];
                if (pass == 0) {
                    if (*mark == r) continue;
                    *mark = (uint16_t)r;
                    if (++total > WORD_RULES_MAX) return;
                    if (hit) {
                        x->nhits++;
                    } else {
                        x->nexcl++;
                    }
                } else {
                    uint16_t *entry = *mark ? &rs->word_rules[x->rfirst + *mark - 1] : NULL;
                    if (!entry || (*entry & WR_RULE) != r) {
                        entry = &rs->word_rules[x->rfirst + (*mark)++];
                        *entry = (uint16_t)r;
                    }
                    if (rs->alts[i].n == 1) *entry |= WR_SURE;
                }
            }
        }
        if (pass == 0) {
            total = 0;
            for (size_t id = 0; id < rs->ninterned; id++) {
                rs->wi[id].rfirst = (uint16_t)total;
                total += rs->wi[id].nexcl + rs->wi[id].nhits;
                rs->scratch[id] = 0; /* now the entries written */
            }
        }
    }
    rs->word_rules_ok = 1;
}

/* The gate of element E (flags_int.h). */
static uint16_t gate_of(const elem *e) {
    return e->type == E_ALTS && !e->optional ? e->set : NO_GATE;
}

/* Sets the gates of the rules and of their elements. A rule whose anchor is
 * its first element starts only where that matched: it needs no gate. */
static void set_gates(ruleset *rs) {
    for (size_t r = 0; r < rs->nrules; r++) {
        rule *ru = &rs->rules[r];
        elem *e = &rs->elems[ru->first];
        ru->gate = ru->anchor ? gate_of(&e[0]) : NO_GATE;
        for (int i = 0; i < ru->nelems; i++) e[i].next_gate = i + 1 < ru->nelems ? gate_of(&e[i + 1]) : NO_GATE;
    }
}

/* Checks the engine classes and builds the indexes matching uses. */
static int finish(ruleset *rs, char *err, size_t errlen) {
    parser p = {.rs = rs, .file = "data/flags/common.tsv", .line = 0, .err = err, .errlen = errlen};
    int rc = mark_classes(rs, &p);
    if (rc) return rc;
    rc = file_rules(rs, &p);
    if (rc) return rc;
    index_lookup(rs);
    index_specials(rs);
    /* Most tokens are rule words that match no prefix or fuzzy word: marked,
     * they need not look for one. */
    for (size_t id = 0; id < rs->ninterned; id++)
        if (!flags__matches_special(rs, rs->pool + rs->wi[id].off, rs->wi[id].len)) rs->wi[id].bits |= W_NO_SPECIAL;
    index_starts(rs);
    index_words(rs);
    set_gates(rs);
    return HARK_OK;
}

/* Loads common.tsv and each kind's file from the compiled-in table into RS,
 * which must be all zero (static storage, or calloc), with EXTRA in place of
 * the file EXTRA_NAME when that is not NULL, and builds the indexes. Returns
 * 0, or HARK_EINVAL with a message naming the file and line in ERR. */
static int load(ruleset *rs, const char *extra_name, const char *extra, size_t extra_len, char *err, size_t errlen) {
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

static ruleset g_rules;
static int g_status = HARK_EINVAL;
static char g_err[256];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void load_once(void) {
    g_status = load(&g_rules, NULL, NULL, 0, g_err, sizeof g_err);
}

const ruleset *flags__rules(void) {
    pthread_once(&g_once, load_once);
    return g_status ? NULL : &g_rules;
}

int nlp_flags_init(char *err, size_t errlen) {
    pthread_once(&g_once, load_once);
    if (g_status && err && errlen) snprintf(err, errlen, "%s", g_err);
    return g_status;
}

int nlp_flags_check(const char *name, const char *text, size_t len, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) return HARK_ENOMEM;
    char msg[256];
    int rc = load(rs, name, text ? text : "", text ? len : 0, msg, sizeof msg);
    if (rc && err && errlen) snprintf(err, errlen, "%s", msg);
    free(rs);
    return rc;
}
