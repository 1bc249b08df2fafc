/* indicators.c - the indicator registry, administrative targets and values, and their verdicts
 * (see sipas/indicators.h and docs/review.md, "Scorecard"). */
#include "sipas/indicators.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "csv_table.h"
#include "sipas/hash.h"

/* A projection needs a line that says more than a single change: as trend.h's verdicts. */
#define MIN_POINTS_FOR_TREND 3

static char *join_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}

const char *sipas_indicator_kind_name(sipas_indicator_kind kind)
{
    switch (kind) {
    case SIPAS_INDICATOR_SHARE: return "share";
    case SIPAS_INDICATOR_COUNT: return "count";
    case SIPAS_INDICATOR_CHANGE: return "change";
    }
    return "?";
}

const char *sipas_comparison_text(sipas_comparison cmp)
{
    static const char *const text[] = {">=", ">", "<=", "<"};
    return (unsigned)cmp < 4 ? text[cmp] : "?";
}

const char *sipas_comparison_symbol(sipas_comparison cmp)
{
    static const char *const text[] = {"≥", ">", "≤", "<"};
    return (unsigned)cmp < 4 ? text[cmp] : "?";
}

bool sipas_comparison_meets(double x, double threshold, sipas_comparison cmp)
{
    switch (cmp) {
    case SIPAS_CMP_AT_LEAST: return x >= threshold;
    case SIPAS_CMP_ABOVE: return x > threshold;
    case SIPAS_CMP_AT_MOST: return x <= threshold;
    case SIPAS_CMP_BELOW: return x < threshold;
    }
    return false;
}

static sipas_status cell_error(const csv_table *t, size_t r, size_t c, sipas_error *err,
                               const char *reason)
{
    return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column '%s': '%s' %s", t->path,
                           t->lines[r], t->wanted[c], t->cells[r][c], reason);
}

/* "2021" or "2021-2025" into from/to. */
static sipas_status parse_base(const csv_table *t, size_t r, size_t c, int *from, int *to,
                               sipas_error *err)
{
    const char *s = t->cells[r][c];
    char *end = NULL;
    long a = strtol(s, &end, 10), b = a;
    if (end != s && *end == '-')
        b = strtol(end + 1, &end, 10);
    if (end == s || *end != '\0' || a < 1990 || b > 2100 || b < a)
        return cell_error(t, r, c, err, "is not a base year (2021) or period (2021-2025)");
    *from = (int)a;
    *to = (int)b;
    return SIPAS_OK;
}

/* ---- registry ------------------------------------------------------------------------------ */

enum { R_ID, R_LABEL_VI, R_LABEL_EN, R_UNIT, R_DIRECTION, R_KIND, R_BASE, R_ITEM, R_FORM,
       R_MEASURE, R_COLUMNS };
static const char *const registry_columns[R_COLUMNS] = {
    "id", "label::vi", "label::en", "unit", "direction", "kind", "base_year", "item", "form",
    "measure"};

void sipas_indicator_registry_free(sipas_indicator_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++) {
        sipas_indicator_def *d = &reg->defs[i];
        free(d->id);
        free(d->label_vi);
        free(d->label_en);
        free(d->unit);
        free(d->item);
        free(d->form);
        free(d->measure);
    }
    free(reg->defs);
    free(reg->path);
    free(reg);
}

const sipas_indicator_def *sipas_indicator_find(const sipas_indicator_registry *reg,
                                                const char *id)
{
    for (size_t i = 0; reg && i < reg->n; i++)
        if (strcmp(reg->defs[i].id, id) == 0)
            return &reg->defs[i];
    return NULL;
}

