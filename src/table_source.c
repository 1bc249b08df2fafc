/* src/table_source.c - One reader for every data file format (src/table_source.h): the kind is
 * known from the content, and rows come from CSV, xlsx/ods, xls, sav/dta/sas7bdat through the
 * same callback. */
#include "table_source.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "file_kind.h"
#include "sipas/hash.h"
#include "sipas/import.h"
#include "table_readers.h"

#define READ_CHUNK (64 * 1024)
#define MAGIC_BYTES 32

static const char *const format_names[] = {"csv", "xlsx", "ods", "xls", "sav", "dta",
                                           "sas7bdat", "xpt"};

const char *sipas_table_format_name(sipas_table_format format)
{
    return (size_t)format < sizeof format_names / sizeof format_names[0] ? format_names[format]
                                                                         : "unknown";
}

/* A zip archive is an OpenDocument spreadsheet when its first entry is the uncompressed
 * "mimetype" naming one (ODF 1.2 part 3, 3.3); any other zip is read as .xlsx, whose reader
 * names what is missing when it is not a workbook. */
static sipas_table_format zip_kind(FILE *f)
{
    static const char ods_type[] = "application/vnd.oasis.opendocument.spreadsheet";
    unsigned char head[30 + 8 + sizeof ods_type - 1];
    if (fseek(f, 0, SEEK_SET) != 0 || fread(head, 1, sizeof head, f) != sizeof head)
        return SIPAS_TABLE_XLSX;
    size_t name_len = (size_t)head[26] | (size_t)head[27] << 8;
    size_t extra_len = (size_t)head[28] | (size_t)head[29] << 8;
    if (name_len == 8 && extra_len == 0 && memcmp(head + 30, "mimetype", 8) == 0 &&
        memcmp(head + 38, ods_type, sizeof ods_type - 1) == 0)
        return SIPAS_TABLE_ODS;
    return SIPAS_TABLE_XLSX;
}

sipas_status sipas_table_detect(const char *path, sipas_table_format *format, sipas_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char m[MAGIC_BYTES] = {0};
    size_t n = fread(m, 1, sizeof m, f);
    if (ferror(f)) {
        fclose(f);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    }
    static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    /* the first 32 bytes of every sas7bdat file (ReadStat, src/sas/readstat_sas.c) */
    static const unsigned char sas7bdat_magic[32] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC2, 0xEA, 0x81, 0x60,
        0xB3, 0x14, 0x11, 0xCF, 0xBD, 0x92, 0x08, 0x00, 0x09, 0xC7, 0x31, 0x8C, 0x18, 0x1F, 0x10, 0x11};
    *format = SIPAS_TABLE_CSV;
    if (n >= 4 && memcmp(m, "PK\3\4", 4) == 0)
        *format = zip_kind(f);
    else if (n >= 8 && memcmp(m, ole2, 8) == 0)
        *format = SIPAS_TABLE_XLS;
    else if (n >= 4 && (memcmp(m, "$FL2", 4) == 0 || memcmp(m, "$FL3", 4) == 0))
        *format = SIPAS_TABLE_SAV;
    else if (n >= 11 && memcmp(m, "<stata_dta>", 11) == 0)
        *format = SIPAS_TABLE_DTA;
    /* formats 105-115: release byte, byte order (1 big, 2 little), filetype 1, a zero byte */
    else if (n >= 4 && m[0] >= 0x69 && m[0] <= 0x73 && (m[1] == 1 || m[1] == 2) && m[2] == 1 &&
             m[3] == 0)
        *format = SIPAS_TABLE_DTA;
    else if (n >= 32 && memcmp(m, sas7bdat_magic, 32) == 0)
        *format = SIPAS_TABLE_SAS7BDAT;
    else if (n >= 23 && memcmp(m, "HEADER RECORD*******LIB", 23) == 0)
        *format = SIPAS_TABLE_XPT;
    fclose(f);
    return SIPAS_OK;
}

