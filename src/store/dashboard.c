/* The dashboard's reads of the rollups (dashboard.h), in portable
 * statements. One statement serves every grouping: the dimensions are
 * chosen by bound numbers (CASE), the segment's conditions become match
 * bits instead of a WHERE, so the view and all its broader views come from
 * one scan of the tenant's month range (rollups' unique index starts with
 * tenant_id, month). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/dashboard.h"
#include "store/store_int.h"

#define FIGURES                                                                                                        \
    "invited, started, completed, mood_n, mood_1, mood_2, mood_3, mood_4, mood_5, mood_sum, enps_n, enps_promoters, "  \
    "enps_detractors, comments, comments_neg, comments_pos"

static const store_sql Q_DEPARTMENTS = {
    "dash_departments", "SELECT DISTINCT department FROM rollups WHERE tenant_id = ? ORDER BY 1 LIMIT ?"};
static const store_sql Q_LOCATIONS = {"dash_locations",
                                      "SELECT DISTINCT location FROM rollups WHERE tenant_id = ? ORDER BY 1 LIMIT ?"};
static const store_sql Q_MONTHS = {"dash_months",
                                   "SELECT DISTINCT month FROM rollups WHERE tenant_id = ? ORDER BY 1 LIMIT ?"};

static const store_sql Q_SETTINGS = {"dash_settings", "SELECT anon_k, confidentiality FROM tenants WHERE id = ?"};

int store_dash_settings(store_conn *c, int64_t tenant_id, int *anon_k, char mode[16]) {
    store_q *q;
    if (!c || !anon_k || !mode) return HARK_EINVAL;
    int rc = store__q(c, &Q_SETTINGS, &q, "i", tenant_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        *anon_k = (int)store__q_i64(q, 0);
        rc = store__q_field(q, 1, mode, 16);
    }
    return store__q_close(q, rc);
}

void store_figures_add(store_figures *a, const store_figures *b) {
    a->invited += b->invited;
    a->started += b->started;
    a->completed += b->completed;
    a->mood_n += b->mood_n;
    for (int i = 0; i < 5; i++) a->mood[i] += b->mood[i];
    a->mood_sum += b->mood_sum;
    a->enps_n += b->enps_n;
    a->enps_promoters += b->enps_promoters;
    a->enps_detractors += b->enps_detractors;
    a->comments += b->comments;
    a->comments_neg += b->comments_neg;
    a->comments_pos += b->comments_pos;
}

static void read_figures(store_q *q, int col, store_figures *f) {
    f->invited = store__q_i64(q, col);
    f->started = store__q_i64(q, col + 1);
    f->completed = store__q_i64(q, col + 2);
    f->mood_n = store__q_i64(q, col + 3);
    for (int i = 0; i < 5; i++) f->mood[i] = store__q_i64(q, col + 4 + i);
    f->mood_sum = store__q_f64(q, col + 9);
    f->enps_n = store__q_i64(q, col + 10);
    f->enps_promoters = store__q_i64(q, col + 11);
    f->enps_detractors = store__q_i64(q, col + 12);
    f->comments = store__q_i64(q, col + 13);
    f->comments_neg = store__q_i64(q, col + 14);
    f->comments_pos = store__q_i64(q, col + 15);
}

static int dim_ok(int d) {
    return d >= STORE_DIM_NONE && d <= STORE_DIM_MANAGER;
}

/* ---- in memory ---- */

static const store_sql Q_RAW = {"dash_raw", "SELECT department, location, band, touchpoint_id, month, " FIGURES
                                            " FROM rollups WHERE tenant_id = ?"};
static const store_sql Q_RAW_MANAGER = {"dash_raw_manager", "SELECT department, '', '', touchpoint_id, month, " FIGURES
                                                            ", manager FROM rollups_manager WHERE tenant_id = ?"};
static const store_sql Q_RAW_DEPT = {"dash_raw_dept", "SELECT department, '', '', touchpoint_id, month, " FIGURES
                                                      " FROM rollups_dept WHERE tenant_id = ?"};

#define RAW_STRINGS 65535 /* distinct departments, locations, bands and managers together (uint16_t) */

typedef struct raw_row {
    int month;
    uint16_t dept, loc, band, manager; /* indexes into strings */
    int64_t tp;
    store_figures f;
} raw_row;

