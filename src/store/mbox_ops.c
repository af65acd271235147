/* Mailbox management for IMAP: listing, CREATE with missing parents,
 * DELETE that keeps a name with children as \Noselect, RENAME with its
 * children and the INBOX rule (RFC 3501 6.3.3-6.3.5), and subscriptions
 * (RFC 3501 6.3.6-6.3.7). Hierarchy names are split at '/'.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

static char *
col_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

int
lite_mailbox_list(struct store *st, int64_t user_id,
    struct store_mailbox_info **out, size_t *n_out)
{
	struct store_mailbox_info *v = NULL, *mi;
	size_t n = 0, cap = 0;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT id, name, special_use, noselect, "
	    "EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = "
	    "m.user_id AND s.name = m.name) FROM mailboxes m "
	    "WHERE user_id = ? ORDER BY name", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		mi = &v[n++];
		mi->id = sqlite3_column_int64(stmt, 0);
		mi->name = col_strdup(stmt, 1);
		mi->special_use = col_strdup(stmt, 2);
		mi->is_noselect = sqlite3_column_int(stmt, 3) != 0;
		mi->is_subscribed = sqlite3_column_int(stmt, 4) != 0;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_mailbox_list_free(v, n);
		return -1;
	}
	*out = v;
	*n_out = n;
	return 0;
}

void
store_mailbox_list_free(struct store_mailbox_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].special_use);
	}
	free(v);
}

/* Step stmt once and finalize it: 0 when it ran to its end, else -1
 * with SQLite's message. */
static int
step_once(sqlite3 *db, sqlite3_stmt *stmt, char **err_out)
{
	int rc;

	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	return 0;
}

/* 1 with *id and *is_noselect set, 0 when absent, -1 on error. */
static int
mbox_lookup(sqlite3 *db, int64_t user_id, const char *name, int64_t *id,
    bool *is_noselect)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "SELECT id, noselect FROM mailboxes "
	    "WHERE user_id = ? AND name = ?", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		*is_noselect = sqlite3_column_int(stmt, 1) != 0;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
mbox_insert(sqlite3 *db, int64_t user_id, const char *name,
    const char *special_use, char **err_out)
{
	sqlite3_stmt *stmt;
	uint32_t uidvalidity;

	if (store_db_uidvalidity(db, &uidvalidity, err_out) == -1)
		return -1;
	stmt = store_db_prepare(db, "INSERT INTO mailboxes(user_id, name, "
	    "special_use, uidvalidity, subscribed) VALUES (?, ?, ?, ?, 0)",
	    err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	if (special_use != NULL)
		sqlite3_bind_text(stmt, 3, special_use, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, uidvalidity);
	return step_once(db, stmt, err_out);
}

static int
set_uidvalidity(sqlite3 *db, int64_t id, uint32_t uidvalidity,
    char **err_out)
{
	sqlite3_stmt *stmt;

	stmt = store_db_prepare(db, "UPDATE mailboxes SET noselect = 0, "
	    "uidvalidity = ? WHERE id = ?", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, uidvalidity);
	sqlite3_bind_int64(stmt, 2, id);
	return step_once(db, stmt, err_out);
}

/* Create one level; a \Noselect name becomes selectable again with a
 * fresh UIDVALIDITY (RFC 3501 6.3.4). */
static int
create_one(sqlite3 *db, int64_t user_id, const char *name,
    const char *special_use, bool is_last, char **err_out)
{
	bool is_noselect = false;
	uint32_t uidvalidity;
	int64_t id;
	int rc;

	rc = mbox_lookup(db, user_id, name, &id, &is_noselect);
	if (rc == -1)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	if (rc == 0)
		return mbox_insert(db, user_id, name, is_last ? special_use :
		    NULL, err_out);
	if (!is_noselect)
		return is_last ? STORE_EXISTS : 0;
	if (!is_last)
		return 0;
	if (store_db_uidvalidity(db, &uidvalidity, err_out) == -1)
		return -1;
	return set_uidvalidity(db, id, uidvalidity, err_out);
}

struct parent_ctx {
	sqlite3	 *db;
	int64_t	  user_id;
	char	**err_out;
};

static int
create_parent(void *arg, const char *name)
{
	struct parent_ctx *pc = arg;

	return create_one(pc->db, pc->user_id, name, NULL, false,
	    pc->err_out);
}

/* RFC 3501 6.3.3: create the superior names of name as well. */
static int
create_parents(sqlite3 *db, int64_t user_id, const char *name,
    char **err_out)
{
	struct parent_ctx pc = { db, user_id, err_out };

	return store_name_parents(name, create_parent, &pc);
}

int
lite_mailbox_create(struct store *st, int64_t user_id, const char *name,
    const char *special_use, char **err_out)
{
	sqlite3 *db;
	int rc;

	if (strcasecmp(name, "INBOX") == 0)
		return STORE_EXISTS;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	if (store_db_begin(db, err_out) == -1)
		return -1;
	rc = create_parents(db, user_id, name, err_out);
	if (rc == 0)
		rc = create_one(db, user_id, name, special_use, true, err_out);
	if (rc == 0 && store_db_commit(db, err_out) == 0)
		return 0;
	store_db_rollback(db);
	return rc == 0 ? -1 : rc;
}

/* 1 when name has children, 0 when not, -1 on error. */
static int
has_children(sqlite3 *db, int64_t user_id, const char *name)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "SELECT 1 FROM mailboxes WHERE "
	    "user_id = ?1 AND substr(name, 1, length(?2) + 1) = ?2 || '/' "
	    "LIMIT 1", NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Remove every message of the mailbox, collecting bodies to delete. */
static int
empty_mailbox(sqlite3 *db, int64_t id, char ***names, size_t *n_names,
    char **err_out)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "DELETE FROM messages WHERE "
	    "mailbox_id = ? RETURNING body_id", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		rc = store_err(err_out, "%s", sqlite3_errmsg(db));
	else
		rc = store_db_bodies_gc(db, ids, n, names, n_names, err_out);
	free(ids);
	return rc;
}

