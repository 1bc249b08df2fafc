/* sipas-analyze comments: the answers to the open-ended questions of one wave
 * (sipas/open_answers.h): counts by unit and the listing with personal data masked, as a table,
 * CSV (one row per answer, or per unit with --counts) or JSON. */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"
#include "sipas/open_answers.h"

static const cli_option comments_options[] = {
    {"form", "ID", "the instrument (a folder under the surveys directory)", false},
    {"wave", "YEAR", "the wave whose answers are counted and listed (required)", false},
    {"by", "COL", "the unit: a column with a choice list or a text column such as the commune "
                  "(default: the stratum column, the district)", false},
    {"question", "NAME", "one open-ended question (default: every text item without a role "
                         "that is not personal)", false},
    {"counts", NULL, "only the counts by unit, without the listing", false},
    {"lang", "LANG", "labels and masks: vi (default) or en", false},
    INSTRUMENT_CHECK_OPTION,
    {"format", "FMT", "table (default), csv or json", false},
    CLI_OPTION_OUT,
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};
const cli_options analyze_comments_options = CLI_OPTION_TABLE(comments_options);

static const char *question_label(const analysis *a, const sipas_open_answers *r)
{
    return analysis_label(a, r->question->label_vi, r->question->label_en, r->question->name);
}

static sipas_report_lang lang_of(const analysis *a)
{
    return strcmp(a->lang, "vi") == 0 ? SIPAS_REPORT_VI : SIPAS_REPORT_EN;
}

static void write_table(analysis *a, const sipas_open_answers *r, bool counts_only)
{
    FILE *out = a->out;
    bool vi = lang_of(a) == SIPAS_REPORT_VI;
    fprintf(out, "%s (%.0f)\n", question_label(a, r), r->wave);
    fprintf(out, vi ? "%zu phiếu: %zu có góp ý, %zu không có ý kiến, %zu để trống; %zu góp ý có "
                      "thông tin cá nhân đã được che\n\n"
                    : "%zu respondents: %zu commented, %zu had no comment, %zu left it empty; "
                      "personal data masked in %zu comments\n\n",
            r->respondents, r->answered, r->no_comment, r->empty, r->masked_answers);
    /* the unit column's label whole, on a line of its own: it is often longer than the column */
    if (r->unit_item)
        fprintf(out, "%s\n", analysis_label(a, r->unit_item->label_vi, r->unit_item->label_en,
                                            r->unit_item->name));
    output_padded(out, "", 34);
    output_right(out, vi ? "Số phiếu" : "Respondents", 11);
    output_right(out, vi ? "Có góp ý" : "Comments", 9);
    output_right(out, vi ? "Không ý kiến" : "No comment", 12);
    output_right(out, vi ? "Để trống" : "Empty", 8);
    fputc('\n', out);
    for (size_t k = 0; k < r->nunits; k++) {
        const sipas_open_answer_unit *u = &r->units[k];
        output_padded(out, sipas_open_answer_unit_label(r, u, lang_of(a)), 34);
        fprintf(out, "%11zu %9zu %12zu %8zu\n", u->respondents, u->answered, u->no_comment,
                u->empty);
    }
    for (size_t k = 0; !counts_only && k < r->nunits; k++) {
        const sipas_open_answer_unit *u = &r->units[k];
        if (u->nanswers == 0)
            continue;
        fprintf(out, "\n%s (%zu)\n", sipas_open_answer_unit_label(r, u, lang_of(a)), u->nanswers);
        for (size_t j = 0; j < u->nanswers; j++)
            fprintf(out, "  - %s\n", u->answers[j].text);
    }
}

static void csv_text(FILE *out, const char *s, bool last)
{
    sipas_csv_write_field(out, s ? s : "", s ? strlen(s) : 0, ',');
    fputc(last ? '\n' : ',', out);
}

static void write_csv_header(FILE *out, bool counts_only)
{
    fputs(counts_only ? "question,unit,unit_label,respondents,answered,no_comment,empty\n"
                      : "question,unit,unit_label,answer,masked\n", out);
}

/* masked: the kinds replaced, joined by '|' ("phone|email"), or "". */
static const char *masked_names(unsigned masked, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *name; } kinds[] = {
        {SIPAS_MASKED_PHONE, "phone"}, {SIPAS_MASKED_EMAIL, "email"}, {SIPAS_MASKED_ID, "id"}};
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (masked & kinds[i].bit) {
            size_t n = strlen(buf);
            snprintf(buf + n, size - n, "%s%s", n ? "|" : "", kinds[i].name);
        }
    return buf;
}

static void write_csv(analysis *a, const sipas_open_answers *r, bool counts_only)
{
    FILE *out = a->out;
    char kinds[32];
    for (size_t k = 0; k < r->nunits; k++) {
        const sipas_open_answer_unit *u = &r->units[k];
        const char *label = sipas_open_answer_unit_label(r, u, lang_of(a));
        if (counts_only) {
            csv_text(out, r->question->name, false);
            csv_text(out, u->code, false);
            csv_text(out, label, false);
            fprintf(out, "%zu,%zu,%zu,%zu\n", u->respondents, u->answered, u->no_comment,
                    u->empty);
            continue;
        }
        for (size_t j = 0; j < u->nanswers; j++) {
            csv_text(out, r->question->name, false);
            csv_text(out, u->code, false);
            csv_text(out, label, false);
            csv_text(out, u->answers[j].text, false);
            csv_text(out, masked_names(u->answers[j].masked, kinds, sizeof kinds), true);
        }
    }
}

