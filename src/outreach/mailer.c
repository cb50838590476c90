/* Delivery: claims due outbox rows in batches (a lease makes them ours; a
 * sender that dies lets its lease run out and another claims them), writes
 * each email just before it leaves (compose.c), hands it to the transport
 * under a global and a per-tenant token bucket, and records every outcome:
 * sent only once the server accepted it; transient failures retried with
 * exponential backoff and jitter; permanent failures kept with the server's
 * reply. When the mail server cannot be reached at all, the whole mailer
 * pauses (growing, jittered) instead of trying every row in turn: no tight
 * retry loop. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "outreach/outreach_int.h"

#define MAX_SLOTS 64

/* A connection slot: the row and the email it carries. */
typedef struct slot {
    int busy;
    store_outbox row;
    outreach_mail mail;
} slot;

/* One batch being delivered. */
typedef struct batch {
    store_outbox *rows;
    size_t n, next;          /* rows claimed; the next one to send */
    store_outbox_done *done; /* outcomes not yet recorded */
    size_t ndone;
    slot *slots;
    int nslots;
    int64_t lease_checked;
} batch;

void outreach__bucket_init(outreach_bucket *b, double rate, int64_t now) {
    b->rate = rate > 0 ? rate : 0;
    b->burst = rate < 1 ? 1 : rate;
    b->tokens = b->burst;
    b->last_ms = now;
    b->next_ms = 0;
}

/* Milliseconds until B holds a token (0: take one now, done). */
static int64_t bucket_wait(outreach_bucket *b, int64_t now, int take) {
    if (b->rate <= 0) return 0;
    b->tokens += (double)(now - b->last_ms) * b->rate / 1000.0;
    if (b->tokens > b->burst) b->tokens = b->burst;
    b->last_ms = now;
    if (b->tokens >= 1) {
        if (take) b->tokens -= 1;
        return 0;
    }
    return (int64_t)((1 - b->tokens) * 1000.0 / b->rate) + 1;
}

static outreach_bucket *tenant_bucket(outreach *o, int64_t tenant_id, int rate, int64_t now) {
    size_t oldest = 0;
    for (size_t i = 0; i < OUTREACH_TENANT_BUCKETS; i++) {
        if (o->tenants[i].tenant_id == tenant_id) {
            o->tenants[i].used_ms = now;
            if (o->tenants[i].b.rate != rate) outreach__bucket_init(&o->tenants[i].b, rate, now);
            return &o->tenants[i].b;
        }
        if (o->tenants[i].used_ms < o->tenants[oldest].used_ms) oldest = i;
    }
    o->tenants[oldest].tenant_id = tenant_id;
    o->tenants[oldest].used_ms = now;
    outreach__bucket_init(&o->tenants[oldest].b, rate, now);
    return &o->tenants[oldest].b;
}

/* A delay for retry number ATTEMPT (1...): base * 2^(attempt-1), at most
 * MAX, then "equal jitter": between half and all of it, so retries of many
 * rows spread out instead of arriving together. */
static int64_t backoff(int64_t base, int64_t max, int attempt) {
    int64_t d = base;
    for (int i = 1; i < attempt && d < max; i++) d *= 2;
    if (d > max) d = max;
    if (d < 2) return d;
    return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 > 0x7fffffff ? 0x7fffffff : d / 2));
}

/* Copies SRC into DST[CAP], cut at the bound (replies are one ASCII line). */
static void copy_cut(char *dst, size_t cap, const char *src) {
    size_t l = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", l);
    dst[l] = '\0';
}

static void add_done(batch *b, const store_outbox *row, int result, int64_t at, int code, const char *error) {
    store_outbox_done *d = &b->done[b->ndone++];
    memset(d, 0, sizeof *d);
    d->id = row->id;
    d->tenant_id = row->tenant_id;
    d->result = result;
    d->at = at;
    d->code = code;
    copy_cut(d->error, sizeof d->error, error);
}

