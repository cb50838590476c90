/* Unit tests for the anonymity rule (web/anon.h): k clamping, 1-D lists with
 * a total, zeros, small totals, 2-D heatmaps whose complementary cells cascade
 * across rows and columns, a table that every line protects but whose cell is
 * still derivable by adding and subtracting lines, margins known elsewhere,
 * flagged cells, the filter helper, bounds and bad input, and thousands of
 * random tables checked by an attacker written here independently of the
 * library: exact linear algebra over all the table's equations (no hidden
 * sensitive value may be determined) and, per line, the bounds each reason
 * publishes (no hidden value may be pinned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "web/anon.h"

#define MAXR  12
#define MAXC  12
#define MAXE  (MAXR * MAXC + MAXR + MAXC + 1)
#define MAXEQ (MAXR + MAXC + 2)

/* A table with its answer, values numbered as the checker sees them: cells
 * row-major, row totals, column totals, grand total. */
typedef struct tcase {
    size_t rows, cols;
    int k;
    int64_t n[MAXR * MAXC], row_total[MAXR], col_total[MAXC], grand;
    unsigned char parent[MAXR * MAXC];
    anon_margin rm, cm, gm;
    int per_line; /* use rml and cml in place of rm and cm */
    anon_margin rml[MAXR], cml[MAXC];
    anon_reason cell[MAXR * MAXC], row[MAXR], col[MAXC];
    anon_result res;
} tcase;

static size_t nvalues(const tcase *t) {
    return t->rows * t->cols + t->rows + t->cols + 1;
}

static int64_t value(const tcase *t, size_t e) {
    size_t rc = t->rows * t->cols;
    if (e < rc) return t->n[e];
    if (e < rc + t->rows) return t->row_total[e - rc];
    if (e < rc + t->rows + t->cols) return t->col_total[e - rc - t->rows];
    return t->grand;
}

static anon_reason reason(const tcase *t, size_t e) {
    size_t rc = t->rows * t->cols;
    if (e < rc) return t->cell[e];
    if (e < rc + t->rows) return t->row[e - rc];
    if (e < rc + t->rows + t->cols) return t->col[e - rc - t->rows];
    return t->res.grand;
}

static anon_margin margin(const tcase *t, size_t e) {
    size_t rc = t->rows * t->cols;
    if (e < rc) return ANON_MARGIN_SHOWN;
    if (e < rc + t->rows) return t->per_line ? t->rml[e - rc] : t->rm;
    if (e < rc + t->rows + t->cols) return t->per_line ? t->cml[e - rc - t->rows] : t->cm;
    return t->gm;
}

/* Fills the totals with the sums of the cells (counts of responses). */
static void sum_totals(tcase *t) {
    t->grand = 0;
    for (size_t i = 0; i < t->rows; i++) t->row_total[i] = 0;
    for (size_t j = 0; j < t->cols; j++) t->col_total[j] = 0;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            int64_t v = t->n[i * t->cols + j];
            t->row_total[i] += v;
            t->col_total[j] += v;
            t->grand += v;
        }
}

static int run(tcase *t) {
    anon_table in = {.rows = t->rows,
                     .cols = t->cols,
                     .n = t->n,
                     .parent = t->parent,
                     .row_total = t->row_total,
                     .col_total = t->col_total,
                     .grand_total = &t->grand,
                     .row_margin = t->rm,
                     .col_margin = t->cm,
                     .grand_margin = t->gm,
                     .row_margins = t->per_line ? t->rml : NULL,
                     .col_margins = t->per_line ? t->cml : NULL};
    memset(&t->res, 0, sizeof t->res);
    t->res.cell = t->cell;
    t->res.row = t->row;
    t->res.col = t->col;
    return anon_suppress(&in, t->k, &t->res);
}

/* A table of ROWS x COLS from CELLS, every margin shown. */
static void make(tcase *t, size_t rows, size_t cols, const int64_t *cells, int k) {
    memset(t, 0, sizeof *t);
    t->rows = rows;
    t->cols = cols;
    t->k = k;
    memcpy(t->n, cells, rows * cols * sizeof *cells);
    sum_totals(t);
}

/* ---- The attacker ---- */

#define P 2147483647LL /* the table's equations have 0/1 coefficients, so elimination mod P is exact */

static int64_t mulmod(int64_t a, int64_t b) {
    return (int64_t)((__int128)a * b % P);
}

static int64_t inverse(int64_t a) {
    int64_t r = 1, e = P - 2;
    a %= P;
    while (e) {
        if (e & 1) r = mulmod(r, a);
        a = mulmod(a, a);
        e >>= 1;
    }
    return r;
}

/* Which unknown values (reason other than ANON_SHOW) the published values
 * and the table's equations determine: DET[e] = 1. The equations: each row's
 * cells sum to its total, each column's to its total, the row totals and the
 * column totals each sum to the grand total. Known values move to the right
 * side, which does not change what is determined, so only the unknowns'
 * coefficients are kept. A value is determined when elimination leaves an
 * equation in it alone. */
