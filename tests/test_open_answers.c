/* Open-ended answers (sipas/open_answers.h): the masking of phone numbers, e-mail addresses and
 * ID numbers on awkward text (amounts, dates, +84 forms, Vietnamese letters around a match), the
 * counts by unit (answered, no comment, empty) and the order of the listing, on a small store
 * written here; and the review report's comments section in both languages on the business
 * sample (surveys/sample/sipas2017_business_2023-2024.csv), its counts recounted from the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipas/dataset.h"
#include "sipas/index.h"
#include "sipas/init.h"
#include "sipas/import.h"
#include "sipas/open_answers.h"
#include "sipas/review.h"
#include "sipas/review_report.h"
#include "sipas/store.h"
#include "loaded_store.h"

static char *masked(const char *text, sipas_report_lang lang, unsigned *kinds)
{
    char *out = sipas_open_answer_mask(text, strlen(text), lang, kinds);
    assert_non_null(out);
    return out;
}

static void expect_mask(const char *text, const char *expected, unsigned expected_kinds)
{
    unsigned kinds = 99;
    char *out = masked(text, SIPAS_REPORT_VI, &kinds);
    if (strcmp(out, expected) != 0)
        fail_msg("mask(\"%s\")\n  gave \"%s\"\n  want \"%s\"", text, out, expected);
    assert_int_equal(kinds, expected_kinds);
    free(out);
}

static void test_mask_phones(void **state)
{
    (void)state;
    expect_mask("gọi 0912345678 nhé", "gọi [số điện thoại] nhé", SIPAS_MASKED_PHONE);
    expect_mask("SĐT: 0912 345 678.", "SĐT: [số điện thoại].", SIPAS_MASKED_PHONE);
    expect_mask("0912.345.678", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("số 091-234-5678, cảm ơn", "số [số điện thoại], cảm ơn", SIPAS_MASKED_PHONE);
    expect_mask("+84 912 345 678", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("+84912345678", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("zalo (+84) 912-345-678 ạ", "zalo [số điện thoại] ạ", SIPAS_MASKED_PHONE);
    expect_mask("+84 0912 345 678", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("84 912 345 678", "[số điện thoại]", SIPAS_MASKED_PHONE);
    /* landline with the area code of Lạng Sơn, an old 11-digit mobile */
    expect_mask("(0205) 3812 345", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("(0912345678)", "([số điện thoại])", SIPAS_MASKED_PHONE);
    expect_mask("0205 3812 345", "[số điện thoại]", SIPAS_MASKED_PHONE);
    expect_mask("01234 567 890", "[số điện thoại]", SIPAS_MASKED_PHONE);
    /* no-break spaces, Vietnamese letters right against the digits */
    expect_mask("đt\xc2\xa0" "0912\xc2\xa0" "345\xc2\xa0" "678", "đt\xc2\xa0[số điện thoại]",
                SIPAS_MASKED_PHONE);
    expect_mask("sđt0987654321để", "sđt[số điện thoại]để", SIPAS_MASKED_PHONE);
    /* a year before the number, a date after it: only the phone goes */
    expect_mask("năm 2023 0912 345 678 ngày 12.03.2024", "năm 2023 [số điện thoại] ngày 12.03.2024",
                SIPAS_MASKED_PHONE);
    expect_mask("0912345678,0987654321", "[số điện thoại],[số điện thoại]", SIPAS_MASKED_PHONE);
}

