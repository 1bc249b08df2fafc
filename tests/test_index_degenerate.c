/* test_index_degenerate.c - the index on the degenerate designs of issue 9 (docs/methodology.md,
 * "Degenerate designs"), through the store as the programs use it.
 *
 * Data: tests/fixtures/review/degenerate_health2021.csv (two facilities, the clusters, of 30
 * patients per district; in tp_lang_son both have the same share on every criterion) and
 * degenerate_sipas2017.csv (dinh_lap has a single commune in 2022), made by make_degenerate.py.
 */
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

#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/store.h"
#include "loaded_store.h"


/* The row of a measure in the domain whose by values are `values` (NULL-terminated). */
static const sipas_index_row *find_row(const sipas_index_result *r, const char *const *values,
                                       const char *measure)
{
    for (size_t i = 0; i < r->nrows; i++) {
        const sipas_index_row *row = &r->rows[i];
        bool match = strcmp(row->name, measure) == 0;
        for (size_t b = 0; match && b < r->nby; b++)
            match = strcmp(r->domains[row->domain].values[b], values[b]) == 0;
        if (match)
            return row;
    }
    fail_msg("no row %s", measure);
    return NULL;
}

/* Every row with an interval: finite, within [0, 1], containing its estimate. */
static void check_intervals(const sipas_index_result *r)
{
    for (size_t i = 0; i < r->nrows; i++) {
        const sipas_index_row *row = &r->rows[i];
        if (isnan(row->ci_low) && isnan(row->ci_high))
            continue;
        if (!(row->ci_low >= 0 && row->ci_high <= 1 && row->ci_low <= row->estimate &&
              row->estimate <= row->ci_high))
            fail_msg("%s: [%g, %g] for %g", row->name, row->ci_low, row->ci_high, row->estimate);
    }
}

/* Two facilities with the same share: the variance is exactly 0 (not 1e-33), the row is OK and
 * every method gives a real interval; the "beta quantile ... failed" is gone. */
static void alike_clusters_have_zero_variance(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "health2021", SIPAS_TEST_FIXTURES "/review/degenerate_health2021.csv");
    const char *by[] = {"district"};
    for (int m = SIPAS_CI_LOGIT; m <= SIPAS_CI_ASIN; m++) {
        sipas_index_options opt = {.by = by, .nby = 1, .ci = (sipas_ci_method)m};
        sipas_index_result *r = NULL;
        sipas_error err = {0};
        if (sipas_index_compute(l.data, &opt, &r, &err) != SIPAS_OK)
            fail_msg("%s: %s", sipas_ci_method_name((sipas_ci_method)m), err.message);
        check_intervals(r);
        const char *dom[] = {"tp_lang_son"};
        const sipas_index_row *row = find_row(r, dom, "overall");
        assert_int_equal(row->variance_status, SIPAS_VARIANCE_OK);
        assert_true(row->variance == 0 && row->se == 0);
        assert_true(row->estimate > 0 && row->estimate < 1);
        if (m != SIPAS_CI_MEAN)
            assert_true(row->ci_high - row->ci_low > 0.05); /* n = 60, not [p, p] */
        sipas_index_result_free(r);
    }
    loaded_store_close(&l);
}

/* A facility is the cluster: ranking facilities is refused, naming a column above it. */
static void units_on_the_cluster_column_refused(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "health2021", SIPAS_TEST_FIXTURES "/review/degenerate_health2021.csv");
    sipas_index_options opt = {0};
    sipas_units_result *u = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_index_units(l.data, &opt, "facility", "overall", &u, &err),
                     SIPAS_ERR_USAGE);
    assert_null(u);
    assert_non_null(strstr(err.message, "'facility' is the cluster (PSU) column"));
    assert_non_null(strstr(err.message, "'district'"));
    /* the district, above the cluster, ranks */
    assert_int_equal(sipas_index_units(l.data, &opt, "district", "overall", &u, &err), SIPAS_OK);
    assert_true(u->nunits >= 3);
    sipas_units_result_free(u);
    loaded_store_close(&l);
}

/* dinh_lap has one commune in 2022: under fail, the error names form, domain and measure; under
 * every other rule its rows keep the estimate and say one_psu, with no SE and no interval. */
