/* Touchpoint rules: when an employee is due for a touchpoint, as pure
 * functions of the rule (JSON data stored per tenant), the employee's dates,
 * the tenant's schedule and the time. A part of its own (core and jansson
 * only), so that outreach plans with them and web checks a rule an admin
 * edits without either calling the other. The planner (outreach/planner.c) asks
 * rules_latest_due for every active touchpoint of every employee and turns
 * the answers into invites; nothing here reads the database or the clock.
 *
 * Rule JSON per kind (unknown keys, duplicate keys, wrong types and values out
 * of range are errors; every integer must be a JSON integer, 7.0 is not):
 *   onboarding  {"day":7}                              N days after the hire date (0-3650)
 *   tenure      {"days":[30,90,180,365],"yearly":true} days after hire (1-36500, up to 16,
 *                                                      strictly increasing), then every
 *                                                      anniversary after the last listed day
 *                                                      when yearly; either may be left out,
 *                                                      not both ("yearly" defaults to false)
 *   pulse       {"every_days":30}                      every N days (7-365); each employee's
 *                                                      day in the period comes from a stable
 *                                                      hash of tenant and employee id over the
 *                                                      period's working days; never before the
 *                                                      hire date
 *   exit        {"days_before_exit":3} or {"days_after_exit":N}   (0-365; exactly one of them)
 *   adhoc       {"date":"2026-12-01","departments":["Sales"],"locations":["Lyon"]}
 *                                                      one campaign on a date for a segment
 *                                                      (empty or missing lists = everyone;
 *                                                      up to 32 entries each, 1-63 bytes;
 *                                                      matched exactly, case-sensitively)
 * Occurrence keys (unique per employee and touchpoint, at most 31 bytes):
 *   onboarding "day-7"; tenure "day-90", "year-3"; pulse "p-2026-11-02" (the
 *   period's first day); exit "exit-2026-12-24" (the exit date); adhoc
 *   "adhoc-2026-12-01".
 *
 * Dates are days since 1970-01-01 in the employee's own calendar (core/tz.h).
 * An occurrence has a nominal day; the due day is the nominal day when it is a
 * working day, else the next working day (forward, also for days_before_exit).
 * The due instant is tz_from_local(zone, due day, send_minute * 60): the local
 * send time on the due day (a send time skipped by a spring-forward change
 * falls that much later, see tz.h); it expires ttl_days * 86400000 ms later.
 *
 * Tenure: milestone "day-N" is nominally hire + N. With "yearly", anniversary
 * N (key "year-N") is the hire date's month and day in year hire year + N; the
 * anniversary of a 29 February hire is 28 February in a common year and 29
 * February in a leap year. Anniversaries start after the year of the last
 * milestone, counted in whole 365-day years (last / 365): after a last
 * milestone of 1-364 days they start at year 1, of 365-729 at year 2, of
 * 730-1094 at year 3; with no milestone at year 1. So a 365-day milestone is
 * never followed by a year-1 anniversary a day later (hires before 29 Feb).
 *
 * Pulse: periods of every_days days tile the calendar from a fixed Monday,
 * 1970-01-05, so every employee of every tenant has the same periods: period P
 * is [1970-01-05 + P * every_days, + every_days). The employee's day in a
 * period is its K-th working day (from 0), K = rules_employee_hash(tenant,
 * employee) % (number of working days in the period), which spreads a
 * tenant's staff over the working days like a fair die (10,000 people over 22
 * days: about 455 a day, each day within +-10% or so) and gives each employee
 * the same day every run.
 *
 * Employment dates: except for exit, no occurrence whose due day is before
 * the hire date or after the exit date exists (when those dates are known),
 * and once the employee's local date is past the exit date nothing but the
 * exit touchpoint is due (no catch-up pulse or anniversary to a leaver). */
#ifndef HARK_RULES_RULES_H
#define HARK_RULES_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

enum tp_kind { TP_ONBOARDING, TP_TENURE, TP_PULSE, TP_EXIT, TP_ADHOC };

#define RULES_MAX_MILESTONES 16
#define RULES_MAX_SEGMENT    32
#define RULES_JSON_MAX       16384 /* bytes of rule JSON rules_parse accepts */

typedef struct tp_rule {
    enum tp_kind kind;
    int day;                              /* onboarding */
    int milestones[RULES_MAX_MILESTONES]; /* tenure: days after hire, increasing */
    int nmilestones;
    int yearly;                              /* tenure: anniversaries after the last milestone */
    int every_days;                          /* pulse */
    int exit_offset;                         /* exit: days relative to the exit date (negative = before) */
    int64_t date;                            /* adhoc: days since the epoch */
    char departments[RULES_MAX_SEGMENT][64]; /* adhoc segment */
    int ndepartments;
    char locations[RULES_MAX_SEGMENT][64];
    int nlocations;
} tp_rule;

