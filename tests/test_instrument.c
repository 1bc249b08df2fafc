/* Tests of the instrument loader: the fixture forms under tests/fixtures/instruments/ (mini,
 * its spreadsheet-saved twin mini_excel, and legacy_tcvn made by make_variants.py there),
 * broken copies of mini made by editing one cell or line in a temporary folder, and every
 * shipped instrument under surveys/. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipas/hash.h"
#include "sipas/instrument.h"

#define FIXTURES SIPAS_TEST_FIXTURES "/instruments"

static const char *const sheets[] = {"settings.csv", "survey.csv", "choices.csv",
                                     "elements.csv"};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static sipas_instrument *load_ok(const char *dir)
{
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    sipas_status st = sipas_instrument_load(dir, &inst, &err);
    if (st != SIPAS_OK) {
        print_error("%s: %s\n", dir, err.message);
        fail();
    }
    return inst;
}

/* What mini's sheets say, checked field by field; mini_excel must say the same. */
static void check_mini(const sipas_instrument *inst, const char *form_id)
{
    assert_string_equal(inst->form_id, form_id);
    assert_string_equal(inst->version, "3");
    assert_string_equal(inst->title_vi, "Phiếu thử nghiệm (nhỏ)");
    assert_string_equal(inst->title_en, "Small test form");
    assert_string_equal(inst->default_language, "vi");
    assert_int_equal(inst->scoring, SIPAS_SCORING_SATISFIED_SHARE);

    assert_int_equal(inst->nelements, 3);
    assert_string_equal(inst->elements[0].name, "access");
    assert_string_equal(inst->elements[0].label_vi, "Tiếp cận dịch vụ");
    assert_true(inst->elements[0].weight == 2.0);
    assert_true(inst->elements[1].weight == 1.0); /* empty cell */
    assert_true(inst->elements[2].weight == 0.0);

    assert_int_equal(inst->nlists, 4);
    const sipas_choice_list *sat5 = sipas_instrument_list(inst, "sat5");
    assert_non_null(sat5);
    assert_int_equal(sat5->nchoices, 8);
    assert_int_equal(sat5->scale_min, 1);
    assert_int_equal(sat5->scale_max, 5); /* 97-99 are missing codes */
    assert_string_equal(sat5->choices[3].name, "4");
    assert_true(sat5->choices[3].has_value);
    assert_int_equal(sat5->choices[3].value, 4);
    assert_true(sat5->choices[3].satisfied);
    assert_false(sat5->choices[2].satisfied);
    assert_string_equal(sat5->choices[3].key_vi, "hài lòng");
    assert_string_equal(sat5->choices[3].key_en, "satisfied");
    assert_int_equal(sat5->choices[5].missing, SIPAS_MISSING_DONT_KNOW);
    assert_int_equal(sat5->choices[6].missing, SIPAS_MISSING_NOT_APPLICABLE);
    assert_int_equal(sat5->choices[7].missing, SIPAS_MISSING_REFUSED);
    const sipas_choice_list *nps = sipas_instrument_list(inst, "nps11");
    assert_non_null(nps);
    assert_int_equal(nps->scale_min, 0);
    assert_int_equal(nps->scale_max, 10);
    const sipas_choice_list *district = sipas_instrument_list(inst, "district");
    assert_non_null(district);
    assert_false(district->choices[0].has_value);
    assert_null(sipas_instrument_list(inst, "nope"));

    assert_int_equal(inst->nitems, 13);
    static const struct {
        const char *name;
        sipas_role role;
        sipas_item_type type;
        bool required, personal;
        int element;
        sipas_scoring scoring;
    } want[] = {
        {"respondent_id", SIPAS_ROLE_ID, SIPAS_TYPE_TEXT, true, false, -1, 0},
        {"wave", SIPAS_ROLE_WAVE, SIPAS_TYPE_INTEGER, true, false, -1, 0},
        {"district", SIPAS_ROLE_STRATUM, SIPAS_TYPE_SELECT_ONE, true, false, -1, 0},
        {"commune", SIPAS_ROLE_CLUSTER, SIPAS_TYPE_TEXT, true, false, -1, 0},
        {"weight", SIPAS_ROLE_WEIGHT, SIPAS_TYPE_DECIMAL, true, false, -1, 0},
        {"communes_total", SIPAS_ROLE_FPC, SIPAS_TYPE_INTEGER, true, false, -1, 0},
        {"respondent_type", SIPAS_ROLE_DOMAIN, SIPAS_TYPE_SELECT_ONE, true, false, -1, 0},
        {"phone", SIPAS_ROLE_NONE, SIPAS_TYPE_TEXT, false, true, -1, 0},
        {"age", SIPAS_ROLE_NONE, SIPAS_TYPE_INTEGER, false, false, -1, 0},
        {"q_access", SIPAS_ROLE_CRITERION, SIPAS_TYPE_SELECT_ONE, false, false, 0,
         SIPAS_SCORING_SATISFIED_SHARE},
        {"q_time", SIPAS_ROLE_CRITERION, SIPAS_TYPE_SELECT_ONE, false, false, 0,
         SIPAS_SCORING_PERCENT_TO_MAX},
        {"q_result", SIPAS_ROLE_CRITERION, SIPAS_TYPE_SELECT_ONE, false, false, 1,
         SIPAS_SCORING_SATISFIED_SHARE},
        {"q_recommend", SIPAS_ROLE_CRITERION, SIPAS_TYPE_SELECT_ONE, false, false, 2,
         SIPAS_SCORING_NPS},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const sipas_item *it = &inst->items[i];
        assert_string_equal(it->name, want[i].name);
        assert_ptr_equal(sipas_instrument_item(inst, want[i].name), it);
        assert_int_equal(it->role, want[i].role);
        assert_int_equal(it->type, want[i].type);
        assert_int_equal(it->required, want[i].required);
        assert_int_equal(it->personal, want[i].personal);
        assert_int_equal(it->element, want[i].element);
        if (it->role == SIPAS_ROLE_CRITERION)
            assert_int_equal(it->scoring, want[i].scoring);
    }
    assert_ptr_equal(inst->items[2].list, district);
    assert_ptr_equal(inst->items[9].list, sat5);
    assert_string_equal(inst->items[9].label_vi, "Nơi ngồi chờ có đủ chỗ ngồi, \"thoáng mát\"");
    assert_string_equal(inst->items[11].label_vi, "Kết quả đúng quy định\n(giấy tờ chính xác)");
    assert_null(sipas_instrument_item(inst, "nope"));
    assert_non_null(inst->content_hash);
    assert_int_equal(strlen(inst->content_hash), SIPAS_SHA256_HEX_LEN);
}