sipas_status sipas_table_source_open(const char *path, const char *display_name,
                                     const sipas_table_options *options,
                                     sipas_table_source **out, sipas_error *err)
{
    *out = NULL;
    sipas_table_format format;
    sipas_status st = sipas_table_detect(path, &format, err);
    if (st != SIPAS_OK)
        return st;
    if (options && options->sheet && format != SIPAS_TABLE_XLSX && format != SIPAS_TABLE_ODS &&
        format != SIPAS_TABLE_XLS)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: --sheet applies to spreadsheets, but "
                               "this is a %s file", display_name ? display_name : path,
                               sipas_table_format_name(format));
    sipas_table_source *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    s->format = format;
    if (options)
        s->opt = *options;
    s->path = strdup(path);
    s->name = strdup(display_name ? display_name : path);
    s->sheet = options && options->sheet ? strdup(options->sheet) : NULL;
    if (s->path == NULL || s->name == NULL || (options && options->sheet && s->sheet == NULL)) {
        sipas_table_source_free(s);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    s->opt.sheet = s->sheet;
    *out = s;
    return SIPAS_OK;
}

void sipas_table_source_free(sipas_table_source *source)
{
    if (source == NULL)
        return;
    free(source->path);
    free(source->name);
    free(source->sheet);
    free(source->sheet_name);
    free(source);
}

sipas_table_format sipas_table_source_format(const sipas_table_source *source)
{
    return source->format;
}

const char *sipas_table_source_sha256(const sipas_table_source *source)
{
    return source->sha256;
}

char sipas_table_source_delimiter(const sipas_table_source *source)
{
    return source->delimiter;
}

sipas_encoding sipas_table_source_encoding(const sipas_table_source *source)
{
    return source->format == SIPAS_TABLE_CSV ? source->encoding : SIPAS_ENCODING_UTF8;
}

bool sipas_table_source_decimal_comma(const sipas_table_source *source)
{
    return source->format != SIPAS_TABLE_CSV || source->delimiter != ',';
}

void sipas_table_source_where(const sipas_table_source *source, size_t row, char *buf,
                              size_t size)
{
    switch (source->format) {
    case SIPAS_TABLE_XLSX:
    case SIPAS_TABLE_ODS:
    case SIPAS_TABLE_XLS:
        if (source->sheet_name == NULL) /* the workbook has no sheet to name */
            snprintf(buf, size, "%s", source->name);
        else if (row == 0) /* the sheet as a whole */
            snprintf(buf, size, "%s[%s]", source->name, source->sheet_name);
        else
            snprintf(buf, size, "%s[%s]:%zu", source->name, source->sheet_name, row);
        break;
    case SIPAS_TABLE_SAV:
    case SIPAS_TABLE_DTA:
    case SIPAS_TABLE_SAS7BDAT:
    case SIPAS_TABLE_XPT:
        if (row == 0) /* the variable names */
            snprintf(buf, size, "%s", source->name);
        else
            snprintf(buf, size, "%s:case %zu", source->name, row);
        break;
    case SIPAS_TABLE_CSV:
        if (row == 0) /* the file as a whole */
            snprintf(buf, size, "%s", source->name);
        else
            snprintf(buf, size, "%s:%zu", source->name, row);
        break;
    }
}

