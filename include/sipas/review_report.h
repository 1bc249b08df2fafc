/* sipas/review_report.h - the annual review (sipas/review.h) as a document and as charts: the
 * sections, tables and bilingual words of the published review, built into a sipas_report
 * (sipas/report.h) that its writers turn into HTML, CSV and a workbook, and the review's four
 * charts drawn through sipas/plot.h. The programs only parse options, open the store, compute
 * the review and call these functions. Guide with screenshots: docs/report.md.
 *
 * Sections, in reading order (ids are the HTML anchors): summary, profile (the respondents,
 * sipas/respondent_profile.h), targets, change, trend, scorecard (when a scorecard is given),
 * ranking (with the units x waves table), elements, criteria, answers (the distribution of
 * answers, sipas/answer_distribution.h), comments (the open-ended answers by unit with personal
 * data masked, sipas/open_answers.h; only for a form with an open-ended question), methods. Every estimate comes from the review, the
 * wave's index (sipas_review_report_wave_index) or those two modules; computed here are only
 * the range and median of the design effects and the wave's strata and PSUs (appendix).
 *
 * Words: labels, never codes, wherever the instrument or targets.csv has one; the overall index
 * is "Chỉ số hài lòng chung" / "Overall satisfaction index"; numbers through sipas_report_format
 * and sipas_number_set_decimal.
 *
 * Ownership: the input's pointers are borrowed for the duration of a call; the report returned
 * by sipas_review_report_build belongs to the caller (sipas_report_free).
 */
#ifndef SIPAS_REVIEW_REPORT_H
#define SIPAS_REVIEW_REPORT_H

#include <stdbool.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/estimate.h"
#include "sipas/index.h"
#include "sipas/instrument.h"
#include "sipas/plot.h"
#include "sipas/report.h"
#include "sipas/review.h"
#include "sipas/scorecard.h"
#include "sipas/targets.h"

/* What the review document is built from. */
typedef struct sipas_review_report_input {
    const sipas_review *review;          /* required: sipas_review_compute's result */
    const sipas_dataset *data;           /* required: the data the review was computed on */
    const sipas_instrument *inst;        /* required: title, version, column labels */
    sipas_index_options index;           /* the estimation options the review used; its weighting
                                            and lonely-PSU rule are stated in the appendix */
    sipas_report_lang lang;              /* words and number format */
    const char *instrument_versions;     /* the stored batches' versions; NULL: none known */
    const char *instrument_warning;      /* a caution on mismatched versions; NULL: none */
    const sipas_scorecard *scorecard;    /* Resolution 60 scorecard; NULL: no such section */
    /* The targets file the review used (NULL: none): the targets of the form's other measures
     * (elements, criteria) get a table of their own beside the reviewed measure's. */
    const sipas_targets *targets;
    /* The headline (province, reviewed wave) under the stored design weights, when index
     * applies a weighting (NaN otherwise): the summary states it beside the weighted one. */
    double unweighted_headline;
    /* The longest listing of open-ended answers the comments section carries; a longer one is
     * left out with a note (the counts stay). 0, as a zeroed input has it: counts only, so that
     * free text is published only when asked for. */
    size_t comments_max;
} sipas_review_report_input;

/* The report command's --comments-max when it is not given. */
#define SIPAS_REVIEW_COMMENTS_MAX_DEFAULT 200

typedef enum {
    SIPAS_REVIEW_CHART_TREND = 0, /* the province's waves, fit, projection, targets */
    SIPAS_REVIEW_CHART_RANKING,   /* units of the reviewed wave against the target */
    SIPAS_REVIEW_CHART_PROFILE,   /* elements this wave against the wave before */
    SIPAS_REVIEW_CHART_HEATMAP,   /* units by elements */
    SIPAS_REVIEW_CHART_TREND_BY_UNIT /* the measure over the waves in each unit (a domain such
                                        as inpatient/outpatient, or each district): lines in one
                                        plot up to 6 units, small multiples beyond */
} sipas_review_chart;

/* Draws one chart of the review to opt->output_path (sipas_plot_*: gnuplot must be installed).
 * opt->title, x_label, y_label may be NULL: the chart's own words in in->lang are used. */
sipas_status sipas_review_chart_draw(const sipas_review_report_input *in, sipas_review_chart kind,
                                     const sipas_plot_options *opt, sipas_error *err);

/* The index of every criterion, element and the overall measure in the reviewed wave, province
 * level, under the review's lonely-PSU handling (sipas_review_index_compute). The caller frees
 * *out with sipas_index_result_free. */
sipas_status sipas_review_report_wave_index(const sipas_review_report_input *in,
                                            sipas_index_result **out, sipas_error *err);

/* Builds the whole review document. wave_index is sipas_review_report_wave_index's result.
 * Charts are drawn as SVG into a private temporary directory under $TMPDIR (else /tmp), read
 * back into the report and removed with the directory. */
sipas_status sipas_review_report_build(const sipas_review_report_input *in,
                                       const sipas_index_result *wave_index, sipas_report **out,
                                       sipas_error *err);

#endif
