/* src/calibrate.h (private to the library: the index applies it, sipas/index.h) - weights from
 * population counts: base weights N_h / n_h, post-stratification and raking (iterative
 * proportional fitting), and the calibration-adjusted linearised scores whose design variance
 * is what R's survey package reports on a calibrated design.
 *
 * Pure arithmetic over arrays; the reference is R's survey 4.1.1 (T. Lumley):
 *   base weights     svydesign(id=~1, strata=~h, fpc=~N_h) with weights omitted
 *   post-stratify    postStratify(design, ~cell, population)   (postStratify.survey.design)
 *   rake             rake(design, list(~a, ~b, ...), list(pop_a, pop_b, ...), control)
 *   adjusted scores  survey:::svyrecvar's handling of design$postStrata
 * docs/calibration.md gives every formula with its source and where sipas departs from R.
 *
 * Ownership: the caller owns every array it passes; sipas_poststratify and sipas_rake copy what
 * they keep into a sipas_calibration, which the caller frees with sipas_calibration_free. Output
 * arrays (weight, adjusted) are caller-owned buffers of n doubles.
 *
 * Units: weights and population counts are in persons (people each respondent represents);
 * scores are in the units of the estimate (what sipas_ratio_estimate writes), and so are the
 * adjusted scores.
 *
 * How the index layer uses it (the calibrated design is the original design with new weights):
 *   1. sipas_poststratify or sipas_rake on the design weights (or on sipas_base_weights);
 *   2. sipas_design_prepare with weight = sipas_calibration_weights(cal), the same strata, PSUs
 *      and fpc as before;
 *   3. sipas_ratio_estimate (any domain) on that design gives R and the scores z;
 *   4. sipas_calibration_adjust_scores(cal, z, adjusted);
 *   5. sipas_variance(prepared, adjusted, NULL, ...): domain NULL, because R keeps every row of a
 *      calibrated design in design[i, ] (only their weights become 0), so every stratum takes
 *      part in the lonely-PSU rules. Composites: combine adjusted scores (the adjustment is
 *      linear) or adjust the combined scores; both give the same vector.
 * sipas_design_df with the domain stays right: R's degf() counts rows of nonzero weight.
 */
