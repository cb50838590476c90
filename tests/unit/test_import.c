/* Unit tests for the employee CSV import (src/web/import.c) against a real
 * SQLite store in a temporary directory: RFC 4180 quoting, BOM and CRLF, the
 * header rules, every per-row check with its line and column (also after a
 * quoted field that spans lines), duplicates in the file, all or nothing
 * (a bad row, or a row the database refuses, leaves the tenant untouched),
 * upserts by external id and by email, kept values and status, the bounds,
 * and use inside the caller's transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"
#include "web/import.h"

#define SET(field, value) snprintf((field), sizeof(field), "%s", (value))

#define HEADER "external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone\n"

struct fx {
    char dir[256];
    char path[300];
    char url[320];
    store *s;
    store_conn *c;
    int64_t tenant, other; /* two tenants: imports go to the first */
    import_report rep;
};

static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    store_opts o;
    store_tenant t;
    char err[256] = "";
    if (!f) return -1;
    *state = f;
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(f->dir, sizeof f->dir, "%s/hark-import-XXXXXX", tmp);
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/hark.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    store_opts_default(&o);
    o.url = f->url;
    if (store_open(&o, &f->s, err, sizeof err) || store_migrate(f->s, NULL, err, sizeof err)) {
        print_error("store: %s\n", err);
        return -1;
    }
    f->c = store_main_conn(f->s);
    memset(&t, 0, sizeof t);
    SET(t.slug, "acme");
    SET(t.name, "Acme");
    if (store_tenant_create(f->c, &t)) return -1;
    f->tenant = t.id;
    memset(&t, 0, sizeof t);
    SET(t.slug, "globex");
    SET(t.name, "Globex");
    if (store_tenant_create(f->c, &t)) return -1;
    f->other = t.id;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[340];
    if (!f) return 0;
    import_report_free(&f->rep);
    if (f->s) store_close(f->s);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Imports CSV with options O (NULL: the defaults) into the first tenant; the
 * report is in f->rep. */
static int import_opt(struct fx *f, const char *csv, size_t len, const import_opts *o) {
    import_report_free(&f->rep);
    return import_employees(f->c, f->tenant, csv, len, o, &f->rep);
}

static int import(struct fx *f, const char *csv) {
    return import_opt(f, csv, strlen(csv), NULL);
}

static int64_t count(struct fx *f) {
    int64_t n = -1;
    assert_int_equal(store_employee_count(f->c, f->tenant, &n), 0);
    return n;
}

static void get(struct fx *f, const char *email, store_employee *e) {
    int rc = store_employee_by_email(f->c, f->tenant, email, e);
    if (rc) print_error("no employee %s\n", email);
    assert_int_equal(rc, 0);
}

static int exists(struct fx *f, const char *email) {
    store_employee e;
    return store_employee_by_email(f->c, f->tenant, email, &e) == 0;
}

/* Asserts that problem I of the report is at LINE:COLUMN and its message
 * contains NEEDLE. */
static void problem_is(const struct fx *f, size_t i, size_t line, size_t column, const char *needle) {
    const import_report *r = &f->rep;
    if (i >= r->nkept) {
        print_error("problem %zu expected, %zu reported\n", i, r->nkept);
        fail();
    }
    const import_problem *p = &r->problems[i];
    if (p->line != line || p->column != column || !strstr(p->message, needle)) {
        print_error("problem %zu: got %zu:%zu: %s\n   expected %zu:%zu: ...%s...\n", i, p->line, p->column, p->message,
                    line, column, needle);
        fail();
    }
}

/* The import is refused with exactly one problem, at LINE:COLUMN. */
static void refused_once(struct fx *f, const char *csv, size_t line, size_t column, const char *needle) {
    int rc = import(f, csv);
    if (rc != HARK_EINVAL) print_error("for: %s\n", csv);
    assert_int_equal(rc, HARK_EINVAL);
    problem_is(f, 0, line, column, needle);
    assert_int_equal(f->rep.nproblems, 1);
}

/* ---- good files ---- */

