/* Private to src/store: the backend interface (struct store_backend) and the
 * structures shared by the backend-neutral files — store.c (URL parsing,
 * argument checks, transaction wrapping, dispatch), jobs.c (threads, queues,
 * group commit), migrate.c (the runner) and migrations.c (the schema) — and
 * the backends (sqlite.c now, pg.c later). Nothing outside src/store includes
 * this header.
 *
 * A backend implements statements and transactions on one connection; it
 * never decides transaction boundaries for domain operations (store.c wraps
 * each write operation in a transaction or a savepoint) and never touches
 * the queues. */
#ifndef HARK_STORE_INT_H
#define HARK_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"

enum store_tx_mode {
    STORE_TX_READ = 0,  /* a read transaction (snapshot); no lock taken up front */
    STORE_TX_WRITE = 1, /* takes the write lock at once (SQLite BEGIN IMMEDIATE) */
};

/* The two savepoints Hark uses: one per job in a write batch, one per domain
 * write operation inside an open transaction. */
enum store_savepoint { STORE_SP_JOB = 0, STORE_SP_OP = 1 };

/* The backend-neutral head of every connection; a backend's connection
 * struct starts with it and is cast from it. */
struct store_conn {
    store *s;
    const struct store_backend *be;
    int readonly;
    int in_tx;   /* a transaction is open: store_begin, a write batch or a read job */
    int managed; /* the transaction belongs to a store thread: store_begin & co refuse */
};

/* A migration placeholder and its text in one backend ("{{ID}}" -> ...). */
struct store_subst {
    const char *name;
    const char *value;
};

/* One schema migration: applied once, in order, in its own transaction. */
struct store_migration {
    int version;
    const char *name;
    const char *sql; /* statements separated by ';', with {{NAME}} placeholders */
};

extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/* ---- portable statements ----
 * Operations written after the first backends (web: dashboards, rollups and
 * administration) run their SQL through this small interface, once, above
 * the backends, instead of one function per query per backend. The text is
 * portable SQL: '?' placeholders (a backend that numbers them, such as
 * PostgreSQL's $1, rewrites them), nothing only one database accepts, and
 * every value bound, never spliced. A store_sql has static storage: a
 * backend prepares it once per connection, keyed by its address. */
typedef struct store_sql {
    const char *name; /* for logs: the operation, never values */
    const char *text;
} store_sql;

/* A statement being run; a backend's struct starts with this head. */
typedef struct store_q {
    const struct store_backend *be;
} store_q;

/* Every function returns 0 or a Hark code and logs database failures itself
 * (operation name and the backend's message, never values). Records passed in
 * have been checked by store.c (strings NUL-terminated within their arrays,
 * enumerated values valid). */
struct store_backend {
    const char *name;
    const struct store_subst *subst; /* ends with {NULL, NULL} */

    /* Opens one connection to TARGET (what follows the URL scheme). */
    int (*conn_open)(store *s, const char *target, int readonly, store_conn **out, char *err, size_t errlen);
    void (*conn_close)(store_conn *c);

    int (*begin)(store_conn *c, enum store_tx_mode mode);
    int (*commit)(store_conn *c);
    int (*rollback)(store_conn *c);
    int (*savepoint)(store_conn *c, enum store_savepoint sp);
    int (*release)(store_conn *c, enum store_savepoint sp);
    /* Undoes the work since the savepoint and ends it. */
    int (*rollback_to)(store_conn *c, enum store_savepoint sp);
    /* 1 while a transaction is still open on the backend side; 0 when the
     * database ended it on its own (SQLite does on some I/O errors). */
    int (*tx_active)(store_conn *c);

    /* Migrations: a parameterless script, the serialising lock (may be NULL
     * when BEGIN of a write transaction already serialises) and the
     * schema_migrations bookkeeping. */
    int (*exec_script)(store_conn *c, const char *sql);
    int (*migrate_lock)(store_conn *c);
    int (*migration_applied)(store_conn *c, int version, int *applied);
    int (*migration_record)(store_conn *c, int version, const char *name, int64_t at_ms);
    int (*schema_version)(store_conn *c, int *version); /* 0 when no migration table */

