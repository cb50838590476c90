/* Opening a conversation (chat_int.h): a hello's read job loads the invite,
 * the employee, the flow and the stored conversation; a new conversation's
 * first messages are written before the welcome; a resync reloads the state
 * after another connection or node moved it on. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/err.h"
#include "core/log.h"

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
    if (rc == HARK_ENOTFOUND)
        rc = 0;
    else if (rc == 0)
        j->have_conv = 1;
    else
        return rc;
    return store_flow_get(c, j->cl.tenant_id, j->have_conv ? j->conv.flow_id : j->inv.flow_id, &j->fl);
}

static void hello_job_free(hello_job *j) {
    store_conversation_clear(&j->conv);
    store_messages_free(j->msgs, j->nmsgs);
    store_flow_clear(&j->fl);
    free(j);
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
int chat__conv_load_state(conv *c, const store_conversation *sc, const store_message *msgs, size_t n) {
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
        if (msgs[i].from_employee) chat__recent_add(c, msgs[i].client_id, msgs[i].seq);
    return 0;
}

static void welcome(session *s, const store_message *msgs, size_t n) {
    conv *c = s->c;
    if (wire_welcome(&s->m->out, c->id, c->last_seq, c->awaiting_seq) == 0) chat__send_buf(s);
    s->sent_seq = s->client_last_seq;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].seq > s->client_last_seq) chat__send_message(s, &msgs[i]);
    s->state = SS_OPEN;
    if (c->done)
        chat__send_done(s);
    else
        chat__say_next(s);
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
        chat__start_hello_load(s);
        goto out;
    }
    if (status) {
        log_conn(LOG_ERROR, ws_id(s->ws), "cannot start conversation: %s", hark_strerror(status));
        chat__fail(s, "internal", "the conversation could not be started, please try again");
        goto out;
    }
    c->id = j->sc.id;
    chat__conv_load_state(c, &j->sc, j->msgs, 0);
    chat__attach(s, c);
    welcome(s, j->msgs, j->n);
out:
    flow_out_free(&j->out);
    chat__conv_unref(c);
    chat__session_unref(s);
    free(j);
}

static void start_new_conversation(session *s, conv *c, const hello_job *hj) {
    chat_module *m = s->m;
    create_job *j = calloc(1, sizeof *j);
    if (!j) {
        chat__conv_unref(c);
        chat__fail(s, "internal", "out of memory");
        return;
    }
    flow_state_init(&j->fs);
    flow_ctx ctx = {c->first_name, c->company};
    if (flow_start(c->fl, &j->fs, &ctx, &j->out)) {
        free(j);
        chat__conv_unref(c);
        chat__fail(s, "internal", "this conversation's flow is broken");
        return;
    }
    j->s = s;
    j->c = c;
    j->n = (size_t)j->out.n;
    int64_t awaiting = chat__step_messages(&j->out, 1, j->msgs);
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
        chat__session_unref(s);
        flow_out_free(&j->out);
        chat__conv_unref(c);
        free(j);
        chat__fail(s, "overloaded", "the server is busy, please retry");
    }
}

static void hello_done(void *arg, int status) {
    hello_job *j = arg;
    session *s = j->s;
    chat_module *m = s->m;
    if (s->state == SS_CLOSED) goto out;
    if (status == HARK_ENOTFOUND) {
        chat__fail(s, "bad_token", "this chat link is not valid");
        goto out;
    }
    if (status) {
        log_conn(LOG_ERROR, ws_id(s->ws), "cannot load conversation: %s", hark_strerror(status));
        chat__fail(s, "internal", "the conversation could not be loaded, please try again");
        goto out;
    }
    if (!strcmp(j->inv.status, "expired")) {
        chat__fail(s, "expired", "this invitation has expired");
        goto out;
    }
    const flow *fl = chat__flow_cached(m, j->fl.id, j->fl.json);
    if (!fl) {
        chat__fail(s, "internal", "this conversation's flow cannot be loaded");
        goto out;
    }
    conv *c = conv_new(m, j, fl);
    if (!c) {
        chat__fail(s, "internal", "out of memory");
        goto out;
    }
    c->refs = 1;
    if (!j->have_conv) {
        if (s->client_last_seq > 0) {
            chat__conv_unref(c);
            chat__fail(s, "bad_request", "last_seq is ahead of the conversation");
            goto out;
        }
        start_new_conversation(s, c, j); /* takes the reference */
        goto out;
    }
    conv *old = chat__live_find(m, j->conv.id);
    if (old && old->sess != s && (old->busy || old->last_seq > j->conv.last_seq)) {
        /* An older connection on this node has an answer being committed, or
         * committed one after this hello read the conversation: what was read
         * misses it. Retire that connection now and read again (once its job
         * is done), so this welcome names the right open question. */
        chat__conv_unref(c);
        chat__retire(old, NULL);
        if (!old->busy) {
            chat__start_hello_load(s);
            goto out;
        }
        if (old->waiter) {
            chat__replace_session(old->waiter);
            chat__session_unref(old->waiter);
        }
        old->waiter = s;
        s->refs++;
        goto out;
    }
    if (s->client_last_seq > j->conv.last_seq) {
        chat__conv_unref(c);
        chat__fail(s, "bad_request", "last_seq is ahead of the conversation");
        goto out;
    }
    if (chat__conv_load_state(c, &j->conv, j->msgs, j->nmsgs)) {
        chat__conv_unref(c);
        chat__fail(s, "internal", "out of memory");
        goto out;
    }
    chat__attach(s, c);
    chat__conv_unref(c);
    welcome(s, j->msgs, j->nmsgs);
out:
    chat__session_unref(s);
    hello_job_free(j);
}

void chat__start_hello_load(session *s) {
    hello_job *j = calloc(1, sizeof *j);
    if (!j) {
        chat__fail(s, "internal", "out of memory");
        return;
    }
    j->s = s;
    j->cl = s->cl;
    s->state = SS_LOADING;
    s->refs++;
    if (store_submit(s->m->st, STORE_READ, hello_work, hello_done, j)) {
        chat__session_unref(s);
        free(j);
        chat__fail(s, "overloaded", "the server is busy, please retry");
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
    if (status == 0 && chat__conv_load_state(c, &j->sc, j->msgs, j->n) == 0) {
        if (c->sess == s && s->state == SS_OPEN) {
            for (size_t i = 0; i < j->n; i++)
                if (j->msgs[i].seq > s->sent_seq) chat__send_message(s, &j->msgs[i]);
            if (c->done) chat__send_done(s);
            chat__say_next(s);
        }
    } else if (c->sess == s) {
        chat__fail(s, "internal", "the conversation could not be reloaded, please reconnect");
    }
    store_conversation_clear(&j->sc);
    store_messages_free(j->msgs, j->n);
    if (!c->busy) chat__wake_waiter(c);
    chat__conv_unref(c);
    chat__session_unref(s);
    free(j);
}

void chat__start_resync(session *s) {
    conv *c = s->c;
    resync_job *j = calloc(1, sizeof *j);
    if (!j) {
        chat__fail(s, "internal", "out of memory");
        return;
    }
    j->s = s;
    j->c = c;
    s->refs++;
    c->refs++;
    c->busy = 1;
    if (store_submit(s->m->st, STORE_READ, resync_work, resync_done, j)) {
        c->busy = 0;
        chat__conv_unref(c);
        chat__session_unref(s);
        free(j);
        chat__fail(s, "overloaded", "the server is busy, please retry");
    }
}
