/* report_docx.c - the report as a Word document (contract in sipas/report_docx.h).
 *
 * Every part of the package is built in memory (open_memstream), then zipped by
 * zip_archive_write into the temporary of a sipas_atomic_file and committed. The charts' SVG is
 * rasterised here with librsvg and cairo, in a child process (see "Charts" below): this is the
 * one module that includes their headers.
 *
 * Units: OOXML page sizes are in twips (1/1440 inch, A4 = 11906 x 16838), run sizes in half
 * points, drawing extents in EMU (914400 per inch, so 635 per twip). */
#include "sipas/report_docx.h"

#include <cairo.h>
#include <errno.h>
#include <librsvg/rsvg.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sipas/atomic_file.h"
#include "zip_archive.h"

enum {
    PAGE_WIDTH = 11906, PAGE_HEIGHT = 16838, /* A4 portrait in twips */
    MARGIN = 1134,                           /* 2 cm */
    TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN,    /* 9638 twips = 17.0 cm */
    LANDSCAPE_TEXT_WIDTH = PAGE_HEIGHT - 2 * MARGIN, /* 14570 twips = 25.7 cm */
    EMU_PER_TWIP = 635,
    DIGIT_TWIPS = 130, /* a digit at 10 pt: 100 in Times New Roman, 127 in DejaVu Serif */
    SECTION_PROPERTIES_SIZE = 400,           /* bytes of a w:sectPr element, with room */
    CHART_SCALE = 2,                         /* PNG pixels per SVG pixel */
    MAX_CHART_PIXELS = 4000000
};

/* Word's own names for the package's relationship and content types (ECMA-376 part 1 and 2). */
#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_TYPE NS_R "/"
#define CT_WML "application/vnd.openxmlformats-officedocument.wordprocessingml."

/* ---------------------------------------------------------------------------------------------
 * A part: a memory stream whose failure (allocation, write) is found when it is closed. */

typedef struct part {
    char *data;
    size_t len;
    FILE *f;
} part;

static bool part_open(part *p)
{
    p->data = NULL;
    p->len = 0;
    p->f = open_memstream(&p->data, &p->len);
    return p->f != NULL;
}

static bool part_close(part *p)
{
    if (p->f == NULL)
        return false;
    bool ok = ferror(p->f) == 0;
    if (fclose(p->f) != 0)
        ok = false;
    p->f = NULL;
    return ok && p->data != NULL;
}

/* len bytes of text as XML character data or attribute value: escaped, invalid UTF-8 replaced
 * by U+FFFD, control characters other than tab and newline dropped (XML 1.0 forbids them). */
static void xml_text_n(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"': fputs("&quot;", f); break;
            default:
                if (c >= 0x20 || c == '\t' || c == '\n')
                    fputc(c, f);
            }
            p++;
            continue;
        }
        /* The length a lead byte announces, and whether the sequence is well formed (no
         * overlong forms, no surrogates, nothing above U+10FFFF: RFC 3629). */
        size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        bool ok = n > 0 && (size_t)(end - p) >= n;
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (ok && n == 3)
            ok = !(c == 0xE0 && p[1] < 0xA0) && !(c == 0xED && p[1] >= 0xA0);
        if (ok && n == 4)
            ok = !(c == 0xF0 && p[1] < 0x90) && !(c == 0xF4 && p[1] >= 0x90);
        if (ok) {
            fwrite(p, 1, n, f);
            p += n;
        } else {
            fputs("\xEF\xBF\xBD", f);
            p++;
        }
    }
}

static void xml_text(FILE *f, const char *s)
{
    if (s)
        xml_text_n(f, s, strlen(s));
}

/* One run: rpr is its properties (may be ""); a newline in text becomes a line break. */
static void run(FILE *f, const char *rpr, const char *text)
{
    const char *line = text ? text : "";
    for (;;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        fprintf(f, "<w:r>%s%s%s<w:t xml:space=\"preserve\">", *rpr ? "<w:rPr>" : "", rpr,
                *rpr ? "</w:rPr>" : "");
        xml_text_n(f, line, len);
        fputs("</w:t></w:r>", f);
        if (nl == NULL)
            break;
        fputs("<w:r><w:br/></w:r>", f);
        line = nl + 1;
    }
}

/* A paragraph of one run in a style; ppr adds paragraph properties (may be ""). */
static void paragraph(FILE *f, const char *style, const char *ppr, const char *text)
{
    fprintf(f, "<w:p><w:pPr><w:pStyle w:val=\"%s\"/>%s</w:pPr>", style, ppr);
    run(f, "", text);
    fputs("</w:p>\n", f);
}

/* ---------------------------------------------------------------------------------------------
 * Charts: the SVG element (stored without namespaces for inlining in HTML) made a standalone
 * document again and drawn on a white image by librsvg, in a child process. librsvg draws text
 * through pango and fontconfig, whose caches live until the process ends (leak checkers report
 * them) and which a hostile SVG could crash; the child takes both with it. It sends 'P', the
 * SVG's width and height (two doubles, CSS pixels) and the PNG, or 'E' and a message. */

typedef struct png_image {
    part png;
    double width_px, height_px; /* the SVG's size, CSS pixels */
} png_image;

