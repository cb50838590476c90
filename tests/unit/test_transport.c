/* Unit tests of outreach's mail transports against a real SMTP server:
 * tests/smtp/sink.py (aiosmtpd), started per test on a free port with the
 * options the test needs, run under Debian's /usr/bin/python3. Assertions are
 * on what a mail server receives (exact bytes, envelopes, TLS, AUTH, number
 * of connections) and on the outcomes, codes and replies the mailer records.
 * A missing python3-aiosmtpd or openssl fails the run: scripts/bootstrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__has_include)
#if __has_include(<sys/prctl.h>)
#include <sys/prctl.h>
#endif
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "core/err.h"
#include "outreach/transport.h"

#define PYTHON    "/usr/bin/python3"
#define BOOTSTRAP "run scripts/bootstrap (it installs python3-aiosmtpd and openssl)"

static char g_root[64];   /* this run's temporary folder */
static char g_sink[1024]; /* tests/smtp/sink.py */
static char g_cert[128], g_key[128];

/* ---- processes and files ---- */

/* Runs ARGV with stdout and stderr on /dev/null (QUIET) and returns its exit
 * status, or -1 when it could not run. */
static int run(char *const argv[], int quiet) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (quiet) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Removes PATH and everything under it. */
static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        rm_rf(p);
    }
    closedir(d);
    rmdir(path);
}

/* Reads a whole file (at most 1 MiB); NULL when missing. Caller frees. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20;
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(f);
        return NULL;
    }
    *len = fread(b, 1, cap, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static int count_files(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    size_t sl = strlen(suffix);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        size_t l = strlen(e->d_name);
        if (l > sl && !strcmp(e->d_name + l - sl, suffix)) n++;
    }
    closedir(d);
    return n;
}

static json_t *load_json(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) fail_msg("%s: %s", path, e.text);
    return j;
}

static long long json_int(const char *path, const char *key) {
    json_t *j = load_json(path);
    long long v = json_integer_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

/* A fresh folder under the run's root. */
static void make_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_root, name);
    rm_rf(out);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* ---- the SMTP sink ---- */

typedef struct sink {
    pid_t pid;
    int port;
    char dir[128];   /* its messages: <n>.eml and <n>.json */
    char stats[160]; /* its counters */
} sink;

/* The sink of the running test, stopped by its teardown even when an
 * assertion ended the test early. */
static pid_t g_sink_pid;

/* Starts the sink for the test NAME with the extra options EXTRA (NULL-ended)
 * and waits for its "listening on PORT" line. */
