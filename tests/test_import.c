/* Import and store: every validation rule, labels in both languages and both normalisation
 * forms, repeated batches, keep-valid, interrupts, and that a refused batch leaves the store as
 * it was. Uses the small instrument tests/fixtures/import/mini. */
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
#include "sipas/instrument.h"
#include "sipas/store.h"
#include "scratch_dir.h"

#define HEADER "respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2\n"

typedef struct fixture {
    char dir[64];
    char db[96];
    char csv[96];
    char rejects[96];
    sipas_instrument *inst;
    sipas_store *store;
    char problems[8192];
    size_t nproblems;
} fixture;

static void collect_problem(void *ctx, const char *message)
{
    fixture *f = ctx;
    size_t used = strlen(f->problems);
    snprintf(f->problems + used, sizeof f->problems - used, "%s\n", message);
    f->nproblems++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/sipas-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/batch.csv", f->dir);
    snprintf(f->rejects, sizeof f->rejects, "%s/rejects.csv", f->dir);
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(SIPAS_TEST_FIXTURES "/import/mini", &f->inst, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &f->store, &err), SIPAS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sipas_store_close(f->store);
    sipas_instrument_free(f->inst);
    assert_int_equal(scratch_dir_remove(f->dir), 0);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(content, 1, len, out), len);
    fclose(out);
}

static sipas_status import_text(fixture *f, const char *content, sipas_import_options *opt,
                                sipas_import_result *res, sipas_error *err)
{
    write_file(f->csv, content, strlen(content));
    f->problems[0] = '\0';
    f->nproblems = 0;
    sipas_import_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    opt->display_name = "batch.csv";
    opt->rejects_path = f->rejects;
    opt->on_problem = collect_problem;
    opt->problem_ctx = f;
    return sipas_import_batch(f->store, f->inst, f->csv, opt, res, err);
}

static int64_t stored(fixture *f)
{
    int64_t n = -1;
    sipas_error err;
    assert_int_equal(sipas_store_count_responses(f->store, "mini", &n, &err), SIPAS_OK);
    return n;
}

static void assert_problem(const fixture *f, const char *expected)
{
    if (strstr(f->problems, expected) == NULL)
        fail_msg("expected problem '%s' in:\n%s", expected, f->problems);
}

/* Reads a stored column of one respondent as text. */
typedef struct cell { char text[128]; bool found; } cell;
static sipas_status read_cell_fn(void *ctx, const sipas_value *v, sipas_error *err)
{
    (void)err;
    cell *c = ctx;
    c->found = true;
    if (v[0].kind == SIPAS_VALUE_INT)
        snprintf(c->text, sizeof c->text, "%lld", (long long)v[0].i);
    else if (v[0].kind == SIPAS_VALUE_REAL)
        snprintf(c->text, sizeof c->text, "%.17g", v[0].r);
    else if (v[0].kind == SIPAS_VALUE_TEXT)
        snprintf(c->text, sizeof c->text, "%.*s", (int)v[0].len, v[0].text);
    else
        strcpy(c->text, "NULL");
    return SIPAS_OK;
}

static cell stored_cell(fixture *f, const char *id, const char *column)
{
    cell c = {0};
    const char *cols[] = {column};
    const char *vals[] = {id};
    sipas_filter flt = {.column = "respondent_id", .op = SIPAS_OP_EQ, .nvalues = 1, .values = vals};
    sipas_error err;
    assert_int_equal(sipas_store_query_responses(f->store, "mini", cols, 1, &flt, 1, 0, read_cell_fn,
                                                 &c, &err), SIPAS_OK);
    return c;
}

