/* sipas-analyze index: the satisfaction index table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"

static const cli_option index_options[] = {
    {"level-of", "LEVELS", "rows to show: overall,element,criterion (default: all)", false},
    {"in-memory", NULL, "load every respondent and compute from arrays instead of summing in one "
     "pass over the store (the same numbers to rounding; calibrated weights and designs without "
     "clusters always do)", false},
    ANALYSIS_OPTIONS,
};
const cli_options analyze_index_options = CLI_OPTION_TABLE(index_options);

static bool row_wanted(const sipas_index_row *row, const char *levels)
{
    return levels == NULL || strstr(levels, sipas_index_level_name(row->level)) != NULL;
}

static void write_table(analysis *a, const sipas_index_result *r, const char *levels)
{
    FILE *out = a->out;
    bool vi = strcmp(a->lang, "vi") == 0;
    char lo[32], hi[32], est[32];
    fprintf(out, "%s: %s %s\n", a->inst->form_id, vi ? a->inst->title_vi : a->inst->title_en,
            vi ? "— chỉ số hài lòng" : "— satisfaction index");
    /* the respondents of the table, then the design they are a domain of: a 2024 table is
     * over its own 2200, not the pooled 13200 of every wave */
    size_t respondents = 0;
    for (size_t d = 0; d < r->ndomains; d++)
        respondents += r->domains[d].respondents;
    fprintf(out, vi ? "Khoảng tin cậy %s %g%%; %zu phiếu trong bảng (thiết kế chung của mọi đợt: "
                      "%zu phiếu, %zu tầng, %zu đơn vị mẫu cấp 1)\n"
                    : "%s interval at %g%%; %zu respondents in the table (the design of every "
                      "wave: %zu respondents, %zu strata, %zu primary sampling units)\n",
            sipas_ci_method_name(r->ci), 100 * r->level, respondents, r->design_rows, r->nstrata,
            r->npsu);
    if (r->wave_added)
        fprintf(out, vi ? "(theo từng đợt khảo sát: dữ liệu có nhiều đợt)\n"
                        : "(by wave: the store holds several waves)\n");
    fputc('\n', out);
    output_row_begin(out); /* long labels wrap within their column */
    for (size_t b = 0; b < r->nby; b++) {
        /* the column's label, not its code ("Huyện/thành phố", not "district") */
        const sipas_item *item = sipas_instrument_item(a->inst, r->by[b]);
        output_padded(out, item ? analysis_label(a, item->label_vi, item->label_en, r->by[b])
                                : r->by[b], b == 0 && strcmp(r->by[b], "wave") == 0 ? 6 : 18);
    }
    output_padded(out, vi ? "chỉ tiêu" : "measure", 46);
    output_right(out, "n", 7);
    output_right(out, vi ? "chỉ số" : "index", 9);
    fputc(' ', out);
    output_padded(out, vi ? "khoảng tin cậy" : "confidence interval", 19);
    output_right(out, "SE", 6);
    output_right(out, "deff", 6);
    fprintf(out, " %s", vi ? "cờ" : "flags");
    output_row_end(out);
    for (size_t i = 0; i < r->nrows; i++) {
        const sipas_index_row *row = &r->rows[i];
        if (!row_wanted(row, levels))
            continue;
        const sipas_index_domain *dom = &r->domains[row->domain];
        output_row_begin(out);
        for (size_t b = 0; b < r->nby; b++)
            output_padded(out, analysis_domain_label(a, r->by[b], dom->values[b]),
                          b == 0 && strcmp(r->by[b], "wave") == 0 ? 6 : 18);
        char label[256];
        const char *text = vi ? row->label_vi : row->label_en;
        snprintf(label, sizeof label, "%s%s", row->level == SIPAS_LEVEL_CRITERION ? "    " :
                 row->level == SIPAS_LEVEL_ELEMENT ? "  " : "", text && *text ? text : row->name);
        output_padded(out, label, 46);
        bool nps = row->scoring == SIPAS_SCORING_NPS;
        if (nps) {
            snprintf(est, sizeof est, "%+.1f", 100 * row->estimate);
            snprintf(lo, sizeof lo, "%+.1f", 100 * row->ci_low);
            snprintf(hi, sizeof hi, "%+.1f", 100 * row->ci_high);
        } else {
            analysis_percent(a, row->estimate, est, sizeof est);
            analysis_percent(a, row->ci_low, lo, sizeof lo);
            analysis_percent(a, row->ci_high, hi, sizeof hi);
        }
        char ci[96], se[32], deff[32];
        snprintf(ci, sizeof ci, "%s – %s", lo, hi);
        snprintf(se, sizeof se, isnan(row->se) ? "-" : "%.2f", 100 * row->se);
        snprintf(deff, sizeof deff, isnan(row->deff) ? "-" : "%.2f", row->deff);
        if (vi) {
            sipas_number_set_decimal(se, ',');
            sipas_number_set_decimal(deff, ',');
        }
        fprintf(out, "%7zu %9s  ", row->n, est);
        output_padded(out, ci, 19);
        fprintf(out, " %6s %6s  %s", se, deff, output_flags(row->flags, nps));
        if (row->estimable && row->variance_status != SIPAS_VARIANCE_OK)
            fprintf(out, " (%s: %s)", vi ? "không có khoảng tin cậy" : "no interval",
                    sipas_variance_status_text(row->variance_status, a->lang));
        output_row_end(out);
    }
    fprintf(out, vi ? "\nSE: sai số chuẩn, điểm phần trăm. Cờ theo chuẩn trình bày NCHS 2017: "
                      "suppress = nên ẩn, few_df = ít bậc tự do; small_cell = dưới %zu người trả "
                      "lời, không công bố giá trị.\n"
                    : "\nSE: standard error in percentage points. Flags follow the NCHS 2017 "
                      "presentation standards: suppress = do not publish, few_df = review; "
                      "small_cell = fewer than %zu respondents, values withheld.\n",
            a->index.min_cell ? a->index.min_cell : (size_t)SIPAS_DEFAULT_MIN_CELL);
}

