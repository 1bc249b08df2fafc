/* sipas/keyfile.h - the key file that holds the HMAC key of personal columns, outside the store.
 *
 * Personal columns (names, phone numbers) are stored as HMAC-SHA-256(key, value): the same
 * person gets the same hash in every batch, and without the key nobody can test a guess (a
 * Vietnamese mobile number is one of ~10^8, so an unkeyed or key-beside-the-data hash is
 * reversed in minutes). The key therefore never lives in the store: it lives in a key file,
 * one line of 64 hex digits, mode 0600, by default $XDG_CONFIG_HOME/sipas/personal.key (else
 * ~/.config/sipas/personal.key), and the store keeps only the key's fingerprint so that a wrong
 * key file is detected. docs/security.md gives the threat model.
 *
 * The fingerprint is SHA-256("sipas personal key fingerprint v1\n" || key): a one-way function
 * of a 256-bit random key, useless as a key itself.
 */
#ifndef SIPAS_KEYFILE_H
#define SIPAS_KEYFILE_H

#include "sipas/error.h"
#include "sipas/hash.h"

#define SIPAS_KEY_BYTES 32

/* The key file to use when none is named: $SIPAS_KEY_FILE, else $XDG_CONFIG_HOME/sipas/
 * personal.key, else $HOME/.config/sipas/personal.key. *path is malloc'd. */
sipas_status sipas_key_file_default_path(char **path, sipas_error *err);

/* Reads the key. SIPAS_ERR_NOT_FOUND when the file does not exist; SIPAS_ERR_IO when other
 * users may read it (group or other permission bits set) or it cannot be read;
 * SIPAS_ERR_FORMAT when it is not 64 hex digits. */
sipas_status sipas_key_file_read(const char *path, unsigned char key[SIPAS_KEY_BYTES],
                                 sipas_error *err);

/* Creates the file with key, mode 0600, never replacing one: when the file appears meanwhile
 * (another process), its key is read into key instead. A missing folder (and its parent, for
 * ~/.config/sipas) is created with mode 0700. */
sipas_status sipas_key_file_create(const char *path, unsigned char key[SIPAS_KEY_BYTES],
                                   sipas_error *err);

/* 32 bytes from the kernel's random source. */
sipas_status sipas_key_random(unsigned char key[SIPAS_KEY_BYTES], sipas_error *err);

/* The fingerprint recorded in the store, 64 hex digits and a NUL. */
void sipas_key_fingerprint(const unsigned char key[SIPAS_KEY_BYTES],
                           char hex[SIPAS_SHA256_HEX_LEN + 1]);

#endif