/* The documented hash: SHA-256 over, for each sheet in the order settings, survey, choices,
 * elements, its file name with the terminating NUL and then its bytes. */
static void expected_hash(const char *dir, char hex[SIPAS_SHA256_HEX_LEN + 1])
{
    sipas_sha256 h;
    sipas_sha256_init(&h);
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, sheets[i]);
        size_t len;
        char *data = read_file(path, &len);
        sipas_sha256_update(&h, sheets[i], strlen(sheets[i]) + 1);
        sipas_sha256_update(&h, data, len);
        free(data);
    }
    sipas_sha256_hex(&h, hex);
}

static void test_load_mini(void **state)
{
    (void)state;
    sipas_instrument *inst = load_ok(FIXTURES "/mini");
    check_mini(inst, "mini");
    char hex[SIPAS_SHA256_HEX_LEN + 1];
    expected_hash(FIXTURES "/mini", hex);
    assert_string_equal(inst->content_hash, hex);
    assert_string_equal(inst->source_dir, FIXTURES "/mini");
    sipas_instrument_free(inst);
    sipas_instrument_free(NULL);
}

static void test_load_spreadsheet_saved(void **state)
{
    (void)state;
    sipas_instrument *a = load_ok(FIXTURES "/mini");
    sipas_instrument *b = load_ok(FIXTURES "/mini_excel/");
    check_mini(b, "mini_excel");
    assert_string_not_equal(a->content_hash, b->content_hash);
    sipas_instrument_free(a);
    sipas_instrument_free(b);
}

/* choices.csv in TCVN3 (made by make_variants.py with glibc iconv) is converted on reading:
 * every label equals the UTF-8 original. */
