/* File kinds by their first bytes and cut-off UTF-8 (src/file_kind.h). */
#include "file_kind.h"

#include <string.h>

typedef struct signature {
    const char *bytes;
    size_t len;
    const char *kind;
} signature;

/* Magic numbers from each format's specification (PNG: RFC 2083 §3.1; PDF: ISO 32000 §7.5.2;
 * gzip: RFC 1952 §2.3.1; the others as file(1) knows them). */
static const signature signatures[] = {
    {"\x89PNG\r\n\x1a\n", 8, "a PNG image"},
    {"\xff\xd8\xff", 3, "a JPEG image"},
    {"GIF87a", 6, "a GIF image"},
    {"GIF89a", 6, "a GIF image"},
    {"%PDF-", 5, "a PDF document"},
    {"\x7f" "ELF", 4, "a program (ELF)"},
    {"MZ", 2, "a Windows program"},
    {"\x1f\x8b", 2, "a gzip archive"},
    {"7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive"},
    {"Rar!\x1a\x07", 6, "a RAR archive"},
};

const char *sipas_file_kind_binary(const unsigned char *head, size_t n)
{
    for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++)
        if (n >= signatures[i].len && memcmp(head, signatures[i].bytes, signatures[i].len) == 0)
            return signatures[i].kind;
    return NULL;
}
