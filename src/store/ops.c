/* Domain operations, backend-neutral half (store.h): checks arguments, gives
 * each write operation its atomicity — its own transaction when none is open,
 * else a savepoint inside the caller's or the batch's transaction, so a
 * failing operation changes nothing — and dispatches to the backend. The
 * backends hold the SQL; this file holds none. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/config.h"
#include "store/store_int.h"

int store__op_enter(store_conn *c, enum store_tx_mode mode, enum op_scope *scope) {
    int rc = HARK_OK;
    *scope = OP_NONE;
    if (!c) return HARK_EINVAL;
    if (!c->in_tx) {
        rc = store__tx_begin(c, mode);
        if (rc == HARK_OK) *scope = OP_BEGAN;
    } else if (mode == STORE_TX_WRITE) {
        rc = c->be->savepoint(c, STORE_SP_OP);
        if (rc == HARK_OK) *scope = OP_SAVEPOINT;
    }
    return rc;
}

/* Ends what op_enter started: keeps the work when RC is 0, else undoes it.
 * Returns RC, or the commit's failure. */
int store__op_leave(store_conn *c, enum op_scope scope, int rc) {
    int rc2 = HARK_OK;
    switch (scope) {
    case OP_NONE: break;
    case OP_BEGAN: rc2 = rc ? store__tx_rollback(c) : store__tx_commit(c); break;
    case OP_SAVEPOINT:
        /* When the database has already ended the whole transaction there is
         * no savepoint left to end; the batch owner notices (tx_active). */
        if (c->be->tx_active(c)) rc2 = rc ? c->be->rollback_to(c, STORE_SP_OP) : c->be->release(c, STORE_SP_OP);
        break;
    }
    return rc ? rc : rc2;
}

int store__one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static const char *const user_roles[] = {"owner", "admin", "hrbp", "viewer", NULL};
static const char *const employee_statuses[] = {"", "active", "inactive", "left", NULL};
static const char *const touchpoint_kinds[] = {"onboarding", "tenure", "pulse", "exit", "adhoc", NULL};
static const char *const answer_kinds[] = {"scale", "choice", "text", NULL};
static const char *const flag_kinds[] = {"harassment", "threat", "self_harm", "resign", "burnout", NULL};
static const char *const invite_statuses[] = {"",       "planned", "sending",   "sent",    "failed",
                                              "opened", "started", "completed", "expired", NULL};

/* A key longer than its record field cannot name a stored row. */
static int key_fits(const char *key, size_t cap) {
    return key && strnlen(key, cap) < cap;
}

int store_tenant_create(store_conn *c, store_tenant *t) {
    enum op_scope scope;
    if (!FITS(t->slug) || !FITS(t->name) || !FITS(t->timezone)) return HARK_ETOOBIG;
    if (!t->slug[0]) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->tenant_create(c, t));
}

int store_tenant_get(store_conn *c, int64_t id, store_tenant *out) {
    if (!c) return HARK_EINVAL;
    return c->be->tenant_get(c, id, out);
}

int store_tenant_by_slug(store_conn *c, const char *slug, store_tenant *out) {
    if (!c) return HARK_EINVAL;
    if (!key_fits(slug, sizeof out->slug)) return HARK_ENOTFOUND;
    return c->be->tenant_by_slug(c, slug, out);
}

int store_user_create(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                      int64_t *id) {
    enum op_scope scope;
    if (!email || !*email || !pwhash || !role || !store__one_of(role, user_roles)) return HARK_EINVAL;
    if (strlen(email) >= 256 || strlen(pwhash) >= 512) return HARK_ETOOBIG;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->user_create(c, tenant_id, email, pwhash, role, id));
}

int store_employee_upsert(store_conn *c, store_employee *e) {
    enum op_scope scope;
    if (!FITS(e->external_id) || !FITS(e->email) || !FITS(e->first_name) || !FITS(e->last_name) ||
        !FITS(e->department) || !FITS(e->location) || !FITS(e->manager_email) || !FITS(e->hire_date) ||
        !FITS(e->exit_date) || !FITS(e->timezone) || !FITS(e->status))
        return HARK_ETOOBIG;
    if (!e->email[0] || !store__one_of(e->status, employee_statuses)) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->employee_upsert(c, e));
}

