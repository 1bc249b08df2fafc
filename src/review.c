/* src/review.c - the annual review of one measure (sipas/review.h): change since last year,
 * trend and target verdicts, units ranked against the province, built on the index and trend.c;
 * no printing. */
#include "sipas/review.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Caps that bound what the input can make us allocate: the projection band and the years
 * asked for are chosen by the caller, not by the data. */
#define REVIEW_MAX_BAND 4096
#define REVIEW_MAX_YEARS 64

static double level_of(const sipas_index_options *o)
{
    return o->level > 0 ? o->level : 0.95;
}

static double parse_year(const char *code)
{
    char *end = NULL;
    double v = strtod(code, &end);
    return (end != code && *end == '\0') ? v : NAN;
}

/* A row has a design-based variance when the index gives it one (variance_status OK), finite,
 * with a df that allows an interval: a df of 0 leaves nothing to test against. Such a point gets NaN variance, df, se and interval,
 * so that changes, rankings and trends treat it as not estimable (trend.h), never as SE 0. */
bool sipas_review_row_has_variance(const sipas_index_row *row)
{
    return row->variance_status == SIPAS_VARIANCE_OK && isfinite(row->variance) && row->df > 0;
}

/* The variance a point is tested with: the row's, except a design variance of exactly 0
 * (everyone satisfied; PSUs with the same share; a census stratum), which gets the SRS variance
 * at its n (trend.h), the design effect capped at 1 as the index's interval does then
 * (docs/methodology.md): a test against 0 would be spuriously certain. */
static double test_variance(const sipas_index_row *row)
{
    if (row->variance == 0.0)
        return sipas_trend_srs_variance(row->estimate, (double)row->n);
    return row->variance;
}

static sipas_review_point point_of(const sipas_index_row *row, double year, size_t respondents)
{
    bool variance_estimable = sipas_review_row_has_variance(row);
    sipas_review_point p = {
        .value = {.year = year, .estimate = row->estimate,
                  .variance = variance_estimable ? test_variance(row) : NAN,
                  .df = variance_estimable ? row->df : NAN, .n = (double)row->n},
        .se = variance_estimable ? row->se : NAN,
        .ci_low = variance_estimable ? row->ci_low : NAN,
        .ci_high = variance_estimable ? row->ci_high : NAN, .n = row->n,
        .respondents = respondents, .flags = row->flags,
        /* a withheld small cell keeps estimable but its values are NaN */
        .estimable = row->estimable && isfinite(row->estimate),
        .variance_estimable = variance_estimable,
        .variance_status = row->variance_status,
    };
    return p;
}

const char *sipas_review_point_reason(const sipas_review_point *point, bool vi)
{
    if (!point->estimable)
        return sipas_variance_status_text(SIPAS_VARIANCE_NO_ANSWER, vi ? "vi" : "en");
    if (point->variance_status != SIPAS_VARIANCE_OK)
        return sipas_variance_status_text(point->variance_status, vi ? "vi" : "en");
    return sipas_review_no_variance_reason(vi);
}

const char *sipas_review_not_estimable(const char *reason, bool vi, char *buf, size_t size)
{
    if (size > 0)
        snprintf(buf, size, "%s: %s", vi ? "không ước lượng được" : "not estimable", reason);
    return buf;
}

const char *sipas_review_no_variance_reason(bool vi)
{
    return vi ? "một tầng chỉ có một cụm (PSU) theo --lonely-psu fail: không ước lượng được "
                "phương sai theo thiết kế"
              : "a stratum with one cluster (PSU) under --lonely-psu fail: no design-based "
                "variance";
}

const char *sipas_review_untested_reason(const sipas_change *c, const sipas_review_point *a,
                                         const sipas_review_point *b, bool vi)
{
    if (c->has_se)
        return NULL;
    if (!a->estimable || !a->variance_estimable)
        return sipas_review_point_reason(a, vi);
    if (!b->estimable || !b->variance_estimable)
        return sipas_review_point_reason(b, vi);
    return vi ? "phương sai của chênh lệch bằng 0" : "the difference has variance 0";
}

const char *sipas_review_unit_reason(const sipas_review *r, const sipas_review_unit *unit,
                                     bool vi)
{
    const sipas_change *c = &unit->comparison.vs_province;
    if (c->has_se || !unit->current.variance_estimable || r->province_current.variance_estimable)
        return sipas_review_untested_reason(c, &unit->current, &r->province_current, vi);
    return vi ? "toàn tỉnh không có phương sai theo thiết kế năm này (một tầng chỉ có "
                "một PSU)"
              : "the province has no design-based variance this wave (a stratum with a single "
                "PSU)";
}

/* Appends "; " and a formatted part to buf (truncating, never overflowing). */
static void append_note(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append_note(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used > 0 && used + 2 < size) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

const char *sipas_review_fit_note(const sipas_trend_fit *fit, bool vi, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (fit->lack_of_fit)
        append_note(buf, size, "%s", vi ? "số liệu lệch khỏi đường xu hướng"
                                        : "the waves deviate from the line");
    if (fit->nfloored > 0)
        append_note(buf, size, vi ? "%zu đợt dùng phương sai sàn" : "%zu wave%s at the variance "
                    "floor", fit->nfloored, vi ? "" : (fit->nfloored == 1 ? "" : "s"));
    if (fit->nsrs > 0)
        append_note(buf, size, vi ? "%zu đợt không có phương sai thiết kế (dùng phương sai mẫu "
                                    "ngẫu nhiên đơn giản)"
                                  : "%zu wave%s without design variance (SRS variance used)",
                    fit->nsrs, vi ? "" : (fit->nsrs == 1 ? "" : "s"));
    if (fit->nexcluded > 0)
        append_note(buf, size, vi ? "bỏ %zu đợt không ước lượng được" : "%zu wave%s left out",
                    fit->nexcluded, vi ? "" : (fit->nexcluded == 1 ? "" : "s"));
    return buf;
}

const char *sipas_review_projection_note(const sipas_trend_fit *fit, bool vi, char *buf,
                                         size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (fit->nwaves < SIPAS_TREND_MIN_WAVES)
        snprintf(buf, size, vi ? "không dự báo: cần ít nhất %d đợt"
                               : "no projection: it needs %d waves", SIPAS_TREND_MIN_WAVES);
    else if (fit->lack_of_fit)
        snprintf(buf, size, "%s", vi ? "dự báo không chắc chắn: số liệu lệch khỏi đường xu hướng"
                                     : "uncertain projection: the waves deviate from the line");
    else if (fit->projection_caution)
        snprintf(buf, size, vi ? "dự báo không chắc chắn: chỉ có %zu đợt (cần %d)"
                               : "uncertain projection: only %zu waves (%d wanted)",
                 fit->nwaves, SIPAS_TREND_STEADY_WAVES);
    return buf;
}

double sipas_review_crossing_year(const sipas_review_crossing *crossing)
{
    if (!isfinite(crossing->year))
        return NAN;
    /* at an exact whole year the line equals the threshold: still met, so it falls below in
     * the year after */
    return crossing->kind == SIPAS_CROSSING_FALLS_BELOW ? floor(crossing->year) + 1
                                                        : ceil(crossing->year);
}

const char *sipas_review_projection_flag(const sipas_trend_fit *fit)
{
    if (fit->nwaves < SIPAS_TREND_MIN_WAVES)
        return "none";
    if (fit->lack_of_fit)
        return "lack_of_fit";
    return fit->projection_caution ? "few_waves" : "";
}

static sipas_review_point missing_point(double year)
{
    sipas_review_point p = {.value = {.year = year, .estimate = NAN, .variance = NAN, .df = NAN},
                            .se = NAN, .ci_low = NAN, .ci_high = NAN};
    return p;
}

/* The row of measure `name` in domain d, or NULL. Rows of a domain are contiguous. */
static const sipas_index_row *find_row(const sipas_index_result *r, size_t d, const char *name)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].domain == d && strcmp(r->rows[i].name, name) == 0)
            return &r->rows[i];
    return NULL;
}

