/* Civil dates and time zones (tz.h): proleptic Gregorian date arithmetic,
 * the process-wide cache of zones read from the tz database, and the lookups
 * between instants and local wall time. Parsing TZif data is tz_file.c's
 * job, the POSIX rule of the footer tz_posix.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/tz.h"
#include "core/tz_int.h"

#define DEFAULT_TZDIR "/usr/share/zoneinfo"
/* Days of 400 Gregorian years, and from 0000-03-01 to 1970-01-01. */
#define ERA_DAYS    146097
#define EPOCH_SHIFT 719468
/* tz_civil_from_days clamps to this many days either side of the epoch, so
 * the year fits an int. */
#define DAYS_LIMIT (INT64_C(1) << 39)

/* The civil date algorithms count years from March, so that the leap day
 * ends the year, and split time into 400-year eras of equal length (as
 * published by Howard Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"). */
int64_t tz_days_from_civil(int y, int m, int d) {
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * ERA_DAYS + doe - EPOCH_SHIFT;
}

void tz_civil_from_days(int64_t days, int *y, int *m, int *d) {
    int64_t z = tz__clamp(days, DAYS_LIMIT) + EPOCH_SHIFT;
    int64_t era = (z >= 0 ? z : z - (ERA_DAYS - 1)) / ERA_DAYS;
    int64_t doe = z - era * ERA_DAYS;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / (ERA_DAYS - 1)) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int tz_weekday(int64_t days) {
    /* 1970-01-01 was a Thursday. */
    return (int)((days % 7 + 11) % 7);
}

int tz_month_days(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return days[m - 1] + (m == 2 && leap);
}

