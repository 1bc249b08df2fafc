/* sipas/frame.h - population frames: counts of the population by the cells of one margin, for
 * base weights and calibration (post-stratification, raking).
 *
 * A frame file is a CSV whose header names one or more of the instrument's coded columns (the
 * margin: "district", or "sex,age_group" for their combinations), optionally `wave` (a year; a
 * row without it applies to every wave) and `population` (persons, >= 0; a decimal comma is
 * accepted in semicolon- or tab-separated files). Values are codes or labels of the columns'
 * lists. Each problem is reported as "FILE:ROW: column 'NAME': reason"; a file with any problem
 * stores nothing. */
#ifndef SIPAS_FRAME_H
#define SIPAS_FRAME_H

#include <stddef.h>

#include "sipas/error.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef struct sipas_frame_summary {
    char margin[256];   /* the margin's name: its columns joined by '+' */
    size_t cells;       /* rows stored */
    long first_wave, last_wave; /* 0, 0 when every row applies to all waves */
    double total;       /* sum of the populations of the first wave in the file */
} sipas_frame_summary;

sipas_status sipas_frame_import(sipas_store *store, const sipas_instrument *inst,
                                const char *path, sipas_frame_summary *summary,
                                sipas_error *err);

/* The cell key of row values: codes joined by '|' ("female|18_29"). */
#define SIPAS_FRAME_CELL_SEPARATOR '|'
#define SIPAS_FRAME_MARGIN_SEPARATOR '+'

#endif
