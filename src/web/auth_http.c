/* The HTTP side of authentication (auth.h): the session cookie (reading it
 * from a Cookie header, building Set-Cookie), the Origin check, the
 * Authorization header, safe methods and the security response headers.
 * Pure string work on values the caller takes from the request; it sends
 * nothing and keeps no state. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "web/auth.h"

static int is_ws(char ch) {
    return ch == ' ' || ch == '\t';
}

/* ---- the session cookie ---- */

const char *auth_cookie_name(int https) {
    return https ? AUTH_COOKIE_NAME_HTTPS : AUTH_COOKIE_NAME_PLAIN;
}

/* RFC 6265 cookie-octet: visible ASCII except DQUOTE, comma, semicolon and
 * backslash. */
static int is_cookie_octet(unsigned char ch) {
    return ch >= 0x21 && ch <= 0x7e && ch != '"' && ch != ',' && ch != ';' && ch != '\\';
}

int auth_cookie_get(const char *header, const char *name, char *out, size_t cap) {
    const char *found = NULL;
    size_t found_len = 0;
    if (cap) out[0] = '\0';
    if (!header) return HARK_ENOTFOUND;
    size_t hlen = strnlen(header, AUTH_COOKIE_HEADER_MAX + 1), nlen = strlen(name);
    if (hlen > AUTH_COOKIE_HEADER_MAX) return HARK_ETOOBIG;
    const char *p = header, *end = header + hlen;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi) semi = end;
        const char *a = p, *b = semi;
        p = semi + 1;
        while (a < b && is_ws(*a)) a++;
        while (b > a && is_ws(b[-1])) b--;
        const char *eq = memchr(a, '=', (size_t)(b - a));
        if (!eq) continue; /* a pair without '=' names no cookie we read */
        const char *ne = eq;
        while (ne > a && is_ws(ne[-1])) ne--;
        if ((size_t)(ne - a) != nlen || memcmp(a, name, nlen) != 0) continue;
        const char *v = eq + 1, *ve = b;
        while (v < ve && is_ws(*v)) v++;
        if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
            v++;
            ve--;
        }
        for (const char *q = v; q < ve; q++)
            if (!is_cookie_octet((unsigned char)*q)) return HARK_EINVAL;
        size_t vlen = (size_t)(ve - v);
        if (found) {
            /* Two values under our name: one was planted (or is left from a
             * path we never set). Guessing which is ours could sign the user
             * into someone else's session, so neither is used. */
            if (vlen != found_len || memcmp(v, found, vlen) != 0) return HARK_EINVAL;
            continue;
        }
        found = v;
        found_len = vlen;
    }
    if (!found) return HARK_ENOTFOUND;
    if (found_len >= cap) return HARK_ETOOBIG;
    memcpy(out, found, found_len);
    out[found_len] = '\0';
    return HARK_OK;
}

static int set_cookie(char *out, size_t cap, int https, const char *value, long long max_age_s) {
    int n = snprintf(out, cap, "%s=%s; Path=/; Max-Age=%lld; HttpOnly;%s SameSite=Lax", auth_cookie_name(https), value,
                     max_age_s, https ? " Secure;" : "");
    if (n < 0 || (size_t)n >= cap) {
        if (cap) out[0] = '\0';
        return HARK_EINVAL;
    }
    return HARK_OK;
}

int auth_cookie_build(char *out, size_t cap, int https, const char *token) {
    unsigned char hash[AUTH_HASH_BYTES];
    if (!token || auth_session_hash(token, strlen(token), hash)) return HARK_EINVAL;
    return set_cookie(out, cap, https, token, AUTH_ABSOLUTE_TIMEOUT_MS / 1000);
}

int auth_cookie_clear(char *out, size_t cap, int https) {
    return set_cookie(out, cap, https, "", 0);
}

/* ---- Origin ---- */

/* An origin "scheme://host[:port]" split into its parts, the port left out
 * when it is the scheme's default. */
