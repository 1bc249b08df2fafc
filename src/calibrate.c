/* calibrate.c - base weights, post-stratification, raking and calibration residuals
 * (see src/calibrate.h and docs/calibration.md). */
#include "alloc.h"
#include "calibrate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* svyrecvar sweeps the raking margins exactly this many times (survey 4.1.1: 1:10). */
#define RAKE_RESIDUAL_SWEEPS 10
/* Relative difference allowed between the population totals of two raking margins. */
#define MARGIN_TOTAL_TOLERANCE 1e-9

typedef enum { CAL_POST, CAL_RAKE } cal_kind;

/* One margin as the calibration keeps it: its cells and the weights right after the margin's
 * post-stratification (the last pass for raking), with those right before it. */
typedef struct cal_margin {
    size_t ncells;
    size_t *cell;      /* n */
    double *before;    /* n: weights before (post-stratification only, else NULL) */
    double *after;     /* n: weights after */
} cal_margin;

struct sipas_calibration {
    cal_kind kind;
    size_t n;
    size_t nmargins;
    cal_margin *margins;
    double *weight; /* n calibrated weights */
    bool converged;
    size_t passes;
    double last_change;
};

void sipas_calibration_free(sipas_calibration *cal)
{
    if (!cal)
        return;
    for (size_t m = 0; cal->margins && m < cal->nmargins; m++) {
        free(cal->margins[m].cell);
        free(cal->margins[m].before);
        free(cal->margins[m].after);
    }
    free(cal->margins);
    free(cal->weight);
    free(cal);
}

const double *sipas_calibration_weights(const sipas_calibration *cal)
{
    return cal ? cal->weight : NULL;
}

bool sipas_calibration_converged(const sipas_calibration *cal)
{
    return cal ? cal->converged : false;
}

size_t sipas_calibration_passes(const sipas_calibration *cal)
{
    return cal ? cal->passes : 0;
}

double sipas_calibration_last_change(const sipas_calibration *cal)
{
    return cal ? cal->last_change : NAN;
}

sipas_status sipas_base_weights(size_t n, const size_t *stratum, size_t nstrata,
                                const double *population, double *weight, sipas_error *err)
{
    if (n == 0 || !population || !weight)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "base weights need rows, population counts and an output");
    if (!stratum)
        nstrata = 1;
    if (nstrata == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "base weights need at least one stratum");
    size_t *count = alloc_array(nstrata, sizeof *count);
    if (!count)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory computing base weights");
    sipas_status status = SIPAS_OK;
    for (size_t i = 0; i < n; i++) {
        size_t h = stratum ? stratum[i] : 0;
        if (h >= nstrata) {
            status = sipas_error_set(err, SIPAS_ERR_USAGE,
                                     "row %zu: stratum index %zu is not below %zu", i, h,
                                     nstrata);
            goto cleanup;
        }
        count[h]++;
    }
    for (size_t h = 0; h < nstrata; h++) {
        if (count[h] == 0)
            continue;
        double N = population[h];
        if (!isfinite(N) || N < (double)count[h]) {
            status = sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                     "stratum %zu: population %g is not a count of at least "
                                     "the %zu sampled rows",
                                     h, N, count[h]);
            goto cleanup;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t h = stratum ? stratum[i] : 0;
        /* R: prob = sampsize / popsize, weight = 1 / prob. */
        weight[i] = 1.0 / ((double)count[h] / population[h]);
    }
cleanup:
    free(count);
    return status;
}

/* "margin 'sex'" or "margin 2", and "cell 'female'" or "cell 1", for messages. */
static void margin_name(const sipas_margin *mg, size_t m, char *buf, size_t size)
{
    if (mg->name)
        snprintf(buf, size, "margin '%s'", mg->name);
    else
        snprintf(buf, size, "margin %zu", m);
}

static void cell_name(const sipas_margin *mg, size_t c, char *buf, size_t size)
{
    if (mg->labels && mg->labels[c])
        snprintf(buf, size, "cell '%s'", mg->labels[c]);
    else
        snprintf(buf, size, "cell %zu", c);
}

static sipas_status check_weights(size_t n, const double *weight, sipas_error *err)
{
    if (n == 0 || !weight)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "calibration needs rows and weights");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(weight[i]) || weight[i] < 0)
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "row %zu: weight %g is not a finite number >= 0", i,
                                   weight[i]);
    return SIPAS_OK;
}

