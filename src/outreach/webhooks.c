/* Webhook delivery, on outreach's thread: claims due webhook_deliveries rows
 * in batches (a lease makes them ours, as with the mail outbox), POSTs each
 * payload to its webhook's URL over libcurl's multi interface, all of a
 * batch at once with a bounded time each, and records every outcome: 'sent'
 * on a 2xx answer; otherwise pending again after an exponential, jittered
 * delay (outreach's retry_base_ms, retry_max_ms), until max_attempts, then
 * 'failed' with the last status and error. It is not for queueing: chat's
 * transactions queue the rows (store/config.h, store__webhook_after_append).
 *
 * Each request carries X-Hark-Event, X-Hark-Delivery (the row id: the same
 * on every retry, for the receiver to drop repeats), X-Hark-Timestamp (Unix
 * seconds) and X-Hark-Signature: sha256=HEX, HEX the HMAC-SHA256 of
 * "TIMESTAMP.BODY" keyed with the webhook's secret (its text as shown at
 * creation, "whsec_..."). The body is the stored payload with its "link"
 * made absolute on public_url. */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "outreach/outreach_int.h"
#include "store/config.h"

#define WH_BATCH       16    /* deliveries claimed and sent at once */
#define WH_BATCHES     8     /* batches per turn of the service loop, so mail is not held up */
#define WH_TIMEOUT_MS  10000 /* one request, connection included */
#define WH_CONNECT_MS  5000
#define WH_REPLY_MAX   65536 /* bytes of a receiver's answer read (and dropped) */
#define WH_PAYLOAD_MAX 16384 /* a stored payload (they are a few hundred bytes) */

/* One request of a batch. */
typedef struct wh_call {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t reply_bytes;
    char errbuf[CURL_ERROR_SIZE];
    int added; /* in the multi handle */
    int finished;
    CURLcode result;
    long status;
} wh_call;

/* base * 2^(attempt-1), at most MAX, then between half and all of it (equal
 * jitter), as the mailer does, so many failing rows do not retry together. */
static int64_t backoff(int64_t base, int64_t max, int attempt) {
    int64_t d = base;
    for (int i = 1; i < attempt && d < max; i++) d *= 2;
    if (d > max) d = max;
    if (d < 2) return d;
    return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 > 0x7fffffff ? 0x7fffffff : d / 2));
}

static size_t drop_reply(char *data, size_t size, size_t n, void *arg) {
    wh_call *w = arg;
    (void)data;
    w->reply_bytes += size * n;
    return w->reply_bytes > WH_REPLY_MAX ? 0 : size * n; /* 0 ends an endless answer */
}

/* The body to send: PAYLOAD with a relative "link" made absolute on
 * PUBLIC_URL. NULL when out of memory or the payload is not an object. */
