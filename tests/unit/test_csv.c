/* Unit tests for the CSV reader (web/csv.h) on its own: quoting and doubled
 * quotes, LF, CRLF and a lone CR, line breaks inside quotes (and the line
 * numbers after them), the byte order mark, empty fields and blank lines, a
 * last line without a line end, each quoting mistake at its line and column
 * with reading going on, the bounds on what is kept, and a second pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "web/csv.h"

/* The mistakes reported, in order. */
struct errs {
    size_t n;
    struct {
        csv_error err;
        size_t line, column;
    } e[16];
};

static void on_error(void *arg, csv_error err, size_t line, size_t column) {
    struct errs *es = arg;
    if (es->n < sizeof es->e / sizeof es->e[0]) {
        es->e[es->n].err = err;
        es->e[es->n].line = line;
        es->e[es->n].column = column;
    }
    es->n++;
}

/* A reader of the NUL-terminated DATA with the default bounds. */
static csv_reader *reader(const char *data, struct errs *es) {
    csv_reader *r;
    memset(es, 0, sizeof *es);
    assert_int_equal(csv_reader_new(data, strlen(data), NULL, on_error, es, &r), HARK_OK);
    return r;
}

/* Asserts that REC has the NFIELDS values given, and starts on LINE. */
static void record_is(const csv_record *rec, size_t line, size_t nfields, ...) {
    va_list ap;
    assert_non_null(rec);
    assert_int_equal(rec->line, line);
    assert_int_equal(rec->nfields, nfields);
    assert_int_equal(rec->nkept, nfields);
    va_start(ap, nfields);
    for (size_t i = 0; i < nfields; i++) {
        const char *want = va_arg(ap, const char *);
        assert_string_equal(rec->fields[i].text, want);
        assert_int_equal(rec->fields[i].len, strlen(want));
        assert_int_equal(rec->fields[i].column, i + 1);
    }
    va_end(ap);
}

static void error_is(const struct errs *es, size_t i, csv_error err, size_t line, size_t column) {
    assert_true(i < es->n);
    assert_int_equal(es->e[i].err, err);
    assert_int_equal(es->e[i].line, line);
    assert_int_equal(es->e[i].column, column);
}

static void test_plain(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("name,email,city\nAnn,ann@acme.test,Paris\nBob,bob@acme.test,Lyon\n", &es);
    const csv_record *rec = csv_reader_next(r);
    record_is(rec, 1, 3, "name", "email", "city");
    assert_int_equal(rec->end_line, 1);
    assert_int_equal(rec->nerrors, 0);
    assert_false(rec->fields[0].quoted);
    assert_int_equal(rec->fields[2].line, 1);
    record_is(csv_reader_next(r), 2, 3, "Ann", "ann@acme.test", "Paris");
    record_is(csv_reader_next(r), 3, 3, "Bob", "bob@acme.test", "Lyon");
    assert_null(csv_reader_next(r));
    assert_null(csv_reader_next(r)); /* and stays at the end */
    assert_int_equal(es.n, 0);
    csv_reader_free(r);
}

static void test_quoting(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("\"Smith, Jr.\",\"O\"\"Brien\",\"\"\"Bo\"\"\",\"\",x\n"
                           "\"a\"\"\",\"\"\"\",\"\"\"\"\"\",\",\"\n",
                           &es);
    const csv_record *rec = csv_reader_next(r);
    record_is(rec, 1, 5, "Smith, Jr.", "O\"Brien", "\"Bo\"", "", "x");
    assert_true(rec->fields[0].quoted);
    assert_true(rec->fields[3].quoted); /* "" is a quoted empty value */
    assert_false(rec->fields[4].quoted);
    record_is(csv_reader_next(r), 2, 4, "a\"", "\"", "\"\"", ",");
    assert_null(csv_reader_next(r));
    assert_int_equal(es.n, 0);
    csv_reader_free(r);
}

static void test_line_ends(void **state) {
    (void)state;
    struct errs es;
    /* CRLF and LF mixed; no line end after the last record. */
    csv_reader *r = reader("a,b\r\nc,d\ne,f\r\ng,h", &es);
    record_is(csv_reader_next(r), 1, 2, "a", "b");
    record_is(csv_reader_next(r), 2, 2, "c", "d");
    record_is(csv_reader_next(r), 3, 2, "e", "f");
    record_is(csv_reader_next(r), 4, 2, "g", "h");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    /* A CR that is not before an LF is data, unless it ends the file. */
    r = reader("a\rb,c\r", &es);
    record_is(csv_reader_next(r), 1, 2, "a\rb", "c");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    r = reader("a,\r\r\n", &es);
    record_is(csv_reader_next(r), 1, 2, "a", "\r");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    /* Only LEN bytes are read: the data need not end with a NUL. */
    assert_int_equal(csv_reader_new("a,b\nc", 3, NULL, NULL, NULL, &r), HARK_OK);
    record_is(csv_reader_next(r), 1, 2, "a", "b");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    assert_int_equal(es.n, 0);
}