static cairo_status_t png_sink(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

static void child_fail(FILE *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void child_fail(FILE *to, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputc('E', to);
    vfprintf(to, fmt, ap);
    va_end(ap);
    fflush(to);
    _exit(1);
}

/* The child: draws svg (a standalone document) and writes the record to fd. Never returns. */
static void draw_child(const char *svg, size_t len, int fd)
{
    FILE *to = fdopen(fd, "wb");
    if (to == NULL)
        _exit(1);
    GError *gerr = NULL;
    RsvgHandle *handle = rsvg_handle_new_from_data((const guint8 *)svg, len, &gerr);
    if (handle == NULL)
        child_fail(to, "the SVG cannot be read: %s", gerr ? gerr->message : "unknown error");
    /* A chart is at most MAX_CHART_PIXELS CSS pixels (gnuplot's are about 1 million), so the
     * image drawn at twice the size stays under 64 MB. */
    double size[2] = {0, 0};
    if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &size[0], &size[1]) ||
        !(size[0] >= 1 && size[1] >= 1) || size[0] * size[1] > MAX_CHART_PIXELS)
        child_fail(to, "the SVG needs a width and a height in pixels, at most %d pixels in all",
                   MAX_CHART_PIXELS);
    cairo_surface_t *surface = cairo_image_surface_create(
        CAIRO_FORMAT_RGB24, (int)ceil(size[0] * CHART_SCALE), (int)ceil(size[1] * CHART_SCALE));
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    RsvgRectangle viewport = {0, 0, size[0] * CHART_SCALE, size[1] * CHART_SCALE};
    if (!rsvg_handle_render_document(handle, cr, &viewport, &gerr) ||
        cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        child_fail(to, "the SVG cannot be drawn: %s",
                   gerr ? gerr->message : cairo_status_to_string(cairo_status(cr)));
    cairo_surface_flush(surface);
    fputc('P', to);
    fwrite(size, sizeof size, 1, to);
    cairo_status_t written = cairo_surface_write_to_png_stream(surface, png_sink, to);
    /* the parent checks the exit code: every write must have reached the pipe */
    _exit(written == CAIRO_STATUS_SUCCESS && fflush(to) == 0 && !ferror(to) ? 0 : 1);
}

static sipas_status chart_png(const char *svg_element, const char *caption, png_image *out,
                              sipas_error *err)
{
    static const char svg_open[] = "<svg";
    static const char namespaces[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                                     "xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
    const char *name = caption ? caption : "";
    if (strncmp(svg_element, svg_open, sizeof svg_open - 1) != 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "chart '%s': no <svg> element", name);
    size_t rest = strlen(svg_element) - (sizeof svg_open - 1);
    size_t len = sizeof namespaces - 1 + rest;
    char *svg = malloc(len + 1);
    if (svg == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory while drawing chart '%s'",
                               name);
    memcpy(svg, namespaces, sizeof namespaces - 1);
    memcpy(svg + sizeof namespaces - 1, svg_element + sizeof svg_open - 1, rest + 1);

    int fds[2];
    if (pipe(fds) != 0) {
        free(svg);
        return sipas_error_set(err, SIPAS_ERR_IO, "chart '%s': cannot start drawing: %s", name,
                               strerror(errno));
    }
    fflush(NULL); /* nothing buffered is written twice by the child */
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        draw_child(svg, len, fds[1]);
    }
    int fork_errno = errno;
    close(fds[1]);
    free(svg);
    if (pid < 0) {
        close(fds[0]);
        return sipas_error_set(err, SIPAS_ERR_IO, "chart '%s': cannot start drawing: %s", name,
                               strerror(fork_errno));
    }
    /* The child's record, whole. */
    bool ok = part_open(&out->png);
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (ok && fwrite(chunk, 1, (size_t)n, out->png.f) != (size_t)n)
            ok = false;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!part_close(&out->png) || !ok)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory while drawing chart '%s'",
                               name);
    char *record = out->png.data;
    size_t header = 1 + 2 * sizeof(double);
    if (out->png.len > 1 && record[0] == 'E')
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "chart '%s': %.*s", name,
                               (int)(out->png.len - 1), record + 1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out->png.len <= header ||
        record[0] != 'P')
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "chart '%s': drawing it failed (%s %d)",
                               name, WIFSIGNALED(status) ? "signal" : "exit code",
                               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    double size[2];
    memcpy(size, record + 1, sizeof size);
    out->width_px = size[0];
    out->height_px = size[1];
    out->png.len -= header;
    memmove(record, record + header, out->png.len);
    return SIPAS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * word/document.xml */

/* The figure in the hanging first line, the label and detail beside it at the indent, where a
 * tab and a line break both lead. */
static void headline(FILE *f, const sipas_report_block *b, const char *section_end)
{
    fprintf(f, "<w:p><w:pPr><w:pStyle w:val=\"SipasHeadline\"/>%s</w:pPr>", section_end);
    run(f, "<w:b/><w:color w:val=\"1B5E20\"/><w:sz w:val=\"56\"/>", b->text);
    fputs("<w:r><w:tab/></w:r>", f);
    run(f, "<w:b/><w:sz w:val=\"30\"/>", b->label);
    if (b->detail && *b->detail) {
        fputs("<w:r><w:br/></w:r>", f);
        run(f, "<w:color w:val=\"384152\"/>", b->detail);
    }
    fputs("</w:p>\n", f);
}

/* The width of UTF-8 text at 10 pt, and of its longest word, in twips, estimated from the
 * glyphs of DejaVu Serif (LibreOffice's stand-in for Times New Roman, and wider than it): a
 * digit 0.64 em (127 twips at 10 pt), most small letters about as wide, capitals, m, w and %
 * about 1.4 times as wide, spaces and punctuation half; letters beyond ASCII (Vietnamese) a
 * tenth wider than a digit, Đ as a capital. Bold (the header row, strong rows) is a tenth wider. */
