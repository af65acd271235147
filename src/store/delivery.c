/* Delivery, the durable half: the body goes to memory, or to a temporary
 * file once it is big. At commit a small body goes straight to the
 * committer (commit.c), which stores it inline in one transaction shared
 * by many deliveries; a big one first has an I/O pool thread fsync it and
 * give it its final name (fsyncing the directory). done() runs only after
 * that transaction is on disk.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/file.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/store_int.h"

struct store_delivery *
lite_delivery_new(struct store *st, char **err_out)
{
	struct store_delivery *d;

	(void)err_out;
	d = xcalloc(1, sizeof(*d));
	d->st = st;
	d->fd = -1;
	buf_init(&d->mem);
	d->internal_date = (int64_t)time(NULL);
	str_random_hex(d->name, STORE_BODY_NAME_LEN / 2);
	return d;
}

/* Move the body from memory to a temporary file. 0 or -1 with errno. */
static int
delivery_spill(struct store_delivery *d)
{
	d->fd = store_msgfile_open_tmp(d->st, d->name, &d->has_tmp_name);
	if (d->fd == -1)
		return -1;
	if (file_write_all(d->fd, d->mem.data, d->mem.len) == -1)
		return -1;
	buf_free(&d->mem);
	return 0;
}

int
lite_delivery_write(struct store_delivery *d, const void *p, size_t len)
{
	if (d->write_errno != 0) {
		errno = d->write_errno;
		return -1;
	}
	if (d->fd == -1 && d->mem.len + len <= STORE_BODY_INLINE_MAX) {
		buf_add(&d->mem, p, len);
		d->size += len;
		return 0;
	}
	if ((d->fd == -1 && delivery_spill(d) == -1) ||
	    file_write_all(d->fd, p, len) == -1) {
		d->write_errno = errno;
		return -1;
	}
	d->size += len;
	return 0;
}

uint64_t
lite_delivery_size(const struct store_delivery *d)
{
	return d->size;
}

void
lite_delivery_add(struct store_delivery *d, int64_t user_id,
    const char *mailbox)
{
	store_rcpt_add(&d->rcpts, &d->n_rcpts, user_id, mailbox);
}

void
lite_delivery_set_date(struct store_delivery *d, time_t internal_date)
{
	d->internal_date = (int64_t)internal_date;
}

void
store_delivery_free(struct store_delivery *d)
{
	if (d->fd != -1)
		close(d->fd);
	buf_free(&d->mem);
	store_rcpts_free(d->rcpts, d->n_rcpts);
	free(d->err);
	free(d);
}

/* Remove whatever name the delivery's file has, temporary or final (an
 * unnamed temporary file goes with its descriptor). */
static void
delivery_unlink(struct store_delivery *d)
{
	char *path;

	if (d->is_renamed)
		path = store_msgfile_path(d->st, d->name);
	else if (d->has_tmp_name)
		path = store_msgfile_tmp_path(d->st, d->name);
	else
		return;
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("store event=unlink path=%s", path);
	free(path);
}

void
lite_delivery_abort(struct store_delivery *d)
{
	if (d == NULL)
		return;
	delivery_unlink(d);
	store_delivery_free(d);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_delivery *d = arg;

	(void)fd;
	(void)what;
	d->done(d->done_arg, d->err == NULL ? 0 : d->is_full ? STORE_FULL : -1,
	    d->err);
	store_delivery_free(d);
}

void
store_delivery_finish(struct store_delivery *d, int result)
{
	struct lite_store *st = lite_of(d->st);

	if (result != 0) {
		if (d->err == NULL)
			d->err = xstrdup("delivery failed");
		delivery_unlink(d);
		log_warnx("store event=delivery body=%s result=fail "
		    "error=\"%s\"", d->name, d->err);
	} else {
		free(d->err);
		d->err = NULL;
	}
	/* d belongs to done_cb from here; st stays open until in_flight
	 * drops to zero. */
	if (d->base == NULL)
		done_cb(-1, 0, d);
	else if (event_base_once(d->base, -1, EV_TIMEOUT, done_cb, d,
	    NULL) == -1)
		fatalx("store: event_base_once failed");
	pthread_mutex_lock(&st->lock);
	if (--st->in_flight == 0)
		pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* Record why the body could not be made durable; a full disk is told
 * apart so that the caller can say so (SMTP's 452 4.3.1). */
static void
delivery_error(struct store_delivery *d, const char *what, int errnum)
{
	d->err = xasprintf("%s: %s", what, store_msgfile_reason(errnum));
	d->is_full = file_errno_is_full(errnum);
}

/* The new name durable: sync the body's directory. */
static int
dir_sync(struct store_delivery *d)
{
	char *dir = store_msgfile_dir(d->st, d->name);
	int rc;

	if ((rc = file_sync_dir(dir)) == -1)
		delivery_error(d, "fsync", errno);
	free(dir);
	return rc;
}

/* A big body (in its temporary file) durable under its final name: 0, or
 * -1 with d->err set. The file's data first, then its name, and only then
 * (commit.c) the row that refers to it. */
static int
body_sync(struct store_delivery *d)
{
	int rc;

	if (fsync(d->fd) == -1) {
		delivery_error(d, "fsync", errno);
		return -1;
	}
	if (store_msgfile_link(d->st, d->fd, d->name, d->has_tmp_name) ==
	    -1) {
		delivery_error(d, "link", errno);
		return -1;
	}
	d->is_renamed = true;
	rc = close(d->fd);
	d->fd = -1;
	if (rc == -1) {
		delivery_error(d, "close", errno);
		return -1;
	}
	return dir_sync(d);
}

/* On a pool thread, so that many fsyncs run at once (ext4 lets
 * concurrent fsyncs share one journal commit). */
static void
sync_work(void *arg)
{
	struct store_delivery *d = arg;

	if (d->write_errno != 0)
		delivery_error(d, "write", d->write_errno);
	else if (d->n_rcpts == 0)
		d->err = xstrdup("delivery without recipients");
	else
		(void)body_sync(d);
}

/* Still on the pool thread (submitted without a base). */
static void
sync_done(void *arg)
{
	struct store_delivery *d = arg;

	if (d->err != NULL)
		store_delivery_finish(d, -1);
	else
		store_commit_enqueue(d);
}

void
lite_delivery_commit(struct store_delivery *d, struct event_base *base,
    store_delivery_done_fn *done, void *arg)
{
	struct lite_store *st = lite_of(d->st);

	d->base = base;
	d->done = done;
	d->done_arg = arg;
	pthread_mutex_lock(&st->lock);
	st->in_flight++;
	st->n_commits_started++;
	pthread_mutex_unlock(&st->lock);
	if (d->fd == -1 && d->write_errno == 0 && d->n_rcpts > 0) {
		/* Nothing to write or sync before the transaction: it
		 * carries the body (STORE_BODY_INLINE_MAX). */
		d->is_inline = true;
		store_commit_enqueue(d);
	} else
		iopool_submit(st->pool, NULL, sync_work, sync_done, d);
}
