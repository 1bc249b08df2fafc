/* src/csv_reader.c - The streaming CSV reader (sipas/csv_reader.h): byte order mark, delimiter
 * detection and line-based row numbers around libcsv, whose header stays in this file. */
#include "sipas/csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

#define DEFAULT_MAX_FIELD_BYTES ((size_t)1 << 20)
#define DEFAULT_MAX_FIELDS ((size_t)4096)
/* The delimiter is guessed from the first record, or from this many bytes when the first record
 * is longer (a header of 64 KiB is already absurd). */
#define SNIFF_CAP ((size_t)64 * 1024)
/* Bytes handed to csv_parse at a time, so that a field libcsv is still collecting is checked
 * against max_field_bytes before it can grow much further. */
#define PARSE_SLICE ((size_t)64 * 1024)
#define READ_CHUNK ((size_t)64 * 1024)

struct sipas_csv_reader {
    struct csv_parser parser;
    bool parser_ready;
    int parser_idle; /* libcsv's state between records (a fresh parser's), for parse_run */
    unsigned char byte_class[256]; /* parse_plain_lines's, once the delimiter is known */
    char *source;
    sipas_csv_row_fn row_fn;
    void *ctx;
    char delimiter;
    bool delimiter_given;
    size_t max_field_bytes;
    size_t max_fields;

    sipas_decoder *decoder; /* the file's bytes to UTF-8 (encoding.h) */

    /* Prelude: text held back until the delimiter is known. */
    bool started;
    char *pending;
    size_t pending_len, pending_cap;
    size_t sniff_pos;
    bool sniff_quoted;
    bool sniff_content;
    size_t sniff_counts[3]; /* ',' ';' '\t' outside quotes */

    /* The record being collected: fields copied back to back, each NUL-terminated. */
    char *rec;
    size_t rec_len, rec_cap;
    size_t *offsets;
    size_t *lengths;
    char **fields;
    size_t nfields, fields_cap;
    size_t record_breaks; /* line breaks inside the fields of this record */

    size_t line;  /* line on which the current (or next) record starts */
    bool prev_cr; /* the last line break seen outside a field was a CR (CRLF pairs count once) */
    char **first_record; /* the first record's fields (the header), to name a field in messages */
    size_t nfirst;

    bool finished;
    sipas_status status; /* sticky: once a feed fails, the reader stays failed */
    sipas_error error;
    sipas_error row_error; /* handed to row_fn */
};

static const char sniff_delimiters[3] = {',', ';', '\t'};

__attribute__((format(printf, 3, 4)))
static void reader_fail(sipas_csv_reader *r, sipas_status status, const char *fmt, ...)
{
    if (r->status != SIPAS_OK)
        return; /* keep the first error: later ones are consequences */
    r->status = status;
    r->error.status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error.message, sizeof r->error.message, fmt, ap);
    va_end(ap);
}

/* The message for a field past max_field_bytes: named by its column when the first record (the
 * header) has a field there, as a spreadsheet user knows it by that name. */
static void fail_field_too_long(sipas_csv_reader *r)
{
    size_t i = r->nfields;
    if (r->line > 1 && i < r->nfirst && r->first_record[i])
        reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: column '%.200s' (field %zu) is longer than %zu "
                    "bytes", r->source, r->line, r->first_record[i], i + 1, r->max_field_bytes);
    else
        reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: field %zu is longer than %zu bytes", r->source,
                    r->line, i + 1, r->max_field_bytes);
}

static sipas_status reader_report(const sipas_csv_reader *r, sipas_error *err)
{
    if (r->status != SIPAS_OK && err != NULL)
        *err = r->error;
    return r->status;
}

static bool grow_fields(sipas_csv_reader *r)
{
    if (r->nfields < r->fields_cap)
        return true;
    size_t cap = r->fields_cap ? r->fields_cap * 2 : 32;
    if (cap > r->max_fields)
        cap = r->max_fields;
    size_t *offsets = realloc(r->offsets, cap * sizeof *offsets);
    if (offsets == NULL)
        return false;
    r->offsets = offsets;
    size_t *lengths = realloc(r->lengths, cap * sizeof *lengths);
    if (lengths == NULL)
        return false;
    r->lengths = lengths;
    char **fields = realloc(r->fields, cap * sizeof *fields);
    if (fields == NULL)
        return false;
    r->fields = fields;
    r->fields_cap = cap;
    return true;
}

