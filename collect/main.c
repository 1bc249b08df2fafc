/* sipas-collect: imports survey batches into the store. A thin layer: it parses options, calls
 * the library, prints, and returns the exit codes documented in cli/cli.h. */
#include <errno.h>
#include <signal.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "sipas/csv_writer.h"
#include "sipas/frame.h"
#include "sipas/import.h"
#include "sipas/init.h"
#include "sipas/stat_export.h"
#include "sipas/xlsform.h"
#include "sipas/instrument.h"
#include "sipas/keyfile.h"
#include "sipas/number_format.h"
#include "sipas/store.h"

#define PROBLEMS_SHOWN 20
#define PROGRESS_MIN_BYTES (4u << 20)

static volatile sig_atomic_t stop_requested;
static volatile int stop_flag;

/* Once the import has finished its work (the summary is printed, the program only exits), a
 * Ctrl-C can change nothing, but the user must still be told the batch is stored: the note is
 * written ahead into late_note and the handler writes it (write(2) is async-signal-safe). */
static char late_note[512];
static volatile sig_atomic_t late_note_len;

static void on_signal(int sig)
{
    (void)sig;
    if (late_note_len > 0 && !stop_requested) {
        ssize_t written = write(STDERR_FILENO, late_note, (size_t)late_note_len);
        (void)written; /* nothing more can be done in a handler */
    }
    stop_requested = 1;
    stop_flag = 1;
}

/* ---- progress and problems -------------------------------------------------------------- */

typedef struct progress_state {
    const char *name;
    struct timespec last;
    bool shown;
} progress_state;

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_state *p = ctx;
    if (total < PROGRESS_MIN_BYTES)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double since = (double)(now.tv_sec - p->last.tv_sec) + (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
    if (p->shown && since < 0.1 && done < total)
        return;
    p->last = now;
    p->shown = true;
    int width = 30, filled = (int)((double)width * (double)done / (double)total);
    fprintf(stderr, "\r%s [", p->name);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%% %.1f/%.1f MB", (int)(100.0 * (double)done / (double)total),
            (double)done / 1e6, (double)total / 1e6);
    fflush(stderr);
}

typedef struct problem_state {
    size_t count;
    bool quiet;
} problem_state;

static void show_problem(void *ctx, const char *message)
{
    problem_state *p = ctx;
    if (p->count++ < PROBLEMS_SHOWN && !p->quiet)
        fprintf(stderr, "%s\n", message);
}

static void tell_waiting(void *ctx, const char *path)
{
    (void)ctx;
    fprintf(stderr, "%s: waiting for another process writing to '%s' (up to 30 s)...\n",
            cli_program, path);
}

/* ---- import and check -------------------------------------------------------------------- */

/* The personal-data key: a dry run hashes with a key nobody keeps; an import with the key file
 * (created or moved out of an older store, which the user is told once). */
static int attach_personal_key(const cli_args *args, sipas_store *store, bool dry_run)
{
    sipas_error err = {0};
    sipas_key_event event = SIPAS_KEY_USED;
    const char *key_file = cli_value(args, "key-file");
    if ((dry_run ? sipas_store_attach_ephemeral_key(store, &err)
                 : sipas_store_attach_key(store, key_file, &event, &err)) != SIPAS_OK)
        return cli_fail(&err);
    char *shown = NULL;
    if (event != SIPAS_KEY_USED && key_file == NULL && sipas_key_file_default_path(&shown, &err) != SIPAS_OK)
        return cli_fail(&err);
    if (event == SIPAS_KEY_FILE_CREATED)
        cli_note("created the key file '%s' for the personal columns (mode 0600): keep it, and "
                 "keep it apart from the store (docs/security.md)", key_file ? key_file : shown);
    else if (event == SIPAS_KEY_MOVED_OUT)
        cli_note("moved the personal-data key out of '%s' into the key file '%s' (mode 0600); the "
                 "store keeps only its fingerprint. Keep the key file apart from the store: whoever "
                 "has both can test guesses of names and phone numbers (docs/security.md)",
                 sipas_store_path(store), key_file ? key_file : shown);
    free(shown);
    return CLI_EXIT_OK;
}

