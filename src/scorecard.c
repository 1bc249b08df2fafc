/* scorecard.c - every Resolution target in one table (see sipas/scorecard.h). */
#include "sipas/scorecard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sipas/instrument.h"

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
    sipas_status st = sipas_index_compute(data, &o, &r, err);
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
        pts[k] = (survey_point){{year, row->estimate, row->variance, row->df}, row->ci_low,
                                row->ci_high};
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
            o->row.verdict = (sipas_admin_verdict){
                .verdict = SIPAS_VERDICT_INSUFFICIENT_DATA, .latest_year = NAN,
                .latest_figure = NAN, .latest_low = NAN, .latest_high = NAN, .base_value = NAN,
                .estimate = NAN, .ci_low = NAN, .ci_high = NAN, .slope_per_year = NAN,
                .slope_low = NAN, .slope_high = NAN};
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
