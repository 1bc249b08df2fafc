/* test_estimate.c - the estimation core against R's survey 4.1.1.
 *
 * The reference values come from tests/fixtures/r/make_estimate_fixtures.R (committed beside its
 * CSVs); this program reads the input columns, recomputes every estimate, standard error, design
 * effect, df and interval, and compares: estimates and SEs to 1e-9 relative, intervals to 1e-7.
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
#include <float.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "sipas/estimate.h"
#include "sipas/init.h"

#define FIXTURE_DIR SIPAS_TEST_FIXTURES "/r/"
#define MAX_COLS 64
#define MAX_TERMS 8

#include "fixture_table.h"

/* ------------------------------------------------------------------ datasets */

typedef struct dataset {
    const char *name;
    table *data;
    size_t n;
    double *weight;
    size_t *stratum, nstrata;
    size_t *psu, npsu;
    double *fpc;
} dataset;

static void dataset_load(dataset *d, const char *name, bool has_strata, bool has_psu)
{
    char file[128];
    snprintf(file, sizeof file, "est_%s.csv", name);
    memset(d, 0, sizeof *d);
    d->name = name;
    d->data = table_read(file);
    d->n = d->data->nrows;
    d->weight = calloc(d->n, sizeof *d->weight);
    d->stratum = calloc(d->n, sizeof *d->stratum);
    d->psu = calloc(d->n, sizeof *d->psu);
    assert_true(d->weight && d->stratum && d->psu);
    size_t cw = table_col(d->data, "weight"), cs = table_col(d->data, "stratum"),
           cp = table_col(d->data, "psu"), cf = table_col(d->data, "fpc");
    for (size_t i = 0; i < d->n; i++) {
        d->weight[i] = num(d->data->cells[i][cw]);
        d->stratum[i] = (size_t)num(d->data->cells[i][cs]);
        d->psu[i] = (size_t)num(d->data->cells[i][cp]);
        if (d->stratum[i] + 1 > d->nstrata)
            d->nstrata = d->stratum[i] + 1;
        if (d->psu[i] + 1 > d->npsu)
            d->npsu = d->psu[i] + 1;
    }
    d->fpc = calloc(d->nstrata, sizeof *d->fpc);
    assert_non_null(d->fpc);
    for (size_t i = 0; i < d->n; i++)
        d->fpc[d->stratum[i]] = num(d->data->cells[i][cf]);
    /* Exercise the NULL defaults: no strata given for one-stratum designs, no PSU for apistrat
     * whose PSU is the row. */
    if (!has_strata) {
        free(d->stratum);
        d->stratum = NULL;
    }
    if (!has_psu) {
        free(d->psu);
        d->psu = NULL;
    }
}

static void dataset_free(dataset *d)
{
    table_free(d->data);
    free(d->weight);
    free(d->stratum);
    free(d->psu);
    free(d->fpc);
}

static sipas_prepared_design *dataset_prepare(const dataset *d, sipas_lonely_psu rule)
{
    sipas_design design = {.n = d->n,
                           .weight = d->weight,
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


/* A column as doubles (NaN for NA); "1" gives NULL (a mean). */
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

/* "col=value" AND-ed into mask; "-" leaves it. */
static void domain_mask(const dataset *d, const char *spec, bool *mask)
{
    for (size_t i = 0; i < d->n; i++)
        mask[i] = true;
    if (strcmp(spec, "-") == 0)
        return;
    char col[64];
    const char *eq = strchr(spec, '=');
    assert_non_null(eq);
    snprintf(col, sizeof col, "%.*s", (int)(eq - spec), spec);
    double value = num(eq + 1);
    double *v = column(d, col);
    for (size_t i = 0; i < d->n; i++)
        mask[i] = v[i] == value;
    free(v);
}

typedef struct term {
    double *y, *x; /* NA cleared to 0 */
    double coef;
} term;

/* Parses "ycol/xcol*coef;..." and removes NA rows from the mask (R's na.rm). */
static size_t parse_terms(const dataset *d, const char *spec, term *terms, bool *mask)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    size_t k = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        assert_true(k < MAX_TERMS);
        char *slash = strchr(tok, '/'), *star = strchr(tok, '*');
        assert_true(slash && star);
        *slash = *star = '\0';
        terms[k].y = column(d, tok);
        terms[k].x = column(d, slash + 1);
        terms[k].coef = num(star + 1);
        for (size_t i = 0; i < d->n; i++) {
            if (isnan(terms[k].y[i]) || (terms[k].x && isnan(terms[k].x[i]))) {
                mask[i] = false;
                terms[k].y[i] = 0;
                if (terms[k].x)
                    terms[k].x[i] = 0;
            }
        }
        k++;
    }
    return k;
}

static void free_terms(term *terms, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        free(terms[j].y);
        free(terms[j].x);
    }
}

static dataset g_sets[4];

static dataset *find_set(const char *name)
{
    for (size_t s = 0; s < 4; s++)
        if (strcmp(g_sets[s].name, name) == 0)
            return &g_sets[s];
    fail_msg("unknown dataset '%s'", name);
    return NULL;
}

static int load_sets(void **state)
{
    (void)state;
    dataset_load(&g_sets[0], "apistrat", true, false);
    dataset_load(&g_sets[1], "apiclus1", false, true);
    dataset_load(&g_sets[2], "apiclus2", false, true);
    dataset_load(&g_sets[3], "sat", true, true);
    return 0;
}

static int free_sets(void **state)
{
    (void)state;
    for (size_t s = 0; s < 4; s++)
        dataset_free(&g_sets[s]);
    return 0;
}

/* ------------------------------------------------------------------ the R fixtures */