static void determined(const tcase *t, const anon_reason *why, unsigned char *det) {
    static int64_t a[MAXEQ][MAXE];
    size_t E = nvalues(t), R = t->rows, C = t->cols, rc = R * C, m = R + C + 2;
    memset(a, 0, sizeof a);
    for (size_t i = 0; i < R; i++) {
        for (size_t j = 0; j < C; j++) {
            a[i][i * C + j] = 1;
            a[R + j][i * C + j] = 1;
        }
        a[i][rc + i] = P - 1;
        a[R + C][rc + i] = 1;
    }
    for (size_t j = 0; j < C; j++) {
        a[R + j][rc + R + j] = P - 1;
        a[R + C + 1][rc + R + j] = 1;
    }
    a[R + C][E - 1] = P - 1;
    a[R + C + 1][E - 1] = P - 1;
    for (size_t e = 0; e < E; e++)
        if (why[e] == ANON_SHOW)
            for (size_t q = 0; q < m; q++) a[q][e] = 0;
    size_t pivot_row[MAXE], r = 0;
    for (size_t e = 0; e < E; e++) pivot_row[e] = SIZE_MAX;
    for (size_t e = 0; e < E && r < m; e++) {
        size_t q = r;
        while (q < m && !a[q][e]) q++;
        if (q == m) continue;
        for (size_t x = 0; x < E; x++) {
            int64_t s = a[q][x];
            a[q][x] = a[r][x];
            a[r][x] = s;
        }
        int64_t inv = inverse(a[r][e]);
        for (size_t x = 0; x < E; x++) a[r][x] = mulmod(a[r][x], inv);
        for (size_t q2 = 0; q2 < m; q2++) {
            if (q2 == r || !a[q2][e]) continue;
            int64_t f = a[q2][e];
            for (size_t x = 0; x < E; x++) a[q2][x] = (a[q2][x] - mulmod(f, a[r][x]) + P) % P;
        }
        pivot_row[e] = r++;
    }
    for (size_t e = 0; e < E; e++) {
        det[e] = 0;
        if (why[e] == ANON_SHOW || pivot_row[e] == SIZE_MAX) continue;
        size_t others = 0;
        for (size_t x = 0; x < E; x++)
            if (x != e && a[pivot_row[e]][x]) others++;
        det[e] = others == 0;
    }
}

/* Must stay hidden and underivable: a cell or a total (not KNOWN) with
 * 0 < n < k, or a flagged cell. */
static int sensitive(const tcase *t, size_t e) {
    int64_t v = value(t, e);
    if (e < t->rows * t->cols && v > 0 && t->parent[e]) return 1;
    return v > 0 && v < anon_k_clamp(t->k) && margin(t, e) != ANON_MARGIN_KNOWN;
}

/* The bounds the client reads on a hidden value from its reason. */
static void published(const tcase *t, anon_reason r, int64_t *lo, int64_t *hi) {
    int64_t k = anon_k_clamp(t->k);
    *lo = 0;
    *hi = INT64_MAX;
    if (r == ANON_PRIMARY || r == ANON_TOTAL) *lo = 1, *hi = k - 1;
    if (r == ANON_COMPLEMENTARY || r == ANON_PARENT) *lo = k;
}

/* The parts and the total of line V (rows, columns, margin column, margin row). */
static size_t line(const tcase *t, size_t v, size_t *parts, size_t *total) {
    size_t R = t->rows, C = t->cols, rc = R * C, np = 0;
    if (v < R) {
        for (size_t j = 0; j < C; j++) parts[np++] = v * C + j;
        *total = rc + v;
    } else if (v < R + C) {
        for (size_t i = 0; i < R; i++) parts[np++] = i * C + (v - R);
        *total = rc + R + (v - R);
    } else if (v == R + C) {
        for (size_t i = 0; i < R; i++) parts[np++] = rc + i;
        *total = nvalues(t) - 1;
    } else {
        for (size_t j = 0; j < C; j++) parts[np++] = rc + R + j;
        *total = nvalues(t) - 1;
    }
    return np;
}

/* What the attacker finds. */
typedef struct breach {
    size_t derived;   /* sensitive values determined by the equations */
    size_t exposed;   /* constrained lines with one unknown value, or fewer than k in their unknown values */
    size_t pinned;    /* hidden values a line's bounds leave a single value */
    size_t malformed; /* reasons that break the rules' definitions */
} breach;

/* The line-limited attack: in each line whose total the client knows (shown,
 * KNOWN or, with LINEAR, derived), looks for a hidden value alone, a hidden
 * remainder of fewer than k, or a hidden value that the line's bounds fix
 * (neither one more nor one less fits the others' bounds). */
static void attack_lines(const tcase *t, const anon_reason *why, const unsigned char *det, breach *b) {
    int64_t k = anon_k_clamp(t->k);
    size_t parts[MAXR > MAXC ? MAXR : MAXC], total;
    for (size_t v = 0; v < t->rows + t->cols + 2; v++) {
        size_t np = line(t, v, parts, &total);
        if (why[total] != ANON_SHOW && !(det && det[total])) continue;
        /* What the client does not know nor derive in the line. */
        size_t h = 0;
        int need = 0;
        int64_t sum = 0;
        unsigned char open[MAXR > MAXC ? MAXR : MAXC];
        for (size_t p = 0; p < np; p++) {
            size_t e = parts[p];
            open[p] = why[e] != ANON_SHOW && !(det && det[e]);
            if (!open[p]) continue;
            h++;
            sum += value(t, e);
            if (why[e] != ANON_UNPUBLISHED || sensitive(t, e)) need = 1;
        }
        if (!need) continue;
        if (h < 2 || sum < k) b->exposed++;
        for (size_t p = 0; p < np; p++) {
            size_t e = parts[p];
            if (!open[p] || (why[e] == ANON_UNPUBLISHED && !sensitive(t, e))) continue;
            int64_t lo_o = 0, hi_o = 0, lo, hi, v0 = value(t, e);
            int inf_o = 0;
            for (size_t q = 0; q < np; q++) {
                if (q == p || !open[q]) continue;
                published(t, why[parts[q]], &lo, &hi);
                lo_o += lo;
                if (hi == INT64_MAX)
                    inf_o = 1;
                else
                    hi_o += hi;
            }
            published(t, why[e], &lo, &hi);
            int other = 0;
            for (int64_t d = -1; d <= 1; d += 2) {
                int64_t x = v0 + d, rest = sum - x;
                if (x >= lo && x <= hi && rest >= lo_o && (inf_o || rest <= hi_o)) other = 1;
            }
            if (!other) b->pinned++;
        }
    }
}

