/* analyze/manual.c - the prose of the sipas-analyze man page: what each command does, exit
 * status, environment, examples. The command list, the options and the version come from the
 * tables and the build (cli/manual.c); this file holds only what they cannot say. */
#include "analyze.h"

static const cli_manual_command analyze_manual_commands[] = {
    {"index",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-by\\fR \\fICOLS\\fR] [\\fB\\-\\-where\\fR \\fICOND\\fR] [\\fIoptions\\fR]",
     "The index table: criteria, elements and the overall index with linearised standard errors,\n"
     "confidence intervals, design effects and NCHS flags, one block per domain of\n"
     ".BR \\-\\-by .\n"
     "Domain conditions (\\fB\\-\\-where\\fR)\n"
     "are COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or \\(aqCOL in A,B\\(aq;\n"
     "values are codes or labels. Tables use Vietnamese labels and decimal commas by default;\n"
     "CSV and JSON give proportions at full precision. See docs/usage.md and docs/methodology.md."},
    {"change",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-measure\\fR \\fIM\\fR] [\\fB\\-\\-by\\fR \\fICOLS\\fR] [\\fB\\-\\-from\\fR \\fIY1\\fR \\fB\\-\\-to\\fR \\fIY2\\fR] [\\fIoptions\\fR]",
     "The two waves are independent samples: the variance of the difference is the sum of theirs.\n"
     "See docs/review.md."},
    {"trend",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-measure\\fR \\fIM\\fR] [\\fB\\-\\-by\\fR \\fICOL\\fR] [\\fIoptions\\fR]",
     "Weighted least squares on the logit scale over all waves; the verdict for every target of\n"
     "targets.csv the measure stands for. See docs/review.md and docs/trends.md."},
    {"rank",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-measure\\fR \\fIM\\fR] [\\fB\\-\\-unit\\fR \\fICOL\\fR] [\\fB\\-\\-wave\\fR \\fIY\\fR] [\\fIoptions\\fR]",
     "Each unit against the province with Cov(unit, province), p-values adjusted for the number of units.\n"
     "See docs/review.md."},
    {"targets",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-map\\fR \\fIINDICATOR\\fR=\\fIFORM\\fR[:\\fIMEASURE\\fR]] [\\fIoptions\\fR]",
     "Indicators mapped to the form are judged on the survey, the others on the values of\n"
     "surveys/indicators/ and the stored indicator values. See docs/review.md."},
    {"scorecard",
     "[\\fB\\-\\-form\\fR \\fIID\\fR] [\\fB\\-\\-year\\fR \\fIY\\fR] [\\fB\\-\\-chart\\fR \\fIFILE\\fR] [\\fIoptions\\fR]",
     "Every target of Resolution 60-NQ/TU in one table: item, indicator, target, latest value and\n"
     "its year, trend, verdict and source. Survey targets are judged on the form's index, the\n"
     "administrative ones on the values stored by\n"
     ".BR \"sipas-collect indicators import\" ;\n"
     "the registry and targets are surveys/indicators/. See docs/review.md."},
    {"plot",
     "\\fB\\-\\-form\\fR \\fIID\\fR \\fB\\-\\-kind\\fR trend|ranking|profile|heatmap \\fB\\-\\-out\\fR \\fIFILE\\fR [\\fIoptions\\fR]",
     "Drawn by gnuplot; the format follows the extension of \\fB\\-\\-out\\fR.\n"
     "Without gnuplot the exit status is 1. See docs/plots.md and docs/report.md."},
    {"report",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-wave\\fR \\fIYEAR\\fR] \\fB\\-\\-out\\fR \\fIFILE.html\\fR [\\fB\\-\\-csv\\fR \\fIDIR\\fR] [\\fB\\-\\-xlsx\\fR \\fIFILE\\fR] [\\fIoptions\\fR]",
     "One self-contained HTML page (charts inline as SVG, no network), in Vietnamese or English,\n"
     "with the same tables as CSV files and as one workbook. Needs gnuplot. See docs/report.md."},
    {"plan",
     "\\fB\\-\\-form\\fR \\fIID\\fR \\fB\\-\\-wave\\fR \\fIYEAR\\fR [\\fB\\-\\-by\\fR \\fICOL\\fR] [\\fB\\-\\-margin\\fR \\fIE\\fR] [\\fB\\-\\-budget\\fR \\fIN\\fR [\\fB\\-\\-allocation\\fR \\fIRULE\\fR]] [\\fB\\-\\-detect\\fR \\fID\\fR [\\fB\\-\\-power\\fR \\fIP\\fR]] [\\fIoptions\\fR]",
     "The next wave's sample from this wave's index, design effect and cluster size: per unit the\n"
     "respondents and clusters a margin needs, a budget's allocation and the margin it buys, the sample\n"
     "that detects a change. See docs/planning.md."},
};

const cli_manual analyze_manual = {
    .purpose =
        "design\\-based satisfaction indices, trends and targets from a sipas store",
    .synopsis =
        ".I command\n"
        ".B \\-\\-form\n"
        ".I ID\n"
        ".RI [ options ]",
    .description =
        ".B sipas-analyze\n"
        "computes satisfaction indices (criterion, element, overall) with linearised standard errors,\n"
        "confidence intervals, design effects and NCHS presentation flags, by domain, as R's survey\n"
        "package computes them (see docs/methodology.md). Waves are independent samples: strata are wave\n"
        "by stratum column, PSUs the cluster column nested in them.",
    .commands = analyze_manual_commands,
    .ncommands = sizeof analyze_manual_commands / sizeof analyze_manual_commands[0],
    .exit_status =
        "0 success; 1 refused (unknown form, column or value, nothing to estimate, a lonely PSU under\n"
        "\\-\\-lonely\\-psu fail); 2 usage error; 3 the store or a file could not be read or written; 130 interrupted.",
    .examples =
        "sipas-analyze index \\-\\-form sipas2017 \\-\\-wave 2024 \\-\\-level\\-of overall,element\n"
        "sipas-analyze index \\-\\-form sipas2017 \\-\\-wave 2024 \\-\\-by district \\-\\-format csv\n"
        "sipas-analyze trend \\-\\-form sipas2017\n"
        "sipas-analyze report \\-\\-form sipas2017 \\-\\-wave 2024 \\-\\-out review.html \\-\\-xlsx review.xlsx",
    .see_also =
        ".BR sipas-collect (1),\n"
        "docs/usage.md, docs/methodology.md, docs/planning.md, docs/review.md, docs/report.md",
};