void table_column_letters(size_t column, char *buf, size_t size)
{
    char rev[8];
    size_t n = 0;
    size_t c = column + 1;
    while (c > 0 && n < sizeof rev) {
        rev[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    size_t i = 0;
    for (; i < n && i + 1 < size; i++)
        buf[i] = rev[n - 1 - i];
    if (size > 0)
        buf[i] = '\0';
}

bool sipas_table_source_cell(const sipas_table_source *source, size_t row, size_t field,
                             char *buf, size_t size)
{
    if (size > 0)
        buf[0] = '\0';
    if (source->format != SIPAS_TABLE_XLSX && source->format != SIPAS_TABLE_ODS &&
        source->format != SIPAS_TABLE_XLS)
        return false;
    char letters[8];
    table_column_letters(field, letters, sizeof letters);
    snprintf(buf, size, "%s%zu", letters, row);
    return true;
}

const char *sipas_table_source_cell_label(const sipas_table_source *source, size_t field)
{
    return source->labels && field < source->nfields ? source->labels[field] : NULL;
}

bool sipas_table_source_cell_is_date(const sipas_table_source *source, size_t field)
{
    return source->dated && field < source->nfields && source->dated[field];
}

bool sipas_table_source_cell_declared_missing(const sipas_table_source *source, size_t field)
{
    return source->declared_missing && field < source->nfields && source->declared_missing[field];
}

const sipas_choice *sipas_table_match_labelled(const sipas_choice_list *list,
                                               const sipas_choice *code_match, const char *label,
                                               bool declared_missing, char *reason,
                                               size_t reason_size)
{
    const sipas_choice *by_label = label && *label
                                 ? sipas_choice_list_match(list, label, strlen(label)) : NULL;
    const sipas_choice *ch = by_label ? by_label : code_match;
    if (ch == NULL) {
        snprintf(reason, reason_size, "neither the value nor its label '%s' is a code or label "
                 "of list '%s'", label ? label : "", list->name);
        return NULL;
    }
    if (declared_missing && ch->missing == SIPAS_MISSING_NONE) {
        snprintf(reason, reason_size, "the file declares this value missing%s%s%s, but choice "
                 "'%s' of list '%s' is a valid answer (mark it missing in choices.csv)",
                 label ? " ('" : "", label ? label : "", label ? "')" : "", ch->name, list->name);
        return NULL;
    }
    return ch;
}

sipas_status table_emit(sipas_table_source *source, size_t row, size_t nfields,
                        char *const *fields, const size_t *lengths, char *const *labels,
                        const bool *declared_missing, sipas_error *err)
{
    if (source->opt.stop_flag && *source->opt.stop_flag)
        return sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "%s: interrupted; nothing was stored",
                               source->name);
    source->labels = labels;
    source->declared_missing = declared_missing;
    source->nfields = nfields;
    sipas_status st = source->row_fn(source->ctx, row, nfields, fields, lengths, err);
    source->labels = NULL;
    source->declared_missing = NULL;
    source->nfields = 0;
    return st;
}

void table_progress(const sipas_table_source *source, uint64_t done, uint64_t total)
{
    if (source->opt.progress)
        source->opt.progress(source->opt.progress_ctx, done, total);
}

void table_format_number(double v, char *buf, size_t size)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0 && size >= 24) {
        /* 2^53: every integer is exact. Written by hand: nearly every cell of a survey sheet is
         * a small integer code, and printf's floating-point path was 8 % of an .xlsx import. */
        unsigned long long n = (unsigned long long)fabs(v);
        char digits[24];
        size_t k = 0;
        do {
            digits[k++] = (char)('0' + n % 10);
            n /= 10;
        } while (n > 0);
        size_t i = 0;
        if (v < 0)
            buf[i++] = '-';
        while (k > 0)
            buf[i++] = digits[--k];
        buf[i] = '\0';
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-compatible low-level date
 * algorithms", civil_from_days). */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned long doe = (unsigned long)(z - era * 146097);
    unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long year = (long)yoe + era * 400;
    unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned long mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = year + (*m <= 2);
}

bool table_format_date(double serial, bool date1904, char *buf, size_t size)
{
    /* Excel's 1900 system counts a 29 February 1900 that never was (serial 60): serials from
     * 61 on are days since 1899-12-30, earlier ones days since 1899-12-31. */
    if (!isfinite(serial) || serial < 0 || serial > 2958465.99999)
        return false;
    long days = (long)floor(serial);
    long seconds = lround((serial - (double)days) * 86400.0);
    if (seconds >= 86400) {
        days++;
        seconds -= 86400;
    }
    long unix_days = date1904 ? days - 24107 : (days >= 61 ? days - 25569 : days - 25568);
    long y;
    unsigned m, d;
    civil_from_days(unix_days, &y, &m, &d);
    if (seconds == 0)
        snprintf(buf, size, "%04ld-%02u-%02u", y, m, d);
    else
        snprintf(buf, size, "%04ld-%02u-%02u %02ld:%02ld:%02ld", y, m, d, seconds / 3600,
                 seconds / 60 % 60, seconds % 60);
    return true;
}

