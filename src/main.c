/* hark: subcommand dispatch and wiring, nothing else. The commands live in
 * src/cli (serve, migrate, demo, tenant, invite, themes), src/nlp (sentiment) and
 * src/bench (bench). */
#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "nlp/sentiment.h"

#ifndef HARK_VERSION
#define HARK_VERSION "0.1.0"
#endif

static void usage(FILE *f) {
    fprintf(f,
            "Hark %s: employee listening, one binary.\n"
            "\n"
            "usage: hark [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  serve                     all modules in one process (default: 127.0.0.1:8080, ./var)\n"
            "  chat                      the chat service only\n"
            "  migrate                   apply schema migrations\n"
            "  demo [--employees N]      create the demo company; print the admin login and chat links\n"
            "  tenant create SLUG --name NAME --admin EMAIL [--timezone TZ]\n"
            "                            create a tenant; prints a one-time admin password\n"
            "  invite --tenant SLUG --employee EMAIL [--touchpoint NAME]\n"
            "                            print a chat link for one employee\n"
            "  escalations --tenant SLUG the tenant's red-flag escalations (TSV, no answer text)\n"
            "  import employees --tenant SLUG FILE.csv|-\n"
            "                            import or update employees from a CSV file (- = stdin), all or nothing\n"
            "  outreach [--once]         plan and send invitations, reminders and red-flag alerts\n"
            "                            (--once: everything due now, then exit)\n"
            "  outreach status --tenant SLUG [--days N]\n"
            "                            invites by day, touchpoint and state; the outbox; skipped people\n"
            "  touchpoint list|set --tenant SLUG [--name N --kind K --flow F --rule JSON --active B]\n"
            "                            the tenant's touchpoint rules (docs/outreach.md)\n"
            "  schedule --tenant SLUG [--send-time HH:MM --quiet-hours HH:MM-HH:MM|none\n"
            "           --working-days mon-fri --frequency-cap-days N --reminders N --reminder-hours N\n"
            "           --ttl-days N --mail-rate N]\n"
            "                            show or change when and how often the tenant's people are asked\n"
            "  user add --tenant SLUG --email EMAIL --role ROLE [--departments \"A,B\"]\n"
            "                            create an HR user; prints a one-time password\n"
            "  template set|show --tenant SLUG NAME [FILE]\n"
            "                            the tenant's own email template NAME (e.g. invite-pulse.txt)\n"
            "  sentiment [--compat]      score one text per line from stdin:\n"
            "                            compound, pos, neu, neg, flags (tab-separated)\n"
            "  themes [--top N] [--min-phrase N]\n"
            "                            most used terms and phrases of one comment per line from stdin:\n"
            "                            term, term|phrase, comments, mean sentiment (tab-separated)\n"
            "  routes [--json]           the HTTP API's endpoints and who may call them\n"
            "  bench chat|idle ...       load generator (see docs/benchmarks.md)\n"
            "  version | help\n"
            "\n"
            "options (also in the config file or as HARK_* environment variables):\n"
            "  --config FILE             INI file with the keys below\n",
            HARK_VERSION);
    if (f == stdout) config_print_help();
}

int main(int argc, char **argv) {
    static hark_config cfg;
    char err[512];
    char *rest[256];
    int nrest = 0;
    setlocale(LC_ALL, "C");
    if (sodium_init() < 0) {
        fprintf(stderr, "hark: libsodium failed to initialise\n");
        return 1;
    }
    if (argc > 256) {
        fprintf(stderr, "hark: too many arguments\n");
        return 2;
    }
    config_defaults(&cfg);
    if (config_load(&cfg, argc - 1, argv + 1, rest, &nrest, err, sizeof err)) {
        fprintf(stderr, "hark: %s\n", err);
        return 2;
    }
    log_init(log_level_parse(cfg.log_level), !strcmp(cfg.log_format, "json"));
    if (cfg.now[0]) {
        int64_t at;
        if (hark_time_parse(cfg.now, &at)) {
            fprintf(stderr, "hark: now: '%s' is not an ISO-8601 time (YYYY-MM-DDTHH:MM:SSZ)\n", cfg.now);
            return 2;
        }
        hark_clock_set(at);
    }
    if (nrest == 0) {
        usage(stderr);
        return 2;
    }
    const char *cmd = rest[0];
    int ac = nrest - 1;
    char **av = rest + 1;
    if (!strcmp(cmd, "serve") || !strcmp(cmd, "chat")) return cli_serve(&cfg, cmd, ac, av);
    if (!strcmp(cmd, "migrate")) return cli_migrate(&cfg, ac, av);
    if (!strcmp(cmd, "demo")) return cli_demo(&cfg, ac, av);
    if (!strcmp(cmd, "tenant")) return cli_tenant(&cfg, ac, av);
    if (!strcmp(cmd, "invite")) return cli_invite(&cfg, ac, av);
    if (!strcmp(cmd, "escalations")) return cli_escalations(&cfg, ac, av);
    if (!strcmp(cmd, "import")) return cli_import(&cfg, ac, av);
    if (!strcmp(cmd, "bench")) {
        if (ac < 1) {
            fprintf(stderr, "usage: hark bench chat|idle [OPTIONS]\n");
            return 2;
        }
        return bench_main(&cfg, ac, av);
    }
    if (!strcmp(cmd, "sentiment")) return cli_sentiment(ac, av);
    if (!strcmp(cmd, "themes")) return cli_themes(ac, av);
    if (!strcmp(cmd, "routes")) return cli_routes(ac, av);
    if (!strcmp(cmd, "outreach")) return cli_outreach(&cfg, ac, av);
    if (!strcmp(cmd, "touchpoint")) return cli_touchpoint(&cfg, ac, av);
    if (!strcmp(cmd, "schedule")) return cli_schedule(&cfg, ac, av);
    if (!strcmp(cmd, "template")) return cli_template(&cfg, ac, av);
    if (!strcmp(cmd, "user")) return cli_user(&cfg, ac, av);
    if (!strcmp(cmd, "web")) {
        fprintf(stderr, "hark %s: this module is not part of this version yet\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("hark %s\n", HARK_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "hark: unknown command '%s' (see hark help)\n", cmd);
    return 2;
}
