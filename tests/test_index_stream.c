/* test_index_stream.c - the one-pass index (src/index_stream.c) against the index computed from
 * a loaded dataset (src/index.c), and the chunked reading under it (sipas_dataset_stream_columns).
 *
 * The two paths must agree on every row: the same domains in the same order, the same names,
 * counts, flags and variance statuses, and every number within 1e-9 relative (1e-13 absolute, so
 * that a value 0 on one side and 1e-18 of rounding on the other agree; NaN only against NaN).
 * They add in another order, so bit-equality is not expected. Chunks of 7, 64 and 8192 rows make
 * the small stores cross chunk boundaries: text levels that appear in a later chunk, a PSU and a
 * domain split between chunks, --where conditions compiled again per chunk.
 *
 * Data: the bundled sample (13,200 respondents, 6 waves), the degenerate fixtures of
 * tests/fixtures/review (two facilities with the same share; a district-wave with one commune),
 * each imported into a scratch store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_stream.h"
#include "loaded_store.h"
#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/store.h"


static void expect_close(double a, double b, const char *what, const sipas_index_row *row)
{
    if (isnan(a) && isnan(b))
        return;
    double diff = fabs(a - b), scale = fmax(fabs(a), fabs(b));
    if (isnan(a) || isnan(b) || !(diff <= 1e-13 || diff <= 1e-9 * scale))
        fail_msg("%s of '%s' (domain %zu): one pass %.17g, in memory %.17g", what, row->name,
                 row->domain, a, b);
}

/* Every row and domain of two results alike (see the header). */
static void expect_same_result(const sipas_index_result *a, const sipas_index_result *b)
{
    assert_int_equal(a->nby, b->nby);
    for (size_t k = 0; k < a->nby; k++)
        assert_string_equal(a->by[k], b->by[k]);
    assert_int_equal(a->wave_added, b->wave_added);
    assert_int_equal(a->ndomains, b->ndomains);
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->design_rows, b->design_rows);
    assert_int_equal(a->nstrata, b->nstrata);
    assert_int_equal(a->npsu, b->npsu);
    assert_int_equal(a->rows_without_domain, b->rows_without_domain);
    for (size_t d = 0; d < a->ndomains; d++) {
        assert_int_equal(a->domains[d].respondents, b->domains[d].respondents);
        for (size_t k = 0; k < a->nby; k++)
            assert_string_equal(a->domains[d].values[k], b->domains[d].values[k]);
    }
    for (size_t i = 0; i < a->nrows; i++) {
        const sipas_index_row *x = &a->rows[i], *y = &b->rows[i];
        assert_int_equal(x->domain, y->domain);
        assert_int_equal(x->level, y->level);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->estimable, y->estimable);
        assert_int_equal(x->scoring, y->scoring);
        assert_int_equal(x->n, y->n);
        for (size_t k = 0; k < SIPAS_MISSING_KINDS; k++)
            assert_int_equal(x->n_missing[k], y->n_missing[k]);
        if (x->flags != y->flags || x->variance_status != y->variance_status)
            fail_msg("'%s' (domain %zu): flags %u/%u, variance %s/%s", x->name, x->domain,
                     x->flags, y->flags, sipas_variance_status_name(x->variance_status),
                     sipas_variance_status_name(y->variance_status));
        expect_close(x->estimate, y->estimate, "estimate", x);
        expect_close(x->variance, y->variance, "variance", x);
        expect_close(x->se, y->se, "se", x);
        expect_close(x->ci_low, y->ci_low, "ci_low", x);
        expect_close(x->ci_high, y->ci_high, "ci_high", x);
        expect_close(x->df, y->df, "df", x);
        expect_close(x->deff, y->deff, "deff", x);
        expect_close(x->kish_deff, y->kish_deff, "kish_deff", x);
        expect_close(x->n_eff, y->n_eff, "n_eff", x);
    }
}

/* The one-pass index of the option sets, at each chunk size, against sipas_index_compute of
 * each set on the loaded dataset (as sipas-analyze loads it: the wave's conditions in the query,
 * like the one pass); both fail alike or succeed alike. */
static void expect_paths_agree(const loaded_store *l, const sipas_index_options *sets, size_t nsets)
{
    sipas_filter wave_filters[4];
    size_t nwave = 0;
    for (size_t f = 0; f < sets[0].nwhere && nwave < 4; f++)
        if (strcmp(sets[0].where[f].column, "wave") == 0)
            wave_filters[nwave++] = sets[0].where[f];
    sipas_dataset *filtered = NULL;
    sipas_error lerr = {0};
    if (nwave > 0 && sipas_dataset_load_columns(l->store, l->inst, NULL, 0, wave_filters, nwave,
                                                &filtered, &lerr) != SIPAS_OK)
        fail_msg("load: %s", lerr.message);
    const sipas_dataset *data = filtered ? filtered : l->data;
    static const size_t chunks[] = {7, 64, 8192};
    sipas_index_result *memory[4] = {0}, *pass[4] = {0};
    sipas_error merr = {0}, perr = {0};
    sipas_status mst = SIPAS_OK;
    assert_true(nsets <= 4);
    for (size_t s = 0; s < nsets && mst == SIPAS_OK; s++)
        mst = sipas_index_compute(data, &sets[s], &memory[s], &merr);
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        sipas_status pst = index_compute_stream_chunked(l->store, l->inst, sets, nsets, chunks[c],
                                                        pass, &perr);
        if (pst != mst)
            fail_msg("chunks of %zu: one pass %d (%s), in memory %d (%s)", chunks[c], (int)pst,
                     perr.message, (int)mst, merr.message);
        if (mst != SIPAS_OK) {
            assert_string_equal(perr.message, merr.message);
            continue;
        }
        for (size_t s = 0; s < nsets; s++) {
            expect_same_result(pass[s], memory[s]);
            sipas_index_result_free(pass[s]);
        }
    }
    for (size_t s = 0; s < nsets; s++)
        sipas_index_result_free(memory[s]);
    sipas_dataset_free(filtered);
}

