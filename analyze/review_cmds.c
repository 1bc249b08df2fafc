/* sipas-analyze change, trend, rank and targets: the annual review's three questions (did we
 * improve since last year, are we on course for the targets, which units hold us back) over
 * the library's review module. Method and worked examples: docs/review.md, docs/trends.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"
#include "sipas/review.h"
#include "sipas/targets.h"

#define MEASURE_OPTION \
    {"measure", "M", "overall (default), an element or a criterion name", false}

static bool is_vi(const analysis *a)
{
    return strcmp(a->lang, "vi") == 0;
}

/* Percentage points with sign, "+1,23" (vi) or "+1.23"; "-" for NaN. */
static const char *points(const analysis *a, double d, char *buf, size_t size)
{
    if (isnan(d)) {
        snprintf(buf, size, "-");
        return buf;
    }
    snprintf(buf, size, "%+.2f", 100.0 * d);
    if (is_vi(a))
        sipas_number_set_decimal(buf, ',');
    return buf;
}

static const char *pvalue(const analysis *a, double p, char *buf, size_t size)
{
    if (isnan(p))
        snprintf(buf, size, "-");
    else if (p < 0.0001)
        snprintf(buf, size, "<0.0001");
    else
        snprintf(buf, size, "%.4f", p);
    if (is_vi(a))
        sipas_number_set_decimal(buf, ',');
    return buf;
}

static const char *year_text(double y, char *buf, size_t size)
{
    /* a calendar year (sipas_review_crossing_year), never "2032,2" */
    if (isnan(y))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.0f", y);
    return buf;
}

/* The measure's name: the overall index by the name reports give it (the review's label of
 * "overall" is the form's title), any other measure by its label, else its code. */
static const char *measure_label(const analysis *a, const char *code, const char *vi,
                                 const char *en)
{
    if (strcmp(code, "overall") == 0)
        return is_vi(a) ? "Chỉ số hài lòng chung" : "Overall satisfaction index";
    return analysis_label(a, vi, en, code);
}

/* A column's label for a header or mid-sentence, else its name. */
static const char *column_label(const analysis *a, const char *column)
{
    const sipas_item *item = sipas_instrument_item(a->inst, column);
    return item ? analysis_label(a, item->label_vi, item->label_en, column) : column;
}

static const char *verdict_text(const analysis *a, sipas_verdict v)
{
    static const char *const vi[] = {"đạt", "không đạt", "chưa phân biệt được", "đúng hướng",
                                     "có nguy cơ", "chệch hướng", "thiếu dữ liệu",
                                     "không có đợt khảo sát"};
    return is_vi(a) && (size_t)v < sizeof vi / sizeof vi[0] ? vi[v] : sipas_verdict_name(v);
}

static const char *crossing_kind_name(sipas_crossing_kind k)
{
    switch (k) {
    case SIPAS_CROSSING_REACHES: return "reaches";
    case SIPAS_CROSSING_ALREADY: return "already";
    case SIPAS_CROSSING_FALLS_BELOW: return "falls_below";
    case SIPAS_CROSSING_NEVER: break;
    }
    return "never";
}

static const char *flag_name(sipas_unit_flag f)
{
    switch (f) {
    case SIPAS_UNIT_ABOVE: return "above";
    case SIPAS_UNIT_BELOW: return "below";
    case SIPAS_UNIT_NOT_TESTED: return "not_estimable";
    case SIPAS_UNIT_NOT_DIFFERENT: break;
    }
    return "not_different";
}

static const char *flag_text(const analysis *a, sipas_unit_flag f)
{
    if (!is_vi(a))
        return f == SIPAS_UNIT_ABOVE ? "above" : f == SIPAS_UNIT_BELOW ? "below" : "not different";
    return f == SIPAS_UNIT_ABOVE ? "cao hơn" : f == SIPAS_UNIT_BELOW ? "thấp hơn" : "không khác";
}

/* "not estimable: REASON" (the words every output uses for a row without a test) */
static const char *not_estimable_text(const analysis *a, const char *reason, char *buf,
                                      size_t size)
{
    return sipas_review_not_estimable(reason, is_vi(a), buf, size);
}

static const char *trend_label_text(const analysis *a, sipas_trend_label l)
{
    return is_vi(a) ? sipas_trend_label_name_vi(l) : sipas_trend_label_name(l);
}

static int finish(analysis *a, int code)
{
    analysis_close(a);
    return code;
}

/* Reads a year option (--from, --to); 0 when absent. */
static bool year_option(const analysis *a, const char *name, double *out)
{
    const char *v = cli_value(&a->args, name);
    *out = 0;
    if (v == NULL)
        return true;
    int64_t y;
    char option[32];
    snprintf(option, sizeof option, "--%s", name);
    if (!cli_int(option, v, 1990, 2100, &y))
        return false;
    *out = (double)y;
    return true;
}

/* analysis_open turns --wave into the last where condition; the review picks its wave itself,
 * so take it back out and hand the year over. */
static void take_wave(analysis *a, double *wave)
{
    *wave = (double)a->wave;
    if (a->wave != 0)
        a->index.nwhere--;
}

static bool parse_adjust(const char *v, sipas_p_adjust_method *out)
{
    if (v == NULL || strcmp(v, "holm") == 0)
        *out = SIPAS_ADJUST_HOLM;
    else if (strcmp(v, "bh") == 0 || strcmp(v, "BH") == 0)
        *out = SIPAS_ADJUST_BH;
    else if (strcmp(v, "none") == 0)
        *out = SIPAS_ADJUST_NONE;
    else {
        cli_error("--adjust '%s' is not holm, bh or none", v);
        return false;
    }
    return true;
}

/* Loads surveys/targets.csv (+ indicators.csv) and applies --map INDICATOR=FORM[:MEASURE]. */
static int load_targets(analysis *a, sipas_targets **out)
{
    sipas_error err = {0};
    if (sipas_targets_load_dir(cli_surveys_dir(&a->args), out, &err) != SIPAS_OK)
        return cli_fail(&err);
    const char *const *maps;
    size_t n = cli_values(&a->args, "map", &maps);
    for (size_t i = 0; i < n; i++)
        if (sipas_targets_map_parse(*out, maps[i], &err) != SIPAS_OK) {
            cli_error("--map: %s", err.message);
            return CLI_EXIT_USAGE;
        }
    return CLI_EXIT_OK;
}

static void json_change(FILE *out, const sipas_change *c)
{
    const char *names[] = {"difference", "se", "df", "ci_low", "ci_high", "statistic", "p_value"};
    const double v[] = {c->difference, c->se, c->df, c->ci_low, c->ci_high, c->statistic,
                        c->p_value};
    fputc('{', out);
    for (size_t k = 0; k < 7; k++) {
        fprintf(out, "%s\"%s\":", k ? "," : "", names[k]);
        output_json_number(out, v[k]);
    }
    fputc('}', out);
}

