/* Private to the SQLite backend (sqlite.c: connections, transactions, errors,
 * statement cache; sqlite_ops.c: tenants to invites; sqlite_chat.c:
 * conversations and messages). Every statement the
 * backend runs is listed here once, so the queries and the indexes they need
 * (migrations.c) can be read side by side. Values are always bound ("?"),
 * never spliced into the text. */
#ifndef HARK_STORE_SQLITE_INT_H
#define HARK_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

#define EMPLOYEE_COLS                                                                                                  \
    "id, tenant_id, external_id, email, first_name, last_name, department, location, manager_email, hire_date, "       \
    "exit_date, timezone, status"
#define INVITE_COLS                                                                                                    \
    "id, tenant_id, employee_id, touchpoint_id, flow_id, occurrence, status, created_at, expires_at, send_at, "        \
    "coalesce(sent_at, 0), reminders"
#define TENANT_COLS                                                                                                    \
    "id, slug, name, timezone, send_minute, quiet_start, quiet_end, working_days, frequency_cap_days, reminders, "     \
    "reminder_hours, invite_ttl_days, mail_rate"
#define TP_COLS    "id, tenant_id, name, kind, flow_name, rule, active"
#define ESC_COLS   "id, tenant_id, conversation_id, seq, kind, severity, span_start, span_len, status, created_at"
#define OUTBOX_RET "RETURNING id, tenant_id, kind, ref_id, n, attempts, due_at, created_at"
#define FLOW_COLS  "id, tenant_id, name, version, json"

