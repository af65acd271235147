/* Mailboxes and their messages: lookup, listing in UID order, opening a
 * body, and expunge (RFC 3501 6.4.3) in one transaction.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

/* The mailbox, with the count of its messages (a walk of an index) when
 * with_count. */
static int
mailbox_find(struct store *st, int64_t user_id, const char *name,
    bool with_count, struct store_mailbox *out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	/* INBOX is case-insensitive, RFC 3501 5.1. */
	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	if ((db = store_db(st)) == NULL)
		return -1;
	/* Cached statements: the webmail looks a folder up per request. */
	stmt = store_stmt(db, with_count ? "SELECT id, uidvalidity, "
	    "uidnext, highestmodseq, (SELECT count(*) FROM messages "
	    "WHERE mailbox_id = mailboxes.id) FROM mailboxes "
	    "WHERE user_id = ? AND name = ?" : "SELECT id, uidvalidity, "
	    "uidnext, highestmodseq, 0 FROM mailboxes "
	    "WHERE user_id = ? AND name = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && out != NULL) {
		out->id = sqlite3_column_int64(stmt, 0);
		out->user_id = user_id;
		(void)str_copy(out->name, name, sizeof(out->name));
		out->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 1);
		out->uidnext = (uint32_t)sqlite3_column_int64(stmt, 2);
		out->highestmodseq = (uint64_t)sqlite3_column_int64(stmt, 3);
		out->count = (uint32_t)sqlite3_column_int64(stmt, 4);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
lite_mailbox_find(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return mailbox_find(st, user_id, name, true, out);
}

int
lite_mailbox_lookup(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return mailbox_find(st, user_id, name, false, out);
}

static void
msg_read(sqlite3_stmt *stmt, struct store_msg *m)
{
	m->id = sqlite3_column_int64(stmt, 0);
	m->body_id = sqlite3_column_int64(stmt, 1);
	m->uid = (uint32_t)sqlite3_column_int64(stmt, 2);
	m->flags = (uint32_t)sqlite3_column_int64(stmt, 3);
	m->size = (uint64_t)sqlite3_column_int64(stmt, 4);
	m->modseq = (uint64_t)sqlite3_column_int64(stmt, 5);
	m->internal_date = sqlite3_column_int64(stmt, 6);
}

int
lite_mailbox_messages(struct store *st, int64_t mailbox_id,
    struct store_msg **msgs_out, size_t *n_out)
{
	struct store_msg *msgs = NULL;
	sqlite3_stmt *stmt;
	size_t n = 0, cap = 0;
	sqlite3 *db;
	int rc;

	*msgs_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT id, body_id, uid, flags, size, "
	    "modseq, internal_date FROM messages WHERE mailbox_id = ? "
	    "ORDER BY uid", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			msgs = xreallocarray(msgs, cap, sizeof(*msgs));
		}
		msg_read(stmt, &msgs[n++]);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		free(msgs);
		return -1;
	}
	*msgs_out = msgs;
	*n_out = n;
	return 0;
}

int
lite_msg_open(struct store *st, const struct store_msg *msg)
{
	sqlite3 *db;

	if ((db = store_db(st)) == NULL)
		return -1;
	return store_body_open(st, db, msg->body_id);
}

/* Delete the messages, collecting their bodies' ids. UIDs not (or no
 * longer) in the mailbox are skipped: another session may have expunged
 * them first. */
static int
expunge_uids(sqlite3 *db, int64_t mailbox_id, const uint32_t *uids,
    size_t n, int64_t **ids, size_t *n_ids)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc = SQLITE_DONE;

	stmt = store_db_prepare(db, "DELETE FROM messages WHERE "
	    "mailbox_id = ? AND uid = ? RETURNING body_id", NULL);
	if (stmt == NULL)
		return -1;
	*ids = xreallocarray(NULL, n, sizeof(**ids));
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, mailbox_id);
		sqlite3_bind_int64(stmt, 2, uids[i]);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			(*ids)[(*n_ids)++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
expunge_txn(sqlite3 *db, int64_t mailbox_id, const uint32_t *uids,
    size_t n, char ***names, size_t *n_names, char **err_out)
{
	int64_t *ids = NULL;
	size_t n_ids = 0;
	int rc;

	/* RFC 7162 3.2.10.1: an expunge raises the mailbox's modseq; this
	 * also tells us whether the mailbox exists. */
	rc = store_db_exec_id(db, "UPDATE mailboxes SET highestmodseq = "
	    "highestmodseq + 1 WHERE id = ?", mailbox_id, err_out);
	if (rc == 0 && sqlite3_changes(db) == 0)
		return store_err(err_out, "no mailbox with id %lld",
		    (long long)mailbox_id);
	if (rc == 0 && (expunge_uids(db, mailbox_id, uids, n, &ids,
	    &n_ids) == -1 || lite_vanished_bound(db, mailbox_id,
	    STORE_VANISHED_KEEP) == -1))
		rc = store_err(err_out, "%s", sqlite3_errmsg(db));
	if (rc == 0)
		rc = store_db_bodies_gc(db, ids, n_ids, names, n_names,
		    err_out);
	free(ids);
	return rc;
}

static int
expunge_once(struct store *st, sqlite3 *db, int64_t mailbox_id,
    const uint32_t *uids, size_t n, char **err_out)
{
	char **names = NULL;
	size_t n_names = 0;

	if (store_db_begin(db, err_out) == -1)
		return -1;
	if (expunge_txn(db, mailbox_id, uids, n, &names, &n_names,
	    err_out) == -1 || store_db_commit(db, err_out) == -1) {
		store_db_rollback(db);
		store_strings_free(names, n_names);
		return -1;
	}
	/* After the commit: a crash before this leaves only orphan files. */
	store_msgfile_unlink_names(st, names, n_names);
	return 0;
}

int
lite_msgs_expunge(struct store *st, int64_t mailbox_id,
    const uint32_t *uids, size_t n, char **err_out)
{
	char *err = NULL;
	sqlite3 *db;
	int rc;

	if (n == 0)
		return 0;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	rc = expunge_once(st, db, mailbox_id, uids, n, &err);
	if (rc == -1 && sqlite3_errcode(db) == SQLITE_FULL &&
	    store_reserve_release(st)) {
		/* Deleting is how a full disk gets room again. */
		free(err);
		err = NULL;
		rc = expunge_once(st, db, mailbox_id, uids, n, &err);
	}
	if (rc == 0)
		store_reserve_take(st);
	if (err_out != NULL)
		*err_out = err;
	else
		free(err);
	return rc;
}
