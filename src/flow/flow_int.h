/* Internals of the flow engine shared by flow_parse.c (parsing and
 * validation) and flow.c (running a conversation): the parsed graph. Not for
 * use outside src/flow/flow*.c. */
#ifndef HARK_FLOW_FLOW_INT_H
#define HARK_FLOW_FLOW_INT_H

#include <jansson.h>
#include <stddef.h>

#include "flow/flow.h"

enum node_kind { NODE_SAY, NODE_ASK, NODE_BRANCH, NODE_BRANCH_SENTIMENT, NODE_END };
enum input_kind { INPUT_SCALE, INPUT_CHOICE, INPUT_TEXT };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* Names indexed by enum input_kind. */
extern const char *const flow__input_names[];

typedef struct flow_case {
    int op;
    int is_str;
    double num;
    const char *str; /* borrowed from the flow's JSON */
    int next;
} flow_case;

typedef struct flow_node {
    const char *name; /* borrowed from the flow's JSON, like every string below */
    int kind;
    const char *text; /* NULL for branches and for an end without text */
    const char *key;  /* ask and branch */
    int next;         /* say and ask */
    int input;        /* ask: enum input_kind */
    long min, max;    /* scale */
    int optional;     /* text */
    json_t *options;  /* choice: array of strings, borrowed */
    char *input_json; /* ask: the protocol's INPUT object, owned */
    flow_case *cases; /* branch, branch_sentiment: owned */
    size_t ncases;
    int deflt;
} flow_node;

struct flow {
    json_t *root; /* owns every borrowed string */
    const char *name, *title;
    int version;
    int start;
    flow_node *nodes; /* sorted by name */
    size_t n;
};

/* The index of the node called NAME, or -1. */
int flow__find_node(const flow *f, const char *name);
/* The index of option S of the choice node ASK, or -1. */
int flow__option_index(const flow_node *ask, const char *s);

#endif