typedef struct origin_parts {
    int https;
    const char *host; /* host[:port], not NUL-terminated */
    size_t len;
} origin_parts;

/* Drops ":443" (https) or ":80" (http) from the end of HOST[0..*LEN). */
static void drop_default_port(int https, const char *host, size_t *len) {
    const char *port = https ? ":443" : ":80";
    size_t n = strlen(port);
    if (*len > n && memcmp(host + *len - n, port, n) == 0) *len -= n;
}

/* A host[:port] as it may appear in an origin or a Host header: no path,
 * query, fragment, credentials, spaces or control characters. */
static int host_ok(const char *s, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch >= 0x7f || strchr("/?#@\\,", ch)) return 0;
    }
    return 1;
}

/* Splits S (N bytes). TRAILING_SLASH allows one '/' at the end (the
 * allowed_origins setting; an Origin header never has one). 0 or -1. */
static int origin_split(const char *s, size_t n, int trailing_slash, origin_parts *o) {
    if (n >= 8 && strncasecmp(s, "https://", 8) == 0) {
        o->https = 1;
        s += 8;
        n -= 8;
    } else if (n >= 7 && strncasecmp(s, "http://", 7) == 0) {
        o->https = 0;
        s += 7;
        n -= 7;
    } else {
        return -1;
    }
    if (trailing_slash && n && s[n - 1] == '/') n--;
    if (!host_ok(s, n)) return -1;
    drop_default_port(o->https, s, &n);
    o->host = s;
    o->len = n;
    return 0;
}

int auth_origin_ok(const char *origin, const char *host, const char *allowed_origins) {
    origin_parts o, a;
    if (!origin) return 1;
    if (origin_split(origin, strlen(origin), 0, &o)) return 0;
    if (host) {
        size_t n = strlen(host);
        if (host_ok(host, n)) {
            drop_default_port(o.https, host, &n);
            if (n == o.len && strncasecmp(host, o.host, n) == 0) return 1;
        }
    }
    for (const char *p = allowed_origins; p && *p;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *s = p, *e = end;
        p = *end ? end + 1 : end;
        while (s < e && is_ws(*s)) s++;
        while (e > s && is_ws(e[-1])) e--;
        if (origin_split(s, (size_t)(e - s), 1, &a)) continue; /* "*" and malformed entries match nothing */
        if (a.https == o.https && a.len == o.len && strncasecmp(a.host, o.host, o.len) == 0) return 1;
    }
    return 0;
}

int auth_method_is_safe(const char *method) {
    return method && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0);
}

/* ---- Authorization ---- */

int auth_bearer_token(const char *header, const char **token, size_t *len) {
    *token = NULL;
    *len = 0;
    if (!header) return HARK_ENOTFOUND;
    const char *p = header;
    while (is_ws(*p)) p++;
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] && !is_ws(p[6]))) return HARK_ENOTFOUND;
    p += 6;
    while (is_ws(*p)) p++;
    const char *e = p;
    while (*e && !is_ws(*e)) e++;
    const char *rest = e;
    while (is_ws(*rest)) rest++;
    if (e == p || *rest) return HARK_EINVAL;
    *token = p;
    *len = (size_t)(e - p);
    return HARK_OK;
}

/* ---- security headers ---- */

/* No inline script or style anywhere (the front end is plain modules and
 * stylesheets under /static/), no plugins, no framing, no <base>, forms
 * post only here. */
#define CSP                                                                                                            \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "              \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

/* The HTTPS set is the plain one with HSTS in front: one year, and no
 * includeSubDomains, since the operator's other hosts under the same domain
 * are not Hark's to decide. */
static const auth_header headers[] = {
    {"Strict-Transport-Security", "max-age=31536000"},
    {"Content-Security-Policy", CSP},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {NULL, NULL},
};

const auth_header *auth_security_headers(int https) {
    return https ? headers : headers + 1;
}
