/* The personal-data key outside the store: a store handed over without its key file gives no
 * way back to a phone number (every text and blob cell of every table is tried as the HMAC key,
 * raw and hex-decoded, against the known numbers; the same attack succeeds on a store of the
 * old format, which shows it can fail); the key file's permissions; the migration of an old
 * store (tests/fixtures/stores/old_personal.db, made by make_old_personal_store.sh); a wrong or
 * missing key file refused. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sipas/hash.h"
#include "sipas/import.h"
#include "sipas/instrument.h"
#include "sipas/keyfile.h"
#include "sipas/store.h"
#include "scratch_dir.h"

#define OLD_STORE SIPAS_TEST_FIXTURES "/stores/old_personal.db"
#define OLD_KEY_HEX "08aa70c37fe0428884e4ec991c1e406fd677881f7abe4e3ab24e1ef3c44b2afe"
#define NPHONES 20

typedef struct fixture {
    char dir[64];
    char db[96];
    char key_file[96];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/sipas-key-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/old.db", f->dir);
    snprintf(f->key_file, sizeof f->key_file, "%s/keys/personal.key", f->dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", OLD_STORE, f->db);
    assert_int_equal(system(cmd), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    assert_int_equal(scratch_dir_remove(f->dir), 0);
    free(f);
    return 0;
}

/* The phone numbers of tests/fixtures/stores/old_personal.csv. */
static void phone(int i, char out[16])
{
    snprintf(out, 16, "09%08d", 71039900 + i);
}

static bool is_hex_key(const unsigned char *v, int n)
{
    if (n != 2 * SIPAS_KEY_BYTES)
        return false;
    for (int i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f') ||
              (v[i] >= 'A' && v[i] <= 'F')))
            return false;
    return true;
}

/* True when some candidate key reproduces the stored hash of one of the known numbers. */
static bool key_reproduces(const void *key, size_t len, sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM responses_mini WHERE phone = ?1",
                                        -1, &stmt, NULL), SQLITE_OK);
    bool found = false;
    for (int i = 1; i <= NPHONES && !found; i++) {
        char number[16], hex[SIPAS_SHA256_HEX_LEN + 1];
        phone(i, number);
        sipas_hmac_sha256_hex(key, len, number, strlen(number), hex);
        sqlite3_bind_text(stmt, 1, hex, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        found = sqlite3_column_int(stmt, 0) > 0;
        sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    return found;
}

/* Tries every text and blob cell of every table of the store file as the key: its bytes, and
 * the 32 bytes it spells when it is 64 hex digits (how the old store kept its key). Returns
 * the number of cells tried; *hits counts the keys that reproduced a stored hash. */
static int attack(const char *path, int *hits)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *tables = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                                        -1, &tables, NULL), SQLITE_OK);
    int tried = 0;
    *hits = 0;
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", (const char *)sqlite3_column_text(tables, 0));
        sqlite3_stmt *rows = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
        sqlite3_free(sql);
        while (sqlite3_step(rows) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                int type = sqlite3_column_type(rows, c);
                if (type != SQLITE_TEXT && type != SQLITE_BLOB)
                    continue;
                const unsigned char *v = type == SQLITE_TEXT ? sqlite3_column_text(rows, c)
                                                             : sqlite3_column_blob(rows, c);
                int n = sqlite3_column_bytes(rows, c);
                tried++;
                *hits += key_reproduces(v, (size_t)n, db);
                if (is_hex_key(v, n)) {
                    unsigned char key[SIPAS_KEY_BYTES];
                    for (int i = 0; i < SIPAS_KEY_BYTES; i++) {
                        unsigned byte = 0;
                        sscanf((const char *)v + 2 * i, "%2x", &byte);
                        key[i] = (unsigned char)byte;
                    }
                    *hits += key_reproduces(key, sizeof key, db);
                }
            }
        }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return tried;
}

/* Whether the file holds the bytes of text anywhere (free pages, WAL frames included). */
static bool file_contains(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t n = strlen(text), have = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    bool found = false;
    size_t got;
    while (!found && (got = fread(buf + have, 1, cap - have, f)) > 0) {
        have += got;
        found = memmem(buf, have, text, n) != NULL;
        if (have > n) { /* keep the last n - 1 bytes: a match may straddle two reads */
            memmove(buf, buf + have - (n - 1), n - 1);
            have = n - 1;
        }
    }
    free(buf);
    fclose(f);
    return found;
}

static void test_old_store_gives_the_numbers_away(void **state)
{
    fixture *f = *state;
    int hits = 0;
    assert_true(attack(f->db, &hits) > 100);
    assert_true(hits >= 1); /* meta.personal_key: the attack works on the old format */
}

