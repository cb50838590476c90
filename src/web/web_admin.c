/* API routes for administration (web_api.h): the route table of users,
 * tenant settings, API tokens and the audit log, the users endpoints, and
 * the helpers the three files share (web_admin_int.h). Settings are in
 * web_admin_settings.c, tokens and the audit log in web_admin_tokens.c.
 *
 * Rank rules for users: an owner manages everyone; an admin manages hrbp
 * and viewer users only (creates, changes, resets, and never gives the
 * owner or admin role); nobody may leave the tenant without an active
 * owner. Disabling a user, changing their role or resetting their password
 * ends their sessions in the same store job, so their next request is 401.
 *
 * A new or reset password is 20 random characters, hashed with argon2id on
 * libuv's thread pool (never on the loop or a store thread), shown once in
 * the answer and never logged or audited. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/email.h"
#include "core/err.h"
#include "core/log.h"
#include "store/admin.h"
#include "store/audit.h"
#include "web/web_admin_int.h"
#include "web/web_int.h"

#define USER_BODY_MAX    8192
#define PASSWORD_LEN     20
#define ADMIN_HASHES_MAX 4 /* password hashes in flight (19 MiB each); more at once: 503 */

/* ---- shared helpers (web_admin_int.h) ---- */

int admin_refuse(admin_refusal *r, int status, const char *code, const char *fmt, ...) {
    va_list ap;
    r->status = status;
    r->code = code;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return ADMIN_REFUSED;
}

int admin_reply_failure(web_call *call, const admin_refusal *r, int status) {
    if (r && r->status) {
        web_reply_error(call, r->status, r->code, r->message);
        return 1;
    }
    if (status) {
        web_reply_status(call, status);
        return 1;
    }
    return 0;
}

void admin_bad_request(web_call *call, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    web_reply_error(call, 400, "bad_request", msg);
}

/* A positive decimal id of at most 18 digits, or 0. */
static int64_t parse_id(const char *s) {
    size_t n = strlen(s);
    int64_t v = 0;
    if (n == 0 || n > 18 || s[0] == '0') return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int admin_page_params(web_call *call, const char *cursor, int64_t *cursor_id, size_t def, size_t *limit) {
    char v[32];
    *cursor_id = 0;
    *limit = def;
    int rc = web_call_param(call, cursor, v, sizeof v);
    if (rc == HARK_EINVAL) return rc;
    if (rc == HARK_OK) {
        *cursor_id = parse_id(v);
        if (!*cursor_id) {
            admin_bad_request(call, "%s: must be a positive id", cursor);
            return HARK_EINVAL;
        }
    }
    rc = web_call_param(call, "limit", v, sizeof v);
    if (rc == HARK_EINVAL) return rc;
    if (rc == HARK_OK) {
        int64_t n = parse_id(v);
        if (n < 1 || n > ADMIN_PAGE_MAX) {
            admin_bad_request(call, "limit: must be an integer from 1 to %d", ADMIN_PAGE_MAX);
            return HARK_EINVAL;
        }
        *limit = (size_t)n;
    }
    return HARK_OK;
}

json_t *admin_time(int64_t ms) {
    return ms ? json_integer((json_int_t)ms) : json_null();
}

/* ---- users ---- */

/* Whether a user of role CALLER may manage (create, change, reset) a user of
 * role ROLE, or give that role. */
static int may_manage(const char *caller, const char *role) {
    if (strcmp(caller, "owner") == 0) return 1;
    return strcmp(caller, "admin") == 0 && (strcmp(role, "hrbp") == 0 || strcmp(role, "viewer") == 0);
}

static int role_known(const char *r) {
    return !strcmp(r, "owner") || !strcmp(r, "admin") || !strcmp(r, "hrbp") || !strcmp(r, "viewer");
}

/* The names of a stored department scope as a JSON array (new reference). */
static json_t *departments_json(const char *text) {
    json_t *a = json_array();
    if (!a) return NULL;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (json_array_append_new(a, json_stringn(s, n))) {
            json_decref(a);
            return NULL;
        }
        if (!e) break;
        s = e + 1;
    }
    return a;
}

