/* Unit tests for civil dates and time zones (core/tz.c): date arithmetic and
 * strict parsing, offsets of real zones from the system's tz database (known
 * values checked with zdump and `TZ=... date` on Debian 12's tzdata), far
 * future dates that only the POSIX footer covers, local time in gaps and
 * overlaps, name checks, and TZif files written by the tests (valid ones for
 * the footer forms no real zone uses, corrupt ones that must fail cleanly).
 * Zones are cached for the life of the process, so every written zone has a
 * name of its own and failures (never cached) may reuse one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/tz.h"

#define H 3600

static char tzdir[] = "/tmp/hark-tz-XXXXXX";
static const char *const subdirs[] = {"Test", "Bad", "Many"};

static int64_t utc(int y, int mo, int d, int h, int mi) {
    return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static const hark_tz *zone(const char *name) {
    const hark_tz *z = NULL;
    assert_int_equal(tz_get(name, &z), 0);
    assert_non_null(z);
    assert_string_equal(tz_name(z), name);
    return z;
}

static void civil_known_days(void **state) {
    (void)state;
    assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(tz_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(tz_days_from_civil(1900, 3, 1), -25508);
    assert_int_equal(tz_days_from_civil(2100, 3, 1), 47541);
    assert_int_equal(tz_days_from_civil(1600, 1, 1), -135140);
    /* 2000 is a leap year, 1900 and 2100 are not. */
    assert_int_equal(tz_days_from_civil(2000, 3, 1) - tz_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(tz_days_from_civil(2100, 3, 1) - tz_days_from_civil(2100, 2, 28), 1);
    assert_int_equal(tz_days_from_civil(1900, 3, 1) - tz_days_from_civil(1900, 2, 28), 1);
    assert_int_equal(tz_month_days(2024, 2), 29);
    assert_int_equal(tz_month_days(2023, 2), 28);
    assert_int_equal(tz_month_days(2100, 2), 28);
    assert_int_equal(tz_month_days(2000, 2), 29);
    assert_int_equal(tz_month_days(2023, 4), 30);
    assert_int_equal(tz_month_days(2023, 12), 31);
    assert_int_equal(tz_month_days(2023, 0), 0);
    assert_int_equal(tz_month_days(2023, 13), 0);
}

/* Every day of 5,500 years, checked against the day before it. */
static void civil_round_trip(void **state) {
    (void)state;
    int py, pm, pd;
    int64_t first = tz_days_from_civil(-800, 1, 1), last = tz_days_from_civil(4700, 12, 31);
    tz_civil_from_days(first - 1, &py, &pm, &pd);
    assert_true(py == -801 && pm == 12 && pd == 31);
    for (int64_t days = first; days <= last; days++) {
        int y, m, d;
        tz_civil_from_days(days, &y, &m, &d);
        assert_int_equal(tz_days_from_civil(y, m, d), days);
        if (d == 1) {
            assert_int_equal(pd, tz_month_days(py, pm));
            assert_true(m == pm % 12 + 1 && y == py + (pm == 12));
        } else {
            assert_true(y == py && m == pm && d == pd + 1);
        }
        py = y;
        pm = m;
        pd = d;
    }
    int y, m, d;
    tz_civil_from_days(tz_days_from_civil(2024, 2, 29), &y, &m, &d);
    assert_true(y == 2024 && m == 2 && d == 29);
    tz_civil_from_days(tz_days_from_civil(-1000000, 7, 4), &y, &m, &d);
    assert_true(y == -1000000 && m == 7 && d == 4);
    tz_civil_from_days(tz_days_from_civil(1000000, 2, 29), &y, &m, &d);
    assert_true(y == 1000000 && m == 2 && d == 29);
}

static void weekday(void **state) {
    (void)state;
    assert_int_equal(tz_weekday(0), 4); /* 1970-01-01, a Thursday */
    assert_int_equal(tz_weekday(-1), 3);
    assert_int_equal(tz_weekday(tz_days_from_civil(2000, 1, 1)), 6);
    assert_int_equal(tz_weekday(tz_days_from_civil(2026, 3, 8)), 0);
    assert_int_equal(tz_weekday(tz_days_from_civil(2024, 2, 29)), 4);
    assert_int_equal(tz_weekday(tz_days_from_civil(1900, 1, 1)), 1);
    for (int64_t days = -3000; days < 3000; days++) assert_int_equal(tz_weekday(days + 1), (tz_weekday(days) + 1) % 7);
}

