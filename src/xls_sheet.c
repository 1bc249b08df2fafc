/* src/xls_sheet.c - rows of a legacy Excel 97-2003 .xls sheet (BIFF8) through FreeXL.
 *
 * FreeXL reads the whole workbook when it opens it (an .xls is at most 65536 rows) and gives
 * each cell typed: integers and doubles (shown by table_format_number, so 4.0 is "4"), text
 * (converted to UTF-8 from the workbook's code page), and dates, date-times and times already
 * as "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" and "HH:MM:SS". A date-time at midnight is shown as
 * its date, as the .xlsx reader does.
 *
 * FreeXL 1.0.6 (Debian 12) reads out of bounds on some crafted files (found by
 * fuzz_xls_import: a stack-buffer-underflow in its code-page conversion). So the workbook is
 * read in a child process that sends the rows through a pipe; a child that dies is a refused
 * file, never a crash of sipas or a read of its memory. Records on the pipe, integers in host
 * order: 'S' u32 length, sheet name; 'R' u64 row, u32 fields, then per field u32 length and
 * bytes; 'E' u32 status, u32 length, message. The end of the pipe with exit status 0 ends the
 * workbook. */
#include <errno.h>
#include <freexl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND: /* also a password-protected .xlsx: an OLE2 file too */
        return "the file holds no Excel 97-2003 workbook; a workbook protected with a password "
               "looks like this: remove the password in Excel and save it again";
    case FREEXL_INVALID_CFBF_HEADER:
    case FREEXL_CRAFTED_FILE:
        return "the file is malformed";
    case FREEXL_UNSUPPORTED_CHARSET: return "its character set is not supported";
    default: return "FreeXL cannot read it";
    }
}

/* Reads the workbook in this process (the child, see table_read_xls). */
static sipas_status read_xls_here(sipas_table_source *source, sipas_error *err)
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
            bool dated = cell.type == FREEXL_CELL_DATE || cell.type == FREEXL_CELL_DATETIME ||
                         cell.type == FREEXL_CELL_TIME;
            st = table_row_set(&row, c, value, strlen(value), dated, err);
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

/* ---- the child and its pipe ----------------------------------------------------------------- */

typedef struct xls_channel {
    int fd;
    sipas_table_source *source;
    bool sheet_sent;
} xls_channel;

static bool write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, void *data, size_t n)
{
    char *p = data;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool send_string(int fd, const char *text)
{
    uint32_t len = (uint32_t)strlen(text);
    return write_all(fd, &len, sizeof len) && write_all(fd, text, len);
}

/* A string sent by send_string, NUL-terminated, for the caller to free; NULL on a broken pipe. */
static char *receive_string(int fd)
{
    uint32_t len;
    if (!read_all(fd, &len, sizeof len) || len > SIPAS_ERROR_MESSAGE_MAX * 4)
        return NULL;
    char *text = calloc(1, (size_t)len + 1);
    if (text && !read_all(fd, text, len)) {
        free(text);
        return NULL;
    }
    return text;
}

static bool send_sheet_name(xls_channel *ch)
{
    if (ch->sheet_sent || ch->source->sheet_name == NULL)
        return true;
    ch->sheet_sent = true;
    char type = 'S';
    return write_all(ch->fd, &type, 1) && send_string(ch->fd, ch->source->sheet_name);
}

static sipas_status send_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                             const size_t *lengths, sipas_error *err)
{
    xls_channel *ch = ctx;
    uint64_t row_number = row;
    uint32_t n = (uint32_t)nfields;
    char type = 'R';
    bool ok = send_sheet_name(ch) && write_all(ch->fd, &type, 1) &&
              write_all(ch->fd, &row_number, sizeof row_number) && write_all(ch->fd, &n, sizeof n);
    for (size_t j = 0; ok && j < nfields; j++) {
        uint32_t len = (uint32_t)lengths[j];
        char dated = sipas_table_source_cell_is_date(ch->source, j);
        ok = write_all(ch->fd, &len, sizeof len) && write_all(ch->fd, fields[j], lengths[j]) &&
             write_all(ch->fd, &dated, 1);
    }
    return ok ? SIPAS_OK : sipas_error_set(err, SIPAS_ERR_IO, "the reading process lost its pipe");
}

