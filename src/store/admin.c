/* Tenant administration in the store (admin.h): users and roles, the
 * anonymity and confidentiality settings and time zone, API token lists and
 * revocation, in portable statements. Not for sign-in (ops_web.c) or the
 * schedule (ops_outreach.c). */
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/admin.h"
#include "store/store_int.h"

#define ADMIN_USER_COLS "id, tenant_id, email, role, departments, created_at, coalesce(disabled_at, 0)"
#define ADMIN_TOKEN_COLS                                                                                               \
    "id, tenant_id, name, prefix, scopes, created_by, created_at, coalesce(last_used_at, 0), coalesce(revoked_at, 0)"

static const store_sql Q_USER_CLASH = {"admin_user_clash",
                                       "SELECT id FROM users WHERE tenant_id = ? AND lower(email) = lower(?) LIMIT 1"};
static const store_sql Q_USER_INSERT = {"admin_user_create",
                                        "INSERT INTO users (tenant_id, email, pwhash, role, departments, created_at) "
                                        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};
static const store_sql Q_USER_GET = {"admin_user_get",
                                     "SELECT " ADMIN_USER_COLS " FROM users WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_USER_LIST = {
    "admin_user_list", "SELECT " ADMIN_USER_COLS " FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"};
static const store_sql Q_USER_UPDATE = {
    "admin_user_update", "UPDATE users SET role = ?, departments = ?, disabled_at = ? WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_OWNERS = {
    "admin_active_owners", "SELECT count(*) FROM users WHERE tenant_id = ? AND role = 'owner' AND disabled_at IS NULL"};
static const store_sql Q_SETTINGS_GET = {"admin_settings_get",
                                         "SELECT timezone, anon_k, confidentiality FROM tenants WHERE id = ?"};
static const store_sql Q_SETTINGS_SET = {
    "admin_settings_set", "UPDATE tenants SET timezone = ?, anon_k = ?, confidentiality = ? WHERE id = ?"};
static const store_sql Q_TOKEN_LIST = {"admin_token_list",
                                       "SELECT " ADMIN_TOKEN_COLS
                                       " FROM api_tokens WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"};
static const store_sql Q_TOKEN_GET = {"admin_token_get",
                                      "SELECT " ADMIN_TOKEN_COLS " FROM api_tokens WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_TOKEN_REVOKE = {
    "admin_token_revoke", "UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL"};

static const char *const roles[] = {"owner", "admin", "hrbp", "viewer", NULL};
static const char *const modes[] = {"anonymous", "confidential", NULL};

int store_admin_departments_ok(const char *text) {
    if (!text) return 0;
    size_t total = strnlen(text, sizeof((store_admin_user *)0)->departments);
    if (total == sizeof((store_admin_user *)0)->departments) return 0;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || n > STORE_DEPARTMENT_MAX) return 0;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
        /* The same name earlier in the list? */
        for (const char *p = text; p < s;) {
            const char *pe = strchr(p, '\n');
            if ((size_t)(pe - p) == n && memcmp(p, s, n) == 0) return 0;
            p = pe + 1;
        }
        if (!e) break;
        if (!e[1]) return 0; /* a trailing newline is an empty last name */
        s = e + 1;
    }
    return 1;
}

static int read_user(store_q *q, store_admin_user *u) {
    memset(u, 0, sizeof *u);
    u->id = store__q_i64(q, 0);
    u->tenant_id = store__q_i64(q, 1);
    int rc = STORE_Q_FIELD(q, 2, u->email);
    if (!rc) rc = STORE_Q_FIELD(q, 3, u->role);
    if (!rc) rc = STORE_Q_FIELD(q, 4, u->departments);
    u->created_at = store__q_i64(q, 5);
    u->disabled_at = store__q_i64(q, 6);
    return rc;
}

int store_admin_user_create(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                            const char *departments, int64_t now, store_admin_user *out) {
    enum op_scope scope;
    int64_t id = 0;
    if (!c || !email || !*email || !pwhash || !*pwhash || !role || !store__one_of(role, roles) || !departments)
        return HARK_EINVAL;
    if (strlen(email) >= sizeof out->email || strlen(pwhash) >= sizeof((store_user *)0)->pwhash) return HARK_ETOOBIG;
    if (!store_admin_departments_ok(departments) || (departments[0] && strcmp(role, "hrbp") != 0)) return HARK_EINVAL;
    if (!now) now = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_int(c, &Q_USER_CLASH, &id, "is", tenant_id, email);
    if (rc == HARK_OK) rc = HARK_EEXISTS;
    if (rc == HARK_ENOTFOUND)
        rc = store__q_int(c, &Q_USER_INSERT, &id, "issssi", tenant_id, email, pwhash, role, departments, now);
    if (rc == HARK_OK && out) rc = store_admin_user_get(c, tenant_id, id, out);
    return store__op_leave(c, scope, rc);
}

int store_admin_user_get(store_conn *c, int64_t tenant_id, int64_t id, store_admin_user *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__q(c, &Q_USER_GET, &q, "ii", tenant_id, id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1)
        rc = read_user(q, out);
    else if (rc == 0)
        rc = HARK_ENOTFOUND;
    return store__q_close(q, rc);
}

