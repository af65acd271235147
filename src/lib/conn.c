/* Client connections over libevent bufferevents, plain or TLS (OpenSSL),
 * with a bounded line reader. Callbacks are deferred (BEV_OPT_DEFER_CALLBACKS)
 * so that a session may free itself from any of them.
 * A plain connection writes directly: replies gather in the output buffer
 * while the loop runs callbacks, and one flush at the end of them sends
 * all of it with one write(2). Only output the socket does not take at
 * once (EAGAIN) enables the bufferevent's write event, until it is sent.
 * Letting libevent write everything would cost two epoll_ctl(2) calls and
 * a loop wake-up per reply (EPOLLOUT added, then removed), most of the
 * system calls of a short SMTP session.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "buf.h"
#include "conn.h"
#include "log.h"
#include "xalloc.h"

#define CONN_BEV_FLAGS	(BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)

struct conn {
	struct conn		*prev, *next;	/* this thread's connections */
	struct event_base	*base;
	struct bufferevent	*bev;
	const struct conn_cb	*cb;
	void			*arg;
	struct buf		 line;
	size_t			 max_line;
	size_t			 drain_low;
	unsigned		 timeout;
	bool			 is_tls;
	bool			 discarding;	/* inside an over-long line */
	bool			 closing;	/* conn_close_after_flush() */
	bool			 paused;
	struct sockaddr_storage	 peer;
	unsigned char		 peer_key[16];
	unsigned		 peer_conns;	/* from this client, at start */
	char			 peer_host[64];
	char			 peer_str[80];
	char			 tls_info[128];
	struct event		*linger;	/* waits for TLS output */
	struct event		*flush;		/* plain: writes the output */
	unsigned		 linger_ticks;
};

static atomic_uint	 active;

/* Open connections per client address, for a per-client limit. */
#define PEER_BUCKETS	1024

struct peer_count {
	struct peer_count	*next;
	unsigned char		 key[16];
	unsigned		 count;
};

static pthread_mutex_t	 peers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct peer_count *peers[PEER_BUCKETS];
/* A loop's connections, for conn_close_all() when the loop stops. */
static __thread struct conn *thread_conns;

static void	on_read(struct bufferevent *bev, void *arg);
static void	on_write(struct bufferevent *bev, void *arg);
static void	on_event(struct bufferevent *bev, short what, void *arg);
static void	on_flush(evutil_socket_t fd, short what, void *arg);

/* The client's address as 16 bytes, IPv4 mapped into IPv6. */
static void
peer_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, 16);
}

/* Add delta to the count of the client's address; returns the new count. */
static unsigned
peer_count_add(const unsigned char key[16], int delta)
{
	struct peer_count **pp, *p;
	size_t h = 2166136261u, i;
	unsigned n;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	pthread_mutex_lock(&peers_lock);
	for (pp = &peers[h % PEER_BUCKETS]; (p = *pp) != NULL; pp = &p->next)
		if (memcmp(p->key, key, 16) == 0)
			break;
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		memcpy(p->key, key, 16);
		*pp = p;
	}
	p->count += (unsigned)delta;
	n = p->count;
	if (n == 0) {
		*pp = p->next;
		free(p);
	}
	pthread_mutex_unlock(&peers_lock);
	return n;
}

static void
format_peer(struct conn *c, const struct sockaddr *sa, socklen_t len)
{
	char port[8];

	if (getnameinfo(sa, len, c->peer_host, sizeof(c->peer_host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(c->peer_host, sizeof(c->peer_host), "unknown");
		snprintf(port, sizeof(port), "0");
	}
	if (sa->sa_family == AF_INET6)
		snprintf(c->peer_str, sizeof(c->peer_str), "[%s]:%s",
		    c->peer_host, port);
	else
		snprintf(c->peer_str, sizeof(c->peer_str), "%s:%s",
		    c->peer_host, port);
}

static void
attach(struct conn *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, on_read, on_write, on_event, c);
	if (c->timeout > 0)
		conn_set_timeout(c, c->timeout);
	bufferevent_setwatermark(bev, EV_WRITE, c->drain_low, 0);
	if (!c->paused && !c->closing)
		bufferevent_enable(bev, EV_READ);
	/* A plain connection's output waits for on_flush(). */
	if (c->is_tls)
		bufferevent_enable(bev, EV_WRITE);
	else
		bufferevent_disable(bev, EV_WRITE);
}

/* Have on_flush() send the output once the loop's current callbacks are
 * done, so that all the replies they queued leave in one write. */
static void
flush_soon(struct conn *c)
{
	if (!c->is_tls)
		event_active(c->flush, EV_TIMEOUT, 0);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int n;

	(void)fd;
	(void)what;
	if (c->is_tls || evbuffer_get_length(out) == 0 ||
	    (bufferevent_get_enabled(c->bev) & EV_WRITE))
		return;		/* libevent is sending it */
	/* A socket bufferevent keeps the front of its output frozen except
	 * while it writes itself; do as it does. */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(c->bev));
	evbuffer_freeze(out, 1);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		/* Let the bufferevent meet the error again and report it
		 * through on_event(), as for any other connection. */
		bufferevent_enable(c->bev, EV_WRITE);
		return;
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);	/* the rest, later */
	else if (c->closing || c->drain_low > 0)
		bufferevent_trigger(c->bev, EV_WRITE, BEV_OPT_DEFER_CALLBACKS);
}

