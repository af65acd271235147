/* The SMTP client's connections: connecting to a route's hosts in order
 * (RFC 5321 5.1: on a failure, the next address, then the next host),
 * reading replies, the cache of idle connections per destination, and
 * the queue transport built on them.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "client_int.h"
#include "lib/log.h"
#include "lib/net.h"
#include "lib/tls.h"
#include "lib/xalloc.h"

#define CLIENT_BEV_FLAGS	(BEV_OPT_CLOSE_ON_FREE | \
				 BEV_OPT_DEFER_CALLBACKS)
#define QUIT_TIMEOUT		5

static void	on_read(struct bufferevent *bev, void *arg);
static void	on_write(struct bufferevent *bev, void *arg);
static void	on_event(struct bufferevent *bev, short what, void *arg);
static void	connect_next(struct client_conn *cc);
static void	reap(struct smtp_client *c);
static void	on_reap(evutil_socket_t fd, short what, void *arg);

void
client_send(struct client_conn *cc, const char *fmt, ...)
{
	va_list ap;

	if (log_trace_on("smtp-client")) {
		char line[600];

		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		log_info("smtp-client relay=%s send=\"%.*s\"", cc->relay,
		    (int)strcspn(line, "\r"), line);
	}
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(cc->bev), fmt, ap);
	va_end(ap);
}

void
client_send_secret(struct client_conn *cc, const char *fmt, ...)
{
	va_list ap;

	if (log_trace_on("smtp-client"))
		log_info("smtp-client relay=%s send=\"[redacted]\"",
		    cc->relay);
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(cc->bev), fmt, ap);
	va_end(ap);
}

void
client_conn_timeout(struct client_conn *cc, unsigned seconds)
{
	struct timeval tv = { seconds, 0 };

	bufferevent_set_timeouts(cc->bev, &tv, &tv);
}

void
client_conn_attach(struct client_conn *cc)
{
	const struct smtp_client_params *p = &cc->c->p;

	bufferevent_setcb(cc->bev, on_read, on_write, on_event, cc);
	client_conn_timeout(cc, cc->state == CS_CONNECT ? p->connect_timeout :
	    p->command_timeout);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
}

void
client_conn_drop(struct client_conn *cc)
{
	if (cc->bev != NULL)
		bufferevent_free(cc->bev);
	cc->bev = NULL;
	cc->is_tls = false;
}

static void
conn_destroy(struct client_conn *cc)
{
	if (cc->idle_ev != NULL)
		event_free(cc->idle_ev);
	smtp_client_reply_fini(&cc->reply);
	free(cc->cmds);
	free(cc->accepted);
	buf_free(&cc->body);
	if (cc->body_fd != -1)
		close(cc->body_fd);
	free(cc->key);
	free(cc);
}

/* Free the connections closed since the last time. */
static void
reap(struct smtp_client *c)
{
	struct client_conn *cc;

	while ((cc = c->dead) != NULL) {
		c->dead = cc->next;
		conn_destroy(cc);
	}
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap(arg);
}

void
client_conn_free(struct client_conn *cc)
{
	struct smtp_client *c = cc->c;

	if (cc->prev != NULL)
		cc->prev->next = cc->next;
	else
		c->conns = cc->next;
	if (cc->next != NULL)
		cc->next->prev = cc->prev;
	if (cc->relay[0] != '\0')
		log_debug("smtp-client event=close relay=%s messages=%u",
		    cc->relay, cc->nmsgs);
	client_conn_drop(cc);
	evtimer_del(cc->idle_ev);
	/* Callbacks of this round may still hold cc: free it later. */
	cc->is_dead = true;
	cc->next = c->dead;
	cc->prev = NULL;
	c->dead = cc;
	if (c->reap_ev != NULL)
		event_active(c->reap_ev, EV_TIMEOUT, 0);
}

static void
quit(struct client_conn *cc)
{
	cc->state = CS_QUIT;
	client_send(cc, "QUIT\r\n");
	client_conn_timeout(cc, QUIT_TIMEOUT);
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	quit(arg);
}

