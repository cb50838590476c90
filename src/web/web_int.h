/* Private to the web module (web.c: the module, answers, JSON bodies, the
 * background store jobs and the session sweep; web_auth.c: authenticating
 * requests; web_session.c: the /api/v1/session routes). Nothing outside
 * src/web/web*.c includes this header. */
#ifndef HARK_WEB_INT_H
#define HARK_WEB_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "web/auth.h"
#include "web/web.h"

/* Sign-ins between their throttle check and their answer: each holds a
 * password check (19 MiB of argon2 memory on the thread pool) or a store
 * job. More at once are answered 503: memory stays bounded under a flood. */
#define WEB_LOGINS_MAX 32

#define WEB_THROTTLE_ENTRIES 4096
#define WEB_SWEEP_FIRST_MS   (60 * 1000)
#define WEB_SWEEP_EVERY_MS   (10 * 60 * 1000)

struct web_module {
    uv_loop_t *loop;
    net_server *net;
    store *st;
    unsigned char key[TOKEN_KEY_BYTES];
    int https;
    char *allowed_origins; /* owned; "" for none */
    auth_throttle *throttle;
    size_t logins; /* sign-ins in flight (WEB_LOGINS_MAX) */
    uv_timer_t sweep;
    int sweeping; /* a sweep job is queued or running */
    int stopped;
};


/* Adds the security headers and Cache-Control: no-store to REQ's answer. */
void web__headers(web_module *m, http_req *req);

/* Adds Retry-After: WAIT_MS rounded up to whole seconds (at least 1). */
void web__retry_after(http_req *req, int64_t wait_ms);

/* Adds the Set-Cookie that deletes the session cookie. */
void web__clear_cookie(web_module *m, http_req *req);

/* Store writes whose answer nobody waits for (the request has its answer
 * already): a session used (last_seen_at = NOW), a dead session deleted, an
 * API token used. A full queue or a failure is logged and forgotten: the
 * next request tries again. */
void web__bg_session_touch(web_module *m, int64_t tenant_id, const unsigned char hash[AUTH_HASH_BYTES], int64_t now);
void web__bg_session_delete(web_module *m, int64_t tenant_id, const unsigned char hash[AUTH_HASH_BYTES]);
void web__bg_token_touch(web_module *m, int64_t tenant_id, int64_t token_id, int64_t now);

#endif
