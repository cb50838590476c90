/* Rollups (migration 5): the dashboard's figures, kept up to date by the
 * transactions that change them, so no dashboard ever reads raw messages.
 *
 * An invite is counted once, when it is sent (the mailer's 250, or at
 * creation for links made by hand: `hark invite`, the demo), or, failing
 * that, when its conversation starts: it is then attached to the rollups
 * row of its cell — the month (in the tenant's zone) of that moment, its
 * touchpoint, and the employee's department, location and tenure band at
 * that moment — and everything that happens to it later (started,
 * completed, answers) is added to that same row, even if the employee moves
 * or is erased. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "store/dashboard.h"
#include "store/store_int.h"

#define DAY_MS (86400 * 1000LL)

/* The invite's rows when it is counted already: the common case of every
 * answer, one index seek. */
static const store_sql Q_INVITE_ROLLUP = {"rollup_of_invite",
                                          "SELECT rollup_id FROM invites WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_INVITE = {
    "rollup_invite",
    "SELECT i.rollup_id, i.touchpoint_id, e.department, e.location, e.hire_date, t.timezone, e.manager_email "
    "FROM invites i JOIN employees e ON e.tenant_id = i.tenant_id AND e.id = i.employee_id "
    "JOIN tenants t ON t.id = i.tenant_id WHERE i.tenant_id = ? AND i.id = ?"};
static const store_sql Q_UPSERT = {
    "rollup_upsert",
    "INSERT INTO rollups (tenant_id, month, touchpoint_id, department, location, band, invited) "
    "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (tenant_id, month, touchpoint_id, department, location, band) "
    "DO UPDATE SET invited = rollups.invited + 1 RETURNING id"};
static const store_sql Q_UPSERT_DEPT = {
    "rollup_upsert_dept",
    "INSERT INTO rollups_dept (tenant_id, month, touchpoint_id, department, invited) VALUES (?, ?, ?, ?, 1) "
    "ON CONFLICT (tenant_id, month, touchpoint_id, department) DO UPDATE SET invited = rollups_dept.invited + 1"};
static const store_sql Q_UPSERT_MANAGER = {
    "rollup_upsert_manager",
    "INSERT INTO rollups_manager (tenant_id, month, touchpoint_id, department, manager, invited) "
    "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (tenant_id, month, touchpoint_id, department, manager) "
    "DO UPDATE SET invited = rollups_manager.invited + 1"};
static const store_sql Q_ATTACH = {
    "rollup_attach",
    "UPDATE invites SET rollup_id = ?, rollup_manager = ? WHERE tenant_id = ? AND id = ? AND rollup_id = 0"};
/* The deltas every rollups table takes, in add()'s order. */
#define ROLLUP_ADD                                                                                                     \
    "started = started + ?, completed = completed + ?, mood_n = mood_n + ?, mood_sum = mood_sum + ?, "                 \
    "mood_1 = mood_1 + ?, mood_2 = mood_2 + ?, mood_3 = mood_3 + ?, mood_4 = mood_4 + ?, mood_5 = mood_5 + ?, "        \
    "enps_n = enps_n + ?, enps_promoters = enps_promoters + ?, enps_detractors = enps_detractors + ?, "                \
    "comments = comments + ?, comments_neg = comments_neg + ?, comments_pos = comments_pos + ?"

static const store_sql Q_ADD = {"rollup_add", "UPDATE rollups SET " ROLLUP_ADD " WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_ADD_DEPT = {
    "rollup_add_dept",
    "UPDATE rollups_dept SET " ROLLUP_ADD " WHERE (tenant_id, month, touchpoint_id, department) = "
    "(SELECT tenant_id, month, touchpoint_id, department FROM rollups WHERE tenant_id = ? AND id = ?)"};
static const store_sql Q_ADD_MANAGER = {
    "rollup_add_manager",
    "UPDATE rollups_manager SET " ROLLUP_ADD " WHERE (tenant_id, month, touchpoint_id, department, manager) = "
    "(SELECT r.tenant_id, r.month, r.touchpoint_id, r.department, i.rollup_manager FROM invites i "
    "JOIN rollups r ON r.tenant_id = i.tenant_id AND r.id = i.rollup_id WHERE i.tenant_id = ? AND i.id = ?)"};
