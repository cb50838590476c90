/* The server and the connection life cycle: listening, accepting, the shared
 * read slab, writes with owned buffers, the per-connection timer, lingering
 * close and graceful shutdown. What bytes mean is not decided here: reads are
 * handed to http.c or ws.c according to the connection state (net_int.h
 * documents the states). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "net/net_int.h"

void net_limits_default(net_limits *l) {
    l->max_header_bytes = 16 * 1024;
    l->max_body_bytes = 1024 * 1024;
    l->header_timeout_ms = 10000;
    l->keepalive_timeout_ms = 60000;
    l->ws_max_message = 64 * 1024;
    l->ws_ping_interval_ms = 25000;
    l->ws_max_queued_bytes = 1024 * 1024;
    l->allowed_origins = "";
}

net_server *net_server_new(uv_loop_t *loop, const net_limits *limits) {
    net_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->lim = *limits;
    s->slab = malloc(NET_SLAB_SIZE);
    s->origins = strdup(limits->allowed_origins ? limits->allowed_origins : "");
    if (!s->slab || !s->origins) goto fail;
    s->lim.allowed_origins = s->origins;
    s->next_id = 1;
    return s;
fail:
    free(s->slab);
    free(s->origins);
    free(s);
    return NULL;
}

/* Splits "ADDR:PORT", "[V6]:PORT" or ":PORT" into a socket address. */
static int parse_addr(const char *ap, struct sockaddr_storage *ss) {
    char host[64];
    const char *port;
    int v6 = 0;
    if (ap[0] == '[') {
        const char *end = strchr(ap, ']');
        if (!end || end[1] != ':' || (size_t)(end - ap - 1) >= sizeof host) return HARK_EINVAL;
        memcpy(host, ap + 1, (size_t)(end - ap - 1));
        host[end - ap - 1] = '\0';
        port = end + 2;
        v6 = 1;
    } else {
        const char *colon = strrchr(ap, ':');
        if (!colon || (size_t)(colon - ap) >= sizeof host) return HARK_EINVAL;
        memcpy(host, ap, (size_t)(colon - ap));
        host[colon - ap] = '\0';
        port = colon + 1;
    }
    long p = 0;
    if (!*port || strlen(port) > 5) return HARK_EINVAL;
    for (const char *q = port; *q; q++) {
        if (*q < '0' || *q > '9') return HARK_EINVAL;
        p = p * 10 + (*q - '0');
    }
    if (p > 65535) return HARK_EINVAL;
    if (!v6 && host[0] == '\0') memcpy(host, "0.0.0.0", 8);
    if (!v6 && strcmp(host, "localhost") == 0) memcpy(host, "127.0.0.1", 10);
    int rc =
        v6 ? uv_ip6_addr(host, (int)p, (struct sockaddr_in6 *)ss) : uv_ip4_addr(host, (int)p, (struct sockaddr_in *)ss);
    return rc ? HARK_EINVAL : HARK_OK;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    net_conn *c = h->data;
    (void)suggested;
    b->base = c->srv->slab;
    b->len = NET_SLAB_SIZE;
}

static void conn_enter(net_conn *c) {
    c->busy++;
}

/* Ends a callback; a drop asked for while it ran happens now. */
static void conn_leave(net_conn *c) {
    if (--c->busy == 0 && c->drop_pending) conn_drop(c);
}

static void server_check_done(net_server *s);

static void on_handle_closed(uv_handle_t *h) {
    net_conn *c = h->data;
    if (--c->handles > 0) return;
    net_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    free(c);
    server_check_done(s);
}

void conn_drop(net_conn *c) {
    if (c->state == CONN_CLOSED) return;
    if (c->busy) {
        c->drop_pending = 1;
        return;
    }
    int was = c->state;
    c->state = CONN_CLOSED;
    if (c->is_ws)
        ws_conn_release(c);
    else
        http_conn_release(c);
    log_conn(LOG_DEBUG, c->id, "connection closed%s", was == CONN_LINGER ? "" : " (dropped)");
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
    net_conn *c = st->data;
    if (n == 0 || c->state == CONN_CLOSED) return;
    conn_enter(c);
    if (n < 0) {
        if (n != UV_EOF) log_conn(LOG_DEBUG, c->id, "read failed: %s", uv_strerror((int)n));
        conn_drop(c);
    } else if (c->state == CONN_LINGER) {
        /* Discarded: the final response is out. */
    } else if (c->is_ws) {
        ws_on_read(c, b->base, (size_t)n);
    } else {
        http_on_read(c, b->base, (size_t)n);
    }
    conn_leave(c);
}

