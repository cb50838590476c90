/* SQLite queries for conversations and their messages and answers (contracts
 * in store.h). Appending relies on running inside a write transaction opened
 * by store.c: SQLite's single writer lock makes "read last_seq, check, insert,
 * update" atomic, so the conditional UPDATE is a second guard, not the lock. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "store/sqlite_int.h"

int sq_conversation_create(store_conn *base, store_conversation *conv) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms();
    int rc = sq_flow_visible(c, conv->tenant_id, conv->flow_id, "conversation_create");
    if (rc) return rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_CONV_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, conv->invite_id);
    sq_bind_i64(&b, conv->flow_id);
    sq_bind_text(&b, conv->node);
    sq_bind_text(&b, conv->vars_json ? conv->vars_json : "{}");
    sq_bind_i64(&b, conv->last_seq);
    sq_bind_i64(&b, conv->awaiting_seq);
    sq_bind_i64(&b, conv->done ? 1 : 0);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, now);
    rc = sq_finish(st, sq_step(c, st, &b, "conversation_create"));
    if (rc) return rc;
    conv->id = sqlite3_last_insert_rowid(c->db);
    conv->started_at = conv->updated_at = now;

    st = sq_stmt(c, SQ_INV_SET_STATUS, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_text(&b, "started");
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, conv->invite_id);
    return sq_finish(st, sq_step(c, st, &b, "conversation_create"));
}

static int read_message(sqlite3_stmt *st, store_message *m) {
    memset(m, 0, sizeof *m);
    m->seq = sqlite3_column_int64(st, 0);
    m->from_employee = sqlite3_column_int(st, 1);
    int rc = SQ_FIELD(st, 2, m->client_id);
    if (rc == HARK_OK) rc = sq_col_dup(st, 3, 0, &m->text);
    if (rc == HARK_OK) rc = sq_col_dup(st, 4, 1, &m->input_json);
    m->scored = sqlite3_column_int(st, 5);
    m->compound = sqlite3_column_double(st, 6);
    m->pos = sqlite3_column_double(st, 7);
    m->neu = sqlite3_column_double(st, 8);
    m->neg = sqlite3_column_double(st, 9);
    if (rc == HARK_OK) rc = sq_col_dup(st, 10, 1, &m->flags_json);
    m->created_at = sqlite3_column_int64(st, 11);
    return rc;
}

/* Loads the messages of conversation CONV_ID in seq order into a new array
 * (*MSGS, *N; partially filled on failure, store.c frees it). */
static int load_messages(struct sq_conn *c, int64_t tenant_id, int64_t conv_id, store_message **msgs, size_t *n) {
    struct sq_bind b;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_MSG_LIST, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, conv_id);
    for (;;) {
        rc = sq_step(c, st, &b, "conversation_load");
        if (rc != 1) break;
        if (*n == STORE_CONVERSATION_MAX_MESSAGES) {
            rc = HARK_ETOOBIG;
            break;
        }
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            store_message *p = realloc(*msgs, ncap * sizeof *p);
            if (!p) {
                rc = HARK_ENOMEM;
                break;
            }
            *msgs = p;
            cap = ncap;
        }
        /* Counted before reading so a half-read message is freed too. */
        rc = read_message(st, &(*msgs)[(*n)++]);
        if (rc) break;
    }
    return sq_finish(st, rc);
}

int sq_conversation_load(store_conn *base, int64_t tenant_id, int64_t invite_id, store_conversation *conv,
                         store_message **msgs, size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_CONV_BY_INVITE, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, invite_id);
    rc = sq_step(c, st, &b, "conversation_load");
    if (rc == 0) rc = HARK_ENOTFOUND;
    if (rc == 1) {
        memset(conv, 0, sizeof *conv);
        conv->id = sqlite3_column_int64(st, 0);
        conv->tenant_id = sqlite3_column_int64(st, 1);
        conv->invite_id = sqlite3_column_int64(st, 2);
        conv->flow_id = sqlite3_column_int64(st, 3);
        rc = SQ_FIELD(st, 4, conv->node);
        if (rc == HARK_OK) rc = sq_col_dup(st, 5, 0, &conv->vars_json);
        conv->last_seq = sqlite3_column_int64(st, 6);
        conv->awaiting_seq = sqlite3_column_int64(st, 7);
        conv->done = sqlite3_column_int(st, 8);
        conv->started_at = sqlite3_column_int64(st, 9);
        conv->updated_at = sqlite3_column_int64(st, 10);
    }
    rc = sq_finish(st, rc);
    if (rc) return rc;
    return load_messages(c, tenant_id, conv->id, msgs, n);
}

