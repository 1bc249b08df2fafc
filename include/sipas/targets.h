/* sipas/targets.h - policy targets (surveys/targets.csv) and non-survey indicator values
 * (surveys/indicators.csv), and which survey measure an indicator stands for.
 *
 * targets.csv, columns matched by name (case-insensitive, any order, extra columns ignored):
 *   indicator    identifier, e.g. sipas_procedures, dossiers_on_time          (required)
 *   scope        province | district | ... (free text, kept)                   (required)
 *   scope_value  e.g. lang_son                                                 (required)
 *   year         whole year of the target, 1990-2100                           (required)
 *   threshold    proportion in (0, 1), e.g. 0.90                               (required)
 *   comparison   ">=" or ">"                                                   (required)
 *   source, note free text                                                     (optional)
 *   label::vi, label::en  the target's name for readers, e.g. "Mức độ hài lòng về giải quyết
 *                thủ tục hành chính" (optional; reports fall back on the note, then the
 *                indicator identifier: sipas_target_label)
 *   form, measure  the survey measure the indicator is, e.g. sipas2017 / overall (optional;
 *                both or neither; when absent the built-in map below applies)
 * indicators.csv: indicator, scope, scope_value, year, value (proportion in [0, 1]), se
 *   (empty: unknown, the value is then compared as a point), source (optional).
 * Rows are refused with "FILE:ROW: column 'x': ..." messages; a repeated (indicator, scope,
 * scope_value, year) is refused in both files.
 *
 * The built-in map (docs/review.md): indicator sipas_procedures is the overall index of form
 * sipas2017 (Decision 2640/QD-BNV's SIPAS, which the Resolution's "satisfaction with solving
 * administrative procedures" refers to); sipas_results is its element `results`. A form/measure
 * given in targets.csv, or by sipas_targets_map_indicator (the CLI's --map), takes precedence.
 *
 * Ownership: sipas_targets_load returns a set the caller frees with sipas_targets_free; every
 * string inside belongs to it. */
#ifndef SIPAS_TARGETS_H
#define SIPAS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"
#include "sipas/trend.h"

typedef struct sipas_target_row {
    char *indicator;
    char *scope;
    char *scope_value;
    sipas_target target;   /* threshold (proportion), comparison, year */
    char *source;          /* "" when absent */
    char *note;            /* "" when absent */
    char *label_vi;        /* what a reader sees: "label::vi" column, "" when absent */
    char *label_en;        /* "label::en" column, "" when absent */
    char *form;            /* the survey form the indicator is measured by, or NULL */
    char *measure;         /* "overall", an element or a criterion of form; NULL with form */
    size_t row;            /* line in targets.csv */
} sipas_target_row;

typedef struct sipas_indicator_value {
    char *indicator;
    char *scope;
    char *scope_value;
    double year;
    double value;          /* proportion */
    double se;             /* NaN when unknown */
    char *source;
    size_t row;            /* line in indicators.csv */
} sipas_indicator_value;

typedef struct sipas_targets {
    char *targets_path;
    size_t ntargets;
    sipas_target_row *targets;       /* in file order */
    char *indicators_path;           /* NULL when no indicators file was read */
    size_t nvalues;
    sipas_indicator_value *values;   /* sorted by indicator, scope, scope_value, year */
} sipas_targets;

/* Reads targets_path and, when indicators_path is not NULL, the indicator values; applies the
 * built-in map to targets without form/measure columns. A missing targets file is
 * SIPAS_ERR_NOT_FOUND; a missing indicators file is not an error when indicators_optional. */
sipas_status sipas_targets_load(const char *targets_path, const char *indicators_path,
                                bool indicators_optional, sipas_targets **out, sipas_error *err);
void sipas_targets_free(sipas_targets *targets); /* NULL is a no-op */

/* Reads DIR/targets.csv and DIR/indicators.csv (the latter optional). */
sipas_status sipas_targets_load_dir(const char *surveys_dir, sipas_targets **out,
                                    sipas_error *err);

/* Maps indicator to form/measure for every target row of that indicator (replacing the file's
 * or the built-in map). measure NULL means "overall". text "indicator=form:measure" is parsed by
 * sipas_targets_map_parse. An indicator with no target is SIPAS_ERR_NOT_FOUND. */
sipas_status sipas_targets_map_indicator(sipas_targets *targets, const char *indicator,
                                         const char *form, const char *measure,
                                         sipas_error *err);
sipas_status sipas_targets_map_parse(sipas_targets *targets, const char *text, sipas_error *err);

/* The built-in map: form and measure for an indicator, false when it has none. Static strings. */
bool sipas_targets_builtin_map(const char *indicator, const char **form, const char **measure);

/* The values of one indicator (scope and scope_value may be NULL for any) as wave values
 * (variance = se^2, or NaN when se is unknown; df = INFINITY), sorted by year. *out is
 * malloc'd (caller frees; NULL when n = 0). */
sipas_status sipas_targets_indicator_series(const sipas_targets *targets, const char *indicator,
                                            const char *scope, const char *scope_value,
                                            sipas_wave_value **out, size_t *n, sipas_error *err);

/* The target's name as a reader sees it: label::vi or label::en (vietnamese picks), else the
 * other language's label, else the note, else the indicator identifier. Never NULL. */
const char *sipas_target_label(const sipas_target_row *row, bool vietnamese);

#endif