static void check_interval(sipas_ci_method method, double p, double variance, double df,
                           double n, double want_l, double want_u, const char *context)
{
    double lo, hi;
    sipas_error err = {0};
    assert_int_equal(sipas_ci_proportion(method, p, variance, df, 0.95, n, &lo, &hi, &err),
                     SIPAS_OK);
    char what[64];
    snprintf(what, sizeof what, "%s interval", sipas_ci_method_name(method));
    if (method == SIPAS_CI_BETA && (p == 0 || p == 1)) {
        /* R gives NaN; we give Clopper-Pearson on n rows (documented in estimate.h). */
        double edge = pow(0.025, 1.0 / n);
        expect_close(lo, p == 1 ? edge : 0, 1e-12, what, context);
        expect_close(hi, p == 1 ? 1 : 1 - edge, 1e-12, what, context);
        return;
    }
    if (method != SIPAS_CI_MEAN && (p == 0 || p == 1)) {
        /* R gives [p, p] (logit) or NaN (asin); we give Wilson at n_eff = n:
         * [0, t^2/(n + t^2)] at p = 0, [n/(n + t^2), 1] at p = 1 (estimate.h). */
        double t = gsl_cdf_tdist_Pinv(0.975, df), t2 = t * t;
        expect_close(lo, p == 1 ? n / (n + t2) : 0, 1e-12, what, context);
        expect_close(hi, p == 1 ? 1 : t2 / (n + t2), 1e-12, what, context);
        return;
    }
    if (method == SIPAS_CI_ASIN && p > 0 && p < 1) {
        /* R squares the sine of an angle below 0 (or past pi/2), which folds the bound back
         * into [0, 1]; we stop at 0 (or 1): documented in estimate.h. */
        double t = gsl_cdf_tdist_Pinv(0.975, df);
        double angle = asin(sqrt(p)), half = t * sqrt(variance) / (2 * sqrt(p * (1 - p)));
        if (angle - half < 0)
            want_l = 0;
        if (angle + half > acos(0.0))
            want_u = 1;
    }
    expect_close(lo, want_l, 1e-7, what, context);
    expect_close(hi, want_u, 1e-7, what, context);
}

static void test_r_results(void **state)
{
    (void)state;
    table *res = table_read("est_results.csv");
    size_t c_set = table_col(res, "dataset"), c_rule = table_col(res, "lonely"),
           c_kind = table_col(res, "kind"), c_terms = table_col(res, "terms"),
           c_dom = table_col(res, "domain"), c_cimask = table_col(res, "ci_mask"),
           c_est = table_col(res, "estimate"), c_se = table_col(res, "se"),
           c_df = table_col(res, "df"), c_n = table_col(res, "n"), c_deff = table_col(res, "deff"),
           c_ci = table_col(res, "logit_l"), c_status = table_col(res, "status");
    static const sipas_ci_method order[] = {SIPAS_CI_LOGIT, SIPAS_CI_MEAN, SIPAS_CI_BETA,
                                            SIPAS_CI_ASIN, SIPAS_CI_WILSON};
    size_t errors_seen = 0, intervals = 0, composites_checked = 0;
    for (size_t r = 0; r < res->nrows; r++) {
        char **row = res->cells[r];
        char context[256];
        snprintf(context, sizeof context, "%s %s %s %s [%s]", row[c_set], row[c_rule],
                 row[c_kind], row[c_dom], row[c_terms]);
        dataset *d = find_set(row[c_set]);
        sipas_prepared_design *pd = dataset_prepare(d, rule_of(row[c_rule]));
        bool *mask = malloc(d->n * sizeof *mask);
        double *scores[MAX_TERMS] = {0};
        double *combined = malloc(d->n * sizeof *combined);
        assert_true(mask && combined);
        term terms[MAX_TERMS];
        domain_mask(d, row[c_dom], mask);
        size_t k = parse_terms(d, row[c_terms], terms, mask);
        double est[MAX_TERMS], coef[MAX_TERMS];
        sipas_error err = {0};
        for (size_t j = 0; j < k; j++) {
            sipas_ratio ratio;
            scores[j] = malloc(d->n * sizeof *scores[j]);
            assert_non_null(scores[j]);
            if (sipas_ratio_estimate(pd, terms[j].y, terms[j].x, mask, &ratio, scores[j], &err))
                fail_msg("%s: %s", context, err.message);
            est[j] = ratio.estimate;
            coef[j] = terms[j].coef;
        }
        double p, variance;
        if (sipas_composite(d->n, k, est, (const double *const *)scores, coef, &p, combined,
                            &err))
            fail_msg("%s: %s", context, err.message);
        sipas_status st = sipas_variance(pd, combined, mask, &variance, &err);
        if (strncmp(row[c_status], "error:", 6) == 0) {
            /* R: "Stratum (11) has only one PSU at stage 1" */
            assert_int_equal(st, SIPAS_ERR_MATH);
            const char *open = strchr(row[c_status], '(');
            char want[64];
            snprintf(want, sizeof want, "stratum %ld has only one PSU", strtol(open + 1, NULL, 10));
            if (!strstr(err.message, want))
                fail_msg("%s: message '%s' lacks '%s'", context, err.message, want);
            errors_seen++;
        } else {
            if (st != SIPAS_OK)
                fail_msg("%s: %s", context, err.message);
            expect_close(p, num(row[c_est]), 1e-9, "estimate", context);
            expect_close(sqrt(variance), num(row[c_se]), 1e-9, "se", context);
            double want_deff = num(row[c_deff]);
            if (!isnan(want_deff) || strcmp(row[c_kind], "criterion") == 0) {
                double deff;
                assert_int_equal(sipas_ratio_deff(pd, terms[0].y, terms[0].x, mask, p, variance,
                                                  false, &deff, &err),
                                 SIPAS_OK);
                expect_close(deff, want_deff, 1e-9, "deff", context);
                /* a combination of one ratio has that ratio's design effect */
                if (k == 1 && coef[0] == 1) {
                    double composite;
                    assert_int_equal(sipas_composite_deff(pd, combined, mask, variance, false,
                                                          &composite, &err), SIPAS_OK);
                    expect_close(composite, deff, 1e-12, "composite deff", context);
                    composites_checked++;
                }
            }
            double want_df = num(row[c_df]);
            if (!isnan(want_df)) {
                if (strcmp(row[c_cimask], "valid") == 0)
                    for (size_t i = 0; i < d->n; i++)
                        mask[i] = mask[i] && terms[0].x[i] != 0;
                double df, n = 0;
                assert_int_equal(sipas_design_df(pd, mask, &df, &err), SIPAS_OK);
                for (size_t i = 0; i < d->n; i++)
                    n += mask[i];
                expect_close(df, want_df, 0, "df", context);
                expect_close(n, num(row[c_n]), 0, "n", context);
                for (size_t m = 0; m < 5; m++)
                    check_interval(order[m], p, variance, df, n, num(row[c_ci + 2 * m]),
                                   num(row[c_ci + 2 * m + 1]), context);
                intervals++;
            }
        }
        for (size_t j = 0; j < k; j++)
            free(scores[j]);
        free_terms(terms, k);
        free(mask);
        free(combined);
        sipas_prepared_design_free(pd);
    }
    assert_true(errors_seen > 0);
    assert_true(intervals > 100);
    assert_true(composites_checked > 10);
    print_message("[          ] %zu R estimates, %zu with intervals, %zu lonely-PSU errors, %d "
                  "values compared\n",
                  res->nrows, intervals, errors_seen, g_checks);
    table_free(res);
}

