/* src/index_estimate.h (private to the library) - every estimate of one domain
 * (src/index_estimate.c): the criterion scores y (by the criterion's scoring) and x (1 for a
 * valid answer), each criterion's ratio sum(w y)/sum(w x), the elements as means of their
 * criteria and the overall index as the elements' weighted mean, with their linearised
 * variances, intervals, design effects and NCHS flags from src/estimate.c (formulas in
 * include/sipas/index.h and docs/methodology.md).
 *
 * A domain is estimated on its sub-design: the strata that hold at least one of its rows (all
 * strata under calibration), since every other stratum adds nothing to its variance and does not
 * take part for the lonely-PSU rules. Ownership: a subdesign and the domain_buffers own their
 * arrays (the *_release functions free them and accept a zeroed struct). */
#ifndef SIPAS_INDEX_ESTIMATE_H
#define SIPAS_INDEX_ESTIMATE_H

#include "index_work.h"

/* The sub-design of one domain: rows of the strata holding at least one of its rows. */
typedef struct subdesign {
    size_t m;
    size_t *rows;        /* global row of each sub row */
    double *weight;
    size_t *stratum, *psu;
    double *fpc;
    size_t nstrata, npsu;
    size_t *global_stratum; /* sub stratum -> global */
    bool *in_domain;
    sipas_prepared_design *prepared;
} subdesign;

/* Scratch space of one domain's estimation, m = rows of its sub-design. */
typedef struct domain_buffers {
    double *y, *x, *z;     /* m each */
    bool *valid;           /* m: in the domain with a valid answer */
    double *elem_scores;   /* nelements x m */
    double *overall_scores;/* m */
    double *elem_abs, *overall_abs; /* the same with each criterion's |score|: the rounding scale
                                       of a composite's deff (SIPAS_DEFF_ZERO_TOLERANCE) */
    const char *want;      /* copy this measure's scores into want_scores (NULL: none) */
    double *want_scores;   /* m */
} domain_buffers;

/* The scorer of criterion column k (with one per instrument version whose list differs). */
sipas_status index_make_scorer(const sipas_dataset *data, size_t k, const sipas_index_options *opt,
                               criterion_scorer *s, sipas_error *err);
void index_release_scorer(criterion_scorer *s);
/* y and x (1 valid, 0 not) of one answer code (NaN: an empty cell); returns the missing kind,
 * SIPAS_MISSING_NONE when valid and for a code the list no longer has (then x = 0). */
sipas_missing_kind index_score_code(const criterion_scorer *s, double code, double *y, double *x);
/* Puts the label of a stratum the estimation core named by index ("stratum 3 has only one PSU")
 * into err's message, global_stratum mapping the core's strata to stratum_label's. Returns st. */
sipas_status index_name_stratum(char *const *stratum_label, const size_t *global_stratum,
                                size_t nstrata, sipas_status st, sipas_error *err);

/* The sub-design of domain dom over the strata marked in stratum_used. psu_map holds w->npsu
 * entries, all SIZE_MAX on entry and again on return. */
sipas_status index_build_subdesign(index_work *w, size_t dom, const bool *stratum_used,
                                   size_t *psu_map, subdesign *s, sipas_error *err);
void index_subdesign_release(subdesign *s);

sipas_status index_domain_buffers_alloc(domain_buffers *b, size_t m, size_t nelements,
                                        sipas_error *err);
void index_domain_buffers_release(domain_buffers *b);

/* The names, labels and level of a domain's rows before their figures: the overall index
 * (estimable when some element weighs), element e (of ncriteria criteria; its scoring is set
 * from them), a criterion. Every figure is 0 until estimated. */
sipas_index_row index_overall_row(size_t dom, size_t respondents, bool estimable);
sipas_index_row index_element_row(const sipas_instrument *inst, size_t e, size_t dom,
                                  size_t respondents, size_t ncriteria);
sipas_index_row index_criterion_row(const criterion_scorer *scorer, size_t dom);
/* Fills rows (1 + elements + criteria of them, in the order of sipas_index_result.rows) for
 * domain dom of sub-design s; copies the scores of b->want into b->want_scores when set. */
sipas_status index_estimate_domain(index_work *w, size_t dom, const subdesign *s,
                                   sipas_index_row *rows, domain_buffers *b, sipas_error *err);
/* Puts "form 'F', district 'x', wave 2024, measure 'q1'" before err's message; returns st. */
sipas_status index_locate_failure(const index_work *w, size_t dom, sipas_status st,
                                  sipas_error *err);
/* The same from what it names: the form, the domain dom of res, a unit (unit_column NULL: none),
 * its wave (NaN: none) and the measure (NULL: none). */
sipas_status index_locate(const char *form_id, const sipas_index_result *res, size_t dom,
                          const char *unit_column, const char *unit_code, double unit_wave,
                          const char *measure, sipas_status st, sipas_error *err);
/* The rest of a row once its estimate and summary (variance, df counts, deffs) are known: the
 * variance status, se, interval, n_eff and NCHS flags; n_for_beta is the n of the Korn-Graubard
 * interval (valid answers of a criterion, respondents of a composite). */
sipas_status index_finish_row(const sipas_index_result *res, const sipas_estimate_summary *summary,
                              double n_for_beta, sipas_index_row *row, sipas_error *err);
/* A row with no valid answer (or a criterion of its composite had none): no estimate. */
void index_not_estimable(sipas_index_row *row);
/* Withholds every value of a row over fewer than min_cell respondents (privacy), keeping n. */
void index_withhold_small_cell(sipas_index_row *row, size_t min_cell);

#endif
