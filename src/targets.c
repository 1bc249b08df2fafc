/* src/targets.c - Policy targets and indicator values (sipas/targets.h): reading targets.csv and
 * indicators.csv, and which survey measure an indicator stands for. */
#include "sipas/targets.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "csv_table.h"


/* The built-in map. The Resolution's "mức độ hài lòng ... về giải quyết thủ tục hành chính" is
 * the SIPAS index of Decision 2640/QĐ-BNV (form sipas2017); its 2021 component on results is the
 * element `results`. Documented in docs/review.md. */
static const struct {
    const char *indicator, *form, *measure;
} builtin_map[] = {
    {"sipas_procedures", "sipas2017", "overall"},
    {"sipas_results", "sipas2017", "results"},
};


static bool same_key(const char *a1, const char *a2, const char *a3, double ay, const char *b1,
                     const char *b2, const char *b3, double by)
{
    return strcmp(a1, b1) == 0 && strcmp(a2, b2) == 0 && strcmp(a3, b3) == 0 && ay == by;
}

enum { T_INDICATOR, T_SCOPE, T_SCOPE_VALUE, T_YEAR, T_THRESHOLD, T_COMPARISON, T_SOURCE, T_NOTE,
       T_FORM, T_MEASURE, T_LABEL_VI, T_LABEL_EN, T_COLUMNS };
static const char *const target_columns[T_COLUMNS] = {
    "indicator", "scope", "scope_value", "year", "threshold", "comparison", "source", "note",
    "form", "measure", "label::vi", "label::en"};
enum { I_INDICATOR, I_SCOPE, I_SCOPE_VALUE, I_YEAR, I_VALUE, I_SE, I_SOURCE, I_COLUMNS };
static const char *const indicator_columns[I_COLUMNS] = {
    "indicator", "scope", "scope_value", "year", "value", "se", "source"};

