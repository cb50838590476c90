/* HTTP/1.1 on a connection: feeding http-parser, the request object and its
 * accessors, the limits on a request (head size, body size, timeouts) and
 * building responses. One request at a time per connection: when a request is
 * complete the parser is paused and reading stops until its response has been
 * written; bytes that arrived behind it (pipelining) wait in the connection's
 * pending buffer. Routing is router.c's job, connection plumbing server.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "net/net_int.h"

/* ---- the request object ---- */

static http_req *req_new(net_conn *c) {
    http_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    const net_limits *l = &c->srv->lim;
    r->conn = c;
    r->srv = c->srv;
    r->conn_id = c->id;
    memcpy(r->addr, c->addr, sizeof r->addr);
    r->method = "GET";
    r->path = "/";
    r->query = "";
    buf_init(&r->url, l->max_header_bytes);
    buf_init(&r->hdrs, l->max_header_bytes + 2);
    buf_init(&r->body, l->max_body_bytes);
    buf_init(&r->resp_hdrs, NET_MAX_RESPONSE_HEAD / 2);
    r->keep_alive = 1;
    return r;
}

void http_req_free(http_req *r) {
    if (!r) return;
    if (r->big && r->srv) r->srv->big_bodies--;
    buf_free(&r->url);
    buf_free(&r->hdrs);
    buf_free(&r->body);
    buf_free(&r->resp_hdrs);
    free(r);
}

/* Splits the request target into path and query (in place). Absolute-form
 * targets ("http://host/p?q") are reduced to their path. 0 or HARK_EINVAL. */
static int split_target(http_req *r) {
    char *u = r->url.data;
    if (!u || !*u) return HARK_EINVAL;
    if (u[0] != '/' && strcmp(u, "*") != 0) {
        struct http_parser_url pu;
        http_parser_url_init(&pu);
        if (http_parser_parse_url(u, r->url.len, 0, &pu) != 0) return HARK_EINVAL;
        if (!(pu.field_set & (1 << UF_PATH))) {
            buf_reset(&r->url); /* "http://host": the path is "/" */
            if (buf_append(&r->url, "/", 1) != HARK_OK) return HARK_EINVAL;
            u = r->url.data;
        } else {
            size_t off = pu.field_data[UF_PATH].off;
            memmove(u, u + off, r->url.len - off + 1);
            r->url.len -= off;
        }
    }
    char *hash = strchr(u, '#');
    if (hash) *hash = '\0';
    char *q = strchr(u, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    r->path = u;
    return HARK_OK;
}

/* ---- parser callbacks (they only record; nothing is dispatched from them) ---- */

static http_req *cb_req(http_parser *p) {
    net_conn *c = p->data;
    return c->u.http.req;
}

static int on_message_begin(http_parser *p) {
    net_conn *c = p->data;
    if (!c->u.http.req) {
        c->u.http.req = req_new(c);
        if (!c->u.http.req) return -1;
    }
    c->state = CONN_HTTP_HEAD;
    conn_timer(c, c->srv->lim.header_timeout_ms);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
    return buf_append(&cb_req(p)->url, at, len) ? -1 : 0;
}

/* Headers are stored as "name\0value\0" pairs; http-parser may split a name
 * or a value over several callbacks. */
static int on_header_field(http_parser *p, const char *at, size_t len) {
    http_req *r = cb_req(p);
    if (r->hdr_pos == HDR_VALUE && buf_append(&r->hdrs, "", 1)) return -1;
    r->hdr_pos = HDR_NAME;
    return buf_append(&r->hdrs, at, len) ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
    http_req *r = cb_req(p);
    if (r->hdr_pos == HDR_NAME && buf_append(&r->hdrs, "", 1)) return -1;
    r->hdr_pos = HDR_VALUE;
    return buf_append(&r->hdrs, at, len) ? -1 : 0;
}

static int on_headers_complete(http_parser *p) {
    net_conn *c = p->data;
    http_req *r = cb_req(p);
    const net_limits *l = &c->srv->lim;
    if (r->hdr_pos == HDR_VALUE && buf_append(&r->hdrs, "", 1)) return -1;
    if (r->hdr_pos == HDR_NAME && buf_append(&r->hdrs, "\0", 2)) return -1; /* a name with no value */
    r->hdr_pos = HDR_NONE;
    r->method = http_method_str((enum http_method)p->method);
    r->is_head = p->method == HTTP_HEAD;
    r->keep_alive = http_should_keep_alive(p) ? 1 : 0;
    r->upgrade = p->upgrade ? 1 : 0;
    c->state = CONN_HTTP_BODY;
    conn_timer(c, l->header_timeout_ms);
    if (split_target(r) != HARK_OK) {
        r->reject = 400;
    } else {
        /* The body is still empty: its bound can change now. */
        size_t max_body = router_body_limit(c->srv, r->path);
        buf_init(&r->body, max_body);
        if ((p->flags & F_CONTENTLENGTH) && p->content_length > max_body) {
            log_conn(LOG_INFO, c->id, "request body of %llu bytes refused (limit %zu)",
                     (unsigned long long)p->content_length, max_body);
            r->reject = 413;
        } else if (max_body > l->max_body_bytes) {
            if (c->srv->big_bodies >= NET_BIG_BODIES) {
                log_conn(LOG_WARN, c->id, "a large upload refused: %d in flight", NET_BIG_BODIES);
                r->reject = 503;
            } else {
                c->srv->big_bodies++;
                r->big = 1;
            }
        }
    }
    if (r->reject) {
        http_parser_pause(p, 1);
        return 0;
    }
    const char *expect = http_header(r, "expect");
    int has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0);
    if (expect && strcasecmp(expect, "100-continue") == 0 && has_body) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        char *copy = malloc(sizeof cont - 1);
        if (copy) {
            memcpy(copy, cont, sizeof cont - 1);
            conn_write(c, copy, sizeof cont - 1, NULL, 0, 0);
        }
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
    net_conn *c = p->data;
    http_req *r = cb_req(p);
    int rc = buf_append(&r->body, at, len);
    if (rc == HARK_ETOOBIG) {
        log_conn(LOG_INFO, c->id, "request body over %zu bytes refused", r->body.max);
        r->reject = 413;
        http_parser_pause(p, 1);
        return 0;
    }
    return rc ? -1 : 0;
}

