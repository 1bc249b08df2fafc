/* Tests of UTF-8 validation, label keys and legacy-encoding guesses. The legacy byte strings
 * were made with glibc iconv, e.g. `printf 'Hài lòng' | iconv -f UTF-8 -t TCVN5712-1 | xxd`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

typedef struct utf8_case {
    const char *bytes;
    size_t len;
    bool valid;
    size_t bad_offset;
} utf8_case;

#define BYTES(s) s, sizeof(s) - 1

static void test_utf8_valid(void **state)
{
    (void)state;
    static const utf8_case cases[] = {
        {BYTES(""), true, 0},
        {BYTES("plain ASCII that is longer than eight bytes"), true, 0},
        {BYTES("H\xC3\xA0i l\xC3\xB2ng"), true, 0},                 /* Hài lòng, NFC */
        {BYTES("Ha\xCC\x80i"), true, 0},                            /* a + U+0300 */
        {BYTES("\xE1\xBB\x87"), true, 0},                           /* ệ U+1EC7 */
        {BYTES("\xF0\x9F\x98\x80"), true, 0},                       /* U+1F600 */
        {BYTES("\xF4\x8F\xBF\xBF"), true, 0},                       /* U+10FFFF */
        {BYTES("ab\xC0\xAF"), false, 2},                            /* overlong '/' */
        {BYTES("\xE0\x80\xAF"), false, 0},                          /* overlong, 3 bytes */
        {BYTES("\xF0\x80\x80\xAF"), false, 0},                      /* overlong, 4 bytes */
        {BYTES("x\xED\xA0\x80"), false, 1},                         /* surrogate U+D800 */
        {BYTES("\xED\xBF\xBF"), false, 0},                          /* surrogate U+DFFF */
        {BYTES("\xF4\x90\x80\x80"), false, 0},                      /* U+110000 */
        {BYTES("\xF5\x80\x80\x80"), false, 0},
        {BYTES("abc\x80"), false, 3},                               /* lone continuation */
        {BYTES("twelve bytes\xC3"), false, 12},                     /* truncated at the end */
        {BYTES("\xE1\xBB"), false, 0},
        {BYTES("H\xE0i l\xF2ng"), false, 1},                        /* Windows-1252 style */
        {BYTES("0123456789\xE1\x41"), false, 10},                   /* bad continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 9999;
        bool ok = sipas_utf8_valid(cases[i].bytes, cases[i].len, &bad);
        if (ok != cases[i].valid || (!ok && bad != cases[i].bad_offset)) {
            print_error("case %zu: valid %d, bad offset %zu\n", i, ok, bad);
            fail();
        }
    }
    assert_false(sipas_utf8_valid("\xFF", 1, NULL)); /* bad_offset may be NULL */
}

static void assert_key(const char *input, const char *expected)
{
    sipas_error err = {0};
    char *key = sipas_text_key(input, strlen(input), &err);
    if (key == NULL) {
        print_error("key of '%s' failed: %s\n", input, err.message);
        fail();
    }
    assert_string_equal(key, expected);
    free(key);
}

static void test_text_key(void **state)
{
    (void)state;
    /* NFC and NFD spellings of "Hài lòng" give one key. */
    assert_key("H\xC3\xA0i l\xC3\xB2ng", "h\xC3\xA0i l\xC3\xB2ng");
    assert_key("Ha\xCC\x80i lo\xCC\x80ng", "h\xC3\xA0i l\xC3\xB2ng");
    /* Case, surrounding and inner white space, no-break spaces. */
    assert_key("  R\xE1\xBA\xA4T   H\xC3\x80I \t L\xC3\x92NG \r\n", "r\xE1\xBA\xA5t h\xC3\xA0i l\xC3\xB2ng");
    assert_key("R\xE1\xBA\xA5t\xC2\xA0h\xC3\xA0i l\xC3\xB2ng\xC2\xA0", "r\xE1\xBA\xA5t h\xC3\xA0i l\xC3\xB2ng");
    /* Đ folds to đ (it has no decomposition, only a case mapping). */
    assert_key("\xC4\x90\xC3\xA0 N\xE1\xBA\xB5ng", "\xC4\x91\xC3\xA0 n\xE1\xBA\xB5ng");
    /* Decomposed with the marks in the other canonical order: ệ = e + U+0323 + U+0302. */
    assert_key("Vi\x65\xCC\x82\xCC\xA3t", "vi\xE1\xBB\x87t");
    assert_key("Vi\x65\xCC\xA3\xCC\x82t", "vi\xE1\xBB\x87t");
    assert_key("", "");
    assert_key("   ", "");
    assert_key("Satisfied", "satisfied");

    sipas_error err = {0};
    assert_null(sipas_text_key("H\xE0i", 4, &err));
    assert_int_equal(err.status, SIPAS_ERR_FORMAT);
    assert_string_equal(err.message, "not valid UTF-8 (byte 2)");
}

