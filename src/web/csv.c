/* The CSV reader (csv.h): splitting and unquoting only. One pass of a
 * pointer over the caller's buffer; each record is written into storage the
 * reader allocated when it was made, the first field_keep bytes of each of
 * the first fields_keep fields, so a record of any size costs no memory.
 * Not here: what the fields mean, UTF-8 checks, writing CSV. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "web/csv.h"

struct csv_reader {
    const char *data, *end; /* the caller's bytes */
    const char *p;          /* the next byte to read */
    size_t line;            /* the line of *P */
    csv_opts o;
    csv_error_fn *on_error;
    void *arg;
    csv_record rec;
    csv_field *fields; /* fields_keep of them */
    char *text;        /* fields_keep values of field_keep + 1 bytes */
};

void csv_opts_default(csv_opts *o) {
    o->field_keep = 256;
    o->fields_keep = 64;
}

int csv_reader_new(const char *data, size_t len, const csv_opts *o, csv_error_fn *on_error, void *arg,
                   csv_reader **out) {
    csv_opts d;
    *out = NULL;
    if (!o) {
        csv_opts_default(&d);
        o = &d;
    }
    if (!o->field_keep || !o->fields_keep) return HARK_EINVAL;
    if (o->field_keep >= SIZE_MAX / o->fields_keep || o->fields_keep > SIZE_MAX / sizeof(csv_field)) return HARK_ENOMEM;
    csv_reader *r = calloc(1, sizeof *r);
    if (!r) return HARK_ENOMEM;
    r->o = *o;
    r->on_error = on_error;
    r->arg = arg;
    r->fields = malloc(o->fields_keep * sizeof *r->fields);
    r->text = malloc(o->fields_keep * (o->field_keep + 1));
    if (!r->fields || !r->text) {
        csv_reader_free(r);
        return HARK_ENOMEM;
    }
    r->rec.fields = r->fields;
    /* A pointer into "" rather than NULL + 0, which is undefined. */
    r->data = len ? data : "";
    r->end = r->data + len;
    csv_reader_rewind(r);
    *out = r;
    return HARK_OK;
}

void csv_reader_rewind(csv_reader *r) {
    r->p = r->data;
    r->line = 1;
    if (r->end - r->data >= 3 && !memcmp(r->data, "\xEF\xBB\xBF", 3)) r->p += 3;
}

void csv_reader_free(csv_reader *r) {
    if (!r) return;
    free(r->fields);
    free(r->text);
    free(r);
}

int csv_record_blank(const csv_record *rec) {
    return rec->nfields == 1 && rec->fields[0].len == 0 && !rec->fields[0].quoted;
}

const char *csv_strerror(csv_error err) {
    switch (err) {
    case CSV_EUNCLOSED: return "a quoted field is not closed: the file ends inside it";
    case CSV_ESTRAYQUOTE: return "a quote in an unquoted field (quote the whole field, doubling the quote)";
    case CSV_EAFTERQUOTE: return "text after the closing quote of a quoted field";
    }
    return "unknown CSV error";
}

static void report(csv_reader *r, csv_error err, size_t line, size_t column) {
    r->rec.nerrors++;
    if (r->on_error) r->on_error(r->arg, err, line, column);
}

/* At a record's end: LF, CRLF, or a CR that ends the data. */
static int at_eol(const csv_reader *r) {
    return r->p < r->end && (*r->p == '\n' || (*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n')));
}

static int at_field_end(const csv_reader *r) {
    return r->p == r->end || *r->p == ',' || at_eol(r);
}

/* Appends CH to a value: DST (NULL for a field that is not kept) holds the
 * first field_keep bytes; *N counts them all. */
static void put(const csv_reader *r, char *dst, size_t *n, char ch) {
    if (dst && *n < r->o.field_keep) dst[*n] = ch;
    (*n)++;
}

/* Reads the field at R->p, the COLUMN-th of its record, into F and DST (both
 * may be scratch for a field that is not kept), leaving R->p on the comma or
 * line end after it, or at the end of the data. */
static void read_field(csv_reader *r, size_t column, csv_field *f, char *dst) {
    size_t n = 0;
    f->line = r->line;
    f->column = column;
    f->quoted = 0;
    if (r->p < r->end && *r->p == '"') {
        f->quoted = 1;
        r->p++;
        for (;;) {
            if (r->p == r->end) {
                report(r, CSV_EUNCLOSED, f->line, column);
                break; /* at the end, so at a field's end: nothing follows */
            }
            char ch = *r->p++;
            if (ch == '"') {
                if (r->p < r->end && *r->p == '"') {
                    r->p++;
                    put(r, dst, &n, '"');
                    continue;
                }
                break;
            }
            if (ch == '\n') r->line++;
            put(r, dst, &n, ch);
        }
        if (!at_field_end(r)) {
            report(r, CSV_EAFTERQUOTE, r->line, column);
            while (!at_field_end(r)) put(r, dst, &n, *r->p++);
        }
    } else {
        int stray = 0;
        while (!at_field_end(r)) {
            if (*r->p == '"' && !stray) {
                report(r, CSV_ESTRAYQUOTE, r->line, column);
                stray = 1;
            }
            put(r, dst, &n, *r->p++);
        }
    }
    if (dst) dst[n < r->o.field_keep ? n : r->o.field_keep] = '\0';
    f->text = dst;
    f->len = n;
}

const csv_record *csv_reader_next(csv_reader *r) {
    csv_record *rec = &r->rec;
    if (r->p >= r->end) return NULL;
    rec->line = r->line;
    rec->nfields = rec->nkept = rec->nerrors = 0;
    for (;;) {
        size_t idx = rec->nfields++;
        int kept = idx < r->o.fields_keep;
        csv_field scratch;
        read_field(r, idx + 1, kept ? &r->fields[idx] : &scratch, kept ? r->text + idx * (r->o.field_keep + 1) : NULL);
        if (kept) rec->nkept = idx + 1;
        rec->end_line = r->line;
        if (r->p >= r->end) return rec;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p == '\r') r->p++;
        if (r->p < r->end) r->p++; /* the LF */
        r->line++;
        return rec;
    }
}
