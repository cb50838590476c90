/* Unit tests for the flow engine (flow/flow.h): every node kind and branch
 * op, answer checks that leave the state alone, templating, the validation
 * messages, loop bounds, and the default flows in data/flows (read from
 * $HARK_SOURCE_DIR, which ctest sets to the source root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "flow/flow.h"

static flow *parse_ok(const char *json) {
    char err[256];
    flow *f = flow_parse(json, strlen(json), err, sizeof err);
    if (!f) fail_msg("flow did not parse: %s", err);
    return f;
}

/* A started conversation: the state plus the last step's output. */
typedef struct conv {
    flow *f;
    flow_state st;
    flow_out out;
    flow_answer_rec ans;
    const flow_ctx *ctx; /* the same context for every step */
    char err[256];
} conv;

static conv *conv_start(const char *json, const flow_ctx *ctx) {
    conv *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->f = parse_ok(json);
    c->ctx = ctx;
    flow_state_init(&c->st);
    assert_int_equal(flow_start(c->f, &c->st, ctx, &c->out), HARK_OK);
    return c;
}

static int conv_say(conv *c, const char *text, double sentiment) {
    flow_out_free(&c->out);
    return flow_answer(c->f, &c->st, text, sentiment, c->ctx, &c->out, &c->ans, c->err, sizeof c->err);
}

static void conv_free(conv *c) {
    flow_out_free(&c->out);
    flow_free(c->f);
    free(c);
}

/* The value of KEY in the state's vars, as jansson sees it (caller decrefs). */
static json_t *var(const conv *c, const char *key) {
    json_t *vars = json_loads(c->st.vars, 0, NULL);
    assert_non_null(vars);
    json_t *v = json_incref(json_object_get(vars, key));
    json_decref(vars);
    return v;
}

static const char *every_kind =
    "{\"name\":\"t\",\"version\":3,\"title\":\"All kinds\",\"start\":\"hi\",\"nodes\":{"
    "\"hi\":{\"kind\":\"say\",\"text\":\"Hi {first_name}!\",\"next\":\"mood\"},"
    "\"mood\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"Mood at {company}?\","
    "  \"input\":{\"kind\":\"scale\",\"min\":1,\"max\":5,\"labels\":[\"awful\",\"great\"]},\"next\":\"b\"},"
    "\"b\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"<=\",\"value\":2,\"next\":\"low\"}],"
    "  \"default\":\"pick\"},"
    "\"low\":{\"kind\":\"say\",\"text\":\"Sorry to hear.\",\"next\":\"pick\"},"
    "\"pick\":{\"kind\":\"ask\",\"key\":\"team\",\"text\":\"Team?\","
    "  \"input\":{\"kind\":\"choice\",\"options\":[\"Yes\",\"No\"]},\"next\":\"why\"},"
    "\"why\":{\"kind\":\"ask\",\"key\":\"why\",\"text\":\"Why?\",\"input\":{\"kind\":\"text\"},\"next\":\"s\"},"
    "\"s\":{\"kind\":\"branch_sentiment\",\"cases\":[{\"op\":\"<\",\"value\":-0.05,\"next\":\"sorry\"}],"
    "  \"default\":\"more\"},"
    "\"sorry\":{\"kind\":\"say\",\"text\":\"That sounds hard.\",\"next\":\"more\"},"
    "\"more\":{\"kind\":\"ask\",\"key\":\"more\",\"text\":\"More?\","
    "  \"input\":{\"kind\":\"text\",\"optional\":true},\"next\":\"end\"},"
    "\"end\":{\"kind\":\"end\",\"text\":\"Thanks, {first_name}.\"}}}";

