/* Inside the store: the text index (text.c) for the parse cache (rows.c).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_TEXT_H
#define PETREL_STORE_TEXT_H

#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "mime/mime.h"

/* Append what a reader sees of the message msg[0..len) parsed as root:
 * its header fields decoded to hdr; part headers and text parts decoded
 * to UTF-8 to body (at most 4 MiB). */
void	store_text_extract(const char *msg, size_t len,
	    struct mime_part *root, struct buf *hdr, struct buf *body);
/* Index a body's text, replacing what was there. Inside a transaction.
 * 0 or -1. */
int	store_text_put(sqlite3 *db, int64_t body_id, const struct buf *hdr,
	    const struct buf *body);

#endif