static int on_message_complete(http_parser *p) {
    http_req *r = cb_req(p);
    r->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- reading ---- */

void http_conn_init(net_conn *c) {
    http_parser_init(&c->u.http.parser, HTTP_REQUEST);
    c->u.http.parser.data = c;
    c->state = CONN_HTTP_IDLE;
    /* A new connection must send its first request head within the header timeout. */
    conn_timer(c, c->srv->lim.header_timeout_ms);
}

void http_conn_release(net_conn *c) {
    if (c->is_ws) return;
    http_req *r = c->u.http.req;
    c->u.http.req = NULL;
    if (r && r->dispatched)
        r->conn = NULL; /* the handler still holds it */
    else
        http_req_free(r);
    free(c->u.http.pending);
    c->u.http.pending = NULL;
    c->u.http.pending_off = c->u.http.pending_len = 0;
}

/* Answers with an error status that net produces itself, then closes. */
static void http_fail(net_conn *c, int status, const char *code, const char *message) {
    http_req *r = c->u.http.req;
    if (!r) r = c->u.http.req = req_new(c);
    if (!r) {
        conn_drop(c);
        return;
    }
    r->force_close = 1;
    conn_read_stop(c);
    http_respond_error(r, status, code, message);
}

/* Feeds bytes read from the socket (or pending) to the parser until a request
 * is complete or has failed. Returns the number consumed; the rest belongs to
 * later requests. */
static size_t http_feed(net_conn *c, const char *data, size_t len) {
    http_parser *p = &c->u.http.parser;
    const net_limits *l = &c->srv->lim;
    size_t used = 0;
    while (used < len && (c->state == CONN_HTTP_IDLE || c->state == CONN_HTTP_HEAD || c->state == CONN_HTTP_BODY)) {
        size_t chunk = len - used;
        int in_head = c->state != CONN_HTTP_BODY;
        if (in_head) {
            /* Feeding at most what is left of the head budget makes the limit exact. */
            size_t room = l->max_header_bytes > c->u.http.head_bytes ? l->max_header_bytes - c->u.http.head_bytes : 0;
            if (room == 0) {
                log_conn(LOG_INFO, c->id, "request head over %zu bytes refused", l->max_header_bytes);
                http_fail(c, 431, "headers_too_large", "request header section too large");
                break;
            }
            if (chunk > room) chunk = room;
        }
        size_t n = http_parser_execute(p, &parser_settings, data + used, chunk);
        if (in_head) c->u.http.head_bytes += n;
        used += n;
        enum http_errno e = HTTP_PARSER_ERRNO(p);
        http_req *r = c->u.http.req;
        if (e == HPE_PAUSED && r && r->reject) {
            if (r->reject == 413) {
                http_fail(c, 413, "too_large", "request body too large");
            } else if (r->reject == 503) {
                http_add_header(r, "Retry-After", "5");
                http_fail(c, 503, "busy", "too many uploads at once, retry shortly");
            } else {
                http_fail(c, 400, "bad_request", "malformed request target");
            }
            break;
        }
        if (e == HPE_PAUSED && r && r->complete) {
            c->state = CONN_HTTP_HANDLER;
            conn_timer(c, 0);
            conn_read_stop(c);
            break;
        }
        if (e != HPE_OK) {
            if (e == HPE_CB_message_begin || e == HPE_CB_url || e == HPE_CB_header_field || e == HPE_CB_header_value ||
                e == HPE_CB_headers_complete || e == HPE_CB_body) {
                log_conn(LOG_ERROR, c->id, "out of memory reading a request");
                conn_drop(c);
            } else if (e == HPE_HEADER_OVERFLOW) {
                http_fail(c, 431, "headers_too_large", "request header section too large");
            } else {
                log_conn(LOG_DEBUG, c->id, "bad request: %s", http_errno_name(e));
                http_fail(c, 400, "bad_request", http_errno_description(e));
            }
            break;
        }
        if (n < chunk) {
            http_fail(c, 400, "bad_request", "unexpected data");
            break;
        }
    }
    return used;
}

/* Keeps bytes read behind a complete request for after its response. */
static int stash(net_conn *c, const char *data, size_t len) {
    char *p = malloc(len);
    if (!p) return HARK_ENOMEM;
    memcpy(p, data, len);
    free(c->u.http.pending);
    c->u.http.pending = p;
    c->u.http.pending_off = 0;
    c->u.http.pending_len = len;
    return HARK_OK;
}

void http_on_read(net_conn *c, const char *data, size_t len) {
    if (c->state == CONN_HTTP_BODY) conn_timer(c, c->srv->lim.header_timeout_ms);
    size_t used = http_feed(c, data, len);
    if (c->state != CONN_HTTP_HANDLER) return;
    if (used < len && stash(c, data + used, len - used) != HARK_OK) {
        conn_drop(c);
        return;
    }
    router_dispatch(c, c->u.http.req); /* may turn the connection into a WebSocket */
}

void http_on_written(net_conn *c) {
    http_parser *p = &c->u.http.parser;
    if (c->srv->draining) {
        conn_finish(c);
        return;
    }
    c->state = CONN_HTTP_IDLE;
    c->u.http.head_bytes = 0;
    http_parser_pause(p, 0);
    conn_timer(c, c->srv->lim.keepalive_timeout_ms);
    while (c->u.http.pending) {
        const char *data = c->u.http.pending + c->u.http.pending_off;
        size_t len = c->u.http.pending_len - c->u.http.pending_off;
        size_t used = http_feed(c, data, len);
        if (c->state == CONN_CLOSED || c->state == CONN_LINGER) return;
        c->u.http.pending_off += used;
        if (c->u.http.pending_off >= c->u.http.pending_len) {
            free(c->u.http.pending);
            c->u.http.pending = NULL;
            c->u.http.pending_off = c->u.http.pending_len = 0;
        }
        if (c->state == CONN_HTTP_HANDLER) {
            router_dispatch(c, c->u.http.req);
            return;
        }
        if (used < len) break; /* cannot happen: the parser stops only at a complete request */
    }
    if (conn_read_start(c) != HARK_OK) conn_drop(c);
}

void http_on_timer(net_conn *c) {
    switch (c->state) {
    case CONN_HTTP_HEAD:
    case CONN_HTTP_BODY:
        log_conn(LOG_INFO, c->id, "request not received in time: 408");
        http_fail(c, 408, "request_timeout", "request not received in time");
        break;
    case CONN_HTTP_HANDLER: break;
    default: /* idle keep-alive, or a client that does not read its response */ conn_drop(c); break;
    }
}

/* ---- accessors ---- */

const char *http_method(const http_req *r) {
    return r->method;
}
const char *http_path(const http_req *r) {
    return r->path;
}
const char *http_query(const http_req *r) {
    return r->query;
}
const char *http_remote_addr(const http_req *r) {
    return r->addr;
}
uint64_t http_conn_id(const http_req *r) {
    return r->conn_id;
}

const char *http_header(const http_req *r, const char *name) {
    const char *p = r->hdrs.data, *end = p + r->hdrs.len;
    while (p && p < end) {
        const char *n = p;
        const char *v = n + strlen(n) + 1;
        if (v >= end) break;
        if (strcasecmp(n, name) == 0) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

const char *http_body(const http_req *r, size_t *len) {
    if (len) *len = r->body.len;
    return r->body.len ? r->body.data : NULL;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes N bytes of a query component ('+' is a space, %XX a byte; a
 * malformed or NUL escape stays as it is) into OUT. 0 or HARK_ETOOBIG. */
static int query_decode(const char *s, size_t n, char *out, size_t cap) {
    size_t j = 0;
    if (cap == 0) return HARK_ETOOBIG;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < n) {
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                ch = (char)(hi * 16 + lo);
                i += 2;
            }
        }
        if (j + 1 >= cap) return HARK_ETOOBIG;
        out[j++] = ch;
    }
    out[j] = '\0';
    return HARK_OK;
}

int http_query_param(const http_req *r, const char *name, char *out, size_t cap) {
    const char *q = r->query;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        char key[256];
        if (klen > 0 && query_decode(q, klen, key, sizeof key) == HARK_OK && strcmp(key, name) == 0) {
            const char *v = eq ? eq + 1 : q + plen;
            size_t vlen = eq ? plen - klen - 1 : 0;
            return query_decode(v, vlen, out, cap);
        }
        q = amp ? amp + 1 : NULL;
    }
    return HARK_ENOTFOUND;
}