static void test_mask_leaves_amounts_and_dates(void **state)
{
    (void)state;
    const char *kept[] = {
        "Phí 2.500.000 đồng là cao",
        "lệ phí 1.200.000đ",
        "2.500.000.000 đồng",
        "1 200 000 đồng",
        "100 000 000 đồng",
        "ngày 12/03/2024",
        "ngày 12.03.2024 và 05-06-2023",
        "từ 7h30 đến 11h30",
        "hẹn 15 ngày làm việc, 0,5 triệu",
        "mã hồ sơ 000.00.21.H36-240312-0045",
        "0912345",          /* too short to be a phone */
        "+1 212 555 0100",  /* not a Vietnamese number */
        "1.234.567.890",
        "84.912.345.678 đồng", /* an amount, not 84 912 345 678 */
        "",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        expect_mask(kept[i], kept[i], 0);
}

static void test_mask_ids_and_emails(void **state)
{
    (void)state;
    expect_mask("CCCD 020123456789 bị sai", "CCCD [số định danh] bị sai", SIPAS_MASKED_ID);
    expect_mask("CMND số 087665212", "CMND số [số định danh]", SIPAS_MASKED_ID);
    expect_mask("CCCD:001098012345", "CCCD:[số định danh]", SIPAS_MASKED_ID);
    expect_mask("căn cước 001 098 012 345", "căn cước [số định danh]", SIPAS_MASKED_ID);
    expect_mask("MST 4900123456", "MST [số định danh]", SIPAS_MASKED_ID);
    /* the price of never showing an ID: a long amount without separators goes too */
    expect_mask("2500000000 đồng", "[số định danh] đồng", SIPAS_MASKED_ID);
    expect_mask("gửi ketoan.abc@gmail.com nhé", "gửi [email] nhé", SIPAS_MASKED_EMAIL);
    expect_mask("thư về Nguyen_Hung+hs@langson.com.vn.", "thư về [email].", SIPAS_MASKED_EMAIL);
    expect_mask("0912345678@gmail.com", "[email]", SIPAS_MASKED_EMAIL);
    /* an address run into a number (found by the fuzzer: masking twice differed) */
    expect_mask("ab@gmail.cb020123452, xong", "[email][số định danh], xong",
                SIPAS_MASKED_EMAIL | SIPAS_MASKED_ID);
    expect_mask("mail ketoan.abc@gmail.com.2500000000 đồng", "mail [email].[số định danh] đồng",
                SIPAS_MASKED_EMAIL | SIPAS_MASKED_ID);
    expect_mask("a@b.c và @gmail.com và x@localhost", "a@b.c và @gmail.com và x@localhost", 0);
    expect_mask("gọi 0912345678 hoặc mail lan@yahoo.com.vn, CCCD 020123456789",
                "gọi [số điện thoại] hoặc mail [email], CCCD [số định danh]",
                SIPAS_MASKED_PHONE | SIPAS_MASKED_EMAIL | SIPAS_MASKED_ID);
    /* names are not caught (documented in the header and docs/security.md) */
    expect_mask("Tôi là Nguyễn Văn Hùng", "Tôi là Nguyễn Văn Hùng", 0);
    unsigned kinds = 0;
    char *en = masked("call 0912 345 678, id 020123456789, a@b.vn", SIPAS_REPORT_EN, &kinds);
    assert_string_equal(en, "call [phone], id [ID number], [email]");
    free(en);
}

/* ---- counts and order on a small store ---------------------------------------------------- */

typedef struct store_fixture {
    char dir[64];  /* the instrument and the batch, written by the test */
    loaded_store s;
} store_fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static int store_setup(void **state)
{
    store_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/sipas-open-answers-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[160], form[128];
    snprintf(form, sizeof form, "%s/openq", f->dir);
    assert_int_equal(mkdir(form, 0700), 0);
    snprintf(path, sizeof path, "%s/settings.csv", form);
    write_file(path, "form_id,version,form_title::vi,form_title::en\nopenq,1,Thử,Test\n");
    snprintf(path, sizeof path, "%s/elements.csv", form);
    write_file(path, "name,label::vi,label::en\ne,Yếu tố,Element\n");
    snprintf(path, sizeof path, "%s/choices.csv", form);
    write_file(path, "list_name,name,label::vi,label::en,satisfied\n"
                     "district,b,Bình Gia,Binh Gia,\ndistrict,a,Cao Lộc,Cao Loc,\n"
                     "district,z,Tràng Định,Trang Dinh,\n"
                     "sat,1,Không hài lòng,Dissatisfied,0\nsat,2,Hài lòng,Satisfied,1\n");
    snprintf(path, sizeof path, "%s/survey.csv", form);
    write_file(path, "type,name,label::vi,label::en,role,element,personal\n"
                     "text,id,Mã,ID,id,,\ninteger,wave,Năm,Year,wave,,\n"
                     "select_one district,district,Huyện,District,stratum,,\n"
                     "text,commune,Xã,Commune,cluster,,\n"
                     "text,phone,Số điện thoại,Phone,,,yes\n"
                     "select_one sat,q1,Câu 1,Question 1,criterion,e,\n"
                     "text,comments,Góp ý,Comments,,,\n");
    snprintf(path, sizeof path, "%s/batch.csv", f->dir);
    /* district b is listed before a: the listing follows the list, not the codes' order */
    write_file(path, "id,wave,district,commune,phone,q1,comments\n"
                     "r1,2024,a,c1,0912345678,2,Cán bộ nhiệt tình\n"
                     "r2,2024,a,c1,,2,\"Gọi 0912 345 678, cảm ơn\"\n"
                     "r3,2024,a,c2,,1,không có ý kiến\n"
                     "r4,2024,a,c2,,2,\n"
                     "r5,2024,b,c3,,2,Bãi xe chật\n"
                     "r6,2024,b,c3,,1,  Không.  \n"
                     "r7,2024,b,c4,,2,   \n"
                     "r8,2024,b,c4,,2,An ninh tốt\n"
                     "r9,2023,a,c1,,2,Năm trước\n"
                     "r10,2023,b,c3,,2,\n");
    loaded_store_open_dir(&f->s, form, path);
    *state = f;
    return 0;
}

static int store_teardown(void **state)
{
    store_fixture *f = *state;
    loaded_store_close(&f->s);
    assert_int_equal(scratch_dir_remove(f->dir), 0);
    free(f);
    return 0;
}

static void test_counts_by_district(void **state)
{
    store_fixture *f = *state;
    sipas_open_answers *r = NULL;
    sipas_error err = {0};
    const sipas_item *questions[16];
    assert_int_equal(sipas_open_questions(f->s.inst, questions), 1);
    assert_string_equal(questions[0]->name, "comments");
    if (sipas_open_answers_compute(f->s.data, "comments", "district", 2024, SIPAS_REPORT_VI, &r,
                                   &err) != SIPAS_OK)
        fail_msg("compute: %s", err.message);
    assert_int_equal(r->respondents, 8);
    assert_int_equal(r->answered, 4);
    assert_int_equal(r->no_comment, 2);
    assert_int_equal(r->empty, 2);
    assert_int_equal(r->masked_answers, 1);
    assert_int_equal(r->nunits, 2); /* z has no respondent; no row without a district */
    const sipas_open_answer_unit *b = &r->units[0], *a = &r->units[1];
    assert_string_equal(b->code, "b");
    assert_string_equal(sipas_open_answer_unit_label(r, b, SIPAS_REPORT_VI), "Bình Gia");
    assert_string_equal(sipas_open_answer_unit_label(r, a, SIPAS_REPORT_EN), "Cao Loc");
    assert_int_equal(b->respondents, 4);
    assert_int_equal(b->answered, 2);
    assert_int_equal(b->no_comment, 1);
    assert_int_equal(b->empty, 1); /* blanks only */
    assert_int_equal(b->nanswers, 2);
    assert_string_equal(b->answers[0].text, "An ninh tốt"); /* sorted, trimmed */
    assert_string_equal(b->answers[1].text, "Bãi xe chật");
    assert_int_equal(a->respondents, 4);
    assert_int_equal(a->answered, 2);
    assert_string_equal(a->answers[0].text, "Cán bộ nhiệt tình");
    assert_string_equal(a->answers[1].text, "Gọi [số điện thoại], cảm ơn");
    assert_int_equal(a->answers[1].masked, SIPAS_MASKED_PHONE);
    sipas_open_answers_free(r);

    /* by a text column: its values in byte order; no unit: the wave as one */
    assert_int_equal(sipas_open_answers_compute(f->s.data, "comments", "commune", 2024,
                                                SIPAS_REPORT_EN, &r, &err), SIPAS_OK);
    assert_int_equal(r->nunits, 4);
    assert_string_equal(r->units[0].code, "c1");
    assert_string_equal(r->units[3].code, "c4");
    assert_int_equal(r->units[1].no_comment, 1);
    assert_string_equal(r->units[0].answers[1].text, "Gọi [phone], cảm ơn");
    sipas_open_answers_free(r);
    assert_int_equal(sipas_open_answers_compute(f->s.data, "comments", NULL, 2023, SIPAS_REPORT_VI,
                                                &r, &err), SIPAS_OK);
    assert_int_equal(r->nunits, 1);
    assert_int_equal(r->units[0].respondents, 2);
    assert_int_equal(r->units[0].answered, 1);
    assert_string_equal(sipas_open_answer_unit_label(r, &r->units[0], SIPAS_REPORT_VI), "Toàn tỉnh");
    sipas_open_answers_free(r);
}

static void test_refusals(void **state)
{
    store_fixture *f = *state;
    sipas_open_answers *r = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_open_answers_compute(f->s.data, "phone", NULL, 2024, SIPAS_REPORT_VI, &r,
                                                &err), SIPAS_ERR_USAGE);
    assert_non_null(strstr(err.message, "personal"));
    assert_null(r);
    assert_int_equal(sipas_open_answers_compute(f->s.data, "q1", NULL, 2024, SIPAS_REPORT_VI, &r,
                                                &err), SIPAS_ERR_USAGE);
    assert_int_equal(sipas_open_answers_compute(f->s.data, "nope", NULL, 2024, SIPAS_REPORT_VI, &r,
                                                &err), SIPAS_ERR_NOT_FOUND);
    assert_int_equal(sipas_open_answers_compute(f->s.data, "comments", "nope", 2024,
                                                SIPAS_REPORT_VI, &r, &err), SIPAS_ERR_NOT_FOUND);
    assert_int_equal(sipas_open_answers_compute(f->s.data, "comments", "phone", 2024,
                                                SIPAS_REPORT_VI, &r, &err), SIPAS_ERR_USAGE);
}

