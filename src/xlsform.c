/* src/xlsform.c - an XLSForm workbook as an instrument folder (sipas/xlsform.h): the sheets of a
 * KoboToolbox or ODK form mapped to sipas's four CSV sheets. */
#include "sipas/xlsform.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipas/csv_writer.h"
#include "sipas/instrument.h"
#include "table_source.h"

#define NOTE_MAX 512
#define MAX_GROUP_DEPTH 32

/* One sheet held in memory (forms are small). */
typedef struct sheet {
    const char *name;
    size_t ncols;
    char **header;
    size_t nrows, cap;
    char ***rows;           /* nrows x ncols; short rows padded with "" */
    size_t *row_numbers;    /* the workbook's row of each */
} sheet;

typedef struct converter {
    const char *workbook;
    sipas_xlsform_note_fn on_note;
    void *note_ctx;
    sipas_error *err;
    sheet survey, choices, settings, elements;
    bool have_elements_sheet;
    char *default_language; /* "vi" or "en" */
} converter;

static void note(converter *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(converter *c, const char *fmt, ...)
{
    if (c->on_note == NULL)
        return;
    char message[NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    c->on_note(c->note_ctx, message);
}

static sipas_status nomem(converter *c)
{
    return sipas_error_set(c->err, SIPAS_ERR_NOMEM, "out of memory");
}

static sipas_status keep_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                             const size_t *lengths, sipas_error *err)
{
    (void)lengths;
    sheet *s = ctx;
    if (s->header == NULL) {
        s->ncols = nfields;
        s->header = calloc(nfields, sizeof *s->header);
        if (s->header == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t j = 0; j < nfields; j++)
            if ((s->header[j] = strdup(fields[j])) == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        return SIPAS_OK;
    }
    if (s->nrows == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char ***rows = realloc(s->rows, cap * sizeof *rows);
        if (rows)
            s->rows = rows;
        size_t *numbers = realloc(s->row_numbers, cap * sizeof *numbers);
        if (numbers)
            s->row_numbers = numbers;
        if (rows == NULL || numbers == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        s->cap = cap;
    }
    char **cells = calloc(s->ncols, sizeof *cells);
    if (cells == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    s->rows[s->nrows] = cells;
    s->row_numbers[s->nrows++] = row;
    for (size_t j = 0; j < s->ncols; j++) /* cells right of the header have no column: dropped */
        if ((cells[j] = strdup(j < nfields ? fields[j] : "")) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    return SIPAS_OK;
}

static void sheet_free(sheet *s)
{
    for (size_t i = 0; i < s->nrows; i++) {
        for (size_t j = 0; j < s->ncols; j++)
            free(s->rows[i][j]);
        free(s->rows[i]);
    }
    for (size_t j = 0; s->header && j < s->ncols; j++)
        free(s->header[j]);
    free(s->header);
    free(s->rows);
    free(s->row_numbers);
}

/* Reads a sheet; a missing one is SIPAS_ERR_NOT_FOUND (with a message) for the caller to judge. */
static sipas_status read_sheet(converter *c, const char *name, sheet *s)
{
    s->name = name;
    sipas_table_options opt = {.sheet = name};
    sipas_table_source *source = NULL;
    sipas_status st = sipas_table_source_open(c->workbook, NULL, &opt, &source, c->err);
    if (st == SIPAS_OK) {
        sipas_table_format f = sipas_table_source_format(source);
        if (f != SIPAS_TABLE_XLSX && f != SIPAS_TABLE_ODS && f != SIPAS_TABLE_XLS)
            st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s: an XLSForm is a workbook (.xlsx, "
                                 ".xls or .ods), but this is a %s file", c->workbook,
                                 sipas_table_format_name(f));
        else
            st = sipas_table_source_read(source, keep_row, s, c->err);
    }
    sipas_table_source_free(source);
    return st;
}

/* The column of that name (case ignored), or -1. */
static int column(const sheet *s, const char *name)
{
    for (size_t j = 0; j < s->ncols; j++)
        if (strcasecmp(s->header[j], name) == 0)
            return (int)j;
    return -1;
}

static const char *cell(const sheet *s, size_t row, int col)
{
    return col >= 0 ? s->rows[row][col] : "";
}

/* The language of "label::Tiếng Việt (vi)", "label::vi", "label::English": "vi", "en" or NULL. */
static const char *language_of(const char *suffix)
{
    const char *open = strrchr(suffix, '(');
    char code[32];
    if (open && strchr(open, ')')) {
        size_t n = (size_t)(strchr(open, ')') - open - 1);
        snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), open + 1);
    } else {
        snprintf(code, sizeof code, "%s", suffix);
    }
    if (strcasecmp(code, "vi") == 0 || strcasecmp(code, "vietnamese") == 0 ||
        strcasecmp(code, "tiếng việt") == 0 || strcasecmp(code, "Tiếng Việt") == 0)
        return "vi";
    if (strcasecmp(code, "en") == 0 || strcasecmp(code, "english") == 0)
        return "en";
    return NULL;
}

/* The column holding `base` (label, form_title...) in language lang, or -1. */
static int language_column(const converter *c, const sheet *s, const char *base, const char *lang)
{
    size_t base_len = strlen(base);
    for (size_t j = 0; j < s->ncols; j++) {
        const char *h = s->header[j];
        if (strncasecmp(h, base, base_len) != 0)
            continue;
        if (h[base_len] == '\0' && strcmp(c->default_language, lang) == 0)
            return (int)j;
        if (strncmp(h + base_len, "::", 2) == 0) {
            const char *l = language_of(h + base_len + 2);
            if (l && strcmp(l, lang) == 0)
                return (int)j;
        }
    }
    return -1;
}

static bool truthy(const char *s)
{
    return strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || strcasecmp(s, "true()") == 0 ||
           strcmp(s, "1") == 0;
}

static bool is_any(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(s, list[i]) == 0)
            return true;
    return false;
}

static FILE *open_out(converter *c, const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        sipas_error_set(c->err, SIPAS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return f;
}

static sipas_status close_out(converter *c, FILE *f, const char *path)
{
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed)
        return sipas_error_set(c->err, SIPAS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return SIPAS_OK;
}

typedef struct group {
    const char *name, *label_vi, *label_en;
    bool used;
} group;

/* survey.csv, and elements.csv from the groups when the workbook has no elements sheet. */
static sipas_status write_survey(converter *c, const char *dir, size_t *csv_to_row)
{
    const sheet *s = &c->survey;
    int type_col = column(s, "type"), name_col = column(s, "name"), role_col = column(s, "role");
    int element_col = column(s, "element"), scoring_col = column(s, "scoring");
    int required_col = column(s, "required"), personal_col = column(s, "personal");
    int vi = language_column(c, s, "label", "vi"), en = language_column(c, s, "label", "en");
    if (type_col < 0 || name_col < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]: the sheet needs the columns "
                               "'type' and 'name'", c->workbook);
    if (vi < 0 && en < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]: no label column in "
                               "Vietnamese or English (write 'label::Tiếng Việt (vi)', "
                               "'label::vi' or 'label::English (en)')", c->workbook);
    if (role_col < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]: the form has no 'role' "
                               "column, so sipas cannot know its design: add one and mark the "
                               "respondent id (id), the year (wave), stratum, cluster, weight, "
                               "fpc, the subgroups (domain) and the scored questions (criterion, "
                               "with their 'element'); see docs/instruments.md", c->workbook);
    static const char *const no_column[] = {"note", "start", "end", "today", "deviceid",
                                            "subscriberid", "simserial", "phonenumber", "username",
                                            "email", "audit", "start-geopoint", "background-audio",
                                            NULL};
    static const char *const as_text[] = {"date", "time", "datetime", "calculate", "geopoint",
                                          "geotrace", "geoshape", "barcode", "image", "audio",
                                          "video", "file", "hidden", "acknowledge", NULL};
    char path[4096];
    FILE *out = open_out(c, dir, "survey.csv", path, sizeof path);
    if (out == NULL)
        return c->err->status;
    static const char *const header[] = {"type", "name", "label::vi", "label::en", "role",
                                         "element", "scoring", "required", "personal"};
    sipas_csv_write_record(out, header, 9, ',');
    group groups[MAX_GROUP_DEPTH] = {{0}};
    group used_groups[256];
    size_t depth = 0, nused = 0, csv_row = 1;
    sipas_status st = SIPAS_OK;
    for (size_t i = 0; i < s->nrows && st == SIPAS_OK; i++) {
        size_t row = s->row_numbers[i];
        char type[256];
        snprintf(type, sizeof type, "%s", cell(s, i, type_col));
        const char *name = cell(s, i, name_col);
        if (type[0] == '\0')
            continue;
        if (strncasecmp(type, "begin", 5) == 0 && (strstr(type, "group") || strstr(type, "repeat"))) {
            if (strstr(type, "repeat")) {
                st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]:%zu: repeat '%s' has no "
                                     "place in a flat batch (one row per respondent)", c->workbook,
                                     row, name);
                break;
            }
            if (depth == MAX_GROUP_DEPTH) {
                st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]:%zu: groups nested "
                                     "more than %d deep", c->workbook, row, MAX_GROUP_DEPTH);
                break;
            }
            groups[depth++] = (group){name, cell(s, i, vi), cell(s, i, en), false};
            continue;
        }
        if (strncasecmp(type, "end", 3) == 0 && (strstr(type, "group") || strstr(type, "repeat"))) {
            if (depth > 0)
                depth--;
            continue;
        }
        if (is_any(type, no_column)) {
            note(c, "%s[survey]:%zu: '%s' (%s) has no column in a batch; left out", c->workbook,
                 row, name, type);
            continue;
        }
        if (strncasecmp(type, "select_multiple", 15) == 0) {
            st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]:%zu: '%s' is "
                                 "select_multiple, which sipas cannot score or store as one "
                                 "answer; make it select_one, or text", c->workbook, row, name);
            break;
        }
        char sipas_type[300];
        if (strncasecmp(type, "select_one ", 11) == 0) {
            char list[256];
            if (sscanf(type + 11, "%255s", list) != 1) {
                st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]:%zu: '%s' names no "
                                     "list", c->workbook, row, type);
                break;
            }
            snprintf(sipas_type, sizeof sipas_type, "select_one %s", list);
        } else if (strcasecmp(type, "integer") == 0 || strcasecmp(type, "int") == 0) {
            snprintf(sipas_type, sizeof sipas_type, "integer");
        } else if (strcasecmp(type, "decimal") == 0 || strcasecmp(type, "range") == 0) {
            snprintf(sipas_type, sizeof sipas_type, "decimal");
        } else if (strcasecmp(type, "text") == 0 || strcasecmp(type, "string") == 0) {
            snprintf(sipas_type, sizeof sipas_type, "text");
        } else if (is_any(type, as_text)) {
            snprintf(sipas_type, sizeof sipas_type, "text");
            note(c, "%s[survey]:%zu: '%s' (%s) is kept as text", c->workbook, row, name, type);
        } else {
            st = sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[survey]:%zu: type '%s' of '%s' is "
                                 "not one sipas knows", c->workbook, row, type, name);
            break;
        }
        const char *role = cell(s, i, role_col), *element = cell(s, i, element_col);
        if (strcasecmp(role, "criterion") == 0 && element[0] == '\0' && depth > 0 &&
            !c->have_elements_sheet) {
            group *g = &groups[depth - 1];
            element = g->name;
            bool known = false;
            for (size_t u = 0; u < nused; u++)
                known = known || strcmp(used_groups[u].name, g->name) == 0;
            if (!known && nused < sizeof used_groups / sizeof used_groups[0])
                used_groups[nused++] = *g;
        }
        const char *required_cell = cell(s, i, required_col);
        const char *required = required_cell[0] == '\0' ? "" : truthy(required_cell) ? "yes" : "no";
        const char *personal = truthy(cell(s, i, personal_col)) ? "yes" : "no";
        const char *fields[] = {sipas_type, name, cell(s, i, vi), cell(s, i, en), role, element,
                                cell(s, i, scoring_col), required, personal};
        sipas_csv_write_record(out, fields, 9, ',');
        csv_to_row[++csv_row] = row;
    }
    sipas_status closed = close_out(c, out, path);
    if (st != SIPAS_OK || closed != SIPAS_OK)
        return st != SIPAS_OK ? st : closed;
    if (c->have_elements_sheet)
        return SIPAS_OK;
    /* elements from the groups the criteria sit in */
    out = open_out(c, dir, "elements.csv", path, sizeof path);
    if (out == NULL)
        return c->err->status;
    static const char *const element_header[] = {"name", "label::vi", "label::en", "weight"};
    sipas_csv_write_record(out, element_header, 4, ',');
    for (size_t u = 0; u < nused; u++) {
        const char *fields[] = {used_groups[u].name, used_groups[u].label_vi,
                                used_groups[u].label_en, "1"};
        sipas_csv_write_record(out, fields, 4, ',');
    }
    if (nused > 0)
        note(c, "%s: elements.csv made from the %zu groups that hold criteria, each of weight 1",
             c->workbook, nused);
    return close_out(c, out, path);
}

