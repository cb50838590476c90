/* SQLite queries for tenants, users, employees, flows, touchpoints and
 * invites (the contracts are in store.h). store.c has already checked the
 * arguments and opened the transaction or savepoint that makes each write
 * atomic, so a function here may run several statements and simply return
 * on the first failure. Conversations are in sqlite_chat.c. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/sqlite_int.h"

/* Runs a one-integer query with a tenant id and an optional second integer
 * parameter; HARK_ENOTFOUND when there is no row. */
static int query_i64(struct sq_conn *c, enum sq_stmt id, int64_t p1, const int64_t *p2, int64_t *out, const char *op) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, p1);
    if (p2) sq_bind_i64(&b, *p2);
    rc = sq_step(c, st, &b, op);
    if (rc == 1) *out = sqlite3_column_int64(st, 0);
    if (rc == 0) rc = HARK_ENOTFOUND;
    return sq_finish(st, rc);
}

/* ---- tenants and users ---- */

int sq_tenant_create(store_conn *base, store_tenant *t) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TENANT_INSERT, &rc);
    if (!st) return rc;
    if (!t->timezone[0]) memcpy(t->timezone, "UTC", 4);
    sq_bind_init(&b, st);
    sq_bind_text(&b, t->slug);
    sq_bind_text(&b, t->name);
    sq_bind_text(&b, t->timezone);
    sq_bind_i64(&b, hark_now_ms());
    rc = sq_step(c, st, &b, "tenant_create");
    if (rc == 0) t->id = sqlite3_last_insert_rowid(c->db);
    return sq_finish(st, rc);
}

int sq_read_tenant(sqlite3_stmt *st, store_tenant *out) {
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    int rc = SQ_FIELD(st, 1, out->slug);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 2, out->name);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 3, out->timezone);
    store_schedule *sc = &out->sched;
    sc->send_minute = sqlite3_column_int(st, 4);
    sc->quiet_start = sqlite3_column_int(st, 5);
    sc->quiet_end = sqlite3_column_int(st, 6);
    sc->working_days = sqlite3_column_int(st, 7);
    sc->frequency_cap_days = sqlite3_column_int(st, 8);
    sc->reminders = sqlite3_column_int(st, 9);
    sc->reminder_hours = sqlite3_column_int(st, 10);
    sc->invite_ttl_days = sqlite3_column_int(st, 11);
    sc->mail_rate = sqlite3_column_int(st, 12);
    return rc;
}

static int tenant_query(struct sq_conn *c, enum sq_stmt id, int64_t key, const char *slug, store_tenant *out) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    if (slug)
        sq_bind_text(&b, slug);
    else
        sq_bind_i64(&b, key);
    rc = sq_step(c, st, &b, "tenant_get");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) rc = sq_read_tenant(st, out);
    return sq_finish(st, rc);
}

int sq_tenant_get(store_conn *c, int64_t id, store_tenant *out) {
    return tenant_query(sq(c), SQ_TENANT_GET, id, NULL, out);
}

int sq_tenant_by_slug(store_conn *c, const char *slug, store_tenant *out) {
    return tenant_query(sq(c), SQ_TENANT_BY_SLUG, 0, slug, out);
}

int sq_user_create(store_conn *base, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                   int64_t *id) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_USER_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, email);
    sq_bind_text(&b, pwhash);
    sq_bind_text(&b, role);
    sq_bind_i64(&b, hark_now_ms());
    rc = sq_step(c, st, &b, "user_create");
    if (rc == 0 && id) *id = sqlite3_last_insert_rowid(c->db);
    return sq_finish(st, rc);
}

/* ---- employees ---- */

/* The id of the employee whose external id is EXTERNAL_ID (when not NULL) or
 * whose email is EMAIL; in the second case STORED_EXT receives that row's
 * external id.
 * HARK_ENOTFOUND when none. */