static const sipas_index_row *find_element_row(const sipas_index_result *r, size_t d, int element)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].domain == d && r->rows[i].level == SIPAS_LEVEL_ELEMENT &&
            r->rows[i].measure == element)
            return &r->rows[i];
    return NULL;
}

/* Checks the measure exists: "overall", an element or a criterion of the instrument. */
static sipas_status resolve_measure(const sipas_instrument *inst, const char *measure,
                                    const char **name, sipas_index_level *level,
                                    const char **label_vi, const char **label_en, sipas_error *err)
{
    if (measure == NULL || strcmp(measure, "overall") == 0) {
        *name = "overall";
        *level = SIPAS_LEVEL_OVERALL;
        *label_vi = inst->title_vi;
        *label_en = inst->title_en;
        return SIPAS_OK;
    }
    for (size_t e = 0; e < inst->nelements; e++)
        if (strcmp(inst->elements[e].name, measure) == 0) {
            *name = inst->elements[e].name;
            *level = SIPAS_LEVEL_ELEMENT;
            *label_vi = inst->elements[e].label_vi;
            *label_en = inst->elements[e].label_en;
            return SIPAS_OK;
        }
    for (size_t k = 0; k < inst->nitems; k++)
        if (inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal &&
            strcmp(inst->items[k].name, measure) == 0) {
            *name = inst->items[k].name;
            *level = SIPAS_LEVEL_CRITERION;
            *label_vi = inst->items[k].label_vi;
            *label_en = inst->items[k].label_en;
            return SIPAS_OK;
        }
    return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no measure '%s' (overall, an "
                           "element or a criterion)", inst->form_id, measure);
}

static sipas_status wave_column(const sipas_dataset *data, const sipas_column **out,
                                sipas_error *err)
{
    *out = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    if (*out == NULL || (*out)->is_text)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "form '%s' has no numeric wave column; "
                               "changes and trends need one", data->inst->form_id);
    return SIPAS_OK;
}

static sipas_status refuse_wave_filter(const sipas_index_options *o, const char *wave_name,
                                       sipas_error *err)
{
    for (size_t f = 0; f < o->nwhere; f++)
        if (strcmp(o->where[f].column, wave_name) == 0)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "the waves are chosen by the review "
                                   "itself; give the year as its wave, not as a condition on "
                                   "'%s'", wave_name);
    return SIPAS_OK;
}

/* The waves of a result whose first by column is the wave, sorted by year; years[d] is the
 * year of domain d. */
typedef struct wave_list {
    size_t n;
    double *years;    /* distinct, ascending */
} wave_list;

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static sipas_status collect_waves(const sipas_index_result *r, wave_list *w, sipas_error *err)
{
    w->n = 0;
    w->years = malloc((r->ndomains ? r->ndomains : 1) * sizeof *w->years);
    if (w->years == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < r->ndomains; d++) {
        double y = parse_year(r->domains[d].values[0]);
        if (isnan(y))
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "wave '%s' is not a year",
                                   r->domains[d].values[0]);
        bool seen = false;
        for (size_t k = 0; k < w->n && !seen; k++)
            seen = w->years[k] == y;
        if (!seen)
            w->years[w->n++] = y;
    }
    qsort(w->years, w->n, sizeof *w->years, compare_double);
    return SIPAS_OK;
}

/* The domain of `by` values (wave year, then optional unit code), or SIZE_MAX. */
static size_t find_domain(const sipas_index_result *r, double year, const char *unit)
{
    for (size_t d = 0; d < r->ndomains; d++)
        if (parse_year(r->domains[d].values[0]) == year &&
            (unit == NULL || strcmp(r->domains[d].values[1], unit) == 0))
            return d;
    return SIZE_MAX;
}

/* --lonely-psu fail in a review (docs/review.md "Degenerate designs"): R's fail rule stops at
 * the first stratum with one PSU; a review instead computes with the certainty rule, under which
 * that stratum adds nothing to the variance of a domain with no respondent in it (its scores
 * there are 0), and makes every domain with a respondent in such a stratum not estimable. The
 * mask marks those respondents; it is NULL when no stratum is lonely or the rule is not fail. */
typedef struct respondent_key {
    double wave;
    double stratum;   /* level index or the number; -2 without a stratum column */
    double cluster;   /* level index or the number; the respondent's index without clusters */
    size_t index;
} respondent_key;

static int compare_key(const void *x, const void *y)
{
    const respondent_key *a = x, *b = y;
    if (a->wave != b->wave)
        return (a->wave > b->wave) - (a->wave < b->wave);
    if (a->stratum != b->stratum)
        return (a->stratum > b->stratum) - (a->stratum < b->stratum);
    return (a->cluster > b->cluster) - (a->cluster < b->cluster);
}

