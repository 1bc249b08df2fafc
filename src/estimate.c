/* estimate.c - design-based estimation (see include/sipas/estimate.h and docs/methodology.md). */
#include "alloc.h"
#include "sipas/estimate.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

/* A hot loop's helper inlined into each caller with constant flags, so that the compiler drops
 * the tests of the cases that do not apply from the loop over the rows. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* R's onestrat treats a stratum as fully enumerated when 1 - f is below this. */
#define CENSUS_EPSILON 1e-7

struct sipas_prepared_design {
    size_t n;
    /* The row arrays are filled in when the design leaves them out (weight 1, stratum 0, row i
     * is PSU i), so that the loops over rows read them without a test per row. */
    double *weight;        /* n */
    size_t nstrata;        /* at least 1 */
    size_t *row_stratum;   /* n */
    size_t npsu;           /* PSU slots: design npsu, or n when each row is its own PSU */
    size_t *row_psu;       /* n */
    size_t *psu_stratum;   /* npsu; SIZE_MAX for a slot no row uses */
    size_t *stratum_npsu;  /* nstrata: n_h, PSUs with at least one row (any weight) */
    double *stratum_factor; /* nstrata: 1 - n_h/N_h, 1 without fpc */
    sipas_lonely_psu lonely_psu;
};

static size_t row_psu(const sipas_prepared_design *pd, size_t i)
{
    return pd->row_psu[i];
}

static size_t row_stratum(const sipas_prepared_design *pd, size_t i)
{
    return pd->row_stratum[i];
}

static double row_weight(const sipas_prepared_design *pd, size_t i)
{
    return pd->weight[i];
}

void sipas_prepared_design_free(sipas_prepared_design *pd)
{
    if (!pd)
        return;
    free(pd->weight);
    free(pd->row_stratum);
    free(pd->row_psu);
    free(pd->psu_stratum);
    free(pd->stratum_npsu);
    free(pd->stratum_factor);
    free(pd);
}

size_t sipas_prepared_design_rows(const sipas_prepared_design *pd)
{
    return pd ? pd->n : 0;
}

/* Reads the per-stratum fpc the way R's as.fpc does: all counts or all fractions. */
static sipas_status prepare_fpc(sipas_prepared_design *pd, const double *fpc, sipas_error *err)
{
    bool any_count = false, any_fraction = false;
    for (size_t h = 0; h < pd->nstrata; h++) {
        pd->stratum_factor[h] = 1.0;
        if (!fpc || isnan(fpc[h]) || fpc[h] == INFINITY)
            continue;
        if (!(fpc[h] > 0))
            return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                   "stratum %zu: fpc %g is not a positive number", h, fpc[h]);
        if (fpc[h] > 1)
            any_count = true;
        if (fpc[h] < 1)
            any_fraction = true;
    }
    if (any_count && any_fraction)
        return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                               "fpc mixes population counts (> 1) and sampling fractions (< 1)");
    if (!fpc)
        return SIPAS_OK;
    for (size_t h = 0; h < pd->nstrata; h++) {
        double v = fpc[h];
        size_t nh = pd->stratum_npsu[h];
        if (isnan(v) || v == INFINITY || nh == 0)
            continue;
        double population = any_count ? v : (double)nh / v;
        if (population < (double)nh)
            return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                   "stratum %zu: fpc gives %g PSUs in the population but %zu "
                                   "were sampled",
                                   h, population, nh);
        pd->stratum_factor[h] = (population - (double)nh) / population;
    }
    return SIPAS_OK;
}

/* Copies n indices, each below limit; src NULL gives the default layout: index i when
 * own_index (each row its own PSU), else 0 (one stratum). */
static sipas_status copy_indices(const size_t *src, size_t n, size_t limit, bool own_index,
                                 const char *what, size_t **out, sipas_error *err)
{
    *out = NULL;
    size_t *copy = alloc_array(n, sizeof *copy);
    if (!copy)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory preparing the design");
    if (!src) {
        for (size_t i = 0; i < n && own_index; i++)
            copy[i] = i;
        *out = copy;
        return SIPAS_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (src[i] >= limit) {
            free(copy);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "row %zu: %s index %zu is not below %zu",
                                   i, what, src[i], limit);
        }
        copy[i] = src[i];
    }
    *out = copy;
    return SIPAS_OK;
}

sipas_status sipas_design_prepare(const sipas_design *design, sipas_prepared_design **out,
                                  sipas_error *err)
{
    if (!design || !out)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design and out must not be NULL");
    *out = NULL;
    if (design->n == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design has no rows");
    if ((unsigned)design->lonely_psu > SIPAS_LONELY_AVERAGE)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown lonely-PSU rule %d",
                               (int)design->lonely_psu);
    size_t n = design->n;
    size_t nstrata = design->stratum ? design->nstrata : 1;
    size_t npsu = design->psu ? design->npsu : n;
    if (nstrata == 0 || npsu == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design has no strata or no PSUs");

    sipas_status status = SIPAS_OK;
    sipas_prepared_design *pd = calloc(1, sizeof *pd);
    if (!pd)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory preparing the design");
    pd->n = n;
    pd->nstrata = nstrata;
    pd->npsu = npsu;
    pd->lonely_psu = design->lonely_psu;
    pd->psu_stratum = alloc_array(npsu, sizeof *pd->psu_stratum);
    pd->stratum_npsu = alloc_array(nstrata, sizeof *pd->stratum_npsu);
    pd->stratum_factor = alloc_array(nstrata, sizeof *pd->stratum_factor);
    pd->weight = alloc_array(n, sizeof *pd->weight);
    if (!pd->psu_stratum || !pd->stratum_npsu || !pd->stratum_factor || !pd->weight) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory preparing the design");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        pd->weight[i] = 1.0;
        if (design->weight) {
            double w = design->weight[i];
            if (!isfinite(w) || w < 0) {
                status = sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                         "row %zu: weight %g is not a finite number >= 0", i, w);
                goto cleanup;
            }
            pd->weight[i] = w;
        }
    }
    status = copy_indices(design->stratum, n, nstrata, false, "stratum", &pd->row_stratum, err);
    if (status == SIPAS_OK)
        status = copy_indices(design->psu, n, npsu, true, "PSU", &pd->row_psu, err);
    if (status != SIPAS_OK)
        goto cleanup;
    for (size_t k = 0; k < npsu; k++)
        pd->psu_stratum[k] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t k = row_psu(pd, i), h = row_stratum(pd, i);
        if (pd->psu_stratum[k] == SIZE_MAX) {
            pd->psu_stratum[k] = h;
            pd->stratum_npsu[h]++;
        } else if (pd->psu_stratum[k] != h) {
            status = sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                     "row %zu: PSU %zu lies in strata %zu and %zu; PSUs must be "
                                     "nested in strata",
                                     i, k, pd->psu_stratum[k], h);
            goto cleanup;
        }
    }
    status = prepare_fpc(pd, design->fpc, err);
    if (status != SIPAS_OK)
        goto cleanup;
    *out = pd;
    pd = NULL;
