/* The embedded backend of the queue's seam (queue_backend in
 * queue_int.h): queue.db and the spool files of this node. A scheduler
 * claims a message by marking it busy in a TEMP table of its own
 * connection, which only this scheduler sees (sched.lock makes it the
 * only one); a PostgreSQL backend leases instead, so that nodes sharing
 * a database never send the same message at once.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

static const char due_sql[] =
	"SELECT r.id, r.msg_id, r.address, r.domain, r.orcpt, r.notify, "
	"r.attempts FROM rcpts r JOIN msgs m ON m.id = r.msg_id "
	"WHERE r.next_attempt <= ? AND r.dsn = 0 AND m.held = 0 "
	"AND r.msg_id NOT IN (SELECT id FROM temp.busy) "
	"ORDER BY r.next_attempt LIMIT ?";

static const char msg_sql[] =
	"SELECT qid, sender, envid, ret_hdrs, is_8bit, is_utf8, size, "
	"created, warned FROM msgs WHERE id = ?";

static int
lite_open(struct queue_sched *s, char **err_out)
{
	if ((s->db = queue_db_open(s->q, err_out)) == NULL)
		return -1;
	return queue_db_exec(s->db, "CREATE TEMP TABLE busy(id INTEGER "
	    "PRIMARY KEY)", err_out);
}

static void
lite_close(struct queue_sched *s)
{
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

static size_t
lite_due(struct queue_sched *s, int64_t now, size_t limit,
    struct sched_due **out)
{
	struct sched_due *rows = NULL, *r;
	sqlite3_stmt *st;
	size_t n = 0;

	*out = NULL;
	if ((st = queue_db_prepare(s->db, due_sql, NULL)) == NULL) {
		log_warnx("queue event=pass error=\"%s\"",
		    sqlite3_errmsg(s->db));
		return 0;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (int64_t)limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows = xreallocarray(rows, n + 1, sizeof(*rows));
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->rowid = sqlite3_column_int64(st, 0);
		r->msg_rowid = sqlite3_column_int64(st, 1);
		r->address = queue_db_text(st, 2);
		r->domain = queue_db_text(st, 3);
		r->orcpt = queue_db_text(st, 4);
		r->notify = (unsigned)sqlite3_column_int(st, 5);
		r->attempts = (unsigned)sqlite3_column_int(st, 6);
	}
	sqlite3_finalize(st);
	*out = rows;
	return n;
}

static void
busy_set(struct queue_sched *s, const char *sql, int64_t rowid)
{
	sqlite3_stmt *st;

	if ((st = queue_db_prepare(s->db, sql, NULL)) == NULL)
		fatalx("queue: %s", sqlite3_errmsg(s->db));
	sqlite3_bind_int64(st, 1, rowid);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

static struct sched_msg *
lite_claim(struct queue_sched *s, int64_t rowid)
{
	struct sched_msg *m;
	sqlite3_stmt *st;

	if ((st = queue_db_prepare(s->db, msg_sql, NULL)) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->rowid = rowid;
	snprintf(m->id, sizeof(m->id), "%s", sqlite3_column_text(st, 0));
	m->sender = queue_db_text(st, 1);
	m->envid = queue_db_text(st, 2);
	m->ret_hdrs = sqlite3_column_int(st, 3) != 0;
	m->is_8bitmime = sqlite3_column_int(st, 4) != 0;
	m->is_utf8 = sqlite3_column_int(st, 5) != 0;
	m->size = (uint64_t)sqlite3_column_int64(st, 6);
	m->created = sqlite3_column_int64(st, 7);
	m->is_warned = sqlite3_column_int(st, 8) != 0;
	m->body_path = queue_body_path(s->q, m->id);
	sqlite3_finalize(st);
	busy_set(s, "INSERT OR IGNORE INTO temp.busy(id) VALUES (?)", rowid);
	return m;
}

static void
lite_release(struct queue_sched *s, int64_t rowid)
{
	busy_set(s, "DELETE FROM temp.busy WHERE id = ?", rowid);
}

const struct queue_backend queue_backend_lite = {
	"embedded", lite_open, lite_close, lite_due, lite_claim, lite_release,
	NULL, NULL, NULL, NULL,		/* one scheduler: nothing to check */
	false,
};
