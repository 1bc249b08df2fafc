/* Tests of the streaming CSV reader. Every input is fed in every chunk size from 1 to its
 * length (libcsv's own test discipline), and must give the same rows and the same error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipas/csv_reader.h"

/* Rows serialised as "ROW:[f1][f2]\n" so that one string comparison checks row numbers, field
 * counts, empty fields and contents. */
typedef struct collected {
    char text[8192];
    size_t len;
    size_t stop_after; /* 0: never; n: refuse the n-th row */
    size_t rows;
} collected;

static void append(collected *c, const char *s, size_t n)
{
    assert_true(c->len + n < sizeof c->text);
    memcpy(c->text + c->len, s, n);
    c->len += n;
    c->text[c->len] = '\0';
}

static sipas_status collect_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                                const size_t *lengths, sipas_error *err)
{
    collected *c = ctx;
    c->rows++;
    if (c->stop_after != 0 && c->rows == c->stop_after)
        return sipas_error_set(err, SIPAS_ERR_VALIDATION, "row %zu refused by test", row);
    char head[32];
    int n = snprintf(head, sizeof head, "%zu:", row);
    append(c, head, (size_t)n);
    for (size_t i = 0; i < nfields; i++) {
        assert_int_equal(fields[i][lengths[i]], '\0');
        append(c, "[", 1);
        append(c, fields[i], lengths[i]);
        append(c, "]", 1);
    }
    append(c, "\n", 1);
    return SIPAS_OK;
}

typedef struct csv_case {
    const char *name;
    const char *input;
    size_t input_len; /* 0: strlen(input) */
    sipas_csv_options options;
    const char *rows;       /* expected serialisation of the rows delivered */
    sipas_status status;    /* expected from feed/finish */
    const char *message;    /* expected error message (exact), when status != OK */
    char delimiter;         /* expected delimiter in use, 0: do not check */
} csv_case;

/* Feeds the first bytes of the input in one piece, then the rest in pieces of chunk bytes;
 * returns the first failing status. */
static sipas_status run_pieces(const csv_case *tc, size_t len, size_t first, size_t chunk,
                               collected *c, sipas_error *err, char *delimiter)
{
    sipas_csv_reader *reader = NULL;
    sipas_status st = sipas_csv_reader_new(&tc->options, "t.csv", collect_row, c, &reader, err);
    assert_int_equal(st, SIPAS_OK);
    for (size_t off = 0; off < len && st == SIPAS_OK;) {
        size_t piece = off == 0 ? first : chunk;
        size_t n = len - off < piece ? len - off : piece;
        st = sipas_csv_reader_feed(reader, tc->input + off, n, err);
        off += n;
    }
    if (st == SIPAS_OK)
        st = sipas_csv_reader_finish(reader, err);
    *delimiter = sipas_csv_reader_delimiter(reader);
    sipas_csv_reader_free(reader);
    return st;
}

/* Feeds the input in pieces of chunk bytes. */
static sipas_status run_once(const csv_case *tc, size_t len, size_t chunk, collected *c,
                             sipas_error *err, char *delimiter)
{
    return run_pieces(tc, len, chunk, chunk, c, err, delimiter);
}

static void check_case(const csv_case *tc)
{
    size_t len = tc->input_len != 0 ? tc->input_len : strlen(tc->input);
    for (size_t chunk = 1; chunk <= len; chunk++) {
        collected c = {.len = 0};
        sipas_error err = {0};
        char delimiter = 0;
        sipas_status st = run_once(tc, len, chunk, &c, &err, &delimiter);
        if (st != tc->status || strcmp(c.text, tc->rows) != 0 ||
            (tc->status != SIPAS_OK && strcmp(err.message, tc->message) != 0) ||
            (tc->delimiter != 0 && delimiter != tc->delimiter)) {
            print_error("case '%s', chunk %zu: status %s, message '%s', delimiter %d, rows:\n%s",
                        tc->name, chunk, sipas_status_name(st), err.message, delimiter, c.text);
            fail();
        }
    }
}

