/* API routes for employees (web_api.h; docs/api.md "Employees"): the list with
 * search, filters, keyset pages and the total; one employee; the edit; the
 * erasure; and the CSV upload, which is import.h's code path, run as one
 * store write job.
 *
 * Roles: owner and admin read and write; an hrbp reads the employees of the
 * departments in their scope only (others are 404, as if absent) and never
 * writes; a viewer gets 403 from the router. API tokens: read:employees for
 * the reads, write:employees for the writes. Every query is scoped by the
 * caller's tenant, so another tenant's id is 404 and changes nothing.
 *
 * An edit is checked with the import's rules (the same lengths, core/email.h
 * addresses, real YYYY-MM-DD days, IANA zones, plain UTF-8 text) and each
 * refusal names its field. Time zones are looked up on the store thread (the
 * first use of a zone reads a file), never on the loop. Every write is
 * audited in the store job that makes it, so the two commit together; audit
 * rows name fields and counts, never values. */
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/email.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "core/utf8.h"
#include "store/audit.h"
#include "store/people.h"
#include "web/import.h"
#include "web/web_api.h"

const char web__people_import_path[] = "/api/v1/employees/import";
const size_t web__people_import_max = (size_t)64 << 20; /* 100,000 rows are about 10 MB */

#define PEOPLE_LIMIT_DEFAULT 50
#define PEOPLE_LIMIT_MAX     500
#define PEOPLE_Q_MAX         200   /* bytes of a search */
#define PEOPLE_PARAM_MAX     256   /* bytes of a department or location filter (longer ones match nothing) */
#define PEOPLE_PATCH_MAX     16384 /* bytes of an edit's JSON body */
#define PEOPLE_IMPORTS_MAX   2     /* uploads held at once (up to 64 MiB each); more: 503 */

/* Uploads between their handler and their answer (loop thread only). */
static int imports_held;

/* ---- the fields ---- */

enum field_kind { F_TEXT, F_EMAIL, F_EMAIL_OPT, F_DATE, F_TZ, F_STATUS };

#define EMP(name) offsetof(store_employee, name), sizeof(((store_employee *)0)->name)

/* The editable fields, in the order answers list them; MAX is the longest
 * value in bytes (the import's: the field less its NUL, EMAIL_MAX for
 * addresses). */
static const struct field {
    const char *name;
    size_t off, size, max;
    enum field_kind kind;
} fields[] = {
    {"external_id", EMP(external_id), 63, F_TEXT},
    {"email", EMP(email), EMAIL_MAX, F_EMAIL},
    {"first_name", EMP(first_name), 63, F_TEXT},
    {"last_name", EMP(last_name), 63, F_TEXT},
    {"department", EMP(department), 63, F_TEXT},
    {"location", EMP(location), 63, F_TEXT},
    {"manager_email", EMP(manager_email), EMAIL_MAX, F_EMAIL_OPT},
    {"hire_date", EMP(hire_date), 10, F_DATE},
    {"exit_date", EMP(exit_date), 10, F_DATE},
    {"timezone", EMP(timezone), 63, F_TZ},
    {"status", EMP(status), 15, F_STATUS},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static char *field_of(store_employee *e, size_t i) {
    return (char *)e + fields[i].off;
}

static const char *cfield_of(const store_employee *e, size_t i) {
    return (const char *)e + fields[i].off;
}

static size_t field_index(const char *name) {
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].name, name)) return i;
    return NFIELDS;
}

/* ---- answers ---- */

/* A JSON string of S; "" for bytes that are not UTF-8 (stored values are
 * checked on the way in, so this only keeps one bad row from failing a
 * whole list). */
static json_t *jstr(const char *s) {
    json_t *v = json_string(s);
    return v ? v : json_string("");
}

/* An employee as the API shows it: every field, or for an erased employee
 * only the id, status and when they were erased. NULL when out of memory. */
