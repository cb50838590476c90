/* The SQLite backend's core: opening connections (WAL, busy timeout, foreign
 * keys, the durability level as PRAGMA synchronous), transactions and
 * savepoints, the per-connection statement cache, binding and column helpers,
 * translation of SQLite result codes into Hark codes, and the migration
 * bookkeeping. The domain queries are in sqlite_ops.c and sqlite_chat.c.
 *
 * Each connection is opened with SQLITE_OPEN_NOMUTEX: it is used by one
 * thread at a time (store.h), so SQLite's own mutexes would only cost. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "store/sqlite_int.h"

#define BUSY_TIMEOUT_MS 5000

#define SQLITE_STMT_SQL(name, sql) sql,
static const char *const stmt_sql[SQ_COUNT] = {SQLITE_STMTS(SQLITE_STMT_SQL)};
#undef SQLITE_STMT_SQL
#define SQLITE_STMT_NAME(name, sql) #name,
static const char *const stmt_name[SQ_COUNT] = {SQLITE_STMTS(SQLITE_STMT_NAME)};
#undef SQLITE_STMT_NAME

/* Indexed by enum store_durability. */
static const char *const synchronous_sql[] = {
    "PRAGMA synchronous = FULL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA synchronous = OFF",
};

int sq_error(struct sq_conn *c, int rc, const char *op) {
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return HARK_EEXISTS;
        /* A referenced row (an employee, a touchpoint, an invite) does not
         * exist in the tenant. */
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return HARK_ENOTFOUND;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: log_warn("store: %s: database busy: %s", op, sqlite3_errmsg(c->db)); return HARK_EBUSY;
    case SQLITE_NOMEM: return HARK_ENOMEM;
    case SQLITE_TOOBIG: return HARK_ETOOBIG;
    default: break;
    }
    log_error("store: %s: %s (sqlite %d)", op, sqlite3_errmsg(c->db), rc);
    return HARK_EIO;
}

sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt id, int *rc) {
    *rc = HARK_OK;
    if (c->stmts[id]) return c->stmts[id];
    int r = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmts[id], NULL);
    if (r != SQLITE_OK) {
        *rc = sq_error(c, r, stmt_name[id]);
        c->stmts[id] = NULL;
    }
    return c->stmts[id];
}

void sq_bind_init(struct sq_bind *b, sqlite3_stmt *st) {
    b->st = st;
    b->idx = 0;
    b->rc = SQLITE_OK;
}

static void bind_result(struct sq_bind *b, int rc) {
    if (b->rc == SQLITE_OK) b->rc = rc;
}

void sq_bind_i64(struct sq_bind *b, int64_t v) {
    bind_result(b, sqlite3_bind_int64(b->st, ++b->idx, v));
}

void sq_bind_double(struct sq_bind *b, double v) {
    bind_result(b, sqlite3_bind_double(b->st, ++b->idx, v));
}

void sq_bind_text(struct sq_bind *b, const char *s) {
    if (!s)
        bind_result(b, sqlite3_bind_null(b->st, ++b->idx));
    else
        bind_result(b, sqlite3_bind_text(b->st, ++b->idx, s, -1, SQLITE_STATIC));
}

void sq_bind_null(struct sq_bind *b) {
    bind_result(b, sqlite3_bind_null(b->st, ++b->idx));
}

int sq_step(struct sq_conn *c, sqlite3_stmt *st, const struct sq_bind *b, const char *op) {
    if (b && b->rc != SQLITE_OK) return sq_error(c, b->rc, op);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return sq_error(c, rc, op);
}

int sq_get_by_id(struct sq_conn *c, enum sq_stmt id, int64_t tenant_id, int64_t key, const char *op,
                 sqlite3_stmt **st) {
    struct sq_bind b;
    int rc;
    if (!(*st = sq_stmt(c, id, &rc))) return rc;
    sq_bind_init(&b, *st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, key);
    rc = sq_step(c, *st, &b, op);
    return rc == 0 ? HARK_ENOTFOUND : rc;
}

