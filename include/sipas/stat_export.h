/* sipas/stat_export.h - stored responses as a labelled SPSS .sav or Stata .dta file.
 *
 * One variable per item of the instrument, in its order, named as the item:
 *   select_one with integer codes  numeric, with the list's labels as value labels (Vietnamese,
 *                                  or English where the Vietnamese label is empty); in .sav the
 *                                  codes whose choice has a missing kind are declared
 *                                  user-missing (SPSS MISSING VALUES), so SPSS keeps them out of
 *                                  its statistics as sipas does; .dta keeps them as labelled codes
 *   integer, decimal               numeric
 *   text, select_one of text codes, personal items (their keyed hash)   string
 * The variable label is the question's label. Empty cells are system-missing. Reading the file
 * back with `sipas-collect import` gives the same store contents (the table source matches value
 * labels and user-missing values back to the choices).
 *
 * The file is written beside path and renamed over it only when complete, so a failure leaves
 * an earlier file as it was. */
#ifndef SIPAS_STAT_EXPORT_H
#define SIPAS_STAT_EXPORT_H

#include <stdint.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef enum { SIPAS_STAT_SAV = 0, SIPAS_STAT_DTA } sipas_stat_format;

/* Writes the responses of inst's form (only batch_id's when it is > 0) to path; rows receives
 * the number of cases written (may be NULL). */
sipas_status sipas_stat_export(sipas_store *store, const sipas_instrument *inst, int64_t batch_id,
                               sipas_stat_format format, const char *path, int64_t *rows,
                               sipas_error *err);

#endif
