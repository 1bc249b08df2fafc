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

#endif
