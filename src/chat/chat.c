/* The chat service (chat.h): protocol v1 on /chat/ws and the chat page on
 * /c/TOKEN. Everything here runs on the loop thread; every database access is
 * a store job whose completion comes back to the loop. An answer is scored,
 * run through the flow, and written together with the bot's next messages and
 * the conversation's new state in one job; the ack goes out only after that
 * job's transaction has committed, and before the bot's next message. Resume
 * works from the database alone, so a conversation can continue on any node. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/clock.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"
#include "nlp/sentiment.h"

#define LIVE_BUCKETS 4096  /* live conversation table (chained) */
#define FLOW_CACHE_MAX 256 /* parsed flows kept by id */
#define RETRY_AFTER_MS 1000

#define CHAT_PAGE_CSP                                                                                            \
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "         \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct chat_module {
    uv_loop_t *loop;
    net_server *net;
    store *st;
    chat_opts o;
    uv_timer_t sweep;
    int stopped;
    session *hello_list;
    conv *live[LIVE_BUCKETS];
    struct {
        int64_t id;
        flow *f;
    } flows[FLOW_CACHE_MAX];
    size_t nflows;
    buf out; /* scratch for outgoing frames (loop thread only) */
};

static void say_next(session *s);
static void start_say(session *s, const char *id, const char *text, size_t len);
static void start_resync(session *s);

/* ---- sessions, conversations, the live table ---- */

static void session_unref(session *s) {
    if (--s->refs > 0) return;
    for (unsigned i = 0; i < s->qlen; i++) free(s->queue[(s->qhead + i) % CHAT_QUEUE_MAX].text);
    free(s);
}

static void conv_unlink(conv *c) {
    conv **pp = &c->m->live[(uint64_t)c->id % LIVE_BUCKETS];
    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    c->hnext = NULL;
}

static void conv_unref(conv *c) {
    if (--c->refs > 0) return;
    free(c->vars);
    free(c->first_name);
    free(c->company);
    free(c);
}

static conv *live_find(chat_module *m, int64_t id) {
    for (conv *c = m->live[(uint64_t)id % LIVE_BUCKETS]; c; c = c->hnext)
        if (c->id == id) return c;
    return NULL;
}

static void start_hello_load(session *s);

/* A hello that waited for C's job in flight loads the conversation now, so its
 * welcome includes what that job stored. */
static void wake_waiter(conv *c) {
    session *w = c->waiter;
    if (!w) return;
    c->waiter = NULL;
    if (w->state != SS_CLOSED) start_hello_load(w);
    session_unref(w);
}

static uint64_t id_hash(const char *id) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

static int64_t recent_find(const conv *c, const char *id) {
    uint64_t h = id_hash(id);
    unsigned n = c->nrecent < CHAT_RECENT_IDS ? c->nrecent : CHAT_RECENT_IDS;
    for (unsigned i = 0; i < n; i++)
        if (c->recent[i].hash == h) return c->recent[i].seq;
    return 0;
}

static void recent_add(conv *c, const char *id, int64_t seq) {
    unsigned i = c->nrecent++ % CHAT_RECENT_IDS;
    c->recent[i].hash = id_hash(id);
    c->recent[i].seq = seq;
}

/* ---- sending ---- */

static void send_buf(session *s) {
    if (s->state == SS_CLOSED || !s->ws) return;
    ws_send_text(s->ws, s->m->out.data, s->m->out.len);
}

/* Sends an error frame and closes with the code the protocol assigns to it. */
static void fail(session *s, const char *code, const char *message) {
    int close_code = 1008;
    int64_t retry = 0;
    if (!strcmp(code, "too_large")) close_code = 1009;
    else if (!strcmp(code, "rate_limited") || !strcmp(code, "overloaded")) close_code = 1013, retry = RETRY_AFTER_MS;
    else if (!strcmp(code, "internal")) close_code = 1011;
    if (s->state == SS_CLOSED || !s->ws) return;
    if (wire_error(&s->m->out, code, message, retry) == 0) send_buf(s);
    ws_close(s->ws, close_code, code);
}

