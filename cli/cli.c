/* cli/cli.c - what both programs share: messages, the option parser, the command dispatcher,
 * the checked output, and where the store and the instruments are (cli/cli.h). */
#define _XOPEN_SOURCE 700 /* realpath (XSI) */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipas/atomic_file.h"

#ifndef SIPAS_SURVEYS_FROM_BINDIR
#define SIPAS_SURVEYS_FROM_BINDIR "../share/sipas"
#endif

const char *cli_program = "sipas";

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", cli_program, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error: ", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

int cli_exit_code(sipas_status status)
{
    switch (status) {
    case SIPAS_OK: return CLI_EXIT_OK;
    case SIPAS_ERR_USAGE: return CLI_EXIT_USAGE;
    case SIPAS_ERR_IO:
    case SIPAS_ERR_STORE:
    case SIPAS_ERR_NOMEM: return CLI_EXIT_FAILURE;
    case SIPAS_ERR_INTERRUPTED: return CLI_EXIT_INTERRUPTED;
    case SIPAS_ERR_FORMAT:
    case SIPAS_ERR_VALIDATION:
    case SIPAS_ERR_CONFLICT:
    case SIPAS_ERR_NOT_FOUND:
    case SIPAS_ERR_MATH: return CLI_EXIT_REFUSED;
    }
    return CLI_EXIT_FAILURE;
}

int cli_fail(const sipas_error *err)
{
    cli_error("%s", err->message);
    return cli_exit_code(err->status);
}

static int find_option(const cli_option *options, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

bool cli_parse(int argc, char **argv, const cli_option *options, size_t noptions, cli_args *args)
{
    memset(args, 0, sizeof *args);
    args->options = options;
    args->noptions = noptions;
    args->positional = calloc((size_t)argc + 1, sizeof *args->positional);
    if (args->positional == NULL) {
        cli_error("out of memory");
        return false;
    }
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            args->positional[args->npositional++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (a[1] != '-') {
            cli_error("unknown option '%s' (options are spelled --name; see --help)", a);
            goto fail;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int o = find_option(options, noptions, name, len);
        if (o < 0) {
            cli_error("unknown option '--%.*s' (see --help)", (int)len, name);
            goto fail;
        }
        const char *value = NULL;
        if (options[o].arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                cli_error("option '--%s' needs a value (%s)", options[o].name, options[o].arg);
                goto fail;
            }
        } else if (eq) {
            cli_error("option '--%s' takes no value", options[o].name);
            goto fail;
        } else {
            value = "";
        }
        if (args->nvalues[o] > 0 && !options[o].repeatable)
            args->nvalues[o] = 0; /* the last one given wins */
        if (args->nvalues[o] == CLI_MAX_VALUES) {
            cli_error("option '--%s' given too many times", options[o].name);
            goto fail;
        }
        args->values[o][args->nvalues[o]++] = value;
    }
    return true;
fail: /* the caller frees nothing when parsing fails */
    cli_args_free(args);
    return false;
}

void cli_args_free(cli_args *args)
{
    free(args->positional);
    args->positional = NULL;
}

static int option_index(const cli_args *args, const char *name)
{
    return find_option(args->options, args->noptions, name, strlen(name));
}

const char *cli_value(const cli_args *args, const char *name)
{
    int o = option_index(args, name);
    return o >= 0 && args->nvalues[o] > 0 ? args->values[o][args->nvalues[o] - 1] : NULL;
}

bool cli_flag(const cli_args *args, const char *name)
{
    return cli_value(args, name) != NULL;
}

size_t cli_values(const cli_args *args, const char *name, const char *const **values)
{
    int o = option_index(args, name);
    if (o < 0) {
        *values = NULL;
        return 0;
    }
    *values = args->values[o];
    return args->nvalues[o];
}

bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max) {
        cli_error("%s '%s' is not a whole number from %lld to %lld", option, text,
                  (long long)min, (long long)max);
        return false;
    }
    *out = v;
    return true;
}

void cli_print_options(const cli_option *options, size_t noptions)
{
    for (size_t i = 0; i < noptions; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
                 options[i].arg ? options[i].arg : "");
        printf("  %-24s %s\n", left, options[i].help);
    }
}

static sipas_atomic_file *output_file; /* --out of the running command, NULL for stdout */