static sipas_status write_choices(converter *c, const char *dir, size_t *csv_to_row)
{
    const sheet *s = &c->choices;
    int list_col = column(s, "list_name") >= 0 ? column(s, "list_name") : column(s, "list name");
    int name_col = column(s, "name"), satisfied_col = column(s, "satisfied");
    int missing_col = column(s, "missing");
    int vi = language_column(c, s, "label", "vi"), en = language_column(c, s, "label", "en");
    if (list_col < 0 || name_col < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[choices]: the sheet needs the "
                               "columns 'list_name' and 'name'", c->workbook);
    if (vi < 0 && en < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[choices]: no label column in "
                               "Vietnamese or English", c->workbook);
    char path[4096];
    FILE *out = open_out(c, dir, "choices.csv", path, sizeof path);
    if (out == NULL)
        return c->err->status;
    static const char *const header[] = {"list_name", "name", "label::vi", "label::en",
                                         "satisfied", "missing"};
    sipas_csv_write_record(out, header, 6, ',');
    size_t csv_row = 1;
    for (size_t i = 0; i < s->nrows; i++) {
        if (cell(s, i, list_col)[0] == '\0')
            continue;
        csv_to_row[++csv_row] = s->row_numbers[i];
        const char *satisfied = cell(s, i, satisfied_col);
        const char *fields[] = {cell(s, i, list_col), cell(s, i, name_col), cell(s, i, vi),
                                cell(s, i, en), satisfied[0] ? satisfied : "0",
                                cell(s, i, missing_col)};
        sipas_csv_write_record(out, fields, 6, ',');
    }
    return close_out(c, out, path);
}