static void test_line_breaks_in_quotes(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("id,note,n\n"
                           "1,\"two\nlines\",x\n"
                           "2,\"three\r\nlines\n!\",\"y\"\n"
                           "3,\"\n\",z\n",
                           &es);
    const csv_record *rec;
    record_is(csv_reader_next(r), 1, 3, "id", "note", "n");
    rec = csv_reader_next(r);
    record_is(rec, 2, 3, "1", "two\nlines", "x");
    assert_int_equal(rec->end_line, 3);
    assert_int_equal(rec->fields[1].line, 2); /* where the field starts */
    assert_int_equal(rec->fields[2].line, 3);
    rec = csv_reader_next(r);
    record_is(rec, 4, 3, "2", "three\r\nlines\n!", "y"); /* the CR inside quotes is kept */
    assert_int_equal(rec->end_line, 6);
    assert_int_equal(rec->fields[2].line, 6);
    rec = csv_reader_next(r);
    record_is(rec, 7, 3, "3", "\n", "z");
    assert_int_equal(rec->end_line, 8);
    assert_null(csv_reader_next(r));
    assert_int_equal(es.n, 0);
    csv_reader_free(r);
}

static void test_bom(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("\xEF\xBB\xBF"
                           "email\r\na@acme.test\r\n",
                           &es);
    record_is(csv_reader_next(r), 1, 1, "email");
    record_is(csv_reader_next(r), 2, 1, "a@acme.test");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    /* A BOM alone is no record; one further on, or cut short, is data. */
    r = reader("\xEF\xBB\xBF", &es);
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    r = reader("a,\xEF\xBB\xBF"
               "b\n\xEF\xBB",
               &es);
    record_is(csv_reader_next(r), 1, 2, "a",
              "\xEF\xBB\xBF"
              "b");
    record_is(csv_reader_next(r), 2, 1, "\xEF\xBB");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
}

static void test_empty(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("", &es);
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    assert_int_equal(csv_reader_new(NULL, 0, NULL, NULL, NULL, &r), HARK_OK);
    assert_null(csv_reader_next(r));
    csv_reader_free(r);

    r = reader(",,\n\na\n\r\n\"\"\n,\n", &es);
    const csv_record *rec = csv_reader_next(r);
    record_is(rec, 1, 3, "", "", "");
    assert_false(csv_record_blank(rec));
    rec = csv_reader_next(r);
    record_is(rec, 2, 1, ""); /* an empty line */
    assert_true(csv_record_blank(rec));
    rec = csv_reader_next(r);
    record_is(rec, 3, 1, "a");
    assert_false(csv_record_blank(rec));
    rec = csv_reader_next(r);
    record_is(rec, 4, 1, ""); /* an empty CRLF line */
    assert_true(csv_record_blank(rec));
    rec = csv_reader_next(r);
    record_is(rec, 5, 1, ""); /* "": one empty value, not a blank */
    assert_false(csv_record_blank(rec));
    rec = csv_reader_next(r);
    record_is(rec, 6, 2, "", "");
    assert_false(csv_record_blank(rec));
    assert_null(csv_reader_next(r));
    assert_int_equal(es.n, 0);
    csv_reader_free(r);
}

static void test_mistakes(void **state) {
    (void)state;
    struct errs es;
    const csv_record *rec;
    /* A quote inside an unquoted field: once a field, at its column; the
     * value is kept as written and reading goes on. */
    csv_reader *r = reader("a,b\"c\"d,e\"\nf,g\n", &es);
    rec = csv_reader_next(r);
    record_is(rec, 1, 3, "a", "b\"c\"d", "e\"");
    assert_int_equal(rec->nerrors, 2);
    assert_int_equal(es.n, 2);
    error_is(&es, 0, CSV_ESTRAYQUOTE, 1, 2);
    error_is(&es, 1, CSV_ESTRAYQUOTE, 1, 3);
    rec = csv_reader_next(r);
    record_is(rec, 2, 2, "f", "g");
    assert_int_equal(rec->nerrors, 0); /* counted per record */
    assert_null(csv_reader_next(r));
    csv_reader_free(r);

    /* Text after a closing quote: at the line of that quote, the text kept. */
    r = reader("x\n\"ab\"cd,e\n\"multi\nline\"!,f\n", &es);
    record_is(csv_reader_next(r), 1, 1, "x");
    rec = csv_reader_next(r);
    record_is(rec, 2, 2, "abcd", "e");
    assert_int_equal(rec->nerrors, 1);
    error_is(&es, 0, CSV_EAFTERQUOTE, 2, 1);
    rec = csv_reader_next(r);
    record_is(rec, 3, 2, "multi\nline!", "f");
    error_is(&es, 1, CSV_EAFTERQUOTE, 4, 1);
    assert_null(csv_reader_next(r));
    assert_int_equal(es.n, 2);
    csv_reader_free(r);

    /* A quote never closed: at the line where the field starts; it takes the
     * rest of the data, and that record is the last. */
    r = reader("a,b\nc,\"open\nd,e\nf\n", &es);
    record_is(csv_reader_next(r), 1, 2, "a", "b");
    rec = csv_reader_next(r);
    record_is(rec, 2, 2, "c", "open\nd,e\nf\n");
    assert_int_equal(rec->nerrors, 1);
    assert_int_equal(rec->end_line, 5);
    assert_null(csv_reader_next(r));
    assert_int_equal(es.n, 1);
    error_is(&es, 0, CSV_EUNCLOSED, 2, 2);
    csv_reader_free(r);

    /* Without a callback the mistakes are only counted. */
    assert_int_equal(csv_reader_new("\"a\"b", 4, NULL, NULL, NULL, &r), HARK_OK);
    rec = csv_reader_next(r);
    assert_int_equal(rec->nerrors, 1);
    assert_string_equal(rec->fields[0].text, "ab");
    csv_reader_free(r);

    assert_string_equal(csv_strerror(CSV_EUNCLOSED), "a quoted field is not closed: the file ends inside it");
    assert_string_equal(csv_strerror(CSV_ESTRAYQUOTE),
                        "a quote in an unquoted field (quote the whole field, doubling the quote)");
    assert_string_equal(csv_strerror(CSV_EAFTERQUOTE), "text after the closing quote of a quoted field");
}

