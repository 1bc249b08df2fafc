/* test_indicators.c - the indicator registry, administrative targets and value files (with the
 * messages a spreadsheet user sees), their batches in the store, and each verdict rule against
 * values computed by hand from the formulas of docs/review.md ("Scorecard"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipas/indicators.h"
#include "sipas/init.h"
#include "sipas/scorecard.h"
#include "sipas/store.h"
#include "scratch_dir.h"

#define TOL 1e-9
/* qt(0.975, 2): with 2 df the t quantile has the closed form (2p - 1) / sqrt(2 p (1 - p)) */
#define T_975_2 (0.95 / sqrt(2 * 0.975 * 0.025))

static char scratch_dir[] = "/tmp/sipas-indicators-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

static sipas_indicator_registry *shipped_registry(void)
{
    sipas_indicator_registry *reg = NULL;
    sipas_error err = {0};
    if (sipas_indicator_registry_load_dir(SIPAS_TEST_SURVEYS, &reg, &err) != SIPAS_OK)
        fail_msg("registry: %s", err.message);
    return reg;
}

/* ---- registry and targets ---- */

static void test_shipped_registry_and_targets(void **state)
{
    (void)state;
    sipas_indicator_registry *reg = shipped_registry();
    const sipas_indicator_def *d = sipas_indicator_find(reg, "dossiers_on_time");
    assert_non_null(d);
    assert_int_equal(d->kind, SIPAS_INDICATOR_SHARE);
    assert_string_equal(d->item, "b");
    assert_null(d->form);
    d = sipas_indicator_find(reg, "public_service_payroll");
    assert_int_equal(d->kind, SIPAS_INDICATOR_CHANGE);
    assert_int_equal(d->direction, SIPAS_LOWER_IS_BETTER);
    assert_int_equal(d->base_from, 2021);
    d = sipas_indicator_find(reg, "public_units_budget_spending");
    assert_int_equal(d->base_from, 2021);
    assert_int_equal(d->base_to, 2025);
    d = sipas_indicator_find(reg, "sipas_procedures");
    assert_string_equal(d->form, "sipas2017");
    assert_string_equal(d->measure, "overall");
    assert_null(sipas_indicator_find(reg, "no_such_indicator"));

    sipas_admin_targets *t = NULL;
    sipas_error err = {0};
    if (sipas_admin_targets_load_dir(SIPAS_TEST_SURVEYS, reg, &t, &err) != SIPAS_OK)
        fail_msg("targets: %s", err.message);
    /* every quantitative target of items a) to e) except satisfaction (a survey measure) */
    assert_int_equal(t->n, 27);
    size_t items[6] = {0};
    static const char *const names[6] = {"a", "b", "c", "d", "đ", "e"};
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < 6; k++)
            items[k] += strcmp(t->targets[i].item, names[k]) == 0;
        assert_non_null(strstr(t->targets[i].source, "60-NQ/TU"));
        assert_true(strlen(t->targets[i].quote) > 20);
    }
    size_t want[6] = {3, 4, 3, 7, 3, 7};
    for (size_t k = 0; k < 6; k++)
        assert_int_equal(items[k], want[k]);
    /* the 2030 payroll cut is against 2025, not the registry's 2021 */
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->targets[i].indicator, "public_service_payroll") == 0 &&
            t->targets[i].year == 2030)
            assert_int_equal(t->targets[i].base_from, 2025);
    sipas_admin_targets_free(t);
    sipas_indicator_registry_free(reg);
}

static void expect_registry_error(const char *text, const char *message)
{
    sipas_indicator_registry *reg = NULL;
    sipas_error err = {0};
    const char *path = write_file("registry.csv", text);
    assert_int_not_equal(sipas_indicator_registry_load(path, &reg, &err), SIPAS_OK);
    assert_null(reg);
    if (strstr(err.message, message) == NULL)
        fail_msg("registry error '%s' lacks '%s'", err.message, message);
}

