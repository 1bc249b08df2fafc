/* The domains of the index (src/index_domains.h): which row lies in which domain, from the
 * --by columns and the --where conditions, and the domains' order and codes in the result.
 * A domain keeps the full design (rows outside it are not dropped, src/index_estimate.c gives
 * them score 0), so this module only labels rows. */
#include "index_domains.h"

#include <stdlib.h>

#include "compiled_condition.h"
#include "hash_map.h"

bool index_wave_may_join(const sipas_index_options *opt, const char *wave)
{
    if (opt->keep_wave_pooled)
        return false;
    for (size_t b = 0; b < opt->nby; b++)
        if (strcmp(opt->by[b], wave) == 0)
            return false;
    for (size_t f = 0; f < opt->nwhere; f++)
        if (strcmp(opt->where[f].column, wave) == 0 &&
            (opt->where[f].op == SIPAS_OP_EQ ||
             (opt->where[f].op == SIPAS_OP_IN && opt->where[f].nvalues == 1)))
            return false;
    return true;
}

sipas_status index_by_column(const sipas_dataset *d, const char *name, const sipas_column **out,
                             sipas_error *err)
{
    const sipas_column *col = *out = sipas_dataset_column(d, name);
    const sipas_item *it = sipas_instrument_item(d->inst, name);
    if (it && it->role == SIPAS_ROLE_ID) /* the dataset does not load the id column */
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is a %s column, not a "
                               "domain", name, sipas_role_name(it->role));
    if (col == NULL)
        return it && it->personal
             ? sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is personal data, stored "
                               "only as a keyed hash; it cannot define domains", name)
             : sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--by: form '%s' has no column '%s'",
                               d->inst->form_id, name);
    if (col->item->role == SIPAS_ROLE_CRITERION || col->item->role == SIPAS_ROLE_WEIGHT)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--by: column '%s' is a %s column, not a "
                               "domain", name, sipas_role_name(col->item->role));
    return SIPAS_OK;
}

int index_compare_codes(const sipas_choice_list *list, const char *x, const char *y)
{
    long px = -1, py = -1;
    for (size_t c = 0; list && c < list->nchoices; c++) {
        if (strcmp(list->choices[c].name, x) == 0)
            px = (long)c;
        if (strcmp(list->choices[c].name, y) == 0)
            py = (long)c;
    }
    return px != py ? (px < py ? -1 : 1) : strcmp(x, y);
}

