/* tests/fuzz/fuzz_condition.c - the --where condition parser and the --by column, and what the
 * store and the index do with them.
 *
 * The input's first line is a condition (sipas_condition_parse, as `--where` passes it); its
 * second line, when there is one, a domain column (as one `--by` value). The store holds six
 * respondents of tests/fixtures/import/mini. Properties checked:
 *   - a parsed condition has a column of [A-Za-z0-9_] and at least one non-empty value;
 *   - the filter and the by column are used as values and names, never as SQL: after the query
 *     and the index computation the store still has its one batch and six respondents;
 *   - a refusal comes with a message. */
#include "fuzz_common.h"

#include <stdbool.h>

#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

static sipas_instrument *inst;
static sipas_store *store;
static sipas_dataset *dataset;

static const char batch[] =
    "respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2\n"
    "r1,2023,cao_loc,c1,1.5,citizen,0912345678,4,5\n"
    "r2,2023,cao_loc,c2,2,business,,3,97\n"
    "r3,2023,loc_binh,c3,1,citizen,,5,4\n"
    "r4,2024,loc_binh,c4,1,citizen,,2,\n"
    "r5,2024,cao_loc,c1,3,business,,4,4\n"
    "r6,2024,loc_binh,c3,1,,,1,5\n";

static void setup(void)
{
    sipas_error err = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/batch.csv", fuzz_scratch());
    fuzz_write(path, batch, sizeof batch - 1);
    FUZZ_CHECK(sipas_instrument_load(SIPAS_FUZZ_FIXTURES "/import/mini", &inst, &err) == SIPAS_OK,
               "%s", err.message);
    FUZZ_CHECK(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err) == SIPAS_OK, "%s",
               err.message);
    sipas_import_options opt = {0};
    sipas_import_result res;
    FUZZ_CHECK(sipas_import_batch(store, inst, path, &opt, &res, &err) == SIPAS_OK, "%s", err.message);
    FUZZ_CHECK(sipas_dataset_load(store, inst, &dataset, &err) == SIPAS_OK, "%s", err.message);
}

static void check_store(void)
{
    sipas_error err = {0};
    int64_t rows = 0;
    FUZZ_CHECK(sipas_store_count_responses(store, "mini", &rows, &err) == SIPAS_OK && rows == 6,
               "responses: %lld (%s)", (long long)rows, err.message);
    sipas_batch_info *list = NULL;
    size_t n = 0;
    FUZZ_CHECK(sipas_store_list_batches(store, NULL, &list, &n, &err) == SIPAS_OK && n == 1,
               "batches: %zu (%s)", n, err.message);
    sipas_batch_list_free(list, n);
}

static sipas_status count_row(void *ctx, const sipas_value *values, sipas_error *err)
{
    (void)values;
    (void)err;
    (*(size_t *)ctx)++;
    return SIPAS_OK;
}

static bool column_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sipas_library_init();
    if (size > 8192)
        return 0;
    if (inst == NULL)
        setup();
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    char *by = strchr(text, '\n');
    if (by) {
        *by++ = '\0';
        char *nl = strchr(by, '\n');
        if (nl)
            *nl = '\0';
    }

    sipas_condition cond;
    sipas_error err = {0};
    sipas_status st = sipas_condition_parse(text, &cond, &err);
    FUZZ_SAY("  condition: %s %s\n", sipas_status_name(st), st == SIPAS_OK ? "" : err.message);
    if (st != SIPAS_OK) {
        FUZZ_CHECK(err.message[0] != '\0', "refusal without a message");
        FUZZ_CHECK(cond.storage == NULL && cond.values == NULL, "a refused condition holds memory");
    } else {
        const sipas_filter *f = &cond.filter;
        FUZZ_CHECK(f->column && f->column[0], "empty column");
        for (const char *c = f->column; *c; c++)
            FUZZ_CHECK(column_char(*c), "column '%s' has a byte that is not [A-Za-z0-9_]", f->column);
        FUZZ_CHECK(f->nvalues >= 1 && (f->op == SIPAS_OP_IN || f->nvalues == 1), "%zu values",
                   f->nvalues);
        for (size_t v = 0; v < f->nvalues; v++)
            FUZZ_CHECK(f->values[v] && f->values[v][0], "value %zu is empty", v);
        const char *columns[] = {"respondent_id", "q1"};
        size_t rows = 0;
        st = sipas_store_query_responses(store, "mini", columns, 2, f, 1, 0, count_row, &rows, &err);
        FUZZ_CHECK(st != SIPAS_OK || rows <= 6, "%zu rows of 6 pass '%s'", rows, text);
        FUZZ_CHECK(st == SIPAS_OK || err.message[0], "query refused without a message");
        FUZZ_SAY("  query: %s %s (%zu rows)\n", sipas_status_name(st), st == SIPAS_OK ? "" : err.message,
                 rows);
        check_store();
    }
    const char *bycols[1] = {by};
    sipas_index_options ix = {
        .by = bycols,
        .nby = by && by[0] ? 1 : 0,
        .where = cond.storage ? &cond.filter : NULL,
        .nwhere = cond.storage ? 1 : 0,
        .lonely_psu = SIPAS_LONELY_ADJUST,
    };
    if (ix.nby || ix.nwhere) {
        sipas_index_result *r = NULL;
        sipas_error_clear(&err);
        sipas_status ist = sipas_index_compute(dataset, &ix, &r, &err);
        FUZZ_SAY("  index: %s %s\n", sipas_status_name(ist), ist == SIPAS_OK ? "" : err.message);
        if (ist != SIPAS_OK)
            FUZZ_CHECK(err.message[0] != '\0', "index refused without a message");
        sipas_index_result_free(r);
        check_store();
    }
    if (cond.storage)
        sipas_condition_release(&cond);
    free(text);
    return 0;
}
