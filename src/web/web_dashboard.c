/* API routes for the dashboard: overview, heatmap, segments, outreach
 * status and the responses export (web_api.h; docs/api.md "Dashboard").
 *
 * Every figure comes from the rollups (store/dashboard.h) and passes the
 * anonymity rules (web/anon.h) before it is written:
 *
 *  - The view. The caller's segment (department, location, tenure band,
 *    touchpoint; for an hrbp also their departments) selects a group of
 *    respondents (conversations started). A view of 1..k-1 is refused, and
 *    so is a view that differs by 1..k-1 from any broader view the caller
 *    can ask for: each view made by dropping any subset of the conditions
 *    (anon_filter_ok; for an hrbp, also without their scope).
 *  - Time. Month ranges could be subtracted from one another (January to
 *    March minus January to February is March). So the segment's history is
 *    cut into blocks of consecutive months that each hold 0 or at least k
 *    respondents, and a requested range is widened to whole blocks; the
 *    answer says which range it covers. Any difference of two ranges is then
 *    a union of whole blocks.
 *  - Tables. The trend (one row of months) and the heatmap go through
 *    anon_suppress with their totals, and each cell is flagged (ANON_PARENT)
 *    when it differs from the same cell of a broader view by 1..k-1. A
 *    measure answered by a subset (mood, eNPS, comments) goes through the
 *    same rules on its own counts, and is shown only where both allow it.
 *
 * The work runs on a store reader thread (queries and rules); the loop
 * thread only sends the text. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "store/audit.h"
#include "core/tz.h"
#include "store/dashboard.h"
#include "web/anon.h"
#include "web/web_api.h"

#define ROWS_MAX       200000 /* rows of one rollups read */
#define KEYS_MAX       512    /* rows, and columns, of a heatmap */
#define TOUCHPOINTS    64
#define MONTH_ALL_FROM 100001
#define MONTH_ALL_TO   999912

enum dash_kind { DASH_OVERVIEW, DASH_HEATMAP, DASH_SEGMENTS, DASH_STATUS, DASH_EXPORT };
enum measure { M_MOOD, M_ENPS, M_RESPONSE_RATE, M_NEGATIVE_SHARE };

typedef struct dash_filter {
    int from, to; /* requested months (yyyymm); 0 = open */
    char department[256], location[256], band[8];
    int64_t touchpoint;
    unsigned mask; /* STORE_COND_* set by the request */
} dash_filter;

typedef struct dash_job {
    web_call *call;
    enum dash_kind kind;
    dash_filter f;
    int row_dim, col_dim;
    enum measure measure;
    int days; /* outreach status */
    /* Made on the store thread. */
    store_dash_raw *raw; /* the tenant's rollups, read once for every grouping */
    char *text;          /* the answer: JSON or CSV */
} dash_job;

/* ---- the view and its parents ---- */

/* A group the caller can ask for: the rows whose conditions include BITS,
 * limited to the caller's departments when SCOPED. */
typedef struct view {
    unsigned bits;
    int scoped;
} view;

typedef struct ctx {
    const web_principal *p;
    int k;
    int confidential;
    view self;
    view parents[32];
    size_t nparents;
    store_touchpoint tps[TOUCHPOINTS];
    size_t ntps;
    /* The period grid of the request's range: blocks of months, the same
     * for every view of the tenant (widen_range). */
    int block[400][2];
    size_t nblocks;
} ctx;

static int in_view(const ctx *x, const view *v, const store_dash_row *r) {
    return (r->match & v->bits) == v->bits && (!v->scoped || web_dept_allowed(x->p, r->department));
}

/* The broader views of the request: every subset of its conditions (the
 * empty one included), and for an hrbp the same without their scope. */
static void make_views(ctx *x, unsigned mask, int scoped) {
    x->self = (view){mask, scoped};
    x->nparents = 0;
    for (unsigned b = 0; b <= mask; b++) {
        if ((b & mask) != b) continue;
        if (b != mask) x->parents[x->nparents++] = (view){b, scoped};
        if (scoped) x->parents[x->nparents++] = (view){b, 0};
    }
}

static int month_of(const store_dash_row *r) {
    return r->month;
}

static int month_next(int m) {
    return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
}

/* ---- time blocks ---- */

typedef struct month_count {
    int month;
    int64_t n;
} month_count;

static int cmp_month(const void *a, const void *b) {
    const month_count *x = a, *y = b;
    return (x->month > y->month) - (x->month < y->month);
}

/* Widens [*FROM, *TO] to whole blocks of the tenant's history ROWS
 * (grouped by department and month), and puts the blocks of the range in
 * X->block. The blocks cut the months, oldest first, so that each holds at
 * least k respondents of every department that has k over its whole
 * history (smaller ones are hidden anyway), a last short block joining the
 * one before. Every view of the tenant gets the same blocks, so siblings
 * are compared over the same months, and a small team's figures are not
 * cut into months it could be recovered from. *FROM and *TO of 0 are open;
 * a range that meets no block is left as asked (its figures are 0). */
static int widen_range(ctx *x, const store_dash_row *rows, size_t n, int *from, int *to) {
    enum { DEPTS = 256 };
    const char *dept[DEPTS];
    int64_t dtotal[DEPTS] = {0}, acc[DEPTS] = {0};
    size_t nd = 0;
    month_count *mc = calloc(n ? n : 1, sizeof *mc);
    int(*block)[2] = calloc(n ? n : 1, sizeof *block);
    int *rdept = calloc(n ? n : 1, sizeof *rdept); /* each row's department index, -1 past DEPTS */
    size_t nm = 0, nb = 0;
    if (!mc || !block || !rdept) {
        free(mc);
        free(block);
        free(rdept);
        return HARK_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        rdept[i] = -1;
        if (rows[i].f.started == 0) continue;
        int m = month_of(&rows[i]);
        size_t j = 0;
        while (j < nm && mc[j].month != m) j++;
        if (j == nm) mc[nm++] = (month_count){m, 0};
        mc[j].n += rows[i].f.started;
        size_t d = 0;
        while (d < nd && strcmp(dept[d], rows[i].department)) d++;
        if (d == nd && nd < DEPTS) dept[nd++] = rows[i].department;
        if (d < nd) {
            rdept[i] = (int)d;
            dtotal[d] += rows[i].f.started;
        }
    }
    qsort(mc, nm, sizeof *mc, cmp_month);
    int bstart = 0;
    int64_t all = 0;
    for (size_t i = 0; i < nm; i++) {
        if (!bstart) bstart = mc[i].month;
        all += mc[i].n;
        for (size_t r = 0; r < n; r++)
            if (rdept[r] >= 0 && month_of(&rows[r]) == mc[i].month) acc[rdept[r]] += rows[r].f.started;
        int full = all >= x->k;
        for (size_t d = 0; d < nd && full; d++) full = dtotal[d] < x->k || acc[d] >= x->k;
        if (full) {
            block[nb][0] = bstart;
            block[nb++][1] = mc[i].month;
            bstart = 0;
            all = 0;
            memset(acc, 0, sizeof acc);
        }
    }
    if (all > 0) {
        if (nb > 0) {
            block[nb - 1][1] = mc[nm - 1].month;
        } else {
            block[0][0] = bstart;
            block[nb++][1] = mc[nm - 1].month;
        }
    }
    int want_from = *from ? *from : MONTH_ALL_FROM, want_to = *to ? *to : MONTH_ALL_TO, out_from = 0, out_to = 0;
    x->nblocks = 0;
    for (size_t i = 0; i < nb; i++) {
        if (block[i][1] < want_from || block[i][0] > want_to) continue;
        if (!out_from) out_from = block[i][0];
        out_to = block[i][1];
        if (x->nblocks < sizeof x->block / sizeof x->block[0]) {
            x->block[x->nblocks][0] = block[i][0];
            x->block[x->nblocks++][1] = block[i][1];
        }
    }
    free(mc);
    free(block);
    free(rdept);
    if (out_from) {
        *from = out_from;
        *to = out_to;
    }
    return HARK_OK;
}