static void test_valid_batch_is_stored(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, HEADER
        "r1,2021,cao_loc,c01,1.5,citizen,0912345678,4,5\n"
        "r2,2021,loc_binh,c02,2,business,,97,\n"
        "\" r3\t\",\" 2021\",\"\tloc_binh \",c03,\" 2.5\",citizen,,\" 5 \",\"4\"\n", NULL, &res,
        &err), SIPAS_OK);
    assert_int_equal(res.rows_read, 3);
    assert_int_equal(res.rows_stored, 3);
    assert_true(res.batch_id > 0);
    assert_int_equal(stored(f), 3);
    assert_string_equal(stored_cell(f, "r1", "q1").text, "4");
    assert_string_equal(stored_cell(f, "r2", "q1").text, "97");
    assert_string_equal(stored_cell(f, "r2", "q2").text, "NULL");
    assert_string_equal(stored_cell(f, "r1", "weight").text, "1.5");
    assert_string_equal(stored_cell(f, "r1", "district").text, "cao_loc");
    /* codes and numbers skip the trimming and UTF-8 checks they cannot fail (read_cell); padded
     * cells (spaces kept by quotes, tabs) are still trimmed to the same values */
    assert_string_equal(stored_cell(f, "r3", "q1").text, "5");
    assert_string_equal(stored_cell(f, "r3", "q2").text, "4");
    assert_string_equal(stored_cell(f, "r3", "wave").text, "2021");
    assert_string_equal(stored_cell(f, "r3", "weight").text, "2.5");
    assert_string_equal(stored_cell(f, "r3", "district").text, "loc_binh");
    /* personal data never in clear: a 64-digit keyed hash */
    cell phone = stored_cell(f, "r1", "phone");
    assert_int_equal(strlen(phone.text), 64);
    assert_null(strstr(phone.text, "0912345678"));
    assert_string_equal(stored_cell(f, "r2", "phone").text, "NULL");
    sipas_batch_info info;
    assert_int_equal(sipas_store_get_batch(f->store, res.batch_id, &info, &err), SIPAS_OK);
    assert_string_equal(info.file_name, "batch.csv");
    assert_string_equal(info.content_sha256, res.sha256);
    assert_int_equal(info.rows_stored, 3);
    assert_string_equal(info.instrument_version, "1");
    sipas_batch_info_clear(&info);
}

static void test_labels_both_languages_and_forms(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    /* NFC "Hài lòng", NFD "Hài lòng" (a + combining grave), English in another case, padded;
     * a district by its Vietnamese label; semicolons with a decimal comma. */
    const char *text =
        "respondent_id;wave;district;commune;weight;respondent_type;phone;q1;q2\n"
        "a1;2022;Cao Lộc;c1;1,25;Người dân;;H\xc3\xa0i l\xc3\xb2ng;  rất hài lòng \n"
        "a2;2022;LỘC BÌNH;c2;2;Citizen;;Ha\xcc\x80i lo\xcc\x80ng;VERY SATISFIED\n"
        "a3;2022;loc_binh;c2;3;business;;  Don't know ;bình thường\n";
    assert_int_equal(import_text(f, text, NULL, &res, &err), SIPAS_OK);
    assert_int_equal(res.delimiter, ';');
    assert_int_equal(res.rows_stored, 3);
    assert_string_equal(stored_cell(f, "a1", "q1").text, "4");
    assert_string_equal(stored_cell(f, "a1", "q2").text, "5");
    assert_string_equal(stored_cell(f, "a2", "q1").text, "4");
    assert_string_equal(stored_cell(f, "a2", "q2").text, "5");
    assert_string_equal(stored_cell(f, "a2", "district").text, "loc_binh");
    assert_string_equal(stored_cell(f, "a2", "respondent_type").text, "citizen");
    assert_string_equal(stored_cell(f, "a3", "q1").text, "97");
    assert_string_equal(stored_cell(f, "a3", "q2").text, "3");
    assert_string_equal(stored_cell(f, "a1", "weight").text, "1.25");
}

static void test_tab_delimited_with_bom(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    const char *text = "\xef\xbb\xbfrespondent_id\twave\tdistrict\tcommune\tweight\trespondent_type\tphone\tq1\tq2\r\n"
                       "t1\t2020\tcao_loc\tc1\t1\tcitizen\t\t5\t4";
    assert_int_equal(import_text(f, text, NULL, &res, &err), SIPAS_OK);
    assert_int_equal(res.delimiter, '\t');
    assert_string_equal(stored_cell(f, "t1", "q2").text, "4");
}

typedef struct bad_case {
    const char *row;
    const char *expected;
} bad_case;