static void date_parse_format(void **state) {
    (void)state;
    int64_t days = 12345;
    char out[11];
    const char *good[] = {"2024-02-29", "2000-02-29", "1000-01-01", "9999-12-31", "1970-01-01", "2023-12-31"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(tz_date_parse(good[i], &days), 0);
        tz_date_format(days, out);
        assert_string_equal(out, good[i]);
    }
    assert_int_equal(tz_date_parse("2024-02-29", &days), 0);
    assert_int_equal(days, 19782);
    const char *bad[] = {"2023-02-29",  "2024-13-01",  "2024-1-01",   "2024-01-1",  "2024-01-01x",
                         "2024-01-01 ", " 2024-01-01", "2100-02-29",  "0999-12-31", "2024-00-10",
                         "2024-01-00",  "2024-04-31",  "2024/01/01",  "",           "+024-01-01",
                         "2024-01-1a",  "20240101",    "2024-001-01", "-024-01-01", "2024-02-30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        days = 777;
        assert_int_equal(tz_date_parse(bad[i], &days), HARK_EINVAL);
        assert_int_equal(days, 777);
    }
    assert_int_equal(tz_date_parse(NULL, &days), HARK_EINVAL);
    tz_date_format(0, out);
    assert_string_equal(out, "1970-01-01");
    tz_date_format(-719528, out);
    assert_string_equal(out, "0000-01-01");
    /* Out of range: clamped, still ten characters. */
    tz_date_format(INT64_MAX, out);
    assert_string_equal(out, "9999-12-31");
    tz_date_format(INT64_MIN, out);
    assert_string_equal(out, "0000-01-01");
}

struct expect {
    const char *zone;
    int64_t t;
    int off;
};

