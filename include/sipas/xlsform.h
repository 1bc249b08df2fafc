/* sipas/xlsform.h - an XLSForm workbook (KoboToolbox, ODK) as a sipas instrument folder.
 *
 * One form then serves both the tablets and sipas. The workbook (.xlsx, .xls or .ods, read
 * through src/table_source.h) has the XLSForm sheets:
 *   survey    type, name, label columns, required; and the sipas columns the form may carry:
 *             role, element, scoring, personal (docs/instruments.md)
 *   choices   list_name (or "list name"), name, label columns; sipas: satisfied, missing
 *   settings  form_id, version, form_title, default_language, and sipas: scoring (optional sheet)
 *   elements  name, label columns, weight (optional sheet; sipas only)
 * Labels: "label::vi", "label::Tiếng Việt (vi)", "label::Vietnamese" give Vietnamese,
 * "label::en", "label::English (en)", "label::English" English; a plain "label" column is in
 * the form's default_language (Vietnamese when none is set). Other languages are left out.
 * A form with neither Vietnamese nor English labels is refused: a label is never left blank
 * without a word.
 * Rows: begin_group/end_group are flattened; a criterion with no element takes its innermost
 * group as its element (named and labelled as the group), unless an elements sheet names it.
 * Types kept: select_one LIST (an "or_other" suffix is dropped), integer, decimal, text;
 * date, time, datetime, calculate, geopoint, barcode and the like become text; range becomes
 * decimal. Rows without a data column (note, the meta questions start, end, today, deviceid,
 * username, audit...) are left out, and each such decision is reported through on_note.
 * select_multiple and repeats have no place in a flat sipas batch and are refused.
 * Without a role column the form is refused with a message that says which roles to add.
 *
 * The instrument is written to surveys_dir/FORM_ID/ (a folder that must not exist yet), then
 * loaded with sipas_instrument_load; if it does not pass, the folder is removed again and the
 * loader's message is returned, with the workbook row of a survey.csv row named. */
#ifndef SIPAS_XLSFORM_H
#define SIPAS_XLSFORM_H

#include "sipas/error.h"

typedef void (*sipas_xlsform_note_fn)(void *ctx, const char *message);

/* On success dir_out (may be NULL) receives the folder written, for the caller to free. */
sipas_status sipas_xlsform_convert(const char *workbook, const char *surveys_dir,
                                   sipas_xlsform_note_fn on_note, void *note_ctx, char **dir_out,
                                   sipas_error *err);

#endif
