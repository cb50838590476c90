/* Mail transports for outreach: hands finished messages to a mail server
 * over SMTP with libcurl (smtp://, smtps://, STARTTLS), several connections at
 * once and reused between messages, or writes them as .eml files into a
 * folder (file:DIR, the all-in-one default). Non-blocking: submit queues a
 * message on a free connection, poll runs the I/O for at most a timeout and
 * reports finished messages. One thread uses a transport at a time (the
 * outreach mailer thread); it never touches the database or decides retries:
 * it reports what the server said and classifies it. */
#ifndef HARK_OUTREACH_TRANSPORT_H
#define HARK_OUTREACH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct mail_transport mail_transport;

typedef struct mail_transport_opts {
    int conns;           /* concurrent SMTP connections (messages in flight); default 4, 1-64 */
    int timeout_ms;      /* per message, connect included; default 30000 */
    const char *tls;     /* "try" (default: STARTTLS when offered), "require", "off"; smtps:// is always TLS */
    const char *ca_file; /* NULL = system CAs; tests pass their self-signed certificate */
    int verify;          /* 1 (default) verify the server certificate and name */
    const char *helo;    /* name in EHLO; NULL = curl's default */
} mail_transport_opts;

void mail_transport_opts_default(mail_transport_opts *o);

/* URL: "smtp://[user:password@]host[:port]", "smtps://...", or "file:DIR"
 * (DIR is created if missing). 0 and *OUT, or HARK_EINVAL with ERR naming the
 * problem (unknown scheme, bad option, folder not writable). */
int mail_transport_open(const char *url, const mail_transport_opts *o, mail_transport **out, char *err,
                        size_t errlen);
void mail_transport_close(mail_transport *t); /* drops messages in flight without results */

/* How a message ended. */
enum mail_outcome {
    MAIL_SENT = 0,      /* the server accepted it (250 after DATA), or the file is written and synced */
    MAIL_TRANSIENT = 1, /* try again later: 4xx reply, connection refused or lost, timeout, TLS failure */
    MAIL_PERMANENT = 2, /* never retry: 5xx reply (e.g. 550 unknown recipient), invalid address */
};

typedef struct mail_job {
    uint64_t cookie;              /* the caller's id, returned in the result */
    const char *from;             /* envelope sender address */
    const char *const *rcpt;      /* envelope recipients */
    size_t nrcpt;                 /* 1-100 */
    const char *data;             /* the whole message (mail_build), copied by submit */
    size_t len;
    const char *name;             /* file: transport: file name without ".eml" (the Message-ID's local part) */
} mail_job;

typedef struct mail_result {
    uint64_t cookie;
    enum mail_outcome outcome;
    int code;         /* the last SMTP reply code (0 when none, e.g. connection failure) */
    char reply[256];  /* the server's reply or curl's error text, one line, for the record */
    double ms;        /* time from submit to result */
} mail_result;

/* Number of messages that can be submitted now (free connections). */
int mail_transport_free(const mail_transport *t);

/* Starts sending J (copies everything it needs). HARK_EBUSY when no
 * connection is free, HARK_EINVAL for a job without recipients or with a
 * recipient holding CR/LF/<> characters, HARK_ENOMEM. */
int mail_transport_submit(mail_transport *t, const mail_job *j);

/* Runs I/O for up to TIMEOUT_MS (returns early when a message finishes) and
 * writes up to MAX finished messages into OUT; *N receives how many. 0, or
 * HARK_EIO on a failure of the transport itself (not of one message). */
int mail_transport_poll(mail_transport *t, int timeout_ms, mail_result *out, size_t max, size_t *n);

/* Messages submitted and not yet reported. */
int mail_transport_inflight(const mail_transport *t);

#endif