static size_t text_twips(const char *s, bool bold, size_t *longest_word)
{
    size_t tenths = 0, word = 0, longest = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        size_t glyph;
        if (*p == ' ') {
            tenths += 5;
            word = 0;
            continue;
        } else if ((*p >= 'A' && *p <= 'Z') || *p == 'm' || *p == 'w' || *p == '%' ||
                   (p[0] == 0xC4 && p[1] == 0x90) /* Đ */) {
            glyph = 14;
        } else if (*p == ',' || *p == '.' || *p == ':' || *p == ';' || *p == '\'' ||
                   *p == '(' || *p == ')' || *p == 'i' || *p == 'l' || *p == 'j') {
            glyph = 5;
        } else {
            glyph = *p >= 0x80 ? 11 : 10;
        }
        tenths += glyph;
        word += glyph;
        if (word > longest)
            longest = word;
    }
    size_t scale = bold ? 11 : 10; /* tenths of a digit, times a tenth more when bold */
    *longest_word = longest * DIGIT_TWIPS * scale / 100;
    return tenths * DIGIT_TWIPS * scale / 100;
}

/* Column widths in twips within text_width. Numbers must show on one line ("90,19\n%" is not
 * a number), with their marks and their header's longest word. Texts of at most SHORT_TWIPS are
 * given their whole width when that fits, else their longest word's; longer texts (sentences)
 * share what is left in proportion to their width up to MAX_TEXT_TWIPS, and wrap. Only when
 * the numbers alone overflow the text width do all columns share it in proportion to what they
 * show. Returns whether every word fits whole in its column (false: words break mid-word). */
static bool column_widths(const sipas_report_table *t, sipas_report_lang lang, int text_width,
                          int *width)
{
    enum { MIN_TWIPS = 3 * DIGIT_TWIPS, SHORT_TWIPS = 12 * DIGIT_TWIPS,
           MAX_TEXT_TWIPS = 30 * DIGIT_TWIPS, MARK_TWIPS = 4 * DIGIT_TWIPS /* " † ‡" */,
           CELL_MARGINS = 2 * 57 + 20, MIN_WRAP_TWIPS = 4 * DIGIT_TWIPS + CELL_MARGINS };
    size_t ncol = sipas_report_table_columns(t), nrow = sipas_report_table_rows(t);
    size_t want[32], word_min[32], all = 0;
    bool number[32], sentence[32];
    for (size_t c = 0; c < ncol && c < 32; c++) {
        const sipas_report_column *col = sipas_report_table_column(t, c);
        size_t word;
        text_twips(col->header, true, &word);
        want[c] = word_min[c] = word > MIN_TWIPS ? word : MIN_TWIPS;
        number[c] = col->kind != SIPAS_REPORT_TEXT;
        for (size_t r = 0; r < nrow; r++) {
            bool strong = sipas_report_table_row_marks(t, r) & SIPAS_REPORT_STRONG;
            size_t twips;
            if (!number[c]) {
                twips = text_twips(sipas_report_cell_text(t, r, c), strong, &word);
                if (word > word_min[c])
                    word_min[c] = word;
                if (twips > MAX_TEXT_TWIPS)
                    twips = word > MAX_TEXT_TWIPS ? word : MAX_TEXT_TWIPS;
            } else {
                char value[64];
                sipas_report_format(col->kind, sipas_report_cell_value(t, r, c), lang, value,
                                    sizeof value);
                twips = text_twips(value, strong, &word) +
                        (sipas_report_cell_marks(t, r, c) &
                         (SIPAS_REPORT_SUPPRESSED | SIPAS_REPORT_REVIEW) ? MARK_TWIPS : 0);
            }
            if (twips > want[c])
                want[c] = twips;
        }
        if (number[c])
            word_min[c] = want[c];
        sentence[c] = !number[c] && want[c] > SHORT_TWIPS;
        all += want[c];
    }
    /* Pass 0: short texts whole; pass 1: short texts at their longest word; in both, sentences
     * at least their longest word and MIN_WRAP_TWIPS wide, sharing what is left in proportion
     * to their width. Pass 2: numbers whole and every text column sharing the rest (long words
     * break). */
    for (int pass = 0; pass < 3; pass++) {
        size_t fixed_twips = 0, shared = 0, needed = 0, floor_twips[32];
        for (size_t c = 0; c < ncol && c < 32; c++) {
            bool shares = pass == 2 ? !number[c] : sentence[c];
            if (shares) {
                size_t word = word_min[c] + CELL_MARGINS;
                floor_twips[c] = pass == 2 ? 3 * DIGIT_TWIPS + CELL_MARGINS
                               : word > MIN_WRAP_TWIPS ? word : MIN_WRAP_TWIPS;
                shared += want[c];
                needed += floor_twips[c];
            } else {
                fixed_twips += (pass == 0 ? want[c] : word_min[c]) + CELL_MARGINS;
            }
        }
        if (fixed_twips + needed > (size_t)text_width)
            continue;
        size_t spare = (size_t)text_width - fixed_twips - needed;
        bool whole_words = true;
        for (size_t c = 0; c < ncol && c < 32; c++) {
            size_t fixed = (pass == 0 ? want[c] : word_min[c]) + CELL_MARGINS;
            if (pass == 2 ? !number[c] : sentence[c])
                width[c] = (int)(floor_twips[c] + spare * want[c] / shared);
            else if (shared == 0) /* nothing wraps: the columns share the spare width too */
                width[c] = (int)((size_t)text_width * fixed / fixed_twips);
            else
                width[c] = (int)fixed;
            if ((size_t)width[c] < word_min[c] + CELL_MARGINS)
                whole_words = false;
        }
        return whole_words;
    }
    for (size_t c = 0; c < ncol && c < 32; c++)
        width[c] = (int)((size_t)text_width * want[c] / all);
    return false;
}

