/* The outreach module's life cycle (outreach.h): options, the transport, and
 * the service thread that plans every plan_interval_ms and delivers whatever
 * is due, sleeping poll_ms when there is nothing to send. The work itself is
 * in planner.c, compose.c and mailer.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "outreach/outreach_int.h"

void outreach_opts_default(outreach_opts *o) {
    memset(o, 0, sizeof *o);
    mail_transport_opts_default(&o->mail);
    o->mail_from = "Hark <hark@localhost>";
    o->public_url = "http://127.0.0.1:8080";
    o->rate = 50;
    o->lease_ms = 60000;
    o->retry_base_ms = 30000;
    o->retry_max_ms = 3600000;
    o->max_attempts = 10;
    o->plan_interval_ms = 60000;
    o->poll_ms = 1000;
    o->batch = 200;
    o->page = 200; /* employees a write transaction: the chat's writer waits at most one page */
}

/* Splits "Name <addr>" or "addr" into O's from_name and from_addr. */
static int parse_from(outreach *o, const char *from, char *err, size_t errlen) {
    const char *lt = strchr(from, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        size_t nl = (size_t)(lt - from);
        while (nl > 0 && from[nl - 1] == ' ') nl--;
        if (!gt || gt[1] || nl >= sizeof o->from_name || (size_t)(gt - lt - 1) >= sizeof o->from_addr) goto bad;
        memcpy(o->from_name, from, nl);
        o->from_name[nl] = '\0';
        memcpy(o->from_addr, lt + 1, (size_t)(gt - lt - 1));
        o->from_addr[gt - lt - 1] = '\0';
    } else {
        if (strlen(from) >= sizeof o->from_addr) goto bad;
        snprintf(o->from_addr, sizeof o->from_addr, "%s", from);
    }
    /* The sender may be a local address ("hark@localhost"): only its form is checked. */
    const char *at = strchr(o->from_addr, '@');
    if (!at || at == o->from_addr || !at[1] || strchr(at + 1, '@') || strpbrk(o->from_addr, " \t\r\n<>\"()")) goto bad;
    return HARK_OK;
bad:
    snprintf(err, errlen, "mail_from: '%s' is not an address (\"Name <addr@example.com>\" or \"addr@example.com\")",
             from);
    return HARK_EINVAL;
}

outreach *outreach_new(store *st, const outreach_opts *opts, char *err, size_t errlen) {
    outreach *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->st = st;
    o->c = store_main_conn(st);
    o->o = *opts;
    if (o->o.batch <= 0) o->o.batch = 200;
    if (o->o.lease_ms <= 0) o->o.lease_ms = 60000;
    if (o->o.max_attempts <= 0) o->o.max_attempts = 1;
    snprintf(o->mail_url, sizeof o->mail_url, "%s", opts->mail_url ? opts->mail_url : "");
    snprintf(o->public_url, sizeof o->public_url, "%s", opts->public_url ? opts->public_url : "");
    size_t pl = strlen(o->public_url);
    while (pl > 0 && o->public_url[pl - 1] == '/') o->public_url[--pl] = '\0';
    o->o.mail_url = o->mail_url;
    o->o.public_url = o->public_url;
    o->o.mail_from = NULL;
    if (parse_from(o, opts->mail_from ? opts->mail_from : "", err, errlen)) goto fail;
    snprintf(o->domain, sizeof o->domain, "%s", strchr(o->from_addr, '@') + 1);
    if (mail_transport_open(o->mail_url, &o->o.mail, &o->tr, err, errlen)) goto fail;
    outreach__bucket_init(&o->global, opts->rate, hark_now_ms());
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    return o;
fail:
    free(o);
    return NULL;
}

void outreach_free(outreach *o) {
    if (!o) return;
    if (o->started) outreach_stop(o);
    mail_transport_close(o->tr);
    outreach__templates_clear(o);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
}

int outreach_plan(outreach *o, outreach_plan_stats *stats) {
    outreach_plan_stats dummy;
    return outreach__plan(o, stats ? stats : &dummy);
}

int outreach_deliver(outreach *o, outreach_send_stats *stats) {
    outreach_send_stats dummy;
    memset(&dummy, 0, sizeof dummy);
    int rc = outreach__deliver(o, stats ? stats : &dummy);
    /* And the webhook deliveries due now (`hark outreach --once`). */
    return rc ? rc : outreach__webhooks(o);
}

int outreach__stopping(outreach *o) {
    pthread_mutex_lock(&o->mu);
    int s = o->stop;
    pthread_mutex_unlock(&o->mu);
    return s;
}

/* Sleeps up to MS, or until outreach_stop. */
static void nap(outreach *o, int64_t ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&o->mu);
    while (!o->stop && pthread_cond_timedwait(&o->cv, &o->mu, &ts) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&o->mu);
}

static void *service(void *arg) {
    outreach *o = arg;
    int64_t next_plan = 0;
    while (!outreach__stopping(o)) {
        int64_t now = hark_now_ms();
        if (now >= next_plan) {
            outreach_plan_stats ps;
            if (outreach__plan(o, &ps) == HARK_OK && (ps.planned || ps.expired))
                log_info("outreach: planned %lld invites, expired %lld", (long long)ps.planned, (long long)ps.expired);
            next_plan = hark_now_ms() + o->o.plan_interval_ms;
        }
        outreach_send_stats ss;
        memset(&ss, 0, sizeof ss);
        if (outreach__deliver(o, &ss)) nap(o, o->o.poll_ms); /* database trouble: do not spin */
        if (outreach__webhooks(o)) nap(o, o->o.poll_ms);
        if (ss.claimed)
            log_info("outreach: sent %lld, to retry %lld, failed %lld, cancelled %lld", (long long)ss.sent,
                     (long long)ss.retried, (long long)ss.failed, (long long)ss.cancelled);
        int64_t wait = o->o.poll_ms;
        if (o->pause_until_ms > hark_now_ms() && o->pause_until_ms - hark_now_ms() < wait)
            wait = o->pause_until_ms - hark_now_ms();
        nap(o, wait > 0 ? wait : 1);
    }
    return NULL;
}

int outreach_start(outreach *o) {
    if (o->started) return HARK_EINVAL;
    if (pthread_create(&o->thread, NULL, service, o)) return HARK_ENOMEM;
    o->started = 1;
    return HARK_OK;
}

void outreach_stop(outreach *o) {
    if (!o->started) return;
    pthread_mutex_lock(&o->mu);
    o->stop = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
    o->started = 0;
}

void outreach_get_stats(outreach *o, outreach_send_stats *out) {
    pthread_mutex_lock(&o->mu);
    *out = o->stats;
    pthread_mutex_unlock(&o->mu);
}
