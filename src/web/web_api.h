/* The web module's API router: one table of every /api/v1 endpoint, with
 * who may call it, so that authentication, the role check and the tenant
 * scope happen in one place before any endpoint code runs, and so that the
 * table can be listed (`hark routes`) and every endpoint tested (the
 * tenancy matrix in tests/integration/tenancy.test.mjs fails when an
 * endpoint has no case).
 *
 * A call reaches its handler only after: the path matched a pattern (else
 * 404; another method of a matched pattern: 405 with Allow), the caller was
 * authenticated (web_auth_request: 401, 403 bad_origin / bad_csrf,
 * insufficient_scope), and a session's role is one the route allows (403
 * forbidden). The handler then scopes every query by call->p.tenant_id and,
 * for an hrbp, by web_dept_allowed. Private to src/web. */
#ifndef HARK_WEB_API_H
#define HARK_WEB_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "web/web.h"

/* Roles, as bits for a route's set of allowed roles. */
enum {
    WEB_ROLE_OWNER = 1u << 0,
    WEB_ROLE_ADMIN = 1u << 1,
    WEB_ROLE_HRBP = 1u << 2,
    WEB_ROLE_VIEWER = 1u << 3,
};
#define WEB_ROLES_ALL    (WEB_ROLE_OWNER | WEB_ROLE_ADMIN | WEB_ROLE_HRBP | WEB_ROLE_VIEWER)
#define WEB_ROLES_HR     (WEB_ROLE_OWNER | WEB_ROLE_ADMIN | WEB_ROLE_HRBP) /* people work: escalations, employees */
#define WEB_ROLES_ADMIN  (WEB_ROLE_OWNER | WEB_ROLE_ADMIN)
#define WEB_ROLES_OWNER  WEB_ROLE_OWNER
#define WEB_ROLES_PUBLIC 0u /* no authentication by the router: the handler does its own (sign-in) */

typedef struct web_route web_route;

/* One API request on its way through a handler. Owned by the handler from
 * the call until one of the web_reply_* functions, which answer and free
 * it; keep it in the job struct across store work. */
typedef struct web_call {
    web_module *m;
    http_req *req;
    const web_route *route;
    web_principal p; /* who asks (a copy) */
    int64_t id;      /* the {id} of the pattern; 0 when it has none */
} web_call;

typedef void (*web_call_fn)(web_call *call);

struct web_route {
    const char *method;  /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/employees/{id}": literal segments and {id} (a positive decimal id) */
    unsigned roles;      /* WEB_ROLE_* bits a session's role must be in; WEB_ROLES_PUBLIC: see above */
    uint32_t scopes;     /* AUTH_SCOPE_* an API token needs; WEB_SESSION_ONLY: tokens refused */
    web_call_fn fn;      /* the handler (authenticated routes) */
    http_handler raw;    /* the handler of a WEB_ROLES_PUBLIC route, given the module as UD */
    const char *summary; /* one line for `hark routes` and docs/api.md */
};

/* Every route, each group defined by the file that implements it, ended by
 * an entry with method NULL. */
extern const web_route web__session_api[];   /* web_session.c */
extern const web_route web__dashboard_api[]; /* web_dashboard.c */
extern const web_route web__people_api[];    /* web_people.c: employees, import, erase */
extern const web_route web__admin_api[];     /* web_admin.c: users, settings, tokens, audit */
extern const web_route web__config_api[];    /* web_config.c: touchpoints, flows, webhooks */
extern const web_route web__inbox_api[];     /* web_inbox.c: escalations, comments, people to meet */

/* The employee CSV upload's path and its body limit (web_people.c), set on
 * net by web__router_init: far above the 1 MiB of other requests. */
extern const char web__people_import_path[];
extern const size_t web__people_import_max;

/* Calls FN for every route, in table order. */
void web_routes_each(void (*fn)(const web_route *r, void *arg), void *arg);

/* Registers the router on NET (one prefix route for /api/v1/). 0 or
 * HARK_ENOMEM. */
int web__router_init(web_module *m);

/* ---- the dashboard's anonymity rules, for other views (web_dashboard.c) ----
 * Comments of a group (department, location, touchpoint; NULL / 0 for
 * any) are shown only where the dashboard would show the group's figures:
 * enough respondents, no broader view that differs by fewer than k, no
 * sibling filters that would leave it to be subtracted, the tenant's
 * period grid. Used on a store thread by one job. */
typedef struct web_dash_gate web_dash_gate;
web_dash_gate *web_dash_gate_new(const web_principal *p, const char *department, const char *location,
                                 int64_t touchpoint_id);
/* *REASON: NULL when the group's months FROM..TO (yyyymm, widened to the
 * period grid) may be shown, else the reason code. 0 or a store code. */
int web_dash_gate_check(store_conn *c, web_dash_gate *g, int from, int to, const char **reason);
void web_dash_gate_free(web_dash_gate *g);

/* ---- inside a handler ---- */

/* The role bit of P (0 for an API token, which has scopes instead). */
unsigned web_role_bit(const web_principal *p);
/* 1 when P may see department DEPT: every department for owner, admin,
 * viewer and API tokens; for an hrbp only those of their scope (a newline-
 * separated list; an hrbp with no department sees none). */
int web_dept_allowed(const web_principal *p, const char *dept);
/* 1 when P is an hrbp (their queries are limited to their departments). */
int web_is_scoped(const web_principal *p);

/* Writes the audit row of an action by P (store/audit.h), in the caller's
 * store job: ACTION ("employee.erase"), TARGET ("employee:42" or ""), and
 * DETAIL (may be NULL; not consumed) as compact JSON, replaced by
 * {"truncated":true} when it does not fit. 0 or a store code. */
int web_audit(store_conn *c, const web_principal *p, const char *action, const char *target, const json_t *detail);

/* The answers; each frees CALL. */
void web_reply_value(web_call *call, int status, const json_t *root); /* ROOT not consumed */
void web_reply_json(web_call *call, int status, const char *json, size_t len);
void web_reply_error(web_call *call, int status, const char *code, const char *message);
void web_reply_empty(web_call *call, int status);
/* Sends BODY (LEN bytes) as CONTENT_TYPE with the module's headers (and an
 * attachment FILENAME when not NULL): exports. */
void web_reply_file(web_call *call, const char *content_type, const char *filename, const char *body, size_t len);
/* 503 busy, with Retry-After (a store queue was full or stopping). */
void web_reply_busy(web_call *call);
/* Answers for a store status: 404 not_found, 409 conflict (EEXISTS), 400
 * (EINVAL), 413 (ETOOBIG), 503 (EBUSY, ECLOSED), 500 otherwise. */
void web_reply_status(web_call *call, int status);

/* Submits WORK/DONE as a store job of KIND for CALL's handler; on a refused
 * submission answers 503 and returns nonzero (the handler frees its job). */
int web_call_submit(web_call *call, int kind, store_work_fn work, store_done_fn done, void *job);

/* Reads CALL's JSON body (web_read_json): NULL after answering (CALL freed). */
json_t *web_call_body(web_call *call, size_t max_bytes);

/* Query parameter NAME into OUT (CAP bytes): 0, HARK_ENOTFOUND, or, having
 * answered 400 (CALL freed), HARK_EINVAL. */
int web_call_param(web_call *call, const char *name, char *out, size_t cap);

#endif