static void write_json(analysis *a, const sipas_open_answers *r, bool counts_only)
{
    FILE *out = a->out;
    char kinds[32];
    fprintf(out, "{\"question\":");
    output_json_string(out, r->question->name);
    fprintf(out, ",\"label\":");
    output_json_string(out, question_label(a, r));
    fprintf(out, ",\"unit_column\":");
    output_json_string(out, r->unit_item ? r->unit_item->name : NULL);
    fprintf(out, ",\"respondents\":%zu,\"answered\":%zu,\"no_comment\":%zu,\"empty\":%zu,"
                 "\"masked_answers\":%zu,\"units\":[",
            r->respondents, r->answered, r->no_comment, r->empty, r->masked_answers);
    for (size_t k = 0; k < r->nunits; k++) {
        const sipas_open_answer_unit *u = &r->units[k];
        fprintf(out, "%s\n{\"unit\":", k ? "," : "");
        output_json_string(out, u->code);
        fprintf(out, ",\"label\":");
        output_json_string(out, sipas_open_answer_unit_label(r, u, lang_of(a)));
        fprintf(out, ",\"respondents\":%zu,\"answered\":%zu,\"no_comment\":%zu,\"empty\":%zu",
                u->respondents, u->answered, u->no_comment, u->empty);
        if (!counts_only) {
            fprintf(out, ",\"answers\":[");
            for (size_t j = 0; j < u->nanswers; j++) {
                fprintf(out, "%s{\"text\":", j ? "," : "");
                output_json_string(out, u->answers[j].text);
                fprintf(out, ",\"masked\":");
                output_json_string(out, masked_names(u->answers[j].masked, kinds, sizeof kinds));
                fputc('}', out);
            }
            fputc(']', out);
        }
        fputc('}', out);
    }
    fprintf(out, "\n]}");
}

/* The open-ended questions to report: --question, or every one of the form. */
static size_t chosen_questions(const analysis *a, const sipas_item **items, int *code)
{
    const char *name = cli_value(&a->args, "question");
    if (name == NULL) {
        size_t n = sipas_open_questions(a->inst, items);
        if (n == 0) {
            cli_error("form '%s' has no open-ended question (a text item without a role that is "
                      "not personal; docs/instruments.md)", a->inst->form_id);
            *code = CLI_EXIT_REFUSED;
        }
        return n;
    }
    items[0] = sipas_instrument_item(a->inst, name);
    if (items[0] == NULL) {
        cli_error("form '%s' has no question '%s'", a->inst->form_id, name);
        *code = CLI_EXIT_REFUSED;
        return 0;
    }
    return 1;
}

int analyze_comments(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, comments_options,
                             sizeof comments_options / sizeof comments_options[0],
                             "comments --form ID --wave YEAR [--by COL] [options]",
                             "The answers to the open-ended questions (\"góp ý\") of a wave: how "
                             "many respondents of each\nunit commented, had no comment or left "
                             "it empty, and what they wrote, with phone\nnumbers, e-mail "
                             "addresses and ID numbers masked. Names typed in the text are not\n"
                             "caught: read docs/security.md before passing a listing on. See "
                             "docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        analysis_close(&a);
        return code;
    }
    int64_t wave = a.wave;
    if (wave == 0 || a.nby > 1) {
        cli_error("comments needs --wave YEAR and takes at most one --by column");
        analysis_close(&a);
        return CLI_EXIT_USAGE;
    }
    const sipas_column *stratum = sipas_dataset_role(a.data, SIPAS_ROLE_STRATUM);
    const char *unit = a.nby == 1 ? a.by[0] : stratum ? stratum->item->name : NULL;
    bool counts_only = cli_flag(&a.args, "counts");
    const sipas_item **questions = calloc(a.inst->nitems ? a.inst->nitems : 1, sizeof *questions);
    size_t nquestions = questions ? chosen_questions(&a, questions, &code) : 0;
    if (questions == NULL) {
        cli_error("out of memory");
        code = CLI_EXIT_FAILURE;
    }
    if (code == CLI_EXIT_OK && a.format == OUTPUT_CSV)
        write_csv_header(a.out, counts_only);
    if (code == CLI_EXIT_OK && a.format == OUTPUT_JSON) {
        analysis_json_open(&a);
        fprintf(a.out, ",\"wave\":%lld,\"questions\":[", (long long)wave);
    }
    for (size_t i = 0; i < nquestions && code == CLI_EXIT_OK; i++) {
        sipas_open_answers *r = NULL;
        sipas_error err = {0};
        if (sipas_open_answers_compute(a.data, questions[i]->name, unit, (double)wave,
                                       lang_of(&a), &r, &err) != SIPAS_OK) {
            code = cli_fail(&err);
        } else if (r->respondents == 0) {
            /* a wave that does not exist, like an unknown form */
            cli_error("form '%s' has no respondent in wave %lld", a.inst->form_id,
                      (long long)wave);
            code = CLI_EXIT_REFUSED;
        } else {
            switch (a.format) {
            case OUTPUT_TABLE:
                if (i > 0)
                    fputc('\n', a.out);
                write_table(&a, r, counts_only);
                break;
            case OUTPUT_CSV: write_csv(&a, r, counts_only); break;
            case OUTPUT_JSON:
                if (i > 0)
                    fputc(',', a.out);
                write_json(&a, r, counts_only);
                break;
            }
        }
        sipas_open_answers_free(r);
    }
    if (code == CLI_EXIT_OK && a.format == OUTPUT_JSON)
        fprintf(a.out, "]}\n");
    free(questions);
    analysis_close(&a);
    return code;
}
