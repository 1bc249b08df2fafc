/* src/design_fill.h (private to the library) - the design cells of a batch filled from the stored
 * draw.
 *
 * `sipas-collect sample --wave W` stores its selection (sipas_store_replace_selection): per
 * stratum and cluster drawn, the fpc value (the stratum's clusters in the frame) and, when it
 * was drawn with interviews per cluster m, each respondent's weight size / (pi m). The entry
 * sheets of wave W then need not carry those columns: import fills a row's EMPTY weight or fpc
 * cell, or the whole column when the header lacks it, from the draw of the row's wave, stratum
 * and cluster.
 *
 * Rules (docs/planning.md, "From the draw to the import"):
 *   - a cell the file gives is kept as it is; when it differs from the draw's value by more
 *     than 0.5 (a weight rounded to a whole number agrees, an fpc must be the same count) the
 *     batch is told so, once, with the number of such cells and the first of them;
 *   - a row whose wave has no stored draw, or whose cluster was not drawn for it, keeps the
 *     rule that the cell is required: it is refused, with a reason that says so;
 *   - the weight is never invented: a draw made without interviews per cluster stored none, so
 *     the weight stays required (a self-weighting design can be analysed with --base-weights,
 *     which replaces the weights by N_h / n_h from the stored counts).
 *
 * Ownership: sipas_design_fill_open returns an object the caller frees with
 * sipas_design_fill_free; it borrows the instrument, which must outlive it. */
#ifndef SIPAS_DESIGN_FILL_H
#define SIPAS_DESIGN_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

/* Largest difference between a given design cell and the draw's value that counts as rounding. */
#define SIPAS_DESIGN_FILL_ROUNDING 0.5

typedef struct sipas_design_fill sipas_design_fill;

/* Loads every stored draw of inst's form. A form without a stored draw, or an instrument with
 * neither a weight nor an fpc column, gives an object that fills nothing. */
sipas_status sipas_design_fill_open(sipas_store *store, const sipas_instrument *inst,
                                    sipas_design_fill **out, sipas_error *err);
void sipas_design_fill_free(sipas_design_fill *fill); /* NULL is a no-op */

/* Whether an empty or missing cell of item may wait for sipas_design_fill_row: item is the
 * instrument's weight or fpc column and a draw is stored for the form. */
bool sipas_design_fill_may_fill(const sipas_design_fill *fill, const sipas_item *item);

/* Called for each design cell the row could not get: column is the item's name, reason says
 * why the draw cannot give it (the cluster was not drawn, no draw for the wave, no weights in
 * the draw); the caller says whether the cell was empty or its column missing. */
typedef void (*sipas_design_fill_problem_fn)(void *ctx, const char *column, const char *reason);

/* values holds the row's cells, one per item of the instrument, as import read them (a NULL
 * value for an empty or missing cell). Fills each NULL weight or fpc value from the draw of the
 * row's wave, stratum and cluster, and compares the given ones with it. Returns the number of
 * cells left without a value, each reported through on_problem. row is the file's row, kept
 * for the disagreement summary. */
size_t sipas_design_fill_row(sipas_design_fill *fill, sipas_value *values, int64_t row,
                             sipas_design_fill_problem_fn on_problem, void *ctx);

/* What the rows so far got, for the batch's one message: "filled N weight and M fpc cells
 * from the draw for wave W (frame F, seed S, stored T)", one such clause per wave, or "" when
 * nothing was filled; and "N given weight/fpc cells differ from the draw ... (first: row R,
 * column C: G, drawn D); the file's values were kept", or "". */
void sipas_design_fill_summary(const sipas_design_fill *fill, char *filled, size_t filled_size,
                               char *disagreed, size_t disagreed_size);

#endif
