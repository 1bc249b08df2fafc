/* src/instrument.c - Survey instruments (sipas/instrument.h): loading the four CSV sheets of a
 * folder, checking every reference between them with a message naming sheet, row and column, and
 * hashing them. */
#include "sipas/instrument.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sipas/csv_reader.h"
#include "sipas/hash.h"
#include "text.h"

/* Caps on what a sheet may hold: an instrument is edited by hand, so anything near these is a
 * wrong file, and they bound the memory a bad file can take. */
#define SHEET_MAX_BYTES ((size_t)8 << 20)
#define SHEET_MAX_ROWS ((size_t)100000)

/* The sheets in the order they are hashed. */
enum { SHEET_SETTINGS, SHEET_SURVEY, SHEET_CHOICES, SHEET_ELEMENTS, NSHEETS };
static const char *const sheet_names[NSHEETS] = {"settings.csv", "survey.csv", "choices.csv",
                                                 "elements.csv"};

typedef struct sheet_row {
    size_t line;
    size_t nfields;
    char **fields; /* trimmed copies */
} sheet_row;

typedef struct sheet {
    char *path;
    size_t ncols;
    char **header;
    size_t nrows, cap;
    sheet_row *rows;
} sheet;

static void sheet_release(sheet *s)
{
    for (size_t i = 0; i < s->ncols; i++)
        free(s->header[i]);
    free(s->header);
    for (size_t r = 0; r < s->nrows; r++) {
        for (size_t i = 0; i < s->rows[r].nfields; i++)
            free(s->rows[r].fields[i]);
        free(s->rows[r].fields);
    }
    free(s->rows);
    free(s->path);
    memset(s, 0, sizeof *s);
}

static char *copy_trimmed(const char *s, size_t len)
{
    size_t start, n;
    sipas_text_trim(s, len, &start, &n);
    char *out = malloc(n + 1);
    if (out != NULL) {
        memcpy(out, s + start, n);
        out[n] = '\0';
    }
    return out;
}

