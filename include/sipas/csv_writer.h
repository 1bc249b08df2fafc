/* sipas/csv_writer.h - writing RFC 4180 CSV (rejects files, exports, analysis output).
 * Fields are quoted only when they hold the delimiter, a quote, CR or LF, or surrounding
 * spaces; quotes are doubled. Records end with LF, which
 * spreadsheets and R read. */
#ifndef SIPAS_CSV_WRITER_H
#define SIPAS_CSV_WRITER_H

#include <stdio.h>
#include <stddef.h>

/* Writes one field (no delimiter) to out. s may hold any bytes; len is its length. */
void sipas_csv_write_field(FILE *out, const char *s, size_t len, char delimiter);

/* Writes n NUL-terminated fields separated by delimiter and a newline. NULL fields are empty. */
void sipas_csv_write_record(FILE *out, const char *const *fields, size_t n, char delimiter);

#endif
