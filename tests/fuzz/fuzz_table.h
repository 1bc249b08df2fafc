/* tests/fuzz/fuzz_table.h - what the table-source fuzz targets share (fuzz_xlsx_import,
 * fuzz_xls_import, fuzz_stat_import): the input is written to a file, read through
 * sipas_table_source (its format detected from the bytes, so one target can reach every
 * reader), and checked:
 *   - every field is NUL-terminated at its length, rows come in increasing order, and a field
 *     index beyond the row has neither label nor missing mark;
 *   - a failure has a non-empty, terminated message;
 *   - sipas_import_batch with dry_run against the mini instrument in a store in memory either
 *     succeeds with rows_read = stored + rejected, or fails and stores nothing. */
#ifndef SIPAS_FUZZ_TABLE_H
#define SIPAS_FUZZ_TABLE_H

#include "fuzz_common.h"

#include "sipas/import.h"
#include "sipas/instrument.h"
#include "sipas/store.h"
#include "table_source.h"

typedef struct fuzz_rows {
    const sipas_table_source *source;
    size_t last_row, rows;
    bool any;
} fuzz_rows;

static sipas_status fuzz_table_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                                   const size_t *lengths, sipas_error *err)
{
    (void)err;
    fuzz_rows *r = ctx;
    FUZZ_CHECK(!r->any || row > r->last_row, "row %zu after row %zu", row, r->last_row);
    for (size_t j = 0; j < nfields; j++)
        FUZZ_CHECK(fields[j][lengths[j]] == '\0', "field %zu of row %zu not terminated", j, row);
    FUZZ_CHECK(sipas_table_source_cell_label(r->source, nfields) == NULL, "label past the row");
    FUZZ_CHECK(!sipas_table_source_cell_declared_missing(r->source, nfields), "missing past the row");
    r->any = true;
    r->last_row = row;
    r->rows++;
    return SIPAS_OK;
}

static void fuzz_table_message(const sipas_error *err)
{
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL, "message not terminated");
    FUZZ_CHECK(err->message[0] != '\0', "empty message for status %s", sipas_status_name(err->status));
}

static void fuzz_table_ignore_problem(void *ctx, const char *message)
{
    (void)ctx;
    FUZZ_CHECK(message != NULL && message[0] != '\0', "empty problem message");
}

static int fuzz_table_input(const uint8_t *data, size_t size, const char *file_name)
{
    static sipas_instrument *inst;
    static sipas_store *store;
    static char path[128];
    sipas_error err = {0};
    if (size > (1u << 20))
        return 0;
    if (inst == NULL) {
        snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), file_name);
        FUZZ_CHECK(sipas_instrument_load(SIPAS_FUZZ_FIXTURES "/import/mini", &inst, &err) == SIPAS_OK,
                   "%s", err.message);
        FUZZ_CHECK(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err) == SIPAS_OK,
                   "%s", err.message);
    }
    fuzz_write(path, data, size);

    sipas_table_source *source = NULL;
    FUZZ_CHECK(sipas_table_source_open(path, file_name, NULL, &source, &err) == SIPAS_OK,
               "open: %s", err.message);
    fuzz_rows rows = {.source = source};
    sipas_status st = sipas_table_source_read(source, fuzz_table_row, &rows, &err);
    FUZZ_SAY("%s: %s, %zu rows, %s\n", file_name,
             sipas_table_format_name(sipas_table_source_format(source)), rows.rows,
             st == SIPAS_OK ? "read" : err.message);
    if (st != SIPAS_OK)
        fuzz_table_message(&err);
    else
        FUZZ_CHECK(strlen(sipas_table_source_sha256(source)) == 64, "no hash after a read");
    sipas_table_source_free(source);

    sipas_import_options opt = {.dry_run = true, .on_problem = fuzz_table_ignore_problem};
    sipas_import_result result;
    sipas_error_clear(&err);
    st = sipas_import_batch(store, inst, path, &opt, &result, &err);
    if (st == SIPAS_OK)
        FUZZ_CHECK(result.rows_read == result.rows_stored + result.rows_rejected,
                   "rows %lld != %lld + %lld", (long long)result.rows_read,
                   (long long)result.rows_stored, (long long)result.rows_rejected);
    else
        fuzz_table_message(&err);
    int64_t responses = -1;
    FUZZ_CHECK(sipas_store_count_responses(store, "mini", &responses, &err) == SIPAS_OK, "count");
    FUZZ_CHECK(responses == 0, "a dry run stored %lld responses", (long long)responses);
    return 0;
}

#endif
