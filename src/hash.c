/* src/hash.c - SHA-256 and HMAC-SHA-256 (sipas/hash.h) over nettle, whose headers stay in this
 * file. */
#include "sipas/hash.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(sipas_sha256),
               "sipas_sha256 is too small for nettle's sha256_ctx");
_Static_assert(_Alignof(struct sha256_ctx) <= _Alignof(sipas_sha256),
               "sipas_sha256 is not aligned for nettle's sha256_ctx");

static void to_hex(const uint8_t *digest, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

void sipas_sha256_init(sipas_sha256 *ctx)
{
    sha256_init((struct sha256_ctx *)ctx);
}

void sipas_sha256_update(sipas_sha256 *ctx, const void *data, size_t len)
{
    sha256_update((struct sha256_ctx *)ctx, len, data);
}

void sipas_sha256_hex(sipas_sha256 *ctx, char hex[SIPAS_SHA256_HEX_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest((struct sha256_ctx *)ctx, sizeof digest, digest);
    to_hex(digest, hex);
}

void sipas_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                           char hex[SIPAS_SHA256_HEX_LEN + 1])
{
    struct hmac_sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&ctx, key_len, key);
    hmac_sha256_update(&ctx, len, data);
    hmac_sha256_digest(&ctx, sizeof digest, digest);
    to_hex(digest, hex);
}
