/* The annual review as a document and as charts (sipas/review_report.h): the sections, tables
 * and vi/en words of the published review, moved here from the program layer so that the
 * content is unit-tested (tests/test_review_report.c). Guide: docs/report.md. */
#include "sipas/review_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipas/answer_distribution.h"
#include "sipas/number_format.h"
#include "sipas/open_answers.h"
#include "sipas/respondent_profile.h"
#include "sipas/targets.h"
#include "sipas/trend.h"

/* What every function below reads: the input and the words derived from it once. */
typedef struct session {
    const sipas_review_report_input *in;
    bool vi;
    const sipas_review *review;
    const sipas_dataset *data;
    const sipas_instrument *inst;
    const char *unit_column;
    char unit_words[128]; /* the unit column's label for running text: "huyện/thành phố" */
    sipas_review_target *other_targets; /* every target of in->targets judged; owned */
    size_t nother_targets;
} session;

#define T(s, vi_text, en_text) ((s)->vi ? (vi_text) : (en_text))

/* A column's label mid-sentence: "by district", "theo huyện/thành phố" (only an ASCII capital
 * is lowered: Vietnamese labels keep their letters). */
static const char *mid_sentence(const char *label, char *buf, size_t size)
{
    snprintf(buf, size, "%s", label);
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

static sipas_status session_init(session *s, const sipas_review_report_input *in,
                                 sipas_error *err)
{
    memset(s, 0, sizeof *s);
    if (in == NULL || in->review == NULL || in->data == NULL || in->inst == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "a review report needs the review, its data and its instrument");
    s->in = in;
    s->vi = in->lang == SIPAS_REPORT_VI;
    s->review = in->review;
    s->data = in->data;
    s->inst = in->inst;
    s->unit_column = in->review->unit_column;
    const sipas_item *item = sipas_instrument_item(s->inst, s->unit_column);
    const char *words = item ? (s->vi ? item->label_vi : item->label_en) : NULL;
    mid_sentence(words && *words ? words : s->unit_column, s->unit_words, sizeof s->unit_words);
    return SIPAS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Words. */

/* The measure's name: the overall index by the name reports give it (the form's title names
 * the questionnaire, not the figure), any other measure by its label, its code only when the
 * instrument has no label. Kept whole everywhere, charts included. */
static const char *measure_label(const session *s)
{
    if (s->review->measure_level == SIPAS_LEVEL_OVERALL)
        return T(s, "Chỉ số hài lòng chung", "Overall satisfaction index");
    const char *l = s->vi ? s->review->label_vi : s->review->label_en;
    return l && *l ? l : s->review->measure;
}

static const char *unit_label(const session *s, const char *code)
{
    return sipas_index_domain_label(s->data->inst, s->unit_column, code, s->vi ? "vi" : "en");
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

/* An estimate's NCHS flags in words, "; "-separated ("khoảng tin cậy rộng; ít bậc tự do");
 * "" when none. The appendix explains each. */
static const char *flag_words(const session *s, unsigned flags, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *vi, *en;
    } words[] = {
        {SIPAS_NCHS_SMALL_N_EFF, "cỡ mẫu hiệu dụng dưới 30", "effective sample under 30"},
        {SIPAS_NCHS_WIDE_CI, "khoảng tin cậy rộng", "wide interval"},
        {SIPAS_NCHS_WIDE_RELATIVE, "khoảng rộng so với giá trị", "interval wide for the value"},
        {SIPAS_NCHS_NO_CI, "không có khoảng tin cậy", "no interval"},
        {SIPAS_NCHS_FEW_DF, "ít bậc tự do", "few degrees of freedom"}};
    buf[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        if (!(flags & words[k].bit))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? "; " : "",
                         s->vi ? words[k].vi : words[k].en);
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
    sipas_number_set_decimal(buf, s->vi ? ',' : '.');
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
    char label[8][160];
} chart_text;

/* A point NCHS says not to publish: drawn open (hollow point, outlined bar or cell). */
static bool suppressed(const sipas_review_point *p)
{
    return (p->flags & SIPAS_NCHS_SUPPRESS) != 0;
}

static const char *suppressed_words(const session *s)
{
    return T(s, "Không đủ tin cậy để công bố (NCHS)", "Not reliable enough to publish (NCHS)");
}

/* "95%" for the review's confidence level. */
static void level_text(const session *s, char *buf, size_t size)
{
    threshold_text(s, s->review->level, buf, size);
}

/* The title of the percentage axis with the interval's level, written into text->label[7]
 * (labels 0 to 5 are the charts' own, 6 the trend's band words). */
static const char *satisfied_axis(const session *s, chart_text *text)
{
    char level[32];
    level_text(s, level, sizeof level);
    snprintf(text->label[7], sizeof text->label[7],
             T(s, "Tỷ lệ hài lòng (%%), khoảng tin cậy %s", "Satisfied (%%), %s interval"), level);
    return text->label[7];
}

/* A trend chart's axis titles where the caller gave none. */
static void trend_axes(const session *s, sipas_plot_options *o, chart_text *text)
{
    if (o->x_label == NULL)
        o->x_label = T(s, "Năm khảo sát", "Survey year");
    if (o->y_label == NULL)
        o->y_label = satisfied_axis(s, text);
}

static sipas_plot_wave plot_wave(const sipas_review_point *p)
{
    return (sipas_plot_wave){.year = p->value.year, .estimate = p->value.estimate,
                             .ci_low = p->ci_low, .ci_high = p->ci_high,
                             .suppressed = suppressed(p)};
}

/* The key words of a trend chart; `band` is written into text->label[6]. */
static sipas_plot_key_words trend_key(const session *s, chart_text *text)
{
    char level[32];
    level_text(s, level, sizeof level);
    snprintf(text->label[6], sizeof text->label[6],
             T(s, "Khoảng tin cậy %s của xu hướng", "%s interval of the trend"), level);
    return (sipas_plot_key_words){
        .fit = T(s, "Xu hướng (hồi quy logit)", "Trend (logit regression)"),
        .projection = T(s, "Dự báo", "Projection"),
        .band = text->label[6],
        .target = T(s, "Mục tiêu", "Target"),
        .suppressed = suppressed_words(s),
        .panel = NULL};
}

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
    for (size_t i = 0; i < r->nwaves; i++)
        if (r->province[i].estimable)
            waves[nwaves++] = plot_wave(&r->province[i]);
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
    for (size_t i = 0; i < r->ntargets && ntargets < 6; i++) { /* text.label[0..5] */
        const sipas_target_row *t = r->targets[i].target;
        char th[32];
        threshold_text(s, t->target.threshold, th, sizeof th);
        snprintf(text.label[ntargets], sizeof text.label[ntargets], "%s%s (%.0f)",
                 t->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "≥", th, t->target.year);
        targets[ntargets] = (sipas_plot_target){t->target.threshold, t->target.year,
                                                text.label[ntargets]};
        ntargets++;
    }
    char note[256] = "";
    if (r->has_trend)
        sipas_review_projection_note(&r->fit, s->vi, note, sizeof note);
    sipas_plot_trend trend = {.series = &series, .nseries = 1,
                              .targets = ntargets ? targets : NULL, .ntargets = ntargets,
                              .y_min = NAN, .y_max = NAN, .note = note,
                              .key = trend_key(s, &text), .panels = false};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        snprintf(text.title, sizeof text.title, T(s, "%s, toàn tỉnh %.0f–%.0f%s",
                                                 "%s, province %.0f–%.0f%s"),
                 measure_label(s), nwaves ? waves[0].year : r->wave,
                 r->wave,
                 nfit ? T(s, ", xu hướng và dự báo", ", trend and projection") : "");
        o.title = text.title;
    }
    trend_axes(s, &o, &text);
    sipas_status st = sipas_plot_trend_chart(&trend, &o, err);
    free(waves);
    free(fit);
    return st;
}

/* More domains than this get small multiples, one panel each, instead of lines in one plot. */
#define TREND_LINES_MAX 6

/* The measure over the waves in each unit of the review's unit column (a domain such as
 * inpatient and outpatient, or each district), the province as the reference. */