cleanup:
    sipas_prepared_design_free(pd);
    return status;
}

/* Marks the strata (or PSUs) that hold a row of the domain; NULL domain marks every used one. */
static void mark_strata(const sipas_prepared_design *pd, const bool *domain, unsigned char *mark)
{
    for (size_t i = 0; i < pd->n; i++)
        if (!domain || domain[i])
            mark[row_stratum(pd, i)] = 1;
}

sipas_status sipas_design_count(const sipas_prepared_design *pd, const bool *domain,
                                size_t *psus, size_t *strata, sipas_error *err)
{
    if (!pd || !psus || !strata)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design and counts must not be NULL");
    unsigned char *psu_seen = alloc_array(pd->npsu, 1);
    unsigned char *stratum_seen = alloc_array(pd->nstrata, 1);
    if (!psu_seen || !stratum_seen) {
        free(psu_seen);
        free(stratum_seen);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory counting PSUs");
    }
    *psus = *strata = 0;
    for (size_t i = 0; i < pd->n; i++) {
        if ((domain && !domain[i]) || row_weight(pd, i) == 0)
            continue;
        size_t k = row_psu(pd, i), h = row_stratum(pd, i);
        if (!psu_seen[k]) {
            psu_seen[k] = 1;
            (*psus)++;
        }
        if (!stratum_seen[h]) {
            stratum_seen[h] = 1;
            (*strata)++;
        }
    }
    free(psu_seen);
    free(stratum_seen);
    return SIPAS_OK;
}

sipas_status sipas_design_df(const sipas_prepared_design *pd, const bool *domain, double *df,
                             sipas_error *err)
{
    if (!df)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "df must not be NULL");
    size_t psus, strata;
    sipas_status status = sipas_design_count(pd, domain, &psus, &strata, err);
    if (status == SIPAS_OK)
        *df = (double)psus - (double)strata;
    return status;
}

/* The residual r_i of row i that both design effects below use: (y_i - R x_i) / sum(w x d) for
 * a ratio, z_i / w_i for a combination given by its scores z. */
typedef struct deff_residual {
    const double *y, *x;  /* ratio: x NULL means 1 */
    double ratio, wx;
    const double *scores; /* combination: non-NULL */
    const double *abs_scores; /* combination: each row's sum of |component score|, or NULL */
} deff_residual;

static ALWAYS_INLINE double residual_at(const deff_residual *r, bool composite, double weight,
                                        size_t i)
{
    if (composite)
        return r->scores[i] / weight;
    double xi = r->x ? r->x[i] : 1.0;
    return (r->y[i] - r->ratio * xi) / r->wx;
}

/* The estimate from the first pass's sums (ratio's numerator and denominator). */
static sipas_status ratio_from_sums(sipas_ratio *ratio, sipas_error *err)
{
    if (ratio->denominator == 0)
        return sipas_error_set(err, SIPAS_ERR_MATH,
                               "no valid answer of positive weight in the domain");
    ratio->estimate = ratio->numerator / ratio->denominator;
    return SIPAS_OK;
}

/* The first pass of a ratio: its sums, counts and estimate (sipas_ratio_estimate). */
static sipas_status ratio_sums(const sipas_prepared_design *pd, const double *y, const double *x,
                               const bool *domain, sipas_ratio *out, sipas_error *err)
{
    if (!pd || !y || !out)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design, y and out must not be NULL");
    double num = 0, den = 0;
    size_t n_valid = 0, n_domain = 0;
    const double *weight = pd->weight;
    for (size_t i = 0, n = pd->n; i < n; i++) {
        double xi = x ? x[i] : 1.0;
        if (!isfinite(y[i]) || !isfinite(xi))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "row %zu: y %g or x %g is not finite",
                                   i, y[i], xi);
        if (domain && !domain[i])
            continue;
        double w = weight[i];
        n_domain++;
        if (xi != 0 && w != 0)
            n_valid++;
        num += w * y[i];
        den += w * xi;
    }
    out->numerator = num;
    out->denominator = den;
    out->n_valid = n_valid;
    out->n_domain = n_domain;
    return ratio_from_sums(out, err);
}

sipas_status sipas_ratio_estimate(const sipas_prepared_design *pd, const double *y,
                                  const double *x, const bool *domain, sipas_ratio *out,
                                  double *scores, sipas_error *err)
{
    sipas_status status = ratio_sums(pd, y, x, domain, out, err);
    if (status != SIPAS_OK || !scores)
        return status;
    deff_residual res = {y, x, out->estimate, out->denominator, NULL, NULL};
    const double *weight = pd->weight;
    for (size_t i = 0, n = pd->n; i < n; i++)
        scores[i] = domain && !domain[i] ? 0 : residual_at(&res, false, weight[i], i) * weight[i];
    return SIPAS_OK;
}

