/* The employee CSV import (import.h). Two passes over the file: the first
 * reads and checks every row without touching the database and collects the
 * problems; only a file without problems gets the second pass, which reads
 * the rows again and writes them in one transaction. Reading twice costs
 * little (the file is in memory) and keeps memory small: the rows themselves
 * are never held, only the keys that must be unique (email, external_id).
 * Not here: the CSV syntax (web/csv.h), the email address check
 * (core/email.h), the HTTP upload and the command line (they call this). */
#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/email.h"
#include "core/err.h"
#include "core/tz.h"
#include "core/utf8.h"
#include "web/csv.h"
#include "web/import.h"

void import_opts_default(import_opts *o) {
    o->max_bytes = (size_t)64 << 20;
    o->max_rows = 1000000;
    o->max_problems = 100;
}

void import_report_free(import_report *rep) {
    free(rep->problems);
    memset(rep, 0, sizeof *rep);
}

/* ---- the columns ---- */

enum column {
    COL_EXTERNAL_ID,
    COL_EMAIL,
    COL_FIRST_NAME,
    COL_LAST_NAME,
    COL_DEPARTMENT,
    COL_LOCATION,
    COL_MANAGER_EMAIL,
    COL_HIRE_DATE,
    COL_EXIT_DATE,
    COL_TIMEZONE,
    NCOLUMNS
};

#define EMP_FIELD(name) offsetof(store_employee, name), sizeof(((store_employee *)0)->name)

/* Each column, the store_employee field it fills and the longest value it
 * takes in bytes (the field's size less its NUL; EMAIL_MAX for addresses). */
static const struct {
    const char *name;
    size_t off, size, max;
} columns[NCOLUMNS] = {
    [COL_EXTERNAL_ID] = {"external_id", EMP_FIELD(external_id), 63},
    [COL_EMAIL] = {"email", EMP_FIELD(email), EMAIL_MAX},
    [COL_FIRST_NAME] = {"first_name", EMP_FIELD(first_name), 63},
    [COL_LAST_NAME] = {"last_name", EMP_FIELD(last_name), 63},
    [COL_DEPARTMENT] = {"department", EMP_FIELD(department), 63},
    [COL_LOCATION] = {"location", EMP_FIELD(location), 63},
    [COL_MANAGER_EMAIL] = {"manager_email", EMP_FIELD(manager_email), EMAIL_MAX},
    [COL_HIRE_DATE] = {"hire_date", EMP_FIELD(hire_date), 10},
    [COL_EXIT_DATE] = {"exit_date", EMP_FIELD(exit_date), 10},
    [COL_TIMEZONE] = {"timezone", EMP_FIELD(timezone), 63},
};

static char *emp_field(store_employee *e, enum column c) {
    return (char *)e + columns[c].off;
}

static const char *emp_cfield(const store_employee *e, enum column c) {
    return (const char *)e + columns[c].off;
}

/* What the CSV reader keeps (web/csv.h). Of one field: more bytes than any
 * column takes, so a longer value is known to be too long (its full length
 * is still counted). Of one row: the header may name at most this many
 * columns. */
#define FIELD_KEEP 256
#define FIELDS_MAX 64

/* A set of strings (emails, external ids) with one number each (the line
 * where the file first has it, or the employee's id), hashed with SipHash
 * under a random key so that a file cannot force collisions. The key bytes
 * live in ARENA, which is bounded. */
struct keyset {
    struct key {
        uint64_t hash;
        int64_t value;
        uint32_t off, len;
    } * keys;
    size_t n, cap;
    uint32_t *slots; /* index + 1 into keys; 0 = empty */
    size_t nslots;   /* a power of two, at least twice n */
    buf arena;
    unsigned char sipkey[crypto_shorthash_KEYBYTES];
};

struct ctx {
    import_opts o;
    import_report *rep;
    const char *data;
    size_t len;
    int oom;                 /* the problem list could not be allocated */
    int col_at[NCOLUMNS];    /* the field index of each column, -1 when absent */
    size_t ncols;            /* fields in the header */
    csv_reader *csv;         /* over DATA, LEN; its quoting mistakes are problems */
    struct keyset emails;    /* pass 1: lower-cased emails of the file -> line */
    struct keyset externals; /* pass 1: external ids of the file -> line; pass 2: the stored ones -> id */
};