/* ---- figures ---- */

static void figures_sum(const ctx *x, const view *v, const store_dash_row *rows, size_t n, int from, int to,
                        store_figures *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int m = month_of(&rows[i]);
        if (m < from || m > to || !in_view(x, v, &rows[i])) continue;
        store_figures_add(out, &rows[i].f);
    }
}

static int64_t fig_n(const store_figures *f, int which) {
    switch (which) {
    case 1: return f->mood_n;
    case 2: return f->enps_n;
    case 3: return f->comments;
    default: return f->started;
    }
}

/* Whether count WHICH of SELF may be shown beside the same count of every
 * parent (anon_filter_ok), and is not 1..k-1 itself. */
static int group_ok(const ctx *x, const store_figures *self, const store_figures *parents, int which) {
    int64_t n = fig_n(self, which);
    if (n > 0 && n < x->k) return 0;
    for (size_t i = 0; i < x->nparents; i++)
        if (!anon_filter_ok(n, fig_n(&parents[i], which), x->k)) return 0;
    return 1;
}

/* Whether count WHICH of view V is safe in every block of the range: 0 or
 * at least k, and differing from each parent by 0 or at least k. Ranges are
 * unions of blocks, so two ranges then never differ by a group under k.
 * *PRIMARY (may be NULL) is set when a block holds 1..k-1. */
static int blocks_safe(const ctx *x, const view *v, const store_dash_row *rows, size_t n, int which, int *primary) {
    if (primary) *primary = 0;
    for (size_t b = 0; b < x->nblocks; b++) {
        store_figures self, par;
        figures_sum(x, v, rows, n, x->block[b][0], x->block[b][1], &self);
        int64_t m = fig_n(&self, which);
        if (m > 0 && m < x->k) {
            if (primary) *primary = 1;
            return 0;
        }
        if (v != &x->self) continue;
        for (size_t i = 0; i < x->nparents; i++) {
            figures_sum(x, &x->parents[i], rows, n, x->block[b][0], x->block[b][1], &par);
            if (!anon_filter_ok(m, fig_n(&par, which), x->k)) return 0;
        }
    }
    return 1;
}

static json_t *hidden(const char *reason) {
    return json_pack("{s:s}", "hidden", reason);
}

static double round2(double v) {
    return (double)(int64_t)(v * 100 + (v < 0 ? -0.5 : 0.5)) / 100;
}

static json_t *mood_json(const store_figures *f) {
    json_t *dist = json_array();
    for (int i = 0; i < 5; i++) json_array_append_new(dist, json_integer(f->mood[i]));
    return json_pack("{s:I, s:o, s:o}", "n", (json_int_t)f->mood_n, "average",
                     f->mood_n ? json_real(round2(f->mood_sum / (double)f->mood_n)) : json_null(), "distribution",
                     dist);
}

static int enps_score(const store_figures *f) {
    if (!f->enps_n) return 0;
    double s = 100.0 * (double)(f->enps_promoters - f->enps_detractors) / (double)f->enps_n;
    return (int)(s < 0 ? s - 0.5 : s + 0.5);
}

static json_t *enps_json(const store_figures *f) {
    return json_pack("{s:I, s:o, s:I, s:I, s:I}", "n", (json_int_t)f->enps_n, "score",
                     f->enps_n ? json_integer(enps_score(f)) : json_null(), "promoters", (json_int_t)f->enps_promoters,
                     "passives", (json_int_t)(f->enps_n - f->enps_promoters - f->enps_detractors), "detractors",
                     (json_int_t)f->enps_detractors);
}

static json_t *comments_json(const store_figures *f) {
    return json_pack("{s:I, s:o, s:o}", "n", (json_int_t)f->comments, "negative_share",
                     f->comments ? json_real(round2((double)f->comments_neg / (double)f->comments)) : json_null(),
                     "positive_share",
                     f->comments ? json_real(round2((double)f->comments_pos / (double)f->comments)) : json_null());
}

static void month_text(int m, char out[8]) {
    unsigned u = m > 0 ? (unsigned)m : 0;
    snprintf(out, 8, "%04u-%02u", u / 100 % 10000, u % 100);
}

/* ---- a table through anon ---- */

typedef struct table {
    size_t rows, cols;
    /* Per count, how the client knows each row total and column total:
     * KNOWN where the sibling rule lets that group be asked for on its own
     * (an overview with that filter), else ABSENT; NULL: SHOWN here. */
    anon_margin *row_margin[4], *col_margin[4];
    unsigned char *forced[4]; /* per count: cells with 1..k-1 in some block of the range (hidden as PARENT) */
    anon_reason *row_sib[4], *col_sib[4]; /* the sibling rule's fate of each ABSENT total */
    store_figures *cell;                  /* rows * cols, the view's */
    store_figures *parent;                /* nparents * rows * cols */
    anon_reason *reason[4];               /* per count (started, mood, enps, comments): rows * cols */
    anon_reason *row_reason[4], *col_reason[4], grand_reason[4];
} table;

static void table_free(table *t) {
    free(t->cell);
    free(t->parent);
    for (int w = 0; w < 4; w++) {
        free(t->row_margin[w]);
        free(t->col_margin[w]);
        free(t->forced[w]);
        free(t->row_sib[w]);
        free(t->col_sib[w]);
        free(t->reason[w]);
        free(t->row_reason[w]);
        free(t->col_reason[w]);
    }
}

/* Applies the rules to count WHICH of T: primary, parent flags per cell,
 * complementary over the rows, columns and totals. */
static int table_suppress(const ctx *x, table *t, int which) {
    size_t cells = t->rows * t->cols;
    int64_t *n = calloc(cells, sizeof *n);
    unsigned char *flag = calloc(cells, 1);
    t->reason[which] = calloc(cells, sizeof(anon_reason));
    t->row_reason[which] = calloc(t->rows, sizeof(anon_reason));
    t->col_reason[which] = calloc(t->cols, sizeof(anon_reason));
    int rc = HARK_ENOMEM;
    if (n && flag && t->reason[which] && t->row_reason[which] && t->col_reason[which]) {
        for (size_t i = 0; i < cells; i++) {
            n[i] = fig_n(&t->cell[i], which);
            flag[i] = t->forced[which] && t->forced[which][i];
            for (size_t p = 0; p < x->nparents && !flag[i]; p++)
                if (!anon_filter_ok(n[i], fig_n(&t->parent[p * cells + i], which), x->k)) flag[i] = 1;
        }
        anon_table at = {.rows = t->rows,
                         .cols = t->cols,
                         .n = n,
                         .parent = flag,
                         .row_margins = t->row_margin[which],
                         .col_margins = t->col_margin[which],
                         .grand_margin =
                             t->row_margin[which] || t->col_margin[which] ? ANON_MARGIN_KNOWN : ANON_MARGIN_SHOWN};
        anon_result res = {.cell = t->reason[which], .row = t->row_reason[which], .col = t->col_reason[which]};
        rc = anon_suppress(&at, x->k, &res);
        t->grand_reason[which] = res.grand;
    }
    free(n);
    free(flag);
    return rc;
}

