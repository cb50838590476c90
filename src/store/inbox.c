/* HR's inbox in portable statements (inbox.h): escalations and notes,
 * comments through rollup cells, people to meet. Every statement is scoped by
 * tenant_id and starts from an index:
 *   escalations   escalations_tenant_id (tenant_id, id) or
 *                 escalations_tenant_status; the message, conversation,
 *                 invite and employee by their keys;
 *   notes         escalation_notes_escalation (tenant_id, escalation_id);
 *   cell sums     rollups' unique key (tenant_id, month, ...);
 *   comments      rollups (tenant_id, month, ...) -> invites by rollup_id
 *                 (needs an index on invites (tenant_id, rollup_id)) ->
 *                 conversations (invite_id) -> answers (conversation_id) ->
 *                 messages (conversation_id, seq);
 *   people        answers_tenant_key (tenant_id, question_key, created_at),
 *                 one range per question key (the keys found by a loose index
 *                 scan), newer conversations of the same employee through
 *                 invites_tenant_employee. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/inbox.h"
#include "store/store_int.h"

/* ---- tenant ---- */

static const store_sql Q_TENANT = {"inbox_tenant",
                                   "SELECT anon_k, confidentiality, timezone FROM tenants WHERE id = ?"};

int store_inbox_tenant_get(store_conn *c, int64_t tenant_id, store_inbox_tenant *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    memset(out, 0, sizeof *out);
    int rc = store__q(c, &Q_TENANT, &q, "i", tenant_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1) {
        out->anon_k = (int)store__q_i64(q, 0);
        out->confidential = strcmp(store__q_text(q, 1, NULL), "confidential") == 0;
        rc = STORE_Q_FIELD(q, 2, out->timezone);
    } else if (rc == 0) {
        rc = HARK_ENOTFOUND;
    }
    return store__q_close(q, rc);
}

/* ---- excerpts ---- */

static int is_cont(unsigned char ch) {
    return (ch & 0xC0) == 0x80;
}

int store_inbox_excerpt(const char *text, size_t text_len, int64_t start, int64_t len, char *out, size_t cap) {
    const unsigned char *s = (const unsigned char *)text;
    int cut = 0;
    if (!cap) return 0;
    out[0] = '\0';
    if (!text || start < 0 || len <= 0 || (uint64_t)start >= text_len) return 0;
    size_t b = (size_t)start;
    size_t e = (uint64_t)len > text_len - b ? text_len : b + (size_t)len;
    while (b < e && is_cont(s[b])) b++; /* a span that starts inside a character starts after it */
    while (e > b && e < text_len && is_cont(s[e])) e--;
    if (e - b > cap - 1) {
        e = b + cap - 1;
        while (e > b && is_cont(s[e])) e--;
        cut = 1;
    }
    memcpy(out, s + b, e - b);
    out[e - b] = '\0';
    return cut;
}

/* ---- escalations ---- */

#define ESC_SELECT                                                                                                     \
    "SELECT e.id, e.conversation_id, e.seq, e.kind, e.severity, e.status, coalesce(e.assignee_id, 0), "                \
    "coalesce(u.email, ''), e.created_at, e.updated_at, m.text, e.span_start, e.span_len, "                            \
    "(SELECT count(*) FROM escalation_notes n WHERE n.tenant_id = e.tenant_id AND n.escalation_id = e.id), "           \
    "p.id, p.first_name, p.last_name, p.email, p.department, p.location, "                                             \
    "CASE WHEN p.erased_at IS NULL THEN 0 ELSE 1 END, i.touchpoint_id "                                                \
    "FROM escalations e "                                                                                              \
    "JOIN messages m ON m.conversation_id = e.conversation_id AND m.seq = e.seq "                                      \
    "JOIN conversations c ON c.tenant_id = e.tenant_id AND c.id = e.conversation_id "                                  \
    "JOIN invites i ON i.tenant_id = c.tenant_id AND i.id = c.invite_id "                                              \
    "JOIN employees p ON p.tenant_id = i.tenant_id AND p.id = i.employee_id "                                          \
    "LEFT JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.assignee_id "

static const store_sql Q_ESC_LIST = {"inbox_escalation_list", ESC_SELECT "WHERE e.tenant_id = ? AND e.id > ? "
                                                                         "ORDER BY e.id LIMIT ?"};