static int employee_find(struct sq_conn *c, int64_t tenant_id, const char *external_id, const char *email, int64_t *id,
                         char *stored_ext, size_t extcap) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, external_id ? SQ_EMP_ID_BY_EXTERNAL : SQ_EMP_ID_BY_EMAIL, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, external_id ? external_id : email);
    rc = sq_step(c, st, &b, "employee_upsert");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        *id = sqlite3_column_int64(st, 0);
        rc = external_id ? HARK_OK : sq_col_text(st, 1, stored_ext, extcap);
    }
    return sq_finish(st, rc);
}

static void bind_employee_fields(struct sq_bind *b, const store_employee *e, const char *external_id) {
    sq_bind_text(b, external_id);
    sq_bind_text(b, e->email);
    sq_bind_text(b, e->first_name);
    sq_bind_text(b, e->last_name);
    sq_bind_text(b, e->department);
    sq_bind_text(b, e->location);
    sq_bind_text(b, e->manager_email);
    sq_bind_text(b, e->hire_date);
    sq_bind_text(b, e->exit_date);
    sq_bind_text(b, e->timezone);
    sq_bind_text(b, e->status[0] ? e->status : "active");
}

/* Matching: by external id when it is given; else, or when no row has it, by
 * email — but a row found by email that already has a different external id
 * is another person, so the email clash is reported (HARK_EEXISTS). An empty
 * external id in E keeps the stored one. */
int sq_employee_upsert(store_conn *base, store_employee *e) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    char stored_ext[sizeof e->external_id] = "";
    int64_t id = 0, now = hark_now_ms();
    int rc = HARK_ENOTFOUND;
    if (e->external_id[0])
        rc = employee_find(c, e->tenant_id, e->external_id, NULL, &id, stored_ext, sizeof stored_ext);
    if (rc == HARK_ENOTFOUND) {
        rc = employee_find(c, e->tenant_id, NULL, e->email, &id, stored_ext, sizeof stored_ext);
        if (rc == HARK_OK && e->external_id[0] && stored_ext[0]) return HARK_EEXISTS;
    }
    if (rc != HARK_OK && rc != HARK_ENOTFOUND) return rc;
    const char *ext = e->external_id[0] ? e->external_id : stored_ext;

    sqlite3_stmt *st = sq_stmt(c, id ? SQ_EMP_UPDATE : SQ_EMP_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    if (id) {
        bind_employee_fields(&b, e, ext);
        sq_bind_i64(&b, now);
        sq_bind_i64(&b, e->tenant_id);
        sq_bind_i64(&b, id);
    } else {
        sq_bind_i64(&b, e->tenant_id);
        bind_employee_fields(&b, e, ext);
        sq_bind_i64(&b, now);
        sq_bind_i64(&b, now);
    }
    rc = sq_step(c, st, &b, "employee_upsert");
    if (rc == 0) e->id = id ? id : sqlite3_last_insert_rowid(c->db);
    return sq_finish(st, rc);
}

/* Reads the employee row under ST's cursor into OUT. */
static int employee_row(sqlite3_stmt *st, store_employee *out) {
    int rc;
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->tenant_id = sqlite3_column_int64(st, 1);
    rc = SQ_FIELD(st, 2, out->external_id);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 3, out->email);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 4, out->first_name);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 5, out->last_name);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 6, out->department);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 7, out->location);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 8, out->manager_email);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 9, out->hire_date);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 10, out->exit_date);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 11, out->timezone);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 12, out->status);
    return rc;
}

static int employee_query(struct sq_conn *c, enum sq_stmt id, int64_t tenant_id, int64_t key, const char *email,
                          store_employee *out) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    if (email)
        sq_bind_text(&b, email);
    else
        sq_bind_i64(&b, key);
    rc = sq_step(c, st, &b, "employee_get");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) rc = employee_row(st, out);
    return sq_finish(st, rc);
}

int sq_employee_list(store_conn *base, int64_t tenant_id, int64_t after_id, store_employee *out, size_t max,
                     size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    *n = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_EMP_LIST, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, after_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "employee_list")) == 1 && *n < max) {
        if ((rc = employee_row(st, &out[*n])) != HARK_OK) break;
        (*n)++;
    }
    return sq_finish(st, rc);
}

