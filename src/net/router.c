/* The route table: registration (net_route, net_ws_route, net_static_route)
 * and matching a request to one route. The longest matching path wins; at equal
 * length an exact route beats a prefix route. Routes are matched on the method
 * too; a path that only other methods claim gets 405 with Allow. The table is
 * small and built at start-up, so matching is a linear scan. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "net/net_int.h"

static int add_route(net_server *s, const char *method, const char *path, int prefix, int kind, http_handler h,
                     void *ud, const ws_handler *ws) {
    struct net_route *r = NULL;
    if (!path || path[0] != '/') return HARK_EINVAL;
    if (s->nroutes == s->route_cap) {
        size_t cap = s->route_cap ? s->route_cap * 2 : 16;
        struct net_route **n = realloc(s->routes, cap * sizeof *n);
        if (!n) return HARK_ENOMEM;
        s->routes = n;
        s->route_cap = cap;
    }
    r = calloc(1, sizeof *r);
    if (!r) goto fail;
    r->path = strdup(path);
    r->method = method ? strdup(method) : NULL;
    if (!r->path || (method && !r->method)) goto fail;
    r->len = strlen(path);
    r->prefix = prefix != 0;
    r->kind = kind;
    r->h = h;
    r->ud = ud;
    if (ws) r->ws = *ws;
    s->routes[s->nroutes++] = r;
    return HARK_OK;
fail:
    if (r) {
        free(r->path);
        free(r->method);
    }
    free(r);
    return HARK_ENOMEM;
}

int net_route(net_server *s, const char *method, const char *path, int prefix, http_handler h, void *ud) {
    if (!h) return HARK_EINVAL;
    return add_route(s, method, path, prefix, ROUTE_HANDLER, h, ud, NULL);
}

int net_ws_route(net_server *s, const char *path, const ws_handler *h) {
    if (!h) return HARK_EINVAL;
    /* Any method: ws_upgrade answers the wrong ones (400, or 426 without Upgrade). */
    return add_route(s, NULL, path, 0, ROUTE_WS, NULL, NULL, h);
}

int net_static_route(net_server *s, const char *prefix) {
    return add_route(s, "GET", prefix, 1, ROUTE_STATIC, NULL, NULL, NULL);
}

int net_body_limit(net_server *s, const char *path, size_t max_bytes) {
    if (!path || path[0] != '/') return HARK_EINVAL;
    for (size_t i = 0; i < s->nbody_limits; i++) {
        if (strcmp(s->body_limits[i].path, path) == 0) {
            s->body_limits[i].max = max_bytes;
            return HARK_OK;
        }
    }
    char *copy = strdup(path);
    struct net_body_limit *n = copy ? realloc(s->body_limits, (s->nbody_limits + 1) * sizeof *n) : NULL;
    if (!n) {
        free(copy);
        return HARK_ENOMEM;
    }
    s->body_limits = n;
    s->body_limits[s->nbody_limits].path = copy;
    s->body_limits[s->nbody_limits].max = max_bytes;
    s->nbody_limits++;
    return HARK_OK;
}

size_t router_body_limit(const net_server *s, const char *path) {
    for (size_t i = 0; i < s->nbody_limits; i++)
        if (strcmp(s->body_limits[i].path, path) == 0) return s->body_limits[i].max;
    return s->lim.max_body_bytes;
}

void router_free(net_server *s) {
    for (size_t i = 0; i < s->nbody_limits; i++) free(s->body_limits[i].path);
    free(s->body_limits);
    s->body_limits = NULL;
    s->nbody_limits = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        free(s->routes[i]->path);
        free(s->routes[i]->method);
        free(s->routes[i]);
    }
    free(s->routes);
    s->routes = NULL;
    s->nroutes = s->route_cap = 0;
}

/* A GET route also answers HEAD (net drops the body). */
static int method_ok(const struct net_route *r, const char *m) {
    return !r->method || strcmp(r->method, m) == 0 || (strcmp(m, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static int path_ok(const struct net_route *r, const char *path) {
    return r->prefix ? strncmp(path, r->path, r->len) == 0 : strcmp(path, r->path) == 0;
}

/* Adds M to the comma-separated ALLOW list unless it is there already. */
static void allow_add(char *allow, size_t cap, const char *m) {
    size_t n = strlen(m), len = strlen(allow);
    for (const char *p = strstr(allow, m); p; p = strstr(p + n, m))
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return;
    if (len + n + 3 > cap) return;
    if (len) {
        memcpy(allow + len, ", ", 2);
        len += 2;
    }
    memcpy(allow + len, m, n + 1);
}

const struct net_route *router_match(const net_server *s, const char *method, const char *path, int *status,
                                     char *allow, size_t cap) {
    const struct net_route *best = NULL;
    int path_seen = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const struct net_route *r = s->routes[i];
        if (!path_ok(r, path)) continue;
        path_seen = 1;
        if (!method_ok(r, method)) continue;
        if (!best || r->len > best->len || (r->len == best->len && best->prefix && !r->prefix)) best = r;
    }
    if (best) return best;
    *status = path_seen ? 405 : 404;
    if (cap) allow[0] = '\0';
    for (size_t i = 0; path_seen && cap && i < s->nroutes; i++) {
        const struct net_route *r = s->routes[i];
        if (!path_ok(r, path) || !r->method) continue;
        allow_add(allow, cap, r->method);
        if (strcmp(r->method, "GET") == 0) allow_add(allow, cap, "HEAD");
    }
    return NULL;
}

void router_dispatch(net_conn *c, http_req *r) {
    int status = 0;
    char allow[128];
    const struct net_route *route = router_match(c->srv, r->method, r->path, &status, allow, sizeof allow);
    r->dispatched = 1;
    /* http-parser stops at an Upgrade request: unless the route takes the
     * upgrade, the rest of the stream is not HTTP we can read. */
    if (r->upgrade && (!route || route->kind != ROUTE_WS)) r->force_close = 1;
    if (!route) {
        if (status == 405) {
            http_add_header(r, "Allow", allow);
            http_respond_error(r, 405, "method_not_allowed", "method not allowed");
        } else {
            http_respond_error(r, 404, "not_found", "not found");
        }
        return;
    }
    switch (route->kind) {
    case ROUTE_WS: ws_upgrade(c, r, route); break;
    case ROUTE_STATIC: static_serve(r, route); break;
    default: route->h(r, route->ud); break;
    }
}