static void test_each_row_rule_rejects_and_stores_nothing(void **state)
{
    fixture *f = *state;
    static const bad_case cases[] = {
        {"b1,2021,cao_loc,c1,1,citizen,,6,4", "batch.csv:3: column 'q1': '6' is not a code or label of list 'sat5'"},
        {"b1,2021,cao_loc,c1,1,citizen,,Hài lòng lắm,4", "column 'q1': 'Hài lòng lắm' is not a code or label of list 'sat5'"},
        {"b1,2021,hanoi,c1,1,citizen,,4,4", "column 'district': 'hanoi' is not a code or label of list 'district'"},
        {"b1,2021,cao_loc,c1,0,citizen,,4,4", "column 'weight': '0' is not a positive number"},
        {"b1,2021,cao_loc,c1,-1,citizen,,4,4", "column 'weight': '-1' is not a positive number"},
        {"b1,2021,cao_loc,c1,NaN,citizen,,4,4", "column 'weight': 'NaN' is not a number"},
        {"b1,2021,cao_loc,c1,\"1,5e3\",citizen,,4,4", "column 'weight': '1,5e3' is not a number (a decimal comma is accepted only in semicolon- or tab-separated files)"},
        {"b1,2021,cao_loc,c1,,citizen,,4,4", "column 'weight': empty, but a value is required"},
        {",2021,cao_loc,c1,1,citizen,,4,4", "column 'respondent_id': empty, but a value is required"},
        {"b1,1890,cao_loc,c1,1,citizen,,4,4", "column 'wave': wave 1890 is implausible (expected a year from 1990 to 2100)"},
        {"b1,2021x,cao_loc,c1,1,citizen,,4,4", "column 'wave': '2021x' is not a whole number"},
        {"b1,2021,cao_loc,c1,1,citizen,4,4", "batch.csv:3: the row has 8 fields but the header has 9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, HEADER "ok1,2021,cao_loc,c1,1,citizen,,4,4\n%s\n", cases[i].row);
        sipas_import_result res;
        sipas_error err = {0};
        sipas_status st = import_text(f, text, NULL, &res, &err);
        assert_int_equal(st, SIPAS_ERR_VALIDATION);
        assert_problem(f, cases[i].expected);
        assert_int_equal(res.rows_rejected, 1);
        assert_int_equal(res.batch_id, 0);
        assert_int_equal(stored(f), 0);
        assert_non_null(strstr(err.message, "1 of 2 rows rejected; nothing was stored"));
        /* the rejects file has the row and its reason */
        FILE *in = fopen(f->rejects, "r");
        assert_non_null(in);
        char line[1024];
        assert_non_null(fgets(line, sizeof line, in));
        assert_int_equal(strncmp(line, "row,problems,respondent_id", 26), 0);
        assert_non_null(fgets(line, sizeof line, in));
        assert_int_equal(strncmp(line, "3,", 2), 0);
        fclose(in);
    }
}

/* A file in TCVN3 is converted and stored; a UTF-8 file with one bad byte is refused with one
 * message for the file (not one per cell) and stores nothing. */
static void test_encodings(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, HEADER "b1,2021,cao_loc,c1,1,citizen,,H\xb5i l\xdfng,4\n",
                                 NULL, &res, &err), SIPAS_OK);
    assert_int_equal(res.encoding, SIPAS_ENCODING_TCVN3);
    assert_int_equal(stored(f), 1);
    assert_int_equal(import_text(f, HEADER "b2,2021,cao_loc,c1,1,citizen,,H\xc3\xa0i l\xc3\xb2ng,4\n"
                                 "b3,2021,cao_loc,c1,1,citizen,,R\xe1\xba\xa5t h\xc3\xa0i l\xc3"
                                 "\xb2ng,4\n"
                                 "b4,2021,cao_loc,c1,1,citizen,,H\xe0i,\xe0\n", NULL, &res, &err),
                     SIPAS_ERR_FORMAT);
    assert_string_equal(err.message, "batch.csv:4: not valid UTF-8 (byte 0xE0), though the text "
                        "before it is UTF-8 (this part looks like Windows-1258); correct that text, or save the file as UTF-8 again");
    assert_int_equal(f->nproblems, 0);
    assert_int_equal(stored(f), 1);
}