static sipas_status read_targets(sipas_targets *set, const char *path, sipas_error *err)
{
    csv_table t = {.path = path, .wanted = target_columns, .nwanted = T_COLUMNS};
    sipas_status st;
    if ((st = csv_table_read(&t, err)) != SIPAS_OK || (st = csv_table_require(&t, T_SOURCE, err)))
        goto done;
    if ((t.column[T_FORM] < 0) != (t.column[T_MEASURE] < 0)) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:1: columns 'form' and 'measure' go "
                             "together; give both or neither", path);
        goto done;
    }
    set->targets = calloc(t.nrows ? t.nrows : 1, sizeof *set->targets);
    if (set->targets == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < t.nrows; r++) {
        sipas_target_row *row = &set->targets[set->ntargets];
        row->row = t.lines[r];
        if ((st = csv_table_identifier(&t, r, T_INDICATOR, err)) ||
            (st = csv_table_number(&t, r, T_YEAR, 1990, 2100, true, &row->target.year, err)) ||
            (st = csv_table_number(&t, r, T_THRESHOLD, 0, 1, false, &row->target.threshold, err)))
            goto done;
        if (!(row->target.threshold > 0 && row->target.threshold < 1)) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column 'threshold': '%s' must "
                                 "lie strictly between 0 and 1 (a proportion: 0.90 for 90%%)",
                                 path, t.lines[r], t.cells[r][T_THRESHOLD]);
            goto done;
        }
        const char *cmp = t.cells[r][T_COMPARISON];
        if (strcmp(cmp, ">=") == 0 || strcmp(cmp, "≥") == 0)
            row->target.comparison = SIPAS_TARGET_AT_LEAST;
        else if (strcmp(cmp, ">") == 0)
            row->target.comparison = SIPAS_TARGET_ABOVE;
        else {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column 'comparison': '%s' is "
                                 "not '>=' or '>' (express a lower-is-better indicator as its "
                                 "complement)", path, t.lines[r], cmp);
            goto done;
        }
        if (*t.cells[r][T_SCOPE] == '\0' || *t.cells[r][T_SCOPE_VALUE] == '\0') {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: columns 'scope' and "
                                 "'scope_value' must not be empty", path, t.lines[r]);
            goto done;
        }
        bool mapped = t.column[T_FORM] >= 0 && *t.cells[r][T_FORM] != '\0';
        if (t.column[T_FORM] >= 0 && (*t.cells[r][T_FORM] == '\0') != (*t.cells[r][T_MEASURE] == '\0')) {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: 'form' and 'measure' are both "
                                 "given or both empty", path, t.lines[r]);
            goto done;
        }
        if (mapped && ((st = csv_table_identifier(&t, r, T_FORM, err)) ||
                       (st = csv_table_identifier(&t, r, T_MEASURE, err))))
            goto done;
        for (size_t q = 0; q < set->ntargets; q++) {
            const sipas_target_row *o = &set->targets[q];
            if (same_key(o->indicator, o->scope, o->scope_value, o->target.year,
                         t.cells[r][T_INDICATOR], t.cells[r][T_SCOPE], t.cells[r][T_SCOPE_VALUE],
                         row->target.year)) {
                st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: indicator '%s' already has "
                                     "a target for %s %s in %g (row %zu)", path, t.lines[r],
                                     o->indicator, o->scope, o->scope_value, o->target.year, o->row);
                goto done;
            }
        }
        row->indicator = csv_table_take(&t, r, T_INDICATOR);
        row->scope = csv_table_take(&t, r, T_SCOPE);
        row->scope_value = csv_table_take(&t, r, T_SCOPE_VALUE);
        row->source = csv_table_take(&t, r, T_SOURCE);
        row->note = csv_table_take(&t, r, T_NOTE);
        row->label_vi = csv_table_take(&t, r, T_LABEL_VI);
        row->label_en = csv_table_take(&t, r, T_LABEL_EN);
        set->ntargets++;
        const char *form = NULL, *measure = NULL;
        if (mapped) {
            row->form = csv_table_take(&t, r, T_FORM);
            row->measure = csv_table_take(&t, r, T_MEASURE);
        } else if (sipas_targets_builtin_map(row->indicator, &form, &measure)) {
            row->form = strdup(form);
            row->measure = strdup(measure);
            if (row->form == NULL || row->measure == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
    }
done:
    csv_table_release(&t);
    return st;
}

static int compare_values(const void *a, const void *b)
{
    const sipas_indicator_value *x = a, *y = b;
    int c;
    if ((c = strcmp(x->indicator, y->indicator)) || (c = strcmp(x->scope, y->scope)) ||
        (c = strcmp(x->scope_value, y->scope_value)))
        return c;
    return (x->year > y->year) - (x->year < y->year);
}

static sipas_status read_indicators(sipas_targets *set, const char *path, sipas_error *err)
{
    csv_table t = {.path = path, .wanted = indicator_columns, .nwanted = I_COLUMNS};
    sipas_status st;
    if ((st = csv_table_read(&t, err)) != SIPAS_OK || (st = csv_table_require(&t, I_SE, err)))
        goto done;
    set->values = calloc(t.nrows ? t.nrows : 1, sizeof *set->values);
    if (set->values == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < t.nrows; r++) {
        sipas_indicator_value *v = &set->values[set->nvalues];
        v->row = t.lines[r];
        v->se = NAN;
        if ((st = csv_table_identifier(&t, r, I_INDICATOR, err)) ||
            (st = csv_table_number(&t, r, I_YEAR, 1990, 2100, true, &v->year, err)) ||
            (st = csv_table_number(&t, r, I_VALUE, 0, 1, false, &v->value, err)))
            goto done;
        if (*t.cells[r][I_SE] != '\0' &&
            (st = csv_table_number(&t, r, I_SE, 0, 1, false, &v->se, err)))
            goto done;
        if (*t.cells[r][I_SCOPE] == '\0' || *t.cells[r][I_SCOPE_VALUE] == '\0') {
            st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: columns 'scope' and "
                                 "'scope_value' must not be empty", path, t.lines[r]);
            goto done;
        }
        for (size_t q = 0; q < set->nvalues; q++) {
            const sipas_indicator_value *o = &set->values[q];
            if (same_key(o->indicator, o->scope, o->scope_value, o->year, t.cells[r][I_INDICATOR],
                         t.cells[r][I_SCOPE], t.cells[r][I_SCOPE_VALUE], v->year)) {
                st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: indicator '%s' already has "
                                     "a value for %s %s in %g (row %zu)", path, t.lines[r],
                                     o->indicator, o->scope, o->scope_value, o->year, o->row);
                goto done;
            }
        }
        v->indicator = csv_table_take(&t, r, I_INDICATOR);
        v->scope = csv_table_take(&t, r, I_SCOPE);
        v->scope_value = csv_table_take(&t, r, I_SCOPE_VALUE);
        v->source = csv_table_take(&t, r, I_SOURCE);
        set->nvalues++;
    }
    qsort(set->values, set->nvalues, sizeof *set->values, compare_values);
