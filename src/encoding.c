/* src/encoding.c - Input encodings (sipas/encoding.h): detection, and the streaming conversion of
 * UTF-16 and the legacy Vietnamese encodings (Windows-1258, TCVN3, VISCII, VNI) to NFC UTF-8
 * (utf8proc). */
#include "sipas/encoding.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "alloc.h"
#include "text.h"
#include "text_legacy.h"

/* Detection looks at this much of the file (the same window the CSV reader sniffs its
 * delimiter in). */
#define SAMPLE_BYTES ((size_t)64 * 1024)
/* Converted text waits for a safe place to cut before it is composed (see compose_flush); a
 * file with no two ASCII bytes in a row for this long is composed anyway. */
#define COMPOSE_HOLD_MAX ((size_t)1 << 20)
/* Bytes after a bad UTF-8 byte scored to name the likely encoding. */
#define GUESS_WINDOW ((size_t)256)

static const struct {
    sipas_encoding encoding;
    const char *display;
    const char *legacy; /* name of its table in text.c, NULL for the Unicode encodings */
    const char *aliases; /* accepted names, lowercase without '-', '_' or spaces, '|'-joined */
    const char *option;  /* the name messages suggest for --encoding */
} encodings[] = {
    {SIPAS_ENCODING_UTF8, "UTF-8", NULL, "utf8", "UTF-8"},
    {SIPAS_ENCODING_UTF16LE, "UTF-16LE", NULL, "utf16le|utf16", "UTF-16LE"},
    {SIPAS_ENCODING_UTF16BE, "UTF-16BE", NULL, "utf16be", "UTF-16BE"},
    {SIPAS_ENCODING_WINDOWS_1258, "Windows-1258", "Windows-1258", "windows1258|cp1258",
     "Windows-1258"},
    {SIPAS_ENCODING_TCVN3, "TCVN3 (ABC)", "TCVN3 (ABC)", "tcvn3|tcvn|abc|tcvn57121", "TCVN3"},
    {SIPAS_ENCODING_VISCII, "VISCII", "VISCII", "viscii", "VISCII"},
    {SIPAS_ENCODING_VNI, "VNI", "VNI", "vni|vniwindows", "VNI"},
};
#define NENCODINGS (sizeof encodings / sizeof encodings[0])

const char *sipas_encoding_name(sipas_encoding encoding)
{
    for (size_t i = 0; i < NENCODINGS; i++)
        if (encodings[i].encoding == encoding)
            return encodings[i].display;
    return "auto";
}