static json_t *user_json(const store_admin_user *u) {
    json_t *deps = departments_json(u->departments);
    if (!deps) return NULL;
    return json_pack("{s:I,s:s,s:s,s:o,s:b,s:o,s:I}", "id", (json_int_t)u->id, "email", u->email, "role", u->role,
                     "departments", deps, "disabled", u->disabled_at != 0, "disabled_at", admin_time(u->disabled_at),
                     "created_at", (json_int_t)u->created_at);
}

static json_t *user_json_item(const void *rows, size_t i) {
    return user_json((const store_admin_user *)rows + i);
}

static int64_t user_json_id(const void *rows, size_t i) {
    return ((const store_admin_user *)rows)[i].id;
}

/* Turns the JSON value V of "departments" (an array of names, or null for
 * none) into the stored text OUT (CAP bytes). Returns NULL, or the problem
 * (written into MSG, MSGLEN bytes) naming the field. */
static const char *take_departments(const json_t *v, char *out, size_t cap, char *msg, size_t msglen) {
    size_t len = 0, i;
    json_t *it;
    out[0] = '\0';
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_array(v)) return "departments: must be an array of department names";
    json_array_foreach(v, i, it) {
        const char *s = json_string_value(it);
        size_t n = s ? json_string_length(it) : 0;
        int ok = s && n >= 1 && n <= STORE_DEPARTMENT_MAX;
        for (size_t k = 0; ok && k < n; k++)
            if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) ok = 0;
        if (!ok) {
            snprintf(msg, msglen, "departments[%zu]: must be a name of 1 to %d bytes without control characters", i,
                     STORE_DEPARTMENT_MAX);
            return msg;
        }
        for (size_t k = 0; k < i; k++) {
            json_t *prev = json_array_get(v, k);
            if (json_string_length(prev) == n && memcmp(json_string_value(prev), s, n) == 0) {
                snprintf(msg, msglen, "departments[%zu]: repeats departments[%zu]", i, k);
                return msg;
            }
        }
        if (len + (len ? 1 : 0) + n >= cap) {
            snprintf(msg, msglen, "departments: at most %zu bytes in all (the names joined by newlines)", cap - 1);
            return msg;
        }
        if (len) out[len++] = '\n';
        memcpy(out + len, s, n);
        len += n;
        out[len] = '\0';
    }
    return NULL;
}

/* The first key of ROOT not in ALLOWED (NULL-terminated), or NULL. */
static const char *unknown_key(json_t *root, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0) ok = 1;
        if (!ok) return key;
    }
    return NULL;
}

enum user_op { USER_CREATE, USER_UPDATE, USER_RESET };

typedef struct user_job {
    web_call *call;
    enum user_op op;
    admin_refusal no;
    /* The request. */
    char email[EMAIL_MAX + 1];
    char role[16]; /* create: the role; update: "" = unchanged */
    char departments[sizeof((store_admin_user *)0)->departments];
    int has_departments;
    int disabled; /* update: -1 unchanged, 0 enable, 1 disable */
    /* The new password (create, reset). */
    uv_work_t work;
    int hash_rc;
    char password[PASSWORD_LEN + 1];
    char pwhash[AUTH_PWHASH_MAX];
    /* The result. */
    store_admin_user user;
} user_job;

static size_t hashing; /* password hashes in flight; loop thread only */

static void user_job_free(user_job *j) {
    sodium_memzero(j, sizeof *j);
    free(j);
}