static void table_cell(FILE *f, int width, const char *shading, const char *jc, const char *rpr,
                       const char *text, const char *mark)
{
    fprintf(f, "<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/>", width);
    if (*shading)
        fprintf(f, "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"%s\"/>", shading);
    /* The cell's words in a paragraph style rather than the table style's run properties,
     * which LibreOffice does not apply. */
    fprintf(f, "</w:tcPr><w:p><w:pPr><w:pStyle w:val=\"SipasTableText\"/>%s%s%s</w:pPr>",
            *jc ? "<w:jc w:val=\"" : "", jc, *jc ? "\"/>" : "");
    if (text && *text) {
        run(f, rpr, text);
        if (mark && *mark) {
            char with_space[32]; /* marks are one or two symbols (sipas_report_mark_symbol) */
            int n = snprintf(with_space, sizeof with_space, " %s", mark);
            if (n > 0 && (size_t)n < sizeof with_space) {
                run(f, rpr, with_space);
            } else {
                run(f, rpr, " ");
                run(f, rpr, mark);
            }
        }
    }
    fputs("</w:p></w:tc>", f);
}

static void table(FILE *f, const sipas_report_table *t, sipas_report_lang lang, int text_width,
                  const char *section_end)
{
    size_t ncol = sipas_report_table_columns(t), nrow = sipas_report_table_rows(t);
    int width[32];
    column_widths(t, lang, text_width, width);
    /* The caption stays with the table: keepNext. */
    paragraph(f, "Caption", "<w:keepNext/>", sipas_report_table_caption(t));
    fputs("<w:tbl><w:tblPr><w:tblStyle w:val=\"SipasTable\"/><w:tblW w:w=\"5000\" "
          "w:type=\"pct\"/><w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" "
          "w:firstRow=\"1\" w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" "
          "w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>", f);
    for (size_t c = 0; c < ncol; c++)
        fprintf(f, "<w:gridCol w:w=\"%d\"/>", width[c]);
    fputs("</w:tblGrid>\n<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>", f);
    for (size_t c = 0; c < ncol; c++) {
        const sipas_report_column *col = sipas_report_table_column(t, c);
        table_cell(f, width[c], "", col->kind == SIPAS_REPORT_TEXT ? "" : "right", "",
                   col->header, NULL);
    }
    fputs("</w:tr>\n", f);
    bool any_suppressed = false, any_review = false;
    for (size_t r = 0; r < nrow; r++) {
        bool strong = sipas_report_table_row_marks(t, r) & SIPAS_REPORT_STRONG;
        fputs("<w:tr><w:trPr><w:cantSplit/></w:trPr>", f);
        for (size_t c = 0; c < ncol; c++) {
            sipas_report_kind kind = sipas_report_table_column(t, c)->kind;
            unsigned marks = sipas_report_cell_marks(t, r, c);
            char rpr[160] = "";
            if (strong)
                strcat(rpr, "<w:b/>");
            const char *shading = strong ? "F6F8FB" : "";
            if (kind == SIPAS_REPORT_TEXT) {
                table_cell(f, width[c], shading, "", rpr, sipas_report_cell_text(t, r, c), NULL);
                continue;
            }
            const char *mark = "";
            if (marks & SIPAS_REPORT_SUPPRESSED) {
                strcat(rpr, "<w:i/><w:color w:val=\"9AA0A8\"/>");
                shading = "F3F3F3";
                mark = sipas_report_mark_symbol(SIPAS_REPORT_SUPPRESSED);
                any_suppressed = true;
            } else if (marks & SIPAS_REPORT_GOOD) {
                strcat(rpr, "<w:color w:val=\"1B6E20\"/>");
            } else if (marks & SIPAS_REPORT_BAD) {
                strcat(rpr, "<w:color w:val=\"B3261E\"/>");
            }
            char value[64], marked[80];
            sipas_report_format(kind, sipas_report_cell_value(t, r, c), lang, value,
                                sizeof value);
            if (marks & SIPAS_REPORT_REVIEW) {
                /* both marks when both apply, as in HTML: "12,00% † ‡" */
                snprintf(marked, sizeof marked, "%s%s%s", mark, *mark ? " " : "",
                         sipas_report_mark_symbol(SIPAS_REPORT_REVIEW));
                mark = marked;
                any_review = true;
            }
            table_cell(f, width[c], shading, "right", rpr, value, mark);
        }
        fputs("</w:tr>\n", f);
    }
    fputs("</w:tbl>\n", f);
    const char *footnote = sipas_report_table_footnote(t);
    if (any_suppressed || any_review || footnote) {
        fprintf(f, "<w:p><w:pPr><w:pStyle w:val=\"SipasFootnote\"/>%s</w:pPr>", section_end);
        if (any_suppressed)
            run(f, "", sipas_report_mark_note(SIPAS_REPORT_SUPPRESSED, lang));
        if (any_review)
            run(f, "", sipas_report_mark_note(SIPAS_REPORT_REVIEW, lang));
        if (footnote)
            run(f, "", footnote);
        fputs("</w:p>\n", f);
    } else {
        /* Word joins two tables that touch into one: an empty paragraph keeps them apart. */
        fprintf(f, "<w:p><w:pPr><w:pStyle w:val=\"SipasFootnote\"/>%s</w:pPr></w:p>\n",
                section_end);
    }
}

static void chart(FILE *f, size_t number, const png_image *img, const char *caption,
                  const char *section_end)
{
    /* The text width, unless the chart would then be taller than 85% of the text height (its
     * caption goes below it on the same page). */
    double aspect = img->height_px / img->width_px;
    double max_height = 0.85 * (PAGE_HEIGHT - 2 * MARGIN) * EMU_PER_TWIP;
    double width = (double)TEXT_WIDTH * EMU_PER_TWIP;
    if (width * aspect > max_height)
        width = max_height / aspect;
    long long cx = llround(width), cy = llround(width * aspect);
    fprintf(f, "<w:p><w:pPr><w:keepNext/><w:jc w:val=\"center\"/>%s</w:pPr><w:r><w:drawing>",
            caption ? "" : section_end);
    fprintf(f, "<wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"%lld\" "
            "cy=\"%lld\"/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/><wp:docPr id=\"%zu\" "
            "name=\"chart%zu\" descr=\"", cx, cy, number, number);
    xml_text(f, caption);
    fputs("\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/>"
          "</wp:cNvGraphicFramePr><a:graphic><a:graphicData "
          "uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic>", f);
    fprintf(f, "<pic:nvPicPr><pic:cNvPr id=\"%zu\" name=\"chart%zu.png\"/><pic:cNvPicPr/>"
            "</pic:nvPicPr><pic:blipFill><a:blip r:embed=\"rIdChart%zu\"/><a:stretch>"
            "<a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/>"
            "<a:ext cx=\"%lld\" cy=\"%lld\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/>"
            "</a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>",
            number, number, number, cx, cy);
    fputs("</w:drawing></w:r></w:p>\n", f);
    if (caption) {
        char ppr[SECTION_PROPERTIES_SIZE + 32];
        snprintf(ppr, sizeof ppr, "<w:jc w:val=\"center\"/>%s", section_end);
        paragraph(f, "Caption", ppr, caption);
    }
}