struct conn *
conn_new(struct event_base *base, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct sockaddr *local, socklen_t locallen,
    SSL_CTX *tls, const struct conn_cb *cb, void *arg)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct bufferevent *bev;

	(void)local;
	(void)locallen;
	c->base = base;
	c->cb = cb;
	c->arg = arg;
	c->max_line = 1000;
	buf_init(&c->line);
	if (peerlen <= sizeof(c->peer))
		memcpy(&c->peer, peer, peerlen);
	format_peer(c, peer, peerlen);
	peer_key(peer, c->peer_key);
	c->peer_conns = peer_count_add(c->peer_key, 1);
	if (tls != NULL) {
		SSL *ssl = SSL_new(tls);

		if (ssl == NULL)
			fatalx("SSL_new failed");
		bev = bufferevent_openssl_socket_new(base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, CONN_BEV_FLAGS);
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		c->is_tls = true;
	} else
		bev = bufferevent_socket_new(base, fd, CONN_BEV_FLAGS);
	if (bev == NULL)
		fatalx("bufferevent_socket_new failed");
	if (tls == NULL &&
	    (c->flush = event_new(base, -1, 0, on_flush, c)) == NULL)
		fatalx("event_new failed");
	atomic_fetch_add(&active, 1);
	c->next = thread_conns;
	if (thread_conns != NULL)
		thread_conns->prev = c;
	thread_conns = c;
	attach(c, bev);
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		thread_conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->linger != NULL)
		event_free(c->linger);
	if (c->flush != NULL)
		event_free(c->flush);
	bufferevent_free(c->bev);
	buf_free(&c->line);
	peer_count_add(c->peer_key, -1);
	free(c);
	atomic_fetch_sub(&active, 1);
}

void
conn_close_all(void)
{
	struct conn *c;

	while ((c = thread_conns) != NULL) {
		if (c->closing)
			c->cb->closed(c, c->arg);
		else
			c->cb->end(c, c->arg, CONN_END_ERROR);
		if (thread_conns == c)
			fatalx("conn_close_all: a session kept its connection");
	}
}

unsigned
conn_active(void)
{
	return atomic_load(&active);
}

void
conn_close_after_flush(struct conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	/* The write callback fires at once when the output is already empty
	 * (low-water mark 0 is reached), so one path handles both cases. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (!c->is_tls && conn_output_len(c) > 0)
		flush_soon(c);	/* it triggers the callback once sent */
	else
		bufferevent_trigger(c->bev, EV_WRITE,
		    BEV_OPT_DEFER_CALLBACKS);
}

void
conn_set_max_line(struct conn *c, size_t max)
{
	c->max_line = max;
}

void
conn_set_timeout(struct conn *c, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	c->timeout = seconds;
	bufferevent_set_timeouts(c->bev, seconds ? &tv : NULL,
	    seconds ? &tv : NULL);
}

/* Skip the rest of an over-long line. Returns true once its LF is gone. */
static bool
discard_long_line(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eol_len;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return false;
	}
	evbuffer_drain(in, (size_t)eol.pos + 1);
	c->discarding = false;
	return true;
}

int
conn_readline(struct conn *c, const char **line_out, size_t *len_out,
    bool *crlf_out)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr eol;
	size_t eol_len, n;

	if (c->discarding && !discard_long_line(c, in))
		return 0;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) < c->max_line)
			return 0;
		c->discarding = true;
		discard_long_line(c, in);
		return -1;
	}
	n = (size_t)eol.pos + 1;
	if (n > c->max_line) {
		evbuffer_drain(in, n);
		return -1;
	}
	buf_reset(&c->line);
	buf_reserve(&c->line, n);
	evbuffer_remove(in, c->line.data, n);
	c->line.len = n - 1;
	*crlf_out = c->line.len > 0 && c->line.data[c->line.len - 1] == '\r';
	if (*crlf_out)
		c->line.len--;
	*line_out = c->line.data;
	*len_out = c->line.len;
	return 1;
}

size_t
conn_read(struct conn *c, void *out, size_t max)
{
	int n = evbuffer_remove(bufferevent_get_input(c->bev), out, max);

	return n > 0 ? (size_t)n : 0;
}

size_t
conn_input_len(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_input(c->bev));
}

void
conn_input_drop(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	evbuffer_drain(in, evbuffer_get_length(in));
	c->discarding = false;
}

void
conn_pause(struct conn *c)
{
	c->paused = true;
	bufferevent_disable(c->bev, EV_READ);
}