static void test_text_trim(void **state)
{
    (void)state;
    size_t start = 99, len = 99;
    sipas_text_trim(" \t abc d \r\n", 11, &start, &len);
    assert_int_equal(start, 3);
    assert_int_equal(len, 5);
    sipas_text_trim("   ", 3, &start, &len);
    assert_int_equal(len, 0);
    sipas_text_trim("x", 1, &start, &len);
    assert_int_equal(start, 0);
    assert_int_equal(len, 1);
    sipas_text_trim("", 0, &start, &len);
    assert_int_equal(start, 0);
    assert_int_equal(len, 0);
}

typedef struct legacy_case {
    const char *text; /* what the bytes say */
    const char *bytes;
    size_t len;
    const char *encoding;
} legacy_case;

static void test_guess_legacy_encoding(void **state)
{
    (void)state;
    static const legacy_case cases[] = {
        {"Hài lòng", BYTES("\x48\xe0\x69\x20\x6c\x6f\xcc\x6e\x67"), "Windows-1258"},
        {"Rất hài lòng", BYTES("\x52\xe2\xec\x74\x20\x68\xe0\x69\x20\x6c\x6f\xcc\x6e\x67"),
         "Windows-1258"},
        {"Không hài lòng",
         BYTES("\x4b\x68\xf4\x6e\x67\x20\x68\xe0\x69\x20\x6c\x6f\xcc\x6e\x67"), "Windows-1258"},
        {"Hài lòng", BYTES("\x48\xb5\x69\x20\x6c\xdf\x6e\x67"), "TCVN3 (ABC)"},
        {"Rất hài lòng", BYTES("\x52\xca\x74\x20\x68\xb5\x69\x20\x6c\xdf\x6e\x67"),
         "TCVN3 (ABC)"},
        {"Không hài lòng", BYTES("\x4b\x68\xab\x6e\x67\x20\x68\xb5\x69\x20\x6c\xdf\x6e\x67"),
         "TCVN3 (ABC)"},
        {"Hài lòng", BYTES("\x48\xe0\x69\x20\x6c\xf2\x6e\x67"), "VISCII"},
        {"Rất hài lòng", BYTES("\x52\xa4\x74\x20\x68\xe0\x69\x20\x6c\xf2\x6e\x67"), "VISCII"},
        {"Không hài lòng", BYTES("\x4b\x68\xf4\x6e\x67\x20\x68\xe0\x69\x20\x6c\xf2\x6e\x67"),
         "VISCII"},
        /* VNI: base letter + a byte of marks; ơ ư as bytes F4 F6 */
        {"Rất hài lòng", BYTES("R\x61\xe1t h\x61\xf8i l\x6f\xf8ng"), "VNI"},
        {"Không hài lòng", BYTES("Kho\xe2ng h\x61\xf8i l\x6f\xf8ng"), "VNI"},
        {"Người dân", BYTES("Ng\xf6\xf4\xf8i d\x61\xe2n"), "VNI"},
        {"Đà Nẵng (Windows-1258)", BYTES("\xd0\xe0\x20\x4e\xe3\xde\x6e\x67"), "Windows-1258"},
        {"Hài lòng, UTF-16LE", BYTES("H\0\xe0\0i\0 \0l\0\xf2\0n\0g\0"), "UTF-16"},
        {"Hài lòng, UTF-16BE with BOM", BYTES("\xfe\xff\0H\0\xe0\0i"), "UTF-16"},
        /* Valid UTF-8 is not a legacy encoding. */
        {"Hài lòng, UTF-8", BYTES("H\xC3\xA0i l\xC3\xB2ng"), NULL},
        {"ASCII", BYTES("Satisfied"), NULL},
        /* Bytes that read as nothing Vietnamese in any of them: no guess. */
        {"binary", BYTES("\x81\x8d\x8f\x90\x9d"), NULL},
        {"German in Windows-1252", BYTES("Gr\xfc\xdf \xe4\xf6"), NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = sipas_guess_legacy_encoding(cases[i].bytes, cases[i].len);
        bool same = (got == NULL && cases[i].encoding == NULL) ||
                    (got != NULL && cases[i].encoding != NULL &&
                     strcmp(got, cases[i].encoding) == 0);
        if (!same) {
            print_error("'%s': guessed %s, expected %s\n", cases[i].text, got ? got : "NULL",
                        cases[i].encoding ? cases[i].encoding : "NULL");
            fail();
        }
    }
    assert_null(sipas_guess_legacy_encoding(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_text_key),
        cmocka_unit_test(test_text_trim),
        cmocka_unit_test(test_guess_legacy_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
