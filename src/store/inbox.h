/* The store side of HR's inbox (web_inbox.c): escalations with their notes,
 * comments (text answers) selected through the rollup cells their invites
 * were counted in, and the people to meet (employees whose latest
 * conversation was low). Every query is scoped by tenant_id and walks an
 * index: no operation here reads a tenant's messages or answers from end to
 * end. Deciding what may be shown (roles, anonymity, confidentiality) is the
 * web layer's job; these functions return rows and the counts it needs.
 *
 * Record strings are NUL-terminated UTF-8 in fixed fields; a stored value
 * that does not fit is HARK_ETOOBIG, except the flagged excerpt and comment
 * text, which are cut at a character boundary (documented per field). */
#ifndef HARK_STORE_INBOX_H
#define HARK_STORE_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* What the inbox needs to know about the tenant. */
typedef struct store_inbox_tenant {
    int anon_k;        /* as stored (the caller clamps it with anon_k_clamp) */
    int confidential;  /* 1 when tenants.confidentiality = 'confidential' */
    char timezone[64]; /* IANA name */
} store_inbox_tenant;

int store_inbox_tenant_get(store_conn *c, int64_t tenant_id, store_inbox_tenant *out);

/* ---- escalations ---- */

#define STORE_INBOX_EXCERPT_MAX 1024 /* bytes of the flagged span kept (cut at a character boundary) */

typedef struct store_inbox_escalation {
    int64_t id, conversation_id, seq;
    char kind[16];
    int severity;
    char status[16];
    int64_t assignee_id;      /* 0 when unassigned */
    char assignee_email[256]; /* "" when unassigned */
    int64_t created_at, updated_at;
    char excerpt[STORE_INBOX_EXCERPT_MAX + 1]; /* the flagged span of the message ("" when erased) */
    int excerpt_cut;                           /* 1 when the span was longer than STORE_INBOX_EXCERPT_MAX */
    int64_t notes;                             /* notes on it */
    /* The employee who wrote the message (the web layer decides whether it
     * may show them). */
    int64_t employee_id;
    char first_name[64], last_name[64], email[256], department[64], location[64];
    int erased; /* the employee's personal data was erased */
    int64_t touchpoint_id;
} store_inbox_escalation;

/* Keeps a row of department DEPT: 1 to keep, 0 to skip (an hrbp's scope). */
typedef int (*store_inbox_keep_fn)(const char *dept, void *arg);

/* Up to MAX escalations of the tenant with id > AFTER_ID, in id order, with
 * status STATUS (NULL or "" for any), whose employee's department KEEP (NULL:
 * all) accepts. At most SCAN rows are read (SCAN >= MAX). When fewer than
 * MAX were kept after reading all SCAN rows, more may follow: *LAST_ID gets
 * the id of the last row read, where the next call starts; else 0. */
int store_inbox_escalation_list(store_conn *c, int64_t tenant_id, const char *status, int64_t after_id, size_t scan,
                                store_inbox_keep_fn keep, void *keep_arg, store_inbox_escalation *out, size_t max,
                                size_t *n, int64_t *last_id);

/* One escalation of the tenant: 0 or HARK_ENOTFOUND. */
int store_inbox_escalation_get(store_conn *c, int64_t tenant_id, int64_t id, store_inbox_escalation *out);

/* Sets the status (STATUS NULL: unchanged) and, when SET_ASSIGNEE, the
 * assignee (0: none) of escalation ID, and updated_at to NOW. The caller has
 * checked both. 0 or HARK_ENOTFOUND. */
int store_inbox_escalation_update(store_conn *c, int64_t tenant_id, int64_t id, const char *status, int set_assignee,
                                  int64_t assignee_id, int64_t now);

/* A user of the tenant as an assignee: *ROLE gets the role ("" and
 * HARK_ENOTFOUND when there is no such user in the tenant), *ACTIVE 1 unless
 * the account is disabled, DEPARTMENTS the scope (CAP bytes; may be NULL). */
int store_inbox_user(store_conn *c, int64_t tenant_id, int64_t user_id, char role[16], int *active, char *departments,
                     size_t cap, char email[256]);

typedef struct store_inbox_note {
    int64_t id, user_id;
    char user_email[256]; /* "" when the user is gone */
    char *text;           /* owned: store_inbox_notes_free */
    int64_t created_at;
} store_inbox_note;

/* Adds a note by USER_ID to escalation ESCALATION_ID (which the caller has
 * found in the tenant); sets *ID. */
int store_inbox_note_add(store_conn *c, int64_t tenant_id, int64_t escalation_id, int64_t user_id, const char *text,
                         int64_t now, int64_t *id);

/* The first MAX notes of the escalation, oldest first, into a new array
 * *OUT (*N of them; free with store_inbox_notes_free). */
int store_inbox_notes(store_conn *c, int64_t tenant_id, int64_t escalation_id, size_t max, store_inbox_note **out,
                      size_t *n);
void store_inbox_notes_free(store_inbox_note *notes, size_t n);

/* ---- comments ---- */

