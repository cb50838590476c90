/* SQLite queries for outreach (store.h, "outreach"): the planner's reads and
 * writes, the outbox (claim with a lease, renew, finish) and the status
 * counts. As in sqlite_ops.c, store.c/ops_outreach.c have checked the
 * arguments and opened the transaction or savepoint that makes each write
 * atomic; the statements are listed in sqlite_int.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/sqlite_int.h"

/* Runs a statement that returns no rows; *CHANGES (if not NULL) gets the
 * number of rows it changed. B must be bound already. */
static int exec_bound(struct sq_conn *c, sqlite3_stmt *st, struct sq_bind *b, const char *op, int *changes) {
    int rc = sq_finish(st, sq_step(c, st, b, op));
    if (rc == HARK_OK && changes) *changes = sqlite3_changes(c->db);
    return rc;
}

int sq_tenant_list(store_conn *base, int64_t after_id, store_tenant *out, size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TENANT_LIST, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, after_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "tenant_list")) == 1 && *n < max) {
        if ((rc = sq_read_tenant(st, &out[*n])) != HARK_OK) break;
        (*n)++;
    }
    return sq_finish(st, rc);
}

int sq_tenant_set_schedule(store_conn *base, int64_t tenant_id, const store_schedule *s) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_TENANT_SET_SCHED, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, s->send_minute);
    sq_bind_i64(&b, s->quiet_start);
    sq_bind_i64(&b, s->quiet_end);
    sq_bind_i64(&b, s->working_days);
    sq_bind_i64(&b, s->frequency_cap_days);
    sq_bind_i64(&b, s->reminders);
    sq_bind_i64(&b, s->reminder_hours);
    sq_bind_i64(&b, s->invite_ttl_days);
    sq_bind_i64(&b, s->mail_rate);
    sq_bind_i64(&b, tenant_id);
    rc = exec_bound(c, st, &b, "tenant_set_schedule", &changes);
    return rc ? rc : changes ? HARK_OK : HARK_ENOTFOUND;
}

int sq_touchpoint_list(store_conn *base, int64_t tenant_id, store_touchpoint *out, size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TP_LIST, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "touchpoint_list")) == 1 && *n < max) {
        if ((rc = sq_read_touchpoint(st, &out[*n])) != HARK_OK) break;
        (*n)++;
    }
    return sq_finish(st, rc);
}

int sq_touchpoint_get(store_conn *base, int64_t tenant_id, int64_t id, store_touchpoint *out) {
    sqlite3_stmt *st;
    int rc = sq_get_by_id(sq(base), SQ_TP_GET, tenant_id, id, "touchpoint_get", &st);
    if (rc == 1) rc = sq_read_touchpoint(st, out);
    return st ? sq_finish(st, rc) : rc;
}

int sq_invite_last_at(store_conn *base, int64_t tenant_id, int64_t employee_id, int64_t *at_ms) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_INV_LAST_AT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, employee_id);
    rc = sq_step(c, st, &b, "invite_last_at");
    if (rc == 1) *at_ms = sqlite3_column_int64(st, 0);
    return sq_finish(st, rc);
}

int sq_outbox_insert(struct sq_conn *c, int64_t tenant_id, const char *kind, int64_t ref_id, int n, int64_t due_at,
                     int64_t now, const char *op) {
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_OUTBOX_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, kind);
    sq_bind_i64(&b, ref_id);
    sq_bind_i64(&b, n);
    sq_bind_i64(&b, due_at);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    return exec_bound(c, st, &b, op, NULL);
}

