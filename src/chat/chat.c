/* The chat service (chat.h): protocol v1 on /chat/ws and the chat page on
 * /c/TOKEN. This file holds the module and the frames from clients; opening a
 * conversation is in hello.c, answers in say.c, the objects in session.c,
 * frame building in wire.c. Everything runs on the loop thread; every
 * database access is a store job whose completion comes back to the loop.
 * Resume works from the database alone, so a conversation can continue on
 * any node. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/clock.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"

#define CHAT_PAGE_CSP                                                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "              \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* ---- frames from the client ---- */

static void hello_list_remove(session *s) {
    if (s->prev)
        s->prev->next = s->next;
    else if (s->m->hello_list == s)
        s->m->hello_list = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void on_hello(session *s, json_t *msg) {
    chat_module *m = s->m;
    json_t *tok = json_object_get(msg, "token"), *ls = json_object_get(msg, "last_seq");
    if (s->state != SS_HELLO) {
        chat__fail(s, "bad_request", "hello was already received");
        return;
    }
    if (!json_is_string(tok)) {
        chat__fail(s, "bad_request", "hello needs a token");
        return;
    }
    if (ls && !json_is_null(ls) && (!json_is_integer(ls) || json_integer_value(ls) < 0)) {
        chat__fail(s, "bad_request", "last_seq must be a non-negative integer");
        return;
    }
    s->client_last_seq = json_is_integer(ls) ? json_integer_value(ls) : 0;
    hello_list_remove(s);
    int rc = token_parse(m->o.key, json_string_value(tok), json_string_length(tok), hark_now_ms(), &s->cl);
    if (rc == HARK_EEXPIRED) {
        chat__fail(s, "expired", "this invitation has expired");
        return;
    }
    if (rc) {
        chat__fail(s, "bad_token", "this chat link is not valid");
        return;
    }
    chat__start_hello_load(s);
}

static void on_say(session *s, json_t *msg) {
    json_t *id = json_object_get(msg, "id"), *text = json_object_get(msg, "text");
    if (s->state == SS_HELLO) {
        chat__fail(s, "bad_request", "send hello first");
        return;
    }
    if (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 64) {
        chat__fail(s, "bad_request", "say needs an id of 1 to 64 bytes");
        return;
    }
    if (!json_is_string(text)) {
        chat__fail(s, "bad_request", "say needs a text");
        return;
    }
    size_t len = json_string_length(text);
    if (len > s->m->o.max_text) {
        chat__fail(s, "too_large", "the answer is too long");
        return;
    }
    if (s->state != SS_OPEN || s->c->busy || s->qlen > 0)
        chat__enqueue_say(s, json_string_value(id), json_string_value(text), len);
    else
        chat__start_say(s, json_string_value(id), json_string_value(text), len);
}

static void on_text(ws_conn *ws, const char *data, size_t len, void *ud) {
    session *s = ws_get_data(ws);
    json_error_t jerr;
    (void)ud;
    if (!s || s->state == SS_CLOSED) return;
    if (s->c && s->c->sess != s) return; /* replaced; its close is under way */
    json_t *msg = json_loadb(data, len, 0, &jerr);
    const char *t = msg ? json_string_value(json_object_get(msg, "t")) : NULL;
    if (!msg || !json_is_object(msg))
        chat__fail(s, "bad_request", "frames must be JSON objects");
    else if (!t)
        chat__fail(s, "bad_request", "the message has no type (t)");
    else if (!strcmp(t, "hello"))
        on_hello(s, msg);
    else if (!strcmp(t, "say"))
        on_say(s, msg);
    else if (!strcmp(t, "ping")) {
        if (s->state == SS_HELLO)
            chat__fail(s, "bad_request", "send hello first");
        else
            ws_send_text(ws, "{\"t\":\"pong\"}", 12);
    } else {
        chat__fail(s, "bad_request", "unknown message type");
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
            chat__conv_unlink(s->c);
        }
        chat__conv_unref(s->c);
        s->c = NULL;
    }
    chat__session_unref(s);
}

static void sweep(uv_timer_t *t) {
    chat_module *m = t->data;
    int64_t now = (int64_t)uv_now(m->loop);
    session *s = m->hello_list;
    while (s) {
        session *next = s->next;
        if (now - s->opened_ms >= m->o.hello_timeout_ms) {
            hello_list_remove(s);
            chat__fail(s, "bad_request", "no hello within the time limit");
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