/* Every check, on T's answer. */
static breach attack(const tcase *t) {
    breach b = {0};
    size_t E = nvalues(t), rc = t->rows * t->cols;
    int64_t k = anon_k_clamp(t->k);
    anon_reason why[MAXE];
    unsigned char det[MAXE];
    for (size_t e = 0; e < E; e++) why[e] = reason(t, e);
    for (size_t e = 0; e < E; e++) {
        int64_t v = value(t, e);
        anon_margin m = margin(t, e);
        anon_reason r = why[e];
        if (m == ANON_MARGIN_KNOWN && r != ANON_SHOW) b.malformed++;
        if (m == ANON_MARGIN_ABSENT && r != ANON_UNPUBLISHED) b.malformed++;
        if (m != ANON_MARGIN_SHOWN) continue;
        if (t->res.withheld) {
            if (r != ANON_WITHHELD) b.malformed++;
            continue;
        }
        if (r == ANON_SHOW && v > 0 && v < k) b.malformed++;                  /* sizes 1..k-1 never appear */
        if (r == ANON_SHOW && e < rc && v > 0 && t->parent[e]) b.malformed++; /* nor flagged cells */
        if (r != ANON_SHOW && v == 0) b.malformed++;                          /* zeros are shown */
        if (r == ANON_PRIMARY && !(e < rc && v > 0 && v < k)) b.malformed++;
        if (r == ANON_TOTAL && !(e >= rc && v > 0 && v < k)) b.malformed++;
        if ((r == ANON_COMPLEMENTARY || r == ANON_PARENT) && v < k) b.malformed++;
        if (r == ANON_PARENT && !(e < rc && t->parent[e])) b.malformed++;
        if (r == ANON_WITHHELD || r == ANON_UNPUBLISHED) b.malformed++;
    }
    if (t->res.withheld) return b;
    determined(t, why, det);
    for (size_t e = 0; e < E; e++)
        if (det[e] && sensitive(t, e)) b.derived++;
    attack_lines(t, why, det, &b);
    return b;
}

/* The attack along lines only, as by hand: a hidden value alone in a line
 * with a known total, or a remainder below k, or a value the bounds fix. */
static breach attack_by_lines(const tcase *t) {
    breach b = {0};
    anon_reason why[MAXE];
    for (size_t e = 0; e < nvalues(t); e++) why[e] = reason(t, e);
    attack_lines(t, why, NULL, &b);
    return b;
}

static void assert_safe(const tcase *t) {
    breach b = attack(t);
    if (b.derived || b.exposed || b.pinned || b.malformed) {
        fprintf(stderr, "k=%d %zux%zu margins %d/%d/%d: derived %zu exposed %zu pinned %zu malformed %zu\n", t->k,
                t->rows, t->cols, t->rm, t->cm, t->gm, b.derived, b.exposed, b.pinned, b.malformed);
        for (size_t i = 0; i < t->rows; i++) {
            for (size_t j = 0; j < t->cols; j++)
                fprintf(stderr, " %3lld%c", (long long)t->n[i * t->cols + j], "-PTCXWU"[t->cell[i * t->cols + j]]);
            fprintf(stderr, " | %3lld%c\n", (long long)t->row_total[i], "-PTCXWU"[t->row[i]]);
        }
        for (size_t j = 0; j < t->cols; j++)
            fprintf(stderr, " %3lld%c", (long long)t->col_total[j], "-PTCXWU"[t->col[j]]);
        fprintf(stderr, " | %3lld%c\n", (long long)t->grand, "-PTCXWU"[t->res.grand]);
    }
    assert_int_equal(b.malformed, 0);
    assert_int_equal(b.derived, 0);
    assert_int_equal(b.exposed, 0);
    assert_int_equal(b.pinned, 0);
}

/* ---- Tests ---- */

