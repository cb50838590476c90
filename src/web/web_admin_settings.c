/* GET and PATCH /api/v1/settings (web_admin_int.h): the tenant's time zone,
 * outreach schedule, anonymity threshold k and confidentiality mode, in the
 * units people use ("10:00", ["mon","tue"]) rather than the stored ones
 * (minutes, a bit mask).
 *
 * A PATCH names only the fields it changes; every field is checked on the
 * loop for its type and range (errors name the field), then the store job
 * merges it with the stored values, checks what depends on both (the send
 * time outside the quiet hours, the time zone known to the tz database, read
 * from disk, so not on the loop), writes, and audits "settings.update" with
 * the changed field names and, for anon_k and confidentiality, the old and
 * new values. Only an owner may change anon_k or confidentiality: they
 * decide who can see what, which an admin must not widen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "rules/rules.h"
#include "store/admin.h"
#include "web/web_admin_int.h"

#define SETTINGS_BODY_MAX 4096

/* The fields of a PATCH, in the order answers and audit rows list them. */
enum {
    F_TIMEZONE,
    F_SEND_TIME,
    F_QUIET_HOURS,
    F_WORKING_DAYS,
    F_FREQUENCY_CAP_DAYS,
    F_REMINDERS,
    F_REMINDER_HOURS,
    F_INVITE_TTL_DAYS,
    F_ANON_K,
    F_CONFIDENTIALITY,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "timezone",  "send_time",      "quiet_hours",     "working_days", "frequency_cap_days",
    "reminders", "reminder_hours", "invite_ttl_days", "anon_k",       "confidentiality",
};

/* The integer fields and their ranges (those of `hark schedule`). */
static const struct {
    int field, min, max;
} int_fields[] = {
    {F_FREQUENCY_CAP_DAYS, 0, 365},
    {F_REMINDERS, 0, 5},
    {F_REMINDER_HOURS, 1, 720},
    {F_INVITE_TTL_DAYS, 1, 365},
    {F_ANON_K, STORE_ANON_K_MIN, STORE_ANON_K_MAX},
};

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* The tenant's settings, as stored. */
typedef struct settings {
    store_tenant t; /* time zone and schedule */
    store_admin_settings a;
} settings;

typedef struct settings_job {
    web_call *call;
    admin_refusal no;
    unsigned has; /* bit F_x: the PATCH gives field x */
    char timezone[64];
    int send_minute, quiet_start, quiet_end, working_days;
    int ints[F_COUNT]; /* the integer fields, by field */
    char confidentiality[16];
    settings now; /* the answer: the settings after the PATCH */
} settings_job;

/* ---- conversions ---- */

/* Minutes after midnight of a strict "HH:MM" (N bytes at S), or -1. */
static int parse_hhmm(const char *s, size_t n) {
    if (n != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

/* MINUTE (0-1439, as stored) as "HH:MM". */
static void format_hhmm(int minute, char out[6]) {
    unsigned m = (unsigned)minute % 1440;
    snprintf(out, 6, "%02u:%02u", m / 60, m % 60);
}

static int in_quiet(int start, int end, int minute) {
    if (start == end) return 0;
    if (start < end) return minute >= start && minute < end;
    return minute >= start || minute < end;
}

static json_t *settings_json(const settings *s) {
    const store_schedule *sc = &s->t.sched;
    char send[6], qs[6], qe[6], quiet[12];
    json_t *days = json_array();
    if (!days) return NULL;
    for (int d = 1; d <= 7; d++) /* Monday first */
        if (sc->working_days & (1 << (d % 7))) json_array_append_new(days, json_string(day_names[d % 7]));
    format_hhmm(sc->send_minute, send);
    format_hhmm(sc->quiet_start, qs);
    format_hhmm(sc->quiet_end, qe);
    snprintf(quiet, sizeof quiet, "%s-%s", qs, qe);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:i,s:i,s:i,s:i,s:s}", "tenant", s->t.slug, "name", s->t.name,
                     "timezone", s->t.timezone, "send_time", send, "quiet_hours",
                     sc->quiet_start == sc->quiet_end ? json_null() : json_string(quiet), "working_days", days,
                     "frequency_cap_days", sc->frequency_cap_days, "reminders", sc->reminders, "reminder_hours",
                     sc->reminder_hours, "invite_ttl_days", sc->invite_ttl_days, "anon_k", s->a.anon_k,
                     "confidentiality", s->a.confidentiality);
}

