/* src/xls_sheet.c - rows of a legacy Excel 97-2003 .xls sheet (BIFF8) through FreeXL.
 *
 * FreeXL reads the whole workbook when it opens it (an .xls is at most 65536 rows) and gives
 * each cell typed: integers and doubles (shown by table_format_number, so 4.0 is "4"), text
 * (converted to UTF-8 from the workbook's code page), and dates, date-times and times already
 * as "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" and "HH:MM:SS". A date-time at midnight is shown as
 * its date, as the .xlsx reader does. */
#include <freexl.h>
#include <stdio.h>
#include <string.h>

#include "table_readers.h"

static const char *freexl_reason(int rc)
{
    switch (rc) {
    case FREEXL_FILE_NOT_FOUND: return "the file is not there";
    case FREEXL_INSUFFICIENT_MEMORY: return "out of memory";
    case FREEXL_BIFF_INVALID_BOF:
    case FREEXL_CFBF_INVALID_SIGNATURE:
    case FREEXL_CFBF_EMPTY_FAT_CHAIN:
    case FREEXL_CFBF_ILLEGAL_FAT_ENTRY:
    case FREEXL_CFBF_READ_ERROR:
    case FREEXL_CFBF_SEEK_ERROR:
    case FREEXL_CFBF_INVALID_SECTOR_SIZE:
        return "the file is damaged or cut short";
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND: return "the file holds no Excel workbook";
    case FREEXL_INVALID_CFBF_HEADER:
    case FREEXL_CRAFTED_FILE:
        return "the file is malformed";
    case FREEXL_UNSUPPORTED_CHARSET: return "its character set is not supported";
    default: return "FreeXL cannot read it";
    }
}

sipas_status table_read_xls(sipas_table_source *source, sipas_error *err)
{
    const void *xls = NULL;
    int rc = freexl_open(source->path, &xls);
    if (rc != FREEXL_OK) {
        freexl_close(xls);
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: not a readable .xls workbook (%s); "
                               "open it in Excel or LibreOffice and save it as .xlsx",
                               source->name, freexl_reason(rc));
    }
    sipas_status st = SIPAS_OK;
    table_row_buf row = {0};
    unsigned int nsheets = 0;
    if (freexl_get_info(xls, FREEXL_BIFF_SHEET_COUNT, &nsheets) != FREEXL_OK || nsheets == 0) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the workbook has no sheet", source->name);
        goto done;
    }
    unsigned short chosen = 0;
    const char *name = NULL;
    char names[512] = "";
    size_t used = 0;
    for (unsigned short i = 0; i < nsheets; i++) {
        const char *n = NULL;
        if (freexl_get_worksheet_name(xls, i, &n) != FREEXL_OK || n == NULL)
            continue;
        if (used + 1 < sizeof names) {
            int w = snprintf(names + used, sizeof names - used, "%s'%s'", used ? ", " : "", n);
            used = w < 0 ? used : used + (size_t)w < sizeof names ? used + (size_t)w : sizeof names - 1;
        }
        if (name == NULL && (source->sheet == NULL || strcmp(n, source->sheet) == 0)) {
            chosen = i;
            name = n;
        }
    }
    if (name == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "%s: no sheet named '%s' (the sheets are %s)",
                             source->name, source->sheet ? source->sheet : "", names);
        goto done;
    }
    source->sheet_name = strdup(name);
    if (source->sheet_name == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    unsigned int rows = 0;
    unsigned short columns = 0;
    if (freexl_select_active_worksheet(xls, chosen) != FREEXL_OK ||
        freexl_worksheet_dimensions(xls, &rows, &columns) != FREEXL_OK) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s[%s]: the sheet cannot be read",
                             source->name, name);
        goto done;
    }
    for (unsigned int r = 0; r < rows && st == SIPAS_OK; r++) {
        for (unsigned short c = 0; c < columns && st == SIPAS_OK; c++) {
            FreeXL_CellValue cell;
            if (freexl_get_cell_value(xls, r, c, &cell) != FREEXL_OK)
                continue;
            char text[48];
            const char *value = text;
            switch (cell.type) {
            case FREEXL_CELL_INT:
                snprintf(text, sizeof text, "%d", cell.value.int_value);
                break;
            case FREEXL_CELL_DOUBLE:
                table_format_number(cell.value.double_value, text, sizeof text);
                break;
            case FREEXL_CELL_DATETIME:
                snprintf(text, sizeof text, "%s", cell.value.text_value ? cell.value.text_value : "");
                if (strlen(text) == 19 && strcmp(text + 10, " 00:00:00") == 0)
                    text[10] = '\0';
                break;
            case FREEXL_CELL_TEXT:
            case FREEXL_CELL_SST_TEXT:
            case FREEXL_CELL_DATE:
            case FREEXL_CELL_TIME:
                value = cell.value.text_value ? cell.value.text_value : "";
                break;
            default:
                continue;
            }
            st = table_row_set(&row, c, value, strlen(value), err);
        }
        if (st == SIPAS_OK)
            st = table_row_emit(source, &row, (size_t)r + 1, err);
        table_progress(source, r + 1, rows);
    }
done:
    table_row_free(&row);
    freexl_close(xls);
    return st;
}
