/* Parsing and validation of a flow's JSON (flow.h) into the read-only graph of
 * flow_int.h. Every error names the node and the problem so that an HR admin
 * editing a flow can fix it. It runs nothing: flow.c does. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_int.h"
#include "core/embed.h"
#include "core/err.h"

static const char *const kind_names[] = {"say", "ask", "branch", "branch_sentiment", "end"};
static const char *const op_names[] = {"==", "!=", "<", "<=", ">", ">="};
const char *const flow__input_names[] = {"scale", "choice", "text"};

static int name_cmp(const void *a, const void *b) {
    return strcmp(((const flow_node *)a)->name, ((const flow_node *)b)->name);
}

int flow__find_node(const flow *f, const char *name) {
    flow_node key = {.name = name};
    const flow_node *n = bsearch(&key, f->nodes, f->n, sizeof f->nodes[0], name_cmp);
    return n ? (int)(n - f->nodes) : -1;
}

int flow__option_index(const flow_node *ask, const char *s) {
    for (size_t i = 0; i < json_array_size(ask->options); i++)
        if (strcmp(json_string_value(json_array_get(ask->options, i)), s) == 0) return (int)i;
    return -1;
}

static int lookup_name(const char *s, const char *const *names, int count) {
    for (int i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

typedef struct parser {
    flow *f;
    char *err;
    size_t errlen;
} parser;

/* Fails when OBJ has a field not in the NULL-terminated ALLOWED list. */
static int check_fields(parser *p, const char *node, const char *what, json_t *obj, const char *const *allowed) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, k) != 0) a++;
        if (!*a) return hark_invalid(p->err, p->errlen, "node '%s': unknown field '%s' in %s", node, k, what);
    }
    return HARK_OK;
}

static int get_text(parser *p, const flow_node *n, json_t *obj, const char *field, int required, const char **out) {
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v && !required) return HARK_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return hark_invalid(p->err, p->errlen, "node '%s': \"%s\" must be a non-empty string", n->name, field);
    if (json_string_length(v) > FLOW_TEXT_MAX)
        return hark_invalid(p->err, p->errlen, "node '%s': \"%s\" is longer than %d bytes", n->name, field,
                            FLOW_TEXT_MAX);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return hark_invalid(p->err, p->errlen, "node '%s': \"%s\" holds a NUL character", n->name, field);
    *out = json_string_value(v);
    return HARK_OK;
}

static int get_ref(parser *p, const flow_node *n, json_t *obj, const char *field, int *out) {
    json_t *v = json_object_get(obj, field);
    if (!v) return hark_invalid(p->err, p->errlen, "node '%s': missing \"%s\"", n->name, field);
    if (!json_is_string(v))
        return hark_invalid(p->err, p->errlen, "node '%s': \"%s\" must be a node name", n->name, field);
    *out = flow__find_node(p->f, json_string_value(v));
    if (*out < 0)
        return hark_invalid(p->err, p->errlen, "node '%s': \"%s\" refers to unknown node '%s'", n->name, field,
                            json_string_value(v));
    return HARK_OK;
}

static int parse_scale(parser *p, flow_node *n, json_t *in) {
    static const char *const fields[] = {"kind", "min", "max", "labels", NULL};
    if (check_fields(p, n->name, "input", in, fields)) return HARK_EINVAL;
    json_t *min = json_object_get(in, "min"), *max = json_object_get(in, "max");
    if (!json_is_integer(min) || !json_is_integer(max))
        return hark_invalid(p->err, p->errlen, "node '%s': scale input needs integer \"min\" and \"max\"", n->name);
    json_int_t lo = json_integer_value(min), hi = json_integer_value(max);
    if (lo >= hi) return hark_invalid(p->err, p->errlen, "node '%s': scale input needs min < max", n->name);
    if (lo < -FLOW_SCALE_LIMIT || hi > FLOW_SCALE_LIMIT || hi - lo > FLOW_SCALE_SPAN)
        return hark_invalid(p->err, p->errlen,
                            "node '%s': scale input must lie within -%d..%d and span at most %d steps", n->name,
                            FLOW_SCALE_LIMIT, FLOW_SCALE_LIMIT, FLOW_SCALE_SPAN);
    n->min = (long)lo;
    n->max = (long)hi;
    json_t *labels = json_object_get(in, "labels");
    if (!labels) return HARK_OK;
    size_t count = json_is_array(labels) ? json_array_size(labels) : 0;
    if (count != 2 && count != (size_t)(hi - lo + 1))
        return hark_invalid(p->err, p->errlen,
                            "node '%s': scale \"labels\" must list 2 labels (the two ends) or %ld (one per value)",
                            n->name, (long)(hi - lo + 1));
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) {
        if (!json_is_string(l) || json_string_length(l) == 0 || json_string_length(l) > FLOW_OPTION_MAX)
            return hark_invalid(p->err, p->errlen, "node '%s': scale label %zu must be a string of 1 to %d bytes",
                                n->name, i + 1, FLOW_OPTION_MAX);
    }
    return HARK_OK;
}

