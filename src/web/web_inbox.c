/* API routes for HR's inbox (web_api.h): the escalations inbox (list, one,
 * update, notes), comments, and people to meet. Roles: owner, admin and
 * hrbp (an hrbp only for employees of the departments in their scope:
 * others are 404 or left out); viewers are refused by the router.
 *
 * Confidentiality decides what identifies an employee. In anonymous mode
 * (the default) nothing does: no name, e-mail or department, and times at
 * day precision (the tenant's local day). In confidential mode the
 * escalation views carry the employee, and every answer that shows one
 * writes an audit row in the same store job, so no identified view goes
 * unrecorded; comments carry identities only on request (identified=1),
 * audited the same way; people to meet exist only in confidential mode.
 *
 * Comments are an aggregate view: the respondents their filter selects must
 * pass the anonymity rule (anon.h) against every broader view the client
 * could ask for (each view obtained by dropping any of the conditions
 * department, location and touchpoint), for the month range and for each
 * month of it (each comment shows its month, so a month is a view too);
 * else no comment is shown. They are ordered by a keyed permutation within
 * each month, newest month first, so their order tells nothing about when
 * they were written, and pages are chained by an encrypted cursor.
 *
 * Answers are built on the store thread (where the tenant's zone may be
 * read from disk the first time), and sent from the loop. */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "core/utf8.h"
#include "nlp/themes.h"
#include "store/admin.h"
#include "store/audit.h"
#include "store/inbox.h"
#include "web/anon.h"
#include "web/web_api.h"
#include "web/web_int.h"

#define ESC_PAGE_DEFAULT    50
#define ESC_PAGE_MAX        100
#define ESC_SCOPED_SCAN     2000 /* rows an hrbp's page may read to find its own */
#define ESC_NOTES_MAX       500  /* notes returned with one escalation */
#define NOTE_TEXT_MAX       4000 /* characters of a note */
#define ESC_BODY_MAX        4096
#define NOTE_BODY_MAX       (NOTE_TEXT_MAX * 6 + 64) /* escapes included */
#define COMMENTS_DEFAULT    50
#define COMMENTS_MAX        200
#define COMMENTS_MONTHS_MAX 36 /* a month range spans at most this many months */
#define COMMENTS_THEMES     10
#define COMMENT_THEMES_MAX  5 /* of the page's themes, listed per comment */
#define PEOPLE_DEFAULT      50
#define PEOPLE_MAX          100
#define PEOPLE_DAYS_DEFAULT 90
#define PEOPLE_DAYS_MAX     366

/* ---- shared ---- */

/* One request's store job: what was asked, and the answer built by the work
 * (OUT, or an error: HTTP, CODE, MSG). */
typedef struct inbox_job {
    web_call *call;
    /* What was asked. */
    char status[16];
    int64_t after;
    size_t limit;
    json_t *body;
    store_inbox_filter f;
    char department[128], location[128];
    int from, to; /* yyyymm; 0: the default */
    double cmin, cmax;
    int identified;
    int has_cursor;
    int cur_month;
    int64_t cur_h, cur_h2;
    int64_t since, before_at, before_id;
    /* The answer. */
    int ok_status;
    json_t *out;
    int http;
    const char *code;
    char msg[200];
} inbox_job;

static inbox_job *job_new(web_call *call) {
    inbox_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return NULL;
    }
    j->call = call;
    j->ok_status = 200;
    return j;
}

static void job_free(inbox_job *j) {
    json_decref(j->body);
    json_decref(j->out);
    free(j);
}

/* Records a refusal for the done callback; returns HARK_OK so a read job
 * ends normally (a write job has written nothing before its checks). */