static sipas_status draw_trend_by_unit(const session *s, const sipas_plot_options *opt,
                                       sipas_error *err)
{
    const sipas_review *r = s->review;
    size_t nseries = 1;
    size_t total = r->nwaves;
    for (size_t u = 0; u < r->nunits; u++)
        if (r->units[u].nwaves > 0) {
            nseries++;
            total += r->units[u].nwaves;
        }
    if (nseries < 2)
        return sipas_error_set(err, SIPAS_ERR_MATH, "no unit of '%s' has an estimate in any wave",
                               s->unit_column);
    sipas_plot_series *series = calloc(nseries, sizeof *series);
    sipas_plot_wave *waves = calloc(total ? total : 1, sizeof *waves);
    if (series == NULL || waves == NULL) {
        free(series);
        free(waves);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t used = 0;
    series[0] = (sipas_plot_series){.name = T(s, "Toàn tỉnh", "Province"), .waves = waves};
    for (size_t i = 0; i < r->nwaves; i++)
        if (r->province[i].estimable)
            waves[used++] = plot_wave(&r->province[i]);
    series[0].nwaves = used;
    size_t k = 1;
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        if (un->nwaves == 0)
            continue;
        series[k] = (sipas_plot_series){.name = unit_label(s, un->code), .waves = waves + used};
        for (size_t i = 0; i < un->nwaves; i++)
            if (un->series[i].estimable)
                waves[used + series[k].nwaves++] = plot_wave(&un->series[i]);
        used += series[k].nwaves;
        k++;
    }
    const sipas_target_row *target = current_target(s);
    chart_text text;
    sipas_plot_target tg = {0};
    if (target) {
        char th[32];
        threshold_text(s, target->target.threshold, th, sizeof th);
        snprintf(text.label[0], sizeof text.label[0], "%s%s (%.0f)",
                 target->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "≥", th,
                 target->target.year);
        tg = (sipas_plot_target){target->target.threshold, target->target.year, text.label[0]};
    }
    /* the unit column's label, capitalised as a legend entry: "Huyện/thành phố" */
    const sipas_item *item = sipas_instrument_item(s->inst, s->unit_column);
    const char *words = item ? (s->vi ? item->label_vi : item->label_en) : NULL;
    sipas_plot_trend trend = {.series = series, .nseries = nseries,
                              .targets = target ? &tg : NULL, .ntargets = target ? 1 : 0,
                              .y_min = NAN, .y_max = NAN, .note = NULL,
                              .key = trend_key(s, &text),
                              .panels = nseries - 1 > TREND_LINES_MAX};
    trend.key.panel = words && *words ? words : s->unit_column;
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        snprintf(text.title, sizeof text.title, T(s, "%s theo %s, %.0f–%.0f",
                                                 "%s by %s, %.0f–%.0f"),
                 measure_label(s), s->unit_words,
                 series[0].nwaves ? series[0].waves[0].year : r->wave, r->wave);
        o.title = text.title;
    }
    trend_axes(s, &o, &text);
    sipas_status st = sipas_plot_trend_chart(&trend, &o, err);
    free(series);
    free(waves);
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
        units[i] = (sipas_plot_unit){.name = label, .estimate = u->current.value.estimate,
                                     .ci_low = u->current.ci_low, .ci_high = u->current.ci_high,
                                     .suppressed = suppressed(&u->current)};
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
    char th[32], ref[32], level[32];
    if (target) {
        threshold_text(s, target->target.threshold, th, sizeof th);
        snprintf(text.label[0], sizeof text.label[0], T(s, "Mục tiêu %.0f: %s", "Target %.0f: %s"),
                 target->target.year, th);
    }
    snprintf(text.label[1], sizeof text.label[1], T(s, "Toàn tỉnh: %s", "Province: %s"),
             pct(s, r->province_current.value.estimate, ref, sizeof ref));
    level_text(s, level, sizeof level);
    snprintf(text.label[2], sizeof text.label[2],
             T(s, "Khoảng tin cậy %s của toàn tỉnh", "Province's %s interval"), level);
    /* Bars start at a round 10 points below the lowest interval: differences of a few points
     * between districts vanish on a 0-100 axis. The title says where the axis starts. */
    double x_min = floor(lowest * 10.0) / 10.0 - 0.1;
    if (x_min < 0)
        x_min = 0;
    char start[32];
    threshold_text(s, x_min, start, sizeof start);
    const sipas_review_point *prov = &r->province_current;
    sipas_plot_ranking ranking = {
        .units = units, .nunits = n,
        .target = target ? target->target.threshold : NAN,
        .target_label = target ? text.label[0] : NULL,
        .reference = prov->value.estimate,
        .reference_low = prov->ci_low, .reference_high = prov->ci_high,
        .reference_label = text.label[1], .reference_band_label = text.label[2],
        .below_label = target ? T(s, "Dưới mục tiêu", "Below target") : NULL,
        .x_min = x_min, .show_values = true, .suppressed_label = suppressed_words(s)};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        snprintf(text.title, sizeof text.title,
                 T(s, "%s theo %s, %.0f (trục từ %s)", "%s by %s, %.0f (axis from %s)"),
                 measure_label(s), s->unit_words, r->wave, start);
        o.title = text.title;
    }
    if (o.x_label == NULL)
        o.x_label = satisfied_axis(s, &text);
    sipas_status st = sipas_plot_ranking_chart(&ranking, &o, err);
    free(order);
    free(units);
    free(labels);
    return st;
}

/* An element's own target on the province in targets.csv (form and measure the element), the
 * first target year at or after the reviewed wave, else the latest; NULL when it has none. */
static const sipas_target_row *element_target(const session *s, const char *element)
{
    const sipas_targets *all = s->in->targets;
    const sipas_target_row *best = NULL, *latest = NULL;
    for (size_t i = 0; all != NULL && i < all->ntargets; i++) {
        const sipas_target_row *t = &all->targets[i];
        if (t->form == NULL || t->measure == NULL || strcmp(t->form, s->inst->form_id) != 0 ||
            strcmp(t->measure, element) != 0 || strcmp(t->scope, "province") != 0)
            continue;
        if (latest == NULL || t->target.year > latest->target.year)
            latest = t;
        if (t->target.year >= s->review->wave &&
            (best == NULL || t->target.year < best->target.year))
            best = t;
    }
    return best ? best : latest;
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
    double *own = calloc(ne, sizeof *own);
    if (current == NULL || previous == NULL || own == NULL) {
        free(current);
        free(previous);
        free(own);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    bool any_previous = false;
    for (size_t e = 0; e < ne; e++) {
        const sipas_review_element *el = &r->elements[e];
        const sipas_review_point *c = &el->current;
        current[e] = c->estimable
            ? (sipas_plot_unit){.name = element_label(s, el), .estimate = c->value.estimate,
                                .ci_low = c->ci_low, .ci_high = c->ci_high,
                                .suppressed = suppressed(c)}
            : (sipas_plot_unit){.name = element_label(s, el), .estimate = NAN, .ci_low = NAN,
                                .ci_high = NAN, .suppressed = false};
        const sipas_review_point *p = &el->previous;
        previous[e] = el->has_previous
            ? (sipas_plot_unit){.name = NULL, .estimate = p->value.estimate, .ci_low = p->ci_low,
                                .ci_high = p->ci_high, .suppressed = suppressed(p)}
            : (sipas_plot_unit){.name = NULL, .estimate = NAN, .ci_low = NAN, .ci_high = NAN,
                                .suppressed = false};
        any_previous |= el->has_previous;
        const sipas_target_row *t = element_target(s, el->name);
        own[e] = t ? t->target.threshold : NAN;
    }
    const sipas_target_row *target = current_target(s);
    chart_text text;
    char th[32];
    if (target) {
        threshold_text(s, target->target.threshold, th, sizeof th);
        snprintf(text.label[0], sizeof text.label[0],
                 T(s, "Mục tiêu chung %.0f: %s", "Overall target %.0f: %s"),
                 target->target.year, th);
    }
    snprintf(text.label[1], sizeof text.label[1], "%.0f", r->wave);
    snprintf(text.label[2], sizeof text.label[2], "%.0f", r->previous_wave);
    sipas_plot_profile profile = {
        .current = current, .previous = any_previous ? previous : NULL, .nelements = ne,
        .current_name = text.label[1], .previous_name = any_previous ? text.label[2] : NULL,
        .target = target ? target->target.threshold : NAN,
        .target_label = target ? text.label[0] : NULL, .x_min = NAN, .x_max = NAN,
        .element_targets = own,
        .element_target_label = T(s, "Mục tiêu riêng của yếu tố (targets.csv)",
                                  "The element's own target (targets.csv)"),
        .suppressed_label = suppressed_words(s)};
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        if (any_previous)
            snprintf(text.title, sizeof text.title,
                     T(s, "Các yếu tố, toàn tỉnh, %.0f so với %.0f",
                       "Elements, province, %.0f against %.0f"),
                     r->wave, r->previous_wave);
        else
            snprintf(text.title, sizeof text.title, T(s, "Các yếu tố, toàn tỉnh, %.0f",
                                                      "Elements, province, %.0f"),
                     r->wave);
        o.title = text.title;
    }
    if (o.x_label == NULL)
        o.x_label = satisfied_axis(s, &text);
    sipas_status st = sipas_plot_profile_chart(&profile, &o, err);
    free(current);
    free(previous);
    free(own);
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
    bool *open = calloc((r->nunits ? r->nunits : 1) * (ne ? ne : 1), sizeof *open);
    sipas_status st = SIPAS_OK;
    if (order == NULL || rows == NULL || columns == NULL || values == NULL || open == NULL) {
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
            open[i * ne + e] = p->estimable && suppressed(p);
        }
    }
    /* The classes' thresholds: the target and SIPAS_PLOT_HEAT_BAND below it. */
    const sipas_target_row *target = current_target(s);
    chart_text text;
    if (target) {
        char th[32], band[32];
        double t = target->target.threshold;
        threshold_text(s, t, th, sizeof th);
        threshold_text(s, t - SIPAS_PLOT_HEAT_BAND, band, sizeof band);
        snprintf(text.label[0], sizeof text.label[0],
                 T(s, "≥ %s (mục tiêu %.0f)", "≥ %s (the %.0f target)"), th, target->target.year);
        snprintf(text.label[1], sizeof text.label[1], T(s, "%s đến dưới %s", "%s to under %s"),
                 band, th);
        snprintf(text.label[2], sizeof text.label[2], T(s, "dưới %s", "under %s"), band);
    }
    sipas_plot_heatmap heat = {
        .row_names = rows, .nrows = n, .column_names = columns, .ncolumns = ne,
        .values = values, .suppressed = open,
        .target = target ? target->target.threshold : NAN,
        .class_labels = {text.label[0], text.label[1], text.label[2]},
        .suppressed_label = suppressed_words(s)};
    if (!target)
        heat.class_labels[0] = heat.class_labels[1] = heat.class_labels[2] = NULL;
    sipas_plot_options o = *opt;
    if (o.title == NULL) {
        snprintf(text.title, sizeof text.title, T(s, "Các yếu tố theo %s, năm %.0f",
                                                  "Elements by %s, %.0f"),
                 s->unit_words, r->wave);
        o.title = text.title;
    }
    st = sipas_plot_heatmap_chart(&heat, &o, err);
