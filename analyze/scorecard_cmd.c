/* sipas-analyze scorecard: every target of Resolution 60-NQ/TU in one table, survey indices and
 * administrative indicators together (sipas/scorecard.h; rules in docs/review.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"
#include "sipas/scorecard.h"

static const cli_option scorecard_options[] = {
    {"form", "ID", "judge the survey targets on this instrument's data (default: on reported values)", false},
    {"year", "YEAR", "judge as in YEAR: values after it are left out (default: the latest year)", false},
    {"level", "L", "confidence level (default 0.95)", false},
    {"ci", "METHOD", "survey interval: logit (default), wilson, beta, mean, asin", false},
    {"lang", "LANG", "labels: vi (default) or en", false},
    {"format", "FMT", "table (default), csv or json", false},
    CLI_OPTION_OUT,
    {"chart", "FILE", "also draw the compact chart (one row per target) as PNG, SVG or PDF", false},
    INSTRUMENT_CHECK_OPTION,
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};
const cli_options analyze_scorecard_options = CLI_OPTION_TABLE(scorecard_options);

static const char *verdict_text(bool vi, sipas_verdict v)
{
    return vi ? sipas_scorecard_verdict_name_vi(v) : sipas_verdict_name(v);
}

/* A figure as people read it: a share or change in percent (two decimals), a count whole. */
static const char *figure_text(const sipas_scorecard_row *r, double v, bool vi, char *buf,
                               size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (r->kind == SIPAS_INDICATOR_COUNT)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.2f%%", 100.0 * v);
    if (vi)
        sipas_number_set_decimal(buf, ',');
    return buf;
}

static const char *target_text(const sipas_scorecard_row *r, bool vi, char *buf, size_t size)
{
    char fig[32];
    figure_text(r, r->threshold, vi, fig, sizeof fig);
    static const char *const sign[] = {"≥", ">", "≤", "<"};
    if (r->kind == SIPAS_INDICATOR_CHANGE && r->base_from == r->base_to)
        snprintf(buf, size, "%s%s %s %d", sign[r->comparison], fig, vi ? "so với" : "vs",
                 r->base_from);
    else if (r->kind == SIPAS_INDICATOR_CHANGE)
        snprintf(buf, size, "%s%s %s %d-%d", sign[r->comparison], fig, vi ? "so với" : "vs",
                 r->base_from, r->base_to);
    else
        snprintf(buf, size, "%s%s", sign[r->comparison], fig);
    return buf;
}

static void scorecard_table(FILE *out, const sipas_scorecard *c, bool vi)
{
    if (c->as_of > 0)
        fprintf(out, vi ? "Bảng theo dõi mục tiêu Nghị quyết 60-NQ/TU, đánh giá tại năm %.0f\n\n"
                        : "Resolution 60-NQ/TU scorecard, judged as in %.0f\n\n", c->as_of);
    else
        fprintf(out, vi ? "Bảng theo dõi mục tiêu Nghị quyết 60-NQ/TU: chưa có số liệu (nhập bằng "
                          "sipas-collect indicators import)\n\n"
                        : "Resolution 60-NQ/TU scorecard: no figures yet (import them with "
                          "sipas-collect indicators import)\n\n");
    output_padded(out, vi ? "mục" : "item", 4);
    output_padded(out, vi ? "chỉ tiêu" : "indicator", 44);
    output_padded(out, vi ? "mục tiêu" : "target", 27);
    output_right(out, vi ? "mới nhất" : "latest", 10);
    output_padded(out, vi ? "năm" : "year", 4);
    output_padded(out, vi ? "xu hướng" : "trend", 10);
    output_right(out, vi ? "dự báo" : "projected", 10);
    fprintf(out, "%s\n", vi ? "đánh giá" : "verdict");
    for (size_t i = 0; i < c->n; i++) {
        const sipas_scorecard_row *r = &c->rows[i];
        const sipas_admin_verdict *v = &r->verdict;
        char b1[96], b2[40], b3[80], year[16] = "-";
        output_row_begin(out); /* the indicator's name wraps within its column */
        output_padded(out, *r->item ? r->item : "-", 4);
        output_padded(out, vi ? r->label_vi : r->label_en, 44);
        snprintf(b1, sizeof b1, "%s (%.0f)", target_text(r, vi, b3, sizeof b3), r->year);
        output_padded(out, b1, 27);
        output_right(out, figure_text(r, v->latest_figure, vi, b2, sizeof b2), 10);
        if (!isnan(v->latest_year))
            snprintf(year, sizeof year, "%.0f", v->latest_year);
        output_padded(out, year, 4);
        output_padded(out, vi ? sipas_score_trend_name_vi(r->trend)
                              : sipas_score_trend_name(r->trend), 10);
        output_right(out, v->projected ? figure_text(r, v->estimate, vi, b2, sizeof b2) : "", 10);
        fprintf(out, "%s%s", verdict_text(vi, v->verdict), r->survey ? (vi ? " (khảo sát)"
                                                                            : " (survey)")
                                                                   : "");
        output_row_end(out);
    }
    fprintf(out, vi ? "\nNăm đã qua: đạt / không đạt theo số liệu báo cáo của năm đó (khảo sát: theo "
                      "khoảng tin cậy). Năm tương lai: đường xu hướng\n(logit cho tỷ lệ, tuyến tính "
                      "cho số lượng) dự báo đến năm mục tiêu; đúng hướng khi cả khoảng dự báo đạt, "
                      "chệch hướng\nkhi cả khoảng không đạt, còn lại có nguy cơ; cần ít nhất 3 năm "
                      "số liệu. Nguồn từng mục tiêu: --format csv. Xem docs/review.md.\n"
                    : "\nPast year: met / not met by the reported figure of that year (survey: by its "
                      "interval). Future year: the trend line\n(logit for shares, linear for counts) "
                      "projected to the target year; on track when the whole prediction interval\n"
                      "meets the target, off track when none of it does, otherwise at risk; needs 3 "
                      "yearly values. Each target's\nsource: --format csv. See docs/review.md.\n");
}

