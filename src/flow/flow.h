/* The flow engine: runs a versioned JSON conversation flow (the JSON files in data/flows)
 * one step at a time. A flow is parsed once and shared read-only by every
 * conversation; each conversation carries a small flow_state that is saved in
 * the store after each step. The engine does no I/O and knows nothing of the
 * network or the database: a part of its own (core and jansson only), so
 * that chat runs flows and web validates them without either calling the
 * other.
 *
 * Flow JSON (documented in docs/flows.md):
 *   {"name":"pulse","version":1,"title":"Monthly pulse","start":"hello",
 *    "nodes":{
 *      "hello":{"kind":"say","text":"Hi {first_name}!","next":"mood"},
 *      "mood":{"kind":"ask","key":"mood","text":"How was your month at {company}?",
 *              "input":{"kind":"scale","min":1,"max":5,"labels":["awful","great"]},"next":"b"},
 *      "b":{"kind":"branch","key":"mood","cases":[{"op":"<=","value":2,"next":"low"}],"default":"ok"},
 *      "why":{"kind":"ask","key":"why","text":"Tell me more?","input":{"kind":"text","optional":false},"next":"s"},
 *      "s":{"kind":"branch_sentiment","cases":[{"op":"<","value":-0.05,"next":"sorry"}],"default":"end"},
 *      "end":{"kind":"end","text":"Thank you!"}}}
 * Node kinds: say, ask (input kind scale / choice / text), branch (on the value
 * of an earlier answer by key: ops == != < <= > >= ; "value" a number or, for
 * choice and text, a string), branch_sentiment (on the compound score of the
 * last answer), end (optional closing text). Texts may hold {first_name} and
 * {company}. */
#ifndef HARK_FLOW_FLOW_H
#define HARK_FLOW_FLOW_H

#include <stddef.h>

typedef struct flow flow;

/* Bounds checked by flow_parse and the engine. */
#define FLOW_JSON_MAX     (256 * 1024) /* a flow document */
#define FLOW_NODES_MAX    200          /* nodes in a flow */
#define FLOW_TEXT_MAX     2000         /* bytes in a node text or the title */
#define FLOW_OPTIONS_MAX  20           /* options of a choice */
#define FLOW_OPTION_MAX   200          /* bytes in an option or a scale label */
#define FLOW_CASES_MAX    20           /* cases of a branch */
#define FLOW_SCALE_LIMIT  1000         /* scale min and max lie within -1000..1000 */
#define FLOW_SCALE_SPAN   100          /* max - min */
#define FLOW_CTX_MAX      128          /* bytes of first_name or company filled into a text */
#define FLOW_MSG_MAX      (64 * 1024)  /* a rendered bot text (never reached within the bounds above) */
#define FLOW_TEXT_VAR_MAX 1024         /* bytes of a text answer kept in vars (a prefix) */

/* Parses and validates a flow. Returns a new flow owned by the caller (flow_free)
 * or NULL with a message in ERR that names the node and the problem (unknown
 * kind, missing next, dangling reference, bad input spec, ...). A flow is
 * read-only after parsing and may be shared by threads. */
flow *flow_parse(const char *json, size_t len, char *err, size_t errlen);
/* Parses the compiled-in default flow NAME ("pulse" for data/flows/pulse.json);
 * NULL with a message in ERR when there is none or it does not parse. */
flow *flow_parse_default(const char *name, char *err, size_t errlen);
void flow_free(flow *f); /* NULL is fine */
const char *flow_name(const flow *f);
int flow_version(const flow *f);
const char *flow_title(const flow *f);

/* The state of one conversation in a flow. node is the ask node waiting for an
 * answer ("" before flow_start); vars is a JSON object text holding every
 * answer by key and "_sentiment" (the last answer's compound). */
#define FLOW_NODE_MAX 64
#define FLOW_VARS_MAX 8192
typedef struct flow_state {
    char node[FLOW_NODE_MAX];
    char vars[FLOW_VARS_MAX]; /* "{}" at start */
    int done;                 /* 1 once an end node was reached */
} flow_state;

void flow_state_init(flow_state *st);

typedef struct flow_ctx {
    const char *first_name;
    const char *company;
} flow_ctx;

/* One bot message produced by a step. input_json is NULL when no answer is
 * expected, else the protocol's INPUT object, e.g.
 * {"kind":"scale","min":1,"max":5,"labels":["awful","great"]}. */
typedef struct flow_msg {
    char *text;       /* owned by the flow_out */
    char *input_json; /* owned by the flow_out, or NULL */
} flow_msg;

#define FLOW_OUT_MAX 16 /* a step emits at most this many messages */
typedef struct flow_out {
    flow_msg msgs[FLOW_OUT_MAX];
    int n;
} flow_out;

void flow_out_free(flow_out *out);

/* A structured answer, for the answers table. */
typedef struct flow_answer_rec {
    char key[FLOW_NODE_MAX];
    const char *kind; /* "scale", "choice" or "text" (static string) */
    double number;    /* scale value; 0 otherwise */
    int has_number;
} flow_answer_rec;

/* Runs from the start node until an ask (state waits on it) or an end (done).
 * OUT is overwritten (free an earlier result with flow_out_free first) and is
 * the caller's to flow_out_free. Returns 0, or HARK_EINVAL if the flow loops
 * without reaching an ask or end (it may pass each node at most once per
 * step), emits more than FLOW_OUT_MAX messages in a step, or ST's vars are not
 * a JSON object; HARK_ENOMEM. On failure ST is unchanged and OUT is empty. */
int flow_start(const flow *f, flow_state *st, const flow_ctx *ctx, flow_out *out);

/* Answers the open question with TEXT (the employee's text or the chosen
 * value) whose sentiment compound is SENTIMENT, then runs to the next ask or
 * end. Returns 0; HARK_EINVAL with a user-facing reason in ERR when the answer
 * does not fit the question (not one of the offered values, out of range,
 * blank required text) or when no question is open; the state is unchanged
 * then. ANS (may be NULL) receives the structured answer. A scale answer is
 * the decimal integer ("4"), a choice answer one option exactly. Vars keep
 * scale answers as numbers, the others as strings (text cut to
 * FLOW_TEXT_VAR_MAX bytes), and SENTIMENT as "_sentiment". Also fails with
 * HARK_ETOOBIG when vars would outgrow FLOW_VARS_MAX, HARK_ENOMEM, or
 * HARK_EINVAL as flow_start does; OUT is as for flow_start. */
int flow_answer(const flow *f, flow_state *st, const char *text, double sentiment, const flow_ctx *ctx, flow_out *out,
                flow_answer_rec *ans, char *err, size_t errlen);

/* The INPUT JSON of the open question (NULL if none); owned by the flow. */
const char *flow_open_input(const flow *f, const flow_state *st);

#endif
