/* The library's one hash map (src/hash_map.h): 64-bit keys to dense indices, open addressing
 * with linear probing. Kept apart so that numbering strata, PSUs and domains and interning a
 * column's text values share one tested table instead of two hand-written ones. */
#include "hash_map.h"

#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)(hash_mix64(key) & (cap - 1));
}

/* Doubles the table (or makes the first one) and re-seats every entry. */
static bool grow(hash_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys);
    size_t *values = calloc(cap, sizeof *values);
    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->values[i] == 0)
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (values[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    return true;
}

bool hash_map_find_or_add(hash_map *m, uint64_t key, hash_map_same_fn *same, const void *ctx,
                          size_t *index, bool *added)
{
    if ((m->count + 1) * 2 > m->cap && !grow(m))
        return false;
    size_t j = slot_of(key, m->cap);
    while (m->values[j]) {
        if (m->keys[j] == key && (same == NULL || same(ctx, m->values[j] - 1))) {
            *index = m->values[j] - 1;
            if (added)
                *added = false;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->values[j] = ++m->count;
    *index = m->count - 1;
    if (added)
        *added = true;
    return true;
}

void hash_map_release(hash_map *m)
{
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->count = 0;
}