/* X(name, sql) */
#define SQLITE_STMTS(X)                                                                                                \
    X(BEGIN_READ, "BEGIN")                                                                                             \
    X(BEGIN_WRITE, "BEGIN IMMEDIATE")                                                                                  \
    X(COMMIT, "COMMIT")                                                                                                \
    X(ROLLBACK, "ROLLBACK")                                                                                            \
    X(SP_JOB, "SAVEPOINT job")                                                                                         \
    X(RELEASE_JOB, "RELEASE job")                                                                                      \
    X(ROLLBACK_JOB, "ROLLBACK TO job")                                                                                 \
    X(SP_OP, "SAVEPOINT op")                                                                                           \
    X(RELEASE_OP, "RELEASE op")                                                                                        \
    X(ROLLBACK_OP, "ROLLBACK TO op")                                                                                   \
    X(MIG_TABLE_EXISTS, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")      \
    X(MIG_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations")                                          \
    X(MIG_APPLIED, "SELECT count(*) FROM schema_migrations WHERE version = ?")                                         \
    X(MIG_RECORD, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")                        \
    X(TENANT_INSERT, "INSERT INTO tenants (slug, name, timezone, created_at) VALUES (?, ?, ?, ?)")                     \
    X(TENANT_GET, "SELECT " TENANT_COLS " FROM tenants WHERE id = ?")                                                  \
    X(TENANT_BY_SLUG, "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?")                                            \
    X(TENANT_EXISTS, "SELECT count(*) FROM tenants WHERE id = ?")                                                      \
    X(USER_INSERT, "INSERT INTO users (tenant_id, email, pwhash, role, created_at) VALUES (?, ?, ?, ?, ?)")            \
    /* "external_id <> ''" lets SQLite use the partial index employees_tenant_external. */                             \
    X(EMP_ID_BY_EXTERNAL, "SELECT id FROM employees WHERE tenant_id = ? AND external_id = ? AND external_id <> ''")    \
    X(EMP_ID_BY_EMAIL, "SELECT id, external_id FROM employees WHERE tenant_id = ? AND email = ?")                      \
    X(EMP_INSERT,                                                                                                      \
      "INSERT INTO employees (tenant_id, external_id, email, first_name, last_name, department, location, "            \
      "manager_email, hire_date, exit_date, timezone, status, created_at, updated_at) "                                \
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")                                                             \
    X(EMP_UPDATE,                                                                                                      \
      "UPDATE employees SET external_id = ?, email = ?, first_name = ?, last_name = ?, department = ?, "               \
      "location = ?, manager_email = ?, hire_date = ?, exit_date = ?, timezone = ?, status = ?, updated_at = ? "       \
      "WHERE tenant_id = ? AND id = ?")                                                                                \
    X(EMP_GET, "SELECT " EMPLOYEE_COLS " FROM employees WHERE tenant_id = ? AND id = ?")                               \
    X(EMP_BY_EMAIL, "SELECT " EMPLOYEE_COLS " FROM employees WHERE tenant_id = ? AND email = ?")                       \
    X(EMP_LIST, "SELECT " EMPLOYEE_COLS " FROM employees WHERE tenant_id = ? AND id > ? AND erased_at IS NULL "       \
                "ORDER BY id LIMIT ?")                                                                                 \
    X(EMP_COUNT, "SELECT count(*) FROM employees WHERE tenant_id = ?")                                                 \
    X(FLOW_INSERT, "INSERT INTO flows (tenant_id, name, version, json, created_at) VALUES (?, ?, ?, ?, ?)")            \
    X(FLOW_ID, "SELECT id FROM flows WHERE tenant_id = ? AND name = ? AND version = ?")                                \
    X(FLOW_GET, "SELECT " FLOW_COLS " FROM flows WHERE id = ? AND tenant_id IN (?, 0)")                                \
    X(FLOW_LATEST, "SELECT " FLOW_COLS " FROM flows WHERE tenant_id IN (?, 0) AND name = ? "                           \
                   "ORDER BY tenant_id = 0, version DESC LIMIT 1")                                                     \
    X(FLOW_VISIBLE, "SELECT count(*) FROM flows WHERE id = ? AND tenant_id IN (?, 0)")                                 \
    X(TP_UPSERT, "INSERT INTO touchpoints (tenant_id, name, kind, flow_name, rule, active, created_at, updated_at) "   \
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "                                                                    \
                 "ON CONFLICT (tenant_id, name) DO UPDATE SET kind = excluded.kind, flow_name = excluded.flow_name, "  \
                 "rule = excluded.rule, active = excluded.active, updated_at = excluded.updated_at RETURNING id")      \
    X(TP_BY_NAME, "SELECT " TP_COLS " FROM touchpoints WHERE tenant_id = ? AND name = ?")                              \
    X(INV_INSERT,                                                                                                      \
      "INSERT INTO invites (tenant_id, employee_id, touchpoint_id, flow_id, occurrence, status, created_at, "          \
      "expires_at, updated_at, send_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")                                        \
    X(INV_GET, "SELECT " INVITE_COLS " FROM invites WHERE tenant_id = ? AND id = ?")                                   \
    X(INV_BY_KEY, "SELECT " INVITE_COLS " FROM invites "                                                               \
                  "WHERE tenant_id = ? AND employee_id = ? AND touchpoint_id = ? AND occurrence = ?")                  \
    X(INV_SET_STATUS, "UPDATE invites SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")                  \
    X(CONV_INSERT,                                                                                                     \
      "INSERT INTO conversations (tenant_id, invite_id, flow_id, node, vars_json, last_seq, awaiting_seq, done, "      \
      "started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")                                                 \
    X(CONV_BY_INVITE,                                                                                                  \
      "SELECT id, tenant_id, invite_id, flow_id, node, vars_json, last_seq, awaiting_seq, done, started_at, "          \
      "updated_at FROM conversations WHERE tenant_id = ? AND invite_id = ?")                                           \
    X(CONV_STATE, "SELECT last_seq, invite_id FROM conversations WHERE tenant_id = ? AND id = ?")                      \
    X(CONV_UPDATE,                                                                                                     \
      "UPDATE conversations SET node = ?, vars_json = ?, last_seq = ?, awaiting_seq = ?, done = ?, updated_at = ? "    \
      "WHERE tenant_id = ? AND id = ? AND last_seq = ? RETURNING invite_id")                                           \
    X(MSG_BY_CLIENT, "SELECT seq FROM messages WHERE tenant_id = ? AND conversation_id = ? AND client_id = ?")         \
    X(MSG_INSERT,                                                                                                      \
      "INSERT INTO messages (tenant_id, conversation_id, seq, from_employee, client_id, text, input_json, scored, "    \
      "compound, pos, neu, neg, flags_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")            \
    X(MSG_LIST,                                                                                                        \
      "SELECT seq, from_employee, client_id, text, input_json, scored, compound, pos, neu, neg, flags_json, "          \
      "created_at FROM messages WHERE tenant_id = ? AND conversation_id = ? ORDER BY seq")                             \
    X(ANS_INSERT, "INSERT INTO answers (tenant_id, conversation_id, seq, question_key, kind, number, created_at) "     \
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")                                                                      \
    X(ESC_INSERT, "INSERT INTO escalations (tenant_id, conversation_id, seq, kind, severity, span_start, span_len, "   \
                  "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")                                        \
    X(ESC_LIST, "SELECT " ESC_COLS " FROM escalations WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?")             \
    X(ESC_GET, "SELECT " ESC_COLS " FROM escalations WHERE tenant_id = ? AND id = ?")                                  \
    SQLITE_OUTREACH_STMTS(X)                                                                                           \
    SQLITE_WEB_STMTS(X)

/* Outreach (sqlite_outreach.c). */
#define SQLITE_OUTREACH_STMTS(X)                                                                                       \
    X(TENANT_LIST, "SELECT " TENANT_COLS " FROM tenants WHERE id > ? ORDER BY id LIMIT ?")                             \
    X(TENANT_SET_SCHED,                                                                                                \
      "UPDATE tenants SET send_minute = ?, quiet_start = ?, quiet_end = ?, working_days = ?, "                         \
      "frequency_cap_days = ?, reminders = ?, reminder_hours = ?, invite_ttl_days = ?, mail_rate = ? WHERE id = ?")    \
    X(TP_LIST, "SELECT " TP_COLS " FROM touchpoints WHERE tenant_id = ? ORDER BY id LIMIT ?")                          \
    X(TP_GET, "SELECT " TP_COLS " FROM touchpoints WHERE tenant_id = ? AND id = ?")                                    \
    X(INV_LAST_AT, "SELECT coalesce(max(send_at), 0) FROM invites WHERE tenant_id = ? AND employee_id = ?")            \
    X(INV_PLAN,                                                                                                        \
      "INSERT INTO invites (tenant_id, employee_id, touchpoint_id, flow_id, occurrence, status, created_at, "          \
      "expires_at, updated_at, send_at) VALUES (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?) "                                \
      "ON CONFLICT (employee_id, touchpoint_id, occurrence) DO NOTHING")                                               \
    X(OUTBOX_INSERT, "INSERT INTO outbox (tenant_id, kind, ref_id, n, due_at, created_at, updated_at) "                \
                     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, ref_id, n) DO NOTHING")                          \
    X(SKIP_UPSERT, "INSERT INTO outreach_skips (tenant_id, employee_id, touchpoint_id, reason, first_at, last_at) "    \
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, employee_id, touchpoint_id) DO UPDATE SET "      \
                   "reason = excluded.reason, count = outreach_skips.count + 1, last_at = excluded.last_at")           \
    X(SKIP_COUNTS, "SELECT reason, count(*) FROM outreach_skips WHERE tenant_id = ? GROUP BY reason "                  \
                   "ORDER BY count(*) DESC, reason LIMIT ?")                                                           \
    X(INV_EXPIRE, "UPDATE invites SET status = 'expired', updated_at = ? WHERE tenant_id = ? "                         \
                  "AND status IN ('planned', 'sending', 'sent', 'opened') AND expires_at <= ?")                        \
    X(OUTBOX_CANCEL_EXPIRED,                                                                                           \
      "UPDATE outbox SET status = 'cancelled', updated_at = ? WHERE tenant_id = ? AND kind IN ('invite', 'reminder') " \
      "AND status = 'pending' AND EXISTS (SELECT 1 FROM invites i WHERE i.tenant_id = outbox.tenant_id "               \
      "AND i.id = outbox.ref_id AND i.status = 'expired')")                                                            \
    X(OUTBOX_RECLAIM, "UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'sending' "                 \
                      "AND lease_until <= ?")                                                                          \
    X(OUTBOX_CLAIM, "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ? "  \
                    "WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND due_at <= ? "                     \
                    "ORDER BY due_at LIMIT ?) " OUTBOX_RET)                                                            \
    X(INV_SENDING, "UPDATE invites SET status = 'sending', updated_at = ? WHERE tenant_id = ? AND id = ? "             \
                   "AND status = 'planned'")                                                                           \
    X(OUTBOX_RENEW, "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'sending'")                           \
    X(OUTBOX_SENT, "UPDATE outbox SET status = 'sent', sent_at = ?, last_code = ?, last_error = '', updated_at = ? "   \
                   "WHERE tenant_id = ? AND id = ? AND status <> 'sent' " OUTBOX_RET)                                  \
    X(OUTBOX_RETRY,                                                                                                    \
      "UPDATE outbox SET status = 'pending', due_at = ?, lease_until = 0, last_code = ?, "                             \
      "last_error = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'sending' " OUTBOX_RET)              \
    X(OUTBOX_DEFER, "UPDATE outbox SET status = 'pending', due_at = ?, lease_until = 0, last_code = ?, "               \
                    "last_error = ?, attempts = attempts - 1, updated_at = ? WHERE tenant_id = ? AND id = ? "          \
                    "AND status = 'sending' " OUTBOX_RET)                                                              \
    X(OUTBOX_END, "UPDATE outbox SET status = ?, last_code = ?, last_error = ?, updated_at = ? "                       \
                  "WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'sending') " OUTBOX_RET)                   \
    X(INV_SENT, "UPDATE invites SET status = 'sent', sent_at = ?, last_error = '', updated_at = ? "                    \
                "WHERE tenant_id = ? AND id = ? AND status IN ('planned', 'sending', 'failed') RETURNING expires_at")  \
    X(INV_REPLAN, "UPDATE invites SET status = 'planned', last_error = ?, updated_at = ? "                             \
                  "WHERE tenant_id = ? AND id = ? AND status = 'sending'")                                             \
    X(INV_FAILED, "UPDATE invites SET status = 'failed', last_error = ?, updated_at = ? "                              \
                  "WHERE tenant_id = ? AND id = ? AND status IN ('planned', 'sending')")                               \
    X(INV_REMINDED, "UPDATE invites SET reminders = ?, updated_at = ? WHERE tenant_id = ? AND id = ? "                 \
                    "AND reminders < ? RETURNING expires_at")                                                          \
    X(ESC_NOTIFIED, "UPDATE escalations SET notified_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? "           \
                    "AND notified_at IS NULL")                                                                         \
    X(ADMIN_EMAILS, "SELECT email FROM users WHERE tenant_id = ? AND role IN ('owner', 'admin') ORDER BY id LIMIT ?")  \
    X(TPL_GET, "SELECT body FROM templates WHERE tenant_id = ? AND name = ?")                                          \
    X(TPL_PUT, "INSERT INTO templates (tenant_id, name, body, updated_at) VALUES (?, ?, ?, ?) "                        \
               "ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")   \
    X(STATUS_INVITES, "SELECT i.touchpoint_id, t.name, i.send_at / 86400000, i.status, count(*) FROM invites i "       \
                      "JOIN touchpoints t ON t.tenant_id = i.tenant_id AND t.id = i.touchpoint_id "                    \
                      "WHERE i.tenant_id = ? AND i.send_at >= ? AND i.send_at < ? "                                    \
                      "GROUP BY i.touchpoint_id, t.name, i.send_at / 86400000, i.status ORDER BY 3, 2, 4 LIMIT ?")     \
    X(STATUS_OUTBOX, "SELECT kind, status, count(*) FROM outbox WHERE tenant_id = ? GROUP BY kind, status "            \
                     "ORDER BY kind, status LIMIT ?")

/* HR sign-in (sqlite_web.c). Users are few per tenant, so finding one by
 * e-mail without regard to case scans the tenant's rows of the
 * (tenant_id, email) index. */
#define USER_COLS "id, tenant_id, email, pwhash, role, departments, coalesce(disabled_at, 0)"
#define SESSION_COLS                                                                                                   \
    "s.token_hash, s.tenant_id, s.user_id, s.created_at, s.last_seen_at, u.email, u.role, u.departments, "             \
    "coalesce(u.disabled_at, 0), t.slug"
#define APITOKEN_COLS                                                                                                  \
    "id, tenant_id, name, prefix, token_hash, scopes, created_by, created_at, coalesce(last_used_at, 0), "             \
    "coalesce(revoked_at, 0)"
#define SQLITE_WEB_STMTS(X)                                                                                            \
    X(USER_BY_EMAIL, "SELECT " USER_COLS " FROM users WHERE tenant_id = ? AND lower(email) = lower(?) "                \
                     "ORDER BY email = ? DESC, id LIMIT 1")                                                            \
    X(USER_SET_PWHASH, "UPDATE users SET pwhash = ? WHERE tenant_id = ? AND id = ?")                                   \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, last_seen_at) "               \
                      "VALUES (?, ?, ?, ?, ?)")                                                                        \
    X(SESSION_GET, "SELECT " SESSION_COLS " FROM sessions s "                                                          \
                   "JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id "                                   \
                   "JOIN tenants t ON t.id = s.tenant_id WHERE s.token_hash = ?")                                      \
    X(SESSION_TOUCH, "UPDATE sessions SET last_seen_at = ? WHERE tenant_id = ? AND token_hash = ? "                    \
                     "AND last_seen_at < ?")                                                                           \
    X(SESSION_DELETE, "DELETE FROM sessions WHERE tenant_id = ? AND token_hash = ?")                                   \
    X(SESSION_DELETE_USER, "DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")                                 \
    X(SESSION_SWEEP, "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?")                                \
    X(APITOKEN_INSERT, "INSERT INTO api_tokens (tenant_id, name, prefix, token_hash, scopes, created_by, "             \
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")                                                     \
    X(APITOKEN_BY_HASH, "SELECT " APITOKEN_COLS " FROM api_tokens WHERE token_hash = ?")                               \
    X(APITOKEN_TOUCH, "UPDATE api_tokens SET last_used_at = ? WHERE tenant_id = ? AND id = ? "                         \
                      "AND (last_used_at IS NULL OR last_used_at < ?)")

#define SQLITE_STMT_ENUM(name, sql) SQ_##name,
enum sq_stmt { SQLITE_STMTS(SQLITE_STMT_ENUM) SQ_COUNT };
#undef SQLITE_STMT_ENUM

/* Slots of a connection's cache of portable statements (a power of two,
 * well above the number of store_sql in the program). */
#define SQ_QCACHE 512

struct sq_conn {
    struct store_conn base; /* first: a store_conn * is a struct sq_conn * */
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_COUNT]; /* prepared on first use, kept until close */
    struct {
        const store_sql *sql;
        sqlite3_stmt *st;
    } qcache[SQ_QCACHE]; /* portable statements (sqlite_q.c) */
};

