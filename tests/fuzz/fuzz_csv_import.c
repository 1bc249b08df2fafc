/* tests/fuzz/fuzz_csv_import.c - the CSV reader and the validated import.
 *
 * The input is a batch of the instrument tests/fixtures/import/mini. Properties checked:
 *   - the reader gives the same records, row numbers and outcome whether the bytes come in one
 *     piece or in chunks of 1, 7 and 4096 bytes (csv_reader.h: "feeds bytes in chunks of any
 *     size");
 *   - sipas_import_batch into an empty store (one store for the whole run, emptied after each
 *     input with sipas_store_remove_batch, which must leave no response behind): a failure leaves no batch and no response; a
 *     success stores exactly rows_stored responses in one batch, and rows_read = stored +
 *     rejected;
 *   - the same import again with keep_valid, then a repeat of the same file, which must be a
 *     conflict when the first was stored.
 * Any error message must be non-empty and NUL-terminated within the buffer. */
#include "fuzz_common.h"

#include "sipas/csv_reader.h"
#include "sipas/hash.h"
#include "sipas/import.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

static sipas_instrument *inst;
static sipas_store *store;
static char csv_path[128], rejects_path[128];

typedef struct digest {
    sipas_sha256 sha;
    size_t records;
} digest;

static sipas_status on_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                           const size_t *lengths, sipas_error *err)
{
    (void)err;
    digest *d = ctx;
    uint64_t head[2] = {row, nfields};
    sipas_sha256_update(&d->sha, head, sizeof head);
    for (size_t i = 0; i < nfields; i++) {
        FUZZ_CHECK(fields[i][lengths[i]] == '\0', "field %zu of row %zu is not NUL-terminated", i, row);
        uint64_t len = lengths[i];
        sipas_sha256_update(&d->sha, &len, sizeof len);
        sipas_sha256_update(&d->sha, fields[i], lengths[i]);
    }
    d->records++;
    return SIPAS_OK;
}

static void check_message(const sipas_error *err)
{
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL, "message not terminated");
    FUZZ_CHECK(err->message[0] != '\0', "empty message for status %s", sipas_status_name(err->status));
}

/* Reads data in chunks of `chunk` bytes (0: all at once) and returns the outcome's digest. */
static sipas_status read_in_chunks(const uint8_t *data, size_t size, size_t chunk,
                                   char hex[SIPAS_SHA256_HEX_LEN + 1], sipas_error *err)
{
    digest d = {0};
    sipas_sha256_init(&d.sha);
    sipas_csv_reader *reader = NULL;
    sipas_status st = sipas_csv_reader_new(NULL, "fuzz.csv", on_row, &d, &reader, err);
    FUZZ_CHECK(st == SIPAS_OK, "reader_new: %s", err->message);
    size_t step = chunk ? chunk : size;
    for (size_t off = 0; st == SIPAS_OK && off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        st = sipas_csv_reader_feed(reader, (const char *)data + off, n, err);
    }
    if (st == SIPAS_OK)
        st = sipas_csv_reader_finish(reader, err);
    sipas_csv_reader_free(reader);
    uint64_t tail[2] = {(uint64_t)st, d.records};
    sipas_sha256_update(&d.sha, tail, sizeof tail);
    if (st != SIPAS_OK) {
        check_message(err);
        sipas_sha256_update(&d.sha, err->message, strlen(err->message));
    }
    sipas_sha256_hex(&d.sha, hex);
    return st;
}

static void store_counts(sipas_store *db, int64_t *responses, size_t *batches)
{
    sipas_error err = {0};
    FUZZ_CHECK(sipas_store_count_responses(db, "mini", responses, &err) == SIPAS_OK, "count: %s",
               err.message);
    sipas_batch_info *list = NULL;
    FUZZ_CHECK(sipas_store_list_batches(db, "mini", &list, batches, &err) == SIPAS_OK,
               "list: %s", err.message);
    sipas_batch_list_free(list, *batches);
}

