/* test_error.c - sipas_error_prefix: one clean sentence, the failure's status kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sipas/error.h"

static void prefix_inserts_one_separator(void **state)
{
    (void)state;
    sipas_error err;
    sipas_error_set(&err, SIPAS_ERR_MATH, "beta quantile of %g failed", 0.025);
    sipas_status st = sipas_error_prefix(&err, SIPAS_ERR_MATH, "unit '%s', wave %g", "dinh_lap",
                                         2024.0);
    assert_int_equal(st, SIPAS_ERR_MATH);
    assert_int_equal(err.status, SIPAS_ERR_MATH);
    assert_string_equal(err.message, "unit 'dinh_lap', wave 2024: beta quantile of 0.025 failed");
    /* contexts nest outside in */
    sipas_error_prefix(&err, SIPAS_ERR_MATH, "form '%s'", "health2025");
    assert_string_equal(err.message,
                        "form 'health2025': unit 'dinh_lap', wave 2024: beta quantile of 0.025 failed");
}

static void prefix_old_separator_not_doubled(void **state)
{
    (void)state;
    sipas_error err;
    sipas_error_set(&err, SIPAS_ERR_VALIDATION, "no answers");
    sipas_error_prefix(&err, SIPAS_ERR_VALIDATION, "target %g in %g: ", 0.8, 2025.0);
    assert_string_equal(err.message, "target 0.8 in 2025: no answers");
}

static void prefix_null_error_returns_status(void **state)
{
    (void)state;
    assert_int_equal(sipas_error_prefix(NULL, SIPAS_ERR_MATH, "unit '%s'", "x"), SIPAS_ERR_MATH);
    assert_int_equal(sipas_error_prefix(NULL, SIPAS_ERR_VALIDATION, "x"), SIPAS_ERR_VALIDATION);
}

static void prefix_keeps_context_when_too_long(void **state)
{
    (void)state;
    sipas_error err;
    char long_message[SIPAS_ERROR_MESSAGE_MAX];
    memset(long_message, 'm', sizeof long_message - 1);
    long_message[sizeof long_message - 1] = '\0';
    sipas_error_set(&err, SIPAS_ERR_MATH, "%s", long_message);
    sipas_error_prefix(&err, SIPAS_ERR_MATH, "unit '%s'", "u1");
    assert_int_equal(strlen(err.message), SIPAS_ERROR_MESSAGE_MAX - 1);
    assert_memory_equal(err.message, "unit 'u1': mmm", 14);
}

static void prefix_on_empty_message(void **state)
{
    (void)state;
    sipas_error err;
    sipas_error_clear(&err);
    sipas_error_prefix(&err, SIPAS_ERR_MATH, "unit '%s'", "u1");
    assert_string_equal(err.message, "unit 'u1'");
    assert_int_equal(err.status, SIPAS_ERR_MATH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_inserts_one_separator),
        cmocka_unit_test(prefix_old_separator_not_doubled),
        cmocka_unit_test(prefix_null_error_returns_status),
        cmocka_unit_test(prefix_keeps_context_when_too_long),
        cmocka_unit_test(prefix_on_empty_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
