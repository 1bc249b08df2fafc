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
#define MAX_PANELS 48 /* small multiples: 12 rows of 4 panels */
#define MAX_SERIES_POINTS 100000
#define MAX_TARGETS 8
#define MAX_ROWS 200
#define MAX_COLUMNS 50
#define STDERR_KEPT 640
/* Heat-map column names wrap onto lines of this many characters, axis and legend names onto
 * lines of LABEL_COLUMNS: gnuplot sizes the plot area around its tick labels, and a name of a
 * hundred characters on one line would leave the data no room. */
#define WRAP_COLUMNS 16
#define LABEL_COLUMNS 40
/* Legend entries sit side by side in columns as wide as the longest: they wrap only beyond
 * this, since a two-line entry would run into the entry under it. */
#define KEY_COLUMNS 64
/* DejaVu Sans averages about 0.6 em a character over Vietnamese text; titles and notes wrap
 * to the chart's width by this estimate, with a margin (the overlap test measures the real
 * width). */
#define CHARACTER_EM 0.62

#define TARGET_COLOUR "#b2182b"
#define REFERENCE_COLOUR "#333333"
#define BAR_COLOUR "#4a7fb5"
#define BELOW_COLOUR "#e08214"
#define PREVIOUS_COLOUR "#8c8c8c"
#define REFERENCE_BAND "#dcdcdc"
#define OWN_TARGET_COLOUR "#7f0000"

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
static void add_quoted(script *s, const char *text)
{
    script_add(s, "'");
    for (const char *p = text != NULL ? text : ""; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'')
            script_add(s, "'.\"\\047\".'");
        else if (c < 0x20 || c == 0x7f)
            script_add(s, " ");
        else
            script_add_bytes(s, p, 1);
    }
    script_add(s, "'");
}

static size_t add_wrapped(script *s, const char *text, size_t columns);

/* Names on an axis: whole, wrapped at LABEL_COLUMNS. */
static void add_label(script *s, const char *text)
{
    add_wrapped(s, text, LABEL_COLUMNS);
}

/* A plot element's legend title, whole, wrapped at KEY_COLUMNS; NULL or "": notitle. */
static void add_key_title(script *s, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        script_add(s, "notitle");
        return;
    }
    script_add(s, "title ");
    add_wrapped(s, text, KEY_COLUMNS);
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

/* A label broken at spaces into lines of at most `columns` characters (code points, not bytes;
 * a longer word keeps a line to itself), written as a gnuplot string expression
 * 'line 1'."\n".'line 2'. Returns the number of lines. */
static size_t add_wrapped(script *s, const char *text, size_t columns)
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
                    utf8_columns(line, line_len) + 1 + utf8_columns(p, word) <= columns;
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

/* How many characters of text at factor times the base font fit across `pixels`. */
static size_t columns_across(const canvas *cv, double pixels, double factor)
{
    double char_pixels = cv->font_size * factor * (96.0 / 72.0) * CHARACTER_EM;
    double n = floor(pixels / char_pixels);
    return n < 8 ? 8 : (size_t)n;
}

