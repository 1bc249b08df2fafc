/* sipas-analyze plot and report: options parsed, the store opened and the review computed here;
 * the charts and the document come from the library (sipas/review_report.h) and are written as
 * HTML, CSV files, a workbook, a Word document and a PDF (sipas/report.h, sipas/xlsx.h,
 * sipas/report_docx.h, sipas/report_pdf.h). Guide: docs/report.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "sipas/report_docx.h"
#include "sipas/report_pdf.h"
#include "sipas/review.h"
#include "sipas/review_report.h"
#include "sipas/scorecard.h"
#include "sipas/targets.h"
#include "sipas/xlsx.h"

/* Options both commands take. */
#define REVIEW_OPTIONS \
    {"form", "ID", "the instrument (a folder under the surveys directory)", false}, \
    {"measure", "M", "overall (default), an element or a criterion", false}, \
    {"unit", "COLUMN", "units to rank (default: the stratum column, e.g. district)", false}, \
    {"wave", "YEAR", "the reviewed wave (default: the latest)", false}, \
    {"ci", "METHOD", "interval: logit (default), wilson, beta, mean, asin", false}, \
    {"level", "L", "confidence level (default 0.95)", false}, \
    {"lonely-psu", "RULE", "stratum with one PSU: fail (default), remove, certainty, adjust, average", false}, \
    {"lang", "LANG", "labels and numbers: vi (default) or en", false}, \
    WEIGHTING_OPTIONS, \
    INSTRUMENT_CHECK_OPTION, \
    CLI_OPTION_DB, \
    CLI_OPTION_SURVEYS, \
    CLI_OPTION_HELP

static const cli_option plot_options[] = {
    {"kind", "KIND", "trend, ranking, profile or heatmap", false},
    {"by", "COLUMN", "trend only: one line per value of COLUMN (e.g. patient_type), or one panel "
                     "each when there are more than 6 (district)", false},
    {"out", "FILE", "the chart: FILE.png, FILE.svg or FILE.pdf (required)", false},
    {"keep-script", "FILE", "also write the gnuplot script to FILE, to edit and redraw", false},
    {"width", "PX", "width in pixels (default: the kind's, 960)", false},
    {"height", "PX", "height in pixels (default: the kind's)", false},
    REVIEW_OPTIONS,
};
const cli_options analyze_plot_options = CLI_OPTION_TABLE(plot_options);

static const cli_option report_options[] = {
    {"out", "FILE", "the HTML report (at least one of --out, --csv, --xlsx, --docx, --pdf)", false},
    {"csv", "DIR", "also write every table as DIR/NAME.csv", false},
    {"xlsx", "FILE", "also write every table into one workbook FILE.xlsx", false},
    {"docx", "FILE", "also write the report as a Word document FILE.docx", false},
    {"pdf", "FILE", "also print the report to FILE.pdf (A4) with headless Chromium", false},
    {"chromium", "PATH", "the browser --pdf runs (default: chromium found on PATH)", false},
    {"comments-max", "N", "list the open-ended answers when there are at most N (default 200); "
                          "the counts are always shown", false},
    REVIEW_OPTIONS,
};
const cli_options analyze_report_options = CLI_OPTION_TABLE(report_options);

/* What both commands have open. */
typedef struct session {
    cli_args args;
    bool vi;
    sipas_store *store;
    sipas_instrument *inst;
    sipas_dataset *data;
    sipas_targets *targets;
    sipas_review *review;
    sipas_index_options index;
    analysis_weighting weighting;
    char *instrument_versions; /* analysis_check_instrument */
    char *instrument_warning;
} session;

#define T(s, vi_text, en_text) ((s)->vi ? (vi_text) : (en_text))

static void session_close(session *s)
{
    sipas_review_free(s->review);
    sipas_targets_free(s->targets);
    sipas_dataset_free(s->data);
    analysis_weighting_release(&s->weighting);
    sipas_store_close(s->store);
    sipas_instrument_free(s->inst);
    free(s->instrument_versions);
    free(s->instrument_warning);
    cli_args_free(&s->args);
}

