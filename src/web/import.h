/* import: the employee CSV import (DESIGN "Employee CSV"), one code path for
 * `hark import employees` and the admin upload. It checks the whole file
 * first, then writes every row in one transaction, all or nothing: a file
 * with any problem changes nothing, and the report lists the problems, each
 * with its line and column. It does not export, and it never deletes an
 * employee that is missing from the file.
 *
 * The file: UTF-8 (a leading byte order mark is skipped), RFC 4180 (fields
 * separated by commas, quoted with '"', a quote inside a quoted field
 * doubled, records ended by CRLF or LF; a line break inside quotes is read
 * and counted in line numbers, then refused as a value),
 * a header line naming the columns in any order: external_id, email,
 * first_name, last_name, department, location, manager_email, hire_date,
 * exit_date, timezone (compared without regard to case or to spaces around
 * them). email is required; the others may be left out. Unknown and
 * repeated column names are errors. Blank lines are skipped.
 *
 * Each value is checked: valid UTF-8 without control characters (so no line
 * breaks in values), no longer than its store_employee field (email and
 * manager_email: core/email.h, so at most 254 bytes, one '@', a dotted
 * domain and none of < > ( ) , ; " \), dates
 * as real YYYY-MM-DD days (exit_date not before hire_date), timezone an
 * IANA zone of the system's tz database (core/tz.h) or empty. An email or a
 * non-empty external_id may appear on one row only (emails compared without
 * regard to ASCII case).
 *
 * Each row is matched as store_employee_upsert matches (external_id, else
 * email) and inserted or updated; a row equal to what is stored is left
 * alone (counted as unchanged). A column missing from the header keeps the
 * stored value of an existing employee (empty for a new one); an empty field
 * in a column that is present clears the value. The status of an existing
 * employee is kept; new employees are "active". */
#ifndef HARK_WEB_IMPORT_H
#define HARK_WEB_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct import_opts {
    size_t max_bytes;    /* largest file accepted (64 MiB) */
    size_t max_rows;     /* most data rows (1,000,000) */
    size_t max_problems; /* problems kept in the report (100); more are only counted */
} import_opts;

void import_opts_default(import_opts *o);

/* One problem of the file. LINE is the physical line (1-based, counting
 * every LF, including those inside quoted fields) where the field starts;
 * COLUMN is the field's position in the row (1-based, as a spreadsheet
 * counts columns). Problems of the file as a whole (too large, empty, no
 * email column) are at 1:1. */
typedef struct import_problem {
    size_t line, column;
    char message[192]; /* English, one line; names the column; may quote a date, a time zone or a column
                          name, never a person's name or email */
} import_problem;

typedef struct import_report {
    size_t rows;                         /* data rows in the file (blank lines not counted) */
    size_t inserted, updated, unchanged; /* set on success only; 0 otherwise */
    size_t nproblems;                    /* problems found in all */
    size_t nkept;                        /* of which in PROBLEMS: the first max_problems, in file order */
    import_problem *problems;            /* owned by the report: import_report_free */
} import_report;

/* Imports the CSV file DATA (LEN bytes, not NUL-terminated; not kept) into
 * tenant TENANT_ID on C, in a transaction of its own (store_begin): for
 * synchronous use, C must have no transaction open. O may be NULL for the
 * defaults. REP is initialised here and must be released with
 * import_report_free whatever the result.
 * Returns 0 when every row was written and committed. Otherwise nothing is
 * written, and the result is HARK_EINVAL when the file has problems and
 * HARK_ETOOBIG when it passes a bound of O (both with REP->nproblems > 0:
 * the problems are the answer to give the user); or, with no problems in
 * REP: HARK_ENOTFOUND when the tenant does not exist, HARK_EINVAL when a
 * transaction is already open on C, HARK_ENOMEM, or a store error
 * (HARK_EIO, HARK_EBUSY). The file is checked before the transaction
 * starts, so a bad file never takes the database's write lock. */
int import_employees(store_conn *c, int64_t tenant_id, const char *data, size_t len, const import_opts *o,
                     import_report *rep);

/* The same inside the transaction the caller holds: a store job (the admin
 * upload), or between store_begin and store_commit. On a non-zero result some
 * rows may have been written: the caller must roll back (a job does so by
 * returning that result). It holds the transaction for the whole write, a
 * few seconds for 100,000 rows on SQLite. */
int import_employees_in_tx(store_conn *c, int64_t tenant_id, const char *data, size_t len, const import_opts *o,
                           import_report *rep);

/* Releases the problems of REP; REP may then be reused. */
void import_report_free(import_report *rep);

#endif
