/* Mail transports (transport.h). SMTP runs on libcurl's multi interface: one
 * easy handle per slot, created once and reused, so the multi handle's
 * connection cache keeps the SMTP sessions open between messages; the
 * server's reply lines reach us through the header callback, which keeps the
 * last one for the record. file:DIR writes each message as DIR/NAME.eml
 * (temporary file, fsync, rename, one fsync of the folder per poll). Not here:
 * building messages (mail.c), retries and the outbox (the mailer). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "core/err.h"
#include "core/log.h"
#include "outreach/transport.h"

enum {
    MAX_CONNS = 64,
    MAX_RCPT = 100,
    MAX_ADDR = 254, /* RFC 5321 path limit, without the angle brackets */
    MAX_NAME = 200, /* file: transport file name, without ".eml" */
    MAX_HELO = 253,
    MAX_TIMEOUT_MS = 3600000,
};
#define MAX_MESSAGE ((size_t)32 << 20)

/* One message in flight. A slot is free (busy 0) until submit fills it and
 * makes it busy; poll frees it when it reports the result. An SMTP slot's
 * easy handle is in the multi handle exactly while the slot is busy. */
typedef struct slot {
    CURL *easy; /* SMTP: owned, reused for every message; NULL for file: */
    int busy;
    uint64_t cookie;
    uint64_t start_ns;       /* uv_hrtime() at submit */
    char *data;              /* owned copy of the message */
    size_t len, off;         /* off: bytes handed to curl so far */
    struct curl_slist *rcpt; /* owned; curl reads it during the transfer and does not copy it */
    char name[MAX_NAME + 1]; /* file: */
    char errbuf[CURL_ERROR_SIZE];
    char line[256]; /* the server's last reply line (not QUIT's), CR/LF stripped */
} slot;

struct mail_transport {
    int dirfd;      /* file: the folder; -1 for SMTP */
    CURLM *multi;   /* SMTP */
    char *url;      /* SMTP: with credentials and the EHLO name as path; curl_free */
    char host[128]; /* for log lines (never the credentials) */
    int nslots;
    int inflight;
    slot *slots;
};

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init = CURLE_FAILED_INIT;

static void curl_init_once(void) {
    g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void mail_transport_opts_default(mail_transport_opts *o) {
    memset(o, 0, sizeof *o);
    o->conns = 4;
    o->timeout_ms = 30000;
    o->tls = "try";
    o->verify = 1;
}

/* Writes SRC[0..LEN) as one printable ASCII line into DST (CAP bytes): stops
 * at CR or LF, replaces other control and non-ASCII bytes with '?'. */
static void one_line(char *dst, size_t cap, const char *src, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\r' || c == '\n') break;
        dst[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    while (n > 0 && dst[n - 1] == ' ') n--;
    dst[n] = '\0';
}

/* An envelope address: at most MAX_ADDR bytes, no control characters and
 * none of '<' '>' (header and command injection). EMPTY_OK for the sender's
 * null reverse-path. */
static int addr_ok(const char *a, int empty_ok) {
    if (!a) return 0;
    size_t n = strlen(a);
    if (n > MAX_ADDR || (n == 0 && !empty_ok)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c < 0x20 || c == 0x7f || c == '<' || c == '>') return 0;
    }
    return 1;
}

/* A file: name: 1-MAX_NAME bytes, no '/', no leading '.', no control bytes. */
static int name_ok(const char *s) {
    if (!s || !s[0] || s[0] == '.') return 0;
    size_t n = strlen(s);
    if (n > MAX_NAME) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '/') return 0;
    }
    return 1;
}

static int helo_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > MAX_HELO) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                 c == '[' || c == ']' || c == ':';
        if (!ok) return 0;
    }
    return 1;
}

/* ---- curl callbacks, run inside curl_multi_perform ---- */

static size_t read_cb(char *buffer, size_t size, size_t nitems, void *ud) {
    slot *s = ud;
    size_t room = size * nitems, left = s->len - s->off;
    size_t n = left < room ? left : room;
    memcpy(buffer, s->data + s->off, n);
    s->off += n;
    return n;
}

/* curl rewinds the upload when it retries a message on a fresh connection
 * after a reused one turned out dead. */
static int seek_cb(void *ud, curl_off_t offset, int origin) {
    slot *s = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > s->len) return CURL_SEEKFUNC_CANTSEEK;
    s->off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* For SMTP, curl hands every server reply line to the header callback. The
 * reply to QUIT (221) is skipped: curl sends QUIT when it closes a connection
 * after a failure, and the record wants the reply that caused the failure.
 * 421 means the server is closing the connection, but curl, which fails the
 * message, would still cache it when the 421 answers the end of the data;
 * the next message would then meet a dead connection. Forbidding reuse for
 * this transfer (curl reads the flag when it ends) closes it. */
