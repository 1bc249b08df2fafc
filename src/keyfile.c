/* The personal-data key file (sipas/keyfile.h). */
#include "sipas/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_NAME "sipas/personal.key"

sipas_status sipas_key_file_default_path(char **path, sipas_error *err)
{
    const char *named = getenv("SIPAS_KEY_FILE"), *xdg = getenv("XDG_CONFIG_HOME"),
               *home = getenv("HOME");
    char *p = NULL;
    if (named && *named) {
        p = strdup(named);
    } else if (xdg && xdg[0] == '/') { /* the XDG rule: a relative value is ignored */
        if ((p = malloc(strlen(xdg) + sizeof "/" KEY_FILE_NAME)))
            sprintf(p, "%s/%s", xdg, KEY_FILE_NAME);
    } else if (home && *home) {
        if ((p = malloc(strlen(home) + sizeof "/.config/" KEY_FILE_NAME)))
            sprintf(p, "%s/.config/%s", home, KEY_FILE_NAME);
    } else {
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no key file for personal columns: neither "
                               "HOME nor XDG_CONFIG_HOME is set; name one with --key-file or "
                               "SIPAS_KEY_FILE");
    }
    if (p == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    *path = p;
    return SIPAS_OK;
}

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

sipas_status sipas_key_file_read(const char *path, unsigned char key[SIPAS_KEY_BYTES],
                                 sipas_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sipas_error_set(err, errno == ENOENT ? SIPAS_ERR_NOT_FOUND : SIPAS_ERR_IO,
                               "cannot read the key file '%s': %s", path, strerror(errno));
    struct stat sb;
    char text[2 * SIPAS_KEY_BYTES + 8];
    ssize_t n = -1;
    sipas_status st = SIPAS_OK;
    if (fstat(fd, &sb) != 0)
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read the key file '%s': %s", path,
                             strerror(errno));
    else if (sb.st_mode & 077)
        st = sipas_error_set(err, SIPAS_ERR_IO, "the key file '%s' can be read by other users "
                             "(mode %04o); anyone who has it and a store can test guesses of "
                             "the personal columns: chmod 600 '%s'", path,
                             (unsigned)(sb.st_mode & 07777), path);
    else if ((n = read(fd, text, sizeof text - 1)) < 0)
        st = sipas_error_set(err, SIPAS_ERR_IO, "cannot read the key file '%s': %s", path,
                             strerror(errno));
    close(fd);
    if (st != SIPAS_OK)
        return st;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    bool ok = n == 2 * SIPAS_KEY_BYTES;
    for (int i = 0; ok && i < SIPAS_KEY_BYTES; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        key[i] = (unsigned char)(hi * 16 + lo);
    }
    if (!ok)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "the key file '%s' does not hold a key "
                               "(one line of 64 hex digits)", path);
    return SIPAS_OK;
}

/* mkdir -m 0700 of path's folder, and of that folder's parent when it is missing too. */
static void make_folder(const char *path)
{
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) != 0 && errno == ENOENT) {
            char *up = strrchr(dir, '/');
            if (up && up != dir) {
                *up = '\0';
                mkdir(dir, 0700);
                *up = '/';
                mkdir(dir, 0700);
            }
        }
    }
    free(dir); /* a failure shows when the file is created */
}

sipas_status sipas_key_file_create(const char *path, unsigned char key[SIPAS_KEY_BYTES],
                                   sipas_error *err)
{
    make_folder(path);
    size_t size = strlen(path) + sizeof ".tmpXXXXXX";
    char *tmp = malloc(size);
    if (tmp == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    snprintf(tmp, size, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot create the key file '%s': "
                                          "%s", path, strerror(errno));
        free(tmp);
        return st;
    }
    char line[2 * SIPAS_KEY_BYTES + 2];
    for (int i = 0; i < SIPAS_KEY_BYTES; i++)
        sprintf(line + 2 * i, "%02x", key[i]);
    line[2 * SIPAS_KEY_BYTES] = '\n';
    bool written = write(fd, line, sizeof line - 1) == (ssize_t)(sizeof line - 1) &&
                   fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && written) {
        written = false;
        saved = errno;
    }
    /* link, unlike rename, never replaces: a key in use must not be overwritten. */
    bool linked = written && link(tmp, path) == 0;
    if (written && !linked)
        saved = errno;
    unlink(tmp);
    free(tmp);
    if (linked)
        return SIPAS_OK;
    if (written && saved == EEXIST) /* another process made it first: use its key */
        return sipas_key_file_read(path, key, err);
    return sipas_error_set(err, SIPAS_ERR_IO, "cannot create the key file '%s': %s", path,
                           strerror(saved ? saved : EIO));
}

sipas_status sipas_key_random(unsigned char key[SIPAS_KEY_BYTES], sipas_error *err)
{
    size_t got = 0;
    while (got < SIPAS_KEY_BYTES) {
        ssize_t n = getrandom(key + got, SIPAS_KEY_BYTES - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return sipas_error_set(err, SIPAS_ERR_IO, "cannot draw a random key: %s",
                                   strerror(errno));
        got += (size_t)n;
    }
    return SIPAS_OK;
}

void sipas_key_fingerprint(const unsigned char key[SIPAS_KEY_BYTES],
                           char hex[SIPAS_SHA256_HEX_LEN + 1])
{
    static const char domain[] = "sipas personal key fingerprint v1\n";
    sipas_sha256 ctx;
    sipas_sha256_init(&ctx);
    sipas_sha256_update(&ctx, domain, sizeof domain - 1);
    sipas_sha256_update(&ctx, key, SIPAS_KEY_BYTES);
    sipas_sha256_hex(&ctx, hex);
}