static int parse_choice(parser *p, flow_node *n, json_t *in) {
    static const char *const fields[] = {"kind", "options", NULL};
    if (check_fields(p, n->name, "input", in, fields)) return HARK_EINVAL;
    json_t *opts = json_object_get(in, "options");
    size_t count = json_is_array(opts) ? json_array_size(opts) : 0;
    if (count < 2 || count > FLOW_OPTIONS_MAX)
        return hark_invalid(p->err, p->errlen, "node '%s': choice input needs 2 to %d \"options\"", n->name,
                            FLOW_OPTIONS_MAX);
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_array_get(opts, i);
        if (!json_is_string(o) || json_string_length(o) == 0 || json_string_length(o) > FLOW_OPTION_MAX ||
            strlen(json_string_value(o)) != json_string_length(o))
            return hark_invalid(p->err, p->errlen, "node '%s': option %zu must be a string of 1 to %d bytes", n->name,
                                i + 1, FLOW_OPTION_MAX);
        for (size_t j = 0; j < i; j++)
            if (json_equal(o, json_array_get(opts, j)))
                return hark_invalid(p->err, p->errlen, "node '%s': option '%s' is listed twice", n->name,
                                    json_string_value(o));
    }
    n->options = opts;
    return HARK_OK;
}

static int parse_text_input(parser *p, flow_node *n, json_t *in) {
    static const char *const fields[] = {"kind", "optional", NULL};
    if (check_fields(p, n->name, "input", in, fields)) return HARK_EINVAL;
    json_t *opt = json_object_get(in, "optional");
    if (opt && !json_is_boolean(opt))
        return hark_invalid(p->err, p->errlen, "node '%s': text input \"optional\" must be true or false", n->name);
    n->optional = json_is_true(opt);
    return HARK_OK;
}

/* Builds the protocol's INPUT object for an ask node. */
static int build_input_json(parser *p, flow_node *n, json_t *in) {
    json_t *o = NULL;
    if (n->input == INPUT_SCALE) {
        json_t *labels = json_object_get(in, "labels");
        labels = labels ? json_incref(labels) : json_array();
        o = json_pack("{s:s, s:I, s:I, s:o}", "kind", "scale", "min", (json_int_t)n->min, "max", (json_int_t)n->max,
                      "labels", labels);
    } else if (n->input == INPUT_CHOICE) {
        o = json_pack("{s:s, s:O}", "kind", "choice", "options", n->options);
    } else {
        o = json_pack("{s:s, s:b}", "kind", "text", "optional", n->optional);
    }
    if (o) n->input_json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!n->input_json) return hark_invalid(p->err, p->errlen, "out of memory");
    return HARK_OK;
}