/* ,"not_estimable":"reason" or null */
static void json_reason(FILE *out, const char *reason)
{
    fprintf(out, ",\"not_estimable\":");
    if (reason != NULL)
        output_json_string(out, reason);
    else
        fprintf(out, "null");
}

static void json_point(FILE *out, const sipas_review_point *p)
{
    fprintf(out, "{\"year\":%.0f,\"estimable\":%s,\"variance_estimable\":%s,\"n\":%zu,"
            "\"estimate\":", p->value.year, p->estimable ? "true" : "false",
            p->estimable && p->variance_estimable ? "true" : "false", p->n);
    output_json_number(out, p->value.estimate);
    const char *names[] = {"se", "df", "ci_low", "ci_high"};
    const double v[] = {p->se, p->value.df, p->ci_low, p->ci_high};
    for (size_t k = 0; k < 4; k++) {
        fprintf(out, ",\"%s\":", names[k]);
        output_json_number(out, v[k]);
    }
    json_reason(out, p->estimable && !p->variance_estimable ? sipas_review_point_reason(p, false)
                                                            : NULL);
    fputc('}', out);
}

static void csv_field(FILE *out, const char *s)
{
    sipas_csv_write_field(out, s ? s : "", s ? strlen(s) : 0, ',');
    fputc(',', out);
}

/* The last field of a row (NULL: empty) and the newline. */
static void csv_last_field(FILE *out, const char *s)
{
    sipas_csv_write_field(out, s ? s : "", s ? strlen(s) : 0, ',');
    fputc('\n', out);
}

/* ================================ change ================================ */

static const cli_option change_options[] = {
    MEASURE_OPTION,
    {"from", "YEAR", "earlier wave (default: the wave before --to)", false},
    {"to", "YEAR", "later wave (default: the latest)", false},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_change_options = CLI_OPTION_TABLE(change_options);

static void change_table(analysis *a, const sipas_domain_changes *c)
{
    FILE *out = a->out;
    bool vi = is_vi(a);
    char e1[32], e2[32], d[32], lo[32], hi[32], p[32], ci[200];
    fprintf(out, "%s: %s\n", a->inst->form_id,
            measure_label(a, c->measure, c->label_vi, c->label_en));
    fprintf(out, vi ? "Thay đổi %g → %g, điểm phần trăm; khoảng tin cậy %g%%; hai mẫu độc lập "
                      "(V1 + V2, bậc tự do df1 + df2)\n\n"
                    : "Change %g → %g in percentage points; %g%% interval; independent samples "
                      "(V1 + V2, df1 + df2)\n\n", c->from, c->to, 100 * c->level);
    for (size_t b = 0; b < c->nby; b++)
        output_padded(out, c->by[b], 18);
    fprintf(out, "%9.0f %9.0f ", c->from, c->to);
    output_right(out, vi ? "thay đổi" : "change", 9);
    fputc(' ', out);
    output_padded(out, vi ? "khoảng tin cậy" : "interval", 19);
    output_right(out, vi ? "giá trị p" : "p-value", 9);
    fputc('\n', out);
    for (size_t i = 0; i < c->nrows; i++) {
        const sipas_domain_change *r = &c->rows[i];
        output_row_begin(out); /* long domain labels wrap within their column */
        if (c->nby == 0)
            output_padded(out, "", 0);
        for (size_t b = 0; b < c->nby; b++)
            output_padded(out, analysis_domain_label(a, c->by[b], r->values[b]), 18);
        analysis_percent(a, r->earlier.estimable ? r->earlier.value.estimate : NAN, e1, sizeof e1);
        analysis_percent(a, r->later.estimable ? r->later.value.estimate : NAN, e2, sizeof e2);
        const sipas_change *ch = &r->change;
        bool has = r->has_change;
        snprintf(ci, sizeof ci, "%s – %s", points(a, has ? ch->ci_low : NAN, lo, sizeof lo),
                 points(a, has ? ch->ci_high : NAN, hi, sizeof hi));
        fprintf(out, "%9s %9s %9s  ", e1, e2, points(a, has ? ch->difference : NAN, d, sizeof d));
        const char *reason = has ? sipas_review_untested_reason(ch, &r->earlier, &r->later, vi)
                                 : NULL;
        if (reason != NULL) {
            fputs(not_estimable_text(a, reason, ci, sizeof ci), out);
            output_row_end(out);
            continue;
        }
        output_padded(out, ci, 19);
        fprintf(out, "%9s", pvalue(a, has ? ch->p_value : NAN, p, sizeof p));
        output_row_end(out);
    }
}

static void change_csv(analysis *a, const sipas_domain_changes *c)
{
    FILE *out = a->out;
    for (size_t b = 0; b < c->nby; b++)
        fprintf(out, "%s,", c->by[b]);
    fprintf(out, "measure,from,to,estimate_from,se_from,df_from,estimate_to,se_to,df_to,"
            "difference,se,df,ci_low,ci_high,p_value,not_estimable\n");
    for (size_t i = 0; i < c->nrows; i++) {
        const sipas_domain_change *r = &c->rows[i];
        for (size_t b = 0; b < c->nby; b++)
            csv_field(out, r->values[b]);
        fprintf(out, "%s,%.0f,%.0f,", c->measure, c->from, c->to);
        const double v[] = {r->earlier.value.estimate, r->earlier.se, r->earlier.value.df,
                            r->later.value.estimate, r->later.se, r->later.value.df};
        for (size_t k = 0; k < 6; k++)
            output_csv_number(out, v[k]);
        const sipas_change *ch = &r->change;
        const double w[] = {r->has_change ? ch->difference : NAN, r->has_change ? ch->se : NAN,
                            r->has_change ? ch->df : NAN, r->has_change ? ch->ci_low : NAN,
                            r->has_change ? ch->ci_high : NAN};
        for (size_t k = 0; k < 5; k++)
            output_csv_number(out, w[k]);
        if (r->has_change && !isnan(ch->p_value))
            fprintf(out, "%.17g", ch->p_value);
        fputc(',', out);
        csv_last_field(out, r->has_change ? sipas_review_untested_reason(ch, &r->earlier,
                                                                         &r->later, false)
                                          : NULL);
    }
}

static void change_json(analysis *a, const sipas_domain_changes *c)
{
    FILE *out = a->out;
    analysis_json_open(a);
    fprintf(out, ",\"measure\":");
    output_json_string(out, c->measure);
    fprintf(out, ",\"from\":%.0f,\"to\":%.0f,\"level\":%.17g,\"by\":[", c->from, c->to, c->level);
    for (size_t b = 0; b < c->nby; b++) {
        fprintf(out, b ? "," : "");
        output_json_string(out, c->by[b]);
    }
    fprintf(out, "],\"rows\":[");
    for (size_t i = 0; i < c->nrows; i++) {
        const sipas_domain_change *r = &c->rows[i];
        fprintf(out, "%s\n{", i ? "," : "");
        for (size_t b = 0; b < c->nby; b++) {
            output_json_string(out, c->by[b]);
            fputc(':', out);
            output_json_string(out, r->values[b]);
            fputc(',', out);
        }
        fprintf(out, "\"earlier\":");
        json_point(out, &r->earlier);
        fprintf(out, ",\"later\":");
        json_point(out, &r->later);
        fprintf(out, ",\"change\":");
        if (r->has_change)
            json_change(out, &r->change);
        else
            fprintf(out, "null");
        json_reason(out, r->has_change ? sipas_review_untested_reason(&r->change, &r->earlier,
                                                                      &r->later, false)
                                       : NULL);
        fputc('}', out);
    }
    fprintf(out, "\n]}\n");
}

int analyze_change(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, change_options,
                             sizeof change_options / sizeof change_options[0],
                             "change --form ID [--measure M] [--by COLS] [--from Y1 --to Y2]",
                             "Year-on-year change of a measure in percentage points, with its "
                             "confidence interval and\np-value, in each domain of --by. The two "
                             "waves are independent samples: V = V1 + V2,\ndf = df1 + df2. See "
                             "docs/review.md.", &help);
    if (code != CLI_EXIT_OK || help)
        return finish(&a, code);
    double from, to;
    if (!year_option(&a, "from", &from) || !year_option(&a, "to", &to))
        return finish(&a, CLI_EXIT_USAGE);
    sipas_domain_changes *c = NULL;
    sipas_error err = {0};
    if (sipas_domain_changes_compute(a.data, &a.index, cli_value(&a.args, "measure"), from, to,
                                     &c, &err) != SIPAS_OK)
        return finish(&a, cli_fail(&err));
    switch (a.format) {
    case OUTPUT_TABLE: change_table(&a, c); break;
    case OUTPUT_CSV: change_csv(&a, c); break;
    case OUTPUT_JSON: change_json(&a, c); break;
    }
    sipas_domain_changes_free(c);
    return finish(&a, CLI_EXIT_OK);
}

