/* The domain estimation of the index (src/index_estimate.h): scores each criterion's answers,
 * builds a domain's sub-design and turns the scores into the criterion, element and overall rows
 * with the pure statistics of src/estimate.c and src/calibrate.c.
 *
 * Speed: a domain's variance only involves the strata that hold at least one of its rows (every
 * other stratum has all PSU totals 0 and adds nothing, and is not "taking part" for the lonely-PSU
 * rules), so each domain is estimated on the sub-design of those strata. Domains that split the
 * strata (district x wave) then cost O(their rows), not O(n) each. */
#include "index_estimate.h"

#include <stdlib.h>

static sipas_status fill_scorer(const sipas_dataset *data, size_t k, const sipas_choice_list *list,
                                const sipas_index_options *opt, criterion_scorer *s,
                                sipas_error *err)
{
    const sipas_item *it = &data->inst->items[k];
    s->item = it;
    s->column = k;
    s->scoring = opt->scoring_set ? opt->scoring : it->scoring;
    s->ncodes = list->nchoices;
    s->codes = calloc(list->nchoices, sizeof *s->codes);
    s->y = calloc(list->nchoices, sizeof *s->y);
    s->missing = calloc(list->nchoices, sizeof *s->missing);
    if (s->codes == NULL || s->y == NULL || s->missing == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    double range = (double)(list->scale_max - list->scale_min);
    for (size_t c = 0; c < list->nchoices; c++) {
        const sipas_choice *ch = &list->choices[c];
        s->codes[c] = ch->value;
        s->missing[c] = ch->missing;
        switch (s->scoring) {
        case SIPAS_SCORING_SATISFIED_SHARE:
            s->y[c] = ch->satisfied ? 1.0 : 0.0;
            break;
        case SIPAS_SCORING_PERCENT_TO_MAX:
            if (!(range > 0))
                return sipas_error_set(err, SIPAS_ERR_USAGE, "criterion '%s': list '%s' has no range "
                                       "of codes for percent-to-max scoring", it->name, list->name);
            s->y[c] = (double)(ch->value - list->scale_min) / range;
            break;
        case SIPAS_SCORING_NPS:
            if (ch->missing == SIPAS_MISSING_NONE && (ch->value < 0 || ch->value > 10))
                return sipas_error_set(err, SIPAS_ERR_USAGE, "criterion '%s': NPS needs codes 0-10, "
                                       "list '%s' has %ld", it->name, list->name, ch->value);
            s->y[c] = ch->value >= 9 ? 1.0 : ch->value >= 7 ? 0.0 : -1.0;
            break;
        }
    }
    return SIPAS_OK;
}

/* A batch is scored with the list of the instrument version it was imported under. */
sipas_status index_make_scorer(const sipas_dataset *data, size_t k, const sipas_index_options *opt,
                                criterion_scorer *s, sipas_error *err)
{
    const sipas_column *col = &data->columns[k];
    sipas_status st = fill_scorer(data, k, col->item->list, opt, s, err);
    if (st != SIPAS_OK || data->nversions == 0 || col->version_list == NULL)
        return st;
    if ((s->by_version = calloc(data->nversions, sizeof *s->by_version)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    s->nversions = data->nversions;
    for (size_t v = 0; v < data->nversions && st == SIPAS_OK; v++)
        st = fill_scorer(data, k, col->version_list[v] ? col->version_list[v] : col->item->list,
                         opt, &s->by_version[v], err);
    return st;
}

void index_release_scorer(criterion_scorer *s)
{
    for (size_t v = 0; v < s->nversions; v++)
        index_release_scorer(&s->by_version[v]);
    free(s->by_version);
    free(s->codes);
    free(s->y);
    free(s->missing);
}

sipas_missing_kind index_score_code(const criterion_scorer *s, double code, double *y, double *x)
{
    *y = 0;
    *x = 0;
    if (isnan(code))
        return SIPAS_MISSING_NONE + 0; /* caller counts empty cells apart */
    for (size_t c = 0; c < s->ncodes; c++) {
        if ((double)s->codes[c] == code) {
            if (s->missing[c] != SIPAS_MISSING_NONE)
                return s->missing[c];
            *y = s->y[c];
            *x = 1;
            return SIPAS_MISSING_NONE;
        }
    }
    return SIPAS_MISSING_NONE; /* a code no longer in the list: treated as no answer */
}

void index_subdesign_release(subdesign *s)
{
    free(s->rows);
    free(s->weight);
    free(s->stratum);
    free(s->psu);
    free(s->fpc);
    free(s->global_stratum);
    free(s->in_domain);
    sipas_prepared_design_free(s->prepared);
    memset(s, 0, sizeof *s);
}

/* The estimation core names strata by index ("stratum 3 has only one PSU", "stratum 3: fpc
 * gives..."): put the stratum's label in, and for a lonely stratum say what to do. */
sipas_status index_name_stratum(char *const *stratum_label, const size_t *global_stratum,
                                size_t nstrata, sipas_status st, sipas_error *err)
{
    size_t h;
    int used = 0;
    if (err == NULL || sscanf(err->message, "stratum %zu%n", &h, &used) != 1 || h >= nstrata)
        return st;
    char rest[SIPAS_ERROR_MESSAGE_MAX];
    snprintf(rest, sizeof rest, "%s", err->message + used);
    bool lonely = strcmp(rest, " has only one PSU") == 0;
    sipas_error_set(err, st, "stratum '%s'%s%s", stratum_label[global_stratum[h]], rest,
                    lonely ? "; choose how to treat it with --lonely-psu "
                             "remove|certainty|adjust|average"
                           : "");
    return st;
}

static sipas_status name_stratum(const index_work *w, const subdesign *s, sipas_status st,
                                 sipas_error *err)
{
    return index_name_stratum(w->stratum_label, s->global_stratum, s->nstrata, st, err);
}

sipas_status index_build_subdesign(index_work *w, size_t dom, const bool *stratum_used, size_t *psu_map,
                                    subdesign *s, sipas_error *err)
{
    memset(s, 0, sizeof *s);
    for (size_t h = 0; h < w->nstrata; h++)
        if (stratum_used[h]) {
            s->m += w->stratum_start[h + 1] - w->stratum_start[h];
            s->nstrata++;
        }
    s->rows = malloc(s->m * sizeof *s->rows);
    s->weight = malloc(s->m * sizeof *s->weight);
    s->stratum = malloc(s->m * sizeof *s->stratum);
    s->in_domain = malloc(s->m * sizeof *s->in_domain);
    s->global_stratum = malloc(s->nstrata * sizeof *s->global_stratum);
    if (w->psu)
        s->psu = malloc(s->m * sizeof *s->psu);
    if (w->fpc)
        s->fpc = malloc(s->nstrata * sizeof *s->fpc);
    if (s->rows == NULL || s->weight == NULL || s->stratum == NULL || s->in_domain == NULL ||
        s->global_stratum == NULL || (w->psu && s->psu == NULL) || (w->fpc && s->fpc == NULL))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t r = 0, hs = 0;
    for (size_t h = 0; h < w->nstrata; h++) {
        if (!stratum_used[h])
            continue;
        s->global_stratum[hs] = h;
        if (s->fpc)
            s->fpc[hs] = w->fpc[h];
        for (size_t k = w->stratum_start[h]; k < w->stratum_start[h + 1]; k++) {
            size_t i = w->stratum_rows[k];
            s->rows[r] = i;
            s->weight[r] = w->weight[i];
            s->stratum[r] = hs;
            s->in_domain[r] = w->domain_of[i] == dom;
            if (s->psu) {
                size_t g = w->psu[i];
                if (psu_map[g] == SIZE_MAX)
                    psu_map[g] = s->npsu++;
                s->psu[r] = psu_map[g];
            }
            r++;
        }
        hs++;
    }
    if (s->psu)
        for (size_t k = 0; k < s->m; k++)
            psu_map[w->psu[s->rows[k]]] = SIZE_MAX; /* reset for the next domain */
    sipas_design design = {
        .n = s->m, .weight = s->weight, .nstrata = s->nstrata, .stratum = s->stratum,
        .npsu = s->npsu, .psu = s->psu, .fpc = s->fpc, .lonely_psu = w->opt->lonely_psu,
    };
    sipas_status st = sipas_design_prepare(&design, &s->prepared, err);
    return st == SIPAS_OK ? st : name_stratum(w, s, st, err);
}

/* Variance, df, CI, flags, deff and Kish deff of an estimate with its scores on the
 * sub-design. ratio (with y and x) for a criterion, NULL for a composite (deff from the scores).
 * mask is the domain the estimate is over: for a criterion its valid answers, so that df, the
 * strata taking part and n match R's svyciprop on subset(design, valid & domain).
 * summary: the figures already made with the scores (sipas_ratio_estimate_summary), or NULL.
 * abs_scores: a composite's rows' sums of |component score| (sipas_composite_summary). */
static sipas_status finish_row(index_work *w, const subdesign *s, const double *y, const double *x,
                               const sipas_ratio *ratio, const double *scores,
                               const double *abs_scores, const bool *mask,
                               const sipas_estimate_summary *summary, double n_for_beta,
                               sipas_index_row *row, sipas_error *err)
{
    sipas_status st;
    double calibrated_variance = NAN;
    if (!summary && w->cal) {
        /* the residuals of the scores on the calibration cells, computed in row order; R keeps
         * every row of a calibrated design in a domain, so every stratum takes part */
        for (size_t i = 0; i < s->m; i++)
            w->cal_scores[s->rows[i]] = scores[i];
        if ((st = sipas_calibration_adjust_scores(w->cal, w->cal_scores, w->cal_scores, err)) != SIPAS_OK)
            return st;
        double *adjusted = malloc((s->m ? s->m : 1) * sizeof *adjusted);
        if (adjusted == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < s->m; i++)
            adjusted[i] = w->cal_scores[s->rows[i]];
        st = sipas_variance(s->prepared, adjusted, NULL, &calibrated_variance, err);
        free(adjusted);
        if (st != SIPAS_OK)
            return name_stratum(w, s, st, err);
    }
    /* variance (unless calibrated), df counts, deff and Kish deff in one pass over the rows */
    const double *given = w->cal ? &calibrated_variance : NULL;
    sipas_estimate_summary sum;
    if (summary)
        sum = *summary;
    else if ((st = ratio ? sipas_ratio_summary(s->prepared, y, x, ratio, scores, mask, given,
                                               false, &sum, err)
                         : sipas_composite_summary(s->prepared, scores, abs_scores, mask, given,
                                                   false, &sum, err)) != SIPAS_OK)
        return name_stratum(w, s, st, err);
    return index_finish_row(w->res, &sum, n_for_beta, row, err);
}

sipas_status index_finish_row(const sipas_index_result *res, const sipas_estimate_summary *summary,
                              double n_for_beta, sipas_index_row *row, sipas_error *err)
{
    sipas_status st;
    const sipas_estimate_summary sum = *summary;
    row->variance = sum.variance;
    row->deff = sum.deff;
    row->kish_deff = sum.kish_deff;
    size_t psus = sum.psus, strata = sum.strata;
    row->df = (double)psus - (double)strata;
    bool nps = row->scoring == SIPAS_SCORING_NPS;
    row->ci_method = nps ? SIPAS_CI_MEAN : res->ci;
    row->variance_status = psus <= 1              ? SIPAS_VARIANCE_ONE_PSU
                           : isnan(row->variance) ? SIPAS_VARIANCE_LONELY
                           : row->df <= 0         ? SIPAS_VARIANCE_NO_DF
                                                  : SIPAS_VARIANCE_OK;
    if (row->variance_status != SIPAS_VARIANCE_OK) {
        row->variance = row->se = row->ci_low = row->ci_high = row->n_eff = NAN;
        row->deff = NAN;
        row->flags = SIPAS_NCHS_NO_CI | SIPAS_NCHS_FEW_DF |
                     (nps ? 0 : SIPAS_NCHS_SMALL_N_EFF); /* nothing to judge the estimate by */
        return SIPAS_OK;
    }
    row->se = sqrt(row->variance);
    double p = row->estimate;
    if (!nps && p < 0)
        p = 0; /* rounding of a composite of zeros */
    if (!nps && p > 1)
        p = 1;
    if ((st = sipas_ci_proportion(row->ci_method, p, row->variance, row->df, res->level,
                                  n_for_beta, &row->ci_low, &row->ci_high, err)) != SIPAS_OK)
        return st;
    /* the Wald (mean) interval is not bounded: keep it within the scale of the measure */
    double floor_value = nps ? -1 : 0;
    if (row->ci_low < floor_value)
        row->ci_low = floor_value;
    if (row->ci_high > 1)
        row->ci_high = 1;
    if (!nps) {
        /* V = 0 (p = 0 or 1, PSUs alike, a census of PSUs): Korn-Graubard at n_eff = n */
        double lo = NAN, hi = NAN;
        if ((st = sipas_ci_proportion(SIPAS_CI_BETA, p, row->variance, row->df, 0.95, n_for_beta,
                                      &lo, &hi, err)) != SIPAS_OK)
            return st;
        row->n_eff = sipas_effective_n(p, row->variance);
        row->flags = sipas_nchs_flags(p, row->variance, (double)row->n, lo, hi, row->df);
    } else {
        row->n_eff = NAN;
        row->flags = row->df < 8 ? SIPAS_NCHS_FEW_DF : 0;
    }
    return SIPAS_OK;
}

/* Withholds every value of a row over too few respondents (privacy), keeping n. */
void index_withhold_small_cell(sipas_index_row *row, size_t min_cell)
{
    if (row->n >= min_cell)
        return;
    row->estimate = row->variance = row->se = row->ci_low = row->ci_high = NAN;
    row->deff = row->kish_deff = row->n_eff = NAN;
    memset(row->n_missing, 0, sizeof row->n_missing); /* counts would reveal answers too */
    row->flags = SIPAS_FLAG_SMALL_CELL | SIPAS_NCHS_NO_CI;
}

void index_not_estimable(sipas_index_row *row)
{
    row->estimable = false;
    row->variance_status = SIPAS_VARIANCE_NO_ANSWER;
    row->estimate = row->variance = row->se = row->ci_low = row->ci_high = NAN;
    row->df = row->deff = row->kish_deff = row->n_eff = NAN;
    row->flags = SIPAS_NCHS_NO_CI;
}

void index_domain_buffers_release(domain_buffers *b)
{
    free(b->y);
    free(b->x);
    free(b->z);
    free(b->valid);
    free(b->elem_scores);
    free(b->overall_scores);
    free(b->elem_abs);
    free(b->overall_abs);
    free(b->want_scores);
    b->y = b->x = b->z = b->elem_scores = b->overall_scores = b->want_scores = NULL;
    b->elem_abs = b->overall_abs = NULL;
    b->valid = NULL;
}

sipas_status index_domain_buffers_alloc(domain_buffers *b, size_t m, size_t nelements,
                                         sipas_error *err)
{
    index_domain_buffers_release(b);
    size_t n = m ? m : 1;
    b->y = malloc(n * sizeof *b->y);
    b->x = malloc(n * sizeof *b->x);
    b->z = malloc(n * sizeof *b->z);
    b->valid = malloc(n * sizeof *b->valid);
    b->elem_scores = malloc((nelements ? nelements : 1) * n * sizeof *b->elem_scores);
    b->overall_scores = malloc(n * sizeof *b->overall_scores);
    b->elem_abs = malloc((nelements ? nelements : 1) * n * sizeof *b->elem_abs);
    b->overall_abs = malloc(n * sizeof *b->overall_abs);
    b->want_scores = calloc(n, sizeof *b->want_scores);
    if (!b->y || !b->x || !b->z || !b->valid || !b->elem_scores || !b->overall_scores ||
        !b->elem_abs || !b->overall_abs || !b->want_scores)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    return SIPAS_OK;
}

static void keep_scores(domain_buffers *b, const char *name, const double *scores, size_t m)
{
    if (b->want && strcmp(b->want, name) == 0)
        memcpy(b->want_scores, scores, m * sizeof *scores);
}

/* Puts "form 'F', district 'x', wave 2024, measure 'q1'" before a failure of index_estimate_domain, so
 * that a numeric or design problem says where it happened. */
sipas_status index_locate(const char *form_id, const sipas_index_result *res, size_t dom,
                          const char *unit_column, const char *unit_code, double unit_wave,
                          const char *measure, sipas_status st, sipas_error *err)
{
    char where[SIPAS_ERROR_MESSAGE_MAX / 2];
    size_t used = (size_t)snprintf(where, sizeof where, "form '%s'", form_id);
    for (size_t b = 0; b < res->nby && dom < res->ndomains && used < sizeof where; b++)
        used += (size_t)snprintf(where + used, sizeof where - used, ", %s '%s'", res->by[b],
                                 res->domains[dom].values[b]);
    if (unit_column && used < sizeof where)
        used += (size_t)snprintf(where + used, sizeof where - used, ", %s '%s'", unit_column,
                                 unit_code ? unit_code : "");
    if (!isnan(unit_wave) && used < sizeof where)
        used += (size_t)snprintf(where + used, sizeof where - used, ", wave %g", unit_wave);
    if (measure && used < sizeof where)
        snprintf(where + used, sizeof where - used, ", measure '%s'", measure);
    return sipas_error_prefix(err, st, "%s", where);
}

sipas_status index_locate_failure(const index_work *w, size_t dom, sipas_status st, sipas_error *err)
{
    return index_locate(w->data->inst->form_id, w->res, dom, w->unit_column, w->unit_code,
                        w->unit_wave, w->measure, st, err);
}

sipas_index_row index_overall_row(size_t dom, size_t respondents, bool estimable)
{
    return (sipas_index_row){
        .domain = dom, .level = SIPAS_LEVEL_OVERALL, .measure = -1, .name = "overall",
        .label_vi = "Chỉ số hài lòng chung", .label_en = "Overall satisfaction index",
        .scoring = SIPAS_SCORING_SATISFIED_SHARE, .estimable = estimable, .n = respondents,
    };
}

sipas_index_row index_element_row(const sipas_instrument *inst, size_t e, size_t dom,
                                  size_t respondents, size_t ncriteria)
{
    return (sipas_index_row){
        .domain = dom, .level = SIPAS_LEVEL_ELEMENT, .measure = (int)e,
        .name = inst->elements[e].name, .label_vi = inst->elements[e].label_vi,
        .label_en = inst->elements[e].label_en, .estimable = ncriteria > 0, .n = respondents,
        .scoring = SIPAS_SCORING_SATISFIED_SHARE,
    };
}

sipas_index_row index_criterion_row(const criterion_scorer *sc, size_t dom)
{
    return (sipas_index_row){
        .domain = dom, .level = SIPAS_LEVEL_CRITERION, .measure = (int)sc->column,
        .name = sc->item->name, .label_vi = sc->item->label_vi, .label_en = sc->item->label_en,
        .scoring = sc->scoring,
    };
}

sipas_status index_estimate_domain(index_work *w, size_t dom, const subdesign *s, sipas_index_row *rows,
                                    domain_buffers *b, sipas_error *err)
{
    double *y = b->y, *x = b->x, *z = b->z, *elem_scores = b->elem_scores,
           *overall_scores = b->overall_scores, *elem_abs = b->elem_abs,
           *overall_abs = b->overall_abs;
    const sipas_instrument *inst = w->data->inst;
    size_t m = s->m, ne = inst->nelements;
    sipas_status st = SIPAS_OK;
    /* row layout: [0] overall, then per element: element row, its criteria */
    sipas_index_row *overall = &rows[0];
    size_t respondents = w->res->domains[dom].respondents;
    memset(elem_scores, 0, ne * m * sizeof *elem_scores);
    memset(overall_scores, 0, m * sizeof *overall_scores);
    memset(elem_abs, 0, ne * m * sizeof *elem_abs);
    memset(overall_abs, 0, m * sizeof *overall_abs);
    size_t r = 1;
    double weight_sum = 0;
    for (size_t e = 0; e < ne; e++)
        weight_sum += inst->elements[e].weight;
    *overall = index_overall_row(dom, respondents, weight_sum > 0);
    bool overall_nps = false;
    for (size_t e = 0; e < ne; e++) {
        sipas_index_row *erow = &rows[r++];
        double *es = elem_scores + e * m, *ea = elem_abs + e * m;
        size_t k = 0;
        for (size_t c = 0; c < w->ncriteria; c++)
            k += w->scorers[c].item->element == (int)e;
        *erow = index_element_row(inst, e, dom, respondents, k);
        for (size_t c = 0; c < w->ncriteria; c++) {
            const criterion_scorer *sc = &w->scorers[c];
            if (sc->item->element != (int)e)
                continue;
            sipas_index_row *crow = &rows[r++];
            const sipas_column *col = &w->data->columns[sc->column];
            *crow = index_criterion_row(sc, dom);
            erow->scoring = sc->scoring; /* an element shares its criteria's scoring */
            sipas_ratio ratio = {0};
            bool ratio_sums_made = false;
            if (col->code && sc->by_version == NULL) {
                /* byte codes: score each of the 256 values once, then look rows up */
                double code_y[256], code_x[256];
                sipas_missing_kind code_kind[256];
                for (int v = 0; v < 256; v++)
                    code_kind[v] = index_score_code(sc, v == SIPAS_CODE_EMPTY ? NAN : v, &code_y[v],
                                             &code_x[v]);
                code_kind[SIPAS_CODE_EMPTY] = 0; /* empty cells are counted apart */
                /* The ratio's first pass comes with the scoring: the sums of sipas_ratio_estimate
                 * over the domain, in its order (sipas_ratio_summary_of_sums). The arrays are
                 * read through locals: the byte stores to valid could alias any pointer. */
                const uint8_t *codes = col->code;
                const size_t *rows_of = s->rows;
                const bool *in_domain = s->in_domain;
                const double *weight = s->weight;
                bool *valid = b->valid;
                double numerator = 0, denominator = 0;
                size_t n_valid = 0, n_domain = 0;
                for (size_t i = 0; i < m; i++) {
                    uint8_t v = codes[rows_of[i]];
                    double yi = code_y[v], xi = code_x[v], wi = weight[i];
                    y[i] = yi;
                    x[i] = xi;
                    /* & rather than &&: three tests without a branch each */
                    bool valid_i = in_domain[i] & (xi != 0) & (wi > 0);
                    valid[i] = valid_i;
                    if (!in_domain[i])
                        continue;
                    if (xi == 0)
                        crow->n_missing[code_kind[v]]++;
                    n_domain++;
                    n_valid += valid_i; /* x != 0 and w != 0: the prepared design has w >= 0 */
                    numerator += wi * yi;
                    denominator += wi * xi;
                }
                ratio = (sipas_ratio){.numerator = numerator, .denominator = denominator,
                                      .n_valid = n_valid, .n_domain = n_domain};
                ratio_sums_made = true;
            } else {
                for (size_t i = 0; i < m; i++) {
                    double code = sipas_column_number(col, s->rows[i]);
                    const criterion_scorer *row_sc = sc->by_version
                                                   ? &sc->by_version[w->data->row_version[s->rows[i]]] : sc;
                    sipas_missing_kind kind = index_score_code(row_sc, code, &y[i], &x[i]);
                    if (s->in_domain[i] && x[i] == 0)
                        crow->n_missing[isnan(code) ? 0 : kind]++;
                    b->valid[i] = s->in_domain[i] && x[i] != 0 && s->weight[i] > 0;
                }
            }
            sipas_error ratio_err;
            /* uncalibrated: the variance, df, deff and Kish deff come with the scores */
            sipas_estimate_summary summary;
            w->measure = crow->name;
            st = w->cal ? sipas_ratio_estimate(s->prepared, y, x, s->in_domain, &ratio, z, &ratio_err)
                 : ratio_sums_made
                     ? sipas_ratio_summary_of_sums(s->prepared, y, x, s->in_domain, b->valid,
                                                   false, &ratio, z, &summary, &ratio_err)
                     : sipas_ratio_estimate_summary(s->prepared, y, x, s->in_domain, b->valid,
                                                    false, &ratio, z, &summary, &ratio_err);
            bool no_answer = st == SIPAS_ERR_MATH && (w->cal || ratio.denominator == 0);
            crow->n = st == SIPAS_OK ? ratio.n_valid : 0;
            if (no_answer) {
                index_not_estimable(crow);
                erow->estimable = false;
                st = SIPAS_OK;
                continue;
            }
            if (st != SIPAS_OK) {
                if (err)
                    *err = ratio_err;
                return name_stratum(w, s, st, err);
            }
            crow->estimable = true;
            crow->estimate = ratio.estimate;
            if ((st = finish_row(w, s, y, x, &ratio, z, NULL, b->valid, w->cal ? NULL : &summary,
                                 (double)ratio.n_valid, crow, err)) != SIPAS_OK)
                return st;
            keep_scores(b, crow->name, z, m);
            /* element = mean of its criteria: accumulate estimate and scores (svycontrast) */
            erow->estimate += ratio.estimate / (double)k;
            for (size_t i = 0; i < m; i++) {
                es[i] += z[i] / (double)k;
                ea[i] += fabs(z[i]) / (double)k;
            }
        }
        if (erow->scoring == SIPAS_SCORING_NPS && inst->elements[e].weight > 0)
            overall_nps = true;
        if (!erow->estimable) {
            index_not_estimable(erow);
        } else {
            keep_scores(b, erow->name, es, m);
            w->measure = erow->name;
            if ((st = finish_row(w, s, NULL, NULL, NULL, es, ea, s->in_domain, NULL,
                                 (double)respondents, erow, err)) != SIPAS_OK)
                return st;
        }
        double c = weight_sum > 0 ? inst->elements[e].weight / weight_sum : 0;
        if (c > 0) {
            if (!erow->estimable)
                overall->estimable = false;
            else {
                overall->estimate += c * erow->estimate;
                for (size_t i = 0; i < m; i++) {
                    overall_scores[i] += c * es[i];
                    overall_abs[i] += c * ea[i];
                }
            }
        }
    }
    if (overall_nps)
        overall->scoring = SIPAS_SCORING_NPS; /* mixing NPS into the overall makes it not a proportion */
    if (!overall->estimable) {
        index_not_estimable(overall);
        return SIPAS_OK;
    }
    keep_scores(b, overall->name, overall_scores, m);
    w->measure = overall->name;
    return finish_row(w, s, NULL, NULL, NULL, overall_scores, overall_abs, s->in_domain, NULL,
                      (double)respondents, overall, err);
}
