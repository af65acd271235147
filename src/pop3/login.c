/* POP3 sign-in: USER/PASS (RFC 1939 7) and AUTH with SASL PLAIN and LOGIN
 * (RFC 5034), throttled per client address with the other protocols, and
 * the maildrop lock that keeps a second session out ([IN-USE], RFC 2449
 * 8.1.1).
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "pop3_int.h"

/* Maildrops held by a session, by account id: one process-wide list. */
struct lock {
	struct lock	*next;
	int64_t		 user_id;
};

static pthread_mutex_t	 locks_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct lock	*locks;

static bool
maildrop_lock(int64_t user_id)
{
	struct lock *l;
	bool is_free;

	pthread_mutex_lock(&locks_mutex);
	for (l = locks; l != NULL; l = l->next)
		if (l->user_id == user_id)
			break;
	is_free = l == NULL;
	if (is_free) {
		l = xmalloc(sizeof(*l));
		l->user_id = user_id;
		l->next = locks;
		locks = l;
	}
	pthread_mutex_unlock(&locks_mutex);
	return is_free;
}

static void
maildrop_unlock(struct pop3_session *s)
{
	struct lock **lp, *l;

	if (!s->has_lock)
		return;
	pthread_mutex_lock(&locks_mutex);
	for (lp = &locks; (l = *lp) != NULL; lp = &l->next) {
		if (l->user_id == s->account.id) {
			*lp = l->next;
			free(l);
			break;
		}
	}
	pthread_mutex_unlock(&locks_mutex);
	s->has_lock = false;
}

bool
pop3_plaintext_allowed(struct pop3_session *s)
{
	return conn_is_tls(s->conn) || conn_peer_is_loopback(s->conn) ||
	    s->srv->plaintext_anywhere;
}

struct login_job {
	struct pop3_session	*s;
	char			 address[STORE_ADDR_MAX];
	char			*password;
	int			 result;
	struct store_user	 account;
	struct store_mailbox	 mailbox;
	struct store_msg	*msgs;
	size_t			 nmsgs;
};

/* On a pool thread: check the password (slow by design), then read the
 * maildrop's listing so that the loop does no disk work. */
static void
login_work(void *arg)
{
	struct login_job *j = arg;
	struct store *st = j->s->srv->store;

	j->result = store_user_check_password(st, j->address, j->password,
	    &j->account);
	explicit_bzero(j->password, strlen(j->password));
	if (j->result != 1)
		return;
	if (store_mailbox_find(st, j->account.id, "INBOX", &j->mailbox) != 1 ||
	    store_mailbox_messages(st, j->mailbox.id, &j->msgs,
	    &j->nmsgs) < 0)
		j->result = -1;
}

static void
reply_failed(evutil_socket_t fd, short what, void *arg)
{
	struct pop3_session *s = arg;

	(void)fd;
	(void)what;
	pop3_reply_bad(s, "[AUTH] Invalid user name or password");
	pop3_session_done_busy(s, POP3_ST_AUTH);
}

/* The password was wrong: answer after the throttle's delay. */
static void
login_failed(struct pop3_session *s, const char *address)
{
	struct timeval tv = { 0, 0 };

	log_info("pop3 session=%s event=login-failed user=%s client=%s", s->id,
	    address, conn_peer_str(s->conn));
	tv.tv_sec = auth_throttle_delay(conn_peer_addr(s->conn));
	if (s->delay_ev == NULL)
		s->delay_ev = evtimer_new(conn_base(s->conn), reply_failed, s);
	evtimer_add(s->delay_ev, &tv);
}

static bool
login_succeeded(struct pop3_session *s, struct login_job *j)
{
	if (!maildrop_lock(j->account.id)) {
		pop3_reply_err(s, "[IN-USE] Maildrop already locked by "
		    "another session");
		return false;
	}
	s->has_lock = true;
	s->account = j->account;
	s->mailbox = j->mailbox;
	s->msgs = j->msgs;
	s->nmsgs = j->nmsgs;
	j->msgs = NULL;
	s->deleted = xcalloc(s->nmsgs ? s->nmsgs : 1, sizeof(bool));
	log_info("pop3 session=%s event=login user=%s messages=%zu", s->id,
	    s->account.address, s->nmsgs);
	pop3_reply_ok(s, "Logged in, %zu messages", s->nmsgs);
	return true;
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct pop3_session *s = j->s;
	enum pop3_state next = POP3_ST_AUTH;

	s->is_job_pending = false;
	free(j->password);
	/* A session whose client left is freed by pop3_session_done_busy(). */
	if (s->is_gone)
		j->result = -2;
	if (j->result == 0 || j->result == 1)
		auth_throttle_outcome(conn_peer_addr(s->conn), j->address,
		    j->result == 1);
	if (j->result == 1 && login_succeeded(s, j))
		next = POP3_ST_TRANS;
	else if (j->result == 0) {
		login_failed(s, j->address);
		free(j->msgs);
		free(j);
		return;		/* reply_failed() goes on */
	} else if (j->result == -1)
		pop3_reply_err(s, "[SYS/TEMP] Cannot open maildrop, try later");
	free(j->msgs);
	free(j);
	pop3_session_done_busy(s, next);
}

