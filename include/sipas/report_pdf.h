/* sipas/report_pdf.h - the report (sipas/report.h) as a PDF to print and file: the HTML page
 * printed by headless Chromium (Debian package chromium). Guide: docs/report.md.
 *
 * Why Chromium: the report's HTML is already the reference layout (tested in a browser by
 * tests/browser/report_chromium.sh), and Chromium's print-to-PDF lays it out with the HTML's
 * print CSS (report.c): A4, 16/15/18 mm margins, "Trang N / M" ("Page N / M") in the bottom
 * margin box (CSS Paged Media, drawn by Chromium since version 131), table rows never split
 * across pages, a table's header row repeated on each page it spans, headings kept with what
 * follows, fonts embedded as subsets, text selectable. A second layout engine would be a second
 * layout to keep right.
 *
 * How it runs: the HTML is written into a private temporary directory under $TMPDIR (else
 * /tmp); Chromium is started without a shell (posix_spawn) in its own process group, with a
 * fresh profile and HOME in that directory, stdin on /dev/null, its output to a log there,
 * no network (every host name resolves to nothing, no proxy, no background requests; the page
 * names no URL anyway) and --no-sandbox: Chromium's sandbox needs user namespaces or a setuid
 * helper that containers and CI runners often lack, and the page it renders is sipas's own,
 * escaped and without script. After timeout_seconds the whole process group is killed. The
 * PDF is checked (%PDF- at the start, %%EOF at the end), copied to the path through
 * sipas/atomic_file.h, and the temporary directory is removed. SIGINT, SIGTERM and SIGHUP are
 * held while Chromium runs: one that arrives kills it, the directory is removed, and the signal
 * is raised again (SIPAS_ERR_INTERRUPTED when a handler of the program returns).
 *
 * Errors: SIPAS_ERR_NOT_FOUND when no Chromium is installed (the message names the Debian
 * package), SIPAS_ERR_IO when it fails, times out or writes no PDF (the message quotes the
 * last line of its log), or the file cannot be written. Nothing is printed. */
#ifndef SIPAS_REPORT_PDF_H
#define SIPAS_REPORT_PDF_H

#include "sipas/error.h"
#include "sipas/report.h"

typedef struct sipas_report_pdf_options {
    /* The browser to run; NULL: the first of chromium, chromium-browser, google-chrome found on
     * $PATH. */
    const char *browser;
    int timeout_seconds; /* 0: 120 (a 30-page report prints in about 3 s) */
} sipas_report_pdf_options;

/* Writes report as a PDF at path (replaced atomically). opt may be NULL (defaults). */
sipas_status sipas_report_write_pdf(const sipas_report *report, const char *path,
                                    const sipas_report_pdf_options *opt, sipas_error *err);

#endif
