/* The stored selection of a draw (sipas_store_replace_selection / load_selection) and the design
 * cells a batch gets from it (src/design_fill.h): filled, kept, compared, or refused with the
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "design_fill.h"

typedef struct fixture {
    sipas_instrument *inst;
    sipas_store *store;
    int wave, stratum, cluster, weight, fpc; /* item indexes of sipas2017 */
    char problems[2048];
    size_t nproblems;
} fixture;

static int item_index(const sipas_instrument *inst, const char *name)
{
    for (size_t k = 0; k < inst->nitems; k++)
        if (strcmp(inst->items[k].name, name) == 0)
            return (int)k;
    return -1;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_SURVEYS "/sipas2017", &f->inst, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &f->store, &err),
                     SIPAS_OK);
    f->wave = item_index(f->inst, "wave");
    f->stratum = item_index(f->inst, "district");
    f->cluster = item_index(f->inst, "commune");
    f->weight = item_index(f->inst, "weight");
    f->fpc = item_index(f->inst, "communes_total");
    assert_true(f->wave >= 0 && f->stratum >= 0 && f->cluster >= 0 && f->weight >= 0 && f->fpc >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sipas_store_close(f->store);
    sipas_instrument_free(f->inst);
    free(f);
    return 0;
}

static void on_problem(void *ctx, const char *column, const char *reason)
{
    fixture *f = ctx;
    size_t used = strlen(f->problems);
    snprintf(f->problems + used, sizeof f->problems - used, "%s: %s\n", column, reason);
    f->nproblems++;
}

/* A row as import reads it: wave, district (text code), commune; weight and fpc empty. */
static sipas_value *row_values(const fixture *f, int64_t wave, const char *district, const char *commune)
{
    sipas_value *v = calloc(f->inst->nitems, sizeof *v);
    v[f->wave] = (sipas_value){.kind = SIPAS_VALUE_INT, .i = wave};
    v[f->stratum] = (sipas_value){.kind = SIPAS_VALUE_TEXT, .text = district, .len = strlen(district)};
    v[f->cluster] = (sipas_value){.kind = SIPAS_VALUE_TEXT, .text = commune, .len = strlen(commune)};
    return v;
}

static void store_draw(fixture *f, int64_t wave, double weight, int64_t seed)
{
    sipas_selected_cluster drawn[] = {
        {.stratum = "cao_loc", .cluster = "cao_loc-commune-03", .probability = 0.25, .fpc = 22,
         .weight = weight},
        {.stratum = "bac_son", .cluster = "bac_son-commune-01", .probability = 0.5, .fpc = 17,
         .weight = weight * 2},
    };
    sipas_error err = {0};
    assert_int_equal(sipas_store_replace_selection(f->store, "sipas2017", wave, drawn, 2,
                                                   "frame.csv", seed, &err), SIPAS_OK);
}

static void test_store_round_trip_and_replace(void **state)
{
    fixture *f = *state;
    sipas_selected_cluster *got = NULL;
    size_t n = 99;
    sipas_error err = {0};
    /* a store that never held a draw: no table, no draw, no error */
    assert_int_equal(sipas_store_load_selection(f->store, "sipas2017", &got, &n, &err), SIPAS_OK);
    assert_int_equal(n, 0);
    store_draw(f, 2025, 320.5, 7);
    store_draw(f, 2026, NAN, 8);
    store_draw(f, 2025, 100, 9); /* a new draw of 2025 replaces the first, 2026 stays */
    assert_int_equal(sipas_store_load_selection(f->store, "sipas2017", &got, &n, &err), SIPAS_OK);
    assert_int_equal(n, 4);
    /* by wave, then stratum and cluster in byte order */
    assert_int_equal(got[0].wave, 2025);
    assert_string_equal(got[0].stratum, "bac_son");
    assert_true(got[0].weight == 200);
    assert_true(got[0].fpc == 17);
    assert_true(got[0].probability == 0.5);
    assert_int_equal(got[1].seed, 9);
    assert_string_equal(got[1].cluster, "cao_loc-commune-03");
    assert_string_equal(got[1].frame_file, "frame.csv");
    assert_int_equal(got[2].wave, 2026);
    assert_true(isnan(got[2].weight));
    sipas_selected_clusters_free(got, n);
    /* another form sees none */
    assert_int_equal(sipas_store_load_selection(f->store, "other", &got, &n, &err), SIPAS_OK);
    assert_int_equal(n, 0);
    /* a cluster given twice refuses the whole draw, and the stored one stays */
    sipas_selected_cluster twice[] = {{.stratum = "a", .cluster = "x", .probability = 1, .fpc = 1},
                                      {.stratum = "a", .cluster = "x", .probability = 1, .fpc = 1}};
    assert_int_equal(sipas_store_replace_selection(f->store, "sipas2017", 2025, twice, 2, "f", 1,
                                                   &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "cluster 'x' of stratum 'a' is selected twice for wave 2025"));
    assert_int_equal(sipas_store_load_selection(f->store, "sipas2017", &got, &n, &err), SIPAS_OK);
    assert_int_equal(n, 4);
    sipas_selected_clusters_free(got, n);
}