FILE *cli_output_open(const char *path)
{
    if (path == NULL)
        return stdout;
    sipas_error err = {0};
    sipas_status st = output_file ? sipas_error_set(&err, SIPAS_ERR_USAGE, "a second --out")
                                  : sipas_atomic_file_open(path, &output_file, &err);
    FILE *f = st == SIPAS_OK ? sipas_atomic_file_stream(output_file) : NULL;
    if (st == SIPAS_OK && f == NULL) {
        sipas_atomic_file_commit(output_file, &err); /* says why the stream failed */
        output_file = NULL;
    }
    if (f == NULL)
        cli_fail(&err);
    return f;
}

/* The reason of the first failed cli_output_flush: stdio keeps only that a write failed. */
static int stdout_flush_errno;

void cli_output_flush(void)
{
    errno = 0;
    if (fflush(stdout) != 0 && stdout_flush_errno == 0)
        stdout_flush_errno = errno ? errno : EIO;
}

int cli_output_finish(int code)
{
    if (output_file) {
        sipas_error err = {0};
        FILE *stream = sipas_atomic_file_stream(output_file);
        /* An incomplete result replaces nothing; a failed write is reported even when the
         * command stopped because of it. */
        if (code != CLI_EXIT_OK && stream && !ferror(stream))
            sipas_atomic_file_discard(output_file);
        else if (sipas_atomic_file_commit(output_file, &err) != SIPAS_OK) {
            cli_error("%s", err.message);
            if (code == CLI_EXIT_OK)
                code = cli_exit_code(err.status);
        }
        output_file = NULL;
    }
    /* stdio forgets why an earlier write failed (ferror only says that one did); the final
     * flush, which is where a short output first meets a full disk, still sets errno. */
    bool failed = ferror(stdout) != 0;
    int reason = stdout_flush_errno;
    errno = 0;
    if (fflush(stdout) != 0) {
        failed = true;
        if (reason == 0)
            reason = errno;
    }
    errno = 0;
    if (fclose(stdout) != 0 && !failed) {
        failed = true;
        reason = errno;
    }
    if (failed) {
        cli_error("cannot write to standard output: %s",
                  reason ? strerror(reason) : "a write failed (is the disk full?)");
        if (code == CLI_EXIT_OK)
            code = CLI_EXIT_FAILURE;
    }
    return code;
}

const char *cli_db_path(const cli_args *args)
{
    const char *v = cli_value(args, "db");
    if (v)
        return v;
    v = getenv("SIPAS_DB");
    return v && *v ? v : "sipas.db";
}

const char *cli_surveys_dir(const cli_args *args)
{
    const char *v = cli_value(args, "surveys");
    if (v)
        return v;
    v = getenv("SIPAS_SURVEYS");
    if (v && *v)
        return v;
    struct stat sb;
    if (stat("surveys", &sb) == 0 && S_ISDIR(sb.st_mode))
        return "surveys";
    /* Relative to the program, not a path fixed at build time: the package, a DESTDIR staging
     * install and a relocated prefix all find their own share/sipas. */
    static char installed[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return "surveys";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return "surveys";
    *slash = '\0';
    char joined[PATH_MAX];
    int len = snprintf(joined, sizeof joined, "%s/%s", exe, SIPAS_SURVEYS_FROM_BINDIR);
    /* realpath: messages name /usr/share/sipas, not /usr/bin/../share/sipas */
    if (len < 0 || (size_t)len >= sizeof joined || realpath(joined, installed) == NULL ||
        stat(installed, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return "surveys";
    return installed;
}

static void print_usage(FILE *out, const command *commands, size_t n, const char *synopsis)
{
    fprintf(out, "usage: %s %s\n\nCommands:\n", cli_program, synopsis);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'%s COMMAND --help' describes a command. The store is --db FILE, $SIPAS_DB or "
            "sipas.db.\nExit codes: 0 success, 1 input refused, 2 usage, 3 store or file error, "
            "130 interrupted.\n", cli_program);
}

int cli_dispatch(const char *program, const command *commands, size_t ncommands,
                 const char *synopsis, const cli_manual *manual, int argc, char **argv)
{
    cli_program = program;
    if (argc < 2) {
        print_usage(stderr, commands, ncommands, synopsis);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout, commands, ncommands, synopsis);
        return cli_output_finish(CLI_EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", cli_program, SIPAS_VERSION);
        return cli_output_finish(CLI_EXIT_OK);
    }
    if (strcmp(argv[1], "--man") == 0) /* for the build, which installs the man page */
        return cli_output_finish(cli_print_manual(stdout, program, commands, ncommands, manual));
    for (size_t i = 0; i < ncommands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return cli_output_finish(commands[i].run(argc - 2, argv + 2));
    cli_error("unknown command '%s'", argv[1]);
    print_usage(stderr, commands, ncommands, synopsis);
    return CLI_EXIT_USAGE;
}
