/* src/text_legacy.h - the single-byte Vietnamese decoding tables of text.c, for the decoder of
 * encoding.c (private to src/). */
#ifndef SIPAS_TEXT_LEGACY_H
#define SIPAS_TEXT_LEGACY_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipas_legacy_encoding sipas_legacy_encoding;

/* The encoding named as sipas_guess_legacy_encoding names it, or NULL. Static. */
const sipas_legacy_encoding *sipas_legacy_find(const char *name);

/* The code points of one byte: writes one or two into cp (VNI's mark bytes add a shape mark
 * and a tone mark) and returns how many; 0 for a byte the encoding leaves undefined. Bytes below
 * 0x80 are ASCII. */
int sipas_legacy_decode(const sipas_legacy_encoding *e, unsigned char byte, int32_t cp[2]);

/* Where the NULs of UTF-16 text without a byte order mark are: 1 at odd offsets (little-endian,
 * "a" is 61 00), 0 at even offsets (big-endian), -1 when the bytes do not look like UTF-16 (a
 * NUL in at least a quarter of one parity's bytes, four times more than in the other). */
int sipas_utf16_nul_parity(const unsigned char *s, size_t len);

#endif
