/* sipas/trend.h - year-on-year change, trends, target verdicts and unit rankings over yearly
 * estimates (pure statistics over arrays; GSL inside, no SQLite, no printing).
 *
 * Inputs are already-estimated values: for each wave an estimate p in (0, 1), its variance V
 * (a proportion's variance, not percentage points) and its design degrees of freedom. All
 * results are proportions too (a change of 0.012 is 1.2 percentage points); the caller formats.
 * Full method, rules and worked examples: docs/trends.md.
 *
 * Conventions of every function here:
 *   - variance NaN means "no standard error known" (a non-survey indicator such as the share
 *     of dossiers resolved on time, or a survey wave without design variance: one PSU).
 *     A change or difference whose variance is not positive (unknown, or exactly 0) carries
 *     has_se = false: its interval and p-value are NaN and nothing is tested; verdicts then
 *     compare point values (basis SIPAS_BASIS_POINT). Trends treat such waves by the floor
 *     rule of sipas_trend_wave_use.
 *   - df = INFINITY means a normal reference distribution; df NaN or <= 0 gives no interval
 *     (NaN), never a zero-width one. Otherwise quantiles are Student t with df.
 *   - level is the confidence level in (0, 1), e.g. 0.95; tests are two-sided at 1 - level.
 *   - Outputs are written only when the function returns SIPAS_OK. Caller owns every array;
 *     name pointers in inputs are borrowed and copied into outputs as the same pointer.
 */
#ifndef SIPAS_TREND_H
#define SIPAS_TREND_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* One yearly value of one unit (or of the province). */
typedef struct sipas_wave_value {
    double year;     /* survey year, e.g. 2024 */
    double estimate; /* proportion in (0, 1) for trends and targets; any real for changes */
    double variance; /* sampling variance of estimate; <= 0 or NaN: unknown */
    double df;       /* design df; INFINITY: normal reference */
    double n;        /* sample size behind the estimate (valid answers); 0 or NaN: unknown.
                        Only trends use it, for the variance floor (sipas_trend_wave_use) */
} sipas_wave_value;

/* ---------------------------------------------------------------------------------------------
 * Differences: year-on-year change between independent waves, and unit against province. */

typedef struct sipas_change {
    double difference; /* later - earlier (or unit - province) */
    bool has_se;       /* false: at least one variance unknown; the rest below is NaN */
    double variance;   /* V1 + V2 (independent waves) or V_u + V_p - 2 Cov(u, p) */
    double se;
    double df;         /* df1 + df2 for waves; min(df_u, df_p) for unit vs province */
    double ci_low, ci_high; /* difference -+ q sqrt(variance), q the t (or normal) quantile */
    double statistic;  /* difference / se */
    double p_value;    /* two-sided: 2 P(T_df > |statistic|) */
} sipas_change;

/* Change from earlier to later, two independent samples: d = p2 - p1, V = V1 + V2,
 * df = df1 + df2 (the Welch-free convention of the statistics notes: each wave's design df adds
 * up because the two designs share no PSU). */
sipas_status sipas_change_between(const sipas_wave_value *earlier, const sipas_wave_value *later,
                                  double level, sipas_change *out, sipas_error *err);

/* Difference a - b of two estimates from the same design with covariance cov:
 * V = V_a + V_b - 2 cov, df = min(df_a, df_b). Used for a unit against the province that
 * contains it; cov is Cov(u, p), which the caller computes from the linearised scores
 * (sum over PSUs of the products of the two score totals, same formula as a variance).
 * A NaN cov, or a total V that is not positive, leaves the difference untested (has_se false):
 * a unit that is the whole design or has one PSU is not estimable, never an error. */
