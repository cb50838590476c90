/* csv: a streaming reader of RFC 4180 CSV held in memory, one record at a
 * time, for the employee import and the dashboard's CSV files. Fields are
 * separated by commas and may be quoted with '"' (a quote inside a quoted
 * field doubled); records end with LF, CRLF, or a CR at the very end of the
 * data, and the last one needs no line end; a leading UTF-8 byte order mark
 * is skipped. A line break inside quotes belongs to the value and counts in
 * line numbers. The reader only splits and unquotes: it does not check
 * UTF-8, does not trim, and gives no meaning to a header (its caller does).
 *
 * Bounds: the reader keeps the first field_keep bytes of each field and the
 * first fields_keep fields of each record (csv_opts), and only counts the
 * rest, so a caller can refuse a value or a record by its true size. Its
 * memory is fixed when it is made; reading allocates nothing.
 *
 * Quoting mistakes are reported, each at its line and column, and reading
 * goes on: the record is still returned, its values as best read, with
 * NERRORS > 0 (see csv_error for where each is reported). */
#ifndef HARK_WEB_CSV_H
#define HARK_WEB_CSV_H

#include <stddef.h>

/* A quoting mistake. The message of each is csv_strerror's. */
typedef enum csv_error {
    CSV_EUNCLOSED = 1, /* a quoted field is still open where the data ends; at the line where the field starts.
                          It ends the data: the record is the last one */
    CSV_ESTRAYQUOTE,   /* a quote inside a field that does not start with one (once a field); at its line */
    CSV_EAFTERQUOTE,   /* text between a closing quote and the next comma or line end; at the line of that
                          quote. The text is kept, appended to the value */
} csv_error;

/* Called for each mistake, in the order of the data. LINE is 1-based and
 * counts every LF; COLUMN is the field's position in its record (1-based, as
 * a spreadsheet counts columns), also for fields past fields_keep. */
typedef void csv_error_fn(void *arg, csv_error err, size_t line, size_t column);

typedef struct csv_opts {
    size_t field_keep;  /* bytes kept of each value (256), at least 1 */
    size_t fields_keep; /* fields kept of each record (64), at least 1 */
} csv_opts;

typedef struct csv_field {
    const char *text; /* the value, unquoted, cut to field_keep bytes and NUL-terminated; owned by the reader */
    size_t len;       /* the value's full length in bytes (more than field_keep: TEXT is cut) */
    size_t line;      /* where the field starts (1-based) */
    size_t column;    /* its position in the record (1-based) */
    int quoted;       /* 1 when it was written in quotes */
} csv_field;

typedef struct csv_record {
    size_t line;             /* where the record starts */
    size_t end_line;         /* where it ends (after the line breaks inside its quotes) */
    size_t nfields;          /* fields in the record, all counted */
    size_t nkept;            /* of which in FIELDS: the first fields_keep */
    size_t nerrors;          /* quoting mistakes reported in the record */
    const csv_field *fields; /* owned by the reader */
} csv_record;

typedef struct csv_reader csv_reader;

/* The defaults: 256 bytes of each value, 64 fields of each record. */
void csv_opts_default(csv_opts *o);

/* Makes a reader of the LEN bytes at DATA (not copied: they must outlive the
 * reader; DATA may be NULL when LEN is 0), positioned at the first record. O
 * may be NULL for the defaults. ON_ERROR (may be NULL) is called with ARG for
 * each quoting mistake. Returns 0 with *OUT set (free it with
 * csv_reader_free), HARK_EINVAL for a bound of 0, or HARK_ENOMEM. */
int csv_reader_new(const char *data, size_t len, const csv_opts *o, csv_error_fn *on_error, void *arg,
                   csv_reader **out);

/* Reads the next record, or returns NULL at the end of the data. The record
 * and its fields belong to the reader and hold until the next call to
 * csv_reader_next, csv_reader_rewind or csv_reader_free. Never fails: the
 * data's mistakes go to ON_ERROR. */
const csv_record *csv_reader_next(csv_reader *r);

/* Goes back to the first record (past the byte order mark), for a second
 * pass over the data. */
void csv_reader_rewind(csv_reader *r);

/* Frees R and its records; R may be NULL. */
void csv_reader_free(csv_reader *r);

/* 1 when REC is an empty line: one empty, unquoted field (a "" line is a
 * record with one empty value, not a blank). */
int csv_record_blank(const csv_record *rec);

/* A static English sentence, without a capital or a full stop, saying what
 * ERR means for the user ("text after the closing quote of a quoted field"). */
const char *csv_strerror(csv_error err);

#endif