/* Parses the options, loads instrument, data and targets and computes the review. outputs: the
 * output options (NULL-terminated), of which the command needs at least one. Returns
 * CLI_EXIT_OK or the exit code after printing; *help when --help was printed. */
static int session_open(session *s, int argc, char **argv, const cli_option *options,
                        size_t noptions, const char *const *outputs, const char *usage_line,
                        const char *description, bool *help)
{
    memset(s, 0, sizeof *s);
    s->vi = true;
    *help = false;
    if (!cli_parse(argc, argv, options, noptions, &s->args))
        return CLI_EXIT_USAGE;
    if (cli_flag(&s->args, "help")) {
        printf("usage: %s %s\n\n%s\n\n", cli_program, usage_line, description);
        cli_print_options(options, noptions);
        *help = true;
        return CLI_EXIT_OK;
    }
    const char *form = cli_value(&s->args, "form");
    bool any_output = false;
    char names[128] = "";
    for (size_t i = 0; outputs[i]; i++) {
        any_output = any_output || cli_value(&s->args, outputs[i]) != NULL;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s--%s", i ? (outputs[i + 1] ? ", " : " or ")
                                                                : "", outputs[i]);
    }
    if (outputs[0] && !outputs[1])
        snprintf(names, sizeof names, "--%s FILE", outputs[0]);
    if (form == NULL || !any_output || s->args.npositional > 0) {
        cli_error("%s needs --form ID and %s and takes no other arguments (see --help)",
                  usage_line, names);
        return CLI_EXIT_USAGE;
    }
    sipas_error err = {0};
    const char *v, *lang;
    int code;
    if ((code = analysis_parse_estimation(&s->args, &s->index, &lang)) != CLI_EXIT_OK)
        return code;
    s->vi = strcmp(lang, "vi") == 0;
    int64_t wave = 0;
    if ((v = cli_value(&s->args, "wave")) && !cli_int("--wave", v, 1990, 2100, &wave))
        return CLI_EXIT_USAGE;
    const char *surveys = cli_surveys_dir(&s->args);
    if (sipas_instrument_find(surveys, form, &s->inst, &err) != SIPAS_OK ||
        sipas_store_open(cli_db_path(&s->args), SIPAS_STORE_READ_ONLY, &s->store, &err) != SIPAS_OK ||
        sipas_dataset_load(s->store, s->inst, &s->data, &err) != SIPAS_OK)
        return cli_fail(&err);
    if ((code = analysis_check_instrument(&s->args, s->store, s->inst, &s->instrument_versions,
                                          &s->instrument_warning)) != CLI_EXIT_OK)
        return code;
    if ((code = analysis_weighting_load(&s->weighting, &s->args, s->store, s->inst->form_id,
                                        &s->index)) != CLI_EXIT_OK)
        return code;
    /* Targets are optional: without surveys/targets.csv the review has no verdicts. */
    if (sipas_targets_load_dir(surveys, &s->targets, &err) != SIPAS_OK) {
        if (err.status != SIPAS_ERR_NOT_FOUND)
            return cli_fail(&err);
        cli_warning("%s; the review has no target verdicts", err.message);
        s->targets = NULL;
    }
    sipas_review_options ro = {0};
    ro.measure = cli_value(&s->args, "measure");
    /* plot --by COLUMN: the review's units are the domains whose trends are drawn */
    ro.unit_column = cli_value(&s->args, "by") ? cli_value(&s->args, "by")
                                                : cli_value(&s->args, "unit");
    ro.wave = (double)wave;
    ro.index = s->index;
    ro.rank_adjust = SIPAS_ADJUST_HOLM;
    /* Units up or down since last year are counted with per-unit tests, as annual reports do;
     * the ranking against the province keeps Holm's adjustment. */
    ro.change_adjust = SIPAS_ADJUST_NONE;
    ro.targets = s->targets;
    if (sipas_review_compute(s->data, &ro, &s->review, &err) != SIPAS_OK)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

