/* What the store's and the queue's SQLite helpers share: the words of a
 * failed statement's report, and a prepare that leaves nothing behind.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SQLITE_ERR_H
#define PETREL_SQLITE_ERR_H

#include <sqlite3.h>

/* A heap string "what: reason" for db's last error: "disk full" for
 * SQLITE_FULL, busy (the caller's word) for SQLITE_BUSY and SQLITE_LOCKED,
 * else SQLite's message. */
char		*sqlite_err_str(sqlite3 *db, const char *what,
		    const char *busy);
/* Prepare sql on db: the statement, or NULL with db's error left for the
 * caller to report. */
sqlite3_stmt	*sqlite_err_prepare(sqlite3 *db, const char *sql);

#endif
