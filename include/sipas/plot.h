/* sipas/plot.h - trend, ranking, element-profile and heat-map charts drawn by gnuplot.
 *
 * This module is the only one that knows gnuplot. Each function writes a self-contained gnuplot
 * script (data inline as `$name << EOD` blocks), runs the program "gnuplot" found on PATH as a
 * child process (no shell) and writes a PNG, SVG or PDF through the cairo terminals (pngcairo,
 * svg, pdfcairo). Full guide with pictures of each kind: docs/plots.md.
 *
 * Conventions of every function here:
 *   - Values are proportions in [0, 1] (estimates, interval bounds, targets); charts show them as
 *     percentages 0-100. NaN means "not known": a NaN bound draws no whisker, a NaN estimate
 *     draws nothing for that point, a NaN heat-map cell stays blank.
 *   - Every string (titles, axis labels, unit and element names, legend entries) is the caller's
 *     UTF-8 text, shown literally: the language of the labels is the caller's choice, and quotes,
 *     backslashes, '@', '&', '^', '_', '{', '}' and backticks are never interpreted by gnuplot
 *     (strings are single-quoted in the script and the terminal is noenhanced). Control
 *     characters (newline, tab) in names are shown as spaces. NULL strings are empty. Nothing
 *     is cut: names on an axis longer than 40 characters are wrapped at spaces onto several
 *     lines (legend entries beyond 64), and a title wider than the chart onto lines that fit
 *     its width; rows grow to hold a wrapped name.
 *   - No text overlaps a drawn line, a point or another text in any kind (labels the module
 *     places itself, such as the trend's target labels, go in the margins): checked in headless
 *     Chromium on the SVG output by tests/browser/chart_overlap.sh (tests/cli/chart_layout.sh).
 *   - Every element drawn has a legend entry when the caller gives its words (the key words
 *     below); values NCHS says not to publish (the caller's `suppressed`) are drawn hollow:
 *     an open point, an outlined bar or cell, explained by the key's suppressed entry.
 *   - All inputs are borrowed for the duration of the call; nothing is kept.
 *   - The chart is rendered to a temporary file beside the output and renamed onto the output
 *     path only when gnuplot succeeded, so a failure leaves any earlier chart in place.
 *   - Errors: SIPAS_ERR_USAGE for inconsistent inputs or options, SIPAS_ERR_NOT_FOUND when
 *     gnuplot is not on PATH ("gnuplot is not installed; install the Debian package
 *     gnuplot-nox"), SIPAS_ERR_IO when a file cannot be written or gnuplot fails (the message
 *     then carries gnuplot's own error output), SIPAS_ERR_NOMEM.
 *   - The text uses the font "DejaVu Sans" (Debian package fonts-dejavu-core), which has every
 *     Vietnamese letter; SVG files name the font and leave its choice to the viewer.
 *
 * SVG for HTML reports: render with format SIPAS_PLOT_SVG to a path of the caller's choice and
 * read the file back; the file is a complete <svg> document (with an XML prolog that an HTML
 * page inlining it should drop) sized in pixels by width and height.
 */
#ifndef SIPAS_PLOT_H
#define SIPAS_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

typedef enum {
    SIPAS_PLOT_FORMAT_AUTO = 0, /* from the output path's extension: .png, .svg, .pdf (any case) */
    SIPAS_PLOT_PNG,             /* pngcairo */
    SIPAS_PLOT_SVG,             /* svg */
    SIPAS_PLOT_PDF              /* pdfcairo */
} sipas_plot_format;

typedef struct sipas_plot_options {
    const char *output_path;  /* required: the chart file, replaced when it exists */
    sipas_plot_format format; /* AUTO: from the extension of output_path */
    /* Size in pixels for PNG and SVG; a PDF gets the same layout at 144 pixels per inch
     * (960 x 600 is 6.67 x 4.17 inches). 0: the kind's default (trend, profile 960 x 600;
     * ranking and heat map 960 wide, tall enough for their rows). At most 10000 each. */
    int width, height;
    double font_size;         /* points; 0: 11 */
    const char *title;        /* may be NULL: no title */
    const char *x_label;      /* axis titles; NULL: none */
    const char *y_label;
    /* Vietnamese number format: decimal comma in tick labels and in the values printed on the
     * chart ("87,1"); gnuplot's `set decimalsign ','`. */
    bool decimal_comma;
    /* When not NULL: the generated script is written to this path and left there, so an analyst
     * can edit it and run `gnuplot FILE` to redraw output_path. NULL: a temporary script is
     * removed after the run. */
    const char *keep_script;
} sipas_plot_options;

/* ---------------------------------------------------------------------------------------------
 * 1. Trend: waves as points with confidence-interval bars, the fitted trend line with its
 *    projection band, and dashed target lines. */

typedef struct sipas_plot_wave {
    double year;             /* e.g. 2024 */
    double estimate;         /* proportion */
    double ci_low, ci_high;  /* interval; NaN: no bar */
    bool suppressed;         /* not to publish (NCHS): an open point */
} sipas_plot_wave;

