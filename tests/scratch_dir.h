/* tests/scratch_dir.h - removing a test's scratch folder (made with mkdtemp) and everything in
 * it; shared by the unit tests that write stores, reports or workbooks to disk. */
#ifndef SIPAS_TEST_SCRATCH_DIR_H
#define SIPAS_TEST_SCRATCH_DIR_H

#include <stdio.h>
#include <stdlib.h>

/* 0 when dir and its contents are removed; -1 when the path is too long or rm fails. */
static inline int scratch_dir_remove(const char *dir)
{
    char cmd[1024];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

#endif