static json_t *person_json(const store_person *p) {
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = json_object_set_new(o, "id", json_integer(p->e.id));
    if (p->erased_at) {
        bad |= json_object_set_new(o, "status", jstr(p->e.status));
        bad |= json_object_set_new(o, "erased", json_true());
        bad |= json_object_set_new(o, "erased_at", json_integer(p->erased_at));
    } else {
        for (size_t i = 0; i < NFIELDS; i++) bad |= json_object_set_new(o, fields[i].name, jstr(cfield_of(&p->e, i)));
        bad |= json_object_set_new(o, "erased", json_false());
        bad |= json_object_set_new(o, "erased_at", json_null());
        bad |= json_object_set_new(o, "created_at", json_integer(p->created_at));
        bad |= json_object_set_new(o, "updated_at", json_integer(p->updated_at));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Answers {"error":{"code","message","field"}}; FIELD may be NULL. */
static void reply_refusal(web_call *call, int status, const char *code, const char *field, const char *message) {
    json_t *root = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    if (root && field) json_object_set_new(json_object_get(root, "error"), "field", json_string(field));
    if (!root) {
        web_reply_error(call, status, code, message);
        return;
    }
    web_reply_value(call, status, root);
    json_decref(root);
}

static void reply_person(web_call *call, const store_person *p) {
    json_t *root = person_json(p);
    if (!root) {
        web_reply_error(call, 500, "internal", "the answer could not be written");
        return;
    }
    web_reply_value(call, 200, root);
    json_decref(root);
}

/* Writes the audit row of CALL's action ACTION on employee ID (0: none)
 * with DETAIL (a JSON object text without personal data), in the caller's
 * store job. */
static int audit(store_conn *c, const web_call *call, const char *action, int64_t id, const char *detail) {
    store_audit a;
    memset(&a, 0, sizeof a);
    a.tenant_id = call->p.tenant_id;
    a.user_id = call->p.user_id;
    a.token_id = call->p.token_id;
    snprintf(a.action, sizeof a.action, "%s", action);
    if (id) snprintf(a.target, sizeof a.target, "employee:%lld", (long long)id);
    if ((size_t)snprintf(a.detail, sizeof a.detail, "%s", detail) >= sizeof a.detail) return HARK_ETOOBIG;
    return store_audit_add(c, &a);
}

/* A non-negative decimal of at most 18 digits into *OUT: 0, or -1. */
static int parse_count(const char *s, int64_t *out) {
    size_t n = strlen(s);
    int64_t v = 0;
    if (n == 0 || n > 18) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* ---- GET /api/v1/employees ---- */

typedef struct list_job {
    web_call *call;
    char q[PEOPLE_Q_MAX + 1], department[PEOPLE_PARAM_MAX], location[PEOPLE_PARAM_MAX], status[16];
    int64_t after;
    size_t limit;
    store_person *rows; /* limit + 1: one more tells whether a next page exists */
    size_t n;
    int64_t total;
} list_job;

static int list_work(store_conn *c, void *arg) {
    list_job *j = arg;
    store_people_filter f = {
        .q = j->q,
        .department = j->department,
        .location = j->location,
        .status = j->status,
        .scoped = web_is_scoped(&j->call->p),
        .depts = j->call->p.departments,
    };
    return store_people_list(c, j->call->p.tenant_id, &f, j->after, j->rows, j->limit + 1, &j->n, &j->total);
}

static void list_done(void *arg, int status) {
    list_job *j = arg;
    web_call *call = j->call;
    json_t *root = NULL, *list = NULL;
    if (status) {
        web_reply_status(call, status);
        goto out;
    }
    int more = j->n > j->limit;
    size_t n = more ? j->limit : j->n;
    list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (json_array_append_new(list, person_json(&j->rows[i]))) {
            json_decref(list);
            list = NULL;
        }
    }
    if (list)
        root = json_pack("{s:o,s:I,s:I,s:o}", "employees", list, "total", (json_int_t)j->total, "limit",
                         (json_int_t)j->limit, "next_after", more ? json_integer(j->rows[n - 1].e.id) : json_null());
    if (!root) {
        web_reply_error(call, 500, "internal", "the answer could not be written");
        goto out;
    }
    web_reply_value(call, 200, root);
out:
    json_decref(root);
    free(j->rows);
    free(j);
}

static void employees_list(web_call *call) {
    list_job *j = calloc(1, sizeof *j);
    char v[32];
    int rc;
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    j->limit = PEOPLE_LIMIT_DEFAULT;
    if (web_call_param(call, "q", j->q, sizeof j->q) == HARK_EINVAL ||
        web_call_param(call, "department", j->department, sizeof j->department) == HARK_EINVAL ||
        web_call_param(call, "location", j->location, sizeof j->location) == HARK_EINVAL ||
        web_call_param(call, "status", j->status, sizeof j->status) == HARK_EINVAL)
        goto answered;
    if (j->status[0] && strcmp(j->status, "active") && strcmp(j->status, "inactive") && strcmp(j->status, "left")) {
        reply_refusal(call, 400, "bad_request", "status", "status must be active, inactive or left");
        goto answered;
    }
    if ((rc = web_call_param(call, "after", v, sizeof v)) == HARK_EINVAL) goto answered;
    if (rc == HARK_OK && parse_count(v, &j->after)) {
        reply_refusal(call, 400, "bad_request", "after", "after must be an employee id (a non-negative integer)");
        goto answered;
    }
    if ((rc = web_call_param(call, "limit", v, sizeof v)) == HARK_EINVAL) goto answered;
    if (rc == HARK_OK) {
        int64_t limit;
        if (parse_count(v, &limit) || limit < 1 || limit > PEOPLE_LIMIT_MAX) {
            reply_refusal(call, 400, "bad_request", "limit", "limit must be an integer from 1 to 500");
            goto answered;
        }
        j->limit = (size_t)limit;
    }
    j->rows = malloc((j->limit + 1) * sizeof *j->rows);
    if (!j->rows) {
        web_reply_busy(call);
        goto answered;
    }
    if (web_call_submit(call, STORE_READ, list_work, list_done, j)) goto answered;
    return;
answered:
    free(j->rows);
    free(j);
}

/* ---- GET /api/v1/employees/{id} ---- */

typedef struct one_job {
    web_call *call;
    store_person p;
} one_job;

static int get_work(store_conn *c, void *arg) {
    one_job *j = arg;
    return store_person_get(c, j->call->p.tenant_id, j->call->id, &j->p);
}

static void get_done(void *arg, int status) {
    one_job *j = arg;
    /* Outside an hrbp's scope an employee is as absent as another tenant's. */
    if (!status && !web_dept_allowed(&j->call->p, j->p.e.department)) status = HARK_ENOTFOUND;
    if (status)
        web_reply_status(j->call, status);
    else
        reply_person(j->call, &j->p);
    free(j);
}

static void employees_get(web_call *call) {
    one_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (web_call_submit(call, STORE_READ, get_work, get_done, j)) free(j);
}

/* ---- PATCH /api/v1/employees/{id} ---- */

typedef struct patch_job {
    web_call *call;
    store_employee set; /* the values given, each checked but the time zone */
    unsigned given;     /* bit I: fields[I] is in the body */
    store_person p;     /* the answer */
    /* A refusal found on the store thread (the job then returns HARK_EINVAL). */
    int status;
    const char *code, *field;
    char message[256];
} patch_job;

static int refuse(patch_job *j, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int refuse(patch_job *j, int status, const char *code, const char *field, const char *fmt, ...) {
    va_list ap;
    j->status = status;
    j->code = code;
    j->field = field;
    va_start(ap, fmt);
    vsnprintf(j->message, sizeof j->message, fmt, ap);
    va_end(ap);
    return HARK_EINVAL;
}

/* Checks VALUE (LEN bytes) for field I as the import does; 0, or
 * HARK_EINVAL with J's refusal filled in. The time zone is left to the
 * store thread. */
static int check_value(patch_job *j, size_t i, const char *value, size_t len) {
    const struct field *f = &fields[i];
    const char *why;
    int64_t days;
    if (len > f->max)
        return refuse(j, 400, "bad_request", f->name, "%s is %zu bytes long; at most %zu fit", f->name, len, f->max);
    if ((why = utf8_text_problem(value, len))) return refuse(j, 400, "bad_request", f->name, "%s %s", f->name, why);
    switch (f->kind) {
    case F_EMAIL:
        if (len == 0) return refuse(j, 400, "bad_request", f->name, "email must not be empty");
        /* fall through */
    case F_EMAIL_OPT:
        if (len && (why = email_problem(value, len)))
            return refuse(j, 400, "bad_request", f->name, "%s is not an email address: it %s", f->name, why);
        break;
    case F_DATE:
        if (len && tz_date_parse(value, &days))
            return refuse(j, 400, "bad_request", f->name,
                          "%s '%s' is not a date of the form YYYY-MM-DD (a real day, year 1000-9999)", f->name, value);
        break;
    case F_STATUS:
        if (strcmp(value, "active") && strcmp(value, "inactive") && strcmp(value, "left"))
            return refuse(j, 400, "bad_request", f->name, "status must be active, inactive or left");
        break;
    case F_TEXT:
    case F_TZ: break;
    }
    return HARK_OK;
}

/* Reads the body's members into J->set; 0, or HARK_EINVAL with a refusal. */
static int read_patch(patch_job *j, json_t *root) {
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i = field_index(key);
        if (i == NFIELDS) {
            if (strlen(key) <= 40 && !utf8_text_problem(key, strlen(key)))
                return refuse(j, 400, "bad_request", NULL,
                              "unknown field '%s' (editable: external_id, email, first_name, last_name, department, "
                              "location, manager_email, hire_date, exit_date, timezone, status)",
                              key);
            return refuse(j, 400, "bad_request", NULL, "the body has an unknown field");
        }
        if (!json_is_string(v))
            return refuse(j, 400, "bad_request", fields[i].name, "%s must be a string", fields[i].name);
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (memchr(s, '\0', len))
            return refuse(j, 400, "bad_request", fields[i].name, "%s contains a control character", fields[i].name);
        int rc = check_value(j, i, s, len);
        if (rc) return rc;
        memcpy(field_of(&j->set, i), s, len + 1);
        j->given |= 1u << i;
    }
    if (!j->given) return refuse(j, 400, "bad_request", NULL, "the body names no field to change");
    return HARK_OK;
}

static int patch_work(store_conn *c, void *arg) {
    patch_job *j = arg;
    const web_call *call = j->call;
    store_person old;
    store_employee e;
    char detail[512];
    size_t used;
    int rc = store_person_get(c, call->p.tenant_id, call->id, &old);
    if (rc) return rc;
    if (old.erased_at)
        return refuse(j, 409, "erased", NULL, "this employee's personal data was erased: the record cannot be edited");
    e = old.e;
    for (size_t i = 0; i < NFIELDS; i++)
        if (j->given & (1u << i)) memcpy(field_of(&e, i), field_of(&j->set, i), fields[i].size);
    if ((j->given & (1u << field_index("timezone"))) && e.timezone[0]) {
        const hark_tz *z;
        rc = tz_get(e.timezone, &z);
        if (rc == HARK_EBUSY) return refuse(j, 503, "unavailable", "timezone", "the time zone cannot be checked now");
        if (rc)
            return refuse(j, 400, "bad_request", "timezone",
                          "timezone '%s' is not a known IANA time zone (e.g. Europe/Paris)", e.timezone);
    }
    int64_t hire, exit_day;
    if (e.hire_date[0] && e.exit_date[0] && !tz_date_parse(e.hire_date, &hire) &&
        !tz_date_parse(e.exit_date, &exit_day) && exit_day < hire) {
        int exit_given = (j->given & (1u << field_index("exit_date"))) != 0;
        return refuse(j, 400, "bad_request", exit_given ? "exit_date" : "hire_date", "exit_date is before hire_date");
    }
    /* The audit names the fields that change, never their values. */
    used = (size_t)snprintf(detail, sizeof detail, "{\"fields\":[");
    int changed = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        if (!strcmp(cfield_of(&e, i), cfield_of(&old.e, i))) continue;
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s\"%s\"", changed ? "," : "", fields[i].name);
        changed++;
    }
    snprintf(detail + used, sizeof detail - used, "]}");
    if (!changed) {
        j->p = old;
        return HARK_OK;
    }
    const char *conflict = NULL;
    rc = store_person_update(c, &e, &conflict);
    if (rc == HARK_EEXISTS && conflict)
        return refuse(j, 409, "conflict", conflict, "another employee of this tenant has this %s", conflict);
    if (!rc) rc = audit(c, call, "employee.update", call->id, detail);
    if (!rc) rc = store_person_get(c, call->p.tenant_id, call->id, &j->p);
    return rc;
}