/* The JSON of one cell: its count and the measure, or why it is hidden. */
static json_t *cell_json(const table *t, const store_figures *f, const anon_reason *r, enum measure m) {
    if (r[0] != ANON_SHOW) return hidden(anon_reason_code(r[0]));
    json_t *o = json_pack("{s:I, s:I}", "n", (json_int_t)f->started, "invited", (json_int_t)f->invited);
    (void)t;
    switch (m) {
    case M_MOOD:
        if (r[1] != ANON_SHOW)
            json_object_set_new(o, "value_hidden", json_string(anon_reason_code(r[1])));
        else
            json_object_set_new(o, "value",
                                f->mood_n ? json_real(round2(f->mood_sum / (double)f->mood_n)) : json_null());
        break;
    case M_ENPS:
        if (r[2] != ANON_SHOW)
            json_object_set_new(o, "value_hidden", json_string(anon_reason_code(r[2])));
        else
            json_object_set_new(o, "value", f->enps_n ? json_integer(enps_score(f)) : json_null());
        break;
    case M_NEGATIVE_SHARE:
        if (r[3] != ANON_SHOW)
            json_object_set_new(o, "value_hidden", json_string(anon_reason_code(r[3])));
        else
            json_object_set_new(o, "value",
                                f->comments ? json_real(round2((double)f->comments_neg / (double)f->comments))
                                            : json_null());
        break;
    case M_RESPONSE_RATE:
        json_object_set_new(o, "value",
                            f->invited ? json_real(round2((double)f->started / (double)f->invited)) : json_null());
        break;
    }
    return o;
}

/* ---- siblings ----
 * A client who may ask for (department D, location L1), (D, L2), ... and
 * for (D) alone can subtract the shown ones from D to find a hidden one,
 * whatever each view's own checks say. So a group is shown on its own only
 * where the list of its siblings (the same conditions, one dimension
 * varied), with their known total, lets it be shown (anon_suppress_list),
 * and a heatmap takes those same fates as its known margins: both views
 * come from one suppressed list. */

static int cond_of_dim(int dim) {
    switch (dim) {
    case STORE_DIM_DEPARTMENT: return STORE_COND_DEPARTMENT;
    case STORE_DIM_LOCATION: return STORE_COND_LOCATION;
    case STORE_DIM_BAND: return STORE_COND_BAND;
    case STORE_DIM_TOUCHPOINT: return STORE_COND_TOUCHPOINT;
    default: return 0;
    }
}

typedef struct siblings {
    char (*key)[256];
    anon_reason (*reason)[4]; /* per count */
    size_t n;
} siblings;

static void siblings_free(siblings *sb) {
    free(sb->key);
    free(sb->reason);
    memset(sb, 0, sizeof *sb);
}

/* The fates of the groups along DIM in [FROM, TO]: the view's conditions
 * without DIM's, grouped by DIM's values. */
static int siblings_get(store_conn *c, dash_job *j, const ctx *x, int dim, int from, int to, siblings *sb);

/* The fate, per count, of the sibling KEY in SB (WITHHELD when absent). */
static const anon_reason *sibling_reason(const siblings *sb, const char *key) {
    static const anon_reason none[4] = {ANON_WITHHELD, ANON_WITHHELD, ANON_WITHHELD, ANON_WITHHELD};
    for (size_t i = 0; i < sb->n; i++)
        if (!strcmp(sb->key[i], key)) return sb->reason[i];
    return none;
}

/* ---- request parsing ---- */

static int parse_month(const char *s, int *out) {
    int y, m;
    char tail;
    if (strlen(s) != 7 || sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2 || s[4] != '-' || y < 1000 || m < 1 || m > 12)
        return HARK_EINVAL;
    *out = y * 100 + m;
    return HARK_OK;
}

/* Reads the filters of CALL into F. 0, or answered (CALL freed): nonzero. */
static int read_filter(web_call *call, dash_filter *f) {
    char v[256];
    memset(f, 0, sizeof *f);
    static const char *const months[] = {"from", "to"};
    for (int i = 0; i < 2; i++) {
        int rc = web_call_param(call, months[i], v, sizeof v);
        if (rc == HARK_EINVAL) return 1;
        if (rc == HARK_OK && v[0] && parse_month(v, i ? &f->to : &f->from)) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s must be a month, YYYY-MM", months[i]);
            web_reply_error(call, 400, "bad_request", msg);
            return 1;
        }
    }
    if (f->from && f->to && f->from > f->to) {
        web_reply_error(call, 400, "bad_request", "from is after to");
        return 1;
    }
    int rc = web_call_param(call, "department", f->department, sizeof f->department);
    if (rc == HARK_EINVAL) return 1;
    if (rc == HARK_OK && f->department[0]) f->mask |= STORE_COND_DEPARTMENT;
    rc = web_call_param(call, "location", f->location, sizeof f->location);
    if (rc == HARK_EINVAL) return 1;
    if (rc == HARK_OK && f->location[0]) f->mask |= STORE_COND_LOCATION;
    rc = web_call_param(call, "band", v, sizeof v);
    if (rc == HARK_EINVAL) return 1;
    if (rc == HARK_OK && v[0]) {
        int known = 0;
        for (const char *const *b = store_rollup_bands; *b; b++) known |= **b && strcmp(*b, v) == 0;
        if (!known) {
            web_reply_error(call, 400, "bad_request", "band must be one of 0-3m, 3-12m, 1-2y, 2-5y, 5y+");
            return 1;
        }
        snprintf(f->band, sizeof f->band, "%.7s", v); /* a known band: at most 5 bytes */
        f->mask |= STORE_COND_BAND;
    }
    rc = web_call_param(call, "touchpoint", v, sizeof v);
    if (rc == HARK_EINVAL) return 1;
    if (rc == HARK_OK && v[0]) {
        char *end;
        long long id = strtoll(v, &end, 10);
        if (*end || id <= 0) {
            web_reply_error(call, 400, "bad_request", "touchpoint must be a touchpoint id");
            return 1;
        }
        f->touchpoint = id;
        f->mask |= STORE_COND_TOUCHPOINT;
    }
    if (f->department[0] && !web_dept_allowed(&call->p, f->department)) {
        web_reply_error(call, 403, "forbidden", "this department is outside your scope");
        return 1;
    }
    return 0;
}

static int parse_dim(const char *s, int allow_time) {
    if (!strcmp(s, "department")) return STORE_DIM_DEPARTMENT;
    if (!strcmp(s, "manager")) return STORE_DIM_MANAGER;
    if (!strcmp(s, "location")) return STORE_DIM_LOCATION;
    if (!strcmp(s, "band")) return STORE_DIM_BAND;
    if (allow_time && !strcmp(s, "touchpoint")) return STORE_DIM_TOUCHPOINT;
    if (allow_time && !strcmp(s, "month")) return STORE_DIM_MONTH;
    return -1;
}

/* ---- the work (store thread) ---- */

/* The rows of Q, grouped in memory from the tenant's rollups, which are
 * read once per request: the full table when the request involves location
 * or band, else the department-level one. */
static int get_rows(store_conn *c, dash_job *j, const store_dash_query *q, store_dash_row **rows, size_t *n) {
    if (!j->raw) {
        int fine = (j->f.mask & (STORE_COND_LOCATION | STORE_COND_BAND)) || j->row_dim == STORE_DIM_LOCATION ||
                   j->row_dim == STORE_DIM_BAND || j->col_dim == STORE_DIM_LOCATION || j->col_dim == STORE_DIM_BAND;
        int kind = j->row_dim == STORE_DIM_MANAGER || j->col_dim == STORE_DIM_MANAGER ? STORE_DASH_MANAGER
                   : fine                                                             ? STORE_DASH_FULL
                                                                                      : STORE_DASH_DEPT;
        int rc = store_dash_raw_load(c, j->call->p.tenant_id, kind, ROWS_MAX, &j->raw);
        if (rc) return rc;
    }
    return store_dash_group(j->raw, q, ROWS_MAX, rows, n);
}

