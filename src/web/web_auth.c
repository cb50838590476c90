/* Authenticating a request (web.h web_auth_request): a Bearer API token or
 * the session cookie, following auth.h's wiring. What needs no database is
 * checked first, on the loop (the token's shape, the Origin and the CSRF
 * token of an unsafe method); then one read job finds the row by the
 * token's hash, and its completion judges the row (expiry, disabled user,
 * revocation, scopes) and hands the principal to the endpoint. Rows found
 * dead are deleted, and last-use times written, by background jobs. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "web/web_int.h"

/* The principal copies these fields of the session row whole. */
#define SAME_SIZE(field) (sizeof(((web_principal *)0)->field) == sizeof(((store_session *)0)->field))
_Static_assert(SAME_SIZE(role) && SAME_SIZE(departments) && SAME_SIZE(email) && SAME_SIZE(tenant_slug),
               "web_principal and store_session fields");
#undef SAME_SIZE

typedef struct auth_job {
    web_module *m;
    http_req *req;
    uint32_t need;
    web_auth_fn done;
    void *arg;
    int via;
    unsigned char hash[AUTH_HASH_BYTES];
    char session[AUTH_SESSION_TOKEN_MAX];
    char bearer[AUTH_APITOKEN_MAX];
    size_t bearer_len;
    store_session s;
    store_api_token t;
    web_principal p;
} auth_job;

static void job_free(auth_job *j) {
    sodium_memzero(j, sizeof *j); /* the cookie and bearer token are secrets */
    free(j);
}

/* Answers REQ with an authentication failure and tells the endpoint. */
static void deny(web_module *m, http_req *req, web_auth_fn done, void *arg, int status, const char *code,
                 const char *message, int clear_cookie) {
    if (clear_cookie) web__clear_cookie(m, req);
    if (status == 401) http_add_header(req, "WWW-Authenticate", "Bearer realm=\"hark\"");
    if (status == 503) web__retry_after(req, 1000);
    web_respond_error(m, req, status, code, message);
    done(NULL, NULL, arg);
}

static void job_deny(auth_job *j, int status, const char *code, const char *message, int clear_cookie) {
    deny(j->m, j->req, j->done, j->arg, status, code, message, clear_cookie);
    job_free(j);
}

static void job_grant(auth_job *j) {
    j->done(j->req, &j->p, j->arg);
    job_free(j);
}

/* ---- sessions ---- */

static int session_work(store_conn *c, void *arg) {
    auth_job *j = arg;
    return store_session_get(c, j->hash, &j->s);
}

static void session_done(void *arg, int status) {
    auth_job *j = arg;
    web_module *m = j->m;
    int refresh = 0;
    int64_t now = hark_now_ms();
    if (status == HARK_ENOTFOUND) {
        job_deny(j, 401, "unauthenticated", "the session has ended: sign in again", 1);
        return;
    }
    if (status) {
        log_conn(LOG_ERROR, http_conn_id(j->req), "web: session look-up failed: %s", hark_strerror(status));
        job_deny(j, 503, "unavailable", "the service is busy, please retry", 0);
        return;
    }
    if (j->s.disabled_at) {
        web__bg_session_delete(m, j->s.tenant_id, j->hash);
        job_deny(j, 401, "unauthenticated", "the session has ended: sign in again", 1);
        return;
    }
    if (auth_session_check(j->s.created_at, j->s.last_seen_at, now, &refresh) != AUTH_SESSION_VALID) {
        web__bg_session_delete(m, j->s.tenant_id, j->hash);
        job_deny(j, 401, "unauthenticated", "the session has expired: sign in again", 1);
        return;
    }
    web_principal *p = &j->p;
    p->via = WEB_VIA_SESSION;
    p->tenant_id = j->s.tenant_id;
    p->user_id = j->s.user_id;
    memcpy(p->role, j->s.role, sizeof p->role);
    memcpy(p->departments, j->s.departments, sizeof p->departments);
    memcpy(p->email, j->s.email, sizeof p->email);
    memcpy(p->tenant_slug, j->s.tenant_slug, sizeof p->tenant_slug);
    memcpy(p->session, j->session, sizeof p->session);
    memcpy(p->session_hash, j->hash, sizeof p->session_hash);
    p->created_at = j->s.created_at;
    p->last_seen_at = j->s.last_seen_at;
    if (refresh) {
        web__bg_session_touch(m, j->s.tenant_id, j->hash, now);
        p->last_seen_at = now;
    }
    job_grant(j);
}

/* Reads the session cookie. 0 with the token in J->session and its hash, or
 * an answer already sent (1). */