int sq_invite_plan(store_conn *base, store_invite *inv) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms();
    int changes = 0;
    int rc = sq_flow_visible(c, inv->tenant_id, inv->flow_id, "invite_plan");
    if (rc) return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_INV_PLAN, &rc);
    if (!st) return rc;
    if (!inv->created_at) inv->created_at = now;
    memcpy(inv->status, "planned", 8);
    sq_bind_init(&b, st);
    sq_bind_i64(&b, inv->tenant_id);
    sq_bind_i64(&b, inv->employee_id);
    sq_bind_i64(&b, inv->touchpoint_id);
    sq_bind_i64(&b, inv->flow_id);
    sq_bind_text(&b, inv->occurrence);
    sq_bind_i64(&b, inv->created_at);
    sq_bind_i64(&b, inv->expires_at);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, inv->send_at);
    if ((rc = exec_bound(c, st, &b, "invite_plan", &changes))) return rc;
    if (!changes) return HARK_EEXISTS;
    inv->id = sqlite3_last_insert_rowid(c->db);
    return sq_outbox_insert(c, inv->tenant_id, "invite", inv->id, 0, inv->send_at, now, "invite_plan");
}

int sq_skip_record(store_conn *base, int64_t tenant_id, int64_t employee_id, int64_t touchpoint_id,
                   const char *reason) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms();
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_SKIP_UPSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, employee_id);
    sq_bind_i64(&b, touchpoint_id);
    sq_bind_text(&b, reason);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    return exec_bound(c, st, &b, "skip_record", NULL);
}

int sq_invites_expire(store_conn *base, int64_t tenant_id, int64_t now, int64_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_INV_EXPIRE, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, now);
    if ((rc = exec_bound(c, st, &b, "invites_expire", &changes))) return rc;
    *n = changes;
    if (!changes) return HARK_OK;
    /* Their mail is no longer wanted: cancel what is still pending. */
    if (!(st = sq_stmt(c, SQ_OUTBOX_CANCEL_EXPIRED, &rc))) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, tenant_id);
    return exec_bound(c, st, &b, "invites_expire", NULL);
}

/* Reads a row of OUTBOX_RET. */
static int read_outbox(sqlite3_stmt *st, store_outbox *o) {
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    o->tenant_id = sqlite3_column_int64(st, 1);
    int rc = SQ_FIELD(st, 2, o->kind);
    o->ref_id = sqlite3_column_int64(st, 3);
    o->n = sqlite3_column_int(st, 4);
    o->attempts = sqlite3_column_int(st, 5);
    o->due_at = sqlite3_column_int64(st, 6);
    o->created_at = sqlite3_column_int64(st, 7);
    return rc;
}

/* Moves invite REF_ID on with statement ID, bound as (text?, now, tenant,
 * id[, extra]); rows already in another state are left as they are. */
static int invite_update(struct sq_conn *c, enum sq_stmt id, const char *text, int64_t tenant_id, int64_t ref_id,
                         const int64_t *extra, const char *op) {
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    if (text) sq_bind_text(&b, text);
    sq_bind_i64(&b, hark_now_ms());
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, ref_id);
    if (extra) sq_bind_i64(&b, *extra);
    return exec_bound(c, st, &b, op, NULL);
}

int sq_outbox_claim(store_conn *base, int64_t now, int64_t lease_ms, store_outbox *out, size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    /* Rows whose sender died (lease over) are claimable again. */
    sqlite3_stmt *st = sq_stmt(c, SQ_OUTBOX_RECLAIM, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    if ((rc = exec_bound(c, st, &b, "outbox_claim", NULL))) return rc;

    if (!(st = sq_stmt(c, SQ_OUTBOX_CLAIM, &rc))) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, now + lease_ms);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "outbox_claim")) == 1 && *n < max) {
        if ((rc = read_outbox(st, &out[*n])) != HARK_OK) break;
        (*n)++;
    }
    if ((rc = sq_finish(st, rc))) return rc;
    for (size_t i = 0; i < *n && rc == HARK_OK; i++) {
        if (strcmp(out[i].kind, "invite")) continue;
        rc = invite_update(c, SQ_INV_SENDING, NULL, out[i].tenant_id, out[i].ref_id, NULL, "outbox_claim");
    }
    return rc;
}

int sq_outbox_renew(store_conn *base, const int64_t *ids, size_t n, int64_t until) {
    struct sq_conn *c = sq(base);
    int rc = HARK_OK;
    for (size_t i = 0; i < n && rc == HARK_OK; i++) {
        struct sq_bind b;
        sqlite3_stmt *st = sq_stmt(c, SQ_OUTBOX_RENEW, &rc);
        if (!st) return rc;
        sq_bind_init(&b, st);
        sq_bind_i64(&b, until);
        sq_bind_i64(&b, ids[i]);
        rc = exec_bound(c, st, &b, "outbox_renew", NULL);
    }
    return rc;
}

