/* src/file_kind.h (private to the library) - telling a user that a file is not what its name says, before the CSV
 * reader tries it and reports a stray quote or every column missing from the header. */
#ifndef SIPAS_FILE_KIND_H
#define SIPAS_FILE_KIND_H

#include <stdbool.h>
#include <stddef.h>

/* What a file that is neither text nor a spreadsheet looks like, from its first bytes (at
 * least 8 to recognise anything): "a PNG image", "a JPEG image", "a GIF image", "a PDF
 * document", "a program (ELF)", "a Windows program", "a gzip archive", "a 7-Zip archive", "a
 * RAR archive"; NULL for anything else. Zip files (.xlsx, .docx, .ods) and the OLE files of
 * old Excel are not named: they are spreadsheets a reader may take. */
const char *sipas_file_kind_binary(const unsigned char *head, size_t n);

#endif