cleanup:
    free(order);
    free(rows);
    free(columns);
    free(values);
    free(open);
    return st;
}

static sipas_status draw(const session *s, sipas_review_chart kind, const sipas_plot_options *opt,
                         sipas_error *err)
{
    switch (kind) {
    case SIPAS_REVIEW_CHART_TREND: return draw_trend(s, opt, err);
    case SIPAS_REVIEW_CHART_RANKING: return draw_ranking(s, opt, err);
    case SIPAS_REVIEW_CHART_PROFILE: return draw_profile(s, opt, err);
    case SIPAS_REVIEW_CHART_HEATMAP: return draw_heatmap(s, opt, err);
    case SIPAS_REVIEW_CHART_TREND_BY_UNIT: return draw_trend_by_unit(s, opt, err);
    }
    return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown chart kind");
}

sipas_status sipas_review_chart_draw(const sipas_review_report_input *in, sipas_review_chart kind,
                                     const sipas_plot_options *opt, sipas_error *err)
{
    session s;
    sipas_status st = session_init(&s, in, err);
    return st != SIPAS_OK ? st : draw(&s, kind, opt, err);
}

/* ---------------------------------------------------------------------------------------------
 * The report. */

/* Charts drawn as SVG into a private temporary directory, read back, then removed. */
typedef struct chart_dir {
    char path[512];
} chart_dir;

static sipas_status add_chart(const session *s, sipas_report *report, chart_dir *dir,
                              sipas_review_chart kind, const char *caption, sipas_error *err)
{
    static const char *const names[] = {"trend.svg", "ranking.svg", "profile.svg", "heatmap.svg",
                                        "trend_by_unit.svg"};
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
    /* a weighting that moves the headline must be seen beside it, not only in the appendix */
    if (s->in->index.weighting != SIPAS_WEIGHTING_DESIGN && isfinite(s->in->unweighted_headline)) {
        char text[512];
        snprintf(text, sizeof text,
                 T(s, "Lưu ý: chỉ số này dùng trọng số đã hiệu chỉnh (phụ lục); với trọng số thiết "
                      "kế lưu cùng dữ liệu, chỉ số là %s (chênh %s điểm phần trăm).",
                   "Note: this index uses adjusted weights (appendix); with the design weights "
                   "stored with the data it is %s (a difference of %s percentage points)."),
                 pct(s, s->in->unweighted_headline, a, sizeof a),
                 points(s, now->value.estimate - s->in->unweighted_headline, b, sizeof b));
        sipas_report_note(rep, text);
    }
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

static bool other_target(const session *s, const sipas_review_target *rt);
static void target_row(const session *s, sipas_report_table *t, const sipas_review_target *rt);

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
    for (size_t i = 0; i < r->ntargets; i++)
        target_row(s, t, &r->targets[i]);
    /* the targets of the form's other measures (an element, a criterion), judged the same way */
    size_t nother = 0;
    for (size_t i = 0; i < s->nother_targets; i++)
        nother += other_target(s, &s->other_targets[i]);
    if (nother == 0)
        return;
    sipas_report_table *o = sipas_report_table_add(
        rep, "targets_measures", T(s, "Mục tiêu yếu tố", "Element targets"),
        T(s, "Mục tiêu của các yếu tố và tiêu chí", "Targets of elements and criteria"),
        s->vi ? vi_cols : en_cols, 11, NULL);
    for (size_t i = 0; i < s->nother_targets; i++)
        if (other_target(s, &s->other_targets[i]))
            target_row(s, o, &s->other_targets[i]);
}

/* A target of this form on the province that is not one of the reviewed measure's. */
static bool other_target(const session *s, const sipas_review_target *rt)
{
    return rt->survey && rt->target->measure != NULL &&
           strcmp(rt->target->measure, s->review->measure) != 0;
}

