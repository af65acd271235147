/* HTTP sessions: one per connection on the loop that accepted it. Input is
 * parsed one request at a time and requests are answered strictly in order
 * (pipelining, RFC 9112 9.3.2); while one is answered, reading pauses.
 * Each request is checked here before any handler sees it: the route, the
 * signed-in session from the cookie, and for anything that changes state
 * the Origin and the CSRF token.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/conn.h"
#include "lib/log.h"
#include "lib/session.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define READ_CHUNK	(16 * 1024)
#define OUT_HIGH	(256 * 1024)	/* queued output before we wait */

static void	on_input(struct conn *c, void *arg);
static void	on_drain(struct conn *c, void *arg);
static void	on_end(struct conn *c, void *arg, enum conn_end why);
static void	on_closed(struct conn *c, void *arg);
static void	pump(struct web_session *s);

static const struct conn_cb web_conn_cb = {
	.input = on_input,
	.drain = on_drain,
	.end = on_end,
	.closed = on_closed,
};

static void
parser_limits(const struct web_server *srv, struct http_limits *lim)
{
	http_limits_default(lim);
	lim->max_body = srv->max_body;
}

/* A response ends in a short segment, which Nagle's algorithm holds back
 * until the client acknowledges the one before, and a client delays that
 * ACK for up to 40 ms (RFC 1122 4.2.3.2): measured, a 200-row page took
 * 44 ms instead of 1. Responses are written whole, so there is nothing
 * to gain from waiting. */
