/* hark routes [--json]: the API's endpoints as the router knows them, with
 * who may call each (docs/api.md; the tenancy test reads --json). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "web/auth.h"
#include "web/web_api.h"

static void roles_text(unsigned roles, char *out, size_t cap) {
    static const char *const names[] = {"owner", "admin", "hrbp", "viewer"};
    out[0] = '\0';
    if (roles == WEB_ROLES_PUBLIC) {
        snprintf(out, cap, "public");
        return;
    }
    for (int i = 0; i < 4; i++)
        if (roles & (1u << i)) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? "," : "", names[i]);
        }
}

static void scopes_text(const web_route *r, char *out, size_t cap) {
    if (r->roles == WEB_ROLES_PUBLIC || r->scopes == WEB_SESSION_ONLY || auth_scopes_format(r->scopes, out, cap))
        snprintf(out, cap, "-");
}

static void add_json(const web_route *r, void *arg) {
    char roles[64], scopes[256];
    roles_text(r->roles, roles, sizeof roles);
    scopes_text(r, scopes, sizeof scopes);
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:s}", "method", r->method, "path", r->pattern, "roles",
                                         roles, "scopes", scopes, "summary", r->summary));
}

static void print_line(const web_route *r, void *arg) {
    char roles[64], scopes[256];
    (void)arg;
    roles_text(r->roles, roles, sizeof roles);
    scopes_text(r, scopes, sizeof scopes);
    printf("%-6s %-40s %-24s %-28s %s\n", r->method, r->pattern, roles, scopes, r->summary);
}

int cli_routes(int argc, char **argv) {
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else {
            fprintf(stderr, "hark routes: unknown argument %s (usage: hark routes [--json])\n", argv[i]);
            return 2;
        }
    }
    if (!json) {
        printf("%-6s %-40s %-24s %-28s %s\n", "METHOD", "PATH", "ROLES", "TOKEN SCOPES", "WHAT");
        web_routes_each(print_line, NULL);
        return 0;
    }
    json_t *a = json_array();
    if (!a) return 1;
    web_routes_each(add_json, a);
    char *s = json_dumps(a, JSON_INDENT(1));
    json_decref(a);
    if (!s) return 1;
    puts(s);
    free(s);
    return 0;
}