static void test_full_file(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, HEADER "E1,ada@acme.test,Ada,Lovelace,Engineering,London,boss@acme.test,2024-01-15,,"
                                      "Europe/London\n"
                                      "E2,alan@acme.test,Alan,Turing,Research,Manchester,,2023-03-01,2025-06-30,UTC\n"
                                      "E3,grace@acme.test,Grace,Hopper,,,,,,\n"),
                     0);
    assert_int_equal(f->rep.rows, 3);
    assert_int_equal(f->rep.inserted, 3);
    assert_int_equal(f->rep.updated, 0);
    assert_int_equal(f->rep.unchanged, 0);
    assert_int_equal(f->rep.nproblems, 0);
    assert_int_equal(count(f), 3);
    get(f, "ada@acme.test", &e);
    assert_string_equal(e.external_id, "E1");
    assert_string_equal(e.first_name, "Ada");
    assert_string_equal(e.last_name, "Lovelace");
    assert_string_equal(e.department, "Engineering");
    assert_string_equal(e.location, "London");
    assert_string_equal(e.manager_email, "boss@acme.test");
    assert_string_equal(e.hire_date, "2024-01-15");
    assert_string_equal(e.exit_date, "");
    assert_string_equal(e.timezone, "Europe/London");
    assert_string_equal(e.status, "active");
    get(f, "alan@acme.test", &e);
    assert_string_equal(e.exit_date, "2025-06-30");
    /* An exit date does not make anyone "left": status is not part of the file. */
    assert_string_equal(e.status, "active");
    /* The other tenant saw nothing. */
    int64_t n;
    assert_int_equal(store_employee_count(f->c, f->other, &n), 0);
    assert_int_equal(n, 0);
}

static void test_quoting(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, "email,first_name,last_name,department\n"
                               "\"a@acme.test\",\"Smith, Jr.\",\"O\"\"Brien\",\"\"\n"
                               "b@acme.test,\"\"\"Bo\"\"\",,\"R&D, \"\"Labs\"\"\"\n"
                               "c@acme.test,Chlo\xC3\xA9,\xE5\xB1\xB1\xE7\x94\xB0,\n"),
                     0);
    assert_int_equal(f->rep.inserted, 3);
    get(f, "a@acme.test", &e);
    assert_string_equal(e.first_name, "Smith, Jr.");
    assert_string_equal(e.last_name, "O\"Brien");
    assert_string_equal(e.department, "");
    get(f, "b@acme.test", &e);
    assert_string_equal(e.first_name, "\"Bo\"");
    assert_string_equal(e.last_name, "");
    assert_string_equal(e.department, "R&D, \"Labs\"");
    get(f, "c@acme.test", &e);
    assert_string_equal(e.first_name, "Chlo\xC3\xA9");
    assert_string_equal(e.last_name, "\xE5\xB1\xB1\xE7\x94\xB0");
}

static void test_bom_crlf_blank_lines(void **state) {
    struct fx *f = *state;
    store_employee e;
    /* A BOM, CRLF line ends, blank lines, the header in another order and
     * case, and no line end after the last row. */
    assert_int_equal(import(f, "\xEF\xBB\xBF"
                               "First_Name, email \r\n"
                               "Ann,ann@acme.test\r\n"
                               "\r\n"
                               "\"Bob\",bob@acme.test\r\n"
                               "\n"
                               "Cy,cy@acme.test"),
                     0);
    assert_int_equal(f->rep.rows, 3);
    assert_int_equal(f->rep.inserted, 3);
    get(f, "ann@acme.test", &e);
    assert_string_equal(e.first_name, "Ann");
    get(f, "bob@acme.test", &e);
    assert_string_equal(e.first_name, "Bob");
    get(f, "cy@acme.test", &e);
    assert_string_equal(e.first_name, "Cy");

    /* A header alone is a good, empty import. */
    assert_int_equal(import(f, "email\r\n"), 0);
    assert_int_equal(f->rep.rows, 0);
    assert_int_equal(count(f), 3);
}

/* ---- the header ---- */

