/* src/zip_sheet.c - rows of an Excel .xlsx or OpenDocument .ods sheet (libzip and expat), and
 * the zip writer of src/zip_archive.h (the Word document), so that <zip.h> stays in one module.
 *
 * Both formats are zip archives of XML. Each part is decompressed and parsed in 64 KiB pieces
 * (expat is a streaming parser), so memory holds the shared strings and one row, never the
 * sheet. As xlsxio does, the workbook is read in this order:
 *   xlsx (ECMA-376 part 1): xl/workbook.xml (sheet names, their relationship ids, date1904),
 *        xl/_rels/workbook.xml.rels (id -> part), xl/sharedStrings.xml (<si> texts without the
 *        phonetic <rPh> runs), xl/styles.xml (which cell styles show a date: built-in number
 *        formats 14-22 and 45-47, or a custom format with d, m, y, h or s outside quotes and
 *        brackets), then the sheet's <sheetData>: <row r>, <c r s t> with <v> or <is><t>.
 *        Cell types: s shared string, str and inlineStr text, b boolean, e error, d ISO date,
 *        n (or none) a number, shown as a date when its style is one.
 *   ods (ODF 1.2 part 1, 9.1): content.xml, <table:table table:name> holding
 *        <table:table-row> and <table:table-cell office:value-type office:value
 *        office:date-value office:boolean-value> with <text:p> paragraphs; repeated rows and
 *        columns (number-rows-repeated, number-columns-repeated) are expanded only when they
 *        hold a value.
 * Merged cells: when the header row is refused, the rest of the sheet is still scanned for
 * merged ranges (<mergeCell ref> in xlsx, number-columns-spanned in ods) that touch it, so the
 * message can say why. Element names are matched by their local part, whatever the prefix. */
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "alloc.h"
#include "table_readers.h"
#include "zip_archive.h"

#define PART_CHUNK (64 * 1024)
/* Shared strings are held whole: a cap keeps a hostile archive from exhausting memory. */
#define SHARED_STRINGS_MAX_BYTES ((size_t)512 << 20)
#define SHARED_STRINGS_MAX_COUNT ((size_t)32 << 20)
/* Repeated non-empty ods rows are expanded; past this many, the file is refused. */
#define ODS_MAX_REPEAT 100000

typedef struct text_buf {
    char *data;
    size_t len, cap;
} text_buf;

static bool text_append(text_buf *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->data, cap);
        if (p == NULL)
            return false;
        t->data = p;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
    return true;
}

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static const char *attr(const char **atts, const char *local)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(local_name(atts[i]), local) == 0)
            return atts[i + 1];
    return NULL;
}

/* ---- what every part parser shares ----------------------------------------------------- */

typedef struct zip_sheet {
    sipas_table_source *source;
    zip_t *zip;
    sipas_error *err;
    sipas_status status;       /* first failure; parsing stops at it */
    XML_Parser parser;
    const char *part;          /* being parsed, for messages */

    /* workbook */
    bool date1904;
    char **sheet_names, **sheet_rids;
    size_t nsheets;
    char *wanted_rid;          /* of the chosen sheet */
    char *sheet_part;          /* its path in the archive */
    bool in_workbook_sheets;

    /* shared strings: offsets into one arena */
    text_buf strings;
    size_t *string_at;
    size_t nstrings, strings_cap;
    bool in_si, in_rph, in_t;

    /* styles: whether each cellXfs entry shows a date */
    bool *xf_is_date;
    size_t nxf, xf_cap;
    int *date_formats;         /* custom numFmtIds that show dates */
    size_t ndate_formats, date_formats_cap;
    bool in_cell_xfs;

    /* sheet */
    table_row_buf row;
    size_t row_number;         /* current row, 1-based */
    size_t column;             /* current cell's 0-based column */
    size_t next_column;        /* of a cell written without its reference */
    char cell_type[12];
    long cell_style;
    bool in_cell, in_value, in_inline;
    text_buf cell_text;
    bool header_seen;
    size_t header_row;
    bool header_refused;       /* row_fn refused the header: only merged ranges are wanted now */
    char merged[64];           /* first merged range touching the header row */
    bool in_sheet_data;

    /* ods */
    int ods_depth;             /* > 0 inside the chosen table */
    bool ods_table_done;
    size_t ods_row_repeat, ods_col_repeat;
    char ods_type[16];
    char *ods_value;
    int ods_paragraphs;
} zip_sheet;

