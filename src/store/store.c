/* Opening and closing the SQLite store, and the per-thread connections:
 * each thread that touches the store gets its own connection (SQLite
 * connections must not be shared between threads without a lock), kept in
 * a pthread key and closed when the thread ends or the store closes.
 * SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

/* How long a writer waits for another's transaction before failing. */

struct store_conn {
	struct store_conn	*next;
	struct lite_store	*st;
	sqlite3			*db;
};

static void
conn_unlink(struct lite_store *st, struct store_conn *c)
{
	struct store_conn **pp;

	for (pp = &st->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/* The key's destructor: the thread ends, so does its connection. */
static void
conn_destroy(void *arg)
{
	struct store_conn *c = arg;

	pthread_mutex_lock(&c->st->lock);
	conn_unlink(c->st, c);
	pthread_mutex_unlock(&c->st->lock);
	sqlite3_close_v2(c->db);
	free(c);
}

static sqlite3 *
conn_open(struct lite_store *st)
{
	sqlite3 *db = NULL;
	char *path, *err = NULL;
	int rc;

	path = xasprintf("%s/store.db", st->dir);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		log_warnx("store event=open dir=%s error=\"%s\"", st->dir,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	store_checkpoint_watch(st, db);
	/* In WAL mode only FULL syncs the log at each commit; NORMAL would
	 * let a power cut take back a delivery that was reported done. */
	if (store_db_exec(db, "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;", &err) == -1) {
		log_warnx("store event=open dir=%s error=\"%s\"", st->dir, err);
		free(err);
		sqlite3_close_v2(db);
		return NULL;
	}
	return db;
}

sqlite3 *
store_db(struct store *base)
{
	struct lite_store *st = lite_of(base);
	struct store_conn *c;

	if ((c = pthread_getspecific(st->conn_key)) != NULL)
		return c->db;
	c = xcalloc(1, sizeof(*c));
	c->st = st;
	if ((c->db = conn_open(st)) == NULL) {
		free(c);
		return NULL;
	}
	if (pthread_setspecific(st->conn_key, c) != 0)
		fatalx("store: pthread_setspecific failed");
	pthread_mutex_lock(&st->lock);
	c->next = st->conns;
	st->conns = c;
	pthread_mutex_unlock(&st->lock);
	return c->db;
}

/* Take dir/lock, exclusively when nobody else has the store open: then
 * this process is alone and may clear what a crash left (temporary files,
 * body files no row refers to) without touching another process's work in
 * flight (a `petrel user add` next to `petrel serve`). *is_alone_out says
 * which; store_lock_share() then lets the others in. */
static int
lock_take(struct lite_store *st, bool *is_alone_out, char **err_out)
{
	char *path;

	path = xasprintf("%s/lock", st->dir);
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (st->lock_fd == -1)
		return store_err(err_out, "%s/lock: %s", st->dir,
		    strerror(errno));
	*is_alone_out = flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0;
	if (!*is_alone_out && flock(st->lock_fd, LOCK_SH) == -1)
		return store_err(err_out, "%s/lock: %s", st->dir,
		    strerror(errno));
	return 0;
}

static int
lock_share(struct lite_store *st, char **err_out)
{
	if (flock(st->lock_fd, LOCK_SH) == -1)
		return store_err(err_out, "%s/lock: %s", st->dir,
		    strerror(errno));
	return 0;
}

static int
db_init(struct lite_store *st, char **err_out)
{
	sqlite3 *db;

	if ((db = store_db(&st->base)) == NULL)
		return store_err(err_out, "%s/store.db: cannot open",
		    st->dir);
	if (store_db_exec(db, "PRAGMA journal_mode=WAL;", err_out) == -1)
		return -1;
	return store_schema_apply(db, err_out);
}

struct store *
lite_open(const char *data_dir, struct iopool *pool, char **err_out)
{
	struct lite_store *st;
	bool is_alone = false;
	int rc;

	if (mkdir(data_dir, 0700) == -1 && errno != EEXIST) {
		store_err(err_out, "%s: %s", data_dir, strerror(errno));
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->base.ops = &lite_ops;
	st->dir = xstrdup(data_dir);
	st->pool = pool;
	st->lock_fd = -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	pthread_cond_init(&st->commit_cond, NULL);
	pthread_cond_init(&st->checkpoint_cond, NULL);
	if (pthread_key_create(&st->conn_key, conn_destroy) != 0)
		fatalx("store: pthread_key_create failed");
	if (store_msgfile_init(&st->base, err_out) == -1 ||
	    lock_take(st, &is_alone, err_out) == -1)
		goto fail;
	if (is_alone)
		store_msgfile_clean_tmp(&st->base);
	if (db_init(st, err_out) == -1)
		goto fail;
	if (is_alone) {
		store_sweep_orphans(&st->base);
		if (lock_share(st, err_out) == -1)
			goto fail;
	}
	store_reserve_take(&st->base);
	rc = pthread_create(&st->committer, NULL, store_commit_main, st);
	if (rc != 0)
		fatalx("store: pthread_create: error %d", rc);
	st->has_committer = true;
	store_indexer_start(&st->base);
	store_checkpoint_start(st);
	return &st->base;
fail:
	lite_close(&st->base);
	return NULL;
}

static void
committer_stop(struct lite_store *st)
{
	pthread_mutex_lock(&st->lock);
	while (st->in_flight > 0)
		pthread_cond_wait(&st->cond, &st->lock);
	st->is_closing = true;
	pthread_cond_broadcast(&st->cond);
	pthread_cond_signal(&st->commit_cond);
	pthread_mutex_unlock(&st->lock);
	if (st->has_committer)
		pthread_join(st->committer, NULL);
}

void
lite_close(struct store *base)
{
	struct lite_store *st = lite_of(base);
	struct store_conn *c, *next;

	committer_stop(st);
	store_indexer_stop(base);
	store_checkpoint_stop(st);
	/* Threads that are still alive keep a dangling key value, but once
	 * the key is deleted its destructor no longer runs. */
	pthread_key_delete(st->conn_key);
	for (c = st->conns; c != NULL; c = next) {
		next = c->next;
		sqlite3_close_v2(c->db);
		free(c);
	}
	if (st->lock_fd != -1)
		close(st->lock_fd);
	pthread_cond_destroy(&st->cond);
	pthread_cond_destroy(&st->commit_cond);
	pthread_cond_destroy(&st->checkpoint_cond);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}
