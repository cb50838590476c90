/* The bench's conversations and its measured window (bench_int.h). Each
 * conversation is one invite spoken to over one wsc: hello, welcome, then
 * answer every question (chat) or just hold the connection (idle). Connects
 * are spread over time; lost connections come back with exponential backoff
 * and full jitter and resume from last_seq, as the real chat page does. Only
 * acknowledged answers count; latency is from sending a say to its ack. It
 * does not check what the server stored: that is the tests' job. */
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_int.h"
#include "core/err.h"
#include "core/log.h"

#define CONNECT_BATCH      500 /* new connections per CONNECT_EVERY_MS */
#define CONNECT_EVERY_MS   100
#define SWEEP_EVERY_MS     500
#define DEADLINE_NS        (10ull * 1000000000ull) /* upgrade, welcome and ack deadline */
#define BACKOFF_FIRST_MS   1000
#define BACKOFF_CAP_MS     30000
#define DRAIN_MS           2000  /* wait for close handshakes at the end */
#define IDLE_READY_WAIT_MS 30000 /* idle: longest wait for everyone to connect */
#define MAX_OPTIONS        8
#define OPTIONS_BYTES      512
#define FRAME_MAX          1024 /* an outgoing say or hello */

const char *const bench_err_code_names[BENCH_ERR_CODES] = {
    "bad_token", "expired", "bad_request", "too_large", "rate_limited", "overloaded", "internal", "other",
};

/* Answers to text questions: realistic lengths (40-200 bytes), no characters
 * that need escaping in JSON. */
static const char *const sentences[] = {
    "The week was fine, mostly planning for the next release.",
    "Too many meetings again; I barely had time to finish my own tasks before Friday.",
    "My manager helped me sort out priorities, which made a real difference this week.",
    "I am a bit worried about the reorganisation, nobody has told us what it means for our team yet.",
    "Great week. We shipped the new onboarding flow and customers already noticed the improvement.",
    "Honestly I feel tired. The on-call rotation has been heavy and I could use a quieter sprint.",
    "Good collaboration with the support team, we closed most of the open tickets together.",
    "It was okay. The new tools take some getting used to, but the training sessions help.",
    "I spent most of my time helping two new colleagues settle in, which I enjoyed.",
    ("Workload is high but manageable; clearer deadlines from the product side would help a lot, "
     "especially for the larger projects that span several teams."),
};
#define NSENTENCES (sizeof sentences / sizeof sentences[0])

enum q_kind { Q_NONE = 0, Q_SCALE, Q_CHOICE, Q_TEXT };

/* A conversation's connection state. */
enum conv_state {
    CONV_WAIT = 0, /* no connection: waits for its connect slot or its backoff timer (timer moves it on) */
    CONV_CONNECT,  /* TCP connect and upgrade in flight (wsc on_open / on_closed move it on) */
    CONV_HELLO,    /* hello sent, waiting for welcome (on_text moves it on) */
    CONV_LIVE,     /* welcome received: reads bot messages, answers the open question */
    CONV_END,      /* the run is over: closing, never reconnects */
};

typedef struct runner runner;

typedef struct conv {
    wsc ws;
    runner *run;
    uv_timer_t timer; /* think time when LIVE, backoff when WAIT */
    int idx;
    enum conv_state state;
    int attempt;            /* reconnects since the last welcome */
    int expect_close;       /* the bench or an error frame ended this connection: not an unexpected close */
    int64_t retry_after_ms; /* from an error frame; -1 when none */
    int64_t last_seq;       /* highest seq seen */
    int64_t awaiting;       /* questions with seq >= this are open (from welcome) */
    uint64_t since_ns;      /* when the current state began */
    uint64_t rx_ms;         /* loop time of the latest frame received */
    /* The open question, kept so it can be answered after a reconnect. */
    int64_t qseq;
    enum q_kind qkind;
    int qmin, qmax;
    int nopts;
    uint16_t opt_off[MAX_OPTIONS], opt_len[MAX_OPTIONS];
    char opts[OPTIONS_BYTES]; /* raw JSON string literals, quotes included */
    /* The say in flight (one at a time). */
    int pending;
    int scheduled; /* an answer waits for the think timer */
    uint64_t sent_ns;
    uint64_t say_no;
    char say_id[48];
    size_t say_id_len;
    uint64_t next_due_ns; /* paced mode: earliest time of the next say */
    int ready;            /* idle: reached its first question */
    int finished;         /* never reconnects (the loop flow ended, or no invite is left) */
    int next_round;       /* finite flow: done received, the next conversation follows the close */
    int round;            /* index of this connection's current conversation (invite) */
} conv;

