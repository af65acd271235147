/* IMAP sessions: the greeting, reading commands (lines and literals) and
 * running them one at a time, tagged and untagged replies, and the end of
 * the connection (RFC 3501 2.2, 5.4, 7).
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/log.h"
#include "lib/session.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define DRAIN_LOW	(64 * 1024)

static void	on_input(struct conn *c, void *arg);
static void	on_drain(struct conn *c, void *arg);
static void	on_end(struct conn *c, void *arg, enum conn_end why);
static void	on_closed(struct conn *c, void *arg);

static const struct conn_cb imap_conn_cb = {
	.input = on_input,
	.drain = on_drain,
	.end = on_end,
	.closed = on_closed,
};

void
imap_session_start(const struct imap_server *srv, struct event_base *base,
    int fd, const struct sockaddr *peer, socklen_t peerlen,
    bool implicit_tls, bool busy)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));
	struct buf b = BUF_INIT;
	int one = 1;

	/* Replies go out whole from the output buffer: Nagle would only hold
	 * back the last segment of each for the peer's delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->srv = srv;
	s->state = IMAP_ST_NOAUTH;
	str_random_hex(s->id, IMAP_ID_LEN / 2);
	imap_reader_init(&s->rd, srv->max_line, srv->max_literal);
	s->conn = session_conn_open("imap", s->id, base, fd, peer, peerlen,
	    implicit_tls ? srv->tls : NULL, &imap_conn_cb, s, srv->max_line,
	    srv->timeout);
	if (busy) {
		imap_untagged(s, "BYE [UNAVAILABLE] Too many connections, "
		    "try later");
		imap_session_close(s);
		return;
	}
	/* RFC 3501 7.1.1: the greeting may carry the capabilities. */
	imap_capability_write(s, &b);
	imap_untagged(s, "OK [CAPABILITY %s] %s IMAP4rev1 petrel ready",
	    buf_cstr(&b), srv->hostname);
	buf_free(&b);
}

static void
trace_out(struct imap_session *s, const char *p, size_t len)
{
	if (log_trace_on("imap"))
		log_debug("imap session=%s trace=out line=\"%.*s\"", s->id,
		    (int)(len > 200 ? 200 : len), p);
}

void
imap_write(struct imap_session *s, const void *p, size_t len)
{
	if (s->conn != NULL)
		conn_write(s->conn, p, len);
}

static void untagged_v(struct imap_session *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
untagged_v(struct imap_session *s, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	char *text;

	if (s->conn == NULL)
		return;
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("vasprintf");
	buf_adds(&b, "* ");
	buf_adds(&b, text);
	buf_adds(&b, "\r\n");
	trace_out(s, b.data, b.len - 2);
	conn_write(s->conn, b.data, b.len);
	free(text);
	buf_free(&b);
}

void
imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	untagged_v(s, fmt, ap);
	va_end(ap);
}

static void tagged_v(struct imap_cmd *, const char *, const char *,
    va_list) __attribute__((format(printf, 3, 0)));

static void
tagged_v(struct imap_cmd *cmd, const char *status, const char *fmt,
    va_list ap)
{
	struct imap_session *s = cmd->session;
	char *text, *line;
	int len;

	if (s->conn == NULL)
		return;
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("vasprintf");
	len = asprintf(&line, "%s %s %s\r\n", cmd->tag ? cmd->tag : "*",
	    status, text);
	if (len == -1)
		fatalx("asprintf");
	trace_out(s, line, (size_t)len - 2);
	conn_write(s->conn, line, (size_t)len);
	free(line);
	free(text);
}

void
imap_reply_tagged(struct imap_cmd *cmd, const char *status,
    const char *fmt, ...)
{
	struct imap_session *s = cmd->session;
	va_list ap;

	/* RFC 3501 7.4.1: EXPUNGE may not interrupt FETCH, STORE or SEARCH,
	 * but may come with their UID forms. */
	if (s->state == IMAP_ST_SELECTED && strcmp(status, "OK") == 0) {
		imap_view_sync(s, (cmd->flags & CMD_F_NOEXPUNGE) == 0 ||
		    cmd->is_uid);
		/* The mailbox went away: BYE was the answer. */
		if (s->state == IMAP_ST_LOGOUT)
			return;
	}
	va_start(ap, fmt);
	tagged_v(cmd, status, fmt, ap);
	va_end(ap);
}

void
imap_reply_bad(struct imap_cmd *cmd, const char *fmt, ...)
{
	struct imap_session *s = cmd->session;
	va_list ap;

	va_start(ap, fmt);
	tagged_v(cmd, "BAD", fmt, ap);
	va_end(ap);
	if (++s->errors < s->srv->max_errors)
		return;
	imap_untagged(s, "BYE Too many errors");
	imap_session_close(s);
}

static void
cmd_free(struct imap_cmd *cmd)
{
	if (cmd == NULL)
		return;
	if (cmd->state_free != NULL && cmd->state != NULL)
		cmd->state_free(cmd->state);
	imap_args_free(&cmd->args);
	buf_free(&cmd->text);
	free(cmd->tag);
	free(cmd);
}

