/* WebSocket connections (RFC 6455): the upgrade handshake, framing through
 * wslay's event API, the limits on messages, pings, the close handshake and the
 * bound on unsent output. What the messages mean is the route handler's job.
 *
 * Memory: an idle WebSocket keeps only its net_conn and the small ws_conn
 * below. The wslay context (about 8 KiB, most of it buffers) exists only while
 * something is in progress: a frame or fragmented message half received,
 * output not yet handed to libuv, or a close handshake. Between messages it is
 * freed, and created again when the next byte arrives or a message is sent.
 * (Keeping it for a second after the last activity saved no measurable CPU
 * and, with glibc's allocator, left 10,000 freshly connected chats holding
 * 120 MB instead of 40 MB: the freed contexts fragment the heap.)
 * That is safe because wslay keeps no other state between complete messages;
 * ws_scan below tells where the frame boundaries are. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"
#include "net/net_int.h"
#include "core/sha1.h"

/* Output handed to libuv per connection before the rest waits in wslay's queue. */
#define WS_WRITE_WINDOW (64 * 1024)
/* Largest single write built from wslay's output. */
#define WS_STAGE_MAX (64 * 1024)

/* Follows frame boundaries in the inbound byte stream, so that net can (a)
 * answer frame-level violations (fragmented or oversized control frames,
 * non-minimal lengths, a one-byte close payload) with 1002 and binary frames
 * with 1003 — wslay would send a close without a code for the former — and (b)
 * know when no frame or fragmented message is half received, which is when the
 * wslay context may be freed. */
struct ws_scan {
    uint64_t left;   /* payload bytes of the current frame still to come */
    uint8_t hdr[10]; /* the header bytes that carry opcode and length */
    uint8_t have;    /* header bytes seen (mask key included) */
    uint8_t need;    /* header length, known once two bytes are in */
    uint8_t in_msg;  /* a data frame without FIN was seen: a fragmented message is open */
};

struct ws_conn {
    net_conn *c;
    const struct net_route *route;
    wslay_event_context_ptr ctx; /* NULL while the connection sleeps (see the top) */
    void *data;                  /* the handler's, ws_set_data */
    buf *stage;                  /* during ws_flush: where send_cb puts wslay's output */
    const uint8_t *in;           /* during wslay_event_recv: the bytes recv_cb hands out */
    size_t in_len;
    struct ws_scan scan;
    char *close_reason;  /* ws_close's reason (owned) while its close frame waits */
    uint16_t close_code; /* code of the close net started itself; 0 if none */
    uint8_t close_reason_len;
    uint8_t missed_pongs;       /* pings sent since the last pong */
    unsigned opened : 1;        /* on_open was called, so on_close will be */
    unsigned closing : 1;       /* a close frame is queued in one direction or the other */
    unsigned close_pending : 1; /* ws_close's frame waits for queued messages to go first */
    unsigned in_recv : 1;       /* inside wslay_event_recv: flushing waits until it returns */
    unsigned released : 1;
    unsigned kicked : 1;    /* on the server's kicked list: output waits for the check phase */
    ws_conn *kprev, *knext; /* the kicked list */
};

/* ---- frame scanner ---- */

/* Scans N bytes. Returns how many of them may go to wslay: all of them, or,
 * when a frame is refused (*VERDICT = 1002 or 1003), the offset at which that
 * frame's header began in D (0 when it began in an earlier read). */