enum run_phase {
    PHASE_WARMUP = 0, /* chat: connecting and answering, not measuring */
    PHASE_CONNECT,    /* idle: connecting, waiting for every conversation's first question */
    PHASE_MEASURE,    /* chat: counting answers; idle: holding */
    PHASE_DRAIN,      /* closing connections */
};

struct runner {
    uv_loop_t loop;
    const bench_opts *o;
    bench_result *r;
    conv *convs;
    int next_connect;
    enum run_phase phase;
    uv_timer_t connect_timer, sweep_timer, phase_timer;
    uv_signal_t sigint;
    int open_handles; /* handles (runner and conversation timers) not yet closed */
    int live_sockets; /* conversations whose wsc is not idle */
    uint64_t window_start_ns;
    double cpu_self0, cpu_srv0;
    int have_srv_cpu;
    double interval_ns; /* paced mode: mean time between says of one conversation */
    uint64_t rng;
};

static const wsc_cb conv_wsc_cb;

/* ---- small helpers ---- */

static uint64_t rnd(runner *r) {
    /* xorshift64*: cheap and good enough for jitter and picking answers. */
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return r->rng * 2685821657736338717ull;
}

static double rnd01(runner *r) {
    return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

uint64_t bench_errors_total(const bench_result *r) {
    uint64_t n = r->err_closes + r->err_timeouts + r->err_connect + r->err_protocol + r->unexpected_done;
    for (int i = 0; i < BENCH_ERR_CODES; i++) n += r->err_frames[i];
    return n;
}

static void connect_conv(conv *c);
static void end_phase(runner *r);

/* ---- answering ---- */

/* A frame the bench cannot follow: count it, say why (the first few), drop
 * the connection and resume. */
static void protocol_fault(conv *c, const char *why) {
    if (++c->run->r->err_protocol <= 3) log_warn("bench: connection %d: %s", c->idx, why);
    c->expect_close = 1;
    wsc_abort(&c->ws);
}

static void send_answer(conv *c) {
    runner *r = c->run;
    char lit[256]; /* the answer as a JSON string literal, quotes included */
    int litn;
    switch (c->qkind) {
    case Q_SCALE: {
        int span = c->qmax - c->qmin + 1;
        litn = snprintf(lit, sizeof lit, "\"%d\"", c->qmin + (int)(rnd(r) % (uint64_t)span));
        break;
    }
    case Q_CHOICE: {
        int k = (int)(rnd(r) % (uint64_t)c->nopts);
        litn = snprintf(lit, sizeof lit, "%.*s", (int)c->opt_len[k], c->opts + c->opt_off[k]);
        break;
    }
    default: litn = snprintf(lit, sizeof lit, "\"%s\"", sentences[rnd(r) % NSENTENCES]); break;
    }
    c->say_no++;
    int idn =
        snprintf(c->say_id, sizeof c->say_id, "%s-%d-%llu", r->o->fx->run_id, c->idx, (unsigned long long)c->say_no);
    c->say_id_len = idn > 0 ? (size_t)idn : 0;
    char frame[FRAME_MAX];
    int n = snprintf(frame, sizeof frame, "{\"t\":\"say\",\"id\":\"%s\",\"text\":%s}", c->say_id, lit);
    if (litn < 0 || (size_t)litn >= sizeof lit || n < 0 || (size_t)n >= sizeof frame) {
        protocol_fault(c, "answer does not fit in a frame");
        return;
    }
    c->pending = 1;
    c->scheduled = 0;
    c->sent_ns = uv_hrtime();
    r->r->says++;
    if (r->interval_ns > 0) c->next_due_ns = c->sent_ns + (uint64_t)(r->interval_ns * (0.5 + rnd01(r)));
    wsc_send_text(&c->ws, frame, (size_t)n); /* on failure the socket is dropped: on_closed follows */
}

static void on_think_timer(uv_timer_t *t) {
    conv *c = t->data;
    if (c->state == CONV_LIVE && c->scheduled && !c->pending) send_answer(c);
}

/* The open question is known: answer it now or when the pace allows. */
static void answer_open_question(conv *c) {
    runner *r = c->run;
    if (r->o->mode != BENCH_CHAT || c->pending || c->scheduled || r->phase == PHASE_DRAIN) return;
    uint64_t now = uv_hrtime();
    if (r->interval_ns <= 0 || now >= c->next_due_ns) {
        send_answer(c);
        return;
    }
    c->scheduled = 1;
    uv_timer_start(&c->timer, on_think_timer, (c->next_due_ns - now + 999999) / 1000000, 0);
}

/* Keeps the question of a bot frame (INPUT is its raw input object). */
static int hold_question(conv *c, int64_t seq, const char *input, size_t inputn) {
    scan_field f[4] = {{"kind", NULL, 0}, {"min", NULL, 0}, {"max", NULL, 0}, {"options", NULL, 0}};
    c->qseq = 0;
    c->qkind = Q_NONE;
    c->nopts = 0;
    if (scan_object(input, inputn, f, 4) != 0) return -1;
    if (scan_is(f[0].v, f[0].vn, "scale")) {
        int64_t lo = 1, hi = 5;
        scan_i64(f[1].v, f[1].vn, &lo);
        scan_i64(f[2].v, f[2].vn, &hi);
        if (lo > hi || lo < -1000000 || hi > 1000000) return -1;
        c->qkind = Q_SCALE;
        c->qmin = (int)lo;
        c->qmax = (int)hi;
    } else if (scan_is(f[0].v, f[0].vn, "choice")) {
        size_t pos = 0, used = 0, en;
        const char *e;
        while (f[3].v && c->nopts < MAX_OPTIONS && scan_array_next(f[3].v, f[3].vn, &pos, &e, &en)) {
            if (used + en > OPTIONS_BYTES) break;
            memcpy(c->opts + used, e, en);
            c->opt_off[c->nopts] = (uint16_t)used;
            c->opt_len[c->nopts] = (uint16_t)en;
            c->nopts++;
            used += en;
        }
        if (c->nopts == 0) return -1;
        c->qkind = Q_CHOICE;
    } else if (scan_is(f[0].v, f[0].vn, "text")) {
        c->qkind = Q_TEXT;
    } else {
        return -1;
    }
    c->qseq = seq;
    return 0;
}

/* ---- frames from the server ---- */

static void mark_ready(conv *c) {
    runner *r = c->run;
    if (c->ready) return;
    c->ready = 1;
    r->r->ready++;
    if (r->r->ready == r->o->conns && r->phase == PHASE_CONNECT) end_phase(r);
}

static void on_welcome(conv *c, scan_field *f) {
    runner *r = c->run;
    int64_t server_last = 0, awaiting = 0;
    scan_i64(f[4].v, f[4].vn, &server_last);
    int has_awaiting = scan_i64(f[5].v, f[5].vn, &awaiting) == 0;
    c->state = CONV_LIVE;
    c->since_ns = uv_hrtime();
    c->attempt = 0;
    c->awaiting = has_awaiting ? awaiting : server_last + 1;
    if (has_awaiting && awaiting <= c->last_seq) {
        /* We hold the open question already: the server replays nothing of it. */
        if (c->qseq != awaiting || c->qkind == Q_NONE) {
            /* Not the question we kept: ask for it again from just before it. */
            c->last_seq = awaiting - 1;
            protocol_fault(c, "welcome awaits a question the bench never saw");
            return;
        }
        if (r->o->mode == BENCH_IDLE)
            mark_ready(c);
        else
            answer_open_question(c);
    }
}

static void on_bot(conv *c, int64_t seq, const char *input, size_t inputn) {
    runner *r = c->run;
    if (!input || (inputn == 4 && memcmp(input, "null", 4) == 0)) return;
    if (seq < c->awaiting) return; /* an answered question, replayed */
    if (hold_question(c, seq, input, inputn) != 0) {
        protocol_fault(c, "a question the bench cannot read");
        return;
    }
    if (c->pending) {
        /* Seen after a reconnect: the welcome named a question that the
         * replaced connection's answer was still being committed for, so the
         * flow moved on without our ack. The question is kept, so the resume
         * answers it. */
        protocol_fault(c, "a new question before the ack of the answer to the previous one");
        return;
    }
    if (r->o->mode == BENCH_IDLE)
        mark_ready(c);
    else
        answer_open_question(c);
}

static void on_error_frame(conv *c, scan_field *f) {
    bench_result *res = c->run->r;
    int k = BENCH_ERR_CODES - 1;
    for (int i = 0; i < BENCH_ERR_CODES - 1; i++)
        if (scan_is(f[6].v, f[6].vn, bench_err_code_names[i])) k = i;
    res->err_frames[k]++;
    int64_t ms;
    if (scan_i64(f[7].v, f[7].vn, &ms) == 0 && ms >= 0) c->retry_after_ms = ms < 600000 ? ms : 600000;
    /* The server closes after an error frame; that close is expected. */
    c->expect_close = 1;
}

static void conv_on_text(wsc *w, const char *p, size_t n) {
    conv *c = w->ud;
    runner *r = c->run;
    if (c->state == CONV_END) return;
    c->rx_ms = uv_now(&r->loop);
    scan_field f[8] = {{"t", NULL, 0},        {"seq", NULL, 0},      {"id", NULL, 0},   {"input", NULL, 0},
                       {"last_seq", NULL, 0}, {"awaiting", NULL, 0}, {"code", NULL, 0}, {"retry_after_ms", NULL, 0}};
    if (scan_object(p, n, f, 8) != 0 || !f[0].v) {
        protocol_fault(c, "a frame that is not a JSON object with \"t\"");
        return;
    }
    int64_t seq = 0;
    int has_seq = scan_i64(f[1].v, f[1].vn, &seq) == 0;
    if (has_seq && seq > c->last_seq) c->last_seq = seq;
    const char *t = f[0].v;
    size_t tn = f[0].vn;
    if (scan_is(t, tn, "ack")) {
        if (c->pending && f[2].v && f[2].vn == c->say_id_len + 2 && memcmp(f[2].v + 1, c->say_id, c->say_id_len) == 0) {
            uint64_t now = uv_hrtime();
            c->pending = 0;
            r->r->answers_total++;
            if (r->phase == PHASE_MEASURE) {
                r->r->answers++;
                hist_add(&r->r->lat, (now - c->sent_ns) / 1000);
            }
        }
    } else if (scan_is(t, tn, "bot")) {
        if (c->state != CONV_LIVE || !has_seq) {
            protocol_fault(c, "a bot message before welcome or without seq");
            return;
        }
        on_bot(c, seq, f[3].v, f[3].vn);
    } else if (scan_is(t, tn, "you")) {
        /* A replayed answer (the seq is all we need from it). */
    } else if (scan_is(t, tn, "welcome")) {
        if (c->state != CONV_HELLO) {
            protocol_fault(c, "a second welcome");
            return;
        }
        on_welcome(c, f);
    } else if (scan_is(t, tn, "error")) {
        on_error_frame(c, f);
    } else if (scan_is(t, tn, "done")) {
        c->expect_close = 1;
        if (r->o->finite) {
            /* The server closes with 1000 next; then this employee's next
             * conversation starts on a new connection. */
            r->r->completed++;
            c->next_round = 1;
        } else {
            /* bench-loop never ends: a done is the server's fault. */
            r->r->unexpected_done++;
            c->finished = 1;
        }
    } else if (!scan_is(t, tn, "pong")) {
        protocol_fault(c, "a frame of unknown type");
    }
}

/* ---- connection life cycle ---- */

static void conv_on_open(wsc *w) {
    conv *c = w->ud;
    if (c->state == CONV_END) {
        wsc_close(w, 1000);
        return;
    }
    char frame[FRAME_MAX];
    int n = snprintf(frame, sizeof frame, "{\"t\":\"hello\",\"token\":\"%s\",\"last_seq\":%lld}",
                     c->run->o->fx->tokens[(size_t)c->idx * (size_t)c->run->o->fx->rounds + (size_t)c->round],
                     (long long)c->last_seq);
    c->state = CONV_HELLO;
    c->since_ns = uv_hrtime();
    if (n > 0 && (size_t)n < sizeof frame) wsc_send_text(w, frame, (size_t)n);
}

static void on_backoff_timer(uv_timer_t *t) {
    conv *c = t->data;
    if (c->state == CONV_WAIT && c->ws.state == WSC_IDLE) connect_conv(c);
}

static void conv_on_closed(wsc *w, enum wsc_end end, int code) {
    conv *c = w->ud;
    runner *r = c->run;
    r->live_sockets--;
    c->pending = 0;
    c->scheduled = 0;
    uv_timer_stop(&c->timer);
    if (c->state == CONV_END) {
        if (r->phase == PHASE_DRAIN && r->live_sockets == 0) end_phase(r);
        return;
    }
    if (!c->expect_close) {
        if (end == WSC_END_CONNECT || end == WSC_END_HANDSHAKE) {
            r->r->err_connect++;
            if (end == WSC_END_HANDSHAKE && c->ws.http_status && c->ws.http_status != 101 && r->r->err_connect <= 3)
                log_warn("bench: upgrade refused with HTTP %d", c->ws.http_status);
        } else {
            r->r->err_closes++;
            if (r->r->err_closes <= 3) log_warn("bench: connection %d closed by the server (code %d)", c->idx, code);
        }
    }
    c->state = CONV_WAIT;
    c->since_ns = uv_hrtime();
    if (c->next_round) {
        c->next_round = 0;
        if (++c->round >= r->o->fx->rounds) {
            r->r->pool_exhausted++;
            c->finished = 1;
            return;
        }
        c->last_seq = 0;
        c->awaiting = 0;
        c->qseq = 0;
        c->qkind = Q_NONE;
        c->attempt = 0;
        connect_conv(c);
        return;
    }
    if (c->finished) return;
    uint64_t delay;
    if (c->retry_after_ms >= 0) {
        /* The server said when: wait that long, plus up to half again. */
        delay = (uint64_t)c->retry_after_ms + (uint64_t)(rnd01(r) * (double)c->retry_after_ms / 2);
    } else {
        uint64_t cap = BACKOFF_FIRST_MS;
        for (int i = 0; i < c->attempt && cap < BACKOFF_CAP_MS; i++) cap *= 2;
        if (cap > BACKOFF_CAP_MS) cap = BACKOFF_CAP_MS;
        delay = (uint64_t)(rnd01(r) * (double)cap); /* full jitter */
    }
    c->attempt++;
    r->r->reconnects++;
    uv_timer_start(&c->timer, on_backoff_timer, delay, 0);
}

static const wsc_cb conv_wsc_cb = {conv_on_open, conv_on_text, conv_on_closed};

static void connect_conv(conv *c) {
    runner *r = c->run;
    c->expect_close = 0;
    c->retry_after_ms = -1;
    c->pending = 0;
    c->scheduled = 0;
    if (wsc_connect(&c->ws, r->o->target) != 0) {
        /* Could not even start (out of sockets): count it and retry later. */
        r->r->err_connect++;
        c->attempt++;
        uv_timer_start(&c->timer, on_backoff_timer, BACKOFF_FIRST_MS + rnd(r) % BACKOFF_FIRST_MS, 0);
        return;
    }
    r->live_sockets++;
    c->state = CONV_CONNECT;
    c->since_ns = uv_hrtime();
}

/* ---- runner timers ---- */

static void on_connect_timer(uv_timer_t *t) {
    runner *r = t->data;
    for (int k = 0; k < CONNECT_BATCH && r->next_connect < r->o->conns; k++) connect_conv(&r->convs[r->next_connect++]);
    if (r->next_connect >= r->o->conns) uv_timer_stop(t);
}

/* Deadlines: a say without ack, a connection stuck before welcome, or (chat)
 * a live conversation with no question to answer and nothing received. */
static void on_sweep_timer(uv_timer_t *t) {
    runner *r = t->data;
    uint64_t now = uv_hrtime(), now_ms = uv_now(&r->loop);
    for (int i = 0; i < r->next_connect; i++) {
        conv *c = &r->convs[i];
        int stalled = r->o->mode == BENCH_CHAT && c->state == CONV_LIVE && !c->pending && !c->scheduled &&
                      now_ms - c->rx_ms > DEADLINE_NS / 1000000;
        int late = stalled || (c->state == CONV_LIVE && c->pending && now - c->sent_ns > DEADLINE_NS) ||
                   ((c->state == CONV_CONNECT || c->state == CONV_HELLO) && now - c->since_ns > DEADLINE_NS);
        if (late) {
            r->r->err_timeouts++;
            c->expect_close = 1;
            wsc_abort(&c->ws);
        }
    }
}

static void on_handle_closed(uv_handle_t *h) {
    runner *r = h->data;
    r->open_handles--;
}

static void on_conv_timer_closed(uv_handle_t *h) {
    conv *c = h->data;
    c->run->open_handles--;
}

static void close_everything(runner *r) {
    uv_close((uv_handle_t *)&r->connect_timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->sweep_timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->phase_timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->sigint, on_handle_closed);
    for (int i = 0; i < r->o->conns; i++) uv_close((uv_handle_t *)&r->convs[i].timer, on_conv_timer_closed);
}

static void on_phase_timer(uv_timer_t *t) {
    end_phase(t->data);
}

static void start_window(runner *r) {
    r->phase = PHASE_MEASURE;
    r->window_start_ns = uv_hrtime();
    r->cpu_self0 = bench_self_cpu();
    r->have_srv_cpu = r->o->pid > 0 && bench_proc_cpu(r->o->pid, &r->cpu_srv0) == 0;
}

static void stop_window(runner *r) {
    bench_result *res = r->r;
    res->window_s = (double)(uv_hrtime() - r->window_start_ns) / 1e9;
    res->bench_cpu_s = bench_self_cpu() - r->cpu_self0;
    double srv;
    res->server_cpu_s = -1;
    if (r->have_srv_cpu && bench_proc_cpu(r->o->pid, &srv) == 0) res->server_cpu_s = srv - r->cpu_srv0;
}

/* Moves the run to its next phase; the phase timer, the last first question
 * (idle) and SIGINT call it. */
static void end_phase(runner *r) {
    bench_result *res = r->r;
    switch (r->phase) {
    case PHASE_WARMUP:
        start_window(r);
        uv_timer_start(&r->phase_timer, on_phase_timer, (uint64_t)(r->o->duration_s * 1000), 0);
        return;
    case PHASE_CONNECT:
        if (r->o->pid > 0 && bench_proc_mem(r->o->pid, &res->mem_connected) == 0) res->have_mem = 1;
        start_window(r);
        uv_timer_start(&r->phase_timer, on_phase_timer, (uint64_t)(r->o->duration_s * 1000), 0);
        return;
    case PHASE_MEASURE:
        stop_window(r);
        if (r->o->mode == BENCH_IDLE && res->have_mem) bench_proc_mem(r->o->pid, &res->mem_after);
        for (int i = 0; i < r->o->conns; i++) {
            res->bytes_in += r->convs[i].ws.bytes_in;
            res->bytes_out += r->convs[i].ws.bytes_out;
        }
        r->phase = PHASE_DRAIN;
        uv_timer_stop(&r->connect_timer);
        uv_timer_stop(&r->sweep_timer);
        for (int i = 0; i < r->o->conns; i++) {
            conv *c = &r->convs[i];
            uv_timer_stop(&c->timer);
            c->state = CONV_END;
            if (c->ws.state != WSC_IDLE) wsc_close(&c->ws, 1000);
        }
        if (r->live_sockets == 0) {
            end_phase(r);
            return;
        }
        uv_timer_start(&r->phase_timer, on_phase_timer, DRAIN_MS, 0);
        return;
    case PHASE_DRAIN:
        if (r->live_sockets > 0) {
            /* Whoever has not answered our close by now is cut off; the last
             * on_closed comes back here. */
            uv_timer_stop(&r->phase_timer);
            for (int i = 0; i < r->o->conns; i++) wsc_abort(&r->convs[i].ws);
            return;
        }
        if (!uv_is_closing((uv_handle_t *)&r->phase_timer)) close_everything(r);
        return;
    }
}

static void on_sigint(uv_signal_t *s, int signum) {
    runner *r = s->data;
    r->r->interrupted = 1;
    uv_signal_stop(s);
    if (r->phase == PHASE_WARMUP || r->phase == PHASE_CONNECT) end_phase(r); /* opens an empty window */
    if (r->phase == PHASE_MEASURE) end_phase(r);
}

int bench_run(const bench_opts *o, bench_result *res) {
    int rc = 0;
    runner *r = calloc(1, sizeof *r);
    if (!r) return HARK_ENOMEM;
    memset(res, 0, sizeof *res);
    hist_init(&res->lat);
    res->server_cpu_s = -1;
    r->o = o;
    r->r = res;
    randombytes_buf(&r->rng, sizeof r->rng);
    r->rng |= 1;
    if (o->mode == BENCH_CHAT && o->rate > 0) r->interval_ns = 1e9 * (double)o->conns / o->rate;
    r->convs = calloc((size_t)o->conns, sizeof *r->convs);
    if (!r->convs) {
        rc = HARK_ENOMEM;
        goto out;
    }
    if (uv_loop_init(&r->loop) != 0) {
        rc = HARK_EIO;
        goto out;
    }
    uv_loop_t *loop = &r->loop;
    uint64_t now = uv_hrtime();
    for (int i = 0; i < o->conns; i++) {
        conv *c = &r->convs[i];
        c->run = r;
        c->idx = i;
        c->retry_after_ms = -1;
        wsc_init(&c->ws, loop, &conv_wsc_cb, c);
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        /* Paced mode: spread the first says over one interval. */
        c->next_due_ns = now + (uint64_t)(r->interval_ns * rnd01(r));
    }
    uv_timer_init(loop, &r->connect_timer);
    uv_timer_init(loop, &r->sweep_timer);
    uv_timer_init(loop, &r->phase_timer);
    uv_signal_init(loop, &r->sigint);
    r->connect_timer.data = r->sweep_timer.data = r->phase_timer.data = r->sigint.data = r;
    r->open_handles = 4 + o->conns;

    if (o->mode == BENCH_IDLE && o->pid > 0 && bench_proc_mem(o->pid, &res->mem_before) == 0) res->have_mem = 1;
    r->phase = o->mode == BENCH_CHAT ? PHASE_WARMUP : PHASE_CONNECT;
    uv_timer_start(&r->connect_timer, on_connect_timer, 0, CONNECT_EVERY_MS);
    uv_timer_start(&r->sweep_timer, on_sweep_timer, SWEEP_EVERY_MS, SWEEP_EVERY_MS);
    uint64_t spread_ms = (uint64_t)((o->conns + CONNECT_BATCH - 1) / CONNECT_BATCH) * CONNECT_EVERY_MS;
    if (o->mode == BENCH_CHAT)
        uv_timer_start(&r->phase_timer, on_phase_timer, (uint64_t)(o->warmup_s * 1000), 0);
    else
        uv_timer_start(&r->phase_timer, on_phase_timer, spread_ms + IDLE_READY_WAIT_MS, 0);
    uv_signal_start(&r->sigint, on_sigint, SIGINT);

    uv_run(loop, UV_RUN_DEFAULT);
    if (r->open_handles != 0) log_warn("bench: %d handles still open at exit", r->open_handles);
    uv_loop_close(loop);
    for (int i = 0; i < o->conns; i++) wsc_free(&r->convs[i].ws);
out:
    free(r->convs);
    free(r);
    return rc;
}