/* ================================ trend ================================ */

static const cli_option trend_options[] = {
    MEASURE_OPTION,
    {"threshold", "P", "year the line reaches P (default: the measure's targets), repeatable", true},
    {"method", "M", "province line: known (variances known, default) or lm (as R's lm)", false},
    {"map", "IND=FORM[:MEASURE]", "the survey measure an indicator of targets.csv is", true},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_trend_options = CLI_OPTION_TABLE(trend_options);

/* Runs the review for trend/rank with the command's --measure, --wave, unit column. */
static int run_review(analysis *a, const char *unit, sipas_review_options *o,
                      sipas_targets **targets, sipas_review **out)
{
    o->measure = cli_value(&a->args, "measure");
    o->unit_column = unit;
    o->index = a->index;
    o->index.by = NULL;
    o->index.nby = 0;
    int code = load_targets(a, targets);
    if (code != CLI_EXIT_OK)
        return code;
    o->targets = *targets;
    sipas_error err = {0};
    if (sipas_review_compute(a->data, o, out, &err) != SIPAS_OK)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

static const char *rule_text(const analysis *a, bool projected)
{
    if (is_vi(a))
        return projected ? "dự báo: đúng hướng khi cận dưới đạt, chệch hướng khi cận trên không đạt"
                         : "năm có khảo sát: đạt khi cận dưới đạt, không đạt khi cận trên không đạt";
    return projected ? "projection: on track when the lower bound meets it, off track when the "
                       "upper bound does not"
                     : "observed year: met when the lower bound meets it, not met when the upper "
                       "bound does not";
}

static void trend_table(analysis *a, const sipas_review *r, bool by_unit)
{
    FILE *out = a->out;
    bool vi = is_vi(a);
    char b1[32], b2[32], b3[32], b4[32], ci[200];
    fprintf(out, "%s: %s\n", a->inst->form_id,
            measure_label(a, r->measure, r->label_vi, r->label_en));
    fprintf(out, vi ? "Khoảng tin cậy %g%%\n\n" : "%g%% intervals\n\n", 100 * r->level);
    output_padded(out, vi ? "đợt" : "wave", 6);
    output_right(out, vi ? "chỉ số" : "index", 9);
    fputc(' ', out);
    output_padded(out, vi ? "khoảng tin cậy" : "interval", 19);
    fprintf(out, "%6s\n", "SE");
    for (size_t k = 0; k < r->nwaves; k++) {
        const sipas_review_point *p = &r->province[k];
        snprintf(ci, sizeof ci, "%s – %s", analysis_percent(a, p->ci_low, b1, sizeof b1),
                 analysis_percent(a, p->ci_high, b2, sizeof b2));
        snprintf(b3, sizeof b3, "%.2f", 100 * p->se);
        if (vi)
            sipas_number_set_decimal(b3, ',');
        fprintf(out, "%-6.0f %9s  ", p->value.year,
                analysis_percent(a, p->estimable ? p->value.estimate : NAN, b4, sizeof b4));
        if (p->estimable && !p->variance_estimable) {
            fprintf(out, "%s\n", not_estimable_text(a, sipas_review_point_reason(p, vi), ci,
                                                    sizeof ci));
            continue;
        }
        output_padded(out, ci, 19);
        fprintf(out, "%6s\n", p->estimable ? b3 : "-");
    }
    if (!r->has_trend) {
        fprintf(out, vi ? "\nKhông ước lượng được xu hướng (cần ít nhất 2 đợt, tỷ lệ trong (0, 1)).\n"
                        : "\nNo trend (needs 2 waves and a proportion inside (0, 1)).\n");
        return;
    }
    const sipas_trend_fit *f = &r->fit;
    fprintf(out, vi ? "\nXu hướng (bình phương tối thiểu có trọng số trên thang logit, %s, %zu đợt):\n"
                    : "\nTrend (weighted least squares on the logit scale, %s, %zu waves):\n",
            f->method_used == SIPAS_TREND_LM ? (vi ? "phương sai như lm của R" : "lm variance")
                                             : (vi ? "phương sai mẫu đã biết" : "known variances"),
            f->nwaves);
    fprintf(out, vi ? "  độ dốc tại %.0f: %s điểm %%/năm (%s – %s), p = %s\n"
                    : "  slope at %.0f: %s points/year (%s – %s), p = %s\n", f->latest_year,
            points(a, f->slope_per_year, b1, sizeof b1),
            points(a, f->slope_per_year_ci_low, b2, sizeof b2),
            points(a, f->slope_per_year_ci_high, b3, sizeof b3), pvalue(a, f->p_value, b4, sizeof b4));
    if (!isnan(f->lack_of_fit_p))
        fprintf(out, vi ? "  độ lệch khỏi đường thẳng: khi bình phương = %.2f, df = %zu, p = %s\n"
                        : "  lack of fit: chi-square = %.2f on %zu df, p = %s\n", f->chisq,
                f->nwaves - 2, pvalue(a, f->lack_of_fit_p, b1, sizeof b1));
    char note[256];
    if (*sipas_review_fit_note(f, vi, note, sizeof note))
        fprintf(out, vi ? "  lưu ý: %s\n" : "  note: %s\n", note);
    bool caution = *sipas_review_projection_note(f, vi, note, sizeof note) != '\0';
    for (size_t k = 0; k < r->nprojections; k++) {
        const sipas_projection *p = &r->projections[k];
        fprintf(out, vi ? "  dự báo %.0f: %s (%s – %s)%s\n" : "  projection %.0f: %s (%s – %s)%s\n",
                p->year, analysis_percent(a, p->estimate, b1, sizeof b1),
                analysis_percent(a, p->ci_low, b2, sizeof b2),
                analysis_percent(a, p->ci_high, b3, sizeof b3), caution ? " *" : "");
    }
    if (caution)
        fprintf(out, "  %s%s\n", r->nprojections > 0 ? "* " : "", note);
    for (size_t k = 0; k < r->ncrossings; k++) {
        const sipas_review_crossing *c = &r->crossings[k];
        const char *what = c->kind == SIPAS_CROSSING_REACHES ? (vi ? "đạt vào năm" : "reached in")
                         : c->kind == SIPAS_CROSSING_ALREADY ? (vi ? "đã đạt từ" : "reached since")
                         : c->kind == SIPAS_CROSSING_FALLS_BELOW ? (vi ? "rơi xuống dưới vào năm"
                                                                       : "falls below in")
                         : (vi ? "không đạt theo xu hướng" : "never on this line");
        fprintf(out, "  %s %s %s\n", analysis_percent(a, c->threshold, b1, sizeof b1), what,
                year_text(sipas_review_crossing_year(c), b2, sizeof b2));
    }
    if (r->ntargets > 0)
        fprintf(out, vi ? "\nMục tiêu:\n" : "\nTargets:\n");
    for (size_t k = 0; k < r->ntargets; k++) {
        const sipas_review_target *t = &r->targets[k];
        const sipas_target_verdict *v = &t->verdict;
        fprintf(out, "  %s %s %s %.0f: %s %s (%s – %s) → %s%s\n",
                sipas_target_label(t->target, vi),
                t->target->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "≥",
                analysis_percent(a, t->target->target.threshold, b1, sizeof b1),
                t->target->target.year,
                v->projected ? (vi ? "dự báo" : "projected") : (vi ? "quan sát" : "observed"),
                analysis_percent(a, v->estimate, b2, sizeof b2),
                analysis_percent(a, v->ci_low, b3, sizeof b3),
                analysis_percent(a, v->ci_high, b4, sizeof b4), verdict_text(a, v->verdict),
                v->projected && v->fit.projection_caution ? " *" : "");
        fprintf(out, "      %s\n", rule_text(a, v->projected));
    }
    if (!by_unit)
        return;
    char unit_words[128]; /* mid-sentence: "By district:" (only an ASCII capital is lowered) */
    snprintf(unit_words, sizeof unit_words, "%s", column_label(a, r->unit_column));
    if (unit_words[0] >= 'A' && unit_words[0] <= 'Z')
        unit_words[0] = (char)(unit_words[0] - 'A' + 'a');
    fprintf(out, vi ? "\nTheo %s:\n" : "\nBy %s:\n", unit_words);
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        output_row_begin(out); /* a long unit label wraps within its column */
        output_padded(out, analysis_domain_label(a, r->unit_column, un->code), 22);
        fprintf(out, "%9s %9s/%s  ",
                analysis_percent(a, un->in_wave ? un->current.value.estimate : NAN, b1, sizeof b1),
                points(a, un->has_fit ? un->fit.slope_per_year : NAN, b2, sizeof b2),
                vi ? "năm" : "year");
        output_padded(out, trend_label_text(a, un->trend_label), 22);
        fprintf(out, "p = %s", pvalue(a, un->has_fit ? un->fit.p_value : NAN, b3, sizeof b3));
        char unit_note[256];
        if (un->has_fit && *sipas_review_fit_note(&un->fit, vi, unit_note, sizeof unit_note))
            fprintf(out, "  (%s)", unit_note);
        output_row_end(out);
    }
}

static void trend_csv(analysis *a, const sipas_review *r)
{
    FILE *out = a->out;
    /* one long table: what, key, year, estimate, se, ci_low, ci_high, p_value, verdict */
    fprintf(out, "part,unit,year,estimate,se,ci_low,ci_high,slope_per_year,p_value,label,"
            "flag\n");
    for (size_t k = 0; k < r->nwaves; k++) {
        const sipas_review_point *p = &r->province[k];
        fprintf(out, "wave,,%.0f,", p->value.year);
        const double v[] = {p->value.estimate, p->se, p->ci_low, p->ci_high, NAN, NAN};
        for (size_t j = 0; j < 6; j++)
            output_csv_number(out, v[j]);
        fputc(',', out);
        csv_last_field(out, p->estimable && !p->variance_estimable ? "not_estimable" : NULL);
    }
    if (r->has_trend) {
        const sipas_trend_fit *f = &r->fit;
        fprintf(out, "slope,,%.0f,", f->latest_year);
        const double v[] = {f->latest_fitted, NAN, f->slope_per_year_ci_low,
                            f->slope_per_year_ci_high, f->slope_per_year, f->p_value};
        for (size_t j = 0; j < 6; j++)
            output_csv_number(out, v[j]);
        fprintf(out, "%s,%s\n", f->method_used == SIPAS_TREND_LM ? "lm" : "known_variance",
                f->lack_of_fit ? "lack_of_fit" : "");
        for (size_t k = 0; k < r->nprojections; k++) {
            const sipas_projection *p = &r->projections[k];
            fprintf(out, "projection,,%.0f,", p->year);
            const double w[] = {p->estimate, NAN, p->ci_low, p->ci_high, NAN, NAN};
            for (size_t j = 0; j < 6; j++)
                output_csv_number(out, w[j]);
            fprintf(out, ",%s\n", sipas_review_projection_flag(f));
        }
        for (size_t k = 0; k < r->ncrossings; k++) {
            fprintf(out, "crossing,,");
            output_csv_number(out, r->crossings[k].year);
            output_csv_number(out, r->crossings[k].threshold);
            fprintf(out, ",,,,,%s,\n", crossing_kind_name(r->crossings[k].kind));
        }
    }
    for (size_t k = 0; k < r->ntargets; k++) {
        const sipas_review_target *t = &r->targets[k];
        fprintf(out, "target,%s,%.0f,", t->target->indicator, t->target->target.year);
        const double w[] = {t->verdict.estimate, NAN, t->verdict.ci_low, t->verdict.ci_high, NAN,
                            t->target->target.threshold};
        for (size_t j = 0; j < 6; j++)
            output_csv_number(out, w[j]);
        fprintf(out, "%s,%s\n", sipas_verdict_name(t->verdict.verdict),
                t->verdict.projected ? sipas_review_projection_flag(&t->verdict.fit) : "");
    }
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        fprintf(out, "unit_trend,");
        csv_field(out, un->code);
        fprintf(out, "%.0f,", r->wave);
        const double w[] = {un->in_wave ? un->current.value.estimate : NAN, NAN,
                            un->has_fit ? un->fit.slope_per_year_ci_low : NAN,
                            un->has_fit ? un->fit.slope_per_year_ci_high : NAN,
                            un->has_fit ? un->fit.slope_per_year : NAN,
                            un->has_fit ? un->fit.p_value : NAN};
        for (size_t j = 0; j < 6; j++)
            output_csv_number(out, w[j]);
        fprintf(out, "%s,%s\n", sipas_trend_label_name(un->trend_label),
                un->has_fit && un->fit.lack_of_fit ? "lack_of_fit" : "");
    }
}