static void test_legacy_encoding_converted(void **state)
{
    (void)state;
    sipas_instrument *utf8 = load_ok(FIXTURES "/mini");
    sipas_instrument *tcvn = load_ok(FIXTURES "/legacy_tcvn");
    check_mini(tcvn, "legacy_tcvn");
    assert_int_equal(tcvn->nlists, utf8->nlists);
    for (size_t l = 0; l < utf8->nlists; l++) {
        assert_int_equal(tcvn->lists[l].nchoices, utf8->lists[l].nchoices);
        for (size_t c = 0; c < utf8->lists[l].nchoices; c++) {
            assert_string_equal(tcvn->lists[l].choices[c].label_vi,
                                utf8->lists[l].choices[c].label_vi);
            assert_string_equal(tcvn->lists[l].choices[c].label_en,
                                utf8->lists[l].choices[c].label_en);
        }
    }
    sipas_instrument_free(utf8);
    sipas_instrument_free(tcvn);
}

static void test_match(void **state)
{
    (void)state;
    sipas_instrument *inst = load_ok(FIXTURES "/mini");
    const sipas_choice_list *sat5 = sipas_instrument_list(inst, "sat5");
    static const struct {
        const char *text;
        const char *code; /* NULL: no match */
    } cases[] = {
        {"4", "4"},
        {" 4 ", "4"},
        {"Hài lòng", "4"},
        {"Ha\xCC\x80i lo\xCC\x80ng", "4"},        /* NFD */
        {"  HÀI   LÒNG ", "4"},
        {"rất hài lòng", "5"},
        {"Very Satisfied", "5"},
        {"satisfied", "4"},
        {"không biết", "97"},
        {"Don't know", "97"},
        {"04", NULL},                             /* codes match exactly */
        {"Hài long", NULL},
        {"6", NULL},
        {"", NULL},
        {"   ", NULL},
        {"H\xE0i l\xF2ng", NULL},                 /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sipas_choice *ch =
            sipas_choice_list_match(sat5, cases[i].text, strlen(cases[i].text));
        const char *got = ch != NULL ? ch->name : NULL;
        if ((got == NULL) != (cases[i].code == NULL) ||
            (got != NULL && strcmp(got, cases[i].code) != 0)) {
            print_error("'%s': matched %s, expected %s\n", cases[i].text, got ? got : "nothing",
                        cases[i].code ? cases[i].code : "nothing");
            fail();
        }
    }
    /* An empty label must not match an empty answer or anything else. */
    const sipas_choice_list *type = sipas_instrument_list(inst, "respondent_type");
    assert_string_equal(sipas_choice_list_match(type, "Doanh nghiệp", strlen("Doanh nghiệp"))->name,
                        "business");
    sipas_instrument_free(inst);
}

static void test_find(void **state)
{
    (void)state;
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_find(FIXTURES, "mini", &inst, &err), SIPAS_OK);
    assert_string_equal(inst->form_id, "mini");
    sipas_instrument_free(inst);
    inst = NULL;
    assert_int_equal(sipas_instrument_find(FIXTURES, "nope", &inst, &err), SIPAS_ERR_NOT_FOUND);
    assert_string_equal(err.message, "no instrument 'nope' in '" FIXTURES "'");
    assert_int_equal(sipas_instrument_find(FIXTURES, "../instruments/mini", &inst, &err),
                     SIPAS_ERR_USAGE);
    assert_string_equal(err.message,
                        "'../instruments/mini' is not a form id (lowercase letters, digits and "
                        "'_')");
    assert_null(inst);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sipas_role_name(SIPAS_ROLE_CRITERION), "criterion");
    assert_string_equal(sipas_role_name(SIPAS_ROLE_NONE), "");
    assert_string_equal(sipas_role_name(SIPAS_ROLE_FPC), "fpc");
    assert_string_equal(sipas_scoring_name(SIPAS_SCORING_NPS), "nps");
    assert_string_equal(sipas_scoring_name(SIPAS_SCORING_PERCENT_TO_MAX), "percent_to_max");
    assert_string_equal(sipas_missing_name(SIPAS_MISSING_NONE), "");
    assert_string_equal(sipas_missing_name(SIPAS_MISSING_NOT_APPLICABLE), "not_applicable");
}