static double key_value(const sipas_column *col, size_t i)
{
    if (col->is_text)
        return col->level[i] >= 0 ? (double)col->level[i] : NAN;
    return sipas_column_number(col, i);
}

static sipas_status lonely_mask(const sipas_dataset *data, bool **mask, sipas_error *err)
{
    *mask = NULL;
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    const sipas_column *strat = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
    const sipas_column *clus = sipas_dataset_role(data, SIPAS_ROLE_CLUSTER);
    respondent_key *keys = malloc((data->n ? data->n : 1) * sizeof *keys);
    if (keys == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory for %zu respondents",
                               data->n);
    size_t m = 0;
    for (size_t i = 0; i < data->n; i++) {
        respondent_key k = {.wave = wave ? key_value(wave, i) : 0,
                            .stratum = strat ? key_value(strat, i) : -2,
                            .cluster = clus ? key_value(clus, i) : (double)i, .index = i};
        if (!isnan(k.wave) && !isnan(k.stratum) && !isnan(k.cluster))
            keys[m++] = k;
    }
    qsort(keys, m, sizeof *keys, compare_key);
    bool *lonely = NULL;
    for (size_t start = 0; start < m;) {
        size_t end = start + 1;
        bool one_psu = true;
        while (end < m && keys[end].wave == keys[start].wave &&
               keys[end].stratum == keys[start].stratum) {
            one_psu &= keys[end].cluster == keys[start].cluster;
            end++;
        }
        if (one_psu) {
            if (lonely == NULL && (lonely = calloc(data->n, sizeof *lonely)) == NULL) {
                free(keys);
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            }
            for (size_t k = start; k < end; k++)
                lonely[keys[k].index] = true;
        }
        start = end;
    }
    free(keys);
    *mask = lonely;
    return SIPAS_OK;
}

/* Respondent i's code in col, as the index writes domain values ("2024", "cao_loc"). */
static const char *respondent_code(const sipas_column *col, size_t i, char *buf, size_t size)
{
    if (col->is_text)
        snprintf(buf, size, "%s", col->level[i] >= 0 ? col->levels[col->level[i]] : "");
    else
        snprintf(buf, size, "%.15g", sipas_column_number(col, i));
    return buf;
}

/* Does respondent i belong to domain d of r (its by values)? */
static bool in_domain(const sipas_dataset *data, const sipas_index_result *r, size_t d, size_t i)
{
    char code[64];
    for (size_t b = 0; b < r->nby; b++) {
        const sipas_column *col = sipas_dataset_column(data, r->by[b]);
        if (col == NULL)
            return false;
        if (strcmp(respondent_code(col, i, code, sizeof code), r->domains[d].values[b]) != 0)
            return false;
    }
    return true;
}

/* Rows of domains with a respondent in a lonely stratum: variance, se, interval, df NaN. */
static void drop_lonely_variance(sipas_index_row *row)
{
    row->variance = row->se = row->ci_low = row->ci_high = row->df = NAN;
    row->deff = row->n_eff = NAN;
}

/* The year of a condition "wave = Y" among the options' conditions, or NaN. */
static double wave_condition(const sipas_dataset *data, const sipas_index_options *o)
{
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    for (size_t f = 0; wave != NULL && f < o->nwhere; f++)
        if (strcmp(o->where[f].column, wave->item->name) == 0 && o->where[f].op == SIPAS_OP_EQ &&
            o->where[f].nvalues == 1)
            return parse_year(o->where[f].values[0]);
    return NAN;
}

static void mark_lonely_domains(const sipas_dataset *data, const bool *lonely, double year,
                                sipas_index_result *r)
{
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    /* lonely respondents are few (one PSU per lonely stratum): loop over them */
    for (size_t i = 0; i < data->n; i++) {
        if (!lonely[i] || (!isnan(year) && wave != NULL && !wave->is_text &&
                           sipas_column_number(wave, i) != year))
            continue;
        for (size_t d = 0; d < r->ndomains; d++) {
            if (!in_domain(data, r, d, i))
                continue;
            for (size_t k = 0; k < r->nrows; k++)
                if (r->rows[k].domain == d)
                    drop_lonely_variance(&r->rows[k]);
        }
    }
}

sipas_status sipas_review_index_compute(const sipas_dataset *data,
                                        const sipas_index_options *options,
                                        sipas_index_result **out, sipas_error *err)
{
    sipas_index_options o = *options;
    bool *lonely = NULL;
    sipas_status st;
    if (o.lonely_psu == SIPAS_LONELY_FAIL) {
        if ((st = lonely_mask(data, &lonely, err)) != SIPAS_OK)
            return st;
        if (lonely != NULL)
            o.lonely_psu = SIPAS_LONELY_CERTAINTY;
    }
    st = sipas_index_compute(data, &o, out, err);
    if (st == SIPAS_OK && lonely != NULL)
        mark_lonely_domains(data, lonely, wave_condition(data, &o), *out);
    free(lonely);
    return st;
}

static sipas_status compute_by(const sipas_dataset *data, const sipas_index_options *base,
                               const char *const *by, size_t nby, sipas_index_result **out,
                               sipas_error *err)
{
    sipas_index_options o = *base;
    o.by = by;
    o.nby = nby;
    o.keep_wave_pooled = true;
    return sipas_review_index_compute(data, &o, out, err);
}

/* The line's crossing of a threshold for a series, fitted as the verdicts are (known variance,
 * at least 3 waves); NaN year otherwise. */
static sipas_status crossing_of_fit(const sipas_trend_fit *fit, double threshold,
                                    sipas_review_crossing *out, sipas_error *err)
{
    out->threshold = threshold;
    out->kind = SIPAS_CROSSING_NEVER;
    out->year = NAN;
    return sipas_trend_year_reaching(fit, threshold, &out->kind, &out->year, err);
}

/* "form 'f', measure 'm', target 'ind' for 2025", the context of a verdict's errors */
static sipas_status prefix_target(sipas_error *err, sipas_status st, const sipas_target_row *t)
{
    if (t->form != NULL && t->measure != NULL)
        return sipas_error_prefix(err, st, "form '%s', measure '%s', target '%s' for %g",
                                  t->form, t->measure, t->indicator, t->target.year);
    return sipas_error_prefix(err, st, "indicator '%s', target for %g", t->indicator,
                              t->target.year);
}

