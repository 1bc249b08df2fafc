/* src/plan.c - Sample sizes for the next wave (sipas/plan.h): per-unit sizes and clusters for a
 * margin, budget allocations, and the sample that detects a change. Formulas: docs/planning.md.
 * */
#include "sipas/plan.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"

double sipas_plan_z(double level)
{
    if (!(level > 0 && level < 1))
        return NAN;
    return gsl_cdf_ugaussian_Pinv(1 - (1 - level) / 2);
}

double sipas_plan_n_for_margin(double p, double deff, double margin, double level)
{
    if (!(p >= 0 && p <= 1) || !(deff >= 0) || !(margin > 0) || !isfinite(deff))
        return NAN;
    double z = sipas_plan_z(level);
    return z * z * p * (1 - p) * deff / (margin * margin);
}

double sipas_plan_margin_for_n(double p, double deff, double n, double level)
{
    if (!(n > 0) || !(p >= 0 && p <= 1) || !(deff >= 0))
        return NAN;
    return sipas_plan_z(level) * sqrt(p * (1 - p) * deff / n);
}

double sipas_plan_t(double level, double df)
{
    if (!(level > 0 && level < 1) || !(df > 0))
        return NAN;
    return gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, df);
}

double sipas_plan_clusters_for_margin_t(double p, double deff, double m, double strata,
                                        double margin, double level)
{
    if (!(p >= 0 && p <= 1) || !(deff >= 0) || !isfinite(deff) || !(m >= 1) || !isfinite(m) ||
        !(strata >= 1 && strata < SIPAS_PLAN_MAX_CLUSTERS) || !(margin > 0) ||
        !(level > 0 && level < 1))
        return NAN;
    double spread = p * (1 - p) * deff / m;
    /* the half-width falls as a grows: bisect on whole a over [strata + 1, MAX] */
    double lo = strata + 1, hi = SIPAS_PLAN_MAX_CLUSTERS;
    if (sipas_plan_t(level, hi - strata) * sqrt(spread / hi) > margin)
        return NAN;
    while (lo < hi) {
        double a = floor((lo + hi) / 2);
        if (sipas_plan_t(level, a - strata) * sqrt(spread / a) <= margin)
            hi = a;
        else
            lo = a + 1;
    }
    return lo;
}

double sipas_plan_rho_from_deff(double deff, double m)
{
    if (!(m > 1) || !isfinite(deff))
        return NAN;
    return (deff - 1) / (m - 1);
}

double sipas_plan_deff_from_rho(double rho, double m)
{
    return 1 + (m - 1) * rho;
}

double sipas_plan_detect_p2(double p1, double change)
{
    if (!(p1 > 0 && p1 < 1) || !(change > 0))
        return NAN;
    double p2 = p1 >= 0.5 ? p1 - change : p1 + change;
    return p2 > 0 && p2 < 1 ? p2 : NAN;
}

double sipas_plan_n_to_detect(double p1, double change, double level, double power, double deff)
{
    double p2 = sipas_plan_detect_p2(p1, change);
    if (isnan(p2) || !(power > 0 && power < 1) || !(deff >= 0) || !isfinite(deff))
        return NAN;
    double pbar = (p1 + p2) / 2;
    double za = sipas_plan_z(level), zb = gsl_cdf_ugaussian_Pinv(power);
    double root = za * sqrt(2 * pbar * (1 - pbar)) + zb * sqrt(p1 * (1 - p1) + p2 * (1 - p2));
    return deff * root * root / (change * change);
}

static const char *const allocation_names[] = {"proportional", "equal", "neyman", "min-per-unit"};

const char *sipas_allocation_name(sipas_allocation allocation)
{
    return (size_t)allocation < sizeof allocation_names / sizeof allocation_names[0]
         ? allocation_names[allocation] : "?";
}

bool sipas_allocation_parse(const char *name, sipas_allocation *out)
{
    for (size_t i = 0; i < sizeof allocation_names / sizeof allocation_names[0]; i++)
        if (strcmp(name, allocation_names[i]) == 0) {
            *out = (sipas_allocation)i;
            return true;
        }
    return false;
}