/* Lines `text` takes when wrapped at `columns` (as add_wrapped breaks it). */
static size_t wrapped_lines(const char *text, size_t columns)
{
    script probe = {0};
    size_t lines = add_wrapped(&probe, text, columns);
    free(probe.text);
    return lines;
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
        add_wrapped(s, opt->title, columns_across(cv, cv->width * 0.9, 1.25));
        format_font_size(font, cv, 1.25);
        script_add(s, " font ',%s'\n", font);
    }
    if (opt->x_label != NULL && opt->x_label[0] != '\0') {
        script_add(s, "set xlabel ");
        add_wrapped(s, opt->x_label, columns_across(cv, cv->width * 0.6, 1.0));
        script_add(s, "\n");
    }
    if (opt->y_label != NULL && opt->y_label[0] != '\0') {
        script_add(s, "set ylabel ");
        add_wrapped(s, opt->y_label, columns_across(cv, cv->height * 0.6, 1.0));
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

/* The most lines a category label takes once wrapped (add_category_ytics): rows are made tall
 * enough for it, so a wrapped name never runs into the next row's. */
static size_t category_lines(const char *const *names, size_t stride_bytes, size_t n)
{
    size_t most = 1;
    for (size_t i = 0; i < n; i++) {
        const char *name = *(const char *const *)((const char *)names + i * stride_bytes);
        size_t lines = wrapped_lines(name, LABEL_COLUMNS);
        if (lines > most)
            most = lines;
    }
    return most;
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
    add_key_title(s, label);
}

/* A legend entry without data: `keyentry with STYLE title 'words'` (nothing when words is
 * empty). */
static void add_key_entry(script *s, bool *first, const char *style, const char *words)
{
    if (words == NULL || words[0] == '\0')
        return;
    add_plot_separator(s, first);
    script_add(s, "keyentry with %s ", style);
    add_key_title(s, words);
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
    /* one colour each in one plot; small multiples draw every panel alike */
    size_t most = trend != NULL && trend->panels ? MAX_PANELS + 1 : MAX_SERIES;
    if (trend == NULL || trend->series == NULL || trend->nseries == 0 || trend->nseries > most)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart needs 1 to %zu series",
                               most);
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

/* One row "year value low high suppressed" of a trend block, values as percentages, suppressed
 * 1 or 0; widens the year range (years with a value) and the percent range. */
static void add_year_row(script *s, double year, double value, double low, double high,
                         bool suppressed, double *year_lo, double *year_hi, double *y_lo,
                         double *y_hi)
{
    add_number(s, year);
    script_add(s, " ");
    add_percent(s, value);
    script_add(s, " ");
    add_percent(s, low);
    script_add(s, " ");
    add_percent(s, high);
    script_add(s, " %d\n", suppressed ? 1 : 0);
    if (isfinite(value))
        track(year, year_lo, year_hi);
    track(value * 100, y_lo, y_hi);
    track(low * 100, y_lo, y_hi);
    track(high * 100, y_lo, y_hi);
}

/* What a trend chart holds, found once for the layout and the legend. */
typedef struct trend_shape {
    double year_lo, year_hi, y_from, y_to;
    bool any_fit, any_projection, any_uncertain, any_suppressed;
} trend_shape;

/* The data blocks ($wavesK, $fitK, $targets) and the ranges; SIPAS_ERR_USAGE when empty. */
static sipas_status add_trend_blocks(script *s, const sipas_plot_trend *trend, trend_shape *shape,
                                     sipas_error *err)
{
    double year_lo = INFINITY, year_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    memset(shape, 0, sizeof *shape);
    for (size_t k = 0; k < trend->nseries; k++) {
        const sipas_plot_series *sr = &trend->series[k];
        script_add(s, "$waves%zu << EOD\n", k + 1);
        double last_wave = -INFINITY;
        for (size_t i = 0; i < sr->nwaves; i++) {
            const sipas_plot_wave *w = &sr->waves[i];
            add_year_row(s, w->year, w->estimate, w->ci_low, w->ci_high, w->suppressed,
                         &year_lo, &year_hi, &y_lo, &y_hi);
            shape->any_suppressed |= w->suppressed && isfinite(w->estimate);
            if (isfinite(w->estimate) && w->year > last_wave)
                last_wave = w->year;
        }
        script_add(s, "EOD\n$fit%zu << EOD\n", k + 1);
        for (size_t i = 0; i < sr->nfit; i++) {
            const sipas_plot_fit_point *f = &sr->fit[i];
            add_year_row(s, f->year, f->fit, f->band_low, f->band_high, false, &year_lo, &year_hi,
                         &y_lo, &y_hi);
            shape->any_projection |= f->year > last_wave + 1e-9 && isfinite(f->fit);
        }
        script_add(s, "EOD\n");
        shape->any_fit |= sr->nfit > 0;
        shape->any_uncertain |= sr->nfit > 0 && sr->projection_uncertain;
    }
    if (trend->ntargets > 0) {
        script_add(s, "$targets << EOD\n");
        for (size_t t = 0; t < trend->ntargets; t++) {
            const sipas_plot_target *tg = &trend->targets[t];
            add_number(s, tg->year);
            script_add(s, " ");
            add_percent(s, tg->threshold);
            script_add(s, "\n");
            track(tg->year, &year_lo, &year_hi);
            track(tg->threshold * 100, &y_lo, &y_hi);
        }
        script_add(s, "EOD\n");
    }
    if (!(year_lo <= year_hi))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a trend chart needs at least one value");
    nice_percent_range(y_lo, y_hi, 1.0, &shape->y_from, &shape->y_to);
    if (isfinite(trend->y_min))
        shape->y_from = trend->y_min * 100;
    if (isfinite(trend->y_max))
        shape->y_to = trend->y_max * 100;
    if (!(shape->y_from < shape->y_to))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the y range %g%% to %g%% is empty",
                               shape->y_from, shape->y_to);
    shape->year_lo = year_lo;
    shape->year_hi = year_hi;
    return SIPAS_OK;
}

static void add_trend_ranges(script *s, const trend_shape *shape)
{
    double year_span = floor(shape->year_hi) - ceil(shape->year_lo);
    script_add(s, "set xrange [");
    add_number(s, shape->year_lo - 0.5);
    script_add(s, ":");
    add_number(s, shape->year_hi + 0.5);
    script_add(s, "]\nset yrange [");
    add_number(s, shape->y_from);
    script_add(s, ":");
    add_number(s, shape->y_to);
    script_add(s, "]\nset xtics %d format '%%.0f'\nset ytics format '%%g%%%%'\n"
                   "set mytics 5\nset grid xtics ytics\n", year_span > 16 ? 2 : 1);
}

/* The dashed target lines across the plot (labels are placed by the caller). */
static void add_target_lines(script *s, const sipas_plot_trend *trend)
{
    for (size_t t = 0; t < trend->ntargets; t++) {
        script_add(s, "set arrow %zu from graph 0, first ", t + 1);
        add_percent(s, trend->targets[t].threshold);
        script_add(s, " to graph 1, first ");
        add_percent(s, trend->targets[t].threshold);
        script_add(s, " nohead dt (8,5) lw 1.5 lc rgb '%s' back\n", TARGET_COLOUR);
    }
}

/* Waves of one series: interval bars, filled points for published values (titled `name`),
 * open points for suppressed ones. dodge shifts the years (text, e.g. "0.1"). */
static void add_wave_elements(script *s, bool *first, size_t k, const char *dodge,
                              const char *size, const char *colour, const char *name)
{
    add_plot_separator(s, first);
    script_add(s, "$waves%zu using ($1 + %s):2:3:4 with yerrorbars pt -1 lw 1.5 lc rgb '%s' "
                  "notitle", k, dodge, colour);
    add_plot_separator(s, first);
    script_add(s, "$waves%zu using ($1 + %s):($5 == 0 ? $2 : NaN) with points pt 7 "
                  "ps %s*point_scale lc rgb '%s' ", k, dodge, size, colour);
    add_key_title(s, name);
    /* the open point on white, so the interval bar does not run through it */
    add_plot_separator(s, first);
    script_add(s, "$waves%zu using ($1 + %s):($5 != 0 ? $2 : NaN) with points pt 7 "
                  "ps %s*point_scale lc rgb 'white' notitle", k, dodge, size);
    add_plot_separator(s, first);
    script_add(s, "$waves%zu using ($1 + %s):($5 != 0 ? $2 : NaN) with points pt 6 "
                  "ps %s*point_scale lw 2 lc rgb '%s' notitle", k, dodge, size, colour);
}

