/* Helpers shared by the net unit tests (test_http.c, test_ws.c): a real
 * server on 127.0.0.1:0 whose loop runs in a thread of its own, calls run on
 * that loop thread, and a blocking socket client with timeouts. Header-only
 * (static functions) because every test file is its own executable. */
#ifndef HARK_TEST_NET_UTIL_H
#define HARK_TEST_NET_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "net/net.h"

typedef struct test_server {
    uv_loop_t loop;
    uv_async_t async;
    net_server *srv;
    int port;
    uv_thread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*cmd)(struct test_server *ts, void *arg);
    void *cmd_arg;
    int cmd_done;
    int stopped;
} test_server;

static void ts_on_async(uv_async_t *a) {
    test_server *ts = a->data;
    pthread_mutex_lock(&ts->mu);
    void (*cmd)(test_server *, void *) = ts->cmd;
    void *arg = ts->cmd_arg;
    pthread_mutex_unlock(&ts->mu);
    if (cmd) cmd(ts, arg);
    pthread_mutex_lock(&ts->mu);
    ts->cmd = NULL;
    ts->cmd_done = 1;
    pthread_cond_broadcast(&ts->cv);
    pthread_mutex_unlock(&ts->mu);
}

static void ts_thread(void *arg) {
    test_server *ts = arg;
    uv_run(&ts->loop, UV_RUN_DEFAULT);
}

/* Creates the server with LIMITS (NULL: defaults); routes are added by the
 * caller before ts_start. */
static void ts_init(test_server *ts, const net_limits *limits) {
    memset(ts, 0, sizeof *ts);
    net_limits l;
    net_limits_default(&l);
    if (limits) l = *limits;
    uv_loop_init(&ts->loop);
    ts->srv = net_server_new(&ts->loop, &l);
    pthread_mutex_init(&ts->mu, NULL);
    pthread_cond_init(&ts->cv, NULL);
}

static int ts_start(test_server *ts) {
    int rc = net_listen(ts->srv, "127.0.0.1:0", &ts->port);
    if (rc) return rc;
    uv_async_init(&ts->loop, &ts->async, ts_on_async);
    ts->async.data = ts;
    return uv_thread_create(&ts->thread, ts_thread, ts);
}

/* Runs FN(ts, ARG) on the loop thread and waits for it. */
static void ts_call(test_server *ts, void (*fn)(test_server *, void *), void *arg) {
    pthread_mutex_lock(&ts->mu);
    ts->cmd = fn;
    ts->cmd_arg = arg;
    ts->cmd_done = 0;
    pthread_mutex_unlock(&ts->mu);
    uv_async_send(&ts->async);
    pthread_mutex_lock(&ts->mu);
    while (!ts->cmd_done) pthread_cond_wait(&ts->cv, &ts->mu);
    pthread_mutex_unlock(&ts->mu);
}

static void ts_on_done(void *arg) {
    test_server *ts = arg;
    ts->stopped = 1;
    uv_close((uv_handle_t *)&ts->async, NULL);
}

static void ts_cmd_shutdown(test_server *ts, void *arg) {
    net_shutdown(ts->srv, (uint32_t)(uintptr_t)arg, ts_on_done, ts);
}

/* Starts a graceful shutdown (GRACE_MS); ts_join waits for it to end. */
static void ts_begin_stop(test_server *ts, uint32_t grace_ms) {
    ts_call(ts, ts_cmd_shutdown, (void *)(uintptr_t)grace_ms);
}

/* Joins the loop thread (it ends when the loop has no work left) and frees. */
static void ts_join(test_server *ts) {
    uv_thread_join(&ts->thread);
    net_server_free(ts->srv);
    uv_loop_close(&ts->loop);
    pthread_mutex_destroy(&ts->mu);
    pthread_cond_destroy(&ts->cv);
}

static void ts_stop(test_server *ts, uint32_t grace_ms) {
    ts_begin_stop(ts, grace_ms);
    ts_join(ts);
}

struct ts_counts {
    size_t conns, ws;
};

static void ts_cmd_counts(test_server *ts, void *arg) {
    struct ts_counts *c = arg;
    c->conns = net_conn_count(ts->srv);
    c->ws = net_ws_count(ts->srv);
}

static struct ts_counts ts_counts(test_server *ts) {
    struct ts_counts c;
    ts_call(ts, ts_cmd_counts, &c);
    return c;
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- client side ---- */

static int tc_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int tc_send(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int tc_sends(int fd, const char *s) {
    return tc_send(fd, s, strlen(s));
}

/* Reads exactly N bytes; 0, or -1 on EOF / timeout / error. */
static int tc_read_n(int fd, void *p, size_t n) {
    char *c = p;
    while (n > 0) {
        ssize_t r = recv(fd, c, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Whether the peer closed: EOF (or reset) within MS milliseconds. */
static int tc_wait_eof(int fd, int ms) {
    int64_t end = now_ms() + ms;
    char b[4096];
    while (now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(end - now_ms());
        if (poll(&p, 1, left > 0 ? left : 0) <= 0) continue;
        ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (r == 0) return 1;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return 1;
    }
    return 0;
}

typedef struct tc_resp {
    int status;
    char head[32768]; /* NUL-terminated response head */
    char *body;       /* malloc'd, NUL-terminated */
    size_t body_len;
} tc_resp;

/* The value of header NAME in the response head, copied into OUT; 0 or -1. */
static int tc_header(const tc_resp *r, const char *name, char *out, size_t cap) {
    size_t n = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ') v++;
            const char *e = strstr(v, "\r\n");
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len >= cap) len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return 0;
        }
    }
    return -1;
}

/* Reads one response (head, then Content-Length bytes unless HEAD_ONLY_BODYLESS
 * says the request was HEAD). Returns 0, or -1 on timeout / EOF / garbage. */
static int tc_read_resp_ex(int fd, tc_resp *r, int head_request) {
    size_t n = 0;
    memset(r, 0, sizeof *r);
    while (n + 1 < sizeof r->head) {
        if (tc_read_n(fd, r->head + n, 1) != 0) return -1;
        n++;
        if (n >= 4 && memcmp(r->head + n - 4, "\r\n\r\n", 4) == 0) break;
    }
    r->head[n] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) return -1;
    char cl[32];
    size_t len = 0;
    if (tc_header(r, "Content-Length", cl, sizeof cl) == 0) len = (size_t)strtoul(cl, NULL, 10);
    if (head_request || r->status == 304 || r->status == 204 || r->status < 200) len = 0;
    r->body = malloc(len + 1);
    if (!r->body) return -1;
    if (len && tc_read_n(fd, r->body, len) != 0) return -1;
    r->body[len] = '\0';
    r->body_len = len;
    return 0;
}

static int tc_read_resp(int fd, tc_resp *r) {
    return tc_read_resp_ex(fd, r, 0);
}

static void tc_resp_free(tc_resp *r) {
    free(r->body);
    r->body = NULL;
}

#endif
