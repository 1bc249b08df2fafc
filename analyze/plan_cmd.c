/* sipas-analyze plan: the sample of the next wave from this wave's index, design effects and
 * clusters (formulas in include/sipas/plan.h and docs/planning.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"
#include "sipas/plan.h"

static const cli_option plan_options[] = {
    {"margin", "E", "target CI half-width per unit, as a proportion (default 0.03 = 3 points)", false},
    {"measure", "NAME", "the index to plan for: overall (default), an element or a criterion", false},
    {"budget", "N", "respondents to allocate over the units", false},
    {"allocation", "RULE", "with --budget: proportional (default), equal, neyman or min-per-unit", false},
    {"detect", "D", "a change to detect between two waves, as a proportion (e.g. 0.03)", false},
    {"power", "P", "with --detect: the power (default 0.8)", false},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_plan_options = CLI_OPTION_TABLE(plan_options);

typedef struct plan_table {
    const char *unit_column;     /* NULL without --by */
    size_t nunits;
    const char **codes;          /* borrowed from the index result */
    sipas_plan_observed *observed;
    sipas_plan_row *rows;
    sipas_plan_observed total;
    sipas_plan_row total_row;
    sipas_plan_pooled pooled;
    sipas_plan_options options;
    const char *measure;
    long wave;
} plan_table;

/* The measure's row in domain d of r, or NULL. */
static const sipas_index_row *measure_row(const sipas_index_result *r, size_t d, const char *measure)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].domain == d && strcmp(r->rows[i].name, measure) == 0)
            return &r->rows[i];
    return NULL;
}

static void observe_row(const sipas_index_row *row, sipas_plan_observed *o)
{
    o->p = row ? row->estimate : NAN;
    o->variance = row ? row->variance : NAN;
    o->df = row ? row->df : NAN;
    o->n = row ? (double)row->n : 0;
}

static bool parse_proportion(const char *option, const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v > 0 && v < 1)) {
        cli_error("%s '%s' is not a proportion between 0 and 1 (e.g. 0.05 for 5 points)", option, text);
        return false;
    }
    *out = v;
    return true;
}

static int parse_plan_options(const analysis *a, plan_table *t)
{
    const cli_args *args = &a->args;
    const char *v;
    t->options = (sipas_plan_options){.margin = 0.03, .level = a->index.level ? a->index.level : 0.95,
                                      .power = 0.8};
    if ((v = cli_value(args, "margin")) && !parse_proportion("--margin", v, &t->options.margin))
        return CLI_EXIT_USAGE;
    if ((v = cli_value(args, "detect")) && !parse_proportion("--detect", v, &t->options.detect))
        return CLI_EXIT_USAGE;
    if ((v = cli_value(args, "power")) && !parse_proportion("--power", v, &t->options.power))
        return CLI_EXIT_USAGE;
    if ((v = cli_value(args, "budget"))) {
        int64_t budget;
        if (!cli_int("--budget", v, 1, 100000000, &budget))
            return CLI_EXIT_USAGE;
        t->options.budget = (size_t)budget;
    }
    if ((v = cli_value(args, "allocation")) && !sipas_allocation_parse(v, &t->options.allocation)) {
        cli_error("--allocation '%s' is not one of proportional, equal, neyman, min-per-unit", v);
        return CLI_EXIT_USAGE;
    }
    if (cli_value(args, "allocation") && t->options.budget == 0) {
        cli_error("--allocation needs --budget N (the respondents to allocate)");
        return CLI_EXIT_USAGE;
    }
    if (cli_value(args, "power") && t->options.detect == 0) {
        cli_error("--power needs --detect D (the change to detect)");
        return CLI_EXIT_USAGE;
    }
    if ((v = cli_value(args, "wave")) == NULL || a->nconditions > 1 || a->nby > 1) {
        cli_error("plan needs --wave YEAR (the wave to plan from) and takes at most one --by "
                  "column (the units), no --where");
        return CLI_EXIT_USAGE;
    }
    t->wave = strtol(v, NULL, 10);
    t->measure = cli_value(args, "measure") ? cli_value(args, "measure") : "overall";
    t->unit_column = a->nby ? a->by[0] : NULL;
    return CLI_EXIT_OK;
}