static void offsets_of_real_zones(void **state) {
    (void)state;
    const struct expect cases[] = {
        {"Europe/Paris", utc(2026, 1, 15, 12, 0), 1 * H},
        {"Europe/Paris", utc(2026, 7, 15, 12, 0), 2 * H},
        {"Europe/Paris", utc(2026, 3, 29, 0, 59) + 59, 1 * H}, /* the last second of CET */
        {"Europe/Paris", utc(2026, 3, 29, 1, 0), 2 * H},
        {"Europe/Paris", utc(2026, 10, 25, 0, 59) + 59, 2 * H},
        {"Europe/Paris", utc(2026, 10, 25, 1, 0), 1 * H},
        {"Europe/Paris", utc(1942, 7, 1, 0, 0), 2 * H}, /* occupation: CEST all summer */
        {"America/New_York", utc(2026, 1, 15, 12, 0), -5 * H},
        {"America/New_York", utc(2026, 7, 15, 12, 0), -4 * H},
        {"America/New_York", 1772953199, -5 * H},               /* 2026-03-08 01:59:59 EST */
        {"America/New_York", 1772953200, -4 * H},               /* 03:00:00 EDT */
        {"America/New_York", utc(1883, 11, 18, 12, 0), -17762}, /* local mean time */
        {"Australia/Sydney", utc(2026, 1, 15, 12, 0), 11 * H},
        {"Australia/Sydney", utc(2026, 7, 15, 12, 0), 10 * H},
        {"Australia/Sydney", utc(2026, 4, 4, 15, 59) + 59, 11 * H},
        {"Australia/Sydney", utc(2026, 4, 4, 16, 0), 10 * H},
        {"Australia/Sydney", utc(2026, 10, 3, 15, 59) + 59, 10 * H},
        {"Australia/Sydney", utc(2026, 10, 3, 16, 0), 11 * H},
        {"Asia/Kolkata", utc(2026, 1, 15, 12, 0), 5 * H + 1800},
        {"Asia/Kolkata", utc(2026, 7, 15, 12, 0), 5 * H + 1800},
        {"Asia/Kathmandu", utc(2026, 7, 15, 12, 0), 5 * H + 2700},
        {"Asia/Kathmandu", utc(1980, 1, 1, 0, 0), 5 * H + 1800},
        {"America/St_Johns", utc(2026, 1, 15, 12, 0), -3 * H - 1800},
        {"America/St_Johns", utc(2026, 7, 15, 12, 0), -2 * H - 1800},
        {"Pacific/Chatham", utc(2026, 1, 15, 12, 0), 13 * H + 2700},
        {"Pacific/Chatham", utc(2026, 7, 15, 12, 0), 12 * H + 2700},
        {"Europe/London", utc(2026, 1, 15, 12, 0), 0},
        {"Europe/London", utc(2026, 7, 15, 12, 0), 1 * H},
        {"Europe/London", utc(1970, 1, 1, 0, 0), 1 * H}, /* British Standard Time, 1968-1971 */
        /* 2090: past the last transition of any file, so from the footer. */
        {"Europe/Paris", utc(2090, 1, 15, 12, 0), 1 * H},
        {"Europe/Paris", utc(2090, 3, 26, 0, 59) + 59, 1 * H},
        {"Europe/Paris", utc(2090, 3, 26, 1, 0), 2 * H},
        {"Europe/Paris", utc(2090, 10, 29, 0, 59) + 59, 2 * H},
        {"Europe/Paris", utc(2090, 10, 29, 1, 0), 1 * H},
        {"America/New_York", utc(2090, 3, 12, 6, 59) + 59, -5 * H},
        {"America/New_York", utc(2090, 3, 12, 7, 0), -4 * H},
        {"America/New_York", utc(2090, 11, 5, 5, 59) + 59, -4 * H},
        {"America/New_York", utc(2090, 11, 5, 6, 0), -5 * H},
        {"Australia/Sydney", utc(2090, 4, 1, 15, 59) + 59, 11 * H},
        {"Australia/Sydney", utc(2090, 4, 1, 16, 0), 10 * H},
        {"Australia/Sydney", utc(2090, 9, 30, 16, 0), 11 * H},
        {"Australia/Sydney", utc(2090, 12, 31, 23, 0), 11 * H},
        {"Asia/Kolkata", utc(2090, 7, 15, 12, 0), 5 * H + 1800},
        {"Asia/Kathmandu", utc(2090, 1, 15, 12, 0), 5 * H + 2700},
        {"America/St_Johns", utc(2090, 3, 12, 5, 29) + 59, -3 * H - 1800},
        {"America/St_Johns", utc(2090, 3, 12, 5, 30), -2 * H - 1800},
        {"Pacific/Chatham", utc(2090, 4, 1, 13, 59) + 59, 13 * H + 2700},
        {"Pacific/Chatham", utc(2090, 4, 1, 14, 0), 12 * H + 2700},
        {"Pacific/Chatham", utc(2090, 9, 23, 14, 0), 13 * H + 2700},
        {"Europe/London", utc(2090, 3, 26, 1, 0), 1 * H},
        {"Europe/London", utc(2090, 10, 29, 1, 0), 0},
        /* Rule times of -1:00 and 0:00 (a version 3 footer). */
        {"America/Nuuk", utc(2090, 3, 26, 0, 59) + 59, -2 * H},
        {"America/Nuuk", utc(2090, 3, 26, 1, 0), -1 * H},
        {"America/Nuuk", utc(2090, 10, 29, 1, 0), -2 * H},
        {"America/New_York", utc(2400, 7, 4, 12, 0), -4 * H},
        {"America/New_York", utc(12026, 1, 1, 0, 0), -5 * H},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hark_tz *z = zone(cases[i].zone);
        int off = tz_offset_at(z, cases[i].t);
        if (off != cases[i].off)
            fail_msg("%s at %lld: %d, not %d", cases[i].zone, (long long)cases[i].t, off, cases[i].off);
    }
    const hark_tz *utc_zone = zone("UTC");
    assert_int_equal(tz_offset_at(utc_zone, 0), 0);
    assert_int_equal(tz_offset_at(utc_zone, INT64_MAX), 0);
    assert_ptr_equal(zone("Europe/Paris"), zone("Europe/Paris"));
    /* Extreme instants are clamped, not overflowed. */
    const hark_tz *ny = zone("America/New_York");
    int64_t days;
    int sec;
    tz_to_local(ny, INT64_MAX, &days, &sec);
    tz_to_local(ny, INT64_MIN, &days, &sec);
    assert_true(sec >= 0 && sec < 86400);
    (void)tz_from_local(ny, INT64_MAX, 0);
    (void)tz_from_local(ny, INT64_MIN, 86399);
}