int sq_employee_get(store_conn *c, int64_t tenant_id, int64_t id, store_employee *out) {
    return employee_query(sq(c), SQ_EMP_GET, tenant_id, id, NULL, out);
}

int sq_employee_by_email(store_conn *c, int64_t tenant_id, const char *email, store_employee *out) {
    return employee_query(sq(c), SQ_EMP_BY_EMAIL, tenant_id, 0, email, out);
}

int sq_employee_count(store_conn *c, int64_t tenant_id, int64_t *count) {
    return query_i64(sq(c), SQ_EMP_COUNT, tenant_id, NULL, count, "employee_count");
}

/* ---- flows ---- */

int sq_flow_put(store_conn *base, int64_t tenant_id, const char *name, int version, const char *json, int64_t *id) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t n = 0;
    int rc = HARK_OK;
    if (tenant_id != 0) {
        rc = query_i64(c, SQ_TENANT_EXISTS, tenant_id, NULL, &n, "flow_put");
        if (rc == HARK_OK && n == 0) rc = HARK_ENOTFOUND;
        if (rc) return rc;
    }
    sqlite3_stmt *st = sq_stmt(c, SQ_FLOW_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, name);
    sq_bind_i64(&b, version);
    sq_bind_text(&b, json);
    sq_bind_i64(&b, hark_now_ms());
    rc = sq_finish(st, sq_step(c, st, &b, "flow_put"));
    if (rc == HARK_OK && id) *id = sqlite3_last_insert_rowid(c->db);
    if (rc != HARK_EEXISTS || !id) return rc;

    /* Report the existing version's id. */
    st = sq_stmt(c, SQ_FLOW_ID, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, name);
    sq_bind_i64(&b, version);
    rc = sq_step(c, st, &b, "flow_put");
    if (rc == 1) *id = sqlite3_column_int64(st, 0);
    rc = sq_finish(st, rc);
    return rc ? rc : HARK_EEXISTS;
}

static int flow_query(struct sq_conn *c, enum sq_stmt id, int64_t tenant_id, int64_t key, const char *name,
                      store_flow *out) {
    int rc;
    struct sq_bind b;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    if (name) {
        sq_bind_i64(&b, tenant_id);
        sq_bind_text(&b, name);
    } else {
        sq_bind_i64(&b, key);
        sq_bind_i64(&b, tenant_id);
    }
    rc = sq_step(c, st, &b, "flow_get");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(st, 0);
        out->tenant_id = sqlite3_column_int64(st, 1);
        rc = SQ_FIELD(st, 2, out->name);
        out->version = sqlite3_column_int(st, 3);
        if (rc == HARK_OK) rc = sq_col_dup(st, 4, 0, &out->json);
    }
    return sq_finish(st, rc);
}

int sq_flow_get(store_conn *c, int64_t tenant_id, int64_t id, store_flow *out) {
    return flow_query(sq(c), SQ_FLOW_GET, tenant_id, id, NULL, out);
}

int sq_flow_latest(store_conn *c, int64_t tenant_id, const char *name, store_flow *out) {
    return flow_query(sq(c), SQ_FLOW_LATEST, tenant_id, 0, name, out);
}

/* ---- touchpoints ---- */

int sq_touchpoint_put(store_conn *base, store_touchpoint *t) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms();
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TP_UPSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, t->tenant_id);
    sq_bind_text(&b, t->name);
    sq_bind_text(&b, t->kind);
    sq_bind_text(&b, t->flow_name);
    sq_bind_text(&b, t->rule[0] ? t->rule : "{}");
    sq_bind_i64(&b, t->active ? 1 : 0);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    rc = sq_step(c, st, &b, "touchpoint_put");
    if (rc == 1) t->id = sqlite3_column_int64(st, 0);
    return sq_finish(st, rc);
}

int sq_touchpoint_by_name(store_conn *base, int64_t tenant_id, const char *name, store_touchpoint *out) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TP_BY_NAME, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, name);
    rc = sq_step(c, st, &b, "touchpoint_by_name");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) rc = sq_read_touchpoint(st, out);
    return sq_finish(st, rc);
}