static sipas_status judge_target(const sipas_wave_value *waves, size_t n,
                                 const sipas_target_row *t, double level, bool survey,
                                 sipas_review_target *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    out->target = t;
    out->survey = survey;
    out->nwaves = n;
    out->crossing = (sipas_review_crossing){.threshold = t->target.threshold,
                                            .kind = SIPAS_CROSSING_NEVER, .year = NAN};
    if (n == 0) {
        out->verdict = (sipas_target_verdict){.verdict = SIPAS_VERDICT_INSUFFICIENT_DATA,
                                              .basis = SIPAS_BASIS_POINT, .estimate = NAN,
                                              .ci_low = NAN, .ci_high = NAN};
        return SIPAS_OK;
    }
    sipas_status st = sipas_target_assess(waves, n, &t->target, level, &out->verdict, err);
    if (st != SIPAS_OK)
        return prefix_target(err, st, t);
    if (n < SIPAS_TREND_MIN_WAVES)
        return SIPAS_OK;
    /* the year the verdicts' line reaches the threshold, also for an observed-year target */
    sipas_trend_fit fit;
    if ((st = sipas_trend_fit_waves(waves, n, SIPAS_TREND_KNOWN_VARIANCE, level, &fit, err)))
        return prefix_target(err, st, t);
    if (fit.nwaves < SIPAS_TREND_MIN_WAVES)
        return SIPAS_OK; /* some waves left out: no crossing from a two-wave line */
    if ((st = crossing_of_fit(&fit, t->target.threshold, &out->crossing, err)))
        return prefix_target(err, st, t);
    return SIPAS_OK;
}

static bool target_applies(const sipas_target_row *t, const char *form, const char *measure,
                           const char *scope)
{
    return t->form && t->measure && strcmp(t->form, form) == 0 &&
           strcmp(t->measure, measure) == 0 && strcmp(t->scope, scope) == 0;
}

/* The estimable province waves of a measure as trend inputs; returns the count. */
static size_t series_values(const sipas_review_point *points, size_t n, sipas_wave_value *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (points[i].estimable)
            out[k++] = points[i].value;
    return k;
}

void sipas_review_free(sipas_review *r)
{
    if (r == NULL)
        return;
    free(r->unit_column);
    free(r->province);
    free(r->projections);
    free(r->band);
    free(r->crossings);
    free(r->targets);
    for (size_t u = 0; u < r->nunits; u++) {
        free(r->units[u].code);
        free(r->units[u].series);
    }
    free(r->units);
    free(r->elements);
    free(r->matrix);
    free(r);
}

/* Position of a code in the column's choice list (units are reported in that order). */
static size_t choice_position(const sipas_column *col, const char *code)
{
    const sipas_choice_list *list = col->item->list;
    if (list)
        for (size_t c = 0; c < list->nchoices; c++)
            if (strcmp(list->choices[c].name, code) == 0)
                return c;
    return SIZE_MAX;
}

