/* sipas/csv_reader.h - streaming RFC 4180 reader over libcsv.
 *
 * Feeds bytes in chunks of any size and calls row_fn once per complete record, so memory does
 * not grow with the file. It handles, before libcsv sees the data:
 *   - the encoding (sipas/encoding.h): UTF-8 with or without a byte order mark, UTF-16,
 *     Windows-1258, TCVN3, VISCII and VNI detected (or options->encoding) and converted to UTF-8;
 *     bytes that are not text in it stop the file with one message naming the row;
 *   - the delimiter: ',' ';' or '\t', detected from the first non-blank record, or its first
 *     64 KiB (delimiters counted outside quotes; the most frequent wins, ties prefer ',' then
 *     ';' then tab, none at all gives ',') unless options->delimiter is set;
 *   - NUL bytes (refused with their row: they are never text).
 * Records: quoted fields may hold delimiters, quotes ("") and newlines; CRLF, LF and a lone CR
 * end a record; a last record without a newline is delivered by sipas_csv_reader_finish. Blank
 * lines, and records whose fields are all empty (",,,," as spreadsheets write for formatted
 * empty rows), are skipped. Spaces and tabs around an unquoted field are trimmed (libcsv);
 * quoted fields are kept as written. Quoting is strict: an open quote at the end of the input
 * is "FILE:ROW: unterminated quoted field", and a quote inside an unquoted field or after a
 * closing quote is refused. Each field is passed NUL-terminated with its length; the pointers
 * are valid only during the callback (the reader reuses its buffers), so copy what you keep.
 *
 * Row numbers are the 1-based line number of the file on which the record starts, counting
 * every line (blank ones too; LF, CRLF and a lone CR each end a line; a line break inside a
 * quoted field moves the next record down). The header is row 1 when the file starts with it.
 * This is the line a text editor shows, and the row a spreadsheet shows when no field holds a
 * line break. Errors inside a record name the row where the record starts. Limits: a field
 * longer than max_field_bytes or a record with more than max_fields fields is refused naming
 * the row and the field's 1-based position. Fields are always valid UTF-8.
 */
#ifndef SIPAS_CSV_READER_H
#define SIPAS_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "sipas/encoding.h"
#include "sipas/error.h"

/* Return SIPAS_OK to go on; any other status stops the reader and is passed back to the caller
 * of feed/finish with err as the callback filled it. */
typedef sipas_status (*sipas_csv_row_fn)(void *ctx, size_t row, size_t nfields,
                                         char *const *fields, const size_t *lengths,
                                         sipas_error *err);

typedef struct sipas_csv_options {
    char delimiter;          /* 0: detect from the first record */
    size_t max_field_bytes;  /* 0: default 1 MiB; a longer field is refused */
    size_t max_fields;       /* 0: default 4096; a record with more fields is refused */
    sipas_encoding encoding; /* 0 (SIPAS_ENCODING_DETECT): detect from the first 64 KiB */
} sipas_csv_options;

typedef struct sipas_csv_reader sipas_csv_reader;

/* source_name is used in messages ("FILE:ROW: ..."); it is copied. options may be NULL. */
sipas_status sipas_csv_reader_new(const sipas_csv_options *options, const char *source_name,
                                  sipas_csv_row_fn row_fn, void *ctx, sipas_csv_reader **out,
                                  sipas_error *err);
sipas_status sipas_csv_reader_feed(sipas_csv_reader *reader, const char *data, size_t len,
                                   sipas_error *err);
/* Delivers a last record that has no newline and reports an unterminated quote. */
sipas_status sipas_csv_reader_finish(sipas_csv_reader *reader, sipas_error *err);
/* The encoding in use: detected or given; SIPAS_ENCODING_DETECT before it is known. */
sipas_encoding sipas_csv_reader_encoding(const sipas_csv_reader *reader);
/* The delimiter in use: detected or given; 0 before the first record is known. */
char sipas_csv_reader_delimiter(const sipas_csv_reader *reader);
void sipas_csv_reader_free(sipas_csv_reader *reader); /* NULL is a no-op */

/* Called now and then while reading a file: bytes read so far and the file's size (0 when it
 * is not a regular file). */
typedef void (*sipas_csv_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Reads a whole file through a reader in 64 KiB chunks. progress may be NULL. If stop_flag is
 * not NULL and becomes nonzero (a signal handler sets it), reading stops with
 * SIPAS_ERR_INTERRUPTED. */
sipas_status sipas_csv_read_file(const char *path, const sipas_csv_options *options,
                                 sipas_csv_row_fn row_fn, void *ctx,
                                 sipas_csv_progress_fn progress, void *progress_ctx,
                                 volatile const int *stop_flag, sipas_error *err);

#endif