static const store_sql Q_ESC_LIST_STATUS = {"inbox_escalation_list_status",
                                            ESC_SELECT "WHERE e.tenant_id = ? AND e.status = ? AND e.id > ? "
                                                       "ORDER BY e.id LIMIT ?"};
static const store_sql Q_ESC_GET = {"inbox_escalation_get", ESC_SELECT "WHERE e.tenant_id = ? AND e.id = ?"};

static int read_escalation(store_q *q, store_inbox_escalation *e) {
    size_t tlen;
    memset(e, 0, sizeof *e);
    e->id = store__q_i64(q, 0);
    e->conversation_id = store__q_i64(q, 1);
    e->seq = store__q_i64(q, 2);
    int rc = STORE_Q_FIELD(q, 3, e->kind);
    e->severity = (int)store__q_i64(q, 4);
    if (!rc) rc = STORE_Q_FIELD(q, 5, e->status);
    e->assignee_id = store__q_i64(q, 6);
    if (!rc) rc = STORE_Q_FIELD(q, 7, e->assignee_email);
    e->created_at = store__q_i64(q, 8);
    e->updated_at = store__q_i64(q, 9);
    const char *text = store__q_text(q, 10, &tlen);
    e->excerpt_cut =
        store_inbox_excerpt(text, tlen, store__q_i64(q, 11), store__q_i64(q, 12), e->excerpt, sizeof e->excerpt);
    e->notes = store__q_i64(q, 13);
    e->employee_id = store__q_i64(q, 14);
    if (!rc) rc = STORE_Q_FIELD(q, 15, e->first_name);
    if (!rc) rc = STORE_Q_FIELD(q, 16, e->last_name);
    if (!rc) rc = STORE_Q_FIELD(q, 17, e->email);
    if (!rc) rc = STORE_Q_FIELD(q, 18, e->department);
    if (!rc) rc = STORE_Q_FIELD(q, 19, e->location);
    e->erased = store__q_i64(q, 20) != 0;
    e->touchpoint_id = store__q_i64(q, 21);
    return rc;
}

int store_inbox_escalation_list(store_conn *c, int64_t tenant_id, const char *status, int64_t after_id, size_t scan,
                                store_inbox_keep_fn keep, void *keep_arg, store_inbox_escalation *out, size_t max,
                                size_t *n, int64_t *last_id) {
    store_q *q;
    int rc;
    if (!c || !n || !last_id || (max && !out)) return HARK_EINVAL;
    *n = 0;
    *last_id = 0;
    if (scan < max) scan = max;
    if (status && *status)
        rc = store__q(c, &Q_ESC_LIST_STATUS, &q, "isii", tenant_id, status, after_id, (int64_t)scan);
    else
        rc = store__q(c, &Q_ESC_LIST, &q, "iii", tenant_id, after_id, (int64_t)scan);
    if (rc) return rc;
    size_t read = 0;
    int64_t last = 0;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        store_inbox_escalation *e = &out[*n];
        if ((rc = read_escalation(q, e))) break;
        read++;
        last = e->id;
        if (keep && !keep(e->department, keep_arg)) continue;
        (*n)++;
    }
    if (rc == 0 && *n < max && read == scan) *last_id = last;
    return store__q_close(q, rc);
}

int store_inbox_escalation_get(store_conn *c, int64_t tenant_id, int64_t id, store_inbox_escalation *out) {
    store_q *q;
    if (!c || !out) return HARK_EINVAL;
    int rc = store__q(c, &Q_ESC_GET, &q, "ii", tenant_id, id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1)
        rc = read_escalation(q, out);
    else if (rc == 0)
        rc = HARK_ENOTFOUND;
    return store__q_close(q, rc);
}

static const store_sql Q_ESC_UPDATE = {
    "inbox_escalation_update", "UPDATE escalations SET status = CASE WHEN ? = 1 THEN ? ELSE status END, "
                               "assignee_id = CASE WHEN ? = 1 THEN nullif(?, 0) ELSE assignee_id END, updated_at = ? "
                               "WHERE tenant_id = ? AND id = ?"};

