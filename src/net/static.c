/* Serving the web assets compiled into the binary (core/embed.h hark_assets)
 * under a URL prefix. Lookups are exact matches in the table, so no request
 * can reach a file outside it. Bodies are written straight from the static
 * table without a copy; the ETag is a 64-bit FNV-1a hash of the content,
 * computed once per asset. Not for uploads or files on disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/log.h"
#include "net/net_int.h"

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".wasm", "application/wasm"},
};

static const char *content_type(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
            if (strcmp(dot, content_types[i].ext) == 0) return content_types[i].type;
    return "application/octet-stream";
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The hash of asset F, cached in the server (0 is never stored as a hash). */
static uint64_t asset_hash(net_server *s, const struct embed_file *f) {
    size_t idx = (size_t)(f - hark_assets);
    if (!s->etags) {
        size_t n = 0;
        while (hark_assets[n].path) n++;
        s->etags = calloc(n ? n : 1, sizeof *s->etags);
        s->netags = s->etags ? n : 0;
    }
    if (idx < s->netags && s->etags[idx]) return s->etags[idx];
    uint64_t h = fnv1a(f->data, f->len) ^ (uint64_t)f->len;
    if (h == 0) h = 1;
    if (idx < s->netags) s->etags[idx] = h;
    return h;
}

/* Whether the If-None-Match value INM lists ETAG (weak comparison). */
static int etag_matches(const char *inm, const char *etag) {
    size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return 1;
        if (p[0] == 'W' && p[1] == '/') p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t')) return 1;
        while (*p && *p != ',') p++;
    }
    return 0;
}

void static_serve(http_req *r, const struct net_route *route) {
    const char *path = http_path(r);
    char name[512];
    /* "/static/" + "chat/chat.js" -> "/chat/chat.js"; a prefix without the
     * trailing slash leaves the slash in the rest. */
    const char *rest = path + route->len;
    int n = snprintf(name, sizeof name, "%s%s", route->path[route->len - 1] == '/' ? "/" : "", rest);
    if (n >= 0 && (size_t)n < sizeof name && (n == 0 || name[n - 1] == '/'))
        n = snprintf(name + n, sizeof name - (size_t)n, "%sindex.html", n == 0 ? "/" : "") + n;
    if (n < 0 || (size_t)n >= sizeof name) name[0] = '\0';
    const struct embed_file *f = name[0] == '/' ? embed_find(hark_assets, name) : NULL;
    if (!f) {
        http_respond_error(r, 404, "not_found", "not found");
        return;
    }
    char etag[24], extra[96];
    snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)asset_hash(r->srv, f));
    snprintf(extra, sizeof extra, "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
    const char *inm = http_header(r, "if-none-match");
    if (inm && etag_matches(inm, etag)) {
        http_send(r, 304, NULL, extra, NULL, 0, 0);
        return;
    }
    http_send(r, 200, content_type(name), extra, f->data, f->len, 0);
}