/* Checks a margin's arrays and counts; *total gets the sum of its population counts. */
static sipas_status check_margin(size_t n, const sipas_margin *mg, size_t m, double *total,
                                 sipas_error *err)
{
    char mname[160];
    margin_name(mg, m, mname, sizeof mname);
    if (!mg->cell || !mg->population || mg->ncells == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: needs cells and population counts",
                               mname);
    for (size_t i = 0; i < n; i++)
        if (mg->cell[i] >= mg->ncells)
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "%s: row %zu: cell index %zu is not below %zu", mname, i,
                                   mg->cell[i], mg->ncells);
    double sum = 0;
    for (size_t c = 0; c < mg->ncells; c++) {
        double N = mg->population[c];
        if (!isfinite(N) || N < 0) {
            char cname[160];
            cell_name(mg, c, cname, sizeof cname);
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "%s: %s: population %g is not a finite count >= 0", mname,
                                   cname, N);
        }
        sum += N;
    }
    *total = sum;
    return SIPAS_OK;
}

/* One post-stratification on margin mg, R's way: design$prob <- prob / (N_c / sum_c 1/prob).
 * prob (n, 1/w, +Inf for weight 0) is updated in place; sums is scratch of ncells doubles. */
static sipas_status poststratify_step(size_t n, double *prob, const sipas_margin *mg, size_t m,
                                      double *sums, sipas_error *err)
{
    memset(sums, 0, mg->ncells * sizeof *sums);
    for (size_t i = 0; i < n; i++)
        sums[mg->cell[i]] += 1.0 / prob[i];
    for (size_t c = 0; c < mg->ncells; c++) {
        bool no_sample = !(sums[c] > 0), no_population = !(mg->population[c] > 0);
        if (no_sample == no_population)
            continue;
        char mname[160], cname[160];
        margin_name(mg, m, mname, sizeof mname);
        cell_name(mg, c, cname, sizeof cname);
        if (no_sample)
            return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                   "%s: %s has no sample (population %g)", mname, cname,
                                   mg->population[c]);
        return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                               "%s: %s has sample weight %g but population 0", mname, cname,
                               sums[c]);
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = mg->cell[i];
        prob[i] = prob[i] / (mg->population[c] / sums[c]);
    }
    return SIPAS_OK;
}

static sipas_calibration *calibration_new(cal_kind kind, size_t n, size_t nmargins,
                                          const sipas_margin *margins)
{
    sipas_calibration *cal = calloc(1, sizeof *cal);
    if (!cal)
        return NULL;
    cal->kind = kind;
    cal->n = n;
    cal->nmargins = nmargins;
    cal->converged = true;
    cal->passes = 1;
    cal->last_change = 0;
    cal->margins = alloc_array(nmargins, sizeof *cal->margins);
    cal->weight = alloc_array(n, sizeof *cal->weight);
    if (!cal->margins || !cal->weight)
        goto fail;
    for (size_t m = 0; m < nmargins; m++) {
        cal_margin *cm = &cal->margins[m];
        cm->ncells = margins[m].ncells;
        cm->cell = alloc_array(n, sizeof *cm->cell);
        cm->after = alloc_array(n, sizeof *cm->after);
        if (kind == CAL_POST)
            cm->before = alloc_array(n, sizeof *cm->before);
        if (!cm->cell || !cm->after || (kind == CAL_POST && !cm->before))
            goto fail;
        memcpy(cm->cell, margins[m].cell, n * sizeof *cm->cell);
    }
    return cal;
fail:
    sipas_calibration_free(cal);
    return NULL;
}

static void weights_of(size_t n, const double *prob, double *w)
{
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0 / prob[i];
}

sipas_status sipas_poststratify(size_t n, const double *weight, const sipas_margin *margin,
                                sipas_calibration **out, sipas_error *err)
{
    if (!out || !margin)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "margin and out must not be NULL");
    *out = NULL;
    sipas_status status = check_weights(n, weight, err);
    double total;
    if (status == SIPAS_OK)
        status = check_margin(n, margin, 0, &total, err);
    if (status != SIPAS_OK)
        return status;
    sipas_calibration *cal = calibration_new(CAL_POST, n, 1, margin);
    double *prob = alloc_array(n, sizeof *prob);
    double *sums = alloc_array(margin->ncells, sizeof *sums);
    if (!cal || !prob || !sums) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory post-stratifying");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        prob[i] = 1.0 / weight[i];
    memcpy(cal->margins[0].before, weight, n * sizeof *weight);
    status = poststratify_step(n, prob, margin, 0, sums, err);
    if (status != SIPAS_OK)
        goto cleanup;
    weights_of(n, prob, cal->weight);
    memcpy(cal->margins[0].after, cal->weight, n * sizeof *cal->weight);
    *out = cal;
    cal = NULL;