static void sample_paths_agree(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "sipas2017", SIPAS_TEST_SURVEYS "/sample/sipas2017_2019-2024.csv");
    const char *wave[] = {"wave"}, *wave_district[] = {"wave", "district"}, *district[] = {"district"};
    sipas_index_options review[] = {{.by = wave, .nby = 1}, {.by = wave_district, .nby = 2}};
    expect_paths_agree(&l, review, 2);
    /* no --by (wave added), district pooled over waves, each rule for lonely strata */
    sipas_index_options none = {0};
    expect_paths_agree(&l, &none, 1);
    sipas_index_options pooled = {.by = district, .nby = 1, .keep_wave_pooled = true};
    expect_paths_agree(&l, &pooled, 1);
    for (int rule = SIPAS_LONELY_FAIL; rule <= SIPAS_LONELY_AVERAGE; rule++) {
        sipas_index_options o = {.by = district, .nby = 1, .lonely_psu = (sipas_lonely_psu)rule,
                                 .ci = SIPAS_CI_BETA};
        expect_paths_agree(&l, &o, 1);
    }
    /* --where: a wave pushed into the query, a district kept as a domain of the full design */
    const char *y2024[] = {"2024"}, *cao_loc[] = {"cao_loc"};
    sipas_filter in_2024 = {.column = "wave", .op = SIPAS_OP_EQ, .nvalues = 1, .values = y2024};
    sipas_filter in_cao_loc = {.column = "district", .op = SIPAS_OP_EQ, .nvalues = 1,
                               .values = cao_loc};
    sipas_index_options one_wave = {.by = district, .nby = 1, .where = &in_2024, .nwhere = 1};
    expect_paths_agree(&l, &one_wave, 1);
    sipas_index_options one_district = {.by = wave, .nby = 1, .where = &in_cao_loc, .nwhere = 1,
                                        .scoring_set = true,
                                        .scoring = SIPAS_SCORING_PERCENT_TO_MAX};
    expect_paths_agree(&l, &one_district, 1);
    /* a by column no form has: the same message */
    const char *nowhere[] = {"nowhere"};
    sipas_index_options bad = {.by = nowhere, .nby = 1};
    expect_paths_agree(&l, &bad, 1);
    loaded_store_close(&l);
}

static void degenerate_paths_agree(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "health2021", SIPAS_TEST_FIXTURES "/review/degenerate_health2021.csv");
    const char *district[] = {"district"};
    for (int m = SIPAS_CI_LOGIT; m <= SIPAS_CI_ASIN; m++) {
        sipas_index_options o = {.by = district, .nby = 1, .ci = (sipas_ci_method)m};
        expect_paths_agree(&l, &o, 1);
    }
    /* two facilities with the same share: the variance is exactly 0 on the one pass too */
    sipas_index_options o = {.by = district, .nby = 1};
    sipas_index_result *r = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_index_compute_stream(l.store, l.inst, &o, 1, &r, &err), SIPAS_OK);
    bool found = false;
    for (size_t i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].name, "overall") == 0 &&
            strcmp(r->domains[r->rows[i].domain].values[0], "tp_lang_son") == 0) {
            found = true;
            assert_true(r->rows[i].variance == 0 && r->rows[i].se == 0);
            assert_int_equal(r->rows[i].variance_status, SIPAS_VARIANCE_OK);
        }
    assert_true(found);
    sipas_index_result_free(r);
    loaded_store_close(&l);

    loaded_store_open(&l, "sipas2017", SIPAS_TEST_FIXTURES "/review/degenerate_sipas2017.csv");
    const char *wave_district[] = {"wave", "district"};
    for (int rule = SIPAS_LONELY_FAIL; rule <= SIPAS_LONELY_AVERAGE; rule++) {
        sipas_index_options lonely = {.by = wave_district, .nby = 2,
                                      .lonely_psu = (sipas_lonely_psu)rule, .min_cell = 1};
        expect_paths_agree(&l, &lonely, 1);
    }
    loaded_store_close(&l);
}

