/* Unit tests of net's HTTP side against a real server on 127.0.0.1:0: the
 * client is a plain blocking socket, so every check is on the bytes a client
 * sees. The server loop runs in its own thread (test_net_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/embed.h"
#include "core/err.h"
#include "test_net_util.h"

/* ---- handlers (run on the loop thread) ---- */

static void h_hello(http_req *r, void *ud) {
    (void)ud;
    http_respond(r, 200, "text/plain", "hello", 5);
}

static void h_echo_path(http_req *r, void *ud) {
    (void)ud;
    const char *p = http_path(r);
    http_respond(r, 200, "text/plain", p, strlen(p));
}

static void h_echo_body(http_req *r, void *ud) {
    (void)ud;
    size_t len;
    const char *b = http_body(r, &len);
    http_respond(r, 200, "application/octet-stream", b, len);
}

static void h_query(http_req *r, void *ud) {
    (void)ud;
    char v[64], out[160];
    int rc = http_query_param(r, "name", v, sizeof v);
    char small[4];
    int rc_small = http_query_param(r, "name", small, sizeof small);
    int rc_missing = http_query_param(r, "missing", v + 32, 8);
    int n = snprintf(out, sizeof out, "%d|%s|%d|%d|%s", rc, rc == 0 ? v : "", rc_small, rc_missing, http_query(r));
    http_respond(r, 200, "text/plain", out, (size_t)n);
}

static void h_headers(http_req *r, void *ud) {
    (void)ud;
    const char *v = http_header(r, "x-test");
    http_add_header(r, "Content-Security-Policy", "default-src 'none'");
    http_add_header(r, "X-Bad", "a\r\nInjected: yes");
    http_add_header(r, "X-Good", "fine");
    http_respond(r, 200, "text/plain", v ? v : "-", v ? strlen(v) : 1);
}

/* Responds after DELAY ms from a timer: the asynchronous handler case. */
struct later {
    uv_timer_t t;
    http_req *r;
};

static atomic_int later_responded;

static void later_closed(uv_handle_t *h) {
    free(h->data);
}

static void later_fire(uv_timer_t *t) {
    struct later *l = t->data;
    http_respond(l->r, 200, "text/plain", "later", 5);
    atomic_fetch_add(&later_responded, 1);
    uv_close((uv_handle_t *)&l->t, later_closed);
}

static void h_later(http_req *r, void *ud) {
    test_server *ts = ud;
    struct later *l = calloc(1, sizeof *l);
    l->r = r;
    uv_timer_init(&ts->loop, &l->t);
    l->t.data = l;
    uv_timer_start(&l->t, later_fire, strcmp(http_path(r), "/slow") == 0 ? 400 : 100, 0);
}

static void h_error(http_req *r, void *ud) {
    (void)ud;
    http_respond_error(r, 409, "conflict", "a \"quoted\" message");
}

static void setup_routes(test_server *ts) {
    net_server *s = ts->srv;
    assert_int_equal(net_route(s, "GET", "/hello", 0, h_hello, NULL), 0);
    assert_int_equal(net_route(s, "GET", "/p/", 1, h_echo_path, NULL), 0);
    assert_int_equal(net_route(s, "GET", "/p/exact", 0, h_hello, NULL), 0);
    assert_int_equal(net_route(s, "POST", "/echo", 0, h_echo_body, NULL), 0);
    assert_int_equal(net_route(s, "GET", "/q", 0, h_query, NULL), 0);
    assert_int_equal(net_route(s, "GET", "/headers", 0, h_headers, NULL), 0);
    assert_int_equal(net_route(s, "GET", "/later", 0, h_later, ts), 0);
    assert_int_equal(net_route(s, "GET", "/slow", 0, h_later, ts), 0);
    assert_int_equal(net_route(s, NULL, "/error", 0, h_error, NULL), 0);
    assert_int_equal(net_static_route(s, "/static/"), 0);
}

