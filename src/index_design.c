/* The design builder of the index (src/index_design.h): numbers the strata (wave x stratum
 * column) and PSUs (cluster within stratum) of every stored row, checks the weights and the fpc
 * and settles how the fpc is read, then applies the requested weighting (base weights,
 * post-stratification, raking) from the population margins. Kept apart from the estimation so
 * that what defines the design can be read, and checked against R's svydesign, in one place. */
#include "index_design.h"

#include <stdlib.h>

#include "hash_map.h"

sipas_status index_fpc_as_fractions(const char *column, size_t nstrata, double *fpc,
                                    const size_t *sampled, char *const *stratum_label,
                                    sipas_error *err)
{
    bool counts = false, fractions = false;
    for (size_t h = 0; h < nstrata; h++) {
        double v = fpc[h];
        if (isnan(v) || v == INFINITY)
            continue;
        if (!(v > 0))
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum '%s' has "
                                   "fpc %g, not a positive number", column, stratum_label[h], v);
        counts |= v > 1;
        fractions |= v < 1;
    }
    if (counts && fractions)
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s' mixes population counts "
                               "(> 1) and sampling fractions (< 1)", column);
    for (size_t h = 0; h < nstrata; h++) {
        double v = fpc[h];
        if (isnan(v) || v == INFINITY || !counts)
            continue;
        if (v < (double)sampled[h])
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum '%s' has %g "
                                   "PSUs in the population but %zu in the sample", column,
                                   stratum_label[h], v, sampled[h]);
        fpc[h] = (double)sampled[h] / v;
    }
    return SIPAS_OK;
}

char *index_stratum_label(const sipas_column *stratum, const sipas_column *wave, size_t i)
{
    char sbuf[128] = "", wbuf[32] = "", label[200];
    if (stratum)
        column_code(stratum, i, sbuf, sizeof sbuf);
    if (wave)
        column_code(wave, i, wbuf, sizeof wbuf);
    snprintf(label, sizeof label, "%s%s%s%s", stratum ? sbuf : "all", wave ? " (wave " : "", wbuf,
             wave ? ")" : "");
    return strdup(label);
}

/* The PSUs sampled in each stratum (rows without a cluster column), for the fpc. */
static sipas_status fpc_of_design(index_work *w, const sipas_column *fcol, sipas_error *err)
{
    size_t *sampled = calloc(w->nstrata ? w->nstrata : 1, sizeof *sampled);
    unsigned char *seen = calloc(w->psu ? w->npsu : 1, 1);
    if (sampled == NULL || seen == NULL) {
        free(sampled);
        free(seen);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < w->n; i++) {
        if (w->psu == NULL)
            sampled[w->stratum[i]]++;
        else if (!seen[w->psu[i]]) {
            seen[w->psu[i]] = 1;
            sampled[w->stratum[i]]++;
        }
    }
    free(seen);
    sipas_status st = index_fpc_as_fractions(fcol->item->name, w->nstrata, w->fpc, sampled,
                                             w->stratum_label, err);
    free(sampled);
    return st;
}

