/* The audit log (migration 5): one row per admin action, export and view of
 * identified answers, written by the store job that does the action so the
 * two commit or roll back together. Rows name users and objects by id and
 * never hold answer text. */
#ifndef HARK_STORE_AUDIT_H
#define HARK_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct store_audit {
    int64_t id, tenant_id, at; /* at: Unix ms */
    int64_t user_id;           /* the signed-in user, 0 for an API token */
    int64_t token_id;          /* the API token, 0 for a user */
    char action[64];           /* "employee.erase", "export.responses", "user.create", ... */
    char target[128];          /* what it acted on: "employee:42", "user:7", "" */
    char detail[2048];         /* a JSON object with what changed (no personal data beyond ids) */
} store_audit;

/* Appends A (id and, when 0, at are filled in). Writes inside the caller's
 * transaction when one is open (a store write job), else in its own.
 * HARK_EINVAL for an empty action or a detail that is not "" or an object
 * ("" stores "{}"); HARK_ETOOBIG when a field does not fit. */
int store_audit_add(store_conn *c, store_audit *a);

/* Up to MAX rows of the tenant with id < BEFORE_ID (0: from the newest),
 * newest first, into OUT; *N gets how many. ACTION_PREFIX ("" or NULL for
 * all) keeps the actions that start with it. */
int store_audit_list(store_conn *c, int64_t tenant_id, int64_t before_id, const char *action_prefix, store_audit *out,
                     size_t max, size_t *n);

#endif
