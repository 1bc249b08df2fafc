/* collect/manual.c - the prose of the sipas-collect man page: what each command does, exit
 * status, environment, examples. The command list, the options and the version come from the
 * tables and the build (cli/manual.c); this file holds only what they cannot say. */
#include "commands.h"

static const cli_manual_command collect_manual_commands[] = {
    {"import",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-wave\\fR \\fIYEAR\\fR] [\\fIoptions\\fR] \\fIFILE\\fR...",
     "Validate and store batches. Every problem is reported as\n"
     ".IR FILE : ROW \": column '\" NAME \"': \" reason\n"
     "(in a workbook\n"
     ".IR FILE [ SHEET \"]:\" ROW \": column '\" NAME \"' (cell D12): \" reason ;\n"
     "in an SPSS, Stata or SAS file\n"
     ".IR FILE \":case \" N ),\n"
     "and rejected rows go to the rejects file.\n"
     ".B \\-\\-sheet\n"
     "names the sheet of a workbook (default: the first). A batch with rejected rows is stored without them with\n"
     ".BR \\-\\-keep\\-valid ,\n"
     "otherwise not at all. A file with the same content as a stored batch is refused unless\n"
     ".B \\-\\-replace\n"
     "is given. The encoding (UTF-8, UTF-16, Windows-1258, TCVN3, VISCII, VNI) is detected and the\n"
     "text converted, unless\n"
     ".B \\-\\-encoding\n"
     "names it;\n"
     ".B \\-\\-excel\n"
     "writes the rejects file with a byte order mark and ';'. KoboToolbox exports, labels without\n"
     "accents and aliases are accepted as described in docs/instruments.md. An empty or missing weight\n"
     "or fpc cell is filled from the draw that\n"
     ".B sample \\-\\-wave\n"
     "stored for the row's wave and cluster, with one message per batch; a row of a cluster that was\n"
     "not drawn keeps the rule that the cell is required (docs/planning.md)."},
    {"check",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-wave\\fR \\fIYEAR\\fR] [\\fIoptions\\fR] \\fIFILE\\fR...",
     "Validate exactly as import does, including duplicate ids against the store; store nothing."},
    {"batches",
     "[\\fB\\-\\-form\\fR \\fIID\\fR]",
     "List the imported batches."},
    {"show",
     "\\fIBATCH\\fR",
     "Show one batch: file, SHA-256, instrument version, row counts, time."},
    {"remove",
     "\\fIBATCH\\fR",
     "Remove a batch and every response it brought."},
    {"export",
     "\\fB\\-\\-form\\fR \\fIID\\fR [\\fB\\-\\-batch\\fR \\fIN\\fR] [\\fB\\-\\-labels\\fR codes|vi|en] [\\fB\\-\\-sep\\fR ,|;|tab] [\\fB\\-\\-excel\\fR] [\\fB\\-\\-format\\fR csv|sav|dta] [\\fB\\-\\-out\\fR \\fIFILE\\fR]",
     "Write the stored responses as CSV, numbers with the fewest digits that read back exactly;\n"
     ".B \\-\\-excel\n"
     "for Excel in a Vietnamese locale (byte order mark, ';', decimal comma). An export imports again\n"
     "unchanged. With\n"
     ".B \\-\\-format sav\\fR|\\fBdta\n"
     "(and\n"
     ".BR \\-\\-out )\n"
     "the export is a labelled SPSS or Stata file: choices as value labels, questions as variable labels,\n"
     "missing kinds as SPSS user-missing values."},
    {"instrument",
     "\\fIID\\fR|\\fIDIR\\fR\n"
     ".br\n"
     ".B sipas-collect instrument\n"
     "\\fB\\-\\-from\\fR \\fIFORM.xlsx\\fR [\\fB\\-\\-out\\fR \\fIDIR\\fR]",
     "Check an instrument and describe its items, elements and lists.\n"
     ".PP\n"
     "With \\fB\\-\\-from\\fR: write an instrument folder DIR/FORM_ID (default: in the surveys directory) from an XLSForm\n"
     "workbook (KoboToolbox, ODK), then check and describe it."},
    {"frame",
     "\\fB\\-\\-form\\fR \\fIID\\fR \\fIFILE\\fR...",
     "Store population counts by the cells of a margin (e.g. district, or sex,age_group),\n"
     "optionally by wave, for base weights and calibration\n"
     "(.BR \"sipas-analyze \\-\\-base\\-weights\" ,\n"
     ".BR \\-\\-poststratify ,\n"
     ".BR \\-\\-rake ).\n"
     "Each FILE is one margin; it replaces the stored counts of the waves it gives.\n"
     "See docs/calibration.md."},
    {"sample",
     "\\fB\\-\\-form\\fR \\fIID\\fR \\fB\\-\\-frame\\fR \\fIFILE\\fR \\fB\\-\\-seed\\fR \\fIS\\fR (\\fB\\-\\-clusters\\-per\\-unit\\fR \\fIK\\fR | \\fB\\-\\-clusters\\-from\\fR \\fIFILE\\fR) [\\fB\\-\\-size\\-column\\fR \\fICOL\\fR [\\fB\\-\\-certainty\\fR] [\\fB\\-\\-interviews\\-per\\-cluster\\fR \\fIM\\fR]] [\\fB\\-\\-wave\\fR \\fIYEAR\\fR | \\fB\\-\\-no\\-store\\fR] [\\fB\\-\\-out\\fR \\fIFILE\\fR]",
     "Draw the clusters of the next wave from a frame: PPS systematic within strata with a size column\n"
     "(clusters larger than the interval with certainty when asked), else simple random sampling, with\n"
     "a seeded portable generator. Writes the selected clusters with their inclusion probabilities as\n"
     "CSV. With \\-\\-wave, stores the selection, from which\n"
     ".B import\n"
     "fills the wave's empty or missing weight and fpc cells (the weight only with\n"
     "\\-\\-interviews\\-per\\-cluster), and, with a size column, the strata's summed sizes for the wave (for\n"
     ".BR \"sipas-analyze \\-\\-base\\-weights\" ).\n"
     "See docs/planning.md."},
    {"indicators",
     "import [\\fB\\-\\-replace\\fR] \\fIFILE\\fR... | list | show \\fIBATCH\\fR | show \\fB\\-\\-indicator\\fR \\fIID\\fR | remove \\fIBATCH\\fR",
     "Administrative indicator values (dossiers settled on time, online dossiers, civil servants\n"
     "with a degree...): one row per indicator, year and unit, validated against the registry\n"
     "surveys/indicators/registry.csv and kept as batches beside the survey batches; a repeated\n"
     "file or value is refused. See docs/review.md."},
};

