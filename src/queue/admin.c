/* Administration of the queue for `petrel queue`: list, show, body,
 * flush, delete, hold and release, on queue.db or, on a cluster node, on
 * the shared PostgreSQL tables (through qdb.h). Each call opens its own
 * connection, so the commands work next to a running scheduler, which
 * sees the changes at its next pass (within a second).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

void
queue_info_free(struct queue_info *v, size_t n)
{
	size_t i, k;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (k = 0; k < v[i].nrcpts; k++) {
			free(v[i].rcpts[k].address);
			free(v[i].rcpts[k].last_reply);
			free(v[i].rcpts[k].last_relay);
		}
		free(v[i].rcpts);
		free(v[i].sender);
		free(v[i].lease_owner);
	}
}

/* The message qid (NULL: every message) as a heap array. 0, or -1. */
static int
info_load(struct queue *q, const char *qid, struct queue_info **out,
    size_t *n_out, char **err_out)
{
	struct qdb *db;
	int rc;

	if ((db = qdb_open(q, err_out)) == NULL)
		return -1;
	if ((rc = db->ops->info(db, qid, out, n_out)) == -1)
		*err_out = xstrdup(qdb_err(db));
	qdb_close(db);
	return rc;
}

int
queue_list(struct queue *q, struct queue_info **out, size_t *n_out,
    char **err_out)
{
	return info_load(q, NULL, out, n_out, err_out);
}

int
queue_show(struct queue *q, const char *id, struct queue_info *out,
    char **err_out)
{
	struct queue_info *v;
	size_t n;

	if (info_load(q, id, &v, &n, err_out) == -1)
		return -1;
	if (n == 0) {
		free(v);
		return 0;
	}
	*out = v[0];
	free(v);
	return 1;
}

int
queue_body(struct queue *q, const char *id, struct buf *out, char **err_out)
{
	struct queue_info info;
	struct qdb *db;
	int rc;

	/* Only the id of a message that exists names a body (a file in
	 * embedded mode). */
	if ((rc = queue_show(q, id, &info, err_out)) != 1)
		return rc;
	queue_info_free(&info, 1);
	if ((db = qdb_open(q, err_out)) == NULL)
		return -1;
	if ((rc = db->ops->body(db, id, out)) == -1)
		*err_out = xstrdup(qdb_err(db));
	qdb_close(db);
	return rc;
}

enum admin_op {
	ADMIN_FLUSH,
	ADMIN_DELETE,
	ADMIN_HOLD,
	ADMIN_RELEASE,
};

/* One change on a connection of its own: the rows changed, or -1. */
static int
admin_change(struct queue *q, const char *id, enum admin_op op,
    char **err_out)
{
	struct qdb *db;
	int rc;

	if ((db = qdb_open(q, err_out)) == NULL)
		return -1;
	switch (op) {
	case ADMIN_FLUSH:
		rc = db->ops->flush(db, id);
		break;
	case ADMIN_DELETE:
		rc = db->ops->remove(db, id);
		break;
	default:
		rc = db->ops->hold(db, id, op == ADMIN_HOLD);
		break;
	}
	if (rc == -1)
		*err_out = xstrdup(qdb_err(db));
	qdb_close(db);
	return rc;
}

int
queue_flush(struct queue *q, const char *id, char **err_out)
{
	int rc;

	if ((rc = admin_change(q, id, ADMIN_FLUSH, err_out)) >= 0)
		queue_wake(q);
	return rc;
}

int
queue_delete(struct queue *q, const char *id, char **err_out)
{
	int rc;

	if ((rc = admin_change(q, id, ADMIN_DELETE, err_out)) <= 0)
		return rc;
	log_info("queue event=delete id=%s", id);
	return 1;
}

int
queue_hold(struct queue *q, const char *id, bool is_held, char **err_out)
{
	int rc;

	rc = admin_change(q, id, is_held ? ADMIN_HOLD :
	    ADMIN_RELEASE, err_out);
	if (rc > 0 && !is_held)
		queue_wake(q);
	return rc < 0 ? -1 : rc > 0;
}