static test_server *start(const net_limits *l) {
    test_server *ts = calloc(1, sizeof *ts);
    ts_init(ts, l);
    assert_non_null(ts->srv);
    setup_routes(ts);
    assert_int_equal(ts_start(ts), 0);
    assert_true(ts->port > 0);
    return ts;
}

static void stop(test_server *ts) {
    ts_stop(ts, 2000);
    free(ts);
}

/* One request on a new connection; returns the status (response in *R). */
static int roundtrip(test_server *ts, const char *req, tc_resp *r) {
    int fd = tc_connect(ts->port);
    assert_true(fd >= 0);
    assert_int_equal(tc_sends(fd, req), 0);
    int rc = tc_read_resp(fd, r);
    close(fd);
    return rc == 0 ? r->status : -1;
}

/* ---- tests ---- */

static void test_simple_get(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "hello");
    char v[256];
    assert_int_equal(tc_header(&r, "Content-Length", v, sizeof v), 0);
    assert_string_equal(v, "5");
    assert_int_equal(tc_header(&r, "Content-Type", v, sizeof v), 0);
    assert_string_equal(v, "text/plain");
    assert_int_equal(tc_header(&r, "Date", v, sizeof v), 0);
    assert_non_null(strstr(v, " GMT"));
    assert_int_equal(tc_header(&r, "Connection", v, sizeof v), 0);
    assert_string_equal(v, "keep-alive");
    assert_int_equal(tc_header(&r, "X-Content-Type-Options", v, sizeof v), 0);
    assert_string_equal(v, "nosniff");
    assert_int_equal(tc_header(&r, "Referrer-Policy", v, sizeof v), 0);
    assert_string_equal(v, "no-referrer");
    assert_int_equal(tc_header(&r, "X-Frame-Options", v, sizeof v), 0);
    assert_string_equal(v, "DENY");
    assert_int_equal(tc_header(&r, "Content-Security-Policy", v, sizeof v), 0);
    assert_string_equal(v, "default-src 'self'; frame-ancestors 'none'");
    tc_resp_free(&r);

    /* HEAD: same headers, no body. */
    int fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp_ex(fd, &r, 1), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(tc_header(&r, "Content-Length", v, sizeof v), 0);
    assert_string_equal(v, "5");
    tc_resp_free(&r);
    assert_int_equal(tc_read_resp(fd, &r), 0); /* the next response follows at once: no body bytes between */
    assert_string_equal(r.body, "hello");
    tc_resp_free(&r);
    close(fd);
    stop(ts);
}

static void test_handler_headers(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "GET /headers HTTP/1.1\r\nHost: x\r\nX-Test: abc def\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "abc def");
    char v[256];
    assert_int_equal(tc_header(&r, "Content-Security-Policy", v, sizeof v), 0);
    assert_string_equal(v, "default-src 'none'"); /* the handler's, not the default */
    assert_null(strstr(r.head, "frame-ancestors"));
    assert_int_equal(tc_header(&r, "X-Good", v, sizeof v), 0);
    assert_int_equal(tc_header(&r, "X-Bad", v, sizeof v), -1);
    assert_null(strstr(r.head, "Injected"));
    tc_resp_free(&r);

    assert_int_equal(roundtrip(ts, "DELETE /error HTTP/1.1\r\nHost: x\r\n\r\n", &r), 409);
    assert_string_equal(r.body, "{\"error\":{\"code\":\"conflict\",\"message\":\"a \\\"quoted\\\" message\"}}");
    assert_int_equal(tc_header(&r, "Content-Type", v, sizeof v), 0);
    assert_string_equal(v, "application/json");
    tc_resp_free(&r);
    stop(ts);
}

