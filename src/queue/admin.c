/* Administration of the queue for `petrel queue`: list, show, flush,
 * delete, hold and release. Each call opens its own database connection,
 * so the commands work next to a running scheduler, which sees the
 * changes at its next pass (within a second).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

static char *
col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return xstrdup(t != NULL ? (const char *)t : "");
}

static int
load_rcpts(sqlite3 *db, int64_t rowid, struct queue_info *info)
{
	struct queue_info_rcpt *r;
	sqlite3_stmt *st;
	int rc;

	st = queue_db_prepare(db, "SELECT address, attempts, next_attempt, "
	    "last_reply, last_relay FROM rcpts WHERE msg_id = ? ORDER BY id",
	    NULL);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		info->rcpts = xreallocarray(info->rcpts, info->nrcpts + 1,
		    sizeof(*info->rcpts));
		r = &info->rcpts[info->nrcpts++];
		r->address = col_str(st, 0);
		r->attempts = (unsigned)sqlite3_column_int(st, 1);
		r->next_attempt = (time_t)sqlite3_column_int64(st, 2);
		r->last_reply = col_str(st, 3);
		r->last_relay = col_str(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char info_sql[] =
	"SELECT id, qid, sender, size, created, held FROM msgs ";

static int
load_info(sqlite3 *db, sqlite3_stmt *st, struct queue_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->id, sizeof(info->id), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	info->sender = col_str(st, 2);
	info->size = (uint64_t)sqlite3_column_int64(st, 3);
	info->created = (time_t)sqlite3_column_int64(st, 4);
	info->is_held = sqlite3_column_int(st, 5) != 0;
	return load_rcpts(db, sqlite3_column_int64(st, 0), info);
}

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
	}
}

int
queue_list(struct queue *q, struct queue_info **out, size_t *n_out,
    char **err_out)
{
	struct queue_info *v = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	size_t n = 0;
	int rc = -1;

	if ((db = queue_db_open(q, err_out)) == NULL)
		return -1;
	st = queue_db_prepare(db, "SELECT id, qid, sender, size, created, "
	    "held FROM msgs ORDER BY id", err_out);
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		if (load_info(db, st, &v[n++]) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		*err_out = queue_db_errstr(db);
		queue_info_free(v, n);
		free(v);
		rc = -1;
		goto fail;
	}
	*out = v;
	*n_out = n;
	rc = 0;
fail:
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc;
}

int
queue_show(struct queue *q, const char *id, struct queue_info *out,
    char **err_out)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	struct buf sql = BUF_INIT;
	int rc;

	if ((db = queue_db_open(q, err_out)) == NULL)
		return -1;
	buf_addf(&sql, "%sWHERE qid = ?", info_sql);
	st = queue_db_prepare(db, buf_cstr(&sql), err_out);
	buf_free(&sql);
	rc = st != NULL ? 0 : -1;
	if (rc == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			rc = load_info(db, st, out) == 0 ? 1 : -1;
		else
			rc = rc == SQLITE_DONE ? 0 : -1;
		if (rc == -1)
			*err_out = queue_db_errstr(db);
	}
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc;
}

/* Run sql with ?1 bound to id (when not NULL); the number of rows
 * changed, or -1. */
static int
admin_exec(struct queue *q, const char *sql, const char *id, char **err_out)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int rc;

	if ((db = queue_db_open(q, err_out)) == NULL)
		return -1;
	if ((st = queue_db_prepare(db, sql, err_out)) == NULL) {
		sqlite3_close_v2(db);
		return -1;
	}
	if (id != NULL)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*err_out = queue_db_errstr(db);
		rc = -1;
	} else
		rc = sqlite3_changes(db);
	sqlite3_close_v2(db);
	return rc;
}

int
queue_flush(struct queue *q, const char *id, char **err_out)
{
	int rc;

	if (id == NULL)
		rc = admin_exec(q, "UPDATE rcpts SET next_attempt = 0", NULL,
		    err_out);
	else
		rc = admin_exec(q, "UPDATE rcpts SET next_attempt = 0 WHERE "
		    "msg_id = (SELECT id FROM msgs WHERE qid = ?1)", id,
		    err_out);
	if (rc >= 0)
		queue_wake(q);
	return rc;
}

int
queue_delete(struct queue *q, const char *id, char **err_out)
{
	char *path;
	int rc;

	rc = admin_exec(q, "DELETE FROM msgs WHERE qid = ?1", id, err_out);
	if (rc <= 0)
		return rc;
	path = queue_body_path(q, id);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("queue event=unlink path=%s", path);
	free(path);
	log_info("queue event=delete id=%s", id);
	return 1;
}

int
queue_hold(struct queue *q, const char *id, bool is_held, char **err_out)
{
	int rc;

	rc = admin_exec(q, is_held ? "UPDATE msgs SET held = 1 WHERE qid = ?1" :
	    "UPDATE msgs SET held = 0 WHERE qid = ?1", id, err_out);
	if (rc > 0 && !is_held)
		queue_wake(q);
	return rc < 0 ? -1 : rc > 0;
}
