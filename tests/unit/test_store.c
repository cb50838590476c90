/* Unit tests for the store (src/store) against real SQLite files in a
 * temporary directory: URLs, migrations, every domain operation with its
 * not-found / exists / tenant-scoping paths, explicit transactions, the writer
 * and reader threads (group commit, failing jobs, queue bounds, shutdown) and
 * durability across close/reopen and across kill -9 of a writing process. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>

#include "core/err.h"
#include "store/sqlite_int.h" /* one test reaches the SQLite handle to make COMMIT fail */
#include "store/store.h"

#define SET(field, value) snprintf((field), sizeof(field), "%s", (value))

struct fx {
    char dir[256];
    char path[300];
    char url[320];
    store *s;
};

static int open_store(const struct fx *f, int durability, size_t queue_max, int readers, store **out) {
    store_opts o;
    char err[256] = "";
    store_opts_default(&o);
    o.url = f->url;
    o.durability = durability;
    if (queue_max) o.queue_max = queue_max;
    if (readers) o.readers = readers;
    int rc = store_open(&o, out, err, sizeof err);
    if (rc) print_error("store_open: %s\n", err);
    return rc;
}

static int migrate(store *s) {
    char err[256] = "";
    int applied = 0;
    int rc = store_migrate(s, &applied, err, sizeof err);
    if (rc) print_error("store_migrate: %s\n", err);
    return rc;
}

static int setup_common(void **state, int do_migrate) {
    struct fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (!f) return -1;
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(f->dir, sizeof f->dir, "%s/hark-store-XXXXXX", tmp);
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/hark.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    *state = f;
    if (open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s)) return -1;
    if (do_migrate && migrate(f->s)) return -1;
    return 0;
}

static int setup(void **state) {
    return setup_common(state, 1);
}
static int setup_empty(void **state) {
    return setup_common(state, 0);
}