static void target_row(const session *s, sipas_report_table *t, const sipas_review_target *rt)
{
    const sipas_target_row *row = rt->target;
    const sipas_target_verdict *v = &rt->verdict;
    sipas_report_row(t, 0);
    sipas_report_text(t, sipas_target_label(row, s->vi));
    sipas_report_value(t, row->target.year, 0);
    sipas_report_value(t, row->target.threshold, 0);
    sipas_report_text(t, row->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "≥");
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
    sipas_report_value(t, sipas_review_crossing_year(&rt->crossing), 0);
    sipas_report_text(t, row->source);
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
        *st = add_chart(s, rep, dir, SIPAS_REVIEW_CHART_TREND,
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

/* Units by wave, wide: one row per unit (in the choice list's order), one column per wave, the
 * province first: the district × year table annual reports print. */
static void section_units_by_wave(const session *s, sipas_report *rep)
{
    const sipas_review *r = s->review;
    size_t nwaves = r->nwaves > 31 ? 31 : r->nwaves; /* the last 31 waves: a table has 32 columns */
    size_t first = r->nwaves - nwaves;
    char headers[31][32];
    sipas_report_column cols[32];
    cols[0] = (sipas_report_column){T(s, "Đơn vị", "Unit"), SIPAS_REPORT_TEXT};
    for (size_t k = 0; k < nwaves; k++) {
        snprintf(headers[k], sizeof headers[k], "%.0f (%%)", r->province[first + k].value.year);
        cols[1 + k] = (sipas_report_column){headers[k], SIPAS_REPORT_PERCENT};
    }
    char caption[256];
    snprintf(caption, sizeof caption, T(s, "%s theo %s và năm", "%s by %s and year"),
             measure_label(s), s->unit_words);
    sipas_report_table *t = sipas_report_table_add(
        rep, "units_by_wave", T(s, "Đơn vị theo năm", "Units by year"), caption, cols,
        1 + nwaves, T(s, "Ô trống: đơn vị không có số liệu năm đó.",
                      "Empty cell: no data for the unit that year."));
    sipas_report_row(t, SIPAS_REPORT_STRONG);
    sipas_report_text(t, T(s, "Toàn tỉnh", "Province"));
    for (size_t k = 0; k < nwaves; k++) {
        const sipas_review_point *p = &r->province[first + k];
        sipas_report_value(t, p->estimable ? p->value.estimate : NAN, flag_marks(p->flags));
    }
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *unit = &r->units[u];
        sipas_report_row(t, 0);
        sipas_report_text(t, unit_label(s, unit->code));
        for (size_t k = 0; k < nwaves; k++) {
            const sipas_review_point *p = NULL;
            for (size_t w = 0; w < unit->nwaves && p == NULL; w++)
                if (unit->series[w].value.year == r->province[first + k].value.year)
                    p = &unit->series[w];
            sipas_report_value(t, p ? p->value.estimate : NAN, p ? flag_marks(p->flags) : 0);
        }
    }
}

static void section_units(const session *s, sipas_report *rep, chart_dir *dir, sipas_error *err,
                          sipas_status *st)
{
    const sipas_review *r = s->review;
    sipas_report_heading(rep, 1, "ranking", T(s, "Xếp hạng đơn vị", "Ranking of units"));
    if (*st == SIPAS_OK && r->ranked > 0)
        *st = add_chart(s, rep, dir, SIPAS_REVIEW_CHART_RANKING,
                        T(s, "Đơn vị xếp theo chỉ số với khoảng tin cậy; thanh màu cam: dưới mục "
                             "tiêu; thanh chỉ có viền: không đủ tin cậy để công bố; vùng xám: "
                             "khoảng tin cậy của toàn tỉnh, tam giác: giá trị toàn tỉnh; nét đứt "
                             "đỏ: mục tiêu.",
                          "Units by their index with intervals; orange bars: below the target; "
                          "outlined bars: not reliable enough to publish; grey band: the "
                          "province's interval, triangle: its value; red dashes: the target."),
                        err);
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
    /* each unit over the waves: lines for a few domains, small multiples for districts */
    if (*st == SIPAS_OK && r->nunits >= 2 && r->nwaves >= 2)
        *st = add_chart(s, rep, dir, SIPAS_REVIEW_CHART_TREND_BY_UNIT,
                        T(s, "Chỉ số của từng đơn vị qua các năm (màu xám: toàn tỉnh; điểm rỗng: "
                             "không đủ tin cậy để công bố).",
                          "Each unit's index over the waves (grey: the province; open points: "
                          "not reliable enough to publish)."), err);
    section_units_by_wave(s, rep);
}

static void section_elements(const session *s, sipas_report *rep, chart_dir *dir,
                             sipas_error *err, sipas_status *st)
{
    const sipas_review *r = s->review;
    if (r->nelements == 0)
        return;
    sipas_report_heading(rep, 1, "elements", T(s, "Các yếu tố", "Elements"));
    if (*st == SIPAS_OK)
        *st = add_chart(s, rep, dir, SIPAS_REVIEW_CHART_PROFILE,
                        T(s, "Mỗi yếu tố năm nay (chấm tròn) so với năm trước (ô vuông xám), với "
                             "khoảng tin cậy; điểm rỗng: không đủ tin cậy để công bố; vạch đỏ "
                             "đậm: mục tiêu riêng của yếu tố khi targets.csv có.",
                          "Each element this year (dots) against last year (grey squares), with "
                          "intervals; open points: not reliable enough to publish; dark red "
                          "bar: the element's own target when targets.csv has one."), err);
    if (*st == SIPAS_OK && r->ranked > 0)
        *st = add_chart(s, rep, dir, SIPAS_REVIEW_CHART_HEATMAP,
                        T(s, "Đơn vị × yếu tố: xanh từ mục tiêu trở lên, vàng trong 10 điểm dưới "
                             "mục tiêu, đỏ thấp hơn nữa (ngưỡng cố định, không theo dữ liệu); ô "
                             "trắng có †: không đủ tin cậy để công bố.",
                          "Units by elements: green at or above the target, amber within 10 "
                          "points below it, red further below (fixed thresholds, not the data's "
                          "range); white cells with †: not reliable enough to publish."), err);
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
/* Missing answers of kind k in row i: a criterion's own count; an element's or the overall
 * index's the total over its criteria (rows run overall, then each element followed by its
 * criteria, per domain). */
static size_t missing_answers(const sipas_index_result *ix, size_t i, int k)
{
    const sipas_index_row *row = &ix->rows[i];
    if (row->level == SIPAS_LEVEL_CRITERION)
        return row->n_missing[k];
    size_t total = 0;
    for (size_t j = i + 1; j < ix->nrows && ix->rows[j].domain == row->domain &&
                           ix->rows[j].level != row->level; j++)
        if (ix->rows[j].level == SIPAS_LEVEL_CRITERION)
            total += ix->rows[j].n_missing[k];
    return total;
}

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
        {T(s, "Cấp", "Level"), SIPAS_REPORT_TEXT},
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
    sipas_report_table *t = sipas_report_table_add(
        rep, "criteria", T(s, "Tiêu chí", "Criteria"), caption, cols, sizeof cols / sizeof cols[0],
        T(s, "Dòng yếu tố và chỉ số chung: n là số phiếu; số câu trống, không biết, không áp dụng "
             "và từ chối là tổng của các tiêu chí; deff là phương sai theo thiết kế chia phương "
             "sai của cùng tổ hợp dưới mẫu ngẫu nhiên đơn giản cùng số phiếu (phụ lục).",
          "Element and overall rows: n counts respondents; the empty, don't-know, not-applicable "
          "and refused counts are the totals over their criteria; deff is the design variance "
          "over the variance of the same combination under simple random sampling of as many "
          "respondents (appendix)."));
    for (size_t i = 0; i < ix->nrows; i++) {
        const sipas_index_row *row = &ix->rows[i];
        unsigned m = flag_marks(row->flags);
        char flags[256];
        sipas_report_row(t, row->level == SIPAS_LEVEL_CRITERION ? 0 : SIPAS_REPORT_STRONG);
        sipas_report_text(t, row->level == SIPAS_LEVEL_OVERALL ? T(s, "chung", "overall")
                             : row->level == SIPAS_LEVEL_ELEMENT ? T(s, "yếu tố", "element")
                             : T(s, "tiêu chí", "criterion"));
        const char *label = s->vi ? row->label_vi : row->label_en;
        sipas_report_text(t, label && *label ? label : row->name);
        sipas_report_value(t, (double)row->n, 0);
        sipas_report_value(t, row->estimable ? row->estimate : NAN, m);
        sipas_report_value(t, row->ci_low, m & SIPAS_REPORT_SUPPRESSED);
        sipas_report_value(t, row->ci_high, m & SIPAS_REPORT_SUPPRESSED);
        sipas_report_value(t, 100.0 * row->se, 0);
        sipas_report_value(t, row->deff, 0);
        for (int k = 0; k < SIPAS_MISSING_KINDS; k++)
            sipas_report_value(t, (double)missing_answers(ix, i, k), 0);
        if (row->estimable && isfinite(row->estimate) && !sipas_review_row_has_variance(row)) {
            char words[256];
            sipas_review_not_estimable(row->variance_status != SIPAS_VARIANCE_OK
                                           ? sipas_variance_status_text(row->variance_status,
                                                                        s->vi ? "vi" : "en")
                                           : sipas_review_no_variance_reason(s->vi),
                                       s->vi, words, sizeof words);
            sipas_report_text(t, words);
        } else {
            sipas_report_text(t, flag_words(s, row->flags, flags, sizeof flags));
        }
    }
}

/* The reviewed wave's design: its strata and PSUs, and the strata with a single PSU (whose
 * handling the lonely-PSU rule decides). */
typedef struct wave_design {
    size_t strata, psus;
    size_t nlonely;
    double *lonely; /* stratum keys (a code's number or a text level's index); malloc'd */
} wave_design;

typedef struct stratum_psu {
    double stratum, psu;
} stratum_psu;

static int compare_stratum_psu(const void *a, const void *b)
{
    const stratum_psu *x = a, *y = b;
    if (x->stratum != y->stratum)
        return (x->stratum > y->stratum) - (x->stratum < y->stratum);
    return (x->psu > y->psu) - (x->psu < y->psu);
}

/* A cell as a sortable key: the number, or the text level's index; an empty cell is -inf (a
 * key of its own that sorts, unlike NaN). */
static double cell_key(const sipas_column *c, size_t row)
{
    if (c == NULL)
        return 0; /* no such column: one stratum, or each respondent its own PSU (below) */
    double key = c->is_text ? (c->level[row] < 0 ? NAN : (double)c->level[row])
                           : sipas_column_number(c, row);
    return isnan(key) ? -INFINITY : key;
}

static sipas_status wave_design_count(const session *s, wave_design *out)
{
    const sipas_dataset *d = s->data;
    const sipas_column *wave = sipas_dataset_role(d, SIPAS_ROLE_WAVE);
    const sipas_column *stratum = sipas_dataset_role(d, SIPAS_ROLE_STRATUM);
    const sipas_column *psu = sipas_dataset_role(d, SIPAS_ROLE_CLUSTER);
    stratum_psu *pairs = malloc((d->n ? d->n : 1) * sizeof *pairs);
    out->lonely = malloc((d->n ? d->n : 1) * sizeof *out->lonely);
    if (pairs == NULL || out->lonely == NULL) {
        free(pairs);
        free(out->lonely);
        out->lonely = NULL;
        return SIPAS_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (wave == NULL || cell_key(wave, i) == s->review->wave)
            pairs[n++] = (stratum_psu){cell_key(stratum, i), psu ? cell_key(psu, i) : (double)i};
    qsort(pairs, n, sizeof *pairs, compare_stratum_psu);
    for (size_t i = 0; i < n;) {
        size_t psus = 0, j = i;
        for (; j < n && pairs[j].stratum == pairs[i].stratum; j++)
            if (j == i || pairs[j].psu != pairs[j - 1].psu)
                psus++;
        out->strata++;
        out->psus += psus;
        if (psus == 1)
            out->lonely[out->nlonely++] = pairs[i].stratum;
        i = j;
    }
    free(pairs);
    return SIPAS_OK;
}

/* A stratum key as a reader sees it: the stratum column's label of the code. */
static const char *stratum_label(const session *s, double key, char *buf, size_t size)
{
    const sipas_column *c = sipas_dataset_role(s->data, SIPAS_ROLE_STRATUM);
    if (c == NULL || !isfinite(key))
        return "";
    if (c->is_text)
        snprintf(buf, size, "%s", c->levels[(size_t)key]);
    else
        snprintf(buf, size, "%.15g", key);
    return sipas_index_domain_label(s->data->inst, c->item->name, buf, s->vi ? "vi" : "en");
}

static const char *lonely_rule_words(const session *s, sipas_lonely_psu rule)
{
    switch (rule) {
    case SIPAS_LONELY_FAIL:
        return T(s, "\"fail\" (mặc định): miền có phiếu trong tầng đó không ước lượng được phương "
                    "sai; các miền khác tính như \"certainty\"",
                 "\"fail\" (the default): a domain with respondents in such a stratum has no "
                 "design-based variance; the others are computed as under \"certainty\"");
    case SIPAS_LONELY_REMOVE:
        return T(s, "\"remove\": tầng đó không đóng góp vào phương sai",
                 "\"remove\": such a stratum adds nothing to the variance");
    case SIPAS_LONELY_CERTAINTY:
        return T(s, "\"certainty\": đơn vị đó được coi là chọn chắc chắn, không đóng góp vào "
                    "phương sai", "\"certainty\": its PSU is taken as sampled with certainty and "
                 "adds nothing to the variance");
    case SIPAS_LONELY_ADJUST:
        return T(s, "\"adjust\": độ lệch của đơn vị được đo so với trung bình toàn bộ thay vì "
                    "trung bình tầng", "\"adjust\": its PSU is centred at the grand mean instead "
                 "of the stratum mean");
    case SIPAS_LONELY_AVERAGE:
        return T(s, "\"average\": tầng đó nhận phương sai trung bình của các tầng khác",
                 "\"average\": such a stratum gets the average variance of the others");
    }
    return "";
}

/* The lonely-PSU rule and the strata of the reviewed wave it touched. */
static void lonely_paragraph(const session *s, sipas_report *rep, const wave_design *design)
{
    char text[2048];
    int used = snprintf(text, sizeof text,
                        T(s, "Tầng chỉ có một đơn vị mẫu cấp 1 (--lonely-psu): quy tắc %s. ",
                          "Strata with a single primary sampling unit (--lonely-psu): rule %s. "),
                        lonely_rule_words(s, s->in->index.lonely_psu));
    if (design->nlonely == 0)
        snprintf(text + used, sizeof text - (size_t)used,
                 T(s, "Năm %.0f không có tầng nào như vậy: quy tắc không ảnh hưởng đến số liệu.",
                   "%.0f has no such stratum: the rule changes no figure."), s->review->wave);
    else {
        used += snprintf(text + used, sizeof text - (size_t)used,
                         s->vi ? "Năm %.0f có %zu tầng như vậy:"
                         : design->nlonely == 1 ? "%.0f has %zu such stratum:"
                         : "%.0f has %zu such strata:", s->review->wave, design->nlonely);
        char code[64];
        for (size_t i = 0; i < design->nlonely && used > 0 && (size_t)used < sizeof text; i++)
            used += snprintf(text + used, sizeof text - (size_t)used, "%s %s", i ? "," : "",
                             stratum_label(s, design->lonely[i], code, sizeof code));
        if (used > 0 && (size_t)used < sizeof text)
            snprintf(text + used, sizeof text - (size_t)used, ".");
    }
    sipas_report_paragraph(rep, text);
}

/* How the weights were adjusted (docs/calibration.md); raking that does not converge stops the
 * computation (sipas_index_compute), so a weighting stated here converged. */
static void weighting_paragraph(const session *s, sipas_report *rep)
{
    const sipas_index_options *o = &s->in->index;
    char text[2048], margins[1024] = "";
    size_t used = 0;
    for (size_t m = 0; m < o->nmargins && used < sizeof margins; m++) {
        const sipas_item *item = sipas_instrument_item(s->inst, o->margins[m].columns);
        const char *label = item ? (s->vi ? item->label_vi : item->label_en) : NULL;
        char words[128];
        int n = snprintf(margins + used, sizeof margins - used,
                         T(s, "%s%s (%zu ô)", "%s%s (%zu cells)"), m ? "; " : "",
                         mid_sentence(label && *label ? label : o->margins[m].columns, words,
                                      sizeof words), o->margins[m].ncells);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    switch (o->weighting) {
    case SIPAS_WEIGHTING_DESIGN:
        snprintf(text, sizeof text, "%s",
                 T(s, "Trọng số: trọng số thiết kế lưu cùng dữ liệu, không hiệu chỉnh.",
                   "Weights: the design weights stored with the data, not adjusted."));
        break;
    case SIPAS_WEIGHTING_BASE:
        snprintf(text, sizeof text,
                 T(s, "Trọng số: trọng số cơ sở N/n theo số dân đã lưu của %s, mỗi đợt theo số "
                      "của chính nó.",
                   "Weights: base weights N/n from the stored population counts of %s, each "
                   "wave from its own counts."), margins);
        break;
    case SIPAS_WEIGHTING_POSTSTRATIFY:
        snprintf(text, sizeof text,
                 T(s, "Trọng số: hậu phân tầng theo %s, mỗi đợt theo số dân của chính nó (như "
                      "postStratify của R); phương sai tính trên phần dư của điểm tuyến tính hóa "
                      "theo các ô hiệu chỉnh.",
                   "Weights: post-stratified to %s, each wave to its own counts (as R's "
                   "postStratify); the variance uses the residuals of the linearised scores on "
                   "the calibration cells."), margins);
        break;
    case SIPAS_WEIGHTING_RAKE:
        snprintf(text, sizeof text,
                 T(s, "Trọng số: cào (raking, lặp tỷ lệ) theo %s, mỗi đợt theo số dân của chính "
                      "nó, đã hội tụ (như rake của R, cùng ngưỡng hội tụ); phương sai tính trên "
                      "phần dư của điểm tuyến tính hóa theo các ô hiệu chỉnh.",
                   "Weights: raked (iterative proportional fitting) to %s, each wave to its own "
                   "counts, converged (as R's rake, same convergence threshold); the variance uses "
                   "the residuals of the linearised scores on the calibration cells."), margins);
        break;
    }
    sipas_report_paragraph(rep, text);
}

/* The instrument that scored the numbers, the versions the stored batches were imported under
 * and the program's version. The batches' list is sipas_store_check_instrument's text, whose
 * fixed words ("version 'V' (batch N)", "(batches A-B)", "(K batches from A to B)",
 * store.h) are put into Vietnamese here. */
static void versions_paragraph(const session *s, sipas_report *rep)
{
    const char *list = s->in->instrument_versions ? s->in->instrument_versions : "";
    char batches[1024];
    size_t used = 0;
    static const char *const words[][2] = {{"version '", "phiên bản '"},
                                           {" batches from ", " đợt nhập, từ đợt "},
                                           {"batches ", "các đợt nhập "},
                                           {"batch ", "đợt nhập "},
                                           {" to ", " đến "}};
    for (const char *p = list; *p && used + 1 < sizeof batches;) {
        size_t w = 0;
        while (s->vi && w < sizeof words / sizeof words[0] &&
               strncmp(p, words[w][0], strlen(words[w][0])) != 0)
            w++;
        if (s->vi && w < sizeof words / sizeof words[0]) {
            int n = snprintf(batches + used, sizeof batches - used, "%s", words[w][1]);
            if (n < 0 || (size_t)n >= sizeof batches - used)
                break;
            used += (size_t)n;
            p += strlen(words[w][0]);
        } else {
            batches[used++] = *p++;
        }
    }
    batches[used] = '\0';
    char text[2048];
    snprintf(text, sizeof text,
             T(s, "Bộ câu hỏi %s (%s), phiên bản %s; dữ liệu đã lưu theo %s. Tính bằng sipas %s.",
               "Instrument %s (%s), version %s; the stored data were imported under %s. Computed "
               "with sipas %s."),
             s->inst->form_id, s->vi ? s->inst->title_vi : s->inst->title_en, s->inst->version,
             *batches ? batches : "?", SIPAS_VERSION);
    sipas_report_paragraph(rep, text);
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
    wave_design design = {0};
    if (wave_design_count(s, &design) != SIPAS_OK) {
        sipas_report_paragraph(rep, NULL); /* out of memory: the report's sticky error */
        return;
    }
    snprintf(text, sizeof text,
             T(s, "Thiết kế mẫu năm %.0f: %zu phiếu, %zu tầng (cột tầng của công cụ), %zu đơn vị "
                  "mẫu cấp 1 (xã, phường, cơ sở) lồng trong tầng, trọng số của từng phiếu và hiệu "
                  "chỉnh quần thể hữu hạn khi công cụ có cột fpc. Mỗi đợt là một mẫu độc lập; một "
                  "năm là một miền của thiết kế chung gồm mọi đợt (%zu phiếu, %zu tầng đợt × tầng).",
               "Design of %.0f: %zu respondents, %zu strata (the instrument's stratum column), %zu "
               "primary sampling units (communes, facilities) nested in strata, each respondent's "
               "weight and the finite population correction where the instrument has an fpc "
               "column. Each wave is an independent sample; a year is a domain of the whole "
               "design of every wave (%zu respondents, %zu wave × stratum strata)."),
             r->wave, r->province[r->wave_index].respondents, design.strata, design.psus,
             ix->design_rows, ix->nstrata);
    sipas_report_paragraph(rep, text);
    weighting_paragraph(s, rep);
    lonely_paragraph(s, rep, &design);
    free(design.lonely);
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
    if (ix->nrows > 0 && isfinite(ix->rows[0].df)) {
        snprintf(text, sizeof text,
                 T(s, "Bậc tự do của chỉ số toàn tỉnh năm %.0f: %.0f (số đơn vị mẫu cấp 1 trừ số "
                      "tầng); của đơn vị và yếu tố: theo miền của chúng.",
                   "Degrees of freedom of the province index in %.0f: %.0f (primary units minus "
                   "strata); of units and elements: those of their domains."),
                 r->wave, ix->rows[0].df);
        sipas_report_paragraph(rep, text);
    }
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
        "\"cỡ mẫu hiệu dụng dưới 30\"; \"khoảng tin cậy rộng\" — rộng từ 30 điểm phần trăm; "
        "\"khoảng rộng so với giá trị\" — rộng hơn 5 điểm và hơn 130% giá trị; \"không có khoảng "
        "tin cậy\" — không tính được khoảng. Các giá trị có một trong bốn cờ này (†) vẫn được hiển "
        "thị nhưng in nghiêng màu xám, không nên công bố. \"Ít bậc tự do\" — dưới 8 bậc tự do (‡): "
        "cần thận trọng.",
        "Presentation flags (NCHS 2017 standards, Parker et al., judged on the Korn-Graubard "
        "interval): \"effective sample under 30\"; \"wide interval\" — at least 30 percentage "
        "points wide; \"interval wide for the value\" — wider than 5 points and than 130% of the "
        "value; \"no interval\" — none could be computed. Values with any of these four (†) are "
        "shown greyed in italics, not hidden, and should not be published. \"Few degrees of "
        "freedom\" — fewer than 8 (‡): read with care."));
    versions_paragraph(s, rep);
    sipas_report_note(rep, T(s,
        "Công thức chi tiết và đối chiếu với R: docs/methodology.md (ước lượng, phương sai, "
        "khoảng tin cậy, deff, cờ) và docs/trends.md (thay đổi, xu hướng, mục tiêu, xếp hạng).",
        "Formulas in full and their R references: docs/methodology.md (estimates, variances, "
        "intervals, deff, flags) and docs/trends.md (changes, trends, targets, rankings)."));
}

/* The condition "wave column = the reviewed wave" that selects the wave's respondents. */
static sipas_status wave_condition(const session *s, sipas_condition *cond, sipas_error *err)
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
    return sipas_condition_parse(text, cond, err);
}