sipas_status sipas_change_dependent(const sipas_wave_value *a, const sipas_wave_value *b,
                                    double cov, double level, sipas_change *out,
                                    sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * Trend over waves: weighted least squares on the logit scale.
 *   y_t = logit(p_t),  Var(y_t) = V_t / (p_t (1 - p_t))^2   (delta method)
 *   w_t = 1 / Var(y_t),  tbar = sum w_t t / sum w_t,  y_t = a + b (t - tbar)
 *   Sxx = sum w_t (t - tbar)^2,  chisq = sum w_t (y_t - a - b (t - tbar))^2
 * Known variance: Var(b) = 1 / Sxx, Var(a) = 1 / sum w_t, normal reference (df = INFINITY).
 * lm-compatible:  both multiplied by s^2 = chisq / (n - 2), t with n - 2 df; equals R's
 *                 summary(lm(y ~ I(t - tbar), weights = w)).
 * Without standard errors (all variances unknown) every w_t = 1 and only the lm-compatible
 * variance exists (ordinary least squares); asking for known variance then falls back to it and
 * says so in method_used. When some waves have a design variance, each wave enters the fit as
 * sipas_trend_wave_use says (the variance floor; docs/trends.md "Degenerate variances").
 * Verdicts and labels use SIPAS_TREND_KNOWN_VARIANCE (see docs/trends.md for why). */

/* Fewer fitted waves than this: no label, no projection, no verdict on a future year (two
 * waves always lie on a line and say nothing beyond their change). */
#define SIPAS_TREND_MIN_WAVES 3
/* Fewer fitted waves than this (or a significant lack of fit): projections are flagged as
 * uncertain beyond their interval (projection_caution). */
#define SIPAS_TREND_STEADY_WAVES 5

/* How one wave enters a weighted fit: no wave may weigh more than the series' own design
 * allows, whatever rounding or a single PSU made of its variance. The floor is a generalized
 * variance function (Wolter 2007, ch. 7: V = deff p (1 - p) / n) at a low design effect:
 *     V_floor = c p~ (1 - p~) / n,   p~ = (n p + 1/2) / (n + 1),
 *     c = SIPAS_TREND_FLOOR_SHARE * min(1, median over the series' waves with a positive
 *         variance and an n of V_t / (p~_t (1 - p~_t) / n_t))        (sipas_trend_floor_factor)
 * i.e. a wave keeps its own variance unless its design effect is below half the series' typical
 * one (at most half the SRS variance: the effective n is capped at 2n, in the spirit of the
 * NCHS 2017 standards' cap of n_eff at n, Parker et al. 2017). p~ keeps the floor above 0 at
 * p = 0 or 1, where the line fits logit(p~), Cox's empirical logit. Without n no floor exists.
 * For a composite index (a mean of criteria) p (1 - p) / n overstates the SRS variance, which
 * the median design effect of its own series (below 1 then) corrects. */
#define SIPAS_TREND_FLOOR_SHARE 0.5

double sipas_trend_floor_factor(const sipas_wave_value *waves, size_t nwaves);

/* SRS_t above: p~ (1 - p~) / n with p~ = (n p + 1/2) / (n + 1); NaN without an n >= 1. The
 * review gives it to an estimate whose design variance is exactly 0 (everyone satisfied, PSUs
 * with the same share, a census stratum), for its changes and comparisons: a variance of 0 says
 * nothing of the estimate's precision at the boundary (Dean & Pagano 2015), and a test against
 * it would be spuriously certain. */
double sipas_trend_srs_variance(double estimate, double n);

typedef enum {
    SIPAS_WAVE_AS_GIVEN = 0,  /* its own estimate and variance (or weight 1 unweighted) */
    SIPAS_WAVE_FLOORED,       /* its design variance (0 included) was below the floor: raised */
    SIPAS_WAVE_SRS_VARIANCE,  /* no design variance (NaN: one PSU): the series' typical
                                 variance at its n stands in, V_floor / SIPAS_TREND_FLOOR_SHARE */
    SIPAS_WAVE_EXCLUDED       /* neither a variance nor n, or p at 0 or 1 without n: left out */
} sipas_wave_use;

/* The estimate and variance the fit uses for wave; weighted tells whether the series has any
 * design variance (without one every wave has weight 1 and *variance_used is 1); floor_factor
 * is c above. */
sipas_wave_use sipas_trend_wave_use(const sipas_wave_value *wave, bool weighted,
                                    double floor_factor, double *estimate_used,
                                    double *variance_used);
typedef enum {
    SIPAS_TREND_KNOWN_VARIANCE = 0, /* sampling variances taken as known: GSL's wlinear cov */
    SIPAS_TREND_LM                  /* scaled by the residual mean square, as R's lm(weights=) */
} sipas_trend_method;

typedef struct sipas_trend_fit {
    size_t nwaves;           /* waves fitted (excluded ones not counted) */
    size_t nfloored, nsrs, nexcluded; /* waves by sipas_wave_use (AS_GIVEN: the rest) */
    double floor_factor;     /* c of the variance floor (sipas_trend_floor_factor) */
    bool weighted;           /* false: no variances, ordinary least squares */
    sipas_trend_method method_used;
    double year_centre;      /* tbar */
    double intercept;        /* a: logit at tbar */
    double slope;            /* b: logit units per year */
    double var_intercept;    /* Var(a); Cov(a, b) = 0 because the year is centred */
    double var_slope;        /* Var(b) */
    double se_slope;
    double df;               /* INFINITY (known variance) or n - 2 (lm); NaN when n - 2 = 0 */
    double chisq;            /* weighted residual sum of squares */
    double lack_of_fit_p;    /* P(chi2_{n-2} > chisq): small means the waves scatter around the
                                line more than their sampling variances allow; NaN without
                                variances or with two waves */
    bool lack_of_fit;        /* lack_of_fit_p < 1 - level: the line does not describe the
                                waves; shown next to the label */
    bool projection_caution; /* nwaves < SIPAS_TREND_STEADY_WAVES or lack_of_fit */
    double slope_ci_low, slope_ci_high; /* b -+ q se_slope, logit per year */
    double statistic;        /* b / se_slope */
    double p_value;          /* two-sided test of b = 0 */
    double latest_year;      /* the last wave's year */
    double latest_fitted;    /* expit(a + b (latest_year - tbar)), proportion */
    /* Slope in proportion per year at the latest wave, b p (1 - p) with p = latest_fitted
     * (derivative of expit); its interval scales the slope's by the same factor. */
    double slope_per_year;
    double slope_per_year_ci_low, slope_per_year_ci_high;
    double level;
} sipas_trend_fit;

/* Fits the line. Waves may come in any order; years must be distinct; estimates are
 * proportions (0 or 1 only with n, see sipas_trend_wave_use). Needs at least 2 fitted waves. */
sipas_status sipas_trend_fit_waves(const sipas_wave_value *waves, size_t nwaves,
                                   sipas_trend_method method, double level,
                                   sipas_trend_fit *out, sipas_error *err);

typedef struct sipas_projection {
    double year;
    double logit;      /* a + b (year - tbar) */
    double se_logit;   /* sqrt(Var(a) + (year - tbar)^2 Var(b)) */
    double estimate;   /* expit(logit) */
    double ci_low, ci_high; /* expit(logit -+ q se_logit), q from the fit's df and level */
} sipas_projection;

/* The line at any year (a past year interpolates); equals R's predict(interval="confidence")
 * on the logit scale for the lm-compatible fit. A fit of fewer than SIPAS_TREND_MIN_WAVES waves
 * is not projected (SIPAS_ERR_MATH). */
sipas_status sipas_trend_project(const sipas_trend_fit *fit, double year,
                                 sipas_projection *out, sipas_error *err);

typedef enum {
    SIPAS_CROSSING_REACHES = 0,  /* below at the latest wave, rising: reaches it in year */
    SIPAS_CROSSING_ALREADY,      /* at or above at the latest wave and not falling; year is when
                                    the line crossed (NaN when the slope is 0) */
    SIPAS_CROSSING_FALLS_BELOW,  /* at or above at the latest wave but falling: year it drops
                                    below */
    SIPAS_CROSSING_NEVER         /* below and not rising: no year (NaN) */
} sipas_crossing_kind;

/* The year the fitted line equals threshold: T* = tbar + (logit(threshold) - a) / b, with
 * threshold in (0, 1). "At the latest wave" means the fitted value there. No interval is given
 * (a ratio of estimates; Fieller's interval is often unbounded with few waves). */
sipas_status sipas_trend_year_reaching(const sipas_trend_fit *fit, double threshold,
                                       sipas_crossing_kind *kind, double *year,
                                       sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * Targets, e.g. SIPAS >= 90% in 2025 (Lạng Sơn Resolution 60-NQ/TU). An indicator where lower
 * is better (late dossiers <= 1%) is expressed as its complement (on-time >= 99%). */
typedef enum { SIPAS_TARGET_AT_LEAST = 0, SIPAS_TARGET_ABOVE } sipas_target_comparison; /* >= , > */

typedef struct sipas_target {
    double threshold; /* proportion in (0, 1) */
    sipas_target_comparison comparison;
    double year;
} sipas_target;

typedef enum {
    SIPAS_VERDICT_MET = 0,            /* observed year: interval entirely meets the target */
    SIPAS_VERDICT_NOT_MET,            /* observed year: interval entirely misses it */
    SIPAS_VERDICT_NOT_DISTINGUISHABLE,/* observed year: interval straddles the threshold */
    SIPAS_VERDICT_ON_TRACK,           /* future year: projection interval meets the target */
    SIPAS_VERDICT_AT_RISK,            /* future year: projection interval straddles it */
    SIPAS_VERDICT_OFF_TRACK,          /* future year: projection interval misses it */
    SIPAS_VERDICT_INSUFFICIENT_DATA,  /* future year with fewer than 3 waves */
    SIPAS_VERDICT_NOT_OBSERVED        /* a year up to the latest wave that has no wave */
} sipas_verdict;

typedef enum {
    SIPAS_BASIS_INTERVAL = 0, /* the rule was applied to a confidence interval */
    SIPAS_BASIS_POINT         /* no standard errors: point value compared with the threshold */
} sipas_verdict_basis;

typedef struct sipas_target_verdict {
    sipas_verdict verdict;
    sipas_verdict_basis basis;
    double estimate;          /* the observed value, or the projection; NaN when no verdict */
    double ci_low, ci_high;   /* its interval; NaN with basis POINT */
    bool projected;           /* true when estimate is a projection of the trend */
    sipas_trend_fit fit;      /* the fit used when projected (known variance); zeroed otherwise */
} sipas_target_verdict;

/* Rules, with "meets" meaning x >= threshold for AT_LEAST and x > threshold for ABOVE:
 *   target year equals a wave's year (observed): the wave's logit interval
 *     expit(logit(p) -+ q sqrt(V) / (p (1 - p))) with q from that wave's df;
 *     MET when the lower bound meets, NOT_MET when the upper bound does not meet,
 *     NOT_DISTINGUISHABLE otherwise. Point basis: MET when p meets, NOT_MET otherwise.
 *   target year after the latest wave: fewer than 3 waves gives INSUFFICIENT_DATA; otherwise
 *     the known-variance trend is projected to the target year; ON_TRACK when the lower bound
 *     meets, OFF_TRACK when the upper bound does not meet, AT_RISK otherwise. Point basis
 *     (no variances: ordinary least squares line): ON_TRACK when the projection meets,
 *     OFF_TRACK otherwise.
 *   target year not observed and not after the latest wave: NOT_OBSERVED. */
sipas_status sipas_target_assess(const sipas_wave_value *waves, size_t nwaves,
                                 const sipas_target *target, double level,
                                 sipas_target_verdict *out, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * Trend labels as reports word them (tăng đều, tăng không đều, ổn định, giảm). */
typedef enum {
    SIPAS_TREND_RISING_STEADILY = 0, /* slope significantly > 0 and no year-on-year fall */
    SIPAS_TREND_RISING_UNEVENLY,     /* slope significantly > 0 but some year fell */
    SIPAS_TREND_FLAT,                /* slope not significantly different from 0 */
    SIPAS_TREND_FALLING,             /* slope significantly < 0 */
    SIPAS_TREND_LABEL_INSUFFICIENT,  /* fewer than 3 fitted waves */
    SIPAS_TREND_NO_CLEAR_DIRECTION   /* slope significant but against the first-to-last change */
} sipas_trend_label;

/* Significance: the two-sided p-value of the slope of the known-variance fit (the OLS fit with
 * lm variance when there are no variances; the lm-compatible fit when the lack of fit is
 * significant, so that scatter around the line is not taken for a trend) is below 1 - level. "Fell" compares consecutive
 * waves' point estimates (sorted by year): p_{k+1} < p_k. A significant slope whose sign is
 * opposite to the first-to-last change (last fitted wave - first) is NO_CLEAR_DIRECTION, so a
 * label never contradicts both the slope and that change. Waves the fit excludes are left out
 * of "fell" and of the change too. fit may be NULL; when not, it receives the fit used (not
 * written for fewer than 3 fitted waves). */
sipas_status sipas_trend_label_waves(const sipas_wave_value *waves, size_t nwaves, double level,
                                     sipas_trend_label *label, sipas_trend_fit *fit,
                                     sipas_error *err);

/* The same rule on a fit already made (fit->level is the test level). */
sipas_trend_label sipas_trend_label_of(const sipas_trend_fit *fit, double first_to_last,
                                       bool fell);

/* English and Vietnamese wording of a label ("rising steadily", "tăng đều"); static strings. */
const char *sipas_trend_label_name(sipas_trend_label label);
const char *sipas_trend_label_name_vi(sipas_trend_label label);
const char *sipas_verdict_name(sipas_verdict verdict); /* "met", "on track", ... */

/* ---------------------------------------------------------------------------------------------
 * Multiple comparisons. */
typedef enum {
    SIPAS_ADJUST_HOLM = 0, /* Holm (1979): controls the family-wise error rate; the default */
    SIPAS_ADJUST_BH,       /* Benjamini-Hochberg (1995): controls the false discovery rate */
    SIPAS_ADJUST_NONE
} sipas_p_adjust_method;

/* Adjusted p-values, identical to R's p.adjust(p, method = "holm" / "BH" / "none"). NaN inputs
 * are left NaN and not counted in n (R's default n = number of non-NA p). p and adjusted may be
 * the same array. */
sipas_status sipas_p_adjust(const double *p, size_t n, sipas_p_adjust_method method,
                            double *adjusted, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * Ranking units (districts, agencies) against the province. */
typedef struct sipas_unit_value {
    const char *name;         /* borrowed; may be NULL */
    sipas_wave_value value;   /* the unit's estimate, variance, df (year unused) */
    double cov_with_province; /* Cov(u, p) from the linearised scores; 0 if independent */
} sipas_unit_value;

typedef enum {
    SIPAS_UNIT_NOT_DIFFERENT = 0,
    SIPAS_UNIT_ABOVE,
    SIPAS_UNIT_BELOW,
    SIPAS_UNIT_NOT_TESTED    /* the difference has no standard error (a unit with one PSU, or
                                one that is the whole design): no finding, no p-value */
} sipas_unit_flag;

typedef struct sipas_unit_comparison {
    const char *name;       /* the input's pointer */
    size_t rank;            /* 1 = highest estimate; ties share the smallest rank (R's "min") */
    sipas_change vs_province; /* unit - province, per-comparison interval and raw p-value */
    double p_adjusted;      /* across all units with a p-value, by the chosen method */
    sipas_unit_flag flag;   /* ABOVE / BELOW when p_adjusted < 1 - level; NOT_TESTED when
                               the difference has no standard error; NOT_DIFFERENT otherwise */
} sipas_unit_comparison;

/* out has nunits elements, in the input's order. The interval in vs_province is not adjusted
 * for multiplicity, so it can exclude 0 while the flag says NOT_DIFFERENT; docs/trends.md. */
sipas_status sipas_rank_units(const sipas_unit_value *units, size_t nunits,
                              const sipas_wave_value *province, sipas_p_adjust_method adjust,
                              double level, sipas_unit_comparison *out, sipas_error *err);

typedef struct sipas_change_counts {
    size_t compared;          /* units with values in both waves (all of them) */
    size_t not_estimable;     /* of which the change has no standard error (a wave without
                                 design variance): left out of every count below */
    size_t up, down, same;    /* raw point changes of the others: > 0, < 0, == 0 */
    size_t tested;            /* units whose change has a p-value */
    size_t significant_up, significant_down; /* adjusted p < 1 - level */
} sipas_change_counts;

/* Counts units up and down against last year: earlier[i] and later[i] are the same unit's two
 * waves (independent samples, sipas_change_between). changes may be NULL; otherwise it receives
 * the n changes. adjust applies across the units' p-values (SIPAS_ADJUST_NONE for per-unit
 * tests, as most reports do). */
sipas_status sipas_count_unit_changes(const sipas_wave_value *earlier,
                                      const sipas_wave_value *later, size_t n,
                                      sipas_p_adjust_method adjust, double level,
                                      sipas_change *changes, sipas_change_counts *counts,
                                      sipas_error *err);

#endif