static const store_sql Q_CONV_DONE = {"rollup_conv_done",
                                      "SELECT done FROM conversations WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_OUTBOX_INVITE = {
    "rollup_outbox_invite", "SELECT ref_id, coalesce(sent_at, 0) FROM outbox "
                            "WHERE tenant_id = ? AND id = ? AND kind = 'invite' AND n = 0 AND status = 'sent'"};

const char *const store_rollup_bands[] = {"0-3m", "3-12m", "1-2y", "2-5y", "5y+", "", NULL};

void store_rollup_band(const char *hire_date, int64_t local_days, char out[8]) {
    int64_t hired;
    out[0] = '\0';
    if (!hire_date || tz_date_parse(hire_date, &hired) || hired > local_days) return;
    int64_t d = local_days - hired;
    const char *b = d < 91 ? "0-3m" : d < 365 ? "3-12m" : d < 730 ? "1-2y" : d < 1826 ? "2-5y" : "5y+";
    snprintf(out, 8, "%s", b);
}

int store_rollup_month(const char *timezone, int64_t at_ms, int64_t *local_days) {
    const hark_tz *z;
    int64_t days;
    int sec, y, m, d;
    if (tz_get(timezone && *timezone ? timezone : "UTC", &z)) tz_get("UTC", &z);
    tz_to_local(z, at_ms / 1000, &days, &sec);
    tz_civil_from_days(days, &y, &m, &d);
    if (local_days) *local_days = days;
    return y * 100 + m;
}

int store__rollup_invite(store_conn *c, int64_t tenant_id, int64_t invite_id, int64_t at_ms, int64_t *rollup_id) {
    store_q *q;
    char dept[256], loc[256], hire[16], tz[64], band[8], manager[256];
    int64_t rid = 0, tp = 0, days = 0;
    *rollup_id = 0;
    int rc = store__q_int(c, &Q_INVITE_ROLLUP, &rid, "ii", tenant_id, invite_id);
    if (rc || rid) {
        *rollup_id = rid;
        return rc;
    }
    rc = store__q(c, &Q_INVITE, &q, "ii", tenant_id, invite_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        rid = store__q_i64(q, 0);
        tp = store__q_i64(q, 1);
        rc = STORE_Q_FIELD(q, 2, dept);
        if (!rc) rc = STORE_Q_FIELD(q, 3, loc);
        if (!rc && STORE_Q_FIELD(q, 4, hire)) hire[0] = '\0'; /* not a date: no band */
        if (!rc && STORE_Q_FIELD(q, 5, tz)) tz[0] = '\0';
        if (!rc) rc = STORE_Q_FIELD(q, 6, manager);
    }
    rc = store__q_close(q, rc);
    if (rc || rid) {
        *rollup_id = rid;
        return rc;
    }
    int month = store_rollup_month(tz, at_ms, &days);
    store_rollup_band(hire, days, band);
    rc = store__q_int(c, &Q_UPSERT, &rid, "iiisss", tenant_id, (int64_t)month, tp, dept, loc, band);
    if (!rc) rc = store__q_exec(c, &Q_UPSERT_DEPT, NULL, "iiis", tenant_id, (int64_t)month, tp, dept);
    if (!rc) rc = store__q_exec(c, &Q_UPSERT_MANAGER, NULL, "iiiss", tenant_id, (int64_t)month, tp, dept, manager);
    if (!rc) rc = store__q_exec(c, &Q_ATTACH, NULL, "isii", rid, manager, tenant_id, invite_id);
    if (!rc) *rollup_id = rid;
    return rc;
}

