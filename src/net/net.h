/* net: the HTTP/1.1 server and WebSocket endpoint on libuv. Modules register
 * routes; net knows none of them. It owns connections, parsing
 * (http-parser), framing (wslay), limits and graceful shutdown. Everything
 * here runs on the loop thread that created the server; no function may be
 * called from another thread.
 *
 * Limits and the answers they produce:
 *   header section > max_header_bytes          -> 431
 *   body > max_body_bytes (or the path's own net_body_limit) -> 413, at once
 *   a 5th request at once to paths allowed more than max_body_bytes -> 503
 *                                                 when Content-Length says so
 *   request head not complete within header_timeout_ms -> 408
 *   WebSocket message > ws_max_message         -> close 1009
 *   text message not valid UTF-8               -> close 1007
 *   protocol violation / bad close code        -> close 1002
 *   Origin not allowed on upgrade              -> 403
 *   two ping intervals without a pong          -> connection dropped
 * An idle keep-alive connection holds no read or parse buffer. */
#ifndef HARK_NET_H
#define HARK_NET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct net_server net_server;
typedef struct http_req http_req;
typedef struct ws_conn ws_conn;

typedef struct net_limits {
    size_t max_header_bytes;       /* default 16 KiB */
    size_t max_body_bytes;         /* default 1 MiB */
    uint32_t header_timeout_ms;    /* default 10000 */
    uint32_t keepalive_timeout_ms; /* idle keep-alive connection closed after this; default 60000 */
    size_t ws_max_message;         /* default 64 KiB */
    uint32_t ws_ping_interval_ms;  /* default 25000 */
    size_t ws_max_queued_bytes;    /* bound on a connection's unsent output; default 1 MiB */
    /* Comma-separated list of allowed Origin values for WebSocket upgrades
     * ("https://hr.example.com,http://localhost:8080"); "*" allows any. When
     * empty, an Origin must match the request's own Host (same origin); a
     * missing Origin (non-browser clients) is allowed. */
    const char *allowed_origins;
} net_limits;

/* Fills L with the defaults above. */
void net_limits_default(net_limits *l);

/* Creates a server on LOOP; copies LIMITS. Returns NULL on allocation failure. */
net_server *net_server_new(uv_loop_t *loop, const net_limits *limits);

/* Binds and listens on "ADDR:PORT" ("127.0.0.1:8080", "[::1]:0", ":8080" for all
 * addresses). Port 0 picks a free port; *bound_port (if not NULL) receives it.
 * Returns 0 or HARK_EINVAL (bad address) / HARK_EIO (bind failed: message logged). */
int net_listen(net_server *s, const char *addr_port, int *bound_port);

/* A request handler. It must eventually call http_respond() exactly once, now
 * or later from the loop thread (e.g. after a database job completes). */
typedef void (*http_handler)(http_req *req, void *ud);

/* Routes METHOD ("GET", ... or NULL for any) and PATH to H. With prefix != 0
 * PATH matches any path that starts with it. The longest match wins; an exact
 * route beats a prefix route of the same length. A path with no route gets
 * 404; a path with a route for another method gets 405. Returns 0 or HARK_ENOMEM. */
int net_route(net_server *s, const char *method, const char *path, int prefix, http_handler h, void *ud);

/* Lets requests to exactly PATH (any method; the query is not part of the
 * path) carry bodies of up to MAX_BYTES instead of limits.max_body_bytes:
 * for the few routes that take uploads (the employee CSV). A bigger
 * Content-Length is answered 413 before any of the body is read; a chunked
 * body is refused once it passes MAX_BYTES. Setting PATH again replaces its
 * limit. Returns 0, HARK_EINVAL (PATH not starting with '/') or HARK_ENOMEM. */
int net_body_limit(net_server *s, const char *path, size_t max_bytes);