sipas_status sipas_composite(size_t n, size_t k, const double *estimates,
                             const double *const *scores, const double *coef,
                             double *out_estimate, double *out_scores, sipas_error *err)
{
    if (k == 0 || !estimates || !coef || !out_estimate || (out_scores && !scores))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "a composite needs k > 0 estimates, coefficients and outputs");
    double est = 0;
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(coef[j]) || !isfinite(estimates[j]))
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "component %zu: estimate or coefficient is not finite", j);
        est += coef[j] * estimates[j];
    }
    if (out_scores) {
        for (size_t j = 0; j < k; j++)
            if (!scores[j] || scores[j] == out_scores)
                return sipas_error_set(err, SIPAS_ERR_USAGE,
                                       "component %zu: scores missing or aliasing the output", j);
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < k; j++)
                s += coef[j] * scores[j][i];
            out_scores[i] = s;
        }
    }
    *out_estimate = est;
    return SIPAS_OK;
}

/* PSU totals of one score vector: what svyrecvar's first stage reads. */
typedef struct psu_totals {
    double *total;     /* npsu: sum of the scores of the PSU's rows */
    double *abs_total; /* npsu: sum of their |score|, the scale of the rounding noise */
} psu_totals;

static bool psu_totals_alloc(const sipas_prepared_design *pd, psu_totals *t)
{
    t->total = alloc_array(pd->npsu, sizeof *t->total);
    t->abs_total = alloc_array(pd->npsu, sizeof *t->abs_total);
    return t->total && t->abs_total;
}

static void psu_totals_free(psu_totals *t)
{
    free(t->total);
    free(t->abs_total);
}

/* Adds row i's score to the totals of its PSU. */
static void psu_totals_add(const sipas_prepared_design *pd, psu_totals *t, size_t i, double score)
{
    size_t k = row_psu(pd, i);
    t->total[k] += score;
    t->abs_total[k] += fabs(score);
}

/* svyrecvar's first stage from the PSU totals of two score vectors (b == a for a variance),
 * taking_part marking the strata that take part: see the header. The per-stratum sum is
 * two-pass (centre, then multiply) like R's sweep + crossprod, so results agree to rounding. */
static sipas_status covariance_from_totals(const sipas_prepared_design *pd, const psu_totals *a,
                                           const psu_totals *b,
                                           const unsigned char *taking_part, double *out,
                                           sipas_error *err)
{
    sipas_status status = SIPAS_OK;
    bool same = (a == b);
    const double *ta = a->total, *tb = b->total;
    double *mean_a = alloc_array(pd->nstrata, sizeof *mean_a);
    double *mean_b = same ? mean_a : alloc_array(pd->nstrata, sizeof *mean_b);
    double *sum = alloc_array(pd->nstrata, sizeof *sum);
    if (!mean_a || !mean_b || !sum) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory computing a variance");
        goto cleanup;
    }
    for (size_t k = 0; k < pd->npsu; k++) {
        size_t h = pd->psu_stratum[k];
        if (h == SIZE_MAX)
            continue;
        mean_a[h] += ta[k];
        if (!same)
            mean_b[h] += tb[k];
    }
    for (size_t h = 0; h < pd->nstrata; h++) {
        if (pd->stratum_npsu[h] == 0)
            continue;
        mean_a[h] /= (double)pd->stratum_npsu[h];
        if (!same)
            mean_b[h] /= (double)pd->stratum_npsu[h];
    }
    /* A lonely stratum under ADJUST is centred on 0 (the scores' grand mean), not on itself. */
    for (size_t k = 0; k < pd->npsu; k++) {
        size_t h = pd->psu_stratum[k];
        if (h == SIZE_MAX)
            continue;
        if (pd->stratum_npsu[h] == 1 && pd->lonely_psu == SIPAS_LONELY_ADJUST)
            sum[h] += ta[k] * tb[k];
        else
            sum[h] += (ta[k] - mean_a[h]) * (tb[k] - mean_b[h]);
    }
    /* the same sums over |score| totals, uncentred: the size rounding noise is measured by */
    double *scale_a = mean_a, *scale_b = mean_b; /* the means are no longer needed */
    for (size_t h = 0; h < pd->nstrata; h++)
        scale_a[h] = scale_b[h] = 0;
    for (size_t k = 0; k < pd->npsu; k++) {
        size_t h = pd->psu_stratum[k];
        if (h == SIZE_MAX)
            continue;
        scale_a[h] += a->abs_total[k] * a->abs_total[k];
        if (!same)
            scale_b[h] += b->abs_total[k] * b->abs_total[k];
    }
    size_t taking = 0, ok = 0;
    double total = 0, noise_a = 0, noise_b = 0;
    for (size_t h = 0; h < pd->nstrata; h++) {
        if (!taking_part[h] || pd->stratum_npsu[h] == 0)
            continue;
        taking++;
        double f = pd->stratum_factor[h];
        size_t nh = pd->stratum_npsu[h];
        if (f < CENSUS_EPSILON) {
            ok++;
            continue;
        }
        double factor = nh > 1 ? f * (double)nh / (double)(nh - 1) : f;
        noise_a += factor * scale_a[h];
        noise_b += factor * scale_b[h];
        if (nh > 1) {
            total += factor * sum[h];
            ok++;
            continue;
        }
        switch (pd->lonely_psu) {
        case SIPAS_LONELY_FAIL:
            status = sipas_error_set(err, SIPAS_ERR_MATH, "stratum %zu has only one PSU", h);
            goto cleanup;
        case SIPAS_LONELY_REMOVE:
        case SIPAS_LONELY_CERTAINTY:
            ok++; /* centred on itself: adds 0 */
            break;
        case SIPAS_LONELY_ADJUST:
            total += f * sum[h];
            ok++;
            break;
        case SIPAS_LONELY_AVERAGE:
            break;
        }
    }
    /* R scales by nstrat / nokstrat under every rule; it differs from 1 only under AVERAGE. */
    *out = ok ? total * (double)taking / (double)ok : NAN;
    if (fabs(*out) <= SIPAS_VARIANCE_ZERO_TOLERANCE * sqrt(noise_a * (same ? noise_a : noise_b)))
        *out = 0; /* rounding noise of a between-PSU difference that is 0 */
