/* src/stat_file.c - SPSS .sav/.zsav, Stata .dta and SAS .sas7bdat/.xpt through ReadStat: rows
 * for the table source, and labelled .sav/.dta files for sipas_stat_export. (SAS keeps value
 * labels in a separate catalog file, so SAS values arrive as codes.)
 *
 * Reading takes two passes, because Stata writes its value labels after the data: the first
 * collects the variables (name, value-label set, format) and every value label; the second
 * delivers the cases. Each cell goes out as text (table_source.h): numbers by
 * table_format_number, SPSS DATE/ADATE/EDATE/SDATE/DATETIME and Stata %td/%tc formats as ISO
 * dates, system-missing as "", a Stata extended missing value as ".a"..".z"; a value's label
 * (from its variable's set) and whether it is declared missing (SPSS MISSING VALUES, Stata
 * .a-.z) go along for the validator. Row 0 names the variables; case N is row N. */
#include <errno.h>
#include <math.h>
#include <readstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sipas/atomic_file.h"
#include "sipas/stat_export.h"
#include "table_readers.h"

/* Days from 1582-10-14 (SPSS's day 0) and from 1960-01-01 (Stata's) to Excel's serial 0,
 * 1899-12-30: 115859 and -21916. */
#define SPSS_TO_SERIAL_DAYS 115859.0
#define STATA_TO_SERIAL_DAYS (-21916.0)

typedef struct value_label {
    char *set;
    readstat_type_class_t kind;
    double number;
    char tag;                  /* Stata .a-.z, or 0 */
    char *string_key;
    char *label;
} value_label;

typedef struct stat_var {
    char *name;
    char *set;                 /* value-label set, or NULL */
    enum { DATE_NONE, DATE_SPSS_SECONDS, DATE_STATA_DAYS, DATE_STATA_MS } date;
} stat_var;

typedef struct stat_reader {
    sipas_table_source *source;
    sipas_error *err;
    sipas_status status;
    stat_var *vars;
    size_t nvars;
    value_label *labels;
    size_t nlabels, labels_cap;
    long rows_expected;
    /* the case being collected */
    char **fields;
    size_t *lengths;
    char **cell_labels;
    bool *missing;
    long obs;                  /* its 0-based index, -1 before the first */
    size_t filled;
} stat_reader;

static int abort_nomem(stat_reader *r)
{
    r->status = sipas_error_set(r->err, SIPAS_ERR_NOMEM, "out of memory");
    return READSTAT_HANDLER_ABORT;
}

static int on_metadata(readstat_metadata_t *metadata, void *ctx)
{
    stat_reader *r = ctx;
    r->rows_expected = readstat_get_row_count(metadata);
    int n = readstat_get_var_count(metadata);
    if (n <= 0 || n > TABLE_MAX_COLUMNS) {
        r->status = sipas_error_set(r->err, SIPAS_ERR_FORMAT, "%s: the file declares %d variables",
                                    r->source->name, n);
        return READSTAT_HANDLER_ABORT;
    }
    r->nvars = (size_t)n;
    r->vars = alloc_array(r->nvars, sizeof *r->vars);
    r->fields = alloc_array(r->nvars, sizeof *r->fields);
    r->lengths = alloc_array(r->nvars, sizeof *r->lengths);
    r->cell_labels = alloc_array(r->nvars, sizeof *r->cell_labels);
    r->missing = alloc_array(r->nvars, sizeof *r->missing);
    if (!r->vars || !r->fields || !r->lengths || !r->cell_labels || !r->missing)
        return abort_nomem(r);
    return READSTAT_HANDLER_OK;
}