/* ---- responses ---- */

static const char *http_status_text(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Unknown";
}

/* The IMF-fixdate for now, cached for the second. */
static const char *http_date(net_server *s) {
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if ((int64_t)now != s->date_sec || !s->date[0]) {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(s->date, sizeof s->date, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = (int64_t)now;
    }
    return s->date;
}

/* Whether LINES ("Name: v\r\n"...) holds a header called NAME. */
static int lines_have(const char *lines, const char *name) {
    size_t n = strlen(name);
    for (const char *p = lines; p && *p;) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') return 1;
        const char *nl = strstr(p, "\r\n");
        p = nl ? nl + 2 : NULL;
    }
    return 0;
}

int http_has_token(const char *value, const char *token) {
    size_t n = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if ((size_t)(e - p) == n && strncasecmp(p, token, n) == 0) return 1;
        p = end;
    }
    return 0;
}

static const struct {
    const char *name, *line;
} security_headers[] = {
    {"X-Content-Type-Options", "X-Content-Type-Options: nosniff\r\n"},
    {"Referrer-Policy", "Referrer-Policy: no-referrer\r\n"},
    {"X-Frame-Options", "X-Frame-Options: DENY\r\n"},
    {"Content-Security-Policy", "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"},
};

/* Whether a response may be written now: the request is being read (net's
 * own error answers) or is with its handler. */
