/* The checkpointer: one thread per store copies the WAL back into the
 * database file. SQLite's default has the connection that commits run the
 * checkpoint once the WAL passes 1,000 pages, which puts a copy of 4 MB
 * and an fsync of the database file into the latency of whichever
 * commit crosses the line: with bodies inline that is the committer, and
 * the 250s of its batch. Here every connection's commit only notes the
 * WAL's size (sqlite3_wal_hook, which replaces the automatic checkpoint);
 * past CHECKPOINT_PAGES this thread runs a PASSIVE checkpoint on its own
 * connection while writers go on. A crash in between loses nothing: the
 * WAL is the durable copy until it is checkpointed.
 * While mail arrives the thread waits: a checkpoint copies pages and
 * fsyncs the database file, CPU and disk that receiving needs more. It
 * runs once deliveries have paused for CHECKPOINT_QUIET_MS, and copies
 * then once a page that many commits rewrote (a mailbox's row, index
 * pages). It does not wait past CHECKPOINT_PAGES_MAX, so the WAL stays
 * bounded under a stream that never pauses. (Not a lower CPU priority:
 * that bound would then depend on the scheduler.)
 * SPDX-License-Identifier: ISC */
#include <time.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "store/store_int.h"

/* SQLite's own default threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define CHECKPOINT_PAGES	1000
/* 64 MiB of 4 KiB pages: the most the WAL grows while mail arrives. */
#define CHECKPOINT_PAGES_MAX	16000
/* A pause in deliveries this long lets the checkpoint run. */
#define CHECKPOINT_QUIET_MS	10

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct lite_store *st = arg;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&st->lock);
		st->wal_pages = pages;
		st->is_checkpoint_due = true;
		pthread_cond_signal(&st->checkpoint_cond);
		pthread_mutex_unlock(&st->lock);
	}
	return SQLITE_OK;
}

void
store_checkpoint_watch(struct lite_store *st, sqlite3 *db)
{
	(void)sqlite3_wal_hook(db, wal_hook, st);
}

/* Sleep until the WAL is due; false when the store closes. */
static bool
due_wait(struct lite_store *st)
{
	bool is_open;

	pthread_mutex_lock(&st->lock);
	while (!st->is_checkpoint_due && !st->is_closing)
		pthread_cond_wait(&st->checkpoint_cond, &st->lock);
	st->is_checkpoint_due = false;
	is_open = !st->is_closing;
	pthread_mutex_unlock(&st->lock);
	return is_open;
}

/* Wait until no delivery is in flight and none started for
 * CHECKPOINT_QUIET_MS, or the WAL passed CHECKPOINT_PAGES_MAX. False when
 * the store closes (closing its last connection checkpoints anyway). */
static bool
quiet_wait(struct lite_store *st)
{
	struct timespec until;
	uint64_t seen;
	bool is_open;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		seen = st->n_commits_started;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_QUIET_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		/* Woken early only for a bigger WAL or the close. */
		while (!st->is_closing && st->wal_pages < CHECKPOINT_PAGES_MAX &&
		    pthread_cond_timedwait(&st->checkpoint_cond, &st->lock,
		    &until) == 0)
			;
		if (st->is_closing || st->wal_pages >= CHECKPOINT_PAGES_MAX ||
		    (st->in_flight == 0 && st->n_commits_started == seen))
			break;
	}
	st->wal_pages = 0;
	is_open = !st->is_closing;
	pthread_mutex_unlock(&st->lock);
	return is_open;
}

static void *
checkpoint_main(void *arg)
{
	struct lite_store *st = arg;
	int rc, wal, done;
	sqlite3 *db;

	(void)pthread_setname_np(pthread_self(), "checkpointer");
	if ((db = store_db(&st->base)) == NULL)
		return NULL;
	while (due_wait(st) && quiet_wait(st)) {
		rc = sqlite3_wal_checkpoint_v2(db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &wal, &done);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warnx("store event=checkpoint error=\"%s\"",
			    sqlite3_errmsg(db));
		else
			log_debug("store event=checkpoint wal=%d done=%d",
			    wal, done);
	}
	return NULL;
}

void
store_checkpoint_start(struct lite_store *st)
{
	int rc;

	if ((rc = pthread_create(&st->checkpointer, NULL, checkpoint_main,
	    st)) != 0)
		fatalx("store: pthread_create: error %d", rc);
	st->has_checkpointer = true;
}

/* After is_closing is set. */
void
store_checkpoint_stop(struct lite_store *st)
{
	if (!st->has_checkpointer)
		return;
	pthread_mutex_lock(&st->lock);
	pthread_cond_broadcast(&st->checkpoint_cond);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->checkpointer, NULL);
	st->has_checkpointer = false;
}