static const cli_option import_options[] = {
    {"form", "ID", "instrument of the batch (a folder under the surveys directory)", false},
    {"wave", "YEAR", "the wave of every row (the file may then omit the wave column)", false},
    {"sheet", "NAME", "the sheet of an Excel or OpenDocument workbook (default: the first)", false},
    {"keep-valid", NULL, "store the valid rows of a batch that has rejected rows", false},
    {"encoding", "NAME", "the files' text encoding: auto (default: detected), UTF-8, UTF-16, "
     "Windows-1258, TCVN3, VISCII or VNI", false},
    {"excel", NULL, "write the rejects file for Excel: byte order mark and ';'", false},
    {"replace", NULL, "replace an earlier batch that has the same content", false},
    {"rejects", "FILE", "where rejected rows go (default: FILE.rejects.csv beside the input)", false},
    CLI_OPTION_KEY_FILE,
    {"quiet", NULL, "print only the summary", false},
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};

static char *default_rejects_path(const char *path)
{
    size_t n = strlen(path);
    const char *ext = n > 4 && strcasecmp(path + n - 4, ".csv") == 0 ? path + n - 4 : path + n;
    char *out = malloc(n + 16);
    if (out)
        snprintf(out, n + 16, "%.*s.rejects.csv", (int)(ext - path), path);
    return out;
}

/* Ends the summary line; names the encoding of a file that was not UTF-8. */
static void print_converted(sipas_encoding encoding)
{
    if (encoding != SIPAS_ENCODING_UTF8 && encoding != SIPAS_ENCODING_DETECT)
        printf(" (read as %s)", sipas_encoding_name(encoding));
    printf("\n");
}

