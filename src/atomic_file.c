/* The one atomic file writer (sipas/atomic_file.h). */

/* fopencookie is a GNU extension: it lets the stream's writes go through write_all below, which
 * keeps the errno of the first failed write. A plain FILE forgets it: after a failed write, glibc
 * sets the error flag, drops the buffer, and a later fflush or fclose returns 0. */
#define _GNU_SOURCE

#include "sipas/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sipas_atomic_file {
    char *path;       /* as given, for messages */
    char *target;     /* what is replaced: path, or the file a symbolic link points to */
    char *temp;       /* the temporary beside target; NULL when target is written in place */
    int fd;           /* -1 once handed to the stream or closed */
    FILE *stream;
    int write_errno;  /* errno of the first failed write or open, 0 while all is well */
};

static ssize_t write_all(void *cookie, const char *buf, size_t size)
{
    sipas_atomic_file *f = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(f->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (f->write_errno == 0)
                f->write_errno = n < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)size;
}

static int close_fd(void *cookie)
{
    sipas_atomic_file *f = cookie;
    int r = close(f->fd);
    if (r != 0 && f->write_errno == 0)
        f->write_errno = errno; /* NFS reports a failed write at close */
    f->fd = -1;
    return r;
}

static void release(sipas_atomic_file *f)
{
    free(f->path);
    free(f->target);
    free(f->temp);
    free(f);
}

sipas_status sipas_atomic_file_open(const char *path, sipas_atomic_file **out, sipas_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return sipas_error_set(err, SIPAS_ERR_USAGE, "no file name to write to");
    sipas_atomic_file *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    f->fd = -1;
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (exists && S_ISDIR(sb.st_mode)) {
        release(f);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': it is a folder", path);
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        /* A device or FIFO: rename would replace the node itself (as root, even /dev/full). */
        f->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (f->fd < 0) {
            int e = errno;
            release(f);
            return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", path, strerror(e));
        }
        *out = f;
        return SIPAS_OK;
    }
    /* Through a symbolic link, replace the file it names, not the link. */
    struct stat lsb;
    char *resolved = exists && lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)
                   ? realpath(path, NULL) : NULL;
    f->target = resolved ? resolved : strdup(path);
    size_t size = f->target ? strlen(f->target) + sizeof ".tmpXXXXXX" : 0;
    if (f->target == NULL || (f->temp = malloc(size)) == NULL) {
        release(f);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    snprintf(f->temp, size, "%s.tmpXXXXXX", f->target);
    f->fd = mkstemp(f->temp);
    if (f->fd < 0) {
        int e = errno;
        release(f);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    /* mkstemp makes 0600; the result is meant to be shared like any file the user writes. */
    mode_t mode;
    if (exists) {
        mode = sb.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(f->fd, mode) != 0) {
        int e = errno;
        sipas_atomic_file_discard(f);
        return sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    *out = f;
    return SIPAS_OK;
}

FILE *sipas_atomic_file_stream(sipas_atomic_file *f)
{
    if (f->stream == NULL && f->fd >= 0 && f->write_errno == 0) {
        f->stream = fopencookie(f, "w", (cookie_io_functions_t){.write = write_all,
                                                                 .close = close_fd});
        if (f->stream == NULL)
            f->write_errno = errno ? errno : ENOMEM;
    }
    return f->stream;
}

const char *sipas_atomic_file_write_path(const sipas_atomic_file *f)
{
    return f->temp ? f->temp : f->path;
}

/* Closes the stream (or the bare descriptor); false when a write or the close failed. */
static bool close_stream(sipas_atomic_file *f)
{
    if (f->stream) {
        bool failed = ferror(f->stream) != 0;
        if (fflush(f->stream) != 0)
            failed = true;
        if (fclose(f->stream) != 0) /* closes fd through close_fd */
            failed = true;
        f->stream = NULL;
        if (failed && f->write_errno == 0)
            f->write_errno = EIO;
    } else if (f->fd >= 0) {
        close_fd(f);
    }
    return f->write_errno == 0;
}

sipas_status sipas_atomic_file_commit(sipas_atomic_file *f, sipas_error *err)
{
    bool ok = close_stream(f);
    /* Synced through a new descriptor, so files written by name (libxlsxwriter, gnuplot) are too:
     * the rename must not reach the disk before the content does. */
    if (ok && f->temp) {
        int fd = open(f->temp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            f->write_errno = errno;
        if (fd >= 0)
            close(fd);
        ok = f->write_errno == 0;
    }
    if (ok && f->temp && rename(f->temp, f->target) != 0) {
        f->write_errno = errno;
        ok = false;
    }
    if (ok) {
        free(f->temp);
        f->temp = NULL;
        release(f);
        return SIPAS_OK;
    }
    sipas_status st = sipas_error_set(err, SIPAS_ERR_IO, "cannot write '%s': %s", f->path,
                                      strerror(f->write_errno));
    sipas_atomic_file_discard(f);
    return st;
}

void sipas_atomic_file_discard(sipas_atomic_file *f)
{
    if (f == NULL)
        return;
    close_stream(f);
    if (f->temp)
        unlink(f->temp);
    release(f);
}

sipas_status sipas_atomic_file_write(const char *path, void (*body)(FILE *, const void *),
                                     const void *arg, sipas_error *err)
{
    sipas_atomic_file *file = NULL;
    sipas_status st = sipas_atomic_file_open(path, &file, err);
    if (st != SIPAS_OK)
        return st;
    FILE *f = sipas_atomic_file_stream(file);
    if (f)
        body(f, arg); /* a failed write is reported by the commit */
    return sipas_atomic_file_commit(file, err);
}
