#include "output.h"

#include <math.h>
#include <string.h>

#include "sipas/estimate.h"
#include "sipas/index.h"
#include "sipas/number_format.h"

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

void output_padded(FILE *out, const char *s, size_t width)
{
    size_t w = display_width(s);
    if (w <= width) {
        fputs(s, out);
        for (size_t i = w; i < width; i++)
            fputc(' ', out);
    } else {
        size_t shown = 0;
        const unsigned char *p = (const unsigned char *)s;
        for (; *p; p++) {
            if ((*p & 0xC0) != 0x80) {
                if (shown == width - 1)
                    break;
                shown++;
            }
            fputc(*p, out);
        }
        fputs("…", out);
    }
    fputc(' ', out);
}

void output_right(FILE *out, const char *s, size_t width)
{
    for (size_t w = display_width(s); w < width; w++)
        fputc(' ', out);
    fputs(s, out);
    fputc(' ', out);
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