/* The legend's entries for the fit, its projection and band, the targets and open points. */
static void add_trend_key_entries(script *s, bool *first, const sipas_plot_trend *trend,
                                  const trend_shape *shape, const char *colour)
{
    char style[128];
    if (shape->any_fit) {
        snprintf(style, sizeof style, "lines lw 2.5 lc rgb '%s'", colour);
        add_key_entry(s, first, style, trend->key.fit);
    }
    if (shape->any_projection) {
        snprintf(style, sizeof style, "lines lw 2.5 dt %s lc rgb '%s'",
                 shape->any_uncertain ? "(1,3)" : "(6,4)", colour);
        add_key_entry(s, first, style, trend->key.projection);
    }
    if (shape->any_fit) {
        snprintf(style, sizeof style, "boxes fs transparent solid 0.18 noborder fc rgb '%s'",
                 colour);
        add_key_entry(s, first, style, trend->key.band);
    }
    if (trend->ntargets > 0) {
        snprintf(style, sizeof style, "linespoints lw 1.5 dt (8,5) pt 13 ps 1.6*point_scale "
                                      "lc rgb '%s'", TARGET_COLOUR);
        add_key_entry(s, first, style, trend->key.target);
    }
    if (shape->any_suppressed) {
        snprintf(style, sizeof style, "points pt 6 ps 1.3*point_scale lw 2 lc rgb '%s'", colour);
        add_key_entry(s, first, style, trend->key.suppressed);
    }
}

/* Key entries of a trend: the series names and the key words of what is drawn. */
static size_t trend_key_entries(const sipas_plot_trend *trend, const trend_shape *shape,
                                size_t *longest)
{
    const char *words[MAX_SERIES + 5];
    size_t n = 0;
    for (size_t k = 0; k < trend->nseries; k++)
        words[n++] = trend->series[k].name;
    if (shape->any_fit) {
        words[n++] = trend->key.fit;
        words[n++] = trend->key.band;
    }
    if (shape->any_projection)
        words[n++] = trend->key.projection;
    if (trend->ntargets > 0)
        words[n++] = trend->key.target;
    if (shape->any_suppressed)
        words[n++] = trend->key.suppressed;
    size_t entries = 0;
    *longest = 0;
    for (size_t i = 0; i < n; i++) {
        if (words[i] == NULL || words[i][0] == '\0')
            continue;
        entries++;
        size_t c = utf8_columns(words[i], strlen(words[i]));
        if (c > *longest)
            *longest = c > KEY_COLUMNS ? KEY_COLUMNS : c;
    }
    return entries;
}

/* Columns and rows of a horizontal legend of `entries` entries whose longest title has
 * `longest` characters (given to gnuplot as maxcols and maxrows: left to itself it fills the
 * margin's height and the canvas's width by its own estimate, up to the edge). gnuplot sizes a key column by its own estimate of text width, wider
 * than DejaVu Sans's, so the columns are counted generously wide (0.75 em a character and
 * room for the sample) and the rows that follow are never fewer than gnuplot's. */
static void key_layout(const canvas *cv, size_t entries, size_t longest, size_t *columns,
                       size_t *rows)
{
    double char_pixels = cv->font_size * (96.0 / 72.0) * 0.75;
    size_t fit = (size_t)floor(cv->width * 0.95 / (char_pixels * (double)(longest + 8)));
    *columns = fit < 1 ? 1 : fit > entries ? (entries > 0 ? entries : 1) : fit;
    *rows = entries == 0 ? 0 : (entries + *columns - 1) / *columns;
}

/* The legend above the plot in as many columns as fit, the title above it, and the margins
 * that hold them; the note, when there is one, under the plot. */
static void add_trend_frame(script *s, const sipas_plot_trend *trend, const trend_shape *shape,
                            const sipas_plot_options *opt, const canvas *cv, double right_chars)
{
    size_t longest;
    size_t entries = trend_key_entries(trend, shape, &longest);
    size_t key_columns, key_rows;
    key_layout(cv, entries, longest, &key_columns, &key_rows);
    size_t title_lines = opt->title != NULL && opt->title[0] != '\0'
                             ? wrapped_lines(opt->title, columns_across(cv, cv->width * 0.9, 1.25))
                             : 0;
    script_add(s, "set key at graph 0.5, graph 1.02 center bottom horizontal maxcols %zu "
                  "maxrows %zu\n", key_columns, key_rows);
    double key_height = 1.6 * (double)key_rows;
    char margin[40];
    format_number(margin, 1.0 + key_height + 1.6 * (double)title_lines, 1, '.');
    script_add(s, "set tmargin %s\n", margin);
    if (title_lines > 0) {
        format_number(margin, key_height, 1, '.');
        script_add(s, "set title offset 0,%s\n", margin);
    }
    format_number(margin, right_chars, 1, '.');
    script_add(s, "set rmargin %s\n", margin);
    if (trend->note != NULL && trend->note[0] != '\0') {
        size_t note_columns = columns_across(cv, cv->width * 0.9, 1.0);
        size_t lines = wrapped_lines(trend->note, note_columns);
        bool has_xlabel = opt->x_label != NULL && opt->x_label[0] != '\0';
        script_add(s, "set bmargin %zu\nset label 99 ", (has_xlabel ? 5 : 3) + lines);
        add_wrapped(s, trend->note, note_columns);
        script_add(s, " at screen 0.01, character %zu left tc rgb '#444444' front\n", lines);
    }
}

/* Target labels in the right margin beside their lines, each at least a line apart (pushed up
 * from the lowest); returns the margin's width in characters. */