/* ---- the review report's section, on the business sample --------------------------------- */

#define BUSINESS_SAMPLE SIPAS_TEST_SURVEYS "/sample/sipas2017_business_2023-2024.csv"

typedef struct report_fixture {
    loaded_store s;
    sipas_review *review;
    sipas_index_result *wave_index;
} report_fixture;

static int report_setup(void **state)
{
    report_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    loaded_store_open(&f->s, "sipas2017_business", BUSINESS_SAMPLE);
    sipas_error err = {0};
    sipas_review_options ro = {0};
    ro.index.ci = SIPAS_CI_LOGIT;
    ro.index.level = 0.95;
    ro.rank_adjust = SIPAS_ADJUST_HOLM;
    if (sipas_review_compute(f->s.data, &ro, &f->review, &err) != SIPAS_OK)
        fail_msg("review: %s", err.message);
    sipas_review_report_input in = {.review = f->review, .data = f->s.data,
                                    .inst = f->s.inst, .index = ro.index,
                                    .unweighted_headline = NAN};
    if (sipas_review_report_wave_index(&in, &f->wave_index, &err) != SIPAS_OK)
        fail_msg("wave index: %s", err.message);
    *state = f;
    return 0;
}

static int report_teardown(void **state)
{
    report_fixture *f = *state;
    sipas_index_result_free(f->wave_index);
    sipas_review_free(f->review);
    loaded_store_close(&f->s);
    free(f);
    return 0;
}

