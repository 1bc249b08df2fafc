/* sipas/text.h - UTF-8 checks, label matching keys and legacy-encoding guesses (utf8proc).
 *
 * Survey files come from Vietnamese spreadsheets: text may be NFC or NFD, in any case, with stray
 * spaces, or not UTF-8 at all (Windows-1258, TCVN3/ABC, VISCII from old Excel files). */
#ifndef SIPAS_TEXT_H
#define SIPAS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). On false, *bad_offset (may
 * be NULL) is the offset of the first bad byte. */
bool sipas_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* For bytes that are not UTF-8: the most likely legacy encoding by name ("Windows-1258",
 * "TCVN3 (ABC)", "VISCII", "UTF-16"), or NULL when there is no good guess. Static string. */
const char *sipas_guess_legacy_encoding(const char *s, size_t len);

/* The matching key of a label: NFC, case folded, surrounding white space removed and inner runs
 * of white space collapsed to one space. Two labels match when their keys are equal. Returns a
 * malloc'd NUL-terminated string the caller frees, or NULL with err set (invalid UTF-8, no
 * memory). */
char *sipas_text_key(const char *s, size_t len, sipas_error *err);

/* s[0..len) with surrounding ASCII white space removed: sets *start and *trimmed_len. */
void sipas_text_trim(const char *s, size_t len, size_t *start, size_t *trimmed_len);

#endif
