/* The text index behind IMAP SEARCH BODY and TEXT (RFC 3501 6.4.4): what
 * a reader sees of a message (cache.c extracts it), kept as trigrams in
 * an FTS5 table so that a substring is found without reading every
 * message.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "store/stmt.h"
#include "store/store_int.h"
#include "store/text.h"

int
store_text_put(sqlite3 *db, int64_t body_id, const struct buf *hdr,
    const struct buf *body)
{
	sqlite3_stmt *del, *ins;
	int rc;

	del = store_stmt(db, "DELETE FROM text_index WHERE rowid = ?");
	ins = store_stmt(db, "INSERT INTO text_index(rowid, hdr, body) "
	    "VALUES (?, ?, ?)");
	if (del == NULL || ins == NULL)
		return -1;
	sqlite3_bind_int64(del, 1, body_id);
	(void)sqlite3_step(del);
	sqlite3_reset(del);
	sqlite3_bind_int64(ins, 1, body_id);
	sqlite3_bind_text(ins, 2, hdr->data ? hdr->data : "", (int)hdr->len,
	    SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, body->data ? body->data : "",
	    (int)body->len, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
lite_text_search(struct store *st, const char *needle, bool body_only,
    int64_t **ids_out, size_t *n_out)
{
	struct buf q = BUF_INIT;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	const char *p;
	int rc;

	*ids_out = NULL;
	*n_out = 0;
	/* Trigrams find nothing shorter than three characters. */
	if (store_utf8_chars(needle) < 3 || (db = store_db(st)) == NULL)
		return -1;
	/* An FTS5 string: double quotes doubled (FTS5 3.1). */
	buf_adds(&q, body_only ? "body : \"" : "\"");
	for (p = needle; *p != '\0'; p++) {
		if (*p == '"')
			buf_addc(&q, '"');
		buf_addc(&q, *p);
	}
	buf_addc(&q, '"');
	stmt = store_stmt(db, "SELECT rowid FROM text_index WHERE "
	    "text_index MATCH ? ORDER BY rowid");
	if (stmt == NULL) {
		buf_free(&q);
		return -1;
	}
	sqlite3_bind_text(stmt, 1, buf_cstr(&q), (int)q.len, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_reset(stmt);
	buf_free(&q);
	if (rc != SQLITE_DONE) {
		free(ids);
		return -1;
	}
	*ids_out = ids;
	*n_out = n;
	return 0;
}