static void test_registry_refusals(void **state)
{
    (void)state;
    const char *head = "id,label::vi,label::en,unit,direction,kind,base_year,item\n";
    char text[512];
    snprintf(text, sizeof text, "%sx,X,X,hồ sơ,higher,ratio,,b\n", head);
    expect_registry_error(text, "registry.csv:2: column 'kind': 'ratio' is not 'share', 'count' or 'change'");
    snprintf(text, sizeof text, "%sx,X,X,người,lower,change,,c\n", head);
    expect_registry_error(text, "registry.csv:2: column 'base_year': a change indicator needs");
    snprintf(text, sizeof text, "%sx,X,X,người,lower,change,2025-2021,c\n", head);
    expect_registry_error(text, "column 'base_year': '2025-2021' is not a base year");
    snprintf(text, sizeof text, "%sx,X,X,u,higher,share,,a\nx,Y,Y,u,higher,share,,a\n", head);
    expect_registry_error(text, "registry.csv:3: column 'id': 'x' is registered twice");
    snprintf(text, sizeof text, "%sx,X,X,u,better,share,,a\n", head);
    expect_registry_error(text, "column 'direction': 'better' is not 'higher' or 'lower'");
    expect_registry_error("id,label::vi,label::en,unit,direction\n", "registry.csv:1: no column 'kind'");
}

