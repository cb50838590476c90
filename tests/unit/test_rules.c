/* Unit tests for the touchpoint rules (rules/rules.h) over a simulated
 * clock: due instants across time zones and daylight-saving changes, working
 * days, quiet hours, catch-up and expiry, exit and hire dates, leap days, the
 * spread and stability of pulses, and the parse and schedule errors. Expected
 * instants are written in UTC, worked out by hand from the zones' rules, so
 * that they check the zone arithmetic rather than repeat it. Needs the
 * system's tz database (tzdata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "rules/rules.h"

#define DAY_MS 86400000LL

static int64_t day_of(const char *date) {
    int64_t d;
    if (tz_date_parse(date, &d) != 0) fail_msg("bad test date %s", date);
    return d;
}

static const hark_tz *zone(const char *name) {
    const hark_tz *z = NULL;
    int rc = tz_get(name, &z);
    if (rc != 0) fail_msg("zone %s: %d (is tzdata installed?)", name, rc);
    return z;
}

/* Unix ms of the UTC wall time DATE H:M. */
static int64_t utc_ms(const char *date, int h, int m) {
    return (day_of(date) * 86400 + h * 3600 + m * 60) * 1000;
}

/* Unix ms of the local wall time DATE H:M in Z (the earlier one in an overlap). */
static int64_t local_ms(const hark_tz *z, const char *date, int h, int m) {
    return tz_from_local(z, day_of(date), h * 3600 + m * 60) * 1000;
}

/* Asserts that MS is DATE H:M:00 local time in Z. */
static void assert_local(const hark_tz *z, int64_t ms, const char *date, int h, int m) {
    int64_t d;
    int sec;
    assert_int_equal(ms % 1000, 0);
    tz_to_local(z, ms / 1000, &d, &sec);
    char got[11];
    tz_date_format(d, got);
    assert_string_equal(got, date);
    assert_int_equal(sec, h * 3600 + m * 60);
}

static tp_rule rule(const char *kind, const char *json) {
    tp_rule r;
    char err[256];
    if (rules_parse(kind, json, &r, err, sizeof err) != 0) fail_msg("%s rule %s: %s", kind, json, err);
    return r;
}

/* An employee of tenant 1 in Z; HIRE and EXIT are dates or NULL. */
static rules_employee employee(const hark_tz *z, const char *hire, const char *exit_date) {
    rules_employee e = {.tenant_id = 1, .id = 1, .tz = z};
    if (hire) {
        e.has_hire = 1;
        e.hire_day = day_of(hire);
    }
    if (exit_date) {
        e.has_exit = 1;
        e.exit_day = day_of(exit_date);
    }
    return e;
}

static outreach_schedule schedule(void) {
    outreach_schedule s;
    rules_schedule_default(&s);
    return s;
}

/* Asserts that nothing is due, for the reason WHY. */
static void assert_none(const tp_rule *r, const rules_employee *e, const outreach_schedule *s, int64_t now,
                        const char *why) {
    rules_due d;
    const char *w = NULL;
    assert_int_equal(rules_latest_due(r, e, s, now, &d, &w), 0);
    assert_non_null(w);
    assert_string_equal(w, why);
}

/* Asserts that OCCURRENCE is due at NOW with the due instant DUE. */
static void assert_due(const tp_rule *r, const rules_employee *e, const outreach_schedule *s, int64_t now,
                       const char *occurrence, int64_t due) {
    rules_due d;
    const char *w = NULL;
    if (rules_latest_due(r, e, s, now, &d, &w) != 1) fail_msg("nothing due (why: \"%s\")", w ? w : "(null)");
    assert_string_equal(d.occurrence, occurrence);
    assert_int_equal(d.due_ms, due);
    assert_int_equal(d.expires_ms, due + s->ttl_days * DAY_MS);
}

static void test_weekday_sanity(void **state) {
    (void)state;
    /* The dates the tests below rely on, checked once. */
    assert_int_equal(tz_weekday(day_of("2026-03-08")), 0);
    assert_int_equal(tz_weekday(day_of("2026-11-01")), 0);
    assert_int_equal(tz_weekday(day_of("2026-03-29")), 0);
    assert_int_equal(tz_weekday(day_of("2026-10-25")), 0);
    assert_int_equal(tz_weekday(day_of("2026-04-05")), 0);
    assert_int_equal(tz_weekday(day_of("2026-09-27")), 0);
    assert_int_equal(tz_weekday(day_of("2026-12-05")), 6);
    assert_int_equal(tz_weekday(day_of("2026-06-10")), 3);
    assert_int_equal(tz_weekday(day_of("2024-02-29")), 4);
    assert_int_equal(tz_weekday(day_of("2026-02-28")), 6);
    assert_int_equal(tz_weekday(day_of("2027-02-28")), 0);
    assert_int_equal(tz_weekday(day_of("2028-02-29")), 2);
    assert_int_equal(tz_weekday(day_of("1970-01-05")), 1);
}

static void test_hash_is_pinned(void **state) {
    (void)state;
    /* Changing these moves every employee's pulse day: never do. */
    assert_true(rules_employee_hash(1, 1) == 0xcc2a9c30d4d9e843u);
    assert_true(rules_employee_hash(0, 0) == 0xc0737b7cf89e44abu);
    assert_true(rules_employee_hash(7, 123456789) == 0x3c47ffcdcda828fbu);
    assert_true(rules_employee_hash(-1, INT64_MAX) == 0x2b042a94222d7c94u);
    assert_true(rules_employee_hash(1, 2) != rules_employee_hash(2, 1));
}