static void user_done(void *arg, int status) {
    user_job *j = arg;
    web_call *call = j->call;
    if (admin_reply_failure(call, &j->no, status)) {
        user_job_free(j);
        return;
    }
    json_t *root = json_pack("{s:o}", "user", user_json(&j->user));
    if (root && j->op != USER_UPDATE && json_object_set_new(root, "password", json_string(j->password))) {
        json_decref(root);
        root = NULL;
    }
    if (!root) {
        web_reply_error(call, 500, "internal", "the answer could not be written");
    } else {
        log_conn(LOG_INFO, http_conn_id(call->req), "web: user %lld of tenant %lld %s by user %lld",
                 (long long)j->user.id, (long long)call->p.tenant_id,
                 j->op == USER_CREATE  ? "created"
                 : j->op == USER_RESET ? "given a new password"
                                       : "changed",
                 (long long)call->p.user_id);
        web_reply_value(call, j->op == USER_CREATE ? 201 : 200, root);
        /* The password is in ROOT's string: wipe it before it is freed. */
        json_t *pw = json_object_get(root, "password");
        if (pw) sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
        json_decref(root);
    }
    user_job_free(j);
}

/* The audit detail names the departments (organisation data, not personal
 * data), never the e-mail or the password. */
static int create_work(store_conn *c, void *arg) {
    user_job *j = arg;
    const web_principal *p = &j->call->p;
    char target[32];
    int rc = store_admin_user_create(c, p->tenant_id, j->email, j->pwhash, j->role, j->departments, 0, &j->user);
    if (rc == HARK_EEXISTS)
        return admin_refuse(&j->no, 409, "conflict", "email: the tenant has a user with this e-mail already");
    if (rc) return rc;
    snprintf(target, sizeof target, "user:%lld", (long long)j->user.id);
    json_t *d = json_pack("{s:s,s:o}", "role", j->role, "departments", departments_json(j->departments));
    if (!d) return HARK_ENOMEM;
    rc = web_audit(c, p, "user.create", target, d);
    json_decref(d);
    return rc;
}

static int reset_work(store_conn *c, void *arg) {
    user_job *j = arg;
    const web_principal *p = &j->call->p;
    char target[32];
    int64_t ended = 0;
    int rc = store_admin_user_get(c, p->tenant_id, j->call->id, &j->user);
    if (rc) return rc;
    if (!may_manage(p->role, j->user.role))
        return admin_refuse(&j->no, 403, "forbidden", "an admin cannot reset the password of an owner or an admin");
    if ((rc = store_user_set_pwhash(c, p->tenant_id, j->user.id, j->pwhash))) return rc;
    if ((rc = store_sessions_delete_user(c, p->tenant_id, j->user.id, &ended))) return rc;
    snprintf(target, sizeof target, "user:%lld", (long long)j->user.id);
    json_t *d = json_pack("{s:I}", "sessions_ended", (json_int_t)ended);
    if (!d) return HARK_ENOMEM;
    rc = web_audit(c, p, "user.password_reset", target, d);
    json_decref(d);
    return rc;
}

static void hash_work(uv_work_t *w) {
    user_job *j = w->data;
    j->hash_rc = auth_password_hash(j->password, strlen(j->password), j->pwhash);
}

static void hash_done(uv_work_t *w, int status) {
    user_job *j = w->data;
    web_call *call = j->call;
    hashing--;
    if (status || j->hash_rc) {
        log_conn(LOG_ERROR, http_conn_id(call->req), "web: cannot hash a new password: %s",
                 status ? "cancelled" : hark_strerror(j->hash_rc));
        user_job_free(j);
        web_reply_busy(call);
        return;
    }
    if (web_call_submit(call, STORE_WRITE, j->op == USER_CREATE ? create_work : reset_work, user_done, j))
        user_job_free(j);
}

/* Makes J's one-time password and hashes it on the thread pool; then the
 * write job of J's op runs. Ends the call on failure (J freed). */
