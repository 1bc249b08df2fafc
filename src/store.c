/* The SQLite store. Every SQL statement of the project lives here; callers pass plain structs.
 * Identifiers that come from instruments (form ids, item names) are checked against
 * [A-Za-z_][A-Za-z0-9_]* and double-quoted; values are always bound as parameters. */
#include "sipas/store.h"
#include "sipas/keyfile.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

#define SIPAS_APPLICATION_ID 0x53495041 /* "SIPA" */
#define SIPAS_BUSY_TIMEOUT_MS 30000

struct sipas_store {
    sqlite3 *db;
    char *path;
    sipas_store_wait_fn on_wait;
    void *wait_ctx;
    bool key_attached;
    unsigned char key[SIPAS_KEY_BYTES]; /* the personal-data key, never written to the store */
};

/* Waits for another process's write lock up to SIPAS_BUSY_TIMEOUT_MS, telling the caller once
 * (at the first retry of each wait) so that a user is not left looking at a silent program. */
static int busy_wait(void *ctx, int attempt)
{
    sipas_store *store = ctx;
    static const int delays_ms[] = {1, 2, 5, 10, 20, 50, 100};
    if (attempt == 0 && store->on_wait)
        store->on_wait(store->wait_ctx, store->path);
    int total = 0;
    for (int i = 0; i < attempt && i < 7; i++)
        total += delays_ms[i];
    if (attempt >= 7)
        total += (attempt - 6) * 100;
    if (total >= SIPAS_BUSY_TIMEOUT_MS)
        return 0;
    sqlite3_sleep(attempt < 7 ? delays_ms[attempt] : 100);
    return 1;
}

void sipas_store_on_wait(sipas_store *store, sipas_store_wait_fn fn, void *ctx)
{
    store->on_wait = fn;
    store->wait_ctx = ctx;
}

struct sipas_store_batch {
    sipas_store *store;
    const sipas_instrument *inst;
    int64_t batch_id;
    int64_t instrument_id;
    int64_t rows_stored;
    size_t id_index;              /* of the id item in inst->items */
    sqlite3_stmt *insert;         /* one row */
    sqlite3_stmt *insert_group;   /* group_rows rows; NULL when group_rows is 1 */
    size_t group_rows;
    sqlite3_stmt *find_duplicate;
    char table[80];
    char *file_name;
};

/* ---- helpers ------------------------------------------------------------------------------ */

static sipas_status db_error(sipas_store *store, sipas_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(store->db);
    sipas_status status = SIPAS_ERR_STORE;
    if ((code & 0xff) == SQLITE_FULL)
        return sipas_error_set(err, SIPAS_ERR_IO, "'%s': %s: the disk is full; nothing of this "
                               "operation was stored", store->path, what);
    if ((code & 0xff) == SQLITE_BUSY)
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s': %s: the store is locked by another "
                               "process (waited %d s)", store->path, what,
                               SIPAS_BUSY_TIMEOUT_MS / 1000);
    if ((code & 0xff) == SQLITE_READONLY)
        return sipas_error_set(err, SIPAS_ERR_IO, "'%s': %s: the store is read-only",
                               store->path, what);
    return sipas_error_set(err, status, "'%s': %s: %s", store->path, what,
                           sqlite3_errmsg(store->db));
}

static sipas_status exec_sql(sipas_store *store, const char *sql, const char *what,
                             sipas_error *err)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(store, err, what);
    return SIPAS_OK;
}

static sipas_status prepare(sipas_store *store, const char *sql, sqlite3_stmt **stmt,
                            sipas_error *err)
{
    if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return db_error(store, err, "cannot prepare a statement");
    }
    return SIPAS_OK;
}

static bool identifier_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
            return false;
    }
    return true;
}

static sipas_status table_name(const char *form_id, char out[80], sipas_error *err)
{
    if (!identifier_ok(form_id))
        return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is not a valid form id", form_id);
    snprintf(out, 80, "responses_%s", form_id);
    return SIPAS_OK;
}

static char *dup_column_text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? strdup((const char *)t) : NULL;
}

/* A growable string for building SQL. */
typedef struct { char *s; size_t len, cap; bool failed; } sqlbuf;

/* sqlite3 printf: %w quotes an identifier, %Q a string literal. */
static void sb_add(sqlbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    char *piece = NULL;
    va_list ap;
    va_start(ap, fmt);
    piece = sqlite3_vmprintf(fmt, ap); /* %w / %q escaping for identifiers and strings */
    va_end(ap);
    if (piece == NULL) {
        b->failed = true;
        return;
    }
    size_t n = strlen(piece);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (s == NULL) {
            b->failed = true;
            sqlite3_free(piece);
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, piece, n + 1);
    b->len += n;
    sqlite3_free(piece);
}

/* ---- schema ------------------------------------------------------------------------------- */

/* Migration i brings user_version from i to i + 1. Append only; never edit a shipped step. */
static const char *const migrations[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('personal_key', lower(hex(randomblob(32))));"
    "INSERT INTO meta(key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ','now'));"
    "CREATE TABLE instruments("
    "  instrument_id INTEGER PRIMARY KEY,"
    "  form_id TEXT NOT NULL, version TEXT NOT NULL,"
    "  title_vi TEXT, title_en TEXT, scoring TEXT NOT NULL, default_language TEXT NOT NULL,"
    "  content_sha256 TEXT NOT NULL, registered_at TEXT NOT NULL,"
    "  UNIQUE(form_id, version));"
    "CREATE TABLE elements("
    "  instrument_id INTEGER NOT NULL REFERENCES instruments(instrument_id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, name TEXT NOT NULL, label_vi TEXT, label_en TEXT,"
    "  weight REAL NOT NULL, PRIMARY KEY(instrument_id, name));"
    "CREATE TABLE choices("
    "  instrument_id INTEGER NOT NULL REFERENCES instruments(instrument_id) ON DELETE CASCADE,"
    "  list_name TEXT NOT NULL, position INTEGER NOT NULL, code TEXT NOT NULL,"
    "  label_vi TEXT, label_en TEXT, satisfied INTEGER NOT NULL, missing TEXT,"
    "  PRIMARY KEY(instrument_id, list_name, code));"
    "CREATE TABLE items("
    "  instrument_id INTEGER NOT NULL REFERENCES instruments(instrument_id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, list_name TEXT,"
    "  role TEXT, element TEXT, scoring TEXT, required INTEGER NOT NULL,"
    "  personal INTEGER NOT NULL, label_vi TEXT, label_en TEXT,"
    "  PRIMARY KEY(instrument_id, name));"
    "CREATE TABLE batches("
    "  batch_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  instrument_id INTEGER NOT NULL REFERENCES instruments(instrument_id),"
    "  form_id TEXT NOT NULL, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL,"
    "  content_bytes INTEGER NOT NULL,"
    "  wave INTEGER, rows_read INTEGER NOT NULL DEFAULT 0,"
    "  rows_stored INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0,"
    "  imported_at TEXT NOT NULL,"
    "  UNIQUE(form_id, content_sha256));",
    /* 1 -> 2: population counts for base weights and calibration (sipas-collect frame) */
    "CREATE TABLE population_margins("
    "  form_id TEXT NOT NULL, margin TEXT NOT NULL,"
    "  wave INTEGER NOT NULL DEFAULT 0,"  /* 0: every wave */
    "  cell TEXT NOT NULL, population REAL NOT NULL CHECK (population >= 0),"
    "  source_file TEXT NOT NULL, imported_at TEXT NOT NULL,"
    "  PRIMARY KEY(form_id, margin, wave, cell));",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static sipas_status pragma_int(sipas_store *store, const char *sql, int *value, sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, sql, &stmt, err);
    if (st != SIPAS_OK)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int(stmt, 0);
    else
        st = db_error(store, err, "cannot read the store's header");
    sqlite3_finalize(stmt);
    return st;
}

/* Refuses the SQLite file of another program; called before anything (the journal mode) is
 * written to the file. */
static sipas_status check_identity(sipas_store *store, sipas_error *err)
{
    /* One statement, so one read snapshot: read apart, a store another import creates in
     * between looks like a foreign database (no application id yet, then tables). */
    int is_foreign = 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT a.application_id != %d AND (a.application_id != 0 OR "
             "(SELECT count(*) FROM sqlite_master) > 0) FROM pragma_application_id AS a",
             SIPAS_APPLICATION_ID);
    sipas_status st = pragma_int(store, sql, &is_foreign, err);
    if (st != SIPAS_OK)
        return st;
    if (is_foreign)
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s' is an SQLite database but not a sipas "
                               "store", store->path);
    return SIPAS_OK;
}

static sipas_status migrate(sipas_store *store, bool read_only, sipas_error *err)
{
    int version = 0;
    sipas_status st;
    if ((st = check_identity(store, err)) != SIPAS_OK ||
        (st = pragma_int(store, "PRAGMA user_version", &version, err)) != SIPAS_OK)
        return st;
    if (version > SCHEMA_VERSION)
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s' has schema version %d; this sipas "
                               "knows up to %d: use a newer sipas", store->path, version,
                               SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return SIPAS_OK;
    if (read_only && version == 0)
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s' is empty, not a sipas store (importing "
                               "a batch into it creates one)", store->path);
    if (read_only)
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s' has schema version %d and needs an "
                               "upgrade to %d: open it once read-write", store->path, version,
                               SCHEMA_VERSION);
    if ((st = exec_sql(store, "BEGIN IMMEDIATE", "cannot upgrade the schema", err)) != SIPAS_OK)
        return st;
    /* Another process may have created or upgraded the store while this one waited for the lock. */
    if ((st = pragma_int(store, "PRAGMA user_version", &version, err)) != SIPAS_OK)
        goto fail;
    for (int v = version; v < SCHEMA_VERSION; v++) {
        if ((st = exec_sql(store, migrations[v], "cannot upgrade the schema", err)) != SIPAS_OK)
            goto fail;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
             SIPAS_APPLICATION_ID, SCHEMA_VERSION);
    if ((st = exec_sql(store, sql, "cannot upgrade the schema", err)) != SIPAS_OK ||
        (st = exec_sql(store, "COMMIT", "cannot upgrade the schema", err)) != SIPAS_OK)
        goto fail;
    return SIPAS_OK;
fail:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* A WAL store in a folder the user may not write: SQLite cannot create the -shm index beside
 * it, so even reading fails. When no -wal file holds changes (the last writer checkpointed and
 * removed it on close) and nobody can write there, reading the file as immutable is exact. */
static bool can_read_immutable(const sipas_store *store)
{
    int code = sqlite3_errcode(store->db) & 0xff;
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN)
        return false;
    char *dir = strdup(store->path), *wal = sqlite3_mprintf("%s-wal", store->path);
    bool ok = false;
    if (dir && wal) {
        char *slash = strrchr(dir, '/');
        const char *folder = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
        struct stat sb;
        ok = access(folder, W_OK) != 0 && (stat(wal, &sb) != 0 || sb.st_size == 0);
    }
    free(dir);
    sqlite3_free(wal);
    return ok;
}

static int reopen_immutable(sipas_store *store)
{
    sqlite3_close_v2(store->db);
    store->db = NULL;
    /* a URI: percent-encode what URIs reserve */
    char *uri = malloc(strlen(store->path) * 3 + 32);
    if (uri == NULL)
        return SQLITE_NOMEM;
    char *q = uri + sprintf(uri, "file:");
    for (const unsigned char *p = (const unsigned char *)store->path; *p; p++)
        q += (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p > 0x7e)
           ? sprintf(q, "%%%02X", *p) : sprintf(q, "%c", *p);
    strcpy(q, "?immutable=1");
    int rc = sqlite3_open_v2(uri, &store->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                             SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(store->db, 1);
        rc = sqlite3_exec(store->db, "PRAGMA application_id", NULL, NULL, NULL);
    }
    return rc;
}

/* A store is a file that is or will become a sipas store. SQLite would also take ":memory:" and
 * "" (a private in-memory or temporary database: an import "succeeds" and keeps nothing) and,
 * where it is built with URIs on, "file:..." with options; a folder gives "disk I/O error". */
