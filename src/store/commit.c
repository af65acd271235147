/* The group committer: one thread per store takes every delivery that is
 * ready (a small body still in memory, or a big one whose file and
 * directory a pool thread has synced) and files them all in one
 * transaction, small bodies inline in their rows, so one WAL fsync covers
 * many messages and their bodies.
 * Each delivery runs in a savepoint: one that cannot be filed (its account
 * vanished) fails alone, while a failure of the transaction itself (disk
 * full, I/O error) fails the whole batch and removes its bodies.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

struct commit_stmts {
	sqlite3_stmt	*body_ins;
	sqlite3_stmt	*mbox_get;
	sqlite3_stmt	*mbox_bump;
	sqlite3_stmt	*msg_ins;
};

struct mbox_slot {
	int64_t		id;
	int64_t		uid;
	int64_t		modseq;
};

void
store_commit_enqueue(struct store_delivery *d)
{
	struct lite_store *st = lite_of(d->st);

	pthread_mutex_lock(&st->lock);
	d->next = NULL;
	if (st->pending_tail != NULL)
		st->pending_tail->next = d;
	else
		st->pending_head = d;
	st->pending_tail = d;
	pthread_cond_signal(&st->commit_cond);
	pthread_mutex_unlock(&st->lock);
}

/* Wait for work; take all of it. NULL when the store closes. */
static struct store_delivery *
batch_take(struct lite_store *st)
{
	struct store_delivery *batch;

	pthread_mutex_lock(&st->lock);
	while (st->pending_head == NULL && !st->is_closing)
		pthread_cond_wait(&st->commit_cond, &st->lock);
	batch = st->pending_head;
	st->pending_head = st->pending_tail = NULL;
	pthread_mutex_unlock(&st->lock);
	return batch;
}

static void
stmts_free(struct commit_stmts *cs)
{
	sqlite3_finalize(cs->body_ins);
	sqlite3_finalize(cs->mbox_get);
	sqlite3_finalize(cs->mbox_bump);
	sqlite3_finalize(cs->msg_ins);
	memset(cs, 0, sizeof(*cs));
}

