/* The one-pass index (include/sipas/index.h, sipas_index_compute_stream): every --by set of a
 * call from one read of the store, keeping sums instead of respondents.
 *
 * Why it can: every figure of an index row is a function of sums over respondents that split by
 * answer. A criterion's answer takes a few valid values ("states": y = 0 or 1 for a share, the
 * five codes of percent-to-max), and its linearised score is z_i = w_i (y_i - R)/X, so
 *   - the estimate R = sum_s W_s y_s / sum_s W_s, from the domain's weight per state W_s;
 *   - a PSU's score total sum_s W_ks (y_s - R)/X and its rounding scale sum_s W_ks |y_s - R|/X,
 *     from the PSU's weight per state W_ks: the variance (svyrecvar's first stage) reads those
 *     totals only (sipas_variance_of_psu_totals);
 *   - the deff's sum w (r - rbar)^2 over states; Kish's deff from sum w, sum w^2 and m;
 *   - an element or the overall index, C = sum_c a_c R_c: PSU totals sum_c a_c t_kc, and for its
 *     deff sum_i w_i (sum_c b_c(s_ic))^2, a quadratic form in the domain's weight per pair of
 *     states of two criteria (the "pair cells"), b_c(s) = a_c (y_s - R_c)/X_c;
 *   - df (PSUs and strata with answers) from counts per PSU.
 * So the pass keeps, per set of domains: per domain its counts and state weights (with the pair
 * cells), per (domain, PSU) the state weights and counts of its respondents; and per stratum the
 * list of its PSUs. Memory is bounded by domains x PSUs x criteria x states (plus domains x
 * S^2 / 2 pair cells, S the states of all criteria), not by respondents: docs/performance.md has
 * the figures.
 *
 * The numbers are those of sipas_index_compute up to the order of the additions (checked by
 * tests/test_index_stream.c, and by tests/cli/index_stream.sh on random degenerate designs), and
 * a --by set's table is the same to the bit whichever other sets share the pass (each set sums
 * its own rows). One difference is of kind: the
 * rounding scale of a composite's PSU total is the bound sum_c |a_c| sum |z_ic| instead of
 * sum |sum_c a_c z_ic|, which only zeroes rounding noise sooner.
 *
 * Where it does not apply (sipas_index_stream_applies): calibrated weights, which need every
 * respondent's weight adjusted in turn, and designs without a cluster column, where each
 * respondent is a PSU; sipas_index_compute on a loaded dataset does those.
 *
 * Ownership: everything here is freed before return, except the results handed to the caller. */
#include "index_stream.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiled_condition.h"
#include "hash_map.h"
#include "index_design.h"
#include "index_domains.h"
#include "index_estimate.h"

/* Valid answers of a criterion take at most this many distinct scores. */
enum { MAX_STATES = 64 };
/* The rows handed over at a time by the store (sipas_dataset_stream_columns). */
enum { CHUNK_ROWS = 8192 };

/* A grown array of doubles. */
typedef struct double_array {
    double *v;
    size_t n, cap;
} double_array;

static bool double_array_grow(double_array *a, size_t n)
{
    if (a->n + n <= a->cap) {
        memset(a->v + a->n, 0, n * sizeof *a->v);
        a->n += n;
        return true;
    }
    size_t cap = a->cap ? a->cap : 1024;
    while (cap < a->n + n)
        cap *= 2;
    double *v = realloc(a->v, cap * sizeof *v);
    if (v == NULL)
        return false;
    a->v = v;
    a->cap = cap;
    memset(a->v + a->n, 0, n * sizeof *a->v);
    a->n += n;
    return true;
}

static bool size_push(size_t **v, size_t *n, size_t *cap, size_t x)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        size_t *grown = realloc(*v, ncap * sizeof *grown);
        if (grown == NULL)
            return false;
        *v = grown;
        *cap = ncap;
    }
    (*v)[(*n)++] = x;
    return true;
}

/* A criterion: its scorer and its states (distinct scores of valid answers, over every
 * instrument version's list). */
typedef struct stream_criterion {
    criterion_scorer scorer;
    size_t column;
    size_t nstates;
    double state_y[MAX_STATES];
    size_t dom_offset;  /* in a domain record: missing[4], n_valid, sum w^2, W[nstates] */
    size_t cell_offset; /* in a (domain, PSU) cell: n_valid, W[nstates] */
} stream_criterion;

/* Domain record: respondents, rows of nonzero weight, their sum w and sum w^2, then the
 * criteria's parts. A (domain, PSU) cell: rows, rows of nonzero weight, then the criteria's. */
enum { DOM_RESPONDENTS, DOM_POSITIVE, DOM_WEIGHT, DOM_WEIGHT_SQ, DOM_HEADER };
enum { CELL_ROWS, CELL_POSITIVE, CELL_HEADER };
enum { CRIT_MISSING = 0, CRIT_VALID = SIPAS_MISSING_KINDS, CRIT_WEIGHT_SQ, CRIT_HEADER };

/* What a domain shows of itself: per by column, its code, and its value when numeric. */
typedef struct domain_key_value {
    char *code;
    double number;
} domain_key_value;

/* One --by set being accumulated. */
typedef struct stream_set {
    const sipas_index_options *opt;
    size_t ncols;                 /* key columns: the wave first when it may be added */
    bool wave_candidate;
    size_t *col_item;             /* item index of each key column */
    bool *col_text;               /* whether it holds text (else numbers) */
    hash_map domains;
    size_t ndomains;
    domain_key_value *keys;       /* ndomains x ncols */
    size_t keys_cap;
    double_array dom;             /* ndomains x dom_stride */
    double_array pairs;           /* ndomains x pair_stride */
    hash_map cells;               /* (domain, PSU) -> cell */
    double_array cell;            /* ncells x cell_stride */
    size_t *cell_domain, *cell_psu, ncells, cells_cap;
    size_t rows_without_domain;
    /* the last row's domain and cell: rows of a cluster usually follow one another */
    uint64_t last_key;
    size_t last_domain, last_cell, last_psu;
} stream_set;