static void patch_done(void *arg, int status) {
    patch_job *j = arg;
    if (j->status)
        reply_refusal(j->call, j->status, j->code, j->field, j->message);
    else if (status)
        web_reply_status(j->call, status);
    else
        reply_person(j->call, &j->p);
    free(j);
}

static void employees_patch(web_call *call) {
    json_t *root = web_call_body(call, PEOPLE_PATCH_MAX);
    if (!root) return;
    patch_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(root);
        web_reply_busy(call);
        return;
    }
    j->call = call;
    int rc = read_patch(j, root);
    json_decref(root);
    if (rc) {
        reply_refusal(call, j->status, j->code, j->field, j->message);
        free(j);
        return;
    }
    if (web_call_submit(call, STORE_WRITE, patch_work, patch_done, j)) free(j);
}

/* ---- DELETE /api/v1/employees/{id}: erase ---- */

typedef struct erase_job {
    web_call *call;
    store_erasure er;
} erase_job;

static int erase_work(store_conn *c, void *arg) {
    erase_job *j = arg;
    char detail[256];
    int rc = store_person_erase(c, j->call->p.tenant_id, j->call->id, hark_now_ms(), &j->er);
    if (rc || j->er.already) return rc;
    snprintf(detail, sizeof detail, "{\"conversations\":%lld,\"messages\":%lld,\"outbox_cancelled\":%lld}",
             (long long)j->er.conversations, (long long)j->er.messages, (long long)j->er.outbox_cancelled);
    return audit(c, j->call, "employee.erase", j->call->id, detail);
}

