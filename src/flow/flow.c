/* Running a conversation through a parsed flow (flow.h): checks each answer
 * against the open question, keeps answers in the state's vars for branching,
 * and fills {first_name} and {company} into bot texts. It does not store
 * anything, score sentiment or talk to clients: the chat session does that
 * around it. Parsing lives in flow_parse.c. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"

void flow_state_init(flow_state *st) {
    st->node[0] = '\0';
    memcpy(st->vars, "{}", 3);
    st->done = 0;
}

void flow_out_free(flow_out *out) {
    for (int i = 0; i < out->n; i++) {
        free(out->msgs[i].text);
        free(out->msgs[i].input_json);
    }
    out->n = 0;
}

/* A context value, or FALLBACK when it is missing or blank. *LEN is its length,
 * capped at FLOW_CTX_MAX bytes on a character boundary. */
static const char *ctx_value(const char *v, const char *fallback, size_t *len) {
    int blank = 1;
    for (const char *s = v; s && *s && blank; s++) blank = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';
    if (blank) v = fallback;
    *len = strlen(v);
    if (*len > FLOW_CTX_MAX) {
        *len = FLOW_CTX_MAX;
        while (*len > 0 && ((unsigned char)v[*len] & 0xC0) == 0x80) (*len)--;
    }
    return v;
}

/* Fills {first_name} and {company} into TEXT; other braces stay as written. */
static int render(const char *text, const flow_ctx *ctx, char **out) {
    size_t first_len, company_len;
    const char *first = ctx_value(ctx ? ctx->first_name : NULL, "there", &first_len);
    const char *company = ctx_value(ctx ? ctx->company : NULL, "your company", &company_len);
    buf b;
    buf_init(&b, FLOW_MSG_MAX);
    int rc = buf_append(&b, "", 0);
    for (const char *s = text; rc == HARK_OK && *s;) {
        const char *brace = strchr(s, '{');
        if (!brace) {
            rc = buf_append(&b, s, strlen(s));
            break;
        }
        rc = buf_append(&b, s, (size_t)(brace - s));
        if (rc) break;
        if (strncmp(brace, "{first_name}", 12) == 0) {
            rc = buf_append(&b, first, first_len);
            s = brace + 12;
        } else if (strncmp(brace, "{company}", 9) == 0) {
            rc = buf_append(&b, company, company_len);
            s = brace + 9;
        } else {
            rc = buf_append(&b, "{", 1);
            s = brace + 1;
        }
    }
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_take(&b, NULL);
    return HARK_OK;
}

static int emit(flow_out *out, const char *text, const char *input_json, const flow_ctx *ctx) {
    if (out->n >= FLOW_OUT_MAX) return HARK_EINVAL;
    flow_msg *m = &out->msgs[out->n];
    char *t = NULL, *in = NULL;
    int rc = render(text, ctx, &t);
    if (rc) return rc;
    if (input_json) {
        in = strdup(input_json);
        if (!in) {
            free(t);
            return HARK_ENOMEM;
        }
    }
    m->text = t;
    m->input_json = in;
    out->n++;
    return HARK_OK;
}

static int case_matches(const flow_case *c, json_t *v) {
    if (!v) return 0;
    if (c->is_str) {
        if (!json_is_string(v)) return 0;
        int eq = strcmp(json_string_value(v), c->str) == 0;
        return c->op == OP_EQ ? eq : !eq;
    }
    if (!json_is_number(v)) return 0;
    double x = json_number_value(v);
    switch (c->op) {
    case OP_EQ: return x == c->num;
    case OP_NE: return x != c->num;
    case OP_LT: return x < c->num;
    case OP_LE: return x <= c->num;
    case OP_GT: return x > c->num;
    case OP_GE: return x >= c->num;
    }
    return 0;
}

static int pick(const flow_node *n, json_t *v) {
    for (size_t i = 0; i < n->ncases; i++)
        if (case_matches(&n->cases[i], v)) return n->cases[i].next;
    return n->deflt;
}

/* Walks from node IDX to the next ask (ST waits on it) or end (ST done),
 * emitting bot messages into OUT. VARS does not change during a walk, so a
 * node seen twice means the flow loops: the walk is bounded by the node count. */
static int walk(const flow *f, int idx, flow_state *st, json_t *vars, const flow_ctx *ctx, flow_out *out) {
    for (size_t steps = 0; steps <= f->n; steps++) {
        const flow_node *n = &f->nodes[idx];
        int rc = HARK_OK;
        switch (n->kind) {
        case NODE_SAY:
            rc = emit(out, n->text, NULL, ctx);
            idx = n->next;
            break;
        case NODE_ASK:
            rc = emit(out, n->text, n->input_json, ctx);
            if (rc) return rc;
            snprintf(st->node, sizeof st->node, "%s", n->name);
            st->done = 0;
            return HARK_OK;
        case NODE_BRANCH: idx = pick(n, json_object_get(vars, n->key)); break;
        case NODE_BRANCH_SENTIMENT: idx = pick(n, json_object_get(vars, "_sentiment")); break;
        case NODE_END:
            if (n->text) rc = emit(out, n->text, NULL, ctx);
            if (rc) return rc;
            st->node[0] = '\0';
            st->done = 1;
            return HARK_OK;
        }
        if (rc) return rc;
    }
    return HARK_EINVAL;
}

static json_t *load_vars(const flow_state *st) {
    json_t *vars = json_loadb(st->vars, strnlen(st->vars, sizeof st->vars), 0, NULL);
    if (vars && !json_is_object(vars)) {
        json_decref(vars);
        return NULL;
    }
    return vars;
}

