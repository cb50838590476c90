/* API routes for a tenant's configuration (web_api.h), for owners and admins
 * signed in (no API token): conversation flows (versions listed, read, and
 * new versions validated by the flow parser), touchpoints (listed, edited,
 * created, rules checked by the rules library) and webhooks (created with a
 * secret shown once, edited, deleted, their deliveries listed). Every change
 * writes its audit row in the job that makes it. Flows and rules are parsed
 * by their own parts (flow/, rules/): web calls neither chat nor outreach,
 * which meet it only in the database. Delivering webhooks is outreach's job
 * (outreach/webhooks.c). */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "flow/flow.h"
#include "rules/rules.h"
#include "store/audit.h"
#include "store/config.h"
#include "web/web_api.h"

#define BODY_MAX        (16 * 1024)
#define FLOW_BODY_MAX   (FLOW_JSON_MAX + 16 * 1024) /* a flow document, escaped in a string, and the name */
#define FLOWS_LIST_MAX  2000                        /* flow versions a tenant sees */
#define TOUCHPOINTS_MAX 500
#define DELIVERIES_MAX  50
#define ERR_MAX         512

/* One call's work, whatever the endpoint; the fields an endpoint does not
 * use stay zero. Owned by the handler until done() frees it. */
typedef struct cjob {
    web_call *call;
    int64_t tenant_id, id;
    json_t *in;  /* the request's body (owned) */
    json_t *doc; /* POST /flows: the flow document (owned) */
    json_t *out; /* the answer (owned) */
    int ok;      /* the success status: 200, 201, 204 */
    /* A refusal found in the store job (its changes rolled back). */
    int err_status;
    const char *err_code;
    char err[ERR_MAX];
} cjob;

static cjob *job_new(web_call *call) {
    cjob *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return NULL;
    }
    j->call = call;
    j->tenant_id = call->p.tenant_id;
    j->id = call->id;
    j->ok = 200;
    return j;
}

static void job_free(cjob *j) {
    json_decref(j->in);
    json_decref(j->doc);
    json_decref(j->out);
    free(j);
}

/* Cuts S to its longest valid UTF-8 prefix (a message cut by a buffer may
 * end inside a character; the error body must be valid JSON text). */
static void utf8_trim(char *s) {
    size_t n = strlen(s);
    while (n > 0 && !utf8_valid((const unsigned char *)s, n)) n--;
    s[n] = '\0';
}

/* Records a refusal for done() and returns HARK_EINVAL (the job's changes
 * are rolled back). */
static int refuse(cjob *j, int status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(cjob *j, int status, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, sizeof j->err, fmt, ap);
    va_end(ap);
    utf8_trim(j->err);
    j->err_status = status;
    j->err_code = code;
    return HARK_EINVAL;
}

/* Answers a refusal found on the loop thread; frees J. */
static void reply_refusal(cjob *j) {
    web_call *call = j->call;
    int status = j->err_status;
    const char *code = j->err_code;
    char msg[ERR_MAX];
    memcpy(msg, j->err, sizeof msg);
    job_free(j);
    web_reply_error(call, status, code, msg);
}

static void done(void *arg, int status) {
    cjob *j = arg;
    web_call *call = j->call;
    if (j->err_code) {
        reply_refusal(j);
        return;
    }
    if (status) {
        job_free(j);
        web_reply_status(call, status);
        return;
    }
    if (j->ok == 204 || !j->out) {
        job_free(j);
        web_reply_empty(call, 204);
        return;
    }
    web_reply_value(call, j->ok, j->out);
    job_free(j);
}

static void submit(cjob *j, int kind, store_work_fn work) {
    if (web_call_submit(j->call, kind, work, done, j)) job_free(j); /* answered 503 */
}

/* Reads the call's JSON body into J->in; 0, or nonzero having answered and
 * freed J. */
static int read_body(cjob *j, size_t max) {
    j->in = web_call_body(j->call, max);
    if (j->in) return 0;
    free(j); /* the call was answered and freed */
    return -1;
}