static int on_variable(int index, readstat_variable_t *variable, const char *val_labels, void *ctx)
{
    stat_reader *r = ctx;
    if (index < 0 || (size_t)index >= r->nvars)
        return READSTAT_HANDLER_OK;
    stat_var *v = &r->vars[index];
    if (v->name)
        return READSTAT_HANDLER_OK; /* the second pass sees the variables again */
    const char *name = readstat_variable_get_name(variable); /* NULL in a damaged file */
    v->name = strdup(name ? name : "");
    v->set = val_labels && *val_labels ? strdup(val_labels) : NULL;
    if (v->name == NULL || (val_labels && *val_labels && v->set == NULL))
        return abort_nomem(r);
    const char *format = readstat_variable_get_format(variable);
    if (format && readstat_variable_get_type_class(variable) == READSTAT_TYPE_CLASS_NUMERIC) {
        if (strncmp(format, "%td", 3) == 0 || strncmp(format, "%d", 2) == 0)
            v->date = DATE_STATA_DAYS;
        else if (strncmp(format, "%tc", 3) == 0 || strncmp(format, "%tC", 3) == 0)
            v->date = DATE_STATA_MS;
        else if (strncmp(format, "DATE", 4) == 0 || strncmp(format, "ADATE", 5) == 0 ||
                 strncmp(format, "EDATE", 5) == 0 || strncmp(format, "SDATE", 5) == 0)
            v->date = DATE_SPSS_SECONDS;
    }
    return READSTAT_HANDLER_OK;
}

static int on_value_label(const char *set, readstat_value_t value, const char *label, void *ctx)
{
    stat_reader *r = ctx;
    if (r->nlabels == r->labels_cap) {
        size_t cap = r->labels_cap ? r->labels_cap * 2 : 64;
        value_label *p = realloc(r->labels, cap * sizeof *p);
        if (p == NULL)
            return abort_nomem(r);
        r->labels = p;
        r->labels_cap = cap;
    }
    value_label *l = &r->labels[r->nlabels];
    memset(l, 0, sizeof *l);
    l->set = strdup(set);
    l->label = strdup(label ? label : "");
    l->kind = readstat_value_type_class(value);
    if (readstat_value_is_tagged_missing(value))
        l->tag = readstat_value_tag(value);
    else if (l->kind == READSTAT_TYPE_CLASS_STRING)
        l->string_key = strdup(readstat_string_value(value) ? readstat_string_value(value) : "");
    else
        l->number = readstat_double_value(value);
    r->nlabels++;
    if (l->set == NULL || l->label == NULL ||
        (l->kind == READSTAT_TYPE_CLASS_STRING && !l->tag && l->string_key == NULL))
        return abort_nomem(r);
    return READSTAT_HANDLER_OK;
}

static char *find_label(const stat_reader *r, const char *set, readstat_value_t value)
{
    if (set == NULL)
        return NULL;
    bool tagged = readstat_value_is_tagged_missing(value);
    bool is_string = readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING;
    for (size_t i = 0; i < r->nlabels; i++) {
        const value_label *l = &r->labels[i];
        if (strcmp(l->set, set) != 0)
            continue;
        if (tagged ? l->tag == readstat_value_tag(value)
                   : is_string ? l->string_key && readstat_string_value(value) &&
                                 strcmp(l->string_key, readstat_string_value(value)) == 0
                               : !l->tag && l->kind == READSTAT_TYPE_CLASS_NUMERIC &&
                                 l->number == readstat_double_value(value))
            return l->label;
    }
    return NULL;
}

static sipas_status set_field(stat_reader *r, size_t j, const char *text)
{
    free(r->fields[j]);
    r->fields[j] = strdup(text);
    if (r->fields[j] == NULL)
        return sipas_error_set(r->err, SIPAS_ERR_NOMEM, "out of memory");
    r->lengths[j] = strlen(text);
    return SIPAS_OK;
}

static sipas_status emit_case(stat_reader *r, size_t row)
{
    for (size_t j = 0; j < r->nvars; j++)
        if (r->fields[j] == NULL && set_field(r, j, "") != SIPAS_OK)
            return SIPAS_ERR_NOMEM;
    sipas_status st = table_emit(r->source, row, r->nvars, r->fields, r->lengths, r->cell_labels,
                                 r->missing, r->err);
    for (size_t j = 0; j < r->nvars; j++) {
        r->lengths[j] = 0;
        r->fields[j][0] = '\0';
        r->cell_labels[j] = NULL;
        r->missing[j] = false;
    }
    r->filled = 0;
    return st;
}