sipas_status index_build_design(index_work *w, sipas_error *err)
{
    const sipas_dataset *d = w->data;
    size_t n = d->n;
    const sipas_column *wave = sipas_dataset_role(d, SIPAS_ROLE_WAVE);
    const sipas_column *strat = sipas_dataset_role(d, SIPAS_ROLE_STRATUM);
    const sipas_column *clus = sipas_dataset_role(d, SIPAS_ROLE_CLUSTER);
    const sipas_column *wcol = sipas_dataset_role(d, SIPAS_ROLE_WEIGHT);
    const sipas_column *fcol = sipas_dataset_role(d, SIPAS_ROLE_FPC);
    w->n = n;
    w->weight = malloc(n * sizeof *w->weight);
    w->stratum = malloc(n * sizeof *w->stratum);
    if (clus)
        w->psu = malloc(n * sizeof *w->psu);
    if (w->weight == NULL || w->stratum == NULL || (clus && w->psu == NULL))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    hash_map strata = {0}, psus = {0};
    sipas_status st = SIPAS_OK;
    for (size_t i = 0; i < n; i++) {
        uint64_t wk = 0, sk = 0;
        if (wave)
            column_key(wave, i, &wk);
        if (strat)
            column_key(strat, i, &sk);
        size_t h;
        if (!hash_map_find_or_add(&strata, hash_mix64(wk) ^ (sk * 0x9e3779b97f4a7c15ull), NULL, NULL, &h, NULL)) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        w->stratum[i] = h;
        if (clus) {
            uint64_t ck = 0;
            if (!column_key(clus, i, &ck)) {
                st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "a stored response has no value in "
                                     "cluster column '%s'", clus->item->name);
                goto done;
            }
            size_t p;
            if (!hash_map_find_or_add(&psus, hash_mix64(h + 1) ^ (ck * 0xbf58476d1ce4e5b9ull) ^ ck, NULL, NULL, &p, NULL)) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
            w->psu[i] = p;
        }
        double wt = wcol ? sipas_column_number(wcol, i) : 1.0;
        if (!(wt >= 0) || !isfinite(wt)) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "a stored response has weight %g", wt);
            goto done;
        }
        w->weight[i] = wt;
    }
    w->nstrata = strata.count;
    w->npsu = psus.count;
    /* labels and row groups per stratum */
    w->stratum_label = calloc(w->nstrata, sizeof *w->stratum_label);
    w->stratum_start = calloc(w->nstrata + 1, sizeof *w->stratum_start);
    w->stratum_rows = malloc(n * sizeof *w->stratum_rows);
    if (fcol)
        w->fpc = malloc(w->nstrata * sizeof *w->fpc);
    if (w->stratum_label == NULL || w->stratum_start == NULL || w->stratum_rows == NULL ||
        (fcol && w->fpc == NULL)) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        w->stratum_start[w->stratum[i] + 1]++;
    for (size_t h = 0; h < w->nstrata; h++)
        w->stratum_start[h + 1] += w->stratum_start[h];
    size_t *fill = calloc(w->nstrata, sizeof *fill);
    if (fill == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t h = w->stratum[i];
        w->stratum_rows[w->stratum_start[h] + fill[h]++] = i;
        if (w->stratum_label[h] == NULL) {
            if ((w->stratum_label[h] = index_stratum_label(strat, wave, i)) == NULL) {
                free(fill);
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
            if (fcol)
                w->fpc[h] = sipas_column_number(fcol, i);
        } else if (fcol && !(sipas_column_number(fcol, i) == w->fpc[h])) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum '%s' has two "
                                 "population counts (%g and %g)", fcol->item->name,
                                 w->stratum_label[h], w->fpc[h], sipas_column_number(fcol, i));
            free(fill);
            goto done;
        }
    }
    free(fill);
    if (fcol && (st = fpc_of_design(w, fcol, err)) != SIPAS_OK)
        goto done;
    w->res->design_rows = n;
    w->res->nstrata = w->nstrata;
    w->res->npsu = clus ? w->npsu : n;
done:
    hash_map_release(&strata);
    hash_map_release(&psus);
    return st;
}

/* The cell of row i in a margin ("female|18_29"), or false when a column is empty. */
static bool margin_cell_of_row(const sipas_dataset *d, const sipas_column *const *cols, size_t ncols,
                               size_t i, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t k = 0; k < ncols; k++) {
        char code[256];
        column_code(cols[k], i, code, sizeof code);
        if (code[0] == '\0')
            return false;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", k ? "|" : "", code);
    }
    (void)d;
    return true;
}

/* Builds one sipas_margin over the rows: cells are wave x margin cell, populations from the
 * frame (the wave's own row, else the every-wave row). */
