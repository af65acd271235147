/* Messages as IMAP shows them (FETCH, SEARCH): metadata, keywords and the
 * parse cache, which holds each body's ENVELOPE, BODY and BODYSTRUCTURE
 * (RFC 3501 7.4.2), its raw header and its Date:, so that FETCH 1:*
 * ENVELOPE and header searches need not read bodies. The indexer
 * (indexer.c) fills it and the text index (text.c) soon after delivery;
 * a message it has not reached yet is parsed here when asked for (and its
 * text indexed when a search asks for that), unless the caller only
 * peeks (STORE_ROW_NOPARSE) to do that work elsewhere.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "store/stmt.h"
#include "store/store_int.h"
#include "store/text.h"

#define ROW_COLS "m.id, m.body_id, m.uid, m.flags, m.modseq, m.size, " \
	"m.internal_date, m.keywords"

static char *
col_dup(sqlite3_stmt *stmt, int col, size_t *len_out)
{
	const void *p = sqlite3_column_blob(stmt, col);
	size_t len = (size_t)sqlite3_column_bytes(stmt, col);

	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	if (len_out != NULL)
		*len_out = len;
	return xstrndup(p != NULL ? p : "", len);
}

static void
row_read(sqlite3_stmt *stmt, struct store_row *r, bool has_cache)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->body_id = sqlite3_column_int64(stmt, 1);
	r->uid = (uint32_t)sqlite3_column_int64(stmt, 2);
	r->flags = (uint32_t)sqlite3_column_int64(stmt, 3);
	r->modseq = (uint64_t)sqlite3_column_int64(stmt, 4);
	r->size = (uint64_t)sqlite3_column_int64(stmt, 5);
	r->internal_date = sqlite3_column_int64(stmt, 6);
	r->keywords = col_dup(stmt, 7, NULL);
	if (r->keywords == NULL)
		r->keywords = xstrdup("");
	if (!has_cache)
		return;
	r->envelope = col_dup(stmt, 8, NULL);
	r->body = col_dup(stmt, 9, NULL);
	r->bodystructure = col_dup(stmt, 10, NULL);
	r->header = col_dup(stmt, 11, &r->header_len);
	r->sent_date = sqlite3_column_int64(stmt, 12);
}

int
lite_row_open(struct store *st, const struct store_row *row)
{
	struct store_msg m;

	memset(&m, 0, sizeof(m));
	m.id = row->id;
	m.body_id = row->body_id;
	m.uid = row->uid;
	return store_msg_open(st, &m);
}

int
lite_cache_build(struct store *st, sqlite3 *db, struct store_row *r,
    struct buf *thdr, struct buf *tbody)
{
	struct buf msg = BUF_INIT;

	if (store_body_read(st, db, r->body_id, &msg) == -1) {
		buf_free(&msg);
		return -1;
	}
	store_cache_build(msg.data ? msg.data : "", msg.len, r, thdr, tbody);
	buf_free(&msg);
	return 0;
}

void
store_cache_insert(sqlite3_stmt *ins, const struct store_row *r)
{
	sqlite3_bind_int64(ins, 1, r->body_id);
	sqlite3_bind_text(ins, 2, r->envelope, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, r->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, r->bodystructure, -1, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 5, r->header, (int)r->header_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(ins, 6, r->sent_date);
	(void)sqlite3_step(ins);
	sqlite3_reset(ins);
}

static bool
is_indexed(sqlite3 *db, int64_t body_id)
{
	sqlite3_stmt *stmt = store_stmt(db, "SELECT 1 FROM text_index "
	    "WHERE rowid = ?");
	bool rc;

	if (stmt == NULL)
		return true;	/* no index: nothing to fill */
	sqlite3_bind_int64(stmt, 1, body_id);
	rc = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_reset(stmt);
	return rc;
}

/* Parse one row's body for what it lacks: cache fields (moved into r) or
 * its text in the index. */