static int settings_read(store_conn *c, int64_t tenant_id, settings *out) {
    int rc = store_tenant_get(c, tenant_id, &out->t);
    if (!rc) rc = store_admin_settings_get(c, tenant_id, &out->a);
    return rc;
}

static void settings_done(void *arg, int status) {
    settings_job *j = arg;
    web_call *call = j->call;
    if (!admin_reply_failure(call, &j->no, status)) {
        json_t *root = settings_json(&j->now);
        if (root)
            web_reply_value(call, 200, root);
        else
            web_reply_error(call, 500, "internal", "the answer could not be written");
        json_decref(root);
    }
    free(j);
}

static settings_job *settings_job_new(web_call *call) {
    settings_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return NULL;
    }
    j->call = call;
    return j;
}

/* ---- GET ---- */

static int get_work(store_conn *c, void *arg) {
    settings_job *j = arg;
    return settings_read(c, j->call->p.tenant_id, &j->now);
}

void admin_settings_get(web_call *call) {
    settings_job *j = settings_job_new(call);
    if (j && web_call_submit(call, STORE_READ, get_work, settings_done, j)) free(j);
}

/* ---- PATCH ---- */

static int patch_work(store_conn *c, void *arg) {
    settings_job *j = arg;
    const web_principal *p = &j->call->p;
    settings old;
    int rc = settings_read(c, p->tenant_id, &old);
    if (rc) return rc;
    settings *s = &j->now;
    *s = old;
    store_schedule *sc = &s->t.sched;
    if (j->has & (1u << F_TIMEZONE)) {
        const hark_tz *z;
        rc = tz_get(j->timezone, &z);
        if (rc == HARK_ENOTFOUND || rc == HARK_EINVAL)
            return admin_refuse(&j->no, 400, "bad_request", "timezone: '%s' is not a time zone of the tz database",
                                j->timezone);
        if (rc) return rc;
        snprintf(s->t.timezone, sizeof s->t.timezone, "%s", j->timezone);
        snprintf(s->a.timezone, sizeof s->a.timezone, "%s", j->timezone);
    }
    if (j->has & (1u << F_SEND_TIME)) sc->send_minute = j->send_minute;
    if (j->has & (1u << F_QUIET_HOURS)) {
        sc->quiet_start = j->quiet_start;
        sc->quiet_end = j->quiet_end;
    }
    if (j->has & (1u << F_WORKING_DAYS)) sc->working_days = j->working_days;
    if (j->has & (1u << F_FREQUENCY_CAP_DAYS)) sc->frequency_cap_days = j->ints[F_FREQUENCY_CAP_DAYS];
    if (j->has & (1u << F_REMINDERS)) sc->reminders = j->ints[F_REMINDERS];
    if (j->has & (1u << F_REMINDER_HOURS)) sc->reminder_hours = j->ints[F_REMINDER_HOURS];
    if (j->has & (1u << F_INVITE_TTL_DAYS)) sc->invite_ttl_days = j->ints[F_INVITE_TTL_DAYS];
    if (j->has & (1u << F_ANON_K)) s->a.anon_k = j->ints[F_ANON_K];
    if (j->has & (1u << F_CONFIDENTIALITY))
        snprintf(s->a.confidentiality, sizeof s->a.confidentiality, "%s", j->confidentiality);
    if (in_quiet(sc->quiet_start, sc->quiet_end, sc->send_minute)) {
        char send[6], qs[6], qe[6];
        format_hhmm(sc->send_minute, send);
        format_hhmm(sc->quiet_start, qs);
        format_hhmm(sc->quiet_end, qe);
        return admin_refuse(&j->no, 400, "bad_request", "%s: the send time %s is inside the quiet hours %s-%s",
                            (j->has & (1u << F_SEND_TIME)) ? "send_time" : "quiet_hours", send, qs, qe);
    }
    outreach_schedule os = {sc->send_minute, sc->quiet_start, sc->quiet_end, (unsigned)sc->working_days,
                            sc->invite_ttl_days};
    char err[256];
    if (rules_schedule_check(&os, err, sizeof err))
        return admin_refuse(&j->no, 400, "bad_request", "schedule: %s", err);

    /* What changed, for the writes and the audit row. */
    const store_schedule *o = &old.t.sched;
    int changed[F_COUNT] = {0};
    changed[F_TIMEZONE] = strcmp(old.t.timezone, s->t.timezone) != 0;
    changed[F_SEND_TIME] = o->send_minute != sc->send_minute;
    changed[F_QUIET_HOURS] = o->quiet_start != sc->quiet_start || o->quiet_end != sc->quiet_end;
    changed[F_WORKING_DAYS] = o->working_days != sc->working_days;
    changed[F_FREQUENCY_CAP_DAYS] = o->frequency_cap_days != sc->frequency_cap_days;
    changed[F_REMINDERS] = o->reminders != sc->reminders;
    changed[F_REMINDER_HOURS] = o->reminder_hours != sc->reminder_hours;
    changed[F_INVITE_TTL_DAYS] = o->invite_ttl_days != sc->invite_ttl_days;
    changed[F_ANON_K] = old.a.anon_k != s->a.anon_k;
    changed[F_CONFIDENTIALITY] = strcmp(old.a.confidentiality, s->a.confidentiality) != 0;
    int any_schedule = 0, any_other = 0;
    for (int f = F_SEND_TIME; f <= F_INVITE_TTL_DAYS; f++) any_schedule |= changed[f];
    any_other = changed[F_TIMEZONE] || changed[F_ANON_K] || changed[F_CONFIDENTIALITY];
    if (!any_schedule && !any_other) return HARK_OK;
    if (any_schedule && (rc = store_tenant_set_schedule(c, p->tenant_id, sc))) return rc;
    if (any_other && (rc = store_admin_settings_set(c, p->tenant_id, &s->a))) return rc;

    json_t *names = json_array(), *d = json_object();
    if (!names || !d) {
        json_decref(names);
        json_decref(d);
        return HARK_ENOMEM;
    }
    for (int f = 0; f < F_COUNT; f++)
        if (changed[f]) json_array_append_new(names, json_string(field_names[f]));
    json_object_set_new(d, "changed", names);
    if (changed[F_ANON_K])
        json_object_set_new(d, "anon_k", json_pack("{s:i,s:i}", "old", old.a.anon_k, "new", s->a.anon_k));
    if (changed[F_CONFIDENTIALITY])
        json_object_set_new(d, "confidentiality",
                            json_pack("{s:s,s:s}", "old", old.a.confidentiality, "new", s->a.confidentiality));
    rc = web_audit(c, p, "settings.update", "settings", d);
    json_decref(d);
    return rc;
}

