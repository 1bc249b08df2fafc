/* sipas/condition.h - the condition language of --where (src/condition.c): one condition per
 * option, all of which must hold; sipas_index_options.where takes the parsed filters.
 *
 * Ownership: a sipas_condition owns its storage; its filter's column and values point into it,
 * so the filter is valid until sipas_condition_release. */
#ifndef SIPAS_CONDITION_H
#define SIPAS_CONDITION_H

#include "sipas/error.h"
#include "sipas/store.h"

/* A parsed --where condition: "district=cao_loc", "wave>=2020", "sector in land,justice",
 * "respondent_type != business". Operators: = != < <= > >= and "in" (comma-separated values).
 * Values may be codes or labels of the column's choice list. */
typedef struct sipas_condition {
    sipas_filter filter;  /* column, op and values point into storage */
    char *storage;
    const char **values;
} sipas_condition;

sipas_status sipas_condition_parse(const char *text, sipas_condition *out, sipas_error *err);
void sipas_condition_release(sipas_condition *cond);

#endif