cleanup:
    if (!same)
        free(mean_b);
    free(mean_a);
    free(sum);
    return status;
}

/* The variance or covariance of two score vectors over their domains (see the header). */
static sipas_status design_covariance(const sipas_prepared_design *pd, const double *a,
                                      const bool *domain_a, const double *b,
                                      const bool *domain_b, double *out, sipas_error *err)
{
    sipas_status status = SIPAS_OK;
    bool same = (a == b);
    psu_totals ta = {0}, tb = {0};
    unsigned char *taking_part = alloc_array(pd->nstrata, 1);
    if (!taking_part || !psu_totals_alloc(pd, &ta) || (!same && !psu_totals_alloc(pd, &tb))) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory computing a variance");
        goto cleanup;
    }
    mark_strata(pd, domain_a, taking_part);
    if (domain_b != domain_a)
        mark_strata(pd, domain_b, taking_part);
    for (size_t i = 0; i < pd->n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i])) {
            status = sipas_error_set(err, SIPAS_ERR_USAGE, "row %zu: score is not finite", i);
            goto cleanup;
        }
        psu_totals_add(pd, &ta, i, a[i]);
        if (!same)
            psu_totals_add(pd, &tb, i, b[i]);
    }
    status = covariance_from_totals(pd, &ta, same ? &ta : &tb, taking_part, out, err);
cleanup:
    psu_totals_free(&ta);
    psu_totals_free(&tb);
    free(taking_part);
    return status;
}

sipas_status sipas_variance_of_psu_totals(const sipas_prepared_design *pd, const double *totals,
                                          const double *abs_totals, const bool *taking_part,
                                          double *variance, sipas_error *err)
{
    if (!pd || !totals || !abs_totals || !taking_part || !variance)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design, totals and variance must not be NULL");
    if (pd->npsu != pd->n)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the design's rows must be its PSUs");
    unsigned char *stratum_taking = alloc_array(pd->nstrata, 1);
    if (!stratum_taking)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory computing a variance");
    for (size_t k = 0; k < pd->n; k++) {
        if (!isfinite(abs_totals[k])) {
            free(stratum_taking);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "PSU %zu: score total is not finite", k);
        }
        if (taking_part[k])
            stratum_taking[row_stratum(pd, k)] = 1;
    }
    /* the totals of the design's rows are the PSUs' totals: row k is PSU k */
    psu_totals t = {(double *)totals, (double *)abs_totals};
    sipas_status status = covariance_from_totals(pd, &t, &t, stratum_taking, variance, err);
    free(stratum_taking);
    return status;
}

sipas_status sipas_variance(const sipas_prepared_design *pd, const double *scores,
                            const bool *domain, double *variance, sipas_error *err)
{
    if (!pd || !scores || !variance)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design, scores and variance must not be NULL");
    return design_covariance(pd, scores, domain, scores, domain, variance, err);
}

sipas_status sipas_covariance(const sipas_prepared_design *pd, const double *scores_a,
                              const bool *domain_a, const double *scores_b,
                              const bool *domain_b, double *covariance, sipas_error *err)
{
    if (!pd || !scores_a || !scores_b || !covariance)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "design, scores and covariance must not be NULL");
    return design_covariance(pd, scores_a, domain_a, scores_b, domain_b, covariance, err);
}

static const char *const ci_method_names[] = {"logit", "mean", "beta", "wilson", "asin"};

const char *sipas_ci_method_name(sipas_ci_method method)
{
    if ((unsigned)method >= sizeof ci_method_names / sizeof ci_method_names[0])
        return "unknown";
    return ci_method_names[method];
}

sipas_status sipas_ci_method_parse(const char *name, sipas_ci_method *out, sipas_error *err)
{
    for (size_t m = 0; name && m < sizeof ci_method_names / sizeof ci_method_names[0]; m++) {
        if (strcmp(name, ci_method_names[m]) == 0) {
            *out = (sipas_ci_method)m;
            return SIPAS_OK;
        }
    }
    return sipas_error_set(err, SIPAS_ERR_USAGE,
                           "unknown interval method '%s' (logit, mean, beta, wilson, asin)",
                           name ? name : "");
}

/* GSL quantiles (its error handler is off, sipas/init.h): a NaN becomes an error. */
static sipas_status t_quantile(double prob, double df, double *out, sipas_error *err)
{
    double q = gsl_cdf_tdist_Pinv(prob, df);
    if (!isfinite(q))
        return sipas_error_set(err, SIPAS_ERR_MATH, "t quantile of %g with %g df failed", prob,
                               df);
    *out = q;
    return SIPAS_OK;
}

/* GSL's gsl_cdf_beta_Pinv gives up (NaN) for large shapes, e.g. (1539.5, 183.8), which an
 * n_eff of 1700 produces; its CDF stays accurate there, so invert the CDF by bisection, which
 * halves [lo, hi] until it is as narrow as doubles allow. */
