/* src/index_work.h (private to the library) - what one call of sipas_index_compute or
 * sipas_index_units works on, shared by the modules that build it and read it:
 *   src/index.c           the public calls: fills and frees an index_work, loops over domains
 *   src/index_design.c    the full design (strata, PSUs, weights, fpc) and the weighting
 *   src/index_domains.c   which row lies in which domain (--by columns, --where conditions)
 *   src/index_estimate.c  the criterion scorers and every estimate of one domain
 * Ownership: the index_work owns every array in it (work_release in src/index.c frees it);
 * data, opt and res belong to the caller. Rows are the dataset's rows, 0 .. n-1. */
#ifndef SIPAS_INDEX_WORK_H
#define SIPAS_INDEX_WORK_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calibrate.h"
#include "sipas/index.h"

/* What each code of a criterion means: valid with score y, or a missing kind. */
typedef struct criterion_scorer {
    const sipas_item *item;
    size_t column;
    sipas_scoring scoring;
    size_t ncodes;
    long *codes;
    double *y;
    sipas_missing_kind *missing;
    /* [v]: the scorer of the rows of instrument version v when its list differs
     * (sipas_dataset.row_version); NULL when this one scores every row */
    struct criterion_scorer *by_version;
    size_t nversions;
} criterion_scorer;

/* Filled in order by index_build_design, index_apply_weighting and index_build_domains (the
 * sections below), then read by the estimation of each domain. */
typedef struct index_work {
    const sipas_dataset *data;
    const sipas_index_options *opt;
    sipas_index_result *res;
    /* full design */
    size_t n;
    double *weight;
    size_t *stratum;      /* global stratum of each row */
    size_t *psu;          /* global PSU of each row, or NULL */
    size_t nstrata, npsu;
    double *fpc;          /* per global stratum, or NULL */
    char **stratum_label; /* per global stratum: "cao_loc (wave 2024)" */
    size_t *stratum_start, *stratum_rows; /* rows grouped by stratum */
    /* domains */
    size_t *domain_of;    /* per row: domain index, SIZE_MAX none */
    /* criteria */
    size_t ncriteria;
    criterion_scorer *scorers;
    /* calibration (NULL: none) and scratch for adjusting scores in row order */
    sipas_calibration *cal;
    double *cal_scores;
    /* what an error message names: the measure being estimated, and for units the unit */
    const char *measure;
    const char *unit_column, *unit_code;
    double unit_wave;     /* NaN: not pinned */
} index_work;

/* A column's value in row i as a 64-bit key: the level index or the number's bits. NULL: false. */
static inline bool column_key(const sipas_column *col, size_t i, uint64_t *key)
{
    if (col->is_text) {
        if (col->level[i] < 0)
            return false;
        *key = (uint64_t)col->level[i];
        return true;
    }
    double v = sipas_column_number(col, i);
    if (isnan(v))
        return false;
    memcpy(key, &v, sizeof v);
    return true;
}

/* A value as the code text ("2024", "cao_loc"). */
static inline void column_code(const sipas_column *col, size_t i, char *buf, size_t size)
{
    if (col->is_text)
        snprintf(buf, size, "%s", col->level[i] >= 0 ? col->levels[col->level[i]] : "");
    else if (isnan(sipas_column_number(col, i)))
        buf[0] = '\0';
    else
        snprintf(buf, size, "%.15g", sipas_column_number(col, i));
}

#endif