static void fail(zip_sheet *z, sipas_status st)
{
    if (z->status == SIPAS_OK)
        z->status = st;
    XML_StopParser(z->parser, XML_FALSE);
}

static void fail_nomem(zip_sheet *z)
{
    fail(z, sipas_error_set(z->err, SIPAS_ERR_NOMEM, "out of memory"));
}

static sipas_status zip_failure(zip_sheet *z, const char *what, zip_error_t *ze)
{
    return sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: %s: the workbook is damaged or not a "
                           "workbook (%s); open it in Excel or LibreOffice and save it again",
                           z->source->name, what, zip_error_strerror(ze));
}

/* Parses one part of the archive with the handlers set on a fresh parser. A missing part is
 * SIPAS_ERR_NOT_FOUND without a message when optional, an error when required. */
static sipas_status parse_part(zip_sheet *z, const char *part, bool required, void *handlers_ctx,
                               XML_StartElementHandler start, XML_EndElementHandler end,
                               XML_CharacterDataHandler chars, bool report_progress)
{
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(z->zip, part, 0, &stat) != 0) {
        if (!required)
            return SIPAS_ERR_NOT_FOUND;
        return sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: not an Excel or OpenDocument "
                               "workbook: the archive has no '%s'", z->source->name, part);
    }
    zip_file_t *f = zip_fopen(z->zip, part, 0);
    if (f == NULL)
        return zip_failure(z, part, zip_get_error(z->zip));
    XML_Parser p = XML_ParserCreate("UTF-8");
    char *buf = malloc(PART_CHUNK);
    if (p == NULL || buf == NULL) {
        if (p)
            XML_ParserFree(p);
        free(buf);
        zip_fclose(f);
        return sipas_error_set(z->err, SIPAS_ERR_NOMEM, "out of memory");
    }
    XML_SetUserData(p, handlers_ctx);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, chars);
    z->parser = p;
    z->part = part;
    z->status = SIPAS_OK;
    uint64_t total = (stat.valid & ZIP_STAT_SIZE) ? stat.size : 0, done = 0;
    sipas_status st = SIPAS_OK;
    for (;;) {
        zip_int64_t n = zip_fread(f, buf, PART_CHUNK);
        if (n < 0) {
            st = zip_failure(z, part, zip_file_get_error(f));
            break;
        }
        if (XML_Parse(p, buf, (int)n, n == 0) != XML_STATUS_OK) {
            if (z->status != SIPAS_OK)
                st = z->status;
            else
                st = sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: %s line %lu: not well-formed "
                                     "XML (%s); the workbook is damaged", z->source->name, part,
                                     (unsigned long)XML_GetCurrentLineNumber(p),
                                     XML_ErrorString(XML_GetErrorCode(p)));
            break;
        }
        if (z->status != SIPAS_OK) {
            st = z->status;
            break;
        }
        done += (uint64_t)n;
        if (report_progress)
            table_progress(z->source, done, total);
        if (n == 0)
            break;
    }
    z->parser = NULL;
    XML_ParserFree(p);
    free(buf);
    zip_fclose(f);
    return st;
}

/* ---- xlsx: workbook and relationships --------------------------------------------------- */

static void workbook_start(void *ctx, const char *name, const char **atts)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (strcmp(el, "workbookPr") == 0) {
        const char *d = attr(atts, "date1904");
        z->date1904 = d && (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
    } else if (strcmp(el, "sheet") == 0) {
        const char *sheet_name = attr(atts, "name"), *rid = attr(atts, "id");
        if (sheet_name == NULL || rid == NULL)
            return;
        char **names = realloc(z->sheet_names, (z->nsheets + 1) * sizeof *names);
        if (names)
            z->sheet_names = names;
        char **rids = realloc(z->sheet_rids, (z->nsheets + 1) * sizeof *rids);
        if (rids)
            z->sheet_rids = rids;
        if (names == NULL || rids == NULL) {
            fail_nomem(z);
            return;
        }
        z->sheet_names[z->nsheets] = strdup(sheet_name);
        z->sheet_rids[z->nsheets] = strdup(rid);
        z->nsheets++;
        if (z->sheet_names[z->nsheets - 1] == NULL || z->sheet_rids[z->nsheets - 1] == NULL)
            fail_nomem(z);
    }
}

static void ignore_end(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
}