static void test_r_covariance(void **state)
{
    (void)state;
    table *cov = table_read("est_covariance.csv");
    dataset *d = find_set("sat");
    size_t n = d->n;
    bool *ma = malloc(n * sizeof *ma), *mb = malloc(n * sizeof *mb);
    double *za = malloc(n * sizeof *za), *zb = malloc(n * sizeof *zb);
    assert_true(ma && mb && za && zb);
    for (size_t r = 0; r < cov->nrows; r++) {
        char **row = cov->cells[r];
        char context[128];
        snprintf(context, sizeof context, "covariance %s %s %s/%s", row[0], row[1], row[3],
                 row[4]);
        sipas_prepared_design *pd = dataset_prepare(d, rule_of(row[0]));
        double *y = column(d, row[1]), *x = column(d, row[2]);
        for (size_t i = 0; i < n; i++)
            if (isnan(y[i]) || isnan(x[i]))
                y[i] = x[i] = 0; /* never NA here: the indicators are 0/1 */
        domain_mask(d, row[3], ma);
        domain_mask(d, row[4], mb);
        sipas_ratio ra, rb;
        sipas_error err = {0};
        assert_int_equal(sipas_ratio_estimate(pd, y, x, ma, &ra, za, &err), SIPAS_OK);
        assert_int_equal(sipas_ratio_estimate(pd, y, x, mb, &rb, zb, &err), SIPAS_OK);
        /* R computed these on the full design (one svyratio over d*y, d*x columns), where every
         * stratum takes part: NULL domains say the same. */
        double c, va, vb;
        assert_int_equal(sipas_covariance(pd, za, NULL, zb, NULL, &c, &err), SIPAS_OK);
        assert_int_equal(sipas_variance(pd, za, NULL, &va, &err), SIPAS_OK);
        assert_int_equal(sipas_variance(pd, zb, NULL, &vb, &err), SIPAS_OK);
        /* a covariance that is 0 in exact arithmetic is rounding noise on both sides: compare
         * on the scale of the variances */
        g_checks++;
        if (!(fabs(c - num(row[5])) <= 1e-9 * sqrt(num(row[6]) * num(row[7])) + 1e-17))
            fail_msg("%s: covariance %.17g, R %.17g", context, c, num(row[5]));
        expect_close(va, num(row[6]), 1e-9, "variance a", context);
        expect_close(vb, num(row[7]), 1e-9, "variance b", context);
        /* Cov(a, a) with its domain is the domain variance. */
        double caa, vaa;
        assert_int_equal(sipas_covariance(pd, za, ma, za, ma, &caa, &err), SIPAS_OK);
        assert_int_equal(sipas_variance(pd, za, ma, &vaa, &err), SIPAS_OK);
        assert_true(caa == vaa || (isnan(caa) && isnan(vaa))); /* NaN: AVERAGE, no stratum left */
        free(y);
        free(x);
        sipas_prepared_design_free(pd);
    }
    free(ma);
    free(mb);
    free(za);
    free(zb);
    table_free(cov);
}

/* ------------------------------------------------------------------ published values */

/* The ratio and its variance over the domain, both checked to succeed. */
static void ratio_and_variance(const sipas_prepared_design *pd, const double *y, const double *x,
                               const bool *domain, sipas_ratio *r, double *scores, double *v)
{
    sipas_error err = {0};
    if (sipas_ratio_estimate(pd, y, x, domain, r, scores, &err) != SIPAS_OK ||
        sipas_variance(pd, scores, domain, v, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
}

/* svymean(~api00, design, deff=TRUE) against its published estimate, SE (to tol) and deff. */
static void check_published_mean(const dataset *d, const sipas_prepared_design *pd, double est,
                                 double se, double deff, double tol)
{
    double *z = malloc(d->n * sizeof *z), *api00 = column(d, "api00"), v, got_deff;
    sipas_ratio r;
    sipas_error err = {0};
    ratio_and_variance(pd, api00, NULL, NULL, &r, z, &v);
    assert_int_equal(sipas_ratio_deff(pd, api00, NULL, NULL, r.estimate, v, false, &got_deff, &err),
                     SIPAS_OK);
    assert_float_equal(r.estimate, est, tol);
    assert_float_equal(sqrt(v), se, tol);
    assert_float_equal(got_deff, deff, 5e-6);
    free(api00);
    free(z);
}

/* statistics.md's public reference values (R survey 4.1.1, data(api)), to their printed
 * precision: a check that does not depend on our own fixture script. */
static void test_published_values(void **state)
{
    (void)state;
    dataset *strat = find_set("apistrat"), *clus1 = find_set("apiclus1");
    sipas_error err = {0};
    sipas_ratio r;
    double v, df, lo, hi;
    sipas_prepared_design *ps = dataset_prepare(strat, SIPAS_LONELY_FAIL);
    sipas_prepared_design *pc = dataset_prepare(clus1, SIPAS_LONELY_FAIL);
    check_published_mean(strat, ps, 662.2873632, 9.4089408, 1.20446, 5e-8);
    check_published_mean(clus1, pc, 644.169399, 23.542241, 9.34587, 5e-7);
    double *z = malloc(strat->n * sizeof *z);
    double *stu = column(strat, "api_stu"), *enroll = column(strat, "enroll");
    ratio_and_variance(ps, stu, enroll, NULL, &r, z, &v);
    assert_float_equal(r.estimate, 0.8369569, 5e-8);
    assert_float_equal(sqrt(v), 0.0077571, 5e-8);
    free(stu);
    free(enroll);
    free(z);

    z = malloc(clus1->n * sizeof *z);
    double *api00 = column(clus1, "api00");
    /* svyby(~api00, ~stype, dclus1, svymean) */
    static const double by_est[] = {648.868, 618.571, 631.440};
    static const double by_se[] = {22.3624, 38.0202, 31.6095};
    double *stype = column(clus1, "stype");
    bool *dom = malloc(clus1->n * sizeof *dom);
    for (size_t s = 0; s < 3; s++) {
        for (size_t i = 0; i < clus1->n; i++)
            dom[i] = stype[i] == (double)s;
        ratio_and_variance(pc, api00, NULL, dom, &r, z, &v);
        assert_float_equal(r.estimate, by_est[s], 5e-4);
        assert_float_equal(sqrt(v), by_se[s], 5e-5);
    }
    /* svyciprop(~I(ell==0), dclus1): 0.0218579, SE 0.0226224, df 14, logit and beta CIs */
    double *ell0 = column(clus1, "ell0");
    ratio_and_variance(pc, ell0, NULL, NULL, &r, z, &v);
    assert_int_equal(sipas_design_df(pc, NULL, &df, &err), SIPAS_OK);
    assert_float_equal(r.estimate, 0.0218579, 5e-8);
    assert_float_equal(sqrt(v), 0.0226224, 1e-7); /* R prints 0.02262245: the note truncates */
    assert_float_equal(df, 14, 0);
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_LOGIT, r.estimate, v, df, 0.95, 183, &lo, &hi,
                                         &err),
                     SIPAS_OK);
    assert_float_equal(lo, 0.0023047, 5e-8);
    assert_float_equal(hi, 0.17775, 5e-6);
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_BETA, r.estimate, v, df, 0.95, 183, &lo, &hi,
                                         &err),
                     SIPAS_OK);
    assert_float_equal(lo, 0.000216, 5e-7);
    assert_float_equal(hi, 0.13751, 5e-6);
    free(ell0);
    free(stype);
    free(dom);
    free(api00);
    free(z);
    sipas_prepared_design_free(ps);
    sipas_prepared_design_free(pc);
}