void
client_job_finish(struct client_conn *cc)
{
	struct smtp_client *c = cc->c;
	struct queue_job *job = cc->job;
	struct timeval tv = { c->p.idle_seconds, 0 };
	bool is_clean = cc->bev != NULL && (cc->state == CS_TXN ||
	    cc->state == CS_DOT) && cc->nreplied == cc->ncmds;

	snprintf(job->relay, sizeof(job->relay), "%s", cc->relay);
	cc->job = NULL;
	cc->route = NULL;
	if (cc->body_fd != -1)
		close(cc->body_fd);
	cc->body_fd = -1;
	buf_free(&cc->body);
	if (!is_clean || c->is_stopping)
		client_conn_free(cc);
	else if (c->p.messages_per_connection > 0 &&
	    cc->nmsgs >= c->p.messages_per_connection)
		quit(cc);
	else {
		/* Cached before the queue hears of it, so that the next job
		 * for this destination can take the connection at once. */
		cc->state = CS_IDLE;
		evtimer_add(cc->idle_ev, &tv);
		client_conn_timeout(cc, c->p.idle_seconds + QUIT_TIMEOUT);
	}
	queue_job_done(job);
}

/* Every recipient still open gets reason; the connection goes. */
static void
job_fail_all(struct client_conn *cc, const char *reason, bool is_perm)
{
	struct queue_job *job = cc->job;
	size_t i;

	for (i = 0; i < job->nrcpts; i++) {
		job->rcpts[i].status = is_perm ? QUEUE_PERM : QUEUE_TEMP;
		snprintf(job->rcpts[i].reply, sizeof(job->rcpts[i].reply),
		    "%s", reason);
	}
	client_conn_drop(cc);
	client_job_finish(cc);
}

void
client_host_fail(struct client_conn *cc, const char *reason, bool is_perm)
{
	log_info("smtp-client event=host-fail id=%s relay=%s reason=\"%s\"",
	    cc->job->id, cc->relay, reason);
	snprintf(cc->last_err, sizeof(cc->last_err), "%s", reason);
	cc->is_last_perm = is_perm;
	if (cc->bev != NULL && cc->state > CS_GREET && cc->state < CS_TXN)
		client_send(cc, "QUIT\r\n");
	client_conn_drop(cc);
	cc->addr_i++;
	connect_next(cc);
}

static void
format_relay(struct client_conn *cc, const struct queue_host *h,
    const struct sockaddr *sa)
{
	char addr[NET_ADDRSTRLEN];

	net_addr_host(sa, addr, sizeof(addr));
	snprintf(cc->relay, sizeof(cc->relay), "%s[%s]:%d", h->name, addr,
	    net_addr_port(sa));
	snprintf(cc->tls_host, sizeof(cc->tls_host), "%s", h->name);
}

/* Connect to the next address of the route; when none is left, the job
 * fails with the last reason. */
static void
connect_next(struct client_conn *cc)
{
	const struct queue_route *r = cc->route;
	const struct queue_host *h;
	const struct sockaddr *sa;

	while (cc->host_i < r->nhosts &&
	    cc->addr_i >= r->hosts[cc->host_i].naddrs) {
		cc->host_i++;
		cc->addr_i = 0;
	}
	if (cc->host_i >= r->nhosts) {
		job_fail_all(cc, cc->last_err[0] ? cc->last_err :
		    "451 4.4.4 No host to deliver to", cc->is_last_perm);
		return;
	}
	h = &r->hosts[cc->host_i];
	sa = (const struct sockaddr *)&h->addrs[cc->addr_i];
	format_relay(cc, h, sa);
	cc->state = CS_CONNECT;
	cc->is_esmtp = false;
	cc->nmsgs = 0;
	cc->bev = bufferevent_socket_new(cc->c->base, -1, CLIENT_BEV_FLAGS);
	if (cc->bev == NULL)
		fatalx("smtp-client: bufferevent_socket_new failed");
	client_conn_attach(cc);
	cc->c->stats.connections++;
	if (bufferevent_socket_connect(cc->bev, sa, (int)h->addrlens[
	    cc->addr_i]) == -1)
		client_host_fail(cc, "451 4.4.1 Cannot connect", false);
}

