/* src/sample_draw.c - Drawing the next wave's clusters (sipas/sample_draw.h): PPS systematic
 * within strata with certainty selections, or SRS, with a portable seeded generator. Algorithms:
 * docs/planning.md. */
#include "sipas/sample_draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "frame_input.h"
#include "sipas/csv_writer.h"
#include "text.h"

/* ---- the generator ------------------------------------------------------------------------ */

uint64_t sipas_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

void sipas_rng_seed(sipas_rng *rng, uint64_t seed)
{
    for (size_t i = 0; i < 4; i++)
        rng->state[i] = sipas_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sipas_rng_next(sipas_rng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sipas_rng_uniform(sipas_rng *rng)
{
    return (double)(sipas_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* ---- probabilities and draws -------------------------------------------------------------- */

sipas_status sipas_inclusion_probabilities(size_t count, const double *size, size_t n, double *pi,
                                           size_t *ncertain, sipas_error *err)
{
    size_t positive = 0;
    for (size_t k = 0; k < count; k++) {
        if (!(size[k] >= 0) || !isfinite(size[k]))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "size %g of unit %zu is not a number >= 0",
                                   size[k], k + 1);
        positive += size[k] > 0;
    }
    if (n > positive)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%zu units cannot be drawn from %zu of "
                               "positive size", n, positive);
    size_t certain = 0;
    for (size_t k = 0; k < count; k++)
        pi[k] = 0;
    /* iterated capping: each pass fixes at least one more unit at 1, so at most count passes */
    for (;;) {
        double rest = 0;
        for (size_t k = 0; k < count; k++)
            if (pi[k] < 1)
                rest += size[k];
        size_t left = n - certain;
        bool capped = false;
        for (size_t k = 0; k < count; k++) {
            if (pi[k] >= 1)
                continue;
            pi[k] = rest > 0 ? (double)left * size[k] / rest : 0;
            if (pi[k] >= 1) {
                pi[k] = 1;
                certain++;
                capped = true;
            }
        }
        if (!capped || certain == n)
            break;
        for (size_t k = 0; k < count; k++) /* recompute the others next pass */
            if (pi[k] < 1)
                pi[k] = 0;
    }
    if (certain == n)
        for (size_t k = 0; k < count; k++)
            if (pi[k] < 1)
                pi[k] = 0;
    if (ncertain)
        *ncertain = certain;
    return SIPAS_OK;
}

sipas_status sipas_draw_systematic(size_t count, const double *pi, sipas_rng *rng,
                                   unsigned char *selected, sipas_error *err)
{
    double total = 0;
    size_t last = count;
    for (size_t k = 0; k < count; k++) {
        if (!(pi[k] >= 0 && pi[k] <= 1))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "inclusion probability %g of unit %zu "
                                   "is not in [0, 1]", pi[k], k + 1);
        if (pi[k] < 1) {
            total += pi[k];
            if (pi[k] > 0)
                last = k;
        }
    }
    double n = round(total);
    if (fabs(total - n) > 1e-6 * (n > 1 ? n : 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the inclusion probabilities sum to %.9g, "
                               "not a whole number of units", total);
    double u = sipas_rng_uniform(rng), before = 0;
    for (size_t k = 0; k < count; k++) {
        if (pi[k] >= 1) {
            selected[k] = 1;
            continue;
        }
        /* the last cumulated sum is set to its whole number, so rounding cannot add or drop a
         * selection at the end */
        double after = k == last ? n : before + pi[k];
        selected[k] = pi[k] > 0 && ceil(after - u) - ceil(before - u) >= 1;
        before = after;
    }
    return SIPAS_OK;
}

sipas_status sipas_draw_srs(size_t count, size_t n, sipas_rng *rng, unsigned char *selected,
                            sipas_error *err)
{
    if (n > count)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%zu units cannot be drawn from %zu", n, count);
    size_t taken = 0;
    for (size_t k = 0; k < count; k++) {
        selected[k] = (double)(count - k) * sipas_rng_uniform(rng) < (double)(n - taken);
        taken += selected[k];
    }
    return SIPAS_OK;
}

/* ---- reading a frame ---------------------------------------------------------------------- */

#define SAMPLE_MAX_CLUSTERS 1000000

typedef struct frame_reader {
    const sipas_instrument *inst;
    const char *path;
    const sipas_sample_options *opt;
    sipas_sample_result *res;
    bool have_header;
    size_t nfields;
    long stratum_field, cluster_field, size_field;
    size_t cap;
    frame_problems problems;
} frame_reader;

static sipas_status frame_header(frame_reader *f, size_t row, size_t nfields, char *const *fields,
                                 const size_t *lengths, sipas_error *err)
{
    f->nfields = nfields;
    f->stratum_field = f->cluster_field = f->size_field = -1;
    const char *size_name = f->opt->size_column;
    for (size_t j = 0; j < nfields; j++) {
        size_t start, len;
        sipas_text_trim(fields[j], lengths[j], &start, &len);
        const char *name = fields[j] + start;
        if (len == strlen(f->res->stratum_item->name) &&
            memcmp(name, f->res->stratum_item->name, len) == 0)
            f->stratum_field = (long)j;
        else if (len == strlen(f->res->cluster_item->name) &&
                 memcmp(name, f->res->cluster_item->name, len) == 0)
            f->cluster_field = (long)j;
        else if (size_name && len == strlen(size_name) && memcmp(name, size_name, len) == 0)
            f->size_field = (long)j;
    }
    const char *missing = f->stratum_field < 0 ? f->res->stratum_item->name
                        : f->cluster_field < 0 ? f->res->cluster_item->name
                        : size_name && f->size_field < 0 ? size_name : NULL;
    if (missing)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: no column '%s' (a frame of form "
                               "'%s' names its stratum column '%s', its cluster column '%s'%s%s%s)",
                               f->path, row, missing, f->inst->form_id, f->res->stratum_item->name,
                               f->res->cluster_item->name, size_name ? " and the size column '" : "",
                               size_name ? size_name : "", size_name ? "'" : "");
    f->have_header = true;
    return SIPAS_OK;
}

static sipas_status frame_row(void *ctx, char delimiter, size_t row, size_t nfields,
                              char *const *fields, const size_t *lengths, sipas_error *err)
{
    frame_reader *f = ctx;
    sipas_sample_result *res = f->res;
    if (!f->have_header)
        return frame_header(f, row, nfields, fields, lengths, err);
    if (nfields != f->nfields) {
        frame_problem(&f->problems, row, NULL, "the row has %zu fields but the header has %zu",
                      nfields, f->nfields);
        return SIPAS_OK;
    }
    const sipas_item *st_item = res->stratum_item;
    const char *sv = fields[f->stratum_field];
    const sipas_choice *ch = sipas_choice_list_match(st_item->list, sv, lengths[f->stratum_field]);
    if (ch == NULL) {
        frame_problem(&f->problems, row, st_item->name, "'%.*s' is not a code or label of list '%s'",
                      (int)(lengths[f->stratum_field] > 80 ? 80 : lengths[f->stratum_field]), sv,
                      st_item->list->name);
        return SIPAS_OK;
    }
    size_t start, len;
    const char *cv = fields[f->cluster_field];
    sipas_text_trim(cv, lengths[f->cluster_field], &start, &len);
    if (len == 0 || !sipas_utf8_valid(cv + start, len, NULL)) {
        frame_problem(&f->problems, row, res->cluster_item->name, len == 0
                      ? "empty, but every cluster needs its name"
                      : "the name is not UTF-8 text; save the file as UTF-8");
        return SIPAS_OK;
    }
    double size = NAN;
    if (f->size_field >= 0) {
        const char *p = fields[f->size_field];
        size_t plen = lengths[f->size_field];
        if (!frame_number(p, plen, delimiter, &size) || !(size > 0)) {
            size_t s0, slen;
            sipas_text_trim(p, plen, &s0, &slen);
            frame_problem(&f->problems, row, f->opt->size_column,
                          "'%.*s' is not a size (a number > 0)", (int)(slen > 80 ? 80 : slen), p + s0);
            return SIPAS_OK;
        }
    }
    if (res->nunits == SAMPLE_MAX_CLUSTERS)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "%s: more than %d clusters", f->path,
                               SAMPLE_MAX_CLUSTERS);
    if (res->nunits == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 256;
        sipas_sample_unit *grown = realloc(res->units, cap * sizeof *grown);
        if (grown == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        res->units = grown;
        f->cap = cap;
    }
    sipas_sample_unit *u = &res->units[res->nunits];
    memset(u, 0, sizeof *u);
    if ((u->cluster = strndup(cv + start, len)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    u->stratum = (size_t)(ch - st_item->list->choices);
    u->size = size;
    u->row = row;
    res->nunits++;
    return SIPAS_OK;
}

static int compare_units(const void *a, const void *b)
{
    const sipas_sample_unit *x = *(const sipas_sample_unit *const *)a;
    const sipas_sample_unit *y = *(const sipas_sample_unit *const *)b;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    int c = strcmp(x->cluster, y->cluster);
    return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

/* A cluster named twice in a stratum: the later row is the problem. Sorting keeps this
 * O(N log N) for frames of many thousand schools. */
static sipas_status check_unique(frame_reader *f, sipas_error *err)
{
    sipas_sample_result *res = f->res;
    const sipas_sample_unit **order = alloc_array(res->nunits, sizeof *order);
    if (order == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < res->nunits; k++)
        order[k] = &res->units[k];
    qsort(order, res->nunits, sizeof *order, compare_units);
    const sipas_sample_unit *first = NULL;
    size_t repeats = 0;
    for (size_t k = 1; k < res->nunits; k++) {
        const sipas_sample_unit *x = order[k - 1], *y = order[k];
        if (x->stratum == y->stratum && strcmp(x->cluster, y->cluster) == 0) {
            repeats++;
            if (first == NULL || y->row < first->row)
                first = y;
        }
    }
    if (first) {
        const sipas_choice *ch = &res->stratum_item->list->choices[first->stratum];
        frame_problem(&f->problems, first->row, res->cluster_item->name, "'%.80s' is listed twice "
                      "in %s '%s'", first->cluster, res->stratum_item->name, ch->name);
        f->problems.count += repeats - 1; /* the others, for "(and more problems)" */
    }
    free((void *)order);
    return SIPAS_OK;
}

/* ---- clusters per stratum from a file ------------------------------------------------------ */

typedef struct clusters_reader {
    const char *path, *column;
    const sipas_item *stratum;
    size_t *by_choice;           /* per choice of the stratum list; 0 = not given */
    bool have_header;
    size_t nfields;
    long stratum_field, count_field;
    frame_problems problems;
} clusters_reader;

static sipas_status clusters_row(void *ctx, char delimiter, size_t row, size_t nfields,
                                 char *const *fields, const size_t *lengths, sipas_error *err)
{
    clusters_reader *c = ctx;
    if (!c->have_header) {
        c->nfields = nfields;
        c->stratum_field = c->count_field = -1;
        for (size_t j = 0; j < nfields; j++) {
            size_t start, len;
            sipas_text_trim(fields[j], lengths[j], &start, &len);
            if (len == strlen(c->stratum->name) && memcmp(fields[j] + start, c->stratum->name, len) == 0)
                c->stratum_field = (long)j;
            else if (len == strlen(c->column) && memcmp(fields[j] + start, c->column, len) == 0)
                c->count_field = (long)j;
        }
        if (c->stratum_field < 0 || c->count_field < 0)
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: no column '%s' (the clusters "
                                   "file names the stratum column '%s' and the count column '%s')",
                                   c->path, row, c->stratum_field < 0 ? c->stratum->name : c->column,
                                   c->stratum->name, c->column);
        c->have_header = true;
        return SIPAS_OK;
    }
    if (nfields != c->nfields) {
        frame_problem(&c->problems, row, NULL, "the row has %zu fields but the header has %zu",
                      nfields, c->nfields);
        return SIPAS_OK;
    }
    size_t start, len;
    const char *sv = fields[c->stratum_field];
    sipas_text_trim(sv, lengths[c->stratum_field], &start, &len);
    if (len == 0)
        return SIPAS_OK; /* plan's total row */
    const sipas_choice *ch = sipas_choice_list_match(c->stratum->list, sv, lengths[c->stratum_field]);
    double count;
    if (ch == NULL)
        frame_problem(&c->problems, row, c->stratum->name, "'%.*s' is not a code or label of list '%s'",
                      (int)(len > 80 ? 80 : len), sv + start, c->stratum->list->name);
    else if (!frame_number(fields[c->count_field], lengths[c->count_field], delimiter, &count) ||
             !(count >= 1 && count <= 100000 && count == floor(count)))
        frame_problem(&c->problems, row, c->column, "'%.*s' is not a whole number of clusters "
                      "(1 or more)", (int)(lengths[c->count_field] > 80 ? 80 : lengths[c->count_field]),
                      fields[c->count_field]);
    else
        c->by_choice[ch - c->stratum->list->choices] = (size_t)count;
    return SIPAS_OK;
}

/* Sets each stratum's n_h from options (one number, or the clusters file). */
static sipas_status clusters_to_draw(sipas_sample_result *res, const sipas_sample_options *opt,
                                     sipas_error *err)
{
    if (opt->clusters_path == NULL) {
        for (size_t h = 0; h < res->nstrata; h++)
            res->strata[h].drawn = opt->clusters_per_unit;
        return SIPAS_OK;
    }
    const sipas_choice_list *list = res->stratum_item->list;
    clusters_reader c = {.path = opt->clusters_path,
                         .column = opt->clusters_column ? opt->clusters_column : "clusters_t",
                         .stratum = res->stratum_item, .problems = {.path = opt->clusters_path}};
    if ((c.by_choice = alloc_array(list->nchoices, sizeof *c.by_choice)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_status st = frame_read(opt->clusters_path, clusters_row, &c, err);
    if (st == SIPAS_OK && !c.have_header)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the file is empty (no header row)", c.path);
    if (st == SIPAS_OK && c.problems.count > 0)
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s%s; nothing was drawn", c.problems.first,
                             c.problems.count > 1 ? " (and more problems)" : "");
    for (size_t h = 0; st == SIPAS_OK && h < res->nstrata; h++) {
        size_t choice = 0;
        while (strcmp(list->choices[choice].name, res->strata[h].code) != 0)
            choice++;
        res->strata[h].drawn = c.by_choice[choice];
        if (res->strata[h].drawn == 0)
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s: no clusters for %s '%s' of the "
                                 "frame in column '%s'", c.path, res->stratum_item->name,
                                 res->strata[h].code, c.column);
    }
    free(c.by_choice);
    return st;
}

void sipas_sample_free(sipas_sample_result *result)
{
    if (result == NULL)
        return;
    for (size_t k = 0; k < result->nunits; k++)
        free(result->units[k].cluster);
    free(result->units);
    free(result->strata);
    free(result);
}

static const sipas_item *role_item(const sipas_instrument *inst, sipas_role role)
{
    for (size_t i = 0; i < inst->nitems; i++)
        if (inst->items[i].role == role)
            return &inst->items[i];
    return NULL;
}

/* Draws one stratum: its units are those of result with stratum h. */
static sipas_status draw_stratum(sipas_sample_result *res, size_t h,
                                 const sipas_sample_options *opt, sipas_rng *rng, sipas_error *err)
{
    sipas_sample_stratum *s = &res->strata[h];
    size_t *index = alloc_array(s->units, sizeof *index);
    double *size = alloc_array(s->units, sizeof *size), *pi = alloc_array(s->units, sizeof *pi);
    unsigned char *selected = alloc_array(s->units, sizeof *selected);
    sipas_status st = SIPAS_OK;
    if (!index || !size || !pi || !selected)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t count = 0;
    for (size_t k = 0; st == SIPAS_OK && k < res->nunits; k++)
        if (res->units[k].stratum == h) {
            index[count] = k;
            size[count++] = res->units[k].size;
        }
    size_t n = s->drawn;
    if (st == SIPAS_OK && n > count)
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s '%s' has %zu %s clusters in the frame, "
                             "fewer than the %zu to draw", res->stratum_item->name, s->code,
                             count, res->cluster_item->name, n);
    if (st == SIPAS_OK && res->pps) {
        st = sipas_inclusion_probabilities(count, size, n, pi, &s->certain, err);
        if (st == SIPAS_OK && s->certain > 0 && !opt->certainty) {
            size_t k = 0; /* the largest: it exceeds the first interval sum(x) / n */
            for (size_t j = 1; j < count; j++)
                if (size[j] > size[k])
                    k = j;
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s '%s': %s '%s' (size %g) is larger "
                                 "than the sampling interval %g; take it with certainty "
                                 "(--certainty) or split it in the frame", res->stratum_item->name,
                                 s->code, res->cluster_item->name, res->units[index[k]].cluster,
                                 size[k], s->size / (double)n);
        }
        if (st == SIPAS_OK)
            st = sipas_draw_systematic(count, pi, rng, selected, err);
    } else if (st == SIPAS_OK) {
        for (size_t k = 0; k < count; k++)
            pi[k] = (double)n / (double)count;
        st = sipas_draw_srs(count, n, rng, selected, err);
    }
    for (size_t k = 0; st == SIPAS_OK && k < count; k++) {
        sipas_sample_unit *u = &res->units[index[k]];
        u->probability = pi[k];
        u->certainty = res->pps && pi[k] >= 1;
        u->selected = selected[k];
    }
    free(index);
    free(size);
    free(pi);
    free(selected);
    return st;
}

sipas_status sipas_sample_draw(const sipas_instrument *inst, const char *frame_path,
                               const sipas_sample_options *options, sipas_sample_result **out,
                               sipas_error *err)
{
    *out = NULL;
    const sipas_item *stratum = role_item(inst, SIPAS_ROLE_STRATUM);
    const sipas_item *cluster = role_item(inst, SIPAS_ROLE_CLUSTER);
    if (stratum == NULL || cluster == NULL || stratum->list == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "instrument '%s' has no %s column: a draw "
                               "needs a coded stratum column and a cluster column", inst->form_id,
                               stratum == NULL || stratum->list == NULL ? "stratum" : "cluster");
    if (options->clusters_per_unit == 0 && options->clusters_path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "draw at least one cluster per stratum");
    if (options->interviews_per_cluster && options->size_column == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "respondents' weights need the clusters' "
                               "sizes (a size column)");
    sipas_sample_result *res = calloc(1, sizeof *res);
    if (res == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    res->stratum_item = stratum;
    res->cluster_item = cluster;
    res->fpc_item = role_item(inst, SIPAS_ROLE_FPC);
    res->weight_item = role_item(inst, SIPAS_ROLE_WEIGHT);
    res->interviews_per_cluster = options->interviews_per_cluster;
    res->pps = options->size_column != NULL;
    frame_reader f = {.inst = inst, .path = frame_path, .opt = options, .res = res,
                      .problems = {.path = frame_path}};
    sipas_status st = frame_read(frame_path, frame_row, &f, err);
    if (st == SIPAS_OK && f.problems.count == 0)
        st = check_unique(&f, err);
    if (st == SIPAS_OK && !f.have_header)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the file is empty (no header row)", frame_path);
    if (st == SIPAS_OK && f.problems.count > 0)
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s%s; nothing was drawn", f.problems.first,
                             f.problems.count > 1 ? " (and more problems)" : "");
    if (st == SIPAS_OK && res->nunits == 0)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: no clusters (only a header)", frame_path);
    const sipas_choice_list *list = stratum->list;
    size_t *stratum_of_choice = st == SIPAS_OK ? alloc_array(list->nchoices, sizeof *stratum_of_choice)
                                               : NULL;
    if (st == SIPAS_OK && (stratum_of_choice == NULL ||
                           (res->strata = alloc_array(list->nchoices, sizeof *res->strata)) == NULL))
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (st == SIPAS_OK) {
        /* strata in the order of the list; units renumbered from choices to strata */
        for (size_t c = 0; c < list->nchoices; c++) {
            size_t units = 0;
            double total = 0;
            for (size_t k = 0; k < res->nunits; k++)
                if (res->units[k].stratum == c) {
                    units++;
                    total += res->units[k].size;
                }
            stratum_of_choice[c] = res->nstrata;
            if (units == 0)
                continue;
            res->strata[res->nstrata++] = (sipas_sample_stratum){.code = list->choices[c].name,
                                                                 .units = units, .size = total};
        }
        for (size_t k = 0; k < res->nunits; k++)
            res->units[k].stratum = stratum_of_choice[res->units[k].stratum];
    }
    free(stratum_of_choice);
    if (st == SIPAS_OK)
        st = clusters_to_draw(res, options, err);
    sipas_rng rng;
    sipas_rng_seed(&rng, options->seed);
    for (size_t h = 0; st == SIPAS_OK && h < res->nstrata; h++)
        st = draw_stratum(res, h, options, &rng, err);
    if (st != SIPAS_OK) {
        sipas_sample_free(res);
        return st;
    }
    *out = res;
    return SIPAS_OK;
}

/* ---- output and storage ------------------------------------------------------------------- */

/* A respondent's weight in a cluster of size x drawn with probability pi, with m interviews:
 * the inverse of pi m / x, a person's chance of selection. */
static double respondent_weight(const sipas_sample_unit *u, size_t m)
{
    return u->size / (u->probability * (double)m);
}

sipas_status sipas_sample_write_csv(const sipas_sample_result *result, FILE *out, sipas_error *err)
{
    const char *header[8];
    size_t ncolumns = 0;
    header[ncolumns++] = result->stratum_item->name;
    header[ncolumns++] = result->cluster_item->name;
    if (result->pps)
        header[ncolumns++] = "size";
    header[ncolumns++] = result->fpc_item ? result->fpc_item->name : "clusters_in_stratum";
    header[ncolumns++] = "inclusion_probability";
    header[ncolumns++] = "cluster_weight";
    header[ncolumns++] = "certainty";
    size_t m = result->pps ? result->interviews_per_cluster : 0;
    if (m)
        header[ncolumns++] = result->weight_item ? result->weight_item->name : "weight";
    sipas_csv_write_record(out, header, ncolumns, ',');
    for (size_t k = 0; k < result->nunits; k++) {
        const sipas_sample_unit *u = &result->units[k];
        if (!u->selected)
            continue;
        const sipas_sample_stratum *s = &result->strata[u->stratum];
        sipas_csv_write_field(out, s->code, strlen(s->code), ',');
        fputc(',', out);
        sipas_csv_write_field(out, u->cluster, strlen(u->cluster), ',');
        if (result->pps)
            fprintf(out, ",%.17g", u->size);
        fprintf(out, ",%zu,%.17g,%.17g,%s", s->units, u->probability, 1 / u->probability,
                u->certainty ? "yes" : "no");
        if (m)
            fprintf(out, ",%.17g", respondent_weight(u, m));
        fputc('\n', out);
    }
    if (fflush(out) != 0 || ferror(out))
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write the selection list");
    return SIPAS_OK;
}

sipas_status sipas_sample_store_counts(sipas_store *store, const sipas_instrument *inst,
                                       const sipas_sample_result *result, long wave,
                                       const char *source_file, sipas_error *err)
{
    if (!result->pps)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a draw without sizes has no population "
                               "counts to store");
    sipas_margin_cell *cells = alloc_array(result->nstrata, sizeof *cells);
    if (cells == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t h = 0; h < result->nstrata; h++)
        cells[h] = (sipas_margin_cell){.wave = wave, .cell = (char *)result->strata[h].code,
                                       .population = result->strata[h].size};
    sipas_status st = sipas_store_replace_margin(store, inst->form_id, result->stratum_item->name,
                                                 cells, result->nstrata, source_file, err);
    free(cells);
    return st;
}

sipas_status sipas_sample_store_selection(sipas_store *store, const sipas_instrument *inst,
                                          const sipas_sample_result *result, long wave,
                                          const char *frame_file, uint64_t seed, sipas_error *err)
{
    size_t m = result->pps ? result->interviews_per_cluster : 0, count = 0;
    sipas_selected_cluster *clusters = alloc_array(result->nunits, sizeof *clusters);
    if (clusters == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < result->nunits; k++) {
        const sipas_sample_unit *u = &result->units[k];
        if (!u->selected)
            continue;
        const sipas_sample_stratum *s = &result->strata[u->stratum];
        /* the strings are borrowed: the store copies them */
        clusters[count++] = (sipas_selected_cluster){
            .wave = wave, .stratum = (char *)s->code, .cluster = u->cluster,
            .probability = u->probability, .fpc = (double)s->units,
            .weight = m ? respondent_weight(u, m) : NAN};
    }
    sipas_status st = sipas_store_replace_selection(store, inst->form_id, wave, clusters, count,
                                                    frame_file, (int64_t)seed, err);
    free(clusters);
    return st;
}
