/* The store's threads (store.h, "asynchronous jobs"): one writer that runs
 * queued write jobs in batches — one transaction per batch, one savepoint per
 * job (group commit) — and N readers that run read jobs one at a time, each
 * thread on its own connection. Completions go back to the event loop through
 * one uv_async_t and a completion queue. Backend-neutral: the SQL lives in
 * the backends, transaction control comes through store_int.h.
 *
 * Group commit needs no timer: while the writer is inside COMMIT (fsync), new
 * jobs pile up in the queue and the next batch takes all of them, up to
 * batch_max. Both job queues are bounded by queue_max; the completion queue is
 * bounded by what the job queues let through. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "store/store_int.h"

static void queue_push(struct store_job_queue *q, struct store_job *j) {
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->len++;
}

/* Moves all of SRC (a chain of N jobs ending in TAIL) to the end of Q. */
static void queue_splice(struct store_job_queue *q, struct store_job *head, struct store_job *tail, size_t n) {
    if (!head) return;
    if (q->tail)
        q->tail->next = head;
    else
        q->head = head;
    q->tail = tail;
    q->len += n;
}

/* Takes up to MAX jobs from the front of Q as a NULL-terminated chain. */
static struct store_job *queue_take(struct store_job_queue *q, size_t max, struct store_job **tail, size_t *n) {
    struct store_job *head = q->head, *last = NULL, *j = q->head;
    size_t k = 0;
    while (j && k < max) {
        last = j;
        j = j->next;
        k++;
    }
    if (last) last->next = NULL;
    q->head = j;
    if (!j) q->tail = NULL;
    q->len -= k;
    *tail = last;
    *n = k;
    return head;
}

int store__jobs_init(store *s) {
    int mu = uv_mutex_init(&s->mu);
    int wcv = mu == 0 ? uv_cond_init(&s->write_cv) : -1;
    int rcv = wcv == 0 ? uv_cond_init(&s->read_cv) : -1;
    if (rcv == 0) {
        s->locks_ready = 1;
        return HARK_OK;
    }
    if (wcv == 0) uv_cond_destroy(&s->write_cv);
    if (mu == 0) uv_mutex_destroy(&s->mu);
    return HARK_EIO;
}

static void close_readers(store *s) {
    for (int i = 0; i < s->nconns; i++) s->be->conn_close(s->reader_conns[i]);
    free(s->reader_conns);
    free(s->readers);
    s->reader_conns = NULL;
    s->readers = NULL;
    s->nconns = 0;
    s->nreaders = 0;
}

void store__jobs_free(store *s) {
    struct store_job *j, *next;
    struct store_job_queue *queues[] = {&s->writes, &s->reads, &s->done};
    /* Only a store that never started can hold queued jobs here; their DONE
     * is not called (store_close's contract). */
    for (size_t i = 0; i < 3; i++) {
        for (j = queues[i]->head; j; j = next) {
            next = j->next;
            free(j);
        }
        queues[i]->head = queues[i]->tail = NULL;
        queues[i]->len = 0;
    }
    close_readers(s);
    if (!s->locks_ready) return;
    s->locks_ready = 0;
    uv_cond_destroy(&s->read_cv);
    uv_cond_destroy(&s->write_cv);
    uv_mutex_destroy(&s->mu);
}

/* Runs one write job inside its savepoint. Returns 0, or -1 when the batch
 * transaction can no longer be trusted: the database ended it on its own (it
 * does on some I/O errors and on a full disk), or the savepoint could not be
 * rolled back or released, so the job's changes might stay half-undone. */
static int run_write_job(store_conn *c, struct store_job *j) {
    int rc = c->be->savepoint(c, STORE_SP_JOB);
    if (rc) {
        j->status = rc;
        return c->be->tx_active(c) ? 0 : -1;
    }
    j->status = j->work(c, j->arg);
    if (!c->be->tx_active(c)) return -1;
    rc = j->status ? c->be->rollback_to(c, STORE_SP_JOB) : c->be->release(c, STORE_SP_JOB);
    return rc ? -1 : 0;
}

static void set_status(struct store_job *from, struct store_job *to_excl, int status) {
    for (struct store_job *j = from; j != to_excl; j = j->next) j->status = status;
}