static void test_every_node_kind(void **state) {
    (void)state;
    flow_ctx ctx = {"Ana", "Acme"};
    conv *c = conv_start(every_kind, &ctx);
    assert_string_equal(flow_name(c->f), "t");
    assert_int_equal(flow_version(c->f), 3);
    assert_string_equal(flow_title(c->f), "All kinds");

    /* say then ask: two messages, the ask carrying its INPUT. */
    assert_int_equal(c->out.n, 2);
    assert_string_equal(c->out.msgs[0].text, "Hi Ana!");
    assert_null(c->out.msgs[0].input_json);
    assert_string_equal(c->out.msgs[1].text, "Mood at Acme?");
    assert_string_equal(c->out.msgs[1].input_json,
                        "{\"kind\":\"scale\",\"min\":1,\"max\":5,\"labels\":[\"awful\",\"great\"]}");
    assert_string_equal(c->st.node, "mood");
    assert_int_equal(c->st.done, 0);
    assert_string_equal(flow_open_input(c->f, &c->st), c->out.msgs[1].input_json);

    /* scale 2 takes the branch through "low". */
    assert_int_equal(conv_say(c, "2", 0.0), HARK_OK);
    assert_int_equal(c->out.n, 2);
    assert_string_equal(c->out.msgs[0].text, "Sorry to hear.");
    assert_string_equal(c->out.msgs[1].input_json, "{\"kind\":\"choice\",\"options\":[\"Yes\",\"No\"]}");
    assert_string_equal(c->ans.key, "mood");
    assert_string_equal(c->ans.kind, "scale");
    assert_int_equal(c->ans.has_number, 1);
    assert_true(c->ans.number == 2);
    json_t *v = var(c, "mood");
    assert_true(json_is_integer(v) && json_integer_value(v) == 2);
    json_decref(v);

    assert_int_equal(conv_say(c, "No", 0.0), HARK_OK);
    assert_string_equal(c->ans.kind, "choice");
    assert_int_equal(c->ans.has_number, 0);
    assert_int_equal(c->out.n, 1);
    assert_string_equal(c->out.msgs[0].input_json, "{\"kind\":\"text\",\"optional\":false}");
    v = var(c, "team");
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), "No");
    json_decref(v);

    /* A negative text answer goes through "sorry". */
    assert_int_equal(conv_say(c, "too much overtime", -0.4), HARK_OK);
    assert_string_equal(c->ans.kind, "text");
    assert_int_equal(c->out.n, 2);
    assert_string_equal(c->out.msgs[0].text, "That sounds hard.");
    assert_string_equal(c->out.msgs[1].input_json, "{\"kind\":\"text\",\"optional\":true}");
    v = var(c, "_sentiment");
    assert_true(json_is_real(v) && json_real_value(v) == -0.4);
    json_decref(v);
    v = var(c, "why");
    assert_string_equal(json_string_value(v), "too much overtime");
    json_decref(v);

    /* Optional text may be empty; the end node closes with its text. */
    assert_int_equal(conv_say(c, "", 0.0), HARK_OK);
    assert_int_equal(c->out.n, 1);
    assert_string_equal(c->out.msgs[0].text, "Thanks, Ana.");
    assert_null(c->out.msgs[0].input_json);
    assert_int_equal(c->st.done, 1);
    assert_string_equal(c->st.node, "");
    assert_null(flow_open_input(c->f, &c->st));

    /* Nothing is open once done. */
    flow_state before = c->st;
    assert_int_equal(conv_say(c, "more", 0.0), HARK_EINVAL);
    assert_true(c->err[0] != '\0');
    assert_memory_equal(&before, &c->st, sizeof before);
    conv_free(c);
}

static void test_branch_sentiment_default(void **state) {
    (void)state;
    conv *c = conv_start(every_kind, NULL);
    assert_int_equal(conv_say(c, "4", 0.0), HARK_OK);
    /* mood 4 skips "low": only the choice question. */
    assert_int_equal(c->out.n, 1);
    assert_string_equal(c->out.msgs[0].text, "Team?");
    assert_int_equal(conv_say(c, "Yes", 0.0), HARK_OK);
    assert_int_equal(conv_say(c, "great people", 0.6), HARK_OK);
    assert_int_equal(c->out.n, 1);
    assert_string_equal(c->out.msgs[0].text, "More?");
    /* -0.05 is not < -0.05: the default again. */
    conv *d = conv_start(every_kind, NULL);
    assert_int_equal(conv_say(d, "4", 0.0), HARK_OK);
    assert_int_equal(conv_say(d, "Yes", 0.0), HARK_OK);
    assert_int_equal(conv_say(d, "meh", -0.05), HARK_OK);
    assert_string_equal(d->out.msgs[0].text, "More?");
    conv_free(d);
    conv_free(c);
}

/* A flow: ask n (0..10), branch on one case "n OP VALUE" -> yes, else no. */
static char *op_flow(const char *op, const char *value, const char *input) {
    static char json[2048];
    snprintf(json, sizeof json,
             "{\"name\":\"ops\",\"version\":1,\"title\":\"Ops\",\"start\":\"q\",\"nodes\":{"
             "\"q\":{\"kind\":\"ask\",\"key\":\"n\",\"text\":\"N?\",\"input\":%s,\"next\":\"b\"},"
             "\"b\":{\"kind\":\"branch\",\"key\":\"n\",\"cases\":[{\"op\":\"%s\",\"value\":%s,\"next\":\"yes\"}],"
             "  \"default\":\"no\"},"
             "\"yes\":{\"kind\":\"end\",\"text\":\"yes\"},\"no\":{\"kind\":\"end\",\"text\":\"no\"}}}",
             input, op, value);
    return json;
}

static const char *route(const char *json, const char *answer) {
    conv *c = conv_start(json, NULL);
    assert_int_equal(conv_say(c, answer, 0.0), HARK_OK);
    assert_int_equal(c->out.n, 1);
    const char *r = strcmp(c->out.msgs[0].text, "yes") == 0 ? "yes" : "no";
    conv_free(c);
    return r;
}