/* What the library's review document and charts are built from. */
static sipas_review_report_input review_input(const session *s)
{
    sipas_review_report_input in = {0};
    in.review = s->review;
    in.data = s->data;
    in.inst = s->inst;
    in.index = s->index;
    in.lang = s->vi ? SIPAS_REPORT_VI : SIPAS_REPORT_EN;
    in.instrument_versions = s->instrument_versions;
    in.instrument_warning = s->instrument_warning;
    in.targets = s->targets;
    in.unweighted_headline = NAN;
    return in;
}

int analyze_plot(int argc, char **argv)
{
    session s;
    bool help;
    static const char *const outputs[] = {"out", NULL};
    int code = session_open(&s, argc, argv, plot_options, sizeof plot_options / sizeof plot_options[0],
                            outputs,
                            "plot --form ID --kind trend|ranking|profile|heatmap [--by COLUMN] "
                            "--out FILE [options]",
                            "Draws one chart of the annual review through gnuplot: the province "
                            "trend with its fitted\nline, projection band and targets (with --by, "
                            "the trend of each value of a column:\none line each, or small "
                            "multiples beyond 6); the units "
                            "ranked against the target; the elements this\nwave against the last; "
                            "or units by elements as a heat map. The format follows the\nextension "
                            "of --out (.png, .svg, .pdf). Without gnuplot the exit code is 1. See "
                            "docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        session_close(&s);
        return code;
    }
    static const char *const kinds[] = {"trend", "ranking", "profile", "heatmap"};
    const char *v = cli_value(&s.args, "kind");
    int kind = 0;
    if (v == NULL) {
        cli_error("plot needs --kind trend, ranking, profile or heatmap");
        session_close(&s);
        return CLI_EXIT_USAGE;
    }
    if ((code = analysis_parse_choice("--kind", v, kinds, 4, &kind))) {
        session_close(&s);
        return code;
    }
    sipas_review_chart chart = (sipas_review_chart)kind;
    if (cli_value(&s.args, "by") != NULL) {
        if (chart != SIPAS_REVIEW_CHART_TREND || cli_value(&s.args, "unit") != NULL) {
            cli_error("--by COLUMN draws a trend per domain: it goes with --kind trend and "
                      "without --unit");
            session_close(&s);
            return CLI_EXIT_USAGE;
        }
        chart = SIPAS_REVIEW_CHART_TREND_BY_UNIT;
    }
    sipas_plot_options opt = {0};
    opt.output_path = cli_value(&s.args, "out");
    opt.keep_script = cli_value(&s.args, "keep-script");
    opt.decimal_comma = s.vi;
    int64_t px;
    if ((v = cli_value(&s.args, "width"))) {
        if (!cli_int("--width", v, 100, 10000, &px)) {
            session_close(&s);
            return CLI_EXIT_USAGE;
        }
        opt.width = (int)px;
    }
    if ((v = cli_value(&s.args, "height"))) {
        if (!cli_int("--height", v, 100, 10000, &px)) {
            session_close(&s);
            return CLI_EXIT_USAGE;
        }
        opt.height = (int)px;
    }
    if (sipas_plot_format_from_path(opt.output_path) == SIPAS_PLOT_FORMAT_AUTO) {
        cli_error("--out '%s': the chart file must end in .png, .svg or .pdf", opt.output_path);
        session_close(&s);
        return CLI_EXIT_USAGE;
    }
    sipas_error err = {0};
    sipas_review_report_input in = review_input(&s);
    if (sipas_review_chart_draw(&in, chart, &opt, &err) != SIPAS_OK)
        code = cli_fail(&err);
    session_close(&s);
    return code;
}

