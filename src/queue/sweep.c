/* The start-up sweep of the spool, run only by a process that has the
 * queue to itself (the exclusive spool lock): a crash can leave a body in
 * tmp/ that was never acknowledged, or a body in bodies/ whose envelope
 * transaction never committed (or whose message row was deleted just
 * before the crash). Neither is referred to by queue.db, so both go;
 * without this, crashes would make the spool grow. A cluster node keeps
 * its bodies in PostgreSQL rows, so only its tmp/ is swept.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include "lib/dir_sweep.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

/* The queue ids queue.db refers to, sorted; -1 when it cannot tell (then
 * nothing in bodies/ may be removed). */
static int
known_ids(sqlite3 *db, char ***out, size_t *n_out)
{
	sqlite3_stmt *st;
	char **v = NULL;
	size_t n = 0;
	int rc;

	if ((st = queue_db_prepare(db, "SELECT qid FROM msgs", NULL)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	dir_sweep_sort(v, n);
	*out = v;
	*n_out = n;
	if (rc == SQLITE_DONE)
		return 0;
	while (n > 0)
		free(v[--n]);
	free(v);
	return -1;
}

void
queue_sweep(struct queue *q)
{
	char **names = NULL, *dir, *err = NULL;
	size_t n = 0, removed;
	sqlite3 *db;
	int rc;

	dir = xasprintf("%s/tmp", q->dir);
	removed = dir_sweep(dir, NULL, 0, "queue", true);
	free(dir);
	if (q->pg_url != NULL) {
		if (removed > 0)
			log_info("queue event=sweep orphans=%zu", removed);
		return;
	}
	if ((db = queue_db_open(q, &err)) == NULL) {
		log_warnx("queue event=sweep error=\"%s\"", err);
		free(err);
		return;
	}
	rc = known_ids(db, &names, &n);
	sqlite3_close_v2(db);
	if (rc == -1) {
		log_warnx("queue event=sweep error=\"cannot list messages\"");
		return;
	}
	dir = xasprintf("%s/bodies", q->dir);
	removed += dir_sweep(dir, names, n, "queue", true);
	free(dir);
	if (removed > 0)
		log_info("queue event=sweep orphans=%zu", removed);
	while (n > 0)
		free(names[--n]);
	free(names);
}