static void test_header_problems(void **state) {
    struct fx *f = *state;
    refused_once(f, "email,nickname,first_name\na@acme.test,Al,Alan\n", 1, 2, "unknown column 'nickname'");
    refused_once(f, "email,first_name,First_Name\na@acme.test,A,B\n", 1, 3, "first_name appears twice (also column 2)");
    refused_once(f, "first_name,last_name\nAnn,Lee\n", 1, 1, "no email column");
    refused_once(f, "email,,first_name\na@acme.test,,A\n", 1, 2, "has no name");
    refused_once(f, "", 1, 1, "empty");
    refused_once(f, "\xEF\xBB\xBF", 1, 1, "empty");
    /* Only the header's problems are reported: the rows cannot be read
     * without it. */
    assert_int_equal(import(f, "email,shoe_size,hat\na@acme.test,,\n"), HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 2);
    problem_is(f, 0, 1, 2, "shoe_size");
    problem_is(f, 1, 1, 3, "'hat'");
    assert_int_equal(count(f), 0);
}

/* ---- rows ---- */

static void test_dates(void **state) {
    struct fx *f = *state;
    refused_once(f, "email,hire_date\na@acme.test,2023-02-29\n", 2, 2, "hire_date '2023-02-29' is not a date");
    refused_once(f, "email,exit_date\na@acme.test,2024-1-05\n", 2, 2, "exit_date '2024-1-05'");
    refused_once(f, "hire_date,email\n15/01/2024,a@acme.test\n", 2, 1, "hire_date");
    refused_once(f, "email,hire_date\na@acme.test,2024-04-31\n", 2, 2, "not a date");
    refused_once(f, "email,hire_date,exit_date\na@acme.test,2024-03-01,2024-02-29\n", 2, 3,
                 "exit_date is before hire_date");
    /* Leap day, same-day exit, and empty dates are fine. */
    assert_int_equal(import(f, "email,hire_date,exit_date\na@acme.test,2024-02-29,2024-02-29\nb@acme.test,,\n"), 0);
    assert_int_equal(count(f), 2);
}

static void test_timezones(void **state) {
    struct fx *f = *state;
    store_employee e;
    refused_once(f, "email,timezone\na@acme.test,Mars/Olympus_Mons\n", 2, 2,
                 "timezone 'Mars/Olympus_Mons' is not a known IANA time zone");
    refused_once(f, "email,timezone\na@acme.test,../../etc/passwd\n", 2, 2, "not a known IANA time zone");
    refused_once(f, "email,timezone\na@acme.test,Europe/paris\n", 2, 2, "not a known");
    assert_int_equal(import(f, "email,timezone\na@acme.test,Europe/Paris\nb@acme.test,UTC\nc@acme.test,\n"), 0);
    get(f, "a@acme.test", &e);
    assert_string_equal(e.timezone, "Europe/Paris");
    get(f, "c@acme.test", &e);
    assert_string_equal(e.timezone, "");
}

static void test_emails(void **state) {
    struct fx *f = *state;
    static const struct {
        const char *email, *why;
    } bad[] = {
        {"ann.acme.test", "has no '@'"},
        {"ann@@acme.test", "more than one '@'"},
        {"ann@acme@test.io", "more than one '@'"},
        {"ann lee@acme.test", "contains a space"},
        {"@acme.test", "nothing before the '@'"},
        {"ann@", "no domain"},
        {"ann@localhost", "no dot in its domain"},
        {"ann@.acme.test", "starts or ends with a dot"},
        {"ann@acme.test.", "starts or ends with a dot"},
        {"ann@acme..test", "two dots in a row"},
        {"", "email is empty"},
    };
    char csv[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(csv, sizeof csv, "first_name,email\nAnn,\"%s\"\n", bad[i].email);
        refused_once(f, csv, 2, 2, bad[i].why);
        /* The address itself is never echoed. */
        if (bad[i].email[0]) assert_null(strstr(f->rep.problems[0].message, bad[i].email));
    }
    refused_once(f, "email,manager_email\nann@acme.test,boss\n", 2, 2, "manager_email is not an email address");

    /* 254 bytes is the longest address; 255 is one too many. */
    char longest[300];
    memset(longest, 'a', 245);
    memcpy(longest + 245, "@acme.test", 11); /* 255 bytes */
    snprintf(csv, sizeof csv, "email\n%s\n", longest);
    refused_once(f, csv, 2, 1, "email is 255 bytes long; at most 254 fit");
    snprintf(csv, sizeof csv, "email\n%s\n", longest + 1);
    assert_int_equal(import(f, csv), 0);

    assert_int_equal(import(f, "email,manager_email\nfirst.last+tag@mail.acme.co.uk,\n"
                               "\xC3\xA9lodie@exemple.fr,first.last+tag@mail.acme.co.uk\n"),
                     0);
    assert_int_equal(count(f), 3);
}

