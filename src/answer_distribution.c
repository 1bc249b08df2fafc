/* Answer distributions per criterion (sipas/answer_distribution.h): each level's share is the
 * index of the criterion with only that level scored as satisfied, computed on a view of the
 * dataset whose criteria lists are re-marked; the data themselves are shared, not copied. */
#include "sipas/answer_distribution.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sipas/review.h"

/* The dataset as the index sees it with only code `value` satisfied in every criterion list:
 * columns, items and lists are shallow copies (the data arrays are the original's). */
typedef struct marked_view {
    sipas_dataset data;
    sipas_column *columns;
    sipas_item *items;
    sipas_choice_list *lists;       /* one per criterion list and version list, re-marked */
    sipas_choice **choices;
    const sipas_choice_list ***version_lists;
    size_t nlists;
} marked_view;

static void view_free(marked_view *v)
{
    for (size_t i = 0; i < v->nlists; i++)
        free(v->choices[i]);
    if (v->version_lists)
        for (size_t k = 0; k < v->data.ncolumns; k++)
            free(v->version_lists[k]);
    free(v->version_lists);
    free(v->choices);
    free(v->lists);
    free(v->items);
    free(v->columns);
    memset(v, 0, sizeof *v);
}

static bool is_criterion(const sipas_column *c)
{
    return c->item->role == SIPAS_ROLE_CRITERION && c->item->list != NULL && !c->is_text;
}

/* A copy of list whose only satisfied choice is the valid one with code value. */
static const sipas_choice_list *marked_list(marked_view *v, const sipas_choice_list *list,
                                            long value)
{
    sipas_choice_list *copy = &v->lists[v->nlists];
    sipas_choice *choices = malloc((list->nchoices ? list->nchoices : 1) * sizeof *choices);
    if (choices == NULL)
        return NULL;
    memcpy(choices, list->choices, list->nchoices * sizeof *choices);
    for (size_t c = 0; c < list->nchoices; c++)
        choices[c].satisfied = choices[c].missing == SIPAS_MISSING_NONE &&
                               choices[c].has_value && choices[c].value == value;
    *copy = *list;
    copy->choices = choices;
    v->choices[v->nlists++] = choices;
    return copy;
}

