/* sipas/store.h - the SQLite store (the only module that includes sqlite3.h).
 *
 * One file (default sipas.db) that people also open with sqlite3, R (DBI) or a spreadsheet:
 *   instruments, items, choices, elements  every registered instrument version, with value labels
 *   batches                                every imported file: name, SHA-256, counts, time
 *   responses_<form_id>                    one row per respondent (respondent id UNIQUE), one
 *                                          typed column per item, plus batch_id and source_row
 *   <form_id>_vi, <form_id>_en             views showing labels instead of codes
 * The schema version is PRAGMA user_version, upgraded by migrations on open. Foreign keys are on,
 * the journal is WAL. A batch is one transaction: an error, an interrupt or a killed process
 * leaves the store as it was before the batch began.
 *
 * Ownership: a sipas_store owns its connection; close it with sipas_store_close. Strings returned
 * inside result structs are owned by the struct and freed by its _free function. */
#ifndef SIPAS_STORE_H
#define SIPAS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/error.h"
#include "sipas/instrument.h"

typedef struct sipas_store sipas_store;

typedef enum {
    SIPAS_STORE_READ_WRITE = 0, /* create the file when it does not exist */
    SIPAS_STORE_READ_ONLY = 1,  /* the file must exist */
    SIPAS_STORE_EXISTING = 2    /* read-write, but the file must exist */
} sipas_store_mode;

/* Waits up to 30 s for another process that holds the write lock (a concurrent import).
 * path is a file that is or will become a sipas store; ":memory:", "", SQLite URIs ("file:...")
 * and folders are refused (SIPAS_ERR_USAGE, or SIPAS_ERR_STORE for a folder), so that nothing
 * reports rows stored that no file keeps. SIPAS_STORE_IN_MEMORY (NULL) opens a private store in
 * memory, for a dry run and for tests. A missing file in READ_ONLY or EXISTING mode is
 * SIPAS_ERR_STORE. */
#define SIPAS_STORE_IN_MEMORY NULL
sipas_status sipas_store_open(const char *path, sipas_store_mode mode, sipas_store **out,
                              sipas_error *err);
void sipas_store_close(sipas_store *store); /* NULL is a no-op */

/* Called once each time the store has to wait for another process's write lock (a concurrent
 * import), with the store's path; the wait goes on for up to 30 s. */
typedef void (*sipas_store_wait_fn)(void *ctx, const char *path);
void sipas_store_on_wait(sipas_store *store, sipas_store_wait_fn fn, void *ctx);
const char *sipas_store_path(const sipas_store *store);

/* Registers an instrument version (idempotent). The same form_id and version with other content
 * is a conflict: a changed instrument needs a new version. Adds columns the new version brings to
 * responses_<form_id> and rebuilds the label views. *instrument_id may be NULL. */
sipas_status sipas_store_register_instrument(sipas_store *store, const sipas_instrument *inst,
                                             int64_t *instrument_id, sipas_error *err);

/* ---- batches ---------------------------------------------------------------------------- */

typedef struct sipas_batch_info {
    int64_t batch_id;
    char *form_id;
    char *instrument_version;
    char *file_name;
    char *content_sha256;
    int64_t wave;           /* the wave given on the command line, or 0 */
    int64_t rows_read;      /* data rows in the file (header excluded) */
    int64_t rows_stored;
    int64_t rows_rejected;  /* rows left out (only with keep_valid) */
    char *imported_at;      /* UTC, ISO 8601 */
} sipas_batch_info;

void sipas_batch_info_clear(sipas_batch_info *info);

/* A value for one item of one respondent. TEXT points into the caller's buffer (copied). */
typedef enum { SIPAS_VALUE_NULL = 0, SIPAS_VALUE_INT, SIPAS_VALUE_REAL, SIPAS_VALUE_TEXT } sipas_value_kind;
typedef struct sipas_value {
    sipas_value_kind kind;
    int64_t i;
    double r;
    const char *text;
    size_t len;
} sipas_value;

