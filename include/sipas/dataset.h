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
    /* Criteria when the rows span instrument versions: version_list[v] scores the rows of
     * version v (row_version), NULL where the item's own list does. NULL otherwise. */
    const sipas_choice_list **version_list;
} sipas_column;

typedef struct sipas_dataset {
    const sipas_instrument *inst;
    size_t n;                /* respondents */
    size_t ncolumns;         /* = inst->nitems; columns[i] is inst->items[i] */
    sipas_column *columns;
    /* Every batch is scored with the instrument version it was imported under (the store keeps
     * each version's choice lists): when a version's list of some criterion differs from inst's,
     * row_version[i] (n entries) says which version row i belongs to, and nversions how many
     * there are; otherwise row_version is NULL and inst scores every row. */
    size_t nversions;
    uint16_t *row_version;
    sipas_choice_list *owned_lists; /* the lists version_list points to */
    size_t nowned_lists;
} sipas_dataset;

/* Loads every stored respondent of inst->form_id, with the version lists above. A form with no stored responses is
 * SIPAS_ERR_NOT_FOUND ("no responses of form 'x' in 'sipas.db'; import a batch first"). */
sipas_status sipas_dataset_load(sipas_store *store, const sipas_instrument *inst,
                                sipas_dataset **out, sipas_error *err);
void sipas_dataset_free(sipas_dataset *data); /* NULL is a no-op */

/* The column of that item name, or NULL. */
const sipas_column *sipas_dataset_column(const sipas_dataset *data, const char *name);
/* The first column with that role, or NULL. */
const sipas_column *sipas_dataset_role(const sipas_dataset *data, sipas_role role);

#endif
