/* `hark bench`: reads the subcommand's flags, makes the fixtures, runs the
 * scenario (run.c) and prints the report, plus one JSON line with --json for
 * bench/run.sh. Subcommands: chat (answers/s and ack latency) and idle (server
 * memory per held connection). The scenarios and their targets live in
 * bench/run.sh and docs/benchmarks.md, not here. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_int.h"
#include "core/err.h"
#include "core/log.h"

#define MAX_CONNS   100000
#define MAX_SECONDS 86400.0

typedef struct bench_args {
    const char *url;
    int conns;
    double duration_s;
    double warmup_s;
    double rate;
    int pid;
    int json;
    const char *flow;
    int rounds;
} bench_args;

static void usage(FILE *f) {
    fprintf(f, "usage: hark bench chat [--url URL] [--conns N] [--duration S] [--rate R] [--warmup S] [--pid PID] "
               "[--flow pulse|onboarding|tenure|exit|loop] [--conversations N] [--json]\n"
               "       hark bench idle [--url URL] [--conns N] [--hold S] [--pid PID] [--json]\n"
               "Defaults: chat --conns 1000 --duration 10 --warmup 2 (closed loop without --rate); idle --conns 10000\n"
               "--hold 20. URL defaults to ws://LISTEN/chat/ws; --pid names the server process (CPU, memory).\n"
               "chat runs real conversations of a built-in flow (default pulse): when one is done, that\n"
               "connection's employee starts the next (--conversations per connection; default enough for\n"
               "the run). --flow loop runs one never-ending conversation per connection instead.\n"
               "The bench needs the server's --data-dir (or --db-url): it makes its own invites there.\n");
}

static int bad(const char *flag, const char *problem) {
    fprintf(stderr, "hark bench: %s: %s\n", flag, problem);
    return 2;
}

static int parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

/* Parses the flags after the subcommand into A. Returns 0 or the exit code 2
 * (the message is printed). */
static int parse_args(int idle, int argc, char **argv, bench_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 3;
        }
        char name[32];
        const char *val;
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0) return bad(arg, "unexpected argument");
        if (eq) {
            size_t n = (size_t)(eq - arg);
            if (n >= sizeof name) return bad(arg, "unknown flag");
            memcpy(name, arg, n);
            name[n] = '\0';
            val = eq + 1;
        } else {
            if (strlen(arg) >= sizeof name) return bad(arg, "unknown flag");
            memcpy(name, arg, strlen(arg) + 1);
            if (i + 1 >= argc) return bad(name, "needs a value");
            val = argv[++i];
        }
        double v;
        if (strcmp(name, "--url") == 0) {
            a->url = val;
        } else if (strcmp(name, "--conns") == 0) {
            if (parse_num(val, 1, MAX_CONNS, &v) || v != (int)v)
                return bad(name, "must be an integer from 1 to 100000");
            a->conns = (int)v;
        } else if (!idle && strcmp(name, "--duration") == 0) {
            if (parse_num(val, 0.1, MAX_SECONDS, &v)) return bad(name, "must be seconds from 0.1 to 86400");
            a->duration_s = v;
        } else if (idle && strcmp(name, "--hold") == 0) {
            if (parse_num(val, 0, MAX_SECONDS, &v)) return bad(name, "must be seconds from 0 to 86400");
            a->duration_s = v;
        } else if (!idle && strcmp(name, "--warmup") == 0) {
            if (parse_num(val, 0, MAX_SECONDS, &v)) return bad(name, "must be seconds from 0 to 86400");
            a->warmup_s = v;
        } else if (!idle && strcmp(name, "--rate") == 0) {
            if (parse_num(val, 0, 1e7, &v)) return bad(name, "must be answers per second from 0 (unpaced) to 1e7");
            a->rate = v;
        } else if (!idle && strcmp(name, "--flow") == 0) {
            if (strcmp(val, "loop") && strcmp(val, "pulse") && strcmp(val, "onboarding") && strcmp(val, "tenure") &&
                strcmp(val, "exit"))
                return bad(name, "must be pulse, onboarding, tenure, exit or loop");
            a->flow = val;
        } else if (!idle && strcmp(name, "--conversations") == 0) {
            if (parse_num(val, 1, 100000, &v) || v != (int)v) return bad(name, "must be an integer from 1 to 100000");
            a->rounds = (int)v;
        } else if (strcmp(name, "--pid") == 0) {
            if (parse_num(val, 1, 1 << 30, &v) || v != (int)v) return bad(name, "must be a process id");
            a->pid = (int)v;
        } else {
            return bad(name, idle ? "unknown flag for bench idle" : "unknown flag for bench chat");
        }
    }
    return 0;
}

static double ms(uint64_t us) {
    return (double)us / 1000.0;
}