static void test_text_fields(void **state) {
    struct fx *f = *state;
    char csv[2048], name[1100];
    refused_once(f, "email,first_name\na@acme.test,\xC3\x28x\n", 2, 2, "first_name is not valid UTF-8");
    refused_once(f, "email,first_name\na@acme.test,\xED\xA0\x80\n", 2, 2, "not valid UTF-8"); /* a surrogate */
    refused_once(f, "email,last_name\na@acme.test,Le\te\n", 2, 2, "last_name contains a control character");
    refused_once(f, "email,location\na@acme.test,Par\xC2\x85is\n", 2, 2, "control character"); /* U+0085 */
    refused_once(f, "email,department\na@acme.test,Ops\rX\n", 2, 2, "control character");
    /* 63 bytes fit a name, 64 do not; the full length is told even past
     * what the reader keeps of a field. */
    memset(name, 'n', 63);
    name[63] = '\0';
    snprintf(csv, sizeof csv, "email,first_name\na@acme.test,%s\n", name);
    assert_int_equal(import(f, csv), 0);
    memset(name, 'n', 64);
    name[64] = '\0';
    snprintf(csv, sizeof csv, "email,first_name\nb@acme.test,%s\n", name);
    refused_once(f, csv, 2, 2, "first_name is 64 bytes long; at most 63 fit");
    memset(name, 'n', 1000);
    name[1000] = '\0';
    snprintf(csv, sizeof csv, "department,email\n\"%s\",b@acme.test\n", name);
    refused_once(f, csv, 2, 1, "department is 1000 bytes long");
    snprintf(csv, sizeof csv, "external_id,email\n%s,b@acme.test\n", name);
    refused_once(f, csv, 2, 1, "external_id is 1000 bytes long; at most 63 fit");
    assert_int_equal(count(f), 1);
}

static void test_duplicates_in_file(void **state) {
    struct fx *f = *state;
    /* Emails compare without regard to ASCII case. */
    refused_once(f, "email,first_name\nAnn@Acme.test,Ann\nbob@acme.test,Bob\nann@acme.TEST,Annie\n", 4, 1,
                 "email is also on line 2");
    assert_null(strstr(f->rep.problems[0].message, "acme"));
    refused_once(f, "external_id,email\nE1,ann@acme.test\nE2,bob@acme.test\nE1,cy@acme.test\n", 4, 1,
                 "external_id is also on line 2");
    /* Empty external ids are not duplicates of each other. */
    assert_int_equal(import(f, "external_id,email\n,ann@acme.test\n,bob@acme.test\n"), 0);
    assert_int_equal(count(f), 2);
}

static void test_structure(void **state) {
    struct fx *f = *state;
    refused_once(f, "email,first_name\na@acme.test,\"Ann\n", 2, 2, "not closed");
    refused_once(f, "email,first_name\na@acme.test,An\"n\n", 2, 2, "a quote in an unquoted field");
    refused_once(f, "email,first_name\na@acme.test,\"Ann\"x\n", 2, 2, "text after the closing quote");
    refused_once(f, "email,first_name,last_name\na@acme.test,Ann\n", 2, 3, "this row has 2 fields; the header has 3");
    refused_once(f, "email,first_name\na@acme.test,Ann,Lee,x\n", 2, 3, "this row has 4 fields; the header has 2");
    refused_once(f, "email,first_name\na@acme.test,Ann,\n", 2, 3, "3 fields");
    /* A row cut after a quoted line break: the missing field is on the row's
     * last line. */
    refused_once(f, "email,first_name,last_name\na@acme.test,\"Ann\nMarie\"\n", 3, 3, "2 fields");
    assert_int_equal(count(f), 0);
}

