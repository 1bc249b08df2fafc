/* Criterion, element and overall indices by domain. Turns the stored codes into ratio inputs,
 * builds the design, and calls the pure statistics of estimate.c.
 *
 * Speed: a domain's variance only involves the strata that hold at least one of its rows (every
 * other stratum has all PSU totals 0 and adds nothing, and is not "taking part" for the lonely-PSU
 * rules), so each domain is estimated on the sub-design of those strata. Domains that split the
 * strata (district x wave) then cost O(their rows), not O(n) each. */
#include "sipas/index.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipas/calibrate.h"
#include "sipas/text.h"

const char *sipas_index_level_name(sipas_index_level level)
{
    switch (level) {
    case SIPAS_LEVEL_OVERALL: return "overall";
    case SIPAS_LEVEL_ELEMENT: return "element";
    case SIPAS_LEVEL_CRITERION: return "criterion";
    }
    return "?";
}

/* ---- conditions ---------------------------------------------------------------------------- */

void sipas_condition_release(sipas_condition *cond)
{
    if (cond == NULL)
        return;
    free(cond->storage);
    free(cond->values);
    memset(cond, 0, sizeof *cond);
}

static bool column_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

sipas_status sipas_condition_parse(const char *text, sipas_condition *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    if (len > 4096)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition is too long (%zu bytes)", len);
    out->storage = malloc(len + 2);
    if (out->storage == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    char *s = out->storage;
    memcpy(s, text, len + 1);
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    size_t name_start = i;
    while (column_char(s[i]))
        i++;
    size_t name_end = i;
    if (name_end == name_start) {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' does not start with a column "
                               "name (write COLUMN=VALUE, COLUMN>=VALUE or 'COLUMN in A,B')", text);
    }
    while (s[i] == ' ')
        i++;
    sipas_filter_op op;
    if (s[i] == '=' ) { op = SIPAS_OP_EQ; i += s[i + 1] == '=' ? 2 : 1; }
    else if (s[i] == '!' && s[i + 1] == '=') { op = SIPAS_OP_NE; i += 2; }
    else if (s[i] == '<' && s[i + 1] == '>') { op = SIPAS_OP_NE; i += 2; }
    else if (s[i] == '<' && s[i + 1] == '=') { op = SIPAS_OP_LE; i += 2; }
    else if (s[i] == '>' && s[i + 1] == '=') { op = SIPAS_OP_GE; i += 2; }
    else if (s[i] == '<') { op = SIPAS_OP_LT; i += 1; }
    else if (s[i] == '>') { op = SIPAS_OP_GT; i += 1; }
    else if ((s[i] == 'i' || s[i] == 'I') && (s[i + 1] == 'n' || s[i + 1] == 'N') && s[i + 2] == ' ' &&
             i > name_end) { op = SIPAS_OP_IN; i += 3; }
    else {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' has no operator (= != < <= > "
                               ">= or in)", text);
    }
    s[name_end] = '\0';
    out->filter.column = s + name_start;
    out->filter.op = op;
    char *rest = s + i;
    size_t nvalues = 1;
    if (op == SIPAS_OP_IN)
        for (char *p = rest; *p; p++)
            nvalues += *p == ',';
    out->values = calloc(nvalues, sizeof *out->values);
    if (out->values == NULL) {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    char *p = rest;
    for (;;) {
        char *end = op == SIPAS_OP_IN ? strchr(p, ',') : NULL;
        if (end)
            *end = '\0';
        size_t start, vlen;
        sipas_text_trim(p, strlen(p), &start, &vlen);
        p[start + vlen] = '\0';
        if (vlen == 0) {
            sipas_condition_release(out);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' has an empty value", text);
        }
        out->values[n++] = p + start;
        if (end == NULL)
            break;
        p = end + 1;
    }
    out->filter.nvalues = n;
    out->filter.values = out->values;
    return SIPAS_OK;
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* Hash map from a 64-bit key to a dense index (strata, PSUs, domains). */
typedef struct index_map {
    size_t cap, count;
    uint64_t *keys;
    size_t *values; /* index + 1; 0 = empty */
} index_map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static bool map_get_or_add(index_map *m, uint64_t key, size_t *index)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint64_t *keys = calloc(cap, sizeof *keys);
        size_t *values = calloc(cap, sizeof *values);
        if (keys == NULL || values == NULL) {
            free(keys);
            free(values);
            return false;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->values[i] == 0)
                continue;
            size_t j = mix64(m->keys[i]) & (cap - 1);
            while (values[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            values[j] = m->values[i];
        }
        free(m->keys);
        free(m->values);
        m->keys = keys;
        m->values = values;
        m->cap = cap;
    }
    size_t j = mix64(key) & (m->cap - 1);
    while (m->values[j]) {
        if (m->keys[j] == key) {
            *index = m->values[j] - 1;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->values[j] = ++m->count;
    *index = m->count - 1;
    return true;
}

static void map_release(index_map *m)
{
    free(m->keys);
    free(m->values);
}

/* A column's value in row i as a 64-bit key: the level index or the number's bits. NULL: false. */
static bool column_key(const sipas_column *col, size_t i, uint64_t *key)
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
static void column_code(const sipas_column *col, size_t i, char *buf, size_t size)
{
    if (col->is_text)
        snprintf(buf, size, "%s", col->level[i] >= 0 ? col->levels[col->level[i]] : "");
    else if (isnan(sipas_column_number(col, i)))
        buf[0] = '\0';
    else
        snprintf(buf, size, "%.15g", sipas_column_number(col, i));
}

const char *sipas_index_domain_label(const sipas_dataset *data, const char *column,
                                     const char *code, const char *lang)
{
    const sipas_column *col = sipas_dataset_column(data, column);
    if (col == NULL || col->item->list == NULL || lang == NULL)
        return code;
    const sipas_choice_list *list = col->item->list;
    for (size_t c = 0; c < list->nchoices; c++) {
        if (strcmp(list->choices[c].name, code) == 0) {
            const char *label = strcmp(lang, "en") == 0 ? list->choices[c].label_en : list->choices[c].label_vi;
            return label && *label ? label : code;
        }
    }
    return code;
}

/* ---- conditions on rows ---------------------------------------------------------------------- */

typedef struct compiled_condition {
    const sipas_column *col;
    sipas_filter_op op;
    size_t nvalues;
    double *numbers;   /* numeric column */
    int32_t *levels;   /* text column: level index, -1 when no row has the value */
} compiled_condition;

static sipas_status compile_condition(const sipas_dataset *data, const sipas_filter *f,
                                      compiled_condition *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    const sipas_column *col = sipas_dataset_column(data, f->column);
    const sipas_item *it = col ? NULL : sipas_instrument_item(data->inst, f->column);
    if (it && it->personal)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' is personal data, stored "
                               "only as a keyed hash; it cannot select respondents", f->column);
    if (it && it->role == SIPAS_ROLE_ID) /* unique per respondent: not loaded for analysis */
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' is the respondent id; "
                               "it cannot select a domain (use sipas-collect export to find a "
                               "respondent)", f->column);
    if (col == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--where: form '%s' has no column '%s'",
                               data->inst->form_id, f->column);
    out->col = col;
    out->op = f->op;
    out->nvalues = f->nvalues;
    out->numbers = calloc(f->nvalues, sizeof *out->numbers);
    out->levels = calloc(f->nvalues, sizeof *out->levels);
    if (out->numbers == NULL || out->levels == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    bool ordered = f->op == SIPAS_OP_LT || f->op == SIPAS_OP_LE || f->op == SIPAS_OP_GT || f->op == SIPAS_OP_GE;
    if (ordered && col->is_text)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' holds text; use = != or in",
                               f->column);
    for (size_t v = 0; v < f->nvalues; v++) {
        const char *value = f->values[v];
        const sipas_choice *ch = col->item->list ? sipas_choice_list_match(col->item->list, value, strlen(value)) : NULL;
        const char *code = ch ? ch->name : value;
        if (col->item->list && ch == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--where: '%s' is not a code or label "
                                   "of list '%s' (column '%s')", value, col->item->list->name, f->column);
        if (col->is_text) {
            out->levels[v] = -1;
            for (size_t l = 0; l < col->nlevels; l++)
                if (strcmp(col->levels[l], code) == 0)
                    out->levels[v] = (int32_t)l;
        } else {
            char *end = NULL;
            out->numbers[v] = strtod(code, &end);
            if (end == code || *end != '\0' || !isfinite(out->numbers[v]))
                return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: '%s' is not a number (column "
                                       "'%s' is numeric)", value, f->column);
        }
    }
    return SIPAS_OK;
}

