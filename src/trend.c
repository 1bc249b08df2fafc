/* trend.c - changes, logit-scale trends, target verdicts and rankings (see sipas/trend.h). */
#include "sipas/trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

/* A positive design variance: the wave can be tested on its own. */
static bool has_variance(const sipas_wave_value *w)
{
    return !isnan(w->variance) && w->variance > 0.0;
}

/* A variance that is known, 0 included (a census stratum, everyone satisfied): it adds to a
 * change's variance. */
static bool variance_known(const sipas_wave_value *w)
{
    return isfinite(w->variance) && w->variance >= 0.0;
}

static bool df_usable(double df)
{
    return !isnan(df) && df > 0.0;
}

static sipas_status check_level(double level, sipas_error *err)
{
    if (!(level > 0.0 && level < 1.0))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "confidence level %g is not between 0 and 1", level);
    return SIPAS_OK;
}

/* Upper quantile for a two-sided interval; NaN when df gives no interval. GSL's inverse t has
 * no status to check, so a non-finite result is reported by the caller as no interval. */
static double two_sided_quantile(double level, double df)
{
    if (!df_usable(df))
        return NAN;
    double upper = 1.0 - (1.0 - level) / 2.0;
    if (isinf(df))
        return gsl_cdf_ugaussian_Pinv(upper);
    return gsl_cdf_tdist_Pinv(upper, df);
}

static double two_sided_p(double statistic, double df)
{
    if (!df_usable(df) || isnan(statistic))
        return NAN;
    double a = fabs(statistic);
    double tail = isinf(df) ? gsl_cdf_ugaussian_Q(a) : gsl_cdf_tdist_Q(a, df);
    return 2.0 * tail;
}

static double logit(double p)
{
    return log(p / (1.0 - p));
}

