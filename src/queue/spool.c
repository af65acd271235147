/* Receiving into the queue: the body goes to tmp/<id>; at commit an I/O
 * pool thread fsyncs it and renames it to bodies/<id>, then the committer
 * thread syncs bodies/ once and inserts every waiting envelope in one
 * transaction (group commit), and only then reports done, so that the
 * SMTP server's 250 follows a durable copy. On a cluster node the pool
 * thread only closes the file: the committer reads each body into its
 * row (qdb_pg.c), all of a batch in one PostgreSQL transaction, and
 * removes the tmp/ files once it committed.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/file.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

struct queue_msg *
queue_msg_alloc(struct queue *q, const char *sender)
{
	struct queue_msg *m;

	m = xcalloc(1, sizeof(*m));
	m->q = q;
	m->fd = -1;
	m->sender = xstrdup(sender);
	m->created = (int64_t)time(NULL);
	str_random_hex(m->id, QUEUE_ID_LEN / 2);
	return m;
}

struct queue_msg *
queue_msg_new(struct queue *q, const char *sender, char **err_out)
{
	struct queue_msg *m;
	char *path;

	m = queue_msg_alloc(q, sender);
	path = queue_tmp_path(q, m->id);
	m->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (m->fd == -1) {
		queue_err(err_out, "%s: %s", path, strerror(errno));
		free(path);
		queue_msg_free(m);
		return NULL;
	}
	free(path);
	return m;
}

const char *
queue_msg_id(const struct queue_msg *m)
{
	return m->id;
}

void
queue_msg_add_rcpt(struct queue_msg *m, const char *address, unsigned notify,
    const char *orcpt)
{
	struct queue_rcpt_in *r;

	m->rcpts = xreallocarray(m->rcpts, m->nrcpts + 1, sizeof(*m->rcpts));
	r = &m->rcpts[m->nrcpts++];
	r->address = xstrdup(address);
	r->notify = notify;
	r->orcpt = orcpt != NULL && orcpt[0] != '\0' ? xstrdup(orcpt) : NULL;
}

void
queue_msg_set_params(struct queue_msg *m, bool is_8bitmime, bool is_utf8,
    bool ret_hdrs, const char *envid)
{
	m->is_8bitmime = is_8bitmime;
	m->is_utf8 = is_utf8;
	m->ret_hdrs = ret_hdrs;
	free(m->envid);
	m->envid = envid != NULL && envid[0] != '\0' ? xstrdup(envid) : NULL;
}

int
queue_msg_write(struct queue_msg *m, const void *p, size_t len)
{
	if (m->write_errno != 0) {
		errno = m->write_errno;
		return -1;
	}
	if (file_write_all(m->fd, p, len) == -1) {
		m->write_errno = errno;
		return -1;
	}
	m->size += len;
	return 0;
}

void
queue_msg_free(struct queue_msg *m)
{
	size_t i;

	if (m->fd != -1)
		close(m->fd);
	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].orcpt);
	}
	free(m->rcpts);
	free(m->sender);
	free(m->envid);
	free(m->err);
	free(m);
}

static void
msg_unlink(struct queue_msg *m)
{
	char *path;

	if (m->is_renamed)
		path = queue_body_path(m->q, m->id);
	else
		path = queue_tmp_path(m->q, m->id);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("queue event=unlink path=%s", path);
	free(path);
}

void
queue_msg_abort(struct queue_msg *m)
{
	if (m == NULL)
		return;
	msg_unlink(m);
	queue_msg_free(m);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue_msg *m = arg;

	(void)fd;
	(void)what;
	m->done(m->done_arg, m->err == NULL ? 0 : m->is_full ? QUEUE_FULL :
	    -1, m->err);
	queue_msg_free(m);
}

/* Report m's result on its loop and free it; the last one out lets
 * queue_close() go on. */
