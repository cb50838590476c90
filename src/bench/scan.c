/* Reading the server's chat frames without a JSON tree (bench_int.h). The
 * bench handles a few frames per answer at tens of thousands of answers a
 * second on the same two cores as the server, so it walks each frame once and
 * keeps pointers into it. It checks structure only as far as it walks; it is
 * not a validating parser. */
#include <string.h>

#include "bench/bench_int.h"

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* P is at an opening quote; returns the position after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Skips one value of any kind; NULL when it is cut short. Nesting is bounded
 * by the frame's length, and only a counter tracks it. */
static const char *skip_value(const char *p, const char *end) {
    if (p >= end) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (!p) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                depth--;
                if (depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') p++;
    return p;
}

int scan_object(const char *p, size_t len, scan_field *fields, int n) {
    const char *end = p + len;
    size_t kl[SCAN_MAX_FIELDS];
    if (n > SCAN_MAX_FIELDS) return -1;
    for (int i = 0; i < n; i++) {
        fields[i].v = NULL;
        fields[i].vn = 0;
        kl[i] = strlen(fields[i].key);
    }
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return 0;
    for (;;) {
        if (p >= end || *p != '"') return -1;
        const char *k = p + 1;
        const char *kend = skip_string(p, end);
        if (!kend) return -1;
        size_t klen = (size_t)(kend - 1 - k);
        p = skip_ws(kend, end);
        if (p >= end || *p != ':') return -1;
        p = skip_ws(p + 1, end);
        const char *v = p;
        p = skip_value(p, end);
        if (!p || p == v) return -1;
        for (int i = 0; i < n; i++) {
            if (!fields[i].v && kl[i] == klen && memcmp(fields[i].key, k, klen) == 0) {
                fields[i].v = v;
                fields[i].vn = (size_t)(p - v);
            }
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') return 0;
        return -1;
    }
}

int scan_is(const char *v, size_t vn, const char *lit) {
    size_t n = strlen(lit);
    return v && vn == n + 2 && v[0] == '"' && v[n + 1] == '"' && memcmp(v + 1, lit, n) == 0;
}

int scan_i64(const char *v, size_t vn, int64_t *out) {
    if (!v || vn == 0) return -1;
    size_t i = 0;
    int neg = 0;
    if (v[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == vn || vn - i > 18) return -1;
    int64_t x = 0;
    for (; i < vn; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        x = x * 10 + (v[i] - '0');
    }
    *out = neg ? -x : x;
    return 0;
}

int scan_array_next(const char *v, size_t vn, size_t *pos, const char **e, size_t *en) {
    const char *end = v + vn;
    const char *p = v + *pos;
    if (*pos == 0) {
        p = skip_ws(p, end);
        if (p >= end || *p != '[') return 0;
        p++;
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') p = skip_ws(p + 1, end);
    if (p >= end || *p != '"') return 0;
    const char *s = p;
    p = skip_string(p, end);
    if (!p) return 0;
    *e = s;
    *en = (size_t)(p - s);
    *pos = (size_t)(p - v);
    return 1;
}
