/* sipas/review.h - the annual review of one measure: did it improve since last year, is it on
 * course for its targets, which units hold it back. Built on sipas_index_compute /
 * sipas_index_units (estimates) and trend.h (changes, trends, verdicts, rankings); no printing.
 *
 * Units: every estimate, change, slope and interval is a proportion (0.012 = 1.2 percentage
 * points; a slope is proportion per year); callers format. Years are doubles holding whole years.
 * Statistics, rules and their sources: docs/trends.md; how the pieces are assembled and the
 * indicator map: docs/review.md.
 *
 * Design: the instrument's (index.h): strata wave x stratum column, PSUs nested, weights, fpc;
 * waves are independent samples, so a year-on-year change has V1 + V2 and df1 + df2
 * (sipas_change_between); a unit against the province of the same wave uses Cov(unit, province)
 * from sipas_index_units (sipas_change_dependent inside sipas_rank_units).
 *
 * Ownership: sipas_review_compute returns a review the caller frees with sipas_review_free.
 * Strings in it are owned by it, except labels (label_vi, label_en, names of elements and
 * criteria), which point into the instrument, and target pointers, which point into the
 * sipas_targets passed in options; both must outlive the review. */
#ifndef SIPAS_REVIEW_H
#define SIPAS_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/index.h"
#include "sipas/targets.h"
#include "sipas/trend.h"

typedef struct sipas_review_options {
    const char *measure;          /* "overall" (NULL = "overall"), an element or a criterion */
    const char *unit_column;      /* units to rank; NULL: the instrument's stratum column */
    double wave;                  /* the reviewed wave; 0: the latest wave in the data */
    sipas_index_options index;    /* ci, level, lonely_psu, scoring, where (e.g. respondent
                                     type); index.by must be empty (the review chooses its own
                                     domains); a where on the wave column is refused: use wave */
    sipas_p_adjust_method rank_adjust;   /* units vs province; default SIPAS_ADJUST_HOLM (0) */
    sipas_p_adjust_method change_adjust; /* units up/down vs last year; set SIPAS_ADJUST_NONE
                                            for per-unit tests as most reports do (0 = Holm) */
    sipas_trend_method trend_method;     /* province fit and projections; default known
                                            variance (0), the verdicts' method */
    double band_step;             /* projection band spacing in years; 0: 0.25 */
    double band_until;            /* last year of the band and of projections; 0: 2030 */
    const double *projection_years; /* years to project to; NULL: {2025, 2030} */
    size_t nprojection_years;
    const double *thresholds;     /* thresholds for "year reaching"; NULL: those of the
                                     applicable targets */
    size_t nthresholds;
    const sipas_targets *targets; /* NULL: no target verdicts */
    const char *scope;            /* targets whose scope matches; NULL: "province" */
} sipas_review_options;

/* One wave of a series: the measure's estimate with its design-based statistics. */
typedef struct sipas_review_point {
    sipas_wave_value value;       /* year, estimate, variance, df (what trend.h takes) */
    double se, ci_low, ci_high;   /* the index's interval (options->index.ci) */
    size_t n;                     /* valid answers (criterion) or respondents (composite) */
    size_t respondents;
    unsigned flags;               /* SIPAS_NCHS_* */
    bool estimable;               /* an estimate exists */
    bool variance_estimable;      /* and a design-based variance (false: one PSU, a unit that is
                                     its own cluster; se, interval and tests are NaN and every
                                     output says "not estimable: " sipas_review_point_reason) */
    sipas_variance_status variance_status; /* the index's reason; OK with variance_estimable
                                     false when the review marked a lonely stratum under
                                     --lonely-psu fail (sipas_review_index_compute) */
} sipas_review_point;

/* Why a point's variance is not estimable, in Vietnamese (vi true) or English; a static
 * string: the index's sipas_variance_status_text, else sipas_review_no_variance_reason. */
const char *sipas_review_point_reason(const sipas_review_point *point, bool vi);
/* "not estimable: REASON" / "không ước lượng được: REASON", the words every output puts in a
 * row without a test; written into buf, returns buf. */
const char *sipas_review_not_estimable(const char *reason, bool vi, char *buf, size_t size);

/* The reason for an estimate without design-based variance (NaN variance or df <= 0) that the
 * index gave no status for: a lonely stratum under --lonely-psu fail. */
const char *sipas_review_no_variance_reason(bool vi);

/* Why the comparison c of a and b (a change, a unit against the province) has no test: NULL
 * when c->has_se; else the reason of the first point without a design variance, or "variance 0"
 * when both have one but the difference has none. Outputs print "not estimable: " and it in
 * place of the interval, p-value and finding. */
const char *sipas_review_untested_reason(const sipas_change *c, const sipas_review_point *a,
                                         const sipas_review_point *b, bool vi);

