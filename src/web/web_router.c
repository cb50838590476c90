/* The API router (web_api.h): matches /api/v1 requests against the route
 * table, authenticates, checks the role, and hands a web_call to the
 * handler; and the answers that end a call. Runs on the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/audit.h"
#include "web/web_api.h"
#include "web/web_int.h"

static const web_route *const groups[] = {
    web__session_api, web__dashboard_api, web__people_api, web__admin_api, web__config_api, web__inbox_api,
};

void web_routes_each(void (*fn)(const web_route *r, void *arg), void *arg) {
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const web_route *r = groups[g]; r->method; r++) fn(r, arg);
}

/* ---- matching ---- */

#define ID_PARAM "{id}"

/* Parses a positive decimal id of at most 18 digits (no sign, no leading
 * zero). 0 when SEG (N bytes) is not one. */
static int64_t parse_id(const char *seg, size_t n) {
    if (n == 0 || n > 18 || seg[0] == '0') return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] < '0' || seg[i] > '9') return 0;
        v = v * 10 + (seg[i] - '0');
    }
    return v;
}

/* Whether PATH matches PATTERN; *ID gets the {id} segment. */
static int path_match(const char *pattern, const char *path, int64_t *id) {
    *id = 0;
    for (;;) {
        if (*pattern == '\0' || *path == '\0') return *pattern == *path;
        if (*pattern != '/' || *path != '/') return 0;
        pattern++, path++;
        const char *pe = strchr(pattern, '/'), *qe = strchr(path, '/');
        size_t pn = pe ? (size_t)(pe - pattern) : strlen(pattern);
        size_t qn = qe ? (size_t)(qe - path) : strlen(path);
        if (pn == strlen(ID_PARAM) && memcmp(pattern, ID_PARAM, pn) == 0) {
            if (!(*id = parse_id(path, qn))) return 0;
        } else if (pn != qn || memcmp(pattern, path, pn) != 0) {
            return 0;
        }
        pattern += pn, path += qn;
    }
}

typedef struct lookup {
    const char *method, *path;
    const web_route *found;
    int64_t id;
    int path_seen;  /* some route has this path */
    char allow[64]; /* its methods, for 405 */
} lookup;