/* A heading, with a bookmark named after its id for the contents list to link to. Word's
 * bookmark names: a letter or '_' first, then letters, digits and '_', at most 40 characters
 * (ids are [a-z0-9_-], so '-' becomes '_'; a leading '_' hides them from Word's bookmark list). */
static void bookmark_name(const char *id, char name[41])
{
    snprintf(name, 41, "_sec_%s", id);
    for (char *c = name; *c; c++)
        if (*c == '-')
            *c = '_';
}

static void heading(FILE *f, size_t index, const sipas_report_block *b, const char *section_end)
{
    char name[41];
    bookmark_name(b->id, name);
    fprintf(f, "<w:p><w:pPr><w:pStyle w:val=\"%s\"/>%s</w:pPr><w:bookmarkStart w:id=\"%zu\" "
            "w:name=\"%s\"/>", b->level == 1 ? "Heading1" : "Heading2", section_end, index, name);
    run(f, "", b->text);
    fprintf(f, "<w:bookmarkEnd w:id=\"%zu\"/></w:p>\n", index);
}

/* The contents list, as in the HTML when there are two or more sections: a TOC field whose
 * shown result links each section's heading. It has no page numbers until the field is
 * updated (Word: right-click, Update Field, or F9; LibreOffice: Update Index), since only the
 * word processor knows the pages. */
static void contents(FILE *f, const sipas_report *r)
{
    size_t nblocks = sipas_report_block_count(r), sections = 0;
    for (size_t i = 0; i < nblocks; i++) {
        sipas_report_block b = sipas_report_block_at(r, i);
        sections += b.kind == SIPAS_REPORT_BLOCK_HEADING && b.level == 1;
    }
    if (sections < 2)
        return;
    paragraph(f, "SipasContentsTitle", "", sipas_report_contents_title(sipas_report_language(r)));
    bool first = true;
    for (size_t i = 0; i < nblocks; i++) {
        sipas_report_block b = sipas_report_block_at(r, i);
        if (b.kind != SIPAS_REPORT_BLOCK_HEADING || b.level != 1)
            continue;
        char name[41];
        bookmark_name(b.id, name);
        fputs("<w:p><w:pPr><w:pStyle w:val=\"TOC1\"/></w:pPr>", f);
        if (first)
            fputs("<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText "
                  "xml:space=\"preserve\"> TOC \\o \"1-1\" \\h \\z \\u </w:instrText></w:r>"
                  "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>", f);
        first = false;
        fprintf(f, "<w:hyperlink w:anchor=\"%s\" w:history=\"1\">", name);
        run(f, "", b.text);
        fputs("</w:hyperlink></w:p>\n", f);
    }
    fputs("<w:p><w:pPr><w:pStyle w:val=\"TOC1\"/></w:pPr><w:r><w:fldChar "
          "w:fldCharType=\"end\"/></w:r></w:p>\n", f);
}

/* ---------------------------------------------------------------------------------------------
 * Sections. A table whose words do not all fit whole in the portrait text width (the ranking's
 * and the targets' eleven columns) is set on landscape A4 pages, and the pages after it return
 * to portrait. The landscape section also takes the text just before the table, back to and
 * including its heading, so a heading is never left alone at the foot of a portrait page; charts
 * stay portrait (they are sized for it). Consecutive such tables share one landscape section. */

static bool text_block(sipas_report_block_kind kind)
{
    return kind == SIPAS_REPORT_BLOCK_HEADING || kind == SIPAS_REPORT_BLOCK_PARAGRAPH ||
           kind == SIPAS_REPORT_BLOCK_NOTE;
}

/* landscape[i]: whether block i is set on a landscape page (nblocks entries). */
static void block_orientations(const sipas_report *r, bool *landscape)
{
    size_t nblocks = sipas_report_block_count(r);
    for (size_t i = 0; i < nblocks; i++) {
        sipas_report_block b = sipas_report_block_at(r, i);
        int width[32];
        landscape[i] = b.kind == SIPAS_REPORT_BLOCK_TABLE &&
                       !column_widths(b.table, sipas_report_language(r), TEXT_WIDTH, width);
        if (!landscape[i])
            continue;
        /* back over the text introducing the table; past its heading only to headings above it */
        for (size_t j = i; j > 0; j--) {
            sipas_report_block_kind before = sipas_report_block_at(r, j - 1).kind;
            if (!text_block(before) || (sipas_report_block_at(r, j).kind ==
                                        SIPAS_REPORT_BLOCK_HEADING &&
                                        before != SIPAS_REPORT_BLOCK_HEADING))
                break;
            landscape[j - 1] = true;
        }
    }
}

/* A section's properties, which end it when they close the pPr of its last paragraph (or the
 * body): A4 in the orientation given (w:pgSz swapped for landscape), the margins, and the
 * footer with the page numbers, which number on across sections. Children in the schema's
 * order (ECMA-376 part 1, CT_SectPr): footerReference, pgSz, pgMar. */
