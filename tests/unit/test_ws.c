/* Unit tests of net's WebSocket side against a real server on 127.0.0.1:0,
 * with a hand-written client that builds (and breaks) frames byte by byte.
 * Assertions are on the frames and close codes a client sees and on the
 * codes the handler's on_close receives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/err.h"
#include "net/net_int.h"
#include "core/sha1.h"
#include "test_net_util.h"

/* ---- the server side: an echo endpoint with a few commands ---- */

static atomic_int opens, texts, closes, last_close_code, flood_rc;
/* Checks made inside the callbacks (on the loop thread, where cmocka's asserts
 * must not run) count their failures here; stop() asserts it stayed 0. */
static atomic_int callback_failures;

#define CHECK_IN_LOOP(cond)                                                                                            \
    do {                                                                                                               \
        if (!(cond)) atomic_fetch_add(&callback_failures, 1);                                                          \
    } while (0)
static atomic_size_t flood_bytes;

static void on_open(ws_conn *ws, void *ud) {
    (void)ud;
    ws_set_data(ws, (void *)(uintptr_t)ws_id(ws));
    atomic_fetch_add(&opens, 1);
}

static void on_text(ws_conn *ws, const char *data, size_t len, void *ud) {
    (void)ud;
    CHECK_IN_LOOP((uintptr_t)ws_get_data(ws) == ws_id(ws));
    atomic_fetch_add(&texts, 1);
    if (len == 8 && memcmp(data, "close-me", 8) == 0) {
        ws_close(ws, 4001, "replaced");
        CHECK_IN_LOOP(ws_send_text(ws, "x", 1) == HARK_ECLOSED);
    } else if (len == 5 && memcmp(data, "flood", 5) == 0) {
        static char chunk[16384];
        memset(chunk, 'f', sizeof chunk);
        size_t total = 0;
        int rc = ws_send_text(ws, chunk, sizeof chunk);
        for (; rc == 0; rc = ws_send_text(ws, chunk, sizeof chunk)) total += sizeof chunk;
        atomic_store(&flood_bytes, total);
        atomic_store(&flood_rc, rc);
    } else if (len == 4 && memcmp(data, "addr", 4) == 0) {
        const char *a = ws_remote_addr(ws);
        ws_send_text(ws, a, strlen(a));
    } else {
        ws_send_text(ws, data, len);
    }
}

static void on_close(ws_conn *ws, int code, void *ud) {
    (void)ud;
    CHECK_IN_LOOP(ws_send_text(ws, "x", 1) == HARK_ECLOSED);
    atomic_store(&last_close_code, code);
    atomic_fetch_add(&closes, 1);
}

static const ws_handler echo = {on_open, on_text, on_close, NULL};

static void h_plain(http_req *r, void *ud) {
    (void)ud;
    http_respond(r, 200, "text/plain", "plain", 5);
}

static test_server *start(const net_limits *l) {
    test_server *ts = calloc(1, sizeof *ts);
    net_limits d;
    net_limits_default(&d);
    if (!l) {
        d.ws_max_message = 4096;
        l = &d;
    }
    ts_init(ts, l);
    assert_int_equal(net_ws_route(ts->srv, "/ws", &echo), 0);
    assert_int_equal(net_route(ts->srv, "GET", "/plain", 0, h_plain, NULL), 0);
    assert_int_equal(ts_start(ts), 0);
    atomic_store(&opens, 0);
    atomic_store(&texts, 0);
    atomic_store(&closes, 0);
    atomic_store(&last_close_code, 0);
    return ts;
}

static void stop(test_server *ts) {
    ts_stop(ts, 2000);
    free(ts);
    assert_int_equal(atomic_load(&callback_failures), 0);
}

/* Waits until on_close ran N times in all; returns the last code or -1. */
static int wait_closes(int n, int ms) {
    int64_t end = now_ms() + ms;
    while (atomic_load(&closes) < n && now_ms() < end) sleep_ms(5);
    return atomic_load(&closes) >= n ? atomic_load(&last_close_code) : -1;
}