static const csv_case cases[] = {
    {.name = "comma", .input = "id,q1,q2\n1,4,5\n2,3,\n",
     .rows = "1:[id][q1][q2]\n2:[1][4][5]\n3:[2][3][]\n", .delimiter = ','},
    {.name = "semicolon (Excel with a comma decimal separator)",
     .input = "id;q1;note\n1;4;\"a, b\"\n", .rows = "1:[id][q1][note]\n2:[1][4][a, b]\n",
     .delimiter = ';'},
    {.name = "tab", .input = "id\tq1\tq2\n1\t\t5\n", .rows = "1:[id][q1][q2]\n2:[1][][5]\n",
     .delimiter = '\t'},
    {.name = "delimiters inside quotes do not count",
     .input = "\"a;b;c;d\",x\n1,2\n", .rows = "1:[a;b;c;d][x]\n2:[1][2]\n", .delimiter = ','},
    {.name = "tie prefers comma", .input = "a,b;c\n", .rows = "1:[a][b;c]\n", .delimiter = ','},
    {.name = "no delimiter at all", .input = "only\nvalue\n", .rows = "1:[only]\n2:[value]\n",
     .delimiter = ','},
    {.name = "delimiter given", .input = "a,b;c\n", .options = {.delimiter = ';'},
     .rows = "1:[a,b][c]\n", .delimiter = ';'},
    {.name = "UTF-8 byte order mark skipped", .input = "\xEF\xBB\xBFid,q\n1,2\n",
     .rows = "1:[id][q]\n2:[1][2]\n"},
    {.name = "UTF-8 BOM on a short file", .input = "\xEF\xBB\xBF" "a", .rows = "1:[a]\n"},
    {.name = "UTF-16 LE with a BOM", .input = "\xFF\xFEi\0d\0", .input_len = 6,
     .rows = "1:[id]\n"},
    {.name = "UTF-16 BE with a BOM", .input = "\xFE\xFF\0i", .input_len = 4, .rows = "1:[i]\n"},
    {.name = "UTF-16 LE: \"Hài\" and a surrogate pair (U+1F600)",
     .input = "\xFF\xFEH\0\xE0\0i\0,\0=\xD8\0\xDE\n\0", .input_len = 16,
     .rows = "1:[H\xC3\xA0i][\xF0\x9F\x98\x80]\n"},
    {.name = "UTF-16 LE cut off", .input = "\xFF\xFEi\0d", .input_len = 5,
     .status = SIPAS_ERR_FORMAT, .rows = "",
     .message = "t.csv:1: the file ends inside a UTF-16 character (1 byte left over): it was "
                "cut off (an interrupted copy or download?); get the whole file again"},
    {.name = "UTF-16 lone surrogate", .input = "\xFF\xFE" "a\0\n\0\x00\xDC" "b\0", .input_len = 10,
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a]\n",
     .message = "t.csv:2: not valid UTF-16 (a lone surrogate 0xDC00)"},
    {.name = "UTF-32 LE refused", .input = "\xFF\xFE\0\0i\0\0\0", .input_len = 8,
     .status = SIPAS_ERR_FORMAT, .rows = "",
     .message = "t.csv: the file is UTF-32 (byte order mark FF FE 00 00); save it as UTF-8"},
    /* Bytes made with `printf 'Hài lòng' | iconv -f UTF-8 -t CP1258` (o + U+0300 as 6F CC) and
     * `-t TCVN5712-1`: converted and composed to NFC. */
    {.name = "Windows-1258 converted to NFC", .input = "q\nH\xE0i l\x6F\xCCng\n",
     .rows = "1:[q]\n2:[H\xC3\xA0i l\xC3\xB2ng]\n"},
    {.name = "TCVN3 converted", .input = "q\nH\xB5i l\xDFng\n",
     .rows = "1:[q]\n2:[H\xC3\xA0i l\xC3\xB2ng]\n"},
    {.name = "Windows-1258 given for ASCII", .input = "a,b\n", .rows = "1:[a][b]\n",
     .options = {.encoding = SIPAS_ENCODING_WINDOWS_1258}},
    {.name = "a legacy encoding given for UTF-8 text", .input = "q\nH\xC3\xA0i\n",
     .options = {.encoding = SIPAS_ENCODING_TCVN3}, .status = SIPAS_ERR_FORMAT, .rows = "",
     .message = "t.csv: the file is UTF-8, not TCVN3 (ABC) as --encoding says; leave "
                "--encoding out"},
    {.name = "UTF-8 given for Windows-1258 text", .input = "q\nok\nH\xE0i l\x6F\xCCng\n",
     .options = {.encoding = SIPAS_ENCODING_UTF8}, .status = SIPAS_ERR_FORMAT,
     .rows = "1:[q]\n2:[ok]\n",
     .message = "t.csv:3: not valid UTF-8 (byte 0xE0); the text looks like Windows-1258: give "
                "--encoding Windows-1258, or save the file as UTF-8"},
    /* A file cut off inside "à" (C3 A0) is UTF-8 that ends early, not TCVN3 or Windows-1258. */
    {.name = "UTF-8 cut off inside a character", .input = "q\nH\xC3\xA0i\nH\xC3",
     .status = SIPAS_ERR_FORMAT, .rows = "1:[q]\n2:[H\xC3\xA0i]\n",
     .message = "t.csv:3: the file ends inside a UTF-8 character (byte 0xC3): it was cut off "
                "(an interrupted copy or download?); get the whole file again"},
    {.name = "damaged UTF-8: mostly valid, one bad byte",
     .input = "q\nH\xC3\xA0i l\xC3\xB2ng\nH\xE0i\n", .status = SIPAS_ERR_FORMAT,
     .rows = "1:[q]\n2:[H\xC3\xA0i l\xC3\xB2ng]\n",
     .message = "t.csv:3: not valid UTF-8 (byte 0xE0), though the text before it is UTF-8 (this "
                "part looks like Windows-1258); correct that text, or save the file as UTF-8 "
                "again"},
    {.name = "bytes in no Vietnamese encoding", .input = "q\n\x81\x8d\x8f\x90\x9d\n",
     .status = SIPAS_ERR_FORMAT, .rows = "",
     .message = "t.csv: the file is not UTF-8, and its bytes do not read as Vietnamese in "
                "Windows-1258, TCVN3, VISCII or VNI; name its encoding with --encoding, or save it "
                "as UTF-8"},
    {.name = "quoted newline, delimiter and doubled quotes",
     .input = "id,note\n1,\"line one\nline \"\"two\"\", end\"\n2,x\n",
     .rows = "1:[id][note]\n2:[1][line one\nline \"two\", end]\n4:[2][x]\n"},
    {.name = "CRLF", .input = "id,q\r\n1,2\r\n\r\n3,4\r\n",
     .rows = "1:[id][q]\n2:[1][2]\n4:[3][4]\n"},
    {.name = "CRLF inside a quoted field counts one line",
     .input = "a,b\r\n\"x\r\ny\",z\r\nc,d\r\n", .rows = "1:[a][b]\n2:[x\r\ny][z]\n4:[c][d]\n"},
    {.name = "lone CR line ends", .input = "a,b\rc,d\r", .rows = "1:[a][b]\n2:[c][d]\n"},
    {.name = "last row without newline", .input = "a,b\n1,2",
     .rows = "1:[a][b]\n2:[1][2]\n"},
    {.name = "last quoted field without newline", .input = "a,b\n1,\"x\"\"\"",
     .rows = "1:[a][b]\n2:[1][x\"]\n"},
    {.name = "blank lines keep line numbers", .input = "\n\na,b\n\n  \n1,2\n\n",
     .rows = "3:[a][b]\n6:[1][2]\n"},
    {.name = "empty fields and an all-empty record",
     .input = "a,b,c\n,,\n,x,\n\"\",,\n", .rows = "1:[a][b][c]\n3:[][x][]\n"},
    {.name = "spaces around unquoted fields trimmed, quoted kept",
     .input = "a , b\n\" x \", y \n", .rows = "1:[a][b]\n2:[ x ][y]\n"},
    {.name = "empty input", .input = "", .rows = ""},
    {.name = "NUL byte", .input = "a,b\n1,x\0y\n", .input_len = 10,
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b]\n",
     .message = "t.csv:2: field 2 holds a NUL byte; this is not a text file (UTF-16 or a "
                "spreadsheet?): save it as UTF-8 CSV"},
    {.name = "UTF-16 LE without a BOM", .input = "a\0,\0b\0", .input_len = 6,
     .rows = "1:[a][b]\n"},
    {.name = "unterminated quote", .input = "a,b\n1,\"open\n2,3\n",
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b]\n",
     .message = "t.csv:2: unterminated quoted field"},
    {.name = "stray quote", .input = "a,b\n1,x\"y\n",
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b]\n",
     .message = "t.csv:2: field 2: stray quote; a field that holds a quote must be quoted and "
                "the quote doubled (\"a \"\"b\"\" c\")"},
    {.name = "too many fields", .input = "a,b\n1,2,3,4\n", .options = {.max_fields = 3},
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b]\n", .message = "t.csv:2: more than 3 fields"},
    {.name = "field too long", .input = "a,b\n1,\"123456\"\n",
     .options = {.max_field_bytes = 5}, .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b]\n",
     .message = "t.csv:2: column 'b' (field 2) is longer than 5 bytes"},
    {.name = "unquoted field too long, with a later field too long too",
     .input = "a,b,c\n1,123456,1234567\n", .options = {.max_field_bytes = 5},
     .status = SIPAS_ERR_FORMAT, .rows = "1:[a][b][c]\n",
     .message = "t.csv:2: column 'b' (field 2) is longer than 5 bytes"},
    {.name = "too many fields before one too long", .input = "a\n1,2,3,4,123456\n",
     .options = {.max_fields = 3, .max_field_bytes = 5}, .status = SIPAS_ERR_FORMAT,
     .rows = "1:[a]\n", .message = "t.csv:2: more than 3 fields"},
    {.name = "field at the limit", .input = "a,b\n1,12345\n", .options = {.max_field_bytes = 5},
     .rows = "1:[a][b]\n2:[1][12345]\n"},
    {.name = "row callback refuses", .input = "a\nb\nc\n", .status = SIPAS_ERR_VALIDATION,
     .rows = "1:[a]\n", .message = "row 2 refused by test"},
};