static void test_branch_ops(void **state) {
    (void)state;
    static const struct {
        const char *op;
        const char *at4, *at5, *at6;
    } cases[] = {
        {"==", "no", "yes", "no"},  {"!=", "yes", "no", "yes"}, {"<", "yes", "no", "no"},
        {"<=", "yes", "yes", "no"}, {">", "no", "no", "yes"},   {">=", "no", "yes", "yes"},
    };
    const char *scale = "{\"kind\":\"scale\",\"min\":0,\"max\":10}";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[2048];
        snprintf(json, sizeof json, "%s", op_flow(cases[i].op, "5", scale));
        assert_string_equal(route(json, "4"), cases[i].at4);
        assert_string_equal(route(json, "5"), cases[i].at5);
        assert_string_equal(route(json, "6"), cases[i].at6);
    }
    /* Strings compare with == and != on choice and text answers. */
    const char *choice = "{\"kind\":\"choice\",\"options\":[\"Yes\",\"No\"]}";
    char json[2048];
    snprintf(json, sizeof json, "%s", op_flow("==", "\"Yes\"", choice));
    assert_string_equal(route(json, "Yes"), "yes");
    assert_string_equal(route(json, "No"), "no");
    snprintf(json, sizeof json, "%s", op_flow("!=", "\"Yes\"", choice));
    assert_string_equal(route(json, "Yes"), "no");
    assert_string_equal(route(json, "No"), "yes");
    snprintf(json, sizeof json, "%s", op_flow("==", "\"skip\"", "{\"kind\":\"text\"}"));
    assert_string_equal(route(json, "skip"), "yes");
    assert_string_equal(route(json, "Skip"), "no");
    /* Cases are tried in order; the first match wins. */
    conv *c =
        conv_start("{\"name\":\"o\",\"version\":1,\"title\":\"O\",\"start\":\"q\",\"nodes\":{"
                   "\"q\":{\"kind\":\"ask\",\"key\":\"n\",\"text\":\"N?\","
                   "  \"input\":{\"kind\":\"scale\",\"min\":0,\"max\":10},\"next\":\"b\"},"
                   "\"b\":{\"kind\":\"branch\",\"key\":\"n\",\"cases\":["
                   "  {\"op\":\">\",\"value\":2,\"next\":\"first\"},{\"op\":\">\",\"value\":1,\"next\":\"second\"}],"
                   "  \"default\":\"second\"},"
                   "\"first\":{\"kind\":\"end\",\"text\":\"first\"},\"second\":{\"kind\":\"end\"}}}",
                   NULL);
    assert_int_equal(conv_say(c, "9", 0), HARK_OK);
    assert_string_equal(c->out.msgs[0].text, "first");
    conv_free(c);
}

static void test_branch_missing_key_takes_default(void **state) {
    (void)state;
    /* "later" is asked only after the branch: it has no value yet, so even != takes the default. */
    conv *c = conv_start(
        "{\"name\":\"m\",\"version\":1,\"title\":\"M\",\"start\":\"b\",\"nodes\":{"
        "\"b\":{\"kind\":\"branch\",\"key\":\"later\",\"cases\":["
        "  {\"op\":\"!=\",\"value\":\"x\",\"next\":\"wrong\"},{\"op\":\"==\",\"value\":\"x\",\"next\":\"wrong\"}],"
        "  \"default\":\"q\"},"
        "\"wrong\":{\"kind\":\"end\",\"text\":\"wrong\"},"
        "\"q\":{\"kind\":\"ask\",\"key\":\"later\",\"text\":\"Q?\",\"input\":{\"kind\":\"text\"},"
        "  \"next\":\"s\"},"
        "\"s\":{\"kind\":\"branch\",\"key\":\"_sentiment\",\"cases\":[{\"op\":\">\",\"value\":0.5,"
        "  \"next\":\"wrong\"}],\"default\":\"end\"},"
        "\"end\":{\"kind\":\"end\"}}}",
        NULL);
    assert_int_equal(c->out.n, 1);
    assert_string_equal(c->out.msgs[0].text, "Q?");
    assert_int_equal(conv_say(c, "x", 0.1), HARK_OK);
    /* An end without text emits nothing. */
    assert_int_equal(c->out.n, 0);
    assert_int_equal(c->st.done, 1);
    conv_free(c);
}

static void assert_rejected(conv *c, const char *answer) {
    flow_state before = c->st;
    flow_out_free(&c->out);
    c->err[0] = '\0';
    int rc = flow_answer(c->f, &c->st, answer, 0.0, NULL, &c->out, &c->ans, c->err, sizeof c->err);
    if (rc != HARK_EINVAL) fail_msg("answer \"%s\" was accepted", answer);
    assert_true(c->err[0] != '\0');
    assert_int_equal(c->out.n, 0);
    assert_memory_equal(&before, &c->st, sizeof before);
}