static void section_properties(char buf[SECTION_PROPERTIES_SIZE], bool landscape)
{
    snprintf(buf, SECTION_PROPERTIES_SIZE,
             "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>"
             "<w:pgSz w:w=\"%d\" w:h=\"%d\"%s/><w:pgMar w:top=\"%d\" w:right=\"%d\" "
             "w:bottom=\"%d\" w:left=\"%d\" w:header=\"567\" w:footer=\"567\" "
             "w:gutter=\"0\"/></w:sectPr>",
             landscape ? PAGE_HEIGHT : PAGE_WIDTH, landscape ? PAGE_WIDTH : PAGE_HEIGHT,
             landscape ? " w:orient=\"landscape\"" : "", MARGIN, MARGIN, MARGIN, MARGIN);
}

static void document_xml(FILE *f, const sipas_report *r, const png_image *images,
                         const bool *landscape)
{
    sipas_report_lang lang = sipas_report_language(r);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\" "
          "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
          "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
          "xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>\n", f);
    paragraph(f, "Title", "", sipas_report_title(r));
    contents(f, r);
    size_t charts = 0, nblocks = sipas_report_block_count(r);
    char end[SECTION_PROPERTIES_SIZE];
    if (nblocks > 0 && landscape[0]) {
        /* the title and contents end a portrait section of their own: a paragraph one point
         * high carries its properties */
        section_properties(end, false);
        fprintf(f, "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"20\" "
                "w:lineRule=\"exact\"/><w:rPr><w:sz w:val=\"2\"/></w:rPr>%s</w:pPr></w:p>\n",
                end);
    }
    for (size_t i = 0; i < nblocks; i++) {
        sipas_report_block b = sipas_report_block_at(r, i);
        /* the block's last paragraph ends its section when the next block turns the page */
        const char *section_end = "";
        if (i + 1 < nblocks && landscape[i + 1] != landscape[i]) {
            section_properties(end, landscape[i]);
            section_end = end;
        }
        switch (b.kind) {
        case SIPAS_REPORT_BLOCK_HEADING:
            heading(f, i, &b, section_end);
            break;
        case SIPAS_REPORT_BLOCK_PARAGRAPH:
            paragraph(f, "Normal", section_end, b.text);
            break;
        case SIPAS_REPORT_BLOCK_NOTE:
            paragraph(f, "SipasNote", section_end, b.text);
            break;
        case SIPAS_REPORT_BLOCK_HEADLINE:
            headline(f, &b, section_end);
            break;
        case SIPAS_REPORT_BLOCK_CHART:
            chart(f, charts + 1, &images[charts], b.text, section_end);
            charts++;
            break;
        case SIPAS_REPORT_BLOCK_TABLE:
            table(f, b.table, lang, landscape[i] ? LANDSCAPE_TEXT_WIDTH : TEXT_WIDTH,
                  section_end);
            break;
        }
    }
    /* the last section's properties close the body */
    section_properties(end, nblocks > 0 && landscape[nblocks - 1]);
    fprintf(f, "%s\n</w:body></w:document>\n", end);
}

/* ---------------------------------------------------------------------------------------------
 * The other parts. */

static const char *language_tag(sipas_report_lang lang)
{
    return lang == SIPAS_REPORT_VI ? "vi-VN" : "en-US";
}

