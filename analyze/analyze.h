/* analyze/analyze.h - the commands of sipas-analyze and what they share. */
#ifndef SIPAS_ANALYZE_H
#define SIPAS_ANALYZE_H

#include <stdio.h>

#include "cli.h"
#include "sipas/dataset.h"
#include "sipas/index.h"
#include "sipas/instrument.h"
#include "sipas/number_format.h"
#include "sipas/store.h"

int analyze_index(int argc, char **argv);
int analyze_change(int argc, char **argv);
int analyze_trend(int argc, char **argv);
int analyze_rank(int argc, char **argv);
int analyze_targets(int argc, char **argv);
int analyze_plan(int argc, char **argv);   /* plan_cmd.c */
int analyze_plot(int argc, char **argv);   /* report_cmds.c */
int analyze_report(int argc, char **argv); /* report_cmds.c */
int analyze_scorecard(int argc, char **argv); /* scorecard_cmd.c */
int analyze_answers(int argc, char **argv); /* answers_cmd.c */
int analyze_profile(int argc, char **argv); /* profile_cmd.c */
int analyze_comments(int argc, char **argv); /* comments_cmd.c */

/* Each command's option table, for its row in main.c's command list (and the man page). */
extern const cli_options analyze_index_options, analyze_change_options, analyze_trend_options,
    analyze_rank_options, analyze_targets_options, analyze_scorecard_options, analyze_plan_options, analyze_plot_options,
    analyze_report_options, analyze_answers_options, analyze_profile_options,
    analyze_comments_options;
extern const cli_manual analyze_manual; /* manual.c: the man page's prose */

typedef enum { OUTPUT_TABLE = 0, OUTPUT_CSV, OUTPUT_JSON } output_format;

/* Options every analysis command takes; ANALYSIS_OPTIONS is spliced into each command's table. */
#define ANALYSIS_OPTIONS \
    {"form", "ID", "the instrument (a folder under the surveys directory)", false}, \
    {"by", "COLS", "domains: comma-separated columns (district, wave, ...); index: one table per --by", true}, \
    {"where", "COND", "keep a domain: COL=V, COL!=V, COL>=V, 'COL in A,B' (repeatable, all hold)", true}, \
    {"wave", "YEAR", "shorthand for --where wave=YEAR", false}, \
    {"ci", "METHOD", "interval: logit (default), wilson, beta, mean, asin", false}, \
    {"level", "L", "confidence level (default 0.95)", false}, \
    {"lonely-psu", "RULE", "stratum with one PSU: fail (default), remove, certainty, adjust, average", false}, \
    {"scoring", "RULE", "score every criterion: satisfied_share, percent_to_max or nps", false}, \
    {"min-cell", "N", "withhold values over fewer than N respondents (default 5)", false}, \
    WEIGHTING_OPTIONS, \
    {"lang", "LANG", "labels: vi (default) or en", false}, \
    INSTRUMENT_CHECK_OPTION, \
    {"format", "FMT", "table (default), csv or json", false}, \
    CLI_OPTION_OUT, \
    CLI_OPTION_DB, \
    CLI_OPTION_SURVEYS, \
    CLI_OPTION_HELP

/* Without it, analysis refuses sheets that would score a stored batch differently from the
 * instrument version it was imported under (sipas_store_check_instrument). */
#define INSTRUMENT_CHECK_OPTION \
    {"allow-changed-instrument", NULL, "analyse even when the instrument's sheets differ from the version a batch was imported under (with a warning)", false}

/* The population margins of --base-weights, --poststratify or --rake, loaded from the store. */
typedef struct analysis_weighting {
    sipas_population_margin margins[CLI_MAX_VALUES];
    sipas_margin_cell *cells[CLI_MAX_VALUES];
    size_t n;
} analysis_weighting;

/* The weighting options, as spliced into a command's option table. */
#define WEIGHTING_OPTIONS \
    {"base-weights", "MARGIN", "weights N/n from the stored population counts of MARGIN (sipas-collect frame)", false}, \
    {"poststratify", "MARGIN", "post-stratify the weights to a stored margin (e.g. district)", false}, \
    {"rake", "MARGIN", "rake the weights to stored margins (repeat: --rake sex --rake age_group)", true}