static void test_cases_every_chunk_size(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].name, "row callback refuses") == 0)
            continue; /* needs stop_after; run below */
        check_case(&cases[i]);
    }
}

/* Lines without a quote are split by the reader itself, others by libcsv (src/csv_reader.c,
 * parse_plain_lines): random inputs over the characters that matter (delimiters, spaces, tabs,
 * quotes, CR, LF) must give the same rows, line numbers and errors read whole (the fast path
 * for every complete quote-free line) and fed one byte at a time (libcsv for nearly every
 * byte). The decoder holds the first 64 KiB to detect the encoding, so the random bytes come
 * after that many blank lines. */
static void test_fast_path_agrees_with_libcsv(void **state)
{
    (void)state;
    enum { HELD = 64 * 1024 };
    static const char alphabet[] = "ab,,;  \t\t\"\r\n\n\n";
    static const char delimiters[] = {',', ';', '\t'};
    char *input = malloc(HELD + 64);
    assert_non_null(input);
    memset(input, '\n', HELD);
    uint32_t seed = 16;
    for (int n = 0; n < 3000; n++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 63;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            input[HELD + i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        csv_case tc = {.input = input, .options = {.delimiter = delimiters[n % 3]}};
        if (n % 7 == 0)
            tc.options.max_fields = 3;
        /* (no small max_field_bytes: libcsv's collecting field counts spaces it trims later and
         * is checked where the pieces end, so whether "b  " or "b\"" passes a 2-byte limit
         * depends on the pieces with or without the fast path; the cases above test it) */
        collected whole = {.len = 0}, bytes = {.len = 0};
        sipas_error whole_err = {0}, bytes_err = {0};
        char delimiter;
        sipas_status whole_st = run_once(&tc, HELD + len, HELD + len, &whole, &whole_err,
                                         &delimiter);
        sipas_status bytes_st = run_pieces(&tc, HELD + len, HELD, 1, &bytes, &bytes_err,
                                           &delimiter);
        if (whole_st != bytes_st || strcmp(whole.text, bytes.text) != 0 ||
            strcmp(whole_err.message, bytes_err.message) != 0) {
            print_error("input %d '%.*s' (delimiter %d): whole %s '%s' rows:\n%s\nbytes %s '%s' "
                        "rows:\n%s\n", n, (int)len, input + HELD, tc.options.delimiter,
                        sipas_status_name(whole_st), whole_err.message, whole.text,
                        sipas_status_name(bytes_st), bytes_err.message, bytes.text);
            fail();
        }
    }
    free(input);
}

static void test_row_callback_stops_reader(void **state)
{
    (void)state;
    const char *input = "a\nb\nc\n";
    for (size_t chunk = 1; chunk <= strlen(input); chunk++) {
        collected c = {.stop_after = 2};
        sipas_error err = {0};
        char delimiter;
        csv_case tc = {.input = input};
        sipas_status st = run_once(&tc, strlen(input), chunk, &c, &err, &delimiter);
        assert_int_equal(st, SIPAS_ERR_VALIDATION);
        assert_string_equal(err.message, "row 2 refused by test");
        assert_string_equal(c.text, "1:[a]\n");
    }
}

/* A long field that never closes must be refused once it passes the limit, not after the
 * whole input has been buffered. */
static void test_open_quote_is_capped(void **state)
{
    (void)state;
    collected c = {0};
    sipas_error err = {0};
    sipas_csv_options options = {.max_field_bytes = 1000};
    sipas_csv_reader *reader = NULL;
    assert_int_equal(sipas_csv_reader_new(&options, "big.csv", collect_row, &c, &reader, &err),
                     SIPAS_OK);
    assert_int_equal(sipas_csv_reader_feed(reader, "a,b\n1,\"", 7, &err), SIPAS_OK);
    char block[70000];
    memset(block, 'x', sizeof block);
    sipas_status st = sipas_csv_reader_feed(reader, block, sizeof block, &err);
    assert_int_equal(st, SIPAS_ERR_FORMAT);
    assert_string_equal(err.message,
                        "big.csv:2: column 'b' (field 2) is longer than 1000 bytes");
    /* The reader stays failed. */
    assert_int_equal(sipas_csv_reader_feed(reader, "x", 1, &err), SIPAS_ERR_FORMAT);
    assert_int_equal(sipas_csv_reader_finish(reader, &err), SIPAS_ERR_FORMAT);
    sipas_csv_reader_free(reader);
}

static void test_delimiter_unknown_before_first_record(void **state)
{
    (void)state;
    collected c = {0};
    sipas_error err = {0};
    sipas_csv_reader *reader = NULL;
    assert_int_equal(sipas_csv_reader_new(NULL, "d.csv", collect_row, &c, &reader, &err),
                     SIPAS_OK);
    assert_int_equal(sipas_csv_reader_feed(reader, "a;b", 3, &err), SIPAS_OK);
    assert_int_equal(sipas_csv_reader_delimiter(reader), 0);
    assert_int_equal(sipas_csv_reader_feed(reader, "\n1;2\n", 5, &err), SIPAS_OK);
    /* the encoding waits for 64 KiB or the end, and the delimiter for the encoding */
    assert_int_equal(sipas_csv_reader_encoding(reader), SIPAS_ENCODING_DETECT);
    assert_int_equal(sipas_csv_reader_finish(reader, &err), SIPAS_OK);
    assert_int_equal(sipas_csv_reader_delimiter(reader), ';');
    assert_int_equal(sipas_csv_reader_encoding(reader), SIPAS_ENCODING_UTF8);
    assert_string_equal(c.text, "1:[a][b]\n2:[1][2]\n");
    sipas_csv_reader_free(reader);
    sipas_csv_reader_free(NULL);
}

typedef struct progress_log {
    uint64_t last_done, total;
    size_t calls;
} progress_log;

static void log_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_log *p = ctx;
    assert_true(done >= p->last_done);
    p->last_done = done;
    p->total = total;
    p->calls++;
}