static double add_target_labels(script *s, const sipas_plot_trend *trend,
                                const trend_shape *shape, const canvas *cv)
{
    size_t order[MAX_TARGETS];
    size_t n = 0, widest = 0;
    for (size_t t = 0; t < trend->ntargets; t++) {
        const char *label = trend->targets[t].label;
        if (label == NULL || label[0] == '\0')
            continue;
        size_t c = utf8_columns(label, strlen(label));
        if (c > widest)
            widest = c > LABEL_COLUMNS ? LABEL_COLUMNS : c;
        size_t j = n++;
        for (; j > 0 && trend->targets[order[j - 1]].threshold > trend->targets[t].threshold; j--)
            order[j] = order[j - 1];
        order[j] = t;
    }
    /* the plot's height in pixels, roughly (margins take about 8 lines), and a line's */
    double line_pixels = cv->font_size * (96.0 / 72.0) * 1.3;
    double plot_pixels = cv->height - 8 * line_pixels;
    double gap = line_pixels / (plot_pixels > 50 ? plot_pixels : 50) * (shape->y_to - shape->y_from);
    double previous = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const sipas_plot_target *tg = &trend->targets[order[i]];
        double y = tg->threshold * 100;
        if (y < previous + gap)
            y = previous + gap;
        previous = y;
        script_add(s, "set label %zu ", order[i] + 1);
        add_label(s, tg->label);
        script_add(s, " at graph 1, first ");
        add_number(s, y);
        script_add(s, " left offset 1,0 tc rgb '%s' front\n", TARGET_COLOUR);
    }
    return n > 0 ? (double)widest * 1.05 + 3 : 3;
}

