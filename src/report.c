/* report.c - the review document and its HTML and CSV writers (contract in sipas/report.h). */
#include "sipas/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sipas/atomic_file.h"
#include "sipas/csv_writer.h"
#include "sipas/number_format.h"

enum { MAX_COLUMNS = 32, MAX_SVG_BYTES = 16 * 1024 * 1024, MAX_BLOCKS = 100000,
       MAX_ROWS = 1000000 };

typedef enum { BLOCK_HEADING, BLOCK_PARAGRAPH, BLOCK_HEADLINE, BLOCK_NOTE, BLOCK_CHART,
               BLOCK_TABLE } block_type;

typedef struct block {
    block_type type;
    int level;
    char *id;
    char *text;     /* heading, paragraph, note, headline figure, chart caption */
    char *label;    /* headline */
    char *detail;   /* headline */
    char *svg;      /* chart: the inlinable SVG element */
    sipas_report_table *table;
} block;

typedef struct cell {
    char *text;
    double value;
    unsigned marks;
} cell;

struct sipas_report_table {
    sipas_report *owner;
    char *name, *sheet, *caption, *footnote;
    size_t ncolumns;
    sipas_report_column columns[MAX_COLUMNS]; /* headers owned */
    size_t nrows, cap;
    cell *cells;          /* nrows * ncolumns */
    unsigned *row_marks;
    size_t next_column;   /* of the last row; ncolumns when it is full */
};

struct sipas_report {
    char *title;
    sipas_report_lang lang;
    size_t nblocks, cap;
    block *blocks;
    size_t ntables;
    sipas_report_table **tables; /* cap: cap of blocks */
    size_t ncharts;
    sipas_error error;           /* sticky: the first failure */
};

