/* web: the HR dashboard and admin REST API under /api/v1 (docs: DESIGN.md
 * "HTTP surface"). This slice holds sign-in — POST, GET and DELETE
 * /api/v1/session — and web_auth_request, which every later endpoint calls
 * first to learn who is asking. It wires the pure authentication core
 * (auth.h) to net's routes and the store's jobs: database work runs on the
 * store's threads, password hashing on libuv's thread pool, and nothing
 * blocking runs on the loop. It never calls chat or outreach; it meets them
 * only in the database.
 *
 * Every answer of the module carries auth_security_headers and
 * Cache-Control: no-store, and errors have the API's shape
 * {"error":{"code":"...","message":"..."}}. Logs carry ids, never e-mails
 * or passwords. Everything here runs on the loop thread of NET. */
#ifndef HARK_WEB_H
#define HARK_WEB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/net.h"
#include "store/store.h"
#include "web/auth.h"

typedef struct web_module web_module;

typedef struct web_opts {
    unsigned char key[TOKEN_KEY_BYTES]; /* instance secret: CSRF tokens are derived from it */
    /* The public base URL (config_public_url). "https://..." means TLS ends
     * in front of Hark: the cookie becomes __Host- and Secure, and HSTS is
     * sent. Decided once here, never from a request header. */
    const char *public_url;
    /* Other origins allowed to send state-changing requests with the
     * session cookie (allowed_origins, comma-separated; "" or NULL for none).
     * The server's own origin is always allowed. Copied. */
    const char *allowed_origins;
} web_opts;

/* Creates the module and registers its routes on NET. The store must be
 * started (store_start) on LOOP. Returns NULL on allocation failure. */
web_module *web_new(uv_loop_t *loop, net_server *net, store *st, const web_opts *opts);

/* Stops the module's timer (the sweep of dead sessions); call once net has
 * shut down, while the loop runs. */
void web_stop(web_module *m);

/* Frees the module; only after the loop has ended (every job has completed). */
void web_free(web_module *m);

/* ---- who is asking ---- */

enum web_via {
    WEB_VIA_SESSION = 1, /* a signed-in browser: the session cookie (CSRF checked for unsafe methods) */
    WEB_VIA_TOKEN = 2,   /* an integration: Authorization: Bearer hark_... */
};

typedef struct web_principal {
    int via; /* enum web_via */
    int64_t tenant_id;
    int64_t user_id;        /* the signed-in user; 0 for an API token */
    char role[16];          /* owner, admin, hrbp, viewer; "" for an API token */
    char departments[1024]; /* the user's department scope as stored; "" for an API token */
    uint32_t scopes;        /* an API token's AUTH_SCOPE_* bits; 0 for a session (its role decides) */
    int64_t token_id;       /* the API token's id; 0 for a session */
    /* Sessions only. */
    char email[256];
    char tenant_slug[64];
    char session[AUTH_SESSION_TOKEN_MAX];        /* the cookie value: CSRF tokens derive from it */
    unsigned char session_hash[AUTH_HASH_BYTES]; /* its SHA-256, the row's key */
    int64_t created_at, last_seen_at;            /* Unix ms; last_seen_at counts this request */
} web_principal;

/* For NEED_SCOPES: the route is for signed-in users only, API tokens are
 * refused (user, token, flow, settings and webhook administration). */
#define WEB_SESSION_ONLY 0u

/* Called once with the principal (valid only during the call: copy what is
 * kept) and the request, which the callee must answer. When authentication
 * failed, P and REQ are NULL: the request has been answered (401, 403 or
 * 503) and only ARG is left to release. */
typedef void (*web_auth_fn)(http_req *req, const web_principal *p, void *arg);

/* Authenticates REQ, by its Bearer token or else its session cookie, and
 * calls DONE once, on the loop thread — possibly before this returns (a
 * request refused without a database look-up). Sessions: unknown, idle for
 * 30 minutes, older than 12 hours or of a disabled user -> 401 (and the
 * cookie is cleared, the row deleted); for a method that is not GET, HEAD or
 * OPTIONS, an Origin other than this server's or allowed_origins -> 403
 * bad_origin, and an X-CSRF-Token that is missing or wrong -> 403 bad_csrf;
 * last_seen_at is written at most once a minute. API tokens: unknown or
 * revoked -> 401; NEED_SCOPES WEB_SESSION_ONLY -> 403 forbidden; scopes that
 * do not cover NEED_SCOPES -> 403 insufficient_scope. Database trouble ->
 * 503 with Retry-After. */
void web_auth_request(web_module *m, http_req *req, uint32_t need_scopes, web_auth_fn done, void *arg);

/* ---- answers (for the module's endpoints) ---- */

/* Sends JSON (LEN bytes) with STATUS, the security headers and no-store. */
void web_respond_json(web_module *m, http_req *req, int status, const char *json, size_t len);
/* Serialises ROOT (not consumed) and sends it; 500 if it cannot be. */
void web_respond_value(web_module *m, http_req *req, int status, const json_t *root);
/* Sends {"error":{"code":CODE,"message":MESSAGE}} with STATUS. */
void web_respond_error(web_module *m, http_req *req, int status, const char *code, const char *message);
/* Sends STATUS without a body (204). */
void web_respond_empty(web_module *m, http_req *req, int status);

#define WEB_JSON_MAX_DEPTH 16

/* Parses REQ's body as a JSON object of at most MAX_BYTES (and
 * WEB_JSON_MAX_DEPTH levels of nesting). Returns the object (the caller
 * owns it: json_decref), or NULL after answering 415 (not
 * application/json), 413 (too large) or 400 (empty, not JSON, duplicate
 * keys, too deep, not an object). */
json_t *web_read_json(web_module *m, http_req *req, size_t max_bytes);

#endif
