/* Tests of the shortest round-trip number formatter (number_format.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "sipas/number_format.h"

static void test_shortest(void **state)
{
    (void)state;
    static const struct {
        double x;
        const char *dot;
        const char *comma;
    } cases[] = {
        {23.28, "23.28", "23,28"},               /* %.17g: 23.280000000000001 */
        {0.1, "0.1", "0,1"},
        {2449.4, "2449.4", "2449,4"},
        {1.0 / 3.0, "0.3333333333333333", "0,3333333333333333"},   /* needs 16 digits */
        {0.30000000000000004, "0.30000000000000004", "0,30000000000000004"}, /* needs 17 */
        {1e21, "1e+21", "1e+21"},
        {-0.0, "-0", "-0"},
        {4, "4", "4"},
        {123456789012345678.0, "1.2345678901234568e+17", "1,2345678901234568e+17"},
        {5e-324, "4.94065645841247e-324", "4,94065645841247e-324"}, /* the smallest subnormal */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[SIPAS_NUMBER_MAX];
        size_t n = sipas_format_number(cases[i].x, '.', out);
        assert_string_equal(out, cases[i].dot);
        assert_int_equal(n, strlen(cases[i].dot));
        assert_true(strtod(out, NULL) == cases[i].x); /* reads back exactly */
        sipas_format_number(cases[i].x, ',', out);
        assert_string_equal(out, cases[i].comma);
    }
    char out[SIPAS_NUMBER_MAX];
    sipas_format_number(NAN, '.', out);
    assert_string_equal(out, "NaN");
    sipas_format_number(-INFINITY, '.', out);
    assert_string_equal(out, "-Inf");
}

/* Every double of a sweep over twenty decades reads back exactly. */
static void test_round_trip_sweep(void **state)
{
    (void)state;
    double x = 1e-5;
    for (int i = 0; i < 20000; i++, x *= 1.0013) {
        char out[SIPAS_NUMBER_MAX];
        sipas_format_number(x, '.', out);
        assert_true(strtod(out, NULL) == x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shortest),
        cmocka_unit_test(test_round_trip_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