static void test_fill_keep_and_refuse(void **state)
{
    fixture *f = *state;
    sipas_error err = {0};
    sipas_design_fill *fill = NULL;
    /* no draw: nothing may wait for the fill */
    assert_int_equal(sipas_design_fill_open(f->store, f->inst, &fill, &err), SIPAS_OK);
    assert_false(sipas_design_fill_may_fill(fill, &f->inst->items[f->weight]));
    sipas_design_fill_free(fill);

    store_draw(f, 2025, 320.5, 7);
    store_draw(f, 2026, NAN, 8);
    assert_int_equal(sipas_design_fill_open(f->store, f->inst, &fill, &err), SIPAS_OK);
    assert_true(sipas_design_fill_may_fill(fill, &f->inst->items[f->weight]));
    assert_true(sipas_design_fill_may_fill(fill, &f->inst->items[f->fpc]));
    assert_false(sipas_design_fill_may_fill(fill, &f->inst->items[f->cluster]));

    /* a drawn commune: both cells filled, fpc as a whole number (an integer column) */
    sipas_value *v = row_values(f, 2025, "cao_loc", "cao_loc-commune-03");
    assert_int_equal(sipas_design_fill_row(fill, v, 2, on_problem, f), 0);
    assert_int_equal(v[f->weight].kind, SIPAS_VALUE_REAL);
    assert_true(v[f->weight].r == 320.5);
    assert_int_equal(v[f->fpc].kind, SIPAS_VALUE_INT);
    assert_int_equal(v[f->fpc].i, 22);
    free(v);

    /* given cells are kept; the fpc that differs by 1 is counted, the weight within 0.5 is not */
    v = row_values(f, 2025, "bac_son", "bac_son-commune-01");
    v[f->weight] = (sipas_value){.kind = SIPAS_VALUE_REAL, .r = 641.4};
    v[f->fpc] = (sipas_value){.kind = SIPAS_VALUE_INT, .i = 18};
    assert_int_equal(sipas_design_fill_row(fill, v, 3, on_problem, f), 0);
    assert_true(v[f->weight].r == 641.4);
    assert_int_equal(v[f->fpc].i, 18);
    free(v);

    /* a commune not drawn, a wave without a draw, a draw without weights: refused, with why */
    v = row_values(f, 2025, "cao_loc", "elsewhere");
    assert_int_equal(sipas_design_fill_row(fill, v, 4, on_problem, f), 2);
    free(v);
    v = row_values(f, 2019, "cao_loc", "cao_loc-commune-03");
    assert_int_equal(sipas_design_fill_row(fill, v, 5, on_problem, f), 2);
    free(v);
    v = row_values(f, 2026, "cao_loc", "cao_loc-commune-03");
    assert_int_equal(sipas_design_fill_row(fill, v, 6, on_problem, f), 1);
    assert_int_equal(v[f->fpc].i, 22); /* the fpc is still filled */
    free(v);
    assert_int_equal(f->nproblems, 5);
    assert_non_null(strstr(f->problems, "weight: commune 'elsewhere' of district 'cao_loc' was not "
                                        "drawn for wave 2025"));
    assert_non_null(strstr(f->problems, "communes_total: no draw is stored for wave 2019"));
    assert_non_null(strstr(f->problems, "weight: the draw stored for this wave has no respondent "
                                        "weights (it was made without --interviews-per-cluster)"));

    char filled[512], disagreed[512];
    sipas_design_fill_summary(fill, filled, sizeof filled, disagreed, sizeof disagreed);
    assert_non_null(strstr(filled, "filled 1 weight and 1 fpc cells from the draw for wave 2025 "
                                   "(frame 'frame.csv', seed 7, stored "));
    assert_non_null(strstr(filled, "; filled 0 weight and 1 fpc cells from the draw for wave 2026"));
    assert_non_null(strstr(disagreed, "1 given weight or fpc cell differs from the stored draw by "
                                      "more than 0.5 (first: row 3, column 'communes_total': 18, "
                                      "drawn 17); the file's values were kept"));
    sipas_design_fill_free(fill);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_round_trip_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_keep_and_refuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