void sq_done(sqlite3_stmt *st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int sq_finish(sqlite3_stmt *st, int rc) {
    sq_done(st);
    return rc < 0 ? rc : HARK_OK;
}

int sq_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap) {
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!s) n = 0;
    if (n >= cap) {
        dst[0] = '\0';
        return HARK_ETOOBIG;
    }
    if (n) memcpy(dst, s, n);
    dst[n] = '\0';
    return HARK_OK;
}

int sq_col_dup(sqlite3_stmt *st, int col, int nullable, char **out) {
    *out = NULL;
    if (nullable && sqlite3_column_type(st, col) == SQLITE_NULL) return HARK_OK;
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!s) n = 0;
    char *p = malloc(n + 1);
    if (!p) return HARK_ENOMEM;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    *out = p;
    return HARK_OK;
}

/* Runs a statement that takes no parameters and returns no rows we need. */
static int run_simple(struct sq_conn *c, enum sq_stmt id) {
    int rc;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    rc = sq_step(c, st, NULL, stmt_name[id]);
    sq_done(st);
    return rc < 0 ? rc : HARK_OK;
}

/* Runs a parameterless pragma on a connection being opened; when WANT is not
 * NULL the first column of its row must equal it. */
static int pragma(sqlite3 *db, const char *sql, const char *want, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store__err(err, errlen, "%s: %s", sql, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return rc == SQLITE_BUSY ? HARK_EBUSY : HARK_EIO;
    }
    if (want) {
        const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (!got || strcmp(got, want) != 0) {
            store__err(err, errlen, "%s: the database answered %s", sql, got ? got : "nothing");
            sqlite3_finalize(st);
            return HARK_EIO;
        }
    }
    sqlite3_finalize(st);
    return HARK_OK;
}

static void sq_close(store_conn *base) {
    struct sq_conn *c = sq(base);
    if (!c) return;
    for (int i = 0; i < SQ_COUNT; i++) sqlite3_finalize(c->stmts[i]);
    sq_q_cache_free(c);
    if (c->db && sqlite3_close(c->db) != SQLITE_OK) log_error("store: closing the database: %s", sqlite3_errmsg(c->db));
    free(c);
}

/* Process-wide settings, before SQLite's first use: no allocation
 * statistics, which would take a global mutex on every malloc and free of
 * every connection's thread. */
