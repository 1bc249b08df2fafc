/* The annual review against R: the sample data imported through the library, every number
 * compared with tests/fixtures/review/review_expected.csv (made by make_review_fixtures.R with
 * survey 4.1.1 and base R). Estimates and standard errors to 1e-9 relative, interval bounds
 * and p-values to 1e-7. Also the targets/indicators files' rules and the review's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/review.h"
#include "sipas/store.h"
#include "sipas/targets.h"
#include "scratch_dir.h"

#define EXPECTED SIPAS_TEST_FIXTURES "/review/review_expected.csv"
#define SAMPLE SIPAS_TEST_SURVEYS "/sample/sipas2017_2019-2024.csv"

typedef struct expected_value {
    char name[96];
    double value;
} expected_value;

typedef struct fixture {
    char dir[64];
    char db[96];
    sipas_instrument *inst;
    sipas_store *store;
    sipas_dataset *data;
    size_t nexpected;
    expected_value expected[1024];
} fixture;

static fixture *shared;

static void load_expected(fixture *f)
{
    FILE *in = fopen(EXPECTED, "r");
    assert_non_null(in);
    char line[256];
    assert_non_null(fgets(line, sizeof line, in)); /* header */
    while (fgets(line, sizeof line, in)) {
        char *comma = strchr(line, ',');
        assert_non_null(comma);
        *comma = '\0';
        assert_true(f->nexpected < sizeof f->expected / sizeof f->expected[0]);
        expected_value *e = &f->expected[f->nexpected++];
        snprintf(e->name, sizeof e->name, "%.95s", line);
        e->value = strncmp(comma + 1, "NA", 2) == 0 ? NAN : strtod(comma + 1, NULL);
    }
    fclose(in);
}

static double expect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static double expect(const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < shared->nexpected; i++)
        if (strcmp(shared->expected[i].name, name) == 0)
            return shared->expected[i].value;
    fail_msg("no expected value '%s' in %s", name, EXPECTED);
    return NAN;
}

static void assert_close(double got, double want, double tol, const char *what)
{
    if (isnan(want) && isnan(got))
        return;
    double scale = fabs(want) > 1 ? fabs(want) : 1;
    if (!(fabs(got - want) <= tol * scale))
        fail_msg("%s: got %.17g, R %.17g (tolerance %g)", what, got, want, tol);
}

#define EST 1e-9
#define BOUND 1e-7

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/sipas-review-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_SURVEYS "/sipas2017", &f->inst, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &f->store, &err), SIPAS_OK);
    sipas_import_options opt = {0};
    sipas_import_result res;
    if (sipas_import_batch(f->store, f->inst, SAMPLE, &opt, &res, &err) != SIPAS_OK)
        fail_msg("import: %s", err.message);
    assert_int_equal(res.rows_stored, 13200);
    if (sipas_dataset_load(f->store, f->inst, &f->data, &err) != SIPAS_OK)
        fail_msg("load: %s", err.message);
    shared = f;
    load_expected(f);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    sipas_dataset_free(f->data);
    sipas_store_close(f->store);
    sipas_instrument_free(f->inst);
    assert_int_equal(scratch_dir_remove(f->dir), 0);
    free(f);
    return 0;
}

static sipas_review *review(const sipas_review_options *o)
{
    sipas_review *r = NULL;
    sipas_error err = {0};
    if (sipas_review_compute(shared->data, o, &r, &err) != SIPAS_OK)
        fail_msg("review: %s", err.message);
    return r;
}

static void check_change(const sipas_change *c, const char *measure)
{
    char what[128];
    snprintf(what, sizeof what, "change %s", measure);
    assert_true(c->has_se);
    assert_close(c->difference, expect("change.%s.difference", measure), EST, what);
    assert_close(c->se, expect("change.%s.se", measure), EST, what);
    assert_close(c->df, expect("change.%s.df", measure), 0, what);
    assert_close(c->ci_low, expect("change.%s.ci_low", measure), BOUND, what);
    assert_close(c->ci_high, expect("change.%s.ci_high", measure), BOUND, what);
    assert_close(c->p_value, expect("change.%s.p_value", measure), BOUND, what);
}