static size_t header_cb(char *buffer, size_t size, size_t nitems, void *ud) {
    slot *s = ud;
    size_t n = size * nitems;
    if (n < 3 || (buffer[0] == '2' && buffer[1] == '2' && buffer[2] == '1')) return n;
    one_line(s->line, sizeof s->line, buffer, n);
    if (buffer[0] == '4' && buffer[1] == '2' && buffer[2] == '1') curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L);
    return n;
}

/* ---- opening ---- */

static int mkdir_p(const char *path) {
    char p[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p) return -ENAMETOOLONG;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return -errno;
        p[i] = c;
    }
    return 0;
}

static int open_file(mail_transport *t, const char *dir, char *err, size_t errlen) {
    int rc = mkdir_p(dir);
    if (rc) {
        snprintf(err, errlen, "mail folder %s: cannot create it: %s", dir, uv_strerror(rc));
        return HARK_EINVAL;
    }
    t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->dirfd < 0) {
        snprintf(err, errlen, "mail folder %s: %s", dir, uv_strerror(-errno));
        return HARK_EINVAL;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "mail folder %s: not writable", dir);
        return HARK_EINVAL;
    }
    snprintf(t->host, sizeof t->host, "file");
    return 0;
}

/* Parses an smtp:// or smtps:// URL into t->url (the EHLO name, if any, as
 * its path, which is how curl takes it) and t->host. */
static int parse_url(mail_transport *t, const char *url, const char *helo, char *err, size_t errlen) {
    int rc = HARK_EINVAL;
    char *host = NULL, *path = NULL;
    size_t slen = strcspn(url, ":");
    if (!((slen == 4 && !strncasecmp(url, "smtp", 4)) || (slen == 5 && !strncasecmp(url, "smtps", 5)))) {
        snprintf(err, errlen, "mail URL: unknown scheme %.*s (smtp://, smtps:// or file:DIR)",
                 (int)(slen < 16 ? slen : 16), url);
        return HARK_EINVAL;
    }
    CURLU *u = curl_url();
    if (!u) return HARK_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(err, errlen, "mail URL: malformed (smtp://[user:password@]host[:port])");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") != 0) {
        snprintf(err, errlen, "mail URL: no path expected (the EHLO name is the helo option)");
        goto out;
    }
    if (helo) {
        char p[MAX_HELO + 2];
        snprintf(p, sizeof p, "/%s", helo);
        if (curl_url_set(u, CURLUPART_PATH, p, 0) != CURLUE_OK) {
            snprintf(err, errlen, "mail helo: not a host name");
            goto out;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &t->url, 0) != CURLUE_OK) {
        rc = HARK_ENOMEM;
        goto out;
    }
    snprintf(t->host, sizeof t->host, "%s", host);
    rc = 0;
out:
    curl_free(host);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

/* Sets the options that stay the same for every message of a slot. */
static int setup_easy(mail_transport *t, slot *s, const mail_transport_opts *o, long use_ssl) {
    CURL *e = s->easy;
    int c = CURLE_OK;
    long verify = o->verify ? 1L : 0L;
    c |= curl_easy_setopt(e, CURLOPT_URL, t->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    c |= curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl);
    if (o->ca_file) c |= curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    c |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
    c |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout_ms);
    c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    c |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    c |= curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    c |= curl_easy_setopt(e, CURLOPT_READDATA, s);
    c |= curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
    c |= curl_easy_setopt(e, CURLOPT_SEEKDATA, s);
    c |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    c |= curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    /* A refused recipient fails the whole message: no partial deliveries.
     * curl 8.2 fixed the option's spelling; 7.88 has only the old one. */
#if LIBCURL_VERSION_NUM >= 0x080200
    c |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT_ALLOWFAILS, 0L);
#else
    c |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 0L);
#endif
    return c == CURLE_OK ? 0 : HARK_EINVAL;
}

