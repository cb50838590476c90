/* Private header of the bench module: the pieces `hark bench` is built from,
 * shared by the files of src/bench and by nobody else. hist.c: latency
 * histogram; scan.c: cheap reading of flat JSON frames;
 * wsc.c: a WebSocket client connection on libuv +
 * wslay; fixture.c: tenant, flow and invites in the store; sys.c: /proc and
 * resource limits; run.c: the conversations and the measured window. */
#ifndef HARK_BENCH_INT_H
#define HARK_BENCH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include <wslay/wslay.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/token.h"

/* ---- hist.c: log-linear latency histogram ----
 * Values (microseconds) below 64 have a bucket each; above, every power of two
 * is cut into 32 buckets, so a reported quantile is within ~3% of the truth.
 * Fixed size, no allocation per sample; values past ~2^41 us are clamped. */
#define HIST_SUB_BITS  5
#define HIST_MAX_SHIFT 36
#define HIST_BUCKETS   ((2 << HIST_SUB_BITS) + HIST_MAX_SHIFT * (1 << HIST_SUB_BITS))

typedef struct bench_hist {
    uint64_t count;
    uint64_t sum_us;
    uint64_t max_us;
    uint64_t b[HIST_BUCKETS];
} bench_hist;

void hist_init(bench_hist *h);
void hist_add(bench_hist *h, uint64_t us);
/* The Q-quantile (0 < Q <= 1) in microseconds: the upper edge of the bucket
 * holding it, capped at the largest value seen; 0 when empty. */
uint64_t hist_quantile(const bench_hist *h, double q);

/* ---- scan.c: reading a flat JSON object without building a tree ----
 * The server's frames are small objects; the bench needs a few members of
 * each. One pass finds the raw text of the wanted members (strings keep their
 * quotes and escapes), so the hot path allocates nothing. Keys are compared
 * byte for byte (the protocol's keys need no escapes). */
typedef struct scan_field {
    const char *key; /* in: member name */
    const char *v;   /* out: raw value text, NULL when absent */
    size_t vn;
} scan_field;

#define SCAN_MAX_FIELDS 16

/* Scans the object in P[0..LEN) (whitespace around it allowed) and fills the
 * N FIELDS (N <= SCAN_MAX_FIELDS). Returns 0, or -1 when the text is not a
 * well-formed object (the fields found before the fault stay filled). */
int scan_object(const char *p, size_t len, scan_field *fields, int n);
/* 1 when raw value V is exactly the string LIT (no escapes), else 0. */
int scan_is(const char *v, size_t vn, const char *lit);
/* Parses raw value V as an integer. 0, or -1 (absent, null, not an integer). */
int scan_i64(const char *v, size_t vn, int64_t *out);
/* Walks the string elements of the raw array V: *POS starts at 0. Returns 1
 * with the raw element (quotes included) in *E and *EN, 0 at the end or on a
 * non-string element. */
int scan_array_next(const char *v, size_t vn, size_t *pos, const char **e, size_t *en);

/* ---- wsc.c: one WebSocket client connection ----
 * A wsc lives inside its owner's struct and is reused across reconnects. It
 * connects, sends the upgrade request, checks the 101 answer and its
 * Sec-WebSocket-Accept, then frames and unframes with a wslay client context
 * (which also answers the server's pings). Outgoing bytes go out with
 * uv_try_write and only what the kernel does not take is copied and queued,
 * up to WSC_MAX_QUEUED bytes. Everything runs on the loop thread. */
#define WSC_MAX_QUEUED  (1u << 20) /* unsent bytes per connection */
#define WSC_MAX_HEAD    8192       /* upgrade response head */
#define WSC_MAX_MESSAGE (1u << 20) /* one received message */

typedef struct wsc_target {
    struct sockaddr_storage addr;
    char host[256]; /* Host header: "HOST:PORT" */
    char path[256]; /* "/chat/ws" */
} wsc_target;

