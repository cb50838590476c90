/* store: Hark's one interface to its database, meant for two backends:
 * SQLite (embedded, the all-in-one default) and PostgreSQL (primary + streaming
 * replicas, a later issue). No backend-specific SQL, type or handle leaks above
 * this header; callers see domain operations and Hark error codes.
 *
 * Two ways to use it:
 *  - synchronously, from a single thread with no event loop (CLI commands:
 *    migrate, demo, tenant create, invite): store_main_conn() and the domain
 *    functions below, each in its own implicit transaction, or grouped with
 *    store_begin/store_commit/store_rollback;
 *  - asynchronously from an event loop (serve): store_start() starts one
 *    writer thread and N reader threads, each with its own connection, and
 *    store_submit() queues work for them. The writer runs many queued jobs in
 *    one transaction (group commit), each inside a savepoint so one failing job
 *    does not undo the others, and reports every job's result on the loop
 *    thread only after the transaction has committed. No database call ever
 *    runs on the loop thread.
 *
 * Every row belongs to a tenant, and every domain function takes tenant_id
 * and scopes its query by it. Strings in records are NUL-terminated UTF-8;
 * fixed-size fields are truncated by nobody: values that do not fit are
 * rejected with HARK_ETOOBIG. */
#ifndef HARK_STORE_H
#define HARK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct store store;           /* a database: connections, threads, queues */
typedef struct store_conn store_conn; /* one connection, used by one thread at a time */

enum store_durability {
    STORE_DURABLE_FULL = 0,   /* default: a committed (acknowledged) write survives kill -9 and power loss */
    STORE_DURABLE_NORMAL = 1, /* survives kill -9 (process crash), may lose the last commits on power loss */
    STORE_DURABLE_OFF = 2,    /* no fsync at all: benchmarks and throwaway data only */
};

typedef struct store_opts {
    const char *url;      /* "sqlite:PATH"; "postgres://..." in a later issue */
    const char *read_url; /* replicas (later); NULL = read from url */
    int durability;       /* enum store_durability */
    int readers;          /* reader threads for store_submit(STORE_READ); default 2 */
    int batch_max;        /* most write jobs in one transaction; default 1024 */
    size_t queue_max;     /* bound on queued jobs of each kind; default 100000 */
} store_opts;

void store_opts_default(store_opts *o);

/* Opens the database named by O->url (creating the file for SQLite) and checks
 * it can be used. No threads are started. Returns 0 and *OUT, or HARK_EINVAL
 * (bad URL) / HARK_EIO with a message naming the problem in ERR. */
int store_open(const store_opts *o, store **out, char *err, size_t errlen);

/* Applies pending schema migrations, synchronously, on the main connection.
 * *APPLIED (if not NULL) receives how many were applied. Idempotent; safe when
 * two processes race (the loser sees the schema current). */
int store_migrate(store *s, int *applied, char *err, size_t errlen);

/* Current and latest known schema versions (for `hark migrate` and /readyz). */
int store_schema_version(store *s, int *current, int *latest);

/* The connection for synchronous use before store_start (CLI commands). */
store_conn *store_main_conn(store *s);

/* Starts the writer and reader threads; completions are delivered on LOOP.
 * After this, store_main_conn() must not be used. */
int store_start(store *s, uv_loop_t *loop);

/* Stops accepting jobs, lets queued jobs finish, joins the threads. Their
 * completions are delivered on the loop thread, so call this on the loop
 * thread while the loop still runs (e.g. from a shutdown callback, or from a
 * DONE callback) and then let the loop drain: the last completions arrive in
 * a later loop iteration, then the store's async handle closes so uv_run can
 * return. Then store_close(). */
void store_stop(store *s);

/* Closes connections and frees S. After store_start, call it only once the
 * loop has run after store_stop (the uv_async_t inside S must have closed;
 * otherwise S is deliberately leaked and an error logged). Jobs still queued
 * in a store that never started are dropped without DONE. */
void store_close(store *s);