static int open_smtp(mail_transport *t, const char *url, const mail_transport_opts *o, char *err, size_t errlen) {
    long use_ssl;
    const char *tls = o->tls ? o->tls : "try";
    if (!strcmp(tls, "try")) {
        use_ssl = CURLUSESSL_TRY;
    } else if (!strcmp(tls, "require")) {
        use_ssl = CURLUSESSL_ALL;
    } else if (!strcmp(tls, "off")) {
        use_ssl = CURLUSESSL_NONE;
    } else {
        snprintf(err, errlen, "mail tls: %.16s is not try, require or off", tls);
        return HARK_EINVAL;
    }
    if (o->helo && !helo_ok(o->helo)) {
        snprintf(err, errlen, "mail helo: not a host name");
        return HARK_EINVAL;
    }
    if (o->ca_file && access(o->ca_file, R_OK) != 0) {
        snprintf(err, errlen, "mail ca_file %s: not readable", o->ca_file);
        return HARK_EINVAL;
    }
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init: %s", curl_easy_strerror(g_curl_init));
        return HARK_EIO;
    }
    int rc = parse_url(t, url, o->helo, err, errlen);
    if (rc) return rc;
    t->multi = curl_multi_init();
    if (!t->multi) return HARK_ENOMEM;
    /* One cached connection per slot: enough for every slot to find its
     * session again, few enough that the server's limit is respected. */
    curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)t->nslots);
    for (int i = 0; i < t->nslots; i++) {
        slot *s = &t->slots[i];
        s->easy = curl_easy_init();
        if (!s->easy) return HARK_ENOMEM;
        if (setup_easy(t, s, o, use_ssl)) {
            snprintf(err, errlen, "mail transport: this libcurl lacks SMTP or TLS support");
            return HARK_EINVAL;
        }
    }
    return 0;
}

int mail_transport_open(const char *url, const mail_transport_opts *opts, mail_transport **out, char *err,
                        size_t errlen) {
    mail_transport_opts d;
    char scratch[8];
    int rc = HARK_EINVAL;
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    *out = NULL;
    if (!opts) {
        mail_transport_opts_default(&d);
        opts = &d;
    }
    if (!url) {
        snprintf(err, errlen, "mail URL: missing");
        return HARK_EINVAL;
    }
    if (opts->conns < 1 || opts->conns > MAX_CONNS) {
        snprintf(err, errlen, "mail conns: %d is not within 1-%d", opts->conns, MAX_CONNS);
        return HARK_EINVAL;
    }
    if (opts->timeout_ms < 1 || opts->timeout_ms > MAX_TIMEOUT_MS) {
        snprintf(err, errlen, "mail timeout: %d ms is not within 1-%d", opts->timeout_ms, MAX_TIMEOUT_MS);
        return HARK_EINVAL;
    }
    mail_transport *t = calloc(1, sizeof *t);
    if (!t) return HARK_ENOMEM;
    t->dirfd = -1;
    t->nslots = opts->conns;
    t->slots = calloc((size_t)t->nslots, sizeof *t->slots);
    if (!t->slots) {
        rc = HARK_ENOMEM;
        goto fail;
    }
    if (!strncmp(url, "file:", 5)) {
        /* "file:DIR", or "file:///abs/dir" in URL form. */
        const char *dir = !strncmp(url, "file://", 7) ? url + 7 : url + 5;
        if (!dir[0]) {
            snprintf(err, errlen, "mail URL: file: needs a folder (file:DIR)");
            goto fail;
        }
        rc = open_file(t, dir, err, errlen);
    } else {
        rc = open_smtp(t, url, opts, err, errlen);
    }
    if (rc) goto fail;
    *out = t;
    return 0;
fail:
    if (rc == HARK_ENOMEM && !err[0]) snprintf(err, errlen, "out of memory");
    mail_transport_close(t);
    return rc;
}

static void slot_clear(slot *s) {
    free(s->data);
    s->data = NULL;
    s->len = s->off = 0;
    curl_slist_free_all(s->rcpt);
    s->rcpt = NULL;
    s->busy = 0;
}

void mail_transport_close(mail_transport *t) {
    if (!t) return;
    for (int i = 0; t->slots && i < t->nslots; i++) {
        slot *s = &t->slots[i];
        if (s->easy) {
            if (s->busy) curl_multi_remove_handle(t->multi, s->easy);
            curl_easy_cleanup(s->easy);
        }
        slot_clear(s);
    }
    /* Closes the cached connections (sending QUIT). */
    if (t->multi) curl_multi_cleanup(t->multi);
    if (t->dirfd >= 0) close(t->dirfd);
    curl_free(t->url);
    free(t->slots);
    free(t);
}

/* ---- submitting ---- */

int mail_transport_free(const mail_transport *t) {
    return t->nslots - t->inflight;
}

int mail_transport_inflight(const mail_transport *t) {
    return t->inflight;
}