static sipas_status registry_row(csv_table *t, size_t r, const sipas_indicator_registry *reg,
                                 sipas_indicator_def *d, sipas_error *err)
{
    sipas_status st;
    if ((st = csv_table_identifier(t, r, R_ID, err)))
        return st;
    if (sipas_indicator_find(reg, t->cells[r][R_ID]))
        return cell_error(t, r, R_ID, err, "is registered twice");
    for (size_t c = R_LABEL_VI; c <= R_UNIT; c++)
        if (*t->cells[r][c] == '\0')
            return cell_error(t, r, c, err, "is empty");
    const char *dir = t->cells[r][R_DIRECTION], *kind = t->cells[r][R_KIND];
    if (strcasecmp(dir, "higher") == 0)
        d->direction = SIPAS_HIGHER_IS_BETTER;
    else if (strcasecmp(dir, "lower") == 0)
        d->direction = SIPAS_LOWER_IS_BETTER;
    else
        return cell_error(t, r, R_DIRECTION, err, "is not 'higher' or 'lower' (which is better)");
    if (strcasecmp(kind, "share") == 0)
        d->kind = SIPAS_INDICATOR_SHARE;
    else if (strcasecmp(kind, "count") == 0)
        d->kind = SIPAS_INDICATOR_COUNT;
    else if (strcasecmp(kind, "change") == 0)
        d->kind = SIPAS_INDICATOR_CHANGE;
    else
        return cell_error(t, r, R_KIND, err, "is not 'share', 'count' or 'change'");
    bool has_base = t->column[R_BASE] >= 0 && *t->cells[r][R_BASE] != '\0';
    if (d->kind == SIPAS_INDICATOR_CHANGE && !has_base)
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column 'base_year': a change "
                               "indicator needs its base year or period", t->path, t->lines[r]);
    if (d->kind != SIPAS_INDICATOR_CHANGE && has_base)
        return cell_error(t, r, R_BASE, err, "is given for an indicator that is not a change");
    if (has_base && (st = parse_base(t, r, R_BASE, &d->base_from, &d->base_to, err)))
        return st;
    bool has_form = t->column[R_FORM] >= 0 && *t->cells[r][R_FORM] != '\0';
    bool has_measure = t->column[R_MEASURE] >= 0 && *t->cells[r][R_MEASURE] != '\0';
    if (has_form != has_measure)
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: columns 'form' and 'measure' "
                               "are both given or both empty", t->path, t->lines[r]);
    if (has_form && ((st = csv_table_identifier(t, r, R_FORM, err)) ||
                     (st = csv_table_identifier(t, r, R_MEASURE, err))))
        return st;
    if (has_form && d->kind != SIPAS_INDICATOR_SHARE)
        return cell_error(t, r, R_KIND, err, "must be 'share' for a survey measure");
    d->row = t->lines[r];
    d->id = csv_table_take(t, r, R_ID);
    d->label_vi = csv_table_take(t, r, R_LABEL_VI);
    d->label_en = csv_table_take(t, r, R_LABEL_EN);
    d->unit = csv_table_take(t, r, R_UNIT);
    d->item = csv_table_take(t, r, R_ITEM);
    if (has_form) {
        d->form = csv_table_take(t, r, R_FORM);
        d->measure = csv_table_take(t, r, R_MEASURE);
    }
    return SIPAS_OK;
}

sipas_status sipas_indicator_registry_load(const char *path, sipas_indicator_registry **out,
                                           sipas_error *err)
{
    *out = NULL;
    csv_table t = {.path = path, .wanted = registry_columns, .nwanted = R_COLUMNS};
    sipas_indicator_registry *reg = calloc(1, sizeof *reg);
    sipas_status st;
    if (reg == NULL || (reg->path = strdup(path)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = csv_table_read(&t, err)) || (st = csv_table_require(&t, R_BASE, err)))
        goto done;
    if ((reg->defs = calloc(t.nrows ? t.nrows : 1, sizeof *reg->defs)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < t.nrows && st == SIPAS_OK; r++)
        if ((st = registry_row(&t, r, reg, &reg->defs[reg->n], err)) == SIPAS_OK)
            reg->n++;
done:
    csv_table_release(&t);
    if (st != SIPAS_OK) {
        sipas_indicator_registry_free(reg);
        return st;
    }
    *out = reg;
    return SIPAS_OK;
}

sipas_status sipas_indicator_registry_load_dir(const char *surveys_dir,
                                               sipas_indicator_registry **out, sipas_error *err)
{
    char *path = join_path(surveys_dir, "indicators/registry.csv");
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    struct stat sb;
    /* NOT_FOUND, not IO: a surveys folder without a registry simply has no scorecard */
    sipas_status st = stat(path, &sb) != 0 && errno == ENOENT
                    ? sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "'%s' does not exist: the surveys "
                                      "folder has no indicator registry", path)
                    : sipas_indicator_registry_load(path, out, err);
    free(path);
    return st;
}

/* ---- targets ------------------------------------------------------------------------------- */

