/* COPY and MOVE between mailboxes of one account (RFC 3501 6.4.7,
 * RFC 6851), where a copy shares the body of the original, and APPEND
 * (RFC 3501 6.3.11) with flags, keywords and internal date, both handing
 * back the new UIDs for UIDPLUS (RFC 4315).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/xalloc.h"
#include "store/store_int.h"

int
lite_target_get(sqlite3 *db, int64_t id, struct store_target *t)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "SELECT uidnext, uidvalidity, "
	    "highestmodseq FROM mailboxes WHERE id = ? AND noselect = 0",
	    NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		t->id = id;
		t->uidnext = (uint32_t)sqlite3_column_int64(stmt, 0);
		t->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 1);
		t->modseq = (uint64_t)sqlite3_column_int64(stmt, 2) + 1;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
target_bump(sqlite3 *db, const struct store_target *t)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "UPDATE mailboxes SET uidnext = ?, "
	    "highestmodseq = ? WHERE id = ?", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, t->uidnext);
	sqlite3_bind_int64(stmt, 2, (int64_t)t->modseq);
	sqlite3_bind_int64(stmt, 3, t->id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct copy_ctx {
	sqlite3_stmt	*ins;
	sqlite3_stmt	*del;
	uint32_t	*src;
	uint32_t	*dst;
	size_t		 n;
};

static int
copy_rows(sqlite3 *db, int64_t from_id, struct store_target *t,
    const uint32_t *uids, size_t n, struct copy_ctx *cc)
{
	size_t i;
	int rc = 0;

	cc->ins = store_db_prepare(db, "INSERT INTO messages(mailbox_id, uid,"
	    " body_id, flags, modseq, internal_date, size, keywords) SELECT "
	    "?1, ?2, body_id, flags, ?3, internal_date, size, keywords FROM "
	    "messages WHERE mailbox_id = ?4 AND uid = ?5", NULL);
	if (cc->ins == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (t->uidnext >= UINT32_MAX)
			return -1;
		sqlite3_bind_int64(cc->ins, 1, t->id);
		sqlite3_bind_int64(cc->ins, 2, t->uidnext);
		sqlite3_bind_int64(cc->ins, 3, (int64_t)t->modseq);
		sqlite3_bind_int64(cc->ins, 4, from_id);
		sqlite3_bind_int64(cc->ins, 5, uids[i]);
		rc = sqlite3_step(cc->ins) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(cc->ins);
		if (rc == 0 && sqlite3_changes(db) == 1) {
			cc->src[cc->n] = uids[i];
			cc->dst[cc->n++] = t->uidnext++;
		}
	}
	return rc;
}

static int
move_rows(sqlite3 *db, int64_t from_id, struct copy_ctx *cc)
{
	size_t i;
	int rc = 0;

	cc->del = store_db_prepare(db, "DELETE FROM messages WHERE "
	    "mailbox_id = ? AND uid = ?", NULL);
	if (cc->del == NULL)
		return -1;
	for (i = 0; i < cc->n && rc == 0; i++) {
		sqlite3_bind_int64(cc->del, 1, from_id);
		sqlite3_bind_int64(cc->del, 2, cc->src[i]);
		rc = sqlite3_step(cc->del) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(cc->del);
	}
	/* RFC 7162 3.2.10.1: the expunge in the source raises its modseq. */
	if (rc == 0 && cc->n > 0)
		rc = store_db_exec_id(db, "UPDATE mailboxes SET highestmodseq ="
		    " highestmodseq + 1 WHERE id = ?", from_id, NULL);
	if (rc == 0 && cc->n > 0)
		rc = lite_vanished_bound(db, from_id, STORE_VANISHED_KEEP);
	return rc;
}

static int
keywords_copy(sqlite3 *db, int64_t from_id, int64_t to_id)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "INSERT OR IGNORE INTO keywords SELECT "
	    "?, name FROM keywords WHERE mailbox_id = ?", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, to_id);
	sqlite3_bind_int64(stmt, 2, from_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
copy_txn(sqlite3 *db, int64_t from_id, int64_t to_id, const uint32_t *uids,
    size_t n, bool is_move, struct copy_ctx *cc, uint32_t *uidvalidity)
{
	struct store_target t;
	int rc;

	if ((rc = lite_target_get(db, to_id, &t)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	*uidvalidity = t.uidvalidity;
	rc = copy_rows(db, from_id, &t, uids, n, cc);
	if (rc == 0 && cc->n > 0)
		rc = target_bump(db, &t);
	if (rc == 0 && cc->n > 0 && from_id != to_id)
		rc = keywords_copy(db, from_id, to_id);
	if (rc == 0 && is_move)
		rc = move_rows(db, from_id, cc);
	return rc;
}

int
lite_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
    const uint32_t *uids, size_t n, bool is_move, uint32_t *uidvalidity_out,
    uint32_t **src_out, uint32_t **dst_out, size_t *n_out, char **err_out)
{
	struct copy_ctx cc;
	sqlite3 *db;
	int rc;

	memset(&cc, 0, sizeof(cc));
	cc.src = xcalloc(n ? n : 1, sizeof(*cc.src));
	cc.dst = xcalloc(n ? n : 1, sizeof(*cc.dst));
	if ((db = store_db(st)) == NULL)
		rc = store_err(err_out, "store: cannot open the database");
	else if ((rc = store_db_begin(db, err_out)) == 0)
		rc = copy_txn(db, from_id, to_id, uids, n, is_move, &cc,
		    uidvalidity_out);
	sqlite3_finalize(cc.ins);
	sqlite3_finalize(cc.del);
	if (rc == 0 && store_db_commit(db, err_out) == 0) {
		*src_out = cc.src;
		*dst_out = cc.dst;
		*n_out = cc.n;
		store_notify_mailbox(st, to_id);
		return 0;
	}
	if (db != NULL && !sqlite3_get_autocommit(db)) {
		if (rc == -1)
			store_err(err_out, "%s", sqlite3_errmsg(db));
		store_db_rollback(db);
	}
	free(cc.src);
	free(cc.dst);
	return rc == 0 ? -1 : rc;
}
