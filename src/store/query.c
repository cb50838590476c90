/* The backend-neutral side of portable statements (store_int.h, "portable
 * statements"): opening with typed binds, running to the end, reading one
 * integer, and copying text columns. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store_int.h"

/* Binds the values in AP as TYPES says. HARK_EINVAL for an unknown letter
 * (a programming error: nothing is run). */
static int bind_all(store_q *q, const char *types, va_list ap) {
    for (const char *t = types; t && *t; t++) {
        switch (*t) {
        case 'i': q->be->q_bind_i64(q, va_arg(ap, int64_t)); break;
        case 'd': q->be->q_bind_f64(q, va_arg(ap, double)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            q->be->q_bind_text(q, s, s ? strlen(s) : 0);
            break;
        }
        case 'S': {
            const char *s = va_arg(ap, const char *);
            size_t n = va_arg(ap, size_t);
            q->be->q_bind_text(q, s, n);
            break;
        }
        default: return HARK_EINVAL;
        }
    }
    return HARK_OK;
}

static int open_bound(store_conn *c, const store_sql *sql, store_q **out, const char *types, va_list ap) {
    *out = NULL;
    if (!c || !sql) return HARK_EINVAL;
    store_q *q;
    int rc = c->be->q_open(c, sql, &q);
    if (rc) return rc;
    rc = bind_all(q, types, ap);
    if (rc) return q->be->q_close(q, rc);
    *out = q;
    return HARK_OK;
}

int store__q(store_conn *c, const store_sql *sql, store_q **out, const char *types, ...) {
    va_list ap;
    va_start(ap, types);
    int rc = open_bound(c, sql, out, types, ap);
    va_end(ap);
    return rc;
}

int store__q_exec(store_conn *c, const store_sql *sql, int64_t *changes, const char *types, ...) {
    store_q *q;
    va_list ap;
    va_start(ap, types);
    int rc = open_bound(c, sql, &q, types, ap);
    va_end(ap);
    if (changes) *changes = 0;
    if (rc) return rc;
    while ((rc = q->be->q_step(q)) == 1) {
    }
    if (rc == 0 && changes) *changes = q->be->q_changes(q);
    return q->be->q_close(q, rc);
}

int store__q_int(store_conn *c, const store_sql *sql, int64_t *out, const char *types, ...) {
    store_q *q;
    va_list ap;
    va_start(ap, types);
    int rc = open_bound(c, sql, &q, types, ap);
    va_end(ap);
    *out = 0;
    if (rc) return rc;
    rc = q->be->q_step(q);
    if (rc == 1) *out = q->be->q_i64(q, 0);
    if (rc == 0) rc = HARK_ENOTFOUND;
    return q->be->q_close(q, rc);
}

int store__q_field(store_q *q, int col, char *dst, size_t cap) {
    size_t n = 0;
    const char *s = q->be->q_text(q, col, &n);
    if (n >= cap) {
        dst[0] = '\0';
        return HARK_ETOOBIG;
    }
    if (n) memcpy(dst, s, n);
    dst[n] = '\0';
    return HARK_OK;
}

int store__q_dup(store_q *q, int col, char **out) {
    size_t n = 0;
    const char *s = q->be->q_text(q, col, &n);
    char *p = malloc(n + 1);
    *out = p;
    if (!p) return HARK_ENOMEM;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return HARK_OK;
}
