/* Unit tests for the administration operations of the store (store/admin.h)
 * against a real SQLite file: department scopes, user creation with the
 * case-insensitive e-mail clash, updates and the active-owner count, the
 * anonymity settings and their bounds, token lists and revocation, and that
 * every operation is scoped by tenant (another tenant's id is not found and
 * changes nothing). */
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
#include "store/admin.h"
#include "store/store.h"

#define HASH "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"

struct fx {
    char dir[256], url[320];
    store *s;
    store_conn *c;
    int64_t a, b; /* two tenants */
};

static int64_t make_tenant(store_conn *c, const char *slug) {
    store_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "%s", slug);
    snprintf(t.name, sizeof t.name, "%s", slug);
    snprintf(t.timezone, sizeof t.timezone, "UTC");
    assert_int_equal(store_tenant_create(c, &t), 0);
    return t.id;
}

static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    store_opts o;
    char err[256] = "";
    int applied = 0;
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "%s/hark-admin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/hark.db", f->dir);
    store_opts_default(&o);
    o.url = f->url;
    if (store_open(&o, &f->s, err, sizeof err) || store_migrate(f->s, &applied, err, sizeof err)) {
        print_error("store: %s\n", err);
        return -1;
    }
    f->c = store_main_conn(f->s);
    f->a = make_tenant(f->c, "alpha");
    f->b = make_tenant(f->c, "beta");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    char path[400];
    store_close(f->s);
    const char *files[] = {"hark.db", "hark.db-wal", "hark.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_departments_ok(void **state) {
    (void)state;
    char long_name[80], big[1100];
    assert_true(store_admin_departments_ok(""));
    assert_true(store_admin_departments_ok("Sales"));
    assert_true(store_admin_departments_ok("Sales\nR&D, \"Labs\""));
    assert_false(store_admin_departments_ok(NULL));
    assert_false(store_admin_departments_ok("Sales\n"));         /* an empty last name */
    assert_false(store_admin_departments_ok("\nSales"));         /* an empty first name */
    assert_false(store_admin_departments_ok("Sales\n\nOps"));    /* an empty name between */
    assert_false(store_admin_departments_ok("Sales\nSales"));    /* twice */
    assert_false(store_admin_departments_ok("Ops\nSales\nOps")); /* twice, not adjacent */
    assert_true(store_admin_departments_ok("Sales\nSales2"));    /* a prefix is another name */
    assert_false(store_admin_departments_ok("Sa\tles"));         /* a control character */
    memset(long_name, 'x', 63);
    long_name[63] = '\0';
    assert_true(store_admin_departments_ok(long_name));
    long_name[63] = 'x';
    long_name[64] = '\0';
    assert_false(store_admin_departments_ok(long_name));
    /* 16 distinct names of 63 bytes: 1023 bytes fit; one more name does not. */
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i) big[n++] = '\n';
        n += (size_t)snprintf(big + n, sizeof big - n, "%02d", i);
        memset(big + n, 'y', 61);
        n += 61;
    }
    big[n] = '\0';
    assert_int_equal(n, 1023);
    assert_true(store_admin_departments_ok(big));
    memcpy(big + n, "\nq", 3);
    assert_false(store_admin_departments_ok(big));
}

static void test_user_create_and_clash(void **state) {
    struct fx *f = *state;
    store_admin_user u, g;
    assert_int_equal(store_admin_user_create(f->c, f->a, "Lena@Acme.test", HASH, "hrbp", "Sales\nOps", 1000, &u), 0);
    assert_true(u.id > 0);
    assert_int_equal(u.tenant_id, f->a);
    assert_string_equal(u.email, "Lena@Acme.test");
    assert_string_equal(u.role, "hrbp");
    assert_string_equal(u.departments, "Sales\nOps");
    assert_int_equal(u.created_at, 1000);
    assert_int_equal(u.disabled_at, 0);
    /* The same address in another case clashes; in another tenant it does not. */
    assert_int_equal(store_admin_user_create(f->c, f->a, "lena@acme.TEST", HASH, "viewer", "", 0, NULL), HARK_EEXISTS);
    assert_int_equal(store_admin_user_create(f->c, f->b, "lena@acme.test", HASH, "viewer", "", 0, &g), 0);
    /* Departments only for an hrbp; known roles only. */
    assert_int_equal(store_admin_user_create(f->c, f->a, "v@acme.test", HASH, "viewer", "Sales", 0, NULL), HARK_EINVAL);
    assert_int_equal(store_admin_user_create(f->c, f->a, "v@acme.test", HASH, "root", "", 0, NULL), HARK_EINVAL);
    assert_int_equal(store_admin_user_create(f->c, f->a, "v@acme.test", HASH, "hrbp", "A\nA", 0, NULL), HARK_EINVAL);
    /* Scoped by tenant. */
    assert_int_equal(store_admin_user_get(f->c, f->b, u.id, &g), HARK_ENOTFOUND);
    assert_int_equal(store_admin_user_get(f->c, f->a, u.id, &g), 0);
    assert_string_equal(g.departments, "Sales\nOps");
    /* Sign-in finds the user (the password hash was stored). */
    store_user su;
    assert_int_equal(store_user_by_email(f->c, f->a, "lena@acme.test", &su), 0);
    assert_string_equal(su.pwhash, HASH);
}