static void sq_configure(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

/* Waits for a lock another connection holds, in short steps: 0.1 ms for the
 * first 10 ms, then 1 ms, BUSY_TIMEOUT_MS in all. SQLite's own handler
 * sleeps up to 100 ms at a time, and in `hark serve` (the chat's writer and
 * outreach's connection on one file) those sleeps were the chat's latency
 * tail. */
static int busy_wait(void *arg, int count) {
    (void)arg;
    int64_t waited_us = count < 100 ? (int64_t)count * 100 : 10000 + (int64_t)(count - 100) * 1000;
    if (waited_us >= (int64_t)BUSY_TIMEOUT_MS * 1000) return 0;
    struct timespec ts = {0, (count < 100 ? 100 : 1000) * 1000L};
    nanosleep(&ts, NULL);
    return 1;
}

static int sq_open(store *s, const char *target, int readonly, store_conn **out, char *err, size_t errlen) {
    static uv_once_t configured = UV_ONCE_INIT;
    int rc = HARK_OK;
    uv_once(&configured, sq_configure);
    int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    struct sq_conn *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c) return HARK_ENOMEM;
    c->base.s = s;
    c->base.be = &store_sqlite_backend;
    c->base.readonly = readonly;
    int r = sqlite3_open_v2(target, &c->db, flags, NULL);
    if (r != SQLITE_OK) {
        store__err(err, errlen, "cannot open database %s: %s", target,
                   c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(r));
        rc = HARK_EIO;
        goto fail;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_handler(c->db, busy_wait, NULL);
    rc = pragma(c->db, "PRAGMA foreign_keys = ON", NULL, err, errlen);
    if (rc) goto fail;
    if (readonly) {
        /* Reads the schema: fails here, not later, on a file that is not a
         * database. */
        rc = pragma(c->db, "SELECT count(*) FROM sqlite_master", NULL, err, errlen);
    } else {
        rc = pragma(c->db, "PRAGMA journal_mode = WAL", "wal", err, errlen);
        if (rc == HARK_OK) rc = pragma(c->db, synchronous_sql[s->opts.durability], NULL, err, errlen);
        /* The writer touches the same hot pages commit after commit: a larger
         * cache keeps them, and checkpointing every 64 MiB of WAL instead of
         * every 4 MiB copies each hot page back to the database file once for
         * many commits instead of once for few. */
        if (rc == HARK_OK) rc = pragma(c->db, "PRAGMA cache_size = -65536", NULL, err, errlen);
        if (rc == HARK_OK) rc = pragma(c->db, "PRAGMA wal_autocheckpoint = 16384", NULL, err, errlen);
    }
    if (rc == HARK_OK) rc = pragma(c->db, "PRAGMA temp_store = MEMORY", NULL, err, errlen);
    if (rc) goto fail;
    *out = &c->base;
    return HARK_OK;
fail:
    sq_close(&c->base);
    return rc;
}

static int sq_begin(store_conn *c, enum store_tx_mode mode) {
    return run_simple(sq(c), mode == STORE_TX_WRITE ? SQ_BEGIN_WRITE : SQ_BEGIN_READ);
}

/* A constraint that SQLite checks only at COMMIT (deferred foreign keys) is
 * not an answer about one row here: the whole transaction failed. */
static int sq_commit(store_conn *c) {
    int rc = run_simple(sq(c), SQ_COMMIT);
    if (rc == HARK_EEXISTS || rc == HARK_ENOTFOUND) {
        log_error("store: COMMIT: %s", sqlite3_errmsg(sq(c)->db));
        rc = HARK_EIO;
    }
    return rc;
}

static int sq_rollback(store_conn *c) {
    return run_simple(sq(c), SQ_ROLLBACK);
}

static int sq_savepoint(store_conn *c, enum store_savepoint sp) {
    return run_simple(sq(c), sp == STORE_SP_JOB ? SQ_SP_JOB : SQ_SP_OP);
}

static int sq_release(store_conn *c, enum store_savepoint sp) {
    return run_simple(sq(c), sp == STORE_SP_JOB ? SQ_RELEASE_JOB : SQ_RELEASE_OP);
}

/* ROLLBACK TO keeps the savepoint open; RELEASE ends it. */
static int sq_rollback_to(store_conn *c, enum store_savepoint sp) {
    int rc = run_simple(sq(c), sp == STORE_SP_JOB ? SQ_ROLLBACK_JOB : SQ_ROLLBACK_OP);
    if (rc == HARK_OK) rc = sq_release(c, sp);
    return rc;
}

static int sq_tx_active(store_conn *c) {
    return !sqlite3_get_autocommit(sq(c)->db);
}

static int sq_exec_script(store_conn *base, const char *sql) {
    struct sq_conn *c = sq(base);
    char *msg = NULL;
    int r = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (r == SQLITE_OK) return HARK_OK;
    log_error("store: migration script: %s", msg ? msg : sqlite3_errstr(r));
    sqlite3_free(msg);
    return (r & 0xff) == SQLITE_BUSY ? HARK_EBUSY : HARK_EIO;
}

/* Runs a one-row, one-integer query. */
static int query_int(struct sq_conn *c, enum sq_stmt id, const int64_t *param, int64_t *out) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    if (param) sq_bind_i64(&b, *param);
    rc = sq_step(c, st, &b, stmt_name[id]);
    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sq_done(st);
    return rc < 0 ? rc : HARK_OK;
}

static int sq_migration_applied(store_conn *c, int version, int *applied) {
    int64_t v = version, n = 0;
    int rc = query_int(sq(c), SQ_MIG_APPLIED, &v, &n);
    *applied = n > 0;
    return rc;
}

