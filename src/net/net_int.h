/* Internals shared by the files of the net module (server.c, http.c,
 * router.c, ws.c, static.c). Nothing outside src/net may include this: the
 * contract for other modules is net.h. Everything here runs on the loop
 * thread. */
#ifndef HARK_NET_INT_H
#define HARK_NET_INT_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/buf.h"
#include "net/net.h"

/* One read buffer per server, shared by every connection: reads are processed
 * synchronously inside the read callback, so it is never needed twice at once.
 * Bytes that must outlive the callback (a pipelined request waiting for the
 * previous response) are copied into the connection's pending buffer. */
#define NET_SLAB_SIZE (64 * 1024)

/* Bound on the response head net builds (status line + all headers). */
#define NET_MAX_RESPONSE_HEAD (32 * 1024)

/* How long a connection that is being closed after a final response keeps
 * draining (and discarding) what the client still sends, so the kernel does not
 * answer unread bytes with a reset that would destroy the response. */
#define NET_LINGER_MS 2000

/* Close handshake timeout (net.h: ws_close). */
#define NET_WS_CLOSE_TIMEOUT_MS 5000

/* Life cycle of a connection. Every state names who moves it on.
 *
 *   HTTP_IDLE     waiting for the first byte of a request; keep-alive (or, on a new
 *                 connection, header) timer runs. The parser's message-begin moves it on.
 *   HTTP_HEAD     request head arriving; header timer (whole head) runs.
 *                 on_headers_complete moves it on.
 *   HTTP_BODY     body arriving; the timer restarts on every read (idle gap).
 *                 on_message_complete moves it on.
 *   HTTP_HANDLER  the handler owns the request; reading is stopped, no timer.
 *                 http_respond moves it on.
 *   HTTP_WRITING  response handed to libuv; waiting for the write callback, which
 *                 resumes parsing (keep-alive) or starts the linger.
 *   WS_OPEN       WebSocket open; ping timer runs. A close frame queued in either
 *                 direction moves it on.
 *   WS_CLOSING    a close frame is queued or sent; close timer (5 s) runs. The peer's
 *                 close, a protocol failure being flushed, or the timer end it.
 *   LINGER        final bytes written and our side shut down; discarding input until
 *                 EOF or NET_LINGER_MS.
 *   CLOSED        uv_close called; the close callbacks free the connection. */
enum conn_state {
    CONN_HTTP_IDLE,
    CONN_HTTP_HEAD,
    CONN_HTTP_BODY,
    CONN_HTTP_HANDLER,
    CONN_HTTP_WRITING,
    CONN_WS_OPEN,
    CONN_WS_CLOSING,
    CONN_LINGER,
    CONN_CLOSED,
};

typedef struct net_conn net_conn;

struct net_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the one timer of this connection; its meaning follows the state */
    net_server *srv;
    net_conn *prev, *next; /* the server's list of connections */
    uint64_t id;
    size_t out_bytes;          /* bytes handed to uv_write and not yet completed */
    uint8_t state;             /* enum conn_state */
    uint8_t busy;              /* depth of net callbacks running for this connection */
    uint8_t handles;           /* libuv handles still open (tcp, timer): freed at 0 */
    unsigned reading : 1;      /* uv_read_start is in effect */
    unsigned drop_pending : 1; /* conn_drop was asked while busy */
    unsigned is_ws : 1;
    unsigned throttled : 1; /* WS: reading stopped because the output queue is over half full */
    union {
        struct {
            http_parser parser;
            http_req *req;     /* the request being read or handled; NULL when idle */
            size_t head_bytes; /* bytes of the current request head fed so far */
            char *pending;     /* owned: bytes read past the current request */
            size_t pending_off, pending_len;
        } http;
        ws_conn *ws;
    } u;
    char addr[46]; /* peer address, for http_remote_addr and logs */
};

enum route_kind { ROUTE_HANDLER, ROUTE_WS, ROUTE_STATIC };

struct net_route {
    char *method; /* owned; NULL for any method */
    char *path;   /* owned */
    size_t len;
    int prefix;
    int kind; /* enum route_kind */
    http_handler h;
    void *ud;
    ws_handler ws;
};

/* Requests to paths with a body limit over max_body_bytes held at once
 * (read, or waiting for their handler): one more is answered 503 before its
 * body is read, so unauthenticated uploads cannot pile up memory. */
#define NET_BIG_BODIES 4

/* A path whose requests may carry a larger (or smaller) body (net_body_limit). */
struct net_body_limit {
    char *path; /* owned */
    size_t max;
};

struct net_server {
    uv_loop_t *loop;
    net_limits lim;            /* lim.allowed_origins points at origins below */
    char *origins;             /* owned copy of allowed_origins */
    uv_tcp_t *listener;        /* owned; freed by its close callback */
    uv_timer_t grace;          /* shutdown grace timer; initialised by net_shutdown */
    struct net_route **routes; /* owned; pointers stay valid while routes are added */
    size_t nroutes, route_cap;
    struct net_body_limit *body_limits; /* owned; few, matched by a linear scan */
    size_t nbody_limits;
    size_t big_bodies; /* requests in flight whose path allows a body over max_body_bytes (NET_BIG_BODIES) */
    net_conn *conns; /* every connection not yet freed */
    size_t nconns, nws;
    uint64_t next_id;
    char *slab;    /* NET_SLAB_SIZE bytes; see NET_SLAB_SIZE */
    int draining;  /* net_shutdown was called */
    int finishing; /* the grace timer is being closed; DONE follows */
    void (*done)(void *arg);
    void *done_arg;
    char date[40]; /* cached "Date:" value and the second it is for */
    int64_t date_sec;
    uint64_t *etags; /* lazily computed asset hashes, one per hark_assets entry */
    size_t netags;
    struct ws_conn *kicked; /* WebSockets with output to flush in the check phase (ws.c) */
    uv_check_t *kick_check; /* owned; created on first use, closed by shutdown or free */
};