static char *copy_string(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

static bool failed(const sipas_report *report)
{
    return report == NULL || report->error.status != SIPAS_OK;
}

static void fail(sipas_report *report, sipas_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(sipas_report *report, sipas_status status, const char *fmt, ...)
{
    if (report == NULL || report->error.status != SIPAS_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    char message[SIPAS_ERROR_MESSAGE_MAX];
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sipas_error_set(&report->error, status, "%s", message);
}

static void fail_nomem(sipas_report *report)
{
    fail(report, SIPAS_ERR_NOMEM, "out of memory while building the report");
}

sipas_status sipas_report_create(const char *title, sipas_report_lang lang, sipas_report **out,
                                 sipas_error *err)
{
    *out = NULL;
    if (title == NULL || (lang != SIPAS_REPORT_VI && lang != SIPAS_REPORT_EN))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a report needs a title and a language");
    sipas_report *r = calloc(1, sizeof *r);
    if (r == NULL || (r->title = copy_string(title)) == NULL) {
        free(r);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory while building the report");
    }
    r->lang = lang;
    *out = r;
    return SIPAS_OK;
}

static void table_free(sipas_report_table *t)
{
    if (t == NULL)
        return;
    free(t->name);
    free(t->sheet);
    free(t->caption);
    free(t->footnote);
    for (size_t c = 0; c < t->ncolumns; c++)
        free((char *)t->columns[c].header);
    for (size_t i = 0; i < t->nrows * t->ncolumns; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t->row_marks);
    free(t);
}

void sipas_report_free(sipas_report *report)
{
    if (report == NULL)
        return;
    for (size_t i = 0; i < report->nblocks; i++) {
        block *b = &report->blocks[i];
        free(b->id);
        free(b->text);
        free(b->label);
        free(b->detail);
        free(b->svg);
        table_free(b->table);
    }
    free(report->blocks);
    free(report->tables);
    free(report->title);
    free(report);
}

sipas_report_lang sipas_report_language(const sipas_report *report)
{
    return report->lang;
}

sipas_status sipas_report_status(const sipas_report *report, sipas_error *err)
{
    if (report == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no report");
    if (report->error.status != SIPAS_OK)
        return sipas_error_set(err, report->error.status, "%s", report->error.message);
    return SIPAS_OK;
}

/* A new zeroed block at the end, or NULL after recording the failure. */
static block *append_block(sipas_report *report, block_type type)
{
    if (failed(report))
        return NULL;
    if (report->nblocks == report->cap) {
        if (report->cap >= MAX_BLOCKS) {
            fail(report, SIPAS_ERR_NOMEM, "a report holds at most %d blocks", MAX_BLOCKS);
            return NULL;
        }
        size_t cap = report->cap ? 2 * report->cap : 32;
        block *blocks = realloc(report->blocks, cap * sizeof *blocks);
        if (blocks == NULL) {
            fail_nomem(report);
            return NULL;
        }
        report->blocks = blocks;
        sipas_report_table **tables = realloc(report->tables, cap * sizeof *tables);
        if (tables == NULL) {
            fail_nomem(report);
            return NULL;
        }
        report->tables = tables;
        report->cap = cap;
    }
    block *b = &report->blocks[report->nblocks++];
    memset(b, 0, sizeof *b);
    b->type = type;
    return b;
}

/* Copies s into *dst; false (failure recorded) when out of memory. NULL stays NULL. */
static bool store_string(sipas_report *report, char **dst, const char *s)
{
    if (s == NULL) {
        *dst = NULL;
        return true;
    }
    if ((*dst = copy_string(s)) == NULL) {
        fail_nomem(report);
        return false;
    }
    return true;
}

static bool valid_name(const char *s, bool allow_dash)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              (allow_dash && *s == '-')))
            return false;
    return true;
}

void sipas_report_heading(sipas_report *report, int level, const char *id, const char *text)
{
    if (failed(report))
        return;
    if ((level != 1 && level != 2) || !valid_name(id, true) || text == NULL) {
        fail(report, SIPAS_ERR_USAGE, "heading '%s': needs level 1 or 2, an id of [a-z0-9_-] "
             "and a text", id ? id : "");
        return;
    }
    for (size_t i = 0; i < report->nblocks; i++)
        if (report->blocks[i].id && strcmp(report->blocks[i].id, id) == 0) {
            fail(report, SIPAS_ERR_USAGE, "heading id '%s' is used twice", id);
            return;
        }
    block *b = append_block(report, BLOCK_HEADING);
    if (b == NULL)
        return;
    b->level = level;
    if (store_string(report, &b->id, id))
        store_string(report, &b->text, text);
}

static void text_block(sipas_report *report, block_type type, const char *text)
{
    if (failed(report))
        return;
    if (text == NULL) {
        fail(report, SIPAS_ERR_USAGE, "a paragraph or note needs a text");
        return;
    }
    block *b = append_block(report, type);
    if (b)
        store_string(report, &b->text, text);
}

void sipas_report_paragraph(sipas_report *report, const char *text)
{
    text_block(report, BLOCK_PARAGRAPH, text);
}

void sipas_report_note(sipas_report *report, const char *text)
{
    text_block(report, BLOCK_NOTE, text);
}

void sipas_report_headline(sipas_report *report, const char *figure, const char *label,
                           const char *detail)
{
    if (failed(report))
        return;
    if (figure == NULL || label == NULL) {
        fail(report, SIPAS_ERR_USAGE, "a headline needs a figure and a label");
        return;
    }
    block *b = append_block(report, BLOCK_HEADLINE);
    if (b && store_string(report, &b->text, figure) && store_string(report, &b->label, label))
        store_string(report, &b->detail, detail);
}

/* ---------------------------------------------------------------------------------------------
 * SVG charts. A gnuplot SVG names ids such as gpPt5 and gnuplot_canvas in every file; inlined
 * twice into one page they would collide (a reference resolves to the first element with the
 * id in the document), so each chart's ids get the prefix "cN-". */

typedef struct buffer {
    char *data;
    size_t len, cap;
    bool nomem;
} buffer;

static void buf_add(buffer *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            b->nomem = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_str(buffer *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static bool starts_with(const char *s, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

static bool contains_nocase(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && (s[i + k] | 0x20) == (needle[k] | 0x20))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

/* Skips an attribute xmlns... = "..." at p (p at its first letter); returns p when not one. */
static const char *skip_xmlns(const char *p, const char *end)
{
    if (!starts_with(p, end, "xmlns"))
        return p;
    const char *q = p + 5;
    while (q < end && *q != '=' && *q != ' ' && *q != '\n' && *q != '>')
        q++;
    if (q == end || *q != '=' || q + 1 >= end || (q[1] != '"' && q[1] != '\''))
        return p;
    char quote = q[1];
    const char *close = memchr(q + 2, quote, (size_t)(end - q - 2));
    return close ? close + 1 : p;
}

void sipas_report_chart_svg(sipas_report *report, const char *svg, size_t svg_len,
                            const char *caption)
{
    if (failed(report))
        return;
    if (svg == NULL || svg_len > MAX_SVG_BYTES) {
        fail(report, SIPAS_ERR_USAGE, "a chart needs an SVG text of at most 16 MiB");
        return;
    }
    const char *end = svg + svg_len;
    const char *start = NULL;
    for (const char *p = svg; p + 4 <= end; p++)
        if (memcmp(p, "<svg", 4) == 0 && p + 4 < end && (p[4] == ' ' || p[4] == '\n' ||
                                                         p[4] == '\r' || p[4] == '\t' || p[4] == '>')) {
            start = p;
            break;
        }
    if (start == NULL) {
        fail(report, SIPAS_ERR_FORMAT, "chart '%s': not an SVG document (no <svg> element)",
             caption ? caption : "");
        return;
    }
    if (contains_nocase(start, (size_t)(end - start), "<script") ||
        contains_nocase(start, (size_t)(end - start), "<foreignobject")) {
        fail(report, SIPAS_ERR_FORMAT, "chart '%s': the SVG holds a script or foreign object, "
             "which a self-contained report does not inline", caption ? caption : "");
        return;
    }
    size_t number = report->ncharts + 1;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "c%zu-", number);
    buffer out = {0};
    /* The root tag: drop the namespace declarations (the HTML parser puts <svg> and xlink:href
     * in their namespaces by itself, and the page then names no URL at all), add a role. */
    const char *root_end = memchr(start, '>', (size_t)(end - start));
    if (root_end == NULL) {
        fail(report, SIPAS_ERR_FORMAT, "chart '%s': the <svg> tag is not closed",
             caption ? caption : "");
        return;
    }
    buf_str(&out, "<svg role=\"img\"");
    for (const char *p = start + 4; p < root_end;) {
        const char *q = skip_xmlns(p, root_end);
        if (q != p) {
            p = q;
            continue;
        }
        buf_add(&out, p, 1);
        p++;
    }
    buf_str(&out, ">");
    static const char *const id_marks[] = {" id='", " id=\"", "href='#", "href=\"#", "url(#"};
    const char *p = root_end + 1;
    static const char gnuplot_title[] = "<title>Gnuplot</title>";
    while (p < end) {
        if (starts_with(p, end, gnuplot_title)) {
            p += sizeof gnuplot_title - 1;
            continue;
        }
        bool marked = false;
        for (size_t m = 0; m < sizeof id_marks / sizeof id_marks[0]; m++)
            if (starts_with(p, end, id_marks[m])) {
                buf_str(&out, id_marks[m]);
                buf_str(&out, prefix);
                p += strlen(id_marks[m]);
                marked = true;
                break;
            }
        if (!marked) {
            buf_add(&out, p, 1);
            p++;
        }
    }
    if (out.nomem) {
        free(out.data);
        fail_nomem(report);
        return;
    }
    /* Drop anything after the closing tag (gnuplot ends with a newline). */
    while (out.len > 0 && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == ' '))
        out.data[--out.len] = '\0';
    block *b = append_block(report, BLOCK_CHART);
    if (b == NULL) {
        free(out.data);
        return;
    }
    b->svg = out.data;
    report->ncharts = number;
    store_string(report, &b->text, caption);
}

void sipas_report_chart_file(sipas_report *report, const char *path, const char *caption)
{
    if (failed(report))
        return;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail(report, SIPAS_ERR_IO, "cannot read chart '%s': %s", path, strerror(errno));
        return;
    }
    buffer svg = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_add(&svg, chunk, n);
        if (svg.len > MAX_SVG_BYTES)
            break;
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error)
        fail(report, SIPAS_ERR_IO, "cannot read chart '%s'", path);
    else if (svg.nomem)
        fail_nomem(report);
    else if (svg.len > MAX_SVG_BYTES)
        fail(report, SIPAS_ERR_IO, "chart '%s' is larger than 16 MiB", path);
    else
        sipas_report_chart_svg(report, svg.data ? svg.data : "", svg.len, caption);
    free(svg.data);
}