static void password_start(user_job *j) {
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    web_call *call = j->call;
    if (hashing >= ADMIN_HASHES_MAX) {
        user_job_free(j);
        web_reply_busy(call);
        return;
    }
    for (int i = 0; i < PASSWORD_LEN; i++) j->password[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    j->password[PASSWORD_LEN] = '\0';
    j->work.data = j;
    if (uv_queue_work(call->m->loop, &j->work, hash_work, hash_done)) {
        user_job_free(j);
        web_reply_busy(call);
        return;
    }
    hashing++;
}

static user_job *user_job_new(web_call *call, enum user_op op) {
    user_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return NULL;
    }
    j->call = call;
    j->op = op;
    j->disabled = -1;
    return j;
}

/* Copies the string member NAME of ROOT (required when REQUIRED) into OUT
 * (CAP bytes). NULL, or the problem naming the field (in MSG). */
static const char *take_string(json_t *root, const char *name, int required, char *out, size_t cap, char *msg,
                               size_t msglen) {
    json_t *v = json_object_get(root, name);
    out[0] = '\0';
    if (!v && !required) return NULL;
    if (!json_is_string(v)) {
        snprintf(msg, msglen, "%s: must be a string", name);
        return msg;
    }
    size_t n = json_string_length(v);
    if (n == 0 || n >= cap || memchr(json_string_value(v), '\0', n)) {
        snprintf(msg, msglen, "%s: must be 1 to %zu bytes", name, cap - 1);
        return msg;
    }
    memcpy(out, json_string_value(v), n + 1);
    return NULL;
}

static void users_create(web_call *call) {
    static const char *const keys[] = {"email", "role", "departments", NULL};
    char msg[256];
    const char *bad;
    json_t *root = web_call_body(call, USER_BODY_MAX);
    if (!root) return;
    user_job *j = user_job_new(call, USER_CREATE);
    if (!j) {
        json_decref(root);
        return;
    }
    const char *extra = unknown_key(root, keys);
    if (extra) {
        snprintf(msg, sizeof msg, "%.64s: unknown field (email, role, departments)", extra);
        bad = msg;
    } else {
        bad = take_string(root, "email", 1, j->email, sizeof j->email, msg, sizeof msg);
    }
    if (!bad) {
        const char *why = email_problem(j->email, strlen(j->email));
        if (why) {
            snprintf(msg, sizeof msg, "email: the address %s", why);
            bad = msg;
        }
    }
    if (!bad) bad = take_string(root, "role", 1, j->role, sizeof j->role, msg, sizeof msg);
    if (!bad && !role_known(j->role)) bad = "role: must be one of owner, admin, hrbp, viewer";
    if (!bad)
        bad = take_departments(json_object_get(root, "departments"), j->departments, sizeof j->departments, msg,
                               sizeof msg);
    if (!bad && j->departments[0] && strcmp(j->role, "hrbp") != 0) bad = "departments: only an hrbp has departments";
    json_decref(root);
    if (bad) {
        user_job_free(j);
        admin_bad_request(call, "%s", bad);
        return;
    }
    if (!may_manage(call->p.role, j->role)) {
        user_job_free(j);
        web_reply_error(call, 403, "forbidden", "role: an admin may create hrbp and viewer users only");
        return;
    }
    password_start(j);
}

static void users_reset(web_call *call) {
    user_job *j = user_job_new(call, USER_RESET);
    if (j) password_start(j);
}

