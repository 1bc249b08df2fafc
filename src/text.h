/* src/text.h (private to the library) - UTF-8 checks, label matching keys and legacy-encoding
 * guesses (utf8proc).
 *
 * Survey files come from Vietnamese spreadsheets: text may be NFC or NFD, in any case, with stray
 * spaces, or not UTF-8 at all (Windows-1258, TCVN3/ABC, VISCII, VNI from old Excel files). */
#ifndef SIPAS_TEXT_H
#define SIPAS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* True when s[0..len) is valid UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF; NUL is valid). On false, *bad_offset (may be NULL) is the 0-based offset of the
 * first byte of the first bad sequence. */
bool sipas_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* For bytes that are not UTF-8: the most likely legacy encoding by name ("Windows-1258",
 * "TCVN3 (ABC)", "VISCII", "VNI", "UTF-16"), or NULL when there is no good guess (also for valid
 * UTF-8). Static string, for messages only ("... looks like TCVN3 (ABC); save as UTF-8").
 * A heuristic, not a decoder: UTF-16 when there is a UTF-16 BOM or a NUL in at least a quarter
 * of the odd or even bytes; otherwise the bytes are decoded with each single-byte table and
 * scored for Vietnamese (letters of the alphabet, one tone per word, words shaped like
 * syllables, no capitals inside lowercase words). Strings that read as Vietnamese in two
 * encodings (short words whose bytes coincide) go to Windows-1258, then TCVN3, then VISCII,
 * then VNI (whose combining circumflex and breve count like tone marks). */
const char *sipas_guess_legacy_encoding(const char *s, size_t len);

/* The matching key of a label: case folded and NFC (utf8proc_map with UTF8PROC_STABLE |
 * COMPOSE | CASEFOLD), surrounding white space removed and inner runs of white space (ASCII
 * and Unicode Zs, e.g. the no-break space) collapsed to one ASCII space. Two labels match when
 * their keys are equal. Returns a malloc'd NUL-terminated string the caller frees, or NULL with
 * err set (invalid UTF-8: "not valid UTF-8 (byte N)", N 1-based; longer than 64 KiB; no
 * memory); the caller adds the context. */
char *sipas_text_key(const char *s, size_t len, sipas_error *err);

/* s[0..len) with surrounding ASCII white space (space, \t, \n, \r, \v, \f) removed: sets
 * *start and *trimmed_len. */
void sipas_text_trim(const char *s, size_t len, size_t *start, size_t *trimmed_len);

#endif