static void send_message(session *s, const store_message *msg) {
    int rc = msg->from_employee ? wire_you(&s->m->out, msg->seq, msg->client_id, msg->text)
                                : wire_bot(&s->m->out, msg->seq, msg->text, msg->input_json);
    if (rc == 0) send_buf(s);
    if (msg->seq > s->sent_seq) s->sent_seq = msg->seq;
}

static void send_done(session *s) {
    if (s->state == SS_CLOSED || !s->ws) return;
    ws_send_text(s->ws, "{\"t\":\"done\"}", 12);
    ws_close(s->ws, 1000, "done");
}

/* ---- flows ---- */

/* Returns the parsed flow ID, parsing JSON on first use; NULL if invalid. */
static const flow *flow_cached(chat_module *m, int64_t id, const char *json) {
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].id == id) return m->flows[i].f;
    if (!json || m->nflows == FLOW_CACHE_MAX) return NULL;
    char err[256];
    flow *f = flow_parse(json, strlen(json), err, sizeof err);
    if (!f) {
        log_error("flow %" PRId64 " does not parse: %s", id, err);
        return NULL;
    }
    m->flows[m->nflows].id = id;
    m->flows[m->nflows].f = f;
    m->nflows++;
    return f;
}

/* ---- messages produced by a flow step ---- */

/* Turns a flow step's output into store messages starting at seq FIRST.
 * The texts are borrowed from OUT. Returns the seq of the open question, or 0. */
static int64_t step_messages(const flow_out *out, int64_t first, store_message *msgs) {
    int64_t awaiting = 0;
    for (int i = 0; i < out->n; i++) {
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].seq = first + i;
        msgs[i].text = out->msgs[i].text;
        msgs[i].input_json = out->msgs[i].input_json;
        if (out->msgs[i].input_json) awaiting = msgs[i].seq;
    }
    return awaiting;
}

/* ---- hello: load (read job), maybe create (write job), welcome ---- */

typedef struct hello_job {
    session *s;
    token_claims cl;
    int have_conv;
    store_invite inv;
    store_employee emp;
    store_tenant ten;
    store_conversation conv;
    store_message *msgs;
    size_t nmsgs;
    store_flow fl;
} hello_job;

static int hello_work(store_conn *c, void *arg) {
    hello_job *j = arg;
    int rc = store_invite_get(c, j->cl.tenant_id, j->cl.invite_id, &j->inv);
    if (rc) return rc;
    if ((rc = store_tenant_get(c, j->cl.tenant_id, &j->ten))) return rc;
    if ((rc = store_employee_get(c, j->cl.tenant_id, j->inv.employee_id, &j->emp))) return rc;
    rc = store_conversation_load(c, j->cl.tenant_id, j->cl.invite_id, &j->conv, &j->msgs, &j->nmsgs);
    if (rc == HARK_ENOTFOUND) rc = 0;
    else if (rc == 0) j->have_conv = 1;
    else return rc;
    return store_flow_get(c, j->cl.tenant_id, j->have_conv ? j->conv.flow_id : j->inv.flow_id, &j->fl);
}

static void hello_job_free(hello_job *j) {
    store_conversation_clear(&j->conv);
    store_messages_free(j->msgs, j->nmsgs);
    store_flow_clear(&j->fl);
    free(j);
}

/* Closes session S with 4001 ("replaced") unless it is gone already. */
static void replace_session(session *s) {
    if (s->ws && s->state != SS_CLOSED) ws_close(s->ws, 4001, "replaced");
}

/* Takes OLD out of the live table and closes its connection (unless it is
 * KEEP) with 4001: a newer connection takes the conversation over. */
static void retire(conv *old, const session *keep) {
    conv_unlink(old);
    if (old->sess && old->sess != keep) {
        session *os = old->sess;
        old->sess = NULL;
        replace_session(os);
    }
}

