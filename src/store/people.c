/* The admin panel's employee operations (people.h), in portable statements.
 *
 * An hrbp's department scope is applied in SQL, exactly (department IN a
 * list of bound names), so the total and the keyset pages agree with what
 * web_dept_allowed lets them open. A statement binds at most SCOPE_SLOTS
 * names; a longer scope is read in slices, which cannot overlap (each
 * employee has one department), so their counts add up and their pages
 * merge by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/people.h"
#include "store/store_int.h"

#define PERSON_COLS                                                                                                    \
    "id, tenant_id, external_id, email, first_name, last_name, department, location, manager_email, hire_date, "       \
    "exit_date, timezone, status, coalesce(erased_at, 0), created_at, updated_at"

#define SCOPE_SLOTS 32
#define SLOTS8      "?, ?, ?, ?, ?, ?, ?, ?"
#define SLOTS32     SLOTS8 ", " SLOTS8 ", " SLOTS8 ", " SLOTS8

/* Binds (in bind_filter's order): tenant, department x2, location x2,
 * status x2, the LIKE pattern x4, scoped, SCOPE_SLOTS names. */
#define FILTER_WHERE                                                                                                   \
    "WHERE tenant_id = ? AND (? = '' OR department = ?) AND (? = '' OR location = ?) AND (? = '' OR status = ?) "      \
    "AND (? = '' OR (erased_at IS NULL AND (lower(email) LIKE ? ESCAPE '\\' "                                          \
    "OR lower(first_name || ' ' || last_name) LIKE ? ESCAPE '\\' OR lower(external_id) LIKE ? ESCAPE '\\'))) "         \
    "AND (? = 0 OR department IN (" SLOTS32 "))"

static const store_sql Q_LIST = {"people_list", "SELECT " PERSON_COLS " FROM employees " FILTER_WHERE
                                                " AND id > ? ORDER BY id LIMIT ?"};
static const store_sql Q_COUNT = {"people_count", "SELECT count(*) FROM employees " FILTER_WHERE};
static const store_sql Q_GET = {"person_get", "SELECT " PERSON_COLS " FROM employees WHERE tenant_id = ? AND id = ?"};
static const store_sql Q_EMAIL_TAKEN = {
    "person_email_taken", "SELECT id FROM employees WHERE tenant_id = ? AND lower(email) = lower(?) AND id <> ?"};
static const store_sql Q_EXTERNAL_TAKEN = {
    "person_external_taken", "SELECT id FROM employees WHERE tenant_id = ? AND external_id = ? AND id <> ?"};
static const store_sql Q_UPDATE = {
    "person_update", "UPDATE employees SET external_id = ?, email = ?, first_name = ?, last_name = ?, department = ?, "
                     "location = ?, manager_email = ?, hire_date = ?, exit_date = ?, timezone = ?, status = ?, "
                     "updated_at = ? WHERE tenant_id = ? AND id = ? AND erased_at IS NULL"};

/* Erasure. Each names the employee by (tenant_id, id); the subqueries stay
 * in the tenant. */
static const store_sql Q_ERASE_EMPLOYEE = {
    "erase_employee", "UPDATE employees SET email = ?, external_id = '', first_name = '', last_name = '', "
                      "manager_email = '', status = 'left', erased_at = ?, updated_at = ? "
                      "WHERE tenant_id = ? AND id = ? AND erased_at IS NULL"};
static const store_sql Q_ERASE_MESSAGES = {
    "erase_messages", "UPDATE messages SET text = '' WHERE tenant_id = ? AND text <> '' AND conversation_id IN "
                      "(SELECT c.id FROM conversations c JOIN invites i ON i.tenant_id = c.tenant_id "
                      "AND i.id = c.invite_id WHERE c.tenant_id = ? AND i.employee_id = ?)"};
static const store_sql Q_ERASE_VARS = {"erase_conversation_vars",
                                       "UPDATE conversations SET vars_json = '{}' WHERE tenant_id = ? AND invite_id IN "
                                       "(SELECT id FROM invites WHERE tenant_id = ? AND employee_id = ?)"};
static const store_sql Q_ERASE_OUTBOX = {
    "erase_outbox_cancel",
    "UPDATE outbox SET status = 'cancelled', last_error = 'employee erased', updated_at = ? "
    "WHERE tenant_id = ? AND status = 'pending' AND kind IN ('invite', 'reminder') AND ref_id IN "
    "(SELECT id FROM invites WHERE tenant_id = ? AND employee_id = ?)"};
