/* src/csv_table.h - (internal) a small sheet edited by hand (targets, indicator registry,
 * indicator values), read whole: the columns wanted are found by name in the header
 * (case-insensitive, any order, extra columns ignored), every cell trimmed and copied.
 * Messages name the file, the row (the line a text editor shows) and the column:
 *   targets.csv:7: column 'year': '20x5' is not a whole year between 1990 and 2100
 * Ownership: the table owns its cells until csv_table_take hands one over. */
#ifndef SIPAS_CSV_TABLE_H
#define SIPAS_CSV_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* These sheets hold a few rows per indicator and year; anything near these caps is a wrong
 * file, and they bound the memory a bad one can take. */
#define CSV_TABLE_MAX_ROWS ((size_t)100000)
#define CSV_TABLE_MAX_FIELD ((size_t)4096)
#define CSV_TABLE_MAX_COLUMNS 16

typedef struct csv_table {
    const char *path;
    const char *const *wanted;   /* column names looked up in the header */
    size_t nwanted;              /* at most CSV_TABLE_MAX_COLUMNS */
    int column[CSV_TABLE_MAX_COLUMNS]; /* header position of each wanted column, -1 when absent */
    size_t ncols;
    size_t nrows, cap;
    char ***cells;               /* nrows x nwanted trimmed copies ("" when absent) */
    size_t *lines;               /* the file's line of each row */
} csv_table;

/* Reads t->path (any encoding and delimiter sipas_csv_read_file detects). An empty file, text
 * that is not UTF-8 after decoding, or a wanted column named twice is SIPAS_ERR_FORMAT. */
sipas_status csv_table_read(csv_table *t, sipas_error *err);
void csv_table_release(csv_table *t);
/* The first nrequired wanted columns must be in the header. */
sipas_status csv_table_require(const csv_table *t, size_t nrequired, sipas_error *err);
/* Letters, digits and '_', not starting with a digit. */
bool csv_table_is_identifier(const char *s);
/* Cell (r, c) as a number in [min, max] (a whole one when integer). */
sipas_status csv_table_number(const csv_table *t, size_t r, size_t c, double min, double max,
                              bool integer, double *out, sipas_error *err);
sipas_status csv_table_identifier(const csv_table *t, size_t r, size_t c, sipas_error *err);
/* Takes ownership of a cell (the table then frees NULL). */
char *csv_table_take(csv_table *t, size_t r, size_t c);

#endif
