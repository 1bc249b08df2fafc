#include "output.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sipas/estimate.h"
#include "sipas/index.h"
#include "sipas/number_format.h"

/* Terminal columns of the first `bytes` bytes of s (SIZE_MAX: all of it). */
static size_t display_width_n(const char *s, size_t bytes)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && bytes > 0; p++, bytes--)
        w += (*p & 0xC0) != 0x80;
    return w;
}

static size_t display_width(const char *s)
{
    return display_width_n(s, SIZE_MAX);
}

/* The row begun by output_row_begin: the column the next cell starts at (counted from the
 * cells output_padded and output_right wrote) and the rest of each cell that did not fit. */
#define MAX_WRAPPED_CELLS 8
#define MAX_WRAPPED_BYTES 1024
static struct {
    FILE *out;            /* NULL: no row begun; a long cell is written whole */
    size_t column;
    size_t ncells;
    struct {
        size_t column, width; /* of the continuation lines: under the text, its indent kept */
        char text[MAX_WRAPPED_BYTES]; /* a copy: callers' label buffers are reused */
        const char *rest; /* into text */
    } cells[MAX_WRAPPED_CELLS];
} row;

void output_row_begin(FILE *out)
{
    row.out = out;
    row.column = 0;
    row.ncells = 0;
}

/* The bytes of the longest start of s that fits `width` columns, broken after a space when
 * one is there (else a word longer than the width is broken inside); *next is where the rest
 * starts, after the spaces. */
static size_t fitting_part(const char *s, size_t width, const char **next)
{
    size_t columns = 0, bytes = 0, last_space = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (; p[bytes] != '\0'; bytes++) {
        if ((p[bytes] & 0xC0) != 0x80) {
            if (columns == width)
                break;
            columns++;
        }
        if (p[bytes] == ' ')
            last_space = bytes;
    }
    size_t end = p[bytes] == '\0' || last_space == 0 ? bytes : last_space;
    const char *rest = s + end;
    while (*rest == ' ')
        rest++;
    *next = rest;
    return end;
}

void output_padded(FILE *out, const char *s, size_t width)
{
    size_t w = display_width(s);
    if (w > width && row.out == out && row.ncells < MAX_WRAPPED_CELLS && width > 0 &&
        strlen(s) < MAX_WRAPPED_BYTES) {
        /* wrapped within its column: the first line here, the rest under it at the row's end */
        const char *rest;
        size_t bytes = fitting_part(s, width, &rest);
        fwrite(s, 1, bytes, out);
        w = display_width_n(s, bytes);
        size_t indent = strspn(s, " ");
        if (indent >= width / 2)
            indent = 0;
        row.cells[row.ncells].column = row.column + indent;
        row.cells[row.ncells].width = width - indent;
        strcpy(row.cells[row.ncells].text, rest);
        row.cells[row.ncells].rest = row.cells[row.ncells].text;
        row.ncells++;
    } else {
        /* no row begun: a longer text is written whole, never cut (the row moves right) */
        fputs(s, out);
    }
    for (; w < width; w++)
        fputc(' ', out);
    fputc(' ', out);
    row.column += (w > width ? w : width) + 1;
}

void output_row_end(FILE *out)
{
    fputc('\n', out);
    bool more = row.out == out && row.ncells > 0;
    while (more) {
        more = false;
        size_t column = 0;
        for (size_t i = 0; i < row.ncells; i++) {
            if (row.cells[i].rest[0] == '\0')
                continue;
            for (; column < row.cells[i].column; column++)
                fputc(' ', out);
            const char *rest;
            size_t bytes = fitting_part(row.cells[i].rest, row.cells[i].width, &rest);
            fwrite(row.cells[i].rest, 1, bytes, out);
            column += display_width_n(row.cells[i].rest, bytes);
            row.cells[i].rest = rest;
            more |= rest[0] != '\0';
        }
        fputc('\n', out);
    }
    row.out = NULL;
    row.ncells = 0;
}

void output_right(FILE *out, const char *s, size_t width)
{
    size_t w = display_width(s);
    for (size_t i = w; i < width; i++)
        fputc(' ', out);
    fputs(s, out);
    fputc(' ', out);
    row.column += (w > width ? w : width) + 1;
}

void output_csv_number(FILE *out, double v)
{
    char text[SIPAS_NUMBER_MAX];
    if (isfinite(v)) /* the shortest text that reads back to the same double */
        fwrite(text, 1, sipas_format_number(v, '.', text), out);
    fputc(',', out);
}

void output_json_number(FILE *out, double v)
{
    char text[SIPAS_NUMBER_MAX];
    if (isfinite(v))
        fwrite(text, 1, sipas_format_number(v, '.', text), out);
    else
        fputs("null", out);
}

void output_json_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

const char *output_flags(unsigned flags, bool nps)
{
    (void)nps;
    if (flags & SIPAS_FLAG_SMALL_CELL)
        return "small_cell";
    bool suppress = (flags & SIPAS_NCHS_SUPPRESS) != 0, few = (flags & SIPAS_NCHS_FEW_DF) != 0;
    return suppress && few ? "suppress few_df" : suppress ? "suppress" : few ? "few_df" : "";
}

const char *output_flag_names(unsigned flags)
{
    static char buf[128];
    buf[0] = '\0';
    if (flags & SIPAS_FLAG_SMALL_CELL)
        strcat(buf, "small_cell");
    for (unsigned bit = 1; bit && bit <= SIPAS_NCHS_FEW_DF; bit <<= 1) {
        const char *name = (flags & bit) ? sipas_nchs_flag_name(bit) : NULL;
        if (name) {
            if (buf[0])
                strcat(buf, "|");
            strcat(buf, name);
        }
    }
    return buf;
}
