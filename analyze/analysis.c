#include "analyze.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int analysis_parse_choice(const char *option, const char *value, const char *const *names,
                          size_t n, int *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(value, names[i]) == 0) {
            *out = (int)i;
            return CLI_EXIT_OK;
        }
    cli_error("%s '%s' is not one of the choices (see --help)", option, value);
    return CLI_EXIT_USAGE;
}

int analysis_parse_estimation(const cli_args *args, sipas_index_options *ix, const char **lang)
{
    sipas_error err = {0};
    const char *v;
    int choice, code;
    if ((v = cli_value(args, "ci")) && sipas_ci_method_parse(v, &ix->ci, &err) != SIPAS_OK) {
        cli_error("--ci: %s (logit, wilson, beta, mean or asin)", err.message);
        return CLI_EXIT_USAGE;
    }
    if ((v = cli_value(args, "level"))) {
        char *end = NULL;
        ix->level = strtod(v, &end);
        if (*end != '\0' || !(ix->level > 0 && ix->level < 1)) {
            cli_error("--level '%s' is not a number between 0 and 1 (e.g. 0.95)", v);
            return CLI_EXIT_USAGE;
        }
    }
    static const char *const lonely[] = {"fail", "remove", "certainty", "adjust", "average"};
    if ((v = cli_value(args, "lonely-psu"))) {
        if ((code = analysis_parse_choice("--lonely-psu", v, lonely, 5, &choice)))
            return code;
        ix->lonely_psu = (sipas_lonely_psu)choice;
    }
    static const char *const scorings[] = {"satisfied_share", "percent_to_max", "nps"};
    if ((v = cli_value(args, "scoring"))) {
        if ((code = analysis_parse_choice("--scoring", v, scorings, 3, &choice)))
            return code;
        ix->scoring_set = true;
        ix->scoring = (sipas_scoring)choice;
    }
    if ((v = cli_value(args, "min-cell"))) {
        int64_t min_cell;
        if (!cli_int("--min-cell", v, 1, 1000000, &min_cell))
            return CLI_EXIT_USAGE;
        ix->min_cell = (size_t)min_cell;
    }
    static const char *const langs[] = {"vi", "en"};
    *lang = "vi";
    if ((v = cli_value(args, "lang"))) {
        if ((code = analysis_parse_choice("--lang", v, langs, 2, &choice)))
            return code;
        *lang = langs[choice];
    }
    return CLI_EXIT_OK;
}

/* The weighting the options ask for (the margins are loaded by analysis_weighting_load). */
static sipas_weighting weighting_asked(const cli_args *args)
{
    const char *const *values;
    return cli_value(args, "base-weights") ? SIPAS_WEIGHTING_BASE
         : cli_value(args, "poststratify") ? SIPAS_WEIGHTING_POSTSTRATIFY
         : cli_values(args, "rake", &values) ? SIPAS_WEIGHTING_RAKE : SIPAS_WEIGHTING_DESIGN;
}

int analysis_weighting_load(analysis_weighting *w, const cli_args *args, sipas_store *store,
                            const char *form_id, sipas_index_options *ix)
{
    const char *const *values;
    size_t nrake = cli_values(args, "rake", &values);
    const char *base = cli_value(args, "base-weights"), *post = cli_value(args, "poststratify");
    if ((base != NULL) + (post != NULL) + (nrake > 0) > 1) {
        cli_error("choose one of --base-weights, --poststratify and --rake");
        return CLI_EXIT_USAGE;
    }
    if (nrake == 1) {
        cli_error("--rake needs two or more margins (for one, use --poststratify)");
        return CLI_EXIT_USAGE;
    }
    const char *one = base ? base : post;
    size_t n = one ? 1 : nrake;
    ix->weighting = weighting_asked(args);
    for (size_t m = 0; m < n; m++) {
        const char *name = one ? one : values[m];
        sipas_error err = {0};
        size_t count = 0;
        if (sipas_store_load_margin(store, form_id, name, &w->cells[m], &count, &err) != SIPAS_OK)
            return cli_fail(&err);
        w->margins[m] = (sipas_population_margin){.columns = name, .cells = w->cells[m],
                                                   .ncells = count};
        w->n = m + 1;
    }
    ix->margins = w->margins;
    ix->nmargins = w->n;
    return CLI_EXIT_OK;
}