static void test_onboarding_across_zones(void **state) {
    (void)state;
    tp_rule r = rule("onboarding", "{\"day\":7}");
    outreach_schedule s = schedule();
    /* Hired Monday 2026-03-02; day 7 is Monday 2026-03-09, 10:00 local. */
    const hark_tz *akl = zone("Pacific/Auckland"), *lax = zone("America/Los_Angeles");
    rules_employee a = employee(akl, "2026-03-02", NULL), l = employee(lax, "2026-03-02", NULL);
    int64_t now = utc_ms("2026-03-09", 18, 0);
    assert_due(&r, &a, &s, now, "day-7", utc_ms("2026-03-08", 21, 0)); /* NZDT, +13 */
    assert_due(&r, &l, &s, now, "day-7", utc_ms("2026-03-09", 17, 0)); /* PDT since 03-08, -7 */
    rules_due d;
    const char *why;
    assert_int_equal(rules_latest_due(&r, &a, &s, now, &d, &why), 1);
    assert_local(akl, d.due_ms, "2026-03-09", 10, 0);
    assert_int_equal(rules_latest_due(&r, &l, &s, now, &d, &why), 1);
    assert_local(lax, d.due_ms, "2026-03-09", 10, 0);

    rules_employee k = employee(zone("Asia/Kolkata"), "2026-03-02", NULL);
    rules_employee p = employee(zone("Europe/Paris"), "2026-03-02", NULL);
    rules_employee n = employee(zone("America/New_York"), "2026-03-02", NULL);
    assert_due(&r, &k, &s, now, "day-7", utc_ms("2026-03-09", 4, 30)); /* +5:30 */
    assert_due(&r, &p, &s, now, "day-7", utc_ms("2026-03-09", 9, 0));  /* CET, +1 */
    assert_due(&r, &n, &s, now, "day-7", utc_ms("2026-03-09", 14, 0)); /* EDT, -4 */

    /* At 12:00 UTC the east is due, the Americas are not yet. */
    now = utc_ms("2026-03-09", 12, 0);
    assert_due(&r, &a, &s, now, "day-7", utc_ms("2026-03-08", 21, 0));
    assert_due(&r, &k, &s, now, "day-7", utc_ms("2026-03-09", 4, 30));
    assert_none(&r, &l, &s, now, "");
    assert_none(&r, &n, &s, now, "");
    /* Exactly at the due instant it is due; a millisecond before, not. */
    assert_due(&r, &n, &s, utc_ms("2026-03-09", 14, 0), "day-7", utc_ms("2026-03-09", 14, 0));
    assert_none(&r, &n, &s, utc_ms("2026-03-09", 14, 0) - 1, "");

    /* Day 0 is the hire day itself. */
    r = rule("onboarding", "{\"day\":0}");
    assert_due(&r, &p, &s, utc_ms("2026-03-02", 9, 0), "day-0", utc_ms("2026-03-02", 9, 0));
}