static void test_bad_answers_leave_state(void **state) {
    (void)state;
    conv *c = conv_start(every_kind, NULL);
    static const char *bad_scale[] = {"0", "6", "-1", "abc", "4.5", "+4", "04", "", "  ", "4a", "1 2", "99999999999"};
    for (size_t i = 0; i < sizeof bad_scale / sizeof bad_scale[0]; i++) assert_rejected(c, bad_scale[i]);
    assert_string_equal(c->err, "Please choose a number from 1 to 5.");
    assert_rejected(c, "\xc3\x28"); /* invalid UTF-8 */
    assert_int_equal(conv_say(c, "5", 0), HARK_OK);

    static const char *bad_choice[] = {"yes", "Yes ", " Yes", "Maybe", ""};
    for (size_t i = 0; i < sizeof bad_choice / sizeof bad_choice[0]; i++) assert_rejected(c, bad_choice[i]);
    assert_string_equal(c->err, "Please choose one of the options.");
    assert_int_equal(conv_say(c, "Yes", 0), HARK_OK);

    /* Required text must not be blank, Unicode spaces included. */
    static const char *blank[] = {"", " ", "\t\r\n", "\xc2\xa0", "\xe3\x80\x80 "};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) assert_rejected(c, blank[i]);
    assert_rejected(c, "ok \xed\xa0\x80"); /* a surrogate */
    assert_int_equal(conv_say(c, " ok ", 0), HARK_OK);
    conv_free(c);

    /* No question is open before flow_start. */
    flow *f = parse_ok(every_kind);
    flow_state st;
    flow_state_init(&st);
    flow_out out = {.n = 0};
    char err[128];
    assert_int_equal(flow_answer(f, &st, "3", 0, NULL, &out, NULL, err, sizeof err), HARK_EINVAL);
    assert_int_equal(out.n, 0);
    /* Nor when the state names a node that is not a question. */
    snprintf(st.node, sizeof st.node, "hi");
    assert_int_equal(flow_answer(f, &st, "3", 0, NULL, &out, NULL, err, sizeof err), HARK_EINVAL);
    assert_null(flow_open_input(f, &st));
    flow_free(f);
}

static void test_scale_accepts_in_range(void **state) {
    (void)state;
    const char *json = op_flow(">=", "-3", "{\"kind\":\"scale\",\"min\":-5,\"max\":5}");
    assert_string_equal(route(json, "-3"), "yes");
    assert_string_equal(route(json, "-5"), "no");
    assert_string_equal(route(json, "5"), "yes");
    assert_string_equal(route(json, "0"), "yes");
    conv *c = conv_start(json, NULL);
    assert_rejected(c, "-6");
    assert_rejected(c, "-0");
    assert_rejected(c, "-");
    conv_free(c);
}

static void test_templating(void **state) {
    (void)state;
    const char *json =
        "{\"name\":\"tp\",\"version\":1,\"title\":\"T\",\"start\":\"a\",\"nodes\":{"
        "\"a\":{\"kind\":\"say\",\"text\":\"Hi {first_name} of {company}, {first_name}!\",\"next\":\"b\"},"
        "\"b\":{\"kind\":\"end\",\"text\":\"{unknown} {first_name {company} {} {{company}} }{\"}}}";
    flow_ctx full = {"Zoë", "Acme & Co"};
    conv *c = conv_start(json, &full);
    assert_int_equal(c->out.n, 2);
    assert_string_equal(c->out.msgs[0].text, "Hi Zoë of Acme & Co, Zoë!");
    assert_string_equal(c->out.msgs[1].text, "{unknown} {first_name Acme & Co {} {Acme & Co} }{");
    assert_int_equal(c->st.done, 1);
    conv_free(c);

    c = conv_start(json, NULL);
    assert_string_equal(c->out.msgs[0].text, "Hi there of your company, there!");
    conv_free(c);

    flow_ctx blank = {"  ", ""};
    c = conv_start(json, &blank);
    assert_string_equal(c->out.msgs[0].text, "Hi there of your company, there!");
    conv_free(c);

    /* Values are capped at FLOW_CTX_MAX bytes. */
    char longname[FLOW_CTX_MAX * 3];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    flow_ctx big = {longname, "A"};
    c = conv_start(json, &big);
    assert_int_equal(strlen(c->out.msgs[0].text), strlen("Hi  of A, !") + 2 * FLOW_CTX_MAX);
    conv_free(c);
}

