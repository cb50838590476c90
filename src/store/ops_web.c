/* HR sign-in operations, backend-neutral half (store.h, "HR sign-in"):
 * argument checks, atomicity (store__op_enter/leave) and dispatch, as in
 * ops.c. The SQL is in the backends (sqlite_web.c). */
#include <string.h>

#include "core/err.h"
#include "store/store_int.h"

/* Runs a write operation: opens its transaction or savepoint, returns what
 * the backend call returned (or the commit's failure). */
#define WRITE_OP(c, call)                                                                                              \
    do {                                                                                                               \
        enum op_scope scope_;                                                                                          \
        int rc_ = store__op_enter((c), STORE_TX_WRITE, &scope_);                                                       \
        if (rc_) return rc_;                                                                                           \
        return store__op_leave((c), scope_, (call));                                                                   \
    } while (0)

/* An argon2 string as libsodium writes it: printable ASCII. */
static int pwhash_ok(const char *s) {
    size_t n = s ? strnlen(s, sizeof((store_user *)0)->pwhash) : 0;
    if (n == 0 || n == sizeof((store_user *)0)->pwhash || s[0] != '$') return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return 0;
    return 1;
}

int store_user_by_email(store_conn *c, int64_t tenant_id, const char *email, store_user *out) {
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    /* An e-mail longer than the field names no stored user. */
    if (!email || !*email || strnlen(email, sizeof out->email) == sizeof out->email) return HARK_ENOTFOUND;
    return c->be->user_by_email(c, tenant_id, email, out);
}

int store_user_set_pwhash(store_conn *c, int64_t tenant_id, int64_t user_id, const char *pwhash) {
    if (!c || !pwhash_ok(pwhash)) return HARK_EINVAL;
    WRITE_OP(c, c->be->user_set_pwhash(c, tenant_id, user_id, pwhash));
}

int store_session_create(store_conn *c, const store_session *s) {
    if (!c || !s || s->created_at < 0 || s->last_seen_at < 0) return HARK_EINVAL;
    WRITE_OP(c, c->be->session_create(c, s));
}

int store_session_get(store_conn *c, const unsigned char hash[STORE_HASH_BYTES], store_session *out) {
    if (!c || !hash || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    return c->be->session_get(c, hash, out);
}

int store_session_touch(store_conn *c, int64_t tenant_id, const unsigned char hash[STORE_HASH_BYTES], int64_t now) {
    if (!c || !hash) return HARK_EINVAL;
    WRITE_OP(c, c->be->session_touch(c, tenant_id, hash, now));
}

int store_session_delete(store_conn *c, int64_t tenant_id, const unsigned char hash[STORE_HASH_BYTES]) {
    if (!c || !hash) return HARK_EINVAL;
    WRITE_OP(c, c->be->session_delete(c, tenant_id, hash));
}

int store_sessions_delete_user(store_conn *c, int64_t tenant_id, int64_t user_id, int64_t *n) {
    int64_t dummy = 0;
    if (!c) return HARK_EINVAL;
    if (n) *n = 0;
    WRITE_OP(c, c->be->sessions_delete_user(c, tenant_id, user_id, n ? n : &dummy));
}

int store_sessions_sweep(store_conn *c, int64_t idle_before, int64_t created_before, int64_t *n) {
    int64_t dummy = 0;
    if (!c) return HARK_EINVAL;
    if (n) *n = 0;
    WRITE_OP(c, c->be->sessions_sweep(c, idle_before, created_before, n ? n : &dummy));
}

int store_api_token_create(store_conn *c, store_api_token *t) {
    if (!c || !t) return HARK_EINVAL;
    if (!FITS(t->name) || !FITS(t->prefix)) return HARK_ETOOBIG;
    if (!t->name[0] || !t->prefix[0] || t->scopes == 0 || t->created_at < 0) return HARK_EINVAL;
    WRITE_OP(c, c->be->api_token_create(c, t));
}

int store_api_token_by_hash(store_conn *c, const unsigned char hash[STORE_HASH_BYTES], store_api_token *out) {
    if (!c || !hash || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    return c->be->api_token_by_hash(c, hash, out);
}

int store_api_token_touch(store_conn *c, int64_t tenant_id, int64_t id, int64_t now) {
    if (!c) return HARK_EINVAL;
    WRITE_OP(c, c->be->api_token_touch(c, tenant_id, id, now));
}
