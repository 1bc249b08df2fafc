/* The review document's content (sipas/review_report.h), in both languages, built from the
 * sample data: every section present, the tables' numbers equal to the review's and the wave
 * index's, labels where the instrument has them (never a code where a label exists). Needs
 * gnuplot (the charts are drawn into the report), as tests/test_plot.c does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/instrument.h"
#include "sipas/review.h"
#include "sipas/review_report.h"
#include "sipas/store.h"
#include "sipas/targets.h"
#include "scratch_dir.h"

#define SAMPLE SIPAS_TEST_SURVEYS "/sample/sipas2017_2019-2024.csv"

typedef struct fixture {
    char dir[64];
    sipas_instrument *inst;
    sipas_store *store;
    sipas_dataset *data;
    sipas_targets *targets;
    sipas_review *review;
    sipas_index_result *wave_index;
    sipas_report *report[2]; /* [SIPAS_REPORT_VI], [SIPAS_REPORT_EN] */
    char *html[2];
} fixture;

static char *read_all(const char *path)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    long size = ftell(in);
    assert_true(size > 0);
    rewind(in);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, in), (size_t)size);
    text[size] = '\0';
    fclose(in);
    return text;
}

static sipas_review_report_input input(const fixture *f, sipas_report_lang lang)
{
    sipas_review_report_input in = {0};
    in.review = f->review;
    in.data = f->data;
    in.inst = f->inst;
    in.index.ci = SIPAS_CI_LOGIT;
    in.index.level = 0.95;
    in.lang = lang;
    in.instrument_versions = "version '1' (batches 1-3)"; /* sipas_store_check_instrument's */
    in.unweighted_headline = NAN;
    return in;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/sipas-review-report-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char db[128];
    snprintf(db, sizeof db, "%s/t.db", f->dir);
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_SURVEYS "/sipas2017", &f->inst, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(db, SIPAS_STORE_READ_WRITE, &f->store, &err), SIPAS_OK);
    sipas_import_options opt = {0};
    sipas_import_result res;
    if (sipas_import_batch(f->store, f->inst, SAMPLE, &opt, &res, &err) != SIPAS_OK)
        fail_msg("import: %s", err.message);
    if (sipas_dataset_load(f->store, f->inst, &f->data, &err) != SIPAS_OK)
        fail_msg("load: %s", err.message);
    if (sipas_targets_load_dir(SIPAS_TEST_SURVEYS, &f->targets, &err) != SIPAS_OK)
        fail_msg("targets: %s", err.message);
    sipas_review_options ro = {0};
    ro.index.ci = SIPAS_CI_LOGIT;
    ro.index.level = 0.95;
    ro.rank_adjust = SIPAS_ADJUST_HOLM;
    ro.targets = f->targets;
    if (sipas_review_compute(f->data, &ro, &f->review, &err) != SIPAS_OK)
        fail_msg("review: %s", err.message);
    sipas_review_report_input in = input(f, SIPAS_REPORT_VI);
    if (sipas_review_report_wave_index(&in, &f->wave_index, &err) != SIPAS_OK)
        fail_msg("wave index: %s", err.message);
    for (int lang = SIPAS_REPORT_VI; lang <= SIPAS_REPORT_EN; lang++) {
        in = input(f, (sipas_report_lang)lang);
        if (sipas_review_report_build(&in, f->wave_index, &f->report[lang], &err) != SIPAS_OK)
            fail_msg("build (%s): %s", lang ? "en" : "vi", err.message);
        char path[128];
        snprintf(path, sizeof path, "%s/review-%d.html", f->dir, lang);
        if (sipas_report_write_html(f->report[lang], path, &err) != SIPAS_OK)
            fail_msg("html: %s", err.message);
        f->html[lang] = read_all(path);
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    for (int lang = 0; lang < 2; lang++) {
        sipas_report_free(f->report[lang]);
        free(f->html[lang]);
    }
    sipas_index_result_free(f->wave_index);
    sipas_review_free(f->review);
    sipas_targets_free(f->targets);
    sipas_dataset_free(f->data);
    sipas_store_close(f->store);
    sipas_instrument_free(f->inst);
    assert_int_equal(scratch_dir_remove(f->dir), 0);
    free(f);
    return 0;
}