static bool condition_holds(const compiled_condition *c, size_t i)
{
    const sipas_column *col = c->col;
    if (col->is_text) {
        int32_t l = col->level[i];
        if (l < 0)
            return false;
        bool any = false;
        for (size_t v = 0; v < c->nvalues; v++)
            any |= c->levels[v] == l;
        return c->op == SIPAS_OP_NE ? !any : any;
    }
    double x = sipas_column_number(col, i);
    if (isnan(x))
        return false;
    switch (c->op) {
    case SIPAS_OP_EQ: return x == c->numbers[0];
    case SIPAS_OP_NE: return x != c->numbers[0];
    case SIPAS_OP_LT: return x < c->numbers[0];
    case SIPAS_OP_LE: return x <= c->numbers[0];
    case SIPAS_OP_GT: return x > c->numbers[0];
    case SIPAS_OP_GE: return x >= c->numbers[0];
    case SIPAS_OP_IN:
        for (size_t v = 0; v < c->nvalues; v++)
            if (x == c->numbers[v])
                return true;
        return false;
    }
    return false;
}

/* ---- scoring --------------------------------------------------------------------------------- */

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
static sipas_status make_scorer(const sipas_dataset *data, size_t k, const sipas_index_options *opt,
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

static void release_scorer(criterion_scorer *s)
{
    for (size_t v = 0; v < s->nversions; v++)
        release_scorer(&s->by_version[v]);
    free(s->by_version);
    free(s->codes);
    free(s->y);
    free(s->missing);
}

/* y, x of one row; returns the missing kind (NONE when valid). */
static sipas_missing_kind score_row(const criterion_scorer *s, double code, double *y, double *x)
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

/* ---- result -------------------------------------------------------------------------------- */

void sipas_index_result_free(sipas_index_result *r)
{
    if (r == NULL)
        return;
    for (size_t d = 0; d < r->ndomains; d++) {
        for (size_t b = 0; b < r->nby; b++)
            free(r->domains[d].values[b]);
        free(r->domains[d].values);
    }
    free(r->domains);
    for (size_t b = 0; b < r->nby; b++)
        free(r->by[b]);
    free(r->by);
    free(r->rows);
    free(r);
}

/* ---- degenerate variance ---------------------------------------------------------------------- */

const char *sipas_variance_status_name(sipas_variance_status status)
{
    switch (status) {
    case SIPAS_VARIANCE_OK: return "ok";
    case SIPAS_VARIANCE_ONE_PSU: return "one_psu";
    case SIPAS_VARIANCE_NO_ANSWER: return "no_answer";
    case SIPAS_VARIANCE_NO_DF: return "no_df";
    case SIPAS_VARIANCE_LONELY: return "lonely";
    }
    return "unknown";
}

const char *sipas_variance_status_text(sipas_variance_status status, const char *lang)
{
    bool vi = lang != NULL && strcmp(lang, "vi") == 0;
    switch (status) {
    case SIPAS_VARIANCE_OK:
        return "";
    case SIPAS_VARIANCE_ONE_PSU:
        return vi ? "chỉ một cụm (PSU): không ước lượng được phương sai theo thiết kế"
                  : "one cluster (PSU): no design-based variance";
    case SIPAS_VARIANCE_NO_ANSWER:
        return vi ? "không có câu trả lời hợp lệ" : "no valid answer";
    case SIPAS_VARIANCE_NO_DF:
        return vi ? "không còn bậc tự do (mỗi tầng chỉ một cụm có câu trả lời)"
                  : "no degrees of freedom (one answering cluster per stratum)";
    case SIPAS_VARIANCE_LONELY:
        return vi ? "mọi tầng chỉ có một cụm: không ước lượng được phương sai"
                  : "every stratum has one cluster (PSU): no variance to average";
    }
    return "";
}

/* ---- the computation ------------------------------------------------------------------------- */

typedef struct work {
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
} work;

static void work_release(work *w)
{
    free(w->weight);
    free(w->stratum);
    free(w->psu);
    free(w->fpc);
    if (w->stratum_label)
        for (size_t h = 0; h < w->nstrata; h++)
            free(w->stratum_label[h]);
    free(w->stratum_label);
    free(w->stratum_start);
    free(w->stratum_rows);
    free(w->domain_of);
    for (size_t c = 0; c < w->ncriteria; c++)
        release_scorer(&w->scorers[c]);
    free(w->scorers);
    sipas_calibration_free(w->cal);
    free(w->cal_scores);
}

/* Reads the fpc column over the whole design, as R's as.fpc does (all population counts N_h or
 * all sampling fractions), and keeps it as the sampling fraction n_h/N_h of each stratum. Each
 * domain's sub-design holds only some strata: given counts, one whose strata all have N_h = 1
 * would be read as fractions (a census) there, so the reading is settled here once. */
static sipas_status fpc_as_fractions(work *w, const sipas_column *fcol, sipas_error *err)
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
    bool counts = false, fractions = false;
    for (size_t h = 0; h < w->nstrata; h++) {
        double v = w->fpc[h];
        if (isnan(v) || v == INFINITY)
            continue;
        if (!(v > 0)) {
            free(sampled);
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum '%s' has "
                                   "fpc %g, not a positive number", fcol->item->name,
                                   w->stratum_label[h], v);
        }
        counts |= v > 1;
        fractions |= v < 1;
    }
    if (counts && fractions) {
        free(sampled);
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s' mixes population counts "
                               "(> 1) and sampling fractions (< 1)", fcol->item->name);
    }
    for (size_t h = 0; h < w->nstrata; h++) {
        double v = w->fpc[h];
        if (isnan(v) || v == INFINITY || !counts)
            continue;
        if (v < (double)sampled[h]) {
            sipas_status st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "column '%s': stratum "
                                              "'%s' has %g PSUs in the population but %zu in "
                                              "the sample", fcol->item->name,
                                              w->stratum_label[h], v, sampled[h]);
            free(sampled);
            return st;
        }
        w->fpc[h] = (double)sampled[h] / v;
    }
    free(sampled);
    return SIPAS_OK;
}