static void test_validation_errors(void **state) {
    (void)state;
#define HEAD     "{\"name\":\"v\",\"version\":1,\"title\":\"V\",\"start\":\"a\",\"nodes\":{"
#define END_NODE "\"z\":{\"kind\":\"end\"}"
#define ASK_MOOD                                                                                                       \
    "\"mood\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"M?\",\"input\":{\"kind\":\"scale\",\"min\":1,\"max\":5},"  \
    "\"next\":\"z\"}"
#define ASK_PICK                                                                                                       \
    "\"pick\":{\"kind\":\"ask\",\"key\":\"pick\",\"text\":\"P?\",\"input\":{\"kind\":\"choice\",\"options\":[\"A\","   \
    "\"B\"]},\"next\":\"z\"}"
    static const struct {
        const char *json, *err;
    } cases[] = {
        {"not json", "invalid JSON"},
        {"[1,2]", "a flow must be a JSON object"},
        {"{\"name\":\"v\",\"version\":1,\"title\":\"V\",\"start\":\"a\",\"nodes\":{\"a\":{\"kind\":\"end\"}},\"x\":1}",
         "unknown top-level field 'x'"},
        {"{\"version\":1,\"title\":\"V\",\"start\":\"a\",\"nodes\":{\"a\":{\"kind\":\"end\"}}}", "\"name\""},
        {"{\"name\":\"v\",\"version\":0,\"title\":\"V\",\"start\":\"a\",\"nodes\":{\"a\":{\"kind\":\"end\"}}}",
         "\"version\" must be a positive integer"},
        {"{\"name\":\"v\",\"version\":1,\"start\":\"a\",\"nodes\":{\"a\":{\"kind\":\"end\"}}}", "\"title\""},
        {"{\"name\":\"v\",\"version\":1,\"title\":\"V\",\"start\":\"a\",\"nodes\":{}}", "\"nodes\""},
        {HEAD "\"b\":{\"kind\":\"end\"}}}", "\"start\" refers to unknown node 'a'"},
        {"{\"name\":\"v\",\"version\":1,\"title\":\"V\",\"nodes\":{\"a\":{\"kind\":\"end\"}}}", "missing \"start\""},
        {HEAD "\"a\":{\"kind\":\"jump\"}}}", "node 'a': unknown kind 'jump'"},
        {HEAD "\"a\":{\"text\":\"x\"}}}", "node 'a': missing \"kind\""},
        {HEAD "\"a\":[]}}", "node 'a': must be an object"},
        {HEAD "\"a\":{\"kind\":\"say\",\"text\":\"x\"}}}", "node 'a': missing \"next\""},
        {HEAD "\"a\":{\"kind\":\"say\",\"text\":\"x\",\"next\":\"nowhere\"}}}",
         "node 'a': \"next\" refers to unknown node 'nowhere'"},
        {HEAD "\"a\":{\"kind\":\"say\",\"text\":\"\",\"next\":\"z\"}," END_NODE "}}",
         "node 'a': \"text\" must be a non-empty string"},
        {HEAD "\"a\":{\"kind\":\"say\",\"text\":\"x\",\"nxt\":\"z\",\"next\":\"z\"}," END_NODE "}}",
         "node 'a': unknown field 'nxt'"},
        {HEAD "\"a\":{\"kind\":\"end\",\"text\":5}}}", "node 'a': \"text\" must be a non-empty string"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"text\":\"x\",\"input\":{\"kind\":\"text\"},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': \"key\""},
        {HEAD
         "\"a\":{\"kind\":\"ask\",\"key\":\"_x\",\"text\":\"x\",\"input\":{\"kind\":\"text\"},\"next\":\"z\"}," END_NODE
         "}}",
         "node 'a': keys starting with '_' are reserved"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"k\",\"text\":\"x\",\"next\":\"z\"}," END_NODE "}}",
         "node 'a': ask needs an \"input\""},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"k\",\"text\":\"x\",\"input\":{\"kind\":\"slider\"},\"next\":\"z\"}"
              "," END_NODE "}}",
         "node 'a': unknown input kind 'slider'"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\","
              "\"input\":{\"kind\":\"scale\",\"min\":5,\"max\":5},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': scale input needs min < max"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\","
              "\"input\":{\"kind\":\"scale\",\"min\":1.5,\"max\":5},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': scale input needs integer \"min\" and \"max\""},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\","
              "\"input\":{\"kind\":\"scale\",\"min\":0,\"max\":500},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': scale input must lie within"},
        {HEAD
         "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\","
         "\"input\":{\"kind\":\"scale\",\"min\":1,\"max\":5,\"labels\":[\"a\",\"b\",\"c\"]},\"next\":\"z\"}," END_NODE
         "}}",
         "node 'a': scale \"labels\" must list 2 labels (the two ends) or 5 (one per value)"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\","
              "\"input\":{\"kind\":\"scale\",\"min\":1,\"max\":5,\"labels\":[\"a\",3]},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': scale label 2 must be a string"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"c\",\"text\":\"x\","
              "\"input\":{\"kind\":\"choice\",\"options\":[\"only\"]},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': choice input needs 2 to 20 \"options\""},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"c\",\"text\":\"x\","
              "\"input\":{\"kind\":\"choice\",\"options\":[\"A\",\"A\"]},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': option 'A' is listed twice"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"c\",\"text\":\"x\","
              "\"input\":{\"kind\":\"choice\",\"options\":[\"A\",\"\"]},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': option 2 must be a string"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"t\",\"text\":\"x\","
              "\"input\":{\"kind\":\"text\",\"optional\":\"yes\"},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': text input \"optional\" must be true or false"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"t\",\"text\":\"x\","
              "\"input\":{\"kind\":\"text\",\"max\":3},\"next\":\"z\"}," END_NODE "}}",
         "node 'a': unknown field 'max' in input"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[],\"default\":\"z\"}," ASK_MOOD "," END_NODE "}}",
         "node 'a': \"cases\" must be an array"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"=\",\"value\":1,\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_MOOD "," END_NODE "}}",
         "node 'a': case 1 needs an \"op\""},
        {HEAD
         "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"<\",\"value\":1,\"next\":\"z\"}]}," ASK_MOOD
         "," END_NODE "}}",
         "node 'a': missing \"default\""},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"<\",\"value\":1,\"next\":\"y\"}],"
              "\"default\":\"z\"}," ASK_MOOD "," END_NODE "}}",
         "node 'a': case 1 \"next\" refers to unknown node 'y'"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"<\",\"value\":null,\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_MOOD "," END_NODE "}}",
         "node 'a': case 1 \"value\" must be a number or a string"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"pick\",\"cases\":[{\"op\":\"<\",\"value\":\"A\",\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_PICK "," END_NODE "}}",
         "node 'a': case 1 compares a string with '<'; use == or !="},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"nokey\",\"cases\":[{\"op\":\"<\",\"value\":1,\"next\":\"z\"}],"
              "\"default\":\"z\"}," END_NODE "}}",
         "node 'a': no ask node has the key 'nokey'"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"mood\",\"cases\":[{\"op\":\"==\",\"value\":\"4\",\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_MOOD "," END_NODE "}}",
         "node 'a': case 1 compares the number 'mood' with a string"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"pick\",\"cases\":[{\"op\":\"==\",\"value\":1,\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_PICK "," END_NODE "}}",
         "node 'a': case 1 compares the choice answer 'pick' with a number"},
        {HEAD "\"a\":{\"kind\":\"branch\",\"key\":\"pick\",\"cases\":[{\"op\":\"==\",\"value\":\"C\",\"next\":\"z\"}],"
              "\"default\":\"z\"}," ASK_PICK "," END_NODE "}}",
         "node 'a': case 1 value 'C' is not an option of node 'pick'"},
        {HEAD "\"a\":{\"kind\":\"branch_sentiment\",\"cases\":[{\"op\":\"<\",\"value\":\"neg\",\"next\":\"z\"}],"
              "\"default\":\"z\"}," END_NODE "}}",
         "node 'a'"},
        {HEAD "\"a\":{\"kind\":\"ask\",\"key\":\"mood\",\"text\":\"x\",\"input\":{\"kind\":\"text\"},\"next\":\"z\"}"
              "," ASK_MOOD "," END_NODE "}}",
         "is already used by node"},
        {HEAD "\"a\":{\"kind\":\"end\"},\"a\":{\"kind\":\"end\"}}}", "invalid JSON"}, /* duplicate node name */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        flow *f = flow_parse(cases[i].json, strlen(cases[i].json), err, sizeof err);
        if (f) fail_msg("case %zu parsed but should fail with: %s", i, cases[i].err);
        if (!strstr(err, cases[i].err)) fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].err);
    }
    /* A node name too long for flow_state.node. */
    char json[512];
    char name[FLOW_NODE_MAX + 1];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(json, sizeof json, HEAD "\"a\":{\"kind\":\"end\"},\"%s\":{\"kind\":\"end\"}}}", name);
    char err[256];
    assert_null(flow_parse(json, strlen(json), err, sizeof err));
    assert_non_null(strstr(err, "node names must be"));
    assert_non_null(strstr(err, "node 'nnnnnnnnnnnnnnnnnnnnnnnn...'")); /* named by its start */
    /* A NULL or short error buffer is fine. */
    assert_null(flow_parse("x", 1, NULL, 0));
    assert_null(flow_parse("x", 1, err, 4));
    assert_int_equal(strlen(err), 3);
    /* Too large a document. */
    size_t big = FLOW_JSON_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    assert_null(flow_parse(huge, big, err, sizeof err));
    assert_non_null(strstr(err, "larger than"));
    free(huge);
    flow_free(NULL);