static int refuse(inbox_job *j, int http, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(inbox_job *j, int http, const char *code, const char *fmt, ...) {
    va_list ap;
    j->http = http;
    j->code = code;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    return HARK_OK;
}

static void job_done(void *arg, int status) {
    inbox_job *j = arg;
    web_call *call = j->call;
    if (status)
        web_reply_status(call, status);
    else if (j->http)
        web_reply_error(call, j->http, j->code, j->msg);
    else if (!j->out)
        web_reply_status(call, HARK_ENOMEM);
    else
        web_reply_value(call, j->ok_status, j->out);
    job_free(j);
}

static void submit(inbox_job *j, int kind, store_work_fn work) {
    if (web_call_submit(j->call, kind, work, job_done, j)) job_free(j);
}

static void bad_request(web_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad_request(web_call *call, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    web_reply_error(call, 400, "bad_request", msg);
}

/* A decimal integer of at most 18 digits, no sign: 0 and *OUT, else -1. */
static int parse_uint(const char *s, int64_t *out) {
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

/* Query parameter NAME as an integer in [MIN, MAX], DEF when absent. 0, or
 * -1 having answered 400 (CALL freed). */
static int int_param(web_call *call, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out) {
    char v[32];
    *out = def;
    int rc = web_call_param(call, name, v, sizeof v);
    if (rc == HARK_EINVAL) return -1;
    if (rc == HARK_ENOTFOUND) return 0;
    if (parse_uint(v, out) || *out < min || *out > max) {
        bad_request(call, "%s: must be an integer from %lld to %lld", name, (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

static int keep_dept(const char *dept, void *arg) {
    return web_dept_allowed(arg, dept);
}

/* The tenant's zone (UTC when its name cannot be loaded). Store thread. */
static const hark_tz *tenant_zone(const store_inbox_tenant *t) {
    const hark_tz *z = NULL;
    if (tz_get(t->timezone, &z) && tz_get("UTC", &z)) return NULL;
    return z;
}

/* "YYYY-MM-DD", the local day of MS in Z. */
static json_t *day_json(const hark_tz *z, int64_t ms) {
    int64_t days;
    int sec;
    char out[11];
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    if (z) {
        tz_to_local(z, s, &days, &sec);
    } else {
        days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    }
    tz_date_format(days, out);
    return json_string(out);
}

/* web_audit, consuming DETAIL. */
static int audit(store_conn *c, const web_principal *p, const char *action, const char *target, json_t *detail) {
    int rc = web_audit(c, p, action, target, detail);
    json_decref(detail);
    return rc;
}

/* ---- escalations ---- */

static int status_known(const char *s) {
    return !strcmp(s, "open") || !strcmp(s, "acknowledged") || !strcmp(s, "resolved");
}

/* An escalation as the API shows it; with IDENTIFIED (confidential mode) the
 * employee and exact times too. New reference, or NULL. */
static json_t *esc_json(const store_inbox_escalation *e, int identified, const hark_tz *z) {
    json_t *o =
        json_pack("{s:I,s:s,s:i,s:s,s:o,s:o,s:o,s:s,s:I}", "id", (json_int_t)e->id, "kind", e->kind, "severity",
                  e->severity, "status", e->status, "assignee",
                  e->assignee_id ? json_pack("{s:I,s:s}", "id", (json_int_t)e->assignee_id, "email", e->assignee_email)
                                 : json_null(),
                  "created_on", day_json(z, e->created_at), "updated_on", day_json(z, e->updated_at), "excerpt",
                  e->excerpt, "notes", (json_int_t)e->notes);
    if (!o) return NULL;
    if (e->excerpt_cut) json_object_set_new(o, "excerpt_truncated", json_true());
    if (identified) {
        json_object_set_new(o, "created_at", json_integer((json_int_t)e->created_at));
        json_object_set_new(o, "updated_at", json_integer((json_int_t)e->updated_at));
        json_object_set_new(o, "touchpoint_id", json_integer((json_int_t)e->touchpoint_id));
        json_object_set_new(o, "employee",
                            e->erased ? json_pack("{s:I,s:b}", "id", (json_int_t)e->employee_id, "erased", 1)
                                      : json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)e->employee_id,
                                                  "first_name", e->first_name, "last_name", e->last_name, "email",
                                                  e->email, "department", e->department, "location", e->location));
    }
    return o;
}

static json_t *note_json(const store_inbox_note *n, int identified, const hark_tz *z) {
    json_t *o = json_pack("{s:I,s:o,s:s,s:o}", "id", (json_int_t)n->id, "author",
                          n->user_id ? json_pack("{s:I,s:s}", "id", (json_int_t)n->user_id, "email", n->user_email)
                                     : json_null(),
                          "text", n->text ? n->text : "", "created_on", day_json(z, n->created_at));
    if (o && identified) json_object_set_new(o, "created_at", json_integer((json_int_t)n->created_at));
    return o;
}

/* GET /api/v1/escalations */

static int esc_list_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    const web_principal *p = &j->call->p;
    store_inbox_tenant t;
    size_t n = 0;
    int64_t resume = 0;
    int rc = store_inbox_tenant_get(c, p->tenant_id, &t);
    if (rc) return rc;
    const hark_tz *z = tenant_zone(&t);
    store_inbox_escalation *v = calloc(j->limit, sizeof *v);
    if (!v) return HARK_ENOMEM;
    int scoped = web_is_scoped(p);
    rc = store_inbox_escalation_list(c, p->tenant_id, j->status, j->after, scoped ? ESC_SCOPED_SCAN : j->limit,
                                     scoped ? keep_dept : NULL, (void *)p, v, j->limit, &n, &resume);
    if (rc) goto out;
    json_t *items = json_array(), *ids = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, esc_json(&v[i], t.confidential, z));
        if (t.confidential && !v[i].erased) json_array_append_new(ids, json_integer((json_int_t)v[i].id));
    }
    int64_t next = n == j->limit ? v[n - 1].id : resume;
    j->out =
        json_pack("{s:o,s:o,s:s}", "items", items, "next_after", next ? json_integer((json_int_t)next) : json_null(),
                  "mode", t.confidential ? "confidential" : "anonymous");
    if (!j->out) {
        json_decref(ids);
        rc = HARK_ENOMEM;
        goto out;
    }
    if (json_array_size(ids))
        rc = audit(c, p, "escalation.view_identified", "escalations", json_pack("{s:o}", "escalations", ids));
    else
        json_decref(ids);
out:
    free(v);
    return rc;
}

static void esc_list(web_call *call) {
    inbox_job *j = job_new(call);
    int64_t after, limit;
    if (!j) return;
    int rc = web_call_param(call, "status", j->status, sizeof j->status);
    if (rc == HARK_EINVAL) goto fail;
    if (rc == HARK_OK && !status_known(j->status)) {
        bad_request(call, "status: must be open, acknowledged or resolved");
        goto fail;
    }
    if (int_param(call, "after", 0, INT64_MAX, 0, &after) ||
        int_param(call, "limit", 1, ESC_PAGE_MAX, ESC_PAGE_DEFAULT, &limit))
        goto fail;
    j->after = after;
    j->limit = (size_t)limit;
    /* A write job: in confidential mode the view is audited with it. */
    submit(j, STORE_WRITE, esc_list_work);
    return;
fail:
    job_free(j);
}

/* Loads escalation call->id into *E, checking an hrbp's scope: HARK_OK,
 * HARK_ENOTFOUND (outside the tenant or the scope), or a store code. */
static int esc_load(store_conn *c, const web_principal *p, int64_t id, store_inbox_escalation *e) {
    int rc = store_inbox_escalation_get(c, p->tenant_id, id, e);
    if (rc == HARK_OK && !web_dept_allowed(p, e->department)) rc = HARK_ENOTFOUND;
    return rc;
}

/* The escalation with its notes; audits an identified view. */
static int esc_render_full(store_conn *c, inbox_job *j, const store_inbox_tenant *t, int audit_view) {
    const web_principal *p = &j->call->p;
    store_inbox_escalation e;
    store_inbox_note *notes = NULL;
    size_t nn = 0;
    int rc = esc_load(c, p, j->call->id, &e);
    if (rc) return rc;
    if ((rc = store_inbox_notes(c, p->tenant_id, e.id, ESC_NOTES_MAX, &notes, &nn))) return rc;
    const hark_tz *z = tenant_zone(t);
    j->out = esc_json(&e, t->confidential, z);
    json_t *arr = json_array();
    for (size_t i = 0; i < nn; i++) json_array_append_new(arr, note_json(&notes[i], t->confidential, z));
    store_inbox_notes_free(notes, nn);
    if (!j->out || json_object_set_new(j->out, "notes_list", arr)) return HARK_ENOMEM;
    if (audit_view && t->confidential && !e.erased) {
        char target[64];
        snprintf(target, sizeof target, "escalation:%lld", (long long)e.id);
        rc = audit(c, p, "escalation.view_identified", target, NULL);
    }
    return rc;
}

static int esc_get_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    store_inbox_tenant t;
    int rc = store_inbox_tenant_get(c, j->call->p.tenant_id, &t);
    if (rc) return rc;
    return esc_render_full(c, j, &t, 1);
}

static void esc_get(web_call *call) {
    inbox_job *j = job_new(call);
    if (j) submit(j, STORE_WRITE, esc_get_work);
}

/* PATCH /api/v1/escalations/{id} */

static int esc_patch_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    const web_principal *p = &j->call->p;
    store_inbox_tenant t;
    store_inbox_escalation e;
    int rc = store_inbox_tenant_get(c, p->tenant_id, &t);
    if (rc || (rc = esc_load(c, p, j->call->id, &e))) return rc;
    json_t *jst = json_object_get(j->body, "status"), *jas = json_object_get(j->body, "assignee_id");
    const char *status = jst ? json_string_value(jst) : NULL;
    int set_assignee = jas != NULL;
    int64_t assignee = json_is_integer(jas) ? (int64_t)json_integer_value(jas) : 0;
    if (assignee > 0) {
        char role[16], scope[1024], email[256];
        int active = 0;
        rc = store_inbox_user(c, p->tenant_id, assignee, role, &active, scope, sizeof scope, email);
        if (rc == HARK_ENOTFOUND || (rc == HARK_OK && (!active || !strcmp(role, "viewer"))))
            return refuse(j, 400, "invalid_assignee",
                          "assignee_id: %lld is not an active owner, admin or hrbp of this tenant",
                          (long long)assignee);
        if (rc) return rc;
        if (!strcmp(role, "hrbp")) {
            web_principal ap;
            memset(&ap, 0, sizeof ap);
            ap.via = WEB_VIA_SESSION;
            snprintf(ap.role, sizeof ap.role, "hrbp");
            snprintf(ap.departments, sizeof ap.departments, "%s", scope);
            if (!web_dept_allowed(&ap, e.department))
                return refuse(j, 400, "invalid_assignee",
                              "assignee_id: %lld is an hrbp whose departments do not include this escalation's",
                              (long long)assignee);
        }
    }
    json_t *detail = json_object();
    if (status && strcmp(status, e.status))
        json_object_set_new(detail, "status", json_pack("{s:s,s:s}", "from", e.status, "to", status));
    if (set_assignee && assignee != e.assignee_id)
        json_object_set_new(detail, "assignee_id",
                            json_pack("{s:o,s:o}", "from",
                                      e.assignee_id ? json_integer((json_int_t)e.assignee_id) : json_null(), "to",
                                      assignee ? json_integer((json_int_t)assignee) : json_null()));
    rc = store_inbox_escalation_update(c, p->tenant_id, e.id, status, set_assignee, assignee, hark_now_ms());
    if (rc) {
        json_decref(detail);
        return rc;
    }
    char target[64];
    snprintf(target, sizeof target, "escalation:%lld", (long long)e.id);
    if ((rc = audit(c, p, "escalation.update", target, detail))) return rc;
    /* The answer as anonymous mode shows it (no identified view to audit). */
    if ((rc = esc_load(c, p, j->call->id, &e))) return rc;
    j->out = esc_json(&e, 0, tenant_zone(&t));
    return HARK_OK;
}