static void test_line_numbers(void **state) {
    struct fx *f = *state;
    /* Row 1 spans lines 2-3 (a quoted line break in first_name): the name is
     * refused at line 2 (where the field starts), its hire_date at line 3;
     * the next row starts on line 4, and the one after it, whose quoted
     * last_name spans lines 5-6, has its hire_date on line 6. */
    assert_int_equal(import(f, "email,first_name,last_name,hire_date\n"
                               "a@acme.test,\"Ann\n"
                               "Marie\",Lee,2024-13-01\n"
                               "b@acme.test,Bob,Lee,2024-02-30\n"
                               "c@acme.test,Cy,\"Le\n"
                               "e\",x@y\n"
                               "d@acme.test,\"Dee\",\"\"\"Doe\"\"\",2024-00-01\r\n"),
                     HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 6);
    problem_is(f, 0, 2, 2, "first_name contains a control character");
    problem_is(f, 1, 3, 4, "hire_date '2024-13-01'");
    problem_is(f, 2, 4, 4, "hire_date '2024-02-30'");
    problem_is(f, 3, 5, 3, "last_name contains a control character");
    problem_is(f, 4, 6, 4, "hire_date 'x@y'");
    problem_is(f, 5, 7, 4, "hire_date '2024-00-01'");
}

/* ---- all or nothing ---- */

static void test_all_or_nothing(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, "external_id,email,first_name\nE1,ann@acme.test,Ann\nE2,bob@acme.test,Bob\n"), 0);
    /* Updates, inserts and one bad row: nothing is written. */
    assert_int_equal(import(f, "external_id,email,first_name\n"
                               "E1,ann@acme.test,Annie\n"
                               "E3,cy@acme.test,Cy\n"
                               "E4,dee@acme.test,Dee\n"
                               "E5,eve@acme,Eve\n"
                               "E6,fay@acme.test,Fay\n"),
                     HARK_EINVAL);
    problem_is(f, 0, 5, 2, "no dot in its domain");
    assert_int_equal(f->rep.nproblems, 1);
    assert_int_equal(f->rep.inserted + f->rep.updated + f->rep.unchanged, 0);
    assert_int_equal(count(f), 2);
    get(f, "ann@acme.test", &e);
    assert_string_equal(e.first_name, "Ann");
    assert_false(exists(f, "cy@acme.test"));
}

static void test_all_or_nothing_database(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, "external_id,email,first_name\nE1,ann@acme.test,Ann\nE2,bob@acme.test,Bob\n"), 0);
    /* The file is fine on its own, but E1 cannot take Bob's address and E9
     * cannot take Ann's (she has another external id): the rows already
     * written in the transaction are rolled back. */
    assert_int_equal(import(f, "external_id,email,first_name\n"
                               "E3,cy@acme.test,Cy\n"
                               "E1,bob@acme.test,Ann\n"
                               "E2,bob@acme.test,Bobby\n"),
                     HARK_EINVAL);
    /* (bob twice in one file is caught before the database is asked) */
    problem_is(f, 0, 4, 2, "also on line 3");
    assert_int_equal(import(f, "external_id,email,first_name\n"
                               "E3,cy@acme.test,Cy\n"
                               "E1,bob@acme.test,Ann\n"
                               "E9,ann@acme.test,Annabel\n"
                               "E2,bob2@acme.test,Bobby\n"),
                     HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 2);
    problem_is(f, 0, 3, 2, "already used by another employee");
    problem_is(f, 1, 4, 2, "belongs to an employee with another external_id");
    assert_int_equal(count(f), 2);
    assert_false(exists(f, "cy@acme.test"));
    assert_false(exists(f, "bob2@acme.test"));
    get(f, "bob@acme.test", &e);
    assert_string_equal(e.first_name, "Bob");
    assert_string_equal(e.external_id, "E2");
}

/* ---- upserts ---- */

