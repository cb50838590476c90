/* A tenant's configuration and the webhook outbox (config.h), in portable
 * statements: flow versions for the admin panel, touchpoint creation and
 * edits, webhooks, and the deliveries chat's transactions queue and
 * outreach's worker claims. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "store/config.h"
#include "store/store_int.h"

/* ---- flows ---- */

static const store_sql Q_FLOW_LIST = {"flow_list",
                                      "SELECT id, tenant_id, name, version, created_at FROM flows "
                                      "WHERE tenant_id IN (?, 0) ORDER BY name, version DESC, tenant_id DESC LIMIT ?"};
static const store_sql Q_FLOW_FETCH = {
    "flow_fetch",
    "SELECT id, tenant_id, name, version, created_at, json FROM flows WHERE id = ? AND tenant_id IN (?, 0)"};
static const store_sql Q_FLOW_MAX = {
    "flow_next_version", "SELECT coalesce(max(version), 0) FROM flows WHERE tenant_id IN (?, 0) AND name = ?"};

static int flow_row(store_q *q, store_flow_row *r) {
    memset(r, 0, sizeof *r);
    r->id = store__q_i64(q, 0);
    r->tenant_id = store__q_i64(q, 1);
    r->version = (int)store__q_i64(q, 3);
    r->created_at = store__q_i64(q, 4);
    return STORE_Q_FIELD(q, 2, r->name);
}

int store_flow_list(store_conn *c, int64_t tenant_id, store_flow_row *out, size_t max, size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    int rc = store__q(c, &Q_FLOW_LIST, &q, "ii", tenant_id, (int64_t)max + 1);
    if (rc) return rc;
    while ((rc = store__q_step(q)) == 1) {
        if (*n == max) {
            rc = HARK_ETOOBIG;
            break;
        }
        if ((rc = flow_row(q, &out[*n]))) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

int store_flow_fetch(store_conn *c, int64_t tenant_id, int64_t id, store_flow_row *row, char **json) {
    store_q *q;
    if (!c || !row) return HARK_EINVAL;
    if (json) *json = NULL;
    int rc = store__q(c, &Q_FLOW_FETCH, &q, "ii", id, tenant_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        rc = flow_row(q, row);
        if (!rc && json) rc = store__q_dup(q, 5, json);
    }
    return store__q_close(q, rc);
}

int store_flow_next_version(store_conn *c, int64_t tenant_id, const char *name, int *version) {
    int64_t v = 0;
    if (!c || !name || !version) return HARK_EINVAL;
    int rc = store__q_int(c, &Q_FLOW_MAX, &v, "is", tenant_id, name);
    if (rc) return rc;
    *version = (int)v + 1;
    return HARK_OK;
}

/* ---- touchpoints ---- */

static const char *const tp_kinds[] = {"onboarding", "tenure", "pulse", "exit", "adhoc", NULL};

static const store_sql Q_TP_INSERT = {
    "touchpoint_create", "INSERT INTO touchpoints (tenant_id, name, kind, flow_name, rule, active, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"};
static const store_sql Q_TP_UPDATE = {
    "touchpoint_update",
    "UPDATE touchpoints SET flow_name = ?, rule = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"};

int store_touchpoint_create(store_conn *c, store_touchpoint *t) {
    enum op_scope scope;
    if (!c || !t) return HARK_EINVAL;
    if (!FITS(t->name) || !FITS(t->kind) || !FITS(t->flow_name) || !FITS(t->rule)) return HARK_ETOOBIG;
    if (!t->name[0] || !t->flow_name[0] || !store__one_of(t->kind, tp_kinds)) return HARK_EINVAL;
    int64_t now = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_int(c, &Q_TP_INSERT, &t->id, "issssiii", t->tenant_id, t->name, t->kind, t->flow_name,
                      t->rule[0] ? t->rule : "{}", (int64_t)(t->active ? 1 : 0), now, now);
    return store__op_leave(c, scope, rc);
}

int store_touchpoint_update(store_conn *c, const store_touchpoint *t) {
    enum op_scope scope;
    int64_t changed = 0;
    if (!c || !t) return HARK_EINVAL;
    if (!FITS(t->flow_name) || !FITS(t->rule)) return HARK_ETOOBIG;
    if (!t->flow_name[0]) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_exec(c, &Q_TP_UPDATE, &changed, "ssiiii", t->flow_name, t->rule[0] ? t->rule : "{}",
                       (int64_t)(t->active ? 1 : 0), hark_now_ms(), t->tenant_id, t->id);
    if (!rc && changed == 0) rc = HARK_ENOTFOUND;
    return store__op_leave(c, scope, rc);
}

/* ---- webhooks ---- */

#define WEBHOOK_COLS                                                                                                   \
    "w.id, w.tenant_id, w.url, w.secret, w.events, w.active, w.created_at, w.updated_at, "                             \
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.tenant_id = w.tenant_id "              \
    "AND d.status IN ('pending', 'sending')), "                                                                        \
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.tenant_id = w.tenant_id "              \
    "AND d.status = 'sent'), "                                                                                         \
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.tenant_id = w.tenant_id "              \
    "AND d.status = 'failed')"

