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
 * The thread runs at the lowest priority (nice 19): while the event loops
 * and the committer have the CPU, receiving mail comes first and the WAL
 * grows; the checkpoint catches up in the next pause, and copies a page
 * that many commits rewrote (a mailbox's row, index pages) once. A PASSIVE
 * checkpoint takes no lock a writer waits for, so a descheduled one
 * stalls nobody. Should the CPU never pause, the WAL is still bounded: past
 * CHECKPOINT_PAGES_MAX the connection that commits checkpoints itself, as
 * SQLite would by default.
 * SPDX-License-Identifier: ISC */
#include <sys/resource.h>

#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "store/store_int.h"

/* SQLite's own default threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define CHECKPOINT_PAGES	1000
/* 64 MiB of 4 KiB pages: the most the WAL grows while the thread waits. */
#define CHECKPOINT_PAGES_MAX	16000
#define CHECKPOINT_NICE		19

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct lite_store *st = arg;

	if (pages >= CHECKPOINT_PAGES_MAX)
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&st->lock);
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

static void *
checkpoint_main(void *arg)
{
	struct lite_store *st = arg;
	int rc, wal, done;
	sqlite3 *db;

	(void)pthread_setname_np(pthread_self(), "checkpointer");
	/* Linux: with a thread id, setpriority() renices that thread only. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), CHECKPOINT_NICE) == -1)
		log_warn("store event=checkpoint-nice");
	if ((db = store_db(&st->base)) == NULL)
		return NULL;
	while (due_wait(st)) {
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