typedef struct sipas_store_batch sipas_store_batch;

/* Whether a stored batch of the form has a file of exactly that many bytes: when none has, the
 * new file cannot repeat one, and its hash can be computed while it is imported. */
sipas_status sipas_store_has_batch_of_size(sipas_store *store, const char *form_id,
                                           int64_t content_bytes, bool *found, sipas_error *err);

/* Starts a batch for inst (registered first if needed): opens the transaction and prepares the
 * insert. content_bytes is the file's size. When content_sha256 is given, a file with that content already stored for the form is
 * a conflict unless replace is set, in which case the earlier batch and its responses are
 * removed inside this transaction. content_sha256 may be NULL when the hash is only known at the
 * end of a single reading pass: give it to sipas_store_batch_commit. file_name is recorded. */
sipas_status sipas_store_batch_begin(sipas_store *store, const sipas_instrument *inst,
                                     const char *file_name, int64_t content_bytes,
                                     const char *content_sha256, int64_t wave, bool replace,
                                     sipas_store_batch **out, sipas_error *err);

/* SIPAS_ERR_CONFLICT naming the earlier batch when another batch of the form has this content. */
sipas_status sipas_store_batch_check_hash(sipas_store_batch *batch, const char *content_sha256,
                                          sipas_error *err);

/* Inserts one respondent: values[j] for inst->items[j] (personal items are hashed by the caller
 * or NULL). source_row is the row of the file. A respondent id already stored is reported as
 * SIPAS_ERR_VALIDATION with a message naming where it is ("already at row 17 of this file" or
 * "already stored from batch 3 'b.csv' row 17"); the batch stays usable. */
sipas_status sipas_store_batch_insert(sipas_store_batch *batch, const sipas_value *values,
                                      int64_t source_row, sipas_error *err);

/* Inserts n respondents in order, in statements of several rows (faster than one at a time):
 * row i's values at values + i * inst->nitems, its row of the file source_rows[i]. A row whose
 * respondent id is already stored (by an earlier row or batch) is skipped with stored[i] false,
 * the others stored[i] true; sipas_store_batch_duplicate then says where the id is. Other
 * failures are errors. Text values must stay valid until the call returns. */
sipas_status sipas_store_batch_insert_rows(sipas_store_batch *batch, const sipas_value *values,
                                           size_t n, const int64_t *source_rows, bool *stored,
                                           sipas_error *err);

/* SIPAS_ERR_VALIDATION with the message sipas_store_batch_insert gives for a stored id. */
sipas_status sipas_store_batch_duplicate(sipas_store_batch *batch, const sipas_value *values,
                                         sipas_error *err);

/* Records the counts and the content hash (NULL: the one given to begin), refuses a hash that
 * another batch of the form has, and commits. Frees batch whatever the outcome. *batch_id may
 * be NULL. */
sipas_status sipas_store_batch_commit(sipas_store_batch *batch, const char *content_sha256,
                                      int64_t rows_read, int64_t rows_rejected, int64_t *batch_id,
                                      sipas_error *err);

/* Rolls back and frees (NULL is a no-op). */
void sipas_store_batch_abort(sipas_store_batch *batch);

/* All batches (form_id NULL: of every form), oldest first. Caller frees with
 * sipas_batch_list_free. */
sipas_status sipas_store_list_batches(sipas_store *store, const char *form_id,
                                      sipas_batch_info **out, size_t *count, sipas_error *err);
void sipas_batch_list_free(sipas_batch_info *list, size_t count);
sipas_status sipas_store_get_batch(sipas_store *store, int64_t batch_id, sipas_batch_info *out,
                                   sipas_error *err);
/* Removes a batch and every response it brought, in one transaction. */
sipas_status sipas_store_remove_batch(sipas_store *store, int64_t batch_id, sipas_error *err);