/* Records the outcomes gathered so far, in one transaction. */
static int flush_done(outreach *o, batch *b, outreach_send_stats *st) {
    int rc;
    if (!b->ndone) return HARK_OK;
    if ((rc = store_begin(o->c))) return rc;
    for (size_t i = 0; i < b->ndone && rc == HARK_OK; i++) rc = store_outbox_finish(o->c, &b->done[i]);
    if (rc) {
        store_rollback(o->c);
        log_error("outreach: recording %zu outcomes failed: %s", b->ndone, hark_strerror(rc));
        return rc;
    }
    if ((rc = store_commit(o->c))) return rc;
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < b->ndone; i++) {
        switch (b->done[i].result) {
        case STORE_OUTBOX_SENT: o->stats.sent++, st->sent++; break;
        case STORE_OUTBOX_RETRY: o->stats.retried++, st->retried++; break;
        case STORE_OUTBOX_FAILED: o->stats.failed++, st->failed++; break;
        case STORE_OUTBOX_DEFER: o->stats.deferred++, st->deferred++; break;
        default: o->stats.cancelled++, st->cancelled++; break;
        }
    }
    pthread_mutex_unlock(&o->mu);
    b->ndone = 0;
    return HARK_OK;
}

/* The mail server could not be reached, or refuses us (login, TLS): no new
 * message before a pause that
 * grows with each failure in a row (1 s ... 60 s, or the retry base when it
 * is shorter, jittered). */
static void pause_sending(outreach *o, int64_t now, const char *reply) {
    int64_t base = o->o.retry_base_ms < 1000 ? o->o.retry_base_ms : 1000;
    o->pause_step++;
    int64_t d = backoff(base, 60000, o->pause_step);
    if (now + d > o->pause_until_ms) o->pause_until_ms = now + d;
    log_warn("outreach: mail server unreachable or refusing us (%s): pausing %" PRId64 " ms (failure %d in a row)",
             reply, d, o->pause_step);
}

/* Turns a transport result into an outcome. */
static void on_result(outreach *o, batch *b, const mail_result *r, int64_t now) {
    slot *s = &b->slots[r->cookie];
    const store_outbox *row = &s->row;
    char msg[sizeof r->reply];
    s->busy = 0;
    copy_cut(msg, sizeof msg, r->reply);
    if (r->outcome == MAIL_SENT) {
        o->pause_step = 0;
        add_done(b, row, STORE_OUTBOX_SENT, now, r->code, NULL);
        return;
    }
    /* A server's reply may name the recipient: it is kept with the row (for
     * HR and `hark outreach status`) and logged only at debug level. */
    if (r->outcome == MAIL_PERMANENT) {
        log_warn("outreach: %s %" PRId64 " refused for good (reply %d)", row->kind, row->id, r->code);
        log_debug("outreach: %s %" PRId64 " reply: %s", row->kind, row->id, msg);
        add_done(b, row, STORE_OUTBOX_FAILED, now, r->code, msg);
        return;
    }
    /* Whole-server trouble (no connection, TLS, timeout: code 0; refused
     * login or required TLS: 530, 534, 535, 538) pauses every message, not
     * just this one: trying each row in turn would hammer the server. */
    if (r->code == 0 || r->code == 530 || r->code == 534 || r->code == 535 || r->code == 538)
        pause_sending(o, now, msg);
    if (row->attempts >= o->o.max_attempts) {
        char gave[sizeof r->reply + 40];
        snprintf(gave, sizeof gave, "gave up after %d attempts: %s", row->attempts, msg);
        log_warn("outreach: %s %" PRId64 ": gave up after %d attempts (reply %d)", row->kind, row->id, row->attempts,
                 r->code);
        add_done(b, row, STORE_OUTBOX_FAILED, now, r->code, gave);
        return;
    }
    int64_t d = backoff(o->o.retry_base_ms, o->o.retry_max_ms, row->attempts);
    log_info("outreach: %s %" PRId64 " attempt %d failed (reply %d): retry in %" PRId64 " ms", row->kind, row->id,
             row->attempts, r->code, d);
    log_debug("outreach: %s %" PRId64 " reply: %s", row->kind, row->id, msg);
    int64_t at = now + d;
    if (at < o->pause_until_ms) at = o->pause_until_ms;
    add_done(b, row, STORE_OUTBOX_RETRY, at, r->code, msg);
}

static int poll_transport(outreach *o, batch *b, int timeout_ms) {
    mail_result res[MAX_SLOTS];
    size_t n = 0;
    int rc = mail_transport_poll(o->tr, timeout_ms, res, MAX_SLOTS, &n);
    int64_t now = hark_now_ms();
    for (size_t i = 0; i < n; i++) on_result(o, b, &res[i], now);
    return rc;
}