static char *make_body(const char *payload, const char *public_url) {
    if (strlen(payload) > WH_PAYLOAD_MAX) return NULL;
    json_t *o = json_loads(payload, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    const char *link = json_string_value(json_object_get(o, "link"));
    if (link && link[0] == '/') {
        size_t n = strlen(public_url) + strlen(link) + 1;
        char *abs = malloc(n);
        if (abs) {
            snprintf(abs, n, "%s%s", public_url, link);
            json_object_set_new(o, "link", json_string(abs));
            free(abs);
        }
    }
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return body;
}

/* "sha256=" and the hex HMAC-SHA256 of "TS.BODY" keyed with SECRET, into OUT. */
static void sign(const char *secret, const char *ts, const char *body,
                 char out[7 + 2 * crypto_auth_hmacsha256_BYTES + 1]) {
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 2 * crypto_auth_hmacsha256_BYTES + 1, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

/* Appends LINE to W's headers: 0 or HARK_ENOMEM (the list kept). */
static int add_header(wh_call *w, const char *line) {
    struct curl_slist *h = curl_slist_append(w->headers, line);
    if (!h) return HARK_ENOMEM;
    w->headers = h;
    return HARK_OK;
}

/* Readies the request of D in W; 0, or a reason it cannot be sent in *WHY.
 * W's parts are released by call_free either way. */
static int prepare(outreach *o, const store_webhook_delivery *d, wh_call *w, const char **why) {
    char line[256], ts[32], sig[7 + 2 * crypto_auth_hmacsha256_BYTES + 1];
    *why = "out of memory";
    if (!(w->body = make_body(d->payload ? d->payload : "", o->public_url))) {
        *why = "the stored payload is not a JSON object";
        return HARK_EINVAL;
    }
    if (!(w->easy = curl_easy_init())) return HARK_ENOMEM;
    snprintf(ts, sizeof ts, "%" PRId64, hark_now_ms() / 1000);
    sign(d->secret, ts, w->body, sig);
    int rc = add_header(w, "Content-Type: application/json");
    if (!rc) rc = add_header(w, "User-Agent: Hark-Webhooks/1");
    if (!rc) rc = add_header(w, "Expect:");
    snprintf(line, sizeof line, "X-Hark-Event: %s", d->event);
    if (!rc) rc = add_header(w, line);
    snprintf(line, sizeof line, "X-Hark-Delivery: %" PRId64, d->id);
    if (!rc) rc = add_header(w, line);
    snprintf(line, sizeof line, "X-Hark-Timestamp: %s", ts);
    if (!rc) rc = add_header(w, line);
    snprintf(line, sizeof line, "X-Hark-Signature: %s", sig);
    if (!rc) rc = add_header(w, line);
    if (rc) return rc;
    CURL *e = w->easy;
    int c = CURLE_OK;
    c |= curl_easy_setopt(e, CURLOPT_URL, d->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    c |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers);
    c |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    c |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, w->body);
    c |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(w->body));
    c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)WH_TIMEOUT_MS);
    c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)WH_CONNECT_MS);
    c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, w->errbuf);
    c |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop_reply);
    c |= curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
    c |= curl_easy_setopt(e, CURLOPT_PRIVATE, w);
    if (c != CURLE_OK) {
        *why = "the URL or an option was refused by libcurl";
        return HARK_EINVAL;
    }
    return HARK_OK;
}

static void call_free(wh_call *w) {
    if (w->easy) curl_easy_cleanup(w->easy);
    curl_slist_free_all(w->headers);
    free(w->body);
    memset(w, 0, sizeof *w);
}

/* Runs every added request of the batch to its end (each is bounded by
 * WH_TIMEOUT_MS). */
static int run(CURLM *multi, wh_call *calls, size_t n) {
    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            log_error("webhooks: %s", curl_multi_strerror(mc));
            return HARK_EIO;
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            wh_call *w = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&w);
            if (!w) continue;
            w->finished = 1;
            w->result = m->data.result;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &w->status);
        }
        if (running && (mc = curl_multi_poll(multi, NULL, 0, 100, NULL)) != CURLM_OK) {
            log_error("webhooks: %s", curl_multi_strerror(mc));
            return HARK_EIO;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (calls[i].added) {
            curl_multi_remove_handle(multi, calls[i].easy);
            calls[i].added = 0;
        }
    return HARK_OK;
}

typedef struct outcome {
    int result; /* enum store_webhook_result */
    int64_t at;
    int code;
    char error[256];
} outcome;

