/* sipas-analyze profile: who answered in one wave (sipas/respondent_profile.h), as a table, CSV
 * (one row per attribute and group) or JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "output.h"
#include "sipas/csv_writer.h"
#include "sipas/respondent_profile.h"

static const cli_option profile_options[] = {
    {"form", "ID", "the instrument (a folder under the surveys directory)", false},
    {"wave", "YEAR", "the wave whose respondents are described (required)", false},
    {"lang", "LANG", "labels: vi (default) or en", false},
    INSTRUMENT_CHECK_OPTION,
    {"format", "FMT", "table (default), csv or json", false},
    CLI_OPTION_OUT,
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};
const cli_options analyze_profile_options = CLI_OPTION_TABLE(profile_options);

static void write_table(analysis *a, const sipas_respondent_profile *p, bool vi)
{
    FILE *out = a->out;
    char share[32], weighted[32];
    fprintf(out, vi ? "%s: %zu phiếu; tỷ lệ trong số có trả lời, và theo trọng số thiết kế\n"
                    : "%s: %zu respondents; shares of those who answered, and under the design "
                      "weights\n", a->inst->form_id, p->respondents);
    for (size_t i = 0; i < p->nattributes; i++) {
        const sipas_profile_attribute *at = &p->attributes[i];
        fprintf(out, "\n%s\n", analysis_label(a, at->item->label_vi, at->item->label_en, at->item->name));
        for (size_t j = 0; j < at->ncategories; j++) {
            const sipas_profile_category *c = &at->categories[j];
            /* the group's label indented in its cell, so that its wrapped lines keep the
             * indent ("Nông nghiệp và phát triển nông thôn") */
            char group[256];
            snprintf(group, sizeof group, "  %s",
                     analysis_label(a, c->choice->label_vi, c->choice->label_en, c->choice->name));
            output_row_begin(out);
            output_padded(out, group, 36);
            fprintf(out, "%7zu %9s %9s", c->n, analysis_percent(a, c->share, share, sizeof share),
                    analysis_percent(a, c->weighted_share, weighted, sizeof weighted));
            output_row_end(out);
        }
        if (at->empty > 0) {
            fputs("  ", out);
            output_padded(out, vi ? "(không trả lời)" : "(not answered)", 34);
            fprintf(out, "%7zu\n", at->empty);
        }
    }
}

static void write_csv(analysis *a, const sipas_respondent_profile *p, bool vi)
{
    FILE *out = a->out;
    fprintf(out, "attribute,attribute_label,group,group_label,respondents,share,weighted_share\n");
    for (size_t i = 0; i < p->nattributes; i++) {
        const sipas_profile_attribute *at = &p->attributes[i];
        const char *attribute = analysis_label(a, at->item->label_vi, at->item->label_en, "");
        for (size_t j = 0; j <= at->ncategories; j++) {
            bool empty_row = j == at->ncategories;
            if (empty_row && at->empty == 0)
                break;
            const sipas_choice *ch = empty_row ? NULL : at->categories[j].choice;
            const char *group = ch ? analysis_label(a, ch->label_vi, ch->label_en, "")
                                   : vi ? "(không trả lời)" : "(not answered)";
            sipas_csv_write_field(out, at->item->name, strlen(at->item->name), ',');
            fputc(',', out);
            sipas_csv_write_field(out, attribute, strlen(attribute), ',');
            fputc(',', out);
            sipas_csv_write_field(out, ch ? ch->name : "", ch ? strlen(ch->name) : 0, ',');
            fputc(',', out);
            sipas_csv_write_field(out, group, strlen(group), ',');
            fprintf(out, ",%zu,", empty_row ? at->empty : at->categories[j].n);
            output_csv_number(out, empty_row ? NAN : at->categories[j].share);
            /* the last field: output_csv_number would add a separator */
            if (!empty_row)
                fprintf(out, "%.17g", at->categories[j].weighted_share);
            fputc('\n', out);
        }
    }
}

static void write_json(analysis *a, const sipas_respondent_profile *p)
{
    FILE *out = a->out;
    analysis_json_open(a);
    fprintf(out, ",\"respondents\":%zu,\"attributes\":[", p->respondents);
    for (size_t i = 0; i < p->nattributes; i++) {
        const sipas_profile_attribute *at = &p->attributes[i];
        fprintf(out, "%s\n{\"attribute\":", i ? "," : "");
        output_json_string(out, at->item->name);
        fprintf(out, ",\"label\":");
        output_json_string(out, analysis_label(a, at->item->label_vi, at->item->label_en, ""));
        fprintf(out, ",\"not_answered\":%zu,\"groups\":[", at->empty);
        for (size_t j = 0; j < at->ncategories; j++) {
            const sipas_profile_category *c = &at->categories[j];
            fprintf(out, "%s{\"group\":", j ? "," : "");
            output_json_string(out, c->choice->name);
            fprintf(out, ",\"label\":");
            output_json_string(out, analysis_label(a, c->choice->label_vi, c->choice->label_en, ""));
            fprintf(out, ",\"respondents\":%zu,\"share\":", c->n);
            output_json_number(out, c->share);
            fprintf(out, ",\"weighted_share\":");
            output_json_number(out, c->weighted_share);
            fputc('}', out);
        }
        fprintf(out, "]}");
    }
    fprintf(out, "\n]}\n");
}

int analyze_profile(int argc, char **argv)
{
    analysis a;
    bool help;
    int code = analysis_open(&a, argc, argv, profile_options,
                             sizeof profile_options / sizeof profile_options[0],
                             "profile --form ID --wave YEAR [options]",
                             "Who answered in a wave: the respondents by district, respondent "
                             "type, sector, sex, age\ngroup and every other attribute with a choice "
                             "list, as counts, shares and shares\nunder the design weights. See "
                             "docs/report.md.", &help);
    if (code != CLI_EXIT_OK || help) {
        analysis_close(&a);
        return code;
    }
    int64_t wave = a.wave;
    if (wave == 0) {
        cli_error("profile needs --wave YEAR");
        analysis_close(&a);
        return CLI_EXIT_USAGE;
    }
    bool vi = strcmp(a.lang, "vi") == 0;
    sipas_respondent_profile *p = NULL;
    sipas_error err = {0};
    if (sipas_respondent_profile_compute(a.data, (double)wave, &p, &err) != SIPAS_OK) {
        code = cli_fail(&err);
    } else if (p->respondents == 0) {
        /* a wave that does not exist, like an unknown form */
        cli_error("form '%s' has no respondent in wave %lld", a.inst->form_id, (long long)wave);
        code = CLI_EXIT_REFUSED;
    } else {
        switch (a.format) {
        case OUTPUT_TABLE: write_table(&a, p, vi); break;
        case OUTPUT_CSV: write_csv(&a, p, vi); break;
        case OUTPUT_JSON: write_json(&a, p); break;
        }
    }
    sipas_respondent_profile_free(p);
    analysis_close(&a);
    return code;
}