static const store_sql Q_ERASE_OUTBOX_ERRORS = {
    "erase_outbox_errors", "UPDATE outbox SET last_error = '' WHERE tenant_id = ? AND status <> 'cancelled' "
                           "AND last_error <> '' AND kind IN ('invite', 'reminder') AND ref_id IN "
                           "(SELECT id FROM invites WHERE tenant_id = ? AND employee_id = ?)"};
static const store_sql Q_ERASE_INVITE_ERRORS = {
    "erase_invite_errors",
    "UPDATE invites SET last_error = '' WHERE tenant_id = ? AND employee_id = ? AND last_error <> ''"};

static const char *const statuses[] = {"active", "inactive", "left", NULL};

/* ---- reading ---- */

static int read_person(store_q *q, store_person *p) {
    store_employee *e = &p->e;
    int rc;
    memset(p, 0, sizeof *p);
    e->id = store__q_i64(q, 0);
    e->tenant_id = store__q_i64(q, 1);
    rc = STORE_Q_FIELD(q, 2, e->external_id);
    if (!rc) rc = STORE_Q_FIELD(q, 3, e->email);
    if (!rc) rc = STORE_Q_FIELD(q, 4, e->first_name);
    if (!rc) rc = STORE_Q_FIELD(q, 5, e->last_name);
    if (!rc) rc = STORE_Q_FIELD(q, 6, e->department);
    if (!rc) rc = STORE_Q_FIELD(q, 7, e->location);
    if (!rc) rc = STORE_Q_FIELD(q, 8, e->manager_email);
    if (!rc) rc = STORE_Q_FIELD(q, 9, e->hire_date);
    if (!rc) rc = STORE_Q_FIELD(q, 10, e->exit_date);
    if (!rc) rc = STORE_Q_FIELD(q, 11, e->timezone);
    if (!rc) rc = STORE_Q_FIELD(q, 12, e->status);
    p->erased_at = store__q_i64(q, 13);
    p->created_at = store__q_i64(q, 14);
    p->updated_at = store__q_i64(q, 15);
    return rc;
}

int store_person_get(store_conn *c, int64_t tenant_id, int64_t id, store_person *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__q(c, &Q_GET, &q, "ii", tenant_id, id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) rc = read_person(q, out);
    return store__q_close(q, rc);
}

/* ---- the list ---- */

/* The filter as bound: every string non-NULL, the search as a LIKE
 * pattern, the scope split into names. */
struct bound_filter {
    const char *department, *location, *status;
    char *pattern; /* owned; "" when there is no search */
    int scoped;
    const char **names; /* owned array; the names point into NAMEBUF */
    size_t nnames;
    char *namebuf; /* owned */
};

static const char *or_empty(const char *s) {
    return s ? s : "";
}