int store_inbox_escalation_update(store_conn *c, int64_t tenant_id, int64_t id, const char *status, int set_assignee,
                                  int64_t assignee_id, int64_t now) {
    static const char *const statuses[] = {"open", "acknowledged", "resolved", NULL};
    enum op_scope scope;
    int64_t changed = 0;
    if (!c || (status && !store__one_of(status, statuses)) || assignee_id < 0) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_exec(c, &Q_ESC_UPDATE, &changed, "isiiiii", (int64_t)(status != NULL), status ? status : "",
                       (int64_t)(set_assignee != 0), assignee_id, now, tenant_id, id);
    if (!rc && changed == 0) rc = HARK_ENOTFOUND;
    return store__op_leave(c, scope, rc);
}

static const store_sql Q_USER = {"inbox_user", "SELECT role, CASE WHEN disabled_at IS NULL THEN 1 ELSE 0 END, "
                                               "departments, email FROM users WHERE tenant_id = ? AND id = ?"};

int store_inbox_user(store_conn *c, int64_t tenant_id, int64_t user_id, char role[16], int *active, char *departments,
                     size_t cap, char email[256]) {
    store_q *q;
    if (!c || !role || !active) return HARK_EINVAL;
    role[0] = '\0';
    *active = 0;
    int rc = store__q(c, &Q_USER, &q, "ii", tenant_id, user_id);
    if (rc) return rc;
    rc = store__q_step(q);
    if (rc == 1) {
        rc = store__q_field(q, 0, role, 16);
        *active = store__q_i64(q, 1) != 0;
        if (!rc && departments) rc = store__q_field(q, 2, departments, cap);
        if (!rc && email) rc = store__q_field(q, 3, email, 256);
    } else if (rc == 0) {
        rc = HARK_ENOTFOUND;
    }
    return store__q_close(q, rc);
}

/* ---- notes ---- */

static const store_sql Q_NOTE_ADD = {
    "inbox_note_add", "INSERT INTO escalation_notes (tenant_id, escalation_id, user_id, text, created_at) "
                      "VALUES (?, ?, ?, ?, ?) RETURNING id"};
static const store_sql Q_NOTES = {
    "inbox_notes", "SELECT n.id, n.user_id, coalesce(u.email, ''), n.text, n.created_at FROM escalation_notes n "
                   "LEFT JOIN users u ON u.tenant_id = n.tenant_id AND u.id = n.user_id "
                   "WHERE n.tenant_id = ? AND n.escalation_id = ? ORDER BY n.id LIMIT ?"};

int store_inbox_note_add(store_conn *c, int64_t tenant_id, int64_t escalation_id, int64_t user_id, const char *text,
                         int64_t now, int64_t *id) {
    enum op_scope scope;
    if (!c || !text || !*text || !id) return HARK_EINVAL;
    int rc = store__op_enter(c, STORE_TX_WRITE, &scope);
    if (rc) return rc;
    rc = store__q_int(c, &Q_NOTE_ADD, id, "iiisi", tenant_id, escalation_id, user_id, text, now);
    return store__op_leave(c, scope, rc);
}

void store_inbox_notes_free(store_inbox_note *notes, size_t n) {
    if (!notes) return;
    for (size_t i = 0; i < n; i++) free(notes[i].text);
    free(notes);
}

