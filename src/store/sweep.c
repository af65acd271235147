/* The start-up sweep: a crash between giving a body file its final name
 * and the transaction that refers to it leaves a file no message uses
 * (inline bodies are written in that transaction and cannot be orphans).
 * When the store is opened by the only process that has it, such files are
 * removed, so that crashes cannot make the data directory grow.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remove the files of one bodies/XX directory that names does not hold. */
static size_t
sweep_dir(struct store *st, unsigned idx, char **names, size_t n)
{
	struct dirent *de;
	char *dir, *path, *key;
	size_t removed = 0;
	DIR *d;

	dir = xasprintf("%s/bodies/%02x", lite_of(st)->dir, idx);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		key = de->d_name;
		if (n > 0 && bsearch(&key, names, n, sizeof(*names),
		    cmp_names) != NULL)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			removed++;
		else
			log_warn("store event=sweep path=%s", path);
		free(path);
	}
	closedir(d);
	free(dir);
	return removed;
}

void
store_sweep_orphans(struct store *st)
{
	sqlite3_stmt *stmt;
	char **names = NULL;
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
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < 256; i++)
		removed += sweep_dir(st, i, names, n);
	if (removed > 0)
		log_info("store event=sweep orphans=%zu", removed);
	store_strings_free(names, n);
}