static int load_ctx(store_conn *c, dash_job *j, ctx *x) {
    char mode[16];
    int k;
    memset(x, 0, sizeof *x);
    x->p = &j->call->p;
    int rc = store_dash_settings(c, x->p->tenant_id, &k, mode);
    if (rc) return rc;
    x->k = anon_k_clamp(k);
    x->confidential = strcmp(mode, "confidential") == 0;
    make_views(x, j->f.mask, web_is_scoped(x->p));
    return store_touchpoint_list(c, x->p->tenant_id, x->tps, TOUCHPOINTS, &x->ntps);
}

static void query_of(const dash_job *j, const ctx *x, int from, int to, int row_dim, int col_dim, store_dash_query *q) {
    memset(q, 0, sizeof *q);
    q->tenant_id = x->p->tenant_id;
    q->from_month = from;
    q->to_month = to;
    q->department = j->f.mask & STORE_COND_DEPARTMENT ? j->f.department : NULL;
    q->location = j->f.mask & STORE_COND_LOCATION ? j->f.location : NULL;
    q->band = j->f.mask & STORE_COND_BAND ? j->f.band : NULL;
    q->touchpoint_id = j->f.touchpoint;
    q->row_dim = row_dim;
    q->col_dim = col_dim;
}

static int siblings_get(store_conn *c, dash_job *j, const ctx *x, int dim, int from, int to, siblings *sb) {
    store_dash_query q;
    store_dash_row *rows = NULL;
    size_t n = 0;
    memset(sb, 0, sizeof *sb);
    query_of(j, x, from, to, dim, STORE_DIM_MONTH, &q);
    int rc = get_rows(c, j, &q, &rows, &n);
    if (rc) return rc;
    view base = {x->self.bits & ~(unsigned)cond_of_dim(dim), x->self.scoped};
    /* Per sibling and block, for the siblings unsafe in some block. */
    store_figures *fb = calloc(KEYS_MAX * (x->nblocks ? x->nblocks : 1), sizeof *fb);
    unsigned char *unsafe = calloc(KEYS_MAX * 4, 1);
    if (!fb || !unsafe) rc = HARK_ENOMEM;
    store_figures *f = calloc(KEYS_MAX, sizeof *f);
    sb->key = calloc(KEYS_MAX, sizeof *sb->key);
    sb->reason = calloc(KEYS_MAX, sizeof *sb->reason);
    int64_t *cnt = calloc(KEYS_MAX, sizeof *cnt);
    anon_reason *why = calloc(KEYS_MAX, sizeof *why);
    if (!f || !sb->key || !sb->reason || !cnt || !why) rc = HARK_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!in_view(x, &base, &rows[i])) continue;
        size_t k = 0;
        while (k < sb->n && strcmp(sb->key[k], rows[i].row)) k++;
        if (k == sb->n) {
            if (sb->n == KEYS_MAX) {
                rc = HARK_ETOOBIG;
                break;
            }
            snprintf(sb->key[sb->n++], sizeof sb->key[0], "%s", rows[i].row);
        }
        store_figures_add(&f[k], &rows[i].f);
        int m = month_of(&rows[i]);
        for (size_t b = 0; b < x->nblocks; b++)
            if (m >= x->block[b][0] && m <= x->block[b][1]) store_figures_add(&fb[k * x->nblocks + b], &rows[i].f);
    }
    for (size_t k = 0; k < sb->n && !rc; k++)
        for (size_t b = 0; b < x->nblocks; b++)
            for (int w = 0; w < 4; w++) {
                int64_t m = fig_n(&fb[k * x->nblocks + b], w);
                if (m > 0 && m < x->k) unsafe[k * 4 + w] = 1;
            }
    for (int w = 0; w < 4 && !rc && sb->n; w++) {
        int64_t total = 0;
        unsigned char flag[KEYS_MAX];
        for (size_t k = 0; k < sb->n; k++) {
            total += cnt[k] = fig_n(&f[k], w);
            flag[k] = unsafe[k * 4 + w];
        }
        /* The total is the broader view, which the client can ask for; a
         * sibling unsafe in some block is hidden and protected like a small
         * one. */
        anon_table at = {.rows = 1,
                         .cols = sb->n,
                         .n = cnt,
                         .parent = flag,
                         .row_total = &total,
                         .row_margin = ANON_MARGIN_KNOWN,
                         .col_margin = ANON_MARGIN_ABSENT,
                         .grand_margin = ANON_MARGIN_KNOWN};
        anon_result res = {.cell = why};
        rc = anon_suppress(&at, x->k, &res);
        for (size_t k = 0; k < sb->n && !rc; k++) sb->reason[k][w] = why[k];
    }
    free(fb);
    free(unsafe);
    free(rows);
    free(f);
    free(cnt);
    free(why);
    if (rc) siblings_free(sb);
    return rc;
}

/* The key of the view's own value of DIM ("" when the view has no
 * condition on it). */
static const char *own_key(const dash_job *j, int dim, char buf[32]) {
    switch (dim) {
    case STORE_DIM_DEPARTMENT: return j->f.department;
    case STORE_DIM_LOCATION: return j->f.location;
    case STORE_DIM_BAND: return j->f.band;
    case STORE_DIM_TOUCHPOINT: snprintf(buf, 32, "%lld", (long long)j->f.touchpoint); return buf;
    default: return "";
    }
}

/* Applies the sibling rule to the view: for each of its conditions, its
 * fate in the list of its siblings, count by count, into OUT (SHOW when it
 * has no condition). */
static int view_siblings(store_conn *c, dash_job *j, const ctx *x, int from, int to, anon_reason out[4]) {
    static const int dims[] = {STORE_DIM_DEPARTMENT, STORE_DIM_LOCATION, STORE_DIM_BAND, STORE_DIM_TOUCHPOINT};
    for (int w = 0; w < 4; w++) out[w] = ANON_SHOW;
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        if (!(x->self.bits & (unsigned)cond_of_dim(dims[d]))) continue;
        siblings sb;
        char buf[32];
        int rc = siblings_get(c, j, x, dims[d], from, to, &sb);
        if (rc) return rc;
        const anon_reason *r = sibling_reason(&sb, own_key(j, dims[d], buf));
        for (int w = 0; w < 4; w++)
            if (out[w] == ANON_SHOW && r[w] != ANON_SHOW) out[w] = r[w];
        siblings_free(&sb);
    }
    return HARK_OK;
}

/* The view's history by month, the effective range, and the refusal of a
 * view that may not be shown (then *REFUSED holds the reason). */