static void
session_free(struct imap_session *s)
{
	cmd_free(s->cmd);
	store_watch_free(s->watch);
	imap_view_close(s);
	imap_login_fini(s);
	imap_reader_fini(&s->rd);
	conn_free(s->conn);
	free(s);
}

/* The connection is over: free the session, or only its conn while a
 * pool job holds the session (imap_job_done() frees it then). */
static void
session_release(struct imap_session *s)
{
	if (s->is_job_pending) {
		session_conn_drop(&s->conn, &s->is_gone);
		return;
	}
	session_free(s);
}

void
imap_session_close(struct imap_session *s)
{
	if (s->conn == NULL || s->is_closing)
		return;
	s->is_closing = true;
	s->state = IMAP_ST_LOGOUT;
	conn_close_after_flush(s->conn);
}

void
imap_session_set_state(struct imap_session *s, enum imap_state st)
{
	if (s->state == IMAP_ST_SELECTED && st != IMAP_ST_SELECTED)
		imap_view_close(s);
	s->state = st;
}

void
imap_job_start(struct imap_session *s)
{
	s->is_job_pending = true;
	conn_pause(s->conn);
}

bool
imap_job_done(struct imap_session *s)
{
	s->is_job_pending = false;
	if (s->is_gone) {
		session_free(s);
		return false;
	}
	if (!s->is_closing)
		conn_resume(s->conn);
	return true;
}

void
imap_session_idle(struct imap_session *s, bool is_on)
{
	s->is_idle = is_on;
}

void
imap_cmd_finish(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (s->cmd == cmd)
		s->cmd = NULL;
	cmd_free(cmd);
	s->is_busy = false;
	s->is_idle = false;
	if (s->conn == NULL || s->is_closing)
		return;
	conn_set_drain(s->conn, 0);
	/* Commands that came in meanwhile wait in the input buffer; when
	 * called from inside on_input(), its loop reads them. */
	if (!s->is_in_input)
		on_input(s->conn, s);
}

/* RFC 6855 3: once UTF8=ACCEPT is enabled, a quoted string with 8-bit
 * octets that are not UTF-8 is BAD. */
static bool
utf8_quoted_ok(struct imap_cmd *cmd, const char **errstr)
{
	if (imap_args_quoted_utf8(cmd->args.v, cmd->args.n))
		return true;
	*errstr = "Quoted string is not UTF-8";
	return false;
}

void
imap_cmd_resume(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	enum cmd_result rc = cmd->fn(cmd);

	if (rc == CMD_DONE)
		imap_cmd_finish(cmd);
	else if (rc == CMD_AGAIN && s->conn != NULL)
		conn_set_drain(s->conn, DRAIN_LOW);	/* on_drain() goes on */
}

static void
run(struct imap_session *s, struct imap_cmd *cmd)
{
	s->cmd = cmd;
	s->is_busy = true;
	switch (cmd->fn(cmd)) {
	case CMD_DONE:
		s->cmd = NULL;
		s->is_busy = false;
		cmd_free(cmd);
		break;
	case CMD_AGAIN:
		if (s->conn != NULL)
			conn_set_drain(s->conn, DRAIN_LOW);
		break;
	case CMD_WAIT:
		/* The handler may have finished it already. */
		break;
	}
}

static struct imap_cmd *
cmd_new(struct imap_session *s)
{
	struct imap_cmd *cmd = xcalloc(1, sizeof(*cmd));

	cmd->session = s;
	/* Take the text; the reader starts afresh. */
	cmd->text = s->rd.text;
	buf_init(&s->rd.text);
	return cmd;
}