/* Check user and password on the pool, then open the maildrop. */
static void
login_start(struct pop3_session *s, const char *user, const char *password)
{
	struct login_job *j;

	if (auth_throttle_wait(conn_peer_addr(s->conn), user) > 0) {
		log_info("pop3 session=%s event=login-throttled user=%s "
		    "client=%s", s->id, user, conn_peer_str(s->conn));
		pop3_reply_err(s, "[SYS/TEMP] Too many failed attempts, try "
		    "later");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	str_copy(j->address, user, sizeof(j->address));
	j->password = xstrdup(password);
	s->is_job_pending = true;
	pop3_session_busy(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), login_work,
	    login_done, j);
}

void
pop3_cmd_user(struct pop3_session *s, const char *args, size_t len)
{
	if (!pop3_plaintext_allowed(s)) {
		pop3_reply_err(s, "[AUTH] Plain text login needs TLS (STLS)");
		return;
	}
	if (len == 0 || len >= sizeof(s->user)) {
		pop3_reply_bad(s, "Syntax: USER name");
		return;
	}
	memcpy(s->user, args, len);
	s->user[len] = '\0';
	pop3_reply_ok(s, "Send your password");
}

void
pop3_cmd_pass(struct pop3_session *s, const char *args, size_t len)
{
	char *password;

	if (s->user[0] == '\0') {
		pop3_reply_bad(s, "Send USER first");
		return;
	}
	password = xstrndup(args, len);
	login_start(s, s->user, password);
	explicit_bzero(password, len);
	free(password);
	s->user[0] = '\0';
}

static void
sasl_end(struct pop3_session *s)
{
	auth_sasl_free(s->sasl);
	s->sasl = NULL;
}

/* Run one SASL step with the client's response (NULL: none yet). */
static void
sasl_step(struct pop3_session *s, const char *resp, size_t len)
{
	const char *challenge, *errstr = NULL;

	switch (auth_sasl_step(s->sasl, resp, len, &challenge, &errstr)) {
	case AUTH_SASL_CONTINUE:
		/* RFC 5034 4: "+ " and the challenge. */
		conn_printf(s->conn, "+ %s\r\n", challenge);
		return;
	case AUTH_SASL_CANCEL:
		sasl_end(s);
		s->state = POP3_ST_AUTH;
		pop3_reply_err(s, "Authentication cancelled");
		return;
	case AUTH_SASL_BAD:
		sasl_end(s);
		s->state = POP3_ST_AUTH;
		pop3_reply_bad(s, errstr);
		return;
	case AUTH_SASL_DONE:
		break;
	}
	s->state = POP3_ST_AUTH;
	login_start(s, s->sasl->user, s->sasl->password);
	sasl_end(s);
}

void
pop3_cmd_auth(struct pop3_session *s, const char *args, size_t len)
{
	const char *sp = str_chr(args, len, ' ');
	size_t mlen = sp ? (size_t)(sp - args) : len;
	enum auth_sasl_mech mech;

	if (len == 0) {
		/* The listing form some clients still send (RFC 1734). */
		pop3_reply_ok(s, "Mechanisms follow");
		conn_printf(s->conn, "PLAIN\r\nLOGIN\r\n.\r\n");
		return;
	}
	if (!pop3_plaintext_allowed(s)) {
		pop3_reply_err(s, "[AUTH] Authentication needs TLS (STLS)");
		return;
	}
	if (auth_sasl_mech_find(args, mlen, &mech) != 0) {
		pop3_reply_bad(s, "Unsupported authentication mechanism");
		return;
	}
	s->sasl = auth_sasl_new(mech);
	s->state = POP3_ST_SASL;
	if (sp != NULL)
		sasl_step(s, sp + 1, len - mlen - 1);
	else
		sasl_step(s, NULL, 0);
}

void
pop3_sasl_response(struct pop3_session *s, const char *line, size_t len)
{
	sasl_step(s, line, len);
}

void
pop3_login_fini(struct pop3_session *s)
{
	sasl_end(s);
	if (s->delay_ev != NULL)
		event_free(s->delay_ev);
	s->delay_ev = NULL;
	maildrop_unlock(s);
}