static int view_checked(store_conn *c, dash_job *j, ctx *x, store_dash_row **rows, size_t *n, int *from, int *to,
                        store_figures *self, store_figures *parents, const char **refused, anon_reason sib[4]) {
    store_dash_query q;
    query_of(j, x, MONTH_ALL_FROM, MONTH_ALL_TO, STORE_DIM_NONE, STORE_DIM_MONTH, &q);
    int rc = get_rows(c, j, &q, rows, n);
    if (rc) return rc;
    *from = j->f.from;
    *to = j->f.to;
    if ((rc = widen_range(x, *rows, *n, from, to))) return rc;
    figures_sum(x, &x->self, *rows, *n, *from, *to, self);
    for (size_t i = 0; i < x->nparents; i++) figures_sum(x, &x->parents[i], *rows, *n, *from, *to, &parents[i]);
    *refused = NULL;
    for (int w = 0; w < 4; w++) sib[w] = ANON_SHOW;
    int primary = 0;
    if (self->started > 0 && self->started < x->k)
        *refused = anon_reason_code(ANON_PRIMARY);
    else if (!group_ok(x, self, parents, 0))
        *refused = anon_reason_code(ANON_PARENT);
    else if (x->self.bits && !blocks_safe(x, &x->self, *rows, *n, 0, &primary))
        *refused = anon_reason_code(primary ? ANON_PRIMARY : ANON_PARENT);
    else if (self->started > 0 && *from && (rc = view_siblings(c, j, x, *from, *to, sib)) == HARK_OK &&
             sib[0] != ANON_SHOW)
        *refused = anon_reason_code(sib[0]);
    return rc;
}

static json_t *range_json(int from, int to) {
    char a[8] = "", b[8] = "";
    if (from) month_text(from, a);
    if (to) month_text(to, b);
    return json_pack("{s:o, s:o}", "from", from ? json_string(a) : json_null(), "to",
                     to ? json_string(b) : json_null());
}

static void set_head(json_t *root, const ctx *x, int from, int to) {
    json_object_set_new(root, "k", json_integer(x->k));
    json_object_set_new(root, "mode", json_string(x->confidential ? "confidential" : "anonymous"));
    json_object_set_new(root, "range", range_json(from, to));
}

/* The overview: cards, and the trend by month. */
static int overview_work(store_conn *c, dash_job *j, ctx *x, json_t *root) {
    store_dash_row *rows = NULL;
    size_t n = 0;
    int from, to, rc;
    store_figures self, parents[32];
    const char *refused;
    anon_reason sib[4];
    if ((rc = view_checked(c, j, x, &rows, &n, &from, &to, &self, parents, &refused, sib))) goto out;
    set_head(root, x, from, to);
    if (refused) {
        json_object_set_new(root, "shown", json_false());
        json_object_set_new(root, "hidden", json_string(refused));
        goto out;
    }
    json_object_set_new(root, "shown", json_true());
    json_object_set_new(root, "invited", json_integer(self.invited));
    json_object_set_new(root, "started", json_integer(self.started));
    json_object_set_new(root, "completed", json_integer(self.completed));
    json_object_set_new(root, "response_rate",
                        self.invited ? json_real(round2((double)self.started / (double)self.invited)) : json_null());
    int ok[4];
    for (int w = 1; w < 4; w++)
        ok[w] = group_ok(x, &self, parents, w) && sib[w] == ANON_SHOW &&
                (!x->self.bits || blocks_safe(x, &x->self, rows, n, w, NULL));
    json_object_set_new(root, "mood", ok[1] ? mood_json(&self) : hidden("fewer_than_k"));
    json_object_set_new(root, "enps", ok[2] ? enps_json(&self) : hidden("fewer_than_k"));
    json_object_set_new(root, "comments", ok[3] ? comments_json(&self) : hidden("fewer_than_k"));

    /* The trend: one row of months through the table rules. */
    table t = {.rows = 1};
    int months[400];
    if (from && to)
        for (int m = from; m <= to && t.cols < 400; m = month_next(m)) months[t.cols++] = m;
    json_t *trend = json_array();
    json_object_set_new(root, "trend", trend);
    if (t.cols == 0) goto out;
    t.cell = calloc(t.cols, sizeof *t.cell);
    t.parent = calloc(x->nparents * t.cols + 1, sizeof *t.parent);
    if (!t.cell || !t.parent) {
        rc = HARK_ENOMEM;
        goto trend_out;
    }
    for (size_t i = 0; i < n; i++) {
        int m = month_of(&rows[i]);
        if (m < from || m > to) continue;
        size_t col = 0;
        while (col < t.cols && months[col] != m) col++;
        if (col == t.cols) continue;
        if (in_view(x, &x->self, &rows[i])) store_figures_add(&t.cell[col], &rows[i].f);
        for (size_t p = 0; p < x->nparents; p++)
            if (in_view(x, &x->parents[p], &rows[i])) store_figures_add(&t.parent[p * t.cols + col], &rows[i].f);
    }
    for (int w = 0; w < 3 && !rc; w++) rc = table_suppress(x, &t, w);
    for (size_t col = 0; col < t.cols && !rc; col++) {
        char mt[8];
        const store_figures *f = &t.cell[col];
        month_text(months[col], mt);
        json_t *o;
        if (t.reason[0][col] != ANON_SHOW) {
            o = hidden(anon_reason_code(t.reason[0][col]));
        } else {
            o = json_pack("{s:I, s:I, s:I}", "invited", (json_int_t)f->invited, "started", (json_int_t)f->started,
                          "completed", (json_int_t)f->completed);
            json_object_set_new(o, "mood",
                                t.reason[1][col] == ANON_SHOW && f->mood_n
                                    ? json_real(round2(f->mood_sum / (double)f->mood_n))
                                    : json_null());
            json_object_set_new(o, "enps",
                                t.reason[2][col] == ANON_SHOW && f->enps_n ? json_integer(enps_score(f)) : json_null());
        }
        json_object_set_new(o, "month", json_string(mt));
        json_array_append_new(trend, o);
    }
trend_out:
    table_free(&t);
out:
    free(rows);
    return rc;
}

/* ---- heatmap ---- */

typedef struct keys {
    char (*v)[256];
    size_t n;
} keys;

static int cmp_key(const void *a, const void *b) {
    return strcmp(a, b);
}

static int band_rank(const char *b) {
    int i = 0;
    for (const char *const *p = store_rollup_bands; *p; p++, i++)
        if (!strcmp(*p, b)) return i;
    return i;
}

static int cmp_band(const void *a, const void *b) {
    return band_rank(a) - band_rank(b);
}

static int cmp_num(const void *a, const void *b) {
    long long x = atoll(a), y = atoll(b);
    return (x > y) - (x < y);
}

static size_t key_index(const keys *k, const char *v) {
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->v[i], v)) return i;
    return k->n;
}

static int key_add(keys *k, const char *v) {
    if (key_index(k, v) < k->n) return HARK_OK;
    if (k->n == KEYS_MAX) return HARK_ETOOBIG;
    snprintf(k->v[k->n++], sizeof k->v[0], "%s", v);
    return HARK_OK;
}

static void keys_sort(keys *k, int dim) {
    qsort(k->v, k->n, sizeof k->v[0],
          dim == STORE_DIM_BAND                                   ? cmp_band
          : dim == STORE_DIM_TOUCHPOINT || dim == STORE_DIM_MONTH ? cmp_num
                                                                  : cmp_key);
}

static json_t *key_json(const ctx *x, int dim, const char *key) {
    char label[256];
    snprintf(label, sizeof label, "%s", key);
    if (dim == STORE_DIM_MONTH) {
        month_text(atoi(key), label);
    } else if (dim == STORE_DIM_TOUCHPOINT) {
        for (size_t i = 0; i < x->ntps; i++)
            if (x->tps[i].id == atoll(key)) snprintf(label, sizeof label, "%s", x->tps[i].name);
    } else if (!key[0]) {
        snprintf(label, sizeof label, "%s", dim == STORE_DIM_BAND ? "unknown" : "(none)");
    }
    return json_pack("{s:s, s:s}", "key", dim == STORE_DIM_MONTH ? label : key, "label", label);
}

/* Builds the heatmap table of J over [FROM, TO] into T, its keys into R and
 * C. */