int store_employee_get(store_conn *c, int64_t tenant_id, int64_t id, store_employee *out) {
    if (!c) return HARK_EINVAL;
    return c->be->employee_get(c, tenant_id, id, out);
}

int store_employee_by_email(store_conn *c, int64_t tenant_id, const char *email, store_employee *out) {
    if (!c) return HARK_EINVAL;
    if (!key_fits(email, sizeof out->email)) return HARK_ENOTFOUND;
    return c->be->employee_by_email(c, tenant_id, email, out);
}

int store_employee_count(store_conn *c, int64_t tenant_id, int64_t *count) {
    if (!c) return HARK_EINVAL;
    return c->be->employee_count(c, tenant_id, count);
}

int store_employee_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_employee *out, size_t max,
                        size_t *n) {
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (max == 0) return HARK_OK;
    return c->be->employee_list(c, tenant_id, after_id, out, max, n);
}

int store_flow_put(store_conn *c, int64_t tenant_id, const char *name, int version, const char *json, int64_t *id) {
    enum op_scope scope;
    if (!name || !*name || !json || version < 1 || tenant_id < 0) return HARK_EINVAL;
    if (strlen(name) >= sizeof((store_flow *)0)->name) return HARK_ETOOBIG;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->flow_put(c, tenant_id, name, version, json, id));
}

int store_flow_get(store_conn *c, int64_t tenant_id, int64_t id, store_flow *out) {
    if (!c) return HARK_EINVAL;
    out->json = NULL;
    return c->be->flow_get(c, tenant_id, id, out);
}

int store_flow_latest(store_conn *c, int64_t tenant_id, const char *name, store_flow *out) {
    if (!c) return HARK_EINVAL;
    out->json = NULL;
    if (!key_fits(name, sizeof out->name)) return HARK_ENOTFOUND;
    return c->be->flow_latest(c, tenant_id, name, out);
}

void store_flow_clear(store_flow *f) {
    free(f->json);
    f->json = NULL;
}

int store_touchpoint_put(store_conn *c, store_touchpoint *t) {
    enum op_scope scope;
    if (!FITS(t->name) || !FITS(t->kind) || !FITS(t->flow_name) || !FITS(t->rule)) return HARK_ETOOBIG;
    if (!t->name[0] || !t->flow_name[0] || !store__one_of(t->kind, touchpoint_kinds)) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->touchpoint_put(c, t));
}

int store_touchpoint_by_name(store_conn *c, int64_t tenant_id, const char *name, store_touchpoint *out) {
    if (!c) return HARK_EINVAL;
    if (!key_fits(name, sizeof out->name)) return HARK_ENOTFOUND;
    return c->be->touchpoint_by_name(c, tenant_id, name, out);
}

int store_invite_create(store_conn *c, store_invite *inv) {
    enum op_scope scope;
    if (!FITS(inv->occurrence) || !FITS(inv->status)) return HARK_ETOOBIG;
    if (!store__one_of(inv->status, invite_statuses)) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    /* An existing invite is reported with HARK_EEXISTS and INV filled in:
     * nothing was written, so the rollback in op_leave loses nothing. */
    rc = c->be->invite_create(c, inv);
    /* A link made by hand (`hark invite`, the demo) is sent as it is made. */
    if (rc == HARK_OK && strcmp(inv->status, "sent") == 0) {
        int64_t rid;
        rc = store__rollup_invite(c, inv->tenant_id, inv->id, inv->created_at, &rid);
    }
    return store__op_leave(c, scope, rc);
}

int store_invite_get(store_conn *c, int64_t tenant_id, int64_t id, store_invite *out) {
    if (!c) return HARK_EINVAL;
    return c->be->invite_get(c, tenant_id, id, out);
}