static sipas_status trend_panels(const sipas_plot_trend *trend, const sipas_plot_options *opt,
                                 const canvas *cv, sipas_error *err);

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
    if (trend->panels)
        return trend_panels(trend, opt, &cv, err);

    script s = {0};
    add_preamble(&s, opt, &cv);
    trend_shape shape;
    status = add_trend_blocks(&s, trend, &shape, err);
    if (status != SIPAS_OK) {
        free(s.text);
        return status;
    }
    add_trend_ranges(&s, &shape);
    add_target_lines(&s, trend);
    double right = add_target_labels(&s, trend, &shape, &cv);
    add_trend_frame(&s, trend, &shape, opt, &cv, right);

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
            add_key_title(&s, has_waves ? NULL : sr->name); /* else titled by its points */
            if (has_waves) {
                add_plot_separator(&s, &first);
                script_add(&s, "$fit%zu using 1:($1 >= ", k + 1);
                add_number(&s, last_wave - 1e-9);
                /* dashed: a projection; dotted: an uncertain one */
                script_add(&s, " ? $2 : NaN) with lines lw %s dt %s lc rgb '%s' notitle", lw,
                           sr->projection_uncertain ? "(1,3)" : "(6,4)", colour);
            }
        } else if (trend->nseries > 1 && sr->nwaves > 1) {
            /* domains without a fit: their waves joined, so each line can be followed */
            add_plot_separator(&s, &first);
            script_add(&s, "$waves%zu using ($1 + %s):2 with lines lw %s lc rgb '%s' notitle",
                       k + 1, dodge, lw, colour);
        }
        if (sr->nwaves > 0)
            add_wave_elements(&s, &first, k + 1, dodge, k == 0 ? "1.3" : "1.0", colour,
                              sr->name);
    }
    if (trend->ntargets > 0) {
        add_plot_separator(&s, &first);
        script_add(&s, "$targets using 1:2 with points pt 13 ps 1.6*point_scale lc rgb '%s' "
                       "notitle", TARGET_COLOUR);
    }
    add_trend_key_entries(&s, &first, trend, &shape,
                          trend->nseries == 1 ? series_colours[0] : REFERENCE_COLOUR);
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* Small multiples: a grid of panels, one per series after the first, each with the first
 * series in grey behind it and the target lines; the title above the grid and one legend
 * across the bottom. Each panel is placed by origin and size (not gnuplot's layout), so the
 * legend can span the width under the grid. */
static sipas_status trend_panels(const sipas_plot_trend *trend, const sipas_plot_options *opt,
                                 const canvas *cv, sipas_error *err)
{
    if (trend->nseries < 2)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "small multiples need a reference series and at least one more");
    size_t npanels = trend->nseries - 1;
    size_t columns = npanels <= 4 ? 2 : npanels <= 9 ? 3 : 4;
    size_t rows = (npanels + columns - 1) / columns;
    script s = {0};
    canvas tall = *cv;
    if (opt->height == 0)
        tall.height = (int)(170 + 200 * rows);
    add_preamble(&s, opt, &tall);
    trend_shape shape;
    sipas_status status = add_trend_blocks(&s, trend, &shape, err);
    if (status != SIPAS_OK) {
        free(s.text);
        return status;
    }
    /* Panels share one y range from the estimates and targets alone: a unit's wide interval
     * (a small district, a suppressed wave) would squeeze every panel's lines flat; its
     * whisker is cut at the panel's edge instead. */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < trend->nseries; k++)
        for (size_t i = 0; i < trend->series[k].nwaves; i++)
            track(trend->series[k].waves[i].estimate * 100, &lo, &hi);
    for (size_t t = 0; t < trend->ntargets; t++)
        track(trend->targets[t].threshold * 100, &lo, &hi);
    nice_percent_range(lo, hi, 2.0, &shape.y_from, &shape.y_to);
    if (isfinite(trend->y_min))
        shape.y_from = trend->y_min * 100;
    if (isfinite(trend->y_max))
        shape.y_to = trend->y_max * 100;
    /* the title belongs to the whole grid, not to each panel */
    script_add(&s, "unset title\nset xlabel ''\nset ylabel ''\nunset key\n");
    add_trend_ranges(&s, &shape);
    double year_span = floor(shape.year_hi) - ceil(shape.year_lo);
    double y_span = shape.y_to - shape.y_from;
    script_add(&s, "set xtics %d\nset ytics %d\nunset mytics\n",
               year_span > 8 ? 4 : year_span > 3 ? 2 : 1,
               y_span > 40 ? 20 : y_span > 20 ? 10 : 5);
    add_target_lines(&s, trend);
    /* Screen fractions: the title's band at the top, the legend's at the bottom. */
    bool has_title = opt->title != NULL && opt->title[0] != '\0';
    double line = cv->font_size * (96.0 / 72.0) * 1.5 / tall.height;
    size_t title_lines = has_title
                             ? wrapped_lines(opt->title, columns_across(&tall, tall.width * 0.9, 1.25))
                             : 0;
    double top = 1.0 - 0.01 - 1.3 * line * (double)title_lines;
    const char *key_words[4] = {trend->key.panel, trend->series[0].name,
                                trend->ntargets > 0 ? trend->key.target : NULL,
                                shape.any_suppressed ? trend->key.suppressed : NULL};
    size_t entries = 0, longest = 0;
    for (int i = 0; i < 4; i++)
        if (key_words[i] != NULL && key_words[i][0] != '\0') {
            entries++;
            size_t c = utf8_columns(key_words[i], strlen(key_words[i]));
            if (c > longest)
                longest = c > KEY_COLUMNS ? KEY_COLUMNS : c;
        }
    size_t key_columns, key_rows;
    key_layout(&tall, entries, longest, &key_columns, &key_rows);
    double bottom = 0.01 + 1.2 * line * (double)key_rows;
    script_add(&s, "set multiplot\n");
    if (has_title) {
        char font[40];
        format_font_size(font, &tall, 1.25);
        script_add(&s, "set label 1 ");
        add_wrapped(&s, opt->title, columns_across(&tall, tall.width * 0.9, 1.25));
        script_add(&s, " at screen 0.5, screen 0.99 center font ',%s' offset 0,-1\n", font);
    }
    double width = 1.0 / (double)columns, height = (top - bottom) / (double)rows;
    for (size_t k = 1; k < trend->nseries; k++) {
        size_t row = (k - 1) / columns, column = (k - 1) % columns;
        char x[40], y[40], w[40], h[40];
        format_number(x, (double)column * width, 4, '.');
        format_number(y, top - (double)(row + 1) * height, 4, '.');
        format_number(w, width, 4, '.');
        format_number(h, height, 4, '.');
        script_add(&s, "set origin %s,%s\nset size %s,%s\nset title ", x, y, w, h);
        add_label(&s, trend->series[k].name);
        script_add(&s, "\nplot $waves1 using 1:2 with lines lw 2 lc rgb '%s' notitle, \\\n"
                       "     $waves%zu using 1:2 with lines lw 2 lc rgb '%s' notitle",
                   PREVIOUS_COLOUR, k + 1, series_colours[0]);
        bool first = false;
        add_wave_elements(&s, &first, k + 1, "0", "0.9", series_colours[0], NULL);
        script_add(&s, "\n");
        if (k == 1)
            script_add(&s, "unset label 1\n"); /* drawn once */
    }
    /* The legend across the bottom: nothing plotted, only entries. */
    char y[40], h[40];
    format_number(y, 0.0, 4, '.');
    format_number(h, bottom + 0.01, 4, '.');
    script_add(&s, "set origin 0,%s\nset size 1,%s\nset lmargin 0\nset rmargin 0\n"
                   "set tmargin 0\nset bmargin 0\nunset title\nunset arrow\nunset border\n"
                   "unset tics\nunset grid\nset xrange [0:1]\nset yrange [0:1]\n"
                   "set key inside center center horizontal maxcols %zu maxrows %zu samplen 3\n"
                   "plot 2 notitle", y, h, key_columns, key_rows);
    bool first = false;
    char style[128];
    snprintf(style, sizeof style, "linespoints pt 7 ps 0.9*point_scale lw 2 lc rgb '%s'",
             series_colours[0]);
    add_key_entry(&s, &first, style, trend->key.panel);
    snprintf(style, sizeof style, "lines lw 2 lc rgb '%s'", PREVIOUS_COLOUR);
    add_key_entry(&s, &first, style, trend->series[0].name);
    if (trend->ntargets > 0) {
        /* the panels have no room for the targets' labels: the key names them */
        char words[256];
        size_t used = (size_t)snprintf(words, sizeof words, "%s",
                                       trend->key.target != NULL ? trend->key.target : "");
        for (size_t t = 0; t < trend->ntargets && used < sizeof words; t++)
            if (trend->targets[t].label != NULL && trend->targets[t].label[0] != '\0')
                used += (size_t)snprintf(words + used, sizeof words - used, "%s%s",
                                         t == 0 ? " " : ", ", trend->targets[t].label);
        snprintf(style, sizeof style, "lines lw 1.5 dt (8,5) lc rgb '%s'", TARGET_COLOUR);
        add_key_entry(&s, &first, style, words);
    }
    if (shape.any_suppressed) {
        snprintf(style, sizeof style, "points pt 6 ps 0.9*point_scale lw 2 lc rgb '%s'",
                 series_colours[0]);
        add_key_entry(&s, &first, style, trend->key.suppressed);
    }
    script_add(&s, "\nunset multiplot\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* The legend at the bottom of the chart in as many columns as fit, under the tick labels
 * (tick_lines lines of them) and the axis title, with the bottom margin that holds them. */
static void add_key_below(script *s, const canvas *cv, const sipas_plot_options *opt,
                          const char *const *words, size_t nwords, size_t tick_lines)
{
    size_t entries = 0, longest = 0;
    for (size_t i = 0; i < nwords; i++) {
        if (words[i] == NULL || words[i][0] == '\0')
            continue;
        entries++;
        size_t c = utf8_columns(words[i], strlen(words[i]));
        if (c > longest)
            longest = c > KEY_COLUMNS ? KEY_COLUMNS : c;
    }
    size_t columns, rows;
    key_layout(cv, entries, longest, &columns, &rows);
    bool has_xlabel = opt->x_label != NULL && opt->x_label[0] != '\0';
    char margin[40];
    /* a key row takes about 1.7 lines with the preamble's spacing and height */
    format_number(margin, (double)tick_lines + 1.5 + (has_xlabel ? 1.6 : 0.0) +
                              1.7 * (double)rows, 1, '.');
    script_add(s, "set key at screen 0.5, screen 0.01 center bottom horizontal maxcols %zu "
                  "maxrows %zu\nset bmargin %s\n", columns, rows, margin);
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
    size_t lines = n > 0 && n <= MAX_ROWS && ranking->units != NULL
                       ? category_lines(&ranking->units[0].name, sizeof ranking->units[0], n)
                       : 1;
    size_t row = lines > 1 ? 20 * lines : 34; /* pixels */
    sipas_status status = resolve_options(opt, (int)(n > 8 || lines > 1 ? 230 + row * n : 500),
                                          &cv, err);
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

    /* The province's interval as a band behind everything, its value marked above the rows:
     * a target close to the province value stays a line of its own. */
    bool reference_band = isfinite(ranking->reference) && isfinite(ranking->reference_low) &&
                          isfinite(ranking->reference_high);
    if (reference_band) {
        script_add(&s, "set object 1 rect from first ");
        add_percent(&s, ranking->reference_low);
        script_add(&s, ", graph 0 to first ");
        add_percent(&s, ranking->reference_high);
        script_add(&s, ", graph 1 fc rgb '%s' fs solid 1 noborder behind\n", REFERENCE_BAND);
    }
    /* Bars as boxes x:y:xlow:xhigh:ylow:yhigh in four groups, so each has one look and one
     * legend entry: at or above the target, below it, and the outlined (suppressed) ones. */
    bool has[4] = {false};
    static const char *const groups[4] = {"bars", "below", "bars_open", "below_open"};
    for (int g = 0; g < 4; g++) {
        script_add(&s, "$%s << EOD\n", groups[g]);
        for (size_t i = 0; i < n; i++) {
            const sipas_plot_unit *u = &ranking->units[i];
            if (!isfinite(u->estimate))
                continue;
            bool is_below = isfinite(ranking->target) && u->estimate < ranking->target;
            if ((int)is_below + 2 * (int)u->suppressed != g)
                continue;
            has[g] = true;
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
        script_add(&s, " %s %d\n", value, u->suppressed ? 1 : 0);
    }
    script_add(&s, "EOD\n");
    if (isfinite(ranking->target))
        add_vertical_block(&s, "target", ranking->target, n);
    /* Without its interval the province is a line, unless the target's line is within 1% of
     * the axis (7 pixels on the default chart): two such lines read as one, the marker alone
     * then shows the value. */
    bool reference_line = isfinite(ranking->reference) && !reference_band &&
                          !(fabs(ranking->reference - ranking->target) * 100 <
                            0.01 * (x_to - x_from));
    if (reference_line)
        add_vertical_block(&s, "reference", ranking->reference, n);
    const char *key_words[] = {has[1] ? ranking->below_label : NULL,
                               has[2] || has[3] ? ranking->suppressed_label : NULL,
                               reference_band ? ranking->reference_band_label : NULL,
                               ranking->reference_label, ranking->target_label};
    add_key_below(&s, &cv, opt, key_words, sizeof key_words / sizeof key_words[0], 1);

    bool first = true;
    for (int g = 0; g < 4; g++) {
        if (!has[g])
            continue;
        const char *colour = g % 2 == 1 ? BELOW_COLOUR : BAR_COLOUR;
        add_plot_separator(&s, &first);
        if (g < 2)
            script_add(&s, "$%s using 1:2:3:4:5:6 with boxxyerror fs solid 0.85 noborder "
                           "fc rgb '%s' ", groups[g], colour);
        else
            script_add(&s, "$%s using 1:2:3:4:5:6 with boxxyerror fs solid 0.15 border "
                           "lc rgb '%s' lw 2 fc rgb '%s' ", groups[g], colour, colour);
        const char *title = g == 1 ? ranking->below_label : NULL;
        add_key_title(&s, title);
    }
    if (has[2] || has[3]) {
        char style[128];
        snprintf(style, sizeof style, "boxes fs solid 0.15 border lc rgb '%s' lw 2 fc rgb '%s'",
                 PREVIOUS_COLOUR, PREVIOUS_COLOUR);
        add_key_entry(&s, &first, style, ranking->suppressed_label);
    }
    add_plot_separator(&s, &first);
    script_add(&s, "$whiskers using 1:2:3:4 with xerrorbars pt -1 lw 1.5 lc rgb '#222222' "
                   "notitle");
    if (reference_line) {
        add_vertical_element(&s, &first, "reference", REFERENCE_COLOUR, "1",
                             ranking->reference_label);
    } else if (isfinite(ranking->reference)) {
        char style[128];
        snprintf(style, sizeof style, "boxes fs solid 1 noborder fc rgb '%s'", REFERENCE_BAND);
        if (reference_band)
            add_key_entry(&s, &first, style, ranking->reference_band_label);
        /* the province's value: a marker over the top row, in the space above the bars */
        add_plot_separator(&s, &first);
        script_add(&s, "'+' using (");
        add_percent(&s, ranking->reference);
        script_add(&s, "):(%zu.5) every ::0::0 with points pt 11 ps 1.4*point_scale "
                       "lc rgb '%s' ", n, REFERENCE_COLOUR);
        add_key_title(&s, ranking->reference_label);
    }
    if (isfinite(ranking->target))
        add_vertical_element(&s, &first, "target", TARGET_COLOUR, "(8,5)",
                             ranking->target_label);
    if (ranking->show_values) {
        /* Inside the bar's start: at the bar's end the values would collide with the whiskers
         * and with the target and province lines, which sit among the ends. White on a filled
         * bar, dark on an outlined one. */
        char font[40];
        format_font_size(font, &cv, 0.95);
        for (int open = 0; open <= 1; open++) {
            /* gnuplot 5.4 crashes drawing labels whose points are all undefined */
            if (!(has[2 * open] || has[2 * open + 1]))
                continue;
            add_plot_separator(&s, &first);
            script_add(&s, "$whiskers using (");
            add_number(&s, x_from);
            script_add(&s, "):($6 == %d ? $2 : NaN):5 with labels left offset 0.8,0 "
                           "font ',%s' tc rgb '%s' notitle", open, font,
                       open ? REFERENCE_COLOUR : "white");
        }
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 3. Element profile. */

/* One series of dots: x = estimate, y = row + offset, with the interval as an x error bar, and
 * 1 in the fifth column for a suppressed value. */
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
        script_add(s, " %d\n", values[i].suppressed ? 1 : 0);
    }
    script_add(s, "EOD\n");
}

/* Interval bars, filled points (point_type) for published values titled `name`, open ones
 * (open_type, on white) for suppressed values. */
static void add_dot_elements(script *s, bool *first, const char *block, const char *colour,
                             int point_type, int open_type, const char *name)
{
    add_plot_separator(s, first);
    script_add(s, "$%s using 1:2:3:4 with xerrorbars pt -1 lw 1.8 lc rgb '%s' notitle", block,
               colour);
    add_plot_separator(s, first);
    script_add(s, "$%s using ($5 == 0 ? $1 : NaN):2 with points pt %d ps 1.6*point_scale lw 2 "
                  "lc rgb '%s' ", block, point_type, colour);
    add_key_title(s, name);
    add_plot_separator(s, first);
    script_add(s, "$%s using ($5 != 0 ? $1 : NaN):2 with points pt %d ps 1.6*point_scale "
                  "lc rgb 'white' notitle", block, point_type);
    add_plot_separator(s, first);
    script_add(s, "$%s using ($5 != 0 ? $1 : NaN):2 with points pt %d ps 1.6*point_scale lw 2 "
                  "lc rgb '%s' notitle", block, open_type, colour);
}

static bool any_suppressed(const sipas_plot_unit *units, size_t n)
{
    for (size_t i = 0; units != NULL && i < n; i++)
        if (units[i].suppressed && isfinite(units[i].estimate))
            return true;
    return false;
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
    bool any_own = false;
    for (size_t i = 0; profile->element_targets != NULL && i < n; i++) {
        track(profile->element_targets[i] * 100, &lo, &hi);
        any_own |= isfinite(profile->element_targets[i]);
    }
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
    bool suppressed = any_suppressed(profile->current, n) ||
                      any_suppressed(profile->previous, n);
    const char *key_words[] = {profile->current_name,
                               profile->previous != NULL ? profile->previous_name : NULL,
                               isfinite(profile->target) ? profile->target_label : NULL,
                               any_own ? profile->element_target_label : NULL,
                               suppressed ? profile->suppressed_label : NULL};
    add_key_below(&s, &cv, opt, key_words, sizeof key_words / sizeof key_words[0], 1);
    double offset = profile->previous != NULL ? 0.14 : 0.0;
    add_dot_block(&s, "current", profile->current, n, offset);
    if (profile->previous != NULL)
        add_dot_block(&s, "previous", profile->previous, n, -offset);
    if (isfinite(profile->target))
        add_vertical_block(&s, "target", profile->target, n);
    if (any_own) {
        /* each element's own target: a short bar across its row */
        script_add(&s, "$own << EOD\n");
        for (size_t i = 0; i < n; i++) {
            double t = profile->element_targets[i];
            if (!isfinite(t))
                continue;
            add_percent(&s, t);
            script_add(&s, " %zu.62\n", n - i - 1);
            add_percent(&s, t);
            script_add(&s, " %zu.38\n\n", n - i);
        }
        script_add(&s, "EOD\n");
    }

    /* Drawn: target lines first, previous year, then this year on top; the legend reads this
     * year, last year, targets, suppressed (keyentry adds an entry without drawing again). */
    bool first = true;
    if (isfinite(profile->target))
        add_vertical_element(&s, &first, "target", TARGET_COLOUR, "(8,5)", NULL);
    if (any_own) {
        add_plot_separator(&s, &first);
        script_add(&s, "$own using 1:2 with lines lw 3 lc rgb '%s' notitle", OWN_TARGET_COLOUR);
    }
    if (profile->previous != NULL)
        add_dot_elements(&s, &first, "previous", PREVIOUS_COLOUR, 5, 4, NULL);
    add_dot_elements(&s, &first, "current", series_colours[0], 7, 6, profile->current_name);
    char style[128];
    if (profile->previous != NULL) {
        snprintf(style, sizeof style, "points pt 5 ps 1.6*point_scale lc rgb '%s'",
                 PREVIOUS_COLOUR);
        add_key_entry(&s, &first, style, profile->previous_name);
    }
    if (isfinite(profile->target)) {
        snprintf(style, sizeof style, "lines lw 2 dt (8,5) lc rgb '%s'", TARGET_COLOUR);
        add_key_entry(&s, &first, style, profile->target_label);
    }
    if (any_own) {
        snprintf(style, sizeof style, "lines lw 3 lc rgb '%s'", OWN_TARGET_COLOUR);
        add_key_entry(&s, &first, style, profile->element_target_label);
    }
    if (suppressed) {
        snprintf(style, sizeof style, "points pt 6 ps 1.6*point_scale lw 2 lc rgb '%s'",
                 series_colours[0]);
        add_key_entry(&s, &first, style, profile->suppressed_label);
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * 4. Heat map. */

static const char *const heat_colours[3] = {"#66bd63", "#fdd56a", "#ef6a4c"};
#define HEAT_NEUTRAL "#c6dbef"

sipas_status sipas_plot_heatmap_chart(const sipas_plot_heatmap *heatmap,
                                      const sipas_plot_options *opt, sipas_error *err)
{
    if (heatmap == NULL || heatmap->row_names == NULL || heatmap->column_names == NULL ||
        heatmap->values == NULL || heatmap->nrows == 0 || heatmap->nrows > MAX_ROWS ||
        heatmap->ncolumns == 0 || heatmap->ncolumns > MAX_COLUMNS)
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "a heat map needs 1 to %d rows, 1 to %d columns and their values",
                               MAX_ROWS, MAX_COLUMNS);
    if (isfinite(heatmap->target) && !(heatmap->target > 0 && heatmap->target <= 1))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the heat map's target %g is not a "
                               "proportion in (0, 1]", heatmap->target);
    size_t nr = heatmap->nrows, nc = heatmap->ncolumns;
    canvas cv;
    sipas_status status = resolve_options(opt, (int)(nr > 10 ? 240 + 36 * nr : 600), &cv, err);
    if (status != SIPAS_OK)
        return status;
    bool any_value = false, any_suppressed = false, used[3] = {false};
    for (size_t i = 0; i < nr * nc; i++) {
        double v = heatmap->values[i];
        if (!isfinite(v))
            continue;
        any_value = true;
        any_suppressed |= heatmap->suppressed != NULL && heatmap->suppressed[i];
    }
    if (!any_value)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "a heat map needs at least one value");

    script s = {0};
    add_preamble(&s, opt, &cv);
    add_category_ytics(&s, heatmap->row_names, sizeof heatmap->row_names[0], nr);
    script_add(&s, "set yrange [0.5:%zu.5]\nset xrange [0.5:%zu.5]\nset xtics (", nr, nc);
    size_t label_lines = 1;
    for (size_t j = 0; j < nc; j++) {
        if (j > 0)
            script_add(&s, ", ");
        size_t lines = add_wrapped(&s, heatmap->column_names[j], WRAP_COLUMNS);
        if (lines > label_lines)
            label_lines = lines;
        script_add(&s, " %zu", j + 1);
    }
    script_add(&s, ") scale 0\nunset grid\nset border 0\nset rmargin 3\n");
    /* Cells: x y value label class suppressed; the class picks the colour (0 green, 1 amber,
     * 2 red, 3 neutral without a target). Only present cells are written: a missing one is no
     * row, so it stays blank. */
    double band_from = isfinite(heatmap->target) ? heatmap->target - SIPAS_PLOT_HEAT_BAND : NAN;
    script_add(&s, "$cells << EOD\n");
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            double v = heatmap->values[i * nc + j];
            if (!isfinite(v))
                continue;
            /* compared at the printed precision's scale (1e-9), so a value equal to the target
             * is green however it was computed */
            int cls = !isfinite(heatmap->target) ? 3
                      : v >= heatmap->target - 1e-9 ? 0
                      : v >= band_from - 1e-9       ? 1
                                                    : 2;
            if (cls < 3)
                used[cls] = true;
            bool open = heatmap->suppressed != NULL && heatmap->suppressed[i * nc + j];
            char label[40];
            format_value_label(label, v, opt->decimal_comma);
            script_add(&s, "%zu %zu ", j + 1, nr - i);
            add_percent(&s, v);
            script_add(&s, " %s %d %d\n", label, cls, open ? 1 : 0);
        }
    }
    script_add(&s, "EOD\n");
    const char *key_words[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int c = 0; c < 3; c++)
        key_words[c] = used[c] ? heatmap->class_labels[c] : NULL;
    key_words[3] = any_suppressed ? heatmap->suppressed_label : NULL;
    add_key_below(&s, &cv, opt, key_words, 4, label_lines);
    script_add(&s, "colour(c) = c == 0 ? 0x%s : c == 1 ? 0x%s : c == 2 ? 0x%s : 0x%s\n",
               heat_colours[0] + 1, heat_colours[1] + 1, heat_colours[2] + 1, HEAT_NEUTRAL + 1);
    bool first = true;
    add_plot_separator(&s, &first);
    script_add(&s, "$cells using 1:2:($1-0.5):($1+0.5):($2-0.5):($2+0.5):(colour($5)) "
                   "with boxxyerror fs solid 1 border lc rgb 'white' lw 2 fc rgb variable "
                   "notitle");
    if (any_suppressed) {
        /* suppressed cells hollow: white inside a frame of their class colour */
        add_plot_separator(&s, &first);
        script_add(&s, "$cells using 1:($6 != 0 ? $2 : NaN):($1-0.4):($1+0.4):($2-0.33):"
                       "($2+0.33) with boxxyerror fs solid 1 noborder fc rgb 'white' notitle");
    }
    add_plot_separator(&s, &first);
    script_add(&s, "$cells using 1:2:($6 != 0 ? strcol(4).' †' : strcol(4)) with labels tc rgb '#1a1a1a' notitle");
    char style[128];
    for (int c = 0; c < 3; c++) {
        if (!used[c])
            continue;
        snprintf(style, sizeof style, "boxes fs solid 1 noborder fc rgb '%s'", heat_colours[c]);
        add_key_entry(&s, &first, style, heatmap->class_labels[c]);
    }
    if (any_suppressed) {
        snprintf(style, sizeof style, "boxes fs solid 1 border lc rgb '%s' lw 3 fc rgb 'white'",
                 REFERENCE_COLOUR);
        add_key_entry(&s, &first, style, heatmap->suppressed_label);
    }
    script_add(&s, "\n");
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
    size_t lines = category_lines(&card->rows[0].name, sizeof card->rows[0], n);
    sipas_status status = resolve_options(opt, (int)(140 + (lines > 1 ? 20 * lines : 26) * n),
                                          &cv, err);
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
    add_key_title(&s, card->target_label);
    for (int v = 0; v < 4; v++) {
        if (!used[v])
            continue;
        add_plot_separator(&s, &first);
        script_add(&s, "$verdict%d using 1:2 with points pt 7 ps 1.7*point_scale lc rgb '%s' ", v,
                   verdict_colours[v]);
        const char *label = card->verdict_labels[v];
        add_key_title(&s, label);
    }
    script_add(&s, "\n");
    status = render(&s, opt, err);
    free(s.text);
    return status;
}