/* ---- the client side ---- */

/* Builds a frame; masked unless UNMASKED. Returns its length in OUT (cap
 * len + 14). */
static size_t frame(unsigned char *out, int fin, int opcode, const void *payload, size_t len, int unmasked) {
    size_t n = 0;
    out[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    unsigned char m = unmasked ? 0 : 0x80;
    if (len < 126) {
        out[n++] = (unsigned char)(m | len);
    } else if (len < 65536) {
        out[n++] = m | 126;
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--) out[n++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (!unmasked) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    const unsigned char *p = payload;
    for (size_t i = 0; i < len; i++) out[n + i] = unmasked ? p[i] : (unsigned char)(p[i] ^ key[i % 4]);
    return n + len;
}

static int send_frame(int fd, int fin, int opcode, const void *payload, size_t len) {
    unsigned char *b = malloc(len + 14);
    size_t n = frame(b, fin, opcode, payload, len, 0);
    int rc = tc_send(fd, b, n);
    free(b);
    return rc;
}

static int send_text(int fd, const char *s) {
    return send_frame(fd, 1, 1, s, strlen(s));
}

static int send_close(int fd, int code, const char *reason) {
    unsigned char p[128] = {0};
    size_t n = 0;
    if (code >= 0) {
        p[0] = (unsigned char)(code >> 8);
        p[1] = (unsigned char)code;
        n = 2;
    }
    size_t rl = reason ? strlen(reason) : 0;
    if (rl) memcpy(p + n, reason, rl);
    return send_frame(fd, 1, 8, p, n + rl);
}

typedef struct ws_msg {
    int fin, opcode;
    unsigned char *data; /* malloc'd, NUL-terminated */
    size_t len;
} ws_msg;

/* Reads one frame from the server (which must not mask). 0 or -1. */
static int read_frame(int fd, ws_msg *m) {
    unsigned char h[10];
    memset(m, 0, sizeof *m);
    if (tc_read_n(fd, h, 2) != 0) return -1;
    if (h[1] & 0x80) return -1;
    m->fin = h[0] >> 7;
    m->opcode = h[0] & 0x0f;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        if (tc_read_n(fd, h + 2, 2) != 0) return -1;
        len = (uint64_t)h[2] << 8 | h[3];
    } else if (len == 127) {
        if (tc_read_n(fd, h + 2, 8) != 0) return -1;
        len = 0;
        for (int i = 2; i < 10; i++) len = len << 8 | h[i];
    }
    m->data = malloc((size_t)len + 1);
    if (len && tc_read_n(fd, m->data, (size_t)len) != 0) return -1;
    m->data[len] = '\0';
    m->len = (size_t)len;
    return 0;
}

static int close_code(const ws_msg *m) {
    return m->len >= 2 ? (m->data[0] << 8 | m->data[1]) : 1005;
}

/* Reads frames until a close; returns its code (-1 if the stream ended first). */
static int read_until_close(int fd) {
    for (;;) {
        ws_msg m;
        if (read_frame(fd, &m) != 0) {
            free(m.data);
            return -1;
        }
        int code = m.opcode == 8 ? close_code(&m) : 0;
        free(m.data);
        if (code) return code;
    }
}

static const char *handshake_fmt = "GET %s HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "Sec-WebSocket-Version: 13\r\n%s\r\n";

/* Opens a WebSocket on /ws (EXTRA: more header lines). Returns the socket or -1. */
static int ws_connect(int port, const char *extra) {
    int fd = tc_connect(port);
    char req[1024];
    snprintf(req, sizeof req, handshake_fmt, "/ws", extra ? extra : "");
    tc_resp r;
    if (fd < 0 || tc_sends(fd, req) != 0 || tc_read_resp(fd, &r) != 0) return -1;
    int status = r.status;
    tc_resp_free(&r);
    if (status != 101) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the next data or close frame, skipping pings and pongs. */
static int read_data_frame(int fd, ws_msg *m) {
    for (;;) {
        if (read_frame(fd, m) != 0) return -1;
        if (m->opcode != 9 && m->opcode != 10) return 0;
        free(m->data);
    }
}

/* Sends TEXT and expects it back. */
static void expect_echo(int fd, const char *text) {
    assert_int_equal(send_text(fd, text), 0);
    ws_msg m;
    assert_int_equal(read_data_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 1);
    assert_int_equal(m.fin, 1);
    assert_int_equal(m.len, strlen(text));
    assert_memory_equal(m.data, text, m.len);
    free(m.data);
}

/* ---- tests ---- */

static void hex(const unsigned char *d, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha1_and_accept_key(void **state) {
    (void)state;
    unsigned char d[20];
    char h[41];
    sha1("abc", 3, d);
    hex(d, 20, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1("", 0, d);
    hex(d, 20, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1(two, strlen(two), d);
    hex(d, 20, h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_ctx c;
    sha1_init(&c);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++) sha1_update(&c, a, sizeof a);
    sha1_final(&c, d);
    hex(d, 20, h);
    assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

    /* RFC 6455 section 1.3's example (the brief quoted a different value; the
     * RFC's is the one any client computes). */
    char accept[29];
    sha1_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", accept);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    /* The same on the wire. */
    test_server *ts = start(NULL);
    int fd = tc_connect(ts->port);
    char req[1024];
    snprintf(req, sizeof req, handshake_fmt, "/ws", "");
    assert_int_equal(tc_sends(fd, req), 0);
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 101);
    char v[64];
    assert_int_equal(tc_header(&r, "Sec-WebSocket-Accept", v, sizeof v), 0);
    assert_string_equal(v, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal(tc_header(&r, "Upgrade", v, sizeof v), 0);
    assert_string_equal(v, "websocket");
    tc_resp_free(&r);
    struct ts_counts n = ts_counts(ts);
    assert_int_equal(n.ws, 1);
    assert_int_equal(n.conns, 1);
    close(fd);
    assert_int_equal(wait_closes(1, 2000), 1006);
    stop(ts);
}

static void test_bad_handshakes(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    tc_resp r;
    char v[64];
    int fd = tc_connect(ts->port);
    /* Version 8 -> 426 naming the version we speak. */
    char req[1024];
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
    assert_int_equal(tc_sends(fd, req), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 426);
    assert_int_equal(tc_header(&r, "Sec-WebSocket-Version", v, sizeof v), 0);
    assert_string_equal(v, "13");
    tc_resp_free(&r);
    close(fd);

    const char *bad[] = {
        /* no key */
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: "
        "13\r\n\r\n",
        /* key not 16 bytes */
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        "c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
        /* POST */
        "POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
        /* no Connection: upgrade */
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: "
        "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fd = tc_connect(ts->port);
        assert_int_equal(tc_sends(fd, bad[i]), 0);
        assert_int_equal(tc_read_resp(fd, &r), 0);
        assert_int_equal(r.status, 400);
        tc_resp_free(&r);
        assert_true(tc_wait_eof(fd, 3000));
        close(fd);
    }
    /* A plain GET to the endpoint: 426 with Upgrade, and the connection lives on. */
    fd = tc_connect(ts->port);
    assert_int_equal(tc_sends(fd, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 426);
    assert_int_equal(tc_header(&r, "Upgrade", v, sizeof v), 0);
    assert_string_equal(v, "websocket");
    tc_resp_free(&r);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 200);
    tc_resp_free(&r);
    close(fd);
    /* An upgrade on a plain route is answered as plain HTTP, then closed. */
    fd = tc_connect(ts->port);
    snprintf(req, sizeof req, handshake_fmt, "/plain", "");
    assert_int_equal(tc_sends(fd, req), 0);
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 200);
    tc_resp_free(&r);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    assert_int_equal(atomic_load(&opens), 0);
    stop(ts);
}

static void test_echo(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    assert_true(fd >= 0);
    expect_echo(fd, "hello");
    expect_echo(fd, "");
    expect_echo(fd, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
    char big[3000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_echo(fd, big); /* 16-bit length both ways */
    close(fd);
    assert_int_equal(wait_closes(1, 2000), 1006);

    /* A frame that arrives in the same packet as the handshake. */
    fd = tc_connect(ts->port);
    char req[1024];
    int n = snprintf(req, sizeof req, handshake_fmt, "/ws", "");
    unsigned char f[64];
    size_t fl = frame(f, 1, 1, "early", 5, 0);
    memcpy(req + n, f, fl);
    assert_int_equal(tc_send(fd, req, (size_t)n + fl), 0);
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 101);
    tc_resp_free(&r);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_string_equal((char *)m.data, "early");
    free(m.data);
    /* A frame dribbled in one byte at a time (the context sleeps and wakes). */
    unsigned char g[64];
    size_t gl = frame(g, 1, 1, "slowly", 6, 0);
    for (size_t i = 0; i < gl; i++) {
        assert_int_equal(tc_send(fd, g + i, 1), 0);
        sleep_ms(2);
    }
    assert_int_equal(read_frame(fd, &m), 0);
    assert_string_equal((char *)m.data, "slowly");
    free(m.data);
    close(fd);
    stop(ts);
}

static void test_remote_addr(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_text(fd, "addr"), 0);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_string_equal((char *)m.data, "127.0.0.1");
    free(m.data);
    close(fd);
    stop(ts);
}

static void test_fragmented(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_frame(fd, 0, 1, "Hel", 3), 0);
    assert_int_equal(send_frame(fd, 0, 0, "lo \xc3", 4), 0); /* a character split across fragments */
    assert_int_equal(send_frame(fd, 1, 9, "mid", 3), 0);     /* a ping between fragments */
    sleep_ms(20);
    assert_int_equal(send_frame(fd, 1, 0, "\xb6rld", 4), 0);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 10);
    assert_string_equal((char *)m.data, "mid");
    free(m.data);
    assert_int_equal(read_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 1);
    assert_string_equal((char *)m.data, "Hello \xc3\xb6rld");
    free(m.data);
    expect_echo(fd, "after");
    close(fd);
    stop(ts);
}

/* Sends RAW after the handshake and expects a close with CODE, then EOF. */
static void expect_failure(test_server *ts, const unsigned char *raw, size_t n, int code) {
    int fd = ws_connect(ts->port, NULL);
    assert_true(fd >= 0);
    int before = atomic_load(&closes);
    tc_send(fd, raw, n); /* the server may already have stopped reading */
    assert_int_equal(read_until_close(fd), code);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    assert_int_equal(wait_closes(before + 1, 2000), code);
}

static void test_too_big(void **state) {
    (void)state;
    test_server *ts = start(NULL); /* ws_max_message 4096 */
    unsigned char *b = malloc(20000);
    char payload[5000];
    memset(payload, 'x', sizeof payload);
    size_t n = frame(b, 1, 1, payload, sizeof payload, 0);
    expect_failure(ts, b, n, 1009);
    /* The same size in fragments. */
    n = frame(b, 0, 1, payload, 2000, 0);
    n += frame(b + n, 0, 0, payload, 2000, 0);
    n += frame(b + n, 1, 0, payload, 1000, 0);
    expect_failure(ts, b, n, 1009);
    /* At the limit is fine. */
    int fd = ws_connect(ts->port, NULL);
    char ok[4097];
    memset(ok, 'y', 4096);
    ok[4096] = '\0';
    expect_echo(fd, ok);
    close(fd);
    free(b);
    stop(ts);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    unsigned char b[64];
    size_t n = frame(b, 1, 1, "ok \xff\xfe", 5, 0);
    expect_failure(ts, b, n, 1007);
    n = frame(b, 1, 1, "\xed\xa0\x80", 3, 0); /* a UTF-16 surrogate */
    expect_failure(ts, b, n, 1007);
    n = frame(b, 1, 1, "cut \xe2\x82", 6, 0); /* ends inside a character */
    expect_failure(ts, b, n, 1007);
    stop(ts);
}

static void test_binary_refused(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    unsigned char b[64];
    size_t n = frame(b, 1, 2, "\x01\x02\x03", 3, 0);
    expect_failure(ts, b, n, 1003);
    stop(ts);
}

static void test_protocol_errors(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    unsigned char b[300];
    size_t n = frame(b, 1, 1, "plain", 5, 1); /* unmasked */
    expect_failure(ts, b, n, 1002);
    n = frame(b, 0, 9, "frag", 4, 0); /* fragmented ping */
    expect_failure(ts, b, n, 1002);
    char p[200];
    memset(p, 'p', sizeof p);
    n = frame(b, 1, 9, p, 126, 0); /* control frame over 125 bytes */
    expect_failure(ts, b, n, 1002);
    n = frame(b, 1, 3, "x", 1, 0); /* reserved opcode */
    expect_failure(ts, b, n, 1002);
    n = frame(b, 1, 0, "x", 1, 0); /* continuation with nothing to continue */
    expect_failure(ts, b, n, 1002);
    n = frame(b, 1, 1, "x", 1, 0);
    b[0] |= 0x40; /* RSV1 without an extension */
    expect_failure(ts, b, n, 1002);
    /* A 16-bit length used for a 5-byte payload (not minimal). */
    unsigned char nm[] = {0x81, 0xfe, 0x00, 0x05, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3, 'd' ^ 4, 'e' ^ 1};
    expect_failure(ts, nm, sizeof nm, 1002);
    /* A one-byte close payload. */
    unsigned char c1[] = {0x88, 0x81, 0, 0, 0, 0, 0x03};
    expect_failure(ts, c1, sizeof c1, 1002);
    /* Close codes a peer may not send. */
    const int bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char cp[2] = {(unsigned char)(bad[i] >> 8), (unsigned char)bad[i]};
        n = frame(b, 1, 8, cp, 2, 0);
        expect_failure(ts, b, n, 1002);
    }
    /* Valid text before a bad frame in the same packet still reaches the
     * handler (its answer may be dropped: failing a connection sends the close
     * ahead of queued messages). */
    for (int k = 0; k < 2; k++) {
        int fd = ws_connect(ts->port, NULL);
        int before = atomic_load(&texts);
        n = frame(b, 1, 1, "first", 5, 0);
        n += k == 0 ? frame(b + n, 1, 1, "plain", 5, 1) : frame(b + n, 1, 2, "bin", 3, 0);
        assert_int_equal(tc_send(fd, b, n), 0);
        assert_int_equal(read_until_close(fd), k == 0 ? 1002 : 1003);
        assert_int_equal(atomic_load(&texts), before + 1);
        close(fd);
    }
    stop(ts);
}

static void test_close_handshake(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    /* The client closes: its code is echoed, then the server closes TCP. */
    const int codes[] = {1000, 1001, 1003, 1007, 1011, 3000, 4999};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int fd = ws_connect(ts->port, NULL);
        int before = atomic_load(&closes);
        assert_int_equal(send_close(fd, codes[i], "bye"), 0);
        ws_msg m;
        assert_int_equal(read_frame(fd, &m), 0);
        assert_int_equal(m.opcode, 8);
        assert_int_equal(close_code(&m), codes[i]);
        assert_int_equal(m.len, 5);
        assert_memory_equal(m.data + 2, "bye", 3);
        free(m.data);
        assert_true(tc_wait_eof(fd, 3000));
        close(fd);
        assert_int_equal(wait_closes(before + 1, 2000), codes[i]);
    }
    /* An empty close is answered with an empty close. */
    int fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_close(fd, -1, NULL), 0);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 8);
    assert_int_equal(m.len, 0);
    free(m.data);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    assert_int_equal(wait_closes(8, 2000), 1005);
    assert_int_equal(ts_counts(ts).ws, 0);
    stop(ts);
}