static int
delete_txn(sqlite3 *db, int64_t user_id, const char *name, char ***names,
    size_t *n_names, char **err_out)
{
	bool is_noselect = false;
	int64_t id;
	int rc, kids;

	rc = mbox_lookup(db, user_id, name, &id, &is_noselect);
	if (rc != 1)
		return rc == 0 ? STORE_NOTFOUND : store_err(err_out, "%s",
		    sqlite3_errmsg(db));
	if ((kids = has_children(db, user_id, name)) == -1)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	/* RFC 3501 6.3.4: a \Noselect name with children cannot go. */
	if (kids && is_noselect)
		return STORE_REFUSED;
	if (empty_mailbox(db, id, names, n_names, err_out) == -1)
		return -1;
	if (kids && lite_vanished_bound(db, id, STORE_VANISHED_KEEP) == -1)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	if (kids)
		return store_db_exec_id(db, "UPDATE mailboxes SET noselect = 1,"
		    " highestmodseq = highestmodseq + 1 WHERE id = ?", id,
		    err_out);
	return store_db_exec_id(db, "DELETE FROM mailboxes WHERE id = ?", id,
	    err_out);
}

int
lite_mailbox_delete(struct store *st, int64_t user_id, const char *name,
    char **err_out)
{
	char **names = NULL;
	size_t n_names = 0;
	sqlite3 *db;
	int rc;

	if (strcasecmp(name, "INBOX") == 0)
		return STORE_REFUSED;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	if (store_db_begin(db, err_out) == -1)
		return -1;
	rc = delete_txn(db, user_id, name, &names, &n_names, err_out);
	if (rc == 0 && store_db_commit(db, err_out) == 0) {
		store_msgfile_unlink_names(st, names, n_names);
		store_notify_user(st, user_id);
		return 0;
	}
	store_db_rollback(db);
	store_strings_free(names, n_names);
	return rc == 0 ? -1 : rc;
}

static int
exec_rename(sqlite3 *db, const char *sql, int64_t user_id, const char *from,
    const char *to, char **err_out)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = store_db_prepare(db, sql, err_out)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, to, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	return 0;
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and
 * leaves INBOX empty; its UIDs stay used. */
static int
rename_inbox(sqlite3 *db, int64_t user_id, int64_t inbox_id, const char *to,
    char **err_out)
{
	static const char move[] = "UPDATE messages SET mailbox_id = "
	    "(SELECT id FROM mailboxes WHERE user_id = ?1 AND name = ?3) "
	    "WHERE mailbox_id = (SELECT id FROM mailboxes WHERE "
	    "user_id = ?1 AND name = ?2)";
	static const char bump[] = "UPDATE mailboxes SET (uidnext, "
	    "highestmodseq) = (SELECT uidnext, highestmodseq + 1 FROM "
	    "mailboxes WHERE user_id = ?1 AND name = ?2) "
	    "WHERE user_id = ?1 AND name = ?3";
	static const char inbox[] = "UPDATE mailboxes SET highestmodseq = "
	    "highestmodseq + 1 WHERE user_id = ?1 AND name = ?2 AND ?3 "
	    "IS NOT NULL";

	if (exec_rename(db, move, user_id, "INBOX", to, err_out) == -1 ||
	    exec_rename(db, bump, user_id, "INBOX", to, err_out) == -1 ||
	    exec_rename(db, inbox, user_id, "INBOX", to, err_out) == -1)
		return -1;
	if (lite_vanished_bound(db, inbox_id, STORE_VANISHED_KEEP) == -1)
		return store_err(err_out, "%s", sqlite3_errmsg(db));
	return 0;
}