static void csv_text(FILE *out, const char *s)
{
    sipas_csv_write_field(out, s ? s : "", s ? strlen(s) : 0, ',');
    fputc(',', out);
}

static void scorecard_csv(FILE *out, const sipas_scorecard *c, bool vi)
{
    fprintf(out, "item,indicator,label,kind,data,comparison,threshold,target_year,base_from,"
            "base_to,values,latest_year,latest_value,latest_ci_low,latest_ci_high,trend,"
            "slope_per_year,projected,estimate,ci_low,ci_high,verdict,source,quote\n");
    for (size_t i = 0; i < c->n; i++) {
        const sipas_scorecard_row *r = &c->rows[i];
        const sipas_admin_verdict *v = &r->verdict;
        csv_text(out, r->item);
        csv_text(out, r->indicator);
        csv_text(out, vi ? r->label_vi : r->label_en);
        fprintf(out, "%s,%s,%s,", sipas_indicator_kind_name(r->kind),
                r->survey ? "survey" : "reported", sipas_comparison_text(r->comparison));
        output_csv_number(out, r->threshold);
        fprintf(out, "%.0f,", r->year);
        if (r->base_from)
            fprintf(out, "%d,%d,", r->base_from, r->base_to);
        else
            fputs(",,", out);
        fprintf(out, "%zu,", v->npoints);
        output_csv_number(out, v->latest_year);
        output_csv_number(out, v->latest_figure);
        output_csv_number(out, v->latest_low);
        output_csv_number(out, v->latest_high);
        fprintf(out, "%s,", sipas_score_trend_name(r->trend));
        output_csv_number(out, v->slope_per_year);
        fprintf(out, "%s,", v->projected ? "true" : "false");
        output_csv_number(out, v->estimate);
        output_csv_number(out, v->ci_low);
        output_csv_number(out, v->ci_high);
        fprintf(out, "%s,", sipas_verdict_name(v->verdict));
        csv_text(out, r->source);
        sipas_csv_write_field(out, r->quote ? r->quote : "", r->quote ? strlen(r->quote) : 0, ',');
        fputc('\n', out);
    }
}

static void json_field(FILE *out, const char *name, double v)
{
    fprintf(out, ",\"%s\":", name);
    output_json_number(out, v);
}

static void scorecard_json(FILE *out, const sipas_scorecard *c, bool vi)
{
    fprintf(out, "{\"as_of\":%.0f,\"level\":%.17g,\"targets\":[", c->as_of, c->level);
    for (size_t i = 0; i < c->n; i++) {
        const sipas_scorecard_row *r = &c->rows[i];
        const sipas_admin_verdict *v = &r->verdict;
        fprintf(out, "%s\n{\"item\":", i ? "," : "");
        output_json_string(out, r->item);
        fprintf(out, ",\"indicator\":");
        output_json_string(out, r->indicator);
        fprintf(out, ",\"label\":");
        output_json_string(out, vi ? r->label_vi : r->label_en);
        fprintf(out, ",\"kind\":\"%s\",\"data\":\"%s\",\"comparison\":\"%s\"",
                sipas_indicator_kind_name(r->kind), r->survey ? "survey" : "reported",
                sipas_comparison_text(r->comparison));
        json_field(out, "threshold", r->threshold);
        json_field(out, "target_year", r->year);
        json_field(out, "base_from", r->base_from ? r->base_from : NAN);
        json_field(out, "base_to", r->base_to ? r->base_to : NAN);
        fprintf(out, ",\"values\":%zu", v->npoints);
        json_field(out, "latest_year", v->latest_year);
        json_field(out, "latest_value", v->latest_figure);
        json_field(out, "latest_ci_low", v->latest_low);
        json_field(out, "latest_ci_high", v->latest_high);
        fprintf(out, ",\"trend\":\"%s\"", sipas_score_trend_name(r->trend));
        json_field(out, "slope_per_year", v->slope_per_year);
        fprintf(out, ",\"projected\":%s", v->projected ? "true" : "false");
        json_field(out, "estimate", v->estimate);
        json_field(out, "ci_low", v->ci_low);
        json_field(out, "ci_high", v->ci_high);
        fprintf(out, ",\"verdict\":\"%s\",\"reason\":", sipas_verdict_name(v->verdict));
        output_json_string(out, v->reason);
        fprintf(out, ",\"source\":");
        output_json_string(out, r->source);
        fprintf(out, ",\"quote\":");
        output_json_string(out, r->quote);
        fputc('}', out);
    }
    fprintf(out, "\n]}\n");
}

