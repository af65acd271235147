/* Worker threads: one libevent loop each. Every loop listens on every
 * socket; the kernel wakes the loops in turn and whichever accepts first
 * serves the connection for its whole life, so sessions need no locks.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "daemon_int.h"
#include "lib/conn.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* How long sessions get to finish after a stop (a store commit on its way,
 * a last reply) before the loops end. */
#define STOP_GRACE_MS	500

struct worker;

struct accept_ctx {
	struct worker		*worker;
	const struct listener	*listener;
};

struct worker {
	pthread_t		 thread;
	const struct server	*srv;
	struct event_base	*base;
	struct evconnlistener	**evls;
	struct accept_ctx	*ctxs;
	struct event		*stop_ev;
};

struct workers {
	struct worker	*w;
	unsigned	 n;
};

static void
on_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct accept_ctx *ctx = arg;
	const struct server *srv = ctx->worker->srv;
	struct event_base *base = evconnlistener_get_base(evl);
	bool busy = conn_active() >= srv->max_connections;

	switch (ctx->listener->service) {
	case SERVICE_SMTP:
		smtp_session_start(&srv->smtp, base, fd, sa, (socklen_t)salen,
		    SMTP_MODE_MX, busy);
		break;
	case SERVICE_SUBMISSION:
		smtp_session_start(&srv->smtp, base, fd, sa, (socklen_t)salen,
		    SMTP_MODE_SUBMISSION, busy);
		break;
	case SERVICE_SUBMISSIONS:
		smtp_session_start(&srv->smtp, base, fd, sa, (socklen_t)salen,
		    SMTP_MODE_SUBMISSIONS, busy);
		break;
	case SERVICE_POP3:
	case SERVICE_POP3S:
		pop3_session_start(&srv->pop3, base, fd, sa, (socklen_t)salen,
		    ctx->listener->service == SERVICE_POP3S, busy);
		break;
	case SERVICE_IMAP:
	case SERVICE_IMAPS:
		imap_session_start(&srv->imap, base, fd, sa, (socklen_t)salen,
		    ctx->listener->service == SERVICE_IMAPS, busy);
		break;
	case SERVICE_HTTP:
	case SERVICE_HTTPS:
		web_session_start(&srv->web, base, fd, sa, (socklen_t)salen,
		    ctx->listener->service == SERVICE_HTTPS, busy);
		break;
	}
}

static void
on_accept_error(struct evconnlistener *evl, void *arg)
{
	struct accept_ctx *ctx = arg;

	(void)evl;
	/* EMFILE and friends: log and go on; the listener keeps trying. */
	log_warn("serve event=accept-error listen=%s", ctx->listener->addr);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval grace = { 0, STOP_GRACE_MS * 1000 };
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < w->srv->nlisteners; i++) {
		evconnlistener_free(w->evls[i]);
		w->evls[i] = NULL;
	}
	event_base_loopexit(w->base, &grace);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	(void)pthread_setname_np(pthread_self(), "loop");
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	conn_close_all();
	return NULL;
}

static void
worker_init(struct worker *w, const struct server *srv)
{
	size_t i;

	w->srv = srv;
	w->base = event_base_new();
	if (w->base == NULL)
		fatalx("event_base_new failed");
	w->evls = xcalloc(srv->nlisteners, sizeof(*w->evls));
	w->ctxs = xcalloc(srv->nlisteners, sizeof(*w->ctxs));
	for (i = 0; i < srv->nlisteners; i++) {
		w->ctxs[i].worker = w;
		w->ctxs[i].listener = &srv->listeners[i];
		/* The socket is shared by every worker: not ours to close. */
		w->evls[i] = evconnlistener_new(w->base, on_accept,
		    &w->ctxs[i], LEV_OPT_CLOSE_ON_EXEC, -1,
		    srv->listeners[i].fd);
		if (w->evls[i] == NULL)
			fatalx("evconnlistener_new failed");
		evconnlistener_set_error_cb(w->evls[i], on_accept_error);
	}
	w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
}

struct workers *
workers_start(const struct server *srv, unsigned n)
{
	struct workers *ws = xcalloc(1, sizeof(*ws));
	unsigned i;

	ws->n = n;
	ws->w = xcalloc(n, sizeof(*ws->w));
	for (i = 0; i < n; i++) {
		worker_init(&ws->w[i], srv);
		if (pthread_create(&ws->w[i].thread, NULL, worker_main,
		    &ws->w[i]) != 0)
			fatalx("cannot start worker thread");
	}
	return ws;
}

void
workers_stop(struct workers *ws)
{
	unsigned i;

	for (i = 0; i < ws->n; i++)
		event_active(ws->w[i].stop_ev, EV_TIMEOUT, 0);
	for (i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		pthread_join(w->thread, NULL);
		event_free(w->stop_ev);
		free(w->evls);
		free(w->ctxs);
	}
}

void
workers_free(struct workers *ws)
{
	unsigned i;

	if (ws == NULL)
		return;
	for (i = 0; i < ws->n; i++) {
		/* Run what the store and the pool posted after the loop
		 * stopped: sessions that waited for them free themselves. */
		event_base_loop(ws->w[i].base, EVLOOP_NONBLOCK);
		event_base_free(ws->w[i].base);
	}
	free(ws->w);
	free(ws);
}