static int run_import(int argc, char **argv, bool dry_run)
{
    const char *command_name = dry_run ? "check" : "import";
    cli_args args;
    size_t nopt = sizeof import_options / sizeof import_options[0];
    if (!cli_parse(argc, argv, import_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_instrument *inst = NULL;
    sipas_store *store = NULL;
    sipas_error err = {0};
    int64_t last_stored = 0; /* the batch of the last file, when it was stored */
    size_t files_left = 0;   /* files after it */
    if (cli_flag(&args, "help")) {
        printf("usage: %s %s --form ID [--wave YEAR] [options] FILE...\n\n", cli_program, command_name);
        printf(dry_run ? "Validates batches against the instrument and the store; stores nothing.\n\n"
                       : "Imports batches into the store, each file one batch in one transaction.\n\n");
        printf("A batch is CSV, Excel (.xlsx, .xls), OpenDocument (.ods), SPSS (.sav, .zsav), Stata\n"
               "(.dta) or SAS (.sas7bdat, .xpt), known from its content.\n\n");
        cli_print_options(import_options, nopt);
        goto done;
    }
    const char *form = cli_value(&args, "form");
    int64_t wave = 0;
    if (form == NULL || args.npositional == 0) {
        cli_error("%s needs --form ID and at least one FILE (see %s %s --help)", command_name,
                  cli_program, command_name);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (cli_value(&args, "wave") && !cli_int("--wave", cli_value(&args, "wave"), 1990, 2100, &wave)) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    sipas_encoding encoding = SIPAS_ENCODING_DETECT;
    if (cli_value(&args, "encoding") &&
        sipas_encoding_from_name(cli_value(&args, "encoding"), &encoding, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    if (cli_value(&args, "rejects") && args.npositional > 1) {
        cli_error("--rejects names one file, but %zu batches were given", args.npositional);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (sipas_instrument_find(cli_surveys_dir(&args), form, &inst, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    const char *db = cli_db_path(&args);
    struct stat sb;
    /* check never creates a store: without one it validates against an empty store in memory */
    const char *open_path = dry_run && stat(db, &sb) != 0 ? SIPAS_STORE_IN_MEMORY : db;
    if (sipas_store_open(open_path, SIPAS_STORE_READ_WRITE, &store, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    sipas_store_on_wait(store, tell_waiting, NULL);
    if ((code = attach_personal_key(&args, store, dry_run)) != CLI_EXIT_OK)
        goto done;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bool quiet = cli_flag(&args, "quiet");
    for (size_t f = 0; f < args.npositional && !stop_requested; f++) {
        const char *path = args.positional[f];
        char *rejects = cli_value(&args, "rejects") ? strdup(cli_value(&args, "rejects"))
                                                    : default_rejects_path(path);
        progress_state progress = {.name = path};
        problem_state problems = {.quiet = quiet};
        sipas_import_options opt = {
            .wave = wave,
            .keep_valid = cli_flag(&args, "keep-valid"),
            .replace = cli_flag(&args, "replace"),
            .dry_run = dry_run,
            .encoding = encoding,
            .rejects_for_excel = cli_flag(&args, "excel"),
            .rejects_path = rejects,
            .sheet = cli_value(&args, "sheet"),
            .on_problem = show_problem,
            .problem_ctx = &problems,
            .progress = isatty(STDERR_FILENO) && !quiet ? show_progress : NULL,
            .progress_ctx = &progress,
            .stop_flag = &stop_flag,
        };
        sipas_import_result result;
        sipas_error_clear(&err);
        sipas_status st = sipas_import_batch(store, inst, path, &opt, &result, &err);
        if (progress.shown)
            fputc('\n', stderr);
        if (problems.count > PROBLEMS_SHOWN && !quiet)
            fprintf(stderr, "... and %zu more problems\n", problems.count - PROBLEMS_SHOWN);
        if (st != SIPAS_OK) {
            int c = cli_fail(&err);
            if (code == CLI_EXIT_OK || c > code)
                code = c;
        } else if (dry_run) {
            printf("%s: %lld rows valid%s", path, (long long)result.rows_read,
                   result.rows_rejected ? "" : "; it can be imported");
            print_converted(result.encoding);
        } else {
            printf("%s: batch %lld: %lld rows stored", path, (long long)result.batch_id,
                   (long long)result.rows_stored);
            if (result.rows_rejected)
                printf(", %lld rejected (in '%s')", (long long)result.rows_rejected, rejects);
            print_converted(result.encoding);
        }
        /* Each batch's line is out as soon as it is stored, not at exit: the user of a long
         * list of files sees how far it got, and one who presses Ctrl-C later knows the batch
         * had already been written (a failed write is reported at exit, with its reason). */
        cli_output_flush();
        if (st == SIPAS_OK && result.design_filled[0])
            fprintf(stderr, "%s: %s\n", path, result.design_filled);
        if (st == SIPAS_OK && result.design_disagreed[0])
            fprintf(stderr, "%s: %s\n", path, result.design_disagreed);
        last_stored = st == SIPAS_OK && !dry_run ? result.batch_id : 0;
        files_left = args.npositional - f - 1;
        free(rejects);
    }
done:
    sipas_store_close(store);
    /* Once its rows are read a batch commits as one transaction, and closing the store copies
     * it into the file: a Ctrl-C then (or during the store's close) comes too late to undo it,
     * and the user must not believe otherwise. From here on the signals are held, and one that
     * came after the handler's last look is read from the pending set, so none goes unsaid. */
    sigset_t stop_signals, pending;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) == 1 ||
                                      sigismember(&pending, SIGTERM) == 1))
        stop_requested = 1;
    if (stop_requested && last_stored > 0) {
        cli_note("interrupted after batch %lld was written: it is stored (undo with '%s remove "
                 "%lld')%s", (long long)last_stored, cli_program, (long long)last_stored,
                 files_left ? "; the files after it were not imported" : "");
        if (files_left)
            code = CLI_EXIT_INTERRUPTED;
    } else if (last_stored > 0 && files_left == 0) {
        int len = snprintf(late_note, sizeof late_note, "%s: interrupted after batch %lld was "
                           "written: it is stored (undo with '%s remove %lld')\n", cli_program,
                           (long long)last_stored, cli_program, (long long)last_stored);
        late_note_len = len > 0 && (size_t)len < sizeof late_note ? len : 0;
    }
    sigprocmask(SIG_UNBLOCK, &stop_signals, NULL); /* a signal from now on writes late_note */
    sipas_instrument_free(inst);
    cli_args_free(&args);
    return code;
}

/* ---- batches ------------------------------------------------------------------------------- */

static const cli_option batches_options[] = {
    {"form", "ID", "only batches of this instrument", false},
    CLI_OPTION_DB,
    CLI_OPTION_HELP,
};

/* show and remove: one batch, named by its number */
static const cli_option batch_options[] = {
    CLI_OPTION_DB,
    CLI_OPTION_HELP,
};

static int open_existing(const cli_args *args, sipas_store_mode mode, sipas_store **store)
{
    sipas_error err = {0};
    if (sipas_store_open(cli_db_path(args), mode, store, &err) != SIPAS_OK)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

static int run_batches(int argc, char **argv)
{
    cli_args args;
    size_t nopt = sizeof batches_options / sizeof batches_options[0];
    if (!cli_parse(argc, argv, batches_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_store *store = NULL;
    if (cli_flag(&args, "help")) {
        printf("usage: %s batches [--form ID]\n\nLists the imported batches.\n\n", cli_program);
        cli_print_options(batches_options, nopt);
        goto done;
    }
    if (args.npositional > 0) {
        cli_error("batches takes no arguments (got '%s')", args.positional[0]);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if ((code = open_existing(&args, SIPAS_STORE_READ_ONLY, &store)) != CLI_EXIT_OK)
        goto done;
    sipas_batch_info *list = NULL;
    size_t n = 0;
    sipas_error err = {0};
    if (sipas_store_list_batches(store, cli_value(&args, "form"), &list, &n, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    printf("%5s  %-20s %-7s %5s %9s %9s  %-20s  %s\n", "batch", "form", "version", "wave",
           "stored", "rejected", "imported (UTC)", "file");
    for (size_t i = 0; i < n; i++) {
        const sipas_batch_info *b = &list[i];
        char wave[16] = "-";
        if (b->wave)
            snprintf(wave, sizeof wave, "%lld", (long long)b->wave);
        printf("%5lld  %-20s %-7s %5s %9lld %9lld  %-20s  %s\n", (long long)b->batch_id,
               b->form_id, b->instrument_version, wave, (long long)b->rows_stored,
               (long long)b->rows_rejected, b->imported_at, b->file_name);
    }
    sipas_batch_list_free(list, n);
done:
    sipas_store_close(store);
    cli_args_free(&args);
    return code;
}

static int run_show_or_remove(int argc, char **argv, bool remove)
{
    cli_args args;
    size_t nopt = sizeof batch_options / sizeof batch_options[0];
    if (!cli_parse(argc, argv, batch_options, nopt, &args))
        return CLI_EXIT_USAGE;
    const char *command_name = remove ? "remove" : "show";
    int code = CLI_EXIT_OK;
    sipas_store *store = NULL;
    sipas_error err = {0};
    int64_t id = 0;
    if (cli_flag(&args, "help")) {
        printf("usage: %s %s BATCH\n\n%s\n\n", cli_program, command_name,
               remove ? "Removes a batch and every response it brought, in one transaction."
                      : "Shows one batch: its file, hash, instrument version and row counts.");
        cli_print_options(batch_options, nopt);
        goto done;
    }
    if (args.npositional != 1) {
        cli_error("%s needs one batch number (see %s batches)", command_name, cli_program);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (!cli_int("batch", args.positional[0], 1, INT64_MAX, &id)) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if ((code = open_existing(&args, remove ? SIPAS_STORE_EXISTING : SIPAS_STORE_READ_ONLY, &store)))
        goto done;
    sipas_batch_info b;
    if (sipas_store_get_batch(store, id, &b, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    if (remove) {
        if (sipas_store_remove_batch(store, id, &err) != SIPAS_OK)
            code = cli_fail(&err);
        else
            printf("removed batch %lld ('%s', %lld responses)\n", (long long)id, b.file_name,
                   (long long)b.rows_stored);
    } else {
        printf("batch:          %lld\nform:           %s\ninstrument:     version %s\n"
               "file:           %s\nsha256:         %s\n", (long long)b.batch_id, b.form_id,
               b.instrument_version, b.file_name, b.content_sha256);
        if (b.wave)
            printf("wave:           %lld\n", (long long)b.wave);
        printf("rows read:      %lld\nrows stored:    %lld\nrows rejected:  %lld\n"
               "imported (UTC): %s\n", (long long)b.rows_read, (long long)b.rows_stored,
               (long long)b.rows_rejected, b.imported_at);
    }
    sipas_batch_info_clear(&b);
done:
    sipas_store_close(store);
    cli_args_free(&args);
    return code;
}

/* ---- export -------------------------------------------------------------------------------- */

static const cli_option export_options[] = {
    {"form", "ID", "the instrument whose responses to export", false},
    {"batch", "N", "only the responses of this batch", false},
    {"labels", "LANG", "codes (default), vi or en: choice labels instead of codes", false},
    CLI_OPTION_OUT,
    {"sep", "C", "field separator: , (default) ; or tab", false},
    {"excel", NULL, "for Excel in a Vietnamese locale: byte order mark, ';' and decimal comma", false},
    {"format", "F", "csv (default), sav (SPSS) or dta (Stata), labelled; sav and dta need --out", false},
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};

/* Excel opens a CSV file as UTF-8 only when it starts with a byte order mark; a Vietnamese
 * locale expects ';' between fields and ',' in numbers. */
static const char excel_bom[] = "\xEF\xBB\xBF";

typedef struct export_state {
    FILE *out;
    char sep;
    char decimal;  /* '.', or ',' with --excel */
    const sipas_instrument *inst;
    int lang; /* 0 codes, 1 vi, 2 en */
    char number[SIPAS_NUMBER_MAX];
} export_state;

static sipas_status export_row(void *ctx, const sipas_value *values, sipas_error *err)
{
    (void)err;
    export_state *e = ctx;
    for (size_t i = 0; i < e->inst->nitems + 1; i++) {
        if (i > 0)
            fputc(e->sep, e->out);
        const sipas_value *v = &values[i];
        const char *text = NULL;
        size_t len = 0;
        switch (v->kind) {
        case SIPAS_VALUE_NULL: continue;
        case SIPAS_VALUE_INT: len = (size_t)snprintf(e->number, sizeof e->number, "%lld", (long long)v->i); text = e->number; break;
        case SIPAS_VALUE_REAL: len = sipas_format_number(v->r, e->decimal, e->number); text = e->number; break;
        case SIPAS_VALUE_TEXT: text = v->text; len = v->len; break;
        }
        const sipas_item *it = i < e->inst->nitems ? &e->inst->items[i] : NULL;
        if (e->lang && it && it->list && !it->personal) {
            const sipas_choice *ch = sipas_choice_list_match(it->list, text, len);
            const char *label = ch ? (e->lang == 1 ? ch->label_vi : ch->label_en) : NULL;
            if (label && *label) {
                text = label;
                len = strlen(label);
            }
        }
        sipas_csv_write_field(e->out, text, len, e->sep);
    }
    fputc('\n', e->out);
    /* stop at the first failed write; run_export leaves the message to cli_output_finish */
    return ferror(e->out) ? sipas_error_set(err, SIPAS_ERR_IO, "a write failed") : SIPAS_OK;
}

/* --format sav|dta: a labelled file for SPSS or Stata users (sipas/stat_export.h). */
static int export_stat_file(const cli_args *args, sipas_store *store, const sipas_instrument *inst,
                            int64_t batch, const char *format)
{
    sipas_error err = {0};
    int64_t rows = 0;
    const char *out = cli_value(args, "out");
    if (sipas_stat_export(store, inst, batch, strcmp(format, "sav") == 0 ? SIPAS_STAT_SAV : SIPAS_STAT_DTA,
                          out, &rows, &err) != SIPAS_OK)
        return cli_fail(&err);
    fprintf(stderr, "%s: %lld cases\n", out, (long long)rows);
    return CLI_EXIT_OK;
}

static int run_export(int argc, char **argv)
{
    cli_args args;
    size_t nopt = sizeof export_options / sizeof export_options[0];
    if (!cli_parse(argc, argv, export_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_store *store = NULL;
    sipas_instrument *inst = NULL;
    const char **columns = NULL;
    sipas_error err = {0};
    export_state e = {.out = stdout, .sep = ',', .decimal = '.'};
    if (cli_flag(&args, "help")) {
        printf("usage: %s export --form ID [--batch N] [--labels vi|en] [--excel] [--out FILE]\n\n"
               "Writes the stored responses of a form as CSV, one row per respondent.\n\n", cli_program);
        cli_print_options(export_options, nopt);
        goto done;
    }
    const char *form = cli_value(&args, "form"), *labels = cli_value(&args, "labels"),
               *sep = cli_value(&args, "sep"), *format = cli_value(&args, "format");
    int64_t batch = 0;
    if (form == NULL || args.npositional > 0) {
        cli_error("export needs --form ID and no other arguments (see %s export --help)", cli_program);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (cli_value(&args, "batch") && !cli_int("--batch", cli_value(&args, "batch"), 1, INT64_MAX, &batch)) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (labels && strcmp(labels, "codes") != 0 && strcmp(labels, "vi") != 0 && strcmp(labels, "en") != 0) {
        cli_error("--labels must be codes, vi or en (got '%s')", labels);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "sav") != 0 && strcmp(format, "dta") != 0) {
        cli_error("--format must be csv, sav or dta (got '%s')", format);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (format && strcmp(format, "csv") != 0 && cli_value(&args, "out") == NULL) {
        cli_error("--format %s writes a binary file: name it with --out FILE", format);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    e.lang = labels == NULL || strcmp(labels, "codes") == 0 ? 0 : strcmp(labels, "vi") == 0 ? 1 : 2;
    if (cli_flag(&args, "excel")) {
        if (sep && strcmp(sep, ";") != 0) {
            cli_error("--excel writes ';' between fields; leave out --sep '%s'", sep);
            code = CLI_EXIT_USAGE;
            goto done;
        }
        e.sep = ';';
        e.decimal = ',';
    } else if (sep) {
        if (strcmp(sep, ",") == 0 || strcmp(sep, ";") == 0)
            e.sep = sep[0];
        else if (strcmp(sep, "tab") == 0 || strcmp(sep, "\t") == 0)
            e.sep = '\t';
        else {
            cli_error("--sep must be , ; or tab (got '%s')", sep);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    }
    if (sipas_instrument_find(cli_surveys_dir(&args), form, &inst, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    if ((code = open_existing(&args, SIPAS_STORE_READ_ONLY, &store)))
        goto done;
    if (format && strcmp(format, "csv") != 0) {
        code = export_stat_file(&args, store, inst, batch, format);
        goto done;
    }
    columns = calloc(inst->nitems + 1, sizeof *columns);
    if (columns == NULL) {
        cli_error("out of memory");
        code = CLI_EXIT_FAILURE;
        goto done;
    }
    for (size_t i = 0; i < inst->nitems; i++)
        columns[i] = inst->items[i].name;
    columns[inst->nitems] = "batch_id";
    if ((e.out = cli_output_open(cli_value(&args, "out"))) == NULL) {
        code = CLI_EXIT_FAILURE;
        goto done;
    }
    e.inst = inst;
    if (e.decimal == ',')
        fputs(excel_bom, e.out);
    for (size_t i = 0; i <= inst->nitems; i++) {
        if (i)
            fputc(e.sep, e.out);
        sipas_csv_write_field(e.out, columns[i], strlen(columns[i]), e.sep);
    }
    fputc('\n', e.out);
    if (sipas_store_query_responses(store, form, columns, inst->nitems + 1, NULL, 0, batch,
                                    export_row, &e, &err) != SIPAS_OK)
        code = ferror(e.out) ? CLI_EXIT_FAILURE /* cli_output_finish says why */ : cli_fail(&err);
done:
    free(columns);
    sipas_store_close(store);
    sipas_instrument_free(inst);
    cli_args_free(&args);
    return code;
}

/* ---- instruments ----------------------------------------------------------------------------- */

static const cli_option instrument_options[] = {
    {"from", "FORM.xlsx", "make the instrument from an XLSForm workbook (KoboToolbox, ODK)", false},
    {"out", "DIR", "with --from: the folder that receives FORM_ID/ (default: the surveys directory)", false},
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};

static void show_note(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "note: %s\n", message);
}

static int run_instrument(int argc, char **argv)
{
    cli_args args;
    size_t nopt = sizeof instrument_options / sizeof instrument_options[0];
    if (!cli_parse(argc, argv, instrument_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    const char *from = cli_value(&args, "from");
    if (cli_flag(&args, "help") || args.npositional != (from ? 0u : 1u)) {
        if (!cli_flag(&args, "help")) {
            cli_error(from ? "instrument --from takes no other argument" : "instrument needs one ID or folder");
            code = CLI_EXIT_USAGE;
        }
        printf("usage: %s instrument ID|DIR\n       %s instrument --from FORM.xlsx [--out DIR]\n\n"
               "Checks an instrument and summarises it: items, elements, lists, version and content "
               "hash;\nwith --from, first writes it from an XLSForm workbook.\n\n", cli_program,
               cli_program);
        cli_print_options(instrument_options, nopt);
        cli_args_free(&args);
        return code;
    }
    sipas_instrument *inst = NULL;
    sipas_error err = {0};
    char *made = NULL;
    if (from) {
        const char *out = cli_value(&args, "out") ? cli_value(&args, "out") : cli_surveys_dir(&args);
        if (sipas_xlsform_convert(from, out, show_note, NULL, &made, &err) != SIPAS_OK) {
            code = cli_fail(&err);
            cli_args_free(&args);
            return code;
        }
        printf("%s: written from %s\n", made, from);
    }
    const char *arg = made ? made : args.positional[0];
    struct stat sb;
    sipas_status st = strchr(arg, '/') || (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
                    ? sipas_instrument_load(arg, &inst, &err)
                    : sipas_instrument_find(cli_surveys_dir(&args), arg, &inst, &err);
    if (st != SIPAS_OK) {
        code = cli_fail(&err);
    } else {
        size_t criteria = 0;
        for (size_t i = 0; i < inst->nitems; i++)
            criteria += inst->items[i].role == SIPAS_ROLE_CRITERION;
        printf("%s version %s: %s\n", inst->form_id, inst->version, inst->title_vi);
        printf("%zu items, %zu criteria in %zu elements, %zu choice lists; sha256 %s\n",
               inst->nitems, criteria, inst->nelements, inst->nlists, inst->content_hash);
        for (size_t e = 0; e < inst->nelements; e++) {
            printf("  %s  %s (weight %g)\n", inst->elements[e].name, inst->elements[e].label_vi,
                   inst->elements[e].weight);
            for (size_t i = 0; i < inst->nitems; i++)
                if (inst->items[i].element == (int)e)
                    printf("    %-8s %s\n", inst->items[i].name, inst->items[i].label_vi);
        }
        printf("design and domain columns:\n");
        for (size_t i = 0; i < inst->nitems; i++)
            if (inst->items[i].role != SIPAS_ROLE_CRITERION)
                printf("    %-16s %-9s%s\n", inst->items[i].name,
                       inst->items[i].role ? sipas_role_name(inst->items[i].role) : "",
                       inst->items[i].personal_dropped ? " personal: dropped, never stored"
                       : inst->items[i].personal ? " personal: stored as a keyed hash" : "");
    }
    free(made);
    sipas_instrument_free(inst);
    cli_args_free(&args);
    return code;
}

/* ---- population frames ------------------------------------------------------------------------ */

static const cli_option frame_options[] = {
    {"form", "ID", "the instrument whose columns the frame names", false},
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};

static int run_frame(int argc, char **argv)
{
    cli_args args;
    size_t nopt = sizeof frame_options / sizeof frame_options[0];
    if (!cli_parse(argc, argv, frame_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_instrument *inst = NULL;
    sipas_store *store = NULL;
    sipas_error err = {0};
    if (cli_flag(&args, "help")) {
        printf("usage: %s frame --form ID FILE...\n\nStores population counts by the cells of a "
               "margin (e.g. district, or sex,age_group),\noptionally by wave, for base weights "
               "and calibration (sipas-analyze --poststratify, --rake).\nEach FILE is one margin; "
               "it replaces the stored counts of the waves it gives.\n\n", cli_program);
        cli_print_options(frame_options, nopt);
        goto done;
    }
    const char *form = cli_value(&args, "form");
    if (form == NULL || args.npositional == 0) {
        cli_error("frame needs --form ID and at least one FILE (see %s frame --help)", cli_program);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (sipas_instrument_find(cli_surveys_dir(&args), form, &inst, &err) != SIPAS_OK ||
        sipas_store_open(cli_db_path(&args), SIPAS_STORE_READ_WRITE, &store, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    for (size_t f = 0; f < args.npositional; f++) {
        sipas_frame_summary sum;
        if (sipas_frame_import(store, inst, args.positional[f], &sum, &err) != SIPAS_OK) {
            int c = cli_fail(&err);
            code = c > code ? c : code;
            continue;
        }
        printf("%s: margin '%s': %zu cells stored", args.positional[f], sum.margin, sum.cells);
        if (sum.first_wave)
            printf(" (waves %ld-%ld; %.0f people in %ld)", sum.first_wave, sum.last_wave, sum.total,
                   sum.first_wave);
        else
            printf(" (every wave; %.0f people)", sum.total);
        printf("\n");
    }
done:
    sipas_store_close(store);
    sipas_instrument_free(inst);
    cli_args_free(&args);
    return code;
}

/* ---- main ------------------------------------------------------------------------------------ */

static int run_import_cmd(int argc, char **argv) { return run_import(argc, argv, false); }
static int run_check_cmd(int argc, char **argv) { return run_import(argc, argv, true); }
static int run_show_cmd(int argc, char **argv) { return run_show_or_remove(argc, argv, false); }
static int run_remove_cmd(int argc, char **argv) { return run_show_or_remove(argc, argv, true); }

static const command commands[] = {
    {"import", run_import_cmd, "import batches (CSV, Excel, SPSS, Stata, KoboToolbox) into the store", CLI_OPTIONS(import_options)},
    {"check", run_check_cmd, "validate batches without storing anything", CLI_OPTIONS(import_options)},
    {"batches", run_batches, "list imported batches", CLI_OPTIONS(batches_options)},
    {"show", run_show_cmd, "show one batch", CLI_OPTIONS(batch_options)},
    {"remove", run_remove_cmd, "remove a batch and its responses", CLI_OPTIONS(batch_options)},
    {"export", run_export, "write stored responses as CSV, SPSS .sav or Stata .dta", CLI_OPTIONS(export_options)},
    {"instrument", run_instrument, "check and describe an instrument", CLI_OPTIONS(instrument_options)},
    {"frame", run_frame, "store population counts for base weights and calibration", CLI_OPTIONS(frame_options)},
    {"sample", collect_sample, "draw the next wave's clusters (PPS or SRS) with their probabilities",
     &collect_sample_options},
    {"indicators", collect_indicators, "import, list, show or remove administrative indicator values",
     &collect_indicators_options},
};

int main(int argc, char **argv)
{
    sipas_library_init();
    return cli_dispatch("sipas-collect", commands, sizeof commands / sizeof commands[0],
                        "COMMAND [options] [FILE...]", &collect_manual, argc, argv);
}