static void problem(struct ctx *x, size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct ctx *x, size_t line, size_t column, const char *fmt, ...) {
    import_report *r = x->rep;
    r->nproblems++;
    if (r->nkept >= x->o.max_problems) return;
    if (!r->problems) {
        r->problems = calloc(x->o.max_problems, sizeof *r->problems);
        if (!r->problems) {
            x->oom = 1;
            return;
        }
    }
    import_problem *p = &r->problems[r->nkept++];
    p->line = line;
    p->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

/* The CSV reader's mistakes (csv_error_fn), with its words. */
static void csv_problem(void *arg, csv_error err, size_t line, size_t column) {
    problem(arg, line, column, "%s", csv_strerror(err));
}

/* ---- key sets ---- */

static void keyset_init(struct keyset *s, size_t arena_max) {
    memset(s, 0, sizeof *s);
    buf_init(&s->arena, arena_max);
    randombytes_buf(s->sipkey, sizeof s->sipkey);
}

static void keyset_free(struct keyset *s) {
    free(s->keys);
    free(s->slots);
    buf_free(&s->arena);
    memset(s, 0, sizeof *s);
}

static uint64_t keyset_hash(const struct keyset *s, const char *k, size_t len) {
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, (const unsigned char *)k, len, s->sipkey);
    memcpy(&v, h, sizeof v);
    return v;
}

/* The entry holding K, or NULL. */
static struct key *keyset_find(struct keyset *s, const char *k, size_t len) {
    if (!s->nslots) return NULL;
    uint64_t h = keyset_hash(s, k, len);
    for (size_t i = h & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
        if (!s->slots[i]) return NULL;
        struct key *e = &s->keys[s->slots[i] - 1];
        if (e->hash == h && e->len == len && !memcmp(s->arena.data + e->off, k, len)) return e;
    }
}

static void keyset_place(struct keyset *s, uint32_t index) {
    size_t i = s->keys[index].hash & (s->nslots - 1);
    while (s->slots[i]) i = (i + 1) & (s->nslots - 1);
    s->slots[i] = index + 1;
}

/* Adds K (not present) with VALUE: 0, HARK_ENOMEM or HARK_ETOOBIG. */
static int keyset_add(struct keyset *s, const char *k, size_t len, int64_t value) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        if (cap > UINT32_MAX - 1) return HARK_ETOOBIG;
        struct key *keys = realloc(s->keys, cap * sizeof *keys);
        if (!keys) return HARK_ENOMEM;
        s->keys = keys;
        s->cap = cap;
    }
    if ((s->n + 1) * 2 > s->nslots) {
        size_t nslots = s->nslots ? s->nslots * 2 : 2048;
        uint32_t *slots = calloc(nslots, sizeof *slots);
        if (!slots) return HARK_ENOMEM;
        free(s->slots);
        s->slots = slots;
        s->nslots = nslots;
        for (size_t i = 0; i < s->n; i++) keyset_place(s, (uint32_t)i);
    }
    size_t off = s->arena.len;
    if (len > UINT32_MAX - off) return HARK_ETOOBIG;
    int rc = buf_append(&s->arena, k, len);
    if (rc) return rc;
    struct key *e = &s->keys[s->n];
    e->hash = keyset_hash(s, k, len);
    e->value = value;
    e->off = (uint32_t)off;
    e->len = (uint32_t)len;
    keyset_place(s, (uint32_t)s->n++);
    return HARK_OK;
}

/* ---- checking values ---- */

