/* Criterion, element and overall indices by domain (include/sipas/index.h): the two public
 * calls, sipas_index_compute (every domain of --by) and sipas_index_units (units against their
 * parent domain), with the result's names and its freeing. The work is spread over
 *   src/index_design.c    the design and the weighting
 *   src/index_domains.c   rows into domains (src/condition.c compiles --where)
 *   src/index_estimate.c  the scores and the estimates of one domain
 * which share one index_work (src/index_work.h). */
#include "sipas/index.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_design.h"
#include "index_domains.h"
#include "index_estimate.h"

const char *sipas_index_level_name(sipas_index_level level)
{
    switch (level) {
    case SIPAS_LEVEL_OVERALL: return "overall";
    case SIPAS_LEVEL_ELEMENT: return "element";
    case SIPAS_LEVEL_CRITERION: return "criterion";
    }
    return "?";
}

/* The label of a by column's code (include/sipas/index.h). */
const char *sipas_index_domain_label(const sipas_instrument *inst, const char *column,
                                     const char *code, const char *lang)
{
    const sipas_item *item = sipas_instrument_item(inst, column);
    if (item == NULL || item->list == NULL || lang == NULL)
        return code;
    const sipas_choice_list *list = item->list;
    for (size_t c = 0; c < list->nchoices; c++) {
        if (strcmp(list->choices[c].name, code) == 0) {
            const char *label = strcmp(lang, "en") == 0 ? list->choices[c].label_en : list->choices[c].label_vi;
            return label && *label ? label : code;
        }
    }
    return code;
}

/* ---- result -------------------------------------------------------------------------------- */

void sipas_index_result_free(sipas_index_result *r)
{
    if (r == NULL)
        return;
    for (size_t d = 0; d < r->ndomains; d++) {
        for (size_t b = 0; b < r->nby; b++)
            free(r->domains[d].values[b]);
        free(r->domains[d].values);
    }
    free(r->domains);
    for (size_t b = 0; b < r->nby; b++)
        free(r->by[b]);
    free(r->by);
    free(r->rows);
    free(r);
}

/* ---- degenerate variance ---------------------------------------------------------------------- */

const char *sipas_variance_status_name(sipas_variance_status status)
{
    switch (status) {
    case SIPAS_VARIANCE_OK: return "ok";
    case SIPAS_VARIANCE_ONE_PSU: return "one_psu";
    case SIPAS_VARIANCE_NO_ANSWER: return "no_answer";
    case SIPAS_VARIANCE_NO_DF: return "no_df";
    case SIPAS_VARIANCE_LONELY: return "lonely";
    }
    return "unknown";
}

const char *sipas_variance_status_text(sipas_variance_status status, const char *lang)
{
    bool vi = lang != NULL && strcmp(lang, "vi") == 0;
    switch (status) {
    case SIPAS_VARIANCE_OK:
        return "";
    case SIPAS_VARIANCE_ONE_PSU:
        return vi ? "chỉ một cụm (PSU): không ước lượng được phương sai theo thiết kế"
                  : "one cluster (PSU): no design-based variance";
    case SIPAS_VARIANCE_NO_ANSWER:
        return vi ? "không có câu trả lời hợp lệ" : "no valid answer";
    case SIPAS_VARIANCE_NO_DF:
        return vi ? "không còn bậc tự do (mỗi tầng chỉ một cụm có câu trả lời)"
                  : "no degrees of freedom (one answering cluster per stratum)";
    case SIPAS_VARIANCE_LONELY:
        return vi ? "mọi tầng chỉ có một cụm: không ước lượng được phương sai"
                  : "every stratum has one cluster (PSU): no variance to average";
    }
    return "";
}

/* ---- the computation ------------------------------------------------------------------------- */

static void work_release(index_work *w)
{
    free(w->weight);
    free(w->stratum);
    free(w->psu);
    free(w->fpc);
    if (w->stratum_label)
        for (size_t h = 0; h < w->nstrata; h++)
            free(w->stratum_label[h]);
    free(w->stratum_label);
    free(w->stratum_start);
    free(w->stratum_rows);
    free(w->domain_of);
    for (size_t c = 0; c < w->ncriteria; c++)
        index_release_scorer(&w->scorers[c]);
    free(w->scorers);
    sipas_calibration_free(w->cal);
    free(w->cal_scores);
}

/* Scorers for the criteria, the design, the weighting and the domains: what every estimate
 * of a call needs, done once. */