static void test_header_problems_refuse_the_file(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, "respondent_id,wave,district,commune,weight,respondent_type,q1,q2,q3\n"
                                    "x,2021,cao_loc,c,1,citizen,4,4,4\n", NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_problem(f, "batch.csv:1: column 'q3': not a column of instrument 'mini' version '1'");
    assert_int_equal(import_text(f, "respondent_id,wave,district,commune,weight,q1\nx,2021,cao_loc,c,1,4\n",
                                 NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_problem(f, "batch.csv:1: column 'respondent_type': missing from the header");
    assert_problem(f, "column 'q2': missing from the header");
    assert_int_equal(import_text(f, "respondent_id,wave,district,commune,weight,respondent_type,q1,q2,Q1\n"
                                    "x,2021,cao_loc,c,1,citizen,4,4,4\n", NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_problem(f, "column 'Q1': appears twice in the header");
    assert_int_equal(import_text(f, "respondent_id,district,commune,weight,respondent_type,q1,q2\n"
                                    "x,cao_loc,c,1,citizen,4,4\n", NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_problem(f, "column 'wave': missing from the header; add the column or give --wave");
    assert_int_equal(import_text(f, "", NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_string_equal(err.message, "batch.csv: the file is empty (no header row)");
    assert_int_equal(import_text(f, HEADER, NULL, &res, &err), SIPAS_ERR_FORMAT);
    assert_string_equal(err.message, "batch.csv: no data rows (only a header)");
    assert_int_equal(stored(f), 0);
}

static void test_wave_option_fills_missing_column(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    sipas_import_options opt = {.wave = 2023};
    assert_int_equal(import_text(f, "respondent_id,district,commune,weight,respondent_type,q1,q2\n"
                                    "w1,cao_loc,c,1,citizen,4,4\n", &opt, &res, &err), SIPAS_OK);
    assert_string_equal(stored_cell(f, "w1", "wave").text, "2023");
    sipas_import_options opt2 = {.wave = 2024};
    assert_int_equal(import_text(f, HEADER "w2,2023,cao_loc,c,1,citizen,,4,4\n", &opt2, &res, &err),
                     SIPAS_ERR_VALIDATION);
    assert_problem(f, "column 'wave': wave 2023 differs from --wave 2024");
}

static void test_duplicate_ids(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, HEADER "d1,2021,cao_loc,c,1,citizen,,4,4\n"
                                           "d2,2021,cao_loc,c,1,citizen,,4,4\n"
                                           "d1,2021,cao_loc,c,1,citizen,,5,5\n", NULL, &res, &err),
                     SIPAS_ERR_VALIDATION);
    assert_problem(f, "batch.csv:4: column 'respondent_id': respondent id 'd1' is already at row 2 of this file");
    assert_int_equal(stored(f), 0);
    assert_int_equal(import_text(f, HEADER "d1,2021,cao_loc,c,1,citizen,,4,4\n", NULL, &res, &err), SIPAS_OK);
    int64_t first = res.batch_id;
    assert_int_equal(import_text(f, HEADER "d9,2021,cao_loc,c,1,citizen,,4,4\n"
                                           "d1,2021,cao_loc,c,1,citizen,,4,4\n", NULL, &res, &err),
                     SIPAS_ERR_VALIDATION);
    char expected[128];
    snprintf(expected, sizeof expected, "respondent id 'd1' is already stored from batch %lld ('batch.csv' row 2)",
             (long long)first);
    assert_problem(f, expected);
    assert_int_equal(stored(f), 1);
}

static void test_keep_valid_stores_the_rest(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    sipas_import_options opt = {.keep_valid = true};
    assert_int_equal(import_text(f, HEADER "k1,2021,cao_loc,c,1,citizen,,4,4\n"
                                           "k2,2021,cao_loc,c,0,citizen,,4,4\n"
                                           "k3,2021,cao_loc,c,1,citizen,,2,1\n", &opt, &res, &err), SIPAS_OK);
    assert_int_equal(res.rows_stored, 2);
    assert_int_equal(res.rows_rejected, 1);
    assert_int_equal(stored(f), 2);
    sipas_batch_info info;
    assert_int_equal(sipas_store_get_batch(f->store, res.batch_id, &info, &err), SIPAS_OK);
    assert_int_equal(info.rows_read, 3);
    assert_int_equal(info.rows_rejected, 1);
    sipas_batch_info_clear(&info);
}

static void test_repeated_batch_and_replace(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    const char *text = HEADER "p1,2021,cao_loc,c,1,citizen,,4,4\n";
    assert_int_equal(import_text(f, text, NULL, &res, &err), SIPAS_OK);
    int64_t first = res.batch_id;
    assert_int_equal(import_text(f, text, NULL, &res, &err), SIPAS_ERR_CONFLICT);
    assert_non_null(strstr(err.message, "has the same content as batch"));
    assert_non_null(strstr(err.message, "use --replace"));
    sipas_import_options opt = {.replace = true};
    assert_int_equal(import_text(f, text, &opt, &res, &err), SIPAS_OK);
    assert_true(res.batch_id != first);
    assert_int_equal(stored(f), 1);
    assert_int_equal(sipas_store_get_batch(f->store, first, &(sipas_batch_info){0}, &err), SIPAS_ERR_NOT_FOUND);
    /* remove takes the responses with it */
    assert_int_equal(sipas_store_remove_batch(f->store, res.batch_id, &err), SIPAS_OK);
    assert_int_equal(stored(f), 0);
}

static void test_dry_run_and_interrupt_store_nothing(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    sipas_import_options dry = {.dry_run = true};
    assert_int_equal(import_text(f, HEADER "n1,2021,cao_loc,c,1,citizen,,4,4\n", &dry, &res, &err), SIPAS_OK);
    assert_int_equal(res.rows_stored, 1);
    assert_int_equal(stored(f), 0);
    volatile int stop = 1;
    sipas_import_options interrupted = {.stop_flag = &stop};
    assert_int_equal(import_text(f, HEADER "n1,2021,cao_loc,c,1,citizen,,4,4\n", &interrupted, &res, &err),
                     SIPAS_ERR_INTERRUPTED);
    assert_int_equal(stored(f), 0);
    sipas_batch_info *list = NULL;
    size_t n = 0;
    assert_int_equal(sipas_store_list_batches(f->store, NULL, &list, &n, &err), SIPAS_OK);
    assert_int_equal(n, 0);
    sipas_batch_list_free(list, n);
}

/* A batch larger than the blocks the reading thread hands over (src/import_pipeline.c) and the
 * 16-row statements that store them: every problem is reported once, in the file's order, the
 * rejects file keeps that order, and duplicates inside a 16-row statement are found. */
static void test_order_across_blocks_and_statements(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, HEADER "r601,2021,cao_loc,c,1,citizen,,4,4\n", NULL, &res, &err),
                     SIPAS_OK);
    int64_t first = res.batch_id;
    size_t rows = 1300, cap = 64 * rows, len = strlen(HEADER);
    char *text = malloc(cap);
    assert_non_null(text);
    memcpy(text, HEADER, len);
    for (size_t i = 1; i <= rows; i++) {
        char id[16], weight[8] = "1", *fields = "";
        snprintf(id, sizeof id, "r%zu", i == 6 ? 3 : i == 1290 ? 1281 : i);
        if (i == 600)
            strcpy(weight, "0");
        if (i == 530)
            fields = ",5";
        len += (size_t)snprintf(text + len, cap - len, "%s,2021,cao_loc,c,%s,citizen,,4,4%s\n", id,
                                weight, fields);
    }
    sipas_import_options opt = {.keep_valid = true};
    assert_int_equal(import_text(f, text, &opt, &res, &err), SIPAS_OK);
    free(text);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "batch.csv:7: column 'respondent_id': respondent id 'r3' is already at row 4 of this file\n"
             "batch.csv:531: the row has 10 fields but the header has 9\n"
             "batch.csv:601: column 'weight': '0' is not a positive number\n"
             "batch.csv:602: column 'respondent_id': respondent id 'r601' is already stored from batch %lld ('batch.csv' row 2)\n"
             "batch.csv:1291: column 'respondent_id': respondent id 'r1281' is already at row 1282 of this file\n",
             (long long)first);
    assert_string_equal(f->problems, expected);
    assert_int_equal(res.rows_read, 1300);
    assert_int_equal(res.rows_rejected, 5);
    assert_int_equal(res.rows_stored, 1295);
    assert_int_equal(stored(f), 1296);
    FILE *rejects = fopen(f->rejects, "r");
    assert_non_null(rejects);
    char line[512];
    const char *rows_rejected[] = {"7,", "531,", "601,", "602,", "1291,"};
    assert_non_null(fgets(line, sizeof line, rejects)); /* the header */
    for (size_t i = 0; i < 5; i++) {
        assert_non_null(fgets(line, sizeof line, rejects));
        assert_true(strncmp(line, rows_rejected[i], strlen(rows_rejected[i])) == 0);
    }
    assert_null(fgets(line, sizeof line, rejects));
    fclose(rejects);
}

/* The stop flag set while rows are being stored (a Ctrl-C seen by the storing thread): the
 * import stops, says so, and stores nothing. */
static void stop_at_problem(void *ctx, const char *message)
{
    (void)message;
    *(volatile int *)ctx = 1;
}

static void test_stop_while_storing(void **state)
{
    fixture *f = *state;
    size_t rows = 3000, cap = 64 * rows, len = strlen(HEADER);
    char *text = malloc(cap);
    assert_non_null(text);
    memcpy(text, HEADER, len);
    for (size_t i = 1; i <= rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "s%zu,2021,cao_loc,c,%s,citizen,,4,4\n", i,
                                i == 2 ? "0" : "1");
    write_file(f->csv, text, len);
    free(text);
    volatile int stop = 0;
    sipas_import_options opt = {.display_name = "batch.csv", .keep_valid = true,
                                .on_problem = stop_at_problem, .problem_ctx = (void *)&stop,
                                .stop_flag = &stop};
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(sipas_import_batch(f->store, f->inst, f->csv, &opt, &res, &err),
                     SIPAS_ERR_INTERRUPTED);
    assert_string_equal(err.message, "batch.csv: interrupted; nothing was stored");
    assert_int_equal(stored(f), 0);
}

static void test_instrument_versions(void **state)
{
    fixture *f = *state;
    sipas_error err = {0};
    int64_t id1 = 0, again = 0;
    assert_int_equal(sipas_store_register_instrument(f->store, f->inst, &id1, &err), SIPAS_OK);
    assert_int_equal(sipas_store_register_instrument(f->store, f->inst, &again, &err), SIPAS_OK);
    assert_int_equal(id1, again);
    /* same version, other content: refused */
    char *saved = f->inst->content_hash;
    f->inst->content_hash = "0000";
    assert_int_equal(sipas_store_register_instrument(f->store, f->inst, NULL, &err), SIPAS_ERR_CONFLICT);
    assert_non_null(strstr(err.message, "give the changed instrument a new version"));
    /* a new version is a new instrument row; the old rows keep theirs */
    char *saved_version = f->inst->version;
    f->inst->version = "2";
    int64_t id2 = 0;
    assert_int_equal(sipas_store_register_instrument(f->store, f->inst, &id2, &err), SIPAS_OK);
    assert_true(id2 != id1);
    f->inst->version = saved_version;
    f->inst->content_hash = saved;
}

static void test_not_a_store(void **state)
{
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    write_file(path, "this is not a database, just some text that is long enough to look like a header\n", 81);
    sipas_store *s = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_store_open(path, SIPAS_STORE_READ_WRITE, &s, &err), SIPAS_ERR_STORE);
    char expected[320];
    snprintf(expected, sizeof expected, "'%s' is not a sipas store (not an SQLite database)", path);
    assert_string_equal(err.message, expected);
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    assert_int_equal(sipas_store_open(path, SIPAS_STORE_READ_ONLY, &s, &err), SIPAS_ERR_STORE);
    assert_int_equal(access(path, F_OK), -1);
}

/* The dataset keeps answer codes in one byte each; a stored code that does not fit (here written
 * past the import's checks, as an older instrument version could have) turns the column into
 * doubles without changing a value. The respondent id is never loaded; load_columns loads the
 * design, the criteria and only the named columns. */
static void test_dataset_byte_codes_and_columns(void **state)
{
    fixture *f = *state;
    sipas_import_result res;
    sipas_error err = {0};
    assert_int_equal(import_text(f, HEADER
        "r1,2021,cao_loc,c01,1.5,citizen,,4,5\n"
        "r2,2021,loc_binh,c02,2,business,,97,\n", NULL, &res, &err), SIPAS_OK);
    sipas_store_batch *batch = NULL;
    assert_int_equal(sipas_store_batch_begin(f->store, f->inst, "direct", 0, NULL, 0, false,
                                             &batch, &err), SIPAS_OK);
    sipas_value values[16] = {0};
    assert_true(f->inst->nitems <= 16);
    for (size_t k = 0; k < f->inst->nitems; k++) {
        const char *name = f->inst->items[k].name;
        sipas_value *v = &values[k];
        if (strcmp(name, "respondent_id") == 0 || strcmp(name, "district") == 0 ||
            strcmp(name, "commune") == 0) {
            const char *text = name[0] == 'r' ? "r3" : name[0] == 'd' ? "cao_loc" : "c01";
            *v = (sipas_value){.kind = SIPAS_VALUE_TEXT, .text = text, .len = strlen(text)};
        } else if (strcmp(name, "wave") == 0) {
            *v = (sipas_value){.kind = SIPAS_VALUE_INT, .i = 2021};
        } else if (strcmp(name, "weight") == 0) {
            *v = (sipas_value){.kind = SIPAS_VALUE_REAL, .r = 1};
        } else if (strcmp(name, "q1") == 0) {
            *v = (sipas_value){.kind = SIPAS_VALUE_INT, .i = 300};
        }
    }
    assert_int_equal(sipas_store_batch_insert(batch, values, 2, &err), SIPAS_OK);
    assert_int_equal(sipas_store_batch_commit(batch, NULL, 1, 0, NULL, &err), SIPAS_OK);

    sipas_dataset *d = NULL;
    assert_int_equal(sipas_dataset_load(f->store, f->inst, &d, &err), SIPAS_OK);
    assert_int_equal(d->n, 3);
    assert_null(sipas_dataset_column(d, "respondent_id"));
    assert_null(sipas_dataset_column(d, "phone"));
    const sipas_column *q1 = sipas_dataset_column(d, "q1"), *q2 = sipas_dataset_column(d, "q2");
    assert_non_null(q1);
    assert_non_null(q2);
    assert_null(q1->code); /* widened by the 300 */
    assert_non_null(q2->code);
    double expected_q1[] = {4, 97, 300};
    for (size_t i = 0; i < 3; i++)
        assert_true(sipas_column_number(q1, i) == expected_q1[i]);
    assert_true(sipas_column_number(q2, 0) == 5);
    assert_true(isnan(sipas_column_number(q2, 1)) && isnan(sipas_column_number(q2, 2)));
    assert_non_null(sipas_dataset_column(d, "respondent_type"));
    sipas_dataset_free(d);

    assert_int_equal(sipas_dataset_load_columns(f->store, f->inst, NULL, 0, NULL, 0, &d, &err), SIPAS_OK);
    assert_null(sipas_dataset_column(d, "respondent_type"));
    assert_non_null(sipas_dataset_column(d, "q2"));
    assert_non_null(sipas_dataset_role(d, SIPAS_ROLE_CLUSTER));
    sipas_dataset_free(d);
    const char *named[] = {"district+respondent_type"};
    assert_int_equal(sipas_dataset_load_columns(f->store, f->inst, named, 1, NULL, 0, &d, &err), SIPAS_OK);
    const sipas_column *rt = sipas_dataset_column(d, "respondent_type");
    assert_non_null(rt);
    assert_true(rt->is_text && rt->level[2] == -1 && strcmp(rt->levels[rt->level[1]], "business") == 0);
    sipas_dataset_free(d);
    /* filters go into the query: only the rows that pass are loaded, none is not an error */
    const char *const loc_binh[] = {"loc_binh"}, *const year_2020[] = {"2020"};
    sipas_filter by_district = {.column = "district", .op = SIPAS_OP_EQ, .nvalues = 1, .values = loc_binh};
    assert_int_equal(sipas_dataset_load_columns(f->store, f->inst, NULL, 0, &by_district, 1, &d,
                                                &err), SIPAS_OK);
    assert_int_equal(d->n, 1);
    assert_true(sipas_column_number(sipas_dataset_column(d, "q1"), 0) == 97);
    sipas_dataset_free(d);
    sipas_filter by_wave = {.column = "wave", .op = SIPAS_OP_EQ, .nvalues = 1, .values = year_2020};
    assert_int_equal(sipas_dataset_load_columns(f->store, f->inst, NULL, 0, &by_wave, 1, &d, &err),
                     SIPAS_OK);
    assert_int_equal(d->n, 0);
    sipas_dataset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_batch_is_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_both_languages_and_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tab_delimited_with_bom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_row_rule_rejects_and_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_problems_refuse_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wave_option_fills_missing_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_valid_stores_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_batch_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_and_interrupt_store_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_across_blocks_and_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_while_storing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instrument_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dataset_byte_codes_and_columns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
