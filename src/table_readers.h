/* src/table_readers.h - what the format readers behind src/table_source.h share (private).
 *
 * Each reader lives in its own module with its third-party header: zip_sheet.c (libzip and
 * expat: .xlsx, .ods), xls_sheet.c (freexl: .xls), stat_file.c (ReadStat: .sav, .zsav, .dta, .sas7bdat, .xpt).
 * A reader delivers rows through table_emit; spreadsheet readers collect a row's cells in a
 * table_row_buf first. */
#ifndef SIPAS_TABLE_READERS_H
#define SIPAS_TABLE_READERS_H

#include <stdbool.h>
#include <stddef.h>

#include "table_source.h"

/* Excel's last column is XFD: a cell reference further right is refused, not allocated. */
#define TABLE_MAX_COLUMNS 16384
/* Longest cell text kept (Excel's own limit is 32767 characters). */
#define TABLE_MAX_CELL_BYTES ((size_t)1 << 20)

struct sipas_table_source {
    sipas_table_format format;
    char *path;
    char *name;                 /* in messages */
    char *sheet;                /* the sheet asked for, or NULL */
    char *sheet_name;           /* the sheet read, for messages; set by the spreadsheet readers */
    sipas_table_options opt;
    sipas_csv_row_fn row_fn;
    void *ctx;
    char sha256[65];
    char delimiter;
    sipas_encoding encoding;  /* CSV: the encoding read (detected or given) */
    /* the row being delivered */
    char *const *labels;
    const bool *declared_missing;
    const bool *dated;          /* spreadsheets: cells shown as dates */
    size_t nfields;
};

/* Delivers one row to the caller's row_fn; labels and declared_missing may be NULL. Checks the
 * stop flag first. */
sipas_status table_emit(sipas_table_source *source, size_t row, size_t nfields,
                        char *const *fields, const size_t *lengths, char *const *labels,
                        const bool *declared_missing, sipas_error *err);

/* Reports progress (bytes done of total) when the caller asked for it. */
void table_progress(const sipas_table_source *source, uint64_t done, uint64_t total);

/* The shortest decimal text that reads back as v: integers without a fraction ("4"), others
 * with up to 17 significant digits. buf holds at least 40 bytes. */
void table_format_number(double v, char *buf, size_t size);

/* A spreadsheet date serial (days since 1899-12-30, or since 1904-01-01 when date1904) as
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS". False for a serial outside years 1900-9999. */
bool table_format_date(double serial, bool date1904, char *buf, size_t size);

/* Column letters of a 0-based column index ("A", "Z", "AA", ...). */
void table_column_letters(size_t column, char *buf, size_t size);

/* The cells of one spreadsheet row, by 0-based column. */
typedef struct table_row_buf {
    char **fields;
    size_t *lengths;
    size_t *caps;
    bool *dated;         /* the cell is a date shown as one (a number formatted as a date) */
    size_t cap;          /* allocated columns */
    size_t used;         /* 1 + the rightmost column set in this row (0: empty row) */
    size_t width;        /* the header's width; 0 before the header */
} table_row_buf;

/* Sets the cell at column (0-based) to text; an empty text leaves the cell empty. is_date: the
 * text is a date the cell's format made of a number (see sipas_table_source_cell_is_date). */
sipas_status table_row_set(table_row_buf *buf, size_t column, const char *text, size_t len,
                           bool is_date, sipas_error *err);
/* Delivers the row (skipped when it holds no value) padded to the header's width, then empties
 * the buffer for the next row. */
sipas_status table_row_emit(sipas_table_source *source, table_row_buf *buf, size_t row,
                            sipas_error *err);
void table_row_free(table_row_buf *buf);

/* The readers. Each reads source->path and calls table_emit for every row. */
sipas_status table_read_zip_sheet(sipas_table_source *source, sipas_error *err); /* xlsx, ods */
sipas_status table_read_xls(sipas_table_source *source, sipas_error *err);
sipas_status table_read_stat_file(sipas_table_source *source, sipas_error *err); /* sav dta sas */

#endif