static void json_targets(FILE *out, const sipas_review_target *t, size_t n)
{
    fputc('[', out);
    for (size_t k = 0; k < n; k++) {
        const sipas_target_verdict *v = &t[k].verdict;
        fprintf(out, "%s\n{\"indicator\":", k ? "," : "");
        output_json_string(out, t[k].target->indicator);
        fprintf(out, ",\"scope\":");
        output_json_string(out, t[k].target->scope);
        fprintf(out, ",\"scope_value\":");
        output_json_string(out, t[k].target->scope_value);
        fprintf(out, ",\"year\":%.0f,\"threshold\":%.17g,\"comparison\":\"%s\",\"form\":",
                t[k].target->target.year, t[k].target->target.threshold,
                t[k].target->target.comparison == SIPAS_TARGET_ABOVE ? ">" : ">=");
        output_json_string(out, t[k].target->form);
        fprintf(out, ",\"measure\":");
        output_json_string(out, t[k].target->measure);
        fprintf(out, ",\"basis_data\":\"%s\",\"values\":%zu,\"verdict\":\"%s\",\"basis\":\"%s\","
                "\"projected\":%s,\"estimate\":", t[k].survey ? "survey" : "indicators",
                t[k].nwaves, sipas_verdict_name(v->verdict),
                v->basis == SIPAS_BASIS_POINT ? "point" : "interval", v->projected ? "true" : "false");
        output_json_number(out, v->estimate);
        fprintf(out, ",\"ci_low\":");
        output_json_number(out, v->ci_low);
        fprintf(out, ",\"ci_high\":");
        output_json_number(out, v->ci_high);
        fprintf(out, ",\"year_reaching\":");
        output_json_number(out, t[k].crossing.year);
        fprintf(out, ",\"crossing\":\"%s\",\"source\":", crossing_kind_name(t[k].crossing.kind));
        output_json_string(out, t[k].target->source);
        fputc('}', out);
    }
    fprintf(out, "]");
}

