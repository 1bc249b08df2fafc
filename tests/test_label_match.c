/* Tests of the forgiving label matcher (label_match.h) and the header matcher
 * (header_match.h) on the fixture instrument tests/fixtures/field/field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "header_match.h"
#include "sipas/instrument.h"
#include "label_match.h"

static sipas_instrument *load_field(void)
{
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    if (sipas_instrument_load(SIPAS_TEST_FIXTURES "/field/field", &inst, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    return inst;
}

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool same_tone, same_loose;
    } cases[] = {
        {"Hoà Thuỷ", "Hòa Thủy", true, true},      /* old and new tone placement */
        {"HOÀ THUỶ", "hòa thủy", true, true},
        {"Hòa An", "Hóa An", false, true},         /* other tones: only the loose keys agree */
        {"Hai long", "Hài lòng", false, true},
        {"Đồng Đăng", "Dong Dang", false, true},   /* đ is d */
        {"Hài lòng", "Hài lòng", true, true},  /* NFD input */
        {"Rất hài lòng", "Hài lòng", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *ta = sipas_label_tone_key(cases[i].a, strlen(cases[i].a));
        char *tb = sipas_label_tone_key(cases[i].b, strlen(cases[i].b));
        char *la = sipas_label_loose_key(cases[i].a, strlen(cases[i].a));
        char *lb = sipas_label_loose_key(cases[i].b, strlen(cases[i].b));
        assert_non_null(ta);
        assert_non_null(lb);
        if ((strcmp(ta, tb) == 0) != cases[i].same_tone || (strcmp(la, lb) == 0) != cases[i].same_loose)
            fail_msg("'%s' / '%s': tone keys '%s' '%s', loose keys '%s' '%s'", cases[i].a,
                     cases[i].b, ta, tb, la, lb);
        free(ta);
        free(tb);
        free(la);
        free(lb);
    }
    char *loose = sipas_label_loose_key("Hài lòng", strlen("Hài lòng"));
    assert_string_equal(loose, "hai long");
    free(loose);
    assert_null(sipas_label_tone_key("\xff", 1));
}

typedef struct match_case {
    const char *list;
    const char *text;
    const char *code;    /* NULL: refused */
    const char *reason;  /* the refusal, when code is NULL */
} match_case;

static void test_match(void **state)
{
    (void)state;
    sipas_instrument *inst = load_field();
    static const match_case cases[] = {
        {"sat5", "4", "4", NULL},
        {"sat5", "4.0", "4", NULL},
        {"sat5", " 97.00 ", "97", NULL},
        {"sat5", "4.5", NULL, NULL},
        {"sat5", "Hài lòng", "4", NULL},
        {"sat5", "hai long", "4", NULL},
        {"sat5", "RAT HAI LONG", "5", NULL},
        {"sat5", "Satisfied", "4", NULL},
        {"district", "TP Lạng Sơn", "tp_lang_son", NULL},     /* alias */
        {"district", "tp. lang son", "tp_lang_son", NULL},    /* alias without accents */
        {"district", "Hoà Thuỷ", "hoa_thuy", NULL},           /* old tone placement */
        {"district", "Hoa Thuy", "hoa_thuy", NULL},
        {"district", "Hóa An", "hoa_an_moi", NULL},
        {"district", "Hoà An", "hoa_an", NULL},               /* tone key decides */
        {"district", "Hoa An", NULL,
         "'Hoa An' matches more than one choice of list 'district' when accents are ignored: "
         "hoa_an (Hòa An), hoa_an_moi (Hóa An); write it with its accents, or use the code"},
        {"district", "Loc Bnh", NULL,
         "'Loc Bnh' is not a code or label of list 'district'; did you mean 'Lộc Bình' "
         "(loc_binh)?"},
        {"sat5", "6", NULL,
         "'6' is not a code or label of list 'sat5'; allowed: 1 Rất không hài lòng, 2 Không hài "
         "lòng, 3 Bình thường, 4 Hài lòng, 5 Rất hài lòng, 97 Không biết, 98 Không áp dụng, 99 "
         "Từ chối trả lời"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sipas_choice_list *list = sipas_instrument_list(inst, cases[i].list);
        sipas_label_index *ix = NULL;
        sipas_error err = {0};
        assert_int_equal(sipas_label_index_new(list, &ix, &err), SIPAS_OK);
        /* twice: the second answer comes from the cache and must be the same */
        for (int round = 0; round < 2; round++) {
            const char *reason = NULL;
            const sipas_choice *ch = sipas_label_index_match(ix, cases[i].text,
                                                             strlen(cases[i].text), &reason);
            bool ok = cases[i].code ? ch != NULL && strcmp(ch->name, cases[i].code) == 0
                                    : ch == NULL && reason != NULL &&
                                          (cases[i].reason == NULL ||
                                           strcmp(reason, cases[i].reason) == 0);
            if (!ok)
                fail_msg("'%s' in %s (round %d): got %s, reason '%s'", cases[i].text,
                         cases[i].list, round, ch ? ch->name : "no match",
                         reason ? reason : "");
        }
        sipas_label_index_free(ix);
    }
    sipas_label_index_free(NULL);
    sipas_instrument_free(inst);
}

static void test_headers(void **state)
{
    (void)state;
    sipas_instrument *inst = load_field();
    static const struct {
        const char *field;
        sipas_header_kind kind;
        const char *item;
    } cases[] = {
        {"district", SIPAS_HEADER_ITEM, "district"},
        {" DISTRICT ", SIPAS_HEADER_ITEM, "district"},
        {"ma_phieu", SIPAS_HEADER_ITEM, "respondent_id"},              /* alias */
        {"grp_thong_tin/grp_x/ma_phieu", SIPAS_HEADER_ITEM, "respondent_id"},
        {"grp_danh_gia/q1", SIPAS_HEADER_ITEM, "q1"},
        {"Huyện", SIPAS_HEADER_ITEM, "district"},                      /* label */
        {"Thông tin chung/Huyện", SIPAS_HEADER_ITEM, "district"},
        {"Cong chuc lich su", SIPAS_HEADER_ITEM, "q2"},                /* label, no accents */
        {"Survey year", SIPAS_HEADER_ITEM, "wave"},                    /* English label */
        {"_uuid", SIPAS_HEADER_META, NULL},
        {"meta/instanceID", SIPAS_HEADER_META, NULL},
        {"__version__", SIPAS_HEADER_META, NULL},
        {"_submission_time", SIPAS_HEADER_META, NULL},
        {"start", SIPAS_HEADER_META, NULL},
        {"deviceid", SIPAS_HEADER_META, NULL},
        {"grp_a/_index", SIPAS_HEADER_META, NULL},
        {"q3", SIPAS_HEADER_UNKNOWN, NULL},
        {"grp/q3", SIPAS_HEADER_UNKNOWN, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t item = SIZE_MAX;
        char reason[256] = "";
        sipas_header_kind kind = sipas_header_match(inst, cases[i].field, strlen(cases[i].field),
                                                    &item, reason, sizeof reason);
        if (kind != cases[i].kind ||
            (cases[i].item && strcmp(inst->items[item].name, cases[i].item) != 0))
            fail_msg("header '%s': kind %d, item %s", cases[i].field, (int)kind,
                     kind == SIPAS_HEADER_ITEM ? inst->items[item].name : "-");
    }
    assert_true(sipas_header_is_submission_id("_uuid", 5));
    assert_true(sipas_header_is_submission_id("meta/instanceID", 15));
    assert_false(sipas_header_is_submission_id("_id", 3));
    sipas_instrument_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