static void to_local(void **state) {
    (void)state;
    int64_t days;
    int sec;
    tz_to_local(zone("America/New_York"), 1772955000, &days, &sec);
    assert_int_equal(days, tz_days_from_civil(2026, 3, 8));
    assert_int_equal(sec, 3 * H + 1800);
    tz_to_local(zone("Pacific/Chatham"), utc(2026, 12, 31, 11, 0), &days, &sec);
    assert_int_equal(days, tz_days_from_civil(2027, 1, 1));
    assert_int_equal(sec, 45 * 60);
    tz_to_local(zone("America/St_Johns"), utc(1960, 1, 1, 2, 0), &days, &sec);
    assert_int_equal(days, tz_days_from_civil(1959, 12, 31));
    assert_int_equal(sec, 22 * H + 1800);
}

struct local {
    const char *zone;
    int y, m, d, hour, min;
    int64_t want;
};

static void from_local(void **state) {
    (void)state;
    const struct local cases[] = {
        /* Gap: 02:30 does not exist; it is read as 03:30 EDT. */
        {"America/New_York", 2026, 3, 8, 2, 30, utc(2026, 3, 8, 7, 30)},
        {"America/New_York", 2026, 3, 8, 1, 59, utc(2026, 3, 8, 6, 59)},
        {"America/New_York", 2026, 3, 8, 3, 0, utc(2026, 3, 8, 7, 0)},
        /* Overlap: 01:30 happens twice; the first, in EDT. */
        {"America/New_York", 2026, 11, 1, 1, 30, utc(2026, 11, 1, 5, 30)},
        {"America/New_York", 2026, 11, 1, 2, 0, utc(2026, 11, 1, 7, 0)},
        {"America/New_York", 2026, 11, 1, 0, 59, utc(2026, 11, 1, 4, 59)},
        {"America/New_York", 2090, 3, 12, 2, 30, utc(2090, 3, 12, 7, 30)},
        {"America/New_York", 2090, 11, 5, 1, 30, utc(2090, 11, 5, 5, 30)},
        {"Australia/Sydney", 2026, 10, 4, 2, 30, utc(2026, 10, 3, 16, 30)},
        {"Australia/Sydney", 2026, 4, 5, 2, 30, utc(2026, 4, 4, 15, 30)},
        {"Europe/Paris", 2090, 3, 26, 2, 30, utc(2090, 3, 26, 1, 30)},
        {"Europe/Paris", 2090, 10, 29, 2, 30, utc(2090, 10, 29, 0, 30)},
        {"Pacific/Chatham", 2090, 9, 24, 3, 0, utc(2090, 9, 23, 14, 15)},
        {"America/St_Johns", 2026, 11, 1, 1, 30, utc(2026, 11, 1, 4, 0)},
        {"Asia/Kolkata", 2026, 6, 1, 9, 0, utc(2026, 6, 1, 3, 30)},
        {"UTC", 2026, 6, 1, 9, 0, utc(2026, 6, 1, 9, 0)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct local *c = &cases[i];
        int64_t t = tz_from_local(zone(c->zone), tz_days_from_civil(c->y, c->m, c->d), c->hour * H + c->min * 60);
        if (t != c->want)
            fail_msg("%s %d-%d-%d %d:%d: %lld, not %lld", c->zone, c->y, c->m, c->d, c->hour, c->min, (long long)t,
                     (long long)c->want);
    }
}

/* Every quarter hour of 2026 and of 2090 to local time and back: the same
 * instant, or in an overlap the earlier one with the same wall time. */
static void round_trips(void **state) {
    (void)state;
    const char *zones[] = {"America/New_York", "Australia/Sydney", "Pacific/Chatham", "Europe/London",
                           "America/St_Johns", "Asia/Kathmandu",   "America/Nuuk"};
    const int years[] = {2026, 2090};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        const hark_tz *z = zone(zones[i]);
        for (size_t k = 0; k < 2; k++) {
            int overlaps = 0;
            for (int64_t t = utc(years[k], 1, 1, 0, 0); t < utc(years[k] + 1, 1, 1, 0, 0); t += 900) {
                int64_t days, days2;
                int sec, sec2;
                tz_to_local(z, t, &days, &sec);
                assert_true(sec >= 0 && sec < 86400);
                int64_t back = tz_from_local(z, days, sec);
                if (back == t) continue;
                tz_to_local(z, back, &days2, &sec2);
                assert_true(back < t && days2 == days && sec2 == sec);
                overlaps++;
            }
            /* One hour (four quarters) of overlap a year, or none. */
            if (strcmp(zones[i], "Asia/Kathmandu") == 0)
                assert_int_equal(overlaps, 0);
            else
                assert_int_equal(overlaps, 4);
        }
    }
}