/* A temporary copy of mini, in a folder named mini so that form_id still matches. */
typedef struct scratch {
    char root[64];
    char dir[128];
} scratch;

static void scratch_make(scratch *s)
{
    strcpy(s->root, "/tmp/sipas_test_instrument_XXXXXX");
    assert_non_null(mkdtemp(s->root));
    snprintf(s->dir, sizeof s->dir, "%s/mini", s->root);
    assert_int_equal(mkdir(s->dir, 0700), 0);
    for (size_t i = 0; i < 4; i++) {
        char from[512], to[512];
        snprintf(from, sizeof from, FIXTURES "/mini/%s", sheets[i]);
        snprintf(to, sizeof to, "%s/%s", s->dir, sheets[i]);
        size_t len;
        char *data = read_file(from, &len);
        write_file(to, data, len);
        free(data);
    }
}

static void scratch_remove(scratch *s)
{
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", s->dir, sheets[i]);
        unlink(path);
    }
    rmdir(s->dir);
    rmdir(s->root);
}

/* Replaces the first occurrence of find in the sheet (which must be there). */
static void edit_sheet(const scratch *s, const char *sheet, const char *find,
                       const char *replace)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s->dir, sheet);
    size_t len;
    char *data = read_file(path, &len);
    char *at = strstr(data, find);
    if (at == NULL) {
        print_error("'%s' not in %s\n", find, sheet);
        fail();
    }
    size_t fl = strlen(find), rl = strlen(replace);
    char *out = malloc(len - fl + rl + 1);
    assert_non_null(out);
    size_t pre = (size_t)(at - data);
    memcpy(out, data, pre);
    memcpy(out + pre, replace, rl);
    memcpy(out + pre + rl, at + fl, len - pre - fl);
    write_file(path, out, len - fl + rl);
    free(out);
    free(data);
}

typedef struct broken_case {
    const char *sheet;
    const char *find;
    const char *replace;
    const char *message; /* after "DIR/"; the sheet and row are part of it */
} broken_case;

