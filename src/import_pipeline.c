/* src/import_pipeline.c - an import over two threads (src/import_pipeline.h).
 *
 * Why: an import does two jobs of about equal cost, reading the file (decoding, CSV, SHA-256,
 * checking every cell against the instrument) and SQLite's inserts into the store. On two cores
 * they can run side by side, and the import then takes about as long as the longer of the two
 * instead of their sum (docs/performance.md, "Import").
 *
 * Design:
 *   - A reading thread, started here, runs the whole reading side (import.c's produce step); the
 *     caller's thread keeps everything else: SQLite (the connection is never touched by the
 *     reader), the rejects file, and every callback of the caller (problems, progress), in the
 *     file's order exactly as a one-thread import calls them. A duplicate id, which only the
 *     insert finds, is therefore reported between the same rows as before.
 *   - Rows travel in blocks of IMPORT_ROWS_PER_BLOCK rows, at most MAX_BLOCKS of which exist at once:
 *     the reader waits for a block to come back when it is that far ahead, so memory is bounded
 *     (a few MiB) whatever the size of the file.
 *   - Either side can stop the other: the storing side cancels (an SQLite error, Ctrl-C seen
 *     between blocks), and the reader then gets no more row slots and stops; the reader's end,
 *     with its status, is seen by the storing side once it has received every block before it.
 *   - The reading thread blocks every signal, so Ctrl-C and SIGTERM still reach the caller's
 *     thread, whose handler sets the caller's stop flag; only that thread reads the flag (the
 *     reader reading it would race with the handler's write), while it waits for a block and
 *     between blocks, and cancels the reader, which looks at the cancel flag at every row.
 * All hand-overs go through one mutex and condition variable (once per block, not per row);
 * the cancel flag is also an atomic, read by the reader at each row without the lock. A lock,
 * wait or wake-up that fails (POSIX allows it only for a broken mutex or condition variable)
 * cancels both sides and fails the import, so a batch is never committed half read. */
#include "import_pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BLOCKS 8
#define ARENA_BYTES ((size_t)128 * 1024)
#define STOP_CHECK_MS 20

struct import_pipeline {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
    bool thread_started, lock_ready, cond_ready;
    /* under lock */
    import_block *queue_head, *queue_tail; /* handed over, not yet received */
    import_block *free_blocks;
    size_t nblocks;                        /* allocated, wherever they are */
    bool reader_done;
    atomic_bool cancelled;
    atomic_int sync_error;                 /* the first failed lock, wait or wake-up, or 0 */
    /* the reader's own */
    size_t nitems;
    import_produce_fn produce;
    void *ctx;
    import_block *filling;
    bool has_progress;
    uint64_t progress_done, progress_total;
    /* the reader's result, read after the join */
    sipas_status status;
    sipas_error error;
};

static void block_free(import_block *b)
{
    if (b == NULL)
        return;
    free(b->rows);
    free(b->values);
    free(b->arena);
    free(b->fields);
    free(b->lengths);
    free(b->text);
    free(b);
}

static import_block *block_new(size_t nitems)
{
    import_block *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->rows = malloc(IMPORT_ROWS_PER_BLOCK * sizeof *b->rows);
    b->values = malloc(IMPORT_ROWS_PER_BLOCK * (nitems ? nitems : 1) * sizeof *b->values);
    b->arena = malloc(ARENA_BYTES);
    b->arena_cap = ARENA_BYTES;
    if (b->rows == NULL || b->values == NULL || b->arena == NULL) {
        block_free(b);
        return NULL;
    }
    return b;
}

static void sync_failed(import_pipeline *p, int rc)
{
    int none = 0;
    atomic_compare_exchange_strong(&p->sync_error, &none, rc);
    atomic_store(&p->cancelled, true);
}

static bool lock(import_pipeline *p)
{
    int rc = pthread_mutex_lock(&p->lock);
    if (rc != 0)
        sync_failed(p, rc);
    return rc == 0;
}

static void unlock(import_pipeline *p)
{
    int rc = pthread_mutex_unlock(&p->lock);
    if (rc != 0)
        sync_failed(p, rc);
}

static void wake(import_pipeline *p)
{
    int rc = pthread_cond_broadcast(&p->changed);
    if (rc != 0)
        sync_failed(p, rc);
}

/* Waits for a change, until the time given (NULL: no limit). */
static void wait_for_change(import_pipeline *p, const struct timespec *until)
{
    int rc = until ? pthread_cond_timedwait(&p->changed, &p->lock, until)
                   : pthread_cond_wait(&p->changed, &p->lock);
    if (rc != 0 && rc != ETIMEDOUT)
        sync_failed(p, rc);
}

/* Under the lock. */
static void enqueue(import_pipeline *p, import_block *b)
{
    b->next = NULL;
    if (p->queue_tail)
        p->queue_tail->next = b;
    else
        p->queue_head = b;
    p->queue_tail = b;
}

