/* The indexer: one thread per store that fills the parse cache (rows.c)
 * and the text index (text.c) of bodies soon after they are committed, so
 * that an IMAP client's first FETCH ENVELOPE or SEARCH BODY of new mail
 * finds them ready instead of parsing a whole mailbox (issue 6). It works
 * off the acknowledgement path: the committer only kicks it after its
 * transaction is durable, it starts a batch only after a pause in
 * deliveries, parses outside any transaction and holds the write lock
 * only to insert a short batch. (It does not lower its CPU priority: a
 * niced thread descheduled under load while it holds the write lock
 * would stall the committer behind it.) At start it works through any backlog (a
 * store from before the indexer, or bodies a crash left unindexed). Both
 * are caches that can be rebuilt, so its commits skip the fsync
 * (synchronous=NORMAL on its own connection); store_rows_get() still
 * fills whatever it has not reached yet.
 * SPDX-License-Identifier: ISC */
#include <sys/statvfs.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"
#include "store/text.h"

/* Bodies per write transaction: enough to amortise the commit, few
 * enough that the committer never waits long for the write lock. */
#define INDEX_BATCH	32
/* A pause in deliveries this long lets the indexer in (see idle_wait). */
#define INDEX_QUIET_MS	20
/* Free space the indexer leaves to mail: it writes only while the disk
 * keeps this much plus INDEX_GROWTH times the text of the batch (trigram
 * rows take several times their text). On a nearly full disk the
 * caches are left to be filled when asked for, as before the indexer. */
#define INDEX_FLOOR	(64ULL * 1024 * 1024)
#define INDEX_GROWTH	8

struct index_item {
	struct store_row row;		/* body_id and the cache fields */
	struct buf	 thdr;
	struct buf	 tbody;
	bool		 is_parsed;
};

/* Up to max bodies after id `after`, in id order, that lack their cache
 * row or their text. How many. */
