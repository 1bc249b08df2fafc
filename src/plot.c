/* plot.c - charts through gnuplot: script generation and the gnuplot child process. */
#include "sipas/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sipas/atomic_file.h"
#include "sipas/number_format.h"

extern char **environ;

#define FONT_NAME "DejaVu Sans"
#define DEFAULT_FONT_SIZE 11.0
#define DEFAULT_WIDTH 960
#define DEFAULT_HEIGHT 600
#define MAX_SIDE 10000
/* The pdfcairo terminal lays out text like pngcairo does when the page is 1/144 inch per pixel
 * (checked by rasterising both), so a PDF looks like the PNG of the same options. */
#define PDF_PIXELS_PER_INCH 144.0
/* The svg terminal sizes text in pixels, pngcairo in points at 96 dpi. */
#define SVG_POINTS_TO_PIXELS (96.0 / 72.0)
#define MAX_SCRIPT_BYTES (64u << 20)
#define MAX_SERIES 12
#define MAX_SERIES_POINTS 100000
#define MAX_TARGETS 8
#define MAX_ROWS 200
#define MAX_COLUMNS 50
#define STDERR_KEPT 640
#define WRAP_COLUMNS 16
#define LABEL_COLUMNS 48

#define TARGET_COLOUR "#b2182b"
#define REFERENCE_COLOUR "#333333"
#define BAR_COLOUR "#4a7fb5"
#define BELOW_COLOUR "#e08214"
#define PREVIOUS_COLOUR "#8c8c8c"

/* Distinct on white and for the common colour-vision deficiencies (Okabe-Ito first, then
 * darker tones); the first is the province. */
static const char *const series_colours[MAX_SERIES] = {
    "#0b3c78", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
    "#7f3c8d", "#666666", "#a6761d", "#1b9e77", "#e7298a", "#3969ac",
};

/* ---------------------------------------------------------------------------------------------
 * The script text. Appends never fail on the spot: the first failure is remembered and
 * reported once by script_status, which keeps every writer below free of error plumbing. */

typedef struct script {
    char *text;
    size_t len, cap;
    bool failed;
} script;

static void script_addv(script *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void script_addv(script *s, const char *fmt, va_list ap)
{
    if (s->failed)
        return;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(s->text == NULL ? NULL : s->text + s->len,
                      s->text == NULL ? 0 : s->cap - s->len, fmt, copy);
    va_end(copy);
    if (n < 0) {
        s->failed = true;
        return;
    }
    if (s->text == NULL || s->len + (size_t)n + 1 > s->cap) {
        size_t want = s->cap == 0 ? 4096 : s->cap;
        while (want < s->len + (size_t)n + 1)
            want *= 2;
        if (want > MAX_SCRIPT_BYTES) {
            s->failed = true;
            return;
        }
        char *grown = realloc(s->text, want);
        if (grown == NULL) {
            s->failed = true;
            return;
        }
        s->text = grown;
        s->cap = want;
        vsnprintf(s->text + s->len, s->cap - s->len, fmt, ap);
    }
    s->len += (size_t)n;
}

static void script_add(script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void script_add(script *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    script_addv(s, fmt, ap);
    va_end(ap);
}

static void script_add_bytes(script *s, const char *bytes, size_t n)
{
    script_add(s, "%.*s", (int)n, bytes);
}

/* A gnuplot string expression made of single-quoted strings: no backslash escapes happen
 * inside them. gnuplot's own escape for a quote, '', breaks when the text starts with a quote or
 * holds two in a row ('''' is a syntax error in 5.4), so a quote is concatenated as "\047"
 * (octal in a double-quoted string): O'Brien -> 'O'."\047".'Brien'. Writing it "'" would be
 * unsafe: gnuplot expands macros (@name) and backticks (shell commands) before parsing, skipping
 * quoted text by counting quote characters on the line, and one ' more would leave the rest of
 * the text unquoted for that count. A control character would end the command (newline) or
 * show as a box: it becomes a space. */
static void add_quoted_cut(script *s, const char *text, size_t max_columns)
{
    script_add(s, "'");
    if (text != NULL) {
        size_t columns = 0;
        for (const char *p = text; *p != '\0'; p++) {
            unsigned char c = (unsigned char)*p;
            if ((c & 0xc0) != 0x80 && max_columns > 0 && ++columns > max_columns) {
                script_add(s, "\xe2\x80\xa6"); /* U+2026 HORIZONTAL ELLIPSIS */
                break;
            }
            if (c == '\'')
                script_add(s, "'.\"\\047\".'");
            else if (c < 0x20 || c == 0x7f)
                script_add(s, " ");
            else
                script_add_bytes(s, p, 1);
        }
    }
    script_add(s, "'");
}

static void add_quoted(script *s, const char *text)
{
    add_quoted_cut(s, text, 0);
}

/* Names on an axis or in the legend are cut at LABEL_COLUMNS characters: gnuplot sizes the
 * plot area around its tick labels, and a name of a hundred characters would leave the data
 * no room at all ("terminal canvas area too small"). Titles are kept whole. */
static void add_label(script *s, const char *text)
{
    add_quoted_cut(s, text, LABEL_COLUMNS);
}

/* A number gnuplot reads back exactly, whatever LC_NUMERIC the calling program chose: printf
 * writes the locale's decimal point, gnuplot expects '.'. NaN and infinities become NaN, which
 * gnuplot takes as an undefined value and skips. */
static void format_number(char out[40], double x, int precision, char decimal)
{
    if (!isfinite(x)) {
        snprintf(out, 40, "NaN");
        return;
    }
    if (precision < 0)
        snprintf(out, 40, "%.10g", x);
    else
        snprintf(out, 40, "%.*f", precision, x);
    sipas_number_set_decimal(out, decimal);
}

static void add_number(script *s, double x)
{
    char buf[40];
    format_number(buf, x, -1, '.');
    script_add(s, "%s", buf);
}

/* A proportion as the percentage gnuplot plots. */
static void add_percent(script *s, double proportion)
{
    add_number(s, proportion * 100.0);
}

/* The one-decimal percentage printed on a chart ("87,1" with decimal_comma). */
static void format_value_label(char out[40], double proportion, bool decimal_comma)
{
    format_number(out, proportion * 100.0, 1, decimal_comma ? ',' : '.');
}

static size_t utf8_columns(const char *s, size_t n)
{
    size_t columns = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            columns++;
    return columns;
}

/* A category label broken at spaces into lines of at most WRAP_COLUMNS characters (code points,
 * not bytes; a longer word keeps a line to itself), written as a gnuplot string expression
 * 'line 1'."\n".'line 2'. Returns the number of lines. */
static size_t add_wrapped(script *s, const char *text)
{
    if (text == NULL)
        text = "";
    size_t lines = 0, len = strlen(text);
    char *line = malloc(len + 1);
    if (line == NULL) {
        s->failed = true;
        return 1;
    }
    size_t line_len = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        bool fits = line_len == 0 ||
                    utf8_columns(line, line_len) + 1 + utf8_columns(p, word) <= WRAP_COLUMNS;
        if ((!fits || word == 0) && (line_len > 0 || lines == 0)) {
            line[line_len] = '\0';
            if (lines > 0)
                script_add(s, ".\"\\n\".");
            add_quoted(s, line);
            lines++;
            line_len = 0;
        }
        if (word == 0)
            break;
        if (line_len > 0)
            line[line_len++] = ' ';
        memcpy(line + line_len, p, word);
        line_len += word;
        p += word;
    }
    free(line);
    return lines;
}

/* ---------------------------------------------------------------------------------------------
 * Options. */

sipas_plot_format sipas_plot_format_from_path(const char *path)
{
    if (path == NULL)
        return SIPAS_PLOT_FORMAT_AUTO;
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot == NULL || (slash != NULL && dot < slash))
        return SIPAS_PLOT_FORMAT_AUTO;
    if (strcasecmp(dot, ".png") == 0)
        return SIPAS_PLOT_PNG;
    if (strcasecmp(dot, ".svg") == 0)
        return SIPAS_PLOT_SVG;
    if (strcasecmp(dot, ".pdf") == 0)
        return SIPAS_PLOT_PDF;
    return SIPAS_PLOT_FORMAT_AUTO;
}