static double expit(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static bool meets(double x, double threshold, sipas_target_comparison comparison)
{
    return comparison == SIPAS_TARGET_ABOVE ? x > threshold : x >= threshold;
}

/* Fills a change from its point difference, variance and df; has_se follows variance. */
static void fill_change(double difference, double variance, bool known, double df, double level,
                        sipas_change *out)
{
    sipas_change c;
    c.difference = difference;
    c.has_se = known && variance > 0.0 && isfinite(variance);
    c.variance = c.has_se ? variance : NAN;
    c.se = c.has_se ? sqrt(variance) : NAN;
    c.df = c.has_se ? df : NAN;
    double q = c.has_se ? two_sided_quantile(level, df) : NAN;
    c.ci_low = difference - q * c.se;
    c.ci_high = difference + q * c.se;
    c.statistic = c.has_se ? difference / c.se : NAN;
    c.p_value = c.has_se ? two_sided_p(c.statistic, df) : NAN;
    *out = c;
}

/* The argument checks both differences share; what names the operation in messages. */
static sipas_status check_pair(const sipas_wave_value *a, const sipas_wave_value *b,
                               const sipas_change *out, double level, const char *what,
                               sipas_error *err)
{
    if (a == NULL || b == NULL || out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: missing argument", what);
    if (!isfinite(a->estimate) || !isfinite(b->estimate))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: estimate is not a finite number",
                               what);
    return check_level(level, err);
}

sipas_status sipas_change_between(const sipas_wave_value *earlier, const sipas_wave_value *later,
                                  double level, sipas_change *out, sipas_error *err)
{
    sipas_status st = check_pair(earlier, later, out, level, "change", err);
    if (st != SIPAS_OK)
        return st;
    bool known = variance_known(earlier) && variance_known(later);
    /* Any non-usable df makes the sum non-usable; INFINITY + finite stays INFINITY. */
    double df = df_usable(earlier->df) && df_usable(later->df) ? earlier->df + later->df : NAN;
    fill_change(later->estimate - earlier->estimate, earlier->variance + later->variance, known,
                df, level, out);
    return SIPAS_OK;
}

sipas_status sipas_change_dependent(const sipas_wave_value *a, const sipas_wave_value *b,
                                    double cov, double level, sipas_change *out,
                                    sipas_error *err)
{
    sipas_status st = check_pair(a, b, out, level, "difference", err);
    if (st != SIPAS_OK)
        return st;
    /* A covariance is NaN when a variance is (a unit with one PSU). */
    bool known = variance_known(a) && variance_known(b) && isfinite(cov);
    /* A non-positive total (a unit that is the whole design, or variances rounded to 0) leaves
     * the difference without a test (has_se false) instead of failing the whole ranking. */
    double variance = a->variance + b->variance - 2.0 * cov;
    /* The two share one design; the smaller df is the conservative reference. */
    double df = df_usable(a->df) && df_usable(b->df) ? fmin(a->df, b->df) : NAN;
    fill_change(a->estimate - b->estimate, variance, known, df, level, out);
    return SIPAS_OK;
}

/* ------------------------------------------------------------------------------------------ */

static int compare_year(const void *x, const void *y)
{
    const sipas_wave_value *a = x, *b = y;
    return (a->year > b->year) - (a->year < b->year);
}

/* The SRS variance at the wave's sample size with the estimate shrunk towards 1/2 by half an
 * observation, p~ = (n p + 1/2) / (n + 1) (the Jeffreys prior's posterior mean; Cox's empirical
 * logit log((y + 1/2) / (n - y + 1/2)) uses the same half), so that it is never 0, even at
 * p = 0 or 1. Returns NaN without a sample size. */
static double srs_floor(double estimate, double n, double *shrunk)
{
    if (!(isfinite(n) && n >= 1.0)) {
        *shrunk = NAN;
        return NAN;
    }
    double p = (n * estimate + 0.5) / (n + 1.0);
    *shrunk = p;
    return p * (1.0 - p) / n;
}

double sipas_trend_srs_variance(double estimate, double n)
{
    double shrunk;
    return srs_floor(estimate, n, &shrunk);
}

static int compare_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double sipas_trend_floor_factor(const sipas_wave_value *waves, size_t nwaves)
{
    double *deff = malloc((nwaves > 0 ? nwaves : 1) * sizeof *deff);
    if (deff == NULL)
        return SIPAS_TREND_FLOOR_SHARE; /* the factor at a design effect of 1 */
    size_t m = 0;
    for (size_t i = 0; i < nwaves; i++) {
        double shrunk;
        double srs = srs_floor(waves[i].estimate, waves[i].n, &shrunk);
        if (has_variance(&waves[i]) && srs > 0.0)
            deff[m++] = waves[i].variance / srs;
    }
    double median = 1.0;
    if (m > 0) {
        qsort(deff, m, sizeof *deff, compare_double);
        median = m % 2 ? deff[m / 2] : 0.5 * (deff[m / 2 - 1] + deff[m / 2]);
    }
    free(deff);
    return SIPAS_TREND_FLOOR_SHARE * fmin(1.0, median);
}

sipas_wave_use sipas_trend_wave_use(const sipas_wave_value *wave, bool weighted,
                                    double floor_factor, double *estimate_used,
                                    double *variance_used)
{
    double shrunk = NAN;
    double floor_variance = floor_factor * srs_floor(wave->estimate, wave->n, &shrunk);
    bool inside = wave->estimate > 0.0 && wave->estimate < 1.0;
    /* At 0 or 1 the logit is infinite: the empirical logit's p~ stands in, when n is known. */
    double p = inside ? wave->estimate : shrunk;
    *estimate_used = p;
    *variance_used = NAN;
    if (!(p > 0.0 && p < 1.0))
        return SIPAS_WAVE_EXCLUDED;
    if (!weighted) {
        *variance_used = 1.0;
        return SIPAS_WAVE_AS_GIVEN;
    }
    if (has_variance(wave) && !(wave->variance < floor_variance)) {
        *variance_used = wave->variance;
        return SIPAS_WAVE_AS_GIVEN;
    }
    if (isnan(floor_variance))
        return SIPAS_WAVE_EXCLUDED; /* neither a design variance nor a sample size */
    /* A known variance (0 included) below the floor is raised to it; an unknown one (one PSU)
     * is replaced by the series' typical variance at this n, not by the floor, so that it does
     * not weigh more than an ordinary wave. */
    if (isfinite(wave->variance)) {
        *variance_used = floor_variance;
        return SIPAS_WAVE_FLOORED;
    }
    *variance_used = floor_variance / SIPAS_TREND_FLOOR_SHARE;
    return SIPAS_WAVE_SRS_VARIANCE;
}

/* A series made ready for the line: all waves sorted by year (as given), and the waves the line
 * uses with the estimate and variance it fits (sipas_trend_wave_use). */
typedef struct prepared_series {
    sipas_wave_value *sorted;   /* nwaves, by year, as given */
    size_t nwaves;
    sipas_wave_value *fitted;   /* nfitted, by year: estimate and variance as fitted */
    size_t nfitted;
    bool weighted;              /* some wave has a design variance: weighted least squares */
    double floor_factor;        /* sipas_trend_floor_factor of the series */
    size_t nfloored, nsrs, nexcluded;
} prepared_series;

static void prepared_series_release(prepared_series *s)
{
    free(s->sorted);
    s->sorted = NULL;
}

/* A wave with a design variance, or one whose zero variance comes with a sample size: either
 * makes the series a weighted one. */
static bool wave_has_design_variance(const sipas_wave_value *w)
{
    return has_variance(w) || (w->variance == 0.0 && isfinite(w->n) && w->n >= 1.0);
}

/* Checks level and the waves, sorts them and applies the floor rule of sipas_trend_wave_use.
 * Every function over a series starts here. */
static sipas_status prepare_waves(const sipas_wave_value *waves, size_t nwaves, double level,
                                  prepared_series *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    sipas_status level_status = check_level(level, err);
    if (level_status != SIPAS_OK)
        return level_status;
    if (waves == NULL || nwaves == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "trend: no waves given");
    bool weighted = false;
    for (size_t i = 0; i < nwaves; i++) {
        const sipas_wave_value *w = &waves[i];
        if (!isfinite(w->year))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "trend: wave %zu has no year", i + 1);
        if (!(w->estimate >= 0.0 && w->estimate <= 1.0))
            return sipas_error_set(err, SIPAS_ERR_MATH,
                                   "trend: the estimate of wave %g is %g, not a proportion",
                                   w->year, w->estimate);
        weighted |= wave_has_design_variance(w);
    }
    /* One block: sorted copy, then the fitted waves. */
    sipas_wave_value *copy = malloc(2 * nwaves * sizeof *copy);
    if (copy == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "trend: out of memory for %zu waves",
                               nwaves);
    memcpy(copy, waves, nwaves * sizeof *copy);
    qsort(copy, nwaves, sizeof *copy, compare_year);
    for (size_t i = 1; i < nwaves; i++) {
        if (copy[i].year == copy[i - 1].year) {
            double year = copy[i].year;
            free(copy);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "trend: year %g appears twice", year);
        }
    }
    out->sorted = copy;
    out->nwaves = nwaves;
    out->fitted = copy + nwaves;
    out->weighted = weighted;
    out->floor_factor = sipas_trend_floor_factor(copy, nwaves);
    for (size_t i = 0; i < nwaves; i++) {
        sipas_wave_value used = copy[i];
        switch (sipas_trend_wave_use(&copy[i], weighted, out->floor_factor, &used.estimate,
                                     &used.variance)) {
        case SIPAS_WAVE_EXCLUDED: out->nexcluded++; continue;
        case SIPAS_WAVE_FLOORED: out->nfloored++; break;
        case SIPAS_WAVE_SRS_VARIANCE: out->nsrs++; break;
        case SIPAS_WAVE_AS_GIVEN: break;
        }
        out->fitted[out->nfitted++] = used;
    }
    return SIPAS_OK;
}

