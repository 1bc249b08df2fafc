/* sipas/instrument.h - survey instruments in the XLSForm convention, as CSV sheets.
 *
 * An instrument is a folder surveys/<form_id>/ holding four CSV sheets an analyst edits in a
 * spreadsheet (full description: docs/instruments.md):
 *   settings.csv  one row: form_id, version, form_title::vi, form_title::en, scoring,
 *                 default_language
 *   survey.csv    type, name, label::vi, label::en, role, element, scoring, required, personal,
 *                 aliases
 *   choices.csv   list_name, name, label::vi, label::en, satisfied, missing, aliases
 *   elements.csv  name, label::vi, label::en, weight
 * Roles of a survey row: id, wave, stratum, cluster, weight, fpc, domain, criterion, or empty (a
 * plain attribute stored as given). A criterion is a select_one over a list whose choice codes
 * are integers; its element names a row of elements.csv. Choices with `satisfied` = 1 count as
 * satisfied under SIPAS scoring; `missing` = dont_know | not_applicable | refused marks codes
 * kept out of numerator and denominator.
 *
 * Reading: each sheet is read with the CSV reader (any delimiter and encoding, CRLF), its
 * first row naming the columns in any order (matched without regard to case); unknown columns
 * are ignored, a value under no header is refused. Cells are trimmed. Absent optional columns
 * read as empty cells. Label and title columns may be spelled as KoboToolbox writes them,
 * "label::Tiếng Việt (vi)" (the bracketed code decides), or "label::Vietnamese", or a bare
 * "label" (Vietnamese); a survey, choices or elements sheet without a Vietnamese or English
 * label column is refused rather than loaded with blank labels.
 *
 * Rules checked by sipas_instrument_load (each refusal is "DIR/SHEET.csv:ROW: reason", or
 * "DIR/SHEET.csv: reason" for a sheet-wide rule):
 *   settings  exactly one row; form_id [a-z0-9_]+ and equal to the folder name; version not
 *             empty; scoring empty (satisfied_share) or a known rule; default_language empty
 *             ("vi"), "vi" or "en".
 *   elements  names unique identifiers; weight a number >= 0 (empty = 1), not all 0; every
 *             element has at least one criterion.
 *   choices   list_name an identifier; code not empty and unique in its list; satisfied
 *             1/0/yes/no/empty; missing empty or a known kind, never together with satisfied;
 *             no two choices of a list share a label key in one language.
 *   survey    name an identifier ([A-Za-z_][A-Za-z0-9_]*), unique ignoring case; type one of
 *             the four; select_one of a defined list; role known; at most one id, wave,
 *             stratum, cluster, weight and fpc column, and exactly one id; weight/fpc numeric,
 *             wave integer; element and scoring only on criteria; a criterion is a non-personal
 *             select_one over a list of integer codes with at least one valid (non-missing)
 *             code, an existing element, and a list that fits its scoring (a satisfied code for
 *             satisfied_share, two scale points for percent_to_max, valid codes 0..10 for
 *             nps); at least one criterion.
 * Required: the id and the design columns (wave, stratum, cluster, weight, fpc) are always
 * required (required = no is refused for them); other columns default to not required, so an
 * empty criterion cell is "no answer" (stored NULL, counted apart as missing).
 *
 * Ownership: sipas_instrument_load returns an instrument the caller frees with
 * sipas_instrument_free; every pointer inside belongs to it. */
#ifndef SIPAS_INSTRUMENT_H
#define SIPAS_INSTRUMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

typedef enum {
    SIPAS_ROLE_NONE = 0,  /* plain attribute */
    SIPAS_ROLE_ID,        /* respondent id: unique within the form */
    SIPAS_ROLE_WAVE,      /* year or period of the survey round (integer) */
    SIPAS_ROLE_STRATUM,
    SIPAS_ROLE_CLUSTER,   /* primary sampling unit, nested in stratum */
    SIPAS_ROLE_WEIGHT,    /* sampling weight, a positive number */
    SIPAS_ROLE_FPC,       /* population count of PSUs in the stratum (or a fraction <= 1) */
    SIPAS_ROLE_DOMAIN,    /* domain attribute: district, agency, sector, respondent type... */
    SIPAS_ROLE_CRITERION  /* a scored question */
} sipas_role;

typedef enum {
    SIPAS_TYPE_SELECT_ONE = 0,
    SIPAS_TYPE_INTEGER,
    SIPAS_TYPE_DECIMAL,
    SIPAS_TYPE_TEXT
} sipas_item_type;

typedef enum {
    SIPAS_MISSING_NONE = 0,
    SIPAS_MISSING_DONT_KNOW,
    SIPAS_MISSING_NOT_APPLICABLE,
    SIPAS_MISSING_REFUSED
} sipas_missing_kind;

