/* src/index_design.h (private to the library) - the full design of an index_work and its
 * weighting (src/index_design.c).
 * Design: a stratum is wave x the stratum column, a PSU the cluster column within its stratum,
 * the weight the weight column (1 without one), the fpc the sampling fraction n_h/N_h of each
 * stratum (from counts N_h or fractions, as R's as.fpc). Weighting: base weights N_c/n_c,
 * post-stratification or raking to the population margins, each wave to its own counts
 * (src/calibrate.c holds the arithmetic, docs/calibration.md the formulas). */
#ifndef SIPAS_INDEX_DESIGN_H
#define SIPAS_INDEX_DESIGN_H

#include "index_work.h"

/* Fills w's n, weight, stratum, psu, nstrata, npsu, fpc, stratum_label, stratum_start and
 * stratum_rows, and the design counts of w->res. A row without a cluster, a negative or
 * infinite weight, or an fpc that is not constant within its stratum is SIPAS_ERR_VALIDATION. */
sipas_status index_build_design(index_work *w, sipas_error *err);
/* The label of row i's stratum in messages, "cao_loc (wave 2024)" ("all" without a stratum
 * column; either column may be NULL); malloc'd, NULL when memory is short. */
char *index_stratum_label(const sipas_column *stratum, const sipas_column *wave, size_t i);
/* Reads the fpc column over the whole design, as R's as.fpc does (all population counts N_h or
 * all sampling fractions), and keeps it as the sampling fraction n_h/N_h of each stratum
 * (sampled[h] = n_h, the PSUs sampled). Each domain's sub-design holds only some strata: given
 * counts, one whose strata all have N_h = 1 would be read as fractions (a census) there, so the
 * reading is settled once, over every stratum. Errors name the column and the stratum. */
sipas_status index_fpc_as_fractions(const char *column, size_t nstrata, double *fpc,
                                    const size_t *sampled, char *const *stratum_label,
                                    sipas_error *err);
/* Applies w->opt->weighting to w->weight; calibrations keep w->cal (for the variances) and
 * allocate w->cal_scores. After index_build_design. */
sipas_status index_apply_weighting(index_work *w, sipas_error *err);

#endif