    /* Portable statements (store__q_* below wrap these). q_open readies SQL
     * on C (prepared once per connection) and binds nothing; binds go in
     * order and the first failure is reported by q_step; q_step returns 1 for
     * a row, 0 when done, or a negative Hark code (logged with the name);
     * column readers take 0-based columns of the current row, q_text gives
     * "" for NULL and is valid until the next step; q_changes counts the
     * rows the finished statement changed; q_close releases Q and returns
     * RC with rows and "done" (1, 0) turned into 0. A statement may be open
     * more than once at a time (nested loops): later opens get their own. */
    int (*q_open)(store_conn *c, const store_sql *sql, store_q **out);
    void (*q_bind_i64)(store_q *q, int64_t v);
    void (*q_bind_f64)(store_q *q, double v);
    void (*q_bind_text)(store_q *q, const char *s, size_t len); /* s NULL binds NULL */
    int (*q_step)(store_q *q);
    int (*q_is_null)(store_q *q, int col);
    int64_t (*q_i64)(store_q *q, int col);
    double (*q_f64)(store_q *q, int col);
    const char *(*q_text)(store_q *q, int col, size_t *len);
    int64_t (*q_changes)(store_q *q);
    int (*q_close)(store_q *q, int rc);

    /* Domain operations: the contracts of store.h. */
    int (*tenant_create)(store_conn *c, store_tenant *t);
    int (*tenant_get)(store_conn *c, int64_t id, store_tenant *out);
    int (*tenant_by_slug)(store_conn *c, const char *slug, store_tenant *out);
    int (*user_create)(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                       int64_t *id);
    int (*employee_upsert)(store_conn *c, store_employee *e);
    int (*employee_get)(store_conn *c, int64_t tenant_id, int64_t id, store_employee *out);
    int (*employee_by_email)(store_conn *c, int64_t tenant_id, const char *email, store_employee *out);
    int (*employee_count)(store_conn *c, int64_t tenant_id, int64_t *count);
    int (*employee_list)(store_conn *c, int64_t tenant_id, int64_t after_id, store_employee *out, size_t max,
                         size_t *n);
    int (*flow_put)(store_conn *c, int64_t tenant_id, const char *name, int version, const char *json, int64_t *id);
    int (*flow_get)(store_conn *c, int64_t tenant_id, int64_t id, store_flow *out);
    int (*flow_latest)(store_conn *c, int64_t tenant_id, const char *name, store_flow *out);
    int (*touchpoint_put)(store_conn *c, store_touchpoint *t);
    int (*touchpoint_by_name)(store_conn *c, int64_t tenant_id, const char *name, store_touchpoint *out);
    int (*invite_create)(store_conn *c, store_invite *inv);
    int (*invite_get)(store_conn *c, int64_t tenant_id, int64_t id, store_invite *out);
    int (*invite_set_status)(store_conn *c, int64_t tenant_id, int64_t id, const char *status);
    int (*conversation_load)(store_conn *c, int64_t tenant_id, int64_t invite_id, store_conversation *conv,
                             store_message **msgs, size_t *n);
    int (*conversation_create)(store_conn *c, store_conversation *conv);
    int (*conversation_append)(store_conn *c, const store_conversation *conv, int64_t prev_last_seq,
                               const store_message *msgs, size_t n, const store_answer *answers, size_t nanswers,
                               int64_t *dup_seq);
    int (*escalation_list)(store_conn *c, int64_t tenant_id, int64_t after_id, store_escalation *out, size_t max,
                           size_t *n);
    int (*escalation_get)(store_conn *c, int64_t tenant_id, int64_t id, store_escalation *out);