done:
    csv_table_release(&t);
    return st;
}

sipas_status sipas_targets_load(const char *targets_path, const char *indicators_path,
                                bool indicators_optional, sipas_targets **out, sipas_error *err)
{
    *out = NULL;
    sipas_targets *set = calloc(1, sizeof *set);
    if (set == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_status st = SIPAS_OK;
    struct stat sb;
    if (stat(targets_path, &sb) != 0) {
        st = sipas_error_set(err, errno == ENOENT ? SIPAS_ERR_NOT_FOUND : SIPAS_ERR_IO,
                             "cannot read targets '%s': %s", targets_path, strerror(errno));
        goto done;
    }
    if ((set->targets_path = strdup(targets_path)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = read_targets(set, targets_path, err)) != SIPAS_OK)
        goto done;
    if (indicators_path == NULL)
        goto done;
    if (stat(indicators_path, &sb) != 0) {
        if (errno == ENOENT && indicators_optional)
            goto done;
        st = sipas_error_set(err, errno == ENOENT ? SIPAS_ERR_NOT_FOUND : SIPAS_ERR_IO,
                             "cannot read indicators '%s': %s", indicators_path, strerror(errno));
        goto done;
    }
    if ((set->indicators_path = strdup(indicators_path)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = read_indicators(set, indicators_path, err);
done:
    if (st != SIPAS_OK) {
        sipas_targets_free(set);
        return st;
    }
    *out = set;
    return SIPAS_OK;
}

sipas_status sipas_targets_load_dir(const char *surveys_dir, sipas_targets **out,
                                    sipas_error *err)
{
    *out = NULL;
    size_t len = strlen(surveys_dir) + sizeof "/indicators.csv";
    char *targets = malloc(len), *indicators = malloc(len);
    sipas_status st;
    if (targets == NULL || indicators == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    } else {
        snprintf(targets, len, "%s/targets.csv", surveys_dir);
        snprintf(indicators, len, "%s/indicators.csv", surveys_dir);
        st = sipas_targets_load(targets, indicators, true, out, err);
    }
    free(targets);
    free(indicators);
    return st;
}

void sipas_targets_free(sipas_targets *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->ntargets; i++) {
        sipas_target_row *r = &set->targets[i];
        free(r->indicator);
        free(r->scope);
        free(r->scope_value);
        free(r->source);
        free(r->note);
        free(r->label_vi);
        free(r->label_en);
        free(r->form);
        free(r->measure);
    }
    free(set->targets);
    for (size_t i = 0; i < set->nvalues; i++) {
        sipas_indicator_value *v = &set->values[i];
        free(v->indicator);
        free(v->scope);
        free(v->scope_value);
        free(v->source);
    }
    free(set->values);
    free(set->targets_path);
    free(set->indicators_path);
    free(set);
}

bool sipas_targets_builtin_map(const char *indicator, const char **form, const char **measure)
{
    for (size_t i = 0; i < sizeof builtin_map / sizeof builtin_map[0]; i++)
        if (strcmp(indicator, builtin_map[i].indicator) == 0) {
            *form = builtin_map[i].form;
            *measure = builtin_map[i].measure;
            return true;
        }
    return false;
}

sipas_status sipas_targets_map_indicator(sipas_targets *set, const char *indicator,
                                         const char *form, const char *measure,
                                         sipas_error *err)
{
    if (measure == NULL)
        measure = "overall";
    if (!csv_table_is_identifier(indicator) || !csv_table_is_identifier(form) || !csv_table_is_identifier(measure))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "indicator map '%s=%s:%s': names are letters, "
                               "digits and '_'", indicator, form, measure);
    bool found = false;
    for (size_t i = 0; i < set->ntargets; i++) {
        sipas_target_row *r = &set->targets[i];
        if (strcmp(r->indicator, indicator) != 0)
            continue;
        char *f = strdup(form), *m = strdup(measure);
        if (f == NULL || m == NULL) {
            free(f);
            free(m);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        free(r->form);
        free(r->measure);
        r->form = f;
        r->measure = m;
        found = true;
    }
    if (!found)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "'%s' has no target for indicator '%s'",
                               set->targets_path ? set->targets_path : "targets", indicator);
    return SIPAS_OK;
}

sipas_status sipas_targets_map_parse(sipas_targets *set, const char *text, sipas_error *err)
{
    /* indicator=form:measure, or indicator=form for its overall index */
    char buf[256];
    if (strlen(text) >= sizeof buf)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "indicator map '%.40s...' is too long", text);
    strcpy(buf, text);
    char *eq = strchr(buf, '=');
    if (eq == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "indicator map '%s' is not "
                               "INDICATOR=FORM[:MEASURE]", text);
    *eq = '\0';
    char *form = eq + 1, *colon = strchr(form, ':');
    const char *measure = NULL;
    if (colon) {
        *colon = '\0';
        measure = colon + 1;
    }
    return sipas_targets_map_indicator(set, buf, form, measure, err);
}

