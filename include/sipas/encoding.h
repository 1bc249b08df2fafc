/* sipas/encoding.h - text encodings of input files: detection and streaming conversion to UTF-8.
 *
 * Survey files reach us as UTF-8 (with or without a byte order mark), as UTF-16 (Excel's
 * "Unicode Text", with a BOM, or without one when the text is mostly ASCII), or in the
 * single-byte encodings of older Vietnamese office software: Windows-1258 (what Excel on a
 * Vietnamese Windows saves as "CSV"), TCVN3 (ABC fonts), VISCII and VNI (VNI fonts: a base
 * letter followed by a byte of marks). A decoder turns the bytes
 * of one file into UTF-8 in chunks, so memory does not grow with the file:
 *   UTF-8          passed through unchanged (as written, not normalised: matching normalises),
 *                  checked as it passes; the first bad byte stops the file with one message;
 *   everything else  decoded (single-byte tables in text.c, made with glibc iconv) and
 *                  composed to NFC with utf8proc, so Windows-1258's "a" + U+0300 becomes "à".
 * Detection reads the first 64 KiB (or the whole file when it is shorter):
 *   1. a byte order mark decides (UTF-8, UTF-16 LE/BE; UTF-32 is refused);
 *   2. a NUL in every other byte is UTF-16 without a BOM (LE or BE by the position of the NULs);
 *   3. valid UTF-8 (an incomplete character at the very end of the sample allowed: the file
 *      may be cut off there, which is then reported as such, not as a legacy encoding) is UTF-8;
 *   4. more valid multi-byte UTF-8 characters than bad bytes is damaged UTF-8, reported at the
 *      first bad byte (single-byte Vietnamese text almost never forms valid UTF-8 sequences);
 *   5. otherwise the Vietnamese score of sipas_guess_legacy_encoding picks Windows-1258, TCVN3,
 *      VISCII or VNI; bytes that read as Vietnamese in none of them are refused, asking for
 *      --encoding.
 * A named encoding skips detection, but a legacy name given for a file that is valid UTF-8
 * with non-ASCII text is refused: decoding it would silently store mojibake. */
#ifndef SIPAS_ENCODING_H
#define SIPAS_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

typedef enum sipas_encoding {
    SIPAS_ENCODING_DETECT = 0, /* not given / not yet known */
    SIPAS_ENCODING_UTF8,
    SIPAS_ENCODING_UTF16LE,
    SIPAS_ENCODING_UTF16BE,
    SIPAS_ENCODING_WINDOWS_1258,
    SIPAS_ENCODING_TCVN3,
    SIPAS_ENCODING_VISCII,
    SIPAS_ENCODING_VNI
} sipas_encoding;

/* The encoding a user names: case, '-' and '_' ignored; "UTF-8", "UTF-16" (byte order from the
 * BOM, else little-endian), "UTF-16LE", "UTF-16BE", "Windows-1258" ("CP1258"), "TCVN3" ("ABC",
 * "TCVN5712-1"), "VISCII", "VNI"; "auto" is DETECT. An unknown name is SIPAS_ERR_USAGE naming the
 * accepted ones. */
sipas_status sipas_encoding_from_name(const char *name, sipas_encoding *out, sipas_error *err);

/* A display name ("Windows-1258", "TCVN3 (ABC)", ...); "auto" for DETECT. Static string. */
const char *sipas_encoding_name(sipas_encoding encoding);

/* Detection on the first bytes of a file (see the header comment). at_end: sample is the whole
 * file. On SIPAS_OK sets *out (never DETECT) and *bom_len (bytes of the BOM to skip). On
 * SIPAS_ERR_FORMAT the message says why, without a file name. */
sipas_status sipas_encoding_detect(const char *sample, size_t len, bool at_end,
                                   sipas_encoding *out, size_t *bom_len, sipas_error *err);

/* Receives converted UTF-8 text. A status other than SIPAS_OK stops the decoder. */
typedef sipas_status (*sipas_text_sink)(void *ctx, const char *utf8, size_t len,
                                        sipas_error *err);

typedef struct sipas_decoder sipas_decoder;

/* encoding: DETECT to detect from the first 64 KiB. */
sipas_status sipas_decoder_new(sipas_encoding encoding, sipas_decoder **out, sipas_error *err);
/* Converts data and hands the text to sink. A failure of the decoder itself (bad bytes,
 * undetectable encoding) is SIPAS_ERR_FORMAT with a message without file name or row; the
 * caller adds them (a row only when sipas_decoder_encoding is no longer DETECT: detection
 * failures concern the whole file). A failure of the sink is passed back as the sink set it. */
sipas_status sipas_decoder_feed(sipas_decoder *decoder, const char *data, size_t len,
                                sipas_text_sink sink, void *ctx, sipas_error *err);
/* Flushes held text; reports a file that ends inside a character. */
sipas_status sipas_decoder_finish(sipas_decoder *decoder, sipas_text_sink sink, void *ctx,
                                  sipas_error *err);
/* The encoding in use: given or detected; DETECT while the first 64 KiB are being collected. */
sipas_encoding sipas_decoder_encoding(const sipas_decoder *decoder);
void sipas_decoder_free(sipas_decoder *decoder); /* NULL is a no-op */

#endif