static void ignore_chars(void *ctx, const char *s, int len)
{
    (void)ctx;
    (void)s;
    (void)len;
}

static void rels_start(void *ctx, const char *name, const char **atts)
{
    zip_sheet *z = ctx;
    if (strcmp(local_name(name), "Relationship") != 0 || z->sheet_part)
        return;
    const char *id = attr(atts, "Id"), *target = attr(atts, "Target");
    if (id == NULL || target == NULL || strcmp(id, z->wanted_rid) != 0)
        return;
    /* targets are relative to xl/, or absolute from the archive's root */
    size_t n = strlen(target) + 4;
    z->sheet_part = malloc(n);
    if (z->sheet_part == NULL) {
        fail_nomem(z);
        return;
    }
    if (target[0] == '/')
        snprintf(z->sheet_part, n, "%s", target + 1);
    else
        snprintf(z->sheet_part, n, "xl/%s", target);
}

/* Lists the sheets for a message: "'Sheet1', 'Data'". */
static void sheet_list(const zip_sheet *z, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < z->nsheets && used + 1 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "", z->sheet_names[i]);
        if (n < 0)
            break;
        used += (size_t)n < size - used ? (size_t)n : size - used - 1;
    }
}

static sipas_status choose_sheet(zip_sheet *z, const char *kind)
{
    if (z->nsheets == 0)
        return sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: the %s has no sheet", z->source->name,
                               kind);
    size_t chosen = 0;
    if (z->source->sheet) {
        for (chosen = 0; chosen < z->nsheets; chosen++)
            if (strcmp(z->sheet_names[chosen], z->source->sheet) == 0)
                break;
        if (chosen == z->nsheets) {
            char names[512];
            sheet_list(z, names, sizeof names);
            return sipas_error_set(z->err, SIPAS_ERR_NOT_FOUND, "%s: no sheet named '%s' (the "
                                   "sheets are %s)", z->source->name, z->source->sheet, names);
        }
    }
    z->source->sheet_name = strdup(z->sheet_names[chosen]);
    z->wanted_rid = z->sheet_rids ? z->sheet_rids[chosen] : NULL;
    return z->source->sheet_name ? SIPAS_OK : sipas_error_set(z->err, SIPAS_ERR_NOMEM, "out of memory");
}

/* ---- xlsx: shared strings --------------------------------------------------------------- */

static void strings_start(void *ctx, const char *name, const char **atts)
{
    (void)atts;
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (strcmp(el, "si") == 0) {
        if (z->nstrings == z->strings_cap) {
            if (z->nstrings >= SHARED_STRINGS_MAX_COUNT) {
                fail(z, sipas_error_set(z->err, SIPAS_ERR_NOMEM, "%s: more than %zu shared strings",
                                        z->source->name, SHARED_STRINGS_MAX_COUNT));
                return;
            }
            size_t cap = z->strings_cap ? z->strings_cap * 2 : 1024;
            size_t *p = realloc(z->string_at, cap * sizeof *p);
            if (p == NULL) {
                fail_nomem(z);
                return;
            }
            z->string_at = p;
            z->strings_cap = cap;
        }
        z->string_at[z->nstrings++] = z->strings.len;
        z->in_si = true;
    } else if (strcmp(el, "rPh") == 0) {
        z->in_rph = true;
    } else if (strcmp(el, "t") == 0) {
        z->in_t = true;
    }
}

/* The end of a text run <t> or of a phonetic run <rPh> (shared strings, inline strings). */
static void text_run_end(zip_sheet *z, const char *el)
{
    if (strcmp(el, "rPh") == 0)
        z->in_rph = false;
    else if (strcmp(el, "t") == 0)
        z->in_t = false;
}

static void strings_end(void *ctx, const char *name)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (strcmp(el, "si") == 0) {
        z->in_si = false;
        if (!text_append(&z->strings, "", 1)) /* each string keeps its NUL in the arena */
            fail_nomem(z);
    } else {
        text_run_end(z, el);
    }
}

static void strings_chars(void *ctx, const char *s, int len)
{
    zip_sheet *z = ctx;
    if (!(z->in_si && z->in_t && !z->in_rph))
        return;
    if (z->strings.len + (size_t)len > SHARED_STRINGS_MAX_BYTES) {
        fail(z, sipas_error_set(z->err, SIPAS_ERR_NOMEM, "%s: the shared strings exceed %zu MiB",
                                z->source->name, SHARED_STRINGS_MAX_BYTES >> 20));
        return;
    }
    if (!text_append(&z->strings, s, (size_t)len))
        fail_nomem(z);
}