#undef HEAD
#undef END_NODE
#undef ASK_MOOD
#undef ASK_PICK
}

static void test_loops_fail_cleanly(void **state) {
    (void)state;
    /* say -> say -> say ... never reaching an ask or end. */
    flow *f = parse_ok("{\"name\":\"l\",\"version\":1,\"title\":\"L\",\"start\":\"a\",\"nodes\":{"
                       "\"a\":{\"kind\":\"say\",\"text\":\"a\",\"next\":\"b\"},"
                       "\"b\":{\"kind\":\"say\",\"text\":\"b\",\"next\":\"a\"}}}");
    flow_state st;
    flow_state_init(&st);
    flow_state before = st;
    flow_out out = {.n = 0};
    assert_int_equal(flow_start(f, &st, NULL, &out), HARK_EINVAL);
    assert_int_equal(out.n, 0);
    assert_memory_equal(&before, &st, sizeof st);
    flow_free(f);

    /* A branch loop that starts only after an answer. */
    conv *c =
        conv_start("{\"name\":\"l\",\"version\":1,\"title\":\"L\",\"start\":\"q\",\"nodes\":{"
                   "\"q\":{\"kind\":\"ask\",\"key\":\"n\",\"text\":\"N?\","
                   "  \"input\":{\"kind\":\"scale\",\"min\":1,\"max\":3},\"next\":\"b\"},"
                   "\"b\":{\"kind\":\"branch\",\"key\":\"n\",\"cases\":[{\"op\":\"==\",\"value\":3,\"next\":\"b\"}],"
                   "  \"default\":\"end\"},"
                   "\"end\":{\"kind\":\"end\"}}}",
                   NULL);
    flow_state open = c->st;
    assert_int_equal(conv_say(c, "3", 0), HARK_EINVAL);
    assert_int_equal(c->out.n, 0);
    assert_memory_equal(&open, &c->st, sizeof open);
    assert_int_equal(conv_say(c, "2", 0), HARK_OK);
    assert_int_equal(c->st.done, 1);
    conv_free(c);

    /* More say nodes in a row than a step may emit. */
    char json[8192];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"name\":\"s\",\"version\":1,\"title\":\"S\",\"start\":\"s0\",\"nodes\":{");
    for (int i = 0; i <= FLOW_OUT_MAX; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "\"s%d\":{\"kind\":\"say\",\"text\":\"%d\",\"next\":\"s%d\"},",
                              i, i, i + 1);
    snprintf(json + n, sizeof json - n, "\"s%d\":{\"kind\":\"end\"}}}", FLOW_OUT_MAX + 1);
    f = parse_ok(json);
    flow_state_init(&st);
    assert_int_equal(flow_start(f, &st, NULL, &out), HARK_EINVAL);
    assert_int_equal(out.n, 0);
    flow_free(f);
}