sipas_status sipas_targets_indicator_series(const sipas_targets *set, const char *indicator,
                                            const char *scope, const char *scope_value,
                                            sipas_wave_value **out, size_t *n, sipas_error *err)
{
    *out = NULL;
    *n = 0;
    size_t count = 0;
    for (size_t i = 0; i < set->nvalues; i++) {
        const sipas_indicator_value *v = &set->values[i];
        count += strcmp(v->indicator, indicator) == 0 && (!scope || strcmp(v->scope, scope) == 0) &&
                 (!scope_value || strcmp(v->scope_value, scope_value) == 0);
    }
    if (count == 0)
        return SIPAS_OK;
    sipas_wave_value *w = malloc(count * sizeof *w);
    if (w == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < set->nvalues; i++) {
        const sipas_indicator_value *v = &set->values[i];
        if (strcmp(v->indicator, indicator) != 0 || (scope && strcmp(v->scope, scope) != 0) ||
            (scope_value && strcmp(v->scope_value, scope_value) != 0))
            continue;
        if (k > 0 && w[k - 1].year >= v->year) {
            free(w);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "indicator '%s' has several values in %g "
                                   "(one per scope); name the scope", indicator, v->year);
        }
        w[k++] = (sipas_wave_value){.year = v->year, .estimate = v->value,
                                    .variance = isnan(v->se) ? NAN : v->se * v->se,
                                    .df = INFINITY};
    }
    *out = w;
    *n = k;
    return SIPAS_OK;
}

const char *sipas_target_label(const sipas_target_row *row, bool vietnamese)
{
    const char *own = vietnamese ? row->label_vi : row->label_en;
    const char *other = vietnamese ? row->label_en : row->label_vi;
    if (own && *own)
        return own;
    if (other && *other)
        return other;
    if (row->note && *row->note)
        return row->note;
    return row->indicator;
}