struct store_dash_raw {
    raw_row *rows;
    size_t n;
    char **str; /* the distinct strings, each allocated */
    size_t nstr, capstr;
    uint32_t *slot; /* open-addressing index of str (index + 1; 0 = empty) */
    size_t nslots;
};

static uint64_t str_hash(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* The slot of S (LEN bytes) in RAW's index: its string's, or the empty one
 * where it would go. */
static size_t str_slot(const store_dash_raw *raw, const char *s, size_t len) {
    size_t i = (size_t)str_hash(s, len) & (raw->nslots - 1);
    while (raw->slot[i]) {
        const char *t = raw->str[raw->slot[i] - 1];
        if (strncmp(t, s, len) == 0 && t[len] == '\0') break;
        i = (i + 1) & (raw->nslots - 1);
    }
    return i;
}

/* The index of S among RAW's strings, added if new; -1 when full or out of
 * memory. */
static int intern(store_dash_raw *raw, const char *s, size_t len) {
    if (!raw->nslots || raw->nstr * 2 >= raw->nslots) {
        size_t ns = raw->nslots ? raw->nslots * 2 : 256;
        uint32_t *t = calloc(ns, sizeof *t);
        if (!t) return -1;
        free(raw->slot);
        raw->slot = t;
        raw->nslots = ns;
        for (size_t k = 0; k < raw->nstr; k++)
            raw->slot[str_slot(raw, raw->str[k], strlen(raw->str[k]))] = (uint32_t)k + 1;
    }
    size_t i = str_slot(raw, s, len);
    if (raw->slot[i]) return (int)raw->slot[i] - 1;
    if (raw->nstr == RAW_STRINGS) return -1;
    if (raw->nstr == raw->capstr) {
        size_t nc = raw->capstr ? raw->capstr * 2 : 64;
        char **ns = realloc(raw->str, nc * sizeof *ns);
        if (!ns) return -1;
        raw->str = ns;
        raw->capstr = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    raw->str[raw->nstr] = copy;
    raw->slot[i] = (uint32_t)++raw->nstr;
    return (int)raw->nstr - 1;
}

static int find_str(const store_dash_raw *raw, const char *s) {
    if (!s) return -2; /* a condition that is not set matches nothing */
    if (!raw->nslots) return -1;
    size_t i = str_slot(raw, s, strlen(s));
    return raw->slot[i] ? (int)raw->slot[i] - 1 : -1;
}

int store_dash_raw_load(store_conn *c, int64_t tenant_id, int table, size_t max, store_dash_raw **out) {
    store_q *q;
    *out = NULL;
    store_dash_raw *raw = calloc(1, sizeof *raw);
    if (!raw) return HARK_ENOMEM;
    size_t cap = 0;
    const store_sql *sql = table == STORE_DASH_FULL      ? &Q_RAW
                           : table == STORE_DASH_MANAGER ? &Q_RAW_MANAGER
                                                         : &Q_RAW_DEPT;
    int rc = store__q(c, sql, &q, "i", tenant_id);
    if (rc) {
        store_dash_raw_free(raw);
        return rc;
    }
    while ((rc = store__q_step(q)) == 1) {
        if (raw->n == max) {
            rc = HARK_ETOOBIG;
            break;
        }
        if (raw->n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            raw_row *nr = realloc(raw->rows, ncap * sizeof *nr);
            if (!nr) {
                rc = HARK_ENOMEM;
                break;
            }
            raw->rows = nr;
            cap = ncap;
        }
        raw_row *r = &raw->rows[raw->n];
        int idx[3];
        for (int k = 0; k < 3; k++) {
            size_t len;
            const char *t = store__q_text(q, k, &len);
            /* Rows come in key order: the value is most often the last one. */
            int prev = raw->n ? (k == 0   ? raw->rows[raw->n - 1].dept
                                 : k == 1 ? raw->rows[raw->n - 1].loc
                                          : raw->rows[raw->n - 1].band)
                              : -1;
            if (prev >= 0 && strlen(raw->str[prev]) == len && memcmp(raw->str[prev], t, len) == 0)
                idx[k] = prev;
            else
                idx[k] = intern(raw, t, len);
        }
        if (idx[0] < 0 || idx[1] < 0 || idx[2] < 0) {
            rc = HARK_ETOOBIG;
            break;
        }
        r->dept = (uint16_t)idx[0];
        r->loc = (uint16_t)idx[1];
        r->band = (uint16_t)idx[2];
        r->manager = (uint16_t)idx[1]; /* "" but on the manager table */
        if (table == STORE_DASH_MANAGER) {
            size_t len;
            const char *t = store__q_text(q, 21, &len);
            int m = intern(raw, t, len);
            if (m < 0) {
                rc = HARK_ETOOBIG;
                break;
            }
            r->manager = (uint16_t)m;
        }
        r->tp = store__q_i64(q, 3);
        r->month = (int)store__q_i64(q, 4);
        read_figures(q, 5, &r->f);
        raw->n++;
    }
    rc = store__q_close(q, rc);
    if (rc) {
        store_dash_raw_free(raw);
        return rc;
    }
    *out = raw;
    return HARK_OK;
}

void store_dash_raw_free(store_dash_raw *raw) {
    if (!raw) return;
    free(raw->rows);
    for (size_t i = 0; i < raw->nstr; i++) free(raw->str[i]);
    free(raw->str);
    free(raw->slot);
    free(raw);
}

/* A dimension's value of R as a number (a string index, the touchpoint id
 * or the month), and as text. */
static int64_t dim_code(const raw_row *r, int dim) {
    switch (dim) {
    case STORE_DIM_DEPARTMENT: return r->dept;
    case STORE_DIM_LOCATION: return r->loc;
    case STORE_DIM_BAND: return r->band;
    case STORE_DIM_TOUCHPOINT: return r->tp;
    case STORE_DIM_MONTH: return r->month;
    case STORE_DIM_MANAGER: return r->manager;
    default: return 0;
    }
}

/* The text of a dimension's value CODE: one of RAW's strings, or the
 * number written into BUF. */
static const char *dim_text(const store_dash_raw *raw, int dim, int64_t code, char *buf, size_t cap) {
    if (dim == STORE_DIM_DEPARTMENT || dim == STORE_DIM_LOCATION || dim == STORE_DIM_BAND || dim == STORE_DIM_MANAGER)
        return raw->str[code];
    if (dim == STORE_DIM_NONE) return "";
    snprintf(buf, cap, "%lld", (long long)code);
    return buf;
}

typedef struct gkey {
    int64_t rc, cc;
    uint16_t dept;
    unsigned match;
} gkey;

/* Every field reaches the low bits the table uses (a splitmix64 finish). */
static size_t gkey_hash(const gkey *k) {
    uint64_t h = (uint64_t)k->rc * 0x9e3779b97f4a7c15ull;
    h = (h ^ (uint64_t)k->cc) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ ((uint64_t)k->dept << 8 | k->match)) * 0x94d049bb133111ebull;
    return (size_t)(h ^ (h >> 31));
}

/* Slots of a growing open-addressing table of group indexes (+1; 0 = empty). */
static int slots_grow(uint32_t **slot, size_t *nslots, const gkey *keys, size_t n) {
    size_t ns = *nslots ? *nslots * 2 : 256;
    uint32_t *t = calloc(ns, sizeof *t);
    if (!t) return HARK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t s = gkey_hash(&keys[i]) & (ns - 1);
        while (t[s]) s = (s + 1) & (ns - 1);
        t[s] = (uint32_t)i + 1;
    }
    free(*slot);
    *slot = t;
    *nslots = ns;
    return HARK_OK;
}