static int parse_ask(parser *p, flow_node *n, json_t *obj) {
    static const char *const fields[] = {"kind", "key", "text", "input", "next", NULL};
    if (check_fields(p, n->name, "the node", obj, fields)) return HARK_EINVAL;
    json_t *key = json_object_get(obj, "key");
    if (!json_is_string(key) || json_string_length(key) == 0 || json_string_length(key) >= FLOW_NODE_MAX)
        return hark_invalid(p->err, p->errlen, "node '%s': \"key\" must be a string of 1 to %d bytes", n->name,
                            FLOW_NODE_MAX - 1);
    n->key = json_string_value(key);
    if (n->key[0] == '_')
        return hark_invalid(p->err, p->errlen, "node '%s': keys starting with '_' are reserved", n->name);
    if (get_text(p, n, obj, "text", 1, &n->text) || get_ref(p, n, obj, "next", &n->next)) return HARK_EINVAL;
    json_t *in = json_object_get(obj, "input");
    json_t *ik = json_object_get(in, "kind");
    if (!json_is_object(in) || !json_is_string(ik))
        return hark_invalid(p->err, p->errlen, "node '%s': ask needs an \"input\" object with a \"kind\"", n->name);
    n->input = lookup_name(json_string_value(ik), flow__input_names, 3);
    int rc;
    switch (n->input) {
    case INPUT_SCALE: rc = parse_scale(p, n, in); break;
    case INPUT_CHOICE: rc = parse_choice(p, n, in); break;
    case INPUT_TEXT: rc = parse_text_input(p, n, in); break;
    default:
        return hark_invalid(p->err, p->errlen, "node '%s': unknown input kind '%s' (scale, choice or text)", n->name,
                            json_string_value(ik));
    }
    return rc ? rc : build_input_json(p, n, in);
}

static int parse_cases(parser *p, flow_node *n, json_t *obj) {
    json_t *cases = json_object_get(obj, "cases");
    if (!json_is_array(cases) || json_array_size(cases) == 0 || json_array_size(cases) > FLOW_CASES_MAX)
        return hark_invalid(p->err, p->errlen, "node '%s': \"cases\" must be an array of 1 to %d cases", n->name,
                            FLOW_CASES_MAX);
    n->ncases = json_array_size(cases);
    n->cases = calloc(n->ncases, sizeof n->cases[0]);
    if (!n->cases) return hark_invalid(p->err, p->errlen, "out of memory");
    static const char *const fields[] = {"op", "value", "next", NULL};
    for (size_t i = 0; i < n->ncases; i++) {
        json_t *c = json_array_get(cases, i);
        flow_case *fc = &n->cases[i];
        char what[32];
        snprintf(what, sizeof what, "case %zu", i + 1);
        if (!json_is_object(c))
            return hark_invalid(p->err, p->errlen, "node '%s': %s must be an object", n->name, what);
        if (check_fields(p, n->name, what, c, fields)) return HARK_EINVAL;
        json_t *op = json_object_get(c, "op"), *val = json_object_get(c, "value");
        fc->op = json_is_string(op) ? lookup_name(json_string_value(op), op_names, 6) : -1;
        if (fc->op < 0)
            return hark_invalid(p->err, p->errlen, "node '%s': %s needs an \"op\" (== != < <= > >=)", n->name, what);
        if (json_is_number(val)) {
            fc->num = json_number_value(val);
        } else if (json_is_string(val)) {
            fc->is_str = 1;
            fc->str = json_string_value(val);
        } else {
            return hark_invalid(p->err, p->errlen, "node '%s': %s \"value\" must be a number or a string", n->name,
                                what);
        }
        if (fc->is_str && fc->op != OP_EQ && fc->op != OP_NE)
            return hark_invalid(p->err, p->errlen, "node '%s': %s compares a string with '%s'; use == or !=", n->name,
                                what, op_names[fc->op]);
        json_t *next = json_object_get(c, "next");
        if (!json_is_string(next))
            return hark_invalid(p->err, p->errlen, "node '%s': %s needs a \"next\" node name", n->name, what);
        fc->next = flow__find_node(p->f, json_string_value(next));
        if (fc->next < 0)
            return hark_invalid(p->err, p->errlen, "node '%s': %s \"next\" refers to unknown node '%s'", n->name, what,
                                json_string_value(next));
    }
    return get_ref(p, n, obj, "default", &n->deflt);
}

