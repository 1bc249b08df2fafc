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

void cli_print_options(const cli_option *options, size_t noptions);

/* A subcommand: argv holds its own arguments (after the command name). */
typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* The programs' main(): usage on no command (exit 2) or --help (exit 0), --version, and the
 * command named by argv[1] run with the arguments after it. synopsis follows "usage: PROGRAM". */
int cli_dispatch(const char *program, const command *commands, size_t ncommands,
                 const char *synopsis, int argc, char **argv);

/* The command's output: standard output when path is NULL, else the file path written through
 * sipas_atomic_file (a temporary renamed onto path when the command succeeds). NULL after
 * printing why the file cannot be written. One per command run; cli_dispatch finishes it. */
FILE *cli_output_open(const char *path);
/* Ends the command's output: commits the --out file when code is CLI_EXIT_OK (else removes its
 * temporary), then flushes and closes standard output. A failed write is printed and turns
 * code into CLI_EXIT_FAILURE. Returns the exit code. cli_dispatch calls it after every command,
 * so every command's writes to stdout are checked, including the last buffered ones. */
int cli_output_finish(int code);

/* --db, then SIPAS_DB, then sipas.db. */
const char *cli_db_path(const cli_args *args);
/* --surveys, then SIPAS_SURVEYS, then ./surveys when it exists, then the build's default. */
const char *cli_surveys_dir(const cli_args *args);

#endif