/* Parses "ws://HOST:PORT/PATH", "http://HOST:PORT" (path /chat/ws) and
 * resolves HOST (blocking; once, before the loop runs). 0 or HARK_EINVAL with
 * the problem in ERR. */
int wsc_target_parse(const char *url, wsc_target *t, char *err, size_t errlen);

/* How a connection ended, for the owner's error counts. */
enum wsc_end {
    WSC_END_CLOSED = 0,    /* it was open; see the close code */
    WSC_END_CONNECT = 1,   /* TCP connect failed */
    WSC_END_HANDSHAKE = 2, /* upgrade refused or malformed (http_status says which) */
};

/* Life cycle of a wsc; the owner reads it, only wsc.c moves it. */
enum wsc_state {
    WSC_IDLE = 0,   /* no socket: wsc_connect may be called */
    WSC_CONNECTING, /* TCP connect in flight (connect callback moves it on) */
    WSC_UPGRADING,  /* upgrade request sent, reading the response head */
    WSC_OPEN,       /* frames flow both ways */
    WSC_CLOSING,    /* the socket is being closed; on_closed follows */
};

typedef struct wsc wsc;

typedef struct wsc_cb {
    void (*on_open)(wsc *w);                          /* the upgrade succeeded */
    void (*on_text)(wsc *w, const char *p, size_t n); /* one complete text message */
    /* The socket is closed and W is WSC_IDLE again (it may be reconnected
     * from here). END says how; CODE is the close code the server sent, 1005
     * when its close frame had none, 1006 when there was no close frame. */
    void (*on_closed)(wsc *w, enum wsc_end end, int code);
} wsc_cb;

struct wsc {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_loop_t *loop;
    const wsc_cb *cb;
    void *ud; /* the owner's */
    enum wsc_state state;
    wslay_event_context_ptr ctx; /* while WSC_OPEN or WSC_CLOSING */
    char accept[32];             /* the Sec-WebSocket-Accept we expect */
    buf head;                    /* response head while upgrading */
    buf out;                     /* bytes produced by wslay, not yet written */
    const uint8_t *rin;          /* the read chunk wslay is consuming */
    size_t rin_len;
    int in_recv;     /* inside wslay_event_recv: sends wait for its end */
    int close_code;  /* received close code, 0 = none yet */
    int http_status; /* status of a refused upgrade */
    enum wsc_end end;
    unsigned writes; /* uv_write requests in flight */
    uint64_t bytes_in, bytes_out;
};

/* Prepares W once (no socket yet). UD is the owner's pointer. */
void wsc_init(wsc *w, uv_loop_t *loop, const wsc_cb *cb, void *ud);
/* Starts connecting W (must be WSC_IDLE) to T. 0, or a Hark error code when
 * the connect could not even start (then on_closed is not called). */
int wsc_connect(wsc *w, const wsc_target *t);
/* Sends one text message. 0; HARK_ECLOSED when W is not open; HARK_ETOOBIG
 * when the unsent backlog would pass WSC_MAX_QUEUED (the connection is then
 * dropped); HARK_ENOMEM. */
int wsc_send_text(wsc *w, const char *p, size_t n);
/* Starts a normal close (close frame CODE); on_closed follows when the
 * server answers or the socket drops. Before the upgrade it is wsc_abort. */
void wsc_close(wsc *w, int code);
/* Drops the socket now; on_closed follows from the loop. No-op when idle or
 * already closing. */
void wsc_abort(wsc *w);
/* Releases W's buffers; W must be WSC_IDLE. */
void wsc_free(wsc *w);

/* ---- fixture.c: what the bench needs in the store ---- */
typedef struct bench_fixture {
    int n;
    int rounds;                /* conversations (invites) per connection */
    char run_id[16];           /* unique per run: the invites' occurrence prefix */
    char (*tokens)[TOKEN_MAX]; /* owned: n * rounds tokens; connection I, round K at I * rounds + K */
} bench_fixture;

