/* POP3 sessions: greeting, command reading, replies, the end of the
 * connection, and sending message bodies from the stored file with flow
 * control and dot-stuffing (RFC 1939 3).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conn.h"
#include "lib/log.h"
#include "lib/session.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "pop3_int.h"

#define STREAM_CHUNK	(64 * 1024)
#define STREAM_HIGH	(256 * 1024)	/* queued output before we wait */

static void	on_input(struct conn *c, void *arg);
static void	on_drain(struct conn *c, void *arg);
static void	on_end(struct conn *c, void *arg, enum conn_end why);
static void	on_closed(struct conn *c, void *arg);

static const struct conn_cb pop3_conn_cb = {
	.input = on_input,
	.drain = on_drain,
	.end = on_end,
	.closed = on_closed,
};

void
pop3_session_start(const struct pop3_server *srv, struct event_base *base,
    int fd, const struct sockaddr *peer, socklen_t peerlen,
    bool implicit_tls, bool busy)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->srv = srv;
	s->state = POP3_ST_AUTH;
	s->stream.fd = -1;
	str_random_hex(s->id, POP3_ID_LEN / 2);
	s->conn = session_conn_open("pop3", s->id, base, fd, peer, peerlen,
	    implicit_tls ? srv->tls : NULL, &pop3_conn_cb, s, POP3_LINE_MAX,
	    srv->timeout);
	if (busy) {
		pop3_reply_err(s, "[SYS/TEMP] Too many connections, try later");
		pop3_session_close(s);
		return;
	}
	pop3_reply_ok(s, "%s POP3 petrel ready", srv->hostname);
}

static void reply(struct pop3_session *, const char *, const char *,
    va_list) __attribute__((format(printf, 3, 0)));

static void
reply(struct pop3_session *s, const char *status, const char *fmt,
    va_list ap)
{
	char text[512];

	if (s->conn == NULL)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	conn_printf(s->conn, "%s %s\r\n", status, text);
	if (log_trace_on("pop3"))
		log_debug("pop3 session=%s trace=out line=\"%s %s\"", s->id,
		    status, text);
}

void
pop3_reply_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(s, "+OK", fmt, ap);
	va_end(ap);
}

void
pop3_reply_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(s, "-ERR", fmt, ap);
	va_end(ap);
}

void
pop3_reply_bad(struct pop3_session *s, const char *text)
{
	pop3_reply_err(s, "%s", text);
	if (++s->errors < s->srv->max_errors)
		return;
	pop3_reply_err(s, "Too many errors, closing connection");
	pop3_session_close(s);
}

static void
session_free(struct pop3_session *s)
{
	pop3_login_fini(s);
	if (s->stream.fd >= 0)
		close(s->stream.fd);
	conn_free(s->conn);
	free(s->msgs);
	free(s->deleted);
	free(s);
}

void
pop3_session_close(struct pop3_session *s)
{
	if (s->conn == NULL || s->state == POP3_ST_DONE)
		return;
	s->state = POP3_ST_DONE;
	conn_close_after_flush(s->conn);
}

void
pop3_session_busy(struct pop3_session *s)
{
	s->resume_state = s->state;
	s->state = POP3_ST_BUSY;
	conn_pause(s->conn);
}

void
pop3_session_done_busy(struct pop3_session *s, enum pop3_state next)
{
	if (s->is_gone) {
		session_free(s);
		return;
	}
	if (s->state == POP3_ST_DONE)
		return;
	s->state = next;
	conn_resume(s->conn);
}

