/* API tokens and the audit log (web_admin_int.h): GET, POST and DELETE
 * /api/v1/tokens for signed-in owners and admins, and GET /api/v1/audit.
 *
 * A token's text is made on the loop (auth_apitoken_new: random bytes, no
 * blocking), stored as its SHA-256 and a display prefix, and appears in the
 * one answer that creates it, never in a list, a log or an audit row.
 * Revoking keeps the row (revoked_at) so lists and the audit log still name
 * it; a revoked token is refused at its next request (401). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/admin.h"
#include "store/audit.h"
#include "web/web_admin_int.h"

#define TOKEN_BODY_MAX 4096

/* The scope names of SCOPES as a JSON array (new reference), or NULL. */
static json_t *scopes_json(uint32_t scopes) {
    char text[AUTH_SCOPES_TEXT_MAX];
    json_t *a = json_array();
    if (!a || auth_scopes_format(scopes, text, sizeof text)) {
        json_decref(a);
        return NULL;
    }
    for (const char *s = text; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        json_array_append_new(a, json_stringn(s, n));
        if (!e) break;
        s = e + 1;
    }
    return a;
}

static json_t *token_json(const store_api_token *t) {
    json_t *scopes = scopes_json(t->scopes);
    if (!scopes) return NULL;
    return json_pack("{s:I,s:s,s:s,s:o,s:I,s:I,s:o,s:o}", "id", (json_int_t)t->id, "name", t->name, "prefix", t->prefix,
                     "scopes", scopes, "created_by", (json_int_t)t->created_by, "created_at", (json_int_t)t->created_at,
                     "last_used_at", admin_time(t->last_used_at), "revoked_at", admin_time(t->revoked_at));
}

static json_t *token_json_item(const void *rows, size_t i) {
    return token_json((const store_api_token *)rows + i);
}

static int64_t token_json_id(const void *rows, size_t i) {
    return ((const store_api_token *)rows)[i].id;
}

/* ---- list ---- */

typedef struct tokens_list_job {
    web_call *call;
    int64_t after;
    size_t limit, n;
    store_api_token rows[ADMIN_PAGE_MAX + 1];
} tokens_list_job;

static int tokens_list_work(store_conn *c, void *arg) {
    tokens_list_job *j = arg;
    return store_admin_token_list(c, j->call->p.tenant_id, j->after, j->rows, j->limit + 1, &j->n);
}

static void tokens_list_done(void *arg, int status) {
    tokens_list_job *j = arg;
    web_call *call = j->call;
    if (admin_reply_failure(call, NULL, status)) {
        free(j);
        return;
    }
    admin_reply_page(call, "tokens", "next_after", j->rows, j->n, j->limit, token_json_item, token_json_id);
    free(j);
}

void admin_tokens_list(web_call *call) {
    tokens_list_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (admin_page_params(call, "after", &j->after, 100, &j->limit)) {
        free(j);
        return;
    }
    if (web_call_submit(call, STORE_READ, tokens_list_work, tokens_list_done, j)) free(j);
}

/* ---- create and revoke ---- */

typedef struct token_job {
    web_call *call;
    admin_refusal no;
    store_api_token t;
    char secret[AUTH_APITOKEN_MAX]; /* create: shown once */
    int changed;                    /* revoke: it was live */
} token_job;

static void token_job_free(token_job *j) {
    sodium_memzero(j, sizeof *j);
    free(j);
}

static void token_done(void *arg, int status) {
    token_job *j = arg;
    web_call *call = j->call;
    if (admin_reply_failure(call, &j->no, status)) {
        token_job_free(j);
        return;
    }
    json_t *root = token_json(&j->t);
    if (root && j->secret[0] && json_object_set_new(root, "token", json_string(j->secret))) {
        json_decref(root);
        root = NULL;
    }
    if (!root) {
        web_reply_error(call, 500, "internal", "the answer could not be written");
    } else {
        log_conn(LOG_INFO, http_conn_id(call->req), "web: API token %lld of tenant %lld %s by user %lld",
                 (long long)j->t.id, (long long)call->p.tenant_id, j->secret[0] ? "created" : "revoked",
                 (long long)call->p.user_id);
        web_reply_value(call, j->secret[0] ? 201 : 200, root);
        json_t *tok = json_object_get(root, "token");
        if (tok) sodium_memzero((char *)json_string_value(tok), json_string_length(tok));
        json_decref(root);
    }
    token_job_free(j);
}

static int create_work(store_conn *c, void *arg) {
    token_job *j = arg;
    const web_principal *p = &j->call->p;
    char target[32];
    j->t.tenant_id = p->tenant_id;
    j->t.created_by = p->user_id;
    int rc = store_api_token_create(c, &j->t);
    if (rc == HARK_EEXISTS)
        return admin_refuse(&j->no, 409, "conflict", "name: the tenant has a token with this name already");
    if (rc) return rc;
    /* Read back for created_at and the rest, as lists show it. */
    if ((rc = store_admin_token_get(c, p->tenant_id, j->t.id, &j->t))) return rc;
    snprintf(target, sizeof target, "token:%lld", (long long)j->t.id);
    json_t *d =
        json_pack("{s:s,s:s,s:o}", "name", j->t.name, "prefix", j->t.prefix, "scopes", scopes_json(j->t.scopes));
    if (!d) return HARK_ENOMEM;
    rc = web_audit(c, p, "token.create", target, d);
    json_decref(d);
    return rc;
}