/* What the degenerate-variance rules did to a fit (docs/trends.md). */
static void json_fit_flags(FILE *out, const sipas_trend_fit *f)
{
    fprintf(out, ",\"waves_fitted\":%zu,\"waves_floored\":%zu,\"waves_srs_variance\":%zu,"
            "\"waves_left_out\":%zu,\"lack_of_fit\":%s,\"projection_flag\":\"%s\"",
            f->nwaves, f->nfloored, f->nsrs, f->nexcluded, f->lack_of_fit ? "true" : "false",
            sipas_review_projection_flag(f));
}

static void trend_json(analysis *a, const sipas_review *r)
{
    FILE *out = a->out;
    analysis_json_open(a);
    fprintf(out, ",\"measure\":");
    output_json_string(out, r->measure);
    fprintf(out, ",\"level\":%.17g,\"waves\":[", r->level);
    for (size_t k = 0; k < r->nwaves; k++) {
        fprintf(out, k ? "," : "");
        json_point(out, &r->province[k]);
    }
    fprintf(out, "],\"trend\":");
    if (r->has_trend) {
        const sipas_trend_fit *f = &r->fit;
        const char *names[] = {"year_centre", "intercept", "slope", "se_slope", "df", "p_value",
                               "lack_of_fit_p", "latest_fitted", "slope_per_year",
                               "slope_per_year_ci_low", "slope_per_year_ci_high"};
        const double v[] = {f->year_centre, f->intercept, f->slope, f->se_slope, f->df,
                            f->p_value, f->lack_of_fit_p, f->latest_fitted, f->slope_per_year,
                            f->slope_per_year_ci_low, f->slope_per_year_ci_high};
        fprintf(out, "{\"method\":\"%s\"", f->method_used == SIPAS_TREND_LM ? "lm" : "known_variance");
        for (size_t k = 0; k < 11; k++) {
            fprintf(out, ",\"%s\":", names[k]);
            output_json_number(out, v[k]);
        }
        json_fit_flags(out, f);
        fprintf(out, ",\"projections\":[");
        for (size_t k = 0; k < r->nprojections; k++) {
            const sipas_projection *p = &r->projections[k];
            fprintf(out, "%s{\"year\":%.17g,\"estimate\":", k ? "," : "", p->year);
            output_json_number(out, p->estimate);
            fprintf(out, ",\"ci_low\":");
            output_json_number(out, p->ci_low);
            fprintf(out, ",\"ci_high\":");
            output_json_number(out, p->ci_high);
            fputc('}', out);
        }
        fprintf(out, "],\"crossings\":[");
        for (size_t k = 0; k < r->ncrossings; k++) {
            fprintf(out, "%s{\"threshold\":%.17g,\"kind\":\"%s\",\"year\":", k ? "," : "",
                    r->crossings[k].threshold, crossing_kind_name(r->crossings[k].kind));
            output_json_number(out, r->crossings[k].year);
            fputc('}', out);
        }
        fprintf(out, "]}");
    } else {
        fprintf(out, "null");
    }
    fprintf(out, ",\"targets\":");
    json_targets(out, r->targets, r->ntargets);
    fprintf(out, ",\"unit_column\":");
    output_json_string(out, r->unit_column);
    fprintf(out, ",\"units\":[");
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        fprintf(out, "%s\n{\"unit\":", u ? "," : "");
        output_json_string(out, un->code);
        fprintf(out, ",\"label\":\"%s\",\"slope_per_year\":", sipas_trend_label_name(un->trend_label));
        output_json_number(out, un->has_fit ? un->fit.slope_per_year : NAN);
        fprintf(out, ",\"p_value\":");
        output_json_number(out, un->has_fit ? un->fit.p_value : NAN);
        if (un->has_fit)
            json_fit_flags(out, &un->fit);
        fprintf(out, ",\"series\":[");
        for (size_t k = 0; k < un->nwaves; k++) {
            fprintf(out, k ? "," : "");
            json_point(out, &un->series[k]);
        }
        fprintf(out, "]}");
    }
    fprintf(out, "\n]}\n");
}

