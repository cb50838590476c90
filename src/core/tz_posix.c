/* The POSIX TZ rule of a TZif footer (tz_int.h): parsing strings such as
 * "EST5EDT,M3.2.0,M11.1.0" or "<+0330>-3:30" with RFC 8536's extensions
 * (quoted names, signed rule times up to 167 hours), and finding the offset
 * a rule gives at an instant. Only what a TZif footer needs: no "posixrules"
 * fallback, no TZ=":file" form. */
#include "core/err.h"
#include "core/tz_int.h"

/* The Gregorian calendar repeats dates and weekdays every 400 years. */
#define CYCLE_SECONDS (INT64_C(146097) * TZ_DAY)

static int is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Reads 1 to MAXD digits at *P into *V: 0 or HARK_EINVAL. */
static int digits(const char **p, const char *end, int maxd, int *v) {
    const char *s = *p;
    int n = 0;
    *v = 0;
    while (s < end && is_digit(*s) && n < maxd) {
        *v = *v * 10 + (*s - '0');
        s++;
        n++;
    }
    if (n == 0 || (s < end && is_digit(*s))) return HARK_EINVAL;
    *p = s;
    return HARK_OK;
}

static int expect(const char **p, const char *end, char c) {
    if (*p >= end || **p != c) return HARK_EINVAL;
    (*p)++;
    return HARK_OK;
}

/* A zone abbreviation: three or more letters, or "<...>" around three or
 * more letters, digits, '+' and '-'. */
static int parse_name(const char **p, const char *end) {
    const char *s = *p, *b;
    if (s < end && *s == '<') {
        b = ++s;
        while (s < end && (is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-')) s++;
        if (s - b < 3 || expect(&s, end, '>')) return HARK_EINVAL;
    } else {
        b = s;
        while (s < end && is_alpha(*s)) s++;
        if (s - b < 3) return HARK_EINVAL;
    }
    *p = s;
    return HARK_OK;
}

/* [+|-]hh[:mm[:ss]] with hh at most MAXH, as signed seconds. */
static int parse_hms(const char **p, const char *end, int maxh, int32_t *out) {
    const char *s = *p;
    int sign = 1, h, m = 0, sec = 0;
    if (s < end && (*s == '+' || *s == '-')) {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    if (digits(&s, end, 3, &h) || h > maxh) return HARK_EINVAL;
    if (s < end && *s == ':') {
        s++;
        if (digits(&s, end, 2, &m) || m > 59) return HARK_EINVAL;
        if (s < end && *s == ':') {
            s++;
            if (digits(&s, end, 2, &sec) || sec > 59) return HARK_EINVAL;
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    *p = s;
    return HARK_OK;
}

/* ",date[/time]": the day of a change and its local time (02:00 if absent). */
static int parse_change(const char **p, const char *end, tz_rule_day *d, int32_t *time) {
    const char *s = *p;
    int ok = 1;
    if (expect(&s, end, ',')) return HARK_EINVAL;
    if (s < end && *s == 'J') {
        s++;
        d->kind = 'J';
        ok = !digits(&s, end, 3, &d->day) && d->day >= 1 && d->day <= 365;
    } else if (s < end && *s == 'M') {
        s++;
        d->kind = 'M';
        ok = !digits(&s, end, 2, &d->month) && d->month >= 1 && d->month <= 12 && !expect(&s, end, '.') &&
             !digits(&s, end, 1, &d->week) && d->week >= 1 && d->week <= 5 && !expect(&s, end, '.') &&
             !digits(&s, end, 1, &d->wday) && d->wday <= 6;
    } else {
        d->kind = 'N';
        ok = !digits(&s, end, 3, &d->day) && d->day <= 365;
    }
    if (!ok) return HARK_EINVAL;
    *time = 7200;
    if (s < end && *s == '/') {
        s++;
        if (parse_hms(&s, end, 167, time)) return HARK_EINVAL;
    }
    *p = s;
    return HARK_OK;
}

int tz__rule_parse(const char *str, size_t len, tz_rule *out) {
    const char *p = str, *end = str + len;
    int32_t v;
    *out = (tz_rule){0};
    if (parse_name(&p, end) || parse_hms(&p, end, 24, &v)) return HARK_EINVAL;
    out->std_off = out->dst_off = -v;
    if (p == end) return HARK_OK;
    if (parse_name(&p, end)) return HARK_EINVAL;
    out->has_dst = 1;
    out->dst_off = out->std_off + 3600;
    if (p < end && *p != ',') {
        if (parse_hms(&p, end, 24, &v)) return HARK_EINVAL;
        out->dst_off = -v;
    }
    if (p == end) {
        /* POSIX leaves a missing rule to the implementation; zic never
         * writes one. Use the United States rule, as other readers do. */
        out->start = (tz_rule_day){.kind = 'M', .month = 3, .week = 2, .wday = 0};
        out->end = (tz_rule_day){.kind = 'M', .month = 11, .week = 1, .wday = 0};
        out->start_time = out->end_time = 7200;
        return HARK_OK;
    }
    if (parse_change(&p, end, &out->start, &out->start_time) || parse_change(&p, end, &out->end, &out->end_time))
        return HARK_EINVAL;
    return p == end ? HARK_OK : HARK_EINVAL;
}

/* Days since the epoch of the local date D in year Y. */
static int64_t rule_day(const tz_rule_day *d, int y) {
    int64_t jan1 = tz_days_from_civil(y, 1, 1);
    if (d->kind == 'J') return jan1 + d->day - 1 + (d->day >= 60 && tz_month_days(y, 2) == 29);
    if (d->kind == 'N') return jan1 + d->day;
    int64_t first = tz_days_from_civil(y, d->month, 1);
    int64_t day = first + (d->wday - tz_weekday(first) + 7) % 7 + 7 * (d->week - 1);
    while (day >= first + tz_month_days(y, d->month)) day -= 7;
    return day;
}

int32_t tz__rule_span(const tz_rule *r, int64_t t, int64_t *begin, int64_t *end) {
    if (!r->has_dst) {
        *begin = INT64_MIN;
        *end = INT64_MAX;
        return r->std_off;
    }
    /* Fold T into the 400 years from 1970, where years fit an int. */
    t = tz__clamp(t, TZ_T_LIMIT);
    int64_t shift = tz__floor_div(t, CYCLE_SECONDS) * CYCLE_SECONDS, u = t - shift;
    int y, m, d;
    tz_civil_from_days(tz__floor_div(u, TZ_DAY), &y, &m, &d);

    /* Daylight time is on after the latest change at or before U. Rule times
     * can push a change up to a week into a neighbouring year, so the changes
     * of two years either side are enough. When a start and an end coincide
     * (daylight time all year, "EST5EDT,0/0,J365/25"), the start wins. */
    int64_t last = INT64_MIN, next = INT64_MAX;
    int dst = 0;
    for (int yy = y - 2; yy <= y + 2; yy++) {
        int64_t change[2] = {rule_day(&r->start, yy) * TZ_DAY + r->start_time - r->std_off,
                             rule_day(&r->end, yy) * TZ_DAY + r->end_time - r->dst_off};
        for (int i = 0; i < 2; i++) {
            int starts = i == 0;
            if (change[i] > u) {
                if (change[i] < next) next = change[i];
            } else if (change[i] > last || (change[i] == last && starts)) {
                last = change[i];
                dst = starts;
            }
        }
    }
    *begin = last + shift;
    *end = next + shift;
    return dst ? r->dst_off : r->std_off;
}