/* Fills t from the index by unit (r) and over the whole wave (whole). */
static int plan_compute(analysis *a, plan_table *t, const sipas_index_result *r,
                        const sipas_index_result *whole)
{
    const sipas_index_row *total = whole->ndomains ? measure_row(whole, 0, t->measure) : NULL;
    if (total == NULL) {
        cli_error("no measure '%s' in form '%s' in wave %ld (overall, an element or a criterion)",
                  t->measure, a->inst->form_id, t->wave);
        return CLI_EXIT_REFUSED;
    }
    t->nunits = t->unit_column ? r->ndomains : 0;
    t->codes = calloc(t->nunits + 1, sizeof *t->codes);
    t->observed = calloc(t->nunits + 1, sizeof *t->observed);
    t->rows = calloc(t->nunits + 1, sizeof *t->rows);
    sipas_error err = {0};
    int code = CLI_EXIT_OK;
    if (!t->codes || !t->observed || !t->rows) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    for (size_t h = 0; h < t->nunits; h++) {
        t->codes[h] = r->domains[h].values[0];
        observe_row(measure_row(r, h, t->measure), &t->observed[h]);
    }
    observe_row(total, &t->total);
    if (sipas_plan_observe(a->data, t->wave, t->unit_column, t->nunits, t->codes, t->observed,
                           &t->total, &err) != SIPAS_OK ||
        sipas_plan_units(t->nunits, t->observed, &t->total, &t->options, t->rows, &t->total_row,
                         &t->pooled, &err) != SIPAS_OK)
        code = cli_fail(&err);
    return code;
}

static const char *deff_source_name(sipas_plan_deff_source source)
{
    return source == SIPAS_PLAN_DEFF_OWN ? "own" : "pooled";
}

/* A number with `decimals` digits, decimal comma in Vietnamese, "-" for NaN. */
static const char *plan_number(const analysis *a, double v, int decimals, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "-");
        return buf;
    }
    snprintf(buf, size, "%.*f", decimals, v);
    if (strcmp(a->lang, "vi") == 0)
        sipas_number_set_decimal(buf, ',');
    return buf;
}

static void write_table_row(analysis *a, const plan_table *t, const char *label,
                            const sipas_plan_observed *o, const sipas_plan_row *row)
{
    FILE *out = a->out;
    char b[14][32];
    output_padded(out, label, 18);
    output_right(out, plan_number(a, o->n, 0, b[0], 32), 6);
    output_right(out, plan_number(a, o->clusters, 0, b[1], 32), 5);
    output_right(out, plan_number(a, row->cluster_size, 1, b[2], 32), 6);
    output_right(out, analysis_percent(a, o->p, b[3], 32), 8);
    output_right(out, plan_number(a, row->deff_observed, 2, b[4], 32), 6);
    output_right(out, plan_number(a, row->deff_used, 2, b[5], 32), 6);
    output_padded(out, deff_source_name(row->deff_source), 6);
    output_right(out, plan_number(a, row->rho, 3, b[6], 32), 6);
    output_right(out, plan_number(a, row->n_margin, 0, b[7], 32), 6);
    output_right(out, plan_number(a, row->clusters_t, 0, b[8], 32), 6);
    output_right(out, plan_number(a, row->n_t, 0, b[9], 32), 6);
    if (t->options.budget) {
        output_right(out, plan_number(a, row->n_allocated, 0, b[10], 32), 7);
        output_right(out, plan_number(a, row->clusters_allocated, 0, b[11], 32), 5);
        output_right(out, plan_number(a, 100 * row->margin_allocated, 2, b[12], 32), 7);
    }
    if (t->options.detect > 0)
        output_right(out, plan_number(a, row->n_detect, 0, b[13], 32), 7);
    fputc('\n', out);
}