static inline struct sq_conn *sq(store_conn *c) {
    return (struct sq_conn *)c;
}

/* Returns the cached statement ID, reset and ready to bind, or NULL after
 * logging why it could not be prepared (*RC gets the Hark code). The
 * statement belongs to the connection. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum sq_stmt id, int *rc);

/* Binds parameters in order, remembering the first failure. Text is bound
 * SQLITE_STATIC: it must outlive the statement's execution. */
struct sq_bind {
    sqlite3_stmt *st;
    int idx;
    int rc; /* SQLite code of the first failed bind */
};
void sq_bind_init(struct sq_bind *b, sqlite3_stmt *st);
void sq_bind_i64(struct sq_bind *b, int64_t v);
void sq_bind_double(struct sq_bind *b, double v);
void sq_bind_text(struct sq_bind *b, const char *s); /* NULL binds SQL NULL */
void sq_bind_null(struct sq_bind *b);

/* Steps ST once: 1 for a row, 0 when done, or a negative Hark code (logged
 * with OP when it is a database failure). A failed bind in B is reported the
 * same way without stepping. ST is reset by sq_done. */
int sq_step(struct sq_conn *c, sqlite3_stmt *st, const struct sq_bind *b, const char *op);
void sq_done(sqlite3_stmt *st);
/* Runs statement ID bound to (TENANT_ID, KEY), the shape of every "get one
 * row of the tenant by id" query: 1 with *ST on the row (read it, then
 * sq_finish(*ST, rc)), HARK_ENOTFOUND, or another error. *ST is NULL only
 * when the statement could not be prepared. */