static void
on_end(struct conn *c, void *arg, enum conn_end why)
{
	struct pop3_session *s = arg;

	(void)c;
	/* RFC 1939 3: a session that ends without QUIT enters no UPDATE
	 * state, so nothing marked for deletion is removed. */
	log_info("pop3 session=%s event=disconnect reason=%s", s->id,
	    session_end_reason(why));
	if (s->is_job_pending) {
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
	session_free(arg);
}

static void
dispatch(struct pop3_session *s, const char *line, size_t len)
{
	const char *sp, *errstr;
	size_t verb_len;
	pop3_cmd_fn *fn;

	if (memchr(line, '\0', len) != NULL) {
		pop3_reply_bad(s, "NUL bytes are not allowed");
		return;
	}
	sp = str_chr(line, len, ' ');
	verb_len = sp ? (size_t)(sp - line) : len;
	fn = pop3_cmd_find(line, verb_len, s->state, &errstr);
	if (fn == NULL) {
		pop3_reply_bad(s, errstr);
		return;
	}
	if (sp != NULL)
		fn(s, sp + 1, len - verb_len - 1);
	else
		fn(s, line + len, 0);
}

static void
on_input(struct conn *c, void *arg)
{
	struct pop3_session *s = arg;
	const char *line;
	size_t len;
	bool crlf;
	int r;

	while (s->state == POP3_ST_AUTH || s->state == POP3_ST_TRANS ||
	    s->state == POP3_ST_SASL) {
		r = conn_readline(c, &line, &len, &crlf);
		if (r == 0)
			break;
		if (s->state == POP3_ST_SASL) {
			/* Never traced: the line is a secret. */
			pop3_sasl_response(s, r < 0 ? "" : line, r < 0 ? 0 :
			    len);
			continue;
		}
		if (r < 0) {
			pop3_reply_bad(s, "Line too long");
			continue;
		}
		if (log_trace_on("pop3"))
			log_debug("pop3 session=%s trace=in line=\"%.*s\"",
			    s->id, (int)(str_iprefix(line, len, "PASS ") ||
			    str_iprefix(line, len, "AUTH ") ? 4 : len), line);
		dispatch(s, line, len);
	}
}

/* Copy one chunk of the stored message to the client, dot-stuffed; for
 * TOP, stop after the requested body lines. Returns false once done. */
static bool
stream_chunk(struct pop3_session *s, const char *p, size_t len)
{
	struct pop3_stream *st = &s->stream;
	const char *nl;
	size_t n;

	while (len > 0) {
		if (st->at_bol) {
			if (st->in_body && st->lines_left == 0)
				return false;
			if (p[0] == '.')
				conn_write(s->conn, ".", 1);
			st->at_bol = false;
		}
		nl = memchr(p, '\n', len);
		n = nl ? (size_t)(nl - p) + 1 : len;
		conn_write(s->conn, p, n);
		if (nl == NULL) {
			st->line_len += n;
			st->last = p[n - 1];
			return true;
		}
		st->line_len += n - 1;
		if (st->in_body) {
			if (st->lines_left > 0)
				st->lines_left--;
		} else if (st->line_len == 0 ||
		    (st->line_len == 1 && (n >= 2 ? p[n - 2] : st->last) ==
		    '\r'))
			st->in_body = true;	/* the blank line */
		st->line_len = 0;
		st->at_bol = true;
		p += n;
		len -= n;
	}
	return true;
}

static void
stream_finish(struct pop3_session *s)
{
	if (!s->stream.at_bol)
		conn_write(s->conn, "\r\n", 2);
	conn_write(s->conn, ".\r\n", 3);
	close(s->stream.fd);
	s->stream.fd = -1;
	conn_set_drain(s->conn, 0);
	pop3_session_done_busy(s, POP3_ST_TRANS);
}

static void
stream_more(struct pop3_session *s)
{
	char chunk[STREAM_CHUNK];
	ssize_t n;

	while (conn_output_len(s->conn) < STREAM_HIGH) {
		n = read(s->stream.fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Half a message is out: the only honest end is to
			 * drop the connection (RFC 1939 has no abort). */
			log_warn("pop3 session=%s event=read-body", s->id);
			pop3_session_close(s);
			return;
		}
		if (n == 0 || !stream_chunk(s, chunk, (size_t)n)) {
			stream_finish(s);
			return;
		}
	}
}

static void
on_drain(struct conn *c, void *arg)
{
	struct pop3_session *s = arg;

	(void)c;
	if (s->stream.fd >= 0)
		stream_more(s);
}

void
pop3_stream_start(struct pop3_session *s, size_t n, long lines)
{
	const struct store_msg *m = &s->msgs[n - 1];
	int fd;

	fd = store_msg_open(s->srv->store, m);
	if (fd < 0) {
		pop3_reply_err(s, "[SYS/TEMP] Cannot read message %zu", n);
		return;
	}
	pop3_reply_ok(s, "%llu octets", (unsigned long long)m->size);
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.fd = fd;
	s->stream.at_bol = true;
	s->stream.lines_left = lines;
	s->stream.in_body = false;
	pop3_session_busy(s);
	conn_set_drain(s->conn, STREAM_HIGH / 4);
	stream_more(s);
}