enum { G_INDICATOR, G_UNIT, G_YEAR, G_COMPARISON, G_THRESHOLD, G_SOURCE, G_QUOTE, G_BASE, G_ITEM,
       G_COLUMNS };
static const char *const target_columns[G_COLUMNS] = {
    "indicator", "unit", "year", "comparison", "threshold", "source", "quote", "base_year", "item"};

void sipas_admin_targets_free(sipas_admin_targets *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++) {
        sipas_admin_target *g = &set->targets[i];
        free(g->indicator);
        free(g->unit);
        free(g->item);
        free(g->source);
        free(g->quote);
    }
    free(set->targets);
    free(set->path);
    free(set);
}

static sipas_status target_row(csv_table *t, size_t r, const sipas_indicator_registry *reg,
                               const sipas_admin_targets *set, sipas_admin_target *g,
                               sipas_error *err)
{
    sipas_status st;
    const sipas_indicator_def *d = sipas_indicator_find(reg, t->cells[r][G_INDICATOR]);
    if (d == NULL)
        return cell_error(t, r, G_INDICATOR, err, "is not in the indicator registry");
    if (d->form)
        return cell_error(t, r, G_INDICATOR, err, "is a survey measure: its targets belong in "
                          "targets.csv beside the instruments");
    if ((st = csv_table_identifier(t, r, G_UNIT, err)) ||
        (st = csv_table_number(t, r, G_YEAR, 1990, 2100, true, &g->year, err)))
        return st;
    static const char *const cmp[] = {">=", ">", "<=", "<"};
    size_t k = 0;
    while (k < 4 && strcmp(t->cells[r][G_COMPARISON], cmp[k]) != 0)
        k++;
    if (k == 4)
        return cell_error(t, r, G_COMPARISON, err, "is not one of >=, >, <=, <");
    g->comparison = (sipas_comparison)k;
    double lo = d->kind == SIPAS_INDICATOR_SHARE ? 0 : d->kind == SIPAS_INDICATOR_CHANGE ? -1 : 0;
    double hi = d->kind == SIPAS_INDICATOR_SHARE ? 1 : 1e15;
    if ((st = csv_table_number(t, r, G_THRESHOLD, lo, hi, false, &g->threshold, err)))
        return st;
    g->base_from = d->base_from;
    g->base_to = d->base_to;
    if (t->column[G_BASE] >= 0 && *t->cells[r][G_BASE] != '\0') {
        if (d->kind != SIPAS_INDICATOR_CHANGE)
            return cell_error(t, r, G_BASE, err, "is given for an indicator that is not a change");
        if ((st = parse_base(t, r, G_BASE, &g->base_from, &g->base_to, err)))
            return st;
    }
    if (d->kind == SIPAS_INDICATOR_CHANGE && g->base_to >= g->year)
        return cell_error(t, r, G_YEAR, err, "is not after the base year of the change");
    if (*t->cells[r][G_SOURCE] == '\0')
        return cell_error(t, r, G_SOURCE, err, "is empty: name where the target is written");
    for (size_t q = 0; q < set->n; q++) {
        const sipas_admin_target *o = &set->targets[q];
        if (strcmp(o->indicator, d->id) == 0 && strcmp(o->unit, t->cells[r][G_UNIT]) == 0 &&
            o->year == g->year)
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: indicator '%s' already has "
                                   "a target for %s in %.0f (row %zu)", t->path, t->lines[r],
                                   d->id, o->unit, g->year, o->row);
    }
    g->row = t->lines[r];
    g->indicator = csv_table_take(t, r, G_INDICATOR);
    g->unit = csv_table_take(t, r, G_UNIT);
    g->source = csv_table_take(t, r, G_SOURCE);
    g->quote = csv_table_take(t, r, G_QUOTE);
    /* the target's own item, else the indicator's */
    g->item = *t->cells[r][G_ITEM] ? csv_table_take(t, r, G_ITEM) : strdup(d->item);
    if (g->item == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    return SIPAS_OK;
}