int analyze_trend(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, trend_options,
                             sizeof trend_options / sizeof trend_options[0],
                             "trend --form ID [--measure M] [--by COL]",
                             "Trend of a measure over all waves: weighted least squares on the "
                             "logit scale, the slope\nin percentage points per year at the latest "
                             "wave, projections to 2025 and 2030, the year\nthe line reaches each "
                             "target, and the verdict for every target of surveys/targets.csv\n"
                             "that the measure stands for. With --by COL, the trend label of each "
                             "unit of COL.\nSee docs/review.md and docs/trends.md.", &help);
    if (code != CLI_EXIT_OK || help)
        return finish(&a, code);
    sipas_review_options o = {.change_adjust = SIPAS_ADJUST_NONE};
    if (a.nby > 1) {
        cli_error("trend --by takes one column, the units (e.g. district)");
        return finish(&a, CLI_EXIT_USAGE);
    }
    take_wave(&a, &o.wave);
    const char *m = cli_value(&a.args, "method");
    if (m && strcmp(m, "lm") == 0)
        o.trend_method = SIPAS_TREND_LM;
    else if (m && strcmp(m, "known") != 0) {
        cli_error("--method '%s' is not known or lm", m);
        return finish(&a, CLI_EXIT_USAGE);
    }
    const char *const *thr;
    size_t nthr = cli_values(&a.args, "threshold", &thr);
    double thresholds[CLI_MAX_VALUES];
    for (size_t k = 0; k < nthr; k++) {
        char *end = NULL;
        thresholds[k] = strtod(thr[k], &end);
        if (*end != '\0' || !(thresholds[k] > 0 && thresholds[k] < 1)) {
            cli_error("--threshold '%s' is not a proportion between 0 and 1 (0.90 for 90%%)",
                      thr[k]);
            return finish(&a, CLI_EXIT_USAGE);
        }
    }
    if (nthr > 0) {
        o.thresholds = thresholds;
        o.nthresholds = nthr;
    }
    sipas_targets *targets = NULL;
    sipas_review *r = NULL;
    code = run_review(&a, a.nby ? a.by[0] : NULL, &o, &targets, &r);
    if (code == CLI_EXIT_OK) {
        switch (a.format) {
        case OUTPUT_TABLE: trend_table(&a, r, a.nby > 0); break;
        case OUTPUT_CSV: trend_csv(&a, r); break;
        case OUTPUT_JSON: trend_json(&a, r); break;
        }
    }
    sipas_review_free(r);
    sipas_targets_free(targets);
    return finish(&a, code);
}

/* ================================ rank ================================ */

static const cli_option rank_options[] = {
    MEASURE_OPTION,
    {"unit", "COL", "the units to rank (default: the stratum column, e.g. district)", false},
    {"adjust", "M", "multiple comparisons: holm (default), bh or none", false},
    {"change-adjust", "M", "units up/down vs last year: none (default), holm or bh", false},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_rank_options = CLI_OPTION_TABLE(rank_options);

static void rank_table(analysis *a, const sipas_review *r, sipas_p_adjust_method adjust)
{
    FILE *out = a->out;
    bool vi = is_vi(a);
    char b1[32], b2[32], b3[32], b4[32], b5[32], ci[200];
    fprintf(out, "%s: %s — %s %.0f\n", a->inst->form_id,
            measure_label(a, r->measure, r->label_vi, r->label_en), vi ? "đợt" : "wave", r->wave);
    const sipas_review_point *pc = &r->province_current;
    if (pc->variance_estimable)
        snprintf(ci, sizeof ci, "%s – %s", analysis_percent(a, pc->ci_low, b2, sizeof b2),
                 analysis_percent(a, pc->ci_high, b3, sizeof b3));
    else
        not_estimable_text(a, sipas_review_point_reason(pc, vi), ci, sizeof ci);
    fprintf(out, vi ? "Toàn tỉnh: %s (%s). Hiệu chỉnh so sánh bội: %s; khoảng tin cậy %g%%\n\n"
                    : "Province: %s (%s). Multiple comparisons: %s; %g%% intervals\n\n",
            analysis_percent(a, pc->value.estimate, b1, sizeof b1), ci,
            adjust == SIPAS_ADJUST_HOLM ? "Holm" : adjust == SIPAS_ADJUST_BH ? "Benjamini-Hochberg"
                                                                             : (vi ? "không" : "none"),
            100 * r->level);
    output_row_begin(out); /* the column's label may wrap */
    output_right(out, vi ? "hạng" : "rank", 4);
    output_padded(out, column_label(a, r->unit_column), 22);
    output_right(out, vi ? "chỉ số" : "index", 9);
    fputc(' ', out);
    output_padded(out, vi ? "khoảng tin cậy" : "interval", 19);
    output_right(out, vi ? "so tỉnh" : "vs prov.", 9);
    output_right(out, vi ? "p hiệu ch." : "p adj.", 9);
    fputc(' ', out);
    output_padded(out, vi ? "kết luận" : "finding", 14);
    output_right(out, vi ? "so năm tr." : "vs last yr", 10);
    output_row_end(out);
    /* by rank */
    for (size_t rank = 1; rank <= r->nunits; rank++)
        for (size_t u = 0; u < r->nunits; u++) {
            const sipas_review_unit *un = &r->units[u];
            if (!un->in_wave || un->comparison.rank != rank)
                continue;
            char rank_text[24];
            snprintf(rank_text, sizeof rank_text, "%zu", rank);
            output_row_begin(out); /* a long unit label wraps within its column */
            output_right(out, rank_text, 4);
            output_padded(out, analysis_domain_label(a, r->unit_column, un->code), 22);
            snprintf(ci, sizeof ci, "%s – %s", analysis_percent(a, un->current.ci_low, b1, sizeof b1),
                     analysis_percent(a, un->current.ci_high, b2, sizeof b2));
            fprintf(out, "%9s  ", analysis_percent(a, un->current.value.estimate, b3, sizeof b3));
            const char *reason = sipas_review_unit_reason(r, un, vi);
            if (reason != NULL) {
                /* no p-value or finding (nor interval without one): the row says why instead */
                if (un->current.variance_estimable)
                    output_padded(out, ci, 19);
                fputs(not_estimable_text(a, reason, ci, sizeof ci), out);
                output_row_end(out);
                continue;
            }
            output_padded(out, ci, 19);
            fprintf(out, "%9s %9s  ", points(a, un->comparison.vs_province.difference, b4, sizeof b4),
                    pvalue(a, un->comparison.p_adjusted, b5, sizeof b5));
            output_padded(out, flag_text(a, un->comparison.flag), 14);
            bool change_tested = un->has_previous && un->change.has_se;
            fprintf(out, "%10s", points(a, change_tested ? un->change.difference : NAN, b1,
                                       sizeof b1));
            output_row_end(out);
        }
    for (size_t u = 0; u < r->nunits; u++)
        if (!r->units[u].in_wave)
            fprintf(out, vi ? "   - %s: không có ước lượng trong đợt này\n"
                            : "   - %s: no estimate in this wave\n",
                    analysis_domain_label(a, r->unit_column, r->units[u].code));
    const sipas_change_counts *c = &r->unit_changes;
    fprintf(out, vi ? "\n%zu đơn vị: %zu cao hơn, %zu thấp hơn toàn tỉnh có ý nghĩa thống kê"
                    : "\n%zu units: %zu significantly above, %zu significantly below the province",
            r->ranked - r->untested, r->significantly_above, r->significantly_below);
    if (r->untested > 0)
        fprintf(out, vi ? "; %zu đơn vị không ước lượng được, không tính" : "; %zu not estimable, "
                "left out", r->untested);
    fprintf(out, ".\n");
    if (r->has_previous) {
        fprintf(out, vi ? "So với %.0f (%zu đơn vị có cả hai đợt): %zu tăng, %zu giảm, %zu không đổi; "
                          "có ý nghĩa: %zu tăng, %zu giảm"
                        : "Against %.0f (%zu units in both waves): %zu up, %zu down, %zu unchanged; "
                          "significant: %zu up, %zu down",
                r->previous_wave, c->compared - c->not_estimable, c->up, c->down, c->same,
                c->significant_up, c->significant_down);
        if (c->not_estimable > 0)
            fprintf(out, vi ? "; %zu đơn vị không ước lượng được, không tính"
                            : "; %zu not estimable, left out", c->not_estimable);
        fprintf(out, ".\n");
    }
}

static void rank_csv(analysis *a, const sipas_review *r)
{
    FILE *out = a->out;
    fprintf(out, "%s,wave,measure,n,estimate,se,df,ci_low,ci_high,cov_with_province,rank,"
            "difference,diff_se,diff_ci_low,diff_ci_high,p_value,p_adjusted,flag,"
            "previous_estimate,change,change_se,change_p_value,not_estimable,"
            "change_not_estimable\n", r->unit_column);
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        csv_field(out, un->code);
        fprintf(out, "%.0f,%s,%zu,", r->wave, r->measure, un->current.n);
        const sipas_change *d = &un->comparison.vs_province;
        bool in = un->in_wave;
        const double v[] = {un->current.value.estimate, un->current.se, un->current.value.df,
                            un->current.ci_low, un->current.ci_high, un->cov_with_province};
        for (size_t k = 0; k < 6; k++)
            output_csv_number(out, v[k]);
        if (in)
            fprintf(out, "%zu,", un->comparison.rank);
        else
            fputc(',', out);
        const double w[] = {in ? d->difference : NAN, in ? d->se : NAN, in ? d->ci_low : NAN,
                            in ? d->ci_high : NAN, in ? d->p_value : NAN,
                            in ? un->comparison.p_adjusted : NAN};
        for (size_t k = 0; k < 6; k++)
            output_csv_number(out, w[k]);
        fprintf(out, "%s,", in ? flag_name(un->comparison.flag) : "");
        bool hp = un->has_previous;
        const double x[] = {hp ? un->previous.value.estimate : NAN, hp ? un->change.difference : NAN,
                            hp ? un->change.se : NAN};
        for (size_t k = 0; k < 3; k++)
            output_csv_number(out, x[k]);
        if (hp && !isnan(un->change.p_value))
            fprintf(out, "%.17g", un->change.p_value);
        fputc(',', out);
        csv_field(out, in ? sipas_review_unit_reason(r, un, false) : NULL);
        csv_last_field(out, hp ? sipas_review_untested_reason(&un->change, &un->previous,
                                                              &un->current, false)
                               : NULL);
    }
}

