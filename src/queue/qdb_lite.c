/* The embedded side of the queue's data seam (qdb.h): data_dir/queue/
 * queue.db (db.c opens it: WAL, synchronous=FULL) and the bodies/ files.
 * A body is written and synced into bodies/ before the row that names it
 * commits, and removed after the row is gone; sweep.c collects a body
 * whose row never committed.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/file.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

struct qdb_lite {
	struct qdb	 base;		/* first */
	sqlite3		*db;
};

static sqlite3 *
sql_of(struct qdb *db)
{
	return ((struct qdb_lite *)db)->db;
}

/* The connection's last error as db's. */
static int
lite_fail(struct qdb *db)
{
	free(db->err);
	db->err = queue_db_errstr(sql_of(db));
	db->is_full = (sqlite3_errcode(sql_of(db)) & 0xff) == SQLITE_FULL;
	return -1;
}

static sqlite3_stmt *
prepare(struct qdb *db, const char *sql)
{
	sqlite3_stmt *st;

	if ((st = queue_db_prepare(sql_of(db), sql, NULL)) == NULL)
		(void)lite_fail(db);
	return st;
}

/* Step st to its end and finalize it. 0, or -1. */
static int
step_done(struct qdb *db, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : lite_fail(db);
}

static int
exec_id(struct qdb *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st;

	if ((st = prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return step_done(db, st);
}

static char *
col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return xstrdup(t != NULL ? (const char *)t : "");
}

static void
lite_close(struct qdb *db)
{
	sqlite3_close_v2(sql_of(db));
	free(db);
}

static int
lite_begin(struct qdb *db)
{
	return queue_db_exec(sql_of(db), "BEGIN IMMEDIATE", NULL) == 0 ? 0 :
	    lite_fail(db);
}

static void
lite_rollback(struct qdb *db)
{
	if (!sqlite3_get_autocommit(sql_of(db)))
		(void)sqlite3_exec(sql_of(db), "ROLLBACK", NULL, NULL, NULL);
}

static int
lite_commit(struct qdb *db)
{
	if (queue_db_exec(sql_of(db), "COMMIT", NULL) == 0)
		return 0;
	(void)lite_fail(db);
	lite_rollback(db);
	return -1;
}

/* A bounce's body into bodies/<id>, durable (file and name) before the
 * row naming it commits. */
static int
body_write(struct qdb *db, const char *id, const struct buf *body)
{
	char *tmp, *path, *dir;
	int fd, rc = -1;

	tmp = queue_tmp_path(db->q, id);
	path = queue_body_path(db->q, id);
	dir = xasprintf("%s/bodies", db->q->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		qdb_fail(db, "queue: %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (file_write_all(fd, body->data, body->len) == -1 ||
	    fsync(fd) == -1) {
		qdb_fail(db, "queue: write: %s", strerror(errno));
		close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		qdb_fail(db, "queue: rename: %s", strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	if (file_sync_dir(dir) == -1) {
		qdb_fail(db, "queue: fsync: %s", strerror(errno));
		(void)unlink(path);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

static int
insert_rcpts(struct qdb *db, const struct queue_msg *m, int64_t msg_id)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_DONE;

	st = prepare(db, "INSERT INTO rcpts(msg_id, address, domain, notify, "
	    "orcpt, next_attempt) VALUES (?, ?, lower(?), ?, ?, ?)");
	if (st == NULL)
		return -1;
	for (i = 0; i < m->nrcpts && rc == SQLITE_DONE; i++) {
		const struct queue_rcpt_in *r = &m->rcpts[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msg_id);
		sqlite3_bind_text(st, 2, r->address, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, qdb_domain_of(r->address), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)r->notify);
		if (r->orcpt != NULL)
			sqlite3_bind_text(st, 5, r->orcpt, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_int64(st, 6, m->created);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : lite_fail(db);
}

static int
insert_msg(struct qdb *db, const struct queue_msg *m)
{
	sqlite3_stmt *st;

	st = prepare(db, "INSERT INTO msgs(qid, sender, envid, ret_hdrs, "
	    "is_8bit, is_utf8, size, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->sender, -1, SQLITE_STATIC);
	if (m->envid != NULL)
		sqlite3_bind_text(st, 3, m->envid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, m->ret_hdrs);
	sqlite3_bind_int(st, 5, m->is_8bitmime);
	sqlite3_bind_int(st, 6, m->is_utf8);
	sqlite3_bind_int64(st, 7, (int64_t)m->size);
	sqlite3_bind_int64(st, 8, m->created);
	if (step_done(db, st) == -1)
		return -1;
	return insert_rcpts(db, m, sqlite3_last_insert_rowid(sql_of(db)));
}

static int
lite_insert(struct qdb *db, const struct queue_msg *m, const struct buf *body)
{
	if (body != NULL && body_write(db, m->id, body) == -1)
		return -1;
	if (insert_msg(db, m) == 0)
		return 0;
	if (body != NULL)
		queue_body_remove(db->q, m->id);
	return -1;
}

static int
lite_rcpt_update(struct qdb *db, const struct qdb_attempt *a)
{
	sqlite3_stmt *st;

	st = prepare(db, "UPDATE rcpts SET attempts = ?, next_attempt = ?, "
	    "last_reply = ?, last_relay = ?, dsn = ?, dsn_status = ? "
	    "WHERE id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)a->attempts);
	sqlite3_bind_int64(st, 2, a->next_attempt);
	sqlite3_bind_text(st, 3, a->reply, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->relay, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, a->dsn);
	sqlite3_bind_text(st, 6, a->dsn_status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, a->rcpt_id);
	return step_done(db, st);
}

static int
lite_rcpt_delete(struct qdb *db, int64_t rcpt_id)
{
	return exec_id(db, "DELETE FROM rcpts WHERE id = ?", rcpt_id);
}

static int
lite_report_load(struct qdb *db, int64_t msg_id, bool warn,
    struct qdb_report **out, size_t *n_out)
{
	struct qdb_report *v = NULL, *r;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	st = prepare(db, "SELECT address, orcpt, last_reply, last_relay, "
	    "dsn_status, dsn, notify FROM rcpts WHERE msg_id = ? "
	    "AND (dsn != 0 OR (? AND attempts > 0)) ORDER BY id");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg_id);
	sqlite3_bind_int(st, 2, warn);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		r = &v[n++];
		r->address = col_str(st, 0);
		r->orcpt = queue_db_text(st, 1);
		r->reply = col_str(st, 2);
		r->relay = col_str(st, 3);
		r->dsn_status = col_str(st, 4);
		r->dsn = sqlite3_column_int(st, 5);
		r->notify = (unsigned)sqlite3_column_int(st, 6);
	}
	sqlite3_finalize(st);
	*out = v;
	*n_out = n;
	return rc == SQLITE_DONE ? 0 : lite_fail(db);
}

static int
lite_msg_set_warned(struct qdb *db, int64_t msg_id)
{
	return exec_id(db, "UPDATE msgs SET warned = 1 WHERE id = ?", msg_id);
}

static int
lite_msg_drop_reported(struct qdb *db, int64_t msg_id)
{
	return exec_id(db, "DELETE FROM rcpts WHERE msg_id = ? AND dsn != 0",
	    msg_id);
}

static int
lite_msg_rcpts_left(struct qdb *db, int64_t msg_id, int64_t *n_out)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prepare(db, "SELECT count(*) FROM rcpts WHERE msg_id = ?")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n_out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : lite_fail(db);
}

static int
lite_msg_delete(struct qdb *db, int64_t msg_id)
{
	return exec_id(db, "DELETE FROM msgs WHERE id = ?", msg_id);
}

static int
load_rcpts(struct qdb *db, int64_t rowid, struct queue_info *info)
{
	sqlite3_stmt *st;
	int rc;

	st = prepare(db, "SELECT address, attempts, next_attempt, last_reply, "
	    "last_relay FROM rcpts WHERE msg_id = ? ORDER BY id");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		qdb_info_add_rcpt(info, col_str(st, 0),
		    (unsigned)sqlite3_column_int(st, 1),
		    (time_t)sqlite3_column_int64(st, 2), col_str(st, 3),
		    col_str(st, 4));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : lite_fail(db);
}

static int
lite_info(struct qdb *db, const char *qid, struct queue_info **out,
    size_t *n_out)
{
	struct queue_info *v = NULL, *info;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	st = prepare(db, qid != NULL ? "SELECT id, qid, sender, size, created, "
	    "held FROM msgs WHERE qid = ?" : "SELECT id, qid, sender, size, "
	    "created, held FROM msgs ORDER BY id");
	if (st == NULL)
		return -1;
	if (qid != NULL)
		sqlite3_bind_text(st, 1, qid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		info = &v[n++];
		memset(info, 0, sizeof(*info));
		snprintf(info->id, sizeof(info->id), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		info->sender = col_str(st, 2);
		info->size = (uint64_t)sqlite3_column_int64(st, 3);
		info->created = (time_t)sqlite3_column_int64(st, 4);
		info->is_held = sqlite3_column_int(st, 5) != 0;
		if (load_rcpts(db, sqlite3_column_int64(st, 0), info) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_ERROR)
			(void)lite_fail(db);
		sqlite3_finalize(st);
		queue_info_free(v, n);
		free(v);
		return -1;
	}
	sqlite3_finalize(st);
	*out = v;
	*n_out = n;
	return 0;
}

/* Run sql with ?1 bound to qid (when not NULL); the rows changed, or
 * -1. */
static int
exec_qid(struct qdb *db, const char *sql, const char *qid)
{
	sqlite3_stmt *st;

	if ((st = prepare(db, sql)) == NULL)
		return -1;
	if (qid != NULL)
		sqlite3_bind_text(st, 1, qid, -1, SQLITE_STATIC);
	if (step_done(db, st) == -1)
		return -1;
	return sqlite3_changes(sql_of(db));
}

static int
lite_flush(struct qdb *db, const char *qid)
{
	if (qid == NULL)
		return exec_qid(db, "UPDATE rcpts SET next_attempt = 0", NULL);
	return exec_qid(db, "UPDATE rcpts SET next_attempt = 0 WHERE msg_id = "
	    "(SELECT id FROM msgs WHERE qid = ?1)", qid);
}

static int
lite_remove(struct qdb *db, const char *qid)
{
	int rc;

	rc = exec_qid(db, "DELETE FROM msgs WHERE qid = ?1", qid);
	if (rc > 0)
		queue_body_remove(db->q, qid);
	return rc;
}

static int
lite_hold(struct qdb *db, const char *qid, bool is_held)
{
	return exec_qid(db, is_held ? "UPDATE msgs SET held = 1 WHERE qid = ?1" :
	    "UPDATE msgs SET held = 0 WHERE qid = ?1", qid);
}

/* The file is the message: no file, no message (a row without its body
 * cannot be, as the body is durable before the row commits). */
static int
lite_body(struct qdb *db, const char *qid, struct buf *out)
{
	char *path = queue_body_path(db->q, qid);
	int rc;

	rc = qdb_read_file(db, path, out);
	free(path);
	return rc;
}

static const struct qdb_ops lite_ops = {
	"embedded", lite_close, lite_begin, lite_commit, lite_rollback,
	lite_insert, lite_rcpt_update, lite_rcpt_delete, lite_report_load,
	lite_msg_set_warned, lite_msg_drop_reported, lite_msg_rcpts_left,
	lite_msg_delete, lite_info, lite_flush, lite_remove, lite_hold,
	lite_body,
};

struct qdb *
qdb_lite_open(struct queue *q, char **err_out)
{
	struct qdb_lite *l;
	sqlite3 *db;

	if ((db = queue_db_open(q, err_out)) == NULL)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->base.ops = &lite_ops;
	l->base.q = q;
	l->db = db;
	return &l->base;
}
