/* The SQLite store's part of change notification (the watch registry
 * itself is watch.c): finding a mailbox's owner, and the \Recent marks
 * (RFC 3501 2.3.2).
 * SPDX-License-Identifier: ISC */
#include <sqlite3.h>

#include "store/stmt.h"
#include "store/store_int.h"

void
lite_notify_mailbox(struct store *st, int64_t mailbox_id)
{
	sqlite3_stmt *stmt;
	int64_t user_id = -1;
	sqlite3 *db;

	if (!store_watch_any() || (db = store_db(st)) == NULL)
		return;
	stmt = store_stmt(db, "SELECT user_id FROM mailboxes WHERE id = ?");
	if (stmt == NULL)
		return;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		user_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (user_id >= 0)
		store_notify_user(st, user_id);
}

static uint32_t
recent_get(sqlite3 *db, int64_t mailbox_id)
{
	sqlite3_stmt *stmt;
	uint32_t first = UINT32_MAX;

	stmt = store_stmt(db, "SELECT recent_uid FROM mailboxes WHERE id = ?");
	if (stmt == NULL)
		return UINT32_MAX;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		first = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return first;
}

static void
recent_set(sqlite3 *db, int64_t mailbox_id, uint32_t uidnext)
{
	sqlite3_stmt *stmt;

	stmt = store_db_prepare(db, "UPDATE mailboxes SET recent_uid = ? "
	    "WHERE id = ? AND recent_uid < ?", NULL);
	if (stmt == NULL)
		return;
	sqlite3_bind_int64(stmt, 1, uidnext);
	sqlite3_bind_int64(stmt, 2, mailbox_id);
	sqlite3_bind_int64(stmt, 3, uidnext);
	(void)sqlite3_step(stmt);
	sqlite3_finalize(stmt);
}

uint32_t
lite_recent_take(struct store *st, int64_t mailbox_id, uint32_t uidnext)
{
	uint32_t first;
	sqlite3 *db;

	if ((db = store_db(st)) == NULL)
		return UINT32_MAX;
	first = recent_get(db, mailbox_id);
	/* Most of the time nothing new arrived: no write then. */
	if (uidnext == 0 || first == UINT32_MAX || first >= uidnext)
		return first;
	/* The mark is a hint that can be lost: no fsync of its own. */
	(void)store_db_exec(db, "PRAGMA synchronous=NORMAL", NULL);
	if (store_db_begin(db, NULL) == 0) {
		first = recent_get(db, mailbox_id);
		if (first < uidnext)
			recent_set(db, mailbox_id, uidnext);
		if (store_db_commit(db, NULL) == -1)
			first = UINT32_MAX;
	} else
		first = UINT32_MAX;
	(void)store_db_exec(db, "PRAGMA synchronous=FULL", NULL);
	return first;
}
