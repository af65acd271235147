/* Inside the SQLite store: the text index (text.c) for the parse cache
 * (rows.c; cache.c extracts the text).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_TEXT_H
#define PETREL_STORE_TEXT_H

#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"

/* Index a body's text, replacing what was there. Inside a transaction.
 * 0 or -1. */
int	store_text_put(sqlite3 *db, int64_t body_id, const struct buf *hdr,
	    const struct buf *body);

#endif