/* Makes S the live connection of C, closing an older one with 4001. */
static void attach(session *s, conv *c) {
    conv *old = live_find(s->m, c->id);
    if (old) retire(old, s);
    c->sess = s;
    s->c = c;
    c->refs++;
    c->hnext = s->m->live[(uint64_t)c->id % LIVE_BUCKETS];
    s->m->live[(uint64_t)c->id % LIVE_BUCKETS] = c;
}

static conv *conv_new(chat_module *m, const hello_job *j, const flow *fl) {
    conv *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->m = m;
    c->tenant_id = j->cl.tenant_id;
    c->invite_id = j->cl.invite_id;
    c->fl = fl;
    c->first_name = strdup(j->emp.first_name);
    c->company = strdup(j->ten.name);
    if (!c->first_name || !c->company) {
        free(c->first_name);
        free(c->company);
        free(c);
        return NULL;
    }
    return c;
}

/* Loads the stored state of a conversation into C. VARS is copied. */
static int conv_load_state(conv *c, const store_conversation *sc, const store_message *msgs, size_t n) {
    char *vars = strdup(sc->vars_json ? sc->vars_json : "{}");
    if (!vars) return HARK_ENOMEM;
    free(c->vars);
    c->vars = vars;
    c->id = sc->id;
    c->flow_id = sc->flow_id;
    snprintf(c->node, sizeof c->node, "%s", sc->node);
    c->last_seq = sc->last_seq;
    c->awaiting_seq = sc->awaiting_seq;
    c->done = sc->done;
    c->nrecent = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].from_employee) recent_add(c, msgs[i].client_id, msgs[i].seq);
    return 0;
}

static void welcome(session *s, const store_message *msgs, size_t n) {
    conv *c = s->c;
    if (wire_welcome(&s->m->out, c->id, c->last_seq, c->awaiting_seq) == 0) send_buf(s);
    s->sent_seq = s->client_last_seq;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].seq > s->client_last_seq) send_message(s, &msgs[i]);
    s->state = SS_OPEN;
    if (c->done) send_done(s);
    else say_next(s);
}

typedef struct create_job {
    session *s;
    conv *c;
    store_conversation sc;
    store_message msgs[FLOW_OUT_MAX];
    size_t n;
    flow_out out;
    flow_state fs;
} create_job;

static int create_work(store_conn *sc, void *arg) {
    create_job *j = arg;
    /* Created empty, then the first messages are appended like any others. */
    store_conversation empty = j->sc;
    empty.last_seq = empty.awaiting_seq = 0;
    empty.done = 0;
    int rc = store_conversation_create(sc, &empty);
    if (rc) return rc;
    j->sc.id = empty.id;
    j->sc.started_at = empty.started_at;
    int64_t dup = 0;
    return store_conversation_append(sc, &j->sc, 0, j->msgs, j->n, NULL, 0, &dup);
}

static void create_done(void *arg, int status) {
    create_job *j = arg;
    session *s = j->s;
    conv *c = j->c;
    if (s->state == SS_CLOSED) goto out;
    if (status == HARK_EEXISTS && s->retries++ < 3) {
        /* Another connection created it first: load theirs. */
        s->state = SS_HELLO;
        start_hello_load(s);
        goto out;
    }
    if (status) {
        log_conn(LOG_ERROR, ws_id(s->ws), "cannot start conversation: %s", hark_strerror(status));
        fail(s, "internal", "the conversation could not be started, please try again");
        goto out;
    }
    c->id = j->sc.id;
    conv_load_state(c, &j->sc, j->msgs, 0);
    attach(s, c);
    welcome(s, j->msgs, j->n);
out:
    flow_out_free(&j->out);
    conv_unref(c);
    session_unref(s);
    free(j);
}

