/* src/csv_writer.c - Writing RFC 4180 fields (sipas/csv_writer.h): quoted only when they must be.
 * */
#include "sipas/csv_writer.h"

#include <stdbool.h>
#include <string.h>

void sipas_csv_write_field(FILE *out, const char *s, size_t len, char delimiter)
{
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == delimiter || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

void sipas_csv_write_record(FILE *out, const char *const *fields, size_t n, char delimiter)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputc(delimiter, out);
        if (fields[i])
            sipas_csv_write_field(out, fields[i], strlen(fields[i]), delimiter);
    }
    fputc('\n', out);
}