/* ---------------------------------------------------------------------------------------------
 * Tables. */

static bool valid_sheet(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (strchr("[]:*?/\\", *p) || *p < 0x20)
            return false;
        chars += (*p & 0xC0) != 0x80;
    }
    return chars <= 31;
}

sipas_report_table *sipas_report_table_add(sipas_report *report, const char *name,
                                           const char *sheet, const char *caption,
                                           const sipas_report_column *columns, size_t ncolumns,
                                           const char *footnote)
{
    if (failed(report))
        return NULL;
    if (!valid_name(name, false) || !valid_sheet(sheet) || caption == NULL || columns == NULL ||
        ncolumns == 0 || ncolumns > MAX_COLUMNS) {
        fail(report, SIPAS_ERR_USAGE, "table '%s': needs a name of [a-z0-9_], a sheet name of at "
             "most 31 characters without []:*?/\\, a caption and 1 to %d columns",
             name ? name : "", MAX_COLUMNS);
        return NULL;
    }
    for (size_t i = 0; i < report->ntables; i++)
        if (strcmp(report->tables[i]->name, name) == 0 ||
            strcmp(report->tables[i]->sheet, sheet) == 0) {
            fail(report, SIPAS_ERR_USAGE, "table '%s' (sheet '%s'): the name or sheet is used "
                 "twice", name, sheet);
            return NULL;
        }
    sipas_report_table *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fail_nomem(report);
        return NULL;
    }
    t->owner = report;
    t->ncolumns = ncolumns;
    t->next_column = ncolumns;
    bool ok = store_string(report, &t->name, name) && store_string(report, &t->sheet, sheet) &&
              store_string(report, &t->caption, caption) &&
              store_string(report, &t->footnote, footnote);
    for (size_t c = 0; ok && c < ncolumns; c++) {
        char *header = NULL;
        ok = store_string(report, &header, columns[c].header ? columns[c].header : "");
        t->columns[c].header = header;
        t->columns[c].kind = columns[c].kind;
    }
    block *b = ok ? append_block(report, BLOCK_TABLE) : NULL;
    if (b == NULL) {
        table_free(t);
        return NULL;
    }
    b->table = t;
    report->tables[report->ntables++] = t;
    return t;
}

