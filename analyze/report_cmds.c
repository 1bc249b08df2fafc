/* sipas-analyze plot and report: the annual review (sipas/review.h) drawn as charts
 * (sipas/plot.h) and written as one self-contained HTML page with its tables as CSV files and a
 * workbook (sipas/report.h, sipas/xlsx.h). Guide: docs/report.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "sipas/estimate.h"
#include "sipas/plot.h"
#include "sipas/report.h"
#include "sipas/review.h"
#include "sipas/scorecard.h"
#include "sipas/targets.h"
#include "sipas/trend.h"
#include "sipas/xlsx.h"

/* Options both commands take. */
#define REVIEW_OPTIONS \
    {"form", "ID", "the instrument (a folder under the surveys directory)", false}, \
    {"measure", "M", "overall (default), an element or a criterion", false}, \
    {"unit", "COLUMN", "units to rank (default: the stratum column, e.g. district)", false}, \
    {"wave", "YEAR", "the reviewed wave (default: the latest)", false}, \
    {"ci", "METHOD", "interval: logit (default), wilson, beta, mean, asin", false}, \
    {"level", "L", "confidence level (default 0.95)", false}, \
    {"lonely-psu", "RULE", "stratum with one PSU: fail (default), remove, certainty, adjust, average", false}, \
    {"lang", "LANG", "labels and numbers: vi (default) or en", false}, \
    WEIGHTING_OPTIONS, \
    INSTRUMENT_CHECK_OPTION, \
    CLI_OPTION_DB, \
    CLI_OPTION_SURVEYS, \
    CLI_OPTION_HELP

static const cli_option plot_options[] = {
    {"kind", "KIND", "trend, ranking, profile or heatmap", false},
    {"out", "FILE", "the chart: FILE.png, FILE.svg or FILE.pdf (required)", false},
    {"keep-script", "FILE", "also write the gnuplot script to FILE, to edit and redraw", false},
    {"width", "PX", "width in pixels (default: the kind's, 960)", false},
    {"height", "PX", "height in pixels (default: the kind's)", false},
    REVIEW_OPTIONS,
};
const cli_options analyze_plot_options = CLI_OPTION_TABLE(plot_options);

static const cli_option report_options[] = {
    {"out", "FILE", "the HTML report (required)", false},
    {"csv", "DIR", "also write every table as DIR/NAME.csv", false},
    {"xlsx", "FILE", "also write every table into one workbook FILE.xlsx", false},
    REVIEW_OPTIONS,
};
const cli_options analyze_report_options = CLI_OPTION_TABLE(report_options);

/* What both commands have open. */
typedef struct session {
    cli_args args;
    bool vi;
    sipas_store *store;
    sipas_instrument *inst;
    sipas_dataset *data;
    sipas_targets *targets;
    sipas_review *review;
    sipas_index_options index;
    analysis_weighting weighting;
    const char *unit_column;
    char unit_words[128];   /* the unit column's label for running text: "huyện/thành phố" */
    char *instrument_versions; /* analysis_check_instrument */
    char *instrument_warning;
} session;

#define T(s, vi_text, en_text) ((s)->vi ? (vi_text) : (en_text))

static void session_close(session *s)
{
    sipas_review_free(s->review);
    sipas_targets_free(s->targets);
    sipas_dataset_free(s->data);
    analysis_weighting_release(&s->weighting);
    sipas_store_close(s->store);
    sipas_instrument_free(s->inst);
    free(s->instrument_versions);
    free(s->instrument_warning);
    cli_args_free(&s->args);
}

/* Parses the options, loads instrument, data and targets and computes the review. Returns
 * CLI_EXIT_OK or the exit code after printing; *help when --help was printed. */
