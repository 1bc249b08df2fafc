/* One batch of responses into the store (include/sipas/import.h): reads the file through
 * src/table_source.h whatever its format, matches its header to the instrument, checks every
 * cell (codes and labels, numbers, the wave, ids, personal data hashed with the store's key),
 * fills empty design cells from the stored draw, and stores the valid rows in one store batch
 * (one transaction: a refused or failed batch leaves the store as it was). Every problem is
 * reported with the file, row and column, and the refused rows go to the rejects file, written
 * whole or not at all. Owns: everything in import_ctx for the length of one call. */
#include "sipas/import.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sipas/atomic_file.h"
#include "sipas/csv_writer.h"
#include "design_fill.h"
#include "sipas/hash.h"
#include "header_match.h"
#include "label_match.h"
#include "table_source.h"
#include "text.h"

#include "import_pipeline.h"

#define READ_CHUNK (64 * 1024)
#define WAVE_MIN 1990
#define WAVE_MAX 2100
#define PROBLEM_MAX 512

typedef struct import_ctx {
    sipas_store *store;
    const sipas_instrument *inst;
    const sipas_import_options *opt;
    const char *name;              /* file name in messages */
    sipas_table_source *source;    /* the file's rows, whatever its format */
    bool csv_source;               /* CSV: no cell has a value label or a declared-missing code
                                    * (asked of the source for other formats, cell by cell) */
    sipas_store_batch *batch;
    sipas_atomic_file *rejects_file; /* written whole or not at all: finish_rejects */
    FILE *rejects;                   /* its stream */
    unsigned char personal_key[32];
    bool have_header;
    size_t nfields;                /* header width */
    int *item_of_field;            /* header field -> item index, -1 unknown */
    size_t *unread_items;          /* items no field of the header gives (cleared each row) */
    size_t nunread;
    int wave_item;                 /* index of the wave item, -1 none */
    const char *id_name;           /* the id item's name, for a duplicate id's message */
    size_t npersonal;              /* personal items: a hash of each in the row's arena */
    char **header;                 /* header fields, for the rejects file */
    import_pipeline *pipeline;     /* rows from the reading thread to this one */
    /* the reading thread's: the pipeline, the row being read, its block, values and reasons */
    import_pipeline *reading;
    import_block *block;
    import_row *entry;
    sipas_value *values;           /* one per item, in the block */
    char *next_hash;               /* free arena of the row for its personal items' hashes */
    bool text_failed;              /* a message could not be kept: out of memory */
    char problems[PROBLEM_MAX * 4];/* reasons of the current row, "; "-joined */
    size_t problems_len;
    int64_t rows_read;             /* by the reading thread, read once it has finished */
    int64_t rows_rejected;         /* by the storing thread */
    int64_t run_rows[IMPORT_ROWS_PER_BLOCK]; /* the storing thread's: rows of a run (store_run) */
    bool run_stored[IMPORT_ROWS_PER_BLOCK];
    bool header_failed;
    char sha256[SIPAS_SHA256_HEX_LEN + 1]; /* of the bytes read */
    const sipas_choice ***by_code; /* per item: choice of each small integer code, for speed */
    bool *code_only;               /* per item: a cell of a small code needs no other check
                                    * than by_code (read_cell's fast path) */
    sipas_label_index **label_index; /* per list of the instrument: labels, aliases, cache */
    sipas_design_fill *design_fill; /* empty weight and fpc cells from the stored draw */
} import_ctx;