static struct client_conn *
conn_new(struct smtp_client *c, const char *key)
{
	struct client_conn *cc = xcalloc(1, sizeof(*cc));

	cc->c = c;
	cc->key = xstrdup(key);
	cc->body_fd = -1;
	smtp_client_reply_init(&cc->reply);
	buf_init(&cc->body);
	cc->idle_ev = evtimer_new(c->base, on_idle, cc);
	cc->next = c->conns;
	if (c->conns != NULL)
		c->conns->prev = cc;
	c->conns = cc;
	return cc;
}

/* A reply is complete: pass it on by state. */
static void
dispatch(struct client_conn *cc)
{
	if (log_trace_on("smtp-client")) {
		char s[QUEUE_REPLY_MAX];

		smtp_client_reply_summary(&cc->reply, s, sizeof(s));
		log_info("smtp-client relay=%s recv=\"%s\"", cc->relay, s);
	}
	switch (cc->state) {
	case CS_TXN:
	case CS_DOT:
		client_txn_reply(cc);
		break;
	case CS_QUIT:
	case CS_IDLE:
		/* A reply to QUIT, or a 421 while idle: done. */
		client_conn_free(cc);
		break;
	case CS_BODY:
		/* A reply before the message was sent: the server gave up
		 * (a 421, RFC 5321 3.8). */
		client_txn_abort(cc, "421 4.4.2 Server ended the session "
		    "during the message");
		break;
	default:
		client_session_reply(cc);
		break;
	}
}

