/* `hark outreach`: the outreach module as its own service (plans every
 * outreach_plan_interval_ms, delivers continuously, stops on SIGTERM or
 * SIGINT after the messages in flight), `hark outreach --once` (plan, send
 * everything due, exit: cron and tests) and `hark outreach status --tenant
 * SLUG` (counts by touchpoint, day and state). cli_outreach_opts is shared
 * with `hark serve`, which runs the same module on a thread. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"

int cli_outreach_opts(const hark_config *cfg, outreach_opts *o, char *mail_url, size_t url_cap, char *public_url,
                      size_t public_cap) {
    outreach_opts_default(o);
    if (cfg->smtp_url[0])
        snprintf(mail_url, url_cap, "%s", cfg->smtp_url);
    else
        snprintf(mail_url, url_cap, "file:%s/outbox", cfg->data_dir);
    config_public_url(cfg, public_url, public_cap);
    if (cli_load_key(cfg, o->key)) return 1;
    o->mail_url = mail_url;
    o->public_url = public_url;
    o->mail_from = cfg->mail_from;
    o->mail.conns = (int)cfg->smtp_conns;
    o->mail.timeout_ms = (int)cfg->smtp_timeout_ms;
    o->mail.tls = cfg->smtp_tls;
    o->mail.ca_file = cfg->smtp_ca_file[0] ? cfg->smtp_ca_file : NULL;
    o->mail.verify = cfg->smtp_verify;
    o->rate = (int)cfg->outreach_rate;
    o->batch = (int)cfg->outreach_batch;
    o->lease_ms = cfg->outreach_lease_ms;
    o->retry_base_ms = cfg->outreach_retry_base_ms;
    o->retry_max_ms = cfg->outreach_retry_max_ms;
    o->max_attempts = (int)cfg->outreach_max_attempts;
    o->plan_interval_ms = cfg->outreach_plan_interval_ms;
    o->poll_ms = cfg->outreach_poll_ms;
    return 0;
}

int cli_open_outreach_store(const hark_config *cfg, store **out) {
    /* Every outreach write can be redone without harm: a plan by its unique
     * key, a claim by its lease, a lost "sent" mark by a resend with the same
     * Message-ID. So its connection does not wait for fsync (durability
     * normal: it survives kill -9, and at worst a power loss re-sends a few
     * messages), which more than doubles delivery (docs/benchmarks.md). */
    static hark_config c;
    c = *cfg;
    if (!strcmp(c.durability, "full")) snprintf(c.durability, sizeof c.durability, "normal");
    return cli_open_store(&c, out);
}

static const char *const states[] = {"planned", "sending",   "sent",    "failed", "opened",
                                     "started", "completed", "expired", NULL};

static int status_index(const char *s) {
    for (int i = 0; states[i]; i++)
        if (!strcmp(states[i], s)) return i;
    return -1;
}

/* `hark outreach status --tenant SLUG [--days N]`: the last N days and the
 * two weeks ahead (invites planned for later, e.g. after a weekend). */