/* Parses the rule JSON of a touchpoint of KIND ("onboarding", "tenure",
 * "pulse", "exit", "adhoc") into *OUT (no allocation; nothing to free). 0, or
 * HARK_EINVAL with ERR naming the key and the problem ("every_days: must be an
 * integer from 7 to 365", "days[2]: must be greater than days[1] (90)"); "kind"
 * for an unknown kind and "rule" for JSON that does not parse, is not an object
 * or is longer than RULES_JSON_MAX. */
int rules_parse(const char *kind, const char *json, tp_rule *out, char *err, size_t errlen);

/* A tenant's sending schedule. */
typedef struct outreach_schedule {
    int send_minute;       /* local send time, minutes after midnight (default 600: 10:00) */
    int quiet_start;       /* quiet hours [quiet_start, quiet_end) in local minutes, may wrap */
    int quiet_end;         /* midnight; equal values = no quiet hours (default 1200-480) */
    unsigned working_days; /* bit d set = day d is a working day, 0 = Sunday (default 0x3E, Mon-Fri) */
    int ttl_days;          /* an invite expires this long after its due instant (default 7) */
} outreach_schedule;

/* Fills *S with the defaults above. */
void rules_schedule_default(outreach_schedule *s);

/* Checks a schedule before it is stored: minutes 0-1439, working_days a
 * non-empty subset of bits 0-6, ttl_days 1-365, and the send time outside the
 * quiet hours. 0, or HARK_EINVAL with ERR naming the field ("send_minute: 21:00
 * is inside the quiet hours 20:00-08:00"). The functions below expect a checked
 * schedule; given none, they still terminate (no working day counts as every
 * day) but their answers mean little. */
int rules_schedule_check(const outreach_schedule *s, char *err, size_t errlen);

/* What the rules need to know about an employee. */
typedef struct rules_employee {
    int64_t tenant_id, id;
    int has_hire;
    int64_t hire_day; /* days since the epoch */
    int has_exit;
    int64_t exit_day;
    const hark_tz *tz;                 /* the employee's zone, else the tenant's */
    const char *department, *location; /* NULL = unknown: in no segment that lists any */
} rules_employee;

typedef struct rules_due {
    char occurrence[32];
    int64_t due_ms;     /* Unix ms: the local send time on the (working) due day */
    int64_t expires_ms; /* due_ms + ttl_days * 86400000 */
} rules_due;

/* The latest occurrence of rule R for employee E whose due instant is at or
 * before NOW_MS and which has not expired at NOW_MS (NOW_MS < expires_ms): a
 * touchpoint missed while Hark was stopped is still found, once, until it
 * expires. Only the latest occurrence due by NOW_MS counts: when it has
 * expired nothing is due, even if an earlier one had not (possible only when
 * occurrences are closer together than ttl_days), and of occurrences with the
 * same due instant (milestones moved onto the same working day) the later one
 * in the rule wins. 1 and *OUT when there is one; 0 when none, with *WHY
 * (when WHY is not NULL; a static string) naming what is missing or wrong,
 * for the planner to record as a skip: "no hire date" (onboarding, tenure),
 * "no exit date" (exit), "no time zone" (E->tz NULL), "invalid rule" (one
 * rules_parse would not produce); or "" when the rule simply has nothing due:
 * not yet, expired, outside the adhoc segment, or past the exit date. */
int rules_latest_due(const tp_rule *r, const rules_employee *e, const outreach_schedule *s, int64_t now_ms,
                     rules_due *out, const char **why);

/* The earliest instant at or after T_MS (Unix ms) that falls on a working day
 * and outside quiet hours in zone Z (not NULL): when an invite that is due (or
 * late) may leave. T_MS itself when it is allowed; otherwise a whole second.
 * Exact across daylight-saving changes: when the end of the quiet hours falls
 * in a spring-forward gap, the answer is the instant of the change (the first
 * wall time after the gap), and in a fall-back overlap it is the first time
 * the wall clock reaches the end of the quiet hours after T_MS. */
int64_t rules_next_allowed(const outreach_schedule *s, const hark_tz *z, int64_t t_ms);

/* Stable hash of (tenant, employee) for spreading pulses: the same on every
 * machine and every version; changing it would move every employee's pulse
 * day. Defined as, in uint64_t arithmetic modulo 2^64, with
 *   mix(x) = x ^= x >> 30; x *= 0xbf58476d1ce4e5b9; x ^= x >> 27;
 *            x *= 0x94d049bb133111eb; x ^= x >> 31 (the splitmix64 finaliser),
 *   G = 0x9e3779b97f4a7c15:
 *   hash = mix(mix((uint64_t)tenant_id + G) ^ ((uint64_t)employee_id + 2 * G)).
 * rules_employee_hash(1, 1) is 0xcc2a9c30d4d9e843 (tests/unit/test_rules.c pins it). */
uint64_t rules_employee_hash(int64_t tenant_id, int64_t employee_id);

#endif
