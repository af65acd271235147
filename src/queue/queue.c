/* Opening and closing the queue: the spool directories under
 * data_dir/queue (tmp/ for files being written, bodies/ for committed
 * ones), the database and its schema, the start-up sweep, and the
 * committer thread. On a cluster node (pg_url) the messages live in
 * PostgreSQL: queue.db and bodies/ are not used, tmp/ still is.
 * SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

int
queue_err(char **err_out, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (err_out == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	*err_out = s;
	return -1;
}

char *
queue_tmp_path(struct queue *q, const char *id)
{
	return xasprintf("%s/tmp/%s", q->dir, id);
}

char *
queue_body_path(struct queue *q, const char *id)
{
	return xasprintf("%s/bodies/%s", q->dir, id);
}

void
queue_body_remove(struct queue *q, const char *id)
{
	char *path;

	if (q->pg_url != NULL)
		return;
	path = queue_body_path(q, id);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("queue event=unlink path=%s", path);
	free(path);
}

void
queue_wake(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->sched != NULL)
		queue_sched_wake(q->sched);
	pthread_mutex_unlock(&q->lock);
}

static int
make_dirs(struct queue *q, const char *data_dir, char **err_out)
{
	static const char *const subs[] = { "", "/tmp", "/bodies" };
	char *path;
	size_t i;

	if (mkdir(data_dir, 0700) == -1 && errno != EEXIST)
		return queue_err(err_out, "%s: %s", data_dir, strerror(errno));
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (q->pg_url != NULL && strcmp(subs[i], "/bodies") == 0)
			continue;
		path = xasprintf("%s%s", q->dir, subs[i]);
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			queue_err(err_out, "%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	return 0;
}

static int
db_init(struct queue *q, char **err_out)
{
	sqlite3 *db;
	int rc;

	if ((db = queue_db_open(q, err_out)) == NULL)
		return -1;
	rc = queue_db_schema(db, err_out);
	sqlite3_close_v2(db);
	return rc;
}

/* Take the spool lock, shared in the end. The first process to open the
 * queue gets it exclusively for a moment: it brings the schema up to date
 * and sweeps what a crash left (sweep.c) while no one else writes. */
static int
lock_and_init(struct queue *q, char **err_out)
{
	char *path;
	bool is_alone;

	path = xasprintf("%s/lock", q->dir);
	q->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (q->lock_fd == -1)
		return queue_err(err_out, "%s/lock: %s", q->dir,
		    strerror(errno));
	is_alone = flock(q->lock_fd, LOCK_EX | LOCK_NB) == 0;
	/* A cluster node's schema is in PostgreSQL (queue_pg_prepare()). */
	if (q->pg_url == NULL && db_init(q, err_out) == -1)
		return -1;
	if (is_alone)
		queue_sweep(q);
	if (flock(q->lock_fd, LOCK_SH) == -1)
		return queue_err(err_out, "%s/lock: %s", q->dir,
		    strerror(errno));
	return 0;
}

struct queue *
queue_open(const char *data_dir, struct iopool *pool, const char *pg_url,
    char **err_out)
{
	struct queue *q;
	int rc;

	if (pg_url != NULL && pg_url[0] != '\0' &&
	    queue_pg_prepare(pg_url, err_out) == -1)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	if (pg_url != NULL && pg_url[0] != '\0')
		q->pg_url = xstrdup(pg_url);
	q->dir = xasprintf("%s/queue", data_dir);
	q->pool = pool;
	q->lock_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (make_dirs(q, data_dir, err_out) == -1 ||
	    lock_and_init(q, err_out) == -1)
		goto fail;
	rc = pthread_create(&q->committer, NULL, queue_commit_main, q);
	if (rc != 0)
		fatalx("queue: pthread_create: error %d", rc);
	q->has_committer = true;
	return q;
fail:
	queue_close(q);
	return NULL;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	while (q->in_flight > 0)
		pthread_cond_wait(&q->cond, &q->lock);
	q->is_closing = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (q->has_committer)
		pthread_join(q->committer, NULL);
	if (q->lock_fd != -1)
		close(q->lock_fd);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q->dir);
	free(q->pg_url);
	free(q);
}