/* Explicit transactions for synchronous use (CLI): store_begin opens a write
 * transaction; store_commit / store_rollback end it. Domain writes inside it
 * each run in a savepoint, so a failing one leaves the others. HARK_EINVAL
 * when one is already open, or inside a job (the store thread owns the
 * transaction there). */
int store_begin(store_conn *c);
int store_commit(store_conn *c);
int store_rollback(store_conn *c);

/* ---- asynchronous jobs (after store_start) ---- */

enum store_job_kind { STORE_READ = 0, STORE_WRITE = 1 };

/* Runs on a store thread with that thread's connection. Returns 0 or a Hark
 * error code. For writes it runs inside a savepoint of the batch transaction: a
 * non-zero return rolls back only this job's changes. Reads run inside one
 * read transaction (one snapshot) per job. It must not call store_begin,
 * store_commit or store_rollback. */
typedef int (*store_work_fn)(store_conn *c, void *arg);
/* Runs on the loop thread with the work's return value, after the commit for
 * writes (HARK_EIO if the commit itself failed). */
typedef void (*store_done_fn)(void *arg, int status);

/* Queues a job. Returns 0, HARK_EBUSY if that queue is full, or HARK_ECLOSED
 * after store_stop; in both error cases DONE is never called (nor for
 * HARK_EINVAL before store_start, HARK_ENOMEM). Call it from the loop thread
 * (or any thread: the queues are locked). */
int store_submit(store *s, enum store_job_kind kind, store_work_fn work, store_done_fn done, void *arg);

typedef struct store_stats {
    uint64_t commits;      /* write transactions committed */
    uint64_t jobs_written; /* write jobs run */
    uint64_t last_batch;   /* jobs in the latest transaction */
    uint64_t max_batch;
    double last_commit_ms; /* duration of the latest COMMIT */
    size_t write_queue;    /* jobs waiting now */
    size_t read_queue;
} store_stats;
void store_get_stats(store *s, store_stats *out); /* thread-safe */

/* ---- domain records ---- */

/* A tenant's outreach settings (defaults from the schema). */
typedef struct store_schedule {
    int send_minute;        /* local send time, minutes after midnight (600 = 10:00) */
    int quiet_start;        /* quiet hours [start, end) in local minutes, may wrap midnight (1200) */
    int quiet_end;          /* (480); equal = none */
    int working_days;       /* bit d = day d is a working day, 0 = Sunday (62 = Mon-Fri) */
    int frequency_cap_days; /* no employee is invited twice within this many days (7) */
    int reminders;          /* reminders to non-responders (2) */
    int reminder_hours;     /* between the invite and each reminder (48) */
    int invite_ttl_days;    /* an invite expires this long after its due time (7) */
    int mail_rate;          /* this tenant's messages per second; 0 = only the global limit */
} store_schedule;

typedef struct store_tenant {
    int64_t id;
    char slug[64];
    char name[128];
    char timezone[64]; /* IANA name, "UTC" by default */
    store_schedule sched;
} store_tenant;

typedef struct store_employee {
    int64_t id, tenant_id;
    char external_id[64];
    char email[256];
    char first_name[64], last_name[64];
    char department[64], location[64];
    char manager_email[256];
    char hire_date[11], exit_date[11]; /* "YYYY-MM-DD" or "" */
    char timezone[64];                 /* "" = the tenant's */
    char status[16];                   /* "active", "inactive", "left" */
} store_employee;

typedef struct store_flow {
    int64_t id, tenant_id;
    char name[64];
    int version;
    char *json; /* owned; release with store_flow_clear */
} store_flow;

typedef struct store_touchpoint {
    int64_t id, tenant_id;
    char name[64];
    char kind[16];      /* onboarding, tenure, pulse, exit, adhoc */
    char flow_name[64]; /* the latest version of this flow is used for new invites */
    char rule[512];     /* JSON rule for the planner (outreach issue); "{}" if none */
    int active;
} store_touchpoint;

