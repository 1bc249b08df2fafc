/* test_calibrate.c - base weights, post-stratification, raking and calibrated variances against
 * R's survey 4.1.1.
 *
 * The reference values come from tests/fixtures/calibrate/make_calibrate_fixtures.R (committed
 * beside its CSVs). For every calibration in cal_specs.csv this program rebuilds the input
 * weights (from population counts where R did), calibrates, compares every weight with R's
 * weights(design), then recomputes every estimate of cal_results.csv (whole design and svyby
 * domains) with adjusted scores and compares estimates and SEs, all to 1e-9 relative.
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

#include "calibrate.h"
#include "sipas/estimate.h"

#define FIXTURE_DIR SIPAS_TEST_FIXTURES "/calibrate/"
#define MAX_COLS 64
#define MAX_MARGINS 8
#define REL_TOL 1e-9

#include "fixture_table.h"

/* ------------------------------------------------------------------ datasets */

typedef struct dataset {
    char name[32];
    table *data;
    size_t n;
    size_t *stratum, nstrata;
    size_t *psu, npsu;
    double *fpc; /* per stratum */
    double *base;
} dataset;

static void dataset_load(dataset *d, const char *name)
{
    char file[128];
    snprintf(file, sizeof file, "cal_%s.csv", name);
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->data = table_read(file);
    d->n = d->data->nrows;
    d->stratum = calloc(d->n, sizeof *d->stratum);
    d->psu = calloc(d->n, sizeof *d->psu);
    d->base = calloc(d->n, sizeof *d->base);
    assert_true(d->stratum && d->psu && d->base);
    size_t cs = table_col(d->data, "stratum"), cp = table_col(d->data, "psu"),
           cb = table_col(d->data, "base");
    for (size_t i = 0; i < d->n; i++) {
        d->stratum[i] = (size_t)num(d->data->cells[i][cs]);
        d->psu[i] = (size_t)num(d->data->cells[i][cp]);
        d->base[i] = num(d->data->cells[i][cb]);
        if (d->stratum[i] + 1 > d->nstrata)
            d->nstrata = d->stratum[i] + 1;
        if (d->psu[i] + 1 > d->npsu)
            d->npsu = d->psu[i] + 1;
    }
    d->fpc = calloc(d->nstrata, sizeof *d->fpc);
    assert_non_null(d->fpc);
    size_t cf = table_col(d->data, "fpc");
    for (size_t i = 0; i < d->n; i++)
        d->fpc[d->stratum[i]] = num(d->data->cells[i][cf]);
}

static void dataset_free(dataset *d)
{
    table_free(d->data);
    free(d->stratum);
    free(d->psu);
    free(d->fpc);
    free(d->base);
}

static double *column(const dataset *d, const char *name)
{
    if (strcmp(name, "1") == 0)
        return NULL;
    size_t c = table_col(d->data, name);
    double *v = malloc(d->n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < d->n; i++)
        v[i] = num(d->data->cells[i][c]);
    return v;
}

static size_t *index_column(const dataset *d, const char *name, size_t *count)
{
    size_t c = table_col(d->data, name);
    size_t *v = malloc(d->n * sizeof *v);
    assert_non_null(v);
    *count = 0;
    for (size_t i = 0; i < d->n; i++) {
        v[i] = (size_t)num(d->data->cells[i][c]);
        if (v[i] + 1 > *count)
            *count = v[i] + 1;
    }
    return v;
}

/* "-" = NULL (whole design); "col=value" a mask. */
static bool *domain_mask(const dataset *d, const char *spec)
{
    if (strcmp(spec, "-") == 0)
        return NULL;
    char col[64];
    const char *eq = strchr(spec, '=');
    assert_non_null(eq);
    snprintf(col, sizeof col, "%.*s", (int)(eq - spec), spec);
    double value = num(eq + 1);
    size_t c = table_col(d->data, col);
    bool *mask = malloc(d->n * sizeof *mask);
    assert_non_null(mask);
    for (size_t i = 0; i < d->n; i++)
        mask[i] = num(d->data->cells[i][c]) == value;
    return mask;
}