static void names_rejected(void **state) {
    (void)state;
    const hark_tz *z = NULL;
    const char *bad[] = {
        "../etc/passwd",  "/etc/localtime", "Not/AZone",       "",   "Europe//Paris", "Europe/Paris/", "Europe/Paris\n",
        "Europe/./Paris", "Europe/ Paris",  "Europe/Paris%00", "..", "Europe\\Paris", "Zone.tab",      "Europe",
        "Europe/Pärïs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = tz_get(bad[i], &z);
        if (rc != HARK_ENOTFOUND) fail_msg("\"%s\": %d", bad[i], rc);
    }
    char longname[300];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(tz_get(longname, &z), HARK_ENOTFOUND);
    assert_int_equal(tz_get(NULL, &z), HARK_EINVAL);
    assert_int_equal(tz_get("UTC", NULL), HARK_EINVAL);
    assert_null(z);
}

static void *load_many(void *arg) {
    const char **names = arg;
    const hark_tz *z;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; names[i]; i++)
            if (tz_get(names[i], &z) != 0 || strcmp(tz_name(z), names[i]) != 0) return (void *)1;
    return NULL;
}

static void threads(void **state) {
    (void)state;
    const char *names[] = {"Asia/Tokyo", "Africa/Cairo", "America/Sao_Paulo", "Europe/Berlin", "Asia/Tehran", NULL};
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, load_many, names), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        assert_int_equal(pthread_join(th[i], &res), 0);
        assert_null(res);
    }
    assert_int_equal(tz_offset_at(zone("Asia/Tokyo"), utc(2026, 7, 1, 0, 0)), 9 * H);
}

/* TZif files written by the tests: up to 8 transitions and 4 types. */
typedef struct tzif {
    char version; /* 0, '2', '3' */
    int n, ntypes;
    int64_t at[8];
    unsigned char idx[8];
    int32_t off[4];
    const char *footer;
} tzif;

static size_t put(unsigned char *p, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    return (size_t)bytes;
}

static size_t put_block(unsigned char *p, char version, const tzif *f, int tsize) {
    size_t n = 0;
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    n = 20;
    n += put(p + n, 0, 4);                   /* isutcnt */
    n += put(p + n, 0, 4);                   /* isstdcnt */
    n += put(p + n, 0, 4);                   /* leapcnt */
    n += put(p + n, (uint64_t)f->n, 4);      /* timecnt */
    n += put(p + n, (uint64_t)f->ntypes, 4); /* typecnt */
    n += put(p + n, 4, 4);                   /* charcnt */
    for (int i = 0; i < f->n; i++) n += put(p + n, (uint64_t)f->at[i], tsize);
    for (int i = 0; i < f->n; i++) p[n++] = f->idx[i];
    for (int i = 0; i < f->ntypes; i++) {
        n += put(p + n, (uint32_t)f->off[i], 4);
        p[n++] = 0;
        p[n++] = 0;
    }
    memcpy(p + n, "ABC", 4);
    return n + 4;
}