sipas_status sipas_import_hash_file(const char *path, char sha256[65], sipas_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    sipas_sha256 ctx;
    sipas_sha256_init(&ctx);
    char *buf = malloc(READ_CHUNK);
    if (buf == NULL) {
        fclose(f);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t n;
    while ((n = fread(buf, 1, READ_CHUNK, f)) > 0)
        sipas_sha256_update(&ctx, buf, n);
    sipas_status st = SIPAS_OK;
    if (ferror(f))
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    free(buf);
    fclose(f);
    if (st == SIPAS_OK)
        sipas_sha256_hex(&ctx, sha256);
    return st;
}

/* A problem as the user reads it: "WHERE: column 'NAME' (cell D12): REASON". */
static void problem_message(const import_ctx *c, size_t row, const char *column,
                            const char *reason, char *message, size_t size)
{
    char where[PROBLEM_MAX], cell[24] = "";
    sipas_table_source_where(c->source, row, where, sizeof where);
    /* the cell as a spreadsheet shows it: the column's field under this header */
    for (size_t j = 0; column && c->item_of_field && j < c->nfields && c->header[j]; j++)
        if (column == c->header[j] ||
            (c->item_of_field[j] >= 0 && column == c->inst->items[c->item_of_field[j]].name))
            sipas_table_source_cell(c->source, row, j, cell, sizeof cell);
    if (column)
        snprintf(message, size, "%s: column '%s'%s%s%s: %s", where, column,
                 cell[0] ? " (cell " : "", cell, cell[0] ? ")" : "", reason);
    else
        snprintf(message, size, "%s: %s", where, reason);
}

/* Adds a reason to a row's "; "-joined reasons (the rejects file's problems column). */
static void add_reason(char *reasons, size_t *len, size_t size, const char *column,
                       const char *reason)
{
    int n = snprintf(reasons + *len, size - *len, "%s%s%s%s%s", *len ? "; " : "",
                     column ? "column '" : "", column ? column : "", column ? "': " : "", reason);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* Reading thread: one problem of the current row, its message kept in the row's block (shown
 * by the storing thread in the file's order) and its reason for the rejects file. */
static void row_problem(import_ctx *c, size_t row, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void row_problem(import_ctx *c, size_t row, const char *column, const char *fmt, ...)
{
    char reason[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    char message[PROBLEM_MAX * 3];
    problem_message(c, row, column, reason, message, sizeof message);
    size_t at;
    if (!import_pipeline_add_text(c->block, message, strlen(message), &at))
        c->text_failed = true;
    else if (c->entry->nmessages++ == 0)
        c->entry->messages_at = at;
    add_reason(c->problems, &c->problems_len, sizeof c->problems, column, reason);
}

/* Puts the rejects file in place. Called before the batch is committed, so that a rejects file
 * that cannot be written (a full disk) stores nothing; its failure is added to err. */
static sipas_status finish_rejects(import_ctx *c, sipas_status st, sipas_error *err)
{
    if (c->rejects_file == NULL)
        return st;
    sipas_error written = {0};
    sipas_status w = sipas_atomic_file_commit(c->rejects_file, &written);
    c->rejects_file = NULL;
    c->rejects = NULL;
    if (w == SIPAS_OK)
        return st;
    if (st == SIPAS_OK)
        return sipas_error_set(err, w, "the rejected rows could not be kept, so nothing was "
                               "stored: %s", written.message);
    if (err == NULL)
        return w;
    sipas_error first = *err; /* the message cannot be its own argument */
    return sipas_error_set(err, w, "%s; and the rejected rows could not be kept: %s",
                           first.message, written.message);
}

static sipas_status write_reject(import_ctx *c, size_t row, size_t nfields, char *const *fields,
                                 const size_t *lengths, const char *reasons, size_t reasons_len,
                                 sipas_error *err)
{
    c->rows_rejected++;
    if (c->opt->rejects_path == NULL)
        return SIPAS_OK;
    char sep = c->opt->rejects_for_excel ? ';' : ',';
    if (c->rejects == NULL) {
        sipas_status st = sipas_atomic_file_open(c->opt->rejects_path, &c->rejects_file, err);
        if (st != SIPAS_OK)
            return st;
        if ((c->rejects = sipas_atomic_file_stream(c->rejects_file)) == NULL)
            return finish_rejects(c, SIPAS_OK, err);
        if (c->opt->rejects_for_excel)
            fputs("\xEF\xBB\xBF", c->rejects); /* Excel reads UTF-8 only after a BOM */
        fprintf(c->rejects, "row%cproblems", sep);
        for (size_t j = 0; j < c->nfields; j++) {
            fputc(sep, c->rejects);
            sipas_csv_write_field(c->rejects, c->header[j], strlen(c->header[j]), sep);
        }
        fputc('\n', c->rejects);
    }
    fprintf(c->rejects, "%zu%c", row, sep);
    sipas_csv_write_field(c->rejects, reasons, reasons_len, sep);
    for (size_t j = 0; j < nfields; j++) {
        fputc(sep, c->rejects);
        sipas_csv_write_field(c->rejects, fields[j], lengths[j], sep);
    }
    fputc('\n', c->rejects);
    return SIPAS_OK;
}

static sipas_status read_header(import_ctx *c, size_t row, size_t nfields, char *const *fields,
                                const size_t *lengths, sipas_error *err)
{
    const sipas_instrument *inst = c->inst;
    c->nfields = nfields;
    c->item_of_field = malloc(nfields * sizeof *c->item_of_field);
    c->header = calloc(nfields, sizeof *c->header);
    bool *seen = calloc(inst->nitems, sizeof *seen);
    size_t *first_field = calloc(inst->nitems, sizeof *first_field); /* of each seen item */
    if (c->item_of_field == NULL || c->header == NULL || seen == NULL || first_field == NULL) {
        free(seen);
        free(first_field);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    size_t problems = 0;
    size_t submission_id_field = SIZE_MAX; /* _uuid or meta/instanceID of a KoboToolbox export */
    for (size_t j = 0; j < nfields; j++) {
        c->header[j] = strndup(fields[j], lengths[j]);
        if (c->header[j] == NULL) {
            free(seen);
            free(first_field);
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        }
        c->item_of_field[j] = -1;
        if (!sipas_utf8_valid(fields[j], lengths[j], NULL)) {
            const char *guess = sipas_guess_legacy_encoding(fields[j], lengths[j]);
            row_problem(c, row, NULL, "header field %zu is not UTF-8%s%s%s; save the file as UTF-8",
                        j + 1, guess ? " (it looks like " : "", guess ? guess : "", guess ? ")" : "");
            problems++;
            continue;
        }
        char reason[PROBLEM_MAX / 2];
        size_t k;
        sipas_header_kind kind = sipas_header_match(inst, fields[j], lengths[j], &k, reason,
                                                    sizeof reason);
        if (kind == SIPAS_HEADER_META) {
            /* _uuid is preferred: meta/instanceID holds the same id behind "uuid:" */
            if (sipas_header_is_submission_id(fields[j], lengths[j]) &&
                (submission_id_field == SIZE_MAX || strcasecmp(c->header[j], "_uuid") == 0))
                submission_id_field = j;
        } else if (kind == SIPAS_HEADER_AMBIGUOUS) {
            row_problem(c, row, c->header[j], "%s", reason);
            problems++;
        } else if (kind == SIPAS_HEADER_UNKNOWN) {
            row_problem(c, row, c->header[j], "not a column of instrument '%s' version '%s'",
                        inst->form_id, inst->version);
            problems++;
        } else if (seen[k] && strcasecmp(c->header[first_field[k]], c->header[j]) == 0) {
            row_problem(c, row, c->header[j], "appears twice in the header");
            problems++;
        } else if (seen[k]) {
            row_problem(c, row, c->header[j], "names column '%s', as '%s' (field %zu) does; "
                        "rename one of them", inst->items[k].name, c->header[first_field[k]],
                        first_field[k] + 1);
            problems++;
        } else {
            seen[k] = true;
            first_field[k] = j;
            c->item_of_field[j] = (int)k;
        }
    }
    /* A KoboToolbox export carries its own unique submission id: the respondent id when the
     * file has no id column. */
    for (size_t k = 0; k < inst->nitems && submission_id_field != SIZE_MAX; k++) {
        if (inst->items[k].role == SIPAS_ROLE_ID && !seen[k]) {
            seen[k] = true;
            c->item_of_field[submission_id_field] = (int)k;
        }
    }
    free(first_field);
    for (size_t k = 0; k < inst->nitems; k++) {
        const sipas_item *it = &inst->items[k];
        if (seen[k] || it->personal || sipas_design_fill_may_fill(c->design_fill, it))
            continue;
        if (it->role == SIPAS_ROLE_WAVE && c->opt->wave > 0)
            continue;
        if (it->role == SIPAS_ROLE_WAVE)
            row_problem(c, row, it->name, "missing from the header; add the column or give --wave");
        else
            row_problem(c, row, it->name, "missing from the header");
        problems++;
    }
    c->unread_items = malloc((inst->nitems ? inst->nitems : 1) * sizeof *c->unread_items);
    for (size_t k = 0; k < inst->nitems && c->unread_items; k++)
        if (!seen[k])
            c->unread_items[c->nunread++] = k;
    free(seen);
    if (c->unread_items == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    c->have_header = true;
    if (problems > 0) {
        c->header_failed = true;
        char where[PROBLEM_MAX];
        sipas_table_source_where(c->source, row, where, sizeof where);
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the header does not match "
                               "instrument '%s' version '%s' (%zu problem%s)", where,
                               inst->form_id, inst->version, problems, problems == 1 ? "" : "s");
    }
    return SIPAS_OK;
}

/* Powers of ten that a double holds exactly. */
static const double exact_powers_of_ten[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* Most cells of a batch are short plain decimals ("5.16"): with at most 15 digits the digits
 * are an exact integer m and the value m / 10^k one correctly rounded division, the double
 * strtod gives (Clinger's fast path), without strtod's copying and locale. false: anything
 * else, for the general path. */
static bool parse_plain_decimal(const char *s, size_t len, double *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    int64_t mantissa = 0;
    size_t digits = 0, fraction = 0;
    bool point = false;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            mantissa = mantissa * 10 + (s[i] - '0');
            digits++;
            fraction += point;
        } else if (s[i] == '.' && !point) {
            point = true;
        } else {
            return false;
        }
    }
    if (digits == 0 || digits > 15)
        return false;
    double v = (double)mantissa / exact_powers_of_ten[fraction];
    *out = negative ? -v : v;
    return true;
}

/* A finite decimal; "1,5" only when commas are not the delimiter. */
static bool parse_decimal(const char *s, size_t len, bool decimal_comma, double *out)
{
    if (parse_plain_decimal(s, len, out))
        return true;
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (decimal_comma) {
        char *comma = strchr(buf, ',');
        if (comma && strchr(buf, '.') == NULL && strchr(comma + 1, ',') == NULL)
            *comma = '.';
    }
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+' || ch == 'e' || ch == 'E'))
            return false; /* refuses "nan", "inf", hex floats, thousands separators */
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_integer(const char *s, size_t len, int64_t *out)
{
    /* the common case first: up to 18 digits, an optional sign, nothing else */
    size_t i = len > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (len > i && len - i <= 18) {
        int64_t v = 0;
        size_t j = i;
        while (j < len && s[j] >= '0' && s[j] <= '9')
            v = v * 10 + (s[j++] - '0');
        if (j == len) {
            *out = s[0] == '-' ? -v : v;
            return true;
        }
    }
    char buf[32];
    /* spreadsheets and pandas write whole numbers as "2024.0": the zero fraction is dropped */
    const char *point = memchr(s, '.', len);
    const char *p = point != NULL ? point + 1 : NULL;
    while (p != NULL && p < s + len && *p == '0')
        p++;
    if (point != NULL && p == s + len && point + 1 < s + len)
        len = (size_t)(point - s);
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end != buf + len || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

#define SMALL_CODES 128

/* Criteria hold small integer codes in nearly every cell of a large batch: a table from code to
 * choice answers them without the general code-or-label match. */
static sipas_status build_code_tables(import_ctx *c, sipas_error *err)
{
    const sipas_instrument *inst = c->inst;
    c->by_code = calloc(inst->nitems, sizeof *c->by_code);
    c->code_only = calloc(inst->nitems ? inst->nitems : 1, sizeof *c->code_only);
    if (c->by_code == NULL || c->code_only == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < inst->nitems; k++) {
        const sipas_choice_list *list = inst->items[k].list;
        if (list == NULL || inst->items[k].personal)
            continue;
        const sipas_choice **table = calloc(SMALL_CODES, sizeof *table);
        if (table == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        c->by_code[k] = table;
        /* the roles whose numbers read_cell checks after the choice is found */
        sipas_role role = inst->items[k].role;
        c->code_only[k] = inst->items[k].type == SIPAS_TYPE_SELECT_ONE &&
                          role != SIPAS_ROLE_WEIGHT && role != SIPAS_ROLE_FPC &&
                          role != SIPAS_ROLE_WAVE;
        for (size_t i = 0; i < list->nchoices; i++) {
            const sipas_choice *ch = &list->choices[i];
            char canonical[24];
            /* only codes written exactly as their decimal value ("7", not "07") */
            if (ch->has_value && ch->value >= 0 && ch->value < SMALL_CODES &&
                snprintf(canonical, sizeof canonical, "%ld", ch->value) > 0 &&
                strcmp(canonical, ch->name) == 0)
                table[ch->value] = ch;
        }
    }
    return SIPAS_OK;
}

static sipas_status build_label_indexes(import_ctx *c, sipas_error *err)
{
    const sipas_instrument *inst = c->inst;
    c->label_index = calloc(inst->nlists ? inst->nlists : 1, sizeof *c->label_index);
    if (c->label_index == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    for (size_t l = 0; l < inst->nlists; l++) {
        sipas_status st = sipas_label_index_new(&inst->lists[l], &c->label_index[l], err);
        if (st != SIPAS_OK)
            return st;
    }
    return SIPAS_OK;
}

/* The choice of a cell, or NULL with *reason set (label_match.h). */
static const sipas_choice *match_choice(const import_ctx *c, size_t k, const char *s, size_t len,
                                        const char **reason)
{
    *reason = NULL;
    const sipas_choice *const *table = c->by_code[k];
    if (table && len >= 1 && len <= 3) {
        int v = 0;
        size_t i = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && !(i == 0 && s[0] == '0' && len > 1))
            v = v * 10 + (s[i++] - '0');
        if (i == len && v < SMALL_CODES && table[v])
            return table[v];
    }
    const sipas_choice_list *list = c->inst->items[k].list;
    return sipas_label_index_match(c->label_index[list - c->inst->lists], s, len, reason);
}

/* 64 lowercase hex digits: how the store keeps a personal value, and so how export writes it.
 * No name or phone number looks like that. */
static bool is_personal_hash(const char *s, size_t len)
{
    if (len != SIPAS_SHA256_HEX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A number shown as a date because of its cell's format: say so, the user sees a date too. */
static const char *date_hint(const import_ctx *c, size_t field)
{
    return sipas_table_source_cell_is_date(c->source, field)
         ? " (the cell is formatted as a date: format the column as a number)" : "";
}

/* Printable ASCII without spaces: codes, numbers and ids, nearly every cell of a large batch.
 * Such a cell has nothing to trim and is valid UTF-8, so one pass here stands for
 * sipas_text_trim and sipas_utf8_valid. */
static bool is_plain_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)(s[i] - 0x21) > 0x7E - 0x21)
            return false;
    return true;
}

/* Validates one cell into c->values[k]; reports problems. Returns false when the cell is bad. */
static bool read_any_cell(import_ctx *c, size_t row, size_t field, size_t k, const char *raw,
                          size_t raw_len)
{
    const sipas_item *it = &c->inst->items[k];
    sipas_value *v = &c->values[k];
    memset(v, 0, sizeof *v);
    size_t start = 0, len = raw_len;
    if (!is_plain_ascii(raw, raw_len)) {
        sipas_text_trim(raw, raw_len, &start, &len);
        size_t bad;
        if (!sipas_utf8_valid(raw + start, len, &bad)) {
            const char *guess = sipas_guess_legacy_encoding(raw, raw_len);
            row_problem(c, row, it->name, "text is not UTF-8 (byte 0x%02X at offset %zu)%s%s%s; "
                        "save the file as UTF-8", (unsigned char)raw[start + bad], bad,
                        guess ? "; the file looks like " : "", guess ? guess : "", guess ? "" : "");
            return false;
        }
    }
    const char *s = raw + start;
    if (len == 0) {
        bool required = it->required || it->role == SIPAS_ROLE_ID || it->role == SIPAS_ROLE_WAVE ||
                        it->role == SIPAS_ROLE_STRATUM || it->role == SIPAS_ROLE_CLUSTER ||
                        it->role == SIPAS_ROLE_WEIGHT || it->role == SIPAS_ROLE_FPC;
        if (it->role == SIPAS_ROLE_WAVE && c->opt->wave > 0) {
            v->kind = SIPAS_VALUE_INT;
            v->i = c->opt->wave;
            return true;
        }
        if (required && !sipas_design_fill_may_fill(c->design_fill, it)) {
            row_problem(c, row, it->name, "empty, but a value is required");
            return false;
        }
        return true;
    }
    if (it->personal_dropped)
        return true; /* read (an empty required cell was refused above), never stored */
    if (it->personal) {
        char *hash = c->next_hash; /* the row's arena, reserved for its personal items */
        c->next_hash += SIPAS_SHA256_HEX_LEN + 1;
        if (is_personal_hash(s, len)) { /* an export of sipas: hashed already, not twice */
            memcpy(hash, s, len);
            hash[len] = '\0';
        } else {
            sipas_hmac_sha256_hex(c->personal_key, sizeof c->personal_key, s, len, hash);
        }
        v->kind = SIPAS_VALUE_TEXT;
        v->text = hash;
        v->len = SIPAS_SHA256_HEX_LEN;
        return true;
    }
    switch (it->type) {
    case SIPAS_TYPE_SELECT_ONE: {
        const char *reason;
        const sipas_choice *ch = match_choice(c, k, s, len, &reason);
        const char *label = NULL;
        bool declared_missing = false;
        if (!c->csv_source) {
            label = sipas_table_source_cell_label(c->source, field);
            declared_missing = sipas_table_source_cell_declared_missing(c->source, field);
        }
        if (label || declared_missing) { /* an SPSS or Stata value label */
            char why[PROBLEM_MAX];
            ch = sipas_table_match_labelled(it->list, ch, label, declared_missing, why, sizeof why);
            if (ch == NULL) {
                row_problem(c, row, it->name, "'%.*s': %s", (int)(len > 80 ? 80 : len), s, why);
                return false;
            }
        }
        if (ch == NULL) {
            row_problem(c, row, it->name, "%s", reason ? reason : "out of memory");
            return false;
        }
        if (ch->has_value) {
            v->kind = SIPAS_VALUE_INT;
            v->i = ch->value;
        } else {
            v->kind = SIPAS_VALUE_TEXT;
            v->text = ch->name;
            v->len = strlen(ch->name);
        }
        break;
    }
    case SIPAS_TYPE_INTEGER:
        v->kind = SIPAS_VALUE_INT;
        if (!parse_integer(s, len, &v->i)) {
            row_problem(c, row, it->name, "'%.*s' is not a whole number%s", (int)(len > 80 ? 80 : len), s,
                        date_hint(c, field));
            return false;
        }
        break;
    case SIPAS_TYPE_DECIMAL: {
        bool decimal_comma = sipas_table_source_decimal_comma(c->source);
        v->kind = SIPAS_VALUE_REAL;
        if (!parse_decimal(s, len, decimal_comma, &v->r)) {
            /* the decimal-comma hint only where a comma could have been meant as one */
            bool has_comma = memchr(s, ',', len) != NULL;
            row_problem(c, row, it->name, "'%.*s' is not a number%s", (int)(len > 80 ? 80 : len), s,
                        sipas_table_source_cell_is_date(c->source, field) ? date_hint(c, field)
                        : decimal_comma || !has_comma ? "" : " (a decimal comma is accepted only "
                        "in semicolon- or tab-separated files)");
            return false;
        }
        break;
    }
    case SIPAS_TYPE_TEXT:
        v->kind = SIPAS_VALUE_TEXT;
        v->text = s;
        v->len = len;
        break;
    }
    double number = v->kind == SIPAS_VALUE_INT ? (double)v->i : v->r;
    if ((it->role == SIPAS_ROLE_WEIGHT || it->role == SIPAS_ROLE_FPC) &&
        (v->kind == SIPAS_VALUE_INT || v->kind == SIPAS_VALUE_REAL) && !(number > 0)) {
        row_problem(c, row, it->name, "'%.*s' is not a positive number", (int)len, s);
        return false;
    }
    if (it->role == SIPAS_ROLE_WAVE && v->kind == SIPAS_VALUE_INT) {
        if (v->i < WAVE_MIN || v->i > WAVE_MAX) {
            row_problem(c, row, it->name, "wave %lld is implausible (expected a year from %d to %d)",
                        (long long)v->i, WAVE_MIN, WAVE_MAX);
            return false;
        }
        if (c->opt->wave > 0 && v->i != c->opt->wave) {
            row_problem(c, row, it->name, "wave %lld differs from --wave %lld", (long long)v->i,
                        (long long)c->opt->wave);
            return false;
        }
    }
    return true;
}

/* read_any_cell, with its commonest case first, small enough to be inlined in the row's loop. */
static bool read_cell(import_ctx *c, size_t row, size_t field, size_t k, const char *raw,
                      size_t raw_len)
{
    /* The commonest cell of a large batch, a code of one or two digits of a scored question or
     * a domain, is answered from the code table: read_any_cell would find the same choice and
     * no problem, as such a cell has nothing to trim, is not empty, belongs to an item that is
     * not personal (a personal item has no table), has no value label (a CSV file has none) and
     * no number that its role checks (code_only). */
    if (c->code_only[k] && c->csv_source && raw_len >= 1 && raw_len <= 2) {
        unsigned first = (unsigned)(unsigned char)raw[0] - '0';
        unsigned second = raw_len == 2 ? (unsigned)(unsigned char)raw[1] - '0' : 0;
        /* "07" is no code (match_choice) */
        bool digits = first <= 9 && second <= 9 && !(raw_len == 2 && first == 0);
        const sipas_choice *ch =
            digits ? c->by_code[k][raw_len == 1 ? first : first * 10 + second] : NULL;
        if (ch != NULL) {
            c->values[k] = (sipas_value){.kind = SIPAS_VALUE_INT, .i = ch->value};
            return true;
        }
    }
    return read_any_cell(c, row, field, k, raw, raw_len);
}

typedef struct design_problem_ctx {
    import_ctx *import;
    size_t row;
} design_problem_ctx;

static void design_problem(void *ctx, const char *column, const char *reason)
{
    design_problem_ctx *d = ctx;
    const import_ctx *c = d->import;
    bool in_header = false;
    for (size_t j = 0; j < c->nfields && !in_header; j++)
        in_header = c->item_of_field[j] >= 0 && c->inst->items[c->item_of_field[j]].name == column;
    row_problem(d->import, d->row, column, "%s, but a value is required: %s",
                in_header ? "empty" : "missing from the file", reason);
}

/* The row's empty or missing weight and fpc cells from the stored draw (sipas/design_fill.h);
 * false when one stays without a value. */
static bool fill_design_cells(import_ctx *c, size_t row)
{
    design_problem_ctx d = {.import = c, .row = row};
    return sipas_design_fill_row(c->design_fill, c->values, (int64_t)row, design_problem, &d) == 0;
}

/* Reading thread: copies the row's fields into its block (they are valid only during the call,
 * and text values are stored from them) and reserves the arena of its personal-item hashes. */
static void copy_fields(import_ctx *c, size_t nfields, char *const *fields, const size_t *lengths)
{
    import_block *b = c->block;
    char *to = b->arena + b->arena_len;
    char **copies = b->fields + b->nfields;
    size_t *copy_lengths = b->lengths + b->nfields;
    c->entry->first_field = b->nfields;
    c->entry->nfields = nfields;
    /* each field at the arena offset it has among the row's fields, NUL-terminated; the CSV
     * reader gives them back to back, each followed by its NUL, so they come in one copy */
    size_t span = 0;
    bool back_to_back = true;
    for (size_t j = 0; j < nfields; j++) {
        back_to_back = back_to_back && (uintptr_t)fields[j] == (uintptr_t)fields[0] + span;
        copies[j] = to + span;
        copy_lengths[j] = lengths[j];
        span += lengths[j] + 1;
    }
    if (back_to_back && nfields > 0)
        memcpy(to, fields[0], span);
    for (size_t j = 0; !back_to_back && j < nfields; j++) {
        memcpy(copies[j], fields[j], lengths[j]);
        copies[j][lengths[j]] = '\0';
    }
    b->nfields += nfields;
    c->next_hash = to + span;
    b->arena_len = (size_t)(to + span - b->arena) + c->npersonal * (SIPAS_SHA256_HEX_LEN + 1);
}

/* Reading thread: checks one row into the block being filled, for the storing thread. */
static sipas_status on_row(void *ctx, size_t row, size_t nfields, char *const *raw_fields,
                           const size_t *raw_lengths, sipas_error *err)
{
    import_ctx *c = ctx;
    size_t bytes = nfields + c->npersonal * (SIPAS_SHA256_HEX_LEN + 1);
    for (size_t j = 0; j < nfields; j++)
        bytes += raw_lengths[j];
    sipas_status st = import_pipeline_begin_row(c->reading, bytes, nfields, &c->block,
                                                &c->entry, err);
    if (st != SIPAS_OK)
        return st;
    import_row *e = c->entry;
    e->source_row = row;
    copy_fields(c, nfields, raw_fields, raw_lengths);
    char *const *fields = c->block->fields + e->first_field;
    const size_t *lengths = c->block->lengths + e->first_field;
    c->problems_len = 0;
    c->problems[0] = '\0';
    if (!c->have_header) {
        e->kind = IMPORT_ROW_MESSAGES;
        st = read_header(c, row, nfields, fields, lengths, err);
        if (e->nmessages == 0)
            import_pipeline_drop_row(c->reading);
        if (st == SIPAS_OK && c->text_failed)
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        return st;
    }
    c->rows_read++;
    c->values = c->block->values + (c->block->nrows - 1) * c->inst->nitems;
    bool ok = true;
    if (nfields != c->nfields) {
        row_problem(c, row, NULL, "the row has %zu field%s but the header has %zu", nfields,
                    nfields == 1 ? "" : "s", c->nfields);
        ok = false;
    } else {
        /* read_cell clears the value of each item the row gives */
        for (size_t u = 0; u < c->nunread; u++)
            memset(&c->values[c->unread_items[u]], 0, sizeof *c->values);
        if (c->wave_item >= 0 && c->opt->wave > 0) {
            c->values[c->wave_item].kind = SIPAS_VALUE_INT;
            c->values[c->wave_item].i = c->opt->wave;
        }
        for (size_t j = 0; j < nfields; j++)
            if (c->item_of_field[j] >= 0 &&
                !read_cell(c, row, j, (size_t)c->item_of_field[j], fields[j], lengths[j]))
                ok = false; /* fields of no item (KoboToolbox system columns) are skipped */
        if (ok && !fill_design_cells(c, row))
            ok = false;
    }
    e->kind = ok ? IMPORT_ROW_STORE : IMPORT_ROW_REJECT;
    if (!ok && !import_pipeline_add_text(c->block, c->problems, c->problems_len, &e->reasons_at))
        c->text_failed = true;
    e->reasons_len = c->problems_len;
    if (c->text_failed)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    return SIPAS_OK;
}

static sipas_status read_rows(void *ctx, import_pipeline *p, sipas_error *err)
{
    import_ctx *c = ctx;
    c->reading = p;
    return sipas_table_source_read(c->source, on_row, c, err);
}

/* Reading thread: the source's progress, shown by the storing thread when the rows before it
 * are stored. */
static void relay_progress(void *ctx, uint64_t done, uint64_t total)
{
    import_ctx *c = ctx;
    import_pipeline_progress(c->reading, done, total);
}

/* Storing thread: a valid row whose id is stored already: reported and rejected. */
static sipas_status reject_duplicate(import_ctx *c, const import_block *b, size_t i,
                                     sipas_error *err)
{
    const import_row *e = &b->rows[i];
    sipas_error dup;
    sipas_status st = sipas_store_batch_duplicate(c->batch, b->values + i * c->inst->nitems, &dup);
    if (st != SIPAS_ERR_VALIDATION) {
        if (err)
            *err = dup;
        return st;
    }
    char reason[PROBLEM_MAX], message[PROBLEM_MAX * 3], reasons[PROBLEM_MAX * 4];
    size_t reason_len = strnlen(dup.message, sizeof reason - 1); /* cut as row_problem cuts */
    memcpy(reason, dup.message, reason_len);
    reason[reason_len] = '\0';
    problem_message(c, e->source_row, c->id_name, reason, message, sizeof message);
    if (c->opt->on_problem)
        c->opt->on_problem(c->opt->problem_ctx, message);
    size_t reasons_len = 0;
    add_reason(reasons, &reasons_len, sizeof reasons, c->id_name, reason);
    return write_reject(c, e->source_row, e->nfields, b->fields + e->first_field,
                        b->lengths + e->first_field, reasons, reasons_len, err);
}

/* Storing thread: the valid rows first..end-1 of a block, none with a message, stored together;
 * those with an id stored already are then reported in order, as nothing is shown between. */
static sipas_status store_run(import_ctx *c, const import_block *b, size_t first, size_t end,
                              sipas_error *err)
{
    if (first == end)
        return SIPAS_OK;
    for (size_t i = first; i < end; i++)
        c->run_rows[i - first] = (int64_t)b->rows[i].source_row;
    sipas_status st = sipas_store_batch_insert_rows(c->batch, b->values + first * c->inst->nitems,
                                                    end - first, c->run_rows, c->run_stored, err);
    for (size_t i = first; st == SIPAS_OK && i < end; i++)
        if (!c->run_stored[i - first])
            st = reject_duplicate(c, b, i, err);
    return st;
}

/* Storing thread: one block's rows in file order: each row's messages, then the row stored or
 * written to the rejects file. */
static sipas_status store_block(import_ctx *c, const import_block *b, sipas_error *err)
{
    size_t run = 0; /* the first valid row not stored yet */
    for (size_t i = 0; i < b->nrows; i++) {
        const import_row *e = &b->rows[i];
        if (e->kind == IMPORT_ROW_STORE && e->nmessages == 0)
            continue;
        sipas_status st = store_run(c, b, run, i, err);
        const char *message = b->text + e->messages_at;
        for (size_t n = 0; st == SIPAS_OK && n < e->nmessages; n++, message += strlen(message) + 1)
            if (c->opt->on_problem)
                c->opt->on_problem(c->opt->problem_ctx, message);
        if (st == SIPAS_OK && e->kind == IMPORT_ROW_REJECT)
            st = write_reject(c, e->source_row, e->nfields, b->fields + e->first_field,
                              b->lengths + e->first_field, b->text + e->reasons_at,
                              e->reasons_len, err);
        else if (st == SIPAS_OK && e->kind == IMPORT_ROW_STORE)
            st = store_run(c, b, i, i + 1, err);
        if (st != SIPAS_OK)
            return st;
        run = i + 1;
    }
    sipas_status st = store_run(c, b, run, b->nrows, err);
    if (st == SIPAS_OK && b->has_progress && c->opt->progress)
        c->opt->progress(c->opt->progress_ctx, b->progress_done, b->progress_total);
    return st;
}

/* Reads the file on a second thread while this one stores its rows (src/import_pipeline.c).
 * The stop flag (Ctrl-C) is looked at here, while waiting for rows and between blocks, and
 * stops the reader: "interrupted; nothing was stored", as the reader said before. */
static sipas_status read_and_store(import_ctx *c, sipas_error *err)
{
    sipas_status st = import_pipeline_start(c->inst->nitems, read_rows, c, &c->pipeline, err);
    if (st != SIPAS_OK)
        return st;
    volatile const int *stop_flag = c->opt->stop_flag;
    import_block *b;
    while ((b = import_pipeline_receive(c->pipeline, stop_flag)) != NULL) {
        if (!(stop_flag && *stop_flag))
            st = store_block(c, b, err);
        import_pipeline_recycle(c->pipeline, b);
        if (st != SIPAS_OK || (stop_flag && *stop_flag))
            break;
    }
    if (st == SIPAS_OK && stop_flag && *stop_flag)
        st = sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "%s: interrupted; nothing was stored",
                             c->name);
    if (st != SIPAS_OK)
        import_pipeline_cancel(c->pipeline);
    sipas_error read_err = {0};
    sipas_status read_st = import_pipeline_finish(c->pipeline, &read_err);
    c->pipeline = NULL;
    if (st == SIPAS_OK && read_st != SIPAS_OK) {
        st = read_st;
        if (err)
            *err = read_err;
    }
    return st;
}

static void import_ctx_release(import_ctx *c)
{
    if (c->header)
        for (size_t j = 0; j < c->nfields; j++)
            free(c->header[j]);
    free(c->header);
    free(c->item_of_field);
    free(c->unread_items);
    if (c->by_code)
        for (size_t k = 0; k < c->inst->nitems; k++)
            free((void *)c->by_code[k]);
    free(c->by_code);
    free(c->code_only);
    if (c->label_index)
        for (size_t l = 0; l < c->inst->nlists; l++)
            sipas_label_index_free(c->label_index[l]);
    free(c->label_index);
    sipas_design_fill_free(c->design_fill);
    sipas_atomic_file_discard(c->rejects_file);
}

sipas_status sipas_import_batch(sipas_store *store, const sipas_instrument *inst,
                                const char *path, const sipas_import_options *options,
                                sipas_import_result *result, sipas_error *err)
{
    static const sipas_import_options defaults = {0};
    const sipas_import_options *opt = options ? options : &defaults;
    import_ctx c = {.store = store, .inst = inst, .opt = opt, .wave_item = -1};
    c.name = opt->display_name ? opt->display_name : path;
    memset(result, 0, sizeof *result);

    /* One reading pass hashes and imports. The hash is needed first only when the file may
     * repeat a stored batch (one of the same size exists): a repeat is then refused, or with
     * --replace the earlier batch removed, before its respondent ids come again. */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    bool same_size = false;
    sipas_status st = sipas_store_has_batch_of_size(store, inst->form_id, (int64_t)sb.st_size,
                                                    &same_size, err);
    if (st != SIPAS_OK)
        return st;
    if (same_size && (st = sipas_import_hash_file(path, result->sha256, err)) != SIPAS_OK)
        return st;
    if (opt->rejects_path)
        remove(opt->rejects_path); /* a rejects file from an earlier run would mislead */
    for (size_t k = 0; k < inst->nitems; k++) {
        if (inst->items[k].role == SIPAS_ROLE_WAVE)
            c.wave_item = (int)k;
        if (inst->items[k].role == SIPAS_ROLE_ID && c.id_name == NULL)
            c.id_name = inst->items[k].name;
        if (inst->items[k].personal)
            c.npersonal++;
    }
    if (opt->wave > 0 && c.wave_item < 0) {
        st = sipas_error_set(err, SIPAS_ERR_USAGE, "--wave %lld was given, but instrument '%s' "
                             "version '%s' has no wave column (role 'wave' in survey.csv)",
                             (long long)opt->wave, inst->form_id, inst->version);
        goto done;
    }
    if ((st = sipas_store_personal_key(store, c.personal_key, err)) != SIPAS_OK)
        goto done;
    if ((st = build_code_tables(&c, err)) != SIPAS_OK ||
        (st = build_label_indexes(&c, err)) != SIPAS_OK ||
        (st = sipas_design_fill_open(store, inst, &c.design_fill, err)) != SIPAS_OK)
        goto done;
    if ((st = sipas_store_batch_begin(store, inst, c.name, (int64_t)sb.st_size,
                                      same_size ? result->sha256 : NULL, opt->wave, opt->replace,
                                      &c.batch, err)) != SIPAS_OK)
        goto done;
    /* The same file imported twice at once: the other run may have committed while this one
     * waited for the write lock in sipas_store_batch_begin. Look again now that the lock is
     * held, so the repeat is refused as "same content as batch N", not row by row as duplicate
     * ids. (The batch's hash is then stored at commit, as for any file hashed while read.) */
    bool hashed_at_begin = same_size;
    if (!same_size && !opt->dry_run &&
        ((st = sipas_store_has_batch_of_size(store, inst->form_id, (int64_t)sb.st_size, &same_size,
                                             err)) != SIPAS_OK ||
         (same_size && ((st = sipas_import_hash_file(path, result->sha256, err)) != SIPAS_OK ||
                        (st = sipas_store_batch_check_hash(c.batch, result->sha256, err)) != SIPAS_OK))))
        goto done;
    sipas_table_options source_options = {.sheet = opt->sheet,
                                          .progress = opt->progress ? relay_progress : NULL,
                                          .progress_ctx = &c,
                                          /* read by this thread only (read_and_store) */
                                          .stop_flag = NULL,
                                          .encoding = opt->encoding};
    if ((st = sipas_table_source_open(path, c.name, &source_options, &c.source, err)) != SIPAS_OK)
        goto done;
    c.csv_source = sipas_table_source_format(c.source) == SIPAS_TABLE_CSV;
    st = read_and_store(&c, err);
    snprintf(c.sha256, sizeof c.sha256, "%s", sipas_table_source_sha256(c.source));
    memcpy(result->sha256, c.sha256, sizeof c.sha256);
    result->delimiter = sipas_table_source_delimiter(c.source);
    result->encoding = sipas_table_source_encoding(c.source);
    result->rows_read = c.rows_read;
    result->rows_rejected = c.rows_rejected;
    sipas_design_fill_summary(c.design_fill, result->design_filled, sizeof result->design_filled,
                              result->design_disagreed, sizeof result->design_disagreed);
    if (st != SIPAS_OK)
        goto done;
    if (!c.have_header) {
        char where[PROBLEM_MAX];
        sipas_table_source_where(c.source, 0, where, sizeof where);
        sipas_table_format format = sipas_table_source_format(c.source);
        bool sheet = format == SIPAS_TABLE_XLSX || format == SIPAS_TABLE_ODS || format == SIPAS_TABLE_XLS;
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the %s is empty (no header row)", where,
                             sheet ? "sheet" : "file");
        goto done;
    }
    if (c.rows_read == 0) {
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: no data rows (only a header)", c.name);
        goto done;
    }
    if (c.rows_rejected > 0 && !opt->keep_valid) {
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s: %lld of %lld row%s rejected; nothing "
                             "was stored%s%s%s", c.name, (long long)c.rows_rejected,
                             (long long)c.rows_read, c.rows_read == 1 ? "" : "s",
                             opt->rejects_path ? " (rejected rows are in '" : "",
                             opt->rejects_path ? opt->rejects_path : "",
                             opt->rejects_path ? "')" : "");
        goto done;
    }
    if (c.rows_rejected == c.rows_read) {
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s: every row was rejected; nothing was "
                             "stored", c.name);
        goto done;
    }
    result->rows_stored = c.rows_read - c.rows_rejected;
    if (opt->dry_run)
        goto done; /* a repeated file was refused at the start already */
    if ((st = finish_rejects(&c, st, err)) != SIPAS_OK)
        goto done;
    st = sipas_store_batch_commit(c.batch, hashed_at_begin ? NULL : c.sha256, c.rows_read,
                                  c.rows_rejected, &result->batch_id, err);
    c.batch = NULL;
done:
    st = finish_rejects(&c, st, err);
    sipas_store_batch_abort(c.batch);
    if (st != SIPAS_OK)
        result->rows_stored = 0;
    sipas_table_source_free(c.source);
    import_ctx_release(&c);
    return st;
}
