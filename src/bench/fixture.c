/* The bench's fixtures (bench_int.h): it makes its own invites, so a run
 * needs nothing but a running server and the same data directory. Tenant
 * "bench", its employees, the "bench-loop" flow and the touchpoints are
 * created once and reused; the invites are new on every run (the occurrence
 * carries a random run id), so every run starts fresh conversations. All of it
 * is written in one transaction through the store's synchronous API. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_int.h"
#include "core/clock.h"
#include "core/err.h"
#include "flow/flow.h"
#include "store/store.h"

#define FIXTURE_MAX_CONNS   100000
#define FIXTURE_MAX_INVITES 2000000

/* A flow that never ends: scale, a remark, choice, text, then back to the
 * scale. Every cycle holds an ask, so it is a valid flow, and a conversation
 * stays open for as long as the run lasts. */
static const char bench_flow_json[] =
    "{\"name\":\"bench-loop\",\"version\":1,\"title\":\"Bench loop\",\"start\":\"mood\","
    "\"nodes\":{"
    "\"mood\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"How was your week at {company}, {first_name}?\","
    "\"input\":{\"kind\":\"scale\",\"min\":1,\"max\":5,\"labels\":[\"awful\",\"great\"]},\"next\":\"thanks\"},"
    "\"thanks\":{\"kind\":\"say\",\"text\":\"Thanks, noted.\",\"next\":\"focus\"},"
    "\"focus\":{\"kind\":\"ask\",\"key\":\"focus\",\"text\":\"What took most of your time?\","
    "\"input\":{\"kind\":\"choice\",\"options\":[\"Meetings\",\"Focused work\",\"Helping colleagues\"]},"
    "\"next\":\"why\"},"
    "\"why\":{\"kind\":\"ask\",\"key\":\"why\",\"text\":\"Tell me a little more about it?\","
    "\"input\":{\"kind\":\"text\",\"optional\":false},\"next\":\"again\"},"
    "\"again\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"<=\",\"value\":2,\"next\":\"mood\"}],"
    "\"default\":\"mood\"}}}";

static const char *const departments[] = {"Engineering", "Sales", "Support", "Operations", "Finance"};

static int make_in_txn(store_conn *c, int n, int rounds, const char *flow_name, const char *run_id, int64_t now,
                       int64_t *tenant_id, int64_t *invite_ids, char *err, size_t errlen) {
    int rc;
    int64_t *emp = NULL;
    store_tenant t;
    memset(&t, 0, sizeof t);
    rc = store_tenant_by_slug(c, "bench", &t);
    if (rc == HARK_ENOTFOUND) {
        memcpy(t.slug, "bench", 6);
        memcpy(t.name, "Bench Inc", 10);
        memcpy(t.timezone, "UTC", 4);
        rc = store_tenant_create(c, &t);
    }
    if (rc) {
        snprintf(err, errlen, "tenant bench: %s", hark_strerror(rc));
        goto out;
    }
    *tenant_id = t.id;

    emp = calloc((size_t)n, sizeof *emp);
    if (!emp) {
        rc = HARK_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        store_employee e;
        memset(&e, 0, sizeof e);
        e.tenant_id = t.id;
        snprintf(e.external_id, sizeof e.external_id, "bench-%06d", i);
        snprintf(e.email, sizeof e.email, "bench-%06d@bench.invalid", i);
        snprintf(e.first_name, sizeof e.first_name, "Sam");
        snprintf(e.last_name, sizeof e.last_name, "Bench %d", i);
        snprintf(e.department, sizeof e.department, "%s", departments[i % 5]);
        snprintf(e.location, sizeof e.location, "Remote");
        snprintf(e.hire_date, sizeof e.hire_date, "2023-01-%02d", 1 + i % 28);
        snprintf(e.status, sizeof e.status, "active");
        rc = store_employee_upsert(c, &e);
        if (rc) {
            snprintf(err, errlen, "employee %d: %s", i, hark_strerror(rc));
            goto out;
        }
        emp[i] = e.id;
    }

    int64_t flow_id = 0;
    int loop = strcmp(flow_name, "loop") == 0;
    if (loop) {
        rc = store_flow_put(c, t.id, "bench-loop", 1, bench_flow_json, &flow_id);
        if (rc && rc != HARK_EEXISTS) {
            snprintf(err, errlen, "flow bench-loop: %s", hark_strerror(rc));
            goto out;
        }
    } else {
        /* A built-in flow, stored by the server when it started. */
        store_flow sf;
        rc = store_flow_latest(c, t.id, flow_name, &sf);
        if (rc) {
            snprintf(err, errlen, "flow %s: %s (is the server running on this data dir?)", flow_name,
                     hark_strerror(rc));
            goto out;
        }
        flow_id = sf.id;
        store_flow_clear(&sf);
    }

    store_touchpoint tp;
    memset(&tp, 0, sizeof tp);
    tp.tenant_id = t.id;
    snprintf(tp.name, sizeof tp.name, "%s%s", loop ? "bench" : "bench-", loop ? "" : flow_name);
    memcpy(tp.kind, "adhoc", 6);
    snprintf(tp.flow_name, sizeof tp.flow_name, "%s", loop ? "bench-loop" : flow_name);
    memcpy(tp.rule, "{}", 3);
    tp.active = 1;
    rc = store_touchpoint_put(c, &tp);
    if (rc) {
        snprintf(err, errlen, "touchpoint bench: %s", hark_strerror(rc));
        goto out;
    }

    for (int k = 0; k < n * rounds; k++) {
        int i = k / rounds;
        store_invite inv;
        memset(&inv, 0, sizeof inv);
        inv.tenant_id = t.id;
        inv.employee_id = emp[i];
        inv.touchpoint_id = tp.id;
        inv.flow_id = flow_id;
        snprintf(inv.occurrence, sizeof inv.occurrence, "%.15s-%d", run_id, k);
        memcpy(inv.status, "sent", 5);
        inv.created_at = now;
        inv.expires_at = now + 86400000LL;
        rc = store_invite_create(c, &inv);
        if (rc && rc != HARK_EEXISTS) {
            snprintf(err, errlen, "invite %d: %s", k, hark_strerror(rc));
            goto out;
        }
        invite_ids[k] = inv.id;
    }
    rc = 0;
out:
    free(emp);
    return rc;
}

