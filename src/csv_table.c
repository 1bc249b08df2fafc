/* The small hand-edited sheets (targets, indicator registry, indicator values) read whole into
 * trimmed cells found by column name (src/csv_table.h), so that targets.c and indicators.c
 * check values, not CSV syntax; messages name the file, the line and the column.
 * Owns: each table's cells until csv_table_take hands one to the caller. */
#include "csv_table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipas/csv_reader.h"
#include "text.h"

void csv_table_release(csv_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->nwanted; c++)
            free(t->cells[r][c]);
        free(t->cells[r]);
    }
    free(t->cells);
    free(t->lines);
}

static char *copy_text(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static sipas_status table_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                              const size_t *lengths, sipas_error *err)
{
    csv_table *t = ctx;
    for (size_t f = 0; f < nfields; f++) {
        size_t bad;
        if (!sipas_utf8_valid(fields[f], lengths[f], &bad))
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: field %zu is not UTF-8 (byte "
                                   "%zu); save the file as UTF-8", t->path, row, f + 1, bad + 1);
    }
    if (t->ncols == 0) {
        t->ncols = nfields;
        for (size_t c = 0; c < t->nwanted; c++) {
            t->column[c] = -1;
            for (size_t f = 0; f < nfields; f++) {
                size_t start, n;
                sipas_text_trim(fields[f], lengths[f], &start, &n);
                if (n == strlen(t->wanted[c]) &&
                    strncasecmp(fields[f] + start, t->wanted[c], n) == 0) {
                    if (t->column[c] >= 0)
                        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: column '%s' appears "
                                               "twice", t->path, row, t->wanted[c]);
                    t->column[c] = (int)f;
                }
            }
        }
        return SIPAS_OK;
    }
    if (t->nrows == CSV_TABLE_MAX_ROWS)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "%s:%zu: more than %zu rows; is this the "
                               "right file?", t->path, row, CSV_TABLE_MAX_ROWS);
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char ***cells = realloc(t->cells, cap * sizeof *cells);
        if (cells == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        t->cells = cells;
        size_t *lines = realloc(t->lines, cap * sizeof *lines);
        if (lines == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        t->lines = lines;
        t->cap = cap;
    }
    char **cells = calloc(t->nwanted, sizeof *cells);
    if (cells == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    t->cells[t->nrows] = cells;
    t->lines[t->nrows] = row;
    t->nrows++;
    for (size_t c = 0; c < t->nwanted; c++) {
        const char *s = "";
        size_t start = 0, n = 0;
        if (t->column[c] >= 0 && (size_t)t->column[c] < nfields) {
            s = fields[t->column[c]];
            sipas_text_trim(s, lengths[t->column[c]], &start, &n);
        }
        if ((cells[c] = copy_text(s + start, n)) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    return SIPAS_OK;
}

sipas_status csv_table_read(csv_table *t, sipas_error *err)
{
    if (t->nwanted > CSV_TABLE_MAX_COLUMNS)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: more than %d columns wanted", t->path,
                               CSV_TABLE_MAX_COLUMNS);
    sipas_csv_options options = {.max_field_bytes = CSV_TABLE_MAX_FIELD};
    sipas_status st = sipas_csv_read_file(t->path, &options, table_row, t, NULL, NULL, NULL, err);
    if (st != SIPAS_OK)
        return st;
    if (t->ncols == 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: empty file; the first row names the "
                               "columns", t->path);
    return SIPAS_OK;
}

sipas_status csv_table_require(const csv_table *t, size_t nrequired, sipas_error *err)
{
    for (size_t c = 0; c < nrequired; c++)
        if (t->column[c] < 0)
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:1: no column '%s'", t->path,
                                   t->wanted[c]);
    return SIPAS_OK;
}

bool csv_table_is_identifier(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

sipas_status csv_table_number(const csv_table *t, size_t r, size_t c, double min, double max,
                                 bool integer, double *out, sipas_error *err)
{
    const char *s = t->cells[r][c];
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max ||
        (integer && v != floor(v)))
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column '%s': '%s' is not %s "
                               "between %g and %g", t->path, t->lines[r], t->wanted[c], s,
                               integer ? "a whole year" : "a number", min, max);
    *out = v;
    return SIPAS_OK;
}

sipas_status csv_table_identifier(const csv_table *t, size_t r, size_t c, sipas_error *err)
{
    if (!csv_table_is_identifier(t->cells[r][c]))
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s:%zu: column '%s': '%s' is not a name "
                               "of letters, digits and '_'", t->path, t->lines[r], t->wanted[c],
                               t->cells[r][c]);
    return SIPAS_OK;
}

char *csv_table_take(csv_table *t, size_t r, size_t c)
{
    char *s = t->cells[r][c];
    t->cells[r][c] = NULL;
    return s;
}