/* Reader: hands the block being filled over, with the progress seen so far. */
static void hand_over(import_pipeline *p)
{
    import_block *b = p->filling;
    p->filling = NULL;
    b->has_progress = p->has_progress;
    b->progress_done = p->progress_done;
    b->progress_total = p->progress_total;
    p->has_progress = false;
    if (!lock(p)) {
        p->filling = b; /* freed by import_pipeline_finish */
        return;
    }
    enqueue(p, b);
    wake(p);
    unlock(p);
}

/* Reader: an empty block, waiting while MAX_BLOCKS are in use; NULL when cancelled or out of
 * memory (err set). */
static import_block *take_block(import_pipeline *p, sipas_error *err)
{
    import_block *b = NULL;
    if (!lock(p))
        return NULL;
    while (!atomic_load(&p->cancelled) && p->free_blocks == NULL && p->nblocks >= MAX_BLOCKS)
        wait_for_change(p, NULL);
    bool allocate = false;
    if (!atomic_load(&p->cancelled)) {
        if (p->free_blocks) {
            b = p->free_blocks;
            p->free_blocks = b->next;
        } else {
            allocate = true;
            p->nblocks++;
        }
    }
    unlock(p);
    if (allocate && (b = block_new(p->nitems)) == NULL) {
        sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        if (lock(p)) {
            p->nblocks--;
            unlock(p);
        }
    }
    if (b) {
        b->nrows = b->arena_len = b->nfields = b->text_len = 0;
        b->has_progress = false;
        b->next = NULL;
    }
    return b;
}

