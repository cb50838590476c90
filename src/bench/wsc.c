/* A WebSocket client connection for the bench (bench_int.h): TCP on libuv,
 * a hand-written HTTP/1.1 upgrade, then wslay's client context for framing.
 * It is built for many connections on one loop: reads land in one shared
 * buffer that wslay consumes at once, and writes go straight to the socket
 * with uv_try_write, so a connection holds no buffer while it idles. It is
 * not a general client: no TLS, no redirects, no extensions. */
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench/bench_int.h"
#include "core/sha1.h"
#include "core/err.h"

#define READ_CHUNK 65536

typedef struct write_req {
    uv_write_t req;
    wsc *w;
    char data[]; /* the bytes, owned by the request */
} write_req;

/* One read buffer for every connection: the loop is single-threaded and each
 * chunk is consumed before the next read callback runs. */
static char read_chunk[READ_CHUNK];

static void on_tcp_closed(uv_handle_t *h);

/* ---- target ---- */

int wsc_target_parse(const char *url, wsc_target *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    const char *p;
    if (strncmp(url, "ws://", 5) == 0)
        p = url + 5;
    else if (strncmp(url, "http://", 7) == 0)
        p = url + 7;
    else {
        snprintf(err, errlen, "must start with ws:// or http:// (no TLS in the bench)");
        return HARK_EINVAL;
    }
    const char *slash = strchr(p, '/');
    size_t hostport_len = slash ? (size_t)(slash - p) : strlen(p);
    if (hostport_len == 0 || hostport_len >= sizeof t->host) {
        snprintf(err, errlen, "missing or overlong host");
        return HARK_EINVAL;
    }
    memcpy(t->host, p, hostport_len);
    t->host[hostport_len] = '\0';
    const char *path = (slash && slash[1]) ? slash : "/chat/ws";
    if (strlen(path) >= sizeof t->path) {
        snprintf(err, errlen, "path too long");
        return HARK_EINVAL;
    }
    memcpy(t->path, path, strlen(path) + 1);

    char host[256], port[16];
    const char *colon;
    if (t->host[0] == '[') {
        const char *rb = strchr(t->host, ']');
        if (!rb || rb[1] != ':') {
            snprintf(err, errlen, "expected [IPv6]:PORT");
            return HARK_EINVAL;
        }
        size_t hl = (size_t)(rb - t->host - 1);
        memcpy(host, t->host + 1, hl);
        host[hl] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(t->host, ':');
        if (!colon) {
            snprintf(err, errlen, "expected HOST:PORT");
            return HARK_EINVAL;
        }
        size_t hl = (size_t)(colon - t->host);
        memcpy(host, t->host, hl);
        host[hl] = '\0';
    }
    size_t pl = strlen(colon + 1);
    if (pl == 0 || pl >= sizeof port || strspn(colon + 1, "0123456789") != pl) {
        snprintf(err, errlen, "bad port");
        return HARK_EINVAL;
    }
    memcpy(port, colon + 1, pl + 1);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return HARK_EINVAL;
    }
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* ---- wslay callbacks ---- */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *dst, size_t len, int flags, void *ud) {
    wsc *w = ud;
    if (w->rin_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = w->rin_len < len ? w->rin_len : len;
    memcpy(dst, w->rin, n);
    w->rin += n;
    w->rin_len -= n;
    return (ssize_t)n;
}

/* wslay hands over a frame in pieces (header, then masked payload); they are
 * gathered in OUT and written with one call in flush(). */
static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud) {
    wsc *w = ud;
    if (buf_append(&w->out, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* Masks come from a pool refilled by randombytes_buf: libsodium asks the
 * kernel (getrandom) on every call, and one system call per frame would be a
 * visible share of the bench's own CPU. */
static uint8_t mask_pool[4096];
static size_t mask_left;

static int ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *mask, size_t len, void *ud) {
    if (len > sizeof mask_pool) {
        randombytes_buf(mask, len);
        return 0;
    }
    if (mask_left < len) {
        randombytes_buf(mask_pool, sizeof mask_pool);
        mask_left = sizeof mask_pool;
    }
    memcpy(mask, mask_pool + sizeof mask_pool - mask_left, len);
    mask_left -= len;
    return 0;
}

static void ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *ud) {
    wsc *w = ud;
    if (w->state != WSC_OPEN) return;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        w->cb->on_text(w, (const char *)arg->msg, arg->msg_length);
    } else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        w->close_code = arg->status_code ? arg->status_code : 1005;
    }
}

static const struct wslay_event_callbacks ws_callbacks = {
    ws_recv_cb, ws_send_cb, ws_genmask_cb, NULL, NULL, NULL, ws_msg_cb,
};

