/* Tests of the encoding detector and the streaming decoder (sipas/encoding.h). Legacy bytes
 * were made with glibc iconv, e.g. `printf 'Hài lòng' | iconv -f UTF-8 -t CP1258 | xxd`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sipas/encoding.h"

#define BYTES(s) s, sizeof(s) - 1

typedef struct detect_case {
    const char *name;
    const char *bytes;
    size_t len;
    sipas_encoding expected; /* DETECT: refused */
    size_t bom_len;
} detect_case;

static void test_detect(void **state)
{
    (void)state;
    static const detect_case cases[] = {
        {"ASCII", BYTES("id,q1\n1,4\n"), SIPAS_ENCODING_UTF8, 0},
        {"UTF-8", BYTES("q\nH\xC3\xA0i l\xC3\xB2ng\n"), SIPAS_ENCODING_UTF8, 0},
        {"UTF-8 with BOM", BYTES("\xEF\xBB\xBFq\n"), SIPAS_ENCODING_UTF8, 3},
        {"UTF-16LE BOM", BYTES("\xFF\xFEq\0"), SIPAS_ENCODING_UTF16LE, 2},
        {"UTF-16BE BOM", BYTES("\xFE\xFF\0q"), SIPAS_ENCODING_UTF16BE, 2},
        {"UTF-16LE without BOM", BYTES("i\0d\0,\0q\0\n\0"), SIPAS_ENCODING_UTF16LE, 0},
        {"UTF-16BE without BOM", BYTES("\0i\0d\0,\0q\0\n"), SIPAS_ENCODING_UTF16BE, 0},
        /* cut off inside "à": UTF-8 that ends early, never a legacy encoding */
        {"UTF-8 cut off", BYTES("q\nH\xC3\xA0i l\xC3"), SIPAS_ENCODING_UTF8, 0},
        {"UTF-8 with one bad byte", BYTES("H\xC3\xA0i l\xC3\xB2ng R\xE1\xBA\xA5t \xE0"),
         SIPAS_ENCODING_UTF8, 0},
        {"Windows-1258", BYTES("R\xE2\xECt h\xE0i l\x6F\xCCng"), SIPAS_ENCODING_WINDOWS_1258, 0},
        {"TCVN3", BYTES("R\xCA\x74 h\xB5i l\xDFng"), SIPAS_ENCODING_TCVN3, 0},
        {"VISCII", BYTES("R\xA4t h\xE0i l\xF2ng"), SIPAS_ENCODING_VISCII, 0},
        {"VNI", BYTES("R\x61\xE1t h\x61\xF8i l\x6F\xF8ng, Ng\xF6\xF4\xF8i d\x61\xE2n"),
         SIPAS_ENCODING_VNI, 0},
        {"UTF-32 refused", BYTES("\xFF\xFE\0\0q\0\0\0"), SIPAS_ENCODING_DETECT, 0},
        {"bytes of no Vietnamese encoding", BYTES("\x81\x8d\x8f\x90\x9d"), SIPAS_ENCODING_DETECT,
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sipas_encoding got = SIPAS_ENCODING_DETECT;
        size_t bom = 99;
        sipas_error err = {0};
        sipas_status st = sipas_encoding_detect(cases[i].bytes, cases[i].len, true, &got, &bom,
                                                &err);
        bool ok = cases[i].expected == SIPAS_ENCODING_DETECT
                      ? st == SIPAS_ERR_FORMAT && err.message[0] != '\0'
                      : st == SIPAS_OK && got == cases[i].expected && bom == cases[i].bom_len;
        if (!ok) {
            print_error("%s: status %s, got %s (BOM %zu), expected %s: %s\n", cases[i].name,
                        sipas_status_name(st), sipas_encoding_name(got), bom,
                        sipas_encoding_name(cases[i].expected), err.message);
            fail();
        }
    }
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        sipas_encoding encoding;
    } names[] = {
        {"UTF-8", SIPAS_ENCODING_UTF8},       {"utf8", SIPAS_ENCODING_UTF8},
        {"UTF-16", SIPAS_ENCODING_UTF16LE},   {"utf_16be", SIPAS_ENCODING_UTF16BE},
        {"Windows-1258", SIPAS_ENCODING_WINDOWS_1258}, {"CP1258", SIPAS_ENCODING_WINDOWS_1258},
        {"TCVN3", SIPAS_ENCODING_TCVN3},      {"abc", SIPAS_ENCODING_TCVN3},
        {"TCVN5712-1", SIPAS_ENCODING_TCVN3}, {"viscii", SIPAS_ENCODING_VISCII},
        {"VNI-Windows", SIPAS_ENCODING_VNI},
        {"auto", SIPAS_ENCODING_DETECT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        sipas_encoding got = SIPAS_ENCODING_VNI + 1;
        sipas_error err = {0};
        assert_int_equal(sipas_encoding_from_name(names[i].name, &got, &err), SIPAS_OK);
        assert_int_equal(got, names[i].encoding);
    }
    sipas_encoding got;
    sipas_error err = {0};
    assert_int_equal(sipas_encoding_from_name("latin1", &got, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "unknown encoding 'latin1' (known: UTF-8, UTF-16, UTF-16LE, "
                                     "UTF-16BE, Windows-1258, TCVN3, VISCII, VNI, auto)");
    assert_int_equal(sipas_encoding_from_name("", &got, &err), SIPAS_ERR_USAGE);
    assert_string_equal(sipas_encoding_name(SIPAS_ENCODING_TCVN3), "TCVN3 (ABC)");
}

typedef struct sink_text {
    char text[256];
    size_t len;
} sink_text;

static sipas_status to_buffer(void *ctx, const char *utf8, size_t len, sipas_error *err)
{
    (void)err;
    sink_text *t = ctx;
    assert_true(t->len + len < sizeof t->text);
    memcpy(t->text + t->len, utf8, len);
    t->len += len;
    t->text[t->len] = '\0';
    return SIPAS_OK;
}

/* Windows-1258 writes "ò" as o + U+0300 and "ấ" as â + U+0301: the decoder composes both to the
 * precomposed NFC letters whatever the chunk boundaries. */
static void test_decoder_composes_in_any_chunks(void **state)
{
    (void)state;
    static const char cp1258[] = "R\xE2\xECt h\xE0i l\x6F\xCCng\nH\x6F\xCC";
    static const char nfc[] = "R\xE1\xBA\xA5t h\xC3\xA0i l\xC3\xB2ng\nH\xC3\xB2";
    size_t len = sizeof cp1258 - 1;
    for (size_t chunk = 1; chunk <= len; chunk++) {
        sipas_decoder *d = NULL;
        sipas_error err = {0};
        sink_text out = {.len = 0};
        assert_int_equal(sipas_decoder_new(SIPAS_ENCODING_DETECT, &d, &err), SIPAS_OK);
        for (size_t off = 0; off < len; off += chunk)
            assert_int_equal(sipas_decoder_feed(d, cp1258 + off, len - off < chunk ? len - off
                                                                                   : chunk,
                                                to_buffer, &out, &err), SIPAS_OK);
        assert_int_equal(sipas_decoder_finish(d, to_buffer, &out, &err), SIPAS_OK);
        assert_int_equal(sipas_decoder_encoding(d), SIPAS_ENCODING_WINDOWS_1258);
        assert_string_equal(out.text, nfc);
        sipas_decoder_free(d);
    }
    sipas_decoder_free(NULL);
}

/* VNI's mark bytes add one or two combining marks to the letter before them: composed to NFC. */
static void test_decoder_vni(void **state)
{
    (void)state;
    static const char vni[] = "R\x61\xE1t h\x61\xF8i l\x6F\xF8ng; Ng\xF6\xF4\xF8i; \xD1\x61\xEF"
                              "i h\x6F\xEF\x63; \xF1\x61\xEA\x63 ";
    static const char nfc[] = "R\xE1\xBA\xA5t h\xC3\xA0i l\xC3\xB2ng; Ng\xC6\xB0\xE1\xBB\x9Di; "
                              "\xC4\x90\xE1\xBA\xA1i h\xE1\xBB\x8D\x63; \xC4\x91\xC4\x83\x63 ";
    sipas_decoder *d = NULL;
    sipas_error err = {0};
    sink_text out = {.len = 0};
    assert_int_equal(sipas_decoder_new(SIPAS_ENCODING_VNI, &d, &err), SIPAS_OK);
    assert_int_equal(sipas_decoder_feed(d, vni, sizeof vni - 1, to_buffer, &out, &err), SIPAS_OK);
    assert_int_equal(sipas_decoder_finish(d, to_buffer, &out, &err), SIPAS_OK);
    assert_string_equal(out.text, nfc); /* Rất hài lòng; Người; Đại học; đăc */
    sipas_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_decoder_composes_in_any_chunks),
        cmocka_unit_test(test_decoder_vni),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
