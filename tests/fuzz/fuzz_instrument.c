/* tests/fuzz/fuzz_instrument.c - the instrument reader and what the store does with an
 * instrument it accepted.
 *
 * The input holds up to four sheets separated by form feeds (\f), in the order settings.csv,
 * survey.csv, choices.csv, elements.csv; a sheet the input does not reach is the one of
 * tests/fixtures/import/mini (form_id mini, so the folder is named mini). Properties checked:
 *   - a refusal has a status, a message, and nothing to free;
 *   - an accepted instrument loads again with the same content hash, is consistent (every item
 *     of a list points into the instrument, criteria name an existing element), registers in a
 *     fresh store (twice: idempotent), takes a two-row batch written from its own codes, and
 *     the dataset and index code run over it without a crash. */
#include "fuzz_common.h"

#include <stdbool.h>
#include <sys/stat.h>

#include "sipas/csv_writer.h"
#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

static const char *const sheets[4] = {"settings.csv", "survey.csv", "choices.csv", "elements.csv"};
static char *fixture[4];
static size_t fixture_len[4];
static char form_dir[128], batch_path[160];

static void load_fixture(void)
{
    for (int s = 0; s < 4; s++) {
        char path[256];
        snprintf(path, sizeof path, "%s/import/mini/%s", SIPAS_FUZZ_FIXTURES, sheets[s]);
        FILE *in = fopen(path, "rb");
        FUZZ_CHECK(in != NULL, "cannot read '%s'", path);
        fixture[s] = malloc(1 << 16);
        FUZZ_CHECK(fixture[s] != NULL, "out of memory");
        fixture_len[s] = fread(fixture[s], 1, 1 << 16, in);
        fclose(in);
    }
    snprintf(form_dir, sizeof form_dir, "%s/mini", fuzz_scratch());
    FUZZ_CHECK(mkdir(form_dir, 0700) == 0, "cannot make '%s'", form_dir);
    snprintf(batch_path, sizeof batch_path, "%s/batch.csv", fuzz_scratch());
}

static void check_consistent(const sipas_instrument *inst)
{
    FUZZ_CHECK(inst->form_id && strcmp(inst->form_id, "mini") == 0, "form_id");
    FUZZ_CHECK(inst->content_hash && strlen(inst->content_hash) == 64, "content hash");
    size_t ids = 0, criteria = 0;
    for (size_t i = 0; i < inst->nitems; i++) {
        const sipas_item *it = &inst->items[i];
        FUZZ_CHECK(it->name && it->name[0], "item %zu has no name", i);
        ids += it->role == SIPAS_ROLE_ID;
        if (it->type == SIPAS_TYPE_SELECT_ONE)
            FUZZ_CHECK(it->list >= inst->lists && it->list < inst->lists + inst->nlists,
                       "item '%s': list outside the instrument", it->name);
        if (it->role == SIPAS_ROLE_CRITERION) {
            criteria++;
            FUZZ_CHECK(it->element >= 0 && (size_t)it->element < inst->nelements,
                       "criterion '%s': element %d", it->name, it->element);
            FUZZ_CHECK(!it->personal, "criterion '%s' is personal", it->name);
        }
    }
    FUZZ_CHECK(ids == 1 && criteria >= 1, "%zu ids, %zu criteria", ids, criteria);
}

/* Two rows: choice codes for select_one, numbers for numeric items, unique ids. */
static void write_batch(const sipas_instrument *inst)
{
    FILE *out = fopen(batch_path, "wb");
    FUZZ_CHECK(out != NULL, "cannot write the batch");
    const char **fields = calloc(inst->nitems, sizeof *fields);
    char (*buf)[32] = calloc(inst->nitems, sizeof *buf);
    FUZZ_CHECK(fields && buf, "out of memory");
    for (size_t i = 0; i < inst->nitems; i++)
        fields[i] = inst->items[i].name;
    sipas_csv_write_record(out, fields, inst->nitems, ',');
    for (int row = 0; row < 2; row++) {
        for (size_t i = 0; i < inst->nitems; i++) {
            const sipas_item *it = &inst->items[i];
            fields[i] = buf[i];
            if (it->type == SIPAS_TYPE_SELECT_ONE && it->list->nchoices > 0)
                fields[i] = it->list->choices[(size_t)row % it->list->nchoices].name;
            else if (it->role == SIPAS_ROLE_ID)
                snprintf(buf[i], sizeof buf[i], "id%d", row);
            else if (it->role == SIPAS_ROLE_WAVE)
                snprintf(buf[i], sizeof buf[i], "2024");
            else if (it->type == SIPAS_TYPE_TEXT)
                snprintf(buf[i], sizeof buf[i], "t%d", row);
            else
                snprintf(buf[i], sizeof buf[i], "%d", row + 1);
        }
        sipas_csv_write_record(out, fields, inst->nitems, ',');
    }
    free(fields);
    free(buf);
    FUZZ_CHECK(fclose(out) == 0, "cannot close the batch");
}