static size_t scan_feed(struct ws_scan *sc, const uint8_t *d, size_t n, int *verdict) {
    size_t i = 0, start = 0;
    *verdict = 0;
    while (i < n) {
        if (sc->left) {
            uint64_t k = sc->left < (uint64_t)(n - i) ? sc->left : (uint64_t)(n - i);
            i += (size_t)k;
            sc->left -= k;
            continue;
        }
        if (sc->have == 0) {
            start = i;
            sc->need = 2;
        }
        if (sc->have < sizeof sc->hdr) sc->hdr[sc->have] = d[i];
        sc->have++;
        i++;
        int fin = sc->hdr[0] >> 7, opcode = sc->hdr[0] & 0x0f, len7 = sc->hdr[1] & 0x7f;
        if (sc->have == 2) {
            sc->need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((sc->hdr[1] & 0x80) ? 4 : 0));
            if (opcode >= 8 && (!fin || len7 > 125)) goto refuse_proto;
            if (opcode == WSLAY_CONNECTION_CLOSE && len7 == 1) goto refuse_proto;
            if (opcode == WSLAY_BINARY_FRAME) {
                *verdict = 1003;
                return start;
            }
        }
        if (sc->have < sc->need) continue;
        uint64_t len = (uint64_t)len7;
        if (len7 == 126) {
            len = (uint64_t)sc->hdr[2] << 8 | sc->hdr[3];
            if (len < 126) goto refuse_proto;
        } else if (len7 == 127) {
            len = 0;
            for (int k = 2; k < 10; k++) len = len << 8 | sc->hdr[k];
            if (len < 65536 || (len >> 63)) goto refuse_proto;
        }
        if (opcode <= WSLAY_BINARY_FRAME) sc->in_msg = !fin;
        sc->left = len;
        sc->have = 0;
    }
    return n;
refuse_proto:
    *verdict = 1002;
    return start;
}

/* ---- wslay glue ---- */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *b, size_t len, int flags, void *ud) {
    ws_conn *ws = ud;
    (void)flags;
    if (ws->in_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(b, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud) {
    ws_conn *ws = ud;
    buf *st = ws->stage;
    (void)flags;
    if (!st || ws->c->out_bytes >= WS_WRITE_WINDOW || st->len >= WS_STAGE_MAX) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = WS_STAGE_MAX - st->len;
    if (n > len) n = len;
    if (buf_append(st, data, n) != HARK_OK) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)n;
}

/* Fails the connection: queues a close with CODE and reads nothing more. */
static void ws_fail(ws_conn *ws, int code, const char *reason) {
    if (!ws->ctx) return;
    if (wslay_event_queue_close(ws->ctx, (uint16_t)code, (const uint8_t *)reason, strlen(reason)) == 0)
        ws->close_code = (uint16_t)code;
    wslay_event_shutdown_read(ws->ctx);
    ws->closing = 1;
    ws->close_pending = 0; /* a failure ends the connection ahead of queued messages */
    free(ws->close_reason);
    ws->close_reason = NULL;
    log_conn(LOG_INFO, ws->c->id, "websocket failed with %d: %s", code, reason);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud) {
    ws_conn *ws = ud;
    const ws_handler *h = &ws->route->ws;
    (void)ctx;
    switch (a->opcode) {
    case WSLAY_TEXT_FRAME:
        if (!utf8_valid(a->msg, a->msg_length)) {
            ws_fail(ws, 1007, "invalid UTF-8");
        } else if (!ws->closing && h->on_text) {
            h->on_text(ws, a->msg ? (const char *)a->msg : "", a->msg_length, h->ud);
        }
        break;
    case WSLAY_BINARY_FRAME: ws_fail(ws, 1003, "binary messages are not accepted"); break;
    case WSLAY_PONG: ws->missed_pongs = 0; break;
    default: break;
    }
}

static const struct wslay_event_callbacks wslay_callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .on_msg_recv_callback = on_msg,
};

/* Frees the wslay context when nothing is in progress (see the top). */
static void ws_maybe_sleep(ws_conn *ws) {
    if (!ws->ctx || ws->closing || ws->in_recv) return;
    if (ws->scan.have || ws->scan.left || ws->scan.in_msg) return;
    if (!wslay_event_get_read_enabled(ws->ctx) || wslay_event_want_write(ws->ctx)) return;
    wslay_event_context_free(ws->ctx);
    ws->ctx = NULL;
}

