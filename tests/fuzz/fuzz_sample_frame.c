/* tests/fuzz/fuzz_sample_frame.c - the frame reader and the draw of sipas-collect sample.
 *
 * The input's first byte chooses the clusters per stratum (1 + bits 0-1), PPS or SRS (bit 2)
 * and --certainty (bit 3); the rest is a frame of the instrument tests/fixtures/import/mini
 * (district, commune, size). Properties checked (sample_draw.h):
 *   - a failure returns no result and a non-empty message;
 *   - a success draws exactly n_h clusters in each stratum, each with 0 < pi <= 1, the pi of a
 *     stratum summing to n_h, every certainty selected with pi = 1, and sizes summing to the
 *     stratum's size;
 *   - the same input with the same seed draws the same clusters. */
#include "fuzz_common.h"

#include <math.h>

#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/sample_draw.h"

static sipas_instrument *inst;
static char frame_path[128];

static void check_draw(const sipas_sample_result *r, const sipas_sample_options *opt)
{
    for (size_t h = 0; h < r->nstrata; h++) {
        size_t taken = 0;
        double pi = 0, size = 0;
        for (size_t k = 0; k < r->nunits; k++) {
            const sipas_sample_unit *u = &r->units[k];
            if (u->stratum != h)
                continue;
            FUZZ_CHECK(u->probability > 0 && u->probability <= 1, "pi %g", u->probability);
            FUZZ_CHECK(!u->certainty || (u->selected && u->probability == 1), "certainty not drawn");
            taken += u->selected;
            pi += u->probability;
            size += r->pps ? u->size : 0;
        }
        FUZZ_CHECK(taken == opt->clusters_per_unit, "stratum %zu: %zu drawn, not %zu", h, taken,
                   opt->clusters_per_unit);
        FUZZ_CHECK(fabs(pi - (double)taken) <= 1e-9 * (double)taken, "stratum %zu: pi sum %.17g", h, pi);
        FUZZ_CHECK(!r->pps || fabs(size - r->strata[h].size) <= 1e-9 * size, "stratum size");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sipas_library_init();
    sipas_error err = {0};
    if (inst == NULL) {
        FUZZ_CHECK(sipas_instrument_load(SIPAS_FUZZ_FIXTURES "/import/mini", &inst, &err) == SIPAS_OK,
                   "instrument: %s", err.message);
        snprintf(frame_path, sizeof frame_path, "%s/frame.csv", fuzz_scratch());
    }
    if (size == 0)
        return 0;
    fuzz_write(frame_path, data + 1, size - 1);
    sipas_sample_options opt = {.clusters_per_unit = 1 + (data[0] & 3u),
                                .size_column = (data[0] & 4u) ? "size" : NULL,
                                .certainty = (data[0] & 8u) != 0, .seed = data[0]};
    sipas_sample_result *first = NULL, *again = NULL;
    sipas_status st = sipas_sample_draw(inst, frame_path, &opt, &first, &err);
    if (st != SIPAS_OK) {
        FUZZ_CHECK(first == NULL && err.message[0] != '\0', "failure without message or with a result");
        FUZZ_SAY("refused: %s\n", err.message);
        return 0;
    }
    check_draw(first, &opt);
    FUZZ_CHECK(sipas_sample_draw(inst, frame_path, &opt, &again, &err) == SIPAS_OK, "again: %s",
               err.message);
    FUZZ_CHECK(again->nunits == first->nunits, "unit count differs");
    for (size_t k = 0; k < first->nunits; k++)
        FUZZ_CHECK(again->units[k].selected == first->units[k].selected, "unit %zu drawn differently", k);
    FUZZ_SAY("drew from %zu clusters in %zu strata\n", first->nunits, first->nstrata);
    sipas_sample_free(first);
    sipas_sample_free(again);
    return 0;
}