static sipas_status check_store_path(const char *path, sipas_error *err)
{
    if (path[0] == '\0')
        return sipas_error_set(err, SIPAS_ERR_USAGE, "the store's file name is empty (--db or "
                               "SIPAS_DB): name a file such as sipas.db");
    if (strcmp(path, ":memory:") == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is not a file: a store is kept in a "
                               "file (--db sipas.db); an in-memory database would keep nothing",
                               path);
    if (strncmp(path, "file:", 5) == 0)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is an SQLite URI, not a file name: "
                               "give the store's path (for a file whose name starts with "
                               "'file:', write ./%s)", path, path);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return sipas_error_set(err, SIPAS_ERR_STORE, "'%s' is a folder, not a sipas store: name "
                               "a file in it, e.g. '%s%ssipas.db'", path, path,
                               path[strlen(path) - 1] == '/' ? "" : "/");
    return SIPAS_OK;
}

/* Switching to WAL needs a moment when no other connection writes, and SQLite answers
 * SQLITE_BUSY at once rather than through the busy handler: a second import started while the
 * first writes (the same file twice at once) waits here, as the busy handler would. */
static sipas_status enable_wal(sipas_store *store, sipas_error *err)
{
    for (int waited_ms = 0;; waited_ms += 50) {
        int rc = sqlite3_exec(store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return SIPAS_OK;
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= SIPAS_BUSY_TIMEOUT_MS)
            return db_error(store, err, "cannot configure the store");
        sqlite3_sleep(50);
    }
}

