/* sipas/plan.h - sample sizes for the next wave from this wave's estimates: the sample a unit
 * needs for a margin of error, the clusters it needs, an allocation of a budget, and the sample
 * per wave that detects a change. Pure functions over arrays; docs/planning.md derives each
 * formula and names its source.
 *
 * Units: p and margins are proportions (0.05 = 5 points); n are respondents; m (cluster size) is
 * respondents per cluster; level is a two-sided confidence level (0.95).
 *
 *   z            Phi^-1(1 - (1 - level) / 2)
 *   n for margin n0 = z^2 p (1 - p) deff / e^2               (Cochran 1977, ch. 4; Kish 1965, 8.2)
 *   margin of n  e = z sqrt(p (1 - p) deff / n)
 *   rho          deff = 1 + (m - 1) rho, rho = (deff - 1) / (m - 1)  (Kish 1965, 5.4)
 *   clusters_t   the least a >= H + 1 with t_{a-H} sqrt(p (1 - p) deff / (a m)) <= e: the index's
 *                interval of a unit whose clusters lie in H strata has a - H degrees of freedom
 *                (H = 1 for a district that is a stratum), and at 3-5 clusters t is far above z
 *   detect       n per wave = deff (z_a sqrt(2 pb (1 - pb)) + z_b sqrt(p1 q1 + p2 q2))^2 / d^2,
 *                pb = (p1 + p2) / 2, z_a two-sided at level, z_b = Phi^-1(power)
 *                (Fleiss, Levin & Paik 2003; R's power.prop.test; Valliant, Dever & Kreuter
 *                2018, ch. 4)
 *
 * No finite population correction: a unit's population (tens of thousands of people) makes
 * n / N below 1%, and n0 / (1 + n0 / N) smaller than n0 by less than 1%. */
#ifndef SIPAS_PLAN_H
#define SIPAS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"

/* A unit's own design effect is used only when its variance has at least this many degrees of
 * freedom (clusters minus strata); below it the pooled intra-class correlation is used. */
#define SIPAS_PLAN_MIN_OWN_DF 10

double sipas_plan_z(double level);
/* n0 (real, not rounded); NaN when an argument is out of range. */
double sipas_plan_n_for_margin(double p, double deff, double margin, double level);
/* The half-width that n respondents buy; NaN when n <= 0. */
double sipas_plan_margin_for_n(double p, double deff, double n, double level);
/* Student's t quantile Phi_t^-1(1 - (1 - level) / 2; df). */
double sipas_plan_t(double level, double df);
/* clusters_t over strata >= 1 strata (at most SIPAS_PLAN_MAX_CLUSTERS; NaN beyond it or for
 * arguments out of range). */
double sipas_plan_clusters_for_margin_t(double p, double deff, double m, double strata,
                                        double margin, double level);
#define SIPAS_PLAN_MAX_CLUSTERS 100000
/* NaN when m <= 1 (one respondent per cluster: no intra-class correlation to speak of). */
double sipas_plan_rho_from_deff(double deff, double m);
double sipas_plan_deff_from_rho(double rho, double m);
/* The second proportion of a change: p1 - change when p1 >= 0.5, else p1 + change (towards 0.5,
 * the larger variance, so the sample suffices in either direction); NaN outside (0, 1). */
double sipas_plan_detect_p2(double p1, double change);
/* Respondents per wave, two independent waves of equal size, two-sided test at level. */
double sipas_plan_n_to_detect(double p1, double change, double level, double power, double deff);

typedef enum {
    SIPAS_ALLOCATION_PROPORTIONAL = 0, /* n_h ∝ N_h */
    SIPAS_ALLOCATION_EQUAL,            /* n_h = budget / H */
    SIPAS_ALLOCATION_NEYMAN,           /* n_h ∝ N_h S_h, S_h = sqrt(p_h q_h deff_h): least
                                          variance of the province estimate */
    SIPAS_ALLOCATION_MIN_PER_UNIT      /* each unit first its required n_h (sipas_plan_units:
                                          n_t, else n_margin), the rest ∝ N_h; a
                                          budget short of the sum gives each unit the same share
                                          of its requirement (least largest margin / target) */
} sipas_allocation;

/* "proportional", "equal", "neyman", "min-per-unit"; parse returns false for another name. */
const char *sipas_allocation_name(sipas_allocation allocation);
bool sipas_allocation_parse(const char *name, sipas_allocation *out);

