/* sipas-collect sample: draws the clusters of the next wave from a frame (PPS systematic within
 * strata, or SRS), writes the selection list and stores the frame's population counts. The
 * algorithms are in include/sipas/sample_draw.h and docs/planning.md. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "sipas/instrument.h"
#include "sipas/sample_draw.h"
#include "sipas/store.h"

static const cli_option sample_options[] = {
    {"form", "ID", "the instrument whose stratum and cluster columns the frame names", false},
    {"frame", "FILE", "the frame: one cluster a row, with its stratum and (for PPS) its size", false},
    {"seed", "S", "the random seed (a whole number >= 0): the same seed gives the same draw", false},
    {"clusters-per-unit", "K", "clusters to draw in every stratum", false},
    {"clusters-from", "FILE", "clusters to draw by stratum, from a CSV such as plan's --format csv", false},
    {"clusters-column", "COL", "with --clusters-from: the count column (default clusters_t)", false},
    {"size-column", "COL", "the frame's size column: PPS systematic; without it, SRS", false},
    {"certainty", NULL, "take clusters larger than the sampling interval with certainty", false},
    {"interviews-per-cluster", "M", "with a size column: add each respondent's weight size/(pi M)", false},
    {"wave", "YEAR", "the wave the draw is for: the selection (and population counts) are stored for it", false},
    {"no-store", NULL, "store nothing (try a draw)", false},
    {"out", "FILE", "write the selection list to FILE instead of standard output", false},
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};
const cli_options collect_sample_options = CLI_OPTION_TABLE(sample_options);

/* Parses the options into opt; CLI_EXIT_OK or the usage code after a message. */
static int parse_sample_options(const cli_args *args, sipas_sample_options *opt, int64_t *wave)
{
    int64_t seed, clusters = 0;
    const char *v, *per_unit = cli_value(args, "clusters-per-unit");
    const char *from = cli_value(args, "clusters-from");
    if (cli_value(args, "form") == NULL || cli_value(args, "frame") == NULL ||
        cli_value(args, "seed") == NULL || (per_unit == NULL) == (from == NULL) ||
        args->npositional > 0) {
        cli_error("sample needs --form ID --frame FILE --seed S and one of --clusters-per-unit K "
                  "and --clusters-from FILE, and takes no other arguments (see %s sample --help)",
                  cli_program);
        return CLI_EXIT_USAGE;
    }
    if (cli_value(args, "clusters-column") && from == NULL) {
        cli_error("--clusters-column needs --clusters-from FILE");
        return CLI_EXIT_USAGE;
    }
    int64_t interviews = 0;
    if (!cli_int("--seed", cli_value(args, "seed"), 0, INT64_MAX, &seed) ||
        (per_unit && !cli_int("--clusters-per-unit", per_unit, 1, 100000, &clusters)) ||
        ((v = cli_value(args, "interviews-per-cluster")) &&
         !cli_int("--interviews-per-cluster", v, 1, 1000000, &interviews)))
        return CLI_EXIT_USAGE;
    if (interviews && cli_value(args, "size-column") == NULL) {
        cli_error("--interviews-per-cluster needs --size-column COL (a weight is the cluster's "
                  "size over its interviews and probability)");
        return CLI_EXIT_USAGE;
    }
    *opt = (sipas_sample_options){.size_column = cli_value(args, "size-column"),
                                  .clusters_per_unit = (size_t)clusters, .clusters_path = from,
                                  .clusters_column = cli_value(args, "clusters-column"),
                                  .interviews_per_cluster = (size_t)interviews,
                                  .seed = (uint64_t)seed, .certainty = cli_flag(args, "certainty")};
    *wave = 0;
    if ((v = cli_value(args, "wave")) && !cli_int("--wave", v, 1990, 2100, wave))
        return CLI_EXIT_USAGE;
    bool store = opt->size_column && !cli_flag(args, "no-store");
    if (store && *wave == 0) {
        cli_error("sample --size-column stores the frame's population counts for a wave: give "
                  "--wave YEAR (or --no-store)");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* One line per stratum on standard error: what was drawn. */
static void tell_draw(const sipas_sample_result *r)
{
    for (size_t h = 0; h < r->nstrata; h++) {
        size_t taken = 0;
        for (size_t k = 0; k < r->nunits; k++)
            taken += r->units[k].stratum == h && r->units[k].selected;
        fprintf(stderr, "%s: %zu of %zu clusters (%s)", r->strata[h].code, taken, r->strata[h].units,
                r->cluster_item->name);
        if (r->strata[h].certain)
            fprintf(stderr, " (%zu with certainty)", r->strata[h].certain);
        if (r->pps)
            fprintf(stderr, "; size %.0f", r->strata[h].size);
        fputc('\n', stderr);
    }
}

int collect_sample(int argc, char **argv)
{
    cli_args args;
    size_t nopt = collect_sample_options.n;
    if (!cli_parse(argc, argv, sample_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_instrument *inst = NULL;
    sipas_sample_result *result = NULL;
    sipas_store *store = NULL;
    sipas_error err = {0};
    FILE *out;
    sipas_sample_options opt;
    int64_t wave;
    if (cli_flag(&args, "help")) {
        printf("usage: %s sample --form ID --frame FILE --seed S (--clusters-per-unit K | "
               "--clusters-from FILE)\n       [--size-column COL [--certainty] "
               "[--interviews-per-cluster M]] [--wave YEAR | --no-store] [--out FILE]\n\n"
               "Draws the clusters of the next wave: PPS systematic within strata with a size "
               "column\n(clusters larger than the interval taken with certainty with --certainty), "
               "else simple\nrandom sampling. Writes the selected clusters with their inclusion "
               "probabilities (CSV).\nWith --wave, stores the selection, from which import fills "
               "the wave's empty weight\nand fpc cells, and (with a size column) the strata's "
               "summed sizes as the population\nmargin of the stratum column, which --base-weights "
               "reads. See docs/planning.md.\n\n", cli_program);
        cli_print_options(sample_options, nopt);
        goto done;
    }
    if ((code = parse_sample_options(&args, &opt, &wave)) != CLI_EXIT_OK)
        goto done;
    const char *frame = cli_value(&args, "frame"), *path = cli_value(&args, "out");
    bool store_draw = wave > 0 && !cli_flag(&args, "no-store");
    bool store_counts = store_draw && opt.size_column;
    if (sipas_instrument_find(cli_surveys_dir(&args), cli_value(&args, "form"), &inst, &err) != SIPAS_OK ||
        sipas_sample_draw(inst, frame, &opt, &result, &err) != SIPAS_OK ||
        (store_draw &&
         sipas_store_open(cli_db_path(&args), SIPAS_STORE_READ_WRITE, &store, &err) != SIPAS_OK)) {
        code = cli_fail(&err);
        goto done;
    }
    /* --out is written whole when the command succeeds (cli_output_finish), else left as it was */
    if ((out = cli_output_open(path)) == NULL) {
        code = CLI_EXIT_FAILURE;
        goto done;
    }
    if (sipas_sample_write_csv(result, out, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    tell_draw(result);
    if (store_counts) {
        if (sipas_sample_store_counts(store, inst, result, (long)wave, frame, &err) != SIPAS_OK) {
            code = cli_fail(&err);
            goto done;
        }
        fprintf(stderr, "%s: margin '%s' stored for wave %lld (sipas-analyze --base-weights %s)\n",
                frame, result->stratum_item->name, (long long)wave, result->stratum_item->name);
    }
    if (store_draw) {
        if (sipas_sample_store_selection(store, inst, result, (long)wave, frame, opt.seed,
                                         &err) != SIPAS_OK) {
            code = cli_fail(&err);
            goto done;
        }
        fprintf(stderr, "%s: selection stored for wave %lld (import fills the batch's empty %s "
                "cells from it)\n", frame, (long long)wave,
                result->pps && opt.interviews_per_cluster ? "weight and fpc" : "fpc");
    }
done:
    sipas_store_close(store);
    sipas_sample_free(result);
    sipas_instrument_free(inst);
    cli_args_free(&args);
    return code;
}