static size_t build(unsigned char *p, const tzif *f) {
    size_t n = put_block(p, f->version, f, 4);
    if (f->version == 0) return n;
    n += put_block(p + n, f->version, f, 8);
    int len = snprintf((char *)p + n, 256, "\n%s\n", f->footer);
    return n + (size_t)len;
}

static void write_zone(const char *name, const void *data, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tzdir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static int get_from(const char *name, const hark_tz **z) {
    setenv("TZDIR", tzdir, 1);
    int rc = tz_get(name, z);
    unsetenv("TZDIR");
    return rc;
}

static const hark_tz *written(const char *name, const tzif *f) {
    unsigned char buf[1024];
    const hark_tz *z = NULL;
    write_zone(name, buf, build(buf, f));
    int rc = get_from(name, &z);
    if (rc) fail_msg("%s: %d", name, rc);
    return z;
}

static void written_zones(void **state) {
    (void)state;
    /* Version 1: no footer, the last type lasts for ever. */
    tzif v1 = {0, 2, 3, {-1000000000, 1000000000}, {1, 2}, {3600, 7200, -1800}, NULL};
    const hark_tz *z = written("Test/V1", &v1);
    assert_int_equal(tz_offset_at(z, INT64_MIN), 3600);
    assert_int_equal(tz_offset_at(z, -1000000001), 3600);
    assert_int_equal(tz_offset_at(z, -1000000000), 7200);
    assert_int_equal(tz_offset_at(z, 999999999), 7200);
    assert_int_equal(tz_offset_at(z, 1000000000), -1800);
    assert_int_equal(tz_offset_at(z, utc(3000, 1, 1, 0, 0)), -1800);

    /* Only a footer. Jn never counts February 29: J60 is March 1. */
    tzif julian = {'2', 0, 1, {0}, {0}, {10800}, "<+03>-3<+04>,J60/0,J300/0"};
    z = written("Test/Julian", &julian);
    assert_int_equal(tz_offset_at(z, utc(2024, 2, 29, 20, 59)), 3 * H);
    assert_int_equal(tz_offset_at(z, utc(2024, 2, 29, 21, 0)), 4 * H); /* March 1 00:00 +03 */
    assert_int_equal(tz_offset_at(z, utc(2025, 2, 28, 21, 0)), 4 * H);
    /* A zero-based n counts it: 59 is February 29 in a leap year. */
    tzif zero = {'2', 0, 1, {0}, {0}, {10800}, "<+03>-3<+04>,59/0,299/0"};
    z = written("Test/ZeroBased", &zero);
    assert_int_equal(tz_offset_at(z, utc(2024, 2, 28, 20, 59)), 3 * H);
    assert_int_equal(tz_offset_at(z, utc(2024, 2, 28, 21, 0)), 4 * H); /* February 29 00:00 */
    assert_int_equal(tz_offset_at(z, utc(2025, 2, 28, 20, 59)), 3 * H);
    assert_int_equal(tz_offset_at(z, utc(2025, 2, 28, 21, 0)), 4 * H); /* March 1 */

    /* Version 3: daylight time all year, as zic writes it. */
    tzif always = {'3', 0, 1, {0}, {0}, {-4 * H}, "EST5EDT,0/0,J365/25"};
    z = written("Test/Always", &always);
    for (int64_t t = utc(2030, 12, 30, 0, 0); t < utc(2031, 1, 3, 0, 0); t += 600)
        assert_int_equal(tz_offset_at(z, t), -4 * H);
    /* Rule hours up to 167 and below zero: March's last Sunday + 167 h is
     * the next Saturday 23:00; October's last Sunday - 2 h is Saturday 22:00. */
    tzif wide = {'3', 0, 1, {0}, {0}, {-3 * H}, "<-03>3<-02>,M3.5.0/167,M10.5.0/-2"};
    z = written("Test/Wide", &wide);
    assert_int_equal(tz_offset_at(z, utc(2026, 4, 5, 1, 59)), -3 * H); /* Apr 4 22:59 local */
    assert_int_equal(tz_offset_at(z, utc(2026, 4, 5, 2, 0)), -2 * H);
    assert_int_equal(tz_offset_at(z, utc(2026, 10, 24, 23, 59)), -2 * H);
    assert_int_equal(tz_offset_at(z, utc(2026, 10, 25, 0, 0)), -3 * H); /* Oct 24 22:00 DST */
    /* A table, then a footer from its last transition on. */
    tzif mixed = {'2',           2, 3, {utc(1990, 1, 1, 0, 0), utc(2000, 1, 1, 0, 0)}, {1, 2}, {0, H, 5 * H + 1800},
                  "<+0530>-5:30"};
    z = written("Test/Mixed", &mixed);
    assert_int_equal(tz_offset_at(z, utc(1989, 1, 1, 0, 0)), 0);
    assert_int_equal(tz_offset_at(z, utc(1995, 1, 1, 0, 0)), H);
    assert_int_equal(tz_offset_at(z, utc(2095, 1, 1, 0, 0)), 5 * H + 1800);
    /* 01:00 to 05:30 local on 2000-01-01 never happened. */
    assert_int_equal(tz_from_local(z, tz_days_from_civil(2000, 1, 1), 3 * H), utc(2000, 1, 1, 2, 0));
}

/* The tz database is not needed for UTC, nor used for a name cached before. */
static void utc_without_database(void **state) {
    (void)state;
    const hark_tz *z = NULL;
    const hark_tz *paris = zone("Europe/Paris");
    setenv("TZDIR", "/nonexistent/zoneinfo", 1);
    assert_int_equal(tz_get("UTC", &z), 0);
    assert_string_equal(tz_name(z), "UTC");
    assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0)), 0);
    assert_int_equal(tz_from_local(z, 20000, 3600), 20000 * 86400LL + 3600);
    assert_int_equal(tz_get("Etc/GMT-14", &z), HARK_ENOTFOUND);
    assert_int_equal(tz_get("Europe/Paris", &z), 0);
    assert_ptr_equal(z, paris);
    unsetenv("TZDIR");
}

