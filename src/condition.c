/* The condition language of --where (include/sipas/condition.h): parses "district=cao_loc",
 * "wave>=2020", "sector in land,justice" into a sipas_filter, and compiles a filter against a
 * loaded dataset (src/compiled_condition.h) so that testing a row costs a comparison of level
 * indices or numbers, not of text. Messages name the condition and the column. */
#include "sipas/condition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiled_condition.h"
#include "text.h"

void sipas_condition_release(sipas_condition *cond)
{
    if (cond == NULL)
        return;
    free(cond->storage);
    free(cond->values);
    memset(cond, 0, sizeof *cond);
}

static bool column_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

sipas_status sipas_condition_parse(const char *text, sipas_condition *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    if (len > 4096)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition is too long (%zu bytes)", len);
    out->storage = malloc(len + 2);
    if (out->storage == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    char *s = out->storage;
    memcpy(s, text, len + 1);
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    size_t name_start = i;
    while (column_char(s[i]))
        i++;
    size_t name_end = i;
    if (name_end == name_start) {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' does not start with a column "
                               "name (write COLUMN=VALUE, COLUMN>=VALUE or 'COLUMN in A,B')", text);
    }
    while (s[i] == ' ')
        i++;
    sipas_filter_op op;
    if (s[i] == '=' ) { op = SIPAS_OP_EQ; i += s[i + 1] == '=' ? 2 : 1; }
    else if (s[i] == '!' && s[i + 1] == '=') { op = SIPAS_OP_NE; i += 2; }
    else if (s[i] == '<' && s[i + 1] == '>') { op = SIPAS_OP_NE; i += 2; }
    else if (s[i] == '<' && s[i + 1] == '=') { op = SIPAS_OP_LE; i += 2; }
    else if (s[i] == '>' && s[i + 1] == '=') { op = SIPAS_OP_GE; i += 2; }
    else if (s[i] == '<') { op = SIPAS_OP_LT; i += 1; }
    else if (s[i] == '>') { op = SIPAS_OP_GT; i += 1; }
    else if ((s[i] == 'i' || s[i] == 'I') && (s[i + 1] == 'n' || s[i + 1] == 'N') && s[i + 2] == ' ' &&
             i > name_end) { op = SIPAS_OP_IN; i += 3; }
    else {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' has no operator (= != < <= > "
                               ">= or in)", text);
    }
    s[name_end] = '\0';
    out->filter.column = s + name_start;
    out->filter.op = op;
    char *rest = s + i;
    size_t nvalues = 1;
    if (op == SIPAS_OP_IN)
        for (char *p = rest; *p; p++)
            nvalues += *p == ',';
    out->values = calloc(nvalues, sizeof *out->values);
    if (out->values == NULL) {
        sipas_condition_release(out);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    char *p = rest;
    for (;;) {
        char *end = op == SIPAS_OP_IN ? strchr(p, ',') : NULL;
        if (end)
            *end = '\0';
        size_t start, vlen;
        sipas_text_trim(p, strlen(p), &start, &vlen);
        p[start + vlen] = '\0';
        if (vlen == 0) {
            sipas_condition_release(out);
            return sipas_error_set(err, SIPAS_ERR_USAGE, "condition '%s' has an empty value", text);
        }
        out->values[n++] = p + start;
        if (end == NULL)
            break;
        p = end + 1;
    }
    out->filter.nvalues = n;
    out->filter.values = out->values;
    return SIPAS_OK;
}

sipas_status compile_condition(const sipas_dataset *data, const sipas_filter *f,
                               compiled_condition *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    const sipas_column *col = sipas_dataset_column(data, f->column);
    const sipas_item *it = col ? NULL : sipas_instrument_item(data->inst, f->column);
    if (it && it->personal)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' is personal data, stored "
                               "only as a keyed hash; it cannot select respondents", f->column);
    if (it && it->role == SIPAS_ROLE_ID) /* unique per respondent: not loaded for analysis */
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' is the respondent id; "
                               "it cannot select a domain (use sipas-collect export to find a "
                               "respondent)", f->column);
    if (col == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--where: form '%s' has no column '%s'",
                               data->inst->form_id, f->column);
    out->col = col;
    out->op = f->op;
    out->nvalues = f->nvalues;
    out->numbers = calloc(f->nvalues, sizeof *out->numbers);
    out->levels = calloc(f->nvalues, sizeof *out->levels);
    if (out->numbers == NULL || out->levels == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    bool ordered = f->op == SIPAS_OP_LT || f->op == SIPAS_OP_LE || f->op == SIPAS_OP_GT || f->op == SIPAS_OP_GE;
    if (ordered && col->is_text)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: column '%s' holds text; use = != or in",
                               f->column);
    for (size_t v = 0; v < f->nvalues; v++) {
        const char *value = f->values[v];
        const sipas_choice *ch = col->item->list ? sipas_choice_list_match(col->item->list, value, strlen(value)) : NULL;
        const char *code = ch ? ch->name : value;
        if (col->item->list && ch == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "--where: '%s' is not a code or label "
                                   "of list '%s' (column '%s')", value, col->item->list->name, f->column);
        if (col->is_text) {
            out->levels[v] = -1;
            for (size_t l = 0; l < col->nlevels; l++)
                if (strcmp(col->levels[l], code) == 0)
                    out->levels[v] = (int32_t)l;
        } else {
            char *end = NULL;
            out->numbers[v] = strtod(code, &end);
            if (end == code || *end != '\0' || !isfinite(out->numbers[v]))
                return sipas_error_set(err, SIPAS_ERR_USAGE, "--where: '%s' is not a number (column "
                                       "'%s' is numeric)", value, f->column);
        }
    }
    return SIPAS_OK;
}

bool condition_holds(const compiled_condition *c, size_t i)
{
    const sipas_column *col = c->col;
    if (col->is_text) {
        int32_t l = col->level[i];
        if (l < 0)
            return false;
        bool any = false;
        for (size_t v = 0; v < c->nvalues; v++)
            any |= c->levels[v] == l;
        return c->op == SIPAS_OP_NE ? !any : any;
    }
    double x = sipas_column_number(col, i);
    if (isnan(x))
        return false;
    switch (c->op) {
    case SIPAS_OP_EQ: return x == c->numbers[0];
    case SIPAS_OP_NE: return x != c->numbers[0];
    case SIPAS_OP_LT: return x < c->numbers[0];
    case SIPAS_OP_LE: return x <= c->numbers[0];
    case SIPAS_OP_GT: return x > c->numbers[0];
    case SIPAS_OP_GE: return x >= c->numbers[0];
    case SIPAS_OP_IN:
        for (size_t v = 0; v < c->nvalues; v++)
            if (x == c->numbers[v])
                return true;
        return false;
    }
    return false;
}

void compiled_condition_release(compiled_condition *c)
{
    free(c->numbers);
    free(c->levels);
    memset(c, 0, sizeof *c);
}