/* Fails (refusal in J) when the body has a field not in ALLOWED. */
static int only_fields(cjob *j, const char *const *allowed) {
    const char *k;
    json_t *v;
    json_object_foreach(j->in, k, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, k) != 0) a++;
        if (!*a) return refuse(j, 422, "invalid", "%.64s: unknown field", k);
    }
    return HARK_OK;
}

/* The body's string field NAME into OUT (CAP bytes): 0 (absent: *PRESENT 0),
 * or a refusal when it is not a string of 1 to CAP-1 bytes without control
 * characters. */
static int string_field(cjob *j, const char *name, char *out, size_t cap, int *present) {
    json_t *v = json_object_get(j->in, name);
    *present = v != NULL;
    out[0] = '\0';
    if (!v) return HARK_OK;
    if (!json_is_string(v)) return refuse(j, 422, "invalid", "%s: must be a string", name);
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n >= cap) return refuse(j, 422, "invalid", "%s: must be 1 to %zu bytes long", name, cap - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return refuse(j, 422, "invalid", "%s: must not hold control characters", name);
    memcpy(out, s, n + 1);
    return HARK_OK;
}

static int bool_field(cjob *j, const char *name, int *out, int *present) {
    json_t *v = json_object_get(j->in, name);
    *present = v != NULL;
    if (!v) return HARK_OK;
    if (!json_is_boolean(v)) return refuse(j, 422, "invalid", "%s: must be true or false", name);
    *out = json_is_true(v);
    return HARK_OK;
}

/* Writes the audit row of an admin action by the call's user. DETAIL (may
 * be NULL) is consumed. */
static int audit(store_conn *c, const cjob *j, const char *action, const char *kind, int64_t target_id,
                 json_t *detail) {
    char target[96];
    snprintf(target, sizeof target, "%s:%lld", kind, (long long)target_id);
    int rc = web_audit(c, &j->call->p, action, target, detail);
    json_decref(detail);
    return rc;
}

/* ---- flows ---- */

static json_t *flow_version_json(const store_flow_row *r) {
    return json_pack("{s:I, s:i, s:b, s:I}", "id", (json_int_t)r->id, "version", r->version, "shared",
                     r->tenant_id == 0, "created_at", (json_int_t)r->created_at);
}

/* Rows come by name, then version (highest first), the tenant's before the
 * shared: the first of a name is the latest overall; "latest" is the one
 * new invites use (store_flow_latest: the tenant's own highest if any, else
 * the shared highest). */
static int flows_list_work(store_conn *c, void *arg) {
    cjob *j = arg;
    size_t n = 0;
    store_flow_row *rows = calloc(FLOWS_LIST_MAX, sizeof *rows);
    if (!rows) return HARK_ENOMEM;
    int rc = store_flow_list(c, j->tenant_id, rows, FLOWS_LIST_MAX, &n);
    json_t *flows = json_array();
    if (!rc && !flows) rc = HARK_ENOMEM;
    for (size_t i = 0; !rc && i < n;) {
        size_t e = i;
        while (e < n && strcmp(rows[e].name, rows[i].name) == 0) e++;
        const store_flow_row *latest = NULL;
        for (size_t k = i; k < e && !latest; k++)
            if (rows[k].tenant_id != 0) latest = &rows[k];
        if (!latest) latest = &rows[i];
        json_t *versions = json_array();
        for (size_t k = i; versions && k < e; k++)
            if (json_array_append_new(versions, flow_version_json(&rows[k]))) rc = HARK_ENOMEM;
        json_t *f = versions ? json_pack("{s:s, s:o, s:o}", "name", rows[i].name, "latest", flow_version_json(latest),
                                         "versions", versions)
                             : NULL;
        if (!f || json_array_append_new(flows, f)) rc = HARK_ENOMEM;
        i = e;
    }
    free(rows);
    if (rc) {
        json_decref(flows);
        return rc;
    }
    j->out = json_pack("{s:o}", "flows", flows);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void flows_list(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_READ, flows_list_work);
}