static int on_value(int obs_index, readstat_variable_t *variable, readstat_value_t value, void *ctx)
{
    stat_reader *r = ctx;
    int index = readstat_variable_get_index(variable);
    if (index < 0 || (size_t)index >= r->nvars)
        return READSTAT_HANDLER_OK;
    if (r->obs < 0) {
        /* the header: variable names */
        for (size_t j = 0; j < r->nvars; j++)
            if (set_field(r, j, r->vars[j].name ? r->vars[j].name : "") != SIPAS_OK)
                return READSTAT_HANDLER_ABORT;
        if ((r->status = emit_case(r, 0)) != SIPAS_OK)
            return READSTAT_HANDLER_ABORT;
        r->obs = obs_index;
    }
    if (obs_index != r->obs) {
        if ((r->status = emit_case(r, (size_t)r->obs + 1)) != SIPAS_OK)
            return READSTAT_HANDLER_ABORT;
        r->obs = obs_index;
    }
    size_t j = (size_t)index;
    const stat_var *v = &r->vars[j];
    char text[64] = "";
    const char *out = text;
    if (readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING) {
        out = readstat_string_value(value) ? readstat_string_value(value) : "";
    } else if (readstat_value_is_tagged_missing(value)) {
        snprintf(text, sizeof text, ".%c", readstat_value_tag(value));
        r->missing[j] = true;
    } else if (!readstat_value_is_system_missing(value)) {
        double x = readstat_double_value(value);
        double serial = v->date == DATE_SPSS_SECONDS ? x / 86400.0 - SPSS_TO_SERIAL_DAYS
                      : v->date == DATE_STATA_DAYS ? x - STATA_TO_SERIAL_DAYS
                      : v->date == DATE_STATA_MS ? x / 86400000.0 - STATA_TO_SERIAL_DAYS : 0;
        if (v->date == DATE_NONE || !table_format_date(serial, false, text, sizeof text))
            table_format_number(x, text, sizeof text);
        r->missing[j] = readstat_value_is_defined_missing(value, variable) != 0;
    }
    if (!readstat_value_is_system_missing(value))
        r->cell_labels[j] = find_label(r, v->set, value);
    if (set_field(r, j, out) != SIPAS_OK) {
        r->status = SIPAS_ERR_NOMEM;
        return READSTAT_HANDLER_ABORT;
    }
    return READSTAT_HANDLER_OK;
}

static void release(stat_reader *r)
{
    for (size_t j = 0; j < r->nvars; j++) {
        if (r->vars) {
            free(r->vars[j].name);
            free(r->vars[j].set);
        }
        if (r->fields)
            free(r->fields[j]);
    }
    for (size_t i = 0; i < r->nlabels; i++) {
        free(r->labels[i].set);
        free(r->labels[i].string_key);
        free(r->labels[i].label);
    }
    free(r->labels);
    free(r->vars);
    free(r->fields);
    free(r->lengths);
    free(r->cell_labels);
    free(r->missing);
}

static int on_progress(double progress, void *ctx)
{
    stat_reader *r = ctx;
    table_progress(r->source, (uint64_t)(progress * 1000.0), 1000);
    return READSTAT_HANDLER_OK;
}

