/* src/table_source.h (private to the library) - rows of a data file in any of the formats people
 * have, one reader.
 *
 * Import and check read every batch through a table source, so that a row from an Excel sheet,
 * an SPSS or Stata file and a CSV file is validated by the same rules with the same messages.
 * The format is taken from the file's first bytes, never from its name alone:
 *   "PK\3\4" (a zip archive)     .xlsx (xl/workbook.xml inside) or .ods (mimetype
 *                                 application/vnd.oasis.opendocument.spreadsheet)
 *   D0 CF 11 E0 A1 B1 1A E1      .xls (OLE2 compound file, Excel 97-2003 BIFF8)
 *   "$FL2" / "$FL3"              SPSS .sav / .zsav
 *   "<stata_dta>", or a first byte 0x69-0x73 followed by byte order 1 or 2
 *                                Stata .dta (format 117-119, and 105-115)
 *   the 32-byte SAS magic number SAS .sas7bdat
 *   "HEADER RECORD*******LIB"    SAS transport .xpt (versions 5 and 8)
 *   anything else                CSV (sipas/csv_reader.h)
 *
 * Each row reaches row_fn as text, so the validator needs to know no format:
 *   - numbers in their shortest form that reads back exactly; an integer-valued number as the
 *     integer ("4", never "4.0"); cells formatted as dates as ISO 8601 "2024-05-31" (with
 *     " HH:MM:SS" when the time is not midnight); booleans as "1" and "0"; empty cells and
 *     system-missing values as "";
 *   - spreadsheets: the first sheet, or options->sheet; the header is the first row that holds a
 *     value; empty rows are skipped; a row is as wide as the header, or as far as its last value
 *     when that lies further right; errors such as #N/A as written;
 *   - SPSS, Stata and SAS: row 0 names the variables; a labelled value carries its label and a
 *     user-defined missing value (SPSS missing values, Stata .a-.z) carries that mark too,
 *     read during the callback with sipas_table_source_cell_label/_declared_missing.
 * Row numbers are what the user sees: the line of a CSV file, the row of the sheet, and for
 * SPSS, Stata and SAS the case number (the header being row 0 there).
 *
 * Messages name the place as the user sees it: "FILE:ROW" (CSV), "FILE[Sheet1]:ROW" with the cell
 * "D12" (spreadsheets), "FILE:case N" (SPSS, Stata, SAS); see sipas_table_source_where.
 *
 * Ownership: the source owns its copies of the path, name and sheet; field pointers given to
 * row_fn are valid only during the call. */
#ifndef SIPAS_TABLE_SOURCE_H
#define SIPAS_TABLE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/csv_reader.h"
#include "sipas/error.h"
#include "sipas/instrument.h"

typedef enum {
    SIPAS_TABLE_CSV = 0,
    SIPAS_TABLE_XLSX,
    SIPAS_TABLE_ODS,
    SIPAS_TABLE_XLS,
    SIPAS_TABLE_SAV,
    SIPAS_TABLE_DTA,
    SIPAS_TABLE_SAS7BDAT,
    SIPAS_TABLE_XPT
} sipas_table_format;

typedef struct sipas_table_options {
    const char *sheet;              /* spreadsheets: the sheet to read; NULL: the first */
    sipas_csv_progress_fn progress; /* may be NULL; bytes done of the file's size */
    void *progress_ctx;
    volatile const int *stop_flag;  /* nonzero: stop with SIPAS_ERR_INTERRUPTED */
    sipas_encoding encoding;        /* CSV only: 0 (SIPAS_ENCODING_DETECT) detects it */
} sipas_table_options;

typedef struct sipas_table_source sipas_table_source;

/* The format of the file's content (see above). An unreadable file is SIPAS_ERR_IO. */
sipas_status sipas_table_detect(const char *path, sipas_table_format *format, sipas_error *err);

/* A short name of a format: "csv", "xlsx", "ods", "xls", "sav", "dta", "sas7bdat", "xpt". */
const char *sipas_table_format_name(sipas_table_format format);

/* Opens path (the format detected); display_name is the file's name in messages (NULL: path).
 * options may be NULL. Nothing is read beyond the first bytes until sipas_table_source_read. */
sipas_status sipas_table_source_open(const char *path, const char *display_name,
                                     const sipas_table_options *options,
                                     sipas_table_source **out, sipas_error *err);

/* Calls row_fn once per row, header first. A status other than SIPAS_OK from row_fn stops the
 * reading and is returned (with the err row_fn filled). Also hashes the file's bytes. */
sipas_status sipas_table_source_read(sipas_table_source *source, sipas_csv_row_fn row_fn,
                                     void *ctx, sipas_error *err);

sipas_table_format sipas_table_source_format(const sipas_table_source *source);
/* SHA-256 of the file's bytes, 64 hex digits; "" until sipas_table_source_read has finished. */
const char *sipas_table_source_sha256(const sipas_table_source *source);
/* The CSV delimiter in use; 0 for the other formats. */
char sipas_table_source_delimiter(const sipas_table_source *source);
/* The text encoding the file was read in (CSV: detected or given; other formats: UTF-8). */
sipas_encoding sipas_table_source_encoding(const sipas_table_source *source);
/* Whether a text cell may write a decimal comma ("1,5"): not where ',' separates fields. */
bool sipas_table_source_decimal_comma(const sipas_table_source *source);

/* "FILE:ROW", "FILE[SHEET]:ROW" or "FILE:case ROW"; row 0 names the whole: "FILE",
 * "FILE[SHEET]" (SPSS/Stata variable names are row 0 too). Always NUL-terminated within size. */
void sipas_table_source_where(const sipas_table_source *source, size_t row, char *buf,
                              size_t size);
/* The spreadsheet cell of field (0-based) in row, e.g. "D12"; false (buf "") for formats
 * without cells. */
bool sipas_table_source_cell(const sipas_table_source *source, size_t row, size_t field,
                             char *buf, size_t size);

/* During row_fn: the value label of a field (NULL when the value has none) and whether the
 * file declares the value missing (SPSS user-missing, Stata .a-.z). */
const char *sipas_table_source_cell_label(const sipas_table_source *source, size_t field);
/* During row_fn: whether a spreadsheet cell's text is a date its format made of a number (a
 * year typed in a column formatted as dates reads "1905-07-11"), so a message can say so. */
bool sipas_table_source_cell_is_date(const sipas_table_source *source, size_t field);
bool sipas_table_source_cell_declared_missing(const sipas_table_source *source, size_t field);

/* The choice a labelled value stands for: code_match (the choice whose code is the value, or
 * NULL) unless the label names another choice of the list, in which case that one (the codes
 * of the file differ from the instrument's); a declared-missing value must land on a choice
 * with a missing kind. Returns NULL, with reason filled, when no choice fits. */
const sipas_choice *sipas_table_match_labelled(const sipas_choice_list *list,
                                               const sipas_choice *code_match, const char *label,
                                               bool declared_missing, char *reason,
                                               size_t reason_size);

void sipas_table_source_free(sipas_table_source *source); /* NULL is a no-op */

#endif
