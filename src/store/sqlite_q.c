/* Portable statements on SQLite (store_int.h, "portable statements"). Each
 * connection keeps the statements it prepared in a small open-addressing
 * table keyed by the store_sql's address; a statement already running (a
 * nested open of the same SQL) gets a fresh one, finalised at close. */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "store/sqlite_int.h"

struct sq_q {
    store_q head; /* first: a store_q * is a struct sq_q * */
    struct sq_conn *c;
    const store_sql *sql;
    sqlite3_stmt *st;
    int idx;     /* the last parameter bound */
    int brc;     /* SQLite code of the first failed bind */
    int owned;   /* not from the cache: finalised at close */
    int changes; /* rows changed, read when the statement finished */
};

static size_t slot_of(const store_sql *sql) {
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= (uintptr_t)0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 8) & (SQ_QCACHE - 1);
}

/* The cached statement for SQL, prepared on first use; NULL with *RC set
 * when it cannot be prepared. *OWNED is 1 when the cache is full or the
 * cached one is busy: the caller finalises that one. */
static sqlite3_stmt *lookup(struct sq_conn *c, const store_sql *sql, int *owned, int *rc) {
    size_t i = slot_of(sql);
    *owned = 0;
    *rc = HARK_OK;
    for (size_t probe = 0; probe < SQ_QCACHE; probe++, i = (i + 1) & (SQ_QCACHE - 1)) {
        if (c->qcache[i].sql == sql) {
            if (!sqlite3_stmt_busy(c->qcache[i].st)) return c->qcache[i].st;
            break; /* running in an outer loop: prepare another */
        }
        if (!c->qcache[i].sql) {
            sqlite3_stmt *st = NULL;
            int r = sqlite3_prepare_v3(c->db, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
            if (r != SQLITE_OK) {
                *rc = sq_error(c, r, sql->name);
                return NULL;
            }
            c->qcache[i].sql = sql;
            c->qcache[i].st = st;
            return st;
        }
    }
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v3(c->db, sql->text, -1, 0, &st, NULL);
    if (r != SQLITE_OK) {
        *rc = sq_error(c, r, sql->name);
        return NULL;
    }
    *owned = 1;
    return st;
}

int sq_q_open(store_conn *base, const store_sql *sql, store_q **out) {
    struct sq_conn *c = sq(base);
    struct sq_q *q = calloc(1, sizeof *q);
    *out = NULL;
    if (!q) return HARK_ENOMEM;
    int rc;
    q->st = lookup(c, sql, &q->owned, &rc);
    if (!q->st) {
        free(q);
        return rc;
    }
    q->head.be = base->be;
    q->c = c;
    q->sql = sql;
    *out = &q->head;
    return HARK_OK;
}

static struct sq_q *qq(store_q *q) {
    return (struct sq_q *)q;
}

static void bound(struct sq_q *q, int rc) {
    if (q->brc == SQLITE_OK) q->brc = rc;
}

void sq_q_bind_i64(store_q *base, int64_t v) {
    struct sq_q *q = qq(base);
    bound(q, sqlite3_bind_int64(q->st, ++q->idx, v));
}

void sq_q_bind_f64(store_q *base, double v) {
    struct sq_q *q = qq(base);
    bound(q, sqlite3_bind_double(q->st, ++q->idx, v));
}

void sq_q_bind_text(store_q *base, const char *s, size_t len) {
    struct sq_q *q = qq(base);
    if (!s)
        bound(q, sqlite3_bind_null(q->st, ++q->idx));
    else if (len > INT32_MAX)
        bound(q, SQLITE_TOOBIG);
    else
        bound(q, sqlite3_bind_text(q->st, ++q->idx, s, (int)len, SQLITE_TRANSIENT));
}

int sq_q_step(store_q *base) {
    struct sq_q *q = qq(base);
    if (q->brc != SQLITE_OK) return sq_error(q->c, q->brc, q->sql->name);
    int rc = sqlite3_step(q->st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) {
        q->changes = sqlite3_changes(q->c->db);
        return 0;
    }
    return sq_error(q->c, rc, q->sql->name);
}

int sq_q_is_null(store_q *base, int col) {
    return sqlite3_column_type(qq(base)->st, col) == SQLITE_NULL;
}

int64_t sq_q_i64(store_q *base, int col) {
    return sqlite3_column_int64(qq(base)->st, col);
}

double sq_q_f64(store_q *base, int col) {
    return sqlite3_column_double(qq(base)->st, col);
}

const char *sq_q_text(store_q *base, int col, size_t *len) {
    sqlite3_stmt *st = qq(base)->st;
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = s ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (len) *len = n;
    return s ? (const char *)s : "";
}

int64_t sq_q_changes(store_q *base) {
    return qq(base)->changes;
}

int sq_q_close(store_q *base, int rc) {
    struct sq_q *q = qq(base);
    if (!q) return rc;
    if (q->owned) {
        sqlite3_finalize(q->st);
    } else {
        sqlite3_reset(q->st);
        sqlite3_clear_bindings(q->st);
    }
    free(q);
    return rc < 0 ? rc : HARK_OK;
}

void sq_q_cache_free(struct sq_conn *c) {
    for (size_t i = 0; i < SQ_QCACHE; i++) sqlite3_finalize(c->qcache[i].st);
}