/* Reads field F of the PATCH body (present: V not NULL) into J. NULL, or the
 * problem naming the field (in MSG). */
static const char *take_field(settings_job *j, int f, json_t *v, char *msg, size_t msglen) {
    const char *name = field_names[f];
    switch (f) {
    case F_TIMEZONE: {
        size_t n = json_is_string(v) ? json_string_length(v) : 0;
        if (n == 0 || n >= sizeof j->timezone || memchr(json_string_value(v), '\0', n))
            return "timezone: must be an IANA time zone name such as \"Europe/Paris\"";
        memcpy(j->timezone, json_string_value(v), n + 1);
        return NULL;
    }
    case F_SEND_TIME:
        j->send_minute = json_is_string(v) ? parse_hhmm(json_string_value(v), json_string_length(v)) : -1;
        if (j->send_minute < 0) return "send_time: must be a time \"HH:MM\" (00:00 to 23:59)";
        return NULL;
    case F_QUIET_HOURS: {
        if (json_is_null(v)) {
            j->quiet_start = j->quiet_end = 0;
            return NULL;
        }
        const char *s = json_string_value(v);
        int ok = s && json_string_length(v) == 11 && s[5] == '-';
        j->quiet_start = ok ? parse_hhmm(s, 5) : -1;
        j->quiet_end = ok ? parse_hhmm(s + 6, 5) : -1;
        if (j->quiet_start < 0 || j->quiet_end < 0) return "quiet_hours: must be \"HH:MM-HH:MM\" or null for none";
        if (j->quiet_start == j->quiet_end) return "quiet_hours: start and end are equal; use null for no quiet hours";
        return NULL;
    }
    case F_WORKING_DAYS: {
        size_t i;
        json_t *it;
        j->working_days = 0;
        if (!json_is_array(v) || json_array_size(v) == 0)
            return "working_days: must be a non-empty array of day names (\"mon\" ... \"sun\")";
        json_array_foreach(v, i, it) {
            int d = -1;
            for (int k = 0; k < 7 && json_is_string(it); k++)
                if (strcmp(json_string_value(it), day_names[k]) == 0) d = k;
            if (d < 0) {
                snprintf(msg, msglen, "working_days[%zu]: must be one of mon, tue, wed, thu, fri, sat, sun", i);
                return msg;
            }
            if (j->working_days & (1 << d)) {
                snprintf(msg, msglen, "working_days[%zu]: %s is listed twice", i, day_names[d]);
                return msg;
            }
            j->working_days |= 1 << d;
        }
        return NULL;
    }
    case F_CONFIDENTIALITY: {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "anonymous") != 0 && strcmp(s, "confidential") != 0))
            return "confidentiality: must be \"anonymous\" or \"confidential\"";
        snprintf(j->confidentiality, sizeof j->confidentiality, "%s", s);
        return NULL;
    }
    default:
        for (size_t k = 0; k < sizeof int_fields / sizeof int_fields[0]; k++) {
            if (int_fields[k].field != f) continue;
            json_int_t x = json_is_integer(v) ? json_integer_value(v) : int_fields[k].min - 1;
            if (x < int_fields[k].min || x > int_fields[k].max) {
                snprintf(msg, msglen, "%s: must be an integer from %d to %d", name, int_fields[k].min,
                         int_fields[k].max);
                return msg;
            }
            j->ints[f] = (int)x;
            return NULL;
        }
        return "internal: unknown field";
    }
}

