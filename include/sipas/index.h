/* sipas/index.h - satisfaction indices of a form: criterion, element and overall, by domain,
 * with design-based standard errors, intervals, design effects and NCHS flags.
 *
 * The design (docs/methodology.md):
 *   strata  wave x the stratum column (each wave is its own sample, so strata never span waves;
 *           without a stratum column each wave is one stratum)
 *   PSUs    the cluster column within its stratum (nested); without one, each respondent
 *   weights the weight column; without one, 1
 *   fpc     the fpc column (population count of PSUs in the stratum, constant within it)
 * Scoring of a criterion (the instrument's, or options->scoring for all):
 *   satisfied_share  y = 1 for a `satisfied` choice, 0 for another valid one
 *   percent_to_max   y = (code - min) / (max - min) over the list's non-missing codes
 *   nps              y = 1 for 9-10, 0 for 7-8, -1 for 0-6
 * x = 1 for a valid answer; missing codes and empty cells have x = 0 and are counted apart.
 * Criterion index = sum(w y) / sum(w x) over the domain; element = mean of its criteria;
 * overall = mean of the elements weighted by elements.csv (weight 0 leaves an element out).
 * Domains keep the full design (not subsets); --where conditions define a domain too.
 *
 * Ownership: the result owns everything in it; free with sipas_index_result_free. Labels and
 * names point into the instrument, which must outlive the result. */
#ifndef SIPAS_INDEX_H
#define SIPAS_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/condition.h"
#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/estimate.h"
#include "sipas/store.h"

typedef enum {
    SIPAS_LEVEL_OVERALL = 0,
    SIPAS_LEVEL_ELEMENT,
    SIPAS_LEVEL_CRITERION
} sipas_index_level;

const char *sipas_index_level_name(sipas_index_level level); /* "overall", "element", "criterion" */

/* Population counts of one margin from the store (sipas_store_load_margin): its columns joined
 * by '+' ("district", "sex+age_group") and its cells ("female|18_29") by wave (0 = every wave). */
typedef struct sipas_population_margin {
    const char *columns;
    const sipas_margin_cell *cells;
    size_t ncells;
} sipas_population_margin;

typedef enum {
    SIPAS_WEIGHTING_DESIGN = 0,   /* the weight column (1 without one) */
    SIPAS_WEIGHTING_BASE,         /* N_h / n_h from margins[0] over the stratum column */
    SIPAS_WEIGHTING_POSTSTRATIFY, /* the weights post-stratified to margins[0] */
    SIPAS_WEIGHTING_RAKE          /* the weights raked to margins[0..nmargins) */
} sipas_weighting;

typedef struct sipas_index_options {
    const char *const *by;        /* domain columns (stratum, domain, wave or any select_one) */
    size_t nby;
    const sipas_filter *where;    /* all must hold */
    size_t nwhere;
    sipas_ci_method ci;           /* default SIPAS_CI_LOGIT (0) */
    double level;                 /* 0: 0.95 */
    sipas_lonely_psu lonely_psu;  /* default SIPAS_LONELY_FAIL, as R */
    bool scoring_set;             /* score every criterion with `scoring` */
    sipas_scoring scoring;
    bool keep_wave_pooled;        /* do not add wave to `by` when the data hold several waves */
    size_t min_cell;              /* privacy: a row over fewer respondents (a criterion: fewer
                                     valid answers) shows no value; 0: SIPAS_DEFAULT_MIN_CELL */
    /* Weighting (docs/calibration.md). Cells are wave x the margin's cell: every wave is
     * calibrated to its own counts (a frame row with wave 0 serves every wave). Calibrated
     * estimates take their variance from the calibration residuals over the whole design, as R's
     * postStratify/rake + svyciprop do. */
    sipas_weighting weighting;
    const sipas_population_margin *margins;
    size_t nmargins;
} sipas_index_options;

#define SIPAS_DEFAULT_MIN_CELL 5
/* Row flag beside the SIPAS_NCHS_* bits: the cell is below options->min_cell and every value of
 * the row (estimate, se, interval, deff...) is withheld as NaN; only n stays. */
#define SIPAS_FLAG_SMALL_CELL (1u << 8)

/* Why a row has no design-based variance (docs/methodology.md, "Degenerate designs"). When it
 * is not OK the estimate is still given if there are answers, but variance, se, ci_low, ci_high,
 * deff and n_eff are NaN and flags holds SIPAS_NCHS_NO_CI: a reader must see "no interval:
 * REASON", never an SE of 0 or a confident test. */
typedef enum sipas_variance_status {
    SIPAS_VARIANCE_OK = 0,     /* design-based variance; may be exactly 0 (p = 0 or 1, PSUs
                                  alike, census strata) */
    SIPAS_VARIANCE_ONE_PSU,    /* the rows of nonzero weight lie in a single PSU (a hospital
                                  that is its own cluster, a district-wave with one commune):
                                  no between-PSU variance exists, whatever --lonely-psu says */
    SIPAS_VARIANCE_NO_ANSWER,  /* no valid answer (or a criterion of the composite had none) */
    SIPAS_VARIANCE_NO_DF,      /* several PSUs but as many strata: df = 0, no t quantile */
    SIPAS_VARIANCE_LONELY      /* every stratum has one PSU and --lonely-psu average leaves
                                  none to average over */
} sipas_variance_status;