typedef enum {
    SIPAS_SCORING_SATISFIED_SHARE = 0, /* SIPAS: share of valid answers that are satisfied */
    SIPAS_SCORING_PERCENT_TO_MAX,      /* (mean - min) / (max - min) over valid answers */
    SIPAS_SCORING_NPS                  /* 0-10: share 9-10 minus share 0-6 */
} sipas_scoring;

typedef struct sipas_choice {
    char *name;        /* the code as written in choices.csv */
    char *label_vi;
    char *label_en;
    char *key_vi;      /* sipas_text_key of the labels, for matching answers */
    char *key_en;
    size_t naliases;   /* other spellings answers may use (choices.csv `aliases`, '|'-separated) */
    char **aliases;
    char **alias_keys; /* sipas_text_key of each alias */
    bool has_value;    /* name parses as an integer */
    long value;
    bool satisfied;
    sipas_missing_kind missing;
} sipas_choice;

typedef struct sipas_choice_list {
    char *name;
    size_t nchoices;
    sipas_choice *choices;
    long scale_min, scale_max; /* over non-missing integer codes; equal when there are none */
} sipas_choice_list;

typedef struct sipas_element {
    char *name;
    char *label_vi;
    char *label_en;
    double weight;     /* relative weight in the overall index, >= 0; 1 when the sheet leaves
                          it empty; 0: reported alone, outside the overall index */
} sipas_element;

typedef struct sipas_item {
    char *name;        /* column name in data files and in the store */
    char *label_vi;
    char *label_en;
    sipas_item_type type;
    const sipas_choice_list *list; /* select_one only; points into the instrument */
    sipas_role role;
    int element;       /* index into elements for criteria; -1 otherwise */
    sipas_scoring scoring;
    bool required;     /* an empty cell is an error (ids, design columns default to required) */
    bool personal;     /* name, phone, ID number: never stored in clear */
    size_t naliases;   /* other header names of the column (survey.csv `aliases`, '|'-separated) */
    char **aliases;
    bool personal_dropped; /* personal = drop: not stored at all, not even as a keyed hash */
} sipas_item;

typedef struct sipas_instrument {
    char *form_id;     /* [a-z0-9_]+ */
    char *version;
    char *title_vi;
    char *title_en;
    char *default_language; /* "vi" or "en" */
    sipas_scoring scoring;  /* default for criteria that do not set their own */
    size_t nitems;
    sipas_item *items;
    size_t nlists;
    sipas_choice_list *lists;
    size_t nelements;
    sipas_element *elements;
    char *content_hash;     /* SHA-256 hex over, for settings.csv, survey.csv, choices.csv,
                               elements.csv in that order, the file name with its NUL and then
                               the file's bytes; so a changed sheet under an unchanged version
                               is caught */
    char *source_dir;
} sipas_instrument;

/* Loads and checks the four sheets in dir. A malformed instrument is refused with
 * "DIR/SHEET.csv:ROW: reason". */
sipas_status sipas_instrument_load(const char *dir, sipas_instrument **out, sipas_error *err);

/* Looks up surveys_dir/<form_id>/ and loads it. A form_id that is not [a-z0-9_]+ is
 * SIPAS_ERR_USAGE (it never becomes a path); a missing folder is SIPAS_ERR_NOT_FOUND
 * "no instrument 'ID' in 'DIR'". */
sipas_status sipas_instrument_find(const char *surveys_dir, const char *form_id,
                                   sipas_instrument **out, sipas_error *err);

void sipas_instrument_free(sipas_instrument *instrument); /* NULL is a no-op */

/* The item of that column name, or NULL. */
const sipas_item *sipas_instrument_item(const sipas_instrument *instrument, const char *name);
/* The list of that name, or NULL. */
const sipas_choice_list *sipas_instrument_list(const sipas_instrument *instrument,
                                               const char *name);

/* The choice that text answers: its code exactly (after trimming ASCII white space; "04" is
 * not "4"), else a label in either language or an alias compared by sipas_text_key (case,
 * spaces, NFC/NFD do not matter). Import matches more forgivingly (label_match.h). NULL when none, for empty text and for text that is not UTF-8. Codes need
 * no allocation; a label match allocates one key. */
const sipas_choice *sipas_choice_list_match(const sipas_choice_list *list, const char *text,
                                            size_t len);

const char *sipas_role_name(sipas_role role);
const char *sipas_scoring_name(sipas_scoring scoring);
const char *sipas_missing_name(sipas_missing_kind kind); /* "", "dont_know", ... */

#endif