static void k_clamp(void **state) {
    (void)state;
    assert_int_equal(anon_k_clamp(0), 5);
    assert_int_equal(anon_k_clamp(1), 3);
    assert_int_equal(anon_k_clamp(2), 3);
    assert_int_equal(anon_k_clamp(-7), 3);
    assert_int_equal(anon_k_clamp(3), 3);
    assert_int_equal(anon_k_clamp(10), 10);
    /* A k of 1 behaves as 3: a cell of 2 is hidden. */
    int64_t n[] = {2, 40, 50};
    anon_reason r[3], tr;
    assert_int_equal(anon_suppress_list(n, 3, NULL, ANON_MARGIN_SHOWN, 1, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_COMPLEMENTARY);
    assert_int_equal(r[2], ANON_SHOW);
    assert_int_equal(tr, ANON_SHOW);
}

/* One small group: it and the next smallest are hidden, nothing else. */
static void list_one_small(void **state) {
    (void)state;
    int64_t n[] = {3, 12, 40, 7}, total = 62;
    anon_reason r[4], tr;
    assert_int_equal(anon_suppress_list(n, 4, &total, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_SHOW);
    assert_int_equal(r[2], ANON_SHOW);
    assert_int_equal(r[3], ANON_COMPLEMENTARY);
    assert_int_equal(tr, ANON_SHOW);
    assert_string_equal(anon_reason_code(r[0]), "fewer_than_k");
    assert_string_equal(anon_reason_code(r[3]), "protects_another_group");
    assert_null(anon_reason_code(r[1]));
    /* Without a total anywhere, nothing can be subtracted from: only the small group goes. */
    assert_int_equal(anon_suppress_list(n, 4, NULL, ANON_MARGIN_ABSENT, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1] | r[2] | r[3], ANON_SHOW);
    assert_int_equal(tr, ANON_UNPUBLISHED);
    /* A total known elsewhere (the unfiltered view's) protects like a shown one. */
    assert_int_equal(anon_suppress_list(n, 4, &total, ANON_MARGIN_KNOWN, 5, r, &tr), 0);
    assert_int_equal(r[3], ANON_COMPLEMENTARY);
    assert_int_equal(tr, ANON_SHOW);
}

/* Groups of 1 and exactly k: hiding both would tell the client that the
 * remainder k + 1 splits only as 1 ("fewer than k") + k ("at least k"), so
 * the next smallest is hidden too. Two groups of 1 and k and nothing else:
 * the total goes instead. */
static void list_pinned(void **state) {
    (void)state;
    int64_t n[] = {1, 5, 20, 30};
    anon_reason r[6], tr;
    assert_int_equal(anon_suppress_list(n, 4, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_COMPLEMENTARY);
    assert_int_equal(r[2], ANON_COMPLEMENTARY);
    assert_int_equal(r[3], ANON_SHOW);
    assert_int_equal(tr, ANON_SHOW);
    int64_t m[] = {1, 5};
    assert_int_equal(anon_suppress_list(m, 2, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_SHOW);
    assert_int_equal(tr, ANON_COMPLEMENTARY);
    /* Five groups of 1: five hidden values of at least 1 summing to 5 are all 1. */
    int64_t ones[] = {1, 1, 1, 1, 1, 40};
    assert_int_equal(anon_suppress_list(ones, 6, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(r[i], ANON_PRIMARY);
    assert_int_equal(r[5], ANON_COMPLEMENTARY);
}

/* Zeros are shown and never chosen as complementary cells. */
static void list_zeros(void **state) {
    (void)state;
    int64_t n[] = {2, 0, 0, 40, 50};
    anon_reason r[5], tr;
    assert_int_equal(anon_suppress_list(n, 5, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_SHOW);
    assert_int_equal(r[2], ANON_SHOW);
    assert_int_equal(r[3], ANON_COMPLEMENTARY);
    assert_int_equal(r[4], ANON_SHOW);
    int64_t z[] = {0, 0, 0};
    assert_int_equal(anon_suppress_list(z, 3, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0] | r[1] | r[2] | tr, ANON_SHOW);
}

/* A total below k is hidden; so are its groups. */
static void list_small_total(void **state) {
    (void)state;
    int64_t n[] = {1, 2, 0};
    anon_reason r[3], tr;
    assert_int_equal(anon_suppress_list(n, 3, NULL, ANON_MARGIN_SHOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_PRIMARY);
    assert_int_equal(r[1], ANON_PRIMARY);
    assert_int_equal(r[2], ANON_SHOW);
    assert_int_equal(tr, ANON_TOTAL);
    assert_string_equal(anon_reason_code(tr), "fewer_than_k");
}

/* A total known elsewhere below k cannot be hidden: the list is withheld. */
static void known_small_total(void **state) {
    (void)state;
    int64_t n[] = {1, 2, 0}, total = 3;
    anon_reason r[3], tr;
    assert_int_equal(anon_suppress_list(n, 3, &total, ANON_MARGIN_KNOWN, 5, r, &tr), 0);
    assert_int_equal(r[0], ANON_WITHHELD);
    assert_int_equal(r[1], ANON_WITHHELD);
    assert_int_equal(r[2], ANON_WITHHELD);
    assert_int_equal(tr, ANON_SHOW);
    assert_string_equal(anon_reason_code(r[2]), "withheld");
}

static uint64_t rng_state;

static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t below(int64_t n) {
    return (int64_t)(rnd() % (uint64_t)n);
}

/* A count with many small groups, many zeros and many of exactly k. */
static int64_t random_count(int k) {
    int64_t x = below(100);
    if (x < 25) return 0;
    if (x < 60) return 1 + below(k - 1);
    if (x < 70) return k;
    if (x < 80) return k + 1 + below(3);
    return k + below(60);
}

/* Thousands of lists: sizes 1..k-1 never appear, a hidden group never stands
 * alone, hidden groups hold k together, none is pinned. */
static void list_random(void **state) {
    (void)state;
    rng_state = 42;
    for (int iter = 0; iter < 3000; iter++) {
        tcase t;
        memset(&t, 0, sizeof t);
        t.rows = 1;
        t.cols = 1 + (size_t)below(MAXC);
        t.k = (int)(3 + below(5));
        for (size_t j = 0; j < t.cols; j++) t.n[j] = random_count(t.k);
        sum_totals(&t);
        t.rm = below(4) ? ANON_MARGIN_SHOWN : ANON_MARGIN_KNOWN;
        t.cm = ANON_MARGIN_ABSENT;
        t.gm = ANON_MARGIN_ABSENT;
        assert_int_equal(run(&t), 0);
        assert_safe(&t);
        size_t hidden = 0;
        int64_t sum = 0;
        for (size_t j = 0; j < t.cols; j++) {
            if (t.cell[j] == ANON_SHOW) {
                assert_false(t.n[j] > 0 && t.n[j] < t.k);
            } else {
                hidden++;
                sum += t.n[j];
            }
        }
        if (hidden && t.row[0] == ANON_SHOW && !t.res.withheld) {
            assert_true(hidden >= 2);
            assert_true(sum >= t.k);
        }
    }
}

/* A heatmap where a cell hidden for its row exposes its column, whose
 * complementary cells then expose two rows, and so on to a fixed point:
 *
 *       2   8  30        P  C  .
 *      20   6  25   ->   C  C  .
 *      12   9  40        C  C  .
 *
 * Row 0 hides 8 for 2; column 0 hides 12 (rows 0 and 2) for 2; column 1
 * hides 6 for 8, which leaves 6 alone in row 1 and 12 alone in row 2: row 1
 * hides 20, row 2 hides 9. */
static void heatmap_fixed_point(void **state) {
    (void)state;
    const int64_t cells[] = {2, 8, 30, 20, 6, 25, 12, 9, 40};
    const anon_reason want[] = {ANON_PRIMARY,       ANON_COMPLEMENTARY, ANON_SHOW,
                                ANON_COMPLEMENTARY, ANON_COMPLEMENTARY, ANON_SHOW,
                                ANON_COMPLEMENTARY, ANON_COMPLEMENTARY, ANON_SHOW};
    tcase t;
    make(&t, 3, 3, cells, 5);
    assert_int_equal(run(&t), 0);
    for (size_t e = 0; e < 9; e++) assert_int_equal(t.cell[e], want[e]);
    for (size_t i = 0; i < 3; i++) assert_int_equal(t.row[i], ANON_SHOW);
    assert_int_equal(t.res.primary, 1);
    assert_int_equal(t.res.complementary, 5);
    assert_safe(&t);
    /* Hidden for its row only, 8 would be alone in its column (8 = 23 - 6 - 9),
     * and then 2 = 40 - 8 - 30. */
    for (size_t e = 0; e < 9; e++) t.cell[e] = e == 0 ? ANON_PRIMARY : e == 1 ? ANON_COMPLEMENTARY : ANON_SHOW;
    assert_int_equal(attack_by_lines(&t).exposed, 2); /* column 0 and column 1 */
    assert_int_equal(attack(&t).derived, 1);
}

/* Every line holds two hidden cells or more, at least k together, yet A3 is
 * derivable: (rows A + B) - (columns 1 + 2) leaves A3 alone, as the hidden
 * cells form two blocks joined only by A3. Rule 3 hides B3 (6, the smallest
 * value closing a cycle through A3), which no line rule asks for.
 *
 *           1   2   3   4
 *      A    2   1   1   9
 *      B    1   2   6  30
 *      C   25  40   2   1
 *      D   35  20   1   2      k = 3 */
static void heatmap_linked_blocks(void **state) {
    (void)state;
    const int64_t cells[] = {2, 1, 1, 9, 1, 2, 6, 30, 25, 40, 2, 1, 35, 20, 1, 2};
    tcase t;
    make(&t, 4, 4, cells, 3);
    /* Primaries only: the line-limited attack finds nothing, the equations do. */
    for (size_t e = 0; e < 16; e++) t.cell[e] = cells[e] < 3 ? ANON_PRIMARY : ANON_SHOW;
    breach b = attack_by_lines(&t);
    assert_int_equal(b.exposed + b.pinned + b.malformed, 0);
    b = attack(&t);
    assert_int_equal(b.derived, 1);
    assert_int_equal(run(&t), 0);
    for (size_t e = 0; e < 16; e++)
        assert_int_equal(t.cell[e], e == 6 ? ANON_COMPLEMENTARY : cells[e] < 3 ? ANON_PRIMARY : ANON_SHOW);
    assert_int_equal(t.res.complementary, 1);
    assert_safe(&t);
}

/* A row total below k is hidden, and the margin column (row totals and the
 * grand total) is a line like any other. */
static void heatmap_small_row_total(void **state) {
    (void)state;
    const int64_t cells[] = {1, 1, 0, 20, 30, 40, 25, 35, 45, 22, 33, 44};
    tcase t;
    make(&t, 4, 3, cells, 5);
    assert_int_equal(run(&t), 0);
    assert_int_equal(t.cell[0], ANON_PRIMARY);
    assert_int_equal(t.cell[1], ANON_PRIMARY);
    assert_int_equal(t.cell[2], ANON_SHOW);
    assert_int_equal(t.row[0], ANON_TOTAL);
    size_t other_rows = 0;
    for (size_t i = 1; i < 4; i++) other_rows += t.row[i] != ANON_SHOW;
    assert_true(other_rows >= 1);
    assert_int_equal(t.res.grand, ANON_SHOW);
    assert_safe(&t);
}

/* A flagged cell (it differs from the unfiltered heatmap's by fewer than k)
 * is hidden and protected like a small one. */
static void heatmap_parent_flag(void **state) {
    (void)state;
    const int64_t cells[] = {30, 12, 40, 25, 35, 45};
    tcase t;
    make(&t, 2, 3, cells, 5);
    t.parent[1] = 1;
    assert_int_equal(run(&t), 0);
    assert_int_equal(t.cell[1], ANON_PARENT);
    assert_string_equal(anon_reason_code(t.cell[1]), "protects_another_group");
    assert_int_equal(t.res.parent, 1);
    assert_true(t.res.complementary >= 3);
    assert_safe(&t);
    /* The flag means nothing on a zero, and a small cell stays PRIMARY. */
    const int64_t cells2[] = {0, 2, 40, 25, 35, 45};
    make(&t, 2, 3, cells2, 5);
    t.parent[0] = t.parent[1] = 1;
    assert_int_equal(run(&t), 0);
    assert_int_equal(t.cell[0], ANON_SHOW);
    assert_int_equal(t.cell[1], ANON_PRIMARY);
    assert_safe(&t);
}

/* A complementary cell is never one its other line gives away: 7 is the
 * only non-zero cell of row 1, whose total is public elsewhere, so column 0
 * hides its total rather than 7, and the table is not withheld.
 *
 *      46   3   3   3 | 55 known      k = 4: the three 3s are pinned at 3
 *       7   0   0   0 |  7 known      (all at "fewer than 4"), so 46 goes
 *       0   0   0   0 |  0 known      too, which leaves 46 alone in column 0 */
static void heatmap_useless_candidate(void **state) {
    (void)state;
    const int64_t cells[] = {46, 3, 3, 3, 7, 0, 0, 0, 0, 0, 0, 0};
    tcase t;
    make(&t, 3, 4, cells, 4);
    t.rm = ANON_MARGIN_KNOWN;
    t.gm = ANON_MARGIN_ABSENT;
    assert_int_equal(run(&t), 0);
    assert_false(t.res.withheld);
    assert_int_equal(t.cell[0], ANON_COMPLEMENTARY);
    assert_int_equal(t.cell[4], ANON_SHOW);
    assert_int_equal(t.col[0], ANON_COMPLEMENTARY);
    for (size_t j = 1; j < 4; j++) assert_int_equal(t.col[j], ANON_TOTAL);
    assert_safe(&t);
}

/* Linked tables, as anon.h says to handle them: the department list is
 * suppressed first, then the department x month heatmap gets the list's
 * visible totals as KNOWN row totals, its hidden ones as ABSENT, and the
 * list's total as its KNOWN grand total. HR (9) is hidden in the list to
 * protect Legal (2), but its one non-zero month shows 9 in the heatmap: the
 * heatmap must hide that cell, or Legal = 53 - 12 - 30 - 9. */
static void linked_tables(void **state) {
    (void)state;
    int64_t depts[] = {12, 2, 30, 9}, total = 53;
    anon_reason list[4], list_total;
    assert_int_equal(anon_suppress_list(depts, 4, &total, ANON_MARGIN_SHOWN, 5, list, &list_total), 0);
    assert_int_equal(list[1], ANON_PRIMARY);
    assert_int_equal(list[3], ANON_COMPLEMENTARY);
    assert_int_equal(list[0] | list[2] | list_total, ANON_SHOW);
    const int64_t cells[] = {6, 6, 0, 2, 0, 0, 10, 10, 10, 9, 0, 0};
    tcase t;
    make(&t, 4, 3, cells, 5);
    t.per_line = 1;
    for (size_t i = 0; i < 4; i++) t.rml[i] = list[i] == ANON_SHOW ? ANON_MARGIN_KNOWN : ANON_MARGIN_ABSENT;
    for (size_t j = 0; j < 3; j++) t.cml[j] = ANON_MARGIN_SHOWN;
    t.gm = ANON_MARGIN_KNOWN;
    assert_int_equal(run(&t), 0);
    assert_false(t.res.withheld);
    assert_int_equal(t.cell[3], ANON_PRIMARY);
    assert_int_equal(t.cell[9], ANON_COMPLEMENTARY);
    assert_int_equal(t.row[1], ANON_UNPUBLISHED);
    assert_int_equal(t.row[3], ANON_UNPUBLISHED);
    assert_safe(&t);
    /* Per-table margins cannot say this: all rows ABSENT leaves 9 visible. */
    t.per_line = 0;
    t.rm = ANON_MARGIN_ABSENT;
    assert_int_equal(run(&t), 0);
    assert_int_equal(t.cell[9], ANON_SHOW);
}

/* No margin published: nothing to subtract from, only primaries. */
static void heatmap_no_margins(void **state) {
    (void)state;
    const int64_t cells[] = {1, 30, 2, 40, 25, 3};
    tcase t;
    make(&t, 2, 3, cells, 5);
    t.rm = t.cm = t.gm = ANON_MARGIN_ABSENT;
    assert_int_equal(run(&t), 0);
    assert_int_equal(t.res.primary, 3);
    assert_int_equal(t.res.complementary, 0);
    assert_safe(&t);
}

/* The same table gives the same answer. */
static void deterministic(void **state) {
    (void)state;
    rng_state = 7;
    for (int iter = 0; iter < 200; iter++) {
        tcase a, b;
        memset(&a, 0, sizeof a);
        a.rows = 1 + (size_t)below(MAXR);
        a.cols = 1 + (size_t)below(MAXC);
        a.k = 5;
        for (size_t e = 0; e < a.rows * a.cols; e++) a.n[e] = random_count(a.k);
        sum_totals(&a);
        b = a;
        assert_int_equal(run(&a), 0);
        assert_int_equal(run(&b), 0);
        assert_memory_equal(a.cell, b.cell, a.rows * a.cols * sizeof a.cell[0]);
        assert_memory_equal(a.row, b.row, a.rows * sizeof a.row[0]);
        assert_memory_equal(a.col, b.col, a.cols * sizeof a.col[0]);
        assert_int_equal(a.res.grand, b.res.grand);
    }
}

/* Thousands of tables of every shape up to 12 x 12, with many small cells,
 * zeros and cells of exactly k, margins shown, known elsewhere or absent,
 * some cells flagged: the attacker never recovers a sensitive value, no line
 * is exposed or pins a value, and the rules' definitions hold. Tables are
 * withheld only when a known margin forces it, and most cells of k or more
 * stay visible (the rules do not simply hide everything). */
static void random_tables(void **state) {
    (void)state;
    rng_state = 20240601;
    size_t tables = 0, withheld = 0, withheld_big = 0, big = 0, big_shown = 0;
    unsigned max_rounds = 0;
    for (int iter = 0; iter < 6000; iter++) {
        tcase t;
        memset(&t, 0, sizeof t);
        t.rows = 1 + (size_t)below(MAXR);
        t.cols = 1 + (size_t)below(MAXC);
        t.k = (int)(3 + below(5));
        for (size_t e = 0; e < t.rows * t.cols; e++) {
            t.n[e] = random_count(t.k);
            t.parent[e] = below(40) == 0;
        }
        sum_totals(&t);
        anon_margin ms[] = {ANON_MARGIN_SHOWN, ANON_MARGIN_SHOWN,  ANON_MARGIN_SHOWN,  ANON_MARGIN_SHOWN,
                            ANON_MARGIN_SHOWN, ANON_MARGIN_ABSENT, ANON_MARGIN_ABSENT, ANON_MARGIN_KNOWN};
        t.rm = ms[below(8)];
        t.cm = ms[below(8)];
        t.gm = ms[below(8)];
        t.per_line = below(3) == 0;
        for (size_t i = 0; i < t.rows; i++) t.rml[i] = ms[below(8)];
        for (size_t j = 0; j < t.cols; j++) t.cml[j] = ms[below(8)];
        assert_int_equal(run(&t), 0);
        assert_safe(&t);
        tables++;
        if (t.res.rounds > max_rounds) max_rounds = t.res.rounds;
        if (t.res.withheld) {
            withheld++;
            int small_known = 0;
            for (size_t e = t.rows * t.cols; e < nvalues(&t); e++)
                if (margin(&t, e) == ANON_MARGIN_KNOWN && value(&t, e) > 0 && value(&t, e) < anon_k_clamp(t.k))
                    small_known = 1;
            if (!small_known) withheld_big++;
            int known = 0;
            for (size_t e = t.rows * t.cols; e < nvalues(&t); e++) known |= margin(&t, e) == ANON_MARGIN_KNOWN;
            assert_true(known);
            continue;
        }
        for (size_t e = 0; e < t.rows * t.cols; e++) {
            if (t.n[e] < t.k || t.parent[e]) continue;
            big++;
            big_shown += t.cell[e] == ANON_SHOW;
        }
    }
    print_message("%zu tables, %zu withheld (%zu without a known total below k), %zu of %zu cells >= k shown, at most "
                  "%u rounds\n",
                  tables, withheld, withheld_big, big_shown, big, max_rounds);
    assert_true(withheld * 10 < tables);
    assert_true(big_shown * 2 > big);
}

/* A large heatmap (department x month at the cell bound) completes, and its
 * lines pass the line attack (the linear one is for small tables). */
static void large_table(void **state) {
    (void)state;
    size_t R = 2048, C = 32, RC = R * C;
    int64_t *n = malloc(RC * sizeof *n);
    anon_reason *cell = malloc(RC * sizeof *cell), *row = malloc(R * sizeof *row), col[32];
    assert_non_null(n);
    assert_non_null(cell);
    assert_non_null(row);
    rng_state = 99;
    for (size_t e = 0; e < RC; e++) n[e] = random_count(5);
    anon_table t = {.rows = R, .cols = C, .n = n};
    anon_result r = {.cell = cell, .row = row, .col = col};
    assert_int_equal(anon_suppress(&t, 5, &r), 0);
    assert_false(r.withheld);
    for (size_t i = 0; i < R; i++) {
        size_t h = 0;
        int64_t sum = 0;
        for (size_t j = 0; j < C; j++) {
            int64_t v = n[i * C + j];
            assert_false(cell[i * C + j] == ANON_SHOW && v > 0 && v < 5);
            if (cell[i * C + j] != ANON_SHOW) h++, sum += v;
        }
        if (h && row[i] == ANON_SHOW) {
            assert_true(h >= 2);
            assert_true(sum >= 5);
        }
    }
    for (size_t j = 0; j < C; j++) {
        size_t h = 0;
        int64_t sum = 0;
        for (size_t i = 0; i < R; i++)
            if (cell[i * C + j] != ANON_SHOW) h++, sum += n[i * C + j];
        if (h && col[j] == ANON_SHOW) {
            assert_true(h >= 2);
            assert_true(sum >= 5);
        }
    }
    free(n);
    free(cell);
    free(row);
}

/* "department = Sales" (40) vs "department = Sales AND location != Lyon":
 * refused when Lyon's share is 1..k-1. */
static void filter_differencing(void **state) {
    (void)state;
    assert_int_equal(anon_filter_ok(38, 40, 5), 0); /* 2 in Lyon */
    assert_int_equal(anon_filter_ok(36, 40, 5), 0); /* 4 */
    assert_int_equal(anon_filter_ok(35, 40, 5), 1); /* 5 */
    assert_int_equal(anon_filter_ok(40, 40, 5), 1); /* nobody in Lyon: the same view */
    assert_int_equal(anon_filter_ok(0, 40, 5), 1);  /* an empty view */
    assert_int_equal(anon_filter_ok(3, 40, 5), 0);  /* the view itself is small */
    assert_int_equal(anon_filter_ok(38, 40, 1), 0); /* k clamped to 3 */
    assert_int_equal(anon_filter_ok(37, 40, 1), 1);
    assert_int_equal(anon_filter_ok(38, 40, 0), 0); /* default 5 */
    assert_int_equal(anon_filter_ok(36, 40, 0), 0);
    assert_int_equal(anon_filter_ok(41, 40, 5), 0); /* inconsistent: refused */
    assert_int_equal(anon_filter_ok(-1, 40, 5), 0);
}

static void bounds_and_input(void **state) {
    (void)state;
    size_t big = 1024 * 1024;
    int64_t *n = calloc(big, sizeof *n);
    anon_reason *cell = calloc(big, sizeof *cell);
    assert_non_null(n);
    assert_non_null(cell);
    anon_table t = {.rows = 1024, .cols = 1024, .n = n};
    anon_result r = {.cell = cell};
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_ETOOBIG);
    t.rows = 1, t.cols = ANON_MAX_DIM + 1;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_ETOOBIG);
    t.rows = ANON_MAX_DIM, t.cols = ANON_MAX_CELLS / ANON_MAX_DIM + 1;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_ETOOBIG);
    t.rows = ANON_MAX_DIM, t.cols = ANON_MAX_CELLS / ANON_MAX_DIM;
    assert_int_equal(anon_suppress(&t, 5, &r), 0);
    assert_int_equal(anon_suppress_list(n, ANON_MAX_DIM + 1, NULL, ANON_MARGIN_SHOWN, 5, cell, NULL), HARK_ETOOBIG);
    t.rows = 0, t.cols = 3;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    assert_int_equal(anon_suppress_list(n, 0, NULL, ANON_MARGIN_SHOWN, 5, cell, NULL), HARK_EINVAL);
    t.rows = 1;
    t.n = NULL;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    t.n = n;
    r.cell = NULL;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    r.cell = cell;
    t.row_margin = (anon_margin)7;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    t.row_margin = ANON_MARGIN_SHOWN;
    anon_margin bad[3] = {ANON_MARGIN_SHOWN, ANON_MARGIN_SHOWN, (anon_margin)-1};
    t.col_margins = bad;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    t.col_margins = NULL;
    n[1] = -1;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    n[1] = ANON_MAX_COUNT + 1;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    /* Totals: not below the largest value of their line, not above its sum
     * (distinct respondents can make them smaller than the sum). */
    n[0] = 10, n[1] = 20, n[2] = 30;
    int64_t total = 29;
    t.row_total = &total;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    total = 61;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL);
    total = 45;
    assert_int_equal(anon_suppress(&t, 5, &r), HARK_EINVAL); /* the grand total defaults to 60 */
    t.grand_total = &total;
    assert_int_equal(anon_suppress(&t, 5, &r), 0);
    free(n);
    free(cell);
}

/* The attacker itself can fail: one hidden cell in a row with a shown total
 * is found, and so is a shown small cell. */
static void attacker_finds(void **state) {
    (void)state;
    const int64_t cells[] = {2, 30, 40, 25, 35, 45};
    tcase t;
    make(&t, 2, 3, cells, 5);
    t.cell[0] = ANON_PRIMARY;
    assert_int_equal(attack_by_lines(&t).exposed, 2); /* its row and its column */
    breach b = attack(&t);
    assert_int_equal(b.derived, 1);
    t.cell[0] = ANON_SHOW;
    b = attack(&t);
    assert_int_equal(b.malformed, 1);
    /* Row 0 hides 1 and 5 (k = 5): the line's bounds pin both. */
    const int64_t pin[] = {1, 5, 40};
    make(&t, 1, 3, pin, 5);
    t.cm = t.gm = ANON_MARGIN_ABSENT;
    t.col[0] = t.col[1] = t.col[2] = t.res.grand = ANON_UNPUBLISHED;
    t.cell[0] = ANON_PRIMARY;
    t.cell[1] = ANON_COMPLEMENTARY;
    b = attack(&t);
    assert_int_equal(b.derived + b.exposed + b.malformed, 0);
    assert_int_equal(b.pinned, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(k_clamp),
        cmocka_unit_test(list_one_small),
        cmocka_unit_test(list_pinned),
        cmocka_unit_test(list_zeros),
        cmocka_unit_test(list_small_total),
        cmocka_unit_test(known_small_total),
        cmocka_unit_test(list_random),
        cmocka_unit_test(heatmap_fixed_point),
        cmocka_unit_test(heatmap_linked_blocks),
        cmocka_unit_test(heatmap_small_row_total),
        cmocka_unit_test(heatmap_parent_flag),
        cmocka_unit_test(heatmap_useless_candidate),
        cmocka_unit_test(heatmap_no_margins),
        cmocka_unit_test(linked_tables),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(random_tables),
        cmocka_unit_test(large_table),
        cmocka_unit_test(filter_differencing),
        cmocka_unit_test(bounds_and_input),
        cmocka_unit_test(attacker_finds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
