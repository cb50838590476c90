/* anon: the anonymity rule for every aggregate the web API returns, in any
 * view, filter or export. Given a table of respondent counts, it decides which
 * cells and totals may be shown and says why each hidden one is hidden, so
 * that no group of fewer than k respondents can be read or recovered by
 * subtraction from what the table shows and what the client already knows.
 * Pure: no database, no I/O, no logging, one bounded allocation per call.
 * Not here: computing the aggregates, comments, which filters a user may use
 * (anon_filter_ok is the rule the API applies to them, see "Filters" below).
 *
 * The table. rows x cols interior cells (a 1-D list is 1 x cols; see
 * anon_suppress_list), a total for each row and each column, and a grand
 * total. Each cell holds n, the respondents it counts, and any measures
 * (sum, mean, eNPS...) computed over exactly those respondents: anon decides
 * per cell, and a cell's measures share the fate of its count. A measure
 * computed over a subset of the cell (a question some respondents skipped)
 * has its own n and must go through anon as its own table. Each margin (the
 * row totals, the column totals, the grand total), or each total on its
 * own, is SHOWN in this table, KNOWN to the client from elsewhere (the
 * unfiltered total on another card, the same total in another table) or
 * ABSENT (published nowhere).
 *
 * The client's knowledge, as the rules model it: every value shown or KNOWN;
 * that each total is the sum of its line (a row total = its row's cells, a
 * column total = its column's, the grand total = the row totals = the column
 * totals); that a hidden value is never 0 (zeros are shown); and what each
 * reason says (PRIMARY and TOTAL: 1 <= n < k; COMPLEMENTARY and PARENT:
 * n >= k). The API must render exactly these distinctions, through
 * anon_reason_code, and no more.
 *
 * The rules, applied in this order and then to a fixed point:
 *
 *  1. Primary. A cell with 0 < n < k is hidden (ANON_PRIMARY); a SHOWN total
 *     with 0 < n < k is hidden (ANON_TOTAL). A cell the caller flags as
 *     differing from the same cell of a broader view by fewer than k is hidden
 *     (ANON_PARENT; see "Filters"). A cell with n = 0 is never sensitive: it
 *     is shown as 0 and is never chosen to protect another (hiding a value
 *     the client knows is at least 0 and that holds nobody protects no one).
 *
 *  2. Lines. A line is a row (its cells, with its row total), a column (its
 *     cells, with its column total), the margin column (the row totals, with
 *     the grand total) or the margin row (the column totals, with the grand
 *     total). A line is constrained when the client knows its total: shown,
 *     KNOWN, or derivable from other published values (rule 3 finds those).
 *     In a constrained line holding any hidden or sensitive value, the
 *     values of the line the client neither knows nor can derive must be
 *       a. at least two,
 *       b. together at least k respondents (what subtraction from the total
 *          yields is then a group of at least k), and
 *       c. not pinned: given the bounds each reason publishes, each hidden
 *          value can take at least two values that sum to what the line
 *          leaves (without c, a cell of 1 hidden beside one of exactly k is
 *          recovered: 1 + k is the only split of the line's k + 1 into
 *          "fewer than k" and "at least k"; likewise k cells of 1).
 *     When a line fails, more of its values are hidden (ANON_COMPLEMENTARY),
 *     smallest n first, ties broken by position, until it passes. A value is
 *     skipped when the other line through it would give it away at once
 *     (nothing else in that line is or can be hidden: the one non-zero cell
 *     of a row whose total is KNOWN). If hiding all of them would still
 *     fail, none is hidden and the line's total is hidden instead (when the
 *     table shows it; when it is derivable, rule 3 must make it underivable;
 *     when it is KNOWN the table is withheld). Hiding a value can break
 *     another line (a cell hidden for its row may be alone in its column):
 *     every line touched is checked again, until none fails.
 *
 *  3. Combinations. Subtracting along one line is not the only attack: the
 *     equations of several lines can be added and subtracted (two blocks of
 *     hidden cells linked by one hidden cell give it away although every line
 *     holds two). As Gusfield (1988) shows for two-way tables, and Kao (1996)
 *     with suppressed totals, the values the client does not know are the
 *     edges of a graph whose vertices are the lines (each row and column,
 *     and one vertex for each margin line), and a value is derivable exactly
 *     when its edge is a bridge of that graph (on no cycle). Once rule 2
 *     hides nothing more, anon finds the bridges (Tarjan's algorithm), checks
 *     rule 2 again counting derivable values as known, and, for each bridge
 *     that must not be derivable (a PRIMARY, TOTAL or PARENT value, an ABSENT
 *     total with 0 < n < k, a total or value rule 2 needs unknown), hides the
 *     smallest value that closes a cycle through it: first among the values
 *     of its own two lines, then anywhere. Rules 2 and 3 alternate until
 *     neither hides anything.
 *
 *  4. Withholding. If the rules cannot be met (a KNOWN total, which cannot be
 *     hidden, leaves a line exposed) or the fixed point takes more than
 *     ANON_MAX_ROUNDS rounds, every value of the table is hidden as
 *     ANON_WITHHELD, which publishes no bound: the API shows "not enough
 *     responses to show this view". Only KNOWN totals cause it: one below k,
 *     one whose line splits only one way (a KNOWN 6 made of 1 and k = 5), or
 *     one equal to a flagged cell. The round bound has never been reached
 *     (random tables need at most four rounds).
 *
 * Deterministic: the same table and k give the same result, ties broken by
 * index (cells row-major, then row totals, column totals, grand total).
 * Cost: each round is linear in the cells, plus, per line that fails, a sort
 * of that line and a walk of the other line of each value tried; rounds are
 * bounded by ANON_MAX_ROUNDS (random tables need at most four; a 65536-cell
 * heatmap takes about 10 ms). Memory: one allocation of about 30 bytes per
 * value and 40 per line (under 3 MB at the bounds), freed before returning.
 *
 * The method is cell suppression with complementary (secondary) suppression
 * as statistical agencies publish tables: the threshold rule for primary
 * suppression, and complementary cells so that no suppressed cell can be
 * derived from the margins (Cox, "Suppression methodology and statistical
 * disclosure control", JASA 75, 1980; Hundepool et al., "Statistical
 * Disclosure Control", Wiley 2012, ch. 4-5, the practice of tau-ARGUS),
 * with the exact-disclosure audit of Gusfield, "A graph theoretic approach to
 * statistical data security", SIAM J. Comput. 17(3), 1988, and Kao, "Data
 * security equals graph connectivity", SIAM J. Discrete Math. 9(1), 1996.
 * It is a greedy heuristic, not the optimal (fewest cells) suppression, which
 * is NP-hard in general: it may hide more than needed, never less than the
 * rules demand.
 *
 * What it does not protect, so the API must:
 *  - Filters. Two requests whose views are nested ("department = Sales" and
 *    "department = Sales AND location != Lyon") differ by a group the table
 *    never sees. The API refuses a filtered view unless anon_filter_ok holds
 *    between its total and the total of every broader view the client can
 *    request: each view obtained by dropping any subset of the request's
 *    conditions, the unfiltered view included (for m conditions, 2^m - 1
 *    counts, cheap on rollups). Checking only the views one condition away is
 *    not enough: a view can equal each view one condition broader and still
 *    differ from the unfiltered one by 2.
 *    Then per cell: each cell of a filtered table is compared the same way
 *    with the same cell of those broader tables, and a cell where
 *    anon_filter_ok fails is flagged in anon_table.parent, so it is hidden
 *    and protected like a small cell (a heatmap for "location != Lyon" minus
 *    the unfiltered heatmap is the Lyon heatmap).
 *  - Linked tables. A value shown in two tables (a department's total in the
 *    department list and as a heatmap row total) must get the same fate in
 *    both: suppress the table that shows it first, then pass what it shows
 *    as KNOWN to the other (and what it hides as ABSENT), or derive both
 *    views from one suppressed table.
 *  - Trackers. A client who combines several overlapping views by inclusion
 *    and exclusion (all - A - B + (A and B)) can isolate a small group that
 *    no pair of nested views exposes (Denning, Denning and Schwartz, "The
 *    tracker", ACM TODS 4(1), 1979). The filter surface should stay small:
 *    one value per dimension and no free-form negation.
 *  - Bounds across lines. Rule 2c protects against what each line's bounds
 *    say; an attacker who combines the bounds of several lines (integer
 *    programming over the table) may narrow a hidden count further, and in
 *    rare tables pin it. Measures are protected against exact derivation by
 *    rule 3, since they obey the same line equations.
 *  - Distinct counts. The rules treat each total as the sum of its line. For
 *    counts of responses that is exact. For distinct respondents, a person in
 *    two cells of a line (two months of a heatmap) counts once in the total
 *    and twice in the cells, so "at least k together" may be fewer people:
 *    give each respondent one cell per line (the month of their last answer)
 *    or count responses.
 *  - Homogeneity. A visible group of k who all gave the same answer discloses
 *    that answer for each of them; no suppression rule prevents that. */