typedef struct stream {
    const sipas_instrument *inst;
    const sipas_index_options *sets_opt;
    size_t nsets;
    bool started;
    /* columns (item indices; SIZE_MAX: none) */
    size_t wave_item, stratum_item, cluster_item, weight_item, fpc_item;
    size_t ncriteria;
    stream_criterion *crit;
    size_t dom_stride, cell_stride, pair_stride;
    /* Pair cells: state s of criterion c is the global state g = first_state[c] + s (nstates_all
     * of them); the cell of states g < h of two criteria is pair_row[g] + h in a domain's packed
     * upper triangle (pair_stride cells), so that a row finds each of its pairs by one addition */
    size_t *first_state;          /* ncriteria */
    size_t nstates_all;
    size_t *pair_row;             /* nstates_all */
    uint32_t *pair_off;           /* the current row's pair cells (row_pairs) */
    size_t npair_off;
    /* design */
    size_t n;
    hash_map strata, psus;
    size_t nstrata, npsu;
    char **stratum_label;
    double *stratum_fpc;
    size_t **stratum_psus, *stratum_npsus, *stratum_psus_cap;
    size_t *psu_stratum, psu_cap;
    size_t strata_cap;
    bool several_waves;
    double first_wave;
    uint64_t last_wave_key, last_stratum_key, last_cluster_key;
    bool last_valid;
    size_t last_stratum, last_psu;
    stream_set *sets;
    /* per row scratch */
    size_t *valid_g;              /* global state of each valid answer of the row */
    int *state_of;                /* ncriteria: state, or -1 - missing kind */
    int8_t *byte_state;           /* ncriteria x 256: answer_state of each byte code */
    compiled_condition *conds;
    size_t nconds;
} stream;

static const sipas_column *chunk_column(const sipas_dataset *d, size_t item)
{
    return item == SIZE_MAX || !d->columns[item].loaded ? NULL : &d->columns[item];
}

static size_t role_item(const sipas_instrument *inst, sipas_role role)
{
    for (size_t k = 0; k < inst->nitems; k++)
        if (inst->items[k].role == role && !inst->items[k].personal)
            return k;
    return SIZE_MAX;
}

bool sipas_index_stream_applies(const sipas_instrument *inst, const sipas_index_options *options)
{
    return options->weighting == SIPAS_WEIGHTING_DESIGN &&
           role_item(inst, SIPAS_ROLE_CLUSTER) != SIZE_MAX;
}

/* ---- the first chunk: scorers, states and layouts ------------------------------------------ */

static sipas_status add_state(stream_criterion *c, const criterion_scorer *s, sipas_error *err)
{
    for (size_t k = 0; k < s->ncodes; k++) {
        if (s->missing[k] != SIPAS_MISSING_NONE)
            continue;
        size_t j = 0;
        while (j < c->nstates && c->state_y[j] != s->y[k])
            j++;
        if (j < c->nstates)
            continue;
        if (c->nstates == MAX_STATES)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "criterion '%s' has more than %d distinct "
                                   "scores", s->item->name, MAX_STATES);
        c->state_y[c->nstates++] = s->y[k];
    }
    return SIPAS_OK;
}

/* The key columns of a set: its by columns, after the wave when it may join them. */
static sipas_status set_columns(stream *S, const sipas_dataset *d, stream_set *set,
                                sipas_error *err)
{
    const sipas_instrument *inst = S->inst;
    const char *wave = S->wave_item != SIZE_MAX ? inst->items[S->wave_item].name : NULL;
    set->wave_candidate = wave && index_wave_may_join(set->opt, wave);
    set->ncols = set->opt->nby + set->wave_candidate;
    set->col_item = calloc(set->ncols ? set->ncols : 1, sizeof *set->col_item);
    set->col_text = calloc(set->ncols ? set->ncols : 1, sizeof *set->col_text);
    if (set->col_item == NULL || set->col_text == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t b = 0; b < set->ncols; b++) {
        const char *name = set->wave_candidate ? (b == 0 ? wave : set->opt->by[b - 1])
                                               : set->opt->by[b];
        const sipas_column *col;
        sipas_status st = index_by_column(d, name, &col, err);
        if (st != SIPAS_OK)
            return st;
        set->col_item[b] = (size_t)(col - d->columns);
        set->col_text[b] = col->is_text;
    }
    set->last_key = 0;
    set->last_domain = set->last_cell = set->last_psu = SIZE_MAX;
    return SIPAS_OK;
}

/* The state of one answer code (NaN: an empty cell) of criterion sc, scored by scorer (sc's or
 * an instrument version's): its index among sc's states when valid, else -1 - its missing
 * kind (0 for an empty cell or a code the list no longer has). */
static int answer_state(const stream_criterion *sc, const criterion_scorer *scorer, double code)
{
    double y, x;
    sipas_missing_kind kind = index_score_code(scorer, code, &y, &x);
    if (x == 0)
        return -1 - (isnan(code) ? 0 : (int)kind);
    int state = 0;
    while ((size_t)state < sc->nstates && sc->state_y[state] != y)
        state++;
    return state;
}