static sipas_status work_prepare(index_work *w, sipas_error *err)
{
    const sipas_instrument *inst = w->data->inst;
    sipas_status st;
    for (size_t k = 0; k < inst->nitems; k++)
        w->ncriteria += inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal;
    w->scorers = calloc(w->ncriteria ? w->ncriteria : 1, sizeof *w->scorers);
    if (w->scorers == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0, c = 0; k < inst->nitems; k++)
        if (inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal)
            if ((st = index_make_scorer(w->data, k, w->opt, &w->scorers[c++], err)) != SIPAS_OK)
                return st;
    if ((st = index_build_design(w, err)) != SIPAS_OK || (st = index_apply_weighting(w, err)) != SIPAS_OK)
        return st;
    return index_build_domains(w, err);
}

sipas_status sipas_index_compute(const sipas_dataset *data, const sipas_index_options *options,
                                 sipas_index_result **out, sipas_error *err)
{
    *out = NULL;
    static const sipas_index_options defaults = {0};
    const sipas_index_options *opt = options ? options : &defaults;
    const sipas_instrument *inst = data->inst;
    sipas_index_result *res = calloc(1, sizeof *res);
    index_work w = {.data = data, .opt = opt, .res = res, .unit_wave = NAN};
    bool *stratum_used = NULL;
    size_t *psu_map = NULL;
    domain_buffers buf = {0};
    subdesign s = {0};
    sipas_status st = SIPAS_OK;
    if (res == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    res->ci = opt->ci;
    res->level = opt->level > 0 ? opt->level : 0.95;
    if (!(res->level > 0 && res->level < 1)) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "confidence level %g is not between 0 and 1", res->level);
        goto done;
    }
    if ((st = work_prepare(&w, err)) != SIPAS_OK)
        goto done;
    size_t per_domain = 1 + inst->nelements + w.ncriteria;
    res->nrows = res->ndomains * per_domain;
    res->rows = calloc(res->nrows, sizeof *res->rows);
    stratum_used = calloc(w.nstrata, sizeof *stratum_used);
    psu_map = malloc((w.npsu ? w.npsu : 1) * sizeof *psu_map);
    if (res->rows == NULL || stratum_used == NULL || psu_map == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t p = 0; p < w.npsu; p++)
        psu_map[p] = SIZE_MAX;
    /* rows of each domain, to find its strata without a pass over all rows per domain */
    size_t *dom_start = calloc(res->ndomains + 1, sizeof *dom_start);
    size_t *dom_rows = malloc((data->n ? data->n : 1) * sizeof *dom_rows);
    if (dom_start == NULL || dom_rows == NULL) {
        free(dom_start);
        free(dom_rows);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < data->n; i++)
        if (w.domain_of[i] != SIZE_MAX)
            dom_start[w.domain_of[i] + 1]++;
    for (size_t a = 0; a < res->ndomains; a++)
        dom_start[a + 1] += dom_start[a];
    {
        size_t *fill = calloc(res->ndomains, sizeof *fill);
        if (fill == NULL) {
            free(dom_start);
            free(dom_rows);
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < data->n; i++)
            if (w.domain_of[i] != SIZE_MAX) {
                size_t a = w.domain_of[i];
                dom_rows[dom_start[a] + fill[a]++] = i;
            }
        free(fill);
    }
    for (size_t a = 0; a < res->ndomains && st == SIPAS_OK; a++) {
        /* calibrated: residuals spread over the calibration cells, and R lets every stratum
         * take part, so the whole design */
        memset(stratum_used, w.cal != NULL, w.nstrata * sizeof *stratum_used);
        for (size_t k = dom_start[a]; k < dom_start[a + 1]; k++)
            stratum_used[w.stratum[dom_rows[k]]] = true;
        if ((st = index_build_subdesign(&w, a, stratum_used, psu_map, &s, err)) != SIPAS_OK) {
            w.measure = NULL;
            index_locate_failure(&w, a, st, err);
            break;
        }
        if ((st = index_domain_buffers_alloc(&buf, s.m, inst->nelements, err)) != SIPAS_OK)
            break;
        w.measure = NULL;
        if ((st = index_estimate_domain(&w, a, &s, res->rows + a * per_domain, &buf, err)) != SIPAS_OK)
            index_locate_failure(&w, a, st, err);
        index_subdesign_release(&s);
    }
    free(dom_start);
    free(dom_rows);
    if (st == SIPAS_OK)
        for (size_t i = 0; i < res->nrows; i++)
            index_withhold_small_cell(&res->rows[i], opt->min_cell ? opt->min_cell : SIPAS_DEFAULT_MIN_CELL);
