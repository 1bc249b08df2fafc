/* The respondent profile of one wave (sipas/respondent_profile.h). */
#include "sipas/respondent_profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sipas_respondent_profile_free(sipas_respondent_profile *profile)
{
    if (profile == NULL)
        return;
    for (size_t i = 0; i < profile->nattributes; i++)
        free(profile->attributes[i].categories);
    free(profile->attributes);
    free(profile);
}

static bool is_attribute(const sipas_column *c)
{
    return c->loaded && c->item->list != NULL &&
           (c->item->role == SIPAS_ROLE_STRATUM || c->item->role == SIPAS_ROLE_DOMAIN);
}

/* The category of row i of column c: an index into the list's choices, or -1 (empty, not
 * listed). */
static long category_of(const sipas_column *c, size_t i)
{
    const sipas_choice_list *list = c->item->list;
    for (size_t k = 0; k < list->nchoices; k++) {
        const sipas_choice *ch = &list->choices[k];
        if (c->is_text ? c->level[i] >= 0 && strcmp(c->levels[c->level[i]], ch->name) == 0
                       : !isnan(sipas_column_number(c, i)) && ch->has_value &&
                         (double)ch->value == sipas_column_number(c, i))
            return (long)k;
    }
    return -1;
}

sipas_status sipas_respondent_profile_compute(const sipas_dataset *data, double wave,
                                              sipas_respondent_profile **out, sipas_error *err)
{
    *out = NULL;
    const sipas_column *wave_column = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    const sipas_column *weight = sipas_dataset_role(data, SIPAS_ROLE_WEIGHT);
    sipas_respondent_profile *p = calloc(1, sizeof *p);
    if (p == NULL || (p->attributes = calloc(data->ncolumns ? data->ncolumns : 1,
                                             sizeof *p->attributes)) == NULL) {
        free(p);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < data->n; i++)
        if (wave_column == NULL || sipas_column_number(wave_column, i) == wave)
            p->respondents++;
    for (size_t k = 0; k < data->ncolumns; k++) {
        const sipas_column *c = &data->columns[k];
        if (!is_attribute(c))
            continue;
        sipas_profile_attribute *a = &p->attributes[p->nattributes++];
        a->item = c->item;
        a->ncategories = c->item->list->nchoices;
        double *weights = calloc(a->ncategories ? a->ncategories : 1, sizeof *weights);
        a->categories = calloc(a->ncategories ? a->ncategories : 1, sizeof *a->categories);
        if (weights == NULL || a->categories == NULL) {
            free(weights);
            sipas_respondent_profile_free(p);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        double total_weight = 0;
        for (size_t j = 0; j < a->ncategories; j++)
            a->categories[j].choice = &c->item->list->choices[j];
        for (size_t i = 0; i < data->n; i++) {
            if (wave_column != NULL && sipas_column_number(wave_column, i) != wave)
                continue;
            long j = category_of(c, i);
            if (j < 0) {
                a->empty++;
                continue;
            }
            double w = weight && isfinite(sipas_column_number(weight, i)) ? sipas_column_number(weight, i)
                                                                  : 1.0;
            a->categories[j].n++;
            weights[j] += w;
            total_weight += w;
        }
        size_t answered = p->respondents - a->empty;
        for (size_t j = 0; j < a->ncategories; j++) {
            a->categories[j].share = answered ? (double)a->categories[j].n / (double)answered : NAN;
            a->categories[j].weighted_share = total_weight > 0 ? weights[j] / total_weight : NAN;
        }
        free(weights);
    }
    *out = p;
    return SIPAS_OK;
}
