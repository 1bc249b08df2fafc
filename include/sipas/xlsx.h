/* sipas/xlsx.h - the tables of a report (sipas/report.h) as one Excel workbook (.xlsx, Office
 * Open XML), through libxlsxwriter (Debian package libxlsxwriter-dev); this module is the only
 * one that knows it.
 *
 * One worksheet per table, named by the table's sheet name, in the report's order. Each sheet:
 * row 1 the caption (bold), row 3 the column headers (in the report's language), then one row
 * per table row, the header row frozen; under the rows the table's footnote and, when a value
 * is suppressed, what the grey italics mean. Numbers stay numbers:
 *   PERCENT  the proportion with the format 0.00% (Excel shows 87.07% or 87,07% by locale)
 *   POINTS   percentage points with the format +0.00;-0.00;0.00
 *   COUNT, YEAR  whole numbers (format 0); DECIMAL 0.00; P_VALUE 0.000
 * NaN values are empty cells. Suppressed values are grey italics (the number is kept, as in
 * the HTML); values marked for review keep the plain format, a table's flags column names them.
 *
 * The workbook is written to a temporary file beside path and renamed onto it on success. */
#ifndef SIPAS_XLSX_H
#define SIPAS_XLSX_H

#include "sipas/error.h"
#include "sipas/report.h"

/* Errors: the report's own (sipas_report_status) first; SIPAS_ERR_USAGE for a report without
 * tables; SIPAS_ERR_IO when the file cannot be written (libxlsxwriter's reason in the
 * message); SIPAS_ERR_NOMEM. */
sipas_status sipas_xlsx_write_report(const sipas_report *report, const char *path,
                                     sipas_error *err);

#endif
