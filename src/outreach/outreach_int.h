/* Private to src/outreach: the module's state shared by outreach.c (options,
 * thread), planner.c (who is due), compose.c (writing one email) and
 * mailer.c (delivery: claims, rate limits, retries). */
#ifndef HARK_OUTREACH_INT_H
#define HARK_OUTREACH_INT_H

#include <pthread.h>

#include "core/buf.h"
#include "outreach/outreach.h"
#include "rules/rules.h"

/* A token bucket: RATE tokens a second, at most BURST saved up. NEXT_MS:
 * for a tenant's bucket, the turn given to the last row that had to step
 * aside (mailer.c). */
typedef struct outreach_bucket {
    double tokens, rate, burst;
    int64_t last_ms, next_ms;
} outreach_bucket;

/* A full bucket of RATE tokens a second (0: no limit). */
void outreach__bucket_init(outreach_bucket *b, double rate, int64_t now);

/* Per-tenant buckets, a small open table keyed by tenant id (bounded: when
 * full, the oldest-used slot is reused, which only forgets saved tokens). */
#define OUTREACH_TENANT_BUCKETS 256
#define OUTREACH_TEMPLATE_CACHE 64

struct outreach {
    store *st;
    store_conn *c; /* used by one thread at a time */
    outreach_opts o;
    char mail_url[1024];
    char from_name[128], from_addr[256];
    char public_url[512];
    char domain[256]; /* right of '@' in Message-IDs */
    mail_transport *tr;

    outreach_bucket global;
    struct {
        int64_t tenant_id, used_ms;
        outreach_bucket b;
    } tenants[OUTREACH_TENANT_BUCKETS];

    /* Tenants' own templates, cached briefly (compose.c). */
    struct outreach_template {
        int64_t tenant_id, fetched_ms; /* fetched_ms 0: empty slot */
        char name[96];
        char *body; /* owned; NULL when the tenant has no such template */
    } templates[OUTREACH_TEMPLATE_CACHE];

    int64_t pause_until_ms; /* the mail server is unreachable: no new messages before this */
    int pause_step;         /* consecutive connection failures */

    pthread_t thread;
    pthread_mutex_t mu; /* guards stop, stats */
    pthread_cond_t cv;
    int started, stop;
    outreach_send_stats stats;
};

/* ---- compose.c ---- */

/* One email, ready for the transport. */
#define OUTREACH_MAX_RCPT 100

typedef struct outreach_mail {
    char rcpt[OUTREACH_MAX_RCPT][256]; /* envelope recipients */
    size_t nrcpt;
    char name[96]; /* the Message-ID's local part; the file name of file: transports */
    buf data;      /* the whole message */
} outreach_mail;

/* Whether an invite or reminder row still wants sending at NOW: NULL if so,
 * else why not (the conversation started, the invite expired or was never
 * delivered, the person is inactive or left). */
const char *outreach__obsolete(const store_outbox *row, const store_mail_ctx *ctx, int64_t now);
/* Writes the email for outbox ROW (context CTX) into M. 0; or
 * STORE_OUTBOX_FAILED (positive) with the reason in WHY when it cannot be
 * sent (no valid address, a broken template). Call outreach__obsolete
 * first. */
int outreach__compose(outreach *o, const store_outbox *row, const store_mail_ctx *ctx, outreach_mail *m, char *why,
                      size_t whylen);
/* Frees the template cache (outreach_free). */
void outreach__templates_clear(outreach *o);
/* Checks the templates a touchpoint of KIND needs for TENANT (its own, else
 * the built-in ones): 0, or HARK_EINVAL with ERR naming the template, line
 * and problem. */
int outreach__check_templates(outreach *o, int64_t tenant_id, const char *kind, char *err, size_t errlen);
/* The zone to write to an employee in: theirs, else the tenant's, else UTC. */
const hark_tz *outreach__employee_tz(const store_mail_ctx *ctx);

/* ---- planner.c ---- */
/* One planning pass over every tenant (outreach_plan). */
int outreach__plan(outreach *o, outreach_plan_stats *st);

/* ---- mailer.c ---- */
/* Claims and sends batch after batch until none is due or the module is
 * stopping (outreach_deliver, and each turn of the service thread). */
int outreach__deliver(outreach *o, outreach_send_stats *st);

/* ---- webhooks.c ---- */
/* Claims and POSTs due webhook deliveries, a few batches a call (each
 * request bounded in time), recording every outcome. */
int outreach__webhooks(outreach *o);

/* 1 when the service thread was asked to stop. */
int outreach__stopping(outreach *o);

#endif