int store_inbox_notes(store_conn *c, int64_t tenant_id, int64_t escalation_id, size_t max, store_inbox_note **out,
                      size_t *n) {
    store_q *q;
    if (!c || !out || !n) return HARK_EINVAL;
    *out = NULL;
    *n = 0;
    if (!max) return HARK_OK;
    store_inbox_note *v = calloc(max, sizeof *v);
    if (!v) return HARK_ENOMEM;
    int rc = store__q(c, &Q_NOTES, &q, "iii", tenant_id, escalation_id, (int64_t)max);
    if (rc) {
        free(v);
        return rc;
    }
    size_t k = 0;
    while (k < max && (rc = store__q_step(q)) == 1) {
        store_inbox_note *nt = &v[k];
        nt->id = store__q_i64(q, 0);
        nt->user_id = store__q_i64(q, 1);
        if ((rc = STORE_Q_FIELD(q, 2, nt->user_email))) break;
        if ((rc = store__q_dup(q, 3, &nt->text))) break;
        nt->created_at = store__q_i64(q, 4);
        k++;
    }
    rc = store__q_close(q, rc);
    if (rc) {
        store_inbox_notes_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return HARK_OK;
}

/* ---- comments ---- */

/* Flags bound before a condition: whether it is set, then its value. */
static const store_sql Q_CELLSUMS = {"inbox_cellsums",
                                     "SELECT month, md, ml, mt, sum(started) FROM ("
                                     "SELECT month, CASE WHEN ? = 1 AND department = ? THEN 1 ELSE 0 END AS md, "
                                     "CASE WHEN ? = 1 AND location = ? THEN 1 ELSE 0 END AS ml, "
                                     "CASE WHEN ? = 1 AND touchpoint_id = ? THEN 1 ELSE 0 END AS mt, started "
                                     "FROM rollups WHERE tenant_id = ? AND month >= ? AND month <= ?) x "
                                     "GROUP BY month, md, ml, mt ORDER BY month"};

int store_inbox_cellsums(store_conn *c, int64_t tenant_id, const store_inbox_filter *f, store_inbox_cellsum *out,
                         size_t max, size_t *n) {
    store_q *q;
    if (!c || !f || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    int rc =
        store__q(c, &Q_CELLSUMS, &q, "isisiiiii", (int64_t)(f->department != NULL), f->department ? f->department : "",
                 (int64_t)(f->location != NULL), f->location ? f->location : "", (int64_t)(f->touchpoint_id != 0),
                 f->touchpoint_id, tenant_id, (int64_t)f->from, (int64_t)f->to);
    if (rc) return rc;
    while ((rc = store__q_step(q)) == 1) {
        if (*n == max) {
            rc = HARK_ETOOBIG;
            break;
        }
        store_inbox_cellsum *s = &out[(*n)++];
        s->month = (int)store__q_i64(q, 0);
        s->match = (store__q_i64(q, 1) ? 1u : 0u) | (store__q_i64(q, 2) ? 2u : 0u) | (store__q_i64(q, 3) ? 4u : 0u);
        s->started = store__q_i64(q, 4);
    }
    return store__q_close(q, rc);
}

/* The keyed order: x = (id * k0 + seq * k1 + k2) mod P, then h = (x^2 * k3 +
 * x) mod P, a permutation-like mix that is not linear in the id (so the gaps
 * between the ids of consecutive conversations do not show through); h2
 * likewise with k4..k7, to break ties. Every product stays below 2^62. The
 * key values never leave the server and the order keys are never sent. */
#define P_             "2147483647"
#define MIX_X(a, b, k) "((c.id % " P_ ") * " a " + (a.seq % " P_ ") * " b " + " k ") % " P_
static const store_sql Q_COMMENTS = {
    "inbox_comments",
    "SELECT h, h2, touchpoint_id, question_key, text, compound, created_at, employee_id, first_name, "
    "last_name, email, department, location, erased FROM ("
    "SELECT ((x * x) % " P_ " * ? + x) % " P_ " AS h, ((y * y) % " P_ " * ? + y) % " P_ " AS h2, "
    "touchpoint_id, question_key, text, compound, created_at, employee_id, first_name, last_name, email, "
    "department, location, erased FROM ("
    "SELECT " MIX_X("?", "?", "?") " AS x, " MIX_X(
        "?", "?",
        "?") " AS y, "
             "i.touchpoint_id AS touchpoint_id, a.question_key AS question_key, m.text AS text, "
             "coalesce(m.compound, 0) AS compound, m.created_at AS created_at, i.employee_id AS employee_id, "
             "p.first_name AS first_name, p.last_name AS last_name, p.email AS email, p.department AS department, "
             "p.location AS location, CASE WHEN p.erased_at IS NULL THEN 0 ELSE 1 END AS erased "
             "FROM invites i "
             "JOIN conversations c ON c.tenant_id = i.tenant_id AND c.invite_id = i.id "
             "JOIN answers a ON a.conversation_id = c.id AND a.kind = 'text' "
             "JOIN messages m ON m.conversation_id = a.conversation_id AND m.seq = a.seq "
             "JOIN employees p ON p.tenant_id = i.tenant_id AND p.id = i.employee_id "
             "WHERE i.tenant_id = ? AND i.rollup_id IN (SELECT r.id FROM rollups r WHERE r.tenant_id = ? AND r.month = "
             "? "
             "AND (? = 0 OR r.department = ?) AND (? = 0 OR r.location = ?) AND (? = 0 OR r.touchpoint_id = ?)) "
             "AND m.text <> '' AND coalesce(m.compound, 0) >= ? AND coalesce(m.compound, 0) <= ?) s) t "
             "WHERE ? < 0 OR h > ? OR (h = ? AND h2 > ?) "
             "ORDER BY h, h2 LIMIT ?"};

void store_inbox_comments_free(store_inbox_comment *v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].text);
        v[i].text = NULL;
    }
}

