/* sipas/report.h - the annual review as a document: headings, paragraphs, tables and charts,
 * written as ONE self-contained HTML file, as CSV files (one per table) and, through
 * sipas/xlsx.h, as one spreadsheet workbook. Guide with screenshots: docs/report.md.
 *
 * A report is built in two steps:
 *   1. sipas_report_create, then blocks appended in reading order (sipas_report_heading,
 *      _paragraph, _note, _chart_svg, _table with _row/_text/_value cells). The review document
 *      (sipas/review_report.h) fills it from a sipas_review; this module knows no statistics.
 *   2. sipas_report_write_html, sipas_report_write_csv_dir, sipas_xlsx_write_report and
 *      sipas_report_write_docx (sipas/report_docx.h) render the same blocks, so every table in
 *      the HTML is the same table in the CSV files, the workbook and the Word document; the PDF
 *      (sipas/report_pdf.h) is the HTML printed, through its print CSS (A4, page numbers, rows
 *      kept whole, header rows repeated).
 *
 * Values are stored as numbers with a kind that fixes how they are shown:
 *   PERCENT  a proportion in [0, 1] shown as a percentage with 2 decimals: "87,07%" (vi),
 *            "87.07%" (en). CSV: the percentage (87.07...), workbook: the proportion with the
 *            number format 0.00%.
 *   POINTS   a difference of proportions shown in signed percentage points, 2 decimals:
 *            "+1,23" (vi), "+1.23" (en). CSV and workbook: points (1.23...).
 *   COUNT    a whole number: "13200". CSV and workbook: the number.
 *   DECIMAL  a number with 2 decimals (design effects, p-values use P_VALUE): "1,34".
 *   P_VALUE  a probability with 3 decimals, "<0,001" below 0.001.
 *   YEAR     a year, no separator: "2024".
 * NaN shows as "–" in HTML, an empty field in CSV and an empty cell in the workbook. Vietnamese
 * text writes the decimal comma in HTML (Resolution 60-NQ/TU writes 87,07%); CSV files always
 * use a decimal point and ',' as the separator so that R and spreadsheets read them as numbers.
 *
 * A value can be marked suppressed (the NCHS 2017 presentation standards say not to publish it):
 * the HTML shows it greyed with a note mark "†" and the table's footnote, the workbook in grey
 * italics; nothing is hidden. A value can also be marked for review (few degrees of freedom):
 * "‡" in HTML.
 *
 * Errors are sticky: the appending functions return nothing; the first failure (allocation,
 * an argument out of place) is kept in the report and every later call is a no-op. Check
 * sipas_report_status (or the status of a writer, which returns it first) once at the end.
 *
 * Ownership: the report copies every string and SVG text it is given; the caller frees it with
 * sipas_report_free. Tables returned by sipas_report_table belong to the report.
 *
 * The library never opens the network: the HTML carries its CSS inline, names only the fonts
 * installed with the system ("DejaVu Sans", then the browser's sans-serif) and has no script.
 */
#ifndef SIPAS_REPORT_H
#define SIPAS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

typedef enum {
    SIPAS_REPORT_VI = 0, /* Vietnamese: decimal comma, labels from the caller in Vietnamese */
    SIPAS_REPORT_EN
} sipas_report_lang;

typedef enum {
    SIPAS_REPORT_TEXT = 0,
    SIPAS_REPORT_PERCENT,
    SIPAS_REPORT_POINTS,
    SIPAS_REPORT_COUNT,
    SIPAS_REPORT_DECIMAL,
    SIPAS_REPORT_P_VALUE,
    SIPAS_REPORT_YEAR
} sipas_report_kind;

/* Cell marks (bits). */
enum {
    SIPAS_REPORT_SUPPRESSED = 1u << 0, /* greyed, "†": NCHS says do not publish */
    SIPAS_REPORT_REVIEW = 1u << 1,     /* "‡": few degrees of freedom, read with care */
    SIPAS_REPORT_STRONG = 1u << 2,     /* bold (the province row of a ranking) */
    SIPAS_REPORT_GOOD = 1u << 3,       /* green text (target met, significant rise) */
    SIPAS_REPORT_BAD = 1u << 4         /* red text (target missed, significant fall) */
};

