/* Touchpoint rules (rules.h): parsing and checking a touchpoint's rule JSON
 * and a tenant's schedule, and the calendar arithmetic that says which
 * occurrence of a rule is due for an employee at an instant and when it may
 * leave. Pure functions of their arguments: the clock, the database and the
 * sending belong to the planner and the mailer. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "rules/rules.h"

#define DAY_S           86400
#define DAY_MS          86400000LL
#define PULSE_EPOCH_DAY 4 /* 1970-01-05, a Monday */
#define ALL_DAYS        0x7Fu

/* ---- parsing ---- */

static const char *const kind_names[] = {"onboarding", "tenure", "pulse", "exit", "adhoc"};
/* The keys each kind takes, in kind_names' order, NULL-terminated. */
static const char *const kind_keys[][4] = {
    {"day", NULL},
    {"days", "yearly", NULL},
    {"every_days", NULL},
    {"days_before_exit", "days_after_exit", NULL},
    {"date", "departments", "locations", NULL},
};

static int check_keys(json_t *obj, int kind, char *err, size_t errlen) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        const char *const *a = kind_keys[kind];
        while (*a && strcmp(*a, k) != 0) a++;
        if (*a) continue;
        char allowed[96] = "";
        size_t used = 0;
        for (a = kind_keys[kind]; *a; a++) {
            int n = snprintf(allowed + used, sizeof allowed - used, "%s%s", a == kind_keys[kind] ? "" : ", ", *a);
            if (n < 0 || (size_t)n >= sizeof allowed - used) break;
            used += (size_t)n;
        }
        return hark_invalid(err, errlen, "%s: unknown key (%s takes %s)", k, kind_names[kind], allowed);
    }
    return HARK_OK;
}

/* Reads the integer KEY of OBJ into *OUT when present (*PRESENT says so). */
static int get_int(json_t *obj, const char *key, int lo, int hi, int *out, int *present, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (!v) return HARK_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return hark_invalid(err, errlen, "%s: must be an integer from %d to %d", key, lo, hi);
    *out = (int)json_integer_value(v);
    return HARK_OK;
}

static int get_required_int(json_t *obj, const char *key, int lo, int hi, int *out, char *err, size_t errlen) {
    int present;
    if (get_int(obj, key, lo, hi, out, &present, err, errlen)) return HARK_EINVAL;
    if (!present) return hark_invalid(err, errlen, "%s: missing (an integer from %d to %d)", key, lo, hi);
    return HARK_OK;
}

static int parse_tenure(json_t *obj, tp_rule *r, char *err, size_t errlen) {
    json_t *days = json_object_get(obj, "days"), *yearly = json_object_get(obj, "yearly");
    if (yearly && !json_is_boolean(yearly)) return hark_invalid(err, errlen, "yearly: must be true or false");
    r->yearly = json_is_true(yearly);
    if (days && (!json_is_array(days) || json_array_size(days) > RULES_MAX_MILESTONES))
        return hark_invalid(err, errlen, "days: must be an array of at most %d integers", RULES_MAX_MILESTONES);
    size_t i;
    json_t *d;
    json_array_foreach(days, i, d) {
        if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 36500)
            return hark_invalid(err, errlen, "days[%zu]: must be an integer from 1 to 36500", i);
        int m = (int)json_integer_value(d);
        if (i > 0 && m <= r->milestones[i - 1])
            return hark_invalid(err, errlen, "days[%zu]: must be greater than days[%zu] (%d)", i, i - 1,
                                r->milestones[i - 1]);
        r->milestones[i] = m;
        r->nmilestones = (int)i + 1;
    }
    if (r->nmilestones == 0 && !r->yearly)
        return hark_invalid(err, errlen, "days: a tenure rule needs at least one day or \"yearly\": true");
    return HARK_OK;
}