/* Line breaks as a text editor counts them: LF, CRLF and a lone CR each end one line. */
static size_t count_line_breaks(const char *s, size_t len)
{
    size_t n = 0;
    const char *end = s + len;
    const char *p = s;
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (lf == NULL && cr == NULL)
            break;
        if (cr != NULL && (lf == NULL || cr < lf)) {
            n++;
            p = cr + 1;
            if (p < end && *p == '\n')
                p++;
        } else {
            n++;
            p = lf + 1;
        }
    }
    return n;
}

static void on_field(void *field, size_t len, void *data)
{
    sipas_csv_reader *r = data;
    if (r->status != SIPAS_OK)
        return;
    if (r->nfields == r->max_fields) {
        reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: more than %zu fields", r->source, r->line,
                    r->max_fields);
        return;
    }
    if (len > r->max_field_bytes) {
        fail_field_too_long(r);
        return;
    }
    if (!grow_fields(r) || !grow_bytes(&r->rec, &r->rec_cap, r->rec_len + len + 1)) {
        reader_fail(r, SIPAS_ERR_NOMEM, "%s:%zu: out of memory", r->source, r->line);
        return;
    }
    if (len > 0) {
        memcpy(r->rec + r->rec_len, field, len);
        r->record_breaks += count_line_breaks(field, len);
    }
    r->rec[r->rec_len + len] = '\0';
    r->offsets[r->nfields] = r->rec_len;
    r->lengths[r->nfields] = len;
    r->nfields++;
    r->rec_len += len + 1;
    r->prev_cr = false;
}

static void on_record_end(int c, void *data)
{
    sipas_csv_reader *r = data;
    if (r->status != SIPAS_OK)
        return;
    if (r->nfields == 0) {
        /* A line break outside any record (CSV_REPALL_NL): a blank line, or the LF of a CRLF
         * whose CR ended the record before. */
        if (!(c == '\n' && r->prev_cr))
            r->line++;
        r->prev_cr = (c == '\r');
        return;
    }
    bool all_empty = true;
    for (size_t i = 0; i < r->nfields; i++) {
        r->fields[i] = r->rec + r->offsets[i];
        if (r->lengths[i] != 0)
            all_empty = false;
    }
    if (r->first_record == NULL && (r->first_record = calloc(r->nfields, sizeof *r->first_record))) {
        r->nfirst = r->nfields; /* a failed copy (NULL) only costs that name in messages */
        for (size_t i = 0; i < r->nfields; i++)
            r->first_record[i] = strdup(r->fields[i]);
    }
    /* Spreadsheets write ",,,," for rows that were formatted but left empty: as blank as a
     * blank line, so skipped the same way. */
    if (!all_empty) {
        sipas_error_clear(&r->row_error);
        sipas_status st = r->row_fn(r->ctx, r->line, r->nfields, r->fields, r->lengths,
                                    &r->row_error);
        if (st != SIPAS_OK) {
            if (r->row_error.message[0] == '\0')
                snprintf(r->row_error.message, sizeof r->row_error.message,
                         "%s:%zu: record refused (%s)", r->source, r->line,
                         sipas_status_name(st));
            r->status = st;
            r->error = r->row_error;
            r->error.status = st;
        }
    }
    r->line += 1 + r->record_breaks;
    r->prev_cr = (c == '\r');
    r->nfields = 0;
    r->rec_len = 0;
    r->record_breaks = 0;
}

/* The classes of bytes in an unquoted field (parse_plain_lines). */
enum { BYTE_DELIMITER = 1, BYTE_LINE_BREAK = 2, BYTE_SPACE = 4 };

/* Sets the byte classes once the delimiter is known: a space or a tab is trimmed from both
 * ends of an unquoted field by libcsv, unless it is the delimiter. */