void sipas_report_row(sipas_report_table *table, unsigned marks)
{
    if (table == NULL || failed(table->owner))
        return;
    if (table->nrows == table->cap) {
        if (table->cap >= MAX_ROWS) {
            fail(table->owner, SIPAS_ERR_NOMEM, "table '%s': more than %d rows", table->name,
                 MAX_ROWS);
            return;
        }
        size_t cap = table->cap ? 2 * table->cap : 16;
        cell *cells = realloc(table->cells, cap * table->ncolumns * sizeof *cells);
        if (cells == NULL) {
            fail_nomem(table->owner);
            return;
        }
        table->cells = cells;
        unsigned *row_marks = realloc(table->row_marks, cap * sizeof *row_marks);
        if (row_marks == NULL) {
            fail_nomem(table->owner);
            return;
        }
        table->row_marks = row_marks;
        table->cap = cap;
    }
    cell *row = &table->cells[table->nrows * table->ncolumns];
    for (size_t c = 0; c < table->ncolumns; c++)
        row[c] = (cell){NULL, NAN, 0};
    table->row_marks[table->nrows] = marks;
    table->nrows++;
    table->next_column = 0;
}

/* The next cell of the current row, or NULL after recording why there is none. */
static cell *next_cell(sipas_report_table *table, bool text)
{
    if (table == NULL || failed(table->owner))
        return NULL;
    if (table->next_column >= table->ncolumns) {
        fail(table->owner, SIPAS_ERR_USAGE, "table '%s': %s", table->name,
             table->nrows == 0 ? "a cell before the first row" : "more cells than columns");
        return NULL;
    }
    size_t c = table->next_column;
    if ((table->columns[c].kind == SIPAS_REPORT_TEXT) != text) {
        fail(table->owner, SIPAS_ERR_USAGE, "table '%s', column '%s': %s cell in a %s column",
             table->name, table->columns[c].header, text ? "a text" : "a value",
             text ? "number" : "text");
        return NULL;
    }
    table->next_column++;
    return &table->cells[(table->nrows - 1) * table->ncolumns + c];
}

void sipas_report_text(sipas_report_table *table, const char *text)
{
    cell *c = next_cell(table, true);
    if (c)
        store_string(table->owner, &c->text, text);
}

void sipas_report_value(sipas_report_table *table, double value, unsigned marks)
{
    cell *c = next_cell(table, false);
    if (c) {
        c->value = value;
        c->marks = marks;
    }
}