/* Opens the store named by CFG, creates (idempotently) tenant "bench", N
 * employees and the touchpoint for FLOW_NAME: "loop" (the never-ending
 * "bench-loop" flow, touchpoint "bench") or the name of a built-in flow such as
 * "pulse" (touchpoint "bench-NAME"); then N * ROUNDS fresh invites (occurrence
 * RUNID-K) in one transaction, and mints their tokens with the secret key in
 * CFG->data_dir. Returns 0 with OUT filled (release it with
 * bench_fixture_free), or a Hark error code with the problem in ERR. */
int bench_fixture_make(const hark_config *cfg, int n, int rounds, const char *flow_name, bench_fixture *out, char *err,
                       size_t errlen);
void bench_fixture_free(bench_fixture *f);

/* ---- sys.c ---- */
typedef struct bench_mem {
    int64_t rss_kb; /* VmRSS */
    int64_t hwm_kb; /* VmHWM */
} bench_mem;

/* VmRSS and VmHWM of PID from /proc. 0 or HARK_ENOTFOUND / HARK_EIO. */
int bench_proc_mem(int pid, bench_mem *m);
/* User + system CPU seconds of PID from /proc/PID/stat. 0 or HARK_EIO. */
int bench_proc_cpu(int pid, double *seconds);
/* This process's user + system CPU seconds. */
double bench_self_cpu(void);
/* Raises the open-files soft limit to the hard limit; *LIMIT gets the result. */
int bench_raise_nofile(uint64_t *limit);

/* ---- run.c: the conversations ---- */
enum bench_mode { BENCH_CHAT = 0, BENCH_IDLE = 1 };

typedef struct bench_opts {
    enum bench_mode mode;
    int conns;
    double duration_s; /* chat: the measured window; idle: the hold */
    double warmup_s;   /* chat: before the window */
    double rate;       /* chat: total answers/s; 0 = closed loop */
    int pid;           /* server, 0 = unknown */
    int finite;        /* the flow ends: a done starts the connection's next conversation */
    const wsc_target *target;
    const bench_fixture *fx;
} bench_opts;

/* Error frames by code, in this order; the last slot is any other code. */
#define BENCH_ERR_CODES 8
extern const char *const bench_err_code_names[BENCH_ERR_CODES];

typedef struct bench_result {
    bench_hist lat;         /* ack latency inside the window */
    uint64_t answers;       /* acknowledged inside the window */
    uint64_t answers_total; /* acknowledged over the whole run */
    uint64_t says;          /* says sent over the whole run */
    uint64_t err_frames[BENCH_ERR_CODES];
    uint64_t err_closes;      /* connection lost or closed by the server unasked */
    uint64_t err_timeouts;    /* no ack, welcome or upgrade within the deadline */
    uint64_t err_connect;     /* TCP connect or upgrade failed */
    uint64_t err_protocol;    /* a frame the bench could not follow */
    uint64_t unexpected_done; /* the never-ending flow ended */
    uint64_t completed;       /* conversations that reached done (finite flows), whole run */
    uint64_t pool_exhausted;  /* connections that ran out of invites before the end */
    uint64_t reconnects;
    uint64_t bytes_in, bytes_out; /* WebSocket traffic, whole run */
    double window_s;              /* length of the measured window */
    double server_cpu_s;          /* inside the window; < 0 when unknown */
    double bench_cpu_s;
    int ready;                                      /* conversations that reached a question */
    int interrupted;                                /* stopped early by SIGINT */
    bench_mem mem_before, mem_connected, mem_after; /* idle, with a pid */
    int have_mem;
} bench_result;

/* Runs the scenario O on a fresh loop and fills R. 0, or a Hark error code
 * when it could not start. */
int bench_run(const bench_opts *o, bench_result *r);

uint64_t bench_errors_total(const bench_result *r);

#endif