static sipas_prepared_design *prepare(const dataset *d, const double *weight,
                                      sipas_lonely_psu rule)
{
    sipas_design design = {.n = d->n,
                           .weight = weight,
                           .nstrata = d->nstrata,
                           .stratum = d->stratum,
                           .npsu = d->npsu,
                           .psu = d->psu,
                           .fpc = d->fpc,
                           .lonely_psu = rule};
    sipas_prepared_design *pd = NULL;
    sipas_error err = {0};
    if (sipas_design_prepare(&design, &pd, &err) != SIPAS_OK)
        fail_msg("%s: %s", d->name, err.message);
    return pd;
}

/* The margins of one calibration: cells from the dataset, counts from cal_populations.csv. */
typedef struct margins {
    size_t count;
    sipas_margin m[MAX_MARGINS];
    char names[MAX_MARGINS][32];
    size_t *cells[MAX_MARGINS];
    double *population[MAX_MARGINS];
} margins;

static void margins_load(margins *ms, const dataset *d, const table *pops, const char *cal,
                         const char *spec)
{
    memset(ms, 0, sizeof *ms);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        assert_true(ms->count < MAX_MARGINS);
        size_t k = ms->count++;
        snprintf(ms->names[k], sizeof ms->names[k], "%s", tok);
        size_t ncells;
        ms->cells[k] = index_column(d, tok, &ncells);
        ms->population[k] = calloc(ncells, sizeof *ms->population[k]);
        assert_non_null(ms->population[k]);
        size_t found = 0;
        for (size_t r = 0; r < pops->nrows; r++) {
            if (strcmp(cell_of(pops, r, "dataset"), d->name) != 0 ||
                strcmp(cell_of(pops, r, "cal"), cal) != 0 ||
                strcmp(cell_of(pops, r, "margin"), tok) != 0)
                continue;
            size_t c = (size_t)num(cell_of(pops, r, "cell"));
            assert_true(c < ncells);
            ms->population[k][c] = num(cell_of(pops, r, "population"));
            found++;
        }
        assert_int_equal(found, ncells);
        ms->m[k] = (sipas_margin){.name = ms->names[k], .cell = ms->cells[k],
                                  .ncells = ncells, .population = ms->population[k]};
    }
}

static void margins_free(margins *ms)
{
    for (size_t k = 0; k < ms->count; k++) {
        free(ms->cells[k]);
        free(ms->population[k]);
    }
}

static sipas_calibration *calibrate(const char *method, size_t n, const double *w,
                                    const margins *ms, const sipas_rake_control *ctl,
                                    sipas_error *err)
{
    sipas_calibration *cal = NULL;
    sipas_status st;
    if (strcmp(method, "post") == 0) {
        assert_int_equal(ms->count, 1);
        st = sipas_poststratify(n, w, &ms->m[0], &cal, err);
    } else {
        st = sipas_rake(n, w, ms->count, ms->m, ctl, &cal, err);
    }
    if (st != SIPAS_OK)
        return NULL;
    return cal;
}

/* Estimate and SE as the header says to compute them; se_raw (optional) without the
 * adjustment, se_in_domain (optional) adjusted but with the domain passed to sipas_variance. */
static void estimate(const sipas_prepared_design *pd, const sipas_calibration *cal,
                     const double *y, const double *x, const bool *domain, double *est,
                     double *se, double *se_raw, double *se_in_domain)
{
    size_t n = sipas_prepared_design_rows(pd);
    double *z = malloc(n * sizeof *z), *adj = malloc(n * sizeof *adj);
    assert_true(z && adj);
    sipas_ratio r;
    sipas_error err = {0};
    if (sipas_ratio_estimate(pd, y, x, domain, &r, z, &err) != SIPAS_OK)
        fail_msg("ratio: %s", err.message);
    if (sipas_calibration_adjust_scores(cal, z, adj, &err) != SIPAS_OK)
        fail_msg("adjust: %s", err.message);
    double v, v_raw, v_dom;
    if (sipas_variance(pd, adj, NULL, &v, &err) != SIPAS_OK ||
        sipas_variance(pd, z, domain, &v_raw, &err) != SIPAS_OK ||
        sipas_variance(pd, adj, domain, &v_dom, &err) != SIPAS_OK)
        fail_msg("variance: %s", err.message);
    *est = r.estimate;
    *se = sqrt(v);
    if (se_raw)
        *se_raw = sqrt(v_raw);
    if (se_in_domain)
        *se_in_domain = sqrt(v_dom);
    free(z);
    free(adj);
}

