/* The planner: one pass over every tenant turns due touchpoint occurrences
 * into invites (store_invite_plan: the invite and its outbox row together,
 * unique per employee x touchpoint x occurrence, so planning twice or on two
 * machines never makes two). Per tenant it first expires what is past its
 * expiry, then walks the employees in pages, one write transaction a page:
 * a page is planned entirely or not at all, and the chat's writer waits for
 * at most one page. Employees and touchpoints that cannot be planned (bad
 * address, unknown time zone, missing date, bad rule or template) are
 * skipped and the reason recorded (store_skip_record), never fatal. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/email.h"
#include "core/err.h"
#include "core/log.h"
#include "outreach/outreach_int.h"

#define MAX_TOUCHPOINTS 64
#define TENANT_PAGE     64

/* A touchpoint ready for planning. */
typedef struct plan_tp {
    store_touchpoint tp;
    tp_rule rule;
    int64_t flow_id;
    int usable; /* rule, flow and templates all fine */
} plan_tp;

/* The order in which touchpoints due on the same day win the frequency cap:
 * the moments that happen once come before the recurring pulse. */
static int kind_rank(enum tp_kind k) {
    switch (k) {
    case TP_EXIT: return 0;
    case TP_ONBOARDING: return 1;
    case TP_TENURE: return 2;
    case TP_ADHOC: return 3;
    default: return 4;
    }
}

static int tp_cmp(const void *a, const void *b) {
    const plan_tp *x = a, *y = b;
    int d = kind_rank(x->rule.kind) - kind_rank(y->rule.kind);
    return d ? d : (x->tp.id > y->tp.id) - (x->tp.id < y->tp.id);
}

/* Loads the tenant's active touchpoints with their rules, flows and
 * templates; a broken one is logged, recorded and left out. */
static int load_touchpoints(outreach *o, const store_tenant *t, plan_tp *out, size_t *n) {
    store_touchpoint tps[MAX_TOUCHPOINTS];
    size_t ntp = 0;
    int rc = store_touchpoint_list(o->c, t->id, tps, MAX_TOUCHPOINTS, &ntp);
    if (rc) return rc;
    if (ntp == MAX_TOUCHPOINTS)
        log_warn("outreach: tenant %" PRId64 " has %d or more touchpoints: only the first %d are planned", t->id,
                 MAX_TOUCHPOINTS, MAX_TOUCHPOINTS);
    *n = 0;
    for (size_t i = 0; i < ntp; i++) {
        plan_tp *p = &out[*n];
        char err[256], why[300];
        store_flow fl;
        if (!tps[i].active) continue;
        memset(p, 0, sizeof *p);
        p->tp = tps[i];
        why[0] = '\0';
        if (rules_parse(tps[i].kind, tps[i].rule, &p->rule, err, sizeof err)) {
            snprintf(why, sizeof why, "rule: %s", err);
        } else if (store_flow_latest(o->c, t->id, tps[i].flow_name, &fl) == HARK_OK) {
            p->flow_id = fl.id;
            store_flow_clear(&fl);
            if (outreach__check_templates(o, t->id, tps[i].kind, err, sizeof err))
                snprintf(why, sizeof why, "template: %s", err);
        } else {
            snprintf(why, sizeof why, "flow %s not found", tps[i].flow_name);
        }
        if (why[0]) {
            log_warn("outreach: tenant %" PRId64 " touchpoint %s skipped: %s", t->id, tps[i].name, why);
            why[127] = '\0';
            store_skip_record(o->c, t->id, 0, tps[i].id, why);
            continue;
        }
        (*n)++;
    }
    qsort(out, *n, sizeof *out, tp_cmp);
    return HARK_OK;
}

void outreach_schedule_of(const store_schedule *in, outreach_schedule *out) {
    rules_schedule_default(out);
    out->send_minute = in->send_minute;
    out->quiet_start = in->quiet_start;
    out->quiet_end = in->quiet_end;
    out->working_days = (unsigned)in->working_days;
    out->ttl_days = in->invite_ttl_days;
}

/* Plans one employee: every touchpoint in rank order, the frequency cap
 * across them. Problems are recorded as skips; only database failures are
 * returned. */