static void run_child(sipas_table_source *source, int fd)
{
    xls_channel ch = {.fd = fd, .source = source};
    source->row_fn = send_row;
    source->ctx = &ch;
    source->opt.progress = NULL; /* the parent reports progress as rows arrive */
    sipas_error err = {0};
    sipas_status st = read_xls_here(source, &err);
    bool ok = send_sheet_name(&ch);
    if (ok && st != SIPAS_OK) {
        uint32_t status = (uint32_t)st;
        char type = 'E';
        ok = write_all(fd, &type, 1) && write_all(fd, &status, sizeof status) &&
             send_string(fd, err.message);
    }
    _exit(ok ? 0 : 1);
}

/* Reads one 'R' record's fields into row and delivers them. */
static sipas_status receive_row(sipas_table_source *source, int fd, table_row_buf *row,
                                bool *broken, sipas_error *err)
{
    uint64_t row_number;
    uint32_t n;
    if (!read_all(fd, &row_number, sizeof row_number) || !read_all(fd, &n, sizeof n) ||
        n == 0 || n > TABLE_MAX_COLUMNS) {
        *broken = true;
        return SIPAS_OK;
    }
    char *text = NULL;
    sipas_status st = SIPAS_OK;
    for (uint32_t j = 0; j < n && st == SIPAS_OK && !*broken; j++) {
        uint32_t len;
        char *p = NULL;
        if (!read_all(fd, &len, sizeof len) || len > TABLE_MAX_CELL_BYTES ||
            (p = realloc(text, (size_t)len + 1)) == NULL) {
            *broken = true;
            break;
        }
        text = p;
        char dated;
        if (!read_all(fd, text, len) || !read_all(fd, &dated, 1)) {
            *broken = true;
            break;
        }
        st = table_row_set(row, j, text, len, dated != 0, err);
    }
    free(text);
    if (st != SIPAS_OK || *broken)
        return st;
    row->width = n; /* the child padded the row already */
    st = table_row_emit(source, row, (size_t)row_number, err);
    return st;
}

sipas_status table_read_xls(sipas_table_source *source, sipas_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "%s: cannot start the .xls reader: %s",
                               source->name, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return sipas_error_set(err, SIPAS_ERR_IO, "%s: cannot start the .xls reader: %s",
                               source->name, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(source, fds[1]);
    }
    close(fds[1]);
    sipas_status st = SIPAS_OK;
    bool broken = false, reported = false;
    table_row_buf row = {0};
    size_t rows = 0;
    char type;
    while (st == SIPAS_OK && !broken && read_all(fds[0], &type, 1)) {
        uint32_t status = 0;
        if (type == 'R') {
            st = receive_row(source, fds[0], &row, &broken, err);
            table_progress(source, ++rows, 0);
        } else if (type == 'S' || type == 'E') {
            char *text = NULL;
            if ((type == 'E' && !read_all(fds[0], &status, sizeof status)) ||
                (text = receive_string(fds[0])) == NULL) {
                broken = true;
                break;
            }
            if (type == 'S') {
                free(source->sheet_name);
                source->sheet_name = text;
            } else {
                st = sipas_error_set(err, status >= SIPAS_ERR_USAGE && status <= SIPAS_ERR_INTERRUPTED
                                              ? (sipas_status)status : SIPAS_ERR_FORMAT, "%s", text);
                reported = true;
                free(text);
            }
        } else {
            broken = true;
        }
    }
    close(fds[0]);
    table_row_free(&row);
    if (st != SIPAS_OK && !reported)
        kill(pid, SIGKILL); /* the caller refused a row: the rest is not wanted */
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        continue;
    bool clean = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (st == SIPAS_OK && (broken || !clean))
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the .xls reader stopped on this file "
                             "(%s %d): it is damaged or malformed; open it in Excel or LibreOffice "
                             "and save it as .xlsx", source->name,
                             WIFSIGNALED(wstatus) ? "signal" : "exit status",
                             WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
    return st;
}