static void rank_json(analysis *a, const sipas_review *r)
{
    FILE *out = a->out;
    analysis_json_open(a);
    fprintf(out, ",\"measure\":");
    output_json_string(out, r->measure);
    fprintf(out, ",\"wave\":%.0f,\"level\":%.17g,\"unit_column\":", r->wave, r->level);
    output_json_string(out, r->unit_column);
    fprintf(out, ",\"province\":");
    json_point(out, &r->province_current);
    const sipas_change_counts *c = &r->unit_changes;
    fprintf(out, ",\"significantly_above\":%zu,\"significantly_below\":%zu,\"previous_wave\":",
            r->significantly_above, r->significantly_below);
    output_json_number(out, r->previous_wave);
    fprintf(out, ",\"not_estimable\":%zu,\"changes\":{\"compared\":%zu,\"not_estimable\":%zu,"
            "\"up\":%zu,\"down\":%zu,\"same\":%zu,\"significant_up\":%zu,"
            "\"significant_down\":%zu},\"units\":[", r->untested, c->compared,
            c->not_estimable, c->up, c->down, c->same, c->significant_up, c->significant_down);
    for (size_t u = 0; u < r->nunits; u++) {
        const sipas_review_unit *un = &r->units[u];
        fprintf(out, "%s\n{\"unit\":", u ? "," : "");
        output_json_string(out, un->code);
        fprintf(out, ",\"current\":");
        json_point(out, &un->current);
        if (un->in_wave) {
            fprintf(out, ",\"rank\":%zu,\"cov_with_province\":", un->comparison.rank);
            output_json_number(out, un->cov_with_province);
            fprintf(out, ",\"vs_province\":");
            json_change(out, &un->comparison.vs_province);
            fprintf(out, ",\"p_adjusted\":");
            output_json_number(out, un->comparison.p_adjusted);
            fprintf(out, ",\"flag\":\"%s\"", flag_name(un->comparison.flag));
            json_reason(out, sipas_review_unit_reason(r, un, false));
        }
        fprintf(out, ",\"vs_previous\":");
        if (un->has_previous) {
            json_change(out, &un->change);
            fprintf(out, ",\"vs_previous_not_estimable\":");
            const char *reason = sipas_review_untested_reason(&un->change, &un->previous,
                                                              &un->current, false);
            if (reason != NULL)
                output_json_string(out, reason);
            else
                fprintf(out, "null");
        } else {
            fprintf(out, "null");
        }
        fputc('}', out);
    }
    fprintf(out, "\n]}\n");
}

int analyze_rank(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, rank_options,
                             sizeof rank_options / sizeof rank_options[0],
                             "rank --form ID [--measure M] [--unit COL] [--wave Y] [--adjust holm|bh|none]",
                             "Units (districts) ranked in one wave against the province: estimate, "
                             "interval, rank,\ndifference from the province with Cov(unit, "
                             "province), adjusted p-value and finding;\ncounts of units "
                             "significantly above/below and of units up/down since the previous "
                             "wave.\nSee docs/review.md and docs/trends.md.", &help);
    if (code != CLI_EXIT_OK || help)
        return finish(&a, code);
    sipas_review_options o = {0};
    if (a.nby > 0) {
        cli_error("rank takes --unit COL, not --by");
        return finish(&a, CLI_EXIT_USAGE);
    }
    take_wave(&a, &o.wave);
    if (!parse_adjust(cli_value(&a.args, "adjust"), &o.rank_adjust))
        return finish(&a, CLI_EXIT_USAGE);
    const char *ca = cli_value(&a.args, "change-adjust");
    if (!parse_adjust(ca ? ca : "none", &o.change_adjust))
        return finish(&a, CLI_EXIT_USAGE);
    sipas_targets *targets = NULL;
    sipas_review *r = NULL;
    code = run_review(&a, cli_value(&a.args, "unit"), &o, &targets, &r);
    if (code == CLI_EXIT_OK) {
        switch (a.format) {
        case OUTPUT_TABLE: rank_table(&a, r, o.rank_adjust); break;
        case OUTPUT_CSV: rank_csv(&a, r); break;
        case OUTPUT_JSON: rank_json(&a, r); break;
        }
    }
    sipas_review_free(r);
    sipas_targets_free(targets);
    return finish(&a, code);
}