static void test_upsert_by_external_id(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, HEADER "E1,ann@acme.test,Ann,Lee,Sales,Paris,,2024-01-15,,Europe/Paris\n"
                                      "E2,bob@acme.test,Bob,Ray,Sales,Paris,,2024-01-15,,\n"),
                     0);
    get(f, "ann@acme.test", &e);
    int64_t ann = e.id;
    /* Ann changes address and department; Bob is the same; Cy is new. */
    assert_int_equal(import(f, HEADER "E2,bob@acme.test,Bob,Ray,Sales,Paris,,2024-01-15,,\n"
                                      "E1,ann.lee@acme.test,Ann,Lee,Marketing,Paris,,2024-01-15,,Europe/Paris\n"
                                      "E3,cy@acme.test,Cy,Doe,Sales,Lyon,ann.lee@acme.test,2025-02-01,,\n"),
                     0);
    assert_int_equal(f->rep.rows, 3);
    assert_int_equal(f->rep.inserted, 1);
    assert_int_equal(f->rep.updated, 1);
    assert_int_equal(f->rep.unchanged, 1);
    assert_int_equal(count(f), 3);
    assert_false(exists(f, "ann@acme.test"));
    get(f, "ann.lee@acme.test", &e);
    assert_int_equal(e.id, ann);
    assert_string_equal(e.department, "Marketing");
    /* The same file again changes nothing. */
    assert_int_equal(import(f, HEADER "E1,ann.lee@acme.test,Ann,Lee,Marketing,Paris,,2024-01-15,,Europe/Paris\n"), 0);
    assert_int_equal(f->rep.unchanged, 1);
    assert_int_equal(f->rep.updated + f->rep.inserted, 0);
}

static void test_upsert_by_email(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, "email,first_name\nann@acme.test,Ann\n"), 0);
    get(f, "ann@acme.test", &e);
    int64_t ann = e.id;
    assert_int_equal(import(f, "email,first_name\nann@acme.test,Annie\n"), 0);
    assert_int_equal(f->rep.updated, 1);
    /* A row with an external id takes over the employee found by email
     * when that one has none; an empty external id keeps the stored one. */
    assert_int_equal(import(f, "external_id,email\nE7,ann@acme.test\n"), 0);
    assert_int_equal(f->rep.updated, 1);
    assert_int_equal(import(f, "external_id,email,first_name\n,ann@acme.test,Ann\n"), 0);
    assert_int_equal(f->rep.updated, 1);
    assert_int_equal(count(f), 1);
    get(f, "ann@acme.test", &e);
    assert_int_equal(e.id, ann);
    assert_string_equal(e.external_id, "E7");
    assert_string_equal(e.first_name, "Ann");
}

static void test_absent_columns_and_status_kept(void **state) {
    struct fx *f = *state;
    store_employee e;
    assert_int_equal(import(f, HEADER "E1,ann@acme.test,Ann,Lee,Sales,Paris,boss@acme.test,2020-01-15,,UTC\n"), 0);
    get(f, "ann@acme.test", &e);
    SET(e.status, "left");
    assert_int_equal(store_employee_upsert(f->c, &e), 0);
    /* Only department and exit_date are in the file: the rest is kept,
     * including the status. Then an empty exit_date clears it. */
    assert_int_equal(import(f, "email,department,exit_date\nann@acme.test,Support,2026-03-31\n"), 0);
    assert_int_equal(f->rep.updated, 1);
    get(f, "ann@acme.test", &e);
    assert_string_equal(e.department, "Support");
    assert_string_equal(e.exit_date, "2026-03-31");
    assert_string_equal(e.first_name, "Ann");
    assert_string_equal(e.manager_email, "boss@acme.test");
    assert_string_equal(e.hire_date, "2020-01-15");
    assert_string_equal(e.external_id, "E1");
    assert_string_equal(e.timezone, "UTC");
    assert_string_equal(e.status, "left");
    assert_int_equal(import(f, "email,exit_date\nann@acme.test,\n"), 0);
    get(f, "ann@acme.test", &e);
    assert_string_equal(e.exit_date, "");
    assert_string_equal(e.status, "left");
}