sipas_status import_pipeline_begin_row(import_pipeline *p, size_t arena_bytes, size_t nfields,
                                       import_block **block, import_row **row, sipas_error *err)
{
    if (atomic_load_explicit(&p->cancelled, memory_order_relaxed))
        return sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "the import was stopped");
    import_block *b = p->filling;
    if (b && (b->nrows == IMPORT_ROWS_PER_BLOCK ||
              (b->nrows > 0 && arena_bytes > b->arena_cap - b->arena_len))) {
        hand_over(p);
        b = NULL;
    }
    if (b == NULL) {
        if ((b = take_block(p, err)) == NULL)
            return atomic_load(&p->cancelled)
                 ? sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "the import was stopped")
                 : SIPAS_ERR_NOMEM;
        p->filling = b;
    }
    if (arena_bytes > b->arena_cap - b->arena_len) {
        /* an empty block: nothing points into its arena yet, so it may move */
        char *grown = realloc(b->arena, arena_bytes);
        if (grown == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        b->arena = grown;
        b->arena_cap = arena_bytes;
    }
    if (b->nfields + nfields > b->fields_cap) {
        size_t n = b->fields_cap ? b->fields_cap : 64;
        while (n < b->nfields + nfields)
            n *= 2;
        char **fields = realloc(b->fields, n * sizeof *b->fields);
        if (fields != NULL)
            b->fields = fields;
        size_t *lengths = fields ? realloc(b->lengths, n * sizeof *b->lengths) : NULL;
        if (lengths == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        b->lengths = lengths;
        b->fields_cap = n;
    }
    *row = &b->rows[b->nrows++];
    memset(*row, 0, sizeof **row);
    *block = b;
    return SIPAS_OK;
}

void import_pipeline_drop_row(import_pipeline *p)
{
    if (p->filling && p->filling->nrows > 0)
        p->filling->nrows--;
}

bool import_pipeline_add_text(import_block *block, const char *s, size_t len, size_t *at)
{
    if (block->text_len + len + 1 > block->text_cap) {
        size_t n = block->text_cap ? block->text_cap : 1024;
        while (n < block->text_len + len + 1)
            n *= 2;
        char *grown = realloc(block->text, n);
        if (grown == NULL)
            return false;
        block->text = grown;
        block->text_cap = n;
    }
    *at = block->text_len;
    memcpy(block->text + block->text_len, s, len);
    block->text[block->text_len + len] = '\0';
    block->text_len += len + 1;
    return true;
}

void import_pipeline_progress(import_pipeline *p, uint64_t done, uint64_t total)
{
    p->has_progress = true;
    p->progress_done = done;
    p->progress_total = total;
}

static void *run_reader(void *arg)
{
    import_pipeline *p = arg;
    p->status = p->produce(p->ctx, p, &p->error);
    /* the last rows, and the final progress (the whole file read), even after an error: the
     * messages of the rows before it are still to be shown */
    if (p->filling == NULL && p->has_progress && !atomic_load(&p->cancelled))
        p->filling = take_block(p, NULL);
    if (p->filling)
        hand_over(p);
    if (lock(p)) { /* else the storing side sees the cancel flag at its next look */
        p->reader_done = true;
        wake(p);
        unlock(p);
    }
    return NULL;
}

sipas_status import_pipeline_start(size_t nitems, import_produce_fn produce, void *ctx,
                                   import_pipeline **out, sipas_error *err)
{
    *out = NULL;
    import_pipeline *p = calloc(1, sizeof *p);
    if (p == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    p->nitems = nitems;
    p->produce = produce;
    p->ctx = ctx;
    atomic_init(&p->cancelled, false);
    atomic_init(&p->sync_error, 0);
    int rc = pthread_mutex_init(&p->lock, NULL);
    p->lock_ready = rc == 0;
    if (rc == 0) {
        rc = pthread_cond_init(&p->changed, NULL);
        p->cond_ready = rc == 0;
    }
    if (rc == 0) {
        /* the reader takes no signal: a Ctrl-C reaches the caller's thread, as without it */
        sigset_t all, before;
        sigfillset(&all);
        rc = pthread_sigmask(SIG_SETMASK, &all, &before);
        if (rc == 0) {
            rc = pthread_create(&p->thread, NULL, run_reader, p);
            p->thread_started = rc == 0;
            int restored = pthread_sigmask(SIG_SETMASK, &before, NULL);
            if (rc == 0 && restored != 0) {
                /* the caller's thread would ignore Ctrl-C: stop the reader and refuse */
                import_pipeline_cancel(p);
                rc = restored;
            }
        }
    }
    if (rc != 0) {
        sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot start the thread that reads "
                                          "the file: %s", strerror(rc));
        import_pipeline_finish(p, NULL);
        return st;
    }
    *out = p;
    return SIPAS_OK;
}

import_block *import_pipeline_receive(import_pipeline *p, volatile const int *stop_flag)
{
    if (!lock(p))
        return NULL;
    while (p->queue_head == NULL && !p->reader_done && !atomic_load(&p->cancelled) &&
           !(stop_flag && *stop_flag)) {
        /* a signal handler cannot wake the wait: look at the flag every STOP_CHECK_MS */
        struct timespec until;
        if (clock_gettime(CLOCK_REALTIME, &until) != 0) {
            sync_failed(p, errno);
            break;
        }
        until.tv_nsec += STOP_CHECK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        wait_for_change(p, &until);
    }
    import_block *b = NULL;
    if (!atomic_load(&p->cancelled) && p->queue_head) {
        b = p->queue_head;
        p->queue_head = b->next;
        if (p->queue_head == NULL)
            p->queue_tail = NULL;
    }
    unlock(p);
    return b;
}

void import_pipeline_recycle(import_pipeline *p, import_block *block)
{
    if (!lock(p)) {
        block_free(block); /* the reader is cancelled and wants no more blocks */
        return;
    }
    block->next = p->free_blocks;
    p->free_blocks = block;
    wake(p);
    unlock(p);
}

void import_pipeline_cancel(import_pipeline *p)
{
    bool locked = lock(p);
    atomic_store(&p->cancelled, true);
    wake(p); /* allowed without the lock too */
    if (locked)
        unlock(p);
}

static void free_list(import_block *b)
{
    while (b) {
        import_block *next = b->next;
        block_free(b);
        b = next;
    }
}

sipas_status import_pipeline_finish(import_pipeline *p, sipas_error *err)
{
    if (p == NULL)
        return SIPAS_OK;
    sipas_status st = SIPAS_OK;
    if (p->thread_started) {
        int rc = pthread_join(p->thread, NULL);
        if (rc != 0) /* cannot happen to a joinable thread joined once; if it did, the reader
                      * may still use p, which is then left allocated */
            return sipas_error_set(err, SIPAS_ERR_IO, "cannot wait for the thread that reads "
                                   "the file: %s", strerror(rc));
        st = p->status;
        if (st != SIPAS_OK && err)
            *err = p->error;
    }
    int sync_error = atomic_load(&p->sync_error);
    if (sync_error != 0)
        st = sipas_error_set(err, SIPAS_ERR_IO, "the two threads of the import could not work "
                             "together (%s); nothing was stored", strerror(sync_error));
    free_list(p->queue_head);
    free_list(p->free_blocks);
    block_free(p->filling);
    /* destroying fails only for an object in use, and none is once the reader has ended */
    if (p->cond_ready && pthread_cond_destroy(&p->changed) != 0)
        st = st != SIPAS_OK ? st : sipas_error_set(err, SIPAS_ERR_IO, "cannot release the "
                                                   "import's condition variable");
    if (p->lock_ready && pthread_mutex_destroy(&p->lock) != 0)
        st = st != SIPAS_OK ? st : sipas_error_set(err, SIPAS_ERR_IO, "cannot release the "
                                                   "import's lock");
    free(p);
    return st;
}