static void expect_invalid(const char *what, const unsigned char *data, size_t len) {
    const hark_tz *z = NULL;
    write_zone("Bad/Zone", data, len);
    int rc = get_from("Bad/Zone", &z);
    if (rc != HARK_EINVAL) fail_msg("%s: %d", what, rc);
}

static void corrupt_files(void **state) {
    (void)state;
    unsigned char buf[1024], copy[1024];
    tzif good = {'2', 2, 2, {1000, 2000}, {1, 0}, {0, H}, "CET-1CEST,M3.5.0,M10.5.0/3"};
    size_t len = build(buf, &good);
    size_t v2 = 44 + 2 * 5 + 2 * 6 + 4; /* where the second header starts */

    /* Every proper prefix of a valid file. */
    for (size_t n = 0; n < len; n++) expect_invalid("prefix", buf, n);
    /* Bytes after the footer. */
    memcpy(copy, buf, len);
    copy[len] = 'x';
    expect_invalid("trailing byte", copy, len + 1);

    struct {
        const char *what;
        size_t at;
        unsigned char byte;
    } edits[] = {
        {"magic", 0, 'X'},
        {"version 5", 4, '5'},
        {"no types", v2 + 36 + 3, 0},        /* the 64-bit header's typecnt */
        {"v1 length", 32 + 3, 200},          /* the 32-bit timecnt: the second header moves */
        {"type index", v2 + 44 + 16 + 1, 7}, /* the second transition's type */
        {"footer newline", len - 1, 'x'},    /* "...M10.5.0/3x" */
        {"footer rule", len - 6, '9'},       /* "M10.9.0/3" */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(copy, buf, len);
        copy[edits[i].at] = edits[i].byte;
        expect_invalid(edits[i].what, copy, len);
    }
    /* Transitions out of order, and an offset beyond 26 hours. */
    tzif order = good;
    order.at[1] = 500;
    expect_invalid("order", buf, build(buf, &order));
    tzif wide = good;
    wide.off[1] = 26 * H;
    expect_invalid("offset", buf, build(buf, &wide));
    const char *footers[] = {"CET-1CEST,M3.5.0",
                             "CET-25",
                             "CE-1",
                             "CET-1CEST,M3.5.0,M10.5.0/168",
                             "<+0>-1",
                             "CET-1CEST,J0,J365",
                             "CET-1CEST,366,0",
                             "CET-1CEST,M3.5.7,M10.5.0",
                             "CET-1:60",
                             "CET"};
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
        tzif bad = good;
        bad.footer = footers[i];
        expect_invalid(footers[i], buf, build(buf, &bad));
    }

    /* Random bytes behind a valid magic, and a file too large. */
    srand(42);
    for (int round = 0; round < 200; round++) {
        size_t n = 44 + (size_t)(rand() % 400);
        for (size_t i = 0; i < n; i++) copy[i] = (unsigned char)rand();
        memcpy(copy, "TZif2", 5);
        const hark_tz *z = NULL;
        write_zone("Bad/Random", copy, n);
        assert_int_equal(get_from("Bad/Random", &z), HARK_EINVAL);
    }
    size_t big = (1 << 20) + 1;
    unsigned char *huge = calloc(1, big);
    assert_non_null(huge);
    memcpy(huge, buf, len);
    expect_invalid("over 1 MiB", huge, big);
    free(huge);

    /* A directory or a missing file is no zone. */
    const hark_tz *z = NULL;
    assert_int_equal(get_from("Bad", &z), HARK_ENOTFOUND);
    assert_int_equal(get_from("Bad/Missing", &z), HARK_ENOTFOUND);
    /* The same file, once repaired, loads under the same name: failures are
     * not cached. */
    len = build(buf, &good);
    write_zone("Bad/Zone", buf, len);
    assert_int_equal(get_from("Bad/Zone", &z), 0);
    assert_int_equal(tz_offset_at(z, 500), 0);
    assert_int_equal(tz_offset_at(z, 1500), H);
    assert_int_equal(tz_offset_at(z, 2500), H); /* the footer's CET */
    assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0)), 2 * H);
}