static sipas_status sheet_row_fn(void *ctx, size_t row, size_t nfields, char *const *fields,
                                 const size_t *lengths, sipas_error *err)
{
    sheet *s = ctx;
    /* fields are UTF-8: the CSV reader converts the sheet from its encoding (encoding.h) */
    if (s->header == NULL) {
        s->header = calloc(nfields, sizeof *s->header);
        if (s->header == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < nfields; i++) {
            s->header[i] = copy_trimmed(fields[i], lengths[i]);
            if (s->header[i] == NULL)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            s->ncols = i + 1;
            for (size_t j = 0; j < i; j++)
                if (s->header[i][0] != '\0' && strcasecmp(s->header[i], s->header[j]) == 0)
                    return sipas_error_set(err, SIPAS_ERR_FORMAT,
                                           "%s:%zu: column '%s' appears twice", s->path, row,
                                           s->header[i]);
        }
        return SIPAS_OK;
    }
    for (size_t i = s->ncols; i < nfields; i++) {
        size_t start, n;
        sipas_text_trim(fields[i], lengths[i], &start, &n);
        if (n > 0)
            return sipas_error_set(err, SIPAS_ERR_FORMAT,
                                   "%s:%zu: field %zu '%s' is beyond the last named column",
                                   s->path, row, i + 1, fields[i]);
    }
    if (s->nrows == SHEET_MAX_ROWS)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "%s:%zu: more than %zu rows", s->path, row,
                               SHEET_MAX_ROWS);
    if (s->nrows == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        sheet_row *rows = realloc(s->rows, cap * sizeof *rows);
        if (rows == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        s->rows = rows;
        s->cap = cap;
    }
    size_t keep = nfields < s->ncols ? nfields : s->ncols;
    sheet_row *r = &s->rows[s->nrows];
    r->line = row;
    r->nfields = 0;
    r->fields = calloc(keep ? keep : 1, sizeof *r->fields);
    if (r->fields == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    s->nrows++;
    for (size_t i = 0; i < keep; i++) {
        r->fields[i] = copy_trimmed(fields[i], lengths[i]);
        if (r->fields[i] == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        r->nfields = i + 1;
    }
    return SIPAS_OK;
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t nl = strlen(name);
    char *p = malloc(dl + 1 + nl + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

/* Reads the whole sheet (it is small), feeds its bytes to the hash, then parses them. */
static sipas_status sheet_load(const char *dir, const char *name, sheet *s, sipas_sha256 *hash,
                               sipas_error *err)
{
    sipas_status st = SIPAS_OK;
    char *buf = NULL;
    sipas_csv_reader *reader = NULL;
    s->path = join_path(dir, name);
    if (s->path == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    FILE *f = fopen(s->path, "rb");
    if (f == NULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", s->path,
                               strerror(errno));
    buf = malloc(SHEET_MAX_BYTES + 1);
    if (buf == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    size_t len = fread(buf, 1, SHEET_MAX_BYTES + 1, f);
    if (ferror(f)) {
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", s->path,
                             strerror(errno));
        goto cleanup;
    }
    if (len > SHEET_MAX_BYTES) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "%s: larger than %zu bytes", s->path,
                             SHEET_MAX_BYTES);
        goto cleanup;
    }
    sipas_sha256_update(hash, name, strlen(name) + 1);
    sipas_sha256_update(hash, buf, len);
    st = sipas_csv_reader_new(NULL, s->path, sheet_row_fn, s, &reader, err);
    if (st == SIPAS_OK)
        st = sipas_csv_reader_feed(reader, buf, len, err);
    if (st == SIPAS_OK)
        st = sipas_csv_reader_finish(reader, err);
    if (st == SIPAS_OK && s->header == NULL)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: empty sheet (no header row)", s->path);

cleanup:
    sipas_csv_reader_free(reader);
    free(buf);
    fclose(f);
    return st;
}

static int sheet_col(const sheet *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcasecmp(s->header[i], name) == 0)
            return (int)i;
    return -1;
}

/* Does header name PREFIX in language lang ("vi" or "en")? KoboToolbox and XLSForm write the
 * language as "label::Tiếng Việt (vi)" or "label::Vietnamese" as well as "label::vi". */
static bool names_language(const char *header, const char *prefix, const char *lang)
{
    size_t plen = strlen(prefix);
    if (strncasecmp(header, prefix, plen) != 0 || strncmp(header + plen, "::", 2) != 0)
        return false;
    const char *name = header + plen + 2;
    size_t len = strlen(name);
    if (len >= 4 && name[len - 1] == ')') {
        const char *open = strrchr(name, '(');
        size_t code_len = open ? (size_t)(name + len - 1 - (open + 1)) : 0;
        return open != NULL && code_len == strlen(lang) && strncasecmp(open + 1, lang, code_len) == 0;
    }
    static const char *const vi_names[] = {"vi", "vie", "vietnamese", "Tiếng Việt", NULL};
    static const char *const en_names[] = {"en", "eng", "english", "Tiếng Anh", NULL};
    const char *const *names = strcmp(lang, "vi") == 0 ? vi_names : en_names;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

/* The column of PREFIX in language lang, or -1. A bare PREFIX column (an XLSForm with one
 * language) is the Vietnamese one when no PREFIX::vi column is there. */
static int sheet_lang_col(const sheet *s, const char *prefix, const char *lang)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (names_language(s->header[i], prefix, lang))
            return (int)i;
    return strcmp(lang, "vi") == 0 ? sheet_col(s, prefix) : -1;
}

static const char *cell(const sheet_row *r, int col)
{
    if (col < 0 || (size_t)col >= r->nfields)
        return "";
    return r->fields[col];
}

typedef struct loader {
    sheet sheets[NSHEETS];
    sipas_instrument *inst;
    sipas_error *err;
} loader;

/* "DIR/SHEET.csv:ROW: reason" (or without ROW when line is 0). */
__attribute__((format(printf, 4, 5)))
static sipas_status refuse(loader *ld, int which, size_t line, const char *fmt, ...)
{
    char reason[SIPAS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    const char *path = ld->sheets[which].path;
    if (line > 0)
        return sipas_error_set(ld->err, SIPAS_ERR_FORMAT, "%s:%zu: %s", path, line, reason);
    return sipas_error_set(ld->err, SIPAS_ERR_FORMAT, "%s: %s", path, reason);
}

/* A sheet whose labels sipas cannot find would load with every label blank: refused, naming
 * the label columns it has. */
static sipas_status require_label_column(loader *ld, int which)
{
    const sheet *s = &ld->sheets[which];
    if (sheet_lang_col(s, "label", "vi") >= 0 || sheet_lang_col(s, "label", "en") >= 0)
        return SIPAS_OK;
    char found[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < s->ncols && used + 1 < sizeof found; i++) {
        if (strncasecmp(s->header[i], "label", 5) != 0)
            continue;
        int n = snprintf(found + used, sizeof found - used, "%s'%s'", used ? ", " : "",
                         s->header[i]);
        if (n > 0)
            used = used + (size_t)n < sizeof found ? used + (size_t)n : sizeof found - 1;
    }
    return refuse(ld, which, 0, "no label column in Vietnamese or English (label::vi, label::en, "
                  "or label::Tiếng Việt (vi) as KoboToolbox writes it)%s%s",
                  used ? "; found " : "", found);
}

static sipas_status require_columns(loader *ld, int which, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (sheet_col(&ld->sheets[which], names[i]) < 0)
            return refuse(ld, which, 1, "missing column '%s'", names[i]);
    return SIPAS_OK;
}

static bool parse_long(const char *s, long *out)
{
    if (*s == '\0')
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* yes/no, 1/0, true/false in any case; an empty cell gives dflt. */
static bool parse_flag(const char *s, bool dflt, bool *out)
{
    if (*s == '\0')
        *out = dflt;
    else if (strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

static const char *const scoring_names[] = {"satisfied_share", "percent_to_max", "nps"};
static const char *const role_names[] = {"", "id", "wave", "stratum", "cluster", "weight",
                                         "fpc", "domain", "criterion"};
static const char *const missing_names[] = {"", "dont_know", "not_applicable", "refused"};

static int lookup_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Names that become SQL column names and CLI arguments: ASCII letters, digits and '_', not
 * starting with a digit. */
static bool is_identifier(const char *s)
{
    if (*s == '\0' || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool is_form_id(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

static sipas_status nomem(loader *ld)
{
    return sipas_error_set(ld->err, SIPAS_ERR_NOMEM, "out of memory");
}

static const char *base_name(const char *dir, size_t *len)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t start = dl;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    *len = dl - start;
    return dir + start;
}

static sipas_status load_settings(loader *ld, const char *dir)
{
    static const char *const required[] = {"form_id", "version", NULL};
    sipas_status st = require_columns(ld, SHEET_SETTINGS, required);
    if (st != SIPAS_OK)
        return st;
    const sheet *s = &ld->sheets[SHEET_SETTINGS];
    if (s->nrows == 0)
        return refuse(ld, SHEET_SETTINGS, 0, "no settings row under the header");
    if (s->nrows > 1)
        return refuse(ld, SHEET_SETTINGS, s->rows[1].line, "more than one settings row");
    const sheet_row *r = &s->rows[0];
    const char *form_id = cell(r, sheet_col(s, "form_id"));
    const char *version = cell(r, sheet_col(s, "version"));
    const char *scoring = cell(r, sheet_col(s, "scoring"));
    const char *language = cell(r, sheet_col(s, "default_language"));
    if (!is_form_id(form_id))
        return refuse(ld, SHEET_SETTINGS, r->line,
                      "form_id '%s' must be lowercase letters, digits and '_'", form_id);
    size_t blen;
    const char *base = base_name(dir, &blen);
    if (strlen(form_id) != blen || memcmp(form_id, base, blen) != 0)
        return refuse(ld, SHEET_SETTINGS, r->line,
                      "form_id '%s' differs from the folder name '%.*s'", form_id, (int)blen,
                      base);
    if (*version == '\0')
        return refuse(ld, SHEET_SETTINGS, r->line, "empty version");
    int sc = *scoring == '\0' ? (int)SIPAS_SCORING_SATISFIED_SHARE
                              : lookup_name(scoring, scoring_names, 3);
    if (sc < 0)
        return refuse(ld, SHEET_SETTINGS, r->line,
                      "unknown scoring '%s' (expected satisfied_share, percent_to_max or nps)",
                      scoring);
    if (*language == '\0')
        language = "vi";
    if (strcmp(language, "vi") != 0 && strcmp(language, "en") != 0)
        return refuse(ld, SHEET_SETTINGS, r->line,
                      "default_language '%s' must be 'vi' or 'en'", language);
    sipas_instrument *inst = ld->inst;
    bool ok = true;
    inst->form_id = dup_or_null(form_id, &ok);
    inst->version = dup_or_null(version, &ok);
    inst->title_vi = dup_or_null(cell(r, sheet_lang_col(s, "form_title", "vi")), &ok);
    inst->title_en = dup_or_null(cell(r, sheet_lang_col(s, "form_title", "en")), &ok);
    inst->default_language = dup_or_null(language, &ok);
    inst->scoring = (sipas_scoring)sc;
    return ok ? SIPAS_OK : nomem(ld);
}

static sipas_status load_elements(loader *ld)
{
    static const char *const required[] = {"name", NULL};
    sipas_status st = require_columns(ld, SHEET_ELEMENTS, required);
    if (st == SIPAS_OK)
        st = require_label_column(ld, SHEET_ELEMENTS);
    if (st != SIPAS_OK)
        return st;
    const sheet *s = &ld->sheets[SHEET_ELEMENTS];
    int c_name = sheet_col(s, "name"), c_vi = sheet_lang_col(s, "label", "vi");
    int c_en = sheet_lang_col(s, "label", "en"), c_weight = sheet_col(s, "weight");
    sipas_instrument *inst = ld->inst;
    inst->elements = calloc(s->nrows ? s->nrows : 1, sizeof *inst->elements);
    if (inst->elements == NULL)
        return nomem(ld);
    for (size_t i = 0; i < s->nrows; i++) {
        const sheet_row *r = &s->rows[i];
        const char *name = cell(r, c_name);
        if (!is_identifier(name))
            return refuse(ld, SHEET_ELEMENTS, r->line,
                          "element name '%s' must be letters, digits and '_'", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(inst->elements[j].name, name) == 0)
                return refuse(ld, SHEET_ELEMENTS, r->line,
                              "duplicate element '%s' (first at row %zu)", name,
                              s->rows[j].line);
        const char *w = cell(r, c_weight);
        double weight = 1.0;
        if (*w != '\0') {
            char *end;
            errno = 0;
            weight = strtod(w, &end);
            /* 0 is allowed: such an element is reported alone, outside the overall index. */
            if (errno != 0 || *end != '\0' || !isfinite(weight) || weight < 0)
                return refuse(ld, SHEET_ELEMENTS, r->line,
                              "element '%s': weight '%s' is not a number >= 0", name, w);
        }
        sipas_element *e = &inst->elements[i];
        bool ok = true;
        e->name = dup_or_null(name, &ok);
        e->label_vi = dup_or_null(cell(r, c_vi), &ok);
        e->label_en = dup_or_null(cell(r, c_en), &ok);
        e->weight = weight;
        inst->nelements = i + 1;
        if (!ok)
            return nomem(ld);
    }
    return SIPAS_OK;
}

static sipas_choice_list *find_list(sipas_instrument *inst, const char *name)
{
    for (size_t i = 0; i < inst->nlists; i++)
        if (strcmp(inst->lists[i].name, name) == 0)
            return &inst->lists[i];
    return NULL;
}

static sipas_status label_key(loader *ld, const sheet_row *r, const char *label, char **out)
{
    sipas_error kerr;
    *out = sipas_text_key(label, strlen(label), &kerr);
    if (*out == NULL)
        return sipas_error_set(ld->err, kerr.status, "%s:%zu: label '%s': %s",
                               ld->sheets[SHEET_CHOICES].path, r->line, label, kerr.message);
    return SIPAS_OK;
}

static bool has_alias_key(const sipas_choice *ch, const char *key)
{
    for (size_t a = 0; a < ch->naliases; a++)
        if (strcmp(ch->alias_keys[a], key) == 0)
            return true;
    return false;
}

/* A label that means two codes would make answers ambiguous. A label is compared with the
 * labels of its language and with every alias; an alias (alias = true) with everything. */
static sipas_status check_label_unique(loader *ld, const sipas_choice_list *list,
                                       const sheet_row *r, const char *key, const char *label,
                                       bool english, bool alias)
{
    if (*key == '\0')
        return SIPAS_OK;
    for (size_t j = 0; j + 1 < list->nchoices; j++) {
        const sipas_choice *other = &list->choices[j];
        bool same = alias ? strcmp(other->key_vi, key) == 0 || strcmp(other->key_en, key) == 0
                          : strcmp(english ? other->key_en : other->key_vi, key) == 0;
        if (same || has_alias_key(other, key))
            return refuse(ld, SHEET_CHOICES, r->line,
                          "%s '%s' is already used by choice '%s' of list '%s'",
                          alias ? "alias" : "label", label, other->name, list->name);
    }
    return SIPAS_OK;
}

/* The '|'-separated names of an aliases cell, trimmed, empty ones skipped. */
static sipas_status parse_aliases(loader *ld, const char *text, size_t *n, char ***out)
{
    *n = 0;
    *out = NULL;
    if (*text == '\0')
        return SIPAS_OK;
    size_t max = 1;
    for (const char *p = text; *p; p++)
        max += *p == '|';
    *out = calloc(max, sizeof **out);
    if (*out == NULL)
        return nomem(ld);
    for (const char *p = text;;) {
        size_t len = strcspn(p, "|");
        char *alias = copy_trimmed(p, len);
        if (alias == NULL)
            return nomem(ld);
        if (*alias != '\0')
            (*out)[(*n)++] = alias;
        else
            free(alias);
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return SIPAS_OK;
}

static void free_aliases(size_t n, char **aliases)
{
    for (size_t a = 0; aliases != NULL && a < n; a++)
        free(aliases[a]);
    free(aliases);
}

static sipas_status load_choices(loader *ld)
{
    static const char *const required[] = {"list_name", "name", NULL};
    sipas_status st = require_columns(ld, SHEET_CHOICES, required);
    if (st == SIPAS_OK)
        st = require_label_column(ld, SHEET_CHOICES);
    if (st != SIPAS_OK)
        return st;
    const sheet *s = &ld->sheets[SHEET_CHOICES];
    int c_list = sheet_col(s, "list_name"), c_name = sheet_col(s, "name");
    int c_vi = sheet_lang_col(s, "label", "vi"), c_en = sheet_lang_col(s, "label", "en");
    int c_sat = sheet_col(s, "satisfied"), c_miss = sheet_col(s, "missing");
    int c_aliases = sheet_col(s, "aliases");
    sipas_instrument *inst = ld->inst;
    /* At most one list per row, so the array never moves once filled (items point into it). */
    inst->lists = calloc(s->nrows ? s->nrows : 1, sizeof *inst->lists);
    if (inst->lists == NULL)
        return nomem(ld);
    for (size_t i = 0; i < s->nrows && st == SIPAS_OK; i++) {
        const sheet_row *r = &s->rows[i];
        const char *list_name = cell(r, c_list);
        const char *code = cell(r, c_name);
        if (!is_identifier(list_name)) {
            st = refuse(ld, SHEET_CHOICES, r->line,
                        "list_name '%s' must be letters, digits and '_'", list_name);
            break;
        }
        if (*code == '\0') {
            st = refuse(ld, SHEET_CHOICES, r->line, "list '%s': empty choice name", list_name);
            break;
        }
        sipas_choice_list *list = find_list(inst, list_name);
        if (list == NULL) {
            list = &inst->lists[inst->nlists++];
            list->name = strdup(list_name);
            list->choices = calloc(s->nrows, sizeof *list->choices);
            if (list->name == NULL || list->choices == NULL) {
                st = nomem(ld);
                break;
            }
        }
        for (size_t j = 0; j < list->nchoices; j++)
            if (strcmp(list->choices[j].name, code) == 0)
                st = refuse(ld, SHEET_CHOICES, r->line, "duplicate choice '%s' in list '%s'",
                            code, list_name);
        if (st != SIPAS_OK)
            break;
        const char *sat = cell(r, c_sat), *miss = cell(r, c_miss);
        bool satisfied;
        if (!parse_flag(sat, false, &satisfied)) {
            st = refuse(ld, SHEET_CHOICES, r->line,
                        "satisfied '%s' must be 1 or 0 (or yes/no)", sat);
            break;
        }
        int missing = lookup_name(miss, missing_names, 4);
        if (missing < 0) {
            st = refuse(ld, SHEET_CHOICES, r->line,
                        "unknown missing kind '%s' (expected dont_know, not_applicable or "
                        "refused)", miss);
            break;
        }
        if (missing != SIPAS_MISSING_NONE && satisfied) {
            st = refuse(ld, SHEET_CHOICES, r->line,
                        "choice '%s' is both missing (%s) and satisfied", code, miss);
            break;
        }
        sipas_choice *ch = &list->choices[list->nchoices++];
        bool ok = true;
        ch->name = dup_or_null(code, &ok);
        ch->label_vi = dup_or_null(cell(r, c_vi), &ok);
        ch->label_en = dup_or_null(cell(r, c_en), &ok);
        if (!ok) {
            st = nomem(ld);
            break;
        }
        ch->has_value = parse_long(code, &ch->value);
        ch->satisfied = satisfied;
        ch->missing = (sipas_missing_kind)missing;
        st = label_key(ld, r, ch->label_vi, &ch->key_vi);
        if (st == SIPAS_OK)
            st = label_key(ld, r, ch->label_en, &ch->key_en);
        if (st == SIPAS_OK)
            st = check_label_unique(ld, list, r, ch->key_vi, ch->label_vi, false, false);
        if (st == SIPAS_OK)
            st = check_label_unique(ld, list, r, ch->key_en, ch->label_en, true, false);
        if (st == SIPAS_OK)
            st = parse_aliases(ld, cell(r, c_aliases), &ch->naliases, &ch->aliases);
        if (st == SIPAS_OK && ch->naliases > 0 &&
            (ch->alias_keys = calloc(ch->naliases, sizeof *ch->alias_keys)) == NULL)
            st = nomem(ld);
        for (size_t a = 0; st == SIPAS_OK && a < ch->naliases; a++) {
            st = label_key(ld, r, ch->aliases[a], &ch->alias_keys[a]);
            if (st == SIPAS_OK)
                st = check_label_unique(ld, list, r, ch->alias_keys[a], ch->aliases[a], false,
                                        true);
        }
    }
    if (st != SIPAS_OK)
        return st;
    for (size_t l = 0; l < inst->nlists; l++) {
        sipas_choice_list *list = &inst->lists[l];
        bool any = false;
        for (size_t c = 0; c < list->nchoices; c++) {
            const sipas_choice *ch = &list->choices[c];
            if (!ch->has_value || ch->missing != SIPAS_MISSING_NONE)
                continue;
            if (!any || ch->value < list->scale_min)
                list->scale_min = ch->value;
            if (!any || ch->value > list->scale_max)
                list->scale_max = ch->value;
            any = true;
        }
    }
    return SIPAS_OK;
}

static int find_element(const sipas_instrument *inst, const char *name)
{
    for (size_t i = 0; i < inst->nelements; i++)
        if (strcmp(inst->elements[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The row of choices.csv where a list's choice is, for messages. */
static size_t choice_line(const loader *ld, const char *list, const char *code)
{
    const sheet *s = &ld->sheets[SHEET_CHOICES];
    int c_list = sheet_col(s, "list_name"), c_name = sheet_col(s, "name");
    for (size_t i = 0; i < s->nrows; i++)
        if (strcmp(cell(&s->rows[i], c_list), list) == 0 &&
            strcmp(cell(&s->rows[i], c_name), code) == 0)
            return s->rows[i].line;
    return 0;
}

/* A criterion's list must fit its scoring rule: integer codes always; a satisfied code for
 * satisfied_share; two scale points for percent_to_max; codes 0 to 10 for nps. */
static sipas_status check_criterion_list(loader *ld, const sheet_row *r, const sipas_item *it)
{
    const sipas_choice_list *list = it->list;
    bool any_satisfied = false, any_valid = false;
    for (size_t c = 0; c < list->nchoices; c++) {
        const sipas_choice *ch = &list->choices[c];
        if (!ch->has_value)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "criterion '%s': list '%s' has the non-integer code '%s' "
                          "(choices.csv row %zu)", it->name, list->name, ch->name,
                          choice_line(ld, list->name, ch->name));
        any_satisfied |= ch->satisfied;
        any_valid |= ch->missing == SIPAS_MISSING_NONE;
    }
    if (!any_valid)
        return refuse(ld, SHEET_SURVEY, r->line,
                      "criterion '%s': list '%s' has no choice that is a valid answer",
                      it->name, list->name);
    switch (it->scoring) {
    case SIPAS_SCORING_SATISFIED_SHARE:
        if (!any_satisfied)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "criterion '%s': list '%s' marks no choice satisfied, so the "
                          "satisfied_share is always 0", it->name, list->name);
        break;
    case SIPAS_SCORING_PERCENT_TO_MAX:
        if (list->scale_max <= list->scale_min)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "criterion '%s': list '%s' needs two or more valid codes for "
                          "percent_to_max", it->name, list->name);
        break;
    case SIPAS_SCORING_NPS:
        if (list->scale_min != 0 || list->scale_max != 10)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "criterion '%s': nps needs valid codes from 0 to 10, list '%s' has "
                          "%ld to %ld", it->name, list->name, list->scale_min,
                          list->scale_max);
        break;
    }
    return SIPAS_OK;
}

static sipas_status parse_type(loader *ld, const sheet_row *r, const char *type,
                               sipas_item *it)
{
    if (strcmp(type, "integer") == 0) {
        it->type = SIPAS_TYPE_INTEGER;
    } else if (strcmp(type, "decimal") == 0) {
        it->type = SIPAS_TYPE_DECIMAL;
    } else if (strcmp(type, "text") == 0) {
        it->type = SIPAS_TYPE_TEXT;
    } else if (strncmp(type, "select_one", 10) == 0 && (type[10] == ' ' || type[10] == '\t')) {
        const char *list_name = type + 10;
        while (*list_name == ' ' || *list_name == '\t')
            list_name++;
        it->type = SIPAS_TYPE_SELECT_ONE;
        it->list = find_list(ld->inst, list_name);
        if (it->list == NULL)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "'%s': select_one of undefined list '%s' (not in choices.csv)",
                          it->name, list_name);
    } else {
        return refuse(ld, SHEET_SURVEY, r->line,
                      "'%s': unknown type '%s' (expected select_one LIST, integer, decimal "
                      "or text)", it->name, type);
    }
    return SIPAS_OK;
}

static bool is_design_role(sipas_role role)
{
    return role == SIPAS_ROLE_ID || role == SIPAS_ROLE_WAVE || role == SIPAS_ROLE_STRATUM ||
           role == SIPAS_ROLE_CLUSTER || role == SIPAS_ROLE_WEIGHT || role == SIPAS_ROLE_FPC;
}

static sipas_status load_item(loader *ld, size_t index, const size_t *role_rows)
{
    const sheet *s = &ld->sheets[SHEET_SURVEY];
    const sheet_row *r = &s->rows[index];
    sipas_instrument *inst = ld->inst;
    sipas_item *it = &inst->items[index];
    const char *name = cell(r, sheet_col(s, "name"));
    const char *type = cell(r, sheet_col(s, "type"));
    const char *role = cell(r, sheet_col(s, "role"));
    const char *element = cell(r, sheet_col(s, "element"));
    const char *scoring = cell(r, sheet_col(s, "scoring"));
    const char *required = cell(r, sheet_col(s, "required"));
    const char *personal = cell(r, sheet_col(s, "personal"));

    if (!is_identifier(name))
        return refuse(ld, SHEET_SURVEY, r->line,
                      "name '%s' must be letters, digits and '_', not starting with a digit",
                      name);
    for (size_t j = 0; j < index; j++)
        if (strcasecmp(inst->items[j].name, name) == 0)
            return refuse(ld, SHEET_SURVEY, r->line, "duplicate name '%s' (first at row %zu)",
                          name, s->rows[j].line);
    bool ok = true;
    it->name = dup_or_null(name, &ok);
    it->label_vi = dup_or_null(cell(r, sheet_lang_col(s, "label", "vi")), &ok);
    it->label_en = dup_or_null(cell(r, sheet_lang_col(s, "label", "en")), &ok);
    it->element = -1;
    inst->nitems = index + 1;
    if (!ok)
        return nomem(ld);
    sipas_status ast = parse_aliases(ld, cell(r, sheet_col(s, "aliases")), &it->naliases,
                                     &it->aliases);
    if (ast != SIPAS_OK)
        return ast;

    sipas_status st = parse_type(ld, r, type, it);
    if (st != SIPAS_OK)
        return st;
    int ro = lookup_name(role, role_names, 9);
    if (ro < 0)
        return refuse(ld, SHEET_SURVEY, r->line,
                      "'%s': unknown role '%s' (expected id, wave, stratum, cluster, weight, "
                      "fpc, domain, criterion or empty)", name, role);
    it->role = (sipas_role)ro;
    if (is_design_role(it->role) && role_rows[ro] != 0 && role_rows[ro] != r->line)
        return refuse(ld, SHEET_SURVEY, r->line,
                      "'%s': a second %s column (the first is at row %zu)", name, role,
                      role_rows[ro]);
    if ((it->role == SIPAS_ROLE_WEIGHT || it->role == SIPAS_ROLE_FPC) &&
        it->type != SIPAS_TYPE_DECIMAL && it->type != SIPAS_TYPE_INTEGER)
        return refuse(ld, SHEET_SURVEY, r->line, "'%s': a %s column must be decimal or integer",
                      name, role);
    if (it->role == SIPAS_ROLE_WAVE && it->type != SIPAS_TYPE_INTEGER)
        return refuse(ld, SHEET_SURVEY, r->line, "'%s': the wave column must be integer", name);

    bool is_required;
    if (!parse_flag(required, false, &is_required))
        return refuse(ld, SHEET_SURVEY, r->line, "'%s': required '%s' must be yes or no", name,
                      required);
    if (is_design_role(it->role)) {
        if (*required != '\0' && !is_required)
            return refuse(ld, SHEET_SURVEY, r->line,
                          "'%s': the %s column is always required; leave required empty "
                          "or say yes", name, role);
        is_required = true;
    }
    it->required = is_required;
    it->personal_dropped = strcasecmp(personal, "drop") == 0;
    if (!it->personal_dropped && !parse_flag(personal, false, &it->personal))
        return refuse(ld, SHEET_SURVEY, r->line, "'%s': personal '%s' must be yes, no or drop",
                      name, personal);
    it->personal = it->personal || it->personal_dropped;

    if (it->role != SIPAS_ROLE_CRITERION) {
        if (*element != '\0')
            return refuse(ld, SHEET_SURVEY, r->line,
                          "'%s': element '%s' given but the role is not criterion", name,
                          element);
        if (*scoring != '\0')
            return refuse(ld, SHEET_SURVEY, r->line,
                          "'%s': scoring '%s' given but the role is not criterion", name,
                          scoring);
        it->scoring = inst->scoring;
        return SIPAS_OK;
    }
    if (it->type != SIPAS_TYPE_SELECT_ONE)
        return refuse(ld, SHEET_SURVEY, r->line, "criterion '%s' must be a select_one", name);
    if (it->personal)
        return refuse(ld, SHEET_SURVEY, r->line, "criterion '%s' cannot be personal", name);
    if (*element == '\0')
        return refuse(ld, SHEET_SURVEY, r->line, "criterion '%s' has no element", name);
    it->element = find_element(inst, element);
    if (it->element < 0)
        return refuse(ld, SHEET_SURVEY, r->line,
                      "criterion '%s': unknown element '%s' (not in elements.csv)", name,
                      element);
    int sc = *scoring == '\0' ? (int)inst->scoring : lookup_name(scoring, scoring_names, 3);
    if (sc < 0)
        return refuse(ld, SHEET_SURVEY, r->line,
                      "criterion '%s': unknown scoring '%s' (expected satisfied_share, "
                      "percent_to_max or nps)", name, scoring);
    it->scoring = (sipas_scoring)sc;
    return check_criterion_list(ld, r, it);
}

static sipas_status load_survey(loader *ld)
{
    static const char *const required[] = {"type", "name", NULL};
    sipas_status st = require_columns(ld, SHEET_SURVEY, required);
    if (st == SIPAS_OK)
        st = require_label_column(ld, SHEET_SURVEY);
    if (st != SIPAS_OK)
        return st;
    const sheet *s = &ld->sheets[SHEET_SURVEY];
    sipas_instrument *inst = ld->inst;
    inst->items = calloc(s->nrows ? s->nrows : 1, sizeof *inst->items);
    if (inst->items == NULL)
        return nomem(ld);
    size_t role_rows[9] = {0}; /* the row of the first column of each role */
    size_t ncriteria = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        st = load_item(ld, i, role_rows);
        if (st != SIPAS_OK)
            return st;
        sipas_role role = inst->items[i].role;
        if (role_rows[role] == 0)
            role_rows[role] = s->rows[i].line;
        ncriteria += role == SIPAS_ROLE_CRITERION;
    }
    if (role_rows[SIPAS_ROLE_ID] == 0)
        return refuse(ld, SHEET_SURVEY, 0, "no id column (a row with role id)");
    if (ncriteria == 0)
        return refuse(ld, SHEET_SURVEY, 0, "no criteria (rows with role criterion)");
    const sheet *es = &ld->sheets[SHEET_ELEMENTS];
    double total_weight = 0;
    for (size_t e = 0; e < inst->nelements; e++)
        total_weight += inst->elements[e].weight;
    if (!(total_weight > 0))
        return refuse(ld, SHEET_ELEMENTS, 0,
                      "every element has weight 0, so there is no overall index");
    for (size_t e = 0; e < inst->nelements; e++) {
        bool used = false;
        for (size_t i = 0; i < inst->nitems && !used; i++)
            used = inst->items[i].element == (int)e;
        if (!used)
            return refuse(ld, SHEET_ELEMENTS, es->rows[e].line,
                          "element '%s' has no criterion in survey.csv",
                          inst->elements[e].name);
    }
    return SIPAS_OK;
}

sipas_status sipas_instrument_load(const char *dir, sipas_instrument **out, sipas_error *err)
{
    if (dir == NULL || out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "instrument: no folder or no output");
    *out = NULL;
    loader ld = {.err = err};
    sipas_status st = SIPAS_OK;
    ld.inst = calloc(1, sizeof *ld.inst);
    if (ld.inst == NULL)
        return nomem(&ld);
    sipas_sha256 hash;
    sipas_sha256_init(&hash);
    for (int i = 0; i < NSHEETS && st == SIPAS_OK; i++)
        st = sheet_load(dir, sheet_names[i], &ld.sheets[i], &hash, err);
    /* Elements and choices first: survey rows refer to both. */
    if (st == SIPAS_OK)
        st = load_settings(&ld, dir);
    if (st == SIPAS_OK)
        st = load_elements(&ld);
    if (st == SIPAS_OK)
        st = load_choices(&ld);
    if (st == SIPAS_OK)
        st = load_survey(&ld);
    if (st == SIPAS_OK) {
        char hex[SIPAS_SHA256_HEX_LEN + 1];
        sipas_sha256_hex(&hash, hex);
        ld.inst->content_hash = strdup(hex);
        ld.inst->source_dir = strdup(dir);
        if (ld.inst->content_hash == NULL || ld.inst->source_dir == NULL)
            st = nomem(&ld);
    }
    for (int i = 0; i < NSHEETS; i++)
        sheet_release(&ld.sheets[i]);
    if (st != SIPAS_OK) {
        sipas_instrument_free(ld.inst);
        return st;
    }
    *out = ld.inst;
    return SIPAS_OK;
}

sipas_status sipas_instrument_find(const char *surveys_dir, const char *form_id,
                                   sipas_instrument **out, sipas_error *err)
{
    if (surveys_dir == NULL || form_id == NULL || out == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "instrument: no folder, form or output");
    *out = NULL;
    /* Checked before it becomes part of a path: "../x" must not reach outside surveys_dir. */
    if (!is_form_id(form_id))
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "'%s' is not a form id (lowercase letters, digits and '_')",
                               form_id);
    char *dir = join_path(surveys_dir, form_id);
    if (dir == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    struct stat sb;
    sipas_status st;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no instrument '%s' in '%s'", form_id,
                             surveys_dir);
    else
        st = sipas_instrument_load(dir, out, err);
    free(dir);
    return st;
}

void sipas_instrument_free(sipas_instrument *inst)
{
    if (inst == NULL)
        return;
    for (size_t i = 0; i < inst->nitems; i++) {
        free(inst->items[i].name);
        free(inst->items[i].label_vi);
        free(inst->items[i].label_en);
        free_aliases(inst->items[i].naliases, inst->items[i].aliases);
    }
    free(inst->items);
    for (size_t l = 0; l < inst->nlists; l++) {
        sipas_choice_list *list = &inst->lists[l];
        for (size_t c = 0; c < list->nchoices; c++) {
            sipas_choice *ch = &list->choices[c];
            free(ch->name);
            free(ch->label_vi);
            free(ch->label_en);
            free(ch->key_vi);
            free(ch->key_en);
            free_aliases(ch->naliases, ch->aliases);
            free_aliases(ch->naliases, ch->alias_keys);
        }
        free(list->choices);
        free(list->name);
    }
    free(inst->lists);
    for (size_t e = 0; e < inst->nelements; e++) {
        free(inst->elements[e].name);
        free(inst->elements[e].label_vi);
        free(inst->elements[e].label_en);
    }
    free(inst->elements);
    free(inst->form_id);
    free(inst->version);
    free(inst->title_vi);
    free(inst->title_en);
    free(inst->default_language);
    free(inst->content_hash);
    free(inst->source_dir);
    free(inst);
}

const sipas_item *sipas_instrument_item(const sipas_instrument *inst, const char *name)
{
    if (inst == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < inst->nitems; i++)
        if (strcmp(inst->items[i].name, name) == 0)
            return &inst->items[i];
    return NULL;
}

const sipas_choice_list *sipas_instrument_list(const sipas_instrument *inst, const char *name)
{
    if (inst == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < inst->nlists; i++)
        if (strcmp(inst->lists[i].name, name) == 0)
            return &inst->lists[i];
    return NULL;
}

const sipas_choice *sipas_choice_list_match(const sipas_choice_list *list, const char *text,
                                            size_t len)
{
    if (list == NULL || (text == NULL && len > 0))
        return NULL;
    size_t start, n;
    sipas_text_trim(text, len, &start, &n);
    if (n == 0)
        return NULL;
    const char *t = text + start;
    /* Codes first: they are what data files mostly hold, and need no allocation. */
    for (size_t c = 0; c < list->nchoices; c++) {
        const char *code = list->choices[c].name;
        if (code[0] == t[0] && strlen(code) == n && memcmp(code, t, n) == 0)
            return &list->choices[c];
    }
    char *key = sipas_text_key(t, n, NULL);
    if (key == NULL)
        return NULL;
    const sipas_choice *found = NULL;
    if (*key != '\0')
        for (size_t c = 0; c < list->nchoices && found == NULL; c++) {
            const sipas_choice *ch = &list->choices[c];
            if (strcmp(ch->key_vi, key) == 0 || strcmp(ch->key_en, key) == 0 ||
                has_alias_key(ch, key))
                found = ch;
        }
    free(key);
    return found;
}

const char *sipas_role_name(sipas_role role)
{
    if ((int)role < 0 || (size_t)role >= sizeof role_names / sizeof role_names[0])
        return "unknown";
    return role_names[role];
}

const char *sipas_scoring_name(sipas_scoring scoring)
{
    if ((int)scoring < 0 || (size_t)scoring >= sizeof scoring_names / sizeof scoring_names[0])
        return "unknown";
    return scoring_names[scoring];
}

const char *sipas_missing_name(sipas_missing_kind kind)
{
    if ((int)kind < 0 || (size_t)kind >= sizeof missing_names / sizeof missing_names[0])
        return "unknown";
    return missing_names[kind];
}