/* The same for a unit against the province in the reviewed wave (review->units[...]), naming
 * the province when it is the one without design variance. */
typedef struct sipas_review sipas_review;
typedef struct sipas_review_unit sipas_review_unit;
const char *sipas_review_unit_reason(const sipas_review *review, const sipas_review_unit *unit,
                                     bool vi);

/* A row with a design-based variance: finite, with df > 0 (a df of 0 leaves no interval and
 * nothing to test against, whatever the lonely-PSU rule made of the variance). */
bool sipas_review_row_has_variance(const sipas_index_row *row);

/* What goes next to a trend label (docs/trends.md "Degenerate variances"): a significant lack
 * of fit, waves raised to the variance floor, waves without design variance, waves left out;
 * joined by "; ", empty when there is nothing to say. Written into buf; returns buf. */
const char *sipas_review_fit_note(const sipas_trend_fit *fit, bool vi, char *buf, size_t size);

/* What goes next to a projection: "no projection" below SIPAS_TREND_MIN_WAVES fitted waves,
 * "uncertain projection" with the reason when fit->projection_caution, empty otherwise. */
const char *sipas_review_projection_note(const sipas_trend_fit *fit, bool vi, char *buf,
                                         size_t size);

/* Machine-readable projection flag for CSV and JSON: "none" (fewer than 3 waves), "few_waves",
 * "lack_of_fit" or "" (no caution). */
const char *sipas_review_projection_flag(const sipas_trend_fit *fit);

/* The year a fitted line reaches a threshold. */
typedef struct sipas_review_crossing {
    double threshold;
    sipas_crossing_kind kind;
    double year;                  /* NaN when kind says there is none */
} sipas_review_crossing;

/* The crossing as a calendar year, what a report prints: the first whole year in which the
 * line is at or above the threshold (REACHES, ALREADY: ceil of the fractional year, so a line
 * crossing 85% at 2024.3 "reaches 85% in 2025", never "in 2024" beside an observed 84.3%), or
 * the first whole year it is below (FALLS_BELOW: floor + 1). NaN when there is no year. */
double sipas_review_crossing_year(const sipas_review_crossing *crossing);

/* One target that applies to the measure (or, in sipas_review_targets, any target). */
typedef struct sipas_review_target {
    const sipas_target_row *target;     /* points into options->targets */
    bool survey;                        /* true: judged on the survey series; false: on the
                                           values of surveys/indicators.csv */
    size_t nwaves;                      /* values the verdict had (0: no data, verdict below
                                           is SIPAS_VERDICT_INSUFFICIENT_DATA with NaNs) */
    sipas_target_verdict verdict;       /* sipas_target_assess */
    sipas_review_crossing crossing;     /* of the verdict's fit (NaN year if none was fitted) */
} sipas_review_target;

/* A unit (district) over the waves and in the reviewed wave. */
struct sipas_review_unit {
    char *code;                         /* owned; label via sipas_index_domain_label */
    size_t nwaves;
    sipas_review_point *series;         /* owned; waves where the unit was estimable, by year */
    sipas_trend_label trend_label;      /* sipas_trend_label_waves at options->index.level */
    bool has_fit;                       /* false with fewer than 3 waves */
    sipas_trend_fit fit;                /* the label's fit (zeroed when !has_fit) */
    bool in_wave;                       /* estimable in the reviewed wave */
    sipas_review_point current;         /* the reviewed wave (sipas_index_units) */
    double cov_with_province;
    sipas_unit_comparison comparison;   /* rank, unit - province, adjusted p, flag; name is
                                           this unit's code */
    bool has_previous;                  /* estimable in both the previous and reviewed waves */
    sipas_review_point previous;
    sipas_change change;                /* reviewed - previous wave (independent) */
};

/* An element this wave against the previous wave. */
typedef struct sipas_review_element {
    int element;                        /* index into inst->elements */
    const char *name, *label_vi, *label_en;
    sipas_review_point current;
    bool has_previous;
    sipas_review_point previous;
    sipas_change change;                /* current - previous (independent waves) */
} sipas_review_element;

struct sipas_review {
    const char *measure;                /* the measure's name (points into the instrument or
                                           is the static "overall") */
    sipas_index_level measure_level;
    const char *label_vi, *label_en;
    char *unit_column;                  /* owned */
    double level;                       /* confidence level used throughout */

    /* 1. Province series, all waves, by year. */
    size_t nwaves;
    sipas_review_point *province;       /* owned */
    double wave;                        /* the reviewed wave's year */
    size_t wave_index;                  /* its index in province[] */

    /* 2. Year on year: reviewed wave against the wave before it. */
    bool has_previous;                  /* false when the reviewed wave is the first */
    double previous_wave;               /* NaN without one */
    sipas_change change;                /* zeroed without one */

