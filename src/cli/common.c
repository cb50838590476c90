/* Helpers shared by the CLI commands (cli.h): argument lookup, opening the
 * store with migrations and default flows, tenant provisioning, invites. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"
#include "core/token.h"
#include "flow/flow.h"
#include "web/auth.h"

const char *cli_opt(int argc, char **argv, const char *name, unsigned char *used) {
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, n) != 0) continue;
        const char *rest = argv[i] + 2 + n;
        if (*rest == '=') {
            used[i] = 1;
            return rest + 1;
        }
        if (*rest == '\0' && i + 1 < argc) {
            used[i] = used[i + 1] = 1;
            return argv[i + 1];
        }
    }
    return NULL;
}

int cli_check_unused(const char *cmd, int argc, char **argv, const unsigned char *used) {
    for (int i = 0; i < argc; i++) {
        if (!used[i]) {
            fprintf(stderr, "hark %s: unknown argument '%s' (see hark help)\n", cmd, argv[i]);
            return 2;
        }
    }
    return 0;
}

static int mkdir_p(const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

/* Stores every compiled-in default flow as a shared flow (tenant 0). */
static int seed_flows(store_conn *c) {
    for (const struct embed_file *f = hark_flow_files; f->path; f++) {
        char err[256];
        flow *fl = flow_parse((const char *)f->data, f->len, err, sizeof err);
        if (!fl) {
            fprintf(stderr, "hark: built-in flow %s is invalid: %s\n", f->path, err);
            return HARK_EINVAL;
        }
        int64_t id;
        int rc = store_flow_put(c, 0, flow_name(fl), flow_version(fl), (const char *)f->data, &id);
        flow_free(fl);
        if (rc && rc != HARK_EEXISTS) return rc;
    }
    return 0;
}

int cli_open_store(const hark_config *cfg, store **out) {
    char url[1100], err[512];
    store_opts o;
    if (mkdir_p(cfg->data_dir)) {
        fprintf(stderr, "hark: data_dir: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    config_db_url(cfg, url, sizeof url);
    store_opts_default(&o);
    o.url = url;
    o.read_url = cfg->db_read_url[0] ? cfg->db_read_url : NULL;
    o.durability = !strcmp(cfg->durability, "off")      ? STORE_DURABLE_OFF
                   : !strcmp(cfg->durability, "normal") ? STORE_DURABLE_NORMAL
                                                        : STORE_DURABLE_FULL;
    o.readers = (int)cfg->db_readers;
    o.batch_max = (int)cfg->db_batch_max;
    int rc = store_open(&o, out, err, sizeof err);
    if (rc) {
        fprintf(stderr, "hark: db_url: %s\n", err);
        return rc == HARK_EINVAL ? 2 : 1;
    }
    if ((rc = store_migrate(*out, NULL, err, sizeof err))) {
        fprintf(stderr, "hark: migrations failed: %s\n", err);
        goto fail;
    }
    if ((rc = seed_flows(store_main_conn(*out)))) {
        fprintf(stderr, "hark: cannot store the default flows: %s\n", hark_strerror(rc));
        goto fail;
    }
    return 0;
fail:
    store_close(*out);
    *out = NULL;
    return 1;
}

int cli_load_key(const hark_config *cfg, unsigned char key[32]) {
    char path[600];
    if (mkdir_p(cfg->data_dir)) {
        fprintf(stderr, "hark: data_dir: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/secret.key", cfg->data_dir);
    if (token_key_load_or_create(path, key)) {
        fprintf(stderr, "hark: cannot load the secret key %s\n", path);
        return 1;
    }
    return 0;
}

/* The default touchpoints of a new tenant: name, kind, flow, planner rule. */
static const struct {
    const char *name, *kind, *flow, *rule;
} default_touchpoints[] = {
    {"onboarding", "onboarding", "onboarding", "{\"day\":7}"},
    {"tenure", "tenure", "tenure", "{\"days\":[30,90,180,365],\"yearly\":true}"},
    {"pulse", "pulse", "pulse", "{\"every_days\":30}"},
    {"exit", "exit", "exit", "{\"days_before_exit\":3}"},
};

int cli_provision_tenant(store_conn *c, const char *slug, const char *name, const char *tz, const char *admin_email,
                         store_tenant *t, char *password, size_t cap) {
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    char hash[AUTH_PWHASH_MAX];
    int rc;
    if (cap < 21) return HARK_EINVAL;
    memset(t, 0, sizeof *t);
    if (strlen(slug) >= sizeof t->slug || strlen(name) >= sizeof t->name) return HARK_ETOOBIG;
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->timezone, sizeof t->timezone, "%s", tz);
    for (int i = 0; i < 20; i++) password[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    password[20] = '\0';
    if ((rc = auth_password_hash(password, strlen(password), hash))) return rc;
    if ((rc = store_begin(c))) return rc;
    if ((rc = store_tenant_create(c, t))) goto fail;
    for (size_t i = 0; i < sizeof default_touchpoints / sizeof default_touchpoints[0]; i++) {
        store_touchpoint tp;
        memset(&tp, 0, sizeof tp);
        tp.tenant_id = t->id;
        snprintf(tp.name, sizeof tp.name, "%s", default_touchpoints[i].name);
        snprintf(tp.kind, sizeof tp.kind, "%s", default_touchpoints[i].kind);
        snprintf(tp.flow_name, sizeof tp.flow_name, "%s", default_touchpoints[i].flow);
        snprintf(tp.rule, sizeof tp.rule, "%s", default_touchpoints[i].rule);
        tp.active = 1;
        if ((rc = store_touchpoint_put(c, &tp))) goto fail;
    }
    int64_t uid;
    if ((rc = store_user_create(c, t->id, admin_email, hash, "owner", &uid))) goto fail;
    return store_commit(c);
fail:
    store_rollback(c);
    return rc;
}

int cli_make_invite(const hark_config *cfg, store_conn *c, const unsigned char key[32], int64_t tenant_id,
                    int64_t employee_id, const char *touchpoint, char *url, size_t cap) {
    store_touchpoint tp;
    store_flow fl;
    store_invite inv;
    char tok[TOKEN_MAX], base[600];
    int rc = store_touchpoint_by_name(c, tenant_id, touchpoint, &tp);
    if (rc) return rc;
    if ((rc = store_flow_latest(c, tenant_id, tp.flow_name, &fl))) return rc;
    memset(&inv, 0, sizeof inv);
    inv.tenant_id = tenant_id;
    inv.employee_id = employee_id;
    inv.touchpoint_id = tp.id;
    inv.flow_id = fl.id;
    store_flow_clear(&fl);
    int64_t now = hark_now_ms();
    /* Manual invites are one-offs: the occurrence names the moment and a nonce. */
    snprintf(inv.occurrence, sizeof inv.occurrence, "manual-%" PRId64 "-%08x", now, randombytes_random());
    snprintf(inv.status, sizeof inv.status, "sent");
    inv.created_at = now;
    inv.expires_at = now + cfg->invite_ttl_days * 24 * 3600 * 1000;
    if ((rc = store_invite_create(c, &inv))) return rc;
    token_claims cl = {tenant_id, inv.id, inv.expires_at};
    if ((rc = token_make(key, &cl, tok, sizeof tok))) return rc;
    config_public_url(cfg, base, sizeof base);
    snprintf(url, cap, "%s/c/%s", base, tok);
    return 0;
}