done:
    index_subdesign_release(&s);
    index_domain_buffers_release(&buf);
    free(stratum_used);
    free(psu_map);
    work_release(&w);
    if (st != SIPAS_OK) {
        sipas_index_result_free(res);
        return st;
    }
    *out = res;
    return SIPAS_OK;
}

/* ---- units against their parent ------------------------------------------------------------- */

void sipas_units_result_free(sipas_units_result *r)
{
    if (r == NULL)
        return;
    for (size_t u = 0; u < r->nunits; u++)
        free(r->units[u].code);
    free(r->units);
    free(r);
}

static const sipas_index_row *find_measure(const sipas_index_row *rows, size_t nrows,
                                           const char *measure)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].name, measure) == 0)
            return &rows[i];
    return NULL;
}

sipas_status sipas_index_units(const sipas_dataset *data, const sipas_index_options *options,
                               const char *unit_column, const char *measure,
                               sipas_units_result **out, sipas_error *err)
{
    *out = NULL;
    const sipas_instrument *inst = data->inst;
    sipas_index_options opt = *options;
    opt.by = NULL;
    opt.nby = 0;
    opt.keep_wave_pooled = true;
    sipas_index_result *res = calloc(1, sizeof *res);
    sipas_units_result *ur = calloc(1, sizeof *ur);
    index_work w = {.data = data, .opt = &opt, .res = res, .unit_wave = NAN};
    subdesign s = {0};
    domain_buffers buf = {0};
    bool *stratum_used = NULL, *parent_mask = NULL;
    size_t *psu_map = NULL;
    double *parent_scores = NULL;
    sipas_index_row *rows = NULL;
    sipas_status st = SIPAS_OK;
    if (res == NULL || ur == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (options->nby > 0) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "units are compared within one parent domain; "
                             "give no --by");
        goto done;
    }
    res->ci = opt.ci;
    res->level = opt.level > 0 ? opt.level : 0.95;
    const sipas_column *unit = sipas_dataset_column(data, unit_column);
    if (unit == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no column '%s'", inst->form_id,
                             unit_column);
        goto done;
    }
    const sipas_column *cluster = sipas_dataset_role(data, SIPAS_ROLE_CLUSTER);
    if (unit == cluster) {
        const sipas_column *above = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
        st = sipas_error_set(err, SIPAS_ERR_USAGE,
                             "column '%s' is the cluster (PSU) column of form '%s': each unit "
                             "would be one cluster, with no design-based variance to compare "
                             "by; choose a unit above the cluster level%s%s%s",
                             unit_column, inst->form_id, above ? ", such as the stratum column '" : "",
                             above ? above->item->name : "", above ? "'" : "");
        goto done;
    }
    if ((st = work_prepare(&w, err)) != SIPAS_OK)
        goto done;
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    if (wave) {
        double first = NAN;
        for (size_t i = 0; i < data->n; i++) {
            if (w.domain_of[i] != 0)
                continue;
            if (isnan(first))
                first = w.unit_wave = sipas_column_number(wave, i);
            else if (sipas_column_number(wave, i) != first) {
                st = sipas_error_set(err, SIPAS_ERR_USAGE, "units are compared within one wave; the "
                                     "selection holds several: give --wave YEAR");
                goto done;
            }
        }
    }
    stratum_used = calloc(w.nstrata, sizeof *stratum_used);
    psu_map = malloc((w.npsu ? w.npsu : 1) * sizeof *psu_map);
    if (stratum_used == NULL || psu_map == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t p = 0; p < w.npsu; p++)
        psu_map[p] = SIZE_MAX;
    for (size_t i = 0; i < data->n; i++)
        if (w.domain_of[i] == 0 || w.cal != NULL)
            stratum_used[w.stratum[i]] = true;
    if ((st = index_build_subdesign(&w, 0, stratum_used, psu_map, &s, err)) != SIPAS_OK ||
        (st = index_domain_buffers_alloc(&buf, s.m, inst->nelements, err)) != SIPAS_OK)
        goto done;
    size_t per_domain = 1 + inst->nelements + w.ncriteria;
    rows = calloc(per_domain, sizeof *rows);
    parent_mask = malloc((s.m ? s.m : 1) * sizeof *parent_mask);
    parent_scores = malloc((s.m ? s.m : 1) * sizeof *parent_scores);
    if (rows == NULL || parent_mask == NULL || parent_scores == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    buf.want = measure;
    if ((st = index_estimate_domain(&w, 0, &s, rows, &buf, err)) != SIPAS_OK) {
        index_locate_failure(&w, 0, st, err);
        goto done;
    }
    const sipas_index_row *prow = find_measure(rows, per_domain, measure);
    if (prow == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no measure '%s' (overall, an "
                             "element or a criterion)", inst->form_id, measure);
        goto done;
    }
    ur->parent = *prow;
    index_withhold_small_cell(&ur->parent, opt.min_cell ? opt.min_cell : SIPAS_DEFAULT_MIN_CELL);
    ur->parent_respondents = res->domains[0].respondents;
    ur->ci = res->ci;
    ur->level = res->level;
    memcpy(parent_mask, s.in_domain, s.m * sizeof *parent_mask);
    memcpy(parent_scores, buf.want_scores, s.m * sizeof *parent_scores);
    /* units: the unit column's codes present in the parent, in choice-list order */
    size_t nlevels = unit->is_text ? unit->nlevels : 0;
    if (!unit->is_text) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "column '%s' is numeric; units need a text or "
                             "coded column such as district", unit_column);
        goto done;
    }
    ur->units = calloc(nlevels ? nlevels : 1, sizeof *ur->units);
    if (ur->units == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    const sipas_choice_list *list = unit->item->list;
    size_t norder = list ? list->nchoices + nlevels : nlevels;
    for (size_t o = 0; o < norder && st == SIPAS_OK; o++) {
        /* listed codes first in list order, then any other stored codes */
        int32_t level = -1;
        if (list && o < list->nchoices) {
            for (size_t l = 0; l < nlevels; l++)
                if (strcmp(unit->levels[l], list->choices[o].name) == 0)
                    level = (int32_t)l;
        } else {
            size_t l = list ? o - list->nchoices : o;
            bool listed = false;
            for (size_t c = 0; list && c < list->nchoices; c++)
                listed |= strcmp(unit->levels[l], list->choices[c].name) == 0;
            if (!listed)
                level = (int32_t)l;
        }
        if (level < 0)
            continue;
        size_t count = 0;
        for (size_t i = 0; i < s.m; i++) {
            s.in_domain[i] = parent_mask[i] && unit->level[s.rows[i]] == level;
            count += s.in_domain[i];
        }
        if (count == 0)
            continue;
        res->domains[0].respondents = count;
        memset(buf.want_scores, 0, s.m * sizeof *buf.want_scores);
        w.unit_column = unit_column;
        w.unit_code = unit->levels[level];
        w.measure = NULL;
        if ((st = index_estimate_domain(&w, 0, &s, rows, &buf, err)) != SIPAS_OK) {
            index_locate_failure(&w, 0, st, err);
            break;
        }
        sipas_unit_estimate *ue = &ur->units[ur->nunits];
        ue->row = *find_measure(rows, per_domain, measure);
        ue->respondents = count;
        if ((ue->code = strdup(unit->levels[level])) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        ur->nunits++;
        ue->cov_with_parent = NAN;
        if (ue->row.estimable && ur->parent.estimable &&
            ue->row.variance_status == SIPAS_VARIANCE_OK &&
            ur->parent.variance_status == SIPAS_VARIANCE_OK)
            st = sipas_covariance(s.prepared, buf.want_scores, s.in_domain, parent_scores,
                                  parent_mask, &ue->cov_with_parent, err);
        size_t min_cell = opt.min_cell ? opt.min_cell : SIPAS_DEFAULT_MIN_CELL;
        if (ue->row.n < min_cell) {
            index_withhold_small_cell(&ue->row, min_cell);
            ue->cov_with_parent = NAN;
        }
    }
done:
    index_subdesign_release(&s);
    index_domain_buffers_release(&buf);
    free(rows);
    free(parent_mask);
    free(parent_scores);
    free(stratum_used);
    free(psu_map);
    work_release(&w);
    sipas_index_result_free(res);
    if (st != SIPAS_OK) {
        sipas_units_result_free(ur);
        return st;
    }
    *out = ur;
    return SIPAS_OK;
}
