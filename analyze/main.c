/* sipas-analyze: satisfaction indices, trends and targets over the store. A thin layer: it
 * parses options, calls the library, prints, and returns the exit codes of cli/cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cli.h"

static const command commands[] = {
    {"index", analyze_index, "criterion, element and overall indices with CIs, by domain"},
    {"change", analyze_change, "year-on-year change in percentage points with CI and p-value"},
    {"trend", analyze_trend, "logit trend, projections to 2025/2030, target verdicts, unit labels"},
    {"rank", analyze_rank, "units against the province, adjusted p-values, up/down since last year"},
    {"targets", analyze_targets, "every target of targets.csv with its verdict"},
    {"plot", analyze_plot, "a review chart (trend, ranking, profile, heatmap) as PNG, SVG or PDF"},
    {"report", analyze_report, "the annual review as one HTML page, with its tables as CSV and xlsx"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: %s COMMAND --form ID [options]\n\nCommands:\n", cli_program);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'%s COMMAND --help' describes a command. The store is --db FILE, $SIPAS_DB or "
            "sipas.db.\nExit codes: 0 success, 1 input refused or not estimable, 2 usage, 3 store "
            "or file error.\n", cli_program);
}

int main(int argc, char **argv)
{
    cli_program = "sipas-analyze";
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", cli_program, SIPAS_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    cli_error("unknown command '%s'", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
