/* scorecard.c - every Resolution target in one table (see sipas/scorecard.h). */
#include "sipas/scorecard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "sipas/instrument.h"
#include "sipas/review.h"

const char *sipas_score_trend_name(sipas_score_trend trend)
{
    static const char *const names[] = {"-", "improving", "steady", "worsening"};
    return (unsigned)trend < 4 ? names[trend] : "?";
}

const char *sipas_score_trend_name_vi(sipas_score_trend trend)
{
    static const char *const names[] = {"-", "cải thiện", "ổn định", "xấu đi"};
    return (unsigned)trend < 4 ? names[trend] : "?";
}

void sipas_scorecard_free(sipas_scorecard *card)
{
    if (card == NULL)
        return;
    free(card->rows);
    sipas_admin_values_free(card->values, card->nvalues);
    sipas_targets_free(card->survey_targets);
    sipas_admin_targets_free(card->admin_targets);
    sipas_indicator_registry_free(card->registry);
    free(card);
}

/* Resolution items in the resolution's order; anything else after them. */
static int item_rank(const char *item)
{
    static const char *const order[] = {"a", "b", "c", "d", "đ", "e"};
    for (int i = 0; i < 6; i++)
        if (strcmp(item, order[i]) == 0)
            return i;
    return 6;
}

static sipas_score_trend trend_of(const sipas_admin_verdict *v, sipas_indicator_direction dir)
{
    if (isnan(v->slope_low) || isnan(v->slope_high))
        return SIPAS_SCORE_TREND_NONE;
    bool up = v->slope_low > 0, down = v->slope_high < 0;
    if (!up && !down)
        return SIPAS_SCORE_TREND_STEADY;
    return up == (dir == SIPAS_HIGHER_IS_BETTER) ? SIPAS_SCORE_TREND_IMPROVING
                                                 : SIPAS_SCORE_TREND_WORSENING;
}

/* The stored values of indicator in unit, up to nvalues of them, as points. */
static size_t points_of(const sipas_scorecard_input *in, const char *indicator, const char *unit,
                        sipas_admin_point *out)
{
    size_t n = 0;
    for (size_t i = 0; i < in->nvalues; i++) {
        const sipas_admin_value *v = &in->values[i];
        if (strcmp(v->indicator, indicator) == 0 && strcmp(v->unit, unit) == 0)
            out[n++] = (sipas_admin_point){v->year, v->value, v->numerator, v->denominator};
    }
    return n;
}

/* ---- survey series ------------------------------------------------------------------------- */

typedef struct survey_point {
    sipas_wave_value value;
    double ci_low, ci_high;
} survey_point;

/* The province estimate of measure in every wave of data (the index by wave), by year. */
static sipas_status survey_series(const sipas_dataset *data, const sipas_index_options *base,
                                  const char *measure, survey_point **out, size_t *n,
                                  sipas_error *err)
{
    *out = NULL;
    *n = 0;
    const char *wave = NULL;
    for (size_t k = 0; k < data->inst->nitems && wave == NULL; k++)
        if (data->inst->items[k].role == SIPAS_ROLE_WAVE)
            wave = data->inst->items[k].name;
    if (wave == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no wave column",
                               data->inst->form_id);
    sipas_index_options o = base ? *base : (sipas_index_options){0};
    const char *by[1] = {wave};
    o.by = by;
    o.nby = 1;
    o.keep_wave_pooled = true;
    sipas_index_result *r = NULL;
    /* as the review computes it: under --lonely-psu fail, a lonely stratum's rows lose their
     * variance instead of failing the scorecard (and the report that shows it) */
    sipas_status st = sipas_review_index_compute(data, &o, &r, err);
    if (st != SIPAS_OK)
        return st;
    survey_point *pts = calloc(r->ndomains ? r->ndomains : 1, sizeof *pts);
    if (pts == NULL) {
        sipas_index_result_free(r);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->nrows; i++) {
        const sipas_index_row *row = &r->rows[i];
        char *end = NULL;
        double year = strtod(r->domains[row->domain].values[0], &end);
        if (strcmp(row->name, measure) != 0 || !row->estimable || !isfinite(row->estimate) ||
            *end != '\0')
            continue;
        size_t k = (*n)++;
        while (k > 0 && pts[k - 1].value.year > year) { /* insertion by year */
            pts[k] = pts[k - 1];
            k--;
        }
        pts[k] = (survey_point){{year, row->estimate, row->variance, row->df, (double)row->n},
                                row->ci_low, row->ci_high};
    }
    sipas_index_result_free(r);
    *out = pts;
    return SIPAS_OK;
}