static int update_work(store_conn *c, void *arg) {
    user_job *j = arg;
    const web_principal *p = &j->call->p;
    store_admin_user old;
    char target[32];
    int64_t ended = 0, owners = 0;
    int rc = store_admin_user_get(c, p->tenant_id, j->call->id, &old);
    if (rc) return rc;
    if (!may_manage(p->role, old.role))
        return admin_refuse(&j->no, 403, "forbidden", "an admin cannot change an owner or an admin");
    if (j->role[0] && !may_manage(p->role, j->role))
        return admin_refuse(&j->no, 403, "forbidden", "role: an admin may give the roles hrbp and viewer only");
    const char *role = j->role[0] ? j->role : old.role;
    int role_changed = strcmp(role, old.role) != 0;
    const char *deps = NULL;
    if (j->has_departments) {
        if (j->departments[0] && strcmp(role, "hrbp") != 0)
            return admin_refuse(&j->no, 400, "bad_request", "departments: only an hrbp has departments");
        deps = j->departments;
    } else if (role_changed && strcmp(role, "hrbp") != 0) {
        deps = ""; /* the scope goes with the hrbp role */
    }
    int disabling = j->disabled == 1 && !old.disabled_at;
    if (strcmp(old.role, "owner") == 0 && !old.disabled_at && (role_changed || disabling)) {
        if ((rc = store_admin_active_owners(c, p->tenant_id, &owners))) return rc;
        if (owners <= 1)
            return admin_refuse(&j->no, 409, "last_owner", "%s: the tenant's last active owner cannot be %s",
                                role_changed ? "role" : "disabled", role_changed ? "demoted" : "disabled");
    }
    rc = store_admin_user_update(c, p->tenant_id, old.id, role_changed ? role : NULL, deps, j->disabled, 0);
    if (rc) return rc;
    /* The role is read again at each request, but a changed role or a
     * disabled account ends the sessions all the same (auth.h). */
    if (role_changed || j->disabled == 1) {
        if ((rc = store_sessions_delete_user(c, p->tenant_id, old.id, &ended))) return rc;
    }
    if ((rc = store_admin_user_get(c, p->tenant_id, old.id, &j->user))) return rc;
    json_t *changed = json_array(), *d = json_object();
    if (!changed || !d) {
        json_decref(changed);
        json_decref(d);
        return HARK_ENOMEM;
    }
    if (role_changed) {
        json_array_append_new(changed, json_string("role"));
        json_object_set_new(d, "role", json_pack("{s:s,s:s}", "old", old.role, "new", j->user.role));
    }
    if (strcmp(old.departments, j->user.departments) != 0) {
        json_array_append_new(changed, json_string("departments"));
        json_object_set_new(d, "departments", departments_json(j->user.departments));
    }
    if (!old.disabled_at != !j->user.disabled_at) {
        json_array_append_new(changed, json_string("disabled"));
        json_object_set_new(d, "disabled", json_boolean(j->user.disabled_at != 0));
    }
    json_object_set_new(d, "sessions_ended", json_integer((json_int_t)ended));
    json_object_set_new(d, "changed", changed);
    snprintf(target, sizeof target, "user:%lld", (long long)old.id);
    /* A PATCH that changed nothing and ended no session is not audited. */
    if (json_array_size(changed) > 0 || ended > 0) rc = web_audit(c, p, "user.update", target, d);
    json_decref(d);
    return rc;
}

static void users_update(web_call *call) {
    static const char *const keys[] = {"role", "departments", "disabled", NULL};
    char msg[256];
    const char *bad = NULL;
    json_t *root = web_call_body(call, USER_BODY_MAX);
    if (!root) return;
    user_job *j = user_job_new(call, USER_UPDATE);
    if (!j) {
        json_decref(root);
        return;
    }
    const char *extra = unknown_key(root, keys);
    json_t *dis = json_object_get(root, "disabled"), *deps = json_object_get(root, "departments");
    if (extra) {
        snprintf(msg, sizeof msg, "%.64s: unknown field (role, departments, disabled)", extra);
        bad = msg;
    } else if (json_object_size(root) == 0) {
        bad = "body: give at least one of role, departments, disabled";
    }
    if (!bad && json_object_get(root, "role")) {
        bad = take_string(root, "role", 1, j->role, sizeof j->role, msg, sizeof msg);
        if (!bad && !role_known(j->role)) bad = "role: must be one of owner, admin, hrbp, viewer";
    }
    if (!bad && deps) {
        j->has_departments = 1;
        bad = take_departments(deps, j->departments, sizeof j->departments, msg, sizeof msg);
    }
    if (!bad && dis) {
        if (!json_is_boolean(dis))
            bad = "disabled: must be true or false";
        else
            j->disabled = json_is_true(dis);
    }
    json_decref(root);
    if (bad) {
        user_job_free(j);
        admin_bad_request(call, "%s", bad);
        return;
    }
    if (web_call_submit(call, STORE_WRITE, update_work, user_done, j)) user_job_free(j);
}

