/* src/header_match.h (private to the library) - which instrument column a header field of a data
 * file names.
 *
 * Files come from spreadsheets typed by hand and from KoboToolbox/ODK exports, whose headers
 * carry group paths ("grp_thong_tin/ma_phieu", the group separator of formpack's exports is
 * '/'), system columns ("_uuid", "_submission_time", "meta/instanceID") and, in an export
 * "with labels", the question text instead of the name. A field is, in this order:
 *   1. an item's name (ASCII case ignored) or one of its aliases (survey.csv `aliases`,
 *      compared by sipas_text_key);
 *   2. a KoboToolbox/ODK system column: start, end, today, deviceid, subscriberid, simserial,
 *      phonenumber, username, email, audit, instanceID, instanceName, deprecatedID, anything
 *      under meta/ or formhub/, and any name starting with '_' (_id, _uuid, _submission_time,
 *      _validation_status, _notes, _status, _submitted_by, __version__, _tags, _index,
 *      _parent_index, _submission_*...): ignored, never an error; so are the columns sipas
 *      itself adds to what it writes: batch_id (export), row and problems (rejects file);
 *   3. for a group path, its last segment by rule 1 or 2;
 *   4. an item's label in either language (the whole field, then its last segment) by
 *      sipas_text_key, then by the tone and loose keys of label_match.h; a level that two
 *      items match is ambiguous, and the message names both.
 * Two fields of one file naming the same item are refused by the importer. */
#ifndef SIPAS_HEADER_MATCH_H
#define SIPAS_HEADER_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/instrument.h"

typedef enum sipas_header_kind {
    SIPAS_HEADER_ITEM,      /* *item is the index of the item in inst->items */
    SIPAS_HEADER_META,      /* a system column of KoboToolbox/ODK: ignored */
    SIPAS_HEADER_UNKNOWN,
    SIPAS_HEADER_AMBIGUOUS  /* reason names the candidates */
} sipas_header_kind;

/* field[0..len) is a UTF-8 header field. reason (may be NULL) gets a message fragment for
 * AMBIGUOUS, e.g. "names more than one column by its label: 'q1' (...), 'q2' (...)". */
sipas_header_kind sipas_header_match(const sipas_instrument *inst, const char *field, size_t len,
                                     size_t *item, char *reason, size_t reason_size);

/* True for the system columns that hold a submission's unique id (_uuid, meta/instanceID):
 * the importer takes them as the respondent id when the file has no id column. */
bool sipas_header_is_submission_id(const char *field, size_t len);

#endif