static void one_psu_domain(void **state)
{
    (void)state;
    loaded_store l;
    loaded_store_open(&l, "sipas2017", SIPAS_TEST_FIXTURES "/review/degenerate_sipas2017.csv");
    sipas_condition cond;
    sipas_error err = {0};
    assert_int_equal(sipas_condition_parse("wave=2022", &cond, &err), SIPAS_OK);
    const char *by[] = {"district"};
    sipas_index_options opt = {.by = by, .nby = 1, .where = &cond.filter, .nwhere = 1};
    sipas_index_result *r = NULL;
    assert_int_equal(sipas_index_compute(l.data, &opt, &r, &err), SIPAS_ERR_MATH);
    assert_non_null(strstr(err.message, "form 'sipas2017', district 'dinh_lap', measure '"));
    assert_non_null(strstr(err.message, "': stratum 'dinh_lap (wave 2022)' has only one PSU; "));
    for (sipas_lonely_psu rule = SIPAS_LONELY_REMOVE; rule <= SIPAS_LONELY_AVERAGE; rule++) {
        opt.lonely_psu = rule;
        if (sipas_index_compute(l.data, &opt, &r, &err) != SIPAS_OK)
            fail_msg("rule %d: %s", (int)rule, err.message);
        check_intervals(r);
        const char *dom[] = {"dinh_lap"};
        const sipas_index_row *row = find_row(r, dom, "overall");
        assert_int_equal(row->variance_status, SIPAS_VARIANCE_ONE_PSU);
        assert_true(isfinite(row->estimate));
        assert_true(isnan(row->se) && isnan(row->variance) && isnan(row->ci_low) &&
                    isnan(row->ci_high) && isnan(row->n_eff));
        assert_true(row->flags & SIPAS_NCHS_NO_CI);
        const char *other[] = {"cao_loc"};
        assert_int_equal(find_row(r, other, "overall")->variance_status, SIPAS_VARIANCE_OK);
        sipas_index_result_free(r);
        /* ranked against the province: no covariance, so no test */
        sipas_index_options uopt = {.where = &cond.filter, .nwhere = 1, .lonely_psu = rule};
        sipas_units_result *u = NULL;
        if (sipas_index_units(l.data, &uopt, "district", "overall", &u, &err) != SIPAS_OK)
            fail_msg("units, rule %d: %s", (int)rule, err.message);
        bool seen = false;
        for (size_t k = 0; k < u->nunits; k++) {
            if (strcmp(u->units[k].code, "dinh_lap") != 0)
                continue;
            seen = true;
            assert_int_equal(u->units[k].row.variance_status, SIPAS_VARIANCE_ONE_PSU);
            assert_true(isnan(u->units[k].cov_with_parent));
        }
        assert_true(seen);
        sipas_units_result_free(u);
    }
    sipas_condition_release(&cond);
    loaded_store_close(&l);
}

static void status_texts(void **state)
{
    (void)state;
    assert_string_equal(sipas_variance_status_text(SIPAS_VARIANCE_OK, "en"), "");
    assert_string_equal(sipas_variance_status_text(SIPAS_VARIANCE_ONE_PSU, "en"),
                        "one cluster (PSU): no design-based variance");
    assert_string_equal(sipas_variance_status_text(SIPAS_VARIANCE_ONE_PSU, "vi"),
                        "chỉ một cụm (PSU): không ước lượng được phương sai theo thiết kế");
    for (int s = SIPAS_VARIANCE_ONE_PSU; s <= SIPAS_VARIANCE_LONELY; s++) {
        assert_true(strlen(sipas_variance_status_text((sipas_variance_status)s, "vi")) > 0);
        assert_true(strlen(sipas_variance_status_text((sipas_variance_status)s, "en")) > 0);
        assert_string_not_equal(sipas_variance_status_name((sipas_variance_status)s), "unknown");
    }
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alike_clusters_have_zero_variance),
        cmocka_unit_test(units_on_the_cluster_column_refused),
        cmocka_unit_test(one_psu_domain),
        cmocka_unit_test(status_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