static sipas_status write_elements_sheet(converter *c, const char *dir)
{
    const sheet *s = &c->elements;
    int name_col = column(s, "name"), weight_col = column(s, "weight");
    int vi = language_column(c, s, "label", "vi"), en = language_column(c, s, "label", "en");
    if (name_col < 0)
        return sipas_error_set(c->err, SIPAS_ERR_FORMAT, "%s[elements]: the sheet needs a 'name' "
                               "column", c->workbook);
    char path[4096];
    FILE *out = open_out(c, dir, "elements.csv", path, sizeof path);
    if (out == NULL)
        return c->err->status;
    static const char *const header[] = {"name", "label::vi", "label::en", "weight"};
    sipas_csv_write_record(out, header, 4, ',');
    for (size_t i = 0; i < s->nrows; i++) {
        const char *fields[] = {cell(s, i, name_col), cell(s, i, vi), cell(s, i, en),
                                cell(s, i, weight_col)};
        sipas_csv_write_record(out, fields, 4, ',');
    }
    return close_out(c, out, path);
}

static sipas_status write_settings(converter *c, const char *dir, const char *form_id)
{
    const sheet *s = &c->settings;
    const char *version = s->nrows ? cell(s, 0, column(s, "version")) : "";
    if (version[0] == '\0') {
        version = "1";
        note(c, "%s[settings]: no version; version 1 is used (raise it with every change)",
             c->workbook);
    }
    int title_vi = language_column(c, s, "form_title", "vi");
    int title_en = language_column(c, s, "form_title", "en");
    char path[4096];
    FILE *out = open_out(c, dir, "settings.csv", path, sizeof path);
    if (out == NULL)
        return c->err->status;
    static const char *const header[] = {"form_id", "version", "form_title::vi", "form_title::en",
                                         "scoring", "default_language"};
    const char *fields[] = {form_id, version, s->nrows ? cell(s, 0, title_vi) : "",
                            s->nrows ? cell(s, 0, title_en) : "",
                            s->nrows ? cell(s, 0, column(s, "scoring")) : "", c->default_language};
    sipas_csv_write_record(out, header, 6, ',');
    sipas_csv_write_record(out, fields, 6, ',');
    return close_out(c, out, path);
}

