/* SMTP sessions: the greeting, reading commands (and message data) line by
 * line, dispatching them in order - which is all that PIPELINING (RFC 2920)
 * needs - and the end of the connection.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/conn.h"
#include "lib/log.h"
#include "lib/session.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "queue/queue.h"
#include "smtp_int.h"
#include "store/store.h"

static void	on_input(struct conn *c, void *arg);
static void	on_end(struct conn *c, void *arg, enum conn_end why);
static void	on_closed(struct conn *c, void *arg);

static const struct conn_cb smtp_conn_cb = {
	.input = on_input,
	.end = on_end,
	.closed = on_closed,
};

void
smtp_session_start(const struct smtp_server *srv, struct event_base *base,
    int fd, const struct sockaddr *peer, socklen_t peerlen,
    enum smtp_mode mode, bool busy)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	SSL_CTX *implicit_tls = NULL;
	size_t max_line;

	s->srv = srv;
	s->mode = mode;
	s->state = SMTP_ST_GREET;
	buf_init(&s->data);
	str_random_hex(s->id, SMTP_ID_LEN / 2);
	if (mode == SMTP_MODE_SUBMISSIONS)
		implicit_tls = srv->tls;
	/* AUTH lines may be long (RFC 4954 4); every other command is held
	 * to RFC 5321's limit in dispatch(). */
	max_line = srv->max_line > SMTP_AUTH_LINE_MAX ? srv->max_line :
	    SMTP_AUTH_LINE_MAX;
	s->conn = session_conn_open("smtp", s->id, base, fd, peer, peerlen,
	    implicit_tls, &smtp_conn_cb, s, max_line, srv->timeout);
	if (!busy && conn_peer_conns(s->conn) > srv->max_per_client) {
		smtp_reply(s, 421, "4.7.0", "%s Too many connections from "
		    "your address", srv->hostname);
		smtp_session_close(s);
		return;
	}
	if (busy) {
		/* RFC 5321 3.8: 421 and close when we cannot serve now. */
		smtp_reply(s, 421, "4.7.0", "%s Too many connections, try later",
		    srv->hostname);
		smtp_session_close(s);
		return;
	}
	smtp_reply(s, 220, NULL, "%s ESMTP petrel", srv->hostname);
}

/* Forget the transaction (RFC 5321 4.1.1.5); HELO state stays. */
void
smtp_session_reset(struct smtp_session *s)
{
	store_delivery_abort(s->delivery);
	s->delivery = NULL;
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = 0;
	free(s->targets);
	s->targets = NULL;
	s->ntargets = 0;
	s->has_remote = false;
	queue_msg_abort(s->qmsg);
	s->qmsg = NULL;
	s->mail_from[0] = '\0';
	s->is_8bitmime = s->is_utf8 = s->ret_hdrs = false;
	s->envid[0] = '\0';
	s->msg_id[0] = '\0';
	buf_free(&s->data);
	buf_free(&s->hdr_line);
	s->data_size = 0;
	s->data_error = SMTP_DATA_OK;
	s->data_errno = 0;
}

static void
session_free(struct smtp_session *s)
{
	smtp_session_reset(s);
	auth_sasl_free(s->sasl);
	if (s->auth_delay != NULL)
		event_free(s->auth_delay);
	conn_free(s->conn);
	free(s);
}

/* The store or the pool will call back with this session. */
static bool
is_waiting(const struct smtp_session *s)
{
	return s->state == SMTP_ST_COMMIT || s->is_job_pending;
}

bool
smtp_session_is_submission(const struct smtp_session *s)
{
	return s->mode != SMTP_MODE_MX && s->is_auth;
}

/* End the session: flush the last reply, then free everything. While the
 * store still works on a message, the session waits for its answer. */
void
smtp_session_close(struct smtp_session *s)
{
	if (s->conn == NULL || s->is_closing)
		return;
	s->is_closing = true;
	conn_close_after_flush(s->conn);
}

void
smtp_session_pause(struct smtp_session *s)
{
	conn_pause(s->conn);
}

void
smtp_session_resume(struct smtp_session *s)
{
	if (s->is_gone) {
		session_free(s);
		return;
	}
	conn_resume(s->conn);
}

static void
log_end(struct smtp_session *s, const char *why)
{
	log_info("smtp session=%s event=disconnect client=%s reason=%s", s->id,
	    conn_peer_str(s->conn), why);
}

