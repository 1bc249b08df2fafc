/* test_report.c - the report document and its writers without the statistics: number formats in
 * both languages, HTML escaping and structure, SVG inlining (prolog, namespaces and ids), sticky
 * errors, CSV tables, the xlsx workbook and the Word document (its parts read back with
 * `unzip -p`, checked with xmllint), and the PDF writer's failures with stand-in browsers (a
 * real Chromium is tested by tests/cli/report_pdf.sh). Files go to a fresh temporary directory. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipas/report.h"
#include "sipas/report_docx.h"
#include "sipas/report_pdf.h"
#include "sipas/xlsx.h"
#include "scratch_dir.h"

static char work_dir[256];

static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf == NULL) {
        buf = malloc(1);
        assert_non_null(buf);
    }
    buf[len] = '\0';
    if (size)
        *size = len;
    return buf;
}

static const char *in_work(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", work_dir, name);
    return p;
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static bool has_bytes(const char *data, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

static void test_formats(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(sipas_report_format(SIPAS_REPORT_PERCENT, 0.8707, SIPAS_REPORT_VI, b, sizeof b), "87,07%");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_PERCENT, 0.8707, SIPAS_REPORT_EN, b, sizeof b), "87.07%");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_PERCENT, 0.95, SIPAS_REPORT_VI, b, sizeof b), "95,00%");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_POINTS, 0.01234, SIPAS_REPORT_VI, b, sizeof b), "+1,23");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_POINTS, -0.0280, SIPAS_REPORT_EN, b, sizeof b), "-2.80");
    /* A change that rounds to nothing has no sign, never "-0,00". */
    assert_string_equal(sipas_report_format(SIPAS_REPORT_POINTS, -0.00001, SIPAS_REPORT_VI, b, sizeof b), "0,00");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_COUNT, 13200, SIPAS_REPORT_VI, b, sizeof b), "13200");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_YEAR, 2030, SIPAS_REPORT_VI, b, sizeof b), "2030");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_DECIMAL, 1.756, SIPAS_REPORT_VI, b, sizeof b), "1,76");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_P_VALUE, 0.0004, SIPAS_REPORT_VI, b, sizeof b), "<0,001");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_P_VALUE, 0.4079, SIPAS_REPORT_EN, b, sizeof b), "0.408");
    assert_string_equal(sipas_report_format(SIPAS_REPORT_PERCENT, NAN, SIPAS_REPORT_EN, b, sizeof b), "–");
}