/* The header: one known column name per field, each once, and email. */
static int read_header(struct ctx *x) {
    const csv_record *r = csv_reader_next(x->csv);
    for (int c = 0; c < NCOLUMNS; c++) x->col_at[c] = -1;
    if (!r) {
        problem(x, 1, 1, "the file is empty: its first line must name the columns");
        return HARK_EINVAL;
    }
    size_t before = x->rep->nproblems;
    x->ncols = r->nfields;
    if (r->nfields > r->nkept)
        problem(x, r->line, FIELDS_MAX + 1, "the header has %zu columns; the known ones are 10", r->nfields);
    for (size_t i = 0; i < r->nkept && !r->nerrors; i++) {
        const csv_field *f = &r->fields[i];
        const char *name = f->text;
        size_t n = f->len < FIELD_KEEP ? f->len : FIELD_KEEP;
        while (n && name[0] == ' ') {
            name++;
            n--;
        }
        while (n && name[n - 1] == ' ') n--;
        int found = -1;
        for (int c = 0; c < NCOLUMNS; c++)
            if (strlen(columns[c].name) == n && !strncasecmp(columns[c].name, name, n)) found = c;
        if (n == 0) {
            problem(x, f->line, i + 1, "column %zu of the header has no name", i + 1);
        } else if (found < 0) {
            if (n <= 40 && !utf8_text_problem(name, n))
                problem(x, f->line, i + 1,
                        "unknown column '%.*s' (known: external_id, email, first_name, "
                        "last_name, department, location, manager_email, hire_date, exit_date, timezone)",
                        (int)n, name);
            else
                problem(x, f->line, i + 1, "unknown column");
        } else if (x->col_at[found] >= 0) {
            problem(x, f->line, i + 1, "column %s appears twice (also column %d)", columns[found].name,
                    x->col_at[found] + 1);
        } else {
            x->col_at[found] = (int)i;
        }
    }
    if (x->rep->nproblems == before && x->col_at[COL_EMAIL] < 0)
        problem(x, r->line, 1, "the header has no email column (it is required)");
    return x->rep->nproblems == before ? HARK_OK : HARK_EINVAL;
}

/* Checks data row R (pass 1) and remembers its keys. Returns 0 or
 * HARK_ENOMEM / HARK_ETOOBIG (key sets); problems go to the report. */
static int check_row(struct ctx *x, const csv_record *r) {
    int64_t hire_day = 0, exit_day = 0;
    int have_hire = 0, have_exit = 0, rc;
    if (r->nfields != x->ncols) {
        /* At the first missing field (on the row's last line) or at the
         * first extra one (kept: the header has at most NCOLUMNS fields). */
        size_t line = r->nfields < x->ncols ? r->end_line : r->fields[x->ncols].line;
        size_t col = r->nfields < x->ncols ? r->nfields + 1 : x->ncols + 1;
        problem(x, line, col, "this row has %zu fields; the header has %zu", r->nfields, x->ncols);
        return HARK_OK;
    }
    if (r->nerrors) return HARK_OK;
    for (int c = 0; c < NCOLUMNS; c++) {
        if (x->col_at[c] < 0) continue;
        const csv_field *f = &r->fields[x->col_at[c]];
        size_t col = f->column;
        const char *why, *name = columns[c].name;
        if (f->len > columns[c].max) {
            problem(x, f->line, col, "%s is %zu bytes long; at most %zu fit", name, f->len, columns[c].max);
            continue;
        }
        if ((why = utf8_text_problem(f->text, f->len))) {
            problem(x, f->line, col, "%s %s", name, why);
            continue;
        }
        switch (c) {
        case COL_EMAIL:
            if (f->len == 0) {
                problem(x, f->line, col, "email is empty (every row needs one)");
                break;
            }
            /* fall through */
        case COL_MANAGER_EMAIL:
            if (f->len && (why = email_problem(f->text, f->len)))
                problem(x, f->line, col, "%s is not an email address: it %s", name, why);
            break;
        case COL_HIRE_DATE:
        case COL_EXIT_DATE: {
            int64_t days;
            if (f->len == 0) break;
            if (tz_date_parse(f->text, &days)) {
                problem(x, f->line, col, "%s '%s' is not a date of the form YYYY-MM-DD (a real day, year 1000-9999)",
                        name, f->text);
                break;
            }
            if (c == COL_HIRE_DATE) {
                hire_day = days;
                have_hire = 1;
            } else {
                exit_day = days;
                have_exit = 1;
            }
            break;
        }
        case COL_TIMEZONE: {
            const hark_tz *z;
            if (f->len == 0) break;
            rc = tz_get(f->text, &z);
            if (rc == HARK_EBUSY)
                problem(x, f->line, col, "timezone '%s' cannot be checked: too many different time zones", f->text);
            else if (rc)
                problem(x, f->line, col, "timezone '%s' is not a known IANA time zone (e.g. Europe/Paris)", f->text);
            break;
        }
        default: break;
        }
    }
    if (have_hire && have_exit && exit_day < hire_day) {
        const csv_field *f = &r->fields[x->col_at[COL_EXIT_DATE]];
        problem(x, f->line, f->column, "exit_date is before hire_date");
    }

    const csv_field *em = &r->fields[x->col_at[COL_EMAIL]];
    if (em->len && em->len <= columns[COL_EMAIL].max) {
        char low[FIELD_KEEP];
        for (size_t i = 0; i < em->len; i++) low[i] = (char)tolower((unsigned char)em->text[i]);
        const struct key *k = keyset_find(&x->emails, low, em->len);
        if (k)
            problem(x, em->line, em->column, "email is also on line %lld (each employee once)", (long long)k->value);
        else if ((rc = keyset_add(&x->emails, low, em->len, (int64_t)em->line)))
            return rc;
    }
    if (x->col_at[COL_EXTERNAL_ID] >= 0) {
        const csv_field *ex = &r->fields[x->col_at[COL_EXTERNAL_ID]];
        if (ex->len && ex->len <= columns[COL_EXTERNAL_ID].max) {
            const struct key *k = keyset_find(&x->externals, ex->text, ex->len);
            if (k)
                problem(x, ex->line, ex->column, "external_id is also on line %lld (each employee once)",
                        (long long)k->value);
            else if ((rc = keyset_add(&x->externals, ex->text, ex->len, (int64_t)ex->line)))
                return rc;
        }
    }
    return HARK_OK;
}