static void test_ping_pong(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_frame(fd, 1, 9, "are you there", 13), 0);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 10);
    assert_string_equal((char *)m.data, "are you there");
    free(m.data);
    /* An unsolicited pong is ignored. */
    assert_int_equal(send_frame(fd, 1, 10, "x", 1), 0);
    expect_echo(fd, "still here");
    close(fd);
    stop(ts);
}

static void test_server_close(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_text(fd, "close-me"), 0);
    ws_msg m;
    assert_int_equal(read_frame(fd, &m), 0);
    assert_int_equal(m.opcode, 8);
    assert_int_equal(close_code(&m), 4001);
    assert_string_equal((char *)m.data + 2, "replaced");
    free(m.data);
    /* Messages after the close are not delivered; the close reply ends it. */
    assert_int_equal(send_text(fd, "ignored"), 0);
    assert_int_equal(send_close(fd, 4001, NULL), 0);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    assert_int_equal(wait_closes(1, 2000), 4001);

    /* A peer that never answers the close is dropped after the close timeout. */
    fd = ws_connect(ts->port, NULL);
    assert_int_equal(send_text(fd, "close-me"), 0);
    assert_int_equal(read_until_close(fd), 4001);
    int64_t t0 = now_ms();
    assert_true(tc_wait_eof(fd, 7000));
    assert_true(now_ms() - t0 >= 4000);
    close(fd);
    assert_int_equal(wait_closes(2, 2000), 4001);
    stop(ts);
}

