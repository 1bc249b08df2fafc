/* sipas/sample_draw.h - drawing the clusters of the next wave from a frame: PPS systematic
 * within strata (with certainty selections) or simple random sampling without replacement,
 * with a documented portable generator so that a seed gives the same draw on every machine.
 * docs/planning.md gives the algorithms and their sources.
 *
 * Generator: xoshiro256** (Blackman & Vigna 2021) whose 256-bit state is filled by four
 * outputs of splitmix64 (Steele, Lea & Flood 2014) from the 64-bit seed; a uniform in [0, 1)
 * is the top 53 bits of an output times 2^-53. Integer arithmetic only, so the stream is the
 * same on every platform.
 *
 * Inclusion probabilities (sampling::inclusionprobabilities): pi_k = n x_k / sum(x); while some
 * pi_k >= 1, those units get pi_k = 1 (certainty) and the others are recomputed with n minus
 * the certainties over the remaining sizes.
 *
 * PPS systematic (Madow 1949; Särndal, Swensson & Wretman 1992, ch. 3, systematic πps
 * sampling): the certainty units are taken; over the others, in frame order, with cumulated
 * V_k = pi_1 + ... + pi_k and one uniform u, unit k is selected when an integer j has
 * V_{k-1} <= u + j < V_k. Each unit is selected with probability pi_k, exactly n in all.
 *
 * SRS without replacement: selection-rejection (Fan, Muller & Rezucha 1962; Knuth, TAOCP 2,
 * 3.4.2, Algorithm S): unit k of N is taken with probability (n - taken) / (N - k + 1).
 *
 * Ownership: sipas_sample_draw returns a result the caller frees with sipas_sample_free. */
#ifndef SIPAS_SAMPLE_DRAW_H
#define SIPAS_SAMPLE_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef struct sipas_rng {
    uint64_t state[4];
} sipas_rng;

/* The next splitmix64 output; advances *state. */
uint64_t sipas_splitmix64(uint64_t *state);
void sipas_rng_seed(sipas_rng *rng, uint64_t seed);
uint64_t sipas_rng_next(sipas_rng *rng);
double sipas_rng_uniform(sipas_rng *rng);

/* pi for a sample of n out of count units of sizes x (>= 0, finite, some > 0); n <= the number
 * of units of positive size. ncertain (may be NULL) counts the pi = 1. */
sipas_status sipas_inclusion_probabilities(size_t count, const double *size, size_t n, double *pi,
                                           size_t *ncertain, sipas_error *err);
/* Sets selected[k] (0/1) by PPS systematic sampling over pi (which sums to a whole number). */
sipas_status sipas_draw_systematic(size_t count, const double *pi, sipas_rng *rng,
                                   unsigned char *selected, sipas_error *err);
/* Sets selected[k] for a simple random sample of n of count units. */
sipas_status sipas_draw_srs(size_t count, size_t n, sipas_rng *rng, unsigned char *selected,
                            sipas_error *err);

/* ---- a frame file and its draw ------------------------------------------------------------ */

/* A frame is a CSV of clusters, one a row, whose header names the instrument's stratum column
 * (codes or labels of its list), its cluster column (the cluster's name, unique in its stratum)
 * and, for PPS, size_column (a number > 0: the people the survey samples from, as the weights
 * count them; a decimal comma is accepted in ;- or tab-separated files). Other columns are
 * ignored. Every problem is "FILE:ROW: column 'NAME': reason"; a frame with any problem draws
 * nothing. */
typedef struct sipas_sample_options {
    const char *size_column;     /* NULL: simple random sampling */
    size_t clusters_per_unit;    /* n_h in every stratum, unless clusters_path */
    /* n_h by stratum from a CSV with the stratum column and clusters_column (whole numbers >= 1),
     * such as the CSV of sipas-analyze plan (clusters_t or clusters_allocated); rows with an
     * empty stratum (plan's total row) are skipped; every stratum of the frame needs a row */
    const char *clusters_path;
    const char *clusters_column;
    uint64_t seed;
    size_t interviews_per_cluster; /* PPS: the list gets each respondent's weight
                                    size / (pi m) in the instrument's weight column; 0: none */
    bool certainty;              /* take units larger than the interval with certainty;
                                    without it such a frame is refused, naming the unit */
} sipas_sample_options;

typedef struct sipas_sample_unit {
    char *cluster;               /* owned */
    size_t row;                  /* its row in the frame file */
    size_t stratum;              /* index into strata */
    double size;                 /* NaN without a size column */
    double probability;
    bool certainty;
    bool selected;
} sipas_sample_unit;

typedef struct sipas_sample_stratum {
    const char *code;            /* the stratum's code, borrowed from the instrument */
    size_t units;                /* clusters in the frame */
    size_t drawn;                /* n_h */
    double size;                 /* sum of the sizes; NaN without a size column */
    size_t certain;
} sipas_sample_stratum;

typedef struct sipas_sample_result {
    const sipas_item *stratum_item, *cluster_item, *fpc_item; /* fpc_item may be NULL */
    const sipas_item *weight_item; /* may be NULL */
    size_t interviews_per_cluster; /* from the options */
    size_t nunits;
    sipas_sample_unit *units;    /* in frame order */
    size_t nstrata;
    sipas_sample_stratum *strata; /* in the order of the stratum list */
    bool pps;
} sipas_sample_result;

sipas_status sipas_sample_draw(const sipas_instrument *inst, const char *frame_path,
                               const sipas_sample_options *options, sipas_sample_result **out,
                               sipas_error *err);
void sipas_sample_free(sipas_sample_result *result); /* NULL is a no-op */

/* The selected clusters as CSV: the stratum column, the cluster column, size (PPS), the fpc
 * column (the stratum's clusters in the frame; "clusters_in_stratum" when the instrument has
 * none), inclusion_probability, cluster_weight (1 / pi), certainty (yes/no) and, with
 * interviews_per_cluster m, the weight column (the instrument's, else "weight"): the weight of
 * each of the cluster's m respondents, size / (pi m), certainty clusters included. Returns
 * SIPAS_ERR_IO when a write fails. */
sipas_status sipas_sample_write_csv(const sipas_sample_result *result, FILE *out, sipas_error *err);

/* Stores the strata's summed sizes for wave as the population margin named after the stratum
 * column (what sipas-collect frame stores and --base-weights reads): a PPS draw with the same
 * take in every cluster is self-weighting within its stratum, and N_h / n_h is its weight
 * (not for the respondents of a certainty cluster, whose weight is the cluster's size over
 * its take: docs/planning.md).
 * SIPAS_ERR_USAGE without sizes. */
sipas_status sipas_sample_store_counts(sipas_store *store, const sipas_instrument *inst,
                                       const sipas_sample_result *result, long wave,
                                       const char *source_file, sipas_error *err);

/* Stores the selected clusters for wave (sipas_store_replace_selection), replacing an earlier
 * draw of that form and wave: stratum code, cluster, pi, the fpc value (the stratum's clusters
 * in the frame) and, with interviews_per_cluster m, each respondent's weight size / (pi m), as
 * the list gives them. sipas-collect import fills a batch's empty weight and fpc cells from it
 * (src/design_fill.h). frame_file and seed say which draw it was. */
sipas_status sipas_sample_store_selection(sipas_store *store, const sipas_instrument *inst,
                                          const sipas_sample_result *result, long wave,
                                          const char *frame_file, uint64_t seed, sipas_error *err);

#endif
