/* Webmail support (issue 8): a mailbox's UIDs newest first, and its counts
 * from indexes alone. The webmail caches both per mailbox state
 * (src/web/view.c), so each walks its index once per change, not once per
 * request.
 * SPDX-License-Identifier: ISC */
#include <sqlite3.h>

#include "store/stmt.h"
#include "store/store_int.h"

int
lite_web_order(struct store *st, int64_t mailbox_id, uint32_t **uids_out,
    size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*uids_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	/* A walk of messages_date backwards, the table untouched. */
	stmt = store_stmt(db, "SELECT uid FROM messages WHERE mailbox_id = ? "
	    "ORDER BY internal_date DESC, uid DESC");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	return store_db_uids(stmt, 1024, uids_out, n_out);
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
	stmt = store_stmt(db, "SELECT (SELECT count(*) FROM messages "
	    "WHERE mailbox_id = ?1), (SELECT count(*) FROM messages WHERE "
	    "mailbox_id = ?1 AND (flags & 1) = 0)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*total_out = (uint32_t)sqlite3_column_int64(stmt, 0);
		*unseen_out = (uint32_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}