int store_invite_set_status(store_conn *c, int64_t tenant_id, int64_t id, const char *status) {
    enum op_scope scope;
    if (!status || !*status || !store__one_of(status, invite_statuses)) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, c->be->invite_set_status(c, tenant_id, id, status));
}

int store_conversation_load(store_conn *c, int64_t tenant_id, int64_t invite_id, store_conversation *conv,
                            store_message **msgs, size_t *n) {
    enum op_scope scope;
    conv->vars_json = NULL;
    *msgs = NULL;
    *n = 0;
    /* Two reads (the conversation, then its messages) from one snapshot. */
    int rc = store__op_enter(c, STORE_TX_READ, &scope);
    if (rc) return rc;
    rc = c->be->conversation_load(c, tenant_id, invite_id, conv, msgs, n);
    rc = store__op_leave(c, scope, rc);
    if (rc) {
        store_conversation_clear(conv);
        store_messages_free(*msgs, *n);
        *msgs = NULL;
        *n = 0;
    }
    return rc;
}

int store_conversation_create(store_conn *c, store_conversation *conv) {
    enum op_scope scope;
    if (!FITS(conv->node)) return HARK_ETOOBIG;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = c->be->conversation_create(c, conv);
    if (rc == HARK_OK) rc = store__rollup_started(c, conv);
    return store__op_leave(c, scope, rc);
}

int store_conversation_append(store_conn *c, const store_conversation *conv, int64_t prev_last_seq,
                              const store_message *msgs, size_t n, const store_answer *answers, size_t nanswers,
                              int64_t *dup_seq) {
    enum op_scope scope;
    if (!FITS(conv->node)) return HARK_ETOOBIG;
    if (prev_last_seq < 0 || conv->last_seq != prev_last_seq + (int64_t)n) return HARK_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!FITS(msgs[i].client_id)) return HARK_ETOOBIG;
        if (msgs[i].seq != prev_last_seq + 1 + (int64_t)i || !msgs[i].text) return HARK_EINVAL;
        if (msgs[i].nflags > STORE_FLAGS_MAX || (msgs[i].nflags && (!msgs[i].flags || !msgs[i].from_employee)))
            return HARK_EINVAL;
        for (size_t f = 0; f < msgs[i].nflags; f++) {
            const store_flag *fl = &msgs[i].flags[f];
            if (!FITS(fl->kind)) return HARK_ETOOBIG;
            if (!store__one_of(fl->kind, flag_kinds) || fl->severity < 1 || fl->severity > 3 || fl->start < 0 || fl->len < 0)
                return HARK_EINVAL;
        }
    }
    for (size_t i = 0; i < nanswers; i++) {
        if (!FITS(answers[i].key) || !FITS(answers[i].kind)) return HARK_ETOOBIG;
        if (!answers[i].key[0] || !store__one_of(answers[i].kind, answer_kinds)) return HARK_EINVAL;
    }
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    int was_done = 0;
    rc = store__rollup_was_done(c, conv, &was_done);
    if (rc == HARK_OK) rc = c->be->conversation_append(c, conv, prev_last_seq, msgs, n, answers, nanswers, dup_seq);
    if (rc == HARK_OK) rc = store__rollup_append(c, conv, conv->done && !was_done, msgs, n, answers, nanswers);
    if (rc == HARK_OK) rc = store__webhook_after_append(c, conv, conv->done && !was_done, msgs, n, hark_now_ms());
    return store__op_leave(c, scope, rc);
}

int store_escalation_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_escalation *out, size_t max,
                          size_t *n) {
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (max == 0) return HARK_OK;
    return c->be->escalation_list(c, tenant_id, after_id, out, max, n);
}

void store_conversation_clear(store_conversation *conv) {
    free(conv->vars_json);
    conv->vars_json = NULL;
}

void store_messages_free(store_message *msgs, size_t n) {
    if (!msgs) return;
    for (size_t i = 0; i < n; i++) {
        free(msgs[i].text);
        free(msgs[i].input_json);
        free(msgs[i].flags_json);
    }
    free(msgs);
}