    /* Outreach. */
    int (*tenant_list)(store_conn *c, int64_t after_id, store_tenant *out, size_t max, size_t *n);
    int (*tenant_set_schedule)(store_conn *c, int64_t tenant_id, const store_schedule *s);
    int (*touchpoint_list)(store_conn *c, int64_t tenant_id, store_touchpoint *out, size_t max, size_t *n);
    int (*touchpoint_get)(store_conn *c, int64_t tenant_id, int64_t id, store_touchpoint *out);
    int (*invite_last_at)(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t *at_ms);
    int (*invite_plan)(store_conn *c, store_invite *inv);
    int (*skip_record)(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t touchpoint_id,
                       const char *reason);
    int (*invites_expire)(store_conn *c, int64_t tenant_id, int64_t now, int64_t *n);
    int (*outbox_claim)(store_conn *c, int64_t now, int64_t lease_ms, store_outbox *out, size_t max, size_t *n);
    int (*outbox_renew)(store_conn *c, const int64_t *ids, size_t n, int64_t until);
    int (*outbox_finish)(store_conn *c, const store_outbox_done *d);
    int (*admin_emails)(store_conn *c, int64_t tenant_id, char (*out)[256], size_t max, size_t *n);
    int (*template_get)(store_conn *c, int64_t tenant_id, const char *name, char **body);
    int (*template_put)(store_conn *c, int64_t tenant_id, const char *name, const char *body);
    int (*outreach_status)(store_conn *c, int64_t tenant_id, int64_t from_ms, int64_t to_ms, store_status_row *out,
                           size_t max, size_t *n);
    int (*skip_counts)(store_conn *c, int64_t tenant_id, store_skip_count *out, size_t max, size_t *n);

    /* HR sign-in. */
    int (*user_by_email)(store_conn *c, int64_t tenant_id, const char *email, store_user *out);
    int (*user_set_pwhash)(store_conn *c, int64_t tenant_id, int64_t user_id, const char *pwhash);
    int (*session_create)(store_conn *c, const store_session *s);
    int (*session_get)(store_conn *c, const unsigned char *hash, store_session *out);
    int (*session_touch)(store_conn *c, int64_t tenant_id, const unsigned char *hash, int64_t now);
    int (*session_delete)(store_conn *c, int64_t tenant_id, const unsigned char *hash);
    int (*sessions_delete_user)(store_conn *c, int64_t tenant_id, int64_t user_id, int64_t *n);
    int (*sessions_sweep)(store_conn *c, int64_t idle_before, int64_t created_before, int64_t *n);
    int (*api_token_create)(store_conn *c, store_api_token *t);
    int (*api_token_by_hash)(store_conn *c, const unsigned char *hash, store_api_token *out);
    int (*api_token_touch)(store_conn *c, int64_t tenant_id, int64_t id, int64_t now);
};

extern const struct store_backend store_sqlite_backend;

struct store_job {
    struct store_job *next;
    store_work_fn work;
    store_done_fn done;
    void *arg;
    int status;
};

struct store_job_queue {
    struct store_job *head, *tail;
    size_t len;
};

struct store {
    store_opts opts; /* defaults filled in; url strings not kept (see target) */
    const struct store_backend *be;
    char *target;       /* owned: the write database, URL scheme stripped */
    char *read_target;  /* owned: where readers connect */
    store_conn *main;   /* synchronous use; the writer's connection after store_start */
    int schema_current; /* cached so store_schema_version needs no query after store_start */

    /* The asynchronous part (jobs.c). State: idle -> started -> stopping ->
     * joined (threads gone, last completions pending) -> async_closed. */
    int started, stopping, joined, async_closing, async_closed;
    uv_loop_t *loop;
    uv_async_t async;
    uv_mutex_t mu; /* guards the queues, stopping (for the threads) and stats */
    uv_cond_t write_cv, read_cv;
    struct store_job_queue writes, reads, done;
    uv_thread_t writer;
    int writer_started;
    uv_thread_t *readers;
    store_conn **reader_conns;
    int nconns;   /* reader connections open */
    int nreaders; /* reader threads running */
    int locks_ready;
    store_stats stats;
};

/* Transaction helpers that keep store_conn.in_tx in step with the backend
 * (store.c); jobs.c and migrate.c use them. */
int store__tx_begin(store_conn *c, enum store_tx_mode mode);
int store__tx_commit(store_conn *c);
int store__tx_rollback(store_conn *c);

/* The queues, mutex and condition variables (jobs.c): set up by store_open,
 * so store_submit and store_get_stats work before store_start; released by
 * store_close. */
int store__jobs_init(store *s);
void store__jobs_free(store *s);