typedef struct canvas {
    sipas_plot_format format;
    int width, height;
    double font_size;
} canvas;

static sipas_status resolve_options(const sipas_plot_options *opt, int default_height,
                                    canvas *out, sipas_error *err)
{
    if (opt == NULL || opt->output_path == NULL || opt->output_path[0] == '\0')
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a chart needs an output path");
    out->format = opt->format;
    if (out->format == SIPAS_PLOT_FORMAT_AUTO) {
        out->format = sipas_plot_format_from_path(opt->output_path);
        if (out->format == SIPAS_PLOT_FORMAT_AUTO)
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "cannot tell the chart format of '%s': use .png, .svg or .pdf",
                                   opt->output_path);
    } else if (out->format != SIPAS_PLOT_PNG && out->format != SIPAS_PLOT_SVG &&
               out->format != SIPAS_PLOT_PDF) {
        return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown chart format %d", (int)opt->format);
    }
    out->width = opt->width == 0 ? DEFAULT_WIDTH : opt->width;
    out->height = opt->height == 0 ? default_height : opt->height;
    if (out->width < 100 || out->width > MAX_SIDE || out->height < 100 || out->height > MAX_SIDE)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "chart size %dx%d is out of range (100 to %d pixels a side)",
                               out->width, out->height, MAX_SIDE);
    out->font_size = opt->font_size == 0 ? DEFAULT_FONT_SIZE : opt->font_size;
    if (!(out->font_size >= 4 && out->font_size <= 72))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "font size %g is out of range (4 to 72)",
                               out->font_size);
    return SIPAS_OK;
}

/* A font size relative to the base size, in the unit of the terminal (pixels for svg). */
static void format_font_size(char out[40], const canvas *cv, double factor)
{
    double size = cv->font_size * factor;
    format_number(out, cv->format == SIPAS_PLOT_SVG ? size * SVG_POINTS_TO_PIXELS : size, 2, '.');
}

/* Terminal, output and the look shared by every kind. The output path is a default the caller
 * of gnuplot can override (-e "sipas_output='...'"): run_gnuplot renders to a temporary file
 * that way, while the kept script, run by hand, redraws the real output. */
static void add_preamble(script *s, const sipas_plot_options *opt, const canvas *cv)
{
    script_add(s, "# Chart drawn by sipas (src/plot.c); docs/plots.md explains how to adjust it.\n"
                  "# Redraw with: gnuplot THIS_FILE   (writes the output below)\n"
                  "set encoding utf8\n");
    char font[40];
    format_font_size(font, cv, 1.0);
    switch (cv->format) {
    case SIPAS_PLOT_SVG:
        script_add(s, "set terminal svg size %d,%d noenhanced font '%s,%s' background rgb 'white'\n",
                   cv->width, cv->height, FONT_NAME, font);
        break;
    case SIPAS_PLOT_PDF: {
        char w[40], h[40];
        format_number(w, cv->width / PDF_PIXELS_PER_INCH, 4, '.');
        format_number(h, cv->height / PDF_PIXELS_PER_INCH, 4, '.');
        script_add(s, "set terminal pdfcairo size %sin,%sin noenhanced font '%s,%s' "
                      "background rgb 'white'\n", w, h, FONT_NAME, font);
        break;
    }
    default:
        script_add(s, "set terminal pngcairo size %d,%d noenhanced font '%s,%s' "
                      "background rgb 'white'\n", cv->width, cv->height, FONT_NAME, font);
        break;
    }
    /* Every point size is multiplied by point_scale: pdfcairo and svg draw symbols about 1.5
     * times as large as pngcairo at the same layout (compared on rasterised output). */
    script_add(s, "point_scale = %s\n", cv->format == SIPAS_PLOT_PNG ? "1" : "0.7");
    script_add(s, "if (!exists('sipas_output')) sipas_output = ");
    add_quoted(s, opt->output_path);
    script_add(s, "\nset output sipas_output\n");
    if (opt->decimal_comma)
        script_add(s, "set decimalsign ','\n");
    if (opt->title != NULL && opt->title[0] != '\0') {
        script_add(s, "set title ");
        add_quoted(s, opt->title);
        format_font_size(font, cv, 1.25);
        script_add(s, " font ',%s'\n", font);
    }
    if (opt->x_label != NULL && opt->x_label[0] != '\0') {
        script_add(s, "set xlabel ");
        add_quoted(s, opt->x_label);
        script_add(s, "\n");
    }
    if (opt->y_label != NULL && opt->y_label[0] != '\0') {
        script_add(s, "set ylabel ");
        add_quoted(s, opt->y_label);
        script_add(s, "\n");
    }
    script_add(s, "set border 3 lw 1 lc rgb '#555555'\n"
                  "set tics nomirror out scale 0.6\n"
                  "set grid lw 1 lc rgb '#e3e3e3' dt 1\n"
                  "set key below horizontal center samplen 2.5 spacing 1.2 width 1 height 1.5\n"
                  "set errorbars small\n"
                  "set style textbox opaque noborder margins 3,1\n");
}