/* The line through the prepared series; records what the floor rule did. */
static sipas_status fit_prepared(const prepared_series *s, sipas_trend_method method,
                                 double level, sipas_trend_fit *out, sipas_error *err);

/* The fit on waves already sorted and checked. */
static sipas_status fit_sorted(const sipas_wave_value *waves, size_t n, bool weighted,
                               sipas_trend_method method, double level, sipas_trend_fit *out,
                               sipas_error *err)
{
    double *buffer = malloc(3 * n * sizeof *buffer);
    if (buffer == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "trend: out of memory for %zu waves", n);
    double *x = buffer, *w = buffer + n, *y = buffer + 2 * n;
    double sum_w = 0.0, sum_wt = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = waves[i].estimate;
        y[i] = logit(p);
        /* Delta method: d logit(p) / dp = 1 / (p (1 - p)). */
        w[i] = weighted ? (p * (1.0 - p)) * (p * (1.0 - p)) / waves[i].variance : 1.0;
        sum_w += w[i];
        sum_wt += w[i] * waves[i].year;
    }
    double centre = sum_wt / sum_w;
    for (size_t i = 0; i < n; i++)
        x[i] = waves[i].year - centre;

    double a, b, cov00, cov01, cov11, chisq;
    int gsl_status = gsl_fit_wlinear(x, 1, w, 1, y, 1, n, &a, &b, &cov00, &cov01, &cov11,
                                     &chisq);
    free(buffer);
    if (gsl_status != GSL_SUCCESS)
        return sipas_error_set(err, SIPAS_ERR_MATH, "trend: weighted line fit failed: %s",
                               gsl_strerror(gsl_status));
    if (!(cov11 > 0.0) || !isfinite(cov11))
        return sipas_error_set(err, SIPAS_ERR_MATH, "trend: the slope's variance is not finite");
    (void)cov01; /* zero up to rounding because x is centred at the weighted mean */

    sipas_trend_fit f;
    memset(&f, 0, sizeof f);
    f.nwaves = n;
    f.weighted = weighted;
    /* Without sampling variances the weights are 1 and only the residual scatter measures noise. */
    f.method_used = weighted ? method : SIPAS_TREND_LM;
    f.year_centre = centre;
    f.intercept = a;
    f.slope = b;
    f.chisq = chisq;
    double resid_df = (double)n - 2.0;
    if (f.method_used == SIPAS_TREND_KNOWN_VARIANCE) {
        f.var_intercept = cov00;
        f.var_slope = cov11;
        f.df = INFINITY;
    } else {
        double scale = resid_df > 0.0 ? chisq / resid_df : NAN;
        f.var_intercept = cov00 * scale;
        f.var_slope = cov11 * scale;
        f.df = resid_df > 0.0 ? resid_df : NAN;
    }
    f.lack_of_fit_p = weighted && resid_df > 0.0 ? gsl_cdf_chisq_Q(chisq, resid_df) : NAN;
    f.lack_of_fit = f.lack_of_fit_p < 1.0 - level;
    f.projection_caution = n < SIPAS_TREND_STEADY_WAVES || f.lack_of_fit;
    f.se_slope = sqrt(f.var_slope);
    double q = two_sided_quantile(level, f.df);
    f.slope_ci_low = b - q * f.se_slope;
    f.slope_ci_high = b + q * f.se_slope;
    f.statistic = b / f.se_slope;
    f.p_value = two_sided_p(f.statistic, f.df);
    f.latest_year = waves[n - 1].year;
    f.latest_fitted = expit(a + b * (f.latest_year - centre));
    double slope_factor = f.latest_fitted * (1.0 - f.latest_fitted);
    f.slope_per_year = b * slope_factor;
    f.slope_per_year_ci_low = f.slope_ci_low * slope_factor;
    f.slope_per_year_ci_high = f.slope_ci_high * slope_factor;
    f.level = level;
    *out = f;
    return SIPAS_OK;
}

