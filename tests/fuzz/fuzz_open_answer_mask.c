/* tests/fuzz/fuzz_open_answer_mask.c - the masking of free-text answers (sipas/open_answers.h)
 * on any bytes. The input is one answer, masked in both languages. Properties checked:
 *   - the result never holds 9 or more digits in a row (every such run is an ID number, a phone
 *     or part of an e-mail address, and the masks have no digits);
 *   - it is valid UTF-8 when the input is (masks replace whole ASCII runs only);
 *   - masking the result again changes nothing, and says nothing was masked. */
#include "fuzz_common.h"

#include "sipas/open_answers.h"
#include "text.h"

static void check(const uint8_t *data, size_t size, sipas_report_lang lang)
{
    unsigned kinds = 0;
    char *out = sipas_open_answer_mask((const char *)data, size, lang, &kinds);
    FUZZ_CHECK(out != NULL, "out of memory");
    size_t len = strlen(out), run = 0;
    /* an input with a NUL byte is cut there in the output's strlen: check what is there */
    for (size_t i = 0; i < len; i++) {
        run = out[i] >= '0' && out[i] <= '9' ? run + 1 : 0;
        FUZZ_CHECK(run < 9, "9 digits in a row left at byte %zu of '%s'", i, out);
    }
    if (memchr(data, '\0', size) == NULL && sipas_utf8_valid((const char *)data, size, NULL))
        FUZZ_CHECK(sipas_utf8_valid(out, len, NULL), "masking broke UTF-8: '%s'", out);
    if (memchr(data, '\0', size) == NULL) {
        unsigned again_kinds = 99;
        char *again = sipas_open_answer_mask(out, len, lang, &again_kinds);
        FUZZ_CHECK(again != NULL, "out of memory");
        FUZZ_CHECK(strcmp(again, out) == 0 && again_kinds == 0,
                   "masking twice differs: '%s' then '%s'", out, again);
        free(again);
    }
    FUZZ_SAY("  %s: %s (%u)\n", lang == SIPAS_REPORT_VI ? "vi" : "en", out, kinds);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    check(data, size, SIPAS_REPORT_VI);
    check(data, size, SIPAS_REPORT_EN);
    return 0;
}
