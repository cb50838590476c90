/* The sign-in routes (web.h): POST /api/v1/session signs in, GET tells who
 * is signed in (and the CSRF token the page needs), DELETE signs out.
 *
 * A sign-in goes loop -> store read (tenant and user) -> thread pool
 * (argon2id; a dummy hash when there is no such tenant, user or active
 * account, so the time taken tells nothing) -> loop (throttle verdict) ->
 * store write (the new session row; the old session the browser carried
 * deleted; a rehash stored) -> loop (answer). Every refusal of a credential
 * is the same 401, whichever part was wrong. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "web/web_api.h"
#include "web/web_int.h"

#define LOGIN_BODY_MAX  8192 /* tenant, e-mail and a password of AUTH_PASSWORD_MAX, with room for escapes */
#define LOGIN_SLUG_MAX  63
#define LOGIN_EMAIL_MAX 254

typedef struct login_job {
    web_module *m;
    http_req *req;
    char slug[LOGIN_SLUG_MAX + 1];
    char email[LOGIN_EMAIL_MAX + 1];
    char account[LOGIN_SLUG_MAX + 1 + LOGIN_EMAIL_MAX + 1]; /* the throttle's key: slug/email */
    char addr[64];                                          /* the throttle's other key */
    char password[AUTH_PASSWORD_MAX];
    size_t pwlen;
    int has_old; /* the request carried a session cookie: its row is deleted */
    unsigned char old_hash[AUTH_HASH_BYTES];
    /* The read job. */
    int found; /* an active user of an existing tenant */
    store_user user;
    char tenant_slug[64];
    /* The password check (thread pool). */
    uv_work_t work;
    int verify_rc, needs_rehash, rehash_rc;
    char newhash[AUTH_PWHASH_MAX];
    /* The new session. */
    int64_t now;
    char token[AUTH_SESSION_TOKEN_MAX];
    unsigned char hash[AUTH_HASH_BYTES];
} login_job;

static void login_free(login_job *j) {
    j->m->logins--;
    sodium_memzero(j, sizeof *j); /* password, hashes and the new token */
    free(j);
}

static void login_fail_busy(login_job *j) {
    web__retry_after(j->req, 1000);
    web_respond_error(j->m, j->req, 503, "unavailable", "the service is busy, please retry");
    login_free(j);
}

/* ---- 5: the answer ---- */

static void login_write_done(void *arg, int status) {
    login_job *j = arg;
    web_module *m = j->m;
    char cookie[AUTH_SET_COOKIE_MAX], csrf[AUTH_CSRF_MAX];
    if (status) {
        log_conn(LOG_ERROR, http_conn_id(j->req), "web: cannot store a new session: %s", hark_strerror(status));
        login_fail_busy(j);
        return;
    }
    auth_csrf_token(m->key, j->token, strlen(j->token), csrf);
    json_t *root =
        json_pack("{s:{s:s,s:s},s:s,s:s,s:I}", "user", "email", j->user.email, "role", j->user.role, "tenant",
                  j->tenant_slug, "csrf_token", csrf, "expires_at", (json_int_t)auth_session_deadline(j->now, j->now));
    if (!root || auth_cookie_build(cookie, sizeof cookie, m->https, j->token)) {
        json_decref(root);
        web_respond_error(m, j->req, 500, "internal", "the session could not be started");
        login_free(j);
        return;
    }
    log_conn(LOG_INFO, http_conn_id(j->req), "web: user %lld of tenant %lld signed in", (long long)j->user.id,
             (long long)j->user.tenant_id);
    http_add_header(j->req, "Set-Cookie", cookie);
    web_respond_value(m, j->req, 200, root);
    json_decref(root);
    login_free(j);
}

/* ---- 4: store the session (store thread) ---- */

static int login_write(store_conn *c, void *arg) {
    login_job *j = arg;
    store_session s;
    if (j->has_old) {
        /* Signing in again replaces the session the browser had, so a token
         * planted before sign-in (session fixation) or a stale one dies. */
        store_session old;
        int rc = store_session_get(c, j->old_hash, &old);
        if (rc == HARK_OK) rc = store_session_delete(c, old.tenant_id, j->old_hash);
        if (rc && rc != HARK_ENOTFOUND) return rc;
    }
    if (j->needs_rehash && j->rehash_rc == HARK_OK) {
        /* Best effort: a failure only leaves the old hash until next time. */
        int rc = store_user_set_pwhash(c, j->user.tenant_id, j->user.id, j->newhash);
        if (rc)
            log_warn("web: cannot store the new password hash of user %lld: %s", (long long)j->user.id,
                     hark_strerror(rc));
    }
    memset(&s, 0, sizeof s);
    memcpy(s.token_hash, j->hash, sizeof s.token_hash);
    s.tenant_id = j->user.tenant_id;
    s.user_id = j->user.id;
    s.created_at = s.last_seen_at = j->now;
    return store_session_create(c, &s);
}

/* ---- 3: the verdict (loop) ---- */

