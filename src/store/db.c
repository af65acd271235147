/* Small SQL helpers shared by the store's files: statements, transactions,
 * error strings, lists of strings and of UIDs, UIDVALIDITY and the removal
 * of unreferenced bodies.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lib/sqlite_err.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

char *
store_db_errstr(sqlite3 *db, const char *what)
{
	return sqlite_err_str(db, what, "store busy");
}

int
store_db_fail(sqlite3 *db, const char *what, char **err_out)
{
	if (err_out != NULL)
		*err_out = store_db_errstr(db, what);
	return -1;
}

int
store_db_step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what,
    char **err_out)
{
	int rc;

	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_db_fail(db, what, err_out);
	return 0;
}

int
store_db_exec(sqlite3 *db, const char *sql, char **err_out)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_db_fail(db, "store", err_out);
	return 0;
}

int
store_db_begin(sqlite3 *db, char **err_out)
{
	/* IMMEDIATE takes the write lock now, so the busy timeout applies;
	 * a deferred transaction that upgrades later fails at once. */
	return store_db_exec(db, "BEGIN IMMEDIATE", err_out);
}

int
store_db_commit(sqlite3 *db, char **err_out)
{
	if (store_db_exec(db, "COMMIT", err_out) == -1) {
		store_db_rollback(db);
		return -1;
	}
	return 0;
}

void
store_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
store_db_prepare(sqlite3 *db, const char *sql, char **err_out)
{
	sqlite3_stmt *stmt;

	if ((stmt = sqlite_err_prepare(db, sql)) == NULL)
		(void)store_db_fail(db, "store", err_out);
	return stmt;
}

int
store_db_uidvalidity(sqlite3 *db, uint32_t *out, char **err_out)
{
	sqlite3_stmt *stmt;
	int64_t last = 0, now = (int64_t)time(NULL);

	/* Time-based like most servers, but never the same twice: a mailbox
	 * deleted and made again within a second must change it (RFC 3501
	 * 2.3.1.1). */
	stmt = store_db_prepare(db, "SELECT value FROM meta WHERE "
	    "key = 'uidvalidity'", err_out);
	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		last = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (now <= last)
		now = last + 1;
	if (now > UINT32_MAX)
		now = 1;
	stmt = store_db_prepare(db, "INSERT OR REPLACE INTO meta(key, value) "
	    "VALUES ('uidvalidity', ?)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	if (store_db_step_done(db, stmt, "store", err_out) == -1)
		return -1;
	*out = (uint32_t)now;
	return 0;
}

void
store_db_bind_body(sqlite3_stmt *stmt, int col, const void *p, size_t len)
{
	if (len == 0)
		sqlite3_bind_zeroblob(stmt, col, 0);
	else
		sqlite3_bind_blob(stmt, col, p, (int)len, SQLITE_STATIC);
}

static int
body_gc_one(sqlite3_stmt *del, int64_t id, char ***names, size_t *n_names)
{
	int rc;

	sqlite3_reset(del);
	sqlite3_bind_int64(del, 1, id);
	while ((rc = sqlite3_step(del)) == SQLITE_ROW) {
		if (sqlite3_column_int(del, 1))
			continue;	/* inline: gone with its row */
		*names = xreallocarray(*names, *n_names + 1, sizeof(**names));
		(*names)[(*n_names)++] = xstrdup((const char *)
		    sqlite3_column_text(del, 0));
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_db_bodies_gc(sqlite3 *db, const int64_t *ids, size_t n,
    char ***names, size_t *n_names, char **err_out)
{
	sqlite3_stmt *del;
	size_t i;
	int rc = 0;

	del = store_db_prepare(db, "DELETE FROM bodies WHERE id = ? AND "
	    "NOT EXISTS (SELECT 1 FROM messages WHERE body_id = bodies.id) "
	    "RETURNING name, data IS NOT NULL", err_out);
	if (del == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = body_gc_one(del, ids[i], names, n_names);
	if (rc == -1)
		(void)store_db_fail(db, "store", err_out);
	sqlite3_finalize(del);
	return rc;
}

int
store_db_strings(sqlite3_stmt *stmt, char ***out, size_t *n_out)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n_out + 1, sizeof(**out));
		(*out)[(*n_out)++] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_strings_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
		return -1;
	}
	return 0;
}

int
store_db_strings_of(struct store *st, const char *sql, int64_t id,
    char ***out, size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	if ((stmt = store_db_prepare(db, sql, NULL)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_db_strings(stmt, out, n_out);
}

int
store_db_uids(sqlite3_stmt *stmt, size_t first_cap, uint32_t **uids_out,
    size_t *n_out)
{
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : first_cap;
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

int
store_db_exec_id(sqlite3 *db, const char *sql, int64_t id, char **err_out)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = store_db_prepare(db, sql, err_out)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_db_fail(db, "store", err_out);
	return 0;
}