static sqlite3_stmt *
prepare_persistent(sqlite3 *db, const char *sql, char **err_out)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
	    NULL) != SQLITE_OK) {
		*err_out = store_db_errstr(db, "store");
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

static int
stmts_prepare(sqlite3 *db, struct commit_stmts *cs, char **err_out)
{
	if (cs->body_ins != NULL)
		return 0;
	cs->body_ins = prepare_persistent(db, "INSERT INTO bodies(name, "
	    "size, created, data) VALUES (?, ?, ?, ?)", err_out);
	cs->mbox_get = prepare_persistent(db, "SELECT id, uidnext, "
	    "highestmodseq FROM mailboxes WHERE user_id = ? AND name = ?",
	    err_out);
	cs->mbox_bump = prepare_persistent(db, "UPDATE mailboxes SET "
	    "uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 "
	    "WHERE id = ?", err_out);
	cs->msg_ins = prepare_persistent(db, "INSERT INTO messages("
	    "mailbox_id, uid, body_id, flags, modseq, internal_date, size) "
	    "VALUES (?, ?, ?, 0, ?, ?, ?)", err_out);
	if (cs->body_ins == NULL || cs->mbox_get == NULL ||
	    cs->mbox_bump == NULL || cs->msg_ins == NULL) {
		stmts_free(cs);
		return -1;
	}
	return 0;
}

static int
step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Find the mailbox to file into: the one named, else INBOX (the folder may
 * have been deleted since RCPT). 1 found, 0 no account, -1 error. */
static int
mbox_get(struct commit_stmts *cs, int64_t user_id, const char *name,
    struct mbox_slot *out)
{
	int rc;

	sqlite3_bind_int64(cs->mbox_get, 1, user_id);
	sqlite3_bind_text(cs->mbox_get, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(cs->mbox_get);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(cs->mbox_get, 0);
		out->uid = sqlite3_column_int64(cs->mbox_get, 1);
		out->modseq = sqlite3_column_int64(cs->mbox_get, 2) + 1;
	}
	sqlite3_reset(cs->mbox_get);
	sqlite3_clear_bindings(cs->mbox_get);
	if (rc == SQLITE_DONE && strcmp(name, "INBOX") != 0)
		return mbox_get(cs, user_id, "INBOX", out);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
file_rcpt(sqlite3 *db, struct commit_stmts *cs, struct store_delivery *d,
    const struct store_rcpt *r, int64_t body_id)
{
	struct mbox_slot mb;
	int rc;

	if ((rc = mbox_get(cs, r->user_id, r->mailbox, &mb)) != 1) {
		d->err = rc == 0 ? xasprintf("no account with id %lld",
		    (long long)r->user_id) : store_db_errstr(db, "store");
		return -1;
	}
	/* RFC 3501 2.3.1.1: a UID never comes back within a UIDVALIDITY. */
	if (mb.uid >= UINT32_MAX) {
		d->err = xstrdup("mailbox has run out of UIDs");
		return -1;
	}
	sqlite3_bind_int64(cs->mbox_bump, 1, mb.id);
	sqlite3_bind_int64(cs->msg_ins, 1, mb.id);
	sqlite3_bind_int64(cs->msg_ins, 2, mb.uid);
	sqlite3_bind_int64(cs->msg_ins, 3, body_id);
	sqlite3_bind_int64(cs->msg_ins, 4, mb.modseq);
	sqlite3_bind_int64(cs->msg_ins, 5, d->internal_date);
	sqlite3_bind_int64(cs->msg_ins, 6, (int64_t)d->size);
	if (step_done(cs->mbox_bump) == -1 || step_done(cs->msg_ins) == -1) {
		d->err = store_db_errstr(db, "store");
		return -1;
	}
	return 0;
}

static int
file_body(sqlite3 *db, struct commit_stmts *cs, struct store_delivery *d,
    int64_t *body_id)
{
	sqlite3_bind_text(cs->body_ins, 1, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(cs->body_ins, 2, (int64_t)d->size);
	sqlite3_bind_int64(cs->body_ins, 3, (int64_t)time(NULL));
	if (d->is_inline)
		store_db_bind_body(cs->body_ins, 4, d->mem.data, d->mem.len);
	else
		sqlite3_bind_null(cs->body_ins, 4);
	if (step_done(cs->body_ins) == -1) {
		d->err = store_db_errstr(db, "store");
		return -1;
	}
	*body_id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* Run a kept statement that returns no rows (sql: a literal, see
 * store_stmt()): the savepoint around every delivery would otherwise be
 * parsed twice per message. 0, or -1 with *err_out set. */
static int
step_kept(sqlite3 *db, const char *sql, char **err_out)
{
	sqlite3_stmt *stmt = store_stmt(db, sql);

	if (stmt == NULL || step_done(stmt) == -1) {
		*err_out = store_db_errstr(db, "store");
		return -1;
	}
	return 0;
}

/* File one delivery in its own savepoint. 0, or -1 with d->err set. */
static int
file_one(sqlite3 *db, struct commit_stmts *cs, struct store_delivery *d)
{
	int64_t body_id;
	size_t i;
	int rc;

	if (step_kept(db, "SAVEPOINT delivery", &d->err) == -1)
		return -1;
	rc = file_body(db, cs, d, &body_id);
	for (i = 0; i < d->n_rcpts && rc == 0; i++)
		rc = file_rcpt(db, cs, d, &d->rcpts[i], body_id);
	if (rc == -1 && !sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK TO delivery", NULL, NULL,
		    NULL);
	if (!sqlite3_get_autocommit(db)) {
		char *err = NULL;

		(void)step_kept(db, "RELEASE delivery", &err);
		free(err);
	}
	return rc;
}

/* Fail every delivery of the batch that has no reason of its own yet. */
static void
batch_fail(struct store_delivery *batch, const char *err, bool is_full)
{
	struct store_delivery *d, *next;

	for (d = batch; d != NULL; d = next) {
		next = d->next;
		d->is_full |= is_full;
		if (d->err == NULL)
			d->err = xstrdup(err);
		store_delivery_finish(d, -1);
	}
}

static int
batch_file(sqlite3 *db, struct commit_stmts *cs,
    struct store_delivery *batch, char **err_out)
{
	struct store_delivery *d;

	if (stmts_prepare(db, cs, err_out) == -1 ||
	    store_db_begin(db, err_out) == -1)
		return -1;
	for (d = batch; d != NULL; d = d->next) {
		/* Disk full or an I/O error may have rolled the whole
		 * transaction back under us. */
		if (file_one(db, cs, d) == -1 && sqlite3_get_autocommit(db)) {
			*err_out = xstrdup(d->err);
			return -1;
		}
	}
	return store_db_commit(db, err_out);
}

static void
batch_commit(struct store *st, struct commit_stmts *cs,
    struct store_delivery *batch)
{
	struct store_delivery *d, *next;
	struct timespec t0, t1;
	char *err = NULL;
	size_t n = 0, i;
	sqlite3 *db;
	int rc;

	if ((db = store_db(st)) == NULL) {
		batch_fail(batch, "store: cannot open the database", false);
		return;
	}
	for (d = batch; d != NULL; d = d->next)
		n++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = batch_file(db, cs, batch, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("store event=commit deliveries=%zu ms=%.2f result=%s", n,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, rc == 0 ? "ok" : "fail");
	if (rc == -1) {
		/* Read the cause before the rollback resets it. */
		bool is_full = sqlite3_errcode(db) == SQLITE_FULL;

		store_db_rollback(db);
		batch_fail(batch, err != NULL ? err : "store: commit failed",
		    is_full);
		free(err);
		return;
	}
	store_indexer_kick(st);
	for (d = batch; d != NULL; d = next) {
		next = d->next;
		/* Wake the IMAP sessions that watch these accounts (IDLE). */
		for (i = 0; d->err == NULL && i < d->n_rcpts; i++)
			store_notify_user(st, d->rcpts[i].user_id);
		store_delivery_finish(d, d->err != NULL ? -1 : 0);
	}
}

/* The write lock is held briefly by others (the indexer, IMAP flag
 * changes): retry every 100 us rather than after SQLite's default sleeps
 * of 1, 2, 5, 10 ms and more, which would go straight into the latency of
 * every 250 of the batch. Gives up after STORE_BUSY_TIMEOUT_MS. */
#define COMMIT_BUSY_STEP_US	100

static int
commit_busy(void *arg, int n)
{
	(void)arg;
	if ((int64_t)n * COMMIT_BUSY_STEP_US >=
	    (int64_t)STORE_BUSY_TIMEOUT_MS * 1000)
		return 0;
	usleep(COMMIT_BUSY_STEP_US);
	return 1;
}

void *
store_commit_main(void *arg)
{
	struct store *st = arg;
	struct store_delivery *batch;
	struct commit_stmts cs = { NULL, NULL, NULL, NULL };
	sqlite3 *db;

	(void)pthread_setname_np(pthread_self(), "committer");
	if ((db = store_db(st)) != NULL)
		sqlite3_busy_handler(db, commit_busy, NULL);

	while ((batch = batch_take(lite_of(st))) != NULL)
		batch_commit(st, &cs, batch);
	stmts_free(&cs);
	return NULL;
}