static int parse_exit(json_t *obj, tp_rule *r, char *err, size_t errlen) {
    int before = 0, after = 0, has_before, has_after;
    if (get_int(obj, "days_before_exit", 0, 365, &before, &has_before, err, errlen) ||
        get_int(obj, "days_after_exit", 0, 365, &after, &has_after, err, errlen))
        return HARK_EINVAL;
    if (has_before && has_after)
        return hark_invalid(err, errlen, "days_after_exit: give days_before_exit or days_after_exit, not both");
    if (!has_before && !has_after)
        return hark_invalid(err, errlen, "days_before_exit: missing (days_before_exit or days_after_exit, 0 to 365)");
    r->exit_offset = has_before ? -before : after;
    return HARK_OK;
}

static int parse_segment(json_t *obj, const char *key, char (*list)[64], int *n, char *err, size_t errlen) {
    json_t *a = json_object_get(obj, key);
    *n = 0;
    if (!a) return HARK_OK;
    if (!json_is_array(a) || json_array_size(a) > RULES_MAX_SEGMENT)
        return hark_invalid(err, errlen, "%s: must be an array of at most %d strings", key, RULES_MAX_SEGMENT);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        /* jansson rejects \u0000 in strings unless asked, so length is strlen. */
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof list[0])
            return hark_invalid(err, errlen, "%s[%zu]: must be a string of 1 to %zu bytes", key, i, sizeof list[0] - 1);
        memcpy(list[i], json_string_value(v), json_string_length(v) + 1);
        *n = (int)i + 1;
    }
    return HARK_OK;
}

static int parse_adhoc(json_t *obj, tp_rule *r, char *err, size_t errlen) {
    json_t *date = json_object_get(obj, "date");
    if (!date) return hark_invalid(err, errlen, "date: missing (a date \"YYYY-MM-DD\")");
    if (!json_is_string(date) || tz_date_parse(json_string_value(date), &r->date) != 0)
        return hark_invalid(err, errlen, "date: must be a real date \"YYYY-MM-DD\" (years 1000-9999)");
    if (parse_segment(obj, "departments", r->departments, &r->ndepartments, err, errlen) ||
        parse_segment(obj, "locations", r->locations, &r->nlocations, err, errlen))
        return HARK_EINVAL;
    return HARK_OK;
}

int rules_parse(const char *kind, const char *json, tp_rule *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    int k = -1;
    for (int i = 0; kind && i < (int)(sizeof kind_names / sizeof kind_names[0]); i++)
        if (strcmp(kind, kind_names[i]) == 0) k = i;
    if (k < 0)
        return hark_invalid(err, errlen,
                            "kind: unknown touchpoint kind '%.32s' (onboarding, tenure, pulse, exit or adhoc)",
                            kind ? kind : "");
    out->kind = (enum tp_kind)k;
    if (!json) return hark_invalid(err, errlen, "rule: missing");
    size_t len = strnlen(json, RULES_JSON_MAX + 1);
    if (len > RULES_JSON_MAX) return hark_invalid(err, errlen, "rule: longer than %d bytes", RULES_JSON_MAX);

    json_error_t jerr;
    json_t *obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = HARK_OK;
    if (!obj) return hark_invalid(err, errlen, "rule: not valid JSON (line %d: %s)", jerr.line, jerr.text);
    if (!json_is_object(obj)) {
        rc = hark_invalid(err, errlen, "rule: must be a JSON object");
        goto out;
    }
    rc = check_keys(obj, k, err, errlen);
    if (rc) goto out;
    switch (out->kind) {
    case TP_ONBOARDING: rc = get_required_int(obj, "day", 0, 3650, &out->day, err, errlen); break;
    case TP_TENURE: rc = parse_tenure(obj, out, err, errlen); break;
    case TP_PULSE: rc = get_required_int(obj, "every_days", 7, 365, &out->every_days, err, errlen); break;
    case TP_EXIT: rc = parse_exit(obj, out, err, errlen); break;
    case TP_ADHOC: rc = parse_adhoc(obj, out, err, errlen); break;
    }
out:
    json_decref(obj);
    if (rc) {
        enum tp_kind kept = out->kind;
        memset(out, 0, sizeof *out);
        out->kind = kept;
    }
    return rc;
}

/* ---- the schedule ---- */

