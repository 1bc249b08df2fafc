/* sipas/open_answers.h - the answers to an open-ended question (a "góp ý" text item: type text,
 * no role, not personal) of one wave: how many respondents of each unit wrote something, and
 * what they wrote, with whatever looks like personal data masked. Official SIPAS reports list
 * these comments by unit; this module is the only place that reads them for output.
 *
 * Counts, per unit and for the wave: respondents; answered (a comment); no_comment (an answer
 * that only says there is none: "không", "không có ý kiến", "không có góp ý gì", "none"...,
 * compared by sipas_text_key without its final punctuation); empty (a NULL or blank cell).
 * answered + no_comment + empty = respondents.
 *
 * Masking (sipas_open_answer_mask), applied to every listed answer. Replaced, whole, by a mask
 * in the report's language:
 *   e-mail   local@domain.tld (ASCII letters, digits, ._%+- before '@', a dotted domain after)
 *            -> "[email]"
 *   phone    a Vietnamese number, its digits in groups separated by spaces, dots, dashes or
 *            brackets: 10 digits 03/05/07/08/09x (mobile), 11 digits 02x (landline with its
 *            area code) or 01x (an old 11-digit mobile), or +84 / (+84) / 84 followed by the
 *            same number without its 0 (a 0 left in, "+84 0912...", is accepted; 84 without
 *            '+' not when grouped by dots, as amounts are: "84.912.345.678 đồng")
 *            -> "[số điện thoại]" / "[phone]"
 *   ID       any run of 9 or more digits written without separators (CMND 9, CCCD and personal
 *            ID 12, tax and enterprise codes 10 or 13, bank accounts), and 9 or 12 digits in
 *            groups that begin with a 0 ("001 098 012 345", as a CCCD is read out)
 *            -> "[số định danh]" / "[ID number]"
 * Numbers that are none of these stay: amounts ("2.500.000 đồng", "1 200 000": no leading 0),
 * dates ("12/03/2024", "12.03.2024": too few digits), times, dossier numbers with letters
 * between their parts. An amount of 9 or more digits written without separators is masked as an
 * ID: hiding an amount is the price of never showing an ID number.
 *
 * NOT caught (docs/security.md): names typed in free text ("tôi là Nguyễn Văn Hùng"), addresses,
 * vehicle plates, social-network handles and links (Zalo, Facebook), numbers spelled in words
 * ("không chín một hai...") or split by other characters ("0912/345/678", "0912 xxx 678"), and
 * anything that identifies a respondent by what it tells (the only pharmacy of a commune). The
 * listing is therefore for the department's own reading; it shows no respondent id and no other
 * attribute of the respondent, and answers within a unit are sorted by their text, not kept in
 * the store's (respondent) order.
 *
 * Personal columns are never listed: a question with personal = yes or drop is refused (their
 * values are keyed hashes, or not stored; sipas_dataset_load does not load them).
 *
 * Units: the values of unit_column (a select_one: its choices in list order, labels from the
 * instrument; a text column such as the commune: its values in byte order); NULL unit_column: the
 * whole wave as one unit. Rows whose unit is empty or a code not in the list form a last unit
 * with a NULL code.
 *
 * Ownership: sipas_open_answers_compute returns a result the caller frees with
 * sipas_open_answers_free; item, choice and code pointers borrow from the dataset and its
 * instrument, which must outlive it; answer texts are owned by the result. */
#ifndef SIPAS_OPEN_ANSWERS_H
#define SIPAS_OPEN_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/report.h"

/* What a mask replaced (bits of sipas_open_answer.masked). */
enum {
    SIPAS_MASKED_PHONE = 1u << 0,
    SIPAS_MASKED_EMAIL = 1u << 1,
    SIPAS_MASKED_ID = 1u << 2
};

typedef struct sipas_open_answer {
    char *text;       /* trimmed and masked; owned */
    unsigned masked;  /* SIPAS_MASKED_* of what was replaced; 0: shown as written */
} sipas_open_answer;

typedef struct sipas_open_answer_unit {
    const char *code;            /* the unit's code; NULL: unit empty or not in the list */
    const sipas_choice *choice;  /* its choice (labels) when the unit column has a list */
    size_t respondents, answered, no_comment, empty;
    size_t nanswers;             /* = answered */
    sipas_open_answer *answers;  /* sorted by text (byte order); owned */
} sipas_open_answer_unit;

typedef struct sipas_open_answers {
    const sipas_item *question;
    const sipas_item *unit_item; /* NULL: the wave as one unit */
    double wave;
    size_t respondents, answered, no_comment, empty; /* the wave's totals */
    size_t masked_answers;       /* answers in which something was masked */
    size_t nunits;
    sipas_open_answer_unit *units; /* owned; see "Units" above */
} sipas_open_answers;

/* The open-ended questions of the instrument (type text, no role, not personal), in
 * instrument order, into items (room for inst->nitems); returns how many. */
size_t sipas_open_questions(const sipas_instrument *inst, const sipas_item **items);

/* The answers to question (an item name) of the respondents whose wave column equals wave,
 * by unit_column (may be NULL). SIPAS_ERR_NOT_FOUND for a question or unit column the form
 * does not have, SIPAS_ERR_USAGE for a question that is not an open-ended one (a personal
 * column, a choice list, a number, a design column) or a unit column not loaded. */
sipas_status sipas_open_answers_compute(const sipas_dataset *data, const char *question,
                                        const char *unit_column, double wave,
                                        sipas_report_lang lang, sipas_open_answers **out,
                                        sipas_error *err);
void sipas_open_answers_free(sipas_open_answers *answers); /* NULL is a no-op */

/* text[0..len) with e-mail addresses, phone numbers and ID numbers replaced as described above,
 * in lang's words; *masked (may be NULL) gets the SIPAS_MASKED_* bits. Returns a malloc'd
 * NUL-terminated string, or NULL when out of memory. */
char *sipas_open_answer_mask(const char *text, size_t len, sipas_report_lang lang,
                             unsigned *masked);

/* The unit's label in lang: the choice's label, else its code, else "(không rõ)" / "(unknown)"
 * for the unit of rows without one, "Toàn tỉnh" / "Province" for the whole wave. */
const char *sipas_open_answer_unit_label(const sipas_open_answers *answers,
                                         const sipas_open_answer_unit *unit,
                                         sipas_report_lang lang);

#endif