/* A short reason, in "vi" or "en" (anything else: en), e.g. "one cluster (PSU): no design-based
 * variance"; "" for SIPAS_VARIANCE_OK. Static strings. */
const char *sipas_variance_status_text(sipas_variance_status status, const char *lang);
/* A stable code for files: "ok", "one_psu", "no_answer", "no_df", "lonely". */
const char *sipas_variance_status_name(sipas_variance_status status);

enum { SIPAS_MISSING_KINDS = 4 }; /* indexed by sipas_missing_kind; [0] counts empty cells */

typedef struct sipas_index_row {
    size_t domain;              /* index into result->domains */
    sipas_index_level level;
    int measure;                /* item index (criterion), element index (element), -1 overall */
    const char *name;           /* item or element name, or "overall" */
    const char *label_vi, *label_en;
    sipas_scoring scoring;
    bool estimable;             /* false: no valid answer (or a criterion of it had none) */
    double estimate;            /* proportion (or NPS in [-1, 1]) */
    double variance, se;
    double ci_low, ci_high;
    sipas_ci_method ci_method;  /* the requested method; mean for NPS rows */
    double df;
    double deff;                /* R's svyratio deff for criteria; composites: sipas_composite_deff */
    double kish_deff;
    double n_eff;               /* p(1-p)/V; NaN for NPS */
    size_t n;                   /* valid answers (criterion) or respondents (composites) */
    size_t n_missing[SIPAS_MISSING_KINDS];
    unsigned flags;             /* SIPAS_NCHS_* from Korn-Graubard intervals */
    sipas_variance_status variance_status;
} sipas_index_row;

typedef struct sipas_index_domain {
    char **values;              /* one code per by column ("2024", "cao_loc"); owned */
    size_t respondents;
} sipas_index_domain;

typedef struct sipas_index_result {
    size_t nby;
    char **by;                  /* the by columns, with wave added when it was */
    size_t ndomains;
    sipas_index_domain *domains;
    size_t nrows;
    sipas_index_row *rows;      /* per domain: overall, then each element followed by its criteria */
    sipas_ci_method ci;
    double level;
    size_t design_rows, nstrata, npsu;
    size_t rows_without_domain; /* rows left out because a by column was empty */
    bool wave_added;
} sipas_index_result;

sipas_status sipas_index_compute(const sipas_dataset *data, const sipas_index_options *options,
                                 sipas_index_result **out, sipas_error *err);
void sipas_index_result_free(sipas_index_result *result); /* NULL is a no-op */

/* The one-pass index (src/index_stream.c): the result of sipas_index_compute for each of nsets
 * option sets (which differ only in by/nby: --by wave --by wave,district) from one read of the
 * store, without loading the respondents. Per set it keeps sums per domain and per (domain,
 * PSU), so memory is bounded by domains x PSUs x criteria x answer scores, not by respondents.
 * The numbers equal sipas_index_compute's up to the order of the additions. The where
 * conditions on the wave column go into the query. It applies (sipas_index_stream_applies) to
 * design weights with a cluster column; otherwise SIPAS_ERR_USAGE. results[0..nsets) are set
 * on success (free each with sipas_index_result_free), all NULL on failure. */
bool sipas_index_stream_applies(const sipas_instrument *inst, const sipas_index_options *options);
sipas_status sipas_index_compute_stream(sipas_store *store, const sipas_instrument *inst,
                                        const sipas_index_options *sets, size_t nsets,
                                        sipas_index_result **results, sipas_error *err);

/* One measure in each unit of a parent domain (a district within the province in one wave),
 * with Cov(unit, parent) from the linearised scores of the same design, for ranking units
 * against the province (sipas_rank_units). */
typedef struct sipas_unit_estimate {
    char *code;                 /* the unit's code in unit_column; owned */
    size_t respondents;
    sipas_index_row row;        /* the measure in this unit (domain field unused) */
    double cov_with_parent;     /* NaN when row.variance_status is not OK */
} sipas_unit_estimate;

typedef struct sipas_units_result {
    sipas_index_row parent;     /* the measure over the whole parent domain */
    size_t parent_respondents;
    size_t nunits;
    sipas_unit_estimate *units; /* in the order of the unit column's choice list */
    sipas_ci_method ci;
    double level;
} sipas_units_result;

/* The parent domain is every respondent that passes options->where (options->by must be
 * empty); it must lie in one wave, else SIPAS_ERR_USAGE asks for --wave. measure is "overall",
 * an element name or a criterion name. unit_column may not be the cluster column itself (each
 * unit would be one PSU, with no design-based variance): SIPAS_ERR_USAGE suggests a column
 * above the cluster level. A unit whose rows lie in one PSU gets SIPAS_VARIANCE_ONE_PSU. */
sipas_status sipas_index_units(const sipas_dataset *data, const sipas_index_options *options,
                               const char *unit_column, const char *measure,
                               sipas_units_result **out, sipas_error *err);
void sipas_units_result_free(sipas_units_result *result); /* NULL is a no-op */

/* The label of a by column's code in a language ("vi"/"en"), or the code itself. */
const char *sipas_index_domain_label(const sipas_instrument *inst, const char *column,
                                     const char *code, const char *lang);

#endif
