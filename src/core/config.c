/* The configuration table and its three sources (config.h). Each key is
 * declared once below with its type, default, bounds and help; the INI file,
 * the HARK_* environment variables and the --flags all go through the same
 * setter, so a value is checked the same way wherever it comes from. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"

enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL, CFG_ENUM };

typedef struct cfg_key {
    const char *name;
    enum cfg_type type;
    size_t offset;
    size_t size;         /* strings: capacity */
    const char *def;     /* default, as text */
    int64_t min, max;    /* integers */
    const char *choices; /* enums: "a|b|c" */
    const char *help;
} cfg_key;

#define S(f) offsetof(hark_config, f), sizeof(((hark_config *)0)->f)
#define I(f) offsetof(hark_config, f), sizeof(int64_t)
#define B(f) offsetof(hark_config, f), sizeof(int)

static const cfg_key cfg_keys[] = {
    {"listen", CFG_STR, S(listen), "127.0.0.1:8080", 0, 0, NULL, "address and port to serve on"},
    {"data_dir", CFG_STR, S(data_dir), "./var", 0, 0, NULL, "SQLite file, secret key and outbox live here"},
    {"db_url", CFG_STR, S(db_url), "", 0, 0, NULL, "database URL (sqlite:PATH); empty = sqlite:DATA_DIR/hark.db"},
    {"db_read_url", CFG_STR, S(db_read_url), "", 0, 0, NULL, "read replica URL (later issue)"},
    {"smtp_url", CFG_STR, S(smtp_url), "", 0, 0, NULL,
     "mail transport: smtp://[user:pass@]host:port, smtps://..., or file:DIR; empty = file:DATA_DIR/outbox"},
    {"mail_from", CFG_STR, S(mail_from), "Hark <hark@localhost>", 0, 0, NULL,
     "sender of outreach email (\"Name <addr>\"); its domain ends every Message-ID"},
    {"smtp_conns", CFG_INT, I(smtp_conns), "4", 1, 64, NULL, "concurrent SMTP connections"},
    {"smtp_timeout_ms", CFG_INT, I(smtp_timeout_ms), "30000", 1000, 600000, NULL, "per message, connect included"},
    {"smtp_tls", CFG_ENUM, S(smtp_tls), "try", 0, 0, "try|require|off",
     "STARTTLS on smtp://: when offered (try), always (require) or never (off); smtps:// is always TLS"},
    {"smtp_ca_file", CFG_STR, S(smtp_ca_file), "", 0, 0, NULL, "CA bundle for the mail server; empty = system CAs"},
    {"smtp_verify", CFG_BOOL, B(smtp_verify), "true", 0, 0, NULL, "verify the mail server's certificate"},
    {"outreach", CFG_BOOL, B(outreach), "true", 0, 0, NULL, "run outreach inside hark serve"},
    {"outreach_rate", CFG_INT, I(outreach_rate), "50", 0, 100000, NULL,
     "most messages per second over all tenants; 0 = no limit"},
    {"outreach_batch", CFG_INT, I(outreach_batch), "200", 1, 10000, NULL, "outbox rows claimed at once"},
    {"outreach_lease_ms", CFG_INT, I(outreach_lease_ms), "60000", 100, 3600000, NULL,
     "how long claimed rows belong to a sender before another may take them"},
    {"outreach_retry_base_ms", CFG_INT, I(outreach_retry_base_ms), "30000", 10, 3600000, NULL,
     "first retry delay after a transient failure (doubles each time, with jitter)"},
    {"outreach_retry_max_ms", CFG_INT, I(outreach_retry_max_ms), "3600000", 10, 86400000, NULL, "longest retry delay"},
    {"outreach_max_attempts", CFG_INT, I(outreach_max_attempts), "10", 1, 100, NULL,
     "attempts before a message fails for good"},
    {"outreach_plan_interval_ms", CFG_INT, I(outreach_plan_interval_ms), "60000", 100, 86400000, NULL,
     "between planning passes"},
    {"outreach_poll_ms", CFG_INT, I(outreach_poll_ms), "1000", 10, 60000, NULL,
     "how often an idle mailer looks for due mail (red-flag alerts leave within this)"},
    {"public_url", CFG_STR, S(public_url), "", 0, 0, NULL, "base of links; empty = http://LISTEN"},
    {"allowed_origins", CFG_STR, S(allowed_origins), "", 0, 0, NULL,
     "comma-separated Origins allowed to open the chat socket; empty = same origin; * = any"},
    {"log_level", CFG_ENUM, S(log_level), "info", 0, 0, "debug|info|warn|error", "log threshold"},
    {"log_format", CFG_ENUM, S(log_format), "plain", 0, 0, "plain|json", "log line format"},
    {"durability", CFG_ENUM, S(durability), "full", 0, 0, "full|normal|off",
     "full: acked answers survive power loss; normal: survive a crash; off: benchmarks only"},
    {"now", CFG_STR, S(now), "", 0, 0, NULL,
     "ISO-8601 time to start the clock at, for planning and expiry (tests, demos)"},
    {"max_header_bytes", CFG_INT, I(max_header_bytes), "16384", 1024, 1048576, NULL, "request head bound (431)"},
    {"max_body_bytes", CFG_INT, I(max_body_bytes), "1048576", 0, 1073741824, NULL, "request body bound (413)"},
    {"header_timeout_ms", CFG_INT, I(header_timeout_ms), "10000", 100, 600000, NULL, "slow request head (408)"},
    {"ws_max_message", CFG_INT, I(ws_max_message), "65536", 1024, 16777216, NULL, "WebSocket message bound (1009)"},
    {"ws_ping_interval_ms", CFG_INT, I(ws_ping_interval_ms), "25000", 100, 3600000, NULL, "server ping interval"},
    {"chat_max_text", CFG_INT, I(chat_max_text), "4096", 16, 65536, NULL, "longest answer text in bytes"},
    {"invite_ttl_days", CFG_INT, I(invite_ttl_days), "7", 1, 365, NULL, "days before an invite expires"},
    {"db_readers", CFG_INT, I(db_readers), "2", 1, 64, NULL, "database reader threads"},
    {"db_batch_max", CFG_INT, I(db_batch_max), "1024", 1, 100000, NULL, "most answers per commit"},
    {"shutdown_grace_ms", CFG_INT, I(shutdown_grace_ms), "10000", 0, 600000, NULL, "graceful shutdown limit"},
    {"chat_support_message", CFG_STR, S(chat_support_message),
     "Thank you for telling me. If you are thinking about harming yourself or you are in danger, please call your "
     "local emergency number or a crisis line now. You do not have to face this alone.",
     0, 0, NULL, "bot reply sent right after an answer flagged as self-harm (severity 3); empty = none"},
    {"chat_persist", CFG_BOOL, B(chat_persist), "true", 0, 0, NULL,
     "false: answers are acknowledged without being stored (benchmark ceiling only)"},
};
#define NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

