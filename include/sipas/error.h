/* sipas/error.h - the one error type of the library.
 *
 * Every fallible library function returns a sipas_status and, when it is not SIPAS_OK, fills the
 * caller's sipas_error (which may be NULL when the caller does not care) with a message that
 * carries its context, git style: lowercase, no final period, the subject quoted, e.g.
 *   batch3.csv:42: column 'q7': 'Hài long' is not a label of list 'sat5'
 * The library never prints; the programs decide what to show and which exit code to return.
 */
#ifndef SIPAS_ERROR_H
#define SIPAS_ERROR_H

#include <stddef.h>

typedef enum {
    SIPAS_OK = 0,
    SIPAS_ERR_USAGE,       /* a caller passed arguments that make no sense */
    SIPAS_ERR_IO,          /* a file could not be opened, read or written */
    SIPAS_ERR_FORMAT,      /* malformed input: CSV syntax, encoding, instrument sheets */
    SIPAS_ERR_VALIDATION,  /* well-formed input whose values break the instrument's rules */
    SIPAS_ERR_STORE,       /* SQLite reported an error, or the file is not a sipas store */
    SIPAS_ERR_CONFLICT,    /* already present: a repeated batch, an instrument version clash */
    SIPAS_ERR_NOT_FOUND,   /* an instrument, batch or column that does not exist */
    SIPAS_ERR_NOMEM,       /* allocation failed or an input-driven size exceeded its cap */
    SIPAS_ERR_MATH,        /* a numeric routine failed or the design cannot give an estimate */
    SIPAS_ERR_INTERRUPTED  /* the user interrupted; nothing was kept */
} sipas_status;

#define SIPAS_ERROR_MESSAGE_MAX 1024

typedef struct sipas_error {
    sipas_status status;
    char message[SIPAS_ERROR_MESSAGE_MAX];
} sipas_error;

/* Set status and message (printf format); returns status so callers can `return sipas_error_set(...)`.
 * err may be NULL. */
sipas_status sipas_error_set(sipas_error *err, sipas_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts context before the message of a failure, so that it reads as one sentence from the
 * outside in. Write the context WITHOUT a separator; ": " is inserted:
 *   st = sipas_trend_fit(..., err);
 *   if (st != SIPAS_OK)
 *       return sipas_error_prefix(err, st, "unit '%s', wave %g", code, year);
 * gives "unit 'x', wave 2024: <old message>". A context that already ends in ':' or ": " (the
 * old convention) is not doubled. Returns `status`, the status of the failure being described,
 * whether or not err is NULL, and stores it in err->status: the kind of a failure (data error,
 * usage error...) never changes by adding context. The message is cut at
 * SIPAS_ERROR_MESSAGE_MAX - 1 bytes, keeping the context. */
sipas_status sipas_error_prefix(sipas_error *err, sipas_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void sipas_error_clear(sipas_error *err);

/* A short stable name for a status ("format", "store", ...), for logs and tests. */
const char *sipas_status_name(sipas_status status);

#endif