/* ------------------------------------------------------------------ the R fixtures */

static void test_r_fixtures(void **state)
{
    (void)state;
    table *specs = table_read("cal_specs.csv");
    table *pops = table_read("cal_populations.csv");
    table *res = table_read("cal_results.csv");
    size_t nresults = 0, nweights = 0, nbase = 0;
    g_checks = 0;
    for (size_t s = 0; s < specs->nrows; s++) {
        const char *ds = cell_of(specs, s, "dataset"), *calname = cell_of(specs, s, "cal"),
                   *method = cell_of(specs, s, "method");
        char ctx[160];
        snprintf(ctx, sizeof ctx, "%s/%s", ds, calname);
        dataset d;
        dataset_load(&d, ds);

        /* the input weights: from population counts where R made them so */
        double *w = malloc(d.n * sizeof *w);
        assert_non_null(w);
        if (num(cell_of(specs, s, "base_from_fpc")) == 1) {
            sipas_error err = {0};
            if (sipas_base_weights(d.n, d.stratum, d.nstrata, d.fpc, w, &err) != SIPAS_OK)
                fail_msg("%s: base weights: %s", ctx, err.message);
            for (size_t i = 0; i < d.n; i++)
                expect_close(w[i], d.base[i], REL_TOL, "base weight", ctx);
            nbase += d.n;
        } else {
            memcpy(w, d.base, d.n * sizeof *w);
        }

        margins ms;
        margins_load(&ms, &d, pops, calname, cell_of(specs, s, "margins"));
        sipas_rake_control ctl = {.maxit = (size_t)num(cell_of(specs, s, "maxit")),
                                  .epsilon = num(cell_of(specs, s, "epsilon"))};
        sipas_error err = {0};
        sipas_calibration *cal = calibrate(method, d.n, w, &ms, &ctl, &err);
        if (!cal)
            fail_msg("%s: %s", ctx, err.message);
        bool converged = num(cell_of(specs, s, "converged")) == 1;
        if (sipas_calibration_converged(cal) != converged)
            fail_msg("%s: converged %d, R %d", ctx, sipas_calibration_converged(cal), converged);
        if (!converged)
            assert_int_equal(sipas_calibration_passes(cal), ctl.maxit);
        else
            assert_true(sipas_calibration_passes(cal) <= ctl.maxit);

        char wcol[64];
        snprintf(wcol, sizeof wcol, "cw_%s", calname);
        double *want = column(&d, wcol);
        const double *cw = sipas_calibration_weights(cal);
        for (size_t i = 0; i < d.n; i++)
            expect_close(cw[i], want[i], REL_TOL, "calibrated weight", ctx);
        nweights += d.n;
        free(want);

        sipas_lonely_psu rule = rule_of(cell_of(specs, s, "lonely"));
        sipas_prepared_design *pd = prepare(&d, cw, rule);
        /* Post-stratifying on the strata themselves (apistrat on stype) changes nothing: the
         * weights already are N_h / n_h and the scores are already centred within strata. */
        bool on_strata = strcmp(method, "post") == 0;
        for (size_t i = 0; on_strata && i < d.n; i++)
            for (size_t j = 0; on_strata && j < d.n; j++)
                if ((ms.cells[0][i] == ms.cells[0][j]) != (d.stratum[i] == d.stratum[j]))
                    on_strata = false;
        size_t changed = 0, here = 0, domain_differs = 0;
        for (size_t r = 0; r < res->nrows; r++) {
            if (strcmp(cell_of(res, r, "dataset"), ds) != 0 ||
                strcmp(cell_of(res, r, "cal"), calname) != 0)
                continue;
            char rctx[256];
            snprintf(rctx, sizeof rctx, "%s: %s %s/%s %s", ctx, cell_of(res, r, "kind"),
                     cell_of(res, r, "y"), cell_of(res, r, "x"), cell_of(res, r, "domain"));
            double *y = column(&d, cell_of(res, r, "y"));
            double *x = column(&d, cell_of(res, r, "x"));
            bool *dom = domain_mask(&d, cell_of(res, r, "domain"));
            double est, se, se_raw, se_dom;
            estimate(pd, cal, y, x, dom, &est, &se, &se_raw, &se_dom);
            double want_se = num(cell_of(res, r, "se"));
            expect_close(est, num(cell_of(res, r, "estimate")), REL_TOL, "estimate", rctx);
            expect_close(se, want_se, REL_TOL, "SE", rctx);
            if (fabs(se_raw - want_se) > 1e-6 * want_se)
                changed++;
            if (fabs(se_dom - want_se) > 1e-6 * want_se)
                domain_differs++;
            here++;
            nresults++;
            free(y);
            free(x);
            free(dom);
        }
        assert_true(here > 0);
        /* otherwise the adjustment is not a no-op: most SEs differ from the unadjusted ones */
        if (on_strata && changed > 0)
            fail_msg("%s: %zu SEs change when post-stratifying on the strata", ctx, changed);
        if (!on_strata && changed * 2 < here)
            fail_msg("%s: only %zu of %zu SEs change with calibration", ctx, changed, here);
        /* Under "average" with a lonely stratum, passing the domain to sipas_variance (fewer
         * strata taking part) would miss R: the header's domain NULL is what R does. */
        if (rule == SIPAS_LONELY_AVERAGE && domain_differs == 0)
            fail_msg("%s: no domain tells NULL from the domain in sipas_variance", ctx);
        sipas_prepared_design_free(pd);
        sipas_calibration_free(cal);
        margins_free(&ms);
        free(w);
        dataset_free(&d);
    }
    assert_true(nresults >= 300);
    print_message("calibrate: %zu base weights, %zu calibrated weights, %zu estimates and SEs; "
                  "%d comparisons to %g relative\n",
                  nbase, nweights, nresults, g_checks, REL_TOL);
    table_free(specs);
    table_free(pops);
    table_free(res);
}

