/* src/frame_input.c - What the frame readers share (src/frame_input.h): CSV rows with the
 * delimiter known, numbers with a decimal comma, and the first problem of a file kept for its
 * message. */
#include "frame_input.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

typedef struct frame_reading {
    frame_row_fn row_fn;
    void *ctx;
    sipas_csv_reader *reader;
} frame_reading;

/* The reader knows the delimiter before its first row: pass it along with each row. */
static sipas_status forward_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                                const size_t *lengths, sipas_error *err)
{
    frame_reading *r = ctx;
    return r->row_fn(r->ctx, sipas_csv_reader_delimiter(r->reader), row, nfields, fields, lengths,
                     err);
}

sipas_status frame_read(const char *path, frame_row_fn row_fn, void *ctx, sipas_error *err)
{
    frame_reading r = {.row_fn = row_fn, .ctx = ctx};
    sipas_status st = sipas_csv_reader_new(NULL, path, forward_row, &r, &r.reader, err);
    FILE *f = st == SIPAS_OK ? fopen(path, "rb") : NULL;
    if (st == SIPAS_OK && f == NULL)
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char buf[65536];
    size_t n;
    while (st == SIPAS_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        st = sipas_csv_reader_feed(r.reader, buf, n, err);
    if (st == SIPAS_OK && f && ferror(f))
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    if (st == SIPAS_OK)
        st = sipas_csv_reader_finish(r.reader, err);
    if (f)
        fclose(f);
    sipas_csv_reader_free(r.reader);
    return st;
}

bool frame_number(const char *field, size_t len, char delimiter, double *value)
{
    size_t start, trimmed;
    sipas_text_trim(field, len, &start, &trimmed);
    char number[64];
    if (trimmed == 0 || trimmed >= sizeof number)
        return false;
    snprintf(number, sizeof number, "%.*s", (int)trimmed, field + start);
    if (delimiter != ',') {
        char *comma = strchr(number, ',');
        if (comma && strchr(number, '.') == NULL)
            *comma = '.';
    }
    char *end = NULL;
    *value = strtod(number, &end);
    return *end == '\0' && end != number && isfinite(*value);
}

void frame_problem(frame_problems *problems, size_t row, const char *column, const char *fmt, ...)
{
    if (problems->count++ > 0)
        return;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (column)
        snprintf(problems->first, sizeof problems->first, "%s:%zu: column '%s': %s", problems->path,
                 row, column, reason);
    else
        snprintf(problems->first, sizeof problems->first, "%s:%zu: %s", problems->path, row, reason);
}
