/* Outreach settings from the command line, until the admin panel has them:
 * `hark touchpoint list|set` (the rules, as data per tenant), `hark schedule`
 * (send time, quiet hours, working days, frequency cap, reminders, expiry,
 * rate) and `hark template set|show` (a tenant's own email templates, checked
 * before they are stored). Every value is checked with the same code the
 * planner and mailer use (rules.h, mail.h), so what is accepted here plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "outreach/mail.h"
#include "rules/rules.h"

/* Opens the store and finds --tenant; prints why not. 0 or an exit code. */
static int open_tenant(const hark_config *cfg, const char *cmd, const char *slug, store **st, store_tenant *t) {
    int rc;
    if (!slug) {
        fprintf(stderr, "hark %s: --tenant SLUG is required\n", cmd);
        return 2;
    }
    if ((rc = cli_open_store(cfg, st))) return rc;
    if (store_tenant_by_slug(store_main_conn(*st), slug, t)) {
        fprintf(stderr, "hark %s: --tenant: no tenant '%s'\n", cmd, slug);
        store_close(*st);
        return 2;
    }
    return 0;
}

static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1")) return *out = 1, 0;
    if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0")) return *out = 0, 0;
    return -1;
}

int cli_touchpoint(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    store *st;
    store_tenant t;
    int rc;
    if (argc < 1 || argc > 64 || (strcmp(argv[0], "list") && strcmp(argv[0], "set"))) {
        fprintf(stderr, "usage: hark touchpoint list --tenant SLUG\n"
                        "       hark touchpoint set --tenant SLUG --name NAME [--kind KIND] [--flow FLOW]\n"
                        "                           [--rule JSON] [--active true|false]\n");
        return 2;
    }
    int set = !strcmp(argv[0], "set");
    used[0] = 1;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *name = cli_opt(argc, argv, "name", used);
    const char *kind = cli_opt(argc, argv, "kind", used);
    const char *flow = cli_opt(argc, argv, "flow", used);
    const char *rule = cli_opt(argc, argv, "rule", used);
    const char *active = cli_opt(argc, argv, "active", used);
    if (cli_check_unused(set ? "touchpoint set" : "touchpoint list", argc, argv, used)) return 2;
    if (!set && (name || kind || flow || rule || active)) {
        fprintf(stderr, "hark touchpoint list: takes only --tenant\n");
        return 2;
    }
    if ((rc = open_tenant(cfg, "touchpoint", slug, &st, &t))) return rc;
    store_conn *c = store_main_conn(st);
    rc = 2;
    if (!set) {
        store_touchpoint tps[64];
        size_t n = 0;
        if (store_touchpoint_list(c, t.id, tps, 64, &n)) {
            rc = 1;
            goto out;
        }
        printf("name\tkind\tflow\tactive\trule\n");
        for (size_t i = 0; i < n; i++)
            printf("%s\t%s\t%s\t%s\t%s\n", tps[i].name, tps[i].kind, tps[i].flow_name, tps[i].active ? "yes" : "no",
                   tps[i].rule);
        rc = 0;
        goto out;
    }
    store_touchpoint tp;
    if (!name || !*name) {
        fprintf(stderr, "hark touchpoint set: --name is required\n");
        goto out;
    }
    if (store_touchpoint_by_name(c, t.id, name, &tp)) {
        /* A new touchpoint needs its kind and flow. */
        if (!kind || !flow) {
            fprintf(stderr, "hark touchpoint set: '%s' is new: --kind and --flow are required\n", name);
            goto out;
        }
        memset(&tp, 0, sizeof tp);
        tp.tenant_id = t.id;
        tp.active = 1;
        snprintf(tp.rule, sizeof tp.rule, "{}");
        if (strlen(name) >= sizeof tp.name) {
            fprintf(stderr, "hark touchpoint set: --name: longer than %zu bytes\n", sizeof tp.name - 1);
            goto out;
        }
        snprintf(tp.name, sizeof tp.name, "%s", name);
    }
    if (kind && strlen(kind) < sizeof tp.kind) snprintf(tp.kind, sizeof tp.kind, "%s", kind);
    if (flow && strlen(flow) < sizeof tp.flow_name) snprintf(tp.flow_name, sizeof tp.flow_name, "%s", flow);
    if (rule) {
        if (strlen(rule) >= sizeof tp.rule) {
            fprintf(stderr, "hark touchpoint set: --rule: longer than %zu bytes\n", sizeof tp.rule - 1);
            goto out;
        }
        snprintf(tp.rule, sizeof tp.rule, "%s", rule);
    }
    if (active && parse_bool(active, &tp.active)) {
        fprintf(stderr, "hark touchpoint set: --active: '%s' is not true or false\n", active);
        goto out;
    }
    tp_rule parsed;
    char err[256];
    if (rules_parse(tp.kind, tp.rule, &parsed, err, sizeof err)) {
        fprintf(stderr, "hark touchpoint set: --rule: %s\n", err);
        goto out;
    }
    store_flow fl;
    if (store_flow_latest(c, t.id, tp.flow_name, &fl)) {
        fprintf(stderr, "hark touchpoint set: --flow: no flow '%s'\n", tp.flow_name);
        goto out;
    }
    store_flow_clear(&fl);
    int err_rc = store_touchpoint_put(c, &tp);
    if (err_rc) {
        fprintf(stderr, "hark touchpoint set: %s\n", hark_strerror(err_rc));
        rc = err_rc == HARK_EINVAL ? 2 : 1;
        goto out;
    }
    printf("touchpoint %s: %s, flow %s, %s, rule %s\n", tp.name, tp.kind, tp.flow_name,
           tp.active ? "active" : "inactive", tp.rule);
    rc = 0;
out:
    store_close(st);
    return rc;
}

