/* The adjustable wall clock (clock.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"

static int64_t clock_offset_ms;

static int64_t real_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hark_now_ms(void) {
    return real_now_ms() + clock_offset_ms;
}

void hark_clock_set(int64_t at_ms) {
    clock_offset_ms = at_ms - real_now_ms();
}

int hark_time_parse(const char *s, int64_t *out_ms) {
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return HARK_EINVAL;
    if (len > 10) {
        int m = 0;
        if (s[10] != 'T' && s[10] != ' ') return HARK_EINVAL;
        if (sscanf(s + 11, "%2d:%2d%n", &h, &mi, &m) != 2) return HARK_EINVAL;
        const char *rest = s + 11 + m;
        if (*rest == ':') {
            int k = 0;
            if (sscanf(rest + 1, "%2d%n", &sec, &k) != 1) return HARK_EINVAL;
            rest += 1 + k;
        }
        if (*rest == 'Z') rest++;
        if (*rest) return HARK_EINVAL;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return HARK_EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    *out_ms = (int64_t)t * 1000;
    return HARK_OK;
}

void hark_time_format(int64_t ms, char *out, size_t cap) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}
