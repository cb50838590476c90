/* `hark import employees --tenant SLUG FILE.csv|-`: the employee CSV import
 * (web/import.h) from a file or standard input, on the store's main
 * connection. Prints a one-line summary, or every problem as
 * FILE:LINE:COLUMN: message on stderr with nothing imported. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "web/import.h"

#define USAGE "usage: hark import employees --tenant SLUG FILE.csv|-   (- reads standard input)\n"

/* Reads all of F into B (bounded by its max). Returns 0, HARK_ETOOBIG,
 * HARK_ENOMEM or HARK_EIO (errno set). */
static int read_all(FILE *f, buf *b) {
    char chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n) {
            int rc = buf_append(b, chunk, n);
            if (rc) return rc;
        }
        if (n < sizeof chunk) return ferror(f) ? HARK_EIO : HARK_OK;
    }
}

static void print_problems(const char *name, const import_report *rep) {
    for (size_t i = 0; i < rep->nkept; i++)
        fprintf(stderr, "%s:%zu:%zu: %s\n", name, rep->problems[i].line, rep->problems[i].column,
                rep->problems[i].message);
    if (rep->nproblems > rep->nkept)
        fprintf(stderr, "%s: %zu more problems not shown\n", name, rep->nproblems - rep->nkept);
    fprintf(stderr, "hark import: nothing was imported (%zu problem%s)\n", rep->nproblems,
            rep->nproblems == 1 ? "" : "s");
}

int cli_import(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    import_opts o;
    import_report rep;
    store *st = NULL;
    store_tenant t;
    buf data;
    const char *path = NULL;
    int rc;
    if (argc < 1 || argc > 64 || strcmp(argv[0], "employees") != 0) {
        fprintf(stderr, USAGE);
        return 2;
    }
    used[0] = 1;
    const char *slug = cli_opt(argc, argv, "tenant", used);
    for (int i = 1; i < argc && !path; i++) {
        if (!used[i] && (strncmp(argv[i], "--", 2) != 0)) {
            path = argv[i];
            used[i] = 1;
        }
    }
    if (cli_check_unused("import employees", argc, argv, used)) return 2;
    if (!slug || !*slug || !path) {
        fprintf(stderr, USAGE);
        return 2;
    }

    import_opts_default(&o);
    memset(&rep, 0, sizeof rep);
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "hark import: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* One byte more than the bound, so that a file over it is told apart. */
    buf_init(&data, o.max_bytes + 1);
    rc = read_all(f, &data);
    if (f != stdin) fclose(f);
    if (rc == HARK_ETOOBIG) {
        fprintf(stderr, "%s:1:1: the file is larger than %zu bytes, the most accepted\n", name, o.max_bytes);
        rc = 1;
        goto out;
    }
    if (rc) {
        fprintf(stderr, "hark import: cannot read %s: %s\n", name,
                rc == HARK_EIO ? strerror(errno) : hark_strerror(rc));
        rc = 1;
        goto out;
    }

    if ((rc = cli_open_store(cfg, &st))) goto out;
    store_conn *c = store_main_conn(st);
    if (store_tenant_by_slug(c, slug, &t)) {
        fprintf(stderr, "hark import: --tenant: no tenant '%s'\n", slug);
        rc = 2;
        goto out;
    }
    int err = import_employees(c, t.id, data.data, data.len, &o, &rep);
    if (err && rep.nproblems) {
        print_problems(name, &rep);
        rc = 1;
    } else if (err) {
        fprintf(stderr, "hark import: %s; nothing was imported\n", hark_strerror(err));
        rc = 1;
    } else {
        printf("imported %zu employee%s (%zu new, %zu updated, %zu unchanged)\n", rep.rows, rep.rows == 1 ? "" : "s",
               rep.inserted, rep.updated, rep.unchanged);
        rc = 0;
    }
out:
    import_report_free(&rep);
    buf_free(&data);
    if (st) store_close(st);
    return rc;
}
