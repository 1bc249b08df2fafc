/* test_hash_map.c - the library's one hash map (src/hash_map.h): dense indices in first-seen
 * order across many doublings, and values whose 64-bit keys collide kept apart by `same`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "hash_map.h"

static void numbers_keys_in_first_seen_order(void **state)
{
    (void)state;
    hash_map m = {0};
    enum { N = 5000 }; /* past the first table of 64 slots many times over */
    for (size_t round = 0; round < 2; round++) {
        for (uint64_t k = 0; k < N; k++) {
            size_t index = SIZE_MAX;
            bool added = round == 1;
            /* keys that differ only in high bits, as a double's bits do */
            assert_true(hash_map_find_or_add(&m, (N - 1 - k) << 40, NULL, NULL, &index, &added));
            assert_int_equal(index, k);
            assert_int_equal(added, round == 0);
        }
    }
    assert_int_equal(m.count, N);
    hash_map_release(&m);
    assert_int_equal(m.count, 0);
    assert_null(m.keys);
}

/* Every word hashes to the same key: only `same` tells them apart. */
static const char *const words[] = {"cao_loc", "loc_binh", "dinh_lap", "van_lang"};

static bool word_is(const void *ctx, size_t index)
{
    return strcmp(words[index], ctx) == 0;
}

static void colliding_keys_kept_apart_by_same(void **state)
{
    (void)state;
    hash_map m = {0};
    size_t index;
    bool added;
    for (size_t w = 0; w < 4; w++) {
        assert_true(hash_map_find_or_add(&m, 42, word_is, words[w], &index, &added));
        assert_true(added);
        assert_int_equal(index, w);
    }
    assert_true(hash_map_find_or_add(&m, 42, word_is, "dinh_lap", &index, &added));
    assert_false(added);
    assert_int_equal(index, 2);
    /* the same key without a test is the first entry stored under it */
    assert_true(hash_map_find_or_add(&m, 42, NULL, NULL, &index, NULL));
    assert_int_equal(index, 0);
    hash_map_release(&m);
}

static void fnv1a_matches_published_values(void **state)
{
    (void)state;
    /* the FNV-1a 64-bit test vectors of Fowler, Noll and Vo */
    assert_true(hash_bytes("", 0) == 0xcbf29ce484222325ull);
    assert_true(hash_bytes("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(hash_bytes("foobar", 6) == 0x85944171f73967e8ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_keys_in_first_seen_order),
        cmocka_unit_test(colliding_keys_kept_apart_by_same),
        cmocka_unit_test(fnv1a_matches_published_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