sipas_status sipas_encoding_from_name(const char *name, sipas_encoding *out, sipas_error *err)
{
    char folded[32];
    size_t n = 0;
    for (const char *p = name ? name : ""; *p != '\0'; p++) {
        if (*p == '-' || *p == '_' || *p == ' ')
            continue;
        if (n + 1 >= sizeof folded)
            break;
        folded[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    folded[n] = '\0';
    if (strcmp(folded, "auto") == 0) {
        *out = SIPAS_ENCODING_DETECT;
        return SIPAS_OK;
    }
    for (size_t i = 0; n > 0 && i < NENCODINGS; i++) {
        for (const char *a = encodings[i].aliases; *a != '\0';) {
            size_t len = strcspn(a, "|");
            if (len == n && memcmp(a, folded, n) == 0) {
                *out = encodings[i].encoding;
                return SIPAS_OK;
            }
            a += len + (a[len] == '|');
        }
    }
    return sipas_error_set(err, SIPAS_ERR_USAGE, "unknown encoding '%s' (known: UTF-8, UTF-16, "
                           "UTF-16LE, UTF-16BE, Windows-1258, TCVN3, VISCII, VNI, auto)",
                           name ? name : "");
}

static const sipas_legacy_encoding *legacy_of(sipas_encoding encoding)
{
    for (size_t i = 0; i < NENCODINGS; i++)
        if (encodings[i].encoding == encoding && encodings[i].legacy != NULL)
            return sipas_legacy_find(encodings[i].legacy);
    return NULL;
}

static sipas_encoding encoding_of_guess(const char *guess)
{
    for (size_t i = 0; guess != NULL && i < NENCODINGS; i++)
        if (encodings[i].legacy && strcmp(encodings[i].legacy, guess) == 0)
            return encodings[i].encoding;
    return SIPAS_ENCODING_DETECT;
}

/* Bytes a UTF-8 lead byte announces (1-4), 0 for a byte that cannot start a character. */
static size_t utf8_char_bytes(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

/* True when s[0..len) is the start of a UTF-8 character that the bytes after it would
 * complete: a lead byte and fewer continuation bytes than it needs. */
static bool utf8_incomplete(const unsigned char *s, size_t len)
{
    size_t need = len > 0 ? utf8_char_bytes(s[0]) : 0;
    if (need < 2 || len >= need)
        return false;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return false;
    return true;
}

/* Counts valid multi-byte characters and bytes that start no valid character. */
static void utf8_census(const unsigned char *s, size_t len, size_t *good, size_t *bad)
{
    *good = *bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_bytes(s[i]);
        if (n == 1) {
            i++;
        } else if (n > 1 && i + n <= len && sipas_utf8_valid((const char *)s + i, n, NULL)) {
            (*good)++;
            i += n;
        } else {
            (*bad)++;
            i++;
        }
    }
}

static bool has_non_ascii(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 0x80)
            return true;
    return false;
}

/* The byte order mark at the start of s: its encoding and length, or DETECT and 0. UTF-32 is
 * refused (no spreadsheet writes it for CSV). */
static sipas_status read_bom(const unsigned char *s, size_t len, sipas_encoding *out,
                             size_t *bom_len, sipas_error *err)
{
    *out = SIPAS_ENCODING_DETECT;
    *bom_len = 0;
    if (len >= 4 && ((s[0] == 0xFF && s[1] == 0xFE && s[2] == 0 && s[3] == 0) ||
                     (s[0] == 0 && s[1] == 0 && s[2] == 0xFE && s[3] == 0xFF)))
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "the file is UTF-32 (byte order mark "
                               "%02X %02X %02X %02X); save it as UTF-8", s[0], s[1], s[2], s[3]);
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        *out = SIPAS_ENCODING_UTF8;
        *bom_len = 3;
    } else if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        *out = SIPAS_ENCODING_UTF16LE;
        *bom_len = 2;
    } else if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        *out = SIPAS_ENCODING_UTF16BE;
        *bom_len = 2;
    }
    return SIPAS_OK;
}

sipas_status sipas_encoding_detect(const char *sample, size_t len, bool at_end,
                                   sipas_encoding *out, size_t *bom_len, sipas_error *err)
{
    (void)at_end; /* an incomplete character at the end is UTF-8 either way (see the header) */
    const unsigned char *s = (const unsigned char *)sample;
    sipas_status st = read_bom(s, len, out, bom_len, err);
    if (st != SIPAS_OK || *out != SIPAS_ENCODING_DETECT)
        return st;
    /* NUL is valid UTF-8, so UTF-16's pattern of NULs is looked for first */
    int parity = sipas_utf16_nul_parity(s, len);
    if (parity >= 0) {
        *out = parity == 1 ? SIPAS_ENCODING_UTF16LE : SIPAS_ENCODING_UTF16BE;
        return SIPAS_OK;
    }
    size_t bad;
    if (sipas_utf8_valid(sample, len, &bad) || utf8_incomplete(s + bad, len - bad)) {
        *out = SIPAS_ENCODING_UTF8;
        return SIPAS_OK;
    }
    size_t good_chars, bad_bytes;
    utf8_census(s, len, &good_chars, &bad_bytes);
    if (good_chars > bad_bytes) {
        *out = SIPAS_ENCODING_UTF8; /* damaged UTF-8: reported at its first bad byte */
        return SIPAS_OK;
    }
    *out = encoding_of_guess(sipas_guess_legacy_encoding(sample, len));
    if (*out != SIPAS_ENCODING_DETECT)
        return SIPAS_OK;
    return sipas_error_set(err, SIPAS_ERR_FORMAT, "the file is not UTF-8, and its bytes do not "
                           "read as Vietnamese in Windows-1258, TCVN3, VISCII or VNI; name its "
                           "encoding with --encoding, or save it as UTF-8");
}

