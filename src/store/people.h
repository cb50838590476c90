/* people: the admin panel's operations on employees (issue 5, "Admin panel:
 * Employees"): a filtered, searched, keyset-paged list with the size of the
 * whole filtered set, one employee with the admin's fields, an edit that
 * guards the unique keys, and the erasure of a person's data. Written once,
 * in portable statements (store_int.h). Not here: the CSV import
 * (web/import.h), checking the values of an edit (the caller's, with the
 * import's rules), roles and answers (web/web_people.c). */
#ifndef HARK_STORE_PEOPLE_H
#define HARK_STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* An employee as the admin panel sees it. */
typedef struct store_person {
    store_employee e;
    int64_t erased_at;  /* Unix ms; 0 = not erased */
    int64_t created_at; /* Unix ms */
    int64_t updated_at; /* Unix ms */
} store_person;

/* Which employees a list holds. Strings may be NULL or "" for "any". */
typedef struct store_people_filter {
    const char *q;          /* a substring of the email, of "first_name last_name" or of the external id, ASCII
                               letters compared without regard to case; erased employees never match */
    const char *department; /* exact */
    const char *location;   /* exact */
    const char *status;     /* exact: active, inactive, left */
    int scoped;             /* keep only the departments in DEPTS (an hrbp); none when DEPTS is empty */
    const char *depts;      /* newline-separated department names (store_user.departments) */
} store_people_filter;

/* Up to MAX employees of the tenant that F keeps, with id > AFTER_ID, in id
 * order, into OUT (*N gets how many), and in *TOTAL (may be NULL) how many F
 * keeps in all, whatever AFTER_ID and MAX. Both read in the caller's
 * transaction (one snapshot in a read job). 0 or a store code; HARK_EINVAL
 * for a bad argument. */
int store_people_list(store_conn *c, int64_t tenant_id, const store_people_filter *f, int64_t after_id,
                      store_person *out, size_t max, size_t *n, int64_t *total);

/* Employee ID of the tenant, erased or not, into OUT. HARK_ENOTFOUND when
 * the tenant has no such employee. */
int store_person_get(store_conn *c, int64_t tenant_id, int64_t id, store_person *out);

/* Stores E's editable fields (external_id, email, names, department,
 * location, manager_email, dates, timezone, status; checked by the caller)
 * on employee E->id of tenant E->tenant_id and moves updated_at. An email
 * that differs from the stored one other than in ASCII case must not be
 * another employee's (case ignored), a new non-empty external_id must not be
 * another's: else HARK_EEXISTS, nothing written, and *CONFLICT (may be NULL)
 * is "email" or "external_id". HARK_ENOTFOUND when the employee is not in
 * the tenant or has been erased; HARK_EINVAL for an empty email or an
 * unknown status. */
int store_person_update(store_conn *c, const store_employee *e, const char **conflict);

/* What an erasure changed. */
typedef struct store_erasure {
    int already;              /* the employee was erased before: nothing changed */
    int64_t conversations;    /* conversations whose variables were emptied */
    int64_t messages;         /* messages whose text was emptied */
    int64_t outbox_cancelled; /* pending invite and reminder emails cancelled */
} store_erasure;

/* Erases employee ID of the tenant, in one transaction (the caller's, or its
 * own): the email becomes "erased-ID@invalid" (unique, and no address any
 * mail could go to), external_id, names and manager_email become "", status
 * 'left', erased_at NOW; the text of every message of their conversations
 * (the bot's too: it greets them by name) becomes "" and the conversations'
 * variables (which hold text answers) "{}"; their pending invite and
 * reminder emails are cancelled and the mail servers' replies kept on their
 * invites and emails (which may quote the address) are cleared. Kept: the
 * department, location, dates and time zone (the anonymous figures are cut
 * by them), invites, conversations, the number of messages, sentiment
 * scores, flags, answers' numbers, escalations and rollups. An employee
 * erased before is left alone (OUT->already). HARK_ENOTFOUND when the
 * tenant has no such employee. */
int store_person_erase(store_conn *c, int64_t tenant_id, int64_t id, int64_t now, store_erasure *out);

#endif