static sipas_status fit_prepared(const prepared_series *s, sipas_trend_method method,
                                 double level, sipas_trend_fit *out, sipas_error *err)
{
    if (s->nfitted < 2) {
        if (s->nexcluded > 0)
            return sipas_error_set(err, SIPAS_ERR_MATH,
                                   "trend: %zu of %zu waves can be fitted (the others have "
                                   "neither a variance nor a sample size, or an estimate of 0 "
                                   "or 1 without a sample size); a line needs 2",
                                   s->nfitted, s->nwaves);
        return sipas_error_set(err, SIPAS_ERR_MATH,
                               "trend: %zu wave given; a line needs at least 2", s->nfitted);
    }
    sipas_status st = fit_sorted(s->fitted, s->nfitted, s->weighted, method, level, out, err);
    if (st != SIPAS_OK)
        return st;
    out->nfloored = s->nfloored;
    out->nsrs = s->nsrs;
    out->nexcluded = s->nexcluded;
    out->floor_factor = s->floor_factor;
    return SIPAS_OK;
}

sipas_status sipas_trend_fit_waves(const sipas_wave_value *waves, size_t nwaves,
                                   sipas_trend_method method, double level,
                                   sipas_trend_fit *out, sipas_error *err)
{
    if (out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "trend: missing output");
    if (method != SIPAS_TREND_KNOWN_VARIANCE && method != SIPAS_TREND_LM)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "trend: unknown method %d", (int)method);
    prepared_series series;
    sipas_status st = prepare_waves(waves, nwaves, level, &series, err);
    if (st != SIPAS_OK)
        return st;
    st = fit_prepared(&series, method, level, out, err);
    prepared_series_release(&series);
    return st;
}

sipas_status sipas_trend_project(const sipas_trend_fit *fit, double year, sipas_projection *out,
                                 sipas_error *err)
{
    if (fit == NULL || out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "projection: missing argument");
    if (!isfinite(year))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "projection: year is not a finite number");
    if (fit->nwaves < SIPAS_TREND_MIN_WAVES)
        return sipas_error_set(err, SIPAS_ERR_MATH,
                               "projection: a line through %zu waves is not projected; %d are "
                               "needed", fit->nwaves, SIPAS_TREND_MIN_WAVES);
    double dt = year - fit->year_centre;
    sipas_projection p;
    p.year = year;
    p.logit = fit->intercept + fit->slope * dt;
    /* Cov(a, b) = 0: the year is centred at its weighted mean. */
    p.se_logit = sqrt(fit->var_intercept + dt * dt * fit->var_slope);
    p.estimate = expit(p.logit);
    double q = two_sided_quantile(fit->level, fit->df);
    p.ci_low = expit(p.logit - q * p.se_logit);
    p.ci_high = expit(p.logit + q * p.se_logit);
    *out = p;
    return SIPAS_OK;
}