static const sipas_report_table *table_named(const sipas_report *rep, const char *name)
{
    for (size_t i = 0; i < sipas_report_table_count(rep); i++)
        if (strcmp(sipas_report_table_name(sipas_report_table_at(rep, i)), name) == 0)
            return sipas_report_table_at(rep, i);
    fail_msg("no table '%s' in the report", name);
    return NULL;
}

static void test_sections_in_both_languages(void **state)
{
    fixture *f = *state;
    static const char *const ids[] = {"summary", "profile", "targets", "change", "trend",
                                      "ranking", "elements", "criteria", "answers", "methods"};
    static const char *const vi_words[] = {"Tóm tắt", "Mục tiêu", "Thay đổi so với năm trước",
                                           "Xếp hạng đơn vị", "Phụ lục: phương pháp"};
    static const char *const en_words[] = {"Summary", "Targets", "Change since last year",
                                           "Ranking of units", "Appendix: methods"};
    for (int lang = 0; lang < 2; lang++) {
        char id[64];
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            snprintf(id, sizeof id, "id=\"%s\"", ids[i]);
            if (strstr(f->html[lang], id) == NULL)
                fail_msg("%s report: no section %s", lang ? "en" : "vi", ids[i]);
        }
        const char *const *words = lang ? en_words : vi_words;
        for (size_t i = 0; i < 5; i++)
            if (strstr(f->html[lang], words[i]) == NULL)
                fail_msg("%s report: no heading '%s'", lang ? "en" : "vi", words[i]);
        /* four review charts inline */
        size_t charts = 0;
        for (const char *p = f->html[lang]; (p = strstr(p, "<svg")) != NULL; p++)
            charts++;
        assert_true(charts >= 4);
        static const char *const tables[] = {"targets", "change", "series", "ranking",
                                             "elements", "criteria"};
        for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
            table_named(f->report[lang], tables[i]);
    }
    assert_null(strstr(f->html[SIPAS_REPORT_EN], "Tóm tắt"));
    assert_null(strstr(f->html[SIPAS_REPORT_VI], "Appendix: methods"));
}

static void assert_same(double got, double want, const char *what)
{
    if (isnan(want) && isnan(got))
        return;
    if (!(got == want))
        fail_msg("%s: the table has %.17g, the review %.17g", what, got, want);
}

