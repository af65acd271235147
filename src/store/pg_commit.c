/* The PostgreSQL store's group committer: one thread files every delivery
 * that is waiting in one transaction (one WAL flush on the server for many
 * messages), each delivery in its own savepoint so that one bad recipient
 * fails only its message. UIDs come from the mailbox row, updated (and so
 * locked) in the transaction: two nodes delivering into one mailbox at
 * once wait for each other and never reuse a UID. A conflict between
 * nodes (a deadlock) retries the batch; a database that is away fails it
 * with a temporary error, and the next batch connects again.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg_delivery.h"

#define BATCH_TRIES	3	/* after a deadlock between nodes */

void
pg_commit_enqueue(struct pg_delivery *d)
{
	store_queue_push(&pg_of(d->st)->commits, d);
}

/* Take the next UID of the mailbox to file into: the one named, else
 * INBOX (the folder may have been deleted since RCPT). The UPDATE locks
 * the row to the end of the transaction. 1, 0 no account, -1 error. */
static int
mbox_take(struct pg_thread *c, int64_t user_id, const char *name,
    int64_t *id, int64_t *uid, int64_t *modseq)
{
	PGresult *res;
	int rc;

	res = pg_query(c, "UPDATE mailboxes SET uidnext = uidnext + 1, "
	    "highestmodseq = highestmodseq + 1 WHERE user_id = $1 AND "
	    "name = $2 AND NOT noselect RETURNING id, uidnext - 1, "
	    "highestmodseq", "is", user_id, name);
	if (res == NULL)
		return -1;
	if ((rc = PQntuples(res) > 0)) {
		*id = pg_int(res, 0, 0);
		*uid = pg_int(res, 0, 1);
		*modseq = pg_int(res, 0, 2);
	}
	PQclear(res);
	if (rc == 0 && strcmp(name, "INBOX") != 0)
		return mbox_take(c, user_id, "INBOX", id, uid, modseq);
	return rc;
}

static int
file_rcpt(struct pg_thread *c, struct pg_delivery *d,
    const struct store_rcpt *r, int64_t body_id)
{
	int64_t id, uid, modseq;
	int rc;

	if ((rc = mbox_take(c, r->user_id, r->mailbox, &id, &uid,
	    &modseq)) != 1) {
		d->err = rc == 0 ? xasprintf("no account with id %lld",
		    (long long)r->user_id) : xasprintf("store: %s", c->err);
		return -1;
	}
	/* RFC 3501 2.3.1.1: a UID never comes back within a UIDVALIDITY. */
	if (uid >= UINT32_MAX) {
		d->err = xstrdup("mailbox has run out of UIDs");
		return -1;
	}
	if (pg_exec(c, "INSERT INTO messages(mailbox_id, uid, body_id, flags, "
	    "modseq, internal_date, size) VALUES ($1, $2, $3, 0, $4, $5, $6)",
	    "iiiiii", id, uid, body_id, modseq, d->internal_date,
	    (int64_t)d->body.len) == -1) {
		d->err = xasprintf("store: %s", c->err);
		return -1;
	}
	return 0;
}

static int
file_body(struct pg_thread *c, struct pg_delivery *d, int64_t *body_id)
{
	PGresult *res;

	res = pg_query(c, "INSERT INTO bodies(size, created, data) VALUES "
	    "($1, $2, $3) RETURNING id", "iib", (int64_t)d->body.len,
	    (int64_t)time(NULL), d->body.data, d->body.len);
	if (res == NULL) {
		d->err = xasprintf("store: %s", c->err);
		return -1;
	}
	*body_id = pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* File one delivery in its own savepoint: 0; -1 with d->err set (the
 * savepoint rolled back); -2 when the whole batch must go (the
 * connection broke, or a conflict to retry). */
static int
file_one(struct pg_thread *c, struct pg_delivery *d)
{
	int64_t body_id;
	size_t i;
	int rc;

	if (pg_cmd(c, "SAVEPOINT delivery") == -1)
		return -2;
	rc = file_body(c, d, &body_id);
	for (i = 0; i < d->n_rcpts && rc == 0; i++)
		rc = file_rcpt(c, d, &d->rcpts[i], body_id);
	if (rc == -1 && (pg_is_conflict(c) ||
	    PQstatus(c->pg) != CONNECTION_OK))
		return -2;
	d->is_full = rc == -1 && pg_is_disk_full(c);
	if (rc == -1 && pg_cmd(c, "ROLLBACK TO SAVEPOINT delivery") == -1)
		return -2;
	if (pg_cmd(c, "RELEASE SAVEPOINT delivery") == -1)
		return -2;
	return rc;
}

/* Tell the other nodes, inside the transaction: PostgreSQL delivers the
 * notifications at COMMIT, and only then. */
static int
batch_notify(struct pg_thread *c, struct pg_delivery *batch)
{
	struct pg_delivery *d;
	struct buf ids = BUF_INIT;
	size_t i;
	int rc;

	buf_addc(&ids, '{');
	for (d = batch; d != NULL; d = d->next)
		for (i = 0; d->err == NULL && i < d->n_rcpts; i++)
			buf_addf(&ids, "%s%lld", ids.len > 1 ? "," : "",
			    (long long)d->rcpts[i].user_id);
	buf_addc(&ids, '}');
	rc = ids.len > 2 ? pg_notify_users(c, buf_cstr(&ids)) : 0;
	buf_free(&ids);
	return rc;
}

/* One try at the whole batch: 0 committed; -1 failed (c->err). */
static int
batch_file(struct pg_thread *c, struct pg_delivery *batch)
{
	struct pg_delivery *d;

	if (pg_begin(c) == -1)
		return -1;
	for (d = batch; d != NULL; d = d->next) {
		if (file_one(c, d) == -2) {
			pg_rollback(c);
			return -1;
		}
	}
	if (batch_notify(c, batch) == -1) {
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c);
}

static void
batch_reset(struct pg_delivery *batch)
{
	struct pg_delivery *d;

	for (d = batch; d != NULL; d = d->next) {
		free(d->err);
		d->err = NULL;
		d->is_full = false;
	}
}

static void
batch_commit(struct pg_store *st, struct pg_delivery *batch)
{
	struct pg_delivery *d, *next;
	struct pg_thread *c;
	const char *why = "store: database unavailable";
	bool is_full = false;
	int tries, rc = -1;
	size_t i;

	for (tries = 0; tries < BATCH_TRIES && rc == -1; tries++) {
		batch_reset(batch);
		if ((c = pg_conn_get(&st->base)) == NULL)
			break;
		if ((rc = batch_file(c, batch)) == -1) {
			log_warnx("store event=commit result=fail error=\"%s\"",
			    c->err);
			why = "store: commit failed";
			is_full = pg_is_disk_full(c);
			if (!pg_is_conflict(c))
				break;
		}
	}
	for (d = batch; d != NULL; d = next) {
		next = d->next;
		if (rc == -1 && d->err == NULL) {
			d->err = xstrdup(why);
			d->is_full = is_full;
		}
		/* Wake the local IMAP sessions (IDLE); the other nodes
		 * heard it from the COMMIT. */
		for (i = 0; rc == 0 && d->err == NULL && i < d->n_rcpts; i++)
			store_watch_wake(&st->base, d->rcpts[i].user_id);
		pg_delivery_finish(d);
	}
}

void *
pg_commit_main(void *arg)
{
	struct pg_store *st = arg;
	struct pg_delivery *batch;

	while ((batch = store_queue_take(&st->commits)) != NULL)
		batch_commit(st, batch);
	return NULL;
}