sipas_status sipas_trend_year_reaching(const sipas_trend_fit *fit, double threshold,
                                       sipas_crossing_kind *kind, double *year,
                                       sipas_error *err)
{
    if (fit == NULL || kind == NULL || year == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "crossing: missing argument");
    if (!(threshold > 0.0 && threshold < 1.0))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "crossing: threshold %g is not strictly between 0 and 1",
                               threshold);
    double target = logit(threshold);
    double b = fit->slope;
    double crossing = b != 0.0 ? fit->year_centre + (target - fit->intercept) / b : NAN;
    double at_latest = fit->intercept + b * (fit->latest_year - fit->year_centre);
    if (at_latest >= target) {
        *kind = b < 0.0 ? SIPAS_CROSSING_FALLS_BELOW : SIPAS_CROSSING_ALREADY;
        *year = crossing;
    } else if (b > 0.0) {
        *kind = SIPAS_CROSSING_REACHES;
        *year = crossing;
    } else {
        *kind = SIPAS_CROSSING_NEVER;
        *year = NAN;
    }
    return SIPAS_OK;
}

/* ------------------------------------------------------------------------------------------ */

static void verdict_on_observed(const sipas_wave_value *w, const sipas_target *target,
                                double level, sipas_target_verdict *v)
{
    double p = w->estimate;
    double q = has_variance(w) ? two_sided_quantile(level, w->df) : NAN;
    v->estimate = p;
    v->projected = false;
    if (isfinite(q)) {
        /* Logit interval, as R's svyciprop: it stays inside (0, 1) near 90-95% targets. */
        double half = q * sqrt(w->variance) / (p * (1.0 - p));
        v->basis = SIPAS_BASIS_INTERVAL;
        v->ci_low = expit(logit(p) - half);
        v->ci_high = expit(logit(p) + half);
        if (meets(v->ci_low, target->threshold, target->comparison))
            v->verdict = SIPAS_VERDICT_MET;
        else if (!meets(v->ci_high, target->threshold, target->comparison))
            v->verdict = SIPAS_VERDICT_NOT_MET;
        else
            v->verdict = SIPAS_VERDICT_NOT_DISTINGUISHABLE;
    } else {
        v->basis = SIPAS_BASIS_POINT;
        v->ci_low = v->ci_high = NAN;
        v->verdict = meets(p, target->threshold, target->comparison) ? SIPAS_VERDICT_MET
                                                                     : SIPAS_VERDICT_NOT_MET;
    }
}

sipas_status sipas_target_assess(const sipas_wave_value *waves, size_t nwaves,
                                 const sipas_target *target, double level,
                                 sipas_target_verdict *out, sipas_error *err)
{
    if (target == NULL || out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "target: missing argument");
    if (!(target->threshold > 0.0 && target->threshold < 1.0))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "target: threshold %g is not strictly between 0 and 1",
                               target->threshold);
    if (target->comparison != SIPAS_TARGET_AT_LEAST && target->comparison != SIPAS_TARGET_ABOVE)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "target: unknown comparison %d",
                               (int)target->comparison);
    if (!isfinite(target->year))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "target: year is not a finite number");
    prepared_series series;
    sipas_status st = prepare_waves(waves, nwaves, level, &series, err);
    const sipas_wave_value *sorted = series.sorted;
    bool weighted = series.weighted;
    if (st != SIPAS_OK)
        return sipas_error_prefix(err, st, "target %g in %g", target->threshold, target->year);

    sipas_target_verdict v;
    memset(&v, 0, sizeof v);
    v.estimate = v.ci_low = v.ci_high = NAN;
    v.basis = weighted ? SIPAS_BASIS_INTERVAL : SIPAS_BASIS_POINT;
    const sipas_wave_value *observed = NULL;
    for (size_t i = 0; i < nwaves; i++)
        if (sorted[i].year == target->year)
            observed = &sorted[i];

    if (observed != NULL) {
        verdict_on_observed(observed, target, level, &v);
    } else if (target->year <= sorted[nwaves - 1].year) {
        v.verdict = SIPAS_VERDICT_NOT_OBSERVED;
    } else if (series.nfitted < SIPAS_TREND_MIN_WAVES) {
        v.verdict = SIPAS_VERDICT_INSUFFICIENT_DATA;
    } else {
        st = fit_prepared(&series, SIPAS_TREND_KNOWN_VARIANCE, level, &v.fit, err);
        sipas_projection proj;
        if (st == SIPAS_OK)
            st = sipas_trend_project(&v.fit, target->year, &proj, err);
        if (st == SIPAS_OK) {
            v.projected = true;
            v.estimate = proj.estimate;
            if (weighted) {
                v.ci_low = proj.ci_low;
                v.ci_high = proj.ci_high;
                if (meets(v.ci_low, target->threshold, target->comparison))
                    v.verdict = SIPAS_VERDICT_ON_TRACK;
                else if (!meets(v.ci_high, target->threshold, target->comparison))
                    v.verdict = SIPAS_VERDICT_OFF_TRACK;
                else
                    v.verdict = SIPAS_VERDICT_AT_RISK;
            } else {
                v.verdict = meets(proj.estimate, target->threshold, target->comparison)
                                ? SIPAS_VERDICT_ON_TRACK
                                : SIPAS_VERDICT_OFF_TRACK;
            }
        }
    }
    prepared_series_release(&series);
    if (st != SIPAS_OK)
        return sipas_error_prefix(err, st, "target %g in %g", target->threshold, target->year);
    *out = v;
    return SIPAS_OK;
}