void admin_settings_patch(web_call *call) {
    char msg[256];
    const char *bad = NULL, *key;
    json_t *v;
    json_t *root = web_call_body(call, SETTINGS_BODY_MAX);
    if (!root) return;
    settings_job *j = settings_job_new(call);
    if (!j) {
        json_decref(root);
        return;
    }
    if (json_object_size(root) == 0) bad = "body: give at least one setting to change";
    json_object_foreach(root, key, v) {
        if (bad) break;
        int f = 0;
        while (f < F_COUNT && strcmp(key, field_names[f]) != 0) f++;
        if (f == F_COUNT) {
            snprintf(msg, sizeof msg, "%.64s: unknown setting", key);
            bad = msg;
            break;
        }
        bad = take_field(j, f, v, msg, sizeof msg);
        j->has |= 1u << f;
    }
    json_decref(root);
    if (bad) {
        free(j);
        admin_bad_request(call, "%s", bad);
        return;
    }
    if (strcmp(call->p.role, "owner") != 0) {
        const char *field = NULL;
        if (j->has & (1u << F_CONFIDENTIALITY)) field = "confidentiality";
        if (j->has & (1u << F_ANON_K)) field = "anon_k";
        if (field) {
            char m[160];
            free(j);
            snprintf(m, sizeof m, "%s: only an owner may change the anonymity threshold or the confidentiality mode",
                     field);
            web_reply_error(call, 403, "forbidden", m);
            return;
        }
    }
    if (web_call_submit(call, STORE_WRITE, patch_work, settings_done, j)) free(j);
}
