/* The table source: format detection from content, numbers and dates as text, an .xlsx written
 * by libxlsxwriter (shared strings, numbers, booleans, dates, empty cells and rows, cell
 * references), and an SPSS file written by ReadStat whose value labels use other codes than the
 * instrument and declare user-missing values, imported into the mini instrument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <readstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "sipas/import.h"
#include "sipas/instrument.h"
#include "sipas/store.h"
#include "table_source.h"
#include "table_readers.h"
#include "scratch_dir.h"

static char scratch[64];

static int make_scratch(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/sipas-table-XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state)
{
    (void)state;
    return scratch_dir_remove(scratch);
}

static void write_bytes_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_detect(void **state)
{
    (void)state;
    static const struct { const char *bytes; size_t n; sipas_table_format want; } cases[] = {
        {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", 10, SIPAS_TABLE_XLS},
        {"$FL2@(#) IBM SPSS", 17, SIPAS_TABLE_SAV},
        {"$FL3@(#) IBM SPSS", 17, SIPAS_TABLE_SAV},
        {"<stata_dta><header><release>118", 31, SIPAS_TABLE_DTA},
        {"\x72\x02\x01\x00\x05\x00", 6, SIPAS_TABLE_DTA},
        {"\0\0\0\0\0\0\0\0\0\0\0\0\xC2\xEA\x81\x60\xB3\x14\x11\xCF\xBD\x92\x08\x00\x09\xC7\x31\x8C"
         "\x18\x1F\x10\x11", 32, SIPAS_TABLE_SAS7BDAT},
        {"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!", 48, SIPAS_TABLE_XPT},
        {"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!", 48, SIPAS_TABLE_XPT},
        {"respondent_id,wave\n", 19, SIPAS_TABLE_CSV},
        {"\xEF\xBB\xBFrespondent_id;wave\n", 22, SIPAS_TABLE_CSV},
        {"", 0, SIPAS_TABLE_CSV},
    };
    char path[128];
    snprintf(path, sizeof path, "%s/detect", scratch);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_bytes_file(path, cases[i].bytes, cases[i].n);
        sipas_table_format got;
        sipas_error err = {0};
        assert_int_equal(sipas_table_detect(path, &got, &err), SIPAS_OK);
        if (got != cases[i].want)
            fail_msg("case %zu: %s, expected %s", i, sipas_table_format_name(got),
                     sipas_table_format_name(cases[i].want));
    }
    /* zips: a local file header (30 bytes, name length at offset 26) and the first entry */
    static const char ods_type[] = "application/vnd.oasis.opendocument.spreadsheet";
    static const struct { const char *entry, *content; sipas_table_format want; } zips[] = {
        {"mimetype", ods_type, SIPAS_TABLE_ODS},
        {"[Content_Types].xml", "<?xml", SIPAS_TABLE_XLSX},
        {"mimetype", "application/vnd.oasis.opendocument.text", SIPAS_TABLE_XLSX},
    };
    for (size_t i = 0; i < sizeof zips / sizeof zips[0]; i++) {
        unsigned char zip[160] = {'P', 'K', 3, 4};
        size_t name_len = strlen(zips[i].entry), content_len = strlen(zips[i].content);
        zip[26] = (unsigned char)name_len;
        memcpy(zip + 30, zips[i].entry, name_len);
        memcpy(zip + 30 + name_len, zips[i].content, content_len);
        write_bytes_file(path, zip, 30 + name_len + content_len);
        sipas_table_format got;
        sipas_error err = {0};
        assert_int_equal(sipas_table_detect(path, &got, &err), SIPAS_OK);
        assert_int_equal(got, zips[i].want);
    }
    sipas_table_format got;
    sipas_error err = {0};
    assert_int_equal(sipas_table_detect("/nonexistent/file.xlsx", &got, &err), SIPAS_ERR_IO);
}

static void test_number_and_date_text(void **state)
{
    (void)state;
    static const struct { double v; const char *text; } numbers[] = {
        {4.0, "4"}, {-0.0, "0"}, {0.1, "0.1"}, {23.28, "23.28"}, {1e20, "1e+20"},
        {1.0 / 3.0, "0.3333333333333333"}, {-2.5, "-2.5"}, {9007199254740993.0, "9007199254740992"},
    };
    char buf[48];
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        table_format_number(numbers[i].v, buf, sizeof buf);
        assert_string_equal(buf, numbers[i].text);
    }
    assert_true(table_format_date(1, false, buf, sizeof buf));
    assert_string_equal(buf, "1900-01-01");
    assert_true(table_format_date(59, false, buf, sizeof buf));
    assert_string_equal(buf, "1900-02-28");
    assert_true(table_format_date(61, false, buf, sizeof buf));
    assert_string_equal(buf, "1900-03-01");
    assert_true(table_format_date(45000, false, buf, sizeof buf));
    assert_string_equal(buf, "2023-03-15");
    assert_true(table_format_date(45000.75, false, buf, sizeof buf));
    assert_string_equal(buf, "2023-03-15 18:00:00");
    assert_true(table_format_date(0, true, buf, sizeof buf));
    assert_string_equal(buf, "1904-01-01");
    assert_false(table_format_date(-1, false, buf, sizeof buf));
    table_column_letters(0, buf, sizeof buf);
    assert_string_equal(buf, "A");
    table_column_letters(27, buf, sizeof buf);
    assert_string_equal(buf, "AB");
    table_column_letters(16383, buf, sizeof buf);
    assert_string_equal(buf, "XFD");
}