int analysis_check_instrument(const cli_args *args, sipas_store *store,
                              const sipas_instrument *inst, char **versions, char **warning)
{
    sipas_error err = {0};
    char *problem = NULL;
    if (sipas_store_check_instrument(store, inst, &problem, versions, &err) != SIPAS_OK)
        return cli_fail(&err);
    if (problem == NULL)
        return CLI_EXIT_OK;
    if (!cli_flag(args, "allow-changed-instrument")) {
        cli_error("%s (--allow-changed-instrument analyses anyway, with a warning)", problem);
        free(problem);
        return CLI_EXIT_REFUSED;
    }
    cli_warning("%s", problem);
    *warning = problem;
    return CLI_EXIT_OK;
}

void analysis_weighting_release(analysis_weighting *w)
{
    for (size_t m = 0; m < w->n; m++)
        sipas_margin_cells_free(w->cells[m], w->margins[m].ncells);
    w->n = 0;
}

static int open_analysis(analysis *a, int argc, char **argv, const cli_option *options,
                         size_t noptions, const char *usage_line, const char *description,
                         bool *help, bool only_named_columns);

int analysis_parse_output(analysis *a)
{
    int code, choice;
    if ((code = analysis_parse_estimation(&a->args, &a->index, &a->lang)) != CLI_EXIT_OK)
        return code;
    static const char *const formats[] = {"table", "csv", "json"};
    const char *v = cli_value(&a->args, "format");
    if (v) {
        if ((code = analysis_parse_choice("--format", v, formats, 3, &choice)))
            return code;
        a->format = (output_format)choice;
    }
    return CLI_EXIT_OK;
}

int analysis_open(analysis *a, int argc, char **argv, const cli_option *options, size_t noptions,
                  const char *usage_line, const char *description, bool *help)
{
    return open_analysis(a, argc, argv, options, noptions, usage_line, description, help, false);
}

int analysis_open_index(analysis *a, int argc, char **argv, const cli_option *options,
                        size_t noptions, const char *usage_line, const char *description,
                        bool *help)
{
    return open_analysis(a, argc, argv, options, noptions, usage_line, description, help, true);
}

/* The columns named by --by, --where and the weighting margins (the index needs those beside
 * the design and the criteria), into names (room for NAMED_COLUMNS_MAX); returns how many. */
#define NAMED_COLUMNS_MAX (sizeof ((analysis *)0)->by / sizeof (char *) + \
                           sizeof ((analysis *)0)->filters / sizeof (sipas_filter) + CLI_MAX_VALUES + 1)
static size_t named_columns(const analysis *a, const char **names)
{
    size_t n = 0;
    for (size_t b = 0; b < a->nby; b++)
        names[n++] = a->by[b];
    for (size_t f = 0; f < a->nconditions; f++)
        names[n++] = a->filters[f].column;
    const char *const *values;
    size_t nrake = cli_values(&a->args, "rake", &values);
    for (size_t m = 0; m < nrake; m++)
        names[n++] = values[m];
    const char *post = cli_value(&a->args, "poststratify");
    if (post)
        names[n++] = post;
    return n;
}