int flow_start(const flow *f, flow_state *st, const flow_ctx *ctx, flow_out *out) {
    out->n = 0;
    json_t *vars = load_vars(st);
    if (!vars) return HARK_EINVAL;
    flow_state next = *st;
    int rc = walk(f, f->start, &next, vars, ctx, out);
    json_decref(vars);
    if (rc) {
        flow_out_free(out);
        return rc;
    }
    *st = next;
    return HARK_OK;
}

/* The index of the ask node ST waits on, or -1. ST may come from storage, so
 * its node name is not trusted to be terminated. */
static int open_ask(const flow *f, const flow_state *st) {
    if (st->done || !memchr(st->node, '\0', sizeof st->node) || !st->node[0]) return -1;
    int idx = flow__find_node(f, st->node);
    return idx >= 0 && f->nodes[idx].kind == NODE_ASK ? idx : -1;
}

static int is_blank(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, len - i, &cp);
        if (k == 0) return 0;
        int space = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) ||
                    cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
        if (!space) return 0;
        i += k;
    }
    return 1;
}

/* Parses a scale answer: a plain decimal integer, surrounding spaces allowed. */
static int parse_scale_answer(const char *s, long min, long max, long *out) {
    while (*s == ' ' || *s == '\t') s++;
    int neg = *s == '-';
    if (neg) s++;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 6 || (digits > 1 && s[0] == '0')) return HARK_EINVAL;
    for (const char *t = s + digits; *t; t++)
        if (*t != ' ' && *t != '\t') return HARK_EINVAL;
    long v = 0;
    for (size_t i = 0; i < digits; i++) v = v * 10 + (s[i] - '0');
    if (neg) v = -v;
    if ((neg && v == 0) || v < min || v > max) return HARK_EINVAL;
    *out = v;
    return HARK_OK;
}

/* Checks TEXT against the question N; on success *VALUE is the new var. */
static int check_answer(const flow_node *n, const char *text, json_t **value, char *err, size_t errlen) {
    *value = NULL;
    if (!utf8_valid((const unsigned char *)text, strlen(text)))
        return hark_invalid(err, errlen, "That answer is not valid text.");
    if (n->input == INPUT_SCALE) {
        long v;
        if (parse_scale_answer(text, n->min, n->max, &v))
            return hark_invalid(err, errlen, "Please choose a number from %ld to %ld.", n->min, n->max);
        *value = json_integer(v);
    } else if (n->input == INPUT_CHOICE) {
        if (flow__option_index(n, text) < 0) return hark_invalid(err, errlen, "Please choose one of the options.");
        *value = json_string(text);
    } else {
        if (!n->optional && is_blank(text)) return hark_invalid(err, errlen, "Please type an answer.");
        /* Vars keep a prefix of long text (cut on a character boundary): enough to
         * branch on, and the state stays small. The full text is the caller's. */
        size_t len = strlen(text);
        if (len > FLOW_TEXT_VAR_MAX) {
            len = FLOW_TEXT_VAR_MAX;
            while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
        }
        *value = json_stringn(text, len);
    }
    return *value ? HARK_OK : HARK_ENOMEM;
}

int flow_answer(const flow *f, flow_state *st, const char *text, double sentiment, const flow_ctx *ctx, flow_out *out,
                flow_answer_rec *ans, char *err, size_t errlen) {
    out->n = 0;
    if (err && errlen) err[0] = '\0';
    if (!text) text = "";
    int idx = open_ask(f, st);
    if (idx < 0) return hark_invalid(err, errlen, "There is no open question.");
    const flow_node *n = &f->nodes[idx];
    json_t *value = NULL;
    json_t *vars = NULL;
    flow_state next;
    int rc = check_answer(n, text, &value, err, errlen);
    if (rc) goto done;
    rc = HARK_EINVAL;
    vars = load_vars(st);
    if (!vars) {
        hark_invalid(err, errlen, "The conversation state is damaged.");
        goto done;
    }
    if (!isfinite(sentiment)) sentiment = 0;
    rc = HARK_ENOMEM;
    if (json_object_set(vars, n->key, value) || json_object_set_new(vars, "_sentiment", json_real(sentiment))) {
        hark_invalid(err, errlen, "Out of memory.");
        goto done;
    }
    next = *st;
    size_t need = json_dumpb(vars, next.vars, sizeof next.vars - 1, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (need == 0 || need > sizeof next.vars - 1) {
        rc = HARK_ETOOBIG;
        hark_invalid(err, errlen, "There are too many answers to keep.");
        goto done;
    }
    next.vars[need] = '\0';
    rc = walk(f, n->next, &next, vars, ctx, out);
    if (rc) {
        hark_invalid(err, errlen, "The conversation flow is broken.");
        goto done;
    }
    if (ans) {
        memset(ans, 0, sizeof *ans);
        snprintf(ans->key, sizeof ans->key, "%s", n->key);
        ans->kind = flow__input_names[n->input];
        if (n->input == INPUT_SCALE) {
            ans->number = json_number_value(value);
            ans->has_number = 1;
        }
    }
    *st = next;
    rc = HARK_OK;
done:
    if (rc) flow_out_free(out);
    json_decref(vars);
    json_decref(value);
    return rc;
}

const char *flow_open_input(const flow *f, const flow_state *st) {
    int idx = open_ask(f, st);
    return idx < 0 ? NULL : f->nodes[idx].input_json;
}