/* A survey target judged on the series up to as_of: trend.h's rules (interval basis). */
static sipas_status judge_survey(const survey_point *all, size_t nall, const sipas_target *t,
                                 double as_of, double level, sipas_admin_verdict *v,
                                 sipas_error *err)
{
    sipas_wave_value *w = malloc((nall ? nall : 1) * sizeof *w);
    if (w == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < nall; i++)
        if (all[i].value.year <= as_of)
            w[n++] = all[i].value;
    sipas_target_verdict tv;
    sipas_trend_fit fit;
    sipas_status st = SIPAS_OK;
    v->npoints = n;
    if (n == 0) {
        v->reason = "no survey wave";
        goto done;
    }
    if ((st = sipas_target_assess(w, n, t, level, &tv, err)) != SIPAS_OK)
        goto done;
    v->verdict = tv.verdict;
    v->projected = tv.projected;
    v->estimate = tv.estimate;
    v->ci_low = tv.ci_low;
    v->ci_high = tv.ci_high;
    v->latest_year = all[n - 1].value.year;
    v->latest_figure = all[n - 1].value.estimate;
    v->latest_low = all[n - 1].ci_low;
    v->latest_high = all[n - 1].ci_high;
    if (tv.verdict == SIPAS_VERDICT_INSUFFICIENT_DATA)
        v->reason = "fewer than 3 survey waves";
    if (n >= 3) {
        if ((st = sipas_trend_fit_waves(w, n, SIPAS_TREND_KNOWN_VARIANCE, level, &fit, err)))
            goto done;
        v->scale = SIPAS_FIT_LOGIT;
        v->slope_per_year = fit.slope_per_year;
        v->slope_low = fit.slope_per_year_ci_low;
        v->slope_high = fit.slope_per_year_ci_high;
    }
done:
    free(w);
    return st;
}

/* ---- the table ----------------------------------------------------------------------------- */

static void describe(sipas_scorecard_row *row, const sipas_indicator_def *def, const char *id)
{
    row->indicator = id;
    row->label_vi = def ? def->label_vi : id;
    row->label_en = def ? def->label_en : id;
    row->unit = def ? def->unit : "";
    row->kind = def ? def->kind : SIPAS_INDICATOR_SHARE;
}

static double latest_year(const sipas_scorecard_input *in, const survey_point *s, size_t ns)
{
    double y = 0;
    for (size_t i = 0; i < in->nvalues; i++)
        y = fmax(y, in->values[i].year);
    for (size_t i = 0; i < ns; i++)
        y = fmax(y, s[i].value.year);
    return y;
}

typedef struct ordered_row {
    sipas_scorecard_row row;
    size_t order;
} ordered_row;

static int compare_ordered(const void *a, const void *b)
{
    const ordered_row *x = a, *y = b;
    int c = item_rank(x->row.item) - item_rank(y->row.item);
    return c ? c : (x->order > y->order) - (x->order < y->order); /* qsort is not stable */
}

/* One reported-values row: an administrative target, or a survey target without survey data. */
static sipas_status admin_row(const sipas_scorecard_input *in, const sipas_indicator_def *def,
                              const sipas_admin_target *g, double as_of, double level,
                              sipas_admin_point *scratch, sipas_scorecard_row *row,
                              sipas_error *err)
{
    size_t np = points_of(in, g->indicator, g->unit, scratch);
    sipas_indicator_def fallback = {.id = g->indicator, .kind = SIPAS_INDICATOR_SHARE};
    const sipas_indicator_def *d = def ? def : &fallback;
    sipas_status st = sipas_admin_assess(d, g, scratch, np, as_of, level, &row->verdict, err);
    if (st == SIPAS_OK)
        row->trend = trend_of(&row->verdict, d->direction);
    return st;
}

