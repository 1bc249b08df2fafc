/* sipas/dataset.h - the responses of one form, loaded from the store into column arrays for the
 * statistics (which take arrays, never the store).
 *
 * Numeric items (integer, decimal) load as doubles, NaN for an empty cell. A select_one over
 * integer codes loads as one byte per answer (code, SIPAS_CODE_EMPTY for an empty cell) while every
 * stored code is a whole number from 0 to 254, as doubles otherwise: read either through
 * sipas_column_number. Text items (text, select_one over text codes) load as dictionary indices
 * into levels, -1 for an empty cell. Personal items are not loaded (they hold keyed hashes), nor
 * is the respondent id (unique per row, so useless to the statistics, and the largest column).
 *
 * Memory: about 1 byte per answer code, 8 per number and 4 per text value, per respondent (52
 * bytes for a form of 20 criteria and the 6 design columns), allocated once from the row count.
 *
 * Ownership: sipas_dataset_load returns a dataset the caller frees with sipas_dataset_free; it
 * borrows the instrument, which must outlive it. */
#ifndef SIPAS_DATASET_H
#define SIPAS_DATASET_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

#define SIPAS_CODE_EMPTY 255 /* an empty cell in sipas_column.code */

typedef struct sipas_column {
    const sipas_item *item;  /* borrowed from the instrument */
    bool loaded;             /* false for personal items, the respondent id, columns not asked for */
    bool is_text;
    double *number;          /* n values when !is_text and code is NULL */
    uint8_t *code;           /* n answer codes of a select_one (see above), or NULL */
    int32_t *level;          /* n indices into levels when is_text; -1 = empty */
    size_t nlevels;
    char **levels;           /* distinct values in order of first appearance */
    /* Criteria when the rows span instrument versions: version_list[v] scores the rows of
     * version v (row_version), NULL where the item's own list does. NULL otherwise. */
    const sipas_choice_list **version_list;
} sipas_column;

/* Row i of a numeric column (!is_text) as a double, NaN when empty. */
static inline double sipas_column_number(const sipas_column *col, size_t i)
{
    if (col->code)
        return col->code[i] == SIPAS_CODE_EMPTY ? (double)NAN : (double)col->code[i];
    return col->number[i];
}

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
/* The same, with only the columns a computation needs: the design (wave, stratum, cluster,
 * weight, fpc), the criteria, and the items named in names (a name may join several with '+',
 * as margins do). Names of no item are ignored: the statistics report them. Reading fewer
 * columns is the cheaper part of a load; the others stay !loaded. Only the rows that pass every
 * filter are loaded (the filters go into the store's query, see sipas_store_query_responses):
 * give only filters that remove whole strata, such as a wave, since a domain keeps its full
 * design (index.h). No row passing is not an error here: n is 0. */
sipas_status sipas_dataset_load_columns(sipas_store *store, const sipas_instrument *inst,
                                        const char *const *names, size_t nnames,
                                        const sipas_filter *filters, size_t nfilters,
                                        sipas_dataset **out, sipas_error *err);
/* The same rows as sipas_dataset_load_columns, handed to fn a chunk at a time instead of kept:
 * fn gets a dataset of up to chunk_rows rows (0: 4096), then the next chunk in the same memory,
 * and a last call with the remaining rows, possibly none. Level indices of text columns are
 * stable from chunk to chunk (the levels only grow), and so are the columns' version lists, so a
 * caller may keep them as keys. The chunk is valid only during the call. Memory: one chunk and
 * the distinct text values. An error fn returns stops the query and is returned. */
typedef sipas_status (*sipas_dataset_chunk_fn)(void *ctx, const sipas_dataset *chunk,
                                               sipas_error *err);
sipas_status sipas_dataset_stream_columns(sipas_store *store, const sipas_instrument *inst,
                                          const char *const *names, size_t nnames,
                                          const sipas_filter *filters, size_t nfilters,
                                          size_t chunk_rows, sipas_dataset_chunk_fn fn, void *ctx,
                                          sipas_error *err);
void sipas_dataset_free(sipas_dataset *data); /* NULL is a no-op */

/* The column of that item name, or NULL. */
const sipas_column *sipas_dataset_column(const sipas_dataset *data, const char *name);
/* The first column with that role, or NULL. */
const sipas_column *sipas_dataset_role(const sipas_dataset *data, sipas_role role);

#endif
