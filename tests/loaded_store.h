/* tests/loaded_store.h - a form's batch imported into a scratch store and loaded as a dataset,
 * the way the programs see it; shared by the unit tests of the index and of open answers.
 * Needs cmocka.h (and its prerequisites) included before. Ownership: loaded_store_close frees
 * all and removes the scratch folder. */
#ifndef SIPAS_TEST_LOADED_STORE_H
#define SIPAS_TEST_LOADED_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scratch_dir.h"
#include "sipas/dataset.h"
#include "sipas/import.h"
#include "sipas/instrument.h"
#include "sipas/store.h"

typedef struct loaded_store {
    char dir[64];
    sipas_instrument *inst;
    sipas_store *store;
    sipas_dataset *data;
} loaded_store;

/* The instrument in folder instrument_dir; batch_path the CSV file to import. */
static inline void loaded_store_open_dir(loaded_store *l, const char *instrument_dir,
                                         const char *batch_path)
{
    strcpy(l->dir, "/tmp/sipas-loaded-store-XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    char db[128];
    snprintf(db, sizeof db, "%s/t.db", l->dir);
    sipas_error err = {0};
    if (sipas_instrument_load(instrument_dir, &l->inst, &err) != SIPAS_OK)
        fail_msg("instrument: %s", err.message);
    assert_int_equal(sipas_store_open(db, SIPAS_STORE_READ_WRITE, &l->store, &err), SIPAS_OK);
    /* personal cells hashed under a key of this store alone: no key file needed */
    assert_int_equal(sipas_store_attach_ephemeral_key(l->store, &err), SIPAS_OK);
    sipas_import_options opt = {0};
    sipas_import_result res;
    if (sipas_import_batch(l->store, l->inst, batch_path, &opt, &res, &err) != SIPAS_OK)
        fail_msg("import of %s: %s", batch_path, err.message);
    if (sipas_dataset_load(l->store, l->inst, &l->data, &err) != SIPAS_OK)
        fail_msg("load: %s", err.message);
}

/* Instrument SIPAS_TEST_SURVEYS/form. */
static inline void loaded_store_open(loaded_store *l, const char *form, const char *batch_path)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SIPAS_TEST_SURVEYS, form);
    loaded_store_open_dir(l, path, batch_path);
}

static inline void loaded_store_close(loaded_store *l)
{
    sipas_dataset_free(l->data);
    sipas_store_close(l->store);
    sipas_instrument_free(l->inst);
    assert_int_equal(scratch_dir_remove(l->dir), 0);
}

#endif