static const char *const csv_fixed[] = {
    "measure", "level", "label", "scoring", "n", "estimate", "se", "ci_low", "ci_high", "ci_method",
    "df", "deff", "kish_deff", "n_eff", "n_empty", "n_dont_know", "n_not_applicable", "n_refused",
    "flags", "variance_status",
};

/* One CSV for every domain set: the by columns are the union of the sets' columns, in order of
 * first appearance; a row leaves the columns of other sets empty (a margin over them). */
static void write_csv(analysis *a, sipas_index_result *const *results, size_t nresults,
                      const char *levels)
{
    FILE *out = a->out;
    const char *columns[CLI_MAX_VALUES * 2];
    size_t ncolumns = 0;
    for (size_t s = 0; s < nresults; s++)
        for (size_t b = 0; b < results[s]->nby; b++) {
            size_t c = 0;
            while (c < ncolumns && strcmp(columns[c], results[s]->by[b]) != 0)
                c++;
            if (c == ncolumns && ncolumns < sizeof columns / sizeof columns[0])
                columns[ncolumns++] = results[s]->by[b];
        }
    for (size_t c = 0; c < ncolumns; c++)
        fprintf(out, "%s,", columns[c]);
    for (size_t c = 0; c < sizeof csv_fixed / sizeof csv_fixed[0]; c++)
        fprintf(out, "%s%c", csv_fixed[c], c + 1 < sizeof csv_fixed / sizeof csv_fixed[0] ? ',' : '\n');
    bool vi = strcmp(a->lang, "vi") == 0;
    for (size_t s = 0; s < nresults; s++) {
        const sipas_index_result *r = results[s];
        for (size_t i = 0; i < r->nrows; i++) {
            const sipas_index_row *row = &r->rows[i];
            if (!row_wanted(row, levels))
                continue;
            for (size_t c = 0; c < ncolumns; c++) {
                for (size_t b = 0; b < r->nby; b++)
                    if (strcmp(r->by[b], columns[c]) == 0) {
                        const char *code = r->domains[row->domain].values[b];
                        sipas_csv_write_field(out, code, strlen(code), ',');
                    }
                fputc(',', out);
            }
            const char *label = vi ? row->label_vi : row->label_en;
            fprintf(out, "%s,%s,", row->name, sipas_index_level_name(row->level));
            sipas_csv_write_field(out, label ? label : "", label ? strlen(label) : 0, ',');
            fprintf(out, ",%s,%zu,", sipas_scoring_name(row->scoring), row->n);
            const double v[] = {row->estimate, row->se, row->ci_low, row->ci_high};
            for (size_t k = 0; k < 4; k++)
                output_csv_number(out, v[k]);
            fprintf(out, "%s,", sipas_ci_method_name(row->ci_method));
            const double w[] = {row->df, row->deff, row->kish_deff, row->n_eff};
            for (size_t k = 0; k < 4; k++)
                output_csv_number(out, w[k]);
            fprintf(out, "%zu,%zu,%zu,%zu,%s,%s\n", row->n_missing[0],
                    row->n_missing[SIPAS_MISSING_DONT_KNOW],
                    row->n_missing[SIPAS_MISSING_NOT_APPLICABLE],
                    row->n_missing[SIPAS_MISSING_REFUSED], output_flag_names(row->flags),
                    sipas_variance_status_name(row->variance_status));
        }
    }
}