/* ---------------------------------------------------------------------------------------------
 * Running gnuplot. */

static void write_script_text(FILE *f, const void *s)
{
    const script *text = s;
    fwrite(text->text, 1, text->len, f);
}

/* gnuplot's complaint on one line: runs of white space (its messages span lines, with the
 * offending command echoed above a caret) become one space. */
static void squeeze_spaces(char *text)
{
    char *out = text;
    bool space = true;
    for (const char *p = text; *p != '\0'; p++) {
        bool is_space = *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';
        if (is_space) {
            if (!space)
                *out++ = ' ';
        } else {
            *out++ = *p;
        }
        space = is_space;
    }
    if (out > text && out[-1] == ' ')
        out--;
    *out = '\0';
}

/* Runs `gnuplot -d -e "sipas_output='TMP'" SCRIPT` with stdin and stdout on /dev/null and
 * stderr on a pipe. -d skips the user's ~/.gnuplot, so the chart does not depend on who runs
 * it. Fills complaint (STDERR_KEPT bytes) with the start of what gnuplot wrote to stderr. */
static sipas_status spawn_gnuplot(const char *script_path, const char *tmp_output,
                                  int *exit_status, char complaint[STDERR_KEPT],
                                  sipas_error *err)
{
    script assignment = {0};
    script_add(&assignment, "sipas_output=");
    add_quoted(&assignment, tmp_output);
    if (assignment.failed) {
        free(assignment.text);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        free(assignment.text);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot run 'gnuplot': %s", strerror(errno));
    }
    sipas_status status = SIPAS_OK;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        free(assignment.text);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "cannot run 'gnuplot': %s", strerror(rc));
    }
    if ((rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
        (rc = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2)) != 0 ||
        (rc = posix_spawn_file_actions_addclose(&actions, pipe_fds[0])) != 0 ||
        (rc = posix_spawn_file_actions_addclose(&actions, pipe_fds[1])) != 0) {
        status = sipas_error_set(err, SIPAS_ERR_NOMEM, "cannot run 'gnuplot': %s", strerror(rc));
        close(pipe_fds[1]);
        goto cleanup;
    }
    char *argv[] = {"gnuplot", "-d", "-e", assignment.text, (char *)script_path, NULL};
    pid_t pid;
    rc = posix_spawnp(&pid, "gnuplot", &actions, NULL, argv, environ);
    /* Our copy of the write end must go, or the read below never sees end of file. Linux frees
     * the descriptor even when close reports an error, so an error is reported after the wait. */
    int close_errno = close(pipe_fds[1]) == 0 ? 0 : errno;
    if (rc == ENOENT) {
        status = sipas_error_set(err, SIPAS_ERR_NOT_FOUND,
                                 "gnuplot is not installed; install the Debian package gnuplot-nox");
        goto cleanup;
    }
    if (rc != 0) {
        status = sipas_error_set(err, SIPAS_ERR_IO, "cannot run 'gnuplot': %s", strerror(rc));
        goto cleanup;
    }
    /* Read until gnuplot closes stderr, keeping the start: the first error stops a script. */
    size_t kept = 0;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n;
        if (take > STDERR_KEPT - 1 - kept)
            take = STDERR_KEPT - 1 - kept;
        memcpy(complaint + kept, chunk, take);
        kept += take;
    }
    complaint[kept] = '\0';
    squeeze_spaces(complaint);
    int wait_status;
    pid_t waited;
    do
        waited = waitpid(pid, &wait_status, 0);
    while (waited < 0 && errno == EINTR);
    if (waited < 0) {
        status = sipas_error_set(err, SIPAS_ERR_IO, "cannot wait for 'gnuplot': %s",
                                 strerror(errno));
        goto cleanup;
    }
    if (close_errno != 0) {
        status = sipas_error_set(err, SIPAS_ERR_IO, "cannot run 'gnuplot': %s",
                                 strerror(close_errno));
        goto cleanup;
    }
    if (WIFEXITED(wait_status))
        *exit_status = WEXITSTATUS(wait_status);
    else
        *exit_status = WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 255;
cleanup:
    close(pipe_fds[0]);
    posix_spawn_file_actions_destroy(&actions);
    free(assignment.text);
    return status;
}

/* Writes the script (to keep_script or a temporary file), renders into a temporary output and
 * renames it onto the output path. Frees nothing of s. */