static int parse_node(parser *p, flow_node *n, json_t *obj) {
    if (!json_is_object(obj)) return hark_invalid(p->err, p->errlen, "node '%s': must be an object", n->name);
    json_t *kind = json_object_get(obj, "kind");
    if (!json_is_string(kind)) return hark_invalid(p->err, p->errlen, "node '%s': missing \"kind\"", n->name);
    n->kind = lookup_name(json_string_value(kind), kind_names, 5);
    static const char *const say_fields[] = {"kind", "text", "next", NULL};
    static const char *const branch_fields[] = {"kind", "key", "cases", "default", NULL};
    static const char *const bs_fields[] = {"kind", "cases", "default", NULL};
    static const char *const end_fields[] = {"kind", "text", NULL};
    switch (n->kind) {
    case NODE_SAY:
        if (check_fields(p, n->name, "the node", obj, say_fields)) return HARK_EINVAL;
        if (get_text(p, n, obj, "text", 1, &n->text)) return HARK_EINVAL;
        return get_ref(p, n, obj, "next", &n->next);
    case NODE_ASK: return parse_ask(p, n, obj);
    case NODE_BRANCH: {
        if (check_fields(p, n->name, "the node", obj, branch_fields)) return HARK_EINVAL;
        json_t *key = json_object_get(obj, "key");
        if (!json_is_string(key) || json_string_length(key) == 0)
            return hark_invalid(p->err, p->errlen, "node '%s': branch needs a \"key\"", n->name);
        n->key = json_string_value(key);
        return parse_cases(p, n, obj);
    }
    case NODE_BRANCH_SENTIMENT:
        if (check_fields(p, n->name, "the node", obj, bs_fields)) return HARK_EINVAL;
        if (parse_cases(p, n, obj)) return HARK_EINVAL;
        for (size_t i = 0; i < n->ncases; i++)
            if (n->cases[i].is_str)
                return hark_invalid(p->err, p->errlen, "node '%s': case %zu \"value\" must be a number", n->name,
                                    i + 1);
        return HARK_OK;
    case NODE_END:
        if (check_fields(p, n->name, "the node", obj, end_fields)) return HARK_EINVAL;
        return get_text(p, n, obj, "text", 0, &n->text);
    default:
        return hark_invalid(p->err, p->errlen,
                            "node '%s': unknown kind '%s' (say, ask, branch, branch_sentiment or end)", n->name,
                            json_string_value(kind));
    }
}

/* The ask node that defines KEY, or NULL. */
static const flow_node *ask_for_key(const flow *f, const char *key) {
    for (size_t i = 0; i < f->n; i++)
        if (f->nodes[i].kind == NODE_ASK && strcmp(f->nodes[i].key, key) == 0) return &f->nodes[i];
    return NULL;
}

/* Cross-node checks: one input kind per key, and branches that compare a key
 * with values its question can produce. */
static int check_keys(parser *p) {
    const flow *f = p->f;
    for (size_t i = 0; i < f->n; i++) {
        const flow_node *n = &f->nodes[i];
        if (n->kind == NODE_ASK) {
            const flow_node *first = ask_for_key(f, n->key);
            if (first->input != n->input)
                return hark_invalid(p->err, p->errlen,
                                    "node '%s': key '%s' is already used by node '%s' for a %s input", n->name, n->key,
                                    first->name, flow__input_names[first->input]);
        }
        if (n->kind != NODE_BRANCH) continue;
        int sentiment = strcmp(n->key, "_sentiment") == 0;
        const flow_node *ask = sentiment ? NULL : ask_for_key(f, n->key);
        if (!sentiment && !ask)
            return hark_invalid(p->err, p->errlen, "node '%s': no ask node has the key '%s'", n->name, n->key);
        int numeric = sentiment || ask->input == INPUT_SCALE;
        for (size_t c = 0; c < n->ncases; c++) {
            const flow_case *fc = &n->cases[c];
            if (numeric && fc->is_str)
                return hark_invalid(p->err, p->errlen, "node '%s': case %zu compares the number '%s' with a string",
                                    n->name, c + 1, n->key);
            if (!numeric && !fc->is_str)
                return hark_invalid(p->err, p->errlen, "node '%s': case %zu compares the %s answer '%s' with a number",
                                    n->name, c + 1, flow__input_names[ask->input], n->key);
            if (!numeric && ask->input == INPUT_CHOICE && flow__option_index(ask, fc->str) < 0)
                return hark_invalid(p->err, p->errlen, "node '%s': case %zu value '%s' is not an option of node '%s'",
                                    n->name, c + 1, fc->str, ask->name);
        }
    }
    return HARK_OK;
}