static void test_province_series_and_change(void **state)
{
    fixture *f = *state;
    sipas_review_options o = {0};
    sipas_review *r = review(&o);
    assert_int_equal(r->nwaves, 6);
    assert_true(r->wave == 2024);
    assert_true(r->has_previous);
    assert_true(r->previous_wave == 2023);
    for (size_t k = 0; k < r->nwaves; k++) {
        const sipas_review_point *p = &r->province[k];
        int year = (int)p->value.year;
        assert_int_equal(year, 2019 + (int)k);
        assert_close(p->value.estimate, expect("province.overall.%d.estimate", year), EST, "estimate");
        assert_close(p->se, expect("province.overall.%d.se", year), EST, "se");
        assert_close(p->value.df, expect("province.overall.%d.df", year), 0, "df");
    }
    check_change(&r->change, "overall");
    /* element profile: each element this wave, last wave and the change */
    assert_int_equal(r->nelements, f->inst->nelements);
    for (size_t e = 0; e < r->nelements; e++) {
        const sipas_review_element *el = &r->elements[e];
        assert_close(el->current.value.estimate,
                     expect("province.%s.2024.estimate", el->name), EST, el->name);
        assert_close(el->previous.value.estimate,
                     expect("province.%s.2023.estimate", el->name), EST, el->name);
        assert_true(el->has_previous);
        check_change(&el->change, el->name);
    }
    sipas_review_free(r);

    /* an element as the measure: its series is the element's */
    o.measure = f->inst->elements[1].name;
    r = review(&o);
    assert_int_equal(r->measure_level, SIPAS_LEVEL_ELEMENT);
    assert_close(r->province[0].value.estimate,
                 expect("province.%s.2019.estimate", o.measure), EST, "element series");
    check_change(&r->change, o.measure);
    sipas_review_free(r);

    /* an earlier reviewed wave compares with the wave before it */
    o.measure = NULL;
    o.wave = 2020;
    r = review(&o);
    assert_true(r->wave == 2020 && r->previous_wave == 2019);
    assert_close(r->change.difference, expect("province.overall.2020.estimate") -
                 expect("province.overall.2019.estimate"), EST, "2020 change");
    sipas_review_free(r);
}

static void check_projection(const sipas_projection *p, const char *method, double year)
{
    char what[64];
    snprintf(what, sizeof what, "projection %s %g", method, year);
    assert_close(p->year, year, 0, what);
    assert_close(p->estimate, expect("projection.%s.%g.estimate", method, year), EST, what);
    assert_close(p->ci_low, expect("projection.%s.%g.ci_low", method, year), BOUND, what);
    assert_close(p->ci_high, expect("projection.%s.%g.ci_high", method, year), BOUND, what);
}

static void test_trend_projections_and_crossings(void **state)
{
    (void)state;
    const char *methods[] = {"known", "lm"};
    for (int m = 0; m < 2; m++) {
        double thresholds[] = {0.90, 0.95};
        sipas_review_options o = {.trend_method = m == 0 ? SIPAS_TREND_KNOWN_VARIANCE : SIPAS_TREND_LM,
                                  .thresholds = thresholds, .nthresholds = 2};
        sipas_review *r = review(&o);
        assert_true(r->has_trend);
        const sipas_trend_fit *fit = &r->fit;
        assert_close(fit->year_centre, expect("trend.year_centre"), EST, "tbar");
        assert_close(fit->intercept, expect("trend.intercept"), EST, "intercept");
        assert_close(fit->slope, expect("trend.slope"), EST, "slope");
        assert_close(fit->se_slope, expect("trend.%s.se_slope", methods[m]), EST, "se slope");
        assert_close(fit->p_value, expect("trend.%s.p_value", methods[m]), BOUND, "p slope");
        assert_close(fit->slope_per_year, expect("trend.slope_per_year"), EST, "pp per year");
        assert_int_equal(r->nprojections, 2);
        check_projection(&r->projections[0], methods[m], 2025);
        check_projection(&r->projections[1], methods[m], 2030);
        /* band: every quarter year from 2019 to 2030 */
        assert_int_equal(r->nband, 45);
        check_projection(&r->band[1], methods[m], 2019.25);
        assert_close(r->band[44].estimate, r->projections[1].estimate, 1e-15, "band end");
        assert_int_equal(r->ncrossings, 2);
        for (size_t k = 0; k < 2; k++)
            assert_close(r->crossings[k].year, expect("crossing.%g", thresholds[k]), BOUND,
                         "crossing");
        sipas_review_free(r);
    }
}

