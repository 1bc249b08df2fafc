/* sipas/indicators.h - administrative indicators: the registry (surveys/indicators/registry.csv),
 * the Resolution's targets on them (surveys/indicators/targets.csv), the validation of a file of
 * yearly values before it is stored, and the verdict rules (pure functions; no SQLite, no
 * printing). Rules, sources and worked examples: docs/review.md, section "Scorecard".
 *
 * registry.csv, columns matched by name (case-insensitive, any order, extra columns ignored):
 *   id            identifier, e.g. dossiers_on_time                                 (required)
 *   label::vi, label::en                                                             (required)
 *   unit          the unit of measure in words, e.g. "hồ sơ", "người", "tỷ đồng"    (required)
 *   direction     higher | lower: which way is better                               (required)
 *   kind          share (a proportion in [0, 1], numerator/denominator allowed), count (a
 *                 number >= 0), change (a number >= 0 whose targets are a change against the
 *                 value of a base year or the mean of a base period)                (required)
 *   base_year     "2021" or "2021-2025"; change kinds only, and required for them
 *   item          the Resolution 60-NQ/TU item (a, b, c, d, đ, e), "" for none
 *   form, measure the survey measure the indicator is (both or neither): its targets are judged
 *                 on survey estimates (surveys/targets.csv), reported values are a fallback
 * targets.csv (administrative targets): indicator, unit (the administrative unit, e.g. lang_son),
 *   year, comparison (>=, >, <=, <), threshold (in the indicator's figure: a proportion for a
 *   share, 0.10 for 10%; a change as a proportion, -0.10 for a 10% cut; a number for a count),
 *   base_year (optional: overrides the registry's), item, source (where the target is written),
 *   quote (the sentence of the resolution).
 * A values file: indicator, year, unit, value, numerator, denominator, source, note, synthetic
 *   (one row per indicator x year x unit; see sipas_admin_values_read).
 *
 * Ownership: every *_load / *_read returns memory the caller frees with the matching _free;
 * strings inside belong to it. */
#ifndef SIPAS_INDICATORS_H
#define SIPAS_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"
#include "sipas/store.h"
#include "sipas/trend.h"

typedef enum { SIPAS_HIGHER_IS_BETTER = 0, SIPAS_LOWER_IS_BETTER } sipas_indicator_direction;
typedef enum { SIPAS_INDICATOR_SHARE = 0, SIPAS_INDICATOR_COUNT, SIPAS_INDICATOR_CHANGE }
    sipas_indicator_kind;

typedef struct sipas_indicator_def {
    char *id, *label_vi, *label_en, *unit;
    sipas_indicator_direction direction;
    sipas_indicator_kind kind;
    int base_from, base_to;   /* change kinds: base year (from == to) or period; 0 otherwise */
    char *item;               /* "a" ... "e", "" for none */
    char *form, *measure;     /* NULL for an administrative indicator */
    size_t row;
} sipas_indicator_def;

typedef struct sipas_indicator_registry {
    char *path;
    size_t n;
    sipas_indicator_def *defs; /* in file order */
} sipas_indicator_registry;

sipas_status sipas_indicator_registry_load(const char *path, sipas_indicator_registry **out,
                                           sipas_error *err);
/* DIR/indicators/registry.csv */
sipas_status sipas_indicator_registry_load_dir(const char *surveys_dir,
                                               sipas_indicator_registry **out, sipas_error *err);
void sipas_indicator_registry_free(sipas_indicator_registry *reg); /* NULL is a no-op */
const sipas_indicator_def *sipas_indicator_find(const sipas_indicator_registry *reg,
                                                const char *id); /* NULL when absent */
const char *sipas_indicator_kind_name(sipas_indicator_kind kind); /* "share", ... */

/* ---- targets ---------------------------------------------------------------------------- */

typedef enum { SIPAS_CMP_AT_LEAST = 0, SIPAS_CMP_ABOVE, SIPAS_CMP_AT_MOST, SIPAS_CMP_BELOW }
    sipas_comparison;

typedef struct sipas_admin_target {
    char *indicator, *unit;
    double year;
    sipas_comparison comparison;
    double threshold;          /* in the indicator's figure (see the file's description) */
    int base_from, base_to;    /* change kinds: the base (the target's, else the registry's) */
    char *item, *source, *quote;
    size_t row;
} sipas_admin_target;

typedef struct sipas_admin_targets {
    char *path;
    size_t n;
    sipas_admin_target *targets; /* in file order */
} sipas_admin_targets;

/* Every indicator must be in reg and administrative (a survey measure's targets belong in
 * surveys/targets.csv); a share's threshold lies in [0, 1]; (indicator, unit, year) is unique. */
sipas_status sipas_admin_targets_load(const char *path, const sipas_indicator_registry *reg,
                                      sipas_admin_targets **out, sipas_error *err);
sipas_status sipas_admin_targets_load_dir(const char *surveys_dir,
                                          const sipas_indicator_registry *reg,
                                          sipas_admin_targets **out, sipas_error *err);
void sipas_admin_targets_free(sipas_admin_targets *set); /* NULL is a no-op */
const char *sipas_comparison_text(sipas_comparison cmp); /* ">=", ">", "<=", "<" */
/* The same for people (reports, tables on screen): "≥", ">", "≤", "<". */
const char *sipas_comparison_symbol(sipas_comparison cmp);
bool sipas_comparison_meets(double x, double threshold, sipas_comparison cmp);