int analyze_report(int argc, char **argv)
{
    session s;
    bool help;
    static const char *const outputs[] = {"out", "csv", "xlsx", "docx", "pdf", NULL};
    int code = session_open(&s, argc, argv, report_options,
                            sizeof report_options / sizeof report_options[0], outputs,
                            "report --form ID [--wave YEAR] [--out FILE.html] [--csv DIR] "
                            "[--xlsx FILE] [--docx FILE] [--pdf FILE] [options]",
                            "Writes the annual review as one self-contained HTML page (charts "
                            "inline as SVG, no\nnetwork): the headline index, the respondents' "
                            "profile, target verdicts, change\nsince last year, trend (the "
                            "province's and each unit's), ranking of units with\nthe units x "
                            "waves table, elements, every criterion with its flags, the\n"
                            "distribution of answers, the open-ended comments (masked), and a "
                            "methods appendix.\nThe same tables as CSV files (--csv) and as one "
                            "workbook (--xlsx); the whole report\nas a Word document (--docx) and "
                            "as an A4 PDF (--pdf, printed by\nheadless Chromium: exit code 1 when "
                            "it is not installed). Needs gnuplot.\n"
                            "See docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        session_close(&s);
        return code;
    }
    sipas_error err = {0};
    sipas_index_result *ix = NULL;
    sipas_report *rep = NULL;
    sipas_scorecard *card = NULL;
    sipas_review_report_input in = review_input(&s);
    const char *max = cli_value(&s.args, "comments-max");
    int64_t comments_max = SIPAS_REVIEW_COMMENTS_MAX_DEFAULT;
    if (max != NULL && !cli_int("--comments-max", max, 0, 1000000, &comments_max)) {
        session_close(&s);
        return CLI_EXIT_USAGE;
    }
    in.comments_max = (size_t)comments_max;
    sipas_status st = sipas_review_report_wave_index(&in, &ix, &err);
    /* Every Resolution 60 target as of the reviewed wave; a surveys folder without an
     * indicator registry has none, and the report no such section. */
    if (st == SIPAS_OK) {
        st = sipas_scorecard_compute(cli_surveys_dir(&s.args), s.store, s.data, &s.index,
                                     s.review->wave, &card, &err);
        if (st == SIPAS_ERR_NOT_FOUND)
            st = SIPAS_OK;
        in.scorecard = card;
    }
    /* the headline under the stored weights, for the summary to say what the weighting moved */
    if (st == SIPAS_OK && in.index.weighting != SIPAS_WEIGHTING_DESIGN) {
        sipas_review_report_input design = in;
        sipas_index_result *design_ix = NULL;
        design.index.weighting = SIPAS_WEIGHTING_DESIGN;
        design.index.margins = NULL;
        design.index.nmargins = 0;
        st = sipas_review_report_wave_index(&design, &design_ix, &err);
        for (size_t i = 0; st == SIPAS_OK && i < design_ix->nrows; i++)
            if (strcmp(design_ix->rows[i].name, s.review->measure) == 0 &&
                design_ix->rows[i].estimable)
                in.unweighted_headline = design_ix->rows[i].estimate;
        sipas_index_result_free(design_ix);
    }
    if (st == SIPAS_OK)
        st = sipas_review_report_build(&in, ix, &rep, &err);
    const char *v;
    if (st == SIPAS_OK && (v = cli_value(&s.args, "out")))
        st = sipas_report_write_html(rep, v, &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "csv")))
        st = sipas_report_write_csv_dir(rep, v, &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "xlsx")))
        st = sipas_xlsx_write_report(rep, v, &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "docx")))
        st = sipas_report_write_docx(rep, v, &err);
    if (st == SIPAS_OK && (v = cli_value(&s.args, "pdf"))) {
        sipas_report_pdf_options pdf = {0};
        pdf.browser = cli_value(&s.args, "chromium");
        st = sipas_report_write_pdf(rep, v, &pdf, &err);
    }
    if (st != SIPAS_OK)
        code = cli_fail(&err);
    sipas_report_free(rep);
    sipas_scorecard_free(card);
    sipas_index_result_free(ix);
    session_close(&s);
    return code;
}