static int flow_get_work(store_conn *c, void *arg) {
    cjob *j = arg;
    store_flow_row r;
    char *text = NULL;
    int rc = store_flow_fetch(c, j->tenant_id, j->id, &r, &text);
    if (rc) return rc;
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    if (!doc) return HARK_EIO; /* stored flows are valid JSON */
    j->out = json_pack("{s:I, s:s, s:i, s:b, s:I, s:o}", "id", (json_int_t)r.id, "name", r.name, "version", r.version,
                       "shared", r.tenant_id == 0, "created_at", (json_int_t)r.created_at, "json", doc);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void flow_get(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_READ, flow_get_work);
}

/* Stores the checked document as the next version of its flow. */
static int flow_create_work(store_conn *c, void *arg) {
    cjob *j = arg;
    const char *name = json_string_value(json_object_get(j->doc, "name"));
    int version;
    int64_t id;
    int rc = store_flow_next_version(c, j->tenant_id, name, &version);
    if (rc) return rc;
    if (json_object_set_new(j->doc, "version", json_integer(version))) return HARK_ENOMEM;
    char *text = json_dumps(j->doc, JSON_INDENT(2));
    if (!text) return HARK_ENOMEM;
    if (strlen(text) > FLOW_JSON_MAX) {
        free(text);
        return refuse(j, 422, "invalid_flow", "flow is larger than %d bytes", FLOW_JSON_MAX);
    }
    rc = store_flow_put(c, j->tenant_id, name, version, text, &id);
    free(text);
    if (rc) return rc;
    rc = audit(c, j, "flow.create", "flow", id, json_pack("{s:s, s:i}", "name", name, "version", version));
    if (rc) return rc;
    j->out = json_pack("{s:I, s:s, s:i, s:b, s:I}", "id", (json_int_t)id, "name", name, "version", version, "shared", 0,
                       "created_at", (json_int_t)hark_now_ms());
    j->ok = 201;
    return j->out ? HARK_OK : HARK_ENOMEM;
}

/* Checks the body on the loop thread: {"name"?, "json": object or string}.
 * The document's own "version" is replaced by the next one when stored; its
 * "name" is the body's name when it has none. */
static int flow_check(cjob *j) {
    static const char *const fields[] = {"name", "json", NULL};
    char name[FLOW_NODE_MAX], perr[ERR_MAX];
    int has_name;
    if (only_fields(j, fields) || string_field(j, "name", name, sizeof name, &has_name)) return HARK_EINVAL;
    json_t *src = json_object_get(j->in, "json");
    if (json_is_string(src)) {
        json_error_t jerr;
        j->doc = json_loadb(json_string_value(src), json_string_length(src), JSON_REJECT_DUPLICATES, &jerr);
        if (!j->doc) return refuse(j, 422, "invalid_flow", "invalid JSON at line %d: %s", jerr.line, jerr.text);
    } else if (json_is_object(src)) {
        j->doc = json_deep_copy(src);
        if (!j->doc) return refuse(j, 503, "unavailable", "out of memory");
    } else {
        return refuse(j, 422, "invalid", "json: must be the flow, as an object or a string");
    }
    if (!json_is_object(j->doc)) return refuse(j, 422, "invalid_flow", "a flow must be a JSON object");
    json_t *dn = json_object_get(j->doc, "name");
    if (!dn && !has_name) return refuse(j, 422, "invalid", "name: required (or a \"name\" in the flow)");
    if (!dn)
        json_object_set_new(j->doc, "name", json_string(name));
    else if (has_name && (!json_is_string(dn) || strcmp(json_string_value(dn), name) != 0))
        return refuse(j, 422, "invalid", "name: '%s' differs from the flow's own \"name\"", name);
    /* A placeholder until the store job knows the version. */
    if (!json_object_get(j->doc, "version")) json_object_set_new(j->doc, "version", json_integer(1));
    char *text = json_dumps(j->doc, JSON_COMPACT);
    if (!text) return refuse(j, 503, "unavailable", "out of memory");
    flow *f = flow_parse(text, strlen(text), perr, sizeof perr);
    free(text);
    if (!f) return refuse(j, 422, "invalid_flow", "%s", perr);
    flow_free(f);
    return HARK_OK;
}

