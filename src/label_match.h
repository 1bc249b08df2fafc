/* src/label_match.h (private to the library) - matching typed answers to the choices of a list,
 * forgivingly.
 *
 * Answers in survey files are typed by district staff: codes written by a spreadsheet as
 * "4.0", labels without diacritics ("Hai long"), with the old tone placement ("Hoà Thuỷ" for
 * "Hòa Thủy"), abbreviations the instrument lists as aliases ("TP Lạng Sơn"). A label index of
 * one choice list tries, in order, and stops at the first level that gives an answer:
 *   1. the code exactly, or an integer code written with a zero fraction ("4.0", "4.00");
 *   2. a label (either language) or an alias by sipas_text_key (case, spaces, NFC/NFD);
 *   3. the same with the tone mark of each word moved to the end of the word (tone key), so
 *      that "hoà" and "hòa", "thuỷ" and "thủy" are one word;
 *   4. the same with every diacritic removed and đ read as d (loose key): "hai long".
 * Levels 3 and 4 accept a match only when exactly one choice has it; two or more is an error
 * naming the candidates ("write the accents"). A value that matches nothing is refused with
 * the nearest choice when one is clearly nearest (edit distance over loose keys: at most
 * 1 + length/4, and strictly nearer than any other), else with the list of allowed codes and
 * labels.
 *
 * Speed: every distinct text is matched once and its answer (choice or reason) cached, so a
 * batch of 100,000 rows normalises only the few hundred distinct values it holds. */
#ifndef SIPAS_LABEL_MATCH_H
#define SIPAS_LABEL_MATCH_H

#include <stddef.h>

#include "sipas/error.h"
#include "sipas/instrument.h"

typedef struct sipas_label_index sipas_label_index;

/* Builds the keys of every label and alias of list (which must outlive the index). */
sipas_status sipas_label_index_new(const sipas_choice_list *list, sipas_label_index **out,
                                   sipas_error *err);
void sipas_label_index_free(sipas_label_index *index); /* NULL is a no-op */

/* The choice text answers, or NULL with *reason set to why not (owned by the index, valid until
 * it is freed), e.g. "'Hai long lam' is not a code or label of list 'sat5'; did you mean 'Hài
 * lòng' (4)?". NULL with *reason NULL only when memory ran out. Empty text is no match. */
const sipas_choice *sipas_label_index_match(sipas_label_index *index, const char *text,
                                            size_t len, const char **reason);

/* The tone key and the loose key of a text (levels 3 and 4 above), malloc'd; NULL for text
 * that is not UTF-8 or when memory runs out. */
char *sipas_label_tone_key(const char *text, size_t len);
char *sipas_label_loose_key(const char *text, size_t len);

#endif