static double beta_quantile_bisect(double prob, double a, double b)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 200 && hi - lo > 4 * DBL_EPSILON * hi; i++) {
        double mid = 0.5 * (lo + hi);
        double cdf = gsl_cdf_beta_P(mid, a, b);
        if (isnan(cdf))
            return NAN;
        if (cdf < prob)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static sipas_status beta_quantile(double prob, double a, double b, double *out,
                                  sipas_error *err)
{
    /* qbeta(p, 0, b) = 0 and qbeta(p, a, 0) = 1 in R: point masses GSL does not take. */
    if (a == 0) {
        *out = 0;
        return SIPAS_OK;
    }
    if (b == 0) {
        *out = 1;
        return SIPAS_OK;
    }
    double q = gsl_cdf_beta_Pinv(prob, a, b);
    if (isnan(q))
        q = beta_quantile_bisect(prob, a, b);
    if (isnan(q))
        return sipas_error_set(err, SIPAS_ERR_MATH,
                               "beta quantile of %g with shapes %g, %g failed", prob, a, b);
    *out = q;
    return SIPAS_OK;
}

static double expit(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* The Wilson interval with m the (effective) sample size; needs m > 0. */
static void wilson_interval(double p, double m, double t, double *lower, double *upper)
{
    double pq = p * (1 - p), t2 = t * t;
    double centre = p + t2 / (2 * m);
    double half = t / (2 * m) * sqrt(4 * m * pq + t2);
    *lower = (centre - half) / (1 + t2 / m);
    *upper = (centre + half) / (1 + t2 / m);
}

/* Korn-Graubard with effective sample size n_eff: shapes (n_eff p, n_eff (1 - p) + 1) and
 * (n_eff p + 1, n_eff (1 - p)). */
static sipas_status korn_graubard(double p, double n_eff, double alpha, double *lower,
                                  double *upper, sipas_error *err)
{
    double lo = NAN, hi = NAN; /* set by beta_quantile on success; gcc -O3 cannot see it */
    sipas_status status = beta_quantile(alpha / 2, n_eff * p, n_eff * (1 - p) + 1, &lo, err);
    if (status == SIPAS_OK)
        status = beta_quantile(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p), &hi, err);
    if (status != SIPAS_OK)
        return status;
    *lower = lo;
    *upper = hi;
    return SIPAS_OK;
}

/* logit, asin, wilson or mean from a variance V > 0 (or any V for mean), t the quantile. */
static void delta_interval(sipas_ci_method method, double p, double variance, double t,
                           double *lower, double *upper)
{
    double se = sqrt(variance), pq = p * (1 - p);
    switch (method) {
    case SIPAS_CI_MEAN:
        *lower = p - t * se;
        *upper = p + t * se;
        break;
    case SIPAS_CI_LOGIT: {
        double centre = log(p / (1 - p)), half = t * se / pq;
        *lower = expit(centre - half);
        *upper = expit(centre + half);
        break;
    }
    case SIPAS_CI_ASIN: {
        double angle = asin(sqrt(p)), half = t * se / (2 * sqrt(pq));
        double lo = angle - half, hi = angle + half;
        if (lo < 0)
            lo = 0;
        if (hi > acos(0.0))
            hi = acos(0.0); /* pi/2 */
        *lower = sin(lo) * sin(lo);
        *upper = sin(hi) * sin(hi);
        break;
    }
    case SIPAS_CI_WILSON:
        wilson_interval(p, pq / variance, t, lower, upper);
        break;
    case SIPAS_CI_BETA:
        break; /* not a delta-method interval */
    }
}

sipas_status sipas_ci_proportion(sipas_ci_method method, double p, double variance, double df,
                                 double level, double n, double *lower, double *upper,
                                 sipas_error *err)
{
    if (!lower || !upper)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "lower and upper must not be NULL");
    *lower = *upper = NAN;
    if (!(level > 0 && level < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "confidence level %g is not between 0 and 1",
                               level);
    if ((unsigned)method > SIPAS_CI_ASIN)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown interval method %d", (int)method);
    if (method != SIPAS_CI_MEAN && !isnan(p) && !(p >= 0 && p <= 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "interval method '%s' needs a value in [0, 1], not %g",
                               sipas_ci_method_name(method), p);
    if (isnan(p) || !(df > 0) || !isfinite(variance) || variance < 0)
        return SIPAS_OK;
    double alpha = 1 - level, t = NAN; /* set by t_quantile; gcc -O2 cannot see it */
    sipas_status status = t_quantile(1 - alpha / 2, df, &t, err);
    if (status != SIPAS_OK)
        return status;
    double pq = p * (1 - p);
    if (method == SIPAS_CI_MEAN) {
        delta_interval(method, p, variance, t, lower, upper); /* [p, p] at V = 0, as R */
        return SIPAS_OK;
    }
    double lo = NAN, hi = NAN;
    if (variance == 0 || pq == 0) {
        /* No design variance to measure the sampling error by (p = 0 or 1, every PSU alike,
         * a census of PSUs; p = 0 or 1 forces V = 0 up to rounding): the design effect is capped at 1, n_eff = n (NCHS 2017, Dean &
         * Pagano 2015). Beta is then the Clopper-Pearson interval; logit and asin, undefined
         * at p = 0 or 1, take Wilson's there. */
        if (!(n >= 1))
            return SIPAS_OK;
        if (method == SIPAS_CI_BETA) {
            if ((status = korn_graubard(p, n, alpha, &lo, &hi, err)) != SIPAS_OK)
                return status;
        } else if (pq == 0 || method == SIPAS_CI_WILSON) {
            wilson_interval(p, n, t, &lo, &hi);
        } else {
            delta_interval(method, p, pq / n, t, &lo, &hi);
        }
    } else if (method == SIPAS_CI_BETA) {
        if (!(n >= 2))
            return SIPAS_OK;
        double q_n = NAN, q_df = NAN;
        status = t_quantile(alpha / 2, n - 1, &q_n, err);
        if (status == SIPAS_OK)
            status = t_quantile(alpha / 2, df, &q_df, err);
        if (status == SIPAS_OK)
            status = korn_graubard(p, pq / variance * (q_n / q_df) * (q_n / q_df), alpha, &lo,
                                   &hi, err);
        if (status != SIPAS_OK)
            return status;
    } else {
        delta_interval(method, p, variance, t, &lo, &hi);
    }
    /* rounding (e.g. Wilson's lower bound at p = 0) must not put a bound past [0, 1] or p */
    *lower = fmax(0, fmin(lo, p));
    *upper = fmin(1, fmax(hi, p));
    return SIPAS_OK;
}

/* The sums over the domain's rows of nonzero weight that the design effects and the df read. */
typedef struct domain_sums {
    size_t m;           /* rows */
    double weight_sum;  /* N = sum w */
    double weight_sq;   /* sum w^2 (Kish) */
    double weighted_residual; /* sum w r: the first of svyvar's two passes */
    size_t psus, strata; /* distinct PSUs and strata among them (sipas_design_count) */
} domain_sums;

/* V / V_srs with s2 = m/(m - 1) sum w (r - rbar_w)^2 / N over the domain's rows of nonzero
 * weight, rbar_w = sum w r / N from sums; NaN in the cases sipas_ratio_deff's comment lists.
 * The squares are a second pass over the rows, after the mean, as svyvar computes them, to keep
 * agreement with R to rounding. */
static ALWAYS_INLINE double srs_deff(const sipas_prepared_design *pd, const bool *domain,
                                      const deff_residual *res, bool composite,
                                      const domain_sums *sums, double variance,
                                      bool with_replacement)
{
    if (sums->m < 2 || !isfinite(variance))
        return NAN;
    double wsum = sums->weight_sum, rbar = sums->weighted_residual / wsum, ss = 0, scale = 0;
    const double *weight = pd->weight;
    deff_residual r = *res; /* a local copy the compiler knows no store changes */
    for (size_t i = 0, n = pd->n; i < n; i++) {
        double w = weight[i];
        if ((domain && !domain[i]) || w == 0)
            continue;
        double d = residual_at(&r, composite, w, i) - rbar;
        ss += w * d * d;
        if (composite && r.abs_scores) {
            double a = r.abs_scores[i] / w;
            scale += w * a * a;
        }
    }
    return sipas_deff_from_sums(variance, ss, scale, wsum, sums->m, with_replacement);
}

double sipas_deff_from_sums(double variance, double ss, double ss_scale, double weight_sum,
                            size_t m, bool with_replacement)
{
    if (m < 2 || !isfinite(variance))
        return NAN;
    if (ss <= SIPAS_DEFF_ZERO_TOLERANCE * ss_scale)
        ss = 0; /* the residuals are equal but for rounding: no SRS variance to compare with */
    double wsum = weight_sum, md = (double)m;
    double s2 = ss / wsum * md / (md - 1);
    double vsrs;
    if (with_replacement) {
        vsrs = s2 * wsum * wsum / md;
    } else {
        if (!(wsum > md))
            return NAN;
        vsrs = s2 * wsum * wsum * (wsum - md) / (wsum * md);
    }
    return vsrs > 0 ? variance / vsrs : NAN;
}

/* What the pass over the rows of summarise fills (scratch owned by summarise). */
typedef struct summary_pass_out {
    psu_totals totals;          /* when the variance is computed */
    unsigned char *taking_part; /* nstrata, when the variance is computed */
    unsigned char *psu_seen, *stratum_seen;
    domain_sums sums;
} summary_pass_out;

/* The pass over the rows: scores made (make_scores) or read, their PSU totals (want_variance),
 * and the domain's sums; composite says res reads the scores. */
static ALWAYS_INLINE sipas_status summary_pass(const sipas_prepared_design *pd,
                                               const double *scores, double *made_scores,
                                               const bool *score_domain, const bool *domain,
                                               const deff_residual *res, bool make_scores,
                                               bool want_variance, bool composite,
                                               summary_pass_out *out, sipas_error *err)
{
    domain_sums sums = {0};
    /* local copies: the byte stores below could otherwise alias every pointer read per row */
    const double *weight = pd->weight;
    const size_t *row_psus = pd->row_psu, *psu_strata = pd->psu_stratum;
    double *psu_total = out->totals.total, *psu_abs_total = out->totals.abs_total;
    unsigned char *taking_part = out->taking_part, *psu_seen = out->psu_seen,
                  *stratum_seen = out->stratum_seen;
    deff_residual r = *res;
    /* The running PSU's totals stay in registers while its rows follow one another (files
     * usually list a cluster's respondents together): the same additions in the same order as
     * psu_totals_add, without a store and reload per row. What the rows of the run tell about
     * its PSU and stratum (PSUs are nested in strata) is kept in flags and written when the run
     * ends: whether a row of the domain is in it (its stratum takes part) and whether one of
     * nonzero weight is (the PSU and its stratum count for df). */
    size_t run_psu = SIZE_MAX;
    double run_total = 0, run_abs_total = 0;
    bool run_in_domain = false, run_counted = false;
    for (size_t i = 0, n = pd->n; i < n; i++) {
        size_t k = row_psus[i];
        double w = weight[i], residual = 0, score = 0;
        bool have_residual = make_scores && (!score_domain || score_domain[i]);
        if (have_residual) {
            /* sipas_ratio_estimate's order of operations: (y - R x) / X, then times w */
            residual = residual_at(&r, false, w, i);
            score = residual * w;
        }
        if (make_scores)
            made_scores[i] = score;
        else if (want_variance)
            score = scores[i];
        if (k != run_psu) {
            if (run_psu != SIZE_MAX && want_variance) {
                psu_total[run_psu] = run_total;
                psu_abs_total[run_psu] = run_abs_total;
                if (run_in_domain)
                    taking_part[psu_strata[run_psu]] = 1; /* whatever the row's weight, as R */
            }
            run_psu = k;
            run_in_domain = run_counted = false;
            if (want_variance) {
                run_total = psu_total[k];
                run_abs_total = psu_abs_total[k];
            }
        }
        if (want_variance) {
            run_total += score;
            run_abs_total += fabs(score);
        }
        if (domain && !domain[i])
            continue;
        run_in_domain = true;
        if (w == 0)
            continue;
        if (!run_counted) {
            run_counted = true;
            if (!psu_seen[k]) {
                psu_seen[k] = 1;
                sums.psus++;
                size_t h = psu_strata[k];
                if (!stratum_seen[h]) {
                    stratum_seen[h] = 1;
                    sums.strata++;
                }
            }
        }
        sums.m++;
        sums.weight_sum += w;
        sums.weight_sq += w * w;
        if (!have_residual)
            residual = residual_at(&r, composite, w, i);
        sums.weighted_residual += w * residual;
    }
    if (run_psu != SIZE_MAX && want_variance) {
        psu_total[run_psu] = run_total;
        psu_abs_total[run_psu] = run_abs_total;
        if (run_in_domain)
            taking_part[psu_strata[run_psu]] = 1;
    }
    /* A score that is not finite makes its PSU's sum of |score| not finite: test the PSUs, not
     * every row, and only then look for the first such row to name it. */
    for (size_t k = 0; want_variance && k < pd->npsu; k++) {
        if (isfinite(psu_abs_total[k]))
            continue;
        const double *read = make_scores ? made_scores : scores;
        for (size_t i = 0, n = pd->n; i < n; i++)
            if (!isfinite(read[i]))
                return sipas_error_set(err, SIPAS_ERR_USAGE, "row %zu: score is not finite", i);
        break; /* finite scores whose sum overflowed */
    }
    out->sums = sums;
    return SIPAS_OK;
}

/* One estimate's variance (unless given), df counts, design effect and Kish deff from one pass
 * over the rows (plus the squares of the deff's second pass): the sums of sipas_variance,
 * sipas_design_count, srs_deff and sipas_kish_deff, each in the same order as there, so each
 * figure is the same to the last bit. scores may be NULL when variance is given.
 * made_scores non-NULL: the ratio's scores are made in the same pass, as sipas_ratio_estimate
 * makes them (residual times weight over score_domain, 0 elsewhere), written there and read
 * instead of scores. */
static sipas_status summarise(const sipas_prepared_design *pd, const double *scores,
                              double *made_scores, const bool *score_domain, const bool *domain,
                              const deff_residual *res, const double *variance,
                              bool with_replacement, sipas_estimate_summary *out,
                              sipas_error *err)
{
    sipas_status status = SIPAS_OK;
    bool want_variance = variance == NULL, composite = res->scores != NULL;
    summary_pass_out pass = {.taking_part = NULL}; /* the rest zero */
    pass.psu_seen = alloc_array(pd->npsu, 1);
    pass.stratum_seen = alloc_array(pd->nstrata, 1);
    if (!pass.psu_seen || !pass.stratum_seen ||
        (want_variance && (!psu_totals_alloc(pd, &pass.totals) ||
                           !(pass.taking_part = alloc_array(pd->nstrata, 1))))) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory summarising an estimate");
        goto cleanup;
    }
    /* the index's two cases, each with its own loop; any other through the general one */
    if (made_scores && want_variance && !composite)
        status = summary_pass(pd, NULL, made_scores, score_domain, domain, res, true, true,
                              false, &pass, err);
    else if (!made_scores && want_variance && composite)
        status = summary_pass(pd, scores, NULL, NULL, domain, res, false, true, true, &pass,
                              err);
    else
        status = summary_pass(pd, scores, made_scores, score_domain, domain, res,
                              made_scores != NULL, want_variance, composite, &pass, err);
    if (status != SIPAS_OK)
        goto cleanup;
    out->variance = want_variance ? NAN : *variance;
    if (want_variance &&
        (status = covariance_from_totals(pd, &pass.totals, &pass.totals, pass.taking_part,
                                         &out->variance, err)) != SIPAS_OK)
        goto cleanup;
    const domain_sums *sums = &pass.sums;
    out->psus = sums->psus;
    out->strata = sums->strata;
    out->kish_deff =
        sums->m ? (double)sums->m * sums->weight_sq / (sums->weight_sum * sums->weight_sum) : NAN;
    if (composite)
        out->deff = srs_deff(pd, domain, res, true, sums, out->variance, with_replacement);
    else
        out->deff = res->wx != 0
                        ? srs_deff(pd, domain, res, false, sums, out->variance, with_replacement)
                        : NAN;
cleanup:
    psu_totals_free(&pass.totals);
    free(pass.taking_part);
    free(pass.psu_seen);
    free(pass.stratum_seen);
    return status;
}

sipas_status sipas_ratio_summary(const sipas_prepared_design *pd, const double *y,
                                 const double *x, const sipas_ratio *ratio,
                                 const double *scores, const bool *domain,
                                 const double *variance, bool with_replacement,
                                 sipas_estimate_summary *out, sipas_error *err)
{
    if (!pd || !y || !ratio || !out || (!scores && !variance))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "design, y, ratio, out and scores or variance must not be NULL");
    deff_residual res = {y, x, ratio->estimate, ratio->denominator, NULL, NULL};
    return summarise(pd, scores, NULL, NULL, domain, &res, variance,
                     with_replacement, out, err);
}