static sipas_status parse(stat_reader *r, bool cases)
{
    readstat_parser_t *parser = readstat_parser_init();
    if (parser == NULL)
        return sipas_error_set(r->err, SIPAS_ERR_NOMEM, "out of memory");
    if (cases) {
        readstat_set_value_handler(parser, on_value);
        readstat_set_progress_handler(parser, on_progress);
    } else {
        readstat_set_metadata_handler(parser, on_metadata);
        readstat_set_value_label_handler(parser, on_value_label);
    }
    readstat_set_variable_handler(parser, on_variable);
    readstat_error_t rc;
    const char *program;
    switch (r->source->format) {
    case SIPAS_TABLE_SAV:
        rc = readstat_parse_sav(parser, r->source->path, r);
        program = "SPSS";
        break;
    case SIPAS_TABLE_DTA:
        rc = readstat_parse_dta(parser, r->source->path, r);
        program = "Stata";
        break;
    case SIPAS_TABLE_SAS7BDAT:
        rc = readstat_parse_sas7bdat(parser, r->source->path, r);
        program = "SAS";
        break;
    default:
        rc = readstat_parse_xport(parser, r->source->path, r);
        program = "SAS";
        break;
    }
    readstat_parser_free(parser);
    if (r->status != SIPAS_OK)
        return r->status;
    if (rc != READSTAT_OK)
        return sipas_error_set(r->err, SIPAS_ERR_FORMAT, "%s: not a readable %s file (%s); it may "
                               "be damaged or cut short: save it again from %s", r->source->name,
                               program, readstat_error_message(rc), program);
    return SIPAS_OK;
}

sipas_status table_read_stat_file(sipas_table_source *source, sipas_error *err)
{
    stat_reader r = {.source = source, .err = err, .obs = -1};
    sipas_status st = parse(&r, false);
    if (st == SIPAS_OK && r.nvars == 0)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the file has no variables", source->name);
    if (st == SIPAS_OK)
        st = parse(&r, true);
    if (st == SIPAS_OK && r.obs >= 0)
        st = emit_case(&r, (size_t)r.obs + 1);
    else if (st == SIPAS_OK) {
        /* no cases: still deliver the header, so that the caller can say there are no rows */
        for (size_t j = 0; j < r.nvars && st == SIPAS_OK; j++)
            st = set_field(&r, j, r.vars[j].name ? r.vars[j].name : "");
        if (st == SIPAS_OK)
            st = emit_case(&r, 0);
    }
    release(&r);
    return st;
}

/* ---- export --------------------------------------------------------------------------------- */

/* Stata limits: variable labels to 80 bytes, value labels to 32000; cut at a UTF-8 boundary. */
#define DTA_VARIABLE_LABEL_MAX 80
#define STRING_WIDTH_MAX 2045 /* Stata str2045; SPSS allows more, but one limit keeps both */

typedef struct stat_writer {
    const sipas_instrument *inst;
    FILE *out;
    readstat_writer_t *writer;
    readstat_variable_t **vars;
    size_t *widths;            /* text columns: longest value in bytes */
    int64_t rows;
    bool counting;
    sipas_error *err;
} stat_writer;

static const char *choice_label(const sipas_choice *ch)
{
    return ch->label_vi && *ch->label_vi ? ch->label_vi
         : ch->label_en && *ch->label_en ? ch->label_en : ch->name;
}

static const char *item_label(const sipas_item *it)
{
    return it->label_vi && *it->label_vi ? it->label_vi
         : it->label_en && *it->label_en ? it->label_en : "";
}

/* Whether the item is written as a number: integer-coded lists, integers and decimals. */
static bool numeric_item(const sipas_item *it)
{
    if (it->personal || it->type == SIPAS_TYPE_TEXT)
        return false;
    if (it->type != SIPAS_TYPE_SELECT_ONE)
        return true;
    for (size_t i = 0; i < it->list->nchoices; i++)
        if (!it->list->choices[i].has_value)
            return false;
    return true;
}

static ssize_t write_bytes(const void *bytes, size_t len, void *ctx)
{
    stat_writer *w = ctx;
    return fwrite(bytes, 1, len, w->out) == len ? (ssize_t)len : -1;
}

static void utf8_cut(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    s[max] = '\0';
}

static sipas_status writer_failed(stat_writer *w, readstat_error_t rc, const char *what)
{
    return sipas_error_set(w->err, SIPAS_ERR_IO, "cannot write the %s: %s", what,
                           readstat_error_message(rc));
}