/* Makes sure the wslay context exists. 0 or HARK_ENOMEM. */
static int ws_wake(ws_conn *ws) {
    if (ws->ctx) return HARK_OK;
    if (wslay_event_context_server_init(&ws->ctx, &wslay_callbacks, ws) != 0) {
        ws->ctx = NULL;
        return HARK_ENOMEM;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->c->srv->lim.ws_max_message);
    return HARK_OK;
}

/* Unsent output: wslay's queue plus what libuv has not written yet. */
static size_t ws_queued(const ws_conn *ws) {
    return (ws->ctx ? wslay_event_get_queued_msg_length(ws->ctx) : 0) + ws->c->out_bytes;
}

/* Moves wslay's output into libuv writes, up to WS_WRITE_WINDOW in flight.
 * wslay sends control frames ahead of queued messages, so ws_close's frame is
 * queued only once the messages before it have been handed over. */
static int ws_flush(ws_conn *ws) {
    net_conn *c = ws->c;
    for (;;) {
        while (ws->ctx && wslay_event_want_write(ws->ctx) && c->out_bytes < WS_WRITE_WINDOW) {
            buf st;
            buf_init(&st, WS_STAGE_MAX);
            ws->stage = &st;
            int r = wslay_event_send(ws->ctx);
            ws->stage = NULL;
            size_t len;
            char *p = buf_take(&st, &len);
            if (len && conn_write(c, p, len, NULL, 0, 0) != HARK_OK) return HARK_EIO;
            if (!len) free(p);
            if (r != 0) return HARK_EIO;
            if (!len) break;
        }
        if (!ws->close_pending || !ws->ctx || wslay_event_want_write(ws->ctx)) break;
        wslay_event_queue_close(ws->ctx, ws->close_code, (const uint8_t *)ws->close_reason, ws->close_reason_len);
        free(ws->close_reason);
        ws->close_reason = NULL;
        ws->close_pending = 0;
    }
    return HARK_OK;
}

/* Runs after anything happened on the connection: flushes output, moves the
 * state on, applies backpressure and lets the context sleep. With MAY_FINISH
 * (not from inside a public call) a completed close handshake ends the
 * connection here. */
static void ws_after_io(net_conn *c, int may_finish) {
    ws_conn *ws = c->u.ws;
    if (!ws || ws->released) return;
    if (ws_flush(ws) != HARK_OK) {
        conn_drop_soon(c);
        return;
    }
    wslay_event_context_ptr ctx = ws->ctx;
    if (ctx && !wslay_event_get_read_enabled(ctx)) ws->closing = 1;
    if (ws->closing && c->state == CONN_WS_OPEN) {
        c->state = CONN_WS_CLOSING;
        conn_timer(c, NET_WS_CLOSE_TIMEOUT_MS);
    }
    if (may_finish && ctx && wslay_event_get_close_sent(ctx) && !wslay_event_get_read_enabled(ctx) &&
        c->out_bytes == 0) {
        conn_finish(c); /* the server closes the TCP connection first (RFC 6455 7.1.1) */
        return;
    }
    size_t q = ws_queued(ws), half = c->srv->lim.ws_max_queued_bytes / 2;
    if (!c->throttled && q > half) {
        c->throttled = 1;
        conn_read_stop(c);
    } else if (c->throttled && q <= half) {
        c->throttled = 0;
        conn_read_start(c);
    }
    ws_maybe_sleep(ws);
}

static void kicked_unlink(ws_conn *ws) {
    net_server *s = ws->c->srv;
    if (!ws->kicked) return;
    if (ws->kprev)
        ws->kprev->knext = ws->knext;
    else
        s->kicked = ws->knext;
    if (ws->knext) ws->knext->kprev = ws->kprev;
    ws->kprev = ws->knext = NULL;
    ws->kicked = 0;
}

/* The loop's check phase, after the I/O callbacks of this iteration: every
 * message queued during the iteration goes out, one write per connection
 * however many messages a handler queued (an ack and the next question, say). */