/* The key for hashing personal columns lives in a key file outside the store (sipas/keyfile.h);
 * the store keeps its fingerprint in meta.personal_key_fingerprint. What attaching found: */
typedef enum {
    SIPAS_KEY_USED = 0,        /* the key file's key, whose fingerprint the store had or takes */
    SIPAS_KEY_FILE_CREATED,    /* a new random key, written to a new key file */
    SIPAS_KEY_MOVED_OUT        /* a store of an older sipas kept its key inside (meta.personal_key):
                                * the key went to the key file and left the store */
} sipas_key_event;

/* Attaches the key of key_file (NULL: sipas_key_file_default_path) to an open read-write store,
 * for the imports that follow. A store that has batches but no fingerprint and no key of its
 * own refuses nothing; one with a fingerprint refuses a missing key file (SIPAS_ERR_STORE) and
 * a key whose fingerprint differs (SIPAS_ERR_CONFLICT), so that one person never gets two
 * hashes. Moving a key out deletes it with secure_delete and checkpoints the WAL, so its bytes
 * leave the file. A store opened read-only gets a key nobody keeps (it cannot store a hash).
 * event may be NULL. */
sipas_status sipas_store_attach_key(sipas_store *store, const char *key_file,
                                    sipas_key_event *event, sipas_error *err);
/* Attaches a random key that is never written anywhere: for a dry run (sipas-collect check),
 * whose hashes are not kept. A SIPAS_STORE_IN_MEMORY store gets one when opened. */
sipas_status sipas_store_attach_ephemeral_key(sipas_store *store, sipas_error *err);
/* The attached key; when none was attached, attaches the default key file's. */
sipas_status sipas_store_personal_key(sipas_store *store, unsigned char key[32], sipas_error *err);

/* ---- the instrument versions of the stored batches ------------------------------------- */

/* Checks that the folder's sheets (inst) can score every stored batch of inst->form_id as the
 * instrument version it was imported under: the folder's version must have the content hash
 * recorded for it, and a batch imported under another version must have the same criteria
 * (list name, element, scoring), element weights and default scoring (its choice lists may
 * differ: sipas_dataset_load scores it with its own). *problem is NULL when all is well, else a malloc'd message that
 * names the form, the version, the batches and the sheet that differs (the caller decides
 * whether it is an error or, when the user insists, a warning). *versions is a malloc'd
 * "version '1' (batches 1-3), version '2' (batch 4)" for the outputs to state. */
sipas_status sipas_store_check_instrument(sipas_store *store, const sipas_instrument *inst,
                                          char **problem, char **versions, sipas_error *err);

/* Which stored instrument version (instruments.instrument_id) each batch of form_id was imported
 * under, by batch_id; *out is malloc'd. */
typedef struct sipas_batch_version {
    int64_t batch_id;
    int64_t instrument_id;
} sipas_batch_version;
sipas_status sipas_store_batch_versions(sipas_store *store, const char *form_id,
                                        sipas_batch_version **out, size_t *count,
                                        sipas_error *err);
/* The instrument_id of form_id's version, 0 when that version was never imported. */
sipas_status sipas_store_instrument_id(sipas_store *store, const char *form_id,
                                       const char *version, int64_t *instrument_id,
                                       sipas_error *err);
/* List list_name of a stored version as it was registered: codes in order, their labels,
 * satisfied and missing, and the values and scale derived from the codes as
 * sipas_instrument_load derives them (key_vi, key_en are NULL). The strings are malloc'd: free
 * them with sipas_store_version_list_release. *found is false when the version has no such
 * list. */
sipas_status sipas_store_version_list(sipas_store *store, int64_t instrument_id,
                                      const char *list_name, sipas_choice_list *list,
                                      bool *found, sipas_error *err);
void sipas_store_version_list_release(sipas_choice_list *list);