sipas_trend_label sipas_trend_label_of(const sipas_trend_fit *fit, double first_to_last,
                                       bool fell)
{
    if (fit->nwaves < SIPAS_TREND_MIN_WAVES)
        return SIPAS_TREND_LABEL_INSUFFICIENT;
    /* NaN p-value (zero slope on an exact line) is not significant. */
    if (!(fit->p_value < 1.0 - fit->level))
        return SIPAS_TREND_FLAT;
    /* A significant slope against the direction of the whole series: neither word fits. */
    if ((fit->slope < 0.0 && first_to_last > 0.0) || (fit->slope > 0.0 && first_to_last < 0.0))
        return SIPAS_TREND_NO_CLEAR_DIRECTION;
    if (fit->slope < 0.0)
        return SIPAS_TREND_FALLING;
    return fell ? SIPAS_TREND_RISING_UNEVENLY : SIPAS_TREND_RISING_STEADILY;
}

sipas_status sipas_trend_label_waves(const sipas_wave_value *waves, size_t nwaves, double level,
                                     sipas_trend_label *label, sipas_trend_fit *fit,
                                     sipas_error *err)
{
    if (label == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "trend label: missing output");
    prepared_series series;
    sipas_status st = prepare_waves(waves, nwaves, level, &series, err);
    if (st != SIPAS_OK)
        return st;
    if (series.nfitted < SIPAS_TREND_MIN_WAVES) {
        prepared_series_release(&series);
        *label = SIPAS_TREND_LABEL_INSUFFICIENT;
        return SIPAS_OK;
    }
    sipas_trend_fit f;
    st = fit_prepared(&series, SIPAS_TREND_KNOWN_VARIANCE, level, &f, err);
    /* Waves scattered around the line beyond their variances: the slope's variance taken as
     * known would pass that scatter off as a significant trend. The test then scales it by
     * chisq / (k - 2) on t with k - 2 df (R's lm with the same weights; the overdispersion
     * correction of McCullagh & Nelder 1989, 4.5). */
    if (st == SIPAS_OK && f.lack_of_fit)
        st = fit_prepared(&series, SIPAS_TREND_LM, level, &f, err);
    /* Point estimates as observed (not the shrunk ones the line fits) of the fitted waves. */
    bool fell = false;
    const sipas_wave_value *first = NULL, *previous = NULL;
    for (size_t i = 0; i < series.nwaves; i++) {
        const sipas_wave_value *w = &series.sorted[i];
        double p_used, v_used;
        if (sipas_trend_wave_use(w, series.weighted, series.floor_factor, &p_used, &v_used) ==
            SIPAS_WAVE_EXCLUDED)
            continue;
        if (first == NULL)
            first = w;
        if (previous != NULL && w->estimate < previous->estimate)
            fell = true;
        previous = w;
    }
    double first_to_last = previous->estimate - first->estimate;
    prepared_series_release(&series);
    if (st != SIPAS_OK)
        return st;
    *label = sipas_trend_label_of(&f, first_to_last, fell);
    if (fit != NULL)
        *fit = f;
    return SIPAS_OK;
}

