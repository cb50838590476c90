/* Outreach operations, backend-neutral half (store.h, "outreach"): argument
 * checks, atomicity (store__op_enter/leave) and dispatch, as in ops.c, plus
 * store_mail_context, which only combines other reads. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store_int.h"

static const char *const outbox_kinds[] = {"invite", "reminder", "alert", NULL};

/* Runs a write operation: checks C, opens its transaction or savepoint,
 * returns what the backend call returned (or the commit's failure). */
#define WRITE_OP(c, call)                                                                                              \
    do {                                                                                                               \
        enum op_scope scope_;                                                                                          \
        int rc_ = store__op_enter((c), STORE_TX_WRITE, &scope_);                                                       \
        if (rc_) return rc_;                                                                                           \
        return store__op_leave((c), scope_, (call));                                                                   \
    } while (0)

/* A list read: checks its arguments, returns at once for MAX 0. */
#define LIST_ARGS_OK(c, out, max, n) ((c) && (n) && (!(max) || (out)))

int store_tenant_list(store_conn *c, int64_t after_id, store_tenant *out, size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n)) return HARK_EINVAL;
    *n = 0;
    return max ? c->be->tenant_list(c, after_id, out, max, n) : HARK_OK;
}

int store_tenant_set_schedule(store_conn *c, int64_t tenant_id, const store_schedule *s) {
    if (!c || !s) return HARK_EINVAL;
    WRITE_OP(c, c->be->tenant_set_schedule(c, tenant_id, s));
}

int store_touchpoint_list(store_conn *c, int64_t tenant_id, store_touchpoint *out, size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n)) return HARK_EINVAL;
    *n = 0;
    return max ? c->be->touchpoint_list(c, tenant_id, out, max, n) : HARK_OK;
}

int store_touchpoint_get(store_conn *c, int64_t tenant_id, int64_t id, store_touchpoint *out) {
    if (!c || !out) return HARK_EINVAL;
    return c->be->touchpoint_get(c, tenant_id, id, out);
}

int store_invite_last_at(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t *at_ms) {
    if (!c || !at_ms) return HARK_EINVAL;
    *at_ms = 0;
    return c->be->invite_last_at(c, tenant_id, employee_id, at_ms);
}

int store_invite_plan(store_conn *c, store_invite *inv) {
    if (!c || !inv) return HARK_EINVAL;
    if (!FITS(inv->occurrence)) return HARK_ETOOBIG;
    if (!inv->occurrence[0] || inv->send_at <= 0 || inv->expires_at <= inv->send_at) return HARK_EINVAL;
    WRITE_OP(c, c->be->invite_plan(c, inv));
}

int store_skip_record(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t touchpoint_id,
                      const char *reason) {
    if (!c || !reason || !*reason) return HARK_EINVAL;
    if (strlen(reason) >= sizeof((store_skip_count *)0)->reason) return HARK_ETOOBIG;
    WRITE_OP(c, c->be->skip_record(c, tenant_id, employee_id, touchpoint_id, reason));
}

int store_invites_expire(store_conn *c, int64_t tenant_id, int64_t now, int64_t *n) {
    int64_t dummy;
    if (!c) return HARK_EINVAL;
    WRITE_OP(c, c->be->invites_expire(c, tenant_id, now, n ? n : &dummy));
}

int store_outbox_claim(store_conn *c, int64_t now, int64_t lease_ms, store_outbox *out, size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n) || lease_ms <= 0) return HARK_EINVAL;
    *n = 0;
    if (!max) return HARK_OK;
    WRITE_OP(c, c->be->outbox_claim(c, now, lease_ms, out, max, n));
}

int store_outbox_renew(store_conn *c, const int64_t *ids, size_t n, int64_t until) {
    if (!c || (n && !ids)) return HARK_EINVAL;
    if (!n) return HARK_OK;
    WRITE_OP(c, c->be->outbox_renew(c, ids, n, until));
}

int store_outbox_finish(store_conn *c, const store_outbox_done *d) {
    if (!c || !d || d->result < STORE_OUTBOX_SENT || d->result > STORE_OUTBOX_DEFER) return HARK_EINVAL;
    if (!FITS(d->error)) return HARK_ETOOBIG;
    enum op_scope scope;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = c->be->outbox_finish(c, d);
    if (rc == HARK_OK && d->result == STORE_OUTBOX_SENT) rc = store__rollup_sent(c, d->tenant_id, d->id);
    return store__op_leave(c, scope, rc);
}

int store_escalation_get(store_conn *c, int64_t tenant_id, int64_t id, store_escalation *out) {
    if (!c || !out) return HARK_EINVAL;
    return c->be->escalation_get(c, tenant_id, id, out);
}

int store_mail_context(store_conn *c, const store_outbox *row, store_mail_ctx *out) {
    enum op_scope scope;
    if (!c || !row || !out || !FITS(row->kind) || !store__one_of(row->kind, outbox_kinds)) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__op_enter(c, STORE_TX_READ, &scope);
    if (rc) return rc;
    rc = c->be->tenant_get(c, row->tenant_id, &out->tenant);
    if (rc == HARK_OK && !strcmp(row->kind, "alert")) {
        rc = c->be->escalation_get(c, row->tenant_id, row->ref_id, &out->escalation);
    } else if (rc == HARK_OK) {
        rc = c->be->invite_get(c, row->tenant_id, row->ref_id, &out->invite);
        if (rc == HARK_OK) rc = c->be->employee_get(c, row->tenant_id, out->invite.employee_id, &out->employee);
        if (rc == HARK_OK) rc = c->be->touchpoint_get(c, row->tenant_id, out->invite.touchpoint_id, &out->touchpoint);
    }
    return store__op_leave(c, scope, rc);
}

int store_admin_emails(store_conn *c, int64_t tenant_id, char (*out)[256], size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n)) return HARK_EINVAL;
    *n = 0;
    return max ? c->be->admin_emails(c, tenant_id, out, max, n) : HARK_OK;
}

/* Template names are file names of data/templates: "invite-pulse.txt". */
static int template_name_ok(const char *name) {
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 64 || name[0] == '.') return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_')) return 0;
    }
    return 1;
}

int store_template_get(store_conn *c, int64_t tenant_id, const char *name, char **body) {
    if (!c || !body) return HARK_EINVAL;
    *body = NULL;
    if (!template_name_ok(name)) return HARK_EINVAL;
    return c->be->template_get(c, tenant_id, name, body);
}

int store_template_put(store_conn *c, int64_t tenant_id, const char *name, const char *body) {
    if (!c || !body || !template_name_ok(name)) return HARK_EINVAL;
    if (strlen(body) > 256 * 1024) return HARK_ETOOBIG;
    WRITE_OP(c, c->be->template_put(c, tenant_id, name, body));
}

int store_outreach_status(store_conn *c, int64_t tenant_id, int64_t from_ms, int64_t to_ms, store_status_row *out,
                          size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n) || to_ms < from_ms) return HARK_EINVAL;
    *n = 0;
    return max ? c->be->outreach_status(c, tenant_id, from_ms, to_ms, out, max, n) : HARK_OK;
}

int store_skip_counts(store_conn *c, int64_t tenant_id, store_skip_count *out, size_t max, size_t *n) {
    if (!LIST_ARGS_OK(c, out, max, n)) return HARK_EINVAL;
    *n = 0;
    return max ? c->be->skip_counts(c, tenant_id, out, max, n) : HARK_OK;
}
