/* AUTH (RFC 4954) with the SASL mechanisms PLAIN and LOGIN, offered only
 * on the submission ports and only under TLS (RFC 6409 4.3, RFC 8314).
 * Failed attempts are throttled per client address and per account, for
 * every protocol.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "smtp_int.h"
#include "store/store.h"

struct auth_job {
	struct smtp_session	*s;
	int			 result;	/* of the password check */
	char			 user[AUTH_USER_MAX];	/* as given */
	struct store_user	 account;
};

static void	auth_step(struct smtp_session *s, const char *resp,
		    size_t len);

static void
auth_end(struct smtp_session *s, enum smtp_state next)
{
	auth_sasl_free(s->sasl);
	s->sasl = NULL;
	s->state = next;
}

void
smtp_cmd_auth(struct smtp_session *s, const char *args, size_t len)
{
	const char *sp = str_chr(args, len, ' ');
	size_t mlen = sp ? (size_t)(sp - args) : len;
	enum auth_sasl_mech mech;

	if (s->mode == SMTP_MODE_MX) {
		smtp_reply_error(s, 502, "5.5.1", "AUTH is offered on the "
		    "submission ports");
		return;
	}
	if (s->is_auth || s->state != SMTP_ST_READY) {
		smtp_reply_error(s, 503, "5.5.1", s->is_auth ?
		    "Already authenticated" : s->state == SMTP_ST_GREET ?
		    "Send EHLO first" : "AUTH not allowed in a transaction");
		return;
	}
	if (!conn_is_tls(s->conn)) {
		smtp_reply_error(s, 538, "5.7.11", "Encryption required for "
		    "requested authentication mechanism");
		return;
	}
	if (auth_sasl_mech_find(args, mlen, &mech) != 0) {
		smtp_reply_error(s, 504, "5.5.4", "Unrecognized authentication "
		    "type");
		return;
	}
	if (auth_throttle_is_blocked(conn_peer_addr(s->conn))) {
		smtp_reply(s, 454, "4.7.0", "Too many failed attempts, try "
		    "later");
		return;
	}
	s->sasl = auth_sasl_new(mech);
	s->state = SMTP_ST_AUTH;
	if (sp != NULL)
		auth_step(s, sp + 1, len - mlen - 1);
	else
		auth_step(s, NULL, 0);
}

void
smtp_auth_response(struct smtp_session *s, const char *line, size_t len)
{
	auth_step(s, line, len);
}

static void
auth_reply_failed(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	smtp_reply(s, 535, "5.7.8", "Authentication credentials invalid");
	s->state = SMTP_ST_READY;
	smtp_session_resume(s);
}

static void
auth_check_work(void *arg)
{
	struct auth_job *j = arg;
	struct smtp_session *s = j->s;

	j->result = store_user_check_password(s->srv->store, s->sasl->user,
	    s->sasl->password, &j->account);
}

static void
auth_check_done(void *arg)
{
	struct auth_job *j = arg;
	struct smtp_session *s = j->s;
	struct timeval tv = { 0, 0 };

	s->is_job_pending = false;
	auth_end(s, SMTP_ST_READY);
	if (s->is_gone) {
		free(j);
		smtp_session_resume(s);		/* frees s */
		return;
	}
	if (j->result >= 0)
		auth_throttle_outcome(conn_peer_addr(s->conn), j->user,
		    j->result == 1);
	if (j->result == 1) {
		s->is_auth = true;
		s->auth_id = j->account.id;
		str_copy(s->auth_user, j->account.address,
		    sizeof(s->auth_user));
		log_info("smtp session=%s event=auth user=%s result=ok", s->id,
		    s->auth_user);
		smtp_reply(s, 235, "2.7.0", "Authentication successful");
		smtp_session_resume(s);
	} else if (j->result == 0) {
		log_info("smtp session=%s event=auth client=%s result=failed",
		    s->id, conn_peer_str(s->conn));
		/* The answer waits, so that guessing is slow. */
		tv.tv_sec = auth_throttle_delay(conn_peer_addr(s->conn));
		s->state = SMTP_ST_AUTH_CHECK;
		if (s->auth_delay == NULL)
			s->auth_delay = evtimer_new(conn_base(s->conn),
			    auth_reply_failed, s);
		evtimer_add(s->auth_delay, &tv);
	} else {
		smtp_reply(s, 454, "4.7.0", "Temporary authentication failure");
		smtp_session_resume(s);
	}
	free(j);
}

static void
auth_step(struct smtp_session *s, const char *resp, size_t len)
{
	const char *challenge, *errstr = NULL;
	struct auth_job *j;

	switch (auth_sasl_step(s->sasl, resp, len, &challenge, &errstr)) {
	case AUTH_SASL_CONTINUE:
		smtp_reply(s, 334, NULL, "%s", challenge);
		return;
	case AUTH_SASL_CANCEL:
		auth_end(s, SMTP_ST_READY);
		smtp_reply_error(s, 501, "5.0.0", "Authentication cancelled");
		return;
	case AUTH_SASL_BAD:
		auth_end(s, SMTP_ST_READY);
		smtp_reply_error(s, 501, "5.5.2", errstr);
		return;
	case AUTH_SASL_DONE:
		break;
	}
	if (auth_throttle_wait(conn_peer_addr(s->conn), s->sasl->user) > 0) {
		log_info("smtp session=%s event=auth user=%s client=%s "
		    "result=throttled", s->id, s->sasl->user,
		    conn_peer_str(s->conn));
		auth_end(s, SMTP_ST_READY);
		smtp_reply(s, 454, "4.7.0", "Too many failed attempts, try "
		    "later");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	str_copy(j->user, s->sasl->user, sizeof(j->user));
	s->state = SMTP_ST_AUTH_CHECK;
	s->is_job_pending = true;
	smtp_session_pause(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), auth_check_work,
	    auth_check_done, j);
}