sipas_status sipas_admin_targets_load(const char *path, const sipas_indicator_registry *reg,
                                      sipas_admin_targets **out, sipas_error *err)
{
    *out = NULL;
    csv_table t = {.path = path, .wanted = target_columns, .nwanted = G_COLUMNS};
    sipas_admin_targets *set = calloc(1, sizeof *set);
    sipas_status st;
    if (set == NULL || (set->path = strdup(path)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = csv_table_read(&t, err)) || (st = csv_table_require(&t, G_BASE, err)))
        goto done;
    if ((set->targets = calloc(t.nrows ? t.nrows : 1, sizeof *set->targets)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < t.nrows && st == SIPAS_OK; r++) {
        sipas_admin_target *g = &set->targets[set->n];
        st = target_row(&t, r, reg, set, g, err);
        if (g->indicator)
            set->n++; /* taken strings are freed with the set even when the row failed later */
    }
done:
    csv_table_release(&t);
    if (st != SIPAS_OK) {
        sipas_admin_targets_free(set);
        return st;
    }
    *out = set;
    return SIPAS_OK;
}

sipas_status sipas_admin_targets_load_dir(const char *surveys_dir,
                                          const sipas_indicator_registry *reg,
                                          sipas_admin_targets **out, sipas_error *err)
{
    char *path = join_path(surveys_dir, "indicators/targets.csv");
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_status st = sipas_admin_targets_load(path, reg, out, err);
    free(path);
    return st;
}

/* ---- values files -------------------------------------------------------------------------- */

enum { V_INDICATOR, V_YEAR, V_UNIT, V_SOURCE, V_VALUE, V_NUMERATOR, V_DENOMINATOR, V_NOTE,
       V_SYNTHETIC, V_COLUMNS };
static const char *const value_columns[V_COLUMNS] = {
    "indicator", "year", "unit", "source", "value", "numerator", "denominator", "note",
    "synthetic"};

/* A number as a spreadsheet user writes it: '.' or ',' as the decimal mark, an optional '%'.
 * *percent tells whether '%' was written; *half_ulp is half a unit of the last digit written
 * (the rounding the writer may have done), in the number's own scale. *ambiguous is set for a
 * number such as "24.318" or "4,210": one mark followed by exactly three digits after a nonzero
 * whole part reads as thousands in one locale and as decimals in another. */
static bool parse_written_number(const char *s, double *out, bool *percent, double *half_ulp,
                                 bool *ambiguous)
{
    char buf[64];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len + 1);
    *percent = buf[len - 1] == '%';
    if (*percent)
        buf[--len] = '\0';
    while (len > 0 && buf[len - 1] == ' ')
        buf[--len] = '\0';
    char *mark = strchr(buf, ',');
    if (mark && (strchr(buf, '.') || strchr(mark + 1, ',')))
        return false; /* two marks: thousands separators, refused below with a hint */
    if (mark)
        *mark = '.';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0' || errno != 0 || !isfinite(v))
        return false;
    const char *dot = strchr(buf, '.');
    int decimals = 0;
    if (dot)
        for (const char *c = dot + 1; *c >= '0' && *c <= '9'; c++)
            decimals++;
    *ambiguous = dot != NULL && decimals == 3 && fabs(v) >= 1.0;
    *half_ulp = 0.5 * pow(10.0, -decimals);
    *out = v;
    return true;
}

/* A whole number >= 0 (a numerator or denominator), written without separators. */
static sipas_status parse_count(const csv_table *t, size_t r, size_t c, double *out,
                                sipas_error *err)
{
    const char *s = t->cells[r][c];
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= 0 && v <= 9.0e15) || v != floor(v))
        return cell_error(t, r, c, err, "is not a whole number of 0 or more (write it without "
                          "thousands separators: 187412)");
    *out = v;
    return SIPAS_OK;
}

static sipas_status parse_synthetic(const csv_table *t, size_t r, bool *out, sipas_error *err)
{
    const char *s = t->cells[r][V_SYNTHETIC];
    static const char *const yes[] = {"yes", "true", "1", "có"}, *const no[] = {"", "no", "false",
                                                                            "0", "không"};
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(s, yes[i]) == 0)
            return (*out = true), SIPAS_OK;
    for (size_t i = 0; i < 5; i++)
        if (strcasecmp(s, no[i]) == 0)
            return (*out = false), SIPAS_OK;
    return cell_error(t, r, V_SYNTHETIC, err, "is not yes or no");
}

