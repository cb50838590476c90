/* Private to the chat module: the in-memory conversation and session objects
 * shared by chat.c (protocol and life cycle) and wire.c (frame building). */
#ifndef HARK_CHAT_INT_H
#define HARK_CHAT_INT_H

#include <stdint.h>

#include "chat/chat.h"
#include "chat/flow.h"
#include "core/buf.h"

#define CHAT_RECENT_IDS 32 /* client ids remembered per live conversation */
#define CHAT_QUEUE_MAX 16  /* says waiting while a write is in flight */

typedef struct session session;

/* A conversation loaded by a live connection. Reference-counted: the session
 * holds one reference and each database job in flight holds one, so a job that
 * completes after the connection has gone still finds its object. */
typedef struct conv {
    int refs;
    int busy;         /* a write or a resync job is in flight */
    chat_module *m;
    session *sess;    /* the live session, NULL once it has gone or been replaced */
    session *waiter;  /* a newer connection's hello, waiting for the job in flight (holds a reference) */
    struct conv *hnext; /* chain in the module's live table */
    int64_t id, tenant_id, invite_id, flow_id;
    const flow *fl;   /* shared, owned by the module's flow cache */
    char node[FLOW_NODE_MAX];
    char *vars;       /* owned JSON text */
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

/* Frame builders (wire.c). Each writes one complete JSON frame into B (reset
 * first) and returns 0 or a buf error. */
int wire_welcome(buf *b, int64_t conv_id, int64_t last_seq, int64_t awaiting_seq);
int wire_bot(buf *b, int64_t seq, const char *text, const char *input_json);
int wire_you(buf *b, int64_t seq, const char *id, const char *text);
int wire_ack(buf *b, const char *id, int64_t seq);
int wire_error(buf *b, const char *code, const char *message, int64_t retry_after_ms);

#endif
