/* sipas/dataset.h - the responses of one form, loaded from the store into column arrays for the
 * statistics (which take arrays, never the store).
 *
 * Numeric items (integer, decimal, select_one over integer codes) load as doubles, NaN for an
 * empty cell; text items (text, select_one over text codes) as dictionary indices into levels,
 * -1 for an empty cell. Personal items are not loaded (they hold keyed hashes).
 *
 * Ownership: sipas_dataset_load returns a dataset the caller frees with sipas_dataset_free; it
 * borrows the instrument, which must outlive it. */
#ifndef SIPAS_DATASET_H
#define SIPAS_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef struct sipas_column {
    const sipas_item *item;  /* borrowed from the instrument */
    bool loaded;             /* false for personal items */
    bool is_text;
    double *number;          /* n values when !is_text */
    int32_t *level;          /* n indices into levels when is_text; -1 = empty */
    size_t nlevels;
    char **levels;           /* distinct values in order of first appearance */
} sipas_column;

typedef struct sipas_dataset {
    const sipas_instrument *inst;
    size_t n;                /* respondents */
    size_t ncolumns;         /* = inst->nitems; columns[i] is inst->items[i] */
    sipas_column *columns;
} sipas_dataset;

/* Loads every stored respondent of inst->form_id. A form with no stored responses is
 * SIPAS_ERR_NOT_FOUND ("no responses of form 'x' in 'sipas.db'; import a batch first"). */
sipas_status sipas_dataset_load(sipas_store *store, const sipas_instrument *inst,
                                sipas_dataset **out, sipas_error *err);
void sipas_dataset_free(sipas_dataset *data); /* NULL is a no-op */

/* The column of that item name, or NULL. */
const sipas_column *sipas_dataset_column(const sipas_dataset *data, const char *name);
/* The first column with that role, or NULL. */
const sipas_column *sipas_dataset_role(const sipas_dataset *data, sipas_role role);

#endif