static void erase_done(void *arg, int status) {
    erase_job *j = arg;
    if (status) {
        web_reply_status(j->call, status);
    } else {
        log_conn(LOG_INFO, http_conn_id(j->call->req), "web: employee %lld of tenant %lld %s", (long long)j->call->id,
                 (long long)j->call->p.tenant_id, j->er.already ? "was erased already" : "erased");
        web_reply_empty(j->call, 204);
    }
    free(j);
}

static void employees_erase(web_call *call) {
    erase_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (web_call_submit(call, STORE_WRITE, erase_work, erase_done, j)) free(j);
}

/* ---- POST /api/v1/employees/import ---- */

typedef struct import_job {
    web_call *call;
    const char *data; /* the request's body, alive until the answer */
    size_t len;
    import_report rep;
} import_job;

/* Whether the Content-Type value CT names TYPE (parameters ignored). */
static int media_type_is(const char *ct, const char *type) {
    size_t n = strlen(type);
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, type, n) != 0) return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t') ct++;
    return *ct == '\0' || *ct == ';';
}

static int import_work(store_conn *c, void *arg) {
    import_job *j = arg;
    import_opts o;
    char detail[256];
    import_opts_default(&o);
    o.max_bytes = web__people_import_max;
    /* All or nothing: a failure returned here rolls the job's savepoint back. */
    int rc = import_employees_in_tx(c, j->call->p.tenant_id, j->data, j->len, &o, &j->rep);
    if (rc) return rc;
    snprintf(detail, sizeof detail, "{\"rows\":%zu,\"created\":%zu,\"updated\":%zu,\"unchanged\":%zu}", j->rep.rows,
             j->rep.inserted, j->rep.updated, j->rep.unchanged);
    return audit(c, j->call, "employee.import", 0, detail);
}