static void print_chat(const bench_opts *o, const bench_result *r, int json) {
    double rate = r->window_s > 0 ? (double)r->answers / r->window_s : 0;
    uint64_t errs = bench_errors_total(r);
    printf("bench chat: %d conversations, %.1f s measured after %.1f s warm-up, %s\n", o->conns, r->window_s,
           o->warmup_s, o->rate > 0 ? "paced" : "closed loop (answer as soon as asked)");
    if (o->rate > 0) printf("target rate   %.0f answers/s\n", o->rate);
    printf("answers       %llu acknowledged (%.1f/s)\n", (unsigned long long)r->answers, rate);
    printf("ack latency   p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n", ms(hist_quantile(&r->lat, 0.5)),
           ms(hist_quantile(&r->lat, 0.99)), ms(hist_quantile(&r->lat, 0.999)), ms(r->lat.max_us));
    printf("errors        %llu over the whole run (unexpected closes %llu, timeouts %llu, connect failures %llu, "
           "protocol %llu",
           (unsigned long long)errs, (unsigned long long)r->err_closes, (unsigned long long)r->err_timeouts,
           (unsigned long long)r->err_connect, (unsigned long long)r->err_protocol);
    for (int i = 0; i < BENCH_ERR_CODES; i++)
        if (r->err_frames[i]) printf(", %s %llu", bench_err_code_names[i], (unsigned long long)r->err_frames[i]);
    if (r->unexpected_done) printf(", done %llu", (unsigned long long)r->unexpected_done);
    printf(")\n");
    if (o->finite)
        printf("conversations %llu completed over the whole run%s\n", (unsigned long long)r->completed,
               r->pool_exhausted ? " (some connections ran out of invites: raise --conversations)" : "");
    if (r->server_cpu_s >= 0)
        printf("server cpu    %.2f s (%.2f cores), %.1f ms per 1000 answers\n", r->server_cpu_s,
               r->server_cpu_s / r->window_s, r->answers ? 1e6 * r->server_cpu_s / (double)r->answers : 0);
    printf("bench cpu     %.2f s (%.2f cores), %.1f ms per 1000 answers\n", r->bench_cpu_s,
           r->bench_cpu_s / r->window_s, r->answers ? 1e6 * r->bench_cpu_s / (double)r->answers : 0);
    if (r->interrupted) printf("interrupted   yes (SIGINT)\n");
    if (json)
        printf("{\"scenario\":\"chat\",\"conns\":%d,\"window_s\":%.3f,\"rate_target\":%.1f,\"answers\":%llu,"
               "\"answers_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
               "\"errors\":%llu,\"unexpected_closes\":%llu,\"timeouts\":%llu,\"connect_failures\":%llu,"
               "\"protocol_errors\":%llu,\"error_frames\":%llu,\"reconnects\":%llu,\"server_cpu_s\":%.3f,"
               "\"bench_cpu_s\":%.3f,\"interrupted\":%s}\n",
               o->conns, r->window_s, o->rate, (unsigned long long)r->answers, rate, ms(hist_quantile(&r->lat, 0.5)),
               ms(hist_quantile(&r->lat, 0.99)), ms(hist_quantile(&r->lat, 0.999)), ms(r->lat.max_us),
               (unsigned long long)errs, (unsigned long long)r->err_closes, (unsigned long long)r->err_timeouts,
               (unsigned long long)r->err_connect, (unsigned long long)r->err_protocol,
               (unsigned long long)(errs - r->err_closes - r->err_timeouts - r->err_connect - r->err_protocol -
                                    r->unexpected_done),
               (unsigned long long)r->reconnects, r->server_cpu_s, r->bench_cpu_s, r->interrupted ? "true" : "false");
}

