/* src/index_domains.h (private to the library) - the domains of an index_work
 * (src/index_domains.c): each row that passes every --where condition and has a value in every
 * --by column (with wave added first when several waves would otherwise be pooled) belongs to
 * the domain of its codes. Domains are ordered by their codes: the choice list's order for
 * listed columns, numbers ascending. */
#ifndef SIPAS_INDEX_DOMAINS_H
#define SIPAS_INDEX_DOMAINS_H

#include "index_work.h"

/* Fills w->domain_of (SIZE_MAX: in no domain) and w->res's by, nby, wave_added, domains,
 * ndomains and rows_without_domain. No row in any domain is SIPAS_ERR_NOT_FOUND. */
sipas_status index_build_domains(index_work *w, sipas_error *err);

/* Whether the wave column (named wave) may join a set of domains as its first column, as it does
 * when the data hold several waves: the set neither names it in by nor fixes it with an
 * equality where, and waves are not pooled on purpose (options->keep_wave_pooled). */
bool index_wave_may_join(const sipas_index_options *options, const char *wave);
/* The loaded column of a --by name, or the error the user sees: an id, personal, criterion or
 * weight column is no domain; an unknown name is SIPAS_ERR_NOT_FOUND. */
sipas_status index_by_column(const sipas_dataset *data, const char *name,
                             const sipas_column **out, sipas_error *err);
/* The order of domains by the codes of one column: a text column's codes in its choice list's
 * order (list may be NULL), codes not listed after the listed ones and among themselves by
 * strcmp; a numeric column's values ascending. */
int index_compare_codes(const sipas_choice_list *list, const char *x, const char *y);
int index_compare_numbers(double x, double y);

#endif
