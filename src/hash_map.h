/* src/hash_map.h (private to the library) - the one hash map of the library: a 64-bit key to a
 * dense index 0, 1, 2, ... in the order keys were first seen. Used to number strata, PSUs,
 * domains and calibration cells (src/index_design.c, src/index_domains.c) and to intern the text
 * values of a loaded column (src/dataset.c).
 *
 * Open addressing with linear probing; the table doubles when half full, so a lookup costs O(1)
 * on average. A key that is the whole identity (a level index, a number's bits) needs no more; a
 * key that is a hash of something longer (a text value) passes a `same` test that compares the
 * candidate entry, so two values whose hashes collide stay apart.
 *
 * Ownership: the map owns its two arrays; zero-initialise it ({0}) and free with
 * hash_map_release. It holds no pointer to the caller's data. */
#ifndef SIPAS_HASH_MAP_H
#define SIPAS_HASH_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hash_map {
    size_t cap;          /* slots, a power of two (0 before the first insertion) */
    size_t count;        /* entries: the next dense index */
    uint64_t *keys;
    size_t *values;      /* dense index + 1; 0 = empty slot */
} hash_map;

/* Whether entry `index` (a dense index the map handed out) is the value being looked up. */
typedef bool hash_map_same_fn(const void *ctx, size_t index);

/* The dense index of key in *index: the entry whose key equals key and for which same(ctx, entry)
 * holds (same NULL: the key alone identifies the entry), else a new entry numbered count. *added
 * (may be NULL) says which. False only when memory is short (the map is left as it was). */
bool hash_map_find_or_add(hash_map *m, uint64_t key, hash_map_same_fn *same, const void *ctx,
                          size_t *index, bool *added);
void hash_map_release(hash_map *m);

/* The finaliser of MurmurHash3 (Appleby): spreads the bits of x over the whole word, so that
 * keys built from small integers or a double's bits fill the table evenly. */
static inline uint64_t hash_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* FNV-1a over len bytes (Fowler, Noll, Vo): the key of a text value here, and the slot of a
 * typed answer in the bounded label cache of src/label_match.c. */
static inline uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* the offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

#endif