static const store_sql Q_WH_INSERT = {"webhook_create",
                                      "INSERT INTO webhooks (tenant_id, url, secret, events, active, created_at, "
                                      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"};
static const store_sql Q_WH_GET = {"webhook_get",
                                   "SELECT " WEBHOOK_COLS " FROM webhooks w WHERE w.tenant_id = ? AND w.id = ?"};
static const store_sql Q_WH_LIST = {"webhook_list", "SELECT " WEBHOOK_COLS
                                                    " FROM webhooks w WHERE w.tenant_id = ? ORDER BY w.id LIMIT ?"};
static const store_sql Q_WH_UPDATE = {
    "webhook_update",
    "UPDATE webhooks SET url = ?, events = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_WH_CANCEL = {
    "webhook_cancel_pending",
    "UPDATE webhook_deliveries SET status = 'cancelled', last_error = 'the webhook was made inactive', "
    "updated_at = ? WHERE tenant_id = ? AND webhook_id = ? AND status = 'pending'"};
static const store_sql Q_WH_DELETE_DELIVERIES = {
    "webhook_delete_deliveries", "DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ?"};
static const store_sql Q_WH_DELETE = {"webhook_delete", "DELETE FROM webhooks WHERE tenant_id = ? AND id = ?"};

static int webhook_row(store_q *q, store_webhook *w) {
    memset(w, 0, sizeof *w);
    w->id = store__q_i64(q, 0);
    w->tenant_id = store__q_i64(q, 1);
    w->active = store__q_i64(q, 5) != 0;
    w->created_at = store__q_i64(q, 6);
    w->updated_at = store__q_i64(q, 7);
    w->pending = store__q_i64(q, 8);
    w->sent = store__q_i64(q, 9);
    w->failed = store__q_i64(q, 10);
    int rc = STORE_Q_FIELD(q, 2, w->url);
    if (!rc) rc = STORE_Q_FIELD(q, 3, w->secret);
    if (!rc) rc = STORE_Q_FIELD(q, 4, w->events);
    return rc;
}

static int webhook_checks(const store_webhook *w) {
    if (!FITS(w->url) || !FITS(w->secret) || !FITS(w->events)) return HARK_ETOOBIG;
    if (!w->url[0] || !w->events[0]) return HARK_EINVAL;
    return HARK_OK;
}

int store_webhook_create(store_conn *c, store_webhook *w) {
    enum op_scope scope;
    if (!c || !w) return HARK_EINVAL;
    int rc = webhook_checks(w);
    if (rc) return rc;
    if (!w->secret[0]) return HARK_EINVAL;
    if (!w->created_at) w->created_at = hark_now_ms();
    if (!w->updated_at) w->updated_at = w->created_at;
    if ((rc = store__op_enter(c, STORE_TX_WRITE, &scope))) return rc;
    rc = store__q_int(c, &Q_WH_INSERT, &w->id, "isssiii", w->tenant_id, w->url, w->secret, w->events,
                      (int64_t)(w->active ? 1 : 0), w->created_at, w->updated_at);
    return store__op_leave(c, scope, rc);
}

int store_webhook_get(store_conn *c, int64_t tenant_id, int64_t id, store_webhook *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    int rc = store__q(c, &Q_WH_GET, &q, "ii", tenant_id, id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) rc = webhook_row(q, out);
    return store__q_close(q, rc);
}

int store_webhook_list(store_conn *c, int64_t tenant_id, store_webhook *out, size_t max, size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    int rc = store__q(c, &Q_WH_LIST, &q, "ii", tenant_id, (int64_t)max);
    if (rc) return rc;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        if ((rc = webhook_row(q, &out[*n]))) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

int store_webhook_update(store_conn *c, const store_webhook *w) {
    enum op_scope scope;
    int64_t changed = 0;
    if (!c || !w) return HARK_EINVAL;
    int rc = webhook_checks(w);
    if (rc) return rc;
    int64_t now = hark_now_ms();
    if ((rc = store__op_enter(c, STORE_TX_WRITE, &scope))) return rc;
    rc = store__q_exec(c, &Q_WH_UPDATE, &changed, "ssiiii", w->url, w->events, (int64_t)(w->active ? 1 : 0), now,
                       w->tenant_id, w->id);
    if (!rc && changed == 0) rc = HARK_ENOTFOUND;
    if (!rc && !w->active) rc = store__q_exec(c, &Q_WH_CANCEL, NULL, "iii", now, w->tenant_id, w->id);
    return store__op_leave(c, scope, rc);
}

int store_webhook_delete(store_conn *c, int64_t tenant_id, int64_t id) {
    enum op_scope scope;
    int64_t changed = 0;
    if (!c) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_exec(c, &Q_WH_DELETE_DELIVERIES, NULL, "ii", tenant_id, id);
    if (!rc) rc = store__q_exec(c, &Q_WH_DELETE, &changed, "ii", tenant_id, id);
    if (!rc && changed == 0) rc = HARK_ENOTFOUND;
    return store__op_leave(c, scope, rc);
}

/* ---- deliveries ---- */

#define DELIVERY_COLS                                                                                                  \
    "d.id, d.tenant_id, d.webhook_id, d.event, d.ref_id, d.status, d.attempts, d.last_code, d.last_error, d.due_at, "  \
    "d.created_at, coalesce(d.sent_at, 0)"

static const store_sql Q_DL_LIST = {"webhook_deliveries",
                                    "SELECT " DELIVERY_COLS " FROM webhook_deliveries d "
                                    "WHERE d.tenant_id = ? AND d.webhook_id = ? ORDER BY d.id DESC LIMIT ?"};
/* Each half of the union walks one of the partial indexes of migration 5. */
static const store_sql Q_DL_CLAIM = {
    "webhook_claim",
    "UPDATE webhook_deliveries SET status = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ? "
    "WHERE id IN (SELECT id FROM (SELECT id, due_at FROM webhook_deliveries WHERE status = 'pending' AND due_at <= ? "
    "UNION ALL SELECT id, due_at FROM webhook_deliveries WHERE status = 'sending' AND lease_until <= ?) AS due "
    "ORDER BY due_at, id LIMIT ?) RETURNING id"};
/* Whether anything is claimable, read before taking the write lock: an idle
 * worker polls often and must not hold up chat's writer. */
static const store_sql Q_DL_ANY = {
    "webhook_any_due",
    "SELECT (SELECT count(*) FROM (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND due_at <= ? "
    "LIMIT 1) AS p) + (SELECT count(*) FROM (SELECT id FROM webhook_deliveries WHERE status = 'sending' "
    "AND lease_until <= ? LIMIT 1) AS s)"};
static const store_sql Q_DL_LOAD = {"webhook_claim_load",
                                    "SELECT " DELIVERY_COLS ", d.payload, w.url, w.secret, w.active "
                                    "FROM webhook_deliveries d JOIN webhooks w "
                                    "ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id WHERE d.id = ?"};
static const store_sql Q_DL_SENT = {
    "webhook_sent", "UPDATE webhook_deliveries SET status = 'sent', sent_at = ?, last_code = ?, last_error = '', "
                    "lease_until = 0, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'sending'"};
static const store_sql Q_DL_END = {
    "webhook_finish", "UPDATE webhook_deliveries SET status = ?, due_at = ?, last_code = ?, last_error = ?, "
                      "lease_until = 0, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'sending'"};

static int delivery_row(store_q *q, store_webhook_delivery *d) {
    memset(d, 0, sizeof *d);
    d->id = store__q_i64(q, 0);
    d->tenant_id = store__q_i64(q, 1);
    d->webhook_id = store__q_i64(q, 2);
    d->ref_id = store__q_i64(q, 4);
    d->attempts = (int)store__q_i64(q, 6);
    d->last_code = (int)store__q_i64(q, 7);
    d->due_at = store__q_i64(q, 9);
    d->created_at = store__q_i64(q, 10);
    d->sent_at = store__q_i64(q, 11);
    int rc = STORE_Q_FIELD(q, 3, d->event);
    if (!rc) rc = STORE_Q_FIELD(q, 5, d->status);
    if (!rc) rc = STORE_Q_FIELD(q, 8, d->last_error);
    return rc;
}

int store_webhook_deliveries(store_conn *c, int64_t tenant_id, int64_t webhook_id, store_webhook_delivery *out,
                             size_t max, size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    int rc = store__q(c, &Q_DL_LIST, &q, "iii", tenant_id, webhook_id, (int64_t)max);
    if (rc) return rc;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        if ((rc = delivery_row(q, &out[*n]))) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

void store_webhook_deliveries_clear(store_webhook_delivery *d, size_t n) {
    for (size_t i = 0; d && i < n; i++) {
        free(d[i].payload);
        d[i].payload = NULL;
    }
}

static int claim_load(store_conn *c, int64_t id, store_webhook_delivery *d) {
    store_q *q;
    int rc = store__q(c, &Q_DL_LOAD, &q, "i", id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        rc = delivery_row(q, d);
        if (!rc) rc = STORE_Q_FIELD(q, 13, d->url);
        if (!rc) rc = STORE_Q_FIELD(q, 14, d->secret);
        d->active = store__q_i64(q, 15) != 0;
        if (!rc) rc = store__q_dup(q, 12, &d->payload);
    }
    return store__q_close(q, rc);
}

int store_webhook_claim(store_conn *c, int64_t now, int64_t lease_ms, store_webhook_delivery *out, size_t max,
                        size_t *n) {
    enum op_scope scope;
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (max == 0) return HARK_OK;
    int64_t any = 0;
    int rc = store__q_int(c, &Q_DL_ANY, &any, "ii", now, now);
    if (rc || any == 0) return rc;
    int64_t *ids = calloc(max, sizeof *ids);
    if (!ids) return HARK_ENOMEM;
    size_t k = 0;
    rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) goto out;
    rc = store__q(c, &Q_DL_CLAIM, &q, "iiiii", now + lease_ms, now, now, now, (int64_t)max);
    if (!rc) {
        while ((rc = store__q_step(q)) == 1)
            if (k < max) ids[k++] = store__q_i64(q, 0);
        rc = store__q_close(q, rc);
    }
    for (size_t i = 0; !rc && i < k; i++) {
        rc = claim_load(c, ids[i], &out[*n]);
        if (!rc) (*n)++;
    }
    if (rc) {
        store_webhook_deliveries_clear(out, *n);
        *n = 0;
    }
    rc = store__op_leave(c, scope, rc);
out:
    free(ids);
    return rc;
}

int store_webhook_finish(store_conn *c, int64_t tenant_id, int64_t id, int result, int64_t at, int code,
                         const char *error) {
    static const char *const states[] = {"sent", "pending", "failed", "cancelled"};
    enum op_scope scope;
    if (!c || result < STORE_WEBHOOK_SENT || result > STORE_WEBHOOK_CANCELLED) return HARK_EINVAL;
    char err[256];
    size_t l = error ? strnlen(error, sizeof err - 1) : 0;
    memcpy(err, error ? error : "", l);
    err[l] = '\0';
    int64_t now = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    if (result == STORE_WEBHOOK_SENT)
        rc = store__q_exec(c, &Q_DL_SENT, NULL, "iiiii", at, (int64_t)code, now, tenant_id, id);
    else
        rc = store__q_exec(c, &Q_DL_END, NULL, "siisiii", states[result], at, (int64_t)code, err, now, tenant_id, id);
    return store__op_leave(c, scope, rc);
}

/* ---- queueing deliveries from chat's transactions ---- */

enum { EV_ESCALATION = 1u << 0, EV_COMPLETED = 1u << 1 };

static const store_sql Q_HOOK_WEBHOOKS = {
    "webhook_hook_list", "SELECT id, events FROM webhooks WHERE tenant_id = ? AND active = 1 ORDER BY id LIMIT ?"};
static const store_sql Q_HOOK_ESCALATIONS = {"webhook_hook_escalations",
                                             "SELECT id, kind, severity, created_at FROM escalations "
                                             "WHERE tenant_id = ? AND conversation_id = ? AND seq = ? ORDER BY id"};
static const store_sql Q_HOOK_TOUCHPOINT = {
    "webhook_hook_touchpoint",
    "SELECT t.name FROM conversations c JOIN invites i ON i.tenant_id = c.tenant_id AND i.id = c.invite_id "
    "JOIN touchpoints t ON t.tenant_id = i.tenant_id AND t.id = i.touchpoint_id WHERE c.tenant_id = ? AND c.id = ?"};
static const store_sql Q_HOOK_INSERT = {
    "webhook_queue", "INSERT INTO webhook_deliveries (tenant_id, webhook_id, event, ref_id, payload, due_at, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (webhook_id, event, ref_id) DO NOTHING"};

/* The event bits of a stored events array (unknown names count for nothing). */
static unsigned event_bits(const char *events) {
    json_t *a = json_loads(events, 0, NULL);
    unsigned bits = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        if (strcmp(s, "escalation.created") == 0) bits |= EV_ESCALATION;
        if (strcmp(s, "conversation.completed") == 0) bits |= EV_COMPLETED;
    }
    json_decref(a);
    return bits;
}

typedef struct hook {
    store_conn *c;
    int64_t tenant_id, now;
    struct {
        int64_t id;
        unsigned events;
    } hooks[STORE_WEBHOOKS_MAX * 2];
    size_t n;
    char slug[64];
} hook;

/* Queues PAYLOAD (consumed) for every webhook of H subscribed to BIT. */
static int queue(hook *h, unsigned bit, const char *event, int64_t ref_id, json_t *payload) {
    int rc = HARK_ENOMEM;
    char *body = NULL;
    json_t *o =
        payload ? json_pack("{s:s, s:s, s:I}", "event", event, "tenant", h->slug, "id", (json_int_t)ref_id) : NULL;
    if (!o || json_object_update(o, payload)) goto out;
    if (!(body = json_dumps(o, JSON_COMPACT))) goto out;
    rc = HARK_OK;
    for (size_t i = 0; i < h->n && !rc; i++) {
        if (!(h->hooks[i].events & bit)) continue;
        rc = store__q_exec(h->c, &Q_HOOK_INSERT, NULL, "iisisiii", h->tenant_id, h->hooks[i].id, event, ref_id, body,
                           h->now, h->now, h->now);
    }
out:
    free(body);
    json_decref(o);
    json_decref(payload);
    return rc;
}

static int queue_escalations(hook *h, int64_t conversation_id, int64_t seq) {
    store_q *q;
    int rc = store__q(h->c, &Q_HOOK_ESCALATIONS, &q, "iii", h->tenant_id, conversation_id, seq);
    if (rc) return rc;
    /* Read every row before writing: no statement stays open across inserts. */
    struct {
        int64_t id, severity, created_at;
        char kind[16];
    } esc[STORE_FLAGS_MAX * 2];
    size_t n = 0;
    while ((rc = store__q_step(q)) == 1 && n < sizeof esc / sizeof esc[0]) {
        esc[n].id = store__q_i64(q, 0);
        esc[n].severity = store__q_i64(q, 2);
        esc[n].created_at = store__q_i64(q, 3);
        if ((rc = STORE_Q_FIELD(q, 1, esc[n].kind))) break;
        n++;
    }
    if ((rc = store__q_close(q, rc))) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        char link[64];
        snprintf(link, sizeof link, "/#/escalations/%lld", (long long)esc[i].id);
        rc = queue(h, EV_ESCALATION, "escalation.created", esc[i].id,
                   json_pack("{s:I, s:s, s:I, s:s}", "created_at", (json_int_t)esc[i].created_at, "kind", esc[i].kind,
                             "severity", (json_int_t)esc[i].severity, "link", link));
    }
    return rc;
}