static void reply_problems(web_call *call, int status, const import_report *rep) {
    char msg[128];
    json_t *list = json_array();
    for (size_t i = 0; list && i < rep->nkept; i++) {
        const import_problem *p = &rep->problems[i];
        if (json_array_append_new(list, json_pack("{s:I,s:I,s:s}", "line", (json_int_t)p->line, "column",
                                                  (json_int_t)p->column, "message", p->message))) {
            json_decref(list);
            list = NULL;
        }
    }
    snprintf(msg, sizeof msg, "the file has %zu problem%s; nothing was imported", rep->nproblems,
             rep->nproblems == 1 ? "" : "s");
    json_t *root =
        list ? json_pack("{s:{s:s,s:s,s:o,s:I}}", "error", "code", status == 413 ? "too_large" : "invalid_csv",
                         "message", msg, "problems", list, "problems_total", (json_int_t)rep->nproblems)
             : NULL;
    if (!root) {
        web_reply_error(call, 500, "internal", "the answer could not be written");
        return;
    }
    web_reply_value(call, status, root);
    json_decref(root);
}

static void import_done(void *arg, int status) {
    import_job *j = arg;
    web_call *call = j->call;
    imports_held--;
    if (status == HARK_OK) {
        json_t *root =
            json_pack("{s:I,s:I,s:I,s:I}", "rows", (json_int_t)j->rep.rows, "created", (json_int_t)j->rep.inserted,
                      "updated", (json_int_t)j->rep.updated, "unchanged", (json_int_t)j->rep.unchanged);
        log_conn(LOG_INFO, http_conn_id(call->req), "web: tenant %lld imported %zu employee rows",
                 (long long)call->p.tenant_id, j->rep.rows);
        if (root) {
            web_reply_value(call, 200, root);
            json_decref(root);
        } else {
            web_reply_error(call, 500, "internal", "the answer could not be written");
        }
    } else if (j->rep.nproblems) {
        reply_problems(call, status == HARK_ETOOBIG ? 413 : 422, &j->rep);
    } else {
        web_reply_status(call, status);
    }
    import_report_free(&j->rep);
    free(j);
}

