/* Change notification between the processes sharing a PostgreSQL store:
 * a change that commits sends NOTIFY petrel_user with "<node> <user id>";
 * each process runs a listener thread with its own connection that
 * LISTENs and wakes the local watches of that account (IDLE, the
 * webmail's long poll), skipping what its own node sent. When the
 * database goes away the listener connects again every second, and then
 * wakes every watch, since notifications may have been missed.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"

#define RECONNECT_MS	1000

int
pg_notify_users(struct pg_thread *c, const char *ids)
{
	return pg_exec(c, "SELECT pg_notify('petrel_user', $1 || ' ' || u) "
	    "FROM unnest($2::bigint[]) u", "ss", c->st->node, ids);
}

void
pg_notify_remote(struct store *st, int64_t user_id)
{
	struct pg_thread *c;
	char ids[32];

	if ((c = pg_conn_get(st)) == NULL)
		return;
	snprintf(ids, sizeof(ids), "{%lld}", (long long)user_id);
	/* Outside a transaction: sent at once. A failure costs other nodes
	 * only promptness: their sessions still see the change at their
	 * next command. */
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
	    pg_notify_users(c, ids) == -1)
		log_debug("store event=notify error=\"%s\"", c->err);
}

static PGconn *
listen_connect(struct pg_store *st, char **err_out)
{
	PGconn *pg;

	if ((pg = pg_connect(st->url, err_out)) == NULL)
		return NULL;
	if (pg_setup_exec(pg, "LISTEN petrel_user", "LISTEN", err_out) == -1)
		return NULL;
	return pg;
}

static void
notify_one(struct pg_store *st, const PGnotify *n)
{
	const char *sp = strchr(n->extra, ' ');
	char *end;
	long long id;

	if (sp == NULL || (size_t)(sp - n->extra) != strlen(st->node) ||
	    strncmp(n->extra, st->node, strlen(st->node)) == 0)
		return;		/* ours, woken already, or garbage */
	errno = 0;
	id = strtoll(sp + 1, &end, 10);
	if (errno == 0 && *end == '\0' && id > 0)
		store_watch_wake(&st->base, (int64_t)id);
}

/* Wait for notifications until the connection breaks (0) or the store
 * closes (1). */
static int
listen_loop(struct pg_store *st, PGconn *pg)
{
	struct pollfd pfd[2];
	PGnotify *n;

	pfd[0].fd = PQsocket(pg);
	pfd[0].events = POLLIN;
	pfd[1].fd = st->listen_stop[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (pfd[1].revents != 0)
			return 1;
		if (PQconsumeInput(pg) == 0)
			return 0;
		while ((n = PQnotifies(pg)) != NULL) {
			notify_one(st, n);
			PQfreemem(n);
		}
		if (PQstatus(pg) != CONNECTION_OK)
			return 0;
	}
}

/* Sleep before connecting again: 1 when the store closes meanwhile. */
static int
listen_pause(struct pg_store *st)
{
	struct pollfd pfd = { st->listen_stop[0], POLLIN, 0 };

	return poll(&pfd, 1, RECONNECT_MS) == 1;
}

static void *
listen_main(void *arg)
{
	struct pg_store *st = arg;
	PGconn *pg = st->listen_pg;
	char *err = NULL;

	st->listen_pg = NULL;
	for (;;) {
		if (pg != NULL && listen_loop(st, pg) == 1)
			break;
		PQfinish(pg);
		log_warnx("store event=listen result=lost");
		do {
			free(err);
			err = NULL;
			if (listen_pause(st))
				return NULL;
		} while ((pg = listen_connect(st, &err)) == NULL);
		log_info("store event=listen result=reconnected");
		store_watch_wake_all(&st->base);
	}
	PQfinish(pg);
	free(err);
	return NULL;
}

int
pg_listen_start(struct pg_store *st, char **err_out)
{
	int rc;

	str_random_hex(st->node, (sizeof(st->node) - 1) / 2);
	if ((st->listen_pg = listen_connect(st, err_out)) == NULL)
		return -1;
	if (pipe2(st->listen_stop, O_CLOEXEC) == -1) {
		PQfinish(st->listen_pg);
		st->listen_pg = NULL;
		return store_err(err_out, "store: pipe: %s", strerror(errno));
	}
	rc = pthread_create(&st->listener, NULL, listen_main, st);
	if (rc != 0)
		fatalx("store: pthread_create: error %d", rc);
	st->has_listener = true;
	return 0;
}

void
pg_listen_stop(struct pg_store *st)
{
	if (st->has_listener) {
		(void)write(st->listen_stop[1], "x", 1);
		pthread_join(st->listener, NULL);
		st->has_listener = false;
	}
	if (st->listen_stop[0] != -1) {
		close(st->listen_stop[0]);
		close(st->listen_stop[1]);
	}
	PQfinish(st->listen_pg);
}