/* "HH:MM" -> minutes after midnight, or -1. */
static int parse_hhmm(const char *s, size_t len) {
    if (len != 5 || s[2] != ':') return -1;
    for (size_t i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

/* "mon,tue,wed" or "mon-fri" -> a bit mask (bit 0 = Sunday), or -1. */
static int parse_days(const char *s) {
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    int mask = 0;
    while (*s) {
        int a = -1, b = -1;
        for (int i = 0; i < 7; i++) {
            if (!strncmp(s, names[i], 3)) a = i;
        }
        if (a < 0) return -1;
        s += 3;
        b = a;
        if (*s == '-') {
            for (int i = 0; i < 7; i++)
                if (!strncmp(s + 1, names[i], 3)) b = i;
            if (b == a && strncmp(s + 1, names[a], 3)) return -1;
            s += 4;
        }
        for (int d = a;; d = (d + 1) % 7) {
            mask |= 1 << d;
            if (d == b) break;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return mask;
}

static void print_schedule(const store_tenant *t) {
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    const store_schedule *s = &t->sched;
    printf("tenant %s (%s)\nsend time %02d:%02d\n", t->slug, t->timezone, s->send_minute / 60, s->send_minute % 60);
    if (s->quiet_start == s->quiet_end)
        printf("quiet hours none\n");
    else
        printf("quiet hours %02d:%02d-%02d:%02d\n", s->quiet_start / 60, s->quiet_start % 60, s->quiet_end / 60,
               s->quiet_end % 60);
    printf("working days");
    for (int d = 1; d <= 7; d++)
        if (s->working_days & (1 << (d % 7))) printf(" %s", names[d % 7]);
    printf("\nfrequency cap %d days\nreminders %d, %d hours apart\ninvites expire after %d days\n",
           s->frequency_cap_days, s->reminders, s->reminder_hours, s->invite_ttl_days);
    if (s->mail_rate)
        printf("mail rate %d messages/s\n", s->mail_rate);
    else
        printf("mail rate: the instance's\n");
}

/* Reads --NAME as an integer in [MIN, MAX] into *OUT; 0, or 2 after saying why. */
static int int_opt(const char *name, const char *v, int min, int max, int *out) {
    char *end;
    if (!v) return 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < min || x > max) {
        fprintf(stderr, "hark schedule: --%s: '%s' is not an integer from %d to %d\n", name, v, min, max);
        return 2;
    }
    *out = (int)x;
    return 0;
}

int cli_schedule(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    store *st;
    store_tenant t;
    int rc;
    if (argc > 64) return 2;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *send = cli_opt(argc, argv, "send-time", used);
    const char *quiet = cli_opt(argc, argv, "quiet-hours", used);
    const char *days = cli_opt(argc, argv, "working-days", used);
    const char *cap = cli_opt(argc, argv, "frequency-cap-days", used);
    const char *rem = cli_opt(argc, argv, "reminders", used);
    const char *remh = cli_opt(argc, argv, "reminder-hours", used);
    const char *ttl = cli_opt(argc, argv, "ttl-days", used);
    const char *rate = cli_opt(argc, argv, "mail-rate", used);
    if (cli_check_unused("schedule", argc, argv, used)) return 2;
    if ((rc = open_tenant(cfg, "schedule", slug, &st, &t))) return rc;
    store_schedule s = t.sched;
    rc = 2;
    if (send && (s.send_minute = parse_hhmm(send, strlen(send))) < 0) {
        fprintf(stderr, "hark schedule: --send-time: '%s' is not HH:MM\n", send);
        goto out;
    }
    if (quiet) {
        const char *dash = strchr(quiet, '-');
        if (!strcmp(quiet, "none")) {
            s.quiet_start = s.quiet_end = 0;
        } else if (!dash || (s.quiet_start = parse_hhmm(quiet, (size_t)(dash - quiet))) < 0 ||
                   (s.quiet_end = parse_hhmm(dash + 1, strlen(dash + 1))) < 0) {
            fprintf(stderr, "hark schedule: --quiet-hours: '%s' is not HH:MM-HH:MM or none\n", quiet);
            goto out;
        }
    }
    if (days && (s.working_days = parse_days(days)) <= 0) {
        fprintf(stderr, "hark schedule: --working-days: '%s' is not like mon-fri or mon,wed,fri\n", days);
        goto out;
    }
    if (int_opt("frequency-cap-days", cap, 0, 365, &s.frequency_cap_days) ||
        int_opt("reminders", rem, 0, 5, &s.reminders) || int_opt("reminder-hours", remh, 1, 720, &s.reminder_hours) ||
        int_opt("ttl-days", ttl, 1, 365, &s.invite_ttl_days) || int_opt("mail-rate", rate, 0, 100000, &s.mail_rate))
        goto out;
    outreach_schedule os;
    char err[256];
    outreach_schedule_of(&s, &os);
    if (rules_schedule_check(&os, err, sizeof err)) {
        fprintf(stderr, "hark schedule: %s\n", err);
        goto out;
    }
    if (send || quiet || days || cap || rem || remh || ttl || rate) {
        int e = store_tenant_set_schedule(store_main_conn(st), t.id, &s);
        if (e) {
            fprintf(stderr, "hark schedule: %s\n", hark_strerror(e));
            rc = 1;
            goto out;
        }
        t.sched = s;
    }
    print_schedule(&t);
    rc = 0;
out:
    store_close(st);
    return rc;
}

int cli_template(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    store *st;
    store_tenant t;
    int rc;
    if (argc < 2 || argc > 64 || (strcmp(argv[0], "set") && strcmp(argv[0], "show"))) {
        fprintf(stderr, "usage: hark template set --tenant SLUG NAME FILE   (NAME like invite-pulse.txt)\n"
                        "       hark template show --tenant SLUG NAME\n");
        return 2;
    }
    int set = !strcmp(argv[0], "set");
    used[0] = 1;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++)
        if (!used[i] && npos < 2 && strncmp(argv[i], "--", 2)) pos[npos++] = argv[i], used[i] = 1;
    if (cli_check_unused(set ? "template set" : "template show", argc, argv, used)) return 2;
    if (npos != (set ? 2 : 1)) {
        fprintf(stderr, "hark template %s: NAME%s is required\n", argv[0], set ? " and FILE are" : " is");
        return 2;
    }
    const char *name = pos[0];
    const char *dot = strrchr(name, '.');
    const char *const *vars = mail_template_vars(name);
    if (!vars || !dot || (strcmp(dot, ".txt") && strcmp(dot, ".html"))) {
        fprintf(stderr, "hark template: NAME '%s' must be invite[-KIND], reminder[-KIND] or alert, .txt or .html\n",
                name);
        return 2;
    }
    char *body = NULL;
    if (set) {
        FILE *f = fopen(pos[1], "rb");
        if (!f) {
            fprintf(stderr, "hark template set: cannot read %s\n", pos[1]);
            return 2;
        }
        buf b;
        char chunk[4096];
        size_t got;
        buf_init(&b, 256 * 1024);
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (buf_append(&b, chunk, got)) {
                fprintf(stderr, "hark template set: %s is larger than 256 KiB\n", pos[1]);
                fclose(f);
                buf_free(&b);
                return 2;
            }
        fclose(f);
        body = buf_take(&b, &got);
        if (!body) body = calloc(1, 1);
        char err[256];
        const char *subj, *rest;
        size_t sl, rl;
        int bad = mail_template_check(body, strlen(body), vars, err, sizeof err);
        if (!bad && !strcmp(dot, ".txt") && mail_split_subject(body, strlen(body), &subj, &sl, &rest, &rl)) {
            snprintf(err, sizeof err, "line 1: the first line must be \"Subject: ...\"");
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "hark template set: %s: %s\n", pos[1], err);
            free(body);
            return 1;
        }
    }
    if ((rc = open_tenant(cfg, "template", slug, &st, &t))) {
        free(body);
        return rc;
    }
    store_conn *c = store_main_conn(st);
    if (set) {
        rc = store_template_put(c, t.id, name, body);
        if (rc == HARK_OK) printf("template %s stored for tenant %s\n", name, t.slug);
    } else {
        rc = store_template_get(c, t.id, name, &body);
        if (rc == HARK_OK && body) fputs(body, stdout);
        if (rc == HARK_OK && !body) printf("(tenant %s uses the built-in %s)\n", t.slug, name);
    }
    if (rc) fprintf(stderr, "hark template: %s\n", hark_strerror(rc));
    free(body);
    store_close(st);
    return rc ? 1 : 0;
}
