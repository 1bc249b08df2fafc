/* src/alloc.h - the library's one checked array allocation (private to src/). */
#ifndef SIPAS_ALLOC_H
#define SIPAS_ALLOC_H

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

#endif
