/* test_trend.c - changes, trends, verdicts, labels, rankings against values computed in R
 * (tests/fixtures/trend/make_trend_fixtures.R) and the worked example of docs/trends.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sipas/init.h"
#include "sipas/trend.h"

#define FIXTURE_DIR SIPAS_TEST_FIXTURES "/trend"
#define RELATIVE_TOLERANCE 1e-9
#define MAX_ROWS 2048
#define MAX_FIELDS 8
#define MAX_FIELD 128
#define MAX_SERIES 32

typedef struct row {
    size_t nfields;
    char field[MAX_FIELDS][MAX_FIELD];
} row;

typedef struct table {
    size_t nrows;
    row rows[MAX_ROWS];
} table;

static table inputs, expected;

/* Splits one line written by R's write.csv: fields may be quoted, "" is a quote. */
static void split_line(const char *line, row *r)
{
    r->nfields = 0;
    const char *s = line;
    for (;;) {
        assert_true(r->nfields < MAX_FIELDS);
        char *out = r->field[r->nfields++];
        size_t len = 0;
        if (*s == '"') {
            s++;
            while (*s != '\0' && !(*s == '"' && s[1] != '"')) {
                if (*s == '"')
                    s++;
                assert_true(len + 1 < MAX_FIELD);
                out[len++] = *s++;
            }
            if (*s == '"')
                s++;
        } else {
            while (*s != '\0' && *s != ',' && *s != '\n' && *s != '\r') {
                assert_true(len + 1 < MAX_FIELD);
                out[len++] = *s++;
            }
        }
        out[len] = '\0';
        if (*s != ',')
            break;
        s++;
    }
}

static void load_table(const char *name, table *t, size_t nfields)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open '%s'", path);
    char line[1024];
    t->nrows = 0;
    bool header = true;
    while (fgets(line, sizeof line, f) != NULL) {
        if (header) {
            header = false;
            continue;
        }
        assert_true(t->nrows < MAX_ROWS);
        row *r = &t->rows[t->nrows++];
        split_line(line, r);
        assert_int_equal(r->nfields, nfields);
    }
    fclose(f);
    assert_true(t->nrows > 0);
}

static int load_fixtures(void **state)
{
    (void)state;
    load_table("trend_inputs.csv", &inputs, 8);
    load_table("trend_expected.csv", &expected, 3);
    return 0;
}

static double parse_number(const char *s)
{
    if (strcmp(s, "NA") == 0)
        return NAN;
    char *end = NULL;
    double v = strtod(s, &end); /* also reads "Inf" and "-Inf" */
    if (end == s || *end != '\0')
        fail_msg("'%s' is not a number", s);
    return v;
}

/* Waves of a case and role, in file order. Columns: case,role,name,year,estimate,variance,
 * df,cov. names[i] points into the table. */
static size_t load_values(const char *case_name, const char *role, sipas_wave_value *out,
                          double *cov, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < inputs.nrows; i++) {
        const row *r = &inputs.rows[i];
        if (strcmp(r->field[0], case_name) != 0 || strcmp(r->field[1], role) != 0)
            continue;
        assert_true(n < max);
        out[n] = (sipas_wave_value){ .year = parse_number(r->field[3]),
                                     .estimate = parse_number(r->field[4]),
                                     .variance = parse_number(r->field[5]),
                                     .df = parse_number(r->field[6]) };
        if (cov != NULL)
            cov[n] = parse_number(r->field[7]);
        if (names != NULL)
            names[n] = r->field[2];
        n++;
    }
    assert_true(n > 0);
    return n;
}

static const char *expected_text(const char *case_name, const char *quantity)
{
    for (size_t i = 0; i < expected.nrows; i++) {
        const row *r = &expected.rows[i];
        if (strcmp(r->field[0], case_name) == 0 && strcmp(r->field[1], quantity) == 0)
            return r->field[2];
    }
    fail_msg("no expected value '%s' for case '%s'", quantity, case_name);
    return NULL;
}

static double expected_number(const char *case_name, const char *quantity)
{
    return parse_number(expected_text(case_name, quantity));
}

static void check_close(double actual, double want, const char *case_name, const char *what)
{
    if (isnan(want)) {
        if (!isnan(actual))
            fail_msg("%s %s: got %.17g, want NaN", case_name, what, actual);
        return;
    }
    if (isinf(want)) {
        if (actual != want)
            fail_msg("%s %s: got %.17g, want %g", case_name, what, actual, want);
        return;
    }
    /* The tiny absolute floor only matters for expected values that are 0 up to rounding. */
    double tolerance = RELATIVE_TOLERANCE * fabs(want) + 1e-15;
    if (!(fabs(actual - want) <= tolerance))
        fail_msg("%s %s: got %.17g, want %.17g (relative error %.3g)", case_name, what, actual,
                 want, fabs(actual - want) / fabs(want));
}

static void check_quantity(double actual, const char *case_name, const char *quantity)
{
    check_close(actual, expected_number(case_name, quantity), case_name, quantity);
}

static void check_change(const sipas_change *c, const char *case_name, const char *prefix)
{
    char key[96];
#define CHECK_FIELD(field)                                              \
    do {                                                                \
        snprintf(key, sizeof key, "%s%s", prefix, #field);              \
        check_quantity(c->field, case_name, key);                       \
    } while (0)
    CHECK_FIELD(difference);
    CHECK_FIELD(se);
    CHECK_FIELD(ci_low);
    CHECK_FIELD(ci_high);
    CHECK_FIELD(p_value);
#undef CHECK_FIELD
}

/* ---------------------------------------------------------------------------------------- */

static void test_change_between_matches_r(void **state)
{
    (void)state;
    const char *cases[] = { "change_hand", "change_small_df", "change_fall", "change_normal" };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sipas_wave_value earlier, later;
        load_values(cases[k], "earlier", &earlier, NULL, NULL, 1);
        load_values(cases[k], "later", &later, NULL, NULL, 1);
        sipas_change c;
        sipas_error err = { 0 };
        assert_int_equal(sipas_change_between(&earlier, &later, 0.95, &c, &err), SIPAS_OK);
        assert_true(c.has_se);
        check_change(&c, cases[k], "");
        check_quantity(c.variance, cases[k], "variance");
        check_quantity(c.df, cases[k], "df");
        check_quantity(c.statistic, cases[k], "statistic");
    }
}

