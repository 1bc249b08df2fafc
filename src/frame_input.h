/* src/frame_input.h - what the readers of frame files share (private to src/): reading a CSV
 * with the delimiter known to each row, numbers with a decimal comma, and the first problem of a
 * file kept for its message. Used by frame.c (population counts) and sample_draw.c (clusters). */
#ifndef SIPAS_FRAME_INPUT_H
#define SIPAS_FRAME_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/csv_reader.h"
#include "sipas/error.h"

/* A row callback that also gets the file's delimiter (',' ';' or '\t'). */
typedef sipas_status (*frame_row_fn)(void *ctx, char delimiter, size_t row, size_t nfields,
                                     char *const *fields, const size_t *lengths, sipas_error *err);

/* Reads path row by row into row_fn. */
sipas_status frame_read(const char *path, frame_row_fn row_fn, void *ctx, sipas_error *err);

/* A number in a field (spaces trimmed); a decimal comma is read as a point when the delimiter
 * is not a comma and the text has no point. False when the field is not a finite number. */
bool frame_number(const char *field, size_t len, char delimiter, double *value);

/* Counts a file's problems and keeps the first as "PATH:ROW: column 'NAME': reason" (without
 * the column part when column is NULL). */
typedef struct frame_problems {
    const char *path;
    size_t count;
    char first[SIPAS_ERROR_MESSAGE_MAX];
} frame_problems;

void frame_problem(frame_problems *problems, size_t row, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
