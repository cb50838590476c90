/* Outreach: plans who is due (touchpoint rules, time zones, quiet hours,
 * frequency cap), turns due occurrences into invites exactly once, delivers
 * them and their reminders and red-flag alerts through a mail transport at a
 * bounded rate, and keeps every step in the database (the outbox) so a crash
 * loses nothing. It runs on its own thread with its own database connection,
 * inside `hark serve` or as `hark outreach`, and never touches the chat's
 * event loop.
 *
 * Guarantees (docs/outreach.md): one invite per (employee, touchpoint,
 * occurrence), by a unique key; an outbox row is marked sent only after the
 * mail server accepted it, so after a crash it is sent again: at least once,
 * with the same Message-ID, and twice only when the crash fell between the
 * server's acceptance and the mark. */
#ifndef HARK_OUTREACH_H
#define HARK_OUTREACH_H

#include <stddef.h>
#include <stdint.h>

#include "outreach/transport.h"
#include "rules/rules.h"
#include "store/store.h"

typedef struct outreach outreach;

typedef struct outreach_opts {
    const char *mail_url;     /* smtp://, smtps:// or file:DIR */
    mail_transport_opts mail; /* connections, timeouts, TLS */
    const char *mail_from;    /* "Name <addr>" or "addr" */
    const char *public_url;   /* base of the links in emails, no trailing '/' */
    unsigned char key[32];    /* the instance key that signs invite tokens */
    int rate;                 /* messages per second over all tenants; 0 = no limit */
    int64_t lease_ms;         /* how long a claimed row is ours (renewed while sending) */
    int64_t retry_base_ms;    /* first retry delay after a transient failure; doubles, with jitter */
    int64_t retry_max_ms;     /* longest retry delay */
    int max_attempts;         /* then the row fails for good */
    int64_t plan_interval_ms; /* between planning passes (service mode) */
    int64_t poll_ms;          /* how often an idle mailer looks for due rows */
    int batch;                /* rows claimed at once */
    int page;                 /* employees planned per transaction */
    int progress;             /* 1: progress lines on stderr during long runs */
} outreach_opts;

void outreach_opts_default(outreach_opts *o);

/* Counts of one planning pass. */
typedef struct outreach_plan_stats {
    int64_t tenants, employees, planned, existing, capped, skipped, expired;
} outreach_plan_stats;

/* Counts of delivery. */
typedef struct outreach_send_stats {
    int64_t sent, retried, failed, cancelled, deferred, claimed;
} outreach_send_stats;

/* Creates the module on store ST, which it uses synchronously from one
 * thread at a time (store_main_conn: the caller must not start ST's
 * threads). Opens the transport. NULL with ERR set on a bad option. */
outreach *outreach_new(store *st, const outreach_opts *o, char *err, size_t errlen);
void outreach_free(outreach *o);

/* One planning pass over every tenant at the clock's now: expires what is
 * past its expiry and plans every due occurrence. 0 or a Hark code. */
int outreach_plan(outreach *o, outreach_plan_stats *stats);

/* Sends every outbox row due now, until none is left that is due (rows
 * retried later are left for later), then the webhook deliveries due now.
 * 0 or a Hark code. */
int outreach_deliver(outreach *o, outreach_send_stats *stats);

/* Service mode: starts the thread that plans every plan_interval_ms and
 * delivers continuously; outreach_stop asks it to finish the messages in
 * flight and joins it. */
int outreach_start(outreach *o);
void outreach_stop(outreach *o);

/* The rules' view (rules.h) of a tenant's stored schedule. */
void outreach_schedule_of(const store_schedule *in, outreach_schedule *out);

/* Rows claimed and not finished (for status and metrics), thread-safe. */
void outreach_get_stats(outreach *o, outreach_send_stats *out);

#endif