static void test_numbers_are_the_reviews(void **state)
{
    fixture *f = *state;
    const sipas_review *r = f->review;
    for (int lang = 0; lang < 2; lang++) {
        const sipas_report_table *t = table_named(f->report[lang], "ranking");
        /* row 0: the province, then the units ranked */
        assert_same(sipas_report_cell_value(t, 0, 3), r->province_current.value.estimate,
                    "province index");
        assert_same(sipas_report_cell_value(t, 0, 2), (double)r->province_current.respondents,
                    "province n");
        assert_int_equal(sipas_report_table_rows(t), 1 + r->ranked);
        for (size_t row = 1; row < sipas_report_table_rows(t); row++) {
            const char *label = sipas_report_cell_text(t, row, 1);
            const sipas_review_unit *u = NULL;
            for (size_t k = 0; k < r->nunits && u == NULL; k++)
                if (strcmp(sipas_index_domain_label(f->data->inst, r->unit_column, r->units[k].code,
                                                    lang ? "en" : "vi"), label) == 0)
                    u = &r->units[k];
            if (u == NULL)
                fail_msg("ranking row %zu: '%s' is no unit's label", row, label);
            /* a label, not the code (the sample's districts have Vietnamese names) */
            if (strcmp(label, u->code) == 0)
                fail_msg("ranking row %zu shows the code '%s'", row, u->code);
            assert_same(sipas_report_cell_value(t, row, 3), u->current.value.estimate, label);
            assert_same(sipas_report_cell_value(t, row, 0), (double)u->comparison.rank, label);
            assert_same(sipas_report_cell_value(t, row, 6), u->comparison.vs_province.difference,
                        label);
        }
        /* the criteria table is the wave index row for row */
        t = table_named(f->report[lang], "criteria");
        assert_int_equal(sipas_report_table_rows(t), f->wave_index->nrows);
        for (size_t i = 0; i < f->wave_index->nrows; i++) {
            const sipas_index_row *row = &f->wave_index->rows[i];
            assert_same(sipas_report_cell_value(t, i, 2), (double)row->n, row->name);
            assert_same(sipas_report_cell_value(t, i, 3),
                        row->estimable ? row->estimate : NAN, row->name);
            assert_same(sipas_report_cell_value(t, i, 7), row->deff, row->name);
            /* composites have a design effect too (sipas_composite_deff) */
            assert_true(isfinite(row->deff));
            const char *label = lang ? row->label_en : row->label_vi;
            assert_non_null(label);
            assert_string_equal(sipas_report_cell_text(t, i, 1), label);
            /* an element's missing answers are its criteria's */
            if (row->level == SIPAS_LEVEL_ELEMENT) {
                double dont_know = 0;
                for (size_t j = i + 1; j < f->wave_index->nrows &&
                                       f->wave_index->rows[j].level == SIPAS_LEVEL_CRITERION; j++)
                    dont_know += (double)f->wave_index->rows[j].n_missing[SIPAS_MISSING_DONT_KNOW];
                assert_true(dont_know > 0);
                assert_same(sipas_report_cell_value(t, i, 9), dont_know, row->name);
            }
        }
        /* the change table's first row is the measure: both years and the difference */
        t = table_named(f->report[lang], "change");
        assert_same(sipas_report_cell_value(t, 0, 2), r->province_current.value.estimate, "now");
        assert_same(sipas_report_cell_value(t, 0, 3), r->change.difference, "change");
    }
}

/* The appendix states the weighting, the lonely-PSU rule and what it touched, the degrees of
 * freedom and the versions, in the report's language. */
static void test_methods_appendix(void **state)
{
    fixture *f = *state;
    static const char *const vi[] = {
        "Trọng số: trọng số thiết kế lưu cùng dữ liệu, không hiệu chỉnh.",
        "quy tắc \"fail\" (mặc định)", "Năm 2024 không có tầng nào như vậy",
        "Bậc tự do của chỉ số toàn tỉnh năm 2024:",
        "dữ liệu đã lưu theo phiên bản '1' (các đợt nhập 1-3). Tính bằng sipas "};
    static const char *const en[] = {
        "Weights: the design weights stored with the data, not adjusted.",
        "rule \"fail\" (the default)", "2024 has no such stratum",
        "Degrees of freedom of the province index in 2024:",
        "the stored data were imported under version '1' (batches 1-3). Computed with sipas "};
    for (size_t i = 0; i < sizeof vi / sizeof vi[0]; i++) {
        /* the HTML escapes quotes; compare the text of the escaped page */
        char want[256];
        size_t k = 0;
        for (const char *p = vi[i]; *p && k + 8 < sizeof want; p++)
            k += (size_t)snprintf(want + k, sizeof want - k, "%s",
                                  *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : (char[2]){*p, 0});
        if (strstr(f->html[SIPAS_REPORT_VI], want) == NULL)
            fail_msg("vi appendix lacks '%s'", want);
        k = 0;
        for (const char *p = en[i]; *p && k + 8 < sizeof want; p++)
            k += (size_t)snprintf(want + k, sizeof want - k, "%s",
                                  *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : (char[2]){*p, 0});
        if (strstr(f->html[SIPAS_REPORT_EN], want) == NULL)
            fail_msg("en appendix lacks '%s'", want);
    }
    /* the headline is the index's name, not the form's title; targets by their label */
    assert_non_null(strstr(f->html[SIPAS_REPORT_VI], "Chỉ số hài lòng chung, toàn tỉnh, năm 2024"));
    const sipas_report_table *t = table_named(f->report[SIPAS_REPORT_EN], "targets");
    assert_string_equal(sipas_report_cell_text(t, 0, 0),
                        "Satisfaction with the handling of administrative procedures (SIPAS)");
    assert_string_equal(sipas_report_cell_text(t, 0, 3), "≥");
    /* flags in words, never their codes */
    for (int lang = 0; lang < 2; lang++) {
        assert_null(strstr(f->html[lang], "few_df"));
        assert_null(strstr(f->html[lang], "small_n_eff"));
    }
    assert_non_null(strstr(f->html[SIPAS_REPORT_VI], "Ít bậc tự do"));
    /* a reach year is a calendar year */
    double year = sipas_report_cell_value(t, 0, 9);
    assert_true(isnan(year) || year == floor(year));
}