typedef struct sipas_plot_fit_point {
    double year;             /* any year, e.g. every 0.25 year up to 2030 */
    double fit;              /* the fitted line, proportion (sipas_projection.estimate) */
    double band_low, band_high; /* its interval (sipas_projection.ci_low / ci_high); NaN: none */
} sipas_plot_fit_point;

typedef struct sipas_plot_series {
    const char *name;                /* legend entry, e.g. "Toàn tỉnh"; NULL or "": none */
    const sipas_plot_wave *waves;    /* nwaves, any order */
    size_t nwaves;
    const sipas_plot_fit_point *fit; /* nfit points in increasing year; NULL with nfit 0: no line */
    size_t nfit;
    /* true: the projection is uncertain beyond its band (fewer than 5 waves or a significant lack
     * of fit, sipas_trend_fit.projection_caution): drawn dotted instead of dashed, its band
     * fainter, so it cannot be taken for a 6-wave line. */
    bool projection_uncertain;
} sipas_plot_series;

typedef struct sipas_plot_target {
    double threshold;  /* proportion, e.g. 0.90 */
    double year;       /* target year, e.g. 2025: marked on the line with a diamond */
    const char *label; /* e.g. "90% (2025)", printed in the right margin beside the line (never
                          inside the plot, where the fitted line and whiskers pass) */
} sipas_plot_target;

/* Legend words for what is drawn besides the named series; NULL or "": that element has no
 * entry (it is still drawn). The entries appear only for elements the chart has. */
typedef struct sipas_plot_key_words {
    const char *fit;        /* the fitted line over the observed waves, e.g. "Xu hướng" */
    const char *projection; /* its continuation, dashed (dotted when uncertain), "Dự báo" */
    const char *band;       /* the fit's interval, "Khoảng tin cậy 95% của xu hướng" */
    const char *target;     /* a target line with its diamond, "Mục tiêu" */
    const char *suppressed; /* an open point, "Không đủ tin cậy để công bố (NCHS)" */
    const char *panel;      /* small multiples: the panel's own series, e.g. "Huyện" */
} sipas_plot_key_words;

typedef struct sipas_plot_trend {
    const sipas_plot_series *series; /* nseries >= 1, at most 12; the first is drawn boldest
                                        (the province), each in its own colour; with panels
                                        the first is the reference shown in every panel */
    size_t nseries;
    const sipas_plot_target *targets; /* may be NULL with ntargets 0; at most 8 */
    size_t ntargets;
    /* y-axis range as proportions; NaN: from the data, intervals and targets, padded to a
     * multiple of 5 percentage points. */
    double y_min, y_max;
    /* A note printed in the lower left corner of the plot ("uncertain projection: only 3
     * waves"); NULL or "": none. Printed under the chart, wrapped to its width. */
    const char *note;
    sipas_plot_key_words key;
    /* false: every series in one plot (a few domains: inpatient and outpatient). true: small
     * multiples, one panel per series after the first (each district), titled by its name,
     * with the first series (the province) drawn in grey in each for reference; 2 to 49
     * series (up to 48 panels).
     * Panels show the waves joined by lines; fits are drawn for the first series only. */
    bool panels;
} sipas_plot_trend;

/* Draws the trend chart. Needs at least one wave or fit point in all; years and values must be
 * finite where the estimate is given. */