sipas_status sipas_store_open(const char *path, sipas_store_mode mode, sipas_store **out,
                              sipas_error *err)
{
    *out = NULL;
    sipas_status checked = path ? check_store_path(path, err) : SIPAS_OK;
    if (checked != SIPAS_OK)
        return checked;
    bool in_memory = path == SIPAS_STORE_IN_MEMORY;
    if (in_memory)
        path = ":memory:";
    sipas_store *store = calloc(1, sizeof *store);
    if (store == NULL || (store->path = strdup(path)) == NULL) {
        free(store);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    /* NOMUTEX: a store handle is used by one thread, and SQLite's per-call mutexes cost a tenth
     * of a million-row import. */
    int flags = SQLITE_OPEN_NOMUTEX | (mode == SIPAS_STORE_READ_ONLY ? SQLITE_OPEN_READONLY
              : mode == SIPAS_STORE_EXISTING ? SQLITE_OPEN_READWRITE
              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sipas_status st = SIPAS_OK;
    if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
        st = store->db && sqlite3_errcode(store->db) == SQLITE_CANTOPEN && mode != SIPAS_STORE_READ_WRITE
           ? sipas_error_set(err, SIPAS_ERR_STORE, "cannot open store '%s': no such file "
                             "(import a batch first)", path)
           : sipas_error_set(err, SIPAS_ERR_IO, "cannot open store '%s': %s", path,
                             store->db ? sqlite3_errmsg(store->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_handler(store->db, busy_wait, store);
    int rc = sqlite3_exec(store->db, "PRAGMA application_id", NULL, NULL, NULL);
    if (rc != SQLITE_OK && mode == SIPAS_STORE_READ_ONLY && can_read_immutable(store)) {
        rc = reopen_immutable(store);
    }
    if (rc != SQLITE_OK) {
        int code = sqlite3_errcode(store->db);
        st = code == SQLITE_NOTADB
           ? sipas_error_set(err, SIPAS_ERR_STORE, "'%s' is not a sipas store (not an SQLite "
                             "database)", path)
           : db_error(store, err, "cannot read the store");
        goto fail;
    }
    if ((st = exec_sql(store, "PRAGMA foreign_keys = ON", "cannot configure the store", err)) ||
        (st = check_identity(store, err)))
        goto fail;
    if (mode != SIPAS_STORE_READ_ONLY) {
        /* 64 KiB pages: a million-row batch needs a sixteenth of the page splits of the 4 KiB
         * default. Only takes effect on a new file, so it must come before WAL is switched on.
         * WAL: readers (an analyst's R session) do not block an import, and a killed import
         * leaves the last committed state; synchronous=NORMAL keeps WAL crash-safe. A larger
         * page cache keeps the B-tree pages of a big batch in memory instead of spilling them
         * to the WAL again and again before the commit. */
        if ((st = exec_sql(store, "PRAGMA page_size = 65536", "cannot configure the store", err)))
            goto fail;
        if ((st = enable_wal(store, err)) ||
            (st = exec_sql(store, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072",
                           "cannot configure the store", err)))
            goto fail;
    }
    if ((st = migrate(store, mode == SIPAS_STORE_READ_ONLY, err)) != SIPAS_OK)
        goto fail;
    if (in_memory && (st = sipas_store_attach_ephemeral_key(store, err)) != SIPAS_OK)
        goto fail;
    *out = store;
    return SIPAS_OK;
fail:
    sipas_store_close(store);
    return st;
}

void sipas_store_close(sipas_store *store)
{
    if (store == NULL)
        return;
    sqlite3_close_v2(store->db);
    free(store->path);
    free(store);
}

const char *sipas_store_path(const sipas_store *store)
{
    return store->path;
}

sipas_status sipas_store_personal_key(sipas_store *store, unsigned char key[32], sipas_error *err)
{
    sipas_status st;
    if (!store->key_attached && (st = sipas_store_attach_key(store, NULL, NULL, err)) != SIPAS_OK)
        return st;
    memcpy(key, store->key, SIPAS_KEY_BYTES);
    return SIPAS_OK;
}

sipas_status sipas_store_attach_ephemeral_key(sipas_store *store, sipas_error *err)
{
    sipas_status st = sipas_key_random(store->key, err);
    store->key_attached = st == SIPAS_OK;
    return st;
}

/* meta.value of key into out (65 bytes), "" when there is no such row. */
static sipas_status meta_hex(sipas_store *store, const char *key, char out[65], sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT value FROM meta WHERE key = ?1", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    out[0] = '\0';
    int rc = sqlite3_step(stmt);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
    if (v && strlen(v) == 64)
        memcpy(out, v, 65);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the store");
    sqlite3_finalize(stmt);
    return st;
}

/* Decides which key the store uses; inside the write transaction of sipas_store_attach_key. */
static sipas_status choose_key(sipas_store *store, const char *path, const char *fingerprint,
                               const char *legacy_hex, sipas_key_event *event, sipas_error *err)
{
    unsigned char file_key[SIPAS_KEY_BYTES];
    sipas_error read_err = {0};
    sipas_status read = sipas_key_file_read(path, file_key, &read_err);
    if (read != SIPAS_OK && read != SIPAS_ERR_NOT_FOUND) {
        *err = read_err;
        return read;
    }
    char file_fp[SIPAS_SHA256_HEX_LEN + 1] = "";
    if (read == SIPAS_OK)
        sipas_key_fingerprint(file_key, file_fp);
    if (fingerprint[0]) {
        if (read != SIPAS_OK)
            return sipas_error_set(err, SIPAS_ERR_STORE, "'%s': its personal columns are hashed "
                                   "with the key of a key file, and '%s' does not exist: name "
                                   "that key file with --key-file or SIPAS_KEY_FILE", store->path,
                                   path);
        if (strcmp(file_fp, fingerprint) != 0)
            return sipas_error_set(err, SIPAS_ERR_CONFLICT, "the key file '%s' is not the key of "
                                   "'%s' (its fingerprint differs): name the store's key file "
                                   "with --key-file or SIPAS_KEY_FILE; another key would give "
                                   "the same person another hash", path, store->path);
        memcpy(store->key, file_key, SIPAS_KEY_BYTES);
        *event = SIPAS_KEY_USED;
        return SIPAS_OK;
    }
    int64_t batches = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT count(*) FROM batches", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        batches = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (legacy_hex[0] && batches > 0) {
        /* The store's own key hashed its batches: it is the key, wherever it goes. */
        unsigned char legacy[SIPAS_KEY_BYTES];
        for (int i = 0; i < SIPAS_KEY_BYTES; i++) {
            unsigned v = 0;
            sscanf(legacy_hex + 2 * i, "%2x", &v);
            legacy[i] = (unsigned char)v;
        }
        if (read == SIPAS_OK && memcmp(file_key, legacy, SIPAS_KEY_BYTES) != 0)
            return sipas_error_set(err, SIPAS_ERR_CONFLICT, "'%s' was written by an older sipas "
                                   "and holds its own personal-data key, and the key file '%s' "
                                   "holds another: name a new key file for this store with "
                                   "--key-file FILE (the store's key moves there)", store->path,
                                   path);
        if (read != SIPAS_OK) {
            /* create reads the file instead when another process made it meanwhile */
            memcpy(file_key, legacy, SIPAS_KEY_BYTES);
            if ((st = sipas_key_file_create(path, file_key, err)) != SIPAS_OK)
                return st;
            if (memcmp(file_key, legacy, SIPAS_KEY_BYTES) != 0)
                return sipas_error_set(err, SIPAS_ERR_CONFLICT, "the key file '%s' was created "
                                       "meanwhile with another key: name a new key file for "
                                       "'%s' with --key-file FILE", path, store->path);
        }
        memcpy(store->key, legacy, SIPAS_KEY_BYTES);
        *event = SIPAS_KEY_MOVED_OUT;
        return SIPAS_OK;
    }
    /* Nothing hashed yet: the key file's key, or a new one. */
    if (read == SIPAS_OK) {
        memcpy(store->key, file_key, SIPAS_KEY_BYTES);
        *event = SIPAS_KEY_USED;
        return SIPAS_OK;
    }
    if ((st = sipas_key_random(store->key, err)) != SIPAS_OK ||
        (st = sipas_key_file_create(path, store->key, err)) != SIPAS_OK)
        return st;
    *event = SIPAS_KEY_FILE_CREATED;
    return SIPAS_OK;
}

sipas_status sipas_store_attach_key(sipas_store *store, const char *key_file,
                                    sipas_key_event *event, sipas_error *err)
{
    sipas_key_event ignored;
    if (event == NULL)
        event = &ignored;
    *event = SIPAS_KEY_USED;
    /* Nothing hashed can be kept in a store that cannot be written, and the write that fails
     * says so better than a key file the user may not even have. */
    if (sqlite3_db_readonly(store->db, "main") == 1)
        return sipas_store_attach_ephemeral_key(store, err);
    char *path = NULL;
    sipas_status st = key_file ? ((path = strdup(key_file)) ? SIPAS_OK
                                  : sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory"))
                               : sipas_key_file_default_path(&path, err);
    if (st != SIPAS_OK)
        return st;
    char fingerprint[65], legacy[65];
    /* secure_delete: the deleted key is overwritten with zeros, not left on a free page. */
    if ((st = exec_sql(store, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE",
                       "cannot record the personal-data key", err)) != SIPAS_OK) {
        free(path);
        return st;
    }
    if ((st = meta_hex(store, "personal_key_fingerprint", fingerprint, err)) != SIPAS_OK ||
        (st = meta_hex(store, "personal_key", legacy, err)) != SIPAS_OK ||
        (st = choose_key(store, path, fingerprint, legacy, event, err)) != SIPAS_OK)
        goto fail;
    if (fingerprint[0] == '\0' || legacy[0]) {
        char fp[SIPAS_SHA256_HEX_LEN + 1], *sql;
        sipas_key_fingerprint(store->key, fp);
        sql = sqlite3_mprintf("DELETE FROM meta WHERE key = 'personal_key';"
                              "INSERT OR REPLACE INTO meta(key, value) "
                              "VALUES ('personal_key_fingerprint', '%q')", fp);
        st = sql ? exec_sql(store, sql, "cannot record the personal-data key", err)
                 : sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        sqlite3_free(sql);
        if (st != SIPAS_OK)
            goto fail;
    }
    if ((st = exec_sql(store, "COMMIT", "cannot record the personal-data key", err)) != SIPAS_OK)
        goto fail;
    /* The old key's bytes may still sit in WAL frames: copy the pages back and empty the WAL.
     * A reader holding an old snapshot can keep the checkpoint from finishing; the next writer's
     * checkpoint then completes it. */
    sqlite3_exec(store->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    free(path);
    store->key_attached = true;
    return SIPAS_OK;
fail:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    free(path);
    return st;
}

/* ---- instruments -------------------------------------------------------------------------- */

static const char *item_type_name(sipas_item_type t)
{
    switch (t) {
    case SIPAS_TYPE_SELECT_ONE: return "select_one";
    case SIPAS_TYPE_INTEGER: return "integer";
    case SIPAS_TYPE_DECIMAL: return "decimal";
    case SIPAS_TYPE_TEXT: return "text";
    }
    return "text";
}

static bool list_is_integer(const sipas_choice_list *list)
{
    for (size_t i = 0; i < list->nchoices; i++)
        if (!list->choices[i].has_value)
            return false;
    return list->nchoices > 0;
}

/* The SQL type of an item's column. Personal items hold a keyed hash, so text. */
static const char *column_type(const sipas_item *item)
{
    if (item->personal)
        return "TEXT";
    switch (item->type) {
    case SIPAS_TYPE_SELECT_ONE: return list_is_integer(item->list) ? "INTEGER" : "TEXT";
    case SIPAS_TYPE_INTEGER: return "INTEGER";
    case SIPAS_TYPE_DECIMAL: return "REAL";
    case SIPAS_TYPE_TEXT: return "TEXT";
    }
    return "TEXT";
}

static const sipas_item *id_item(const sipas_instrument *inst)
{
    for (size_t i = 0; i < inst->nitems; i++)
        if (inst->items[i].role == SIPAS_ROLE_ID)
            return &inst->items[i];
    return NULL;
}

static sipas_status bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
    int rc = s ? sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, idx);
    return rc == SQLITE_OK ? SIPAS_OK : SIPAS_ERR_STORE;
}

static sipas_status step_done(sipas_store *store, sqlite3_stmt *stmt, const char *what,
                              sipas_error *err)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return db_error(store, err, what);
    return SIPAS_OK;
}

static sipas_status insert_instrument_rows(sipas_store *store, const sipas_instrument *inst,
                                           int64_t *instrument_id, sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    const char *what = "cannot record the instrument";
    sipas_status st = prepare(store,
        "INSERT INTO instruments(form_id, version, title_vi, title_en, scoring, default_language,"
        " content_sha256, registered_at) VALUES (?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
        &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, inst->form_id);
    bind_text(stmt, 2, inst->version);
    bind_text(stmt, 3, inst->title_vi);
    bind_text(stmt, 4, inst->title_en);
    bind_text(stmt, 5, sipas_scoring_name(inst->scoring));
    bind_text(stmt, 6, inst->default_language ? inst->default_language : "vi");
    bind_text(stmt, 7, inst->content_hash);
    st = step_done(store, stmt, what, err);
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK)
        return st;
    int64_t id = sqlite3_last_insert_rowid(store->db);
    *instrument_id = id;

    if ((st = prepare(store, "INSERT INTO elements VALUES (?,?,?,?,?,?)", &stmt, err)))
        return st;
    for (size_t i = 0; i < inst->nelements && st == SIPAS_OK; i++) {
        const sipas_element *e = &inst->elements[i];
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        bind_text(stmt, 3, e->name);
        bind_text(stmt, 4, e->label_vi);
        bind_text(stmt, 5, e->label_en);
        sqlite3_bind_double(stmt, 6, e->weight);
        st = step_done(store, stmt, what, err);
    }
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK)
        return st;

    if ((st = prepare(store, "INSERT INTO choices VALUES (?,?,?,?,?,?,?,?)", &stmt, err)))
        return st;
    for (size_t l = 0; l < inst->nlists && st == SIPAS_OK; l++) {
        const sipas_choice_list *list = &inst->lists[l];
        for (size_t c = 0; c < list->nchoices && st == SIPAS_OK; c++) {
            const sipas_choice *ch = &list->choices[c];
            sqlite3_bind_int64(stmt, 1, id);
            bind_text(stmt, 2, list->name);
            sqlite3_bind_int64(stmt, 3, (int64_t)c);
            bind_text(stmt, 4, ch->name);
            bind_text(stmt, 5, ch->label_vi);
            bind_text(stmt, 6, ch->label_en);
            sqlite3_bind_int(stmt, 7, ch->satisfied);
            bind_text(stmt, 8, ch->missing == SIPAS_MISSING_NONE ? NULL : sipas_missing_name(ch->missing));
            st = step_done(store, stmt, what, err);
        }
    }
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK)
        return st;

    if ((st = prepare(store, "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &stmt, err)))
        return st;
    for (size_t i = 0; i < inst->nitems && st == SIPAS_OK; i++) {
        const sipas_item *it = &inst->items[i];
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        bind_text(stmt, 3, it->name);
        bind_text(stmt, 4, item_type_name(it->type));
        bind_text(stmt, 5, it->list ? it->list->name : NULL);
        bind_text(stmt, 6, it->role == SIPAS_ROLE_NONE ? NULL : sipas_role_name(it->role));
        bind_text(stmt, 7, it->element >= 0 ? inst->elements[it->element].name : NULL);
        bind_text(stmt, 8, it->role == SIPAS_ROLE_CRITERION ? sipas_scoring_name(it->scoring) : NULL);
        sqlite3_bind_int(stmt, 9, it->required);
        sqlite3_bind_int(stmt, 10, it->personal);
        bind_text(stmt, 11, it->label_vi);
        bind_text(stmt, 12, it->label_en);
        st = step_done(store, stmt, what, err);
    }
    sqlite3_finalize(stmt);
    return st;
}

/* ---- the instrument versions of the stored batches ------------------------------------- */

static bool same_text(const unsigned char *stored, const char *folder)
{
    return strcmp(stored ? (const char *)stored : "", folder ? folder : "") == 0;
}

/* Where a stored version (instrument_id) and the folder's inst differ: the sheet's file name,
 * with what in it in `what`; NULL when they do not. scoring_only compares only what one set of
 * rows scored by several versions cannot absorb: the criteria (list, element, scoring), the
 * elements and their weights, the default scoring; otherwise everything that is stored. */
static const char *first_difference(sipas_store *store, int64_t id, const sipas_instrument *inst,
                                    bool scoring_only, char *what, size_t size, sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    const char *sheet = NULL;
    what[0] = '\0';
    /* settings.csv: the default scoring, and the titles */
    if (prepare(store, "SELECT scoring, title_vi, title_en, default_language FROM instruments "
                "WHERE instrument_id = ?1", &stmt, err) != SIPAS_OK)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_step(stmt) == SQLITE_ROW &&
        (!same_text(sqlite3_column_text(stmt, 0), sipas_scoring_name(inst->scoring)) ||
         (!scoring_only && (!same_text(sqlite3_column_text(stmt, 1), inst->title_vi) ||
                            !same_text(sqlite3_column_text(stmt, 2), inst->title_en) ||
                            !same_text(sqlite3_column_text(stmt, 3), inst->default_language))))) {
        snprintf(what, size, "the default scoring or the titles");
        sheet = "settings.csv";
    }
    sqlite3_finalize(stmt);
    if (sheet)
        return sheet;
    /* survey.csv: every item in order, or the criteria by name */
    if (prepare(store, scoring_only
                ? "SELECT name, list_name, element, scoring FROM items WHERE instrument_id = ?1 "
                  "AND role = 'criterion' ORDER BY position"
                : "SELECT name, list_name, element, scoring, type, role, required, personal, "
                  "label_vi, label_en FROM items WHERE instrument_id = ?1 ORDER BY position",
                &stmt, err) != SIPAS_OK)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    size_t stored = 0, criteria = 0;
    for (size_t i = 0; i < inst->nitems; i++)
        criteria += inst->items[i].role == SIPAS_ROLE_CRITERION;
    while (sheet == NULL && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        const sipas_item *it = scoring_only ? sipas_instrument_item(inst, name ? name : "")
                             : stored < inst->nitems ? &inst->items[stored] : NULL;
        stored++;
        bool same = it && same_text(sqlite3_column_text(stmt, 0), it->name) &&
                    same_text(sqlite3_column_text(stmt, 1), it->list ? it->list->name : NULL) &&
                    same_text(sqlite3_column_text(stmt, 2),
                              it->element >= 0 ? inst->elements[it->element].name : NULL) &&
                    same_text(sqlite3_column_text(stmt, 3), it->role == SIPAS_ROLE_CRITERION
                              ? sipas_scoring_name(it->scoring) : NULL);
        if (same && scoring_only)
            same = it->role == SIPAS_ROLE_CRITERION;
        else if (same)
            same = same_text(sqlite3_column_text(stmt, 4), item_type_name(it->type)) &&
                   same_text(sqlite3_column_text(stmt, 5), it->role == SIPAS_ROLE_NONE ? NULL
                             : sipas_role_name(it->role)) &&
                   sqlite3_column_int(stmt, 6) == it->required &&
                   sqlite3_column_int(stmt, 7) == it->personal &&
                   same_text(sqlite3_column_text(stmt, 8), it->label_vi) &&
                   same_text(sqlite3_column_text(stmt, 9), it->label_en);
        if (!same) {
            snprintf(what, size, "%s '%s'", scoring_only ? "criterion" : "item", name ? name : "");
            sheet = "survey.csv";
        }
    }
    sqlite3_finalize(stmt);
    if (sheet == NULL && stored != (scoring_only ? criteria : inst->nitems)) {
        snprintf(what, size, "the number of %s", scoring_only ? "criteria" : "items");
        sheet = "survey.csv";
    }
    if (sheet)
        return sheet;
    /* elements.csv: names and weights in order */
    if (prepare(store, "SELECT name, weight, label_vi, label_en FROM elements "
                "WHERE instrument_id = ?1 ORDER BY position", &stmt, err) != SIPAS_OK)
        return NULL;
    sqlite3_bind_int64(stmt, 1, id);
    stored = 0;
    while (sheet == NULL && sqlite3_step(stmt) == SQLITE_ROW) {
        const sipas_element *e = stored < inst->nelements ? &inst->elements[stored] : NULL;
        stored++;
        if (e == NULL || !same_text(sqlite3_column_text(stmt, 0), e->name) ||
            sqlite3_column_double(stmt, 1) != e->weight ||
            (!scoring_only && (!same_text(sqlite3_column_text(stmt, 2), e->label_vi) ||
                               !same_text(sqlite3_column_text(stmt, 3), e->label_en)))) {
            snprintf(what, size, "element '%s'", (const char *)sqlite3_column_text(stmt, 0));
            sheet = "elements.csv";
        }
    }
    sqlite3_finalize(stmt);
    if (sheet == NULL && stored != inst->nelements) {
        snprintf(what, size, "the number of elements");
        sheet = "elements.csv";
    }
    if (sheet)
        return sheet;
    /* choices.csv: every list, its codes in order. Another version's lists need not match:
     * sipas_dataset_load scores each batch with its own version's lists. */
    if (scoring_only)
        return NULL;
    if (prepare(store, "SELECT code, satisfied, missing, label_vi, label_en FROM choices "
                "WHERE instrument_id = ?1 AND list_name = ?2 ORDER BY position", &stmt, err) != SIPAS_OK)
        return NULL;
    for (size_t l = 0; l < inst->nlists && sheet == NULL; l++) {
        const sipas_choice_list *list = &inst->lists[l];
        sqlite3_bind_int64(stmt, 1, id);
        bind_text(stmt, 2, list->name);
        stored = 0;
        bool same = true;
        while (same && sqlite3_step(stmt) == SQLITE_ROW) {
            const sipas_choice *ch = stored < list->nchoices ? &list->choices[stored] : NULL;
            stored++;
            same = ch && same_text(sqlite3_column_text(stmt, 0), ch->name) &&
                   sqlite3_column_int(stmt, 1) == ch->satisfied &&
                   same_text(sqlite3_column_text(stmt, 2), ch->missing == SIPAS_MISSING_NONE
                             ? NULL : sipas_missing_name(ch->missing)) &&
                   same_text(sqlite3_column_text(stmt, 3), ch->label_vi) &&
                   same_text(sqlite3_column_text(stmt, 4), ch->label_en);
        }
        sqlite3_reset(stmt);
        if (!same || stored != list->nchoices) {
            snprintf(what, size, "list '%s'", list->name);
            sheet = "choices.csv";
        }
    }
    sqlite3_finalize(stmt);
    return sheet;
}

/* "batch 4", "batches 1-3" or "5 batches from 1 to 9". */
static void describe_batches(char *out, size_t size, int64_t count, int64_t first, int64_t last)
{
    if (count == 1)
        snprintf(out, size, "batch %lld", (long long)first);
    else if (count == last - first + 1)
        snprintf(out, size, "batches %lld-%lld", (long long)first, (long long)last);
    else
        snprintf(out, size, "%lld batches from %lld to %lld", (long long)count,
                 (long long)first, (long long)last);
}

sipas_status sipas_store_check_instrument(sipas_store *store, const sipas_instrument *inst,
                                          char **problem, char **versions, sipas_error *err)
{
    *problem = NULL;
    *versions = NULL;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store,
        "SELECT i.instrument_id, i.version, i.content_sha256, count(*), min(b.batch_id), "
        "max(b.batch_id) FROM instruments i JOIN batches b USING (instrument_id) "
        "WHERE i.form_id = ?1 GROUP BY i.instrument_id ORDER BY min(b.batch_id)", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, inst->form_id);
    sqlbuf list = {0};
    char *found = NULL;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        const char *version = (const char *)sqlite3_column_text(stmt, 1);
        const char *hash = (const char *)sqlite3_column_text(stmt, 2);
        char batches[96], what[160];
        describe_batches(batches, sizeof batches, sqlite3_column_int64(stmt, 3),
                         sqlite3_column_int64(stmt, 4), sqlite3_column_int64(stmt, 5));
        sb_add(&list, "%sversion '%s' (%s)", list.len ? ", " : "", version ? version : "", batches);
        if (found)
            continue;
        bool same_version = same_text((const unsigned char *)version, inst->version);
        if (same_version && same_text((const unsigned char *)hash, inst->content_hash))
            continue;
        const char *sheet = first_difference(store, id, inst, !same_version, what, sizeof what, err);
        if (sheet == NULL && err && err->status != SIPAS_OK) {
            st = err->status;
            break;
        }
        if (same_version)
            found = sqlite3_mprintf("form '%s' version '%s' in '%s' differs from the version "
                                    "'%s' recorded with %s: %s%s%s%s%s changed without a new "
                                    "version, which would change published numbers. Restore "
                                    "it, or give the change a new version in settings.csv",
                                    inst->form_id, inst->version, inst->source_dir,
                                    inst->version, batches, sheet ? "sheet '" : "a sheet",
                                    sheet ? sheet : "", sheet ? "' (" : "", sheet ? what : "",
                                    sheet ? ")" : "");
        else if (sheet)
            found = sqlite3_mprintf("form '%s': %s, imported under version '%s', cannot be "
                                    "analysed with version '%s' in '%s', whose sheet '%s' (%s) "
                                    "differs: the criteria, their elements and weights must be "
                                    "the same in every version analysed together",
                                    inst->form_id, batches,
                                    version ? version : "", inst->version, inst->source_dir,
                                    sheet, what);
        if (sheet && found == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = db_error(store, err, "cannot read the instrument versions");
    sqlite3_finalize(stmt);
    if (st == SIPAS_OK && list.failed)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (st == SIPAS_OK && found && (*problem = strdup(found)) == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (st == SIPAS_OK && (*versions = strdup(list.s ? list.s : "")) == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sqlite3_free(found);
    free(list.s);
    if (st != SIPAS_OK) {
        free(*problem);
        *problem = NULL;
    }
    return st;
}

/* Declared types of the existing columns of a table, as "name\ttype\n" lines (NULL: no table). */
static sipas_status table_columns(sipas_store *store, const char *table, char ***names,
                                  char ***types, size_t *count, sipas_error *err)
{
    *names = *types = NULL;
    *count = 0;
    sqlite3_stmt *stmt = NULL;
    char *sql = sqlite3_mprintf("SELECT name, type FROM pragma_table_info(%Q)", table);
    if (sql == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sipas_status st = prepare(store, sql, &stmt, err);
    sqlite3_free(sql);
    if (st != SIPAS_OK)
        return st;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 32;
            char **n = realloc(*names, cap * sizeof *n), **t = n ? realloc(*types, cap * sizeof *t) : NULL;
            if (n) *names = n;
            if (t) *types = t;
            if (!n || !t) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
        }
        (*names)[*count] = dup_column_text(stmt, 0);
        (*types)[*count] = dup_column_text(stmt, 1);
        (*count)++;
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the table layout");
    sqlite3_finalize(stmt);
    return st;
}

static void free_columns(char **names, char **types, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(names[i]);
        free(types[i]);
    }
    free(names);
    free(types);
}

/* The name of responses_<form_id> (table[80]) and its columns, as table_columns. */
static sipas_status response_table_columns(sipas_store *store, const char *form_id, char *table,
                                           char ***names, char ***types, size_t *count,
                                           sipas_error *err)
{
    *names = *types = NULL;
    *count = 0;
    sipas_status st = table_name(form_id, table, err);
    return st != SIPAS_OK ? st : table_columns(store, table, names, types, count, err);
}

/* Creates responses_<form> or adds the columns a new version brings. */
static sipas_status ensure_response_table(sipas_store *store, const sipas_instrument *inst,
                                          sipas_error *err)
{
    char table[80];
    sipas_status st = table_name(inst->form_id, table, err);
    if (st != SIPAS_OK)
        return st;
    const sipas_item *id = id_item(inst);
    if (id == NULL || !identifier_ok(id->name))
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "instrument '%s' has no usable id column",
                               inst->form_id);
    char **names = NULL, **types = NULL;
    size_t count = 0;
    if ((st = table_columns(store, table, &names, &types, &count, err)) != SIPAS_OK)
        return st;
    sqlbuf sql = {0};
    if (count == 0) {
        sb_add(&sql, "CREATE TABLE \"%w\"(\"%w\" TEXT NOT NULL UNIQUE,"
               " batch_id INTEGER NOT NULL REFERENCES batches(batch_id),"
               " source_row INTEGER NOT NULL", table, id->name);
        for (size_t i = 0; i < inst->nitems; i++) {
            const sipas_item *it = &inst->items[i];
            if (it == id)
                continue;
            if (!identifier_ok(it->name)) {
                st = sipas_error_set(err, SIPAS_ERR_FORMAT, "item name '%s' cannot be a column",
                                     it->name);
                goto done;
            }
            sb_add(&sql, ", \"%w\" %s", it->name, column_type(it));
        }
        sb_add(&sql, ")");
    } else {
        if (strcmp(names[0], id->name) != 0) {
            st = sipas_error_set(err, SIPAS_ERR_CONFLICT, "instrument '%s' version '%s' names its "
                                 "id column '%s', but the stored responses use '%s'",
                                 inst->form_id, inst->version, id->name, names[0]);
            goto done;
        }
        for (size_t i = 0; i < inst->nitems; i++) {
            const sipas_item *it = &inst->items[i];
            if (it == id)
                continue;
            if (!identifier_ok(it->name)) {
                st = sipas_error_set(err, SIPAS_ERR_FORMAT, "item name '%s' cannot be a column",
                                     it->name);
                goto done;
            }
            size_t c = 0;
            while (c < count && strcmp(names[c], it->name) != 0)
                c++;
            if (c == count) {
                sb_add(&sql, "ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s;", table, it->name, column_type(it));
            } else if (strcmp(types[c], column_type(it)) != 0) {
                st = sipas_error_set(err, SIPAS_ERR_CONFLICT, "instrument '%s' version '%s': "
                                     "column '%s' is %s, but the stored responses hold %s",
                                     inst->form_id, inst->version, it->name, column_type(it),
                                     types[c]);
                goto done;
            }
        }
    }
    if (sql.failed)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    else if (sql.len > 0)
        st = exec_sql(store, sql.s, "cannot create the response table", err);
done:
    free(sql.s);
    free_columns(names, types, count);
    return st;
}

/* Views <form>_vi and <form>_en: every column of every version, select_one columns as labels of
 * the version each row was imported under. */
static sipas_status rebuild_label_views(sipas_store *store, const char *form_id, sipas_error *err)
{
    char table[80], **names = NULL, **types = NULL;
    size_t count = 0;
    sipas_status st = response_table_columns(store, form_id, table, &names, &types, &count, err);
    if (st != SIPAS_OK)
        return st;
    /* list name of each column, from any version that has it */
    sqlite3_stmt *list_of = NULL;
    if ((st = prepare(store, "SELECT i.list_name FROM items i JOIN instruments s USING(instrument_id)"
                      " WHERE s.form_id = ? AND i.name = ? AND i.list_name IS NOT NULL"
                      " AND i.personal = 0 ORDER BY s.instrument_id DESC LIMIT 1", &list_of, err)))
        goto done;
    sqlbuf sql = {0};
    for (int lang = 0; lang < 2; lang++) {
        const char *suffix = lang == 0 ? "vi" : "en";
        sb_add(&sql, "DROP VIEW IF EXISTS \"%w_%s\"; CREATE VIEW \"%w_%s\" AS SELECT r.\"%w\","
               " r.batch_id, b.file_name, r.source_row, s.version AS instrument_version",
               form_id, suffix, form_id, suffix, names[0]);
        for (size_t c = 3; c < count; c++) {
            sqlite3_bind_text(list_of, 1, form_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(list_of, 2, names[c], -1, SQLITE_STATIC);
            char *list = NULL;
            if (sqlite3_step(list_of) == SQLITE_ROW)
                list = dup_column_text(list_of, 0);
            sqlite3_reset(list_of);
            if (list)
                sb_add(&sql, ", coalesce((SELECT c.label_%s FROM choices c WHERE c.instrument_id ="
                       " b.instrument_id AND c.list_name = %Q AND c.code = r.\"%w\"), r.\"%w\") AS \"%w\"",
                       suffix, list, names[c], names[c], names[c]);
            else
                sb_add(&sql, ", r.\"%w\"", names[c]);
            free(list);
        }
        sb_add(&sql, " FROM \"%w\" r JOIN batches b USING(batch_id) JOIN instruments s"
               " ON s.instrument_id = b.instrument_id;", table);
    }
    if (sql.failed)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    else
        st = exec_sql(store, sql.s, "cannot create the label views", err);
    free(sql.s);
done:
    sqlite3_finalize(list_of);
    free_columns(names, types, count);
    return st;
}

/* Looks up (form, version): found with the same hash -> id; other hash -> conflict. */
static sipas_status find_instrument(sipas_store *store, const sipas_instrument *inst,
                                    int64_t *instrument_id, sipas_error *err)
{
    *instrument_id = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT instrument_id, content_sha256 FROM instruments"
                              " WHERE form_id = ? AND version = ?", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, inst->form_id);
    bind_text(stmt, 2, inst->version);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *hash = (const char *)sqlite3_column_text(stmt, 1);
        if (hash && inst->content_hash && strcmp(hash, inst->content_hash) == 0)
            *instrument_id = sqlite3_column_int64(stmt, 0);
        else
            st = sipas_error_set(err, SIPAS_ERR_CONFLICT, "instrument '%s' version '%s' is already "
                                 "in the store with other content (sheets changed since it was "
                                 "registered); give the changed instrument a new version",
                                 inst->form_id, inst->version);
    } else if (rc != SQLITE_DONE) {
        st = db_error(store, err, "cannot look up the instrument");
    }
    sqlite3_finalize(stmt);
    return st;
}