#ifndef HARK_WEB_ANON_H
#define HARK_WEB_ANON_H

#include <stddef.h>
#include <stdint.h>

#define ANON_K_DEFAULT  5          /* a tenant's k when its setting is 0 (unset) */
#define ANON_K_MIN      3          /* no tenant's k goes below this */
#define ANON_MAX_DIM    4096       /* rows, and columns, of a table */
#define ANON_MAX_CELLS  65536      /* rows x cols */
#define ANON_MAX_COUNT  1000000000 /* any n or total: sums never overflow */
#define ANON_MAX_ROUNDS 64         /* rounds of rules 2 and 3 before the table is withheld */

/* Who knows a margin (the row totals, the column totals, or the grand total). */
typedef enum anon_margin {
    ANON_MARGIN_SHOWN = 0, /* this table shows it; anon decides whether it stays visible */
    ANON_MARGIN_KNOWN,     /* the client sees it elsewhere, unsuppressed: public, never hidden here */
    ANON_MARGIN_ABSENT,    /* published nowhere: unknown to the client unless derivable */
} anon_margin;

/* What the API does with a value. The bounds in brackets are what the reason
 * tells the client about n, which the rules take into account. */
typedef enum anon_reason {
    ANON_SHOW = 0,      /* may be shown, count and measures */
    ANON_PRIMARY,       /* a cell with 0 < n < k [1, k-1] */
    ANON_TOTAL,         /* a SHOWN total with 0 < n < k [1, k-1] */
    ANON_COMPLEMENTARY, /* n >= k, hidden so that another hidden value cannot be derived [k, inf) */
    ANON_PARENT,        /* a cell flagged by the caller: it differs from the same cell of a broader view
                           by fewer than k [k, inf); rendered as COMPLEMENTARY */
    ANON_WITHHELD,      /* the whole table is withheld (rule 4) [no bound] */
    ANON_UNPUBLISHED,   /* an ABSENT total: this table does not show it */
} anon_reason;