static void write_table(analysis *a, const plan_table *t)
{
    FILE *out = a->out;
    bool vi = strcmp(a->lang, "vi") == 0;
    const sipas_plan_options *o = &t->options;
    char margin[32], level[32], rho[32];
    plan_number(a, 100 * o->margin, 2, margin, sizeof margin);
    plan_number(a, 100 * o->level, 0, level, sizeof level);
    plan_number(a, t->pooled.rho, 4, rho, sizeof rho);
    fprintf(out, vi ? "%s: cỡ mẫu cho đợt sau, từ đợt %ld (chỉ số %s)\n"
                    : "%s: sample for the next wave, from wave %ld (measure %s)\n",
            a->inst->form_id, t->wave, t->measure);
    fprintf(out, vi ? "Sai số biên ±%s điểm ở độ tin cậy %s%%; rho gộp %s từ %zu đơn vị "
                      "(deff riêng khi df >= %d)\n"
                    : "Margin ±%s points at %s%% confidence; pooled rho %s from %zu units "
                      "(own deff where df >= %d)\n",
            margin, level, rho, t->pooled.units, SIPAS_PLAN_MIN_OWN_DF);
    if (o->budget)
        fprintf(out, vi ? "Ngân sách %zu phiếu, phân bổ %s\n" : "Budget %zu respondents, %s allocation\n",
                o->budget, sipas_allocation_name(o->allocation));
    if (o->detect > 0) {
        char d[32], pw[32];
        fprintf(out, vi ? "Phát hiện thay đổi %s điểm giữa hai đợt độc lập, lực kiểm định %s%%\n"
                        : "Detect a change of %s points between two independent waves, power %s%%\n",
                plan_number(a, 100 * o->detect, 2, d, sizeof d), plan_number(a, 100 * o->power, 0, pw, sizeof pw));
    }
    fputc('\n', out);
    output_padded(out, t->unit_column ? t->unit_column : "", 18);
    output_right(out, "n", 6);
    output_right(out, vi ? "cụm" : "PSUs", 5);
    output_right(out, "m", 6);
    output_right(out, vi ? "chỉ số" : "index", 8);
    output_right(out, "deff", 6);
    output_right(out, vi ? "dùng" : "used", 6);
    output_padded(out, vi ? "nguồn" : "from", 6);
    output_right(out, "rho", 6);
    output_right(out, "n(z)", 6);
    output_right(out, vi ? "cụm(t)" : "PSU(t)", 6);
    output_right(out, "n(t)", 6);
    if (o->budget) {
        output_right(out, vi ? "n p.bổ" : "n alloc", 7);
        output_right(out, vi ? "cụm" : "PSUs", 5);
        output_right(out, vi ? "±điểm" : "±pts", 7);
    }
    if (o->detect > 0)
        output_right(out, vi ? "n/đợt" : "n/wave", 7);
    fputc('\n', out);
    for (size_t h = 0; h < t->nunits; h++)
        write_table_row(a, t, analysis_domain_label(a, t->unit_column, t->codes[h]), &t->observed[h],
                        &t->rows[h]);
    write_table_row(a, t, vi ? "Toàn bộ" : "Whole", &t->total, &t->total_row);
    fprintf(out, vi ? "\nn, cụm, m: đợt %ld (phiếu, đơn vị mẫu cấp 1, phiếu mỗi cụm). n(z): cỡ mẫu "
                      "để nửa khoảng tin cậy <= ±%s điểm (Cochran, phân phối chuẩn); cụm(t), n(t): "
                      "số cụm và số phiếu với m như đợt này khi khoảng tin cậy dùng t với (số cụm - số "
                      "tầng) bậc tự do. Xem docs/planning.md.\n"
                    : "\nn, PSUs, m: wave %ld (respondents, primary sampling units, respondents per "
                      "PSU). n(z): sample for a half-width <= ±%s points (Cochran, normal); PSU(t), "
                      "n(t): clusters and respondents at this wave's m when the interval takes t at "
                      "clusters - strata degrees of freedom. See docs/planning.md.\n",
            t->wave, margin);
}

static const char *const csv_columns[] = {
    "respondents", "clusters", "cluster_size", "estimate", "p_used", "df", "deff_observed",
    "deff_used", "deff_source", "rho", "n_margin", "clusters_margin", "clusters_t", "n_t",
    "n_allocated",
    "clusters_allocated", "margin_allocated", "n_detect",
};

static void write_csv_row(FILE *out, const char *kind, const char *code,
                          const sipas_plan_observed *o, const sipas_plan_row *row)
{
    fprintf(out, "%s,", kind);
    if (code)
        sipas_csv_write_field(out, code, strlen(code), ',');
    fputc(',', out);
    const double before[] = {o->n, o->clusters, row->cluster_size, o->p, row->p_used, o->df,
                             row->deff_observed, row->deff_used};
    for (size_t k = 0; k < sizeof before / sizeof before[0]; k++)
        output_csv_number(out, before[k]);
    fprintf(out, "%s,", deff_source_name(row->deff_source));
    const double after[] = {row->rho, row->n_margin, row->clusters_margin, row->clusters_t,
                            row->n_t, row->n_allocated,
                            row->clusters_allocated, row->margin_allocated};
    for (size_t k = 0; k < sizeof after / sizeof after[0]; k++)
        output_csv_number(out, after[k]);
    if (isfinite(row->n_detect))
        fprintf(out, "%.17g", row->n_detect);
    fputc('\n', out);
}

static void write_csv(analysis *a, const plan_table *t)
{
    FILE *out = a->out;
    fprintf(out, "row,%s", t->unit_column ? t->unit_column : "unit");
    for (size_t c = 0; c < sizeof csv_columns / sizeof csv_columns[0]; c++)
        fprintf(out, ",%s", csv_columns[c]);
    fputc('\n', out);
    for (size_t h = 0; h < t->nunits; h++)
        write_csv_row(out, "unit", t->codes[h], &t->observed[h], &t->rows[h]);
    write_csv_row(out, "total", NULL, &t->total, &t->total_row);
}