static void test_target_refusals(void **state)
{
    (void)state;
    sipas_indicator_registry *reg = shipped_registry();
    const char *head = "indicator,unit,year,comparison,threshold,source,quote,base_year\n";
    struct { const char *row, *message; } cases[] = {
        {"sipas_procedures,lang_son,2025,>=,0.9,NQ,q,", "is a survey measure"},
        {"nothing,lang_son,2025,>=,0.9,NQ,q,", "column 'indicator': 'nothing' is not in the indicator registry"},
        {"dossiers_on_time,lang_son,2025,=>,0.9,NQ,q,", "column 'comparison': '=>' is not one of"},
        {"dossiers_on_time,lang_son,2025,>=,98,NQ,q,", "column 'threshold': '98' is not a number between 0 and 1"},
        {"dossiers_on_time,lang_son,2025,>=,0.9,,q,", "column 'source': '' is empty"},
        {"dossiers_on_time,lang_son,2025,>=,0.9,NQ,q,2021", "is given for an indicator that is not a change"},
        {"public_service_payroll,lang_son,2021,<=,-0.1,NQ,q,", "column 'year': '2021' is not after the base year"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s\n", head, cases[i].row);
        sipas_admin_targets *t = NULL;
        sipas_error err = {0};
        assert_int_not_equal(sipas_admin_targets_load(write_file("targets.csv", text), reg, &t, &err),
                             SIPAS_OK);
        if (strstr(err.message, cases[i].message) == NULL || strstr(err.message, "targets.csv:2:") == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.message, cases[i].message);
    }
    char dup[512];
    snprintf(dup, sizeof dup, "%sdossiers_on_time,lang_son,2025,>,0.98,NQ,q,\n"
             "dossiers_on_time,lang_son,2025,>,0.99,NQ,q,\n", head);
    sipas_admin_targets *t = NULL;
    sipas_error err = {0};
    assert_int_not_equal(sipas_admin_targets_load(write_file("targets.csv", dup), reg, &t, &err), SIPAS_OK);
    assert_non_null(strstr(err.message, "targets.csv:3: indicator 'dossiers_on_time' already has a target for lang_son in 2025 (row 2)"));
    sipas_indicator_registry_free(reg);
}

/* ---- values files ---- */

static const char *values_head = "indicator,year,unit,value,numerator,denominator,source,note,synthetic\n";

static void expect_values_error(const char *row, const char *message)
{
    sipas_indicator_registry *reg = shipped_registry();
    char text[1024];
    snprintf(text, sizeof text, "%sdossiers_on_time,2021,lang_son,0.99,187412,189020,UBND,,no\n%s\n",
             values_head, row);
    sipas_admin_value *v = NULL;
    size_t n = 99;
    char sha[SIPAS_ADMIN_SHA256_HEX + 1];
    sipas_error err = {0};
    assert_int_equal(sipas_admin_values_read(write_file("values.csv", text), reg, &v, &n, sha, &err),
                     SIPAS_ERR_VALIDATION);
    assert_null(v);
    assert_int_equal(n, 0);
    if (strstr(err.message, message) == NULL)
        fail_msg("values error '%s' lacks '%s'", err.message, message);
    sipas_indicator_registry_free(reg);
}

static void test_value_refusals(void **state)
{
    (void)state;
    expect_values_error("dossier_on_time,2022,lang_son,0.99,,,UBND,,",
                        "values.csv:3: column 'indicator': 'dossier_on_time' is not in the indicator registry");
    expect_values_error("dossiers_on_time,2022,lang_son,98.5,,,UBND,,",
                        "values.csv:3: column 'value': '98.5' is out of range for a share (0 to 1): write 0.985 or 98.5%");
    expect_values_error("dossiers_on_time,2022,lang_son,101%,,,UBND,,",
                        "column 'value': '101%' is out of range for a share (0% to 100%)");
    expect_values_error("dossiers_on_time,2022,lang_son,,120,100,UBND,,",
                        "values.csv:3: column 'numerator': '120' is larger than the denominator 100");
    expect_values_error("dossiers_on_time,2022,lang_son,0.95,187412,189020,UBND,,",
                        "values.csv:3: column 'value': '0.95' disagrees with numerator/denominator 187412/189020 = 0.991493");
    expect_values_error("dossiers_on_time,2021,lang_son,0.99,,,UBND,,",
                        "values.csv:3: indicator 'dossiers_on_time' already has a value for lang_son in 2021 (row 2)");
    expect_values_error("dossiers_on_time,2022,lang_son,,5,,UBND,,",
                        "column 'denominator': '' is empty: give numerator and denominator together");
    expect_values_error("public_service_payroll,2022,lang_son,23790,23790,30000,UBND,,",
                        "column 'numerator': '23790' is given for an indicator that is not a share");
    expect_values_error("public_service_payroll,2022,lang_son,95%,,,UBND,,",
                        "column 'value': '95%' is a percentage, but the indicator is not a share");
    expect_values_error("dossiers_on_time,2022,lang_son,0.99,,,,,",
                        "column 'source': '' is empty: name the report the figure comes from");
    expect_values_error("dossiers_on_time,2022,lang_son,0.99,,,UBND,,maybe",
                        "column 'synthetic': 'maybe' is not yes or no");
    /* thousands separators: refused, never read as decimals */
    expect_values_error("public_service_payroll,2022,lang_son,23.790,,,UBND,,",
                        "column 'value': '23.790' is ambiguous: thousands or decimals?");
    expect_values_error("public_service_payroll,2022,lang_son,\"23,790\",,,UBND,,",
                        "column 'value': '23,790' is ambiguous");
    expect_values_error("public_service_payroll,2022,lang_son,1.023.790,,,UBND,,",
                        "column 'value': '1.023.790' is not a number (write it without thousands separators");
    expect_values_error("dossiers_on_time,2022,lang_son,,187.412,189020,UBND,,",
                        "column 'numerator': '187.412' is not a whole number of 0 or more (write it without thousands separators");
    expect_values_error("dossiers_on_time,20222,lang_son,0.99,,,UBND,,",
                        "column 'year': '20222' is not a whole year between 1990 and 2100");
}

static void test_value_units(void **state)
{
    (void)state;
    sipas_indicator_registry *reg = shipped_registry();
    /* a share as a proportion, as a percentage (decimal point or comma) and from its ratio;
     * a value rounded to the digits written agrees with its ratio */
    char text[1024];
    snprintf(text, sizeof text, "%s"
             "dossiers_on_time,2021,lang_son,0.99,187412,189020,UBND,,no\n"
             "dossiers_on_time,2022,lang_son,98.5%%,,,UBND,,yes\n"
             "dossiers_on_time,2023,lang_son,\"98,7%%\",,,UBND,,\n"
             "dossiers_on_time,2024,lang_son,,226105,229330,UBND,,\n"
             "dossiers_on_time,2024,cao_loc,0.97,,,UBND,another unit,\n"
             "public_service_payroll,2021,lang_son,24318,,,Sở Nội vụ,,\n", values_head);
    sipas_admin_value *v = NULL;
    size_t n = 0;
    char sha[SIPAS_ADMIN_SHA256_HEX + 1];
    sipas_error err = {0};
    if (sipas_admin_values_read(write_file("values.csv", text), reg, &v, &n, sha, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    assert_int_equal(n, 6);
    assert_true(fabs(v[0].value - 0.99) < TOL && v[0].denominator == 189020 && !v[0].synthetic);
    assert_true(fabs(v[1].value - 0.985) < TOL && isnan(v[1].numerator) && v[1].synthetic);
    assert_true(fabs(v[2].value - 0.987) < TOL);
    assert_true(fabs(v[3].value - 226105.0 / 229330.0) < TOL);
    assert_string_equal(v[4].unit, "cao_loc");
    assert_string_equal(v[4].note, "another unit");
    assert_true(v[5].value == 24318);
    assert_int_equal(v[5].source_row, 7);
    assert_int_equal(strlen(sha), SIPAS_ADMIN_SHA256_HEX);
    sipas_admin_values_free(v, n);
    sipas_indicator_registry_free(reg);
}

/* ---- batches in the store ---- */

static void test_store_batches(void **state)
{
    (void)state;
    sipas_indicator_registry *reg = shipped_registry();
    char db[300];
    snprintf(db, sizeof db, "%s/store.db", scratch_dir);
    sipas_store *store = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_store_open(db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    /* an empty store has no batches and no values (no table yet) */
    sipas_admin_batch_info *list = NULL;
    sipas_admin_value *v = NULL;
    size_t n = 9;
    assert_int_equal(sipas_store_list_admin_batches(store, &list, &n, &err), SIPAS_OK);
    assert_int_equal(n, 0);

    char text[512], sha[SIPAS_ADMIN_SHA256_HEX + 1];
    snprintf(text, sizeof text, "%sdossiers_on_time,2021,lang_son,0.99,,,UBND,,\n"
             "dossiers_on_time,2022,lang_son,0.98,,,UBND,,\n", values_head);
    assert_int_equal(sipas_admin_values_read(write_file("a.csv", text), reg, &v, &n, sha, &err), SIPAS_OK);
    int64_t id = 0;
    assert_int_equal(sipas_store_import_admin_batch(store, "a.csv", sha, v, n, false, &id, &err), SIPAS_OK);
    assert_int_equal(id, 1);
    /* the same content again: refused, naming the batch; --replace replaces it */
    assert_int_equal(sipas_store_import_admin_batch(store, "a-copy.csv", sha, v, n, false, NULL, &err),
                     SIPAS_ERR_CONFLICT);
    assert_non_null(strstr(err.message, "a-copy.csv: the same content as indicator batch 1 'a.csv'"));
    assert_int_equal(sipas_store_import_admin_batch(store, "a.csv", sha, v, n, true, &id, &err), SIPAS_OK);
    assert_int_equal(id, 2);
    sipas_admin_values_free(v, n);

    /* another file with a value batch 2 holds: refused whole, naming where the value is */
    snprintf(text, sizeof text, "%sdossiers_on_time,2023,lang_son,0.97,,,UBND,,\n"
             "dossiers_on_time,2022,lang_son,0.981,,,UBND,,\n", values_head);
    assert_int_equal(sipas_admin_values_read(write_file("b.csv", text), reg, &v, &n, sha, &err), SIPAS_OK);
    assert_int_equal(sipas_store_import_admin_batch(store, "b.csv", sha, v, n, false, NULL, &err),
                     SIPAS_ERR_CONFLICT);
    assert_non_null(strstr(err.message, "b.csv:3: indicator 'dossiers_on_time' for lang_son in 2022 "
                                        "is already stored from indicator batch 2 'a.csv' row 3"));
    sipas_admin_value *stored = NULL;
    size_t nstored = 0;
    assert_int_equal(sipas_store_load_admin_values(store, NULL, 0, &stored, &nstored, &err), SIPAS_OK);
    assert_int_equal(nstored, 2); /* nothing of b.csv was kept */
    sipas_admin_values_free(stored, nstored);

    /* removing batch 2 frees the values: b.csv then goes in */
    assert_int_equal(sipas_store_remove_admin_batch(store, 2, &err), SIPAS_OK);
    assert_int_equal(sipas_store_remove_admin_batch(store, 2, &err), SIPAS_ERR_NOT_FOUND);
    assert_int_equal(sipas_store_import_admin_batch(store, "b.csv", sha, v, n, false, &id, &err), SIPAS_OK);
    sipas_admin_values_free(v, n);
    assert_int_equal(sipas_store_load_admin_values(store, "dossiers_on_time", 0, &stored, &nstored, &err),
                     SIPAS_OK);
    assert_int_equal(nstored, 2);
    assert_true(stored[0].year == 2022 && fabs(stored[0].value - 0.981) < TOL);
    assert_int_equal(stored[0].batch_id, id);
    assert_int_equal(stored[0].source_row, 3);
    sipas_admin_values_free(stored, nstored);
    assert_int_equal(sipas_store_list_admin_batches(store, &list, &n, &err), SIPAS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].file_name, "b.csv");
    assert_int_equal(list[0].rows, 2);
    sipas_admin_batch_list_free(list, n);
    sipas_store_close(store);
    sipas_indicator_registry_free(reg);
}

/* ---- verdict rules ---- */

static sipas_indicator_def def_of(sipas_indicator_kind kind, sipas_indicator_direction dir)
{
    return (sipas_indicator_def){.id = "x", .kind = kind, .direction = dir, .base_from = 2021,
                                 .base_to = 2021};
}

static sipas_admin_verdict assess(const sipas_indicator_def *d, sipas_comparison cmp,
                                  double threshold, double year, const sipas_admin_point *p,
                                  size_t n, double as_of)
{
    sipas_admin_target t = {.indicator = "x", .unit = "lang_son", .year = year,
                            .comparison = cmp, .threshold = threshold,
                            .base_from = d->base_from, .base_to = d->base_to};
    sipas_admin_verdict v;
    sipas_error err = {0};
    if (sipas_admin_assess(d, &t, p, n, as_of, 0.95, &v, &err) != SIPAS_OK)
        fail_msg("assess: %s", err.message);
    return v;
}

static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    sipas_error err = {0};
    /* R: prop.test(8, 10, correct = FALSE)$conf.int = 0.4901625 0.9433178 */
    assert_int_equal(sipas_wilson_interval(8, 10, 0.95, &lo, &hi, &err), SIPAS_OK);
    assert_true(fabs(lo - 0.49016247153664183) < TOL && fabs(hi - 0.9433178485456247) < TOL);
    /* 40 of 40: (n / (n + z^2), 1), not the point 1 as Wald would give */
    assert_int_equal(sipas_wilson_interval(40, 40, 0.95, &lo, &hi, &err), SIPAS_OK);
    assert_true(fabs(lo - 0.9123783988027133) < TOL && hi == 1.0);
    assert_int_equal(sipas_wilson_interval(5, 4, 0.95, &lo, &hi, &err), SIPAS_ERR_USAGE);
}

static void test_past_year_rules(void **state)
{
    (void)state;
    sipas_indicator_def share = def_of(SIPAS_INDICATOR_SHARE, SIPAS_HIGHER_IS_BETTER);
    sipas_admin_point p[] = {{2023, 0.975, NAN, NAN}, {2024, 0.98, 196, 200}};
    /* strict and non-strict comparisons on the recorded figure */
    assert_int_equal(assess(&share, SIPAS_CMP_ABOVE, 0.98, 2024, p, 2, 0).verdict, SIPAS_VERDICT_NOT_MET);
    sipas_admin_verdict v = assess(&share, SIPAS_CMP_AT_LEAST, 0.98, 2024, p, 2, 0);
    assert_int_equal(v.verdict, SIPAS_VERDICT_MET);
    assert_true(v.estimate == 0.98 && !v.projected && isnan(v.ci_low));
    /* the latest share's Wilson interval is reported beside it */
    double lo, hi;
    assert_int_equal(sipas_wilson_interval(196, 200, 0.95, &lo, &hi, NULL), SIPAS_OK);
    assert_true(v.latest_low == lo && v.latest_high == hi && v.latest_year == 2024);
    assert_int_equal(assess(&share, SIPAS_CMP_AT_LEAST, 0.98, 2023, p, 2, 0).verdict, SIPAS_VERDICT_NOT_MET);
    /* a past year without a value */
    assert_int_equal(assess(&share, SIPAS_CMP_AT_LEAST, 0.98, 2022, p, 2, 0).verdict, SIPAS_VERDICT_NOT_OBSERVED);
    /* as of 2023 the 2024 value is not known yet: 2024 is a future year with one value */
    v = assess(&share, SIPAS_CMP_AT_LEAST, 0.98, 2024, p, 2, 2023);
    assert_int_equal(v.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
    assert_int_equal(v.npoints, 1);
    assert_true(v.latest_year == 2023);
    /* lower is better, as a count: at most 100 */
    sipas_indicator_def count = def_of(SIPAS_INDICATOR_COUNT, SIPAS_LOWER_IS_BETTER);
    sipas_admin_point c[] = {{2024, 100, NAN, NAN}};
    assert_int_equal(assess(&count, SIPAS_CMP_AT_MOST, 100, 2024, c, 1, 0).verdict, SIPAS_VERDICT_MET);
    assert_int_equal(assess(&count, SIPAS_CMP_BELOW, 100, 2024, c, 1, 0).verdict, SIPAS_VERDICT_NOT_MET);
    assert_int_equal(assess(&count, SIPAS_CMP_BELOW, 100, 2025, NULL, 0, 0).verdict,
                     SIPAS_VERDICT_INSUFFICIENT_DATA);
}

static void test_linear_projection(void **state)
{
    (void)state;
    /* y = 10, 30, 20, 40 in 2021-2024: ybar 25, slope 8 per year (Sxx = 5), RSS = 180,
     * s^2 = 90; in 2026 yhat = 25 + 8 * 3.5 = 53, se^2 = s^2 (1 + 1/4 + 3.5^2 / 5),
     * interval 53 -+ qt(0.975, 2) * sqrt(333) = [-25.516, 131.516] */
    sipas_indicator_def count = def_of(SIPAS_INDICATOR_COUNT, SIPAS_HIGHER_IS_BETTER);
    sipas_admin_point p[] = {{2024, 40, NAN, NAN}, {2021, 10, NAN, NAN}, {2023, 20, NAN, NAN},
                             {2022, 30, NAN, NAN}};
    sipas_admin_verdict v = assess(&count, SIPAS_CMP_AT_LEAST, 50, 2026, p, 4, 0);
    double half = T_975_2 * sqrt(90.0 * (1 + 0.25 + 12.25 / 5));
    assert_true(fabs(v.estimate - 53) < 1e-9);
    assert_true(fabs(v.ci_low - (53 - half)) < 1e-9 && fabs(v.ci_high - (53 + half)) < 1e-9);
    assert_true(fabs(v.ci_low - -25.516044416216175) < 1e-9);
    assert_int_equal(v.scale, SIPAS_FIT_LINEAR);
    assert_true(fabs(v.slope_per_year - 8) < 1e-12);
    assert_true(fabs(v.slope_low - (8 - T_975_2 * sqrt(90.0 / 5))) < 1e-9);
    assert_int_equal(v.verdict, SIPAS_VERDICT_AT_RISK);
    assert_int_equal(assess(&count, SIPAS_CMP_AT_LEAST, 140, 2026, p, 4, 0).verdict, SIPAS_VERDICT_OFF_TRACK);
    assert_int_equal(assess(&count, SIPAS_CMP_AT_MOST, 140, 2026, p, 4, 0).verdict, SIPAS_VERDICT_ON_TRACK);
    assert_int_equal(assess(&count, SIPAS_CMP_AT_LEAST, -30, 2026, p, 4, 0).verdict, SIPAS_VERDICT_ON_TRACK);
    /* two values are not a trend */
    assert_int_equal(assess(&count, SIPAS_CMP_AT_LEAST, 50, 2026, p, 2, 0).verdict,
                     SIPAS_VERDICT_INSUFFICIENT_DATA);
    /* a share at 100% cannot go on the logit scale: linear, and kept inside [0, 1] */
    sipas_indicator_def share = def_of(SIPAS_INDICATOR_SHARE, SIPAS_HIGHER_IS_BETTER);
    sipas_admin_point full[] = {{2022, 0.9, 36, 40}, {2023, 0.95, 38, 40}, {2024, 1.0, 40, 40}};
    v = assess(&share, SIPAS_CMP_AT_LEAST, 1.0, 2025, full, 3, 0);
    assert_int_equal(v.scale, SIPAS_FIT_LINEAR);
    assert_true(v.estimate == 1.0 && v.ci_high == 1.0); /* exact line: 1.05, clamped */
    assert_int_equal(v.verdict, SIPAS_VERDICT_ON_TRACK);
}

static void test_logit_projection(void **state)
{
    (void)state;
    sipas_indicator_def share = def_of(SIPAS_INDICATOR_SHARE, SIPAS_HIGHER_IS_BETTER);
    /* on an exact logit line (-1, -0.5, 0, 0.5) the projection to 2026 is expit(1.5) and its
     * interval collapses: no scatter, no uncertainty */
    sipas_admin_point exact[4];
    for (int i = 0; i < 4; i++)
        exact[i] = (sipas_admin_point){2021 + i, 1 / (1 + exp(1 - 0.5 * i)), NAN, NAN};
    sipas_admin_verdict v = assess(&share, SIPAS_CMP_AT_LEAST, 0.80, 2026, exact, 4, 0);
    assert_int_equal(v.scale, SIPAS_FIT_LOGIT);
    assert_true(fabs(v.estimate - 1 / (1 + exp(-1.5))) < 1e-9);
    assert_true(fabs(v.ci_low - v.estimate) < 1e-9 && fabs(v.ci_high - v.estimate) < 1e-9);
    assert_int_equal(v.verdict, SIPAS_VERDICT_ON_TRACK);
    assert_int_equal(assess(&share, SIPAS_CMP_AT_LEAST, 0.82, 2026, exact, 4, 0).verdict,
                     SIPAS_VERDICT_OFF_TRACK);
    /* binomial weights: 180, 200, 230, 240 of 400 in 2021-2024. Weighted least squares of
     * logit(p) on the year with w = n p (1 - p); s^2 = chisq / 2 = 0.67251 / 2; the prediction
     * variance in 2026 is s^2 (1/sum w + (T - tbar)^2 / Sxx + 1 / (400 q (1 - q))), q the
     * projection 0.704762; interval expit(logit(q) -+ qt(0.975, 2) se) = [0.591924, 0.797094] (computed with these formulas, outside sipas) */
    sipas_admin_point b[] = {{2021, 0.45, 180, 400}, {2022, 0.5, 200, 400},
                             {2023, 0.575, 230, 400}, {2024, 0.6, 240, 400}};
    v = assess(&share, SIPAS_CMP_AT_LEAST, 0.59, 2026, b, 4, 0);
    assert_true(fabs(v.estimate - 0.7047616516758044) < 1e-9);
    assert_true(fabs(v.ci_low - 0.5919242185415241) < 1e-9);
    assert_true(fabs(v.ci_high - 0.7970936485194885) < 1e-9);
    assert_int_equal(v.verdict, SIPAS_VERDICT_ON_TRACK);
    assert_int_equal(assess(&share, SIPAS_CMP_AT_LEAST, 0.70, 2026, b, 4, 0).verdict, SIPAS_VERDICT_AT_RISK);
    assert_int_equal(assess(&share, SIPAS_CMP_ABOVE, 0.80, 2026, b, 4, 0).verdict, SIPAS_VERDICT_OFF_TRACK);
}

static void test_change_rules(void **state)
{
    (void)state;
    /* payroll 100, 90, 80: change against 2021 in 2023 is 80/100 - 1 = -20%; the exact line
     * projects 60 in 2025, a change of -40% */
    sipas_indicator_def payroll = def_of(SIPAS_INDICATOR_CHANGE, SIPAS_LOWER_IS_BETTER);
    sipas_admin_point p[] = {{2021, 100, NAN, NAN}, {2022, 90, NAN, NAN}, {2023, 80, NAN, NAN}};
    sipas_admin_verdict v = assess(&payroll, SIPAS_CMP_AT_MOST, -0.10, 2023, p, 3, 0);
    assert_int_equal(v.verdict, SIPAS_VERDICT_MET);
    assert_true(fabs(v.estimate - -0.20) < 1e-12 && v.base_value == 100);
    assert_true(fabs(v.latest_figure - -0.20) < 1e-12);
    assert_int_equal(assess(&payroll, SIPAS_CMP_AT_MOST, -0.25, 2023, p, 3, 0).verdict, SIPAS_VERDICT_NOT_MET);
    v = assess(&payroll, SIPAS_CMP_AT_MOST, -0.10, 2025, p, 3, 0);
    assert_true(v.projected && fabs(v.estimate - -0.40) < 1e-9);
    assert_int_equal(v.verdict, SIPAS_VERDICT_ON_TRACK);
    /* a base year with no value yet (another 10% against 2025, judged in 2023) */
    payroll.base_from = payroll.base_to = 2025;
    v = assess(&payroll, SIPAS_CMP_AT_MOST, -0.10, 2030, p, 3, 0);
    assert_int_equal(v.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
    assert_string_equal(v.reason, "no value for the base year");
    /* a base period: the mean of 2021-2022 is 95, so 2023's change is 80/95 - 1 */
    payroll.base_from = 2021;
    payroll.base_to = 2022;
    v = assess(&payroll, SIPAS_CMP_AT_MOST, -0.07, 2023, p, 3, 0);
    assert_true(fabs(v.estimate - (80.0 / 95.0 - 1)) < 1e-12);
    assert_int_equal(v.verdict, SIPAS_VERDICT_MET);
}

/* ---- the scorecard ---- */

static void test_scorecard_build_and_chart(void **state)
{
    (void)state;
    sipas_indicator_registry *reg = shipped_registry();
    sipas_admin_targets *admin = NULL;
    sipas_targets *survey = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_admin_targets_load_dir(SIPAS_TEST_SURVEYS, reg, &admin, &err), SIPAS_OK);
    assert_int_equal(sipas_targets_load_dir(SIPAS_TEST_SURVEYS, &survey, &err), SIPAS_OK);
    /* three years of dossiers on time, and the published SIPAS figure of 2021 */
    sipas_admin_value values[] = {
        {"dossiers_on_time", 2021, "lang_son", 0.99, NAN, NAN, "r", "", false, 1, 2},
        {"dossiers_on_time", 2022, "lang_son", 0.985, NAN, NAN, "r", "", false, 1, 3},
        {"dossiers_on_time", 2023, "lang_son", 0.975, NAN, NAN, "r", "", false, 1, 4},
        {"sipas_procedures", 2021, "lang_son", 0.8707, NAN, NAN, "r", "", false, 1, 5},
    };
    sipas_scorecard_input in = {.registry = reg, .admin_targets = admin, .survey_targets = survey,
                                .values = values, .nvalues = 4};
    sipas_scorecard *card = NULL;
    if (sipas_scorecard_build(&in, &card, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    assert_int_equal(card->n, admin->n + survey->ntargets);
    assert_true(card->as_of == 2023); /* the latest value */
    static const char *const order = "a b c d đ e";
    size_t pos = 0, dossiers = 0;
    for (size_t i = 0; i < card->n; i++) {
        const sipas_scorecard_row *r = &card->rows[i];
        const char *at = strstr(order, r->item);
        assert_non_null(at);
        assert_true((size_t)(at - order) >= pos); /* by resolution item */
        pos = (size_t)(at - order);
        if (strcmp(r->indicator, "dossiers_on_time") == 0) {
            dossiers++;
            assert_int_equal(r->trend, SIPAS_SCORE_TREND_WORSENING);
            assert_true(r->verdict.projected);
        }
        if (strcmp(r->indicator, "sipas_procedures") == 0) {
            assert_false(r->survey); /* no survey data given: the reported value */
            assert_true(r->verdict.latest_figure == 0.8707);
            assert_int_equal(r->verdict.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
            assert_int_equal(dossiers, 2); /* within item b, administrative targets first */
        }
    }
    char svg[300];
    snprintf(svg, sizeof svg, "%s/card.svg", scratch_dir);
    sipas_plot_options opt = {.output_path = svg};
    if (sipas_scorecard_chart(card, true, &opt, &err) != SIPAS_OK)
        fail_msg("chart: %s", err.message);
    FILE *f = fopen(svg, "r");
    assert_non_null(f);
    char head[4096] = {0};
    assert_true(fread(head, 1, sizeof head - 1, f) > 100);
    fclose(f);
    assert_non_null(strstr(head, "<svg"));
    sipas_scorecard_free(card);
    /* a row without a finite target is refused before gnuplot runs */
    sipas_plot_score_row bad = {"x", 0.5, NAN, SIPAS_PLOT_VERDICT_GOOD};
    sipas_plot_scorecard chart = {.rows = &bad, .nrows = 1};
    assert_int_equal(sipas_plot_scorecard_chart(&chart, &opt, &err), SIPAS_ERR_USAGE);
    sipas_targets_free(survey);
    sipas_admin_targets_free(admin);
    sipas_indicator_registry_free(reg);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return scratch_dir_remove(scratch_dir);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_registry_and_targets),
        cmocka_unit_test(test_registry_refusals),
        cmocka_unit_test(test_target_refusals),
        cmocka_unit_test(test_value_refusals),
        cmocka_unit_test(test_value_units),
        cmocka_unit_test(test_store_batches),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_past_year_rules),
        cmocka_unit_test(test_linear_projection),
        cmocka_unit_test(test_logit_projection),
        cmocka_unit_test(test_change_rules),
        cmocka_unit_test(test_scorecard_build_and_chart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