static void sink_start(sink *k, const char *name, const char *const *extra) {
    char *argv[32];
    int n = 0;
    make_dir(k->dir, sizeof k->dir, name);
    snprintf(k->stats, sizeof k->stats, "%s/stats.json", k->dir);
    argv[n++] = PYTHON;
    argv[n++] = g_sink;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--dir";
    argv[n++] = k->dir;
    argv[n++] = "--stats";
    argv[n++] = k->stats;
    for (; extra && *extra && n < 31; extra++) argv[n++] = (char *)*extra;
    argv[n] = NULL;

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    k->pid = fork();
    assert_true(k->pid >= 0);
    if (k->pid == 0) {
#ifdef PR_SET_PDEATHSIG
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan when the test binary dies */
#endif
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    g_sink_pid = k->pid;
    close(fds[1]);
    char line[128];
    size_t len = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (len < sizeof line - 1 && !memchr(line, '\n', len) && poll(&p, 1, 15000) == 1) {
        ssize_t r = read(fds[0], line + len, sizeof line - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fds[0]);
    line[len] = '\0';
    k->port = 0;
    if (sscanf(line, "listening on %d", &k->port) != 1 || k->port <= 0) {
        kill(k->pid, SIGKILL);
        waitpid(k->pid, NULL, 0);
        fail_msg("the SMTP sink did not start (%s, see its error above): %s", g_sink, BOOTSTRAP);
    }
}

/* Stops the sink with SIGTERM; it must exit cleanly within 5 s. */
static void sink_stop(sink *k) {
    int st = -1;
    kill(k->pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(k->pid, &st, WNOHANG) == k->pid) break;
        st = -1;
        usleep(10000);
    }
    if (st == -1) {
        kill(k->pid, SIGKILL);
        waitpid(k->pid, NULL, 0);
    }
    g_sink_pid = 0;
    assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void sink_url(const sink *k, char *out, size_t cap, const char *scheme, const char *userinfo) {
    snprintf(out, cap, "%s://%s%s127.0.0.1:%d", scheme, userinfo ? userinfo : "", userinfo ? "@" : "", k->port);
}

/* The path of the sink's file N.SUFFIX. */
static void sink_file(const sink *k, int n, const char *suffix, char *out, size_t cap) {
    snprintf(out, cap, "%s/%d.%s", k->dir, n, suffix);
}

/* ---- messages ---- */

/* Message I: headers, a line starting with a dot (SMTP dot-stuffing must
 * be undone), and I % 40 filler lines so that sizes differ. */
static size_t make_msg(char *out, size_t cap, int i) {
    int n = snprintf(out, cap,
                     "From: Hark <hark@example.test>\r\nTo: <u%d@example.test>\r\nSubject: test %d\r\n"
                     "Message-ID: <m%d@hark.test>\r\n\r\nHello %d.\r\n.a line that starts with a dot\r\n..two\r\n",
                     i, i, i, i);
    for (int k = 0; k < i % 40; k++)
        n += snprintf(out + n, cap - (size_t)n, "%04d the quick brown fox jumps over the lazy dog, again and again\r\n",
                      k);
    return (size_t)n;
}

typedef struct msg {
    char data[4096];
    char rcpt_buf[64];
    const char *rcpt[1];
    mail_job job;
} msg;

static void msg_init(msg *m, int i) {
    snprintf(m->rcpt_buf, sizeof m->rcpt_buf, "u%d@example.test", i);
    m->rcpt[0] = m->rcpt_buf;
    m->job = (mail_job){.cookie = (uint64_t)i, .from = "hark@example.test", .rcpt = m->rcpt, .nrcpt = 1};
    m->job.data = m->data;
    m->job.len = make_msg(m->data, sizeof m->data, i);
}

/* Submits the N jobs as connections free up and polls until every one is
 * reported or MAX_MS passes; RES[cookie] receives each result. */
static void send_all(mail_transport *t, const mail_job *jobs, size_t n, mail_result *res, int max_ms) {
    size_t next = 0, got = 0;
    uint64_t end = uv_hrtime() + (uint64_t)max_ms * 1000000u;
    while (got < n) {
        while (next < n && mail_transport_free(t) > 0) assert_int_equal(mail_transport_submit(t, &jobs[next++]), 0);
        mail_result out[8];
        size_t k = 0;
        assert_int_equal(mail_transport_poll(t, 200, out, 8, &k), 0);
        for (size_t i = 0; i < k; i++) {
            assert_true(out[i].cookie < n);
            res[out[i].cookie] = out[i];
        }
        got += k;
        if (uv_hrtime() > end) fail_msg("%zu of %zu messages reported after %d ms", got, n, max_ms);
    }
    assert_int_equal(mail_transport_inflight(t), 0);
}

/* Sends one job and returns its result. */
static mail_result send_one(mail_transport *t, const mail_job *j) {
    mail_job copy = *j;
    copy.cookie = 0;
    mail_result r;
    memset(&r, 0, sizeof r);
    send_all(t, &copy, 1, &r, 15000);
    return r;
}

static mail_transport *open_ok(const char *url, const mail_transport_opts *o) {
    mail_transport *t = NULL;
    char err[256];
    int rc = mail_transport_open(url, o, &t, err, sizeof err);
    if (rc) fail_msg("mail_transport_open: %s", err);
    return t;
}

/* A port on 127.0.0.1 where nothing listens. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- the tests ---- */

static void test_many_messages_few_connections(void **state) {
    (void)state;
    enum { N = 200 };
    sink k;
    sink_start(&k, "many", NULL);
    char url[128];
    sink_url(&k, url, sizeof url, "smtp", NULL);
    mail_transport_opts o;
    mail_transport_opts_default(&o);
    mail_transport *t = open_ok(url, &o);
    assert_int_equal(mail_transport_free(t), 4);

    msg *m = calloc(N, sizeof *m);
    mail_job *jobs = calloc(N, sizeof *jobs);
    mail_result *res = calloc(N, sizeof *res);
    for (int i = 0; i < N; i++) {
        msg_init(&m[i], i);
        jobs[i] = m[i].job;
    }
    send_all(t, jobs, N, res, 15000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].outcome, MAIL_SENT);
        assert_int_equal(res[i].code, 250);
        assert_true(!strncmp(res[i].reply, "250 2.0.0 OK", 12));
        assert_true(res[i].ms >= 0);
    }
    mail_transport_close(t);

    /* Every message arrived once, byte for byte, to its own recipient. */
    assert_int_equal(count_files(k.dir, ".eml"), N);
    char seen[N] = {0};
    for (int n = 1; n <= N; n++) {
        char path[256];
        sink_file(&k, n, "json", path, sizeof path);
        json_t *j = load_json(path);
        int i = -1;
        assert_int_equal(sscanf(json_string_value(json_object_get(j, "message_id")), "m%d@hark.test", &i), 1);
        assert_true(i >= 0 && i < N && !seen[i]);
        seen[i] = 1;
        assert_string_equal(json_string_value(json_object_get(j, "mail_from")), "hark@example.test");
        json_t *rcpt = json_object_get(j, "rcpt_tos");
        assert_int_equal(json_array_size(rcpt), 1);
        assert_string_equal(json_string_value(json_array_get(rcpt, 0)), m[i].rcpt_buf);
        json_decref(j);
        size_t len;
        sink_file(&k, n, "eml", path, sizeof path);
        char *got = slurp(path, &len);
        assert_non_null(got);
        assert_int_equal(len, m[i].job.len);
        assert_memory_equal(got, m[i].data, len);
        free(got);
    }
    /* The four connections were reused, not one opened per message. */
    long long conns = json_int(k.stats, "connections");
    if (conns < 1 || conns > 4) fail_msg("%lld connections for %d messages over 4 slots", conns, N);
    assert_int_equal(json_int(k.stats, "messages"), N);
    sink_stop(&k);
    free(m);
    free(jobs);
    free(res);
}