/* ---- xlsx: styles ------------------------------------------------------------------------- */

/* A custom number format shows a date or time when it has d, m, y, h or s outside quoted text,
 * [colour]/[$-locale] brackets and backslash escapes ("0.00" and "#,##0" do not). */
static bool format_code_is_date(const char *code)
{
    bool quoted = false, bracket = false;
    for (const char *p = code; *p; p++) {
        if (quoted) {
            quoted = *p != '"';
        } else if (bracket) {
            bracket = *p != ']';
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '[') {
            /* [h], [mm], [ss]: elapsed time is a time */
            if (p[1] == 'h' || p[1] == 'H' || p[1] == 'm' || p[1] == 'M' || p[1] == 's' || p[1] == 'S')
                return true;
            bracket = true;
        } else if (*p == '\\' || *p == '_' || *p == '*') {
            if (p[1])
                p++;
        } else if (strchr("dDmMyYhHsS", *p)) {
            return true;
        }
    }
    return false;
}

static bool builtin_format_is_date(long id)
{
    return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) ||
           (id >= 27 && id <= 36) || (id >= 50 && id <= 58); /* East Asian date formats */
}

static void styles_start(void *ctx, const char *name, const char **atts)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (strcmp(el, "numFmt") == 0) {
        const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");
        if (id && code && format_code_is_date(code)) {
            if (z->ndate_formats == z->date_formats_cap) {
                size_t cap = z->date_formats_cap ? z->date_formats_cap * 2 : 16;
                int *p = realloc(z->date_formats, cap * sizeof *p);
                if (p == NULL) {
                    fail_nomem(z);
                    return;
                }
                z->date_formats = p;
                z->date_formats_cap = cap;
            }
            z->date_formats[z->ndate_formats++] = atoi(id);
        }
    } else if (strcmp(el, "cellXfs") == 0) {
        z->in_cell_xfs = true;
    } else if (strcmp(el, "xf") == 0 && z->in_cell_xfs) {
        if (z->nxf == z->xf_cap) {
            size_t cap = z->xf_cap ? z->xf_cap * 2 : 64;
            bool *p = realloc(z->xf_is_date, cap * sizeof *p);
            if (p == NULL) {
                fail_nomem(z);
                return;
            }
            z->xf_is_date = p;
            z->xf_cap = cap;
        }
        const char *id = attr(atts, "numFmtId");
        long fmt = id ? atol(id) : 0;
        bool is_date = builtin_format_is_date(fmt);
        for (size_t i = 0; i < z->ndate_formats && !is_date; i++)
            is_date = z->date_formats[i] == fmt;
        z->xf_is_date[z->nxf++] = is_date;
    }
}

static void styles_end(void *ctx, const char *name)
{
    zip_sheet *z = ctx;
    if (strcmp(local_name(name), "cellXfs") == 0)
        z->in_cell_xfs = false;
}

/* ---- the sheet: rows and cells (both formats) ------------------------------------------- */

/* "D12" -> column 3, row 12; false when the reference is malformed. */
static bool parse_cell_ref(const char *ref, size_t *column, size_t *row)
{
    size_t c = 0, r = 0;
    const char *p = ref;
    while (*p >= 'A' && *p <= 'Z' && c <= TABLE_MAX_COLUMNS)
        c = c * 26 + (size_t)(*p++ - 'A' + 1);
    if (c == 0)
        return false;
    while (*p >= '0' && *p <= '9' && r < 100000000)
        r = r * 10 + (size_t)(*p++ - '0');
    if (*p != '\0' && *p != ':')
        return false;
    *column = c - 1;
    *row = r;
    return true;
}

/* Delivers the row just read. A refused header switches the parser to looking for merged
 * ranges only; any other refusal stops it. */
static void finish_row(zip_sheet *z)
{
    if (z->header_refused)
        return;
    bool is_header = !z->header_seen && z->row.used > 0;
    sipas_status st = table_row_emit(z->source, &z->row, z->row_number, z->err);
    if (is_header) {
        z->header_seen = true;
        z->header_row = z->row_number;
    }
    if (st == SIPAS_OK)
        return;
    if (is_header && st == SIPAS_ERR_FORMAT) {
        z->header_refused = true; /* row_fn filled the error; read on for merged ranges */
        return;
    }
    fail(z, st);
}

