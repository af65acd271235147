/* Expunged UIDs with the mod-sequence of their expunge, for QRESYNC's
 * VANISHED (RFC 7162 3.2.5, 3.2.10): schema step 6 keeps them in the
 * vanished table through triggers on messages, so that every way a
 * message leaves a mailbox (EXPUNGE, MOVE, RENAME of INBOX) is recorded
 * without each of them knowing. Step 9 bounds them: each way in calls
 * lite_vanished_bound() in its transaction, which keeps the newest
 * STORE_VANISHED_KEEP of the mailbox and raises its floor (the highest
 * modseq dropped) so that lite_vanished() knows when its list would be
 * partial (RFC 7162 3.2.6: the server may then answer with every UID it
 * no longer holds, which IMAP does).
 * SPDX-License-Identifier: ISC */
#include <sqlite3.h>

#include "store/stmt.h"
#include "store/store_int.h"

/* The highest modseq of a dropped record of the mailbox (0: none). */
static int
floor_get(sqlite3 *db, int64_t mailbox_id, uint64_t *floor_out)
{
	sqlite3_stmt *stmt;
	int rc;

	*floor_out = 0;
	stmt = store_stmt(db, "SELECT modseq FROM vanished_floor "
	    "WHERE mailbox_id = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*floor_out = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
lite_vanished_bound(sqlite3 *db, int64_t mailbox_id, size_t keep)
{
	sqlite3_stmt *stmt;
	uint64_t dropped = 0, m;
	int rc;

	/* Everything at or below the keep-th newest (modseq, uid) but it
	 * goes; the index on (mailbox_id, modseq) holds the uid as well,
	 * so this walks keep entries, not the whole mailbox's. */
	stmt = store_stmt(db, "DELETE FROM vanished WHERE mailbox_id = ?1 "
	    "AND (modseq, uid) <= (SELECT modseq, uid FROM vanished "
	    "WHERE mailbox_id = ?1 ORDER BY modseq DESC, uid DESC "
	    "LIMIT 1 OFFSET ?2) RETURNING modseq");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)keep);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((m = (uint64_t)sqlite3_column_int64(stmt, 0)) > dropped)
			dropped = m;
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return -1;
	if (dropped == 0)
		return 0;
	stmt = store_stmt(db, "INSERT INTO vanished_floor VALUES (?, ?) "
	    "ON CONFLICT (mailbox_id) DO UPDATE SET "
	    "modseq = max(modseq, excluded.modseq)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)dropped);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
lite_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	uint64_t floor;
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*uids_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL || floor_get(db, mailbox_id,
	    &floor) == -1)
		return -1;
	/* A record that would answer since was dropped. */
	if (since <= floor)
		return 1;
	stmt = store_stmt(db, "SELECT uid FROM vanished WHERE mailbox_id = ? "
	    "AND modseq >= ? AND uid BETWEEN ? AND ? ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(stmt, 3, lo);
	sqlite3_bind_int64(stmt, 4, hi);
	return store_db_uids(stmt, 64, uids_out, n_out);
}