static const broken_case broken[] = {
    /* settings.csv */
    {"settings.csv", "mini,3,", "Mini,3,",
     "settings.csv:2: form_id 'Mini' must be lowercase letters, digits and '_'"},
    {"settings.csv", "mini,3,", "mini-2,3,",
     "settings.csv:2: form_id 'mini-2' must be lowercase letters, digits and '_'"},
    {"settings.csv", "mini,3,", "other,3,",
     "settings.csv:2: form_id 'other' differs from the folder name 'mini'"},
    {"settings.csv", "mini,3,", "mini,,", "settings.csv:2: empty version"},
    {"settings.csv", "mini,3,", "mini,  ,", "settings.csv:2: empty version"},
    {"settings.csv", "form_id,", "form,", "settings.csv:1: missing column 'form_id'"},
    {"settings.csv", "satisfied_share,vi", "median,vi",
     "settings.csv:2: unknown scoring 'median' (expected satisfied_share, percent_to_max or "
     "nps)"},
    {"settings.csv", "satisfied_share,vi", "satisfied_share,fr",
     "settings.csv:2: default_language 'fr' must be 'vi' or 'en'"},
    {"settings.csv", "satisfied_share,vi\n", "satisfied_share,vi\nmini,4,a,b,nps,en\n",
     "settings.csv:3: more than one settings row"},
    {"settings.csv", "mini,3,\"Phiếu thử nghiệm (nhỏ)\",Small test form,satisfied_share,vi\n",
     "", "settings.csv: no settings row under the header"},
    {"settings.csv", "form_id,version,form_title::vi,form_title::en,scoring,default_language\n"
                     "mini,3,\"Phiếu thử nghiệm (nhỏ)\",Small test form,satisfied_share,vi\n",
     "", "settings.csv: empty sheet (no header row)"},
    {"settings.csv", "form_id,version,", "form_id,version,version,",
     "settings.csv:1: column 'version' appears twice"},
    /* survey.csv */
    {"survey.csv", "integer,age,", "select_multiple sat5,age,",
     "survey.csv:10: 'age': unknown type 'select_multiple sat5' (expected select_one LIST, "
     "integer, decimal or text)"},
    {"survey.csv", "integer,age,", "date,age,",
     "survey.csv:10: 'age': unknown type 'date' (expected select_one LIST, integer, decimal or "
     "text)"},
    {"survey.csv", "integer,age,", "select_one,age,",
     "survey.csv:10: 'age': unknown type 'select_one' (expected select_one LIST, integer, "
     "decimal or text)"},
    {"survey.csv", "integer,age,", "integer,phone,",
     "survey.csv:10: duplicate name 'phone' (first at row 9)"},
    {"survey.csv", "integer,age,", "integer,2age,",
     "survey.csv:10: name '2age' must be letters, digits and '_', not starting with a digit"},
    {"survey.csv", "integer,age,", "integer,,",
     "survey.csv:10: name '' must be letters, digits and '_', not starting with a digit"},
    {"survey.csv", "select_one district,district,", "select_one districts,district,",
     "survey.csv:4: 'district': select_one of undefined list 'districts' (not in choices.csv)"},
    {"survey.csv", ",criterion,access,,no,no", ",criterion,,,no,no",
     "survey.csv:11: criterion 'q_access' has no element"},
    {"survey.csv", ",criterion,access,,no,no", ",criterion,acces,,no,no",
     "survey.csv:11: criterion 'q_access': unknown element 'acces' (not in elements.csv)"},
    {"survey.csv", "select_one sat5,q_access", "select_one district,q_access",
     "survey.csv:11: criterion 'q_access': list 'district' has the non-integer code "
     "'tp_lang_son' (choices.csv row 22)"},
    {"survey.csv", "select_one sat5,q_access", "integer,q_access",
     "survey.csv:11: criterion 'q_access' must be a select_one"},
    {"survey.csv", "Age,,,,", "Age,respondent,,,",
     "survey.csv:10: 'age': unknown role 'respondent' (expected id, wave, stratum, cluster, "
     "weight, fpc, domain, criterion or empty)"},
    {"survey.csv", "Age,,,,", "Age,weight,,,",
     "survey.csv:10: 'age': a second weight column (the first is at row 6)"},
    {"survey.csv", "Age,,,,", "Age,id,,,",
     "survey.csv:10: 'age': a second id column (the first is at row 2)"},
    {"survey.csv", "Age,,,,", "Age,stratum,,,",
     "survey.csv:10: 'age': a second stratum column (the first is at row 4)"},
    {"survey.csv", "Age,,,,", "Age,cluster,,,",
     "survey.csv:10: 'age': a second cluster column (the first is at row 5)"},
    {"survey.csv", "Age,,,,", "Age,fpc,,,",
     "survey.csv:10: 'age': a second fpc column (the first is at row 7)"},
    {"survey.csv", "Age,,,,", "Age,wave,,,",
     "survey.csv:10: 'age': a second wave column (the first is at row 3)"},
    {"survey.csv", "decimal,weight,", "text,weight,",
     "survey.csv:6: 'weight': a weight column must be decimal or integer"},
    {"survey.csv", "integer,wave,", "text,wave,",
     "survey.csv:3: 'wave': the wave column must be integer"},
    {"survey.csv", "Respondent ID,id,,,,no", "Respondent ID,id,,,no,no",
     "survey.csv:2: 'respondent_id': the id column is always required; leave required empty "
     "or say yes"},
    {"survey.csv", "Respondent ID,id,,,,no", "Respondent ID,,,,,no",
     "survey.csv: no id column (a row with role id)"},
    {"survey.csv", "Age,,,,,", "Age,,,,,maybe",
     "survey.csv:10: 'age': personal 'maybe' must be yes, no or drop"},
    {"survey.csv", "Age,,,,", "Age,,,,sometimes",
     "survey.csv:10: 'age': required 'sometimes' must be yes or no"},
    {"survey.csv", "Age,,,,", "Age,,access,,",
     "survey.csv:10: 'age': element 'access' given but the role is not criterion"},
    {"survey.csv", "Age,,,,", "Age,,,nps,",
     "survey.csv:10: 'age': scoring 'nps' given but the role is not criterion"},
    {"survey.csv", "criterion,access,percent_to_max", "criterion,access,mean",
     "survey.csv:12: criterion 'q_time': unknown scoring 'mean' (expected satisfied_share, "
     "percent_to_max or nps)"},
    {"survey.csv", "criterion,access,percent_to_max", "criterion,access,nps",
     "survey.csv:12: criterion 'q_time': nps needs valid codes from 0 to 10, list 'sat5' has 1 "
     "to 5"},
    {"survey.csv", "criterion,recommend,nps,no,no", "criterion,recommend,,no,yes",
     "survey.csv:15: criterion 'q_recommend' cannot be personal"},
    {"survey.csv", "type,name,", "kind,name,", "survey.csv:1: missing column 'type'"},
    {"survey.csv", ",criterion,", ",domain,",
     "survey.csv:11: 'q_access': element 'access' given but the role is not criterion"},
    {"survey.csv", "Age,,,,,\n", "Age,,,,,,stray\n",
     "survey.csv:10: field 10 'stray' is beyond the last named column"},
    {"survey.csv", "nps,no,no\n", "nps,no,\"no\n", "survey.csv:15: unterminated quoted field"},
    {"survey.csv", "integer,age,", "integer,\"age", /* closed by the next quote, then junk */
     "survey.csv:10: field 2: stray quote; a field that holds a quote must be quoted and the "
     "quote doubled (\"a \"\"b\"\" c\")"},
    /* choices.csv */
    {"choices.csv", "sat5,3,", "sat5,2,", "choices.csv:4: duplicate choice '2' in list 'sat5'"},
    {"choices.csv", "Refused,0,refused", "Refused,0,refusal",
     "choices.csv:9: unknown missing kind 'refusal' (expected dont_know, not_applicable or "
     "refused)"},
    {"choices.csv", "Refused,0,refused", "Refused,1,refused",
     "choices.csv:9: choice '99' is both missing (refused) and satisfied"},
    {"choices.csv", "Satisfied,1,", "Satisfied,x,",
     "choices.csv:5: satisfied 'x' must be 1 or 0 (or yes/no)"},
    {"choices.csv", "sat5,3,Bình thường,Neutral", "sat5,3,Bình thường,satisfied",
     "choices.csv:5: label 'Satisfied' is already used by choice '3' of list 'sat5'"},
    {"choices.csv", "Very satisfied,1,", "Very satisfied,0,",
     NULL /* still fine: code 4 is satisfied */},
    {"choices.csv", "Satisfied,1,", "Satisfied,0,",
     NULL /* still fine: code 5 is satisfied */},
    {"choices.csv", "sat5,1,", "sat 5,1,",
     "choices.csv:2: list_name 'sat 5' must be letters, digits and '_'"},
    {"choices.csv", "sat5,1,", "sat5,,", "choices.csv:2: list 'sat5': empty choice name"},
    {"choices.csv", "sat5,5,Rất", "sat5,five,Rất",
     "survey.csv:11: criterion 'q_access': list 'sat5' has the non-integer code 'five' "
     "(choices.csv row 6)"},
    {"choices.csv", "nps11,10,", "nps11,11,",
     "survey.csv:15: criterion 'q_recommend': nps needs valid codes from 0 to 10, list 'nps11' "
     "has 0 to 11"},
    {"choices.csv", "list_name,name,", "list,name,",
     "choices.csv:1: missing column 'list_name'"},
    /* elements.csv */
    {"elements.csv", "Access to services,2", "Access to services,two",
     "elements.csv:2: element 'access': weight 'two' is not a number >= 0"},
    {"elements.csv", "Access to services,2", "Access to services,-1",
     "elements.csv:2: element 'access': weight '-1' is not a number >= 0"},
    {"elements.csv", "Access to services,2", "Access to services,nan",
     "elements.csv:2: element 'access': weight 'nan' is not a number >= 0"},
    {"elements.csv", "results,", "access,",
     "elements.csv:3: duplicate element 'access' (first at row 2)"},
    {"elements.csv", "Access to services,2\nresults,Kết quả dịch vụ,Results of the service,\n",
     "Access to services,0\nresults,Kết quả dịch vụ,Results of the service,0\n",
     "elements.csv: every element has weight 0, so there is no overall index"},
    {"elements.csv", "recommend,Sẵn sàng giới thiệu,Willingness to recommend,0\n",
     "recommend,Sẵn sàng giới thiệu,Willingness to recommend,0\nspare,Dự phòng,Spare,1\n",
     "elements.csv:5: element 'spare' has no criterion in survey.csv"},
};