static sipas_status export_row(void *ctx, const sipas_value *values, sipas_error *err)
{
    stat_writer *w = ctx;
    const sipas_instrument *inst = w->inst;
    if (w->counting) {
        w->rows++;
        for (size_t k = 0; k < inst->nitems; k++)
            if (values[k].kind == SIPAS_VALUE_TEXT && values[k].len > w->widths[k])
                w->widths[k] = values[k].len;
        return SIPAS_OK;
    }
    readstat_error_t rc = readstat_begin_row(w->writer);
    char text[64];
    for (size_t k = 0; k < inst->nitems && rc == READSTAT_OK; k++) {
        const sipas_value *v = &values[k];
        readstat_variable_t *var = w->vars[k];
        if (numeric_item(&inst->items[k])) {
            if (v->kind == SIPAS_VALUE_INT)
                rc = readstat_insert_double_value(w->writer, var, (double)v->i);
            else if (v->kind == SIPAS_VALUE_REAL)
                rc = readstat_insert_double_value(w->writer, var, v->r);
            else if (v->kind == SIPAS_VALUE_TEXT) /* a number stored as text: as written */
                rc = readstat_insert_double_value(w->writer, var, strtod(v->text, NULL));
            else
                rc = readstat_insert_missing_value(w->writer, var);
            continue;
        }
        const char *s = "";
        char *owned = NULL;
        if (v->kind == SIPAS_VALUE_TEXT) {
            owned = strndup(v->text, v->len < STRING_WIDTH_MAX ? v->len : STRING_WIDTH_MAX);
            if (owned == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            s = owned;
        } else if (v->kind == SIPAS_VALUE_INT) {
            snprintf(text, sizeof text, "%lld", (long long)v->i);
            s = text;
        } else if (v->kind == SIPAS_VALUE_REAL) {
            table_format_number(v->r, text, sizeof text);
            s = text;
        }
        rc = readstat_insert_string_value(w->writer, var, s);
        free(owned);
    }
    if (rc == READSTAT_OK)
        rc = readstat_end_row(w->writer);
    w->rows++;
    return rc == READSTAT_OK ? SIPAS_OK : writer_failed(w, rc, "data");
}

static sipas_status define_variables(stat_writer *w, sipas_stat_format format)
{
    const sipas_instrument *inst = w->inst;
    for (size_t k = 0; k < inst->nitems; k++) {
        const sipas_item *it = &inst->items[k];
        bool numeric = numeric_item(it);
        size_t width = w->widths[k] ? w->widths[k] : 1;
        readstat_variable_t *var = readstat_add_variable(
            w->writer, it->name, numeric ? READSTAT_TYPE_DOUBLE : READSTAT_TYPE_STRING,
            numeric ? 0 : (width < STRING_WIDTH_MAX ? width : STRING_WIDTH_MAX));
        if (var == NULL)
            return sipas_error_set(w->err, SIPAS_ERR_NOMEM, "out of memory");
        w->vars[k] = var;
        char label[1024];
        snprintf(label, sizeof label, "%s", item_label(it));
        if (format == SIPAS_STAT_DTA)
            utf8_cut(label, DTA_VARIABLE_LABEL_MAX);
        readstat_variable_set_label(var, label);
        if (numeric) {
            readstat_variable_set_measure(var, it->type == SIPAS_TYPE_SELECT_ONE
                                                   ? READSTAT_MEASURE_ORDINAL : READSTAT_MEASURE_SCALE);
            if (it->type == SIPAS_TYPE_DECIMAL)
                readstat_variable_set_format(var, format == SIPAS_STAT_DTA ? "%12.0g" : "F12.6");
        }
        if (!numeric || it->type != SIPAS_TYPE_SELECT_ONE)
            continue;
        readstat_label_set_t *set = readstat_add_label_set(w->writer, READSTAT_TYPE_DOUBLE,
                                                           it->list->name);
        if (set == NULL)
            return sipas_error_set(w->err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < it->list->nchoices; i++) {
            const sipas_choice *ch = &it->list->choices[i];
            readstat_label_double_value(set, (double)ch->value, choice_label(ch));
            if (format == SIPAS_STAT_SAV && ch->missing != SIPAS_MISSING_NONE) {
                readstat_error_t rc = readstat_variable_add_missing_double_value(var, (double)ch->value);
                if (rc != READSTAT_OK)
                    return sipas_error_set(w->err, SIPAS_ERR_USAGE, "column '%s': SPSS allows "
                                           "three missing values, list '%s' has more (%s)",
                                           it->name, it->list->name, readstat_error_message(rc));
            }
        }
        readstat_variable_set_label_set(var, set);
    }
    return SIPAS_OK;
}

sipas_status sipas_stat_export(sipas_store *store, const sipas_instrument *inst, int64_t batch_id,
                               sipas_stat_format format, const char *path, int64_t *rows,
                               sipas_error *err)
{
    stat_writer w = {.inst = inst, .err = err, .counting = true};
    const char **columns = alloc_array(inst->nitems, sizeof *columns);
    w.vars = alloc_array(inst->nitems, sizeof *w.vars);
    w.widths = alloc_array(inst->nitems, sizeof *w.widths);
    sipas_atomic_file *file = NULL; /* the whole file or none of it at path */
    sipas_status st = SIPAS_OK;
    if (columns == NULL || w.vars == NULL || w.widths == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < inst->nitems; k++)
        columns[k] = inst->items[k].name;
    /* first pass: how many cases (the header states it) and how wide each text column is */
    st = sipas_store_query_responses(store, inst->form_id, columns, inst->nitems, NULL, 0,
                                     batch_id, export_row, &w, err);
    if (st != SIPAS_OK)
        goto done;
    w.counting = false;
    if ((st = sipas_atomic_file_open(path, &file, err)) != SIPAS_OK)
        goto done;
    w.out = sipas_atomic_file_stream(file);
    w.writer = readstat_writer_init();
    if (w.out == NULL) {
        st = sipas_atomic_file_commit(file, err); /* reports why the stream could not open */
        file = NULL;
        if (st == SIPAS_OK)
            st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s'", path);
        goto done;
    }
    if (w.writer == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    readstat_set_data_writer(w.writer, write_bytes);
    char file_label[81];
    snprintf(file_label, sizeof file_label, "%s", inst->title_vi && *inst->title_vi ? inst->title_vi
                                                                                   : inst->form_id);
    utf8_cut(file_label, 80);
    readstat_writer_set_file_label(w.writer, file_label);
    if ((st = define_variables(&w, format)) != SIPAS_OK)
        goto done;
    readstat_error_t rc = format == SIPAS_STAT_SAV
                        ? readstat_begin_writing_sav(w.writer, &w, (long)w.rows)
                        : readstat_begin_writing_dta(w.writer, &w, (long)w.rows);
    if (rc == READSTAT_OK)
        rc = readstat_validate_metadata(w.writer);
    for (size_t k = 0; k < inst->nitems && rc == READSTAT_OK; k++) {
        rc = readstat_validate_variable(w.writer, w.vars[k]);
        if (rc != READSTAT_OK) {
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "column '%s' cannot be written to a %s "
                                 "file: %s", inst->items[k].name,
                                 format == SIPAS_STAT_SAV ? "SPSS" : "Stata",
                                 readstat_error_message(rc));
            goto done;
        }
    }
    if (rc != READSTAT_OK) {
        st = writer_failed(&w, rc, "file header");
        goto done;
    }
    w.rows = 0;
    st = sipas_store_query_responses(store, inst->form_id, columns, inst->nitems, NULL, 0,
                                     batch_id, export_row, &w, err);
    if (st != SIPAS_OK)
        goto done;
    rc = readstat_end_writing(w.writer);
    if (rc != READSTAT_OK) {
        st = writer_failed(&w, rc, "file");
        goto done;
    }
    w.out = NULL;
    st = sipas_atomic_file_commit(file, err);
    file = NULL;
    if (st != SIPAS_OK)
        goto done;
    if (rows)
        *rows = w.rows;
    st = SIPAS_OK;
done:
    sipas_atomic_file_discard(file);
    if (w.writer)
        readstat_writer_free(w.writer);
    free(columns);
    free(w.vars);
    free(w.widths);
    return st;
}