struct sipas_decoder {
    sipas_encoding encoding; /* DETECT until decided */
    sipas_encoding given;
    const sipas_legacy_encoding *legacy; /* single-byte encodings */
    sipas_status status;     /* sticky */
    sipas_error error;
    char *sample;            /* bytes held until the encoding is decided */
    size_t sample_len, sample_cap;
    unsigned char carry[4];  /* the start of a character cut by the end of a chunk */
    size_t carry_len;
    bool utf8_seen;          /* UTF-8 text with non-ASCII characters has been passed on */
    char *text;              /* converted text not yet composed (see compose_flush) */
    size_t text_len, text_cap;
};

__attribute__((format(printf, 3, 4)))
static sipas_status decoder_fail(sipas_decoder *d, sipas_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->status = status;
    d->error.status = status;
    vsnprintf(d->error.message, sizeof d->error.message, fmt, ap);
    va_end(ap);
    return status;
}

static sipas_status decoder_report(sipas_decoder *d, sipas_error *err)
{
    if (d->status != SIPAS_OK && err != NULL)
        *err = d->error;
    return d->status;
}

/* Passes text to the sink; remembers a sink failure so that the decoder stays failed. */
static sipas_status emit(sipas_decoder *d, const char *text, size_t len, sipas_text_sink sink,
                         void *ctx)
{
    if (len == 0 || d->status != SIPAS_OK)
        return d->status;
    sipas_status st = sink(ctx, text, len, &d->error);
    if (st != SIPAS_OK) {
        d->status = st;
        d->error.status = st;
    }
    return st;
}

/* Composes the converted text to NFC and hands it on. Composition never crosses two ASCII
 * bytes in a row (an ASCII character composes with nothing before it, and the one before it
 * ends every sequence that started earlier), so the text is cut just before the last such
 * pair and the rest waits for more. final: compose everything. */
static sipas_status compose_flush(sipas_decoder *d, bool final, sipas_text_sink sink, void *ctx)
{
    size_t cut = d->text_len;
    if (!final) {
        cut = 0;
        for (size_t p = d->text_len; p-- > 1;) {
            if ((unsigned char)d->text[p] < 0x80 && (unsigned char)d->text[p - 1] < 0x80) {
                cut = p;
                break;
            }
        }
        if (cut == 0 && d->text_len > COMPOSE_HOLD_MAX)
            cut = d->text_len;
    }
    if (cut == 0)
        return d->status;
    utf8proc_uint8_t *composed = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)d->text, (utf8proc_ssize_t)cut,
                                      &composed, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0)
        return decoder_fail(d, n == UTF8PROC_ERROR_NOMEM ? SIPAS_ERR_NOMEM : SIPAS_ERR_FORMAT,
                            "cannot compose the converted text: %s", utf8proc_errmsg(n));
    sipas_status st = emit(d, (const char *)composed, (size_t)n, sink, ctx);
    free(composed);
    memmove(d->text, d->text + cut, d->text_len - cut);
    d->text_len -= cut;
    return st;
}

static sipas_status append_code_point(sipas_decoder *d, int32_t cp)
{
    if (!grow_bytes(&d->text, &d->text_cap, d->text_len + 4))
        return decoder_fail(d, SIPAS_ERR_NOMEM, "out of memory");
    d->text_len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)d->text + d->text_len);
    return SIPAS_OK;
}

