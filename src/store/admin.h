/* Store operations for tenant administration (the admin API, web_admin.c,
 * and `hark user add`): HR users and their roles, the tenant's anonymity
 * and confidentiality settings and time zone, and the list and revocation of
 * API tokens. Sign-in itself (finding a user by e-mail, sessions, creating
 * and finding tokens) stays in store.h "HR sign-in"; the schedule in
 * store_tenant_set_schedule; the audit log in audit.h.
 *
 * Every operation is scoped by tenant_id: an id of another tenant is
 * HARK_ENOTFOUND and changes nothing. Written once in portable statements
 * (store_int.h). Writes run in their own transaction, or in a savepoint of
 * the caller's (a store write job), and change nothing when they fail. */
#ifndef HARK_STORE_ADMIN_H
#define HARK_STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The anonymity threshold k a tenant may choose (tenants.anon_k). */
#define STORE_ANON_K_MIN 3
#define STORE_ANON_K_MAX 50
/* The longest department name in a user's scope (employees' department
 * field holds 63 bytes). */
#define STORE_DEPARTMENT_MAX 63

/* An HR account as administration sees it: never its password hash. */
typedef struct store_admin_user {
    int64_t id, tenant_id;
    char email[256];
    char role[16];          /* owner, admin, hrbp, viewer */
    char departments[1024]; /* an hrbp's scope: names joined by '\n'; "" for the others */
    int64_t created_at;     /* Unix ms */
    int64_t disabled_at;    /* Unix ms; 0 = active */
} store_admin_user;

/* 1 when TEXT is a valid stored department scope: "" or names of 1 to
 * STORE_DEPARTMENT_MAX bytes joined by '\n', each without control
 * characters and none twice, the whole fitting store_admin_user.departments. */
int store_admin_departments_ok(const char *text);

/* Creates a user of the tenant with e-mail EMAIL, the argon2id hash PWHASH,
 * ROLE and DEPARTMENTS (store_admin_departments_ok; "" unless ROLE is hrbp)
 * created at NOW (0: the clock), and fills OUT (may be NULL). HARK_EEXISTS
 * when the tenant has a user with this e-mail in any ASCII case (sign-in
 * ignores case), HARK_EINVAL for an unknown role, an empty e-mail or hash or
 * a bad department scope, HARK_ETOOBIG when a string does not fit. */
int store_admin_user_create(store_conn *c, int64_t tenant_id, const char *email, const char *pwhash, const char *role,
                            const char *departments, int64_t now, store_admin_user *out);

/* The tenant's user ID into OUT. HARK_ENOTFOUND when there is none. */
int store_admin_user_get(store_conn *c, int64_t tenant_id, int64_t id, store_admin_user *out);

/* Up to MAX users of the tenant with id > AFTER_ID, in id order, into OUT;
 * *N gets how many. */
int store_admin_user_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_admin_user *out, size_t max,
                          size_t *n);

/* Changes user ID: ROLE (NULL keeps it), DEPARTMENTS (NULL keeps them) and
 * DISABLED (-1 keeps it, 0 enables, 1 disables at NOW unless already
 * disabled). Sessions are the caller's to end (store_sessions_delete_user).
 * HARK_ENOTFOUND when the user is not in the tenant, HARK_EINVAL for an
 * unknown role or a bad department scope. */
int store_admin_user_update(store_conn *c, int64_t tenant_id, int64_t id, const char *role, const char *departments,
                            int disabled, int64_t now);

/* How many enabled owners the tenant has, into *N. */
int store_admin_active_owners(store_conn *c, int64_t tenant_id, int64_t *n);

/* The tenant settings stored beside the schedule. */
typedef struct store_admin_settings {
    char timezone[64];        /* IANA name (checked by the caller: core/tz.h) */
    int anon_k;               /* STORE_ANON_K_MIN..STORE_ANON_K_MAX */
    char confidentiality[16]; /* "anonymous" or "confidential" */
} store_admin_settings;

int store_admin_settings_get(store_conn *c, int64_t tenant_id, store_admin_settings *out);
/* Replaces the three settings. HARK_EINVAL for an empty time zone, a k out
 * of range or an unknown mode; HARK_ENOTFOUND when there is no such tenant. */
int store_admin_settings_set(store_conn *c, int64_t tenant_id, const store_admin_settings *s);

/* Up to MAX API tokens of the tenant with id > AFTER_ID, in id order, into
 * OUT (token_hash left zero: it never leaves the store here); *N gets how
 * many. */
int store_admin_token_list(store_conn *c, int64_t tenant_id, int64_t after_id, store_api_token *out, size_t max,
                           size_t *n);

/* Token ID of the tenant into OUT (token_hash left zero). HARK_ENOTFOUND
 * when there is none. */
int store_admin_token_get(store_conn *c, int64_t tenant_id, int64_t id, store_api_token *out);

/* Revokes token ID at NOW (revoked_at; an already revoked token keeps its
 * time, and *CHANGED, if not NULL, is then 0). HARK_ENOTFOUND when the
 * tenant has no such token. */
int store_admin_token_revoke(store_conn *c, int64_t tenant_id, int64_t id, int64_t now, int *changed);

#endif
