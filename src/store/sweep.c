/* The start-up sweep: a crash between giving a body file its final name
 * and the transaction that refers to it leaves a file no message uses
 * (inline bodies are written in that transaction and cannot be orphans).
 * When the store is opened by the only process that has it, such files are
 * removed, so that crashes cannot make the data directory grow.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "lib/dir_sweep.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

void
store_sweep_orphans(struct store *st)
{
	sqlite3_stmt *stmt;
	char **names = NULL, *dir;
	size_t n = 0, removed = 0;
	unsigned i;
	sqlite3 *db;

	if ((db = store_db(st)) == NULL)
		return;
	stmt = store_db_prepare(db, "SELECT name FROM bodies WHERE data IS NULL",
	    NULL);
	if (stmt == NULL || store_db_strings(stmt, &names, &n) == -1) {
		log_warnx("store event=sweep error=\"cannot list bodies\"");
		return;
	}
	dir_sweep_sort(names, n);
	for (i = 0; i < 256; i++) {
		dir = xasprintf("%s/bodies/%02x", lite_of(st)->dir, i);
		removed += dir_sweep(dir, names, n, "store", false);
		free(dir);
	}
	if (removed > 0)
		log_info("store event=sweep orphans=%zu", removed);
	store_strings_free(names, n);
}
