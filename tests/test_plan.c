/* Sample sizes, margins, rho, clusters with t, power and allocation: against R
 * (tests/fixtures/plan/make_plan_fixtures.R) and hand-computed cases. */
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

#include "sipas/init.h"
#include "sipas/plan.h"

#define FIXTURE_DIR SIPAS_TEST_FIXTURES "/plan/"
#include "fixture_table.h"

static void test_formulas_match_r(void **state)
{
    (void)state;
    table *t = table_read("sizes.csv");
    assert_true(t->nrows >= 8);
    for (size_t i = 0; i < t->nrows; i++) {
        char context[32];
        snprintf(context, sizeof context, "sizes.csv row %zu", i + 2);
        double p = num(cell_of(t, i, "p")), deff = num(cell_of(t, i, "deff"));
        double e = num(cell_of(t, i, "margin")), level = num(cell_of(t, i, "level"));
        double m = num(cell_of(t, i, "m")), n = num(cell_of(t, i, "n"));
        double change = num(cell_of(t, i, "change")), power = num(cell_of(t, i, "power"));
        double strata = num(cell_of(t, i, "strata"));
        expect_close(sipas_plan_n_for_margin(p, deff, e, level), num(cell_of(t, i, "n_margin")),
                     1e-12, "n for margin", context);
        expect_close(sipas_plan_margin_for_n(p, deff, n, level), num(cell_of(t, i, "margin_of_n")),
                     1e-12, "margin of n", context);
        expect_close(sipas_plan_rho_from_deff(deff, m), num(cell_of(t, i, "rho")), 1e-12, "rho",
                     context);
        expect_close(sipas_plan_clusters_for_margin_t(p, deff, m, strata, e, level),
                     num(cell_of(t, i, "clusters_t")), 0, "clusters with t", context);
        /* power.prop.test solves for n with uniroot (tolerance about 1e-4 in n) */
        expect_close(sipas_plan_n_to_detect(p, change, level, power, deff),
                     num(cell_of(t, i, "n_detect")), 1e-6, "n to detect", context);
    }
    table_free(t);
}

static void test_formulas_by_hand(void **state)
{
    (void)state;
    assert_float_equal(sipas_plan_z(0.95), 1.959963984540054, 1e-12);
    /* p = 0.5, deff 1, e = 0.05: 1.96^2 / 4 / 0.0025 = 384.15 (the textbook 384) */
    assert_float_equal(sipas_plan_n_for_margin(0.5, 1, 0.05, 0.95), 384.1458820694, 1e-9);
    /* twice the deff, twice the sample; half the margin, four times */
    assert_float_equal(sipas_plan_n_for_margin(0.8, 2, 0.05, 0.95),
                       2 * sipas_plan_n_for_margin(0.8, 1, 0.05, 0.95), 1e-9);
    assert_float_equal(sipas_plan_n_for_margin(0.8, 1, 0.025, 0.95),
                       4 * sipas_plan_n_for_margin(0.8, 1, 0.05, 0.95), 1e-9);
    /* the margin of the sample a margin needs is that margin */
    assert_float_equal(sipas_plan_margin_for_n(0.7, 1.4, sipas_plan_n_for_margin(0.7, 1.4, 0.04, 0.9), 0.9),
                       0.04, 1e-12);
    /* deff = 1 + (m - 1) rho: deff 2 at m = 11 is rho 0.1, and back */
    assert_float_equal(sipas_plan_rho_from_deff(2, 11), 0.1, 1e-15);
    assert_float_equal(sipas_plan_deff_from_rho(0.1, 11), 2, 1e-15);
    assert_true(isnan(sipas_plan_rho_from_deff(2, 1)));
    /* the change is taken towards 0.5 */
    assert_float_equal(sipas_plan_detect_p2(0.9, 0.03), 0.87, 1e-15);
    assert_float_equal(sipas_plan_detect_p2(0.3, 0.05), 0.35, 1e-15);
    assert_true(isnan(sipas_plan_detect_p2(0.98, 0.99)));
    assert_true(isnan(sipas_plan_n_to_detect(0.5, 0.03, 0.95, 1.2, 1)));
    /* clusters with t: p = 0.5, deff 1, m = 10, e = 0.1, 95%: z alone needs 96.04 / 10 = 10
     * clusters; t at 9 df (2.262) needs a with 2.262^2 * 0.025 / a... = 13 */
    double a = sipas_plan_clusters_for_margin_t(0.5, 1, 10, 1, 0.1, 0.95);
    assert_true(a > ceil(sipas_plan_n_for_margin(0.5, 1, 0.1, 0.95) / 10));
    assert_true(sipas_plan_t(0.95, a - 1) * sqrt(0.025 / a) <= 0.1);
    assert_true(sipas_plan_t(0.95, a - 2) * sqrt(0.025 / (a - 1)) > 0.1);
    /* over 11 strata the df are a - 11: more clusters, at least 12 */
    double a11 = sipas_plan_clusters_for_margin_t(0.5, 1, 10, 11, 0.1, 0.95);
    assert_true(a11 >= 12 && a11 > a);
    assert_true(sipas_plan_t(0.95, a11 - 11) * sqrt(0.025 / a11) <= 0.1);
    assert_true(sipas_plan_t(0.95, a11 - 12) * sqrt(0.025 / (a11 - 1)) > 0.1);
    assert_true(isnan(sipas_plan_n_for_margin(0.5, 1, 0, 0.95)));
    assert_true(isnan(sipas_plan_n_for_margin(1.5, 1, 0.05, 0.95)));
}

