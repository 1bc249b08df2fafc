/* src/import_pipeline.h - the hand-over of checked rows from the reading thread of an import to
 * the thread that stores them (src/import_pipeline.c explains the design).
 *
 * A block carries, in the file's order, what one stretch of rows gave the reader: each row's
 * typed values (or that it is rejected), its raw fields (the rejects file and the message of a
 * duplicate id need them), and the messages to show for it. Text values of a row point into the
 * block's arena, which never moves while rows point into it; the block is the storing side's to
 * read from import_pipeline_receive until import_pipeline_recycle. Internal to the import. */
#ifndef SIPAS_IMPORT_PIPELINE_H
#define SIPAS_IMPORT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/error.h"
#include "sipas/store.h"

/* Rows in a block at most. */
#define IMPORT_ROWS_PER_BLOCK 512

typedef enum {
    IMPORT_ROW_MESSAGES, /* only messages to show (the header's problems) */
    IMPORT_ROW_STORE,    /* a valid row: its values are to be stored */
    IMPORT_ROW_REJECT    /* a rejected row: its fields and reasons go to the rejects file */
} import_row_kind;

typedef struct import_row {
    size_t source_row;
    import_row_kind kind;
    size_t first_field, nfields;      /* into the block's fields and lengths */
    size_t messages_at, nmessages;    /* NUL-terminated messages, back to back in text */
    size_t reasons_at, reasons_len;   /* REJECT: "column 'x': reason; ..." in text */
} import_row;

typedef struct import_block {
    import_row *rows;
    size_t nrows;
    sipas_value *values;              /* row i's values: values + i * nitems */
    char *arena;                      /* copies of the raw fields, personal-item hashes */
    size_t arena_len, arena_cap;
    char **fields;                    /* into arena */
    size_t *lengths;
    size_t nfields, fields_cap;
    char *text;                       /* messages and reasons, addressed by offset */
    size_t text_len, text_cap;
    bool has_progress;                /* the reader's progress when the block was handed over */
    uint64_t progress_done, progress_total;
    struct import_block *next;        /* in the pipeline's queue or free list */
} import_block;

typedef struct import_pipeline import_pipeline;

/* What the reading thread runs: reads the whole file, filling blocks of p through
 * import_pipeline_begin_row. Its status and err become import_pipeline_finish's. */
typedef sipas_status (*import_produce_fn)(void *ctx, import_pipeline *p, sipas_error *err);

/* Starts the reading thread running produce(ctx). nitems: values per row. */
sipas_status import_pipeline_start(size_t nitems, import_produce_fn produce, void *ctx,
                                   import_pipeline **out, sipas_error *err);

/* Reading thread: a row slot (cleared) in the block being filled, with arena_bytes of arena and
 * nfields field slots free: *block and *row, the block's last row. The block is handed over
 * first when they do not fit. SIPAS_ERR_INTERRUPTED when the storing side has stopped (the
 * reader should stop too), SIPAS_ERR_NOMEM when memory ran out. */
sipas_status import_pipeline_begin_row(import_pipeline *p, size_t arena_bytes, size_t nfields,
                                       import_block **block, import_row **row, sipas_error *err);
/* Reading thread: drops the row slot begun last (a row with nothing to hand over). */
void import_pipeline_drop_row(import_pipeline *p);
/* Reading thread: appends text (len bytes and a NUL) to the block's text; its offset in *at.
 * false when out of memory. */
bool import_pipeline_add_text(import_block *block, const char *s, size_t len, size_t *at);
/* Reading thread: remembers the reader's progress, shown once the rows before it are stored. */
void import_pipeline_progress(import_pipeline *p, uint64_t done, uint64_t total);

/* Storing thread: the next block in file order, or NULL once the reader has finished and every
 * block was received, or as soon as *stop_flag (may be NULL) is set: the caller then cancels. */
import_block *import_pipeline_receive(import_pipeline *p, volatile const int *stop_flag);
void import_pipeline_recycle(import_pipeline *p, import_block *block);
/* Storing thread: stop the reader (an error, an interrupt); blocks are not received anymore. */
void import_pipeline_cancel(import_pipeline *p);
/* Waits for the reading thread, frees the pipeline, and returns the reader's status (its err).
 * NULL is a no-op returning SIPAS_OK. */
sipas_status import_pipeline_finish(import_pipeline *p, sipas_error *err);

#endif
