/* sipas/report_docx.h - the report (sipas/report.h) as a Word document (.docx, Office Open XML,
 * ECMA-376 5th edition part 1, transitional), the format ministries and provincial offices edit
 * and circulate. Guide with screenshots: docs/report.md.
 *
 * The document holds the same blocks as the HTML page, in the same order:
 *   title      paragraph style Title; document properties (docProps/core.xml): dc:title, and
 *              dc:language vi-VN or en-US, which is also every run's proofing language;
 *   headings   styles Heading1 (sections) and Heading2 (subsections), with outline levels, so
 *              Word's navigation pane and a table of contents inserted by the user list them;
 *   paragraphs Normal; notes SipasNote (small, grey); the headline SipasHeadline (a framed
 *              paragraph: the large figure, its label, the line under it);
 *   tables     the table style "SIPAS Table" defined in word/styles.xml (borders, a shaded bold
 *              header row), the header row repeated on every page, rows never split across
 *              pages, numbers right-aligned and formatted as in HTML (sipas_report_format:
 *              decimal comma in Vietnamese), suppressed values grey italic with "†", values to
 *              review with "‡", and under the table the same footnote as in HTML;
 *   charts     PNG images, rasterised from the chart's SVG by librsvg at twice the SVG's size
 *              (about 290 dpi at the text width of 16.9 cm), captioned. PNG because every Word
 *              version and LibreOffice show it alike: SVG in OOXML is a Word 2016 extension that
 *              requires a PNG fallback anyway, and LibreOffice 7 shows that fallback;
 *   pages      A4 portrait, 2 cm margins, "Trang N / M" ("Page N / M") in the footer; a table
 *              too wide for portrait with whole words in a landscape A4 section, then portrait.
 * Body text is Times New Roman 13 pt, the font and size Decree 30/2020/ND-CP sets for
 * Vietnamese administrative documents; tables 10 pt. Text is UTF-8 XML, escaped, with
 * xml:space="preserve" on every run; bytes that are not UTF-8 become U+FFFD and control
 * characters XML 1.0 forbids are dropped, so Word never refuses the file.
 *
 * The file is written through sipas/atomic_file.h: a failure leaves an earlier file in place.
 * The zip container is written by src/zip_archive.h (libzip). Nothing is printed. */
#ifndef SIPAS_REPORT_DOCX_H
#define SIPAS_REPORT_DOCX_H

#include "sipas/error.h"
#include "sipas/report.h"

/* Writes report as a .docx at path. SIPAS_ERR_FORMAT when a chart's SVG cannot be rasterised
 * (the message names the chart's caption), SIPAS_ERR_IO when the file cannot be written,
 * SIPAS_ERR_NOMEM; a report whose building failed returns that failure. */
sipas_status sipas_report_write_docx(const sipas_report *report, const char *path,
                                     sipas_error *err);

#endif
