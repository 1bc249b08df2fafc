/* tests/write_table_fixture.c - writes a CSV file as .xlsx (libxlsxwriter) or .sav/.dta
 * (ReadStat's writer), so that the tests read files made by the tools people's files come
 * from, not by our own writer.
 *
 *   write_table_fixture xlsx IN.csv OUT.xlsx [--sheet NAME] [--date-column NAME] [--merge-header]
 *   write_table_fixture sav|zsav|dta|sas7bdat|xpt IN.csv OUT
 *   write_table_fixture xlsx-sheets OUT.xlsx NAME=IN.csv...   (one sheet per CSV, e.g. an XLSForm)
 *
 * xlsx: a cell that reads fully as a number is written as a number, others as (shared)
 * strings; --date-column writes that column's ISO dates (YYYY-MM-DD) as Excel dates with a
 * date format, and numbers in it as date serials; --merge-header inserts a title row merged over
 * the first three columns above the header (as reports typed by hand often have); the workbook
 * gets a second sheet "Notes" so that the sheet choice matters.
 * sav/zsav/dta/sas7bdat/xpt: a column whose every non-empty value is a number is a numeric
 * variable (empty cells system-missing), others strings as wide as their longest value. */
#include <errno.h>
#include <readstat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "sipas/csv_reader.h"

typedef struct table {
    size_t ncols, nrows, cap;
    char **cells; /* row-major, nrows x ncols */
} table;

static sipas_status on_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                           const size_t *lengths, sipas_error *err)
{
    (void)row;
    (void)lengths;
    table *t = ctx;
    if (t->ncols == 0)
        t->ncols = nfields;
    if (nfields != t->ncols)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "ragged row");
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->cells = realloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
        if (t->cells == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < nfields; j++)
        if ((t->cells[t->nrows * t->ncols + j] = strdup(fields[j])) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    t->nrows++;
    return SIPAS_OK;
}

static bool as_number(const char *s, double *v)
{
    if (*s == '\0')
        return false;
    char *end = NULL;
    *v = strtod(s, &end);
    return *end == '\0';
}

static lxw_workbook *new_workbook(const char *out)
{
    lxw_workbook *wb = workbook_new(out);
    /* a fixed creation time, so that the same input gives the same bytes */
    lxw_doc_properties properties = {.created = 1704067200}; /* 2024-01-01 00:00 UTC */
    if (wb)
        workbook_set_properties(wb, &properties);
    return wb;
}

static void write_sheet(lxw_workbook *wb, lxw_worksheet *ws, const table *t,
                        const char *date_column, bool merge_header);

static int write_xlsx(const table *t, const char *out, const char *sheet, const char *date_column,
                      bool merge_header)
{
    lxw_workbook *wb = new_workbook(out);
    if (wb == NULL)
        return 1;
    lxw_worksheet *ws = workbook_add_worksheet(wb, sheet);
    workbook_add_worksheet(wb, "Notes");
    write_sheet(wb, ws, t, date_column, merge_header);
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}

static void write_sheet(lxw_workbook *wb, lxw_worksheet *ws, const table *t,
                        const char *date_column, bool merge_header)
{
    lxw_format *date_format = workbook_add_format(wb);
    format_set_num_format(date_format, "dd/mm/yyyy");
    lxw_row_t offset = 0;
    if (merge_header) {
        worksheet_merge_range(ws, 0, 0, 0, 2, "Phiếu khảo sát", NULL);
        offset = 1;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            double v;
            bool dated = r > 0 && date_column && strcmp(t->cells[c], date_column) == 0;
            lxw_datetime dt;
            if (*s == '\0')
                continue;
            if (dated && sscanf(s, "%d-%d-%d", &dt.year, &dt.month, &dt.day) == 3) {
                dt.hour = dt.min = 0;
                dt.sec = 0;
                worksheet_write_datetime(ws, (lxw_row_t)r + offset, (lxw_col_t)c, &dt, date_format);
            } else if (r > 0 && as_number(s, &v)) {
                worksheet_write_number(ws, (lxw_row_t)r + offset, (lxw_col_t)c, v,
                                       dated ? date_format : NULL);
            } else {
                worksheet_write_string(ws, (lxw_row_t)r + offset, (lxw_col_t)c, s, NULL);
            }
        }
    }
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* xlsx-sheets OUT NAME=CSV...: one sheet per CSV file. */
static int write_sheets(int argc, char **argv)
{
    lxw_workbook *wb = new_workbook(argv[2]);
    if (wb == NULL)
        return 1;
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "write_table_fixture: expected NAME=FILE.csv, got '%s'\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        table t = {0};
        sipas_error err = {0};
        if (sipas_csv_read_file(eq + 1, NULL, on_row, &t, NULL, NULL, NULL, &err) != SIPAS_OK) {
            fprintf(stderr, "write_table_fixture: %s\n", err.message);
            return 1;
        }
        write_sheet(wb, workbook_add_worksheet(wb, argv[i]), &t, NULL, false);
        table_free(&t);
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}