typedef struct rows {
    char text[2048];
    const sipas_table_source *source;
    char cell[16];
    char dates[64];   /* "ROW:FIELD " of each cell shown as a date */
} rows;

/* Each row as "ROW:a|b|c\n"; and the cell reference of the last field of row 4. */
static sipas_status collect_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                                const size_t *lengths, sipas_error *err)
{
    (void)err;
    rows *r = ctx;
    size_t used = strlen(r->text);
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%zu:", row);
    for (size_t j = 0; j < nfields; j++) {
        assert_int_equal(strlen(fields[j]), lengths[j]);
        used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%s%s", j ? "|" : "",
                                 fields[j]);
        size_t d = strlen(r->dates);
        if (sipas_table_source_cell_is_date(r->source, j))
            snprintf(r->dates + d, sizeof r->dates - d, "%zu:%zu ", row, j);
    }
    snprintf(r->text + used, sizeof r->text - used, "\n");
    if (row == 4)
        sipas_table_source_cell(r->source, row, nfields - 1, r->cell, sizeof r->cell);
    return SIPAS_OK;
}

static void test_xlsx_cells(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/cells.xlsx", scratch);
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *first = workbook_add_worksheet(wb, "Bìa");
    lxw_worksheet *data = workbook_add_worksheet(wb, "Dữ liệu");
    worksheet_write_string(first, 0, 0, "cover sheet", NULL);
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "dd/mm/yyyy");
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format(money, "#,##0.00 \"đ\"");
    worksheet_write_string(data, 0, 0, "name", NULL);
    worksheet_write_string(data, 0, 1, "n", NULL);
    worksheet_write_string(data, 0, 2, "flag", NULL);
    worksheet_write_string(data, 0, 3, "when", NULL);
    worksheet_write_string(data, 1, 0, "Hòa Thủy", NULL);
    worksheet_write_number(data, 1, 1, 4.0, NULL);
    worksheet_write_boolean(data, 1, 2, 1, NULL);
    lxw_datetime when = {2024, 5, 31, 0, 0, 0};
    worksheet_write_datetime(data, 1, 3, &when, date);
    /* row 3 left empty; row 4: a decimal with a currency format (not a date), no flag */
    worksheet_write_string(data, 3, 0, "x", NULL);
    worksheet_write_number(data, 3, 1, 2.5, money);
    worksheet_write_boolean(data, 3, 2, 0, NULL);
    worksheet_write_blank(data, 3, 3, date);
    /* a value right of the header */
    worksheet_write_string(data, 4, 4, "stray", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    sipas_table_options opt = {.sheet = "Dữ liệu"};
    sipas_table_source *source = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_table_source_open(path, "cells.xlsx", &opt, &source, &err), SIPAS_OK);
    assert_int_equal(sipas_table_source_format(source), SIPAS_TABLE_XLSX);
    rows r = {.source = source};
    assert_int_equal(sipas_table_source_read(source, collect_row, &r, &err), SIPAS_OK);
    assert_string_equal(r.text, "1:name|n|flag|when\n"
                                "2:Hòa Thủy|4|1|2024-05-31\n"
                                "4:x|2.5|0|\n"
                                "5:||||stray\n");
    assert_string_equal(r.cell, "D4");
    assert_string_equal(r.dates, "2:3 "); /* the date cell; the blank date-formatted D4 is empty */
    assert_int_equal(strlen(sipas_table_source_sha256(source)), 64);
    char where[64];
    sipas_table_source_where(source, 4, where, sizeof where);
    assert_string_equal(where, "cells.xlsx[Dữ liệu]:4");
    sipas_table_source_free(source);

    /* the first sheet by default */
    assert_int_equal(sipas_table_source_open(path, NULL, NULL, &source, &err), SIPAS_OK);
    memset(&r, 0, sizeof r);
    r.source = source;
    assert_int_equal(sipas_table_source_read(source, collect_row, &r, &err), SIPAS_OK);
    assert_string_equal(r.text, "1:cover sheet\n");
    sipas_table_source_free(source);
}