static void write_json_row(FILE *out, const char *unit_column, const char *code,
                           const sipas_plan_observed *o, const sipas_plan_row *row)
{
    fputc('{', out);
    if (code) {
        output_json_string(out, unit_column);
        fputc(':', out);
        output_json_string(out, code);
        fputc(',', out);
    }
    const double v[] = {o->n, o->clusters, row->cluster_size, o->p, row->p_used, o->df,
                        row->deff_observed, row->deff_used, NAN, row->rho, row->n_margin,
                        row->clusters_margin, row->clusters_t, row->n_t, row->n_allocated, row->clusters_allocated,
                        row->margin_allocated, row->n_detect};
    for (size_t k = 0; k < sizeof csv_columns / sizeof csv_columns[0]; k++) {
        fprintf(out, "%s\"%s\":", k ? "," : "", csv_columns[k]);
        if (strcmp(csv_columns[k], "deff_source") == 0)
            fprintf(out, "\"%s\"", deff_source_name(row->deff_source));
        else
            output_json_number(out, v[k]);
    }
    fputc('}', out);
}

static void write_json(analysis *a, const plan_table *t)
{
    FILE *out = a->out;
    const sipas_plan_options *o = &t->options;
    fprintf(out, "{\"form\":");
    output_json_string(out, a->inst->form_id);
    fprintf(out, ",\"wave\":%ld,\"measure\":", t->wave);
    output_json_string(out, t->measure);
    fprintf(out, ",\"margin\":%.17g,\"level\":%.17g,\"pooled_rho\":%.17g,\"pooled_df\":%.17g,"
            "\"pooled_units\":%zu,\"min_own_df\":%d,\"budget\":", o->margin, o->level,
            t->pooled.rho, t->pooled.df, t->pooled.units, SIPAS_PLAN_MIN_OWN_DF);
    if (o->budget)
        fprintf(out, "%zu,\"allocation\":\"%s\"", o->budget, sipas_allocation_name(o->allocation));
    else
        fprintf(out, "null,\"allocation\":null");
    fprintf(out, ",\"detect\":");
    output_json_number(out, o->detect > 0 ? o->detect : NAN);
    fprintf(out, ",\"power\":");
    output_json_number(out, o->detect > 0 ? o->power : NAN);
    fprintf(out, ",\"by\":");
    output_json_string(out, t->unit_column);
    fprintf(out, ",\"units\":[");
    for (size_t h = 0; h < t->nunits; h++) {
        fprintf(out, "%s\n", h ? "," : "");
        write_json_row(out, t->unit_column, t->codes[h], &t->observed[h], &t->rows[h]);
    }
    fprintf(out, "\n],\"total\":");
    write_json_row(out, NULL, NULL, &t->total, &t->total_row);
    fprintf(out, "}\n");
}

int analyze_plan(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, plan_options, sizeof plan_options / sizeof plan_options[0],
                             "plan --form ID --wave YEAR [--by COL] [--margin E] [--budget N "
                             "[--allocation RULE]] [--detect D [--power P]] [options]",
                             "The sample of the next wave: per unit, the respondents and clusters "
                             "a margin of error needs,\nfrom this wave's index, design effect and "
                             "cluster size; a budget's allocation and the margin\nit buys; the "
                             "sample per wave that detects a change. See docs/planning.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        analysis_close(&a);
        return code;
    }
    plan_table t = {0};
    sipas_index_result *by_unit = NULL, *whole = NULL;
    sipas_error err = {0};
    if ((code = parse_plan_options(&a, &t)) == CLI_EXIT_OK) {
        sipas_index_options whole_options = a.index;
        whole_options.by = NULL;
        whole_options.nby = 0;
        if ((t.unit_column && sipas_index_compute(a.data, &a.index, &by_unit, &err) != SIPAS_OK) ||
            sipas_index_compute(a.data, &whole_options, &whole, &err) != SIPAS_OK)
            code = cli_fail(&err);
    }
    if (code == CLI_EXIT_OK && (code = plan_compute(&a, &t, by_unit, whole)) == CLI_EXIT_OK) {
        switch (a.format) {
        case OUTPUT_TABLE: write_table(&a, &t); break;
        case OUTPUT_CSV: write_csv(&a, &t); break;
        case OUTPUT_JSON: write_json(&a, &t); break;
        }
        if (fflush(a.out) != 0 || ferror(a.out)) {
            cli_error("cannot write the output");
            code = CLI_EXIT_FAILURE;
        }
    }
    free(t.codes);
    free(t.observed);
    free(t.rows);
    sipas_index_result_free(by_unit);
    sipas_index_result_free(whole);
    analysis_close(&a);
    return code;
}
