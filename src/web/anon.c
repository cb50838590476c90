/* The anonymity rule (anon.h): primary suppression, then complementary
 * suppression line by line (rule 2) and across lines (rule 3) to a fixed
 * point. The table is held as a graph: one vertex per line (each row, each
 * column, S for the margin column of row totals, U for the margin row of
 * column totals) and one edge per value, joining the two lines it belongs to
 * (cell (i, j): row i and column j; row total i: row i and S; column total j:
 * column j and U; grand total: S and U). Each vertex's line says that its
 * total edge is the sum of its other edges. Not here: what the values mean
 * or how they are rendered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "web/anon.h"

#define NONE UINT32_MAX

/* What kind of value an edge is. */
enum { K_CELL, K_SHOWN, K_KNOWN, K_ABSENT };

/* Per-edge flags. */
enum {
    F_SENSITIVE = 1, /* must never be derivable: 0 < n < k (not KNOWN), or a PARENT cell */
    F_PROTECT = 2,   /* a derivable total rule 2 needs underivable */
    F_BRIDGE = 4,    /* an unknown edge on no cycle of unknown edges (this round) */
};

typedef struct ctx {
    size_t rows, cols, ncells, nedges, nverts;
    int64_t k;
    int withheld;
    int changed;
    int64_t *n;          /* per edge */
    unsigned char *kind; /* per edge: K_* */
    unsigned char *why;  /* per edge: anon_reason */
    unsigned char *flag; /* per edge: F_* */
    uint32_t *adj_start; /* per vertex + 1: the unknown edges of vertex v are adj[adj_start[v] .. adj_start[v+1]) */
    uint32_t *adj;       /* 2 per edge */
    uint32_t *tin, *low, *tout, *comp, *pedge, *iter, *stack; /* per vertex, for the bridge search */
    uint32_t *queue;                                          /* per vertex: lines to check (rule 2) */
    unsigned char *queued;                                    /* per vertex */
    uint64_t *cand; /* per edge: the candidates of one line (rule 2), or the edges rule 3 hid */
} ctx;

/* Vertex numbers: rows, then columns, then S, then U. Edge numbers: cells
 * row-major, then row totals, column totals, grand total. */
static size_t vert_s(const ctx *c) {
    return c->rows + c->cols;
}
static size_t vert_u(const ctx *c) {
    return c->rows + c->cols + 1;
}
static size_t edge_grand(const ctx *c) {
    return c->nedges - 1;
}

static void ends(const ctx *c, size_t e, size_t *a, size_t *b) {
    if (e < c->ncells) {
        *a = e / c->cols;
        *b = c->rows + e % c->cols;
    } else if (e < c->ncells + c->rows) {
        *a = e - c->ncells;
        *b = vert_s(c);
    } else if (e < c->ncells + c->rows + c->cols) {
        *a = c->rows + (e - c->ncells - c->rows);
        *b = vert_u(c);
    } else {
        *a = vert_s(c);
        *b = vert_u(c);
    }
}

static size_t other_end(const ctx *c, size_t e, size_t v) {
    size_t a, b;
    ends(c, e, &a, &b);
    return a == v ? b : a;
}

/* The line of vertex V: its parts (the values it sums) and its total. */
static size_t line_len(const ctx *c, size_t v) {
    if (v < c->rows) return c->cols;
    if (v < c->rows + c->cols) return c->rows;
    return v == vert_s(c) ? c->rows : c->cols;
}

static size_t line_part(const ctx *c, size_t v, size_t p) {
    if (v < c->rows) return v * c->cols + p;
    if (v < c->rows + c->cols) return p * c->cols + (v - c->rows);
    return v == vert_s(c) ? c->ncells + p : c->ncells + c->rows + p;
}

static size_t line_total(const ctx *c, size_t v) {
    if (v < c->rows) return c->ncells + v;
    if (v < c->rows + c->cols) return c->ncells + c->rows + (v - c->rows);
    return edge_grand(c);
}