static void esc_patch(web_call *call) {
    inbox_job *j = job_new(call);
    if (!j) return;
    if (!(j->body = web_call_body(call, ESC_BODY_MAX))) {
        free(j);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j->body, key, v) {
        if (strcmp(key, "status") && strcmp(key, "assignee_id")) {
            bad_request(call, "%.64s: unknown field (status and assignee_id can be changed)", key);
            goto fail;
        }
    }
    v = json_object_get(j->body, "status");
    if (v && (!json_is_string(v) || !status_known(json_string_value(v)))) {
        bad_request(call, "status: must be open, acknowledged or resolved");
        goto fail;
    }
    v = json_object_get(j->body, "assignee_id");
    if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) > 0)) {
        bad_request(call, "assignee_id: must be a user id or null");
        goto fail;
    }
    if (json_object_size(j->body) == 0) {
        bad_request(call, "the body must set status or assignee_id");
        goto fail;
    }
    submit(j, STORE_WRITE, esc_patch_work);
    return;
fail:
    job_free(j);
}

/* POST /api/v1/escalations/{id}/notes */

static int note_add_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    const web_principal *p = &j->call->p;
    store_inbox_tenant t;
    store_inbox_escalation e;
    int64_t id = 0, now = hark_now_ms();
    int rc = store_inbox_tenant_get(c, p->tenant_id, &t);
    if (rc || (rc = esc_load(c, p, j->call->id, &e))) return rc;
    const char *text = json_string_value(json_object_get(j->body, "text"));
    if ((rc = store_inbox_note_add(c, p->tenant_id, e.id, p->user_id, text, now, &id))) return rc;
    char target[64];
    snprintf(target, sizeof target, "escalation:%lld", (long long)e.id);
    if ((rc = audit(c, p, "escalation.note", target, json_pack("{s:I}", "note_id", (json_int_t)id)))) return rc;
    store_inbox_note n = {.id = id, .user_id = p->user_id, .text = (char *)text, .created_at = now};
    snprintf(n.user_email, sizeof n.user_email, "%s", p->email);
    j->out = note_json(&n, t.confidential, tenant_zone(&t));
    j->ok_status = 201;
    return HARK_OK;
}

