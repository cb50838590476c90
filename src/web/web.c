/* The web module (web.h): its life cycle, how its answers are sent (security
 * headers, no-store, the API's error shape), how JSON bodies are read within
 * bounds, the store writes nobody waits for, and the periodic sweep of dead
 * session rows. Authenticating a request is in web_auth.c; the sign-in
 * routes are in web_session.c. Everything runs on the loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "web/web_api.h"
#include "web/web_int.h"

_Static_assert(STORE_HASH_BYTES == AUTH_HASH_BYTES, "the store keeps auth's token hashes");

/* ---- answers ---- */

void web__headers(web_module *m, http_req *req) {
    for (const auth_header *h = auth_security_headers(m->https); h->name; h++) http_add_header(req, h->name, h->value);
    http_add_header(req, "Cache-Control", "no-store");
}

void web__retry_after(http_req *req, int64_t wait_ms) {
    char v[24];
    int64_t s = wait_ms <= 0 ? 1 : (wait_ms + 999) / 1000;
    snprintf(v, sizeof v, "%lld", (long long)s);
    http_add_header(req, "Retry-After", v);
}

void web__clear_cookie(web_module *m, http_req *req) {
    char sc[AUTH_SET_COOKIE_MAX];
    if (auth_cookie_clear(sc, sizeof sc, m->https) == HARK_OK) http_add_header(req, "Set-Cookie", sc);
}

void web_respond_json(web_module *m, http_req *req, int status, const char *json, size_t len) {
    web__headers(m, req);
    http_respond(req, status, "application/json", json, len);
}

void web_respond_value(web_module *m, http_req *req, int status, const json_t *root) {
    char *s = json_dumps(root, JSON_COMPACT);
    if (!s) {
        web_respond_error(m, req, 500, "internal", "the answer could not be written");
        return;
    }
    web_respond_json(m, req, status, s, strlen(s));
    free(s);
}

void web_respond_error(web_module *m, http_req *req, int status, const char *code, const char *message) {
    web__headers(m, req);
    http_respond_error(req, status, code, message);
}

void web_respond_empty(web_module *m, http_req *req, int status) {
    web__headers(m, req);
    http_respond(req, status, NULL, NULL, 0);
}

/* ---- JSON bodies ---- */

/* Whether the Content-Type value CT names TYPE (parameters ignored). */
static int media_type_is(const char *ct, const char *type) {
    size_t n = strlen(type);
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, type, n) != 0) return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t') ct++;
    return *ct == '\0' || *ct == ';';
}

/* Whether the JSON text S (N bytes) nests arrays and objects deeper than MAX.
 * A pre-scan, so a hostile body cannot make the parser recurse: brackets
 * inside strings do not count. */
static int json_too_deep(const char *s, size_t n, int max) {
    int depth = 0, in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (ch == '\\')
                esc = 1;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (++depth > max) return 1;
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return 0;
}

json_t *web_read_json(web_module *m, http_req *req, size_t max_bytes) {
    const char *ct = http_header(req, "Content-Type");
    size_t len = 0;
    const char *body = http_body(req, &len);
    json_error_t e;
    if (!ct || !media_type_is(ct, "application/json")) {
        web_respond_error(m, req, 415, "unsupported_media_type", "the body must be application/json");
        return NULL;
    }
    if (len > max_bytes) {
        web_respond_error(m, req, 413, "too_large", "the body is too large");
        return NULL;
    }
    if (!body || len == 0) {
        web_respond_error(m, req, 400, "bad_request", "a JSON body is required");
        return NULL;
    }
    if (json_too_deep(body, len, WEB_JSON_MAX_DEPTH)) {
        web_respond_error(m, req, 400, "bad_request", "the JSON body is nested too deeply");
        return NULL;
    }
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        web_respond_error(m, req, 400, "bad_request", "the body is not valid JSON");
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        web_respond_error(m, req, 400, "bad_request", "the body must be a JSON object");
        return NULL;
    }
    return root;
}

/* ---- store writes nobody waits for ---- */

enum bg_kind { BG_SESSION_TOUCH, BG_SESSION_DELETE, BG_TOKEN_TOUCH };

typedef struct bg_job {
    enum bg_kind kind;
    int64_t tenant_id, id, now;
    unsigned char hash[AUTH_HASH_BYTES];
} bg_job;

static const char *const bg_names[] = {"session touch", "session delete", "token touch"};

static int bg_work(store_conn *c, void *arg) {
    bg_job *j = arg;
    switch (j->kind) {
    case BG_SESSION_TOUCH: return store_session_touch(c, j->tenant_id, j->hash, j->now);
    case BG_SESSION_DELETE: return store_session_delete(c, j->tenant_id, j->hash);
    case BG_TOKEN_TOUCH: return store_api_token_touch(c, j->tenant_id, j->id, j->now);
    }
    return HARK_EINVAL;
}