static void note_batch(store *s, size_t ran, int committed, double commit_ms) {
    uv_mutex_lock(&s->mu);
    if (committed) s->stats.commits++;
    s->stats.jobs_written += ran;
    s->stats.last_batch = ran;
    if (ran > s->stats.max_batch) s->stats.max_batch = ran;
    s->stats.last_commit_ms = commit_ms;
    uv_mutex_unlock(&s->mu);
}

/* Runs the chain BATCH in as few transactions as possible — one, unless a
 * transaction has to be abandoned midway — and sets every job's status. A job
 * reports success only if the transaction that holds its changes commits. */
static void run_batch(store *s, store_conn *c, struct store_job *batch) {
    struct store_job *start = batch;
    while (start) {
        int rc = store__tx_begin(c, STORE_TX_WRITE);
        if (rc) {
            set_status(start, NULL, rc);
            return;
        }
        struct store_job *j = start;
        size_t ran = 0;
        int broken = 0;
        for (; j && !broken; j = j->next) {
            broken = run_write_job(c, j);
            ran++;
        }
        if (broken) {
            /* J is the job after the one that broke the transaction. */
            log_error("store: write transaction abandoned; failing its %zu jobs", ran);
            store__tx_rollback(c);
            set_status(start, j, HARK_EIO);
            note_batch(s, ran, 0, 0);
            start = j;
            continue;
        }
        uint64_t t0 = uv_hrtime();
        rc = store__tx_commit(c);
        double ms = (double)(uv_hrtime() - t0) / 1e6;
        if (rc) {
            log_error("store: commit of %zu write jobs failed: %s", ran, hark_strerror(rc));
            set_status(start, NULL, HARK_EIO);
        }
        note_batch(s, ran, rc == HARK_OK, ms);
        start = NULL;
    }
}

static void writer_main(void *arg) {
    store *s = arg;
    store_conn *c = s->main;
    c->managed = 1;
    uv_mutex_lock(&s->mu);
    for (;;) {
        while (s->writes.len == 0 && !s->stopping) uv_cond_wait(&s->write_cv, &s->mu);
        if (s->writes.len == 0) break; /* stopping and drained */
        struct store_job *tail;
        size_t n;
        struct store_job *batch = queue_take(&s->writes, (size_t)s->opts.batch_max, &tail, &n);
        uv_mutex_unlock(&s->mu);

        run_batch(s, c, batch);

        uv_mutex_lock(&s->mu);
        queue_splice(&s->done, batch, tail, n);
        uv_async_send(&s->async);
    }
    uv_mutex_unlock(&s->mu);
    c->managed = 0;
}

static void reader_main(void *arg) {
    store_conn *c = arg;
    store *s = c->s;
    c->managed = 1;
    uv_mutex_lock(&s->mu);
    for (;;) {
        while (s->reads.len == 0 && !s->stopping) uv_cond_wait(&s->read_cv, &s->mu);
        if (s->reads.len == 0) break;
        struct store_job *tail;
        size_t n;
        struct store_job *j = queue_take(&s->reads, 1, &tail, &n);
        uv_mutex_unlock(&s->mu);

        /* One snapshot per job, so a job that reads twice sees one state. */
        j->status = store__tx_begin(c, STORE_TX_READ);
        if (j->status == HARK_OK) {
            j->status = j->work(c, j->arg);
            store__tx_rollback(c); /* a read job has nothing to keep */
        }

        uv_mutex_lock(&s->mu);
        queue_push(&s->done, j);
        uv_async_send(&s->async);
    }
    uv_mutex_unlock(&s->mu);
    c->managed = 0;
}

static void on_async_closed(uv_handle_t *h) {
    store *s = h->data;
    s->async_closed = 1;
}

/* On the loop thread: delivers every completion queued so far, and closes
 * the handle once store_stop has joined the threads and nothing is left. */
static void on_async(uv_async_t *a) {
    store *s = a->data;
    uv_mutex_lock(&s->mu);
    struct store_job *j = s->done.head;
    s->done.head = s->done.tail = NULL;
    s->done.len = 0;
    uv_mutex_unlock(&s->mu);
    while (j) {
        struct store_job *next = j->next;
        j->done(j->arg, j->status);
        free(j);
        j = next;
    }
    if (s->joined && !s->async_closing) {
        uv_mutex_lock(&s->mu);
        int empty = s->done.len == 0;
        uv_mutex_unlock(&s->mu);
        if (empty) {
            s->async_closing = 1;
            uv_close((uv_handle_t *)&s->async, on_async_closed);
        }
    }
}