void rules_schedule_default(outreach_schedule *s) {
    s->send_minute = 600;
    s->quiet_start = 1200;
    s->quiet_end = 480;
    s->working_days = 0x3E;
    s->ttl_days = 7;
}

/* Whether local minute M of a day is inside S's quiet hours. */
static int in_quiet(const outreach_schedule *s, int m) {
    if (s->quiet_start == s->quiet_end) return 0;
    if (s->quiet_start < s->quiet_end) return m >= s->quiet_start && m < s->quiet_end;
    return m >= s->quiet_start || m < s->quiet_end;
}

int rules_schedule_check(const outreach_schedule *s, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (s->send_minute < 0 || s->send_minute > 1439)
        return hark_invalid(err, errlen, "send_minute: must be from 0 to 1439 (minutes after midnight)");
    if (s->quiet_start < 0 || s->quiet_start > 1439)
        return hark_invalid(err, errlen, "quiet_start: must be from 0 to 1439 (minutes after midnight)");
    if (s->quiet_end < 0 || s->quiet_end > 1439)
        return hark_invalid(err, errlen, "quiet_end: must be from 0 to 1439 (minutes after midnight)");
    if ((s->working_days & ~ALL_DAYS) != 0 || s->working_days == 0)
        return hark_invalid(err, errlen,
                            "working_days: must set at least one of bits 0-6 (Sunday to Saturday) and no other");
    if (s->ttl_days < 1 || s->ttl_days > 365) return hark_invalid(err, errlen, "ttl_days: must be from 1 to 365");
    if (in_quiet(s, s->send_minute))
        return hark_invalid(err, errlen, "send_minute: %02d:%02d is inside the quiet hours %02d:%02d-%02d:%02d",
                            s->send_minute / 60, s->send_minute % 60, s->quiet_start / 60, s->quiet_start % 60,
                            s->quiet_end / 60, s->quiet_end % 60);
    return HARK_OK;
}

/* ---- calendar helpers ---- */

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The working-day mask; an empty one counts as every day so that nothing
 * here loops forever on an unchecked schedule. */
static unsigned work_mask(const outreach_schedule *s) {
    unsigned m = s->working_days & ALL_DAYS;
    return m ? m : ALL_DAYS;
}

static int is_working(unsigned mask, int64_t day) {
    return (mask >> tz_weekday(day)) & 1u;
}

static int64_t next_working(unsigned mask, int64_t day) {
    while (!is_working(mask, day)) day++;
    return day;
}

static void format_date(char *out, size_t len, const char *prefix, int64_t day) {
    int y, m, d;
    tz_civil_from_days(day, &y, &m, &d);
    snprintf(out, len, "%s%04d-%02d-%02d", prefix, y, m, d);
}

/* ---- due occurrences ---- */

/* The search for the latest occurrence due at NOW_MS: each candidate is
 * offered to consider(), which keeps the latest one due by then. */
typedef struct due_search {
    const rules_employee *e;
    const outreach_schedule *s;
    unsigned mask;
    int64_t now_ms;
    int employment; /* occurrences must lie within the employment dates */
    int found;
    rules_due best;
} due_search;

static void consider(due_search *q, int64_t nominal, const char *key) {
    int64_t day = next_working(q->mask, nominal);
    if (q->employment && q->e->has_hire && day < q->e->hire_day) return;
    if (q->employment && q->e->has_exit && day > q->e->exit_day) return;
    int64_t due = tz_from_local(q->e->tz, day, q->s->send_minute * 60) * 1000;
    if (due > q->now_ms || (q->found && due < q->best.due_ms)) return;
    q->found = 1;
    q->best.due_ms = due;
    snprintf(q->best.occurrence, sizeof q->best.occurrence, "%s", key);
}

/* Anniversary N of a hire on Y-M-D: 29 February becomes 28 February in a
 * common year. */
static int64_t anniversary(int y, int m, int d, int n) {
    int days = tz_month_days(y + n, m);
    return tz_days_from_civil(y + n, m, d < days ? d : days);
}