/* Stores the current xlsx cell's value as the user sees it. */
static void finish_xlsx_cell(zip_sheet *z)
{
    const char *t = z->cell_type;
    const char *text = z->cell_text.data ? z->cell_text.data : "";
    size_t len = z->cell_text.len;
    char number[48];
    bool dated = strcmp(t, "d") == 0;
    if (strcmp(t, "s") == 0) {
        char *end = NULL;
        unsigned long i = strtoul(text, &end, 10);
        if (len == 0 || *end != '\0' || i >= z->nstrings) {
            char cell[24];
            sipas_table_source_cell(z->source, z->row_number, z->column, cell, sizeof cell);
            fail(z, sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s[%s]:%zu: cell %s refers to "
                                    "shared string '%s', which the workbook does not have",
                                    z->source->name, z->source->sheet_name, z->row_number, cell,
                                    text));
            return;
        }
        text = z->strings.data + z->string_at[i];
        len = strlen(text);
    } else if (strcmp(t, "b") == 0) {
        text = strcmp(text, "0") == 0 || len == 0 ? "0" : "1";
        len = 1;
    } else if (t[0] == '\0' || strcmp(t, "n") == 0) {
        char *end = NULL;
        double v = len ? strtod(text, &end) : 0;
        if (len && end && *end == '\0') {
            bool is_date = z->cell_style >= 0 && (size_t)z->cell_style < z->nxf &&
                           z->xf_is_date[z->cell_style];
            dated = is_date && table_format_date(v, z->date1904, number, sizeof number);
            if (!dated)
                table_format_number(v, number, sizeof number);
            text = number;
            len = strlen(number);
        }
    }
    /* str, inlineStr, e (#N/A...) and d (ISO 8601 text) are shown as written */
    sipas_status st = table_row_set(&z->row, z->column, text, len, dated, z->err);
    if (st != SIPAS_OK)
        fail(z, st);
}

static void merged_range_seen(zip_sheet *z, const char *ref)
{
    size_t c1, r1, c2 = 0, r2 = 0;
    const char *colon = strchr(ref, ':');
    if (z->merged[0] || !parse_cell_ref(ref, &c1, &r1) || colon == NULL ||
        !parse_cell_ref(colon + 1, &c2, &r2))
        return;
    if (z->header_seen && r1 <= z->header_row && z->header_row <= r2)
        snprintf(z->merged, sizeof z->merged, "%s", ref);
}

/* The commonest elements are tested first: <c> and <v> come millions of times. */
static void xlsx_sheet_start(void *ctx, const char *name, const char **atts)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (z->header_refused) {
        const char *ref = strcmp(el, "mergeCell") == 0 ? attr(atts, "ref") : NULL;
        if (ref)
            merged_range_seen(z, ref);
        return;
    }
    if (strcmp(el, "c") == 0 && z->in_sheet_data) {
        const char *ref = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");
        size_t column, row;
        z->column = ref && parse_cell_ref(ref, &column, &row) ? column : z->next_column;
        z->next_column = z->column + 1;
        size_t type_len = t ? strnlen(t, sizeof z->cell_type - 1) : 0; /* not printf: per cell */
        memcpy(z->cell_type, t ? t : "", type_len);
        z->cell_type[type_len] = '\0';
        z->cell_style = s ? atol(s) : -1;
        z->in_cell = true;
        z->cell_text.len = 0;
        if (z->cell_text.data)
            z->cell_text.data[0] = '\0';
    } else if (z->in_cell && strcmp(el, "v") == 0) {
        z->in_value = true;
    } else if (strcmp(el, "row") == 0 && z->in_sheet_data) {
        const char *r = attr(atts, "r");
        size_t n = r ? strtoul(r, NULL, 10) : 0;
        z->row_number = n > z->row_number ? n : z->row_number + 1;
        z->next_column = 0;
        z->row.used = 0;
    } else if (strcmp(el, "sheetData") == 0) {
        z->in_sheet_data = true;
    } else if (strcmp(el, "mergeCell") == 0) {
        const char *ref = attr(atts, "ref");
        if (ref)
            merged_range_seen(z, ref);
    } else if (z->in_cell && strcmp(el, "is") == 0) {
        z->in_inline = true;
    } else if (z->in_inline && strcmp(el, "rPh") == 0) {
        z->in_rph = true;
    } else if (z->in_inline && strcmp(el, "t") == 0) {
        z->in_t = true;
    }
}