static ssize_t write_to_file(const void *bytes, size_t len, void *ctx)
{
    return fwrite(bytes, 1, len, ctx) == len ? (ssize_t)len : -1;
}

/* An SPSS file as a contractor might send it: q1 coded 1 = very satisfied .. 5 = very
 * dissatisfied and 9 = don't know (user-missing); q2 coded as the instrument, 99 refused
 * (user-missing); with_bad_missing also declares q2's 5 ("very satisfied") missing. */
static void write_contractor_sav(const char *path, bool with_bad_missing)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    readstat_writer_t *w = readstat_writer_init();
    readstat_set_data_writer(w, write_to_file);
    readstat_label_set_t *reversed = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE, "reversed");
    static const char *const labels[] = {"Rất hài lòng", "Hài lòng", "Bình thường",
                                         "Không hài lòng", "Rất không hài lòng"};
    for (int i = 0; i < 5; i++)
        readstat_label_double_value(reversed, i + 1, labels[i]);
    readstat_label_double_value(reversed, 9, "Không biết");
    readstat_label_set_t *same = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE, "same");
    readstat_label_double_value(same, 4, "Satisfied");
    readstat_label_double_value(same, 5, "Very satisfied");
    readstat_label_double_value(same, 99, "Refused");
    readstat_variable_t *id = readstat_add_variable(w, "respondent_id", READSTAT_TYPE_STRING, 8);
    readstat_variable_t *wave = readstat_add_variable(w, "wave", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *district = readstat_add_variable(w, "district", READSTAT_TYPE_STRING, 8);
    readstat_variable_t *commune = readstat_add_variable(w, "commune", READSTAT_TYPE_STRING, 8);
    readstat_variable_t *weight = readstat_add_variable(w, "weight", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *rtype = readstat_add_variable(w, "respondent_type", READSTAT_TYPE_STRING, 8);
    readstat_variable_t *q1 = readstat_add_variable(w, "q1", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *q2 = readstat_add_variable(w, "q2", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_set_label_set(q1, reversed);
    readstat_variable_set_label_set(q2, same);
    readstat_variable_add_missing_double_value(q1, 9);
    readstat_variable_add_missing_double_value(q2, 99);
    if (with_bad_missing)
        readstat_variable_add_missing_double_value(q2, 5);
    static const struct { const char *id; double q1, q2; } cases[] = {
        {"r1", 1, 4}, {"r2", 5, 5}, {"r3", 9, 99}, {"r4", 2, -1},
    };
    assert_int_equal(readstat_begin_writing_sav(w, f, 4), READSTAT_OK);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(readstat_begin_row(w), READSTAT_OK);
        readstat_insert_string_value(w, id, cases[i].id);
        readstat_insert_double_value(w, wave, 2024);
        readstat_insert_string_value(w, district, "cao_loc");
        readstat_insert_string_value(w, commune, "c1");
        readstat_insert_double_value(w, weight, 1.5);
        readstat_insert_string_value(w, rtype, "citizen");
        readstat_insert_double_value(w, q1, cases[i].q1);
        if (cases[i].q2 < 0)
            readstat_insert_missing_value(w, q2);
        else
            readstat_insert_double_value(w, q2, cases[i].q2);
        assert_int_equal(readstat_end_row(w), READSTAT_OK);
    }
    assert_int_equal(readstat_end_writing(w), READSTAT_OK);
    readstat_writer_free(w);
    assert_int_equal(fclose(f), 0);
}

typedef struct answers {
    char text[256];
} answers;

static sipas_status collect_answer(void *ctx, const sipas_value *values, sipas_error *err)
{
    (void)err;
    answers *a = ctx;
    size_t used = strlen(a->text);
    char q2[24] = "NULL";
    if (values[2].kind == SIPAS_VALUE_INT)
        snprintf(q2, sizeof q2, "%lld", (long long)values[2].i);
    snprintf(a->text + used, sizeof a->text - used, "%.*s:%lld:%s\n", (int)values[0].len,
             values[0].text, (long long)values[1].i, q2);
    return SIPAS_OK;
}

static void problems_into(void *ctx, const char *message)
{
    char *buf = ctx;
    size_t used = strlen(buf);
    snprintf(buf + used, 2048 - used, "%s\n", message);
}

static void test_sav_labels_and_missing(void **state)
{
    (void)state;
    sipas_instrument *inst = NULL;
    sipas_store *store = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_FIXTURES "/import/mini", &inst, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(SIPAS_STORE_IN_MEMORY, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/contractor.sav", scratch);
    write_contractor_sav(path, false);
    sipas_import_result result;
    char problems[2048] = "";
    sipas_import_options opt = {.on_problem = problems_into, .problem_ctx = problems};
    if (sipas_import_batch(store, inst, path, &opt, &result, &err) != SIPAS_OK)
        fail_msg("%s\n%s", err.message, problems);
    assert_int_equal(result.rows_stored, 4);
    static const char *const columns[] = {"respondent_id", "q1", "q2"};
    answers a = {0};
    assert_int_equal(sipas_store_query_responses(store, "mini", columns, 3, NULL, 0, 0,
                                                 collect_answer, &a, &err), SIPAS_OK);
    /* q1 by label (the file's 1 is the instrument's 5), 9 "Không biết" -> 97 don't know;
     * q2 by code (its English labels are the instrument's too), 99 refused, empty NULL */
    assert_string_equal(a.text, "r1:5:4\nr2:1:5\nr3:97:99\nr4:4:NULL\n");

    /* a value the file declares missing must be a missing choice */
    snprintf(path, sizeof path, "%s/contractor_bad.sav", scratch);
    write_contractor_sav(path, true);
    problems[0] = '\0';
    assert_int_equal(sipas_import_batch(store, inst, path, &opt, &result, &err), SIPAS_ERR_VALIDATION);
    assert_non_null(strstr(problems, "contractor_bad.sav:case 2: column 'q2': '5': the file "
                                     "declares this value missing ('Very satisfied'), but choice "
                                     "'5' of list 'sat5' is a valid answer"));
    int64_t count = 0;
    assert_int_equal(sipas_store_count_responses(store, "mini", &count, &err), SIPAS_OK);
    assert_int_equal(count, 4);
    sipas_store_close(store);
    sipas_instrument_free(inst);
}

/* Dates as SPSS (seconds since 1582-10-14, format DATE11) and Stata (days since 1960-01-01,
 * %td) store them come out as ISO dates, like a spreadsheet's date cells. */
static void test_stat_dates(void **state)
{
    (void)state;
    static const struct { bool dta; const char *format; double value; } cases[] = {
        {false, "DATE11", 13936492800.0}, /* 2024-05-31 */
        {true, "%td", 23527.0},           /* 2024-05-31 */
    };
    for (size_t i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/dates.%s", scratch, cases[i].dta ? "dta" : "sav");
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        readstat_writer_t *w = readstat_writer_init();
        readstat_set_data_writer(w, write_to_file);
        readstat_variable_t *when = readstat_add_variable(w, "when", READSTAT_TYPE_DOUBLE, 0);
        readstat_variable_set_format(when, cases[i].format);
        readstat_variable_t *n = readstat_add_variable(w, "n", READSTAT_TYPE_DOUBLE, 0);
        assert_int_equal(cases[i].dta ? readstat_begin_writing_dta(w, f, 1)
                                      : readstat_begin_writing_sav(w, f, 1), READSTAT_OK);
        readstat_begin_row(w);
        readstat_insert_double_value(w, when, cases[i].value);
        readstat_insert_double_value(w, n, 2.5);
        assert_int_equal(readstat_end_row(w), READSTAT_OK);
        assert_int_equal(readstat_end_writing(w), READSTAT_OK);
        readstat_writer_free(w);
        assert_int_equal(fclose(f), 0);
        sipas_table_source *source = NULL;
        sipas_error err = {0};
        assert_int_equal(sipas_table_source_open(path, "dates", NULL, &source, &err), SIPAS_OK);
        rows r = {.source = source};
        assert_int_equal(sipas_table_source_read(source, collect_row, &r, &err), SIPAS_OK);
        assert_string_equal(r.text, "0:when|n\n1:2024-05-31|2.5\n");
        assert_string_equal(r.dates, ""); /* only spreadsheet cells carry the mark */
        sipas_table_source_free(source);
    }
}

/* libxlsxwriter's constant_memory mode writes inline strings (<c t="inlineStr"><is><t>),
 * as streaming writers and some exports do, instead of the shared-string table. */
static void test_xlsx_inline_strings(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/inline.xlsx", scratch);
    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = scratch};
    lxw_workbook *wb = workbook_new_opt(path, &options);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    worksheet_write_string(ws, 0, 0, "district", NULL);
    worksheet_write_string(ws, 0, 1, "q1", NULL);
    worksheet_write_string(ws, 1, 0, "Lộc Bình", NULL);
    worksheet_write_number(ws, 1, 1, 5, NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    sipas_table_source *source = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_table_source_open(path, NULL, NULL, &source, &err), SIPAS_OK);
    rows r = {.source = source};
    assert_int_equal(sipas_table_source_read(source, collect_row, &r, &err), SIPAS_OK);
    assert_string_equal(r.text, "1:district|q1\n2:Lộc Bình|5\n");
    sipas_table_source_free(source);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_number_and_date_text),
        cmocka_unit_test(test_xlsx_cells),
        cmocka_unit_test(test_xlsx_inline_strings),
        cmocka_unit_test(test_sav_labels_and_missing),
        cmocka_unit_test(test_stat_dates),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