/* Where the header callbacks of http-parser are; a name or value may come in
 * several pieces, so the '\0' after it is written when the next part starts. */
enum hdr_pos { HDR_NONE, HDR_NAME, HDR_VALUE };

struct http_req {
    net_conn *conn; /* NULL once the connection is gone (the response is then dropped) */
    net_server *srv;
    uint64_t conn_id;
    char addr[46];
    const char *method; /* static string from http-parser */
    buf url;            /* raw request target; split into path and query at headers end */
    const char *path, *query;
    buf hdrs;    /* "name\0value\0" pairs */
    int hdr_pos; /* enum hdr_pos: where http-parser's header callbacks are */
    buf body;
    buf resp_hdrs; /* "Name: value\r\n" lines from http_add_header */
    int reject;    /* status net answers instead of dispatching (413, 503), or 0 */
    int big;       /* counted in net_server.big_bodies: its path allows a body over max_body_bytes */
    unsigned complete : 1;
    unsigned dispatched : 1; /* handed to a handler, which now owns it */
    unsigned keep_alive : 1;
    unsigned force_close : 1;
    unsigned is_head : 1;
    unsigned upgrade : 1; /* http-parser stopped at an Upgrade request */
    unsigned expect_continue : 1;
};

/* server.c: connection plumbing used by the protocol files. */

/* Writes HEAD (owned; freed when written) followed by BODY, LEN bytes: owned
 * and freed when BODY_OWNED, else borrowed from static storage. 0 or a Hark
 * error; on error both owned buffers are already freed. */
int conn_write(net_conn *c, char *head, size_t head_len, const char *body, size_t len, int body_owned);
/* Starts (ms > 0) or stops (ms == 0) the connection timer. */
void conn_timer(net_conn *c, uint64_t ms);
int conn_read_start(net_conn *c);
void conn_read_stop(net_conn *c);
/* Closes now (or when the running callback returns). Idempotent. */
void conn_drop(net_conn *c);
/* Shuts down our side once written output is out, drains input, then closes. */
void conn_finish(net_conn *c);
/* Drops the connection from the next loop iteration: for failures found inside
 * a public call, so that no user callback runs inside it. */
void conn_drop_soon(net_conn *c);

/* http.c. The http_on_* and ws_on_* hooks are called by server.c from its
 * libuv callbacks, with the connection marked busy (a conn_drop inside them
 * takes effect when they return). */
void http_conn_init(net_conn *c); /* a new connection: parser, first-request timer */
void http_on_read(net_conn *c, const char *data, size_t len);
void http_on_written(net_conn *c); /* the response is out: next request (keep-alive) */
void http_on_timer(net_conn *c);
/* Frees the request state of a connection that is closing; a request owned by
 * a handler is detached instead (its response will be dropped). */
void http_conn_release(net_conn *c);
/* Builds and sends a response for R on its connection. EXTRA: more header
 * lines ("Name: v\r\n"), may be NULL. BODY is copied when COPY, else borrowed
 * from static storage. Frees R; if the client has gone, only that. */
void http_send(http_req *r, int status, const char *ctype, const char *extra, const void *body, size_t len, int copy);
void http_req_free(http_req *r);
/* Case-insensitive search for TOKEN in a comma-separated header value. */
int http_has_token(const char *value, const char *token);

/* router.c */
/* Finds the route for METHOD and PATH. NULL with *status 404 or 405 (and ALLOW
 * filled with the allowed methods, "GET, HEAD") when there is none. */
const struct net_route *router_match(const net_server *s, const char *method, const char *path, int *status,
                                     char *allow, size_t cap);
/* Hands a complete request to its route (or answers 404/405); the handler
 * owns R from then on. */
void router_dispatch(net_conn *c, http_req *r);
void router_free(net_server *s);
/* The largest body a request to PATH may carry: its net_body_limit, else
 * lim.max_body_bytes. */
size_t router_body_limit(const net_server *s, const char *path);

/* static.c: answers R from hark_assets (200, 304, 404). */
void static_serve(http_req *r, const struct net_route *route);

/* ws.c */
/* Answers an upgrade request on a WebSocket route: 101 and the connection
 * becomes a WebSocket (bytes pending after the request are its first frames),
 * or an error status. Frees R. */
void ws_upgrade(net_conn *c, http_req *r, const struct net_route *route);
void ws_on_read(net_conn *c, const char *data, size_t len);
void ws_on_written(net_conn *c);
void ws_on_timer(net_conn *c);
void ws_on_shutdown(net_conn *c);
/* The connection is going away: reports on_close (CODE: 1006 for a drop) and frees the ws state. */
void ws_conn_release(net_conn *c);
/* Computes Sec-WebSocket-Accept for KEY into OUT (29 bytes with the NUL). */

#endif