/* Whole respondents summing to budget: the floors of the real allocation, then one more to
 * the largest remainders (earlier unit first on ties); a unit whose floor is 0 gets 1, taken
 * back from the largest allocation. population, sd and required have nunits entries
 * (population for all but equal, sd for neyman, required for min-per-unit; the others may be
 * NULL). budget < nunits is SIPAS_ERR_USAGE. */
sipas_status sipas_plan_allocate(size_t nunits, sipas_allocation allocation, size_t budget,
                                 const double *population, const double *sd,
                                 const double *required, size_t *allocated, sipas_error *err);

/* What a wave observed in one unit (a district), from its index row and its data. */
typedef struct sipas_plan_observed {
    double p;          /* the index estimate; NaN when withheld or not estimable */
    double variance;   /* its design-based variance; NaN when it could not be estimated */
    double df;         /* degrees of freedom of the variance */
    double n;          /* respondents */
    double clusters;   /* distinct clusters (PSUs) */
    double strata;     /* distinct strata of those clusters */
    double population; /* sum of weights (people the unit's respondents represent) */
} sipas_plan_observed;

typedef enum {
    SIPAS_PLAN_DEFF_OWN = 0,   /* the unit's deff, df >= SIPAS_PLAN_MIN_OWN_DF */
    SIPAS_PLAN_DEFF_POOLED     /* 1 + (m_h - 1) rho_pooled */
} sipas_plan_deff_source;

typedef struct sipas_plan_options {
    double margin;     /* target half-width, e.g. 0.05 */
    double level;      /* e.g. 0.95 */
    double detect;     /* change to detect (0: none) */
    double power;      /* e.g. 0.8 */
    size_t budget;     /* respondents to allocate (0: none) */
    sipas_allocation allocation;
} sipas_plan_options;

typedef struct sipas_plan_row {
    double p_used;            /* p, or 0.5 when p is NaN, 0 or 1 (p_worst_case) */
    bool p_worst_case;
    double cluster_size;      /* m = n / clusters */
    double deff_observed;     /* n V / (p (1 - p)); NaN when V or p is */
    double deff_used;
    sipas_plan_deff_source deff_source;
    double rho;               /* (deff_used - 1) / (m - 1); NaN when m <= 1 */
    double n_margin;          /* ceil(n0) */
    double clusters_margin;   /* ceil(n_margin / m) */
    double clusters_t;        /* clusters_t at m over the unit's strata (units only; NaN for
                                 the whole, or m <= 1) */
    double n_t;               /* ceil(clusters_t m) */
    double n_allocated;       /* with a budget; NaN otherwise */
    double clusters_allocated;
    double margin_allocated;  /* the half-width the allocation buys: with t at
                                 clusters_allocated - strata df for a unit with m > 1 (NaN
                                 without a df), else z */
    double n_detect;          /* with detect > 0; NaN otherwise */
} sipas_plan_row;

typedef struct sipas_plan_pooled {
    double rho;        /* df-weighted mean of the units' rho (finite ones), at least 0 */
    double df;         /* sum of the df that went into it */
    size_t units;      /* units that went into it */
} sipas_plan_pooled;

/* Plans nunits units (rows[h] for observed[h]) and the whole (total, from the whole's own
 * row: its own deff whatever its df, the pooled rho only when it has none) into total_row. With a budget, total_row->n_allocated is
 * the budget and margin_allocated the whole's half-width z sqrt(sum W_h^2 p_h q_h deff_h / n_h),
 * W_h = N_h / N. pooled may be NULL. */
sipas_status sipas_plan_units(size_t nunits, const sipas_plan_observed *observed,
                              const sipas_plan_observed *total, const sipas_plan_options *options,
                              sipas_plan_row *rows, sipas_plan_row *total_row,
                              sipas_plan_pooled *pooled, sipas_error *err);

/* From the wave's data, into observed[h].clusters, .strata and .population for each unit (the
 * rows of wave whose unit_column holds unit_codes[h]) and into *total for every row of the wave:
 * the distinct clusters (stratum x cluster column; each respondent when there is no cluster
 * column), the distinct strata, and the sum of the weight column (respondents when there is
 * none). unit_column NULL: nunits must be 0. */
sipas_status sipas_plan_observe(const sipas_dataset *data, long wave, const char *unit_column,
                                size_t nunits, const char *const *unit_codes,
                                sipas_plan_observed *observed, sipas_plan_observed *total,
                                sipas_error *err);

#endif