static void test_dst_days(void **state) {
    (void)state;
    const hark_tz *ny = zone("America/New_York"), *par = zone("Europe/Paris"), *akl = zone("Pacific/Auckland");
    tp_rule r = rule("onboarding", "{\"day\":7}");
    outreach_schedule s = schedule();

    /* Mon-Fri: the DST Sundays move to Monday, at 10:00 of the new offset. */
    rules_employee e = employee(ny, "2026-03-01", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-03-10", 0, 0), "day-7", utc_ms("2026-03-09", 14, 0));
    e = employee(ny, "2026-10-25", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-11-03", 0, 0), "day-7", utc_ms("2026-11-02", 15, 0));

    /* Every day a working day: the due day is the DST Sunday itself. */
    s.working_days = 0x7F;
    e = employee(ny, "2026-03-01", NULL); /* spring forward at 02:00, a 23 h day */
    assert_due(&r, &e, &s, utc_ms("2026-03-09", 0, 0), "day-7", utc_ms("2026-03-08", 14, 0));
    e = employee(ny, "2026-10-25", NULL); /* fall back at 02:00, a 25 h day */
    assert_due(&r, &e, &s, utc_ms("2026-11-02", 0, 0), "day-7", utc_ms("2026-11-01", 15, 0));
    e = employee(par, "2026-03-22", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-03-30", 0, 0), "day-7", utc_ms("2026-03-29", 8, 0));
    e = employee(par, "2026-10-18", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-10-26", 0, 0), "day-7", utc_ms("2026-10-25", 9, 0));
    e = employee(akl, "2026-03-29", NULL); /* NZDT ends on 2026-04-05 */
    assert_due(&r, &e, &s, utc_ms("2026-04-06", 0, 0), "day-7", utc_ms("2026-04-04", 22, 0));
    e = employee(akl, "2026-09-20", NULL); /* NZDT starts on 2026-09-27 */
    assert_due(&r, &e, &s, utc_ms("2026-09-28", 0, 0), "day-7", utc_ms("2026-09-26", 21, 0));

    /* A send time inside the spring-forward gap happens as much later (tz.h):
     * 02:30 on 2026-03-08 in New York is 03:30 EDT. */
    s.send_minute = 150;
    s.quiet_start = s.quiet_end = 0;
    e = employee(ny, "2026-03-01", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-03-09", 0, 0), "day-7", utc_ms("2026-03-08", 7, 30));
    /* In the fall-back overlap, the first 01:30 (EDT). */
    s.send_minute = 90;
    e = employee(ny, "2026-10-25", NULL);
    assert_due(&r, &e, &s, utc_ms("2026-11-02", 0, 0), "day-7", utc_ms("2026-11-01", 5, 30));
}

static void test_weekend_moves_to_monday(void **state) {
    (void)state;
    const hark_tz *par = zone("Europe/Paris");
    outreach_schedule s = schedule();
    tp_rule r = rule("adhoc", "{\"date\":\"2026-12-05\"}"); /* a Saturday */
    rules_employee e = employee(par, NULL, NULL);
    assert_none(&r, &e, &s, local_ms(par, "2026-12-06", 23, 59), "");
    assert_due(&r, &e, &s, local_ms(par, "2026-12-07", 10, 0), "adhoc-2026-12-05", utc_ms("2026-12-07", 9, 0));

    /* A working week of Tuesday to Saturday keeps Saturday and moves Sunday
     * and Monday to Tuesday. */
    s.working_days = 0x7C;
    assert_due(&r, &e, &s, local_ms(par, "2026-12-05", 12, 0), "adhoc-2026-12-05", utc_ms("2026-12-05", 9, 0));
    r = rule("adhoc", "{\"date\":\"2026-12-06\"}");
    assert_due(&r, &e, &s, local_ms(par, "2026-12-08", 12, 0), "adhoc-2026-12-06", utc_ms("2026-12-08", 9, 0));
    r = rule("adhoc", "{\"date\":\"2026-12-07\"}");
    assert_due(&r, &e, &s, local_ms(par, "2026-12-08", 12, 0), "adhoc-2026-12-07", utc_ms("2026-12-08", 9, 0));
}

static void test_catch_up_and_expiry(void **state) {
    (void)state;
    tp_rule r = rule("onboarding", "{\"day\":7}");
    outreach_schedule s = schedule();
    rules_employee e = employee(zone("America/New_York"), "2026-03-02", NULL);
    int64_t due = utc_ms("2026-03-09", 14, 0);
    /* Hark was stopped for three days: the occurrence is still found, with
     * the same key and due instant, so the planner plans it once. */
    assert_due(&r, &e, &s, due + 3 * DAY_MS, "day-7", due);
    assert_due(&r, &e, &s, due + 7 * DAY_MS - 1, "day-7", due);
    assert_none(&r, &e, &s, due + 7 * DAY_MS, "");
    assert_none(&r, &e, &s, due + 8 * DAY_MS, "");
    s.ttl_days = 30;
    assert_due(&r, &e, &s, due + 8 * DAY_MS, "day-7", due);
    assert_none(&r, &e, &s, due + 31 * DAY_MS, "");
    /* WHY may be NULL. */
    rules_due d;
    assert_int_equal(rules_latest_due(&r, &e, &s, due, &d, NULL), 1);
}

static void test_exit(void **state) {
    (void)state;
    const hark_tz *ny = zone("America/New_York");
    outreach_schedule s = schedule();
    int64_t now = local_ms(ny, "2026-06-12", 12, 0); /* a Friday */
    tp_rule after = rule("exit", "{\"days_after_exit\":0}");

    rules_employee e = employee(ny, "2020-01-06", "2026-06-10"); /* two days ago */
    assert_due(&after, &e, &s, now, "exit-2026-06-10", utc_ms("2026-06-10", 14, 0));
    assert_none(&after, &e, &s, utc_ms("2026-06-10", 14, 0) + 7 * DAY_MS, "");
    e = employee(ny, "2020-01-06", "2026-05-13"); /* thirty days ago */
    assert_none(&after, &e, &s, now, "");
    /* A Saturday exit: the Monday after. */
    e = employee(ny, "2020-01-06", "2026-06-13");
    assert_due(&after, &e, &s, local_ms(ny, "2026-06-15", 12, 0), "exit-2026-06-13", utc_ms("2026-06-15", 14, 0));

    tp_rule before = rule("exit", "{\"days_before_exit\":3}");
    e = employee(ny, "2020-01-06", "2026-06-15"); /* Monday: three days before is Friday */
    assert_none(&before, &e, &s, local_ms(ny, "2026-06-12", 9, 59), "");
    assert_due(&before, &e, &s, now, "exit-2026-06-15", utc_ms("2026-06-12", 14, 0));
    tp_rule later = rule("exit", "{\"days_after_exit\":30}");
    assert_due(&later, &e, &s, local_ms(ny, "2026-07-15", 10, 0), "exit-2026-06-15", utc_ms("2026-07-15", 14, 0));

    e = employee(ny, "2020-01-06", NULL);
    assert_none(&after, &e, &s, now, "no exit date");

    /* Nothing else reaches a leaver: not the pulse, not the anniversary. */
    e = employee(ny, "2025-06-08", "2026-06-10");
    tp_rule tenure = rule("tenure", "{\"yearly\":true}");
    assert_none(&tenure, &e, &s, local_ms(ny, "2026-06-11", 12, 0), "");
    tp_rule pulse = rule("pulse", "{\"every_days\":7}");
    assert_none(&pulse, &e, &s, local_ms(ny, "2026-06-11", 12, 0), "");
    /* ... until the exit date itself. */
    assert_due(&tenure, &e, &s, local_ms(ny, "2026-06-10", 12, 0), "year-1", utc_ms("2026-06-08", 14, 0));
}

static void test_leap_days(void **state) {
    (void)state;
    const hark_tz *par = zone("Europe/Paris");
    outreach_schedule s = schedule();
    rules_employee e = employee(par, "2024-02-29", NULL);
    tp_rule r = rule("tenure", "{\"days\":[30,90],\"yearly\":true}");
    /* Day 30 is Saturday 2024-03-30; the Monday after is in summer time. */
    assert_none(&r, &e, &s, local_ms(par, "2024-03-30", 12, 0), "");
    assert_due(&r, &e, &s, local_ms(par, "2024-04-01", 12, 0), "day-30", utc_ms("2024-04-01", 8, 0));
    assert_none(&r, &e, &s, local_ms(par, "2025-02-27", 12, 0), "");
    assert_due(&r, &e, &s, local_ms(par, "2025-02-28", 12, 0), "year-1", utc_ms("2025-02-28", 9, 0));
    /* 2026-02-28 is a Saturday, 2027-02-28 a Sunday: both move to Monday. */
    assert_due(&r, &e, &s, local_ms(par, "2026-03-02", 12, 0), "year-2", utc_ms("2026-03-02", 9, 0));
    assert_due(&r, &e, &s, local_ms(par, "2027-03-01", 12, 0), "year-3", utc_ms("2027-03-01", 9, 0));
    assert_due(&r, &e, &s, local_ms(par, "2028-02-29", 12, 0), "year-4", utc_ms("2028-02-29", 9, 0));
    assert_none(&r, &e, &s, local_ms(par, "2028-02-28", 12, 0), "");

    /* A 365-day milestone is the first year: the anniversaries start at 2.
     * 2024-02-29 + 365 days is 2025-02-28. */
    r = rule("tenure", "{\"days\":[365],\"yearly\":true}");
    assert_due(&r, &e, &s, local_ms(par, "2025-02-28", 12, 0), "day-365", utc_ms("2025-02-28", 9, 0));
    assert_due(&r, &e, &s, local_ms(par, "2026-03-02", 12, 0), "year-2", utc_ms("2026-03-02", 9, 0));

    r = rule("onboarding", "{\"day\":1}");
    e = employee(par, "2028-02-28", NULL);
    assert_due(&r, &e, &s, local_ms(par, "2028-02-29", 12, 0), "day-1", utc_ms("2028-02-29", 9, 0));
}

/* Walks noon by noon through four years of a tenure rule in New York (eight
 * DST changes): the keys come in order, each one is found on exactly ttl_days
 * noons, and every due instant is 10:00 local on a weekday. */
static void test_tenure_walk(void **state) {
    (void)state;
    const hark_tz *ny = zone("America/New_York");
    outreach_schedule s = schedule();
    tp_rule r = rule("tenure", "{\"days\":[30,90,180,365],\"yearly\":true}");
    rules_employee e = employee(ny, "2026-01-05", NULL);
    static const char *const want[] = {"day-30", "day-90", "day-180", "day-365", "year-2", "year-3", "year-4"};
    int seen[7] = {0}, at = -1;
    for (int64_t d = e.hire_day; d < e.hire_day + 4 * 366 + 30; d++) {
        rules_due due;
        const char *why;
        if (!rules_latest_due(&r, &e, &s, tz_from_local(ny, d, 12 * 3600) * 1000, &due, &why)) {
            assert_string_equal(why, "");
            continue;
        }
        if (at < 0 || strcmp(due.occurrence, want[at]) != 0) {
            at++;
            assert_in_range(at, 0, 6);
            assert_string_equal(due.occurrence, want[at]);
        }
        seen[at]++;
        int64_t ld;
        int sec;
        tz_to_local(ny, due.due_ms / 1000, &ld, &sec);
        assert_int_equal(sec, 10 * 3600);
        assert_in_range(tz_weekday(ld), 1, 5);
    }
    assert_int_equal(at, 6);
    for (int i = 0; i < 7; i++) assert_int_equal(seen[i], s.ttl_days);
}

static void test_tenure_ties(void **state) {
    (void)state;
    /* Hired on a Saturday: days 364 (a Saturday) and 365 (a Sunday) both
     * move to the Monday; the later milestone wins. */
    const hark_tz *par = zone("Europe/Paris");
    outreach_schedule s = schedule();
    tp_rule r = rule("tenure", "{\"days\":[364,365]}");
    rules_employee e = employee(par, "2026-01-03", NULL);
    assert_due(&r, &e, &s, local_ms(par, "2027-01-04", 12, 0), "day-365", utc_ms("2027-01-04", 9, 0));
    /* Without "yearly", nothing after the last milestone. */
    assert_none(&r, &e, &s, local_ms(par, "2028-01-04", 12, 0), "");
    /* Only anniversaries. */
    r = rule("tenure", "{\"yearly\":true}");
    assert_due(&r, &e, &s, local_ms(par, "2027-01-04", 12, 0), "year-1", utc_ms("2027-01-04", 9, 0));
}

/* The pulse period holding DAY for a rule of EVERY days. */
static int64_t period_start(int64_t day, int every) {
    int64_t k = day - 4;
    int64_t p = k >= 0 ? k / every : -((-k + every - 1) / every);
    return 4 + p * every;
}

/* Counts, for 10,000 employees of one tenant in Paris, the day each one's
 * pulse is due in the period starting START of EVERY days (asserting the key
 * and that the day is a working day in the period) into COUNT[day - START]. */
static void pulse_counts(int every, int64_t start, int *count) {
    const hark_tz *par = zone("Europe/Paris");
    outreach_schedule s = schedule();
    s.ttl_days = 365;
    char pattern[32], key[32];
    snprintf(pattern, sizeof pattern, "{\"every_days\":%d}", every);
    tp_rule r = rule("pulse", pattern);
    char date[11];
    tz_date_format(start, date);
    snprintf(key, sizeof key, "p-%s", date);
    int64_t now = tz_from_local(par, start + every - 1, 23 * 3600) * 1000;
    for (int id = 1; id <= 10000; id++) {
        rules_employee e = {.tenant_id = 7, .id = id, .tz = par};
        rules_due d;
        const char *why;
        assert_int_equal(rules_latest_due(&r, &e, &s, now, &d, &why), 1);
        assert_string_equal(d.occurrence, key);
        int64_t ld;
        int sec;
        tz_to_local(par, d.due_ms / 1000, &ld, &sec);
        assert_int_equal(sec, 10 * 3600);
        assert_in_range(ld, start, start + every - 1);
        assert_in_range(tz_weekday(ld), 1, 5);
        count[ld - start]++;
    }
}

static void test_pulse_spread(void **state) {
    (void)state;
    /* A 30-day period starting on a Monday has 22 working days. */
    int64_t start = period_start(day_of("2026-12-10"), 30);
    assert_int_equal(start, day_of("2026-12-07"));
    int count[30] = {0}, nwork = 0;
    pulse_counts(30, start, count);
    for (int i = 0; i < 30; i++) nwork += tz_weekday(start + i) >= 1 && tz_weekday(start + i) <= 5;
    assert_int_equal(nwork, 22);
    /* Every working day gets its share. A hash spreads like chance, so each
     * count has a standard deviation of about 4.6% of the mean here: allow
     * 15% and test the whole with chi-square (21 degrees of freedom, 46.80
     * at p = 0.001), which a biased hash or a wrong modulus fails. */
    double mean = 10000.0 / nwork, chi2 = 0;
    for (int i = 0; i < 30; i++) {
        if (tz_weekday(start + i) == 0 || tz_weekday(start + i) == 6) {
            assert_int_equal(count[i], 0);
            continue;
        }
        if (count[i] < mean * 0.85 || count[i] > mean * 1.15)
            fail_msg("day %d of the period has %d pulses, mean %.1f", i, count[i], mean);
        chi2 += (count[i] - mean) * (count[i] - mean) / mean;
    }
    if (chi2 >= 46.80) fail_msg("chi-square %.1f", chi2);

    /* Weekly pulses: five working days, 2,000 each give or take 2%. */
    int week[7] = {0};
    start = period_start(day_of("2026-11-16"), 7);
    assert_int_equal(tz_weekday(start), 1);
    pulse_counts(7, start, week);
    for (int i = 0; i < 5; i++)
        if (week[i] < 2000 * 0.94 || week[i] > 2000 * 1.06) fail_msg("weekday %d has %d pulses", i + 1, week[i]);
    assert_int_equal(week[5] + week[6], 0);
}

static void test_pulse_stable(void **state) {
    (void)state;
    const hark_tz *ny = zone("America/New_York");
    outreach_schedule s = schedule();
    tp_rule r = rule("pulse", "{\"every_days\":30}");
    /* Periods are the same for everybody: 1970-01-05 + 30k. 2026-11-16 is
     * 20,773 days after the epoch, so its period starts on day 4 + 692 * 30
     * = 20,764, 2026-11-07. */
    assert_int_equal(day_of("2026-11-16"), 20773);
    assert_int_equal(period_start(20773, 30), day_of("2026-11-07"));
    rules_employee e = {.tenant_id = 1, .id = 1, .tz = ny};
    /* The period 2026-11-07 .. 12-06 starts on a Saturday and has 20
     * working days; hash(1, 1) % 20 = 3 picks the employee's day, the fourth
     * working day: Thursday 2026-11-12. */
    int k = (int)(0xcc2a9c30d4d9e843u % 20);
    assert_int_equal(k, 3);
    int64_t day = day_of("2026-11-07");
    for (int left = k;; day++) {
        if (tz_weekday(day) == 0 || tz_weekday(day) == 6) continue;
        if (left-- == 0) break;
    }
    char date[11];
    tz_date_format(day, date);
    int64_t due = tz_from_local(ny, day, 10 * 3600) * 1000;
    assert_local(ny, due, date, 10, 0);
    assert_due(&r, &e, &s, due, "p-2026-11-07", due);
    assert_due(&r, &e, &s, due + DAY_MS, "p-2026-11-07", due);
    assert_string_equal(date, "2026-11-12");
    /* Just before, the latest due is the previous period's, long expired. */
    assert_none(&r, &e, &s, due - 1, "");

    /* Never before the hire date: hired the day after, nothing this period;
     * hired that very day, it is due. */
    e.has_hire = 1;
    e.hire_day = day + 1;
    assert_none(&r, &e, &s, due + DAY_MS, "");
    e.hire_day = day;
    assert_due(&r, &e, &s, due, "p-2026-11-07", due);
    /* Not after the exit date. */
    e.has_exit = 1;
    e.exit_day = day - 1;
    assert_none(&r, &e, &s, due, "");
    e.exit_day = day;
    assert_due(&r, &e, &s, due, "p-2026-11-07", due);

    /* The next period: the same employee, the same rule, another key; its
     * 22 working days put the employee on the 0xcc2a9c30d4d9e843 % 22 = 3rd
     * (from 0): Thursday 2026-12-10. */
    e.has_hire = e.has_exit = 0;
    assert_int_equal(0xcc2a9c30d4d9e843u % 22, 3);
    assert_none(&r, &e, &s, local_ms(ny, "2026-12-10", 9, 59), "");
    assert_due(&r, &e, &s, local_ms(ny, "2026-12-11", 9, 0), "p-2026-12-07", utc_ms("2026-12-10", 15, 0));
}

static void test_missing_dates_and_segments(void **state) {
    (void)state;
    const hark_tz *kol = zone("Asia/Kolkata");
    outreach_schedule s = schedule();
    int64_t now = local_ms(kol, "2026-12-01", 12, 0);
    rules_employee e = employee(kol, NULL, NULL);
    tp_rule r = rule("onboarding", "{\"day\":7}");
    assert_none(&r, &e, &s, now, "no hire date");
    r = rule("tenure", "{\"days\":[30]}");
    assert_none(&r, &e, &s, now, "no hire date");
    e.tz = NULL;
    assert_none(&r, &e, &s, now, "no time zone");
    e.tz = kol;

    r = rule("adhoc", "{\"date\":\"2026-12-01\",\"departments\":[\"Sales\",\"Ops\"],\"locations\":[]}");
    assert_none(&r, &e, &s, now, ""); /* no department */
    e.department = "sales";
    assert_none(&r, &e, &s, now, ""); /* case matters */
    e.department = "Ops";
    assert_due(&r, &e, &s, now, "adhoc-2026-12-01", utc_ms("2026-12-01", 4, 30));
    r = rule("adhoc", "{\"date\":\"2026-12-01\",\"departments\":[\"Ops\"],\"locations\":[\"Lyon\"]}");
    e.location = "Pune";
    assert_none(&r, &e, &s, now, "");
    e.location = "Lyon";
    assert_due(&r, &e, &s, now, "adhoc-2026-12-01", utc_ms("2026-12-01", 4, 30));
    /* The campaign predates the hire: not for this employee. */
    e.has_hire = 1;
    e.hire_day = day_of("2026-12-02");
    assert_none(&r, &e, &s, now, "");

    /* A rule that did not come from rules_parse. */
    tp_rule bad = {.kind = TP_PULSE, .every_days = 0};
    assert_none(&bad, &e, &s, now, "invalid rule");
}

static void test_next_allowed(void **state) {
    (void)state;
    const hark_tz *ny = zone("America/New_York"), *kol = zone("Asia/Kolkata");
    outreach_schedule s = schedule(); /* quiet 20:00-08:00, Monday to Friday */
    /* 23:00 on a Tuesday: 08:00 Wednesday. */
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-10", 23, 0)), utc_ms("2026-03-11", 12, 0));
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-10", 20, 0)), utc_ms("2026-03-11", 12, 0));
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-11", 3, 0)), utc_ms("2026-03-11", 12, 0));
    /* Friday night and Saturday: Monday 08:00, across the DST change. */
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-13", 23, 0)), utc_ms("2026-03-16", 12, 0));
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-07", 10, 0)), utc_ms("2026-03-09", 12, 0));
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-10-30", 21, 0)), utc_ms("2026-11-02", 13, 0));
    /* Allowed instants come back to the millisecond. */
    int64_t t = local_ms(ny, "2026-03-10", 12, 0) + 123;
    assert_int_equal(rules_next_allowed(&s, ny, t), t);
    t = local_ms(ny, "2026-03-10", 20, 0) - 1;
    assert_int_equal(rules_next_allowed(&s, ny, t), t);
    t = local_ms(ny, "2026-03-10", 8, 0) - 500;
    assert_int_equal(rules_next_allowed(&s, ny, t), local_ms(ny, "2026-03-10", 8, 0));
    /* A half-hour zone. */
    assert_int_equal(rules_next_allowed(&s, kol, local_ms(kol, "2026-03-10", 23, 0)), utc_ms("2026-03-11", 2, 30));

    /* Quiet hours within a day. */
    s.quiet_start = 12 * 60;
    s.quiet_end = 13 * 60;
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-10", 12, 30)), local_ms(ny, "2026-03-10", 13, 0));
    t = local_ms(ny, "2026-03-10", 23, 0);
    assert_int_equal(rules_next_allowed(&s, ny, t), t);
    /* No quiet hours: only the weekend waits, until Monday 00:00. */
    s.quiet_start = s.quiet_end = 600;
    t = local_ms(ny, "2026-03-10", 3, 0);
    assert_int_equal(rules_next_allowed(&s, ny, t), t);
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-07", 3, 0)), utc_ms("2026-03-09", 4, 0));
    assert_int_equal(rules_next_allowed(&s, ny, local_ms(ny, "2026-03-08", 3, 0)), utc_ms("2026-03-09", 4, 0));

    /* Quiet hours ending inside the spring-forward gap (02:00 -> 03:00):
     * the wall clock jumps from 01:59:59 to 03:00, already past 02:30. */
    s.working_days = 0x7F;
    s.quiet_start = 20 * 60;
    s.quiet_end = 150;
    assert_int_equal(rules_next_allowed(&s, ny, utc_ms("2026-03-08", 6, 0)), utc_ms("2026-03-08", 7, 0));
    /* Quiet hours ending inside the fall-back overlap (01:00-02:00 twice):
     * the first time the clock shows 01:30 after T. */
    s.quiet_end = 90;
    assert_int_equal(rules_next_allowed(&s, ny, utc_ms("2026-11-01", 5, 15)), utc_ms("2026-11-01", 5, 30));
    assert_int_equal(rules_next_allowed(&s, ny, utc_ms("2026-11-01", 6, 15)), utc_ms("2026-11-01", 6, 30));
    t = utc_ms("2026-11-01", 5, 45); /* 01:45 EDT, allowed */
    assert_int_equal(rules_next_allowed(&s, ny, t), t);
    /* Paris, 02:00 CET -> 03:00 CEST on 2026-03-29, quiet until 02:30. */
    const hark_tz *par = zone("Europe/Paris");
    assert_int_equal(rules_next_allowed(&s, par, utc_ms("2026-03-28", 23, 30)), utc_ms("2026-03-29", 0, 30));
    s.quiet_end = 150;
    assert_int_equal(rules_next_allowed(&s, par, utc_ms("2026-03-28", 23, 30)), utc_ms("2026-03-29", 1, 0));
}

static void expect_parse_error(const char *kind, const char *json, const char *prefix) {
    tp_rule r;
    char err[256] = "";
    memset(&r, 0x55, sizeof r);
    if (rules_parse(kind, json, &r, err, sizeof err) != HARK_EINVAL) fail_msg("%s rule %s parsed", kind, json);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("%s rule %s: got \"%s\", want \"%s...\"", kind, json, err, prefix);
    assert_int_equal(r.nmilestones + r.ndepartments + r.nlocations + r.every_days + r.day, 0);
}

static void test_parse_errors(void **state) {
    (void)state;
    static const char *const cases[][3] = {
        {"survey", "{}", "kind: unknown touchpoint kind 'survey'"},
        {"pulse", "{\"every_days\":6}", "every_days: must be an integer from 7 to 365"},
        {"pulse", "{\"every_days\":366}", "every_days: must be an integer from 7 to 365"},
        {"pulse", "{\"every_days\":30.0}", "every_days: must be an integer"},
        {"pulse", "{\"every_days\":\"30\"}", "every_days: must be an integer"},
        {"pulse", "{}", "every_days: missing"},
        {"pulse", "{\"every_days\":30,\"every\":3}", "every: unknown key (pulse takes every_days)"},
        {"pulse", "{\"every_days\":30,\"every_days\":31}", "rule: not valid JSON"},
        {"pulse", "[30]", "rule: must be a JSON object"},
        {"pulse", "{\"every_days\":", "rule: not valid JSON"},
        {"pulse", "", "rule: not valid JSON"},
        {"onboarding", "{\"day\":3651}", "day: must be an integer from 0 to 3650"},
        {"onboarding", "{\"day\":-1}", "day: must be an integer from 0 to 3650"},
        {"onboarding", "{\"day\":true}", "day: must be an integer"},
        {"onboarding", "{\"days\":7}", "days: unknown key (onboarding takes day)"},
        {"tenure", "{\"days\":[30,30]}", "days[1]: must be greater than days[0] (30)"},
        {"tenure", "{\"days\":[30,90,60]}", "days[2]: must be greater than days[1] (90)"},
        {"tenure", "{\"days\":[0]}", "days[0]: must be an integer from 1 to 36500"},
        {"tenure", "{\"days\":[36501]}", "days[0]: must be an integer from 1 to 36500"},
        {"tenure", "{\"days\":[\"30\"]}", "days[0]: must be an integer"},
        {"tenure", "{\"days\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}", "days: must be an array of at most 16"},
        {"tenure", "{\"days\":30}", "days: must be an array"},
        {"tenure", "{\"days\":[30],\"yearly\":1}", "yearly: must be true or false"},
        {"tenure", "{\"days\":[]}", "days: a tenure rule needs"},
        {"tenure", "{\"yearly\":false}", "days: a tenure rule needs"},
        {"tenure", "{\"days\":[30],\"every\":1}", "every: unknown key (tenure takes days, yearly)"},
        {"exit", "{}", "days_before_exit: missing"},
        {"exit", "{\"days_before_exit\":1,\"days_after_exit\":2}", "days_after_exit: give days_before_exit or"},
        {"exit", "{\"days_after_exit\":366}", "days_after_exit: must be an integer from 0 to 365"},
        {"exit", "{\"days_before_exit\":-1}", "days_before_exit: must be an integer from 0 to 365"},
        {"adhoc", "{}", "date: missing"},
        {"adhoc", "{\"date\":\"2026-02-29\"}", "date: must be a real date"},
        {"adhoc", "{\"date\":\"2026-2-3\"}", "date: must be a real date"},
        {"adhoc", "{\"date\":20261201}", "date: must be a real date"},
        {"adhoc", "{\"date\":\"2026-12-01\",\"departments\":\"Sales\"}", "departments: must be an array"},
        {"adhoc", "{\"date\":\"2026-12-01\",\"locations\":[\"\"]}", "locations[0]: must be a string of 1 to 63"},
        {"adhoc", "{\"date\":\"2026-12-01\",\"locations\":[\"Lyon\",7]}", "locations[1]: must be a string"},
        {"adhoc", "{\"date\":\"2026-12-01\",\"locations\":[\"a\\u0000b\"]}", "rule: not valid JSON"},
        {"adhoc", "{\"date\":\"2026-12-01\",\"segment\":[]}", "segment: unknown key (adhoc takes date, departments"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_parse_error(cases[i][0], cases[i][1], cases[i][2]);
    expect_parse_error(NULL, "{}", "kind: unknown touchpoint kind");
    expect_parse_error("pulse", NULL, "rule: missing");

    /* Bounds that need building: 64-byte names, 33 entries, 16 KiB. */
    char json[RULES_JSON_MAX + 64];
    snprintf(json, sizeof json, "{\"date\":\"2026-12-01\",\"locations\":[\"%064d\"]}", 0);
    expect_parse_error("adhoc", json, "locations[0]: must be a string of 1 to 63 bytes");
    size_t n = (size_t)snprintf(json, sizeof json, "{\"date\":\"2026-12-01\",\"departments\":[\"d\"");
    for (int i = 1; i < 33; i++) n += (size_t)snprintf(json + n, sizeof json - n, ",\"d%d\"", i);
    snprintf(json + n, sizeof json - n, "]}");
    expect_parse_error("adhoc", json, "departments: must be an array of at most 32 strings");
    memset(json, ' ', RULES_JSON_MAX + 1);
    memcpy(json, "{\"every_days\":30}", 17);
    json[RULES_JSON_MAX + 1] = '\0';
    expect_parse_error("pulse", json, "rule: longer than 16384 bytes");
    json[RULES_JSON_MAX] = '\0'; /* exactly at the bound: fine */
    tp_rule r = rule("pulse", json);
    assert_int_equal(r.every_days, 30);
}

static void test_parse_values(void **state) {
    (void)state;
    tp_rule r = rule("onboarding", "{\"day\":3650}");
    assert_int_equal(r.kind, TP_ONBOARDING);
    assert_int_equal(r.day, 3650);
    r = rule("tenure", "{\"days\":[30,90,180,365],\"yearly\":true}");
    assert_int_equal(r.kind, TP_TENURE);
    assert_int_equal(r.nmilestones, 4);
    assert_int_equal(r.milestones[3], 365);
    assert_int_equal(r.yearly, 1);
    r = rule("tenure", "{\"days\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,36500]}");
    assert_int_equal(r.nmilestones, 16);
    assert_int_equal(r.yearly, 0);
    r = rule("pulse", " {\"every_days\":7} ");
    assert_int_equal(r.kind, TP_PULSE);
    assert_int_equal(r.every_days, 7);
    r = rule("exit", "{\"days_before_exit\":3}");
    assert_int_equal(r.exit_offset, -3);
    r = rule("exit", "{\"days_after_exit\":365}");
    assert_int_equal(r.exit_offset, 365);
    r = rule("adhoc", "{\"date\":\"2028-02-29\",\"departments\":[\"Sales\",\"R&D\"],\"locations\":[\"Lyon\"]}");
    assert_int_equal(r.kind, TP_ADHOC);
    assert_int_equal(r.date, day_of("2028-02-29"));
    assert_int_equal(r.ndepartments, 2);
    assert_string_equal(r.departments[1], "R&D");
    assert_int_equal(r.nlocations, 1);
    assert_string_equal(r.locations[0], "Lyon");
    r = rule("adhoc", "{\"date\":\"2026-12-01\"}");
    assert_int_equal(r.ndepartments + r.nlocations, 0);
}

static void test_schedule_check(void **state) {
    (void)state;
    outreach_schedule s = schedule();
    char err[256];
    assert_int_equal(s.send_minute, 600);
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), 0);
    s.send_minute = 21 * 60;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_string_equal(err, "send_minute: 21:00 is inside the quiet hours 20:00-08:00");
    s.send_minute = 7 * 60;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    s.send_minute = 8 * 60; /* the end of the quiet hours is not quiet */
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), 0);
    s.send_minute = 1440;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_memory_equal(err, "send_minute:", 12);
    s = schedule();
    s.quiet_start = -1;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_memory_equal(err, "quiet_start:", 12);
    s = schedule();
    s.quiet_end = 1440;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_memory_equal(err, "quiet_end:", 10);
    s = schedule();
    s.working_days = 0;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_memory_equal(err, "working_days:", 13);
    s.working_days = 0x80 | 0x3E;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    s.working_days = 0x01; /* Sundays only is odd but allowed */
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), 0);
    s = schedule();
    s.ttl_days = 0;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    assert_memory_equal(err, "ttl_days:", 9);
    s.ttl_days = 366;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), HARK_EINVAL);
    s.ttl_days = 365;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), 0);
    /* No quiet hours: any send time. */
    s.quiet_start = s.quiet_end = 0;
    s.send_minute = 0;
    assert_int_equal(rules_schedule_check(&s, err, sizeof err), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekday_sanity),
        cmocka_unit_test(test_hash_is_pinned),
        cmocka_unit_test(test_onboarding_across_zones),
        cmocka_unit_test(test_dst_days),
        cmocka_unit_test(test_weekend_moves_to_monday),
        cmocka_unit_test(test_catch_up_and_expiry),
        cmocka_unit_test(test_exit),
        cmocka_unit_test(test_leap_days),
        cmocka_unit_test(test_tenure_walk),
        cmocka_unit_test(test_tenure_ties),
        cmocka_unit_test(test_pulse_spread),
        cmocka_unit_test(test_pulse_stable),
        cmocka_unit_test(test_missing_dates_and_segments),
        cmocka_unit_test(test_next_allowed),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_schedule_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
