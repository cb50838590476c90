/* Store operations for a tenant's configuration (the admin panel's
 * touchpoints, flows and webhooks) and the webhook outbox: the deliveries
 * queued by chat's transactions (store__webhook_after_append) and claimed,
 * sent and recorded by outreach's webhook worker. Written once in portable
 * statements (store_int.h). Every operation is scoped by tenant_id except
 * the claim, which reads the one queue of the instance (each row carries
 * its tenant). Nothing here holds answer text or an employee's identity:
 * payloads name objects by id. */
#ifndef HARK_STORE_CONFIG_H
#define HARK_STORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- flows ---- */

/* One stored version of a flow, without its JSON. tenant_id 0: a shared
 * default. */
typedef struct store_flow_row {
    int64_t id, tenant_id;
    char name[64];
    int version;
    int64_t created_at; /* Unix ms */
} store_flow_row;

/* The tenant's own flow versions and the shared ones, by name, then version
 * (highest first), then the tenant's before the shared; up to MAX into OUT,
 * *N gets how many (HARK_ETOOBIG when there are more). */
int store_flow_list(store_conn *c, int64_t tenant_id, store_flow_row *out, size_t max, size_t *n);

/* Version ID (the tenant's or a shared one) into ROW and, when JSON is not
 * NULL, its document into *JSON (the caller frees it). HARK_ENOTFOUND when
 * the tenant cannot see it. */
int store_flow_fetch(store_conn *c, int64_t tenant_id, int64_t id, store_flow_row *row, char **json);

/* The version a new version of flow NAME gets in the tenant: one more than
 * the highest stored, the tenant's own or shared (1 when there is none), so
 * that it is newer than the default it replaces. */
int store_flow_next_version(store_conn *c, int64_t tenant_id, const char *name, int *version);

/* ---- touchpoints (store.h: store_touchpoint_list, _get, _put) ---- */

/* Inserts T (tenant_id, name, kind, flow_name, rule, active) and sets t->id.
 * HARK_EEXISTS when the tenant has a touchpoint of that name. Unlike
 * store_touchpoint_put it never updates. */
int store_touchpoint_create(store_conn *c, store_touchpoint *t);

/* Replaces the flow_name, rule and active of touchpoint t->id of
 * t->tenant_id. HARK_ENOTFOUND when the tenant has no such touchpoint. */
int store_touchpoint_update(store_conn *c, const store_touchpoint *t);

/* ---- webhooks ---- */

#define STORE_WEBHOOKS_MAX   20 /* webhooks per tenant */
#define STORE_WEBHOOK_URL    2048
#define STORE_WEBHOOK_SECRET 72

typedef struct store_webhook {
    int64_t id, tenant_id;
    char url[STORE_WEBHOOK_URL];       /* http:// or https:// */
    char secret[STORE_WEBHOOK_SECRET]; /* the HMAC key, "whsec_" + 64 hex digits */
    char events[256];                  /* a JSON array of event names */
    int active;
    int64_t created_at, updated_at; /* Unix ms */
    /* Filled by store_webhook_list and _get: the deliveries by state. */
    int64_t pending, sent, failed;
} store_webhook;

/* Stores W (tenant_id, url, secret, events, active; created_at and
 * updated_at from the clock when 0) and sets w->id. The caller keeps a
 * tenant within STORE_WEBHOOKS_MAX (store_webhook_list first). */
int store_webhook_create(store_conn *c, store_webhook *w);
int store_webhook_get(store_conn *c, int64_t tenant_id, int64_t id, store_webhook *out);
/* The tenant's webhooks in id order, up to MAX (STORE_WEBHOOKS_MAX is
 * enough). */
int store_webhook_list(store_conn *c, int64_t tenant_id, store_webhook *out, size_t max, size_t *n);
/* Replaces the url, events and active of webhook w->id of w->tenant_id
 * (updated_at from the clock). A webhook made inactive has its pending
 * deliveries cancelled. HARK_ENOTFOUND when the tenant has no such webhook. */
int store_webhook_update(store_conn *c, const store_webhook *w);
/* Deletes the webhook and its deliveries. HARK_ENOTFOUND when the tenant has
 * no such webhook. */
int store_webhook_delete(store_conn *c, int64_t tenant_id, int64_t id);

/* One queued call of a webhook. */
typedef struct store_webhook_delivery {
    int64_t id, tenant_id, webhook_id;
    char event[32];  /* escalation.created, conversation.completed */
    int64_t ref_id;  /* the escalation or the conversation */
    char status[16]; /* pending, sending, sent, failed, cancelled */
    int attempts;    /* made so far (a claim counts one) */
    int last_code;   /* the receiver's HTTP status; 0 when none came */
    char last_error[256];
    int64_t due_at, created_at, sent_at; /* sent_at 0 = not sent */
    /* Filled by store_webhook_claim only. */
    char *payload; /* owned: the JSON body (store_webhook_deliveries_clear) */
    char url[STORE_WEBHOOK_URL];
    char secret[STORE_WEBHOOK_SECRET];
    int active; /* the webhook is still active */
} store_webhook_delivery;

/* The webhook's latest deliveries, newest first, up to MAX (no payloads). */
int store_webhook_deliveries(store_conn *c, int64_t tenant_id, int64_t webhook_id, store_webhook_delivery *out,
                             size_t max, size_t *n);

/* Claims up to MAX deliveries due at NOW (pending with due_at <= NOW, or
 * sending with a lease that ran out), oldest due first, in their own write
 * transaction: each becomes 'sending' until NOW + LEASE_MS with one more
 * attempt, and is loaded with its payload and its webhook's url, secret and
 * active flag. Free the payloads with store_webhook_deliveries_clear. */
int store_webhook_claim(store_conn *c, int64_t now, int64_t lease_ms, store_webhook_delivery *out, size_t max,
                        size_t *n);
void store_webhook_deliveries_clear(store_webhook_delivery *d, size_t n);

enum store_webhook_result {
    STORE_WEBHOOK_SENT = 0,      /* the receiver answered 2xx at AT */
    STORE_WEBHOOK_RETRY = 1,     /* pending again, due at AT */
    STORE_WEBHOOK_FAILED = 2,    /* retries exhausted */
    STORE_WEBHOOK_CANCELLED = 3, /* the webhook is inactive or gone */
};

/* Records how a claimed delivery ended (RESULT, AT, CODE the HTTP status or
 * 0, ERROR a short reason, "" when sent). Only a row still 'sending'
 * changes. */
int store_webhook_finish(store_conn *c, int64_t tenant_id, int64_t id, int result, int64_t at, int code,
                         const char *error);

/* Called by store_conversation_append inside its savepoint, after the
 * messages (and their escalation rows) are written: queues one delivery per
 * active webhook of the tenant subscribed to the event, for each escalation
 * of a flagged message in MSGS (escalation.created) and, when COMPLETED_NOW,
 * for the conversation (conversation.completed), due at NOW. No query when
 * nothing was flagged or completed, one indexed query when the tenant has no
 * active webhook. Payloads hold ids, kinds and times: no answer text, no employee. */
int store__webhook_after_append(store_conn *c, const store_conversation *conv, int completed_now,
                                const store_message *msgs, size_t n, int64_t now);

#endif