static int heatmap_table(store_conn *c, dash_job *j, ctx *x, int from, int to, table *t, keys *r, keys *cl) {
    store_dash_query q;
    store_dash_row *rows = NULL;
    size_t n = 0;
    query_of(j, x, from, to, j->row_dim, j->col_dim, &q);
    int rc = get_rows(c, j, &q, &rows, &n);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!in_view(x, &x->self, &rows[i]) || (rows[i].f.invited == 0 && rows[i].f.started == 0)) continue;
        rc = key_add(r, rows[i].row);
        if (!rc) rc = key_add(cl, rows[i].col);
    }
    if (!rc && (r->n == 0 || cl->n == 0)) rc = HARK_ENOTFOUND; /* nothing to show */
    if (!rc) {
        keys_sort(r, j->row_dim);
        keys_sort(cl, j->col_dim);
        t->rows = r->n;
        t->cols = cl->n;
        size_t cells = t->rows * t->cols;
        t->cell = calloc(cells, sizeof *t->cell);
        t->parent = calloc(x->nparents * cells + 1, sizeof *t->parent);
        if (!t->cell || !t->parent) rc = HARK_ENOMEM;
        for (size_t i = 0; i < n && !rc; i++) {
            size_t ri = key_index(r, rows[i].row), ci = key_index(cl, rows[i].col);
            if (ri == r->n || ci == cl->n) continue; /* a row or column the view does not have */
            size_t at = ri * t->cols + ci;
            if (in_view(x, &x->self, &rows[i])) store_figures_add(&t->cell[at], &rows[i].f);
            for (size_t p = 0; p < x->nparents; p++)
                if (in_view(x, &x->parents[p], &rows[i])) store_figures_add(&t->parent[p * cells + at], &rows[i].f);
        }
    }
    free(rows);
    /* A cell that holds 1..k-1 in one block of the range could be found by
     * asking for the range without that block: it is hidden and protected. */
    for (int w = 0; w < 4 && !rc; w++)
        if (!(t->forced[w] = calloc(t->rows * t->cols + 1, 1))) rc = HARK_ENOMEM;
    for (size_t b = 0; b < x->nblocks && !rc && j->col_dim != STORE_DIM_MONTH; b++) {
        store_dash_row *br = NULL;
        size_t bn = 0;
        query_of(j, x, x->block[b][0], x->block[b][1], j->row_dim, j->col_dim, &q);
        if ((rc = get_rows(c, j, &q, &br, &bn))) break;
        store_figures *acc = calloc(t->rows * t->cols + 1, sizeof *acc);
        if (!acc) rc = HARK_ENOMEM;
        for (size_t i = 0; i < bn && !rc; i++) {
            size_t ri = key_index(r, br[i].row), ci = key_index(cl, br[i].col);
            if (ri < r->n && ci < cl->n && in_view(x, &x->self, &br[i]))
                store_figures_add(&acc[ri * t->cols + ci], &br[i].f);
        }
        for (size_t i = 0; i < t->rows * t->cols && !rc; i++)
            for (int w = 0; w < 4; w++) {
                int64_t m = fig_n(&acc[i], w);
                if (m > 0 && m < x->k) t->forced[w][i] = 1;
            }
        free(acc);
        free(br);
    }
    /* Margins the client can ask for on their own (sibling rule) are KNOWN
     * here; months are not segments and stay SHOWN. */
    const int dims[2] = {j->row_dim, j->col_dim};
    keys *const lines[2] = {r, cl};
    for (int d = 0; d < 2 && !rc; d++) {
        if (dims[d] == STORE_DIM_MONTH) continue;
        siblings sb;
        if ((rc = siblings_get(c, j, x, dims[d], from, to, &sb))) break;
        for (int w = 0; w < 4 && !rc; w++) {
            anon_margin *mg = calloc(lines[d]->n, sizeof *mg);
            anon_reason *why = calloc(lines[d]->n, sizeof *why);
            if (d == 0) {
                t->row_margin[w] = mg;
                t->row_sib[w] = why;
            } else {
                t->col_margin[w] = mg;
                t->col_sib[w] = why;
            }
            if (!mg || !why) {
                rc = HARK_ENOMEM;
                break;
            }
            for (size_t i = 0; i < lines[d]->n; i++) {
                why[i] = sibling_reason(&sb, lines[d]->v[i])[w];
                mg[i] = why[i] == ANON_SHOW ? ANON_MARGIN_KNOWN : ANON_MARGIN_ABSENT;
            }
        }
        siblings_free(&sb);
    }
    for (int w = 0; w < 4 && !rc; w++) rc = table_suppress(x, t, w);
    return rc;
}

/* The fate of a heatmap total: what the table's rules said, or for a total
 * the table does not publish (the sibling rule hides that group on its
 * own) the sibling rule's reason. */
static anon_reason total_reason(anon_reason r, const anon_reason *sib, size_t i) {
    if (r != ANON_UNPUBLISHED) return r;
    return sib && sib[i] != ANON_SHOW ? sib[i] : ANON_COMPLEMENTARY;
}

static void line_total(const table *t, size_t idx, int is_row, store_figures *out) {
    memset(out, 0, sizeof *out);
    size_t len = is_row ? t->cols : t->rows;
    for (size_t i = 0; i < len; i++) store_figures_add(out, &t->cell[is_row ? idx * t->cols + i : i * t->cols + idx]);
}

static int heatmap_work(store_conn *c, dash_job *j, ctx *x, json_t *root) {
    store_dash_row *hist = NULL;
    size_t nh = 0;
    int from, to;
    store_figures self, parents[32];
    const char *refused;
    anon_reason sib[4];
    int rc = view_checked(c, j, x, &hist, &nh, &from, &to, &self, parents, &refused, sib);
    free(hist);
    if (rc) return rc;
    set_head(root, x, from, to);
    if (refused) {
        json_object_set_new(root, "shown", json_false());
        json_object_set_new(root, "hidden", json_string(refused));
        return HARK_OK;
    }
    table t = {0};
    keys r = {calloc(KEYS_MAX, 256), 0}, cl = {calloc(KEYS_MAX, 256), 0};
    if (!r.v || !cl.v) {
        rc = HARK_ENOMEM;
        goto out;
    }
    rc = from && to ? heatmap_table(c, j, x, from, to, &t, &r, &cl) : HARK_ENOTFOUND;
    json_object_set_new(root, "shown", json_true());
    json_t *jr = json_array(), *jc = json_array(), *cells = json_array(), *rt = json_array(), *ct = json_array();
    json_object_set_new(root, "rows", jr);
    json_object_set_new(root, "cols", jc);
    json_object_set_new(root, "cells", cells);
    json_object_set_new(root, "row_totals", rt);
    json_object_set_new(root, "col_totals", ct);
    if (rc == HARK_ENOTFOUND) {
        json_object_set_new(root, "total", json_pack("{s:i}", "n", 0));
        rc = HARK_OK;
        goto out;
    }
    if (rc) goto out;
    for (size_t i = 0; i < r.n; i++) json_array_append_new(jr, key_json(x, j->row_dim, r.v[i]));
    for (size_t i = 0; i < cl.n; i++) json_array_append_new(jc, key_json(x, j->col_dim, cl.v[i]));
    for (size_t i = 0; i < t.rows; i++) {
        json_t *line = json_array();
        for (size_t k = 0; k < t.cols; k++) {
            size_t at = i * t.cols + k;
            anon_reason why[4] = {t.reason[0][at], t.reason[1][at], t.reason[2][at], t.reason[3][at]};
            json_array_append_new(line, cell_json(&t, &t.cell[at], why, j->measure));
        }
        json_array_append_new(cells, line);
        store_figures tot;
        line_total(&t, i, 1, &tot);
        anon_reason why[4];
        for (int w = 0; w < 4; w++) why[w] = total_reason(t.row_reason[w][i], t.row_sib[w], i);
        json_array_append_new(rt, cell_json(&t, &tot, why, j->measure));
    }
    for (size_t k = 0; k < t.cols; k++) {
        store_figures tot;
        line_total(&t, k, 0, &tot);
        anon_reason why[4];
        for (int w = 0; w < 4; w++) why[w] = total_reason(t.col_reason[w][k], t.col_sib[w], k);
        json_array_append_new(ct, cell_json(&t, &tot, why, j->measure));
    }
    store_figures all = {0};
    for (size_t i = 0; i < t.rows * t.cols; i++) store_figures_add(&all, &t.cell[i]);
    json_object_set_new(root, "total", cell_json(&t, &all, t.grand_reason, j->measure));
out:
    free(r.v);
    free(cl.v);
    table_free(&t);
    return rc;
}

