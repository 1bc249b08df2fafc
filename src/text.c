/* src/text.c - Text of Vietnamese spreadsheets (src/text.h): UTF-8 checks, NFC case-folded
 * matching keys (utf8proc) and guesses of legacy encodings. */
#include "text.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "text_legacy.h"

/* Labels are short; anything longer than this is not a label but a mistake, and utf8proc_map
 * allocates several times the input length. */
#define TEXT_KEY_MAX_BYTES ((size_t)64 * 1024)

bool sipas_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* Survey data is mostly ASCII: skip it eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            goto bad; /* a continuation byte, 0xC0/0xC1 (always overlong) or > 0xF4 */
        }
        if (len - i <= need)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_offset != NULL)
        *bad_offset = i;
    return false;
}

static bool is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void sipas_text_trim(const char *s, size_t len, size_t *start, size_t *trimmed_len)
{
    size_t a = 0, b = len;
    while (a < b && is_ascii_space((unsigned char)s[a]))
        a++;
    while (b > a && is_ascii_space((unsigned char)s[b - 1]))
        b--;
    *start = a;
    *trimmed_len = b - a;
}

/* Spreadsheets paste no-break spaces (U+00A0) and other Unicode spaces into labels. */
static bool is_space_codepoint(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return is_ascii_space((unsigned char)cp);
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

char *sipas_text_key(const char *s, size_t len, sipas_error *err)
{
    if (s == NULL && len > 0) {
        sipas_error_set(err, SIPAS_ERR_USAGE, "text key of no text");
        return NULL;
    }
    size_t bad;
    if (!sipas_utf8_valid(s, len, &bad)) {
        sipas_error_set(err, SIPAS_ERR_FORMAT, "not valid UTF-8 (byte %zu)", bad + 1);
        return NULL;
    }
    if (len > TEXT_KEY_MAX_BYTES) {
        sipas_error_set(err, SIPAS_ERR_NOMEM, "label longer than %zu bytes",
                        (size_t)TEXT_KEY_MAX_BYTES);
        return NULL;
    }
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = 0;
    if (len > 0) {
        /* STABLE keeps the result identical across Unicode versions; COMPOSE gives NFC so an
         * NFD "Hài" (a + U+0300) and the precomposed one get the same key. */
        n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &mapped,
                         UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
        if (n < 0) {
            sipas_error_set(err, n == UTF8PROC_ERROR_NOMEM ? SIPAS_ERR_NOMEM : SIPAS_ERR_FORMAT,
                            "cannot normalise label: %s", utf8proc_errmsg(n));
            return NULL;
        }
    }
    /* Collapsing spaces only shrinks the text, so the key fits in n + 1 bytes. */
    char *key = malloc((size_t)n + 1);
    if (key == NULL) {
        free(mapped);
        sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t out = 0;
    bool pending_space = false;
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(mapped + i, n - i, &cp);
        if (step <= 0) {
            free(mapped);
            free(key);
            sipas_error_set(err, SIPAS_ERR_FORMAT, "cannot normalise label: %s",
                            utf8proc_errmsg(step));
            return NULL;
        }
        if (is_space_codepoint(cp)) {
            pending_space = out > 0;
        } else {
            if (pending_space)
                key[out++] = ' ';
            pending_space = false;
            memcpy(key + out, mapped + i, (size_t)step);
            out += (size_t)step;
        }
        i += step;
    }
    key[out] = '\0';
    free(mapped);
    return key;
}

/* Decoding tables for bytes 0x80-0xFF, made with glibc iconv (`printf '\xNN' | iconv -f ENC -t
 * UTF-32BE`); 0 marks a byte the encoding leaves undefined. TCVN5712-1 is TCVN 5712:1993 VN1,
 * whose 0xA1-0xFF range holds the lowercase letters of the TCVN3 "ABC" fonts at the same
 * positions, with capitals VN3 lacks placed in 0x80-0x9F and a few gaps. */
static const uint16_t cp1258_high[128] = {
    0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0000, 0x2039, 0x0152, 0x0000, 0x0000, 0x0000,
    0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0000, 0x203A, 0x0153, 0x0000, 0x0000, 0x0178,
    0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
    0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
    0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
    0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,
    0x00C0, 0x00C1, 0x00C2, 0x0102, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
    0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x0300, 0x00CD, 0x00CE, 0x00CF,
    0x0110, 0x00D1, 0x0309, 0x00D3, 0x00D4, 0x01A0, 0x00D6, 0x00D7,
    0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x01AF, 0x0303, 0x00DF,
    0x00E0, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
    0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x0301, 0x00ED, 0x00EE, 0x00EF,
    0x0111, 0x00F1, 0x0323, 0x00F3, 0x00F4, 0x01A1, 0x00F6, 0x00F7,
    0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x01B0, 0x20AB, 0x00FF,
};

static const uint16_t tcvn_high[128] = {
    0x00C0, 0x1EA2, 0x00C3, 0x00C1, 0x1EA0, 0x1EB6, 0x1EAC, 0x00C8,
    0x1EBA, 0x1EBC, 0x00C9, 0x1EB8, 0x1EC6, 0x00CC, 0x1EC8, 0x0128,
    0x00CD, 0x1ECA, 0x00D2, 0x1ECE, 0x00D5, 0x00D3, 0x1ECC, 0x1ED8,
    0x1EDC, 0x1EDE, 0x1EE0, 0x1EDA, 0x1EE2, 0x00D9, 0x1EE6, 0x0168,
    0x00A0, 0x0102, 0x00C2, 0x00CA, 0x00D4, 0x01A0, 0x01AF, 0x0110,
    0x0103, 0x00E2, 0x00EA, 0x00F4, 0x01A1, 0x01B0, 0x0111, 0x1EB0,
    0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00E0, 0x1EA3, 0x00E3,
    0x00E1, 0x1EA1, 0x1EB2, 0x1EB1, 0x1EB3, 0x1EB5, 0x1EAF, 0x1EB4,
    0x1EAE, 0x1EA6, 0x1EA8, 0x1EAA, 0x1EA4, 0x1EC0, 0x1EB7, 0x1EA7,
    0x1EA9, 0x1EAB, 0x1EA5, 0x1EAD, 0x00E8, 0x1EC2, 0x1EBB, 0x1EBD,
    0x00E9, 0x1EB9, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EBF, 0x1EC7, 0x00EC,
    0x1EC9, 0x1EC4, 0x1EBE, 0x1ED2, 0x0129, 0x00ED, 0x1ECB, 0x00F2,
    0x1ED4, 0x1ECF, 0x00F5, 0x00F3, 0x1ECD, 0x1ED3, 0x1ED5, 0x1ED7,
    0x1ED1, 0x1ED9, 0x1EDD, 0x1EDF, 0x1EE1, 0x1EDB, 0x1EE3, 0x00F9,
    0x1ED6, 0x1EE7, 0x0169, 0x00FA, 0x1EE5, 0x1EEB, 0x1EED, 0x1EEF,
    0x1EE9, 0x1EF1, 0x1EF3, 0x1EF7, 0x1EF9, 0x00FD, 0x1EF5, 0x1ED0,
};

static const uint16_t viscii_high[128] = {
    0x1EA0, 0x1EAE, 0x1EB0, 0x1EB6, 0x1EA4, 0x1EA6, 0x1EA8, 0x1EAC,
    0x1EBC, 0x1EB8, 0x1EBE, 0x1EC0, 0x1EC2, 0x1EC4, 0x1EC6, 0x1ED0,
    0x1ED2, 0x1ED4, 0x1ED6, 0x1ED8, 0x1EE2, 0x1EDA, 0x1EDC, 0x1EDE,
    0x1ECA, 0x1ECE, 0x1ECC, 0x1EC8, 0x1EE6, 0x0168, 0x1EE4, 0x1EF2,
    0x00D5, 0x1EAF, 0x1EB1, 0x1EB7, 0x1EA5, 0x1EA7, 0x1EA9, 0x1EAD,
    0x1EBD, 0x1EB9, 0x1EBF, 0x1EC1, 0x1EC3, 0x1EC5, 0x1EC7, 0x1ED1,
    0x1ED3, 0x1ED5, 0x1ED7, 0x1EE0, 0x01A0, 0x1ED9, 0x1EDD, 0x1EDF,
    0x1ECB, 0x1EF0, 0x1EE8, 0x1EEA, 0x1EEC, 0x01A1, 0x1EDB, 0x01AF,
    0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x1EA2, 0x0102, 0x1EB3, 0x1EB5,
    0x00C8, 0x00C9, 0x00CA, 0x1EBA, 0x00CC, 0x00CD, 0x0128, 0x1EF3,
    0x0110, 0x1EE9, 0x00D2, 0x00D3, 0x00D4, 0x1EA1, 0x1EF7, 0x1EEB,
    0x1EED, 0x00D9, 0x00DA, 0x1EF9, 0x1EF5, 0x00DD, 0x1EE1, 0x01B0,
    0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x1EA3, 0x0103, 0x1EEF, 0x1EAB,
    0x00E8, 0x00E9, 0x00EA, 0x1EBB, 0x00EC, 0x00ED, 0x0129, 0x1EC9,
    0x0111, 0x1EF1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x1ECF, 0x1ECD,
    0x1EE5, 0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x00FD, 0x1EE3, 0x1EEE,
};

/* VNI-Windows, the encoding of the VNI fonts: a toned or shaped vowel is its ASCII base letter
 * followed by one byte that adds the marks ("Rất" is R a 0xE1 t: a, circumflex, acute), with
 * ơ ư đ and the toned i and ỵ as bytes of their own. The layout is that of the VNI table of
 * xvnkb (github.com/lamdao/xvnkb, vni.h): per vowel, base, sắc, huyền, hỏi, ngã, nặng, then
 * the same after the circumflex (â ê ô) and the breve (ă). Bytes 0xC0-0xFF give one or two
 * code points (vni_first, then vni_second, 0 for none); bytes 0x80-0xBF are those of
 * Windows-1252, which cp1258_high shares there. */
static const uint16_t vni_first[64] = {
    0x0302, 0x0302, 0x0302, 0x0302, 0x0302, 0x0302, 0x1EC8, 0x00C7,
    0x0306, 0x0306, 0x0306, 0x0306, 0x00CC, 0x00CD, 0x1EF4, 0x0323,
    0x00D0, 0x0110, 0x1ECA, 0x0128, 0x01A0, 0x0303, 0x01AF, 0x00D7,
    0x0300, 0x0301, 0x0306, 0x0309, 0x0306, 0x00DD, 0x00DE, 0x00DF,
    0x0302, 0x0302, 0x0302, 0x0302, 0x0302, 0x0302, 0x1EC9, 0x00E7,
    0x0306, 0x0306, 0x0306, 0x0306, 0x00EC, 0x00ED, 0x1EF5, 0x0323,
    0x00F0, 0x0111, 0x1ECB, 0x0129, 0x01A1, 0x0303, 0x01B0, 0x00F7,
    0x0300, 0x0301, 0x0306, 0x0309, 0x0306, 0x00FD, 0x00FE, 0x00FF,
};

static const uint16_t vni_second[64] = {
    0x0300, 0x0301, 0x0000, 0x0303, 0x0323, 0x0309, 0x0000, 0x0000,
    0x0300, 0x0301, 0x0000, 0x0323, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0309, 0x0000, 0x0303, 0x0000, 0x0000, 0x0000,
    0x0300, 0x0301, 0x0000, 0x0303, 0x0323, 0x0309, 0x0000, 0x0000,
    0x0300, 0x0301, 0x0000, 0x0323, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
    0x0000, 0x0000, 0x0309, 0x0000, 0x0303, 0x0000, 0x0000, 0x0000,
};

/* In order of preference when two encodings read the bytes equally well (for "Không" the
 * Windows-1258 and VISCII bytes are the same): Windows-1258 is what Excel on a Vietnamese
 * Windows saves as "CSV", TCVN3 is the older font encoding still found in office files, VISCII
 * and VNI are rare. second: a second code point per byte (VNI only). */
struct sipas_legacy_encoding {
    const char *name;
    const uint16_t *high;         /* bytes 0x80-0xFF */
    const uint16_t *upper_first;  /* NULL, or bytes 0xC0-0xFF instead of high (VNI) */
    const uint16_t *upper_second;
};

static const sipas_legacy_encoding legacy_encodings[] = {
    {"Windows-1258", cp1258_high, NULL, NULL},
    {"TCVN3 (ABC)", tcvn_high, NULL, NULL},
    {"VISCII", viscii_high, NULL, NULL},
    {"VNI", cp1258_high, vni_first, vni_second},
};

int sipas_legacy_decode(const sipas_legacy_encoding *e, unsigned char byte, int32_t cp[2])
{
    cp[1] = 0;
    if (byte < 0x80) {
        cp[0] = byte;
        return 1;
    }
    if (byte >= 0xC0 && e->upper_first != NULL) {
        cp[0] = e->upper_first[byte - 0xC0];
        cp[1] = e->upper_second[byte - 0xC0];
        return cp[1] != 0 ? 2 : 1;
    }
    cp[0] = e->high[byte - 0x80];
    return cp[0] != 0 ? 1 : 0;
}

static bool is_tone_mark(utf8proc_int32_t cp)
{
    return cp == 0x0300 || cp == 0x0301 || cp == 0x0303 || cp == 0x0309 || cp == 0x0323;
}

static bool is_ascii_vowel(utf8proc_int32_t cp)
{
    return cp < 0x80 && cp != 0 && strchr("aeiouyAEIOUY", (int)cp) != NULL;
}

static bool is_ascii_letter(utf8proc_int32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

typedef struct viet_letter {
    bool letter; /* one of the letters of the Vietnamese alphabet, with or without a tone */
    bool vowel;
    bool upper;
    bool tone;
    char base;   /* the letter without marks, lowercase; 'D' for đ */
} viet_letter;

/* Classifies a non-ASCII code point by its canonical decomposition: a Vietnamese letter is
 * đ/Đ, or a vowel carrying at most one vowel-shape mark (circumflex on a/e/o, breve on a, horn
 * on o/u) and at most one tone mark. */
static viet_letter classify_letter(utf8proc_int32_t cp)
{
    viet_letter v = {false, false, false, false, 0};
    if (cp == 0x0110 || cp == 0x0111) {
        v.letter = true;
        v.base = 'D';
        v.upper = cp == 0x0110;
        return v;
    }
    utf8proc_int32_t parts[4];
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, parts, 4, UTF8PROC_DECOMPOSE, NULL);
    if (n < 2 || n > 3 || !is_ascii_vowel(parts[0]))
        return v;
    char base = (char)(parts[0] | 0x20);
    int shapes = 0, tones = 0;
    for (utf8proc_ssize_t i = 1; i < n; i++) {
        if (is_tone_mark(parts[i])) {
            tones++;
        } else if ((parts[i] == 0x0302 && strchr("aeo", base) != NULL) ||
                   (parts[i] == 0x0306 && base == 'a') ||
                   (parts[i] == 0x031B && (base == 'o' || base == 'u'))) {
            shapes++;
        } else {
            return v; /* a diaeresis, ring, cedilla...: Latin-1 but not Vietnamese */
        }
    }
    if (tones > 1 || shapes > 1)
        return v;
    v.letter = true;
    v.vowel = true;
    v.upper = parts[0] < 'a';
    v.tone = tones == 1;
    v.base = base;
    return v;
}

#define WORD_MAX 16

typedef struct word_state {
    bool any;           /* inside a word */
    bool has_lower;
    bool inner_upper;   /* a capital after the first letter */
    bool non_ascii;     /* the word has a letter or mark from the high half */
    int tones;
    bool last_bare_vowel; /* the previous letter is a vowel that can still take a tone mark */
    size_t nbases;
    char bases[WORD_MAX]; /* letters without marks, lowercase; 'D' stands for đ */
} word_state;

static void word_add(word_state *w, char base)
{
    if (w->nbases < WORD_MAX)
        w->bases[w->nbases] = base;
    w->nbases++;
}

static bool in_list(const char *s, size_t len, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return true;
    return false;
}

/* A Vietnamese word is one syllable: an initial consonant (or none), one to three vowels, a
 * final consonant (or none). "Grủư" is not one; "Hội", "lưng" are. */
static bool plausible_syllable(const word_state *w)
{
    static const char *const onsets[] = {"", "b", "c", "ch", "d", "D", "g", "gh", "gi", "h",
                                         "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p",
                                         "ph", "q", "r", "s", "t", "th", "tr", "v", "x", NULL};
    static const char *const codas[] = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t", NULL};
    /* The vowel groups of Vietnamese, by base letter (ư, ơ, â... counted as u, o, a): "ươi" is
     * uoi. "aư" (TCVN3 bytes read as VNI, or the reverse) is none. */
    static const char *const nuclei[] = {
        "a", "e", "i", "o", "u", "y", "ai", "ao", "au", "ay", "eo", "eu", "ia", "ie", "iu",
        "oa", "oe", "oi", "oo", "ua", "ue", "ui", "uo", "uu", "uy", "ya", "ye", "ieu", "yeu",
        "oai", "oay", "oeo", "uay", "uoi", "uou", "uya", "uye", "uyu", NULL};
    if (w->nbases > WORD_MAX)
        return false;
    size_t i = 0;
    while (i < w->nbases && !is_ascii_vowel((unsigned char)w->bases[i]))
        i++;
    size_t onset = i;
    while (i < w->nbases && is_ascii_vowel((unsigned char)w->bases[i]))
        i++;
    size_t nucleus = i - onset;
    /* "gi" and "qu" take the vowel after them into the onset: "giữ" is gi + ư, "quá" qu + a */
    bool onset_takes_vowel = onset == 1 && nucleus >= 2 &&
                             ((w->bases[0] == 'g' && w->bases[1] == 'i') ||
                              (w->bases[0] == 'q' && w->bases[1] == 'u'));
    size_t first = onset_takes_vowel ? onset + 1 : onset;
    return nucleus >= 1 && nucleus <= 3 && in_list(w->bases, onset, onsets) &&
           (in_list(w->bases + onset, nucleus, nuclei) ||
            in_list(w->bases + first, i - first, nuclei)) &&
           in_list(w->bases + i, w->nbases - i, codas);
}

static int end_word(word_state *w)
{
    int penalty = 0;
    /* "RÊt" or "hÀi": Vietnamese words are lowercase, Title case or all capitals. */
    if (w->has_lower && w->inner_upper)
        penalty -= 3;
    /* Words of plain ASCII are left alone: English words and codes are common in the data. */
    if (w->non_ascii && !plausible_syllable(w))
        penalty -= 4;
    *w = (word_state){0};
    return penalty;
}

static bool is_shape_mark(utf8proc_int32_t cp)
{
    return cp == 0x0302 || cp == 0x0306 || cp == 0x031B;
}

/* Adds one code point of a decoded text to the word being read and to the score (see
 * vietnamese_score). */
static void score_code_point(word_state *w, utf8proc_int32_t cp, int *score)
{
    if (is_ascii_letter(cp)) {
        bool upper = cp < 'a';
        if (w->any && upper)
            w->inner_upper = true;
        if (!upper)
            w->has_lower = true;
        w->any = true;
        w->last_bare_vowel = is_ascii_vowel(cp);
        word_add(w, (char)(cp | 0x20));
        return;
    }
    if (cp < 0x80) {
        *score += end_word(w);
        return;
    }
    if (is_shape_mark(cp)) {
        /* VNI writes â ă as the letter and a combining circumflex or breve */
        char base = w->nbases > 0 && w->nbases <= WORD_MAX ? w->bases[w->nbases - 1] : 0;
        bool fits = w->last_bare_vowel && w->tones == 0 && base != 0 &&
                    ((cp == 0x0302 && strchr("aeo", base) != NULL) ||
                     (cp == 0x0306 && base == 'a') || (cp == 0x031B && strchr("ou", base) != NULL));
        *score += fits ? 2 : -4;
        w->last_bare_vowel = fits;
        w->non_ascii = true;
        return;
    }
    if (is_tone_mark(cp)) {
        /* Windows-1258 writes most toned vowels as base letter + combining mark. */
        if (w->last_bare_vowel && w->tones == 0)
            *score += 2;
        else
            *score -= 4;
        w->tones++;
        w->last_bare_vowel = false;
        w->non_ascii = true;
        return;
    }
    viet_letter v = classify_letter(cp);
    if (!v.letter) {
        *score -= 2;
        *score += end_word(w);
        return;
    }
    *score += 2;
    if (w->any && v.upper)
        w->inner_upper = true;
    if (!v.upper)
        w->has_lower = true;
    w->any = true;
    w->non_ascii = true;
    word_add(w, v.base);
    if (v.tone && ++w->tones > 1)
        *score -= 4;
    w->last_bare_vowel = v.vowel && !v.tone;
}

/* How Vietnamese the bytes read when decoded in e: +2 per Vietnamese letter,
 * tone mark or shape mark in a plausible place, -2 per other non-ASCII character, -3/-4 for
 * capitals inside a lowercase word, a second tone in one word, a mark after a consonant, or a
 * word with non-ASCII letters that is not a Vietnamese syllable. A heuristic: short strings
 * whose bytes read as Vietnamese in two encodings are decided by the order of
 * legacy_encodings. INT_MIN when a byte is undefined in the encoding. */
static int vietnamese_score(const unsigned char *s, size_t len, const sipas_legacy_encoding *e)
{
    int score = 0;
    word_state w = {0};
    for (size_t i = 0; i < len; i++) {
        int32_t cp[2];
        int n = sipas_legacy_decode(e, s[i], cp);
        if (n == 0)
            return INT_MIN;
        for (int k = 0; k < n; k++)
            score_code_point(&w, cp[k], &score);
    }
    score += end_word(&w);
    return score;
}

/* UTF-16 text that is mostly ASCII (as CSV is) has a NUL in every other byte. */
int sipas_utf16_nul_parity(const unsigned char *s, size_t len)
{
    size_t nul[2] = {0, 0};
    for (size_t i = 0; i < len; i++)
        if (s[i] == 0)
            nul[i & 1]++;
    size_t pairs = len / 2;
    if (pairs == 0)
        return -1;
    for (int parity = 0; parity < 2; parity++)
        if (nul[parity] * 4 >= pairs && nul[1 - parity] * 4 < nul[parity])
            return parity;
    return -1;
}

static bool looks_utf16(const unsigned char *s, size_t len)
{
    if (len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF)))
        return true;
    return sipas_utf16_nul_parity(s, len) >= 0;
}

const char *sipas_guess_legacy_encoding(const char *s, size_t len)
{
    if (s == NULL || len == 0)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    if (looks_utf16(u, len))
        return "UTF-16";
    if (sipas_utf8_valid(s, len, NULL))
        return NULL;
    const char *best = NULL;
    int best_score = 0;
    for (size_t e = 0; e < sizeof legacy_encodings / sizeof legacy_encodings[0]; e++) {
        int score = vietnamese_score(u, len, &legacy_encodings[e]);
        if (score > best_score) {
            best_score = score;
            best = legacy_encodings[e].name;
        }
    }
    return best;
}

const sipas_legacy_encoding *sipas_legacy_find(const char *name)
{
    for (size_t e = 0; name != NULL && e < sizeof legacy_encodings / sizeof legacy_encodings[0];
         e++)
        if (strcmp(name, legacy_encodings[e].name) == 0)
            return &legacy_encodings[e];
    return NULL;
}
