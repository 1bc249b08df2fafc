/* src/compiled_condition.h (private to the library) - a --where condition bound to a loaded
 * dataset (src/condition.c): the column found, the values turned into the column's level
 * indices (text) or numbers, so that src/index_domains.c tests each row without comparing text.
 * Values may be codes or labels of the column's choice list. Ownership: the compiled condition
 * owns numbers and levels (compiled_condition_release); col points into the dataset. */
#ifndef SIPAS_COMPILED_CONDITION_H
#define SIPAS_COMPILED_CONDITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/store.h"

typedef struct compiled_condition {
    const sipas_column *col;
    sipas_filter_op op;
    size_t nvalues;
    double *numbers;   /* numeric column */
    int32_t *levels;   /* text column: level index, -1 when no row has the value */
} compiled_condition;

/* A personal or id column, an unknown column or value, an order on a text column or a
 * non-number for a numeric one is an error naming the column ("--where: ..."). out is always
 * safe to release. */
sipas_status compile_condition(const sipas_dataset *data, const sipas_filter *f,
                               compiled_condition *out, sipas_error *err);
/* Whether row i passes; a row without a value in the column never does. */
bool condition_holds(const compiled_condition *c, size_t i);
void compiled_condition_release(compiled_condition *c);

#endif