/* WebSocket endpoint callbacks, all on the loop thread. */
typedef struct ws_handler {
    /* The handshake succeeded; the connection is open. */
    void (*on_open)(ws_conn *ws, void *ud);
    /* One complete message (fragments reassembled, UTF-8 already validated). */
    void (*on_text)(ws_conn *ws, const char *data, size_t len, void *ud);
    /* The connection is gone (CODE: the close code sent or received, 1006 when
     * the socket just dropped). WS is freed when this returns. */
    void (*on_close)(ws_conn *ws, int code, void *ud);
    void *ud;
} ws_handler;

/* Accepts WebSocket upgrades (GET with Upgrade: websocket) on PATH; other
 * requests to PATH get 426. */
int net_ws_route(net_server *s, const char *path, const ws_handler *h);

/* Serves the compiled-in web assets (core/embed.h hark_assets) under URL
 * prefix PREFIX ("/static/"): GET/HEAD, content type from the extension,
 * ETag + If-None-Match -> 304, Cache-Control. */
int net_static_route(net_server *s, const char *prefix);

/* Graceful shutdown: stops accepting, closes idle HTTP connections, lets
 * in-flight requests finish (their responses go out with Connection: close),
 * closes WebSockets with 1001, then calls DONE(ARG) once every connection is
 * gone or after GRACE_MS, whichever is first (remaining ones are dropped). */
void net_shutdown(net_server *s, uint32_t grace_ms, void (*done)(void *arg), void *arg);

/* Frees the server; only after net_shutdown's DONE has run (or if it never listened). */
void net_server_free(net_server *s);

/* Number of open connections (HTTP and WebSocket) and of WebSockets. */
size_t net_conn_count(const net_server *s);
size_t net_ws_count(const net_server *s);

/* ---- requests ---- */

const char *http_method(const http_req *r);                   /* "GET" */
const char *http_path(const http_req *r);                     /* decoded of nothing: the raw path, no query */
const char *http_query(const http_req *r);                    /* raw query without '?', "" if none */
const char *http_header(const http_req *r, const char *name); /* case-insensitive; NULL if absent */
const char *http_body(const http_req *r, size_t *len);        /* may be NULL when empty */
const char *http_remote_addr(const http_req *r);              /* "127.0.0.1" */
uint64_t http_conn_id(const http_req *r);                     /* for log_conn */
/* Copies the value of query parameter NAME (percent-decoded) into OUT; 0,
 * HARK_ENOTFOUND, or HARK_ETOOBIG when it does not fit. */
int http_query_param(const http_req *r, const char *name, char *out, size_t cap);

/* Adds a response header (copied) before http_respond. Security headers
 * (X-Content-Type-Options, Referrer-Policy, frame-ancestors) are added by net
 * to every response. */
void http_add_header(http_req *r, const char *name, const char *value);

/* Sends the response (BODY is copied) and releases the request: R must not be
 * used afterwards. If the client has gone, the response is dropped silently. */
void http_respond(http_req *r, int status, const char *content_type, const void *body, size_t len);

/* Responds with {"error":{"code":CODE,"message":MESSAGE}} and the given status. */
void http_respond_error(http_req *r, int status, const char *code, const char *message);

/* ---- WebSockets ---- */

/* Queues a text message (DATA is copied). Returns 0, HARK_ECLOSED if the
 * connection is closing, or HARK_EBUSY if the unsent output would exceed
 * ws_max_queued_bytes (the connection is then closed with 1008: a slow reader
 * is never buffered without end). */
int ws_send_text(ws_conn *ws, const char *data, size_t len);

/* Starts the close handshake with CODE and REASON (at most 123 bytes); queued
 * messages are sent first. The peer is dropped if it does not answer within 5 s. */
void ws_close(ws_conn *ws, int code, const char *reason);

void ws_set_data(ws_conn *ws, void *data);
void *ws_get_data(const ws_conn *ws);
uint64_t ws_id(const ws_conn *ws);
const char *ws_remote_addr(const ws_conn *ws);

#endif