/* Pass 1: the bounds, the header and every row. HARK_EINVAL or HARK_ETOOBIG
 * when the file has problems. */
static int check_file(struct ctx *x) {
    int rc;
    if (x->len > x->o.max_bytes) {
        problem(x, 1, 1, "the file is %zu bytes; at most %zu are accepted", x->len, x->o.max_bytes);
        return HARK_ETOOBIG;
    }
    csv_reader_rewind(x->csv);
    if ((rc = read_header(x))) return rc;
    for (;;) {
        const csv_record *r = csv_reader_next(x->csv);
        if (!r) break;
        if (csv_record_blank(r)) continue;
        if (++x->rep->rows > x->o.max_rows) {
            problem(x, r->line, 1, "the file has more than %zu rows", x->o.max_rows);
            return HARK_ETOOBIG;
        }
        if ((rc = check_row(x, r))) return rc;
    }
    if (x->oom) return HARK_ENOMEM;
    return x->rep->nproblems ? HARK_EINVAL : HARK_OK;
}

/* ---- writing ---- */

static int employee_equal(const store_employee *a, const store_employee *b) {
    for (int c = 0; c < NCOLUMNS; c++)
        if (strcmp(emp_cfield(a, c), emp_cfield(b, c))) return 0;
    return !strcmp(a->status, b->status);
}

/* Loads the tenant's external ids (id by external id) into x->externals:
 * finding a row's employee by external id is a lookup there. */
static int load_externals(struct ctx *x, store_conn *c, int64_t tenant_id) {
    enum { PAGE = 256 };
    int64_t count, after = 0;
    int rc = store_employee_count(c, tenant_id, &count);
    if (rc) return rc;
    keyset_free(&x->externals);
    keyset_init(&x->externals, (size_t)count * sizeof(((store_employee *)0)->external_id) + 1);
    store_employee *page = malloc(PAGE * sizeof *page);
    if (!page) return HARK_ENOMEM;
    for (;;) {
        size_t n;
        if ((rc = store_employee_list(c, tenant_id, after, page, PAGE, &n))) break;
        for (size_t i = 0; i < n && !rc; i++)
            if (page[i].external_id[0])
                rc = keyset_add(&x->externals, page[i].external_id, strlen(page[i].external_id), page[i].id);
        if (rc || n < PAGE) break;
        after = page[n - 1].id;
    }
    free(page);
    return rc;
}

/* Writes row R (checked in pass 1). Problems that only the database shows
 * (an email held by another employee) are reported; other failures are
 * returned. */