static int sq_migration_record(store_conn *base, int version, const char *name, int64_t at_ms) {
    struct sq_conn *c = sq(base);
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, SQ_MIG_RECORD, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, version);
    sq_bind_text(&b, name);
    sq_bind_i64(&b, at_ms);
    rc = sq_step(c, st, &b, "migration_record");
    sq_done(st);
    return rc < 0 ? rc : HARK_OK;
}

static int sq_schema_version(store_conn *base, int *version) {
    struct sq_conn *c = sq(base);
    int64_t exists = 0, v = 0;
    int rc = query_int(c, SQ_MIG_TABLE_EXISTS, NULL, &exists);
    if (rc == HARK_OK && exists) rc = query_int(c, SQ_MIG_VERSION, NULL, &v);
    *version = (int)v;
    return rc;
}

static const struct store_subst sq_subst[] = {
    {"ID", "INTEGER PRIMARY KEY AUTOINCREMENT"},
    {"BLOB", "BLOB"},
    {NULL, NULL},
};

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .subst = sq_subst,
    .conn_open = sq_open,
    .conn_close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .tx_active = sq_tx_active,
    .exec_script = sq_exec_script,
    .migrate_lock = NULL, /* BEGIN IMMEDIATE serialises migrating processes */
    .migration_applied = sq_migration_applied,
    .migration_record = sq_migration_record,
    .schema_version = sq_schema_version,
    .q_open = sq_q_open,
    .q_bind_i64 = sq_q_bind_i64,
    .q_bind_f64 = sq_q_bind_f64,
    .q_bind_text = sq_q_bind_text,
    .q_step = sq_q_step,
    .q_is_null = sq_q_is_null,
    .q_i64 = sq_q_i64,
    .q_f64 = sq_q_f64,
    .q_text = sq_q_text,
    .q_changes = sq_q_changes,
    .q_close = sq_q_close,
    .tenant_create = sq_tenant_create,
    .tenant_get = sq_tenant_get,
    .tenant_by_slug = sq_tenant_by_slug,
    .user_create = sq_user_create,
    .employee_upsert = sq_employee_upsert,
    .employee_get = sq_employee_get,
    .employee_by_email = sq_employee_by_email,
    .employee_count = sq_employee_count,
    .employee_list = sq_employee_list,
    .flow_put = sq_flow_put,
    .flow_get = sq_flow_get,
    .flow_latest = sq_flow_latest,
    .touchpoint_put = sq_touchpoint_put,
    .touchpoint_by_name = sq_touchpoint_by_name,
    .invite_create = sq_invite_create,
    .invite_get = sq_invite_get,
    .invite_set_status = sq_invite_set_status,
    .conversation_load = sq_conversation_load,
    .conversation_create = sq_conversation_create,
    .conversation_append = sq_conversation_append,
    .escalation_list = sq_escalation_list,
    .escalation_get = sq_escalation_get,
    .tenant_list = sq_tenant_list,
    .tenant_set_schedule = sq_tenant_set_schedule,
    .touchpoint_list = sq_touchpoint_list,
    .touchpoint_get = sq_touchpoint_get,
    .invite_last_at = sq_invite_last_at,
    .invite_plan = sq_invite_plan,
    .skip_record = sq_skip_record,
    .invites_expire = sq_invites_expire,
    .outbox_claim = sq_outbox_claim,
    .outbox_renew = sq_outbox_renew,
    .outbox_finish = sq_outbox_finish,
    .admin_emails = sq_admin_emails,
    .template_get = sq_template_get,
    .template_put = sq_template_put,
    .outreach_status = sq_outreach_status,
    .skip_counts = sq_skip_counts,
    .user_by_email = sq_user_by_email,
    .user_set_pwhash = sq_user_set_pwhash,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .sessions_delete_user = sq_sessions_delete_user,
    .sessions_sweep = sq_sessions_sweep,
    .api_token_create = sq_api_token_create,
    .api_token_by_hash = sq_api_token_by_hash,
    .api_token_touch = sq_api_token_touch,
};
