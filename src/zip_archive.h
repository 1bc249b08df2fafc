/* src/zip_archive.h - writing a zip archive from parts held in memory (the Word document,
 * sipas/report_docx.h). Implemented in zip_sheet.c, the one module that includes libzip's
 * header <zip.h>: reading (.xlsx/.ods sheets) and writing share it there.
 *
 * Ownership: the parts are borrowed for the call; libzip reads them while it closes the
 * archive, before the function returns. */
#ifndef SIPAS_ZIP_ARCHIVE_H
#define SIPAS_ZIP_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "sipas/error.h"

typedef struct zip_archive_part {
    const char *name;  /* path inside the archive, e.g. "word/document.xml" */
    const void *data;
    size_t len;
    bool store;        /* true: stored uncompressed (PNG is compressed already) */
} zip_archive_part;

/* Writes the parts, in order, as a new archive at path (replaced if it exists: pass the
 * temporary of a sipas_atomic_file). shown_path names the file in messages: "cannot write
 * 'SHOWN': REASON" (SIPAS_ERR_IO). */
sipas_status zip_archive_write(const char *path, const char *shown_path,
                               const zip_archive_part *parts, size_t nparts, sipas_error *err);

#endif