static void test_bounds(void **state) {
    (void)state;
    struct errs es;
    csv_opts o;
    csv_reader *r;
    const csv_record *rec;
    csv_opts_default(&o);
    assert_int_equal(o.field_keep, 256);
    assert_int_equal(o.fields_keep, 64);

    /* Four bytes of a value and three fields of a record are kept; the
     * rest is counted, and a mistake past them is still reported. */
    o.field_keep = 4;
    o.fields_keep = 3;
    const char *data = "abcd,abcdefgh,\"ab\"\"cdef\",x,y\"\nok\n";
    memset(&es, 0, sizeof es);
    assert_int_equal(csv_reader_new(data, strlen(data), &o, on_error, &es, &r), HARK_OK);
    rec = csv_reader_next(r);
    assert_int_equal(rec->nfields, 5);
    assert_int_equal(rec->nkept, 3);
    assert_string_equal(rec->fields[0].text, "abcd");
    assert_int_equal(rec->fields[0].len, 4);
    assert_string_equal(rec->fields[1].text, "abcd");
    assert_int_equal(rec->fields[1].len, 8);
    assert_string_equal(rec->fields[2].text, "ab\"c");
    assert_int_equal(rec->fields[2].len, 7);
    assert_int_equal(rec->nerrors, 1);
    error_is(&es, 0, CSV_ESTRAYQUOTE, 1, 5);
    record_is(csv_reader_next(r), 2, 1, "ok");
    assert_null(csv_reader_next(r));
    csv_reader_free(r);

    /* A long record costs nothing: 100,000 fields of 1,000 bytes. */
    size_t n = 100000 * 1001;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'v', n);
    for (size_t i = 1000; i < n; i += 1001) big[i] = ',';
    big[n - 1] = '\n';
    assert_int_equal(csv_reader_new(big, n, NULL, NULL, NULL, &r), HARK_OK);
    rec = csv_reader_next(r);
    assert_int_equal(rec->nfields, 100000);
    assert_int_equal(rec->nkept, 64);
    assert_int_equal(rec->fields[63].len, 1000);
    assert_int_equal(strlen(rec->fields[63].text), 256);
    assert_null(csv_reader_next(r));
    csv_reader_free(r);
    free(big);

    o.field_keep = 0;
    assert_int_equal(csv_reader_new("a", 1, &o, NULL, NULL, &r), HARK_EINVAL);
    assert_null(r);
    o.field_keep = 4;
    o.fields_keep = 0;
    assert_int_equal(csv_reader_new("a", 1, &o, NULL, NULL, &r), HARK_EINVAL);
    o.field_keep = SIZE_MAX / 2;
    o.fields_keep = 4;
    assert_int_equal(csv_reader_new("a", 1, &o, NULL, NULL, &r), HARK_ENOMEM);
    assert_null(r);
    csv_reader_free(NULL);
}

/* A second pass reads the same records, mistakes and all. */
static void test_rewind(void **state) {
    (void)state;
    struct errs es;
    csv_reader *r = reader("\xEF\xBB\xBF"
                           "h1,h2\n\"a\nb\",c\"\n",
                           &es);
    for (int pass = 0; pass < 2; pass++) {
        record_is(csv_reader_next(r), 1, 2, "h1", "h2");
        const csv_record *rec = csv_reader_next(r);
        record_is(rec, 2, 2, "a\nb", "c\"");
        assert_int_equal(rec->fields[1].line, 3);
        assert_null(csv_reader_next(r));
        assert_int_equal(es.n, (size_t)pass + 1);
        error_is(&es, (size_t)pass, CSV_ESTRAYQUOTE, 3, 2);
        csv_reader_rewind(r);
    }
    csv_reader_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),     cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_line_ends), cmocka_unit_test(test_line_breaks_in_quotes),
        cmocka_unit_test(test_bom),       cmocka_unit_test(test_empty),
        cmocka_unit_test(test_mistakes),  cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_rewind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