static sipas_status decode_single_byte(sipas_decoder *d, const unsigned char *s, size_t len,
                                       sipas_text_sink sink, void *ctx)
{
    if (!grow_bytes(&d->text, &d->text_cap, d->text_len + 6 * len))
        return decoder_fail(d, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            d->text[d->text_len++] = (char)s[i];
            continue;
        }
        int32_t cp[2];
        int n = sipas_legacy_decode(d->legacy, s[i], cp);
        if (n == 0) {
            /* the text before the byte goes on first, so the reader's row is the byte's row */
            if (compose_flush(d, true, sink, ctx) != SIPAS_OK)
                return d->status;
            return decoder_fail(d, SIPAS_ERR_FORMAT, "byte 0x%02X is not a character of %s",
                                s[i], sipas_encoding_name(d->encoding));
        }
        for (int k = 0; k < n; k++)
            d->text_len += (size_t)utf8proc_encode_char(cp[k],
                                                        (utf8proc_uint8_t *)d->text + d->text_len);
    }
    return compose_flush(d, false, sink, ctx);
}

static sipas_status lone_surrogate(sipas_decoder *d, uint32_t unit, sipas_text_sink sink,
                                   void *ctx)
{
    if (compose_flush(d, true, sink, ctx) != SIPAS_OK)
        return d->status;
    return decoder_fail(d, SIPAS_ERR_FORMAT, "not valid UTF-16 (a lone surrogate 0x%04X)",
                        (unsigned)unit);
}

static sipas_status decode_utf16(sipas_decoder *d, const unsigned char *s, size_t len,
                                 sipas_text_sink sink, void *ctx)
{
    bool big_endian = d->encoding == SIPAS_ENCODING_UTF16BE;
    size_t i = 0;
    for (;;) {
        /* the next unit comes from the carried bytes first, then from s */
        unsigned char unit[4];
        size_t have = 0;
        for (size_t k = 0; k < d->carry_len; k++)
            unit[have++] = d->carry[k];
        size_t from_s = 0;
        while (have < 2 && i + from_s < len)
            unit[have++] = s[i + from_s++];
        if (have < 2) {
            memcpy(d->carry, unit, have);
            d->carry_len = have;
            break;
        }
        uint32_t u = big_endian ? (uint32_t)(unit[0] << 8 | unit[1])
                                : (uint32_t)(unit[1] << 8 | unit[0]);
        uint32_t cp = u;
        if (u >= 0xD800 && u <= 0xDBFF) {
            while (have < 4 && i + from_s < len)
                unit[have++] = s[i + from_s++];
            if (have < 4) {
                memcpy(d->carry, unit, have);
                d->carry_len = have;
                break;
            }
            uint32_t low = big_endian ? (uint32_t)(unit[2] << 8 | unit[3])
                                      : (uint32_t)(unit[3] << 8 | unit[2]);
            if (low < 0xDC00 || low > 0xDFFF)
                return lone_surrogate(d, u, sink, ctx);
            cp = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return lone_surrogate(d, u, sink, ctx);
        }
        d->carry_len = 0;
        i += from_s;
        if (append_code_point(d, (int32_t)cp) != SIPAS_OK)
            return d->status;
    }
    return compose_flush(d, false, sink, ctx);
}

/* A bad byte in a file that had Vietnamese UTF-8 before it is a pasted or damaged part, not a
 * file in another encoding: --encoding would not help there. */