static void test_broken_instruments(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        scratch s;
        scratch_make(&s);
        edit_sheet(&s, broken[i].sheet, broken[i].find, broken[i].replace);
        sipas_instrument *inst = NULL;
        sipas_error err = {0};
        sipas_status st = sipas_instrument_load(s.dir, &inst, &err);
        char want[1024] = "";
        if (broken[i].message != NULL)
            snprintf(want, sizeof want, "%s/%s", s.dir, broken[i].message);
        bool ok = broken[i].message == NULL
                      ? st == SIPAS_OK
                      : st == SIPAS_ERR_FORMAT && inst == NULL &&
                            strcmp(err.message, want) == 0;
        if (!ok) {
            print_error("case %zu (%s: '%s'): status %s\n got  '%s'\n want '%s'\n", i,
                        broken[i].sheet, broken[i].replace, sipas_status_name(st), err.message,
                        want);
            sipas_instrument_free(inst);
            scratch_remove(&s);
            fail();
        }
        sipas_instrument_free(inst);
        scratch_remove(&s);
    }
}

/* The no-criteria rule needs every criterion gone, and their elements with them. */
static void test_no_criteria(void **state)
{
    (void)state;
    scratch s;
    scratch_make(&s);
    char path[512];
    snprintf(path, sizeof path, "%s/survey.csv", s.dir);
    size_t len;
    char *data = read_file(path, &len);
    char *first = strstr(data, "select_one sat5,q_access");
    assert_non_null(first);
    write_file(path, data, (size_t)(first - data));
    free(data);
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(s.dir, &inst, &err), SIPAS_ERR_FORMAT);
    char want[512];
    snprintf(want, sizeof want, "%s/survey.csv: no criteria (rows with role criterion)", s.dir);
    assert_string_equal(err.message, want);
    scratch_remove(&s);
}