size_t sipas_report_table_count(const sipas_report *report) { return report->ntables; }
const sipas_report_table *sipas_report_table_at(const sipas_report *report, size_t index)
{
    return index < report->ntables ? report->tables[index] : NULL;
}
const char *sipas_report_table_name(const sipas_report_table *t) { return t->name; }
const char *sipas_report_table_sheet(const sipas_report_table *t) { return t->sheet; }
const char *sipas_report_table_caption(const sipas_report_table *t) { return t->caption; }
const char *sipas_report_table_footnote(const sipas_report_table *t) { return t->footnote; }
size_t sipas_report_table_columns(const sipas_report_table *t) { return t->ncolumns; }
const sipas_report_column *sipas_report_table_column(const sipas_report_table *t, size_t column)
{
    return column < t->ncolumns ? &t->columns[column] : NULL;
}
size_t sipas_report_table_rows(const sipas_report_table *t) { return t->nrows; }
unsigned sipas_report_table_row_marks(const sipas_report_table *t, size_t row)
{
    return row < t->nrows ? t->row_marks[row] : 0;
}
const char *sipas_report_cell_text(const sipas_report_table *t, size_t row, size_t column)
{
    return row < t->nrows && column < t->ncolumns ? t->cells[row * t->ncolumns + column].text
                                                  : NULL;
}
double sipas_report_cell_value(const sipas_report_table *t, size_t row, size_t column)
{
    return row < t->nrows && column < t->ncolumns ? t->cells[row * t->ncolumns + column].value
                                                  : NAN;
}
unsigned sipas_report_cell_marks(const sipas_report_table *t, size_t row, size_t column)
{
    return row < t->nrows && column < t->ncolumns ? t->cells[row * t->ncolumns + column].marks
                                                  : 0;
}

const char *sipas_report_title(const sipas_report *report) { return report->title; }
size_t sipas_report_block_count(const sipas_report *report) { return report->nblocks; }

sipas_report_block sipas_report_block_at(const sipas_report *report, size_t index)
{
    sipas_report_block view = {0};
    if (index >= report->nblocks)
        return view;
    const block *b = &report->blocks[index];
    static const sipas_report_block_kind kinds[] = {
        [BLOCK_HEADING] = SIPAS_REPORT_BLOCK_HEADING, [BLOCK_PARAGRAPH] = SIPAS_REPORT_BLOCK_PARAGRAPH,
        [BLOCK_HEADLINE] = SIPAS_REPORT_BLOCK_HEADLINE, [BLOCK_NOTE] = SIPAS_REPORT_BLOCK_NOTE,
        [BLOCK_CHART] = SIPAS_REPORT_BLOCK_CHART, [BLOCK_TABLE] = SIPAS_REPORT_BLOCK_TABLE};
    view.kind = kinds[b->type];
    view.level = b->level;
    view.id = b->id;
    view.text = b->text;
    view.label = b->label;
    view.detail = b->detail;
    view.svg = b->svg;
    view.table = b->table;
    return view;
}

/* ---------------------------------------------------------------------------------------------
 * Marks: the same words under a table in every format. */

const char *sipas_report_mark_symbol(unsigned mark)
{
    return mark == SIPAS_REPORT_SUPPRESSED ? "†" : mark == SIPAS_REPORT_REVIEW ? "‡" : "";
}

const char *sipas_report_mark_note(unsigned mark, sipas_report_lang lang)
{
    bool vi = lang == SIPAS_REPORT_VI;
    if (mark == SIPAS_REPORT_SUPPRESSED)
        return vi ? "† Giá trị in nghiêng màu xám không đủ tin cậy để công bố theo chuẩn trình "
                    "bày của NCHS (2017); vẫn hiển thị để minh bạch. "
                  : "† Greyed italic values are not reliable enough to publish under the NCHS "
                    "(2017) presentation standards; they are shown for transparency. ";
    if (mark == SIPAS_REPORT_REVIEW)
        return vi ? "‡ Ít bậc tự do (dưới 8): cần thận trọng khi đọc. "
                  : "‡ Few degrees of freedom (under 8): read with care. ";
    return "";
}

const char *sipas_report_contents_title(sipas_report_lang lang)
{
    return lang == SIPAS_REPORT_VI ? "Mục lục" : "Contents";
}

/* Why a suppressed value is greyed: the HTML cell's tooltip. */
static const char *suppressed_reason(sipas_report_lang lang)
{
    return lang == SIPAS_REPORT_VI ? "Không đủ tin cậy để công bố (chuẩn NCHS 2017)"
                                   : "Not reliable enough to publish (NCHS 2017 standards)";
}

/* ---------------------------------------------------------------------------------------------
 * Number formats. */