static void tenure_candidates(due_search *q, const tp_rule *r, int64_t today) {
    char key[32];
    for (int i = 0; i < r->nmilestones; i++) {
        snprintf(key, sizeof key, "day-%d", r->milestones[i]);
        consider(q, q->e->hire_day + r->milestones[i], key);
    }
    if (!r->yearly) return;
    int first = r->nmilestones ? r->milestones[r->nmilestones - 1] / 365 + 1 : 1;
    int hy, hm, hd, ty, tm, td;
    tz_civil_from_days(q->e->hire_day, &hy, &hm, &hd);
    tz_civil_from_days(today, &ty, &tm, &td);
    /* Only the anniversaries around today can be the latest one due. */
    for (int n = ty - hy - 2; n <= ty - hy + 1; n++) {
        if (n < first) continue;
        snprintf(key, sizeof key, "year-%d", n);
        consider(q, anniversary(hy, hm, hd, n), key);
    }
}

/* The employee's day in pulse period P: the K-th working day of the period. */
static int64_t pulse_day(const tp_rule *r, unsigned mask, uint64_t hash, int64_t p) {
    int64_t start = PULSE_EPOCH_DAY + p * r->every_days;
    int nwork = 0;
    for (int i = 0; i < r->every_days; i++) nwork += is_working(mask, start + i);
    int k = (int)(hash % (uint64_t)nwork);
    for (int i = 0;; i++) {
        if (!is_working(mask, start + i)) continue;
        if (k-- == 0) return start + i;
    }
}

static void pulse_candidates(due_search *q, const tp_rule *r, int64_t today) {
    int64_t top = floor_div(today - PULSE_EPOCH_DAY, r->every_days);
    if (q->e->has_exit) {
        int64_t exit_period = floor_div(q->e->exit_day - PULSE_EPOCH_DAY, r->every_days);
        if (exit_period < top) top = exit_period;
    }
    uint64_t hash = rules_employee_hash(q->e->tenant_id, q->e->id);
    char key[32];
    /* The latest due is in TOP or the period before (the one before that only
     * when a send time pushed by a gap crosses midnight); earlier periods
     * cannot beat them. */
    for (int64_t p = top - 2; p <= top; p++) {
        format_date(key, sizeof key, "p-", PULSE_EPOCH_DAY + p * r->every_days);
        consider(q, pulse_day(r, q->mask, hash, p), key);
    }
}

static int in_segment(const char (*list)[64], int n, const char *value) {
    if (n == 0) return 1;
    if (!value) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], value) == 0) return 1;
    return 0;
}

/* Whether R holds values rules_parse would accept, as far as the arithmetic
 * here depends on them. */
static int rule_usable(const tp_rule *r) {
    switch (r->kind) {
    case TP_ONBOARDING: return r->day >= 0 && r->day <= 3650;
    case TP_TENURE:
        if (r->nmilestones < 0 || r->nmilestones > RULES_MAX_MILESTONES) return 0;
        for (int i = 0; i < r->nmilestones; i++)
            if (r->milestones[i] < 1 || r->milestones[i] > 36500) return 0;
        return 1;
    case TP_PULSE: return r->every_days >= 7 && r->every_days <= 365;
    case TP_EXIT: return r->exit_offset >= -365 && r->exit_offset <= 365;
    case TP_ADHOC:
        return r->ndepartments >= 0 && r->ndepartments <= RULES_MAX_SEGMENT && r->nlocations >= 0 &&
               r->nlocations <= RULES_MAX_SEGMENT;
    }
    return 0;
}