void admin_tokens_create(web_call *call) {
    char msg[256];
    const char *bad = NULL, *key;
    json_t *v, *it;
    size_t i;
    json_t *root = web_call_body(call, TOKEN_BODY_MAX);
    if (!root) return;
    token_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(root);
        web_reply_busy(call);
        return;
    }
    j->call = call;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "name") != 0 && strcmp(key, "scopes") != 0) {
            snprintf(msg, sizeof msg, "%.64s: unknown field (name, scopes)", key);
            bad = msg;
            break;
        }
    }
    v = json_object_get(root, "name");
    if (!bad) {
        size_t n = json_is_string(v) ? json_string_length(v) : 0;
        const char *s = json_string_value(v);
        int ok = n >= 1 && n < sizeof j->t.name;
        for (size_t k = 0; ok && k < n; k++)
            if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) ok = 0;
        if (!ok) {
            snprintf(msg, sizeof msg, "name: must be 1 to %zu bytes without control characters", sizeof j->t.name - 1);
            bad = msg;
        } else {
            memcpy(j->t.name, s, n + 1);
        }
    }
    v = json_object_get(root, "scopes");
    if (!bad && (!json_is_array(v) || json_array_size(v) == 0))
        bad = "scopes: must be a non-empty array of scope names (read:dashboard, read:comments, read:employees, "
              "write:employees, read:escalations, write:escalations, read:audit)";
    if (!bad) {
        json_array_foreach(v, i, it) {
            uint32_t one = 0;
            const char *s = json_string_value(it);
            if (!s || strchr(s, ',') || strlen(s) != json_string_length(it) ||
                auth_scopes_parse(s, &one, NULL, 0) != HARK_OK) {
                snprintf(msg, sizeof msg, "scopes[%zu]: not a scope name", i);
                bad = msg;
                break;
            }
            j->t.scopes |= one;
        }
    }
    json_decref(root);
    if (bad) {
        token_job_free(j);
        admin_bad_request(call, "%s", bad);
        return;
    }
    char prefix[AUTH_APITOKEN_PREFIX_MAX];
    auth_apitoken_new(j->secret, prefix, j->t.token_hash);
    memcpy(j->t.prefix, prefix, sizeof prefix);
    if (web_call_submit(call, STORE_WRITE, create_work, token_done, j)) token_job_free(j);
}

static int revoke_work(store_conn *c, void *arg) {
    token_job *j = arg;
    const web_principal *p = &j->call->p;
    char target[32];
    int rc = store_admin_token_revoke(c, p->tenant_id, j->call->id, 0, &j->changed);
    if (!rc) rc = store_admin_token_get(c, p->tenant_id, j->call->id, &j->t);
    if (rc || !j->changed) return rc; /* revoking twice: the same answer, one audit row */
    snprintf(target, sizeof target, "token:%lld", (long long)j->t.id);
    json_t *d = json_pack("{s:s,s:s}", "name", j->t.name, "prefix", j->t.prefix);
    if (!d) return HARK_ENOMEM;
    rc = web_audit(c, p, "token.revoke", target, d);
    json_decref(d);
    return rc;
}

void admin_tokens_revoke(web_call *call) {
    token_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (web_call_submit(call, STORE_WRITE, revoke_work, token_done, j)) token_job_free(j);
}

/* ---- the audit log ---- */

#define AUDIT_ACTION_MAX 63

typedef struct audit_job {
    web_call *call;
    int64_t before;
    size_t limit, n;
    char action[AUDIT_ACTION_MAX + 1];
    store_audit rows[ADMIN_PAGE_MAX + 1];
} audit_job;

static int audit_work(store_conn *c, void *arg) {
    audit_job *j = arg;
    return store_audit_list(c, j->call->p.tenant_id, j->before, j->action, j->rows, j->limit + 1, &j->n);
}

static json_t *audit_json(const store_audit *a) {
    json_t *detail = json_loads(a->detail, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(detail)) {
        json_decref(detail);
        detail = json_object();
    }
    return json_pack("{s:I,s:I,s:o,s:o,s:s,s:s,s:o}", "id", (json_int_t)a->id, "at", (json_int_t)a->at, "user_id",
                     a->user_id ? json_integer((json_int_t)a->user_id) : json_null(), "token_id",
                     a->token_id ? json_integer((json_int_t)a->token_id) : json_null(), "action", a->action, "target",
                     a->target, "detail", detail);
}

static json_t *audit_json_item(const void *rows, size_t i) {
    return audit_json((const store_audit *)rows + i);
}

static int64_t audit_json_id(const void *rows, size_t i) {
    return ((const store_audit *)rows)[i].id;
}

static void audit_done(void *arg, int status) {
    audit_job *j = arg;
    web_call *call = j->call;
    if (admin_reply_failure(call, NULL, status)) {
        free(j);
        return;
    }
    admin_reply_page(call, "entries", "next_before", j->rows, j->n, j->limit, audit_json_item, audit_json_id);
    free(j);
}

void admin_audit_list(web_call *call) {
    audit_job *j = calloc(1, sizeof *j);
    if (!j) {
        web_reply_busy(call);
        return;
    }
    j->call = call;
    if (admin_page_params(call, "before", &j->before, 50, &j->limit)) {
        free(j);
        return;
    }
    int rc = web_call_param(call, "action", j->action, sizeof j->action);
    if (rc == HARK_EINVAL) {
        free(j);
        return;
    }
    if (web_call_submit(call, STORE_READ, audit_work, audit_done, j)) free(j);
}