static int job_ok(const mail_transport *t, const mail_job *j) {
    if (!j->rcpt || j->nrcpt < 1 || j->nrcpt > MAX_RCPT || !addr_ok(j->from, 1)) return 0;
    for (size_t i = 0; i < j->nrcpt; i++)
        if (!addr_ok(j->rcpt[i], 0)) return 0;
    if (t->dirfd >= 0 && !name_ok(j->name)) return 0;
    return j->data || j->len == 0;
}

static int submit_smtp(mail_transport *t, slot *s, const mail_job *j) {
    char a[MAX_ADDR + 3];
    for (size_t i = 0; i < j->nrcpt; i++) {
        snprintf(a, sizeof a, "<%s>", j->rcpt[i]);
        struct curl_slist *l = curl_slist_append(s->rcpt, a);
        if (!l) return HARK_ENOMEM;
        s->rcpt = l;
    }
    /* No MAIL_FROM gives the null reverse-path "<>". */
    if (j->from[0]) snprintf(a, sizeof a, "<%s>", j->from);
    int c = curl_easy_setopt(s->easy, CURLOPT_MAIL_FROM, j->from[0] ? a : NULL);
    c |= curl_easy_setopt(s->easy, CURLOPT_MAIL_RCPT, s->rcpt);
    c |= curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->len);
    c |= curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 0L);
    if (c != CURLE_OK) return HARK_ENOMEM;
    s->errbuf[0] = '\0';
    s->line[0] = '\0';
    CURLMcode m = curl_multi_add_handle(t->multi, s->easy);
    if (m == CURLM_OUT_OF_MEMORY) return HARK_ENOMEM;
    return m == CURLM_OK ? 0 : HARK_EIO;
}

int mail_transport_submit(mail_transport *t, const mail_job *j) {
    if (!job_ok(t, j)) return HARK_EINVAL;
    if (j->len > MAX_MESSAGE) return HARK_ETOOBIG;
    slot *s = NULL;
    for (int i = 0; i < t->nslots && !s; i++)
        if (!t->slots[i].busy) s = &t->slots[i];
    if (!s) return HARK_EBUSY;
    int rc = HARK_ENOMEM;
    s->data = malloc(j->len ? j->len : 1);
    if (!s->data) goto fail;
    if (j->len) memcpy(s->data, j->data, j->len);
    s->len = j->len;
    s->off = 0;
    s->cookie = j->cookie;
    if (t->dirfd >= 0) {
        snprintf(s->name, sizeof s->name, "%s", j->name);
    } else {
        rc = submit_smtp(t, s, j);
        if (rc) goto fail;
    }
    s->start_ns = uv_hrtime();
    s->busy = 1;
    t->inflight++;
    return 0;
fail:
    slot_clear(s);
    return rc;
}

/* ---- results ---- */

static const char *outcome_name(enum mail_outcome o) {
    return o == MAIL_SENT ? "sent" : o == MAIL_TRANSIENT ? "transient" : "permanent";
}

/* A 5xx reply is permanent for the message, except the ones that refuse the
 * session itself (authentication or TLS required, bad credentials): those
 * are configuration problems, and the message may go once they are fixed. */
static enum mail_outcome classify(CURLcode rc, long code) {
    if (rc == CURLE_OK) return MAIL_SENT;
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED) return MAIL_TRANSIENT;
    if (code == 530 || code == 534 || code == 535 || code == 538) return MAIL_TRANSIENT;
    return code >= 500 && code <= 599 ? MAIL_PERMANENT : MAIL_TRANSIENT;
}

static void finish(mail_transport *t, slot *s, mail_result *r, enum mail_outcome outcome, int code, const char *reply) {
    r->cookie = s->cookie;
    r->outcome = outcome;
    r->code = code;
    one_line(r->reply, sizeof r->reply, reply, strlen(reply));
    r->ms = (double)(uv_hrtime() - s->start_ns) / 1e6;
    log_debug("mail transport %s: message %llu %s, %d (%.1f ms)", t->host, (unsigned long long)r->cookie,
              outcome_name(outcome), code, r->ms);
    slot_clear(s);
    t->inflight--;
}

static int line_has_code(const char *line, long code) {
    if (code < 100 || code > 599) return 0;
    return line[0] == (char)('0' + code / 100) && line[1] == (char)('0' + code / 10 % 10) &&
           line[2] == (char)('0' + code % 10);
}

static void finish_smtp(mail_transport *t, slot *s, CURLcode rc, mail_result *r) {
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(t->multi, s->easy);
    /* A failure after a positive reply (TLS after "220 ready", a timeout
     * after "354") is not the server's doing: curl's text tells it. */
    if (rc != CURLE_OK && code < 400) code = 0;
    /* The kept line explains the result only when it carries the final code. */
    const char *reply = s->line;
    if (!line_has_code(s->line, code)) reply = rc == CURLE_OK ? "" : s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    finish(t, s, r, classify(rc, code), (int)code, reply);
}