/* The command name, and for UID the one after it (RFC 3501 6.4.8). */
static int
cmd_name(struct imap_cmd *cmd, const char *name, size_t len,
    const char **errstr)
{
	const struct imap_arg *a;

	memcpy(cmd->name, name, len);
	cmd->name[len] = '\0';
	for (char *p = cmd->name; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (strcmp(cmd->name, "UID") != 0)
		return 0;
	a = cmd->args.n > 0 ? &cmd->args.v[0] : NULL;
	if (a == NULL || a->type != IMAP_ARG_ATOM || a->len >= 32) {
		*errstr = "UID needs a command";
		return -1;
	}
	cmd->is_uid = true;
	memcpy(cmd->name, a->p, a->len);
	cmd->name[a->len] = '\0';
	for (char *p = cmd->name; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	/* Shift the arguments so that handlers see the same list. */
	memmove(&cmd->args.v[0], &cmd->args.v[1], (cmd->args.n - 1) *
	    sizeof(*cmd->args.v));
	cmd->args.n--;
	return 0;
}

static void
dispatch(struct imap_session *s)
{
	struct imap_cmd *cmd = cmd_new(s);
	const char *tag, *name, *errstr = NULL;
	size_t tag_len, name_len, rest;

	if (imap_parse_head(cmd->text.data, cmd->text.len, &tag, &tag_len,
	    &name, &name_len, &rest, &errstr) == -1) {
		if (tag != NULL)
			cmd->tag = xstrndup(tag, tag_len);
		imap_reply_bad(cmd, "%s", errstr);
		cmd_free(cmd);
		return;
	}
	cmd->tag = xstrndup(tag, tag_len);
	if (log_trace_on("imap"))
		log_debug("imap session=%s trace=in tag=%s command=%.*s",
		    s->id, cmd->tag, (int)name_len, name);
	if (imap_parse_args(cmd->text.data + rest, cmd->text.len - rest,
	    &cmd->args, &errstr) == -1 ||
	    cmd_name(cmd, name, name_len, &errstr) == -1 ||
	    (cmd->fn = imap_cmd_find(cmd->name, s->state, cmd->is_uid,
	    &cmd->flags, &errstr)) == NULL ||
	    (s->has_utf8 && !utf8_quoted_ok(cmd, &errstr))) {
		imap_reply_bad(cmd, "%s", errstr);
		cmd_free(cmd);
		return;
	}
	run(s, cmd);
}

/* A refused line or literal: answer with the command's tag. */
static void
refuse(struct imap_session *s, const char *errstr, bool is_too_big,
    bool is_sync)
{
	struct imap_cmd *cmd = cmd_new(s);
	const char *tag, *name, *e2;
	size_t tag_len, name_len, rest;

	if (imap_parse_head(cmd->text.data, cmd->text.len, &tag, &tag_len,
	    &name, &name_len, &rest, &e2) == 0 || tag != NULL)
		cmd->tag = xstrndup(tag, tag_len);
	imap_reader_reset(&s->rd);
	if (is_too_big && is_sync)
		imap_reply_no(cmd, "%s", errstr);
	else if (is_too_big) {
		/* RFC 7888 4: the octets of a refused non-synchronizing
		 * literal are on their way; there is no way back in step. */
		imap_reply_bad(cmd, "%s", errstr);
		imap_untagged(s, "BYE Literal too big");
		imap_session_close(s);
	} else
		imap_reply_bad(cmd, "%s", errstr);
	cmd_free(cmd);
}

static void
take_line(struct imap_session *s, const char *line, size_t len)
{
	const char *errstr;
	bool is_sync, is_too_big;
	uint64_t lit;
	int r;

	r = imap_reader_line(&s->rd, line, len, &lit, &is_sync, &is_too_big,
	    &errstr);
	if (r == 1)
		dispatch(s);
	else if (r == -1)
		refuse(s, errstr, is_too_big, is_sync);
	else if (is_sync)
		conn_printf(s->conn, "+ Ready for literal data\r\n");
}

static bool
take_literal(struct imap_session *s)
{
	char chunk[16384];
	size_t want, n;

	want = s->rd.lit_left < sizeof(chunk) ? (size_t)s->rd.lit_left :
	    sizeof(chunk);
	if ((n = conn_read(s->conn, chunk, want)) == 0)
		return false;
	(void)imap_reader_literal(&s->rd, chunk, n);
	return true;
}

static void
on_input(struct conn *c, void *arg)
{
	struct imap_session *s = arg;
	const char *line;
	size_t len;
	bool crlf;
	int r;

	if (s->is_in_input)
		return;
	s->is_in_input = true;
	while (!s->is_closing && s->conn != NULL && !s->is_job_pending &&
	    (!s->is_busy || s->is_idle || s->sasl != NULL)) {
		if (s->rd.lit_left > 0) {
			if (!take_literal(s))
				break;
			continue;
		}
		if ((r = conn_readline(c, &line, &len, &crlf)) == 0)
			break;
		if (s->sasl != NULL) {
			/* Never traced: the line is a secret. */
			imap_sasl_response(s, r < 0 ? "" : line, r < 0 ? 0 :
			    len);
			continue;
		}
		if (s->is_idle) {
			imap_cmd_idle_line(s, r < 0 ? "" : line, r < 0 ? 0 :
			    len);
			continue;
		}
		if (r < 0) {
			imap_reader_reset(&s->rd);
			imap_untagged(s, "BAD Line too long");
			if (++s->errors >= s->srv->max_errors)
				imap_session_close(s);
			continue;
		}
		take_line(s, line, len);
	}
	s->is_in_input = false;
}

static void
on_drain(struct conn *c, void *arg)
{
	struct imap_session *s = arg;
	struct imap_cmd *cmd = s->cmd;

	(void)c;
	if (cmd == NULL || !s->is_busy || s->is_job_pending || s->is_idle)
		return;
	if (cmd->fn(cmd) == CMD_DONE)
		imap_cmd_finish(cmd);
}

static void
on_end(struct conn *c, void *arg, enum conn_end why)
{
	struct imap_session *s = arg;

	(void)c;
	log_info("imap session=%s event=disconnect reason=%s", s->id,
	    session_end_reason(why));
	if (why == CONN_END_TIMEOUT && s->conn != NULL)
		imap_untagged(s, "BYE Autologout; idle for too long");
	session_release(s);
}

static void
on_closed(struct conn *c, void *arg)
{
	(void)c;
	session_release(arg);
}