typedef struct sipas_report sipas_report;
typedef struct sipas_report_table sipas_report_table;

typedef struct sipas_report_column {
    const char *header;      /* shown in the chosen language, e.g. "Chỉ số (%)" */
    sipas_report_kind kind;  /* TEXT columns take sipas_report_text cells, others values */
} sipas_report_column;

/* A new empty report. title is the page's <title> and first heading; lang fixes the number
 * format and the words the writers add themselves ("Mục lục" / "Contents", footnotes). */
sipas_status sipas_report_create(const char *title, sipas_report_lang lang, sipas_report **out,
                                 sipas_error *err);
void sipas_report_free(sipas_report *report); /* NULL is a no-op */

sipas_report_lang sipas_report_language(const sipas_report *report);

/* The first failure of an appending call, or SIPAS_OK; copies it into err. */
sipas_status sipas_report_status(const sipas_report *report, sipas_error *err);

/* A section heading, level 1 (section, listed in the contents) or 2 (subsection). id is the
 * HTML anchor: [a-z0-9_-]+, unique in the report. */
void sipas_report_heading(sipas_report *report, int level, const char *id, const char *text);
/* A paragraph of plain text (escaped: no markup passes through). */
void sipas_report_paragraph(sipas_report *report, const char *text);
/* A highlighted box: a large figure (e.g. "87,07%"), what it is, and a line under it. */
void sipas_report_headline(sipas_report *report, const char *figure, const char *label,
                           const char *detail);
/* A small-print note (a caveat, what flags mean). */
void sipas_report_note(sipas_report *report, const char *text);

/* An SVG chart with a caption. svg is a complete SVG document, e.g. a file drawn by sipas/plot.h
 * with SIPAS_PLOT_SVG: the XML prolog and any DOCTYPE are dropped, and every id inside it (and
 * every reference #id, url(#id)) is prefixed with the chart's number so that several charts
 * from the same program can share one page. The SVG must not contain <script> or
 * <foreignObject> (SIPAS_ERR_FORMAT). */
void sipas_report_chart_svg(sipas_report *report, const char *svg, size_t svg_len,
                            const char *caption);
/* Reads the SVG file at path and appends it as sipas_report_chart_svg does (SIPAS_ERR_IO when it
 * cannot be read; at most 16 MiB). */
void sipas_report_chart_file(sipas_report *report, const char *path, const char *caption);

/* A table. name is its file name without extension in CSV output ([a-z0-9_]+, unique):
 * DIR/name.csv; sheet is its worksheet name in the workbook (at most 31 characters, none of
 * []:*?/\, unique); caption is shown above it in HTML; footnote (may be NULL) under it.
 * ncolumns 1 to 32. Returns NULL after a failure. */
sipas_report_table *sipas_report_table_add(sipas_report *report, const char *name,
                                           const char *sheet, const char *caption,
                                           const sipas_report_column *columns, size_t ncolumns,
                                           const char *footnote);
/* Starts a row; the cells that follow fill it left to right. marks apply to the whole row
 * (STRONG for a total row). A row left short is padded with empty cells. */
void sipas_report_row(sipas_report_table *table, unsigned marks);
/* The next cell: text for a TEXT column (NULL: empty). */
void sipas_report_text(sipas_report_table *table, const char *text);
/* The next cell: a value for a non-TEXT column, with marks. */
void sipas_report_value(sipas_report_table *table, double value, unsigned marks);

/* One value as the HTML shows it, e.g. PERCENT 0.8707 -> "87,07%" in vi. buf >= 32 bytes. */
const char *sipas_report_format(sipas_report_kind kind, double value, sipas_report_lang lang,
                                char *buf, size_t size);

