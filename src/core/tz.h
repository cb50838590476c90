/* Civil dates and IANA time zones, read from the system's tz database (TZif
 * files, RFC 8536, including the POSIX TZ footer that covers every time after
 * the last listed transition). Pure functions and an immutable, process-wide
 * zone cache: safe from any thread, no setenv("TZ"), no localtime_r. Used by
 * the outreach planner to send at an employee's local time; not for
 * formatting dates for people. */
#ifndef HARK_TZ_H
#define HARK_TZ_H

#include <stdint.h>

typedef struct hark_tz hark_tz; /* immutable once loaded; never freed before exit */

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D (M 1-12, D 1-31;
 * not checked) and back. tz_civil_from_days clamps DAYS to +-2^39 (about 1.5
 * billion years) so that the year fits an int. */
int64_t tz_days_from_civil(int y, int m, int d);
void tz_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday. */
int tz_weekday(int64_t days);
/* Days in month M of year Y (leap years included); 0 for M outside 1-12. */
int tz_month_days(int y, int m);

/* Parses a strict "YYYY-MM-DD" (a real date, year 1000-9999) into days since
 * the epoch: 0 or HARK_EINVAL. */
int tz_date_parse(const char *s, int64_t *days);
/* Writes "YYYY-MM-DD" (11 bytes with the NUL); days before 0000-01-01 or
 * after 9999-12-31 are written as those dates. */
void tz_date_format(int64_t days, char out[11]);

/* The zone NAME ("Europe/Paris", "UTC", "America/Argentina/Buenos_Aires"),
 * loaded on first use from $TZDIR or /usr/share/zoneinfo and then cached (at
 * most 512 zones; more distinct names is HARK_EBUSY). Names with "..", a
 * leading '/', or characters other than letters, digits, '/', '_', '-', '+'
 * are HARK_ENOTFOUND without touching the file system, as are empty names or
 * components, names over 255 bytes, and missing files or directories. A
 * file that is not valid TZif (v1, v2 or v3; RFC 9636's v4 is read too) or is
 * over 1 MiB is HARK_EINVAL; an unreadable one HARK_EIO; a NULL argument
 * HARK_EINVAL; no memory HARK_ENOMEM. Failures are not cached. "UTC" is built in and never read
 * from the tz database. 0 and *OUT on success; the zone is never freed. */
int tz_get(const char *name, const hark_tz **out);
const char *tz_name(const hark_tz *z);

/* Offset of local time from UTC, in seconds, at the instant T (Unix seconds).
 * Here and below, instants beyond +-2^55 s (about a billion years) are taken
 * as those bounds. */
int tz_offset_at(const hark_tz *z, int64_t t);

/* The local date (days since the epoch) and second of the day (0-86399) at
 * the instant T (Unix seconds). */
void tz_to_local(const hark_tz *z, int64_t t, int64_t *days, int *sec);

/* The instant (Unix seconds) when local wall time is second SEC of day DAYS
 * (SEC outside 0-86399 counts on from that midnight all the same).
 * A wall time skipped by a forward change (a spring-forward gap) maps to the
 * same wall time after the change (02:30 in a 02:00->03:00 gap is 03:30); a
 * wall time that occurs twice (a fall-back overlap) maps to the earlier one. */
int64_t tz_from_local(const hark_tz *z, int64_t days, int sec);

#endif