typedef struct store_invite {
    int64_t id, tenant_id, employee_id, touchpoint_id, flow_id;
    char occurrence[32];            /* e.g. "2026-11" or "day-30": unique per employee x touchpoint */
    char status[16];                /* planned, sending, sent, failed, opened, started, completed, expired */
    int64_t created_at, expires_at; /* Unix ms */
    int64_t send_at;                /* when it is meant to leave (planned invites); 0 for manual ones */
    int64_t sent_at;                /* when the mail server accepted it; 0 = not yet */
    int reminders;                  /* reminders sent */
} store_invite;

typedef struct store_conversation {
    int64_t id, tenant_id, invite_id, flow_id;
    char node[64];        /* the flow node waiting for an answer */
    char *vars_json;      /* owned: flow variables (answers by key) */
    int64_t last_seq;     /* seq of the latest message; 0 when none */
    int64_t awaiting_seq; /* seq of the open question; 0 when none */
    int done;
    int64_t started_at, updated_at;
} store_conversation;

/* A red flag on an employee message (the nlp detector's result, in store
 * terms). Stored in the message's flags_json by the caller and as an
 * escalation row by store_conversation_append, in the same transaction. */
typedef struct store_flag {
    char kind[16];      /* harassment, threat, self_harm, resign, burnout */
    int severity;       /* 1 watch, 2 concern, 3 urgent */
    int64_t start, len; /* the evidence: a byte span of the message text */
} store_flag;

/* At most this many flags per message (one per kind). */
#define STORE_FLAGS_MAX 5

typedef struct store_message {
    int64_t seq;        /* dense per conversation, from 1 */
    int from_employee;  /* 0 bot, 1 employee */
    char client_id[65]; /* employee messages: the client's id; "" for bot */
    char *text;         /* owned */
    char *input_json;   /* owned; bot questions only, else NULL */
    int scored;         /* employee messages: sentiment below is set */
    double compound, pos, neu, neg;
    char *flags_json; /* owned; NULL when no red flags */
    int64_t created_at;
    /* Appending only: the flags to escalate (not owned; NULL / 0 for none).
     * Loading leaves them empty: flags_json holds them. */
    const store_flag *flags;
    size_t nflags;
} store_message;

/* An escalation: one red flag of one message, for HR to act on. */
typedef struct store_escalation {
    int64_t id, tenant_id, conversation_id, seq;
    char kind[16];
    int severity;
    int64_t start, len;
    char status[16]; /* open, acknowledged, resolved */
    int64_t created_at;
} store_escalation;

typedef struct store_answer {
    int64_t seq; /* the employee message it belongs to */
    char key[64];
    char kind[16]; /* scale, choice, text */
    int has_number;
    double number;
} store_answer;

/* A conversation holds at most this many messages when loaded (HARK_ETOOBIG). */
#define STORE_CONVERSATION_MAX_MESSAGES 10000

/* ---- domain operations (synchronous, on one connection) ----
 * Each returns 0 or a negative Hark code: HARK_ENOTFOUND when the row does not
 * exist (in that tenant) — also when a write refers to a row (employee,
 * touchpoint, flow, invite) that is not in the tenant —, HARK_EEXISTS on a
 * unique-key clash, HARK_EINVAL on a bad argument (unknown role, kind or
 * status; empty required string), HARK_ETOOBIG when a stored string does not
 * fit its field, HARK_EBUSY when the database stayed locked, HARK_EIO on a
 * database failure (logged with the backend's message, never with values).
 * A write runs in its own transaction, or in a savepoint of the open one:
 * when it fails it has changed nothing. */

int store_tenant_create(store_conn *c, store_tenant *t); /* sets t->id */
int store_tenant_get(store_conn *c, int64_t id, store_tenant *out);
int store_tenant_by_slug(store_conn *c, const char *slug, store_tenant *out);

/* PWHASH is already hashed (argon2id string); ROLE: owner, admin, hrbp, viewer. */
int store_user_create(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                      int64_t *id);

/* Inserts, or updates the row with the same external_id (or, when that is
 * empty, the same email) in the tenant. Sets e->id. A row matched by email
 * with an empty external_id takes E's external_id; an empty external_id in E
 * keeps the stored one; an email held by an employee with another
 * external_id is HARK_EEXISTS. An empty status means "active". */