static void test_origin(void **state) {
    (void)state;
    net_limits l;
    net_limits_default(&l);
    l.allowed_origins = "https://hr.example.com, http://localhost:3000/";
    test_server *ts = start(&l);
    int fd = ws_connect(ts->port, "Origin: https://hr.example.com\r\n");
    assert_true(fd >= 0);
    close(fd);
    fd = ws_connect(ts->port, "Origin: http://localhost:3000\r\n");
    assert_true(fd >= 0);
    close(fd);
    fd = ws_connect(ts->port, NULL); /* no Origin: not a browser */
    assert_true(fd >= 0);
    close(fd);
    fd = tc_connect(ts->port);
    char req[1024];
    snprintf(req, sizeof req, handshake_fmt, "/ws", "Origin: https://evil.example\r\n");
    assert_int_equal(tc_sends(fd, req), 0);
    tc_resp r;
    assert_int_equal(tc_read_resp(fd, &r), 0);
    assert_int_equal(r.status, 403);
    tc_resp_free(&r);
    close(fd);
    stop(ts);

    /* No list: same origin as the Host header only. */
    net_limits_default(&l);
    ts = start(&l);
    fd = ws_connect(ts->port, "Origin: http://localhost:8080\r\n");
    assert_true(fd >= 0);
    close(fd);
    fd = ws_connect(ts->port, "Origin: http://localhost:8081\r\n");
    assert_int_equal(fd, -1);
    stop(ts);

    l.allowed_origins = "*";
    ts = start(&l);
    fd = ws_connect(ts->port, "Origin: https://anything.example\r\n");
    assert_true(fd >= 0);
    close(fd);
    stop(ts);
}