static void styles_xml(FILE *f, sipas_report_lang lang)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<w:styles xmlns:w=\"" NS_W "\">\n"
            "<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Times New Roman\" "
            "w:hAnsi=\"Times New Roman\" w:cs=\"Times New Roman\" w:eastAsia=\"Times New Roman\"/>"
            "<w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/><w:lang w:val=\"%s\"/></w:rPr>"
            "</w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"120\" w:line=\"264\" "
            "w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\n", language_tag(lang));
    fputs("<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name "
          "w:val=\"Normal\"/><w:qFormat/></w:style>\n"
          "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn "
          "w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing "
          "w:after=\"240\"/></w:pPr><w:rPr><w:b/><w:color w:val=\"123A6B\"/><w:sz "
          "w:val=\"40\"/><w:szCs w:val=\"40\"/></w:rPr></w:style>\n", f);
    static const struct { const char *id, *name; int outline, size, before; } headings[] = {
        {"Heading1", "heading 1", 0, 32, 360}, {"Heading2", "heading 2", 1, 28, 240}};
    for (size_t i = 0; i < sizeof headings / sizeof headings[0]; i++)
        fprintf(f, "<w:style w:type=\"paragraph\" w:styleId=\"%s\"><w:name w:val=\"%s\"/>"
                "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority "
                "w:val=\"9\"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/>%s<w:spacing "
                "w:before=\"%d\" w:after=\"120\"/><w:outlineLvl w:val=\"%d\"/></w:pPr><w:rPr>"
                "<w:b/><w:color w:val=\"123A6B\"/><w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>"
                "</w:rPr></w:style>\n", headings[i].id, headings[i].name,
                headings[i].outline == 0 ? "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"12\" "
                "w:space=\"2\" w:color=\"123A6B\"/></w:pBdr>" : "",
                headings[i].before, headings[i].outline, headings[i].size, headings[i].size);
    fputs("<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"SipasContentsTitle\">"
          "<w:name w:val=\"SIPAS Contents Title\"/><w:basedOn w:val=\"Normal\"/><w:next "
          "w:val=\"TOC1\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" "
          "w:after=\"60\"/></w:pPr><w:rPr><w:b/><w:color w:val=\"123A6B\"/></w:rPr></w:style>\n"
          , f);
    /* the contents' page numbers, once updated, at the right margin */
    fprintf(f, "<w:style w:type=\"paragraph\" w:styleId=\"TOC1\"><w:name w:val=\"toc 1\"/>"
            "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"39\"/>"
            "<w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val=\"right\" w:leader=\"dot\" "
            "w:pos=\"%d\"/></w:tabs><w:spacing w:after=\"40\"/><w:ind w:left=\"240\"/></w:pPr>"
            "</w:style>\n", TEXT_WIDTH);
    fputs("<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/>"
          "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing "
          "w:before=\"120\" w:after=\"60\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"22\"/><w:szCs "
          "w:val=\"22\"/></w:rPr></w:style>\n"
          "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"SipasNote\"><w:name "
          "w:val=\"SIPAS Note\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/><w:rPr><w:color "
          "w:val=\"4A5263\"/><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/></w:rPr></w:style>\n"
          "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"SipasFootnote\"><w:name "
          "w:val=\"SIPAS Table Note\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/><w:pPr>"
          "<w:spacing w:before=\"40\" w:after=\"240\"/></w:pPr><w:rPr><w:color w:val=\"4A5263\"/>"
          "<w:sz w:val=\"19\"/><w:szCs w:val=\"19\"/></w:rPr></w:style>\n"
          "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"SipasHeadline\"><w:name "
          "w:val=\"SIPAS Headline\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepLines/>"
          "<w:pBdr><w:left w:val=\"single\" w:sz=\"36\" w:space=\"8\" w:color=\"2E7D32\"/></w:pBdr>"
          "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"EEF5EE\"/><w:spacing w:before=\"120\" "
          "w:after=\"240\"/><w:ind w:left=\"3000\" w:hanging=\"2820\"/></w:pPr></w:style>\n"
          "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"SipasTableText\">"
          "<w:name w:val=\"SIPAS Table Text\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/><w:pPr>"
          "<w:spacing w:before=\"20\" w:after=\"20\" w:line=\"240\" w:lineRule=\"auto\"/>"
          "</w:pPr><w:rPr><w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/></w:rPr></w:style>\n"
          "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name "
          "w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/><w:tblPr><w:tblInd "
          "w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left "
          "w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" "
          "w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\n", f);
    /* The report's table style: what a user changes once in Word (Table Design) to restyle
     * every table. Colours as in the HTML. */
    static const char *const sides[] = {"top", "left", "bottom", "right", "insideH", "insideV"};
    fputs("<w:style w:type=\"table\" w:customStyle=\"1\" w:styleId=\"SipasTable\"><w:name "
          "w:val=\"SIPAS Table\"/><w:basedOn w:val=\"TableNormal\"/><w:uiPriority w:val=\"59\"/>"
          "<w:tblPr>"
          "<w:tblBorders>", f);
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        fprintf(f, "<w:%s w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"B8C0CC\"/>",
                sides[i]);
    fputs("</w:tblBorders><w:tblCellMar><w:top w:w=\"28\" w:type=\"dxa\"/><w:left w:w=\"57\" "
          "w:type=\"dxa\"/><w:bottom w:w=\"28\" w:type=\"dxa\"/><w:right w:w=\"57\" "
          "w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblStylePr w:type=\"firstRow\"><w:rPr>"
          "<w:b/></w:rPr><w:tcPr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E8EDF5\"/>"
          "</w:tcPr></w:tblStylePr></w:style>\n</w:styles>\n", f);
}

static void settings_xml(FILE *f, sipas_report_lang lang)
{
    /* compatibilityMode 15: Word 2013 and later open it without "Compatibility Mode". Children
     * in the order of the schema's sequence (ECMA-376 part 1, 17.15.1.78), which Word enforces:
     * so are those of pPr, rPr, tblPr and style elsewhere in this file. */
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<w:settings xmlns:w=\"" NS_W "\"><w:defaultTabStop w:val=\"720\"/>"
            "<w:characterSpacingControl w:val=\"doNotCompress\"/>"
            "<w:compat><w:compatSetting w:name=\"compatibilityMode\" "
            "w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>"
            "<w:themeFontLang w:val=\"%s\"/></w:settings>\n", language_tag(lang));
}

static void footer_xml(FILE *f, sipas_report_lang lang)
{
    bool vi = lang == SIPAS_REPORT_VI;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<w:ftr xmlns:w=\"" NS_W "\"><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>", f);
    run(f, "<w:sz w:val=\"20\"/>", vi ? "Trang " : "Page ");
    fputs("<w:fldSimple w:instr=\" PAGE \"><w:r><w:rPr><w:sz w:val=\"20\"/></w:rPr><w:t>1</w:t>"
          "</w:r></w:fldSimple>", f);
    run(f, "<w:sz w:val=\"20\"/>", " / ");
    fputs("<w:fldSimple w:instr=\" NUMPAGES \"><w:r><w:rPr><w:sz w:val=\"20\"/></w:rPr><w:t>1"
          "</w:t></w:r></w:fldSimple></w:p></w:ftr>\n", f);
}

static void content_types_xml(FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
          "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."
          "relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
          "<Default Extension=\"png\" ContentType=\"image/png\"/>"
          "<Override PartName=\"/word/document.xml\" ContentType=\"" CT_WML
          "document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"" CT_WML
          "styles+xml\"/><Override PartName=\"/word/settings.xml\" ContentType=\"" CT_WML
          "settings+xml\"/><Override PartName=\"/word/footer1.xml\" ContentType=\"" CT_WML
          "footer+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/"
          "vnd.openxmlformats-package.core-properties+xml\"/><Override "
          "PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-"
          "officedocument.extended-properties+xml\"/></Types>\n", f);
}

static void package_rels_xml(FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId1\" Type=\"" REL_TYPE "officeDocument\" "
          "Target=\"word/document.xml\"/><Relationship Id=\"rId2\" "
          "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
          "core-properties\" Target=\"docProps/core.xml\"/><Relationship Id=\"rId3\" "
          "Type=\"" REL_TYPE "extended-properties\" Target=\"docProps/app.xml\"/>"
          "</Relationships>\n", f);
}