/* The invite, or its reminder number K-1, was accepted by the mail server at
 * AT: queue reminder K, reminder_hours later, if the tenant wants that many
 * and it falls before the expiry. One at a time, so a reminder sent late
 * (the mail server was down, it was the weekend) moves the next one on. */
static int queue_reminder(struct sq_conn *c, int64_t tenant_id, int64_t invite_id, int k, int64_t at,
                          int64_t expires_at) {
    store_tenant t;
    int rc = sq_tenant_get(&c->base, tenant_id, &t);
    if (rc) return rc;
    int64_t due = at + (int64_t)t.sched.reminder_hours * 3600000;
    if (k > t.sched.reminders || t.sched.reminder_hours <= 0 || due >= expires_at) return HARK_OK;
    return sq_outbox_insert(c, tenant_id, "reminder", invite_id, k, due, hark_now_ms(), "outbox_finish");
}

int sq_outbox_finish(store_conn *base, const store_outbox_done *d) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    store_outbox row;
    int64_t now = hark_now_ms();
    int rc, found = 0;
    static const enum sq_stmt by_result[] = {SQ_OUTBOX_SENT, SQ_OUTBOX_RETRY, SQ_OUTBOX_END, SQ_OUTBOX_END,
                                             SQ_OUTBOX_DEFER};
    sqlite3_stmt *st = sq_stmt(c, by_result[d->result], &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    switch (d->result) {
    case STORE_OUTBOX_SENT:
        sq_bind_i64(&b, d->at);
        sq_bind_i64(&b, d->code);
        break;
    case STORE_OUTBOX_RETRY:
    case STORE_OUTBOX_DEFER:
        sq_bind_i64(&b, d->at);
        sq_bind_i64(&b, d->code);
        sq_bind_text(&b, d->error);
        break;
    default:
        sq_bind_text(&b, d->result == STORE_OUTBOX_FAILED ? "failed" : "cancelled");
        sq_bind_i64(&b, d->code);
        sq_bind_text(&b, d->error);
        break;
    }
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, d->tenant_id);
    sq_bind_i64(&b, d->id);
    if ((rc = sq_step(c, st, &b, "outbox_finish")) == 1) {
        rc = read_outbox(st, &row);
        found = 1;
    }
    if ((rc = sq_finish(st, rc)) || !found) return rc; /* already recorded: nothing to do */

    int invite = !strcmp(row.kind, "invite");
    switch (d->result) {
    case STORE_OUTBOX_SENT:
        if (invite) {
            int64_t expires_at = 0;
            int sent = 0;
            if (!(st = sq_stmt(c, SQ_INV_SENT, &rc))) return rc;
            sq_bind_init(&b, st);
            sq_bind_i64(&b, d->at);
            sq_bind_i64(&b, now);
            sq_bind_i64(&b, d->tenant_id);
            sq_bind_i64(&b, row.ref_id);
            if ((rc = sq_step(c, st, &b, "outbox_finish")) == 1) {
                expires_at = sqlite3_column_int64(st, 0);
                sent = 1;
            }
            if ((rc = sq_finish(st, rc)) || !sent) return rc;
            return queue_reminder(c, d->tenant_id, row.ref_id, 1, d->at, expires_at);
        }
        if (!strcmp(row.kind, "reminder")) {
            int64_t k = row.n, expires_at = 0;
            int found_inv = 0;
            /* bound as (reminders = ?, now, tenant, id, reminders < ?) */
            if (!(st = sq_stmt(c, SQ_INV_REMINDED, &rc))) return rc;
            sq_bind_init(&b, st);
            sq_bind_i64(&b, k);
            sq_bind_i64(&b, now);
            sq_bind_i64(&b, d->tenant_id);
            sq_bind_i64(&b, row.ref_id);
            sq_bind_i64(&b, k);
            if ((rc = sq_step(c, st, &b, "outbox_finish")) == 1) {
                expires_at = sqlite3_column_int64(st, 0);
                found_inv = 1;
            }
            if ((rc = sq_finish(st, rc)) || !found_inv) return rc;
            return queue_reminder(c, d->tenant_id, row.ref_id, (int)k + 1, d->at, expires_at);
        }
        /* alert */
        if (!(st = sq_stmt(c, SQ_ESC_NOTIFIED, &rc))) return rc;
        sq_bind_init(&b, st);
        sq_bind_i64(&b, d->at);
        sq_bind_i64(&b, now);
        sq_bind_i64(&b, d->tenant_id);
        sq_bind_i64(&b, row.ref_id);
        return exec_bound(c, st, &b, "outbox_finish", NULL);
    case STORE_OUTBOX_RETRY:
    case STORE_OUTBOX_DEFER:
        return invite ? invite_update(c, SQ_INV_REPLAN, d->error, d->tenant_id, row.ref_id, NULL, "outbox_finish")
                      : HARK_OK;
    case STORE_OUTBOX_FAILED:
        return invite ? invite_update(c, SQ_INV_FAILED, d->error, d->tenant_id, row.ref_id, NULL, "outbox_finish")
                      : HARK_OK;
    default: return HARK_OK;
    }
}