static int can_respond(const net_conn *c) {
    return c && (c->state == CONN_HTTP_HANDLER || c->state == CONN_HTTP_HEAD || c->state == CONN_HTTP_BODY ||
                 c->state == CONN_HTTP_IDLE);
}

void http_send(http_req *r, int status, const char *ctype, const char *extra, const void *body, size_t len, int copy) {
    net_conn *c = r->conn;
    char *owned = NULL;
    buf h;
    buf_init(&h, NET_MAX_RESPONSE_HEAD);
    if (!can_respond(c)) goto out; /* the client has gone: dropped silently */
    if (c->u.http.req == r) c->u.http.req = NULL;
    r->conn = NULL;
    net_server *s = r->srv;
    int keep = r->keep_alive && !r->force_close && !s->draining;
    int bodyless = status < 200 || status == 204 || status == 304;
    int rc = buf_printf(&h, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, http_status_text(status), http_date(s));
    if (!rc && ctype) rc = buf_printf(&h, "Content-Type: %s\r\n", ctype);
    if (!rc && !bodyless) rc = buf_printf(&h, "Content-Length: %zu\r\n", len);
    if (!rc) rc = buf_printf(&h, "Connection: %s\r\n", keep ? "keep-alive" : "close");
    for (size_t i = 0; !rc && i < sizeof security_headers / sizeof security_headers[0]; i++)
        if (!lines_have(r->resp_hdrs.data, security_headers[i].name) && !lines_have(extra, security_headers[i].name))
            rc = buf_append(&h, security_headers[i].line, strlen(security_headers[i].line));
    if (!rc && extra) rc = buf_append(&h, extra, strlen(extra));
    if (!rc && r->resp_hdrs.len) rc = buf_append(&h, r->resp_hdrs.data, r->resp_hdrs.len);
    if (!rc) rc = buf_append(&h, "\r\n", 2);
    int send_body = !bodyless && !r->is_head && len > 0;
    if (!rc && send_body && copy) {
        owned = malloc(len);
        if (owned)
            memcpy(owned, body, len);
        else
            rc = HARK_ENOMEM;
    }
    if (rc) {
        log_conn(LOG_ERROR, c->id, "cannot build response: %s", hark_strerror(rc));
        conn_drop(c);
        goto out;
    }
    log_conn(LOG_DEBUG, c->id, "%s %d %zu", r->method, status, len);
    c->state = CONN_HTTP_WRITING;
    conn_read_stop(c);
    /* Bounds the time a client that does not read may hold the response. */
    conn_timer(c, s->lim.keepalive_timeout_ms);
    size_t hlen;
    char *head = buf_take(&h, &hlen);
    int wrc = conn_write(c, head, hlen, send_body ? (copy ? owned : body) : NULL, send_body ? len : 0, owned != NULL);
    owned = NULL; /* conn_write owns it now, even on failure */
    if (wrc != HARK_OK)
        conn_drop(c);
    else if (!keep)
        conn_finish(c);
out:
    free(owned);
    buf_free(&h);
    http_req_free(r);
}