static void
msg_finish(struct queue_msg *m, int result)
{
	struct queue *q = m->q;

	if (result != 0) {
		if (m->err == NULL)
			m->err = xstrdup("queue: commit failed");
		msg_unlink(m);
		log_warnx("queue event=commit id=%s result=fail error=\"%s\"",
		    m->id, m->err);
	}
	if (m->base == NULL)
		done_cb(-1, 0, m);
	else if (event_base_once(m->base, -1, EV_TIMEOUT, done_cb, m,
	    NULL) == -1)
		fatalx("queue: event_base_once failed");
	pthread_mutex_lock(&q->lock);
	if (--q->in_flight == 0)
		pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

int
queue_msg_sync(struct queue_msg *m)
{
	char *tmp, *path;
	int rc;

	if (fsync(m->fd) == -1) {
		m->is_full = file_errno_is_full(errno);
		m->err = xasprintf("queue: fsync: %s", strerror(errno));
		return -1;
	}
	rc = close(m->fd);
	m->fd = -1;
	if (rc == -1) {
		m->err = xasprintf("queue: close: %s", strerror(errno));
		return -1;
	}
	tmp = queue_tmp_path(m->q, m->id);
	path = queue_body_path(m->q, m->id);
	if ((rc = rename(tmp, path)) == -1)
		m->err = xasprintf("queue: rename: %s", strerror(errno));
	else
		m->is_renamed = true;
	free(tmp);
	free(path);
	return rc;
}

/* A cluster node's body is made durable by the commit of its row: the
 * file only needs closing before the committer reads it. */
static int
msg_close(struct queue_msg *m)
{
	int rc = close(m->fd);

	m->fd = -1;
	if (rc == -1)
		m->err = xasprintf("queue: close: %s", strerror(errno));
	return rc;
}

static void
sync_work(void *arg)
{
	struct queue_msg *m = arg;

	if (m->write_errno != 0) {
		m->err = xasprintf("queue: write: %s",
		    strerror(m->write_errno));
		m->is_full = file_errno_is_full(m->write_errno);
	} else if (m->nrcpts == 0)
		m->err = xstrdup("queue: message without recipients");
	else if (m->q->pg_url != NULL)
		(void)msg_close(m);
	else
		(void)queue_msg_sync(m);
}

/* On the pool thread: hand a durable body to the committer. */
static void
sync_done(void *arg)
{
	struct queue_msg *m = arg;
	struct queue *q = m->q;

	if (m->err != NULL) {
		msg_finish(m, -1);
		return;
	}
	pthread_mutex_lock(&q->lock);
	m->next = NULL;
	if (q->pending_tail != NULL)
		q->pending_tail->next = m;
	else
		q->pending_head = m;
	q->pending_tail = m;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void
queue_msg_commit(struct queue_msg *m, struct event_base *base,
    queue_done_fn *done, void *arg)
{
	struct queue *q = m->q;

	m->base = base;
	m->done = done;
	m->done_arg = arg;
	pthread_mutex_lock(&q->lock);
	q->in_flight++;
	pthread_mutex_unlock(&q->lock);
	iopool_submit(q->pool, NULL, sync_work, sync_done, m);
}

static struct queue_msg *
batch_take(struct queue *q)
{
	struct queue_msg *batch;

	pthread_mutex_lock(&q->lock);
	while (q->pending_head == NULL && !q->is_closing)
		pthread_cond_wait(&q->cond, &q->lock);
	batch = q->pending_head;
	q->pending_head = q->pending_tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return batch;
}

/* One directory sync makes every rename of the batch durable (embedded;
 * a cluster node's bodies go into the rows), then one transaction holds
 * every envelope. */
static int
batch_insert(struct queue *q, struct qdb *db, struct queue_msg *batch,
    char **err_out)
{
	struct queue_msg *m;
	char *dir;
	int rc;

	db->is_full = false;
	if (q->pg_url == NULL) {
		dir = xasprintf("%s/bodies", q->dir);
		rc = file_sync_dir(dir);
		free(dir);
		if (rc == -1)
			return queue_err(err_out, "queue: fsync: %s",
			    strerror(errno));
	}
	if (db->ops->begin(db) == -1)
		goto fail;
	for (m = batch; m != NULL; m = m->next) {
		if (db->ops->insert(db, m, NULL) == -1) {
			db->ops->rollback(db);
			goto fail;
		}
	}
	if (db->ops->commit(db) == 0)
		return 0;
fail:
	*err_out = xstrdup(qdb_err(db));
	return -1;
}

/* Commit a batch: every message in it is acknowledged, or none is (each
 * gets the error and its file goes). A connection that cannot be opened
 * now is tried again with the next batch. */
static void
batch_commit(struct queue *q, struct qdb **dbp, struct queue_msg *batch)
{
	struct queue_msg *m, *next;
	char *err = NULL;
	int rc = -1;

	if (*dbp == NULL)
		*dbp = qdb_open(q, &err);
	if (*dbp != NULL)
		rc = batch_insert(q, *dbp, batch, &err);
	for (m = batch; m != NULL; m = next) {
		next = m->next;
		if (rc == -1 && m->err == NULL) {
			m->err = xstrdup(err != NULL ? err : "queue: failed");
			m->is_full = *dbp != NULL && (*dbp)->is_full;
		}
		if (rc == 0) {
			log_info("queue event=queued id=%s from=<%s> "
			    "nrcpt=%zu size=%llu", m->id, m->sender,
			    m->nrcpts, (unsigned long long)m->size);
			/* The row holds the body now. */
			if (q->pg_url != NULL)
				msg_unlink(m);
		}
		msg_finish(m, rc);
	}
	free(err);
	if (rc == 0)
		queue_wake(q);
}

void *
queue_commit_main(void *arg)
{
	struct queue *q = arg;
	struct queue_msg *batch;
	struct qdb *db = NULL;

	while ((batch = batch_take(q)) != NULL)
		batch_commit(q, &db, batch);
	qdb_close(db);
	return NULL;
}