typedef struct users_list_job {
    web_call *call;
    int64_t after;
    size_t limit, n;
    store_admin_user rows[ADMIN_PAGE_MAX + 1];
} users_list_job;

void admin_reply_page(web_call *call, const char *key, const char *cursor, const void *rows, size_t n, size_t limit,
                      json_t *(*item)(const void *rows, size_t i), int64_t (*last_id)(const void *rows, size_t i)) {
    size_t shown = n > limit ? limit : n;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < shown; i++) {
        if (json_array_append_new(arr, item(rows, i))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    json_t *root =
        arr ? json_pack("{s:o,s:o}", key, arr, cursor,
                        n > limit && shown ? json_integer((json_int_t)last_id(rows, shown - 1)) : json_null())
            : NULL;
    if (root)
        web_reply_value(call, 200, root);
    else
        web_reply_error(call, 500, "internal", "the answer could not be written");
    json_decref(root);
}

static int users_list_work(store_conn *c, void *arg) {
    users_list_job *j = arg;
    return store_admin_user_list(c, j->call->p.tenant_id, j->after, j->rows, j->limit + 1, &j->n);
}

static void users_list_done(void *arg, int status) {
    users_list_job *j = arg;
    web_call *call = j->call;
    if (admin_reply_failure(call, NULL, status)) {
        free(j);
        return;
    }
    admin_reply_page(call, "users", "next_after", j->rows, j->n, j->limit, user_json_item, user_json_id);
    free(j);
}

static void users_list(web_call *call) {
    users_list_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (admin_page_params(call, "after", &j->after, 100, &j->limit)) {
        free(j);
        return;
    }
    if (web_call_submit(call, STORE_READ, users_list_work, users_list_done, j)) free(j);
}

const web_route web__admin_api[] = {
    {"GET", "/api/v1/users", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, users_list, NULL,
     "HR users of the tenant: e-mail, role, departments, disabled (after, limit)"},
    {"POST", "/api/v1/users", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, users_create, NULL,
     "create an HR user; the answer holds its one-time password"},
    {"PATCH", "/api/v1/users/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, users_update, NULL,
     "change a user's role, departments or disabled state (ends their sessions)"},
    {"POST", "/api/v1/users/{id}/password-reset", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, users_reset, NULL,
     "a new one-time password for a user (ends their sessions)"},
    {"GET", "/api/v1/settings", WEB_ROLES_ALL, WEB_SESSION_ONLY, admin_settings_get, NULL,
     "tenant settings: time zone, schedule, anonymity threshold, confidentiality"},
    {"PATCH", "/api/v1/settings", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, admin_settings_patch, NULL,
     "change tenant settings (anon_k and confidentiality: owner only)"},
    {"GET", "/api/v1/tokens", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, admin_tokens_list, NULL,
     "API tokens: name, prefix, scopes, use and revocation (never the secret)"},
    {"POST", "/api/v1/tokens", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, admin_tokens_create, NULL,
     "create an API token; the answer holds the token, shown once"},
    {"DELETE", "/api/v1/tokens/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, admin_tokens_revoke, NULL,
     "revoke an API token"},
    {"GET", "/api/v1/audit", WEB_ROLES_ADMIN, AUTH_SCOPE_READ_AUDIT, admin_audit_list, NULL,
     "the audit log, newest first (before, limit, action prefix)"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