/* ---- reading responses ------------------------------------------------------------------- */

/* A condition on a response column, e.g. district = 'cao_loc' or wave >= 2020. Values are bound
 * as SQL parameters, never pasted into SQL; column names must be columns of the form's table. */
typedef enum { SIPAS_OP_EQ = 0, SIPAS_OP_NE, SIPAS_OP_LT, SIPAS_OP_LE, SIPAS_OP_GT, SIPAS_OP_GE,
               SIPAS_OP_IN } sipas_filter_op;
typedef struct sipas_filter {
    const char *column;
    sipas_filter_op op;
    size_t nvalues;            /* 1, or more for SIPAS_OP_IN */
    const char *const *values; /* compared as integers when the column is integer */
} sipas_filter;

/* present[i] tells whether responses_<form_id> has a column named columns[i]. A column an
 * instrument version added is created by the first import under that version, so a store of
 * older batches only lacks it (every such answer is missing). */
sipas_status sipas_store_response_columns_present(sipas_store *store, const char *form_id,
                                                 const char *const *columns, size_t ncolumns,
                                                 bool *present, sipas_error *err);

/* Streams responses_<form_id> rows that pass every filter (and batch_id when > 0), in storage
 * order, calling row_fn with one value per requested column (kind NULL for SQL NULL; TEXT
 * pointers valid only during the call). Columns may be any item name, batch_id or source_row;
 * an unknown column is SIPAS_ERR_NOT_FOUND naming it. */
typedef sipas_status (*sipas_store_row_fn)(void *ctx, const sipas_value *values,
                                           sipas_error *err);
sipas_status sipas_store_query_responses(sipas_store *store, const char *form_id,
                                         const char *const *columns, size_t ncolumns,
                                         const sipas_filter *filters, size_t nfilters,
                                         int64_t batch_id, sipas_store_row_fn row_fn, void *ctx,
                                         sipas_error *err);

/* Count of stored respondents of a form (0 when the form has no table yet). */
sipas_status sipas_store_count_responses(sipas_store *store, const char *form_id,
                                         int64_t *count, sipas_error *err);

/* ---- population margins (sipas-collect frame) --------------------------------------------- */

/* A population count of one cell of a margin: margin "district" cell "cao_loc", or margin
 * "sex+age_group" cell "female|18_29"; wave 0 means every wave. Population in persons. */
typedef struct sipas_margin_cell {
    int64_t wave;
    char *cell;
    double population;
} sipas_margin_cell;

void sipas_margin_cells_free(sipas_margin_cell *cells, size_t count);

/* Stores a margin in one transaction: the rows of every wave present in cells replace what was
 * stored for that wave; a cell given twice for a wave is SIPAS_ERR_VALIDATION. */
sipas_status sipas_store_replace_margin(sipas_store *store, const char *form_id, const char *margin,
                                        const sipas_margin_cell *cells, size_t count,
                                        const char *source_file, sipas_error *err);
/* Every cell of a stored margin, by wave then cell; none is SIPAS_ERR_NOT_FOUND. */
sipas_status sipas_store_load_margin(sipas_store *store, const char *form_id, const char *margin,
                                     sipas_margin_cell **cells, size_t *count, sipas_error *err);

/* ---- administrative indicator values (sipas-collect indicators; sipas/indicators.h) ------- */

/* Tables indicator_batches (one row per imported file: name, SHA-256, rows, time) and
 * indicator_values (one row per indicator x year x unit, with the batch and file row it came
 * from), created by the first import. A batch is one transaction, as survey batches are. */
#define SIPAS_ADMIN_SHA256_HEX 64

typedef struct sipas_admin_value {
    char *indicator;
    double year;
    char *unit;           /* administrative unit, e.g. lang_son */
    double value;         /* the figure: proportion for shares, else in the indicator's unit */
    double numerator, denominator; /* NaN when absent */
    char *source, *note;  /* note "" when absent */
    bool synthetic;       /* invented sample data, not an official figure */
    int64_t batch_id;     /* 0 before it is stored */
    int64_t source_row;   /* line in the imported file */
} sipas_admin_value;