/* Report wording, indexed by sipas_trend_label. */
static const struct {
    const char *en;
    const char *vi;
} label_names[] = {
    [SIPAS_TREND_RISING_STEADILY] = { "rising steadily", "tăng đều" },
    [SIPAS_TREND_RISING_UNEVENLY] = { "rising unevenly", "tăng không đều" },
    [SIPAS_TREND_FLAT] = { "flat", "ổn định" },
    [SIPAS_TREND_FALLING] = { "falling", "giảm" },
    [SIPAS_TREND_LABEL_INSUFFICIENT] = { "insufficient data", "chưa đủ số liệu" },
    [SIPAS_TREND_NO_CLEAR_DIRECTION] = { "no clear direction", "không rõ xu hướng" },
};

static bool label_known(sipas_trend_label label)
{
    return (unsigned)label < sizeof label_names / sizeof label_names[0];
}

const char *sipas_trend_label_name(sipas_trend_label label)
{
    return label_known(label) ? label_names[label].en : "unknown";
}

const char *sipas_trend_label_name_vi(sipas_trend_label label)
{
    return label_known(label) ? label_names[label].vi : "không rõ";
}

const char *sipas_verdict_name(sipas_verdict verdict)
{
    switch (verdict) {
    case SIPAS_VERDICT_MET: return "met";
    case SIPAS_VERDICT_NOT_MET: return "not met";
    case SIPAS_VERDICT_NOT_DISTINGUISHABLE: return "not distinguishable";
    case SIPAS_VERDICT_ON_TRACK: return "on track";
    case SIPAS_VERDICT_AT_RISK: return "at risk";
    case SIPAS_VERDICT_OFF_TRACK: return "off track";
    case SIPAS_VERDICT_INSUFFICIENT_DATA: return "insufficient data";
    case SIPAS_VERDICT_NOT_OBSERVED: return "not observed";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------------------------ */

typedef struct indexed_p {
    double p;
    size_t index;
} indexed_p;

static int compare_p(const void *x, const void *y)
{
    const indexed_p *a = x, *b = y;
    if (a->p != b->p)
        return (a->p > b->p) - (a->p < b->p);
    /* Stable like R's order(): ties keep input order (the results do not depend on it). */
    return (a->index > b->index) - (a->index < b->index);
}

sipas_status sipas_p_adjust(const double *p, size_t n, sipas_p_adjust_method method,
                            double *adjusted, sipas_error *err)
{
    if ((p == NULL || adjusted == NULL) && n > 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "p.adjust: missing argument");
    if (method != SIPAS_ADJUST_HOLM && method != SIPAS_ADJUST_BH && method != SIPAS_ADJUST_NONE)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "p.adjust: unknown method %d", (int)method);
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]) && !(p[i] >= 0.0 && p[i] <= 1.0))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "p.adjust: p-value %zu is %g", i + 1,
                                   p[i]);
    if (n == 0)
        return SIPAS_OK;
    indexed_p *sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "p.adjust: out of memory for %zu values",
                               n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            sorted[m++] = (indexed_p){ .p = p[i], .index = i };
    /* Written into adjusted only after reading all of p, since they may alias. */
    qsort(sorted, m, sizeof *sorted, compare_p);
    for (size_t i = 0; i < n; i++)
        if (isnan(p[i]))
            adjusted[i] = NAN;
    double family = (double)m;
    if (method == SIPAS_ADJUST_HOLM) {
        /* Step down: (m - k + 1) p_(k), made monotone by a running maximum, capped at 1. */
        double running = 0.0;
        for (size_t k = 0; k < m; k++) {
            running = fmax(running, (family - (double)k) * sorted[k].p);
            sorted[k].p = fmin(1.0, running);
        }
    } else if (method == SIPAS_ADJUST_BH) {
        /* Step up: m / k p_(k), made monotone by a running minimum from the largest p. */
        double running = INFINITY;
        for (size_t k = m; k-- > 0;) {
            running = fmin(running, family / (double)(k + 1) * sorted[k].p);
            sorted[k].p = fmin(1.0, running);
        }
    }
    for (size_t k = 0; k < m; k++)
        adjusted[sorted[k].index] = sorted[k].p;
    free(sorted);
    return SIPAS_OK;
}