static int collect_smtp(mail_transport *t, mail_result *out, size_t max, size_t *n) {
    while (*n < max) {
        int left;
        CURLMsg *m = curl_multi_info_read(t->multi, &left);
        if (!m) break;
        if (m->msg != CURLMSG_DONE) continue;
        slot *s = NULL;
        for (int i = 0; i < t->nslots && !s; i++)
            if (t->slots[i].easy == m->easy_handle) s = &t->slots[i];
        if (!s) return HARK_EIO;
        /* M belongs to curl and dies with remove_handle: read it first. */
        finish_smtp(t, s, m->data.result, &out[(*n)++]);
    }
    return 0;
}

static int poll_smtp(mail_transport *t, int timeout_ms, mail_result *out, size_t max, size_t *n) {
    uint64_t deadline = uv_hrtime() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    CURLMcode mc;
    for (;;) {
        int running = 0;
        mc = curl_multi_perform(t->multi, &running);
        if (mc != CURLM_OK) goto fail;
        if (collect_smtp(t, out, max, n)) {
            log_error("mail transport %s: curl finished a transfer that is not ours", t->host);
            return HARK_EIO;
        }
        uint64_t now = uv_hrtime();
        if (*n > 0 || t->inflight == 0 || now >= deadline) return 0;
        int wait_ms = (int)((deadline - now + 999999) / 1000000);
        mc = curl_multi_poll(t->multi, NULL, 0, wait_ms, NULL);
        if (mc != CURLM_OK) goto fail;
    }
fail:
    log_error("mail transport %s: %s", t->host, curl_multi_strerror(mc));
    return HARK_EIO;
}

/* Writes S's message as NAME.eml in the folder: temporary file, fsync,
 * rename over any older NAME.eml. 0, or -errno with *WHAT naming the step. */
static int write_eml(int dirfd, const slot *s, const char **what) {
    char tmp[MAX_NAME + 32], fin[MAX_NAME + 8];
    snprintf(tmp, sizeof tmp, ".%s.%ld.tmp", s->name, (long)getpid());
    snprintf(fin, sizeof fin, "%s.eml", s->name);
    *what = "create";
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    int rc = 0;
    *what = "write";
    for (size_t off = 0; off < s->len;) {
        ssize_t w = write(fd, s->data + off, s->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            rc = -errno;
            break;
        }
        off += (size_t)w;
    }
    if (!rc) {
        *what = "fsync";
        if (fsync(fd) != 0) rc = -errno;
    }
    if (close(fd) != 0 && !rc) {
        *what = "close";
        rc = -errno;
    }
    if (!rc) {
        *what = "rename";
        if (renameat(dirfd, tmp, dirfd, fin) != 0) rc = -errno;
    }
    if (rc) unlinkat(dirfd, tmp, 0);
    return rc;
}

/* Writes up to MAX waiting messages, then makes their names durable with one
 * fsync of the folder before reporting them sent. A failure to write is
 * transient (a full disk frees up; the same NAME is simply written again). */
static int poll_file(mail_transport *t, mail_result *out, size_t max, size_t *n) {
    int err[MAX_CONNS];
    const char *what[MAX_CONNS];
    slot *done[MAX_CONNS];
    size_t k = 0;
    for (int i = 0; i < t->nslots && k < max; i++) {
        slot *s = &t->slots[i];
        if (!s->busy) continue;
        err[k] = write_eml(t->dirfd, s, &what[k]);
        done[k++] = s;
    }
    if (k == 0) return 0;
    int dir_err = fsync(t->dirfd) != 0 ? -errno : 0;
    for (size_t i = 0; i < k; i++) {
        char reply[128];
        int e = err[i] ? err[i] : dir_err;
        if (e) {
            snprintf(reply, sizeof reply, "%s: %s", err[i] ? what[i] : "fsync of the folder", uv_strerror(e));
            log_warn("mail transport file: %s", reply);
        } else {
            snprintf(reply, sizeof reply, "written");
        }
        finish(t, done[i], &out[(*n)++], e ? MAIL_TRANSIENT : MAIL_SENT, 0, reply);
    }
    return 0;
}

int mail_transport_poll(mail_transport *t, int timeout_ms, mail_result *out, size_t max, size_t *n) {
    *n = 0;
    if (t->dirfd >= 0) return poll_file(t, out, max, n);
    return poll_smtp(t, timeout_ms, out, max, n);
}