/* Edge P of vertex V's line, its total last (P == line_len). */
static size_t line_edge(const ctx *c, size_t v, size_t p) {
    return p < line_len(c, v) ? line_part(c, v, p) : line_total(c, v);
}

/* Unknown to the client: hidden here, or never published. */
static int unknown(const ctx *c, size_t e) {
    return c->why[e] != ANON_SHOW;
}

/* Hidden by the rules (as opposed to ABSENT). */
static int hidden(const ctx *c, size_t e) {
    return c->why[e] != ANON_SHOW && c->why[e] != ANON_UNPUBLISHED;
}

/* May be hidden to protect another: visible, not KNOWN, not 0. */
static int hideable(const ctx *c, size_t e) {
    return c->why[e] == ANON_SHOW && c->kind[e] != K_KNOWN && c->n[e] > 0;
}

/* The bounds the client reads on an unknown value from its reason; *INF when
 * there is no upper bound. */
static void bounds(const ctx *c, size_t e, int64_t *lo, int64_t *hi, int *inf) {
    *inf = 0;
    switch (c->why[e]) {
    case ANON_PRIMARY:
    case ANON_TOTAL:
        *lo = 1;
        *hi = c->k - 1;
        return;
    case ANON_COMPLEMENTARY:
    case ANON_PARENT: *lo = c->k; break;
    default: *lo = 0; break;
    }
    *hi = 0; /* so that hi_sum - hi is right for unbounded parts too */
    *inf = 1;
}

static void push_line(ctx *c, size_t v, size_t *tail, size_t *count) {
    if (c->queued[v]) return;
    c->queued[v] = 1;
    c->queue[*tail] = (uint32_t)v;
    *tail = (*tail + 1) % c->nverts;
    (*count)++;
}

/* Rule 4: every value the table would show is withheld, so that no reason
 * publishes a bound. KNOWN values stay public; ABSENT ones unpublished. */
static void withhold(ctx *c) {
    for (size_t e = 0; e < c->nedges; e++)
        if (c->kind[e] == K_CELL || c->kind[e] == K_SHOWN) c->why[e] = ANON_WITHHELD;
    c->withheld = 1;
}

/* Rebuilds the graph of unknown edges and marks its bridges (F_BRIDGE),
 * with an iterative Tarjan search that also records, for each vertex, its
 * tree (comp), its parent edge and its subtree's interval of discovery times
 * [tin, tout]. Linear in vertices and edges. */
static void find_bridges(ctx *c) {
    size_t V = c->nverts;
    memset(c->adj_start, 0, (V + 1) * sizeof *c->adj_start);
    for (size_t e = 0; e < c->nedges; e++) {
        c->flag[e] &= (unsigned char)~F_BRIDGE;
        if (!unknown(c, e)) continue;
        size_t a, b;
        ends(c, e, &a, &b);
        c->adj_start[a + 1]++;
        c->adj_start[b + 1]++;
    }
    for (size_t v = 0; v < V; v++) {
        c->adj_start[v + 1] += c->adj_start[v];
        c->iter[v] = c->adj_start[v];
    }
    for (size_t e = 0; e < c->nedges; e++) {
        if (!unknown(c, e)) continue;
        size_t a, b;
        ends(c, e, &a, &b);
        c->adj[c->iter[a]++] = (uint32_t)e;
        c->adj[c->iter[b]++] = (uint32_t)e;
    }
    for (size_t v = 0; v < V; v++) {
        c->tin[v] = NONE;
        c->iter[v] = c->adj_start[v];
    }
    uint32_t timer = 0;
    for (size_t root = 0; root < V; root++) {
        if (c->tin[root] != NONE) continue;
        size_t sp = 0;
        c->stack[sp++] = (uint32_t)root;
        c->pedge[root] = NONE;
        c->comp[root] = (uint32_t)root;
        c->tin[root] = c->low[root] = timer++;
        while (sp) {
            uint32_t v = c->stack[sp - 1];
            if (c->iter[v] < c->adj_start[v + 1]) {
                uint32_t e = c->adj[c->iter[v]++];
                if (e == c->pedge[v]) continue;
                uint32_t w = (uint32_t)other_end(c, e, v);
                if (c->tin[w] == NONE) {
                    c->pedge[w] = e;
                    c->comp[w] = (uint32_t)root;
                    c->tin[w] = c->low[w] = timer++;
                    c->stack[sp++] = w;
                } else if (c->tin[w] < c->low[v]) {
                    c->low[v] = c->tin[w];
                }
            } else {
                c->tout[v] = timer - 1;
                sp--;
                if (sp) {
                    uint32_t p = c->stack[sp - 1];
                    if (c->low[v] < c->low[p]) c->low[p] = c->low[v];
                    if (c->low[v] > c->tin[p]) c->flag[c->pedge[v]] |= F_BRIDGE;
                }
            }
        }
    }
}

