/* sipas/hash.h - SHA-256 and HMAC-SHA-256 (nettle), for batch content hashes, instrument hashes
 * and keyed hashes of personal columns. */
#ifndef SIPAS_HASH_H
#define SIPAS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPAS_SHA256_HEX_LEN 64

typedef struct sipas_sha256 {
    uint64_t state[16]; /* opaque storage for nettle's sha256_ctx (checked at compile time) */
} sipas_sha256;

void sipas_sha256_init(sipas_sha256 *ctx);
void sipas_sha256_update(sipas_sha256 *ctx, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL to hex (65 bytes). */
void sipas_sha256_hex(sipas_sha256 *ctx, char hex[SIPAS_SHA256_HEX_LEN + 1]);

/* HMAC-SHA-256 of data under key, as 64 hex digits and a NUL. */
void sipas_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                           char hex[SIPAS_SHA256_HEX_LEN + 1]);

#endif