/* HARK_EEXISTS with *DUP_SEQ when one of MSGS's client ids is stored. */
static int find_duplicate(struct sq_conn *c, const store_conversation *conv, const store_message *msgs, size_t n,
                          int64_t *dup_seq) {
    int rc = HARK_OK;
    for (size_t i = 0; i < n && rc == HARK_OK; i++) {
        if (!msgs[i].from_employee || !msgs[i].client_id[0]) continue;
        struct sq_bind b;
        sqlite3_stmt *st = sq_stmt(c, SQ_MSG_BY_CLIENT, &rc);
        if (!st) return rc;
        sq_bind_init(&b, st);
        sq_bind_i64(&b, conv->tenant_id);
        sq_bind_i64(&b, conv->id);
        sq_bind_text(&b, msgs[i].client_id);
        rc = sq_step(c, st, &b, "conversation_append");
        if (rc == 1) {
            if (dup_seq) *dup_seq = sqlite3_column_int64(st, 0);
            rc = HARK_EEXISTS;
        }
        rc = sq_finish(st, rc);
    }
    return rc;
}

static int insert_message(struct sq_conn *c, const store_conversation *conv, const store_message *m, int64_t now) {
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_MSG_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, conv->id);
    sq_bind_i64(&b, m->seq);
    sq_bind_i64(&b, m->from_employee ? 1 : 0);
    /* NULL keeps bot messages out of the unique client-id index. */
    sq_bind_text(&b, m->from_employee && m->client_id[0] ? m->client_id : NULL);
    sq_bind_text(&b, m->text);
    sq_bind_text(&b, m->input_json);
    sq_bind_i64(&b, m->scored ? 1 : 0);
    if (m->scored) {
        sq_bind_double(&b, m->compound);
        sq_bind_double(&b, m->pos);
        sq_bind_double(&b, m->neu);
        sq_bind_double(&b, m->neg);
    } else {
        for (int i = 0; i < 4; i++) sq_bind_null(&b);
    }
    sq_bind_text(&b, m->flags_json);
    sq_bind_i64(&b, m->created_at ? m->created_at : now);
    return sq_finish(st, sq_step(c, st, &b, "conversation_append"));
}

static int insert_answer(struct sq_conn *c, const store_conversation *conv, const store_answer *a, int64_t now) {
    struct sq_bind b;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_ANS_INSERT, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, conv->id);
    sq_bind_i64(&b, a->seq);
    sq_bind_text(&b, a->key);
    sq_bind_text(&b, a->kind);
    if (a->has_number)
        sq_bind_double(&b, a->number);
    else
        sq_bind_null(&b);
    sq_bind_i64(&b, now);
    return sq_finish(st, sq_step(c, st, &b, "conversation_append"));
}

static int insert_escalations(struct sq_conn *c, const store_conversation *conv, const store_message *m, int64_t now) {
    int rc = HARK_OK;
    for (size_t i = 0; i < m->nflags && rc == HARK_OK; i++) {
        struct sq_bind b;
        sqlite3_stmt *st = sq_stmt(c, SQ_ESC_INSERT, &rc);
        if (!st) return rc;
        sq_bind_init(&b, st);
        sq_bind_i64(&b, conv->tenant_id);
        sq_bind_i64(&b, conv->id);
        sq_bind_i64(&b, m->seq);
        sq_bind_text(&b, m->flags[i].kind);
        sq_bind_i64(&b, m->flags[i].severity);
        sq_bind_i64(&b, m->flags[i].start);
        sq_bind_i64(&b, m->flags[i].len);
        sq_bind_i64(&b, m->created_at ? m->created_at : now); /* raised when the answer was written */
        sq_bind_i64(&b, m->created_at ? m->created_at : now);
        rc = sq_finish(st, sq_step(c, st, &b, "conversation_append"));
        /* The tenant's admins are told by outreach, through the outbox row
         * queued here: in the same transaction, so no escalation goes
         * untold and none is told twice. */
        if (rc == HARK_OK)
            rc = sq_outbox_insert(c, conv->tenant_id, "alert", sqlite3_last_insert_rowid(c->db), 0, now, now,
                                  "conversation_append");
    }
    return rc;
}