static sipas_status build_design(work *w, sipas_error *err)
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
    index_map strata = {0}, psus = {0};
    sipas_status st = SIPAS_OK;
    for (size_t i = 0; i < n; i++) {
        uint64_t wk = 0, sk = 0;
        if (wave)
            column_key(wave, i, &wk);
        if (strat)
            column_key(strat, i, &sk);
        size_t h;
        if (!map_get_or_add(&strata, mix64(wk) ^ (sk * 0x9e3779b97f4a7c15ull), &h)) {
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
            if (!map_get_or_add(&psus, mix64(h + 1) ^ (ck * 0xbf58476d1ce4e5b9ull) ^ ck, &p)) {
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
            char sbuf[128] = "", wbuf[32] = "", label[200];
            if (strat)
                column_code(strat, i, sbuf, sizeof sbuf);
            if (wave)
                column_code(wave, i, wbuf, sizeof wbuf);
            snprintf(label, sizeof label, "%s%s%s%s", strat ? sbuf : "all", wave ? " (wave " : "",
                     wbuf, wave ? ")" : "");
            w->stratum_label[h] = strdup(label);
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
    if (fcol && (st = fpc_as_fractions(w, fcol, err)) != SIPAS_OK)
        goto done;
    w->res->design_rows = n;
    w->res->nstrata = w->nstrata;
    w->res->npsu = clus ? w->npsu : n;
done:
    map_release(&strata);
    map_release(&psus);
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
static sipas_status build_margin(work *w, const sipas_population_margin *pm, sipas_margin *out,
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
    index_map cells = {0};
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
        uint64_t h = mix64((uint64_t)wv);
        for (const char *p = key; *p; p++)
            h = mix64(h ^ (unsigned char)*p);
        size_t c;
        if (!map_get_or_add(&cells, h, &c)) {
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
    map_release(&cells);
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
    out->ncells = cells.count;
    out->population = pop;
    out->labels = (const char *const *)labels;
    *cell_out = cell;
    *pop_out = pop;
    *labels_out = labels;
    return SIPAS_OK;
}

/* Applies options->weighting to w->weight (and keeps the calibration for the variances). */
static sipas_status apply_weighting(work *w, sipas_error *err)
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

/* Assigns each row to its domain (by columns and where conditions) and fills result domains. */
static sipas_status build_domains(work *w, sipas_error *err)
{
    const sipas_dataset *d = w->data;
    const sipas_index_options *opt = w->opt;
    sipas_index_result *res = w->res;
    sipas_status st = SIPAS_OK;
    const sipas_column *wave = sipas_dataset_role(d, SIPAS_ROLE_WAVE);
    /* by columns, with wave first when several waves would otherwise be pooled */
    size_t nby = opt->nby;
    bool add_wave = false;
    if (wave && !opt->keep_wave_pooled) {
        bool in_by = false, in_where = false;
        for (size_t b = 0; b < opt->nby; b++)
            in_by |= strcmp(opt->by[b], wave->item->name) == 0;
        for (size_t f = 0; f < opt->nwhere; f++)
            in_where |= strcmp(opt->where[f].column, wave->item->name) == 0 &&
                        (opt->where[f].op == SIPAS_OP_EQ ||
                         (opt->where[f].op == SIPAS_OP_IN && opt->where[f].nvalues == 1));
        bool several = false;
        for (size_t i = 1; i < d->n && !several; i++)
            several = sipas_column_number(wave, i) != sipas_column_number(wave, 0);
        add_wave = several && !in_by && !in_where;
    }
    res->wave_added = add_wave;
    res->nby = nby + add_wave;
    res->by = calloc(res->nby ? res->nby : 1, sizeof *res->by);
    const sipas_column **cols = calloc(res->nby ? res->nby : 1, sizeof *cols);
    compiled_condition *conds = calloc(opt->nwhere ? opt->nwhere : 1, sizeof *conds);
    w->domain_of = malloc(d->n * sizeof *w->domain_of);
    uint64_t *keys = calloc(res->nby ? res->nby : 1, sizeof *keys);
    index_map domains = {0};
    size_t *first_row = NULL, cap = 0;
    if (res->by == NULL || cols == NULL || conds == NULL || w->domain_of == NULL || keys == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t b = 0; b < res->nby; b++) {
        const char *name = add_wave ? (b == 0 ? wave->item->name : opt->by[b - 1]) : opt->by[b];
        cols[b] = sipas_dataset_column(d, name);
        const sipas_item *it = sipas_instrument_item(d->inst, name);
        if (it && it->role == SIPAS_ROLE_ID) { /* the dataset does not load the id column */
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is a %s column, not a "
                                 "domain", name, sipas_role_name(it->role));
            goto done;
        }
        if (cols[b] == NULL) {
            st = it && it->personal
               ? sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is personal data, stored "
                                 "only as a keyed hash; it cannot define domains", name)
               : sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--by: form '%s' has no column '%s'",
                                 d->inst->form_id, name);
            goto done;
        }
        if (cols[b]->item->role == SIPAS_ROLE_CRITERION ||
            cols[b]->item->role == SIPAS_ROLE_WEIGHT) {
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is a %s column, not a "
                                 "domain", name, sipas_role_name(cols[b]->item->role));
            goto done;
        }
        if ((res->by[b] = strdup(name)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t f = 0; f < opt->nwhere; f++)
        if ((st = compile_condition(d, &opt->where[f], &conds[f], err)) != SIPAS_OK)
            goto done;
    for (size_t i = 0; i < d->n; i++) {
        w->domain_of[i] = SIZE_MAX;
        bool keep = true;
        for (size_t f = 0; f < opt->nwhere && keep; f++)
            keep = condition_holds(&conds[f], i);
        if (!keep)
            continue;
        uint64_t key = 0x51afd7ed558ccdull;
        for (size_t b = 0; b < res->nby && keep; b++) {
            keep = column_key(cols[b], i, &keys[b]);
            key = mix64(key ^ keys[b]) + b;
        }
        if (!keep) {
            res->rows_without_domain++;
            continue;
        }
        size_t dom;
        if (!map_get_or_add(&domains, key, &dom)) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (dom == cap) {
            cap = cap ? cap * 2 : 64;
            size_t *grown = realloc(first_row, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
            first_row = grown;
        }
        if (dom == res->ndomains) { /* a new domain: remember a row that shows its codes */
            first_row[dom] = i;
            res->ndomains = dom + 1;
        }
        w->domain_of[i] = dom;
    }
    if (res->ndomains == 0) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no respondent matches the --where conditions");
        goto done;
    }
    /* Order domains by their codes: choice order for listed columns, numbers ascending. */
    size_t *order = malloc(res->ndomains * sizeof *order);
    size_t *rank = malloc(res->ndomains * sizeof *rank);
    if (order == NULL || rank == NULL) {
        free(order);
        free(rank);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < res->ndomains; a++)
        order[a] = a;
    /* insertion sort: domains are few (hundreds at most) */
    for (size_t a = 1; a < res->ndomains; a++) {
        size_t cur = order[a], j = a;
        while (j > 0) {
            size_t prev = order[j - 1];
            int cmp = 0;
            for (size_t b = 0; b < res->nby && cmp == 0; b++) {
                const sipas_column *col = cols[b];
                size_t ri = first_row[cur], rj = first_row[prev];
                if (!col->is_text) {
                    double x = sipas_column_number(col, ri), y = sipas_column_number(col, rj);
                    cmp = x < y ? -1 : x > y ? 1 : 0;
                } else {
                    const char *x = col->levels[col->level[ri]], *y = col->levels[col->level[rj]];
                    long px = -1, py = -1;
                    if (col->item->list)
                        for (size_t c = 0; c < col->item->list->nchoices; c++) {
                            if (strcmp(col->item->list->choices[c].name, x) == 0) px = (long)c;
                            if (strcmp(col->item->list->choices[c].name, y) == 0) py = (long)c;
                        }
                    cmp = px != py ? (px < py ? -1 : 1) : strcmp(x, y);
                }
            }
            if (cmp >= 0)
                break;
            order[j] = prev;
            j--;
        }
        order[j] = cur;
    }
    for (size_t a = 0; a < res->ndomains; a++)
        rank[order[a]] = a;
    for (size_t i = 0; i < d->n; i++)
        if (w->domain_of[i] != SIZE_MAX)
            w->domain_of[i] = rank[w->domain_of[i]];
    res->domains = calloc(res->ndomains, sizeof *res->domains);
    if (res->domains == NULL) {
        free(order);
        free(rank);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < res->ndomains && st == SIPAS_OK; a++) {
        sipas_index_domain *dom = &res->domains[a];
        dom->values = calloc(res->nby ? res->nby : 1, sizeof *dom->values);
        if (dom->values == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t b = 0; b < res->nby; b++) {
            char code[256];
            column_code(cols[b], first_row[order[a]], code, sizeof code);
            if ((dom->values[b] = strdup(code)) == NULL)
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < d->n; i++)
        if (w->domain_of[i] != SIZE_MAX)
            res->domains[w->domain_of[i]].respondents++;
    free(order);
    free(rank);
done:
    for (size_t f = 0; f < opt->nwhere; f++) {
        free(conds[f].numbers);
        free(conds[f].levels);
    }
    free(conds);
    free(cols);
    free(keys);
    free(first_row);
    map_release(&domains);
    return st;
}

/* The sub-design of one domain: rows of the strata holding at least one of its rows. */
typedef struct subdesign {
    size_t m;
    size_t *rows;        /* global row of each sub row */
    double *weight;
    size_t *stratum, *psu;
    double *fpc;
    size_t nstrata, npsu;
    size_t *global_stratum; /* sub stratum -> global */
    bool *in_domain;
    sipas_prepared_design *prepared;
} subdesign;

static void subdesign_release(subdesign *s)
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
static sipas_status name_stratum(const work *w, const subdesign *s, sipas_status st,
                                 sipas_error *err)
{
    size_t h;
    int used = 0;
    if (err == NULL || sscanf(err->message, "stratum %zu%n", &h, &used) != 1 || h >= s->nstrata)
        return st;
    char rest[SIPAS_ERROR_MESSAGE_MAX];
    snprintf(rest, sizeof rest, "%s", err->message + used);
    bool lonely = strcmp(rest, " has only one PSU") == 0;
    sipas_error_set(err, st, "stratum '%s'%s%s", w->stratum_label[s->global_stratum[h]], rest,
                    lonely ? "; choose how to treat it with --lonely-psu "
                             "remove|certainty|adjust|average"
                           : "");
    return st;
}

static sipas_status build_subdesign(work *w, size_t dom, const bool *stratum_used, size_t *psu_map,
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

/* Variance, df, CI, flags of an estimate with its scores on the sub-design. */
/* mask is the domain the estimate is over: for a criterion its valid answers, so that df, the
 * strata taking part and n match R's svyciprop on subset(design, valid & domain). */
static sipas_status finish_row(work *w, const subdesign *s, const double *scores, const bool *mask,
                               double n_for_beta, sipas_index_row *row, sipas_error *err)
{
    sipas_status st;
    if (w->cal) {
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
        st = sipas_variance(s->prepared, adjusted, NULL, &row->variance, err);
        free(adjusted);
    } else {
        st = sipas_variance(s->prepared, scores, mask, &row->variance, err);
    }
    if (st != SIPAS_OK)
        return name_stratum(w, s, st, err);
    size_t psus, strata;
    if ((st = sipas_design_count(s->prepared, mask, &psus, &strata, err)) != SIPAS_OK)
        return st;
    row->df = (double)psus - (double)strata;
    bool nps = row->scoring == SIPAS_SCORING_NPS;
    row->ci_method = nps ? SIPAS_CI_MEAN : w->res->ci;
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
    if ((st = sipas_ci_proportion(row->ci_method, p, row->variance, row->df, w->res->level,
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
static void withhold_small_cell(sipas_index_row *row, size_t min_cell)
{
    if (row->n >= min_cell)
        return;
    row->estimate = row->variance = row->se = row->ci_low = row->ci_high = NAN;
    row->deff = row->kish_deff = row->n_eff = NAN;
    memset(row->n_missing, 0, sizeof row->n_missing); /* counts would reveal answers too */
    row->flags = SIPAS_FLAG_SMALL_CELL | SIPAS_NCHS_NO_CI;
}

static void not_estimable(sipas_index_row *row)
{
    row->estimable = false;
    row->variance_status = SIPAS_VARIANCE_NO_ANSWER;
    row->estimate = row->variance = row->se = row->ci_low = row->ci_high = NAN;
    row->df = row->deff = row->n_eff = NAN;
    row->flags = SIPAS_NCHS_NO_CI;
}

/* Scratch space of one domain's estimation, m = rows of its sub-design. */
typedef struct domain_buffers {
    double *y, *x, *z;     /* m each */
    bool *valid;           /* m: in the domain with a valid answer */
    double *elem_scores;   /* nelements x m */
    double *overall_scores;/* m */
    const char *want;      /* copy this measure's scores into want_scores (NULL: none) */
    double *want_scores;   /* m */
} domain_buffers;

static void domain_buffers_release(domain_buffers *b)
{
    free(b->y);
    free(b->x);
    free(b->z);
    free(b->valid);
    free(b->elem_scores);
    free(b->overall_scores);
    free(b->want_scores);
    b->y = b->x = b->z = b->elem_scores = b->overall_scores = b->want_scores = NULL;
    b->valid = NULL;
}

static sipas_status domain_buffers_alloc(domain_buffers *b, size_t m, size_t nelements,
                                         sipas_error *err)
{
    domain_buffers_release(b);
    size_t n = m ? m : 1;
    b->y = malloc(n * sizeof *b->y);
    b->x = malloc(n * sizeof *b->x);
    b->z = malloc(n * sizeof *b->z);
    b->valid = malloc(n * sizeof *b->valid);
    b->elem_scores = malloc((nelements ? nelements : 1) * n * sizeof *b->elem_scores);
    b->overall_scores = malloc(n * sizeof *b->overall_scores);
    b->want_scores = calloc(n, sizeof *b->want_scores);
    if (!b->y || !b->x || !b->z || !b->valid || !b->elem_scores || !b->overall_scores || !b->want_scores)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    return SIPAS_OK;
}

static void keep_scores(domain_buffers *b, const char *name, const double *scores, size_t m)
{
    if (b->want && strcmp(b->want, name) == 0)
        memcpy(b->want_scores, scores, m * sizeof *scores);
}

/* Puts "form 'F', district 'x', wave 2024, measure 'q1'" before a failure of estimate_domain, so
 * that a numeric or design problem says where it happened. */
static sipas_status locate_failure(const work *w, size_t dom, sipas_status st, sipas_error *err)
{
    char where[SIPAS_ERROR_MESSAGE_MAX / 2];
    size_t used = (size_t)snprintf(where, sizeof where, "form '%s'", w->data->inst->form_id);
    const sipas_index_result *res = w->res;
    for (size_t b = 0; b < res->nby && dom < res->ndomains && used < sizeof where; b++)
        used += (size_t)snprintf(where + used, sizeof where - used, ", %s '%s'", res->by[b],
                                 res->domains[dom].values[b]);
    if (w->unit_column && used < sizeof where)
        used += (size_t)snprintf(where + used, sizeof where - used, ", %s '%s'", w->unit_column,
                                 w->unit_code ? w->unit_code : "");
    if (!isnan(w->unit_wave) && used < sizeof where)
        used += (size_t)snprintf(where + used, sizeof where - used, ", wave %g", w->unit_wave);
    if (w->measure && used < sizeof where)
        snprintf(where + used, sizeof where - used, ", measure '%s'", w->measure);
    return sipas_error_prefix(err, st, "%s", where);
}

static sipas_status estimate_domain(work *w, size_t dom, const subdesign *s, sipas_index_row *rows,
                                    domain_buffers *b, sipas_error *err)
{
    double *y = b->y, *x = b->x, *z = b->z, *elem_scores = b->elem_scores,
           *overall_scores = b->overall_scores;
    const sipas_instrument *inst = w->data->inst;
    size_t m = s->m, ne = inst->nelements;
    sipas_status st = SIPAS_OK;
    /* row layout: [0] overall, then per element: element row, its criteria */
    sipas_index_row *overall = &rows[0];
    size_t respondents = w->res->domains[dom].respondents;
    memset(elem_scores, 0, ne * m * sizeof *elem_scores);
    memset(overall_scores, 0, m * sizeof *overall_scores);
    size_t r = 1;
    double weight_sum = 0;
    for (size_t e = 0; e < ne; e++)
        weight_sum += inst->elements[e].weight;
    overall->domain = dom;
    overall->level = SIPAS_LEVEL_OVERALL;
    overall->measure = -1;
    overall->name = "overall";
    overall->label_vi = "Chỉ số hài lòng chung";
    overall->label_en = "Overall satisfaction index";
    overall->scoring = SIPAS_SCORING_SATISFIED_SHARE;
    overall->estimable = weight_sum > 0;
    overall->estimate = 0;
    overall->n = respondents;
    bool overall_nps = false;
    for (size_t e = 0; e < ne; e++) {
        sipas_index_row *erow = &rows[r++];
        double *es = elem_scores + e * m;
        size_t k = 0;
        for (size_t c = 0; c < w->ncriteria; c++)
            k += w->scorers[c].item->element == (int)e;
        erow->domain = dom;
        erow->level = SIPAS_LEVEL_ELEMENT;
        erow->measure = (int)e;
        erow->name = inst->elements[e].name;
        erow->label_vi = inst->elements[e].label_vi;
        erow->label_en = inst->elements[e].label_en;
        erow->estimable = k > 0;
        erow->estimate = 0;
        erow->n = respondents;
        erow->scoring = SIPAS_SCORING_SATISFIED_SHARE;
        for (size_t c = 0; c < w->ncriteria; c++) {
            const criterion_scorer *sc = &w->scorers[c];
            if (sc->item->element != (int)e)
                continue;
            sipas_index_row *crow = &rows[r++];
            const sipas_column *col = &w->data->columns[sc->column];
            crow->domain = dom;
            crow->level = SIPAS_LEVEL_CRITERION;
            crow->measure = (int)sc->column;
            crow->name = sc->item->name;
            crow->label_vi = sc->item->label_vi;
            crow->label_en = sc->item->label_en;
            crow->scoring = sc->scoring;
            erow->scoring = sc->scoring; /* an element shares its criteria's scoring */
            memset(crow->n_missing, 0, sizeof crow->n_missing);
            if (col->code && sc->by_version == NULL) {
                /* byte codes: score each of the 256 values once, then look rows up */
                double code_y[256], code_x[256];
                sipas_missing_kind code_kind[256];
                for (int v = 0; v < 256; v++)
                    code_kind[v] = score_row(sc, v == SIPAS_CODE_EMPTY ? NAN : v, &code_y[v],
                                             &code_x[v]);
                code_kind[SIPAS_CODE_EMPTY] = 0; /* empty cells are counted apart */
                for (size_t i = 0; i < m; i++) {
                    uint8_t v = col->code[s->rows[i]];
                    y[i] = code_y[v];
                    x[i] = code_x[v];
                    if (s->in_domain[i] && x[i] == 0)
                        crow->n_missing[code_kind[v]]++;
                    b->valid[i] = s->in_domain[i] && x[i] != 0 && s->weight[i] > 0;
                }
            } else {
                for (size_t i = 0; i < m; i++) {
                    double code = sipas_column_number(col, s->rows[i]);
                    const criterion_scorer *row_sc = sc->by_version
                                                   ? &sc->by_version[w->data->row_version[s->rows[i]]] : sc;
                    sipas_missing_kind kind = score_row(row_sc, code, &y[i], &x[i]);
                    if (s->in_domain[i] && x[i] == 0)
                        crow->n_missing[isnan(code) ? 0 : kind]++;
                    b->valid[i] = s->in_domain[i] && x[i] != 0 && s->weight[i] > 0;
                }
            }
            sipas_ratio ratio;
            sipas_error ratio_err;
            st = sipas_ratio_estimate(s->prepared, y, x, s->in_domain, &ratio, z, &ratio_err);
            crow->n = st == SIPAS_OK ? ratio.n_valid : 0;
            if (st == SIPAS_ERR_MATH) {
                not_estimable(crow);
                erow->estimable = false;
                st = SIPAS_OK;
                continue;
            }
            if (st != SIPAS_OK) {
                if (err)
                    *err = ratio_err;
                return st;
            }
            crow->estimable = true;
            crow->estimate = ratio.estimate;
            w->measure = crow->name;
            if ((st = finish_row(w, s, z, b->valid, (double)ratio.n_valid, crow, err)) != SIPAS_OK)
                return st;
            keep_scores(b, crow->name, z, m);
            /* as svymean(deff=TRUE) on the valid answers of the domain */
            if ((st = sipas_ratio_deff(s->prepared, y, x, b->valid, ratio.estimate,
                                       crow->variance, false, &crow->deff, err)) != SIPAS_OK ||
                (st = sipas_kish_deff(s->prepared, x, s->in_domain, &crow->kish_deff, err)) != SIPAS_OK)
                return st;
            /* element = mean of its criteria: accumulate estimate and scores (svycontrast) */
            erow->estimate += ratio.estimate / (double)k;
            for (size_t i = 0; i < m; i++)
                es[i] += z[i] / (double)k;
        }
        if (erow->scoring == SIPAS_SCORING_NPS && inst->elements[e].weight > 0)
            overall_nps = true;
        if (!erow->estimable) {
            not_estimable(erow);
        } else {
            keep_scores(b, erow->name, es, m);
            w->measure = erow->name;
            if ((st = finish_row(w, s, es, s->in_domain, (double)respondents, erow, err)) != SIPAS_OK ||
                (st = sipas_composite_deff(s->prepared, es, s->in_domain, erow->variance, false,
                                           &erow->deff, err)) != SIPAS_OK ||
                (st = sipas_kish_deff(s->prepared, NULL, s->in_domain, &erow->kish_deff, err)) != SIPAS_OK)
                return st;
        }
        double c = weight_sum > 0 ? inst->elements[e].weight / weight_sum : 0;
        if (c > 0) {
            if (!erow->estimable)
                overall->estimable = false;
            else {
                overall->estimate += c * erow->estimate;
                for (size_t i = 0; i < m; i++)
                    overall_scores[i] += c * es[i];
            }
        }
    }
    if (overall_nps)
        overall->scoring = SIPAS_SCORING_NPS; /* mixing NPS into the overall makes it not a proportion */
    if (!overall->estimable) {
        not_estimable(overall);
        return SIPAS_OK;
    }
    keep_scores(b, overall->name, overall_scores, m);
    w->measure = overall->name;
    if ((st = finish_row(w, s, overall_scores, s->in_domain, (double)respondents, overall, err)) != SIPAS_OK ||
        (st = sipas_composite_deff(s->prepared, overall_scores, s->in_domain, overall->variance,
                                   false, &overall->deff, err)) != SIPAS_OK)
        return st;
    return sipas_kish_deff(s->prepared, NULL, s->in_domain, &overall->kish_deff, err);
}

/* Scorers for the criteria, the design, the weighting and the domains: what every estimate
 * of a call needs, done once. */
static sipas_status work_prepare(work *w, sipas_error *err)
{
    const sipas_instrument *inst = w->data->inst;
    sipas_status st;
    for (size_t k = 0; k < inst->nitems; k++)
        w->ncriteria += inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal;
    w->scorers = calloc(w->ncriteria ? w->ncriteria : 1, sizeof *w->scorers);
    if (w->scorers == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0, c = 0; k < inst->nitems; k++)
        if (inst->items[k].role == SIPAS_ROLE_CRITERION && !inst->items[k].personal)
            if ((st = make_scorer(w->data, k, w->opt, &w->scorers[c++], err)) != SIPAS_OK)
                return st;
    if ((st = build_design(w, err)) != SIPAS_OK || (st = apply_weighting(w, err)) != SIPAS_OK)
        return st;
    return build_domains(w, err);
}

sipas_status sipas_index_compute(const sipas_dataset *data, const sipas_index_options *options,
                                 sipas_index_result **out, sipas_error *err)
{
    *out = NULL;
    static const sipas_index_options defaults = {0};
    const sipas_index_options *opt = options ? options : &defaults;
    const sipas_instrument *inst = data->inst;
    sipas_index_result *res = calloc(1, sizeof *res);
    work w = {.data = data, .opt = opt, .res = res, .unit_wave = NAN};
    bool *stratum_used = NULL;
    size_t *psu_map = NULL;
    domain_buffers buf = {0};
    subdesign s = {0};
    sipas_status st = SIPAS_OK;
    if (res == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    res->ci = opt->ci;
    res->level = opt->level > 0 ? opt->level : 0.95;
    if (!(res->level > 0 && res->level < 1)) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "confidence level %g is not between 0 and 1", res->level);
        goto done;
    }
    if ((st = work_prepare(&w, err)) != SIPAS_OK)
        goto done;
    size_t per_domain = 1 + inst->nelements + w.ncriteria;
    res->nrows = res->ndomains * per_domain;
    res->rows = calloc(res->nrows, sizeof *res->rows);
    stratum_used = calloc(w.nstrata, sizeof *stratum_used);
    psu_map = malloc((w.npsu ? w.npsu : 1) * sizeof *psu_map);
    if (res->rows == NULL || stratum_used == NULL || psu_map == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t p = 0; p < w.npsu; p++)
        psu_map[p] = SIZE_MAX;
    /* rows of each domain, to find its strata without a pass over all rows per domain */
    size_t *dom_start = calloc(res->ndomains + 1, sizeof *dom_start);
    size_t *dom_rows = malloc((data->n ? data->n : 1) * sizeof *dom_rows);
    if (dom_start == NULL || dom_rows == NULL) {
        free(dom_start);
        free(dom_rows);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < data->n; i++)
        if (w.domain_of[i] != SIZE_MAX)
            dom_start[w.domain_of[i] + 1]++;
    for (size_t a = 0; a < res->ndomains; a++)
        dom_start[a + 1] += dom_start[a];
    {
        size_t *fill = calloc(res->ndomains, sizeof *fill);
        if (fill == NULL) {
            free(dom_start);
            free(dom_rows);
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < data->n; i++)
            if (w.domain_of[i] != SIZE_MAX) {
                size_t a = w.domain_of[i];
                dom_rows[dom_start[a] + fill[a]++] = i;
            }
        free(fill);
    }
    for (size_t a = 0; a < res->ndomains && st == SIPAS_OK; a++) {
        /* calibrated: residuals spread over the calibration cells, and R lets every stratum
         * take part, so the whole design */
        memset(stratum_used, w.cal != NULL, w.nstrata * sizeof *stratum_used);
        for (size_t k = dom_start[a]; k < dom_start[a + 1]; k++)
            stratum_used[w.stratum[dom_rows[k]]] = true;
        if ((st = build_subdesign(&w, a, stratum_used, psu_map, &s, err)) != SIPAS_OK) {
            w.measure = NULL;
            locate_failure(&w, a, st, err);
            break;
        }
        if ((st = domain_buffers_alloc(&buf, s.m, inst->nelements, err)) != SIPAS_OK)
            break;
        w.measure = NULL;
        if ((st = estimate_domain(&w, a, &s, res->rows + a * per_domain, &buf, err)) != SIPAS_OK)
            locate_failure(&w, a, st, err);
        subdesign_release(&s);
    }
    free(dom_start);
    free(dom_rows);
    if (st == SIPAS_OK)
        for (size_t i = 0; i < res->nrows; i++)
            withhold_small_cell(&res->rows[i], opt->min_cell ? opt->min_cell : SIPAS_DEFAULT_MIN_CELL);
done:
    subdesign_release(&s);
    domain_buffers_release(&buf);
    free(stratum_used);
    free(psu_map);
    work_release(&w);
    if (st != SIPAS_OK) {
        sipas_index_result_free(res);
        return st;
    }
    *out = res;
    return SIPAS_OK;
}

/* ---- units against their parent ------------------------------------------------------------- */

void sipas_units_result_free(sipas_units_result *r)
{
    if (r == NULL)
        return;
    for (size_t u = 0; u < r->nunits; u++)
        free(r->units[u].code);
    free(r->units);
    free(r);
}

static const sipas_index_row *find_measure(const sipas_index_row *rows, size_t nrows,
                                           const char *measure)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].name, measure) == 0)
            return &rows[i];
    return NULL;
}

sipas_status sipas_index_units(const sipas_dataset *data, const sipas_index_options *options,
                               const char *unit_column, const char *measure,
                               sipas_units_result **out, sipas_error *err)
{
    *out = NULL;
    const sipas_instrument *inst = data->inst;
    sipas_index_options opt = *options;
    opt.by = NULL;
    opt.nby = 0;
    opt.keep_wave_pooled = true;
    sipas_index_result *res = calloc(1, sizeof *res);
    sipas_units_result *ur = calloc(1, sizeof *ur);
    work w = {.data = data, .opt = &opt, .res = res, .unit_wave = NAN};
    subdesign s = {0};
    domain_buffers buf = {0};
    bool *stratum_used = NULL, *parent_mask = NULL;
    size_t *psu_map = NULL;
    double *parent_scores = NULL;
    sipas_index_row *rows = NULL;
    sipas_status st = SIPAS_OK;
    if (res == NULL || ur == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (options->nby > 0) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "units are compared within one parent domain; "
                             "give no --by");
        goto done;
    }
    res->ci = opt.ci;
    res->level = opt.level > 0 ? opt.level : 0.95;
    const sipas_column *unit = sipas_dataset_column(data, unit_column);
    if (unit == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no column '%s'", inst->form_id,
                             unit_column);
        goto done;
    }
    const sipas_column *cluster = sipas_dataset_role(data, SIPAS_ROLE_CLUSTER);
    if (unit == cluster) {
        const sipas_column *above = sipas_dataset_role(data, SIPAS_ROLE_STRATUM);
        st = sipas_error_set(err, SIPAS_ERR_USAGE,
                             "column '%s' is the cluster (PSU) column of form '%s': each unit "
                             "would be one cluster, with no design-based variance to compare "
                             "by; choose a unit above the cluster level%s%s%s",
                             unit_column, inst->form_id, above ? ", such as the stratum column '" : "",
                             above ? above->item->name : "", above ? "'" : "");
        goto done;
    }
    if ((st = work_prepare(&w, err)) != SIPAS_OK)
        goto done;
    const sipas_column *wave = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    if (wave) {
        double first = NAN;
        for (size_t i = 0; i < data->n; i++) {
            if (w.domain_of[i] != 0)
                continue;
            if (isnan(first))
                first = w.unit_wave = sipas_column_number(wave, i);
            else if (sipas_column_number(wave, i) != first) {
                st = sipas_error_set(err, SIPAS_ERR_USAGE, "units are compared within one wave; the "
                                     "selection holds several: give --wave YEAR");
                goto done;
            }
        }
    }
    stratum_used = calloc(w.nstrata, sizeof *stratum_used);
    psu_map = malloc((w.npsu ? w.npsu : 1) * sizeof *psu_map);
    if (stratum_used == NULL || psu_map == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t p = 0; p < w.npsu; p++)
        psu_map[p] = SIZE_MAX;
    for (size_t i = 0; i < data->n; i++)
        if (w.domain_of[i] == 0 || w.cal != NULL)
            stratum_used[w.stratum[i]] = true;
    if ((st = build_subdesign(&w, 0, stratum_used, psu_map, &s, err)) != SIPAS_OK ||
        (st = domain_buffers_alloc(&buf, s.m, inst->nelements, err)) != SIPAS_OK)
        goto done;
    size_t per_domain = 1 + inst->nelements + w.ncriteria;
    rows = calloc(per_domain, sizeof *rows);
    parent_mask = malloc((s.m ? s.m : 1) * sizeof *parent_mask);
    parent_scores = malloc((s.m ? s.m : 1) * sizeof *parent_scores);
    if (rows == NULL || parent_mask == NULL || parent_scores == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    buf.want = measure;
    if ((st = estimate_domain(&w, 0, &s, rows, &buf, err)) != SIPAS_OK) {
        locate_failure(&w, 0, st, err);
        goto done;
    }
    const sipas_index_row *prow = find_measure(rows, per_domain, measure);
    if (prow == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no measure '%s' (overall, an "
                             "element or a criterion)", inst->form_id, measure);
        goto done;
    }
    ur->parent = *prow;
    withhold_small_cell(&ur->parent, opt.min_cell ? opt.min_cell : SIPAS_DEFAULT_MIN_CELL);
    ur->parent_respondents = res->domains[0].respondents;
    ur->ci = res->ci;
    ur->level = res->level;
    memcpy(parent_mask, s.in_domain, s.m * sizeof *parent_mask);
    memcpy(parent_scores, buf.want_scores, s.m * sizeof *parent_scores);
    /* units: the unit column's codes present in the parent, in choice-list order */
    size_t nlevels = unit->is_text ? unit->nlevels : 0;
    if (!unit->is_text) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "column '%s' is numeric; units need a text or "
                             "coded column such as district", unit_column);
        goto done;
    }
    ur->units = calloc(nlevels ? nlevels : 1, sizeof *ur->units);
    if (ur->units == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    const sipas_choice_list *list = unit->item->list;
    size_t norder = list ? list->nchoices + nlevels : nlevels;
    for (size_t o = 0; o < norder && st == SIPAS_OK; o++) {
        /* listed codes first in list order, then any other stored codes */
        int32_t level = -1;
        if (list && o < list->nchoices) {
            for (size_t l = 0; l < nlevels; l++)
                if (strcmp(unit->levels[l], list->choices[o].name) == 0)
                    level = (int32_t)l;
        } else {
            size_t l = list ? o - list->nchoices : o;
            bool listed = false;
            for (size_t c = 0; list && c < list->nchoices; c++)
                listed |= strcmp(unit->levels[l], list->choices[c].name) == 0;
            if (!listed)
                level = (int32_t)l;
        }
        if (level < 0)
            continue;
        size_t count = 0;
        for (size_t i = 0; i < s.m; i++) {
            s.in_domain[i] = parent_mask[i] && unit->level[s.rows[i]] == level;
            count += s.in_domain[i];
        }
        if (count == 0)
            continue;
        res->domains[0].respondents = count;
        memset(buf.want_scores, 0, s.m * sizeof *buf.want_scores);
        w.unit_column = unit_column;
        w.unit_code = unit->levels[level];
        w.measure = NULL;
        if ((st = estimate_domain(&w, 0, &s, rows, &buf, err)) != SIPAS_OK) {
            locate_failure(&w, 0, st, err);
            break;
        }
        sipas_unit_estimate *ue = &ur->units[ur->nunits];
        ue->row = *find_measure(rows, per_domain, measure);
        ue->respondents = count;
        if ((ue->code = strdup(unit->levels[level])) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        ur->nunits++;
        ue->cov_with_parent = NAN;
        if (ue->row.estimable && ur->parent.estimable &&
            ue->row.variance_status == SIPAS_VARIANCE_OK &&
            ur->parent.variance_status == SIPAS_VARIANCE_OK)
            st = sipas_covariance(s.prepared, buf.want_scores, s.in_domain, parent_scores,
                                  parent_mask, &ue->cov_with_parent, err);
        size_t min_cell = opt.min_cell ? opt.min_cell : SIPAS_DEFAULT_MIN_CELL;
        if (ue->row.n < min_cell) {
            withhold_small_cell(&ue->row, min_cell);
            ue->cov_with_parent = NAN;
        }
    }
done:
    subdesign_release(&s);
    domain_buffers_release(&buf);
    free(rows);
    free(parent_mask);
    free(parent_scores);
    free(stratum_used);
    free(psu_map);
    work_release(&w);
    sipas_index_result_free(res);
    if (st != SIPAS_OK) {
        sipas_units_result_free(ur);
        return st;
    }
    *out = ur;
    return SIPAS_OK;
}