static int two_digits(const char *s) {
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int tz_date_parse(const char *s, int64_t *days) {
    if (!s || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-') return HARK_EINVAL;
    int hi = two_digits(s), lo = two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
    if (hi < 10 || lo < 0 || m < 1 || m > 12 || d < 1) return HARK_EINVAL;
    int y = hi * 100 + lo;
    if (d > tz_month_days(y, m)) return HARK_EINVAL;
    *days = tz_days_from_civil(y, m, d);
    return HARK_OK;
}

void tz_date_format(int64_t days, char out[11]) {
    int y, m, d;
    days = days < tz_days_from_civil(0, 1, 1) ? tz_days_from_civil(0, 1, 1) : days;
    days = days > tz_days_from_civil(9999, 12, 31) ? tz_days_from_civil(9999, 12, 31) : days;
    tz_civil_from_days(days, &y, &m, &d);
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

/* The zone cache: zones are appended under the lock and never change or go
 * away afterwards, so a zone handed out is read without locking. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static hark_tz *cache[TZ_CACHE_MAX];
static size_t cache_len;
static const hark_tz utc_zone = {.name = "UTC", .rule_from = INT64_MIN};

/* A name is one or more non-empty components of letters, digits, '_', '-'
 * and '+' joined by '/': no "..", no absolute path, nothing to escape. */
static int name_ok(const char *s) {
    size_t n = 0;
    char prev = '/';
    for (; s[n]; n++) {
        char c = s[n];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 c == '+' || (c == '/' && prev != '/');
        if (!ok || n >= TZ_NAME_MAX) return 0;
        prev = c;
    }
    return n > 0 && prev != '/';
}

/* Reads the regular file PATH, at most TZ_FILE_MAX bytes, into *DATA
 * (malloc, the caller frees it) and *LEN. */
static int read_zone_file(const char *path, unsigned char **data, size_t *len) {
    struct stat st;
    unsigned char *buf = NULL;
    size_t got = 0;
    int rc = HARK_ENOTFOUND;
    /* O_NONBLOCK: a FIFO in place of a zone must not hang the caller. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG) ? rc : HARK_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto out;
    rc = HARK_EINVAL;
    if (st.st_size > TZ_FILE_MAX) goto out;
    rc = HARK_ENOMEM;
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (!buf) goto out;
    rc = HARK_EIO;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto out;
        if (n == 0) break;
        got += (size_t)n;
    }
    *data = buf;
    *len = got;
    buf = NULL;
    rc = HARK_OK;
out:
    free(buf);
    close(fd);
    return rc;
}

static int zone_load(const char *name, hark_tz **out) {
    char path[PATH_MAX];
    unsigned char *data = NULL;
    size_t len = 0;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) dir = DEFAULT_TZDIR;
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) return HARK_ENOTFOUND;
    int rc = read_zone_file(path, &data, &len);
    if (rc) return rc;
    hark_tz *z = calloc(1, sizeof *z);
    rc = z ? tz__file_parse(data, len, z) : HARK_ENOMEM;
    free(data);
    if (rc) {
        free(z);
        return rc;
    }
    memcpy(z->name, name, strlen(name) + 1);
    *out = z;
    return HARK_OK;
}

int tz_get(const char *name, const hark_tz **out) {
    if (!name || !out) return HARK_EINVAL;
    if (!name_ok(name)) return HARK_ENOTFOUND;
    if (strcmp(name, "UTC") == 0) {
        *out = &utc_zone;
        return HARK_OK;
    }
    const hark_tz *found = NULL;
    hark_tz *z = NULL;
    int rc = HARK_OK;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_len && !found; i++)
        if (strcmp(cache[i]->name, name) == 0) found = cache[i];
    if (!found && cache_len == TZ_CACHE_MAX)
        rc = HARK_EBUSY;
    else if (!found) {
        /* Loading under the lock keeps two threads from loading one zone
         * twice; it happens once per zone and process. */
        rc = zone_load(name, &z);
        if (rc == HARK_OK) cache[cache_len++] = z;
        found = z;
    }
    pthread_mutex_unlock(&cache_lock);
    if (rc == HARK_OK) *out = found;
    return rc;
}

const char *tz_name(const hark_tz *z) {
    return z->name;
}

/* The offset at T, and the instants of the changes either side of it:
 * *BEGIN <= T < *END, INT64_MIN and INT64_MAX where there are none. */
static int32_t span_at(const hark_tz *z, int64_t t, int64_t *begin, int64_t *end) {
    if (z->has_rule && t >= z->rule_from) {
        int32_t off = tz__rule_span(&z->rule, t, begin, end);
        if (*begin < z->rule_from) *begin = z->rule_from;
        return off;
    }
    /* The number of changes at or before T, by binary search. */
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    *begin = lo > 0 ? z->at[lo - 1] : INT64_MIN;
    *end = lo < z->n ? z->at[lo] : INT64_MAX;
    if (z->has_rule && z->rule_from < *end) *end = z->rule_from;
    return lo > 0 ? z->off[lo - 1] : z->off0;
}

int tz_offset_at(const hark_tz *z, int64_t t) {
    int64_t begin, end;
    return span_at(z, tz__clamp(t, TZ_T_LIMIT), &begin, &end);
}

void tz_to_local(const hark_tz *z, int64_t t, int64_t *days, int *sec) {
    t = tz__clamp(t, TZ_T_LIMIT);
    int64_t local = t + tz_offset_at(z, t);
    *days = tz__floor_div(local, TZ_DAY);
    *sec = (int)(local - *days * TZ_DAY);
}

int64_t tz_from_local(const hark_tz *z, int64_t days, int sec) {
    int64_t local = tz__clamp(days, TZ_T_LIMIT / TZ_DAY) * TZ_DAY + sec;
    int64_t begin, end, pbegin, pend;
    /* Each span of constant offset covers the wall times [begin + off, end +
     * off). Starting from the span around the instant LOCAL (within a day of
     * the answer), find the earliest span whose wall times end after LOCAL.
     * The steps are bounded for files whose spans are shorter than their
     * offsets change. */
    int32_t off = span_at(z, local, &begin, &end);
    for (int step = 0; step < 8; step++) {
        if (end != INT64_MAX && end <= local - off) {
            off = span_at(z, end, &begin, &end);
            continue;
        }
        if (begin == INT64_MIN) break;
        int32_t poff = span_at(z, begin - 1, &pbegin, &pend);
        if (begin <= local - poff) break;
        off = poff;
        begin = pbegin;
        end = pend;
    }
    /* LOCAL before the span's wall times: it fell in the gap of a forward
     * change, and the offset before the change carries it past the gap. */
    if (begin != INT64_MIN && begin > local - off) return local - span_at(z, begin - 1, &pbegin, &pend);
    return local - off;
}