static void
no_delay(int fd, const struct sockaddr *peer)
{
	int on = 1;

	if ((peer->sa_family == AF_INET || peer->sa_family == AF_INET6) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("web event=nodelay");
}

void
web_session_start(const struct web_server *srv, struct event_base *base,
    int fd, const struct sockaddr *peer, socklen_t peerlen,
    bool implicit_tls, bool busy)
{
	struct web_session *s = xcalloc(1, sizeof(*s));
	struct http_limits lim;

	s->srv = srv;
	s->state = WEB_ST_READ;
	s->stream.fd = -1;
	no_delay(fd, peer);
	str_random_hex(s->id, 6);
	parser_limits(srv, &lim);
	http_parser_init(&s->parser, &lim);
	buf_init(&s->in);
	buf_init(&s->req.headers);
	s->conn = conn_new(base, fd, peer, peerlen, NULL, 0,
	    implicit_tls ? srv->tls : NULL, &web_conn_cb, s);
	conn_set_timeout(s->conn, srv->timeout);
	log_debug("web session=%s event=connect client=%s tls=%s", s->id,
	    conn_peer_str(s->conn), implicit_tls ? "yes" : "no");
	if (busy) {
		static const char msg[] = "HTTP/1.1 503 Service Unavailable"
		    "\r\nContent-Length: 0\r\nRetry-After: 5\r\n"
		    "Connection: close\r\n\r\n";

		conn_write(s->conn, msg, sizeof(msg) - 1);
		s->state = WEB_ST_DONE;
		conn_close_after_flush(s->conn);
	}
}

static void
req_clear(struct web_req *r)
{
	web_params_free(r->params, r->nparams);
	r->nparams = 0;
	buf_reset(&r->headers);
	explicit_bzero(&r->login, sizeof(r->login));
	r->is_signed_in = false;
	r->csp = NULL;
	r->cache = NULL;
	r->is_frameable = false;
	r->is_done = false;
	r->is_async = false;
}

static void
session_free(struct web_session *s)
{
	if (s->stream.fd >= 0)
		close(s->stream.fd);
	if (s->timer != NULL)
		event_free(s->timer);
	store_watch_free(s->watch);
	conn_free(s->conn);
	req_clear(&s->req);
	buf_free(&s->req.headers);
	http_parser_fini(&s->parser);
	buf_free(&s->in);
	free(s);
}

void
web_session_finish(struct web_session *s)
{
	req_clear(&s->req);
	if (s->conn == NULL)
		return;
	if (s->must_close || !s->parser.req.keep_alive) {
		s->state = WEB_ST_DONE;
		conn_close_after_flush(s->conn);
		return;
	}
	http_parser_reset(&s->parser);
	s->state = WEB_ST_READ;
	conn_resume(s->conn);
	pump(s);
}

static void
on_end(struct conn *c, void *arg, enum conn_end why)
{
	struct web_session *s = arg;

	(void)c;
	log_debug("web session=%s event=disconnect reason=%s requests=%u",
	    s->id, session_end_reason(why), s->nrequests);
	if (s->has_job) {
		/* A pool job will call back: keep the session till then. */
		session_conn_drop(&s->conn, &s->is_gone);
		return;
	}
	session_free(s);
}

static void
on_closed(struct conn *c, void *arg)
{
	(void)c;
	on_end(c, arg, CONN_END_EOF);
}

/* Answer a request the parser refused, then close (RFC 9112 9.6: after
 * a framing error we cannot know where the next request starts). */
static void
parse_error(struct web_session *s)
{
	struct web_req *r = &s->req;
	const char *e = s->parser.errstr ? s->parser.errstr : "bad request";

	log_info("web session=%s event=bad-request client=%s status=%d "
	    "reason=\"%s\"", s->id, conn_peer_str(s->conn), s->parser.status,
	    e);
	s->must_close = true;
	r->session = s;
	r->srv = s->srv;
	r->http = &s->parser.req;
	s->state = WEB_ST_BUSY;
	web_reply(r, s->parser.status, "text/plain; charset=utf-8", e,
	    strlen(e));
}

/* Is the request from our own pages? A browser sends Origin on every
 * POST, PUT, PATCH and DELETE, and Sec-Fetch-Site where it knows it. */
static bool
same_origin(struct web_req *r)
{
	const char *v, *host;
	size_t len, hlen;
	struct buf want = BUF_INIT;
	bool ok;

	v = http_header_get(r->http, "sec-fetch-site", &len);
	if (v != NULL && !str_ieq(v, len, "same-origin") &&
	    !str_ieq(v, len, "none"))
		return false;
	if ((v = http_header_get(r->http, "origin", &len)) == NULL)
		return true;
	if ((host = http_header_get(r->http, "host", &hlen)) == NULL)
		return false;
	buf_addf(&want, "%s://%.*s", r->is_tls ? "https" : "http", (int)hlen,
	    host);
	ok = want.len == len && str_ieq(v, len, buf_cstr(&want));
	buf_free(&want);
	return ok;
}

/* Find the signed-in session named by the cookie. */
static void
find_login(struct web_req *r)
{
	const char *v, *id;
	size_t len, idlen;

	v = http_header_get(r->http, "cookie", &len);
	if (v == NULL || !web_cookie_get(v, len, web_cookie_name(r->is_tls),
	    &id, &idlen))
		return;
	r->is_signed_in = web_sessions_find(r->srv->sessions, id, idlen,
	    time(NULL), &r->login) == 1;
}

static bool
is_unsafe(enum http_method m)
{
	return m != HTTP_GET && m != HTTP_HEAD && m != HTTP_OPTIONS;
}

static void
dispatch_api(struct web_req *r)
{
	const struct web_route *rt;
	const char *tok;
	unsigned allow;
	size_t len;

	switch (web_route_find(web_api_routes, r->http->method, r->http->path,
	    r->http->pathlen, &rt, r->params, &r->nparams, &allow)) {
	case WEB_ROUTE_NO_PATH:
		web_reply_error(r, 404, "no such API route");
		return;
	case WEB_ROUTE_NO_METHOD:
		web_reply_header(r, "Allow", "%s%s%s%s%s",
		    allow & HTTP_M(HTTP_GET) ? "GET, HEAD, " : "",
		    allow & HTTP_M(HTTP_POST) ? "POST, " : "",
		    allow & HTTP_M(HTTP_PUT) ? "PUT, " : "",
		    allow & HTTP_M(HTTP_PATCH) ? "PATCH, " : "",
		    allow & HTTP_M(HTTP_DELETE) ? "DELETE, " : "");
		web_reply_error(r, 405, "method not allowed here");
		return;
	case WEB_ROUTE_FOUND:
		break;
	}
	find_login(r);
	if (is_unsafe(r->http->method) && !same_origin(r)) {
		web_reply_error(r, 403, "cross-origin request refused");
		return;
	}
	if ((rt->flags & WEB_R_AUTH) && !r->is_signed_in) {
		web_reply_error(r, 401, "not signed in");
		return;
	}
	tok = http_header_get(r->http, "x-csrf-token", &len);
	if (is_unsafe(r->http->method) && !(rt->flags & WEB_R_LOGIN) &&
	    (!r->is_signed_in || !web_csrf_check(&r->login, tok, len))) {
		web_reply_error(r, 403, "missing or wrong CSRF token");
		return;
	}
	rt->fn(r);
}

static void
dispatch(struct web_session *s)
{
	struct web_req *r = &s->req;
	struct http_request *h = &s->parser.req;

	s->nrequests++;
	s->state = WEB_ST_BUSY;
	r->session = s;
	r->srv = s->srv;
	r->http = h;
	r->is_tls = conn_is_tls(s->conn);
	r->peer_host = conn_peer_host(s->conn);
	r->peer = conn_peer_addr(s->conn);
	if (log_trace_on("http"))
		log_debug("web session=%s trace=in request=\"%s %.*s\"", s->id,
		    http_method_name(h->method), (int)h->pathlen, h->path);
	if (h->method == HTTP_OPTIONS) {
		web_reply_header(r, "Allow", "GET, HEAD, POST, PUT, PATCH, "
		    "DELETE, OPTIONS");
		web_reply(r, 204, NULL, NULL, 0);
	} else if (h->pathlen >= 5 && memcmp(h->path, "/api/", 5) == 0)
		dispatch_api(r);
	else if (h->method != HTTP_GET && h->method != HTTP_HEAD) {
		web_reply_header(r, "Allow", "GET, HEAD");
		web_reply_error(r, 405, "method not allowed");
	} else
		web_static_serve(r);
}

/* Parse what waits; answer each whole request before reading on. */
static void
pump(struct web_session *s)
{
	char chunk[READ_CHUNK];
	size_t n, used;
	int r;

	if (s->is_pumping)
		return;
	s->is_pumping = true;
	while (s->state == WEB_ST_READ && s->conn != NULL) {
		if (conn_output_len(s->conn) > OUT_HIGH) {
			/* A client that pipelines without reading waits. */
			s->is_draining = true;
			conn_pause(s->conn);
			conn_set_drain(s->conn, OUT_HIGH / 2);
			break;
		}
		if (s->in.len == 0) {
			if ((n = conn_read(s->conn, chunk, sizeof(chunk))) == 0)
				break;
			buf_add(&s->in, chunk, n);
		}
		r = http_parser_feed(&s->parser, s->in.data, s->in.len, &used);
		buf_consume(&s->in, used);
		if (r < 0)
			parse_error(s);
		else if (r > 0) {
			conn_pause(s->conn);
			dispatch(s);
		} else if (s->parser.req.expect_continue &&
		    http_parser_has_head(&s->parser)) {
			s->parser.req.expect_continue = false;
			conn_printf(s->conn, "HTTP/1.1 100 Continue\r\n\r\n");
		}
	}
	s->is_pumping = false;
}

static void
on_input(struct conn *c, void *arg)
{
	(void)c;
	pump(arg);
}

static void
on_drain(struct conn *c, void *arg)
{
	struct web_session *s = arg;

	if (s->state == WEB_ST_STREAM) {
		web_stream_more(s);
		return;
	}
	if (s->is_draining) {
		s->is_draining = false;
		conn_set_drain(c, 0);
		conn_resume(c);
		pump(s);
	}
}

void
web_req_suspend(struct web_req *r)
{
	r->is_async = true;
	r->session->has_job = true;
}

bool
web_req_resume(struct web_req *r)
{
	struct web_session *s = r->session;

	s->has_job = false;
	r->is_async = false;
	if (s->is_gone) {
		session_free(s);
		return false;
	}
	return true;
}

struct event_base *
web_req_base(struct web_req *r)
{
	return conn_base(r->session->conn);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct web_session *s = arg;

	(void)fd;
	(void)what;
	s->timer_fn(&s->req);
}

void
web_req_after(struct web_req *r, unsigned seconds, web_handler_fn *fn)
{
	struct web_session *s = r->session;
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (s->timer == NULL)
		s->timer = evtimer_new(conn_base(s->conn), on_timer, s);
	s->timer_fn = fn;
	r->is_async = true;
	evtimer_add(s->timer, &tv);
}

/* Stop waiting for a change; the request is the caller's again. */
static void
watch_end(struct web_session *s)
{
	store_watch_free(s->watch);
	s->watch = NULL;
	if (s->timer != NULL)
		evtimer_del(s->timer);
}

static void
on_watch(void *arg)
{
	struct web_session *s = arg;

	watch_end(s);
	s->watch_fn(&s->req);
}

static void
on_watch_timeout(struct web_req *r)
{
	watch_end(r->session);
	r->session->watch_fn(r);
}

void
web_req_watch(struct web_req *r, unsigned seconds, web_handler_fn *fn)
{
	struct web_session *s = r->session;

	s->watch_fn = fn;
	s->watch = store_watch_new(s->srv->store, r->login.user_id,
	    conn_base(s->conn), on_watch, s);
	web_req_after(r, seconds, on_watch_timeout);
}