cleanup:
    sipas_calibration_free(cal);
    free(prob);
    free(sums);
    return status;
}

/* Joint cells of all margins (R's svytable(~a + b + ...)): consecutive ids over the distinct
 * combinations, built margin by margin with a stable two-key counting sort, so no cap on the
 * product of the numbers of cells. joint gets n ids; *njoint their count. */
static sipas_status joint_cells(size_t n, size_t nmargins, const sipas_margin *margins,
                                size_t *joint, size_t *njoint, sipas_error *err)
{
    sipas_status status = SIPAS_OK;
    size_t *order = alloc_array(n, sizeof *order);
    size_t *tmp = alloc_array(n, sizeof *tmp);
    size_t *next = alloc_array(n, sizeof *next);
    size_t maxcells = 1;
    for (size_t m = 0; m < nmargins; m++)
        if (margins[m].ncells > maxcells)
            maxcells = margins[m].ncells;
    size_t *count = alloc_array((n > maxcells ? n : maxcells) + 1, sizeof *count);
    if (!order || !tmp || !next || !count) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory tabulating margins");
        goto cleanup;
    }
    size_t nprev = 1;
    for (size_t i = 0; i < n; i++)
        joint[i] = 0;
    for (size_t m = 0; m < nmargins; m++) {
        const size_t *cell = margins[m].cell;
        size_t nc = margins[m].ncells;
        /* least significant key first: the margin's cell, then the joint id so far */
        memset(count, 0, (nc + 1) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[cell[i] + 1]++;
        for (size_t c = 0; c < nc; c++)
            count[c + 1] += count[c];
        for (size_t i = 0; i < n; i++)
            tmp[count[cell[i]]++] = i;
        memset(count, 0, (nprev + 1) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[joint[i] + 1]++;
        for (size_t c = 0; c < nprev; c++)
            count[c + 1] += count[c];
        for (size_t k = 0; k < n; k++) {
            size_t i = tmp[k];
            order[count[joint[i]]++] = i;
        }
        size_t id = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = order[k];
            if (k > 0) {
                size_t p = order[k - 1];
                if (joint[p] != joint[i] || cell[p] != cell[i])
                    id++;
            }
            next[i] = id;
        }
        memcpy(joint, next, n * sizeof *joint);
        nprev = id + 1;
    }
    *njoint = nprev;
cleanup:
    free(order);
    free(tmp);
    free(next);
    free(count);
    return status;
}

static void joint_table(size_t n, const double *prob, const size_t *joint, size_t njoint,
                        double *table)
{
    memset(table, 0, njoint * sizeof *table);
    for (size_t i = 0; i < n; i++)
        table[joint[i]] += 1.0 / prob[i];
}