static ssize_t write_bytes(const void *bytes, size_t len, void *ctx)
{
    return fwrite(bytes, 1, len, ctx) == len ? (ssize_t)len : -1;
}

static int write_stat(const table *t, const char *out, const char *format)
{
    FILE *f = fopen(out, "wb");
    if (f == NULL)
        return 1;
    readstat_writer_t *w = readstat_writer_init();
    readstat_set_data_writer(w, write_bytes);
    readstat_variable_t **vars = calloc(t->ncols, sizeof *vars);
    bool *numeric = calloc(t->ncols, sizeof *numeric);
    for (size_t c = 0; c < t->ncols; c++) {
        size_t width = 1;
        numeric[c] = true;
        for (size_t r = 1; r < t->nrows; r++) {
            const char *s = t->cells[r * t->ncols + c];
            double v;
            if (*s && !as_number(s, &v))
                numeric[c] = false;
            if (strlen(s) > width)
                width = strlen(s);
        }
        vars[c] = readstat_add_variable(w, t->cells[c], numeric[c] ? READSTAT_TYPE_DOUBLE
                                                                  : READSTAT_TYPE_STRING,
                                        numeric[c] ? 0 : width);
    }
    long n = (long)t->nrows - 1;
    readstat_error_t rc;
    if (strcmp(format, "zsav") == 0)
        readstat_writer_set_compression(w, READSTAT_COMPRESS_BINARY);
    if (strcmp(format, "dta") == 0)
        rc = readstat_begin_writing_dta(w, f, n);
    else if (strcmp(format, "sas7bdat") == 0)
        rc = readstat_begin_writing_sas7bdat(w, f, n);
    else if (strcmp(format, "xpt") == 0)
        rc = readstat_begin_writing_xport(w, f, n);
    else
        rc = readstat_begin_writing_sav(w, f, n);
    for (size_t r = 1; r < t->nrows && rc == READSTAT_OK; r++) {
        rc = readstat_begin_row(w);
        for (size_t c = 0; c < t->ncols && rc == READSTAT_OK; c++) {
            const char *s = t->cells[r * t->ncols + c];
            double v;
            if (!numeric[c])
                rc = readstat_insert_string_value(w, vars[c], s);
            else if (as_number(s, &v))
                rc = readstat_insert_double_value(w, vars[c], v);
            else
                rc = readstat_insert_missing_value(w, vars[c]);
        }
        if (rc == READSTAT_OK)
            rc = readstat_end_row(w);
    }
    if (rc == READSTAT_OK)
        rc = readstat_end_writing(w);
    if (rc != READSTAT_OK)
        fprintf(stderr, "write_table_fixture: %s\n", readstat_error_message(rc));
    readstat_writer_free(w);
    free(vars);
    free(numeric);
    return fclose(f) == 0 && rc == READSTAT_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: write_table_fixture xlsx|sav|dta IN.csv OUT [options]\n"
                        "       write_table_fixture xlsx-sheets OUT.xlsx NAME=IN.csv...\n");
        return 2;
    }
    if (strcmp(argv[1], "xlsx-sheets") == 0)
        return write_sheets(argc, argv);
    const char *sheet = "Sheet1", *date_column = NULL;
    bool merge_header = false;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--sheet") == 0 && i + 1 < argc)
            sheet = argv[++i];
        else if (strcmp(argv[i], "--date-column") == 0 && i + 1 < argc)
            date_column = argv[++i];
        else if (strcmp(argv[i], "--merge-header") == 0)
            merge_header = true;
        else {
            fprintf(stderr, "write_table_fixture: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    table t = {0};
    sipas_error err = {0};
    if (sipas_csv_read_file(argv[2], NULL, on_row, &t, NULL, NULL, NULL, &err) != SIPAS_OK) {
        fprintf(stderr, "write_table_fixture: %s\n", err.message);
        return 1;
    }
    int rc;
    if (strcmp(argv[1], "xlsx") == 0)
        rc = write_xlsx(&t, argv[3], sheet, date_column, merge_header);
    else if (strcmp(argv[1], "sav") == 0 || strcmp(argv[1], "zsav") == 0 ||
             strcmp(argv[1], "dta") == 0 || strcmp(argv[1], "sas7bdat") == 0 ||
             strcmp(argv[1], "xpt") == 0)
        rc = write_stat(&t, argv[3], argv[1]);
    else {
        fprintf(stderr, "write_table_fixture: unknown format '%s'\n", argv[1]);
        rc = 2;
    }
    table_free(&t);
    return rc;
}