static sipas_report *build(const report_fixture *f, sipas_report_lang lang, size_t comments_max)
{
    sipas_review_report_input in = {.review = f->review, .data = f->s.data,
                                    .inst = f->s.inst, .lang = lang,
                                    .unweighted_headline = NAN, .comments_max = comments_max};
    in.index.ci = SIPAS_CI_LOGIT;
    in.index.level = 0.95;
    sipas_report *rep = NULL;
    sipas_error err = {0};
    if (sipas_review_report_build(&in, f->wave_index, &rep, &err) != SIPAS_OK)
        fail_msg("build: %s", err.message);
    return rep;
}

static const sipas_report_table *find_table(const sipas_report *rep, const char *name)
{
    for (size_t i = 0; i < sipas_report_table_count(rep); i++)
        if (strcmp(sipas_report_table_name(sipas_report_table_at(rep, i)), name) == 0)
            return sipas_report_table_at(rep, i);
    return NULL;
}

static char *html_of(const report_fixture *f, const sipas_report *rep)
{
    char path[128];
    snprintf(path, sizeof path, "%s/r.html", f->s.dir);
    sipas_error err = {0};
    assert_int_equal(sipas_report_write_html(rep, path, &err), SIPAS_OK);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char *text = calloc(1, 1 << 22);
    assert_non_null(text);
    assert_true(fread(text, 1, (1 << 22) - 1, in) > 0);
    fclose(in);
    return text;
}