static void test_queue_bound(void **state) {
    (void)state;
    net_limits l;
    net_limits_default(&l);
    l.ws_max_queued_bytes = 256 * 1024;
    test_server *ts = start(&l);
    int fd = ws_connect(ts->port, NULL);
    atomic_store(&flood_rc, 1);
    /* The handler sends 16 KiB messages until net refuses: it must refuse at the
     * bound, and then close the slow reader with 1008. The client never reads. */
    assert_int_equal(send_text(fd, "flood"), 0);
    int64_t end = now_ms() + 3000;
    while (atomic_load(&flood_rc) == 1 && now_ms() < end) sleep_ms(5);
    assert_int_equal(atomic_load(&flood_rc), HARK_EBUSY);
    assert_true(atomic_load(&flood_bytes) <= l.ws_max_queued_bytes);
    assert_true(atomic_load(&flood_bytes) >= l.ws_max_queued_bytes - 32 * 1024);
    assert_int_equal(wait_closes(1, 8000), 1008);
    close(fd);
    stop(ts);
}

static void test_backpressure(void **state) {
    (void)state;
    net_limits l;
    net_limits_default(&l);
    l.ws_max_queued_bytes = 256 * 1024;
    l.ws_max_message = 16 * 1024;
    test_server *ts = start(&l);
    int fd = ws_connect(ts->port, NULL);
    /* The client sends echo requests and reads nothing: once the server's
     * output is over half its bound it stops reading, so the client's sends
     * stall instead of the server queueing without end. */
    char msg[8192];
    memset(msg, 'e', sizeof msg);
    unsigned char f[8192 + 14];
    size_t fl = frame(f, 1, 1, msg, sizeof msg, 0);
    size_t sent_frames = 0, off = 0;
    int64_t stalled_since = 0, end = now_ms() + 10000;
    while (now_ms() < end) {
        ssize_t w = send(fd, f + off, fl - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            if (off == fl) {
                off = 0;
                sent_frames++;
            }
            stalled_since = 0;
            continue;
        }
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        if (!stalled_since) stalled_since = now_ms();
        if (now_ms() - stalled_since > 500) break;
        sleep_ms(5);
    }
    assert_true(stalled_since != 0 && now_ms() < end); /* sending stalled */
    assert_int_equal(ts_counts(ts).ws, 1);             /* and the connection lives */
    assert_int_equal(atomic_load(&closes), 0);
    /* Reading resumes the flow: every request is answered. */
    size_t answered = 0;
    while (off || answered < sent_frames) {
        struct pollfd p = {fd, (short)(POLLIN | (off ? POLLOUT : 0)), 0};
        assert_true(poll(&p, 1, 5000) > 0);
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, f + off, fl - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) off += (size_t)w;
            if (off == fl) {
                off = 0;
                sent_frames++;
            }
        }
        if (p.revents & POLLIN) {
            ws_msg m;
            assert_int_equal(read_data_frame(fd, &m), 0);
            assert_int_equal(m.len, sizeof msg);
            free(m.data);
            answered++;
        }
    }
    expect_echo(fd, "done");
    close(fd);
    stop(ts);
}