static void employees_import(web_call *call) {
    const char *ct = http_header(call->req, "Content-Type");
    if (!ct || !media_type_is(ct, "text/csv")) {
        web_reply_error(call, 415, "unsupported_media_type", "the body must be text/csv (the employee CSV file)");
        return;
    }
    if (imports_held >= PEOPLE_IMPORTS_MAX) {
        web_reply_busy(call);
        return;
    }
    import_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    j->data = http_body(call->req, &j->len);
    if (web_call_submit(call, STORE_WRITE, import_work, import_done, j)) {
        free(j);
        return;
    }
    imports_held++;
}

const web_route web__people_api[] = {
    {"GET", "/api/v1/employees", WEB_ROLES_HR, AUTH_SCOPE_READ_EMPLOYEES, employees_list, NULL,
     "employees: search (q), filters (department, location, status), keyset pages (after, limit), total"},
    {"POST", "/api/v1/employees/import", WEB_ROLES_ADMIN, AUTH_SCOPE_WRITE_EMPLOYEES, employees_import, NULL,
     "import the employee CSV (text/csv, up to 64 MiB), all or nothing"},
    {"GET", "/api/v1/employees/{id}", WEB_ROLES_HR, AUTH_SCOPE_READ_EMPLOYEES, employees_get, NULL, "one employee"},
    {"PATCH", "/api/v1/employees/{id}", WEB_ROLES_ADMIN, AUTH_SCOPE_WRITE_EMPLOYEES, employees_patch, NULL,
     "edit an employee's fields (exit_date records an exit)"},
    {"DELETE", "/api/v1/employees/{id}", WEB_ROLES_ADMIN, AUTH_SCOPE_WRITE_EMPLOYEES, employees_erase, NULL,
     "erase an employee's personal data and answer text (anonymous figures kept)"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