static void xlsx_sheet_end(void *ctx, const char *name)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (z->header_refused)
        return;
    if (strcmp(el, "c") == 0 && z->in_cell) {
        z->in_cell = false;
        finish_xlsx_cell(z);
    } else if (strcmp(el, "v") == 0) {
        z->in_value = false;
    } else if (strcmp(el, "row") == 0 && z->in_sheet_data) {
        finish_row(z);
    } else if (strcmp(el, "sheetData") == 0) {
        z->in_sheet_data = false;
    } else if (strcmp(el, "is") == 0) {
        z->in_inline = false;
    } else {
        text_run_end(z, el);
    }
}

/* Adds text to the current cell, within TABLE_MAX_CELL_BYTES. */
static void cell_text_append(zip_sheet *z, const char *s, size_t len)
{
    if (z->cell_text.len + len > TABLE_MAX_CELL_BYTES) {
        fail(z, sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s[%s]:%zu: a cell holds more than "
                                "%zu bytes", z->source->name, z->source->sheet_name,
                                z->row_number, TABLE_MAX_CELL_BYTES));
        return;
    }
    if (!text_append(&z->cell_text, s, len))
        fail_nomem(z);
}

static void xlsx_sheet_chars(void *ctx, const char *s, int len)
{
    zip_sheet *z = ctx;
    if (z->header_refused || !(z->in_value || (z->in_inline && z->in_t && !z->in_rph)))
        return;
    cell_text_append(z, s, (size_t)len);
}

/* ---- ods ------------------------------------------------------------------------------------ */

static size_t ods_repeat(const char **atts, const char *which)
{
    const char *r = attr(atts, which);
    long n = r ? atol(r) : 1;
    return n < 1 ? 1 : (size_t)n;
}

static void ods_start(void *ctx, const char *name, const char **atts)
{
    zip_sheet *z = ctx;
    const char *el = local_name(name);
    if (strcmp(el, "table") == 0 && z->ods_depth == 0 && !z->ods_table_done) {
        const char *table_name = attr(atts, "name");
        if (table_name == NULL || (z->source->sheet && strcmp(table_name, z->source->sheet) != 0))
            return; /* not this one */
        z->source->sheet_name = strdup(table_name);
        if (z->source->sheet_name == NULL)
            fail_nomem(z);
        z->ods_depth = 1;
        return;
    }
    if (z->ods_depth == 0)
        return;
    z->ods_depth++;
    if (z->header_refused)
        return;
    if (strcmp(el, "table-row") == 0) {
        z->ods_row_repeat = ods_repeat(atts, "number-rows-repeated");
        z->row_number++;
        z->column = 0;
        z->row.used = 0;
    } else if (strcmp(el, "table-cell") == 0 || strcmp(el, "covered-table-cell") == 0) {
        z->ods_col_repeat = ods_repeat(atts, "number-columns-repeated");
        const char *type = attr(atts, "value-type");
        snprintf(z->ods_type, sizeof z->ods_type, "%s", type ? type : "");
        const char *value = attr(atts, "value");
        if (strcmp(z->ods_type, "date") == 0)
            value = attr(atts, "date-value");
        else if (strcmp(z->ods_type, "boolean") == 0)
            value = attr(atts, "boolean-value");
        free(z->ods_value);
        z->ods_value = value ? strdup(value) : NULL;
        const char *span = attr(atts, "number-columns-spanned");
        if (span && atol(span) > 1 && !z->header_seen && z->merged[0] == '\0') {
            char first[12], last[12];
            table_column_letters(z->column, first, sizeof first);
            table_column_letters(z->column + (size_t)atol(span) - 1, last, sizeof last);
            snprintf(z->merged, sizeof z->merged, "%s%zu:%s%zu", first, z->row_number, last,
                     z->row_number);
        }
        z->in_cell = true;
        z->ods_paragraphs = 0;
        z->cell_text.len = 0;
    } else if (z->in_cell && strcmp(el, "p") == 0) {
        if (z->ods_paragraphs++ > 0 && !text_append(&z->cell_text, "\n", 1))
            fail_nomem(z);
        z->in_t = true;
    } else if (z->in_t && strcmp(el, "s") == 0) {
        size_t spaces = ods_repeat(atts, "c");
        for (size_t i = 0; i < spaces && i < 1000; i++)
            if (!text_append(&z->cell_text, " ", 1))
                fail_nomem(z);
    }
}

