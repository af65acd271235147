/* Opening and closing the PostgreSQL store: check that the database can be
 * reached and bring its schema up to date (a clear error naming the
 * problem when it cannot: unreachable, refused password, a schema newer
 * than this petrel), then start the group committer and the listener
 * that carries change notifications between nodes.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"

static int
schema_check(const char *url, char **err_out)
{
	PGconn *pg;
	int rc;

	if ((pg = pg_connect(url, err_out)) == NULL)
		return -1;
	rc = pg_schema_apply(pg, err_out);
	PQfinish(pg);
	return rc;
}

struct store *
pg_open(const char *url, struct iopool *pool, char **err_out)
{
	struct pg_store *st;
	int rc;

	if (schema_check(url, err_out) == -1)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->base.ops = &pg_ops;
	st->url = xstrdup(url);
	st->pool = pool;
	st->listen_stop[0] = st->listen_stop[1] = -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	if (pthread_key_create(&st->conn_key, pg_conn_key_destroy) != 0)
		fatalx("store: pthread_key_create failed");
	if (pg_listen_start(st, err_out) == -1) {
		pg_close(&st->base);
		return NULL;
	}
	rc = pthread_create(&st->committer, NULL, pg_commit_main, st);
	if (rc != 0)
		fatalx("store: pthread_create: error %d", rc);
	st->has_committer = true;
	return &st->base;
}

static void
committer_stop(struct pg_store *st)
{
	pthread_mutex_lock(&st->lock);
	while (st->in_flight > 0)
		pthread_cond_wait(&st->cond, &st->lock);
	st->is_closing = true;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	if (st->has_committer)
		pthread_join(st->committer, NULL);
}

void
pg_close(struct store *base)
{
	struct pg_store *st = pg_of(base);

	committer_stop(st);
	pg_listen_stop(st);
	/* As for SQLite: live threads keep a dangling key value, but the
	 * destructor no longer runs once the key is deleted. */
	pthread_key_delete(st->conn_key);
	pg_conns_close(st);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st->url);
	free(st);
}
