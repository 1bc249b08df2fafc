/* design_fill.c - a batch's empty weight and fpc cells filled from the stored draw
 * (src/design_fill.h). */
#include "design_fill.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one wave's draw gave the batch so far. */
typedef struct wave_tally {
    int64_t wave;
    const sipas_selected_cluster *first; /* for the draw's frame, seed and time */
    int64_t weights, fpcs;               /* cells filled */
} wave_tally;

struct sipas_design_fill {
    const sipas_instrument *inst;
    int wave_item, stratum_item, cluster_item, weight_item, fpc_item; /* -1: none */
    sipas_selected_cluster *clusters; /* by wave, stratum, cluster (byte order) */
    size_t nclusters;
    wave_tally *waves;                /* one per wave of clusters, in their order */
    size_t nwaves;
    int64_t disagreements;
    int64_t first_row;                /* of the first disagreement */
    const char *first_column;
    double first_given, first_drawn;
};

static int item_of_role(const sipas_instrument *inst, sipas_role role)
{
    for (size_t k = 0; k < inst->nitems; k++)
        if (inst->items[k].role == role)
            return (int)k;
    return -1;
}

sipas_status sipas_design_fill_open(sipas_store *store, const sipas_instrument *inst,
                                    sipas_design_fill **out, sipas_error *err)
{
    sipas_design_fill *fill = calloc(1, sizeof *fill);
    if (fill == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    *fill = (sipas_design_fill){.inst = inst, .wave_item = item_of_role(inst, SIPAS_ROLE_WAVE),
                                .stratum_item = item_of_role(inst, SIPAS_ROLE_STRATUM),
                                .cluster_item = item_of_role(inst, SIPAS_ROLE_CLUSTER),
                                .weight_item = item_of_role(inst, SIPAS_ROLE_WEIGHT),
                                .fpc_item = item_of_role(inst, SIPAS_ROLE_FPC)};
    bool usable = fill->wave_item >= 0 && fill->stratum_item >= 0 && fill->cluster_item >= 0 &&
                  (fill->weight_item >= 0 || fill->fpc_item >= 0);
    sipas_status st = usable ? sipas_store_load_selection(store, inst->form_id, &fill->clusters,
                                                          &fill->nclusters, err)
                             : SIPAS_OK;
    if (st == SIPAS_OK && fill->nclusters > 0 &&
        (fill->waves = calloc(fill->nclusters, sizeof *fill->waves)) == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == SIPAS_OK && i < fill->nclusters; i++)
        if (fill->nwaves == 0 || fill->waves[fill->nwaves - 1].wave != fill->clusters[i].wave)
            fill->waves[fill->nwaves++] = (wave_tally){.wave = fill->clusters[i].wave,
                                                       .first = &fill->clusters[i]};
    if (st != SIPAS_OK) {
        sipas_design_fill_free(fill);
        return st;
    }
    *out = fill;
    return SIPAS_OK;
}

void sipas_design_fill_free(sipas_design_fill *fill)
{
    if (fill == NULL)
        return;
    sipas_selected_clusters_free(fill->clusters, fill->nclusters);
    free(fill->waves);
    free(fill);
}

bool sipas_design_fill_may_fill(const sipas_design_fill *fill, const sipas_item *item)
{
    return fill && fill->nclusters > 0 &&
           (item->role == SIPAS_ROLE_WEIGHT || item->role == SIPAS_ROLE_FPC);
}

/* The code a stratum or cluster value is stored under in the draw: the choice's name for a
 * coded list (import keeps a numeric code as its value), else the text or the number. */
static const char *value_code(const sipas_item *item, const sipas_value *v, char *buf, size_t size)
{
    if (v->kind == SIPAS_VALUE_TEXT) {
        snprintf(buf, size, "%.*s", (int)v->len, v->text);
        return buf;
    }
    if (v->kind != SIPAS_VALUE_INT)
        return NULL;
    for (size_t i = 0; item->list && i < item->list->nchoices; i++)
        if (item->list->choices[i].has_value && item->list->choices[i].value == v->i)
            return item->list->choices[i].name;
    snprintf(buf, size, "%" PRId64, v->i);
    return buf;
}

typedef struct cluster_key {
    int64_t wave;
    const char *stratum, *cluster;
} cluster_key;

static int compare_key(const void *key, const void *element)
{
    const cluster_key *k = key;
    const sipas_selected_cluster *c = element;
    if (k->wave != c->wave)
        return k->wave < c->wave ? -1 : 1;
    int d = strcmp(k->stratum, c->stratum);
    return d ? d : strcmp(k->cluster, c->cluster);
}

static wave_tally *find_wave(sipas_design_fill *fill, int64_t wave)
{
    for (size_t w = 0; w < fill->nwaves; w++)
        if (fill->waves[w].wave == wave)
            return &fill->waves[w];
    return NULL;
}

/* Fills or checks one design cell; false when it stays without a value. */
static bool fill_cell(sipas_design_fill *fill, int k, double drawn, wave_tally *tally,
                      sipas_value *values, int64_t row, const char *why_not,
                      sipas_design_fill_problem_fn on_problem, void *ctx)
{
    if (k < 0)
        return true;
    sipas_value *v = &values[k];
    const char *column = fill->inst->items[k].name;
    if (v->kind == SIPAS_VALUE_INT || v->kind == SIPAS_VALUE_REAL) {
        double given = v->kind == SIPAS_VALUE_INT ? (double)v->i : v->r;
        if (!isnan(drawn) && fabs(given - drawn) > SIPAS_DESIGN_FILL_ROUNDING &&
            fill->disagreements++ == 0) {
            fill->first_row = row;
            fill->first_column = column;
            fill->first_given = given;
            fill->first_drawn = drawn;
        }
        return true;
    }
    if (v->kind != SIPAS_VALUE_NULL)
        return true;
    if (why_not == NULL && isnan(drawn))
        why_not = "the draw stored for this wave has no respondent weights (it was made without "
                  "--interviews-per-cluster); give the weight";
    if (why_not) {
        on_problem(ctx, column, why_not);
        return false;
    }
    if (fill->inst->items[k].type == SIPAS_TYPE_INTEGER) {
        v->kind = SIPAS_VALUE_INT;
        v->i = (int64_t)llround(drawn);
    } else {
        v->kind = SIPAS_VALUE_REAL;
        v->r = drawn;
    }
    if (fill->inst->items[k].role == SIPAS_ROLE_WEIGHT)
        tally->weights++;
    else
        tally->fpcs++;
    return true;
}

size_t sipas_design_fill_row(sipas_design_fill *fill, sipas_value *values, int64_t row,
                             sipas_design_fill_problem_fn on_problem, void *ctx)
{
    if (fill == NULL || fill->nclusters == 0)
        return 0;
    const sipas_item *items = fill->inst->items;
    char stratum_buf[64], cluster_buf[256], why[512];
    const sipas_value *wave = &values[fill->wave_item];
    cluster_key key = {
        .wave = wave->kind == SIPAS_VALUE_INT ? wave->i : 0,
        .stratum = value_code(&items[fill->stratum_item], &values[fill->stratum_item],
                              stratum_buf, sizeof stratum_buf),
        .cluster = value_code(&items[fill->cluster_item], &values[fill->cluster_item],
                              cluster_buf, sizeof cluster_buf)};
    wave_tally *tally = find_wave(fill, key.wave);
    const sipas_selected_cluster *drawn = NULL;
    const char *why_not = NULL;
    if (tally == NULL) {
        snprintf(why, sizeof why, "no draw is stored for wave %" PRId64 " to fill it from", key.wave);
        why_not = why;
    } else if (key.stratum == NULL || key.cluster == NULL ||
               (drawn = bsearch(&key, fill->clusters, fill->nclusters, sizeof *fill->clusters,
                                compare_key)) == NULL) {
        snprintf(why, sizeof why, "%s '%s' of %s '%s' was not drawn for wave %" PRId64
                 " (sipas-collect sample), so the stored draw cannot fill it",
                 items[fill->cluster_item].name, key.cluster ? key.cluster : "",
                 items[fill->stratum_item].name, key.stratum ? key.stratum : "", key.wave);
        why_not = why;
    }
    size_t missing = 0;
    missing += !fill_cell(fill, fill->weight_item, drawn ? drawn->weight : NAN, tally, values, row,
                          why_not, on_problem, ctx);
    missing += !fill_cell(fill, fill->fpc_item, drawn ? drawn->fpc : NAN, tally, values, row,
                          why_not, on_problem, ctx);
    return missing;
}

void sipas_design_fill_summary(const sipas_design_fill *fill, char *filled, size_t filled_size,
                               char *disagreed, size_t disagreed_size)
{
    size_t used = 0;
    filled[0] = '\0';
    disagreed[0] = '\0';
    for (size_t w = 0; fill && w < fill->nwaves; w++) {
        const wave_tally *t = &fill->waves[w];
        if (t->weights == 0 && t->fpcs == 0)
            continue;
        int n = snprintf(filled + used, filled_size - used, "%sfilled %" PRId64 " weight and %"
                         PRId64 " fpc cells from the draw for wave %" PRId64 " (frame '%s', seed %"
                         PRId64 ", stored %s)", used ? "; " : "", t->weights, t->fpcs, t->wave,
                         t->first->frame_file, t->first->seed, t->first->drawn_at);
        if (n < 0 || (size_t)n >= filled_size - used)
            break; /* truncated: the clauses so far stand */
        used += (size_t)n;
    }
    if (fill && fill->disagreements > 0)
        snprintf(disagreed, disagreed_size, "%" PRId64 " given weight or fpc cell%s differ%s from "
                 "the stored draw by more than %.1f (first: row %" PRId64 ", column '%s': %.10g, "
                 "drawn %.10g); the file's values were kept", fill->disagreements,
                 fill->disagreements == 1 ? "" : "s", fill->disagreements == 1 ? "s" : "",
                 SIPAS_DESIGN_FILL_ROUNDING, fill->first_row, fill->first_column,
                 fill->first_given, fill->first_drawn);
}
