/* Unit tests for the configuration store (store/config.h) on a real SQLite
 * file: flow versions, touchpoint create and update, and the webhook outbox —
 * deliveries queued by store_conversation_append for the subscribed active
 * webhooks of the tenant only, payloads without answer text, claims with
 * leases (a claim that ran out is claimed again), retries, tenant-scoped
 * finishing, cancel on deactivation and delete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "store/config.h"
#include "store/store.h"

#define SET(field, value) snprintf((field), sizeof(field), "%s", (value))

struct fx {
    char dir[256], path[300], url[320];
    store *s;
    int64_t ta, tb, flow_a, tpa, tpb, conv_a, conv_b, inv_a, inv_b;
};

static int64_t make_tenant(store_conn *c, const char *slug) {
    store_tenant t;
    memset(&t, 0, sizeof t);
    SET(t.slug, slug);
    SET(t.name, slug);
    assert_int_equal(store_tenant_create(c, &t), 0);
    return t.id;
}

/* A started conversation of tenant T on FLOW through touchpoint TP. */
static int64_t make_conversation(store_conn *c, int64_t t, int64_t tp, int64_t flow, const char *email,
                                 int64_t *invite_id) {
    store_employee e;
    memset(&e, 0, sizeof e);
    e.tenant_id = t;
    SET(e.email, email);
    SET(e.first_name, "Ada");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    store_invite inv;
    memset(&inv, 0, sizeof inv);
    inv.tenant_id = t;
    inv.employee_id = e.id;
    inv.touchpoint_id = tp;
    inv.flow_id = flow;
    SET(inv.occurrence, "x");
    inv.expires_at = 4102444800000LL;
    assert_int_equal(store_invite_create(c, &inv), 0);
    *invite_id = inv.id;
    store_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.tenant_id = t;
    conv.invite_id = inv.id;
    conv.flow_id = flow;
    SET(conv.node, "why");
    assert_int_equal(store_conversation_create(c, &conv), 0);
    return conv.id;
}

static int64_t make_touchpoint(store_conn *c, int64_t t, const char *name) {
    store_touchpoint tp;
    memset(&tp, 0, sizeof tp);
    tp.tenant_id = t;
    SET(tp.name, name);
    SET(tp.kind, "pulse");
    SET(tp.flow_name, "pulse");
    SET(tp.rule, "{\"every_days\":30}");
    tp.active = 1;
    assert_int_equal(store_touchpoint_create(c, &tp), 0);
    return tp.id;
}