/* Adjusts the p-values of changes (NaN where untested) into a new array the caller frees. */
static sipas_status adjust_changes(const sipas_change *changes, size_t stride, size_t n,
                                   sipas_p_adjust_method method, double **adjusted,
                                   sipas_error *err)
{
    double *p = calloc(n > 0 ? n : 1, sizeof *p); /* calloc: gcc -O3 warns on n = 0 */
    if (p == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory for %zu p-values", n);
    for (size_t i = 0; i < n; i++) {
        const sipas_change *c = (const sipas_change *)((const char *)changes + i * stride);
        p[i] = c->has_se ? c->p_value : NAN;
    }
    sipas_status st = sipas_p_adjust(p, n, method, p, err);
    if (st != SIPAS_OK) {
        free(p);
        return st;
    }
    *adjusted = p;
    return SIPAS_OK;
}

sipas_status sipas_rank_units(const sipas_unit_value *units, size_t nunits,
                              const sipas_wave_value *province, sipas_p_adjust_method adjust,
                              double level, sipas_unit_comparison *out, sipas_error *err)
{
    if ((units == NULL || out == NULL) && nunits > 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "ranking: missing argument");
    if (province == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "ranking: no province value");
    sipas_status st = check_level(level, err);
    if (st != SIPAS_OK)
        return st;
    sipas_unit_comparison *result = calloc(nunits > 0 ? nunits : 1, sizeof *result); /* calloc: gcc -O2 */
    if (result == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "ranking: out of memory for %zu units",
                               nunits);
    for (size_t i = 0; i < nunits && st == SIPAS_OK; i++) {
        const sipas_unit_value *u = &units[i];
        result[i].name = u->name;
        st = sipas_change_dependent(&u->value, province, u->cov_with_province, level,
                                    &result[i].vs_province, err);
        if (st != SIPAS_OK) {
            if (u->name != NULL)
                sipas_error_prefix(err, st, "ranking: unit '%s'", u->name);
            else
                sipas_error_prefix(err, st, "ranking: unit %zu", i + 1);
            break;
        }
        /* Rank by counting higher estimates: units are tens to hundreds, so O(n^2) is cheap
         * and ties come out as R's rank(-x, ties.method = "min"). */
        size_t higher = 0;
        for (size_t j = 0; j < nunits; j++)
            if (units[j].value.estimate > u->value.estimate)
                higher++;
        result[i].rank = higher + 1;
    }
    double *adjusted = NULL;
    if (st == SIPAS_OK)
        st = adjust_changes(&result[0].vs_province, sizeof *result, nunits, adjust, &adjusted,
                            err);
    if (st != SIPAS_OK) {
        free(result);
        return st;
    }
    for (size_t i = 0; i < nunits; i++) {
        result[i].p_adjusted = adjusted[i];
        result[i].flag = result[i].vs_province.has_se ? SIPAS_UNIT_NOT_DIFFERENT
                                                      : SIPAS_UNIT_NOT_TESTED;
        if (adjusted[i] < 1.0 - level)
            result[i].flag = result[i].vs_province.difference > 0.0 ? SIPAS_UNIT_ABOVE
                                                                    : SIPAS_UNIT_BELOW;
    }
    free(adjusted);
    if (nunits > 0)
        memcpy(out, result, nunits * sizeof *result);
    free(result);
    return SIPAS_OK;
}

sipas_status sipas_count_unit_changes(const sipas_wave_value *earlier,
                                      const sipas_wave_value *later, size_t n,
                                      sipas_p_adjust_method adjust, double level,
                                      sipas_change *changes, sipas_change_counts *counts,
                                      sipas_error *err)
{
    if (((earlier == NULL || later == NULL) && n > 0) || counts == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "change counts: missing argument");
    sipas_change *all = malloc((n > 0 ? n : 1) * sizeof *all);
    if (all == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "change counts: out of memory for %zu units",
                               n);
    sipas_status st = SIPAS_OK;
    for (size_t i = 0; i < n && st == SIPAS_OK; i++) {
        st = sipas_change_between(&earlier[i], &later[i], level, &all[i], err);
        if (st != SIPAS_OK)
            sipas_error_prefix(err, st, "change counts: unit %zu", i + 1);
    }
    double *adjusted = NULL;
    if (st == SIPAS_OK)
        st = adjust_changes(all, sizeof *all, n, adjust, &adjusted, err);
    if (st != SIPAS_OK) {
        free(all);
        return st;
    }
    sipas_change_counts c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < n; i++) {
        double d = all[i].difference;
        c.compared++;
        if (!all[i].has_se) {
            c.not_estimable++;
            continue;
        }
        if (d > 0.0)
            c.up++;
        else if (d < 0.0)
            c.down++;
        else
            c.same++;
        if (isnan(adjusted[i]))
            continue;
        c.tested++;
        if (adjusted[i] < 1.0 - level) {
            if (d > 0.0)
                c.significant_up++;
            else if (d < 0.0)
                c.significant_down++;
        }
    }
    free(adjusted);
    if (changes != NULL && n > 0)
        memcpy(changes, all, n * sizeof *all);
    free(all);
    *counts = c;
    return SIPAS_OK;
}
