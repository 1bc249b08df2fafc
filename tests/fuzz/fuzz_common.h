/* tests/fuzz/fuzz_common.h - what the fuzz targets share: a private scratch folder, writing
 * bytes to a file in it, and a check that aborts (so that libFuzzer, or the replay driver,
 * reports the input) when a property the library promises does not hold. */
#ifndef SIPAS_FUZZ_COMMON_H
#define SIPAS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                   \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

static char fuzz_dir[64];

/* SIPAS_FUZZ_VERBOSE=1 in the environment: each target says what became of an input. */
static int fuzz_verbose(void)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("SIPAS_FUZZ_VERBOSE") != NULL;
    return verbose;
}

#define FUZZ_SAY(...)                                                                           \
    do {                                                                                        \
        if (fuzz_verbose())                                                                     \
            fprintf(stderr, __VA_ARGS__);                                                       \
    } while (0)

static inline void fuzz_remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove '%s'\n", fuzz_dir);
}

/* The scratch folder, made on first use and removed at exit. (inline: a target that needs no
 * files does not call these.) */
static inline const char *fuzz_scratch(void)
{
    if (fuzz_dir[0] == '\0') {
        strcpy(fuzz_dir, "/tmp/sipas-fuzz-XXXXXX");
        FUZZ_CHECK(mkdtemp(fuzz_dir) != NULL, "mkdtemp");
        atexit(fuzz_remove_dir);
    }
    return fuzz_dir;
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *out = fopen(path, "wb");
    FUZZ_CHECK(out != NULL, "cannot write '%s'", path);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, out) == size, "short write to '%s'", path);
    FUZZ_CHECK(fclose(out) == 0, "cannot close '%s'", path);
}

#endif