/* ---- segments and outreach status ---- */

static int segments_work(store_conn *c, ctx *x, json_t *root) {
    store_dash_segments s;
    int rc = store_dash_segments_get(c, x->p->tenant_id, 1000, &s);
    if (rc) return rc;
    json_t *d = json_array(), *l = json_array(), *b = json_array(), *t = json_array(), *m = json_array();
    for (size_t i = 0; i < s.ndepartments; i++)
        if (web_dept_allowed(x->p, s.departments[i])) json_array_append_new(d, json_string(s.departments[i]));
    for (size_t i = 0; i < s.nlocations; i++) json_array_append_new(l, json_string(s.locations[i]));
    for (const char *const *p = store_rollup_bands; *p; p++)
        if (**p) json_array_append_new(b, json_string(*p));
    for (size_t i = 0; i < x->ntps; i++)
        json_array_append_new(t, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)x->tps[i].id, "name", x->tps[i].name,
                                           "kind", x->tps[i].kind));
    for (size_t i = 0; i < s.nmonths; i++) {
        char mt[8];
        month_text(s.months[i], mt);
        json_array_append_new(m, json_string(mt));
    }
    store_dash_segments_free(&s);
    json_object_set_new(root, "departments", d);
    json_object_set_new(root, "locations", l);
    json_object_set_new(root, "bands", b);
    json_object_set_new(root, "touchpoints", t);
    json_object_set_new(root, "months", m);
    json_object_set_new(root, "k", json_integer(x->k));
    json_object_set_new(root, "mode", json_string(x->confidential ? "confidential" : "anonymous"));
    return HARK_OK;
}

#define STATUS_ROWS 4096

static int status_work(store_conn *c, dash_job *j, ctx *x, json_t *root) {
    store_status_row *rows = calloc(STATUS_ROWS, sizeof *rows);
    size_t n = 0;
    if (!rows) return HARK_ENOMEM;
    int64_t now = hark_now_ms();
    int rc = store_outreach_status(c, x->p->tenant_id, now - (int64_t)j->days * 86400000LL, now + 86400000LL, rows,
                                   STATUS_ROWS, &n);
    if (!rc) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            char day[11];
            tz_date_format(rows[i].day, day);
            json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s, s:I}", "day", day, "touchpoint_id",
                                               (json_int_t)rows[i].touchpoint_id, "touchpoint", rows[i].touchpoint,
                                               "status", rows[i].status, "count", (json_int_t)rows[i].count));
        }
        json_object_set_new(root, "days", json_integer(j->days));
        json_object_set_new(root, "rows", a);
    }
    free(rows);
    return rc;
}

/* ---- export ---- */

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The responses export: the department x month heatmap of the request's
 * segment, one line per cell with every measure, hidden cells with their
 * reason and no figures. Audited. */
static int export_work(store_conn *c, dash_job *j, ctx *x) {
    store_dash_row *hist = NULL;
    size_t nh = 0;
    int from, to;
    store_figures self, parents[32];
    const char *refused;
    anon_reason sib[4];
    int rc = view_checked(c, j, x, &hist, &nh, &from, &to, &self, parents, &refused, sib);
    free(hist);
    if (rc) return rc;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return HARK_ENOMEM;
    fputs("department,month,invited,responses,completed,mood_average,enps,negative_comment_share,hidden\r\n", f);
    table t = {0};
    keys r = {calloc(KEYS_MAX, 256), 0}, cl = {calloc(KEYS_MAX, 256), 0};
    if (!r.v || !cl.v) rc = HARK_ENOMEM;
    if (!rc && refused) {
        fprintf(f, "(all),,,,,,,,%s\r\n", refused);
    } else if (!rc && from && to) {
        j->row_dim = STORE_DIM_DEPARTMENT;
        j->col_dim = STORE_DIM_MONTH;
        rc = heatmap_table(c, j, x, from, to, &t, &r, &cl);
        if (rc == HARK_ENOTFOUND) rc = HARK_OK;
        for (size_t i = 0; i < t.rows && !rc; i++)
            for (size_t k = 0; k < t.cols; k++) {
                size_t at = i * t.cols + k;
                const store_figures *fg = &t.cell[at];
                char mt[8];
                month_text(atoi(cl.v[k]), mt);
                csv_field(f, r.v[i]);
                fprintf(f, ",%s,", mt);
                if (t.reason[0][at] != ANON_SHOW) {
                    fprintf(f, ",,,,,,%s\r\n", anon_reason_code(t.reason[0][at]));
                    continue;
                }
                fprintf(f, "%lld,%lld,%lld,", (long long)fg->invited, (long long)fg->started, (long long)fg->completed);
                if (t.reason[1][at] == ANON_SHOW && fg->mood_n) fprintf(f, "%.2f", fg->mood_sum / (double)fg->mood_n);
                fputc(',', f);
                if (t.reason[2][at] == ANON_SHOW && fg->enps_n) fprintf(f, "%d", enps_score(fg));
                fputc(',', f);
                if (t.reason[3][at] == ANON_SHOW && fg->comments)
                    fprintf(f, "%.2f", (double)fg->comments_neg / (double)fg->comments);
                fputs(",\r\n", f);
            }
    }
    free(r.v);
    free(cl.v);
    table_free(&t);
    if (fclose(f) || rc) {
        free(buf);
        return rc ? rc : HARK_ENOMEM;
    }
    j->text = buf;
    return HARK_OK;
}

static int dash_work(store_conn *c, void *arg) {
    dash_job *j = arg;
    ctx x;
    int rc = load_ctx(c, j, &x);
    if (rc) return rc;
    if (j->kind == DASH_EXPORT) return export_work(c, j, &x);
    json_t *root = json_object();
    if (!root) return HARK_ENOMEM;
    switch (j->kind) {
    case DASH_OVERVIEW: rc = overview_work(c, j, &x, root); break;
    case DASH_HEATMAP: rc = heatmap_work(c, j, &x, root); break;
    case DASH_SEGMENTS: rc = segments_work(c, &x, root); break;
    case DASH_STATUS: rc = status_work(c, j, &x, root); break;
    case DASH_EXPORT: break;
    }
    if (!rc && !(j->text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6)))) rc = HARK_ENOMEM;
    json_decref(root);
    return rc;
}

/* The export is audited before it is sent: a write job after the read. */
static int audit_work(store_conn *c, void *arg) {
    dash_job *j = arg;
    json_t *d = json_pack("{s:s?, s:s?, s:s?, s:I}", "department", j->f.department[0] ? j->f.department : NULL,
                          "location", j->f.location[0] ? j->f.location : NULL, "band", j->f.band[0] ? j->f.band : NULL,
                          "touchpoint", (json_int_t)j->f.touchpoint);
    int rc = d ? web_audit(c, &j->call->p, "export.responses", "", d) : HARK_ENOMEM;
    json_decref(d);
    return rc;
}