static void verify_done(uv_work_t *w, int status) {
    login_job *j = w->data;
    web_module *m = j->m;
    int64_t now = hark_now_ms();
    if (status) {
        auth_throttle_release(m->throttle, j->account, j->addr, now);
        login_fail_busy(j);
        return;
    }
    if (j->verify_rc) {
        if (j->verify_rc == HARK_EINVAL)
            log_warn("web: user %lld has a stored password hash that is not one", (long long)j->user.id);
        auth_throttle_fail(m->throttle, j->account, j->addr, now);
        log_conn(LOG_INFO, http_conn_id(j->req), "web: sign-in refused");
        http_add_header(j->req, "WWW-Authenticate", "Bearer realm=\"hark\"");
        web_respond_error(m, j->req, 401, "bad_credentials", "the tenant, e-mail or password is wrong");
        login_free(j);
        return;
    }
    auth_throttle_success(m->throttle, j->account, j->addr, now);
    j->now = now;
    auth_session_new(j->token, j->hash);
    int rc = store_submit(m->st, STORE_WRITE, login_write, login_write_done, j);
    if (rc) login_fail_busy(j);
}

/* ---- 2: the password check (thread pool) ---- */

static void verify_work(uv_work_t *w) {
    login_job *j = w->data;
    j->verify_rc = auth_password_verify(j->found ? j->user.pwhash : NULL, j->password, j->pwlen, &j->needs_rehash);
    if (j->verify_rc == HARK_OK && j->needs_rehash)
        j->rehash_rc = auth_password_hash(j->password, j->pwlen, j->newhash);
    sodium_memzero(j->password, sizeof j->password);
}

/* ---- 1: find the user (store thread, then loop) ---- */

static int login_read(store_conn *c, void *arg) {
    login_job *j = arg;
    store_tenant t;
    int rc = store_tenant_by_slug(c, j->slug, &t);
    if (rc == HARK_ENOTFOUND) return HARK_OK; /* found stays 0: the dummy check runs */
    if (rc) return rc;
    rc = store_user_by_email(c, t.id, j->email, &j->user);
    if (rc == HARK_ENOTFOUND) return HARK_OK;
    if (rc) return rc;
    memcpy(j->tenant_slug, t.slug, sizeof j->tenant_slug);
    j->found = j->user.disabled_at == 0;
    return HARK_OK;
}

static void login_read_done(void *arg, int status) {
    login_job *j = arg;
    web_module *m = j->m;
    if (status == HARK_OK) {
        j->work.data = j;
        status = uv_queue_work(m->loop, &j->work, verify_work, verify_done) ? HARK_EBUSY : HARK_OK;
    } else {
        log_conn(LOG_ERROR, http_conn_id(j->req), "web: sign-in look-up failed: %s", hark_strerror(status));
    }
    if (status) {
        auth_throttle_release(m->throttle, j->account, j->addr, hark_now_ms());
        login_fail_busy(j);
    }
}

/* Copies the string member NAME of ROOT into OUT (CAP bytes, NUL-terminated)
 * and its length into *LEN (if not NULL); NUL_OK allows NUL bytes inside.
 * Returns NULL, or why the member cannot be used (for the 400 answer). */
static const char *take_string(json_t *root, const char *name, char *out, size_t cap, size_t *len, int nul_ok) {
    json_t *v = json_object_get(root, name);
    if (!json_is_string(v)) return "tenant, email and password are required strings";
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap) return "a field is too long";
    if (!nul_ok && memchr(s, '\0', n)) return "a field holds a NUL character";
    memcpy(out, s, n);
    out[n] = '\0';
    if (len) *len = n;
    return NULL;
}