static sipas_status value_row(csv_table *t, size_t r, const sipas_indicator_registry *reg,
                              const sipas_admin_value *done, size_t ndone, sipas_admin_value *v,
                              sipas_error *err)
{
    sipas_status st;
    const sipas_indicator_def *d = sipas_indicator_find(reg, t->cells[r][V_INDICATOR]);
    if (d == NULL)
        return cell_error(t, r, V_INDICATOR, err, "is not in the indicator registry");
    if ((st = csv_table_number(t, r, V_YEAR, 1990, 2100, true, &v->year, err)) ||
        (st = csv_table_identifier(t, r, V_UNIT, err)))
        return st;
    if (*t->cells[r][V_SOURCE] == '\0')
        return cell_error(t, r, V_SOURCE, err, "is empty: name the report the figure comes from");
    const char *num = t->cells[r][V_NUMERATOR], *den = t->cells[r][V_DENOMINATOR];
    bool has_ratio = *num || *den;
    v->numerator = v->denominator = NAN;
    if (has_ratio && d->kind != SIPAS_INDICATOR_SHARE)
        return cell_error(t, r, *num ? V_NUMERATOR : V_DENOMINATOR, err,
                          "is given for an indicator that is not a share (numerator and "
                          "denominator belong to shares)");
    if (has_ratio && (*num == '\0' || *den == '\0'))
        return cell_error(t, r, *num ? V_DENOMINATOR : V_NUMERATOR, err,
                          "is empty: give numerator and denominator together");
    if (has_ratio) {
        if ((st = parse_count(t, r, V_NUMERATOR, &v->numerator, err)) ||
            (st = parse_count(t, r, V_DENOMINATOR, &v->denominator, err)))
            return st;
        if (v->denominator == 0)
            return cell_error(t, r, V_DENOMINATOR, err, "is zero");
        if (v->numerator > v->denominator)
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column 'numerator': '%s' is "
                                   "larger than the denominator %s", t->path, t->lines[r], num,
                                   den);
    }
    const char *text = t->cells[r][V_VALUE];
    if (*text == '\0' && !has_ratio)
        return cell_error(t, r, V_VALUE, err, "is empty: give the value, or numerator and "
                          "denominator");
    if (*text == '\0') {
        v->value = v->numerator / v->denominator;
    } else {
        bool percent, ambiguous;
        double half_ulp;
        if (!parse_written_number(text, &v->value, &percent, &half_ulp, &ambiguous))
            return cell_error(t, r, V_VALUE, err, "is not a number (write it without thousands "
                              "separators, with '.' or ',' as the decimal mark)");
        if (ambiguous && d->kind != SIPAS_INDICATOR_SHARE)
            return cell_error(t, r, V_VALUE, err, "is ambiguous: thousands or decimals? write "
                              "whole numbers without separators (24318) and fractions with "
                              "another number of decimals (24.3180)");
        if (percent && d->kind != SIPAS_INDICATOR_SHARE)
            return cell_error(t, r, V_VALUE, err, "is a percentage, but the indicator is not a "
                              "share");
        if (percent) {
            v->value /= 100.0;
            half_ulp /= 100.0;
        }
        if (d->kind == SIPAS_INDICATOR_SHARE && !(v->value >= 0 && v->value <= 1))
            return cell_error(t, r, V_VALUE, err, percent
                              ? "is out of range for a share (0% to 100%)"
                              : "is out of range for a share (0 to 1): write 0.985 or 98.5%");
        if (d->kind != SIPAS_INDICATOR_SHARE && v->value < 0)
            return cell_error(t, r, V_VALUE, err, "is negative");
        if (has_ratio && fabs(v->value - v->numerator / v->denominator) > half_ulp + 1e-12) {
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column 'value': '%s' "
                                   "disagrees with numerator/denominator %s/%s = %.6g", t->path,
                                   t->lines[r], text, num, den, v->numerator / v->denominator);
        }
    }
    if ((st = parse_synthetic(t, r, &v->synthetic, err)))
        return st;
    for (size_t q = 0; q < ndone; q++)
        if (strcmp(done[q].indicator, d->id) == 0 && strcmp(done[q].unit, t->cells[r][V_UNIT]) == 0
            && done[q].year == v->year)
            return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: indicator '%s' already has "
                                   "a value for %s in %.0f (row %lld)", t->path, t->lines[r], d->id,
                                   done[q].unit, v->year, (long long)done[q].source_row);
    v->source_row = (int64_t)t->lines[r];
    v->indicator = csv_table_take(t, r, V_INDICATOR);
    v->unit = csv_table_take(t, r, V_UNIT);
    v->source = csv_table_take(t, r, V_SOURCE);
    v->note = csv_table_take(t, r, V_NOTE);
    return SIPAS_OK;
}