/* Inside an open transaction. */
static sipas_status register_in_transaction(sipas_store *store, const sipas_instrument *inst,
                                            int64_t *instrument_id, sipas_error *err)
{
    sipas_status st = find_instrument(store, inst, instrument_id, err);
    if (st != SIPAS_OK || *instrument_id != 0)
        return st;
    if ((st = insert_instrument_rows(store, inst, instrument_id, err)) != SIPAS_OK ||
        (st = ensure_response_table(store, inst, err)) != SIPAS_OK ||
        (st = rebuild_label_views(store, inst->form_id, err)) != SIPAS_OK)
        return st;
    return SIPAS_OK;
}

sipas_status sipas_store_register_instrument(sipas_store *store, const sipas_instrument *inst,
                                             int64_t *instrument_id, sipas_error *err)
{
    int64_t id = 0;
    sipas_status st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start a transaction", err);
    if (st != SIPAS_OK)
        return st;
    if ((st = register_in_transaction(store, inst, &id, err)) != SIPAS_OK ||
        (st = exec_sql(store, "COMMIT", "cannot record the instrument", err)) != SIPAS_OK) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    if (instrument_id)
        *instrument_id = id;
    return SIPAS_OK;
}

/* ---- batches ------------------------------------------------------------------------------ */

void sipas_batch_info_clear(sipas_batch_info *info)
{
    if (info == NULL)
        return;
    free(info->form_id);
    free(info->instrument_version);
    free(info->file_name);
    free(info->content_sha256);
    free(info->imported_at);
    memset(info, 0, sizeof *info);
}