sipas_status sipas_ratio_estimate_summary(const sipas_prepared_design *pd, const double *y,
                                          const double *x, const bool *domain,
                                          const bool *summary_domain, bool with_replacement,
                                          sipas_ratio *ratio, double *scores,
                                          sipas_estimate_summary *out, sipas_error *err)
{
    if (!scores || !out || !ratio)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "ratio, scores and out must not be NULL");
    ratio->denominator = 0; /* tells "no valid answer" from a failed variance */
    sipas_status status = ratio_sums(pd, y, x, domain, ratio, err);
    if (status != SIPAS_OK)
        return status;
    return sipas_ratio_summary_of_sums(pd, y, x, domain, summary_domain, with_replacement, ratio,
                                       scores, out, err);
}

sipas_status sipas_ratio_summary_of_sums(const sipas_prepared_design *pd, const double *y,
                                         const double *x, const bool *domain,
                                         const bool *summary_domain, bool with_replacement,
                                         sipas_ratio *ratio, double *scores,
                                         sipas_estimate_summary *out, sipas_error *err)
{
    if (!pd || !y || !scores || !out || !ratio)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "design, y, ratio, scores and out must not be NULL");
    sipas_status status = ratio_from_sums(ratio, err);
    if (status != SIPAS_OK)
        return status;
    deff_residual res = {y, x, ratio->estimate, ratio->denominator, NULL, NULL};
    return summarise(pd, NULL, scores, domain, summary_domain, &res, NULL, with_replacement, out,
                     err);
}