sipas_status sipas_review_report_wave_index(const sipas_review_report_input *in,
                                            sipas_index_result **out, sipas_error *err)
{
    session s;
    sipas_condition cond = {0};
    sipas_status st = session_init(&s, in, err);
    if (st == SIPAS_OK)
        st = wave_condition(&s, &cond, err);
    if (st != SIPAS_OK)
        return st;
    sipas_index_options o = in->index;
    o.where = &cond.filter;
    o.nwhere = 1;
    /* as the review: under --lonely-psu fail, rows of a lonely stratum are not estimable */
    st = sipas_review_index_compute(s.data, &o, out, err);
    sipas_condition_release(&cond);
    return st;
}

/* Who answered in the reviewed wave (sipas/respondent_profile.h). */
static void section_profile(const session *s, sipas_report *rep, sipas_error *err,
                            sipas_status *st)
{
    if (*st != SIPAS_OK)
        return;
    sipas_respondent_profile *p = NULL;
    *st = sipas_respondent_profile_compute(s->data, s->review->wave, &p, err);
    if (*st != SIPAS_OK || p->nattributes == 0) {
        sipas_respondent_profile_free(p);
        return;
    }
    char text[512];
    sipas_report_heading(rep, 1, "profile", T(s, "Người trả lời", "Respondents"));
    snprintf(text, sizeof text,
             T(s, "%zu phiếu năm %.0f theo từng đặc điểm: số phiếu, tỷ lệ trong các phiếu có trả "
                  "lời đặc điểm đó, và tỷ lệ theo trọng số thiết kế (cơ cấu tổng thể mà mẫu đại "
                  "diện).",
               "The %zu respondents of %.0f by each attribute: count, share of those who answered "
               "it, and share under the design weights (the population structure the sample "
               "stands for)."),
             p->respondents, s->review->wave);
    sipas_report_paragraph(rep, text);
    sipas_report_column cols[] = {
        {T(s, "Đặc điểm", "Attribute"), SIPAS_REPORT_TEXT},
        {T(s, "Nhóm", "Group"), SIPAS_REPORT_TEXT},
        {T(s, "Số phiếu", "Respondents"), SIPAS_REPORT_COUNT},
        {T(s, "Tỷ lệ (%)", "Share (%)"), SIPAS_REPORT_PERCENT},
        {T(s, "Tỷ lệ có trọng số (%)", "Weighted share (%)"), SIPAS_REPORT_PERCENT}};
    snprintf(text, sizeof text, T(s, "Cơ cấu người trả lời, năm %.0f", "Respondent profile, %.0f"),
             s->review->wave);
    sipas_report_table *t = sipas_report_table_add(rep, "profile", T(s, "Người trả lời",
                                                                     "Respondents"),
                                                   text, cols, 5, NULL);
    for (size_t i = 0; i < p->nattributes; i++) {
        const sipas_profile_attribute *a = &p->attributes[i];
        const char *attribute = s->vi ? a->item->label_vi : a->item->label_en;
        for (size_t j = 0; j < a->ncategories; j++) {
            const sipas_profile_category *c = &a->categories[j];
            const char *group = s->vi ? c->choice->label_vi : c->choice->label_en;
            sipas_report_row(t, 0);
            /* repeated on every row: the CSV and the workbook are filtered by it */
            sipas_report_text(t, attribute && *attribute ? attribute : a->item->name);
            sipas_report_text(t, group && *group ? group : c->choice->name);
            sipas_report_value(t, (double)c->n, 0);
            sipas_report_value(t, c->share, 0);
            sipas_report_value(t, c->weighted_share, 0);
        }
        if (a->empty > 0) {
            sipas_report_row(t, 0);
            sipas_report_text(t, attribute && *attribute ? attribute : a->item->name);
            sipas_report_text(t, T(s, "(không trả lời)", "(not answered)"));
            sipas_report_value(t, (double)a->empty, 0);
            sipas_report_value(t, NAN, 0);
            sipas_report_value(t, NAN, 0);
        }
    }
    sipas_respondent_profile_free(p);
}

