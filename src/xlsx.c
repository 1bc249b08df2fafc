/* xlsx.c - a report's tables as one workbook through libxlsxwriter (contract in sipas/xlsx.h). */
#include "sipas/xlsx.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "sipas/atomic_file.h"

/* Formats of one workbook: per value kind, plain and suppressed (grey italic). */
typedef struct formats {
    lxw_format *caption, *header, *text, *text_strong, *note;
    lxw_format *value[SIPAS_REPORT_YEAR + 1][3]; /* [kind][0 plain, 1 suppressed, 2 strong] */
} formats;

static const char *number_format(sipas_report_kind kind)
{
    switch (kind) {
    case SIPAS_REPORT_PERCENT: return "0.00%";
    case SIPAS_REPORT_POINTS: return "+0.00;-0.00;0.00";
    case SIPAS_REPORT_DECIMAL: return "0.00";
    case SIPAS_REPORT_P_VALUE: return "0.000";
    case SIPAS_REPORT_COUNT:
    case SIPAS_REPORT_YEAR: return "0";
    case SIPAS_REPORT_TEXT: break;
    }
    return "General";
}

static bool make_formats(lxw_workbook *wb, formats *f)
{
    memset(f, 0, sizeof *f);
    if ((f->caption = workbook_add_format(wb)) == NULL || (f->header = workbook_add_format(wb)) == NULL ||
        (f->text = workbook_add_format(wb)) == NULL ||
        (f->text_strong = workbook_add_format(wb)) == NULL || (f->note = workbook_add_format(wb)) == NULL)
        return false;
    format_set_bold(f->caption);
    format_set_font_size(f->caption, 12);
    format_set_bold(f->header);
    format_set_text_wrap(f->header);
    format_set_bg_color(f->header, 0xE8EDF5);
    format_set_border(f->header, LXW_BORDER_THIN);
    format_set_align(f->header, LXW_ALIGN_VERTICAL_TOP);
    format_set_bold(f->text_strong);
    format_set_italic(f->note);
    format_set_font_color(f->note, 0x4A5263);
    for (int k = SIPAS_REPORT_PERCENT; k <= SIPAS_REPORT_YEAR; k++)
        for (int v = 0; v < 3; v++) {
            lxw_format *x = workbook_add_format(wb);
            if (x == NULL)
                return false;
            format_set_num_format(x, number_format((sipas_report_kind)k));
            if (v == 1) {
                format_set_italic(x);
                format_set_font_color(x, 0x9AA0A8);
            } else if (v == 2) {
                format_set_bold(x);
            }
            f->value[k][v] = x;
        }
    return true;
}