/* ------------------------------------------------------------------ hand-made cases */

/* Eight rows, two strata, cells of sex (2) and age (2). */
static const size_t k_sex[8] = {0, 1, 0, 1, 0, 1, 0, 1};
static const size_t k_age[8] = {0, 0, 1, 1, 0, 0, 1, 1};
static const double k_w[8] = {10, 12, 8, 9, 11, 7, 13, 10};

static void test_refusals(void **state)
{
    (void)state;
    sipas_calibration *cal = NULL;
    sipas_error err = {0};
    const char *sex_labels[] = {"male", "female", "other"};

    /* a cell with population but no sample is named */
    double pop3[3] = {50, 40, 10};
    sipas_margin sex3 = {.name = "sex", .cell = k_sex, .ncells = 3, .population = pop3,
                         .labels = sex_labels};
    assert_int_equal(sipas_poststratify(8, k_w, &sex3, &cal, &err), SIPAS_ERR_VALIDATION);
    assert_null(cal);
    assert_string_equal(err.message, "margin 'sex': cell 'other' has no sample (population 10)");

    /* a cell with sample but population 0 */
    double pop_zero[2] = {100, 0};
    sipas_margin sex0 = {.name = "sex", .cell = k_sex, .ncells = 2, .population = pop_zero};
    assert_int_equal(sipas_poststratify(8, k_w, &sex0, &cal, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "cell 1 has sample weight"));

    /* a cell with neither is ignored; an all-zero-weight cell counts as no sample */
    double pop_spare[3] = {50, 40, 0};
    sipas_margin spare = {.name = "sex", .cell = k_sex, .ncells = 3, .population = pop_spare};
    assert_int_equal(sipas_poststratify(8, k_w, &spare, &cal, &err), SIPAS_OK);
    sipas_calibration_free(cal);
    cal = NULL;
    double w_zero_men[8] = {0, 12, 0, 9, 0, 7, 0, 10};
    double pop2[2] = {60, 40};
    sipas_margin sex2 = {.name = "sex", .cell = k_sex, .ncells = 2, .population = pop2};
    assert_int_equal(sipas_poststratify(8, w_zero_men, &sex2, &cal, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "cell 0 has no sample"));

    /* raking margins whose totals differ */
    double pop_age[2] = {55, 46};
    sipas_margin rm[2] = {sex2, {.name = "age", .cell = k_age, .ncells = 2,
                                 .population = pop_age}};
    assert_int_equal(sipas_rake(8, k_w, 2, rm, NULL, &cal, &err), SIPAS_ERR_VALIDATION);
    assert_null(cal);
    assert_non_null(strstr(err.message, "margin 'sex' sums to 100, margin 'age' to 101"));

    /* bad arguments */
    size_t bad_cells[8] = {0, 1, 0, 2, 0, 1, 0, 1};
    sipas_margin bad = {.cell = bad_cells, .ncells = 2, .population = pop2};
    assert_int_equal(sipas_poststratify(8, k_w, &bad, &cal, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "margin 0: row 3: cell index 2 is not below 2");
    double w_neg[8] = {10, 12, 8, -9, 11, 7, 13, 10};
    assert_int_equal(sipas_poststratify(8, w_neg, &sex2, &cal, &err), SIPAS_ERR_USAGE);
    double pop_nan[2] = {60, NAN};
    sipas_margin nanm = {.cell = k_sex, .ncells = 2, .population = pop_nan};
    assert_int_equal(sipas_poststratify(8, k_w, &nanm, &cal, &err), SIPAS_ERR_USAGE);
    sipas_rake_control zero = {.maxit = 0, .epsilon = 1};
    double pop_age_ok[2] = {55, 45};
    rm[1].population = pop_age_ok;
    assert_int_equal(sipas_rake(8, k_w, 2, rm, &zero, &cal, &err), SIPAS_ERR_USAGE);
    assert_int_equal(sipas_rake(8, k_w, 0, rm, NULL, &cal, &err), SIPAS_ERR_USAGE);

    /* base weights: fewer people than respondents, or no count for a sampled stratum */
    size_t strata[8] = {0, 0, 0, 1, 1, 1, 1, 1};
    double w[8];
    double pop_small[2] = {3, 4};
    assert_int_equal(sipas_base_weights(8, strata, 2, pop_small, w, &err), SIPAS_ERR_VALIDATION);
    assert_string_equal(err.message,
                        "stratum 1: population 4 is not a count of at least the 5 sampled rows");
    double pop_na[2] = {30, NAN};
    assert_int_equal(sipas_base_weights(8, strata, 2, pop_na, w, &err), SIPAS_ERR_VALIDATION);
    double pop_ok[3] = {30, 100, NAN}; /* an unsampled stratum is not read */
    assert_int_equal(sipas_base_weights(8, strata, 3, pop_ok, w, &err), SIPAS_OK);
    assert_true(fabs(w[0] - 10) < 1e-12 && fabs(w[7] - 20) < 1e-12);
    assert_int_equal(sipas_base_weights(8, NULL, 0, pop_ok, w, &err), SIPAS_OK);
    assert_true(fabs(w[5] - 30.0 / 8) < 1e-12);

    /* scores must be finite */
    assert_int_equal(sipas_poststratify(8, k_w, &sex2, &cal, &err), SIPAS_OK);
    double z[8] = {1, 2, 3, 4, 5, INFINITY, 7, 8}, out[8];
    assert_int_equal(sipas_calibration_adjust_scores(cal, z, out, &err), SIPAS_ERR_USAGE);
    sipas_calibration_free(cal);
    sipas_calibration_free(NULL);
}

/* Post-stratified and raked weights hit their margins; a score that is a cell constant times
 * the weight is explained entirely by the calibration (residual 0); the adjustment is linear
 * and can run in place. */
static void test_properties(void **state)
{
    (void)state;
    sipas_error err = {0};
    double pop_sex[2] = {60, 40}, pop_age[2] = {55, 45};
    sipas_margin rm[2] = {{.name = "sex", .cell = k_sex, .ncells = 2, .population = pop_sex},
                          {.name = "age", .cell = k_age, .ncells = 2, .population = pop_age}};
    sipas_rake_control tight = {.maxit = 100, .epsilon = 1e-13};
    sipas_calibration *cal = NULL;
    assert_int_equal(sipas_rake(8, k_w, 2, rm, &tight, &cal, &err), SIPAS_OK);
    assert_true(sipas_calibration_converged(cal));
    assert_true(sipas_calibration_passes(cal) > 1);
    assert_true(sipas_calibration_last_change(cal) < 1e-13 * 80);
    const double *w = sipas_calibration_weights(cal);
    double s[2] = {0, 0}, a[2] = {0, 0};
    for (size_t i = 0; i < 8; i++) {
        s[k_sex[i]] += w[i];
        a[k_age[i]] += w[i];
    }
    assert_true(fabs(s[0] - 60) < 1e-9 && fabs(s[1] - 40) < 1e-9);
    assert_true(fabs(a[0] - 55) < 1e-9 && fabs(a[1] - 45) < 1e-9);

    double z1[8], z2[8], adj1[8], adj2[8], comb[8], adjc[8];
    for (size_t i = 0; i < 8; i++) {
        z1[i] = w[i] * (k_sex[i] ? 0.3 : -0.2); /* in the span of the sex margin */
        z2[i] = w[i] * ((double)i - 3.5) / 10;
        comb[i] = 2 * z1[i] - 0.5 * z2[i];
    }
    assert_int_equal(sipas_calibration_adjust_scores(cal, z1, adj1, &err), SIPAS_OK);
    for (size_t i = 0; i < 8; i++)
        assert_true(fabs(adj1[i]) < 1e-12);
    assert_int_equal(sipas_calibration_adjust_scores(cal, z2, adj2, &err), SIPAS_OK);
    assert_int_equal(sipas_calibration_adjust_scores(cal, comb, adjc, &err), SIPAS_OK);
    for (size_t i = 0; i < 8; i++)
        assert_true(fabs(adjc[i] - (2 * adj1[i] - 0.5 * adj2[i])) < 1e-12);
    memcpy(comb, z2, sizeof comb);
    assert_int_equal(sipas_calibration_adjust_scores(cal, comb, comb, &err), SIPAS_OK);
    assert_memory_equal(comb, adj2, sizeof comb);
    sipas_calibration_free(cal);

    /* post-stratification: g = N_c / sum w, residuals centred within cells */
    assert_int_equal(sipas_poststratify(8, k_w, &rm[0], &cal, &err), SIPAS_OK);
    w = sipas_calibration_weights(cal);
    double men = 10 + 8 + 11 + 13, women = 12 + 9 + 7 + 10;
    for (size_t i = 0; i < 8; i++)
        assert_true(fabs(w[i] - k_w[i] * (k_sex[i] ? 40 / women : 60 / men)) < 1e-12);
    assert_true(sipas_calibration_converged(cal));
    assert_int_equal(sipas_calibration_passes(cal), 1);
    for (size_t i = 0; i < 8; i++)
        z1[i] = w[i] * (k_sex[i] ? 0.3 : -0.2);
    assert_int_equal(sipas_calibration_adjust_scores(cal, z1, adj1, &err), SIPAS_OK);
    for (size_t i = 0; i < 8; i++)
        assert_true(fabs(adj1[i]) < 1e-12);
    sipas_calibration_free(cal);
}

/* Rows of weight 0 keep weight 0 and score 0, and change nothing else: apiclus1 raked with
 * copies of some rows at weight 0 (inside existing PSUs) gives R's weights and SEs. */
static void test_zero_weight_rows(void **state)
{
    (void)state;
    dataset d;
    dataset_load(&d, "apiclus1");
    table *pops = table_read("cal_populations.csv");
    table *res = table_read("cal_results.csv");
    const char *methods[2] = {"post", "rake"}, *cals[2] = {"ps_stype", "rake_stype_schwide"},
               *specs[2] = {"m_stype", "m_stype;m_schwide"};
    for (int k = 0; k < 2; k++) {
        margins ms;
        margins_load(&ms, &d, pops, cals[k], specs[k]);
        /* the extended design: every fifth row repeated with weight 0 */
        size_t extra = d.n / 5, n2 = d.n + extra;
        double *w2 = calloc(n2, sizeof *w2), *y2 = calloc(n2, sizeof *y2);
        size_t *st2 = calloc(n2, sizeof *st2), *psu2 = calloc(n2, sizeof *psu2);
        size_t *cells2[MAX_MARGINS];
        double *y = column(&d, "api00");
        assert_true(w2 && y2 && st2 && psu2);
        margins ms2 = ms;
        for (size_t m = 0; m < ms.count; m++) {
            cells2[m] = calloc(n2, sizeof *cells2[m]);
            assert_non_null(cells2[m]);
            ms2.m[m].cell = cells2[m];
        }
        for (size_t i = 0; i < n2; i++) {
            size_t src = i < d.n ? i : (i - d.n) * 5;
            w2[i] = i < d.n ? d.base[i] : 0;
            y2[i] = y[src];
            st2[i] = d.stratum[src];
            psu2[i] = d.psu[src];
            for (size_t m = 0; m < ms.count; m++)
                cells2[m][i] = ms.cells[m][src];
        }
        sipas_error err = {0};
        sipas_calibration *cal = calibrate(methods[k], n2, w2, &ms2, NULL, &err);
        if (!cal)
            fail_msg("%s", err.message);
        char wcol[64];
        snprintf(wcol, sizeof wcol, "cw_%s", cals[k]);
        double *want = column(&d, wcol);
        const double *cw = sipas_calibration_weights(cal);
        for (size_t i = 0; i < n2; i++)
            expect_close(cw[i], i < d.n ? want[i] : 0, REL_TOL, "weight", cals[k]);
        sipas_design design = {.n = n2, .weight = cw, .nstrata = 1, .stratum = st2,
                               .npsu = d.npsu, .psu = psu2, .fpc = d.fpc};
        sipas_prepared_design *pd = NULL;
        assert_int_equal(sipas_design_prepare(&design, &pd, &err), SIPAS_OK);
        double est, se;
        estimate(pd, cal, y2, NULL, NULL, &est, &se, NULL, NULL);
        bool found = false;
        for (size_t r = 0; r < res->nrows; r++) {
            if (strcmp(cell_of(res, r, "dataset"), "apiclus1") != 0 ||
                strcmp(cell_of(res, r, "cal"), cals[k]) != 0 ||
                strcmp(cell_of(res, r, "y"), "api00") != 0 ||
                strcmp(cell_of(res, r, "domain"), "-") != 0)
                continue;
            expect_close(est, num(cell_of(res, r, "estimate")), REL_TOL, "estimate", cals[k]);
            expect_close(se, num(cell_of(res, r, "se")), REL_TOL, "SE", cals[k]);
            found = true;
        }
        assert_true(found);
        sipas_prepared_design_free(pd);
        sipas_calibration_free(cal);
        for (size_t m = 0; m < ms.count; m++)
            free(cells2[m]);
        free(want);
        free(y);
        free(w2);
        free(y2);
        free(st2);
        free(psu2);
        margins_free(&ms);
    }
    table_free(pops);
    table_free(res);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r_fixtures),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_zero_weight_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
