/* sipas/number_format.h - numbers written for people and read back by programs.
 *
 * A stored weight of 23.28 is the double 23.280000000000001136868...; "%.17g" prints all of
 * that, "%.15g" may lose a value that needs 17 digits. The shortest of %.15g, %.16g and %.17g
 * that strtod reads back to the same double is both exact and what a person typed (David Gay's
 * "shortest round trip" criterion, as in R's and Python's repr), whatever the C locale's
 * decimal point. */
#ifndef SIPAS_NUMBER_FORMAT_H
#define SIPAS_NUMBER_FORMAT_H

#include <stddef.h>

#define SIPAS_NUMBER_MAX 32 /* bytes of the longest result with its NUL ("-1.2345678901234567e-308") */

/* Writes x to out with decimal as the decimal separator ('.' or ',' for a Vietnamese-locale
 * spreadsheet) and returns its length. Non-finite values are written "NaN", "Inf", "-Inf". */
size_t sipas_format_number(double x, char decimal, char out[SIPAS_NUMBER_MAX]);

/* Replaces the decimal point that printf wrote (the C locale's, usually '.') in text by
 * decimal: ',' for Vietnamese text (87,07%), '.' for English and machine-read files. Only the
 * first one: text holds one number. Every number shown to a person passes through here, so
 * that a locale other than "C" never leaks its own mark into a report, a table or a chart. */
void sipas_number_set_decimal(char *text, char decimal);

#endif