static void test_targets_of_the_measure(void **state)
{
    (void)state;
    sipas_targets *t = NULL;
    sipas_error err = {0};
    if (sipas_targets_load_dir(SIPAS_TEST_SURVEYS, &t, &err) != SIPAS_OK)
        fail_msg("targets: %s", err.message);
    sipas_review_options o = {.targets = t};
    sipas_review *r = review(&o);
    /* sipas_procedures (overall of sipas2017) has its two targets, 2025 and 2030 */
    assert_int_equal(r->ntargets, 2);
    assert_int_equal(r->ncrossings, 2);
    for (size_t k = 0; k < 2; k++) {
        const sipas_review_target *rt = &r->targets[k];
        double year = k == 0 ? 2025 : 2030;
        assert_string_equal(rt->target->indicator, "sipas_procedures");
        assert_true(rt->target->target.year == year);
        assert_true(rt->survey);
        assert_int_equal(rt->nwaves, 6);
        assert_true(rt->verdict.projected);
        assert_close(rt->verdict.estimate, expect("projection.known.%g.estimate", year), EST, "verdict");
        double lo = expect("projection.known.%g.ci_low", year);
        double hi = expect("projection.known.%g.ci_high", year);
        double thr = rt->target->target.threshold;
        assert_close(rt->verdict.ci_low, lo, BOUND, "verdict low");
        assert_close(rt->verdict.ci_high, hi, BOUND, "verdict high");
        sipas_verdict want = lo >= thr ? SIPAS_VERDICT_ON_TRACK
                           : hi < thr ? SIPAS_VERDICT_OFF_TRACK : SIPAS_VERDICT_AT_RISK;
        assert_int_equal(rt->verdict.verdict, want);
        assert_close(rt->crossing.year, expect("crossing.%g", thr), BOUND, "target crossing");
    }
    sipas_review_free(r);

    /* all targets: the survey ones as above, the others from indicators.csv (none has values
     * for its own name in the shipped file: no data) */
    sipas_review_target *all = NULL;
    size_t n = 0;
    sipas_index_options io = {0};
    if (sipas_review_targets(shared->data, &io, t, &all, &n, &err) != SIPAS_OK)
        fail_msg("targets: %s", err.message);
    assert_int_equal(n, t->ntargets);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(all[k].target->indicator, "sipas_procedures") == 0) {
            assert_true(all[k].survey);
            assert_close(all[k].verdict.estimate,
                         expect("projection.known.%g.estimate", all[k].target->target.year), EST,
                         "all targets");
        } else {
            assert_false(all[k].survey);
            assert_int_equal(all[k].nwaves, 0);
            assert_int_equal(all[k].verdict.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
        }
    }
    free(all);
    /* remapping the indicator to an element changes what it is judged on */
    assert_int_equal(sipas_targets_map_parse(t, "sipas_procedures=sipas2017:results", &err), SIPAS_OK);
    o.measure = "results";
    r = review(&o);
    assert_int_equal(r->ntargets, 2);
    sipas_review_free(r);
    o.measure = NULL;
    r = review(&o);
    assert_int_equal(r->ntargets, 0);
    sipas_review_free(r);
    sipas_targets_free(t);
}