sipas_status sipas_scorecard_build(const sipas_scorecard_input *in, sipas_scorecard **out,
                                   sipas_error *err)
{
    *out = NULL;
    if (in == NULL || in->registry == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "scorecard: no indicator registry");
    double level = in->level > 0 ? in->level
                 : (in->index && in->index->level > 0) ? in->index->level : 0.95;
    size_t nadmin = in->admin_targets ? in->admin_targets->n : 0;
    size_t nsurvey = in->survey_targets ? in->survey_targets->ntargets : 0;
    ordered_row *rows = calloc(nadmin + nsurvey + 1, sizeof *rows);
    sipas_admin_point *scratch = malloc((in->nvalues ? in->nvalues : 1) * sizeof *scratch);
    survey_point *series = NULL;
    size_t nseries = 0;
    const char *series_measure = NULL;
    sipas_status st = SIPAS_OK;
    if (rows == NULL || scratch == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* the as-of year: given, else the latest year of any value or of the survey's overall */
    double as_of = in->as_of;
    if (as_of <= 0) {
        if (in->data && (st = survey_series(in->data, in->index, "overall", &series, &nseries,
                                            err)))
            goto done;
        series_measure = "overall";
        as_of = latest_year(in, series, nseries);
    }
    size_t n = 0;
    for (size_t k = 0; k < nadmin; k++) {
        const sipas_admin_target *g = &in->admin_targets->targets[k];
        const sipas_indicator_def *def = sipas_indicator_find(in->registry, g->indicator);
        ordered_row *o = &rows[n];
        o->order = n++;
        describe(&o->row, def, g->indicator);
        o->row.item = g->item;
        o->row.comparison = g->comparison;
        o->row.threshold = g->threshold;
        o->row.year = g->year;
        o->row.base_from = g->base_from;
        o->row.base_to = g->base_to;
        o->row.source = g->source;
        o->row.quote = g->quote;
        if ((st = admin_row(in, def, g, as_of, level, scratch, &o->row, err)))
            goto done;
    }
    for (size_t k = 0; k < nsurvey; k++) {
        const sipas_target_row *t = &in->survey_targets->targets[k];
        const sipas_indicator_def *def = sipas_indicator_find(in->registry, t->indicator);
        ordered_row *o = &rows[n];
        o->order = n++;
        describe(&o->row, def, t->indicator);
        o->row.item = def ? def->item : "";
        o->row.comparison = t->target.comparison == SIPAS_TARGET_ABOVE ? SIPAS_CMP_ABOVE
                                                                        : SIPAS_CMP_AT_LEAST;
        o->row.threshold = t->target.threshold;
        o->row.year = t->target.year;
        o->row.source = t->source;
        o->row.quote = t->note;
        bool on_survey = in->data && t->form && strcmp(t->form, in->data->inst->form_id) == 0 &&
                         strcmp(t->scope, "province") == 0;
        if (on_survey) {
            if (series_measure == NULL || strcmp(series_measure, t->measure) != 0) {
                free(series);
                series = NULL;
                series_measure = t->measure;
                if ((st = survey_series(in->data, in->index, t->measure, &series, &nseries, err)))
                    goto done;
            }
            o->row.verdict = sipas_admin_verdict_none();
            if ((st = judge_survey(series, nseries, &t->target, as_of, level, &o->row.verdict,
                                   err)))
                goto done;
            o->row.survey = o->row.verdict.npoints > 0;
            o->row.trend = trend_of(&o->row.verdict, SIPAS_HIGHER_IS_BETTER);
        }
        if (!o->row.survey) {
            /* no survey data for it here: the reported figures (e.g. the published SIPAS) */
            sipas_admin_target g = {.indicator = t->indicator, .unit = t->scope_value,
                                    .year = t->target.year, .comparison = o->row.comparison,
                                    .threshold = t->target.threshold};
            if ((st = admin_row(in, def, &g, as_of, level, scratch, &o->row, err)))
                goto done;
        }
    }
    qsort(rows, n, sizeof *rows, compare_ordered);
    sipas_scorecard *card = calloc(1, sizeof *card);
    sipas_scorecard_row *plain = calloc(n ? n : 1, sizeof *plain);
    if (card == NULL || plain == NULL) {
        free(card);
        free(plain);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        plain[i] = rows[i].row;
    *card = (sipas_scorecard){.as_of = as_of, .level = level, .n = n, .rows = plain};
    *out = card;
done:
    free(rows);
    free(scratch);
    free(series);
    return st;
}

static sipas_plot_verdict colour_of(sipas_verdict v)
{
    switch (v) {
    case SIPAS_VERDICT_MET:
    case SIPAS_VERDICT_ON_TRACK: return SIPAS_PLOT_VERDICT_GOOD;
    case SIPAS_VERDICT_AT_RISK:
    case SIPAS_VERDICT_NOT_DISTINGUISHABLE: return SIPAS_PLOT_VERDICT_WARN;
    case SIPAS_VERDICT_NOT_MET:
    case SIPAS_VERDICT_OFF_TRACK: return SIPAS_PLOT_VERDICT_BAD;
    default: return SIPAS_PLOT_VERDICT_NONE;
    }
}

enum { CHART_NAME_BYTES = 192 };

sipas_status sipas_scorecard_chart(const sipas_scorecard *card, bool vietnamese,
                                   const sipas_plot_options *opt, sipas_error *err)
{
    if (card == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "scorecard chart: no scorecard");
    sipas_plot_score_row *rows = calloc(card->n ? card->n : 1, sizeof *rows);
    char *names = calloc(card->n ? card->n : 1, CHART_NAME_BYTES);
    if (rows == NULL || names == NULL) {
        free(rows);
        free(names);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < card->n; i++) {
        const sipas_scorecard_row *r = &card->rows[i];
        if (r->kind == SIPAS_INDICATOR_COUNT)
            continue;
        char *name = names + n * CHART_NAME_BYTES;
        snprintf(name, CHART_NAME_BYTES, "%s %.0f · %s", *r->item ? r->item : "-", r->year,
                 vietnamese ? r->label_vi : r->label_en);
        rows[n++] = (sipas_plot_score_row){name, r->verdict.latest_figure, r->threshold,
                                           colour_of(r->verdict.verdict)};
    }
    sipas_plot_scorecard chart = {
        .rows = rows, .nrows = n,
        .verdict_labels = {vietnamese ? "đạt / đúng hướng" : "met / on track",
                           vietnamese ? "có nguy cơ" : "at risk",
                           vietnamese ? "không đạt / chệch hướng" : "not met / off track",
                           vietnamese ? "thiếu dữ liệu" : "insufficient data"},
        .target_label = vietnamese ? "mục tiêu" : "target"};
    sipas_status st = sipas_plot_scorecard_chart(&chart, opt, err);
    free(rows);
    free(names);
    return st;
}

sipas_status sipas_scorecard_compute(const char *surveys_dir, sipas_store *store,
                                     const sipas_dataset *data, const sipas_index_options *index,
                                     double as_of, sipas_scorecard **out, sipas_error *err)
{
    *out = NULL;
    sipas_scorecard loaded = {0};
    sipas_status st;
    if ((st = sipas_indicator_registry_load_dir(surveys_dir, &loaded.registry, err)) ||
        (st = sipas_admin_targets_load_dir(surveys_dir, loaded.registry, &loaded.admin_targets,
                                           err)) ||
        (st = sipas_store_load_admin_values(store, NULL, 0, &loaded.values, &loaded.nvalues,
                                            err)))
        goto fail;
    if ((st = sipas_targets_load_dir(surveys_dir, &loaded.survey_targets, err)) != SIPAS_OK) {
        if (st != SIPAS_ERR_NOT_FOUND)
            goto fail;
        loaded.survey_targets = NULL; /* no survey targets: the administrative ones still count */
    }
    sipas_scorecard_input in = {.registry = loaded.registry, .admin_targets = loaded.admin_targets,
                                .survey_targets = loaded.survey_targets, .values = loaded.values,
                                .nvalues = loaded.nvalues, .data = data, .index = index,
                                .as_of = as_of};
    if ((st = sipas_scorecard_build(&in, out, err)) != SIPAS_OK)
        goto fail;
    (*out)->registry = loaded.registry;
    (*out)->admin_targets = loaded.admin_targets;
    (*out)->survey_targets = loaded.survey_targets;
    (*out)->values = loaded.values;
    (*out)->nvalues = loaded.nvalues;
    return SIPAS_OK;
fail:
    sipas_admin_values_free(loaded.values, loaded.nvalues);
    sipas_targets_free(loaded.survey_targets);
    sipas_admin_targets_free(loaded.admin_targets);
    sipas_indicator_registry_free(loaded.registry);
    return st;
}

const char *sipas_scorecard_verdict_name_vi(sipas_verdict v)
{
    static const char *const names[] = {"đạt", "không đạt", "chưa phân biệt được", "đúng hướng",
                                        "có nguy cơ", "chệch hướng", "thiếu dữ liệu",
                                        "chưa có số liệu năm đó"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static unsigned verdict_marks(sipas_verdict v)
{
    sipas_plot_verdict c = colour_of(v);
    return c == SIPAS_PLOT_VERDICT_GOOD ? SIPAS_REPORT_GOOD
         : c == SIPAS_PLOT_VERDICT_BAD ? SIPAS_REPORT_BAD : 0;
}

sipas_status sipas_scorecard_report_section(const sipas_scorecard *card, bool vi,
                                            sipas_report *rep, const char *chart_path,
                                            sipas_error *err)
{
    char text[256];
    snprintf(text, sizeof text, vi ? "Mục tiêu Nghị quyết 60-NQ/TU (đánh giá tại năm %.0f)"
                                   : "Resolution 60-NQ/TU targets (judged as in %.0f)",
             card->as_of);
    sipas_report_heading(rep, 1, "scorecard", text);
    sipas_report_paragraph(rep, vi
        ? "Mọi mục tiêu của Nghị quyết 60-NQ/TU, mục 2.2 a) đến e): chỉ số hài lòng theo khảo sát "
          "và các chỉ tiêu hành chính theo số liệu báo cáo (sipas-collect indicators). Năm đã qua: "
          "\"đạt\" / \"không đạt\" theo số liệu của năm đó. Năm tương lai: đường xu hướng (logit "
          "cho tỷ lệ, tuyến tính cho số lượng, cần ít nhất 3 năm) kéo dài đến năm mục tiêu với "
          "khoảng dự báo 95%: \"đúng hướng\" khi cả khoảng đạt, \"chệch hướng\" khi cả khoảng "
          "không đạt, còn lại \"có nguy cơ\". Chỉ tiêu \"giảm so với năm gốc\" tính từ giá trị "
          "năm gốc. Xem docs/review.md, mục Scorecard."
        : "Every target of Resolution 60-NQ/TU, section 2.2 a) to e): satisfaction from the "
          "survey and the administrative indicators from reported figures (sipas-collect "
          "indicators). A past year: \"met\" / \"not met\" by that year's figure. A future year: "
          "the trend line (logit for shares, linear for counts, at least 3 years) extended to "
          "the target year with a 95% prediction interval: \"on track\" when the whole interval "
          "meets the target, \"off track\" when none of it does, otherwise \"at risk\". Targets "
          "\"against a base year\" are computed from the base year's value. See docs/review.md, "
          "\"Scorecard\".");
    sipas_plot_options opt = {.output_path = chart_path, .format = SIPAS_PLOT_SVG,
                              .decimal_comma = vi};
    sipas_status st = sipas_scorecard_chart(card, vi, &opt, err);
    if (st != SIPAS_OK)
        return st;
    sipas_report_chart_file(rep, chart_path, vi
        ? "Giá trị mới nhất của từng mục tiêu (chấm, màu theo đánh giá) và mục tiêu (hình thoi)."
        : "Latest value of each target (dot, coloured by verdict) and the target (diamond).");
    if (unlink(chart_path) != 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot remove '%s': %s", chart_path,
                               strerror(errno));
    static const sipas_report_column vi_cols[] = {
        {"Mục", SIPAS_REPORT_TEXT}, {"Chỉ tiêu", SIPAS_REPORT_TEXT},
        {"So sánh", SIPAS_REPORT_TEXT}, {"Mục tiêu (%)", SIPAS_REPORT_PERCENT},
        {"Năm mục tiêu", SIPAS_REPORT_YEAR}, {"Mới nhất (%)", SIPAS_REPORT_PERCENT},
        {"Năm", SIPAS_REPORT_YEAR}, {"Xu hướng", SIPAS_REPORT_TEXT},
        {"Dự báo (%)", SIPAS_REPORT_PERCENT}, {"Đánh giá", SIPAS_REPORT_TEXT},
        {"Nguồn", SIPAS_REPORT_TEXT}};
    static const sipas_report_column en_cols[] = {
        {"Item", SIPAS_REPORT_TEXT}, {"Indicator", SIPAS_REPORT_TEXT},
        {"Comparison", SIPAS_REPORT_TEXT}, {"Target (%)", SIPAS_REPORT_PERCENT},
        {"Target year", SIPAS_REPORT_YEAR}, {"Latest (%)", SIPAS_REPORT_PERCENT},
        {"Year", SIPAS_REPORT_YEAR}, {"Trend", SIPAS_REPORT_TEXT},
        {"Projected (%)", SIPAS_REPORT_PERCENT}, {"Verdict", SIPAS_REPORT_TEXT},
        {"Source", SIPAS_REPORT_TEXT}};
    sipas_report_table *t = sipas_report_table_add(
        rep, "scorecard", vi ? "Nghị quyết 60" : "Resolution 60",
        vi ? "Bảng theo dõi mục tiêu" : "Scorecard", vi ? vi_cols : en_cols, 11,
        vi ? "Chỉ tiêu thay đổi so với năm gốc: mục tiêu và giá trị là mức thay đổi (−10% là giảm "
             "10%). Số liệu hành chính mẫu 2021-2024 là số liệu tự tạo."
           : "Targets against a base year: target and values are the change (−10% is a 10% "
             "cut). The administrative sample values for 2021-2024 are synthetic.");
    for (size_t i = 0; i < card->n; i++) {
        const sipas_scorecard_row *r = &card->rows[i];
        const sipas_admin_verdict *v = &r->verdict;
        char label[512];
        snprintf(label, sizeof label, "%s%s", vi ? r->label_vi : r->label_en,
                 r->survey ? (vi ? " (khảo sát)" : " (survey)") : "");
        sipas_report_row(t, 0);
        sipas_report_text(t, *r->item ? r->item : "-");
        sipas_report_text(t, label);
        sipas_report_text(t, sipas_comparison_symbol(r->comparison));
        sipas_report_value(t, r->threshold, 0);
        sipas_report_value(t, r->year, 0);
        unsigned marks = verdict_marks(v->verdict);
        sipas_report_value(t, v->latest_figure, v->projected ? 0 : marks);
        sipas_report_value(t, v->latest_year, 0);
        sipas_report_text(t, vi ? sipas_score_trend_name_vi(r->trend)
                                : sipas_score_trend_name(r->trend));
        sipas_report_value(t, v->projected ? v->estimate : NAN, v->projected ? marks : 0);
        sipas_report_text(t, vi ? sipas_scorecard_verdict_name_vi(v->verdict)
                                : sipas_verdict_name(v->verdict));
        sipas_report_text(t, r->source);
    }
    return sipas_report_status(rep, err);
}