void http_respond(http_req *r, int status, const char *content_type, const void *body, size_t len) {
    http_send(r, status, content_type, NULL, body, len, 1);
}

/* Appends S to B as the inside of a JSON string. */
static int json_escape(buf *b, const char *s) {
    int rc = HARK_OK;
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            rc = buf_append(b, e, 2);
        } else if (*p < 0x20) {
            rc = buf_printf(b, "\\u%04x", *p);
        } else {
            rc = buf_append(b, p, 1);
        }
    }
    return rc;
}

void http_respond_error(http_req *r, int status, const char *code, const char *message) {
    buf b;
    buf_init(&b, 4096);
    int rc = buf_append(&b, "{\"error\":{\"code\":\"", 18);
    if (!rc) rc = json_escape(&b, code ? code : "error");
    if (!rc) rc = buf_append(&b, "\",\"message\":\"", 13);
    if (!rc) rc = json_escape(&b, message ? message : "");
    if (!rc) rc = buf_append(&b, "\"}}", 3);
    if (rc) {
        buf_reset(&b);
        buf_append(&b, "{\"error\":{\"code\":\"internal\",\"message\":\"\"}}", 43);
    }
    http_send(r, status, "application/json", NULL, b.data, b.len, 1);
    buf_free(&b);
}

/* A header name is an RFC 9110 token. */
static int valid_name(const char *s) {
    if (!*s) return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch)) return 0;
    }
    return 1;
}

void http_add_header(http_req *r, const char *name, const char *value) {
    static const char *reserved[] = {"Content-Length", "Connection", "Transfer-Encoding", "Date"};
    if (!valid_name(name) || strpbrk(value, "\r\n")) {
        log_conn(LOG_WARN, r->conn_id, "response header refused: invalid name or value");
        return;
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (strcasecmp(name, reserved[i]) == 0) {
            log_conn(LOG_WARN, r->conn_id, "response header %s is set by net", name);
            return;
        }
    }
    if (buf_printf(&r->resp_hdrs, "%s: %s\r\n", name, value) != HARK_OK)
        log_conn(LOG_WARN, r->conn_id, "response header %s dropped: headers too large", name);
}