/* A filter on rollup cells: the months [FROM, TO] (yyyymm) and, when set,
 * one department, one location and one touchpoint. */
typedef struct store_inbox_filter {
    int from, to;
    const char *department; /* NULL: any */
    const char *location;   /* NULL: any */
    int64_t touchpoint_id;  /* 0: any */
} store_inbox_filter;

/* Started conversations (rollups.started) of the months of F, grouped by
 * month and by whether the cell matches each of F's conditions: the counts
 * of every view obtained by dropping conditions of F are sums of these.
 * Bits of MATCH: 1 department, 2 location, 4 touchpoint (a condition F does
 * not set never matches). */
typedef struct store_inbox_cellsum {
    int month;
    unsigned match;
    int64_t started;
} store_inbox_cellsum;

/* Up to MAX groups into OUT (*N); HARK_ETOOBIG when there are more (at most
 * 8 per month). */
int store_inbox_cellsums(store_conn *c, int64_t tenant_id, const store_inbox_filter *f, store_inbox_cellsum *out,
                         size_t max, size_t *n);

/* Sentiment classes of a comment (VADER's usual cut-offs on compound). */
#define STORE_INBOX_NEGATIVE_MAX (-0.05) /* compound <= this: negative */
#define STORE_INBOX_POSITIVE_MIN 0.05    /* compound >= this: positive */
#define STORE_INBOX_TEXT_MAX     8192    /* bytes of a comment returned (cut at a character boundary) */

/* The keyed order of comments within a month: a secret permutation of
 * (conversation, seq) computed by the database, so that the order says
 * nothing about when each comment was written. Values below
 * STORE_INBOX_ORDER_P, derived by the caller from a secret key. */
#define STORE_INBOX_ORDER_P 2147483647LL /* 2^31 - 1, prime */
typedef struct store_inbox_order {
    int64_t k[8]; /* each in [1, STORE_INBOX_ORDER_P - 1]; how they are used: inbox.c */
} store_inbox_order;

typedef struct store_inbox_comment {
    int month;
    int64_t h, h2; /* the order keys (secret: never shown) */
    int64_t touchpoint_id;
    char question_key[64];
    char *text; /* owned (store_inbox_comments_free); cut to STORE_INBOX_TEXT_MAX bytes */
    double compound;
    int64_t created_at; /* the message's time (identified views only) */
    int64_t employee_id;
    char first_name[64], last_name[64], email[256], department[64], location[64];
    int erased;
} store_inbox_comment;

/* The text answers of month MONTH among the cells of F (F's month range is
 * ignored), whose compound lies in [CMIN, CMAX], in keyed order after
 * (AFTER_H, AFTER_H2) (AFTER_H -1: from the first), up to MAX into OUT (a
 * caller's array; texts owned by the caller afterwards). */
int store_inbox_comments(store_conn *c, int64_t tenant_id, const store_inbox_filter *f, int month, double cmin,
                         double cmax, const store_inbox_order *ord, int64_t after_h, int64_t after_h2,
                         store_inbox_comment *out, size_t max, size_t *n);
void store_inbox_comments_free(store_inbox_comment *v, size_t n);

/* ---- people to meet ---- */

#define STORE_INBOX_LOW_MOOD      2.0    /* a mood answer at or below this */
#define STORE_INBOX_VERY_NEGATIVE (-0.5) /* a comment at or below this compound */

typedef struct store_inbox_person {
    int64_t employee_id, conversation_id, touchpoint_id;
    char first_name[64], last_name[64], email[256], department[64], location[64];
    char touchpoint[64];
    int64_t started_at;
    int has_mood;
    double mood; /* the low mood answer, when has_mood */
    int has_comment;
    double compound; /* the most negative comment's compound, when has_comment */
} store_inbox_person;

/* Employees (not erased) whose latest conversation started at or after
 * SINCE and holds a mood answer <= STORE_INBOX_LOW_MOOD or a text answer with
 * compound <= STORE_INBOX_VERY_NEGATIVE, newest conversation first, starting
 * after the conversation (BEFORE_AT, BEFORE_ID) (BEFORE_ID 0: from the
 * newest), whose department KEEP accepts; up to MAX into OUT. Reads a bounded
 * number of candidate answers per call; when it stops with rows left,
 * (*NEXT_AT, *NEXT_ID) is where the next call starts (else both 0). */
int store_inbox_people(store_conn *c, int64_t tenant_id, int64_t since, int64_t before_at, int64_t before_id,
                       store_inbox_keep_fn keep, void *keep_arg, store_inbox_person *out, size_t max, size_t *n,
                       int64_t *next_at, int64_t *next_id);

/* Cuts the byte span [START, START + LEN) of TEXT (TEXT_LEN bytes) into OUT
 * (CAP bytes with the NUL), moved inwards to UTF-8 character boundaries, at
 * most CAP - 1 bytes; a span out of range yields what lies inside. Returns 1
 * when the span was cut short by CAP, else 0. */
int store_inbox_excerpt(const char *text, size_t text_len, int64_t start, int64_t len, char *out, size_t cap);

#endif