static sipas_status render(const script *s, const sipas_plot_options *opt, sipas_error *err)
{
    if (s->failed)
        return sipas_error_set(err, SIPAS_ERR_NOMEM,
                               "out of memory writing the gnuplot script for '%s'",
                               opt->output_path);
    sipas_status status;
    char *script_path = NULL;
    sipas_atomic_file *output = NULL;
    bool remove_script = false;
    if (opt->keep_script != NULL) {
        script_path = strdup(opt->keep_script);
        if (script_path == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        status = sipas_atomic_file_write(script_path, write_script_text, s, err);
        if (status != SIPAS_OK)
            goto cleanup;
    } else {
        const char *dir = getenv("TMPDIR");
        if (dir == NULL || dir[0] == '\0')
            dir = "/tmp";
        size_t size = strlen(dir) + 32;
        script_path = malloc(size);
        if (script_path == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        snprintf(script_path, size, "%s/sipas-plot-XXXXXX", dir);
        int fd = mkstemp(script_path);
        if (fd < 0) {
            status = sipas_error_set(err, SIPAS_ERR_IO, "cannot create a script in '%s': %s", dir,
                                     strerror(errno));
            goto cleanup;
        }
        remove_script = true;
        if (close(fd) != 0) {
            status = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", script_path,
                                     strerror(errno));
            goto cleanup;
        }
        status = sipas_atomic_file_write(script_path, write_script_text, s, err);
        if (status != SIPAS_OK)
            goto cleanup;
    }
    status = sipas_atomic_file_open(opt->output_path, &output, err);
    if (status != SIPAS_OK)
        goto cleanup;
    const char *tmp_output = sipas_atomic_file_write_path(output);
    int exit_status = 0;
    char complaint[STDERR_KEPT];
    status = spawn_gnuplot(script_path, tmp_output, &exit_status, complaint, err);
    if (status != SIPAS_OK)
        goto cleanup;
    if (exit_status != 0) {
        status = sipas_error_set(err, SIPAS_ERR_IO, "gnuplot failed to draw '%s' (exit status %d)%s%s",
                                 opt->output_path, exit_status, complaint[0] ? ": " : "",
                                 complaint);
        goto cleanup;
    }
    struct stat st;
    if (stat(tmp_output, &st) != 0 || st.st_size == 0) {
        status = sipas_error_set(err, SIPAS_ERR_IO, "gnuplot wrote nothing to '%s'%s%s",
                                 opt->output_path, complaint[0] ? ": " : "", complaint);
        goto cleanup;
    }
    status = sipas_atomic_file_commit(output, err);
    output = NULL;
cleanup:
    sipas_atomic_file_discard(output);
    if (remove_script)
        unlink(script_path);
    free(script_path);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * Shared pieces of the charts. */

/* Joins plot elements: "plot A, \\\n     B". */
static void add_plot_separator(script *s, bool *first)
{
    script_add(s, *first ? "plot " : ", \\\n     ");
    *first = false;
}

static void track(double x, double *lo, double *hi)
{
    if (!isfinite(x))
        return;
    if (x < *lo)
        *lo = x;
    if (x > *hi)
        *hi = x;
}

/* A percentage axis range from the data's [lo, hi] (percent), widened by pad and rounded out to
 * multiples of 5, within [0, 100]. */
static void nice_percent_range(double lo, double hi, double pad, double *from, double *to)
{
    if (!(lo <= hi)) {
        lo = 0;
        hi = 100;
    }
    *from = floor((lo - pad) / 5.0) * 5.0;
    *to = ceil((hi + pad) / 5.0) * 5.0;
    if (*from < 0)
        *from = 0;
    if (*to > 100)
        *to = 100;
    if (*to - *from < 5) {
        if (*to <= 95)
            *to = *from + 5;
        else
            *from = *to - 5;
    }
}

/* Category labels on the y axis: row i of n at y = n - i, the first at the top. */
static void add_category_ytics(script *s, const char *const *names, size_t stride_bytes,
                               size_t n)
{
    script_add(s, "set ytics (");
    for (size_t i = 0; i < n; i++) {
        const char *name = *(const char *const *)((const char *)names + i * stride_bytes);
        if (i > 0)
            script_add(s, ", ");
        add_label(s, name);
        script_add(s, " %zu", n - i);
    }
    script_add(s, ") scale 0\n");
    script_add(s, "set yrange [0.4:%zu.6]\nset grid noytics\n", n);
}

/* A vertical line across the category rows as a data block, so it gets a legend entry. */
static void add_vertical_block(script *s, const char *block, double proportion, size_t nrows)
{
    script_add(s, "$%s << EOD\n", block);
    add_percent(s, proportion);
    script_add(s, " 0.4\n");
    add_percent(s, proportion);
    script_add(s, " %zu.6\nEOD\n", nrows);
}

static void add_vertical_element(script *s, bool *first, const char *block, const char *colour,
                                 const char *dash, const char *label)
{
    add_plot_separator(s, first);
    script_add(s, "$%s using 1:2 with lines lw 2 dt %s lc rgb '%s' ", block, dash, colour);
    if (label != NULL && label[0] != '\0') {
        script_add(s, "title ");
        add_label(s, label);
    } else {
        script_add(s, "notitle");
    }
}

static bool bad_bounds(double estimate, double low, double high)
{
    return (isfinite(low) && isfinite(estimate) && low > estimate + 1e-12) ||
           (isfinite(high) && isfinite(estimate) && high < estimate - 1e-12);
}

static sipas_status check_units(const sipas_plot_unit *units, size_t n, size_t max,
                                const char *what, sipas_error *err)
{
    if (units == NULL || n == 0 || n > max)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a chart needs 1 to %zu %s, not %zu", max,
                               what, units == NULL ? (size_t)0 : n);
    for (size_t i = 0; i < n; i++)
        if (bad_bounds(units[i].estimate, units[i].ci_low, units[i].ci_high))
            return sipas_error_set(err, SIPAS_ERR_USAGE,
                                   "'%s': the interval does not contain the estimate",
                                   units[i].name != NULL ? units[i].name : "");
    return SIPAS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * 1. Trend. */

static sipas_status check_trend(const sipas_plot_trend *trend, sipas_error *err)
{
    if (trend == NULL || trend->series == NULL || trend->nseries == 0 ||
        trend->nseries > MAX_SERIES)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart needs 1 to %d series",
                               MAX_SERIES);
    if (trend->ntargets > MAX_TARGETS || (trend->ntargets > 0 && trend->targets == NULL))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart takes at most %d targets",
                               MAX_TARGETS);
    size_t points = 0;
    for (size_t k = 0; k < trend->nseries; k++) {
        const sipas_plot_series *sr = &trend->series[k];
        const char *name = sr->name != NULL ? sr->name : "";
        if ((sr->nwaves > 0 && sr->waves == NULL) || (sr->nfit > 0 && sr->fit == NULL) ||
            sr->nwaves > MAX_SERIES_POINTS || sr->nfit > MAX_SERIES_POINTS)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "series '%s': bad wave or fit arrays",
                                   name);
        for (size_t i = 0; i < sr->nwaves; i++) {
            const sipas_plot_wave *w = &sr->waves[i];
            if (!isfinite(w->year) ||
                bad_bounds(w->estimate, w->ci_low, w->ci_high))
                return sipas_error_set(err, SIPAS_ERR_USAGE,
                                       "series '%s': wave %zu has no year or an interval that "
                                       "does not contain its estimate", name, i + 1);
        }
        for (size_t i = 0; i < sr->nfit; i++) {
            if (!isfinite(sr->fit[i].year) || (i > 0 && sr->fit[i].year <= sr->fit[i - 1].year))
                return sipas_error_set(err, SIPAS_ERR_USAGE,
                                       "series '%s': fit years must increase", name);
        }
        points += sr->nwaves + sr->nfit;
    }
    for (size_t t = 0; t < trend->ntargets; t++)
        if (!isfinite(trend->targets[t].threshold) || !isfinite(trend->targets[t].year))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "target %zu has no threshold or year",
                                   t + 1);
    if (points == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart needs waves or a fitted line");
    return SIPAS_OK;
}

/* One row "year value low high" of a trend block, values as percentages; widens the year range
 * (years with a value) and the percent range. */
static void add_year_row(script *s, double year, double value, double low, double high,
                         double *year_lo, double *year_hi, double *y_lo, double *y_hi)
{
    add_number(s, year);
    script_add(s, " ");
    add_percent(s, value);
    script_add(s, " ");
    add_percent(s, low);
    script_add(s, " ");
    add_percent(s, high);
    script_add(s, "\n");
    if (isfinite(value))
        track(year, year_lo, year_hi);
    track(value * 100, y_lo, y_hi);
    track(low * 100, y_lo, y_hi);
    track(high * 100, y_lo, y_hi);
}