sipas_status sipas_plot_trend_chart(const sipas_plot_trend *trend, const sipas_plot_options *opt,
                                    sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * 2. Ranking: one horizontal bar per unit, with its interval as a whisker. */

typedef struct sipas_plot_unit {
    const char *name;        /* e.g. "Đình Lập" */
    double estimate;         /* proportion; NaN: the row is kept, empty */
    double ci_low, ci_high;  /* NaN: no whisker */
    bool suppressed;         /* not to publish (NCHS): an outlined bar, an open point */
} sipas_plot_unit;

typedef struct sipas_plot_ranking {
    const sipas_plot_unit *units; /* drawn top to bottom in this order (sort before calling);
                                     1 to 200 */
    size_t nunits;
    double target;             /* proportion: dashed vertical line, and bars whose estimate is
                                  below it in the warning colour; NaN: none */
    const char *target_label;  /* legend entry of the line, e.g. "Mục tiêu 2025: 90%" */
    double reference;          /* the province value; NaN: none */
    /* The province's interval: drawn as a grey band behind the bars with a triangle at the
     * value above the top row, so a target close to the province value (90% and 90.19%)
     * stays distinct from it. NaN: the value is a solid vertical line instead, or the
     * triangle alone when the target's line is within 1% of the axis from it. */
    double reference_low, reference_high;
    const char *reference_label; /* legend entry of the line, or with the band of the marker
                                    over the top row, e.g. "Toàn tỉnh: 88,2%" */
    const char *reference_band_label; /* legend entry of the band, "Khoảng tin cậy toàn tỉnh" */
    const char *below_label;   /* legend entry of the warning-coloured bars, e.g. "Dưới mục
                                  tiêu"; NULL: no entry */
    double x_min;              /* where bars start, proportion; NaN: 0. A start above 0 makes
                                  small differences look large: say so in the chart's title */
    bool show_values;          /* print each estimate (one decimal) inside its bar's start */
    const char *suppressed_label; /* legend entry of the outlined bars; NULL: none */
} sipas_plot_ranking;

sipas_status sipas_plot_ranking_chart(const sipas_plot_ranking *ranking,
                                      const sipas_plot_options *opt, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * 3. Element profile: each element's estimate this year against last year, as a dot plot with
 *    intervals (one row per element, top to bottom in the given order). */

typedef struct sipas_plot_profile {
    const sipas_plot_unit *current;  /* nelements: name = element label, this year's values */
    const sipas_plot_unit *previous; /* nelements, same order (names unused); NULL: one series */
    size_t nelements;                /* 1 to 50 */
    const char *current_name;        /* legend entries, e.g. "2024" and "2023" */
    const char *previous_name;
    double target;                   /* proportion: dashed vertical line; NaN: none */
    const char *target_label;
    double x_min, x_max;             /* proportions; NaN: from the data, padded */
    /* Each element's own target (targets.csv on that element), nelements proportions, NaN
     * where the element has none; NULL: none. Drawn as a solid dark-red bar across the
     * element's row with a diamond, entry element_target_label. */
    const double *element_targets;
    const char *element_target_label;
    const char *suppressed_label;    /* legend entry of open points; NULL: none */
} sipas_plot_profile;

sipas_status sipas_plot_profile_chart(const sipas_plot_profile *profile,
                                      const sipas_plot_options *opt, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * 4. Heat map: units (rows, top to bottom) by elements (columns), each cell labelled with its
 *    value (one decimal) and coloured by fixed thresholds around the target, never by the
 *    data's range, so a value has the same colour on every chart with that target:
 *      green  value >= target
 *      amber  target - SIPAS_PLOT_HEAT_BAND <= value < target
 *      red    value < target - SIPAS_PLOT_HEAT_BAND
 *    (90% target: 90% and above green, 80% to under 90% amber, under 80% red). Without a
 *    target every cell is one neutral blue. Suppressed cells are white with a border of
 *    their class colour. */

#define SIPAS_PLOT_HEAT_BAND 0.10 /* proportion: the amber band's width below the target */

typedef struct sipas_plot_heatmap {
    const char *const *row_names;    /* nrows unit names, 1 to 200 */
    size_t nrows;
    const char *const *column_names; /* ncolumns element names, 1 to 50; long names are wrapped
                                        at spaces onto lines of about 16 characters */
    size_t ncolumns;
    const double *values;            /* nrows * ncolumns proportions, row-major; NaN: blank */
    const bool *suppressed;          /* nrows * ncolumns, true: not to publish; NULL: none */
    double target;                   /* proportion; NaN: no thresholds, one neutral colour */
    /* legend entries of the green, amber and red classes, e.g. "≥ 90%", "80% – dưới 90%",
     * "dưới 80%", and of the outlined cells; NULL or "": no entry */
    const char *class_labels[3];
    const char *suppressed_label;
} sipas_plot_heatmap;

sipas_status sipas_plot_heatmap_chart(const sipas_plot_heatmap *heatmap,
                                      const sipas_plot_options *opt, sipas_error *err);

/* The format of a path from its extension (.png, .svg, .pdf, any case), or SIPAS_PLOT_FORMAT_AUTO
 * when it has none of them. */
sipas_plot_format sipas_plot_format_from_path(const char *path);

/* ---------------------------------------------------------------------------------------------
 * 5. Scorecard: one row per target, the latest value as a dot coloured by its verdict and the
 * target as an open diamond on a percentage axis (shares and changes against a base; a change
 * may be negative, the axis then starts below 0). */

typedef enum {
    SIPAS_PLOT_VERDICT_GOOD = 0, /* met, on track: green */
    SIPAS_PLOT_VERDICT_WARN,     /* at risk, not distinguishable: orange */
    SIPAS_PLOT_VERDICT_BAD,      /* not met, off track: red */
    SIPAS_PLOT_VERDICT_NONE      /* no verdict (insufficient data, not observed): grey */
} sipas_plot_verdict;

typedef struct sipas_plot_score_row {
    const char *name;            /* row label, e.g. "b · Hồ sơ đúng hạn (2025)" */
    double value;                /* the latest figure, proportion; NaN: no dot */
    double target;               /* the threshold, proportion (finite) */
    sipas_plot_verdict verdict;
} sipas_plot_score_row;

typedef struct sipas_plot_scorecard {
    const sipas_plot_score_row *rows; /* drawn top to bottom in this order; 1 to 200 */
    size_t nrows;
    /* legend entries of the four colours and of the diamond; NULL or "": no entry */
    const char *verdict_labels[4];
    const char *target_label;
} sipas_plot_scorecard;

sipas_status sipas_plot_scorecard_chart(const sipas_plot_scorecard *card,
                                        const sipas_plot_options *opt, sipas_error *err);

#endif