int store_dash_group(const store_dash_raw *raw, const store_dash_query *qy, size_t max, store_dash_row **out,
                     size_t *n) {
    if (!raw || !qy || !out || !n || !dim_ok(qy->row_dim) || !dim_ok(qy->col_dim) || max == 0 || max > UINT32_MAX)
        return HARK_EINVAL;
    *out = NULL;
    *n = 0;
    int want_dept = find_str(raw, qy->department), want_loc = find_str(raw, qy->location),
        want_band = find_str(raw, qy->band);
    uint32_t *slot = NULL;
    size_t nslots = 0, cap = 0;
    gkey *keys = NULL;
    store_dash_row *rows = NULL;
    int rc = slots_grow(&slot, &nslots, NULL, 0);
    for (size_t i = 0; i < raw->n && !rc; i++) {
        const raw_row *r = &raw->rows[i];
        if (r->month < qy->from_month || r->month > qy->to_month) continue;
        gkey k = {dim_code(r, qy->row_dim), dim_code(r, qy->col_dim), r->dept,
                  (want_dept >= 0 && r->dept == want_dept ? STORE_COND_DEPARTMENT : 0u) |
                      (want_loc >= 0 && r->loc == want_loc ? STORE_COND_LOCATION : 0u) |
                      (want_band >= 0 && r->band == want_band ? STORE_COND_BAND : 0u) |
                      (qy->touchpoint_id && r->tp == qy->touchpoint_id ? STORE_COND_TOUCHPOINT : 0u)};
        size_t s = gkey_hash(&k) & (nslots - 1);
        while (slot[s]) {
            const gkey *o = &keys[slot[s] - 1];
            if (o->rc == k.rc && o->cc == k.cc && o->dept == k.dept && o->match == k.match) break;
            s = (s + 1) & (nslots - 1);
        }
        if (!slot[s]) {
            if (*n == max) {
                rc = HARK_ETOOBIG;
                break;
            }
            if (*n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                store_dash_row *nr = realloc(rows, ncap * sizeof *nr);
                if (nr) rows = nr;
                gkey *nk = nr ? realloc(keys, ncap * sizeof *nk) : NULL;
                if (!nk) {
                    rc = HARK_ENOMEM;
                    break;
                }
                keys = nk;
                cap = ncap;
            }
            keys[*n] = k;
            store_dash_row *o = &rows[*n];
            memset(o, 0, sizeof *o); /* its strings are set at the end: rows may still move */
            o->match = k.match;
            slot[s] = (uint32_t)++ * n;
            if (*n * 2 > nslots && (rc = slots_grow(&slot, &nslots, keys, *n))) break;
            store_figures_add(&o->f, &r->f);
            continue;
        }
        store_figures_add(&rows[slot[s] - 1].f, &r->f);
    }
    for (size_t i = 0; i < *n && !rc; i++) {
        store_dash_row *o = &rows[i];
        o->department = raw->str[keys[i].dept];
        o->row = dim_text(raw, qy->row_dim, keys[i].rc, o->rbuf, sizeof o->rbuf);
        o->col = dim_text(raw, qy->col_dim, keys[i].cc, o->cbuf, sizeof o->cbuf);
        o->month = qy->row_dim == STORE_DIM_MONTH   ? (int)keys[i].rc
                   : qy->col_dim == STORE_DIM_MONTH ? (int)keys[i].cc
                                                    : 0;
    }
    free(slot);
    free(keys);
    if (rc) {
        free(rows);
        *n = 0;
        return rc;
    }
    *out = rows;
    return HARK_OK;
}