static sipas_status province_part(const sipas_dataset *data, const sipas_review_options *o,
                                  const sipas_index_result *pr, const wave_list *waves,
                                  sipas_review *r, sipas_error *err)
{
    sipas_status st = SIPAS_OK;
    double level = r->level;
    if ((r->province = calloc(waves->n, sizeof *r->province)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    r->nwaves = waves->n;
    bool any = false;
    for (size_t k = 0; k < waves->n; k++) {
        size_t d = find_domain(pr, waves->years[k], NULL);
        const sipas_index_row *row = d == SIZE_MAX ? NULL : find_row(pr, d, r->measure);
        r->province[k] = row ? point_of(row, waves->years[k], pr->domains[d].respondents)
                             : missing_point(waves->years[k]);
        any |= r->province[k].estimable;
    }
    if (!any)
        return sipas_error_set(err, SIPAS_ERR_MATH, "form '%s', measure '%s', province: no "
                               "estimate in any wave (no valid answer)", data->inst->form_id,
                               r->measure);
    /* the reviewed wave and the one before it */
    r->wave = o->wave > 0 ? o->wave : waves->years[waves->n - 1];
    r->wave_index = SIZE_MAX;
    for (size_t k = 0; k < waves->n; k++)
        if (waves->years[k] == r->wave)
            r->wave_index = k;
    if (r->wave_index == SIZE_MAX)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no wave %g",
                               data->inst->form_id, r->wave);
    r->previous_wave = NAN;
    if (r->wave_index > 0) {
        const sipas_review_point *a = &r->province[r->wave_index - 1], *b = &r->province[r->wave_index];
        r->previous_wave = a->value.year;
        if (a->estimable && b->estimable) {
            r->has_previous = true;
            if ((st = sipas_change_between(&a->value, &b->value, level, &r->change, err)))
                return sipas_error_prefix(err, st, "form '%s', measure '%s', province, change "
                                          "from wave %g to %g", data->inst->form_id, r->measure,
                                          a->value.year, b->value.year);
        }
    }
    /* trend, projections, band, crossings: only for proportions (the logit needs (0, 1)) */
    sipas_wave_value *vals = malloc(waves->n * sizeof *vals);
    if (vals == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t nv = series_values(r->province, waves->n, vals);
    const sipas_index_row *any_row = NULL;
    for (size_t i = 0; i < pr->nrows && !any_row; i++)
        if (strcmp(pr->rows[i].name, r->measure) == 0)
            any_row = &pr->rows[i];
    bool proportion = any_row && any_row->scoring != SIPAS_SCORING_NPS;
    if (nv >= 2 && proportion) {
        if ((st = sipas_trend_fit_waves(vals, nv, o->trend_method, level, &r->fit, err))) {
            free(vals);
            return sipas_error_prefix(err, st, "form '%s', measure '%s', province, trend over "
                                      "%zu waves", data->inst->form_id, r->measure, nv);
        }
        r->has_trend = true;
    }
    /* targets that apply to this measure */
    const char *scope = o->scope ? o->scope : "province";
    if (o->targets && proportion) {
        size_t cap = o->targets->ntargets;
        if ((r->targets = calloc(cap ? cap : 1, sizeof *r->targets)) == NULL) {
            free(vals);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        for (size_t t = 0; t < cap; t++) {
            const sipas_target_row *tr = &o->targets->targets[t];
            if (!target_applies(tr, data->inst->form_id, r->measure, scope))
                continue;
            if ((st = judge_target(vals, nv, tr, level, true, &r->targets[r->ntargets], err))) {
                free(vals);
                return st;
            }
            r->ntargets++;
        }
    }
    free(vals);
    /* below SIPAS_TREND_MIN_WAVES fitted waves there is no projection (trend.h) */
    if (!r->has_trend || r->fit.nwaves < SIPAS_TREND_MIN_WAVES)
        return SIPAS_OK;
    static const double default_years[] = {2025, 2030};
    const double *years = o->projection_years ? o->projection_years : default_years;
    size_t nyears = o->projection_years ? o->nprojection_years : 2;
    if (nyears > REVIEW_MAX_YEARS)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "more than %d projection years",
                               REVIEW_MAX_YEARS);
    if ((r->projections = calloc(nyears ? nyears : 1, sizeof *r->projections)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nyears; k++)
        if ((st = sipas_trend_project(&r->fit, years[k], &r->projections[r->nprojections++], err)))
            return st;
    double step = o->band_step > 0 ? o->band_step : 0.25;
    double until = o->band_until > 0 ? o->band_until : 2030;
    double first = r->province[0].value.year;
    double span = until - first;
    if (!(span >= 0) || span / step + 1 > REVIEW_MAX_BAND)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "projection band from %g to %g every %g "
                               "years is empty or longer than %d points", first, until, step,
                               REVIEW_MAX_BAND);
    size_t nband = (size_t)floor(span / step + 1e-9) + 1;
    if ((r->band = calloc(nband, sizeof *r->band)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nband; k++)
        if ((st = sipas_trend_project(&r->fit, first + (double)k * step, &r->band[r->nband++], err)))
            return st;
    /* crossings: the thresholds asked for, else those of the targets (each once) */
    size_t nthr = o->thresholds ? o->nthresholds : r->ntargets;
    if (nthr > REVIEW_MAX_YEARS)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "more than %d thresholds", REVIEW_MAX_YEARS);
    if ((r->crossings = calloc(nthr ? nthr : 1, sizeof *r->crossings)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nthr; k++) {
        double thr = o->thresholds ? o->thresholds[k] : r->targets[k].target->target.threshold;
        bool seen = false;
        for (size_t j = 0; j < r->ncrossings && !seen; j++)
            seen = r->crossings[j].threshold == thr;
        if (seen)
            continue;
        if (!(thr > 0 && thr < 1))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "threshold %g is not a proportion "
                                   "strictly between 0 and 1", thr);
        if ((st = crossing_of_fit(&r->fit, thr, &r->crossings[r->ncrossings++], err)))
            return st;
    }
    return SIPAS_OK;
}

/* The units of the reviewed wave (sipas_index_units) with a respondent in a lonely stratum,
 * and the parent when any respondent of the wave is in one. */
static void mark_lonely_units(const sipas_dataset *data, const bool *lonely, const char *unit,
                              double year, sipas_units_result *cur)
{
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    const sipas_column *ucol = sipas_dataset_column(data, unit);
    char code[64];
    for (size_t i = 0; i < data->n; i++) {
        if (!lonely[i] || wave == NULL || ucol == NULL || sipas_column_number(wave, i) != year)
            continue;
        drop_lonely_variance(&cur->parent);
        respondent_code(ucol, i, code, sizeof code);
        for (size_t u = 0; u < cur->nunits; u++)
            if (strcmp(cur->units[u].code, code) == 0) {
                drop_lonely_variance(&cur->units[u].row);
                cur->units[u].cov_with_parent = NAN;
            }
    }
}

static sipas_status units_part(const sipas_dataset *data, const sipas_review_options *o,
                               const sipas_index_result *ur_all, const wave_list *waves,
                               const sipas_column *wave, sipas_review *r, sipas_error *err)
{
    sipas_status st = SIPAS_OK;
    double level = r->level;
    const sipas_column *ucol = sipas_dataset_column(data, r->unit_column);
    /* units: every code of the unit column seen in any wave */
    size_t cap = ur_all->ndomains;
    if ((r->units = calloc(cap ? cap : 1, sizeof *r->units)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < ur_all->ndomains; d++) {
        const char *code = ur_all->domains[d].values[1];
        bool seen = false;
        for (size_t u = 0; u < r->nunits && !seen; u++)
            seen = strcmp(r->units[u].code, code) == 0;
        if (seen)
            continue;
        if ((r->units[r->nunits].code = strdup(code)) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        r->nunits++;
    }
    /* choice-list order, then code order for codes outside the list (insertion sort: a
     * province has tens of units) */
    for (size_t i = 1; i < r->nunits; i++) {
        sipas_review_unit key = r->units[i];
        size_t pk = choice_position(ucol, key.code), j = i;
        while (j > 0) {
            size_t pj = choice_position(ucol, r->units[j - 1].code);
            if (pj < pk || (pj == pk && strcmp(r->units[j - 1].code, key.code) < 0))
                break;
            r->units[j] = r->units[j - 1];
            j--;
        }
        r->units[j] = key;
    }
    /* series and labels */
    sipas_wave_value *vals = malloc((waves->n ? waves->n : 1) * sizeof *vals);
    if (vals == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t u = 0; u < r->nunits; u++) {
        sipas_review_unit *un = &r->units[u];
        un->current = missing_point(r->wave);
        un->previous = missing_point(r->previous_wave);
        un->cov_with_province = NAN;
        un->trend_label = SIPAS_TREND_LABEL_INSUFFICIENT;
        if ((un->series = calloc(waves->n ? waves->n : 1, sizeof *un->series)) == NULL) {
            free(vals);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < waves->n; k++) {
            size_t d = find_domain(ur_all, waves->years[k], un->code);
            const sipas_index_row *row = d == SIZE_MAX ? NULL : find_row(ur_all, d, r->measure);
            if (row == NULL)
                continue;
            sipas_review_point p = point_of(row, waves->years[k], ur_all->domains[d].respondents);
            if (!p.estimable)
                continue;
            un->series[un->nwaves++] = p;
            if (waves->years[k] == r->previous_wave) {
                un->previous = p;
            }
        }
        size_t nv = series_values(un->series, un->nwaves, vals);
        /* waves at 0 or 1 and without design variance enter by the floor rule (trend.h) */
        if (r->has_trend && nv >= SIPAS_TREND_MIN_WAVES) {
            if ((st = sipas_trend_label_waves(vals, nv, level, &un->trend_label, &un->fit, err))) {
                free(vals);
                return sipas_error_prefix(err, st, "form '%s', measure '%s', %s '%s', trend over "
                                          "%zu waves", data->inst->form_id, r->measure,
                                          r->unit_column, un->code, nv);
            }
            un->has_fit = un->fit.nwaves >= SIPAS_TREND_MIN_WAVES;
        }
    }
    free(vals);
    /* the reviewed wave: units with Cov(unit, province), ranked */
    char year_text[32];
    snprintf(year_text, sizeof year_text, "%.0f", r->wave);
    const char *year_values[1] = {year_text};
    sipas_filter *where = malloc((o->index.nwhere + 1) * sizeof *where);
    if (where == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t f = 0; f < o->index.nwhere; f++)
        where[f] = o->index.where[f];
    where[o->index.nwhere] = (sipas_filter){.column = wave->item->name, .op = SIPAS_OP_EQ,
                                            .nvalues = 1, .values = year_values};
    sipas_index_options io = o->index;
    io.by = NULL;
    io.nby = 0;
    io.where = where;
    io.nwhere = o->index.nwhere + 1;
    sipas_units_result *cur = NULL;
    sipas_unit_value *uv = NULL;
    sipas_unit_comparison *cmp = NULL;
    size_t *which = NULL;
    sipas_wave_value *earlier = NULL, *later = NULL;
    sipas_change *changes = NULL;
    bool *lonely = NULL;
    if (io.lonely_psu == SIPAS_LONELY_FAIL) {
        if ((st = lonely_mask(data, &lonely, err)) != SIPAS_OK) {
            free(where);
            return st;
        }
        if (lonely != NULL)
            io.lonely_psu = SIPAS_LONELY_CERTAINTY; /* as compute_by does */
    }
    st = sipas_index_units(data, &io, r->unit_column, r->measure, &cur, err);
    free(where);
    if (st != SIPAS_OK) {
        free(lonely);
        return st;
    }
    if (lonely != NULL)
        mark_lonely_units(data, lonely, r->unit_column, r->wave, cur);
    free(lonely);
    r->province_current = point_of(&cur->parent, r->wave, cur->parent_respondents);
    uv = calloc(cur->nunits ? cur->nunits : 1, sizeof *uv);
    cmp = calloc(cur->nunits ? cur->nunits : 1, sizeof *cmp);
    which = calloc(cur->nunits ? cur->nunits : 1, sizeof *which);
    earlier = calloc(r->nunits ? r->nunits : 1, sizeof *earlier);
    later = calloc(r->nunits ? r->nunits : 1, sizeof *later);
    changes = calloc(r->nunits ? r->nunits : 1, sizeof *changes);
    if (uv == NULL || cmp == NULL || which == NULL || earlier == NULL || later == NULL ||
        changes == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cur->nunits; i++) {
        const sipas_unit_estimate *ue = &cur->units[i];
        size_t u = SIZE_MAX;
        for (size_t k = 0; k < r->nunits && u == SIZE_MAX; k++)
            if (strcmp(r->units[k].code, ue->code) == 0)
                u = k;
        if (u == SIZE_MAX)
            continue;   /* a unit with no respondent in any by-domain: nothing to report */
        sipas_review_unit *un = &r->units[u];
        un->current = point_of(&ue->row, r->wave, ue->respondents);
        un->cov_with_province = ue->cov_with_parent;
        if (!un->current.estimable || !r->province_current.estimable)
            continue;
        un->in_wave = true;
        uv[r->ranked] = (sipas_unit_value){.name = un->code, .value = un->current.value,
                                           .cov_with_province = ue->cov_with_parent};
        which[r->ranked++] = u;
    }
    if (r->ranked > 0) {
        if ((st = sipas_rank_units(uv, r->ranked, &r->province_current.value, o->rank_adjust,
                                   level, cmp, err)))
            goto done;
        for (size_t i = 0; i < r->ranked; i++) {
            r->units[which[i]].comparison = cmp[i];
            r->untested += cmp[i].flag == SIPAS_UNIT_NOT_TESTED;
            r->significantly_above += cmp[i].flag == SIPAS_UNIT_ABOVE;
            r->significantly_below += cmp[i].flag == SIPAS_UNIT_BELOW;
        }
    }
    /* up/down against last year: units estimable in both waves (independent samples) */
    size_t nboth = 0;
    for (size_t u = 0; u < r->nunits; u++) {
        sipas_review_unit *un = &r->units[u];
        if (!un->in_wave || !un->previous.estimable)
            continue;
        un->has_previous = true;
        earlier[nboth] = un->previous.value;
        later[nboth] = un->current.value;
        nboth++;
    }
    if (nboth > 0) {
        if ((st = sipas_count_unit_changes(earlier, later, nboth, o->change_adjust, level, changes,
                                           &r->unit_changes, err)))
            goto done;
        for (size_t u = 0, k = 0; u < r->nunits; u++)
            if (r->units[u].has_previous)
                r->units[u].change = changes[k++];
    }
done:
    sipas_units_result_free(cur);
    free(uv);
    free(cmp);
    free(which);
    free(earlier);
    free(later);
    free(changes);
    return st;
}

static sipas_status elements_part(const sipas_dataset *data, const sipas_index_result *pr,
                                  const sipas_index_result *ur_all, sipas_review *r,
                                  sipas_error *err)
{
    const sipas_instrument *inst = data->inst;
    size_t ne = inst->nelements;
    r->nelements = ne;
    r->elements = calloc(ne ? ne : 1, sizeof *r->elements);
    r->matrix = calloc((ne && r->nunits) ? ne * r->nunits : 1, sizeof *r->matrix);
    if (r->elements == NULL || r->matrix == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t dcur = find_domain(pr, r->wave, NULL);
    size_t dprev = r->wave_index > 0 ? find_domain(pr, r->previous_wave, NULL) : SIZE_MAX;
    for (size_t e = 0; e < ne; e++) {
        sipas_review_element *el = &r->elements[e];
        el->element = (int)e;
        el->name = inst->elements[e].name;
        el->label_vi = inst->elements[e].label_vi;
        el->label_en = inst->elements[e].label_en;
        const sipas_index_row *rc = dcur == SIZE_MAX ? NULL : find_element_row(pr, dcur, (int)e);
        const sipas_index_row *rp = dprev == SIZE_MAX ? NULL : find_element_row(pr, dprev, (int)e);
        el->current = rc ? point_of(rc, r->wave, pr->domains[dcur].respondents)
                         : missing_point(r->wave);
        el->previous = rp ? point_of(rp, r->previous_wave, pr->domains[dprev].respondents)
                          : missing_point(r->previous_wave);
        if (el->current.estimable && el->previous.estimable) {
            el->has_previous = true;
            sipas_status st = sipas_change_between(&el->previous.value, &el->current.value,
                                                   r->level, &el->change, err);
            if (st != SIPAS_OK)
                return sipas_error_prefix(err, st, "form '%s', element '%s', province, change "
                                          "from wave %g to %g", inst->form_id, el->name,
                                          r->previous_wave, r->wave);
        }
        for (size_t u = 0; u < r->nunits; u++) {
            size_t d = find_domain(ur_all, r->wave, r->units[u].code);
            const sipas_index_row *row = d == SIZE_MAX ? NULL : find_element_row(ur_all, d, (int)e);
            r->matrix[u * ne + e] = row ? point_of(row, r->wave, ur_all->domains[d].respondents)
                                        : missing_point(r->wave);
        }
    }
    return SIPAS_OK;
}

sipas_status sipas_review_compute(const sipas_dataset *data, const sipas_review_options *options,
                                  sipas_review **out, sipas_error *err)
{
    *out = NULL;
    const sipas_instrument *inst = data->inst;
    sipas_status st;
    if (options->index.nby > 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a review chooses its own domains; give no "
                               "--by (the units are its unit column)");
    const sipas_column *wave;
    if ((st = wave_column(data, &wave, err)) || (st = refuse_wave_filter(&options->index,
                                                                          wave->item->name, err)))
        return st;
    sipas_review *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_index_result *pr = NULL, *ur = NULL;
    wave_list waves = {0};
    r->level = level_of(&options->index);
    if ((st = resolve_measure(inst, options->measure, &r->measure, &r->measure_level,
                              &r->label_vi, &r->label_en, err)))
        goto done;
    const char *unit = options->unit_column;
    if (unit == NULL) {
        const sipas_column *strat = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
        if (strat == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "form '%s' has no stratum column; name the "
                                 "units' column", inst->form_id);
            goto done;
        }
        unit = strat->item->name;
    }
    const sipas_column *ucol = sipas_dataset_column(data, unit);
    if (ucol == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no column '%s'",
                             inst->form_id, unit);
        goto done;
    }
    if (ucol->item->role == SIPAS_ROLE_CLUSTER) {
        /* each unit would be one PSU: no design-based variance for any of them */
        const sipas_column *strat = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "form '%s': '%s' is the cluster column (the "
                             "PSUs), so each of its units is one cluster and has no design-based "
                             "variance; review a column above it%s%s%s", inst->form_id, unit,
                             strat ? ", such as '" : "", strat ? strat->item->name : "",
                             strat ? "'" : "");
        goto done;
    }
    if ((r->unit_column = strdup(unit)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    const char *by_wave[1] = {wave->item->name};
    const char *by_unit[2] = {wave->item->name, unit};
    if ((st = compute_by(data, &options->index, by_wave, 1, &pr, err)) ||
        (st = compute_by(data, &options->index, by_unit, 2, &ur, err)) ||
        (st = collect_waves(pr, &waves, err)))
        goto done;
    if (waves.n == 0) {
        st = sipas_error_set(err, SIPAS_ERR_MATH, "form '%s': no respondent passes the "
                             "conditions", data->inst->form_id);
        goto done;
    }
    if ((st = province_part(data, options, pr, &waves, r, err)) ||
        (st = units_part(data, options, ur, &waves, wave, r, err)) ||
        (st = elements_part(data, pr, ur, r, err)))
        goto done;
done:
    free(waves.years);
    sipas_index_result_free(pr);
    sipas_index_result_free(ur);
    if (st != SIPAS_OK) {
        sipas_review_free(r);
        return st;
    }
    *out = r;
    return SIPAS_OK;
}

/* ------------------------------------------------------------------------------------------- */

void sipas_domain_changes_free(sipas_domain_changes *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nrows; i++) {
        for (size_t b = 0; b < c->nby; b++)
            free(c->rows[i].values[b]);
        free(c->rows[i].values);
    }
    free(c->rows);
    for (size_t b = 0; b < c->nby; b++)
        free(c->by[b]);
    free(c->by);
    free(c);
}

static bool same_domain(const sipas_index_domain *d, const sipas_domain_change *row, size_t nby)
{
    for (size_t b = 0; b < nby; b++)
        if (strcmp(d->values[b + 1], row->values[b]) != 0)
            return false;
    return true;
}

sipas_status sipas_domain_changes_compute(const sipas_dataset *data,
                                          const sipas_index_options *options, const char *measure,
                                          double from, double to, sipas_domain_changes **out,
                                          sipas_error *err)
{
    *out = NULL;
    const sipas_column *wave;
    sipas_status st;
    if ((st = wave_column(data, &wave, err)) ||
        (st = refuse_wave_filter(options, wave->item->name, err)))
        return st;
    for (size_t b = 0; b < options->nby; b++)
        if (strcmp(options->by[b], wave->item->name) == 0)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "a change compares two waves; leave "
                                   "'%s' out of --by", wave->item->name);
    if (options->nby > 63)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "too many --by columns");
    sipas_domain_changes *c = calloc(1, sizeof *c);
    const char **by = calloc(options->nby + 1, sizeof *by);
    sipas_index_result *res = NULL;
    wave_list waves = {0};
    if (c == NULL || by == NULL) {
        free(c);
        free(by);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    c->level = level_of(options);
    if ((st = resolve_measure(data->inst, measure, &c->measure, &c->measure_level, &c->label_vi,
                              &c->label_en, err)))
        goto done;
    by[0] = wave->item->name;
    for (size_t b = 0; b < options->nby; b++)
        by[b + 1] = options->by[b];
    if ((st = compute_by(data, options, by, options->nby + 1, &res, err)) ||
        (st = collect_waves(res, &waves, err)))
        goto done;
    if (waves.n == 0) {
        st = sipas_error_set(err, SIPAS_ERR_MATH, "form '%s': no respondent passes the "
                             "conditions", data->inst->form_id);
        goto done;
    }
    if (to == 0)
        to = waves.years[waves.n - 1];
    size_t ito = SIZE_MAX, ifrom = SIZE_MAX;
    for (size_t k = 0; k < waves.n; k++)
        if (waves.years[k] == to)
            ito = k;
    if (ito == SIZE_MAX) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no wave %g",
                             data->inst->form_id, to);
        goto done;
    }
    if (from == 0) {
        if (ito == 0) {
            st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s': wave %g is the first; "
                                 "there is no earlier wave to compare with",
                                 data->inst->form_id, to);
            goto done;
        }
        from = waves.years[ito - 1];
    }
    for (size_t k = 0; k < waves.n; k++)
        if (waves.years[k] == from)
            ifrom = k;
    if (ifrom == SIZE_MAX) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no wave %g",
                             data->inst->form_id, from);
        goto done;
    }
    if (from == to) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "--from and --to are both %g", to);
        goto done;
    }
    c->from = from;
    c->to = to;
    c->nby = options->nby;
    if ((c->by = calloc(c->nby ? c->nby : 1, sizeof *c->by)) == NULL ||
        (c->rows = calloc(res->ndomains ? res->ndomains : 1, sizeof *c->rows)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t b = 0; b < c->nby; b++)
        if ((c->by[b] = strdup(options->by[b])) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
    /* one row per combination of the other by columns found in either wave, in result order */
    for (size_t d = 0; d < res->ndomains; d++) {
        double y = parse_year(res->domains[d].values[0]);
        if (y != from && y != to)
            continue;
        size_t i = 0;
        while (i < c->nrows && !same_domain(&res->domains[d], &c->rows[i], c->nby))
            i++;
        sipas_domain_change *row = &c->rows[i];
        if (i == c->nrows) {
            if ((row->values = calloc(c->nby ? c->nby : 1, sizeof *row->values)) == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
            c->nrows++;
            for (size_t b = 0; b < c->nby; b++)
                if ((row->values[b] = strdup(res->domains[d].values[b + 1])) == NULL) {
                    st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                    goto done;
                }
            row->earlier = missing_point(from);
            row->later = missing_point(to);
        }
        const sipas_index_row *ix = find_row(res, d, c->measure);
        if (ix == NULL)
            continue;
        sipas_review_point p = point_of(ix, y, res->domains[d].respondents);
        if (y == from)
            row->earlier = p;
        else
            row->later = p;
    }
    for (size_t i = 0; i < c->nrows; i++) {
        sipas_domain_change *row = &c->rows[i];
        if (!row->earlier.estimable || !row->later.estimable)
            continue;
        row->has_change = true;
        if ((st = sipas_change_between(&row->earlier.value, &row->later.value, c->level,
                                       &row->change, err)))
            goto done;
    }
done:
    free(by);
    free(waves.years);
    sipas_index_result_free(res);
    if (st != SIPAS_OK) {
        sipas_domain_changes_free(c);
        return st;
    }
    *out = c;
    return SIPAS_OK;
}

/* ------------------------------------------------------------------------------------------- */

sipas_status sipas_review_targets(const sipas_dataset *data, const sipas_index_options *options,
                                  const sipas_targets *targets, sipas_review_target **out,
                                  size_t *n, sipas_error *err)
{
    *out = NULL;
    *n = 0;
    const sipas_column *wave;
    sipas_status st;
    if ((st = wave_column(data, &wave, err)) ||
        (st = refuse_wave_filter(options, wave->item->name, err)))
        return st;
    if (options->nby > 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "targets are judged on the province; give "
                               "no --by");
    double level = level_of(options);
    sipas_review_target *res = calloc(targets->ntargets ? targets->ntargets : 1, sizeof *res);
    if (res == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_index_result *pr = NULL;
    wave_list waves = {0};
    sipas_wave_value *vals = NULL;
    const char *by_wave[1] = {wave->item->name};
    bool any_survey = false;
    for (size_t t = 0; t < targets->ntargets; t++) {
        const sipas_target_row *tr = &targets->targets[t];
        any_survey |= tr->form && strcmp(tr->form, data->inst->form_id) == 0 &&
                      strcmp(tr->scope, "province") == 0;
    }
    if (any_survey) {
        if ((st = compute_by(data, options, by_wave, 1, &pr, err)) ||
            (st = collect_waves(pr, &waves, err)))
            goto done;
        if ((vals = malloc((waves.n ? waves.n : 1) * sizeof *vals)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t t = 0; t < targets->ntargets; t++) {
        const sipas_target_row *tr = &targets->targets[t];
        bool survey = tr->form && strcmp(tr->form, data->inst->form_id) == 0 &&
                      strcmp(tr->scope, "province") == 0;
        if (survey) {
            const char *name;
            sipas_index_level lvl;
            const char *lv, *le;
            if ((st = resolve_measure(data->inst, tr->measure, &name, &lvl, &lv, &le, err))) {
                sipas_error_prefix(err, st, "%s:%zu: indicator '%s'", targets->targets_path,
                                   tr->row, tr->indicator);
                goto done;
            }
            size_t nv = 0;
            for (size_t k = 0; k < waves.n; k++) {
                size_t d = find_domain(pr, waves.years[k], NULL);
                const sipas_index_row *row = d == SIZE_MAX ? NULL : find_row(pr, d, name);
                if (row == NULL)
                    continue;
                sipas_review_point p = point_of(row, waves.years[k], pr->domains[d].respondents);
                if (p.estimable)
                    vals[nv++] = p.value;
            }
            if ((st = judge_target(vals, nv, tr, level, true, &res[t], err)))
                goto done;
        } else {
            sipas_wave_value *iv = NULL;
            size_t nv = 0;
            if ((st = sipas_targets_indicator_series(targets, tr->indicator, tr->scope,
                                                     tr->scope_value, &iv, &nv, err)))
                goto done;
            st = judge_target(iv, nv, tr, level, false, &res[t], err);
            free(iv);
            if (st != SIPAS_OK)
                goto done;
        }
    }
done:
    free(vals);
    free(waves.years);
    sipas_index_result_free(pr);
    if (st != SIPAS_OK) {
        free(res);
        return st;
    }
    *out = res;
    *n = targets->ntargets;
    return SIPAS_OK;
}
