/* Mailbox counters and UID lists for IMAP: STATUS (RFC 3501 6.3.10,
 * RFC 7162 3.1.2 HIGHESTMODSEQ), the quick state check behind untagged
 * updates, the UID map of a selected mailbox, and its keywords.
 * SPDX-License-Identifier: ISC */
#include <sqlite3.h>

#include "store/stmt.h"
#include "store/store_int.h"

int
lite_mailbox_state(struct store *st, int64_t mailbox_id,
    uint32_t *uidnext_out, uint64_t *highestmodseq_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_stmt(db, "SELECT uidnext, highestmodseq FROM "
	    "mailboxes WHERE id = ? AND noselect = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*uidnext_out = (uint32_t)sqlite3_column_int64(stmt, 0);
		*highestmodseq_out = (uint64_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
lite_mailbox_status(struct store *st, int64_t mailbox_id,
    struct store_status *out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT uidnext, highestmodseq, "
	    "uidvalidity, (SELECT count(*) FROM messages WHERE mailbox_id = "
	    "?1), (SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND "
	    "(flags & 1) = 0), (SELECT count(*) FROM messages WHERE "
	    "mailbox_id = ?1 AND (flags & 8) != 0), (SELECT total(size) "
	    "FROM messages WHERE mailbox_id = ?1) FROM mailboxes "
	    "WHERE id = ?1 AND noselect = 0", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->uidnext = (uint32_t)sqlite3_column_int64(stmt, 0);
		out->highestmodseq = (uint64_t)sqlite3_column_int64(stmt, 1);
		out->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 2);
		out->messages = (uint32_t)sqlite3_column_int64(stmt, 3);
		out->unseen = (uint32_t)sqlite3_column_int64(stmt, 4);
		out->deleted = (uint32_t)sqlite3_column_int64(stmt, 5);
		out->size = (uint64_t)sqlite3_column_double(stmt, 6);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
lite_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*uids_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_stmt(db, "SELECT uid FROM messages WHERE "
	    "mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, lo);
	sqlite3_bind_int64(stmt, 3, hi);
	return store_db_uids(stmt, 256, uids_out, n_out);
}

int
lite_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t *count_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_stmt(db, "SELECT count(*) FROM messages WHERE "
	    "mailbox_id = ? AND uid BETWEEN ? AND ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, lo);
	sqlite3_bind_int64(stmt, 3, hi);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*count_out = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
lite_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
    uint32_t *uid_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return -1;
	/* Matches the partial index messages_unseen. */
	stmt = store_stmt(db, "SELECT min(uid) FROM messages WHERE "
	    "mailbox_id = ? AND (flags & 1) = 0");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		*uid_out = (uint32_t)sqlite3_column_int64(stmt, 0);
		rc = 1;
	} else
		rc = rc == SQLITE_ROW ? 0 : -1;
	sqlite3_reset(stmt);
	return rc;
}

int
lite_mailbox_keywords(struct store *st, int64_t mailbox_id,
    char ***names_out, size_t *n_out)
{
	return store_db_strings_of(st, "SELECT name FROM keywords WHERE "
	    "mailbox_id = ? ORDER BY name", mailbox_id, names_out, n_out);
}