int store_admin_user_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_admin_user *out, size_t max,
                          size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (!max) return HARK_OK;
    int rc = store__q(c, &Q_USER_LIST, &q, "iii", tenant_id, after_id, (int64_t)max);
    if (rc) return rc;
    while (*n < max) {
        rc = store__q_step(q);
        if (rc != 1) break;
        rc = read_user(q, &out[*n]);
        if (rc) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

int store_admin_user_update(store_conn *c, int64_t tenant_id, int64_t id, const char *role, const char *departments,
                            int disabled, int64_t now) {
    enum op_scope scope;
    store_admin_user u;
    if (!c || (role && !store__one_of(role, roles)) || (departments && !store_admin_departments_ok(departments)) ||
        disabled < -1 || disabled > 1)
        return HARK_EINVAL;
    if (!now) now = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store_admin_user_get(c, tenant_id, id, &u);
    if (rc) goto out;
    if (role) memcpy(u.role, role, strlen(role) + 1);
    if (departments) memcpy(u.departments, departments, strlen(departments) + 1);
    if (u.departments[0] && strcmp(u.role, "hrbp") != 0) {
        rc = HARK_EINVAL; /* only an hrbp has a department scope */
        goto out;
    }
    if (disabled == 0) u.disabled_at = 0;
    if (disabled == 1 && !u.disabled_at) u.disabled_at = now;
    /* disabled_at is NULL for an active user: bind NULL through 's'. */
    if (u.disabled_at)
        rc = store__q_exec(c, &Q_USER_UPDATE, NULL, "ssiii", u.role, u.departments, u.disabled_at, tenant_id, id);
    else
        rc = store__q_exec(c, &Q_USER_UPDATE, NULL, "sssii", u.role, u.departments, (const char *)NULL, tenant_id, id);
out:
    return store__op_leave(c, scope, rc);
}

int store_admin_active_owners(store_conn *c, int64_t tenant_id, int64_t *n) {
    if (!c || !n) return HARK_EINVAL;
    return store__q_int(c, &Q_OWNERS, n, "i", tenant_id);
}

int store_admin_settings_get(store_conn *c, int64_t tenant_id, store_admin_settings *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__q(c, &Q_SETTINGS_GET, &q, "i", tenant_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1) {
        rc = STORE_Q_FIELD(q, 0, out->timezone);
        out->anon_k = (int)store__q_i64(q, 1);
        if (!rc) rc = STORE_Q_FIELD(q, 2, out->confidentiality);
    } else if (rc == 0) {
        rc = HARK_ENOTFOUND;
    }
    return store__q_close(q, rc);
}

int store_admin_settings_set(store_conn *c, int64_t tenant_id, const store_admin_settings *s) {
    enum op_scope scope;
    int64_t changes = 0;
    if (!c || !s) return HARK_EINVAL;
    if (!FITS(s->timezone) || !FITS(s->confidentiality)) return HARK_ETOOBIG;
    if (!s->timezone[0] || s->anon_k < STORE_ANON_K_MIN || s->anon_k > STORE_ANON_K_MAX ||
        !store__one_of(s->confidentiality, modes))
        return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_exec(c, &Q_SETTINGS_SET, &changes, "sisi", s->timezone, (int64_t)s->anon_k, s->confidentiality,
                       tenant_id);
    if (rc == HARK_OK && changes == 0) rc = HARK_ENOTFOUND;
    return store__op_leave(c, scope, rc);
}

static int read_token(store_q *q, store_api_token *t) {
    memset(t, 0, sizeof *t);
    t->id = store__q_i64(q, 0);
    t->tenant_id = store__q_i64(q, 1);
    int rc = STORE_Q_FIELD(q, 2, t->name);
    if (!rc) rc = STORE_Q_FIELD(q, 3, t->prefix);
    t->scopes = (uint32_t)store__q_i64(q, 4);
    t->created_by = store__q_i64(q, 5);
    t->created_at = store__q_i64(q, 6);
    t->last_used_at = store__q_i64(q, 7);
    t->revoked_at = store__q_i64(q, 8);
    return rc;
}

int store_admin_token_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_api_token *out, size_t max,
                           size_t *n) {
    store_q *q;
    if (!c || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (!max) return HARK_OK;
    int rc = store__q(c, &Q_TOKEN_LIST, &q, "iii", tenant_id, after_id, (int64_t)max);
    if (rc) return rc;
    while (*n < max) {
        rc = store__q_step(q);
        if (rc != 1) break;
        rc = read_token(q, &out[*n]);
        if (rc) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

int store_admin_token_get(store_conn *c, int64_t tenant_id, int64_t id, store_api_token *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__q(c, &Q_TOKEN_GET, &q, "ii", tenant_id, id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1)
        rc = read_token(q, out);
    else if (rc == 0)
        rc = HARK_ENOTFOUND;
    return store__q_close(q, rc);
}

int store_admin_token_revoke(store_conn *c, int64_t tenant_id, int64_t id, int64_t now, int *changed) {
    enum op_scope scope;
    store_api_token t;
    int64_t changes = 0;
    if (changed) *changed = 0;
    if (!c) return HARK_EINVAL;
    if (!now) now = hark_now_ms();
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store_admin_token_get(c, tenant_id, id, &t);
    if (rc == HARK_OK) rc = store__q_exec(c, &Q_TOKEN_REVOKE, &changes, "iii", now, tenant_id, id);
    if (rc == HARK_OK && changed) *changed = changes > 0;
    return store__op_leave(c, scope, rc);
}