/* Rule 2 for the line of vertex V, whose total the client knows: 1 when it
 * needs nothing more hidden. With EXACT (the bridges are current), values
 * the client can derive count as known. */
static int line_safe(const ctx *c, size_t v, int exact) {
    size_t len = line_len(c, v), h = 0, ninf = 0;
    int64_t sum = 0, lo_sum = 0, hi_sum = 0;
    int need = 0;
    for (size_t p = 0; p < len; p++) {
        size_t e = line_part(c, v, p);
        if (!unknown(c, e) || (exact && (c->flag[e] & F_BRIDGE))) continue;
        int64_t lo, hi;
        int inf;
        bounds(c, e, &lo, &hi, &inf);
        h++;
        sum += c->n[e];
        lo_sum += lo;
        if (inf)
            ninf++;
        else
            hi_sum += hi;
        if (hidden(c, e) || (c->flag[e] & F_SENSITIVE)) need = 1;
    }
    if (!need) return 1;
    if (h < 2 || sum < c->k) return 0;
    /* Rule 2c: the largest and smallest value each part can take when the
     * others take their bounds; equal means the line pins it. */
    for (size_t p = 0; p < len; p++) {
        size_t e = line_part(c, v, p);
        if (!unknown(c, e) || (exact && (c->flag[e] & F_BRIDGE))) continue;
        if (!hidden(c, e) && !(c->flag[e] & F_SENSITIVE)) continue;
        int64_t lo, hi;
        int inf;
        bounds(c, e, &lo, &hi, &inf);
        int64_t most = sum - (lo_sum - lo);
        if (!inf && hi < most) most = hi;
        /* With another part unbounded above, nothing raises the least. */
        int64_t least = lo;
        if (ninf == (size_t)inf && sum - (hi_sum - hi) > least) least = sum - (hi_sum - hi);
        if (most <= least) return 0;
    }
    return 1;
}

/* Candidates are sorted by (n, index) as one key: n below 2^30, index below
 * 2^17. */
static uint64_t key(const ctx *c, size_t e) {
    return (uint64_t)c->n[e] << 32 | e;
}

static size_t key_edge(uint64_t key) {
    return (size_t)(key & 0xffffffffu);
}