static void test_allocation(void **state)
{
    (void)state;
    size_t got[3];
    sipas_error err = {0};
    const double pop[] = {1, 2, 7};
    assert_int_equal(sipas_plan_allocate(3, SIPAS_ALLOCATION_PROPORTIONAL, 10, pop, NULL, NULL,
                                         got, &err), SIPAS_OK);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 7);
    /* equal: 10 / 3 = 3.33 each, the extra one to the first on the tie */
    assert_int_equal(sipas_plan_allocate(3, SIPAS_ALLOCATION_EQUAL, 10, NULL, NULL, NULL, got, &err),
                     SIPAS_OK);
    assert_int_equal(got[0], 4);
    assert_int_equal(got[1], 3);
    assert_int_equal(got[2], 3);
    /* proportional to {1, 1, 98} of 10: 0.1, 0.1, 9.8; every unit gets one, from the largest */
    const double skewed[] = {1, 1, 98};
    assert_int_equal(sipas_plan_allocate(3, SIPAS_ALLOCATION_PROPORTIONAL, 10, skewed, NULL, NULL,
                                         got, &err), SIPAS_OK);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 1);
    assert_int_equal(got[2], 8);
    /* Neyman: N_h S_h = 10, 30 of 40 */
    const double same[] = {100, 100}, sd[] = {0.1, 0.3};
    assert_int_equal(sipas_plan_allocate(2, SIPAS_ALLOCATION_NEYMAN, 40, same, sd, NULL, got, &err),
                     SIPAS_OK);
    assert_int_equal(got[0], 10);
    assert_int_equal(got[1], 30);
    /* min-per-unit: requirements 50 and 100; a budget of 300 leaves 150 shared by population */
    const double required[] = {50, 100};
    assert_int_equal(sipas_plan_allocate(2, SIPAS_ALLOCATION_MIN_PER_UNIT, 300, same, NULL, required,
                                         got, &err), SIPAS_OK);
    assert_int_equal(got[0], 125);
    assert_int_equal(got[1], 175);
    /* ...a budget of 75 gives each half its requirement */
    assert_int_equal(sipas_plan_allocate(2, SIPAS_ALLOCATION_MIN_PER_UNIT, 75, same, NULL, required,
                                         got, &err), SIPAS_OK);
    assert_int_equal(got[0], 25);
    assert_int_equal(got[1], 50);
    assert_int_equal(sipas_plan_allocate(3, SIPAS_ALLOCATION_EQUAL, 2, NULL, NULL, NULL, got, &err),
                     SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "budget of 2"));
    sipas_allocation parsed;
    assert_true(sipas_allocation_parse("min-per-unit", &parsed));
    assert_int_equal(parsed, SIPAS_ALLOCATION_MIN_PER_UNIT);
    assert_false(sipas_allocation_parse("optimal", &parsed));
}

/* An observed unit whose variance gives deff at p and n. */
static sipas_plan_observed unit_with(double p, double deff, double n, double clusters, double df,
                                     double population)
{
    return (sipas_plan_observed){.p = p, .variance = deff * p * (1 - p) / n, .df = df, .n = n,
                                 .clusters = clusters, .population = population};
}