static int plan_employee(outreach *o, const store_tenant *t, const hark_tz *tenant_tz, const outreach_schedule *sc,
                         const plan_tp *tps, size_t ntp, const store_employee *e, int64_t now,
                         outreach_plan_stats *st) {
    rules_employee re;
    const hark_tz *tz = tenant_tz;
    int rc;
    if (!strcmp(e->status, "inactive")) return HARK_OK;
    if (email_problem(e->email, strlen(e->email))) {
        st->skipped++;
        return store_skip_record(o->c, t->id, e->id, 0, "invalid email address");
    }
    /* Internationalised addresses need SMTPUTF8, which the mailer does not
     * speak yet: say so now rather than fail at sending. */
    for (const unsigned char *p = (const unsigned char *)e->email; *p; p++) {
        if (*p >= 0x80) {
            st->skipped++;
            return store_skip_record(o->c, t->id, e->id, 0, "non-ASCII email address (SMTPUTF8 not supported)");
        }
    }
    if (e->timezone[0] && tz_get(e->timezone, &tz)) {
        st->skipped++;
        return store_skip_record(o->c, t->id, e->id, 0, "unknown time zone");
    }
    memset(&re, 0, sizeof re);
    re.tenant_id = t->id;
    re.id = e->id;
    re.tz = tz;
    re.department = e->department;
    re.location = e->location;
    re.has_hire = e->hire_date[0] && tz_date_parse(e->hire_date, &re.hire_day) == HARK_OK;
    re.has_exit = e->exit_date[0] && tz_date_parse(e->exit_date, &re.exit_day) == HARK_OK;

    int64_t last_at;
    if ((rc = store_invite_last_at(o->c, t->id, e->id, &last_at))) return rc;
    int64_t cap = (int64_t)t->sched.frequency_cap_days * 86400000;
    for (size_t i = 0; i < ntp; i++) {
        const plan_tp *p = &tps[i];
        rules_due due;
        const char *why = "";
        /* People who left get only the exit conversation. */
        if (!strcmp(e->status, "left") && p->rule.kind != TP_EXIT) continue;
        if (rules_latest_due(&p->rule, &re, sc, now, &due, &why) != 1) {
            /* Most people have no exit date: that is no problem to record. */
            if (why && why[0] && strcmp(why, "no exit date")) {
                const char *reason = why;
                if (!strcmp(why, "no hire date") && e->hire_date[0]) reason = "invalid hire date";
                st->skipped++;
                if ((rc = store_skip_record(o->c, t->id, e->id, p->tp.id, reason))) return rc;
            }
            continue;
        }
        int64_t send_at = rules_next_allowed(sc, tz, due.due_ms > now ? due.due_ms : now);
        if (send_at >= due.expires_ms) continue; /* no allowed moment left before it expires */
        if (last_at && send_at - last_at < cap) {
            st->capped++;
            continue;
        }
        store_invite inv;
        memset(&inv, 0, sizeof inv);
        inv.tenant_id = t->id;
        inv.employee_id = e->id;
        inv.touchpoint_id = p->tp.id;
        inv.flow_id = p->flow_id;
        snprintf(inv.occurrence, sizeof inv.occurrence, "%s", due.occurrence);
        inv.send_at = send_at;
        inv.expires_at = due.expires_ms;
        rc = store_invite_plan(o->c, &inv);
        if (rc == HARK_EEXISTS) {
            st->existing++;
            continue;
        }
        if (rc) return rc;
        st->planned++;
        last_at = send_at;
    }
    return HARK_OK;
}

/* Plans one tenant's employees, a page per transaction. */
static int plan_tenant(outreach *o, const store_tenant *t, int64_t now, outreach_plan_stats *st) {
    plan_tp tps[MAX_TOUCHPOINTS];
    size_t ntp = 0;
    outreach_schedule sc;
    const hark_tz *tz;
    char err[256];
    int64_t expired = 0, total = 0, done = 0, next_note = hark_now_ms() + 2000;
    int rc;

    if (tz_get(t->timezone, &tz)) {
        log_warn("outreach: tenant %s: unknown time zone, using UTC", t->slug);
        tz_get("UTC", &tz);
    }
    outreach_schedule_of(&t->sched, &sc);
    if (rules_schedule_check(&sc, err, sizeof err)) {
        log_warn("outreach: tenant %s: schedule not usable, nothing planned: %s", t->slug, err);
        return HARK_OK;
    }
    if ((rc = store_invites_expire(o->c, t->id, now, &expired))) return rc;
    st->expired += expired;
    if ((rc = load_touchpoints(o, t, tps, &ntp)) || ntp == 0) return rc;
    store_employee_count(o->c, t->id, &total);

    size_t page = o->o.page > 0 ? (size_t)o->o.page : 500;
    store_employee *emps = malloc(page * sizeof *emps);
    if (!emps) return HARK_ENOMEM;
    int64_t after = 0;
    for (;;) {
        size_t n = 0;
        if ((rc = store_employee_list(o->c, t->id, after, emps, page, &n)) || n == 0) break;
        if ((rc = store_begin(o->c))) break;
        for (size_t i = 0; i < n && rc == HARK_OK; i++) rc = plan_employee(o, t, tz, &sc, tps, ntp, &emps[i], now, st);
        if (rc) {
            store_rollback(o->c);
            break;
        }
        if ((rc = store_commit(o->c))) break;
        st->employees += (int64_t)n;
        done += (int64_t)n;
        after = emps[n - 1].id;
        if (o->o.progress && hark_now_ms() >= next_note) {
            fprintf(stderr, "outreach: %s: planned %" PRId64 " of %" PRId64 " employees, %" PRId64 " invites\n",
                    t->slug, done, total, st->planned);
            next_note = hark_now_ms() + 2000;
        }
        if (n < page || outreach__stopping(o)) break;
    }
    free(emps);
    return rc;
}

int outreach__plan(outreach *o, outreach_plan_stats *st) {
    store_tenant tenants[TENANT_PAGE];
    int64_t after = 0, now = hark_now_ms();
    int rc = HARK_OK;
    memset(st, 0, sizeof *st);
    for (;;) {
        size_t n = 0;
        if ((rc = store_tenant_list(o->c, after, tenants, TENANT_PAGE, &n)) || n == 0) break;
        for (size_t i = 0; i < n && rc == HARK_OK; i++) {
            rc = plan_tenant(o, &tenants[i], now, st);
            st->tenants++;
        }
        if (rc || n < TENANT_PAGE || outreach__stopping(o)) break;
        after = tenants[n - 1].id;
    }
    if (rc) log_error("outreach: planning stopped: %s", hark_strerror(rc));
    return rc;
}