int store_inbox_comments(store_conn *c, int64_t tenant_id, const store_inbox_filter *f, int month, double cmin,
                         double cmax, const store_inbox_order *ord, int64_t after_h, int64_t after_h2,
                         store_inbox_comment *out, size_t max, size_t *n) {
    store_q *q;
    if (!c || !f || !ord || !n || (max && !out)) return HARK_EINVAL;
    *n = 0;
    if (!max) return HARK_OK;
    const int64_t *k = ord->k;
    int rc = store__q(c, &Q_COMMENTS, &q, "iiiiiiiiiiiisisiiddiiiii", k[3], k[7], k[0], k[1], k[2], k[4], k[5], k[6],
                      tenant_id, tenant_id, (int64_t)month, (int64_t)(f->department != NULL),
                      f->department ? f->department : "", (int64_t)(f->location != NULL),
                      f->location ? f->location : "", (int64_t)(f->touchpoint_id != 0), f->touchpoint_id, cmin, cmax,
                      after_h, after_h, after_h, after_h2, (int64_t)max);
    if (rc) return rc;
    while (*n < max && (rc = store__q_step(q)) == 1) {
        store_inbox_comment *cm = &out[*n];
        size_t tlen;
        memset(cm, 0, sizeof *cm);
        cm->month = month;
        cm->h = store__q_i64(q, 0);
        cm->h2 = store__q_i64(q, 1);
        cm->touchpoint_id = store__q_i64(q, 2);
        if ((rc = STORE_Q_FIELD(q, 3, cm->question_key))) break;
        const char *text = store__q_text(q, 4, &tlen);
        size_t cap = (tlen < STORE_INBOX_TEXT_MAX ? tlen : STORE_INBOX_TEXT_MAX) + 1;
        if (!(cm->text = malloc(cap))) {
            rc = HARK_ENOMEM;
            break;
        }
        store_inbox_excerpt(text, tlen, 0, (int64_t)tlen, cm->text, cap);
        cm->compound = store__q_f64(q, 5);
        cm->created_at = store__q_i64(q, 6);
        cm->employee_id = store__q_i64(q, 7);
        (*n)++; /* counted now so that a failure below frees its text */
        if ((rc = STORE_Q_FIELD(q, 8, cm->first_name))) break;
        if ((rc = STORE_Q_FIELD(q, 9, cm->last_name))) break;
        if ((rc = STORE_Q_FIELD(q, 10, cm->email))) break;
        if ((rc = STORE_Q_FIELD(q, 11, cm->department))) break;
        if ((rc = STORE_Q_FIELD(q, 12, cm->location))) break;
        cm->erased = store__q_i64(q, 13) != 0;
    }
    rc = store__q_close(q, rc);
    if (rc) {
        store_inbox_comments_free(out, *n);
        *n = 0;
    }
    return rc;
}

/* ---- people to meet ---- */

/* The question keys come from a loose index scan of answers_tenant_key (one
 * seek per distinct key); each key's answers since SINCE are then one range
 * of the same index. A conversation is kept only when no conversation of the
 * same employee started after it. The thresholds are constants of the
 * statement (inbox.h: STORE_INBOX_LOW_MOOD, STORE_INBOX_VERY_NEGATIVE). */