static void start_new_conversation(session *s, conv *c, const hello_job *hj) {
    chat_module *m = s->m;
    create_job *j = calloc(1, sizeof *j);
    if (!j) {
        conv_unref(c);
        fail(s, "internal", "out of memory");
        return;
    }
    flow_state_init(&j->fs);
    flow_ctx ctx = {c->first_name, c->company};
    if (flow_start(c->fl, &j->fs, &ctx, &j->out)) {
        free(j);
        conv_unref(c);
        fail(s, "internal", "this conversation's flow is broken");
        return;
    }
    j->s = s;
    j->c = c;
    j->n = (size_t)j->out.n;
    int64_t awaiting = step_messages(&j->out, 1, j->msgs);
    j->sc.tenant_id = hj->cl.tenant_id;
    j->sc.invite_id = hj->cl.invite_id;
    j->sc.flow_id = hj->inv.flow_id;
    c->flow_id = hj->inv.flow_id;
    snprintf(j->sc.node, sizeof j->sc.node, "%s", j->fs.node);
    j->sc.vars_json = j->fs.vars;
    j->sc.last_seq = (int64_t)j->n;
    j->sc.awaiting_seq = awaiting;
    j->sc.done = j->fs.done;
    s->refs++;
    if (!m->o.persist) {
        j->sc.id = hj->cl.invite_id;
        create_done(j, 0);
        return;
    }
    int rc = store_submit(m->st, STORE_WRITE, create_work, create_done, j);
    if (rc) {
        session_unref(s);
        flow_out_free(&j->out);
        conv_unref(c);
        free(j);
        fail(s, "overloaded", "the server is busy, please retry");
    }
}

static void hello_done(void *arg, int status) {
    hello_job *j = arg;
    session *s = j->s;
    chat_module *m = s->m;
    if (s->state == SS_CLOSED) goto out;
    if (status == HARK_ENOTFOUND) {
        fail(s, "bad_token", "this chat link is not valid");
        goto out;
    }
    if (status) {
        log_conn(LOG_ERROR, ws_id(s->ws), "cannot load conversation: %s", hark_strerror(status));
        fail(s, "internal", "the conversation could not be loaded, please try again");
        goto out;
    }
    if (!strcmp(j->inv.status, "expired")) {
        fail(s, "expired", "this invitation has expired");
        goto out;
    }
    const flow *fl = flow_cached(m, j->fl.id, j->fl.json);
    if (!fl) {
        fail(s, "internal", "this conversation's flow cannot be loaded");
        goto out;
    }
    conv *c = conv_new(m, j, fl);
    if (!c) {
        fail(s, "internal", "out of memory");
        goto out;
    }
    c->refs = 1;
    if (!j->have_conv) {
        if (s->client_last_seq > 0) {
            conv_unref(c);
            fail(s, "bad_request", "last_seq is ahead of the conversation");
            goto out;
        }
        start_new_conversation(s, c, j); /* takes the reference */
        goto out;
    }
    conv *old = live_find(m, j->conv.id);
    if (old && old->sess != s && (old->busy || old->last_seq > j->conv.last_seq)) {
        /* An older connection on this node has an answer being committed, or
         * committed one after this hello read the conversation: what was read
         * misses it. Retire that connection now and read again (once its job
         * is done), so this welcome names the right open question. */
        conv_unref(c);
        retire(old, NULL);
        if (!old->busy) {
            start_hello_load(s);
            goto out;
        }
        if (old->waiter) {
            replace_session(old->waiter);
            session_unref(old->waiter);
        }
        old->waiter = s;
        s->refs++;
        goto out;
    }
    if (s->client_last_seq > j->conv.last_seq) {
        conv_unref(c);
        fail(s, "bad_request", "last_seq is ahead of the conversation");
        goto out;
    }
    if (conv_load_state(c, &j->conv, j->msgs, j->nmsgs)) {
        conv_unref(c);
        fail(s, "internal", "out of memory");
        goto out;
    }
    attach(s, c);
    conv_unref(c);
    welcome(s, j->msgs, j->nmsgs);
out:
    session_unref(s);
    hello_job_free(j);
}

