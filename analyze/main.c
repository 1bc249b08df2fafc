/* sipas-analyze: satisfaction indices, trends and targets over the store. A thin layer: it
 * parses options, calls the library, prints, and returns the exit codes of cli/cli.h. */

#include "analyze.h"
#include "cli.h"
#include "sipas/init.h"

static const command commands[] = {
    {"index", analyze_index, "criterion, element and overall indices with CIs, by domain", &analyze_index_options},
    {"change", analyze_change, "year-on-year change in percentage points with CI and p-value", &analyze_change_options},
    {"trend", analyze_trend, "logit trend, projections to 2025/2030, target verdicts, unit labels", &analyze_trend_options},
    {"rank", analyze_rank, "units against the province, adjusted p-values, up/down since last year", &analyze_rank_options},
    {"targets", analyze_targets, "every target of targets.csv with its verdict", &analyze_targets_options},
    {"scorecard", analyze_scorecard, "every Resolution 60 target, survey and administrative, with its verdict", &analyze_scorecard_options},
    {"answers", analyze_answers, "the share of answers at each level of each criterion, with CIs and missing kinds", &analyze_answers_options},
    {"profile", analyze_profile, "who answered in a wave: counts and shares by district, type, sex, age...", &analyze_profile_options},
    {"comments", analyze_comments, "the open-ended answers of a wave: counts by unit, and the listing with phones, e-mails and IDs masked", &analyze_comments_options},
    {"plot", analyze_plot, "a review chart (trend, ranking, profile, heatmap) as PNG, SVG or PDF", &analyze_plot_options},
    {"report", analyze_report, "the annual review as one HTML page, with its tables as CSV and xlsx", &analyze_report_options},
    {"plan", analyze_plan, "the next wave's sample: sizes and clusters per unit, allocation, power", &analyze_plan_options},
};

int main(int argc, char **argv)
{
    sipas_library_init();
    return cli_dispatch("sipas-analyze", commands, sizeof commands / sizeof commands[0],
                        "COMMAND --form ID [options]", &analyze_manual,
                        argc, argv);
}
