/* Change notification for IMAP (IDLE, RFC 2177; untagged updates, RFC 3501
 * 5.2) and the \Recent marks (RFC 3501 2.3.2). One process-wide
 * registry: a writer wakes every watch of the account on the watch's own
 * loop through a libevent event made active from any thread.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

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

void
store_notify_user(struct store *st, int64_t user_id)
{
	struct store_watch *w;

	pthread_mutex_lock(&registry_lock);
	for (w = watches; w != NULL; w = w->next)
		if (w->st == st && w->user_id == user_id)
			event_active(w->ev, EV_TIMEOUT, 0);
	pthread_mutex_unlock(&registry_lock);
}

void
store_notify_mailbox(struct store *st, int64_t mailbox_id)
{
	sqlite3_stmt *stmt;
	int64_t user_id = -1;
	sqlite3 *db;

	if (watches == NULL || (db = store_db(st)) == NULL)
		return;
	stmt = store_stmt(db, "SELECT user_id FROM mailboxes WHERE id = ?");
	if (stmt == NULL)
		return;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		user_id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (user_id >= 0)
		store_notify_user(st, user_id);
}

static uint32_t
recent_get(sqlite3 *db, int64_t mailbox_id)
{
	sqlite3_stmt *stmt;
	uint32_t first = UINT32_MAX;

	stmt = store_stmt(db, "SELECT recent_uid FROM mailboxes WHERE id = ?");
	if (stmt == NULL)
		return UINT32_MAX;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		first = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return first;
}

static void
recent_set(sqlite3 *db, int64_t mailbox_id, uint32_t uidnext)
{
	sqlite3_stmt *stmt;

	stmt = store_db_prepare(db, "UPDATE mailboxes SET recent_uid = ? "
	    "WHERE id = ? AND recent_uid < ?", NULL);
	if (stmt == NULL)
		return;
	sqlite3_bind_int64(stmt, 1, uidnext);
	sqlite3_bind_int64(stmt, 2, mailbox_id);
	sqlite3_bind_int64(stmt, 3, uidnext);
	(void)sqlite3_step(stmt);
	sqlite3_finalize(stmt);
}

uint32_t
store_recent_take(struct store *st, int64_t mailbox_id, uint32_t uidnext)
{
	uint32_t first;
	sqlite3 *db;

	if ((db = store_db(st)) == NULL)
		return UINT32_MAX;
	first = recent_get(db, mailbox_id);
	/* Most of the time nothing new arrived: no write then. */
	if (uidnext == 0 || first == UINT32_MAX || first >= uidnext)
		return first;
	/* The mark is a hint that can be lost: no fsync of its own. */
	(void)store_db_exec(db, "PRAGMA synchronous=NORMAL", NULL);
	if (store_db_begin(db, NULL) == 0) {
		first = recent_get(db, mailbox_id);
		if (first < uidnext)
			recent_set(db, mailbox_id, uidnext);
		if (store_db_commit(db, NULL) == -1)
			first = UINT32_MAX;
	} else
		first = UINT32_MAX;
	(void)store_db_exec(db, "PRAGMA synchronous=FULL", NULL);
	return first;
}