sipas_status sipas_composite_summary(const sipas_prepared_design *pd, const double *scores,
                                     const double *abs_scores, const bool *domain,
                                     const double *variance, bool with_replacement,
                                     sipas_estimate_summary *out, sipas_error *err)
{
    if (!pd || !scores || !out)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "design, scores and out must not be NULL");
    deff_residual res = {NULL, NULL, 0, 0, scores, abs_scores};
    return summarise(pd, scores, NULL, NULL, domain, &res, variance,
                     with_replacement, out, err);
}

sipas_status sipas_ratio_deff(const sipas_prepared_design *pd, const double *y, const double *x,
                              const bool *domain, double ratio_estimate, double variance,
                              bool with_replacement, double *deff, sipas_error *err)
{
    if (!pd || !y || !deff)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design, y and deff must not be NULL");
    *deff = NAN;
    double wx = 0;
    for (size_t i = 0; i < pd->n; i++) {
        double w = row_weight(pd, i);
        if ((domain && !domain[i]) || w == 0)
            continue;
        wx += w * (x ? x[i] : 1.0);
    }
    sipas_ratio ratio = {.estimate = ratio_estimate, .denominator = wx};
    sipas_estimate_summary summary;
    sipas_status status = sipas_ratio_summary(pd, y, x, &ratio, NULL, domain, &variance,
                                              with_replacement, &summary, err);
    if (status == SIPAS_OK)
        *deff = summary.deff;
    return status;
}