static void exercise_store(const sipas_instrument *inst)
{
    sipas_error err = {0};
    sipas_store *store = NULL;
    FUZZ_CHECK(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err) == SIPAS_OK,
               "%s", err.message);
    int64_t id1 = 0, id2 = 0;
    sipas_status st = sipas_store_register_instrument(store, inst, &id1, &err);
    if (st == SIPAS_OK) {
        FUZZ_CHECK(sipas_store_register_instrument(store, inst, &id2, &err) == SIPAS_OK && id1 == id2,
                   "registering again: %s", err.message);
        write_batch(inst);
        sipas_import_options opt = {.keep_valid = true};
        sipas_import_result res;
        st = sipas_import_batch(store, inst, batch_path, &opt, &res, &err);
        FUZZ_SAY("  batch: %s %s (%lld stored)\n", sipas_status_name(st),
                 st == SIPAS_OK ? "" : err.message, st == SIPAS_OK ? (long long)res.rows_stored : 0LL);
        if (st == SIPAS_OK && res.rows_stored > 0) {
            sipas_dataset *data = NULL;
            FUZZ_CHECK(sipas_dataset_load(store, inst, &data, &err) == SIPAS_OK, "dataset: %s",
                       err.message);
            FUZZ_CHECK(data->n == (size_t)res.rows_stored, "dataset has %zu rows, %lld stored",
                       data->n, (long long)res.rows_stored);
            sipas_index_options ix = {.lonely_psu = SIPAS_LONELY_ADJUST};
            sipas_index_result *r = NULL;
            st = sipas_index_compute(data, &ix, &r, &err);
            FUZZ_SAY("  index: %s %s\n", sipas_status_name(st), st == SIPAS_OK ? "" : err.message);
            if (st == SIPAS_OK)
                FUZZ_CHECK(r->nrows > 0, "an index without rows");
            sipas_index_result_free(r);
            sipas_dataset_free(data);
        }
    } else {
        FUZZ_CHECK(err.message[0] != '\0', "register refused without a message");
    }
    sipas_store_close(store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sipas_library_init();
    if (size > (1u << 18))
        return 0;
    if (fixture[0] == NULL)
        load_fixture();
    const uint8_t *p = data, *end = data + size;
    bool more = true; /* the input reaches this sheet */
    for (int s = 0; s < 4; s++) {
        char path[192];
        snprintf(path, sizeof path, "%s/%s", form_dir, sheets[s]);
        if (more) {
            const uint8_t *ff = size ? memchr(p, '\f', (size_t)(end - p)) : NULL;
            fuzz_write(path, p, (size_t)((ff ? ff : end) - p));
            more = ff != NULL;
            if (ff)
                p = ff + 1;
        } else {
            fuzz_write(path, fixture[s], fixture_len[s]);
        }
    }
    sipas_instrument *inst = NULL, *again = NULL;
    sipas_error err = {0};
    sipas_status st = sipas_instrument_load(form_dir, &inst, &err);
    FUZZ_SAY("  instrument: %s %s\n", sipas_status_name(st), st == SIPAS_OK ? "" : err.message);
    if (st != SIPAS_OK) {
        FUZZ_CHECK(inst == NULL, "a refused instrument was returned");
        FUZZ_CHECK(err.message[0] != '\0', "refusal (%s) without a message", sipas_status_name(st));
        return 0;
    }
    check_consistent(inst);
    FUZZ_CHECK(sipas_instrument_load(form_dir, &again, &err) == SIPAS_OK &&
               strcmp(again->content_hash, inst->content_hash) == 0, "a second load differs");
    sipas_instrument_free(again);
    exercise_store(inst);
    sipas_instrument_free(inst);
    return 0;
}