/* ---- values files ----------------------------------------------------------------------- */

/* Reads and validates a values file (CSV, any encoding and delimiter the CSV reader detects).
 * Columns: indicator, year, unit, source (required); value, numerator, denominator, note,
 * synthetic (optional; value or numerator and denominator must be given). Rules, each refused
 * as "FILE:ROW: column 'NAME': reason" (SIPAS_ERR_VALIDATION):
 *   - indicator in the registry; year a whole year in 1990-2100; unit an identifier;
 *     source not empty; synthetic empty, yes/no, true/false or 1/0;
 *   - a share's value in [0, 1], or written with '%' ("98.5%"); 98.5 without '%' is refused;
 *     counts and changes >= 0 and without numerator/denominator;
 *   - numerator and denominator both or neither, whole numbers, 0 <= numerator <= denominator,
 *     denominator > 0; a value given with them must agree with numerator/denominator to the
 *     precision it is written with (0.99 agrees with 187412/189020 = 0.99149);
 *   - (indicator, year, unit) at most once in the file.
 * The rows come back in file order with source_row set and batch_id 0; sha256_hex receives the
 * hash of the file's bytes (the batch's identity in the store). Another format (xlsx) plugs in
 * by filling the same sheet of cells that the CSV reader fills (src/csv_table.h). */
sipas_status sipas_admin_values_read(const char *path, const sipas_indicator_registry *reg,
                                     sipas_admin_value **out, size_t *n,
                                     char sha256_hex[SIPAS_ADMIN_SHA256_HEX + 1],
                                     sipas_error *err);

/* ---- verdicts --------------------------------------------------------------------------- */

/* Intervals of a share x / n (x successes of n), Wilson (1927) score interval:
 *   centre = (p + z^2 / 2n) / (1 + z^2 / n),
 *   half   = z / (1 + z^2 / n) sqrt(p (1 - p) / n + z^2 / 4n^2),  z = Phi^-1(1 - (1 - level)/2).
 * Chosen over Clopper-Pearson, which is conservative (coverage above the nominal level, most of
 * all near 0 and 1 where these shares live), and over Wald, which collapses to a point at 100%.
 * Needs 0 <= x <= n, n > 0. */
sipas_status sipas_wilson_interval(double x, double n, double level, double *low, double *high,
                                   sipas_error *err);

typedef enum { SIPAS_FIT_NONE = 0, SIPAS_FIT_LOGIT, SIPAS_FIT_LINEAR } sipas_fit_scale;

typedef struct sipas_admin_verdict {
    sipas_verdict verdict;       /* MET, NOT_MET, ON_TRACK, AT_RISK, OFF_TRACK,
                                    INSUFFICIENT_DATA or NOT_OBSERVED */
    const char *reason;          /* static English words when INSUFFICIENT_DATA, else NULL */
    size_t npoints;              /* yearly values used (up to the as-of year) */
    double latest_year;          /* NaN without values */
    double latest_figure;        /* the latest value, or for a change kind its change against
                                    the base (NaN when the base is not known yet) */
    double latest_low, latest_high; /* Wilson interval of the latest share with numerator and
                                    denominator; NaN otherwise */
    double base_value;           /* change kinds: the base; NaN otherwise */
    bool projected;
    double estimate;             /* the figure in the target year: observed or projected */
    double ci_low, ci_high;      /* projection: prediction interval; NaN when observed */
    sipas_fit_scale scale;
    double slope_per_year;       /* of the value (not the change), in its unit per year; for
                                    logit fits at the latest year; NaN without a fit */
    double slope_low, slope_high;
} sipas_admin_verdict;

/* INSUFFICIENT_DATA with every figure NaN and no fit: what a verdict is before any data. */
sipas_admin_verdict sipas_admin_verdict_none(void);

/* One yearly value of one indicator in one unit. numerator/denominator NaN when absent. */
typedef struct sipas_admin_point {
    double year, value, numerator, denominator;
} sipas_admin_point;

/* Judges target against points (any order, distinct years) as of year as_of (0: no limit;
 * values after it are ignored). Rules (docs/review.md, "Scorecard"):
 *   figure: the value; for a change kind value / base - 1, base = the value of the base year
 *     or the mean of the base period's values (all of them needed);
 *   target year <= as_of (a past year): MET / NOT_MET by the recorded figure of that year (an
 *     administrative figure is a complete count, not a sample); NOT_OBSERVED without one;
 *   target year > as_of: needs 3 values (INSUFFICIENT_DATA otherwise); the values are fitted
 *     against the year and the line projected to the target year with a prediction interval
 *     at `level` (t with n - 2 df): a share strictly inside (0, 1) on the logit scale
 *     (sipas_trend_fit_waves, lm-compatible: weights n p (1 - p) from numerators and
 *     denominators when every value has them, scaled by the scatter around the line, as a
 *     quasi-binomial model; unweighted otherwise), anything else linearly (ordinary least
 *     squares); ON_TRACK when the whole interval meets the target, OFF_TRACK when none of it
 *     does, AT_RISK otherwise. A change target projects the value and divides by the base,
 *     which must be observed (INSUFFICIENT_DATA otherwise). */
sipas_status sipas_admin_assess(const sipas_indicator_def *def, const sipas_admin_target *target,
                                const sipas_admin_point *points, size_t npoints, double as_of,
                                double level, sipas_admin_verdict *out, sipas_error *err);

#endif