const char *sipas_report_format(sipas_report_kind kind, double value, sipas_report_lang lang,
                                char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (isnan(value) || kind == SIPAS_REPORT_TEXT) {
        snprintf(buf, size, "–");
        return buf;
    }
    switch (kind) {
    case SIPAS_REPORT_PERCENT:
        snprintf(buf, size, "%.2f%%", 100.0 * value);
        break;
    case SIPAS_REPORT_POINTS:
        /* A change that rounds to zero is shown unsigned, never as "-0.00". */
        if (fabs(100.0 * value) < 0.005)
            snprintf(buf, size, "0.00");
        else
            snprintf(buf, size, "%+.2f", 100.0 * value);
        break;
    case SIPAS_REPORT_COUNT:
    case SIPAS_REPORT_YEAR:
        snprintf(buf, size, "%.0f", value);
        break;
    case SIPAS_REPORT_DECIMAL:
        snprintf(buf, size, "%.2f", value);
        break;
    case SIPAS_REPORT_P_VALUE:
        if (value < 0.001)
            snprintf(buf, size, "<0.001");
        else
            snprintf(buf, size, "%.3f", value);
        break;
    case SIPAS_REPORT_TEXT:
        break;
    }
    if (kind != SIPAS_REPORT_COUNT && kind != SIPAS_REPORT_YEAR)
        sipas_number_set_decimal(buf, lang == SIPAS_REPORT_VI ? ',' : '.');
    return buf;
}

/* ---------------------------------------------------------------------------------------------
 * HTML. */

static void html_text(FILE *f, const char *s)
{
    if (s == NULL)
        return;
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
}

/* Print-friendly, no web fonts: DejaVu Sans (installed with gnuplot's fonts) or the system's
 * sans-serif. Colours keep WCAG AA contrast on white. */
