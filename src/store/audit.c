/* The audit log (audit.h), in portable statements. */
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/audit.h"
#include "store/store_int.h"

static const store_sql Q_INSERT = {"audit_add",
                                   "INSERT INTO audit_log (tenant_id, at, user_id, token_id, action, target, detail) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"};
static const store_sql Q_LIST = {
    "audit_list", "SELECT id, tenant_id, at, user_id, token_id, action, target, detail FROM audit_log "
                  "WHERE tenant_id = ? AND (? = 0 OR id < ?) AND substr(action, 1, ?) = ? ORDER BY id DESC LIMIT ?"};

int store_audit_add(store_conn *c, store_audit *a) {
    enum op_scope scope;
    if (!c || !a) return HARK_EINVAL;
    if (!FITS(a->action) || !FITS(a->target) || !FITS(a->detail)) return HARK_ETOOBIG;
    if (!a->action[0] || (a->detail[0] && a->detail[0] != '{')) return HARK_EINVAL;
    if (!a->at) a->at = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_int(c, &Q_INSERT, &a->id, "iiiisss", a->tenant_id, a->at, a->user_id, a->token_id, a->action,
                      a->target, a->detail[0] ? a->detail : "{}");
    return store__op_leave(c, scope, rc);
}

int store_audit_list(store_conn *c, int64_t tenant_id, int64_t before_id, const char *action_prefix, store_audit *out,
                     size_t max, size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (!action_prefix) action_prefix = "";
    int rc = store__q(c, &Q_LIST, &q, "iiiisi", tenant_id, before_id, before_id, (int64_t)strlen(action_prefix),
                      action_prefix, (int64_t)max);
    if (rc) return rc;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        store_audit *a = &out[*n];
        memset(a, 0, sizeof *a);
        a->id = store__q_i64(q, 0);
        a->tenant_id = store__q_i64(q, 1);
        a->at = store__q_i64(q, 2);
        a->user_id = store__q_i64(q, 3);
        a->token_id = store__q_i64(q, 4);
        rc = STORE_Q_FIELD(q, 5, a->action);
        if (!rc) rc = STORE_Q_FIELD(q, 6, a->target);
        if (!rc) rc = STORE_Q_FIELD(q, 7, a->detail);
        if (rc) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}
