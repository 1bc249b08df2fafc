/* src/index_stream.h (private to the library) - the one-pass index of src/index_stream.c with
 * the size of the chunks the store hands over as a parameter, so that a test can make a small
 * store cross many chunk boundaries (levels that grow, a PSU or domain split between chunks).
 * sipas_index_compute_stream is this with 8192 rows per chunk. */
#ifndef SIPAS_INDEX_STREAM_H
#define SIPAS_INDEX_STREAM_H

#include "sipas/index.h"

sipas_status index_compute_stream_chunked(sipas_store *store, const sipas_instrument *inst,
                                          const sipas_index_options *sets, size_t nsets,
                                          size_t chunk_rows, sipas_index_result **results,
                                          sipas_error *err);

#endif