static void document_rels_xml(FILE *f, size_t ncharts)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rIdStyles\" Type=\"" REL_TYPE "styles\" Target=\"styles.xml\"/>"
          "<Relationship Id=\"rIdSettings\" Type=\"" REL_TYPE "settings\" "
          "Target=\"settings.xml\"/><Relationship Id=\"rIdFooter\" Type=\"" REL_TYPE "footer\" "
          "Target=\"footer1.xml\"/>", f);
    for (size_t i = 1; i <= ncharts; i++)
        fprintf(f, "<Relationship Id=\"rIdChart%zu\" Type=\"" REL_TYPE "image\" "
                "Target=\"media/chart%zu.png\"/>", i, i);
    fputs("</Relationships>\n", f);
}

static void core_xml(FILE *f, const sipas_report *r)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
          "core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>", f);
    xml_text(f, sipas_report_title(r));
    fprintf(f, "</dc:title><dc:creator>sipas</dc:creator><dc:language>%s</dc:language>"
            "</cp:coreProperties>\n", language_tag(sipas_report_language(r)));
}

static void app_xml(FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/"
          "extended-properties\"><Application>sipas "
#ifdef SIPAS_VERSION
          SIPAS_VERSION
#endif
          "</Application></Properties>\n", f);
}

/* ---------------------------------------------------------------------------------------------
 * The package. */

enum { PART_TYPES, PART_RELS, PART_CORE, PART_APP, PART_DOCUMENT, PART_DOCUMENT_RELS,
       PART_STYLES, PART_SETTINGS, PART_FOOTER, NPARTS };

sipas_status sipas_report_write_docx(const sipas_report *report, const char *path,
                                     sipas_error *err)
{
    sipas_status st = sipas_report_status(report, err);
    if (st != SIPAS_OK)
        return st;
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no path for the Word document");
    size_t ncharts = 0, nblocks = sipas_report_block_count(report);
    for (size_t i = 0; i < nblocks; i++)
        ncharts += sipas_report_block_at(report, i).kind == SIPAS_REPORT_BLOCK_CHART;
    png_image *images = calloc(ncharts ? ncharts : 1, sizeof *images);
    zip_archive_part *zparts = calloc(NPARTS + ncharts, sizeof *zparts);
    char (*image_names)[48] = calloc(ncharts ? ncharts : 1, sizeof *image_names);
    bool *landscape = calloc(nblocks ? nblocks : 1, sizeof *landscape);
    part parts[NPARTS] = {{0}};
    if (images == NULL || zparts == NULL || image_names == NULL || landscape == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory while writing '%s'", path);
        goto done;
    }
    for (size_t i = 0, c = 0; st == SIPAS_OK && i < nblocks; i++) {
        sipas_report_block b = sipas_report_block_at(report, i);
        if (b.kind == SIPAS_REPORT_BLOCK_CHART)
            st = chart_png(b.svg, b.text, &images[c++], err);
    }
    if (st != SIPAS_OK)
        goto done;
    sipas_report_lang lang = sipas_report_language(report);
    bool ok = true;
    for (int i = 0; i < NPARTS && ok; i++)
        ok = part_open(&parts[i]);
    if (ok) {
        content_types_xml(parts[PART_TYPES].f);
        package_rels_xml(parts[PART_RELS].f);
        core_xml(parts[PART_CORE].f, report);
        app_xml(parts[PART_APP].f);
        block_orientations(report, landscape);
        document_xml(parts[PART_DOCUMENT].f, report, images, landscape);
        document_rels_xml(parts[PART_DOCUMENT_RELS].f, ncharts);
        styles_xml(parts[PART_STYLES].f, lang);
        settings_xml(parts[PART_SETTINGS].f, lang);
        footer_xml(parts[PART_FOOTER].f, lang);
    }
    for (int i = 0; i < NPARTS; i++)
        if (!part_close(&parts[i]))
            ok = false;
    if (!ok) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory while writing '%s'", path);
        goto done;
    }
    static const char *const names[NPARTS] = {
        [PART_TYPES] = "[Content_Types].xml", [PART_RELS] = "_rels/.rels",
        [PART_CORE] = "docProps/core.xml", [PART_APP] = "docProps/app.xml",
        [PART_DOCUMENT] = "word/document.xml", [PART_DOCUMENT_RELS] = "word/_rels/document.xml.rels",
        [PART_STYLES] = "word/styles.xml", [PART_SETTINGS] = "word/settings.xml",
        [PART_FOOTER] = "word/footer1.xml"};
    for (int i = 0; i < NPARTS; i++)
        zparts[i] = (zip_archive_part){names[i], parts[i].data, parts[i].len, false};
    for (size_t c = 0; c < ncharts; c++) {
        snprintf(image_names[c], sizeof image_names[c], "word/media/chart%zu.png", c + 1);
        zparts[NPARTS + c] = (zip_archive_part){image_names[c], images[c].png.data,
                                                images[c].png.len, true};
    }
    sipas_atomic_file *file = NULL;
    if ((st = sipas_atomic_file_open(path, &file, err)) != SIPAS_OK)
        goto done;
    st = zip_archive_write(sipas_atomic_file_write_path(file), path, zparts, NPARTS + ncharts,
                           err);
    if (st == SIPAS_OK)
        st = sipas_atomic_file_commit(file, err);
    else
        sipas_atomic_file_discard(file);
done:
    for (int i = 0; i < NPARTS; i++) {
        if (parts[i].f)
            fclose(parts[i].f);
        free(parts[i].data);
    }
    for (size_t c = 0; images && c < ncharts; c++)
        free(images[c].png.data);
    free(images);
    free(zparts);
    free(image_names);
    free(landscape);
    return st;
}