void
conn_resume(struct conn *c)
{
	if (!c->paused || c->closing)
		return;
	c->paused = false;
	bufferevent_enable(c->bev, EV_READ);
	/* Input that arrived while paused is already buffered: no new read
	 * event will announce it, so deliver it now. */
	if (conn_input_len(c) > 0)
		bufferevent_trigger(c->bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

void
conn_write(struct conn *c, const void *p, size_t len)
{
	bufferevent_write(c->bev, p, len);
	flush_soon(c);
}

int
conn_write_file(struct conn *c, int fd, off_t off, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	size_t want;
	ssize_t n;
	int dfd;

	if (len == 0)
		return 0;
	if (!c->is_tls) {
		/* evbuffer_add_file() owns (and closes) the descriptor. */
		if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return -1;
		if (evbuffer_add_file(out, dfd, off, (ev_off_t)len) == -1) {
			close(dfd);
			return -1;
		}
		flush_soon(c);
		return 0;
	}
	while (len > 0) {
		want = len < 256 * 1024 ? len : 256 * 1024;
		if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) < 1)
			return -1;
		if ((n = pread(fd, v.iov_base, want, off)) <= 0)
			return -1;
		v.iov_len = (size_t)n;
		if (evbuffer_commit_space(out, &v, 1) == -1)
			return -1;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	flush_soon(c);
}

size_t
conn_output_len(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void
conn_set_drain(struct conn *c, size_t low)
{
	c->drain_low = low;
	if (!c->closing)
		bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
}

void
conn_starttls(struct conn *c, SSL_CTX *tls)
{
	struct bufferevent *filter;
	SSL *ssl;

	if (c->is_tls)
		fatalx("conn_starttls on a TLS connection");
	conn_input_drop(c);
	/* The reply that announced TLS goes out through libevent, under the
	 * filter; no more direct writes. */
	bufferevent_enable(c->bev, EV_WRITE);
	if (c->flush != NULL) {
		event_free(c->flush);
		c->flush = NULL;
	}
	ssl = SSL_new(tls);
	if (ssl == NULL)
		fatalx("SSL_new failed");
	/* The plain bufferevent stays underneath and still holds the reply
	 * that announced TLS; the filter's output queues behind it. */
	filter = bufferevent_openssl_filter_new(c->base, c->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, CONN_BEV_FLAGS);
	if (filter == NULL)
		fatalx("bufferevent_openssl_filter_new failed");
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	c->is_tls = true;
	attach(c, filter);
}

bool
conn_is_tls(const struct conn *c)
{
	return c->is_tls;
}

const char *
conn_tls_info(struct conn *c)
{
	SSL *ssl;

	if (!c->is_tls)
		return "";
	ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl == NULL)
		return "";
	snprintf(c->tls_info, sizeof(c->tls_info), "%s cipher=%s bits=%d",
	    SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	    SSL_get_cipher_bits(ssl, NULL));
	return c->tls_info;
}

const char *
conn_peer_host(const struct conn *c)
{
	return c->peer_host;
}

const char *
conn_peer_str(const struct conn *c)
{
	return c->peer_str;
}

const struct sockaddr *
conn_peer_addr(const struct conn *c)
{
	return (const struct sockaddr *)&c->peer;
}

unsigned
conn_peer_conns(const struct conn *c)
{
	return c->peer_conns;
}

bool
conn_peer_is_loopback(const struct conn *c)
{
	const struct sockaddr *sa = conn_peer_addr(c);

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return false;
}

struct event_base *
conn_base(const struct conn *c)
{
	return c->base;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (!c->closing && !c->paused)
		c->cb->input(c, c->arg);
}

/* Output still on its way: for TLS, also what the filter has already
 * encrypted into the socket bufferevent underneath it. */
static size_t
unsent(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

static void
on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, 5000 };

	(void)fd;
	(void)what;
	/* Give a peer that stopped reading ten seconds, not forever. */
	if (unsent(c) == 0 || ++c->linger_ticks > 2000) {
		c->cb->closed(c, c->arg);
		return;
	}
	evtimer_add(c->linger, &tv);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (!c->is_tls && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0)
		bufferevent_disable(bev, EV_WRITE);	/* back to on_flush() */
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
			return;
		/* A TLS filter has no callback for the bytes below it: look
		 * again shortly until they are gone too. */
		if (c->linger == NULL)
			c->linger = evtimer_new(c->base, on_linger, c);
		on_linger(-1, 0, c);
		return;
	}
	if (c->drain_low > 0 && c->cb->drain != NULL)
		c->cb->drain(c, c->arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	enum conn_end why;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		why = CONN_END_TIMEOUT;
	else if (what & BEV_EVENT_EOF)
		why = CONN_END_EOF;
	else
		why = CONN_END_ERROR;
	if (c->closing) {
		/* The peer went away while we flushed: nothing more to send. */
		c->cb->closed(c, c->arg);
		return;
	}
	c->cb->end(c, c->arg, why);
}