static void test_units_against_province(void **state)
{
    (void)state;
    for (int adjust = 0; adjust < 2; adjust++) {
        sipas_review_options o = {.rank_adjust = adjust ? SIPAS_ADJUST_BH : SIPAS_ADJUST_HOLM,
                                  .change_adjust = SIPAS_ADJUST_NONE};
        sipas_review *r = review(&o);
        assert_string_equal(r->unit_column, "district");
        assert_int_equal(r->nunits, 11);
        assert_int_equal(r->ranked, 11);
        assert_close(r->province_current.value.estimate, expect("province.2024.from_units"), EST,
                     "province");
        assert_close(r->province_current.value.estimate, expect("province.overall.2024.estimate"),
                     EST, "province");
        size_t above = 0, below = 0, up = 0, down = 0, sig_down = 0, sig_up = 0;
        for (size_t u = 0; u < r->nunits; u++) {
            const sipas_review_unit *un = &r->units[u];
            const char *c = un->code;
            assert_true(un->in_wave);
            assert_close(un->current.value.estimate, expect("unit.%s.estimate", c), EST, c);
            assert_close(un->current.se, expect("unit.%s.se", c), EST, c);
            assert_close(un->cov_with_province, expect("unit.%s.cov_with_province", c), EST, c);
            const sipas_change *d = &un->comparison.vs_province;
            assert_close(d->difference, expect("unit.%s.difference", c), EST, c);
            assert_close(d->se, expect("unit.%s.difference_se", c), EST, c);
            assert_close(d->ci_low, expect("unit.%s.ci_low", c), BOUND, c);
            assert_close(d->ci_high, expect("unit.%s.ci_high", c), BOUND, c);
            assert_close(d->p_value, expect("unit.%s.p_value", c), BOUND, c);
            double padj = expect(adjust ? "unit.%s.p_bh" : "unit.%s.p_holm", c);
            assert_close(un->comparison.p_adjusted, padj, BOUND, c);
            sipas_unit_flag flag = padj >= 0.05 ? SIPAS_UNIT_NOT_DIFFERENT
                                 : d->difference > 0 ? SIPAS_UNIT_ABOVE : SIPAS_UNIT_BELOW;
            assert_int_equal(un->comparison.flag, flag);
            above += flag == SIPAS_UNIT_ABOVE;
            below += flag == SIPAS_UNIT_BELOW;
            /* rank: 1 + the number of units with a higher estimate */
            size_t rank = 1;
            for (size_t v = 0; v < r->nunits; v++)
                rank += expect("unit.%s.estimate", r->units[v].code) > expect("unit.%s.estimate", c);
            assert_int_equal(un->comparison.rank, rank);
            /* change since 2023, independent waves */
            assert_true(un->has_previous);
            assert_close(un->change.difference, expect("unit.%s.change", c), EST, c);
            assert_close(un->change.se, expect("unit.%s.change_se", c), EST, c);
            double pc = expect("unit.%s.change_p_value", c);
            assert_close(un->change.p_value, pc, BOUND, c);
            double dc = expect("unit.%s.change", c);
            up += dc > 0;
            down += dc < 0;
            sig_up += dc > 0 && pc < 0.05;
            sig_down += dc < 0 && pc < 0.05;
            /* the unit's series ends with the wave ranked, and the matrix holds its elements */
            assert_true(un->nwaves >= 3);
            assert_close(un->series[un->nwaves - 1].value.estimate, un->current.value.estimate,
                         1e-12, "series end");
            for (size_t e = 0; e < r->nelements; e++)
                assert_true(r->matrix[u * r->nelements + e].estimable);
            assert_true(un->has_fit);
        }
        assert_int_equal(r->significantly_above, above);
        assert_int_equal(r->significantly_below, below);
        assert_int_equal(r->unit_changes.compared, 11);
        assert_int_equal(r->unit_changes.up, up);
        assert_int_equal(r->unit_changes.down, down);
        assert_int_equal(r->unit_changes.significant_up, sig_up);
        assert_int_equal(r->unit_changes.significant_down, sig_down);
        sipas_review_free(r);
    }
}

static void test_domain_changes(void **state)
{
    (void)state;
    sipas_index_options io = {0};
    sipas_domain_changes *c = NULL;
    sipas_error err = {0};
    if (sipas_domain_changes_compute(shared->data, &io, NULL, 0, 0, &c, &err) != SIPAS_OK)
        fail_msg("changes: %s", err.message);
    assert_true(c->from == 2023 && c->to == 2024);
    assert_int_equal(c->nrows, 1);
    assert_true(c->rows[0].has_change);
    check_change(&c->rows[0].change, "overall");
    sipas_domain_changes_free(c);

    const char *by[] = {"district"};
    io.by = by;
    io.nby = 1;
    if (sipas_domain_changes_compute(shared->data, &io, "overall", 2023, 2024, &c, &err) != SIPAS_OK)
        fail_msg("changes: %s", err.message);
    assert_int_equal(c->nrows, 11);
    for (size_t i = 0; i < c->nrows; i++) {
        const char *code = c->rows[i].values[0];
        assert_close(c->rows[i].change.difference, expect("unit.%s.change", code), EST, code);
        assert_close(c->rows[i].change.se, expect("unit.%s.change_se", code), EST, code);
        assert_close(c->rows[i].change.p_value, expect("unit.%s.change_p_value", code), BOUND, code);
    }
    sipas_domain_changes_free(c);

    /* from 2019 to 2024 directly */
    io.nby = 0;
    if (sipas_domain_changes_compute(shared->data, &io, NULL, 2019, 2024, &c, &err) != SIPAS_OK)
        fail_msg("changes: %s", err.message);
    assert_close(c->rows[0].change.difference, expect("province.overall.2024.estimate") -
                 expect("province.overall.2019.estimate"), EST, "2019-2024");
    assert_close(c->rows[0].change.df, expect("province.overall.2024.df") +
                 expect("province.overall.2019.df"), 0, "2019-2024 df");
    sipas_domain_changes_free(c);
}