static const cfg_key *find_key(const char *name, size_t len) {
    for (size_t i = 0; i < NKEYS; i++) {
        const char *k = cfg_keys[i].name;
        if (strlen(k) != len) continue;
        size_t j = 0;
        for (; j < len; j++) {
            char c = name[j] == '-' ? '_' : name[j];
            if (c != k[j]) break;
        }
        if (j == len) return &cfg_keys[i];
    }
    return NULL;
}

static int set_value(hark_config *c, const cfg_key *k, const char *val, const char *origin, char *err, size_t errlen) {
    char *field = (char *)c + k->offset;
    switch (k->type) {
    case CFG_STR:
        if (strlen(val) >= k->size) {
            snprintf(err, errlen, "%s (from %s): value longer than %zu bytes", k->name, origin, k->size - 1);
            return HARK_EINVAL;
        }
        memcpy(field, val, strlen(val) + 1);
        return HARK_OK;
    case CFG_ENUM: {
        size_t vl = strlen(val);
        const char *p = k->choices;
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == vl && strncmp(p, val, l) == 0) {
                memcpy(field, val, vl + 1);
                return HARK_OK;
            }
            p += l + (bar ? 1 : 0);
        }
        snprintf(err, errlen, "%s (from %s): '%s' is not one of %s", k->name, origin, val, k->choices);
        return HARK_EINVAL;
    }
    case CFG_BOOL:
        if (!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "yes") || !strcmp(val, "on")) {
            *(int *)field = 1;
        } else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "no") || !strcmp(val, "off")) {
            *(int *)field = 0;
        } else {
            snprintf(err, errlen, "%s (from %s): '%s' is not a boolean (true or false)", k->name, origin, val);
            return HARK_EINVAL;
        }
        return HARK_OK;
    case CFG_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (errno || end == val || *end) {
            snprintf(err, errlen, "%s (from %s): '%s' is not an integer", k->name, origin, val);
            return HARK_EINVAL;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s (from %s): %lld is outside %lld..%lld", k->name, origin, v, (long long)k->min,
                     (long long)k->max);
            return HARK_EINVAL;
        }
        *(int64_t *)field = v;
        return HARK_OK;
    }
    }
    return HARK_EINVAL;
}