/* ------------------------------------------------------------------ behaviour */

static void test_fpc_fraction_equals_count(void **state)
{
    (void)state;
    dataset *strat = find_set("apistrat");
    double fraction[3];
    size_t sampled[3] = {0};
    for (size_t i = 0; i < strat->n; i++)
        sampled[strat->stratum[i]]++;
    for (size_t h = 0; h < 3; h++)
        fraction[h] = (double)sampled[h] / strat->fpc[h];
    sipas_design counts = {.n = strat->n, .weight = strat->weight, .nstrata = 3,
                           .stratum = strat->stratum, .fpc = strat->fpc};
    sipas_design fractions = counts;
    fractions.fpc = fraction;
    sipas_design none = counts;
    none.fpc = NULL;
    sipas_prepared_design *a = NULL, *b = NULL, *c = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_design_prepare(&counts, &a, &err), SIPAS_OK);
    assert_int_equal(sipas_design_prepare(&fractions, &b, &err), SIPAS_OK);
    assert_int_equal(sipas_design_prepare(&none, &c, &err), SIPAS_OK);
    double *y = column(strat, "api00"), *z = malloc(strat->n * sizeof *z), va, vb, vc;
    sipas_ratio r;
    assert_int_equal(sipas_ratio_estimate(a, y, NULL, NULL, &r, z, &err), SIPAS_OK);
    assert_int_equal(sipas_variance(a, z, NULL, &va, &err), SIPAS_OK);
    assert_int_equal(sipas_variance(b, z, NULL, &vb, &err), SIPAS_OK);
    assert_int_equal(sipas_variance(c, z, NULL, &vc, &err), SIPAS_OK);
    assert_float_equal(va, vb, 1e-12 * va);
    assert_true(vc > va); /* the fpc shrinks the variance */
    free(y);
    free(z);
    sipas_prepared_design_free(a);
    sipas_prepared_design_free(b);
    sipas_prepared_design_free(c);
}

static void test_bad_designs(void **state)
{
    (void)state;
    size_t stratum[4] = {0, 0, 1, 1}, psu[4] = {0, 1, 1, 2};
    double weight[4] = {1, 2, 3, 4}, fpc[2] = {10, 0.5};
    sipas_design d = {.n = 4, .weight = weight, .nstrata = 2, .stratum = stratum, .npsu = 3,
                      .psu = psu};
    sipas_prepared_design *pd = NULL;
    sipas_error err = {0};
    /* the data's fault, not the caller's: a validation error (exit 1, not 2) */
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "nested"));
    assert_null(pd);
    psu[2] = 2;
    psu[3] = 3;
    d.npsu = 3;
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "PSU index 3"));
    d.npsu = 4;
    d.fpc = fpc;
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "mixes"));
    fpc[1] = 1.5; /* fewer PSUs in the population than sampled */
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "stratum 1"));
    d.fpc = NULL;
    weight[2] = -1;
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "row 2"));
    weight[2] = 3;
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_OK);
    /* an empty domain has no estimate */
    double y[4] = {1, 0, 1, 1}, x[4] = {1, 1, 0, 0};
    bool dom[4] = {false, false, true, true};
    sipas_ratio r;
    assert_int_equal(sipas_ratio_estimate(pd, y, x, dom, &r, NULL, &err), SIPAS_ERR_MATH);
    y[1] = NAN;
    assert_int_equal(sipas_ratio_estimate(pd, y, x, NULL, &r, NULL, &err), SIPAS_ERR_USAGE);
    /* the summary names the first row whose score is not finite (it tests the PSU sums) */
    double bad[4] = {0.5, 0.25, INFINITY, NAN};
    sipas_estimate_summary sum;
    assert_int_equal(sipas_composite_summary(pd, bad, NULL, NULL, NULL, false, &sum, &err),
                     SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "row 2: score is not finite"));
    sipas_prepared_design_free(pd);
    /* finite scores whose PSU sums overflow are not taken for one */
    size_t two_psus[4] = {0, 0, 1, 1}, one_stratum[4] = {0, 0, 0, 0};
    sipas_design clusters = {.n = 4, .weight = weight, .nstrata = 1, .stratum = one_stratum,
                             .npsu = 2, .psu = two_psus};
    assert_int_equal(sipas_design_prepare(&clusters, &pd, &err), SIPAS_OK);
    double huge[4] = {DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX};
    sipas_error overflow_err = {0};
    (void)sipas_composite_summary(pd, huge, NULL, NULL, NULL, false, &sum, &overflow_err);
    assert_null(strstr(overflow_err.message, "not finite"));
    sipas_prepared_design_free(pd);
}