static void test_rejected_recipient(void **state) {
    (void)state;
    const char *const opts[] = {"--reject-rcpt", "^nobody@", NULL};
    sink k;
    sink_start(&k, "reject", opts);
    char url[128];
    sink_url(&k, url, sizeof url, "smtp", NULL);
    mail_transport *t = open_ok(url, NULL);
    msg m;
    msg_init(&m, 1);

    const char *bad[] = {"nobody@example.test"};
    mail_job j = m.job;
    j.rcpt = bad;
    mail_result r = send_one(t, &j);
    assert_int_equal(r.outcome, MAIL_PERMANENT);
    assert_int_equal(r.code, 550);
    assert_string_equal(r.reply, "550 5.1.1 unknown user");

    /* One refused recipient fails the whole message: no partial delivery. */
    const char *mixed[] = {"u1@example.test", "nobody@example.test"};
    j.rcpt = mixed;
    j.nrcpt = 2;
    r = send_one(t, &j);
    assert_int_equal(r.outcome, MAIL_PERMANENT);
    assert_int_equal(r.code, 550);

    /* The transport goes on with the next message. */
    r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_SENT);
    assert_int_equal(r.code, 250);
    assert_int_equal(count_files(k.dir, ".eml"), 1);
    assert_int_equal(json_int(k.stats, "rejected_rcpts"), 2);
    mail_transport_close(t);
    sink_stop(&k);
}

static void test_tempfail_then_sent(void **state) {
    (void)state;
    const char *const opts[] = {"--tempfail-first", "1", NULL};
    sink k;
    sink_start(&k, "tempfail", opts);
    char url[128];
    sink_url(&k, url, sizeof url, "smtp", NULL);
    mail_transport *t = open_ok(url, NULL);
    msg m;
    msg_init(&m, 7);
    mail_result r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 421);
    assert_true(!strncmp(r.reply, "421 4.3.0 ", 10));
    assert_int_equal(count_files(k.dir, ".eml"), 0);

    r = send_one(t, &m.job);
    if (r.outcome != MAIL_SENT) fail_msg("resubmitted: %d %s", r.code, r.reply);
    assert_int_equal(count_files(k.dir, ".eml"), 1);
    assert_int_equal(json_int(k.stats, "tempfails"), 1);
    mail_transport_close(t);
    sink_stop(&k);
}