/* Reads up to MAX text values of SQL (tenant, limit) into *OUT. */
static int distinct_text(store_conn *c, const store_sql *sql, int64_t tenant_id, size_t max, char (**out)[256],
                         size_t *n) {
    store_q *q;
    *out = calloc(max ? max : 1, sizeof **out);
    *n = 0;
    if (!*out) return HARK_ENOMEM;
    int rc = store__q(c, sql, &q, "ii", tenant_id, (int64_t)max);
    if (rc) return rc;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        if ((rc = store__q_field(q, 0, (*out)[*n], sizeof(*out)[*n]))) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

int store_dash_segments_get(store_conn *c, int64_t tenant_id, size_t max, store_dash_segments *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = distinct_text(c, &Q_DEPARTMENTS, tenant_id, max, &out->departments, &out->ndepartments);
    if (!rc) rc = distinct_text(c, &Q_LOCATIONS, tenant_id, max, &out->locations, &out->nlocations);
    if (!rc && !(out->months = calloc(max ? max : 1, sizeof *out->months))) rc = HARK_ENOMEM;
    if (!rc) rc = store__q(c, &Q_MONTHS, &q, "ii", tenant_id, (int64_t)max);
    if (!rc) {
        while (out->nmonths < max && (rc = store__q_step(q)) == 1)
            out->months[out->nmonths++] = (int)store__q_i64(q, 0);
        rc = store__q_close(q, rc);
    }
    if (rc) store_dash_segments_free(out);
    return rc;
}

void store_dash_segments_free(store_dash_segments *s) {
    free(s->departments);
    free(s->locations);
    free(s->months);
    memset(s, 0, sizeof *s);
}