/* ---- writing ---- */

static void on_written(uv_write_t *req, int status) {
    write_req *wr = (write_req *)req;
    wsc *w = wr->w;
    w->writes--;
    free(wr);
    if (status < 0 && status != UV_ECANCELED) wsc_abort(w);
}

/* Writes what OUT holds: straight to the socket when nothing is queued ahead
 * of it, and only the rest is copied into a queued write. 0 or a Hark code
 * (the caller drops the connection). */
static int flush(wsc *w) {
    if (w->out.len == 0) return 0;
    size_t len = w->out.len, off = 0;
    if (w->writes == 0) {
        uv_buf_t b = uv_buf_init(w->out.data, (unsigned)len);
        int r = uv_try_write((uv_stream_t *)&w->tcp, &b, 1);
        if (r >= 0)
            off = (size_t)r;
        else if (r != UV_EAGAIN && r != UV_ENOSYS) {
            buf_reset(&w->out);
            return HARK_EIO;
        }
    }
    int rc = 0;
    if (off < len) {
        size_t rest = len - off;
        if (w->tcp.write_queue_size + rest > WSC_MAX_QUEUED) {
            rc = HARK_ETOOBIG;
            goto out;
        }
        write_req *wr = malloc(sizeof *wr + rest);
        if (!wr) {
            rc = HARK_ENOMEM;
            goto out;
        }
        memcpy(wr->data, w->out.data + off, rest);
        wr->w = w;
        uv_buf_t b = uv_buf_init(wr->data, (unsigned)rest);
        if (uv_write(&wr->req, (uv_stream_t *)&w->tcp, &b, 1, on_written) != 0) {
            free(wr);
            rc = HARK_EIO;
            goto out;
        }
        w->writes++;
    }
    w->bytes_out += len;
out:
    buf_reset(&w->out);
    return rc;
}

/* Lets wslay write what it has queued (pongs, close replies, messages). */
static int pump(wsc *w) {
    if (!w->ctx || w->in_recv) return 0;
    if (wslay_event_want_write(w->ctx) && wslay_event_send(w->ctx) != 0) return HARK_EIO;
    return flush(w);
}

/* ---- reading ---- */

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b) {
    b->base = read_chunk;
    b->len = sizeof read_chunk;
}

/* Checks the upgrade response head in w->head; 0, or -1 (http_status set when
 * the server answered with another status). */
static int check_head(wsc *w) {
    const char *p = w->head.data;
    if (strncmp(p, "HTTP/1.1 ", 9) != 0 && strncmp(p, "HTTP/1.0 ", 9) != 0) return -1;
    int status = atoi(p + 9);
    if (status != 101) {
        w->http_status = status;
        return -1;
    }
    int accepted = 0, upgraded = 0;
    const char *line = strstr(p, "\r\n");
    while (line && line[2] != '\r') {
        line += 2;
        const char *eol = strstr(line, "\r\n");
        if (!eol) break;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            size_t vl = (size_t)(eol - v);
            while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
            if (nl == 20 && strncasecmp(line, "Sec-WebSocket-Accept", nl) == 0)
                accepted = vl == strlen(w->accept) && memcmp(v, w->accept, vl) == 0;
            else if (nl == 7 && strncasecmp(line, "Upgrade", nl) == 0)
                upgraded = vl == 9 && strncasecmp(v, "websocket", 9) == 0;
        }
        line = eol;
    }
    if (!accepted || !upgraded) {
        w->http_status = 101;
        return -1;
    }
    return 0;
}

/* Hands DATA to wslay, which calls on_text for each complete message; then
 * sends what wslay queued in reply and closes once both sides said goodbye. */
static void feed(wsc *w, const char *data, size_t n) {
    w->rin = (const uint8_t *)data;
    w->rin_len = n;
    w->in_recv = 1;
    int rc = wslay_event_recv(w->ctx);
    w->in_recv = 0;
    w->rin_len = 0;
    if (w->state != WSC_OPEN) return; /* on_text closed it */
    if (rc != 0 || pump(w) != 0) {
        wsc_abort(w);
        return;
    }
    if (!wslay_event_want_read(w->ctx) && !wslay_event_want_write(w->ctx)) wsc_abort(w);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
    wsc *w = s->data;
    if (nread == 0) return;
    if (nread < 0) {
        wsc_abort(w);
        return;
    }
    w->bytes_in += (uint64_t)nread;
    if (w->state == WSC_UPGRADING) {
        size_t before = w->head.len;
        if (buf_append(&w->head, b->base, (size_t)nread) != 0) {
            w->end = WSC_END_HANDSHAKE;
            wsc_abort(w);
            return;
        }
        char *eoh = strstr(w->head.data, "\r\n\r\n");
        if (!eoh) return;
        size_t head_len = (size_t)(eoh + 4 - w->head.data);
        if (check_head(w) != 0 || wslay_event_context_client_init(&w->ctx, &ws_callbacks, w) != 0) {
            w->end = WSC_END_HANDSHAKE;
            wsc_abort(w);
            return;
        }
        wslay_event_config_set_max_recv_msg_length(w->ctx, WSC_MAX_MESSAGE);
        size_t used = head_len - before; /* bytes of this chunk that were head */
        buf_free(&w->head);
        w->state = WSC_OPEN;
        w->end = WSC_END_CLOSED;
        w->cb->on_open(w);
        if (w->state == WSC_OPEN && (size_t)nread > used) feed(w, b->base + used, (size_t)nread - used);
        return;
    }
    if (w->state == WSC_OPEN) feed(w, b->base, (size_t)nread);
}

