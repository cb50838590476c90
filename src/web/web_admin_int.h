/* Private to the administration routes (web_admin.c: the route table, users
 * and the helpers below; web_admin_settings.c: tenant settings;
 * web_admin_tokens.c: API tokens and the audit log). */
#ifndef HARK_WEB_ADMIN_INT_H
#define HARK_WEB_ADMIN_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "web/web_api.h"

/* A refusal decided inside a store job (a rank rule, a clash, a value only
 * the stored row can judge): the job fills it and returns ADMIN_REFUSED, so
 * the job's savepoint is rolled back and its done callback answers with it. */
typedef struct admin_refusal {
    int status;       /* 0: none */
    const char *code; /* static */
    char message[256];
} admin_refusal;

#define ADMIN_REFUSED HARK_EINVAL

/* Fills R and returns ADMIN_REFUSED. */
int admin_refuse(admin_refusal *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Ends CALL: with R's answer when it holds one, else by web_reply_status
 * for a nonzero STATUS. Returns 1 when it answered (CALL freed), else 0. */
int admin_reply_failure(web_call *call, const admin_refusal *r, int status);

/* Answers one page of a list: {KEY: [ITEM(ROWS, 0) ...], CURSOR: LAST_ID or
 * null}. N rows were read for a page of LIMIT (LIMIT + 1 were asked for:
 * one more means another page follows, from the id of the last one shown,
 * LAST_ID(ROWS, LIMIT - 1)). Frees nothing but CALL. */
void admin_reply_page(web_call *call, const char *key, const char *cursor, const void *rows, size_t n, size_t limit,
                      json_t *(*item)(const void *rows, size_t i), int64_t (*last_id)(const void *rows, size_t i));

/* Answers 400 bad_request with a formatted message naming the field. */
void admin_bad_request(web_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the keyset page parameters of a list: CURSOR (a positive id, e.g.
 * "after" or "before"; 0 when absent) and limit (1..ADMIN_PAGE_MAX, default
 * DEF). 0, or nonzero after answering 400. */
#define ADMIN_PAGE_MAX 200
int admin_page_params(web_call *call, const char *cursor, int64_t *cursor_id, size_t def, size_t *limit);

/* A Unix-ms time as JSON: the integer, or null for 0 (never). */
json_t *admin_time(int64_t ms);

/* Handlers of the other files. */
void admin_settings_get(web_call *call);
void admin_settings_patch(web_call *call);
void admin_tokens_list(web_call *call);
void admin_tokens_create(web_call *call);
void admin_tokens_revoke(web_call *call);
void admin_audit_list(web_call *call);

#endif