static int read_escalation(sqlite3_stmt *st, store_escalation *e) {
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->conversation_id = sqlite3_column_int64(st, 2);
    e->seq = sqlite3_column_int64(st, 3);
    int rc = SQ_FIELD(st, 4, e->kind);
    e->severity = sqlite3_column_int(st, 5);
    e->start = sqlite3_column_int64(st, 6);
    e->len = sqlite3_column_int64(st, 7);
    if (rc == HARK_OK) rc = SQ_FIELD(st, 8, e->status);
    e->created_at = sqlite3_column_int64(st, 9);
    return rc;
}

int sq_escalation_get(store_conn *base, int64_t tenant_id, int64_t id, store_escalation *out) {
    sqlite3_stmt *st;
    int rc = sq_get_by_id(sq(base), SQ_ESC_GET, tenant_id, id, "escalation_get", &st);
    if (rc == 1) rc = read_escalation(st, out);
    return st ? sq_finish(st, rc) : rc;
}

int sq_escalation_list(store_conn *base, int64_t tenant_id, int64_t after_id, store_escalation *out, size_t max,
                       size_t *n) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int rc;
    *n = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_ESC_LIST, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_i64(&b, tenant_id);
    sq_bind_i64(&b, after_id);
    sq_bind_i64(&b, (int64_t)max);
    while ((rc = sq_step(c, st, &b, "escalation_list")) == 1 && *n < max) {
        if ((rc = read_escalation(st, &out[*n])) != HARK_OK) break;
        (*n)++;
    }
    return sq_finish(st, rc);
}

/* The common case costs one conditional UPDATE and the INSERTs: the UPDATE
 * both checks PREV_LAST_SEQ and moves the conversation on. Only when it
 * changes nothing do the slower checks run, in this order: the conversation
 * must exist (HARK_ENOTFOUND); a client id already stored wins over a stale
 * PREV_LAST_SEQ, because the caller's answer to it (acknowledge with the
 * original seq) does not depend on freshness. An INSERT that meets a stored
 * client id fails the same way; the caller's savepoint undoes the UPDATE. */
int sq_conversation_append(store_conn *base, const store_conversation *conv, int64_t prev_last_seq,
                           const store_message *msgs, size_t n, const store_answer *answers, size_t nanswers,
                           int64_t *dup_seq) {
    struct sq_conn *c = sq(base);
    struct sq_bind b;
    int64_t now = hark_now_ms(), invite_id = 0;
    int rc;
    if (dup_seq) *dup_seq = 0;

    sqlite3_stmt *st = sq_stmt(c, SQ_CONV_UPDATE, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_text(&b, conv->node);
    sq_bind_text(&b, conv->vars_json ? conv->vars_json : "{}");
    sq_bind_i64(&b, conv->last_seq);
    sq_bind_i64(&b, conv->awaiting_seq);
    sq_bind_i64(&b, conv->done ? 1 : 0);
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, conv->id);
    sq_bind_i64(&b, prev_last_seq);
    rc = sq_step(c, st, &b, "conversation_append");
    if (rc == 1) invite_id = sqlite3_column_int64(st, 0);
    rc = sq_finish(st, rc);
    if (rc) return rc;
    if (!invite_id) {
        /* Nothing moved: missing, a duplicate, or stale. */
        st = sq_stmt(c, SQ_CONV_STATE, &rc);
        if (!st) return rc;
        sq_bind_init(&b, st);
        sq_bind_i64(&b, conv->tenant_id);
        sq_bind_i64(&b, conv->id);
        rc = sq_step(c, st, &b, "conversation_append");
        rc = sq_finish(st, rc == 0 ? HARK_ENOTFOUND : rc);
        if (rc) return rc;
        rc = find_duplicate(c, conv, msgs, n, dup_seq);
        return rc ? rc : HARK_EBUSY;
    }

    for (size_t i = 0; i < n && rc == HARK_OK; i++) rc = insert_message(c, conv, &msgs[i], now);
    if (rc == HARK_EEXISTS) return find_duplicate(c, conv, msgs, n, dup_seq);
    for (size_t i = 0; i < n && rc == HARK_OK; i++) rc = insert_escalations(c, conv, &msgs[i], now);
    for (size_t i = 0; i < nanswers && rc == HARK_OK; i++) rc = insert_answer(c, conv, &answers[i], now);
    if (rc || !conv->done) return rc;

    st = sq_stmt(c, SQ_INV_SET_STATUS, &rc);
    if (!st) return rc;
    sq_bind_init(&b, st);
    sq_bind_text(&b, "completed");
    sq_bind_i64(&b, now);
    sq_bind_i64(&b, conv->tenant_id);
    sq_bind_i64(&b, invite_id);
    return sq_finish(st, sq_step(c, st, &b, "conversation_append"));
}