static void test_intervals_without_df(void **state)
{
    (void)state;
    double lo, hi;
    sipas_error err = {0};
    for (int m = SIPAS_CI_LOGIT; m <= SIPAS_CI_ASIN; m++) {
        assert_int_equal(sipas_ci_proportion((sipas_ci_method)m, 0.8, 0.001, 0, 0.95, 50, &lo,
                                             &hi, &err),
                         SIPAS_OK);
        assert_true(isnan(lo) && isnan(hi));
        assert_int_equal(sipas_ci_proportion((sipas_ci_method)m, 0.8, INFINITY, 10, 0.95, 50, &lo,
                                             &hi, &err),
                         SIPAS_OK);
        assert_true(isnan(lo) && isnan(hi));
        assert_int_equal(sipas_ci_proportion((sipas_ci_method)m, 0.8, 0.001, 10, 0.95, 50, &lo,
                                             &hi, &err),
                         SIPAS_OK);
        assert_true(lo < 0.8 && hi > 0.8);
        sipas_ci_method parsed;
        assert_int_equal(sipas_ci_method_parse(sipas_ci_method_name((sipas_ci_method)m), &parsed,
                                               &err),
                         SIPAS_OK);
        assert_int_equal(parsed, m);
    }
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_LOGIT, 1.2, 0.001, 10, 0.95, 50, &lo, &hi, &err),
                     SIPAS_ERR_USAGE);
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_MEAN, -0.2, 0.001, 10, 0.95, 50, &lo, &hi, &err),
                     SIPAS_OK); /* an NPS may be negative */
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_MEAN, 0.5, 0.001, 10, 1.0, 50, &lo, &hi, &err),
                     SIPAS_ERR_USAGE);
    sipas_ci_method parsed;
    assert_int_equal(sipas_ci_method_parse("likelihood", &parsed, &err), SIPAS_ERR_USAGE);
    /* the asin interval stays in [0, 1] where R's would fold back */
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_ASIN, 0.01, 0.01, 10, 0.95, 50, &lo, &hi, &err),
                     SIPAS_OK);
    assert_float_equal(lo, 0, 0);
}

/* Korn-Graubard with large shapes, where gsl_cdf_beta_Pinv alone returns NaN: p = 0.89,
 * V = p(1-p)/1700, n = 2000, df = 40. R: n_eff 1600.686, qbeta bounds below, from
 *   ne <- 1700 * (qt(.025, 1999) / qt(.025, 40))^2
 *   sprintf("%.17g", c(qbeta(.025, ne * .89, ne * .11 + 1), qbeta(.975, ne * .89 + 1, ne * .11))) */
static void test_beta_large_shapes(void **state)
{
    (void)state;
    double lo, hi, p = 0.89;
    sipas_error err = {0};
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_BETA, p, p * (1 - p) / 1700, 40, 0.95, 2000,
                                         &lo, &hi, &err),
                     SIPAS_OK);
    expect_close(lo, 0.87363873946710957, 1e-9, "beta lower", "large shapes");
    expect_close(hi, 0.90491450799146678, 1e-9, "beta upper", "large shapes");
}

static void test_nchs_and_kish(void **state)
{
    (void)state;
    /* p = 0.85, SE 0.02 (n_eff 318), CI width 0.08, df 20: presentable */
    assert_int_equal(sipas_nchs_flags(0.85, 0.0004, 500, 0.81, 0.89, 20), 0);
    unsigned f = sipas_nchs_flags(0.85, 0.01, 500, 0.6, 0.95, 5);
    assert_true(f & SIPAS_NCHS_SMALL_N_EFF);
    assert_true(f & SIPAS_NCHS_WIDE_CI);
    assert_true(f & SIPAS_NCHS_FEW_DF);
    assert_true(f & SIPAS_NCHS_SUPPRESS);
    /* p = 0.06, width 0.10: relative width 1.67 */
    f = sipas_nchs_flags(0.06, 0.00002, 5000, 0.02, 0.12, 30);
    assert_int_equal(f, SIPAS_NCHS_WIDE_RELATIVE);
    /* n_eff is capped at n */
    assert_true(sipas_nchs_flags(0.5, 1e-6, 20, 0.49, 0.51, 30) & SIPAS_NCHS_SMALL_N_EFF);
    assert_true(sipas_nchs_flags(0.5, 0.001, 200, NAN, NAN, 30) & SIPAS_NCHS_NO_CI);
    assert_string_equal(sipas_nchs_flag_name(SIPAS_NCHS_FEW_DF), "few_df");
    assert_null(sipas_nchs_flag_name(3));
    assert_float_equal(sipas_effective_n(0.5, 0.0025), 100, 1e-9);

    double w[3] = {1, 3, 2};
    sipas_design d = {.n = 3, .weight = w};
    sipas_prepared_design *pd = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_design_prepare(&d, &pd, &err), SIPAS_OK);
    double x[3] = {1, 1, 0}, kish, df;
    assert_int_equal(sipas_kish_deff(pd, x, NULL, &kish, &err), SIPAS_OK);
    assert_float_equal(kish, 2.0 * 10 / 16, 1e-15);
    assert_int_equal(sipas_design_df(pd, NULL, &df, &err), SIPAS_OK);
    assert_float_equal(df, 2, 0);
    sipas_prepared_design_free(pd);
}