int sq_get_by_id(struct sq_conn *c, enum sq_stmt id, int64_t tenant_id, int64_t key, const char *op, sqlite3_stmt **st);
/* Ends a statement run: sq_done, then sq_step's "row / no row" (1 / 0)
 * become 0 and errors pass through. */
int sq_finish(sqlite3_stmt *st, int rc);

/* Translates an SQLite result code at the edge; logs HARK_EIO cases with OP
 * and sqlite3_errmsg (which names tables and columns, never values). */
int sq_error(struct sq_conn *c, int rc, const char *op);

/* Copies a text column into a fixed-size field: HARK_ETOOBIG if it does not
 * fit (DST is then ""). NULL reads as "". */
int sq_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap);
/* A newly allocated copy of a text column (the caller frees it); NULL for SQL
 * NULL when NULLABLE, else "". 0 or HARK_ENOMEM. */
int sq_col_dup(sqlite3_stmt *st, int col, int nullable, char **out);

#define SQ_FIELD(st, col, field) sq_col_text((st), (col), (field), sizeof(field))

/* Portable statements (sqlite_q.c), with store_backend's contracts. */
int sq_q_open(store_conn *c, const store_sql *sql, store_q **out);
void sq_q_bind_i64(store_q *q, int64_t v);
void sq_q_bind_f64(store_q *q, double v);
void sq_q_bind_text(store_q *q, const char *s, size_t len);
int sq_q_step(store_q *q);
int sq_q_is_null(store_q *q, int col);
int64_t sq_q_i64(store_q *q, int col);
double sq_q_f64(store_q *q, int col);
const char *sq_q_text(store_q *q, int col, size_t *len);
int64_t sq_q_changes(store_q *q);
int sq_q_close(store_q *q, int rc);
/* Finalises the connection's cached portable statements. */
void sq_q_cache_free(struct sq_conn *c);

