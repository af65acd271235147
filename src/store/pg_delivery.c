/* Delivery into the PostgreSQL store: the body collects in memory (it goes
 * into the database as one bytea parameter); commit queues it for the
 * group committer (pg_commit.c), which files many deliveries in one
 * transaction; done() runs only after that COMMIT succeeded, with
 * synchronous_commit on, so an acknowledged message is on the database
 * server's disk. A database that is away fails the delivery with a
 * temporary error.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg_delivery.h"

struct store_delivery *
pg_delivery_new(struct store *st, char **err_out)
{
	struct pg_delivery *d;

	(void)err_out;
	d = xcalloc(1, sizeof(*d));
	d->st = st;
	buf_init(&d->body);
	d->internal_date = (int64_t)time(NULL);
	return (struct store_delivery *)d;
}

static struct pg_delivery *
pd(struct store_delivery *d)
{
	return (struct pg_delivery *)d;
}

int
pg_delivery_write(struct store_delivery *d, const void *p, size_t len)
{
	buf_add(&pd(d)->body, p, len);
	return 0;
}

uint64_t
pg_delivery_size(const struct store_delivery *d)
{
	return ((const struct pg_delivery *)d)->body.len;
}

void
pg_delivery_add(struct store_delivery *d, int64_t user_id,
    const char *mailbox)
{
	store_rcpt_add(&pd(d)->rcpts, &pd(d)->n_rcpts, user_id, mailbox);
}

void
pg_delivery_set_date(struct store_delivery *d, time_t internal_date)
{
	pd(d)->internal_date = (int64_t)internal_date;
}

static void
delivery_free(struct pg_delivery *d)
{
	buf_free(&d->body);
	store_rcpts_free(d->rcpts, d->n_rcpts);
	free(d->err);
	free(d);
}

void
pg_delivery_abort(struct store_delivery *d)
{
	/* Nothing reached the database before commit. */
	delivery_free(pd(d));
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_delivery *d = arg;

	(void)fd;
	(void)what;
	/* A full disk is said apart, as the embedded store does (SMTP's
	 * 452 4.3.1). */
	d->done(d->done_arg, d->err == NULL ? 0 : d->is_full ? STORE_FULL : -1,
	    d->err);
	delivery_free(d);
}

void
pg_delivery_finish(struct pg_delivery *d)
{
	struct pg_store *st = pg_of(d->st);

	if (d->err != NULL)
		log_warnx("store event=delivery result=fail error=\"%s\"",
		    d->err);
	/* d belongs to done_cb from here; st stays open until in_flight
	 * drops to zero. */
	if (d->base == NULL)
		done_cb(-1, 0, d);
	else if (event_base_once(d->base, -1, EV_TIMEOUT, done_cb, d,
	    NULL) == -1)
		fatalx("store: event_base_once failed");
	store_queue_release(&st->commits);
}

void
pg_delivery_commit(struct store_delivery *sd, struct event_base *base,
    store_delivery_done_fn *done, void *arg)
{
	struct pg_delivery *d = pd(sd);
	struct pg_store *st = pg_of(d->st);

	d->base = base;
	d->done = done;
	d->done_arg = arg;
	store_queue_hold(&st->commits);
	if (d->n_rcpts == 0) {
		d->err = xstrdup("delivery without recipients");
		pg_delivery_finish(d);
		return;
	}
	pg_commit_enqueue(d);
}