void sipas_batch_list_free(sipas_batch_info *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        sipas_batch_info_clear(&list[i]);
    free(list);
}

#define BATCH_COLUMNS "b.batch_id, b.form_id, s.version, b.file_name, b.content_sha256," \
                      " coalesce(b.wave, 0), b.rows_read, b.rows_stored, b.rows_rejected, b.imported_at" \
                      " FROM batches b JOIN instruments s USING(instrument_id)"

static void read_batch_row(sqlite3_stmt *stmt, sipas_batch_info *info)
{
    info->batch_id = sqlite3_column_int64(stmt, 0);
    info->form_id = dup_column_text(stmt, 1);
    info->instrument_version = dup_column_text(stmt, 2);
    info->file_name = dup_column_text(stmt, 3);
    info->content_sha256 = dup_column_text(stmt, 4);
    info->wave = sqlite3_column_int64(stmt, 5);
    info->rows_read = sqlite3_column_int64(stmt, 6);
    info->rows_stored = sqlite3_column_int64(stmt, 7);
    info->rows_rejected = sqlite3_column_int64(stmt, 8);
    info->imported_at = dup_column_text(stmt, 9);
}

static sipas_status delete_batch_rows(sipas_store *store, const char *form_id, int64_t batch_id,
                                      sipas_error *err)
{
    char table[80];
    sipas_status st = table_name(form_id, table, err);
    if (st != SIPAS_OK)
        return st;
    char *sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE batch_id = %lld;"
                                "DELETE FROM batches WHERE batch_id = %lld;",
                                table, (long long)batch_id, (long long)batch_id);
    if (sql == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    st = exec_sql(store, sql, "cannot remove the batch", err);
    sqlite3_free(sql);
    return st;
}

/* The batch of a form with that content hash, other than `except` (out->batch_id 0: none). */
static sipas_status find_batch_by_hash(sipas_store *store, const char *form_id, const char *hash,
                                       int64_t except, sipas_batch_info *out, sipas_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT " BATCH_COLUMNS " WHERE b.form_id = ? AND"
                              " b.content_sha256 = ? AND b.batch_id <> ?", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    bind_text(stmt, 2, hash);
    sqlite3_bind_int64(stmt, 3, except);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        read_batch_row(stmt, out);
    else if (rc != SQLITE_DONE)
        st = db_error(store, err, "cannot look up earlier batches");
    sqlite3_finalize(stmt);
    return st;
}

static sipas_status same_content_conflict(const char *file_name, const sipas_batch_info *old,
                                          sipas_error *err)
{
    return sipas_error_set(err, SIPAS_ERR_CONFLICT, "'%s' has the same content as batch %lld ('%s', "
                           "imported %s); nothing was stored (use --replace to import it again in "
                           "place of that batch)", file_name, (long long)old->batch_id,
                           old->file_name, old->imported_at);
}

sipas_status sipas_store_has_batch_of_size(sipas_store *store, const char *form_id,
                                           int64_t content_bytes, bool *found, sipas_error *err)
{
    *found = false;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT 1 FROM batches WHERE form_id = ? AND content_bytes = ?",
                              &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    sqlite3_bind_int64(stmt, 2, content_bytes);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *found = true;
    else if (rc != SQLITE_DONE)
        st = db_error(store, err, "cannot look up earlier batches");
    sqlite3_finalize(stmt);
    return st;
}

sipas_status sipas_store_batch_check_hash(sipas_store_batch *batch, const char *content_sha256,
                                          sipas_error *err)
{
    sipas_batch_info old;
    sipas_status st = find_batch_by_hash(batch->store, batch->inst->form_id, content_sha256,
                                         batch->batch_id, &old, err);
    if (st == SIPAS_OK && old.batch_id != 0)
        st = same_content_conflict(batch->file_name, &old, err);
    sipas_batch_info_clear(&old);
    return st;
}

/* Rows per grouped insert: one INSERT of 16 rows costs SQLite about two thirds of 16 single
 * ones (the statement's setup and the cursors' seeks are shared); more gains little. */
#define BATCH_GROUP_ROWS 16

/* After a batch (sipas_store_batch_begin turned the check off). Outside a transaction the
 * pragma fails only for want of memory, and then only this connection's later checks are
 * missing, never stored data: nothing more to do. */
