/* analyze/output.h - formatting shared by the analysis commands' table, CSV and JSON output. */
#ifndef SIPAS_ANALYZE_OUTPUT_H
#define SIPAS_ANALYZE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s left-aligned in `width` terminal columns (UTF-8 code points, NFC text), then one
 * space. A longer s is never cut: inside a row begun with output_row_begin it wraps at spaces
 * within its column (the first line here, the rest on lines under it that output_row_end
 * writes; s must stay valid until then); outside one it is written whole and the rest of that
 * row moves right. */
void output_padded(FILE *out, const char *s, size_t width);
/* A table row whose long cells wrap: every cell before a wrapping one must be written with
 * output_padded or output_right (they count the columns); output_row_end writes the newline
 * and the wrapped cells' further lines. */
void output_row_begin(FILE *out);
void output_row_end(FILE *out);
/* Writes s right-aligned in `width` terminal columns, then one space. */
void output_right(FILE *out, const char *s, size_t width);
/* A number at full precision followed by ','; empty for NaN (R reads it as NA). */
void output_csv_number(FILE *out, double v);
/* A JSON number at full precision, or null for NaN/Inf. */
void output_json_number(FILE *out, double v);
/* A JSON string with escapes; null for NULL. */
void output_json_string(FILE *out, const char *s);
/* "suppress", "suppress few_df", "few_df" or "" for a row's NCHS bits. */
const char *output_flags(unsigned flags, bool nps);
/* The set bits' names joined by '|' ("small_n_eff|few_df"), or "". Static buffer. */
const char *output_flag_names(unsigned flags);

#endif