static void test_migrated_store_gives_no_way_back(void **state)
{
    fixture *f = *state;
    sipas_store *store = NULL;
    sipas_error err = {0};
    sipas_key_event event = SIPAS_KEY_USED;
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, f->key_file, &event, &err), SIPAS_OK);
    assert_int_equal(event, SIPAS_KEY_MOVED_OUT);
    /* the key moved whole: it still reproduces the stored hashes, from the key file */
    unsigned char key[SIPAS_KEY_BYTES];
    assert_int_equal(sipas_key_file_read(f->key_file, key, &err), SIPAS_OK);
    char hex[2 * SIPAS_KEY_BYTES + 1];
    for (int i = 0; i < SIPAS_KEY_BYTES; i++)
        sprintf(hex + 2 * i, "%02x", key[i]);
    assert_string_equal(hex, OLD_KEY_HEX);
    sipas_store_close(store);

    int hits = -1;
    assert_true(attack(f->db, &hits) > 100);
    assert_int_equal(hits, 0);
    char wal[128];
    snprintf(wal, sizeof wal, "%s-wal", f->db);
    assert_false(file_contains(f->db, OLD_KEY_HEX));
    assert_false(file_contains(wal, OLD_KEY_HEX));

    /* opened again with the same key file: used as it is, no second move */
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, f->key_file, &event, &err), SIPAS_OK);
    assert_int_equal(event, SIPAS_KEY_USED);
    sipas_store_close(store);
}

static void test_key_file_permissions(void **state)
{
    fixture *f = *state;
    sipas_store *store = NULL;
    sipas_error err = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/new.db", f->dir);
    sipas_key_event event = SIPAS_KEY_USED;
    assert_int_equal(sipas_store_open(path, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, f->key_file, &event, &err), SIPAS_OK);
    assert_int_equal(event, SIPAS_KEY_FILE_CREATED);
    sipas_store_close(store);
    struct stat sb;
    assert_int_equal(stat(f->key_file, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    char folder[128];
    snprintf(folder, sizeof folder, "%s/keys", f->dir);
    assert_int_equal(stat(folder, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);

    /* a key file others may read is refused, with the chmod that fixes it */
    assert_int_equal(chmod(f->key_file, 0644), 0);
    unsigned char key[SIPAS_KEY_BYTES];
    assert_int_equal(sipas_key_file_read(f->key_file, key, &err), SIPAS_ERR_IO);
    char expected[512];
    snprintf(expected, sizeof expected, "the key file '%s' can be read by other users (mode 0644); "
             "anyone who has it and a store can test guesses of the personal columns: chmod 600 "
             "'%s'", f->key_file, f->key_file);
    assert_string_equal(err.message, expected);
}

static void test_wrong_or_missing_key_file(void **state)
{
    fixture *f = *state;
    sipas_store *store = NULL;
    sipas_error err = {0};
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, f->key_file, NULL, &err), SIPAS_OK);
    sipas_store_close(store);

    char other[128], expected[512];
    snprintf(other, sizeof other, "%s/other.key", f->dir);
    unsigned char key[SIPAS_KEY_BYTES];
    assert_int_equal(sipas_key_random(key, &err), SIPAS_OK);
    assert_int_equal(sipas_key_file_create(other, key, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, other, NULL, &err), SIPAS_ERR_CONFLICT);
    snprintf(expected, sizeof expected, "the key file '%s' is not the key of '%s' (its fingerprint "
             "differs): name the store's key file with --key-file or SIPAS_KEY_FILE; another key "
             "would give the same person another hash", other, f->db);
    assert_string_equal(err.message, expected);

    snprintf(other, sizeof other, "%s/missing.key", f->dir);
    assert_int_equal(sipas_store_attach_key(store, other, NULL, &err), SIPAS_ERR_STORE);
    snprintf(expected, sizeof expected, "'%s': its personal columns are hashed with the key of a "
             "key file, and '%s' does not exist: name that key file with --key-file or "
             "SIPAS_KEY_FILE", f->db, other);
    assert_string_equal(err.message, expected);
    assert_int_equal(access(other, F_OK), -1); /* not created: that would fork the hashes */
    sipas_store_close(store);
}

static void test_second_old_store_needs_its_own_key_file(void **state)
{
    fixture *f = *state;
    sipas_store *store = NULL;
    sipas_error err = {0};
    unsigned char key[SIPAS_KEY_BYTES];
    assert_int_equal(sipas_key_random(key, &err), SIPAS_OK);
    assert_int_equal(sipas_key_file_create(f->key_file, key, &err), SIPAS_OK);
    assert_int_equal(sipas_store_open(f->db, SIPAS_STORE_READ_WRITE, &store, &err), SIPAS_OK);
    assert_int_equal(sipas_store_attach_key(store, f->key_file, NULL, &err), SIPAS_ERR_CONFLICT);
    char expected[512];
    snprintf(expected, sizeof expected, "'%s' was written by an older sipas and holds its own "
             "personal-data key, and the key file '%s' holds another: name a new key file for "
             "this store with --key-file FILE (the store's key moves there)", f->db, f->key_file);
    assert_string_equal(err.message, expected);
    sipas_store_close(store);
    int hits = 0;
    attack(f->db, &hits);
    assert_true(hits >= 1); /* refused before anything moved: the store still has its key */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_old_store_gives_the_numbers_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrated_store_gives_no_way_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_or_missing_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_old_store_needs_its_own_key_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
