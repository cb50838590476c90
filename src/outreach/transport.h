/* Mail transports for outreach: hands finished messages to a mail server
 * over SMTP with libcurl (smtp://, smtps://, STARTTLS), several connections at
 * once and reused between messages, or writes them as .eml files into a
 * folder (file:DIR, the all-in-one default). Non-blocking: submit queues a
 * message on a free connection, poll runs the I/O for at most a timeout and
 * reports finished messages. One thread uses a transport at a time (the
 * outreach mailer thread); it never touches the database or decides retries:
 * it reports what the server said and classifies it. Nothing personal
 * (addresses, message text) is logged above debug level. */
#ifndef HARK_OUTREACH_TRANSPORT_H
#define HARK_OUTREACH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct mail_transport mail_transport;

typedef struct mail_transport_opts {
    int conns;           /* concurrent SMTP connections (messages in flight); default 4, 1-64 */
    int timeout_ms;      /* per message, connect included; default 30000, at most 3600000 */
    const char *tls;     /* "try" (default: STARTTLS when offered), "require", "off"; smtps:// is always TLS */
    const char *ca_file; /* NULL = system CAs; tests pass their self-signed certificate */
    int verify;          /* 1 (default) verify the server certificate and name */
    const char *helo;    /* name in EHLO (letters, digits, '.', '-', or an [address]); NULL = curl's default */
} mail_transport_opts;

void mail_transport_opts_default(mail_transport_opts *o);

/* URL: "smtp://[user:password@]host[:port]", "smtps://..." (no path; a
 * password with reserved characters is percent-encoded), or "file:DIR" /
 * "file:///DIR" (DIR is created if missing, mode 0700). O may be NULL
 * (defaults); the transport keeps no pointer into O or URL. 0 and *OUT, or
 * HARK_EINVAL with ERR naming the problem (unknown scheme, bad option, folder
 * not writable; never the password), HARK_ENOMEM, HARK_EIO when libcurl
 * cannot be initialised. */
int mail_transport_open(const char *url, const mail_transport_opts *o, mail_transport **out, char *err, size_t errlen);
void mail_transport_close(mail_transport *t); /* drops messages in flight without results; NULL is fine */

/* How a message ended. */
enum mail_outcome {
    MAIL_SENT = 0,      /* the server accepted it (250 after DATA), or the file is written and synced */
    MAIL_TRANSIENT = 1, /* try again later: 4xx reply, connection refused or lost, timeout, TLS failure,
                           and the 5xx replies that refuse the session rather than the message (530 TLS or
                           authentication required, 534, 535 bad credentials, 538): configuration problems */
    MAIL_PERMANENT = 2, /* never retry: any other 5xx reply (e.g. 550 unknown recipient), invalid address */
};

typedef struct mail_job {
    uint64_t cookie;         /* the caller's id, returned in the result */
    const char *from;        /* envelope sender address; "" = the null sender "<>" */
    const char *const *rcpt; /* envelope recipients, without angle brackets, at most 254 bytes each; a
                                refused recipient fails the whole message (no partial delivery) */
    size_t nrcpt;            /* 1-100 */
    const char *data;        /* the whole message (mail_build), copied by submit; CRLF line ends */
    size_t len;              /* at most 32 MiB */
    const char *name;        /* file: transport: file name without ".eml" (the Message-ID's local part):
                                1-200 bytes, no '/', no leading '.', no control characters; an existing
                                NAME.eml is replaced. Ignored by SMTP. */
} mail_job;

typedef struct mail_result {
    uint64_t cookie;
    enum mail_outcome outcome;
    int code;        /* the server's reply code that decided the outcome (250 when sent); 0 when the
                        failure was no negative reply (connection, TLS, timeout) and for file: */
    char reply[256]; /* the server's reply line (e.g. "550 5.1.1 unknown user") or curl's error text,
                        one line of printable ASCII, cut to fit; may name an address: not for info logs */
    double ms;       /* time from submit to result */
} mail_result;

/* Number of messages that can be submitted now (free connections). */
int mail_transport_free(const mail_transport *t);

/* Starts sending J (copies everything it needs; the I/O happens in poll).
 * HARK_EBUSY when no connection is free, HARK_EINVAL for a job without
 * recipients or with more than 100, with an address holding CR/LF/<> or
 * other control characters, or (file:) without a valid name, HARK_ETOOBIG
 * over 32 MiB, HARK_ENOMEM, HARK_EIO when curl refuses the transfer. */
int mail_transport_submit(mail_transport *t, const mail_job *j);

/* Runs I/O for up to TIMEOUT_MS (returns early when a message finishes, and
 * at once when none is in flight) and writes up to MAX finished messages into
 * OUT; *N receives how many. file: writes up to MAX waiting messages here
 * (each file fsynced, then the folder once) without waiting. 0, or HARK_EIO
 * on a failure of the transport itself (not of one message). */
int mail_transport_poll(mail_transport *t, int timeout_ms, mail_result *out, size_t max, size_t *n);

/* Messages submitted and not yet reported. */
int mail_transport_inflight(const mail_transport *t);

#endif