/* Answers to each criterion in the reviewed wave: the share at each level with its interval,
 * and the missing kinds (sipas/answer_distribution.h). */
static void section_answers(const session *s, sipas_report *rep, sipas_error *err,
                            sipas_status *st)
{
    if (*st != SIPAS_OK)
        return;
    sipas_condition cond = {0};
    sipas_answer_distribution *dist = NULL;
    *st = wave_condition(s, &cond, err);
    if (*st == SIPAS_OK) {
        sipas_index_options o = s->in->index;
        o.where = &cond.filter;
        o.nwhere = 1;
        *st = sipas_answer_distribution_compute(s->data, &o, &dist, err);
    }
    sipas_condition_release(&cond);
    if (*st != SIPAS_OK || dist->ncriteria == 0) {
        sipas_answer_distribution_free(dist);
        return;
    }
    sipas_report_heading(rep, 1, "answers", T(s, "Phân bố câu trả lời", "Distribution of answers"));
    sipas_report_paragraph(rep, T(s,
        "Tỷ lệ câu trả lời hợp lệ ở từng mức của thang đo, có trọng số, với khoảng tin cậy; ước "
        "lượng như chỉ số của tiêu chí (cùng thiết kế, trọng số và phương pháp khoảng). Tỷ lệ các "
        "mức hài lòng cộng lại bằng chỉ số của tiêu chí. Câu trống, không biết, không áp dụng và "
        "từ chối không tính vào mẫu số và được đếm riêng.",
        "The weighted share of the valid answers at each level of the scale, with its interval, "
        "estimated as the criterion's index is (same design, weights and interval method). The "
        "shares of the satisfied levels add up to the criterion's index. Empty, don't-know, "
        "not-applicable and refused answers are left out of the denominator and counted apart."));
    const sipas_answer_criterion *first = &dist->criteria[0];
    size_t nlevels = first->nlevels > 8 ? 8 : first->nlevels;
    char headers[8][3][160];
    sipas_report_column cols[2 + 3 * 8 + 4];
    size_t nc = 0;
    cols[nc++] = (sipas_report_column){T(s, "Tiêu chí", "Criterion"), SIPAS_REPORT_TEXT};
    cols[nc++] = (sipas_report_column){T(s, "Số câu hợp lệ", "Valid answers"), SIPAS_REPORT_COUNT};
    for (size_t j = 0; j < nlevels; j++) {
        const sipas_choice *ch = first->levels[j].choice;
        const char *label = s->vi ? ch->label_vi : ch->label_en;
        if (label == NULL || *label == '\0')
            label = ch->name;
        snprintf(headers[j][0], sizeof headers[j][0], "%s (%%)", label);
        snprintf(headers[j][1], sizeof headers[j][1], T(s, "%s: cận dưới", "%s: lower"), label);
        snprintf(headers[j][2], sizeof headers[j][2], T(s, "%s: cận trên", "%s: upper"), label);
        for (int b = 0; b < 3; b++)
            cols[nc++] = (sipas_report_column){headers[j][b], SIPAS_REPORT_PERCENT};
    }
    cols[nc++] = (sipas_report_column){T(s, "Trống", "Empty"), SIPAS_REPORT_COUNT};
    cols[nc++] = (sipas_report_column){T(s, "Không biết", "Don't know"), SIPAS_REPORT_COUNT};
    cols[nc++] = (sipas_report_column){T(s, "Không áp dụng", "Not applicable"), SIPAS_REPORT_COUNT};
    cols[nc++] = (sipas_report_column){T(s, "Từ chối", "Refused"), SIPAS_REPORT_COUNT};
    char caption[256];
    snprintf(caption, sizeof caption, T(s, "Phân bố câu trả lời theo tiêu chí, toàn tỉnh, năm %.0f",
                                        "Answers by criterion, province, %.0f"), s->review->wave);
    sipas_report_table *t = sipas_report_table_add(rep, "answers", T(s, "Câu trả lời", "Answers"),
                                                   caption, cols, nc, NULL);
    for (size_t i = 0; i < dist->ncriteria; i++) {
        const sipas_answer_criterion *ac = &dist->criteria[i];
        const char *label = s->vi ? ac->item->label_vi : ac->item->label_en;
        sipas_report_row(t, 0);
        sipas_report_text(t, label && *label ? label : ac->item->name);
        sipas_report_value(t, (double)ac->valid, 0);
        for (size_t j = 0; j < nlevels; j++) {
            /* the level with the header's code, whatever its position in this list */
            const sipas_answer_share *sh = NULL;
            for (size_t b = 0; b < ac->nlevels && sh == NULL; b++)
                if (ac->levels[b].choice->value == first->levels[j].choice->value)
                    sh = &ac->levels[b];
            unsigned m = sh ? flag_marks(sh->flags) : 0;
            sipas_report_value(t, sh ? sh->share : NAN, m);
            sipas_report_value(t, sh ? sh->ci_low : NAN, m & SIPAS_REPORT_SUPPRESSED);
            sipas_report_value(t, sh ? sh->ci_high : NAN, m & SIPAS_REPORT_SUPPRESSED);
        }
        for (int k = 0; k < SIPAS_MISSING_KINDS; k++)
            sipas_report_value(t, (double)ac->missing[k], 0);
    }
    sipas_answer_distribution_free(dist);
}