static void test_missing_sheet_and_hash_change(void **state)
{
    (void)state;
    scratch s;
    scratch_make(&s);
    sipas_instrument *before = load_ok(s.dir);
    edit_sheet(&s, "choices.csv", "Bình thường", "Bình thường (trung lập)");
    sipas_instrument *after = load_ok(s.dir);
    /* A reworded label under the same version must show in the hash. */
    assert_string_equal(before->version, after->version);
    assert_string_not_equal(before->content_hash, after->content_hash);
    sipas_instrument_free(before);
    sipas_instrument_free(after);

    char path[512];
    snprintf(path, sizeof path, "%s/elements.csv", s.dir);
    unlink(path);
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_instrument_load(s.dir, &inst, &err), SIPAS_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
    assert_string_equal(err.message, want);
    assert_null(inst);
    scratch_remove(&s);
}

/* Every shipped instrument (a folder with settings.csv under surveys/) loads. */
static void test_shipped_instruments_load(void **state)
{
    (void)state;
    DIR *d = opendir(SIPAS_TEST_SURVEYS);
    if (d == NULL)
        skip();
    size_t loaded = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char dir[512], settings[600];
        snprintf(dir, sizeof dir, "%s/%s", SIPAS_TEST_SURVEYS, e->d_name);
        snprintf(settings, sizeof settings, "%s/settings.csv", dir);
        struct stat sb;
        if (stat(settings, &sb) != 0)
            continue;
        sipas_instrument *inst = NULL;
        assert_int_equal(sipas_instrument_find(SIPAS_TEST_SURVEYS, e->d_name, &inst, NULL),
                         SIPAS_OK);
        sipas_instrument_free(load_ok(dir));
        sipas_instrument_free(inst);
        loaded++;
    }
    closedir(d);
    print_message("%zu shipped instruments loaded\n", loaded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_mini),
        cmocka_unit_test(test_load_spreadsheet_saved),
        cmocka_unit_test(test_legacy_encoding_converted),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_broken_instruments),
        cmocka_unit_test(test_no_criteria),
        cmocka_unit_test(test_missing_sheet_and_hash_change),
        cmocka_unit_test(test_shipped_instruments_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