/* "%Q%" with Q's ASCII letters lowered and LIKE's '%', '_' and '\' escaped. */
static char *like_pattern(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(2 * n + 3), *o = p;
    if (!p) return NULL;
    if (n == 0) {
        *p = '\0';
        return p;
    }
    *o++ = '%';
    for (; *s; s++) {
        char ch = *s;
        if (ch == '%' || ch == '_' || ch == '\\') *o++ = '\\';
        *o++ = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

/* Splits the newline-separated DEPTS into distinct non-empty names. */
static int split_scope(struct bound_filter *b, const char *depts) {
    size_t n = strlen(depts), cap = 1;
    for (size_t i = 0; i < n; i++) cap += depts[i] == '\n';
    b->namebuf = malloc(n + 1);
    b->names = malloc(cap * sizeof *b->names);
    if (!b->namebuf || !b->names) return HARK_ENOMEM;
    memcpy(b->namebuf, depts, n + 1);
    for (char *s = b->namebuf; s;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        int seen = !*s;
        for (size_t i = 0; i < b->nnames && !seen; i++) seen = !strcmp(b->names[i], s);
        if (!seen) b->names[b->nnames++] = s;
        s = nl ? nl + 1 : NULL;
    }
    return HARK_OK;
}

static void bound_filter_free(struct bound_filter *b) {
    free(b->pattern);
    free(b->names);
    free(b->namebuf);
}

static int bound_filter_init(struct bound_filter *b, const store_people_filter *f) {
    memset(b, 0, sizeof *b);
    b->department = or_empty(f->department);
    b->location = or_empty(f->location);
    b->status = or_empty(f->status);
    b->scoped = f->scoped != 0;
    b->pattern = like_pattern(or_empty(f->q));
    if (!b->pattern) return HARK_ENOMEM;
    return b->scoped ? split_scope(b, or_empty(f->depts)) : HARK_OK;
}

static void bind_text(store_q *q, const char *s) {
    q->be->q_bind_text(q, s, s ? strlen(s) : 0);
}

/* Binds FILTER_WHERE's values, with the names [FIRST, FIRST + SCOPE_SLOTS)
 * of the scope (NULL in the slots past its end: IN never matches NULL). */
static void bind_filter(store_q *q, int64_t tenant_id, const struct bound_filter *b, size_t first) {
    q->be->q_bind_i64(q, tenant_id);
    bind_text(q, b->department);
    bind_text(q, b->department);
    bind_text(q, b->location);
    bind_text(q, b->location);
    bind_text(q, b->status);
    bind_text(q, b->status);
    for (int i = 0; i < 4; i++) bind_text(q, b->pattern);
    q->be->q_bind_i64(q, b->scoped);
    for (size_t i = first; i < first + SCOPE_SLOTS; i++) bind_text(q, i < b->nnames ? b->names[i] : NULL);
}

/* One slice of the scope (or the whole tenant when not scoped): its count
 * added to *TOTAL, its first MAX rows after AFTER_ID into OUT (*N). */
static int list_slice(store_conn *c, int64_t tenant_id, const struct bound_filter *b, size_t first, int64_t after_id,
                      store_person *out, size_t max, size_t *n, int64_t *total) {
    store_q *q;
    int rc;
    *n = 0;
    if (total) {
        if ((rc = store__q(c, &Q_COUNT, &q, ""))) return rc;
        bind_filter(q, tenant_id, b, first);
        rc = store__q_step(q);
        if (rc == 1) *total += store__q_i64(q, 0);
        if ((rc = store__q_close(q, rc))) return rc;
    }
    if (max == 0) return HARK_OK;
    if ((rc = store__q(c, &Q_LIST, &q, ""))) return rc;
    bind_filter(q, tenant_id, b, first);
    q->be->q_bind_i64(q, after_id);
    q->be->q_bind_i64(q, (int64_t)max);
    while (*n < max && (rc = store__q_step(q)) == 1) {
        if ((rc = read_person(q, &out[*n]))) break;
        (*n)++;
    }
    return store__q_close(q, rc);
}

/* Merges the id-ordered A (NA rows, at most MAX) with B (NB) into A, keeping
 * the MAX lowest ids; TMP has room for MAX rows. */
static void merge_rows(store_person *a, size_t *na, const store_person *b, size_t nb, store_person *tmp, size_t max) {
    size_t i = 0, j = 0, k = 0;
    while (k < max && (i < *na || j < nb)) {
        if (j >= nb || (i < *na && a[i].e.id < b[j].e.id))
            tmp[k++] = a[i++];
        else
            tmp[k++] = b[j++];
    }
    memcpy(a, tmp, k * sizeof *a);
    *na = k;
}

int store_people_list(store_conn *c, int64_t tenant_id, const store_people_filter *f, int64_t after_id,
                      store_person *out, size_t max, size_t *n, int64_t *total) {
    struct bound_filter b;
    store_person *slice = NULL, *tmp = NULL;
    if (!c || !f || !n || (max && !out) || after_id < 0) return HARK_EINVAL;
    *n = 0;
    if (total) *total = 0;
    int rc = bound_filter_init(&b, f);
    if (rc) goto out;
    if (b.scoped && b.nnames == 0) goto out; /* an hrbp without departments sees no one */
    if (b.nnames <= SCOPE_SLOTS) {
        rc = list_slice(c, tenant_id, &b, 0, after_id, out, max, n, total);
        goto out;
    }
    if (max) {
        slice = malloc(max * sizeof *slice);
        tmp = malloc(max * sizeof *tmp);
        if (!slice || !tmp) {
            rc = HARK_ENOMEM;
            goto out;
        }
    }
    for (size_t first = 0; first < b.nnames && !rc; first += SCOPE_SLOTS) {
        size_t got = 0;
        rc = list_slice(c, tenant_id, &b, first, after_id, slice, max, &got, total);
        if (!rc && got) merge_rows(out, n, slice, got, tmp, max);
    }
out:
    free(slice);
    free(tmp);
    bound_filter_free(&b);
    if (rc) *n = 0;
    return rc;
}

/* ---- the edit ---- */

/* 0 when no other employee of the tenant than ID is found by SQL with
 * VALUE; HARK_EEXISTS when one is. */
static int key_free(store_conn *c, const store_sql *sql, int64_t tenant_id, const char *value, int64_t id) {
    int64_t other;
    int rc = store__q_int(c, sql, &other, "isi", tenant_id, value, id);
    if (rc == HARK_ENOTFOUND) return HARK_OK;
    return rc ? rc : HARK_EEXISTS;
}

static int update_checked(store_conn *c, const store_employee *e, const char **conflict) {
    store_person old;
    int64_t changes;
    int rc = store_person_get(c, e->tenant_id, e->id, &old);
    if (rc) return rc;
    if (old.erased_at) return HARK_ENOTFOUND;
    if (strcasecmp(old.e.email, e->email) && (rc = key_free(c, &Q_EMAIL_TAKEN, e->tenant_id, e->email, e->id))) {
        if (rc == HARK_EEXISTS && conflict) *conflict = "email";
        return rc;
    }
    if (e->external_id[0] && strcmp(old.e.external_id, e->external_id) &&
        (rc = key_free(c, &Q_EXTERNAL_TAKEN, e->tenant_id, e->external_id, e->id))) {
        if (rc == HARK_EEXISTS && conflict) *conflict = "external_id";
        return rc;
    }
    rc = store__q_exec(c, &Q_UPDATE, &changes, "sssssssssssiii", e->external_id, e->email, e->first_name, e->last_name,
                       e->department, e->location, e->manager_email, e->hire_date, e->exit_date, e->timezone, e->status,
                       hark_now_ms(), e->tenant_id, e->id);
    if (rc == HARK_EEXISTS && conflict) *conflict = "email"; /* the unique index, if the checks missed a case */
    if (!rc && changes == 0) rc = HARK_ENOTFOUND;
    return rc;
}

int store_person_update(store_conn *c, const store_employee *e, const char **conflict) {
    enum op_scope scope;
    if (conflict) *conflict = NULL;
    if (!c || !e) return HARK_EINVAL;
    if (!FITS(e->external_id) || !FITS(e->email) || !FITS(e->first_name) || !FITS(e->last_name) ||
        !FITS(e->department) || !FITS(e->location) || !FITS(e->manager_email) || !FITS(e->hire_date) ||
        !FITS(e->exit_date) || !FITS(e->timezone) || !FITS(e->status))
        return HARK_ETOOBIG;
    if (!e->email[0] || !store__one_of(e->status, statuses)) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    return store__op_leave(c, scope, update_checked(c, e, conflict));
}

/* ---- erasure ---- */

static int erase(store_conn *c, int64_t tenant_id, int64_t id, int64_t now, store_erasure *out) {
    store_person p;
    char email[64];
    int64_t changes;
    int rc = store_person_get(c, tenant_id, id, &p);
    if (rc) return rc;
    if (p.erased_at) {
        out->already = 1;
        return HARK_OK;
    }
    snprintf(email, sizeof email, "erased-%lld@invalid", (long long)id);
    rc = store__q_exec(c, &Q_ERASE_EMPLOYEE, &changes, "siiii", email, now, now, tenant_id, id);
    if (!rc && changes == 0) rc = HARK_ENOTFOUND;
    if (!rc) rc = store__q_exec(c, &Q_ERASE_MESSAGES, &out->messages, "iii", tenant_id, tenant_id, id);
    if (!rc) rc = store__q_exec(c, &Q_ERASE_VARS, &out->conversations, "iii", tenant_id, tenant_id, id);
    if (!rc) rc = store__q_exec(c, &Q_ERASE_OUTBOX, &out->outbox_cancelled, "iiii", now, tenant_id, tenant_id, id);
    if (!rc) rc = store__q_exec(c, &Q_ERASE_OUTBOX_ERRORS, NULL, "iii", tenant_id, tenant_id, id);
    if (!rc) rc = store__q_exec(c, &Q_ERASE_INVITE_ERRORS, NULL, "ii", tenant_id, id);
    return rc;
}

int store_person_erase(store_conn *c, int64_t tenant_id, int64_t id, int64_t now, store_erasure *out) {
    enum op_scope scope;
    store_erasure ignored;
    if (!out) out = &ignored;
    memset(out, 0, sizeof *out);
    if (!c || now <= 0) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__op_leave(c, scope, erase(c, tenant_id, id, now, out));
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}
