/* TZif data (RFC 8536 versions 1 to 3, and RFC 9636's version 4) into a
 * hark_tz (tz_int.h): every count, index and length is checked against the
 * bytes at hand, version 2 and later files are read from their 64-bit data,
 * and the footer's POSIX TZ rule is parsed. It reads no file itself (tz.c
 * does) and keeps only UT offsets: abbreviations and the standard/UT
 * indicators are checked, then dropped. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz_int.h"

#define HEADER_BYTES 44
/* RFC 8536 asks for transitions after -2^59; anything beyond +-2^62 is
 * corrupt, and the bound keeps leap second corrections from overflowing. */
#define TIME_MAX (INT64_C(1) << 62)
#define LEAP_MAX (1 << 20) /* bound of a leap second correction, in seconds */

typedef struct header {
    int version; /* 1 to 4 */
    uint32_t isut, isstd, leap, time, type, chars;
} header;

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Two's complement without relying on implementation-defined conversions. */
static int64_t signed32(uint32_t v) {
    return v < UINT32_C(0x80000000) ? (int64_t)v : (int64_t)v - INT64_C(0x100000000);
}

static int64_t get_time(const unsigned char *p, int size) {
    if (size == 4) return signed32(get32(p));
    uint64_t v = (uint64_t)get32(p) << 32 | get32(p + 4);
    return v <= INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

/* Reads the header at P (LEN bytes left) with every count bounded, so that
 * block_len cannot overflow. The header of the skipped 32-bit data of a
 * version 2+ file needs no more than that. */
static int read_header(const unsigned char *p, size_t len, header *h) {
    if (len < HEADER_BYTES || memcmp(p, "TZif", 4) != 0) return HARK_EINVAL;
    if (p[4] == 0)
        h->version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        h->version = p[4] - '0';
    else
        return HARK_EINVAL;
    h->isut = get32(p + 20);
    h->isstd = get32(p + 24);
    h->leap = get32(p + 28);
    h->time = get32(p + 32);
    h->type = get32(p + 36);
    h->chars = get32(p + 40);
    if (h->isut > TZ_MAX_TYPES || h->isstd > TZ_MAX_TYPES || h->leap > TZ_MAX_LEAPS || h->time > TZ_MAX_TIMES ||
        h->type > TZ_MAX_TYPES || h->chars > TZ_MAX_CHARS)
        return HARK_EINVAL;
    return HARK_OK;
}

static size_t block_len(const header *h, size_t tsize) {
    return h->time * (tsize + 1) + h->type * 6 + h->chars + h->leap * (tsize + 4) + h->isstd + h->isut;
}

/* The local time types, designations and indicators of the data block. */
static int check_types(const header *h, const unsigned char *types, const unsigned char *chars,
                       const unsigned char *isstd, const unsigned char *isut) {
    if (h->type == 0 || h->chars == 0 || (h->isstd && h->isstd != h->type) || (h->isut && h->isut != h->type))
        return HARK_EINVAL;
    for (uint32_t i = 0; i < h->type; i++) {
        const unsigned char *t = types + 6 * i;
        int64_t off = signed32(get32(t));
        if (off < -TZ_OFF_MAX || off > TZ_OFF_MAX || t[4] > 1 || t[5] >= h->chars) return HARK_EINVAL;
        if (h->isstd && isstd[i] > 1) return HARK_EINVAL;
        if (h->isut && (isut[i] > 1 || (isut[i] && !(h->isstd && isstd[i])))) return HARK_EINVAL;
    }
    return chars[h->chars - 1] == '\0' ? HARK_OK : HARK_EINVAL;
}

static int check_leaps(const header *h, const unsigned char *leaps, size_t tsize) {
    for (uint32_t i = 0; i < h->leap; i++) {
        const unsigned char *l = leaps + i * (tsize + 4);
        int64_t at = get_time(l, (int)tsize), corr = signed32(get32(l + tsize));
        if (at < -TIME_MAX || at > TIME_MAX || corr < -LEAP_MAX || corr > LEAP_MAX) return HARK_EINVAL;
        if (i > 0 && at <= get_time(l - tsize - 4, (int)tsize)) return HARK_EINVAL;
    }
    return HARK_OK;
}

/* "\nTZ string\n" after the data of a version 2+ file; nothing after a
 * version 1 file's. An empty string means no rule. */
static int parse_footer(const header *h, const unsigned char *foot, size_t flen, hark_tz *z) {
    z->has_rule = 0;
    if (h->version == 1) return flen == 0 ? HARK_OK : HARK_EINVAL;
    if (flen < 2 || foot[0] != '\n' || foot[flen - 1] != '\n') return HARK_EINVAL;
    const char *s = (const char *)foot + 1;
    size_t n = flen - 2;
    if (n == 0) return HARK_OK;
    if (tz__rule_parse(s, n, &z->rule)) return HARK_EINVAL;
    z->has_rule = 1;
    return HARK_OK;
}

int tz__file_parse(const unsigned char *p, size_t len, hark_tz *z) {
    header h;
    size_t pos = 0, tsize = 4;
    if (read_header(p, len, &h)) return HARK_EINVAL;
    if (h.version >= 2) {
        /* Skip the 32-bit data, there only for version 1 readers. */
        int version = h.version;
        pos = HEADER_BYTES + block_len(&h, 4);
        if (pos > len || read_header(p + pos, len - pos, &h) || h.version != version) return HARK_EINVAL;
        tsize = 8;
    }
    pos += HEADER_BYTES;
    size_t blen = block_len(&h, tsize);
    if (blen > len - pos) return HARK_EINVAL;
    const unsigned char *times = p + pos, *idx = times + h.time * tsize, *types = idx + h.time;
    const unsigned char *chars = types + 6 * h.type, *leaps = chars + h.chars;
    const unsigned char *isstd = leaps + h.leap * (tsize + 4), *isut = isstd + h.isstd;
    if (check_types(&h, types, chars, isstd, isut) || check_leaps(&h, leaps, tsize) ||
        parse_footer(&h, p + pos + blen, len - pos - blen, z))
        return HARK_EINVAL;

    z->off0 = (int32_t)signed32(get32(types));
    z->n = 0;
    z->at = NULL;
    z->off = NULL;
    z->rule_from = INT64_MIN;
    if (h.time == 0) return HARK_OK;
    int rc = HARK_ENOMEM;
    z->at = malloc(h.time * sizeof *z->at);
    z->off = malloc(h.time * sizeof *z->off);
    if (!z->at || !z->off) goto fail;
    rc = HARK_EINVAL;

    /* Transition times of a file with leap seconds count them; Unix time
     * does not, so each is moved back by the correction in force. */
    int64_t corr = 0, prev = 0;
    int32_t cur = z->off0;
    uint32_t li = 0;
    for (uint32_t i = 0; i < h.time; i++) {
        int64_t t = get_time(times + i * tsize, (int)tsize);
        if (t < -TIME_MAX || t > TIME_MAX || idx[i] >= h.type) goto fail;
        while (li < h.leap && get_time(leaps + li * (tsize + 4), (int)tsize) <= t) {
            corr = signed32(get32(leaps + li * (tsize + 4) + tsize));
            li++;
        }
        t -= corr;
        if (i > 0 && t <= prev) goto fail;
        prev = t;
        int32_t off = (int32_t)signed32(get32(types + 6 * idx[i]));
        if (off != cur) {
            z->at[z->n] = t;
            z->off[z->n] = off;
            z->n++;
            cur = off;
        }
    }
    /* RFC 8536: the footer governs what follows the last transition. */
    if (z->has_rule) z->rule_from = prev;
    return HARK_OK;

fail:
    free(z->at);
    free(z->off);
    z->at = NULL;
    z->off = NULL;
    z->n = 0;
    return rc;
}
