/* sipas/import.h - validated import of one batch (CSV, Excel, SPSS, Stata: src/table_source.h)
 * into the store.
 *
 * The file is read once to hash it (SHA-256: the same content cannot be stored twice without
 * `replace`) and once to validate and store it, streaming, so memory does not grow with the file.
 * The header is matched to the instrument's items by header_match.h (names, aliases, group
 * paths, labels; KoboToolbox system columns and the batch_id of an export ignored; _uuid as
 * the id when there is no id column); unknown, missing and repeated columns refuse the file,
 * except the weight and fpc columns when a draw of the form is stored (design_fill.h fills
 * their empty or missing cells). Each data row is checked:
 *   select_one   a code or a label in either language, forgivingly (label_match.h)
 *   integer      an integer, a zero fraction allowed ("2024.0"); the wave column also between
 *                1990 and 2100
 *   decimal      a finite number; a decimal comma is accepted when the file is not
 *                comma-separated (Vietnamese-locale spreadsheets write "1,5")
 *   weight, fpc  a positive number; empty or missing: the stored draw's value for the row's
 *                wave, stratum and cluster, else the row is refused (design_fill.h)
 *   id           non-empty and unique among stored respondents of the form
 *   every cell   valid UTF-8: the file is converted from its encoding first (encoding.h), and
 *                bytes that are not text stop the file with one message
 * Each problem is reported as "FILE:ROW: column 'NAME': reason" (in a spreadsheet
 * "FILE[SHEET]:ROW: column 'NAME' (cell D12): reason") through on_problem, and the row
 * goes to the rejects file with its reasons. A batch with rejected rows is stored without them
 * when keep_valid is set, otherwise not at all. Personal items are stored as a keyed hash
 * (HMAC-SHA-256 with the store's key), never in clear; a value that already is such a hash (64
 * lowercase hex digits, as export writes it) is stored as it is, so exports import again.
 *
 * Threads: the file is read and checked on a second thread while the caller's thread stores the
 * rows (src/import_pipeline.c). Every callback (on_problem, progress) and every use of the store
 * stay on the caller's thread, in the file's order; the second thread blocks all signals, and
 * stop_flag is read by the caller's thread only, so a signal handler may set it. */
#ifndef SIPAS_IMPORT_H
#define SIPAS_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "sipas/csv_reader.h"
#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef void (*sipas_import_problem_fn)(void *ctx, const char *message);

typedef struct sipas_import_options {
    int64_t wave;              /* > 0: the wave of every row (the file may omit the column) */
    bool keep_valid;           /* store the valid rows of a batch that has rejected rows */
    bool replace;              /* replace an earlier batch with the same content */
    bool dry_run;              /* validate everything, store nothing (sipas-collect check) */
    const char *display_name;  /* name in messages and in the batch record; NULL: the path */
    sipas_encoding encoding;   /* the file's text encoding; 0 (DETECT): detected (encoding.h) */
    const char *sheet;         /* spreadsheets: the sheet to read; NULL: the first */
    const char *rejects_path;  /* where rejected rows go; NULL: nowhere */
    bool rejects_for_excel;    /* rejects file with a UTF-8 byte order mark and ';' */
    sipas_import_problem_fn on_problem;
    void *problem_ctx;
    sipas_csv_progress_fn progress;
    void *progress_ctx;
    volatile const int *stop_flag; /* set by a signal handler: stop and keep nothing */
} sipas_import_options;

typedef struct sipas_import_result {
    int64_t batch_id;          /* 0 when nothing was stored */
    int64_t rows_read;         /* data rows */
    int64_t rows_stored;
    int64_t rows_rejected;
    char delimiter;            /* of a CSV file; 0 for the other formats */
    sipas_encoding encoding;   /* the encoding the file was read in */
    char sha256[65];
    /* the batch's one message about the stored draw (src/design_fill.h): the weight and fpc
     * cells filled from it, and the given ones that differ from it; "" when none */
    char design_filled[512];
    char design_disagreed[512];
} sipas_import_result;

/* Returns SIPAS_OK when the batch was stored (or, with dry_run, would be stored whole);
 * SIPAS_ERR_VALIDATION when rows were rejected and nothing was stored; SIPAS_ERR_FORMAT for a
 * file that cannot be read as a batch of this instrument; SIPAS_ERR_CONFLICT for a repeated
 * file; SIPAS_ERR_INTERRUPTED when stop_flag was set. In every failure the store is as before. */
sipas_status sipas_import_batch(sipas_store *store, const sipas_instrument *inst,
                                const char *path, const sipas_import_options *options,
                                sipas_import_result *result, sipas_error *err);

/* Hashes a file's bytes: 64 hex digits and a NUL. */
sipas_status sipas_import_hash_file(const char *path, char sha256[65], sipas_error *err);

#endif