int rules_latest_due(const tp_rule *r, const rules_employee *e, const outreach_schedule *s, int64_t now_ms,
                     rules_due *out, const char **why) {
    const char *reason = "";
    int rc = 0;
    if (!rule_usable(r)) {
        reason = "invalid rule";
        goto done;
    }
    if (!e->tz) {
        reason = "no time zone";
        goto done;
    }
    if ((r->kind == TP_ONBOARDING || r->kind == TP_TENURE) && !e->has_hire) {
        reason = "no hire date";
        goto done;
    }
    if (r->kind == TP_EXIT && !e->has_exit) {
        reason = "no exit date";
        goto done;
    }
    /* Outside the segment and past the exit date nothing is due by design:
     * no reason to record. */
    if (r->kind == TP_ADHOC && (!in_segment(r->departments, r->ndepartments, e->department) ||
                                !in_segment(r->locations, r->nlocations, e->location)))
        goto done;
    int64_t today;
    int sec;
    tz_to_local(e->tz, floor_div(now_ms, 1000), &today, &sec);
    if (r->kind != TP_EXIT && e->has_exit && today > e->exit_day) goto done;

    due_search q = {.e = e, .s = s, .mask = work_mask(s), .now_ms = now_ms, .employment = r->kind != TP_EXIT};
    char key[32];
    switch (r->kind) {
    case TP_ONBOARDING:
        snprintf(key, sizeof key, "day-%d", r->day);
        consider(&q, e->hire_day + r->day, key);
        break;
    case TP_TENURE: tenure_candidates(&q, r, today); break;
    case TP_PULSE: pulse_candidates(&q, r, today); break;
    case TP_EXIT:
        format_date(key, sizeof key, "exit-", e->exit_day);
        consider(&q, e->exit_day + r->exit_offset, key);
        break;
    case TP_ADHOC:
        format_date(key, sizeof key, "adhoc-", r->date);
        consider(&q, r->date, key);
        break;
    }
    if (!q.found) goto done;
    q.best.expires_ms = q.best.due_ms + (int64_t)s->ttl_days * DAY_MS;
    if (now_ms >= q.best.expires_ms) goto done;
    *out = q.best;
    rc = 1;
done:
    if (why) *why = reason;
    return rc;
}

/* ---- when an invite may leave ---- */

/* The earliest instant after X (Unix seconds, whose local wall time is before
 * WALL) at which the local wall time, as seconds since 1970-01-01 local, is
 * WALL or later. Within one offset that is WALL - offset; when the offset
 * changes first, the search restarts at the change: after a forward change the
 * wall time may already be past WALL (a gap), after a backward one the wall
 * clock reaches WALL again later (an overlap). Assumes at most one change
 * within the next day or so, which holds for every zone in the tz database. */
static int64_t reach_wall(const hark_tz *z, int64_t x, int64_t wall) {
    for (int i = 0; i < 8; i++) {
        int off = tz_offset_at(z, x);
        int64_t y = wall - off;
        if (y <= x) return x;
        if (tz_offset_at(z, y) == off) return y;
        int64_t lo = x, hi = y; /* offset(lo) == off, offset(hi) != off */
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (tz_offset_at(z, mid) == off)
                lo = mid;
            else
                hi = mid;
        }
        x = hi;
    }
    return x;
}

int64_t rules_next_allowed(const outreach_schedule *s, const hark_tz *z, int64_t t_ms) {
    unsigned mask = work_mask(s);
    int64_t x = floor_div(t_ms, 1000);
    /* Each step moves to the next day or to the end of the quiet hours, so a
     * week of steps (three a day at most) always reaches an allowed instant
     * for a checked schedule. */
    for (int step = 0; step < 64; step++) {
        int64_t day;
        int sec;
        tz_to_local(z, x, &day, &sec);
        int64_t wall;
        if (!is_working(mask, day))
            wall = (day + 1) * DAY_S;
        else if (in_quiet(s, sec / 60))
            wall =
                (s->quiet_start < s->quiet_end || sec / 60 < s->quiet_end ? day : day + 1) * DAY_S + s->quiet_end * 60;
        else
            return step == 0 ? t_ms : x * 1000;
        x = reach_wall(z, x, wall);
    }
    return x * 1000;
}

/* ---- the pulse hash ---- */

static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    return x;
}

uint64_t rules_employee_hash(int64_t tenant_id, int64_t employee_id) {
    const uint64_t g = 0x9e3779b97f4a7c15u;
    return mix(mix((uint64_t)tenant_id + g) ^ ((uint64_t)employee_id + 2 * g));
}