static void print_idle(const bench_opts *o, const bench_result *r, int json) {
    uint64_t errs = bench_errors_total(r);
    double per_conn_kb = -1;
    printf("bench idle: %d conversations requested, %d reached their first question, held %.1f s\n", o->conns, r->ready,
           r->window_s);
    if (r->have_mem) {
        if (r->ready > 0) per_conn_kb = (double)(r->mem_after.rss_kb - r->mem_before.rss_kb) / r->ready;
        printf("server rss    before %.1f MB, connected %.1f MB, after hold %.1f MB (peak %.1f MB)\n",
               r->mem_before.rss_kb / 1024.0, r->mem_connected.rss_kb / 1024.0, r->mem_after.rss_kb / 1024.0,
               r->mem_after.hwm_kb / 1024.0);
        printf("per connection %.1f KB of server memory\n", per_conn_kb);
    } else {
        printf("server rss    unknown (give --pid)\n");
    }
    printf("traffic       %.0f bytes in, %.0f bytes out per connection\n",
           o->conns ? (double)r->bytes_in / o->conns : 0, o->conns ? (double)r->bytes_out / o->conns : 0);
    printf("errors        %llu (unexpected closes %llu, timeouts %llu, connect failures %llu)\n",
           (unsigned long long)errs, (unsigned long long)r->err_closes, (unsigned long long)r->err_timeouts,
           (unsigned long long)r->err_connect);
    if (r->server_cpu_s >= 0) printf("server cpu    %.2f s during the hold\n", r->server_cpu_s);
    printf("bench cpu     %.2f s during the hold\n", r->bench_cpu_s);
    if (json)
        printf("{\"scenario\":\"idle\",\"conns\":%d,\"ready\":%d,\"hold_s\":%.3f,\"rss_before_kb\":%lld,"
               "\"rss_connected_kb\":%lld,\"rss_after_kb\":%lld,\"hwm_after_kb\":%lld,\"per_conn_kb\":%.2f,"
               "\"errors\":%llu,\"server_cpu_s\":%.3f,\"bench_cpu_s\":%.3f}\n",
               o->conns, r->ready, r->window_s, (long long)(r->have_mem ? r->mem_before.rss_kb : -1),
               (long long)(r->have_mem ? r->mem_connected.rss_kb : -1),
               (long long)(r->have_mem ? r->mem_after.rss_kb : -1), (long long)(r->have_mem ? r->mem_after.hwm_kb : -1),
               per_conn_kb, (unsigned long long)errs, r->server_cpu_s, r->bench_cpu_s);
}

int bench_main(const hark_config *cfg, int argc, char **argv) {
    int code = 1;
    bench_fixture fx;
    bench_result *res = NULL;
    memset(&fx, 0, sizeof fx);
    if (argc < 1 || (strcmp(argv[0], "chat") != 0 && strcmp(argv[0], "idle") != 0)) {
        if (argc >= 1 && (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0)) {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    int idle = strcmp(argv[0], "idle") == 0;
    bench_args a = {NULL, idle ? 10000 : 1000, idle ? 20 : 10, 2, 0, 0, 0, "pulse", 0};
    int rc = parse_args(idle, argc, argv, &a);
    if (rc == 3) return 0;
    if (rc) return rc;

    char urlbuf[600];
    if (!a.url) {
        /* ":PORT" and "0.0.0.0:PORT" listen everywhere; the bench dials loopback. */
        const char *l = cfg->listen;
        const char *host = "";
        if (l[0] == ':')
            host = "127.0.0.1";
        else if (strncmp(l, "0.0.0.0:", 8) == 0) {
            host = "127.0.0.1";
            l += 7;
        }
        snprintf(urlbuf, sizeof urlbuf, "ws://%s%s/chat/ws", host, l);
        a.url = urlbuf;
    }
    wsc_target target;
    char err[512];
    if (wsc_target_parse(a.url, &target, err, sizeof err) != 0) return bad("--url", err);
    if (sodium_init() < 0) {
        fprintf(stderr, "hark bench: libsodium failed to initialise\n");
        return 1;
    }
    /* A write to a socket the server closed must be an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    uint64_t nofile = 0;
    if (bench_raise_nofile(&nofile) == 0 && nofile < (uint64_t)a.conns + 64)
        log_warn("bench: open-files limit %llu is low for %d connections", (unsigned long long)nofile, a.conns);

    const char *flow = idle ? "loop" : a.flow;
    int finite = strcmp(flow, "loop") != 0;
    if (!finite) a.rounds = 1;
    if (!a.rounds) {
        /* Enough for 25 answers/s per connection (5 conversations of 5 answers)
         * over the whole run, within the fixture's bound. */
        double want = (a.warmup_s + a.duration_s + 5) * 5;
        int cap = 2000000 / a.conns;
        a.rounds = want > cap ? cap : (int)want + 1;
        if (a.rounds < 1) a.rounds = 1;
    }
    rc = bench_fixture_make(cfg, a.conns, a.rounds, flow, &fx, err, sizeof err);
    if (rc) {
        fprintf(stderr, "hark bench: fixtures: %s\n", err);
        goto out;
    }
    bench_opts o = {
        idle ? BENCH_IDLE : BENCH_CHAT, a.conns, a.duration_s, a.warmup_s, a.rate, a.pid, finite, &target, &fx};
    res = malloc(sizeof *res);
    if (!res) goto out;
    rc = bench_run(&o, res);
    if (rc) {
        fprintf(stderr, "hark bench: %s\n", hark_strerror(rc));
        goto out;
    }
    if (idle)
        print_idle(&o, res, a.json);
    else
        print_chat(&o, res, a.json);
    fflush(stdout);
    code = 0;
    if (!idle && res->answers == 0) {
        fprintf(stderr, "hark bench: no answer was acknowledged\n");
        code = 1;
    } else if (idle && res->ready == 0) {
        fprintf(stderr, "hark bench: no conversation reached its first question\n");
        code = 1;
    }
out:
    free(res);
    bench_fixture_free(&fx);
    return code;
}
