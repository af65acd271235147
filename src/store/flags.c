/* Flags and keywords of messages (RFC 3501 6.4.6 STORE) with CONDSTORE
 * mod-sequences (RFC 7162 3.1): every change raises the mailbox's
 * HIGHESTMODSEQ and gives the messages changed by one call that value.
 * Keywords are kept per message as a space-separated list (flagmath.c
 * computes the new values), and per mailbox in the keywords table for
 * the FLAGS response.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

struct flags_ctx {
	sqlite3_stmt		*get;
	sqlite3_stmt		*set;
	sqlite3_stmt		*kw;
	struct store_flags_change ch;
	uint64_t		 unchangedsince;
	uint64_t		 modseq;	/* the new value */
};

/* Update one message; 1 when it exists (result filled), 0 when not. */
static int
update_one(struct flags_ctx *fc, uint32_t uid, struct store_flags_result *r)
{
	int rc;

	sqlite3_bind_int64(fc->get, 2, uid);
	rc = sqlite3_step(fc->get);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(fc->get);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->flags = (uint32_t)sqlite3_column_int64(fc->get, 0);
	r->keywords = xstrdup((const char *)sqlite3_column_text(fc->get, 1));
	r->modseq = (uint64_t)sqlite3_column_int64(fc->get, 2);
	sqlite3_reset(fc->get);
	if (!store_flags_result_apply(&fc->ch, fc->unchangedsince, fc->modseq,
	    r))
		return 1;
	sqlite3_bind_int64(fc->set, 1, r->flags);
	sqlite3_bind_text(fc->set, 2, r->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(fc->set, 3, (int64_t)fc->modseq);
	sqlite3_bind_int64(fc->set, 5, uid);
	rc = sqlite3_step(fc->set);
	sqlite3_reset(fc->set);
	return rc == SQLITE_DONE ? 1 : -1;
}

static int
prepare(sqlite3 *db, struct flags_ctx *fc, int64_t mailbox_id)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_stmt(db, "SELECT highestmodseq FROM mailboxes "
	    "WHERE id = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	rc = sqlite3_step(stmt);
	fc->modseq = (uint64_t)sqlite3_column_int64(stmt, 0) + 1;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return -1;
	fc->get = store_stmt(db, "SELECT flags, keywords, modseq FROM "
	    "messages WHERE mailbox_id = ? AND uid = ?");
	fc->set = store_stmt(db, "UPDATE messages SET flags = ?, "
	    "keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?");
	fc->kw = store_stmt(db, "INSERT OR IGNORE INTO keywords "
	    "VALUES (?, ?)");
	if (fc->get == NULL || fc->set == NULL || fc->kw == NULL)
		return -1;
	sqlite3_bind_int64(fc->get, 1, mailbox_id);
	sqlite3_bind_int64(fc->set, 4, mailbox_id);
	sqlite3_bind_int64(fc->kw, 1, mailbox_id);
	return 0;
}

static int
finish(sqlite3 *db, struct flags_ctx *fc, int64_t mailbox_id,
    bool is_changed)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc = 0;

	if (!is_changed)
		return 0;
	for (i = 0; i < fc->ch.n_keywords && fc->ch.op != STORE_FLAGS_REMOVE;
	    i++) {
		sqlite3_bind_text(fc->kw, 2, fc->ch.keywords[i], -1,
		    SQLITE_STATIC);
		if (sqlite3_step(fc->kw) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(fc->kw);
	}
	if (rc == 0 && (stmt = store_stmt(db, "UPDATE mailboxes SET "
	    "highestmodseq = highestmodseq + 1 WHERE id = ?")) != NULL) {
		sqlite3_bind_int64(stmt, 1, mailbox_id);
		rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(stmt);
	} else
		rc = -1;
	return rc;
}

/* Run one cached statement that returns no rows. */
static int
exec_cached(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = store_stmt(db, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
update_txn(sqlite3 *db, struct flags_ctx *fc, int64_t mailbox_id,
    const uint32_t *uids, size_t n, struct store_flags_result *res,
    size_t *n_res)
{
	bool is_changed = false;
	size_t i;
	int rc = 0;

	if (prepare(db, fc, mailbox_id) == -1)
		rc = -1;
	for (i = 0; i < n && rc != -1; i++) {
		rc = update_one(fc, uids[i], &res[*n_res]);
		if (rc == 1)
			is_changed |= res[(*n_res)++].is_changed;
	}
	if (rc != -1)
		rc = finish(db, fc, mailbox_id, is_changed);
	sqlite3_reset(fc->get);
	sqlite3_reset(fc->set);
	sqlite3_reset(fc->kw);
	return rc == -1 ? -1 : is_changed;
}

int
lite_flags_update(struct store *st, int64_t mailbox_id,
    const uint32_t *uids, size_t n, enum store_flags_op op, uint32_t flags,
    const char *const *keywords, size_t n_keywords, uint64_t unchangedsince,
    struct store_flags_result **out, size_t *n_out, char **err_out)
{
	struct flags_ctx fc;
	struct store_flags_result *res;
	size_t n_res = 0;
	sqlite3 *db;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	memset(&fc, 0, sizeof(fc));
	fc.ch.op = op;
	fc.ch.flags = flags;
	fc.ch.keywords = keywords;
	fc.ch.n_keywords = n_keywords;
	fc.unchangedsince = unchangedsince;
	res = xcalloc(n ? n : 1, sizeof(*res));
	/* Not fsynced on its own: see store.h. */
	(void)exec_cached(db, "PRAGMA synchronous=NORMAL");
	rc = exec_cached(db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = update_txn(db, &fc, mailbox_id, uids, n, res, &n_res);
	if (rc >= 0 && exec_cached(db, "COMMIT") == 0) {
		(void)exec_cached(db, "PRAGMA synchronous=FULL");
		if (rc == 1)
			store_notify_mailbox(st, mailbox_id);
		*out = res;
		*n_out = n_res;
		return 0;
	}
	if (!sqlite3_get_autocommit(db))
		store_db_rollback(db);
	(void)exec_cached(db, "PRAGMA synchronous=FULL");
	store_flags_results_free(res, n_res);
	return store_err(err_out, "%s", sqlite3_errmsg(db));
}

void
store_flags_results_free(struct store_flags_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].keywords);
	free(r);
}