/* The answers table: each criterion's shares add up to 1, its satisfied levels' shares to its
 * index, and its counts are the index's. */
static void test_answer_distribution(void **state)
{
    fixture *f = *state;
    for (int lang = 0; lang < 2; lang++) {
        const sipas_report_table *t = table_named(f->report[lang], "answers");
        size_t columns = sipas_report_table_columns(t), nlevels = (columns - 6) / 3;
        assert_int_equal(nlevels, 5);
        size_t checked = 0;
        for (size_t i = 0; i < f->wave_index->nrows; i++) {
            const sipas_index_row *row = &f->wave_index->rows[i];
            if (row->level != SIPAS_LEVEL_CRITERION)
                continue;
            const char *label = lang ? row->label_en : row->label_vi;
            size_t r = 0;
            while (r < sipas_report_table_rows(t) && strcmp(sipas_report_cell_text(t, r, 0), label))
                r++;
            if (r == sipas_report_table_rows(t))
                fail_msg("no answers row for '%s'", label);
            assert_same(sipas_report_cell_value(t, r, 1), (double)row->n, label);
            double total = 0, satisfied = 0;
            for (size_t j = 0; j < nlevels; j++) {
                double share = sipas_report_cell_value(t, r, 2 + 3 * j);
                assert_true(share >= 0 && share <= 1);
                assert_true(sipas_report_cell_value(t, r, 3 + 3 * j) <= share);
                assert_true(sipas_report_cell_value(t, r, 4 + 3 * j) >= share);
                total += share;
                if (j >= 3) /* SIPAS: levels 4 and 5 are "satisfied" */
                    satisfied += share;
            }
            assert_true(fabs(total - 1) < 1e-12);
            assert_true(fabs(satisfied - row->estimate) < 1e-12);
            for (int k = 0; k < SIPAS_MISSING_KINDS; k++)
                assert_same(sipas_report_cell_value(t, r, 2 + 3 * nlevels + (size_t)k),
                            (double)row->n_missing[k], label);
            checked++;
        }
        assert_int_equal(checked, sipas_report_table_rows(t));
    }
    /* level headers are the scale's labels */
    assert_string_equal(sipas_report_table_column(table_named(f->report[SIPAS_REPORT_VI], "answers"),
                                                  14)->header, "Rất hài lòng (%)");
}

/* The respondent profile: every attribute's groups and its "not answered" row count the wave's
 * respondents once; shares and weighted shares add up to 1 over the groups. */