/* Display width in characters of UTF-8 text, for column widths. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

/* Writes one table; returns the first libxlsxwriter error or LXW_NO_ERROR. */
static lxw_error write_sheet(lxw_workbook *wb, const formats *f, const sipas_report_table *t,
                             sipas_report_lang lang, const char **failed_sheet)
{
    *failed_sheet = sipas_report_table_sheet(t);
    lxw_worksheet *ws = workbook_add_worksheet(wb, sipas_report_table_sheet(t));
    if (ws == NULL)
        return LXW_ERROR_SHEETNAME_ALREADY_USED; /* or an invalid name: the message says which */
    lxw_error e = worksheet_write_string(ws, 0, 0, sipas_report_table_caption(t), f->caption);
    size_t ncol = sipas_report_table_columns(t), nrow = sipas_report_table_rows(t);
    bool any_suppressed = false;
    for (size_t c = 0; c < ncol && e == LXW_NO_ERROR; c++) {
        const sipas_report_column *col = sipas_report_table_column(t, c);
        e = worksheet_write_string(ws, 2, (lxw_col_t)c, col->header, f->header);
        /* Text columns as wide as their longest entry (capped), numbers a fixed width. */
        size_t width = col->kind == SIPAS_REPORT_TEXT ? 8 : 11;
        if (col->kind == SIPAS_REPORT_TEXT)
            for (size_t r = 0; r < nrow; r++) {
                size_t w = text_width(sipas_report_cell_text(t, r, c));
                if (w > width)
                    width = w;
            }
        if (width > 60)
            width = 60;
        if (e == LXW_NO_ERROR)
            e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, (double)width + 2, NULL);
    }
    if (e == LXW_NO_ERROR)
        e = worksheet_set_row(ws, 2, 45, NULL);
    for (size_t r = 0; r < nrow && e == LXW_NO_ERROR; r++) {
        bool strong = (sipas_report_table_row_marks(t, r) & SIPAS_REPORT_STRONG) != 0;
        lxw_row_t row = (lxw_row_t)(3 + r);
        for (size_t c = 0; c < ncol && e == LXW_NO_ERROR; c++) {
            sipas_report_kind kind = sipas_report_table_column(t, c)->kind;
            if (kind == SIPAS_REPORT_TEXT) {
                const char *text = sipas_report_cell_text(t, r, c);
                if (text && *text)
                    e = worksheet_write_string(ws, row, (lxw_col_t)c, text,
                                               strong ? f->text_strong : f->text);
                continue;
            }
            double v = sipas_report_cell_value(t, r, c);
            if (!isfinite(v))
                continue;
            unsigned marks = sipas_report_cell_marks(t, r, c);
            int variant = (marks & SIPAS_REPORT_SUPPRESSED) ? 1 : strong ? 2 : 0;
            any_suppressed |= variant == 1;
            /* Percentages stay proportions under a % format; points are stored as points. */
            double stored = kind == SIPAS_REPORT_POINTS ? 100.0 * v : v;
            e = worksheet_write_number(ws, row, (lxw_col_t)c, stored, f->value[kind][variant]);
        }
    }
    lxw_row_t below = (lxw_row_t)(3 + nrow + 1);
    const char *footnote = sipas_report_table_footnote(t);
    if (e == LXW_NO_ERROR && footnote)
        e = worksheet_write_string(ws, below++, 0, footnote, f->note);
    if (e == LXW_NO_ERROR && any_suppressed)
        e = worksheet_write_string(ws, below, 0, lang == SIPAS_REPORT_VI
            ? "Giá trị in nghiêng màu xám không đủ tin cậy để công bố theo chuẩn NCHS (2017); "
              "vẫn giữ để minh bạch."
            : "Grey italic values are not reliable enough to publish under the NCHS (2017) "
              "standards; they are kept for transparency.", f->note);
    if (e == LXW_NO_ERROR)
        worksheet_freeze_panes(ws, 3, 0);
    return e;
}

sipas_status sipas_xlsx_write_report(const sipas_report *report, const char *path,
                                     sipas_error *err)
{
    sipas_status st = sipas_report_status(report, err);
    if (st != SIPAS_OK)
        return st;
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no path for the workbook");
    size_t ntables = sipas_report_table_count(report);
    if (ntables == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the report has no table to write to '%s'",
                               path);
    sipas_atomic_file *file = NULL;
    if ((st = sipas_atomic_file_open(path, &file, err)) != SIPAS_OK)
        return st;
    /* libxlsxwriter writes the file by name: the temporary, renamed onto path on success. */
    lxw_workbook *wb = workbook_new(sipas_atomic_file_write_path(file));
    if (wb == NULL) {
        sipas_atomic_file_discard(file);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "cannot start the workbook '%s'", path);
    }
    formats f;
    lxw_error e = make_formats(wb, &f) ? LXW_NO_ERROR : LXW_ERROR_MEMORY_MALLOC_FAILED;
    const char *sheet = NULL;
    for (size_t i = 0; i < ntables && e == LXW_NO_ERROR; i++)
        e = write_sheet(wb, &f, sipas_report_table_at(report, i), sipas_report_language(report),
                        &sheet);
    /* workbook_close writes the file and frees the workbook whether or not a sheet failed. */
    lxw_error closed = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        sipas_atomic_file_discard(file);
        return sipas_error_set(err, e == LXW_ERROR_MEMORY_MALLOC_FAILED ? SIPAS_ERR_NOMEM : SIPAS_ERR_IO,
                               "cannot write '%s': sheet '%s': %s", path, sheet ? sheet : "",
                               lxw_strerror(e));
    }
    if (closed != LXW_NO_ERROR) {
        sipas_atomic_file_discard(file);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", path,
                               lxw_strerror(closed));
    }
    return sipas_atomic_file_commit(file, err);
}