int store_employee_upsert(store_conn *c, store_employee *e);
int store_employee_get(store_conn *c, int64_t tenant_id, int64_t id, store_employee *out);
int store_employee_by_email(store_conn *c, int64_t tenant_id, const char *email, store_employee *out);
int store_employee_count(store_conn *c, int64_t tenant_id, int64_t *count);
/* Up to MAX employees of the tenant with id > AFTER_ID, in id order, into OUT;
 * *N receives how many. Erased employees (web: DELETE /api/v1/employees/ID)
 * are left out: nobody plans, imports over or lists what is left of them. */
int store_employee_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_employee *out, size_t max, size_t *n);

/* Stores version VERSION of flow NAME (tenant_id 0 = shared by every tenant).
 * HARK_EEXISTS if that version exists (*id still receives its id). */
int store_flow_put(store_conn *c, int64_t tenant_id, const char *name, int version, const char *json, int64_t *id);
/* By id: the tenant's own flows and the shared ones. */
int store_flow_get(store_conn *c, int64_t tenant_id, int64_t id, store_flow *out);
/* The highest version of NAME: the tenant's own if any, else the shared one. */
int store_flow_latest(store_conn *c, int64_t tenant_id, const char *name, store_flow *out);
void store_flow_clear(store_flow *f);

/* Inserts or updates by (tenant, name); sets t->id. */
int store_touchpoint_put(store_conn *c, store_touchpoint *t);
int store_touchpoint_by_name(store_conn *c, int64_t tenant_id, const char *name, store_touchpoint *out);

/* Inserts an invite (sets inv->id; an empty status becomes "planned", a zero
 * created_at now). If one exists for the same employee, touchpoint and
 * occurrence, fills INV with it and returns HARK_EEXISTS. The employee,
 * touchpoint and flow must be visible to the tenant, else HARK_ENOTFOUND. */
int store_invite_create(store_conn *c, store_invite *inv);
int store_invite_get(store_conn *c, int64_t tenant_id, int64_t id, store_invite *out);
int store_invite_set_status(store_conn *c, int64_t tenant_id, int64_t id, const char *status);

/* Loads the conversation of INVITE_ID and all of its messages in seq order.
 * CONV->vars_json and *MSGS are owned by the caller (store_conversation_clear,
 * store_messages_free). HARK_ENOTFOUND when the conversation has not started. */
int store_conversation_load(store_conn *c, int64_t tenant_id, int64_t invite_id, store_conversation *conv,
                            store_message **msgs, size_t *n);

/* Starts a conversation (sets conv->id, started_at/updated_at from the clock).
 * HARK_EEXISTS if the invite already has one. Also marks the invite started. */
int store_conversation_create(store_conn *c, store_conversation *conv);

/* Appends MSGS (seqs prev_last_seq+1 ...) and ANSWERS and saves CONV's new
 * node, vars, last_seq, awaiting_seq and done; marks the invite completed
 * when done. Fails, changing nothing, with HARK_EEXISTS when an employee
 * message's client_id is already stored in the conversation (*DUP_SEQ gets
 * its seq), or HARK_EBUSY when the stored last_seq is not PREV_LAST_SEQ
 * (another node moved the conversation on: reload and retry). When both
 * apply, HARK_EEXISTS wins. HARK_EINVAL when the seqs are not dense from
 * prev_last_seq+1 or conv->last_seq is not prev_last_seq + N. CONV is found by
 * conv->id and conv->tenant_id. Messages with created_at 0 get the clock.
 * Each flag of an employee message becomes an open escalation row, raised
 * at its message's created_at. */
int store_conversation_append(store_conn *c, const store_conversation *conv, int64_t prev_last_seq,
                              const store_message *msgs, size_t n, const store_answer *answers, size_t nanswers,
                              int64_t *dup_seq);

/* Up to MAX escalations of the tenant with id > AFTER_ID, in id order, into
 * OUT; *N receives how many. */