int index_compare_numbers(double x, double y)
{
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Assigns each row to its domain (by columns and where conditions) and fills result domains. */
sipas_status index_build_domains(index_work *w, sipas_error *err)
{
    const sipas_dataset *d = w->data;
    const sipas_index_options *opt = w->opt;
    sipas_index_result *res = w->res;
    sipas_status st = SIPAS_OK;
    const sipas_column *wave = sipas_dataset_role(d, SIPAS_ROLE_WAVE);
    /* by columns, with wave first when several waves would otherwise be pooled */
    size_t nby = opt->nby;
    bool add_wave = false;
    if (wave && index_wave_may_join(opt, wave->item->name)) {
        bool several = false;
        for (size_t i = 1; i < d->n && !several; i++)
            several = sipas_column_number(wave, i) != sipas_column_number(wave, 0);
        add_wave = several;
    }
    res->wave_added = add_wave;
    res->nby = nby + add_wave;
    res->by = calloc(res->nby ? res->nby : 1, sizeof *res->by);
    const sipas_column **cols = calloc(res->nby ? res->nby : 1, sizeof *cols);
    compiled_condition *conds = calloc(opt->nwhere ? opt->nwhere : 1, sizeof *conds);
    w->domain_of = malloc(d->n * sizeof *w->domain_of);
    uint64_t *keys = calloc(res->nby ? res->nby : 1, sizeof *keys);
    hash_map domains = {0};
    size_t *first_row = NULL, cap = 0;
    if (res->by == NULL || cols == NULL || conds == NULL || w->domain_of == NULL || keys == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t b = 0; b < res->nby; b++) {
        const char *name = add_wave ? (b == 0 ? wave->item->name : opt->by[b - 1]) : opt->by[b];
        if ((st = index_by_column(d, name, &cols[b], err)) != SIPAS_OK)
            goto done;
        if ((res->by[b] = strdup(name)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t f = 0; f < opt->nwhere; f++)
        if ((st = compile_condition(d, &opt->where[f], &conds[f], err)) != SIPAS_OK)
            goto done;
    for (size_t i = 0; i < d->n; i++) {
        w->domain_of[i] = SIZE_MAX;
        bool keep = true;
        for (size_t f = 0; f < opt->nwhere && keep; f++)
            keep = condition_holds(&conds[f], i);
        if (!keep)
            continue;
        uint64_t key = 0x51afd7ed558ccdull;
        for (size_t b = 0; b < res->nby && keep; b++) {
            keep = column_key(cols[b], i, &keys[b]);
            key = hash_mix64(key ^ keys[b]) + b;
        }
        if (!keep) {
            res->rows_without_domain++;
            continue;
        }
        size_t dom;
        if (!hash_map_find_or_add(&domains, key, NULL, NULL, &dom, NULL)) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (dom == cap) {
            cap = cap ? cap * 2 : 64;
            size_t *grown = realloc(first_row, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                goto done;
            }
            first_row = grown;
        }
        if (dom == res->ndomains) { /* a new domain: remember a row that shows its codes */
            first_row[dom] = i;
            res->ndomains = dom + 1;
        }
        w->domain_of[i] = dom;
    }
    if (res->ndomains == 0) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no respondent matches the --where conditions");
        goto done;
    }
    /* Order domains by their codes: choice order for listed columns, numbers ascending. */
    size_t *order = malloc(res->ndomains * sizeof *order);
    size_t *rank = malloc(res->ndomains * sizeof *rank);
    if (order == NULL || rank == NULL) {
        free(order);
        free(rank);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < res->ndomains; a++)
        order[a] = a;
    /* insertion sort: domains are few (hundreds at most) */
    for (size_t a = 1; a < res->ndomains; a++) {
        size_t cur = order[a], j = a;
        while (j > 0) {
            size_t prev = order[j - 1];
            int cmp = 0;
            for (size_t b = 0; b < res->nby && cmp == 0; b++) {
                const sipas_column *col = cols[b];
                size_t ri = first_row[cur], rj = first_row[prev];
                cmp = col->is_text
                    ? index_compare_codes(col->item->list, col->levels[col->level[ri]],
                                          col->levels[col->level[rj]])
                    : index_compare_numbers(sipas_column_number(col, ri),
                                            sipas_column_number(col, rj));
            }
            if (cmp >= 0)
                break;
            order[j] = prev;
            j--;
        }
        order[j] = cur;
    }
    for (size_t a = 0; a < res->ndomains; a++)
        rank[order[a]] = a;
    for (size_t i = 0; i < d->n; i++)
        if (w->domain_of[i] != SIZE_MAX)
            w->domain_of[i] = rank[w->domain_of[i]];
    res->domains = calloc(res->ndomains, sizeof *res->domains);
    if (res->domains == NULL) {
        free(order);
        free(rank);
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < res->ndomains && st == SIPAS_OK; a++) {
        sipas_index_domain *dom = &res->domains[a];
        dom->values = calloc(res->nby ? res->nby : 1, sizeof *dom->values);
        if (dom->values == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t b = 0; b < res->nby; b++) {
            char code[256];
            column_code(cols[b], first_row[order[a]], code, sizeof code);
            if ((dom->values[b] = strdup(code)) == NULL)
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < d->n; i++)
        if (w->domain_of[i] != SIZE_MAX)
            res->domains[w->domain_of[i]].respondents++;
    free(order);
    free(rank);
done:
    for (size_t f = 0; f < opt->nwhere && conds; f++)
        compiled_condition_release(&conds[f]);
    free(conds);
    free(cols);
    free(keys);
    free(first_row);
    hash_map_release(&domains);
    return st;
}
