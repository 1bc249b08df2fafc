/* tests/fuzz/fuzz_xls_import.c - the table source on legacy Excel .xls (FreeXL) input; properties in
 * fuzz_table.h. Its seed corpus holds small files written by the real tools. */
#include "fuzz_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_table_input(data, size, "batch.xls");
}