static int
rename_txn(sqlite3 *db, int64_t user_id, const char *from, const char *to,
    char **err_out)
{
	static const char names[] = "UPDATE mailboxes SET name = ?3 || "
	    "substr(name, length(?2) + 1) WHERE user_id = ?1 AND (name = ?2 "
	    "OR substr(name, 1, length(?2) + 1) = ?2 || '/')";
	static const char subs[] = "UPDATE OR REPLACE subscriptions SET "
	    "name = ?3 || substr(name, length(?2) + 1) WHERE user_id = ?1 "
	    "AND (name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || '/')";
	bool is_noselect;
	int64_t from_id, id;
	int rc;

	rc = mbox_lookup(db, user_id, from, &from_id, &is_noselect);
	if (rc != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	rc = mbox_lookup(db, user_id, to, &id, &is_noselect);
	if (rc != 0)
		return rc == 1 ? STORE_EXISTS : -1;
	if (has_children(db, user_id, to) == 1)
		return STORE_EXISTS;
	if (strcmp(from, "INBOX") == 0) {
		if (mbox_insert(db, user_id, to, NULL, err_out) == -1)
			return -1;
		return rename_inbox(db, user_id, from_id, to, err_out);
	}
	if (exec_rename(db, names, user_id, from, to, err_out) == -1 ||
	    exec_rename(db, subs, user_id, from, to, err_out) == -1)
		return -1;
	return 0;
}

int
lite_mailbox_rename(struct store *st, int64_t user_id, const char *from,
    const char *to, char **err_out)
{
	sqlite3 *db;
	int rc;

	if ((rc = store_name_rename_check(&from, to)) != 0)
		return rc;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	if (store_db_begin(db, err_out) == -1)
		return -1;
	rc = create_parents(db, user_id, to, err_out);
	if (rc == 0)
		rc = rename_txn(db, user_id, from, to, err_out);
	if (rc == 0 && store_db_commit(db, err_out) == 0) {
		store_notify_user(st, user_id);
		return 0;
	}
	store_db_rollback(db);
	return rc == 0 ? -1 : rc;
}

int
lite_subscription_list(struct store *st, int64_t user_id,
    char ***names_out, size_t *n_out)
{
	return store_db_strings_of(st, "SELECT name FROM subscriptions WHERE "
	    "user_id = ? ORDER BY name", user_id, names_out, n_out);
}

int
lite_subscription_set(struct store *st, int64_t user_id, const char *name,
    bool is_on, char **err_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, is_on ? "INSERT OR IGNORE INTO "
	    "subscriptions(user_id, name) VALUES (?, ?)" : "DELETE FROM "
	    "subscriptions WHERE user_id = ? AND name = ?", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	return step_once(db, stmt, err_out);
}

int
lite_mailbox_set_uids(struct store *st, int64_t mailbox_id,
    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
    char **err_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (uidvalidity == 0 || uidnext == 0)
		return store_err(err_out, "UIDVALIDITY and UIDNEXT must not "
		    "be 0");
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	/* UIDs only ever grow within one UIDVALIDITY (RFC 3501 2.3.1.1):
	 * uidnext must stay above every UID the mailbox holds. Nothing is
	 * \Recent after the move: the mark goes to uidnext. */
	stmt = store_db_prepare(db, "UPDATE mailboxes SET uidvalidity = ?1, "
	    "uidnext = ?2, recent_uid = ?2, highestmodseq = "
	    "max(highestmodseq, ?3) WHERE id = ?4 AND ?2 > coalesce((SELECT "
	    "max(uid) FROM messages WHERE mailbox_id = ?4), 0)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, uidvalidity);
	sqlite3_bind_int64(stmt, 2, uidnext);
	sqlite3_bind_int64(stmt, 3, (int64_t)highestmodseq);
	sqlite3_bind_int64(stmt, 4, mailbox_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "mailbox %lld is gone or holds UIDs "
		    "from %u up", (long long)mailbox_id, uidnext);
	return 0;
}
