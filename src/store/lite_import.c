/* Accounts and mailboxes written by a store copy (store_copy.c) into the
 * SQLite store, with the source's own password hash and UID numbers;
 * messages go through append.c (lite_copy_message).
 * SPDX-License-Identifier: ISC */
#include <time.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* The id of a row the query with ?1 bound to text finds: 1, 0 or -1. */
static int
id_find(sqlite3 *db, const char *sql, int64_t key, const char *text,
    int64_t *id_out)
{
	sqlite3_stmt *stmt = store_db_prepare(db, sql, NULL);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, key);
	sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
lite_copy_user(struct store *st, const char *address, const char *hash,
    int64_t *id_out, char **err_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, "INSERT OR IGNORE INTO users(domain_id, "
	    "address, password, created) SELECT id, ?, ?, ? FROM domains "
	    "WHERE name = ?", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (int64_t)time(NULL));
	sqlite3_bind_text(stmt, 4, store_address_domain(address), -1,
	    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	rc = id_find(db, "SELECT id FROM users WHERE ?1 = 0 AND address = ?2",
	    0, address, id_out);
	if (rc != 1)
		return rc == 0 ? store_err(err_out, "no domain %s",
		    store_address_domain(address)) : store_err(err_out,
		    "store: %s", sqlite3_errmsg(db));
	return 0;
}

int
lite_copy_mailbox(struct store *st, int64_t user_id,
    const struct store_copy_mailbox *mb, int64_t *id_out, char **err_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, "INSERT INTO mailboxes(user_id, name, "
	    "special_use, uidvalidity, uidnext, highestmodseq, noselect, "
	    "subscribed) VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT "
	    "(user_id, name) DO UPDATE SET uidnext = max(uidnext, "
	    "excluded.uidnext), highestmodseq = max(highestmodseq, "
	    "excluded.highestmodseq)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, mb->name, -1, SQLITE_STATIC);
	if (mb->special_use != NULL)
		sqlite3_bind_text(stmt, 3, mb->special_use, -1,
		    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, mb->uidvalidity);
	sqlite3_bind_int64(stmt, 5, mb->uidnext);
	sqlite3_bind_int64(stmt, 6, (int64_t)mb->highestmodseq);
	sqlite3_bind_int(stmt, 7, mb->is_noselect);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE ||
	    id_find(db, "SELECT id FROM mailboxes WHERE user_id = ?1 AND "
	    "name = ?2", user_id, mb->name, id_out) != 1)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	return 0;
}