static void note_add(web_call *call) {
    inbox_job *j = job_new(call);
    if (!j) return;
    if (!(j->body = web_call_body(call, NOTE_BODY_MAX))) {
        free(j);
        return;
    }
    json_t *v = json_object_get(j->body, "text");
    const char *key;
    json_t *x;
    json_object_foreach(j->body, key, x) {
        if (strcmp(key, "text")) {
            bad_request(call, "%.64s: unknown field (a note has text only)", key);
            goto fail;
        }
    }
    if (!json_is_string(v)) {
        bad_request(call, "text: required, a string");
        goto fail;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), chars = 0, blank = 1;
    if (memchr(s, '\0', len)) {
        bad_request(call, "text: must not contain NUL characters");
        goto fail;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80) chars++;
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') blank = 0;
    }
    if (blank) {
        bad_request(call, "text: must not be blank");
        goto fail;
    }
    if (chars > NOTE_TEXT_MAX) {
        bad_request(call, "text: at most %d characters (this one has %zu)", NOTE_TEXT_MAX, chars);
        goto fail;
    }
    submit(j, STORE_WRITE, note_add_work);
    return;
fail:
    job_free(j);
}

/* ---- comments ---- */

static int month_valid(int ym) {
    return ym / 100 >= 1970 && ym / 100 <= 9999 && ym % 100 >= 1 && ym % 100 <= 12;
}
static int month_prev(int ym) {
    return ym % 100 == 1 ? (ym / 100 - 1) * 100 + 12 : ym - 1;
}
static int months_between(int from, int to) { /* to - from, in months */
    return (to / 100 - from / 100) * 12 + (to % 100 - from % 100);
}

/* "YYYY-MM" -> yyyymm, or 0. */
static int parse_month(const char *s) {
    if (strlen(s) != 7 || s[4] != '-') return 0;
    int v = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 4) continue;
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    return month_valid(v) ? v : 0;
}

static json_t *month_json(int ym) {
    char b[16];
    snprintf(b, sizeof b, "%04d-%02d", ym / 100, ym % 100);
    return json_string(b);
}

/* The secret keys of a tenant's comment order and of the cursor, derived from
 * the instance key. */
static void order_keys(const web_module *m, int64_t tenant_id, store_inbox_order *ord) {
    unsigned char h[64];
    char msg[64];
    int n = snprintf(msg, sizeof msg, "hark comments order %lld", (long long)tenant_id);
    crypto_generichash(h, sizeof h, (const unsigned char *)msg, (size_t)n, m->key, TOKEN_KEY_BYTES);
    for (int i = 0; i < 8; i++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) v = (v << 8) | h[i * 8 + b];
        ord->k[i] = (int64_t)(v % (uint64_t)(STORE_INBOX_ORDER_P - 1)) + 1;
    }
    sodium_memzero(h, sizeof h);
}

static void cursor_key(const web_module *m, unsigned char key[crypto_secretbox_KEYBYTES]) {
    static const char label[] = "hark comments cursor";
    crypto_generichash(key, crypto_secretbox_KEYBYTES, (const unsigned char *)label, sizeof label - 1, m->key,
                       TOKEN_KEY_BYTES);
}

#define CURSOR_PLAIN 28 /* tenant 8, month 4, h 8, h2 8 */
#define CURSOR_BOX   (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + CURSOR_PLAIN)
#define CURSOR_TEXT  128

static void put64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static json_t *cursor_make(const web_module *m, int64_t tenant_id, int month, int64_t h, int64_t h2) {
    unsigned char key[crypto_secretbox_KEYBYTES], plain[CURSOR_PLAIN], box[CURSOR_BOX];
    char text[CURSOR_TEXT];
    put64(plain, (uint64_t)tenant_id);
    for (int i = 0; i < 4; i++) plain[8 + i] = (unsigned char)((uint32_t)month >> (24 - 8 * i));
    put64(plain + 12, (uint64_t)h);
    put64(plain + 20, (uint64_t)h2);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    cursor_key(m, key);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, sizeof plain, box, key);
    sodium_memzero(key, sizeof key);
    sodium_bin2base64(text, sizeof text, box, sizeof box, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return json_string(text);
}