static void on_check(uv_check_t *h) {
    net_server *s = h->data;
    while (s->kicked) {
        ws_conn *ws = s->kicked;
        kicked_unlink(ws);
        ws_after_io(ws->c, 0);
    }
    uv_check_stop(h);
}

/* After a public call queued something: flush once the loop's I/O callbacks of
 * this iteration are done (or, inside this connection's own read callback,
 * after wslay_event_recv returns). */
static void ws_kick(ws_conn *ws) {
    net_server *s = ws->c->srv;
    if (ws->in_recv || ws->kicked) return;
    if (!s->kick_check) {
        s->kick_check = malloc(sizeof *s->kick_check);
        if (!s->kick_check) {
            ws_after_io(ws->c, 0);
            return;
        }
        uv_check_init(s->loop, s->kick_check);
        s->kick_check->data = s;
    }
    ws->kicked = 1;
    ws->knext = s->kicked;
    if (s->kicked) s->kicked->kprev = ws;
    s->kicked = ws;
    if (!uv_is_active((uv_handle_t *)s->kick_check)) uv_check_start(s->kick_check, on_check);
}

void ws_on_read(net_conn *c, const char *data, size_t len) {
    ws_conn *ws = c->u.ws;
    if (!ws) return;
    if (ws_wake(ws) != HARK_OK) {
        conn_drop(c);
        return;
    }
    if (!wslay_event_get_read_enabled(ws->ctx)) return; /* closing: input is discarded */
    int verdict;
    size_t ok = scan_feed(&ws->scan, (const uint8_t *)data, len, &verdict);
    ws->in = (const uint8_t *)data;
    ws->in_len = ok;
    ws->in_recv = 1;
    int r = wslay_event_recv(ws->ctx);
    ws->in_recv = 0;
    ws->in = NULL;
    ws->in_len = 0;
    if (r == WSLAY_ERR_NOMEM) {
        conn_drop(c);
        return;
    }
    if (r != 0)
        ws_fail(ws, 1002, "protocol error");
    else if (verdict)
        ws_fail(ws, verdict, verdict == 1003 ? "binary messages are not accepted" : "protocol error");
    ws_after_io(c, 1);
}

void ws_on_written(net_conn *c) {
    ws_after_io(c, 1);
}

void ws_on_timer(net_conn *c) {
    ws_conn *ws = c->u.ws;
    if (!ws || c->state == CONN_WS_CLOSING) {
        log_conn(LOG_DEBUG, c->id, "websocket close handshake timed out");
        conn_drop(c);
        return;
    }
    if (ws->missed_pongs >= 2) {
        log_conn(LOG_DEBUG, c->id, "websocket peer answered no pings: dropped");
        conn_drop(c);
        return;
    }
    if (ws_wake(ws) != HARK_OK) {
        conn_drop(c);
        return;
    }
    struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
    if (wslay_event_queue_msg(ws->ctx, &ping) == 0) ws->missed_pongs++;
    conn_timer(c, c->srv->lim.ws_ping_interval_ms);
    ws_after_io(c, 1);
}

void ws_on_shutdown(net_conn *c) {
    if (c->u.ws) ws_close(c->u.ws, 1001, "server shutting down");
}

/* The code on_close reports: the close frame we sent (ours or the echo of the
 * peer's), else the one net started (ws_close, a full queue), else the one
 * received, else 1006. */
static int ws_close_code(const ws_conn *ws) {
    if (ws->ctx && wslay_event_get_close_sent(ws->ctx)) return wslay_event_get_status_code_sent(ws->ctx);
    if (ws->close_code) return ws->close_code;
    if (ws->ctx && wslay_event_get_close_received(ws->ctx)) return wslay_event_get_status_code_received(ws->ctx);
    return 1006;
}