static void test_keepalive(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = tc_connect(ts->port);
    tc_resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
        assert_int_equal(tc_read_resp(fd, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "hello");
        tc_resp_free(&r);
    }
    /* A POST with a body, then Connection: close ends the connection. */
    assert_int_equal(tc_sends(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_string_equal(r.body, "abc");
    tc_resp_free(&r);
    assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    char v[64];
    assert_int_equal(tc_header(&r, "Connection", v, sizeof v), 0);
    assert_string_equal(v, "close");
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);

    /* Expect: 100-continue gets the interim answer before the body is sent. */
    fd = tc_connect(ts->port);
    assert_int_equal(
        tc_sends(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 100);
    tc_resp_free(&r);
    assert_int_equal(tc_sends(fd, "ok"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    tc_resp_free(&r);
    close(fd);

    /* HTTP/1.0 without keep-alive: closed after the response. */
    fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 200);
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    stop(ts);
}

static void test_pipelined(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = tc_connect(ts->port);
    /* Three requests in one write, one of them asynchronous and one with a body:
     * the answers come in order. */
    assert_int_equal(tc_sends(fd, "GET /p/one HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
                                  "GET /p/three HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    const char *want[] = {"/p/one", "later", "body", "/p/three"};
    for (int i = 0; i < 4; i++) {
        tc_resp r;
        assert_int_equal(tc_read_resp(fd, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, want[i]);
        tc_resp_free(&r);
    }
    close(fd);

    /* A request split into single bytes. */
    fd = tc_connect(ts->port);
    const char *req = "GET /p/split HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t i = 0; req[i]; i++) {
        assert_int_equal(tc_send(fd, req + i, 1), 0);
        if (i % 8 == 0) sleep_ms(1);
    }
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_string_equal(r.body, "/p/split");
    tc_resp_free(&r);
    close(fd);
    stop(ts);
}

static void test_routing(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    char v[128];
    assert_int_equal(roundtrip(ts, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    assert_non_null(strstr(r.body, "not_found"));
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &r), 405);
    assert_int_equal(tc_header(&r, "Allow", v, sizeof v), 0);
    assert_string_equal(v, "GET, HEAD");
    tc_resp_free(&r);
    /* Longest match: the exact route beats the prefix; the prefix takes the rest. */
    assert_int_equal(roundtrip(ts, "GET /p/exact HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "hello");
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /p/exactly?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "/p/exactly");
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /p HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    tc_resp_free(&r);
    /* Absolute-form target. */
    assert_int_equal(roundtrip(ts, "GET http://example.com/p/abs?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "/p/abs");
    tc_resp_free(&r);
    stop(ts);
}

static void test_header_too_large(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    size_t big = 17 * 1024;
    char *req = malloc(big + 100);
    int n = snprintf(req, 100, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 5);
    tc_resp r;
    assert_int_equal(roundtrip(ts, req, &r), 431);
    char v[64];
    assert_int_equal(tc_header(&r, "Connection", v, sizeof v), 0);
    assert_string_equal(v, "close");
    tc_resp_free(&r);
    /* Just under the limit passes. */
    size_t ok = 15 * 1024;
    memset(req + n, 'b', ok);
    memcpy(req + n + ok, "\r\n\r\n", 5);
    assert_int_equal(roundtrip(ts, req, &r), 200);
    tc_resp_free(&r);
    free(req);
    stop(ts);
}

static void test_body_too_large(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n", &r), 413);
    tc_resp_free(&r);

    /* Chunked: the limit is checked while the body streams in. */
    int fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
    char *chunk = malloc(70000);
    int hn = snprintf(chunk, 16, "10000\r\n");
    memset(chunk + hn, 'z', 0x10000);
    memcpy(chunk + hn + 0x10000, "\r\n", 2);
    size_t clen = (size_t)hn + 0x10000 + 2;
    int sent = 0;
    for (int i = 0; i < 20; i++) {                /* 20 x 64 KiB = 1.25 MiB */
        if (tc_send(fd, chunk, clen) != 0) break; /* the server may stop reading once it answered */
        sent++;
    }
    assert_true(sent >= 16);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 413);
    tc_resp_free(&r);
    free(chunk);
    close(fd);

    /* Exactly at the limit is accepted. */
    net_limits l;
    net_limits_default(&l);
    l.max_body_bytes = 1000;
    test_server *small = start(&l);
    char req[1200];
    int n = snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    memset(req + n, 'k', 1000);
    req[n + 1000] = '\0';
    assert_int_equal(roundtrip(small, req, &r), 200);
    assert_int_equal(r.body_len, 1000);
    tc_resp_free(&r);
    stop(small);
    stop(ts);
}

static void test_header_timeout(void **state) {
    (void)state;
    net_limits l;
    net_limits_default(&l);
    l.header_timeout_ms = 200;
    l.keepalive_timeout_ms = 300;
    test_server *ts = start(&l);
    int fd = tc_connect(ts->port);
    int64_t t0 = now_ms();
    assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n"), 0);
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 408);
    assert_true(now_ms() - t0 >= 150);
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);

    /* An idle keep-alive connection is closed silently. */
    fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd, 2000));
    close(fd);
    sleep_ms(100);
    assert_int_equal(ts_counts(ts).conns, 0);
    stop(ts);
}

static void test_malformed(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "HELLO WORLD\r\n\r\n", &r), 400);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /hello HTTP/9\r\n\r\n", &r), 400);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", &r), 400);
    tc_resp_free(&r);
    /* Request smuggling shape: both Content-Length and chunked. */
    assert_int_equal(roundtrip(ts,
                               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: "
                               "chunked\r\n\r\n0\r\n\r\n",
                               &r),
                     400);
    tc_resp_free(&r);
    stop(ts);
}

