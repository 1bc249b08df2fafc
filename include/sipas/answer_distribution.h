/* sipas/answer_distribution.h - the distribution of answers to each criterion: the weighted
 * share of the valid answers at each level of its scale (1 "very dissatisfied" ... 5 "very
 * satisfied" in SIPAS) with its confidence interval, and how many answers were empty, "don't
 * know", "not applicable" or refused. Official SIPAS reports carry this table beside the index.
 *
 * Each share is estimated exactly as the index estimates a criterion (sipas_index_compute: the
 * same design, weighting, lonely-PSU rule, interval method and NCHS flags), by scoring the one
 * level as "satisfied" and every other valid answer as not: the share at level v is the index
 * of a criterion whose list marks only code v satisfied. So a criterion's shares at its
 * satisfied levels add up to its index, and every share agrees with R's svyciprop of
 * I(code == v) over the valid answers as the index agrees with it (docs/methodology.md).
 *
 * Ownership: sipas_answer_distribution_compute returns a result the caller frees with
 * sipas_answer_distribution_free; its item and choice pointers borrow from the dataset's
 * instrument, which must outlive it. */
#ifndef SIPAS_ANSWER_DISTRIBUTION_H
#define SIPAS_ANSWER_DISTRIBUTION_H

#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"
#include "sipas/index.h"

typedef struct sipas_answer_share {
    const sipas_choice *choice; /* the level: code, labels; from the criterion's list */
    double share;               /* proportion of the valid answers; NaN when not estimable */
    double ci_low, ci_high;     /* NaN without design-based variance */
    unsigned flags;             /* SIPAS_NCHS_* of this share */
} sipas_answer_share;

typedef struct sipas_answer_criterion {
    const sipas_item *item;     /* the criterion */
    size_t valid;               /* valid answers (the shares' denominator, unweighted) */
    size_t missing[SIPAS_MISSING_KINDS]; /* [0] empty cells, then by sipas_missing_kind */
    size_t nlevels;
    sipas_answer_share *levels; /* the list's valid choices in list order; owned */
} sipas_answer_criterion;

typedef struct sipas_answer_distribution {
    size_t ncriteria;
    sipas_answer_criterion *criteria; /* in instrument order; only lists scored by share */
    sipas_ci_method ci;
    double level;
} sipas_answer_distribution;

/* The distribution over the respondents that options->where selects, pooled (options->by must
 * be empty; give the wave in where). Criteria scored as NPS or percent-to-max are included with
 * their codes as levels all the same. */
sipas_status sipas_answer_distribution_compute(const sipas_dataset *data,
                                               const sipas_index_options *options,
                                               sipas_answer_distribution **out, sipas_error *err);
void sipas_answer_distribution_free(sipas_answer_distribution *dist); /* NULL is a no-op */

#endif