static int by_key(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void hide(ctx *c, size_t e, size_t *tail, size_t *count) {
    size_t a, b;
    c->why[e] = ANON_COMPLEMENTARY;
    c->changed = 1;
    ends(c, e, &a, &b);
    push_line(c, a, tail, count);
    push_line(c, b, tail, count);
}

/* Whether hiding E, a part of line V, could hide its value: the other line
 * through E must hold another value that is unknown or may be hidden, or E
 * is derived from it at once (the one non-zero cell of a row whose total is
 * public elsewhere). */
static int useful(const ctx *c, size_t e, size_t v) {
    size_t w = other_end(c, e, v);
    for (size_t p = 0; p <= line_len(c, w); p++) {
        size_t f = line_edge(c, w, p);
        if (f != e && (unknown(c, f) || hideable(c, f))) return 1;
    }
    return 0;
}

/* Rule 2 for one line: hides the smallest of its visible values until it
 * passes, or else its total. */
static void line_fix(ctx *c, size_t v, size_t *tail, size_t *count) {
    size_t t = line_total(c, v);
    if (unknown(c, t) && !(c->flag[t] & F_BRIDGE)) return; /* the client cannot subtract from it */
    if (line_safe(c, v, 0)) return;
    size_t len = line_len(c, v), m = 0;
    for (size_t p = 0; p < len; p++) {
        size_t e = line_part(c, v, p);
        if (hideable(c, e)) c->cand[m++] = key(c, e);
    }
    qsort(c->cand, m, sizeof *c->cand, by_key);
    size_t taken = 0; /* the useful candidates, moved to the front */
    for (size_t i = 0; i < m; i++) {
        size_t e = key_edge(c->cand[i]);
        if (!useful(c, e, v)) continue;
        c->cand[taken++] = c->cand[i];
        c->why[e] = ANON_COMPLEMENTARY;
        if (line_safe(c, v, 0)) {
            for (size_t j = 0; j < taken; j++) hide(c, key_edge(c->cand[j]), tail, count);
            return;
        }
    }
    for (size_t i = 0; i < taken; i++) c->why[key_edge(c->cand[i])] = ANON_SHOW;
    if (hideable(c, t))
        hide(c, t, tail, count);
    else if (unknown(c, t))
        c->flag[t] |= F_PROTECT;
    else
        withhold(c);
}

/* Rule 2 over every line, each checked again whenever one of its values is
 * hidden, until none fails. Uses the bridges of the round's start: values
 * hidden meanwhile only make totals harder to derive, so a line may be
 * treated as constrained when it no longer is, never the reverse. */
static void lines_phase(ctx *c) {
    size_t head = 0, tail = 0, count = 0;
    for (size_t v = 0; v < c->nverts; v++) push_line(c, v, &tail, &count);
    while (count && !c->withheld) {
        size_t v = c->queue[head];
        head = (head + 1) % c->nverts;
        count--;
        c->queued[v] = 0;
        line_fix(c, v, &tail, &count);
    }
    for (size_t v = 0; v < c->nverts; v++) c->queued[v] = 0;
}

/* Rule 2 again once it hides nothing more, so that the bridges are current:
 * a line can pass while one of its hidden values is derivable through other
 * lines, which leaves the client the rest of the line (two cells of 1 and 2
 * beside a derivable one of 10 give away a group of 3). The derivable values
 * of a line that fails so are marked for rule 3. */
static void lines_exact(ctx *c) {
    for (size_t v = 0; v < c->nverts; v++) {
        size_t t = line_total(c, v);
        if (unknown(c, t) && !(c->flag[t] & F_BRIDGE)) continue;
        if (line_safe(c, v, 1)) continue;
        for (size_t p = 0; p < line_len(c, v); p++) {
            size_t e = line_part(c, v, p);
            if (unknown(c, e) && (c->flag[e] & F_BRIDGE)) c->flag[e] |= F_PROTECT;
        }
    }
}

/* Whether vertex W lies in the subtree of vertex B in the bridge search. */
static int in_subtree(const ctx *c, size_t b, size_t w) {
    return c->comp[w] == c->comp[b] && c->tin[w] >= c->tin[b] && c->tin[w] <= c->tout[b];
}

/* Whether hidden edge F joins the two sides of bridge (A, B), B the child. */
static int crosses(const ctx *c, size_t b, size_t f) {
    size_t x, y;
    ends(c, f, &x, &y);
    if (c->comp[x] != c->comp[b] || c->comp[y] != c->comp[b]) return 0;
    return in_subtree(c, b, x) != in_subtree(c, b, y);
}

static size_t smaller(const ctx *c, size_t best, size_t f) {
    if (best == NONE || c->n[f] < c->n[best] || (c->n[f] == c->n[best] && f < best)) return f;
    return best;
}

/* Rule 3: for each sensitive bridge, hides the smallest visible value that
 * closes a cycle through it: first among the values of its two lines, then
 * anywhere in its tree; failing that, the smallest that joins its tree to
 * another (a cycle may close in a later round). Uses c->cand for the edges
 * it hides, so that a bridge already closed by one of them is skipped. */
static void bridges_phase(ctx *c) {
    size_t nnew = 0, tail = 0, count = 0;
    for (size_t e = 0; e < c->nedges; e++) {
        if (!unknown(c, e) || !(c->flag[e] & F_BRIDGE) || !(c->flag[e] & (F_SENSITIVE | F_PROTECT))) continue;
        size_t a, b;
        ends(c, e, &a, &b);
        if (c->pedge[b] != e) {
            size_t s = a;
            a = b;
            b = s;
        }
        int closed = 0;
        for (size_t i = 0; i < nnew && !closed; i++) closed = crosses(c, b, key_edge(c->cand[i]));
        if (closed) continue;
        size_t best = NONE;
        for (size_t p = 0; p <= line_len(c, b); p++) {
            size_t f = line_edge(c, b, p), w = other_end(c, f, b);
            if (hideable(c, f) && c->comp[w] == c->comp[b] && !in_subtree(c, b, w)) best = smaller(c, best, f);
        }
        for (size_t p = 0; p <= line_len(c, a); p++) {
            size_t f = line_edge(c, a, p);
            if (hideable(c, f) && in_subtree(c, b, other_end(c, f, a))) best = smaller(c, best, f);
        }
        for (size_t f = 0; best == NONE && f < c->nedges; f++)
            if (hideable(c, f) && crosses(c, b, f)) best = smaller(c, best, f);
        if (best == NONE) {
            for (size_t f = 0; f < c->nedges; f++) {
                size_t x, y;
                ends(c, f, &x, &y);
                if (hideable(c, f) && (c->comp[x] == c->comp[b]) != (c->comp[y] == c->comp[b]))
                    best = smaller(c, best, f);
            }
        }
        if (best == NONE) {
            withhold(c);
            return;
        }
        hide(c, best, &tail, &count);
        c->cand[nnew++] = best;
    }
    for (size_t v = 0; v < c->nverts; v++) c->queued[v] = 0;
}

int anon_k_clamp(int k) {
    if (k == 0) return ANON_K_DEFAULT;
    return k < ANON_K_MIN ? ANON_K_MIN : k;
}

int anon_filter_ok(int64_t n_filtered, int64_t n_parent, int k) {
    int64_t kk = anon_k_clamp(k);
    if (n_filtered < 0 || n_parent < n_filtered) return 0;
    if (n_filtered > 0 && n_filtered < kk) return 0;
    int64_t d = n_parent - n_filtered;
    return !(d > 0 && d < kk);
}

const char *anon_reason_code(anon_reason reason) {
    switch (reason) {
    case ANON_PRIMARY:
    case ANON_TOTAL: return "fewer_than_k";
    case ANON_COMPLEMENTARY:
    case ANON_PARENT: return "protects_another_group";
    case ANON_WITHHELD: return "withheld";
    default: return NULL;
    }
}

static int margin_ok(anon_margin m) {
    return m == ANON_MARGIN_SHOWN || m == ANON_MARGIN_KNOWN || m == ANON_MARGIN_ABSENT;
}

static int count_ok(int64_t n) {
    return n >= 0 && n <= ANON_MAX_COUNT;
}

/* Sets up the total edge E of a line whose parts sum to SUM with largest
 * value MAX: the caller's value GIVEN (or SUM when NULL), of margin M. */
static int set_total(ctx *c, size_t e, const int64_t *given, int64_t sum, int64_t max, anon_margin m) {
    int64_t n = given ? *given : sum;
    if (!count_ok(n) || n < max || n > sum) return HARK_EINVAL;
    c->n[e] = n;
    c->kind[e] = m == ANON_MARGIN_SHOWN ? K_SHOWN : m == ANON_MARGIN_KNOWN ? K_KNOWN : K_ABSENT;
    int small = n > 0 && n < c->k;
    if (c->kind[e] == K_ABSENT) {
        c->why[e] = ANON_UNPUBLISHED;
        if (small) c->flag[e] |= F_SENSITIVE;
    } else if (c->kind[e] == K_SHOWN && small) {
        c->why[e] = ANON_TOTAL;
        c->flag[e] |= F_SENSITIVE;
    }
    return 0;
}

/* Rule 1, and the checks of the caller's numbers. */
static int load(ctx *c, const anon_table *t) {
    size_t R = c->rows, C = c->cols;
    for (size_t e = 0; e < c->ncells; e++) {
        int64_t n = t->n[e];
        if (!count_ok(n)) return HARK_EINVAL;
        c->n[e] = n;
        c->kind[e] = K_CELL;
        if (n > 0 && n < c->k) {
            c->why[e] = ANON_PRIMARY;
            c->flag[e] |= F_SENSITIVE;
        } else if (n > 0 && t->parent && t->parent[e]) {
            c->why[e] = ANON_PARENT;
            c->flag[e] |= F_SENSITIVE;
        }
    }
    int64_t all = 0, rmax = 0, cmax = 0, rsum = 0, csum = 0;
    for (size_t i = 0; i < R; i++) {
        int64_t sum = 0, max = 0;
        for (size_t j = 0; j < C; j++) {
            sum += c->n[i * C + j];
            if (c->n[i * C + j] > max) max = c->n[i * C + j];
        }
        all += sum;
        anon_margin m = t->row_margins ? t->row_margins[i] : t->row_margin;
        int rc = margin_ok(m) ? set_total(c, c->ncells + i, t->row_total ? &t->row_total[i] : NULL, sum, max, m)
                              : HARK_EINVAL;
        if (rc) return rc;
        rsum += c->n[c->ncells + i];
        if (c->n[c->ncells + i] > rmax) rmax = c->n[c->ncells + i];
    }
    for (size_t j = 0; j < C; j++) {
        int64_t sum = 0, max = 0;
        for (size_t i = 0; i < R; i++) {
            sum += c->n[i * C + j];
            if (c->n[i * C + j] > max) max = c->n[i * C + j];
        }
        size_t e = c->ncells + R + j;
        anon_margin m = t->col_margins ? t->col_margins[j] : t->col_margin;
        int rc = margin_ok(m) ? set_total(c, e, t->col_total ? &t->col_total[j] : NULL, sum, max, m) : HARK_EINVAL;
        if (rc) return rc;
        csum += c->n[e];
        if (c->n[e] > cmax) cmax = c->n[e];
    }
    /* The grand total is the sum of the row totals and of the column totals:
     * it must fit both, and by default it is the sum of the cells. */
    int64_t lo = rmax > cmax ? rmax : cmax, hi = rsum < csum ? rsum : csum;
    if (!t->grand_total && (all < lo || all > hi)) return HARK_EINVAL;
    return set_total(c, edge_grand(c), t->grand_total, t->grand_total ? hi : all, lo, t->grand_margin);
}

static int alloc(ctx *c) {
    size_t E = c->nedges, V = c->nverts;
    size_t bytes = E * (sizeof(int64_t) + sizeof(uint64_t) + 2 * sizeof(uint32_t) + 3) + (V + 1) * sizeof(uint32_t) +
                   8 * V * sizeof(uint32_t) + V;
    unsigned char *m = calloc(1, bytes);
    if (!m) return HARK_ENOMEM;
    /* Widest members first, so that each stays aligned. */
    c->n = (int64_t *)(void *)m;
    c->cand = (uint64_t *)(void *)(m + E * sizeof(int64_t));
    uint32_t *u = (uint32_t *)(void *)(m + E * (sizeof(int64_t) + sizeof(uint64_t)));
    c->adj_start = u;
    u += V + 1;
    c->adj = u;
    u += 2 * E;
    uint32_t **per_vertex[] = {&c->tin, &c->low, &c->tout, &c->comp, &c->pedge, &c->iter, &c->stack, &c->queue};
    for (size_t i = 0; i < sizeof per_vertex / sizeof per_vertex[0]; i++) {
        *per_vertex[i] = u;
        u += V;
    }
    m = (unsigned char *)u;
    c->kind = m;
    c->why = m + E;
    c->flag = m + 2 * E;
    c->queued = m + 3 * E;
    return 0;
}

static void report(const ctx *c, anon_result *out) {
    out->primary = out->complementary = out->parent = 0;
    for (size_t e = 0; e < c->nedges; e++) {
        anon_reason r = (anon_reason)c->why[e];
        if (r == ANON_PRIMARY || r == ANON_TOTAL) out->primary++;
        if (r == ANON_COMPLEMENTARY) out->complementary++;
        if (r == ANON_PARENT) out->parent++;
        if (e < c->ncells)
            out->cell[e] = r;
        else if (e < c->ncells + c->rows) {
            if (out->row) out->row[e - c->ncells] = r;
        } else if (e < c->ncells + c->rows + c->cols) {
            if (out->col) out->col[e - c->ncells - c->rows] = r;
        } else
            out->grand = r;
    }
    out->withheld = c->withheld;
}

int anon_suppress(const anon_table *t, int k, anon_result *out) {
    if (!t || !out) return HARK_EINVAL;
    if (t->rows > ANON_MAX_DIM || t->cols > ANON_MAX_DIM || t->rows * t->cols > ANON_MAX_CELLS) return HARK_ETOOBIG;
    if (!t->rows || !t->cols || !t->n || !out->cell) return HARK_EINVAL;
    if (!margin_ok(t->row_margin) || !margin_ok(t->col_margin) || !margin_ok(t->grand_margin)) return HARK_EINVAL;
    ctx c = {0};
    c.rows = t->rows;
    c.cols = t->cols;
    c.ncells = t->rows * t->cols;
    c.nedges = c.ncells + t->rows + t->cols + 1;
    c.nverts = t->rows + t->cols + 2;
    c.k = anon_k_clamp(k);
    int rc = alloc(&c);
    if (rc) return rc;
    rc = load(&c, t);
    if (rc) goto out;
    unsigned round = 0;
    for (;;) {
        if (++round > ANON_MAX_ROUNDS) {
            withhold(&c);
            break;
        }
        c.changed = 0;
        find_bridges(&c);
        lines_phase(&c);
        if (c.withheld) break;
        if (c.changed) continue;
        /* Rule 3 only on a graph rule 2 leaves as it is, so that its bridges
         * are current. */
        lines_exact(&c);
        bridges_phase(&c);
        if (c.withheld || !c.changed) break;
    }
    out->rounds = round;
    report(&c, out);
out:
    free(c.n);
    return rc;
}

int anon_suppress_list(const int64_t *n, size_t count, const int64_t *total, anon_margin total_margin, int k,
                       anon_reason *reason, anon_reason *total_reason) {
    /* One row: the list is its cells and the total its row total. Each
     * column total is its one cell and the grand total the row total; both
     * are declared ABSENT as nothing more is published. */
    anon_table t = {.rows = 1,
                    .cols = count,
                    .n = n,
                    .row_total = total,
                    .row_margin = total_margin,
                    .col_margin = ANON_MARGIN_ABSENT,
                    .grand_margin = ANON_MARGIN_ABSENT};
    anon_reason row;
    anon_result r = {.cell = reason, .row = &row};
    int rc = anon_suppress(&t, k, &r);
    if (!rc && total_reason) *total_reason = row;
    return rc;
}