static void test_vars_bounds(void **state) {
    (void)state;
    /* Ten required text questions in a row. */
    char json[8192];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"name\":\"v\",\"version\":1,\"title\":\"V\",\"start\":\"q0\",\"nodes\":{");
    for (int i = 0; i < 10; i++)
        n +=
            (size_t)snprintf(json + n, sizeof json - n,
                             "\"q%d\":{\"kind\":\"ask\",\"key\":\"k%d\",\"text\":\"Q%d\",\"input\":{\"kind\":\"text\"},"
                             "\"next\":\"q%d\"},",
                             i, i, i, i + 1);
    snprintf(json + n, sizeof json - n, "\"q10\":{\"kind\":\"end\"}}}");
    conv *c = conv_start(json, NULL);
    char answer[3000];
    memset(answer, 'a', sizeof answer - 1);
    answer[sizeof answer - 1] = '\0';
    /* A multi-byte character straddling the cut is not split. */
    memcpy(answer + FLOW_TEXT_VAR_MAX - 1, "\xc3\xa9", 2);
    assert_int_equal(conv_say(c, answer, 0), HARK_OK);
    json_t *v = var(c, "k0");
    assert_int_equal(json_string_length(v), FLOW_TEXT_VAR_MAX - 1);
    json_decref(v);
    int rc = HARK_OK;
    int answered = 1;
    while (rc == HARK_OK && answered < 10) {
        flow_state before = c->st;
        rc = conv_say(c, answer, 0);
        if (rc == HARK_OK) {
            answered++;
        } else {
            assert_memory_equal(&before, &c->st, sizeof before);
        }
    }
    /* 10 answers of 1 KiB cannot fit in FLOW_VARS_MAX. */
    assert_int_equal(rc, HARK_ETOOBIG);
    assert_true(answered >= 6 && answered < 10);
    assert_true(strlen(c->st.vars) < FLOW_VARS_MAX);
    /* A short answer still fits. */
    assert_int_equal(conv_say(c, "short", 0), HARK_OK);
    conv_free(c);

    /* Damaged vars are refused. */
    flow *f = parse_ok(every_kind);
    flow_state st;
    flow_state_init(&st);
    snprintf(st.vars, sizeof st.vars, "[1]");
    flow_out out = {.n = 0};
    assert_int_equal(flow_start(f, &st, NULL, &out), HARK_EINVAL);
    flow_free(f);
}

/* Answers every question of F with a valid answer (ANSWER_KIND picks which)
 * until done; returns the number of questions asked. */
static int walk_flow(const flow *f, int pick_last, double sentiment) {
    flow_state st;
    flow_state_init(&st);
    flow_out out = {.n = 0};
    flow_ctx ctx = {"Sam", "Acme"};
    assert_int_equal(flow_start(f, &st, &ctx, &out), HARK_OK);
    int asked = 0;
    while (!st.done) {
        assert_true(asked < 50);
        assert_true(out.n > 0);
        const char *input = out.msgs[out.n - 1].input_json;
        assert_non_null(input);
        for (int i = 0; i < out.n; i++) {
            assert_null(strchr(out.msgs[i].text, '{'));   /* every placeholder filled */
            assert_true(strlen(out.msgs[i].text) <= 140); /* short enough for a phone */
        }
        json_t *in = json_loads(input, 0, NULL);
        assert_non_null(in);
        const char *kind = json_string_value(json_object_get(in, "kind"));
        char answer[64];
        if (strcmp(kind, "scale") == 0) {
            json_int_t v = json_integer_value(json_object_get(in, pick_last ? "max" : "min"));
            snprintf(answer, sizeof answer, "%lld", (long long)v);
            size_t labels = json_array_size(json_object_get(in, "labels"));
            json_int_t span =
                json_integer_value(json_object_get(in, "max")) - json_integer_value(json_object_get(in, "min")) + 1;
            assert_true(labels == 2 || (json_int_t)labels == span);
        } else if (strcmp(kind, "choice") == 0) {
            json_t *opts = json_object_get(in, "options");
            snprintf(answer, sizeof answer, "%s",
                     json_string_value(json_array_get(opts, pick_last ? json_array_size(opts) - 1 : 0)));
        } else {
            snprintf(answer, sizeof answer, "%s", pick_last ? "It has been really hard" : "Good");
        }
        json_decref(in);
        flow_out_free(&out);
        char err[128];
        flow_answer_rec ans;
        assert_int_equal(flow_answer(f, &st, answer, sentiment, &ctx, &out, &ans, err, sizeof err), HARK_OK);
        asked++;
    }
    flow_out_free(&out);
    return asked;
}