static void restore_foreign_keys(sipas_store *store)
{
    if (sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
}

/* INSERT OR IGNORE of rows rows into the batch's table, the batch id bound once: a row whose
 * id is stored already is skipped (sipas_store_batch_insert_rows finds which), so that a
 * duplicate does not abort the statement, which would make SQLite journal each one. */
static sipas_status prepare_insert(sipas_store_batch *batch, size_t rows, sqlite3_stmt **stmt,
                                   sipas_error *err)
{
    const sipas_instrument *inst = batch->inst;
    const sipas_item *id = &inst->items[batch->id_index];
    sqlbuf sql = {0};
    sb_add(&sql, "INSERT OR IGNORE INTO \"%w\"(\"%w\", batch_id, source_row", batch->table,
           id->name);
    for (size_t i = 0; i < inst->nitems; i++)
        if (i != batch->id_index)
            sb_add(&sql, ", \"%w\"", inst->items[i].name);
    sb_add(&sql, ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        sb_add(&sql, "%s(?, ?, ?", r ? ", " : "");
        for (size_t i = 1; i < inst->nitems; i++)
            sb_add(&sql, ", ?");
        sb_add(&sql, ")");
    }
    if (sql.failed) {
        free(sql.s);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    sipas_status st = prepare(batch->store, sql.s, stmt, err);
    free(sql.s);
    for (size_t r = 0; st == SIPAS_OK && r < rows; r++)
        if (sqlite3_bind_int64(*stmt, (int)(r * (inst->nitems + 2)) + 2, batch->batch_id) != SQLITE_OK)
            st = db_error(batch->store, err, "cannot prepare a statement");
    return st;
}

sipas_status sipas_store_batch_begin(sipas_store *store, const sipas_instrument *inst,
                                     const char *file_name, int64_t content_bytes,
                                     const char *content_sha256, int64_t wave, bool replace,
                                     sipas_store_batch **out, sipas_error *err)
{
    *out = NULL;
    sipas_store_batch *batch = calloc(1, sizeof *batch);
    if (batch == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    batch->store = store;
    batch->inst = inst;
    if ((batch->file_name = strdup(file_name)) == NULL) {
        free(batch);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    sipas_status st = table_name(inst->form_id, batch->table, err);
    if (st != SIPAS_OK) {
        free(batch->file_name);
        free(batch);
        return st;
    }
    /* The foreign key of the responses' batch_id is left unchecked while the batch is written
     * (the pragma has no effect inside a transaction, so it is set before): every row takes
     * the id of the batch row inserted below in the same transaction, so the check cannot fail,
     * and checking it makes SQLite keep a statement journal for each grouped insert (a third
     * more time for a million rows, docs/performance.md). Restored when the batch ends.
     * IMMEDIATE takes the write lock now, so a concurrent import waits here (busy timeout)
     * instead of failing half-way. */
    if ((st = exec_sql(store, "PRAGMA foreign_keys = OFF", "cannot start the import", err)) !=
            SIPAS_OK ||
        (st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start the import", err)) != SIPAS_OK) {
        restore_foreign_keys(store);
        free(batch->file_name);
        free(batch);
        return st;
    }
    if ((st = register_in_transaction(store, inst, &batch->instrument_id, err)) != SIPAS_OK)
        goto fail;

    sqlite3_stmt *stmt = NULL;
    if (content_sha256) {
        sipas_batch_info old = {0};
        if ((st = find_batch_by_hash(store, inst->form_id, content_sha256, 0, &old, err)) != SIPAS_OK)
            goto fail;
        if (old.batch_id != 0 && !replace) {
            st = same_content_conflict(file_name, &old, err);
            sipas_batch_info_clear(&old);
            goto fail;
        }
        if (old.batch_id != 0)
            st = delete_batch_rows(store, inst->form_id, old.batch_id, err);
        sipas_batch_info_clear(&old);
        if (st != SIPAS_OK)
            goto fail;
    }

    if ((st = prepare(store, "INSERT INTO batches(instrument_id, form_id, file_name, content_sha256,"
                      " wave, content_bytes, imported_at)"
                      " VALUES (?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                      &stmt, err)))
        goto fail;
    sqlite3_bind_int64(stmt, 1, batch->instrument_id);
    bind_text(stmt, 2, inst->form_id);
    bind_text(stmt, 3, file_name);
    char pending[48];
    snprintf(pending, sizeof pending, "pending-%p-%lld", (void *)batch, (long long)time(NULL));
    bind_text(stmt, 4, content_sha256 ? content_sha256 : pending); /* set at commit */
    if (wave > 0)
        sqlite3_bind_int64(stmt, 5, wave);
    sqlite3_bind_int64(stmt, 6, content_bytes);
    st = step_done(store, stmt, "cannot record the batch", err);
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK)
        goto fail;
    batch->batch_id = sqlite3_last_insert_rowid(store->db);

    const sipas_item *id = id_item(inst);
    batch->id_index = (size_t)(id - inst->items);
    /* a group as large as SQLite's limit on parameters allows, up to BATCH_GROUP_ROWS */
    int max_params = sqlite3_limit(store->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    size_t columns = inst->nitems + 2;
    batch->group_rows = max_params > 0 && (size_t)max_params / columns >= BATCH_GROUP_ROWS
                      ? BATCH_GROUP_ROWS : 1;
    if ((st = prepare_insert(batch, 1, &batch->insert, err)) != SIPAS_OK ||
        (batch->group_rows > 1 &&
         (st = prepare_insert(batch, batch->group_rows, &batch->insert_group, err)) != SIPAS_OK))
        goto fail;
    char *find = sqlite3_mprintf("SELECT r.batch_id, r.source_row, b.file_name FROM \"%w\" r JOIN"
                                 " batches b USING(batch_id) WHERE r.\"%w\" = ?", batch->table, id->name);
    if (find == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = prepare(store, find, &batch->find_duplicate, err);
    sqlite3_free(find);
    if (st != SIPAS_OK)
        goto fail;
    *out = batch;
    return SIPAS_OK;
fail:
    sipas_store_batch_abort(batch);
    return st;
}

static int bind_value(sqlite3_stmt *stmt, int idx, const sipas_value *v)
{
    switch (v->kind) {
    case SIPAS_VALUE_INT: return sqlite3_bind_int64(stmt, idx, v->i);
    case SIPAS_VALUE_REAL: return sqlite3_bind_double(stmt, idx, v->r);
    /* STATIC: the caller's text stays valid until the statement has been stepped and reset. */
    case SIPAS_VALUE_TEXT: return sqlite3_bind_text(stmt, idx, v->text, (int)v->len, SQLITE_STATIC);
    case SIPAS_VALUE_NULL: break;
    }
    return sqlite3_bind_null(stmt, idx);
}

/* Binds one row at parameter first (its id), first + 2 (source_row) and on; the batch id at
 * first + 1 was bound when the statement was prepared. */
static int bind_row(const sipas_store_batch *batch, sqlite3_stmt *stmt, int first,
                    const sipas_value *values, int64_t source_row)
{
    const sipas_instrument *inst = batch->inst;
    int rc = bind_value(stmt, first, &values[batch->id_index]);
    rc |= sqlite3_bind_int64(stmt, first + 2, source_row);
    int p = first + 3;
    for (size_t i = 0; i < inst->nitems; i++)
        if (i != batch->id_index)
            rc |= bind_value(stmt, p++, &values[i]);
    return rc;
}

/* An import's rows were written by its reading thread, on the other core: their cache lines
 * are asked for one row ahead, while the row before is bound (CPU of a 1M import, 7
 * alternating rounds: 1.89 s -> 1.79 s, docs/performance.md). */
static void prefetch_row(const sipas_value *values, size_t nitems)
{
#if defined(__GNUC__) /* GCC and Clang; elsewhere the hint is only lost */
    const char *bytes = (const char *)values;
    for (size_t at = 0; at < nitems * sizeof *values; at += 64)
        __builtin_prefetch(bytes + at);
#else
    (void)values;
    (void)nitems;
#endif
}

/* Whether the stored row of this id is this row of this batch (not an earlier one). */
static sipas_status is_stored_here(sipas_store_batch *batch, const sipas_value *values,
                                   int64_t source_row, bool *here, sipas_error *err)
{
    sqlite3_stmt *find = batch->find_duplicate;
    int rc = bind_value(find, 1, &values[batch->id_index]);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(find);
    *here = rc == SQLITE_ROW && sqlite3_column_int64(find, 0) == batch->batch_id &&
            sqlite3_column_int64(find, 1) == source_row;
    sqlite3_reset(find);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(batch->store, err, "cannot store a response");
    return SIPAS_OK;
}

sipas_status sipas_store_batch_insert_rows(sipas_store_batch *batch, const sipas_value *values,
                                           size_t n, const int64_t *source_rows, bool *stored,
                                           sipas_error *err)
{
    size_t nitems = batch->inst->nitems;
    for (size_t i = 0; i < n;) {
        size_t k = batch->insert_group && n - i >= batch->group_rows ? batch->group_rows : 1;
        sqlite3_stmt *stmt = k > 1 ? batch->insert_group : batch->insert;
        int rc = SQLITE_OK;
        for (size_t j = 0; j < k; j++) {
            if (i + j + 1 < n)
                prefetch_row(values + (i + j + 1) * nitems, nitems);
            rc |= bind_row(batch, stmt, (int)(j * (nitems + 2)) + 1, values + (i + j) * nitems,
                           source_rows[i + j]);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE)
            return db_error(batch->store, err, "cannot store a response");
        /* INSERT OR IGNORE skips a row whose id is stored (the only constraint that can fail:
         * the other NOT NULL columns are always bound): find which */
        size_t changes = (size_t)sqlite3_changes(batch->store->db);
        batch->rows_stored += (int64_t)changes;
        for (size_t j = i; j < i + k; j++) {
            stored[j] = changes == k;
            sipas_status st = changes == k || k == 1 ? SIPAS_OK
                            : is_stored_here(batch, values + j * nitems, source_rows[j],
                                             &stored[j], err);
            if (st != SIPAS_OK)
                return st;
        }
        i += k;
    }
    return SIPAS_OK;
}

sipas_status sipas_store_batch_duplicate(sipas_store_batch *batch, const sipas_value *values,
                                         sipas_error *err)
{
    const sipas_value *id = &values[batch->id_index];
    sqlite3_stmt *find = batch->find_duplicate;
    sipas_status st = SIPAS_ERR_VALIDATION;
    if (bind_value(find, 1, id) == SQLITE_OK && sqlite3_step(find) == SQLITE_ROW) {
        int64_t other = sqlite3_column_int64(find, 0), row = sqlite3_column_int64(find, 1);
        if (other == batch->batch_id)
            sipas_error_set(err, st, "respondent id '%.*s' is already at row %lld of this file",
                            (int)id->len, id->text, (long long)row);
        else
            sipas_error_set(err, st, "respondent id '%.*s' is already stored from batch %lld "
                            "('%s' row %lld)", (int)id->len, id->text, (long long)other,
                            (const char *)sqlite3_column_text(find, 2), (long long)row);
    } else {
        sipas_error_set(err, st, "respondent id '%.*s' is already stored", (int)id->len, id->text);
    }
    sqlite3_reset(find);
    return st;
}

sipas_status sipas_store_batch_insert(sipas_store_batch *batch, const sipas_value *values,
                                      int64_t source_row, sipas_error *err)
{
    bool stored = false;
    sipas_status st = sipas_store_batch_insert_rows(batch, values, 1, &source_row, &stored, err);
    if (st == SIPAS_OK && !stored)
        st = sipas_store_batch_duplicate(batch, values, err);
    return st;
}

static void batch_free(sipas_store_batch *batch)
{
    sqlite3_finalize(batch->insert);
    sqlite3_finalize(batch->insert_group);
    sqlite3_finalize(batch->find_duplicate);
    free(batch->file_name);
    free(batch);
}

sipas_status sipas_store_batch_commit(sipas_store_batch *batch, const char *content_sha256,
                                      int64_t rows_read, int64_t rows_rejected, int64_t *batch_id,
                                      sipas_error *err)
{
    sipas_store *store = batch->store;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = content_sha256 ? sipas_store_batch_check_hash(batch, content_sha256, err) : SIPAS_OK;
    if (st == SIPAS_OK)
        st = prepare(store, "UPDATE batches SET rows_read = ?, rows_stored = ?, rows_rejected = ?,"
                     " content_sha256 = coalesce(?, content_sha256) WHERE batch_id = ?", &stmt, err);
    if (st == SIPAS_OK) {
        sqlite3_bind_int64(stmt, 1, rows_read);
        sqlite3_bind_int64(stmt, 2, batch->rows_stored);
        sqlite3_bind_int64(stmt, 3, rows_rejected);
        bind_text(stmt, 4, content_sha256);
        sqlite3_bind_int64(stmt, 5, batch->batch_id);
        st = step_done(store, stmt, "cannot record the batch", err);
        sqlite3_finalize(stmt);
    }
    if (st == SIPAS_OK)
        st = exec_sql(store, "COMMIT", "cannot commit the batch", err);
    if (st != SIPAS_OK) {
        sipas_store_batch_abort(batch);
        return st;
    }
    restore_foreign_keys(store);
    if (batch_id)
        *batch_id = batch->batch_id;
    batch_free(batch);
    return SIPAS_OK;
}

void sipas_store_batch_abort(sipas_store_batch *batch)
{
    if (batch == NULL)
        return;
    if (!sqlite3_get_autocommit(batch->store->db))
        sqlite3_exec(batch->store->db, "ROLLBACK", NULL, NULL, NULL);
    restore_foreign_keys(batch->store);
    batch_free(batch);
}

sipas_status sipas_store_list_batches(sipas_store *store, const char *form_id,
                                      sipas_batch_info **out, size_t *count, sipas_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT " BATCH_COLUMNS " WHERE ?1 IS NULL OR b.form_id = ?1"
                              " ORDER BY b.batch_id", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            sipas_batch_info *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        memset(&(*out)[*count], 0, sizeof **out);
        read_batch_row(stmt, &(*out)[(*count)++]);
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot list batches");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        sipas_batch_list_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}

sipas_status sipas_store_get_batch(sipas_store *store, int64_t batch_id, sipas_batch_info *out,
                                   sipas_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT " BATCH_COLUMNS " WHERE b.batch_id = ?", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, batch_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        read_batch_row(stmt, out);
    else if (rc == SQLITE_DONE)
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no batch %lld in '%s'",
                             (long long)batch_id, store->path);
    else
        st = db_error(store, err, "cannot read the batch");
    sqlite3_finalize(stmt);
    return st;
}

sipas_status sipas_store_remove_batch(sipas_store *store, int64_t batch_id, sipas_error *err)
{
    sipas_batch_info info;
    sipas_status st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start a transaction", err);
    if (st != SIPAS_OK)
        return st;
    if ((st = sipas_store_get_batch(store, batch_id, &info, err)) == SIPAS_OK) {
        st = delete_batch_rows(store, info.form_id, batch_id, err);
        sipas_batch_info_clear(&info);
    }
    if (st == SIPAS_OK)
        st = exec_sql(store, "COMMIT", "cannot remove the batch", err);
    if (st != SIPAS_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* ---- reading responses ---------------------------------------------------------------------- */

static const char *op_sql(sipas_filter_op op)
{
    switch (op) {
    case SIPAS_OP_EQ: return "=";
    case SIPAS_OP_NE: return "<>";
    case SIPAS_OP_LT: return "<";
    case SIPAS_OP_LE: return "<=";
    case SIPAS_OP_GT: return ">";
    case SIPAS_OP_GE: return ">=";
    case SIPAS_OP_IN: return "IN";
    }
    return "=";
}

sipas_status sipas_store_count_responses(sipas_store *store, const char *form_id,
                                         int64_t *count, sipas_error *err)
{
    *count = 0;
    char table[80], **names = NULL, **types = NULL;
    size_t ncols = 0;
    sipas_status st = response_table_columns(store, form_id, table, &names, &types, &ncols, err);
    if (st != SIPAS_OK)
        return st;
    free_columns(names, types, ncols);
    if (ncols == 0)
        return SIPAS_OK;
    char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
    sqlite3_stmt *stmt = NULL;
    st = sql ? prepare(store, sql, &stmt, err) : sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    sqlite3_free(sql);
    if (st != SIPAS_OK)
        return st;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *count = sqlite3_column_int64(stmt, 0);
    else
        st = db_error(store, err, "cannot count responses");
    sqlite3_finalize(stmt);
    return st;
}

sipas_status sipas_store_response_columns_present(sipas_store *store, const char *form_id,
                                                 const char *const *columns, size_t ncolumns,
                                                 bool *present, sipas_error *err)
{
    char table[80], **names = NULL, **types = NULL;
    size_t ncols = 0;
    sipas_status st = response_table_columns(store, form_id, table, &names, &types, &ncols, err);
    if (st != SIPAS_OK)
        return st;
    for (size_t i = 0; i < ncolumns; i++) {
        present[i] = false;
        for (size_t c = 0; c < ncols && !present[i]; c++)
            present[i] = strcmp(names[c], columns[i]) == 0;
    }
    free_columns(names, types, ncols);
    return SIPAS_OK;
}

sipas_status sipas_store_query_responses(sipas_store *store, const char *form_id,
                                         const char *const *columns, size_t ncolumns,
                                         const sipas_filter *filters, size_t nfilters,
                                         int64_t batch_id, sipas_store_row_fn row_fn, void *ctx,
                                         sipas_error *err)
{
    char table[80], **names = NULL, **types = NULL;
    size_t ncols = 0;
    sipas_status st = response_table_columns(store, form_id, table, &names, &types, &ncols, err);
    if (st != SIPAS_OK)
        return st;
    sqlbuf sql = {0};
    sqlite3_stmt *stmt = NULL;
    sipas_value *values = NULL;
    if (ncols == 0) {
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no responses of form '%s' in '%s'",
                             form_id, store->path);
        goto done;
    }
    /* Every column name must be one of the table's: names never reach SQL unchecked. */
    for (size_t pass = 0; pass < ncolumns + nfilters; pass++) {
        const char *name = pass < ncolumns ? columns[pass] : filters[pass - ncolumns].column;
        size_t c = 0;
        while (c < ncols && strcmp(names[c], name) != 0)
            c++;
        if (c == ncols) {
            st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no column '%s'",
                                 form_id, name);
            goto done;
        }
    }
    sb_add(&sql, "SELECT ");
    for (size_t i = 0; i < ncolumns; i++)
        sb_add(&sql, "%s\"%w\"", i ? ", " : "", columns[i]);
    sb_add(&sql, " FROM \"%w\" WHERE (?1 <= 0 OR batch_id = ?1)", table);
    int param = 2;
    for (size_t f = 0; f < nfilters; f++) {
        const sipas_filter *flt = &filters[f];
        if (flt->nvalues == 0 || (flt->op != SIPAS_OP_IN && flt->nvalues != 1)) {
            st = sipas_error_set(err, SIPAS_ERR_USAGE, "filter on '%s' needs %s", flt->column,
                                 flt->op == SIPAS_OP_IN ? "at least one value" : "one value");
            goto done;
        }
        if (flt->op == SIPAS_OP_IN) {
            sb_add(&sql, " AND \"%w\" IN (", flt->column);
            for (size_t v = 0; v < flt->nvalues; v++)
                sb_add(&sql, "%s?%d", v ? ", " : "", param++);
            sb_add(&sql, ")");
        } else {
            sb_add(&sql, " AND \"%w\" %s ?%d", flt->column, op_sql(flt->op), param++);
        }
    }
    if (sql.failed) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = prepare(store, sql.s, &stmt, err)) != SIPAS_OK)
        goto done;
    sqlite3_bind_int64(stmt, 1, batch_id);
    param = 2;
    for (size_t f = 0; f < nfilters; f++)
        for (size_t v = 0; v < filters[f].nvalues; v++)
            sqlite3_bind_text(stmt, param++, filters[f].values[v], -1, SQLITE_STATIC);
    values = calloc(ncolumns ? ncolumns : 1, sizeof *values);
    if (values == NULL) {
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
        goto done;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (size_t i = 0; i < ncolumns; i++) {
            sipas_value *v = &values[i];
            memset(v, 0, sizeof *v);
            /* one sqlite3_column_* call per value: each costs an API exit check (a tenth of
             * loading a million rows), the sqlite3_value_* calls do not */
            sqlite3_value *cell = sqlite3_column_value(stmt, (int)i);
            switch (sqlite3_value_type(cell)) {
            case SQLITE_INTEGER:
                v->kind = SIPAS_VALUE_INT;
                v->i = sqlite3_value_int64(cell);
                break;
            case SQLITE_FLOAT:
                v->kind = SIPAS_VALUE_REAL;
                v->r = sqlite3_value_double(cell);
                break;
            case SQLITE_NULL:
                break;
            default:
                v->kind = SIPAS_VALUE_TEXT;
                v->text = (const char *)sqlite3_value_text(cell);
                v->len = (size_t)sqlite3_value_bytes(cell);
                break;
            }
        }
        if ((st = row_fn(ctx, values, err)) != SIPAS_OK)
            goto done;
    }
    if (rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read responses");
done:
    free(values);
    sqlite3_finalize(stmt);
    free(sql.s);
    free_columns(names, types, ncols);
    return st;
}

/* ---- population margins ---------------------------------------------------------------------- */

void sipas_margin_cells_free(sipas_margin_cell *cells, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(cells[i].cell);
    free(cells);
}

sipas_status sipas_store_replace_margin(sipas_store *store, const char *form_id, const char *margin,
                                        const sipas_margin_cell *cells, size_t count,
                                        const char *source_file, sipas_error *err)
{
    sipas_status st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start a transaction", err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_stmt *del = NULL, *ins = NULL;
    if ((st = prepare(store, "DELETE FROM population_margins WHERE form_id = ? AND margin = ?"
                      " AND wave = ?", &del, err)) != SIPAS_OK ||
        (st = prepare(store, "INSERT INTO population_margins VALUES (?,?,?,?,?,?,"
                      "strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &ins, err)) != SIPAS_OK)
        goto done;
    /* the waves the file gives replace what was stored for them; other waves stay */
    for (size_t i = 0; i < count && st == SIPAS_OK; i++) {
        bool first_of_wave = true;
        for (size_t j = 0; j < i; j++)
            first_of_wave &= cells[j].wave != cells[i].wave;
        if (!first_of_wave)
            continue;
        bind_text(del, 1, form_id);
        bind_text(del, 2, margin);
        sqlite3_bind_int64(del, 3, cells[i].wave);
        st = step_done(store, del, "cannot replace the margin", err);
    }
    for (size_t i = 0; i < count && st == SIPAS_OK; i++) {
        bind_text(ins, 1, form_id);
        bind_text(ins, 2, margin);
        sqlite3_bind_int64(ins, 3, cells[i].wave);
        bind_text(ins, 4, cells[i].cell);
        sqlite3_bind_double(ins, 5, cells[i].population);
        bind_text(ins, 6, source_file);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            int ext = sqlite3_extended_errcode(store->db);
            sqlite3_reset(ins);
            st = ext == SQLITE_CONSTRAINT_PRIMARYKEY
               ? sipas_error_set(err, SIPAS_ERR_VALIDATION, "margin '%s': cell '%s' of wave %lld is "
                                 "given twice", margin, cells[i].cell, (long long)cells[i].wave)
               : db_error(store, err, "cannot store the margin");
        } else {
            sqlite3_reset(ins);
        }
    }
    if (st == SIPAS_OK)
        st = exec_sql(store, "COMMIT", "cannot store the margin", err);
done:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    if (st != SIPAS_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

sipas_status sipas_store_load_margin(sipas_store *store, const char *form_id, const char *margin,
                                     sipas_margin_cell **cells, size_t *count, sipas_error *err)
{
    *cells = NULL;
    *count = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT wave, cell, population FROM population_margins"
                              " WHERE form_id = ? AND margin = ? ORDER BY wave, cell", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    bind_text(stmt, 2, margin);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 32;
            sipas_margin_cell *grown = realloc(*cells, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            *cells = grown;
        }
        sipas_margin_cell *c = &(*cells)[(*count)++];
        c->wave = sqlite3_column_int64(stmt, 0);
        c->cell = dup_column_text(stmt, 1);
        c->population = sqlite3_column_double(stmt, 2);
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the margin");
    sqlite3_finalize(stmt);
    if (st == SIPAS_OK && *count == 0)
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no population margin '%s' for form '%s' in "
                             "'%s' (import one with sipas-collect frame)", margin, form_id, store->path);
    if (st != SIPAS_OK) {
        sipas_margin_cells_free(*cells, *count);
        *cells = NULL;
        *count = 0;
    }
    return st;
}

/* ---- the instrument versions of the stored batches, for scoring ---------------------------- */

sipas_status sipas_store_batch_versions(sipas_store *store, const char *form_id,
                                        sipas_batch_version **out, size_t *count,
                                        sipas_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT batch_id, instrument_id FROM batches WHERE form_id = ?1"
                              " ORDER BY batch_id", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            sipas_batch_version *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        (*out)[(*count)++] = (sipas_batch_version){sqlite3_column_int64(stmt, 0),
                                                   sqlite3_column_int64(stmt, 1)};
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the batches");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        free(*out);
        *out = NULL;
        *count = 0;
    }
    return st;
}

sipas_status sipas_store_instrument_id(sipas_store *store, const char *form_id,
                                       const char *version, int64_t *instrument_id,
                                       sipas_error *err)
{
    *instrument_id = 0;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT instrument_id FROM instruments WHERE form_id = ?1 "
                              "AND version = ?2", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    bind_text(stmt, 2, version);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *instrument_id = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the instruments");
    sqlite3_finalize(stmt);
    return st;
}

void sipas_store_version_list_release(sipas_choice_list *list)
{
    for (size_t c = 0; c < list->nchoices; c++) {
        free(list->choices[c].name);
        free(list->choices[c].label_vi);
        free(list->choices[c].label_en);
    }
    free(list->choices);
    free(list->name);
    memset(list, 0, sizeof *list);
}

sipas_status sipas_store_version_list(sipas_store *store, int64_t instrument_id,
                                      const char *list_name, sipas_choice_list *list,
                                      bool *found, sipas_error *err)
{
    memset(list, 0, sizeof *list);
    *found = false;
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT code, label_vi, label_en, satisfied, missing FROM "
                              "choices WHERE instrument_id = ?1 AND list_name = ?2 "
                              "ORDER BY position", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, instrument_id);
    bind_text(stmt, 2, list_name);
    size_t cap = 0;
    bool any_value = false;
    int rc;
    if ((list->name = strdup(list_name)) == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    while (st == SIPAS_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (list->nchoices == cap) {
            cap = cap ? 2 * cap : 8;
            sipas_choice *grown = realloc(list->choices, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            list->choices = grown;
        }
        sipas_choice *ch = &list->choices[list->nchoices++];
        memset(ch, 0, sizeof *ch);
        ch->name = dup_column_text(stmt, 0);
        ch->label_vi = dup_column_text(stmt, 1);
        ch->label_en = dup_column_text(stmt, 2);
        ch->satisfied = sqlite3_column_int(stmt, 3) != 0;
        const unsigned char *missing = sqlite3_column_text(stmt, 4);
        for (int k = 1; missing && k <= SIPAS_MISSING_REFUSED; k++)
            if (strcmp((const char *)missing, sipas_missing_name((sipas_missing_kind)k)) == 0)
                ch->missing = (sipas_missing_kind)k;
        if (ch->name == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        /* the value and scale as sipas_instrument_load derives them from the code */
        char *end = NULL;
        errno = 0;
        long value = ch->name[0] ? strtol(ch->name, &end, 10) : 0;
        ch->has_value = ch->name[0] && errno == 0 && *end == '\0';
        ch->value = ch->has_value ? value : 0;
        if (ch->has_value && ch->missing == SIPAS_MISSING_NONE) {
            if (!any_value || value < list->scale_min)
                list->scale_min = value;
            if (!any_value || value > list->scale_max)
                list->scale_max = value;
            any_value = true;
        }
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the choices");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        sipas_store_version_list_release(list);
        return st;
    }
    *found = list->nchoices > 0;
    return SIPAS_OK;
}

/* ---- administrative indicator values -------------------------------------------------------- */


/* Created by the first import rather than by a migration: stores that never hold an
 * administrative figure stay as they were, and a read-only reader treats a missing table as
 * "no values". */
static const char admin_schema[] =
    "CREATE TABLE IF NOT EXISTS indicator_batches ("
    " batch_id INTEGER PRIMARY KEY AUTOINCREMENT, file_name TEXT NOT NULL,"
    " content_sha256 TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL, imported_at TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS indicator_values ("
    " indicator TEXT NOT NULL, year INTEGER NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,"
    " numerator REAL, denominator REAL, source TEXT NOT NULL, note TEXT NOT NULL,"
    " synthetic INTEGER NOT NULL,"
    " batch_id INTEGER NOT NULL REFERENCES indicator_batches(batch_id) ON DELETE CASCADE,"
    " source_row INTEGER NOT NULL, PRIMARY KEY (indicator, unit, year));";

void sipas_admin_values_free(sipas_admin_value *values, size_t n)
{
    for (size_t i = 0; values && i < n; i++) {
        free(values[i].indicator);
        free(values[i].unit);
        free(values[i].source);
        free(values[i].note);
    }
    free(values);
}

void sipas_admin_batch_list_free(sipas_admin_batch_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].file_name);
        free(list[i].content_sha256);
        free(list[i].imported_at);
    }
    free(list);
}

/* Whether the store has table `name`: the tables made on first use (indicator values, stored
 * draws) are absent from stores that never needed them. */
static sipas_status table_exists(sipas_store *store, const char *name, bool *exist,
                                 sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                              " AND name = ?1", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, name);
    if (sqlite3_step(stmt) != SQLITE_ROW)
        st = db_error(store, err, "cannot read the schema");
    else
        *exist = sqlite3_column_int(stmt, 0) > 0;
    sqlite3_finalize(stmt);
    return st;
}

static void bind_optional(sqlite3_stmt *stmt, int idx, double v)
{
    if (isnan(v))
        sqlite3_bind_null(stmt, idx);
    else
        sqlite3_bind_double(stmt, idx, v);
}

static double column_optional(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, col);
}

/* Inside the import's transaction: the earlier batch with this content is a conflict, or is
 * removed when replace. */
static sipas_status admin_same_content(sipas_store *store, const char *file_name,
                                       const char *sha, bool replace, sipas_error *err)
{
    sqlite3_stmt *stmt = NULL;
    sipas_status st = prepare(store, "SELECT batch_id, file_name, imported_at FROM "
                              "indicator_batches WHERE content_sha256 = ?", &stmt, err);
    if (st != SIPAS_OK)
        return st;
    bind_text(stmt, 1, sha);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        int64_t old = sqlite3_column_int64(stmt, 0);
        if (!replace) {
            st = sipas_error_set(err, SIPAS_ERR_CONFLICT, "%s: the same content as indicator batch "
                                 "%lld '%s' imported %s; nothing stored (--replace replaces it)",
                                 file_name, (long long)old, (const char *)sqlite3_column_text(stmt, 1),
                                 (const char *)sqlite3_column_text(stmt, 2));
        } else {
            sqlite3_stmt *del = NULL;
            if ((st = prepare(store, "DELETE FROM indicator_batches WHERE batch_id = ?", &del,
                              err)) == SIPAS_OK) {
                sqlite3_bind_int64(del, 1, old);
                st = step_done(store, del, "cannot replace the indicator batch", err);
            }
            sqlite3_finalize(del);
        }
    } else if (rc != SQLITE_DONE) {
        st = db_error(store, err, "cannot read the indicator batches");
    }
    sqlite3_finalize(stmt);
    return st;
}

/* SIPAS_ERR_CONFLICT when another batch already holds v's (indicator, unit, year). */
static sipas_status admin_value_free_slot(sipas_store *store, sqlite3_stmt *find,
                                          const char *file_name, const sipas_admin_value *v,
                                          sipas_error *err)
{
    bind_text(find, 1, v->indicator);
    bind_text(find, 2, v->unit);
    sqlite3_bind_int64(find, 3, (int64_t)v->year);
    int rc = sqlite3_step(find);
    sipas_status st = SIPAS_OK;
    if (rc == SQLITE_ROW)
        st = sipas_error_set(err, SIPAS_ERR_CONFLICT, "%s:%lld: indicator '%s' for %s in %.0f is "
                             "already stored from indicator batch %lld '%s' row %lld; nothing "
                             "stored (remove that batch first)", file_name,
                             (long long)v->source_row, v->indicator, v->unit, v->year,
                             (long long)sqlite3_column_int64(find, 0),
                             (const char *)sqlite3_column_text(find, 1),
                             (long long)sqlite3_column_int64(find, 2));
    else if (rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the indicator values");
    sqlite3_reset(find);
    return st;
}

sipas_status sipas_store_import_admin_batch(sipas_store *store, const char *file_name,
                                            const char *content_sha256,
                                            const sipas_admin_value *values, size_t n,
                                            bool replace, int64_t *batch_id, sipas_error *err)
{
    sipas_status st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start a transaction", err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_stmt *batch = NULL, *find = NULL, *ins = NULL;
    if ((st = exec_sql(store, admin_schema, "cannot create the indicator tables", err)) ||
        (st = admin_same_content(store, file_name, content_sha256, replace, err)) ||
        (st = prepare(store, "INSERT INTO indicator_batches (file_name, content_sha256, rows,"
                      " imported_at) VALUES (?,?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                      &batch, err)) ||
        (st = prepare(store, "SELECT v.batch_id, b.file_name, v.source_row FROM indicator_values v"
                      " JOIN indicator_batches b USING (batch_id)"
                      " WHERE v.indicator = ? AND v.unit = ? AND v.year = ?", &find, err)) ||
        (st = prepare(store, "INSERT INTO indicator_values VALUES (?,?,?,?,?,?,?,?,?,?,?)", &ins,
                      err)))
        goto done;
    bind_text(batch, 1, file_name);
    bind_text(batch, 2, content_sha256);
    sqlite3_bind_int64(batch, 3, (int64_t)n);
    if ((st = step_done(store, batch, "cannot store the indicator batch", err)) != SIPAS_OK)
        goto done;
    int64_t id = sqlite3_last_insert_rowid(store->db);
    for (size_t i = 0; i < n && st == SIPAS_OK; i++) {
        const sipas_admin_value *v = &values[i];
        if ((st = admin_value_free_slot(store, find, file_name, v, err)) != SIPAS_OK)
            break;
        bind_text(ins, 1, v->indicator);
        sqlite3_bind_int64(ins, 2, (int64_t)v->year);
        bind_text(ins, 3, v->unit);
        sqlite3_bind_double(ins, 4, v->value);
        bind_optional(ins, 5, v->numerator);
        bind_optional(ins, 6, v->denominator);
        bind_text(ins, 7, v->source);
        bind_text(ins, 8, v->note ? v->note : "");
        sqlite3_bind_int(ins, 9, v->synthetic);
        sqlite3_bind_int64(ins, 10, id);
        sqlite3_bind_int64(ins, 11, v->source_row);
        st = step_done(store, ins, "cannot store the indicator values", err);
    }
    if (st == SIPAS_OK && (st = exec_sql(store, "COMMIT", "cannot store the indicator batch",
                                         err)) == SIPAS_OK && batch_id)
        *batch_id = id;
done:
    sqlite3_finalize(batch);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    if (st != SIPAS_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

sipas_status sipas_store_list_admin_batches(sipas_store *store, sipas_admin_batch_info **out,
                                            size_t *n, sipas_error *err)
{
    *out = NULL;
    *n = 0;
    bool exist = false;
    sipas_status st = table_exists(store, "indicator_values", &exist, err);
    if (st != SIPAS_OK || !exist)
        return st;
    sqlite3_stmt *stmt = NULL;
    if ((st = prepare(store, "SELECT batch_id, file_name, content_sha256, rows, imported_at"
                      " FROM indicator_batches ORDER BY batch_id", &stmt, err)) != SIPAS_OK)
        return st;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            sipas_admin_batch_info *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        sipas_admin_batch_info *b = &(*out)[(*n)++];
        b->batch_id = sqlite3_column_int64(stmt, 0);
        b->file_name = dup_column_text(stmt, 1);
        b->content_sha256 = dup_column_text(stmt, 2);
        b->rows = sqlite3_column_int64(stmt, 3);
        b->imported_at = dup_column_text(stmt, 4);
        if (!b->file_name || !b->content_sha256 || !b->imported_at) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the indicator batches");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        sipas_admin_batch_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return st;
}

sipas_status sipas_store_remove_admin_batch(sipas_store *store, int64_t batch_id,
                                            sipas_error *err)
{
    bool exist = false;
    sipas_status st = table_exists(store, "indicator_values", &exist, err);
    if (st != SIPAS_OK)
        return st;
    if (!exist)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no indicator batch %lld in '%s'",
                               (long long)batch_id, store->path);
    sqlite3_stmt *del = NULL;
    if ((st = prepare(store, "DELETE FROM indicator_batches WHERE batch_id = ?", &del, err)))
        return st;
    sqlite3_bind_int64(del, 1, batch_id);
    st = step_done(store, del, "cannot remove the indicator batch", err);
    sqlite3_finalize(del);
    if (st == SIPAS_OK && sqlite3_changes(store->db) == 0)
        st = sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no indicator batch %lld in '%s'",
                             (long long)batch_id, store->path);
    return st;
}

sipas_status sipas_store_load_admin_values(sipas_store *store, const char *indicator,
                                           int64_t batch_id, sipas_admin_value **out, size_t *n,
                                           sipas_error *err)
{
    *out = NULL;
    *n = 0;
    bool exist = false;
    sipas_status st = table_exists(store, "indicator_values", &exist, err);
    if (st != SIPAS_OK || !exist)
        return st;
    sqlite3_stmt *stmt = NULL;
    if ((st = prepare(store, "SELECT indicator, year, unit, value, numerator, denominator, source,"
                      " note, synthetic, batch_id, source_row FROM indicator_values"
                      " WHERE (?1 IS NULL OR indicator = ?1) AND (?2 = 0 OR batch_id = ?2)"
                      " ORDER BY indicator, unit, year", &stmt, err)) != SIPAS_OK)
        return st;
    if (indicator)
        bind_text(stmt, 1, indicator);
    sqlite3_bind_int64(stmt, 2, batch_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            sipas_admin_value *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        sipas_admin_value *v = &(*out)[(*n)++];
        *v = (sipas_admin_value){
            .indicator = dup_column_text(stmt, 0), .year = sqlite3_column_double(stmt, 1),
            .unit = dup_column_text(stmt, 2), .value = sqlite3_column_double(stmt, 3),
            .numerator = column_optional(stmt, 4), .denominator = column_optional(stmt, 5),
            .source = dup_column_text(stmt, 6), .note = dup_column_text(stmt, 7),
            .synthetic = sqlite3_column_int(stmt, 8) != 0,
            .batch_id = sqlite3_column_int64(stmt, 9), .source_row = sqlite3_column_int64(stmt, 10)};
        if (!v->indicator || !v->unit || !v->source || !v->note) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the indicator values");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        sipas_admin_values_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* ---- the selection of a draw ------------------------------------------------------------------ */


/* Created by the first draw stored rather than by a migration, as the indicator tables are:
 * stores that never held a draw stay as they were, and a reader treats a missing table as "no
 * draw". The weight is NULL when the draw had no interviews per cluster. */
static const char selection_schema[] =
    "CREATE TABLE IF NOT EXISTS sample_selections ("
    " form_id TEXT NOT NULL, wave INTEGER NOT NULL, stratum TEXT NOT NULL, cluster TEXT NOT NULL,"
    " inclusion_probability REAL NOT NULL, fpc REAL NOT NULL, weight REAL,"
    " frame_file TEXT NOT NULL, seed INTEGER NOT NULL, drawn_at TEXT NOT NULL,"
    " PRIMARY KEY (form_id, wave, stratum, cluster));";

void sipas_selected_clusters_free(sipas_selected_cluster *clusters, size_t count)
{
    for (size_t i = 0; clusters && i < count; i++) {
        free(clusters[i].stratum);
        free(clusters[i].cluster);
        free(clusters[i].frame_file);
        free(clusters[i].drawn_at);
    }
    free(clusters);
}

sipas_status sipas_store_replace_selection(sipas_store *store, const char *form_id, int64_t wave,
                                           const sipas_selected_cluster *clusters, size_t count,
                                           const char *frame_file, int64_t seed,
                                           sipas_error *err)
{
    sipas_status st = exec_sql(store, "BEGIN IMMEDIATE", "cannot start a transaction", err);
    if (st != SIPAS_OK)
        return st;
    sqlite3_stmt *del = NULL, *ins = NULL;
    if ((st = exec_sql(store, selection_schema, "cannot create the selection table", err)) != SIPAS_OK ||
        (st = prepare(store, "DELETE FROM sample_selections WHERE form_id = ? AND wave = ?", &del,
                      err)) != SIPAS_OK ||
        (st = prepare(store, "INSERT INTO sample_selections VALUES (?,?,?,?,?,?,?,?,?,"
                      "strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &ins, err)) != SIPAS_OK)
        goto done;
    bind_text(del, 1, form_id);
    sqlite3_bind_int64(del, 2, wave);
    st = step_done(store, del, "cannot replace the stored draw", err);
    for (size_t i = 0; i < count && st == SIPAS_OK; i++) {
        const sipas_selected_cluster *c = &clusters[i];
        bind_text(ins, 1, form_id);
        sqlite3_bind_int64(ins, 2, wave);
        bind_text(ins, 3, c->stratum);
        bind_text(ins, 4, c->cluster);
        sqlite3_bind_double(ins, 5, c->probability);
        sqlite3_bind_double(ins, 6, c->fpc);
        bind_optional(ins, 7, c->weight);
        bind_text(ins, 8, frame_file);
        sqlite3_bind_int64(ins, 9, seed);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            int ext = sqlite3_extended_errcode(store->db);
            sqlite3_reset(ins);
            st = ext == SQLITE_CONSTRAINT_PRIMARYKEY
               ? sipas_error_set(err, SIPAS_ERR_VALIDATION, "cluster '%s' of stratum '%s' is "
                                 "selected twice for wave %lld", c->cluster, c->stratum,
                                 (long long)wave)
               : db_error(store, err, "cannot store the draw");
        } else {
            sqlite3_reset(ins);
        }
    }
    if (st == SIPAS_OK)
        st = exec_sql(store, "COMMIT", "cannot store the draw", err);
done:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    if (st != SIPAS_OK)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

sipas_status sipas_store_load_selection(sipas_store *store, const char *form_id,
                                        sipas_selected_cluster **out, size_t *count,
                                        sipas_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt = NULL;
    bool exist = false;
    sipas_status st = table_exists(store, "sample_selections", &exist, err);
    if (st != SIPAS_OK || !exist)
        return st;
    /* count(*) OVER () gives the rows on the first one: one array, one consistent reading */
    if ((st = prepare(store, "SELECT count(*) OVER (), wave, stratum, cluster,"
                      " inclusion_probability, fpc, weight, frame_file, seed, drawn_at"
                      " FROM sample_selections WHERE form_id = ? ORDER BY wave, stratum, cluster",
                      &stmt, err)) != SIPAS_OK)
        return st;
    bind_text(stmt, 1, form_id);
    int rc = SQLITE_DONE;
    while (st == SIPAS_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*out == NULL &&
            (*out = alloc_array((size_t)sqlite3_column_int64(stmt, 0), sizeof **out)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        sipas_selected_cluster *c = &(*out)[(*count)++];
        *c = (sipas_selected_cluster){
            .wave = sqlite3_column_int64(stmt, 1), .stratum = dup_column_text(stmt, 2),
            .cluster = dup_column_text(stmt, 3), .probability = sqlite3_column_double(stmt, 4),
            .fpc = sqlite3_column_double(stmt, 5), .weight = column_optional(stmt, 6),
            .frame_file = dup_column_text(stmt, 7), .seed = sqlite3_column_int64(stmt, 8),
            .drawn_at = dup_column_text(stmt, 9)};
        if (!c->stratum || !c->cluster || !c->frame_file || !c->drawn_at)
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    if (st == SIPAS_OK && rc != SQLITE_DONE)
        st = db_error(store, err, "cannot read the stored draw");
    sqlite3_finalize(stmt);
    if (st != SIPAS_OK) {
        sipas_selected_clusters_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return st;
}