int sq_admin_emails(store_conn *base, int64_t tenant_id, char (*out)[256], size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_ADMIN_EMAILS, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "admin_emails")) == 1 && *n < max) {
        if ((rc = sq_col_text(st, 0, out[*n], 256)) != HARK_OK) break;
        (*n)++;
    }
    return sq_finish(st, rc);
}

int sq_template_get(store_conn *base, int64_t tenant_id, const char *name, char **body) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TPL_GET, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, name);
    rc = sq_step(c, st, &b, "template_get");
    if (rc == 1) rc = sq_col_dup(st, 0, 0, body);
    return sq_finish(st, rc);
}

int sq_template_put(store_conn *base, int64_t tenant_id, const char *name, const char *body) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_TPL_PUT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_text(&b, name);
    sq_bind_text(&b, body);
    sq_bind_i64(&b, hark_now_ms());
    return exec_bound(c, st, &b, "template_put", NULL);
}

int sq_outreach_status(store_conn *base, int64_t tenant_id, int64_t from_ms, int64_t to_ms, store_status_row *out,
                       size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_STATUS_INVITES, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, from_ms);
    sq_bind_i64(&b, to_ms);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "outreach_status")) == 1 && *n < max) {
        store_status_row *r = &out[*n];
        memset(r, 0, sizeof *r);
        r->touchpoint_id = sqlite3_column_int64(st, 0);
        if ((rc = SQ_FIELD(st, 1, r->touchpoint)) != HARK_OK) break;
        r->day = sqlite3_column_int64(st, 2);
        if ((rc = SQ_FIELD(st, 3, r->status)) != HARK_OK) break;
        r->count = sqlite3_column_int64(st, 4);
        (*n)++;
    }
    if ((rc = sq_finish(st, rc))) return rc;
    if (*n >= max) return HARK_OK;

    if (!(st = sq_stmt(c, SQ_STATUS_OUTBOX, &rc))) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, (int64_t)(max - *n));
    while ((rc = sq_step(c, st, &b, "outreach_status")) == 1 && *n < max) {
        store_status_row *r = &out[*n];
        memset(r, 0, sizeof *r);
        r->touchpoint_id = -1;
        r->day = -1;
        if ((rc = SQ_FIELD(st, 0, r->touchpoint)) != HARK_OK) break;
        if ((rc = SQ_FIELD(st, 1, r->status)) != HARK_OK) break;
        r->count = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    return sq_finish(st, rc);
}

int sq_skip_counts(store_conn *base, int64_t tenant_id, store_skip_count *out, size_t max, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_SKIP_COUNTS, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "skip_counts")) == 1 && *n < max) {
        memset(&out[*n], 0, sizeof out[*n]);
        if ((rc = SQ_FIELD(st, 0, out[*n].reason)) != HARK_OK) break;
        out[*n].count = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    return sq_finish(st, rc);
}