/* The domain operations (sqlite_ops.c), with store.h's contracts. */
int sq_tenant_create(store_conn *c, store_tenant *t);
int sq_tenant_get(store_conn *c, int64_t id, store_tenant *out);
int sq_tenant_by_slug(store_conn *c, const char *slug, store_tenant *out);
int sq_user_create(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                   int64_t *id);
int sq_employee_upsert(store_conn *c, store_employee *e);
int sq_employee_get(store_conn *c, int64_t tenant_id, int64_t id, store_employee *out);
int sq_employee_by_email(store_conn *c, int64_t tenant_id, const char *email, store_employee *out);
int sq_employee_count(store_conn *c, int64_t tenant_id, int64_t *count);
int sq_employee_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_employee *out, size_t max, size_t *n);
int sq_flow_put(store_conn *c, int64_t tenant_id, const char *name, int version, const char *json, int64_t *id);
int sq_flow_get(store_conn *c, int64_t tenant_id, int64_t id, store_flow *out);
int sq_flow_latest(store_conn *c, int64_t tenant_id, const char *name, store_flow *out);
int sq_touchpoint_put(store_conn *c, store_touchpoint *t);
int sq_touchpoint_by_name(store_conn *c, int64_t tenant_id, const char *name, store_touchpoint *out);
int sq_invite_create(store_conn *c, store_invite *inv);
int sq_invite_get(store_conn *c, int64_t tenant_id, int64_t id, store_invite *out);
int sq_invite_set_status(store_conn *c, int64_t tenant_id, int64_t id, const char *status);
/* HARK_ENOTFOUND unless flow FLOW_ID is the tenant's own or a shared one. */
int sq_flow_visible(struct sq_conn *c, int64_t tenant_id, int64_t flow_id, const char *op);
/* Conversations (sqlite_chat.c). */
int sq_conversation_load(store_conn *c, int64_t tenant_id, int64_t invite_id, store_conversation *conv,
                         store_message **msgs, size_t *n);