#ifndef SIPAS_CALIBRATE_H
#define SIPAS_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* Base weights of a stratified simple random sample of respondents from population counts:
 *   w_i = N_h / n_h,  n_h = the number of rows with stratum h (computed as 1 / (n_h / N_h),
 *   R's 1/prob with prob = sampsize/popsize from as.fpc),
 * which is what svydesign(id=~1, strata=~stratum, fpc=~N) gives when weights are omitted.
 * Applies when respondents (not communes) were drawn with equal probability inside each stratum
 * and N_h counts the eligible population of the stratum (adults of a district, users of a
 * service). With cluster sampling N_h / n_h over PSUs is only the first-stage weight: use the
 * design's own weights there and calibrate them instead.
 *   stratum     n indices below nstrata (NULL = one stratum)
 *   population  nstrata counts N_h; a stratum with rows needs a finite N_h >= n_h (R refuses
 *               ">100% sampling"); strata without rows are not read
 *   weight      n doubles written (caller-owned) */
sipas_status sipas_base_weights(size_t n, const size_t *stratum, size_t nstrata,
                                const double *population, double *weight, sipas_error *err);

/* One calibration margin: a partition of the rows into cells and each cell's population count.
 *   name        for messages ("sex"); NULL = "margin <index>"
 *   cell        n cell indices below ncells
 *   population  ncells counts N_c >= 0, finite
 *   labels      ncells names for messages ("female"), or NULL = the cell index
 * A cell with N_c > 0 but no sample weight (no row, or only rows of weight 0) is refused, naming
 * the cell (R stops too unless partial=TRUE, which sipas does not offer); a cell with sample
 * weight but N_c = 0 is refused (R: "Strata in sample absent from population"); a cell with
 * neither is ignored. */
typedef struct sipas_margin {
    const char *name;
    const size_t *cell;
    size_t ncells;
    const double *population;
    const char *const *labels;
} sipas_margin;

/* rake()'s control list (survey 4.1.1 default list(maxit=10, epsilon=1, verbose=FALSE)):
 *   maxit    most passes over all margins (>= 1)
 *   epsilon  convergence threshold on the largest change of a cell of the joint table of all
 *            margins between passes: epsilon itself when >= 1 (persons), epsilon times the sum
 *            of the input weights when < 1 (a fraction of the population); >= 0, finite. */
typedef struct sipas_rake_control {
    size_t maxit;
    double epsilon;
} sipas_rake_control;

#define SIPAS_RAKE_MAXIT_DEFAULT 10
#define SIPAS_RAKE_EPSILON_DEFAULT 1.0

/* A calibration: the calibrated weights plus what the variance adjustment needs. Opaque;
 * read-only after it is made, so it may be shared between threads. */
typedef struct sipas_calibration sipas_calibration;

/* Post-stratification (postStratify.survey.design): g_c = N_c / sum_{i in c} w_i and
 * w*_i = g_c w_i for every row i of cell c. weight: n finite values >= 0 (the design weights;
 * rows of weight 0 keep weight 0). Several variables at once (district x sex) are one margin
 * whose cells are their combinations. *out is NULL on failure. */
sipas_status sipas_poststratify(size_t n, const double *weight, const sipas_margin *margin,
                                sipas_calibration **out, sipas_error *err);

/* Raking (survey::rake): passes of post-stratification on margin 1, 2, ..., k in turn, each
 * on the weights the previous one left. Before the first pass and after each, T = the weighted
 * count of every cell of the joint table of all margins; the raking stops after the pass whose
 * largest |T_new - T_old| is below the threshold (converged) or after maxit passes (not
 * converged: R warns "Raking did not converge after <maxit> iterations." and keeps the weights;
 * so does sipas: SIPAS_OK, and sipas_calibration_converged() says false; the caller reports it).
 * control NULL = R's defaults. All margins must have the same population total (relative
 * difference at most 1e-9), else SIPAS_ERR_VALIDATION naming both margins: raking to margins
 * that disagree cannot converge (R does not check; it warns after maxit passes). *out is NULL on
 * failure. */
sipas_status sipas_rake(size_t n, const double *weight, size_t nmargins,
                        const sipas_margin *margins, const sipas_rake_control *control,
                        sipas_calibration **out, sipas_error *err);

void sipas_calibration_free(sipas_calibration *cal); /* NULL is a no-op */

/* The n calibrated weights (R's weights(design)); owned by cal, valid until it is freed. */
const double *sipas_calibration_weights(const sipas_calibration *cal);
/* Raking: whether it converged within maxit passes, how many passes ran, and the largest
 * change of a joint-table cell in the last pass. Post-stratification: true, 1, 0. */
bool sipas_calibration_converged(const sipas_calibration *cal);
size_t sipas_calibration_passes(const sipas_calibration *cal);
double sipas_calibration_last_change(const sipas_calibration *cal);

/* The calibration residuals of a score vector (survey:::svyrecvar with design$postStrata), so
 * that sipas_variance(adjusted) is R's variance on the calibrated design. scores: n values, the
 * linearised scores made with the calibrated weights (zero outside a domain); adjusted: n
 * caller-owned doubles, may be scores itself (done in place).
 * Post-stratification, with w the weights before and w* after:
 *   m_c = sum_{i in c} z_i w_i / w*_i / sum_{i in c} w_i,   adjusted_i = z_i - w*_i m_c
 * (within-cell weighted centring of z / w*: the residual of a weighted regression on the cell
 * indicators). Raking, with w*_{(j)} the weights right after margin j in the last pass: ten
 * sweeps (R's fixed count) over the margins of
 *   a_i <- a_i - w*_{(j),i} mean_{k in cell_j(i)} (a_k / w*_{(j),k})   (unweighted cell mean)
 * starting from a = z. Rows of weight 0 keep score 0 and stay out of the cell means; R gives NaN
 * there for rake and a nonzero score for postStratify (docs/calibration.md). Adjusted scores are
 * nonzero outside a domain, so pass domain NULL to sipas_variance (see the top of this file).
 * Fails with SIPAS_ERR_USAGE when a score is not finite. */
sipas_status sipas_calibration_adjust_scores(const sipas_calibration *cal, const double *scores,
                                             double *adjusted, sipas_error *err);

#endif
