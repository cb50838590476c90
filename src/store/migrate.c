/* The migration runner (store_migrate, store_schema_version): applies the
 * embedded migrations (migrations.c) in version order, each in its own write
 * transaction together with its row in schema_migrations, after expanding the
 * {{NAME}} placeholders with the backend's texts. Backend-neutral; a backend
 * whose write transactions do not serialise on their own provides
 * migrate_lock (PostgreSQL: an advisory lock). */
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "store/store_int.h"

#define MIGRATION_MAX_BYTES (1024 * 1024)

/* Identical on every backend, so it needs no placeholder. */
static const char schema_migrations_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                            " version INTEGER PRIMARY KEY,"
                                            " name TEXT NOT NULL,"
                                            " applied_at BIGINT NOT NULL)";

/* Copies SQL into OUT with every {{NAME}} replaced by the backend's text.
 * HARK_EINVAL names an unknown placeholder in ERR. */
static int expand(const struct store_backend *be, const char *sql, buf *out, char *err, size_t errlen) {
    const char *p = sql;
    int rc = HARK_OK;
    for (;;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            rc = buf_append(out, p, strlen(p));
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            store__err(err, errlen, "unterminated placeholder in migration");
            rc = HARK_EINVAL;
            break;
        }
        rc = buf_append(out, p, (size_t)(open - p));
        if (rc) break;
        size_t len = (size_t)(close - open - 2);
        const struct store_subst *sub = be->subst;
        while (sub->name && (strlen(sub->name) != len || strncmp(sub->name, open + 2, len) != 0)) sub++;
        if (!sub->name) {
            store__err(err, errlen, "unknown placeholder {{%.*s}} in migration", (int)len, open + 2);
            rc = HARK_EINVAL;
            break;
        }
        rc = buf_append(out, sub->value, strlen(sub->value));
        if (rc) break;
        p = close + 2;
    }
    return rc;
}

/* Applies migration M unless it is recorded already; *DONE = 1 if applied. */
static int apply_one(store *s, const struct store_migration *m, int *done, char *err, size_t errlen) {
    store_conn *c = s->main;
    int applied = 0;
    buf sql;
    buf_init(&sql, MIGRATION_MAX_BYTES);
    *done = 0;
    int rc = store__tx_begin(c, STORE_TX_WRITE);
    if (rc) {
        store__err(err, errlen, "cannot begin a transaction for migration %d (%s)", m->version, hark_strerror(rc));
        goto out;
    }
    if (s->be->migrate_lock) rc = s->be->migrate_lock(c);
    if (rc == HARK_OK) rc = s->be->migration_applied(c, m->version, &applied);
    if (rc == HARK_OK && !applied) {
        rc = expand(s->be, m->sql, &sql, err, errlen);
        if (rc == HARK_OK) rc = s->be->exec_script(c, sql.data);
        if (rc == HARK_OK) rc = s->be->migration_record(c, m->version, m->name, hark_now_ms());
    }
    if (rc) {
        if (!err[0]) store__err(err, errlen, "migration %d (%s) failed: %s", m->version, m->name, hark_strerror(rc));
        store__tx_rollback(c);
        goto out;
    }
    rc = store__tx_commit(c);
    if (rc) {
        store__err(err, errlen, "cannot commit migration %d (%s): %s", m->version, m->name, hark_strerror(rc));
        goto out;
    }
    *done = !applied;
    if (*done) log_info("store: applied migration %d (%s)", m->version, m->name);
out:
    buf_free(&sql);
    return rc;
}

int store_migrate(store *s, int *applied, char *err, size_t errlen) {
    store_conn *c = s->main;
    int count = 0, rc;
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (applied) *applied = 0;
    if (s->started || c->in_tx) return HARK_EINVAL;

    rc = store__tx_begin(c, STORE_TX_WRITE);
    if (rc == HARK_OK && s->be->migrate_lock) rc = s->be->migrate_lock(c);
    if (rc == HARK_OK) rc = s->be->exec_script(c, schema_migrations_sql);
    if (rc == HARK_OK)
        rc = store__tx_commit(c);
    else
        store__tx_rollback(c);
    if (rc) {
        store__err(err, errlen, "cannot create the schema_migrations table (%s)", hark_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < store_migrations_count; i++) {
        int done;
        rc = apply_one(s, &store_migrations[i], &done, err, errlen);
        if (rc) return rc;
        count += done;
    }
    rc = s->be->schema_version(c, &s->schema_current);
    if (rc) {
        store__err(err, errlen, "cannot read the schema version (%s)", hark_strerror(rc));
        return rc;
    }
    int latest = store_migrations[store_migrations_count - 1].version;
    if (s->schema_current > latest)
        log_warn("store: database schema version %d is newer than this binary's %d", s->schema_current, latest);
    if (applied) *applied = count;
    return HARK_OK;
}

int store_schema_version(store *s, int *current, int *latest) {
    int rc = HARK_OK;
    /* After store_start the main connection belongs to the writer thread, so
     * report what store_open or store_migrate last read. */
    if (!s->started) rc = s->be->schema_version(s->main, &s->schema_current);
    *current = s->schema_current;
    *latest = store_migrations[store_migrations_count - 1].version;
    return rc;
}
