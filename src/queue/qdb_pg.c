/* The cluster side of the queue's data seam (qdb.h): the queue_msgs and
 * queue_rcpts tables in the PostgreSQL database the nodes share
 * (pg_schema.c), the body in its message's row, so that any node can
 * deliver it. Commits are durable (pg_connect() sets synchronous_commit
 * on). These statements never change lease_owner/lease_expires (only
 * the listing reads them): leases are the scheduler's backend's.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"
#include "store/pg_int.h"

struct qdb_pg {
	struct qdb		 base;		/* first */
	struct pg_thread	*c;
};

static struct pg_thread *
conn_of(struct qdb *db)
{
	return ((struct qdb_pg *)db)->c;
}

/* The connection's last error as db's. */
static int
pg_fail_q(struct qdb *db)
{
	const char *e = conn_of(db)->err;

	qdb_fail(db, "queue: %s", e != NULL ? e : "database unavailable");
	db->is_full = pg_is_disk_full(conn_of(db));
	return -1;
}

static int
done(struct qdb *db, int rc)
{
	return rc == 0 ? 0 : pg_fail_q(db);
}

/* Rows changed by sql with the parameters given, or -1. */
static int
changed(struct qdb *db, int rc, uint64_t n)
{
	if (rc == -1)
		return pg_fail_q(db);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

static void
qpg_close(struct qdb *db)
{
	pg_thread_free(conn_of(db));
	free(db);
}

static int
qpg_begin(struct qdb *db)
{
	return done(db, pg_begin(conn_of(db)));
}

static int
qpg_commit(struct qdb *db)
{
	return done(db, pg_commit(conn_of(db)));
}

static void
qpg_rollback(struct qdb *db)
{
	pg_rollback(conn_of(db));
}

/* m's body from its spool file tmp/<id> (a received message). */
static int
read_tmp(struct qdb *db, const struct queue_msg *m, struct buf *out)
{
	char *path = queue_tmp_path(db->q, m->id);
	int rc;

	buf_reserve(out, (size_t)m->size);
	rc = qdb_read_file(db, path, out);
	if (rc == 0)
		rc = qdb_fail(db, "queue: %s: gone", path);
	else if (rc == 1 && out->len != m->size)
		rc = qdb_fail(db, "queue: %s: size changed", path);
	free(path);
	return rc == 1 ? 0 : -1;
}

static const char msg_insert_sql[] =
	"INSERT INTO queue_msgs(qid, sender, envid, ret_hdrs, is_8bit, "
	"is_utf8, size, created, body) VALUES ($1, $2, $3, $4 <> 0, "
	"$5 <> 0, $6 <> 0, $7, $8, $9) RETURNING id";

static const char rcpt_insert_sql[] =
	"INSERT INTO queue_rcpts(msg_id, address, domain, notify, orcpt, "
	"next_attempt) VALUES ($1, $2, lower($3), $4, $5, $6)";

static int
insert_rows(struct qdb *db, const struct queue_msg *m, const struct buf *b)
{
	struct pg_thread *c = conn_of(db);
	PGresult *res;
	int64_t id;
	size_t i;

	res = pg_query(c, msg_insert_sql, "sssiiiiib", m->id, m->sender,
	    m->envid, (int64_t)m->ret_hdrs, (int64_t)m->is_8bitmime,
	    (int64_t)m->is_utf8, (int64_t)m->size, m->created, b->data,
	    b->len);
	if (res == NULL)
		return pg_fail_q(db);
	id = pg_int(res, 0, 0);
	PQclear(res);
	for (i = 0; i < m->nrcpts; i++) {
		const struct queue_rcpt_in *r = &m->rcpts[i];

		if (pg_exec(c, rcpt_insert_sql, "issisi", id, r->address,
		    qdb_domain_of(r->address), (int64_t)r->notify, r->orcpt,
		    m->created) == -1)
			return pg_fail_q(db);
	}
	return 0;
}

static int
qpg_insert(struct qdb *db, const struct queue_msg *m, const struct buf *body)
{
	struct buf b = BUF_INIT;
	int rc;

	if (body != NULL)
		return insert_rows(db, m, body);
	if ((rc = read_tmp(db, m, &b)) == 0)
		rc = insert_rows(db, m, &b);
	buf_free(&b);
	return rc;
}

static const char rcpt_update_sql[] =
	"UPDATE queue_rcpts SET attempts = $1, next_attempt = $2, "
	"last_reply = $3, last_relay = $4, dsn = $5, dsn_status = $6 "
	"WHERE id = $7";

static int
qpg_rcpt_update(struct qdb *db, const struct qdb_attempt *a)
{
	return done(db, pg_exec(conn_of(db), rcpt_update_sql, "iissisi",
	    (int64_t)a->attempts, a->next_attempt, a->reply, a->relay,
	    (int64_t)a->dsn, a->dsn_status, a->rcpt_id));
}

static const char rcpt_delete_sql[] =
	"DELETE FROM queue_rcpts WHERE id = $1";

static int
qpg_rcpt_delete(struct qdb *db, int64_t rcpt_id)
{
	return done(db, pg_exec(conn_of(db), rcpt_delete_sql, "i", rcpt_id));
}

static const char report_sql[] =
	"SELECT address, orcpt, last_reply, last_relay, dsn_status, dsn, "
	"notify FROM queue_rcpts WHERE msg_id = $1 "
	"AND (dsn <> 0 OR ($2 <> 0 AND attempts > 0)) ORDER BY id";

static int
qpg_report_load(struct qdb *db, int64_t msg_id, bool warn,
    struct qdb_report **out, size_t *n_out)
{
	struct qdb_report *v;
	PGresult *res;
	int i, n;

	res = pg_query(conn_of(db), report_sql, "ii", msg_id, (int64_t)warn);
	if (res == NULL)
		return pg_fail_q(db);
	n = PQntuples(res);
	v = n > 0 ? xcalloc((size_t)n, sizeof(*v)) : NULL;
	for (i = 0; i < n; i++) {
		v[i].address = xstrdup(PQgetvalue(res, i, 0));
		v[i].orcpt = pg_strdup(res, i, 1);
		v[i].reply = xstrdup(PQgetvalue(res, i, 2));
		v[i].relay = xstrdup(PQgetvalue(res, i, 3));
		v[i].dsn_status = xstrdup(PQgetvalue(res, i, 4));
		v[i].dsn = (int)pg_int(res, i, 5);
		v[i].notify = (unsigned)pg_int(res, i, 6);
	}
	PQclear(res);
	*out = v;
	*n_out = (size_t)n;
	return 0;
}

static const char set_warned_sql[] =
	"UPDATE queue_msgs SET warned = true WHERE id = $1";

static int
qpg_msg_set_warned(struct qdb *db, int64_t msg_id)
{
	return done(db, pg_exec(conn_of(db), set_warned_sql, "i", msg_id));
}

static const char drop_reported_sql[] =
	"DELETE FROM queue_rcpts WHERE msg_id = $1 AND dsn <> 0";

static int
qpg_msg_drop_reported(struct qdb *db, int64_t msg_id)
{
	return done(db, pg_exec(conn_of(db), drop_reported_sql, "i", msg_id));
}

static const char rcpts_left_sql[] =
	"SELECT count(*) FROM queue_rcpts WHERE msg_id = $1";

static int
qpg_msg_rcpts_left(struct qdb *db, int64_t msg_id, int64_t *n_out)
{
	PGresult *res;

	if ((res = pg_query(conn_of(db), rcpts_left_sql, "i", msg_id)) == NULL)
		return pg_fail_q(db);
	*n_out = pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static const char msg_delete_sql[] = "DELETE FROM queue_msgs WHERE id = $1";

static int
qpg_msg_delete(struct qdb *db, int64_t msg_id)
{
	return done(db, pg_exec(conn_of(db), msg_delete_sql, "i", msg_id));
}

/* One message, or all of them, and their recipients: two reads merged
 * by message id (both ordered by it), so that listing a long queue is
 * two statements, not one per message. A message that went between the
 * two reads shows without recipients. */
static const char info_msgs_sql[] =
	"SELECT id, qid, sender, size, created, held, lease_owner, "
	"lease_expires - " QUEUE_PG_NOW " "
	"FROM queue_msgs WHERE $1::text IS NULL OR qid = $1 ORDER BY id";

static const char info_rcpts_sql[] =
	"SELECT r.msg_id, r.address, r.attempts, r.next_attempt, "
	"r.last_reply, r.last_relay FROM queue_rcpts r "
	"WHERE $1::text IS NULL OR r.msg_id IN "
	"(SELECT id FROM queue_msgs WHERE qid = $1) ORDER BY r.msg_id, r.id";

static void
info_merge(struct queue_info *v, const int64_t *ids, size_t n,
    const PGresult *rr)
{
	int i, nr = PQntuples(rr);
	size_t k = 0;
	int64_t mid;

	for (i = 0; i < nr; i++) {
		mid = pg_int(rr, i, 0);
		while (k < n && ids[k] < mid)
			k++;
		if (k == n)
			break;
		if (ids[k] != mid)
			continue;
		qdb_info_add_rcpt(&v[k], xstrdup(PQgetvalue(rr, i, 1)),
		    (unsigned)pg_int(rr, i, 2), (time_t)pg_int(rr, i, 3),
		    xstrdup(PQgetvalue(rr, i, 4)),
		    xstrdup(PQgetvalue(rr, i, 5)));
	}
}

static int
qpg_info(struct qdb *db, const char *qid, struct queue_info **out,
    size_t *n_out)
{
	struct pg_thread *c = conn_of(db);
	struct queue_info *v;
	PGresult *rm, *rr;
	int64_t *ids;
	size_t i, n;

	if ((rm = pg_query(c, info_msgs_sql, "s", qid)) == NULL)
		return pg_fail_q(db);
	if ((rr = pg_query(c, info_rcpts_sql, "s", qid)) == NULL) {
		PQclear(rm);
		return pg_fail_q(db);
	}
	n = (size_t)PQntuples(rm);
	v = n > 0 ? xcalloc(n, sizeof(*v)) : NULL;
	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++) {
		ids[i] = pg_int(rm, (int)i, 0);
		snprintf(v[i].id, sizeof(v[i].id), "%s",
		    PQgetvalue(rm, (int)i, 1));
		v[i].sender = xstrdup(PQgetvalue(rm, (int)i, 2));
		v[i].size = (uint64_t)pg_int(rm, (int)i, 3);
		v[i].created = (time_t)pg_int(rm, (int)i, 4);
		v[i].is_held = PQgetvalue(rm, (int)i, 5)[0] == 't';
		/* A lease that ran out is nobody's: another node may take
		 * the message at its next pass. */
		if (!PQgetisnull(rm, (int)i, 6) && pg_int(rm, (int)i, 7) > 0) {
			v[i].lease_owner = pg_strdup(rm, (int)i, 6);
			v[i].lease_left = (unsigned)pg_int(rm, (int)i, 7);
		}
	}
	info_merge(v, ids, n, rr);
	free(ids);
	PQclear(rm);
	PQclear(rr);
	*out = v;
	*n_out = n;
	return 0;
}

static const char flush_all_sql[] = "UPDATE queue_rcpts SET next_attempt = 0";

static const char flush_sql[] =
	"UPDATE queue_rcpts SET next_attempt = 0 WHERE msg_id = "
	"(SELECT id FROM queue_msgs WHERE qid = $1)";

static int
qpg_flush(struct qdb *db, const char *qid)
{
	uint64_t n = 0;
	int rc;

	if (qid == NULL)
		rc = pg_exec_n(conn_of(db), &n, flush_all_sql, "");
	else
		rc = pg_exec_n(conn_of(db), &n, flush_sql, "s", qid);
	return changed(db, rc, n);
}

static const char remove_sql[] = "DELETE FROM queue_msgs WHERE qid = $1";

static int
qpg_remove(struct qdb *db, const char *qid)
{
	uint64_t n = 0;
	int rc;

	rc = pg_exec_n(conn_of(db), &n, remove_sql, "s", qid);
	return changed(db, rc, n);
}

static const char hold_sql[] =
	"UPDATE queue_msgs SET held = $2 <> 0 WHERE qid = $1";

static int
qpg_hold(struct qdb *db, const char *qid, bool is_held)
{
	uint64_t n = 0;
	int rc;

	rc = pg_exec_n(conn_of(db), &n, hold_sql, "si", qid, (int64_t)is_held);
	return changed(db, rc, n);
}

static const char body_sql[] = "SELECT body FROM queue_msgs WHERE qid = $1";

static int
qpg_body(struct qdb *db, const char *qid, struct buf *out)
{
	PGresult *res;
	int rc = 0;

	/* Binary: the bytes as they are, not bytea's hex text. */
	if ((res = pg_query_bin(conn_of(db), body_sql, "s", qid)) == NULL)
		return pg_fail_q(db);
	if (PQntuples(res) > 0) {
		buf_add(out, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
		rc = 1;
	}
	PQclear(res);
	return rc;
}

static const struct qdb_ops qpg_ops = {
	"postgresql", qpg_close, qpg_begin, qpg_commit, qpg_rollback,
	qpg_insert, qpg_rcpt_update, qpg_rcpt_delete, qpg_report_load,
	qpg_msg_set_warned, qpg_msg_drop_reported, qpg_msg_rcpts_left,
	qpg_msg_delete, qpg_info, qpg_flush, qpg_remove, qpg_hold, qpg_body,
};

struct qdb *
qdb_pg_open(struct queue *q, char **err_out)
{
	struct qdb_pg *p;
	struct pg_thread *c;

	if ((c = pg_thread_new(q->pg_url, err_out)) == NULL)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->base.ops = &qpg_ops;
	p->base.q = q;
	p->c = c;
	return &p->base;
}
