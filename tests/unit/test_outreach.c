/* Unit tests for the outreach module (src/outreach) on a real SQLite store
 * and the file: transport, over a simulated clock (hark_clock_set): planning
 * once per occurrence, the frequency cap, catch-up, bad data skipped with a
 * reason, delivery into .eml files, reminders for non-responders only,
 * expiry, red-flag alerts once, a tenant's broken template, and the status
 * counts. The rules themselves are tested in test_rules.c; SMTP in
 * test_transport.c and the integration tests. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/token.h"
#include "outreach/outreach.h"

#define SET(field, value) snprintf((field), sizeof(field), "%s", (value))
#define DAY               86400000LL

struct fx {
    hark_config cfg;
    char outbox[600];
    store *st;
    store_conn *c;
    store_tenant t;
    outreach *o;
};

static int64_t at(const char *iso) {
    int64_t ms = 0;
    assert_int_equal(hark_time_parse(iso, &ms), 0);
    return ms;
}

static void add_employee(struct fx *f, const char *email, const char *hire, const char *exit_date, const char *tz,
                         const char *status) {
    store_employee e;
    memset(&e, 0, sizeof e);
    e.tenant_id = f->t.id;
    SET(e.email, email);
    SET(e.first_name, "Zoë");
    SET(e.last_name, "Test");
    SET(e.hire_date, hire);
    SET(e.exit_date, exit_date);
    SET(e.timezone, tz);
    SET(e.status, status);
    assert_int_equal(store_employee_upsert(f->c, &e), 0);
}

static void set_active(struct fx *f, const char *name, int active, const char *rule) {
    store_touchpoint tp;
    assert_int_equal(store_touchpoint_by_name(f->c, f->t.id, name, &tp), 0);
    tp.active = active;
    if (rule) SET(tp.rule, rule);
    assert_int_equal(store_touchpoint_put(f->c, &tp), 0);
}

static void set_active(struct fx *f, const char *name, int active, const char *rule);

static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    char password[32], err[256];
    if (!f) return -1;
    config_defaults(&f->cfg);
    snprintf(f->cfg.data_dir, sizeof f->cfg.data_dir, "/tmp/hark-outreach-XXXXXX");
    if (!mkdtemp(f->cfg.data_dir)) return -1;
    snprintf(f->outbox, sizeof f->outbox, "file:%s/outbox", f->cfg.data_dir);
    /* Wednesday 2 December 2026, 08:00 UTC. */
    hark_clock_set(at("2026-12-02T08:00:00Z"));
    if (cli_open_store(&f->cfg, &f->st)) return -1;
    f->c = store_main_conn(f->st);
    if (cli_provision_tenant(f->c, "acme", "Acme Ünited", "UTC", "owner@acme.example", &f->t, password,
                             sizeof password))
        return -1;
    outreach_opts o;
    outreach_opts_default(&o);
    o.mail_url = f->outbox;
    o.public_url = "https://hark.example";
    o.mail_from = "Hark <hark@acme.example>";
    o.rate = 0;
    o.retry_base_ms = 100;
    memset(o.key, 7, sizeof o.key);
    f->o = outreach_new(f->st, &o, err, sizeof err);
    if (!f->o) {
        print_error("outreach_new: %s\n", err);
        return -1;
    }
    *state = f;
    if (store_tenant_get(f->c, f->t.id, &f->t)) return -1;
    /* The pulse spreads people over the month by a hash: left out here so
     * each test knows exactly what is due (test_rules.c covers it). */
    set_active(f, "pulse", 0, NULL);
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    char cmd[700];
    outreach_free(f->o);
    store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->cfg.data_dir);
    if (system(cmd)) return -1;
    free(f);
    return 0;
}

/* Number of .eml files in the outbox folder whose name starts with PREFIX. */
static int count_eml(struct fx *f, const char *prefix) {
    char dir[600];
    int n = 0;
    snprintf(dir, sizeof dir, "%s/outbox", f->cfg.data_dir);
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".eml") && !strncmp(e->d_name, prefix, strlen(prefix))) n++;
    }
    closedir(d);
    return n;
}