static int parse_top(parser *p, json_t *root) {
    flow *f = p->f;
    static const char *const fields[] = {"name", "version", "title", "description", "start", "nodes", NULL};
    if (!json_is_object(root)) return hark_invalid(p->err, p->errlen, "a flow must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        const char *const *a = fields;
        while (*a && strcmp(*a, k) != 0) a++;
        if (!*a) return hark_invalid(p->err, p->errlen, "unknown top-level field '%s'", k);
    }
    json_t *name = json_object_get(root, "name"), *version = json_object_get(root, "version");
    json_t *title = json_object_get(root, "title"), *nodes = json_object_get(root, "nodes");
    json_t *start = json_object_get(root, "start");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= FLOW_NODE_MAX)
        return hark_invalid(p->err, p->errlen, "\"name\" must be a string of 1 to %d bytes", FLOW_NODE_MAX - 1);
    if (!json_is_integer(version) || json_integer_value(version) < 1 || json_integer_value(version) > 1000000)
        return hark_invalid(p->err, p->errlen, "\"version\" must be a positive integer");
    if (!json_is_string(title) || json_string_length(title) == 0 || json_string_length(title) > FLOW_TEXT_MAX)
        return hark_invalid(p->err, p->errlen, "\"title\" must be a non-empty string");
    if (!json_is_object(nodes) || json_object_size(nodes) == 0 || json_object_size(nodes) > FLOW_NODES_MAX)
        return hark_invalid(p->err, p->errlen, "\"nodes\" must be an object of 1 to %d nodes", FLOW_NODES_MAX);
    f->name = json_string_value(name);
    f->version = (int)json_integer_value(version);
    f->title = json_string_value(title);

    f->nodes = calloc(json_object_size(nodes), sizeof f->nodes[0]);
    if (!f->nodes) return hark_invalid(p->err, p->errlen, "out of memory");
    json_object_foreach(nodes, k, v) {
        size_t len = strlen(k);
        if (len == 0 || len >= FLOW_NODE_MAX) {
            /* Name the node by its start, cut on a character boundary. */
            int shown = len > 24 ? 24 : (int)len;
            while (shown > 0 && ((unsigned char)k[shown] & 0xC0) == 0x80) shown--;
            return hark_invalid(p->err, p->errlen, "node '%.*s%s': node names must be 1 to %d bytes long", shown, k,
                                (size_t)shown < len ? "..." : "", FLOW_NODE_MAX - 1);
        }
        f->nodes[f->n].name = k;
        f->nodes[f->n].next = f->nodes[f->n].deflt = -1;
        f->n++;
    }
    qsort(f->nodes, f->n, sizeof f->nodes[0], name_cmp);
    for (size_t i = 0; i < f->n; i++)
        if (parse_node(p, &f->nodes[i], json_object_get(nodes, f->nodes[i].name))) return HARK_EINVAL;
    if (!json_is_string(start)) return hark_invalid(p->err, p->errlen, "missing \"start\"");
    f->start = flow__find_node(f, json_string_value(start));
    if (f->start < 0)
        return hark_invalid(p->err, p->errlen, "\"start\" refers to unknown node '%s'", json_string_value(start));
    return check_keys(p);
}

flow *flow_parse(const char *json, size_t len, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (len > FLOW_JSON_MAX) {
        hark_invalid(err, errlen, "flow is larger than %d bytes", FLOW_JSON_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        hark_invalid(err, errlen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
        return NULL;
    }
    flow *f = calloc(1, sizeof *f);
    if (!f) {
        json_decref(root);
        hark_invalid(err, errlen, "out of memory");
        return NULL;
    }
    f->root = root;
    parser p = {f, err, errlen};
    if (parse_top(&p, root)) goto fail;
    return f;
fail:
    flow_free(f);
    return NULL;
}

flow *flow_parse_default(const char *name, char *err, size_t errlen) {
    char path[FLOW_NODE_MAX + 8];
    int n = snprintf(path, sizeof path, "/%s.json", name);
    const struct embed_file *file = n > 0 && (size_t)n < sizeof path ? embed_find(hark_flow_files, path) : NULL;
    if (!file) {
        hark_invalid(err, errlen, "no default flow named '%s'", name);
        return NULL;
    }
    return flow_parse((const char *)file->data, file->len, err, errlen);
}

void flow_free(flow *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->nodes[i].input_json);
        free(f->nodes[i].cases);
    }
    free(f->nodes);
    json_decref(f->root);
    free(f);
}

const char *flow_name(const flow *f) {
    return f->name;
}
int flow_version(const flow *f) {
    return f->version;
}
const char *flow_title(const flow *f) {
    return f->title;
}