static sipas_status utf8_refused(sipas_decoder *d, const unsigned char *s, size_t len)
{
    const char *guess = sipas_guess_legacy_encoding((const char *)s,
                                                    len < GUESS_WINDOW ? len : GUESS_WINDOW);
    if (guess != NULL && strcmp(guess, "UTF-16") == 0)
        guess = NULL;
    if (d->utf8_seen)
        return decoder_fail(d, SIPAS_ERR_FORMAT, "not valid UTF-8 (byte 0x%02X), though the text "
                            "before it is UTF-8%s%s%s; correct that text, or save the file as "
                            "UTF-8 again", s[0], guess ? " (this part looks like " : "",
                            guess ? guess : "", guess ? ")" : "");
    if (guess != NULL) {
        const char *option = "";
        for (size_t i = 0; i < NENCODINGS; i++)
            if (encodings[i].encoding == encoding_of_guess(guess))
                option = encodings[i].option;
        return decoder_fail(d, SIPAS_ERR_FORMAT, "not valid UTF-8 (byte 0x%02X); the text looks "
                            "like %s: give --encoding %s, or save the file as UTF-8", s[0], guess,
                            option);
    }
    return decoder_fail(d, SIPAS_ERR_FORMAT, "not valid UTF-8 (byte 0x%02X); save the file as "
                        "UTF-8", s[0]);
}

/* UTF-8 passes through unchanged once checked; a character cut by the end of the chunk waits
 * in carry for the rest. */
static sipas_status pass_utf8(sipas_decoder *d, const unsigned char *s, size_t len,
                              sipas_text_sink sink, void *ctx)
{
    if (d->carry_len > 0) {
        size_t need = utf8_char_bytes(d->carry[0]);
        while (d->carry_len < need && len > 0) {
            d->carry[d->carry_len++] = *s++;
            len--;
        }
        if (d->carry_len < need && utf8_incomplete(d->carry, d->carry_len))
            return SIPAS_OK;
        if (!sipas_utf8_valid((const char *)d->carry, d->carry_len, NULL))
            return utf8_refused(d, d->carry, d->carry_len);
        if (emit(d, (const char *)d->carry, d->carry_len, sink, ctx) != SIPAS_OK)
            return d->status;
        d->carry_len = 0;
        d->utf8_seen = true; /* a carried character is never ASCII */
    }
    size_t bad;
    bool valid = sipas_utf8_valid((const char *)s, len, &bad);
    if (valid)
        bad = len;
    if (!d->utf8_seen)
        d->utf8_seen = has_non_ascii(s, bad);
    if (valid)
        return emit(d, (const char *)s, len, sink, ctx);
    if (emit(d, (const char *)s, bad, sink, ctx) != SIPAS_OK)
        return d->status;
    if (utf8_incomplete(s + bad, len - bad)) {
        memcpy(d->carry, s + bad, len - bad);
        d->carry_len = len - bad;
        return SIPAS_OK;
    }
    return utf8_refused(d, s + bad, len - bad);
}

static sipas_status convert(sipas_decoder *d, const unsigned char *s, size_t len,
                            sipas_text_sink sink, void *ctx)
{
    switch (d->encoding) {
    case SIPAS_ENCODING_UTF8:
        return pass_utf8(d, s, len, sink, ctx);
    case SIPAS_ENCODING_UTF16LE:
    case SIPAS_ENCODING_UTF16BE:
        return decode_utf16(d, s, len, sink, ctx);
    default:
        return decode_single_byte(d, s, len, sink, ctx);
    }
}

