/* src/error.c - The one error type (sipas/error.h): setting a status with its message, and adding
 * context (file, row, column) as an error travels up. */
#include "sipas/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

sipas_status sipas_error_set(sipas_error *err, sipas_status status, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

sipas_status sipas_error_prefix(sipas_error *err, sipas_status status, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    char prefix[SIPAS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix);
    /* a context written with its own separator keeps one */
    while (plen > 0 && (prefix[plen - 1] == ' ' || prefix[plen - 1] == ':'))
        plen--;
    size_t mlen = strlen(err->message);
    size_t slen = mlen > 0 ? 2 : 0; /* ": " only before an existing message */
    size_t cap = sizeof err->message - 1;
    if (plen + slen > cap)
        plen = cap - slen;
    if (plen + slen + mlen > cap)
        mlen = cap - plen - slen;
    memmove(err->message + plen + slen, err->message, mlen);
    memcpy(err->message, prefix, plen);
    if (slen)
        memcpy(err->message + plen, ": ", 2);
    err->message[plen + slen + mlen] = '\0';
    return status;
}

void sipas_error_clear(sipas_error *err)
{
    if (err == NULL)
        return;
    err->status = SIPAS_OK;
    err->message[0] = '\0';
}

const char *sipas_status_name(sipas_status status)
{
    switch (status) {
    case SIPAS_OK: return "ok";
    case SIPAS_ERR_USAGE: return "usage";
    case SIPAS_ERR_IO: return "io";
    case SIPAS_ERR_FORMAT: return "format";
    case SIPAS_ERR_VALIDATION: return "validation";
    case SIPAS_ERR_STORE: return "store";
    case SIPAS_ERR_CONFLICT: return "conflict";
    case SIPAS_ERR_NOT_FOUND: return "not-found";
    case SIPAS_ERR_NOMEM: return "nomem";
    case SIPAS_ERR_MATH: return "math";
    case SIPAS_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown";
}