static int teardown(void **state) {
    struct fx *f = *state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal", ".junk"};
    char p[340];
    if (!f) return 0;
    if (f->s) store_close(f->s);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- a small world: two tenants, flows, employees, touchpoints ---- */

struct world {
    int64_t ta, tb;         /* tenants A and B */
    int64_t flow_shared;    /* "pulse" v1, shared */
    int64_t flow_a, flow_b; /* "pulse" v2 of A, "exit" v1 of B */
    int64_t ea, eb;         /* an employee in each tenant */
    int64_t tpa, tpb;       /* a touchpoint in each tenant */
};

static void make_employee(store_employee *e, int64_t tenant, const char *ext, const char *email) {
    memset(e, 0, sizeof *e);
    e->tenant_id = tenant;
    SET(e->external_id, ext);
    SET(e->email, email);
    SET(e->first_name, "Ada");
    SET(e->last_name, "Lovelace");
    SET(e->department, "Engineering");
    SET(e->location, "London");
    SET(e->hire_date, "2024-01-15");
    SET(e->status, "active");
}

static void make_world(store_conn *c, struct world *w) {
    store_tenant t;
    store_employee e;
    store_touchpoint tp;
    memset(&t, 0, sizeof t);
    SET(t.slug, "acme");
    SET(t.name, "Acme Inc");
    assert_int_equal(store_tenant_create(c, &t), 0);
    w->ta = t.id;
    memset(&t, 0, sizeof t);
    SET(t.slug, "globex");
    SET(t.name, "Globex");
    SET(t.timezone, "Europe/Paris");
    assert_int_equal(store_tenant_create(c, &t), 0);
    w->tb = t.id;
    assert_int_equal(store_flow_put(c, 0, "pulse", 1, "{\"v\":1}", &w->flow_shared), 0);
    assert_int_equal(store_flow_put(c, w->ta, "pulse", 2, "{\"v\":2}", &w->flow_a), 0);
    assert_int_equal(store_flow_put(c, w->tb, "exit", 1, "{\"exit\":1}", &w->flow_b), 0);
    make_employee(&e, w->ta, "A-1", "ada@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    w->ea = e.id;
    make_employee(&e, w->tb, "B-1", "bob@globex.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    w->eb = e.id;
    memset(&tp, 0, sizeof tp);
    tp.tenant_id = w->ta;
    SET(tp.name, "monthly");
    SET(tp.kind, "pulse");
    SET(tp.flow_name, "pulse");
    tp.active = 1;
    assert_int_equal(store_touchpoint_put(c, &tp), 0);
    w->tpa = tp.id;
    tp.tenant_id = w->tb;
    tp.id = 0;
    assert_int_equal(store_touchpoint_put(c, &tp), 0);
    w->tpb = tp.id;
}

static int64_t make_invite(store_conn *c, int64_t tenant, int64_t emp, int64_t tp, int64_t flow, const char *occ) {
    store_invite inv;
    memset(&inv, 0, sizeof inv);
    inv.tenant_id = tenant;
    inv.employee_id = emp;
    inv.touchpoint_id = tp;
    inv.flow_id = flow;
    SET(inv.occurrence, occ);
    inv.expires_at = 4102444800000LL;
    assert_int_equal(store_invite_create(c, &inv), 0);
    return inv.id;
}

/* Runs SQL on the database file outside the store (to plant odd data). */
static void raw_exec(const struct fx *f, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- opening and migrations ---- */

static void test_bad_urls(void **state) {
    struct fx *f = *state;
    const char *bad[] = {"", "mysql://db", "sqlite:", "sqlite://", "sqlite::memory:", "postgres://localhost/hark"};
    store_opts o;
    store *s = NULL;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        store_opts_default(&o);
        o.url = bad[i];
        err[0] = '\0';
        assert_int_equal(store_open(&o, &s, err, sizeof err), HARK_EINVAL);
        assert_null(s);
        assert_true(err[0] != '\0');
    }
    store_opts_default(&o);
    o.url = NULL;
    assert_int_equal(store_open(&o, &s, err, sizeof err), HARK_EINVAL);
    o.url = f->url;
    o.durability = 7;
    assert_int_equal(store_open(&o, &s, err, sizeof err), HARK_EINVAL);

    char url[400];
    snprintf(url, sizeof url, "sqlite:%s/no/such/dir/x.db", f->dir);
    store_opts_default(&o);
    o.url = url;
    assert_int_equal(store_open(&o, &s, err, sizeof err), HARK_EIO);
    assert_non_null(strstr(err, "x.db"));

    char junk[360];
    snprintf(junk, sizeof junk, "%s.junk", f->path);
    FILE *fp = fopen(junk, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++) fputs("this is not a database file\n", fp);
    fclose(fp);
    snprintf(url, sizeof url, "sqlite:%s", junk);
    assert_int_equal(store_open(&o, &s, err, sizeof err), HARK_EIO);

    /* "sqlite:///abs/path" names the same file as "sqlite:/abs/path". */
    snprintf(url, sizeof url, "sqlite://%s", f->path);
    assert_int_equal(store_open(&o, &s, err, sizeof err), 0);
    int cur = -1, latest = -1;
    assert_int_equal(store_schema_version(s, &cur, &latest), 0);
    assert_int_equal(cur, latest);
    store_close(s);
}

static void test_migrate_idempotent(void **state) {
    struct fx *f = *state;
    int cur = -1, latest = -1, applied = -1;
    char err[256];
    assert_int_equal(store_schema_version(f->s, &cur, &latest), 0);
    assert_int_equal(cur, 0);
    assert_true(latest >= 1);

    assert_int_equal(store_migrate(f->s, &applied, err, sizeof err), 0);
    assert_int_equal(applied, latest);
    assert_int_equal(store_schema_version(f->s, &cur, &latest), 0);
    assert_int_equal(cur, latest);

    assert_int_equal(store_migrate(f->s, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(store_migrate(f->s, NULL, NULL, 0), 0);

    /* Another process (here: another store) finds the schema current. */
    store *s2 = NULL;
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &s2), 0);
    assert_int_equal(store_schema_version(s2, &cur, &latest), 0);
    assert_int_equal(cur, latest);
    assert_int_equal(store_migrate(s2, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 0);
    store_close(s2);

    /* The schema works: tables and the tenant-scoped unique keys exist. */
    struct world w;
    make_world(store_main_conn(f->s), &w);
}

struct race {
    const struct fx *f;
    int rc, applied;
};

static void race_main(void *arg) {
    struct race *r = arg;
    store *s = NULL;
    char err[256];
    r->rc = open_store(r->f, STORE_DURABLE_FULL, 0, 0, &s);
    if (r->rc == 0) r->rc = store_migrate(s, &r->applied, err, sizeof err);
    store_close(s);
}

static void test_migrate_race(void **state) {
    struct fx *f = *state;
    struct race r[3];
    uv_thread_t th[3];
    int cur, latest, total = 0;
    store_close(f->s);
    f->s = NULL;
    for (int i = 0; i < 3; i++) {
        r[i].f = f;
        r[i].rc = -1;
        r[i].applied = 0;
        assert_int_equal(uv_thread_create(&th[i], race_main, &r[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        uv_thread_join(&th[i]);
        assert_int_equal(r[i].rc, 0);
        total += r[i].applied;
    }
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    assert_int_equal(store_schema_version(f->s, &cur, &latest), 0);
    assert_int_equal(total, latest);
    assert_int_equal(cur, latest);
}

/* ---- domain operations ---- */

static void test_tenants_users(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    store_tenant t, got;
    int64_t uid = 0, uid2 = 0;
    memset(&t, 0, sizeof t);
    SET(t.slug, "acme");
    SET(t.name, "Acme");
    assert_int_equal(store_tenant_create(c, &t), 0);
    assert_true(t.id > 0);
    assert_int_equal(store_tenant_get(c, t.id, &got), 0);
    assert_string_equal(got.slug, "acme");
    assert_string_equal(got.name, "Acme");
    assert_string_equal(got.timezone, "UTC");
    assert_int_equal(store_tenant_by_slug(c, "acme", &got), 0);
    assert_int_equal(got.id, t.id);
    assert_int_equal(store_tenant_by_slug(c, "nope", &got), HARK_ENOTFOUND);
    assert_int_equal(store_tenant_get(c, t.id + 100, &got), HARK_ENOTFOUND);

    int64_t first = t.id;
    t.id = 0;
    SET(t.name, "Acme again");
    assert_int_equal(store_tenant_create(c, &t), HARK_EEXISTS);
    memset(t.slug, 'x', sizeof t.slug); /* not NUL-terminated */
    assert_int_equal(store_tenant_create(c, &t), HARK_ETOOBIG);
    t.slug[0] = '\0';
    assert_int_equal(store_tenant_create(c, &t), HARK_EINVAL);

    assert_int_equal(store_user_create(c, first, "hr@acme.test", "$argon2id$x", "owner", &uid), 0);
    assert_true(uid > 0);
    assert_int_equal(store_user_create(c, first, "hr@acme.test", "$argon2id$y", "admin", &uid2), HARK_EEXISTS);
    assert_int_equal(store_user_create(c, first, "v@acme.test", "$argon2id$y", "king", &uid2), HARK_EINVAL);
    assert_int_equal(store_user_create(c, first + 100, "v@acme.test", "$argon2id$y", "viewer", &uid2), HARK_ENOTFOUND);
}

static void test_employees(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_employee e, got;
    int64_t n = -1;
    make_world(c, &w);

    assert_int_equal(store_employee_get(c, w.ta, w.ea, &got), 0);
    assert_string_equal(got.email, "ada@acme.test");
    assert_string_equal(got.external_id, "A-1");
    assert_string_equal(got.department, "Engineering");
    assert_string_equal(got.hire_date, "2024-01-15");
    assert_string_equal(got.exit_date, "");
    assert_int_equal(got.tenant_id, w.ta);

    /* Update by external id: same row, new email and department. */
    make_employee(&e, w.ta, "A-1", "ada.l@acme.test");
    SET(e.department, "Research");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    assert_int_equal(e.id, w.ea);
    assert_int_equal(store_employee_by_email(c, w.ta, "ada.l@acme.test", &got), 0);
    assert_string_equal(got.department, "Research");
    assert_int_equal(store_employee_by_email(c, w.ta, "ada@acme.test", &got), HARK_ENOTFOUND);

    /* Without external ids rows are matched by email; a later external id
     * is adopted, and an empty one keeps it. */
    make_employee(&e, w.ta, "", "carl@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    int64_t carl = e.id;
    SET(e.location, "Paris");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    assert_int_equal(e.id, carl);
    make_employee(&e, w.ta, "A-2", "carl@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    assert_int_equal(e.id, carl);
    make_employee(&e, w.ta, "", "carl@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    assert_int_equal(store_employee_get(c, w.ta, carl, &got), 0);
    assert_string_equal(got.external_id, "A-2");

    /* Another person's email is a clash, in both directions. */
    make_employee(&e, w.ta, "A-3", "carl@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), HARK_EEXISTS);
    make_employee(&e, w.ta, "A-2", "ada.l@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), HARK_EEXISTS);

    /* The same email and external id in another tenant is another person. */
    make_employee(&e, w.tb, "A-1", "ada.l@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), 0);
    assert_true(e.id != w.ea);

    assert_int_equal(store_employee_count(c, w.ta, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_employee_count(c, w.tb, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_employee_count(c, 999, &n), 0);
    assert_int_equal(n, 0);

    /* Tenant scoping: B cannot read A's employee. */
    assert_int_equal(store_employee_get(c, w.tb, w.ea, &got), HARK_ENOTFOUND);
    assert_int_equal(store_employee_by_email(c, w.tb, "carl@acme.test", &got), HARK_ENOTFOUND);
    assert_int_equal(store_employee_get(c, w.ta, 424242, &got), HARK_ENOTFOUND);

    /* Bad input. */
    make_employee(&e, w.ta, "A-9", "");
    assert_int_equal(store_employee_upsert(c, &e), HARK_EINVAL);
    make_employee(&e, w.ta, "A-9", "z@acme.test");
    SET(e.status, "zombie");
    assert_int_equal(store_employee_upsert(c, &e), HARK_EINVAL);
    make_employee(&e, w.ta, "A-9", "z@acme.test");
    memset(e.department, 'd', sizeof e.department);
    assert_int_equal(store_employee_upsert(c, &e), HARK_ETOOBIG);
    make_employee(&e, 777, "A-9", "z@acme.test");
    assert_int_equal(store_employee_upsert(c, &e), HARK_ENOTFOUND);

    /* A stored value longer than its record field is refused, not cut. */
    raw_exec(f, "UPDATE employees SET department = "
                "'0123456789012345678901234567890123456789012345678901234567890123456789' "
                "WHERE external_id = 'A-2'");
    assert_int_equal(store_employee_get(c, w.ta, carl, &got), HARK_ETOOBIG);
}

static void test_flows(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_flow fl;
    int64_t id = 0;
    make_world(c, &w);

    assert_int_equal(store_flow_put(c, w.ta, "pulse", 2, "{}", &id), HARK_EEXISTS);
    assert_int_equal(id, w.flow_a);
    assert_int_equal(store_flow_put(c, 0, "pulse", 1, "{}", &id), HARK_EEXISTS);
    assert_int_equal(id, w.flow_shared);
    assert_int_equal(store_flow_put(c, 31337, "pulse", 1, "{}", &id), HARK_ENOTFOUND);
    assert_int_equal(store_flow_put(c, w.ta, "pulse", 0, "{}", &id), HARK_EINVAL);
    char longname[100];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(store_flow_put(c, w.ta, longname, 1, "{}", &id), HARK_ETOOBIG);

    /* The tenant's own version wins over the shared one, even when older. */
    assert_int_equal(store_flow_put(c, 0, "pulse", 5, "{\"v\":5}", &id), 0);
    assert_int_equal(store_flow_latest(c, w.ta, "pulse", &fl), 0);
    assert_int_equal(fl.id, w.flow_a);
    assert_int_equal(fl.version, 2);
    assert_string_equal(fl.json, "{\"v\":2}");
    store_flow_clear(&fl);
    assert_null(fl.json);
    assert_int_equal(store_flow_latest(c, w.tb, "pulse", &fl), 0);
    assert_int_equal(fl.version, 5);
    assert_int_equal(fl.tenant_id, 0);
    store_flow_clear(&fl);
    assert_int_equal(store_flow_latest(c, w.ta, "exit", &fl), HARK_ENOTFOUND);

    /* By id: own and shared flows, never another tenant's. */
    assert_int_equal(store_flow_get(c, w.ta, w.flow_shared, &fl), 0);
    assert_string_equal(fl.name, "pulse");
    store_flow_clear(&fl);
    assert_int_equal(store_flow_get(c, w.tb, w.flow_b, &fl), 0);
    assert_string_equal(fl.json, "{\"exit\":1}");
    store_flow_clear(&fl);
    assert_int_equal(store_flow_get(c, w.ta, w.flow_b, &fl), HARK_ENOTFOUND);
    assert_null(fl.json);
}

static void test_touchpoints(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_touchpoint tp, got;
    make_world(c, &w);

    assert_int_equal(store_touchpoint_by_name(c, w.ta, "monthly", &got), 0);
    assert_int_equal(got.id, w.tpa);
    assert_string_equal(got.kind, "pulse");
    assert_string_equal(got.rule, "{}");
    assert_int_equal(got.active, 1);

    memset(&tp, 0, sizeof tp);
    tp.tenant_id = w.ta;
    SET(tp.name, "monthly");
    SET(tp.kind, "tenure");
    SET(tp.flow_name, "pulse");
    SET(tp.rule, "{\"days\":30}");
    tp.active = 0;
    assert_int_equal(store_touchpoint_put(c, &tp), 0);
    assert_int_equal(tp.id, w.tpa);
    assert_int_equal(store_touchpoint_by_name(c, w.ta, "monthly", &got), 0);
    assert_string_equal(got.kind, "tenure");
    assert_string_equal(got.rule, "{\"days\":30}");
    assert_int_equal(got.active, 0);

    /* B's touchpoint of the same name is untouched. */
    assert_int_equal(store_touchpoint_by_name(c, w.tb, "monthly", &got), 0);
    assert_int_equal(got.id, w.tpb);
    assert_string_equal(got.kind, "pulse");
    assert_int_equal(store_touchpoint_by_name(c, w.ta, "weekly", &got), HARK_ENOTFOUND);

    SET(tp.kind, "party");
    assert_int_equal(store_touchpoint_put(c, &tp), HARK_EINVAL);
    SET(tp.kind, "exit");
    tp.tenant_id = 999;
    assert_int_equal(store_touchpoint_put(c, &tp), HARK_ENOTFOUND);
}

static void test_invites(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_invite inv, got;
    make_world(c, &w);

    int64_t id = make_invite(c, w.ta, w.ea, w.tpa, w.flow_a, "2026-11");
    assert_int_equal(store_invite_get(c, w.ta, id, &got), 0);
    assert_string_equal(got.status, "planned");
    assert_string_equal(got.occurrence, "2026-11");
    assert_int_equal(got.employee_id, w.ea);
    assert_int_equal(got.flow_id, w.flow_a);
    assert_true(got.created_at > 0);

    /* The same employee x touchpoint x occurrence: the existing invite. */
    memset(&inv, 0, sizeof inv);
    inv.tenant_id = w.ta;
    inv.employee_id = w.ea;
    inv.touchpoint_id = w.tpa;
    inv.flow_id = w.flow_shared;
    SET(inv.occurrence, "2026-11");
    assert_int_equal(store_invite_create(c, &inv), HARK_EEXISTS);
    assert_int_equal(inv.id, id);
    assert_int_equal(inv.flow_id, w.flow_a);
    SET(inv.occurrence, "2026-12");
    inv.id = 0;
    assert_int_equal(store_invite_create(c, &inv), 0);
    assert_true(inv.id != id);

    /* References into another tenant are refused. */
    SET(inv.occurrence, "x1");
    inv.employee_id = w.eb;
    assert_int_equal(store_invite_create(c, &inv), HARK_ENOTFOUND);
    inv.employee_id = w.ea;
    inv.touchpoint_id = w.tpb;
    assert_int_equal(store_invite_create(c, &inv), HARK_ENOTFOUND);
    inv.touchpoint_id = w.tpa;
    inv.flow_id = w.flow_b;
    assert_int_equal(store_invite_create(c, &inv), HARK_ENOTFOUND);

    assert_int_equal(store_invite_set_status(c, w.ta, id, "sent"), 0);
    assert_int_equal(store_invite_get(c, w.ta, id, &got), 0);
    assert_string_equal(got.status, "sent");
    assert_int_equal(store_invite_set_status(c, w.ta, id, "lost"), HARK_EINVAL);
    assert_int_equal(store_invite_set_status(c, w.ta, 98765, "sent"), HARK_ENOTFOUND);

    /* Tenant scoping: B can neither read nor change A's invite. */
    assert_int_equal(store_invite_get(c, w.tb, id, &got), HARK_ENOTFOUND);
    assert_int_equal(store_invite_set_status(c, w.tb, id, "expired"), HARK_ENOTFOUND);
    assert_int_equal(store_invite_get(c, w.ta, id, &got), 0);
    assert_string_equal(got.status, "sent");
}

static store_message bot_msg(int64_t seq, const char *text, const char *input) {
    store_message m;
    memset(&m, 0, sizeof m);
    m.seq = seq;
    m.text = (char *)text;
    m.input_json = (char *)input;
    return m;
}

static store_message emp_msg(int64_t seq, const char *client_id, const char *text, double compound) {
    store_message m;
    memset(&m, 0, sizeof m);
    m.seq = seq;
    m.from_employee = 1;
    SET(m.client_id, client_id);
    m.text = (char *)text;
    m.scored = 1;
    m.compound = compound;
    m.pos = 0.5;
    m.neu = 0.5;
    return m;
}

static void test_conversations(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_conversation conv, got;
    store_message *msgs = NULL;
    size_t n = 99;
    store_invite inv;
    int64_t dup = -1;
    make_world(c, &w);
    int64_t iid = make_invite(c, w.ta, w.ea, w.tpa, w.flow_a, "2026-11");

    assert_int_equal(store_conversation_load(c, w.ta, iid, &got, &msgs, &n), HARK_ENOTFOUND);
    assert_null(msgs);
    assert_int_equal(n, 0);

    memset(&conv, 0, sizeof conv);
    conv.tenant_id = w.ta;
    conv.invite_id = iid;
    conv.flow_id = w.flow_a;
    SET(conv.node, "hello");
    assert_int_equal(store_conversation_create(c, &conv), 0);
    assert_true(conv.id > 0);
    assert_true(conv.started_at > 0);
    assert_int_equal(store_invite_get(c, w.ta, iid, &inv), 0);
    assert_string_equal(inv.status, "started");
    store_conversation again = conv;
    assert_int_equal(store_conversation_create(c, &again), HARK_EEXISTS);

    /* A conversation for another tenant's invite cannot be made. */
    int64_t iidb = make_invite(c, w.tb, w.eb, w.tpb, w.flow_b, "exit");
    again.tenant_id = w.ta;
    again.invite_id = iidb;
    assert_int_equal(store_conversation_create(c, &again), HARK_ENOTFOUND);

    /* Bot asks (1), employee answers (2) with a scale answer, bot asks (3). */
    store_message m1[] = {bot_msg(1, "Hi Ada! How was your month?", "{\"kind\":\"scale\",\"min\":1,\"max\":5}")};
    SET(conv.node, "mood");
    conv.last_seq = 1;
    conv.awaiting_seq = 1;
    assert_int_equal(store_conversation_append(c, &conv, 0, m1, 1, NULL, 0, &dup), 0);
    store_message m2[] = {emp_msg(2, "c-1", "4", 0.4), bot_msg(3, "Tell me more?", "{\"kind\":\"text\"}")};
    store_answer a2 = {.seq = 2, .has_number = 1, .number = 4};
    SET(a2.key, "mood");
    SET(a2.kind, "scale");
    conv.vars_json = "{\"mood\":4}";
    SET(conv.node, "why");
    conv.last_seq = 3;
    conv.awaiting_seq = 3;
    assert_int_equal(store_conversation_append(c, &conv, 1, m2, 2, &a2, 1, &dup), 0);

    /* The same client id again: not stored twice, its seq reported — even
     * from a caller whose prev_last_seq is stale. */
    store_message m3[] = {emp_msg(4, "c-1", "4", 0.4)};
    conv.last_seq = 4;
    assert_int_equal(store_conversation_append(c, &conv, 3, m3, 1, NULL, 0, &dup), HARK_EEXISTS);
    assert_int_equal(dup, 2);
    store_message m3s[] = {emp_msg(2, "c-1", "4", 0.4)};
    conv.last_seq = 2;
    assert_int_equal(store_conversation_append(c, &conv, 1, m3s, 1, NULL, 0, &dup), HARK_EEXISTS);
    assert_int_equal(dup, 2);

    /* A stale prev_last_seq with a new message: HARK_EBUSY, nothing stored. */
    store_message m4[] = {emp_msg(3, "c-2", "late", 0.0)};
    conv.last_seq = 3;
    assert_int_equal(store_conversation_append(c, &conv, 2, m4, 1, NULL, 0, &dup), HARK_EBUSY);
    /* Seqs that do not follow prev_last_seq are a caller bug. */
    store_message m5[] = {emp_msg(6, "c-2", "gap", 0.0)};
    conv.last_seq = 4;
    assert_int_equal(store_conversation_append(c, &conv, 3, m5, 1, NULL, 0, &dup), HARK_EINVAL);

    /* Flags are checked before anything is written: an unknown kind, a bad
     * severity, flags on a bot message. */
    store_flag bad = {.kind = "gossip", .severity = 2};
    store_message mbad[] = {emp_msg(4, "c-2", "x", 0.0)};
    mbad[0].flags = &bad;
    mbad[0].nflags = 1;
    conv.last_seq = 4;
    assert_int_equal(store_conversation_append(c, &conv, 3, mbad, 1, NULL, 0, &dup), HARK_EINVAL);
    SET(bad.kind, "burnout");
    bad.severity = 4;
    assert_int_equal(store_conversation_append(c, &conv, 3, mbad, 1, NULL, 0, &dup), HARK_EINVAL);
    bad.severity = 1;
    mbad[0].from_employee = 0;
    assert_int_equal(store_conversation_append(c, &conv, 3, mbad, 1, NULL, 0, &dup), HARK_EINVAL);

    /* The employee answers and the bot closes: the invite is completed, and
     * the answer's two flags become two open escalations. */
    store_message m6[] = {emp_msg(4, "c-2", "Busy but good", 0.6), bot_msg(5, "Thank you!", NULL)};
    m6[0].flags_json = "[\"workload\"]";
    store_flag fl6[] = {{.kind = "burnout", .severity = 1, .start = 0, .len = 4},
                        {.kind = "resign", .severity = 2, .start = 5, .len = 3}};
    m6[0].flags = fl6;
    m6[0].nflags = 2;
    store_answer a6 = {.seq = 4};
    SET(a6.key, "why");
    SET(a6.kind, "text");
    conv.vars_json = "{\"mood\":4,\"why\":\"Busy but good\"}";
    SET(conv.node, "");
    conv.last_seq = 5;
    conv.awaiting_seq = 0;
    conv.done = 1;
    assert_int_equal(store_conversation_append(c, &conv, 3, m6, 2, &a6, 1, &dup), 0);
    assert_int_equal(store_invite_get(c, w.ta, iid, &inv), 0);
    assert_string_equal(inv.status, "completed");
    store_escalation esc[4];
    size_t nesc;
    assert_int_equal(store_escalation_list(c, w.ta, 0, esc, 4, &nesc), 0);
    assert_int_equal(nesc, 2);
    assert_string_equal(esc[0].kind, "burnout");
    assert_int_equal(esc[0].severity, 1);
    assert_int_equal(esc[0].seq, 4);
    assert_int_equal(esc[0].conversation_id, conv.id);
    assert_string_equal(esc[0].status, "open");
    assert_string_equal(esc[1].kind, "resign");
    assert_int_equal(esc[1].start, 5);
    assert_int_equal(esc[1].len, 3);
    assert_true(esc[1].created_at > 0);
    assert_int_equal(store_escalation_list(c, w.ta, esc[0].id, esc, 4, &nesc), 0);
    assert_int_equal(nesc, 1); /* paging by id */
    assert_int_equal(store_escalation_list(c, w.tb, 0, esc, 4, &nesc), 0);
    assert_int_equal(nesc, 0); /* another tenant sees none */

    assert_int_equal(store_conversation_load(c, w.ta, iid, &got, &msgs, &n), 0);
    assert_int_equal(got.id, conv.id);
    assert_int_equal(got.flow_id, w.flow_a);
    assert_int_equal(got.last_seq, 5);
    assert_int_equal(got.awaiting_seq, 0);
    assert_int_equal(got.done, 1);
    assert_string_equal(got.vars_json, "{\"mood\":4,\"why\":\"Busy but good\"}");
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) assert_int_equal(msgs[i].seq, (int64_t)i + 1);
    assert_int_equal(msgs[0].from_employee, 0);
    assert_string_equal(msgs[0].client_id, "");
    assert_non_null(msgs[0].input_json);
    assert_string_equal(msgs[1].client_id, "c-1");
    assert_string_equal(msgs[1].text, "4");
    assert_int_equal(msgs[1].scored, 1);
    assert_true(msgs[1].compound > 0.39 && msgs[1].compound < 0.41);
    assert_null(msgs[1].flags_json);
    assert_string_equal(msgs[3].text, "Busy but good");
    assert_string_equal(msgs[3].flags_json, "[\"workload\"]");
    assert_null(msgs[4].input_json);
    assert_int_equal(msgs[4].scored, 0);
    assert_true(msgs[4].created_at > 0);
    store_messages_free(msgs, n);
    store_conversation_clear(&got);
    assert_null(got.vars_json);

    /* Tenant scoping: B cannot load or append to A's conversation. */
    assert_int_equal(store_conversation_load(c, w.tb, iid, &got, &msgs, &n), HARK_ENOTFOUND);
    store_conversation foreign = conv;
    foreign.tenant_id = w.tb;
    foreign.last_seq = 6;
    store_message m7[] = {bot_msg(6, "x", NULL)};
    assert_int_equal(store_conversation_append(c, &foreign, 5, m7, 1, NULL, 0, &dup), HARK_ENOTFOUND);
}

static void test_transactions(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    store_tenant t, got;
    assert_int_equal(store_commit(c), HARK_EINVAL);
    assert_int_equal(store_begin(c), 0);
    assert_int_equal(store_begin(c), HARK_EINVAL);
    memset(&t, 0, sizeof t);
    SET(t.slug, "gone");
    assert_int_equal(store_tenant_create(c, &t), 0);
    assert_int_equal(store_tenant_by_slug(c, "gone", &got), 0);
    assert_int_equal(store_rollback(c), 0);
    assert_int_equal(store_tenant_by_slug(c, "gone", &got), HARK_ENOTFOUND);

    /* Inside a transaction a failing write leaves the others. */
    assert_int_equal(store_begin(c), 0);
    SET(t.slug, "kept");
    assert_int_equal(store_tenant_create(c, &t), 0);
    assert_int_equal(store_tenant_create(c, &t), HARK_EEXISTS);
    SET(t.slug, "kept2");
    assert_int_equal(store_tenant_create(c, &t), 0);
    assert_int_equal(store_commit(c), 0);
    assert_int_equal(store_tenant_by_slug(c, "kept", &got), 0);
    assert_int_equal(store_tenant_by_slug(c, "kept2", &got), 0);
}

/* ---- HR sign-in: users, sessions, API tokens ---- */

static void fill_hash(unsigned char h[STORE_HASH_BYTES], unsigned char v) {
    memset(h, v, STORE_HASH_BYTES);
}

static void test_users_signin(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_user u;
    int64_t ua = 0, ua2 = 0, ub = 0, exact = 0;
    char longmail[300];
    make_world(c, &w);
    assert_int_equal(store_user_create(c, w.ta, "HR@Acme.test", "$argon2id$v=19$a", "owner", &ua), 0);
    assert_int_equal(store_user_create(c, w.ta, "viewer@acme.test", "$argon2id$v=19$b", "viewer", &ua2), 0);
    assert_int_equal(store_user_create(c, w.tb, "hr@acme.test", "$argon2id$v=19$c", "admin", &ub), 0);

    /* ASCII case is ignored; the tenant scopes the lookup. */
    assert_int_equal(store_user_by_email(c, w.ta, "hr@ACME.TEST", &u), 0);
    assert_int_equal(u.id, ua);
    assert_int_equal(u.tenant_id, w.ta);
    assert_string_equal(u.email, "HR@Acme.test");
    assert_string_equal(u.pwhash, "$argon2id$v=19$a");
    assert_string_equal(u.role, "owner");
    assert_string_equal(u.departments, "");
    assert_int_equal(u.disabled_at, 0);
    assert_int_equal(store_user_by_email(c, w.tb, "hr@acme.test", &u), 0);
    assert_int_equal(u.id, ub);
    assert_string_equal(u.role, "admin");
    assert_int_equal(store_user_by_email(c, w.tb, "viewer@acme.test", &u), HARK_ENOTFOUND);
    assert_int_equal(store_user_by_email(c, w.ta, "nobody@acme.test", &u), HARK_ENOTFOUND);
    assert_int_equal(store_user_by_email(c, w.ta, "", &u), HARK_ENOTFOUND);
    assert_int_equal(store_user_by_email(c, w.ta, NULL, &u), HARK_ENOTFOUND);
    memset(longmail, 'a', sizeof longmail - 1);
    longmail[sizeof longmail - 1] = '\0';
    assert_int_equal(store_user_by_email(c, w.ta, longmail, &u), HARK_ENOTFOUND);
    /* Two accounts that differ only in case: the exact spelling wins. */
    assert_int_equal(store_user_create(c, w.ta, "hr@acme.test", "$argon2id$v=19$d", "viewer", &exact), 0);
    assert_int_equal(store_user_by_email(c, w.ta, "hr@acme.test", &u), 0);
    assert_int_equal(u.id, exact);
    assert_int_equal(store_user_by_email(c, w.ta, "HR@Acme.test", &u), 0);
    assert_int_equal(u.id, ua);

    /* A new password hash, for the tenant's own user only. */
    assert_int_equal(store_user_set_pwhash(c, w.ta, ua, "$argon2id$v=19$new"), 0);
    assert_int_equal(store_user_by_email(c, w.ta, "HR@Acme.test", &u), 0);
    assert_string_equal(u.pwhash, "$argon2id$v=19$new");
    assert_int_equal(store_user_set_pwhash(c, w.tb, ua, "$argon2id$v=19$x"), HARK_ENOTFOUND);
    assert_int_equal(store_user_set_pwhash(c, w.ta, ua, ""), HARK_EINVAL);
    assert_int_equal(store_user_set_pwhash(c, w.ta, ua, "plain text"), HARK_EINVAL);
    assert_int_equal(store_user_set_pwhash(c, w.ta, ua, NULL), HARK_EINVAL);
    assert_int_equal(store_user_by_email(c, w.ta, "HR@Acme.test", &u), 0);
    assert_string_equal(u.pwhash, "$argon2id$v=19$new");

    /* disabled_at is NULL for active users (read as 0) and read back when set. */
    raw_exec(f, "UPDATE users SET disabled_at = 1234, departments = 'Sales,Ops' WHERE email = 'viewer@acme.test'");
    assert_int_equal(store_user_by_email(c, w.ta, "viewer@acme.test", &u), 0);
    assert_int_equal(u.id, ua2);
    assert_int_equal(u.disabled_at, 1234);
    assert_string_equal(u.departments, "Sales,Ops");
}

static void make_session(store_session *s, unsigned char v, int64_t tenant, int64_t user, int64_t created,
                         int64_t seen) {
    memset(s, 0, sizeof *s);
    fill_hash(s->token_hash, v);
    s->tenant_id = tenant;
    s->user_id = user;
    s->created_at = created;
    s->last_seen_at = seen;
}

static int session_exists(store_conn *c, unsigned char v) {
    unsigned char h[STORE_HASH_BYTES];
    store_session got;
    fill_hash(h, v);
    return store_session_get(c, h, &got) == 0;
}

static void test_sessions(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_session s, got;
    unsigned char h[STORE_HASH_BYTES];
    int64_t ua = 0, ua2 = 0, ub = 0, n = -1;
    make_world(c, &w);
    assert_int_equal(store_user_create(c, w.ta, "hr@acme.test", "$argon2id$v=19$a", "owner", &ua), 0);
    assert_int_equal(store_user_create(c, w.ta, "bp@acme.test", "$argon2id$v=19$b", "hrbp", &ua2), 0);
    assert_int_equal(store_user_create(c, w.tb, "hr@globex.test", "$argon2id$v=19$c", "admin", &ub), 0);

    make_session(&s, 0x11, w.ta, ua, 1000, 1000);
    assert_int_equal(store_session_create(c, &s), 0);
    assert_int_equal(store_session_create(c, &s), HARK_EEXISTS);
    /* A session must name a user of its own tenant. */
    make_session(&s, 0x12, w.ta, ub, 1000, 1000);
    assert_int_equal(store_session_create(c, &s), HARK_ENOTFOUND);
    make_session(&s, 0x12, w.tb + 100, ub, 1000, 1000);
    assert_int_equal(store_session_create(c, &s), HARK_ENOTFOUND);
    assert_false(session_exists(c, 0x12));

    fill_hash(h, 0x11);
    assert_int_equal(store_session_get(c, h, &got), 0);
    assert_memory_equal(got.token_hash, h, STORE_HASH_BYTES);
    assert_int_equal(got.tenant_id, w.ta);
    assert_int_equal(got.user_id, ua);
    assert_int_equal(got.created_at, 1000);
    assert_int_equal(got.last_seen_at, 1000);
    assert_string_equal(got.email, "hr@acme.test");
    assert_string_equal(got.role, "owner");
    assert_string_equal(got.departments, "");
    assert_int_equal(got.disabled_at, 0);
    assert_string_equal(got.tenant_slug, "acme");
    fill_hash(h, 0x99);
    assert_int_equal(store_session_get(c, h, &got), HARK_ENOTFOUND);

    /* The user's state shows through the join. */
    raw_exec(f, "UPDATE users SET disabled_at = 77 WHERE email = 'hr@acme.test'");
    fill_hash(h, 0x11);
    assert_int_equal(store_session_get(c, h, &got), 0);
    assert_int_equal(got.disabled_at, 77);
    raw_exec(f, "UPDATE users SET disabled_at = NULL WHERE email = 'hr@acme.test'");

    /* Touch moves last_seen_at forward only, in the session's tenant only. */
    assert_int_equal(store_session_touch(c, w.ta, h, 5000), 0);
    assert_int_equal(store_session_get(c, h, &got), 0);
    assert_int_equal(got.last_seen_at, 5000);
    assert_int_equal(store_session_touch(c, w.ta, h, 3000), 0);
    assert_int_equal(store_session_touch(c, w.tb, h, 9000), 0);
    assert_int_equal(store_session_get(c, h, &got), 0);
    assert_int_equal(got.last_seen_at, 5000);
    assert_int_equal(got.created_at, 1000);

    /* Zero times take the clock. */
    make_session(&s, 0x13, w.ta, ua, 0, 0);
    assert_int_equal(store_session_create(c, &s), 0);
    fill_hash(h, 0x13);
    assert_int_equal(store_session_get(c, h, &got), 0);
    assert_true(got.created_at > 1700000000000LL);
    assert_int_equal(got.last_seen_at, got.created_at);

    /* Delete one, scoped by tenant. */
    fill_hash(h, 0x11);
    assert_int_equal(store_session_delete(c, w.tb, h), HARK_ENOTFOUND);
    assert_true(session_exists(c, 0x11));
    assert_int_equal(store_session_delete(c, w.ta, h), 0);
    assert_false(session_exists(c, 0x11));
    assert_int_equal(store_session_delete(c, w.ta, h), HARK_ENOTFOUND);

    /* Delete every session of one user. */
    make_session(&s, 0x14, w.ta, ua, 2000, 2000);
    assert_int_equal(store_session_create(c, &s), 0);
    make_session(&s, 0x15, w.ta, ua2, 2000, 2000);
    assert_int_equal(store_session_create(c, &s), 0);
    make_session(&s, 0x16, w.tb, ub, 2000, 2000);
    assert_int_equal(store_session_create(c, &s), 0);
    assert_int_equal(store_sessions_delete_user(c, w.tb, ua, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_sessions_delete_user(c, w.ta, ua, &n), 0);
    assert_int_equal(n, 2); /* 0x13 and 0x14 */
    assert_false(session_exists(c, 0x13));
    assert_false(session_exists(c, 0x14));
    assert_true(session_exists(c, 0x15));
    assert_true(session_exists(c, 0x16));
    assert_int_equal(store_sessions_delete_user(c, w.ta, ua, NULL), 0);

    /* The sweep: idle ones (last seen at or before), then old ones (created at
     * or before), across tenants. */
    make_session(&s, 0x21, w.ta, ua, 100, 900);
    assert_int_equal(store_session_create(c, &s), 0);
    make_session(&s, 0x22, w.tb, ub, 100, 5000);
    assert_int_equal(store_session_create(c, &s), 0);
    make_session(&s, 0x23, w.ta, ua, 4000, 6000);
    assert_int_equal(store_session_create(c, &s), 0);
    assert_int_equal(store_sessions_sweep(c, 899, 99, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_sessions_sweep(c, 1000, 50, &n), 0);
    assert_int_equal(n, 1);
    assert_false(session_exists(c, 0x21));
    assert_int_equal(store_sessions_sweep(c, 1000, 100, &n), 0);
    assert_int_equal(n, 1);
    assert_false(session_exists(c, 0x22));
    assert_true(session_exists(c, 0x23));
    assert_true(session_exists(c, 0x15)); /* last seen at 2000: 0x15 and 0x16 are swept next */
    assert_int_equal(store_sessions_sweep(c, 2000, 100, NULL), 0);
    assert_false(session_exists(c, 0x15));
    assert_false(session_exists(c, 0x16));
    assert_true(session_exists(c, 0x23));

    /* A failing write inside a transaction leaves the others. */
    assert_int_equal(store_begin(c), 0);
    make_session(&s, 0x31, w.ta, ua, 1, 1);
    assert_int_equal(store_session_create(c, &s), 0);
    assert_int_equal(store_session_create(c, &s), HARK_EEXISTS);
    assert_int_equal(store_commit(c), 0);
    assert_true(session_exists(c, 0x31));

    assert_int_equal(store_session_get(c, NULL, &got), HARK_EINVAL);
    assert_int_equal(store_session_create(c, NULL), HARK_EINVAL);
}

static void test_api_tokens(void **state) {
    struct fx *f = *state;
    store_conn *c = store_main_conn(f->s);
    struct world w;
    store_api_token t, got;
    unsigned char h[STORE_HASH_BYTES];
    int64_t ua = 0, ub = 0;
    make_world(c, &w);
    assert_int_equal(store_user_create(c, w.ta, "hr@acme.test", "$argon2id$v=19$a", "owner", &ua), 0);
    assert_int_equal(store_user_create(c, w.tb, "hr@globex.test", "$argon2id$v=19$c", "admin", &ub), 0);

    memset(&t, 0, sizeof t);
    t.tenant_id = w.ta;
    SET(t.name, "bi export");
    SET(t.prefix, "hark_AbCd");
    fill_hash(t.token_hash, 0x41);
    t.scopes = 5;
    t.created_by = ua;
    assert_int_equal(store_api_token_create(c, &t), 0);
    assert_true(t.id > 0);
    assert_true(t.created_at > 0);
    int64_t id = t.id;

    fill_hash(h, 0x41);
    assert_int_equal(store_api_token_by_hash(c, h, &got), 0);
    assert_int_equal(got.id, id);
    assert_int_equal(got.tenant_id, w.ta);
    assert_string_equal(got.name, "bi export");
    assert_string_equal(got.prefix, "hark_AbCd");
    assert_memory_equal(got.token_hash, h, STORE_HASH_BYTES);
    assert_int_equal(got.scopes, 5);
    assert_int_equal(got.created_by, ua);
    assert_int_equal(got.created_at, t.created_at);
    assert_int_equal(got.last_used_at, 0);
    assert_int_equal(got.revoked_at, 0);
    fill_hash(h, 0x42);
    assert_int_equal(store_api_token_by_hash(c, h, &got), HARK_ENOTFOUND);

    /* Names are unique in a tenant, hashes everywhere; the maker must be a
     * user of the tenant. */
    t.id = 0;
    fill_hash(t.token_hash, 0x43);
    assert_int_equal(store_api_token_create(c, &t), HARK_EEXISTS);
    SET(t.name, "other");
    fill_hash(t.token_hash, 0x41);
    assert_int_equal(store_api_token_create(c, &t), HARK_EEXISTS);
    fill_hash(t.token_hash, 0x44);
    t.created_by = ub;
    assert_int_equal(store_api_token_create(c, &t), HARK_ENOTFOUND);
    t.tenant_id = w.tb;
    SET(t.name, "bi export");
    assert_int_equal(store_api_token_create(c, &t), 0);
    t.tenant_id = w.ta;
    t.created_by = ua;
    SET(t.name, "");
    assert_int_equal(store_api_token_create(c, &t), HARK_EINVAL);
    SET(t.name, "x");
    t.scopes = 0;
    assert_int_equal(store_api_token_create(c, &t), HARK_EINVAL);
    t.scopes = 1;
    memset(t.name, 'n', sizeof t.name);
    assert_int_equal(store_api_token_create(c, &t), HARK_ETOOBIG);

    /* last_used_at moves forward only, in the token's tenant only. */
    assert_int_equal(store_api_token_touch(c, w.ta, id, 7000), 0);
    assert_int_equal(store_api_token_touch(c, w.ta, id, 6000), 0);
    assert_int_equal(store_api_token_touch(c, w.tb, id, 9000), 0);
    fill_hash(h, 0x41);
    assert_int_equal(store_api_token_by_hash(c, h, &got), 0);
    assert_int_equal(got.last_used_at, 7000);

    /* A revoked token is still found, and says so. */
    raw_exec(f, "UPDATE api_tokens SET revoked_at = 42 WHERE name = 'bi export' AND prefix = 'hark_AbCd' "
                "AND scopes = 5");
    assert_int_equal(store_api_token_by_hash(c, h, &got), 0);
    assert_int_equal(got.revoked_at, 42);
}

/* ---- asynchronous jobs ---- */

#define MANY 10000

struct actx {
    store *s;
    uv_loop_t loop;
    int64_t tenant;
    uv_sem_t gate;    /* the gate job waits on it, holding the writer (or a reader) */
    uv_sem_t running; /* posted when a gate job starts */
    int writes, writes_done, writes_ok, after_commit;
    int reads, reads_done, reads_ok;
    int64_t final_count;
    uint64_t t0, t1;
};

struct wjob {
    struct actx *x;
    int i;
    int gate, fail;
    uint64_t commits_at_run;
    int status, called;
};

struct rjob {
    struct actx *x;
    int i; /* -1: count */
    int gate;
    int64_t count;
};

static void email_of(int i, char *out, size_t cap) {
    snprintf(out, cap, "e%06d@acme.test", i);
}

static int w_work(store_conn *c, void *arg) {
    struct wjob *j = arg;
    store_employee e;
    store_stats st;
    char email[64];
    if (j->gate) {
        uv_sem_post(&j->x->running);
        uv_sem_wait(&j->x->gate);
    }
    email_of(j->i, email, sizeof email);
    make_employee(&e, j->x->tenant, "", email);
    int rc = store_employee_upsert(c, &e);
    store_get_stats(j->x->s, &st);
    j->commits_at_run = st.commits;
    if (rc == 0 && j->fail) return HARK_EINVAL; /* after writing: the savepoint must undo it */
    return rc;
}

static int r_work(store_conn *c, void *arg) {
    struct rjob *r = arg;
    store_employee e;
    char email[64];
    if (r->gate) {
        uv_sem_post(&r->x->running);
        uv_sem_wait(&r->x->gate);
        return 0;
    }
    if (r->i < 0) return store_employee_count(c, r->x->tenant, &r->count);
    email_of(r->i, email, sizeof email);
    return store_employee_by_email(c, r->x->tenant, email, &e);
}

static void r_done(void *arg, int status) {
    struct rjob *r = arg;
    struct actx *x = r->x;
    x->reads_done++;
    if (status == 0) x->reads_ok++;
    if (r->i < 0) {
        x->final_count = r->count;
        store_stop(x->s);
    }
    free(r);
}

static void submit_read(struct actx *x, int i) {
    struct rjob *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->x = x;
    r->i = i;
    assert_int_equal(store_submit(x->s, STORE_READ, r_work, r_done, r), 0);
    x->reads++;
}

static void w_done(void *arg, int status) {
    struct wjob *j = arg;
    struct actx *x = j->x;
    store_stats st;
    j->status = status;
    j->called++;
    x->writes_done++;
    if (status == 0) x->writes_ok++;
    store_get_stats(x->s, &st);
    if (st.commits > j->commits_at_run) x->after_commit++;
    /* A write is acknowledged after its commit: a reader must see it. */
    if (status == 0 && j->i % 1000 == 0) submit_read(x, j->i);
    if (x->writes_done == x->writes) {
        x->t1 = uv_hrtime();
        submit_read(x, -1);
    }
}

static void actx_start(struct actx *x, store *s, int64_t tenant) {
    memset(x, 0, sizeof *x);
    x->s = s;
    x->tenant = tenant;
    assert_int_equal(uv_loop_init(&x->loop), 0);
    assert_int_equal(uv_sem_init(&x->gate, 0), 0);
    assert_int_equal(uv_sem_init(&x->running, 0), 0);
    assert_int_equal(store_start(s, &x->loop), 0);
}

static void actx_finish(struct actx *x) {
    assert_int_equal(uv_run(&x->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&x->loop), 0);
    uv_sem_destroy(&x->gate);
    uv_sem_destroy(&x->running);
}

static int64_t new_tenant(store *s, const char *slug) {
    store_tenant t;
    memset(&t, 0, sizeof t);
    SET(t.slug, slug);
    assert_int_equal(store_tenant_create(store_main_conn(s), &t), 0);
    return t.id;
}

static void test_async_group_commit(void **state) {
    struct fx *f = *state;
    struct actx x;
    store_stats st;
    struct wjob *jobs = calloc(MANY, sizeof *jobs);
    assert_non_null(jobs);
    int64_t tenant = new_tenant(f->s, "acme");
    actx_start(&x, f->s, tenant);
    assert_null(store_main_conn(f->s));

    /* Job 0 holds the writer until all are queued, so batching is certain
     * rather than likely; the rest is the writer's own grouping. */
    x.t0 = uv_hrtime();
    for (int i = 0; i < MANY; i++) {
        jobs[i].x = &x;
        jobs[i].i = i;
        jobs[i].gate = i == 0;
        assert_int_equal(store_submit(f->s, STORE_WRITE, w_work, w_done, &jobs[i]), 0);
        x.writes++;
        if (i == 0) uv_sem_wait(&x.running);
    }
    uv_sem_post(&x.gate);
    actx_finish(&x);

    store_get_stats(f->s, &st);
    for (int i = 0; i < MANY; i++) assert_int_equal(jobs[i].called, 1);
    assert_int_equal(x.writes_done, MANY);
    assert_int_equal(x.writes_ok, MANY);
    assert_int_equal(x.after_commit, MANY);
    assert_int_equal(x.reads_done, x.reads);
    assert_int_equal(x.reads_ok, x.reads);
    assert_int_equal(x.final_count, MANY);
    assert_int_equal(st.jobs_written, MANY);
    assert_true(st.max_batch > 1);
    assert_true(st.commits < MANY);
    assert_int_equal(st.write_queue, 0);
    assert_int_equal(st.read_queue, 0);
    double secs = (double)(x.t1 - x.t0) / 1e9;
    print_message("store: %d write jobs (synchronous=FULL) in %.1f ms: %.0f jobs/s, %llu commits, max batch %llu, "
                  "last commit %.2f ms\n",
                  MANY, secs * 1e3, MANY / secs, (unsigned long long)st.commits, (unsigned long long)st.max_batch,
                  st.last_commit_ms);
    free(jobs);

    /* After stop: no more jobs; the store closes cleanly. */
    assert_int_equal(store_submit(f->s, STORE_WRITE, w_work, w_done, NULL), HARK_ECLOSED);
}

static void test_async_failing_job(void **state) {
    struct fx *f = *state;
    struct actx x;
    struct wjob jobs[31];
    store_stats st;
    int64_t tenant = new_tenant(f->s, "acme");
    actx_start(&x, f->s, tenant);
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 31; i++) {
        jobs[i].x = &x;
        jobs[i].i = i;
        jobs[i].gate = i == 0;
        jobs[i].fail = i % 3 == 1;
        assert_int_equal(store_submit(f->s, STORE_WRITE, w_work, w_done, &jobs[i]), 0);
        x.writes++;
        if (i == 0) uv_sem_wait(&x.running);
    }
    uv_sem_post(&x.gate);
    actx_finish(&x);

    store_get_stats(f->s, &st);
    assert_int_equal(st.last_batch, 30); /* all but the gate job in one transaction */
    assert_int_equal(st.commits, 2);
    for (int i = 0; i < 31; i++) assert_int_equal(jobs[i].status, jobs[i].fail ? HARK_EINVAL : 0);
    assert_int_equal(x.final_count, 21);
    store_close(f->s);
    f->s = NULL;

    /* The failed jobs' rows are not there; the others' are. */
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    for (int i = 0; i < 31; i++) {
        store_employee e;
        char email[64];
        email_of(i, email, sizeof email);
        assert_int_equal(store_employee_by_email(store_main_conn(f->s), tenant, email, &e),
                         jobs[i].fail ? HARK_ENOTFOUND : 0);
    }
}

static void acked_done(void *arg, int status);

/* Leaves a foreign-key violation that SQLite checks only at COMMIT, so the
 * whole batch's COMMIT fails while this job itself succeeds. */
static int poison_work(store_conn *c, void *arg) {
    const char *sql = "PRAGMA defer_foreign_keys = ON;"
                      "INSERT INTO users (tenant_id, email, pwhash, role, created_at) "
                      "VALUES (987654, 'x@y.test', 'h', 'viewer', 0)";
    return sqlite3_exec(sq(c)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : HARK_EIO;
}

static struct wjob after_failed; /* submitted once the failed batch is reported */

static void chain_done(void *arg, int status) {
    struct wjob *j = arg;
    acked_done(arg, status);
    memset(&after_failed, 0, sizeof after_failed);
    after_failed.x = j->x;
    after_failed.i = 100;
    assert_int_equal(store_submit(j->x->s, STORE_WRITE, w_work, acked_done, &after_failed), 0);
}

static void test_async_commit_fails(void **state) {
    struct fx *f = *state;
    struct actx x;
    struct wjob jobs[6];
    int64_t tenant = new_tenant(f->s, "acme");
    actx_start(&x, f->s, tenant);
    memset(jobs, 0, sizeof jobs);
    x.writes = 7;
    for (int i = 0; i < 6; i++) {
        jobs[i].x = &x;
        jobs[i].i = i;
        jobs[i].gate = i == 0;
        store_work_fn work = i == 3 ? poison_work : w_work;
        assert_int_equal(store_submit(f->s, STORE_WRITE, work, i == 5 ? chain_done : acked_done, &jobs[i]), 0);
        if (i == 0) uv_sem_wait(&x.running);
    }
    uv_sem_post(&x.gate);
    actx_finish(&x);

    /* Jobs 1-5 shared the transaction whose COMMIT failed: all report
     * HARK_EIO and none of their rows exist; the writer went on. */
    assert_int_equal(jobs[0].status, 0);
    for (int i = 1; i < 6; i++) assert_int_equal(jobs[i].status, HARK_EIO);
    assert_int_equal(after_failed.status, 0);
    assert_int_equal(x.writes_done, 7);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    int64_t n = 0;
    assert_int_equal(store_employee_count(store_main_conn(f->s), tenant, &n), 0);
    assert_int_equal(n, 2); /* the gate job's and the last one's */
}

/* Ends the batch transaction behind the writer's back, as SQLite itself does
 * on some I/O errors. */
static int abort_work(store_conn *c, void *arg) {
    sqlite3_exec(sq(c)->db, "ROLLBACK", NULL, NULL, NULL);
    return 0;
}

static void test_async_tx_abandoned(void **state) {
    struct fx *f = *state;
    struct actx x;
    struct wjob jobs[6];
    int64_t tenant = new_tenant(f->s, "acme");
    actx_start(&x, f->s, tenant);
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 6; i++) {
        jobs[i].x = &x;
        jobs[i].i = i;
        jobs[i].gate = i == 0;
        store_work_fn work = i == 3 ? abort_work : w_work;
        assert_int_equal(store_submit(f->s, STORE_WRITE, work, acked_done, &jobs[i]), 0);
        x.writes++;
        if (i == 0) uv_sem_wait(&x.running);
    }
    uv_sem_post(&x.gate);
    actx_finish(&x);

    /* Jobs 1-3 lost their transaction; 4 and 5 ran in a new one. */
    int want[6] = {0, HARK_EIO, HARK_EIO, HARK_EIO, 0, 0};
    for (int i = 0; i < 6; i++) assert_int_equal(jobs[i].status, want[i]);
    int64_t n = 0;
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    assert_int_equal(store_employee_count(store_main_conn(f->s), tenant, &n), 0);
    assert_int_equal(n, 3);
}

/* Jobs whose argument is the struct actx itself. */
static int gate_work(store_conn *c, void *arg) {
    struct actx *x = arg;
    uv_sem_post(&x->running);
    uv_sem_wait(&x->gate);
    return 0;
}

static int noop_work(store_conn *c, void *arg) {
    return 0;
}

static void count_done(void *arg, int status) {
    struct actx *x = arg;
    x->writes_done++;
    if (status == 0) x->writes_ok++;
    if (x->writes_done == x->writes) store_stop(x->s);
}

static void test_async_queue_bound(void **state) {
    struct fx *f = *state;
    struct actx x;
    store_stats st;
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 4, 1, &f->s), 0);
    assert_int_equal(store_submit(f->s, STORE_WRITE, noop_work, count_done, &x), HARK_EINVAL); /* not started */
    actx_start(&x, f->s, 1);

    /* Hold the writer and the only reader inside a job each, then fill each
     * queue: the fifth waiting job is refused and its DONE never called. */
    assert_int_equal(store_submit(f->s, STORE_WRITE, gate_work, count_done, &x), 0);
    uv_sem_wait(&x.running);
    for (int i = 0; i < 4; i++) assert_int_equal(store_submit(f->s, STORE_WRITE, noop_work, count_done, &x), 0);
    assert_int_equal(store_submit(f->s, STORE_WRITE, noop_work, count_done, &x), HARK_EBUSY);
    assert_int_equal(store_submit(f->s, STORE_READ, gate_work, count_done, &x), 0);
    uv_sem_wait(&x.running);
    for (int i = 0; i < 4; i++) assert_int_equal(store_submit(f->s, STORE_READ, noop_work, count_done, &x), 0);
    assert_int_equal(store_submit(f->s, STORE_READ, noop_work, count_done, &x), HARK_EBUSY);
    store_get_stats(f->s, &st);
    assert_int_equal(st.write_queue, 4);
    assert_int_equal(st.read_queue, 4);
    x.writes = 10;
    uv_sem_post(&x.gate);
    uv_sem_post(&x.gate);
    actx_finish(&x);
    assert_int_equal(x.writes_done, 10);
    assert_int_equal(x.writes_ok, 10);
    assert_int_equal(store_submit(f->s, STORE_READ, noop_work, count_done, &x), HARK_ECLOSED);
}

/* ---- durability ---- */

static int insert_work(store_conn *c, void *arg) {
    struct wjob *j = arg;
    store_employee e;
    char email[64];
    email_of(j->i, email, sizeof email);
    make_employee(&e, j->x->tenant, "", email);
    return store_employee_upsert(c, &e);
}

static void acked_done(void *arg, int status) {
    struct wjob *j = arg;
    j->status = status;
    j->called++;
    j->x->writes_done++;
    if (j->x->writes_done == j->x->writes) store_stop(j->x->s);
}

static void test_durable_reopen(void **state) {
    struct fx *f = *state;
    struct actx x;
    struct wjob jobs[50];
    store_employee e;
    char email[64];
    int64_t tenant = new_tenant(f->s, "acme");
    actx_start(&x, f->s, tenant);
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 50; i++) {
        jobs[i].x = &x;
        jobs[i].i = i;
        assert_int_equal(store_submit(f->s, STORE_WRITE, insert_work, acked_done, &jobs[i]), 0);
        x.writes++;
    }
    actx_finish(&x);
    store_close(f->s);
    f->s = NULL;

    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(jobs[i].called, 1);
        assert_int_equal(jobs[i].status, 0);
        email_of(i, email, sizeof email);
        assert_int_equal(store_employee_by_email(store_main_conn(f->s), tenant, email, &e), 0);
    }
}

/* The child of test_kill9: writes employees forever, 64 jobs in flight, and
 * reports each acknowledged job's number on FD. Never returns. */
struct child {
    struct actx x;
    struct wjob jobs[64];
    int fd, next;
};

static void child_done(void *arg, int status);

static void child_submit(struct child *ch, struct wjob *j) {
    j->i = ch->next++;
    if (store_submit(ch->x.s, STORE_WRITE, insert_work, child_done, j) != 0) _exit(3);
}

static void child_done(void *arg, int status) {
    struct wjob *j = arg;
    struct child *ch = (struct child *)j->x;
    char line[32];
    if (status != 0) _exit(4);
    int n = snprintf(line, sizeof line, "%d\n", j->i);
    if (write(ch->fd, line, (size_t)n) != n) _exit(5);
    child_submit(ch, j);
}

static void child_main(const struct fx *f, int64_t tenant, int fd) {
    static struct child ch;
    store *s = NULL;
    signal(SIGPIPE, SIG_IGN);
    alarm(60); /* never outlive a broken parent */
    if (open_store(f, STORE_DURABLE_FULL, 0, 0, &s) != 0) _exit(2);
    ch.fd = fd;
    ch.x.s = s;
    ch.x.tenant = tenant;
    if (uv_loop_init(&ch.x.loop) != 0 || store_start(s, &ch.x.loop) != 0) _exit(2);
    for (int i = 0; i < 64; i++) {
        ch.jobs[i].x = &ch.x;
        child_submit(&ch, &ch.jobs[i]);
    }
    uv_run(&ch.x.loop, UV_RUN_DEFAULT);
    _exit(6);
}

static void test_kill9(void **state) {
    struct fx *f = *state;
    int fds[2];
    int64_t tenant = new_tenant(f->s, "acme");
    /* No open connection may cross fork(): close ours first. */
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(f, tenant, fds[1]);
    }
    close(fds[1]);

    /* Read acknowledgements until 2000 have arrived, kill -9 the child in
     * the middle of its writing, then take what it acknowledged before. */
    char buf[4096];
    char line[32];
    size_t ll = 0;
    int acked = 0, max_id = -1, killed = 0, status = 0;
    int *ids = calloc(1000000, sizeof *ids);
    assert_non_null(ids);
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (ll < sizeof line - 1) line[ll++] = buf[i];
                continue;
            }
            line[ll] = '\0';
            ll = 0;
            if (acked < 1000000) ids[acked++] = atoi(line);
        }
        if (!killed && acked >= 2000) {
            kill(pid, SIGKILL);
            killed = 1;
        }
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(killed);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    assert_int_equal(open_store(f, STORE_DURABLE_FULL, 0, 0, &f->s), 0);
    store_conn *c = store_main_conn(f->s);
    for (int i = 0; i < acked; i++) {
        store_employee e;
        char email[64];
        email_of(ids[i], email, sizeof email);
        assert_int_equal(store_employee_by_email(c, tenant, email, &e), 0);
        if (ids[i] > max_id) max_id = ids[i];
    }
    int64_t count = 0;
    assert_int_equal(store_employee_count(c, tenant, &count), 0);
    assert_true(count >= acked);
    print_message("store: child killed after %d acknowledged writes; %lld rows found, all acknowledged present\n",
                  acked, (long long)count);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_race, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_employees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touchpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_signin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_failing_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_commit_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_tx_abandoned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_queue_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