/* Lost a connection (EOF, error, timeout) in whatever state. */
static void
conn_lost(struct client_conn *cc, const char *why)
{
	char reason[QUEUE_REPLY_MAX];

	switch (cc->state) {
	case CS_IDLE:
	case CS_QUIT:
		client_conn_free(cc);
		return;
	case CS_TXN:
		if (cc->is_reused && cc->nreplied == 0) {
			/* The cached connection had died: start afresh, and
			 * that attempt counts. */
			client_conn_drop(cc);
			cc->is_reused = false;
			cc->host_i = cc->addr_i = 0;
			connect_next(cc);
			return;
		}
		/* FALLTHROUGH */
	case CS_BODY:
	case CS_DOT:
		snprintf(reason, sizeof(reason), "451 4.4.2 %s with %s during "
		    "the transaction", why, cc->relay);
		client_txn_abort(cc, reason);
		return;
	default:
		snprintf(reason, sizeof(reason), "451 4.4.1 %s with %s", why,
		    cc->relay);
		client_host_fail(cc, reason, false);
		return;
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct client_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;
	int rc;

	if (cc->is_dead)
		return;
	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		rc = n > SMTP_CLIENT_LINE_MAX ? -1 :
		    smtp_client_reply_feed(&cc->reply, line, n);
		free(line);
		if (rc == -1) {
			conn_lost(cc, "Bad reply");
			return;
		}
		if (rc == 1)
			dispatch(cc);
		/* dispatch() may have closed cc (its memory lives on until
		 * the reaper runs) or put TLS under it. */
		if (cc->is_dead || cc->bev != bev)
			return;
	}
	if (evbuffer_get_length(in) > SMTP_CLIENT_LINE_MAX)
		conn_lost(cc, "Reply line too long");
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct client_conn *cc = arg;

	(void)bev;
	if (!cc->is_dead && cc->state == CS_BODY)
		client_txn_pump(cc);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct client_conn *cc = arg;

	(void)bev;
	if (cc->is_dead)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (cc->state == CS_CONNECT) {
			cc->state = CS_GREET;
			client_conn_timeout(cc, cc->c->p.command_timeout);
		} else if (cc->state == CS_HANDSHAKE)
			client_session_tls_done(cc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		conn_lost(cc, cc->state == CS_CONNECT ? "Connection timed out" :
		    "Timeout");
	else if (what & BEV_EVENT_EOF)
		conn_lost(cc, "Connection closed");
	else if (cc->state == CS_CONNECT)
		conn_lost(cc, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	else if (cc->state == CS_HANDSHAKE)
		conn_lost(cc, "TLS handshake failed");
	else
		conn_lost(cc, "Connection error");
}

static struct client_conn *
idle_find(struct smtp_client *c, const char *key)
{
	struct client_conn *cc;

	for (cc = c->conns; cc != NULL; cc = cc->next)
		if (cc->state == CS_IDLE && strcmp(cc->key, key) == 0)
			return cc;
	return NULL;
}

static void
t_deliver(void *arg, struct queue_job *job)
{
	struct smtp_client *c = arg;
	struct client_conn *cc;

	memset(job->relay, 0, sizeof(job->relay));
	job->is_reused = false;
	if ((cc = idle_find(c, job->nexthop)) != NULL) {
		job->is_reused = true;
		evtimer_del(cc->idle_ev);
		client_conn_timeout(cc, c->p.command_timeout);
		cc->job = job;
		cc->route = job->route;
		cc->is_reused = true;
		client_txn_start(cc);
		return;
	}
	cc = conn_new(c, job->nexthop);
	cc->job = job;
	cc->route = job->route;
	if (cc->route == NULL || cc->route->nhosts == 0) {
		job_fail_all(cc, "451 4.4.4 No route", false);
		return;
	}
	connect_next(cc);
}

static int
t_start(void *arg, struct event_base *base, char **err_out)
{
	struct smtp_client *c = arg;

	(void)err_out;
	c->base = base;
	c->reap_ev = event_new(base, -1, 0, on_reap, c);
	return 0;
}

/* The scheduler stops: end every job now, close every connection. */
static void
t_stop(void *arg)
{
	struct smtp_client *c = arg;
	struct client_conn *cc, *next;

	c->is_stopping = true;
	for (cc = c->conns; cc != NULL; cc = next) {
		next = cc->next;
		if (cc->job != NULL)
			job_fail_all(cc, "451 4.3.2 Mail system shutting down",
			    false);
		else
			client_conn_free(cc);
	}
	reap(c);
}

void
smtp_client_transport(struct smtp_client *c, struct queue_transport *t)
{
	memset(t, 0, sizeof(*t));
	t->start = t_start;
	t->deliver = t_deliver;
	t->stop = t_stop;
	t->arg = c;
}

struct smtp_client *
smtp_client_new(const struct smtp_client_params *p, char **err_out)
{
	struct smtp_client *c = xcalloc(1, sizeof(*c));

	c->p = *p;
	c->helo_name = xstrdup(p->helo_name ? p->helo_name : "localhost");
	c->p.helo_name = c->helo_name;
	if (c->p.connect_timeout == 0)
		c->p.connect_timeout = 30;
	if (c->p.command_timeout == 0)
		c->p.command_timeout = 300;
	if (c->p.data_timeout == 0)
		c->p.data_timeout = 600;
	c->tls_may = tls_client_ctx_new(NULL, false, err_out);
	if (c->tls_may == NULL) {
		smtp_client_free(c);
		return NULL;
	}
	c->ca_file = xstrdup(p->tls_ca_file ? p->tls_ca_file : "");
	c->p.tls_ca_file = c->ca_file;
	return c;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	while (c->conns != NULL) {
		if (c->conns->job != NULL)
			job_fail_all(c->conns, "451 4.3.2 Shutting down",
			    false);
		else
			client_conn_free(c->conns);
	}
	reap(c);
	if (c->reap_ev != NULL)
		event_free(c->reap_ev);
	SSL_CTX_free(c->tls_may);
	SSL_CTX_free(c->tls_verify);
	free(c->helo_name);
	free(c->ca_file);
	free(c);
}

void
smtp_client_get_stats(const struct smtp_client *c,
    struct smtp_client_stats *out)
{
	*out = c->stats;
}
