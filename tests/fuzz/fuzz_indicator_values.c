/* tests/fuzz/fuzz_indicator_values.c - a file of administrative indicator values
 * (sipas_admin_values_read against the shipped registry), its batch in the store and the
 * verdicts on what it holds.
 *
 * The input is the file's bytes. Properties checked:
 *   - a refusal comes with a message that starts with the file's name (FILE:ROW: ...);
 *   - accepted values keep the promises of indicators.h: a share in [0, 1], numerator and
 *     denominator both or neither with 0 <= numerator <= denominator, a year in 1990-2100, no
 *     (indicator, year, unit) twice, a non-empty source;
 *   - the batch stores exactly those values, the same content again is a conflict that stores
 *     nothing, and removing the batch leaves the store empty;
 *   - every value series gets a verdict on a target of its kind without error, and a projected
 *     verdict has its estimate inside its interval. */
#include "fuzz_common.h"

#include <math.h>
#include <stdbool.h>

#include "sipas/indicators.h"
#include "sipas/init.h"
#include "sipas/store.h"

static sipas_indicator_registry *reg;
static sipas_store *store;

static void setup(void)
{
    sipas_error err = {0};
    FUZZ_CHECK(sipas_indicator_registry_load(SIPAS_FUZZ_FIXTURES "/../../surveys/indicators/"
                                             "registry.csv", &reg, &err) == SIPAS_OK,
               "%s", err.message);
    FUZZ_CHECK(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err) == SIPAS_OK,
               "%s", err.message);
}

static size_t stored_count(void)
{
    sipas_admin_value *v = NULL;
    size_t n = 0;
    sipas_error err = {0};
    FUZZ_CHECK(sipas_store_load_admin_values(store, NULL, 0, &v, &n, &err) == SIPAS_OK, "%s",
               err.message);
    sipas_admin_values_free(v, n);
    return n;
}

static void check_values(const sipas_admin_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sipas_indicator_def *d = sipas_indicator_find(reg, v[i].indicator);
        FUZZ_CHECK(d != NULL, "'%s' is not registered", v[i].indicator);
        FUZZ_CHECK(v[i].year >= 1990 && v[i].year <= 2100 && v[i].year == floor(v[i].year),
                   "year %g", v[i].year);
        FUZZ_CHECK(isfinite(v[i].value) && v[i].value >= 0, "value %g", v[i].value);
        if (d->kind == SIPAS_INDICATOR_SHARE)
            FUZZ_CHECK(v[i].value <= 1, "share %g", v[i].value);
        FUZZ_CHECK(isnan(v[i].numerator) == isnan(v[i].denominator), "half a ratio");
        if (!isnan(v[i].numerator))
            FUZZ_CHECK(v[i].numerator >= 0 && v[i].numerator <= v[i].denominator &&
                       v[i].denominator > 0, "ratio %g/%g", v[i].numerator, v[i].denominator);
        FUZZ_CHECK(v[i].source && v[i].source[0], "empty source");
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(v[i].indicator, v[j].indicator) || strcmp(v[i].unit, v[j].unit) ||
                       v[i].year != v[j].year, "rows %zu and %zu repeat a key", j, i);
    }
}

/* A verdict for a future year on each indicator's values in each unit. */
static void check_verdicts(const sipas_admin_value *v, size_t n)
{
    sipas_admin_point *p = malloc((n ? n : 1) * sizeof *p);
    FUZZ_CHECK(p != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t np = 0;
        for (size_t j = 0; j < n; j++)
            if (strcmp(v[j].indicator, v[i].indicator) == 0 && strcmp(v[j].unit, v[i].unit) == 0)
                p[np++] = (sipas_admin_point){v[j].year, v[j].value, v[j].numerator,
                                              v[j].denominator};
        const sipas_indicator_def *d = sipas_indicator_find(reg, v[i].indicator);
        sipas_admin_target t = {.indicator = d->id, .unit = v[i].unit, .year = 2101,
                                .comparison = SIPAS_CMP_AT_LEAST,
                                .threshold = d->kind == SIPAS_INDICATOR_CHANGE ? -0.1 : 0.5,
                                .base_from = 1990, .base_to = 1990};
        sipas_admin_verdict out;
        sipas_error err = {0};
        sipas_status st = sipas_admin_assess(d, &t, p, np, 0, 0.95, &out, &err);
        /* a degenerate line (every year at one value after a 0 or 1) may give no interval */
        FUZZ_CHECK(st == SIPAS_OK || (st == SIPAS_ERR_MATH && err.message[0]), "%s",
                   err.message);
        if (st == SIPAS_OK && out.projected && !isnan(out.ci_low))
            FUZZ_CHECK(out.ci_low <= out.estimate + 1e-9 && out.estimate <= out.ci_high + 1e-9,
                       "estimate %g outside [%g, %g]", out.estimate, out.ci_low, out.ci_high);
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sipas_library_init();
    if (size > 65536)
        return 0;
    if (reg == NULL)
        setup();
    char path[128];
    snprintf(path, sizeof path, "%s/values.csv", fuzz_scratch());
    fuzz_write(path, data, size);
    sipas_admin_value *v = NULL;
    size_t n = 0;
    char sha[SIPAS_ADMIN_SHA256_HEX + 1];
    sipas_error err = {0};
    sipas_status st = sipas_admin_values_read(path, reg, &v, &n, sha, &err);
    FUZZ_SAY("  read: %s %s (%zu values)\n", sipas_status_name(st), err.message, n);
    if (st != SIPAS_OK) {
        FUZZ_CHECK(strncmp(err.message, path, strlen(path)) == 0 || st == SIPAS_ERR_NOMEM,
                   "message without the file: '%s'", err.message);
        FUZZ_CHECK(v == NULL && n == 0, "a refused file returned values");
        return 0;
    }
    check_values(v, n);
    int64_t id = 0;
    FUZZ_CHECK(sipas_store_import_admin_batch(store, "values.csv", sha, v, n, false, &id, &err) ==
                   SIPAS_OK, "%s", err.message);
    FUZZ_CHECK(stored_count() == n, "stored %zu of %zu", stored_count(), n);
    FUZZ_CHECK(sipas_store_import_admin_batch(store, "again.csv", sha, v, n, false, NULL, &err) ==
                   SIPAS_ERR_CONFLICT, "the same content twice was not refused");
    FUZZ_CHECK(stored_count() == n, "a refused batch changed the store");
    check_verdicts(v, n);
    FUZZ_CHECK(sipas_store_remove_admin_batch(store, id, &err) == SIPAS_OK, "%s", err.message);
    FUZZ_CHECK(stored_count() == 0, "values left after removing the batch");
    sipas_admin_values_free(v, n);
    return 0;
}