static slot *free_slot(batch *b) {
    for (int i = 0; i < b->nslots; i++)
        if (!b->slots[i].busy) return &b->slots[i];
    return NULL;
}

/* Tries to send row B->next: 1 when it was handled (sent off, or decided),
 * 0 when it must wait (rate limit or pause; *WAIT_MS says how long), or a
 * negative Hark code. */
static int send_next(outreach *o, batch *b, int64_t *wait_ms) {
    store_outbox *row = &b->rows[b->next];
    store_mail_ctx ctx;
    char why[300];
    int64_t now = hark_now_ms();
    slot *s = free_slot(b);
    if (!s || mail_transport_free(o->tr) <= 0) {
        *wait_ms = 50;
        return 0;
    }
    if (now < o->pause_until_ms) {
        /* Paused: hand the row back, due when the pause ends. */
        add_done(b, row, STORE_OUTBOX_DEFER, o->pause_until_ms, 0, "mail server unreachable or refusing us: waiting");
        b->next++;
        return 1;
    }
    int rc = store_mail_context(o->c, row, &ctx);
    if (rc == HARK_ENOTFOUND) {
        add_done(b, row, STORE_OUTBOX_CANCELLED, now, 0, "its invite, employee or escalation is gone");
        b->next++;
        return 1;
    }
    if (rc) return rc;
    if (strcmp(row->kind, "alert")) {
        const char *obsolete = outreach__obsolete(row, &ctx, now);
        if (obsolete) {
            add_done(b, row, STORE_OUTBOX_CANCELLED, now, 0, obsolete);
            b->next++;
            return 1;
        }
        /* Invites and reminders leave in the employee's working hours only
         * (alerts to HR do not wait). */
        outreach_schedule sc;
        outreach_schedule_of(&ctx.tenant.sched, &sc);
        int64_t allowed = rules_next_allowed(&sc, outreach__employee_tz(&ctx), now);
        if (allowed > now + 60000) {
            add_done(b, row, STORE_OUTBOX_DEFER, allowed, 0, "outside the employee's working hours");
            b->next++;
            return 1;
        }
    }
    int64_t w = bucket_wait(&o->global, now, 0);
    outreach_bucket *tb = tenant_bucket(o, row->tenant_id, ctx.tenant.sched.mail_rate, now);
    int64_t wt = bucket_wait(tb, now, 0);
    if (wt) {
        /* This tenant is over its own rate: its row steps aside (not an
         * attempt), due when its turn comes, so it never holds up other
         * tenants' mail behind it in the batch. */
        tb->next_ms = (tb->next_ms > now ? tb->next_ms : now + wt) + (int64_t)(1000.0 / tb->rate);
        add_done(b, row, STORE_OUTBOX_DEFER, tb->next_ms, 0, "over the tenant's mail rate");
        b->next++;
        return 1;
    }
    if (w) {
        *wait_ms = w;
        return 0;
    }
    why[0] = '\0';
    rc = outreach__compose(o, row, &ctx, &s->mail, why, sizeof why);
    if (rc == STORE_OUTBOX_CANCELLED || rc == STORE_OUTBOX_FAILED) {
        if (rc == STORE_OUTBOX_FAILED) log_warn("outreach: %s %" PRId64 " cannot be sent: %s", row->kind, row->id, why);
        add_done(b, row, rc, now, 0, why);
        b->next++;
        return 1;
    }
    if (rc) return rc;
    const char *rcpt[OUTREACH_MAX_RCPT];
    for (size_t i = 0; i < s->mail.nrcpt; i++) rcpt[i] = s->mail.rcpt[i];
    mail_job job = {(uint64_t)(s - b->slots), o->from_addr,     rcpt,        s->mail.nrcpt,
                    s->mail.data.data,        s->mail.data.len, s->mail.name};
    rc = mail_transport_submit(o->tr, &job);
    if (rc == HARK_EBUSY) {
        *wait_ms = 50;
        return 0;
    }
    if (rc) {
        add_done(b, row, STORE_OUTBOX_FAILED, now, 0, "the transport refused the message");
        b->next++;
        return 1;
    }
    bucket_wait(&o->global, now, 1);
    bucket_wait(tb, now, 1);
    s->busy = 1;
    s->row = *row;
    b->next++;
    return 1;
}