const cli_manual collect_manual = {
    .purpose =
        "import satisfaction\\-survey batches into a sipas store",
    .synopsis =
        ".I command\n"
        ".RI [ options ]\n"
        ".RI [ FILE ...]",
    .description =
        ".B sipas-collect\n"
        "takes batches of a satisfaction survey (CSV, Excel .xlsx/.xls, OpenDocument .ods,\n"
        "SPSS .sav/.zsav, Stata .dta, SAS .sas7bdat/.xpt, known from their content) into one SQLite\n"
        "store, validated against an\n"
        "instrument (a folder of XLSForm-style CSV sheets, see docs/instruments.md). Each file is one\n"
        "batch in one transaction: an error, an interrupt or a killed process leaves the store as it was.",
    .commands = collect_manual_commands,
    .ncommands = sizeof collect_manual_commands / sizeof collect_manual_commands[0],
    .exit_status =
        "0 success; 1 the input was refused (rejected rows, malformed file or instrument, repeated batch,\n"
        "unknown batch or form); 2 usage error; 3 the store or a file could not be read or written;\n"
        "130 interrupted.",
    .environment =
        ".TP\n"
        ".B SIPAS_KEY_FILE\n"
        "The key of the personal columns when \\fB\\-\\-key\\-file\\fR is not given (default: ~/.config/sipas/personal.key; see docs/security.md).",
    .examples =
        "sipas-collect import \\-\\-form sipas2017 surveys/sample/sipas2017_2019\\-2024.csv\n"
        "sipas-collect check \\-\\-form sipas2017 \\-\\-wave 2025 batch_2025.csv\n"
        "sipas-collect export \\-\\-form sipas2017 \\-\\-labels vi \\-\\-out responses.csv\n"
        "sipas-collect sample \\-\\-form sipas2017 \\-\\-frame communes.csv \\-\\-seed 2025 \\-\\-clusters\\-from plan.csv \\-\\-size\\-column population \\-\\-wave 2025",
    .see_also =
        ".BR sipas-analyze (1),\n"
        "docs/usage.md, docs/instruments.md, docs/planning.md",
};