static sipas_status view_make(const sipas_dataset *data, long value, marked_view *v,
                              sipas_error *err)
{
    memset(v, 0, sizeof *v);
    size_t nlists = 0;
    for (size_t k = 0; k < data->ncolumns; k++)
        if (is_criterion(&data->columns[k]))
            nlists += 1 + (data->columns[k].version_list ? data->nversions : 0);
    v->data = *data;
    v->columns = malloc((data->ncolumns ? data->ncolumns : 1) * sizeof *v->columns);
    v->items = malloc((data->ncolumns ? data->ncolumns : 1) * sizeof *v->items);
    v->lists = calloc(nlists ? nlists : 1, sizeof *v->lists);
    v->choices = calloc(nlists ? nlists : 1, sizeof *v->choices);
    v->version_lists = calloc(data->ncolumns ? data->ncolumns : 1, sizeof *v->version_lists);
    if (!v->columns || !v->items || !v->lists || !v->choices || !v->version_lists) {
        view_free(v);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    memcpy(v->columns, data->columns, data->ncolumns * sizeof *v->columns);
    for (size_t k = 0; k < data->ncolumns; k++) {
        sipas_column *c = &v->columns[k];
        if (!is_criterion(c))
            continue;
        v->items[k] = *c->item;
        v->items[k].list = marked_list(v, c->item->list, value);
        c->item = &v->items[k];
        bool ok = c->item->list != NULL;
        if (ok && c->version_list) {
            v->version_lists[k] = calloc(data->nversions ? data->nversions : 1,
                                         sizeof *v->version_lists[k]);
            ok = v->version_lists[k] != NULL;
            for (size_t r = 0; ok && r < data->nversions; r++)
                if (c->version_list[r])
                    ok = (v->version_lists[k][r] = marked_list(v, c->version_list[r], value)) != NULL;
            c->version_list = v->version_lists[k];
        }
        if (!ok) {
            view_free(v);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
    }
    v->data.columns = v->columns;
    return SIPAS_OK;
}

void sipas_answer_distribution_free(sipas_answer_distribution *dist)
{
    if (dist == NULL)
        return;
    for (size_t i = 0; i < dist->ncriteria; i++)
        free(dist->criteria[i].levels);
    free(dist->criteria);
    free(dist);
}

/* The row of criterion `name` in an index result of one domain; NULL when absent. */
static const sipas_index_row *criterion_row(const sipas_index_result *ix, const char *name)
{
    for (size_t i = 0; i < ix->nrows; i++)
        if (ix->rows[i].level == SIPAS_LEVEL_CRITERION && strcmp(ix->rows[i].name, name) == 0)
            return &ix->rows[i];
    return NULL;
}

sipas_status sipas_answer_distribution_compute(const sipas_dataset *data,
                                               const sipas_index_options *options,
                                               sipas_answer_distribution **out, sipas_error *err)
{
    *out = NULL;
    if (options->nby > 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "an answer distribution is over one "
                               "domain: select it with where, not by");
    sipas_answer_distribution *dist = calloc(1, sizeof *dist);
    if (dist == NULL || (dist->criteria = calloc(data->ncolumns ? data->ncolumns : 1,
                                                 sizeof *dist->criteria)) == NULL) {
        free(dist);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    sipas_status st = SIPAS_OK;
    for (size_t k = 0; k < data->ncolumns && st == SIPAS_OK; k++) {
        const sipas_column *c = &data->columns[k];
        if (!is_criterion(c))
            continue;
        sipas_answer_criterion *ac = &dist->criteria[dist->ncriteria++];
        ac->item = c->item;
        ac->levels = calloc(c->item->list->nchoices ? c->item->list->nchoices : 1,
                            sizeof *ac->levels);
        if (ac->levels == NULL)
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t j = 0; ac->levels && j < c->item->list->nchoices; j++) {
            const sipas_choice *ch = &c->item->list->choices[j];
            if (ch->missing == SIPAS_MISSING_NONE && ch->has_value)
                ac->levels[ac->nlevels++] = (sipas_answer_share){ch, NAN, NAN, NAN, 0};
        }
    }
    sipas_index_options o = *options;
    o.scoring_set = true;
    o.scoring = SIPAS_SCORING_SATISFIED_SHARE;
    /* one index per distinct code: every criterion's share at that code at once */
    for (size_t i = 0; i < dist->ncriteria && st == SIPAS_OK; i++)
        for (size_t j = 0; j < dist->criteria[i].nlevels && st == SIPAS_OK; j++) {
            long value = dist->criteria[i].levels[j].choice->value;
            bool done = false; /* an earlier criterion's pass covered this code */
            for (size_t p = 0; p < i && !done; p++)
                for (size_t q = 0; q < dist->criteria[p].nlevels && !done; q++)
                    done = dist->criteria[p].levels[q].choice->value == value;
            if (done)
                continue;
            marked_view view;
            sipas_index_result *ix = NULL;
            if ((st = view_make(data, value, &view, err)) != SIPAS_OK)
                break;
            st = sipas_review_index_compute(&view.data, &o, &ix, err);
            for (size_t a = i; st == SIPAS_OK && a < dist->ncriteria; a++) {
                sipas_answer_criterion *ac = &dist->criteria[a];
                const sipas_index_row *row = criterion_row(ix, ac->item->name);
                if (row == NULL)
                    continue;
                ac->valid = row->n;
                memcpy(ac->missing, row->n_missing, sizeof ac->missing);
                for (size_t b = 0; b < ac->nlevels; b++)
                    if (ac->levels[b].choice->value == value)
                        ac->levels[b] = (sipas_answer_share){
                            ac->levels[b].choice, row->estimable ? row->estimate : NAN,
                            row->ci_low, row->ci_high, row->flags};
            }
            sipas_index_result_free(ix);
            view_free(&view);
        }
    if (st != SIPAS_OK) {
        sipas_answer_distribution_free(dist);
        return st;
    }
    dist->ci = o.ci;
    dist->level = o.level > 0 ? o.level : 0.95;
    *out = dist;
    return SIPAS_OK;
}