static void test_pooling_rule(void **state)
{
    (void)state;
    /* A: deff 2 at m = 11 (rho 0.1) with df 20: its own. B: deff 5 at m = 11 (rho 0.4), df 3;
     * C: deff 1 (rho 0), df 2; D: no variance. pooled rho = (20 * 0.1 + 3 * 0.4 + 0) / 25 */
    sipas_plan_observed units[] = {
        unit_with(0.8, 2, 220, 20, 20, 1000), unit_with(0.8, 5, 44, 4, 3, 1000),
        unit_with(0.9, 1, 33, 3, 2, 1000), {.p = 1, .variance = NAN, .df = 1, .n = 22, .clusters = 2,
                                            .population = 1000}};
    sipas_plan_observed whole = unit_with(0.85, 1.5, 319, 29, 25, 4000);
    sipas_plan_options opt = {.margin = 0.05, .level = 0.95, .detect = 0.03, .power = 0.8,
                              .budget = 1000, .allocation = SIPAS_ALLOCATION_PROPORTIONAL};
    sipas_plan_row rows[4], total;
    sipas_plan_pooled pooled;
    sipas_error err = {0};
    assert_int_equal(sipas_plan_units(4, units, &whole, &opt, rows, &total, &pooled, &err), SIPAS_OK);
    assert_float_equal(pooled.rho, 3.2 / 25, 1e-12);
    assert_int_equal(pooled.units, 3);
    assert_int_equal(rows[0].deff_source, SIPAS_PLAN_DEFF_OWN);
    assert_float_equal(rows[0].deff_used, 2, 1e-12);
    assert_float_equal(rows[0].rho, 0.1, 1e-12);
    assert_int_equal(rows[1].deff_source, SIPAS_PLAN_DEFF_POOLED);
    assert_float_equal(rows[1].deff_used, 1 + 10 * 3.2 / 25, 1e-12);
    assert_float_equal(rows[2].deff_used, 1 + 10 * 3.2 / 25, 1e-12);
    /* p = 1 has no spread: the worst case 0.5 stands in */
    assert_true(rows[3].p_worst_case);
    assert_float_equal(rows[3].p_used, 0.5, 0);
    assert_float_equal(rows[0].n_margin, ceil(sipas_plan_n_for_margin(0.8, 2, 0.05, 0.95)), 0);
    assert_float_equal(rows[0].clusters_margin, ceil(rows[0].n_margin / 11), 0);
    assert_float_equal(rows[1].n_detect, ceil(sipas_plan_n_to_detect(0.8, 0.03, 0.95, 0.8,
                                                                    rows[1].deff_used)), 0);
    /* the whole uses its own deff */
    assert_float_equal(total.deff_used, 1.5, 1e-12);
    /* equal populations: 250 each, and the whole's margin from sum W^2 S^2 / n */
    double variance = 0;
    for (size_t h = 0; h < 4; h++) {
        assert_float_equal(rows[h].n_allocated, 250, 0);
        variance += 0.0625 * rows[h].p_used * (1 - rows[h].p_used) * rows[h].deff_used / 250;
    }
    assert_float_equal(total.margin_allocated, sipas_plan_z(0.95) * sqrt(variance), 1e-12);
    /* a unit's allocated margin takes t at its clusters - 1 df */
    double clusters = ceil(250.0 / 11);
    assert_float_equal(rows[0].margin_allocated,
                       sipas_plan_t(0.95, clusters - 1) * sqrt(0.16 * 2 / 250), 1e-12);
}

static void test_pooled_rho_floor(void **state)
{
    (void)state;
    /* deffs below 1 (rho < 0) are sampling noise: the pooled rho stops at 0, deff at 1 */
    sipas_plan_observed units[] = {unit_with(0.9, 0.5, 100, 4, 3, 10), unit_with(0.9, 0.8, 100, 4, 3, 10)};
    sipas_plan_observed whole = unit_with(0.9, 0.7, 200, 8, 6, 20);
    sipas_plan_options opt = {.margin = 0.05, .level = 0.95};
    sipas_plan_row rows[2], total;
    sipas_plan_pooled pooled;
    assert_int_equal(sipas_plan_units(2, units, &whole, &opt, rows, &total, &pooled, NULL), SIPAS_OK);
    assert_float_equal(pooled.rho, 0, 0);
    assert_float_equal(rows[0].deff_used, 1, 0);
    assert_true(isnan(rows[0].n_allocated));
    assert_true(isnan(rows[0].n_detect));
    opt.margin = 1.5;
    assert_int_equal(sipas_plan_units(2, units, &whole, &opt, rows, &total, &pooled, NULL),
                     SIPAS_ERR_USAGE);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formulas_match_r),
        cmocka_unit_test(test_formulas_by_hand),
        cmocka_unit_test(test_allocation),
        cmocka_unit_test(test_pooling_rule),
        cmocka_unit_test(test_pooled_rho_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
