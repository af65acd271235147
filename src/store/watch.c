/* Change notification for IMAP (IDLE, RFC 2177; untagged updates, RFC 3501
 * 5.2), shared by the backends. One process-wide registry: a writer wakes
 * every watch of the account on the watch's own loop through a libevent
 * event made active from any thread; a backend shared by several
 * processes also tells the others (notify_remote), whose listener then
 * calls store_watch_wake().
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "lib/xalloc.h"
#include "store/backend.h"

struct store_watch {
	struct store_watch	*next;
	struct store		*st;
	int64_t			 user_id;
	struct event		*ev;
	store_watch_fn		*fn;
	void			*arg;
};

static pthread_mutex_t		 registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_watch	*watches;

static void
watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct store_watch *w = arg;

	(void)fd;
	(void)what;
	w->fn(w->arg);
}

struct store_watch *
store_watch_new(struct store *st, int64_t user_id, struct event_base *base,
    store_watch_fn *fn, void *arg)
{
	struct store_watch *w = xcalloc(1, sizeof(*w));

	w->st = st;
	w->user_id = user_id;
	w->fn = fn;
	w->arg = arg;
	w->ev = event_new(base, -1, 0, watch_fire, w);
	pthread_mutex_lock(&registry_lock);
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&registry_lock);
	return w;
}

void
store_watch_free(struct store_watch *w)
{
	struct store_watch **wp;

	if (w == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	for (wp = &watches; *wp != NULL; wp = &(*wp)->next) {
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	/* Unlinked under the lock, so no other thread activates it now;
	 * event_free() also drops a pending activation. */
	event_free(w->ev);
	free(w);
}

/* user_id -1: every account. */
static void
wake(struct store *st, int64_t user_id)
{
	struct store_watch *w;

	pthread_mutex_lock(&registry_lock);
	for (w = watches; w != NULL; w = w->next)
		if (w->st == st && (user_id == -1 || w->user_id == user_id))
			event_active(w->ev, EV_TIMEOUT, 0);
	pthread_mutex_unlock(&registry_lock);
}

void
store_watch_wake(struct store *st, int64_t user_id)
{
	wake(st, user_id);
}

void
store_watch_wake_all(struct store *st)
{
	wake(st, -1);
}

bool
store_watch_any(void)
{
	bool is_any;

	pthread_mutex_lock(&registry_lock);
	is_any = watches != NULL;
	pthread_mutex_unlock(&registry_lock);
	return is_any;
}

void
store_notify_user(struct store *st, int64_t user_id)
{
	wake(st, user_id);
	if (st->ops->notify_remote != NULL)
		st->ops->notify_remote(st, user_id);
}