static void start_hello_load(session *s) {
    hello_job *j = calloc(1, sizeof *j);
    if (!j) {
        fail(s, "internal", "out of memory");
        return;
    }
    j->s = s;
    j->cl = s->cl;
    s->state = SS_LOADING;
    s->refs++;
    if (store_submit(s->m->st, STORE_READ, hello_work, hello_done, j)) {
        session_unref(s);
        free(j);
        fail(s, "overloaded", "the server is busy, please retry");
    }
}

/* ---- resync: reload the stored state after another node moved it ---- */

typedef struct resync_job {
    session *s;
    conv *c;
    store_conversation sc;
    store_message *msgs;
    size_t n;
} resync_job;

static int resync_work(store_conn *sc, void *arg) {
    resync_job *j = arg;
    return store_conversation_load(sc, j->c->tenant_id, j->c->invite_id, &j->sc, &j->msgs, &j->n);
}

static void resync_done(void *arg, int status) {
    resync_job *j = arg;
    session *s = j->s;
    conv *c = j->c;
    c->busy = 0;
    if (status == 0 && conv_load_state(c, &j->sc, j->msgs, j->n) == 0) {
        if (c->sess == s && s->state == SS_OPEN) {
            for (size_t i = 0; i < j->n; i++)
                if (j->msgs[i].seq > s->sent_seq) send_message(s, &j->msgs[i]);
            if (c->done) send_done(s);
            say_next(s);
        }
    } else if (c->sess == s) {
        fail(s, "internal", "the conversation could not be reloaded, please reconnect");
    }
    store_conversation_clear(&j->sc);
    store_messages_free(j->msgs, j->n);
    if (!c->busy) wake_waiter(c);
    conv_unref(c);
    session_unref(s);
    free(j);
}

static void start_resync(session *s) {
    conv *c = s->c;
    resync_job *j = calloc(1, sizeof *j);
    if (!j) {
        fail(s, "internal", "out of memory");
        return;
    }
    j->s = s;
    j->c = c;
    s->refs++;
    c->refs++;
    c->busy = 1;
    if (store_submit(s->m->st, STORE_READ, resync_work, resync_done, j)) {
        c->busy = 0;
        conv_unref(c);
        session_unref(s);
        free(j);
        fail(s, "overloaded", "the server is busy, please retry");
    }
}

/* ---- say: score, step the flow, store, then ack ---- */

typedef struct say_job {
    session *s;
    conv *c;
    char id[65];
    char *text; /* owned */
    int retries;
    int64_t prev_last_seq;
    store_conversation sc; /* the state after this answer; vars borrowed from fs */
    store_message msgs[1 + FLOW_OUT_MAX];
    size_t n;
    store_answer ans;
    size_t nans;
    int64_t dup_seq;
    flow_out out;
    flow_state fs;
} say_job;

static int say_work(store_conn *sc, void *arg) {
    say_job *j = arg;
    return store_conversation_append(sc, &j->sc, j->prev_last_seq, j->msgs, j->n, j->nans ? &j->ans : NULL, j->nans,
                                     &j->dup_seq);
}

static void say_job_free(say_job *j) {
    flow_out_free(&j->out);
    free(j->text);
    free(j);
}