static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "%s/hark-webhooks-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/hark.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    store_opts o;
    char err[256];
    store_opts_default(&o);
    o.url = f->url;
    if (store_open(&o, &f->s, err, sizeof err) || store_migrate(f->s, NULL, err, sizeof err)) return -1;
    store_conn *c = store_main_conn(f->s);
    int64_t shared;
    f->ta = make_tenant(c, "acme");
    f->tb = make_tenant(c, "globex");
    assert_int_equal(store_flow_put(c, 0, "pulse", 1, "{\"v\":1}", &shared), 0);
    assert_int_equal(store_flow_put(c, f->ta, "pulse", 2, "{\"v\":2}", &f->flow_a), 0);
    f->tpa = make_touchpoint(c, f->ta, "monthly");
    f->tpb = make_touchpoint(c, f->tb, "monthly");
    f->conv_a = make_conversation(c, f->ta, f->tpa, f->flow_a, "ada@acme.test", &f->inv_a);
    f->conv_b = make_conversation(c, f->tb, f->tpb, shared, "bob@globex.test", &f->inv_b);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[340];
    store_close(f->s);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_flows_and_touchpoints(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    int v = 0;
    assert_int_equal(store_flow_next_version(c, f->ta, "pulse", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(store_flow_next_version(c, f->tb, "pulse", &v), 0);
    assert_int_equal(v, 2); /* the shared v1, not A's v2 */
    assert_int_equal(store_flow_next_version(c, f->tb, "new", &v), 0);
    assert_int_equal(v, 1);

    store_flow_row rows[4];
    size_t n = 0;
    assert_int_equal(store_flow_list(c, f->tb, rows, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].tenant_id, 0);
    assert_int_equal(store_flow_list(c, f->ta, rows, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].version, 2);
    assert_int_equal(store_flow_list(c, f->ta, rows, 1, &n), HARK_ETOOBIG);
    char *json = NULL;
    assert_int_equal(store_flow_fetch(c, f->tb, f->flow_a, rows, &json), HARK_ENOTFOUND);
    assert_null(json);
    assert_int_equal(store_flow_fetch(c, f->ta, f->flow_a, rows, &json), 0);
    assert_string_equal(json, "{\"v\":2}");
    free(json);

    store_touchpoint tp;
    memset(&tp, 0, sizeof tp);
    tp.tenant_id = f->ta;
    SET(tp.name, "monthly");
    SET(tp.kind, "pulse");
    SET(tp.flow_name, "pulse");
    assert_int_equal(store_touchpoint_create(c, &tp), HARK_EEXISTS);
    assert_int_equal(store_touchpoint_get(c, f->ta, f->tpa, &tp), 0);
    SET(tp.rule, "{\"every_days\":14}");
    tp.active = 0;
    assert_int_equal(store_touchpoint_update(c, &tp), 0);
    tp.tenant_id = f->tb; /* A's touchpoint through B: not found, unchanged */
    SET(tp.rule, "{\"every_days\":7}");
    assert_int_equal(store_touchpoint_update(c, &tp), HARK_ENOTFOUND);
    assert_int_equal(store_touchpoint_get(c, f->ta, f->tpa, &tp), 0);
    assert_string_equal(tp.rule, "{\"every_days\":14}");
    assert_int_equal(tp.active, 0);
}

static int64_t make_webhook(store_conn *c, int64_t tenant, const char *events, int active) {
    store_webhook w;
    memset(&w, 0, sizeof w);
    w.tenant_id = tenant;
    SET(w.url, "http://127.0.0.1:9/hook");
    SET(w.secret, "whsec_test");
    SET(w.events, events);
    w.active = active;
    assert_int_equal(store_webhook_create(c, &w), 0);
    return w.id;
}

/* Appends a flagged employee answer (seq LAST+1) and, when DONE, completes. */
static void append(store_conn *c, int64_t tenant, int64_t conv_id, int64_t invite_id, int64_t last, int flagged,
                   int done) {
    store_flag fl = {.kind = "self_harm", .severity = 3, .start = 0, .len = 4};
    store_message m;
    memset(&m, 0, sizeof m);
    m.seq = last + 1;
    m.from_employee = 1;
    snprintf(m.client_id, sizeof m.client_id, "c-%lld", (long long)m.seq);
    m.text = "I want to hurt myself";
    m.scored = 1;
    m.flags_json = flagged ? "[{\"kind\":\"self_harm\",\"severity\":3}]" : NULL;
    m.flags = flagged ? &fl : NULL;
    m.nflags = flagged ? 1 : 0;
    store_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.id = conv_id;
    conv.invite_id = invite_id;
    conv.tenant_id = tenant;
    SET(conv.node, done ? "" : "why");
    conv.vars_json = "{}";
    conv.last_seq = last + 1;
    conv.done = done;
    int64_t dup;
    assert_int_equal(store_conversation_append(c, &conv, last, &m, 1, NULL, 0, &dup), 0);
}

static void test_deliveries(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    store_webhook_delivery d[8];
    size_t n = 99;

    /* No webhooks: nothing queued. */
    append(c, f->ta, f->conv_a, f->inv_a, 0, 1, 0);
    assert_int_equal(store_webhook_claim(c, 4102444800000LL, 1000, d, 8, &n), 0);
    assert_int_equal(n, 0);

    int64_t both = make_webhook(c, f->ta, "[\"escalation.created\",\"conversation.completed\"]", 1);
    int64_t esc_off = make_webhook(c, f->ta, "[\"escalation.created\"]", 0);
    int64_t done_only = make_webhook(c, f->ta, "[\"conversation.completed\"]", 1);
    int64_t other = make_webhook(c, f->tb, "[\"escalation.created\",\"conversation.completed\"]", 1);
    (void)esc_off;

    /* A clean answer that does not complete queues nothing. */
    append(c, f->ta, f->conv_a, f->inv_a, 1, 0, 0);
    assert_int_equal(store_webhook_claim(c, 4102444800000LL, 1000, d, 8, &n), 0);
    assert_int_equal(n, 0);

    /* A flagged answer that completes: both -> 2, done_only -> 1, the
     * inactive and the other tenant's -> none. */
    append(c, f->ta, f->conv_a, f->inv_a, 2, 1, 1);
    int64_t now = 4102444800000LL;
    assert_int_equal(store_webhook_claim(c, now, 1000, d, 8, &n), 0);
    assert_int_equal(n, 3);
    int esc = 0, completed = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].tenant_id, f->ta);
        assert_true(d[i].webhook_id == both || d[i].webhook_id == done_only);
        assert_true(d[i].active);
        assert_int_equal(d[i].attempts, 1);
        assert_string_equal(d[i].status, "sending");
        assert_string_equal(d[i].secret, "whsec_test");
        assert_null(strstr(d[i].payload, "hurt"));
        assert_null(strstr(d[i].payload, "ada@"));
        assert_non_null(strstr(d[i].payload, "\"tenant\":\"acme\""));
        if (!strcmp(d[i].event, "escalation.created")) {
            esc++;
            assert_int_equal(d[i].webhook_id, both);
            assert_non_null(strstr(d[i].payload, "\"link\":\"/#/escalations/"));
            assert_non_null(strstr(d[i].payload, "\"kind\":\"self_harm\""));
        } else {
            completed++;
            assert_string_equal(d[i].event, "conversation.completed");
            assert_int_equal(d[i].ref_id, f->conv_a);
            assert_non_null(strstr(d[i].payload, "\"touchpoint\":\"monthly\""));
        }
    }
    assert_int_equal(esc, 1);
    assert_int_equal(completed, 2);
    int64_t ids[3] = {d[0].id, d[1].id, d[2].id};
    int64_t tenant = d[0].tenant_id;
    store_webhook_deliveries_clear(d, n);

    /* Leased: not claimed again until the lease runs out; then with one
     * more attempt. */
    assert_int_equal(store_webhook_claim(c, now + 999, 1000, d, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_webhook_claim(c, now + 1000, 1000, d, 8, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_int_equal(d[i].attempts, 2);
    store_webhook_deliveries_clear(d, n);
    now += 1000;

    /* Another tenant cannot finish them. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_webhook_finish(c, f->tb, ids[i], STORE_WEBHOOK_SENT, now, 200, ""), 0);
    /* One sent, one retried later, one failed. */
    assert_int_equal(store_webhook_finish(c, tenant, ids[0], STORE_WEBHOOK_SENT, now, 204, ""), 0);
    assert_int_equal(store_webhook_finish(c, tenant, ids[1], STORE_WEBHOOK_RETRY, now + 5000, 500, "HTTP 500"), 0);
    assert_int_equal(store_webhook_finish(c, tenant, ids[2], STORE_WEBHOOK_FAILED, now, 0, "refused"), 0);
    /* A second finish of a row no longer 'sending' changes nothing. */
    assert_int_equal(store_webhook_finish(c, tenant, ids[0], STORE_WEBHOOK_FAILED, now, 0, "late"), 0);
    assert_int_equal(store_webhook_claim(c, now + 4999, 1000, d, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_webhook_claim(c, now + 5000, 1000, d, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].id, ids[1]);
    assert_int_equal(d[0].attempts, 3);
    store_webhook_deliveries_clear(d, n);
    assert_int_equal(store_webhook_finish(c, tenant, ids[1], STORE_WEBHOOK_RETRY, now + 6000, 502, "HTTP 502"), 0);

    store_webhook w;
    assert_int_equal(store_webhook_get(c, f->ta, both, &w), 0);
    assert_int_equal(w.pending + w.sent + w.failed, 2);
    assert_int_equal(store_webhook_get(c, f->tb, both, &w), HARK_ENOTFOUND);
    store_webhook_delivery all[8];
    size_t total = 0, sent = 0, failed = 0, pending = 0;
    int64_t hooks[] = {both, done_only};
    for (int h = 0; h < 2; h++) {
        assert_int_equal(store_webhook_deliveries(c, f->ta, hooks[h], all, 8, &n), 0);
        for (size_t i = 0; i < n; i++) {
            total++;
            if (!strcmp(all[i].status, "sent")) {
                sent++;
                assert_int_equal(all[i].last_code, 204);
                assert_true(all[i].sent_at > 0);
            }
            if (!strcmp(all[i].status, "failed")) {
                failed++;
                assert_string_equal(all[i].last_error, "refused");
            }
            if (!strcmp(all[i].status, "pending")) {
                pending++;
                assert_int_equal(all[i].last_code, 502);
                assert_int_equal(all[i].due_at, now + 6000);
            }
        }
    }
    assert_int_equal(total, 3);
    assert_int_equal(sent + failed + pending, 3);
    assert_int_equal(sent, 1);
    assert_int_equal(failed, 1);
    assert_int_equal(store_webhook_deliveries(c, f->tb, both, all, 8, &n), 0);
    assert_int_equal(n, 0);

    /* Deactivating cancels what is pending; the other tenant cannot. */
    int64_t pending_hook = 0;
    for (int h = 0; h < 2; h++) {
        assert_int_equal(store_webhook_deliveries(c, f->ta, hooks[h], all, 8, &n), 0);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(all[i].status, "pending")) pending_hook = hooks[h];
    }
    assert_int_equal(store_webhook_get(c, f->ta, pending_hook, &w), 0);
    w.active = 0;
    w.tenant_id = f->tb;
    assert_int_equal(store_webhook_update(c, &w), HARK_ENOTFOUND);
    w.tenant_id = f->ta;
    assert_int_equal(store_webhook_update(c, &w), 0);
    assert_int_equal(store_webhook_claim(c, now + 100000, 1000, d, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_webhook_get(c, f->ta, pending_hook, &w), 0);
    assert_int_equal(w.pending, 0);
    assert_int_equal(w.active, 0);

    /* The other tenant's webhook got nothing; delete is scoped and takes
     * the deliveries along. */
    assert_int_equal(store_webhook_get(c, f->tb, other, &w), 0);
    assert_int_equal(w.pending + w.sent + w.failed, 0);
    assert_int_equal(store_webhook_delete(c, f->tb, both), HARK_ENOTFOUND);
    assert_int_equal(store_webhook_delete(c, f->ta, both), 0);
    assert_int_equal(store_webhook_deliveries(c, f->ta, both, all, 8, &n), 0);
    assert_int_equal(n, 0);
    store_webhook list[STORE_WEBHOOKS_MAX];
    assert_int_equal(store_webhook_list(c, f->ta, list, STORE_WEBHOOKS_MAX, &n), 0);
    assert_int_equal(n, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flows_and_touchpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