static void ods_finish_cell(zip_sheet *z)
{
    const char *text = z->cell_text.data ? z->cell_text.data : "";
    size_t len = z->cell_text.len;
    char number[48];
    const char *t = z->ods_type;
    if (z->ods_value && (strcmp(t, "float") == 0 || strcmp(t, "percentage") == 0 ||
                         strcmp(t, "currency") == 0)) {
        char *end = NULL;
        double v = strtod(z->ods_value, &end);
        if (end && *end == '\0') {
            table_format_number(v, number, sizeof number);
            text = number;
            len = strlen(number);
        }
    } else if (z->ods_value && strcmp(t, "boolean") == 0) {
        text = strcmp(z->ods_value, "true") == 0 ? "1" : "0";
        len = 1;
    } else if (z->ods_value && strcmp(t, "date") == 0) {
        /* "2024-05-31" or "2024-05-31T10:30:00": the time only when it is not midnight */
        snprintf(number, sizeof number, "%s", z->ods_value);
        char *tee = strchr(number, 'T');
        if (tee && strncmp(tee, "T00:00:00", 9) == 0)
            *tee = '\0';
        else if (tee)
            *tee = ' ';
        text = number;
        len = strlen(number);
    }
    size_t repeat = len ? z->ods_col_repeat : 0;
    if (repeat > TABLE_MAX_COLUMNS) {
        fail(z, sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s[%s]:%zu: a value repeated over "
                                "%zu columns", z->source->name, z->source->sheet_name,
                                z->row_number, repeat));
        return;
    }
    for (size_t i = 0; i < repeat && z->status == SIPAS_OK; i++) {
        sipas_status st = table_row_set(&z->row, z->column + i, text, len,
                                        strcmp(t, "date") == 0, z->err);
        if (st != SIPAS_OK)
            fail(z, st);
    }
    z->column += z->ods_col_repeat;
}

static void ods_end(void *ctx, const char *name)
{
    zip_sheet *z = ctx;
    if (z->ods_depth == 0)
        return;
    const char *el = local_name(name);
    if (--z->ods_depth == 0) {
        z->ods_table_done = true;
        return;
    }
    if (z->header_refused)
        return;
    if (strcmp(el, "table-row") == 0) {
        /* repeated rows: an empty run (the sheet's unused rows) only moves the row number */
        if (z->row.used == 0) {
            z->row_number += z->ods_row_repeat - 1;
            return;
        }
        if (z->ods_row_repeat > ODS_MAX_REPEAT) {
            fail(z, sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s[%s]:%zu: a row repeated %zu "
                                    "times", z->source->name, z->source->sheet_name,
                                    z->row_number, z->ods_row_repeat));
            return;
        }
        size_t used = z->row.used;
        for (size_t i = 0; i < z->ods_row_repeat && z->status == SIPAS_OK && !z->header_refused; i++) {
            z->row.used = used; /* table_row_emit empties the row: deliver the same cells again */
            finish_row(z);
            if (i + 1 < z->ods_row_repeat)
                z->row_number++;
        }
    } else if (strcmp(el, "table-cell") == 0 || strcmp(el, "covered-table-cell") == 0) {
        z->in_cell = false;
        ods_finish_cell(z);
    } else if (strcmp(el, "p") == 0) {
        z->in_t = false;
    }
}

static void ods_chars(void *ctx, const char *s, int len)
{
    zip_sheet *z = ctx;
    if (z->ods_depth == 0 || z->header_refused || !z->in_t)
        return;
    cell_text_append(z, s, (size_t)len);
}

/* ---- the reader ------------------------------------------------------------------------------ */