static void say_done(void *arg, int status) {
    say_job *j = arg;
    session *s = j->s;
    conv *c = j->c;
    int live = c->sess == s && s->state == SS_OPEN;
    c->busy = 0;
    if (status == 0) {
        char *vars = strdup(j->fs.vars);
        if (vars) {
            free(c->vars);
            c->vars = vars;
            snprintf(c->node, sizeof c->node, "%s", j->fs.node);
            c->last_seq = j->sc.last_seq;
            c->awaiting_seq = j->sc.awaiting_seq;
            c->done = j->sc.done;
            recent_add(c, j->id, j->msgs[0].seq);
        }
        if (live) {
            if (wire_ack(&s->m->out, j->id, j->msgs[0].seq) == 0) send_buf(s);
            if (j->msgs[0].seq > s->sent_seq) s->sent_seq = j->msgs[0].seq;
            for (size_t i = 1; i < j->n; i++) send_message(s, &j->msgs[i]);
            if (c->done) send_done(s);
            else if (!vars) fail(s, "internal", "out of memory");
        }
    } else if (status == HARK_EEXISTS && live) {
        /* Stored before (by an earlier connection): acknowledge it again and
         * bring this connection up to date. */
        if (wire_ack(&s->m->out, j->id, j->dup_seq) == 0) send_buf(s);
        start_resync(s);
    } else if (status == HARK_EBUSY && live && j->retries < 3) {
        /* Another node moved the conversation on: reload, then answer again. */
        queued_say *q;
        if (s->qlen < CHAT_QUEUE_MAX) {
            s->qhead = (s->qhead + CHAT_QUEUE_MAX - 1) % CHAT_QUEUE_MAX;
            s->qlen++;
            q = &s->queue[s->qhead];
            snprintf(q->id, sizeof q->id, "%s", j->id);
            q->text = j->text;
            q->len = strlen(j->text);
            j->text = NULL;
        }
        start_resync(s);
    } else if (live) {
        log_conn(LOG_ERROR, ws_id(s->ws), "answer not stored: %s", hark_strerror(status));
        fail(s, status == HARK_EBUSY ? "overloaded" : "internal", "the answer could not be stored, please retry");
    }
    if (live && !c->busy) say_next(s);
    if (!c->busy) wake_waiter(c);
    conv_unref(c);
    session_unref(s);
    say_job_free(j);
}

static void start_say(session *s, const char *id, const char *text, size_t len) {
    chat_module *m = s->m;
    conv *c = s->c;
    char err[256];
    int64_t seq = recent_find(c, id);
    if (seq) {
        if (wire_ack(&m->out, id, seq) == 0) send_buf(s);
        return;
    }
    if (c->done || c->awaiting_seq == 0) {
        fail(s, "bad_request", "no question is waiting for an answer");
        return;
    }
    say_job *j = calloc(1, sizeof *j);
    if (!j || !(j->text = malloc(len + 1))) {
        free(j);
        fail(s, "internal", "out of memory");
        return;
    }
    memcpy(j->text, text, len);
    j->text[len] = '\0';
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->fs.node, sizeof j->fs.node, "%s", c->node);
    snprintf(j->fs.vars, sizeof j->fs.vars, "%s", c->vars ? c->vars : "{}");
    j->fs.done = c->done;

    nlp_sentiment sent;
    nlp_sentiment_score(text, len, &sent);
    flow_ctx ctx = {c->first_name, c->company};
    flow_answer_rec fa;
    memset(&fa, 0, sizeof fa);
    if (flow_answer(c->fl, &j->fs, j->text, sent.compound, &ctx, &j->out, &fa, err, sizeof err)) {
        say_job_free(j);
        fail(s, "bad_request", err);
        return;
    }
    store_message *you = &j->msgs[0];
    you->seq = c->last_seq + 1;
    you->from_employee = 1;
    snprintf(you->client_id, sizeof you->client_id, "%s", id);
    you->text = j->text;
    you->scored = 1;
    you->compound = sent.compound;
    you->pos = sent.pos;
    you->neu = sent.neu;
    you->neg = sent.neg;
    int64_t awaiting = step_messages(&j->out, you->seq + 1, j->msgs + 1);
    j->n = 1 + (size_t)j->out.n;
    snprintf(j->ans.key, sizeof j->ans.key, "%s", fa.key);
    snprintf(j->ans.kind, sizeof j->ans.kind, "%s", fa.kind ? fa.kind : "text");
    j->ans.seq = you->seq;
    j->ans.has_number = fa.has_number;
    j->ans.number = fa.number;
    j->nans = fa.key[0] ? 1 : 0;

    j->prev_last_seq = c->last_seq;
    j->sc.id = c->id;
    j->sc.tenant_id = c->tenant_id;
    j->sc.invite_id = c->invite_id;
    j->sc.flow_id = c->flow_id;
    snprintf(j->sc.node, sizeof j->sc.node, "%s", j->fs.node);
    j->sc.vars_json = j->fs.vars;
    j->sc.last_seq = c->last_seq + (int64_t)j->n;
    j->sc.awaiting_seq = awaiting;
    j->sc.done = j->fs.done;
    j->s = s;
    j->c = c;
    s->refs++;
    c->refs++;
    c->busy = 1;
    if (!m->o.persist) {
        say_done(j, 0);
        return;
    }
    if (store_submit(m->st, STORE_WRITE, say_work, say_done, j)) {
        c->busy = 0;
        conv_unref(c);
        session_unref(s);
        say_job_free(j);
        fail(s, "overloaded", "the server is busy, please retry");
    }
}