static sipas_status hash_file(const char *path, char hex[SIPAS_ADMIN_SHA256_HEX + 1],
                              sipas_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sipas_error_set(err, errno == ENOENT ? SIPAS_ERR_NOT_FOUND : SIPAS_ERR_IO,
                               "cannot read '%s': %s", path, strerror(errno));
    sipas_sha256 ctx;
    sipas_sha256_init(&ctx);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sipas_sha256_update(&ctx, buf, got);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s'", path);
    sipas_sha256_hex(&ctx, hex);
    return SIPAS_OK;
}

sipas_status sipas_admin_values_read(const char *path, const sipas_indicator_registry *reg,
                                     sipas_admin_value **out, size_t *n,
                                     char sha256_hex[SIPAS_ADMIN_SHA256_HEX + 1],
                                     sipas_error *err)
{
    *out = NULL;
    *n = 0;
    csv_table t = {.path = path, .wanted = value_columns, .nwanted = V_COLUMNS};
    sipas_admin_value *values = NULL;
    size_t count = 0;
    sipas_status st;
    if ((st = hash_file(path, sha256_hex, err)) || (st = csv_table_read(&t, err)) ||
        (st = csv_table_require(&t, V_VALUE, err)))
        goto done;
    if (t.column[V_VALUE] < 0 && (t.column[V_NUMERATOR] < 0 || t.column[V_DENOMINATOR] < 0)) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:1: no column 'value' (nor 'numerator' "
                             "and 'denominator')", path);
        goto done;
    }
    if ((values = calloc(t.nrows ? t.nrows : 1, sizeof *values)) == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < t.nrows && st == SIPAS_OK; r++)
        if ((st = value_row(&t, r, reg, values, count, &values[count], err)) == SIPAS_OK)
            count++;
    if (st == SIPAS_OK && count == 0)
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s: no values (only a header)", path);
done:
    csv_table_release(&t);
    if (st != SIPAS_OK) {
        sipas_admin_values_free(values, count);
        return st;
    }
    *out = values;
    *n = count;
    return SIPAS_OK;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

static double two_sided_z(double level)
{
    return gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - level) / 2.0);
}

sipas_status sipas_wilson_interval(double x, double n, double level, double *low, double *high,
                                   sipas_error *err)
{
    if (!(n > 0) || !(x >= 0) || x > n || !(level > 0 && level < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "wilson interval: needs 0 <= x <= n, n > 0 "
                               "and a level in (0, 1) (x %g, n %g, level %g)", x, n, level);
    double z = two_sided_z(level), p = x / n, z2n = z * z / n;
    double centre = (p + z2n / 2.0) / (1.0 + z2n);
    double half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n));
    /* at 0 and n the bounds are exactly 0 and 1; rounding would leave 1 - 1e-16 */
    *low = x == 0 ? 0.0 : fmax(0.0, centre - half);
    *high = x == n ? 1.0 : fmin(1.0, centre + half);
    return SIPAS_OK;
}