int conn_read_start(net_conn *c) {
    if (c->reading || c->state == CONN_CLOSED) return HARK_OK;
    if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) != 0) return HARK_EIO;
    c->reading = 1;
    return HARK_OK;
}

void conn_read_stop(net_conn *c) {
    if (!c->reading) return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void on_timer(uv_timer_t *t) {
    net_conn *c = t->data;
    if (c->state == CONN_CLOSED) return;
    conn_enter(c);
    if (c->drop_pending || c->state == CONN_LINGER)
        conn_drop(c);
    else if (c->is_ws)
        ws_on_timer(c);
    else
        http_on_timer(c);
    conn_leave(c);
}

void conn_drop_soon(net_conn *c) {
    if (c->state == CONN_CLOSED) return;
    c->drop_pending = 1;
    uv_timer_start(&c->timer, on_timer, 0, 0);
}

void conn_timer(net_conn *c, uint64_t ms) {
    if (c->state == CONN_CLOSED || c->drop_pending) return;
    if (ms == 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* One write: the head (owned) and an optional body, owned or borrowed. */
struct wreq {
    uv_write_t w;
    char *head;
    const char *body;
    size_t total;
    int body_owned;
};

static void wreq_free(struct wreq *wr) {
    free(wr->head);
    if (wr->body_owned) free((char *)wr->body);
    free(wr);
}

static void on_write(uv_write_t *w, int status) {
    struct wreq *wr = (struct wreq *)w;
    net_conn *c = w->handle->data;
    c->out_bytes -= wr->total;
    wreq_free(wr);
    if (c->state == CONN_CLOSED) return;
    conn_enter(c);
    if (status < 0) {
        log_conn(LOG_DEBUG, c->id, "write failed: %s", uv_strerror(status));
        conn_drop(c);
    } else if (c->state == CONN_HTTP_WRITING) {
        if (c->out_bytes == 0) http_on_written(c);
    } else if (c->is_ws && c->state != CONN_LINGER) {
        ws_on_written(c);
    }
    conn_leave(c);
}

int conn_write(net_conn *c, char *head, size_t head_len, const char *body, size_t len, int body_owned) {
    struct wreq *wr = NULL;
    int rc = HARK_EIO;
    if (c->state == CONN_CLOSED) goto fail;
    rc = HARK_ENOMEM;
    wr = calloc(1, sizeof *wr);
    if (!wr) goto fail;
    wr->head = head;
    wr->body = body;
    wr->body_owned = body_owned;
    wr->total = head_len + len;
    uv_buf_t bufs[2];
    unsigned n = 0;
    if (head_len) bufs[n++] = uv_buf_init(head, (unsigned)head_len);
    if (len) bufs[n++] = uv_buf_init((char *)body, (unsigned)len);
    if (n == 0) {
        wreq_free(wr);
        return HARK_OK;
    }
    int r = uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, n, on_write);
    if (r != 0) {
        log_conn(LOG_DEBUG, c->id, "write failed: %s", uv_strerror(r));
        wreq_free(wr);
        return HARK_EIO;
    }
    c->out_bytes += wr->total;
    return HARK_OK;
fail:
    free(head);
    if (body_owned) free((char *)body);
    return rc;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    net_conn *c = req->handle->data;
    free(req);
    if (c->state == CONN_CLOSED) return;
    conn_enter(c);
    if (status < 0)
        conn_drop(c);
    else
        conn_timer(c, NET_LINGER_MS);
    conn_leave(c);
}

void conn_finish(net_conn *c) {
    if (c->state == CONN_LINGER || c->state == CONN_CLOSED) return;
    if (c->is_ws)
        ws_conn_release(c);
    else
        http_conn_release(c);
    c->state = CONN_LINGER;
    /* Until the shutdown completes (after every queued write), a client that
     * does not read is given the keep-alive timeout, then dropped. */
    conn_timer(c, c->srv->lim.keepalive_timeout_ms ? c->srv->lim.keepalive_timeout_ms : NET_LINGER_MS);
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        conn_drop(c);
        return;
    }
    conn_read_start(c);
}

static void on_connection(uv_stream_t *server, int status) {
    net_server *s = server->data;
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    net_conn *c = calloc(1, sizeof *c);
    if (!c) {
        log_error("out of memory accepting a connection");
        return;
    }
    c->srv = s;
    c->id = s->next_id++;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->state = CONN_HTTP_IDLE;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_drop(c);
        return;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, c->addr, sizeof c->addr);
        else
            uv_ip4_name((struct sockaddr_in *)&ss, c->addr, sizeof c->addr);
    }
    uv_tcp_nodelay(&c->tcp, 1);
    log_conn(LOG_DEBUG, c->id, "accepted from %s", c->addr);
    http_conn_init(c);
    if (conn_read_start(c) != HARK_OK) conn_drop(c);
}

