/* SQLite queries for HR sign-in (store.h, "HR sign-in"): users by e-mail and
 * their password hashes, sessions and API tokens. As in sqlite_ops.c,
 * ops_web.c has checked the arguments and opened the transaction or
 * savepoint that makes each write atomic; the statements are listed in
 * sqlite_int.h. Token hashes are bound as blobs. */
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/sqlite_int.h"

/* Binds the STORE_HASH_BYTES of HASH as a blob (copied by SQLite), recording
 * a failure in B as sq_bind_* do. */
static void bind_hash(struct sq_bind *b, const unsigned char *hash) {
    int rc = sqlite3_bind_blob(b->st, ++b->idx, hash, STORE_HASH_BYTES, SQLITE_TRANSIENT);
    if (b->rc == SQLITE_OK) b->rc = rc;
}

/* Copies a blob column that must hold a token hash. HARK_EIO when it does
 * not have the size of one (a row no Hark wrote). */
static int col_hash(sqlite3_stmt *st, int col, unsigned char *out) {
    const void *p = sqlite3_column_blob(st, col);
    if (!p || sqlite3_column_bytes(st, col) != STORE_HASH_BYTES) return HARK_EIO;
    memcpy(out, p, STORE_HASH_BYTES);
    return HARK_OK;
}

/* Runs a statement that returns no rows; *CHANGES (if not NULL) gets the
 * number of rows it changed. B must be bound already. */
static int exec_bound(struct sq_conn *c, sqlite3_stmt *st, struct sq_bind *b, const char *op, int *changes) {
    int rc = sq_finish(st, sq_step(c, st, b, op));
    if (rc == HARK_OK && changes) *changes = sqlite3_changes(c->db);
    return rc;
}

int sq_user_by_email(store_conn *base, int64_t tenant_id, const char *email, store_user *out) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_BY_EMAIL, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, email);
    sq_bind_text(&b, email);
    rc = sq_step(c, st, &b, "user_by_email");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        out->id = sqlite3_column_int64(st, 0);
        out->tenant_id = sqlite3_column_int64(st, 1);
        rc = SQ_FIELD(st, 2, out->email);
        if (!rc) rc = SQ_FIELD(st, 3, out->pwhash);
        if (!rc) rc = SQ_FIELD(st, 4, out->role);
        if (!rc) rc = SQ_FIELD(st, 5, out->departments);
        out->disabled_at = sqlite3_column_int64(st, 6);
    }
    return sq_finish(st, rc);
}

int sq_user_set_pwhash(store_conn *base, int64_t tenant_id, int64_t user_id, const char *pwhash) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_SET_PWHASH, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_text(&b, pwhash);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, user_id);
    rc = exec_bound(c, st, &b, "user_set_pwhash", &changes);
    return rc ? rc : changes ? HARK_OK : HARK_ENOTFOUND;
}

int sq_session_create(store_conn *base, const store_session *s) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    int64_t now = hark_now_ms();
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    bind_hash(&b, s->token_hash);
    sq_bind_i64(&b, s->tenant_id);
    sq_bind_i64(&b, s->user_id);
    sq_bind_i64(&b, s->created_at ? s->created_at : now);
    sq_bind_i64(&b, s->last_seen_at ? s->last_seen_at : now);
    return exec_bound(c, st, &b, "session_create", NULL);
}

int sq_session_get(store_conn *base, const unsigned char *hash, store_session *out) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_GET, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    bind_hash(&b, hash);
    rc = sq_step(c, st, &b, "session_get");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        rc = col_hash(st, 0, out->token_hash);
        out->tenant_id = sqlite3_column_int64(st, 1);
        out->user_id = sqlite3_column_int64(st, 2);
        out->created_at = sqlite3_column_int64(st, 3);
        out->last_seen_at = sqlite3_column_int64(st, 4);
        if (!rc) rc = SQ_FIELD(st, 5, out->email);
        if (!rc) rc = SQ_FIELD(st, 6, out->role);
        if (!rc) rc = SQ_FIELD(st, 7, out->departments);
        out->disabled_at = sqlite3_column_int64(st, 8);
        if (!rc) rc = SQ_FIELD(st, 9, out->tenant_slug);
    }
    return sq_finish(st, rc);
}

int sq_session_touch(store_conn *base, int64_t tenant_id, const unsigned char *hash, int64_t now) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_TOUCH, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, tenant_id);
    bind_hash(&b, hash);
    sq_bind_i64(&b, now);
    return exec_bound(c, st, &b, "session_touch", NULL);
}

int sq_session_delete(store_conn *base, int64_t tenant_id, const unsigned char *hash) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_DELETE, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    bind_hash(&b, hash);
    rc = exec_bound(c, st, &b, "session_delete", &changes);
    return rc ? rc : changes ? HARK_OK : HARK_ENOTFOUND;
}

int sq_sessions_delete_user(store_conn *base, int64_t tenant_id, int64_t user_id, int64_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_DELETE_USER, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, user_id);
    rc = exec_bound(c, st, &b, "sessions_delete_user", &changes);
    *n = changes;
    return rc;
}

int sq_sessions_sweep(store_conn *base, int64_t idle_before, int64_t created_before, int64_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_SESSION_SWEEP, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, idle_before);
    sq_bind_i64(&b, created_before);
    rc = exec_bound(c, st, &b, "sessions_sweep", &changes);
    *n = changes;
    return rc;
}

int sq_api_token_create(store_conn *base, store_api_token *t) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_APITOKEN_INSERT, &rc);
    if (!st) return rc;
    if (!t->created_at) t->created_at = hark_now_ms();
    sq_bind_init(&b, st);
    sq_bind_i64(&b, t->tenant_id);
    sq_bind_text(&b, t->name);
    sq_bind_text(&b, t->prefix);
    bind_hash(&b, t->token_hash);
    sq_bind_i64(&b, (int64_t)t->scopes);
    sq_bind_i64(&b, t->created_by);
    sq_bind_i64(&b, t->created_at);
    rc = exec_bound(c, st, &b, "api_token_create", NULL);
    if (rc == HARK_OK) t->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

int sq_api_token_by_hash(store_conn *base, const unsigned char *hash, store_api_token *out) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_APITOKEN_BY_HASH, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    bind_hash(&b, hash);
    rc = sq_step(c, st, &b, "api_token_by_hash");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        out->id = sqlite3_column_int64(st, 0);
        out->tenant_id = sqlite3_column_int64(st, 1);
        rc = SQ_FIELD(st, 2, out->name);
        if (!rc) rc = SQ_FIELD(st, 3, out->prefix);
        if (!rc) rc = col_hash(st, 4, out->token_hash);
        out->scopes = (uint32_t)sqlite3_column_int64(st, 5);
        out->created_by = sqlite3_column_int64(st, 6);
        out->created_at = sqlite3_column_int64(st, 7);
        out->last_used_at = sqlite3_column_int64(st, 8);
        out->revoked_at = sqlite3_column_int64(st, 9);
    }
    return sq_finish(st, rc);
}

int sq_api_token_touch(store_conn *base, int64_t tenant_id, int64_t id, int64_t now) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_APITOKEN_TOUCH, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, id);
    sq_bind_i64(&b, now);
    return exec_bound(c, st, &b, "api_token_touch", NULL);
}