static void session_post(http_req *req, void *ud) {
    web_module *m = ud;
    char pw[AUTH_PASSWORD_MAX + 1];
    const char *bad = NULL;
    size_t pwlen = 0;
    if (!auth_origin_ok(http_header(req, "Origin"), http_header(req, "Host"), m->allowed_origins)) {
        web_respond_error(m, req, 403, "bad_origin", "requests from this origin are not allowed");
        return;
    }
    json_t *root = web_read_json(m, req, LOGIN_BODY_MAX);
    if (!root) return;
    login_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(root);
        web__retry_after(req, 1000);
        web_respond_error(m, req, 503, "unavailable", "the service is busy, please retry");
        return;
    }
    j->m = m;
    j->req = req;
    m->logins++;
    bad = take_string(root, "tenant", j->slug, sizeof j->slug, NULL, 0);
    if (!bad) bad = take_string(root, "email", j->email, sizeof j->email, NULL, 0);
    if (!bad) bad = take_string(root, "password", pw, sizeof pw, &pwlen, 1);
    json_decref(root);
    if (!bad && (!j->slug[0] || !j->email[0] || !pwlen)) bad = "tenant, email and password must not be empty";
    if (bad) {
        sodium_memzero(pw, sizeof pw);
        web_respond_error(m, req, 400, "bad_request", bad);
        login_free(j);
        return;
    }
    memcpy(j->password, pw, pwlen);
    j->pwlen = pwlen;
    sodium_memzero(pw, sizeof pw);
    /* Slugs are lower case; people type them as they like. */
    for (char *p = j->slug; *p; p++) *p = (char)tolower((unsigned char)*p);
    snprintf(j->account, sizeof j->account, "%s/%s", j->slug, j->email);
    snprintf(j->addr, sizeof j->addr, "%s", http_remote_addr(req) ? http_remote_addr(req) : "");
    if (m->logins > WEB_LOGINS_MAX) {
        log_conn(LOG_WARN, http_conn_id(req), "web: too many sign-ins at once");
        login_fail_busy(j);
        return;
    }
    int64_t wait = auth_throttle_check(m->throttle, j->account, j->addr, hark_now_ms());
    if (wait > 0) {
        log_conn(LOG_INFO, http_conn_id(req), "web: sign-in throttled for %lld ms", (long long)wait);
        web__retry_after(req, wait);
        web_respond_error(m, req, 429, "rate_limited", "too many failed sign-ins: wait before trying again");
        login_free(j);
        return;
    }
    char old[AUTH_SESSION_TOKEN_MAX];
    if (auth_cookie_get(http_header(req, "Cookie"), auth_cookie_name(m->https), old, sizeof old) == HARK_OK &&
        auth_session_hash(old, strlen(old), j->old_hash) == HARK_OK)
        j->has_old = 1;
    sodium_memzero(old, sizeof old);
    int rc = store_submit(m->st, STORE_READ, login_read, login_read_done, j);
    if (rc) {
        auth_throttle_release(m->throttle, j->account, j->addr, hark_now_ms());
        login_fail_busy(j);
    }
}

/* ---- GET: who is signed in ---- */

static void session_get_done(http_req *req, const web_principal *p, void *arg) {
    web_module *m = arg;
    char csrf[AUTH_CSRF_MAX];
    if (!p) return;
    auth_csrf_token(m->key, p->session, strlen(p->session), csrf);
    json_t *root =
        json_pack("{s:{s:s,s:s},s:s,s:s,s:I}", "user", "email", p->email, "role", p->role, "tenant", p->tenant_slug,
                  "csrf_token", csrf, "expires_at", (json_int_t)auth_session_deadline(p->created_at, p->last_seen_at));
    if (!root) {
        web_respond_error(m, req, 500, "internal", "the answer could not be written");
        return;
    }
    web_respond_value(m, req, 200, root);
    json_decref(root);
}

static void session_get(http_req *req, void *ud) {
    web_module *m = ud;
    web_auth_request(m, req, WEB_SESSION_ONLY, session_get_done, m);
}

/* ---- DELETE: sign out ---- */

typedef struct logout_job {
    web_module *m;
    http_req *req;
    int64_t tenant_id;
    unsigned char hash[AUTH_HASH_BYTES];
} logout_job;

static int logout_work(store_conn *c, void *arg) {
    logout_job *j = arg;
    return store_session_delete(c, j->tenant_id, j->hash);
}

static void logout_done(void *arg, int status) {
    logout_job *j = arg;
    if (status && status != HARK_ENOTFOUND) {
        log_conn(LOG_ERROR, http_conn_id(j->req), "web: cannot end a session: %s", hark_strerror(status));
        web__retry_after(j->req, 1000);
        web_respond_error(j->m, j->req, 503, "unavailable", "the service is busy, please retry");
    } else {
        web__clear_cookie(j->m, j->req);
        web_respond_empty(j->m, j->req, 204);
    }
    free(j);
}

static void session_delete_auth(http_req *req, const web_principal *p, void *arg) {
    web_module *m = arg;
    if (!p) return;
    logout_job *j = calloc(1, sizeof *j);
    if (!j) {
        web__retry_after(req, 1000);
        web_respond_error(m, req, 503, "unavailable", "the service is busy, please retry");
        return;
    }
    j->m = m;
    j->req = req;
    j->tenant_id = p->tenant_id;
    memcpy(j->hash, p->session_hash, sizeof j->hash);
    if (store_submit(m->st, STORE_WRITE, logout_work, logout_done, j)) {
        free(j);
        web__retry_after(req, 1000);
        web_respond_error(m, req, 503, "unavailable", "the service is busy, please retry");
    }
}

static void session_delete(http_req *req, void *ud) {
    web_module *m = ud;
    web_auth_request(m, req, WEB_SESSION_ONLY, session_delete_auth, m);
}

const web_route web__session_api[] = {
    {"POST", "/api/v1/session", WEB_ROLES_PUBLIC, 0, NULL, session_post, "sign in: a session cookie and a CSRF token"},
    {"GET", "/api/v1/session", WEB_ROLES_PUBLIC, 0, NULL, session_get, "who is signed in, and a fresh CSRF token"},
    {"DELETE", "/api/v1/session", WEB_ROLES_PUBLIC, 0, NULL, session_delete, "sign out"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
