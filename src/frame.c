/* src/frame.c - Population frames (sipas/frame.h): reading a margin's counts by cell and wave,
 * checked against the instrument's codes, and storing them for base weights and calibration. */
#include "sipas/frame.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_input.h"
#include "text.h"

#define FRAME_MAX_COLUMNS 8
#define FRAME_MAX_CELLS 1000000

typedef struct frame_ctx {
    const sipas_instrument *inst;
    const char *name;
    bool have_header;
    size_t nfields;
    int role[64];                  /* per field: item index, -1 wave, -2 population */
    size_t nmargin;
    const sipas_item *margin[FRAME_MAX_COLUMNS];
    size_t field_of[FRAME_MAX_COLUMNS];
    int wave_field, population_field;
    sipas_margin_cell *cells;
    size_t ncells, cap;
    frame_problems problems;
    sipas_frame_summary *summary;
} frame_ctx;

static sipas_status frame_header(frame_ctx *c, size_t row, size_t nfields, char *const *fields,
                                 const size_t *lengths, sipas_error *err)
{
    if (nfields > sizeof c->role / sizeof c->role[0])
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: a frame has at most %zu columns",
                               c->name, row, sizeof c->role / sizeof c->role[0]);
    c->nfields = nfields;
    c->wave_field = c->population_field = -1;
    for (size_t j = 0; j < nfields; j++) {
        size_t start, len;
        sipas_text_trim(fields[j], lengths[j], &start, &len);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)len, fields[j] + start);
        if (strcmp(name, "population") == 0) {
            c->role[j] = -2;
            c->population_field = (int)j;
            continue;
        }
        const sipas_item *it = sipas_instrument_item(c->inst, name);
        if (it && it->role == SIPAS_ROLE_WAVE) {
            c->role[j] = -1;
            c->wave_field = (int)j;
            continue;
        }
        if (it == NULL || it->type != SIPAS_TYPE_SELECT_ONE || it->personal)
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: column '%s': not a coded column "
                                   "of instrument '%s' (a frame names coded columns, optionally "
                                   "the wave, and 'population')", c->name, row, name,
                                   c->inst->form_id);
        if (c->nmargin == FRAME_MAX_COLUMNS)
            return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: a margin has at most %d columns",
                                   c->name, row, FRAME_MAX_COLUMNS);
        c->role[j] = (int)(it - c->inst->items);
        c->field_of[c->nmargin] = j;
        c->margin[c->nmargin++] = it;
    }
    if (c->population_field < 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: no 'population' column", c->name, row);
    if (c->nmargin == 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "%s:%zu: no margin column (such as district)",
                               c->name, row);
    char *m = c->summary->margin;
    m[0] = '\0';
    for (size_t k = 0; k < c->nmargin; k++) {
        size_t used = strlen(m);
        snprintf(m + used, sizeof c->summary->margin - used, "%s%s", k ? "+" : "", c->margin[k]->name);
    }
    c->have_header = true;
    return SIPAS_OK;
}

static sipas_status frame_row(void *ctx, char delimiter, size_t row, size_t nfields,
                              char *const *fields, const size_t *lengths, sipas_error *err)
{
    frame_ctx *c = ctx;
    if (!c->have_header)
        return frame_header(c, row, nfields, fields, lengths, err);
    if (nfields != c->nfields) {
        frame_problem(&c->problems, row, NULL, "the row has %zu fields but the header has %zu", nfields, c->nfields);
        return SIPAS_OK;
    }
    char cell[1024] = "";
    for (size_t k = 0; k < c->nmargin; k++) {
        size_t j = c->field_of[k];
        const sipas_choice *ch = sipas_choice_list_match(c->margin[k]->list, fields[j], lengths[j]);
        if (ch == NULL) {
            frame_problem(&c->problems, row, c->margin[k]->name, "'%.*s' is not a code or label of list '%s'",
                          (int)(lengths[j] > 80 ? 80 : lengths[j]), fields[j], c->margin[k]->list->name);
            return SIPAS_OK;
        }
        size_t used = strlen(cell);
        snprintf(cell + used, sizeof cell - used, "%s%s", k ? "|" : "", ch->name);
    }
    long wave = 0;
    if (c->wave_field >= 0) {
        char *end = NULL;
        const char *w = fields[c->wave_field];
        errno = 0;
        wave = strtol(w, &end, 10);
        if (end == w || *end != '\0' || wave < 1990 || wave > 2100) {
            frame_problem(&c->problems, row, "wave", "'%s' is not a year from 1990 to 2100", w);
            return SIPAS_OK;
        }
    }
    const char *p = fields[c->population_field];
    size_t plen = lengths[c->population_field];
    double population;
    if (!frame_number(p, plen, delimiter, &population) || population < 0) {
        size_t start, len;
        sipas_text_trim(p, plen, &start, &len);
        frame_problem(&c->problems, row, "population", "'%.*s' is not a count of people (a number >= 0)",
                      (int)(len > 80 ? 80 : len), p + start);
        return SIPAS_OK;
    }
    if (c->ncells == FRAME_MAX_CELLS)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "%s: more than %d cells", c->name, FRAME_MAX_CELLS);
    if (c->ncells == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        sipas_margin_cell *grown = realloc(c->cells, cap * sizeof *grown);
        if (grown == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        c->cells = grown;
        c->cap = cap;
    }
    sipas_margin_cell *mc = &c->cells[c->ncells];
    if ((mc->cell = strdup(cell)) == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    mc->wave = wave;
    mc->population = population;
    c->ncells++;
    return SIPAS_OK;
}

sipas_status sipas_frame_import(sipas_store *store, const sipas_instrument *inst,
                                const char *path, sipas_frame_summary *summary,
                                sipas_error *err)
{
    memset(summary, 0, sizeof *summary);
    frame_ctx c = {.inst = inst, .name = path, .summary = summary, .problems = {.path = path}};
    sipas_status st = frame_read(path, frame_row, &c, err);
    if (st == SIPAS_OK && !c.have_header)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: the file is empty (no header row)", path);
    if (st == SIPAS_OK && c.problems.count > 0)
        st = sipas_error_set(err, SIPAS_ERR_VALIDATION, "%s%s; nothing was stored", c.problems.first,
                             c.problems.count > 1 ? " (and more problems)" : "");
    if (st == SIPAS_OK && c.ncells == 0)
        st = sipas_error_set(err, SIPAS_ERR_FORMAT, "%s: no data rows (only a header)", path);
    if (st == SIPAS_OK)
        st = sipas_store_replace_margin(store, inst->form_id, summary->margin, c.cells, c.ncells,
                                        path, err);
    if (st == SIPAS_OK) {
        summary->cells = c.ncells;
        summary->first_wave = summary->last_wave = c.cells[0].wave;
        for (size_t i = 0; i < c.ncells; i++) {
            if (c.cells[i].wave < summary->first_wave)
                summary->first_wave = c.cells[i].wave;
            if (c.cells[i].wave > summary->last_wave)
                summary->last_wave = c.cells[i].wave;
            if (c.cells[i].wave == c.cells[0].wave)
                summary->total += c.cells[i].population;
        }
    }
    sipas_margin_cells_free(c.cells, c.ncells);
    return st;
}