static void test_default_flows(void **state) {
    (void)state;
    const char *root = getenv("HARK_SOURCE_DIR");
    if (!root) fail_msg("HARK_SOURCE_DIR is not set (ctest sets it to the source root)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/flows", root);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    static const char *want[] = {"exit", "onboarding", "pulse", "tenure"};
    int found[4] = {0};
    int nfiles = 0;
    for (;;) {
        struct dirent *e = readdir(d);
        if (!e) break;
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        static char text[FLOW_JSON_MAX + 1];
        size_t n = fread(text, 1, sizeof text, fp);
        fclose(fp);
        assert_true(n <= FLOW_JSON_MAX);
        char err[256];
        flow *f = flow_parse(text, n, err, sizeof err);
        if (!f) fail_msg("%s: %s", e->d_name, err);
        /* The file name is the flow's name. */
        assert_int_equal(strncmp(e->d_name, flow_name(f), len - 5), 0);
        assert_int_equal(strlen(flow_name(f)), len - 5);
        assert_int_equal(flow_version(f), 1);
        assert_true(strlen(flow_title(f)) > 0);
        /* A 2-3 minute conversation: 4 to 8 questions on either path. */
        int low = walk_flow(f, 0, 0.5), high = walk_flow(f, 1, -0.8);
        if (low < 4 || low > 8 || high < 4 || high > 8)
            fail_msg("%s asks %d / %d questions, want 4-8", e->d_name, low, high);
        for (int i = 0; i < 4; i++) found[i] |= strcmp(flow_name(f), want[i]) == 0;
        flow_free(f);
        nfiles++;
    }
    closedir(d);
    for (int i = 0; i < 4; i++)
        if (!found[i]) fail_msg("data/flows has no %s.json", want[i]);
    assert_true(nfiles >= 4);
}

static void test_default_flows_embedded(void **state) {
    (void)state;
    char err[256];
    static const char *names[] = {"onboarding", "tenure", "pulse", "exit"};
    for (size_t i = 0; i < 4; i++) {
        flow *f = flow_parse_default(names[i], err, sizeof err);
        if (!f) fail_msg("%s: %s", names[i], err);
        assert_string_equal(flow_name(f), names[i]);
        flow_free(f);
    }
    assert_null(flow_parse_default("nope", err, sizeof err));
    assert_non_null(strstr(err, "nope"));
}

static void test_pulse_paths(void **state) {
    (void)state;
    char err[256];
    flow *f = flow_parse_default("pulse", err, sizeof err);
    assert_non_null(f);
    flow_state st;
    flow_state_init(&st);
    flow_out out = {.n = 0};
    flow_answer_rec ans;
    assert_int_equal(flow_start(f, &st, NULL, &out), HARK_OK);
    assert_string_equal(st.node, "mood");
    flow_out_free(&out);
    /* A low mood and a negative answer lead to the offer of help. */
    assert_int_equal(flow_answer(f, &st, "1", 0, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_string_equal(st.node, "why_low");
    flow_out_free(&out);
    assert_int_equal(flow_answer(f, &st, "burned out", -0.7, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_string_equal(st.node, "offer_help");
    flow_out_free(&out);
    assert_int_equal(flow_answer(f, &st, "Yes, please", 0, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_int_equal(out.n, 2);
    assert_string_equal(st.node, "workload");
    flow_out_free(&out);
    assert_int_equal(flow_answer(f, &st, "Too heavy", 0, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_string_equal(st.node, "enps");
    flow_out_free(&out);
    assert_int_equal(flow_answer(f, &st, "11", 0, NULL, &out, &ans, err, sizeof err), HARK_EINVAL);
    assert_int_equal(flow_answer(f, &st, "10", 0, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_string_equal(ans.key, "enps");
    assert_true(ans.has_number && ans.number == 10);
    flow_out_free(&out);
    assert_int_equal(flow_answer(f, &st, "", 0, NULL, &out, &ans, err, sizeof err), HARK_OK);
    assert_int_equal(st.done, 1);
    flow_out_free(&out);
    flow_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_node_kind),
        cmocka_unit_test(test_branch_sentiment_default),
        cmocka_unit_test(test_branch_ops),
        cmocka_unit_test(test_branch_missing_key_takes_default),
        cmocka_unit_test(test_bad_answers_leave_state),
        cmocka_unit_test(test_scale_accepts_in_range),
        cmocka_unit_test(test_templating),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_loops_fail_cleanly),
        cmocka_unit_test(test_vars_bounds),
        cmocka_unit_test(test_default_flows),
        cmocka_unit_test(test_default_flows_embedded),
        cmocka_unit_test(test_pulse_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