int store_escalation_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_escalation *out, size_t max,
                          size_t *n);

void store_conversation_clear(store_conversation *conv);
void store_messages_free(store_message *msgs, size_t n);

/* ---- outreach: planning, the outbox, status (outreach issue) ----
 * The outbox is one queue for every instance, so claiming reads across
 * tenants; every row carries its tenant_id and every other query is scoped
 * by it. */

/* Up to MAX tenants with id > AFTER_ID, in id order. */
int store_tenant_list(store_conn *c, int64_t after_id, store_tenant *out, size_t max, size_t *n);
/* Replaces the tenant's schedule (values checked by the caller: rules.h). */
int store_tenant_set_schedule(store_conn *c, int64_t tenant_id, const store_schedule *s);
/* The tenant's touchpoints (active or not), in id order; up to MAX. */
int store_touchpoint_list(store_conn *c, int64_t tenant_id, store_touchpoint *out, size_t max, size_t *n);
int store_touchpoint_get(store_conn *c, int64_t tenant_id, int64_t id, store_touchpoint *out);

/* When the employee's latest invite of any touchpoint left or is meant to
 * leave (send_at, else created_at); 0 when there is none. */
int store_invite_last_at(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t *at_ms);

/* Plans INV (status planned; send_at, expires_at and flow_id set by the
 * caller) and its outbox row (kind invite, due at send_at), together. An
 * invite for the same employee, touchpoint and occurrence makes it
 * HARK_EEXISTS with nothing written. Sets inv->id. */
int store_invite_plan(store_conn *c, store_invite *inv);

/* Remembers why the planner skipped an employee (TOUCHPOINT_ID 0: for every
 * touchpoint): one row per employee x touchpoint, counted. REASON is short
 * and holds no personal data. */
int store_skip_record(store_conn *c, int64_t tenant_id, int64_t employee_id, int64_t touchpoint_id, const char *reason);

/* Marks the tenant's invites expired whose expiry is at or before NOW and
 * that were not started (planned, sending, sent, failed, opened), and
 * cancels their pending outbox rows. *N (if not NULL) receives how many. */
int store_invites_expire(store_conn *c, int64_t tenant_id, int64_t now, int64_t *n);

/* One email to send. */
typedef struct store_outbox {
    int64_t id, tenant_id;
    char kind[16];  /* invite, reminder, alert */
    int64_t ref_id; /* invite id (invite, reminder) or escalation id (alert) */
    int n;          /* reminder number, 1...; 0 otherwise */
    int attempts;   /* including the current one */
    int64_t due_at, created_at;
} store_outbox;

/* Claims up to MAX outbox rows that are due at NOW (pending with due_at <=
 * NOW, or sending with a lease that ran out: a sender that died), oldest
 * due first: each becomes 'sending' until NOW + LEASE_MS, with one more
 * attempt; the invites of claimed invite rows become 'sending'. */
int store_outbox_claim(store_conn *c, int64_t now, int64_t lease_ms, store_outbox *out, size_t max, size_t *n);
/* Extends the lease of rows still being sent. */
int store_outbox_renew(store_conn *c, const int64_t *ids, size_t n, int64_t until);

enum store_outbox_result {
    STORE_OUTBOX_SENT = 0,      /* the server accepted it at AT */
    STORE_OUTBOX_RETRY = 1,     /* transient failure: pending again, due at AT */
    STORE_OUTBOX_FAILED = 2,    /* permanent failure, or retries exhausted */
    STORE_OUTBOX_CANCELLED = 3, /* no longer wanted (invite started, expired, person left) */
    STORE_OUTBOX_DEFER = 4,     /* not tried (outside working hours, sender paused or stopping): pending
                                   again, due at AT, and this attempt does not count */
};

typedef struct store_outbox_done {
    int64_t id, tenant_id;
    int result;      /* enum store_outbox_result */
    int64_t at;      /* SENT: when; RETRY: the next attempt */
    int code;        /* the server's reply code, 0 if none */
    char error[256]; /* the server's reply or the reason, for the record ("" when sent) */
} store_outbox_done;