/* A composite whose criteria's residuals cancel within every respondent (half the respondents
 * satisfied with q1 only, half with q2 only, in pairs of equal weight: both shares 0.5, so the
 * overall index's residual is 0 for everyone) has no SRS variance to compare with: its deff is
 * NaN on both paths, not 0 from the rounding left in its sum of squares. */
static void cancelling_composite_has_no_deff(void **state)
{
    (void)state;
    char dir[64] = "/tmp/sipas-cancel-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/batch.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2\n");
    int id = 0;
    static const char *const districts[] = {"cao_loc", "loc_binh"};
    for (int d = 0; d < 2; d++)
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < 10; j++)
                for (int pattern = 0; pattern < 2; pattern++)
                    fprintf(f, "r%d,2024,%s,%s-c%d,%.2f,citizen,,%d,%d\n", ++id, districts[d],
                            districts[d], c, 1.1 + 0.37 * j, pattern ? 1 : 5, pattern ? 5 : 1);
    assert_int_equal(fclose(f), 0);
    loaded_store l;
    loaded_store_open_dir(&l, SIPAS_TEST_FIXTURES "/import/mini", path);
    assert_int_equal(scratch_dir_remove(dir), 0);
    sipas_index_options o = {0};
    expect_paths_agree(&l, &o, 1);
    sipas_index_result *pass = NULL, *memory = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_index_compute_stream(l.store, l.inst, &o, 1, &pass, &err), SIPAS_OK);
    assert_int_equal(sipas_index_compute(l.data, &o, &memory, &err), SIPAS_OK);
    for (size_t i = 0; i < pass->nrows; i++) {
        const sipas_index_row *a = &pass->rows[i], *b = &memory->rows[i];
        if (a->level == SIPAS_LEVEL_OVERALL) {
            assert_true(isnan(a->deff) && isnan(b->deff));
        } else { /* one criterion each: a real SRS variance, and PSUs alike (V = 0) */
            assert_true(a->deff == 0 && b->deff == 0);
        }
    }
    sipas_index_result_free(pass);
    sipas_index_result_free(memory);
    loaded_store_close(&l);
}

/* Calibrated weights need every respondent: the one pass says so instead of computing. */
static void calibrated_weights_refused(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "health2021", SIPAS_TEST_FIXTURES "/review/degenerate_health2021.csv");
    sipas_index_options o = {.weighting = SIPAS_WEIGHTING_POSTSTRATIFY};
    assert_false(sipas_index_stream_applies(l.inst, &o));
    sipas_index_result *r = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_index_compute_stream(l.store, l.inst, &o, 1, &r, &err),
                     SIPAS_ERR_USAGE);
    assert_null(r);
    o.weighting = SIPAS_WEIGHTING_DESIGN;
    assert_true(sipas_index_stream_applies(l.inst, &o));
    loaded_store_close(&l);
}

/* The chunks of sipas_dataset_stream_columns: every row once, in the order of the load, text
 * levels that keep their index from chunk to chunk. */
typedef struct chunk_check {
    const sipas_dataset *whole;
    size_t district, wave, rows, calls, last_n;
} chunk_check;

static sipas_status check_chunk(void *ctx, const sipas_dataset *chunk, sipas_error *err)
{
    (void)err;
    chunk_check *c = ctx;
    const sipas_column *dw = &c->whole->columns[c->district], *dc = &chunk->columns[c->district];
    const sipas_column *ww = &c->whole->columns[c->wave], *wc = &chunk->columns[c->wave];
    assert_true(chunk->n <= 7);
    for (size_t i = 0; i < chunk->n; i++) {
        size_t row = c->rows + i;
        assert_int_equal(dc->level[i], dw->level[row]);
        assert_string_equal(dc->levels[dc->level[i]], dw->levels[dw->level[row]]);
        assert_true(sipas_column_number(wc, i) == sipas_column_number(ww, row));
    }
    c->rows += chunk->n;
    c->calls++;
    c->last_n = chunk->n;
    return SIPAS_OK;
}

static void chunks_cover_the_load(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "sipas2017", SIPAS_TEST_SURVEYS "/sample/sipas2017_2019-2024.csv");
    chunk_check c = {.whole = l.data};
    for (size_t k = 0; k < l.inst->nitems; k++) {
        if (strcmp(l.inst->items[k].name, "district") == 0)
            c.district = k;
        if (strcmp(l.inst->items[k].name, "wave") == 0)
            c.wave = k;
    }
    const char *names[] = {"district"};
    sipas_error err = {0};
    assert_int_equal(sipas_dataset_stream_columns(l.store, l.inst, names, 1, NULL, 0, 7,
                                                  check_chunk, &c, &err), SIPAS_OK);
    assert_int_equal(c.rows, l.data->n);
    assert_int_equal(c.calls, (l.data->n + 6) / 7 + (l.data->n % 7 == 0)); /* + a last of 0 */
    loaded_store_close(&l);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_paths_agree),
        cmocka_unit_test(degenerate_paths_agree),
        cmocka_unit_test(cancelling_composite_has_no_deff),
        cmocka_unit_test(calibrated_weights_refused),
        cmocka_unit_test(chunks_cover_the_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