/* An overall index built from element composites equals the one built from criteria. */
static void test_nested_composite(void **state)
{
    (void)state;
    dataset *d = find_set("sat");
    sipas_prepared_design *pd = dataset_prepare(d, SIPAS_LONELY_ADJUST);
    static const char *const ys[] = {"y_q1", "y_q2", "y_q3", "y_q4", "y_q5", "y_q6"};
    static const char *const xs[] = {"x_q1", "x_q2", "x_q3", "x_q4", "x_q5", "x_q6"};
    double *z[6], est[6];
    sipas_error err = {0};
    for (size_t j = 0; j < 6; j++) {
        double *y = column(d, ys[j]), *x = column(d, xs[j]);
        sipas_ratio r;
        z[j] = malloc(d->n * sizeof *z[j]);
        assert_int_equal(sipas_ratio_estimate(pd, y, x, NULL, &r, z[j], &err), SIPAS_OK);
        est[j] = r.estimate;
        free(y);
        free(x);
    }
    double *ez[3], eest[3];
    static const double third[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, half[2] = {0.5, 0.5}, one = 1;
    for (size_t e = 0; e < 3; e++)
        ez[e] = malloc(d->n * sizeof *ez[e]);
    assert_int_equal(sipas_composite(d->n, 3, est, (const double *const *)z, third, &eest[0], ez[0],
                                     &err),
                     SIPAS_OK);
    assert_int_equal(sipas_composite(d->n, 2, est + 3, (const double *const *)z + 3, half,
                                     &eest[1], ez[1], &err),
                     SIPAS_OK);
    assert_int_equal(sipas_composite(d->n, 1, est + 5, (const double *const *)z + 5, &one,
                                     &eest[2], ez[2], &err),
                     SIPAS_OK);
    static const double ew[3] = {0.25, 0.25, 0.5};
    static const double flat[6] = {0.25 / 3, 0.25 / 3, 0.25 / 3, 0.125, 0.125, 0.5};
    double nested, flat_est, vn, vf, *zn = malloc(d->n * sizeof *zn),
                                      *zf = malloc(d->n * sizeof *zf);
    assert_int_equal(sipas_composite(d->n, 3, eest, (const double *const *)ez, ew, &nested, zn,
                                     &err),
                     SIPAS_OK);
    assert_int_equal(sipas_composite(d->n, 6, est, (const double *const *)z, flat, &flat_est, zf,
                                     &err),
                     SIPAS_OK);
    assert_int_equal(sipas_variance(pd, zn, NULL, &vn, &err), SIPAS_OK);
    assert_int_equal(sipas_variance(pd, zf, NULL, &vf, &err), SIPAS_OK);
    assert_float_equal(nested, flat_est, 1e-14);
    assert_float_equal(vn, vf, 1e-12 * vf);
    for (size_t j = 0; j < 6; j++)
        free(z[j]);
    for (size_t e = 0; e < 3; e++)
        free(ez[e]);
    free(zn);
    free(zf);
    sipas_prepared_design_free(pd);
}

/* ------------------------------------------------------------------ degenerate designs */

/* tests/fixtures/r/deg_results.csv (make_degenerate_fixtures.R): p = 0 or 1, PSUs alike, a
 * domain equal to a PSU, a census stratum and a lonely stratum under every rule, with and
 * without fpc. The estimate and SE agree with R (R's rounding noise is exactly 0 here); each
 * interval is R's where R gives one containing p with V > 0, else the documented rule; every
 * interval is finite, within [0, 1] and contains p. */
static void test_degenerate_designs(void **state)
{
    (void)state;
    table *data = table_read("deg_data.csv");
    table *res = table_read("deg_results.csv");
    size_t n = data->nrows;
    double weight[32], fpc[3], x[32];
    size_t stratum[32], psu[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++) {
        weight[i] = num(cell_of(data, i, "weight"));
        stratum[i] = (size_t)num(cell_of(data, i, "stratum")) - 1;
        psu[i] = (size_t)num(cell_of(data, i, "psu")) - 1;
        fpc[stratum[i]] = num(cell_of(data, i, "fpc"));
        x[i] = 1;
    }
    size_t checked_zero = 0, checked_r = 0;
    for (size_t r = 0; r < res->nrows; r++) {
        const char *variable = cell_of(res, r, "variable"), *dom = cell_of(res, r, "domain");
        const char *rule = cell_of(res, r, "rule"), *method = cell_of(res, r, "method");
        bool with_fpc = strcmp(cell_of(res, r, "fpc"), "TRUE") == 0;
        char context[160];
        snprintf(context, sizeof context, "%s, domain %s, %s, fpc %d, %s", variable, dom, rule,
                 with_fpc, method);
        sipas_design design = {.n = n, .weight = weight, .nstrata = 3, .stratum = stratum,
                               .npsu = 5, .psu = psu, .fpc = with_fpc ? fpc : NULL,
                               .lonely_psu = rule_of(rule)};
        sipas_prepared_design *pd = NULL;
        sipas_error err = {0};
        assert_int_equal(sipas_design_prepare(&design, &pd, &err), SIPAS_OK);
        double y[32], z[32];
        bool domain[32];
        for (size_t i = 0; i < n; i++) {
            y[i] = num(cell_of(data, i, variable));
            domain[i] = strcmp(dom, "all") == 0 ? true
                        : strcmp(dom, "psu1") == 0 ? psu[i] == 0 : stratum[i] != 2;
        }
        sipas_ratio ratio;
        assert_int_equal(sipas_ratio_estimate(pd, y, x, domain, &ratio, z, &err), SIPAS_OK);
        double variance = NAN;
        sipas_status st = sipas_variance(pd, z, domain, &variance, &err);
        if (strcmp(cell_of(res, r, "r_status"), "fail") == 0) {
            /* R stops on the lonely stratum; so do we, naming it */
            assert_int_equal(st, SIPAS_ERR_MATH);
            assert_non_null(strstr(err.message, "has only one PSU"));
            sipas_prepared_design_free(pd);
            continue;
        }
        assert_int_equal(st, SIPAS_OK);
        expect_close(ratio.estimate, num(cell_of(res, r, "estimate")), 1e-12, "estimate", context);
        double want_se = num(cell_of(res, r, "want_se"));
        if (want_se == 0) {
            if (variance != 0)
                fail_msg("%s: variance %.3g is rounding noise, not exactly 0", context, variance);
            checked_zero++;
        } else {
            expect_close(sqrt(variance), want_se, 1e-9, "se", context);
        }
        double df;
        assert_int_equal(sipas_design_df(pd, domain, &df, &err), SIPAS_OK);
        sipas_ci_method m;
        assert_int_equal(sipas_ci_method_parse(method, &m, &err), SIPAS_OK);
        double lo, hi, p = ratio.estimate;
        assert_int_equal(sipas_ci_proportion(m, p, variance, df, 0.95, (double)ratio.n_domain,
                                             &lo, &hi, &err),
                         SIPAS_OK);
        double want_lo = num(cell_of(res, r, "want_ci_low")), want_hi = num(cell_of(res, r, "want_ci_high"));
        expect_close(lo, want_lo, 1e-9, "ci_low", context);
        expect_close(hi, want_hi, 1e-9, "ci_high", context);
        if (!isnan(lo)) {
            /* mean (Wald) is unbounded here; the index cuts it to [0, 1] for shares */
            bool bounded = m == SIPAS_CI_MEAN || (lo >= 0 && hi <= 1);
            if (!(isfinite(lo) && isfinite(hi) && bounded && lo <= p && p <= hi))
                fail_msg("%s: interval [%g, %g] for %g", context, lo, hi, p);
            if (!isnan(num(cell_of(res, r, "r_ci_low"))) && want_lo == num(cell_of(res, r, "r_ci_low")))
                checked_r++;
        }
        sipas_prepared_design_free(pd);
    }
    /* the fixture must reach every kind of case, or the test proves little */
    assert_true(checked_zero >= 100);
    assert_true(checked_r >= 20);
    table_free(data);
    table_free(res);
}

/* Two PSUs with the same share (the two hospitals): R's SE is rounding noise, ours 0;
 * a Korn-Graubard interval then has n_eff = n, never shapes of 1e29. */
static void test_zero_variance_threshold(void **state)
{
    (void)state;
    enum { N = 60 };
    double y[N], w[N], z[N];
    size_t psu[N];
    for (size_t i = 0; i < N; i++) {
        psu[i] = i < 30 ? 0 : 1;
        y[i] = (i % 10) < 7; /* 70% in each hospital */
        w[i] = 1.0 / 3.0; /* not a power of two: sums round */
    }
    sipas_design design = {.n = N, .weight = w, .npsu = 2, .psu = psu};
    sipas_prepared_design *pd = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_design_prepare(&design, &pd, &err), SIPAS_OK);
    sipas_ratio ratio;
    assert_int_equal(sipas_ratio_estimate(pd, y, NULL, NULL, &ratio, z, &err), SIPAS_OK);
    double v = -1, cov = -1;
    assert_int_equal(sipas_variance(pd, z, NULL, &v, &err), SIPAS_OK);
    assert_true(v == 0);
    assert_int_equal(sipas_covariance(pd, z, NULL, z, NULL, &cov, &err), SIPAS_OK);
    assert_true(cov == 0);
    /* a real difference of one respondent in 30 stays */
    y[0] = 0;
    assert_int_equal(sipas_ratio_estimate(pd, y, NULL, NULL, &ratio, z, &err), SIPAS_OK);
    assert_int_equal(sipas_variance(pd, z, NULL, &v, &err), SIPAS_OK);
    assert_true(v > 1e-5);
    sipas_prepared_design_free(pd);
    /* V = 0 at 0 < p < 1: every method finite, in [0, 1], containing p; beta is Clopper-Pearson */
    for (int m = SIPAS_CI_LOGIT; m <= SIPAS_CI_ASIN; m++) {
        double lo, hi;
        assert_int_equal(sipas_ci_proportion((sipas_ci_method)m, 0.7, 0, 1, 0.95, 60, &lo, &hi,
                                             &err),
                         SIPAS_OK);
        assert_true(lo >= 0 && lo <= 0.7 && hi >= 0.7 && hi <= 1);
        if (m != SIPAS_CI_MEAN)
            assert_true(hi - lo > 0.1); /* n = 60, not a zero-width interval */
    }
    double lo, hi;
    assert_int_equal(sipas_ci_proportion(SIPAS_CI_BETA, 0.7, 0, 1, 0.95, 60, &lo, &hi, &err),
                     SIPAS_OK);
    assert_float_equal(lo, gsl_cdf_beta_Pinv(0.025, 42, 19), 1e-12);
    assert_float_equal(hi, gsl_cdf_beta_Pinv(0.975, 43, 18), 1e-12);
}