/* A gnuplot-like SVG: prolog, namespaces, ids and references to them. */
static const char svg_doc[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"  standalone=\"no\"?>\n"
    "<svg \n width=\"400\" height=\"300\"\n viewBox=\"0 0 400 300\"\n"
    " xmlns=\"http://www.w3.org/2000/svg\"\n xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n>\n"
    "<title>Gnuplot</title>\n<g id=\"gnuplot_canvas\">\n<defs>\n"
    "\t<circle id='gpPt5' r='1'/>\n\t<use xlink:href='#gpPt5' id='gpPt6'/>\n</defs>\n"
    "<path fill=\"url(#gpPat1)\" d=\"M0,0 L10,10\"/>\n<text>Đình Lập &amp; 87,1</text>\n</g>\n</svg>\n";

static sipas_report *sample_report(sipas_report_lang lang)
{
    sipas_report *r = NULL;
    assert_int_equal(sipas_report_create("Báo cáo <2024> & \"thử\"", lang, &r, NULL), SIPAS_OK);
    sipas_report_heading(r, 1, "summary", "Tóm tắt");
    sipas_report_headline(r, "87,07%", "Chỉ số chung", "n = 2200");
    sipas_report_paragraph(r, "a <b>bold</b> claim & more");
    sipas_report_heading(r, 1, "charts", "Biểu đồ");
    sipas_report_chart_svg(r, svg_doc, strlen(svg_doc), "first");
    sipas_report_chart_svg(r, svg_doc, strlen(svg_doc), "second");
    static const sipas_report_column cols[] = {
        {"Đơn vị", SIPAS_REPORT_TEXT}, {"Chỉ số (%)", SIPAS_REPORT_PERCENT},
        {"Thay đổi (điểm %)", SIPAS_REPORT_POINTS}, {"n", SIPAS_REPORT_COUNT}};
    sipas_report_table *t = sipas_report_table_add(r, "ranking", "Xếp hạng", "Xếp hạng đơn vị",
                                                   cols, 4, "ghi chú, \"trích\"");
    assert_non_null(t);
    sipas_report_row(t, SIPAS_REPORT_STRONG);
    sipas_report_text(t, "Toàn tỉnh");
    sipas_report_value(t, 0.9019, 0);
    sipas_report_value(t, 0.0080, SIPAS_REPORT_GOOD);
    sipas_report_value(t, 2200, 0);
    sipas_report_row(t, 0);
    sipas_report_text(t, "Đình Lập, \"xa\"");
    sipas_report_value(t, 0.8377, SIPAS_REPORT_SUPPRESSED | SIPAS_REPORT_REVIEW);
    sipas_report_value(t, NAN, 0);
    sipas_report_value(t, 143, 0);
    sipas_report_row(t, 0); /* left short: padded with empty cells */
    sipas_report_text(t, "Bình Gia");
    assert_int_equal(sipas_report_status(r, NULL), SIPAS_OK);
    return r;
}

static void test_html(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    const char *path = in_work("r.html");
    sipas_error err = {0};
    assert_int_equal(sipas_report_write_html(r, path, &err), SIPAS_OK);
    char *html = slurp(path, NULL);
    assert_non_null(strstr(html, "<!DOCTYPE html>\n<html lang=\"vi\">"));
    assert_non_null(strstr(html, "<title>Báo cáo &lt;2024&gt; &amp; &quot;thử&quot;</title>"));
    assert_non_null(strstr(html, "<p>a &lt;b&gt;bold&lt;/b&gt; claim &amp; more</p>"));
    assert_non_null(strstr(html, "<li><a href=\"#summary\">Tóm tắt</a></li>"));
    assert_non_null(strstr(html, "<h2 id=\"charts\">Biểu đồ</h2>"));
    assert_non_null(strstr(html, "<div class=\"figure\">87,07%</div>"));
    /* Charts: no prolog, no namespace URL, no gnuplot title, ids prefixed per chart. */
    assert_null(strstr(html, "<?xml"));
    assert_null(strstr(html, "http"));
    assert_null(strstr(html, "<title>Gnuplot"));
    assert_int_equal(count(html, "<svg role=\"img\""), 2);
    assert_non_null(strstr(html, "id=\"c1-gnuplot_canvas\""));
    assert_non_null(strstr(html, "<use xlink:href='#c1-gpPt5' id='c1-gpPt6'/>"));
    assert_non_null(strstr(html, "<use xlink:href='#c2-gpPt5' id='c2-gpPt6'/>"));
    assert_non_null(strstr(html, "fill=\"url(#c2-gpPat1)\""));
    assert_null(strstr(html, "'#gpPt5'"));
    assert_non_null(strstr(html, "width=\"400\" height=\"300\""));
    assert_non_null(strstr(html, "<text>Đình Lập &amp; 87,1</text>")); /* SVG text kept as is */
    /* The table: numbers in Vietnamese, marks, escaping, padding. */
    assert_non_null(strstr(html, "<tr class=\"strong\"><td>Toàn tỉnh</td><td class=\"num\">90,19%</td>"
                                 "<td class=\"num good\">+0,80</td><td class=\"num\">2200</td></tr>"));
    assert_non_null(strstr(html, "<td>Đình Lập, &quot;xa&quot;</td><td class=\"num suppressed\""));
    assert_non_null(strstr(html, ">83,77% † ‡</td><td class=\"num\">–</td>"));
    assert_non_null(strstr(html, "<td>Bình Gia</td><td class=\"num\">–</td><td class=\"num\">–</td>"
                                 "<td class=\"num\">–</td></tr>"));
    assert_non_null(strstr(html, "† Giá trị in nghiêng màu xám"));
    assert_non_null(strstr(html, "‡ Ít bậc tự do"));
    assert_non_null(strstr(html, "ghi chú, &quot;trích&quot;</p>"));
    free(html);
    sipas_report_free(r);

    r = sample_report(SIPAS_REPORT_EN);
    assert_int_equal(sipas_report_write_html(r, path, &err), SIPAS_OK);
    html = slurp(path, NULL);
    assert_non_null(strstr(html, "<html lang=\"en\">"));
    assert_non_null(strstr(html, "<h2>Contents</h2>"));
    assert_non_null(strstr(html, ">90.19%</td>"));
    assert_non_null(strstr(html, "† Greyed italic values"));
    free(html);
    sipas_report_free(r);
}

static void test_csv(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    const char *dir = in_work("csv");
    sipas_error err = {0};
    assert_int_equal(sipas_report_write_csv_dir(r, dir, &err), SIPAS_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/ranking.csv", dir);
    char *csv = slurp(path, NULL);
    assert_string_equal(csv, "Đơn vị,Chỉ số (%),Thay đổi (điểm %),n\n"
                             "Toàn tỉnh,90.19,0.8,2200\n"
                             "\"Đình Lập, \"\"xa\"\"\",83.77,,143\n"
                             "Bình Gia,,,\n");
    free(csv);
    /* Written again over the same directory: replaced, not appended. */
    assert_int_equal(sipas_report_write_csv_dir(r, dir, &err), SIPAS_OK);
    size_t size;
    free(slurp(path, &size));
    assert_int_equal(size, strlen("Đơn vị,Chỉ số (%),Thay đổi (điểm %),n\nToàn tỉnh,90.19,0.8,2200\n"
                                  "\"Đình Lập, \"\"xa\"\"\",83.77,,143\nBình Gia,,,\n"));
    /* A file where the directory should be. */
    FILE *f = fopen(in_work("plainfile"), "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(sipas_report_write_csv_dir(r, in_work("plainfile"), &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "is not a directory"));
    sipas_report_free(r);
}

static void test_xlsx(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    const char *path = in_work("r.xlsx");
    sipas_error err = {0};
    assert_int_equal(sipas_xlsx_write_report(r, path, &err), SIPAS_OK);
    size_t size;
    char *zip = slurp(path, &size);
    assert_true(size > 3000);
    assert_memory_equal(zip, "PK\003\004", 4);
    /* Part names are stored uncompressed in the zip's headers. */
    assert_true(has_bytes(zip, size, "xl/workbook.xml"));
    assert_true(has_bytes(zip, size, "xl/worksheets/sheet1.xml"));
    assert_false(has_bytes(zip, size, "xl/worksheets/sheet2.xml"));
    free(zip);
    sipas_report_free(r);

    /* No table: nothing to write. */
    assert_int_equal(sipas_report_create("empty", SIPAS_REPORT_EN, &r, NULL), SIPAS_OK);
    assert_int_equal(sipas_xlsx_write_report(r, in_work("empty.xlsx"), &err), SIPAS_ERR_USAGE);
    assert_int_equal(access(in_work("empty.xlsx"), F_OK), -1);
    sipas_report_free(r);
    /* An unwritable place leaves no file and says where. */
    r = sample_report(SIPAS_REPORT_EN);
    assert_int_equal(sipas_xlsx_write_report(r, in_work("missing/dir/r.xlsx"), &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "missing/dir/r.xlsx"));
    sipas_report_free(r);
}

/* One part of a .docx as text (unzip -p), NULL when the archive has no such part. part is an
 * unzip pattern: a literal [ or ] is written \[ \]. */
static char *docx_part(const char *docx, const char *part)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "unzip -p '%s' '%s' > '%s' 2>/dev/null", docx, part,
             in_work("part.xml"));
    if (system(cmd) != 0)
        return NULL;
    return slurp(in_work("part.xml"), NULL);
}

static bool well_formed(const char *xml)
{
    FILE *f = fopen(in_work("check.xml"), "wb");
    assert_non_null(f);
    assert_int_equal(fputs(xml, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>/dev/null", in_work("check.xml"));
    return system(cmd) == 0;
}

static void test_docx(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    /* Text Word would refuse: a control character, bytes that are not UTF-8 (a lone lead byte,
     * an overlong '/', a surrogate), markup characters. */
    sipas_report_note(r, "ghi chú\x01 <x> & \xC3 \xC0\xAF \xED\xA0\x80 dòng 1\ndòng 2");
    char path[512]; /* in_work reuses its buffers */
    snprintf(path, sizeof path, "%s", in_work("r.docx"));
    sipas_error err = {0};
    assert_int_equal(sipas_report_write_docx(r, path, &err), SIPAS_OK);
    static const char *const parts[] = {
        "\\[Content_Types\\].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
        "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml",
        "word/settings.xml", "word/footer1.xml"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *xml = docx_part(path, parts[i]);
        assert_non_null(xml);
        if (!well_formed(xml))
            fail_msg("%s is not well-formed XML", parts[i]);
        free(xml);
    }
    char *doc = docx_part(path, "word/document.xml");
    assert_non_null(doc);
    assert_non_null(strstr(doc, "<w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:t xml:space=\"preserve\">"
                                "Báo cáo &lt;2024&gt; &amp; &quot;thử&quot;</w:t>"));
    assert_int_equal(count(doc, "<w:pStyle w:val=\"Heading1\"/>"), 2);
    assert_int_equal(count(doc, "<w:tbl>"), 1);
    assert_int_equal(count(doc, "<w:tblHeader/>"), 1);
    assert_int_equal(count(doc, "<w:tr>"), 4); /* header and three rows */
    assert_non_null(strstr(doc, ">87,07%</w:t>"));      /* the headline figure */
    assert_non_null(strstr(doc, ">90,19%</w:t>"));
    assert_non_null(strstr(doc, ">+0,80</w:t>"));
    assert_non_null(strstr(doc, ">83,77%</w:t></w:r><w:r><w:rPr><w:i/><w:color w:val=\"9AA0A8\"/>"
                                "</w:rPr><w:t xml:space=\"preserve\"> † ‡</w:t>"));
    assert_non_null(strstr(doc, ">–</w:t>"));            /* NaN */
    assert_non_null(strstr(doc, "Đình Lập, &quot;xa&quot;"));
    assert_non_null(strstr(doc, "ghi chú, &quot;trích&quot;"));
    /* the control character dropped, each bad sequence one U+FFFD per byte, the newline a break */
    assert_non_null(strstr(doc, "ghi chú &lt;x&gt; &amp; \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                                "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD dòng 1</w:t></w:r><w:r><w:br/></w:r>"));
    assert_null(memchr(doc, '\x01', strlen(doc)));
    /* two charts, each a PNG in the package under its relationship */
    assert_int_equal(count(doc, "<a:blip r:embed=\"rIdChart"), 2);
    char *rels = docx_part(path, "word/_rels/document.xml.rels");
    assert_non_null(rels);
    assert_non_null(strstr(rels, "Id=\"rIdChart2\" Type=\"http://schemas.openxmlformats.org/"
                                 "officeDocument/2006/relationships/image\" Target=\"media/chart2.png\""));
    char *png = docx_part(path, "word/media/chart2.png");
    assert_non_null(png);
    assert_memory_equal(png, "\x89PNG", 4);
    char *core = docx_part(path, "docProps/core.xml");
    assert_non_null(core);
    assert_non_null(strstr(core, "<dc:language>vi-VN</dc:language>"));
    free(core);
    free(png);
    free(rels);
    free(doc);
    sipas_report_free(r);

    /* A chart whose SVG has no size cannot be drawn: the message names it, the earlier file
     * stays. */
    size_t before, after;
    free(slurp(path, &before));
    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_EN, &r, NULL), SIPAS_OK);
    static const char no_size[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0,0\"/></svg>";
    sipas_report_chart_svg(r, no_size, strlen(no_size), "sizeless");
    assert_int_equal(sipas_report_write_docx(r, path, &err), SIPAS_ERR_FORMAT);
    assert_non_null(strstr(err.message, "sizeless"));
    free(slurp(path, &after));
    assert_int_equal(before, after);
    sipas_report_free(r);
    /* An unwritable place says where. */
    r = sample_report(SIPAS_REPORT_EN);
    assert_int_equal(sipas_report_write_docx(r, in_work("missing/dir/r.docx"), &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "missing/dir/r.docx"));
    sipas_report_free(r);
}

/* Whether process pid has ended: gone, or a zombie nobody has reaped yet (a container without an
 * init process leaves those). */
static bool process_ended(long pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    bool read = fgets(stat, sizeof stat, f) != NULL;
    fclose(f);
    const char *paren = strrchr(stat, ')'); /* the state follows "(command) " */
    return !read || (paren && paren[1] == ' ' && paren[2] == 'Z');
}

/* A stand-in browser: a shell script at path with body. */
static void write_browser(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fprintf(f, "#!/bin/sh\n%s\n", body) > 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
}

static void test_pdf_failures(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    sipas_error err = {0};
    char pdf[512], browser[512];
    snprintf(pdf, sizeof pdf, "%s", in_work("r.pdf"));
    /* A browser that writes something other than a PDF where it was told to. */
    snprintf(browser, sizeof browser, "%s", in_work("not-pdf-browser"));
    write_browser(browser, "for a; do case \"$a\" in --print-to-pdf=*) "
                           "printf 'not a pdf' > \"${a#--print-to-pdf=}\";; esac; done");
    sipas_report_pdf_options opt = {browser, 30};
    assert_int_equal(sipas_report_write_pdf(r, pdf, &opt, &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "no complete PDF"));
    assert_int_equal(access(pdf, F_OK), -1);
    /* A truncated PDF (no %%EOF) is refused too. */
    write_browser(browser, "for a; do case \"$a\" in --print-to-pdf=*) "
                           "printf '%%PDF-1.4 cut here' > \"${a#--print-to-pdf=}\";; esac; done");
    assert_int_equal(sipas_report_write_pdf(r, pdf, &opt, &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "no complete PDF"));
    /* A browser that hangs is killed at the timeout, with what it started. */
    char helper[512];
    snprintf(helper, sizeof helper, "%s", in_work("helper.pid"));
    char body[1200];
    snprintf(body, sizeof body, "sleep 300 & echo $! > '%s'; wait", helper);
    write_browser(browser, body);
    opt.timeout_seconds = 1;
    assert_int_equal(sipas_report_write_pdf(r, pdf, &opt, &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "did not finish printing in 1 s"));
    char *pid_text = slurp(helper, NULL);
    long helper_pid = strtol(pid_text, NULL, 10);
    free(pid_text);
    assert_true(helper_pid > 0);
    bool gone = false;
    for (int i = 0; i < 50 && !gone; i++) {
        gone = process_ended(helper_pid);
        if (!gone)
            nanosleep(&(struct timespec){0, 100000000L}, NULL);
    }
    if (!gone)
        kill((pid_t)helper_pid, SIGKILL);
    assert_true(gone);
    /* A browser that does not exist. */
    opt.browser = in_work("no-such-browser");
    assert_int_equal(sipas_report_write_pdf(r, pdf, &opt, &err), SIPAS_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no-such-browser"));
    assert_int_equal(access(pdf, F_OK), -1);
    sipas_report_free(r);
}

static void test_sticky_errors(void **state)
{
    (void)state;
    sipas_error err = {0};
    sipas_report *r = NULL;
    static const sipas_report_column cols[] = {{"a", SIPAS_REPORT_TEXT}, {"b", SIPAS_REPORT_PERCENT}};

    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    sipas_report_table *t = sipas_report_table_add(r, "t1", "Sheet", "c", cols, 2, NULL);
    sipas_report_row(t, 0);
    sipas_report_value(t, 0.5, 0); /* a value in a text column */
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "column 'a'"));
    /* Later calls do nothing and the first error stays. */
    sipas_report_heading(r, 3, "x", "bad level");
    sipas_report_status(r, &err);
    assert_non_null(strstr(err.message, "column 'a'"));
    assert_int_equal(sipas_report_write_html(r, in_work("never.html"), &err), SIPAS_ERR_USAGE);
    assert_int_equal(access(in_work("never.html"), F_OK), -1);
    sipas_report_free(r);

    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    t = sipas_report_table_add(r, "t1", "Sheet", "c", cols, 2, NULL);
    sipas_report_row(t, 0);
    sipas_report_text(t, "x");
    sipas_report_value(t, 0.5, 0);
    sipas_report_value(t, 0.6, 0); /* one cell too many */
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "more cells than columns"));
    sipas_report_free(r);

    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    sipas_report_heading(r, 1, "same", "a");
    sipas_report_heading(r, 1, "same", "b");
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "'same' is used twice"));
    sipas_report_free(r);

    const char *bad_sheets[] = {"a/b", "[x]", "Một tên trang tính dài hơn ba mươi mốt ký tự", ""};
    for (size_t i = 0; i < sizeof bad_sheets / sizeof bad_sheets[0]; i++) {
        assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
        assert_null(sipas_report_table_add(r, "t1", bad_sheets[i], "c", cols, 2, NULL));
        assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_USAGE);
        sipas_report_free(r);
    }
    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    assert_non_null(sipas_report_table_add(r, "t1", "Xếp hạng đơn vị theo huyện 2024", "c", cols, 2, NULL));
    assert_null(sipas_report_table_add(r, "t1", "Other", "c", cols, 2, NULL)); /* name again */
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_USAGE);
    sipas_report_free(r);

    /* SVG that is not one, or that carries a script. */
    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    sipas_report_chart_svg(r, "<html></html>", 13, "x");
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_FORMAT);
    sipas_report_free(r);
    const char *scripted = "<svg width=\"1\"><SCRIPT>alert(1)</SCRIPT></svg>";
    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    sipas_report_chart_svg(r, scripted, strlen(scripted), "x");
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_FORMAT);
    assert_non_null(strstr(err.message, "script"));
    sipas_report_free(r);
    assert_int_equal(sipas_report_create("t", SIPAS_REPORT_VI, &r, NULL), SIPAS_OK);
    sipas_report_chart_file(r, in_work("no-such.svg"), "x");
    assert_int_equal(sipas_report_status(r, &err), SIPAS_ERR_IO);
    assert_non_null(strstr(err.message, "no-such.svg"));
    sipas_report_free(r);

    assert_int_equal(sipas_report_create(NULL, SIPAS_REPORT_VI, &r, &err), SIPAS_ERR_USAGE);
    assert_null(r);
    sipas_report_free(NULL);
}

/* A failed write leaves the earlier file. */
static void test_replace_only_on_success(void **state)
{
    (void)state;
    sipas_report *r = sample_report(SIPAS_REPORT_VI);
    const char *path = in_work("keep.html");
    sipas_error err = {0};
    assert_int_equal(sipas_report_write_html(r, path, &err), SIPAS_OK);
    size_t before;
    free(slurp(path, &before));
    sipas_report_table *t = (sipas_report_table *)sipas_report_table_at(r, 0);
    sipas_report_text(t, "x"); /* a text cell in a number column: the report fails */
    assert_int_equal(sipas_report_write_html(r, path, &err), SIPAS_ERR_USAGE);
    size_t after;
    free(slurp(path, &after));
    assert_int_equal(before, after);
    sipas_report_free(r);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%s/sipas-test-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(work_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return scratch_dir_remove(work_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_docx),
        cmocka_unit_test(test_pdf_failures),
        cmocka_unit_test(test_sticky_errors),
        cmocka_unit_test(test_replace_only_on_success),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
