/* Loading a form's responses from the store into column arrays (include/sipas/dataset.h), so
 * that the statistics work on arrays and never on SQL, or handing the same arrays over a chunk
 * at a time (sipas_dataset_stream_columns, for the one-pass index). One streaming query
 * (sipas_store_query_responses) fills every loaded column row by row: numbers as doubles, small
 * integer codes as bytes (widened to doubles when a code does not fit), text as indices into
 * the column's levels, interned through the one hash map of src/hash_map.h. Rows imported under
 * an older instrument version get that version's choice lists (row_version, version_list), so
 * that a batch is scored with the labels it was answered with.
 * Owns: the dataset it returns (columns, levels, version lists); the instrument is borrowed. */
#include "sipas/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash_map.h"

#define INITIAL_ROWS 4096

/* The levels of one text column as they are interned: the map from a value's FNV-1a hash to its
 * level index, and the lengths of the levels kept beside them so that a probe compares bytes
 * without strlen. */
typedef struct level_map {
    hash_map levels;     /* hash of the text -> level index */
    size_t *lengths;     /* of each level */
    size_t levels_cap;   /* allocated entries of the column's levels and of lengths */
} level_map;

typedef struct load_ctx {
    sipas_dataset *data;
    level_map *maps;
    size_t cap_rows;
    size_t *column_of;    /* query column -> dataset column; BATCH_COLUMN for batch_id */
    size_t nquery;
    const sipas_batch_version *batches; /* by batch_id, when rows need their version */
    size_t nbatches;
    const int64_t *version_ids;         /* instrument_id of each version index */
    /* streaming (sipas_dataset_stream_columns): the rows go to chunk_fn in chunks of chunk_rows
     * instead of accumulating; NULL when loading */
    sipas_dataset_chunk_fn chunk_fn;
    void *chunk_ctx;
    size_t chunk_rows;
} load_ctx;

#define BATCH_COLUMN SIZE_MAX

/* The value being interned, for hash_map's test of a candidate level. */
typedef struct level_probe {
    const sipas_column *col;
    const level_map *map;
    const char *text;
    size_t len;
} level_probe;

static bool level_is(const void *ctx, size_t level)
{
    const level_probe *p = ctx;
    return p->map->lengths[level] == p->len && memcmp(p->col->levels[level], p->text, p->len) == 0;
}