sipas_status sipas_plot_trend_chart(const sipas_plot_trend *trend, const sipas_plot_options *opt,
                                    sipas_error *err)
{
    canvas cv;
    sipas_status status = resolve_options(opt, DEFAULT_HEIGHT, &cv, err);
    if (status != SIPAS_OK)
        return status;
    status = check_trend(trend, err);
    if (status != SIPAS_OK)
        return status;

    script s = {0};
    add_preamble(&s, opt, &cv);
    double year_lo = INFINITY, year_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (size_t k = 0; k < trend->nseries; k++) {
        const sipas_plot_series *sr = &trend->series[k];
        script_add(&s, "$waves%zu << EOD\n", k + 1);
        for (size_t i = 0; i < sr->nwaves; i++) {
            const sipas_plot_wave *w = &sr->waves[i];
            add_year_row(&s, w->year, w->estimate, w->ci_low, w->ci_high, &year_lo, &year_hi,
                         &y_lo, &y_hi);
        }
        script_add(&s, "EOD\n$fit%zu << EOD\n", k + 1);
        for (size_t i = 0; i < sr->nfit; i++) {
            const sipas_plot_fit_point *f = &sr->fit[i];
            add_year_row(&s, f->year, f->fit, f->band_low, f->band_high, &year_lo, &year_hi,
                         &y_lo, &y_hi);
        }
        script_add(&s, "EOD\n");
    }
    if (trend->ntargets > 0) {
        script_add(&s, "$targets << EOD\n");
        for (size_t t = 0; t < trend->ntargets; t++) {
            const sipas_plot_target *tg = &trend->targets[t];
            add_number(&s, tg->year);
            script_add(&s, " ");
            add_percent(&s, tg->threshold);
            script_add(&s, "\n");
            track(tg->year, &year_lo, &year_hi);
            track(tg->threshold * 100, &y_lo, &y_hi);
        }
        script_add(&s, "EOD\n");
    }
    if (!(year_lo <= year_hi)) {
        free(s.text);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart needs at least one value");
    }

    double y_from, y_to;
    nice_percent_range(y_lo, y_hi, 1.0, &y_from, &y_to);
    if (isfinite(trend->y_min))
        y_from = trend->y_min * 100;
    if (isfinite(trend->y_max))
        y_to = trend->y_max * 100;
    if (!(y_from < y_to)) {
        free(s.text);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the y range %g%% to %g%% is empty", y_from,
                               y_to);
    }
    double year_span = floor(year_hi) - ceil(year_lo);
    /* Below the plot the legend would crowd the year axis and its title; above, it sits under
     * the chart's title where a rising trend leaves room. */
    script_add(&s, "set key at graph 0.5, graph 1.02 center bottom horizontal\n");
    if (opt->title != NULL && opt->title[0] != '\0')
        script_add(&s, "set tmargin 5.5\nset title offset 0,1.8\n");
    else
        script_add(&s, "set tmargin 3\n");
    script_add(&s, "set xrange [");
    add_number(&s, year_lo - 0.5);
    script_add(&s, ":");
    add_number(&s, year_hi + 0.5);
    script_add(&s, "]\nset yrange [");
    add_number(&s, y_from);
    script_add(&s, ":");
    add_number(&s, y_to);
    script_add(&s, "]\nset xtics %d format '%%.0f'\nset ytics format '%%g%%%%'\n"
                   "set mytics 5\nset grid xtics ytics\n",
               year_span > 16 ? 2 : 1);

    /* Targets: a dashed line across the chart, a diamond at the target year and the label just
     * above the diamond on an opaque box, so a band or line behind it does not cross the text. */
    for (size_t t = 0; t < trend->ntargets; t++) {
        const sipas_plot_target *tg = &trend->targets[t];
        script_add(&s, "set arrow %zu from graph 0, first ", t + 1);
        add_percent(&s, tg->threshold);
        script_add(&s, " to graph 1, first ");
        add_percent(&s, tg->threshold);
        script_add(&s, " nohead dt (8,5) lw 1.5 lc rgb '%s' back\n", TARGET_COLOUR);
        if (tg->label != NULL && tg->label[0] != '\0') {
            script_add(&s, "set label %zu ", t + 1);
            add_label(&s, tg->label);
            script_add(&s, " at first ");
            add_number(&s, tg->year);
            script_add(&s, ", first ");
            add_percent(&s, tg->threshold);
            script_add(&s, " center offset 0,1.1 tc rgb '%s' front\n", TARGET_COLOUR);
        }
    }

    if (trend->note != NULL && trend->note[0] != '\0') {
        script_add(&s, "set label 99 ");
        add_quoted_cut(&s, trend->note, 100);
        script_add(&s, " at graph 0.01, graph 0.03 left tc rgb '#444444' front boxed\n");
    }
    bool first = true;
    /* Bands first so that every line and point lies on top of them. */
    for (size_t k = 0; k < trend->nseries; k++) {
        if (trend->series[k].nfit == 0)
            continue;
        add_plot_separator(&s, &first);
        script_add(&s, "$fit%zu using 1:3:4 with filledcurves fc rgb '%s' "
                       "fs transparent solid %s noborder notitle", k + 1, series_colours[k],
                   trend->series[k].projection_uncertain ? "0.08" : k == 0 ? "0.18" : "0.10");
    }
    for (size_t k = 0; k < trend->nseries; k++) {
        const sipas_plot_series *sr = &trend->series[k];
        const char *colour = series_colours[k];
        const char *lw = k == 0 ? "2.5" : "1.6";
        /* Waves of several series share their years: each series after the first is nudged
         * sideways (alternately left and right) so that the interval bars do not overlap. */
        char dodge[40];
        format_number(dodge, (k % 2 == 1 ? -0.1 : 0.1) * (double)((k + 1) / 2), 2, '.');
        /* The line is solid over the observed years and dashed where it is a projection. */
        double last_wave = -INFINITY;
        for (size_t i = 0; i < sr->nwaves; i++)
            if (isfinite(sr->waves[i].estimate) && sr->waves[i].year > last_wave)
                last_wave = sr->waves[i].year;
        bool has_waves = last_wave > -INFINITY;
        if (sr->nfit > 0) {
            add_plot_separator(&s, &first);
            script_add(&s, "$fit%zu using 1:(", k + 1);
            if (has_waves) {
                script_add(&s, "$1 <= ");
                add_number(&s, last_wave + 1e-9);
                script_add(&s, " ? $2 : NaN");
            } else {
                script_add(&s, "$2");
            }
            script_add(&s, ") with lines lw %s lc rgb '%s' ", lw, colour);
            if (!has_waves && sr->name != NULL && sr->name[0] != '\0') {
                script_add(&s, "title ");
                add_label(&s, sr->name);
            } else {
                script_add(&s, "notitle");
            }
            if (has_waves) {
                add_plot_separator(&s, &first);
                script_add(&s, "$fit%zu using 1:($1 >= ", k + 1);
                add_number(&s, last_wave - 1e-9);
                /* dashed: a projection; dotted: an uncertain one */
                script_add(&s, " ? $2 : NaN) with lines lw %s dt %s lc rgb '%s' notitle", lw,
                           sr->projection_uncertain ? "(1,3)" : "(6,4)", colour);
            }
        }
        if (sr->nwaves > 0) {
            add_plot_separator(&s, &first);
            script_add(&s, "$waves%zu using ($1 + %s):2:3:4 with yerrorbars pt 7 ps %s*point_scale "
                           "lw 1.5 lc rgb '%s' notitle", k + 1, dodge, k == 0 ? "1.3" : "1.0",
                       colour);
            add_plot_separator(&s, &first);
            script_add(&s, "$waves%zu using ($1 + %s):2 with points pt 7 ps %s*point_scale lc rgb '%s' ",
                       k + 1, dodge, k == 0 ? "1.3" : "1.0", colour);
            if (sr->name != NULL && sr->name[0] != '\0') {
                script_add(&s, "title ");
                add_label(&s, sr->name);
            } else {
                script_add(&s, "notitle");
            }
        }
    }
    if (trend->ntargets > 0) {
        add_plot_separator(&s, &first);
        script_add(&s, "$targets using 1:2 with points pt 13 ps 1.6*point_scale lc rgb '%s' notitle",
                   TARGET_COLOUR);
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 2. Ranking. */

sipas_status sipas_plot_ranking_chart(const sipas_plot_ranking *ranking,
                                      const sipas_plot_options *opt, sipas_error *err)
{
    if (ranking == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a ranking chart needs units");
    size_t n = ranking->nunits;
    canvas cv;
    sipas_status status = resolve_options(opt, (int)(n > 8 ? 160 + 34 * n : 430), &cv, err);
    if (status != SIPAS_OK)
        return status;
    status = check_units(ranking->units, n, MAX_ROWS, "units", err);
    if (status != SIPAS_OK)
        return status;

    double x0 = isfinite(ranking->x_min) ? ranking->x_min * 100 : 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        track(ranking->units[i].estimate * 100, &lo, &hi);
        track(ranking->units[i].ci_high * 100, &lo, &hi);
    }
    track(ranking->target * 100, &lo, &hi);
    track(ranking->reference * 100, &lo, &hi);
    double x_from, x_to;
    nice_percent_range(x0, hi, ranking->show_values ? 4.0 : 1.0, &x_from, &x_to);
    x_from = x0;
    if (!(x_from < x_to)) {
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "bars start at %g%%, above every value of the chart", x0);
    }

    script s = {0};
    add_preamble(&s, opt, &cv);
    add_category_ytics(&s, &ranking->units[0].name, sizeof ranking->units[0], n);
    script_add(&s, "set xrange [");
    add_number(&s, x_from);
    script_add(&s, ":");
    add_number(&s, x_to);
    script_add(&s, "]\nset xtics format '%%g%%%%'\nset grid xtics\n");

    /* Bars as boxes x:y:xlow:xhigh:ylow:yhigh, split by the target so each group has one colour
     * and one legend entry. */
    bool has_below = false, has_above = false;
    for (int below = 0; below <= 1; below++) {
        script_add(&s, "$%s << EOD\n", below ? "below" : "bars");
        for (size_t i = 0; i < n; i++) {
            const sipas_plot_unit *u = &ranking->units[i];
            if (!isfinite(u->estimate))
                continue;
            bool is_below = isfinite(ranking->target) && u->estimate < ranking->target;
            if (is_below != (bool)below)
                continue;
            if (is_below)
                has_below = true;
            else
                has_above = true;
            size_t y = n - i;
            add_number(&s, (x_from + u->estimate * 100) / 2);
            script_add(&s, " %zu ", y);
            add_number(&s, x_from);
            script_add(&s, " ");
            add_percent(&s, u->estimate);
            script_add(&s, " %zu.68 %zu.32\n", y - 1, y);
        }
        script_add(&s, "EOD\n");
    }
    script_add(&s, "$whiskers << EOD\n");
    for (size_t i = 0; i < n; i++) {
        const sipas_plot_unit *u = &ranking->units[i];
        if (!isfinite(u->estimate))
            continue;
        char value[40];
        format_value_label(value, u->estimate, opt->decimal_comma);
        add_percent(&s, u->estimate);
        script_add(&s, " %zu ", n - i);
        add_percent(&s, u->ci_low);
        script_add(&s, " ");
        add_percent(&s, u->ci_high);
        script_add(&s, " %s\n", value);
    }
    script_add(&s, "EOD\n");
    if (isfinite(ranking->target))
        add_vertical_block(&s, "target", ranking->target, n);
    if (isfinite(ranking->reference))
        add_vertical_block(&s, "reference", ranking->reference, n);

    bool first = true;
    const char *fill = "with boxxyerror fs solid 0.85 noborder";
    if (has_above || !has_below) {
        add_plot_separator(&s, &first);
        script_add(&s, "$bars using 1:2:3:4:5:6 %s fc rgb '%s' notitle", fill, BAR_COLOUR);
    }
    if (has_below) {
        add_plot_separator(&s, &first);
        script_add(&s, "$below using 1:2:3:4:5:6 %s fc rgb '%s' ", fill, BELOW_COLOUR);
        if (ranking->below_label != NULL && ranking->below_label[0] != '\0') {
            script_add(&s, "title ");
            add_label(&s, ranking->below_label);
        } else {
            script_add(&s, "notitle");
        }
    }
    add_plot_separator(&s, &first);
    script_add(&s, "$whiskers using 1:2:3:4 with xerrorbars pt -1 lw 1.5 lc rgb '#222222' "
                   "notitle");
    if (isfinite(ranking->reference))
        add_vertical_element(&s, &first, "reference", REFERENCE_COLOUR, "1",
                             ranking->reference_label);
    if (isfinite(ranking->target))
        add_vertical_element(&s, &first, "target", TARGET_COLOUR, "(8,5)",
                             ranking->target_label);
    if (ranking->show_values) {
        add_plot_separator(&s, &first);
        /* Inside the bar's start, in white: at the bar's end the values would collide with
         * the whiskers and with the target and province lines, which sit among the ends. */
        script_add(&s, "$whiskers using (");
        add_number(&s, x_from);
        char font[40];
        format_font_size(font, &cv, 0.95);
        script_add(&s, "):2:5 with labels left offset 0.8,0 font ',%s' tc rgb 'white' notitle",
                   font);
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 3. Element profile. */

/* One series of dots: x = estimate, y = row + offset, with the interval as an x error bar. */
static void add_dot_block(script *s, const char *block, const sipas_plot_unit *values, size_t n,
                          double offset)
{
    script_add(s, "$%s << EOD\n", block);
    for (size_t i = 0; i < n; i++) {
        add_percent(s, values[i].estimate);
        script_add(s, " ");
        add_number(s, (double)(n - i) + offset);
        script_add(s, " ");
        add_percent(s, values[i].ci_low);
        script_add(s, " ");
        add_percent(s, values[i].ci_high);
        script_add(s, "\n");
    }
    script_add(s, "EOD\n");
}

static void add_dot_elements(script *s, bool *first, const char *block, const char *colour,
                             int point_type, const char *name)
{
    add_plot_separator(s, first);
    script_add(s, "$%s using 1:2:3:4 with xerrorbars pt -1 lw 1.8 lc rgb '%s' notitle", block,
               colour);
    add_plot_separator(s, first);
    script_add(s, "$%s using 1:2 with points pt %d ps 1.6*point_scale lw 2 lc rgb '%s' ", block, point_type,
               colour);
    if (name != NULL && name[0] != '\0') {
        script_add(s, "title ");
        add_label(s, name);
    } else {
        script_add(s, "notitle");
    }
}

sipas_status sipas_plot_profile_chart(const sipas_plot_profile *profile,
                                      const sipas_plot_options *opt, sipas_error *err)
{
    if (profile == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a profile chart needs elements");
    size_t n = profile->nelements;
    canvas cv;
    sipas_status status = resolve_options(opt, n > 8 ? (int)(200 + 50 * n) : DEFAULT_HEIGHT, &cv,
                                          err);
    if (status != SIPAS_OK)
        return status;
    status = check_units(profile->current, n, MAX_COLUMNS, "elements", err);
    if (status == SIPAS_OK && profile->previous != NULL)
        status = check_units(profile->previous, n, MAX_COLUMNS, "elements", err);
    if (status != SIPAS_OK)
        return status;

    double lo = INFINITY, hi = -INFINITY;
    for (int series = 0; series < 2; series++) {
        const sipas_plot_unit *v = series == 0 ? profile->current : profile->previous;
        for (size_t i = 0; v != NULL && i < n; i++) {
            track(v[i].estimate * 100, &lo, &hi);
            track(v[i].ci_low * 100, &lo, &hi);
            track(v[i].ci_high * 100, &lo, &hi);
        }
    }
    track(profile->target * 100, &lo, &hi);
    double x_from, x_to;
    nice_percent_range(lo, hi, 1.0, &x_from, &x_to);
    if (isfinite(profile->x_min))
        x_from = profile->x_min * 100;
    if (isfinite(profile->x_max))
        x_to = profile->x_max * 100;
    if (!(x_from < x_to))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the x range %g%% to %g%% is empty", x_from,
                               x_to);

    script s = {0};
    add_preamble(&s, opt, &cv);
    add_category_ytics(&s, &profile->current[0].name, sizeof profile->current[0], n);
    script_add(&s, "set xrange [");
    add_number(&s, x_from);
    script_add(&s, ":");
    add_number(&s, x_to);
    script_add(&s, "]\nset xtics format '%%g%%%%'\nset mxtics 5\nset grid xtics\n");
    /* Faint bands behind alternate rows guide the eye from a label to its dots. */
    for (size_t i = 0; i < n; i += 2) {
        script_add(&s, "set object %zu rect from graph 0, first %zu.5 to graph 1, first %zu.5 "
                       "fc rgb '#f2f2f2' fs solid 1 noborder behind\n",
                   i / 2 + 1, n - i - 1, n - i);
    }
    double offset = profile->previous != NULL ? 0.14 : 0.0;
    add_dot_block(&s, "current", profile->current, n, offset);
    if (profile->previous != NULL)
        add_dot_block(&s, "previous", profile->previous, n, -offset);
    if (isfinite(profile->target))
        add_vertical_block(&s, "target", profile->target, n);

    /* Drawn target line first, previous year, then this year on top; the legend reads this year,
     * last year, target (keyentry adds the target's entry without drawing again). */
    bool first = true;
    if (isfinite(profile->target))
        add_vertical_element(&s, &first, "target", TARGET_COLOUR, "(8,5)", NULL);
    if (profile->previous != NULL)
        add_dot_elements(&s, &first, "previous", PREVIOUS_COLOUR, 6, NULL);
    add_dot_elements(&s, &first, "current", series_colours[0], 7, profile->current_name);
    if (profile->previous != NULL && profile->previous_name != NULL &&
        profile->previous_name[0] != '\0') {
        add_plot_separator(&s, &first);
        script_add(&s, "keyentry with points pt 6 ps 1.6*point_scale lw 2 lc rgb '%s' title ",
                   PREVIOUS_COLOUR);
        add_label(&s, profile->previous_name);
    }
    if (isfinite(profile->target) && profile->target_label != NULL &&
        profile->target_label[0] != '\0') {
        add_plot_separator(&s, &first);
        script_add(&s, "keyentry with lines lw 2 dt (8,5) lc rgb '%s' title ", TARGET_COLOUR);
        add_label(&s, profile->target_label);
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 4. Heat map. */

sipas_status sipas_plot_heatmap_chart(const sipas_plot_heatmap *heatmap,
                                      const sipas_plot_options *opt, sipas_error *err)
{
    if (heatmap == NULL || heatmap->row_names == NULL || heatmap->column_names == NULL ||
        heatmap->values == NULL || heatmap->nrows == 0 || heatmap->nrows > MAX_ROWS ||
        heatmap->ncolumns == 0 || heatmap->ncolumns > MAX_COLUMNS)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "a heat map needs 1 to %d rows, 1 to %d columns and their values",
                               MAX_ROWS, MAX_COLUMNS);
    size_t nr = heatmap->nrows, nc = heatmap->ncolumns;
    canvas cv;
    sipas_status status = resolve_options(opt, (int)(nr > 10 ? 200 + 36 * nr : 560), &cv, err);
    if (status != SIPAS_OK)
        return status;

    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nr * nc; i++)
        track(heatmap->values[i] * 100, &lo, &hi);
    if (!(lo <= hi))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a heat map needs at least one value");
    if (isfinite(heatmap->low))
        lo = heatmap->low * 100;
    if (isfinite(heatmap->high))
        hi = heatmap->high * 100;
    if (lo == hi) {
        lo -= 1;
        hi += 1;
    }
    if (!(lo < hi))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the colour scale %g%% to %g%% is empty", lo,
                               hi);

    script s = {0};
    add_preamble(&s, opt, &cv);
    add_category_ytics(&s, heatmap->row_names, sizeof heatmap->row_names[0], nr);
    script_add(&s, "set yrange [0.5:%zu.5]\nset xrange [0.5:%zu.5]\nset xtics (", nr, nc);
    size_t label_lines = 1;
    for (size_t j = 0; j < nc; j++) {
        if (j > 0)
            script_add(&s, ", ");
        size_t lines = add_wrapped(&s, heatmap->column_names[j]);
        if (lines > label_lines)
            label_lines = lines;
        script_add(&s, " %zu", j + 1);
    }
    /* gnuplot leaves room for one line of tick labels; the wrapped ones and the colour box
     * (placed outside the plot, right) need their margins said. */
    bool has_xlabel = opt->x_label != NULL && opt->x_label[0] != '\0';
    bool has_cblabel = heatmap->colour_label != NULL && heatmap->colour_label[0] != '\0';
    script_add(&s, ") scale 0\nset bmargin %zu\nset rmargin %d\n", label_lines + 2 + (has_xlabel ? 2 : 0),
               has_cblabel ? 14 : 11);
    script_add(&s, "unset grid\nset border 0\nunset key\n"
                   "set palette defined (0 '#e0533d', 0.5 '#fff2a8', 1 '#4fb061')\n"
                   "set cbrange [");
    add_number(&s, lo);
    script_add(&s, ":");
    add_number(&s, hi);
    script_add(&s, "]\nset cbtics format '%%g%%%%'\nset colorbox user origin graph 1.03, graph 0 "
                   "size character 1.6, graph 1\n");
    if (heatmap->colour_label != NULL && heatmap->colour_label[0] != '\0') {
        script_add(&s, "set cblabel ");
        add_quoted(&s, heatmap->colour_label);
        script_add(&s, "\n");
    }
    /* Only present cells are written: a missing one is no row, so it stays blank. */
    script_add(&s, "$cells << EOD\n");
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            double v = heatmap->values[i * nc + j];
            if (!isfinite(v))
                continue;
            char label[40];
            format_value_label(label, v, opt->decimal_comma);
            script_add(&s, "%zu %zu ", j + 1, nr - i);
            add_percent(&s, v);
            script_add(&s, " %s\n", label);
        }
    }
    script_add(&s, "EOD\n"
                   "plot $cells using 1:2:($1-0.5):($1+0.5):($2-0.5):($2+0.5):3 with boxxyerror "
                   "fs solid 1 border lc rgb 'white' lw 2 fc palette notitle, \\\n"
                   "     $cells using 1:2:4 with labels tc rgb '#1a1a1a' notitle\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 5. Scorecard. */

static const char *const verdict_colours[4] = {"#1a9850", BELOW_COLOUR, TARGET_COLOUR,
                                               PREVIOUS_COLOUR};

sipas_status sipas_plot_scorecard_chart(const sipas_plot_scorecard *card,
                                        const sipas_plot_options *opt, sipas_error *err)
{
    if (card == NULL || card->rows == NULL || card->nrows == 0 || card->nrows > MAX_ROWS)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a scorecard chart needs 1 to %d rows",
                               MAX_ROWS);
    size_t n = card->nrows;
    double lo = 0, hi = 100;
    for (size_t i = 0; i < n; i++) {
        const sipas_plot_score_row *r = &card->rows[i];
        if (r->name == NULL || !isfinite(r->target) || (unsigned)r->verdict > 3 ||
            isinf(r->value))
            return sipas_error_set(err, SIPAS_ERR_USAGE, "scorecard row %zu: needs a name, a "
                                   "finite target and a verdict colour", i + 1);
        track(r->value * 100, &lo, &hi);
        track(r->target * 100, &lo, &hi);
    }
    canvas cv;
    sipas_status status = resolve_options(opt, (int)(140 + 26 * n), &cv, err);
    if (status != SIPAS_OK)
        return status;
    script s = {0};
    add_preamble(&s, opt, &cv);
    add_category_ytics(&s, &card->rows[0].name, sizeof card->rows[0], n);
    script_add(&s, "set xrange [");
    add_number(&s, lo < 0 ? floor((lo - 5) / 10.0) * 10.0 : 0.0); /* room for a marker at -10% */
    script_add(&s, ":");
    add_number(&s, ceil(hi / 10.0) * 10.0);
    script_add(&s, "]\nset xtics format '%%g%%%%'\nset grid xtics\n");
    for (size_t i = 0; i < n; i += 2)
        script_add(&s, "set object %zu rect from graph 0, first %zu.5 to graph 1, first %zu.5 "
                       "fc rgb '#f2f2f2' fs solid 1 noborder behind\n", i / 2 + 1, n - i - 1,
                   n - i);
    /* one block per verdict colour (an empty block would stop gnuplot), and the targets */
    bool used[4] = {false};
    for (int v = 0; v < 4; v++) {
        for (size_t i = 0; i < n; i++) {
            const sipas_plot_score_row *r = &card->rows[i];
            if ((int)r->verdict != v || isnan(r->value))
                continue;
            if (!used[v])
                script_add(&s, "$verdict%d << EOD\n", v);
            used[v] = true;
            add_percent(&s, r->value);
            script_add(&s, " %zu\n", n - i);
        }
        if (used[v])
            script_add(&s, "EOD\n");
    }
    script_add(&s, "$targets << EOD\n");
    for (size_t i = 0; i < n; i++) {
        add_percent(&s, card->rows[i].target);
        script_add(&s, " %zu\n", n - i);
    }
    script_add(&s, "EOD\n");
    bool first = true;
    add_plot_separator(&s, &first);
    script_add(&s, "$targets using 1:2 with points pt 12 ps 2.2*point_scale lw 2 lc rgb '%s' ",
               REFERENCE_COLOUR);
    if (card->target_label != NULL && card->target_label[0] != '\0') {
        script_add(&s, "title ");
        add_label(&s, card->target_label);
    } else {
        script_add(&s, "notitle");
    }
    for (int v = 0; v < 4; v++) {
        if (!used[v])
            continue;
        add_plot_separator(&s, &first);
        script_add(&s, "$verdict%d using 1:2 with points pt 7 ps 1.7*point_scale lc rgb '%s' ", v,
                   verdict_colours[v]);
        const char *label = card->verdict_labels[v];
        if (label != NULL && label[0] != '\0') {
            script_add(&s, "title ");
            add_label(&s, label);
        } else {
            script_add(&s, "notitle");
        }
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}