static void test_nothing_listening(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed_port());
    mail_transport *t = open_ok(url, NULL);
    msg m;
    msg_init(&m, 1);
    mail_result r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 0);
    assert_true(strlen(r.reply) > 0);
    assert_null(strchr(r.reply, '\n'));
    if (r.ms > 2000) fail_msg("a refused connection took %.0f ms to report", r.ms);
    mail_transport_close(t);
}

static void test_server_silent(void **state) {
    (void)state;
    /* The kernel completes the handshake; nobody ever says 220. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
    mail_transport_opts o;
    mail_transport_opts_default(&o);
    o.timeout_ms = 300;
    mail_transport *t = open_ok(url, &o);
    msg m;
    msg_init(&m, 1);
    mail_result r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 0);
    if (r.ms < 250 || r.ms > 3000) fail_msg("a 300 ms timeout reported after %.0f ms", r.ms);
    mail_transport_close(t);
    close(fd);
}

/* Sends one message to the sink K over TLS and checks that it arrived
 * encrypted. */
static void expect_tls_delivery(const sink *k, const char *url) {
    mail_transport_opts o;
    mail_transport_opts_default(&o);
    o.tls = "require";
    o.ca_file = g_cert;
    mail_transport *t = open_ok(url, &o);
    msg m;
    msg_init(&m, 3);
    mail_result r = send_one(t, &m.job);
    if (r.outcome != MAIL_SENT) fail_msg("%s: %d %s", url, r.code, r.reply);
    mail_transport_close(t);
    char path[256];
    sink_file(k, 1, "json", path, sizeof path);
    json_t *j = load_json(path);
    assert_true(json_is_true(json_object_get(j, "tls")));
    json_decref(j);

    /* The certificate is really checked: without our CA it is refused. */
    o.ca_file = NULL;
    t = open_ok(url, &o);
    r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 0);
    mail_transport_close(t);
    assert_int_equal(count_files(k->dir, ".eml"), 1);
}

static void test_starttls(void **state) {
    (void)state;
    const char *const opts[] = {"--tls", g_cert, g_key, "--require-tls", NULL};
    sink k;
    sink_start(&k, "starttls", opts);
    char url[128];
    sink_url(&k, url, sizeof url, "smtp", NULL);
    expect_tls_delivery(&k, url);

    /* Without TLS the server refuses the session (530): a configuration
     * problem, transient for the message. */
    mail_transport_opts o;
    mail_transport_opts_default(&o);
    o.tls = "off";
    mail_transport *t = open_ok(url, &o);
    msg m;
    msg_init(&m, 4);
    mail_result r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 530);
    mail_transport_close(t);
    sink_stop(&k);
}

static void test_smtps(void **state) {
    (void)state;
    const char *const opts[] = {"--smtps", g_cert, g_key, NULL};
    sink k;
    sink_start(&k, "smtps", opts);
    char url[128];
    sink_url(&k, url, sizeof url, "smtps", NULL);
    expect_tls_delivery(&k, url);
    sink_stop(&k);
}

static void test_auth(void **state) {
    (void)state;
    const char *const opts[] = {"--auth", "hark:s3cret", NULL};
    sink k;
    sink_start(&k, "auth", opts);
    char url[128];
    sink_url(&k, url, sizeof url, "smtp", "hark:s3cret");
    mail_transport_opts o;
    mail_transport_opts_default(&o);
    o.helo = "mailer.hark.test";
    mail_transport *t = open_ok(url, &o);
    msg m;
    msg_init(&m, 5);
    mail_result r = send_one(t, &m.job);
    if (r.outcome != MAIL_SENT) fail_msg("AUTH: %d %s", r.code, r.reply);
    mail_transport_close(t);
    char path[256];
    sink_file(&k, 1, "json", path, sizeof path);
    json_t *j = load_json(path);
    assert_string_equal(json_string_value(json_object_get(j, "auth")), "hark");
    assert_string_equal(json_string_value(json_object_get(j, "helo")), "mailer.hark.test");
    json_decref(j);

    /* Bad credentials refuse the session, not the message: transient. */
    sink_url(&k, url, sizeof url, "smtp", "hark:wrong");
    t = open_ok(url, NULL);
    r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_TRANSIENT);
    assert_int_equal(r.code, 535);
    mail_transport_close(t);
    assert_int_equal(count_files(k.dir, ".eml"), 1);
    sink_stop(&k);
}

