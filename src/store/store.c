/* The store's front door (store.h): options, database URLs and the choice of
 * backend, opening and closing, and explicit transactions. Domain operations
 * are dispatched in ops.c, the threads live in jobs.c and migrations in
 * migrate.c; nothing here knows SQL. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/store_int.h"

/* Database URL schemes and the backend serving each. PostgreSQL joins this
 * table with pg.c. */
static const struct {
    const char *prefix;
    const struct store_backend *be;
} backends[] = {
    {"sqlite:", &store_sqlite_backend},
};

void store_opts_default(store_opts *o) {
    memset(o, 0, sizeof *o);
    o->url = NULL;
    o->read_url = NULL;
    o->durability = STORE_DURABLE_FULL;
    o->readers = 2;
    o->batch_max = 1024;
    o->queue_max = 100000;
}

void store__err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Splits URL into its backend and a newly allocated target (the rest of the
 * URL; "sqlite:///abs" and "sqlite:/abs" both name /abs). Returns 0,
 * HARK_EINVAL with a message, or HARK_ENOMEM. */
static int parse_url(const char *what, const char *url, const struct store_backend **be, char **target, char *err,
                     size_t errlen) {
    if (!url || !*url) {
        store__err(err, errlen, "%s is empty", what);
        return HARK_EINVAL;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t n = strlen(backends[i].prefix);
        if (strncmp(url, backends[i].prefix, n) != 0) continue;
        const char *rest = url + n;
        if (strncmp(rest, "//", 2) == 0) rest += 2;
        if (!*rest) {
            store__err(err, errlen, "%s names no database file (expected sqlite:PATH)", what);
            return HARK_EINVAL;
        }
        if (strcmp(rest, ":memory:") == 0 || strncmp(rest, "file:", 5) == 0) {
            /* Each connection would see its own private database. */
            store__err(err, errlen, "%s: in-memory and URI databases are not supported; give a file path", what);
            return HARK_EINVAL;
        }
        *target = strdup(rest);
        if (!*target) return HARK_ENOMEM;
        *be = backends[i].be;
        return HARK_OK;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        store__err(err, errlen, "%s: PostgreSQL is not supported by this build yet", what);
        return HARK_EINVAL;
    }
    store__err(err, errlen, "%s has an unknown scheme (expected sqlite:PATH)", what);
    return HARK_EINVAL;
}

int store_open(const store_opts *o, store **out, char *err, size_t errlen) {
    int rc;
    const struct store_backend *read_be = NULL;
    store *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return HARK_ENOMEM;
    s->opts = *o;
    s->opts.url = s->opts.read_url = NULL;
    if (s->opts.readers <= 0) s->opts.readers = 2;
    if (s->opts.batch_max <= 0) s->opts.batch_max = 1024;
    if (s->opts.queue_max == 0) s->opts.queue_max = 100000;
    if (s->opts.durability < STORE_DURABLE_FULL || s->opts.durability > STORE_DURABLE_OFF) {
        store__err(err, errlen, "unknown durability level %d", s->opts.durability);
        rc = HARK_EINVAL;
        goto fail;
    }
    rc = parse_url("db_url", o->url, &s->be, &s->target, err, errlen);
    if (rc) goto fail;
    if (o->read_url && *o->read_url) {
        rc = parse_url("db_read_url", o->read_url, &read_be, &s->read_target, err, errlen);
        if (rc) goto fail;
        if (read_be != s->be) {
            store__err(err, errlen, "db_read_url must use the same database kind as db_url");
            rc = HARK_EINVAL;
            goto fail;
        }
    } else {
        s->read_target = strdup(s->target);
        if (!s->read_target) {
            rc = HARK_ENOMEM;
            goto fail;
        }
    }
    rc = store__jobs_init(s);
    if (rc) {
        store__err(err, errlen, "cannot create the store's locks");
        goto fail;
    }
    rc = s->be->conn_open(s, s->target, 0, &s->main, err, errlen);
    if (rc) goto fail;
    rc = s->be->schema_version(s->main, &s->schema_current);
    if (rc) {
        store__err(err, errlen, "cannot read the schema version (%s)", hark_strerror(rc));
        goto fail;
    }
    *out = s;
    return HARK_OK;
fail:
    store_close(s);
    return rc;
}

store_conn *store_main_conn(store *s) {
    return s->started ? NULL : s->main;
}

void store_close(store *s) {
    if (!s) return;
    if (s->started && !s->joined) store_stop(s);
    if (s->main) s->be->conn_close(s->main);
    s->main = NULL;
    if (s->started && !s->async_closed) {
        /* The loop still references s->async: freeing s would leave it
         * dangling, so keep the memory (see store_stop's contract). */
        log_error("store: store_close before the loop ran after store_stop; leaking the store");
        return;
    }
    store__jobs_free(s);
    free(s->target);
    free(s->read_target);
    free(s);
}

int store__tx_begin(store_conn *c, enum store_tx_mode mode) {
    int rc = c->be->begin(c, mode);
    if (rc == HARK_OK) c->in_tx = 1;
    return rc;
}

int store__tx_commit(store_conn *c) {
    int rc = c->be->commit(c);
    if (rc != HARK_OK && c->be->tx_active(c)) c->be->rollback(c);
    c->in_tx = 0;
    return rc;
}

int store__tx_rollback(store_conn *c) {
    int rc = c->be->tx_active(c) ? c->be->rollback(c) : HARK_OK;
    c->in_tx = 0;
    return rc;
}

int store_begin(store_conn *c) {
    if (!c || c->in_tx) return HARK_EINVAL;
    return store__tx_begin(c, STORE_TX_WRITE);
}

int store_commit(store_conn *c) {
    if (!c || !c->in_tx || c->managed) return HARK_EINVAL;
    return store__tx_commit(c);
}

int store_rollback(store_conn *c) {
    if (!c || !c->in_tx || c->managed) return HARK_EINVAL;
    return store__tx_rollback(c);
}