/* ------------------------------------------------- the one-pass summary, bit for bit */

static uint64_t summary_rng = 0x2640;

static unsigned draw_below(unsigned limit)
{
    summary_rng = summary_rng * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)((summary_rng >> 33) % limit);
}

/* Same bits, or both NaN. */
static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* The SRS design effect as the two passes of svyvar compute it (sipas_ratio_deff's formula,
 * written out here in the order of the rows): the reference the summary must give to the bit. */
static double reference_deff(size_t n, const double *w, const bool *domain, const double *resid,
                             double variance)
{
    double wsum = 0, wr = 0, ss = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (domain[i] && w[i] != 0) {
            m++;
            wsum += w[i];
        }
    if (m < 2 || !isfinite(variance))
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (domain[i] && w[i] != 0)
            wr += w[i] * resid[i];
    double rbar = wr / wsum, md = (double)m;
    for (size_t i = 0; i < n; i++)
        if (domain[i] && w[i] != 0)
            ss += w[i] * (resid[i] - rbar) * (resid[i] - rbar);
    double s2 = ss / wsum * md / (md - 1);
    if (!(wsum > md))
        return NAN;
    double vsrs = s2 * wsum * wsum * (wsum - md) / (wsum * md);
    return vsrs > 0 ? variance / vsrs : NAN;
}

/* A fused call's scores, ratio and summary are those of the separate calls, bit for bit. */
static void assert_same_fused(const double *fused_z, const sipas_ratio *fused_ratio,
                              const sipas_estimate_summary *fused, const double *z,
                              const sipas_ratio *ratio, size_t n, double v, double deff,
                              double kish, size_t psus, size_t strata)
{
    assert_memory_equal(fused_z, z, n * sizeof *z);
    assert_memory_equal(fused_ratio, ratio, sizeof *ratio);
    assert_true(same_double(fused->variance, v) && same_double(fused->deff, deff) &&
                same_double(fused->kish_deff, kish));
    assert_true(fused->psus == psus && fused->strata == strata);
}

/* sipas_ratio_summary and sipas_composite_summary against the one-figure functions on random
 * designs: lonely strata under every rule, censuses, zero weights, missing answers, domains
 * down to one row. Every figure must be the same double, since the index now takes them from
 * the summary and the R agreement tests were made with the one-figure functions. */