/* Everything an analysis command has open. */
typedef struct analysis {
    cli_args args;
    sipas_store *store;
    sipas_instrument *inst;
    sipas_dataset *data;         /* NULL when stream_index */
    bool stream_index;           /* index: one pass over the store, no dataset loaded */
    sipas_condition conditions[CLI_MAX_VALUES + 1];
    size_t nconditions;
    sipas_filter filters[CLI_MAX_VALUES + 1];
    char *by_storage;
    const char *by[64];      /* every --by column, in order: index.by */
    size_t nby;
    /* Each --by value is one set of domain columns: by[by_set_start[s]] .. by[by_set_start[s + 1]
     * - 1]. The index command computes one table per set from one load; the other commands take
     * the columns of every set as one list. */
    size_t by_set_start[CLI_MAX_VALUES + 1];
    size_t nby_sets;
    sipas_index_options index;
    int64_t wave;            /* --wave YEAR (checked, and the last where condition); 0: none */
    analysis_weighting weighting;
    const char *lang;
    output_format format;
    FILE *out;
    char *instrument_versions; /* "version '1' (batches 1-3), ..." */
    char *instrument_warning;  /* with --allow-changed-instrument, what differs; else NULL */
} analysis;

/* Parses options, opens the store, loads the instrument and the data. Returns CLI_EXIT_OK, or
 * the exit code after printing the problem; *help is set when --help was printed. */
int analysis_open(analysis *a, int argc, char **argv, const cli_option *options, size_t noptions,
                  const char *usage_line, const char *description, bool *help);
/* The same for the index: loads only the design, the criteria and the columns named by --by,
 * --where and the weighting options. */
int analysis_open_index(analysis *a, int argc, char **argv, const cli_option *options,
                        size_t noptions, const char *usage_line, const char *description,
                        bool *help);
void analysis_close(analysis *a);
/* Opens a command's JSON object on a->out with what every JSON output carries: the form, its
 * instrument version, the stored versions and, under --allow-changed-instrument, the warning
 * ({"form":...,"instrument_version":...,"stored_versions":...[,"warning":...]); the caller goes
 * on with ",\"key\":...". */
void analysis_json_open(const analysis *a);

/* One of names; prints a usage error and returns CLI_EXIT_USAGE otherwise. */
int analysis_parse_choice(const char *option, const char *value, const char *const *names,
                          size_t n, int *out);
/* --ci, --level, --lonely-psu, --scoring, --min-cell and --lang (those of args' table). */
int analysis_parse_estimation(const cli_args *args, sipas_index_options *ix, const char **lang);
/* analysis_parse_estimation into a->index and a->lang, then --format into a->format. */
int analysis_parse_output(analysis *a);
/* --base-weights / --poststratify / --rake: loads the margins and sets ix's weighting. */
int analysis_weighting_load(analysis_weighting *w, const cli_args *args, sipas_store *store,
                            const char *form_id, sipas_index_options *ix);
void analysis_weighting_release(analysis_weighting *w);
/* sipas_store_check_instrument: a difference is an error (exit 1) unless args has
 * --allow-changed-instrument; then it is printed as a warning and kept in *warning. */
int analysis_check_instrument(const cli_args *args, sipas_store *store,
                              const sipas_instrument *inst, char **versions, char **warning);

/* label_vi or label_en by the analysis language, else fallback (a code, or ""). */
const char *analysis_label(const analysis *a, const char *label_vi, const char *label_en,
                           const char *fallback);
/* Label of a by-column code in the analysis language. */
const char *analysis_domain_label(const analysis *a, const char *column, const char *code);
/* "87,07%" (vi) or "87.07%" (en) of a proportion; "-" for NaN. buf >= 32 bytes. */
const char *analysis_percent(const analysis *a, double p, char *buf, size_t size);

#endif