static void test_async_handler(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    int64_t t0 = now_ms();
    assert_int_equal(roundtrip(ts, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_true(now_ms() - t0 >= 90);
    assert_string_equal(r.body, "later");
    tc_resp_free(&r);
    stop(ts);
}

static void test_client_gone(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    atomic_store(&later_responded, 0);
    /* The client leaves while the handler works: the late response goes nowhere. */
    int fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    close(fd);
    sleep_ms(600);
    assert_int_equal(atomic_load(&later_responded), 1);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    tc_resp_free(&r);

    /* The connection is torn down (shutdown grace over) before the handler
     * answers: the request is orphaned and http_respond drops it. */
    fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    sleep_ms(50);
    assert_int_equal(ts_counts(ts).conns, 1);
    ts_stop(ts, 50); /* returns once the loop ran out of work: the handler's timer fired too */
    assert_int_equal(atomic_load(&later_responded), 2);
    assert_true(tc_wait_eof(fd, 1000));
    close(fd);
    free(ts);
}

static void test_query_param(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    assert_int_equal(roundtrip(ts, "GET /q?x=1&name=J%C3%B6rg+M%26M&y HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    char want[128];
    snprintf(want, sizeof want, "0|J\xc3\xb6rg M&M|%d|%d|x=1&name=J%%C3%%B6rg+M%%26M&y", HARK_ETOOBIG, HARK_ENOTFOUND);
    assert_string_equal(r.body, want);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /q?na%6De=%zz%4 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    snprintf(want, sizeof want, "0|%%zz%%4|%d|%d|na%%6De=%%zz%%4", HARK_ETOOBIG, HARK_ENOTFOUND);
    assert_string_equal(r.body, want);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /q HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    snprintf(want, sizeof want, "%d||%d|%d|", HARK_ENOTFOUND, HARK_ENOTFOUND, HARK_ENOTFOUND);
    assert_string_equal(r.body, want);
    tc_resp_free(&r);
    stop(ts);
}

static void test_static(void **state) {
    (void)state;
    const struct embed_file *f = NULL;
    for (const struct embed_file *e = hark_assets; e->path; e++)
        if (!f || (strstr(e->path, ".js") && !strstr(f->path, ".js"))) f = e;
    assert_non_null(f); /* the build embeds web/ */
    test_server *ts = start(NULL);
    char req[600];
    snprintf(req, sizeof req, "GET /static%s HTTP/1.1\r\nHost: x\r\n\r\n", f->path);
    tc_resp r;
    assert_int_equal(roundtrip(ts, req, &r), 200);
    assert_int_equal(r.body_len, f->len);
    assert_memory_equal(r.body, f->data, f->len);
    char etag[64], v[128];
    assert_int_equal(tc_header(&r, "ETag", etag, sizeof etag), 0);
    assert_int_equal(etag[0], '"');
    assert_int_equal(tc_header(&r, "Cache-Control", v, sizeof v), 0);
    assert_int_equal(tc_header(&r, "Content-Type", v, sizeof v), 0);
    if (strstr(f->path, ".js")) assert_string_equal(v, "text/javascript; charset=utf-8");
    tc_resp_free(&r);

    snprintf(req, sizeof req, "GET /static%s HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"nope\", %s\r\n\r\n", f->path,
             etag);
    assert_int_equal(roundtrip(ts, req, &r), 304);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(tc_header(&r, "ETag", v, sizeof v), 0);
    assert_string_equal(v, etag);
    tc_resp_free(&r);

    snprintf(req, sizeof req, "GET /static%s HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n\r\n", f->path);
    assert_int_equal(roundtrip(ts, req, &r), 200);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /static/no/such.js HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "GET /static/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", &r), 404);
    tc_resp_free(&r);
    assert_int_equal(roundtrip(ts, "DELETE /static/x.js HTTP/1.1\r\nHost: x\r\n\r\n", &r), 405);
    tc_resp_free(&r);
    stop(ts);
}

static void test_shutdown(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    /* An idle keep-alive connection is closed at once by the shutdown. */
    int fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    tc_resp_free(&r);
    /* An in-flight request finishes, with Connection: close. */
    int fd2 = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd2, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    sleep_ms(30);
    int64_t t0 = now_ms();
    ts_begin_stop(ts, 3000);
    assert_true(tc_wait_eof(fd, 1000));
    assert_int_equal(tc_read_resp(fd2, &r), 0);
    assert_int_equal(r.status, 200);
    char v[32];
    assert_int_equal(tc_header(&r, "Connection", v, sizeof v), 0);
    assert_string_equal(v, "close");
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd2, 1000));
    close(fd);
    close(fd2);
    ts_join(ts); /* done came when the last connection was gone, well before the grace */
    assert_true(now_ms() - t0 < 2000);
    /* New connections are refused. */
    assert_true(tc_connect(ts->port) < 0);
    free(ts);
}