static void write_json(analysis *a, const sipas_index_result *r, const char *levels)
{
    FILE *out = a->out;
    bool vi = strcmp(a->lang, "vi") == 0;
    analysis_json_open(a);
    fprintf(out, ",\"ci_method\":\"%s\",\"level\":%.17g,\"respondents\":%zu,\"strata\":%zu,"
            "\"psus\":%zu,\"by\":[", sipas_ci_method_name(r->ci), r->level, r->design_rows,
            r->nstrata, r->npsu);
    for (size_t b = 0; b < r->nby; b++) {
        if (b)
            fputc(',', out);
        output_json_string(out, r->by[b]);
    }
    fprintf(out, "],\"rows\":[");
    bool first = true;
    for (size_t i = 0; i < r->nrows; i++) {
        const sipas_index_row *row = &r->rows[i];
        if (!row_wanted(row, levels))
            continue;
        fprintf(out, "%s\n{", first ? "" : ",");
        first = false;
        for (size_t b = 0; b < r->nby; b++) {
            output_json_string(out, r->by[b]);
            fputc(':', out);
            output_json_string(out, r->domains[row->domain].values[b]);
            fputc(',', out);
        }
        fprintf(out, "\"measure\":");
        output_json_string(out, row->name);
        fprintf(out, ",\"level\":\"%s\",\"label\":", sipas_index_level_name(row->level));
        output_json_string(out, vi ? row->label_vi : row->label_en);
        fprintf(out, ",\"scoring\":\"%s\",\"n\":%zu", sipas_scoring_name(row->scoring), row->n);
        const char *names[] = {"estimate", "se", "ci_low", "ci_high", "df", "deff", "kish_deff", "n_eff"};
        const double v[] = {row->estimate, row->se, row->ci_low, row->ci_high, row->df, row->deff,
                            row->kish_deff, row->n_eff};
        for (size_t k = 0; k < 8; k++) {
            fprintf(out, ",\"%s\":", names[k]);
            output_json_number(out, v[k]);
        }
        fprintf(out, ",\"ci_method\":\"%s\",\"missing\":{\"empty\":%zu,\"dont_know\":%zu,"
                "\"not_applicable\":%zu,\"refused\":%zu},\"flags\":\"%s\"",
                sipas_ci_method_name(row->ci_method), row->n_missing[0],
                row->n_missing[SIPAS_MISSING_DONT_KNOW], row->n_missing[SIPAS_MISSING_NOT_APPLICABLE],
                row->n_missing[SIPAS_MISSING_REFUSED], output_flag_names(row->flags));
        fprintf(out, ",\"variance_status\":\"%s\",\"variance_note\":",
                sipas_variance_status_name(row->variance_status));
        output_json_string(out, sipas_variance_status_text(row->variance_status, a->lang));
        fputc('}', out);
    }
    fprintf(out, "\n]}\n");
}

int analyze_index(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open_index(&a, argc, argv, index_options, sizeof index_options / sizeof index_options[0],
                             "index --form ID [--by COLS]... [--where COND] [options]",
                             "Criterion, element and overall satisfaction indices with design-based "
                             "standard errors,\nconfidence intervals, design effects and NCHS flags, "
                             "by domain. Each --by gives one table\n(--by wave --by wave,district: both from one reading "
                             "of the store). See docs/methodology.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        analysis_close(&a);
        return code;
    }
    const char *levels = cli_value(&a.args, "level-of");
    /* Every --by set from one reading of the store; nothing is written unless all succeed. */
    size_t nsets = a.nby_sets ? a.nby_sets : 1;
    sipas_index_result *results[CLI_MAX_VALUES] = {0};
    sipas_index_options sets[CLI_MAX_VALUES];
    sipas_error err = {0};
    for (size_t s = 0; s < nsets; s++) {
        sets[s] = a.index;
        sets[s].by = a.by + a.by_set_start[s];
        sets[s].nby = a.nby_sets ? a.by_set_start[s + 1] - a.by_set_start[s] : 0;
    }
    if (a.stream_index) {
        if (sipas_index_compute_stream(a.store, a.inst, sets, nsets, results, &err) != SIPAS_OK)
            code = cli_fail(&err);
    } else {
        for (size_t s = 0; s < nsets && code == CLI_EXIT_OK; s++)
            if (sipas_index_compute(a.data, &sets[s], &results[s], &err) != SIPAS_OK)
                code = cli_fail(&err);
    }
    if (code == CLI_EXIT_OK) {
        switch (a.format) {
        case OUTPUT_TABLE:
            for (size_t s = 0; s < nsets; s++) {
                if (s)
                    fputc('\n', a.out);
                write_table(&a, results[s], levels);
            }
            break;
        case OUTPUT_CSV:
            write_csv(&a, results, nsets, levels);
            break;
        case OUTPUT_JSON: /* one object, or an array of one per set */
            if (nsets > 1)
                fputc('[', a.out);
            for (size_t s = 0; s < nsets; s++) {
                if (s)
                    fputc(',', a.out);
                write_json(&a, results[s], levels);
            }
            if (nsets > 1)
                fputs("]\n", a.out);
            break;
        }
    }
    for (size_t s = 0; s < nsets; s++)
        sipas_index_result_free(results[s]);
    analysis_close(&a);
    return code;
}
