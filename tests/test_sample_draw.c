/* The draw: the generator's reference outputs, inclusion probabilities against
 * sampling::inclusionprobabilities (tests/fixtures/plan/make_plan_fixtures.R), and simulations
 * (2,000 draws each) showing every unit selected as often as its probability says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipas/sample_draw.h"

#define FIXTURE_DIR SIPAS_TEST_FIXTURES "/plan/"
#include "fixture_table.h"

#define DRAWS 2000
#define MAX_UNITS 16

static void test_generator_reference(void **state)
{
    (void)state;
    /* splitmix64.c (Vigna) from seed 1234567 */
    const uint64_t splitmix[] = {6457827717110365317u, 3203168211198807973u, 9817491932198370423u,
                                 4593380528125082431u, 16408922859458223821u};
    uint64_t s = 1234567;
    for (size_t i = 0; i < 5; i++)
        assert_true(sipas_splitmix64(&s) == splitmix[i]);
    /* xoshiro256** (Blackman & Vigna) from the state {1, 2, 3, 4} */
    sipas_rng rng = {{1, 2, 3, 4}};
    const uint64_t xoshiro[] = {11520u, 0u, 1509978240u, 1215971899390074240u};
    for (size_t i = 0; i < 4; i++)
        assert_true(sipas_rng_next(&rng) == xoshiro[i]);
    sipas_rng_seed(&rng, 2025);
    for (size_t i = 0; i < 1000; i++) {
        double u = sipas_rng_uniform(&rng);
        assert_true(u >= 0 && u < 1);
    }
}

typedef struct frame_case {
    size_t n, count;
    double size[MAX_UNITS], pi[MAX_UNITS];
} frame_case;

/* The frames of inclusion.csv with R's probabilities. */
static size_t read_frames(frame_case *frames, size_t max)
{
    table *t = table_read("inclusion.csv");
    size_t nframes = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        size_t f = (size_t)num(cell_of(t, i, "frame")) - 1;
        assert_true(f < max);
        if (f + 1 > nframes)
            nframes = f + 1;
        frame_case *c = &frames[f];
        c->n = (size_t)num(cell_of(t, i, "n"));
        assert_true(c->count < MAX_UNITS);
        c->size[c->count] = num(cell_of(t, i, "size"));
        c->pi[c->count++] = num(cell_of(t, i, "pi"));
    }
    table_free(t);
    return nframes;
}

static void test_inclusion_probabilities_match_r(void **state)
{
    (void)state;
    frame_case frames[8] = {0};
    size_t nframes = read_frames(frames, 8);
    assert_int_equal(nframes, 5);
    for (size_t f = 0; f < nframes; f++) {
        double pi[MAX_UNITS];
        size_t certain = 0, r_certain = 0;
        assert_int_equal(sipas_inclusion_probabilities(frames[f].count, frames[f].size, frames[f].n,
                                                       pi, &certain, NULL), SIPAS_OK);
        char context[32];
        snprintf(context, sizeof context, "frame %zu", f + 1);
        for (size_t k = 0; k < frames[f].count; k++) {
            expect_close(pi[k], frames[f].pi[k], 1e-12, "pi", context);
            r_certain += frames[f].pi[k] >= 1;
        }
        assert_int_equal(certain, r_certain);
    }
    double pi[3];
    const double too_few[] = {1, 0, 0};
    sipas_error err = {0};
    assert_int_equal(sipas_inclusion_probabilities(3, too_few, 2, pi, NULL, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "of positive size"));
}

/* The binomial bound of a frequency over DRAWS draws: 4.5 standard errors (a false alarm once
 * in 150,000 units), and exact for probabilities 0 and 1. */
static double tolerance(double pi)
{
    return 4.5 * sqrt(pi * (1 - pi) / DRAWS);
}

static void check_frequencies(const frame_case *c, const size_t *hits, const char *what)
{
    for (size_t k = 0; k < c->count; k++) {
        double freq = (double)hits[k] / DRAWS;
        if (!(fabs(freq - c->pi[k]) <= tolerance(c->pi[k])))
            fail_msg("%s: unit %zu selected in %.4f of %d draws, probability %.4f (tolerance %.4f)",
                     what, k + 1, freq, DRAWS, c->pi[k], tolerance(c->pi[k]));
    }
}

static void test_systematic_frequencies(void **state)
{
    (void)state;
    frame_case frames[8] = {0};
    size_t nframes = read_frames(frames, 8);
    for (size_t f = 0; f < nframes; f++) {
        size_t hits[MAX_UNITS] = {0};
        unsigned char selected[MAX_UNITS];
        for (uint64_t seed = 1; seed <= DRAWS; seed++) {
            sipas_rng rng;
            sipas_rng_seed(&rng, seed);
            assert_int_equal(sipas_draw_systematic(frames[f].count, frames[f].pi, &rng, selected,
                                                   NULL), SIPAS_OK);
            size_t taken = 0;
            for (size_t k = 0; k < frames[f].count; k++) {
                hits[k] += selected[k];
                taken += selected[k];
            }
            assert_int_equal(taken, frames[f].n); /* a fixed sample size, every draw */
        }
        char what[32];
        snprintf(what, sizeof what, "PPS frame %zu", f + 1);
        check_frequencies(&frames[f], hits, what);
    }
    /* the check can fail: in frame 1 the PPS probabilities are far from n / N = 0.5 in the
     * tolerance's units, so an equal-probability draw would be caught */
    assert_true(fabs(frames[0].pi[0] - 0.5) > 5 * tolerance(0.5));
}