int sq_read_touchpoint(sqlite3_stmt *st, store_touchpoint *out) {
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->tenant_id = sqlite3_column_int64(st, 1);
    int rc = SQ_FIELD(st, 2, out->name);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 3, out->kind);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 4, out->flow_name);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 5, out->rule);
    out->active = sqlite3_column_int(st, 6);
    return rc;
}

/* ---- invites ---- */

static int read_invite(sqlite3_stmt *st, store_invite *out) {
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->tenant_id = sqlite3_column_int64(st, 1);
    out->employee_id = sqlite3_column_int64(st, 2);
    out->touchpoint_id = sqlite3_column_int64(st, 3);
    out->flow_id = sqlite3_column_int64(st, 4);
    int rc = SQ_FIELD(st, 5, out->occurrence);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 6, out->status);
    out->created_at = sqlite3_column_int64(st, 7);
    out->expires_at = sqlite3_column_int64(st, 8);
    out->send_at = sqlite3_column_int64(st, 9);
    out->sent_at = sqlite3_column_int64(st, 10);
    out->reminders = sqlite3_column_int(st, 11);
    return rc;
}

int sq_flow_visible(struct sq_conn *c, int64_t tenant_id, int64_t flow_id, const char *op) {
    int64_t n = 0;
    int rc = query_i64(c, SQ_FLOW_VISIBLE, flow_id, &tenant_id, &n, op);
    return rc ? rc : n ? HARK_OK : HARK_ENOTFOUND;
}

int sq_invite_create(store_conn *base, store_invite *inv) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms();
    int rc = sq_flow_visible(c, inv->tenant_id, inv->flow_id, "invite_create");
    if (rc) return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_INV_INSERT, &rc);
    if (!st) return rc;
    if (!inv->status[0]) memcpy(inv->status, "planned", 8);
    if (!inv->created_at) inv->created_at = now;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, inv->tenant_id);
    sq_bind_i64(&b, inv->employee_id);
    sq_bind_i64(&b, inv->touchpoint_id);
    sq_bind_i64(&b, inv->flow_id);
    sq_bind_text(&b, inv->occurrence);
    sq_bind_text(&b, inv->status);
    sq_bind_i64(&b, inv->created_at);
    sq_bind_i64(&b, inv->expires_at);
    sq_bind_i64(&b, now);
    /* A manual invite leaves when it is made: status counts group by send_at. */
    sq_bind_i64(&b, inv->send_at ? inv->send_at : inv->created_at);
    rc = sq_finish(st, sq_step(c, st, &b, "invite_create"));
    if (rc == HARK_OK) inv->id = sqlite3_last_insert_rowid(c->db);
    if (rc != HARK_EEXISTS) return rc;

    /* Report the invite that holds this employee x touchpoint x occurrence. */
    st = sq_stmt(c, SQ_INV_BY_KEY, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, inv->tenant_id);
    sq_bind_i64(&b, inv->employee_id);
    sq_bind_i64(&b, inv->touchpoint_id);
    sq_bind_text(&b, inv->occurrence);
    rc = sq_step(c, st, &b, "invite_create");
    if (rc == 1) rc = read_invite(st, inv);
    rc = sq_finish(st, rc);
    return rc ? rc : HARK_EEXISTS;
}

int sq_invite_get(store_conn *base, int64_t tenant_id, int64_t id, store_invite *out) {
    sqlite3_stmt *st;
    int rc = sq_get_by_id(sq(base), SQ_INV_GET, tenant_id, id, "invite_get", &st);
    if (rc == 1) rc = read_invite(st, out);
    return st ? sq_finish(st, rc) : rc;
}

int sq_invite_set_status(store_conn *base, int64_t tenant_id, int64_t id, const char *status) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_INV_SET_STATUS, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_text(&b, status);
    sq_bind_i64(&b, hark_now_ms());
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, id);
    rc = sq_finish(st, sq_step(c, st, &b, "invite_set_status"));
    if (rc == HARK_OK && sqlite3_changes(c->db) == 0) rc = HARK_ENOTFOUND;
    return rc;
}