static const char css[] =
    "body{margin:0;background:#f4f5f7;color:#1d2330;font:15px/1.5 'DejaVu Sans',"
    "'Noto Sans',Arial,sans-serif}\n"
    "main{max-width:1040px;margin:0 auto;padding:24px 32px 48px;background:#fff}\n"
    "h1{font-size:26px;margin:8px 0 4px;color:#123a6b}\n"
    "h2{font-size:20px;margin:36px 0 8px;padding-bottom:4px;border-bottom:2px solid #123a6b;"
    "color:#123a6b}\n"
    "h3{font-size:16px;margin:24px 0 6px}\n"
    "p{margin:8px 0}\n"
    ".note{font-size:13px;color:#4a5263}\n"
    "nav.toc{background:#eef2f8;padding:8px 16px;margin:16px 0;border-radius:4px}\n"
    "nav.toc h2{border:0;margin:4px 0;font-size:15px}\n"
    "nav.toc ol{margin:4px 0;padding-left:22px;columns:2}\n"
    "nav.toc a{color:#123a6b;text-decoration:none}\n"
    ".headline{display:flex;gap:20px;align-items:baseline;background:#eef5ee;border-left:6px "
    "solid #2e7d32;padding:12px 18px;margin:12px 0}\n"
    ".headline .figure{font-size:40px;font-weight:bold;color:#1b5e20;white-space:nowrap}\n"
    ".headline .label{font-size:17px;font-weight:bold}\n"
    ".headline .detail{font-size:14px;color:#384152}\n"
    "figure{margin:16px 0;text-align:center}\n"
    "figure svg{max-width:100%;height:auto;border:1px solid #dde1e8}\n"
    "figcaption{font-size:13px;color:#4a5263;margin-top:4px}\n"
    "table{border-collapse:collapse;margin:8px 0 4px;font-size:13px;width:100%}\n"
    "caption{text-align:left;font-weight:bold;font-size:14px;padding:4px 0}\n"
    "th,td{border:1px solid #d5dae3;padding:3px 7px;vertical-align:top}\n"
    "th{background:#e8edf5;text-align:left}\n"
    "td.long{min-width:16em}\n"
    "td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "tr.strong td{font-weight:bold;background:#f6f8fb}\n"
    "td.suppressed{color:#9aa0a8;font-style:italic;background:#f3f3f3}\n"
    "td.good{color:#1b6e20}\n"
    "td.bad{color:#b3261e}\n"
    ".footnote{font-size:12px;color:#4a5263;margin:2px 0 14px}\n"
    "@media print{body{background:#fff}main{max-width:none;padding:0}h2,h3,caption{break-after:"
    "avoid}figure,tr,.headline{break-inside:avoid}thead{display:table-header-group}"
    "table{break-inside:auto}}\n";

/* Printing (a browser's print dialog, sipas/report_pdf.h): A4 with the page number in the
 * bottom margin box, which Chromium draws since version 131 (CSS Paged Media level 3). A table
 * longer than a page breaks between rows and repeats its header row (thead, above). */
static void html_page_rule(FILE *f, sipas_report_lang lang)
{
    fprintf(f, "@page{size:A4;margin:16mm 15mm 18mm 15mm;@bottom-center{content:\"%s\" "
            "counter(page) \" / \" counter(pages);font:9pt 'DejaVu Sans',sans-serif;"
            "color:#4a5263}}\n", lang == SIPAS_REPORT_VI ? "Trang " : "Page ");
}

static void html_cell(FILE *f, const sipas_report_table *t, size_t row, size_t col,
                      sipas_report_lang lang, bool long_text, bool *any_suppressed,
                      bool *any_review)
{
    const cell *c = &t->cells[row * t->ncolumns + col];
    sipas_report_kind kind = t->columns[col].kind;
    if (kind == SIPAS_REPORT_TEXT) {
        fputs(long_text ? "<td class=\"long\">" : "<td>", f);
        html_text(f, c->text);
        fputs("</td>", f);
        return;
    }
    fputs("<td class=\"num", f);
    if (c->marks & SIPAS_REPORT_SUPPRESSED)
        fputs(" suppressed", f);
    else if (c->marks & SIPAS_REPORT_GOOD)
        fputs(" good", f);
    else if (c->marks & SIPAS_REPORT_BAD)
        fputs(" bad", f);
    fputs("\"", f);
    if (c->marks & SIPAS_REPORT_SUPPRESSED)
        fprintf(f, " title=\"%s\"", suppressed_reason(lang));
    fputs(">", f);
    char buf[64];
    html_text(f, sipas_report_format(kind, c->value, lang, buf, sizeof buf));
    if (c->marks & SIPAS_REPORT_SUPPRESSED) {
        fprintf(f, " %s", sipas_report_mark_symbol(SIPAS_REPORT_SUPPRESSED));
        *any_suppressed = true;
    }
    if (c->marks & SIPAS_REPORT_REVIEW) {
        fprintf(f, " %s", sipas_report_mark_symbol(SIPAS_REPORT_REVIEW));
        *any_review = true;
    }
    fputs("</td>", f);
}

static void html_table(FILE *f, const sipas_report_table *t, sipas_report_lang lang)
{
    fputs("<table>\n<caption>", f);
    html_text(f, t->caption);
    fputs("</caption>\n<thead><tr>", f);
    for (size_t c = 0; c < t->ncolumns; c++) {
        fputs("<th>", f);
        html_text(f, t->columns[c].header);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    /* A column of sentences (criterion labels) would be squeezed to a few words a line by the
     * numeric columns beside it: it gets a minimum width. */
    bool long_text[MAX_COLUMNS] = {false};
    for (size_t c = 0; c < t->ncolumns; c++)
        for (size_t r = 0; r < t->nrows && !long_text[c]; r++) {
            const char *text = t->cells[r * t->ncolumns + c].text;
            long_text[c] = text && strlen(text) > 40;
        }
    bool any_suppressed = false, any_review = false;
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(t->row_marks[r] & SIPAS_REPORT_STRONG ? "<tr class=\"strong\">" : "<tr>", f);
        for (size_t c = 0; c < t->ncolumns; c++)
            html_cell(f, t, r, c, lang, long_text[c], &any_suppressed, &any_review);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    if (any_suppressed || any_review || t->footnote) {
        fputs("<p class=\"footnote\">", f);
        if (any_suppressed)
            fputs(sipas_report_mark_note(SIPAS_REPORT_SUPPRESSED, lang), f);
        if (any_review)
            fputs(sipas_report_mark_note(SIPAS_REPORT_REVIEW, lang), f);
        html_text(f, t->footnote);
        fputs("</p>\n", f);
    }
}

static void html_body(FILE *f, const sipas_report *r)
{
    bool vi = r->lang == SIPAS_REPORT_VI;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"sipas %s\">\n<title>", vi ? "vi" : "en",
#ifdef SIPAS_VERSION
            SIPAS_VERSION
#else
            ""
#endif
    );
    html_text(f, r->title);
    fprintf(f, "</title>\n<style>\n%s", css);
    html_page_rule(f, r->lang);
    fputs("</style>\n</head>\n<body>\n<main>\n<h1>", f);
    html_text(f, r->title);
    fputs("</h1>\n", f);
    size_t sections = 0;
    for (size_t i = 0; i < r->nblocks; i++)
        sections += r->blocks[i].type == BLOCK_HEADING && r->blocks[i].level == 1;
    if (sections > 1) {
        fprintf(f, "<nav class=\"toc\"><h2>%s</h2><ol>\n", sipas_report_contents_title(r->lang));
        for (size_t i = 0; i < r->nblocks; i++) {
            const block *b = &r->blocks[i];
            if (b->type != BLOCK_HEADING || b->level != 1)
                continue;
            fprintf(f, "<li><a href=\"#%s\">", b->id);
            html_text(f, b->text);
            fputs("</a></li>\n", f);
        }
        fputs("</ol></nav>\n", f);
    }
    size_t chart = 0;
    for (size_t i = 0; i < r->nblocks; i++) {
        const block *b = &r->blocks[i];
        switch (b->type) {
        case BLOCK_HEADING:
            fprintf(f, "<h%d id=\"%s\">", b->level + 1, b->id);
            html_text(f, b->text);
            fprintf(f, "</h%d>\n", b->level + 1);
            break;
        case BLOCK_PARAGRAPH:
            fputs("<p>", f);
            html_text(f, b->text);
            fputs("</p>\n", f);
            break;
        case BLOCK_NOTE:
            fputs("<p class=\"note\">", f);
            html_text(f, b->text);
            fputs("</p>\n", f);
            break;
        case BLOCK_HEADLINE:
            fputs("<div class=\"headline\"><div class=\"figure\">", f);
            html_text(f, b->text);
            fputs("</div><div><div class=\"label\">", f);
            html_text(f, b->label);
            fputs("</div><div class=\"detail\">", f);
            html_text(f, b->detail);
            fputs("</div></div></div>\n", f);
            break;
        case BLOCK_CHART:
            fprintf(f, "<figure id=\"chart-%zu\">\n", ++chart);
            fputs(b->svg, f);
            fputs("\n<figcaption>", f);
            html_text(f, b->text);
            fputs("</figcaption>\n</figure>\n", f);
            break;
        case BLOCK_TABLE:
            html_table(f, b->table, r->lang);
            break;
        }
    }
    fputs("</main>\n</body>\n</html>\n", f);
}

static void html_writer(FILE *f, const void *report)
{
    html_body(f, report);
}

sipas_status sipas_report_write_html(const sipas_report *report, const char *path,
                                     sipas_error *err)
{
    sipas_status s = sipas_report_status(report, err);
    if (s != SIPAS_OK)
        return s;
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no path for the HTML report");
    return sipas_atomic_file_write(path, html_writer, report, err);
}

/* ---------------------------------------------------------------------------------------------
 * CSV. */

static void csv_number(FILE *f, sipas_report_kind kind, double v)
{
    if (!isfinite(v))
        return;
    switch (kind) {
    case SIPAS_REPORT_PERCENT:
    case SIPAS_REPORT_POINTS:
        fprintf(f, "%.10g", 100.0 * v);
        break;
    case SIPAS_REPORT_COUNT:
    case SIPAS_REPORT_YEAR:
        fprintf(f, "%.0f", v);
        break;
    default:
        fprintf(f, "%.10g", v);
    }
}

static void csv_writer(FILE *f, const void *table)
{
    const sipas_report_table *t = table;
    for (size_t c = 0; c < t->ncolumns; c++) {
        if (c)
            fputc(',', f);
        const char *h = t->columns[c].header;
        sipas_csv_write_field(f, h, strlen(h), ',');
    }
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncolumns; c++) {
            if (c)
                fputc(',', f);
            const cell *x = &t->cells[r * t->ncolumns + c];
            if (t->columns[c].kind == SIPAS_REPORT_TEXT) {
                if (x->text)
                    sipas_csv_write_field(f, x->text, strlen(x->text), ',');
            } else {
                csv_number(f, t->columns[c].kind, x->value);
            }
        }
        fputc('\n', f);
    }
}

sipas_status sipas_report_write_csv_dir(const sipas_report *report, const char *dir,
                                        sipas_error *err)
{
    sipas_status s = sipas_report_status(report, err);
    if (s != SIPAS_OK)
        return s;
    if (dir == NULL || *dir == '\0')
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no directory for the CSV tables");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot create directory '%s': %s", dir,
                               strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sipas_error_set(err, SIPAS_ERR_IO, "'%s' is not a directory", dir);
    for (size_t i = 0; i < report->ntables; i++) {
        const sipas_report_table *t = report->tables[i];
        size_t n = strlen(dir) + strlen(t->name) + 8;
        char *path = malloc(n);
        if (path == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        snprintf(path, n, "%s/%s.csv", dir, t->name);
        s = sipas_atomic_file_write(path, csv_writer, t, err);
        free(path);
        if (s != SIPAS_OK)
            return s;
    }
    return SIPAS_OK;
}