/* 0 and the position, or -1 for a cursor this server did not make for this
 * tenant. */
static int cursor_open(const web_module *m, int64_t tenant_id, const char *text, int *month, int64_t *h, int64_t *h2) {
    unsigned char key[crypto_secretbox_KEYBYTES], plain[CURSOR_PLAIN], box[CURSOR_BOX];
    size_t n = 0;
    if (sodium_base642bin(box, sizeof box, text, strlen(text), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        n != sizeof box)
        return -1;
    cursor_key(m, key);
    int rc = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                        sizeof box - crypto_secretbox_NONCEBYTES, box, key);
    sodium_memzero(key, sizeof key);
    if (rc || (int64_t)get64(plain) != tenant_id) return -1;
    *month = (int)((uint32_t)plain[8] << 24 | (uint32_t)plain[9] << 16 | (uint32_t)plain[10] << 8 | plain[11]);
    *h = (int64_t)get64(plain + 12);
    *h2 = (int64_t)get64(plain + 20);
    return month_valid(*month) ? 0 : -1;
}

static const char *sentiment_label(double compound) {
    if (compound <= STORE_INBOX_NEGATIVE_MAX) return "negative";
    if (compound >= STORE_INBOX_POSITIVE_MIN) return "positive";
    return "neutral";
}

/* The respondents of the views around F, per month: N[m][s] for each subset
 * S of F's conditions (bits as store_inbox_cellsum.match), months indexed
 * from F->to backwards. */
typedef struct view_counts {
    int months;
    int64_t (*n)[8];
} view_counts;

/* Whether a view of counts N (indexed by condition subsets, FULL the
 * filter's own) passes: "" when it does, else the reason code. */
static const char *views_ok(const int64_t n[8], unsigned full, int k) {
    for (unsigned s = 0; s < 8; s++) {
        if ((s & full) != s || s == full) continue;
        if (!anon_filter_ok(n[full], n[s], k))
            return anon_reason_code(n[full] > 0 && n[full] < anon_k_clamp(k) ? ANON_PRIMARY : ANON_PARENT);
    }
    if (!anon_filter_ok(n[full], n[full], k)) return anon_reason_code(ANON_PRIMARY);
    return "";
}

/* Per comment, the page's themes it uses (at most COMMENT_THEMES_MAX). */
static json_t *comment_themes(const store_inbox_comment *cm, const nlp_theme *top, size_t ntop) {
    json_t *arr = json_array();
    nlp_themes *one = nlp_themes_new(256);
    if (!one || !arr) {
        nlp_themes_free(one);
        return arr;
    }
    nlp_themes_add(one, cm->text, strlen(cm->text), cm->compound);
    nlp_theme mine[256];
    size_t nm = nlp_themes_top(one, mine, 256, 1);
    for (size_t i = 0; i < ntop && json_array_size(arr) < COMMENT_THEMES_MAX; i++)
        for (size_t x = 0; x < nm; x++)
            if (!strcmp(top[i].term, mine[x].term)) {
                json_array_append_new(arr, json_string(top[i].term));
                break;
            }
    nlp_themes_free(one);
    return arr;
}

