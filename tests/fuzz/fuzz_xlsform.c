/* tests/fuzz/fuzz_xlsform.c - sipas_xlsform_convert on any workbook bytes (seeds: XLSForms
 * written by libxlsxwriter). Properties: a refusal has a message and leaves no folder behind;
 * an accepted form leaves exactly one folder, which sipas_instrument_load accepts again. */
#include "fuzz_common.h"

#include <dirent.h>
#include <sys/stat.h>

#include "sipas/instrument.h"
#include "sipas/xlsform.h"

/* Entries of dir other than . and ..; the name of the last one in last (if not NULL). */
static size_t count_entries(const char *dir, char *last, size_t size)
{
    DIR *d = opendir(dir);
    FUZZ_CHECK(d != NULL, "cannot open %s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (last)
            snprintf(last, size, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char workbook[128], surveys[128];
    if (size > (1u << 20))
        return 0;
    if (workbook[0] == '\0') {
        snprintf(workbook, sizeof workbook, "%s/form.xlsx", fuzz_scratch());
        snprintf(surveys, sizeof surveys, "%s/surveys", fuzz_scratch());
        FUZZ_CHECK(mkdir(surveys, 0777) == 0, "mkdir %s", surveys);
    }
    fuzz_write(workbook, data, size);
    sipas_error err = {0};
    char *dir = NULL;
    sipas_status st = sipas_xlsform_convert(workbook, surveys, NULL, NULL, &dir, &err);
    char name[256] = "";
    size_t folders = count_entries(surveys, name, sizeof name);
    FUZZ_SAY("xlsform: %s\n", st == SIPAS_OK ? dir : err.message);
    if (st != SIPAS_OK) {
        FUZZ_CHECK(err.message[0] != '\0', "empty message for status %s", sipas_status_name(st));
        FUZZ_CHECK(folders == 0, "a refused form left '%s' behind", name);
        return 0;
    }
    FUZZ_CHECK(folders == 1 && dir != NULL, "%zu folders after a conversion", folders);
    sipas_instrument *inst = NULL;
    FUZZ_CHECK(sipas_instrument_load(dir, &inst, &err) == SIPAS_OK, "reload: %s", err.message);
    sipas_instrument_free(inst);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    FUZZ_CHECK(system(cmd) == 0, "cannot remove %s", dir);
    free(dir);
    return 0;
}