static void test_user_update_and_owners(void **state) {
    struct fx *f = *state;
    store_admin_user o1, o2, h, g;
    int64_t n = -1;
    assert_int_equal(store_admin_user_create(f->c, f->a, "o1@a.test", HASH, "owner", "", 0, &o1), 0);
    assert_int_equal(store_admin_user_create(f->c, f->a, "o2@a.test", HASH, "owner", "", 0, &o2), 0);
    assert_int_equal(store_admin_user_create(f->c, f->a, "h@a.test", HASH, "hrbp", "Sales", 0, &h), 0);
    assert_int_equal(store_admin_active_owners(f->c, f->a, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_admin_active_owners(f->c, f->b, &n), 0);
    assert_int_equal(n, 0);

    /* Disabling keeps its first time; enabling clears it. */
    assert_int_equal(store_admin_user_update(f->c, f->a, o2.id, NULL, NULL, 1, 5000), 0);
    assert_int_equal(store_admin_user_update(f->c, f->a, o2.id, NULL, NULL, 1, 9000), 0);
    assert_int_equal(store_admin_user_get(f->c, f->a, o2.id, &g), 0);
    assert_int_equal(g.disabled_at, 5000);
    assert_int_equal(store_admin_active_owners(f->c, f->a, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_admin_user_update(f->c, f->a, o2.id, NULL, NULL, 0, 0), 0);
    assert_int_equal(store_admin_user_get(f->c, f->a, o2.id, &g), 0);
    assert_int_equal(g.disabled_at, 0);

    /* Role and departments; a scope left on a non-hrbp is refused. */
    assert_int_equal(store_admin_user_update(f->c, f->a, h.id, "viewer", NULL, -1, 0), HARK_EINVAL);
    assert_int_equal(store_admin_user_update(f->c, f->a, h.id, "viewer", "", -1, 0), 0);
    assert_int_equal(store_admin_user_get(f->c, f->a, h.id, &g), 0);
    assert_string_equal(g.role, "viewer");
    assert_string_equal(g.departments, "");
    assert_int_equal(store_admin_user_update(f->c, f->a, h.id, "hrbp", "Ops\nSales", -1, 0), 0);
    assert_int_equal(store_admin_user_get(f->c, f->a, h.id, &g), 0);
    assert_string_equal(g.departments, "Ops\nSales");
    assert_int_equal(store_admin_user_update(f->c, f->a, h.id, "boss", NULL, -1, 0), HARK_EINVAL);

    /* Another tenant's id: not found, nothing changed. */
    assert_int_equal(store_admin_user_update(f->c, f->b, h.id, "viewer", "", 1, 0), HARK_ENOTFOUND);
    assert_int_equal(store_admin_user_get(f->c, f->a, h.id, &g), 0);
    assert_string_equal(g.role, "hrbp");
    assert_int_equal(g.disabled_at, 0);

    /* The list pages by id, tenant by tenant. */
    store_admin_user page[2];
    size_t got = 0;
    assert_int_equal(store_admin_user_list(f->c, f->a, 0, page, 2, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(page[0].id, o1.id);
    assert_int_equal(page[1].id, o2.id);
    assert_int_equal(store_admin_user_list(f->c, f->a, o2.id, page, 2, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(page[0].id, h.id);
    assert_int_equal(store_admin_user_list(f->c, f->b, 0, page, 2, &got), 0);
    assert_int_equal(got, 0);
}

static void test_settings(void **state) {
    struct fx *f = *state;
    store_admin_settings s, g;
    assert_int_equal(store_admin_settings_get(f->c, f->a, &s), 0);
    assert_string_equal(s.timezone, "UTC");
    assert_int_equal(s.anon_k, 5);
    assert_string_equal(s.confidentiality, "anonymous");

    snprintf(s.timezone, sizeof s.timezone, "Europe/Paris");
    s.anon_k = 3;
    snprintf(s.confidentiality, sizeof s.confidentiality, "confidential");
    assert_int_equal(store_admin_settings_set(f->c, f->a, &s), 0);
    assert_int_equal(store_admin_settings_get(f->c, f->a, &g), 0);
    assert_string_equal(g.timezone, "Europe/Paris");
    assert_int_equal(g.anon_k, 3);
    assert_string_equal(g.confidentiality, "confidential");
    store_tenant t;
    assert_int_equal(store_tenant_get(f->c, f->a, &t), 0);
    assert_string_equal(t.timezone, "Europe/Paris");

    /* Bounds: k from 3 to 50, two modes, a zone. Nothing changes on refusal. */
    s.anon_k = 2;
    assert_int_equal(store_admin_settings_set(f->c, f->a, &s), HARK_EINVAL);
    s.anon_k = 51;
    assert_int_equal(store_admin_settings_set(f->c, f->a, &s), HARK_EINVAL);
    s.anon_k = 50;
    snprintf(s.confidentiality, sizeof s.confidentiality, "public");
    assert_int_equal(store_admin_settings_set(f->c, f->a, &s), HARK_EINVAL);
    snprintf(s.confidentiality, sizeof s.confidentiality, "anonymous");
    s.timezone[0] = '\0';
    assert_int_equal(store_admin_settings_set(f->c, f->a, &s), HARK_EINVAL);
    assert_int_equal(store_admin_settings_get(f->c, f->a, &g), 0);
    assert_int_equal(g.anon_k, 3);

    /* The other tenant is untouched; no tenant is not found. */
    assert_int_equal(store_admin_settings_get(f->c, f->b, &g), 0);
    assert_int_equal(g.anon_k, 5);
    snprintf(s.timezone, sizeof s.timezone, "UTC");
    assert_int_equal(store_admin_settings_set(f->c, 999999, &s), HARK_ENOTFOUND);
    assert_int_equal(store_admin_settings_get(f->c, 999999, &g), HARK_ENOTFOUND);
}

static void test_tokens(void **state) {
    struct fx *f = *state;
    store_admin_user u;
    store_api_token t, g, list[4];
    size_t n = 0;
    int changed = -1;
    assert_int_equal(store_admin_user_create(f->c, f->a, "o@a.test", HASH, "owner", "", 0, &u), 0);
    memset(&t, 0, sizeof t);
    t.tenant_id = f->a;
    snprintf(t.name, sizeof t.name, "siem");
    snprintf(t.prefix, sizeof t.prefix, "hark_abcd");
    memset(t.token_hash, 0x5a, sizeof t.token_hash);
    t.scopes = 0x40;
    t.created_by = u.id;
    assert_int_equal(store_api_token_create(f->c, &t), 0);

    assert_int_equal(store_admin_token_list(f->c, f->a, 0, list, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "siem");
    assert_string_equal(list[0].prefix, "hark_abcd");
    assert_int_equal(list[0].scopes, 0x40);
    assert_int_equal(list[0].created_by, u.id);
    assert_int_equal(list[0].revoked_at, 0);
    static const unsigned char zero[STORE_HASH_BYTES];
    assert_memory_equal(list[0].token_hash, zero, sizeof zero); /* the hash never leaves here */
    assert_int_equal(store_admin_token_list(f->c, f->b, 0, list, 4, &n), 0);
    assert_int_equal(n, 0);

    /* Revoking from another tenant: not found, still live. */
    assert_int_equal(store_admin_token_revoke(f->c, f->b, t.id, 100, &changed), HARK_ENOTFOUND);
    assert_int_equal(store_admin_token_get(f->c, f->a, t.id, &g), 0);
    assert_int_equal(g.revoked_at, 0);
    assert_int_equal(store_admin_token_get(f->c, f->b, t.id, &g), HARK_ENOTFOUND);
    /* Revoking twice keeps the first time. */
    assert_int_equal(store_admin_token_revoke(f->c, f->a, t.id, 100, &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(store_admin_token_revoke(f->c, f->a, t.id, 200, &changed), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(store_admin_token_get(f->c, f->a, t.id, &g), 0);
    assert_int_equal(g.revoked_at, 100);
    assert_int_equal(store_admin_token_revoke(f->c, f->a, 999999, 100, NULL), HARK_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_departments_ok),
        cmocka_unit_test_setup_teardown(test_user_create_and_clash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_update_and_owners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