static void test_change_dependent_matches_r(void **state)
{
    (void)state;
    sipas_wave_value unit, province;
    double cov;
    load_values("dependent", "unit", &unit, &cov, NULL, 1);
    load_values("dependent", "province", &province, NULL, NULL, 1);
    sipas_change c;
    assert_int_equal(sipas_change_dependent(&unit, &province, cov, 0.95, &c, NULL), SIPAS_OK);
    check_change(&c, "dependent", "");
    check_quantity(c.variance, "dependent", "variance");
    check_quantity(c.df, "dependent", "df");
}

static void test_change_without_se_or_df(void **state)
{
    (void)state;
    sipas_wave_value a = { .year = 2023, .estimate = 0.981, .variance = NAN, .df = NAN };
    sipas_wave_value b = { .year = 2024, .estimate = 0.990, .variance = 0.0, .df = 10 };
    sipas_change c;
    assert_int_equal(sipas_change_between(&a, &b, 0.95, &c, NULL), SIPAS_OK);
    assert_false(c.has_se);
    check_close(c.difference, 0.990 - 0.981, "no se", "difference");
    assert_true(isnan(c.ci_low) && isnan(c.ci_high) && isnan(c.p_value));

    /* Known variances but a df of 0: no interval rather than a zero-width one. */
    a.variance = 1e-4;
    a.df = 0;
    b.variance = 1e-4;
    b.df = 0;
    assert_int_equal(sipas_change_between(&a, &b, 0.95, &c, NULL), SIPAS_OK);
    assert_true(c.has_se);
    assert_true(isnan(c.ci_low) && isnan(c.ci_high) && isnan(c.p_value));
}

/* ---------------------------------------------------------------------------------------- */

static const char *crossing_name(sipas_crossing_kind kind)
{
    switch (kind) {
    case SIPAS_CROSSING_REACHES: return "reaches";
    case SIPAS_CROSSING_ALREADY: return "already";
    case SIPAS_CROSSING_FALLS_BELOW: return "falls_below";
    case SIPAS_CROSSING_NEVER: return "never";
    }
    return "?";
}