/* Makes room for columns 0..n-1 (new ones empty, without storage yet). */
static sipas_status row_grow(table_row_buf *buf, size_t n, sipas_error *err)
{
    if (n <= buf->cap)
        return SIPAS_OK;
    size_t cap = buf->cap ? buf->cap : 16;
    while (cap < n)
        cap *= 2;
    char **fields = realloc(buf->fields, cap * sizeof *fields);
    if (fields)
        buf->fields = fields;
    size_t *lengths = realloc(buf->lengths, cap * sizeof *lengths);
    if (lengths)
        buf->lengths = lengths;
    size_t *caps = realloc(buf->caps, cap * sizeof *caps);
    if (caps)
        buf->caps = caps;
    bool *dated = realloc(buf->dated, cap * sizeof *dated);
    if (dated)
        buf->dated = dated;
    if (fields == NULL || lengths == NULL || caps == NULL || dated == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t j = buf->cap; j < cap; j++) {
        buf->fields[j] = NULL;
        buf->lengths[j] = 0;
        buf->caps[j] = 0;
        buf->dated[j] = false;
    }
    buf->cap = cap;
    return SIPAS_OK;
}

/* Gives cell j room for len bytes and a NUL. */
static sipas_status cell_reserve(table_row_buf *buf, size_t j, size_t len, sipas_error *err)
{
    if (buf->caps[j] >= len + 1)
        return SIPAS_OK;
    char *p = realloc(buf->fields[j], len + 1);
    if (p == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    buf->fields[j] = p;
    buf->caps[j] = len + 1;
    return SIPAS_OK;
}

sipas_status table_row_set(table_row_buf *buf, size_t column, const char *text, size_t len,
                           bool is_date, sipas_error *err)
{
    if (len == 0)
        return SIPAS_OK;
    if (column >= TABLE_MAX_COLUMNS)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "a cell lies beyond column XFD, the last "
                               "column of a sheet");
    if (len > TABLE_MAX_CELL_BYTES)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "a cell holds more than %zu bytes",
                               TABLE_MAX_CELL_BYTES);
    sipas_status st = row_grow(buf, column + 1, err);
    if (st == SIPAS_OK)
        st = cell_reserve(buf, column, len, err);
    if (st != SIPAS_OK)
        return st;
    memcpy(buf->fields[column], text, len);
    buf->fields[column][len] = '\0';
    buf->lengths[column] = len;
    buf->dated[column] = is_date;
    if (column + 1 > buf->used)
        buf->used = column + 1;
    return SIPAS_OK;
}

sipas_status table_row_emit(sipas_table_source *source, table_row_buf *buf, size_t row,
                            sipas_error *err)
{
    if (buf->used == 0)
        return SIPAS_OK; /* an empty row, or one whose cells are only formatted */
    size_t n = buf->used > buf->width ? buf->used : buf->width;
    sipas_status st = row_grow(buf, n, err);
    for (size_t j = 0; j < n && st == SIPAS_OK; j++) {
        if (buf->lengths[j] == 0 && (st = cell_reserve(buf, j, 0, err)) == SIPAS_OK)
            buf->fields[j][0] = '\0';
    }
    if (st != SIPAS_OK)
        return st;
    if (buf->width == 0)
        buf->width = n;
    source->dated = buf->dated;
    st = table_emit(source, row, n, buf->fields, buf->lengths, NULL, NULL, err);
    source->dated = NULL;
    for (size_t j = 0; j < n; j++) {
        buf->lengths[j] = 0;
        buf->dated[j] = false;
    }
    buf->used = 0;
    return st;
}