static void test_summary_same_bits(void **state)
{
    (void)state;
    enum { MAX_N = 600, MAX_STRATA = 5, MAX_PSU_PER_STRATUM = 4 };
    static double w[MAX_N], y[MAX_N], x[MAX_N], z[MAX_N], resid[MAX_N], fpc[MAX_STRATA];
    static size_t stratum[MAX_N], psu[MAX_N];
    static bool domain[MAX_N], valid[MAX_N];
    size_t compared = 0;
    for (int trial = 0; trial < 400; trial++) {
        size_t nstrata = 1 + draw_below(MAX_STRATA), n = 0;
        size_t npsu = 0;
        for (size_t h = 0; h < nstrata; h++) {
            size_t psus = 1 + draw_below(MAX_PSU_PER_STRATUM);
            fpc[h] = trial % 3 == 0 ? NAN : trial % 3 == 1 ? (double)psus : (double)(psus + 3);
            for (size_t k = 0; k < psus; k++, npsu++)
                for (size_t r = 1 + draw_below(MAX_N / (MAX_STRATA * MAX_PSU_PER_STRATUM));
                     r > 0; r--, n++) {
                    stratum[n] = h;
                    psu[n] = npsu;
                    w[n] = draw_below(8) == 0 ? 0 : 0.5 + draw_below(1000) / 37.0;
                    x[n] = draw_below(5) != 0;
                    y[n] = x[n] * (draw_below(4) != 0);
                    domain[n] = trial % 7 == 0 || draw_below(3) != 0;
                    valid[n] = domain[n] && x[n] != 0 && w[n] > 0;
                }
        }
        sipas_design design = {.n = n, .weight = trial % 5 ? w : NULL, .nstrata = nstrata,
                               .stratum = stratum, .npsu = npsu, .psu = psu,
                               .fpc = trial % 3 ? fpc : NULL,
                               .lonely_psu = (sipas_lonely_psu)(1 + trial % 4)};
        const double *weight = design.weight;
        double ones[MAX_N];
        for (size_t i = 0; i < n; i++)
            ones[i] = 1;
        if (!weight)
            weight = ones;
        sipas_prepared_design *pd = NULL;
        sipas_error err = {0};
        assert_int_equal(sipas_design_prepare(&design, &pd, &err), SIPAS_OK);
        sipas_ratio ratio;
        if (sipas_ratio_estimate(pd, y, x, domain, &ratio, z, &err) != SIPAS_OK) {
            sipas_prepared_design_free(pd);
            continue; /* no valid answer of positive weight */
        }
        /* a criterion: the ratio over the domain, its figures over the valid answers */
        sipas_estimate_summary sum;
        assert_int_equal(sipas_ratio_summary(pd, y, x, &ratio, z, valid, NULL, false, &sum, &err),
                         SIPAS_OK);
        double v, deff, kish;
        size_t psus, strata;
        assert_int_equal(sipas_variance(pd, z, valid, &v, &err), SIPAS_OK);
        assert_int_equal(sipas_design_count(pd, valid, &psus, &strata, &err), SIPAS_OK);
        assert_int_equal(sipas_ratio_deff(pd, y, x, valid, ratio.estimate, v, false, &deff, &err),
                         SIPAS_OK);
        assert_int_equal(sipas_kish_deff(pd, x, domain, &kish, &err), SIPAS_OK);
        for (size_t i = 0; i < n; i++)
            resid[i] = (y[i] - ratio.estimate * x[i]) / ratio.denominator;
        assert_true(same_double(sum.variance, v));
        assert_true(sum.psus == psus && sum.strata == strata);
        assert_true(same_double(sum.deff, deff));
        assert_true(same_double(sum.deff, reference_deff(n, weight, valid, resid, v)));
        assert_true(same_double(sum.kish_deff, kish));
        /* the same with the scores made in the summary's pass */
        sipas_ratio fused_ratio;
        sipas_estimate_summary fused;
        double fused_z[MAX_N];
        assert_int_equal(sipas_ratio_estimate_summary(pd, y, x, domain, valid, false, &fused_ratio,
                                                      fused_z, &fused, &err),
                         SIPAS_OK);
        assert_same_fused(fused_z, &fused_ratio, &fused, z, &ratio, n, v, deff, kish, psus,
                          strata);
        /* the same with the ratio's first pass made by the caller in row order, as the index
         * makes it while it scores the rows */
        sipas_ratio caller_ratio = {0};
        for (size_t i = 0; i < n; i++)
            if (domain[i]) {
                caller_ratio.n_domain++;
                caller_ratio.n_valid += x[i] != 0 && weight[i] != 0;
                caller_ratio.numerator += weight[i] * y[i];
                caller_ratio.denominator += weight[i] * x[i];
            }
        memset(fused_z, 0xff, sizeof fused_z);
        assert_int_equal(sipas_ratio_summary_of_sums(pd, y, x, domain, valid, false, &caller_ratio,
                                                     fused_z, &fused, &err),
                         SIPAS_OK);
        assert_same_fused(fused_z, &caller_ratio, &fused, z, &ratio, n, v, deff, kish, psus,
                          strata);
        sipas_ratio no_answer = {0}; /* sums of a domain without a valid answer */
        assert_int_equal(sipas_ratio_summary_of_sums(pd, y, x, domain, valid, false, &no_answer,
                                                     fused_z, &fused, &err),
                         SIPAS_ERR_MATH);
        /* a variance given (calibration) replaces the computed one, in the deff too */
        double given = 2 * v + 1e-6;
        assert_int_equal(sipas_ratio_summary(pd, y, x, &ratio, NULL, valid, &given, false, &sum,
                                             &err),
                         SIPAS_OK);
        assert_true(same_double(sum.variance, given));
        assert_true(same_double(sum.deff, reference_deff(n, weight, valid, resid, given)));
        /* a composite: the same scores read as z / w, over the whole domain */
        assert_int_equal(sipas_composite_summary(pd, z, NULL, domain, NULL, false, &sum, &err),
                         SIPAS_OK);
        assert_int_equal(sipas_variance(pd, z, domain, &v, &err), SIPAS_OK);
        assert_int_equal(sipas_design_count(pd, domain, &psus, &strata, &err), SIPAS_OK);
        assert_int_equal(sipas_kish_deff(pd, NULL, domain, &kish, &err), SIPAS_OK);
        for (size_t i = 0; i < n; i++)
            resid[i] = weight[i] != 0 ? z[i] / weight[i] : 0;
        assert_true(same_double(sum.variance, v));
        assert_true(sum.psus == psus && sum.strata == strata);
        assert_true(same_double(sum.deff, reference_deff(n, weight, domain, resid, v)));
        assert_true(same_double(sum.kish_deff, kish));
        compared++;
        sipas_prepared_design_free(pd);
    }
    assert_true(compared > 300);
}

/* Under the FAIL rule a lonely stratum taking part fails the summary as it fails the variance. */
static void test_summary_lonely_fails(void **state)
{
    (void)state;
    double y[] = {1, 0, 1, 1, 0};
    size_t stratum[] = {0, 0, 0, 1, 1}, psu[] = {0, 1, 1, 2, 2};
    sipas_design design = {.n = 5, .nstrata = 2, .stratum = stratum, .npsu = 3, .psu = psu};
    sipas_prepared_design *pd = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_design_prepare(&design, &pd, &err), SIPAS_OK);
    double z[5];
    sipas_ratio ratio;
    assert_int_equal(sipas_ratio_estimate(pd, y, NULL, NULL, &ratio, z, &err), SIPAS_OK);
    sipas_estimate_summary sum;
    assert_int_equal(sipas_composite_summary(pd, z, NULL, NULL, NULL, false, &sum, &err),
                     SIPAS_ERR_MATH);
    assert_string_equal(err.message, "stratum 1 has only one PSU");
    bool first_stratum[] = {true, true, true, false, false};
    assert_int_equal(sipas_composite_summary(pd, z, NULL, first_stratum, NULL, false, &sum, &err),
                     SIPAS_OK);
    assert_true(sum.psus == 2 && sum.strata == 1);
    sipas_prepared_design_free(pd);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r_results),
        cmocka_unit_test(test_r_covariance),
        cmocka_unit_test(test_published_values),
        cmocka_unit_test(test_fpc_fraction_equals_count),
        cmocka_unit_test(test_bad_designs),
        cmocka_unit_test(test_intervals_without_df),
        cmocka_unit_test(test_beta_large_shapes),
        cmocka_unit_test(test_nchs_and_kish),
        cmocka_unit_test(test_nested_composite),
        cmocka_unit_test(test_degenerate_designs),
        cmocka_unit_test(test_zero_variance_threshold),
        cmocka_unit_test(test_summary_same_bits),
        cmocka_unit_test(test_summary_lonely_fails),
    };
    return cmocka_run_group_tests(tests, load_sets, free_sets);
}