#define SCORECARD_USAGE "scorecard [--form ID] [--year Y] [--lang en] [--format csv|json]"
#define SCORECARD_HELP \
    "Every target of Resolution 60-NQ/TU in one table: item, indicator, target, latest value and " \
    "its year,\ntrend, projection and verdict. Administrative targets (surveys/indicators/" \
    "targets.csv) are judged on the\nvalues stored by sipas-collect indicators import; survey " \
    "targets (surveys/targets.csv) on the survey\ndata of --form, else on reported values. " \
    "Source and quote of every target: --format csv or json.\nSee docs/review.md, \"Scorecard\"."

/* Without --form: the options analysis_open would parse, for a store without survey data. */
static int open_without_form(analysis *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->out = stdout;
    if (!cli_parse(argc, argv, scorecard_options,
                   sizeof scorecard_options / sizeof scorecard_options[0], &a->args))
        return CLI_EXIT_USAGE;
    int code;
    if ((code = analysis_parse_output(a)) != CLI_EXIT_OK)
        return code;
    sipas_error err = {0};
    if (sipas_store_open(cli_db_path(&a->args), SIPAS_STORE_READ_ONLY, &a->store, &err) != SIPAS_OK)
        return cli_fail(&err);
    /* the one atomic writer, committed and checked by cli_dispatch (cli_output_finish) */
    if ((a->out = cli_output_open(cli_value(&a->args, "out"))) == NULL) {
        a->out = stdout;
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

int analyze_scorecard(int argc, char **argv)
{
    size_t nopt = sizeof scorecard_options / sizeof scorecard_options[0];
    cli_args args;
    if (!cli_parse(argc, argv, scorecard_options, nopt, &args))
        return CLI_EXIT_USAGE;
    bool help = cli_flag(&args, "help"), with_form = cli_value(&args, "form") != NULL;
    const char *year_text = cli_value(&args, "year");
    size_t npositional = args.npositional;
    cli_args_free(&args);
    if (help) {
        printf("usage: %s " SCORECARD_USAGE "\n\n" SCORECARD_HELP "\n\n", cli_program);
        cli_print_options(scorecard_options, nopt);
        return CLI_EXIT_OK;
    }
    int64_t year = 0;
    if (npositional > 0) {
        cli_error("scorecard takes no arguments (see --help)");
        return CLI_EXIT_USAGE;
    }
    if (year_text && !cli_int("--year", year_text, 1990, 2100, &year))
        return CLI_EXIT_USAGE;
    analysis a;
    int code = with_form ? analysis_open(&a, argc, argv, scorecard_options, nopt, SCORECARD_USAGE,
                                         SCORECARD_HELP, &help)
                         : open_without_form(&a, argc, argv);
    sipas_scorecard *card = NULL;
    if (code == CLI_EXIT_OK) {
        sipas_error err = {0};
        if (sipas_scorecard_compute(cli_surveys_dir(&a.args), a.store, a.data, &a.index,
                                    (double)year, &card, &err) != SIPAS_OK) {
            code = cli_fail(&err);
        } else {
            bool vi = strcmp(a.lang, "vi") == 0;
            switch (a.format) {
            case OUTPUT_TABLE: scorecard_table(a.out, card, vi); break;
            case OUTPUT_CSV: scorecard_csv(a.out, card, vi); break;
            case OUTPUT_JSON: scorecard_json(a.out, card, vi); break;
            }
            const char *chart = cli_value(&a.args, "chart");
            char title[96];
            if (card->as_of > 0)
                snprintf(title, sizeof title, vi ? "Mục tiêu Nghị quyết 60-NQ/TU, năm %.0f"
                                                 : "Resolution 60-NQ/TU targets, %.0f",
                         card->as_of);
            else
                snprintf(title, sizeof title, "%s", vi ? "Mục tiêu Nghị quyết 60-NQ/TU"
                                                       : "Resolution 60-NQ/TU targets");
            sipas_plot_options po = {.output_path = chart, .title = title, .decimal_comma = vi};
            if (chart && sipas_scorecard_chart(card, vi, &po, &err) != SIPAS_OK)
                code = cli_fail(&err);
        }
    }
    sipas_scorecard_free(card);
    analysis_close(&a);
    return code;
}