int store__rollup_sent(store_conn *c, int64_t tenant_id, int64_t outbox_id) {
    store_q *q;
    int64_t invite_id = 0, at = 0, rid;
    int rc = store__q(c, &Q_OUTBOX_INVITE, &q, "ii", tenant_id, outbox_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1) {
        invite_id = store__q_i64(q, 0);
        at = store__q_i64(q, 1);
    }
    rc = store__q_close(q, rc);
    if (rc || !invite_id) return rc; /* not a sent invite: nothing to count */
    return store__rollup_invite(c, tenant_id, invite_id, at, &rid);
}

/* Adds the deltas D (in Q_ADD's order) to row RID, to its row of
 * rollups_dept and to invite INVITE_ID's row of rollups_manager. */
static int add(store_conn *c, int64_t tenant_id, int64_t rid, int64_t invite_id, const int64_t d[9], double mood_sum,
               const int64_t e[6]) {
    /* Each statement finds its row by (tenant, KEY). */
    const store_sql *const sql[3] = {&Q_ADD, &Q_ADD_DEPT, &Q_ADD_MANAGER};
    const int64_t key[3] = {rid, rid, invite_id};
    int rc = HARK_OK;
    for (int i = 0; i < 3 && !rc; i++)
        rc = store__q_exec(c, sql[i], NULL, "iiidiiiiiiiiiiiii", d[0], d[1], d[2], mood_sum, d[3], d[4], d[5], d[6],
                           d[7], e[0], e[1], e[2], e[3], e[4], e[5], tenant_id, key[i]);
    return rc;
}

int store__rollup_started(store_conn *c, const store_conversation *conv) {
    int64_t rid;
    int rc = store__rollup_invite(c, conv->tenant_id, conv->invite_id, conv->started_at, &rid);
    if (rc) return rc;
    const int64_t d[9] = {1}, e[6] = {0};
    return add(c, conv->tenant_id, rid, conv->invite_id, d, 0, e);
}

int store__rollup_was_done(store_conn *c, const store_conversation *conv, int *was_done) {
    int64_t done = 0;
    *was_done = 0;
    if (!conv->done) return HARK_OK; /* only a change to done counts */
    int rc = store__q_int(c, &Q_CONV_DONE, &done, "ii", conv->tenant_id, conv->id);
    *was_done = done != 0;
    return rc == HARK_ENOTFOUND ? HARK_OK : rc;
}

int store__rollup_append(store_conn *c, const store_conversation *conv, int completed_now, const store_message *msgs,
                         size_t n, const store_answer *answers, size_t nanswers) {
    /* d: started, completed, mood_n, mood_1..mood_5; e: enps_n, promoters,
     * detractors, comments, comments_neg, comments_pos. */
    int64_t d[9] = {0, completed_now ? 1 : 0}, e[6] = {0};
    double mood_sum = 0;
    int any = completed_now;
    for (size_t i = 0; i < nanswers; i++) {
        const store_answer *a = &answers[i];
        if (strcmp(a->kind, "scale") == 0 && a->has_number) {
            int v = (int)a->number;
            if (strcmp(a->key, "mood") == 0 && v >= 1 && v <= 5 && v == a->number) {
                d[2]++;
                d[2 + v]++;
                mood_sum += v;
                any = 1;
            } else if (strcmp(a->key, "enps") == 0 && v >= 0 && v <= 10 && v == a->number) {
                e[0]++;
                e[1] += v >= 9;
                e[2] += v <= 6;
                any = 1;
            }
        } else if (strcmp(a->kind, "text") == 0) {
            for (size_t j = 0; j < n; j++) {
                if (msgs[j].seq != a->seq || !msgs[j].from_employee) continue;
                e[3]++;
                if (msgs[j].scored) {
                    e[4] += msgs[j].compound <= -0.05;
                    e[5] += msgs[j].compound >= 0.05;
                }
                any = 1;
                break;
            }
        }
    }
    if (!any) return HARK_OK;
    int64_t rid;
    int rc = store__rollup_invite(c, conv->tenant_id, conv->invite_id,
                                  conv->updated_at ? conv->updated_at : hark_now_ms(), &rid);
    if (rc) return rc;
    return add(c, conv->tenant_id, rid, conv->invite_id, d, mood_sum, e);
}