void config_defaults(hark_config *c) {
    char err[256];
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NKEYS; i++) set_value(c, &cfg_keys[i], cfg_keys[i].def, "default", err, sizeof err);
}

typedef struct ini_ctx {
    hark_config *c;
    char *err;
    size_t errlen;
    int rc;
} ini_ctx;

static int on_ini_line(void *user, const char *section, const char *name, const char *value) {
    ini_ctx *ctx = user;
    if (ctx->rc) return 0;
    if (section[0] && strcmp(section, "hark") != 0) {
        snprintf(ctx->err, ctx->errlen, "config file %s: unknown section [%s] (keys go at the top or in [hark])",
                 ctx->c->config_file, section);
        ctx->rc = HARK_EINVAL;
        return 0;
    }
    const cfg_key *k = find_key(name, strlen(name));
    if (!k) {
        snprintf(ctx->err, ctx->errlen, "config file %s: unknown key '%s'", ctx->c->config_file, name);
        ctx->rc = HARK_EINVAL;
        return 0;
    }
    ctx->rc = set_value(ctx->c, k, value, "config file", ctx->err, ctx->errlen);
    return ctx->rc == 0;
}

int config_load(hark_config *c, int argc, char **argv, char **rest, int *nrest, char *err, size_t errlen) {
    int rc;
    /* 1. The file: --config wins over HARK_CONFIG. */
    const char *file = getenv("HARK_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            file = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            file = argv[i] + 9;
    }
    if (file && *file) {
        if (strlen(file) >= sizeof c->config_file) {
            snprintf(err, errlen, "config: file name too long");
            return HARK_EINVAL;
        }
        memcpy(c->config_file, file, strlen(file) + 1);
        ini_ctx ctx = {c, err, errlen, 0};
        int line = ini_parse(file, on_ini_line, &ctx);
        if (line < 0) {
            snprintf(err, errlen, "config: cannot read config file %s", file);
            return HARK_EINVAL;
        }
        if (ctx.rc) return ctx.rc;
        if (line > 0) {
            snprintf(err, errlen, "config file %s: syntax error on line %d", file, line);
            return HARK_EINVAL;
        }
    }
    /* 2. The environment. */
    for (size_t i = 0; i < NKEYS; i++) {
        char env[64] = "HARK_";
        size_t j = 5;
        for (const char *p = cfg_keys[i].name; *p && j < sizeof env - 1; p++)
            env[j++] = (char)toupper((unsigned char)*p);
        env[j] = '\0';
        const char *v = getenv(env);
        if (v && (rc = set_value(c, &cfg_keys[i], v, env, err, errlen))) return rc;
    }
    /* 3. The flags. */
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 6 && !strncmp(name, "config", 6)) {
            if (!eq) i++;
            continue;
        }
        const cfg_key *k = find_key(name, len);
        if (!k) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (k->type == CFG_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
                val = "true";
            } else if (i + 1 >= argc) {
                snprintf(err, errlen, "%s: flag --%.*s needs a value", k->name, (int)len, name);
                return HARK_EINVAL;
            } else {
                val = argv[++i];
            }
        }
        char origin[80];
        snprintf(origin, sizeof origin, "--%.*s", (int)len, name);
        if ((rc = set_value(c, k, val, origin, err, errlen))) return rc;
    }
    return HARK_OK;
}

void config_db_url(const hark_config *c, char *out, size_t cap) {
    if (c->db_url[0])
        snprintf(out, cap, "%s", c->db_url);
    else
        snprintf(out, cap, "sqlite:%s/hark.db", c->data_dir);
}

void config_public_url(const hark_config *c, char *out, size_t cap) {
    if (c->public_url[0]) {
        size_t n = strlen(c->public_url);
        while (n > 0 && c->public_url[n - 1] == '/') n--;
        snprintf(out, cap, "%.*s", (int)n, c->public_url);
    } else {
        snprintf(out, cap, "http://%s", c->listen);
    }
}

void config_print_help(void) {
    for (size_t i = 0; i < NKEYS; i++) {
        const cfg_key *k = &cfg_keys[i];
        char flag[64];
        size_t j = 0;
        for (const char *p = k->name; *p && j < sizeof flag - 1; p++) flag[j++] = *p == '_' ? '-' : *p;
        flag[j] = '\0';
        printf("  --%-22s %s (default: %s)\n", flag, k->help, k->def[0] ? k->def : "none");
    }
}
