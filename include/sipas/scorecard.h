/* sipas/scorecard.h - every target of Resolution 60-NQ/TU in one table: the survey indices
 * (surveys/targets.csv, judged on the survey's province series by trend.h's rules) and the
 * administrative indicators (surveys/indicators/targets.csv, judged on stored values by
 * sipas_admin_assess), with the latest value, its year, the trend and the verdict. No printing.
 * Rules and the list of targets: docs/review.md, section "Scorecard".
 *
 * Units: figures are proportions for shares and changes (-0.10 is a 10% cut), the indicator's
 * unit for counts; callers format. Years are doubles holding whole years.
 *
 * Ownership: sipas_scorecard_build returns a scorecard the caller frees with
 * sipas_scorecard_free. Its rows' strings point into the registry and the target sets of the
 * input, which must outlive it. */
#ifndef SIPAS_SCORECARD_H
#define SIPAS_SCORECARD_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/index.h"
#include "sipas/indicators.h"
#include "sipas/plot.h"
#include "sipas/report.h"
#include "sipas/store.h"
#include "sipas/targets.h"

typedef enum {
    SIPAS_SCORE_TREND_NONE = 0,  /* fewer than 3 values: no line */
    SIPAS_SCORE_TREND_IMPROVING, /* the slope's interval lies wholly on the better side of 0 */
    SIPAS_SCORE_TREND_STEADY,    /* the interval contains 0 */
    SIPAS_SCORE_TREND_WORSENING  /* wholly on the worse side (direction from the registry) */
} sipas_score_trend;

typedef struct sipas_scorecard_row {
    const char *item;            /* "a" ... "e", "" when none */
    const char *indicator;
    const char *label_vi, *label_en; /* the registry's; the indicator's id when unregistered */
    const char *unit;            /* the registry's unit of measure ("" when unregistered) */
    sipas_indicator_kind kind;
    bool survey;                 /* judged on survey estimates (false: reported values) */
    sipas_comparison comparison;
    double threshold, year;
    int base_from, base_to;      /* change kinds */
    sipas_admin_verdict verdict; /* for survey rows: latest value with its interval, the
                                    projection and its interval, the known-variance slope */
    sipas_score_trend trend;
    const char *source, *quote;  /* quote "" when the targets file gives none */
} sipas_scorecard_row;

typedef struct sipas_scorecard {
    double as_of;                /* the year the verdicts are judged in */
    double level;
    size_t n;
    sipas_scorecard_row *rows;   /* owned; by resolution item (a, b, c, d, đ, e, none), then
                                    administrative targets in file order, then survey ones */
    /* What sipas_scorecard_compute loaded (owned, the rows point into it); NULL after
     * sipas_scorecard_build, whose rows point into the caller's input. */
    sipas_indicator_registry *registry;
    sipas_admin_targets *admin_targets;
    sipas_targets *survey_targets;
    sipas_admin_value *values;
    size_t nvalues;
} sipas_scorecard;

typedef struct sipas_scorecard_input {
    const sipas_indicator_registry *registry;  /* required */
    const sipas_admin_targets *admin_targets;  /* may be NULL */
    const sipas_targets *survey_targets;       /* surveys/targets.csv; may be NULL */
    const sipas_admin_value *values;           /* stored values (all indicators) */
    size_t nvalues;
    /* Survey data of one form: targets mapped to it (province scope) are judged on its
     * province series; the others, and all of them when data is NULL, on the reported values
     * of the same indicator. */
    const sipas_dataset *data;
    const sipas_index_options *index;          /* ci, level, ... for data; NULL: defaults */
    double as_of;                              /* 0: the latest year of any value or wave */
    double level;                              /* 0: index->level, else 0.95 */
} sipas_scorecard_input;

sipas_status sipas_scorecard_build(const sipas_scorecard_input *in, sipas_scorecard **out,
                                   sipas_error *err);
void sipas_scorecard_free(sipas_scorecard *card); /* NULL is a no-op */

/* Loads DIR/indicators/registry.csv, DIR/indicators/targets.csv, DIR/targets.csv (optional) and
 * the store's indicator values, and builds the scorecard; the result owns what it loaded.
 * data and index as in sipas_scorecard_input (data may be NULL). A missing registry is
 * SIPAS_ERR_NOT_FOUND (a surveys folder without indicators has no scorecard). */
sipas_status sipas_scorecard_compute(const char *surveys_dir, sipas_store *store,
                                     const sipas_dataset *data, const sipas_index_options *index,
                                     double as_of, sipas_scorecard **out, sipas_error *err);

/* The scorecard as a section of a report (heading "scorecard", the rules in a paragraph, the
 * chart drawn as SVG at chart_path, which is removed afterwards, and the table). */
sipas_status sipas_scorecard_report_section(const sipas_scorecard *card, bool vietnamese,
                                            sipas_report *report, const char *chart_path,
                                            sipas_error *err);

/* The compact chart (plot.h's scorecard kind): one row per target ("b 2025 · label"), the latest
 * figure as a dot coloured by the verdict (green met / on track, orange at risk / not
 * distinguishable, red not met / off track, grey no verdict) and the target as a diamond;
 * vietnamese picks labels and legend. Count targets, which have no percentage axis, are left
 * out; none of the resolution's targets is one. */
sipas_status sipas_scorecard_chart(const sipas_scorecard *card, bool vietnamese,
                                   const sipas_plot_options *opt, sipas_error *err);

/* A verdict in Vietnamese ("đạt", "đúng hướng", ...); sipas_verdict_name gives English. */
const char *sipas_scorecard_verdict_name_vi(sipas_verdict verdict);

/* "improving", "steady", "worsening", "-" and their Vietnamese wording. Static strings. */
const char *sipas_score_trend_name(sipas_score_trend trend);
const char *sipas_score_trend_name_vi(sipas_score_trend trend);

#endif