static void set_byte_classes(sipas_csv_reader *r)
{
    memset(r->byte_class, 0, sizeof r->byte_class);
    r->byte_class[' '] = r->byte_class['\t'] = BYTE_SPACE;
    r->byte_class['\r'] = r->byte_class['\n'] = BYTE_LINE_BREAK;
    r->byte_class[(unsigned char)r->delimiter] = BYTE_DELIMITER;
}

/* One complete quote-free line, its fields found by parse_plain_lines: checked and copied as
 * on_field checks and copies them (the same messages for too many or too long fields), in one
 * copy of the line whose delimiters become the fields' NULs; then the record ends. */
static void take_plain_line(sipas_csv_reader *r, const char *line, size_t line_len, size_t nfields,
                            size_t longest, int line_break)
{
    /* longest: of the fields recorded; the fields are looked at one by one only when one is
     * refused, for the message of the first */
    for (size_t j = 0; (nfields > r->max_fields || longest > r->max_field_bytes) && j < nfields;
         j++) {
        r->nfields = j; /* the field the messages name */
        if (j == r->max_fields) {
            reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: more than %zu fields", r->source, r->line,
                        r->max_fields);
            return;
        }
        if (r->lengths[j] > r->max_field_bytes) {
            fail_field_too_long(r);
            return;
        }
    }
    if (!grow_bytes(&r->rec, &r->rec_cap, line_len + 1)) {
        reader_fail(r, SIPAS_ERR_NOMEM, "%s:%zu: out of memory", r->source, r->line);
        return;
    }
    if (line_len > 0)
        memcpy(r->rec, line, line_len);
    for (size_t j = 0; j < nfields; j++)
        r->rec[r->offsets[j] + r->lengths[j]] = '\0';
    r->nfields = nfields;
    r->rec_len = line_len + 1;
    if (nfields > 0)
        r->prev_cr = false;
    on_record_end(line_break, r);
}

/* The fast path for lines without a quote, which are most lines of a large export: their
 * fields are found here, byte for byte as libcsv (CSV_STRICT | CSV_REPALL_NL, default spaces
 * and line breaks) finds them, and the record goes to the same on_record_end, so rows, line
 * numbers and messages are the same; libcsv copies each byte into its own buffer and hands
 * each field over separately, and was the reader's largest cost (docs/performance.md,
 * "Import"). Called only between records (libcsv holds nothing), it takes the complete
 * quote-free lines at the start of data and returns how many bytes they were; the rest (a line
 * with a quote, or one not yet ended) is libcsv's. */
static size_t parse_plain_lines(sipas_csv_reader *r, const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    const unsigned char *quote = memchr(s, '"', len);
    size_t limit = quote != NULL ? (size_t)(quote - s) : len;
    const unsigned char *cls = r->byte_class;
    size_t done = 0; /* bytes of the lines taken */
    while (done < limit && r->status == SIPAS_OK) {
        size_t i = done, nfields = 0, longest = 0;
        for (;;) { /* one field */
            while (i < limit && cls[s[i]] == BYTE_SPACE)
                i++;
            if (i == limit)
                return done; /* the line does not end here: libcsv's */
            unsigned char k = cls[s[i]];
            /* a line of spaces alone is no record (on_record_end counts it as a blank line);
             * after a delimiter, a line break ends an empty last field */
            if (k == BYTE_LINE_BREAK && nfields == 0)
                break;
            size_t start = i, end = i;
            while ((k & (BYTE_DELIMITER | BYTE_LINE_BREAK)) == 0) {
                if (++i == limit)
                    return done;
                if (k != BYTE_SPACE)
                    end = i;
                k = cls[s[i]];
            }
            /* past max_fields only the line's end is looked for: take_plain_line refuses it */
            if (nfields < r->max_fields) {
                if (nfields == r->fields_cap) {
                    r->nfields = nfields; /* grow_fields makes room for this one */
                    bool grown = grow_fields(r);
                    r->nfields = 0;
                    if (!grown) {
                        reader_fail(r, SIPAS_ERR_NOMEM, "%s:%zu: out of memory", r->source,
                                    r->line);
                        return done;
                    }
                }
                r->offsets[nfields] = start - done;
                r->lengths[nfields] = end - start;
                if (end - start > longest)
                    longest = end - start;
            }
            nfields++;
            if (k != BYTE_DELIMITER)
                break;
            i++;
        }
        take_plain_line(r, data + done, i - done, nfields, longest, s[i]);
        done = i + 1;
    }
    return done;
}