typedef struct row_counter {
    size_t rows;
    size_t bad; /* rows whose number or content is not what the writer wrote */
} row_counter;

/* Checks the rows written by test_read_file: row r (r >= 2) is "r-1,name r-1". */
static sipas_status count_row(void *ctx, size_t row, size_t nfields, char *const *fields,
                              const size_t *lengths, sipas_error *err)
{
    (void)lengths;
    (void)err;
    row_counter *c = ctx;
    c->rows++;
    if (row != c->rows || nfields != 2)
        c->bad++;
    else if (row > 1) {
        char want[64];
        snprintf(want, sizeof want, "name %zu", row - 1);
        if (strcmp(fields[1], want) != 0 || strtoul(fields[0], NULL, 10) != row - 1)
            c->bad++;
    }
    return SIPAS_OK;
}

/* A file of many 64 KiB chunks, records crossing chunk boundaries. */
static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sipas_test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fputs("id,name\r\n", f);
    size_t nrows = 20000;
    for (size_t i = 1; i <= nrows; i++)
        fprintf(f, "%zu,\"name %zu\"\r\n", i, i);
    assert_int_equal(fclose(f), 0);

    row_counter cnt = {0};
    progress_log plog = {0};
    sipas_error err = {0};
    sipas_status st = sipas_csv_read_file(path, NULL, count_row, &cnt, log_progress, &plog,
                                          NULL, &err);
    assert_int_equal(st, SIPAS_OK);
    assert_int_equal(cnt.rows, nrows + 1);
    assert_int_equal(cnt.bad, 0);
    assert_true(plog.calls >= 2);
    assert_true(plog.total > 64 * 1024);
    assert_int_equal(plog.last_done, plog.total);

    volatile int stop = 1;
    cnt.rows = 0;
    st = sipas_csv_read_file(path, NULL, count_row, &cnt, NULL, NULL, &stop, &err);
    assert_int_equal(st, SIPAS_ERR_INTERRUPTED);
    assert_int_equal(cnt.rows, 0);
    unlink(path);

    st = sipas_csv_read_file("/nonexistent/x.csv", NULL, count_row, &cnt, NULL, NULL, NULL,
                             &err);
    assert_int_equal(st, SIPAS_ERR_IO);
    assert_string_equal(err.message,
                        "cannot open '/nonexistent/x.csv': No such file or directory");

    sipas_csv_reader *reader = NULL;
    assert_int_equal(sipas_csv_reader_new(NULL, "x", NULL, NULL, &reader, &err),
                     SIPAS_ERR_USAGE);
    assert_null(reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_every_chunk_size),
        cmocka_unit_test(test_fast_path_agrees_with_libcsv),
        cmocka_unit_test(test_row_callback_stops_reader),
        cmocka_unit_test(test_open_quote_is_capped),
        cmocka_unit_test(test_delimiter_unknown_before_first_record),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
