/* Webmail support (issue 8) in the SQLite store: the UIDs of a page of a
 * mailbox newest first (web_page.c makes the page), and the counts.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/xalloc.h"
#include "store/store_int.h"

int
lite_web_page_uids(struct store *st, int64_t mailbox_id, size_t offset,
    size_t limit, uint32_t **uids_out, size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	uint32_t *uids;
	size_t n = 0;
	int rc = SQLITE_DONE;

	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT uid FROM messages WHERE "
	    "mailbox_id = ? ORDER BY internal_date DESC, uid DESC "
	    "LIMIT ? OFFSET ?", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, (int64_t)limit);
	sqlite3_bind_int64(stmt, 3, (int64_t)offset);
	uids = xcalloc(limit ? limit : 1, sizeof(*uids));
	while (n < limit && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		uids[n++] = (uint32_t)sqlite3_column_int64(stmt, 0);
	if (n < limit && rc != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		free(uids);
		return -1;
	}
	sqlite3_finalize(stmt);
	*uids_out = uids;
	*n_out = n;
	return 0;
}

int
lite_web_counts(struct store *st, int64_t mailbox_id, uint32_t *total_out,
    uint32_t *unseen_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return -1;
	/* Both counts walk an index only (messages_unseen is partial). */
	stmt = store_db_prepare(db, "SELECT (SELECT count(*) FROM messages "
	    "WHERE mailbox_id = ?1), (SELECT count(*) FROM messages WHERE "
	    "mailbox_id = ?1 AND (flags & 1) = 0)", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*total_out = (uint32_t)sqlite3_column_int64(stmt, 0);
		*unseen_out = (uint32_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}