static const store_sql Q_PEOPLE = {
    "inbox_people",
    "WITH RECURSIVE keys (k) AS ("
    "SELECT min(question_key) FROM answers WHERE tenant_id = ? "
    "UNION ALL "
    "SELECT (SELECT min(a2.question_key) FROM answers a2 WHERE a2.tenant_id = ? AND a2.question_key > keys.k) "
    "FROM keys WHERE keys.k IS NOT NULL) "
    "SELECT c.id, c.started_at, i.employee_id, i.touchpoint_id, coalesce(t.name, ''), p.first_name, p.last_name, "
    "p.email, p.department, p.location, a.kind, coalesce(a.number, 0), coalesce(m.compound, 0) "
    "FROM keys "
    "JOIN answers a ON a.tenant_id = ? AND a.question_key = keys.k AND a.created_at >= ? "
    "JOIN messages m ON m.conversation_id = a.conversation_id AND m.seq = a.seq "
    "JOIN conversations c ON c.tenant_id = a.tenant_id AND c.id = a.conversation_id "
    "JOIN invites i ON i.tenant_id = c.tenant_id AND i.id = c.invite_id "
    "JOIN employees p ON p.tenant_id = i.tenant_id AND p.id = i.employee_id "
    "LEFT JOIN touchpoints t ON t.tenant_id = i.tenant_id AND t.id = i.touchpoint_id "
    "WHERE ((a.question_key = 'mood' AND a.kind = 'scale' AND a.number <= 2) "
    "OR (a.kind = 'text' AND m.compound <= -0.5)) "
    "AND p.erased_at IS NULL AND c.started_at >= ? "
    "AND (? = 0 OR c.started_at < ? OR (c.started_at = ? AND c.id < ?)) "
    "AND NOT EXISTS (SELECT 1 FROM invites i2 JOIN conversations c2 ON c2.tenant_id = i2.tenant_id "
    "AND c2.invite_id = i2.id WHERE i2.tenant_id = i.tenant_id AND i2.employee_id = i.employee_id "
    "AND (c2.started_at > c.started_at OR (c2.started_at = c.started_at AND c2.id > c.id))) "
    "ORDER BY c.started_at DESC, c.id DESC LIMIT ?"};

/* Candidate answers read per request at most: bounds the work of one page. */
#define PEOPLE_SCAN_MAX 20000

int store_inbox_people(store_conn *c, int64_t tenant_id, int64_t since, int64_t before_at, int64_t before_id,
                       store_inbox_keep_fn keep, void *keep_arg, store_inbox_person *out, size_t max, size_t *n,
                       int64_t *next_at, int64_t *next_id) {
    store_q *q;
    if (!c || !n || !next_at || !next_id || (max && !out)) return HARK_EINVAL;
    *n = 0;
    *next_at = *next_id = 0;
    if (!max) return HARK_OK;
    int rc = store__q(c, &Q_PEOPLE, &q, "iiiiiiiiii", tenant_id, tenant_id, tenant_id, since, since, before_id,
                      before_at, before_at, before_id, (int64_t)PEOPLE_SCAN_MAX);
    if (rc) return rc;
    int64_t cur = 0, cur_at = 0; /* the conversation being gathered (0: none) */
    int skip = 0;                /* it is outside KEEP */
    size_t read = 0;
    while ((rc = store__q_step(q)) == 1) {
        read++;
        int64_t conv = store__q_i64(q, 0);
        if (conv != cur) {
            if (*n == max) {
                *next_at = cur_at;
                *next_id = cur;
                break;
            }
            cur = conv;
            cur_at = store__q_i64(q, 1);
            store_inbox_person *p = &out[*n];
            memset(p, 0, sizeof *p);
            p->conversation_id = conv;
            p->started_at = store__q_i64(q, 1);
            p->employee_id = store__q_i64(q, 2);
            p->touchpoint_id = store__q_i64(q, 3);
            if ((rc = STORE_Q_FIELD(q, 4, p->touchpoint))) break;
            if ((rc = STORE_Q_FIELD(q, 5, p->first_name))) break;
            if ((rc = STORE_Q_FIELD(q, 6, p->last_name))) break;
            if ((rc = STORE_Q_FIELD(q, 7, p->email))) break;
            if ((rc = STORE_Q_FIELD(q, 8, p->department))) break;
            if ((rc = STORE_Q_FIELD(q, 9, p->location))) break;
            skip = keep && !keep(p->department, keep_arg);
            if (!skip) (*n)++;
        }
        if (!skip) {
            store_inbox_person *p = &out[*n - 1];
            const char *kind = store__q_text(q, 10, NULL);
            if (strcmp(kind, "text") == 0) {
                double cp = store__q_f64(q, 12);
                if (!p->has_comment || cp < p->compound) p->compound = cp;
                p->has_comment = 1;
            } else {
                double v = store__q_f64(q, 11);
                if (!p->has_mood || v < p->mood) p->mood = v;
                p->has_mood = 1;
            }
        }
    }
    if (rc == 0 && read == PEOPLE_SCAN_MAX && !*next_id) {
        *next_at = cur_at; /* the last conversation may have rows left: they are skipped */
        *next_id = cur;
    }
    return store__q_close(q, rc);
}