static int comments_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    const web_principal *p = &j->call->p;
    store_inbox_tenant t;
    int rc = store_inbox_tenant_get(c, p->tenant_id, &t);
    if (rc) return rc;
    int k = anon_k_clamp(t.anon_k);
    if (j->identified && !t.confidential)
        return refuse(j, 403, "anonymous_mode", "identified: this tenant is in anonymous mode");
    const hark_tz *z = tenant_zone(&t);
    store_inbox_filter f = j->f;
    if (!f.to) {
        int64_t days;
        int sec, y, mo, d;
        if (z)
            tz_to_local(z, hark_now_ms() / 1000, &days, &sec);
        else
            days = hark_now_ms() / 86400000;
        tz_civil_from_days(days, &y, &mo, &d);
        f.to = y * 100 + mo;
    }
    if (!f.from) {
        f.from = f.to;
        for (int i = 0; i < 11; i++) f.from = month_prev(f.from);
    }
    if (f.from > f.to) return refuse(j, 400, "bad_request", "from: must not be after to");
    int months = months_between(f.from, f.to) + 1;
    if (months > COMMENTS_MONTHS_MAX)
        return refuse(j, 400, "bad_request", "from, to: at most %d months", COMMENTS_MONTHS_MAX);
    unsigned full = (f.department ? 1u : 0u) | (f.location ? 2u : 0u) | (f.touchpoint_id ? 4u : 0u);

    /* The anonymity check, per month and for the range. */
    size_t cap = (size_t)months * 8, ns = 0;
    store_inbox_cellsum *sums = calloc(cap, sizeof *sums);
    int64_t(*per)[8] = calloc((size_t)months + 1, sizeof *per); /* [0]: the range; [1 + i]: month to - i */
    store_inbox_comment *v = calloc(j->limit, sizeof *v);
    json_t *items = NULL, *hidden_months = json_array();
    nlp_themes *th = NULL;
    web_dash_gate *gate = NULL;
    size_t nv = 0;
    if (!sums || !per || !v || !hidden_months) {
        rc = HARK_ENOMEM;
        goto out;
    }
    if ((rc = store_inbox_cellsums(c, p->tenant_id, &f, sums, cap, &ns))) goto out;
    for (size_t i = 0; i < ns; i++) {
        int mi = months_between(sums[i].month, f.to);
        if (mi < 0 || mi >= months) continue;
        for (unsigned s = 0; s < 8; s++) {
            if ((s & full) != s || (sums[i].match & s) != s) continue;
            per[0][s] += sums[i].started;
            per[1 + mi][s] += sums[i].started;
        }
    }
    if (!j->identified) {
        const char *why = views_ok(per[0], full, k);
        /* And the dashboard's rules for the same group: siblings, the
         * period grid (a comment list is a group's figures too). */
        if (!*why && !(gate = web_dash_gate_new(p, f.department, f.location, f.touchpoint_id))) rc = HARK_ENOMEM;
        if (!*why && !rc && !(rc = web_dash_gate_check(c, gate, f.from, f.to, &why)) && !why) why = "";
        if (rc) goto out;
        if (*why) {
            j->out = json_pack("{s:s,s:[]}", "hidden", why, "items");
            goto out;
        }
    }

    /* The page: months from the newest (or the cursor's) backwards. */
    store_inbox_order ord;
    order_keys(j->call->m, p->tenant_id, &ord);
    double cmin = j->cmin, cmax = j->cmax;
    int start = j->has_cursor ? j->cur_month : f.to;
    int last_month = 0;
    int64_t last_h = -1, last_h2 = -1;
    for (int mi = 0; mi < months; mi++) {
        int month = f.to;
        for (int x = 0; x < mi; x++) month = month_prev(month);
        if (month > start) continue;
        if (per[1 + mi][full] == 0) continue;
        const char *gate_why = NULL;
        if (!j->identified && !*views_ok(per[1 + mi], full, k) &&
            (rc = web_dash_gate_check(c, gate, month, month, &gate_why)))
            goto out;
        if (!j->identified && (*views_ok(per[1 + mi], full, k) || gate_why)) {
            json_array_append_new(hidden_months, month_json(month));
            continue;
        }
        if (nv == j->limit) {
            /* More months with comments may follow: the cursor says where. */
            break;
        }
        int64_t ah = -1, ah2 = -1;
        if (j->has_cursor && month == j->cur_month) ah = j->cur_h, ah2 = j->cur_h2;
        size_t got = 0;
        rc = store_inbox_comments(c, p->tenant_id, &f, month, cmin, cmax, &ord, ah, ah2, v + nv, j->limit - nv, &got);
        if (rc) goto out;
        nv += got;
        if (got) last_month = month, last_h = v[nv - 1].h, last_h2 = v[nv - 1].h2;
    }

    /* Themes of the page, then the comments. */
    nlp_theme top[COMMENTS_THEMES];
    size_t ntop = 0;
    if (!(th = nlp_themes_new(0))) {
        rc = HARK_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nv; i++) nlp_themes_add(th, v[i].text, strlen(v[i].text), v[i].compound);
    ntop = nlp_themes_top(th, top, COMMENTS_THEMES, 2);
    json_t *themes = json_array();
    for (size_t i = 0; i < ntop; i++)
        json_array_append_new(themes,
                              json_pack("{s:s,s:b,s:I,s:f}", "term", top[i].term, "phrase", top[i].phrase, "count",
                                        (json_int_t)top[i].count, "sentiment", round(top[i].sentiment * 1e4) / 1e4));
    items = json_array();
    for (size_t i = 0; i < nv; i++) {
        const store_inbox_comment *cm = &v[i];
        json_t *o = json_pack("{s:o,s:I,s:s,s:s,s:{s:f,s:s},s:o}", "month", month_json(cm->month), "touchpoint_id",
                              (json_int_t)cm->touchpoint_id, "question", cm->question_key, "text", cm->text,
                              "sentiment", "compound", round(cm->compound * 1e4) / 1e4, "label",
                              sentiment_label(cm->compound), "themes", comment_themes(cm, top, ntop));
        if (o && j->identified) {
            json_object_set_new(o, "created_at", json_integer((json_int_t)cm->created_at));
            json_object_set_new(o, "employee",
                                cm->erased
                                    ? json_pack("{s:I,s:b}", "id", (json_int_t)cm->employee_id, "erased", 1)
                                    : json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)cm->employee_id,
                                                "first_name", cm->first_name, "last_name", cm->last_name, "email",
                                                cm->email, "department", cm->department, "location", cm->location));
        }
        json_array_append_new(items, o);
    }
    json_t *next =
        nv == j->limit && last_month ? cursor_make(j->call->m, p->tenant_id, last_month, last_h, last_h2) : json_null();
    j->out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "from", month_json(f.from), "to", month_json(f.to), "items", items,
                       "themes", themes, "hidden_months", hidden_months, "next", next);
    items = hidden_months = NULL;
    if (!j->out) {
        rc = HARK_ENOMEM;
        goto out;
    }
    if (j->identified) {
        json_t *detail =
            json_pack("{s:I,s:o,s:o}", "comments", (json_int_t)nv, "from", month_json(f.from), "to", month_json(f.to));
        if (f.department) json_object_set_new(detail, "department", json_string(f.department));
        if (f.location) json_object_set_new(detail, "location", json_string(f.location));
        if (f.touchpoint_id) json_object_set_new(detail, "touchpoint_id", json_integer((json_int_t)f.touchpoint_id));
        rc = audit(c, p, "comments.view_identified", "comments", detail);
    }