/* Count of invites in STATUS (all days, all touchpoints). */
static int64_t invites_in(struct fx *f, const char *status) {
    store_status_row rows[256];
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(store_outreach_status(f->c, f->t.id, 0, at("2030-01-01"), rows, 256, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (rows[i].day >= 0 && !strcmp(rows[i].status, status)) total += rows[i].count;
    return total;
}

static int64_t outbox_in(struct fx *f, const char *kind, const char *status) {
    store_status_row rows[256];
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(store_outreach_status(f->c, f->t.id, 0, at("2030-01-01"), rows, 256, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (rows[i].day < 0 && !strcmp(rows[i].touchpoint, kind) && !strcmp(rows[i].status, status))
            total += rows[i].count;
    return total;
}

static void plan(struct fx *f, outreach_plan_stats *ps) {
    assert_int_equal(outreach_plan(f->o, ps), 0);
}

static void deliver(struct fx *f, outreach_send_stats *ss) {
    memset(ss, 0, sizeof *ss);
    assert_int_equal(outreach_deliver(f->o, ss), 0);
}

/* Onboarding (day 7) for people hired on 25 November: due today at 10:00. */
static void test_plan_once_and_deliver(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    outreach_send_stats ss;
    for (int i = 0; i < 20; i++) {
        char email[64];
        snprintf(email, sizeof email, "p%d@acme.example", i);
        add_employee(f, email, "2026-11-25", "", "", "active");
    }
    plan(f, &ps); /* 08:00: not due yet */
    assert_int_equal(ps.planned, 0);
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 20);
    plan(f, &ps); /* planning twice makes no second invite */
    assert_int_equal(ps.planned, 0);
    assert_int_equal(invites_in(f, "planned"), 20);

    deliver(f, &ss);
    assert_int_equal(ss.sent, 20);
    assert_int_equal(count_eml(f, "invite."), 20);
    assert_int_equal(invites_in(f, "sent"), 20);
    /* The first reminder of each is queued for later, not due yet. */
    assert_int_equal(outbox_in(f, "reminder", "pending"), 20);
    deliver(f, &ss);
    assert_int_equal(ss.claimed, 0);
}

/* Reminders go to non-responders only, 48 h apart; expiry stops them. */
static void test_reminders_and_expiry(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    outreach_send_stats ss;
    add_employee(f, "quiet@acme.example", "2026-11-25", "", "", "active");
    add_employee(f, "talker@acme.example", "2026-11-25", "", "", "active");
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 2);
    deliver(f, &ss);
    assert_int_equal(ss.sent, 2);

    /* The talker starts the conversation. */
    store_employee e;
    assert_int_equal(store_employee_by_email(f->c, f->t.id, "talker@acme.example", &e), 0);
    int64_t inv_id = 0;
    for (int64_t id = 1; id < 10 && !inv_id; id++) {
        store_invite inv;
        if (store_invite_get(f->c, f->t.id, id, &inv) == 0 && inv.employee_id == e.id) inv_id = id;
    }
    assert_true(inv_id > 0);
    store_invite inv;
    assert_int_equal(store_invite_get(f->c, f->t.id, inv_id, &inv), 0);
    store_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.tenant_id = f->t.id;
    conv.invite_id = inv_id;
    conv.flow_id = inv.flow_id;
    SET(conv.node, "hello");
    conv.vars_json = "{}";
    assert_int_equal(store_conversation_create(f->c, &conv), 0);

    hark_clock_set(at("2026-12-04T10:10:00Z")); /* 48 h later */
    deliver(f, &ss);
    assert_int_equal(ss.sent, 1);
    assert_int_equal(ss.cancelled, 1);
    assert_int_equal(count_eml(f, "reminder."), 1);
    /* The second reminder falls on a Sunday: it waits for Monday morning. */
    hark_clock_set(at("2026-12-06T10:15:00Z"));
    deliver(f, &ss);
    assert_int_equal(ss.sent, 0);
    assert_int_equal(ss.deferred, 1);
    hark_clock_set(at("2026-12-07T07:59:00Z"));
    deliver(f, &ss);
    assert_int_equal(ss.claimed, 0);
    hark_clock_set(at("2026-12-07T08:01:00Z"));
    deliver(f, &ss);
    assert_int_equal(ss.sent, 1);
    assert_int_equal(count_eml(f, "reminder."), 2);

    /* After 7 days the quiet one's invite expires; the started one does not. */
    hark_clock_set(at("2026-12-09T10:10:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.expired, 1);
    assert_int_equal(invites_in(f, "expired"), 1);
    assert_int_equal(invites_in(f, "started"), 1);
}

/* Bad data is skipped with a reason; the rest is planned. */
static void test_bad_data_skipped(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    add_employee(f, "good@acme.example", "2026-11-25", "", "", "active");
    add_employee(f, "not-an-address", "2026-11-25", "", "", "active");
    add_employee(f, "tz@acme.example", "2026-11-25", "", "Mars/Olympus_Mons", "active");
    add_employee(f, "nohire@acme.example", "", "", "", "active");
    add_employee(f, "badhire@acme.example", "2026-02-30", "", "", "active");
    add_employee(f, "gone@acme.example", "2026-11-25", "", "", "inactive");
    add_employee(f, "élodie@acme.example", "2026-11-25", "", "", "active");
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1);
    store_skip_count sk[16];
    size_t n = 0;
    assert_int_equal(store_skip_counts(f->c, f->t.id, sk, 16, &n), 0);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(sk[i].reason, "invalid email address")) seen |= 1;
        if (!strcmp(sk[i].reason, "unknown time zone")) seen |= 2;
        if (!strcmp(sk[i].reason, "no hire date")) seen |= 4;
        if (!strcmp(sk[i].reason, "invalid hire date")) seen |= 8;
        if (strstr(sk[i].reason, "non-ASCII")) seen |= 16;
    }
    assert_int_equal(seen, 31);
}

/* Two touchpoints due the same day: the frequency cap lets one through;
 * the campaign, held back, leaves once the cap has passed (catch-up), and
 * not after its expiry. */
static void test_frequency_cap_and_catch_up(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    add_employee(f, "both@acme.example", "2026-11-25", "", "", "active");
    store_touchpoint tp;
    memset(&tp, 0, sizeof tp);
    tp.tenant_id = f->t.id;
    SET(tp.name, "winter");
    SET(tp.kind, "adhoc");
    SET(tp.flow_name, "pulse");
    SET(tp.rule, "{\"date\":\"2026-12-02\"}");
    tp.active = 1;
    assert_int_equal(store_touchpoint_put(f->c, &tp), 0);
    store_schedule sc = f->t.sched; /* the schema's defaults, read back by setup */
    sc.frequency_cap_days = 3;
    assert_int_equal(store_tenant_set_schedule(f->c, f->t.id, &sc), 0);

    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1); /* onboarding wins */
    assert_int_equal(ps.capped, 1);
    outreach_send_stats ss;
    deliver(f, &ss);
    assert_int_equal(ss.sent, 1);
    /* Saturday: the cap has passed; the campaign may leave on Monday morning. */
    hark_clock_set(at("2026-12-05T10:06:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1);
    /* Nothing leaves on a Saturday: the campaign is planned for Monday 08:00
     * (the end of quiet hours), and Friday's reminder waits for it too. */
    deliver(f, &ss);
    assert_int_equal(ss.sent, 0);
    hark_clock_set(at("2026-12-07T08:01:00Z"));
    deliver(f, &ss);
    assert_int_equal(ss.sent, 2); /* the campaign and the first reminder; the second is 48 h after it */
    assert_int_equal(count_eml(f, "reminder."), 1);
    assert_int_equal(count_eml(f, "invite."), 2);
    plan(f, &ps);
    assert_int_equal(ps.planned, 0);
}

/* Hark was stopped when an invite was due: it leaves late, once; one whose
 * expiry has passed does not leave at all. */
static void test_catch_up(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    add_employee(f, "late@acme.example", "2026-11-25", "", "", "active");
    add_employee(f, "too-late@acme.example", "2026-11-16", "", "", "active");
    hark_clock_set(at("2026-12-04T11:00:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1);
    plan(f, &ps);
    assert_int_equal(ps.planned, 0);
    store_employee e;
    assert_int_equal(store_employee_by_email(f->c, f->t.id, "late@acme.example", &e), 0);
    int64_t last = 0;
    assert_int_equal(store_invite_last_at(f->c, f->t.id, e.id, &last), 0);
    assert_true(last >= at("2026-12-04T11:00:00Z") && last < at("2026-12-04T11:01:00Z"));
}

/* An exit conversation for someone who left two days ago still leaves; a
 * pulse for them does not. */
static void test_left_employee_gets_exit_only(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    set_active(f, "exit", 1, "{\"days_after_exit\":0}");
    add_employee(f, "leaver@acme.example", "2020-03-02", "2026-11-30", "", "left");
    add_employee(f, "long-gone@acme.example", "2020-03-02", "2026-10-30", "", "left");
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1);
}

/* A flagged answer tells the tenant's admins once, without the answer. */
static void test_alert_once(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    outreach_send_stats ss;
    add_employee(f, "flag@acme.example", "2026-11-25", "", "", "active");
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 1);
    store_invite inv;
    assert_int_equal(store_invite_get(f->c, f->t.id, 1, &inv), 0);
    store_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.tenant_id = f->t.id;
    conv.invite_id = inv.id;
    conv.flow_id = inv.flow_id;
    SET(conv.node, "q");
    conv.vars_json = "{}";
    assert_int_equal(store_conversation_create(f->c, &conv), 0);
    store_flag fl = {"threat", 3, 0, 5};
    store_message m;
    memset(&m, 0, sizeof m);
    m.seq = 1;
    m.from_employee = 1;
    SET(m.client_id, "c1");
    m.text = "SECRET-ANSWER-TEXT";
    m.flags = &fl;
    m.nflags = 1;
    conv.last_seq = 1;
    assert_int_equal(store_conversation_append(f->c, &conv, 0, &m, 1, NULL, 0, NULL), 0);

    deliver(f, &ss);
    assert_int_equal(count_eml(f, "alert."), 1);
    assert_int_equal(outbox_in(f, "alert", "sent"), 1);
    /* The invite was cancelled: the conversation had started before it left. */
    assert_int_equal(count_eml(f, "invite."), 0);
    deliver(f, &ss);
    assert_int_equal(count_eml(f, "alert."), 1);

    /* The alert names neither the answer nor the employee. */
    char path[700], data[65536];
    snprintf(path, sizeof path, "%s/outbox/alert.1.0.%lld.eml", f->cfg.data_dir, (long long)f->t.id);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(data, 1, sizeof data - 1, fp);
    fclose(fp);
    data[n] = '\0';
    assert_null(strstr(data, "SECRET-ANSWER-TEXT"));
    assert_null(strstr(data, "flag@acme.example"));
    assert_non_null(strstr(data, "owner@acme.example"));
    assert_non_null(strstr(data, "https://hark.example/#/escalations/1"));
}

/* A tenant's template with an unknown placeholder stops that touchpoint,
 * with the reason recorded, and plans nothing half-way. */
static void test_bad_template_refused(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    add_employee(f, "t@acme.example", "2026-11-25", "", "", "active");
    assert_int_equal(store_template_put(f->c, f->t.id, "invite-onboarding.txt",
                                        "Subject: Hi {{first_name}}\n\nHello {{frist_name}}, {{link}}\n"),
                     0);
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 0);
    store_skip_count sk[8];
    size_t n = 0;
    assert_int_equal(store_skip_counts(f->c, f->t.id, sk, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_non_null(strstr(sk[0].reason, "frist_name"));
}

/* The link in an invite carries a token for the right tenant and invite. */
static void test_link_token(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    outreach_send_stats ss;
    add_employee(f, "link@acme.example", "2026-11-25", "", "Europe/Paris", "active");
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    deliver(f, &ss);
    assert_int_equal(ss.sent, 1);
    char path[700], data[65536];
    snprintf(path, sizeof path, "%s/outbox/invite.1.0.%lld.eml", f->cfg.data_dir, (long long)f->t.id);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(data, 1, sizeof data - 1, fp);
    fclose(fp);
    data[n] = '\0';
    /* Undo quoted-printable soft line breaks, which may cut the link. */
    char *w = data;
    for (char *r = data; *r; r++) {
        if (r[0] == '=' && r[1] == '\r' && r[2] == '\n') {
            r += 2;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
    assert_non_null(strstr(data, "Message-ID: <hark.invite.1.0."));
    char *p = strstr(data, "https://hark.example/c/");
    assert_non_null(p);
    p += strlen("https://hark.example/c/");
    size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    unsigned char key[32];
    memset(key, 7, sizeof key);
    token_claims cl;
    assert_int_equal(token_parse(key, p, len, hark_now_ms(), &cl), 0);
    assert_int_equal(cl.tenant_id, f->t.id);
    assert_int_equal(cl.invite_id, 1);
}

/* A tenant over its own mail rate: the rows beyond it step aside, each due
 * at its turn, and are not counted as attempts. */
static void test_tenant_rate(void **state) {
    struct fx *f = *state;
    outreach_plan_stats ps;
    outreach_send_stats ss;
    for (int i = 0; i < 5; i++) {
        char email[64];
        snprintf(email, sizeof email, "r%d@acme.example", i);
        add_employee(f, email, "2026-11-25", "", "", "active");
    }
    store_schedule sc = f->t.sched;
    sc.mail_rate = 1;
    assert_int_equal(store_tenant_set_schedule(f->c, f->t.id, &sc), 0);
    hark_clock_set(at("2026-12-02T10:05:00Z"));
    plan(f, &ps);
    assert_int_equal(ps.planned, 5);
    deliver(f, &ss);
    assert_int_equal(ss.sent, 1);
    assert_int_equal(ss.deferred, 4);
    deliver(f, &ss); /* their turns are 1 to 4 s away */
    assert_int_equal(ss.claimed, 0);
    hark_clock_set(at("2026-12-02T10:05:30Z"));
    deliver(f, &ss);
    assert_true(ss.sent >= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_once_and_deliver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reminders_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_data_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frequency_cap_and_catch_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_left_employee_gets_exit_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_template_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_rate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