static void ignore_problem(void *ctx, const char *message)
{
    (void)ctx;
    FUZZ_CHECK(message != NULL && message[0] != '\0', "empty problem message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    if (inst == NULL) {
        const char *dir = fuzz_scratch();
        snprintf(csv_path, sizeof csv_path, "%s/batch.csv", dir);
        snprintf(rejects_path, sizeof rejects_path, "%s/rejects.csv", dir);
        sipas_error err = {0};
        FUZZ_CHECK(sipas_instrument_load(SIPAS_FUZZ_FIXTURES "/import/mini", &inst, &err) == SIPAS_OK,
                   "%s", err.message);
    }

    /* the reader: one piece against chunks */
    char whole[SIPAS_SHA256_HEX_LEN + 1], part[SIPAS_SHA256_HEX_LEN + 1];
    sipas_error err = {0}, err2 = {0};
    sipas_status st = read_in_chunks(data, size, 0, whole, &err);
    static const size_t chunks[] = {1, 7, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        if (chunks[c] == 1 && size > 4096)
            continue; /* byte by byte is slow; small inputs cover it */
        sipas_status st2 = read_in_chunks(data, size, chunks[c], part, &err2);
        FUZZ_CHECK(st2 == st && strcmp(whole, part) == 0,
                   "chunks of %zu give %s '%s' but one piece gives %s '%s'", chunks[c],
                   sipas_status_name(st2), err2.message, sipas_status_name(st), err.message);
    }

    /* the import */
    fuzz_write(csv_path, data, size);
    if (store == NULL)
        FUZZ_CHECK(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err) == SIPAS_OK,
                   "%s", err.message);
    for (int pass = 0; pass < 3; pass++) {
        sipas_import_options opt = {
            .keep_valid = pass >= 1,
            .display_name = "fuzz.csv",
            .rejects_path = rejects_path,
            .on_problem = ignore_problem,
        };
        sipas_import_result res;
        int64_t before_rows, after_rows;
        size_t before_batches, after_batches;
        store_counts(store, &before_rows, &before_batches);
        sipas_error_clear(&err);
        st = sipas_import_batch(store, inst, csv_path, &opt, &res, &err);
        store_counts(store, &after_rows, &after_batches);
        FUZZ_SAY("  import pass %d: %s %s (%lld rows, %zu batches)\n", pass, sipas_status_name(st),
                 st == SIPAS_OK ? "" : err.message, (long long)after_rows, after_batches);
        if (st != SIPAS_OK) {
            check_message(&err);
            FUZZ_CHECK(after_rows == before_rows && after_batches == before_batches,
                       "failed import (%s: %s) changed the store: %lld -> %lld rows, %zu -> %zu batches",
                       sipas_status_name(st), err.message, (long long)before_rows,
                       (long long)after_rows, before_batches, after_batches);
        } else {
            FUZZ_CHECK(after_batches == before_batches + 1 && res.batch_id > 0, "no batch recorded");
            FUZZ_CHECK(after_rows - before_rows == res.rows_stored,
                       "%lld rows stored but %lld reported", (long long)(after_rows - before_rows),
                       (long long)res.rows_stored);
            FUZZ_CHECK(res.rows_read == res.rows_stored + res.rows_rejected,
                       "read %lld != stored %lld + rejected %lld", (long long)res.rows_read,
                       (long long)res.rows_stored, (long long)res.rows_rejected);
            FUZZ_CHECK(opt.keep_valid || res.rows_rejected == 0, "rejected rows without keep_valid");
        }
        if (before_batches > 0)
            FUZZ_CHECK(st == SIPAS_ERR_CONFLICT, "the same file stored twice (%s)",
                       sipas_status_name(st));
    }
    /* back to an empty store for the next input */
    sipas_batch_info *list = NULL;
    size_t n = 0;
    FUZZ_CHECK(sipas_store_list_batches(store, "mini", &list, &n, &err) == SIPAS_OK, "%s", err.message);
    for (size_t b = 0; b < n; b++)
        FUZZ_CHECK(sipas_store_remove_batch(store, list[b].batch_id, &err) == SIPAS_OK, "remove: %s",
                   err.message);
    sipas_batch_list_free(list, n);
    int64_t left = 0;
    store_counts(store, &left, &n);
    FUZZ_CHECK(left == 0 && n == 0, "%lld responses and %zu batches left after removing every batch",
               (long long)left, n);
    return 0;
}