static void
cache_one(struct store *st, sqlite3 *db, sqlite3_stmt *ins,
    struct store_row *r, bool need_cache, bool need_text)
{
	struct buf thdr = BUF_INIT, tbody = BUF_INIT;
	struct store_row tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.body_id = r->body_id;
	if (lite_cache_build(st, db, &tmp, need_text ? &thdr : NULL, &tbody) ==
	    0) {
		if (need_cache) {
			store_cache_insert(ins, &tmp);
			store_cache_move(r, &tmp);
		} else
			store_cache_free(&tmp);
		if (need_text)
			(void)store_text_put(db, r->body_id, &thdr, &tbody);
	}
	buf_free(&thdr);
	buf_free(&tbody);
}

/* Fill the cache of rows that lack it, and with with_text their text in
 * the index. Both can be rebuilt, so their writes skip the fsync
 * (synchronous=NORMAL). */
static void
cache_fill(struct store *st, sqlite3 *db, struct store_row *rows, size_t n,
    bool with_text)
{
	sqlite3_stmt *ins = NULL;
	bool need_cache, need_text;
	size_t i;

	for (i = 0; i < n; i++) {
		need_cache = rows[i].envelope == NULL;
		need_text = with_text && !is_indexed(db, rows[i].body_id);
		if (!need_cache && !need_text)
			continue;
		if (ins == NULL) {
			(void)store_db_exec(db, "PRAGMA synchronous=NORMAL",
			    NULL);
			if (store_db_begin(db, NULL) == -1)
				break;
			ins = store_db_prepare(db, "INSERT OR REPLACE INTO "
			    "cache VALUES (?, ?, ?, ?, ?, ?)", NULL);
			if (ins == NULL)
				break;
		}
		cache_one(st, db, ins, &rows[i], need_cache, need_text);
	}
	if (ins != NULL) {
		sqlite3_finalize(ins);
		if (store_db_commit(db, NULL) == -1)
			store_db_rollback(db);
	}
	if (!sqlite3_get_autocommit(db))
		store_db_rollback(db);
	(void)store_db_exec(db, "PRAGMA synchronous=FULL", NULL);
}

static sqlite3_stmt *
rows_query(sqlite3 *db, int64_t mailbox_id, uint32_t lo, uint32_t hi,
    uint64_t changedsince, bool has_cache, size_t limit)
{
	sqlite3_stmt *stmt;

	static const char with_cache[] = "SELECT " ROW_COLS ", "
	    "c.envelope, c.body, c.bodystructure, c.header, c.sent_date "
	    "FROM messages m LEFT JOIN cache c ON c.body_id = m.body_id "
	    "WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND "
	    "m.modseq > ? ORDER BY m.uid LIMIT ?";
	static const char without[] = "SELECT " ROW_COLS " "
	    "FROM messages m WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND "
	    "? AND m.modseq > ? ORDER BY m.uid LIMIT ?";

	stmt = store_stmt(db, has_cache ? with_cache : without);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, lo);
	sqlite3_bind_int64(stmt, 3, hi);
	sqlite3_bind_int64(stmt, 4, (int64_t)changedsince);
	sqlite3_bind_int64(stmt, 5, limit > INT64_MAX ? INT64_MAX :
	    (int64_t)limit);
	return stmt;
}

int
lite_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint64_t changedsince, unsigned what, size_t limit,
    struct store_row **rows_out, size_t *n_out)
{
	bool has_cache = (what & (STORE_ROW_CACHE | STORE_ROW_TEXT)) != 0;
	struct store_row *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	*rows_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = rows_query(db, mailbox_id, lo, hi, changedsince, has_cache,
	    limit);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		row_read(stmt, &rows[n++], has_cache);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_rows_free(rows, n);
		return -1;
	}
	if (has_cache && !(what & STORE_ROW_NOPARSE))
		cache_fill(st, db, rows, n, (what & STORE_ROW_TEXT) != 0);
	*rows_out = rows;
	*n_out = n;
	return 0;
}

void
store_rows_free(struct store_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].keywords);
		store_cache_free(&rows[i]);
	}
	free(rows);
}