static void test_refusals(void **state)
{
    (void)state;
    sipas_review *r = NULL;
    sipas_error err = {0};
    sipas_review_options o = {.measure = "no_such_measure"};
    assert_int_equal(sipas_review_compute(shared->data, &o, &r, &err), SIPAS_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "'no_such_measure'"));
    assert_null(r);
    o = (sipas_review_options){.unit_column = "no_column"};
    assert_int_equal(sipas_review_compute(shared->data, &o, &r, &err), SIPAS_ERR_NOT_FOUND);
    o = (sipas_review_options){.wave = 2018};
    assert_int_equal(sipas_review_compute(shared->data, &o, &r, &err), SIPAS_ERR_NOT_FOUND);
    const char *by[] = {"district"};
    o = (sipas_review_options){.index = {.by = by, .nby = 1}};
    assert_int_equal(sipas_review_compute(shared->data, &o, &r, &err), SIPAS_ERR_USAGE);
    const char *year[] = {"2024"};
    sipas_filter wave = {.column = "wave", .op = SIPAS_OP_EQ, .nvalues = 1, .values = year};
    o = (sipas_review_options){.index = {.where = &wave, .nwhere = 1}};
    assert_int_equal(sipas_review_compute(shared->data, &o, &r, &err), SIPAS_ERR_USAGE);
    sipas_domain_changes *c = NULL;
    sipas_index_options io = {.by = (const char *const[]){"wave"}, .nby = 1};
    assert_int_equal(sipas_domain_changes_compute(shared->data, &io, NULL, 0, 0, &c, &err),
                     SIPAS_ERR_USAGE);
    io.nby = 0;
    assert_int_equal(sipas_domain_changes_compute(shared->data, &io, NULL, 0, 2019, &c, &err),
                     SIPAS_ERR_NOT_FOUND);
    assert_int_equal(sipas_domain_changes_compute(shared->data, &io, NULL, 2024, 2024, &c, &err),
                     SIPAS_ERR_USAGE);
    assert_null(c);
}

/* ---- targets.csv and indicators.csv ---- */

static sipas_status load_text(const char *targets, const char *indicators, sipas_targets **t,
                              sipas_error *err)
{
    char dir[] = "/tmp/sipas-targets-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char tp[64], ip[64];
    snprintf(tp, sizeof tp, "%s/targets.csv", dir);
    snprintf(ip, sizeof ip, "%s/indicators.csv", dir);
    FILE *out = fopen(tp, "w");
    assert_non_null(out);
    fputs(targets, out);
    fclose(out);
    if (indicators) {
        out = fopen(ip, "w");
        assert_non_null(out);
        fputs(indicators, out);
        fclose(out);
    }
    sipas_status st = sipas_targets_load_dir(dir, t, err);
    unlink(tp);
    unlink(ip);
    rmdir(dir);
    return st;
}

#define THEAD "indicator,scope,scope_value,year,threshold,comparison\n"

