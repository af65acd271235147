/* The text index behind IMAP SEARCH BODY and TEXT (RFC 3501 6.4.4): what
 * a reader sees of a message, that is the header with encoded words
 * decoded and the text parts with their transfer encoding undone and
 * their charset turned into UTF-8, kept as trigrams in an FTS5 table so
 * that a substring is found without reading every message.
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

#define TEXT_MAX	(4 * 1024 * 1024)	/* indexed per message */

/* Append the decoded values of the header fields of p. */
static void
header_text(const char *msg, const struct mime_part *p, struct buf *out)
{
	struct mime_hdr_iter it;
	struct mime_field f;

	mime_hdr_iter_init(&it, msg + p->hdr_off, p->body_off - p->hdr_off);
	while (mime_hdr_next(&it, &f) == 1 && out->len < TEXT_MAX) {
		buf_add(out, f.name, f.namelen);
		buf_adds(out, ": ");
		(void)mime_hdr_decode(f.value, f.valuelen, out);
		buf_addc(out, '\n');
	}
}

struct walk {
	const char	*msg;
	size_t		 len;
	const struct mime_part *root;
	struct buf	*body;
	struct buf	 dec;
};

static void
part_text(struct mime_part *p, void *arg)
{
	struct walk *w = arg;
	const char *cs = mime_part_charset(p);

	if (w->body->len >= TEXT_MAX)
		return;
	/* The headers of parts and of attached messages are text too. */
	if (p != w->root)
		header_text(w->msg, p, w->body);
	if (strcmp(p->type, "text") != 0 || mime_part_is_multipart(p) ||
	    mime_part_message(p) != NULL)
		return;
	buf_reset(&w->dec);
	mime_part_decode(p, w->msg, w->len, &w->dec);
	if (cs == NULL || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || mime_charset_to_utf8(cs,
	    w->dec.data, w->dec.len, w->body) == -1)
		mime_utf8_sanitize(w->dec.data, w->dec.len, w->body);
	buf_addc(w->body, '\n');
}

void
store_text_extract(const char *msg, size_t len, struct mime_part *root,
    struct buf *hdr, struct buf *body)
{
	struct walk w;

	header_text(msg, root, hdr);
	memset(&w, 0, sizeof(w));
	w.msg = msg;
	w.len = len;
	w.root = root;
	w.body = body;
	mime_part_walk(root, part_text, &w);
	buf_free(&w.dec);
	if (body->len > TEXT_MAX)
		buf_truncate(body, TEXT_MAX);
}

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

/* Characters, not octets, of UTF-8 text. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
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
	if (utf8_chars(needle) < 3 || (db = store_db(st)) == NULL)
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
