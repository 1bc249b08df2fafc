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
 *     characters (newline, tab) in names are shown as spaces. NULL strings are empty. Names
 *     on an axis or in the legend longer than 48 characters are cut with an ellipsis (a longer
 *     tick label would squeeze the plot area to nothing); titles are kept whole.
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
    const char *label; /* e.g. "90% (2025)", printed above the line at the target year */
} sipas_plot_target;

typedef struct sipas_plot_trend {
    const sipas_plot_series *series; /* nseries >= 1, at most 12; the first is drawn boldest
                                        (the province), each in its own colour */
    size_t nseries;
    const sipas_plot_target *targets; /* may be NULL with ntargets 0; at most 8 */
    size_t ntargets;
    /* y-axis range as proportions; NaN: from the data, intervals and targets, padded to a
     * multiple of 5 percentage points. */
    double y_min, y_max;
    /* A note printed in the lower left corner of the plot ("uncertain projection: only 3
     * waves"); NULL or "": none. Cut at 100 characters. */
    const char *note;
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
} sipas_plot_unit;

typedef struct sipas_plot_ranking {
    const sipas_plot_unit *units; /* drawn top to bottom in this order (sort before calling);
                                     1 to 200 */
    size_t nunits;
    double target;             /* proportion: dashed vertical line, and bars whose estimate is
                                  below it in the warning colour; NaN: none */
    const char *target_label;  /* legend entry of the line, e.g. "Mục tiêu 2025: 90%" */
    double reference;          /* the province value: solid vertical line; NaN: none */
    const char *reference_label; /* legend entry, e.g. "Toàn tỉnh: 88,2%" */
    const char *below_label;   /* legend entry of the warning-coloured bars, e.g. "Dưới mục
                                  tiêu"; NULL: no entry */
    double x_min;              /* where bars start, proportion; NaN: 0. A start above 0 makes
                                  small differences look large: say so in the chart's title */
    bool show_values;          /* print each estimate (one decimal) right of its whisker */
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
} sipas_plot_profile;

sipas_status sipas_plot_profile_chart(const sipas_plot_profile *profile,
                                      const sipas_plot_options *opt, sipas_error *err);

/* ---------------------------------------------------------------------------------------------
 * 4. Heat map: units (rows, top to bottom) by elements (columns), each cell coloured by its
 *    value on a red-yellow-green scale and labelled with it (one decimal). */

typedef struct sipas_plot_heatmap {
    const char *const *row_names;    /* nrows unit names, 1 to 200 */
    size_t nrows;
    const char *const *column_names; /* ncolumns element names, 1 to 50; long names are wrapped
                                        at spaces onto lines of about 16 characters */
    size_t ncolumns;
    const double *values;            /* nrows * ncolumns proportions, row-major; NaN: blank */
    double low, high;                /* colour scale ends (proportions); NaN: the data's range */
    const char *colour_label;        /* title of the colour box; NULL: none */
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