    /* 3. Trend over all waves (needs 2 waves; 3 for verdicts and labels). */
    bool has_trend;
    sipas_trend_fit fit;                /* options->trend_method */
    size_t nprojections;
    sipas_projection *projections;      /* owned; one per projection year */
    size_t nband;
    sipas_projection *band;             /* owned; first wave to band_until every band_step */
    size_t ncrossings;
    sipas_review_crossing *crossings;   /* owned; one per threshold */

    /* 4. Targets that apply to the measure (form and measure of the indicator match). */
    size_t ntargets;
    sipas_review_target *targets;       /* owned */

    /* 5. Units: series, labels, ranking in the reviewed wave, change since last year. */
    sipas_review_point province_current; /* the parent of the ranking (sipas_index_units) */
    size_t nunits;
    sipas_review_unit *units;           /* owned; in the unit column's choice order */
    size_t ranked;                      /* units estimable in the reviewed wave */
    size_t untested;                    /* of which the difference from the province has no
                                           test (flag SIPAS_UNIT_NOT_TESTED) */
    size_t significantly_above, significantly_below; /* flags after rank_adjust */
    sipas_change_counts unit_changes;   /* sipas_count_unit_changes over units with both */

    /* 6. Element profile of the reviewed wave and the units x elements matrix. */
    size_t nelements;
    sipas_review_element *elements;     /* owned; in elements.csv order */
    sipas_review_point *matrix;         /* owned; nunits x nelements, row-major:
                                           matrix[u * nelements + e]; estimable false when the
                                           unit has no answer to the element this wave */
};

/* Computes the review of options->measure. Errors: an unknown measure or unit column is
 * SIPAS_ERR_NOT_FOUND; a unit column that is the cluster column is SIPAS_ERR_USAGE (its units
 * have no design-based variance; the message names a column above it); a reviewed wave not in the data is SIPAS_ERR_NOT_FOUND; index.by not
 * empty is SIPAS_ERR_USAGE; a measure estimable in no wave is SIPAS_ERR_MATH. */
sipas_status sipas_review_compute(const sipas_dataset *data, const sipas_review_options *options,
                                  sipas_review **out, sipas_error *err);
void sipas_review_free(sipas_review *review); /* NULL is a no-op */

/* sipas_index_compute as every part of a review uses it. Under SIPAS_LONELY_FAIL a stratum
 * with one PSU does not stop the review (R's svyciprop would stop): the index is computed with
 * the certainty rule, which adds nothing from that stratum to a domain with no respondent in
 * it, and every row of a domain with a respondent in such a stratum gets NaN variance, se,
 * interval, df, deff and n_eff (not estimable, docs/review.md). Of the conditions only one on
 * the wave ("wave = Y") is looked at: a domain further restricted by --where may be marked
 * though none of its respondents is in the stratum (conservative). The index command keeps
 * R's fail. */
sipas_status sipas_review_index_compute(const sipas_dataset *data,
                                        const sipas_index_options *options,
                                        sipas_index_result **out, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * Change of a measure between two waves in every domain of `by` (the change command). */
typedef struct sipas_domain_change {
    char **values;                      /* one code per by column; owned */
    sipas_review_point earlier, later;  /* estimable false when absent in that wave */
    bool has_change;                    /* both estimable */
    sipas_change change;                /* later - earlier, V1 + V2, df1 + df2 */
} sipas_domain_change;

typedef struct sipas_domain_changes {
    const char *measure;
    sipas_index_level measure_level;
    const char *label_vi, *label_en;
    double from, to;
    size_t nby;
    char **by;                          /* owned copies of the by columns (without wave) */
    size_t nrows;
    sipas_domain_change *rows;          /* owned; the province first when nby = 0 */
    double level;
} sipas_domain_changes;

/* Compares wave `to` with wave `from` (0 for either: the latest wave, and the wave before
 * `to`) for the measure in each domain of options->by (wave must not be among them). */
sipas_status sipas_domain_changes_compute(const sipas_dataset *data,
                                          const sipas_index_options *options, const char *measure,
                                          double from, double to, sipas_domain_changes **out,
                                          sipas_error *err);
void sipas_domain_changes_free(sipas_domain_changes *changes); /* NULL is a no-op */

/* ---------------------------------------------------------------------------------------------
 * Every target of the set with its verdict (the targets command): targets whose indicator maps
 * to data's form are judged on the survey measure (province series, options->index settings);
 * those mapped to another form, or to none, on their indicators.csv values (none: no data).
 * out is malloc'd with targets->ntargets elements in file order; caller frees it. */
sipas_status sipas_review_targets(const sipas_dataset *data, const sipas_index_options *options,
                                  const sipas_targets *targets, sipas_review_target **out,
                                  size_t *n, sipas_error *err);

#endif