static int open_analysis(analysis *a, int argc, char **argv, const cli_option *options,
                         size_t noptions, const char *usage_line, const char *description,
                         bool *help, bool only_named_columns)
{
    memset(a, 0, sizeof *a);
    a->out = stdout;
    a->lang = "vi";
    *help = false;
    if (!cli_parse(argc, argv, options, noptions, &a->args))
        return CLI_EXIT_USAGE;
    if (cli_flag(&a->args, "help")) {
        printf("usage: %s %s\n\n%s\n\n", cli_program, usage_line, description);
        cli_print_options(options, noptions);
        *help = true;
        return CLI_EXIT_OK;
    }
    const char *form = cli_value(&a->args, "form");
    if (form == NULL || a->args.npositional > 0) {
        cli_error("%s needs --form ID and takes no other arguments (see --help)", usage_line);
        return CLI_EXIT_USAGE;
    }
    sipas_error err = {0};
    sipas_index_options *ix = &a->index;
    int code;
    if ((code = analysis_parse_output(a)) != CLI_EXIT_OK)
        return code;
    /* --by a,b --by c: sets {a,b} and {c} (index), or the one list a,b,c (other commands) */
    const char *const *values;
    size_t n = cli_values(&a->args, "by", &values);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(values[i]) + 1;
    if ((a->by_storage = malloc(total + 1)) == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    char *p = a->by_storage;
    for (size_t i = 0; i < n; i++) {
        size_t set_start = a->nby;
        strcpy(p, values[i]);
        for (char *tok = strtok(p, ","); tok; tok = strtok(NULL, ",")) {
            while (*tok == ' ')
                tok++;
            if (*tok == '\0')
                continue;
            if (a->nby == sizeof a->by / sizeof a->by[0]) {
                cli_error("--by: too many columns");
                return CLI_EXIT_USAGE;
            }
            a->by[a->nby++] = tok;
        }
        if (a->nby > set_start)
            a->by_set_start[a->nby_sets++] = set_start;
        p += strlen(values[i]) + 1;
    }
    a->by_set_start[a->nby_sets] = a->nby;
    ix->by = a->by;
    ix->nby = a->nby;
    n = cli_values(&a->args, "where", &values);
    for (size_t i = 0; i < n; i++) {
        if (sipas_condition_parse(values[i], &a->conditions[a->nconditions], &err) != SIPAS_OK) {
            cli_error("--where: %s", err.message);
            return CLI_EXIT_USAGE;
        }
        a->filters[a->nconditions] = a->conditions[a->nconditions].filter;
        a->nconditions++;
    }
    const char *v = cli_value(&a->args, "wave");
    if (v) {
        if (!cli_int("--wave", v, 1990, 2100, &a->wave))
            return CLI_EXIT_USAGE;
        char cond[64];
        snprintf(cond, sizeof cond, "wave=%lld", (long long)a->wave);
        if (sipas_condition_parse(cond, &a->conditions[a->nconditions], &err) != SIPAS_OK)
            return cli_fail(&err);
        a->filters[a->nconditions] = a->conditions[a->nconditions].filter;
        a->nconditions++;
    }
    ix->where = a->filters;
    ix->nwhere = a->nconditions;
    if (sipas_instrument_find(cli_surveys_dir(&a->args), form, &a->inst, &err) != SIPAS_OK)
        return cli_fail(&err);
    if (cli_value(&a->args, "wave")) {
        /* the wave column may have another name in this instrument */
        for (size_t k = 0; k < a->inst->nitems; k++)
            if (a->inst->items[k].role == SIPAS_ROLE_WAVE)
                a->filters[a->nconditions - 1].column = a->inst->items[k].name;
    }
    const char *names[NAMED_COLUMNS_MAX];
    size_t nnames = only_named_columns ? named_columns(a, names) : 0;
    /* --wave and --where on the wave column go into the query: strata never span waves, so the
     * other waves' rows change no estimate of the index (nor its calibration, wave by wave) */
    sipas_status st;
    sipas_filter wave_filters[sizeof a->filters / sizeof a->filters[0]];
    size_t nwave_filters = 0;
    for (size_t f = 0; only_named_columns && f < a->nconditions; f++) {
        const sipas_item *it = sipas_instrument_item(a->inst, a->filters[f].column);
        if (it && it->role == SIPAS_ROLE_WAVE &&
            (a->filters[f].op == SIPAS_OP_EQ || a->filters[f].op == SIPAS_OP_IN))
            wave_filters[nwave_filters++] = a->filters[f];
    }
    /* the index reads the store in one pass itself where it can (sipas_index_compute_stream):
     * nothing to load here then */
    sipas_index_options asked = {.weighting = weighting_asked(&a->args)};
    a->stream_index = only_named_columns && !cli_flag(&a->args, "in-memory") &&
                      sipas_index_stream_applies(a->inst, &asked);
    if ((st = sipas_store_open(cli_db_path(&a->args), SIPAS_STORE_READ_ONLY, &a->store, &err)) ==
        SIPAS_OK && !a->stream_index)
        st = only_named_columns
           ? sipas_dataset_load_columns(a->store, a->inst, names, nnames, wave_filters,
                                        nwave_filters, &a->data, &err)
           : sipas_dataset_load(a->store, a->inst, &a->data, &err);
    if (st == SIPAS_OK && !a->stream_index && a->data->n == 0) {
        /* no row of that wave: load them all, so that the index says why in its own words */
        sipas_dataset_free(a->data);
        a->data = NULL;
        st = sipas_dataset_load_columns(a->store, a->inst, names, nnames, NULL, 0, &a->data, &err);
    }
    if (st != SIPAS_OK)
        return cli_fail(&err);
    if ((code = analysis_check_instrument(&a->args, a->store, a->inst, &a->instrument_versions,
                                          &a->instrument_warning)) != CLI_EXIT_OK)
        return code;
    if ((code = analysis_weighting_load(&a->weighting, &a->args, a->store, a->inst->form_id,
                                        &a->index)) != CLI_EXIT_OK)
        return code;
    if ((a->out = cli_output_open(cli_value(&a->args, "out"))) == NULL) {
        a->out = stdout;
        return CLI_EXIT_FAILURE;
    }
    /* A table is read by people: the warning goes above it, not only to stderr. */
    if (a->instrument_warning && a->format == OUTPUT_TABLE)
        fprintf(a->out, "warning: %s\n\n", a->instrument_warning);
    return CLI_EXIT_OK;
}

void analysis_json_open(const analysis *a)
{
    fprintf(a->out, "{\"form\":");
    output_json_string(a->out, a->inst->form_id);
    fprintf(a->out, ",\"instrument_version\":");
    output_json_string(a->out, a->inst->version);
    fprintf(a->out, ",\"stored_versions\":");
    output_json_string(a->out, a->instrument_versions);
    if (a->instrument_warning) { /* --allow-changed-instrument: the program reading it must see */
        fprintf(a->out, ",\"warning\":");
        output_json_string(a->out, a->instrument_warning);
    }
}

void analysis_close(analysis *a)
{
    sipas_dataset_free(a->data);
    analysis_weighting_release(&a->weighting);
    sipas_store_close(a->store);
    sipas_instrument_free(a->inst);
    for (size_t i = 0; i < a->nconditions; i++)
        sipas_condition_release(&a->conditions[i]);
    free(a->by_storage);
    free(a->instrument_versions);
    free(a->instrument_warning);
    cli_args_free(&a->args);
}

const char *analysis_label(const analysis *a, const char *label_vi, const char *label_en,
                           const char *fallback)
{
    const char *l = strcmp(a->lang, "vi") == 0 ? label_vi : label_en;
    return l && *l ? l : fallback;
}

const char *analysis_domain_label(const analysis *a, const char *column, const char *code)
{
    return sipas_index_domain_label(a->inst, column, code, a->lang);
}

const char *analysis_percent(const analysis *a, double p, char *buf, size_t size)
{
    if (isnan(p)) {
        snprintf(buf, size, "-");
        return buf;
    }
    snprintf(buf, size, "%.2f%%", 100.0 * p);
    sipas_number_set_decimal(buf, strcmp(a->lang, "vi") == 0 ? ',' : '.');
    return buf;
}