static void try_route(const web_route *r, void *arg) {
    lookup *l = arg;
    int64_t id;
    if (l->found || !path_match(r->pattern, l->path, &id)) return;
    if (strcmp(r->method, l->method) == 0 || (strcmp(l->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
        l->found = r;
        l->id = id;
        return;
    }
    l->path_seen = 1;
    size_t n = strlen(l->allow);
    snprintf(l->allow + n, sizeof l->allow - n, "%s%s", n ? ", " : "", r->method);
}

/* ---- dispatch ---- */

unsigned web_role_bit(const web_principal *p) {
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {
        {"owner", WEB_ROLE_OWNER}, {"admin", WEB_ROLE_ADMIN}, {"hrbp", WEB_ROLE_HRBP}, {"viewer", WEB_ROLE_VIEWER}};
    if (p->via != WEB_VIA_SESSION) return 0;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(p->role, roles[i].name) == 0) return roles[i].bit;
    return 0;
}

int web_is_scoped(const web_principal *p) {
    return web_role_bit(p) == WEB_ROLE_HRBP;
}

int web_dept_allowed(const web_principal *p, const char *dept) {
    if (!web_is_scoped(p)) return 1;
    size_t n = strlen(dept);
    if (n == 0) return 0;
    for (const char *s = p->departments; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, dept, n) == 0) return 1;
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

typedef struct pending {
    web_module *m;
    const web_route *route;
    int64_t id;
} pending;

static void call_free(web_call *call) {
    free(call);
}

static void authed(http_req *req, const web_principal *p, void *arg) {
    pending *pd = arg;
    web_module *m = pd->m;
    const web_route *r = pd->route;
    int64_t id = pd->id;
    free(pd);
    if (!p) return; /* answered */
    if (p->via == WEB_VIA_SESSION && !(web_role_bit(p) & r->roles)) {
        web_respond_error(m, req, 403, "forbidden", "your role cannot do this");
        return;
    }
    web_call *call = calloc(1, sizeof *call);
    if (!call) {
        web__retry_after(req, 1000);
        web_respond_error(m, req, 503, "unavailable", "the service is busy, please retry");
        return;
    }
    call->m = m;
    call->req = req;
    call->route = r;
    call->p = *p;
    call->id = id;
    r->fn(call);
}

static void dispatch(http_req *req, void *ud) {
    web_module *m = ud;
    lookup l = {.method = http_method(req), .path = http_path(req)};
    web_routes_each(try_route, &l);
    if (!l.found) {
        if (l.path_seen) {
            http_add_header(req, "Allow", l.allow);
            web_respond_error(m, req, 405, "method_not_allowed", "this method is not allowed here");
        } else {
            web_respond_error(m, req, 404, "not_found", "no such endpoint");
        }
        return;
    }
    if (l.found->roles == WEB_ROLES_PUBLIC) {
        l.found->raw(req, m);
        return;
    }
    pending *pd = malloc(sizeof *pd);
    if (!pd) {
        web__retry_after(req, 1000);
        web_respond_error(m, req, 503, "unavailable", "the service is busy, please retry");
        return;
    }
    pd->m = m;
    pd->route = l.found;
    pd->id = l.id;
    web_auth_request(m, req, l.found->scopes, authed, pd);
}

int web__router_init(web_module *m) {
    int rc = net_body_limit(m->net, web__people_import_path, web__people_import_max);
    return rc ? rc : net_route(m->net, NULL, "/api/v1/", 1, dispatch, m);
}

/* ---- audit ---- */

int web_audit(store_conn *c, const web_principal *p, const char *action, const char *target, const json_t *detail) {
    store_audit a;
    memset(&a, 0, sizeof a);
    a.tenant_id = p->tenant_id;
    a.user_id = p->user_id;
    a.token_id = p->token_id;
    if (strlen(action) >= sizeof a.action || strlen(target) >= sizeof a.target) return HARK_ETOOBIG;
    memcpy(a.action, action, strlen(action) + 1);
    memcpy(a.target, target, strlen(target) + 1);
    if (detail) {
        char *s = json_dumps(detail, JSON_COMPACT);
        if (!s) return HARK_ENOMEM;
        if (strlen(s) < sizeof a.detail)
            memcpy(a.detail, s, strlen(s) + 1);
        else
            snprintf(a.detail, sizeof a.detail, "{\"truncated\":true}");
        free(s);
    }
    return store_audit_add(c, &a);
}

/* ---- answers ---- */

void web_reply_value(web_call *call, int status, const json_t *root) {
    web_respond_value(call->m, call->req, status, root);
    call_free(call);
}

void web_reply_json(web_call *call, int status, const char *json, size_t len) {
    web_respond_json(call->m, call->req, status, json, len);
    call_free(call);
}

void web_reply_error(web_call *call, int status, const char *code, const char *message) {
    web_respond_error(call->m, call->req, status, code, message);
    call_free(call);
}

void web_reply_empty(web_call *call, int status) {
    web_respond_empty(call->m, call->req, status);
    call_free(call);
}

void web_reply_file(web_call *call, const char *content_type, const char *filename, const char *body, size_t len) {
    web__headers(call->m, call->req);
    if (filename) {
        char cd[160];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
        http_add_header(call->req, "Content-Disposition", cd);
    }
    http_respond(call->req, 200, content_type, body, len);
    call_free(call);
}

void web_reply_busy(web_call *call) {
    web__retry_after(call->req, 1000);
    web_reply_error(call, 503, "unavailable", "the service is busy, please retry");
}

void web_reply_status(web_call *call, int status) {
    switch (status) {
    case HARK_ENOTFOUND: web_reply_error(call, 404, "not_found", "no such item"); return;
    case HARK_EEXISTS: web_reply_error(call, 409, "conflict", "an item with this key exists already"); return;
    case HARK_EINVAL: web_reply_error(call, 400, "bad_request", "the request is not valid"); return;
    case HARK_ETOOBIG: web_reply_error(call, 413, "too_large", "a value is too large"); return;
    case HARK_EBUSY:
    case HARK_ECLOSED: web_reply_busy(call); return;
    default:
        log_conn(LOG_ERROR, http_conn_id(call->req), "web: %s %s failed: %s", call->route->method, call->route->pattern,
                 hark_strerror(status));
        web_reply_error(call, 500, "internal", "the request failed; it was logged");
        return;
    }
}

int web_call_submit(web_call *call, int kind, store_work_fn work, store_done_fn done, void *job) {
    int rc = store_submit(call->m->st, kind, work, done, job);
    if (rc) {
        if (rc != HARK_ECLOSED && rc != HARK_EBUSY)
            log_conn(LOG_WARN, http_conn_id(call->req), "web: store job refused: %s", hark_strerror(rc));
        web_reply_busy(call);
    }
    return rc;
}

json_t *web_call_body(web_call *call, size_t max_bytes) {
    json_t *root = web_read_json(call->m, call->req, max_bytes);
    if (!root) call_free(call);
    return root;
}

int web_call_param(web_call *call, const char *name, char *out, size_t cap) {
    int rc = http_query_param(call->req, name, out, cap);
    if (rc == HARK_ENOTFOUND) {
        out[0] = '\0';
        return rc;
    }
    if (rc) {
        char msg[128];
        snprintf(msg, sizeof msg, "the query parameter %s is too long or badly encoded", name);
        web_reply_error(call, 400, "bad_request", msg);
        return HARK_EINVAL;
    }
    return HARK_OK;
}