/* The loader names "DIR/survey.csv:ROW: reason": say the workbook's sheet and row instead. */
static void locate_in_workbook(const converter *c, sipas_error *err, const size_t *survey_rows,
                               const size_t *choice_rows)
{
    static const char *const sheets[] = {"survey", "choices"};
    const size_t *maps[] = {survey_rows, choice_rows};
    const size_t limits[] = {c->survey.nrows + 1, c->choices.nrows + 1};
    for (size_t k = 0; k < 2; k++) {
        char pattern[32];
        snprintf(pattern, sizeof pattern, "/%s.csv:", sheets[k]);
        const char *at = strstr(err->message, pattern);
        size_t csv_row = 0;
        const char *reason = at ? strstr(at, ": ") : NULL;
        if (reason && sscanf(at + strlen(pattern), "%zu", &csv_row) == 1 && csv_row <= limits[k] &&
            maps[k][csv_row]) {
            char rest[SIPAS_ERROR_MESSAGE_MAX];
            snprintf(rest, sizeof rest, "%s", reason + 2);
            sipas_error_set(err, err->status, "%s[%s]:%zu: %s", c->workbook, sheets[k],
                            maps[k][csv_row], rest);
            return;
        }
    }
    sipas_error_prefix(err, err->status, "%s", c->workbook);
}