void ws_conn_release(net_conn *c) {
    ws_conn *ws = c->u.ws;
    if (!ws || ws->released) return;
    ws->released = 1;
    kicked_unlink(ws);
    c->srv->nws--;
    int code = ws_close_code(ws);
    log_conn(LOG_DEBUG, c->id, "websocket closed: %d", code);
    if (ws->opened && ws->route->ws.on_close) ws->route->ws.on_close(ws, code, ws->route->ws.ud);
    c->u.ws = NULL;
    wslay_event_context_free(ws->ctx);
    free(ws->close_reason);
    free(ws);
}

/* ---- handshake ---- */

/* Sec-WebSocket-Key must be the base64 form of 16 bytes. */
static int valid_key(const char *key) {
    unsigned char bin[16];
    size_t n = 0;
    if (strlen(key) != 24) return 0;
    if (sodium_base642bin(bin, sizeof bin, key, 24, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) return 0;
    return n == 16;
}

/* Compares N bytes of A with the string B, case-insensitively, ignoring one
 * trailing slash on either. */
static int origin_eq(const char *a, size_t n, const char *b) {
    size_t m = strlen(b);
    if (n && a[n - 1] == '/') n--;
    if (m && b[m - 1] == '/') m--;
    return n == m && strncasecmp(a, b, n) == 0;
}

/* net.h: allowed_origins. */
static int origin_allowed(const net_server *s, const http_req *r) {
    const char *origin = http_header(r, "origin");
    if (!origin) return 1;
    const char *list = s->lim.allowed_origins;
    if (list && *list) {
        for (const char *p = list; *p;) {
            while (*p == ' ' || *p == '\t' || *p == ',') p++;
            const char *end = p;
            while (*end && *end != ',') end++;
            const char *e = end;
            while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if (e - p == 1 && *p == '*') return 1;
            if (e > p && origin_eq(p, (size_t)(e - p), origin)) return 1;
            p = end;
        }
        return 0;
    }
    const char *host = http_header(r, "host");
    if (!host) return 0;
    if (strncasecmp(origin, "http://", 7) == 0) return origin_eq(origin + 7, strlen(origin + 7), host);
    if (strncasecmp(origin, "https://", 8) == 0) return origin_eq(origin + 8, strlen(origin + 8), host);
    return 0;
}

void ws_upgrade(net_conn *c, http_req *r, const struct net_route *route) {
    net_server *s = c->srv;
    const char *upgrade = http_header(r, "upgrade");
    if (!upgrade || !http_has_token(upgrade, "websocket")) {
        http_add_header(r, "Upgrade", "websocket");
        http_respond_error(r, 426, "upgrade_required", "this endpoint speaks WebSocket only");
        return;
    }
    r->force_close = 1; /* every refusal below ends the connection */
    const char *connection = http_header(r, "connection");
    const char *key = http_header(r, "sec-websocket-key");
    const char *version = http_header(r, "sec-websocket-version");
    if (strcmp(r->method, "GET") != 0 || !connection || !http_has_token(connection, "upgrade") || !key ||
        !valid_key(key)) {
        http_respond_error(r, 400, "bad_request", "malformed WebSocket handshake");
        return;
    }
    if (!version || strcmp(version, "13") != 0) {
        http_add_header(r, "Sec-WebSocket-Version", "13");
        http_respond_error(r, 426, "upgrade_required", "unsupported WebSocket version");
        return;
    }
    if (s->draining) {
        http_add_header(r, "Retry-After", "1");
        http_respond_error(r, 503, "overloaded", "server shutting down");
        return;
    }
    if (!origin_allowed(s, r)) {
        log_conn(LOG_INFO, c->id, "websocket upgrade refused: origin not allowed");
        http_respond_error(r, 403, "forbidden", "origin not allowed");
        return;
    }
    char accept[29];
    sha1_ws_accept(key, accept);
    buf h;
    buf_init(&h, 256);
    ws_conn *ws = calloc(1, sizeof *ws);
    if (!ws || buf_printf(&h,
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n",
                          accept) != HARK_OK) {
        free(ws);
        buf_free(&h);
        http_respond_error(r, 500, "internal", "out of memory");
        return;
    }
    /* The bytes behind the request are the first frames. */
    char *pending = c->u.http.pending;
    size_t off = c->u.http.pending_off, plen = c->u.http.pending_len;
    c->u.http.pending = NULL;
    c->u.http.req = NULL;
    http_req_free(r);
    ws->c = c;
    ws->route = route;
    c->is_ws = 1;
    c->u.ws = ws;
    c->state = CONN_WS_OPEN;
    s->nws++;
    size_t hlen;
    char *head = buf_take(&h, &hlen);
    if (conn_write(c, head, hlen, NULL, 0, 0) != HARK_OK) {
        free(pending);
        conn_drop(c);
        return;
    }
    log_conn(LOG_DEBUG, c->id, "websocket open");
    ws->opened = 1;
    conn_timer(c, s->lim.ws_ping_interval_ms);
    if (route->ws.on_open) route->ws.on_open(ws, route->ws.ud);
    if (pending && plen > off)
        ws_on_read(c, pending + off, plen - off);
    else
        ws_after_io(c, 1);
    free(pending);
    if ((c->state == CONN_WS_OPEN || c->state == CONN_WS_CLOSING) && !c->throttled) conn_read_start(c);
}

/* ---- public calls ---- */

int ws_send_text(ws_conn *ws, const char *data, size_t len) {
    if (ws->released || ws->closing || ws->c->state != CONN_WS_OPEN) return HARK_ECLOSED;
    net_conn *c = ws->c;
    size_t max = c->srv->lim.ws_max_queued_bytes;
    if (ws_queued(ws) + len > max) {
        log_conn(LOG_WARN, c->id, "websocket output over %zu bytes: closing (slow reader)", max);
        ws_close(ws, 1008, "output queue full");
        return HARK_EBUSY;
    }
    if (ws_wake(ws) != HARK_OK) {
        conn_drop_soon(c);
        return HARK_ENOMEM;
    }
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
    int r = wslay_event_queue_msg(ws->ctx, &m);
    if (r == WSLAY_ERR_NO_MORE_MSG) return HARK_ECLOSED;
    if (r != 0) return HARK_ENOMEM;
    ws_kick(ws);
    return HARK_OK;
}

/* Codes an endpoint may send (RFC 6455 7.4 and the IANA registry). */
static int sendable_code(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

void ws_close(ws_conn *ws, int code, const char *reason) {
    if (ws->released || ws->closing || ws->c->state != CONN_WS_OPEN) return;
    net_conn *c = ws->c;
    if (!sendable_code(code)) {
        log_conn(LOG_WARN, c->id, "ws_close with invalid code %d: sending 1011", code);
        code = 1011;
    }
    if (ws_wake(ws) != HARK_OK) {
        conn_drop_soon(c);
        return;
    }
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > 123) {
        rl = 123; /* cut at a character boundary: the reason must stay UTF-8 */
        while (rl > 0 && ((unsigned char)reason[rl] & 0xC0) == 0x80) rl--;
    }
    ws->close_reason = rl ? malloc(rl) : NULL;
    if (ws->close_reason) memcpy(ws->close_reason, reason, rl);
    ws->close_reason_len = ws->close_reason ? (uint8_t)rl : 0;
    ws->close_code = (uint16_t)code;
    ws->close_pending = 1;
    ws->closing = 1;
    log_conn(LOG_DEBUG, c->id, "websocket closing with %d", code);
    ws_kick(ws);
}

void ws_set_data(ws_conn *ws, void *data) {
    ws->data = data;
}
void *ws_get_data(const ws_conn *ws) {
    return ws->data;
}
uint64_t ws_id(const ws_conn *ws) {
    return ws->c->id;
}
const char *ws_remote_addr(const ws_conn *ws) {
    return ws->c->addr;
}