void table_row_free(table_row_buf *buf)
{
    for (size_t j = 0; j < buf->cap; j++)
        free(buf->fields[j]);
    free(buf->fields);
    free(buf->lengths);
    free(buf->caps);
    free(buf->dated);
    memset(buf, 0, sizeof *buf);
}

typedef struct csv_pass {
    sipas_table_source *source;
    sipas_csv_reader *reader;
} csv_pass;

static sipas_status csv_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                            const size_t *lengths, sipas_error *err)
{
    csv_pass *p = ctx;
    p->source->delimiter = sipas_csv_reader_delimiter(p->reader);
    return table_emit(p->source, row, nfields, fields, lengths, NULL, NULL, err);
}

/* CSV: one pass that feeds the reader and hashes the same bytes. */
static sipas_status read_csv(sipas_table_source *s, sipas_sha256 *hash, sipas_error *err)
{
    FILE *f = fopen(s->path, "rb");
    if (f == NULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", s->path, strerror(errno));
    struct stat sb;
    uint64_t total = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    csv_pass pass = {.source = s};
    char *buf = malloc(READ_CHUNK);
    sipas_csv_options csv_options = {.encoding = s->opt.encoding};
    sipas_status st = buf ? sipas_csv_reader_new(&csv_options, s->name, csv_row, &pass,
                                                 &pass.reader, err)
                          : sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    uint64_t done = 0;
    size_t n;
    while (st == SIPAS_OK && (n = fread(buf, 1, READ_CHUNK, f)) > 0) {
        sipas_sha256_update(hash, buf, n);
        const char *kind = done == 0 ? sipas_file_kind_binary((unsigned char *)buf, n) : NULL;
        if (kind) {
            st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: this is not a CSV or Excel file (it "
                                 "looks like %s)", s->name, kind);
            break;
        }
        if (s->opt.stop_flag && *s->opt.stop_flag) {
            st = sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "%s: interrupted; nothing was stored",
                                 s->name);
            break;
        }
        st = sipas_csv_reader_feed(pass.reader, buf, n, err);
        done += n;
        table_progress(s, done, total);
    }
    if (st == SIPAS_OK && ferror(f))
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", s->path, strerror(errno));
    if (st == SIPAS_OK)
        st = sipas_csv_reader_finish(pass.reader, err);
    if (pass.reader) {
        s->delimiter = sipas_csv_reader_delimiter(pass.reader);
        s->encoding = sipas_csv_reader_encoding(pass.reader);
    }
    sipas_csv_reader_free(pass.reader);
    free(buf);
    fclose(f);
    return st;
}

sipas_status sipas_table_source_read(sipas_table_source *source, sipas_csv_row_fn row_fn,
                                     void *ctx, sipas_error *err)
{
    source->row_fn = row_fn;
    source->ctx = ctx;
    source->sha256[0] = '\0';
    sipas_sha256 hash;
    sipas_sha256_init(&hash);
    if (source->format == SIPAS_TABLE_CSV) {
        sipas_status st = read_csv(source, &hash, err);
        if (st == SIPAS_OK)
            sipas_sha256_hex(&hash, source->sha256);
        return st;
    }
    /* the other formats are read by libraries that open the file themselves: hash it apart */
    char sha256[SIPAS_SHA256_HEX_LEN + 1];
    sipas_status st = sipas_import_hash_file(source->path, sha256, err);
    if (st != SIPAS_OK)
        return st;
    if (source->format == SIPAS_TABLE_XLSX || source->format == SIPAS_TABLE_ODS)
        st = table_read_zip_sheet(source, err);
    else if (source->format == SIPAS_TABLE_XLS)
        st = table_read_xls(source, err);
    else
        st = table_read_stat_file(source, err);
    if (st == SIPAS_OK)
        memcpy(source->sha256, sha256, sizeof sha256);
    return st;
}