/* Records how a claimed row ended. For an invite row also updates the invite
 * (sent with sent_at, or failed with the error; back to planned on a retry)
 * and, when it is sent, queues its first reminder reminder_hours later; a
 * sent reminder queues the next one the same way (up to
 * store_schedule.reminders, none at or after the expiry), so reminders stay
 * apart even when one leaves late. For an alert row sets the escalation's
 * notified_at. Idempotent: recording a row
 * that is already sent changes nothing. */
int store_outbox_finish(store_conn *c, const store_outbox_done *d);

/* What the mailer needs to write one outbox row's email. */
typedef struct store_mail_ctx {
    store_tenant tenant;
    /* invite and reminder rows */
    store_invite invite;
    store_employee employee;
    store_touchpoint touchpoint;
    /* alert rows */
    store_escalation escalation;
} store_mail_ctx;
/* Loads the records behind ROW into OUT (one snapshot when called inside a
 * transaction). HARK_ENOTFOUND when one of them is gone. */
int store_mail_context(store_conn *c, const store_outbox *row, store_mail_ctx *out);
int store_escalation_get(store_conn *c, int64_t tenant_id, int64_t id, store_escalation *out);

/* The addresses of the tenant's owners and admins (red-flag alerts), up to
 * MAX, into OUT. */
int store_admin_emails(store_conn *c, int64_t tenant_id, char (*out)[256], size_t max, size_t *n);

/* A tenant's own version of email template NAME (e.g. "invite-pulse.txt"):
 * *BODY is NULL when it has none; else owned by the caller (free()). */
int store_template_get(store_conn *c, int64_t tenant_id, const char *name, char **body);
int store_template_put(store_conn *c, int64_t tenant_id, const char *name, const char *body);

/* Invite counts by touchpoint, day and state for HR and operators: invites
 * whose send_at (created_at for manual ones) lies in [FROM, TO), grouped by
 * touchpoint, UTC day and status; then one row per outbox kind and status
 * (touchpoint_id -1, day -1, kind in .touchpoint, e.g. "reminder"). */
typedef struct store_status_row {
    int64_t touchpoint_id;
    char touchpoint[64]; /* name */
    int64_t day;         /* days since the epoch (UTC) */
    char status[16];
    int64_t count;
} store_status_row;
int store_outreach_status(store_conn *c, int64_t tenant_id, int64_t from_ms, int64_t to_ms, store_status_row *out,
                          size_t max, size_t *n);

/* Skipped employees of the tenant by reason (reason, employees), up to MAX. */
typedef struct store_skip_count {
    char reason[128];
    int64_t count;
} store_skip_count;
int store_skip_counts(store_conn *c, int64_t tenant_id, store_skip_count *out, size_t max, size_t *n);

/* ---- HR sign-in: users, sessions, API tokens (web issue) ----
 * Sessions and API tokens are found by the SHA-256 of the secret the client
 * holds (web/auth.h makes the tokens and their hashes): that hash names its
 * row in every tenant at once, so store_session_get and
 * store_api_token_by_hash are the two reads not scoped by a tenant_id: the
 * row tells which tenant the request belongs to. Every other operation is
 * scoped by it. */

#define STORE_HASH_BYTES 32 /* the SHA-256 of a session or API token */

/* An HR account. */
typedef struct store_user {
    int64_t id, tenant_id;
    char email[256];
    char pwhash[512];       /* argon2id string */
    char role[16];          /* owner, admin, hrbp, viewer */
    char departments[1024]; /* the department scope of an hrbp, as stored; "" = none given */
    int64_t disabled_at;    /* Unix ms; 0 = active */
} store_user;

/* The tenant's user with e-mail EMAIL, ASCII case ignored (an exact match
 * wins when two differ only in case). HARK_ENOTFOUND when there is none;
 * disabled users are found too (disabled_at says so). */
int store_user_by_email(store_conn *c, int64_t tenant_id, const char *email, store_user *out);