static void check_fit(const sipas_trend_fit *f, const char *case_name, const char *variant)
{
    check_quantity(f->year_centre, case_name, "year_centre");
    check_quantity(f->intercept, case_name, "intercept");
    check_quantity(f->slope, case_name, "slope");
    check_quantity(f->chisq, case_name, "chisq");
    check_quantity(f->lack_of_fit_p, case_name, "lack_of_fit_p");
    check_quantity(f->latest_fitted, case_name, "latest_fitted");
    char key[96];
#define CHECK_VARIANT(field)                                            \
    do {                                                                \
        snprintf(key, sizeof key, "%s.%s", variant, #field);            \
        check_quantity(f->field, case_name, key);                       \
    } while (0)
    CHECK_VARIANT(var_intercept);
    CHECK_VARIANT(var_slope);
    CHECK_VARIANT(df);
    CHECK_VARIANT(se_slope);
    CHECK_VARIANT(statistic);
    CHECK_VARIANT(p_value);
    CHECK_VARIANT(slope_ci_low);
    CHECK_VARIANT(slope_ci_high);
    CHECK_VARIANT(slope_per_year);
    CHECK_VARIANT(slope_per_year_ci_low);
    CHECK_VARIANT(slope_per_year_ci_high);
#undef CHECK_VARIANT
    const double years[] = { 2025, 2030 };
    if (f->nwaves < SIPAS_TREND_MIN_WAVES) {
        /* R projects a two-wave line; sipas does not (trend.h). */
        sipas_projection p;
        assert_int_equal(sipas_trend_project(f, years[0], &p, NULL), SIPAS_ERR_MATH);
        return;
    }
    for (size_t k = 0; k < 2; k++) {
        sipas_projection p;
        assert_int_equal(sipas_trend_project(f, years[k], &p, NULL), SIPAS_OK);
#define CHECK_PROJECTION(field)                                                     \
    do {                                                                            \
        snprintf(key, sizeof key, "%s.proj%.0f.%s", variant, years[k], #field);     \
        check_quantity(p.field, case_name, key);                                    \
    } while (0)
        CHECK_PROJECTION(logit);
        CHECK_PROJECTION(se_logit);
        CHECK_PROJECTION(estimate);
        CHECK_PROJECTION(ci_low);
        CHECK_PROJECTION(ci_high);
#undef CHECK_PROJECTION
    }
}

/* Every "reach:THR:kind" and "verdict:YEAR:THR:CMP" row of a case. */
static void check_crossings_and_verdicts(const sipas_wave_value *waves, size_t n,
                                         const sipas_trend_fit *fit, const char *case_name)
{
    size_t nverdicts = 0, ncrossings = 0;
    for (size_t i = 0; i < expected.nrows; i++) {
        const row *r = &expected.rows[i];
        if (strcmp(r->field[0], case_name) != 0)
            continue;
        char key[96];
        if (strncmp(r->field[1], "reach:", 6) == 0 && strstr(r->field[1], ":kind") != NULL) {
            double threshold = parse_number(strtok(strcpy(key, r->field[1] + 6), ":"));
            sipas_crossing_kind kind;
            double year;
            assert_int_equal(sipas_trend_year_reaching(fit, threshold, &kind, &year, NULL),
                             SIPAS_OK);
            assert_string_equal(crossing_name(kind), r->field[2]);
            char year_key[96];
            snprintf(year_key, sizeof year_key, "reach:%s", r->field[1] + 6);
            strcpy(year_key + strlen(year_key) - strlen("kind"), "year");
            check_quantity(year, case_name, year_key);
            ncrossings++;
        } else if (strncmp(r->field[1], "verdict:", 8) == 0) {
            strcpy(key, r->field[1] + 8);
            double year = parse_number(strtok(key, ":"));
            double threshold = parse_number(strtok(NULL, ":"));
            const char *cmp = strtok(NULL, ":");
            sipas_target target = { .threshold = threshold, .year = year,
                                    .comparison = strcmp(cmp, "gt") == 0
                                                      ? SIPAS_TARGET_ABOVE
                                                      : SIPAS_TARGET_AT_LEAST };
            sipas_target_verdict v;
            sipas_error err = { 0 };
            if (sipas_target_assess(waves, n, &target, 0.95, &v, &err) != SIPAS_OK)
                fail_msg("%s %s: %s", case_name, r->field[1], err.message);
            if (strcmp(sipas_verdict_name(v.verdict), r->field[2]) != 0)
                fail_msg("%s %s: got '%s', want '%s' (estimate %.6f, interval %.6f-%.6f)",
                         case_name, r->field[1], sipas_verdict_name(v.verdict), r->field[2],
                         v.estimate, v.ci_low, v.ci_high);
            nverdicts++;
        }
    }
    assert_true(ncrossings >= 2);
    assert_true(nverdicts >= 8);
}

static void test_trends_match_r(void **state)
{
    (void)state;
    const char *cases[] = { "hand", "national", "province", "falling", "flat", "no_se",
                            "two_waves" };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *c = cases[k];
        sipas_wave_value waves[MAX_SERIES];
        size_t n = load_values(c, "wave", waves, NULL, NULL, MAX_SERIES);
        bool weighted = strcmp(expected_text(c, "weighted"), "1") == 0;
        sipas_error err = { 0 };
        sipas_trend_fit lm, known;
        if (sipas_trend_fit_waves(waves, n, SIPAS_TREND_LM, 0.95, &lm, &err) != SIPAS_OK)
            fail_msg("%s: %s", c, err.message);
        assert_int_equal(lm.method_used, SIPAS_TREND_LM);
        assert_int_equal(lm.weighted, weighted);
        assert_int_equal(lm.nwaves, n);
        check_fit(&lm, c, "lm");
        assert_int_equal(sipas_trend_fit_waves(waves, n, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &known,
                                               &err),
                         SIPAS_OK);
        if (weighted) {
            assert_int_equal(known.method_used, SIPAS_TREND_KNOWN_VARIANCE);
            check_fit(&known, c, "known");
        } else {
            /* No sampling variances: the request falls back to the residual-based variance. */
            assert_int_equal(known.method_used, SIPAS_TREND_LM);
            check_fit(&known, c, "lm");
        }
        check_crossings_and_verdicts(waves, n, &known, c);

        sipas_trend_label label;
        assert_int_equal(sipas_trend_label_waves(waves, n, 0.95, &label, NULL, &err), SIPAS_OK);
        assert_string_equal(sipas_trend_label_name(label), expected_text(c, "label"));
    }
}

/* The worked example of docs/trends.md, to the digits printed there. */
static void test_worked_example_in_docs(void **state)
{
    (void)state;
    const sipas_wave_value waves[] = {
        { .year = 2022, .estimate = 0.85, .variance = 4.0640625e-5, .df = 30 },
        { .year = 2023, .estimate = 0.87, .variance = 3.1979025e-5, .df = 30 },
        { .year = 2024, .estimate = 0.89, .variance = 2.3961025e-5, .df = 30 },
    };
    sipas_trend_fit f;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    assert_true(fabs(f.year_centre - 2023.0) < 1e-9);
    assert_true(fabs(f.intercept - 1.908767) < 5e-7);
    assert_true(fabs(f.slope - 0.178070) < 5e-7);
    assert_true(fabs(f.var_slope - 0.00125) < 1e-12);
    assert_true(fabs(f.var_intercept - 1.0 / 1200.0) < 1e-12);
    assert_true(fabs(f.statistic - 5.0366) < 5e-5);
    assert_true(fabs(f.chisq - 0.036581) < 5e-7);
    assert_true(fabs(f.slope_per_year - 0.017486) < 5e-7);

    sipas_projection p;
    assert_int_equal(sipas_trend_project(&f, 2025, &p, NULL), SIPAS_OK);
    assert_true(fabs(p.logit - 2.264907) < 5e-7);
    assert_true(fabs(p.se_logit - 0.076376) < 5e-7);
    assert_true(fabs(p.estimate - 0.905929) < 5e-7);
    assert_true(fabs(p.ci_low - 0.892373) < 5e-7);
    assert_true(fabs(p.ci_high - 0.917934) < 5e-7);

    sipas_crossing_kind kind;
    double year;
    assert_int_equal(sipas_trend_year_reaching(&f, 0.90, &kind, &year, NULL), SIPAS_OK);
    assert_int_equal(kind, SIPAS_CROSSING_REACHES);
    assert_true(fabs(year - 2024.6199) < 5e-5);

    sipas_target target = { .threshold = 0.90, .comparison = SIPAS_TARGET_AT_LEAST,
                            .year = 2025 };
    sipas_target_verdict v;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.verdict, SIPAS_VERDICT_AT_RISK);
    assert_true(v.projected);
    target.threshold = 0.85;
    target.year = 2022;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.verdict, SIPAS_VERDICT_NOT_DISTINGUISHABLE);
    target.year = 2024;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.verdict, SIPAS_VERDICT_MET);
    assert_true(fabs(v.ci_low - 0.879598) < 5e-7);

    sipas_change c;
    assert_int_equal(sipas_change_between(&waves[1], &waves[2], 0.95, &c, NULL), SIPAS_OK);
    assert_true(fabs(c.se - 0.0074793) < 5e-8);
    assert_true(fabs(c.statistic - 2.6740) < 5e-5);
    assert_true(fabs(c.ci_low - 0.005039) < 5e-7);
}