static sipas_status intern(sipas_column *col, level_map *map, const char *s, size_t len,
                           int32_t *out, sipas_error *err)
{
    level_probe probe = {.col = col, .map = map, .text = s, .len = len};
    size_t level;
    bool added;
    if (!hash_map_find_or_add(&map->levels, hash_bytes(s, len), level_is, &probe, &level, &added))
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (!added) {
        *out = (int32_t)level;
        return SIPAS_OK;
    }
    /* a new value: the map numbered it col->nlevels; store its text */
    if (col->nlevels >= INT32_MAX - 1)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "column '%s' has too many distinct values",
                               col->item->name);
    if (col->nlevels == map->levels_cap) { /* geometric: a column of distinct values stays linear */
        size_t cap = map->levels_cap ? map->levels_cap * 2 : 16;
        char **levels = realloc(col->levels, cap * sizeof *levels);
        if (levels != NULL)
            col->levels = levels;
        size_t *lengths = levels ? realloc(map->lengths, cap * sizeof *lengths) : NULL;
        if (lengths == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        map->lengths = lengths;
        map->levels_cap = cap;
    }
    if ((col->levels[col->nlevels] = strndup(s, len)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    map->lengths[col->nlevels] = len;
    *out = (int32_t)col->nlevels++;
    return SIPAS_OK;
}

/* Sizes every loaded column for cap rows (the count asked before the query; more only when
 * another process added rows in between). */
static sipas_status reserve(load_ctx *c, size_t cap, sipas_error *err)
{
    if (c->batches) {
        uint16_t *p = realloc(c->data->row_version, cap * sizeof *p);
        if (p == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        c->data->row_version = p;
    }
    for (size_t q = 0; q < c->nquery; q++) {
        if (c->column_of[q] == BATCH_COLUMN)
            continue;
        sipas_column *col = &c->data->columns[c->column_of[q]];
        void *p = col->is_text ? realloc(col->level, cap * sizeof *col->level)
                : col->code ? realloc(col->code, cap * sizeof *col->code)
                : realloc(col->number, cap * sizeof *col->number);
        if (p == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        if (col->is_text)
            col->level = p;
        else if (col->code)
            col->code = p;
        else
            col->number = p;
    }
    c->cap_rows = cap;
    return SIPAS_OK;
}

/* A code column met a value that is not a small whole number: it holds doubles from now on. */
static sipas_status widen(sipas_column *col, size_t rows, size_t cap, sipas_error *err)
{
    double *number = malloc((cap ? cap : 1) * sizeof *number);
    if (number == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < rows; i++)
        number[i] = sipas_column_number(col, i);
    free(col->code);
    col->code = NULL;
    col->number = number;
    return SIPAS_OK;
}

/* The version index of a batch (binary search; batches are sorted by batch_id). */
static uint16_t version_of_batch(const load_ctx *c, int64_t batch_id)
{
    size_t lo = 0, hi = c->nbatches;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->batches[mid].batch_id < batch_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t id = lo < c->nbatches && c->batches[lo].batch_id == batch_id
               ? c->batches[lo].instrument_id : 0;
    for (size_t v = 0; v < c->data->nversions; v++)
        if (c->version_ids[v] == id)
            return (uint16_t)v;
    return 0; /* cannot happen: every batch has a version */
}

static bool same_list(const sipas_choice_list *a, const sipas_choice_list *b)
{
    if (a->nchoices != b->nchoices)
        return false;
    for (size_t c = 0; c < a->nchoices; c++)
        if (strcmp(a->choices[c].name, b->choices[c].name) != 0 ||
            a->choices[c].satisfied != b->choices[c].satisfied ||
            a->choices[c].missing != b->choices[c].missing)
            return false;
    return true;
}

/* Reads the stored versions of the form's batches and, for each version whose list of a
 * criterion differs from inst's, that list; sets d->nversions only when some list differs. */
static sipas_status load_version_lists(sipas_store *store, sipas_dataset *d,
                                       const sipas_batch_version *batches, size_t nbatches,
                                       int64_t *version_ids, sipas_error *err)
{
    const sipas_instrument *inst = d->inst;
    size_t nversions = 0;
    for (size_t b = 0; b < nbatches; b++) {
        size_t v = 0;
        while (v < nversions && version_ids[v] != batches[b].instrument_id)
            v++;
        if (v == nversions)
            version_ids[nversions++] = batches[b].instrument_id;
    }
    int64_t own = 0;
    sipas_status st = sipas_store_instrument_id(store, inst->form_id, inst->version, &own, err);
    if (st != SIPAS_OK)
        return st;
    size_t ncriteria = 0;
    for (size_t k = 0; k < inst->nitems; k++)
        ncriteria += inst->items[k].role == SIPAS_ROLE_CRITERION && inst->items[k].list;
    if (nversions > UINT16_MAX || ncriteria == 0)
        return SIPAS_OK;
    d->owned_lists = calloc(nversions * ncriteria, sizeof *d->owned_lists);
    if (d->owned_lists == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    bool differs = false;
    for (size_t k = 0; k < inst->nitems; k++) {
        sipas_column *col = &d->columns[k];
        const sipas_item *it = col->item;
        if (it->role != SIPAS_ROLE_CRITERION || it->list == NULL)
            continue;
        if ((col->version_list = calloc(nversions, sizeof *col->version_list)) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t v = 0; v < nversions; v++) {
            if (version_ids[v] == own)
                continue;
            sipas_choice_list *list = &d->owned_lists[d->nowned_lists];
            bool found = false;
            if ((st = sipas_store_version_list(store, version_ids[v], it->list->name, list, &found,
                                               err)) != SIPAS_OK)
                return st;
            if (!found || same_list(list, it->list)) {
                /* no such list (sipas_store_check_instrument refuses that) or the same one */
                sipas_store_version_list_release(list);
                continue;
            }
            d->nowned_lists++;
            col->version_list[v] = list;
            differs = true;
        }
    }
    if (differs)
        d->nversions = nversions;
    return SIPAS_OK;
}

static sipas_status load_row(void *ctx, const sipas_value *values, sipas_error *err)
{
    load_ctx *c = ctx;
    sipas_dataset *d = c->data;
    sipas_status st;
    if (c->chunk_fn && d->n == c->chunk_rows) { /* a full chunk: hand it over, then reuse it */
        if ((st = c->chunk_fn(c->chunk_ctx, d, err)) != SIPAS_OK)
            return st;
        d->n = 0;
    }
    if (d->n == c->cap_rows && (st = reserve(c, c->cap_rows ? c->cap_rows * 2 : INITIAL_ROWS, err)))
        return st;
    for (size_t q = 0; q < c->nquery; q++) {
        size_t k = c->column_of[q];
        const sipas_value *v = &values[q];
        if (k == BATCH_COLUMN) {
            d->row_version[d->n] = version_of_batch(c, v->kind == SIPAS_VALUE_INT ? v->i : 0);
            continue;
        }
        sipas_column *col = &d->columns[k];
        if (col->is_text) {
            int32_t level = -1;
            char buf[32];
            const char *s = v->text;
            size_t len = v->len;
            if (v->kind == SIPAS_VALUE_INT) { /* a text column that holds a number */
                len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->i);
                s = buf;
            }
            if (v->kind != SIPAS_VALUE_NULL && (st = intern(col, &c->maps[k], s, len, &level, err)))
                return st;
            col->level[d->n] = level;
            continue;
        }
        if (col->code) {
            if (v->kind == SIPAS_VALUE_NULL) {
                col->code[d->n] = SIPAS_CODE_EMPTY;
                continue;
            }
            if (v->kind == SIPAS_VALUE_INT && v->i >= 0 && v->i < SIPAS_CODE_EMPTY) {
                col->code[d->n] = (uint8_t)v->i;
                continue;
            }
            if ((st = widen(col, d->n, c->cap_rows, err)) != SIPAS_OK)
                return st;
        }
        col->number[d->n] = v->kind == SIPAS_VALUE_INT ? (double)v->i
                          : v->kind == SIPAS_VALUE_REAL ? v->r
                          : v->kind == SIPAS_VALUE_TEXT ? strtod(v->text, NULL)
                          : NAN;
    }
    d->n++;
    return SIPAS_OK;
}

static bool numeric_item(const sipas_item *it)
{
    if (it->type == SIPAS_TYPE_INTEGER || it->type == SIPAS_TYPE_DECIMAL)
        return true;
    if (it->type != SIPAS_TYPE_SELECT_ONE || it->list == NULL || it->list->nchoices == 0)
        return false;
    for (size_t i = 0; i < it->list->nchoices; i++)
        if (!it->list->choices[i].has_value)
            return false;
    return true;
}

/* Whether every code of a select_one fits a byte below SIPAS_CODE_EMPTY. */
static bool byte_codes(const sipas_item *it)
{
    if (it->type != SIPAS_TYPE_SELECT_ONE)
        return false;
    for (size_t i = 0; i < it->list->nchoices; i++)
        if (it->list->choices[i].value < 0 || it->list->choices[i].value >= SIPAS_CODE_EMPTY)
            return false;
    return true;
}

/* Whether item name is one of names, or one of the '+'-joined parts of one. */
static bool named(const char *name, const char *const *names, size_t nnames)
{
    size_t len = strlen(name);
    for (size_t j = 0; j < nnames; j++)
        for (const char *p = names[j]; *p;) {
            const char *plus = strchr(p, '+');
            size_t n = plus ? (size_t)(plus - p) : strlen(p);
            if (n == len && strncmp(p, name, n) == 0)
                return true;
            p += n + (plus != NULL);
        }
    return false;
}

static bool design_or_criterion(const sipas_item *it)
{
    switch (it->role) {
    case SIPAS_ROLE_WAVE: case SIPAS_ROLE_STRATUM: case SIPAS_ROLE_CLUSTER:
    case SIPAS_ROLE_WEIGHT: case SIPAS_ROLE_FPC: case SIPAS_ROLE_CRITERION:
        return true;
    default:
        return false;
    }
}

/* wanted == NULL: every column but the personal ones and the id. */
static sipas_status load(sipas_store *store, const sipas_instrument *inst,
                         const char *const *wanted, size_t nwanted, const sipas_filter *filters,
                         size_t nfilters, size_t chunk_rows, sipas_dataset_chunk_fn chunk_fn,
                         void *chunk_ctx, sipas_dataset **out, sipas_error *err)
{
    *out = NULL;
    sipas_status st = SIPAS_OK;
    sipas_dataset *d = calloc(1, sizeof *d);
    load_ctx c = {.data = d, .chunk_fn = chunk_fn, .chunk_ctx = chunk_ctx,
                  .chunk_rows = chunk_rows ? chunk_rows : INITIAL_ROWS};
    bool *present = NULL;
    const char **item_names = NULL;
    const char **names = calloc(inst->nitems + 1, sizeof *names); /* + batch_id */
    c.column_of = calloc(inst->nitems + 1, sizeof *c.column_of);
    c.maps = calloc(inst->nitems, sizeof *c.maps);
    if (d == NULL || names == NULL || c.column_of == NULL || c.maps == NULL ||
        (d->columns = calloc(inst->nitems, sizeof *d->columns)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    d->inst = inst;
    d->ncolumns = inst->nitems;
    /* A column of a newer instrument version than every stored batch is not in the table yet:
     * such an item is left unloaded (as one not asked for) unless the design or the index needs
     * it, where the query names it in its error. */
    present = malloc(inst->nitems * sizeof *present);
    item_names = malloc(inst->nitems * sizeof *item_names);
    if (present == NULL || item_names == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < inst->nitems; k++)
        item_names[k] = inst->items[k].name;
    if ((st = sipas_store_response_columns_present(store, inst->form_id, item_names,
                                                   inst->nitems, present, err)) != SIPAS_OK)
        goto done;
    for (size_t k = 0; k < inst->nitems; k++) {
        const sipas_item *it = &inst->items[k];
        d->columns[k].item = it;
        if (it->personal || it->role == SIPAS_ROLE_ID ||
            (!present[k] && !design_or_criterion(it)) ||
            (wanted != NULL && !design_or_criterion(it) && !named(it->name, wanted, nwanted)))
            continue;
        d->columns[k].loaded = true;
        d->columns[k].is_text = !numeric_item(it);
        /* a placeholder until reserve() sizes it: marks the column as one of byte codes */
        if (!d->columns[k].is_text && byte_codes(it) && (d->columns[k].code = malloc(1)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        names[c.nquery] = it->name;
        c.column_of[c.nquery++] = k;
    }
    int64_t count = 0;
    if ((st = sipas_store_count_responses(store, inst->form_id, &count, err)) != SIPAS_OK)
        goto done;
    if (count == 0) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no responses of form '%s' in '%s'; import "
                             "a batch first", inst->form_id, sipas_store_path(store));
        goto done;
    }
    sipas_batch_version *batches = NULL;
    size_t nbatches = 0;
    int64_t *version_ids = NULL;
    if ((st = sipas_store_batch_versions(store, inst->form_id, &batches, &nbatches, err)) == SIPAS_OK &&
        (version_ids = calloc(nbatches ? nbatches : 1, sizeof *version_ids)) == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (st == SIPAS_OK)
        st = load_version_lists(store, d, batches, nbatches, version_ids, err);
    if (st == SIPAS_OK && d->nversions > 0) {
        c.batches = batches;
        c.nbatches = nbatches;
        c.version_ids = version_ids;
        names[c.nquery] = "batch_id";
        c.column_of[c.nquery++] = BATCH_COLUMN;
    }
    /* every row: exactly the count; filtered rows: grown geometrically from a small start;
     * streamed rows: one chunk */
    size_t first_cap = chunk_fn ? c.chunk_rows
                     : nfilters ? ((size_t)count < INITIAL_ROWS ? (size_t)count : INITIAL_ROWS)
                                : (size_t)count;
    if (st == SIPAS_OK)
        st = reserve(&c, first_cap, err);
    if (st == SIPAS_OK)
        st = sipas_store_query_responses(store, inst->form_id, names, c.nquery, filters, nfilters,
                                         0, load_row, &c, err);
    if (st == SIPAS_OK && chunk_fn) /* the last chunk, maybe of no row */
        st = chunk_fn(chunk_ctx, d, err);
    free(batches);
    free(version_ids);
done:
    if (c.maps)
        for (size_t k = 0; k < inst->nitems; k++) {
            hash_map_release(&c.maps[k].levels);
            free(c.maps[k].lengths);
        }
    free(c.maps);
    free(c.column_of);
    free(names);
    free(present);
    free(item_names);
    if (st != SIPAS_OK) {
        sipas_dataset_free(d);
        return st;
    }
    *out = d;
    return SIPAS_OK;
}

sipas_status sipas_dataset_load(sipas_store *store, const sipas_instrument *inst,
                                sipas_dataset **out, sipas_error *err)
{
    return load(store, inst, NULL, 0, NULL, 0, 0, NULL, NULL, out, err);
}

sipas_status sipas_dataset_load_columns(sipas_store *store, const sipas_instrument *inst,
                                        const char *const *names, size_t nnames,
                                        const sipas_filter *filters, size_t nfilters,
                                        sipas_dataset **out, sipas_error *err)
{
    static const char *const none[] = {""};
    return load(store, inst, names ? names : none, names ? nnames : 0, filters, nfilters, 0, NULL,
                NULL, out, err);
}

sipas_status sipas_dataset_stream_columns(sipas_store *store, const sipas_instrument *inst,
                                          const char *const *names, size_t nnames,
                                          const sipas_filter *filters, size_t nfilters,
                                          size_t chunk_rows, sipas_dataset_chunk_fn fn, void *ctx,
                                          sipas_error *err)
{
    static const char *const none[] = {""};
    sipas_dataset *chunk = NULL;
    sipas_status st = load(store, inst, names ? names : none, names ? nnames : 0, filters,
                           nfilters, chunk_rows, fn, ctx, &chunk, err);
    sipas_dataset_free(chunk);
    return st;
}

void sipas_dataset_free(sipas_dataset *data)
{
    if (data == NULL)
        return;
    for (size_t k = 0; k < data->ncolumns; k++) {
        sipas_column *col = &data->columns[k];
        free(col->number);
        free(col->code);
        free(col->level);
        for (size_t l = 0; l < col->nlevels; l++)
            free(col->levels[l]);
        free(col->levels);
        free(col->version_list);
    }
    for (size_t l = 0; l < data->nowned_lists; l++)
        sipas_store_version_list_release(&data->owned_lists[l]);
    free(data->owned_lists);
    free(data->row_version);
    free(data->columns);
    free(data);
}

const sipas_column *sipas_dataset_column(const sipas_dataset *data, const char *name)
{
    for (size_t k = 0; k < data->ncolumns; k++)
        if (data->columns[k].loaded && strcmp(data->columns[k].item->name, name) == 0)
            return &data->columns[k];
    return NULL;
}

const sipas_column *sipas_dataset_role(const sipas_dataset *data, sipas_role role)
{
    for (size_t k = 0; k < data->ncolumns; k++)
        if (data->columns[k].loaded && data->columns[k].item->role == role)
            return &data->columns[k];
    return NULL;
}