static sipas_status read_xlsx(zip_sheet *z)
{
    sipas_status st = parse_part(z, "xl/workbook.xml", true, z, workbook_start, ignore_end,
                                 ignore_chars, false);
    if (st == SIPAS_OK)
        st = choose_sheet(z, "workbook");
    if (st == SIPAS_OK)
        st = parse_part(z, "xl/_rels/workbook.xml.rels", true, z, rels_start, ignore_end,
                        ignore_chars, false);
    if (st == SIPAS_OK && z->sheet_part == NULL)
        st = sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: sheet '%s' has no part in the "
                             "workbook; open it in Excel and save it again", z->source->name,
                             z->source->sheet_name);
    if (st == SIPAS_OK) {
        st = parse_part(z, "xl/sharedStrings.xml", false, z, strings_start, strings_end,
                        strings_chars, false);
        if (st == SIPAS_ERR_NOT_FOUND)
            st = SIPAS_OK; /* a workbook of numbers only, or of inline strings */
    }
    if (st == SIPAS_OK) {
        st = parse_part(z, "xl/styles.xml", false, z, styles_start, styles_end, ignore_chars, false);
        if (st == SIPAS_ERR_NOT_FOUND)
            st = SIPAS_OK;
    }
    if (st == SIPAS_OK)
        st = parse_part(z, z->sheet_part, true, z, xlsx_sheet_start, xlsx_sheet_end,
                        xlsx_sheet_chars, true);
    return st;
}

static sipas_status read_ods(zip_sheet *z)
{
    sipas_status st = parse_part(z, "content.xml", true, z, ods_start, ods_end, ods_chars, true);
    if (st == SIPAS_OK && z->source->sheet_name == NULL) {
        if (z->source->sheet)
            return sipas_error_set(z->err, SIPAS_ERR_NOT_FOUND, "%s: no sheet named '%s'",
                                   z->source->name, z->source->sheet);
        return sipas_error_set(z->err, SIPAS_ERR_FORMAT, "%s: the spreadsheet has no sheet",
                               z->source->name);
    }
    return st;
}

sipas_status table_read_zip_sheet(sipas_table_source *source, sipas_error *err)
{
    zip_sheet z = {.source = source, .err = err, .cell_style = -1};
    int code = 0;
    /* no ZIP_CHECKCONS: some writers' archives fail its strict header comparisons yet read
     * fine; damage still shows, as a missing central directory or a CRC error on reading */
    z.zip = zip_open(source->path, ZIP_RDONLY, &code);
    if (z.zip == NULL) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        sipas_status st = zip_failure(&z, "cannot open the archive", &ze);
        zip_error_fini(&ze);
        return st;
    }
    sipas_status st = source->format == SIPAS_TABLE_ODS ? read_ods(&z) : read_xlsx(&z);
    if (z.header_refused) {
        st = SIPAS_ERR_FORMAT;
        if (z.merged[0]) {
            /* the header's own message first, then why */
            char first[SIPAS_ERROR_MESSAGE_MAX] = "";
            if (err)
                snprintf(first, sizeof first, "%s", err->message);
            sipas_error_set(err, SIPAS_ERR_FORMAT, "%s; header cells %s are merged: unmerge them "
                            "and give every column its own name in one header row", first,
                            z.merged);
        }
    }
    zip_discard(z.zip);
    for (size_t i = 0; i < z.nsheets; i++) {
        free(z.sheet_names[i]);
        free(z.sheet_rids[i]);
    }
    free(z.sheet_names);
    free(z.sheet_rids);
    free(z.sheet_part);
    free(z.strings.data);
    free(z.string_at);
    free(z.xf_is_date);
    free(z.date_formats);
    free(z.cell_text.data);
    free(z.ods_value);
    table_row_free(&z.row);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Writing (src/zip_archive.h). Each part is handed to libzip as a buffer source that it does not
 * free; the archive is written when zip_close runs, so its failure is the one that matters. */

sipas_status zip_archive_write(const char *path, const char *shown_path,
                               const zip_archive_part *parts, size_t nparts, sipas_error *err)
{
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (zip == NULL) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", shown_path,
                                          zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    for (size_t i = 0; i < nparts; i++) {
        zip_source_t *src = zip_source_buffer(zip, parts[i].data, parts[i].len, 0);
        zip_int64_t index = src ? zip_file_add(zip, parts[i].name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (index < 0) {
            zip_source_free(src);
            sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': part %s: %s",
                                              shown_path, parts[i].name, zip_strerror(zip));
            zip_discard(zip);
            return st;
        }
        if (zip_set_file_compression(zip, (zip_uint64_t)index,
                                     parts[i].store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0) != 0) {
            sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': part %s: %s",
                                              shown_path, parts[i].name, zip_strerror(zip));
            zip_discard(zip);
            return st;
        }
    }
    if (zip_close(zip) != 0) {
        sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", shown_path,
                                          zip_strerror(zip));
        zip_discard(zip);
        return st;
    }
    return SIPAS_OK;
}
