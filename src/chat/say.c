/* Answers (chat_int.h): a say is scored, run through the flow and written
 * with the bot's next messages and the conversation's new state in one job;
 * the ack goes out after the commit and before those messages. One write per
 * conversation is in flight; later says wait in a bounded queue. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/err.h"
#include "core/log.h"
#include "nlp/sentiment.h"

/* ---- say: score, step the flow, store, then ack ---- */

typedef struct say_job {
    session *s;
    conv *c;
    char id[65];
    char *text; /* owned */
    int retries;
    int64_t prev_last_seq;
    store_conversation sc;                /* the state after this answer; vars borrowed from fs */
    store_message msgs[2 + FLOW_OUT_MAX]; /* the answer, a support message, the flow's */
    size_t n;
    store_answer ans;
    size_t nans;
    int64_t dup_seq;
    flow_out out;
    flow_state fs;
    store_flag flags[STORE_FLAGS_MAX];
    char flags_json[CHAT_FLAGS_JSON_MAX];
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
            chat__recent_add(c, j->id, j->msgs[0].seq);
        }
        /* The kind is no personal data; the text stays out of the log. */
        for (size_t i = 0; i < j->msgs[0].nflags; i++)
            log_conn(LOG_WARN, ws_id(s->ws), "red flag %s (severity %d) in conversation %" PRId64, j->flags[i].kind,
                     j->flags[i].severity, c->id);
        if (live) {
            if (wire_ack(&s->m->out, j->id, j->msgs[0].seq) == 0) chat__send_buf(s);
            if (j->msgs[0].seq > s->sent_seq) s->sent_seq = j->msgs[0].seq;
            for (size_t i = 1; i < j->n; i++) chat__send_message(s, &j->msgs[i]);
            if (c->done)
                chat__send_done(s);
            else if (!vars)
                chat__fail(s, "internal", "out of memory");
        }
    } else if (status == HARK_EEXISTS && live) {
        /* Stored before (by an earlier connection): acknowledge it again and
         * bring this connection up to date. */
        if (wire_ack(&s->m->out, j->id, j->dup_seq) == 0) chat__send_buf(s);
        chat__start_resync(s);
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
        chat__start_resync(s);
    } else if (live) {
        log_conn(LOG_ERROR, ws_id(s->ws), "answer not stored: %s", hark_strerror(status));
        chat__fail(s, status == HARK_EBUSY ? "overloaded" : "internal", "the answer could not be stored, please retry");
    }
    if (live && !c->busy) chat__say_next(s);
    if (!c->busy) chat__wake_waiter(c);
    chat__conv_unref(c);
    chat__session_unref(s);
    say_job_free(j);
}

void chat__start_say(session *s, const char *id, const char *text, size_t len) {
    chat_module *m = s->m;
    conv *c = s->c;
    char err[256];
    int64_t seq = chat__recent_find(c, id);
    if (seq) {
        if (wire_ack(&m->out, id, seq) == 0) chat__send_buf(s);
        return;
    }
    if (c->done || c->awaiting_seq == 0) {
        chat__fail(s, "bad_request", "no question is waiting for an answer");
        return;
    }
    say_job *j = calloc(1, sizeof *j);
    if (!j || !(j->text = malloc(len + 1))) {
        free(j);
        chat__fail(s, "internal", "out of memory");
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
        chat__fail(s, "bad_request", err);
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
    you->nflags = chat_flags(text, len, j->flags, j->flags_json, sizeof j->flags_json);
    if (you->nflags) {
        you->flags = j->flags;
        you->flags_json = j->flags_json;
    }
    /* An answer that speaks of self-harm gets a human reply before anything
     * else the flow says; it is stored like every bot message. */
    size_t extra = 0;
    if (m->o.support_message && m->o.support_message[0]) {
        for (size_t i = 0; i < you->nflags; i++)
            if (!strcmp(j->flags[i].kind, "self_harm") && j->flags[i].severity >= 3) extra = 1;
    }
    if (extra) {
        store_message *help = &j->msgs[1];
        memset(help, 0, sizeof *help);
        help->seq = you->seq + 1;
        help->text = (char *)m->o.support_message;
    }
    int64_t awaiting = chat__step_messages(&j->out, you->seq + 1 + (int64_t)extra, j->msgs + 1 + extra);
    j->n = 1 + extra + (size_t)j->out.n;
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
        chat__conv_unref(c);
        chat__session_unref(s);
        say_job_free(j);
        chat__fail(s, "overloaded", "the server is busy, please retry");
    }
}

/* Runs queued says while no write is in flight. */
void chat__say_next(session *s) {
    while (s->qlen > 0 && s->state == SS_OPEN && s->c && s->c->sess == s && !s->c->busy) {
        queued_say q = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % CHAT_QUEUE_MAX;
        s->qlen--;
        chat__start_say(s, q.id, q.text, q.len);
        free(q.text);
    }
}

void chat__enqueue_say(session *s, const char *id, const char *text, size_t len) {
    if (s->qlen >= CHAT_QUEUE_MAX) {
        chat__fail(s, "rate_limited", "too many answers waiting; slow down");
        return;
    }
    queued_say *q = &s->queue[(s->qhead + s->qlen) % CHAT_QUEUE_MAX];
    q->text = malloc(len + 1);
    if (!q->text) {
        chat__fail(s, "internal", "out of memory");
        return;
    }
    memcpy(q->text, text, len);
    q->text[len] = '\0';
    q->len = len;
    snprintf(q->id, sizeof q->id, "%s", id);
    s->qlen++;
}