/* Keeps the lease of the rows not yet finished while a batch runs long. */
static void renew_leases(outreach *o, batch *b) {
    int64_t now = hark_now_ms();
    if (now - b->lease_checked < o->o.lease_ms / 3) return;
    b->lease_checked = now;
    int64_t *ids = malloc((b->n - b->next + (size_t)b->nslots + 1) * sizeof *ids);
    size_t k = 0;
    if (!ids) return;
    for (size_t i = b->next; i < b->n; i++) ids[k++] = b->rows[i].id;
    for (int i = 0; i < b->nslots; i++)
        if (b->slots[i].busy) ids[k++] = b->slots[i].row.id;
    if (store_outbox_renew(o->c, ids, k, now + o->o.lease_ms))
        log_warn("outreach: could not renew the lease of %zu rows", k);
    free(ids);
}

/* Claims and delivers one batch; *CLAIMED receives its size. */
static int deliver_batch(outreach *o, batch *b, outreach_send_stats *st, size_t *claimed) {
    int64_t now = hark_now_ms();
    int rc;
    *claimed = 0;
    if (now < o->pause_until_ms) return HARK_OK;
    b->n = b->next = b->ndone = 0;
    if ((rc = store_outbox_claim(o->c, now, o->o.lease_ms, b->rows, (size_t)o->o.batch, &b->n))) return rc;
    *claimed = b->n;
    pthread_mutex_lock(&o->mu);
    o->stats.claimed += (int64_t)b->n;
    pthread_mutex_unlock(&o->mu);
    st->claimed += (int64_t)b->n;
    b->lease_checked = now;
    while (b->next < b->n || mail_transport_inflight(o->tr) > 0) {
        int64_t wait = 0;
        while (b->next < b->n && !outreach__stopping(o)) {
            rc = send_next(o, b, &wait);
            if (rc < 0) goto out;
            if (rc == 0) break;
        }
        if (outreach__stopping(o) && b->next < b->n) {
            /* Stopping: the rows not sent yet are due again at once. */
            for (; b->next < b->n; b->next++) add_done(b, &b->rows[b->next], STORE_OUTBOX_DEFER, now, 0, "stopped");
        }
        int timeout = mail_transport_inflight(o->tr) > 0 ? (int)(wait > 0 && wait < 100 ? wait : 100)
                                                         : (int)(wait > 0 && wait < 1000 ? wait : 1);
        if ((rc = poll_transport(o, b, timeout))) goto out;
        if ((rc = flush_done(o, b, st))) goto out;
        renew_leases(o, b);
    }
    rc = HARK_OK;
out:
    if (flush_done(o, b, st) && rc == HARK_OK) rc = HARK_EIO;
    return rc;
}

int outreach__deliver(outreach *o, outreach_send_stats *st) {
    batch b;
    int rc = HARK_ENOMEM;
    size_t claimed = 0;
    int64_t next_note = hark_now_ms() + 2000;
    memset(&b, 0, sizeof b);
    b.nslots = o->o.mail.conns > 0 && o->o.mail.conns <= MAX_SLOTS ? o->o.mail.conns : 4;
    b.rows = calloc((size_t)o->o.batch, sizeof *b.rows);
    b.done = calloc((size_t)o->o.batch, sizeof *b.done);
    b.slots = calloc((size_t)b.nslots, sizeof *b.slots);
    if (!b.rows || !b.done || !b.slots) goto out;
    for (int i = 0; i < b.nslots; i++) buf_init(&b.slots[i].mail.data, 1024 * 1024);
    do {
        if ((rc = deliver_batch(o, &b, st, &claimed))) break;
        if (o->o.progress && claimed && hark_now_ms() >= next_note) {
            fprintf(stderr,
                    "outreach: %" PRId64 " sent, %" PRId64 " to retry, %" PRId64 " failed, %" PRId64 " cancelled\n",
                    st->sent, st->retried, st->failed, st->cancelled);
            next_note = hark_now_ms() + 2000;
        }
    } while (claimed > 0 && !outreach__stopping(o));
out:
    if (b.slots)
        for (int i = 0; i < b.nslots; i++) buf_free(&b.slots[i].mail.data);
    free(b.rows);
    free(b.done);
    free(b.slots);
    return rc;
}