int bench_fixture_make(const hark_config *cfg, int n, int rounds, const char *flow_name, bench_fixture *out, char *err,
                       size_t errlen) {
    int rc;
    store *s = NULL;
    int64_t *invite_ids = NULL;
    memset(out, 0, sizeof *out);
    if (n < 1 || n > FIXTURE_MAX_CONNS) {
        snprintf(err, errlen, "between 1 and %d connections", FIXTURE_MAX_CONNS);
        return HARK_EINVAL;
    }
    if (rounds < 1 || (int64_t)n * rounds > FIXTURE_MAX_INVITES) {
        snprintf(err, errlen, "at most %d invites (connections x conversations each)", FIXTURE_MAX_INVITES);
        return HARK_EINVAL;
    }

    /* Check the flow with the engine that will run it, so a bad flow is
     * reported here and not as a stream of server errors. */
    char ferr[256];
    flow *f = flow_parse(bench_flow_json, sizeof bench_flow_json - 1, ferr, sizeof ferr);
    if (!f) {
        snprintf(err, errlen, "flow bench-loop is invalid: %s", ferr);
        return HARK_EINVAL;
    }
    flow_free(f);

    unsigned char rnd[4];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(out->run_id, sizeof out->run_id, "b%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    out->n = n;
    out->rounds = rounds;
    size_t total = (size_t)n * (size_t)rounds;
    out->tokens = calloc(total, sizeof *out->tokens);
    invite_ids = calloc(total, sizeof *invite_ids);
    if (!out->tokens || !invite_ids) {
        rc = HARK_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    char url[1100];
    config_db_url(cfg, url, sizeof url);
    store_opts so;
    store_opts_default(&so);
    so.url = url;
    so.durability = STORE_DURABLE_NORMAL; /* fixtures only; the server picks its own */
    char serr[256];
    rc = store_open(&so, &s, serr, sizeof serr);
    if (rc == 0) rc = store_migrate(s, NULL, serr, sizeof serr);
    if (rc) {
        snprintf(err, errlen, "store %s: %s", url, serr);
        goto fail;
    }
    store_conn *c = store_main_conn(s);
    int64_t now = hark_now_ms(), tenant_id = 0;
    rc = store_begin(c);
    if (rc) {
        snprintf(err, errlen, "begin: %s", hark_strerror(rc));
        goto fail;
    }
    rc = make_in_txn(c, n, rounds, flow_name, out->run_id, now, &tenant_id, invite_ids, err, errlen);
    if (rc) {
        store_rollback(c);
        goto fail;
    }
    rc = store_commit(c);
    if (rc) {
        snprintf(err, errlen, "commit: %s", hark_strerror(rc));
        goto fail;
    }
    store_close(s);
    s = NULL;

    unsigned char key[TOKEN_KEY_BYTES];
    char keypath[600];
    snprintf(keypath, sizeof keypath, "%s/secret.key", cfg->data_dir);
    rc = token_key_load_or_create(keypath, key);
    if (rc) {
        snprintf(err, errlen, "secret key %s: %s", keypath, hark_strerror(rc));
        goto fail;
    }
    for (size_t i = 0; i < total; i++) {
        token_claims cl = {tenant_id, invite_ids[i], now + 86400000LL};
        rc = token_make(key, &cl, out->tokens[i], TOKEN_MAX);
        if (rc) {
            snprintf(err, errlen, "token: %s", hark_strerror(rc));
            goto fail;
        }
    }
    sodium_memzero(key, sizeof key);
    free(invite_ids);
    return 0;
fail:
    if (s) store_close(s);
    free(invite_ids);
    bench_fixture_free(out);
    return rc;
}

void bench_fixture_free(bench_fixture *f) {
    free(f->tokens);
    f->tokens = NULL;
    f->n = 0;
}
