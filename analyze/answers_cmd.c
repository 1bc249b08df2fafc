/* sipas-analyze answers: the distribution of answers to each criterion (sipas/answer_distribution.h)
 * as a table, CSV (one row per criterion and level) or JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/answer_distribution.h"
#include "sipas/csv_writer.h"

static const cli_option answers_options[] = {
    ANALYSIS_OPTIONS,
};
const cli_options analyze_answers_options = CLI_OPTION_TABLE(answers_options);

static void write_table(analysis *a, const sipas_answer_distribution *d)
{
    FILE *out = a->out;
    bool vi = strcmp(a->lang, "vi") == 0;
    char est[32], lo[32], hi[32], ci[96];
    fprintf(out, vi ? "%s: phân bố câu trả lời (tỷ lệ trong câu trả lời hợp lệ, khoảng tin cậy %s "
                      "%g%%)\n"
                    : "%s: distribution of answers (share of valid answers, %s interval at %g%%)\n",
            a->inst->form_id, sipas_ci_method_name(d->ci), 100 * d->level);
    for (size_t i = 0; i < d->ncriteria; i++) {
        const sipas_answer_criterion *c = &d->criteria[i];
        fprintf(out, "\n%s\n", analysis_label(a, c->item->label_vi, c->item->label_en, c->item->name));
        for (size_t j = 0; j < c->nlevels; j++) {
            const sipas_answer_share *s = &c->levels[j];
            /* the level's label indented in its cell, so that its wrapped lines keep the indent
             * ("0 - Hoàn toàn không giới thiệu" on an 11-point scale) */
            char level[256];
            snprintf(level, sizeof level, "  %s",
                     analysis_label(a, s->choice->label_vi, s->choice->label_en, s->choice->name));
            output_row_begin(out);
            output_padded(out, level, 26);
            snprintf(ci, sizeof ci, "(%s – %s)", analysis_percent(a, s->ci_low, lo, sizeof lo),
                     analysis_percent(a, s->ci_high, hi, sizeof hi));
            fprintf(out, "%9s  %s%s", analysis_percent(a, s->share, est, sizeof est), ci,
                    (s->flags & SIPAS_NCHS_SUPPRESS) ? " †" : "");
            output_row_end(out);
        }
        fprintf(out, vi ? "  %zu câu hợp lệ; trống %zu, không biết %zu, không áp dụng %zu, từ chối %zu\n"
                        : "  %zu valid; empty %zu, don't know %zu, not applicable %zu, refused %zu\n",
                c->valid, c->missing[0], c->missing[SIPAS_MISSING_DONT_KNOW],
                c->missing[SIPAS_MISSING_NOT_APPLICABLE], c->missing[SIPAS_MISSING_REFUSED]);
    }
    fprintf(out, vi ? "\n† không đủ tin cậy để công bố (chuẩn NCHS 2017)\n"
                    : "\n† not reliable enough to publish (NCHS 2017 standards)\n");
}

static void write_csv(analysis *a, const sipas_answer_distribution *d)
{
    FILE *out = a->out;
    fprintf(out, "criterion,label,level,level_label,share,ci_low,ci_high,flags,valid,empty,"
                 "dont_know,not_applicable,refused\n");
    for (size_t i = 0; i < d->ncriteria; i++) {
        const sipas_answer_criterion *c = &d->criteria[i];
        const char *label = analysis_label(a, c->item->label_vi, c->item->label_en, "");
        for (size_t j = 0; j < c->nlevels; j++) {
            const sipas_answer_share *s = &c->levels[j];
            const char *level = analysis_label(a, s->choice->label_vi, s->choice->label_en, "");
            sipas_csv_write_field(out, c->item->name, strlen(c->item->name), ',');
            fputc(',', out);
            sipas_csv_write_field(out, label, strlen(label), ',');
            fprintf(out, ",%ld,", s->choice->value);
            sipas_csv_write_field(out, level, strlen(level), ',');
            fputc(',', out);
            output_csv_number(out, s->share);
            output_csv_number(out, s->ci_low);
            output_csv_number(out, s->ci_high);
            fprintf(out, "%s,%zu,%zu,%zu,%zu,%zu\n", output_flag_names(s->flags), c->valid,
                    c->missing[0], c->missing[SIPAS_MISSING_DONT_KNOW],
                    c->missing[SIPAS_MISSING_NOT_APPLICABLE], c->missing[SIPAS_MISSING_REFUSED]);
        }
    }
}

static void write_json(analysis *a, const sipas_answer_distribution *d)
{
    FILE *out = a->out;
    analysis_json_open(a);
    fprintf(out, ",\"ci_method\":\"%s\",\"level\":%g,\"criteria\":[", sipas_ci_method_name(d->ci),
            d->level);
    for (size_t i = 0; i < d->ncriteria; i++) {
        const sipas_answer_criterion *c = &d->criteria[i];
        fprintf(out, "%s\n{\"criterion\":", i ? "," : "");
        output_json_string(out, c->item->name);
        fprintf(out, ",\"label\":");
        output_json_string(out, analysis_label(a, c->item->label_vi, c->item->label_en, ""));
        fprintf(out, ",\"valid\":%zu,\"missing\":{\"empty\":%zu,\"dont_know\":%zu,"
                "\"not_applicable\":%zu,\"refused\":%zu},\"levels\":[",
                c->valid, c->missing[0], c->missing[SIPAS_MISSING_DONT_KNOW],
                c->missing[SIPAS_MISSING_NOT_APPLICABLE], c->missing[SIPAS_MISSING_REFUSED]);
        for (size_t j = 0; j < c->nlevels; j++) {
            const sipas_answer_share *s = &c->levels[j];
            fprintf(out, "%s{\"code\":%ld,\"label\":", j ? "," : "", s->choice->value);
            output_json_string(out, analysis_label(a, s->choice->label_vi, s->choice->label_en, ""));
            fprintf(out, ",\"share\":");
            output_json_number(out, s->share);
            fprintf(out, ",\"ci_low\":");
            output_json_number(out, s->ci_low);
            fprintf(out, ",\"ci_high\":");
            output_json_number(out, s->ci_high);
            fprintf(out, ",\"flags\":\"%s\"}", output_flag_names(s->flags));
        }
        fprintf(out, "]}");
    }
    fprintf(out, "\n]}\n");
}

int analyze_answers(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, answers_options,
                             sizeof answers_options / sizeof answers_options[0],
                             "answers --form ID --wave YEAR [--where COND] [options]",
                             "The distribution of answers to each criterion: the weighted share of "
                             "the valid answers\nat each level of its scale with its confidence "
                             "interval, estimated as the index is, and\nthe counts of empty, "
                             "don't-know, not-applicable and refused answers. See docs/report.md.",
                             &help);
    if (code != CLI_EXIT_OK || help) {
        analysis_close(&a);
        return code;
    }
    if (a.index.nby > 0 || a.wave == 0) {
        cli_error("answers needs --wave YEAR (one wave) and takes no --by; narrow it further "
                  "with --where");
        analysis_close(&a);
        return CLI_EXIT_USAGE;
    }
    sipas_answer_distribution *d = NULL;
    sipas_error err = {0};
    if (sipas_answer_distribution_compute(a.data, &a.index, &d, &err) != SIPAS_OK) {
        code = cli_fail(&err);
    } else {
        switch (a.format) {
        case OUTPUT_TABLE: write_table(&a, d); break;
        case OUTPUT_CSV: write_csv(&a, d); break;
        case OUTPUT_JSON: write_json(&a, d); break;
        }
    }
    sipas_answer_distribution_free(d);
    analysis_close(&a);
    return code;
}