int net_listen(net_server *s, const char *addr_port, int *bound_port) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (s->draining || s->listener || !addr_port || parse_addr(addr_port, &ss) != HARK_OK) return HARK_EINVAL;
    uv_tcp_t *l = malloc(sizeof *l);
    if (!l) return HARK_ENOMEM;
    uv_tcp_init(s->loop, l);
    l->data = s;
    int r = uv_tcp_bind(l, (const struct sockaddr *)&ss, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)l, 511, on_connection);
    if (r != 0) {
        log_error("cannot listen on %s: %s", addr_port, uv_strerror(r));
        uv_close((uv_handle_t *)l, free_handle);
        return HARK_EIO;
    }
    struct sockaddr_storage b;
    int blen = sizeof b, port = 0;
    if (uv_tcp_getsockname(l, (struct sockaddr *)&b, &blen) == 0)
        port = ntohs(b.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&b)->sin6_port
                                             : ((struct sockaddr_in *)&b)->sin_port);
    if (bound_port) *bound_port = port;
    s->listener = l;
    log_info("listening on %s (port %d)", addr_port, port);
    return HARK_OK;
}

static void on_grace_closed(uv_handle_t *h) {
    net_server *s = h->data;
    if (s->done) s->done(s->done_arg); /* may free s */
}

static void server_check_done(net_server *s) {
    if (!s->draining || s->finishing || s->nconns > 0) return;
    s->finishing = 1;
    if (s->kick_check) {
        uv_close((uv_handle_t *)s->kick_check, free_handle);
        s->kick_check = NULL;
    }
    uv_timer_stop(&s->grace);
    uv_close((uv_handle_t *)&s->grace, on_grace_closed);
}

static void on_grace(uv_timer_t *t) {
    net_server *s = t->data;
    if (s->nconns) log_warn("shutdown grace over: dropping %zu connections", s->nconns);
    for (net_conn *c = s->conns; c; c = c->next) conn_drop(c);
}

void net_shutdown(net_server *s, uint32_t grace_ms, void (*done)(void *arg), void *arg) {
    if (s->draining) return;
    s->draining = 1;
    s->done = done;
    s->done_arg = arg;
    if (s->listener) {
        uv_close((uv_handle_t *)s->listener, free_handle);
        s->listener = NULL;
    }
    uv_timer_init(s->loop, &s->grace);
    s->grace.data = s;
    uv_timer_start(&s->grace, on_grace, grace_ms, 0);
    for (net_conn *c = s->conns; c; c = c->next) {
        if (c->state == CONN_HTTP_IDLE)
            conn_drop(c);
        else if (c->state == CONN_WS_OPEN)
            ws_on_shutdown(c);
    }
    server_check_done(s);
}

void net_server_free(net_server *s) {
    if (!s) return;
    if (s->kick_check) uv_close((uv_handle_t *)s->kick_check, free_handle);
    router_free(s);
    free(s->etags);
    free(s->slab);
    free(s->origins);
    free(s);
}

size_t net_conn_count(const net_server *s) {
    return s->nconns;
}

size_t net_ws_count(const net_server *s) {
    return s->nws;
}