static int outreach_status(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    const char *slug = cli_opt(argc, argv, "tenant", used);
    const char *days_s = cli_opt(argc, argv, "days", used);
    store *st;
    store_tenant t;
    int rc;
    if (argc > 64 || cli_check_unused("outreach status", argc, argv, used)) return 2;
    if (!slug) {
        fprintf(stderr, "usage: hark outreach status --tenant SLUG [--days N]\n");
        return 2;
    }
    long days = days_s ? strtol(days_s, NULL, 10) : 14;
    if (days < 1 || days > 3660) {
        fprintf(stderr, "hark outreach status: --days must be 1 to 3660\n");
        return 2;
    }
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_conn *c = store_main_conn(st);
    if ((rc = store_tenant_by_slug(c, slug, &t))) {
        fprintf(stderr, "hark outreach status: tenant '%s': %s\n", slug, hark_strerror(rc));
        store_close(st);
        return rc == HARK_ENOTFOUND ? 2 : 1;
    }
    enum { MAXROWS = 4096 };
    store_status_row *rows = calloc(MAXROWS, sizeof *rows);
    store_skip_count skips[32];
    size_t n = 0, nskips = 0;
    int64_t now = hark_now_ms(), today = now / 86400000;
    rc = rows
             ? store_outreach_status(c, t.id, (today - days + 1) * 86400000, (today + 15) * 86400000, rows, MAXROWS, &n)
             : HARK_ENOMEM;
    if (rc == HARK_OK) rc = store_skip_counts(c, t.id, skips, 32, &nskips);
    if (rc) {
        fprintf(stderr, "hark outreach status: %s\n", hark_strerror(rc));
        free(rows);
        store_close(st);
        return 1;
    }
    /* One line per day and touchpoint, a column per state. */
    printf("day\ttouchpoint");
    for (int i = 0; states[i]; i++) printf("\t%s", states[i]);
    printf("\n");
    for (size_t i = 0; i < n && rows[i].day >= 0;) {
        int64_t counts[8] = {0};
        size_t j = i;
        for (; j < n && rows[j].day == rows[i].day && rows[j].touchpoint_id == rows[i].touchpoint_id; j++) {
            int k = status_index(rows[j].status);
            if (k >= 0) counts[k] += rows[j].count;
        }
        char date[11];
        tz_date_format(rows[i].day, date);
        printf("%s\t%s", date, rows[i].touchpoint);
        for (int k = 0; states[k]; k++) printf("\t%" PRId64, counts[k]);
        printf("\n");
        i = j;
    }
    printf("\noutbox\tstate\tmessages\n");
    for (size_t i = 0; i < n; i++)
        if (rows[i].day < 0) printf("%s\t%s\t%" PRId64 "\n", rows[i].touchpoint, rows[i].status, rows[i].count);
    if (nskips) {
        printf("\nskipped\temployees\n");
        for (size_t i = 0; i < nskips; i++) printf("%s\t%" PRId64 "\n", skips[i].reason, skips[i].count);
    }
    free(rows);
    store_close(st);
    return 0;
}

int cli_outreach(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    outreach_opts oo;
    char mail_url[1100], public_url[600], err[512];
    store *st;
    int once = 0, rc;
    if (argc >= 1 && !strcmp(argv[0], "status")) return outreach_status(cfg, argc - 1, argv + 1);
    if (argc > 64) return 2;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--once")) once = used[i] = 1;
    if (cli_check_unused("outreach", argc, argv, used)) return 2;
    if (cli_outreach_opts(cfg, &oo, mail_url, sizeof mail_url, public_url, sizeof public_url)) return 1;
    oo.progress = 1;
    if ((rc = cli_open_outreach_store(cfg, &st))) return rc;
    outreach *o = outreach_new(st, &oo, err, sizeof err);
    if (!o) {
        fprintf(stderr, "hark outreach: %s\n", err);
        store_close(st);
        return 2;
    }
    rc = 0;
    if (once) {
        outreach_plan_stats ps;
        outreach_send_stats ss;
        memset(&ss, 0, sizeof ss);
        if (outreach_plan(o, &ps) || outreach_deliver(o, &ss))
            rc = 1;
        else {
            printf("planned %" PRId64 " invites for %" PRId64 " employees (%" PRId64 " already planned, %" PRId64
                   " held back by the frequency cap, %" PRId64 " skipped), expired %" PRId64 "\n",
                   ps.planned, ps.employees, ps.existing, ps.capped, ps.skipped, ps.expired);
            printf("sent %" PRId64 ", to retry later %" PRId64 ", failed %" PRId64 ", cancelled %" PRId64 "\n", ss.sent,
                   ss.retried, ss.failed, ss.cancelled);
        }
    } else {
        sigset_t set;
        int sig = 0;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        /* Blocked before the thread starts, so it inherits the mask and the
         * signals wait for sigwait here. */
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (outreach_start(o)) {
            fprintf(stderr, "hark outreach: cannot start its thread\n");
            rc = 1;
        } else {
            printf("outreach running, mail to %s\n", strncmp(mail_url, "file:", 5) ? "the SMTP server" : mail_url);
            fflush(stdout);
            log_info("outreach running");
            sigwait(&set, &sig);
            log_info("signal %d: stopping outreach", sig);
            outreach_stop(o);
        }
    }
    outreach_free(o);
    store_close(st);
    return rc;
}
