/* tests/fixture_table.h - reading the CSV fixtures that R scripts write, and comparing with
 * them; shared by the tests of the statistics modules. Include after cmocka.h; define
 * FIXTURE_DIR (with its trailing slash) before including. Fixtures are plain CSV without quotes,
 * "NA" for R's missing values. */
#ifndef SIPAS_TEST_FIXTURE_TABLE_H
#define SIPAS_TEST_FIXTURE_TABLE_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipas/estimate.h"

#ifndef MAX_COLS
#define MAX_COLS 64
#endif

/* ------------------------------------------------------------------ a tiny CSV table */

typedef struct table {
    size_t ncols, nrows;
    char *names[MAX_COLS];
    char ***cells; /* nrows x ncols, strings */
} table;

static inline void split_line(char *line, char **fields, size_t *nfields)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    for (;;) {
        assert_true(n < MAX_COLS);
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    *nfields = n;
}

static inline table *table_read(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", FIXTURE_DIR, name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot open '%s'", path);
    table *t = calloc(1, sizeof *t);
    assert_non_null(t);
    char *line = NULL;
    size_t cap = 0, alloc_rows = 0;
    bool header = true;
    while (getline(&line, &cap, fp) > 0) {
        char *fields[MAX_COLS];
        size_t nf;
        split_line(line, fields, &nf);
        if (header) {
            t->ncols = nf;
            for (size_t j = 0; j < nf; j++)
                t->names[j] = strdup(fields[j]);
            header = false;
            continue;
        }
        assert_int_equal(nf, t->ncols);
        if (t->nrows == alloc_rows) {
            alloc_rows = alloc_rows ? alloc_rows * 2 : 64;
            t->cells = realloc(t->cells, alloc_rows * sizeof *t->cells);
            assert_non_null(t->cells);
        }
        char **row = calloc(nf, sizeof *row);
        assert_non_null(row);
        for (size_t j = 0; j < nf; j++)
            row[j] = strdup(fields[j]);
        t->cells[t->nrows++] = row;
    }
    free(line);
    fclose(fp);
    return t;
}

static inline void table_free(table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++)
            free(t->cells[i][j]);
        free(t->cells[i]);
    }
    for (size_t j = 0; j < t->ncols; j++)
        free(t->names[j]);
    free(t->cells);
    free(t);
}

static inline size_t table_col(const table *t, const char *name)
{
    for (size_t j = 0; j < t->ncols; j++)
        if (strcmp(t->names[j], name) == 0)
            return j;
    fail_msg("no column '%s'", name);
    return 0;
}

static inline const char *cell_of(const table *t, size_t row, const char *col)
{
    return t->cells[row][table_col(t, col)];
}

static inline double num(const char *s)
{
    if (strcmp(s, "NA") == 0)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s)
        fail_msg("not a number: '%s'", s);
    return v;
}

/* ------------------------------------------------------------------ comparisons */

static int g_checks;

static inline void expect_close(double got, double want, double rel, const char *what,
                         const char *context)
{
    g_checks++;
    if (isnan(want)) {
        if (!isnan(got))
            fail_msg("%s: %s: R gives NA, got %.17g", context, what, got);
        return;
    }
    /* Quantities that are 0 in exact arithmetic (the SE of a domain inside one PSU) come out
     * as rounding noise of 1e-17 or so, in R as here: below 1e-15 both are zero. */
    if (fabs(want) < 1e-15 && fabs(got) < 1e-15)
        return;
    double tol = rel * fabs(want);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: %s: got %.17g, R %.17g (rel diff %.3g)", context, what, got, want,
                 fabs(got - want) / fabs(want));
}

static inline sipas_lonely_psu rule_of(const char *name)
{
    static const char *const names[] = {"fail", "remove", "certainty", "adjust", "average"};
    for (size_t r = 0; r < 5; r++)
        if (strcmp(names[r], name) == 0)
            return (sipas_lonely_psu)r;
    fail_msg("unknown rule '%s'", name);
    return SIPAS_LONELY_FAIL;
}

#endif