/* Last, because it fills the process-wide cache. */
static void cache_bound(void **state) {
    (void)state;
    unsigned char buf[1024];
    tzif plain = {'2', 0, 1, {0}, {0}, {H}, "<+01>-1"};
    size_t len = build(buf, &plain);
    const hark_tz *z = NULL;
    int loaded = 0, rc = 0;
    for (int i = 0; i < 600 && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "Many/Z%d", i);
        write_zone(name, buf, len);
        rc = get_from(name, &z);
        if (rc == 0) loaded++;
    }
    assert_int_equal(rc, HARK_EBUSY);
    assert_true(loaded > 400 && loaded < 512);
    /* What is cached still works; only new names are refused. */
    assert_int_equal(get_from("Many/Z0", &z), 0);
    assert_int_equal(tz_offset_at(z, 0), H);
    assert_int_equal(tz_get("UTC", &z), 0);
}

static int setup(void **state) {
    (void)state;
    char path[256];
    unsetenv("TZDIR");
    if (!mkdtemp(tzdir)) return -1;
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tzdir, subdirs[i]);
        if (mkdir(path, 0700) != 0) return -1;
    }
    return 0;
}

static void remove_dir(const char *dir) {
    char path[512];
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    for (e = readdir(d); e; e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state) {
    (void)state;
    char path[256];
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tzdir, subdirs[i]);
        remove_dir(path);
    }
    return rmdir(tzdir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_known_days),
        cmocka_unit_test(civil_round_trip),
        cmocka_unit_test(weekday),
        cmocka_unit_test(date_parse_format),
        cmocka_unit_test(offsets_of_real_zones),
        cmocka_unit_test(to_local),
        cmocka_unit_test(from_local),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(names_rejected),
        cmocka_unit_test(threads),
        cmocka_unit_test(written_zones),
        cmocka_unit_test(utc_without_database),
        cmocka_unit_test(corrupt_files),
        cmocka_unit_test(cache_bound),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
