/* src/alloc.h - the library's one checked array allocation (private to src/). */
#ifndef SIPAS_ALLOC_H
#define SIPAS_ALLOC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* count zeroed elements of size bytes; at least one, so a successful call never returns NULL;
 * NULL when count * size would overflow or memory is short. */
static inline void *alloc_array(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (count > SIZE_MAX / size)
        return NULL;
    return calloc(count, size);
}

/* Grows a byte buffer *buf of *cap bytes to hold at least need, doubling so that appends stay
 * linear overall. False (the buffer unchanged) when memory is short or the size overflows. */
static inline bool grow_bytes(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 256;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2)
            return false;
        cap2 *= 2;
    }
    char *p = realloc(*buf, cap2);
    if (p == NULL)
        return false;
    *buf = p;
    *cap = cap2;
    return true;
}

#endif