static int compare_points(const void *a, const void *b)
{
    const sipas_admin_point *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

/* The base of a change: the value of the base year or the mean over the base period; NaN when a
 * year of it has no value. */
static double base_of(const sipas_admin_point *p, size_t n, int from, int to)
{
    double sum = 0;
    for (int y = from; y <= to; y++) {
        size_t i = 0;
        while (i < n && p[i].year != y)
            i++;
        if (i == n)
            return NAN;
        sum += p[i].value;
    }
    return sum / (to - from + 1);
}

typedef struct projection {
    double estimate, low, high, slope, slope_low, slope_high;
    sipas_fit_scale scale;
} projection;

/* Logit-scale line through shares strictly inside (0, 1): trend.h's lm-compatible fit, with
 * binomial variances when every point has a numerator and denominator. The prediction variance
 * of a new year adds the scatter of one year around the line, s^2 / w_new, to the line's own
 * variance (s^2 = chisq / (n - 2); w_new = 1 unweighted, else the weight of the latest
 * denominator at the projected share). */
static sipas_status project_logit(const sipas_admin_point *p, size_t n, double year, double level,
                                  projection *out, sipas_error *err)
{
    bool binomial = true;
    for (size_t i = 0; i < n; i++)
        binomial &= !isnan(p[i].denominator);
    sipas_wave_value *w = malloc(n * sizeof *w);
    if (w == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        w[i] = (sipas_wave_value){.year = p[i].year, .estimate = p[i].value,
                                  .variance = binomial ? p[i].value * (1 - p[i].value) /
                                                             p[i].denominator : NAN,
                                  .df = INFINITY, .n = binomial ? p[i].denominator : NAN};
    sipas_trend_fit fit;
    sipas_projection proj;
    sipas_status st = sipas_trend_fit_waves(w, n, SIPAS_TREND_LM, level, &fit, err);
    free(w);
    if (st != SIPAS_OK || (st = sipas_trend_project(&fit, year, &proj, err)) != SIPAS_OK)
        return st;
    double s2 = fit.chisq / (double)(n - 2);
    double inv_w_new = 1.0;
    if (binomial) {
        double q = proj.estimate;
        inv_w_new = 1.0 / (p[n - 1].denominator * q * (1 - q));
    }
    double se = sqrt(proj.se_logit * proj.se_logit + s2 * inv_w_new);
    double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - level) / 2.0, (double)(n - 2));
    if (!isfinite(t) || !isfinite(se))
        return sipas_error_set(err, SIPAS_ERR_MATH, "no prediction interval for the logit line");
    *out = (projection){.estimate = proj.estimate,
                        .low = 1.0 / (1.0 + exp(-(proj.logit - t * se))),
                        .high = 1.0 / (1.0 + exp(-(proj.logit + t * se))),
                        .slope = fit.slope_per_year, .slope_low = fit.slope_per_year_ci_low,
                        .slope_high = fit.slope_per_year_ci_high, .scale = SIPAS_FIT_LOGIT};
    return SIPAS_OK;
}

/* Straight line by ordinary least squares (GSL), year centred; prediction interval
 * yhat -+ t_{n-2} sqrt(se_fit^2 + s^2). A share's projection is kept inside [0, 1]. */
static sipas_status project_linear(const sipas_admin_point *p, size_t n, double year,
                                   double level, bool share, projection *out, sipas_error *err)
{
    double *x = malloc(2 * n * sizeof *x);
    if (x == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    double *y = x + n, centre = 0;
    for (size_t i = 0; i < n; i++)
        centre += p[i].year / (double)n;
    for (size_t i = 0; i < n; i++) {
        x[i] = p[i].year - centre;
        y[i] = p[i].value;
    }
    double c0, c1, cov00, cov01, cov11, sumsq, yhat, yerr;
    int rc = gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    free(x);
    if (rc != GSL_SUCCESS ||
        gsl_fit_linear_est(year - centre, c0, c1, cov00, cov01, cov11, &yhat, &yerr) !=
            GSL_SUCCESS)
        return sipas_error_set(err, SIPAS_ERR_MATH, "the straight line could not be fitted (%s)",
                               gsl_strerror(rc));
    double df = (double)(n - 2);
    double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - level) / 2.0, df);
    double se = sqrt(yerr * yerr + sumsq / df), se_slope = sqrt(cov11);
    if (!isfinite(t) || !isfinite(se))
        return sipas_error_set(err, SIPAS_ERR_MATH, "no prediction interval for the line");
    *out = (projection){.estimate = yhat, .low = yhat - t * se, .high = yhat + t * se,
                        .slope = c1, .slope_low = c1 - t * se_slope,
                        .slope_high = c1 + t * se_slope, .scale = SIPAS_FIT_LINEAR};
    if (share) {
        out->estimate = fmin(1.0, fmax(0.0, out->estimate));
        out->low = fmin(1.0, fmax(0.0, out->low));
        out->high = fmin(1.0, fmax(0.0, out->high));
    }
    return SIPAS_OK;
}

sipas_admin_verdict sipas_admin_verdict_none(void)
{
    return (sipas_admin_verdict){
        .verdict = SIPAS_VERDICT_INSUFFICIENT_DATA, .latest_year = NAN, .latest_figure = NAN,
        .latest_low = NAN, .latest_high = NAN, .base_value = NAN, .estimate = NAN, .ci_low = NAN,
        .ci_high = NAN, .slope_per_year = NAN, .slope_low = NAN, .slope_high = NAN};
}

/* value -> the figure the target speaks of: a change against base for change kinds. */
static double figure_of(const sipas_indicator_def *def, double value, double base)
{
    return def->kind == SIPAS_INDICATOR_CHANGE ? value / base - 1.0 : value;
}