static void remove_folder(const char *dir)
{
    static const char *const files[] = {"survey.csv", "choices.csv", "elements.csv", "settings.csv"};
    char path[4096];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

sipas_status sipas_xlsform_convert(const char *workbook, const char *surveys_dir,
                                   sipas_xlsform_note_fn on_note, void *note_ctx, char **dir_out,
                                   sipas_error *err)
{
    converter c = {.workbook = workbook, .on_note = on_note, .note_ctx = note_ctx, .err = err};
    char *dir = NULL;
    size_t *csv_to_row = NULL, *choice_to_row = NULL;
    if (dir_out)
        *dir_out = NULL;
    sipas_table_format format;
    sipas_status st = sipas_table_detect(workbook, &format, err);
    if (st == SIPAS_OK && format != SIPAS_TABLE_XLSX && format != SIPAS_TABLE_ODS &&
        format != SIPAS_TABLE_XLS)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: an XLSForm is a workbook (.xlsx, .xls "
                             "or .ods), but this is a %s file", workbook,
                             sipas_table_format_name(format));
    if (st == SIPAS_OK)
        st = read_sheet(&c, "survey", &c.survey);
    if (st == SIPAS_ERR_NOT_FOUND)
        sipas_error_prefix(err, st, "not an XLSForm");
    if (st == SIPAS_OK && (st = read_sheet(&c, "choices", &c.choices)) == SIPAS_ERR_NOT_FOUND)
        sipas_error_prefix(err, st, "not an XLSForm");
    if (st == SIPAS_OK) {
        st = read_sheet(&c, "settings", &c.settings);
        if (st == SIPAS_ERR_NOT_FOUND)
            st = SIPAS_OK; /* optional in XLSForm */
    }
    if (st == SIPAS_OK) {
        st = read_sheet(&c, "elements", &c.elements);
        c.have_elements_sheet = st == SIPAS_OK;
        if (st == SIPAS_ERR_NOT_FOUND)
            st = SIPAS_OK;
    }
    if (st != SIPAS_OK)
        goto done;
    if (c.survey.header == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s[survey]: the sheet is empty", workbook);
        goto done;
    }
    const char *language = c.settings.nrows ? cell(&c.settings, 0, column(&c.settings,
                                                                          "default_language")) : "";
    const char *lang = language[0] ? language_of(language) : "vi";
    c.default_language = strdup(lang ? lang : "vi");
    if (c.default_language == NULL) {
        st = nomem(&c);
        goto done;
    }
    if (lang == NULL)
        note(&c, "%s[settings]: default_language '%s' is neither Vietnamese nor English; "
             "plain 'label' columns are read as Vietnamese", workbook, language);
    const char *form_id = c.settings.nrows ? cell(&c.settings, 0, column(&c.settings, "form_id")) : "";
    if (form_id[0] == '\0') {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s[settings]: the form needs a form_id "
                             "(lower-case letters, digits and _), the name of its sipas folder",
                             workbook);
        goto done;
    }
    for (const char *p = form_id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s[settings]: form_id '%s' may hold only "
                                 "lower-case letters, digits and _", workbook, form_id);
            goto done;
        }
    size_t dir_len = strlen(surveys_dir) + strlen(form_id) + 2;
    dir = malloc(dir_len);
    csv_to_row = calloc(c.survey.nrows + 2, sizeof *csv_to_row);
    choice_to_row = calloc(c.choices.nrows + 2, sizeof *choice_to_row);
    if (dir == NULL || csv_to_row == NULL || choice_to_row == NULL) {
        st = nomem(&c);
        goto done;
    }
    snprintf(dir, dir_len, "%s/%s", surveys_dir, form_id);
    if (mkdir(dir, 0777) != 0) {
        st = sipas_error_set(err, errno == EEXIST ? SIPAS_ERR_CONFLICT : SIPAS_ERR_IO,
                             "cannot make '%s': %s%s", dir, strerror(errno),
                             errno == EEXIST ? " (an instrument is never overwritten: give a new "
                                               "form_id, or --out another folder)" : "");
        goto done;
    }
    st = write_survey(&c, dir, csv_to_row);
    if (st == SIPAS_OK)
        st = write_choices(&c, dir, choice_to_row);
    if (st == SIPAS_OK && c.have_elements_sheet)
        st = write_elements_sheet(&c, dir);
    if (st == SIPAS_OK)
        st = write_settings(&c, dir, form_id);
    if (st == SIPAS_OK) {
        sipas_instrument *inst = NULL;
        st = sipas_instrument_load(dir, &inst, err);
        sipas_instrument_free(inst);
        if (st != SIPAS_OK)
            locate_in_workbook(&c, err, csv_to_row, choice_to_row);
    }
    if (st != SIPAS_OK)
        remove_folder(dir);
    else if (dir_out) {
        *dir_out = dir;
        dir = NULL;
    }
done:
    free(dir);
    free(csv_to_row);
    free(choice_to_row);
    free(c.default_language);
    sheet_free(&c.survey);
    sheet_free(&c.choices);
    sheet_free(&c.settings);
    sheet_free(&c.elements);
    return st;
}
