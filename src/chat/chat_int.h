/* Private to the chat module: the in-memory conversation and session objects
 * shared by chat.c (protocol and life cycle) and wire.c (frame building). */
#ifndef HARK_CHAT_INT_H
#define HARK_CHAT_INT_H

#include <stdint.h>

#include "chat/chat.h"
#include "core/buf.h"
#include "flow/flow.h"

#define CHAT_RECENT_IDS 32 /* client ids remembered per live conversation */
#define CHAT_QUEUE_MAX  16 /* says waiting while a write is in flight */

typedef struct session session;

/* A conversation loaded by a live connection. Reference-counted: the session
 * holds one reference and each database job in flight holds one, so a job that
 * completes after the connection has gone still finds its object. */
typedef struct conv {
    int refs;
    int busy; /* a write or a resync job is in flight */
    chat_module *m;
    session *sess;      /* the live session, NULL once it has gone or been replaced */
    session *waiter;    /* a newer connection's hello, waiting for the job in flight (holds a reference) */
    struct conv *hnext; /* chain in the module's live table */
    int64_t id, tenant_id, invite_id, flow_id;
    const flow *fl; /* shared, owned by the module's flow cache */
    char node[FLOW_NODE_MAX];
    char *vars; /* owned JSON text */
    int64_t last_seq, awaiting_seq;
    int done;
    char *first_name; /* owned; templating context */
    char *company;    /* owned */
    struct {
        uint64_t hash;
        int64_t seq;
    } recent[CHAT_RECENT_IDS]; /* ring of recently stored client ids */
    unsigned nrecent;
} conv;

/* Life cycle of one WebSocket connection on /chat/ws:
 *   SS_HELLO    waits for the hello frame (on the module's hello list; the sweep
 *               timer closes it after hello_timeout_ms)
 *   SS_LOADING  hello accepted, its database job in flight
 *   SS_OPEN     welcome sent; says are handled (queued while conv->busy)
 *   SS_CLOSED   the socket is gone; freed when the last job referencing it ends */
enum session_state { SS_HELLO, SS_LOADING, SS_OPEN, SS_CLOSED };

typedef struct queued_say {
    char id[65];
    char *text; /* owned */
    size_t len;
} queued_say;

struct session {
    int refs;
    enum session_state state;
    chat_module *m;
    ws_conn *ws;
    conv *c;
    session *prev, *next; /* hello list */
    int64_t opened_ms;
    token_claims cl;         /* from the hello's token */
    int64_t client_last_seq; /* from hello */
    int64_t sent_seq;        /* highest message seq sent to this client */
    int retries;             /* hello reloads after a creation race */
    queued_say queue[CHAT_QUEUE_MAX];
    unsigned qhead, qlen;
};

#define LIVE_BUCKETS   4096 /* live conversation table (chained) */
#define FLOW_CACHE_MAX 256  /* parsed flows kept by id */
#define RETRY_AFTER_MS 1000 /* the hint sent with rate_limited and overloaded */

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

/* ---- objects, the live table, sending (session.c) ---- */

/* Drop one reference; the object is freed with the last one. */
void chat__session_unref(session *s);
void chat__conv_unref(conv *c);
/* The live conversation ID on this node, or NULL; unlink takes C out. */
conv *chat__live_find(chat_module *m, int64_t id);
void chat__conv_unlink(conv *c);
/* Makes S the live connection of C (taking a reference), closing an older
 * connection with 4001; retire takes OLD out and closes its connection unless
 * it is KEEP; replace_session closes S with 4001. */
void chat__attach(session *s, conv *c);
void chat__retire(conv *old, const session *keep);
void chat__replace_session(session *s);
/* Starts the hello of the connection that waited for C's job in flight. */
void chat__wake_waiter(conv *c);
/* Client ids recently stored in C: their seq, or 0. */
int64_t chat__recent_find(const conv *c, const char *id);
void chat__recent_add(conv *c, const char *id, int64_t seq);
/* Sends the module's scratch frame (m->out) to S, if it is still open. */
void chat__send_buf(session *s);
/* Sends an error frame with CODE and closes with the code the protocol gives it. */
void chat__fail(session *s, const char *code, const char *message);
void chat__send_message(session *s, const store_message *msg);
/* Sends done and closes with 1000. */
void chat__send_done(session *s);
/* The parsed flow ID, parsed from JSON on first use; NULL if invalid. */
const flow *chat__flow_cached(chat_module *m, int64_t id, const char *json);
/* Turns a flow step's output into store messages from seq FIRST (texts
 * borrowed from OUT); returns the seq of the open question, or 0. */
int64_t chat__step_messages(const flow_out *out, int64_t first, store_message *msgs);

/* ---- hello, resync (hello.c) ---- */

/* Loads (or starts) S's conversation and sends welcome and the replay. */
void chat__start_hello_load(session *s);
/* Reloads S's conversation and sends what S has not seen. */
void chat__start_resync(session *s);
/* Copies the stored state SC (and the client ids of MSGS) into C. */
int chat__conv_load_state(conv *c, const store_conversation *sc, const store_message *msgs, size_t n);

/* ---- answers (say.c) ---- */

/* Handles one say now (no write may be in flight for S's conversation). */
void chat__start_say(session *s, const char *id, const char *text, size_t len);
/* Queues a say (bounded; rate_limited past it) and runs queued ones when free. */
void chat__enqueue_say(session *s, const char *id, const char *text, size_t len);
void chat__say_next(session *s);

/* Frame builders (wire.c). Each writes one complete JSON frame into B (reset
 * first) and returns 0 or a buf error. */
int wire_welcome(buf *b, int64_t conv_id, int64_t last_seq, int64_t awaiting_seq);
int wire_bot(buf *b, int64_t seq, const char *text, const char *input_json);
int wire_you(buf *b, int64_t seq, const char *id, const char *text);
int wire_ack(buf *b, const char *id, int64_t seq);
int wire_error(buf *b, const char *code, const char *message, int64_t retry_after_ms);

#endif