/* What the answer to D's request means. */
static void judge(outreach *o, const store_webhook_delivery *d, const wh_call *w, int64_t now, outcome *out) {
    out->code = w->finished && w->result == CURLE_OK ? (int)w->status : 0;
    if (out->code >= 200 && out->code < 300) {
        out->result = STORE_WEBHOOK_SENT;
        out->at = now;
        out->error[0] = '\0';
        return;
    }
    char reason[200];
    if (out->code)
        snprintf(reason, sizeof reason, "the receiver answered HTTP %d", out->code);
    else
        snprintf(reason, sizeof reason, "%.199s",
                 w->errbuf[0] ? w->errbuf : curl_easy_strerror(w->finished ? w->result : CURLE_ABORTED_BY_CALLBACK));
    if (d->attempts >= o->o.max_attempts) {
        snprintf(out->error, sizeof out->error, "gave up after %d attempts: %s", d->attempts, reason);
        out->result = STORE_WEBHOOK_FAILED;
        out->at = now;
        log_warn("webhooks: delivery %" PRId64 " (webhook %" PRId64 ") gave up after %d attempts (HTTP %d)", d->id,
                 d->webhook_id, d->attempts, out->code);
        return;
    }
    int64_t delay = backoff(o->o.retry_base_ms, o->o.retry_max_ms, d->attempts);
    snprintf(out->error, sizeof out->error, "%s", reason);
    out->result = STORE_WEBHOOK_RETRY;
    out->at = now + delay;
    log_info("webhooks: delivery %" PRId64 " (webhook %" PRId64 ") attempt %d failed (HTTP %d): retry in %" PRId64
             " ms",
             d->id, d->webhook_id, d->attempts, out->code, delay);
}

/* Records the batch's outcomes in one transaction. */
static int record(outreach *o, const store_webhook_delivery *rows, const outcome *out, size_t n) {
    int rc = store_begin(o->c);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++)
        rc = store_webhook_finish(o->c, rows[i].tenant_id, rows[i].id, out[i].result, out[i].at, out[i].code,
                                  out[i].error);
    if (rc) {
        store_rollback(o->c);
        log_error("webhooks: recording %zu outcomes failed: %s", n, hark_strerror(rc));
        return rc;
    }
    return store_commit(o->c);
}

/* Claims and delivers one batch; *CLAIMED gets its size. */
static int deliver_batch(outreach *o, CURLM *multi, size_t *claimed) {
    store_webhook_delivery rows[WH_BATCH];
    wh_call calls[WH_BATCH];
    outcome out[WH_BATCH];
    size_t n = 0;
    int64_t now = hark_now_ms();
    *claimed = 0;
    int rc = store_webhook_claim(o->c, now, o->o.lease_ms, rows, WH_BATCH, &n);
    if (rc || n == 0) return rc;
    *claimed = n;
    memset(calls, 0, sizeof calls);
    memset(out, 0, sizeof out);
    for (size_t i = 0; i < n; i++) {
        const char *why;
        out[i].result = -1;
        if (!rows[i].active) {
            out[i].result = STORE_WEBHOOK_CANCELLED;
            out[i].at = now;
            snprintf(out[i].error, sizeof out[i].error, "the webhook is inactive");
            continue;
        }
        int prc = prepare(o, &rows[i], &calls[i], &why);
        if (!prc && curl_multi_add_handle(multi, calls[i].easy) != CURLM_OK) {
            prc = HARK_EIO;
            why = "libcurl refused the request";
        }
        if (prc) {
            /* Nothing was sent: the attempt counts, as a failure would. */
            calls[i].finished = 1;
            calls[i].result = CURLE_FAILED_INIT;
            snprintf(calls[i].errbuf, sizeof calls[i].errbuf, "%s", why);
            continue;
        }
        calls[i].added = 1;
    }
    rc = run(multi, calls, n);
    now = hark_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (out[i].result < 0) judge(o, &rows[i], &calls[i], now, &out[i]);
        call_free(&calls[i]);
    }
    /* Even after a multi failure the outcomes are recorded (unfinished
     * requests count as failed attempts and are retried). */
    int rrc = record(o, rows, out, n);
    store_webhook_deliveries_clear(rows, n);
    for (size_t i = 0; i < n; i++) sodium_memzero(rows[i].secret, sizeof rows[i].secret);
    return rc ? rc : rrc;
}

int outreach__webhooks(outreach *o) {
    CURLM *multi = curl_multi_init();
    if (!multi) return HARK_ENOMEM;
    int rc = HARK_OK;
    for (int b = 0; b < WH_BATCHES && !outreach__stopping(o); b++) {
        size_t claimed = 0;
        if ((rc = deliver_batch(o, multi, &claimed)) || claimed < WH_BATCH) break;
    }
    curl_multi_cleanup(multi);
    return rc;
}