static void test_targets_files(void **state)
{
    (void)state;
    sipas_targets *t = NULL;
    sipas_error err = {0};
    static const struct {
        const char *targets, *indicators, *message;
        sipas_status status;
    } bad[] = {
        {THEAD "x,province,ls,2025,90,>=\n", NULL, "'threshold'", SIPAS_ERR_VALIDATION},
        {THEAD "x,province,ls,2025,0.9,<=\n", NULL, "'comparison'", SIPAS_ERR_VALIDATION},
        {THEAD "x,province,ls,2025.5,0.9,>=\n", NULL, "'year'", SIPAS_ERR_VALIDATION},
        {THEAD "x y,province,ls,2025,0.9,>=\n", NULL, "'indicator'", SIPAS_ERR_VALIDATION},
        {THEAD "x,province,ls,2025,0.9,>=\nx,province,ls,2025,0.95,>=\n", NULL, "row 2",
         SIPAS_ERR_VALIDATION},
        {"indicator,scope,year,threshold,comparison\n", NULL, "'scope_value'", SIPAS_ERR_FORMAT},
        {THEAD "x,province,ls,2025,0.9,>=\n", "indicator,scope,scope_value,year,value,se\n"
         "x,province,ls,2021,1.5,\n", "'value'", SIPAS_ERR_VALIDATION},
        {"indicator,scope,scope_value,year,threshold,comparison,form\n", NULL, "'measure'",
         SIPAS_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(load_text(bad[i].targets, bad[i].indicators, &t, &err), bad[i].status);
        if (strstr(err.message, bad[i].message) == NULL)
            fail_msg("case %zu: '%s' lacks %s", i, err.message, bad[i].message);
        assert_null(t);
    }
    /* a good pair: the built-in map, an explicit map column, values with and without se */
    assert_int_equal(load_text("indicator,scope,scope_value,year,threshold,comparison,form,measure\n"
                               "sipas_procedures,province,ls,2025,0.9,>=,,\n"
                               "online,province,ls,2025,0.5,>,,\n"
                               "health,province,ls,2030,0.95,>=,health2021,overall\n",
                               "indicator,scope,scope_value,year,value,se\n"
                               "online,province,ls,2022,0.60,\n"
                               "online,province,ls,2021,0.56,\n"
                               "health,province,ls,2021,0.93,0.01\n", &t, &err), SIPAS_OK);
    assert_int_equal(t->ntargets, 3);
    assert_string_equal(t->targets[0].form, "sipas2017");
    assert_string_equal(t->targets[0].measure, "overall");
    assert_null(t->targets[1].form);
    assert_string_equal(t->targets[2].form, "health2021");
    assert_int_equal(t->targets[1].target.comparison, SIPAS_TARGET_ABOVE);
    sipas_wave_value *w = NULL;
    size_t n = 0;
    assert_int_equal(sipas_targets_indicator_series(t, "online", NULL, NULL, &w, &n, &err), SIPAS_OK);
    assert_int_equal(n, 2);
    assert_true(w[0].year == 2021 && w[1].year == 2022); /* sorted by year */
    assert_true(isnan(w[0].variance));
    free(w);
    assert_int_equal(sipas_targets_indicator_series(t, "health", NULL, NULL, &w, &n, &err), SIPAS_OK);
    assert_close(w[0].variance, 0.0001, 1e-15, "se squared");
    free(w);
    assert_int_equal(sipas_targets_map_parse(t, "nothing", &err), SIPAS_ERR_USAGE);
    assert_int_equal(sipas_targets_map_parse(t, "unknown=sipas2017", &err), SIPAS_ERR_NOT_FOUND);

    /* judged from indicators.csv: two point values (no se) and a 2025 target need 3 waves */
    sipas_review_target *all = NULL;
    sipas_index_options io = {0};
    assert_int_equal(sipas_review_targets(shared->data, &io, t, &all, &n, &err), SIPAS_OK);
    assert_int_equal(n, 3);
    assert_true(all[0].survey);
    assert_false(all[1].survey);
    assert_int_equal(all[1].nwaves, 2);
    assert_int_equal(all[1].verdict.verdict, SIPAS_VERDICT_INSUFFICIENT_DATA);
    assert_false(all[2].survey); /* mapped to another form: its reported values */
    assert_int_equal(all[2].nwaves, 1);
    free(all);
    sipas_targets_free(t);

    /* a data error names file, row, indicator, form and measure in one sentence */
    assert_int_equal(load_text("indicator,scope,scope_value,year,threshold,comparison,form,measure\n"
                               "x,province,ls,2025,0.9,>=,sipas2017,nope\n", NULL, &t, &err),
                     SIPAS_OK);
    assert_int_equal(sipas_review_targets(shared->data, &io, t, &all, &n, NULL),
                     SIPAS_ERR_NOT_FOUND);
    assert_int_equal(sipas_review_targets(shared->data, &io, t, &all, &n, &err),
                     SIPAS_ERR_NOT_FOUND);
    const char *tail = "/targets.csv:2: indicator 'x': form 'sipas2017' has no measure 'nope' "
                       "(overall, an element or a criterion)";
    const char *at = strstr(err.message, "/targets.csv:2: ");
    if (at == NULL || strcmp(at, tail) != 0)
        fail_msg("composed message: '%s'", err.message);
    sipas_targets_free(t);
}

/* ---- degenerate designs (issue 9): tests/fixtures/review/make_degenerate.py ---- */

#define DEGENERATE SIPAS_TEST_FIXTURES "/review/degenerate_sipas2017.csv"

static sipas_dataset *load_degenerate(sipas_store **store)
{
    char db[128];
    snprintf(db, sizeof db, "%s/degenerate.db", shared->dir);
    sipas_error err = {0};
    assert_int_equal(sipas_store_open(db, SIPAS_STORE_READ_WRITE, store, &err), SIPAS_OK);
    sipas_import_options opt = {0};
    sipas_import_result res;
    if (sipas_import_batch(*store, shared->inst, DEGENERATE, &opt, &res, &err) != SIPAS_OK)
        fail_msg("import: %s", err.message);
    sipas_dataset *data = NULL;
    if (sipas_dataset_load(*store, shared->inst, &data, &err) != SIPAS_OK)
        fail_msg("load: %s", err.message);
    return data;
}

static const sipas_review_unit *unit_of(const sipas_review *r, const char *code)
{
    for (size_t u = 0; u < r->nunits; u++)
        if (strcmp(r->units[u].code, code) == 0)
            return &r->units[u];
    fail_msg("no unit %s", code);
    return NULL;
}

static void test_degenerate_designs(void **state)
{
    (void)state;
    sipas_store *store = NULL;
    sipas_dataset *data = load_degenerate(&store);
    sipas_review *r = NULL;
    sipas_error err = {0};

    /* --lonely-psu fail (the default): dinh_lap 2022 has one commune. The review goes on; the
     * province of 2022 and dinh_lap 2022 have no design variance, the other units keep theirs
     * but cannot be compared with a province without one. */
    sipas_review_options o = {.wave = 2022};
    if (sipas_review_compute(data, &o, &r, &err) != SIPAS_OK)
        fail_msg("review under fail: %s", err.message);
    assert_true(r->province_current.estimable);
    assert_false(r->province_current.variance_estimable);
    assert_true(isnan(r->province_current.se) && isnan(r->province_current.ci_low));
    const sipas_review_unit *dl = unit_of(r, "dinh_lap"), *cl = unit_of(r, "cao_loc");
    assert_false(dl->current.variance_estimable);
    assert_true(cl->current.variance_estimable);
    assert_int_equal(cl->comparison.flag, SIPAS_UNIT_NOT_TESTED);
    assert_true(isnan(cl->comparison.p_adjusted));
    assert_int_equal(r->untested, r->ranked);
    assert_string_equal(sipas_review_unit_reason(r, dl, false),
                        "one cluster (PSU): no design-based variance");
    assert_string_equal(sipas_review_point_reason(&r->province_current, false),
                        "a stratum with one cluster (PSU) under --lonely-psu fail: no "
                        "design-based variance");
    assert_string_equal(sipas_review_unit_reason(r, cl, false),
                        "the province has no design-based variance this wave (a stratum with "
                        "a single PSU)");
    /* up/down against 2021: dinh_lap is left out and counted as such */
    assert_int_equal(r->unit_changes.not_estimable, 1);
    assert_int_equal(r->unit_changes.up + r->unit_changes.down + r->unit_changes.same,
                     r->unit_changes.compared - 1);
    assert_false(dl->change.has_se);
    sipas_review_free(r);

    /* The latest wave under fail: the 2022 waves enter the trends by the floor rule. */
    o = (sipas_review_options){0};
    if (sipas_review_compute(data, &o, &r, &err) != SIPAS_OK)
        fail_msg("review 2024 under fail: %s", err.message);
    assert_false(r->province[3].variance_estimable); /* 2022 */
    assert_true(r->has_trend);
    assert_int_equal(r->fit.nsrs, 1);
    dl = unit_of(r, "dinh_lap");
    cl = unit_of(r, "cao_loc");
    assert_true(dl->has_fit);
    assert_int_equal(dl->fit.nsrs, 1);
    /* cao_loc rises from about 66% to 86%: never labelled falling, and its slope is up */
    assert_true(cl->series[cl->nwaves - 1].value.estimate > cl->series[0].value.estimate + 0.1);
    assert_true(cl->fit.slope > 0);
    assert_true(cl->trend_label == SIPAS_TREND_RISING_STEADILY ||
                cl->trend_label == SIPAS_TREND_RISING_UNEVENLY);
    /* binh_gia 2022: everyone satisfied, estimate 1, fitted on the empirical logit */
    const sipas_review_unit *bg = unit_of(r, "binh_gia");
    assert_true(bg->has_fit);
    assert_int_equal(bg->fit.nwaves, 6);
    assert_true(bg->trend_label != SIPAS_TREND_FALLING);
    sipas_review_free(r);

    /* --lonely-psu remove: the province keeps a variance, dinh_lap (df 0) is the one left out */
    o = (sipas_review_options){.wave = 2022, .index = {.lonely_psu = SIPAS_LONELY_REMOVE}};
    if (sipas_review_compute(data, &o, &r, &err) != SIPAS_OK)
        fail_msg("review under remove: %s", err.message);
    assert_true(r->province_current.variance_estimable);
    assert_int_equal(r->untested, 1);
    assert_int_equal(unit_of(r, "dinh_lap")->comparison.flag, SIPAS_UNIT_NOT_TESTED);
    assert_int_not_equal(unit_of(r, "cao_loc")->comparison.flag, SIPAS_UNIT_NOT_TESTED);
    /* binh_gia 2022: 36 respondents all satisfied, design variance 0: tested with the SRS
     * variance at n, p~ = 36.5 / 37, p~ (1 - p~) / 36 = 3.6523e-4, never with 0 */
    bg = unit_of(r, "binh_gia");
    assert_int_equal(bg->current.n, 36);
    assert_true(bg->current.value.estimate == 1.0 && bg->current.se == 0.0);
    assert_close(bg->current.value.variance, (36.5 / 37) * (0.5 / 37) / 36, 1e-12, "srs at 1");
    assert_true(bg->change.has_se && bg->change.se > 0.018);
    sipas_review_free(r);

    /* the index under fail: only domains with a respondent in the lonely stratum lose their
     * variance; a wave without one keeps every row */
    const char *y2019[] = {"2019"};
    sipas_filter w2019 = {.column = "wave", .op = SIPAS_OP_EQ, .nvalues = 1, .values = y2019};
    sipas_index_options io = {.where = &w2019, .nwhere = 1};
    sipas_index_result *ix = NULL;
    assert_int_equal(sipas_review_index_compute(data, &io, &ix, &err), SIPAS_OK);
    for (size_t i = 0; i < ix->nrows; i++)
        assert_true(sipas_review_row_has_variance(&ix->rows[i]));
    sipas_index_result_free(ix);
    const char *by[] = {"wave", "district"};
    io = (sipas_index_options){.by = by, .nby = 2};
    assert_int_equal(sipas_review_index_compute(data, &io, &ix, &err), SIPAS_OK);
    size_t without = 0;
    for (size_t i = 0; i < ix->nrows; i++) {
        const sipas_index_domain *d = &ix->domains[ix->rows[i].domain];
        bool lonely = strcmp(d->values[0], "2022") == 0 && strcmp(d->values[1], "dinh_lap") == 0;
        assert_true(sipas_review_row_has_variance(&ix->rows[i]) != lonely);
        without += lonely;
    }
    assert_true(without > 0);
    sipas_index_result_free(ix);
    /* and the index command itself still fails, as R does */
    assert_int_equal(sipas_index_compute(data, &io, &ix, &err), SIPAS_ERR_MATH);

    /* a unit column that is the cluster is refused, naming a column above it */
    o = (sipas_review_options){.unit_column = "commune"};
    assert_int_equal(sipas_review_compute(data, &o, &r, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "form 'sipas2017': 'commune' is the cluster column (the "
                                     "PSUs), so each of its units is one cluster and has no "
                                     "design-based variance; review a column above it, such as "
                                     "'district'");
    assert_null(r);
    sipas_dataset_free(data);
    sipas_store_close(store);
}

/* Notes next to labels and projections, and their machine flags. */
static void test_fit_and_projection_notes(void **state)
{
    (void)state;
    char buf[256];
    sipas_trend_fit f = {.nwaves = 4, .nfloored = 1, .nsrs = 2, .nexcluded = 1,
                         .lack_of_fit = true, .projection_caution = true};
    assert_string_equal(sipas_review_fit_note(&f, false, buf, sizeof buf),
                        "the waves deviate from the line; 1 wave at the variance floor; 2 waves "
                        "without design variance (SRS variance used); 1 wave left out");
    assert_string_equal(sipas_review_projection_note(&f, false, buf, sizeof buf),
                        "uncertain projection: the waves deviate from the line");
    assert_string_equal(sipas_review_projection_flag(&f), "lack_of_fit");
    f.lack_of_fit = false;
    assert_string_equal(sipas_review_projection_note(&f, true, buf, sizeof buf),
                        "dự báo không chắc chắn: chỉ có 4 đợt (cần 5)");
    assert_string_equal(sipas_review_projection_flag(&f), "few_waves");
    f = (sipas_trend_fit){.nwaves = 2};
    assert_string_equal(sipas_review_fit_note(&f, false, buf, sizeof buf), "");
    assert_string_equal(sipas_review_projection_note(&f, false, buf, sizeof buf),
                        "no projection: it needs 3 waves");
    assert_string_equal(sipas_review_projection_flag(&f), "none");
    f.nwaves = 6;
    assert_string_equal(sipas_review_projection_flag(&f), "");
    assert_string_equal(sipas_review_not_estimable("no valid answer", false, buf, sizeof buf),
                        "not estimable: no valid answer");
    assert_string_equal(sipas_review_not_estimable("x", true, buf, sizeof buf),
                        "không ước lượng được: x");
    /* truncation never overflows */
    f = (sipas_trend_fit){.nwaves = 6, .nfloored = 2, .lack_of_fit = true};
    char small[12];
    sipas_review_fit_note(&f, false, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_province_series_and_change),
        cmocka_unit_test(test_trend_projections_and_crossings),
        cmocka_unit_test(test_targets_of_the_measure),
        cmocka_unit_test(test_units_against_province),
        cmocka_unit_test(test_domain_changes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_targets_files),
        cmocka_unit_test(test_degenerate_designs),
        cmocka_unit_test(test_fit_and_projection_notes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