static sipas_status stream_start(stream *S, const sipas_dataset *d, sipas_error *err)
{
    const sipas_instrument *inst = S->inst;
    sipas_status st;
    S->started = true;
    for (size_t k = 0; k < inst->nitems; k++)
        S->ncriteria += inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal;
    S->crit = calloc(S->ncriteria ? S->ncriteria : 1, sizeof *S->crit);
    S->valid_g = malloc((S->ncriteria ? S->ncriteria : 1) * sizeof *S->valid_g);
    S->state_of = malloc((S->ncriteria ? S->ncriteria : 1) * sizeof *S->state_of);
    S->first_state = calloc(S->ncriteria + 1, sizeof *S->first_state);
    S->pair_off = malloc((S->ncriteria * S->ncriteria / 2 + 1) * sizeof *S->pair_off);
    if (!S->crit || !S->valid_g || !S->state_of || !S->first_state || !S->pair_off)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    S->dom_stride = DOM_HEADER;
    S->cell_stride = CELL_HEADER;
    for (size_t k = 0, c = 0; k < inst->nitems; k++) {
        if (inst->items[k].role != SIPAS_ROLE_CRITERION || inst->items[k].personal)
            continue;
        stream_criterion *sc = &S->crit[c++];
        sc->column = k;
        if ((st = index_make_scorer(d, k, &S->sets_opt[0], &sc->scorer, err)) != SIPAS_OK ||
            (st = add_state(sc, &sc->scorer, err)) != SIPAS_OK)
            return st;
        for (size_t v = 0; v < sc->scorer.nversions; v++)
            if ((st = add_state(sc, &sc->scorer.by_version[v], err)) != SIPAS_OK)
                return st;
        sc->dom_offset = S->dom_stride;
        S->dom_stride += CRIT_HEADER + sc->nstates;
        sc->cell_offset = S->cell_stride;
        S->cell_stride += 1 + sc->nstates;
    }
    for (size_t c = 0; c < S->ncriteria; c++) {
        S->first_state[c] = S->nstates_all;
        S->nstates_all += S->crit[c].nstates;
    }
    size_t G = S->nstates_all;
    if ((S->pair_row = malloc((G ? G : 1) * sizeof *S->pair_row)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < G; g++) { /* row g holds the cells (g, h) for h = g+1 .. G-1 */
        S->pair_row[g] = S->pair_stride - (g + 1);
        S->pair_stride += G - 1 - g;
    }
    if (S->pair_stride == 0)
        S->pair_stride = 1;
    if (S->pair_stride > UINT32_MAX)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "form '%s' has too many criteria and answer "
                               "scores for the one-pass index; use --in-memory", inst->form_id);
    /* byte codes (sipas_column.code): the state of each of the 256 values, once */
    if ((S->byte_state = malloc((S->ncriteria ? S->ncriteria : 1) * 256)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < S->ncriteria; c++)
        for (int v = 0; v < 256; v++)
            S->byte_state[c * 256 + (size_t)v] =
                (int8_t)answer_state(&S->crit[c], &S->crit[c].scorer,
                                     v == SIPAS_CODE_EMPTY ? NAN : (double)v);
    for (size_t s = 0; s < S->nsets; s++) {
        S->sets[s].opt = &S->sets_opt[s];
        if ((st = set_columns(S, d, &S->sets[s], err)) != SIPAS_OK)
            return st;
    }
    return SIPAS_OK;
}

/* ---- the pass -------------------------------------------------------------------------------- */

/* The stratum and PSU of row i, numbered as src/index_design.c numbers them. */
static sipas_status row_design(stream *S, const sipas_dataset *d, size_t i, size_t *stratum,
                               size_t *psu, sipas_error *err)
{
    const sipas_column *wave = chunk_column(d, S->wave_item);
    const sipas_column *strat = chunk_column(d, S->stratum_item);
    const sipas_column *clus = chunk_column(d, S->cluster_item);
    const sipas_column *fcol = chunk_column(d, S->fpc_item);
    uint64_t wk = 0, sk = 0, ck = 0;
    if (wave)
        column_key(wave, i, &wk);
    if (strat)
        column_key(strat, i, &sk);
    if (!column_key(clus, i, &ck))
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "a stored response has no value in "
                               "cluster column '%s'", clus->item->name);
    if (S->last_valid && wk == S->last_wave_key && sk == S->last_stratum_key &&
        ck == S->last_cluster_key &&
        (!fcol || sipas_column_number(fcol, i) == S->stratum_fpc[S->last_stratum])) {
        *stratum = S->last_stratum;
        *psu = S->last_psu;
        return SIPAS_OK;
    }
    size_t h;
    bool added;
    if (!hash_map_find_or_add(&S->strata, hash_mix64(wk) ^ (sk * 0x9e3779b97f4a7c15ull), NULL,
                              NULL, &h, &added))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (added) {
        if (h == S->strata_cap) {
            size_t cap = S->strata_cap ? S->strata_cap * 2 : 64;
            char **labels = realloc(S->stratum_label, cap * sizeof *labels);
            if (labels)
                S->stratum_label = labels;
            double *fpc = labels ? realloc(S->stratum_fpc, cap * sizeof *fpc) : NULL;
            if (fpc)
                S->stratum_fpc = fpc;
            size_t **lists = fpc ? realloc(S->stratum_psus, cap * sizeof *lists) : NULL;
            if (lists)
                S->stratum_psus = lists;
            size_t *counts = lists ? realloc(S->stratum_npsus, cap * sizeof *counts) : NULL;
            if (counts)
                S->stratum_npsus = counts;
            size_t *caps = counts ? realloc(S->stratum_psus_cap, cap * sizeof *caps) : NULL;
            if (caps == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            S->stratum_psus_cap = caps;
            S->strata_cap = cap;
        }
        S->stratum_psus[h] = NULL;
        S->stratum_npsus[h] = S->stratum_psus_cap[h] = 0;
        S->stratum_label[h] = index_stratum_label(strat, wave, i);
        S->nstrata = h + 1;
        if (S->stratum_label[h] == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        S->stratum_fpc[h] = fcol ? sipas_column_number(fcol, i) : NAN;
    } else if (fcol && !(sipas_column_number(fcol, i) == S->stratum_fpc[h])) {
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum '%s' has two "
                               "population counts (%g and %g)", fcol->item->name,
                               S->stratum_label[h], S->stratum_fpc[h],
                               sipas_column_number(fcol, i));
    }
    size_t p;
    if (!hash_map_find_or_add(&S->psus, hash_mix64(h + 1) ^ (ck * 0xbf58476d1ce4e5b9ull) ^ ck,
                              NULL, NULL, &p, &added))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (added) {
        if (p == S->psu_cap) {
            size_t cap = S->psu_cap ? S->psu_cap * 2 : 256;
            size_t *grown = realloc(S->psu_stratum, cap * sizeof *grown);
            if (grown == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            S->psu_stratum = grown;
            S->psu_cap = cap;
        }
        S->psu_stratum[p] = h;
        S->npsu = p + 1;
        if (!size_push(&S->stratum_psus[h], &S->stratum_npsus[h], &S->stratum_psus_cap[h], p))
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    S->last_valid = true;
    S->last_wave_key = wk;
    S->last_stratum_key = sk;
    S->last_cluster_key = ck;
    *stratum = S->last_stratum = h;
    *psu = S->last_psu = p;
    return SIPAS_OK;
}

/* The domain of row i in a set (SIZE_MAX: none), adding it when new. */
static sipas_status row_domain(stream *S, const sipas_dataset *d, stream_set *set, size_t i,
                               size_t *out, sipas_error *err)
{
    *out = SIZE_MAX;
    uint64_t key = 0x51afd7ed558ccdull;
    for (size_t b = 0; b < set->ncols; b++) {
        uint64_t kb;
        if (!column_key(&d->columns[set->col_item[b]], i, &kb)) {
            set->rows_without_domain++;
            return SIPAS_OK;
        }
        key = hash_mix64(key ^ kb) + b;
    }
    if (set->last_domain != SIZE_MAX && key == set->last_key) {
        *out = set->last_domain;
        return SIPAS_OK;
    }
    size_t dom;
    bool added;
    if (!hash_map_find_or_add(&set->domains, key, NULL, NULL, &dom, &added))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (added) {
        if (dom == set->keys_cap) {
            size_t cap = set->keys_cap ? set->keys_cap * 2 : 64;
            domain_key_value *keys = realloc(set->keys, cap * (set->ncols ? set->ncols : 1) *
                                                            sizeof *keys);
            if (keys == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            set->keys = keys;
            set->keys_cap = cap;
        }
        set->ndomains = dom + 1;
        for (size_t b = 0; b < set->ncols; b++) {
            const sipas_column *col = &d->columns[set->col_item[b]];
            domain_key_value *kv = &set->keys[dom * set->ncols + b];
            char code[256];
            column_code(col, i, code, sizeof code);
            kv->code = strdup(code);
            kv->number = col->is_text ? 0 : sipas_column_number(col, i);
            if (kv->code == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        if (!double_array_grow(&set->dom, S->dom_stride) ||
            !double_array_grow(&set->pairs, S->pair_stride))
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    set->last_key = key;
    set->last_domain = dom;
    *out = dom;
    return SIPAS_OK;
}

/* The (domain, PSU) cell, added when new. */
static sipas_status domain_cell(stream *S, stream_set *set, size_t dom, size_t psu, size_t *out,
                                sipas_error *err)
{
    if (set->last_cell != SIZE_MAX && set->cell_domain[set->last_cell] == dom &&
        set->last_psu == psu) {
        *out = set->last_cell;
        return SIPAS_OK;
    }
    size_t cell;
    bool added;
    /* the key is the pair itself (both below 2^32), mixed by a bijection: no two cells share it */
    if (dom > UINT32_MAX || psu > UINT32_MAX)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "more than 2^32 domains or PSUs");
    if (!hash_map_find_or_add(&set->cells, hash_mix64(((uint64_t)dom << 32) | psu), NULL, NULL,
                              &cell, &added))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (added) {
        if (cell == set->cells_cap) {
            size_t cap = set->cells_cap ? set->cells_cap * 2 : 256;
            size_t *doms = realloc(set->cell_domain, cap * sizeof *doms);
            if (doms)
                set->cell_domain = doms;
            size_t *psus = doms ? realloc(set->cell_psu, cap * sizeof *psus) : NULL;
            if (psus == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            set->cell_psu = psus;
            set->cells_cap = cap;
        }
        set->cell_domain[cell] = dom;
        set->cell_psu[cell] = psu;
        set->ncells = cell + 1;
        if (!double_array_grow(&set->cell, S->cell_stride))
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    set->last_cell = cell;
    set->last_psu = psu;
    *out = cell;
    return SIPAS_OK;
}

/* The state of each criterion's answer in row i (S->state_of: state, or -1 - missing kind) and
 * the list of valid ones. */
static size_t row_states(stream *S, const sipas_dataset *d, size_t i)
{
    size_t nvalid = 0;
    for (size_t c = 0; c < S->ncriteria; c++) {
        const stream_criterion *sc = &S->crit[c];
        const sipas_column *col = &d->columns[sc->column];
        int state;
        if (col->code && sc->scorer.by_version == NULL) {
            state = S->byte_state[c * 256 + col->code[i]];
        } else {
            const criterion_scorer *row_sc = sc->scorer.by_version && d->row_version
                                           ? &sc->scorer.by_version[d->row_version[i]]
                                           : &sc->scorer;
            state = answer_state(sc, row_sc, sipas_column_number(col, i));
        }
        S->state_of[c] = state;
        if (state >= 0) {
            S->valid_g[nvalid] = S->first_state[c] + (size_t)state;
            nvalid++;
        }
    }
    return nvalid;
}

/* Adds the current row (weight w, PSU psu, answers' states from row_states, pair cells from
 * row_pairs) to domain dom of set. */
static sipas_status accumulate(stream *S, stream_set *set, size_t dom, size_t psu, double w,
                               sipas_error *err)
{
    size_t cell = 0;
    sipas_status st = domain_cell(S, set, dom, psu, &cell, err);
    if (st != SIPAS_OK)
        return st;
    double *D = set->dom.v + dom * S->dom_stride;
    double *C = set->cell.v + cell * S->cell_stride;
    bool positive = w > 0;
    D[DOM_RESPONDENTS] += 1;
    C[CELL_ROWS] += 1;
    if (positive) {
        D[DOM_POSITIVE] += 1;
        D[DOM_WEIGHT] += w;
        D[DOM_WEIGHT_SQ] += w * w;
        C[CELL_POSITIVE] += 1;
    }
    for (size_t c = 0; c < S->ncriteria; c++) {
        const stream_criterion *sc = &S->crit[c];
        double *Dc = D + sc->dom_offset, *Cc = C + sc->cell_offset;
        int state = S->state_of[c];
        if (state < 0) {
            Dc[CRIT_MISSING + (size_t)(-1 - state)] += 1;
            continue;
        }
        Dc[CRIT_HEADER + (size_t)state] += w;
        Cc[1 + (size_t)state] += w;
        if (positive) {
            Dc[CRIT_VALID] += 1;
            Dc[CRIT_WEIGHT_SQ] += w * w;
            Cc[0] += 1;
        }
    }
    if (positive) {
        double *P = set->pairs.v + dom * S->pair_stride;
        const uint32_t *off = S->pair_off;
        for (size_t j = 0, np = S->npair_off; j < np; j++)
            P[off[j]] += w;
    }
    return SIPAS_OK;
}

/* The pair cells row i adds its weight to (the same in every set), from row_states' list. */
static void row_pairs(stream *S, size_t nvalid)
{
    const size_t *g = S->valid_g; /* ascending: criteria in order, states within one */
    uint32_t *off = S->pair_off;
    size_t np = 0;
    for (size_t a = 0; a < nvalid; a++) {
        size_t row = S->pair_row[g[a]];
        for (size_t b = a + 1; b < nvalid; b++)
            off[np++] = (uint32_t)(row + g[b]);
    }
    S->npair_off = np;
}

static sipas_status stream_chunk(void *ctx, const sipas_dataset *d, sipas_error *err)
{
    stream *S = ctx;
    sipas_status st;
    if (!S->started && (st = stream_start(S, d, err)) != SIPAS_OK)
        return st;
    /* --where conditions, compiled against this chunk's levels (they only grow) */
    const sipas_index_options *opt = &S->sets_opt[0];
    for (size_t f = 0; f < S->nconds; f++)
        compiled_condition_release(&S->conds[f]);
    S->nconds = 0;
    for (size_t f = 0; f < opt->nwhere; f++, S->nconds++)
        if ((st = compile_condition(d, &opt->where[f], &S->conds[f], err)) != SIPAS_OK) {
            S->nconds++;
            return st;
        }
    const sipas_column *wave = chunk_column(d, S->wave_item);
    const sipas_column *wcol = chunk_column(d, S->weight_item);
    st = SIPAS_OK;
    for (size_t i = 0; i < d->n && st == SIPAS_OK; i++) {
        size_t h = 0, psu = 0;
        if ((st = row_design(S, d, i, &h, &psu, err)) != SIPAS_OK)
            break;
        double w = wcol ? sipas_column_number(wcol, i) : 1.0;
        if (!(w >= 0) || !isfinite(w)) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "a stored response has weight %g", w);
            break;
        }
        if (wave) {
            double v = sipas_column_number(wave, i);
            if (S->n == 0)
                S->first_wave = v;
            else if (v != S->first_wave)
                S->several_waves = true;
        }
        S->n++;
        bool keep = true;
        for (size_t f = 0; f < S->nconds && keep; f++)
            keep = condition_holds(&S->conds[f], i);
        if (!keep)
            continue;
        size_t nvalid = row_states(S, d, i);
        S->npair_off = 0;
        if (w > 0)
            row_pairs(S, nvalid);
        for (size_t s = 0; s < S->nsets && st == SIPAS_OK; s++) {
            size_t dom;
            if ((st = row_domain(S, d, &S->sets[s], i, &dom, err)) == SIPAS_OK && dom != SIZE_MAX)
                st = accumulate(S, &S->sets[s], dom, psu, w, err);
        }
    }
    return st;
}

/* ---- the estimates ---------------------------------------------------------------------------- */

/* One domain's PSU-level design: the PSUs of every stratum holding one of its rows. */
typedef struct domain_design {
    size_t npsu, nstrata;
    size_t *stratum;          /* sub stratum of each row */
    size_t *global_stratum;   /* sub stratum -> global */
    double *fpc;              /* per sub stratum, or NULL */
    const double **cell;      /* the domain's cell of each PSU, or NULL */
    sipas_prepared_design *prepared;
    /* per criterion, per PSU: the total of the scores and of their |score| (ncriteria x npsu) */
    double *totals, *abs_totals;
} domain_design;

static void domain_design_release(domain_design *dd)
{
    free(dd->stratum);
    free(dd->global_stratum);
    free(dd->fpc);
    free(dd->cell);
    free(dd->totals);
    free(dd->abs_totals);
    sipas_prepared_design_free(dd->prepared);
    memset(dd, 0, sizeof *dd);
}

/* The estimation of one domain of a set from its sums. */
typedef struct estimate_ctx {
    stream *S;
    stream_set *set;
    sipas_index_result *res;
    size_t out_dom;            /* the domain's index in res */
    const double *D, *P;       /* its record and pair cells */
    domain_design dd;
    double *residual;          /* ncriteria x MAX_STATES: (y_s - R_c)/X_c of each state */
    double *coef;              /* ncriteria: an element's coefficients (1/k on its criteria) */
    double *composite_totals, *composite_abs; /* npsu: a composite's PSU totals */
    bool *taking;              /* npsu: the PSUs taking part in the estimate at hand */
    const char *measure;       /* what a failure names */
} estimate_ctx;

/* "form 'F', district 'x', wave 2024, measure 'q1'" before a failure (index_locate). */
static sipas_status locate(const estimate_ctx *e, sipas_status st, sipas_error *err)
{
    return index_locate(e->S->inst->form_id, e->res, e->out_dom, NULL, NULL, NAN, e->measure, st,
                        err);
}

static sipas_status build_domain_design(estimate_ctx *e, const size_t *cells, size_t ncells,
                                        size_t *psu_map, bool *stratum_used, sipas_error *err)
{
    stream *S = e->S;
    domain_design *dd = &e->dd;
    memset(stratum_used, 0, S->nstrata * sizeof *stratum_used);
    for (size_t k = 0; k < ncells; k++)
        stratum_used[S->psu_stratum[e->set->cell_psu[cells[k]]]] = true;
    for (size_t h = 0; h < S->nstrata; h++)
        if (stratum_used[h]) {
            dd->npsu += S->stratum_npsus[h];
            dd->nstrata++;
        }
    dd->stratum = malloc(dd->npsu * sizeof *dd->stratum);
    dd->global_stratum = malloc(dd->nstrata * sizeof *dd->global_stratum);
    dd->cell = calloc(dd->npsu, sizeof *dd->cell);
    dd->totals = malloc((S->ncriteria ? S->ncriteria : 1) * dd->npsu * sizeof *dd->totals);
    dd->abs_totals = malloc((S->ncriteria ? S->ncriteria : 1) * dd->npsu * sizeof *dd->abs_totals);
    if (S->fpc_item != SIZE_MAX)
        dd->fpc = malloc(dd->nstrata * sizeof *dd->fpc);
    if (!dd->stratum || !dd->global_stratum || !dd->cell || !dd->totals ||
        !dd->abs_totals || (S->fpc_item != SIZE_MAX && !dd->fpc))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t r = 0, hs = 0;
    for (size_t h = 0; h < S->nstrata; h++) {
        if (!stratum_used[h])
            continue;
        dd->global_stratum[hs] = h;
        if (dd->fpc)
            dd->fpc[hs] = S->stratum_fpc[h];
        for (size_t j = 0; j < S->stratum_npsus[h]; j++) {
            size_t p = S->stratum_psus[h][j];
            dd->stratum[r] = hs;
            psu_map[p] = r;
            r++;
        }
        hs++;
    }
    for (size_t k = 0; k < ncells; k++) {
        size_t p = e->set->cell_psu[cells[k]];
        dd->cell[psu_map[p]] = e->set->cell.v + cells[k] * S->cell_stride;
    }
    sipas_design design = {
        .n = dd->npsu, .nstrata = dd->nstrata, .stratum = dd->stratum, .fpc = dd->fpc,
        .lonely_psu = e->set->opt->lonely_psu,
    };
    sipas_status st = sipas_design_prepare(&design, &dd->prepared, err);
    return st == SIPAS_OK ? st
                          : index_name_stratum(S->stratum_label, dd->global_stratum, dd->nstrata,
                                               st, err);
}

/* The PSUs with counted[k] (a row of the estimate's domain of nonzero weight) and the strata
 * they lie in, as sipas_design_count counts them: df = psus - strata. */
static void count_design(const domain_design *dd, const bool *counted, size_t *psus,
                         size_t *strata)
{
    *psus = *strata = 0;
    size_t last = SIZE_MAX;
    for (size_t k = 0; k < dd->npsu; k++) {
        if (!counted[k])
            continue;
        (*psus)++;
        if (dd->stratum[k] != last) { /* rows are grouped by stratum */
            last = dd->stratum[k];
            (*strata)++;
        }
    }
}

/* The variance of an estimate from its PSU totals, naming the stratum the core complains of. */
static sipas_status variance_of(estimate_ctx *e, const double *totals, const double *abs_totals,
                                const bool *taking, double *variance, sipas_error *err)
{
    sipas_status st = sipas_variance_of_psu_totals(e->dd.prepared, totals, abs_totals, taking,
                                                   variance, err);
    return st == SIPAS_OK ? st
                          : index_name_stratum(e->S->stratum_label, e->dd.global_stratum,
                                               e->dd.nstrata, st, err);
}

/* A criterion's row; false in *answered when it has no valid answer. */
static sipas_status criterion_row(estimate_ctx *e, size_t c, sipas_index_row *row,
                                  bool *answered, sipas_error *err)
{
    stream *S = e->S;
    const stream_criterion *sc = &S->crit[c];
    const double *Dc = e->D + sc->dom_offset, *W = Dc + CRIT_HEADER;
    domain_design *dd = &e->dd;
    for (size_t k = 0; k < SIPAS_MISSING_KINDS; k++)
        row->n_missing[k] = (size_t)Dc[CRIT_MISSING + k];
    double num = 0, den = 0;
    for (size_t s = 0; s < sc->nstates; s++) {
        num += W[s] * sc->state_y[s];
        den += W[s];
    }
    *answered = den != 0;
    if (!*answered) {
        row->n = 0;
        index_not_estimable(row);
        return SIPAS_OK;
    }
    size_t m = (size_t)Dc[CRIT_VALID];
    row->n = m;
    row->estimable = true;
    double R = num / den;
    row->estimate = R;
    double *res = e->residual + c * MAX_STATES;
    for (size_t s = 0; s < sc->nstates; s++)
        res[s] = (sc->state_y[s] - R * 1.0) / den; /* sipas_ratio_estimate's (y - R x) / X */
    double *t = dd->totals + c * dd->npsu, *a = dd->abs_totals + c * dd->npsu;
    for (size_t k = 0; k < dd->npsu; k++) {
        const double *Ck = dd->cell[k] ? dd->cell[k] + sc->cell_offset : NULL;
        double total = 0, abs_total = 0;
        if (Ck)
            for (size_t s = 0; s < sc->nstates; s++) {
                total += Ck[1 + s] * res[s];
                abs_total += Ck[1 + s] * fabs(res[s]);
            }
        t[k] = total;
        a[k] = abs_total;
        e->taking[k] = Ck && Ck[0] > 0; /* a valid answer of nonzero weight */
    }
    sipas_estimate_summary sum = {0};
    sipas_status st = variance_of(e, t, a, e->taking, &sum.variance, err);
    if (st != SIPAS_OK)
        return st;
    count_design(dd, e->taking, &sum.psus, &sum.strata);
    /* deff: r = (y - R)/X over the valid answers of nonzero weight, N = X */
    double rbar_num = 0;
    for (size_t s = 0; s < sc->nstates; s++)
        rbar_num += W[s] * res[s];
    double rbar = rbar_num / den, ss = 0;
    for (size_t s = 0; s < sc->nstates; s++) {
        double dev = res[s] - rbar;
        ss += W[s] * dev * dev;
    }
    sum.deff = sipas_deff_from_sums(sum.variance, ss, 0, den, m, false);
    sum.kish_deff = m ? (double)m * Dc[CRIT_WEIGHT_SQ] / (den * den) : NAN;
    return index_finish_row(e->res, &sum, (double)m, row, err);
}

/* A composite sum_c coef[c] R_c over the domain's respondents (an element, the overall index). */
static sipas_status composite_row(estimate_ctx *e, const double *coef, sipas_index_row *row,
                                  sipas_error *err)
{
    stream *S = e->S;
    domain_design *dd = &e->dd;
    size_t nc = S->ncriteria;
    for (size_t k = 0; k < dd->npsu; k++) {
        double total = 0, abs_total = 0;
        for (size_t c = 0; c < nc; c++) {
            if (coef[c] == 0)
                continue;
            total += coef[c] * dd->totals[c * dd->npsu + k];
            abs_total += fabs(coef[c]) * dd->abs_totals[c * dd->npsu + k];
        }
        e->composite_totals[k] = total;
        e->composite_abs[k] = abs_total;
        e->taking[k] = dd->cell[k] != NULL; /* a respondent of the domain, whatever the weight */
    }
    sipas_estimate_summary sum = {0};
    sipas_status st = variance_of(e, e->composite_totals, e->composite_abs, e->taking,
                                  &sum.variance, err);
    if (st != SIPAS_OK)
        return st;
    for (size_t k = 0; k < dd->npsu; k++)
        e->taking[k] = dd->cell[k] && dd->cell[k][CELL_POSITIVE] > 0;
    count_design(dd, e->taking, &sum.psus, &sum.strata);
    /* deff: r_i = sum_c b_c(s_ic), b_c(s) = coef_c (y_s - R_c)/X_c, over the respondents of
     * nonzero weight: sum w r^2 from the state weights (squares) and the pair cells */
    double N = e->D[DOM_WEIGHT], rsum = 0, q = 0, cross = 0, cross_abs = 0;
    size_t m = (size_t)e->D[DOM_POSITIVE];
    for (size_t c = 0; c < nc; c++) {
        if (coef[c] == 0)
            continue;
        const stream_criterion *sc = &S->crit[c];
        const double *W = e->D + sc->dom_offset + CRIT_HEADER, *res = e->residual + c * MAX_STATES;
        for (size_t s = 0; s < sc->nstates; s++) {
            double b = coef[c] * res[s];
            rsum += W[s] * b;
            q += W[s] * b * b;
        }
        for (size_t d = c + 1; d < nc; d++) {
            if (coef[d] == 0)
                continue;
            const stream_criterion *sd = &S->crit[d];
            const double *res_d = e->residual + d * MAX_STATES;
            for (size_t s = 0; s < sc->nstates; s++) {
                /* the index first (it wraps as size_t for g = 0), then the pointer */
                const double *Pcd = e->P + (S->pair_row[S->first_state[c] + s] + S->first_state[d]);
                double inner = 0, inner_abs = 0;
                for (size_t u = 0; u < sd->nstates; u++) {
                    inner += Pcd[u] * (coef[d] * res_d[u]);
                    inner_abs += Pcd[u] * fabs(coef[d] * res_d[u]);
                }
                cross += inner * (coef[c] * res[s]);
                cross_abs += inner_abs * fabs(coef[c] * res[s]);
            }
        }
    }
    /* the same sum from |b|: sum_i w_i (sum_c |b_c(s_ic)|)^2, the rounding scale of ss */
    double rbar = rsum / N, ss = q + 2 * cross - rbar * rbar * N, scale = q + 2 * cross_abs;
    if (ss < 0)
        ss = 0;
    sum.deff = sipas_deff_from_sums(sum.variance, ss, scale, N, m, false);
    sum.kish_deff = m ? (double)m * e->D[DOM_WEIGHT_SQ] / (N * N) : NAN;
    return index_finish_row(e->res, &sum, (double)row->n, row, err);
}

/* Every row of one domain, in the order of src/index_estimate.c. */
static sipas_status estimate_domain(estimate_ctx *e, sipas_index_row *rows, sipas_error *err)
{
    stream *S = e->S;
    const sipas_instrument *inst = S->inst;
    size_t ne = inst->nelements, nc = S->ncriteria;
    size_t respondents = e->res->domains[e->out_dom].respondents;
    sipas_status st;
    double weight_sum = 0;
    for (size_t k = 0; k < ne; k++)
        weight_sum += inst->elements[k].weight;
    double *overall_coef = calloc(nc ? nc : 1, sizeof *overall_coef);
    if (overall_coef == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_index_row *overall = &rows[0];
    *overall = index_overall_row(e->out_dom, respondents, weight_sum > 0);
    bool overall_nps = false;
    size_t r = 1;
    for (size_t el = 0; el < ne; el++) {
        sipas_index_row *erow = &rows[r++];
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            k += inst->items[S->crit[c].column].element == (int)el;
        *erow = index_element_row(inst, el, e->out_dom, respondents, k);
        memset(e->coef, 0, nc * sizeof *e->coef);
        for (size_t c = 0; c < nc; c++) {
            const stream_criterion *sc = &S->crit[c];
            const sipas_item *it = &inst->items[sc->column];
            if (it->element != (int)el)
                continue;
            sipas_index_row *crow = &rows[r++];
            *crow = index_criterion_row(&sc->scorer, e->out_dom);
            erow->scoring = sc->scorer.scoring;
            e->measure = crow->name;
            bool answered;
            if ((st = criterion_row(e, c, crow, &answered, err)) != SIPAS_OK)
                goto fail;
            if (!answered) {
                erow->estimable = false;
                continue;
            }
            erow->estimate += crow->estimate / (double)k;
            e->coef[c] = 1.0 / (double)k;
        }
        if (erow->scoring == SIPAS_SCORING_NPS && inst->elements[el].weight > 0)
            overall_nps = true;
        if (!erow->estimable) {
            index_not_estimable(erow);
        } else {
            e->measure = erow->name;
            if ((st = composite_row(e, e->coef, erow, err)) != SIPAS_OK)
                goto fail;
        }
        double ce = weight_sum > 0 ? inst->elements[el].weight / weight_sum : 0;
        if (ce > 0) {
            if (!erow->estimable)
                overall->estimable = false;
            else {
                overall->estimate += ce * erow->estimate;
                for (size_t c = 0; c < nc; c++)
                    overall_coef[c] += ce * e->coef[c];
            }
        }
    }
    if (overall_nps)
        overall->scoring = SIPAS_SCORING_NPS;
    if (!overall->estimable) {
        index_not_estimable(overall);
        free(overall_coef);
        return SIPAS_OK;
    }
    e->measure = overall->name;
    st = composite_row(e, overall_coef, overall, err);
    if (st == SIPAS_OK) {
        free(overall_coef);
        return SIPAS_OK;
    }
fail:
    free(overall_coef);
    return locate(e, st, err);
}

/* Domains in the order of src/index_domains.c, by their codes from key column `first` on. */
static int compare_domains(const stream *S, const stream_set *set, size_t first, size_t x,
                           size_t y)
{
    for (size_t b = first; b < set->ncols; b++) {
        const domain_key_value *kx = &set->keys[x * set->ncols + b];
        const domain_key_value *ky = &set->keys[y * set->ncols + b];
        int cmp = set->col_text[b]
                ? index_compare_codes(S->inst->items[set->col_item[b]].list, kx->code, ky->code)
                : index_compare_numbers(kx->number, ky->number);
        if (cmp)
            return cmp;
    }
    return 0;
}

/* The result of one set from its sums. */
static sipas_status finish_set(stream *S, stream_set *set, sipas_index_result *res,
                               sipas_error *err)
{
    const sipas_instrument *inst = S->inst;
    bool add_wave = set->wave_candidate && S->several_waves;
    size_t first = set->wave_candidate && !add_wave; /* a single wave: not a by column */
    res->wave_added = add_wave;
    res->nby = set->ncols - first;
    res->design_rows = S->n;
    res->nstrata = S->nstrata;
    res->npsu = S->npsu;
    res->rows_without_domain = set->rows_without_domain;
    if ((res->by = calloc(res->nby ? res->nby : 1, sizeof *res->by)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t b = 0; b < res->nby; b++)
        if ((res->by[b] = strdup(inst->items[set->col_item[b + first]].name)) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (set->ndomains == 0)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND,
                               "no respondent matches the --where conditions");
    size_t nd = set->ndomains, nc = S->ncriteria;
    size_t per_domain = 1 + inst->nelements + nc;
    sipas_status st = SIPAS_OK;
    size_t *order = malloc(nd * sizeof *order);
    size_t *cell_start = calloc(nd + 1, sizeof *cell_start);
    size_t *cells = malloc((set->ncells ? set->ncells : 1) * sizeof *cells);
    size_t *psu_map = malloc((S->npsu ? S->npsu : 1) * sizeof *psu_map);
    bool *stratum_used = malloc((S->nstrata ? S->nstrata : 1) * sizeof *stratum_used);
    res->domains = calloc(nd, sizeof *res->domains);
    res->rows = calloc(nd * per_domain, sizeof *res->rows);
    estimate_ctx e = {.S = S, .set = set, .res = res};
    e.residual = calloc((nc ? nc : 1) * MAX_STATES, sizeof *e.residual);
    e.coef = calloc(nc ? nc : 1, sizeof *e.coef);
    if (!order || !cell_start || !cells || !psu_map || !stratum_used || !res->domains ||
        !res->rows || !e.residual || !e.coef) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    res->ndomains = nd;
    res->nrows = nd * per_domain;
    /* insertion sort: domains are few (hundreds at most) */
    for (size_t a = 0; a < nd; a++) {
        size_t cur = a, j = a;
        while (j > 0 && compare_domains(S, set, first, cur, order[j - 1]) < 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = cur;
    }
    for (size_t a = 0; a < nd && st == SIPAS_OK; a++) {
        sipas_index_domain *dom = &res->domains[a];
        if ((dom->values = calloc(res->nby ? res->nby : 1, sizeof *dom->values)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t b = 0; b < res->nby && st == SIPAS_OK; b++)
            if ((dom->values[b] = strdup(set->keys[order[a] * set->ncols + b + first].code)) == NULL)
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        dom->respondents = (size_t)set->dom.v[order[a] * S->dom_stride + DOM_RESPONDENTS];
    }
    /* each domain's cells, in the order they were made */
    for (size_t k = 0; k < set->ncells; k++)
        cell_start[set->cell_domain[k] + 1]++;
    for (size_t a = 0; a < nd; a++)
        cell_start[a + 1] += cell_start[a];
    for (size_t k = 0; k < set->ncells; k++) {
        size_t a = set->cell_domain[k];
        cells[cell_start[a]++] = k;
    }
    for (size_t a = nd; a > 0; a--) /* cell_start[a] moved to the end of domain a: shift back */
        cell_start[a] = cell_start[a - 1];
    cell_start[0] = 0;
    for (size_t a = 0; a < nd && st == SIPAS_OK; a++) {
        size_t dom = order[a];
        e.out_dom = a;
        e.measure = NULL;
        e.D = set->dom.v + dom * S->dom_stride;
        e.P = set->pairs.v + dom * S->pair_stride;
        if ((st = build_domain_design(&e, cells + cell_start[dom],
                                      cell_start[dom + 1] - cell_start[dom], psu_map, stratum_used,
                                      err)) != SIPAS_OK) {
            locate(&e, st, err);
            break;
        }
        size_t np = e.dd.npsu ? e.dd.npsu : 1;
        e.taking = malloc(np * sizeof *e.taking);
        e.composite_totals = malloc(np * sizeof *e.composite_totals);
        e.composite_abs = malloc(np * sizeof *e.composite_abs);
        if (!e.taking || !e.composite_totals || !e.composite_abs)
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        else
            st = estimate_domain(&e, res->rows + a * per_domain, err);
        free(e.taking);
        free(e.composite_totals);
        free(e.composite_abs);
        e.taking = NULL;
        e.composite_totals = e.composite_abs = NULL;
        domain_design_release(&e.dd);
    }
    if (st == SIPAS_OK) {
        size_t min_cell = set->opt->min_cell ? set->opt->min_cell : SIPAS_DEFAULT_MIN_CELL;
        for (size_t i = 0; i < res->nrows; i++)
            index_withhold_small_cell(&res->rows[i], min_cell);
    }
done:
    domain_design_release(&e.dd);
    free(e.residual);
    free(e.coef);
    free(order);
    free(cell_start);
    free(cells);
    free(psu_map);
    free(stratum_used);
    return st;
}

static void stream_release(stream *S)
{
    for (size_t c = 0; S->crit && c < S->ncriteria; c++)
        index_release_scorer(&S->crit[c].scorer);
    free(S->crit);
    free(S->first_state);
    free(S->pair_row);
    free(S->pair_off);
    free(S->valid_g);
    free(S->state_of);
    free(S->byte_state);
    hash_map_release(&S->strata);
    hash_map_release(&S->psus);
    for (size_t h = 0; h < S->nstrata; h++) {
        free(S->stratum_label[h]);
        free(S->stratum_psus[h]);
    }
    free(S->stratum_label);
    free(S->stratum_fpc);
    free(S->stratum_psus);
    free(S->stratum_npsus);
    free(S->stratum_psus_cap);
    free(S->psu_stratum);
    for (size_t s = 0; S->sets && s < S->nsets; s++) {
        stream_set *set = &S->sets[s];
        free(set->col_item);
        free(set->col_text);
        hash_map_release(&set->domains);
        for (size_t k = 0; k < set->ndomains * set->ncols; k++)
            free(set->keys[k].code);
        free(set->keys);
        free(set->dom.v);
        free(set->pairs.v);
        hash_map_release(&set->cells);
        free(set->cell.v);
        free(set->cell_domain);
        free(set->cell_psu);
    }
    free(S->sets);
    for (size_t f = 0; f < S->nconds; f++)
        compiled_condition_release(&S->conds[f]);
    free(S->conds);
}

sipas_status sipas_index_compute_stream(sipas_store *store, const sipas_instrument *inst,
                                        const sipas_index_options *sets, size_t nsets,
                                        sipas_index_result **results, sipas_error *err)
{
    return index_compute_stream_chunked(store, inst, sets, nsets, CHUNK_ROWS, results, err);
}

sipas_status index_compute_stream_chunked(sipas_store *store, const sipas_instrument *inst,
                                          const sipas_index_options *sets, size_t nsets,
                                          size_t chunk_rows, sipas_index_result **results,
                                          sipas_error *err)
{
    for (size_t s = 0; s < nsets; s++)
        results[s] = NULL;
    if (nsets == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no set of domains to estimate");
    const sipas_index_options *opt = &sets[0];
    double level = opt->level > 0 ? opt->level : 0.95;
    if (!(level > 0 && level < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "confidence level %g is not between 0 and 1",
                               level);
    if (!sipas_index_stream_applies(inst, opt))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the one-pass index needs design weights and "
                               "a cluster column; load the dataset (sipas_index_compute)");
    stream S = {
        .inst = inst, .sets_opt = sets, .nsets = nsets,
        .wave_item = role_item(inst, SIPAS_ROLE_WAVE),
        .stratum_item = role_item(inst, SIPAS_ROLE_STRATUM),
        .cluster_item = role_item(inst, SIPAS_ROLE_CLUSTER),
        .weight_item = role_item(inst, SIPAS_ROLE_WEIGHT),
        .fpc_item = role_item(inst, SIPAS_ROLE_FPC),
    };
    sipas_status st = SIPAS_OK;
    size_t nby = 0;
    for (size_t s = 0; s < nsets; s++)
        nby += sets[s].nby;
    const char **names = calloc(nby + opt->nwhere + 1, sizeof *names);
    sipas_filter *pushed = calloc(opt->nwhere + 1, sizeof *pushed);
    S.sets = calloc(nsets, sizeof *S.sets);
    S.conds = calloc(opt->nwhere + 1, sizeof *S.conds);
    if (!names || !pushed || !S.sets || !S.conds) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t nnames = 0, npushed = 0;
    for (size_t s = 0; s < nsets; s++)
        for (size_t b = 0; b < sets[s].nby; b++)
            names[nnames++] = sets[s].by[b];
    /* the wave's conditions go into the query: strata never span waves, so the other waves' rows
     * change no estimate */
    for (size_t f = 0; f < opt->nwhere; f++) {
        names[nnames++] = opt->where[f].column;
        if (S.wave_item != SIZE_MAX && strcmp(opt->where[f].column, inst->items[S.wave_item].name) == 0 &&
            (opt->where[f].op == SIPAS_OP_EQ || opt->where[f].op == SIPAS_OP_IN))
            pushed[npushed++] = opt->where[f];
    }
    if ((st = sipas_dataset_stream_columns(store, inst, names, nnames, pushed, npushed, chunk_rows,
                                           stream_chunk, &S, err)) != SIPAS_OK)
        goto done;
    if (S.fpc_item != SIZE_MAX &&
        (st = index_fpc_as_fractions(inst->items[S.fpc_item].name, S.nstrata, S.stratum_fpc,
                                     S.stratum_npsus, S.stratum_label, err)) != SIPAS_OK)
        goto done;
    for (size_t s = 0; s < nsets && st == SIPAS_OK; s++) {
        if ((results[s] = calloc(1, sizeof *results[s])) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        results[s]->ci = sets[s].ci;
        results[s]->level = level;
        st = finish_set(&S, &S.sets[s], results[s], err);
    }
done:
    stream_release(&S);
    free(names);
    free(pushed);
    if (st != SIPAS_OK)
        for (size_t s = 0; s < nsets; s++) {
            sipas_index_result_free(results[s]);
            results[s] = NULL;
        }
    return st;
}