/* Settles the encoding from the held sample (given or detected) and converts the sample. */
static sipas_status decide(sipas_decoder *d, bool at_end, sipas_text_sink sink, void *ctx)
{
    const unsigned char *s = (const unsigned char *)d->sample;
    size_t len = d->sample_len, bom_len = 0;
    sipas_encoding found = SIPAS_ENCODING_DETECT;
    sipas_status st;
    if (d->given == SIPAS_ENCODING_DETECT) {
        st = sipas_encoding_detect(d->sample, len, at_end, &found, &bom_len, &d->error);
    } else {
        found = d->given;
        sipas_encoding bom;
        st = read_bom(s, len, &bom, &bom_len, &d->error);
        bool utf16_given = found == SIPAS_ENCODING_UTF16LE || found == SIPAS_ENCODING_UTF16BE;
        if (st == SIPAS_OK && bom != SIPAS_ENCODING_DETECT && bom != found &&
            !(utf16_given && bom != SIPAS_ENCODING_UTF8))
            return decoder_fail(d, SIPAS_ERR_FORMAT, "the file starts with a %s byte order mark, "
                                "but --encoding says %s", sipas_encoding_name(bom),
                                sipas_encoding_name(found));
        if (bom != SIPAS_ENCODING_DETECT)
            found = bom; /* UTF-16 given, the BOM tells the byte order */
        if (st == SIPAS_OK && legacy_of(found) != NULL && sipas_utf8_valid(d->sample, len, NULL)
            && has_non_ascii(s, len))
            return decoder_fail(d, SIPAS_ERR_FORMAT, "the file is UTF-8, not %s as --encoding "
                                "says; leave --encoding out", sipas_encoding_name(found));
    }
    if (st != SIPAS_OK) {
        d->status = st;
        return st;
    }
    d->encoding = found;
    d->legacy = legacy_of(found);
    /* an empty file has no sample: s is NULL, and NULL + 0 is undefined behaviour in C */
    st = convert(d, s ? s + bom_len : s, len - bom_len, sink, ctx);
    free(d->sample);
    d->sample = NULL;
    d->sample_len = d->sample_cap = 0;
    return st;
}

sipas_status sipas_decoder_new(sipas_encoding encoding, sipas_decoder **out, sipas_error *err)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    (*out)->given = encoding;
    return SIPAS_OK;
}

sipas_status sipas_decoder_feed(sipas_decoder *d, const char *data, size_t len,
                                sipas_text_sink sink, void *ctx, sipas_error *err)
{
    if (d->status != SIPAS_OK || len == 0)
        return decoder_report(d, err);
    if (d->encoding != SIPAS_ENCODING_DETECT) {
        convert(d, (const unsigned char *)data, len, sink, ctx);
        return decoder_report(d, err);
    }
    if (!grow_bytes(&d->sample, &d->sample_cap, d->sample_len + len)) {
        decoder_fail(d, SIPAS_ERR_NOMEM, "out of memory");
        return decoder_report(d, err);
    }
    memcpy(d->sample + d->sample_len, data, len);
    d->sample_len += len;
    if (d->sample_len >= SAMPLE_BYTES)
        decide(d, false, sink, ctx);
    return decoder_report(d, err);
}

sipas_status sipas_decoder_finish(sipas_decoder *d, sipas_text_sink sink, void *ctx,
                                  sipas_error *err)
{
    if (d->status == SIPAS_OK && d->encoding == SIPAS_ENCODING_DETECT)
        decide(d, true, sink, ctx);
    if (d->status == SIPAS_OK && d->carry_len > 0) {
        if (d->encoding == SIPAS_ENCODING_UTF8)
            decoder_fail(d, SIPAS_ERR_FORMAT, "the file ends inside a UTF-8 character (byte "
                         "0x%02X): it was cut off (an interrupted copy or download?); get the "
                         "whole file again", d->carry[0]);
        else
            decoder_fail(d, SIPAS_ERR_FORMAT, "the file ends inside a UTF-16 character (%zu "
                         "byte%s left over): it was cut off (an interrupted copy or download?); "
                         "get the whole file again", d->carry_len,
                         d->carry_len == 1 ? "" : "s");
    }
    if (d->status == SIPAS_OK)
        compose_flush(d, true, sink, ctx);
    return decoder_report(d, err);
}

sipas_encoding sipas_decoder_encoding(const sipas_decoder *d)
{
    return d ? d->encoding : SIPAS_ENCODING_DETECT;
}

void sipas_decoder_free(sipas_decoder *d)
{
    if (d == NULL)
        return;
    free(d->sample);
    free(d->text);
    free(d);
}
