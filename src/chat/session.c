/* The chat module's objects (chat_int.h): sessions and conversations with
 * their reference counts, the table of conversations live on this node, the
 * recently stored client ids, the parsed-flow cache, and sending frames. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/err.h"
#include "core/log.h"

/* ---- sessions, conversations, the live table ---- */

void chat__session_unref(session *s) {
    if (--s->refs > 0) return;
    for (unsigned i = 0; i < s->qlen; i++) free(s->queue[(s->qhead + i) % CHAT_QUEUE_MAX].text);
    free(s);
}

void chat__conv_unlink(conv *c) {
    conv **pp = &c->m->live[(uint64_t)c->id % LIVE_BUCKETS];
    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    c->hnext = NULL;
}

void chat__conv_unref(conv *c) {
    if (--c->refs > 0) return;
    free(c->vars);
    free(c->first_name);
    free(c->company);
    free(c);
}

conv *chat__live_find(chat_module *m, int64_t id) {
    for (conv *c = m->live[(uint64_t)id % LIVE_BUCKETS]; c; c = c->hnext)
        if (c->id == id) return c;
    return NULL;
}

/* A hello that waited for C's job in flight loads the conversation now, so its
 * welcome includes what that job stored. */
void chat__wake_waiter(conv *c) {
    session *w = c->waiter;
    if (!w) return;
    c->waiter = NULL;
    if (w->state != SS_CLOSED) chat__start_hello_load(w);
    chat__session_unref(w);
}

static uint64_t id_hash(const char *id) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

int64_t chat__recent_find(const conv *c, const char *id) {
    uint64_t h = id_hash(id);
    unsigned n = c->nrecent < CHAT_RECENT_IDS ? c->nrecent : CHAT_RECENT_IDS;
    for (unsigned i = 0; i < n; i++)
        if (c->recent[i].hash == h) return c->recent[i].seq;
    return 0;
}

void chat__recent_add(conv *c, const char *id, int64_t seq) {
    unsigned i = c->nrecent++ % CHAT_RECENT_IDS;
    c->recent[i].hash = id_hash(id);
    c->recent[i].seq = seq;
}

/* ---- sending ---- */

void chat__send_buf(session *s) {
    if (s->state == SS_CLOSED || !s->ws) return;
    ws_send_text(s->ws, s->m->out.data, s->m->out.len);
}

/* Sends an error frame and closes with the code the protocol assigns to it. */
void chat__fail(session *s, const char *code, const char *message) {
    int close_code = 1008;
    int64_t retry = 0;
    if (!strcmp(code, "too_large"))
        close_code = 1009;
    else if (!strcmp(code, "rate_limited") || !strcmp(code, "overloaded"))
        close_code = 1013, retry = RETRY_AFTER_MS;
    else if (!strcmp(code, "internal"))
        close_code = 1011;
    if (s->state == SS_CLOSED || !s->ws) return;
    if (wire_error(&s->m->out, code, message, retry) == 0) chat__send_buf(s);
    ws_close(s->ws, close_code, code);
}

void chat__send_message(session *s, const store_message *msg) {
    int rc = msg->from_employee ? wire_you(&s->m->out, msg->seq, msg->client_id, msg->text)
                                : wire_bot(&s->m->out, msg->seq, msg->text, msg->input_json);
    if (rc == 0) chat__send_buf(s);
    if (msg->seq > s->sent_seq) s->sent_seq = msg->seq;
}

void chat__send_done(session *s) {
    if (s->state == SS_CLOSED || !s->ws) return;
    ws_send_text(s->ws, "{\"t\":\"done\"}", 12);
    ws_close(s->ws, 1000, "done");
}

/* ---- flows ---- */

/* Returns the parsed flow ID, parsing JSON on first use; NULL if invalid. */
const flow *chat__flow_cached(chat_module *m, int64_t id, const char *json) {
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
int64_t chat__step_messages(const flow_out *out, int64_t first, store_message *msgs) {
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

/* Closes session S with 4001 ("replaced") unless it is gone already. */
void chat__replace_session(session *s) {
    if (s->ws && s->state != SS_CLOSED) ws_close(s->ws, 4001, "replaced");
}

/* Takes OLD out of the live table and closes its connection (unless it is
 * KEEP) with 4001: a newer connection takes the conversation over. */
void chat__retire(conv *old, const session *keep) {
    chat__conv_unlink(old);
    if (old->sess && old->sess != keep) {
        session *os = old->sess;
        old->sess = NULL;
        chat__replace_session(os);
    }
}

/* Makes S the live connection of C, closing an older one with 4001. */
void chat__attach(session *s, conv *c) {
    conv *old = chat__live_find(s->m, c->id);
    if (old) chat__retire(old, s);
    c->sess = s;
    s->c = c;
    c->refs++;
    c->hnext = s->m->live[(uint64_t)c->id % LIVE_BUCKETS];
    s->m->live[(uint64_t)c->id % LIVE_BUCKETS] = c;
}
