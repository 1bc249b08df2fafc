/* src/text_legacy.h - the single-byte Vietnamese decoding tables of text.c, for the decoder of
 * encoding.c (private to src/). */
#ifndef SIPAS_TEXT_LEGACY_H
#define SIPAS_TEXT_LEGACY_H

#include <stddef.h>
#include <stdint.h>

/* The table of bytes 0x80-0xFF (128 code points, 0 for an undefined byte; bytes below 0x80 are
 * ASCII) of an encoding named as sipas_guess_legacy_encoding names it, or NULL. */
const uint16_t *sipas_legacy_table(const char *name);

/* Where the NULs of UTF-16 text without a byte order mark are: 1 at odd offsets (little-endian,
 * "a" is 61 00), 0 at even offsets (big-endian), -1 when the bytes do not look like UTF-16 (a
 * NUL in at least a quarter of one parity's bytes, four times more than in the other). */
int sipas_utf16_nul_parity(const unsigned char *s, size_t len);

#endif
