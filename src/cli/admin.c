/* The administrative commands: `hark migrate`, `hark tenant create` and
 * `hark invite`. Each runs synchronously on the store's main connection. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"

int cli_migrate(const hark_config *cfg, int argc, char **argv) {
    store *st;
    int cur = 0, latest = 0, rc;
    unsigned char used[64] = {0};
    if (argc > 64 || cli_check_unused("migrate", argc, argv, used)) return 2;
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_schema_version(st, &cur, &latest);
    printf("schema at version %d (latest %d)\n", cur, latest);
    store_close(st);
    return 0;
}

static int valid_slug(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
    return 1;
}

int cli_tenant(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    store *st;
    store_tenant t;
    char password[32];
    int rc;
    if (argc < 2 || strcmp(argv[0], "create") != 0 || argc > 64) {
        fprintf(stderr, "usage: hark tenant create SLUG --name NAME --admin EMAIL [--timezone TZ]\n");
        return 2;
    }
    used[0] = used[1] = 1;
    const char *slug = argv[1];
    const char *name = cli_opt(argc, argv, "name", used);
    const char *admin = cli_opt(argc, argv, "admin", used);
    const char *tz = cli_opt(argc, argv, "timezone", used);
    if (cli_check_unused("tenant create", argc, argv, used)) return 2;
    if (!valid_slug(slug)) {
        fprintf(stderr, "hark tenant create: SLUG '%s' must be 1-63 characters of a-z, 0-9 and -\n", slug);
        return 2;
    }
    if (!name || !*name) {
        fprintf(stderr, "hark tenant create: --name is required\n");
        return 2;
    }
    if (!admin || !strchr(admin, '@')) {
        fprintf(stderr, "hark tenant create: --admin must be an email address\n");
        return 2;
    }
    if ((rc = cli_open_store(cfg, &st))) return rc;
    rc = cli_provision_tenant(store_main_conn(st), slug, name, tz ? tz : "UTC", admin, &t, password, sizeof password);
    store_close(st);
    if (rc == HARK_EEXISTS) {
        fprintf(stderr, "hark tenant create: a tenant '%s' already exists\n", slug);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "hark tenant create: %s\n", hark_strerror(rc));
        return 1;
    }
    printf("tenant %s created\nadmin login: %s / %s\n(the password is shown only once)\n", slug, admin, password);
    return 0;
}

int cli_invite(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    unsigned char key[32];
    store *st;
    store_tenant t;
    store_employee e;
    char url[1024];
    int rc;
    if (argc > 64) return 2;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *email = cli_opt(argc, argv, "employee", used);
    const char *tp = cli_opt(argc, argv, "touchpoint", used);
    if (cli_check_unused("invite", argc, argv, used)) return 2;
    if (!slug || !email) {
        fprintf(stderr, "usage: hark invite --tenant SLUG --employee EMAIL [--touchpoint NAME]\n");
        return 2;
    }
    if (cli_load_key(cfg, key)) return 1;
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_conn *c = store_main_conn(st);
    rc = 2;
    if (store_tenant_by_slug(c, slug, &t)) {
        fprintf(stderr, "hark invite: --tenant: no tenant '%s'\n", slug);
        goto out;
    }
    if (store_employee_by_email(c, t.id, email, &e)) {
        fprintf(stderr, "hark invite: --employee: no employee with that email in tenant '%s'\n", slug);
        goto out;
    }
    int err = cli_make_invite(cfg, c, key, t.id, e.id, tp ? tp : "pulse", url, sizeof url);
    if (err == HARK_ENOTFOUND) {
        fprintf(stderr, "hark invite: --touchpoint: no touchpoint '%s' (or its flow) in tenant '%s'\n",
                tp ? tp : "pulse", slug);
        goto out;
    }
    if (err) {
        fprintf(stderr, "hark invite: %s\n", hark_strerror(err));
        rc = 1;
        goto out;
    }
    printf("%s\n", url);
    rc = 0;
out:
    store_close(st);
    return rc;
}

int cli_escalations(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    store *st;
    store_tenant t;
    int rc;
    if (argc > 64) return 2;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    if (cli_check_unused("escalations", argc, argv, used)) return 2;
    if (!slug) {
        fprintf(stderr, "usage: hark escalations --tenant SLUG\n");
        return 2;
    }
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_conn *c = store_main_conn(st);
    rc = 2;
    if (store_tenant_by_slug(c, slug, &t)) {
        fprintf(stderr, "hark escalations: --tenant: no tenant '%s'\n", slug);
        goto out;
    }
    printf("id\tcreated_at\tkind\tseverity\tstatus\tconversation\tseq\n");
    store_escalation page[256];
    int64_t after = 0;
    for (;;) {
        size_t n;
        int err = store_escalation_list(c, t.id, after, page, sizeof page / sizeof page[0], &n);
        if (err) {
            fprintf(stderr, "hark escalations: %s\n", hark_strerror(err));
            rc = 1;
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            printf("%" PRId64 "\t%" PRId64 "\t%s\t%d\t%s\t%" PRId64 "\t%" PRId64 "\n", page[i].id, page[i].created_at,
                   page[i].kind, page[i].severity, page[i].status, page[i].conversation_id, page[i].seq);
        if (n < sizeof page / sizeof page[0]) break;
        after = page[n - 1].id;
    }
    rc = 0;
out:
    store_close(st);
    return rc;
}