static size_t
work_find(sqlite3 *db, int64_t after, int64_t *ids, size_t max)
{
	sqlite3_stmt *stmt;
	size_t n = 0;

	stmt = store_stmt(db, "SELECT id FROM bodies b WHERE id > ? AND "
	    "(NOT EXISTS (SELECT 1 FROM cache c WHERE c.body_id = b.id) OR "
	    "NOT EXISTS (SELECT 1 FROM text_index t WHERE t.rowid = b.id)) "
	    "ORDER BY id LIMIT ?");
	if (stmt == NULL)
		return 0;
	sqlite3_bind_int64(stmt, 1, after);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while (n < max && sqlite3_step(stmt) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

/* Whether the body is still there: one expunged since it was parsed must
 * not leave a text row behind for a later body to inherit its id. */
static bool
body_exists(sqlite3 *db, int64_t body_id)
{
	sqlite3_stmt *stmt = store_stmt(db, "SELECT 1 FROM bodies WHERE "
	    "id = ?");
	bool rc;

	if (stmt == NULL)
		return false;
	sqlite3_bind_int64(stmt, 1, body_id);
	rc = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_reset(stmt);
	return rc;
}

/* Write the parsed items in one short transaction. 0 or -1. */
static int
items_store(sqlite3 *db, struct index_item *items, size_t n)
{
	sqlite3_stmt *ins;
	size_t i;

	if (store_db_exec(db, "BEGIN IMMEDIATE", NULL) == -1)
		return -1;
	ins = store_stmt(db, "INSERT OR REPLACE INTO cache VALUES "
	    "(?, ?, ?, ?, ?, ?)");
	for (i = 0; i < n && ins != NULL; i++) {
		if (!items[i].is_parsed ||
		    !body_exists(db, items[i].row.body_id))
			continue;
		store_cache_insert(ins, &items[i].row);
		(void)store_text_put(db, items[i].row.body_id,
		    &items[i].thdr, &items[i].tbody);
	}
	if (ins == NULL || store_db_commit(db, NULL) == -1) {
		store_db_rollback(db);
		return -1;
	}
	return 0;
}

/* Wait until deliveries have paused for INDEX_QUIET_MS: acceptance has
 * the disk, the CPU and the write lock first. Under a steady stream the
 * indexer works in the gaps, after a burst it catches up. *seen is the
 * count of deliveries at the last pause: when none started since, the
 * pause goes on and there is no need to wait again. Deliveries do not
 * wake the indexer (they signal the committer's own condition): it looks
 * again only when the last one in flight is done and when its quiet
 * period ends, so a busy intake costs it no wake-up per message. False
 * when the store closes. */
static bool
idle_wait(struct lite_store *st, uint64_t *seen_io)
{
	struct timespec until;
	uint64_t seen;
	bool is_open;

	pthread_mutex_lock(&st->lock);
	if (st->in_flight == 0 && st->n_commits_started == *seen_io) {
		is_open = !st->is_closing;
		pthread_mutex_unlock(&st->lock);
		return is_open;
	}
	do {
		while (st->in_flight > 0 && !st->is_closing)
			pthread_cond_wait(&st->cond, &st->lock);
		seen = st->n_commits_started;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += INDEX_QUIET_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!st->is_closing && seen == st->n_commits_started &&
		    pthread_cond_timedwait(&st->cond, &st->lock, &until) == 0)
			;
	} while (!st->is_closing && seen != st->n_commits_started);
	*seen_io = seen;
	is_open = !st->is_closing;
	pthread_mutex_unlock(&st->lock);
	return is_open;
}

/* Whether writing `bytes` of cache and text leaves mail its space. */
static bool
has_room(struct store *st, uint64_t bytes)
{
	struct statvfs sv;

	if (statvfs(lite_of(st)->dir, &sv) == -1)
		return false;
	return (uint64_t)sv.f_bavail * sv.f_frsize >=
	    INDEX_FLOOR + INDEX_GROWTH * bytes;
}

static void
batch_index(struct store *st, sqlite3 *db, const int64_t *ids, size_t n,
    uint64_t *seen)
{
	struct index_item *items = xcalloc(n, sizeof(*items));
	uint64_t bytes = 0;
	size_t i;

	/* Parse with no transaction open: readers and the committer go on
	 * meanwhile. */
	for (i = 0; i < n; i++) {
		items[i].row.body_id = ids[i];
		buf_init(&items[i].thdr);
		buf_init(&items[i].tbody);
		items[i].is_parsed = lite_cache_build(st, db, &items[i].row,
		    &items[i].thdr, &items[i].tbody) == 0;
		if (items[i].is_parsed)
			bytes += items[i].thdr.len + items[i].tbody.len +
			    items[i].row.header_len +
			    strlen(items[i].row.bodystructure);
	}
	if (!idle_wait(lite_of(st), seen))
		;	/* closing: drop the batch, it is only a cache */
	else if (!has_room(st, bytes))
		log_debug("store event=index skipped=%zu reason=\"low on "
		    "disk space\"", n);
	else if (items_store(db, items, n) == -1)
		log_warnx("store event=index error=\"%s\"",
		    sqlite3_errmsg(db));
	for (i = 0; i < n; i++) {
		store_cache_free(&items[i].row);
		buf_free(&items[i].thdr);
		buf_free(&items[i].tbody);
	}
	free(items);
}

/* Sleep until there is work; false when the store closes. */
static bool
work_wait(struct lite_store *st)
{
	bool is_open;

	pthread_mutex_lock(&st->lock);
	while (!st->is_index_due && !st->is_closing)
		pthread_cond_wait(&st->index_cond, &st->lock);
	st->is_index_due = false;
	is_open = !st->is_closing;
	pthread_mutex_unlock(&st->lock);
	return is_open;
}

static void *
indexer_main(void *arg)
{
	struct store *st = arg;
	int64_t ids[INDEX_BATCH], after = 0;
	uint64_t seen = UINT64_MAX;
	size_t n;
	sqlite3 *db;

	(void)pthread_setname_np(pthread_self(), "indexer");
	if ((db = store_db(st)) == NULL ||
	    store_db_exec(db, "PRAGMA synchronous=NORMAL", NULL) == -1)
		return NULL;
	while (work_wait(lite_of(st))) {
		/* Bodies get growing ids, so a cursor finds the new ones;
		 * one that slips past (an id reused after the newest body
		 * went) is filled on its first FETCH. */
		while (idle_wait(lite_of(st), &seen) &&
		    (n = work_find(db, after, ids, INDEX_BATCH)) > 0) {
			batch_index(st, db, ids, n, &seen);
			after = ids[n - 1];
		}
	}
	return NULL;
}

void
store_indexer_start(struct store *base)
{
	struct lite_store *st = lite_of(base);
	int rc;

	pthread_cond_init(&st->index_cond, NULL);
	st->is_index_due = true;	/* the backlog */
	if ((rc = pthread_create(&st->indexer, NULL, indexer_main, st)) != 0)
		fatalx("store: pthread_create: error %d", rc);
	st->has_indexer = true;
}

void
store_indexer_kick(struct store *base)
{
	struct lite_store *st = lite_of(base);

	pthread_mutex_lock(&st->lock);
	st->is_index_due = true;
	pthread_cond_signal(&st->index_cond);
	pthread_mutex_unlock(&st->lock);
}

/* After the committer stopped (is_closing is set). */
void
store_indexer_stop(struct store *base)
{
	struct lite_store *st = lite_of(base);

	if (!st->has_indexer)
		return;
	pthread_mutex_lock(&st->lock);
	pthread_cond_broadcast(&st->index_cond);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->indexer, NULL);
	st->has_indexer = false;
	pthread_cond_destroy(&st->index_cond);
}