sipas_status sipas_composite_deff(const sipas_prepared_design *pd, const double *scores,
                                  const bool *domain, double variance, bool with_replacement,
                                  double *deff, sipas_error *err)
{
    if (!pd || !scores || !deff)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design, scores and deff must not be NULL");
    sipas_estimate_summary summary;
    sipas_status status = sipas_composite_summary(pd, scores, NULL, domain, &variance,
                                                  with_replacement, &summary, err);
    *deff = status == SIPAS_OK ? summary.deff : NAN;
    return status;
}

sipas_status sipas_kish_deff(const sipas_prepared_design *pd, const double *x,
                             const bool *domain, double *deff, sipas_error *err)
{
    if (!pd || !deff)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "design and deff must not be NULL");
    double s1 = 0, s2 = 0;
    size_t m = 0;
    for (size_t i = 0; i < pd->n; i++) {
        double w = row_weight(pd, i);
        if ((domain && !domain[i]) || w == 0 || (x && x[i] == 0))
            continue;
        m++;
        s1 += w;
        s2 += w * w;
    }
    *deff = m ? (double)m * s2 / (s1 * s1) : NAN;
    return SIPAS_OK;
}

double sipas_effective_n(double p, double variance)
{
    if (!isfinite(variance) || !(variance > 0) || !isfinite(p))
        return NAN;
    return p * (1 - p) / variance;
}

unsigned sipas_nchs_flags(double p, double variance, double n, double lower, double upper,
                          double df)
{
    unsigned flags = 0;
    /* p of 0 or 1, or a variance of exactly 0 (every PSU of every stratum taken: a census),
     * have no sampling error to judge by: n_eff is the cap, n */
    double n_eff = (p == 0 || p == 1 || variance == 0) ? n : sipas_effective_n(p, variance);
    if (n_eff > n)
        n_eff = n;
    if (!(n_eff >= 30))
        flags |= SIPAS_NCHS_SMALL_N_EFF;
    if (isnan(lower) || isnan(upper)) {
        flags |= SIPAS_NCHS_NO_CI;
    } else {
        double width = upper - lower;
        if (width >= 0.30)
            flags |= SIPAS_NCHS_WIDE_CI;
        else if (width > 0.05 && !(width / p <= 1.30))
            flags |= SIPAS_NCHS_WIDE_RELATIVE;
    }
    if (!(df >= 8))
        flags |= SIPAS_NCHS_FEW_DF;
    return flags;
}

const char *sipas_nchs_flag_name(unsigned bit)
{
    switch (bit) {
    case SIPAS_NCHS_SMALL_N_EFF:
        return "small_n_eff";
    case SIPAS_NCHS_WIDE_CI:
        return "wide_ci";
    case SIPAS_NCHS_WIDE_RELATIVE:
        return "wide_relative_ci";
    case SIPAS_NCHS_NO_CI:
        return "no_ci";
    case SIPAS_NCHS_FEW_DF:
        return "few_df";
    default:
        return NULL;
    }
}