/* The real allocation (sums to budget) before rounding. */
static sipas_status real_allocation(size_t nunits, sipas_allocation allocation, double budget,
                                    const double *population, const double *sd,
                                    const double *required, double *share, sipas_error *err)
{
    double total = 0;
    for (size_t h = 0; h < nunits; h++) {
        double s;
        switch (allocation) {
        case SIPAS_ALLOCATION_EQUAL: s = 1; break;
        case SIPAS_ALLOCATION_NEYMAN: s = population[h] * sd[h]; break;
        case SIPAS_ALLOCATION_MIN_PER_UNIT: s = required[h]; break;
        default: s = population[h]; break;
        }
        if (!(s >= 0) || !isfinite(s))
            return sipas_error_set(err, SIPAS_ERR_MATH, "%s allocation: unit %zu has no usable "
                                   "%s", sipas_allocation_name(allocation), h + 1,
                                   allocation == SIPAS_ALLOCATION_MIN_PER_UNIT ? "required sample"
                                   : allocation == SIPAS_ALLOCATION_NEYMAN ? "population or spread"
                                   : "population");
        share[h] = s;
        total += s;
    }
    if (!(total > 0))
        return sipas_error_set(err, SIPAS_ERR_MATH, "%s allocation: every unit has weight 0",
                               sipas_allocation_name(allocation));
    if (allocation == SIPAS_ALLOCATION_MIN_PER_UNIT && budget > total) {
        /* every requirement met; the surplus proportional to the population */
        double pop_total = 0;
        for (size_t h = 0; h < nunits; h++)
            pop_total += population[h];
        if (!(pop_total > 0) || !isfinite(pop_total))
            return sipas_error_set(err, SIPAS_ERR_MATH, "min-per-unit allocation: no population "
                                   "to share the surplus by");
        for (size_t h = 0; h < nunits; h++)
            share[h] += (budget - total) * population[h] / pop_total;
        return SIPAS_OK;
    }
    for (size_t h = 0; h < nunits; h++)
        share[h] = budget * share[h] / total;
    return SIPAS_OK;
}