static void test_respondent_profile(void **state)
{
    fixture *f = *state;
    const sipas_review *r = f->review;
    double respondents = (double)r->province_current.respondents;
    for (int lang = 0; lang < 2; lang++) {
        const sipas_report_table *t = table_named(f->report[lang], "profile");
        size_t rows = sipas_report_table_rows(t), attributes = 0;
        for (size_t i = 0; i < rows;) {
            const char *attribute = sipas_report_cell_text(t, i, 0);
            double n = 0, share = 0, weighted = 0;
            for (; i < rows && strcmp(sipas_report_cell_text(t, i, 0), attribute) == 0; i++) {
                n += sipas_report_cell_value(t, i, 2);
                if (!isnan(sipas_report_cell_value(t, i, 3))) {
                    share += sipas_report_cell_value(t, i, 3);
                    weighted += sipas_report_cell_value(t, i, 4);
                }
            }
            assert_same(n, respondents, attribute);
            assert_true(fabs(share - 1) < 1e-12 && fabs(weighted - 1) < 1e-12);
            attributes++;
        }
        assert_int_equal(attributes, 7); /* district, respondent type, sector, agency, channel,
                                            sex, age group */
    }
    const sipas_report_table *t = table_named(f->report[SIPAS_REPORT_EN], "profile");
    assert_string_equal(sipas_report_cell_text(t, 0, 0), "District");
}

/* The units x waves table: the province row is the series, each unit's cell its series value. */
static void test_units_by_wave(void **state)
{
    fixture *f = *state;
    const sipas_review *r = f->review;
    const sipas_report_table *t = table_named(f->report[SIPAS_REPORT_VI], "units_by_wave");
    assert_int_equal(sipas_report_table_columns(t), 1 + r->nwaves);
    assert_int_equal(sipas_report_table_rows(t), 1 + r->nunits);
    for (size_t k = 0; k < r->nwaves; k++)
        assert_same(sipas_report_cell_value(t, 0, 1 + k), r->province[k].value.estimate, "province");
    for (size_t u = 0; u < r->nunits; u++)
        for (size_t w = 0; w < r->units[u].nwaves; w++) {
            const sipas_review_point *p = &r->units[u].series[w];
            size_t k = 0;
            while (r->province[k].value.year != p->value.year)
                k++;
            assert_same(sipas_report_cell_value(t, 1 + u, 1 + k), p->value.estimate,
                        r->units[u].code);
        }
    assert_string_equal(sipas_report_table_column(t, r->nwaves)->header, "2024 (%)");
}

/* A target of an element (sipas_results: the element "results", targets.h's built-in map)
 * gets the element targets table, judged on the element's series. */
static void test_element_targets(void **state)
{
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/targets.csv", f->dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs("indicator,scope,scope_value,year,threshold,comparison,source,label::vi,label::en\n"
          "sipas_procedures,province,lang_son,2025,0.90,>=,R60,Hài lòng chung,Overall\n"
          "sipas_results,province,lang_son,2025,0.92,>=,R60,Kết quả ≥ 92%,Results at 92%\n", out);
    assert_int_equal(fclose(out), 0);
    sipas_targets *targets = NULL;
    sipas_error err = {0};
    if (sipas_targets_load(path, NULL, true, &targets, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    sipas_review_report_input in = input(f, SIPAS_REPORT_EN);
    in.targets = targets;
    sipas_report *rep = NULL;
    if (sipas_review_report_build(&in, f->wave_index, &rep, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    const sipas_report_table *t = table_named(rep, "targets_measures");
    assert_int_equal(sipas_report_table_rows(t), 1);
    assert_string_equal(sipas_report_cell_text(t, 0, 0), "Results at 92%");
    /* judged on the element's series: 2025 is not surveyed, so the verdict is a projection's */
    assert_true(isfinite(sipas_report_cell_value(t, 0, 5)));
    const char *verdict = sipas_report_cell_text(t, 0, 8);
    assert_true(strcmp(verdict, "On track") == 0 || strcmp(verdict, "At risk") == 0 ||
                strcmp(verdict, "Off track") == 0);
    sipas_report_free(rep);
    sipas_targets_free(targets);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_in_both_languages),
        cmocka_unit_test(test_numbers_are_the_reviews),
        cmocka_unit_test(test_methods_appendix),
        cmocka_unit_test(test_answer_distribution),
        cmocka_unit_test(test_respondent_profile),
        cmocka_unit_test(test_units_by_wave),
        cmocka_unit_test(test_element_targets),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