static void test_target_rules_without_fixture(void **state)
{
    (void)state;
    sipas_wave_value waves[] = {
        { .year = 2019, .estimate = 0.84, .variance = 1e-4, .df = 20 },
        { .year = 2021, .estimate = 0.86, .variance = 1e-4, .df = 20 },
        { .year = 2022, .estimate = 0.87, .variance = 1e-4, .df = 20 },
    };
    sipas_target target = { .threshold = 0.9, .comparison = SIPAS_TARGET_AT_LEAST,
                            .year = 2020 };
    sipas_target_verdict v;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.verdict, SIPAS_VERDICT_NOT_OBSERVED);
    assert_true(isnan(v.estimate));
    /* Two waves cannot carry a projection. */
    target.year = 2025;
    assert_int_equal(sipas_target_assess(waves + 1, 2, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
    sipas_trend_label label;
    assert_int_equal(sipas_trend_label_waves(waves + 1, 2, 0.95, &label, NULL, NULL), SIPAS_OK);
    assert_int_equal(label, SIPAS_TREND_LABEL_INSUFFICIENT);
    /* An observed wave whose df gives no interval is judged on its point value. */
    waves[2].df = 0;
    target.year = 2022;
    target.threshold = 0.86;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_OK);
    assert_int_equal(v.basis, SIPAS_BASIS_POINT);
    assert_int_equal(v.verdict, SIPAS_VERDICT_MET);
}

