/* The dashboard's reads of the rollups (migration 5, rollup.c): figures of
 * a tenant summed over cells chosen by month range and segment, grouped by
 * up to two dimensions. The anonymity rules are not here: the web module
 * applies them (web/anon.h) to what these return. */
#ifndef HARK_STORE_DASHBOARD_H
#define HARK_STORE_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Tenure bands, as stored in rollups.band ("" = hire date unknown), ending
 * with NULL. */
extern const char *const store_rollup_bands[];

/* The band of an employee hired on HIRE_DATE ("YYYY-MM-DD") on local day
 * LOCAL_DAYS (days since the epoch): "" when the date is missing, invalid or
 * in the future. */
void store_rollup_band(const char *hire_date, int64_t local_days, char out[8]);

/* The month (yyyymm) of AT_MS in zone TIMEZONE (UTC when unknown), and its
 * local day (may be NULL). */
int store_rollup_month(const char *timezone, int64_t at_ms, int64_t *local_days);

enum store_dim {
    STORE_DIM_NONE = 0,
    STORE_DIM_DEPARTMENT = 1,
    STORE_DIM_LOCATION = 2,
    STORE_DIM_BAND = 3,
    STORE_DIM_TOUCHPOINT = 4, /* the touchpoint's id, as decimal text */
    STORE_DIM_MONTH = 5,      /* yyyymm as decimal text */
    STORE_DIM_MANAGER = 6,    /* the manager's e-mail; only on a STORE_DASH_MANAGER raw, without location or band */
};

/* Conditions of a segment, as bits of store_dash_row.match. */
enum {
    STORE_COND_DEPARTMENT = 1,
    STORE_COND_LOCATION = 2,
    STORE_COND_BAND = 4,
    STORE_COND_TOUCHPOINT = 8,
};

typedef struct store_figures {
    int64_t invited, started, completed;
    int64_t mood_n, mood[5]; /* mood answers, and how many of each value 1-5 */
    double mood_sum;
    int64_t enps_n, enps_promoters, enps_detractors;
    int64_t comments, comments_neg, comments_pos;
} store_figures;

/* Adds B to A. */
void store_figures_add(store_figures *a, const store_figures *b);

typedef struct store_dash_query {
    int64_t tenant_id;
    int from_month, to_month; /* yyyymm, inclusive */
    /* The segment's conditions; NULL (0 for the touchpoint) when not set.
     * Rows are NOT restricted to them: each row says which hold (match), so
     * one grouping gives the view and every broader view anonymity compares
     * it with. */
    const char *department, *location, *band;
    int64_t touchpoint_id;
    int row_dim, col_dim; /* enum store_dim */
} store_dash_query;

typedef struct store_dash_row {
    /* Valid while the store_dash_raw it was grouped from lives. */
    const char *department; /* always grouped by: an hrbp's scope is applied on it */
    const char *row, *col;  /* the dimensions' values as text ("" for STORE_DIM_NONE) */
    int month;              /* yyyymm when ROW_DIM or COL_DIM is the month, else 0 */
    unsigned match;         /* STORE_COND_* bits of the conditions that hold (unset conditions: 0) */
    store_figures f;
    char rbuf[24], cbuf[24]; /* the text of a touchpoint id or month */
} store_dash_row;

/* A tenant's rollups read once into memory (one scan), so that the several
 * groupings a request needs (its history, its siblings, its table) are made
 * in C instead of one scan each, from one of three tables. */
enum store_dash_table {
    STORE_DASH_DEPT = 0,    /* rollups_dept: location and band read as "" */
    STORE_DASH_FULL = 1,    /* rollups */
    STORE_DASH_MANAGER = 2, /* rollups_manager: STORE_DIM_MANAGER, location and band read as "" */
};
typedef struct store_dash_raw store_dash_raw;
int store_dash_raw_load(store_conn *c, int64_t tenant_id, int table, size_t max, store_dash_raw **out);
void store_dash_raw_free(store_dash_raw *raw);
/* The tenant's figures in Q's month range, grouped by department, ROW_DIM,
 * COL_DIM and which of Q's conditions hold, into *OUT (allocated; the
 * caller frees it; its strings live as long as RAW) and *N, in no
 * particular order. HARK_ETOOBIG past MAX rows, HARK_EINVAL for bad
 * arguments. */
int store_dash_group(const store_dash_raw *raw, const store_dash_query *q, size_t max, store_dash_row **out, size_t *n);

/* The distinct values a dashboard can filter on, each list allocated (the
 * caller frees it with store_dash_segments_free). */
typedef struct store_dash_segments {
    char (*departments)[256];
    size_t ndepartments;
    char (*locations)[256];
    size_t nlocations;
    int *months; /* yyyymm, ascending */
    size_t nmonths;
} store_dash_segments;
int store_dash_segments_get(store_conn *c, int64_t tenant_id, size_t max, store_dash_segments *out);
void store_dash_segments_free(store_dash_segments *s);

/* The tenant's anonymity threshold as stored (tenants.anon_k) and its
 * confidentiality mode ("anonymous" or "confidential"). */
int store_dash_settings(store_conn *c, int64_t tenant_id, int *anon_k, char mode[16]);

#endif