static void
on_end(struct conn *c, void *arg, enum conn_end why)
{
	struct smtp_session *s = arg;

	(void)c;
	log_end(s, session_end_reason(why));
	if (why == CONN_END_TIMEOUT && !is_waiting(s)) {
		/* RFC 5321 4.5.3.2: say why before closing. */
		smtp_reply(s, 421, "4.4.2", "%s Timeout, closing connection",
		    s->srv->hostname);
	}
	if (is_waiting(s)) {
		/* The store will call back: keep the session until then. */
		session_conn_drop(&s->conn, &s->is_gone);
		return;
	}
	session_free(s);
}

static void
on_closed(struct conn *c, void *arg)
{
	struct smtp_session *s = arg;

	(void)c;
	if (is_waiting(s)) {
		session_conn_drop(&s->conn, &s->is_gone);
		return;
	}
	log_end(s, "quit");
	session_free(s);
}

static void
dispatch(struct smtp_session *s, const char *line, size_t len)
{
	const char *sp;
	size_t verb_len;
	smtp_cmd_fn *fn;

	if (memchr(line, '\0', len) != NULL) {
		smtp_reply_error(s, 500, "5.5.2", "NUL bytes are not allowed");
		return;
	}
	sp = str_chr(line, len, ' ');
	verb_len = sp ? (size_t)(sp - line) : len;
	if (len + 2 > s->srv->max_line && !str_ieq(line, verb_len, "AUTH")) {
		/* RFC 5321 4.5.3.1.4: 500 for a too-long line. */
		smtp_reply_error(s, 500, "5.5.2", "Line too long");
		return;
	}
	if (++s->commands > s->srv->max_commands) {
		smtp_reply(s, 421, "4.7.0", "%s Too many commands, closing "
		    "connection", s->srv->hostname);
		smtp_session_close(s);
		return;
	}
	fn = smtp_cmd_find(line, verb_len);
	if (fn == NULL) {
		smtp_reply_error(s, 500, "5.5.2", "Command not recognized");
		return;
	}
	if (sp != NULL) {
		sp++;
		fn(s, sp, len - (size_t)(sp - line));
	} else
		fn(s, line + len, 0);
}

/* Trace a command line, never an AUTH payload. */
static void
trace_in(struct smtp_session *s, const char *line, size_t len)
{
	const char *sp = str_chr(line, len, ' ');

	if (str_iprefix(line, len, "AUTH ") && sp != NULL &&
	    (sp = str_chr(sp + 1, len - (size_t)(sp + 1 - line), ' ')) != NULL)
		len = (size_t)(sp - line);	/* keep "AUTH MECH" */
	log_debug("smtp session=%s trace=in line=\"%.*s%s\"", s->id,
	    (int)len, line, sp != NULL && str_iprefix(line, len, "AUTH ") ?
	    " [redacted]" : "");
}

static void
on_input(struct conn *c, void *arg)
{
	struct smtp_session *s = arg;
	const char *line;
	size_t len;
	bool crlf;
	int r;

	/* Stop when a command pauses the session (the store is busy) or
	 * closes it; conn_resume() brings us back for the rest. */
	while (!s->is_closing && s->state != SMTP_ST_COMMIT &&
	    s->state != SMTP_ST_AUTH_CHECK) {
		if (s->state == SMTP_ST_BDAT) {
			smtp_bdat_input(s);
			if (s->state == SMTP_ST_BDAT)
				break;	/* the rest of the chunk is due */
			continue;
		}
		r = conn_readline(c, &line, &len, &crlf);
		if (r == 0)
			break;
		if (s->state == SMTP_ST_DATA) {
			if (r < 0 || len + 2 > s->srv->max_line)
				smtp_data_too_long(s);
			else
				smtp_data_line(s, line, len, crlf);
			continue;
		}
		if (s->state == SMTP_ST_AUTH) {
			if (r < 0)
				smtp_auth_response(s, "", 0);	/* fails */
			else
				smtp_auth_response(s, line, len);
			continue;
		}
		if (r < 0) {
			/* RFC 5321 4.5.3.1.4: 500 for a too-long line. */
			smtp_reply_error(s, 500, "5.5.2", "Line too long");
			continue;
		}
		if (log_trace_on("smtp"))
			trace_in(s, line, len);
		dispatch(s, line, len);
	}
}
