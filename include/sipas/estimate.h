/* sipas/estimate.h - design-based estimation: ratios, composites, linearised variances,
 * confidence intervals, design effects and presentation flags (GSL for quantiles).
 *
 * Pure statistics over arrays: nothing here reads the store or the instrument. The reference
 * implementation is R's survey package 4.1.1 (T. Lumley); every formula below names the R function
 * whose result it reproduces. docs/methodology.md explains each choice at length.
 *
 * Ownership: a sipas_design only describes caller-owned arrays; sipas_design_prepare copies what
 * it keeps, so the caller may free them afterwards. Functions that take a `scores` output write
 * design->n doubles into a caller-owned buffer. Nothing returned needs freeing except the prepared
 * design (sipas_prepared_design_free).
 *
 * Domains: `domain` is an array of n bools (true = the row belongs to the domain) or NULL for the
 * whole design. A domain is not a subset of the design: rows outside it get score 0 but every PSU
 * of the full design stays in the variance, with the full design's n_h and fpc (what svyby does:
 * design[i, ] keeps fpc$sampsize of the full design and pads absent PSUs with zeros). Which strata
 * "take part" (for the fail and average lonely-PSU rules) follows R too: the strata holding at
 * least one domain row, whatever its weight.
 *
 * Multistage designs: only the first stage counts (ultimate cluster), as survey does when no
 * later-stage fpc is given; pass the first-stage unit (e.g. the commune) as psu.
 */