sipas_status sipas_admin_assess(const sipas_indicator_def *def, const sipas_admin_target *target,
                                const sipas_admin_point *points, size_t npoints, double as_of,
                                double level, sipas_admin_verdict *out, sipas_error *err)
{
    if (def == NULL || target == NULL || out == NULL || (npoints > 0 && points == NULL))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "admin assess: missing argument");
    if (!(level > 0 && level < 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "confidence level %g is not between 0 and 1",
                               level);
    sipas_admin_verdict v = sipas_admin_verdict_none();
    sipas_admin_point *p = malloc((npoints ? npoints : 1) * sizeof *p);
    if (p == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < npoints; i++)
        if (as_of <= 0 || points[i].year <= as_of)
            p[n++] = points[i];
    qsort(p, n, sizeof *p, compare_points);
    sipas_status st = SIPAS_OK;
    for (size_t i = 1; i < n; i++)
        if (p[i].year == p[i - 1].year) {
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "indicator '%s': two values for %.0f",
                                 def->id, p[i].year);
            goto done;
        }
    v.npoints = n;
    double now = as_of > 0 ? as_of : (n ? p[n - 1].year : target->year - 1);
    bool change = def->kind == SIPAS_INDICATOR_CHANGE;
    if (change)
        v.base_value = base_of(p, n, target->base_from, target->base_to);
    if (n == 0) {
        v.reason = "no value";
        goto done;
    }
    const sipas_admin_point *last = &p[n - 1];
    v.latest_year = last->year;
    v.latest_figure = change ? (last->year > target->base_to ? figure_of(def, last->value,
                                                                         v.base_value) : NAN)
                             : last->value;
    if (!isnan(last->denominator) &&
        (st = sipas_wilson_interval(last->numerator, last->denominator, level, &v.latest_low,
                                    &v.latest_high, err)))
        goto done;
    if (target->year <= now) {
        const sipas_admin_point *obs = NULL;
        for (size_t i = 0; i < n; i++)
            if (p[i].year == target->year)
                obs = &p[i];
        if (obs == NULL) {
            v.verdict = SIPAS_VERDICT_NOT_OBSERVED;
        } else if (change && isnan(v.base_value)) {
            v.reason = "no value for the base year";
        } else {
            v.estimate = figure_of(def, obs->value, v.base_value);
            v.verdict = sipas_comparison_meets(v.estimate, target->threshold, target->comparison)
                            ? SIPAS_VERDICT_MET : SIPAS_VERDICT_NOT_MET;
        }
        goto done;
    }
    if (n < MIN_POINTS_FOR_TREND) {
        v.reason = "fewer than 3 yearly values";
        goto done;
    }
    bool inside = def->kind == SIPAS_INDICATOR_SHARE;
    for (size_t i = 0; i < n && inside; i++)
        inside = p[i].value > 0 && p[i].value < 1;
    projection pr = {0};
    if ((st = inside ? project_logit(p, n, target->year, level, &pr, err)
                     : project_linear(p, n, target->year, level,
                                      def->kind == SIPAS_INDICATOR_SHARE, &pr, err)))
        goto done;
    v.scale = pr.scale;
    v.slope_per_year = pr.slope;
    v.slope_low = pr.slope_low;
    v.slope_high = pr.slope_high;
    if (change && isnan(v.base_value)) {
        v.reason = "no value for the base year";
        goto done;
    }
    v.projected = true;
    v.estimate = figure_of(def, pr.estimate, v.base_value);
    v.ci_low = figure_of(def, pr.low, v.base_value);
    v.ci_high = figure_of(def, pr.high, v.base_value);
    if (sipas_comparison_meets(v.ci_low, target->threshold, target->comparison) &&
        sipas_comparison_meets(v.ci_high, target->threshold, target->comparison))
        v.verdict = SIPAS_VERDICT_ON_TRACK;
    else if (!sipas_comparison_meets(v.ci_low, target->threshold, target->comparison) &&
             !sipas_comparison_meets(v.ci_high, target->threshold, target->comparison))
        v.verdict = SIPAS_VERDICT_OFF_TRACK;
    else
        v.verdict = SIPAS_VERDICT_AT_RISK;
done:
    free(p);
    if (st == SIPAS_OK)
        *out = v;
    return st;
}