static void test_file_folder(void **state) {
    (void)state;
    char dir[128], url[160], path[256];
    snprintf(dir, sizeof dir, "%s/outbox/new", g_root); /* created by open */
    snprintf(url, sizeof url, "file:%s", dir);
    mail_transport *t = open_ok(url, NULL);
    msg m;
    msg_init(&m, 9);
    m.job.name = "m9@hark.test";
    mail_result r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_SENT);
    snprintf(path, sizeof path, "%s/m9@hark.test.eml", dir);
    size_t len;
    char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, m.job.len);
    assert_memory_equal(got, m.data, len);
    free(got);

    /* Sending it again replaces it; no temporary file is left behind. */
    r = send_one(t, &m.job);
    assert_int_equal(r.outcome, MAIL_SENT);
    assert_int_equal(count_files(dir, ".eml"), 1);
    assert_int_equal(count_files(dir, ".tmp"), 0);

    const char *bad[] = {"a/b", "../up", ".hidden", "", "tab\tname", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        m.job.name = bad[i];
        assert_int_equal(mail_transport_submit(t, &m.job), HARK_EINVAL);
    }
    assert_int_equal(mail_transport_inflight(t), 0);
    mail_transport_close(t);

    char err[256];
    assert_int_equal(mail_transport_open("file:", NULL, &t, err, sizeof err), HARK_EINVAL);
    assert_null(t);
    assert_int_equal(mail_transport_open("file:/proc/hark-no-such/dir", NULL, &t, err, sizeof err), HARK_EINVAL);
    assert_non_null(strstr(err, "/proc/hark-no-such/dir"));
}

static void test_busy(void **state) {
    (void)state;
    char url[160];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed_port());
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) snprintf(url, sizeof url, "file:%s/busy", g_root);
        mail_transport_opts o;
        mail_transport_opts_default(&o);
        o.conns = 2;
        mail_transport *t = open_ok(url, &o);
        msg m[3];
        for (int i = 0; i < 3; i++) {
            msg_init(&m[i], i);
            m[i].job.name = "busy";
        }
        assert_int_equal(mail_transport_submit(t, &m[0].job), 0);
        assert_int_equal(mail_transport_submit(t, &m[1].job), 0);
        assert_int_equal(mail_transport_free(t), 0);
        assert_int_equal(mail_transport_submit(t, &m[2].job), HARK_EBUSY);
        assert_int_equal(mail_transport_inflight(t), 2);
        mail_result out[4];
        size_t got = 0;
        for (int i = 0; i < 50 && got < 2; i++) {
            size_t k = 0;
            assert_int_equal(mail_transport_poll(t, 200, out + got, 4 - got, &k), 0);
            got += k;
        }
        assert_int_equal(got, 2);
        assert_int_equal(mail_transport_free(t), 2);
        assert_int_equal(mail_transport_submit(t, &m[2].job), 0);
        mail_transport_close(t); /* with a message in flight */
    }
}