/* The open-ended answers of the reviewed wave by unit (sipas/open_answers.h): a table of counts,
 * and the listing with personal data masked when it has at most in->comments_max answers (a
 * longer one would bury the review; a note says how to get it). One pair of tables per
 * open-ended question; none when the form has no such question. */
#define COMMENTS_NAME_SIZE 48

/* The CSV name and the sheet of a comments table of the number-th open-ended question (from
 * 0): "comments", "Góp ý" for the first, "comments_2", "Góp ý (2)" for the second... */
static void comments_table_names(char *name, char *sheet, const char *base_name,
                                 const char *base_sheet, size_t number)
{
    snprintf(name, COMMENTS_NAME_SIZE, number ? "%s_%zu" : "%s", base_name, number + 1);
    snprintf(sheet, COMMENTS_NAME_SIZE, number ? "%s (%zu)" : "%s", base_sheet, number + 1);
}

static void comments_tables(const session *s, sipas_report *rep, const sipas_open_answers *r,
                            size_t number)
{
    char name[COMMENTS_NAME_SIZE], sheet[COMMENTS_NAME_SIZE], caption[512], text[1024];
    const char *question = s->vi ? r->question->label_vi : r->question->label_en;
    if (question == NULL || *question == '\0')
        question = r->question->name;
    const sipas_item *unit = r->unit_item;
    const char *unit_header = unit ? (s->vi ? unit->label_vi : unit->label_en) : NULL;
    if (unit_header == NULL || *unit_header == '\0')
        unit_header = unit ? unit->name : T(s, "Đơn vị", "Unit");
    sipas_report_lang lang = report_lang(s);
    snprintf(text, sizeof text,
             T(s, "Câu hỏi mở \"%s\": %zu trong %zu phiếu năm %.0f có góp ý, %zu ghi không có ý "
                  "kiến, %zu để trống.",
               "Open-ended question \"%s\": %zu of the %zu respondents of %.0f commented, %zu "
               "wrote they had no comment, %zu left it empty."),
             question, r->answered, r->respondents, s->review->wave, r->no_comment, r->empty);
    sipas_report_paragraph(rep, text);
    comments_table_names(name, sheet, "comment_counts", T(s, "Số góp ý", "Comment counts"),
                         number);
    snprintf(caption, sizeof caption, T(s, "Số phiếu có góp ý theo %s, năm %.0f",
                                        "Respondents who commented by %s, %.0f"),
             s->unit_words, s->review->wave);
    sipas_report_column counts[] = {
        {unit_header, SIPAS_REPORT_TEXT},
        {T(s, "Số phiếu", "Respondents"), SIPAS_REPORT_COUNT},
        {T(s, "Có góp ý", "Commented"), SIPAS_REPORT_COUNT},
        {T(s, "Không có ý kiến", "No comment"), SIPAS_REPORT_COUNT},
        {T(s, "Để trống", "Empty"), SIPAS_REPORT_COUNT},
        {T(s, "Tỷ lệ có góp ý (%)", "Share who commented (%)"), SIPAS_REPORT_PERCENT}};
    sipas_report_table *t = sipas_report_table_add(rep, name, sheet, caption, counts, 6, NULL);
    for (size_t k = 0; k <= r->nunits; k++) {
        bool total = k == r->nunits;
        const sipas_open_answer_unit *u = total ? NULL : &r->units[k];
        size_t respondents = total ? r->respondents : u->respondents;
        size_t answered = total ? r->answered : u->answered;
        sipas_report_row(t, total ? SIPAS_REPORT_STRONG : 0);
        sipas_report_text(t, total ? T(s, "Toàn tỉnh", "Province")
                                   : sipas_open_answer_unit_label(r, u, lang));
        sipas_report_value(t, (double)respondents, 0);
        sipas_report_value(t, (double)answered, 0);
        sipas_report_value(t, (double)(total ? r->no_comment : u->no_comment), 0);
        sipas_report_value(t, (double)(total ? r->empty : u->empty), 0);
        sipas_report_value(t, respondents ? (double)answered / (double)respondents : NAN, 0);
    }
    size_t max = s->in->comments_max;
    if (r->answered > 0 && max == 0) {
        snprintf(text, sizeof text,
                 T(s, "Danh sách góp ý không in trong báo cáo này; xem toàn bộ (đã che thông tin "
                      "cá nhân) bằng lệnh sipas-analyze comments --form %s --wave %.0f.",
                   "The comments are not listed in this report; list them (personal data "
                   "masked) with sipas-analyze comments --form %s --wave %.0f."),
                 s->inst->form_id, s->review->wave);
        sipas_report_note(rep, text);
        return;
    }
    if (r->answered > max) {
        snprintf(text, sizeof text,
                 T(s, "Danh sách %zu góp ý dài hơn giới hạn %zu của báo cáo nên không in ở đây; "
                      "xem toàn bộ (đã che thông tin cá nhân) bằng lệnh sipas-analyze comments "
                      "--form %s --wave %.0f, hoặc nâng giới hạn bằng --comments-max.",
                   "The %zu comments are more than the report's limit of %zu and are not listed "
                   "here; list them all (personal data masked) with sipas-analyze comments "
                   "--form %s --wave %.0f, or raise the limit with --comments-max."),
                 r->answered, max, s->inst->form_id, s->review->wave);
        sipas_report_note(rep, text);
        return;
    }
    if (r->answered == 0)
        return;
    comments_table_names(name, sheet, "comments", T(s, "Góp ý", "Comments"), number);
    snprintf(caption, sizeof caption, T(s, "Góp ý theo %s, năm %.0f (đã che thông tin cá nhân)",
                                        "Comments by %s, %.0f (personal data masked)"),
             s->unit_words, s->review->wave);
    sipas_report_column listing[] = {{unit_header, SIPAS_REPORT_TEXT},
                                     {T(s, "Góp ý", "Comment"), SIPAS_REPORT_TEXT}};
    t = sipas_report_table_add(rep, name, sheet, caption, listing, 2, NULL);
    for (size_t k = 0; k < r->nunits; k++)
        for (size_t j = 0; j < r->units[k].nanswers; j++) {
            sipas_report_row(t, 0);
            sipas_report_text(t, sipas_open_answer_unit_label(r, &r->units[k], lang));
            sipas_report_text(t, r->units[k].answers[j].text);
        }
}