/* ---- connecting ---- */

static void on_connected(uv_connect_t *req, int status) {
    wsc *w = req->data;
    if (w->state != WSC_CONNECTING) return; /* aborted meanwhile; close callback pending */
    if (status < 0) {
        w->end = WSC_END_CONNECT;
        wsc_abort(w);
        return;
    }
    uv_tcp_nodelay(&w->tcp, 1);
    w->state = WSC_UPGRADING;
    w->end = WSC_END_HANDSHAKE;
    buf_init(&w->head, WSC_MAX_HEAD);
    /* wsc_connect left the upgrade request in OUT. */
    if (uv_read_start((uv_stream_t *)&w->tcp, alloc_cb, on_read) != 0 || flush(w) != 0) wsc_abort(w);
}

void wsc_init(wsc *w, uv_loop_t *loop, const wsc_cb *cb, void *ud) {
    memset(w, 0, sizeof *w);
    w->loop = loop;
    w->cb = cb;
    w->ud = ud;
    w->state = WSC_IDLE;
    buf_init(&w->out, WSC_MAX_QUEUED);
    buf_init(&w->head, WSC_MAX_HEAD);
}

int wsc_connect(wsc *w, const wsc_target *t) {
    if (w->state != WSC_IDLE) return HARK_EINVAL;
    unsigned char nonce[16];
    char key[32];
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2base64(key, sizeof key, nonce, sizeof nonce, sodium_base64_VARIANT_ORIGINAL);
    sha1_ws_accept(key, w->accept);

    buf_reset(&w->out);
    int rc = buf_printf(&w->out,
                        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: hark-bench\r\n\r\n",
                        t->path, t->host, key);
    if (rc) return rc;
    if (uv_tcp_init(w->loop, &w->tcp) != 0) return HARK_EIO;
    w->tcp.data = w;
    w->creq.data = w;
    w->close_code = 0;
    w->http_status = 0;
    w->end = WSC_END_CONNECT;
    w->state = WSC_CONNECTING;
    if (uv_tcp_connect(&w->creq, &w->tcp, (const struct sockaddr *)&t->addr, on_connected) != 0) {
        /* The handle exists: close it; on_closed reports the failed connect. */
        wsc_abort(w);
    }
    return 0;
}

int wsc_send_text(wsc *w, const char *p, size_t n) {
    if (w->state != WSC_OPEN) return HARK_ECLOSED;
    struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)p, n};
    if (wslay_event_queue_msg(w->ctx, &msg) != 0) return HARK_ENOMEM;
    int rc = pump(w);
    if (rc) wsc_abort(w);
    return rc;
}

void wsc_close(wsc *w, int code) {
    if (w->state != WSC_OPEN) {
        wsc_abort(w);
        return;
    }
    if (wslay_event_queue_close(w->ctx, (uint16_t)code, NULL, 0) != 0 || pump(w) != 0) wsc_abort(w);
}

void wsc_abort(wsc *w) {
    if (w->state == WSC_IDLE || w->state == WSC_CLOSING) return;
    w->state = WSC_CLOSING;
    uv_read_stop((uv_stream_t *)&w->tcp);
    uv_close((uv_handle_t *)&w->tcp, on_tcp_closed);
}

static void on_tcp_closed(uv_handle_t *h) {
    wsc *w = h->data;
    if (w->ctx) {
        wslay_event_context_free(w->ctx);
        w->ctx = NULL;
    }
    buf_free(&w->head);
    buf_reset(&w->out);
    w->state = WSC_IDLE;
    int code = w->close_code ? w->close_code : 1006;
    w->cb->on_closed(w, w->end, code);
}

void wsc_free(wsc *w) {
    buf_free(&w->out);
    buf_free(&w->head);
}