static void test_report_section(void **state)
{
    report_fixture *f = *state;
    for (int lang = SIPAS_REPORT_VI; lang <= SIPAS_REPORT_EN; lang++) {
        bool vi = lang == SIPAS_REPORT_VI;
        sipas_open_answers *r = NULL;
        sipas_error err = {0};
        assert_int_equal(sipas_open_answers_compute(f->s.data, "comments", "district",
                                                    f->review->wave, (sipas_report_lang)lang, &r,
                                                    &err), SIPAS_OK);
        assert_int_equal(r->respondents, 600); /* the sample's rows per wave */
        assert_true(r->answered > 50 && r->masked_answers > 0);
        sipas_report *rep = build(f, (sipas_report_lang)lang, SIPAS_REVIEW_COMMENTS_MAX_DEFAULT);
        const sipas_report_table *counts = find_table(rep, "comment_counts");
        assert_non_null(counts);
        assert_string_equal(sipas_report_table_sheet(counts), vi ? "Số góp ý" : "Comment counts");
        assert_string_equal(sipas_report_table_column(counts, 0)->header,
                            vi ? "Huyện/thành phố nơi doanh nghiệp đặt trụ sở"
                               : "District of the head office");
        assert_int_equal(sipas_report_table_rows(counts), r->nunits + 1);
        for (size_t k = 0; k <= r->nunits; k++) {
            bool total = k == r->nunits;
            const sipas_open_answer_unit *u = total ? NULL : &r->units[k];
            assert_string_equal(sipas_report_cell_text(counts, k, 0),
                                total ? (vi ? "Toàn tỉnh" : "Province")
                                      : sipas_open_answer_unit_label(r, u, (sipas_report_lang)lang));
            assert_true(total || strcmp(sipas_report_cell_text(counts, k, 0), u->code) != 0);
            assert_int_equal((size_t)sipas_report_cell_value(counts, k, 1),
                             total ? r->respondents : u->respondents);
            assert_int_equal((size_t)sipas_report_cell_value(counts, k, 2),
                             total ? r->answered : u->answered);
            assert_int_equal((size_t)sipas_report_cell_value(counts, k, 3),
                             total ? r->no_comment : u->no_comment);
            assert_int_equal((size_t)sipas_report_cell_value(counts, k, 4),
                             total ? r->empty : u->empty);
        }
        const sipas_report_table *listing = find_table(rep, "comments");
        assert_non_null(listing);
        assert_int_equal(sipas_report_table_rows(listing), r->answered);
        size_t row = 0, masks = 0;
        for (size_t k = 0; k < r->nunits; k++)
            for (size_t j = 0; j < r->units[k].nanswers; j++, row++) {
                const char *text = sipas_report_cell_text(listing, row, 1);
                assert_string_equal(text, r->units[k].answers[j].text);
                masks += strstr(text, vi ? "[số điện thoại]" : "[phone]") != NULL;
                assert_null(strchr(text, '@'));
            }
        assert_true(masks > 0);
        char *html = html_of(f, rep);
        assert_non_null(strstr(html, vi ? "Góp ý của người trả lời" : "Respondents&#39; comments")); /* HTML-escaped */
        assert_non_null(strstr(html, vi ? "Tên người, địa chỉ do người trả lời tự viết không "
                                          "được che tự động"
                                        : "Names and addresses typed by a respondent are not "
                                          "masked automatically"));
        free(html);
        sipas_report_free(rep);

        /* a listing longer than the limit: counts only, and a note that says how to get it */
        rep = build(f, (sipas_report_lang)lang, r->answered - 1);
        assert_non_null(find_table(rep, "comment_counts"));
        assert_null(find_table(rep, "comments"));
        html = html_of(f, rep);
        assert_non_null(strstr(html, "sipas-analyze comments --form sipas2017_business --wave"));
        free(html);
        sipas_report_free(rep);
        /* a zeroed input lists nothing */
        rep = build(f, (sipas_report_lang)lang, 0);
        assert_non_null(find_table(rep, "comment_counts"));
        assert_null(find_table(rep, "comments"));
        sipas_report_free(rep);
        sipas_open_answers_free(r);
    }
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest masking[] = {
        cmocka_unit_test(test_mask_phones),
        cmocka_unit_test(test_mask_leaves_amounts_and_dates),
        cmocka_unit_test(test_mask_ids_and_emails),
    };
    const struct CMUnitTest counting[] = {
        cmocka_unit_test(test_counts_by_district),
        cmocka_unit_test(test_refusals),
    };
    const struct CMUnitTest report[] = {
        cmocka_unit_test(test_report_section),
    };
    int failed = cmocka_run_group_tests(masking, NULL, NULL);
    failed += cmocka_run_group_tests(counting, store_setup, store_teardown);
    failed += cmocka_run_group_tests(report, report_setup, report_teardown);
    return failed;
}
