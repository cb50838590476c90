/* chat: the conversation service. Registers GET /c/TOKEN (the chat page) and
 * the /chat/ws WebSocket endpoint with net, speaks chat protocol v1
 * (docs/protocol.md), runs each conversation's flow, scores every answer with
 * nlp and stores it through store before acknowledging it. It never calls the
 * outreach or web modules; it meets them only in the database. */
#ifndef HARK_CHAT_H
#define HARK_CHAT_H

#include <stddef.h>
#include <uv.h>

#include "core/token.h"
#include "net/net.h"
#include "store/store.h"

typedef struct chat_module chat_module;

typedef struct chat_opts {
    unsigned char key[TOKEN_KEY_BYTES]; /* instance secret for invite tokens */
    size_t max_text;                    /* longest answer, bytes (too_large past it) */
    int persist;                        /* 0: acknowledge without storing (benchmark ceiling only) */
    uint32_t hello_timeout_ms;          /* first frame deadline; 10000 */
    const char *support_message;        /* bot reply after a severity-3 self-harm answer; NULL or "" = none */
} chat_opts;

/* Creates the module and registers its routes on NET. Returns NULL on
 * allocation failure. The store must be started (store_start) on LOOP. */
chat_module *chat_new(uv_loop_t *loop, net_server *net, store *st, const chat_opts *opts);

/* Stops the module's timers; call once net has shut down, while the loop runs. */
void chat_stop(chat_module *m);

/* Frees the module; only after the loop has ended (every job has completed). */
void chat_free(chat_module *m);

/* Room for the flags_json of STORE_FLAGS_MAX flags. */
#define CHAT_FLAGS_JSON_MAX (STORE_FLAGS_MAX * 80 + 2)

/* Detects the red flags of the answer TEXT (LEN bytes) and writes them to OUT
 * (at least STORE_FLAGS_MAX entries) and, as a JSON array, to JSON (JSONCAP
 * bytes, CHAT_FLAGS_JSON_MAX suffices; "" when there are none). Returns how
 * many. Pure: safe on any thread. */
size_t chat_flags(const char *text, size_t len, store_flag *out, char *json, size_t jsoncap);

#endif