static int session_start(auth_job *j) {
    web_module *m = j->m;
    http_req *req = j->req;
    int rc = auth_cookie_get(http_header(req, "Cookie"), auth_cookie_name(m->https), j->session, sizeof j->session);
    if (rc == HARK_ENOTFOUND) {
        job_deny(j, 401, "unauthenticated", "sign in first", 0);
        return 1;
    }
    if (rc || auth_session_hash(j->session, strlen(j->session), j->hash)) {
        job_deny(j, 401, "unauthenticated", "the session cookie is not valid: sign in again", 1);
        return 1;
    }
    if (!auth_method_is_safe(http_method(req))) {
        /* A state-changing request must come from our own pages: the
         * browser's Origin says where it was made, the CSRF token proves the
         * page could read our answers. */
        if (!auth_origin_ok(http_header(req, "Origin"), http_header(req, "Host"), m->allowed_origins)) {
            job_deny(j, 403, "bad_origin", "requests from this origin are not allowed", 0);
            return 1;
        }
        if (auth_csrf_check(m->key, j->session, strlen(j->session), http_header(req, "X-CSRF-Token"))) {
            job_deny(j, 403, "bad_csrf", "the X-CSRF-Token header is missing or wrong", 0);
            return 1;
        }
    }
    return 0;
}

/* ---- API tokens ---- */

static int token_work(store_conn *c, void *arg) {
    auth_job *j = arg;
    return store_api_token_by_hash(c, j->hash, &j->t);
}

static void token_done(void *arg, int status) {
    auth_job *j = arg;
    int64_t now = hark_now_ms();
    if (status == HARK_ENOTFOUND) {
        job_deny(j, 401, "bad_token", "the API token is not valid", 0);
        return;
    }
    if (status) {
        log_conn(LOG_ERROR, http_conn_id(j->req), "web: API token look-up failed: %s", hark_strerror(status));
        job_deny(j, 503, "unavailable", "the service is busy, please retry", 0);
        return;
    }
    if (auth_apitoken_verify(j->bearer, j->bearer_len, j->t.token_hash) || j->t.revoked_at) {
        job_deny(j, 401, "bad_token", "the API token is not valid", 0);
        return;
    }
    if (j->need == WEB_SESSION_ONLY) {
        job_deny(j, 403, "forbidden", "API tokens cannot use this endpoint", 0);
        return;
    }
    if (!auth_scopes_allow(j->t.scopes, j->need)) {
        job_deny(j, 403, "insufficient_scope", "the API token lacks a scope this endpoint needs", 0);
        return;
    }
    if (now - j->t.last_used_at >= AUTH_REFRESH_INTERVAL_MS) web__bg_token_touch(j->m, j->t.tenant_id, j->t.id, now);
    j->p.via = WEB_VIA_TOKEN;
    j->p.tenant_id = j->t.tenant_id;
    j->p.scopes = j->t.scopes;
    j->p.token_id = j->t.id;
    job_grant(j);
}

/* Takes the Bearer token TOK (LEN bytes; BRC is what auth_bearer_token
 * said). 0, or an answer already sent (1). */
static int token_start(auth_job *j, int brc, const char *tok, size_t len) {
    if (brc || len >= sizeof j->bearer || auth_apitoken_hash(tok, len, j->hash)) {
        job_deny(j, 401, "bad_token", "the API token is not valid", 0);
        return 1;
    }
    memcpy(j->bearer, tok, len);
    j->bearer_len = len;
    return 0;
}

/* ---- entry ---- */

void web_auth_request(web_module *m, http_req *req, uint32_t need_scopes, web_auth_fn done, void *arg) {
    auth_job *j = calloc(1, sizeof *j);
    if (!j) {
        deny(m, req, done, arg, 503, "unavailable", "the service is busy, please retry", 0);
        return;
    }
    j->m = m;
    j->req = req;
    j->need = need_scopes;
    j->done = done;
    j->arg = arg;
    /* A Bearer token decides alone: no cookie and no CSRF token is
     * consulted, since no browser sends one on its own. Another scheme
     * (Basic from a proxy in front, say) is not ours: the cookie decides. */
    const char *tok = NULL;
    size_t len = 0;
    int brc = auth_bearer_token(http_header(req, "Authorization"), &tok, &len);
    int bearer = brc != HARK_ENOTFOUND;
    store_work_fn work = bearer ? token_work : session_work;
    store_done_fn fin = bearer ? token_done : session_done;
    if (bearer ? token_start(j, brc, tok, len) : session_start(j)) return;
    int rc = store_submit(m->st, STORE_READ, work, fin, j);
    if (rc) {
        if (rc != HARK_ECLOSED) log_conn(LOG_WARN, http_conn_id(req), "web: authentication: %s", hark_strerror(rc));
        job_deny(j, 503, "unavailable", "the service is busy, please retry", 0);
    }
}