static void test_ping_timeout(void **state) {
    (void)state;
    net_limits l;
    net_limits_default(&l);
    l.ws_ping_interval_ms = 100;
    test_server *ts = start(&l);
    /* A client that answers pings stays. */
    int fd = ws_connect(ts->port, NULL);
    int pings = 0;
    int64_t end = now_ms() + 600;
    while (now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ws_msg m;
        assert_int_equal(read_frame(fd, &m), 0);
        assert_int_equal(m.opcode, 9);
        assert_int_equal(send_frame(fd, 1, 10, m.data, m.len), 0);
        free(m.data);
        pings++;
    }
    assert_true(pings >= 3);
    assert_int_equal(atomic_load(&closes), 0);
    expect_echo(fd, "alive");
    /* One that does not is dropped after two unanswered pings. */
    int64_t t0 = now_ms();
    assert_true(tc_wait_eof(fd, 3000));
    assert_true(now_ms() - t0 < 1500);
    assert_int_equal(wait_closes(1, 1000), 1006);
    close(fd);
    stop(ts);
}

static void test_shutdown_going_away(void **state) {
    (void)state;
    test_server *ts = start(NULL);
    int fd = ws_connect(ts->port, NULL);
    expect_echo(fd, "before");
    ts_begin_stop(ts, 3000);
    assert_int_equal(read_until_close(fd), 1001);
    assert_int_equal(send_close(fd, 1001, NULL), 0);
    assert_true(tc_wait_eof(fd, 3000));
    close(fd);
    ts_join(ts);
    assert_int_equal(atomic_load(&last_close_code), 1001);
    free(ts);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_and_accept_key),
        cmocka_unit_test(test_bad_handshakes),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_remote_addr),
        cmocka_unit_test(test_fragmented),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_binary_refused),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_server_close),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_ping_timeout),
        cmocka_unit_test(test_shutdown_going_away),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