/* Runs text without NUL bytes through the fast path and libcsv; returns the bytes consumed,
 * fewer than len when libcsv stops at an error. */
static size_t parse_run(sipas_csv_reader *r, const char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len && r->status == SIPAS_OK) {
        if (r->parser.pstate == r->parser_idle && r->parser.entry_pos == 0 && r->nfields == 0)
            pos += parse_plain_lines(r, data + pos, len - pos);
        if (pos == len || r->status != SIPAS_OK)
            break;
        /* libcsv takes the next line, up to and including its line break (a quoted field
         * may run on: the loop then gives it the next line too) */
        size_t n = 0;
        while (pos + n < len && data[pos + n] != '\n' && data[pos + n] != '\r')
            n++;
        n += pos + n < len; /* the line break too */
        size_t done = csv_parse(&r->parser, data + pos, n, on_field, on_record_end, r);
        pos += done;
        if (done < n)
            break;
    }
    return pos;
}

/* Runs bytes whose prelude is settled through libcsv, refusing NUL bytes and fields that grow
 * past the limit while libcsv is still collecting them. */
static void parse_bytes(sipas_csv_reader *r, const char *data, size_t len)
{
    while (len > 0 && r->status == SIPAS_OK) {
        size_t n = len < PARSE_SLICE ? len : PARSE_SLICE;
        const char *nul = memchr(data, '\0', n);
        size_t upto = nul != NULL ? (size_t)(nul - data) : n;
        if (upto > 0) {
            size_t done = parse_run(r, data, upto);
            if (r->status != SIPAS_OK)
                return;
            if (done < upto) {
                int e = csv_error(&r->parser);
                if (e == CSV_EPARSE)
                    reader_fail(r, SIPAS_ERR_FORMAT,
                                "%s:%zu: field %zu: stray quote; a field that holds a quote "
                                "must be quoted and the quote doubled (\"a \"\"b\"\" c\")",
                                r->source, r->line, r->nfields + 1);
                else if (e == CSV_ENOMEM)
                    reader_fail(r, SIPAS_ERR_NOMEM, "%s:%zu: out of memory", r->source, r->line);
                else
                    reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: %s", r->source, r->line,
                                csv_strerror(e));
                return;
            }
            if (r->parser.entry_pos > r->max_field_bytes) {
                /* Same words as in on_field, so the message does not depend on where the
                 * chunks happened to end. */
                fail_field_too_long(r);
                return;
            }
            /* libcsv grows its field buffer by blk_size bytes at a time; keeping blk_size at
             * the buffer's size makes that growth geometric instead of quadratic. */
            size_t size = csv_get_buffer_size(&r->parser);
            if (size > r->parser.blk_size)
                csv_set_blk_size(&r->parser, size);
        }
        if (nul != NULL) {
            reader_fail(r, SIPAS_ERR_FORMAT,
                        "%s:%zu: field %zu holds a NUL byte; this is not a text file (UTF-16 or "
                        "a spreadsheet?): save it as UTF-8 CSV",
                        r->source, r->line, r->nfields + 1);
            return;
        }
        data += n;
        len -= n;
    }
}

/* Scans the held-back bytes for the end of the first non-blank record outside quotes; true
 * when it is found. Resumes where the last call stopped, so feeding byte by byte stays linear. */
static bool sniff_first_record(sipas_csv_reader *r)
{
    size_t limit = r->pending_len < SNIFF_CAP ? r->pending_len : SNIFF_CAP;
    for (; r->sniff_pos < limit; r->sniff_pos++) {
        char c = r->pending[r->sniff_pos];
        if (c == '"') {
            r->sniff_quoted = !r->sniff_quoted;
            r->sniff_content = true;
        } else if (r->sniff_quoted) {
            continue;
        } else if (c == '\n' || c == '\r') {
            if (r->sniff_content)
                return true;
        } else {
            for (size_t i = 0; i < 3; i++)
                if (c == sniff_delimiters[i])
                    r->sniff_counts[i]++;
            if (c != ' ')
                r->sniff_content = true;
        }
    }
    return r->pending_len >= SNIFF_CAP;
}

