/* Internals of the time zone module shared by tz.c (civil dates, the zone
 * cache, lookups), tz_file.c (TZif data into a hark_tz) and tz_posix.c (the
 * POSIX TZ rule of a TZif footer). Not for use outside src/core/tz*.c. */
#ifndef HARK_CORE_TZ_INT_H
#define HARK_CORE_TZ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

#define TZ_NAME_MAX  255       /* bytes of a zone name */
#define TZ_CACHE_MAX 512       /* distinct zones loaded per process */
#define TZ_FILE_MAX  (1 << 20) /* bytes of a TZif file; the largest real one is under 4 KiB */
#define TZ_MAX_TIMES 65536     /* transitions in a TZif file */
#define TZ_MAX_TYPES 256       /* local time types (a transition names one in a byte) */
#define TZ_MAX_CHARS 4096      /* bytes of time zone designations */
#define TZ_MAX_LEAPS 4096      /* leap second records */
/* The widest UT offset accepted, in seconds: RFC 8536 asks for -89999 to
 * 93599, POSIX TZ strings allow 24:59:59. */
#define TZ_OFF_MAX 93599
/* Instants are clamped to +-2^55 seconds (about a billion years) so that no
 * sum of an instant, an offset and a rule time can overflow. */
#define TZ_T_LIMIT (INT64_C(1) << 55)
#define TZ_DAY     86400

/* The day of a POSIX rule change: Jn (1-365, February 29 never counted), n
 * (0-365, counting February 29) or Mm.w.d (day d, 0 = Sunday, of week w, 5 =
 * the last, of month m). */
typedef struct tz_rule_day {
    char kind; /* 'J', 'N' or 'M' */
    int day;   /* J and N */
    int month, week, wday;
} tz_rule_day;

/* A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3". Offsets are seconds
 * east of UTC (the string counts west, so "CET-1" is +3600). Daylight time
 * starts at START_TIME local standard time on START and ends at END_TIME
 * local daylight time on END; the times may lie outside 0-24 h (RFC 8536
 * version 3 allows -167 h to 167 h). */
typedef struct tz_rule {
    int32_t std_off, dst_off;
    int has_dst;
    tz_rule_day start, end;
    int32_t start_time, end_time;
} tz_rule;

/* A loaded zone: its offsets as a list of changes, then its rule. Transitions
 * of the file that keep the offset (a new abbreviation, standard time
 * becoming daylight time at the same offset) are dropped, so consecutive
 * entries differ. */
struct hark_tz {
    char name[TZ_NAME_MAX + 1];
    int64_t *at;  /* instants where the offset changes, strictly ascending */
    int32_t *off; /* off[i]: the offset from at[i] on */
    size_t n;
    int32_t off0;      /* the offset before at[0]: the file's time type 0 */
    int has_rule;      /* the footer gave a rule ... */
    int64_t rule_from; /* ... which governs instants from here on (INT64_MIN: all) */
    tz_rule rule;
};

/* Parses the TZif file DATA (LEN bytes, version 1 to 4) into Z's table and
 * rule; Z->name is left alone. 0, HARK_EINVAL for anything malformed, or
 * HARK_ENOMEM; on success Z owns Z->at and Z->off (malloc), on failure it
 * holds nothing. */
int tz__file_parse(const unsigned char *data, size_t len, hark_tz *z);

/* Parses the POSIX TZ string S (LEN bytes, no NUL needed): 0 or HARK_EINVAL. */
int tz__rule_parse(const char *s, size_t len, tz_rule *out);

/* The offset rule R gives at instant T, with the instants of the changes on
 * either side: *BEGIN <= T < *END (INT64_MIN and INT64_MAX when the rule has
 * no daylight time). */
int32_t tz__rule_span(const tz_rule *r, int64_t t, int64_t *begin, int64_t *end);

/* Floor division by a positive divisor. */
static inline int64_t tz__floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

static inline int64_t tz__clamp(int64_t t, int64_t limit) {
    return t < -limit ? -limit : t > limit ? limit : t;
}

#endif