/* Replaces the user's password hash (PWHASH, an argon2id string: a login
 * that found the old one made with other costs). HARK_ENOTFOUND when the
 * user is not in the tenant. Sessions are left alone. */
int store_user_set_pwhash(store_conn *c, int64_t tenant_id, int64_t user_id, const char *pwhash);

/* A signed-in browser. */
typedef struct store_session {
    unsigned char token_hash[STORE_HASH_BYTES];
    int64_t tenant_id, user_id;
    int64_t created_at, last_seen_at; /* Unix ms */
    /* Filled by store_session_get from the user and the tenant. */
    char email[256];
    char role[16];
    char departments[1024];
    int64_t disabled_at; /* the user's; 0 = active */
    char tenant_slug[64];
} store_session;

/* Stores session S (token_hash, tenant_id, user_id, created_at and
 * last_seen_at; a zero created_at or last_seen_at takes the clock). The
 * joined fields are ignored. HARK_ENOTFOUND when the user is not in the
 * tenant, HARK_EEXISTS when the hash is taken. */
int store_session_create(store_conn *c, const store_session *s);

/* The session whose token hashes to HASH, with its user's e-mail, role,
 * departments and disabled_at and its tenant's slug, into OUT. Not scoped by
 * tenant (see above). HARK_ENOTFOUND when there is none. Expiry is the
 * caller's to judge (auth_session_check). */
int store_session_get(store_conn *c, const unsigned char hash[STORE_HASH_BYTES], store_session *out);

/* Records that the session was used at NOW: last_seen_at = NOW unless it is
 * already as recent. 0 also when the row is gone (nothing to record). */
int store_session_touch(store_conn *c, int64_t tenant_id, const unsigned char hash[STORE_HASH_BYTES], int64_t now);

/* Ends one session. HARK_ENOTFOUND when the tenant has no such row. */
int store_session_delete(store_conn *c, int64_t tenant_id, const unsigned char hash[STORE_HASH_BYTES]);

/* Ends every session of a user (password or role changed, account
 * disabled). *N (if not NULL) receives how many. */
int store_sessions_delete_user(store_conn *c, int64_t tenant_id, int64_t user_id, int64_t *n);

/* Deletes, in every tenant, the sessions last used at or before
 * IDLE_BEFORE or created at or before CREATED_BEFORE (both Unix ms: now less
 * the idle and the absolute timeout), the dead rows nobody will present
 * again. *N (if not NULL) receives how many. */
int store_sessions_sweep(store_conn *c, int64_t idle_before, int64_t created_before, int64_t *n);

/* An API token of an integration. */
typedef struct store_api_token {
    int64_t id, tenant_id;
    char name[64];
    char prefix[16]; /* the part shown in lists, not a secret */
    unsigned char token_hash[STORE_HASH_BYTES];
    uint32_t scopes;      /* web/auth.h AUTH_SCOPE_* bits */
    int64_t created_by;   /* the user who made it */
    int64_t created_at;   /* Unix ms */
    int64_t last_used_at; /* 0 = never */
    int64_t revoked_at;   /* 0 = live */
} store_api_token;

/* Stores T (tenant_id, name, prefix, token_hash, scopes, created_by; a zero
 * created_at takes the clock) and sets t->id. HARK_EEXISTS when the name is
 * taken in the tenant (or the hash anywhere), HARK_ENOTFOUND when
 * created_by is not a user of the tenant, HARK_EINVAL for an empty name or
 * prefix or no scope. */
int store_api_token_create(store_conn *c, store_api_token *t);

/* The token whose secret hashes to HASH, revoked or not, into OUT. Not scoped
 * by tenant (see above). HARK_ENOTFOUND when there is none. */
int store_api_token_by_hash(store_conn *c, const unsigned char hash[STORE_HASH_BYTES], store_api_token *out);

/* Records that token ID was used at NOW (last_used_at, never moved back).
 * 0 also when nothing changed. */
int store_api_token_touch(store_conn *c, int64_t tenant_id, int64_t id, int64_t now);

#endif