/* Settles the prelude once enough bytes are held (or at the end) and parses what was held. */
static void try_start(sipas_csv_reader *r, bool at_end)
{
    if (!r->delimiter_given) {
        if (!sniff_first_record(r) && !at_end)
            return;
        size_t best = 0;
        for (size_t i = 1; i < 3; i++)
            if (r->sniff_counts[i] > r->sniff_counts[best])
                best = i;
        r->delimiter = sniff_delimiters[best];
    }
    csv_set_delim(&r->parser, (unsigned char)r->delimiter);
    set_byte_classes(r);
    r->started = true;
    if (r->pending != NULL) /* NULL for an empty input: NULL + 0 is undefined */
        parse_bytes(r, r->pending, r->pending_len);
    free(r->pending);
    r->pending = NULL;
    r->pending_len = r->pending_cap = 0;
}

/* The decoder's sink: UTF-8 text, held until the delimiter is known, then parsed. */
static sipas_status parse_text(void *ctx, const char *data, size_t len, sipas_error *err)
{
    sipas_csv_reader *r = ctx;
    if (r->started) {
        parse_bytes(r, data, len);
        return reader_report(r, err);
    }
    if (!grow_bytes(&r->pending, &r->pending_cap, r->pending_len + len)) {
        reader_fail(r, SIPAS_ERR_NOMEM, "%s: out of memory", r->source);
        return reader_report(r, err);
    }
    memcpy(r->pending + r->pending_len, data, len);
    r->pending_len += len;
    try_start(r, false);
    return reader_report(r, err);
}

/* A failure of the decoder itself (not of parse_text) gets the file name, and the row where
 * the bad bytes are once the encoding is known (detection failures concern the whole file). */
static sipas_status decoder_report(sipas_csv_reader *r, sipas_status st,
                                   const sipas_error *decoder_error, sipas_error *err)
{
    if (st != SIPAS_OK && r->status == SIPAS_OK) {
        if (sipas_decoder_encoding(r->decoder) == SIPAS_ENCODING_DETECT)
            reader_fail(r, st, "%s: %s", r->source, decoder_error->message);
        else
            reader_fail(r, st, "%s:%zu: %s", r->source, r->line, decoder_error->message);
    }
    return reader_report(r, err);
}

sipas_status sipas_csv_reader_new(const sipas_csv_options *options, const char *source_name,
                                  sipas_csv_row_fn row_fn, void *ctx, sipas_csv_reader **out,
                                  sipas_error *err)
{
    if (out == NULL || row_fn == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "csv reader: no output or row callback");
    *out = NULL;
    char delimiter = options != NULL ? options->delimiter : 0;
    if (delimiter == '"' || delimiter == '\r' || delimiter == '\n')
        return sipas_error_set(err, SIPAS_ERR_USAGE,
                               "csv reader: a quote or a line break cannot be the delimiter");
    sipas_csv_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    r->source = strdup(source_name != NULL ? source_name : "<input>");
    if (r->source == NULL) {
        free(r);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    /* Strict mode so that an open quote at the end and a stray quote are reported instead of
     * silently gluing rows together; libcsv still trims spaces around unquoted fields. */
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
        free(r->source);
        free(r);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    r->parser_ready = true;
    r->parser_idle = r->parser.pstate;
    sipas_status st = sipas_decoder_new(options != NULL ? options->encoding : SIPAS_ENCODING_DETECT,
                                        &r->decoder, err);
    if (st != SIPAS_OK) {
        sipas_csv_reader_free(r);
        return st;
    }
    r->row_fn = row_fn;
    r->ctx = ctx;
    r->delimiter = delimiter;
    r->delimiter_given = delimiter != 0;
    r->max_field_bytes = options != NULL && options->max_field_bytes != 0
                             ? options->max_field_bytes : DEFAULT_MAX_FIELD_BYTES;
    r->max_fields = options != NULL && options->max_fields != 0 ? options->max_fields
                                                                : DEFAULT_MAX_FIELDS;
    r->line = 1;
    *out = r;
    return SIPAS_OK;
}

sipas_status sipas_csv_reader_feed(sipas_csv_reader *reader, const char *data, size_t len,
                                   sipas_error *err)
{
    if (reader == NULL || (data == NULL && len > 0))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "csv reader: no reader or no data");
    sipas_csv_reader *r = reader;
    if (r->status != SIPAS_OK)
        return reader_report(r, err);
    if (r->finished)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "%s: csv reader fed after finish",
                               r->source);
    if (len == 0)
        return SIPAS_OK;
    sipas_error decoder_error;
    sipas_status st = sipas_decoder_feed(r->decoder, data, len, parse_text, r, &decoder_error);
    return decoder_report(r, st, &decoder_error, err);
}

