/* cli/cli.h - what both programs share: messages with the program's prefix, a table-driven
 * option parser, and where the store and the instruments are.
 *
 * Exit codes (documented in docs/usage.md and the man pages; tested in tests/cli):
 *   0  success
 *   1  the input was refused: rows rejected, a malformed file or instrument, a repeated batch,
 *      something named that does not exist
 *   2  usage: unknown command or option, missing argument
 *   3  the store or a file could not be read or written (missing, locked, read-only, disk full;
 *      any failed write of the output, stdout included)
 *   130 interrupted (Ctrl-C) while a batch was read: nothing of it was stored (after its rows
 *       were read the batch commits, and the import says so) */
#ifndef SIPAS_CLI_H
#define SIPAS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sipas/error.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_REFUSED = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_FAILURE = 3,
       CLI_EXIT_INTERRUPTED = 130 };

extern const char *cli_program; /* "sipas-collect" or "sipas-analyze" */

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something the user should know once, not a problem: "PROGRAM: MESSAGE" on stderr. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err's message and returns the exit code that its status maps to. */
int cli_fail(const sipas_error *err);
int cli_exit_code(sipas_status status);

typedef struct cli_option {
    const char *name;      /* long name without "--" */
    const char *arg;       /* NULL for a flag, else the argument's name for --help */
    const char *help;
    bool repeatable;
} cli_option;

#define CLI_MAX_OPTIONS 32
#define CLI_MAX_VALUES 64

typedef struct cli_args {
    const cli_option *options;
    size_t noptions;
    const char *values[CLI_MAX_OPTIONS][CLI_MAX_VALUES]; /* per option, in order given */
    size_t nvalues[CLI_MAX_OPTIONS];
    const char **positional;
    size_t npositional;
} cli_args;

/* Parses argv[0..argc) against options ("--name value", "--name=value", flags). Returns false
 * after printing a usage error. args->positional points into a malloc'd array: cli_args_free. */
bool cli_parse(int argc, char **argv, const cli_option *options, size_t noptions, cli_args *args);
void cli_args_free(cli_args *args);
const char *cli_value(const cli_args *args, const char *name); /* last value or NULL */
bool cli_flag(const cli_args *args, const char *name);
size_t cli_values(const cli_args *args, const char *name, const char *const **values);
/* A checked integer option: false (and a usage message) when not a whole number in range. */
bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out);

/* The option rows several commands share, declared once here: each command's table splices
 * the ones it takes, so --help and the man page (cli_print_manual) say the same everywhere. */
#define CLI_OPTION_DB {"db", "FILE", "the store (default: $SIPAS_DB, else sipas.db)", false}
#define CLI_OPTION_SURVEYS {"surveys", "DIR", "instrument folders and targets.csv (default: " \
    "$SIPAS_SURVEYS, else ./surveys, else the installed share/sipas)", false}
#define CLI_OPTION_HELP {"help", NULL, "show this help", false}
#define CLI_OPTION_KEY_FILE {"key-file", "FILE", "the key of personal columns (default: " \
    "$SIPAS_KEY_FILE, else ~/.config/sipas/personal.key)", false}
#define CLI_OPTION_OUT {"out", "FILE", "write to FILE instead of standard output", false}

/* A command's option table with its length, as its command row names it. */
typedef struct cli_options {
    const cli_option *rows;
    size_t n;
} cli_options;
/* The cli_options of a table defined in the same file, as an initializer, and as a pointer for
 * a command row: {"import", run_import, "...", CLI_OPTIONS(import_options)}. */
#define CLI_OPTION_TABLE(table) {(table), sizeof (table) / sizeof (table)[0]}
#define CLI_OPTIONS(table) (&(const cli_options)CLI_OPTION_TABLE(table))

void cli_print_options(const cli_option *options, size_t noptions);

/* A subcommand: argv holds its own arguments (after the command name). options is the table
 * its parser uses; the man page lists it under the command. */
typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const cli_options *options;
} command;

/* The prose of a program's man page; the command list, the options and the version come from
 * the tables and the build. Fields are roff source (troff escapes, \- for a dash). */
typedef struct cli_manual_command {
    const char *name;     /* the command it describes */
    const char *synopsis; /* after ".B PROGRAM NAME", e.g. "\-\-form ID FILE..." */
    const char *text;     /* what it does: one or more roff paragraphs */
} cli_manual_command;

typedef struct cli_manual {
    const char *purpose;      /* NAME: "PROGRAM \- purpose" */
    const char *synopsis;     /* after ".B PROGRAM" */
    const char *description;
    const cli_manual_command *commands;
    size_t ncommands;
    const char *exit_status;
    const char *environment;  /* beyond SIPAS_DB and SIPAS_SURVEYS, which every page has; or NULL */
    const char *examples;     /* one per line, shown without filling */
    const char *see_also;
} cli_manual;

/* Writes the man page (man(7) roff) of program: its prose, then each command of commands with
 * its synopsis, text and options (every row of its table), the project version in .TH. */
int cli_print_manual(FILE *out, const char *program, const command *commands, size_t ncommands,
                     const cli_manual *manual);

/* The programs' main(): usage on no command (exit 2) or --help (exit 0), --version, the hidden
 * --man (the man page, which the build installs), and the command named by argv[1] run with the
 * arguments after it. synopsis follows "usage: PROGRAM". */
int cli_dispatch(const char *program, const command *commands, size_t ncommands,
                 const char *synopsis, const cli_manual *manual, int argc, char **argv);

/* The command's output: standard output when path is NULL, else the file path written through
 * sipas_atomic_file (a temporary renamed onto path when the command succeeds). NULL after
 * printing why the file cannot be written. One per command run; cli_dispatch finishes it. */
FILE *cli_output_open(const char *path);
/* Flushes standard output now (a line the user should see at once, not at exit); a failure is
 * kept and reported, with its reason, by cli_output_finish. */
void cli_output_flush(void);
/* Ends the command's output: commits the --out file when code is CLI_EXIT_OK (else removes its
 * temporary), then flushes and closes standard output. A failed write is printed and turns
 * code into CLI_EXIT_FAILURE. Returns the exit code. cli_dispatch calls it after every command,
 * so every command's writes to stdout are checked, including the last buffered ones. */
int cli_output_finish(int code);

/* --db, then SIPAS_DB, then sipas.db. */
const char *cli_db_path(const cli_args *args);
/* --surveys, then SIPAS_SURVEYS, then ./surveys when it exists, then the installed instruments:
 * SIPAS_SURVEYS_FROM_BINDIR (share/sipas, as a path relative to the program's folder, which
 * the build computes from the install directories) beside the running program. The last
 * resort is "surveys", so that the error names what was looked for. */
const char *cli_surveys_dir(const cli_args *args);

#endif
