/* The words of a failed SQLite statement's report and a prepare that
 * cleans up after itself, shared by the store (store/db.c) and the queue
 * (queue/db.c), which differ only in the words they put around them.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>

#include <sqlite3.h>

#include "lib/sqlite_err.h"
#include "lib/xalloc.h"

char *
sqlite_err_str(sqlite3 *db, const char *what, const char *busy)
{
	switch (sqlite3_errcode(db) & 0xff) {
	case SQLITE_FULL:
		return xasprintf("%s: disk full", what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return xasprintf("%s: %s", what, busy);
	default:
		return xasprintf("%s: %s", what, sqlite3_errmsg(db));
	}
}

sqlite3_stmt *
sqlite_err_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}
