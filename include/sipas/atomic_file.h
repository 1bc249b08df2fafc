/* sipas/atomic_file.h - the one way sipas writes a file the user named.
 *
 * A regular file (or a path that does not exist yet) is written to a temporary file in the same
 * folder, flushed to disk and renamed onto the path only when every write succeeded: the path
 * then holds either the old content or the whole new one, never a half-written file (a full disk,
 * a killed process, an error half-way). The temporary gets the permissions a new file would get
 * (0666 less the umask), or those of the file it replaces.
 *
 * A path that exists and is not a regular file (/dev/stdout, /dev/full, a FIFO) cannot be
 * replaced by rename and is written in place; its writes are checked all the same.
 *
 * Ownership: sipas_atomic_file_open allocates the handle; exactly one of sipas_atomic_file_commit
 * and sipas_atomic_file_discard frees it (and closes the stream). Neither prints.
 */
#ifndef SIPAS_ATOMIC_FILE_H
#define SIPAS_ATOMIC_FILE_H

#include <stdio.h>

#include "sipas/error.h"

typedef struct sipas_atomic_file sipas_atomic_file;

/* Creates the temporary beside path (or opens path when it is not a regular file). */
sipas_status sipas_atomic_file_open(const char *path, sipas_atomic_file **out, sipas_error *err);

/* The stream to write through (opened on first use). NULL only when it cannot be opened; the
 * reason is reported by sipas_atomic_file_commit. Do not fclose it. */
FILE *sipas_atomic_file_stream(sipas_atomic_file *file);

/* The name to hand to a program or library that writes a file by name (gnuplot,
 * libxlsxwriter) instead of through the stream: the temporary, or the path itself when it is
 * written in place. */
const char *sipas_atomic_file_write_path(const sipas_atomic_file *file);

/* Flushes and closes the stream, checks that every write succeeded, syncs the temporary to disk
 * and renames it onto the path. On any failure the temporary is removed, the path keeps its old
 * content, and err says "cannot write 'PATH': REASON" (SIPAS_ERR_IO). Frees file. */
sipas_status sipas_atomic_file_commit(sipas_atomic_file *file, sipas_error *err);

/* The whole cycle for a writer that only needs the stream: open, body(stream, arg), commit. */
sipas_status sipas_atomic_file_write(const char *path, void (*body)(FILE *, const void *),
                                     const void *arg, sipas_error *err);

/* Closes the stream and removes the temporary; the path keeps its old content. Frees file;
 * NULL is ignored. */
void sipas_atomic_file_discard(sipas_atomic_file *file);

#endif