void sipas_admin_values_free(sipas_admin_value *values, size_t n);

typedef struct sipas_admin_batch_info {
    int64_t batch_id;
    char *file_name, *content_sha256, *imported_at; /* imported_at: UTC, ISO 8601 */
    int64_t rows;
} sipas_admin_batch_info;

void sipas_admin_batch_list_free(sipas_admin_batch_info *list, size_t n);

/* Stores values as one batch. A file whose hash a stored batch has is SIPAS_ERR_CONFLICT
 * naming it, unless replace: then that batch is removed in the same transaction. A value whose
 * (indicator, year, unit) another batch holds is SIPAS_ERR_CONFLICT naming FILE:ROW and the
 * batch and row that hold it. *batch_id may be NULL. */
sipas_status sipas_store_import_admin_batch(sipas_store *store, const char *file_name,
                                            const char *content_sha256,
                                            const sipas_admin_value *values, size_t n,
                                            bool replace, int64_t *batch_id, sipas_error *err);
/* Oldest first; none (no table yet) is an empty list. */
sipas_status sipas_store_list_admin_batches(sipas_store *store, sipas_admin_batch_info **out,
                                            size_t *n, sipas_error *err);
/* An unknown batch is SIPAS_ERR_NOT_FOUND. */
sipas_status sipas_store_remove_admin_batch(sipas_store *store, int64_t batch_id,
                                            sipas_error *err);
/* Stored values by indicator, unit, year; indicator NULL: all; batch_id 0: every batch. */
sipas_status sipas_store_load_admin_values(sipas_store *store, const char *indicator,
                                           int64_t batch_id, sipas_admin_value **out, size_t *n,
                                           sipas_error *err);

/* ---- the selection of a draw (sipas-collect sample --wave; src/design_fill.h) ------------- */

/* Table sample_selections, created by the first draw stored (as the indicator tables are): one
 * row per form x wave x stratum x cluster selected, with the draw's inclusion probability, the
 * fpc value (the stratum's clusters in the frame), the respondents' weight (NaN when the draw
 * was made without interviews per cluster) and where the draw came from (frame file, seed,
 * time). The import of the wave's entry sheets fills their empty weight and fpc cells from it. */
typedef struct sipas_selected_cluster {
    int64_t wave;
    char *stratum;          /* the stratum's code (a choice name of the stratum list) */
    char *cluster;          /* the cluster's name as the frame gives it */
    double probability;     /* inclusion probability pi */
    double fpc;             /* clusters of the stratum in the frame */
    double weight;          /* each respondent's weight size / (pi m); NaN: none drawn */
    char *frame_file;       /* the frame the draw read */
    int64_t seed;
    char *drawn_at;         /* UTC, ISO 8601; set by the store */
} sipas_selected_cluster;

void sipas_selected_clusters_free(sipas_selected_cluster *clusters, size_t count);

/* Stores the selection of one draw for (form_id, wave) in one transaction, replacing what an
 * earlier draw stored for that form and wave (the waves of other draws stay). The clusters'
 * wave, frame_file, seed and drawn_at are ignored: wave, frame_file and seed apply to all. */
sipas_status sipas_store_replace_selection(sipas_store *store, const char *form_id, int64_t wave,
                                           const sipas_selected_cluster *clusters, size_t count,
                                           const char *frame_file, int64_t seed,
                                           sipas_error *err);
/* Every stored selected cluster of the form, by wave, stratum, cluster (byte order); a store
 * without any draw is an empty list, not an error. */
sipas_status sipas_store_load_selection(sipas_store *store, const char *form_id,
                                        sipas_selected_cluster **out, size_t *count,
                                        sipas_error *err);

#endif
