/* sipas/respondent_profile.h - who answered: for each respondent attribute of the instrument
 * (the stratum column and the domain columns with a choice list: district, respondent type,
 * sector, sex, age group...), the respondents of one wave in each category, as a count, an
 * unweighted share and a share weighted by the design weights (the weight column; 1 without
 * one). Shares are over the respondents who answered the attribute; those who left it empty are
 * counted apart. A profile describes the sample; it carries no interval.
 *
 * Ownership: sipas_respondent_profile_compute returns a result the caller frees with
 * sipas_respondent_profile_free; item and choice pointers borrow from the dataset's instrument. */
#ifndef SIPAS_RESPONDENT_PROFILE_H
#define SIPAS_RESPONDENT_PROFILE_H

#include <stddef.h>

#include "sipas/dataset.h"
#include "sipas/error.h"

typedef struct sipas_profile_category {
    const sipas_choice *choice; /* code and labels */
    size_t n;                   /* respondents in the category */
    double share;               /* n over the respondents who answered the attribute */
    double weighted_share;      /* the same with design weights */
} sipas_profile_category;

typedef struct sipas_profile_attribute {
    const sipas_item *item;
    size_t ncategories;
    sipas_profile_category *categories; /* the list's choices in list order; owned */
    size_t empty;               /* respondents who left it empty (or gave a code not listed) */
} sipas_profile_attribute;

typedef struct sipas_respondent_profile {
    size_t respondents;         /* of the wave */
    size_t nattributes;
    sipas_profile_attribute *attributes; /* in instrument order; owned */
} sipas_respondent_profile;

/* The profile of the respondents whose wave column equals wave. */
sipas_status sipas_respondent_profile_compute(const sipas_dataset *data, double wave,
                                              sipas_respondent_profile **out, sipas_error *err);
void sipas_respondent_profile_free(sipas_respondent_profile *profile); /* NULL is a no-op */

#endif