static void test_trend_refusals(void **state)
{
    (void)state;
    sipas_wave_value waves[] = {
        { .year = 2022, .estimate = 0.85, .variance = 1e-4, .df = 30 },
        { .year = 2023, .estimate = 1.0, .variance = 1e-4, .df = 30 },
        { .year = 2024, .estimate = 0.89, .variance = 1e-4, .df = 30 },
    };
    sipas_trend_fit f;
    sipas_error err = { 0 };
    /* An estimate of 1 without a sample size cannot be fitted: left out, not an error. */
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 0.95, &f, &err), SIPAS_OK);
    assert_int_equal(f.nwaves, 2);
    assert_int_equal(f.nexcluded, 1);
    waves[1].estimate = 1.5;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 0.95, &f, &err),
                     SIPAS_ERR_MATH);
    assert_string_equal(err.message, "trend: the estimate of wave 2023 is 1.5, not a proportion");

    waves[1].estimate = 0.87;
    waves[1].year = 2022;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 0.95, &f, &err),
                     SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "trend: year 2022 appears twice");

    /* A wave without variance and without n is left out of a weighted fit. */
    waves[1].year = 2023;
    waves[1].variance = NAN;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 0.95, &f, &err), SIPAS_OK);
    assert_int_equal(f.nexcluded, 1);
    waves[0].variance = NAN;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 0.95, &f, &err),
                     SIPAS_ERR_MATH);
    assert_string_equal(err.message, "trend: 1 of 3 waves can be fitted (the others have "
                                     "neither a variance nor a sample size, or an estimate of 0 "
                                     "or 1 without a sample size); a line needs 2");
    waves[0].variance = 1e-4;

    waves[1].variance = 1e-4;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_LM, 1.5, &f, &err),
                     SIPAS_ERR_USAGE);
    assert_int_equal(sipas_trend_fit_waves(waves, 1, SIPAS_TREND_LM, 0.95, &f, &err),
                     SIPAS_ERR_MATH);
    /* The status survives a NULL error buffer, prefix or not. */
    sipas_target target = { .threshold = 0.9, .comparison = SIPAS_TARGET_AT_LEAST,
                            .year = 2025 };
    sipas_target_verdict v;
    waves[1].estimate = -0.5;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_ERR_MATH);
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, &err), SIPAS_ERR_MATH);
    /* one composed sentence per call site: context, one ": ", the cause */
    assert_string_equal(err.message, "target 0.9 in 2025: trend: the estimate of wave 2023 is "
                                     "-0.5, not a proportion");
    sipas_unit_value bad_units[] = {
        { .name = "cao_loc", .value = { .estimate = 0.8, .variance = 1e-4, .df = 10 } },
        { .name = "dinh_lap", .value = { .estimate = NAN, .variance = 1e-4, .df = 10 } },
    };
    sipas_wave_value province = { .estimate = 0.85, .variance = 1e-5, .df = 20 };
    sipas_unit_comparison ranked[2];
    assert_int_equal(sipas_rank_units(bad_units, 2, &province, SIPAS_ADJUST_HOLM, 0.95, ranked,
                                      NULL), SIPAS_ERR_USAGE);
    assert_int_equal(sipas_rank_units(bad_units, 2, &province, SIPAS_ADJUST_HOLM, 0.95, ranked,
                                      &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "ranking: unit 'dinh_lap': difference: estimate is not a "
                                     "finite number");
    bad_units[1].name = NULL;
    assert_int_equal(sipas_rank_units(bad_units, 2, &province, SIPAS_ADJUST_HOLM, 0.95, ranked,
                                      &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "ranking: unit 2: difference: estimate is not a finite "
                                     "number");
    sipas_wave_value before[] = { { .estimate = 0.7 }, { .estimate = INFINITY } };
    sipas_wave_value after[] = { { .estimate = 0.75 }, { .estimate = 0.8 } };
    sipas_change_counts counts;
    assert_int_equal(sipas_count_unit_changes(before, after, 2, SIPAS_ADJUST_NONE, 0.95, NULL,
                                              &counts, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "change counts: unit 2: change: estimate is not a finite "
                                     "number");
    target.threshold = 1.0;
    assert_int_equal(sipas_target_assess(waves, 3, &target, 0.95, &v, NULL), SIPAS_ERR_USAGE);

    /* A covariance as large as the variances (a unit that is the whole design), or NaN (one
     * PSU): no test, never an error that would stop a ranking. */
    sipas_change c;
    assert_int_equal(sipas_change_dependent(&waves[0], &waves[2], 1e-4, 0.95, &c, &err),
                     SIPAS_OK);
    assert_false(c.has_se);
    assert_true(isnan(c.p_value) && isnan(c.ci_low));
    assert_int_equal(sipas_change_dependent(&waves[0], &waves[2], NAN, 0.95, &c, &err), SIPAS_OK);
    assert_false(c.has_se);
}

/* ---------------------------------------------------------------------------------------- */

static void test_p_adjust_matches_r(void **state)
{
    (void)state;
    sipas_wave_value rows[16];
    size_t n = load_values("padjust", "p", rows, NULL, NULL, 16);
    double p[16], adjusted[16];
    for (size_t i = 0; i < n; i++)
        p[i] = rows[i].estimate;
    const struct {
        sipas_p_adjust_method method;
        const char *name;
    } methods[] = { { SIPAS_ADJUST_HOLM, "holm" }, { SIPAS_ADJUST_BH, "BH" } };
    for (size_t m = 0; m < 2; m++) {
        assert_int_equal(sipas_p_adjust(p, n, methods[m].method, adjusted, NULL), SIPAS_OK);
        for (size_t i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "%s.%zu", methods[m].name, i + 1);
            check_quantity(adjusted[i], "padjust", key);
        }
    }
    /* In place gives the same. */
    double in_place[16];
    memcpy(in_place, p, n * sizeof p[0]);
    assert_int_equal(sipas_p_adjust(in_place, n, SIPAS_ADJUST_HOLM, in_place, NULL), SIPAS_OK);
    check_quantity(in_place[0], "padjust", "holm.1");
    check_quantity(in_place[7], "padjust", "holm.8");
    p[2] = 1.2;
    assert_int_equal(sipas_p_adjust(p, n, SIPAS_ADJUST_BH, adjusted, NULL), SIPAS_ERR_USAGE);
}

static const char *flag_name(sipas_unit_flag flag)
{
    switch (flag) {
    case SIPAS_UNIT_ABOVE: return "above";
    case SIPAS_UNIT_BELOW: return "below";
    case SIPAS_UNIT_NOT_DIFFERENT: return "not different";
    case SIPAS_UNIT_NOT_TESTED: return "not tested";
    }
    return "?";
}

static void test_ranking_matches_r(void **state)
{
    (void)state;
    sipas_wave_value province, values[MAX_SERIES];
    double cov[MAX_SERIES];
    const char *names[MAX_SERIES];
    load_values("rank", "province", &province, NULL, NULL, 1);
    size_t n = load_values("rank", "unit", values, cov, names, MAX_SERIES);
    sipas_unit_value units[MAX_SERIES];
    for (size_t i = 0; i < n; i++)
        units[i] = (sipas_unit_value){ .name = names[i], .value = values[i],
                                       .cov_with_province = cov[i] };
    const struct {
        sipas_p_adjust_method method;
        const char *name;
    } methods[] = { { SIPAS_ADJUST_HOLM, "holm" }, { SIPAS_ADJUST_BH, "BH" } };
    size_t flagged = 0;
    for (size_t m = 0; m < 2; m++) {
        sipas_unit_comparison out[MAX_SERIES];
        sipas_error err = { 0 };
        if (sipas_rank_units(units, n, &province, methods[m].method, 0.95, out, &err) != SIPAS_OK)
            fail_msg("%s", err.message);
        for (size_t i = 0; i < n; i++) {
            char key[64];
            assert_ptr_equal(out[i].name, names[i]);
            snprintf(key, sizeof key, "%zu.rank", i + 1);
            assert_int_equal(out[i].rank, (size_t)expected_number("rank", key));
            snprintf(key, sizeof key, "%zu.", i + 1);
            check_change(&out[i].vs_province, "rank", key);
            snprintf(key, sizeof key, "%s.%zu.p_adjusted", methods[m].name, i + 1);
            check_quantity(out[i].p_adjusted, "rank", key);
            snprintf(key, sizeof key, "%s.%zu.flag", methods[m].name, i + 1);
            assert_string_equal(flag_name(out[i].flag), expected_text("rank", key));
            if (out[i].flag != SIPAS_UNIT_NOT_DIFFERENT)
                flagged++;
        }
    }
    assert_true(flagged >= 2); /* the fixture exercises both flags, not only "not different" */

    /* Tied estimates share the smaller rank. */
    units[1].value.estimate = units[5].value.estimate;
    sipas_unit_comparison out[MAX_SERIES];
    assert_int_equal(sipas_rank_units(units, n, &province, SIPAS_ADJUST_HOLM, 0.95, out, NULL),
                     SIPAS_OK);
    assert_int_equal(out[1].rank, out[5].rank);
}

static void test_change_counts_match_r(void **state)
{
    (void)state;
    sipas_wave_value earlier[MAX_SERIES], later[MAX_SERIES];
    size_t n = load_values("counts", "earlier", earlier, NULL, NULL, MAX_SERIES);
    assert_int_equal(load_values("counts", "later", later, NULL, NULL, MAX_SERIES), n);
    const struct {
        sipas_p_adjust_method method;
        const char *name;
    } methods[] = { { SIPAS_ADJUST_NONE, "none" }, { SIPAS_ADJUST_HOLM, "holm" } };
    for (size_t m = 0; m < 2; m++) {
        sipas_change changes[MAX_SERIES];
        sipas_change_counts counts;
        assert_int_equal(sipas_count_unit_changes(earlier, later, n, methods[m].method, 0.95,
                                                  changes, &counts, NULL),
                         SIPAS_OK);
        char key[64];
        assert_int_equal(counts.compared, n);
        assert_int_equal(counts.tested, n);
        assert_int_equal(counts.up, (size_t)expected_number("counts", "up"));
        assert_int_equal(counts.down, (size_t)expected_number("counts", "down"));
        assert_int_equal(counts.same, (size_t)expected_number("counts", "same"));
        snprintf(key, sizeof key, "%s.significant_up", methods[m].name);
        assert_int_equal(counts.significant_up, (size_t)expected_number("counts", key));
        snprintf(key, sizeof key, "%s.significant_down", methods[m].name);
        assert_int_equal(counts.significant_down, (size_t)expected_number("counts", key));
        for (size_t i = 0; i < n; i++) {
            snprintf(key, sizeof key, "%zu.p_value", i + 1);
            check_quantity(changes[i].p_value, "counts", key);
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Degenerate variances (docs/trends.md "Degenerate variances"): hand-computed cases. */

static void test_wave_use_floor_rule(void **state)
{
    (void)state;
    double p, v;
    /* p = 0.8, n = 30: p~ = 24.5 / 31 = 0.790322580645..., SRS p~ (1 - p~) / 30 =
     * 0.0055237599722511; the floor at c = 0.5 is half of it. */
    const double srs_08 = (24.5 / 31.0) * (6.5 / 31.0) / 30.0;
    sipas_wave_value w = { .year = 2024, .estimate = 0.8, .variance = 1e-6, .df = 10, .n = 30 };
    assert_int_equal(sipas_trend_wave_use(&w, true, 0.5, &p, &v), SIPAS_WAVE_FLOORED);
    check_close(p, 0.8, "floor", "estimate");
    check_close(v, 0.5 * 0.0055237599722511, "floor", "variance");
    check_close(v, 0.5 * srs_08, "floor", "variance formula");
    w.variance = 0.003; /* above the floor 0.00276: as given */
    assert_int_equal(sipas_trend_wave_use(&w, true, 0.5, &p, &v), SIPAS_WAVE_AS_GIVEN);
    check_close(v, 0.003, "as given", "variance");
    w.variance = NAN; /* one PSU: the typical variance at n, c / 0.5 times SRS, stands in */
    assert_int_equal(sipas_trend_wave_use(&w, true, 0.5, &p, &v), SIPAS_WAVE_SRS_VARIANCE);
    check_close(v, srs_08, "srs", "variance");
    w.n = 0; /* and without n the wave is left out */
    assert_int_equal(sipas_trend_wave_use(&w, true, 0.5, &p, &v), SIPAS_WAVE_EXCLUDED);
    /* Everyone satisfied, variance 0: p~ = 30.5 / 31, SRS 0.000528962885882760. */
    w = (sipas_wave_value){ .year = 2024, .estimate = 1.0, .variance = 0.0, .df = 10, .n = 30 };
    assert_int_equal(sipas_trend_wave_use(&w, true, 0.5, &p, &v), SIPAS_WAVE_FLOORED);
    check_close(p, 30.5 / 31.0, "all satisfied", "estimate");
    check_close(v, 0.5 * 0.000528962885882760, "all satisfied", "variance");
    /* Unweighted series: weight 1. */
    w.estimate = 0.8;
    assert_int_equal(sipas_trend_wave_use(&w, false, 0.5, &p, &v), SIPAS_WAVE_AS_GIVEN);
    check_close(v, 1.0, "unweighted", "variance");
    /* The factor: half the median design effect, at most half. p = 0.5, n = 99 gives
     * p~ = 0.5 and SRS 0.25 / 99, so the design effects are 0.4, 0.6, 3.0 (NaN ignored). */
    const sipas_wave_value series[] = {
        { .year = 2022, .estimate = 0.5, .variance = 0.25 / 99 * 0.4, .df = 5, .n = 99 },
        { .year = 2023, .estimate = 0.5, .variance = 0.25 / 99 * 0.6, .df = 5, .n = 99 },
        { .year = 2024, .estimate = 0.5, .variance = 0.25 / 99 * 3.0, .df = 5, .n = 99 },
        { .year = 2025, .estimate = 0.5, .variance = NAN, .df = 5, .n = 99 },
    };
    check_close(sipas_trend_floor_factor(series, 4), 0.5 * 0.6, "factor", "median deff 0.6");
    check_close(sipas_trend_floor_factor(series + 1, 2), 0.5, "factor", "median deff 1.8");
    check_close(sipas_trend_floor_factor(series + 3, 1), 0.5, "factor", "no variance");
}

/* The district: 66.3% rising to 85.6%, one wave with SE 2.3e-17 (variance 5.3e-34)
 * that used to take a weight of ~1e31 and turn the label to "falling". */
static void test_zero_variance_wave_cannot_dominate(void **state)
{
    (void)state;
    sipas_wave_value waves[] = {
        { .year = 2019, .estimate = 0.663, .variance = 0.0030, .df = 10, .n = 100 },
        { .year = 2020, .estimate = 0.70, .variance = 0.0028, .df = 10, .n = 100 },
        { .year = 2021, .estimate = 0.74, .variance = 0.0026, .df = 10, .n = 100 },
        { .year = 2022, .estimate = 0.64, .variance = 5.3e-34, .df = 10, .n = 100 },
        { .year = 2023, .estimate = 0.82, .variance = 0.0020, .df = 10, .n = 100 },
        { .year = 2024, .estimate = 0.856, .variance = 0.0017, .df = 10, .n = 100 },
    };
    sipas_trend_label label;
    sipas_trend_fit f;
    assert_int_equal(sipas_trend_fit_waves(waves, 6, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    assert_int_equal(f.nfloored, 1);
    assert_int_equal(f.nsrs, 0);
    assert_int_equal(f.nwaves, 6);
    /* Design effects about 1.34 in the other waves: c = 0.5. Hand WLS with 2022's variance at
     * its floor 0.5 p~(1-p~)/100 = 0.00115393, p~ = 64.5/101: slope 0.134917282 logit/year,
     * se 0.0653916887, two-sided normal p 0.0390920, chi-square 12.7965 (its weight is now
     * twice that of its neighbours, not 1e31 times it). */
    check_close(f.floor_factor, 0.5, "floored", "factor");
    check_close(f.slope, 0.13491728248034351, "floored", "slope");
    check_close(f.se_slope, 0.06539168869303598, "floored", "se");
    check_close(f.p_value, 0.03909195946141061, "floored", "p");
    check_close(f.chisq, 12.796503151971137, "floored", "chisq");
    /* The 64% of 2022 is off the line: chi2 12.8 on 4 df, p = 0.012, said next to the label,
     * and the label's test scales the slope's variance by 12.8 / 4 (t on 4 df, p = 0.31):
     * flat with a poor fit, never "falling". */
    assert_true(f.lack_of_fit);
    assert_true(f.projection_caution);
    assert_int_equal(sipas_trend_label_waves(waves, 6, 0.95, &label, &f, NULL), SIPAS_OK);
    assert_int_equal(f.method_used, SIPAS_TREND_LM);
    check_close(f.se_slope, 0.06539168869303598 * sqrt(12.796503151971137 / 4), "floored",
                "lm se");
    assert_int_equal(label, SIPAS_TREND_FLAT);

    /* The same wave without a design variance (one PSU): the typical variance at its n (c / 0.5
     * = 1 times SRS, 0.00230786): slope 0.164139901 by hand. */
    waves[3].variance = NAN;
    assert_int_equal(sipas_trend_label_waves(waves, 6, 0.95, &label, &f, NULL), SIPAS_OK);
    assert_int_equal(f.nsrs, 1);
    assert_int_equal(f.nfloored, 0);
    check_close(f.slope, 0.16413990125778344, "srs", "slope");
    assert_false(f.lack_of_fit); /* chi2 8.43 on 4 df, p = 0.077 */
    assert_int_equal(label, SIPAS_TREND_RISING_UNEVENLY);
}

/* A significant slope against the first-to-last change: "no clear direction". The middle
 * waves fall along logit 2.9 - 0.25 t with small variances; the first and last (60%, 61%) have
 * large ones, so they do not make a lack of fit (chi-square 2.756 on 4 df, p = 0.60) but
 * reverse the first-to-last change. Hand WLS: slope -0.246192051, se 0.0471353100. */
static void test_label_never_contradicts_slope_and_change(void **state)
{
    (void)state;
    const sipas_wave_value waves[] = {
        { .year = 2019, .estimate = 0.60, .variance = 0.2, .df = 10, .n = 30 },
        { .year = 2020, .estimate = 0.9478, .variance = 0.00005, .df = 10, .n = 600 },
        { .year = 2021, .estimate = 0.9340, .variance = 0.00005, .df = 10, .n = 600 },
        { .year = 2022, .estimate = 0.9168, .variance = 0.00005, .df = 10, .n = 600 },
        { .year = 2023, .estimate = 0.8957, .variance = 0.00005, .df = 10, .n = 600 },
        { .year = 2024, .estimate = 0.61, .variance = 0.2, .df = 10, .n = 30 },
    };
    sipas_trend_label label;
    sipas_trend_fit f;
    assert_int_equal(sipas_trend_label_waves(waves, 6, 0.95, &label, &f, NULL), SIPAS_OK);
    check_close(f.slope, -0.24619205146863798, "mixed", "slope");
    check_close(f.se_slope, 0.0471353099565747, "mixed", "se");
    check_close(f.chisq, 2.7563645297304964, "mixed", "chisq");
    assert_int_equal(f.nfloored, 0);
    assert_false(f.lack_of_fit);
    assert_int_equal(label, SIPAS_TREND_NO_CLEAR_DIRECTION);
    /* The rule itself, on every sign combination. */
    sipas_trend_fit g = { .nwaves = 4, .slope = -0.1, .p_value = 0.001, .level = 0.95 };
    assert_int_equal(sipas_trend_label_of(&g, 0.2, false), SIPAS_TREND_NO_CLEAR_DIRECTION);
    assert_int_equal(sipas_trend_label_of(&g, -0.2, false), SIPAS_TREND_FALLING);
    assert_int_equal(sipas_trend_label_of(&g, 0.0, false), SIPAS_TREND_FALLING);
    g.slope = 0.1;
    assert_int_equal(sipas_trend_label_of(&g, -0.2, false), SIPAS_TREND_NO_CLEAR_DIRECTION);
    assert_int_equal(sipas_trend_label_of(&g, 0.2, true), SIPAS_TREND_RISING_UNEVENLY);
    g.p_value = 0.2;
    assert_int_equal(sipas_trend_label_of(&g, -0.2, false), SIPAS_TREND_FLAT);
    g.nwaves = 2;
    assert_int_equal(sipas_trend_label_of(&g, 0.2, false), SIPAS_TREND_LABEL_INSUFFICIENT);
}

/* Projections: none below 3 waves, flagged below 5 or with lack of fit. */
static void test_projection_rules(void **state)
{
    (void)state;
    /* 0.5, 0.7, 0.5 with equal weights: flat line at logit 0.28, chi-square
     * 2 (0.28) ^2 w + (0.56) ^2 w = 9.3613 with w = 0.0625 / 0.0025 = 25 (hand: logit(0.7) =
     * 0.8473; mean 0.2824; residuals -0.2824, 0.5649, -0.2824). */
    sipas_wave_value waves[] = {
        { .year = 2022, .estimate = 0.5, .variance = 0.0025, .df = 10, .n = 100 },
        { .year = 2023, .estimate = 0.7, .variance = 0.0025, .df = 10, .n = 100 },
        { .year = 2024, .estimate = 0.5, .variance = 0.0025, .df = 10, .n = 100 },
    };
    sipas_trend_fit f;
    sipas_projection p;
    assert_int_equal(sipas_trend_fit_waves(waves, 3, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    check_close(f.slope, 0.0, "lack of fit", "slope");
    check_close(f.chisq, 9.36132246953221, "lack of fit", "chisq");
    assert_true(f.lack_of_fit); /* P(chi2_1 > 9.36) = 0.0022 */
    assert_true(f.projection_caution);
    assert_int_equal(sipas_trend_project(&f, 2030, &p, NULL), SIPAS_OK);
    /* Two waves: a line, but no projection. */
    assert_int_equal(sipas_trend_fit_waves(waves, 2, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    sipas_error err = { 0 };
    assert_int_equal(sipas_trend_project(&f, 2030, &p, &err), SIPAS_ERR_MATH);
    assert_string_equal(err.message, "projection: a line through 2 waves is not projected; 3 "
                                     "are needed");
    /* Five waves on a line within their variances: no caution. */
    const sipas_wave_value steady[] = {
        { .year = 2020, .estimate = 0.70, .variance = 0.0004, .df = 10, .n = 600 },
        { .year = 2021, .estimate = 0.72, .variance = 0.0004, .df = 10, .n = 600 },
        { .year = 2022, .estimate = 0.74, .variance = 0.0004, .df = 10, .n = 600 },
        { .year = 2023, .estimate = 0.76, .variance = 0.0004, .df = 10, .n = 600 },
        { .year = 2024, .estimate = 0.78, .variance = 0.0004, .df = 10, .n = 600 },
    };
    assert_int_equal(sipas_trend_fit_waves(steady, 5, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    assert_false(f.lack_of_fit);
    assert_false(f.projection_caution);
    assert_int_equal(sipas_trend_fit_waves(steady, 4, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &f, NULL),
                     SIPAS_OK);
    assert_true(f.projection_caution); /* four waves */
}

/* Units whose change has no standard error are left out of the up/down counts. */
static void test_change_counts_leave_out_not_estimable(void **state)
{
    (void)state;
    const sipas_wave_value earlier[] = {
        { .year = 2023, .estimate = 0.70, .variance = 0.001, .df = 10 },
        { .year = 2023, .estimate = 0.70, .variance = NAN, .df = NAN }, /* one PSU */
        { .year = 2023, .estimate = 0.80, .variance = 0.001, .df = 10 },
    };
    const sipas_wave_value later[] = {
        { .year = 2024, .estimate = 0.75, .variance = 0.001, .df = 10 },
        { .year = 2024, .estimate = 0.95, .variance = 0.001, .df = 10 },
        { .year = 2024, .estimate = 0.78, .variance = 0.0, .df = 10 }, /* 0 is a known 0 */
    };
    sipas_change_counts c;
    sipas_change changes[3];
    assert_int_equal(sipas_count_unit_changes(earlier, later, 3, SIPAS_ADJUST_NONE, 0.95,
                                              changes, &c, NULL), SIPAS_OK);
    assert_int_equal(c.compared, 3);
    assert_int_equal(c.not_estimable, 1);
    assert_int_equal(c.up, 1);
    assert_int_equal(c.down, 1);
    assert_int_equal(c.tested, 2);
    assert_false(changes[1].has_se);
    assert_true(changes[2].has_se);
    check_close(changes[2].variance, 0.001, "known zero", "variance");
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_between_matches_r),
        cmocka_unit_test(test_change_dependent_matches_r),
        cmocka_unit_test(test_change_without_se_or_df),
        cmocka_unit_test(test_trends_match_r),
        cmocka_unit_test(test_worked_example_in_docs),
        cmocka_unit_test(test_target_rules_without_fixture),
        cmocka_unit_test(test_trend_refusals),
        cmocka_unit_test(test_p_adjust_matches_r),
        cmocka_unit_test(test_ranking_matches_r),
        cmocka_unit_test(test_change_counts_match_r),
        cmocka_unit_test(test_wave_use_floor_rule),
        cmocka_unit_test(test_zero_variance_wave_cannot_dominate),
        cmocka_unit_test(test_label_never_contradicts_slope_and_change),
        cmocka_unit_test(test_projection_rules),
        cmocka_unit_test(test_change_counts_leave_out_not_estimable),
    };
    return cmocka_run_group_tests(tests, load_fixtures, NULL);
}
