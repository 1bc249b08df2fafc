/* src/number_format.c - Numbers for people and programs (sipas/number_format.h): the shortest
 * form that reads back exactly, whatever the C locale. */
#include "sipas/number_format.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sipas_number_set_decimal(char *s, char decimal)
{
    const char *point = localeconv()->decimal_point;
    size_t plen = strlen(point);
    char *at = plen > 0 ? strstr(s, point) : NULL;
    if (at != NULL) {
        *at = decimal;
        memmove(at + 1, at + plen, strlen(at + plen) + 1);
    }
}

size_t sipas_format_number(double x, char decimal, char out[SIPAS_NUMBER_MAX])
{
    if (!isfinite(x))
        return (size_t)snprintf(out, SIPAS_NUMBER_MAX, "%s", isnan(x) ? "NaN" : x > 0 ? "Inf"
                                                                                       : "-Inf");
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, SIPAS_NUMBER_MAX, "%.*g", digits, x);
        if (digits == 17 || strtod(out, NULL) == x)
            break;
    }
    sipas_number_set_decimal(out, decimal);
    return strlen(out);
}