sipas_status sipas_csv_reader_finish(sipas_csv_reader *reader, sipas_error *err)
{
    if (reader == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "csv reader: no reader");
    sipas_csv_reader *r = reader;
    if (r->status != SIPAS_OK)
        return reader_report(r, err);
    if (r->finished)
        return SIPAS_OK;
    r->finished = true;
    sipas_error decoder_error;
    sipas_status st = sipas_decoder_finish(r->decoder, parse_text, r, &decoder_error);
    if (st != SIPAS_OK)
        return decoder_report(r, st, &decoder_error, err);
    if (!r->started) {
        try_start(r, true);
        if (r->status != SIPAS_OK)
            return reader_report(r, err);
    }
    if (csv_fini(&r->parser, on_field, on_record_end, r) != 0 && r->status == SIPAS_OK)
        reader_fail(r, SIPAS_ERR_FORMAT, "%s:%zu: unterminated quoted field", r->source,
                    r->line);
    return reader_report(r, err);
}

sipas_encoding sipas_csv_reader_encoding(const sipas_csv_reader *reader)
{
    return reader != NULL ? sipas_decoder_encoding(reader->decoder) : SIPAS_ENCODING_DETECT;
}

char sipas_csv_reader_delimiter(const sipas_csv_reader *reader)
{
    if (reader == NULL || !reader->started)
        return reader != NULL && reader->delimiter_given ? reader->delimiter : 0;
    return reader->delimiter;
}

void sipas_csv_reader_free(sipas_csv_reader *reader)
{
    if (reader == NULL)
        return;
    if (reader->parser_ready)
        csv_free(&reader->parser);
    sipas_decoder_free(reader->decoder);
    free(reader->source);
    free(reader->pending);
    free(reader->rec);
    free(reader->offsets);
    free(reader->lengths);
    free(reader->fields);
    for (size_t i = 0; i < reader->nfirst; i++)
        free(reader->first_record[i]);
    free(reader->first_record);
    free(reader);
}

sipas_status sipas_csv_read_file(const char *path, const sipas_csv_options *options,
                                 sipas_csv_row_fn row_fn, void *ctx,
                                 sipas_csv_progress_fn progress, void *progress_ctx,
                                 volatile const int *stop_flag, sipas_error *err)
{
    if (path == NULL)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "csv reader: no path");
    sipas_status st = SIPAS_OK;
    sipas_csv_reader *reader = NULL;
    char *buf = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    uint64_t total = 0;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        total = (uint64_t)sb.st_size;
    st = sipas_csv_reader_new(options, path, row_fn, ctx, &reader, err);
    if (st != SIPAS_OK)
        goto cleanup;
    buf = malloc(READ_CHUNK);
    if (buf == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    uint64_t done = 0;
    for (;;) {
        if (stop_flag != NULL && *stop_flag) {
            st = sipas_error_set(err, SIPAS_ERR_INTERRUPTED, "%s: interrupted", path);
            goto cleanup;
        }
        ssize_t n = read(fd, buf, READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read '%s': %s", path,
                                 strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        st = sipas_csv_reader_feed(reader, buf, (size_t)n, err);
        if (st != SIPAS_OK)
            goto cleanup;
        done += (uint64_t)n;
        if (progress != NULL)
            progress(progress_ctx, done, total);
    }
    st = sipas_csv_reader_finish(reader, err);

cleanup:
    free(buf);
    sipas_csv_reader_free(reader);
    close(fd);
    return st;
}