static void bg_done(void *arg, int status) {
    bg_job *j = arg;
    if (status && status != HARK_ENOTFOUND)
        log_warn("web: %s for tenant %lld failed: %s", bg_names[j->kind], (long long)j->tenant_id,
                 hark_strerror(status));
    free(j);
}

static void bg_submit(web_module *m, enum bg_kind kind, int64_t tenant_id, int64_t id, const unsigned char *hash,
                      int64_t now) {
    bg_job *j = calloc(1, sizeof *j);
    if (!j) {
        log_warn("web: %s skipped: out of memory", bg_names[kind]);
        return;
    }
    j->kind = kind;
    j->tenant_id = tenant_id;
    j->id = id;
    j->now = now;
    if (hash) memcpy(j->hash, hash, AUTH_HASH_BYTES);
    int rc = store_submit(m->st, STORE_WRITE, bg_work, bg_done, j);
    if (rc) {
        log_warn("web: %s skipped: %s", bg_names[kind], hark_strerror(rc));
        free(j);
    }
}

void web__bg_session_touch(web_module *m, int64_t tenant_id, const unsigned char hash[AUTH_HASH_BYTES], int64_t now) {
    bg_submit(m, BG_SESSION_TOUCH, tenant_id, 0, hash, now);
}

void web__bg_session_delete(web_module *m, int64_t tenant_id, const unsigned char hash[AUTH_HASH_BYTES]) {
    bg_submit(m, BG_SESSION_DELETE, tenant_id, 0, hash, 0);
}

void web__bg_token_touch(web_module *m, int64_t tenant_id, int64_t token_id, int64_t now) {
    bg_submit(m, BG_TOKEN_TOUCH, tenant_id, token_id, NULL, now);
}

/* ---- the sweep of dead sessions ---- */

/* Expired sessions are refused at their next request whatever happens; the
 * sweep only removes the rows of those nobody presents again. */
typedef struct sweep_job {
    web_module *m;
    int64_t now, n;
} sweep_job;

static int sweep_work(store_conn *c, void *arg) {
    sweep_job *j = arg;
    return store_sessions_sweep(c, j->now - AUTH_IDLE_TIMEOUT_MS, j->now - AUTH_ABSOLUTE_TIMEOUT_MS, &j->n);
}

static void sweep_done(void *arg, int status) {
    sweep_job *j = arg;
    j->m->sweeping = 0;
    if (status)
        log_warn("web: sweeping expired sessions failed: %s", hark_strerror(status));
    else if (j->n)
        log_debug("web: %lld expired sessions removed", (long long)j->n);
    free(j);
}

static void on_sweep(uv_timer_t *t) {
    web_module *m = t->data;
    if (m->sweeping || m->stopped) return;
    sweep_job *j = calloc(1, sizeof *j);
    if (!j) return;
    j->m = m;
    j->now = hark_now_ms();
    if (store_submit(m->st, STORE_WRITE, sweep_work, sweep_done, j)) {
        free(j); /* busy or stopping: the next round tries again */
        return;
    }
    m->sweeping = 1;
}

/* ---- life cycle ---- */

web_module *web_new(uv_loop_t *loop, net_server *net, store *st, const web_opts *opts) {
    web_module *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->loop = loop;
    m->net = net;
    m->st = st;
    memcpy(m->key, opts->key, sizeof m->key);
    m->https = opts->public_url && strncasecmp(opts->public_url, "https://", 8) == 0;
    m->allowed_origins = strdup(opts->allowed_origins ? opts->allowed_origins : "");
    m->throttle = auth_throttle_new(WEB_THROTTLE_ENTRIES, NULL, NULL);
    if (!m->allowed_origins || !m->throttle || web__router_init(m)) {
        auth_throttle_free(m->throttle);
        free(m->allowed_origins);
        free(m);
        return NULL;
    }
    uv_timer_init(loop, &m->sweep);
    m->sweep.data = m;
    uv_timer_start(&m->sweep, on_sweep, WEB_SWEEP_FIRST_MS, WEB_SWEEP_EVERY_MS);
    if (!m->https) log_info("web: public_url is not https: the session cookie is sent without Secure");
    return m;
}

void web_stop(web_module *m) {
    if (!m || m->stopped) return;
    m->stopped = 1;
    uv_timer_stop(&m->sweep);
    uv_close((uv_handle_t *)&m->sweep, NULL);
}

void web_free(web_module *m) {
    if (!m) return;
    auth_throttle_free(m->throttle);
    free(m->allowed_origins);
    free(m);
}