static sipas_status build_margin(index_work *w, const sipas_population_margin *pm, sipas_margin *out,
                                 size_t **cell_out, double **pop_out, char ***labels_out,
                                 sipas_error *err)
{
    const sipas_dataset *d = w->data;
    const sipas_column *wave = sipas_dataset_role(d, SIPAS_ROLE_WAVE);
    const sipas_column *cols[8];
    size_t ncols = 0;
    char names[256];
    snprintf(names, sizeof names, "%s", pm->columns);
    for (char *tok = strtok(names, "+"); tok; tok = strtok(NULL, "+")) {
        if (ncols == 8 || (cols[ncols] = sipas_dataset_column(d, tok)) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "margin '%s': form '%s' has no column "
                                   "'%s'", pm->columns, d->inst->form_id, tok);
        ncols++;
    }
    size_t *cell = malloc((d->n ? d->n : 1) * sizeof *cell);
    hash_map cells = {0};
    double *pop = NULL;
    char **labels = NULL;
    size_t cap = 0;
    sipas_status st = SIPAS_OK;
    if (cell == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n && st == SIPAS_OK; i++) {
        char key[1024];
        if (!margin_cell_of_row(d, cols, ncols, i, key, sizeof key)) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "margin '%s': a respondent has no value "
                                 "in a margin column, so cannot be calibrated (row %zu of the "
                                 "stored data)", pm->columns, i + 1);
            break;
        }
        long wv = wave ? (long)sipas_column_number(wave, i) : 0;
        uint64_t h = hash_mix64((uint64_t)wv);
        for (const char *p = key; *p; p++)
            h = hash_mix64(h ^ (unsigned char)*p);
        size_t c;
        if (!hash_map_find_or_add(&cells, h, NULL, NULL, &c, NULL)) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        cell[i] = c;
        if (c < cap && labels[c] != NULL)
            continue;
        if (c >= cap) {
            size_t ncap = cap ? cap * 2 : 64;
            while (ncap <= c)
                ncap *= 2;
            double *p2 = realloc(pop, ncap * sizeof *p2);
            char **l2 = p2 ? realloc(labels, ncap * sizeof *l2) : NULL;
            if (p2) pop = p2;
            if (l2) labels = l2;
            if (!p2 || !l2) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t k = cap; k < ncap; k++)
                labels[k] = NULL;
            cap = ncap;
        }
        char label[1100];
        snprintf(label, sizeof label, wave ? "%s (wave %ld)" : "%s", key, wv);
        if ((labels[c] = strdup(label)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        /* the population of the cell: this wave's frame row, else the every-wave row */
        pop[c] = NAN;
        for (size_t f = 0; f < pm->ncells; f++) {
            if (strcmp(pm->cells[f].cell, key) != 0)
                continue;
            if (pm->cells[f].wave == wv)
                pop[c] = pm->cells[f].population;
            else if (pm->cells[f].wave == 0 && isnan(pop[c]))
                pop[c] = pm->cells[f].population;
        }
        if (isnan(pop[c]))
            st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "margin '%s': no population count for cell "
                                 "'%s'", pm->columns, label);
    }
    /* a frame cell of a wave in the data that no respondent fills cannot be calibrated to */
    if (st == SIPAS_OK && wave) {
        for (size_t f = 0; f < pm->ncells && st == SIPAS_OK; f++) {
            if (pm->cells[f].population <= 0)
                continue;
            bool wave_present = false, filled = false;
            for (size_t c = 0; c < cells.count && !filled; c++) {
                const char *open = strrchr(labels[c], '(');
                long wv = open ? strtol(open + 6, NULL, 10) : 0;
                size_t klen = open ? (size_t)(open - labels[c] - 1) : strlen(labels[c]);
                if (pm->cells[f].wave != 0 && wv != pm->cells[f].wave)
                    continue;
                wave_present = true;
                filled = strlen(pm->cells[f].cell) == klen &&
                         strncmp(labels[c], pm->cells[f].cell, klen) == 0;
            }
            if (wave_present && !filled && pm->cells[f].wave != 0)
                st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "margin '%s': cell '%s' (wave %lld) "
                                     "has a population of %g but no respondent", pm->columns,
                                     pm->cells[f].cell, (long long)pm->cells[f].wave,
                                     pm->cells[f].population);
        }
    }
    size_t ncells = cells.count;
    hash_map_release(&cells);
    if (st != SIPAS_OK) {
        free(cell);
        free(pop);
        for (size_t k = 0; k < cap; k++)
            free(labels ? labels[k] : NULL);
        free(labels);
        return st;
    }
    out->name = pm->columns;
    out->cell = cell;
    out->ncells = ncells;
    out->population = pop;
    out->labels = (const char *const *)labels;
    *cell_out = cell;
    *pop_out = pop;
    *labels_out = labels;
    return SIPAS_OK;
}