static void listen_done(void *arg) {
    *(int *)arg = 1;
}

static void test_listen_errors(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    net_limits l;
    net_limits_default(&l);
    net_server *a = net_server_new(&loop, &l);
    net_server *b = net_server_new(&loop, &l);
    assert_int_equal(net_listen(b, "nonsense", NULL), HARK_EINVAL);
    assert_int_equal(net_listen(b, "127.0.0.1:99999", NULL), HARK_EINVAL);
    assert_int_equal(net_listen(b, "999.1.1.1:80", NULL), HARK_EINVAL);
    assert_int_equal(net_listen(b, "127.0.0.1:", NULL), HARK_EINVAL);
    int port = 0;
    assert_int_equal(net_listen(a, "127.0.0.1:0", &port), 0);
    assert_true(port > 0);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    assert_int_equal(net_listen(b, addr, NULL), HARK_EIO); /* taken */
    int done = 0;
    net_shutdown(a, 1000, listen_done, &done);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(done, 1);
    net_server_free(a);
    net_server_free(b);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),     cmocka_unit_test(test_handler_headers),
        cmocka_unit_test(test_keepalive),      cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_routing),        cmocka_unit_test(test_header_too_large),
        cmocka_unit_test(test_body_too_large), cmocka_unit_test(test_header_timeout),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_async_handler),
        cmocka_unit_test(test_client_gone),    cmocka_unit_test(test_query_param),
        cmocka_unit_test(test_static),         cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_listen_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