static int queue_completed(hook *h, int64_t conversation_id) {
    store_q *q;
    char touchpoint[64] = "";
    int rc = store__q(h->c, &Q_HOOK_TOUCHPOINT, &q, "ii", h->tenant_id, conversation_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1) rc = STORE_Q_FIELD(q, 0, touchpoint);
    if ((rc = store__q_close(q, rc))) return rc;
    return queue(h, EV_COMPLETED, "conversation.completed", conversation_id,
                 json_pack("{s:I, s:s, s:I}", "created_at", (json_int_t)h->now, "touchpoint", touchpoint,
                           "completed_at", (json_int_t)h->now));
}

int store__webhook_after_append(store_conn *c, const store_conversation *conv, int completed_now,
                                const store_message *msgs, size_t n, int64_t now) {
    int flagged = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].nflags) flagged = 1;
    if (!flagged && !completed_now) return HARK_OK;

    hook *h = calloc(1, sizeof *h);
    if (!h) return HARK_ENOMEM;
    h->c = c;
    h->tenant_id = conv->tenant_id;
    h->now = now ? now : hark_now_ms();
    unsigned wanted = 0;
    store_q *q;
    int rc = store__q(c, &Q_HOOK_WEBHOOKS, &q, "ii", conv->tenant_id, (int64_t)(sizeof h->hooks / sizeof h->hooks[0]));
    if (rc) goto out;
    while ((rc = store__q_step(q)) == 1 && h->n < sizeof h->hooks / sizeof h->hooks[0]) {
        size_t len;
        const char *events = store__q_text(q, 1, &len);
        h->hooks[h->n].id = store__q_i64(q, 0);
        h->hooks[h->n].events = event_bits(events);
        wanted |= h->hooks[h->n].events;
        h->n++;
    }
    if ((rc = store__q_close(q, rc))) goto out;
    if (!(flagged && (wanted & EV_ESCALATION)) && !(completed_now && (wanted & EV_COMPLETED))) goto out;

    store_tenant t;
    if ((rc = store_tenant_get(c, conv->tenant_id, &t))) goto out;
    memcpy(h->slug, t.slug, sizeof h->slug);
    if (wanted & EV_ESCALATION)
        for (size_t i = 0; i < n && !rc; i++)
            if (msgs[i].nflags) rc = queue_escalations(h, conv->id, msgs[i].seq);
    if (!rc && completed_now && (wanted & EV_COMPLETED)) rc = queue_completed(h, conv->id);
    if (rc)
        log_error("webhooks: queueing deliveries of conversation %lld failed: %s", (long long)conv->id,
                  hark_strerror(rc));
out:
    free(h);
    return rc;
}