/* ---- bounds ---- */

static void test_bounds(void **state) {
    struct fx *f = *state;
    import_opts o;
    const char *csv = "email\na@acme.test\nb@acme.test\nc@acme.test\n";
    import_opts_default(&o);
    assert_int_equal(o.max_bytes, 64u << 20);
    assert_int_equal(o.max_rows, 1000000);
    assert_int_equal(o.max_problems, 100);

    o.max_bytes = 20;
    assert_int_equal(import_opt(f, csv, strlen(csv), &o), HARK_ETOOBIG);
    problem_is(f, 0, 1, 1, "at most 20");
    import_opts_default(&o);
    o.max_rows = 2;
    assert_int_equal(import_opt(f, csv, strlen(csv), &o), HARK_ETOOBIG);
    problem_is(f, 0, 4, 1, "more than 2 rows");
    o.max_rows = 3;
    assert_int_equal(import_opt(f, csv, strlen(csv), &o), 0);
    assert_int_equal(count(f), 3);

    /* Past max_problems, problems are counted but not kept. */
    buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_printf(&b, "email,hire_date\n"), 0);
    for (int i = 0; i < 250; i++) assert_int_equal(buf_printf(&b, "p%d@acme.test,2023-02-29\n", i), 0);
    assert_int_equal(import_opt(f, b.data, b.len, NULL), HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 250);
    assert_int_equal(f->rep.nkept, 100);
    problem_is(f, 99, 101, 2, "2023-02-29");
    import_opts_default(&o);
    o.max_problems = 0;
    assert_int_equal(import_opt(f, b.data, b.len, &o), HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 250);
    assert_int_equal(f->rep.nkept, 0);
    buf_free(&b);
    assert_int_equal(count(f), 3);
}

/* A few thousand rows, imported then imported again unchanged (not timed:
 * bench/ measures speed). */
static void test_many_rows(void **state) {
    struct fx *f = *state;
    buf b;
    buf_init(&b, 4 << 20);
    assert_int_equal(buf_printf(&b, HEADER), 0);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(buf_printf(&b, "E%d,person%d@acme.test,First%d,Last%d,Dept%d,Site%d,,2020-%02d-%02d,,%s\n", i,
                                    i, i, i, i % 20, i % 7, i % 12 + 1, i % 28 + 1, i % 3 ? "UTC" : "Europe/Berlin"),
                         0);
    assert_int_equal(import_opt(f, b.data, b.len, NULL), 0);
    assert_int_equal(f->rep.inserted, 5000);
    assert_int_equal(import_opt(f, b.data, b.len, NULL), 0);
    assert_int_equal(f->rep.unchanged, 5000);
    assert_int_equal(count(f), 5000);
    buf_free(&b);
}

/* ---- the caller's transaction ---- */

static void test_transactions(void **state) {
    struct fx *f = *state;
    const char *csv = "email\na@acme.test\n";
    /* import_employees opens its own: not inside another. */
    assert_int_equal(store_begin(f->c), 0);
    assert_int_equal(import(f, csv), HARK_EINVAL);
    assert_int_equal(f->rep.nproblems, 0);
    /* import_employees_in_tx writes in the caller's, who decides. */
    import_report_free(&f->rep);
    assert_int_equal(import_employees_in_tx(f->c, f->tenant, csv, strlen(csv), NULL, &f->rep), 0);
    assert_int_equal(f->rep.inserted, 1);
    assert_int_equal(store_rollback(f->c), 0);
    assert_int_equal(count(f), 0);
    assert_int_equal(store_begin(f->c), 0);
    import_report_free(&f->rep);
    assert_int_equal(import_employees_in_tx(f->c, f->tenant, csv, strlen(csv), NULL, &f->rep), 0);
    assert_int_equal(store_commit(f->c), 0);
    assert_int_equal(count(f), 1);
    /* No such tenant. */
    import_report_free(&f->rep);
    assert_int_equal(import_employees(f->c, 999999, csv, strlen(csv), NULL, &f->rep), HARK_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bom_crlf_blank_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timezones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_in_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_by_external_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_by_email, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_columns_and_status_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