/* Writes the HTML page to path (replaced; written to a temporary file beside it and renamed,
 * so a failure leaves an earlier report in place). */
sipas_status sipas_report_write_html(const sipas_report *report, const char *path,
                                     sipas_error *err);

/* Writes every table as DIR/name.csv (UTF-8, no byte-order mark, ',' separated, headers in the
 * report's language); DIR is created when missing (its parent must exist). */
sipas_status sipas_report_write_csv_dir(const sipas_report *report, const char *dir,
                                        sipas_error *err);

/* --- Read access for other writers (sipas/xlsx.h). Indices run over tables only. --- */
size_t sipas_report_table_count(const sipas_report *report);
const sipas_report_table *sipas_report_table_at(const sipas_report *report, size_t index);
const char *sipas_report_table_name(const sipas_report_table *table);
const char *sipas_report_table_sheet(const sipas_report_table *table);
const char *sipas_report_table_caption(const sipas_report_table *table);
const char *sipas_report_table_footnote(const sipas_report_table *table); /* may be NULL */
size_t sipas_report_table_columns(const sipas_report_table *table);
const sipas_report_column *sipas_report_table_column(const sipas_report_table *table,
                                                     size_t column); /* strings owned */
size_t sipas_report_table_rows(const sipas_report_table *table);
unsigned sipas_report_table_row_marks(const sipas_report_table *table, size_t row);
/* A cell: its text (TEXT columns; NULL when empty) or value (NaN when empty) and marks. */
const char *sipas_report_cell_text(const sipas_report_table *table, size_t row, size_t column);
double sipas_report_cell_value(const sipas_report_table *table, size_t row, size_t column);
unsigned sipas_report_cell_marks(const sipas_report_table *table, size_t row, size_t column);

/* --- Read access to every block in reading order, for the Word writer (sipas/report_docx.h).
 * Strings belong to the report. --- */
typedef enum {
    SIPAS_REPORT_BLOCK_HEADING = 0,
    SIPAS_REPORT_BLOCK_PARAGRAPH,
    SIPAS_REPORT_BLOCK_HEADLINE,
    SIPAS_REPORT_BLOCK_NOTE,
    SIPAS_REPORT_BLOCK_CHART,
    SIPAS_REPORT_BLOCK_TABLE
} sipas_report_block_kind;

typedef struct sipas_report_block {
    sipas_report_block_kind kind;
    int level;                       /* HEADING: 1 or 2 */
    const char *id;                  /* HEADING: its anchor */
    const char *text;                /* HEADING, PARAGRAPH, NOTE: the text; HEADLINE: the figure;
                                        CHART: the caption (may be NULL) */
    const char *label, *detail;      /* HEADLINE (detail may be NULL) */
    const char *svg;                 /* CHART: the <svg> element as the HTML inlines it: no XML
                                        prolog, no namespace declarations, ids prefixed "cN-" */
    const sipas_report_table *table; /* TABLE */
} sipas_report_block;

const char *sipas_report_title(const sipas_report *report);
size_t sipas_report_block_count(const sipas_report *report);
/* Block index (< sipas_report_block_count). */
sipas_report_block sipas_report_block_at(const sipas_report *report, size_t index);

/* The sentence every writer puts under a table holding a cell with this mark
 * (SIPAS_REPORT_SUPPRESSED: "† ...", SIPAS_REPORT_REVIEW: "‡ ..."), ending in a space so that
 * the table's own footnote can follow; "" for other marks. The mark symbol alone:
 * sipas_report_mark_symbol ("†", "‡" or ""). */
const char *sipas_report_mark_note(unsigned mark, sipas_report_lang lang);
const char *sipas_report_mark_symbol(unsigned mark);
/* The contents list's title ("Mục lục", "Contents"); every writer lists the level-1 headings
 * under it when there are two or more. */
const char *sipas_report_contents_title(sipas_report_lang lang);

#endif