/* The input. Every array is the caller's and is only read. */
typedef struct anon_table {
    size_t rows, cols;           /* at least 1 each, at most ANON_MAX_DIM, product at most ANON_MAX_CELLS */
    const int64_t *n;            /* rows * cols counts, row-major (cell (i, j) at i * cols + j) */
    const unsigned char *parent; /* NULL, or rows * cols flags: nonzero when the cell fails anon_filter_ok
                                    against the same cell of a broader view (ignored where n is 0) */
    const int64_t *row_total;    /* rows totals, or NULL for each row's cells summed */
    const int64_t *col_total;    /* cols totals, or NULL for each column's cells summed */
    const int64_t *grand_total;  /* one total, or NULL for the cells summed */
    anon_margin row_margin, col_margin, grand_margin;
    const anon_margin *row_margins; /* NULL, or one per row, in place of row_margin (linked tables) */
    const anon_margin *col_margins; /* NULL, or one per column, in place of col_margin */
} anon_table;

/* The output. The caller provides the arrays; anon fills them. */
typedef struct anon_result {
    anon_reason *cell; /* rows * cols, row-major; required */
    anon_reason *row;  /* rows, or NULL when not wanted */
    anon_reason *col;  /* cols, or NULL when not wanted */
    anon_reason grand;
    size_t primary;       /* values hidden as PRIMARY or TOTAL */
    size_t complementary; /* values hidden as COMPLEMENTARY */
    size_t parent;        /* cells hidden as PARENT */
    unsigned rounds;      /* rounds of rules 2 and 3 */
    int withheld;         /* 1 when the table is withheld (rule 4) */
} anon_result;

/* A tenant's k as the rules use it: ANON_K_DEFAULT for 0 (unset), never
 * below ANON_K_MIN (negative values included). */
int anon_k_clamp(int k);

/* Applies the rules to table T with k (clamped by anon_k_clamp) and writes a
 * reason for every cell and total into OUT's arrays, and OUT's counters.
 * Returns 0; HARK_ETOOBIG when a dimension or the cell count is over its
 * bound (checked before any array is read); HARK_EINVAL for a dimension of 0,
 * a NULL required array, a margin that is not an anon_margin, a count below 0
 * or above ANON_MAX_COUNT, or a total that cannot be one (below the largest
 * value of its line or above their sum); HARK_ENOMEM. On failure OUT's arrays
 * hold nothing meaningful and the API must show nothing. Allocates one
 * workspace bounded by the table's size and frees it. */
int anon_suppress(const anon_table *t, int k, anon_result *out);

/* anon_suppress for a 1-D list of COUNT groups (1 <= COUNT <= ANON_MAX_DIM)
 * with counts N and a total (TOTAL, or NULL for their sum) that is
 * TOTAL_MARGIN: SHOWN with the list, KNOWN elsewhere, or ABSENT. Writes a
 * reason per group into REASON (COUNT of them) and the total's into
 * *TOTAL_REASON (may be NULL). Returns as anon_suppress. */
int anon_suppress_list(const int64_t *n, size_t count, const int64_t *total, anon_margin total_margin, int k,
                       anon_reason *reason, anon_reason *total_reason);

/* Whether a filtered view may be shown next to a broader (parent) view the
 * client can also obtain: 1 when it may, 0 when it must be refused because
 * the filtered view holds 0 < n < k respondents or differs from its parent
 * by 0 < d < k. Inconsistent counts (negative, or filtered above parent) are
 * refused. K is clamped by anon_k_clamp. See "Filters" above for the parents
 * the API must check, and for its use per cell. */
int anon_filter_ok(int64_t n_filtered, int64_t n_parent, int k);

/* The stable code the API sends for REASON, which is also the only
 * distinction it may render: "fewer_than_k" (PRIMARY, TOTAL),
 * "protects_another_group" (COMPLEMENTARY, PARENT), "withheld", or NULL for
 * ANON_SHOW and ANON_UNPUBLISHED (nothing to say). Static strings. */
const char *anon_reason_code(anon_reason reason);

#endif
