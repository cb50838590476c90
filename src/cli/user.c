/* `hark user add --tenant SLUG --email EMAIL --role ROLE [--departments
 * "A,B"]`: creates an HR user from the command line, for operators (and
 * tests) who need an hrbp or viewer without signing in to the API. Prints a
 * one-time password, as POST /api/v1/users answers it, and writes the same
 * "user.create" audit row (by no user: user_id 0) in the same transaction. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/email.h"
#include "core/err.h"
#include "store/admin.h"
#include "store/audit.h"
#include "web/auth.h"

#define PASSWORD_LEN 20

static int usage(void) {
    fprintf(stderr, "usage: hark user add --tenant SLUG --email EMAIL --role owner|admin|hrbp|viewer "
                    "[--departments \"A,B\"]\n");
    return 2;
}

/* Turns "Sales, Support" into "Sales\nSupport" (names trimmed) in OUT.
 * 0, or 2 after saying why. */
static int parse_departments(const char *list, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        const char *end = e ? e : s + strlen(s);
        while (s < end && (*s == ' ' || *s == '\t')) s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
        size_t n = (size_t)(end - s);
        if (n == 0 || n > STORE_DEPARTMENT_MAX) {
            fprintf(stderr, "hark user add: --departments: each name must be 1 to %d bytes\n", STORE_DEPARTMENT_MAX);
            return 2;
        }
        if (len + (len ? 1 : 0) + n >= cap) {
            fprintf(stderr, "hark user add: --departments: at most %zu bytes in all\n", cap - 1);
            return 2;
        }
        if (len) out[len++] = '\n';
        memcpy(out + len, s, n);
        len += n;
        out[len] = '\0';
        if (!e) break;
        s = e + 1;
    }
    if (!store_admin_departments_ok(out)) {
        fprintf(stderr, "hark user add: --departments: a name is repeated or holds control characters\n");
        return 2;
    }
    return 0;
}

static int user_add(const hark_config *cfg, int argc, char **argv) {
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char used[64] = {0};
    char departments[sizeof((store_admin_user *)0)->departments];
    char password[PASSWORD_LEN + 1], hash[AUTH_PWHASH_MAX];
    store *st;
    store_tenant t;
    store_admin_user u;
    int rc;
    used[0] = 1;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *email = cli_opt(argc, argv, "email", used);
    const char *role = cli_opt(argc, argv, "role", used);
    const char *deps = cli_opt(argc, argv, "departments", used);
    if (cli_check_unused("user add", argc, argv, used)) return 2;
    if (!slug || !email || !role) return usage();
    const char *why = email_problem(email, strlen(email));
    if (why) {
        fprintf(stderr, "hark user add: --email: the address %s\n", why);
        return 2;
    }
    if (strcmp(role, "owner") && strcmp(role, "admin") && strcmp(role, "hrbp") && strcmp(role, "viewer")) {
        fprintf(stderr, "hark user add: --role: must be one of owner, admin, hrbp, viewer\n");
        return 2;
    }
    departments[0] = '\0';
    if (deps && parse_departments(deps, departments, sizeof departments)) return 2;
    if (departments[0] && strcmp(role, "hrbp") != 0) {
        fprintf(stderr, "hark user add: --departments: only an hrbp has departments\n");
        return 2;
    }
    for (int i = 0; i < PASSWORD_LEN; i++) password[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    password[PASSWORD_LEN] = '\0';
    if ((rc = auth_password_hash(password, PASSWORD_LEN, hash))) {
        fprintf(stderr, "hark user add: cannot hash the password: %s\n", hark_strerror(rc));
        return 1;
    }
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_conn *c = store_main_conn(st);
    if (store_tenant_by_slug(c, slug, &t)) {
        fprintf(stderr, "hark user add: --tenant: no tenant '%s'\n", slug);
        store_close(st);
        return 2;
    }
    int err = store_begin(c);
    if (!err) err = store_admin_user_create(c, t.id, email, hash, role, departments, 0, &u);
    if (!err) {
        store_audit a;
        memset(&a, 0, sizeof a);
        a.tenant_id = t.id;
        snprintf(a.action, sizeof a.action, "user.create");
        snprintf(a.target, sizeof a.target, "user:%lld", (long long)u.id);
        snprintf(a.detail, sizeof a.detail, "{\"role\":\"%s\",\"via\":\"cli\"}", role);
        err = store_audit_add(c, &a);
    }
    if (err)
        store_rollback(c);
    else
        err = store_commit(c);
    store_close(st);
    sodium_memzero(hash, sizeof hash);
    if (err == HARK_EEXISTS) {
        fprintf(stderr, "hark user add: --email: tenant '%s' has a user with this e-mail already\n", slug);
        rc = 2;
    } else if (err) {
        fprintf(stderr, "hark user add: %s\n", hark_strerror(err));
        rc = 1;
    } else {
        printf("user %lld created in tenant %s (%s)\nlogin: %s / %s\n(the password is shown only once)\n",
               (long long)u.id, slug, role, email, password);
        rc = 0;
    }
    sodium_memzero(password, sizeof password);
    return rc;
}

int cli_user(const hark_config *cfg, int argc, char **argv) {
    if (argc < 1 || argc > 64 || strcmp(argv[0], "add") != 0) return usage();
    return user_add(cfg, argc, argv);
}