static void section_comments(const session *s, sipas_report *rep, sipas_error *err,
                             sipas_status *st)
{
    if (*st != SIPAS_OK)
        return;
    const sipas_item **questions = calloc(s->inst->nitems ? s->inst->nitems : 1,
                                          sizeof *questions);
    if (questions == NULL) {
        *st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        return;
    }
    size_t n = sipas_open_questions(s->inst, questions);
    /* a question of a newer instrument version than every stored batch has no answers yet */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const sipas_column *col = sipas_dataset_column(s->data, questions[i]->name);
        if (col != NULL && col->loaded)
            questions[kept++] = questions[i];
    }
    n = kept;
    for (size_t i = 0; i < n && *st == SIPAS_OK; i++) {
        sipas_open_answers *r = NULL;
        *st = sipas_open_answers_compute(s->data, questions[i]->name, s->unit_column,
                                         s->review->wave, report_lang(s), &r, err);
        if (*st == SIPAS_OK && i == 0) {
            sipas_report_heading(rep, 1, "comments", T(s, "Góp ý của người trả lời",
                                                       "Respondents' comments"));
            sipas_report_paragraph(rep, T(s,
                "Câu trả lời cho câu hỏi mở, theo đơn vị. Số điện thoại, địa chỉ thư điện tử và số "
                "định danh (CMND, CCCD, mã số thuế) đã được thay bằng [số điện thoại], [email], "
                "[số định danh]; các cột thông tin cá nhân không bao giờ được in. Tên người, địa "
                "chỉ do người trả lời tự viết không được che tự động: đọc lại danh sách trước khi "
                "công bố. Câu \"không có ý kiến\" và tương tự được đếm riêng, không in.",
                "Answers to the open-ended questions, by unit. Phone numbers, e-mail addresses "
                "and ID numbers (identity cards, tax codes) are replaced by [phone], [email], "
                "[ID number]; personal columns are never shown. Names and addresses typed by a "
                "respondent are not masked automatically: read the listing before publishing it. "
                "Answers such as \"no comment\" are counted apart and not listed."));
        }
        if (*st == SIPAS_OK)
            comments_tables(s, rep, r, i);
        sipas_open_answers_free(r);
    }
    free(questions);
}

/* Every Resolution 60 target, as of the reviewed wave (sipas/scorecard.h), when the caller
 * computed the scorecard. */
static void section_scorecard(const session *s, sipas_report *rep, chart_dir *dir,
                              sipas_error *err, sipas_status *st)
{
    char file[640];
    snprintf(file, sizeof file, "%s/scorecard.svg", dir->path);
    if (*st == SIPAS_OK && s->in->scorecard != NULL)
        *st = sipas_scorecard_report_section(s->in->scorecard, s->vi, rep, file, err);
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
    /* a warning when the sheets were allowed to differ from the stored batches' versions
     * (analysis_check_instrument); the versions themselves are in the appendix */
    if (s->in->instrument_warning)
        sipas_report_note(rep, s->in->instrument_warning);
    section_summary(s, rep);
    st = SIPAS_OK;
    section_profile(s, rep, err, &st);
    section_targets(s, rep);
    section_change(s, rep);
    section_trend(s, rep, dir, err, &st);
    section_scorecard(s, rep, dir, err, &st);
    section_units(s, rep, dir, err, &st);
    section_elements(s, rep, dir, err, &st);
    section_criteria(s, rep, ix);
    section_answers(s, rep, err, &st);
    section_comments(s, rep, err, &st);
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


sipas_status sipas_review_report_build(const sipas_review_report_input *in,
                                       const sipas_index_result *wave_index, sipas_report **out,
                                       sipas_error *err)
{
    session s;
    sipas_status st = session_init(&s, in, err);
    if (st != SIPAS_OK)
        return st;
    if (wave_index == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a review report needs the wave's index");
    /* every target of the form's measures on the province, for the element targets table;
     * sipas_review_targets judges on every stored wave, so only a review of the latest wave
     * shows them (an earlier wave's review would be judged on data it did not have) */
    if (in->targets != NULL && s.review->wave_index + 1 == s.review->nwaves &&
        (st = sipas_review_targets(in->data, &in->index, in->targets, &s.other_targets,
                                   &s.nother_targets, err)) != SIPAS_OK)
        return st;
    chart_dir dir = {0};
    const char *tmp = getenv("TMPDIR");
    snprintf(dir.path, sizeof dir.path, "%s/sipas-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir.path) == NULL) {
        free(s.other_targets);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot create a temporary directory '%s': %s",
                               dir.path, strerror(errno));
    }
    st = build_report(&s, &dir, wave_index, out, err);
    free(s.other_targets);
    if (rmdir(dir.path) != 0 && st == SIPAS_OK) {
        sipas_report_free(*out);
        *out = NULL;
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot remove '%s': %s", dir.path,
                             strerror(errno));
    }
    return st;
}