/* Asks the threads to finish and joins those that were started. */
static void stop_threads(store *s) {
    uv_mutex_lock(&s->mu);
    s->stopping = 1;
    uv_cond_broadcast(&s->write_cv);
    uv_cond_broadcast(&s->read_cv);
    uv_mutex_unlock(&s->mu);
    if (s->writer_started) uv_thread_join(&s->writer);
    s->writer_started = 0;
    for (int i = 0; i < s->nreaders; i++) uv_thread_join(&s->readers[i]);
}

int store_start(store *s, uv_loop_t *loop) {
    int rc = HARK_OK;
    char err[256] = "";
    if (s->started || s->stopping || s->readers || s->main->in_tx) return HARK_EINVAL;
    int n = s->opts.readers;
    s->readers = calloc((size_t)n, sizeof *s->readers);
    s->reader_conns = calloc((size_t)n, sizeof *s->reader_conns);
    if (!s->readers || !s->reader_conns) {
        rc = HARK_ENOMEM;
        goto fail;
    }
    for (; s->nconns < n; s->nconns++) {
        rc = s->be->conn_open(s, s->read_target, 1, &s->reader_conns[s->nconns], err, sizeof err);
        if (rc) goto fail;
    }
    if (uv_async_init(loop, &s->async, on_async) != 0) {
        rc = HARK_EIO;
        goto fail;
    }
    s->async.data = s;
    s->loop = loop;
    s->started = 1;
    if (uv_thread_create(&s->writer, writer_main, s) != 0) {
        rc = HARK_EIO;
        goto fail;
    }
    s->writer_started = 1;
    for (; s->nreaders < n; s->nreaders++) {
        if (uv_thread_create(&s->readers[s->nreaders], reader_main, s->reader_conns[s->nreaders]) != 0) {
            rc = HARK_EIO;
            goto fail;
        }
    }
    return HARK_OK;

fail:
    log_error("store: cannot start the store threads: %s%s%s", hark_strerror(rc), err[0] ? ": " : "", err);
    if (s->started) {
        /* Leave the store stopped; the handle closes when the loop runs and
         * store_close releases the reader connections. */
        stop_threads(s);
        s->joined = 1;
        uv_async_send(&s->async);
    } else {
        close_readers(s);
    }
    return rc;
}

void store_stop(store *s) {
    if (!s->started || s->joined) {
        uv_mutex_lock(&s->mu);
        s->stopping = 1;
        uv_mutex_unlock(&s->mu);
        return;
    }
    stop_threads(s);
    s->joined = 1;
    /* The async callback delivers what the threads finished last, then closes
     * the handle so the loop can exit. */
    uv_async_send(&s->async);
}

int store_submit(store *s, enum store_job_kind kind, store_work_fn work, store_done_fn done, void *arg) {
    if (!work || !done || (kind != STORE_READ && kind != STORE_WRITE)) return HARK_EINVAL;
    struct store_job *j = malloc(sizeof *j);
    if (!j) return HARK_ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
    j->status = HARK_OK;
    int rc = HARK_OK;
    struct store_job_queue *q = kind == STORE_WRITE ? &s->writes : &s->reads;
    uv_mutex_lock(&s->mu);
    if (s->stopping)
        rc = HARK_ECLOSED;
    else if (!s->started)
        rc = HARK_EINVAL;
    else if (q->len >= s->opts.queue_max)
        rc = HARK_EBUSY;
    if (rc == HARK_OK) {
        queue_push(q, j);
        uv_cond_signal(kind == STORE_WRITE ? &s->write_cv : &s->read_cv);
    }
    uv_mutex_unlock(&s->mu);
    if (rc) free(j);
    return rc;
}

void store_get_stats(store *s, store_stats *out) {
    uv_mutex_lock(&s->mu);
    *out = s->stats;
    out->write_queue = s->writes.len;
    out->read_queue = s->reads.len;
    uv_mutex_unlock(&s->mu);
}