out:
    web_dash_gate_free(gate);
    json_decref(items);
    json_decref(hidden_months);
    nlp_themes_free(th);
    if (v) store_inbox_comments_free(v, nv);
    free(v);
    free(per);
    free(sums);
    return rc;
}

/* The number of departments in an hrbp's scope; *FIRST gets the first. */
static int scope_count(const web_principal *p, char *first, size_t cap) {
    int n = 0;
    first[0] = '\0';
    for (const char *s = p->departments; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len) {
            if (!n && len < cap) {
                memcpy(first, s, len);
                first[len] = '\0';
            }
            n++;
        }
        if (!e) break;
        s = e + 1;
    }
    return n;
}

static void comments(web_call *call) {
    inbox_job *j = job_new(call);
    char v[CURSOR_TEXT];
    int64_t n;
    if (!j) return;
    int rc = web_call_param(call, "from", v, sizeof v);
    if (rc == HARK_EINVAL) goto fail;
    if (rc == HARK_OK && !(j->f.from = parse_month(v))) {
        bad_request(call, "from: must be a month YYYY-MM");
        goto fail;
    }
    if ((rc = web_call_param(call, "to", v, sizeof v)) == HARK_EINVAL) goto fail;
    if (rc == HARK_OK && !(j->f.to = parse_month(v))) {
        bad_request(call, "to: must be a month YYYY-MM");
        goto fail;
    }
    if (j->f.from && !j->f.to) {
        bad_request(call, "to: required with from");
        goto fail;
    }
    if ((rc = web_call_param(call, "department", j->department, sizeof j->department)) == HARK_EINVAL) goto fail;
    if (rc == HARK_OK && j->department[0]) j->f.department = j->department;
    if ((rc = web_call_param(call, "location", j->location, sizeof j->location)) == HARK_EINVAL) goto fail;
    if (rc == HARK_OK && j->location[0]) j->f.location = j->location;
    if (int_param(call, "touchpoint", 1, INT64_MAX, 0, &n)) goto fail;
    j->f.touchpoint_id = n;
    j->cmin = -2;
    j->cmax = 2;
    if ((rc = web_call_param(call, "sentiment", v, sizeof v)) == HARK_EINVAL) goto fail;
    if (rc == HARK_OK) {
        if (!strcmp(v, "negative")) {
            j->cmax = STORE_INBOX_NEGATIVE_MAX;
        } else if (!strcmp(v, "positive")) {
            j->cmin = STORE_INBOX_POSITIVE_MIN;
        } else if (!strcmp(v, "neutral")) {
            j->cmin = nextafter(STORE_INBOX_NEGATIVE_MAX, 0);
            j->cmax = nextafter(STORE_INBOX_POSITIVE_MIN, 0);
        } else {
            bad_request(call, "sentiment: must be negative, positive or neutral");
            goto fail;
        }
    }
    if (int_param(call, "limit", 1, COMMENTS_MAX, COMMENTS_DEFAULT, &n)) goto fail;
    j->limit = (size_t)n;
    if (int_param(call, "identified", 0, 1, 0, &n)) goto fail;
    j->identified = (int)n;
    if (j->identified && call->p.via != WEB_VIA_SESSION) {
        web_reply_error(call, 403, "forbidden", "identified: for signed-in owners, admins and hrbps only");
        goto fail;
    }
    if ((rc = web_call_param(call, "after", v, sizeof v)) == HARK_EINVAL) goto fail;
    if (rc == HARK_OK) {
        if (cursor_open(call->m, call->p.tenant_id, v, &j->cur_month, &j->cur_h, &j->cur_h2)) {
            bad_request(call, "after: not a cursor of this listing (use the next value of a previous page)");
            goto fail;
        }
        j->has_cursor = 1;
    }
    if (web_is_scoped(&call->p)) {
        char first[128];
        int nd = scope_count(&call->p, first, sizeof first);
        if (!j->f.department && nd == 1) {
            memcpy(j->department, first, sizeof j->department);
            j->f.department = j->department;
        }
        if (!j->f.department) {
            bad_request(call, "department: required for an hrbp with several departments");
            goto fail;
        }
        if (!web_dept_allowed(&call->p, j->f.department)) {
            web_reply_error(call, 403, "forbidden", "department: not one of your departments");
            goto fail;
        }
    }
    submit(j, j->identified ? STORE_WRITE : STORE_READ, comments_work);
    return;
fail:
    job_free(j);
}

/* ---- people to meet ---- */