static void test_srs_frequencies(void **state)
{
    (void)state;
    frame_case c = {.n = 5, .count = 12};
    for (size_t k = 0; k < c.count; k++)
        c.pi[k] = 5.0 / 12;
    size_t hits[MAX_UNITS] = {0};
    unsigned char selected[MAX_UNITS];
    sipas_rng rng;
    sipas_rng_seed(&rng, 7);
    for (size_t d = 0; d < DRAWS; d++) {
        assert_int_equal(sipas_draw_srs(c.count, c.n, &rng, selected, NULL), SIPAS_OK);
        size_t taken = 0;
        for (size_t k = 0; k < c.count; k++) {
            hits[k] += selected[k];
            taken += selected[k];
        }
        assert_int_equal(taken, c.n);
    }
    check_frequencies(&c, hits, "SRS 5 of 12");
    assert_int_equal(sipas_draw_srs(3, 4, &rng, selected, NULL), SIPAS_ERR_USAGE);
}

static void test_systematic_refuses_bad_probabilities(void **state)
{
    (void)state;
    unsigned char selected[3];
    sipas_rng rng;
    sipas_rng_seed(&rng, 1);
    const double half[] = {0.5, 0.7, 0.3}; /* sums to 1.5 */
    sipas_error err = {0};
    assert_int_equal(sipas_draw_systematic(3, half, &rng, selected, &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "not a whole number"));
    const double above[] = {1.5, 0.5, 0};
    assert_int_equal(sipas_draw_systematic(3, above, &rng, selected, &err), SIPAS_ERR_USAGE);
}

/* Writes text to a temporary frame file; returns its path (static buffer). */
static const char *frame_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sipas-test-frame-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_draw_from_a_frame(void **state)
{
    (void)state;
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_SURVEYS "/sipas2017", &inst, &err), SIPAS_OK);
    /* Cao Lộc by its label; a ;-separated file with a decimal comma */
    const char *path = frame_file("district;commune;people;note\n"
                                  "cao_loc;a;100;x\nCao Lộc;b;50,5;\ncao_loc;c;10;\ncao_loc;d;900;\n"
                                  "dinh_lap;e;5;\ndinh_lap;f;5;\n");
    sipas_sample_options opt = {.size_column = "people", .clusters_per_unit = 2, .seed = 9};
    sipas_sample_result *r = NULL;
    /* d is larger than the interval (1060.5 / 2): refused without --certainty */
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "commune 'd' (size 900) is larger than the sampling interval"));
    assert_null(r);
    opt.certainty = true;
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_OK);
    assert_int_equal(r->nstrata, 2);
    assert_string_equal(r->strata[0].code, "cao_loc");
    assert_int_equal(r->strata[0].certain, 1);
    assert_float_equal(r->strata[0].size, 1060.5, 1e-12);
    assert_float_equal(r->units[1].size, 50.5, 0);
    /* d certain; the other unit from a, b, c with pi = size / 160.5 */
    assert_true(r->units[3].selected && r->units[3].certainty);
    assert_float_equal(r->units[0].probability, 100 / 160.5, 1e-12);
    assert_int_equal(r->units[4].selected + r->units[5].selected, 2);
    bool first[6];
    for (size_t k = 0; k < 6; k++)
        first[k] = r->units[k].selected;
    sipas_sample_free(r);
    /* the same seed, the same draw */
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_OK);
    for (size_t k = 0; k < 6; k++)
        assert_int_equal(r->units[k].selected, first[k]);
    sipas_sample_free(r);
    /* more clusters than a stratum has */
    opt.clusters_per_unit = 3;
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, "district 'dinh_lap' has 2 commune clusters in the frame, fewer than the 3 to draw"));
    unlink(path);
    /* bad rows: the first is named with file, row and column */
    path = frame_file("district,commune,people\ncao_loc,a,12\ncao_loc,b,many\nha_noi,c,3\n");
    opt.clusters_per_unit = 1;
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_ERR_VALIDATION);
    char want[256];
    snprintf(want, sizeof want, "%s:3: column 'people': 'many' is not a size (a number > 0) "
             "(and more problems); nothing was drawn", path);
    assert_string_equal(err.message, want);
    unlink(path);
    path = frame_file("district,commune,people\ncao_loc,a,12\ncao_loc,a,3\n");
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(err.message, ":3: column 'commune': 'a' is listed twice in district 'cao_loc'"));
    unlink(path);
    path = frame_file("district,name,people\ncao_loc,a,12\n");
    assert_int_equal(sipas_sample_draw(inst, path, &opt, &r, &err), SIPAS_ERR_FORMAT);
    assert_non_null(strstr(err.message, ":1: no column 'commune'"));
    unlink(path);
    sipas_instrument_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_reference),
        cmocka_unit_test(test_inclusion_probabilities_match_r),
        cmocka_unit_test(test_systematic_frequencies),
        cmocka_unit_test(test_srs_frequencies),
        cmocka_unit_test(test_systematic_refuses_bad_probabilities),
        cmocka_unit_test(test_draw_from_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
