/* Inside the store's IMAP additions: prepared statements kept per thread.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_STMT_H
#define PETREL_STORE_STMT_H

#include <sqlite3.h>

/* The statement for sql on db, prepared once per thread and kept: sql
 * must be a string literal (its address is the key). It comes reset with
 * no bindings; the caller steps it and must not finalize it. NULL when
 * it cannot be prepared. */
sqlite3_stmt	*store_stmt(sqlite3 *db, const char *sql);

#endif