static void flow_create(web_call *call) {
    cjob *j = job_new(call);
    if (!j || read_body(j, FLOW_BODY_MAX)) return;
    if (flow_check(j)) {
        reply_refusal(j);
        return;
    }
    submit(j, STORE_WRITE, flow_create_work);
}

/* ---- touchpoints ---- */

static json_t *touchpoint_json(store_conn *c, const store_touchpoint *t) {
    json_t *rule = json_loads(t->rule[0] ? t->rule : "{}", 0, NULL);
    if (!rule) rule = json_object();
    store_flow fl;
    json_t *used = json_null();
    if (store_flow_latest(c, t->tenant_id, t->flow_name, &fl) == HARK_OK) {
        json_decref(used);
        used =
            json_pack("{s:I, s:i, s:b}", "id", (json_int_t)fl.id, "version", fl.version, "shared", fl.tenant_id == 0);
        store_flow_clear(&fl);
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:o}", "id", (json_int_t)t->id, "name", t->name, "kind", t->kind,
                     "flow_name", t->flow_name, "rule", rule, "active", t->active, "flow", used);
}

static int touchpoints_list_work(store_conn *c, void *arg) {
    cjob *j = arg;
    size_t n = 0;
    store_touchpoint *tps = calloc(TOUCHPOINTS_MAX, sizeof *tps);
    if (!tps) return HARK_ENOMEM;
    int rc = store_touchpoint_list(c, j->tenant_id, tps, TOUCHPOINTS_MAX, &n);
    json_t *arr = json_array();
    if (!rc && !arr) rc = HARK_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        if (json_array_append_new(arr, touchpoint_json(c, &tps[i]))) rc = HARK_ENOMEM;
    free(tps);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    j->out = json_pack("{s:o}", "touchpoints", arr);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void touchpoints_list(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_READ, touchpoints_list_work);
}

/* The body's "rule" (an object, or its text) checked against KIND and
 * written into T->rule. */
static int take_rule(cjob *j, const char *kind, json_t *rule, store_touchpoint *t) {
    char *text = json_is_string(rule)   ? strdup(json_string_value(rule))
                 : json_is_object(rule) ? json_dumps(rule, JSON_COMPACT)
                                        : NULL;
    if (!json_is_string(rule) && !json_is_object(rule))
        return refuse(j, 422, "invalid_rule", "rule: must be a JSON object");
    if (!text) return HARK_ENOMEM;
    char err[ERR_MAX];
    tp_rule *r = malloc(sizeof *r);
    int rc = r ? rules_parse(kind, text, r, err, sizeof err) : HARK_ENOMEM;
    free(r);
    if (rc == HARK_EINVAL)
        rc = refuse(j, 422, "invalid_rule", "%s", err);
    else if (!rc && strlen(text) >= sizeof t->rule)
        rc = refuse(j, 422, "invalid_rule", "rule: longer than %zu bytes", sizeof t->rule - 1);
    if (!rc) memcpy(t->rule, text, strlen(text) + 1);
    free(text);
    return rc;
}

/* The tenant must see a flow named NAME (its own or a shared one). */
static int check_flow_name(store_conn *c, cjob *j, const char *name) {
    store_flow fl;
    int rc = store_flow_latest(c, j->tenant_id, name, &fl);
    store_flow_clear(&fl);
    if (rc == HARK_ENOTFOUND) return refuse(j, 422, "invalid", "flow_name: no flow named '%s'", name);
    return rc;
}

