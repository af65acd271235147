/* Expunged UIDs with the mod-sequence of their expunge, for QRESYNC's
 * VANISHED (RFC 7162 3.2.5, 3.2.10): schema step 6 keeps them in the
 * vanished table through triggers on messages, so that every way a
 * message leaves a mailbox (EXPUNGE, MOVE, RENAME of INBOX) is recorded
 * without each of them knowing.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include <sqlite3.h>

#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

int
lite_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	*uids_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_stmt(db, "SELECT uid FROM vanished WHERE mailbox_id = ? "
	    "AND modseq >= ? AND uid BETWEEN ? AND ? ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(stmt, 3, lo);
	sqlite3_bind_int64(stmt, 4, hi);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			uids = xreallocarray(uids, cap, sizeof(*uids));
		}
		uids[n++] = (uint32_t)sqlite3_column_int64(stmt, 0);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		free(uids);
		return -1;
	}
	*uids_out = uids;
	*n_out = n;
	return 0;
}