/* ================================ targets ================================ */

static const cli_option targets_options[] = {
    {"map", "IND=FORM[:MEASURE]", "the survey measure an indicator of targets.csv is", true},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_targets_options = CLI_OPTION_TABLE(targets_options);

static void targets_table(analysis *a, const sipas_review_target *t, size_t n)
{
    FILE *out = a->out;
    bool vi = is_vi(a);
    char b1[32], b2[32], b3[32], b4[32], ci[200];
    fprintf(out, vi ? "Mục tiêu (%s) và đánh giá; khảo sát %s\n\n"
                    : "Targets (%s) and verdicts; survey %s\n\n",
            n ? t[0].target->scope_value : "-", a->inst->form_id);
    output_padded(out, vi ? "chỉ tiêu" : "indicator", 22);
    output_padded(out, vi ? "năm" : "year", 4);
    output_right(out, vi ? "mục tiêu" : "target", 9);
    fputc(' ', out);
    output_padded(out, vi ? "dữ liệu" : "data", 18);
    output_right(out, vi ? "giá trị" : "value", 9);
    fputc(' ', out);
    output_padded(out, vi ? "khoảng tin cậy" : "interval", 19);
    output_padded(out, vi ? "năm đạt" : "reaches", 9);
    fprintf(out, "%s\n", vi ? "đánh giá" : "verdict");
    for (size_t k = 0; k < n; k++) {
        const sipas_target_verdict *v = &t[k].verdict;
        output_padded(out, t[k].target->indicator, 22);
        snprintf(b1, sizeof b1, "%s%s", t[k].target->target.comparison == SIPAS_TARGET_ABOVE ? ">" : "≥",
                 analysis_percent(a, t[k].target->target.threshold, b2, sizeof b2));
        const char *data = t[k].survey ? (vi ? "khảo sát" : "survey")
                                       : (vi ? "số liệu báo cáo" : "reported");
        char data_text[64];
        snprintf(data_text, sizeof data_text, "%s %zu", data, t[k].nwaves);
        fprintf(out, "%4.0f ", t[k].target->target.year);
        output_right(out, b1, 9);
        fputc(' ', out);
        output_padded(out, data_text, 18);
        snprintf(ci, sizeof ci, "%s – %s", analysis_percent(a, v->ci_low, b3, sizeof b3),
                 analysis_percent(a, v->ci_high, b4, sizeof b4));
        fprintf(out, "%9s%s ", analysis_percent(a, v->estimate, b2, sizeof b2),
                v->projected ? "*" : " ");
        output_padded(out, v->basis == SIPAS_BASIS_POINT ? (vi ? "(không có SE)" : "(no SE)") : ci, 19);
        fprintf(out, "%-9s %s\n", year_text(sipas_review_crossing_year(&t[k].crossing), b1, sizeof b1),
                verdict_text(a, v->verdict));
    }
    fprintf(out, vi ? "\n* dự báo theo xu hướng logit có trọng số (phương sai mẫu đã biết). Quy tắc: "
                      "năm có khảo sát — đạt khi cận dưới đạt\nmục tiêu, không đạt khi cận trên "
                      "không đạt, còn lại chưa phân biệt được; năm tương lai — đúng hướng / có\n"
                      "nguy cơ / chệch hướng theo cùng quy tắc trên khoảng dự báo; cần ít nhất 3 đợt. "
                      "Xem docs/review.md.\n"
                    : "\n* projected by the weighted logit trend (known sampling variances). Rule: "
                      "observed year — met when the lower\nbound meets the target, not met when the "
                      "upper bound does not, otherwise not distinguishable; future year —\non track / "
                      "at risk / off track by the same rule on the projection interval; needs 3 "
                      "waves. See docs/review.md.\n");
}

static void targets_csv(analysis *a, const sipas_review_target *t, size_t n)
{
    FILE *out = a->out;
    fprintf(out, "indicator,scope,scope_value,year,comparison,threshold,form,measure,data,values,"
            "estimate,ci_low,ci_high,projected,basis,year_reaching,verdict\n");
    for (size_t k = 0; k < n; k++) {
        const sipas_target_row *tr = t[k].target;
        const sipas_target_verdict *v = &t[k].verdict;
        csv_field(out, tr->indicator);
        csv_field(out, tr->scope);
        csv_field(out, tr->scope_value);
        fprintf(out, "%.0f,%s,%.17g,", tr->target.year,
                tr->target.comparison == SIPAS_TARGET_ABOVE ? ">" : ">=", tr->target.threshold);
        csv_field(out, tr->form);
        csv_field(out, tr->measure);
        fprintf(out, "%s,%zu,", t[k].survey ? "survey" : "indicators", t[k].nwaves);
        output_csv_number(out, v->estimate);
        output_csv_number(out, v->ci_low);
        output_csv_number(out, v->ci_high);
        fprintf(out, "%s,%s,", v->projected ? "true" : "false",
                v->basis == SIPAS_BASIS_POINT ? "point" : "interval");
        output_csv_number(out, t[k].crossing.year);
        fprintf(out, "%s\n", sipas_verdict_name(v->verdict));
    }
}

int analyze_targets(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, targets_options,
                             sizeof targets_options / sizeof targets_options[0],
                             "targets --form ID [--map INDICATOR=FORM[:MEASURE]]",
                             "Every target of surveys/targets.csv with its verdict. Indicators "
                             "mapped to the form\n(sipas_procedures = overall index of sipas2017 "
                             "unless --map or targets.csv's form and\nmeasure columns say "
                             "otherwise) are judged on the survey; the others on the values of\n"
                             "surveys/indicators.csv. See docs/review.md.", &help);
    if (code != CLI_EXIT_OK || help)
        return finish(&a, code);
    sipas_targets *targets = NULL;
    if ((code = load_targets(&a, &targets)) != CLI_EXIT_OK) {
        sipas_targets_free(targets);
        return finish(&a, code);
    }
    sipas_review_target *t = NULL;
    size_t n = 0;
    sipas_error err = {0};
    if (sipas_review_targets(a.data, &a.index, targets, &t, &n, &err) != SIPAS_OK) {
        code = cli_fail(&err);
    } else {
        switch (a.format) {
        case OUTPUT_TABLE: targets_table(&a, t, n); break;
        case OUTPUT_CSV: targets_csv(&a, t, n); break;
        case OUTPUT_JSON:
            analysis_json_open(&a);
            fprintf(a.out, ",\"level\":%.17g,\"targets\":", a.index.level > 0 ? a.index.level : 0.95);
            json_targets(a.out, t, n);
            fprintf(a.out, "}\n");
            break;
        }
    }
    free(t);
    sipas_targets_free(targets);
    return finish(&a, code);
}