/* Where a domain operation runs (ops.c): its own transaction (began), a
 * savepoint in an open transaction, or nothing extra (reads inside a
 * transaction). store__op_enter opens what is needed for MODE;
 * store__op_leave keeps the work when RC is 0, else undoes it, and returns RC
 * or the commit's failure. */
enum op_scope { OP_NONE = 0, OP_BEGAN = 1, OP_SAVEPOINT = 2 };
int store__op_enter(store_conn *c, enum store_tx_mode mode, enum op_scope *scope);
int store__op_leave(store_conn *c, enum op_scope scope, int rc);

/* Portable statements for backend-neutral operations (query.c). store__q
 * opens SQL on C and binds the values that follow as TYPES says, one letter
 * each: 'i' int64_t, 'd' double, 's' a string (NULL binds NULL), 'S' a
 * string and its length (const char *, size_t). 0 with *OUT ready to step,
 * or a Hark code (nothing to close). */
int store__q(store_conn *c, const store_sql *sql, store_q **out, const char *types, ...);
/* Runs SQL to its end (no rows wanted); *CHANGES (may be NULL) gets the rows
 * changed. 0 or a Hark code. */
int store__q_exec(store_conn *c, const store_sql *sql, int64_t *changes, const char *types, ...);
/* The first column of SQL's first row as an integer: 0, HARK_ENOTFOUND (no
 * row; *OUT is 0) or another code. */
int store__q_int(store_conn *c, const store_sql *sql, int64_t *out, const char *types, ...);
static inline int store__q_step(store_q *q) {
    return q->be->q_step(q);
}
static inline int64_t store__q_i64(store_q *q, int col) {
    return q->be->q_i64(q, col);
}
static inline double store__q_f64(store_q *q, int col) {
    return q->be->q_f64(q, col);
}
static inline int store__q_null(store_q *q, int col) {
    return q->be->q_is_null(q, col);
}
static inline const char *store__q_text(store_q *q, int col, size_t *len) {
    return q->be->q_text(q, col, len);
}
static inline int store__q_close(store_q *q, int rc) {
    return q->be->q_close(q, rc);
}
/* Copies text column COL into a fixed-size field: HARK_ETOOBIG when it does
 * not fit (DST is then ""). */
int store__q_field(store_q *q, int col, char *dst, size_t cap);
#define STORE_Q_FIELD(q, col, field) store__q_field((q), (col), (field), sizeof(field))
/* A newly allocated copy of text column COL (the caller frees it). 0 or
 * HARK_ENOMEM. */
int store__q_dup(store_q *q, int col, char **out);

/* Rollups (rollup.c), called inside the transaction of the event they
 * count. store__rollup_invite counts invite INVITE_ID as sent at AT_MS and
 * attaches it to its rollups row, once (a counted invite just gives its
 * row's id). store__rollup_sent counts the invite of outbox row OUTBOX_ID if
 * it is an invite's first mail and was sent. store__rollup_started counts a
 * new conversation. store__rollup_was_done tells, before an append, whether
 * CONV was done already (only when CONV->done; else 0), so that
 * store__rollup_append counts a completion once, with the answers (mood,
 * eNPS, text comments by sentiment) of the appended messages. */
int store__rollup_invite(store_conn *c, int64_t tenant_id, int64_t invite_id, int64_t at_ms, int64_t *rollup_id);
int store__rollup_sent(store_conn *c, int64_t tenant_id, int64_t outbox_id);
int store__rollup_started(store_conn *c, const store_conversation *conv);
int store__rollup_was_done(store_conn *c, const store_conversation *conv, int *was_done);
int store__rollup_append(store_conn *c, const store_conversation *conv, int completed_now, const store_message *msgs,
                         size_t n, const store_answer *answers, size_t nanswers);

/* 1 when the fixed-size field holds a NUL-terminated string. */
#define FITS(field) (memchr((field), '\0', sizeof(field)) != NULL)
/* 1 when S is one of the NULL-terminated LIST. */
int store__one_of(const char *s, const char *const *list);

/* Writes a formatted message into ERR (ERRLEN may be 0). */
void store__err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