static void test_invalid(void **state) {
    (void)state;
    char url[64], err[256];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed_port());
    mail_transport *t = open_ok(url, NULL);
    msg m;
    msg_init(&m, 1);
    const char *bad_rcpt[] = {"a@b.test\r\nRCPT TO:<x@y.test>", "a@b.test\n", "<a@b.test>", "a>b@c.test", ""};
    for (size_t i = 0; i < sizeof bad_rcpt / sizeof *bad_rcpt; i++) {
        mail_job j = m.job;
        j.rcpt = &bad_rcpt[i];
        assert_int_equal(mail_transport_submit(t, &j), HARK_EINVAL);
    }
    mail_job j = m.job;
    j.nrcpt = 0;
    assert_int_equal(mail_transport_submit(t, &j), HARK_EINVAL);
    j = m.job;
    j.from = "a@b.test\r\nDATA";
    assert_int_equal(mail_transport_submit(t, &j), HARK_EINVAL);
    assert_int_equal(mail_transport_inflight(t), 0);
    mail_transport_close(t);

    mail_transport_opts o;
    mail_transport_opts_default(&o);
    assert_int_equal(mail_transport_open("http://127.0.0.1/", &o, &t, err, sizeof err), HARK_EINVAL);
    assert_non_null(strstr(err, "scheme"));
    assert_int_equal(mail_transport_open("smtp://u:secret@127.0.0.1/path", &o, &t, err, sizeof err), HARK_EINVAL);
    assert_null(strstr(err, "secret"));
    o.conns = 0;
    assert_int_equal(mail_transport_open(url, &o, &t, err, sizeof err), HARK_EINVAL);
    mail_transport_opts_default(&o);
    o.tls = "maybe";
    assert_int_equal(mail_transport_open(url, &o, &t, err, sizeof err), HARK_EINVAL);
    mail_transport_opts_default(&o);
    o.helo = "bad name\r\n";
    assert_int_equal(mail_transport_open(url, &o, &t, err, sizeof err), HARK_EINVAL);
    mail_transport_opts_default(&o);
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(mail_transport_open(url, &o, &t, err, sizeof err), HARK_EINVAL);
    assert_non_null(strstr(err, "ca_file"));
    assert_null(t);
}

/* Checks the tools the tests need and makes the TLS certificate. */
static int setup(void **state) {
    (void)state;
    const char *src = getenv("HARK_SOURCE_DIR");
    if (!src) {
        fprintf(stderr, "HARK_SOURCE_DIR is not set: run this test through ctest\n");
        return -1;
    }
    snprintf(g_sink, sizeof g_sink, "%s/tests/smtp/sink.py", src);
    char *check[] = {PYTHON, "-c", "import aiosmtpd.smtp", NULL};
    if (access(PYTHON, X_OK) != 0 || run(check, 1) != 0) {
        fprintf(stderr, "%s with python3-aiosmtpd is needed for the SMTP sink: %s\n", PYTHON, BOOTSTRAP);
        return -1;
    }
    snprintf(g_root, sizeof g_root, "/tmp/hark-transport-XXXXXX");
    if (!mkdtemp(g_root)) return -1;
    snprintf(g_cert, sizeof g_cert, "%s/cert.pem", g_root);
    snprintf(g_key, sizeof g_key, "%s/key.pem", g_root);
    char *req[] = {"/usr/bin/openssl",
                   "req",
                   "-x509",
                   "-newkey",
                   "rsa:2048",
                   "-nodes",
                   "-days",
                   "2",
                   "-subj",
                   "/CN=localhost",
                   "-addext",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1",
                   "-keyout",
                   g_key,
                   "-out",
                   g_cert,
                   NULL};
    if (run(req, 1) != 0) {
        fprintf(stderr, "openssl could not make a test certificate: %s\n", BOOTSTRAP);
        return -1;
    }
    return 0;
}

static int kill_sink(void **state) {
    (void)state;
    if (g_sink_pid > 0) {
        kill(g_sink_pid, SIGKILL);
        waitpid(g_sink_pid, NULL, 0);
        g_sink_pid = 0;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (g_root[0]) rm_rf(g_root);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_many_messages_few_connections, kill_sink),
        cmocka_unit_test_teardown(test_rejected_recipient, kill_sink),
        cmocka_unit_test_teardown(test_tempfail_then_sent, kill_sink),
        cmocka_unit_test_teardown(test_nothing_listening, kill_sink),
        cmocka_unit_test_teardown(test_server_silent, kill_sink),
        cmocka_unit_test_teardown(test_starttls, kill_sink),
        cmocka_unit_test_teardown(test_smtps, kill_sink),
        cmocka_unit_test_teardown(test_auth, kill_sink),
        cmocka_unit_test_teardown(test_file_folder, kill_sink),
        cmocka_unit_test_teardown(test_busy, kill_sink),
        cmocka_unit_test_teardown(test_invalid, kill_sink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