static int touchpoint_patch_work(store_conn *c, void *arg) {
    static const char *const fields[] = {"flow_name", "rule", "active", NULL};
    cjob *j = arg;
    store_touchpoint t;
    char flow_name[sizeof t.flow_name];
    int has_flow, has_active, active = 0;
    int rc = store_touchpoint_get(c, j->tenant_id, j->id, &t);
    if (rc) return rc;
    if (only_fields(j, fields) || string_field(j, "flow_name", flow_name, sizeof flow_name, &has_flow) ||
        bool_field(j, "active", &active, &has_active))
        return HARK_EINVAL;
    json_t *rule = json_object_get(j->in, "rule");
    json_t *changed = json_object();
    if (!changed) return HARK_ENOMEM;
    if (has_flow && !(rc = check_flow_name(c, j, flow_name))) {
        memcpy(t.flow_name, flow_name, sizeof flow_name);
        json_object_set_new(changed, "flow_name", json_string(flow_name));
    }
    if (!rc && rule && !(rc = take_rule(j, t.kind, rule, &t)))
        json_object_set_new(changed, "rule", json_loads(t.rule, 0, NULL));
    if (!rc && has_active) {
        t.active = active;
        json_object_set_new(changed, "active", json_boolean(active));
    }
    if (!rc) rc = store_touchpoint_update(c, &t);
    if (rc) {
        json_decref(changed);
        return rc;
    }
    if ((rc = audit(c, j, "touchpoint.update", "touchpoint", t.id, changed))) return rc;
    j->out = touchpoint_json(c, &t);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void touchpoint_patch(web_call *call) {
    cjob *j = job_new(call);
    if (!j || read_body(j, BODY_MAX)) return;
    submit(j, STORE_WRITE, touchpoint_patch_work);
}

static int touchpoint_create_work(store_conn *c, void *arg) {
    static const char *const fields[] = {"name", "kind", "flow_name", "rule", "active", NULL};
    static const char *const kinds[] = {"onboarding", "tenure", "pulse", "exit", "adhoc", NULL};
    cjob *j = arg;
    store_touchpoint t;
    int has_name, has_kind, has_flow, has_active;
    memset(&t, 0, sizeof t);
    t.tenant_id = j->tenant_id;
    t.active = 1;
    if (only_fields(j, fields) || string_field(j, "name", t.name, sizeof t.name, &has_name) ||
        string_field(j, "kind", t.kind, sizeof t.kind, &has_kind) ||
        string_field(j, "flow_name", t.flow_name, sizeof t.flow_name, &has_flow) ||
        bool_field(j, "active", &t.active, &has_active))
        return HARK_EINVAL;
    if (!has_name) return refuse(j, 422, "invalid", "name: required");
    if (!has_kind) return refuse(j, 422, "invalid", "kind: required (onboarding, tenure, pulse, exit or adhoc)");
    const char *const *k = kinds;
    while (*k && strcmp(*k, t.kind) != 0) k++;
    if (!*k) return refuse(j, 422, "invalid", "kind: must be onboarding, tenure, pulse, exit or adhoc");
    if (!has_flow) return refuse(j, 422, "invalid", "flow_name: required");
    json_t *rule = json_object_get(j->in, "rule");
    if (!rule) return refuse(j, 422, "invalid_rule", "rule: required");
    int rc = check_flow_name(c, j, t.flow_name);
    if (!rc) rc = take_rule(j, t.kind, rule, &t);
    if (!rc) rc = store_touchpoint_create(c, &t);
    if (rc == HARK_EEXISTS) return refuse(j, 409, "conflict", "name: a touchpoint named '%s' exists", t.name);
    if (rc) return rc;
    rc = audit(c, j, "touchpoint.create", "touchpoint", t.id,
               json_pack("{s:s, s:s, s:s, s:o, s:b}", "name", t.name, "kind", t.kind, "flow_name", t.flow_name, "rule",
                         json_loads(t.rule, 0, NULL), "active", t.active));
    if (rc) return rc;
    j->out = touchpoint_json(c, &t);
    j->ok = 201;
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void touchpoint_create(web_call *call) {
    cjob *j = job_new(call);
    if (!j || read_body(j, BODY_MAX)) return;
    submit(j, STORE_WRITE, touchpoint_create_work);
}

/* ---- webhooks ---- */

static const char *const event_names[] = {"escalation.created", "conversation.completed", NULL};

static json_t *webhook_json(const store_webhook *w) {
    json_t *events = json_loads(w->events, 0, NULL);
    if (!events) events = json_array();
    return json_pack("{s:I, s:s, s:o, s:b, s:I, s:I, s:{s:I, s:I, s:I}}", "id", (json_int_t)w->id, "url", w->url,
                     "events", events, "active", w->active, "created_at", (json_int_t)w->created_at, "updated_at",
                     (json_int_t)w->updated_at, "deliveries", "pending", (json_int_t)w->pending, "sent",
                     (json_int_t)w->sent, "failed", (json_int_t)w->failed);
}

/* What is wrong with URL as a webhook's address, or NULL. */
static const char *url_problem(const char *url) {
    const char *host = strncmp(url, "https://", 8) == 0 ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    if (!host) return "must start with http:// or https://";
    size_t hl = strcspn(host, "/?#");
    if (hl == 0) return "has no host";
    if (memchr(host, '@', hl)) return "must not hold a user name or password";
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return "holds a space or a character a URL cannot hold unescaped";
    return NULL;
}

/* The body's "url" and "events" into W (when present). */
static int webhook_fields(cjob *j, store_webhook *w, int *has_url, int *has_events) {
    int rc = string_field(j, "url", w->url, sizeof w->url, has_url);
    if (rc) return rc;
    const char *why = *has_url ? url_problem(w->url) : NULL;
    if (why) return refuse(j, 422, "invalid", "url: %s", why);
    json_t *ev = json_object_get(j->in, "events");
    *has_events = ev != NULL;
    if (!ev) return HARK_OK;
    if (!json_is_array(ev) || json_array_size(ev) == 0)
        return refuse(j, 422, "invalid",
                      "events: must be a non-empty array of escalation.created, conversation.completed");
    json_t *clean = json_array();
    if (!clean) return HARK_ENOMEM;
    for (const char *const *e = event_names; *e; e++) {
        size_t i;
        json_t *v;
        int want = 0;
        json_array_foreach(ev, i, v) {
            if (json_is_string(v) && strcmp(json_string_value(v), *e) == 0) want = 1;
        }
        if (want) json_array_append_new(clean, json_string(*e));
    }
    size_t i;
    json_t *v;
    json_array_foreach(ev, i, v) {
        const char *s = json_string_value(v);
        const char *const *e = event_names;
        while (s && *e && strcmp(*e, s) != 0) e++;
        if (!s || !*e) {
            json_decref(clean);
            return refuse(j, 422, "invalid",
                          "events[%zu]: unknown event (escalation.created or conversation.completed)", i);
        }
    }
    char *s = json_dumps(clean, JSON_COMPACT);
    json_decref(clean);
    if (!s) return HARK_ENOMEM;
    snprintf(w->events, sizeof w->events, "%s", s);
    free(s);
    return HARK_OK;
}

/* "scheme://host" of URL for the audit log (a URL's path or query may hold
 * a receiver's secret). */
static json_t *url_origin(const char *url) {
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : 0;
    return json_stringn(url, n);
}

static int webhooks_list_work(store_conn *c, void *arg) {
    cjob *j = arg;
    store_webhook *ws = calloc(STORE_WEBHOOKS_MAX, sizeof *ws);
    size_t n = 0;
    if (!ws) return HARK_ENOMEM;
    int rc = store_webhook_list(c, j->tenant_id, ws, STORE_WEBHOOKS_MAX, &n);
    json_t *arr = json_array();
    if (!rc && !arr) rc = HARK_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        if (json_array_append_new(arr, webhook_json(&ws[i]))) rc = HARK_ENOMEM;
    free(ws);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    j->out = json_pack("{s:o}", "webhooks", arr);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void webhooks_list(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_READ, webhooks_list_work);
}

static int webhook_create_work(store_conn *c, void *arg) {
    static const char *const fields[] = {"url", "events", "active", NULL};
    cjob *j = arg;
    store_webhook *w = calloc(1, sizeof *w);
    int has_url, has_events, has_active;
    size_t n = 0;
    if (!w) return HARK_ENOMEM;
    w->tenant_id = j->tenant_id;
    w->active = 1;
    int rc = only_fields(j, fields);
    if (!rc) rc = webhook_fields(j, w, &has_url, &has_events);
    if (!rc) rc = bool_field(j, "active", &w->active, &has_active);
    if (!rc && !has_url) rc = refuse(j, 422, "invalid", "url: required");
    if (!rc && !has_events)
        rc = refuse(j, 422, "invalid", "events: required (escalation.created, conversation.completed)");
    if (!rc) {
        store_webhook *all = calloc(STORE_WEBHOOKS_MAX, sizeof *all);
        rc = all ? store_webhook_list(c, j->tenant_id, all, STORE_WEBHOOKS_MAX, &n) : HARK_ENOMEM;
        free(all);
        if (!rc && n >= STORE_WEBHOOKS_MAX)
            rc = refuse(j, 409, "limit_reached", "a tenant has at most %d webhooks", STORE_WEBHOOKS_MAX);
    }
    if (!rc) {
        unsigned char key[32];
        char hex[2 * sizeof key + 1];
        randombytes_buf(key, sizeof key);
        sodium_bin2hex(hex, sizeof hex, key, sizeof key);
        snprintf(w->secret, sizeof w->secret, "whsec_%s", hex);
        sodium_memzero(key, sizeof key);
        rc = store_webhook_create(c, w);
    }
    if (!rc)
        rc = audit(c, j, "webhook.create", "webhook", w->id,
                   json_pack("{s:o, s:o, s:b}", "url", url_origin(w->url), "events", json_loads(w->events, 0, NULL),
                             "active", w->active));
    if (!rc) {
        j->out = webhook_json(w);
        if (!j->out || json_object_set_new(j->out, "secret", json_string(w->secret))) rc = HARK_ENOMEM;
        j->ok = 201;
    }
    sodium_memzero(w->secret, sizeof w->secret);
    free(w);
    return rc;
}

static void webhook_create(web_call *call) {
    cjob *j = job_new(call);
    if (!j || read_body(j, BODY_MAX)) return;
    submit(j, STORE_WRITE, webhook_create_work);
}

static int webhook_patch_work(store_conn *c, void *arg) {
    static const char *const fields[] = {"url", "events", "active", NULL};
    cjob *j = arg;
    store_webhook *w = calloc(1, sizeof *w), *upd = calloc(1, sizeof *upd);
    int has_url = 0, has_events = 0, has_active = 0, active = 0;
    int rc = w && upd ? store_webhook_get(c, j->tenant_id, j->id, w) : HARK_ENOMEM;
    if (!rc) rc = only_fields(j, fields);
    if (!rc) rc = webhook_fields(j, upd, &has_url, &has_events);
    if (!rc) rc = bool_field(j, "active", &active, &has_active);
    json_t *changed = rc ? NULL : json_object();
    if (!rc && !changed) rc = HARK_ENOMEM;
    if (!rc) {
        if (has_url) {
            memcpy(w->url, upd->url, sizeof w->url);
            json_object_set_new(changed, "url", url_origin(w->url));
        }
        if (has_events) {
            memcpy(w->events, upd->events, sizeof w->events);
            json_object_set_new(changed, "events", json_loads(w->events, 0, NULL));
        }
        if (has_active) {
            w->active = active;
            json_object_set_new(changed, "active", json_boolean(active));
        }
        rc = store_webhook_update(c, w);
    }
    if (!rc) {
        rc = audit(c, j, "webhook.update", "webhook", w->id, changed);
        changed = NULL;
    }
    if (!rc) rc = store_webhook_get(c, j->tenant_id, j->id, w);
    if (!rc && !(j->out = webhook_json(w))) rc = HARK_ENOMEM;
    json_decref(changed);
    free(w);
    free(upd);
    return rc;
}

static void webhook_patch(web_call *call) {
    cjob *j = job_new(call);
    if (!j || read_body(j, BODY_MAX)) return;
    submit(j, STORE_WRITE, webhook_patch_work);
}

static int webhook_delete_work(store_conn *c, void *arg) {
    cjob *j = arg;
    int rc = store_webhook_delete(c, j->tenant_id, j->id);
    if (!rc) rc = audit(c, j, "webhook.delete", "webhook", j->id, NULL);
    j->ok = 204;
    return rc;
}

static void webhook_delete(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_WRITE, webhook_delete_work);
}

static int deliveries_work(store_conn *c, void *arg) {
    cjob *j = arg;
    store_webhook *w = calloc(1, sizeof *w);
    store_webhook_delivery *d = calloc(DELIVERIES_MAX, sizeof *d);
    size_t n = 0;
    int rc = w && d ? store_webhook_get(c, j->tenant_id, j->id, w) : HARK_ENOMEM;
    if (!rc) rc = store_webhook_deliveries(c, j->tenant_id, j->id, d, DELIVERIES_MAX, &n);
    json_t *arr = rc ? NULL : json_array();
    if (!rc && !arr) rc = HARK_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:i, s:i, s:s, s:I, s:I, s:o}", "id", (json_int_t)d[i].id, "event",
                              d[i].event, "ref_id", (json_int_t)d[i].ref_id, "status", d[i].status, "attempts",
                              d[i].attempts, "last_code", d[i].last_code, "last_error", d[i].last_error, "created_at",
                              (json_int_t)d[i].created_at, "due_at", (json_int_t)d[i].due_at, "sent_at",
                              d[i].sent_at ? json_integer(d[i].sent_at) : json_null());
        if (!o || json_array_append_new(arr, o)) rc = HARK_ENOMEM;
    }
    free(w);
    free(d);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    j->out = json_pack("{s:o}", "deliveries", arr);
    return j->out ? HARK_OK : HARK_ENOMEM;
}