sipas_status sipas_rake(size_t n, const double *weight, size_t nmargins,
                        const sipas_margin *margins, const sipas_rake_control *control,
                        sipas_calibration **out, sipas_error *err)
{
    if (!out || !margins || nmargins == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "raking needs margins and an output");
    *out = NULL;
    sipas_rake_control ctl = {SIPAS_RAKE_MAXIT_DEFAULT, SIPAS_RAKE_EPSILON_DEFAULT};
    if (control)
        ctl = *control;
    if (ctl.maxit == 0 || !isfinite(ctl.epsilon) || ctl.epsilon < 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "raking needs maxit >= 1 and a finite epsilon >= 0");
    sipas_status status = check_weights(n, weight, err);
    if (status != SIPAS_OK)
        return status;
    double first_total = 0;
    for (size_t m = 0; m < nmargins; m++) {
        double total;
        status = check_margin(n, &margins[m], m, &total, err);
        if (status != SIPAS_OK)
            return status;
        if (m == 0) {
            first_total = total;
            continue;
        }
        if (fabs(total - first_total) > MARGIN_TOTAL_TOLERANCE * fabs(first_total)) {
            char a[160], b[160];
            margin_name(&margins[0], 0, a, sizeof a);
            margin_name(&margins[m], m, b, sizeof b);
            return sipas_error_set(err, SIPAS_ERR_VALIDATION,
                                   "population totals differ: %s sums to %.17g, %s to %.17g",
                                   a, first_total, b, total);
        }
    }

    size_t maxcells = 1, njoint = 0;
    for (size_t m = 0; m < nmargins; m++)
        if (margins[m].ncells > maxcells)
            maxcells = margins[m].ncells;
    sipas_calibration *cal = calibration_new(CAL_RAKE, n, nmargins, margins);
    double *prob = alloc_array(n, sizeof *prob);
    double *sums = alloc_array(maxcells, sizeof *sums);
    size_t *joint = alloc_array(n, sizeof *joint);
    double *old_table = NULL, *new_table = NULL;
    if (!cal || !prob || !sums || !joint) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory raking");
        goto cleanup;
    }
    status = joint_cells(n, nmargins, margins, joint, &njoint, err);
    if (status != SIPAS_OK)
        goto cleanup;
    old_table = alloc_array(njoint, sizeof *old_table);
    new_table = alloc_array(njoint, sizeof *new_table);
    if (!old_table || !new_table) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory raking");
        goto cleanup;
    }
    double input_total = 0;
    for (size_t i = 0; i < n; i++) {
        prob[i] = 1.0 / weight[i];
        input_total += weight[i];
    }
    /* rake(): epsilon < 1 is a fraction of sum(weights(design, "sampling")). */
    double threshold = ctl.epsilon < 1 ? ctl.epsilon * input_total : ctl.epsilon;
    joint_table(n, prob, joint, njoint, old_table);
    cal->converged = false;
    cal->passes = 0;
    for (size_t pass = 0; pass < ctl.maxit; pass++) {
        for (size_t m = 0; m < nmargins; m++) {
            status = poststratify_step(n, prob, &margins[m], m, sums, err);
            if (status != SIPAS_OK)
                goto cleanup;
            weights_of(n, prob, cal->margins[m].after);
        }
        cal->passes = pass + 1;
        joint_table(n, prob, joint, njoint, new_table);
        double delta = 0;
        for (size_t c = 0; c < njoint; c++) {
            double d = fabs(old_table[c] - new_table[c]);
            if (d > delta)
                delta = d;
        }
        cal->last_change = delta;
        if (delta < threshold) {
            cal->converged = true;
            break;
        }
        double *swap = old_table;
        old_table = new_table;
        new_table = swap;
    }
    weights_of(n, prob, cal->weight);
    *out = cal;
    cal = NULL;
cleanup:
    sipas_calibration_free(cal);
    free(prob);
    free(sums);
    free(joint);
    free(old_table);
    free(new_table);
    return status;
}

/* One margin of svyrecvar's postStrata handling, in place on a:
 *   post-stratification  x <- x - psw * rowsum(x * oldw / psw, cell) / rowsum(oldw, cell)
 *   raking               x <- x - psw * ave(x / psw, cell)  (oldw = 1: unweighted cell mean)
 * Rows of weight 0 are left out of the cell means and keep 0 (see the header). */
static void residual(const sipas_calibration *cal, const cal_margin *cm, double *a, double *num,
                     double *den)
{
    memset(num, 0, cm->ncells * sizeof *num);
    memset(den, 0, cm->ncells * sizeof *den);
    for (size_t i = 0; i < cal->n; i++) {
        if (cm->after[i] == 0)
            continue;
        double oldw = cm->before ? cm->before[i] : 1.0;
        num[cm->cell[i]] += a[i] * oldw / cm->after[i];
        den[cm->cell[i]] += oldw;
    }
    for (size_t i = 0; i < cal->n; i++) {
        if (cm->after[i] == 0) {
            a[i] = 0;
            continue;
        }
        size_t c = cm->cell[i];
        a[i] -= num[c] / den[c] * cm->after[i];
    }
}

sipas_status sipas_calibration_adjust_scores(const sipas_calibration *cal, const double *scores,
                                             double *adjusted, sipas_error *err)
{
    if (!cal || !scores || !adjusted)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "calibration, scores and adjusted must not be NULL");
    for (size_t i = 0; i < cal->n; i++)
        if (!isfinite(scores[i]))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "row %zu: score %g is not finite", i,
                                   scores[i]);
    size_t maxcells = 1;
    for (size_t m = 0; m < cal->nmargins; m++)
        if (cal->margins[m].ncells > maxcells)
            maxcells = cal->margins[m].ncells;
    double *num = alloc_array(maxcells, sizeof *num);
    double *den = alloc_array(maxcells, sizeof *den);
    if (!num || !den) {
        free(num);
        free(den);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory adjusting scores");
    }
    if (adjusted != scores)
        memcpy(adjusted, scores, cal->n * sizeof *adjusted);
    if (cal->kind == CAL_POST) {
        residual(cal, &cal->margins[0], adjusted, num, den);
    } else {
        for (int sweep = 0; sweep < RAKE_RESIDUAL_SWEEPS; sweep++)
            for (size_t m = 0; m < cal->nmargins; m++)
                residual(cal, &cal->margins[m], adjusted, num, den);
    }
    free(num);
    free(den);
    return SIPAS_OK;
}