int sq_conversation_create(store_conn *c, store_conversation *conv);
int sq_conversation_append(store_conn *c, const store_conversation *conv, int64_t prev_last_seq,
                           const store_message *msgs, size_t n, const store_answer *answers, size_t nanswers,
                           int64_t *dup_seq);
int sq_escalation_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_escalation *out, size_t max,
                       size_t *n);
int sq_escalation_get(store_conn *c, int64_t tenant_id, int64_t id, store_escalation *out);
/* Reads a row of TENANT_COLS / TP_COLS starting at column 0. */
int sq_read_tenant(sqlite3_stmt *st, store_tenant *out);
int sq_read_touchpoint(sqlite3_stmt *st, store_touchpoint *out);
/* Queues an outbox row (ON CONFLICT DO NOTHING: at most one per key). */
int sq_outbox_insert(struct sq_conn *c, int64_t tenant_id, const char *kind, int64_t ref_id, int n, int64_t due_at,
                     int64_t now, const char *op);

/* Outreach (sqlite_outreach.c). */
int sq_tenant_list(store_conn *c, int64_t after_id, store_tenant *out, size_t max, size_t *n);
int sq_tenant_set_schedule(store_conn *c, int64_t tenant_id, const store_schedule *s);
int sq_touchpoint_list(store_conn *c, int64_t tenant_id, store_touchpoint *out, size_t max, size_t *n);
int sq_touchpoint_get(store_conn *c, int64_t tenant_id, int64_t id, store_touchpoint *out);
int sq_invite_last_at(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t *at_ms);
int sq_invite_plan(store_conn *c, store_invite *inv);
int sq_skip_record(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t touchpoint_id, const char *reason);
int sq_invites_expire(store_conn *c, int64_t tenant_id, int64_t now, int64_t *n);
int sq_outbox_claim(store_conn *c, int64_t now, int64_t lease_ms, store_outbox *out, size_t max, size_t *n);
int sq_outbox_renew(store_conn *c, const int64_t *ids, size_t n, int64_t until);
int sq_outbox_finish(store_conn *c, const store_outbox_done *d);
int sq_admin_emails(store_conn *c, int64_t tenant_id, char (*out)[256], size_t max, size_t *n);
int sq_template_get(store_conn *c, int64_t tenant_id, const char *name, char **body);
int sq_template_put(store_conn *c, int64_t tenant_id, const char *name, const char *body);
int sq_outreach_status(store_conn *c, int64_t tenant_id, int64_t from_ms, int64_t to_ms, store_status_row *out,
                       size_t max, size_t *n);
int sq_skip_counts(store_conn *c, int64_t tenant_id, store_skip_count *out, size_t max, size_t *n);

/* HR sign-in (sqlite_web.c). */
int sq_user_by_email(store_conn *c, int64_t tenant_id, const char *email, store_user *out);
int sq_user_set_pwhash(store_conn *c, int64_t tenant_id, int64_t user_id, const char *pwhash);
int sq_session_create(store_conn *c, const store_session *s);
int sq_session_get(store_conn *c, const unsigned char *hash, store_session *out);
int sq_session_touch(store_conn *c, int64_t tenant_id, const unsigned char *hash, int64_t now);
int sq_session_delete(store_conn *c, int64_t tenant_id, const unsigned char *hash);
int sq_sessions_delete_user(store_conn *c, int64_t tenant_id, int64_t user_id, int64_t *n);
int sq_sessions_sweep(store_conn *c, int64_t idle_before, int64_t created_before, int64_t *n);
int sq_api_token_create(store_conn *c, store_api_token *t);
int sq_api_token_by_hash(store_conn *c, const unsigned char *hash, store_api_token *out);
int sq_api_token_touch(store_conn *c, int64_t tenant_id, int64_t id, int64_t now);

#endif