static int people_work(store_conn *c, void *arg) {
    inbox_job *j = arg;
    const web_principal *p = &j->call->p;
    store_inbox_tenant t;
    size_t n = 0;
    int64_t next_at = 0, next_id = 0;
    int rc = store_inbox_tenant_get(c, p->tenant_id, &t);
    if (rc) return rc;
    if (!t.confidential) return refuse(j, 403, "anonymous_mode", "people to meet are shown in confidential mode only");
    const hark_tz *z = tenant_zone(&t);
    store_inbox_person *v = calloc(j->limit, sizeof *v);
    if (!v) return HARK_ENOMEM;
    int scoped = web_is_scoped(p);
    rc = store_inbox_people(c, p->tenant_id, j->since, j->before_at, j->before_id, scoped ? keep_dept : NULL, (void *)p,
                            v, j->limit, &n, &next_at, &next_id);
    if (rc) goto out;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const store_inbox_person *x = &v[i];
        json_t *reasons = json_array();
        if (x->has_mood) json_array_append_new(reasons, json_pack("{s:s,s:f}", "kind", "low_mood", "mood", x->mood));
        if (x->has_comment)
            json_array_append_new(reasons, json_pack("{s:s,s:f}", "kind", "negative_comment", "compound",
                                                     round(x->compound * 1e4) / 1e4));
        json_array_append_new(
            items, json_pack("{s:{s:I,s:s,s:s,s:s,s:s,s:s},s:{s:I,s:s},s:o,s:I,s:o}", "employee", "id",
                             (json_int_t)x->employee_id, "first_name", x->first_name, "last_name", x->last_name,
                             "email", x->email, "department", x->department, "location", x->location, "touchpoint",
                             "id", (json_int_t)x->touchpoint_id, "name", x->touchpoint, "date",
                             day_json(z, x->started_at), "started_at", (json_int_t)x->started_at, "reasons", reasons));
    }
    json_t *next = json_null();
    if (next_id) {
        char b[48];
        snprintf(b, sizeof b, "%lld.%lld", (long long)next_at, (long long)next_id);
        json_decref(next);
        next = json_string(b);
    }
    j->out = json_pack("{s:o,s:o}", "items", items, "next", next);
    if (!j->out) {
        rc = HARK_ENOMEM;
        goto out;
    }
    rc = audit(c, p, "people.view", "people_to_meet", json_pack("{s:I}", "people", (json_int_t)n));
out:
    free(v);
    return rc;
}

static void people(web_call *call) {
    inbox_job *j = job_new(call);
    int64_t days, limit;
    char v[64];
    if (!j) return;
    if (int_param(call, "days", 1, PEOPLE_DAYS_MAX, PEOPLE_DAYS_DEFAULT, &days) ||
        int_param(call, "limit", 1, PEOPLE_MAX, PEOPLE_DEFAULT, &limit))
        goto fail;
    j->limit = (size_t)limit;
    j->since = hark_now_ms() - days * 86400000LL;
    int rc = web_call_param(call, "after", v, sizeof v);
    if (rc == HARK_EINVAL) goto fail;
    if (rc == HARK_OK) {
        char *dot = strchr(v, '.');
        if (dot) *dot = '\0';
        if (!dot || parse_uint(v, &j->before_at) || parse_uint(dot + 1, &j->before_id) || !j->before_id) {
            bad_request(call, "after: not a cursor of this listing (use the next value of a previous page)");
            goto fail;
        }
    }
    submit(j, STORE_WRITE, people_work);
    return;
fail:
    job_free(j);
}

/* ---- who can be assigned ---- */

#define ASSIGNEES_MAX 500

typedef struct assignees_job {
    web_call *call;
    store_admin_user rows[ASSIGNEES_MAX];
    size_t n;
} assignees_job;

static int assignees_work(store_conn *c, void *arg) {
    assignees_job *j = arg;
    return store_admin_user_list(c, j->call->p.tenant_id, 0, j->rows, ASSIGNEES_MAX, &j->n);
}

static void assignees_done(void *arg, int status) {
    assignees_job *j = arg;
    web_call *call = j->call;
    json_t *arr = status ? NULL : json_array();
    for (size_t i = 0; arr && i < j->n; i++) {
        const store_admin_user *u = &j->rows[i];
        if (u->disabled_at || !strcmp(u->role, "viewer")) continue;
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u->id, "email", u->email, "role", u->role));
    }
    if (status) {
        web_reply_status(call, status);
    } else {
        json_t *root = json_pack("{s:o}", "assignees", arr);
        web_reply_value(call, 200, root);
        json_decref(root);
    }
    free(j);
}

/* GET /api/v1/escalations/assignees: the active owners, admins and hrbps an
 * escalation can be given to (ids and e-mails only), for every HR role. */
static void assignees(web_call *call) {
    assignees_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (web_call_submit(call, STORE_READ, assignees_work, assignees_done, j)) free(j);
}

const web_route web__inbox_api[] = {
    {"GET", "/api/v1/escalations/assignees", WEB_ROLES_HR, AUTH_SCOPE_READ_ESCALATIONS, assignees, NULL,
     "the owners, admins and hrbps an escalation can be assigned to"},
    {"GET", "/api/v1/escalations", WEB_ROLES_HR, AUTH_SCOPE_READ_ESCALATIONS, esc_list, NULL,
     "the escalations inbox: status, assignee, flagged excerpt, notes count"},
    {"GET", "/api/v1/escalations/{id}", WEB_ROLES_HR, AUTH_SCOPE_READ_ESCALATIONS, esc_get, NULL,
     "one escalation with its notes"},
    {"PATCH", "/api/v1/escalations/{id}", WEB_ROLES_HR, AUTH_SCOPE_WRITE_ESCALATIONS, esc_patch, NULL,
     "acknowledge, resolve or reopen an escalation; assign it"},
    {"POST", "/api/v1/escalations/{id}/notes", WEB_ROLES_HR, AUTH_SCOPE_WRITE_ESCALATIONS, note_add, NULL,
     "add a note to an escalation"},
    {"GET", "/api/v1/comments", WEB_ROLES_HR, AUTH_SCOPE_READ_COMMENTS, comments, NULL,
     "comments with sentiment and themes, for groups of at least k respondents"},
    {"GET", "/api/v1/people-to-meet", WEB_ROLES_HR, WEB_SESSION_ONLY, people, NULL,
     "employees whose latest conversation was low (confidential mode only)"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