static void job_free(dash_job *j) {
    store_dash_raw_free(j->raw);
    free(j->text);
    free(j);
}

static void audit_done(void *arg, int status) {
    dash_job *j = arg;
    web_call *call = j->call;
    if (status)
        web_reply_status(call, status);
    else
        web_reply_file(call, "text/csv; charset=utf-8", "responses.csv", j->text, strlen(j->text));
    job_free(j);
}

static void dash_done(void *arg, int status) {
    dash_job *j = arg;
    web_call *call = j->call;
    if (status == HARK_ETOOBIG) {
        web_reply_error(call, 413, "too_large",
                        "this view has too many groups to show at once: filter it (by department, say)");
    } else if (status) {
        web_reply_status(call, status);
    } else if (j->kind == DASH_EXPORT) {
        if (web_call_submit(call, STORE_WRITE, audit_work, audit_done, j) == 0) return;
    } else {
        web_reply_json(call, 200, j->text, strlen(j->text));
    }
    job_free(j);
}

static void start(web_call *call, enum dash_kind kind) {
    dash_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    j->kind = kind;
    j->days = 14;
    if ((kind == DASH_OVERVIEW || kind == DASH_HEATMAP || kind == DASH_EXPORT) && read_filter(call, &j->f)) {
        free(j);
        return;
    }
    if (kind == DASH_HEATMAP) {
        char v[32];
        int rc;
        j->row_dim = STORE_DIM_DEPARTMENT;
        j->col_dim = STORE_DIM_MONTH;
        j->measure = M_MOOD;
        if ((rc = web_call_param(call, "rows", v, sizeof v)) == HARK_EINVAL) goto answered;
        if (rc == HARK_OK && (j->row_dim = parse_dim(v, 0)) < 0) {
            web_reply_error(call, 400, "bad_request", "rows must be department, location, band or manager");
            goto answered;
        }
        if ((rc = web_call_param(call, "cols", v, sizeof v)) == HARK_EINVAL) goto answered;
        if (rc == HARK_OK && ((j->col_dim = parse_dim(v, 1)) < 0 || j->col_dim == j->row_dim)) {
            web_reply_error(call, 400, "bad_request",
                            "cols must be touchpoint, month, department, location, band or manager, other than rows");
            goto answered;
        }
        int by_manager = j->row_dim == STORE_DIM_MANAGER || j->col_dim == STORE_DIM_MANAGER;
        int fine = (j->f.mask & (STORE_COND_LOCATION | STORE_COND_BAND)) || j->row_dim == STORE_DIM_LOCATION ||
                   j->row_dim == STORE_DIM_BAND || j->col_dim == STORE_DIM_LOCATION || j->col_dim == STORE_DIM_BAND;
        if (by_manager && fine) {
            web_reply_error(call, 400, "bad_request",
                            "a heatmap by manager takes department, touchpoint and month, not location or band");
            goto answered;
        }
        if ((rc = web_call_param(call, "measure", v, sizeof v)) == HARK_EINVAL) goto answered;
        if (rc == HARK_OK) {
            static const char *const names[] = {"mood", "enps", "response_rate", "negative_share"};
            int m = -1;
            for (int i = 0; i < 4; i++)
                if (!strcmp(v, names[i])) m = i;
            if (m < 0) {
                web_reply_error(call, 400, "bad_request",
                                "measure must be mood, enps, response_rate or negative_share");
                goto answered;
            }
            j->measure = (enum measure)m;
        }
    }
    if (kind == DASH_STATUS) {
        char v[16];
        int rc = web_call_param(call, "days", v, sizeof v);
        if (rc == HARK_EINVAL) goto answered;
        if (rc == HARK_OK) {
            char *end;
            long d = strtol(v, &end, 10);
            if (*end || d < 1 || d > 366) {
                web_reply_error(call, 400, "bad_request", "days must be from 1 to 366");
                goto answered;
            }
            j->days = (int)d;
        }
    }
    if (web_call_submit(call, STORE_READ, dash_work, dash_done, j)) free(j);
    return;
answered:
    free(j);
}

static void overview(web_call *call) {
    start(call, DASH_OVERVIEW);
}
static void heatmap(web_call *call) {
    start(call, DASH_HEATMAP);
}
static void segments(web_call *call) {
    start(call, DASH_SEGMENTS);
}
static void outreach_status(web_call *call) {
    start(call, DASH_STATUS);
}
static void export_responses(web_call *call) {
    start(call, DASH_EXPORT);
}

const web_route web__dashboard_api[] = {
    {"GET", "/api/v1/dashboard/overview", WEB_ROLES_ALL, AUTH_SCOPE_READ_DASHBOARD, overview, NULL,
     "cards and the monthly trend of a segment"},
    {"GET", "/api/v1/dashboard/heatmap", WEB_ROLES_ALL, AUTH_SCOPE_READ_DASHBOARD, heatmap, NULL,
     "a measure by two dimensions, small groups suppressed"},
    {"GET", "/api/v1/dashboard/segments", WEB_ROLES_ALL, AUTH_SCOPE_READ_DASHBOARD, segments, NULL,
     "the departments, locations, bands, touchpoints and months to filter on"},
    {"GET", "/api/v1/outreach/status", WEB_ROLES_ADMIN, AUTH_SCOPE_READ_DASHBOARD, outreach_status, NULL,
     "invites by day, touchpoint and state"},
    {"GET", "/api/v1/export/responses.csv", WEB_ROLES_HR, AUTH_SCOPE_READ_DASHBOARD, export_responses, NULL,
     "the department x month figures as CSV (audited)"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- the gate for comments (web_api.h) ---- */

struct web_dash_gate {
    web_call call; /* only its principal is read */
    dash_job job;
    ctx x;
    int ready;
};

web_dash_gate *web_dash_gate_new(const web_principal *p, const char *department, const char *location,
                                 int64_t touchpoint_id) {
    web_dash_gate *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->call.p = *p;
    g->job.call = &g->call;
    dash_filter *f = &g->job.f;
    if (department && *department) {
        snprintf(f->department, sizeof f->department, "%s", department);
        f->mask |= STORE_COND_DEPARTMENT;
    }
    if (location && *location) {
        snprintf(f->location, sizeof f->location, "%s", location);
        f->mask |= STORE_COND_LOCATION;
    }
    if (touchpoint_id) {
        f->touchpoint = touchpoint_id;
        f->mask |= STORE_COND_TOUCHPOINT;
    }
    return g;
}

int web_dash_gate_check(store_conn *c, web_dash_gate *g, int from, int to, const char **reason) {
    int rc = HARK_OK;
    *reason = NULL;
    if (!g->ready) {
        if ((rc = load_ctx(c, &g->job, &g->x))) return rc;
        g->ready = 1;
    }
    store_dash_row *rows = NULL;
    size_t n = 0;
    store_figures self, parents[32];
    anon_reason sib[4];
    g->job.f.from = from;
    g->job.f.to = to;
    rc = view_checked(c, &g->job, &g->x, &rows, &n, &from, &to, &self, parents, reason, sib);
    free(rows);
    /* Comments are text answers: their own count must pass as well. */
    if (!rc && !*reason && sib[3] != ANON_SHOW) *reason = anon_reason_code(sib[3]);
    return rc;
}

void web_dash_gate_free(web_dash_gate *g) {
    if (!g) return;
    store_dash_raw_free(g->job.raw);
    free(g);
}