static int write_row(struct ctx *x, store_conn *c, int64_t tenant_id, const csv_record *r) {
    store_employee row, old, e;
    int have_old = 0, rc;
    memset(&row, 0, sizeof row);
    for (int col = 0; col < NCOLUMNS; col++)
        if (x->col_at[col] >= 0)
            memcpy(emp_field(&row, col), r->fields[x->col_at[col]].text, r->fields[x->col_at[col]].len + 1);
    const csv_field *em = &r->fields[x->col_at[COL_EMAIL]];
    size_t email_col = em->column;

    /* The employee store_employee_upsert will update, if any. */
    const struct key *k =
        row.external_id[0] ? keyset_find(&x->externals, row.external_id, strlen(row.external_id)) : NULL;
    if (k) {
        rc = store_employee_get(c, tenant_id, k->value, &old);
        if (rc && rc != HARK_ENOTFOUND) return rc;
        have_old = rc == HARK_OK;
    }
    if (!have_old) {
        rc = store_employee_by_email(c, tenant_id, row.email, &old);
        if (rc && rc != HARK_ENOTFOUND) return rc;
        have_old = rc == HARK_OK;
        if (have_old && row.external_id[0] && old.external_id[0]) {
            problem(x, em->line, email_col, "email belongs to an employee with another external_id");
            return HARK_OK;
        }
    }

    if (have_old) {
        e = old;
        for (int col = 0; col < NCOLUMNS; col++) {
            if (x->col_at[col] < 0 || (col == COL_EXTERNAL_ID && !row.external_id[0])) continue;
            memcpy(emp_field(&e, col), emp_field(&row, col), columns[col].size);
        }
        if (employee_equal(&e, &old)) {
            x->rep->unchanged++;
            return HARK_OK;
        }
    } else {
        e = row;
    }
    e.tenant_id = tenant_id;
    rc = store_employee_upsert(c, &e);
    if (rc == HARK_EEXISTS) {
        problem(x, em->line, email_col, "email is already used by another employee of this tenant");
        return HARK_OK;
    }
    if (rc) return rc;
    if (have_old)
        x->rep->updated++;
    else
        x->rep->inserted++;
    return HARK_OK;
}

/* Pass 2, inside the caller's transaction. */
static int write_file(struct ctx *x, store_conn *c, int64_t tenant_id) {
    store_tenant t;
    int rc = store_tenant_get(c, tenant_id, &t);
    if (rc) return rc;
    if (x->col_at[COL_EXTERNAL_ID] >= 0 && (rc = load_externals(x, c, tenant_id))) return rc;
    csv_reader_rewind(x->csv);
    csv_reader_next(x->csv); /* the header */
    for (;;) {
        const csv_record *r = csv_reader_next(x->csv);
        if (!r) break;
        if (csv_record_blank(r)) continue;
        if ((rc = write_row(x, c, tenant_id, r))) return rc;
    }
    if (x->oom) return HARK_ENOMEM;
    return x->rep->nproblems ? HARK_EINVAL : HARK_OK;
}

static int ctx_init(struct ctx *x, const char *data, size_t len, const import_opts *o, import_report *rep) {
    csv_opts co = {.field_keep = FIELD_KEEP, .fields_keep = FIELDS_MAX};
    memset(x, 0, sizeof *x);
    memset(rep, 0, sizeof *rep);
    if (o)
        x->o = *o;
    else
        import_opts_default(&x->o);
    x->rep = rep;
    x->data = len ? data : "";
    x->len = len;
    if (sodium_init() < 0) return HARK_ENOMEM;
    /* Every key is a part of the file. */
    keyset_init(&x->emails, len + 1);
    keyset_init(&x->externals, len + 1);
    return csv_reader_new(x->data, x->len, &co, csv_problem, x, &x->csv);
}

static int ctx_finish(struct ctx *x, int rc) {
    keyset_free(&x->emails);
    keyset_free(&x->externals);
    csv_reader_free(x->csv);
    if (rc) x->rep->inserted = x->rep->updated = x->rep->unchanged = 0;
    return rc;
}

int import_employees_in_tx(store_conn *c, int64_t tenant_id, const char *data, size_t len, const import_opts *o,
                           import_report *rep) {
    struct ctx x;
    int rc = ctx_init(&x, data, len, o, rep);
    if (rc == HARK_OK) rc = check_file(&x);
    if (rc == HARK_OK) rc = write_file(&x, c, tenant_id);
    return ctx_finish(&x, rc);
}

int import_employees(store_conn *c, int64_t tenant_id, const char *data, size_t len, const import_opts *o,
                     import_report *rep) {
    struct ctx x;
    int rc = ctx_init(&x, data, len, o, rep);
    if (rc == HARK_OK) rc = check_file(&x);
    /* The transaction starts only once the file is known to be good: a bad
     * file never takes the write lock. */
    if (rc == HARK_OK) rc = store_begin(c);
    if (rc == HARK_OK) {
        rc = write_file(&x, c, tenant_id);
        if (rc == HARK_OK)
            rc = store_commit(c);
        else
            store_rollback(c);
    }
    return ctx_finish(&x, rc);
}