/* Runs queued says while no write is in flight. */
static void say_next(session *s) {
    while (s->qlen > 0 && s->state == SS_OPEN && s->c && s->c->sess == s && !s->c->busy) {
        queued_say q = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % CHAT_QUEUE_MAX;
        s->qlen--;
        start_say(s, q.id, q.text, q.len);
        free(q.text);
    }
}

static void enqueue_say(session *s, const char *id, const char *text, size_t len) {
    if (s->qlen >= CHAT_QUEUE_MAX) {
        fail(s, "rate_limited", "too many answers waiting; slow down");
        return;
    }
    queued_say *q = &s->queue[(s->qhead + s->qlen) % CHAT_QUEUE_MAX];
    q->text = malloc(len + 1);
    if (!q->text) {
        fail(s, "internal", "out of memory");
        return;
    }
    memcpy(q->text, text, len);
    q->text[len] = '\0';
    q->len = len;
    snprintf(q->id, sizeof q->id, "%s", id);
    s->qlen++;
}

/* ---- frames from the client ---- */

static void hello_list_remove(session *s) {
    if (s->prev) s->prev->next = s->next;
    else if (s->m->hello_list == s) s->m->hello_list = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void on_hello(session *s, json_t *msg) {
    chat_module *m = s->m;
    json_t *tok = json_object_get(msg, "token"), *ls = json_object_get(msg, "last_seq");
    if (s->state != SS_HELLO) {
        fail(s, "bad_request", "hello was already received");
        return;
    }
    if (!json_is_string(tok)) {
        fail(s, "bad_request", "hello needs a token");
        return;
    }
    if (ls && !json_is_null(ls) && (!json_is_integer(ls) || json_integer_value(ls) < 0)) {
        fail(s, "bad_request", "last_seq must be a non-negative integer");
        return;
    }
    s->client_last_seq = json_is_integer(ls) ? json_integer_value(ls) : 0;
    hello_list_remove(s);
    int rc = token_parse(m->o.key, json_string_value(tok), json_string_length(tok), hark_now_ms(), &s->cl);
    if (rc == HARK_EEXPIRED) {
        fail(s, "expired", "this invitation has expired");
        return;
    }
    if (rc) {
        fail(s, "bad_token", "this chat link is not valid");
        return;
    }
    start_hello_load(s);
}

static void on_say(session *s, json_t *msg) {
    json_t *id = json_object_get(msg, "id"), *text = json_object_get(msg, "text");
    if (s->state == SS_HELLO) {
        fail(s, "bad_request", "send hello first");
        return;
    }
    if (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 64) {
        fail(s, "bad_request", "say needs an id of 1 to 64 bytes");
        return;
    }
    if (!json_is_string(text)) {
        fail(s, "bad_request", "say needs a text");
        return;
    }
    size_t len = json_string_length(text);
    if (len > s->m->o.max_text) {
        fail(s, "too_large", "the answer is too long");
        return;
    }
    if (s->state != SS_OPEN || s->c->busy || s->qlen > 0)
        enqueue_say(s, json_string_value(id), json_string_value(text), len);
    else
        start_say(s, json_string_value(id), json_string_value(text), len);
}

static void on_text(ws_conn *ws, const char *data, size_t len, void *ud) {
    session *s = ws_get_data(ws);
    json_error_t jerr;
    (void)ud;
    if (!s || s->state == SS_CLOSED) return;
    if (s->c && s->c->sess != s) return; /* replaced; its close is under way */
    json_t *msg = json_loadb(data, len, 0, &jerr);
    const char *t = msg ? json_string_value(json_object_get(msg, "t")) : NULL;
    if (!msg || !json_is_object(msg)) fail(s, "bad_request", "frames must be JSON objects");
    else if (!t) fail(s, "bad_request", "the message has no type (t)");
    else if (!strcmp(t, "hello")) on_hello(s, msg);
    else if (!strcmp(t, "say")) on_say(s, msg);
    else if (!strcmp(t, "ping")) {
        if (s->state == SS_HELLO) fail(s, "bad_request", "send hello first");
        else ws_send_text(ws, "{\"t\":\"pong\"}", 12);
    } else {
        fail(s, "bad_request", "unknown message type");
    }
    json_decref(msg);
}

static void on_open(ws_conn *ws, void *ud) {
    chat_module *m = ud;
    session *s = calloc(1, sizeof *s);
    if (!s) {
        ws_close(ws, 1011, "out of memory");
        return;
    }
    s->refs = 1;
    s->m = m;
    s->ws = ws;
    s->state = SS_HELLO;
    s->opened_ms = (int64_t)(uv_now(m->loop));
    s->next = m->hello_list;
    if (m->hello_list) m->hello_list->prev = s;
    m->hello_list = s;
    ws_set_data(ws, s);
}

static void on_close(ws_conn *ws, int code, void *ud) {
    session *s = ws_get_data(ws);
    (void)code;
    (void)ud;
    if (!s) return;
    ws_set_data(ws, NULL);
    if (s->state == SS_HELLO) hello_list_remove(s);
    s->state = SS_CLOSED;
    s->ws = NULL;
    if (s->c) {
        if (s->c->sess == s) {
            s->c->sess = NULL;
            conv_unlink(s->c);
        }
        conv_unref(s->c);
        s->c = NULL;
    }
    session_unref(s);
}

static void sweep(uv_timer_t *t) {
    chat_module *m = t->data;
    int64_t now = (int64_t)uv_now(m->loop);
    session *s = m->hello_list;
    while (s) {
        session *next = s->next;
        if (now - s->opened_ms >= m->o.hello_timeout_ms) {
            hello_list_remove(s);
            fail(s, "bad_request", "no hello within the time limit");
        }
        s = next;
    }
}

/* ---- the chat page ---- */

static void page(http_req *req, void *ud) {
    const struct embed_file *f = embed_find(hark_assets, "/chat/index.html");
    (void)ud;
    if (!f) {
        http_respond_error(req, 500, "internal", "the chat page is missing from this build");
        return;
    }
    http_add_header(req, "Content-Security-Policy", CHAT_PAGE_CSP);
    http_add_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "text/html; charset=utf-8", f->data, f->len);
}

/* ---- module ---- */

chat_module *chat_new(uv_loop_t *loop, net_server *net, store *st, const chat_opts *opts) {
    chat_module *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->loop = loop;
    m->net = net;
    m->st = st;
    m->o = *opts;
    if (!m->o.hello_timeout_ms) m->o.hello_timeout_ms = 10000;
    buf_init(&m->out, 4 * m->o.max_text + 65536);
    ws_handler h = {on_open, on_text, on_close, m};
    if (net_ws_route(net, "/chat/ws", &h) || net_route(net, "GET", "/c/", 1, page, m)) {
        free(m);
        return NULL;
    }
    uv_timer_init(loop, &m->sweep);
    m->sweep.data = m;
    uv_timer_start(&m->sweep, sweep, 1000, 1000);
    return m;
}

void chat_stop(chat_module *m) {
    if (m->stopped) return;
    m->stopped = 1;
    uv_timer_stop(&m->sweep);
    uv_close((uv_handle_t *)&m->sweep, NULL);
}

void chat_free(chat_module *m) {
    for (size_t i = 0; i < m->nflows; i++) flow_free(m->flows[i].f);
    buf_free(&m->out);
    free(m);
}
