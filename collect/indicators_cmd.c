/* sipas-collect indicators import|list|show|remove: administrative figures (dossiers on time,
 * civil servants with a degree, ...) kept as batches beside the survey batches. Registry,
 * validation and verdicts: include/sipas/indicators.h; docs/usage.md and docs/review.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "sipas/indicators.h"
#include "sipas/store.h"

static const cli_option indicators_options[] = {
    {"replace", NULL, "import: replace an earlier batch that has the same content", false},
    {"indicator", "ID", "show: the stored values of one indicator instead of a batch", false},
    CLI_OPTION_DB,
    CLI_OPTION_SURVEYS,
    CLI_OPTION_HELP,
};
const cli_options collect_indicators_options = CLI_OPTION_TABLE(indicators_options);

static int import_files(const cli_args *args)
{
    sipas_error err = {0};
    sipas_indicator_registry *reg = NULL;
    sipas_store *store = NULL;
    int code = CLI_EXIT_OK;
    if (sipas_indicator_registry_load_dir(cli_surveys_dir(args), &reg, &err) != SIPAS_OK)
        return cli_fail(&err);
    /* every file is checked before the store is opened for writing: a bad one leaves no trace */
    for (size_t f = 1; f < args->npositional; f++) {
        const char *path = args->positional[f];
        sipas_admin_value *values = NULL;
        size_t n = 0;
        char sha[SIPAS_ADMIN_SHA256_HEX + 1];
        int64_t id = 0;
        if (sipas_admin_values_read(path, reg, &values, &n, sha, &err) != SIPAS_OK ||
            (store == NULL && sipas_store_open(cli_db_path(args), SIPAS_STORE_READ_WRITE, &store,
                                               &err) != SIPAS_OK) ||
            sipas_store_import_admin_batch(store, path, sha, values, n, cli_flag(args, "replace"),
                                           &id, &err) != SIPAS_OK) {
            int c = cli_fail(&err);
            code = c > code ? c : code;
        } else {
            size_t synthetic = 0;
            for (size_t i = 0; i < n; i++)
                synthetic += values[i].synthetic;
            printf("%s: indicator batch %lld: %zu values stored", path, (long long)id, n);
            if (synthetic)
                printf(" (%zu marked synthetic)", synthetic);
            printf("\n");
        }
        sipas_admin_values_free(values, n);
    }
    sipas_store_close(store);
    sipas_indicator_registry_free(reg);
    return code;
}

static int list_batches(sipas_store *store)
{
    sipas_error err = {0};
    sipas_admin_batch_info *list = NULL;
    size_t n = 0;
    if (sipas_store_list_admin_batches(store, &list, &n, &err) != SIPAS_OK)
        return cli_fail(&err);
    printf("%5s %6s  %-20s  %s\n", "batch", "values", "imported (UTC)", "file");
    for (size_t i = 0; i < n; i++)
        printf("%5lld %6lld  %-20s  %s\n", (long long)list[i].batch_id, (long long)list[i].rows,
               list[i].imported_at, list[i].file_name);
    sipas_admin_batch_list_free(list, n);
    return CLI_EXIT_OK;
}

static void print_optional(double v)
{
    if (isnan(v))
        printf(" %10s", "-");
    else
        printf(" %10.0f", v);
}

static int show_values(sipas_store *store, const char *indicator, int64_t batch_id)
{
    sipas_error err = {0};
    sipas_admin_value *v = NULL;
    size_t n = 0;
    if (sipas_store_load_admin_values(store, indicator, batch_id, &v, &n, &err) != SIPAS_OK)
        return cli_fail(&err);
    if (n == 0) {
        if (indicator)
            sipas_error_set(&err, SIPAS_ERR_NOT_FOUND, "no stored value of indicator '%s'",
                            indicator);
        else
            sipas_error_set(&err, SIPAS_ERR_NOT_FOUND, "no indicator batch %lld",
                            (long long)batch_id);
        return cli_fail(&err);
    }
    printf("%-34s %4s %-10s %12s %10s %10s %5s %4s  %s\n", "indicator", "year", "unit", "value",
           "numerator", "denominator", "batch", "row", "source");
    for (size_t i = 0; i < n; i++) {
        printf("%-34s %4.0f %-10s %12.6g", v[i].indicator, v[i].year, v[i].unit, v[i].value);
        print_optional(v[i].numerator);
        print_optional(v[i].denominator);
        printf(" %5lld %4lld  %s%s\n", (long long)v[i].batch_id, (long long)v[i].source_row,
               v[i].synthetic ? "[synthetic] " : "", v[i].source);
    }
    sipas_admin_values_free(v, n);
    return CLI_EXIT_OK;
}

int collect_indicators(int argc, char **argv)
{
    cli_args args;
    size_t nopt = sizeof indicators_options / sizeof indicators_options[0];
    if (!cli_parse(argc, argv, indicators_options, nopt, &args))
        return CLI_EXIT_USAGE;
    int code = CLI_EXIT_OK;
    sipas_store *store = NULL;
    const char *sub = args.npositional ? args.positional[0] : "";
    if (cli_flag(&args, "help")) {
        printf("usage: %s indicators import [--replace] FILE...\n"
               "       %s indicators list\n"
               "       %s indicators show BATCH | --indicator ID\n"
               "       %s indicators remove BATCH\n\n"
               "Administrative figures of the indicator registry (surveys/indicators/registry.csv):"
               " one CSV row per\nindicator x year x unit with value (or numerator and denominator),"
               " source, note, synthetic.\nA file is stored whole or not at all; the same content "
               "twice, or a value another batch holds,\nis refused. See docs/usage.md.\n\n",
               cli_program, cli_program, cli_program, cli_program);
        cli_print_options(indicators_options, nopt);
        goto done;
    }
    bool import = strcmp(sub, "import") == 0, list = strcmp(sub, "list") == 0;
    bool show = strcmp(sub, "show") == 0, remove = strcmp(sub, "remove") == 0;
    const char *indicator = cli_value(&args, "indicator");
    size_t want = import ? 0 : list ? 1 : (show && indicator) ? 1 : 2;
    if (!(import || list || show || remove) || (import && args.npositional < 2) ||
        (!import && args.npositional != want) || (indicator && !show) ||
        (cli_flag(&args, "replace") && !import)) {
        cli_error("indicators needs import FILE..., list, show BATCH (or --indicator ID) or "
                  "remove BATCH (see %s indicators --help)", cli_program);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (import) {
        code = import_files(&args);
        goto done;
    }
    int64_t id = 0;
    if (want == 2 && !cli_int("batch", args.positional[1], 1, INT64_MAX, &id)) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    sipas_error err = {0};
    if (sipas_store_open(cli_db_path(&args), remove ? SIPAS_STORE_EXISTING : SIPAS_STORE_READ_ONLY,
                         &store, &err) != SIPAS_OK) {
        code = cli_fail(&err);
        goto done;
    }
    if (list) {
        code = list_batches(store);
    } else if (show) {
        code = show_values(store, indicator, id);
    } else if (sipas_store_remove_admin_batch(store, id, &err) != SIPAS_OK) {
        code = cli_fail(&err);
    } else {
        printf("removed indicator batch %lld\n", (long long)id);
    }
done:
    sipas_store_close(store);
    cli_args_free(&args);
    return code;
}