static int session_open(session *s, int argc, char **argv, const cli_option *options,
                        size_t noptions, const char *usage_line, const char *description,
                        bool *help)
{
    memset(s, 0, sizeof *s);
    s->vi = true;
    *help = false;
    if (!cli_parse(argc, argv, options, noptions, &s->args))
        return CLI_EXIT_USAGE;
    if (cli_flag(&s->args, "help")) {
        printf("usage: %s %s\n\n%s\n\n", cli_program, usage_line, description);
        cli_print_options(options, noptions);
        *help = true;
        return CLI_EXIT_OK;
    }
    const char *form = cli_value(&s->args, "form");
    if (form == NULL || cli_value(&s->args, "out") == NULL || s->args.npositional > 0) {
        cli_error("%s needs --form ID and --out FILE and takes no other arguments (see --help)",
                  usage_line);
        return CLI_EXIT_USAGE;
    }
    sipas_error err = {0};
    const char *v, *lang;
    int code;
    if ((code = analysis_parse_estimation(&s->args, &s->index, &lang)) != CLI_EXIT_OK)
        return code;
    s->vi = strcmp(lang, "vi") == 0;
    int64_t wave = 0;
    if ((v = cli_value(&s->args, "wave")) && !cli_int("--wave", v, 1990, 2100, &wave))
        return CLI_EXIT_USAGE;
    const char *surveys = cli_surveys_dir(&s->args);
    if (sipas_instrument_find(surveys, form, &s->inst, &err) != SIPAS_OK ||
        sipas_store_open(cli_db_path(&s->args), SIPAS_STORE_READ_ONLY, &s->store, &err) != SIPAS_OK ||
        sipas_dataset_load(s->store, s->inst, &s->data, &err) != SIPAS_OK)
        return cli_fail(&err);
    if ((code = analysis_check_instrument(&s->args, s->store, s->inst, &s->instrument_versions,
                                          &s->instrument_warning)) != CLI_EXIT_OK)
        return code;
    if ((code = analysis_weighting_load(&s->weighting, &s->args, s->store, s->inst->form_id,
                                        &s->index)) != CLI_EXIT_OK)
        return code;
    /* Targets are optional: without surveys/targets.csv the review has no verdicts. */
    if (sipas_targets_load_dir(surveys, &s->targets, &err) != SIPAS_OK) {
        if (err.status != SIPAS_ERR_NOT_FOUND)
            return cli_fail(&err);
        cli_warning("%s; the review has no target verdicts", err.message);
        s->targets = NULL;
    }
    sipas_review_options ro = {0};
    ro.measure = cli_value(&s->args, "measure");
    ro.unit_column = cli_value(&s->args, "unit");
    ro.wave = (double)wave;
    ro.index = s->index;
    ro.rank_adjust = SIPAS_ADJUST_HOLM;
    /* Units up or down since last year are counted with per-unit tests, as annual reports do;
     * the ranking against the province keeps Holm's adjustment. */
    ro.change_adjust = SIPAS_ADJUST_NONE;
    ro.targets = s->targets;
    if (sipas_review_compute(s->data, &ro, &s->review, &err) != SIPAS_OK)
        return cli_fail(&err);
    s->unit_column = s->review->unit_column;
    const sipas_item *item = sipas_instrument_item(s->inst, s->unit_column);
    const char *words = item ? (s->vi ? item->label_vi : item->label_en) : NULL;
    snprintf(s->unit_words, sizeof s->unit_words, "%s", words && *words ? words : s->unit_column);
    /* Mid-sentence: "by district", "theo huyện/thành phố" (only an ASCII capital is lowered). */
    if (s->unit_words[0] >= 'A' && s->unit_words[0] <= 'Z')
        s->unit_words[0] = (char)(s->unit_words[0] - 'A' + 'a');
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Words. */

static const char *measure_label(const session *s)
{
    const char *l = s->vi ? s->review->label_vi : s->review->label_en;
    return l && *l ? l : s->review->measure;
}

/* The measure's name in a chart title: the overall index by that name (the form's title is too
 * long for a chart), any other measure by its label cut to 60 characters. */
static const char *chart_measure(const session *s, char *buf, size_t size)
{
    if (s->review->measure_level == SIPAS_LEVEL_OVERALL)
        return T(s, "Chỉ số hài lòng chung", "Overall satisfaction index");
    const char *label = measure_label(s);
    size_t chars = 0, i = 0;
    for (; label[i] && i + 4 < size; i++) {
        if (((unsigned char)label[i] & 0xC0) != 0x80 && ++chars > 60)
            break;
        buf[i] = label[i];
    }
    buf[i] = '\0';
    if (label[i])
        snprintf(buf + i, size - i, "…");
    return buf;
}

static const char *unit_label(const session *s, const char *code)
{
    return sipas_index_domain_label(s->data, s->unit_column, code, s->vi ? "vi" : "en");
}

static const char *element_label(const session *s, const sipas_review_element *e)
{
    const char *l = s->vi ? e->label_vi : e->label_en;
    return l && *l ? l : e->name;
}

static const char *verdict_words(const session *s, sipas_verdict v)
{
    switch (v) {
    case SIPAS_VERDICT_MET: return T(s, "Đạt", "Met");
    case SIPAS_VERDICT_NOT_MET: return T(s, "Không đạt", "Not met");
    case SIPAS_VERDICT_NOT_DISTINGUISHABLE:
        return T(s, "Chưa phân định (khoảng tin cậy chứa ngưỡng)",
                 "Not distinguishable (the interval contains the threshold)");
    case SIPAS_VERDICT_ON_TRACK: return T(s, "Đúng hướng", "On track");
    case SIPAS_VERDICT_AT_RISK: return T(s, "Có nguy cơ không đạt", "At risk");
    case SIPAS_VERDICT_OFF_TRACK: return T(s, "Chệch hướng", "Off track");
    case SIPAS_VERDICT_INSUFFICIENT_DATA: return T(s, "Chưa đủ số liệu", "Insufficient data");
    case SIPAS_VERDICT_NOT_OBSERVED: return T(s, "Không có số liệu năm đó", "Year not observed");
    }
    return "";
}

static unsigned verdict_marks(sipas_verdict v)
{
    if (v == SIPAS_VERDICT_MET || v == SIPAS_VERDICT_ON_TRACK)
        return SIPAS_REPORT_GOOD;
    if (v == SIPAS_VERDICT_NOT_MET || v == SIPAS_VERDICT_OFF_TRACK)
        return SIPAS_REPORT_BAD;
    return 0;
}

static const char *trend_words(const session *s, sipas_trend_label l)
{
    return s->vi ? sipas_trend_label_name_vi(l) : sipas_trend_label_name(l);
}

/* Report marks of an estimate's NCHS flags. */
static unsigned flag_marks(unsigned flags)
{
    return ((flags & SIPAS_NCHS_SUPPRESS) ? SIPAS_REPORT_SUPPRESSED : 0) |
           ((flags & SIPAS_NCHS_FEW_DF) ? SIPAS_REPORT_REVIEW : 0);
}

/* "suppress: wide_ci, few_df" style list of an estimate's flags; "" when none. */
static const char *flag_words(unsigned flags, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t used = 0;
    for (unsigned bit = 1; bit <= SIPAS_NCHS_FEW_DF; bit <<= 1) {
        const char *name = (flags & bit) ? sipas_nchs_flag_name(bit) : NULL;
        if (name == NULL)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

static const char *pct(const session *s, double p, char *buf, size_t size)
{
    return sipas_report_format(SIPAS_REPORT_PERCENT, p, s->vi ? SIPAS_REPORT_VI : SIPAS_REPORT_EN,
                               buf, size);
}

static const char *points(const session *s, double d, char *buf, size_t size)
{
    return sipas_report_format(SIPAS_REPORT_POINTS, d, s->vi ? SIPAS_REPORT_VI : SIPAS_REPORT_EN,
                               buf, size);
}

/* A threshold as the charts label it: "90%" or "99,5%". */
static void threshold_text(const session *s, double threshold, char *buf, size_t size)
{
    snprintf(buf, size, "%g%%", 100.0 * threshold);
    if (s->vi)
        for (char *c = buf; *c; c++)
            if (*c == '.')
                *c = ',';
}

/* The target a ranking and a profile are judged against: the first target year at or after
 * the reviewed wave (the Resolution's 90% for 2025 when reviewing 2024), else the latest one.
 * NULL when the measure has no target. */
static const sipas_target_row *current_target(const session *s)
{
    const sipas_target_row *best = NULL, *latest = NULL;
    for (size_t i = 0; i < s->review->ntargets; i++) {
        const sipas_target_row *t = s->review->targets[i].target;
        if (!s->review->targets[i].survey)
            continue;
        if (latest == NULL || t->target.year > latest->target.year)
            latest = t;
        if (t->target.year >= s->review->wave && (best == NULL || t->target.year < best->target.year))
            best = t;
    }
    return best ? best : latest;
}

/* ---------------------------------------------------------------------------------------------
 * Charts from the review. Each function fills the plot module's structs and draws. */

typedef struct chart_text {
    char title[512];
    char label[8][96];
} chart_text;

static sipas_status draw_trend(const session *s, const sipas_plot_options *opt, sipas_error *err)
{
    const sipas_review *r = s->review;
    sipas_plot_wave *waves = calloc(r->nwaves ? r->nwaves : 1, sizeof *waves);
    sipas_plot_fit_point *fit = calloc(r->nband ? r->nband : 1, sizeof *fit);
    if (waves == NULL || fit == NULL) {
        free(waves);
        free(fit);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t nwaves = 0;
    for (size_t i = 0; i < r->nwaves; i++) {
        const sipas_review_point *p = &r->province[i];
        if (!p->estimable)
            continue;
        waves[nwaves++] = (sipas_plot_wave){p->value.year, p->value.estimate, p->ci_low, p->ci_high};
    }
    size_t nfit = 0;
    if (r->has_trend)
        for (size_t i = 0; i < r->nband; i++)
            fit[nfit++] = (sipas_plot_fit_point){r->band[i].year, r->band[i].estimate,
                                                 r->band[i].ci_low, r->band[i].ci_high};
    sipas_plot_series series = {T(s, "Toàn tỉnh", "Province"), waves, nwaves, nfit ? fit : NULL, nfit,
                                nfit > 0 && r->fit.projection_caution};
    sipas_plot_target targets[8];
    chart_text text;
    size_t ntargets = 0;
    for (size_t i = 0; i < r->ntargets && ntargets < 8; i++) {
        const sipas_target_row *t = r->targets[i].target;
        char th[32];
        threshold_text(s, t->target.threshold, th, sizeof th);
        snprintf(text.label[ntargets], sizeof text.label[ntargets], "%s%s (%.0f)",
                 t->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "", th, t->target.year);
        targets[ntargets] = (sipas_plot_target){t->target.threshold, t->target.year,
                                                text.label[ntargets]};
        ntargets++;
    }
    char note[256] = "";
    if (r->has_trend)
        sipas_review_projection_note(&r->fit, s->vi, note, sizeof note);
    sipas_plot_trend trend = {&series, 1, ntargets ? targets : NULL, ntargets, NAN, NAN, note};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        char m[256];
        snprintf(text.title, sizeof text.title, T(s, "%s: %s, toàn tỉnh %.0f–%.0f%s",
                                                 "%s: %s, province %.0f–%.0f%s"),
                 s->inst->form_id, chart_measure(s, m, sizeof m), nwaves ? waves[0].year : r->wave,
                 r->wave,
                 nfit ? T(s, ", xu hướng và dự báo", ", trend and projection") : "");
        o.title = text.title;
    }
    if (o.x_label == NULL)
        o.x_label = T(s, "Năm khảo sát", "Survey year");
    if (o.y_label == NULL)
        o.y_label = T(s, "Tỷ lệ hài lòng (%), khoảng tin cậy 95%", "Satisfied (%), 95% interval");
    if (r->level != 0.95 && o.y_label == T(s, "Tỷ lệ hài lòng (%), khoảng tin cậy 95%",
                                           "Satisfied (%), 95% interval"))
        o.y_label = T(s, "Tỷ lệ hài lòng (%)", "Satisfied (%)");
    sipas_status st = sipas_plot_trend_chart(&trend, &o, err);
    free(waves);
    free(fit);
    return st;
}

/* Units estimable in the reviewed wave, highest first. */
static size_t ranked_units(const sipas_review *r, size_t *order)
{
    size_t n = 0;
    for (size_t u = 0; u < r->nunits; u++)
        if (r->units[u].in_wave)
            order[n++] = u;
    for (size_t i = 1; i < n; i++) /* insertion sort: at most a few hundred units */
        for (size_t j = i; j > 0 && r->units[order[j]].current.value.estimate >
                                        r->units[order[j - 1]].current.value.estimate; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return n;
}

static sipas_status draw_ranking(const session *s, const sipas_plot_options *opt, sipas_error *err)
{
    const sipas_review *r = s->review;
    size_t *order = calloc(r->nunits ? r->nunits : 1, sizeof *order);
    sipas_plot_unit *units = calloc(r->nunits ? r->nunits : 1, sizeof *units);
    if (order == NULL || units == NULL) {
        free(order);
        free(units);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t n = ranked_units(r, order);
    double lowest = 1;
    /* a unit without design variance shows its estimate, no whisker, and says why not */
    char (*labels)[128] = calloc(n ? n : 1, sizeof *labels);
    if (labels == NULL) {
        free(order);
        free(units);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const sipas_review_unit *u = &r->units[order[i]];
        const char *label = unit_label(s, u->code);
        if (!u->current.variance_estimable) {
            snprintf(labels[i], sizeof labels[i], T(s, "%s (không ước lượng được)",
                                                    "%s (not estimable)"), label);
            label = labels[i];
        }
        units[i] = (sipas_plot_unit){label, u->current.value.estimate,
                                     u->current.ci_low, u->current.ci_high};
        double lo = isnan(u->current.ci_low) ? u->current.value.estimate : u->current.ci_low;
        if (lo < lowest)
            lowest = lo;
    }
    if (n == 0) {
        free(order);
        free(units);
        free(labels);
        return sipas_error_set(err, SIPAS_ERR_MATH, "no unit of '%s' has an estimate in wave %.0f",
                               s->unit_column, r->wave);
    }
    const sipas_target_row *target = current_target(s);
    chart_text text;
    char th[32], ref[32];
    if (target) {
        threshold_text(s, target->target.threshold, th, sizeof th);
        snprintf(text.label[0], sizeof text.label[0], T(s, "Mục tiêu %.0f: %s", "Target %.0f: %s"),
                 target->target.year, th);
    }
    snprintf(text.label[1], sizeof text.label[1], T(s, "Toàn tỉnh: %s", "Province: %s"),
             pct(s, r->province_current.value.estimate, ref, sizeof ref));
    /* Bars start at a round 10 points below the lowest interval: differences of a few points
     * between districts vanish on a 0-100 axis. The title says where the axis starts. */
    double x_min = floor(lowest * 10.0) / 10.0 - 0.1;
    if (x_min < 0)
        x_min = 0;
    char start[32];
    threshold_text(s, x_min, start, sizeof start);
    sipas_plot_ranking ranking = {units, n, target ? target->target.threshold : NAN,
                                  target ? text.label[0] : NULL,
                                  r->province_current.value.estimate, text.label[1],
                                  target ? T(s, "Dưới mục tiêu", "Below target") : NULL,
                                  x_min, true};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        char m[256];
        snprintf(text.title, sizeof text.title,
                 T(s, "%s theo %s, %.0f (trục từ %s)", "%s by %s, %.0f (axis from %s)"),
                 chart_measure(s, m, sizeof m), s->unit_words, r->wave, start);
        o.title = text.title;
    }
    if (o.x_label == NULL)
        o.x_label = T(s, "Tỷ lệ hài lòng (%), khoảng tin cậy 95%", "Satisfied (%), 95% interval");
    sipas_status st = sipas_plot_ranking_chart(&ranking, &o, err);
    free(order);
    free(units);
    free(labels);
    return st;
}

static sipas_status draw_profile(const session *s, const sipas_plot_options *opt, sipas_error *err)
{
    const sipas_review *r = s->review;
    size_t ne = r->nelements;
    if (ne == 0)
        return sipas_error_set(err, SIPAS_ERR_MATH, "form '%s' has no element to profile",
                               s->inst->form_id);
    sipas_plot_unit *current = calloc(ne, sizeof *current);
    sipas_plot_unit *previous = calloc(ne, sizeof *previous);
    if (current == NULL || previous == NULL) {
        free(current);
        free(previous);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    bool any_previous = false;
    for (size_t e = 0; e < ne; e++) {
        const sipas_review_element *el = &r->elements[e];
        const sipas_review_point *c = &el->current;
        current[e] = c->estimable
            ? (sipas_plot_unit){element_label(s, el), c->value.estimate, c->ci_low, c->ci_high}
            : (sipas_plot_unit){element_label(s, el), NAN, NAN, NAN};
        const sipas_review_point *p = &el->previous;
        previous[e] = el->has_previous
            ? (sipas_plot_unit){NULL, p->value.estimate, p->ci_low, p->ci_high}
            : (sipas_plot_unit){NULL, NAN, NAN, NAN};
        any_previous |= el->has_previous;
    }
    const sipas_target_row *target = current_target(s);
    chart_text text;
    char th[32];
    if (target) {
        threshold_text(s, target->target.threshold, th, sizeof th);
        snprintf(text.label[0], sizeof text.label[0], T(s, "Mục tiêu %.0f: %s", "Target %.0f: %s"),
                 target->target.year, th);
    }
    snprintf(text.label[1], sizeof text.label[1], "%.0f", r->wave);
    snprintf(text.label[2], sizeof text.label[2], "%.0f", r->previous_wave);
    sipas_plot_profile profile = {current, any_previous ? previous : NULL, ne, text.label[1],
                                  any_previous ? text.label[2] : NULL,
                                  target ? target->target.threshold : NAN,
                                  target ? text.label[0] : NULL, NAN, NAN};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        if (any_previous)
            snprintf(text.title, sizeof text.title,
                     T(s, "%s: các yếu tố, toàn tỉnh, %.0f so với %.0f",
                       "%s: elements, province, %.0f against %.0f"),
                     s->inst->form_id, r->wave, r->previous_wave);
        else
            snprintf(text.title, sizeof text.title, T(s, "%s: các yếu tố, toàn tỉnh, %.0f",
                                                      "%s: elements, province, %.0f"),
                     s->inst->form_id, r->wave);
        o.title = text.title;
    }
    if (o.x_label == NULL)
        o.x_label = T(s, "Tỷ lệ hài lòng (%), khoảng tin cậy 95%", "Satisfied (%), 95% interval");
    sipas_status st = sipas_plot_profile_chart(&profile, &o, err);
    free(current);
    free(previous);
    return st;
}

static sipas_status draw_heatmap(const session *s, const sipas_plot_options *opt, sipas_error *err)
{
    const sipas_review *r = s->review;
    size_t ne = r->nelements;
    size_t *order = calloc(r->nunits ? r->nunits : 1, sizeof *order);
    const char **rows = calloc(r->nunits ? r->nunits : 1, sizeof *rows);
    const char **columns = calloc(ne ? ne : 1, sizeof *columns);
    double *values = calloc((r->nunits ? r->nunits : 1) * (ne ? ne : 1), sizeof *values);
    sipas_status st = SIPAS_OK;
    if (order == NULL || rows == NULL || columns == NULL || values == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    size_t n = ranked_units(r, order);
    if (n == 0 || ne == 0) {
        st = sipas_error_set(err, SIPAS_ERR_MATH, "no unit of '%s' has element estimates in "
                             "wave %.0f", s->unit_column, r->wave);
        goto cleanup;
    }
    for (size_t e = 0; e < ne; e++)
        columns[e] = element_label(s, &r->elements[e]);
    for (size_t i = 0; i < n; i++) {
        size_t u = order[i];
        rows[i] = unit_label(s, r->units[u].code);
        for (size_t e = 0; e < ne; e++) {
            const sipas_review_point *p = &r->matrix[u * ne + e];
            values[i * ne + e] = p->estimable ? p->value.estimate : NAN;
        }
    }
    chart_text text;
    sipas_plot_heatmap heat = {rows, n, columns, ne, values, NAN, NAN,
                               T(s, "Hài lòng (%)", "Satisfied (%)")};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        snprintf(text.title, sizeof text.title, T(s, "%s: các yếu tố theo %s, năm %.0f",
                                                  "%s: elements by %s, %.0f"),
                 s->inst->form_id, s->unit_words, r->wave);
        o.title = text.title;
    }
    st = sipas_plot_heatmap_chart(&heat, &o, err);
cleanup:
    free(order);
    free(rows);
    free(columns);
    free(values);
    return st;
}

typedef enum { CHART_TREND = 0, CHART_RANKING, CHART_PROFILE, CHART_HEATMAP } chart_kind;

static sipas_status draw(const session *s, chart_kind kind, const sipas_plot_options *opt,
                         sipas_error *err)
{
    switch (kind) {
    case CHART_TREND: return draw_trend(s, opt, err);
    case CHART_RANKING: return draw_ranking(s, opt, err);
    case CHART_PROFILE: return draw_profile(s, opt, err);
    case CHART_HEATMAP: return draw_heatmap(s, opt, err);
    }
    return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown chart kind");
}

int analyze_plot(int argc, char **argv)
{
    session s;
    bool help;
    int code = session_open(&s, argc, argv, plot_options, sizeof plot_options / sizeof plot_options[0],
                            "plot --form ID --kind trend|ranking|profile|heatmap --out FILE "
                            "[options]",
                            "Draws one chart of the annual review through gnuplot: the province "
                            "trend with its fitted\nline, projection band and targets; the units "
                            "ranked against the target; the elements this\nwave against the last; "
                            "or units by elements as a heat map. The format follows the\nextension "
                            "of --out (.png, .svg, .pdf). Without gnuplot the exit code is 1. See "
                            "docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        session_close(&s);
        return code;
    }
    static const char *const kinds[] = {"trend", "ranking", "profile", "heatmap"};
    const char *v = cli_value(&s.args, "kind");
    int kind = 0;
    if (v == NULL) {
        cli_error("plot needs --kind trend, ranking, profile or heatmap");
        session_close(&s);
        return CLI_EXIT_USAGE;
    }
    if ((code = analysis_parse_choice("--kind", v, kinds, 4, &kind))) {
        session_close(&s);
        return code;
    }
    sipas_plot_options opt = {0};
    opt.output_path = cli_value(&s.args, "out");
    opt.keep_script = cli_value(&s.args, "keep-script");
    opt.decimal_comma = s.vi;
    int64_t px;
    if ((v = cli_value(&s.args, "width"))) {
        if (!cli_int("--width", v, 100, 10000, &px)) {
            session_close(&s);
            return CLI_EXIT_USAGE;
        }
        opt.width = (int)px;
    }
    if ((v = cli_value(&s.args, "height"))) {
        if (!cli_int("--height", v, 100, 10000, &px)) {
            session_close(&s);
            return CLI_EXIT_USAGE;
        }
        opt.height = (int)px;
    }
    if (sipas_plot_format_from_path(opt.output_path) == SIPAS_PLOT_FORMAT_AUTO) {
        cli_error("--out '%s': the chart file must end in .png, .svg or .pdf", opt.output_path);
        session_close(&s);
        return CLI_EXIT_USAGE;
    }
    sipas_error err = {0};
    if (draw(&s, (chart_kind)kind, &opt, &err) != SIPAS_OK)
        code = cli_fail(&err);
    session_close(&s);
    return code;
}

/* ---------------------------------------------------------------------------------------------
 * The report. */

/* Charts drawn as SVG into a private temporary directory, read back, then removed. */
typedef struct chart_dir {
    char path[512];
    bool made;
} chart_dir;

static sipas_status add_chart(const session *s, sipas_report *report, chart_dir *dir,
                              chart_kind kind, const char *caption, sipas_error *err)
{
    static const char *const names[] = {"trend.svg", "ranking.svg", "profile.svg", "heatmap.svg"};
    char file[640];
    snprintf(file, sizeof file, "%s/%s", dir->path, names[kind]);
    sipas_plot_options opt = {0};
    opt.output_path = file;
    opt.format = SIPAS_PLOT_SVG;
    opt.decimal_comma = s->vi;
    sipas_status st = draw(s, kind, &opt, err);
    if (st != SIPAS_OK)
        return st;
    sipas_report_chart_file(report, file, caption);
    if (unlink(file) != 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot remove '%s': %s", file, strerror(errno));
    return sipas_report_status(report, err);
}

static sipas_report_lang report_lang(const session *s)
{
    return s->vi ? SIPAS_REPORT_VI : SIPAS_REPORT_EN;
}

static void section_summary(const session *s, sipas_report *rep)
{
    const sipas_review *r = s->review;
    const sipas_review_point *now = &r->province[r->wave_index];
    char a[32], b[32], c[32], detail[512], figure[64], label[512];
    sipas_report_heading(rep, 1, "summary", T(s, "Tóm tắt", "Summary"));
    snprintf(figure, sizeof figure, "%s", pct(s, now->value.estimate, a, sizeof a));
    snprintf(label, sizeof label, T(s, "%s, toàn tỉnh, năm %.0f", "%s, province, %.0f"),
             measure_label(s), r->wave);
    int used = now->variance_estimable
        ? snprintf(detail, sizeof detail,
                   T(s, "Khoảng tin cậy %g%%: %s – %s; %zu phiếu trả lời",
                     "%g%% confidence interval: %s – %s; %zu respondents"),
                   100 * r->level, pct(s, now->ci_low, a, sizeof a),
                   pct(s, now->ci_high, b, sizeof b), now->respondents)
        : snprintf(detail, sizeof detail, T(s, "Không ước lượng được khoảng tin cậy: %s; %zu phiếu "
                                               "trả lời", "Not estimable: %s; %zu respondents"),
                   sipas_review_point_reason(now, s->vi), now->respondents);
    if (r->has_previous && used > 0 && (size_t)used < sizeof detail)
        snprintf(detail + used, sizeof detail - (size_t)used,
                 T(s, "; so với năm %.0f: %s điểm phần trăm", "; against %.0f: %s percentage points"),
                 r->previous_wave, points(s, r->change.difference, c, sizeof c));
    sipas_report_headline(rep, figure, label, detail);
    if (now->flags & SIPAS_NCHS_SUPPRESS)
        sipas_report_note(rep, T(s, "Lưu ý: chỉ số này không đạt chuẩn độ tin cậy để công bố "
                                    "(chuẩn NCHS 2017, xem phụ lục).",
                                 "Caution: this estimate does not meet the NCHS 2017 reliability "
                                 "standard for publication (see the appendix)."));
    char text[1024];
    if (r->ranked > 0) {
        int n = snprintf(text, sizeof text,
                 T(s, "Trong %zu đơn vị (%s) có số liệu năm %.0f: %zu cao hơn và %zu thấp hơn "
                      "toàn tỉnh có ý nghĩa thống kê (kiểm định Holm); so với năm trước, %zu "
                      "đơn vị tăng, %zu giảm (tăng có ý nghĩa: %zu, giảm có ý nghĩa: %zu).",
                   "Of %zu units (%s) with data in %.0f, %zu are significantly above and %zu "
                   "below the province (Holm-adjusted tests); against last year %zu rose and %zu "
                   "fell (significantly: %zu up, %zu down)."),
                 r->ranked, s->unit_words, r->wave, r->significantly_above,
                 r->significantly_below, r->unit_changes.up, r->unit_changes.down,
                 r->unit_changes.significant_up, r->unit_changes.significant_down);
        /* units without design variance are in no count: say how many were left out */
        if ((r->untested > 0 || r->unit_changes.not_estimable > 0) && n > 0 &&
            (size_t)n < sizeof text)
            snprintf(text + n, sizeof text - (size_t)n,
                     T(s, " Không tính %zu đơn vị không ước lượng được phương sai năm %.0f và %zu "
                          "đơn vị không ước lượng được thay đổi so với năm trước.",
                       " Left out: %zu units without design variance in %.0f and %zu whose change "
                       "since last year is not estimable."),
                     r->untested, r->wave, r->unit_changes.not_estimable);
        sipas_report_paragraph(rep, text);
    }
}

static void section_targets(const session *s, sipas_report *rep)
{
    const sipas_review *r = s->review;
    sipas_report_heading(rep, 1, "targets", T(s, "Mục tiêu", "Targets"));
    if (r->ntargets == 0) {
        sipas_report_paragraph(rep, T(s, "Chỉ tiêu này không có mục tiêu trong targets.csv.",
                                      "This measure has no target in targets.csv."));
        return;
    }
    sipas_report_paragraph(rep, T(s,
        "Quy tắc: với năm đã khảo sát, mục tiêu \"đạt\" khi cả khoảng tin cậy nằm từ ngưỡng trở "
        "lên, \"không đạt\" khi cả khoảng nằm dưới ngưỡng, còn lại là \"chưa phân định\". Với năm "
        "tương lai, đường xu hướng (hồi quy có trọng số trên thang logit, cần ít nhất 3 đợt) được "
        "kéo dài đến năm mục tiêu: \"đúng hướng\" khi cả khoảng dự báo đạt ngưỡng, \"chệch "
        "hướng\" khi cả khoảng dưới ngưỡng, \"có nguy cơ\" khi khoảng chứa ngưỡng. Khi không có "
        "sai số chuẩn (số liệu hành chính), so sánh giá trị điểm.",
        "Rule: for a surveyed year the target is \"met\" when the whole confidence interval is at "
        "or above the threshold, \"not met\" when the whole interval is below it, and \"not "
        "distinguishable\" otherwise. For a future year the trend line (weighted least squares "
        "on the logit scale, at least 3 waves) is extended to the target year: \"on track\" when "
        "the whole projection interval meets the threshold, \"off track\" when it is entirely "
        "below, \"at risk\" when it contains the threshold. Without standard errors "
        "(administrative figures) point values are compared."));
    static const sipas_report_column vi_cols[] = {
        {"Chỉ tiêu", SIPAS_REPORT_TEXT}, {"Năm mục tiêu", SIPAS_REPORT_YEAR},
        {"Ngưỡng (%)", SIPAS_REPORT_PERCENT}, {"So sánh", SIPAS_REPORT_TEXT},
        {"Căn cứ", SIPAS_REPORT_TEXT}, {"Giá trị (%)", SIPAS_REPORT_PERCENT},
        {"Cận dưới (%)", SIPAS_REPORT_PERCENT}, {"Cận trên (%)", SIPAS_REPORT_PERCENT},
        {"Kết luận", SIPAS_REPORT_TEXT}, {"Năm đạt ngưỡng theo xu hướng", SIPAS_REPORT_YEAR},
        {"Nguồn", SIPAS_REPORT_TEXT}};
    static const sipas_report_column en_cols[] = {
        {"Indicator", SIPAS_REPORT_TEXT}, {"Target year", SIPAS_REPORT_YEAR},
        {"Threshold (%)", SIPAS_REPORT_PERCENT}, {"Comparison", SIPAS_REPORT_TEXT},
        {"Basis", SIPAS_REPORT_TEXT}, {"Value (%)", SIPAS_REPORT_PERCENT},
        {"Lower (%)", SIPAS_REPORT_PERCENT}, {"Upper (%)", SIPAS_REPORT_PERCENT},
        {"Verdict", SIPAS_REPORT_TEXT}, {"Year the trend reaches it", SIPAS_REPORT_YEAR},
        {"Source", SIPAS_REPORT_TEXT}};
    sipas_report_table *t = sipas_report_table_add(
        rep, "targets", T(s, "Mục tiêu", "Targets"),
        T(s, "Đánh giá mục tiêu", "Target verdicts"), s->vi ? vi_cols : en_cols, 11,
        T(s, "Căn cứ \"quan sát\": số liệu của năm mục tiêu; \"dự báo\": đường xu hướng kéo dài.",
          "Basis \"observed\": the target year's data; \"projected\": the extended trend line."));
    for (size_t i = 0; i < r->ntargets; i++) {
        const sipas_review_target *rt = &r->targets[i];
        const sipas_target_row *row = rt->target;
        const sipas_target_verdict *v = &rt->verdict;
        sipas_report_row(t, 0);
        sipas_report_text(t, row->indicator);
        sipas_report_value(t, row->target.year, 0);
        sipas_report_value(t, row->target.threshold, 0);
        sipas_report_text(t, row->target.comparison == SIPAS_TARGET_ABOVE ? ">" : ">=");
        sipas_report_text(t, v->projected ? (v->fit.projection_caution
                                                 ? T(s, "dự báo không chắc chắn",
                                                     "uncertain projection")
                                                 : T(s, "dự báo", "projected"))
                                          : v->basis == SIPAS_BASIS_POINT
                                                ? T(s, "giá trị điểm", "point value")
                                                : T(s, "quan sát", "observed"));
        sipas_report_value(t, v->estimate, verdict_marks(v->verdict));
        sipas_report_value(t, v->ci_low, 0);
        sipas_report_value(t, v->ci_high, 0);
        sipas_report_text(t, verdict_words(s, v->verdict));
        sipas_report_value(t, rt->crossing.year, 0);
        sipas_report_text(t, row->source);
    }
}

/* The year-on-year change table: overall measure, then each element. */
static void change_row(const session *s, sipas_report_table *t, const char *label,
                       const sipas_review_point *prev, const sipas_review_point *now,
                       bool has_previous, const sipas_change *ch, unsigned row_marks)
{
    sipas_report_row(t, row_marks);
    sipas_report_text(t, label);
    sipas_report_value(t, has_previous ? prev->value.estimate : NAN,
                       has_previous ? flag_marks(prev->flags) : 0);
    sipas_report_value(t, now->estimable ? now->value.estimate : NAN, flag_marks(now->flags));
    double lo = has_previous && ch->has_se ? ch->ci_low : NAN;
    double hi = has_previous && ch->has_se ? ch->ci_high : NAN;
    unsigned mark = 0;
    if (!isnan(lo) && lo > 0)
        mark = SIPAS_REPORT_GOOD;
    else if (!isnan(hi) && hi < 0)
        mark = SIPAS_REPORT_BAD;
    sipas_report_value(t, has_previous ? ch->difference : NAN, mark);
    sipas_report_value(t, lo, 0);
    sipas_report_value(t, hi, 0);
    sipas_report_value(t, has_previous && ch->has_se ? ch->p_value : NAN, 0);
    const char *reason = has_previous ? sipas_review_untested_reason(ch, prev, now, s->vi) : NULL;
    char words[256];
    if (reason != NULL)
        sipas_review_not_estimable(reason, s->vi, words, sizeof words);
    sipas_report_text(t, !has_previous ? "" : reason != NULL ? words
                         : mark == SIPAS_REPORT_GOOD ? T(s, "tăng", "up")
                         : mark == SIPAS_REPORT_BAD ? T(s, "giảm", "down")
                         : T(s, "không khác biệt", "no difference"));
}

static void section_change(const session *s, sipas_report *rep)
{
    const sipas_review *r = s->review;
    sipas_report_heading(rep, 1, "change", T(s, "Thay đổi so với năm trước", "Change since last year"));
    if (!r->has_previous) {
        sipas_report_paragraph(rep, T(s, "Năm được đánh giá là đợt khảo sát đầu tiên: chưa có năm "
                                         "trước để so sánh.",
                                      "The reviewed wave is the first: there is no earlier year "
                                      "to compare with."));
        return;
    }
    char text[512];
    snprintf(text, sizeof text,
             T(s, "Thay đổi tính bằng điểm phần trăm, năm %.0f trừ năm %.0f. Hai đợt là hai mẫu "
                  "độc lập: phương sai của hiệu bằng tổng hai phương sai, bậc tự do bằng tổng hai "
                  "bậc tự do. Màu xanh/đỏ: khoảng tin cậy của thay đổi không chứa 0.",
               "Changes in percentage points, %.0f minus %.0f. The two waves are independent "
               "samples: the variance of the difference is the sum of the two variances, its "
               "degrees of freedom the sum of theirs. Green/red: the change's interval excludes "
               "0."),
             r->wave, r->previous_wave);
    sipas_report_paragraph(rep, text);
    char prev_h[64], now_h[64];
    snprintf(prev_h, sizeof prev_h, "%.0f (%%)", r->previous_wave);
    snprintf(now_h, sizeof now_h, "%.0f (%%)", r->wave);
    sipas_report_column cols[] = {
        {T(s, "Chỉ tiêu", "Measure"), SIPAS_REPORT_TEXT}, {prev_h, SIPAS_REPORT_PERCENT},
        {now_h, SIPAS_REPORT_PERCENT},
        {T(s, "Thay đổi (điểm %)", "Change (points)"), SIPAS_REPORT_POINTS},
        {T(s, "Cận dưới (điểm %)", "Lower (points)"), SIPAS_REPORT_POINTS},
        {T(s, "Cận trên (điểm %)", "Upper (points)"), SIPAS_REPORT_POINTS},
        {T(s, "Giá trị p", "p-value"), SIPAS_REPORT_P_VALUE},
        {T(s, "Đánh giá", "Reading"), SIPAS_REPORT_TEXT}};
    sipas_report_table *t = sipas_report_table_add(
        rep, "change", T(s, "Thay đổi", "Change"),
        T(s, "Thay đổi so với năm trước: chỉ số chung và các yếu tố",
          "Change since last year: the measure and its elements"),
        cols, sizeof cols / sizeof cols[0], NULL);
    change_row(s, t, measure_label(s), &r->province[r->wave_index - 1], &r->province[r->wave_index],
               r->has_previous, &r->change, SIPAS_REPORT_STRONG);
    for (size_t e = 0; e < r->nelements; e++) {
        const sipas_review_element *el = &r->elements[e];
        change_row(s, t, element_label(s, el), &el->previous, &el->current, el->has_previous,
                   &el->change, 0);
    }
}

static void section_trend(const session *s, sipas_report *rep, chart_dir *dir, sipas_error *err,
                          sipas_status *st)
{
    const sipas_review *r = s->review;
    char a[32], b[32], c[32], d[32], text[1024];
    sipas_report_heading(rep, 1, "trend", T(s, "Xu hướng", "Trend"));
    if (*st == SIPAS_OK)
        *st = add_chart(s, rep, dir, CHART_TREND,
                        T(s, "Các đợt khảo sát với khoảng tin cậy, đường xu hướng (nét liền), dự báo "
                             "và dải tin cậy (nét đứt; chấm chấm khi dự báo không chắc chắn: dưới "
                             "5 đợt hoặc số liệu lệch khỏi đường thẳng), các mục tiêu (đường đỏ "
                             "nét đứt).",
                          "Waves with their confidence intervals, the fitted trend (solid), its "
                          "projection and band (dashed; dotted when the projection is uncertain: "
                          "fewer than 5 waves or waves off the line), the targets (dashed red)."),
                        err);
    if (r->has_trend) {
        snprintf(text, sizeof text,
                 T(s, "Đường xu hướng qua %zu đợt: thay đổi %s điểm phần trăm mỗi năm tại năm %.0f "
                      "(khoảng tin cậy %s đến %s), giá trị p của độ dốc %s.",
                   "Trend over %zu waves: %s percentage points a year at %.0f (interval %s to %s), "
                   "p-value of the slope %s."),
                 r->fit.nwaves, points(s, r->fit.slope_per_year, a, sizeof a), r->fit.latest_year,
                 points(s, r->fit.slope_per_year_ci_low, b, sizeof b),
                 points(s, r->fit.slope_per_year_ci_high, c, sizeof c),
                 sipas_report_format(SIPAS_REPORT_P_VALUE, r->fit.p_value, report_lang(s), d,
                                     sizeof d));
        sipas_report_paragraph(rep, text);
        if (!isnan(r->fit.lack_of_fit_p)) {
            snprintf(text, sizeof text,
                     T(s, "Độ lệch khỏi đường thẳng: khi bình phương %s với %zu bậc tự do, giá trị "
                          "p %s%s.",
                       "Deviation from the line: chi-square %s on %zu degrees of freedom, p-value "
                       "%s%s."),
                     sipas_report_format(SIPAS_REPORT_DECIMAL, r->fit.chisq, report_lang(s), a,
                                         sizeof a),
                     r->fit.nwaves - 2,
                     sipas_report_format(SIPAS_REPORT_P_VALUE, r->fit.lack_of_fit_p,
                                         report_lang(s), b, sizeof b),
                     r->fit.lack_of_fit ? T(s, ": các đợt lệch khỏi đường xu hướng nhiều hơn sai "
                                               "số mẫu cho phép, nên đọc xu hướng thận trọng",
                                            ": the waves scatter around the line more than their "
                                            "sampling errors allow; read the trend with care")
                                        : "");
            sipas_report_paragraph(rep, text);
        }
        char note[512];
        if (*sipas_review_fit_note(&r->fit, s->vi, note, sizeof note)) {
            snprintf(text, sizeof text, T(s, "Lưu ý về phương sai: %s (xem phụ lục).",
                                          "Variance note: %s (see the appendix)."), note);
            sipas_report_note(rep, text);
        }
        if (*sipas_review_projection_note(&r->fit, s->vi, note, sizeof note))
            sipas_report_note(rep, note);
    }
    sipas_report_column cols[] = {
        {T(s, "Năm", "Year"), SIPAS_REPORT_YEAR}, {T(s, "Số phiếu", "Respondents"), SIPAS_REPORT_COUNT},
        {T(s, "Chỉ số (%)", "Index (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận dưới (%)", "Lower (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận trên (%)", "Upper (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Sai số chuẩn (điểm %)", "SE (points)"), SIPAS_REPORT_DECIMAL},
        {T(s, "Loại", "Kind"), SIPAS_REPORT_TEXT}, {T(s, "Ghi chú", "Note"), SIPAS_REPORT_TEXT}};
    char note[512] = "";
    if (r->has_trend)
        sipas_review_projection_note(&r->fit, s->vi, note, sizeof note);
    sipas_report_table *t = sipas_report_table_add(
        rep, "series", T(s, "Chuỗi năm", "Series"),
        T(s, "Chỉ số toàn tỉnh theo năm và dự báo theo xu hướng",
          "Province index by year and trend projections"),
        cols, sizeof cols / sizeof cols[0], NULL);
    for (size_t i = 0; i < r->nwaves; i++) {
        const sipas_review_point *p = &r->province[i];
        unsigned m = flag_marks(p->flags);
        sipas_report_row(t, i == r->wave_index ? SIPAS_REPORT_STRONG : 0);
        sipas_report_value(t, p->value.year, 0);
        sipas_report_value(t, (double)p->respondents, 0);
        sipas_report_value(t, p->estimable ? p->value.estimate : NAN, m);
        sipas_report_value(t, p->ci_low, 0);
        sipas_report_value(t, p->ci_high, 0);
        sipas_report_value(t, 100.0 * p->se, 0); /* a standard error has no sign */
        sipas_report_text(t, T(s, "quan sát", "observed"));
        char reason[256] = "";
        if (p->estimable && !p->variance_estimable)
            sipas_review_not_estimable(sipas_review_point_reason(p, s->vi), s->vi, reason,
                                       sizeof reason);
        sipas_report_text(t, reason);
    }
    for (size_t i = 0; i < r->nprojections; i++) {
        const sipas_projection *p = &r->projections[i];
        if (p->year <= r->province[r->nwaves - 1].value.year)
            continue;
        sipas_report_row(t, 0);
        sipas_report_value(t, p->year, 0);
        sipas_report_value(t, NAN, 0);
        sipas_report_value(t, p->estimate, 0);
        sipas_report_value(t, p->ci_low, 0);
        sipas_report_value(t, p->ci_high, 0);
        sipas_report_value(t, NAN, 0);
        sipas_report_text(t, T(s, "dự báo", "projected"));
        sipas_report_text(t, note);
    }
}

static void section_units(const session *s, sipas_report *rep, chart_dir *dir, sipas_error *err,
                          sipas_status *st)
{
    const sipas_review *r = s->review;
    sipas_report_heading(rep, 1, "ranking", T(s, "Xếp hạng đơn vị", "Ranking of units"));
    if (*st == SIPAS_OK && r->ranked > 0)
        *st = add_chart(s, rep, dir, CHART_RANKING,
                        T(s, "Đơn vị xếp theo chỉ số với khoảng tin cậy; thanh màu cam: dưới mục "
                             "tiêu; đường đậm: toàn tỉnh.",
                          "Units by their index with intervals; orange bars: below the target; "
                          "solid line: the province."), err);
    size_t *order = calloc(r->nunits ? r->nunits : 1, sizeof *order);
    if (order == NULL) {
        if (*st == SIPAS_OK)
            *st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        return;
    }
    size_t n = ranked_units(r, order);
    sipas_report_column cols[] = {
        {T(s, "Hạng", "Rank"), SIPAS_REPORT_COUNT}, {T(s, "Đơn vị", "Unit"), SIPAS_REPORT_TEXT},
        {T(s, "Số phiếu", "n"), SIPAS_REPORT_COUNT},
        {T(s, "Chỉ số (%)", "Index (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận dưới (%)", "Lower (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận trên (%)", "Upper (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "So với tỉnh (điểm %)", "vs province (points)"), SIPAS_REPORT_POINTS},
        {T(s, "p hiệu chỉnh Holm", "Holm-adjusted p"), SIPAS_REPORT_P_VALUE},
        {T(s, "So với tỉnh", "Against the province"), SIPAS_REPORT_TEXT},
        {T(s, "Thay đổi 1 năm (điểm %)", "1-year change (points)"), SIPAS_REPORT_POINTS},
        {T(s, "Xu hướng", "Trend"), SIPAS_REPORT_TEXT}};
    sipas_report_table *t = sipas_report_table_add(
        rep, "ranking", T(s, "Xếp hạng", "Ranking"),
        T(s, "Xếp hạng đơn vị và so sánh với toàn tỉnh", "Units ranked and compared with the province"),
        cols, sizeof cols / sizeof cols[0],
        T(s, "So với tỉnh: hiệu của đơn vị trừ toàn tỉnh cùng năm, có tính hiệp phương sai vì "
             "đơn vị nằm trong tỉnh; giá trị p hiệu chỉnh Holm cho nhiều so sánh.",
          "Against the province: unit minus province in the same wave, with their covariance "
          "since the unit is part of the province; p-values Holm-adjusted for many comparisons."));
    sipas_report_row(t, SIPAS_REPORT_STRONG);
    sipas_report_value(t, NAN, 0);
    sipas_report_text(t, T(s, "Toàn tỉnh", "Province"));
    sipas_report_value(t, (double)r->province_current.respondents, 0);
    sipas_report_value(t, r->province_current.value.estimate, flag_marks(r->province_current.flags));
    sipas_report_value(t, r->province_current.ci_low, 0);
    sipas_report_value(t, r->province_current.ci_high, 0);
    sipas_report_value(t, NAN, 0); /* vs province, adjusted p: not for the province itself */
    sipas_report_value(t, NAN, 0);
    sipas_report_text(t, "");
    sipas_report_value(t, r->has_previous ? r->change.difference : NAN, 0);
    sipas_report_text(t, "");
    for (size_t i = 0; i < n; i++) {
        const sipas_review_unit *u = &r->units[order[i]];
        const sipas_unit_comparison *cmp = &u->comparison;
        sipas_report_row(t, 0);
        sipas_report_value(t, (double)cmp->rank, 0);
        sipas_report_text(t, unit_label(s, u->code));
        sipas_report_value(t, (double)u->current.respondents, 0);
        sipas_report_value(t, u->current.value.estimate, flag_marks(u->current.flags));
        sipas_report_value(t, u->current.ci_low, 0);
        sipas_report_value(t, u->current.ci_high, 0);
        unsigned m = cmp->flag == SIPAS_UNIT_ABOVE ? SIPAS_REPORT_GOOD
                   : cmp->flag == SIPAS_UNIT_BELOW ? SIPAS_REPORT_BAD : 0;
        sipas_report_value(t, cmp->vs_province.difference, m);
        sipas_report_value(t, cmp->p_adjusted, 0);
        const char *reason = sipas_review_unit_reason(r, u, s->vi);
        char words[256];
        if (reason != NULL)
            sipas_review_not_estimable(reason, s->vi, words, sizeof words);
        sipas_report_text(t, reason != NULL ? words
                             : cmp->flag == SIPAS_UNIT_ABOVE ? T(s, "cao hơn", "above")
                             : cmp->flag == SIPAS_UNIT_BELOW ? T(s, "thấp hơn", "below")
                             : T(s, "không khác biệt", "not different"));
        unsigned cm = 0;
        if (u->has_previous && u->change.has_se && u->change.ci_low > 0)
            cm = SIPAS_REPORT_GOOD;
        else if (u->has_previous && u->change.has_se && u->change.ci_high < 0)
            cm = SIPAS_REPORT_BAD;
        sipas_report_value(t, u->has_previous ? u->change.difference : NAN, cm);
        char trend[512], note[400];
        if (u->has_fit && *sipas_review_fit_note(&u->fit, s->vi, note, sizeof note))
            snprintf(trend, sizeof trend, "%s (%s)", trend_words(s, u->trend_label), note);
        else
            snprintf(trend, sizeof trend, "%s", trend_words(s, u->trend_label));
        sipas_report_text(t, trend);
    }
    free(order);
}

static void section_elements(const session *s, sipas_report *rep, chart_dir *dir,
                             sipas_error *err, sipas_status *st)
{
    const sipas_review *r = s->review;
    if (r->nelements == 0)
        return;
    sipas_report_heading(rep, 1, "elements", T(s, "Các yếu tố", "Elements"));
    if (*st == SIPAS_OK)
        *st = add_chart(s, rep, dir, CHART_PROFILE,
                        T(s, "Mỗi yếu tố năm nay (chấm đặc) so với năm trước (chấm rỗng), với "
                             "khoảng tin cậy.",
                          "Each element this year (filled) against last year (open), with "
                          "intervals."), err);
    if (*st == SIPAS_OK && r->ranked > 0)
        *st = add_chart(s, rep, dir, CHART_HEATMAP,
                        T(s, "Đơn vị × yếu tố: màu từ đỏ (thấp) đến xanh (cao).",
                          "Units by elements: colour from red (low) to green (high)."), err);
    sipas_report_column cols[1 + 32];
    size_t ne = r->nelements > 30 ? 30 : r->nelements;
    cols[0] = (sipas_report_column){T(s, "Đơn vị", "Unit"), SIPAS_REPORT_TEXT};
    for (size_t e = 0; e < ne; e++)
        cols[1 + e] = (sipas_report_column){element_label(s, &r->elements[e]), SIPAS_REPORT_PERCENT};
    char caption[256];
    snprintf(caption, sizeof caption, T(s, "Chỉ số các yếu tố theo đơn vị, năm %.0f (%%)",
                                        "Element indices by unit, %.0f (%%)"), r->wave);
    sipas_report_table *t = sipas_report_table_add(rep, "elements", T(s, "Yếu tố", "Elements"),
                                                   caption, cols, 1 + ne, NULL);
    sipas_report_row(t, SIPAS_REPORT_STRONG);
    sipas_report_text(t, T(s, "Toàn tỉnh", "Province"));
    for (size_t e = 0; e < ne; e++) {
        const sipas_review_point *p = &r->elements[e].current;
        sipas_report_value(t, p->estimable ? p->value.estimate : NAN, flag_marks(p->flags));
    }
    for (size_t u = 0; u < r->nunits; u++) {
        sipas_report_row(t, 0);
        sipas_report_text(t, unit_label(s, r->units[u].code));
        for (size_t e = 0; e < ne; e++) {
            const sipas_review_point *p = &r->matrix[u * r->nelements + e];
            sipas_report_value(t, p->estimable ? p->value.estimate : NAN, flag_marks(p->flags));
        }
    }
}

/* Every criterion (with its element and the overall index) of the reviewed wave, province. */
static void section_criteria(const session *s, sipas_report *rep, const sipas_index_result *ix)
{
    sipas_report_heading(rep, 1, "criteria", T(s, "Kết quả theo tiêu chí", "Results by criterion"));
    sipas_report_paragraph(rep, T(s,
        "Mỗi tiêu chí: tỷ lệ câu trả lời hài lòng hoặc rất hài lòng trong các câu trả lời hợp lệ. "
        "Câu trả lời \"không biết\", \"không áp dụng\", từ chối và ô trống không tính vào mẫu số "
        "và được đếm riêng. Yếu tố: trung bình các tiêu chí; chỉ số chung: trung bình có trọng số "
        "của các yếu tố.",
        "Each criterion: the share of valid answers that are satisfied or very satisfied. "
        "\"Don't know\", \"not applicable\", refusals and empty cells are left out of the "
        "denominator and counted apart. Element: mean of its criteria; overall: weighted mean of "
        "the elements."));
    sipas_report_column cols[] = {
        {T(s, "Cấp", "Level"), SIPAS_REPORT_TEXT}, {T(s, "Mã", "Code"), SIPAS_REPORT_TEXT},
        {T(s, "Nội dung", "Label"), SIPAS_REPORT_TEXT}, {"n", SIPAS_REPORT_COUNT},
        {T(s, "Chỉ số (%)", "Index (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận dưới (%)", "Lower (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Cận trên (%)", "Upper (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "SE (điểm %)", "SE (points)"), SIPAS_REPORT_DECIMAL},
        {"deff", SIPAS_REPORT_DECIMAL},
        {T(s, "Trống", "Empty"), SIPAS_REPORT_COUNT},
        {T(s, "Không biết", "Don't know"), SIPAS_REPORT_COUNT},
        {T(s, "Không áp dụng", "Not applicable"), SIPAS_REPORT_COUNT},
        {T(s, "Từ chối", "Refused"), SIPAS_REPORT_COUNT},
        {T(s, "Cờ", "Flags"), SIPAS_REPORT_TEXT}};
    char caption[256];
    snprintf(caption, sizeof caption, T(s, "Chỉ số theo tiêu chí, toàn tỉnh, năm %.0f",
                                        "Indices by criterion, province, %.0f"), s->review->wave);
    sipas_report_table *t = sipas_report_table_add(rep, "criteria", T(s, "Tiêu chí", "Criteria"),
                                                   caption, cols, sizeof cols / sizeof cols[0],
                                                   NULL);
    for (size_t i = 0; i < ix->nrows; i++) {
        const sipas_index_row *row = &ix->rows[i];
        unsigned m = flag_marks(row->flags);
        char flags[128];
        sipas_report_row(t, row->level == SIPAS_LEVEL_CRITERION ? 0 : SIPAS_REPORT_STRONG);
        sipas_report_text(t, row->level == SIPAS_LEVEL_OVERALL ? T(s, "chung", "overall")
                             : row->level == SIPAS_LEVEL_ELEMENT ? T(s, "yếu tố", "element")
                             : T(s, "tiêu chí", "criterion"));
        sipas_report_text(t, row->name);
        const char *label = s->vi ? row->label_vi : row->label_en;
        sipas_report_text(t, label ? label : "");
        sipas_report_value(t, (double)row->n, 0);
        sipas_report_value(t, row->estimable ? row->estimate : NAN, m);
        sipas_report_value(t, row->ci_low, m & SIPAS_REPORT_SUPPRESSED);
        sipas_report_value(t, row->ci_high, m & SIPAS_REPORT_SUPPRESSED);
        sipas_report_value(t, 100.0 * row->se, 0);
        sipas_report_value(t, row->deff, 0);
        for (int k = 0; k < SIPAS_MISSING_KINDS; k++)
            sipas_report_value(t, (double)row->n_missing[k], 0);
        if (row->estimable && isfinite(row->estimate) && !sipas_review_row_has_variance(row)) {
            char words[256];
            sipas_review_not_estimable(row->variance_status != SIPAS_VARIANCE_OK
                                           ? sipas_variance_status_text(row->variance_status,
                                                                        s->vi ? "vi" : "en")
                                           : sipas_review_no_variance_reason(s->vi),
                                       s->vi, words, sizeof words);
            sipas_report_text(t, words);
        } else {
            sipas_report_text(t, flag_words(row->flags, flags, sizeof flags));
        }
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void section_methods(const session *s, sipas_report *rep, const sipas_index_result *ix)
{
    const sipas_review *r = s->review;
    char text[2048], a[32], b[32], c[32];
    sipas_report_heading(rep, 1, "methods", T(s, "Phụ lục: phương pháp", "Appendix: methods"));
    snprintf(text, sizeof text,
             T(s, "Thiết kế mẫu: năm %.0f có %zu phiếu; toàn bộ dữ liệu (mọi đợt) có %zu phiếu, "
                  "%zu tầng (mỗi đợt khảo sát × cột tầng của công cụ), %zu đơn vị mẫu cấp 1 (xã, "
                  "phường, cơ sở) lồng trong tầng, trọng số của từng phiếu và hiệu chỉnh quần thể "
                  "hữu hạn khi công cụ có cột fpc. Mỗi đợt là một mẫu độc lập; một năm là một miền "
                  "của thiết kế chung.",
               "Design: %.0f has %zu respondents; all the data (every wave) hold %zu respondents, "
               "%zu strata (each wave × the instrument's stratum column), %zu primary sampling "
               "units (communes, facilities) nested in strata, each respondent's weight and the "
               "finite population correction where the instrument has an fpc column. Each wave "
               "is an independent sample; a year is a domain of the whole design."),
             r->wave, r->province[r->wave_index].respondents, ix->design_rows, ix->nstrata,
             ix->npsu);
    sipas_report_paragraph(rep, text);
    sipas_report_paragraph(rep, T(s,
        "Ước lượng phương sai: tuyến tính hóa Taylor của ước lượng tỷ số. Điểm tuyến tính hóa của "
        "mỗi phiếu là trọng số nhân (y trừ R nhân x) chia tổng trọng số các câu trả lời hợp lệ; "
        "phương sai là tổng theo tầng của (1 − f) nhân n/(n − 1) nhân tổng bình phương độ lệch "
        "của tổng điểm từng đơn vị mẫu cấp 1 so với trung bình của tầng (chỉ tính giai đoạn 1, "
        "\"ultimate cluster\"). Yếu tố và chỉ số chung là tổ hợp tuyến tính của các tỷ số nên "
        "phương sai dùng tổ hợp tương ứng của các điểm. Kết quả khớp gói survey của R (4.1.1).",
        "Variance: Taylor linearisation of the ratio estimator. Each respondent's score is the "
        "weight times (y minus R times x) divided by the weighted count of valid answers; the "
        "variance sums over strata (1 − f) times n/(n − 1) times the squared deviations of the "
        "primary units' score totals from their stratum mean (first stage only, the \"ultimate "
        "cluster\"). Elements and the overall index are linear combinations of ratios, so their "
        "scores combine the same way. The results agree with R's survey package (4.1.1)."));
    snprintf(text, sizeof text,
             T(s, "Khoảng tin cậy %g%%, phương pháp %s: với logit, khoảng là expit(logit p ± t "
                  "× SE / (p(1 − p))), t theo phân phối Student với bậc tự do của thiết kế (số đơn "
                  "vị mẫu cấp 1 trừ số tầng trong miền). Thay đổi giữa hai năm: hiệu hai ước lượng, "
                  "phương sai bằng tổng hai phương sai. Xu hướng: hồi quy bình phương tối thiểu có "
                  "trọng số (nghịch đảo phương sai) trên thang logit; dự báo là đường xu hướng kéo "
                  "dài với khoảng tin cậy của nó.",
               "Intervals at %g%%, method %s: for logit the interval is expit(logit p ± t × SE / "
               "(p(1 − p))), t from Student's distribution with the design degrees of freedom "
               "(primary units minus strata in the domain). A change between two years is the "
               "difference of the estimates with the sum of their variances. Trend: weighted "
               "least squares (inverse variances) on the logit scale; a projection extends the "
               "line with its interval."),
             100 * ix->level, sipas_ci_method_name(ix->ci));
    sipas_report_paragraph(rep, text);
    double *deffs = calloc(ix->nrows ? ix->nrows : 1, sizeof *deffs);
    size_t nd = 0;
    for (size_t i = 0; deffs && i < ix->nrows; i++)
        if (ix->rows[i].level == SIPAS_LEVEL_CRITERION && isfinite(ix->rows[i].deff))
            deffs[nd++] = ix->rows[i].deff;
    if (nd > 0) {
        qsort(deffs, nd, sizeof *deffs, compare_double);
        sipas_report_lang lang = report_lang(s);
        snprintf(text, sizeof text,
                 T(s, "Hiệu ứng thiết kế (deff, phương sai theo thiết kế chia phương sai của mẫu "
                      "ngẫu nhiên đơn giản cùng cỡ) của %zu tiêu chí năm %.0f: từ %s đến %s, trung "
                      "vị %s.",
                   "Design effects (deff: design variance over the variance of a simple random "
                   "sample of the same size) of the %zu criteria in %.0f: %s to %s, median %s."),
                 nd, r->wave, sipas_report_format(SIPAS_REPORT_DECIMAL, deffs[0], lang, a, sizeof a),
                 sipas_report_format(SIPAS_REPORT_DECIMAL, deffs[nd - 1], lang, b, sizeof b),
                 sipas_report_format(SIPAS_REPORT_DECIMAL,
                                     nd % 2 ? deffs[nd / 2] : (deffs[nd / 2 - 1] + deffs[nd / 2]) / 2,
                                     lang, c, sizeof c));
        sipas_report_paragraph(rep, text);
    }
    free(deffs);
    sipas_report_paragraph(rep, T(s,
        "Cờ trình bày (chuẩn NCHS 2017, Parker và cộng sự, đánh giá trên khoảng Korn-Graubard): "
        "small_n_eff — cỡ mẫu hiệu dụng dưới 30; wide_ci — khoảng tin cậy rộng từ 30 điểm phần "
        "trăm; wide_relative_ci — khoảng rộng hơn 5 điểm và hơn 130% giá trị; no_ci — không tính "
        "được khoảng. Các giá trị có một trong bốn cờ này (†) vẫn được hiển thị nhưng in nghiêng "
        "màu xám, không nên công bố. few_df — dưới 8 bậc tự do (‡): cần thận trọng.",
        "Presentation flags (NCHS 2017 standards, Parker et al., judged on the Korn-Graubard "
        "interval): small_n_eff — effective sample size under 30; wide_ci — interval at least 30 "
        "percentage points wide; wide_relative_ci — wider than 5 points and than 130% of the "
        "value; no_ci — no interval could be computed. Values with any of these four (†) are "
        "shown greyed in italics, not hidden, and should not be published. few_df — fewer than 8 "
        "degrees of freedom (‡): read with care."));
    sipas_report_note(rep, T(s,
        "Công thức chi tiết và đối chiếu với R: docs/methodology.md (ước lượng, phương sai, "
        "khoảng tin cậy, deff, cờ) và docs/trends.md (thay đổi, xu hướng, mục tiêu, xếp hạng).",
        "Formulas in full and their R references: docs/methodology.md (estimates, variances, "
        "intervals, deff, flags) and docs/trends.md (changes, trends, targets, rankings)."));
}

/* The province index of the reviewed wave, every criterion, for the criteria table. */
static sipas_status wave_index(const session *s, sipas_condition *cond, sipas_index_result **out,
                               sipas_error *err)
{
    const char *wave_column = NULL;
    for (size_t k = 0; k < s->inst->nitems; k++)
        if (s->inst->items[k].role == SIPAS_ROLE_WAVE)
            wave_column = s->inst->items[k].name;
    if (wave_column == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no wave column",
                               s->inst->form_id);
    char text[160];
    snprintf(text, sizeof text, "%s=%.0f", wave_column, s->review->wave);
    sipas_status st = sipas_condition_parse(text, cond, err);
    if (st != SIPAS_OK)
        return st;
    sipas_index_options o = s->index;
    o.where = &cond->filter;
    o.nwhere = 1;
    /* as the review: under --lonely-psu fail, rows of a lonely stratum are not estimable */
    return sipas_review_index_compute(s->data, &o, out, err);
}

/* Every Resolution 60 target, as of the reviewed wave (sipas/scorecard.h); a surveys folder
 * without an indicator registry has none. */
static void section_scorecard(const session *s, sipas_report *rep, chart_dir *dir,
                              sipas_error *err, sipas_status *st)
{
    sipas_scorecard *card = NULL;
    char file[640];
    snprintf(file, sizeof file, "%s/scorecard.svg", dir->path);
    if (*st == SIPAS_OK)
        *st = sipas_scorecard_compute(cli_surveys_dir(&s->args), s->store, s->data, &s->index,
                                      s->review->wave, &card, err);
    if (*st == SIPAS_ERR_NOT_FOUND)
        *st = SIPAS_OK;
    else if (*st == SIPAS_OK)
        *st = sipas_scorecard_report_section(card, s->vi, rep, file, err);
    sipas_scorecard_free(card);
}

static sipas_status build_report(const session *s, chart_dir *dir, const sipas_index_result *ix,
                                 sipas_report **out, sipas_error *err)
{
    char title[512];
    snprintf(title, sizeof title, T(s, "Báo cáo đánh giá năm %.0f: %s", "Annual review %.0f: %s"),
             s->review->wave, s->vi ? s->inst->title_vi : s->inst->title_en);
    sipas_report *rep = NULL;
    sipas_status st = sipas_report_create(title, report_lang(s), &rep, err);
    if (st != SIPAS_OK)
        return st;
    if (s->review->measure_level != SIPAS_LEVEL_OVERALL || strcmp(s->review->measure, "overall") != 0) {
        char text[512];
        snprintf(text, sizeof text, T(s, "Chỉ tiêu được đánh giá: %s (%s).",
                                      "Measure reviewed: %s (%s)."),
                 measure_label(s), s->review->measure);
        sipas_report_paragraph(rep, text);
    }
    sipas_report_note(rep, T(s, "Số liệu theo thiết kế mẫu; khoảng tin cậy 95% trừ khi ghi khác. "
                                "Số viết theo kiểu Việt Nam: dấu phẩy thập phân (87,07%).",
                             "Design-based estimates; 95% intervals unless stated otherwise."));
    /* Which instrument scored the numbers, and a warning when the sheets were allowed to differ
     * from it (analysis_check_instrument). */
    char versions[1024];
    snprintf(versions, sizeof versions, T(s, "Bộ câu hỏi %s, phiên bản trong %s: %s.",
                                          "Instrument %s, version of %s: %s."),
             s->inst->form_id, s->inst->source_dir, s->inst->version);
    sipas_report_note(rep, versions);
    snprintf(versions, sizeof versions, T(s, "Các đợt nhập đã lưu: %s.", "Stored batches: %s."),
             s->instrument_versions ? s->instrument_versions : "");
    sipas_report_note(rep, versions);
    if (s->instrument_warning)
        sipas_report_note(rep, s->instrument_warning);
    section_summary(s, rep);
    section_targets(s, rep);
    section_change(s, rep);
    st = SIPAS_OK;
    section_trend(s, rep, dir, err, &st);
    section_scorecard(s, rep, dir, err, &st);
    section_units(s, rep, dir, err, &st);
    section_elements(s, rep, dir, err, &st);
    section_criteria(s, rep, ix);
    section_methods(s, rep, ix);
    if (st == SIPAS_OK)
        st = sipas_report_status(rep, err);
    if (st != SIPAS_OK) {
        sipas_report_free(rep);
        return st;
    }
    *out = rep;
    return SIPAS_OK;
}

int analyze_report(int argc, char **argv)
{
    session s;
    bool help;
    int code = session_open(&s, argc, argv, report_options,
                            sizeof report_options / sizeof report_options[0],
                            "report --form ID [--wave YEAR] --out FILE.html [--csv DIR] "
                            "[--xlsx FILE] [options]",
                            "Writes the annual review as one self-contained HTML page (charts "
                            "inline as SVG, no\nnetwork): the headline index, target verdicts, "
                            "change since last year, trend,\nranking of units, elements, every "
                            "criterion with its flags, and a methods appendix.\nThe same tables "
                            "as CSV files (--csv) and as one workbook (--xlsx). Needs gnuplot.\n"
                            "See docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        session_close(&s);
        return code;
    }
    sipas_error err = {0};
    sipas_condition cond = {0};
    sipas_index_result *ix = NULL;
    sipas_report *rep = NULL;
    chart_dir dir = {0};
    const char *tmp = getenv("TMPDIR");
    snprintf(dir.path, sizeof dir.path, "%s/sipas-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    sipas_status st = wave_index(&s, &cond, &ix, &err);
    if (st == SIPAS_OK) {
        if (mkdtemp(dir.path) == NULL)
            st = sipas_error_set(&err, SIPAS_ERR_IO, "cannot create a temporary directory '%s': %s",
                                 dir.path, strerror(errno));
        else
            dir.made = true;
    }
    if (st == SIPAS_OK)
        st = build_report(&s, &dir, ix, &rep, &err);
    if (dir.made && rmdir(dir.path) != 0 && st == SIPAS_OK)
        st = sipas_error_set(&err, SIPAS_ERR_IO, "cannot remove '%s': %s", dir.path,
                             strerror(errno));
    const char *v;
    if (st == SIPAS_OK)
        st = sipas_report_write_html(rep, cli_value(&s.args, "out"), &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "csv")))
        st = sipas_report_write_csv_dir(rep, v, &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "xlsx")))
        st = sipas_xlsx_write_report(rep, v, &err);
    if (st != SIPAS_OK)
        code = cli_fail(&err);
    sipas_report_free(rep);
    sipas_index_result_free(ix);
    sipas_condition_release(&cond);
    session_close(&s);
    return code;
}