/* Applies options->weighting to w->weight (and keeps the calibration for the variances). */
sipas_status index_apply_weighting(index_work *w, sipas_error *err)
{
    const sipas_index_options *opt = w->opt;
    if (opt->weighting == SIPAS_WEIGHTING_DESIGN)
        return SIPAS_OK;
    size_t needed = opt->weighting == SIPAS_WEIGHTING_RAKE ? 2 : 1;
    if (opt->nmargins < needed || (opt->weighting != SIPAS_WEIGHTING_RAKE && opt->nmargins != 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s needs %s population margin%s",
                               opt->weighting == SIPAS_WEIGHTING_RAKE ? "raking" :
                               opt->weighting == SIPAS_WEIGHTING_BASE ? "base weighting" :
                               "post-stratification",
                               opt->weighting == SIPAS_WEIGHTING_RAKE ? "two or more" : "one",
                               needed > 1 ? "s" : "");
    sipas_margin *margins = calloc(opt->nmargins, sizeof *margins);
    size_t **cells = calloc(opt->nmargins, sizeof *cells);
    double **pops = calloc(opt->nmargins, sizeof *pops);
    char ***labels = calloc(opt->nmargins, sizeof *labels);
    sipas_status st = SIPAS_OK;
    if (!margins || !cells || !pops || !labels)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t built = 0;
    for (; built < opt->nmargins && st == SIPAS_OK; built++)
        st = build_margin(w, &opt->margins[built], &margins[built], &cells[built], &pops[built],
                          &labels[built], err);
    if (st == SIPAS_OK && opt->weighting == SIPAS_WEIGHTING_BASE) {
        /* w_i = N_c / n_c: a stratified simple random sample of respondents */
        st = sipas_base_weights(w->n, cells[0], margins[0].ncells, pops[0], w->weight, err);
    } else if (st == SIPAS_OK) {
        st = opt->weighting == SIPAS_WEIGHTING_POSTSTRATIFY
           ? sipas_poststratify(w->n, w->weight, &margins[0], &w->cal, err)
           : sipas_rake(w->n, w->weight, opt->nmargins, margins, NULL, &w->cal, err);
        if (st == SIPAS_OK && !sipas_calibration_converged(w->cal))
            st = sipas_error_set(err, SIPAS_ERR_MATH, "raking did not converge after %zu passes "
                                 "(largest change %g people); check that the margins agree",
                                 sipas_calibration_passes(w->cal), sipas_calibration_last_change(w->cal));
        if (st == SIPAS_OK) {
            memcpy(w->weight, sipas_calibration_weights(w->cal), w->n * sizeof *w->weight);
            if ((w->cal_scores = malloc((w->n ? w->n : 1) * sizeof *w->cal_scores)) == NULL)
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t m = 0; m < built && margins; m++) {
        free(cells[m]);
        free(pops[m]);
        for (size_t c = 0; c < margins[m].ncells; c++)
            free(labels[m][c]);
        free(labels[m]);
    }
    free(margins);
    free(cells);
    free(pops);
    free(labels);
    return st;
}