static void webhook_deliveries(web_call *call) {
    cjob *j = job_new(call);
    if (j) submit(j, STORE_READ, deliveries_work);
}

const web_route web__config_api[] = {
    {"GET", "/api/v1/flows", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, flows_list, NULL,
     "the tenant's flows and the shared defaults, with their versions"},
    {"POST", "/api/v1/flows", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, flow_create, NULL,
     "store a new version of a flow (validated; running conversations keep theirs)"},
    {"GET", "/api/v1/flows/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, flow_get, NULL, "one flow version with its JSON"},
    {"GET", "/api/v1/touchpoints", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, touchpoints_list, NULL,
     "the tenant's touchpoints"},
    {"POST", "/api/v1/touchpoints", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, touchpoint_create, NULL,
     "create a touchpoint (an ad hoc campaign)"},
    {"PATCH", "/api/v1/touchpoints/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, touchpoint_patch, NULL,
     "change a touchpoint's flow, rule or active flag"},
    {"GET", "/api/v1/webhooks", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, webhooks_list, NULL, "the tenant's webhooks"},
    {"POST", "/api/v1/webhooks", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, webhook_create, NULL,
     "create a webhook (its signing secret is shown once)"},
    {"PATCH", "/api/v1/webhooks/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, webhook_patch, NULL,
     "change a webhook's url, events or active flag"},
    {"DELETE", "/api/v1/webhooks/{id}", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, webhook_delete, NULL,
     "delete a webhook and its deliveries"},
    {"GET", "/api/v1/webhooks/{id}/deliveries", WEB_ROLES_ADMIN, WEB_SESSION_ONLY, webhook_deliveries, NULL,
     "a webhook's latest deliveries"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