sipas_status sipas_plan_allocate(size_t nunits, sipas_allocation allocation, size_t budget,
                                 const double *population, const double *sd,
                                 const double *required, size_t *allocated, sipas_error *err)
{
    if (nunits == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no unit to allocate the budget to");
    if (budget < nunits)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a budget of %zu respondents cannot give each "
                               "of %zu units one", budget, nunits);
    double *share = alloc_array(nunits, sizeof *share);
    if (share == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_status st = real_allocation(nunits, allocation, (double)budget, population, sd,
                                      required, share, err);
    if (st == SIPAS_OK) {
        size_t given = 0;
        for (size_t h = 0; h < nunits; h++) {
            allocated[h] = (size_t)floor(share[h]);
            share[h] -= floor(share[h]);
            if (allocated[h] == 0) {
                /* no unit is left without an estimate */
                allocated[h] = 1;
                share[h] = -1;
            }
            given += allocated[h];
        }
        while (given < budget) {
            size_t best = 0;
            for (size_t h = 1; h < nunits; h++)
                if (share[h] > share[best])
                    best = h;
            allocated[best]++;
            share[best] = -1;
            given++;
        }
        while (given > budget) { /* the ones given above came from the largest units */
            size_t largest = 0;
            for (size_t h = 1; h < nunits; h++)
                if (allocated[h] > allocated[largest])
                    largest = h;
            allocated[largest]--;
            given--;
        }
    }
    free(share);
    return st;
}

/* n V / (p (1 - p)): Kish's deff as the ratio of the observed variance to that of a simple
 * random sample of the same size (for a composite index, p (1 - p) bounds the element
 * variance, so this is the deff that reproduces the observed variance at n). */
static double observed_deff(const sipas_plan_observed *o)
{
    double pq = o->p * (1 - o->p);
    if (!(pq > 0) || !isfinite(o->variance) || !(o->n > 0))
        return NAN;
    return o->n * o->variance / pq;
}

/* The strata a unit's clusters lie in; at least 1. */
static double strata_of(const sipas_plan_observed *o)
{
    return o->strata >= 1 ? o->strata : 1;
}

static void plan_row_start(const sipas_plan_observed *o, sipas_plan_row *row)
{
    memset(row, 0, sizeof *row);
    row->p_worst_case = !(o->p > 0 && o->p < 1);
    row->p_used = row->p_worst_case ? 0.5 : o->p;
    row->cluster_size = o->clusters > 0 ? o->n / o->clusters : NAN;
    row->deff_observed = observed_deff(o);
    row->n_allocated = row->clusters_allocated = row->margin_allocated = row->n_detect = NAN;
}

static void plan_row_finish(const sipas_plan_options *opt, sipas_plan_row *row)
{
    row->rho = sipas_plan_rho_from_deff(row->deff_used, row->cluster_size);
    row->n_margin = ceil(sipas_plan_n_for_margin(row->p_used, row->deff_used, opt->margin,
                                                 opt->level) - 1e-9);
    row->clusters_margin = ceil(row->n_margin / row->cluster_size - 1e-9);
    row->clusters_t = row->n_t = NAN;
    if (opt->detect > 0)
        row->n_detect = ceil(sipas_plan_n_to_detect(row->p_used, opt->detect, opt->level,
                                                    opt->power, row->deff_used) - 1e-9);
}

sipas_status sipas_plan_units(size_t nunits, const sipas_plan_observed *observed,
                              const sipas_plan_observed *total, const sipas_plan_options *options,
                              sipas_plan_row *rows, sipas_plan_row *total_row,
                              sipas_plan_pooled *pooled, sipas_error *err)
{
    const sipas_plan_options *opt = options;
    if (!(opt->margin > 0 && opt->margin < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the margin %g is not between 0 and 1", opt->margin);
    if (!(opt->level > 0 && opt->level < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the level %g is not between 0 and 1", opt->level);
    if (opt->detect > 0 && !(opt->detect < 1 && opt->power > 0 && opt->power < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a change of %g with power %g cannot be "
                               "planned (both between 0 and 1)", opt->detect, opt->power);
    /* pooled rho: the units' rho weighted by their df (a variance estimate's precision grows
     * with its df); rho, not deff, carries over between units of different cluster sizes
     * (Kish 1965, 8.2) */
    sipas_plan_pooled pool = {0};
    double weighted = 0;
    for (size_t h = 0; h < nunits; h++) {
        plan_row_start(&observed[h], &rows[h]);
        double rho = sipas_plan_rho_from_deff(rows[h].deff_observed, rows[h].cluster_size);
        if (isfinite(rho) && observed[h].df > 0) {
            weighted += observed[h].df * rho;
            pool.df += observed[h].df;
            pool.units++;
        }
    }
    pool.rho = pool.df > 0 && weighted > 0 ? weighted / pool.df : 0;
    plan_row_start(total, total_row);
    total_row->deff_used = isfinite(total_row->deff_observed) ? total_row->deff_observed
                         : sipas_plan_deff_from_rho(pool.rho, total_row->cluster_size);
    total_row->deff_source = isfinite(total_row->deff_observed) ? SIPAS_PLAN_DEFF_OWN
                                                                 : SIPAS_PLAN_DEFF_POOLED;
    plan_row_finish(opt, total_row);
    for (size_t h = 0; h < nunits; h++) {
        sipas_plan_row *row = &rows[h];
        if (isfinite(row->deff_observed) && observed[h].df >= SIPAS_PLAN_MIN_OWN_DF) {
            row->deff_used = row->deff_observed;
            row->deff_source = SIPAS_PLAN_DEFF_OWN;
        } else {
            double m = isfinite(row->cluster_size) ? row->cluster_size : 1;
            row->deff_used = sipas_plan_deff_from_rho(pool.rho, m);
            row->deff_source = SIPAS_PLAN_DEFF_POOLED;
        }
        plan_row_finish(opt, row);
        if (row->cluster_size > 1) {
            row->clusters_t = sipas_plan_clusters_for_margin_t(row->p_used, row->deff_used,
                                                               row->cluster_size, strata_of(&observed[h]),
                                                               opt->margin, opt->level);
            row->n_t = ceil(row->clusters_t * row->cluster_size - 1e-9);
        }
    }
    if (pooled)
        *pooled = pool;
    if (opt->budget == 0 || nunits == 0)
        return SIPAS_OK;
    double *population = alloc_array(nunits, sizeof *population);
    double *sd = alloc_array(nunits, sizeof *sd);
    double *required = alloc_array(nunits, sizeof *required);
    size_t *allocated = alloc_array(nunits, sizeof *allocated);
    sipas_status st = SIPAS_OK;
    if (!population || !sd || !required || !allocated)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    double pop_total = 0;
    for (size_t h = 0; st == SIPAS_OK && h < nunits; h++) {
        population[h] = observed[h].population;
        sd[h] = sqrt(rows[h].p_used * (1 - rows[h].p_used) * rows[h].deff_used);
        required[h] = isfinite(rows[h].n_t) ? rows[h].n_t : rows[h].n_margin;
        pop_total += population[h];
    }
    if (st == SIPAS_OK)
        st = sipas_plan_allocate(nunits, opt->allocation, opt->budget, population, sd, required,
                                 allocated, err);
    if (st == SIPAS_OK) {
        /* the whole's variance: sum W_h^2 S_h^2 / n_h (Cochran 1977, ch. 5) */
        double variance = 0;
        for (size_t h = 0; h < nunits; h++) {
            sipas_plan_row *row = &rows[h];
            row->n_allocated = (double)allocated[h];
            row->clusters_allocated = ceil(row->n_allocated / row->cluster_size - 1e-9);
            row->margin_allocated = sipas_plan_margin_for_n(row->p_used, row->deff_used,
                                                            row->n_allocated, opt->level);
            double df = row->clusters_allocated - strata_of(&observed[h]);
            if (row->cluster_size > 1) /* no df: no variance, no interval */
                row->margin_allocated = df >= 1 ? row->margin_allocated *
                                        sipas_plan_t(opt->level, df) / sipas_plan_z(opt->level) : NAN;
            double share = pop_total > 0 ? population[h] / pop_total : NAN;
            variance += share * share * sd[h] * sd[h] / row->n_allocated;
        }
        total_row->n_allocated = (double)opt->budget;
        total_row->margin_allocated = sipas_plan_z(opt->level) * sqrt(variance);
        total_row->clusters_allocated = 0;
        for (size_t h = 0; h < nunits; h++)
            total_row->clusters_allocated += rows[h].clusters_allocated;
    }
    free(population);
    free(sd);
    free(required);
    free(allocated);
    return st;
}

/* ---- what the wave observed --------------------------------------------------------------- */

typedef struct cluster_key {
    size_t unit;     /* nunits for a row outside every unit */
    double stratum, cluster;
} cluster_key;

static int cluster_key_compare(const void *a, const void *b)
{
    const cluster_key *x = a, *y = b;
    if (x->unit != y->unit)
        return x->unit < y->unit ? -1 : 1;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    if (x->cluster != y->cluster)
        return x->cluster < y->cluster ? -1 : 1;
    return 0;
}

/* A row's value of col as a number to tell values apart (a text column's dictionary index). */
static double column_key(const sipas_column *col, size_t i)
{
    return col == NULL ? 0 : col->is_text ? (double)col->level[i] : sipas_column_number(col, i);
}

/* Whether row i of col holds code (as text, or as the number it spells). */
static bool column_holds(const sipas_column *col, size_t i, const char *code)
{
    if (col->is_text)
        return col->level[i] >= 0 && strcmp(col->levels[col->level[i]], code) == 0;
    char *end = NULL;
    double v = strtod(code, &end);
    return end != code && *end == '\0' && sipas_column_number(col, i) == v;
}

/* Distinct clusters (or strata) of sorted keys, of one unit when by_unit. */
static size_t count_distinct(const cluster_key *keys, size_t n, bool by_unit, size_t unit,
                             bool strata)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (by_unit && keys[i].unit != unit)
            continue;
        bool same = i > 0 && (!by_unit || keys[i - 1].unit == unit) &&
                    keys[i - 1].stratum == keys[i].stratum &&
                    (strata || keys[i - 1].cluster == keys[i].cluster);
        count += !same;
    }
    return count;
}

sipas_status sipas_plan_observe(const sipas_dataset *data, long wave, const char *unit_column,
                                size_t nunits, const char *const *unit_codes,
                                sipas_plan_observed *observed, sipas_plan_observed *total,
                                sipas_error *err)
{
    const sipas_column *wave_col = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    const sipas_column *stratum = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
    const sipas_column *cluster = sipas_dataset_role(data, SIPAS_ROLE_CLUSTER);
    const sipas_column *weight = sipas_dataset_role(data, SIPAS_ROLE_WEIGHT);
    const sipas_column *unit = unit_column ? sipas_dataset_column(data, unit_column) : NULL;
    if (wave_col == NULL || wave_col->is_text)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "form '%s' has no wave column to plan from",
                               data->inst->form_id);
    if (unit_column && (unit == NULL || !unit->loaded))
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no column '%s' in form '%s'",
                               unit_column, data->inst->form_id);
    if (nunits > 0 && unit == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "units without a unit column");
    cluster_key *keys = alloc_array(data->n, sizeof *keys);
    if (keys == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t h = 0; h < nunits; h++)
        observed[h].population = 0;
    total->population = 0;
    size_t n = 0;
    for (size_t i = 0; i < data->n; i++) {
        if (!(sipas_column_number(wave_col, i) == (double)wave))
            continue;
        size_t h = nunits;
        for (size_t u = 0; u < nunits && unit; u++)
            if (column_holds(unit, i, unit_codes[u])) {
                h = u;
                break;
            }
        /* without a cluster column each respondent is its own cluster */
        keys[n] = (cluster_key){.unit = h, .stratum = column_key(stratum, i),
                                .cluster = cluster ? column_key(cluster, i) : (double)i};
        double w = weight && !weight->is_text && isfinite(sipas_column_number(weight, i)) ? sipas_column_number(weight, i) : 1;
        if (h < nunits)
            observed[h].population += w;
        total->population += w;
        n++;
    }
    qsort(keys, n, sizeof *keys, cluster_key_compare);
    for (size_t h = 0; h < nunits; h++) {
        observed[h].clusters = (double)count_distinct(keys, n, true, h, false);
        observed[h].strata = (double)count_distinct(keys, n, true, h, true);
    }
    for (size_t i = 0; i < n; i++)
        keys[i].unit = 0;
    qsort(keys, n, sizeof *keys, cluster_key_compare);
    total->clusters = (double)count_distinct(keys, n, false, 0, false);
    total->strata = (double)count_distinct(keys, n, false, 0, true);
    free(keys);
    return SIPAS_OK;
}