#ifndef SIPAS_ESTIMATE_H
#define SIPAS_ESTIMATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* R's options(survey.lonely.psu=) for a stratum of the full design with a single PSU
 * (survey:::onestrat). f below is the stratum's 1 - n_h/N_h (1 without fpc).
 *   FAIL      the estimate fails: "stratum 3 has only one PSU" (R's default)
 *   REMOVE    the stratum adds 0 (the lone PSU is centred on itself)
 *   CERTAINTY the stratum adds 0 (same arithmetic as REMOVE in survey 4.1.1)
 *   ADJUST    the lone PSU total is centred on 0, the grand mean of the scores, and adds f t^2
 *   AVERAGE   the stratum is left out and the sum is scaled by H / H_ok, H = strata taking part,
 *             H_ok = those with more than one PSU (or with f = 0)
 * A stratum whose fpc says every PSU was taken (f < 1e-7) adds 0 under every rule, as in R. A
 * domain that has a single PSU in a stratum with several (a "domain lonely PSU") is not a lonely
 * stratum: R's survey.adjust.domain.lonely defaults to FALSE and so do we. */
typedef enum sipas_lonely_psu {
    SIPAS_LONELY_FAIL = 0,
    SIPAS_LONELY_REMOVE,
    SIPAS_LONELY_CERTAINTY,
    SIPAS_LONELY_ADJUST,
    SIPAS_LONELY_AVERAGE
} sipas_lonely_psu;

/* A sample design over n rows, as svydesign(id=~psu, strata=~stratum, weights=~weight,
 * fpc=~fpc, nest=TRUE) describes it. All arrays belong to the caller.
 *   weight   n sampling weights (>= 0, finite); NULL = every weight 1. Rows of weight 0 stay in
 *            the design (they count in n_h as in R) but add nothing to any estimate or df.
 *   stratum  n indices in 0..nstrata-1; NULL = one stratum (nstrata is then ignored).
 *   psu      n indices in 0..npsu-1, unique across the whole design: one PSU lies in one stratum
 *            (nested), else prepare fails; NULL = each row its own PSU (npsu ignored).
 *   fpc      nstrata values, one per stratum: the population count of PSUs N_h (all values
 *            >= 1), or the sampling fraction n_h/N_h (all values <= 1), as R's as.fpc reads
 *            them; NaN or +Inf = no fpc in that stratum; NULL = no fpc at all. Mixing counts
 *            (> 1) and fractions (< 1) is refused, as R refuses it; all values equal to 1 are
 *            read as fractions (a census), where R stops. N_h < n_h is refused.
 *   lonely_psu  rule for strata with one PSU, see above. */
typedef struct sipas_design {
    size_t n;
    const double *weight;
    size_t nstrata;
    const size_t *stratum;
    size_t npsu;
    const size_t *psu;
    const double *fpc;
    sipas_lonely_psu lonely_psu;
} sipas_design;

/* The design's PSU/stratum structure computed once (O(n)), so that every later estimate costs
 * O(n) with no sorting. Opaque; read-only after prepare, so it may be shared between threads. */
typedef struct sipas_prepared_design sipas_prepared_design;

sipas_status sipas_design_prepare(const sipas_design *design, sipas_prepared_design **out,
                                  sipas_error *err);
void sipas_prepared_design_free(sipas_prepared_design *prepared); /* NULL is a no-op */

size_t sipas_prepared_design_rows(const sipas_prepared_design *prepared);

/* Design degrees of freedom, R's degf(): the number of PSUs minus the number of strata, both
 * counted over rows with nonzero weight; with a domain, over the domain's rows of nonzero weight
 * only, which is what svyby(..., svyciprop) uses in survey 4.1.1 (its design[i, ] drops the other
 * rows before svyciprop calls degf). domain NULL = the full design. Always >= 0. */
sipas_status sipas_design_df(const sipas_prepared_design *prepared, const bool *domain,
                             double *df, sipas_error *err);

/* The PSUs and strata that sipas_design_df counts (rows of the domain with nonzero weight). A
 * domain within one PSU has no between-PSU variance whatever the lonely-PSU rule says. */
sipas_status sipas_design_count(const sipas_prepared_design *prepared, const bool *domain,
                                size_t *psus, size_t *strata, sipas_error *err);

/* A ratio R = sum(w y d) / sum(w x d) (R's svyratio(~y, ~x); svymean when x is NULL = all 1).
 *   numerator    sum(w y d);  denominator  sum(w x d)  (units of w)
 *   n_valid      rows with d, x != 0 and w != 0: the unweighted number of valid answers
 *   n_domain     rows with d, whatever x and w: nrow() of R's domain design (for beta CIs) */
typedef struct sipas_ratio {
    double estimate;
    double numerator;
    double denominator;
    size_t n_valid;
    size_t n_domain;
} sipas_ratio;

/* Estimates R and writes the n linearised scores (influence values)
 *   z_i = w_i d_i (y_i - R x_i) / sum(w x d)
 * (svyratio.survey.design2: r * 1/design$prob), whose design variance is Var(R). y and x (x
 * may be NULL = 1) hold n finite values. Fails with SIPAS_ERR_MATH when sum(w x d) = 0 (no
 * valid answer of positive weight in the domain). scores may be NULL when only R is needed. */
sipas_status sipas_ratio_estimate(const sipas_prepared_design *prepared, const double *y,
                                  const double *x, const bool *domain, sipas_ratio *out,
                                  double *scores, sipas_error *err);

/* A linear composite of k estimates: estimate = sum_j c_j R_j and scores
 * out_scores_i = sum_j c_j z_ij (svyratio(covmat=TRUE) then svycontrast(stat, c): the
 * contrast's variance c' V c is the variance of these scores). An element index is the mean of
 * its criteria (c_j = 1/k); the overall index a mean or weighted mean of elements (pass element
 * estimates and element scores). scores[j] points to n doubles; out_scores (n) may alias none
 * of them. */
sipas_status sipas_composite(size_t n, size_t k, const double *estimates,
                             const double *const *scores, const double *coef,
                             double *out_estimate, double *out_scores, sipas_error *err);

/* Relative rounding threshold below which a variance (or covariance) is exactly 0.
 * A variance is a sum of squared deviations of PSU totals t_hk from their stratum mean. When
 * every PSU has the same mean score (two hospitals with the same share satisfied, a commune
 * where everyone is satisfied) the true deviations are 0, but the computed ones are rounding
 * noise of order m eps |t| (m rows summed, eps = 2.2e-16): R and sipas then report an SE of
 * 1e-17 instead of 0, which gives absurd Korn-Graubard shapes (1e29) and infinite trend weights.
 * The scale A is the same sum computed uncentred from the PSU totals of |score|,
 *   A = sum_h f_h n_h/(n_h - 1) sum_k (sum_{i in k} |z_i|)^2  (n_h/(n_h-1) read as 1 when n_h = 1),
 * and V is set to 0 when |V| <= SIPAS_VARIANCE_ZERO_TOLERANCE * A (for a covariance, the
 * geometric mean of the two scales). Rounding gives V/A <= (m eps)^2 ~ 5e-20 even for m = 1e6
 * rows summed in the worst order; a real difference between PSU means of a share over at most
 * 1e7 respondents gives V/A above 1e-14. 1e-16 (an SE 1e-8 of the scale) lies between. */
#define SIPAS_VARIANCE_ZERO_TOLERANCE 1e-16

/* Design variance of the total of a score vector (survey:::svyrecvar, first stage):
 *   V = sum_h s_h,  s_h = (1 - n_h/N_h) n_h/(n_h - 1) sum_k (t_hk - tbar_h)^2
 * t_hk = sum of scores in PSU k of stratum h, tbar_h their mean over the n_h PSUs of the full
 * design; lonely strata as sipas_lonely_psu says. domain decides which strata take part (see
 * the top of this file) and should be the domain the scores were made for. Under FAIL a lonely
 * stratum taking part fails with SIPAS_ERR_MATH and the message "stratum %zu has only one PSU"
 * (the index, for the caller to map to a label). Under AVERAGE with no stratum left, V is NaN.
 * A result within SIPAS_VARIANCE_ZERO_TOLERANCE of 0 is returned as exactly 0. */
sipas_status sipas_variance(const sipas_prepared_design *prepared, const double *scores,
                            const bool *domain, double *variance, sipas_error *err);

/* Design covariance of two score vectors (svyrecvar's off-diagonal), e.g. Cov(R_unit,
 * R_province) for ranking a unit against its province: the same formula with
 * (t_hk - tbar_h)(u_hk - ubar_h). Strata take part when they hold a row of either domain. */
sipas_status sipas_covariance(const sipas_prepared_design *prepared, const double *scores_a,
                              const bool *domain_a, const double *scores_b,
                              const bool *domain_b, double *covariance, sipas_error *err);

/* Interval methods of R's svyciprop (4.1.1) plus Wilson (survey >= 4.5). */
typedef enum sipas_ci_method {
    SIPAS_CI_LOGIT = 0, /* expit(logit(p) +- t sqrt(V) / (p (1 - p)))  svyciprop "logit" */
    SIPAS_CI_MEAN,      /* p +- t sqrt(V)                               svyciprop "mean" */
    SIPAS_CI_BETA,      /* Korn-Graubard                                svyciprop "beta" */
    SIPAS_CI_WILSON,    /* Wilson with n = p (1 - p) / V                survey >= 4.5 */
    SIPAS_CI_ASIN       /* sin^2(asin(sqrt p) +- t sqrt(V) / (2 sqrt(p (1 - p))))  "asin" */
} sipas_ci_method;

/* "logit", "mean", "beta", "wilson", "asin". */
const char *sipas_ci_method_name(sipas_ci_method method);
/* The method of that name; SIPAS_ERR_USAGE "unknown interval method 'x'" otherwise. */
sipas_status sipas_ci_method_parse(const char *name, sipas_ci_method *out, sipas_error *err);

/* A level-`level` interval for a proportion p (or a composite of proportions, read the same way)
 * with design variance V and df degrees of freedom, t = qt(1 - (1 - level)/2, df):
 *   beta   n_eff = p (1 - p) / V * (qt(alpha/2, n - 1) / qt(alpha/2, df))^2, then
 *          [qbeta(alpha/2, n_eff p, n_eff (1 - p) + 1), qbeta(1 - alpha/2, n_eff p + 1,
 *          n_eff (1 - p))]; n = rows of the domain design (R's nrow(design)).
 *   wilson [p + t^2/(2m) -+ t/(2m) sqrt(4 m p (1 - p) + t^2)] / (1 + t^2/m), m = p (1 - p) / V.
 *   asin   the angle is kept within [0, pi/2] before squaring the sine (R does not clamp, so a
 *          bound past 0 or 1 folds back: R's value is then not an interval bound).
 * Degenerate variance (docs/methodology.md, "Degenerate designs"): when V = 0, or p is 0 or 1
 * (which forces V = 0), the design effect is capped at 1 and n_eff = n, the sample size:
 *   beta   Korn-Graubard with n_eff = n, no df adjustment: the Clopper-Pearson interval of
 *          n p successes in n ([0, 1 - (alpha/2)^(1/n)] at p = 0) (Korn & Graubard 1998; NCHS
 *          2017 caps n_eff at n when the design effect is below 1). R gives NaN or [0.5, 0.5].
 *   wilson Wilson with m = n (Dean & Pagano 2015); at p = 0: [0, t^2 / (n + t^2)].
 *   logit, asin  0 < p < 1: their formula with V = p (1 - p) / n; at p = 0 or 1, where their
 *          half-width is infinite, Wilson with m = n. R gives [p, p] (logit) or NaN (asin).
 *   mean   [p, p], as R (the Wald interval has nothing else to offer; prefer another method).
 *   These need n >= 1 (else no interval).
 * Every interval given is finite, within [0, 1] (mean: unclamped, it serves NPS in [-1, 1]) and
 * contains p. No interval (both bounds NaN, SIPAS_OK) when df <= 0, V is negative or not
 * finite, n < 2 for beta with V > 0, or p is NaN: never a zero-width interval made up. mean
 * accepts any p (NPS in [-1, 1], scores); the others need 0 <= p <= 1 (SIPAS_ERR_USAGE
 * otherwise), as does 0 < level < 1. */
sipas_status sipas_ci_proportion(sipas_ci_method method, double p, double variance, double df,
                                 double level, double n, double *lower, double *upper,
                                 sipas_error *err);

/* Design effect of a ratio as R's svyratio(deff=TRUE) and svymean(deff=TRUE) (also through
 * svyby(..., deff=TRUE)) compute it: with r_i = (y_i - R x_i) / sum(w x d) over the domain's rows
 * of nonzero weight (m of them, N = their sum of weights),
 *   s2 = m/(m - 1) sum w (r - rbar_w)^2 / N,   V_srs = s2 N^2 (N - m) / (N m)
 * (deff="replace": V_srs = s2 N^2 / m), deff = V / V_srs. For x = 1 this is svymean's
 * V / (s_w^2 (N - m)/(N m)). The domain's rows include those with x = 0 (missing answers), as R's
 * svyratio on design[domain, ] does; pass domain & valid for svymean over valid answers. NaN when
 * N <= m without replacement (R: NA for svymean, a meaningless negative value for svyratio),
 * when m < 2, or when s2 = 0. */
sipas_status sipas_ratio_deff(const sipas_prepared_design *prepared, const double *y,
                              const double *x, const bool *domain, double ratio_estimate,
                              double variance, bool with_replacement, double *deff,
                              sipas_error *err);

/* Design effect of a linear combination of ratios, C = sum_k c_k R_k (an element: the mean of
 * its criteria; the overall index: the weighted mean of the elements), against simple random
 * sampling of the same respondents: the generalisation of sipas_ratio_deff with
 *   r_i = z_i / w_i = sum_k c_k (y_ik - R_k x_ik) / sum(w x_k d),
 * z being the combination's linearised scores (the same c_k applied to each ratio's scores, as
 * svycontrast does) over the domain's respondents. For one ratio (c = 1) it equals
 * sipas_ratio_deff. V_srs is then the variance the same combination of unweighted-design
 * ratios would have under SRS of m respondents from N (docs/methodology.md, "Design effects of
 * elements and the overall index"). NaN as sipas_ratio_deff. */
sipas_status sipas_composite_deff(const sipas_prepared_design *prepared, const double *scores,
                                  const bool *domain, double variance, bool with_replacement,
                                  double *deff, sipas_error *err);

/* Relative rounding threshold below which a composite's sum of squared residuals is 0 (every
 * respondent's residual the same, as when its criteria's residuals cancel within each
 * respondent): its scale is the same sum formed from each respondent's sum of |component
 * residual|, and rounding leaves at most about 1e-14 of it in a sum of 20 components' cross
 * products (src/index_stream.c), far less when summed per row. The design effect is then NaN
 * (0/0), not 0 or a noise ratio. */
#define SIPAS_DEFF_ZERO_TOLERANCE 1e-12

/* The end of sipas_ratio_deff and sipas_composite_deff from sums over the m rows of nonzero
 * weight of the domain: ss = sum w (r - rbar_w)^2, weight_sum = N = sum w; ss_scale the rounding
 * scale of ss (SIPAS_DEFF_ZERO_TOLERANCE; 0 for none). NaN in the same cases. For a caller that
 * summed them itself (src/index_stream.c). */
double sipas_deff_from_sums(double variance, double ss, double ss_scale, double weight_sum,
                            size_t m, bool with_replacement);

/* The variance from PSU totals summed elsewhere (the one-pass index, src/index_stream.c): the
 * design's rows are its PSUs (prepared with psu NULL: row k is PSU k, in its stratum, with every
 * PSU of the strata the estimate involves), totals[k] the sum of the scores of PSU k's
 * respondents, abs_totals[k] the sum of their |score| or an upper bound of it (the rounding scale
 * of SIPAS_VARIANCE_ZERO_TOLERANCE), taking_part[k] whether PSU k holds a respondent of the
 * estimate's domain (its stratum then takes part for the lonely-PSU rules). The same figure as
 * sipas_variance over the respondents, up to the order of the sums. */
sipas_status sipas_variance_of_psu_totals(const sipas_prepared_design *prepared,
                                          const double *totals, const double *abs_totals,
                                          const bool *taking_part, double *variance,
                                          sipas_error *err);

/* Kish's design effect due to weighting, 1 + CV(w)^2 = m sum(w^2) / (sum w)^2 over the rows with
 * d, x != 0 (x NULL = all) and w != 0 (Kish 1965; not in R's survey). NaN when m = 0. */
sipas_status sipas_kish_deff(const sipas_prepared_design *prepared, const double *x,
                             const bool *domain, double *deff, sipas_error *err);

/* What an index row needs besides its estimate, from one pass over the rows (and the second
 * pass of the deff's squares) instead of one pass per figure. Each field is bit for bit what the
 * function named beside it gives for the same domain:
 *   variance   sipas_variance(scores, domain), or the variance passed in
 *   psus, strata  sipas_design_count(domain): df = psus - strata
 *   deff       sipas_ratio_deff / sipas_composite_deff(domain) with that variance
 *   kish_deff  sipas_kish_deff(NULL, domain) */
typedef struct sipas_estimate_summary {
    double variance;
    size_t psus, strata;
    double deff;
    double kish_deff;
} sipas_estimate_summary;

/* The summary of a ratio from sipas_ratio_estimate (its estimate R and denominator sum(w x d)
 * and scores), over `domain`: pass the ratio's valid answers (its domain with x != 0 and w != 0),
 * as svymean(deff=TRUE) and svyciprop read them; the ratio's denominator is then exactly the
 * sum(w x) over `domain` that sipas_ratio_deff computes, since the rows left out add w x = 0.
 * variance: NULL to compute it from scores; else the variance to use (e.g. of scores adjusted
 * for calibration), and scores may be NULL. */
sipas_status sipas_ratio_summary(const sipas_prepared_design *prepared, const double *y,
                                 const double *x, const sipas_ratio *ratio,
                                 const double *scores, const bool *domain,
                                 const double *variance, bool with_replacement,
                                 sipas_estimate_summary *out, sipas_error *err);

/* sipas_ratio_estimate and sipas_ratio_summary (variance computed, summary_domain its valid
 * answers) in one call that makes the scores in the summary's pass: one pass over the rows
 * fewer, the same doubles. Only where the variance is that of the scores themselves (not
 * calibrated). Fails as sipas_ratio_estimate (SIPAS_ERR_MATH with ratio->denominator 0: no valid
 * answer) and as sipas_variance (SIPAS_ERR_MATH with a nonzero denominator: a lonely stratum
 * under FAIL). */
sipas_status sipas_ratio_estimate_summary(const sipas_prepared_design *prepared, const double *y,
                                          const double *x, const bool *domain,
                                          const bool *summary_domain, bool with_replacement,
                                          sipas_ratio *ratio, double *scores,
                                          sipas_estimate_summary *out, sipas_error *err);

/* sipas_ratio_estimate_summary for a caller that makes the ratio's first pass itself while it
 * scores the rows (one pass over them fewer, the same doubles): on entry ratio holds the sums
 * sipas_ratio_estimate makes, over `domain` in row order and with the prepared design's weights:
 * numerator sum(w y), denominator sum(w x), n_valid (rows with x != 0 and w != 0) and n_domain;
 * y and x must all be finite (this does not check them). Sets ratio->estimate; fails as
 * sipas_ratio_estimate_summary. */
sipas_status sipas_ratio_summary_of_sums(const sipas_prepared_design *prepared, const double *y,
                                         const double *x, const bool *domain,
                                         const bool *summary_domain, bool with_replacement,
                                         sipas_ratio *ratio, double *scores,
                                         sipas_estimate_summary *out, sipas_error *err);

/* The summary of a composite given its scores (sipas_composite), as sipas_ratio_summary.
 * abs_scores (may be NULL): each row's sum of the |scores| of the composite's components, the
 * rounding scale under which its deff's sum of squares counts as 0 (SIPAS_DEFF_ZERO_TOLERANCE). */
sipas_status sipas_composite_summary(const sipas_prepared_design *prepared, const double *scores,
                                     const double *abs_scores, const bool *domain,
                                     const double *variance, bool with_replacement,
                                     sipas_estimate_summary *out, sipas_error *err);

/* Effective sample size p (1 - p) / V (NCHS 2017); NaN when V <= 0 or not finite. */
double sipas_effective_n(double p, double variance);

/* NCHS Data Presentation Standards for Proportions (Parker et al. 2017, Vital Health Stat
 * 2(175)), as a bit set. Suppress when any SUPPRESS bit is set; review when FEW_DF is. */
enum {
    SIPAS_NCHS_SMALL_N_EFF = 1u << 0, /* n_eff < 30; n_eff = p(1-p)/V capped at n, = n when
                                         p is 0 or 1 or V is 0 (a census of PSUs) */
    SIPAS_NCHS_WIDE_CI = 1u << 1,     /* upper - lower >= 0.30 */
    SIPAS_NCHS_WIDE_RELATIVE = 1u << 2, /* 0.05 < width < 0.30 and width / p > 1.30 */
    SIPAS_NCHS_NO_CI = 1u << 3,       /* a bound is NaN: nothing to judge by */
    SIPAS_NCHS_FEW_DF = 1u << 4       /* df < 8: flag for review, not suppression */
};
#define SIPAS_NCHS_SUPPRESS \
    (SIPAS_NCHS_SMALL_N_EFF | SIPAS_NCHS_WIDE_CI | SIPAS_NCHS_WIDE_RELATIVE | SIPAS_NCHS_NO_CI)

/* The flags of an estimate p with variance V over n valid answers, its interval (NCHS uses
 * Korn-Graubard, SIPAS_CI_BETA) and df. */
unsigned sipas_nchs_flags(double p, double variance, double n, double lower, double upper,
                          double df);
/* "small_n_eff", "wide_ci", "wide_relative_ci", "no_ci", "few_df" for one bit; NULL otherwise. */
const char *sipas_nchs_flag_name(unsigned bit);

#endif
