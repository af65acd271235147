/* Sign-in: LOGIN (RFC 3501 6.2.3) and AUTHENTICATE with SASL PLAIN and
 * LOGIN (RFC 3501 6.2.2, SASL-IR RFC 4959), throttled per client address
 * with the other protocols, with a limit of connections per account, and
 * a short-lived cache of credentials that passed the (slow by design)
 * password check, as Dovecot's auth_cache: clients that reconnect often
 * do not pay for yescrypt each time. Only a keyed hash of user and
 * password is kept.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "imap_int.h"
#include "lib/b64.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

/* Sessions per account, process-wide. */
struct user_slot {
	struct user_slot	*next;
	int64_t			 user_id;
	unsigned		 count;
};

static pthread_mutex_t	 slots_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct user_slot	*slots;

static bool
slot_take(int64_t user_id, unsigned max)
{
	struct user_slot *u;
	bool is_ok;

	pthread_mutex_lock(&slots_mutex);
	for (u = slots; u != NULL; u = u->next)
		if (u->user_id == user_id)
			break;
	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		u->user_id = user_id;
		u->next = slots;
		slots = u;
	}
	is_ok = max == 0 || u->count < max;
	if (is_ok)
		u->count++;
	pthread_mutex_unlock(&slots_mutex);
	return is_ok;
}

static void
slot_release(int64_t user_id)
{
	struct user_slot **up, *u;

	pthread_mutex_lock(&slots_mutex);
	for (up = &slots; (u = *up) != NULL; up = &u->next) {
		if (u->user_id != user_id)
			continue;
		if (--u->count == 0) {
			*up = u->next;
			free(u);
		}
		break;
	}
	pthread_mutex_unlock(&slots_mutex);
}

#define CRED_SLOTS	4096

struct cred {
	unsigned char	 mac[32];
	int64_t		 user_id;
	time_t		 expires;
};

static pthread_mutex_t	 creds_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct cred	 creds[CRED_SLOTS];
static unsigned char	 creds_key[32];
static bool		 has_creds_key;

/* HMAC-SHA256 of "user NUL password" under a key made at start. */
static bool
cred_mac(const char *user, const char *password, unsigned char *mac)
{
	size_t ulen = strlen(user), plen = strlen(password), outlen = 0;
	unsigned char *data = xmalloc(ulen + plen + 1);
	bool is_ok;

	memcpy(data, user, ulen);
	data[ulen] = '\0';
	memcpy(data + ulen + 1, password, plen);
	is_ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, creds_key,
	    sizeof(creds_key), data, ulen + plen + 1, mac, 32,
	    &outlen) != NULL && outlen == 32;
	OPENSSL_cleanse(data, ulen + plen + 1);
	free(data);
	return is_ok;
}

/* 1 with *user_id_out when the pair passed a check within the TTL. */
static int
cred_lookup(const char *user, const char *password, int64_t *user_id_out)
{
	unsigned char mac[32];
	struct cred *c;
	int found = 0;

	pthread_mutex_lock(&creds_mutex);
	if (has_creds_key && cred_mac(user, password, mac)) {
		c = &creds[(mac[0] | mac[1] << 8) % CRED_SLOTS];
		if (c->expires > time(NULL) &&
		    CRYPTO_memcmp(c->mac, mac, sizeof(mac)) == 0) {
			*user_id_out = c->user_id;
			found = 1;
		}
	}
	pthread_mutex_unlock(&creds_mutex);
	return found;
}

static void
cred_remember(const char *user, const char *password, int64_t user_id,
    unsigned ttl)
{
	unsigned char mac[32];
	struct cred *c;

	if (ttl == 0)
		return;
	pthread_mutex_lock(&creds_mutex);
	if (!has_creds_key)
		has_creds_key = RAND_bytes(creds_key, sizeof(creds_key)) == 1;
	if (has_creds_key && cred_mac(user, password, mac)) {
		c = &creds[(mac[0] | mac[1] << 8) % CRED_SLOTS];
		memcpy(c->mac, mac, sizeof(mac));
		c->user_id = user_id;
		c->expires = time(NULL) + (time_t)ttl;
	}
	pthread_mutex_unlock(&creds_mutex);
}

bool
imap_plaintext_allowed(struct imap_session *s)
{
	return s->srv->plaintext_anywhere || (s->conn != NULL &&
	    (conn_is_tls(s->conn) || conn_peer_is_loopback(s->conn)));
}

struct login_job {
	struct imap_cmd		*cmd;
	char			 address[STORE_ADDR_MAX];
	char			*password;
	int			 result;
	struct store_user	 account;
};

static void
login_work(void *arg)
{
	struct login_job *j = arg;
	struct imap_session *s = j->cmd->session;

	j->result = store_user_check_password(s->srv->store, j->address,
	    j->password, &j->account);
	if (j->result == 1)
		cred_remember(j->address, j->password, j->account.id,
		    s->srv->auth_cache_ttl);
	explicit_bzero(j->password, strlen(j->password));
}

static void
reply_failed(evutil_socket_t fd, short what, void *arg)
{
	struct imap_cmd *cmd = arg;

	(void)fd;
	(void)what;
	/* RFC 5530 3: AUTHENTICATIONFAILED. */
	imap_reply_no(cmd, "[AUTHENTICATIONFAILED] Invalid credentials");
	imap_cmd_finish(cmd);
}

static void
login_failed(struct imap_cmd *cmd, const char *address)
{
	struct imap_session *s = cmd->session;
	struct timeval tv = { 0, 0 };

	log_info("imap session=%s event=login-failed user=%s client=%s",
	    s->id, address, conn_peer_str(s->conn));
	tv.tv_sec = auth_throttle_delay(conn_peer_addr(s->conn));
	if (s->delay_ev != NULL)
		event_free(s->delay_ev);
	s->delay_ev = evtimer_new(conn_base(s->conn), reply_failed, cmd);
	evtimer_add(s->delay_ev, &tv);
}

static void
login_succeeded(struct imap_cmd *cmd, const struct store_user *account)
{
	struct imap_session *s = cmd->session;
	struct buf b = BUF_INIT;

	if (!slot_take(account->id, s->srv->max_per_user)) {
		imap_reply_no(cmd, "[LIMIT] Too many connections for this "
		    "account");
		return;
	}
	s->has_user_slot = true;
	s->account = *account;
	s->state = IMAP_ST_AUTH;
	log_info("imap session=%s event=login user=%s", s->id,
	    account->address);
	imap_capability_write(s, &b);
	imap_reply_ok(cmd, "[CAPABILITY %s] Logged in", buf_cstr(&b));
	buf_free(&b);
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct imap_cmd *cmd = j->cmd;
	struct imap_session *s = cmd->session;

	free(j->password);
	if (!imap_job_done(s)) {
		free(j);
		return;
	}
	if (j->result == 0 || j->result == 1)
		auth_throttle_outcome(conn_peer_addr(s->conn), j->address,
		    j->result == 1);
	if (j->result == 0) {
		login_failed(cmd, j->address);
		free(j);
		return;		/* reply_failed() goes on */
	}
	if (j->result == 1)
		login_succeeded(cmd, &j->account);
	else
		imap_reply_no(cmd, "[UNAVAILABLE] Cannot check the password, "
		    "try later");
	free(j);
	imap_cmd_finish(cmd);
}

void
imap_login_start(struct imap_cmd *cmd, const char *user,
    const char *password)
{
	struct imap_session *s = cmd->session;
	struct store_user account;
	struct login_job *j;
	int64_t user_id;

	if (auth_throttle_wait(conn_peer_addr(s->conn), user) > 0) {
		log_info("imap session=%s event=login-throttled user=%s "
		    "client=%s", s->id, user, conn_peer_str(s->conn));
		imap_reply_no(cmd, "[UNAVAILABLE] Too many failed attempts, "
		    "try later");
		imap_cmd_finish(cmd);
		return;
	}
	/* Checked a moment ago: the account must still be there. */
	if (cred_lookup(user, password, &user_id) == 1 &&
	    store_user_find(s->srv->store, user, &account) == 1 &&
	    account.id == user_id) {
		login_succeeded(cmd, &account);
		imap_cmd_finish(cmd);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->cmd = cmd;
	(void)str_copy(j->address, user, sizeof(j->address));
	j->password = xstrdup(password);
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), login_work,
	    login_done, j);
}

static bool
login_allowed(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (!imap_plaintext_allowed(s)) {
		imap_reply_no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
		return false;
	}
	if (auth_throttle_is_blocked(conn_peer_addr(s->conn))) {
		imap_reply_no(cmd, "[UNAVAILABLE] Too many failed attempts, "
		    "try later");
		return false;
	}
	return true;
}

enum cmd_result
imap_cmd_login(struct imap_cmd *cmd)
{
	char *user, *password;

	if (cmd->args.n != 2 || cmd->args.v[0].type == IMAP_ARG_LIST ||
	    cmd->args.v[1].type == IMAP_ARG_LIST) {
		imap_reply_bad(cmd, "Syntax: LOGIN user password");
		return CMD_DONE;
	}
	if (!login_allowed(cmd))
		return CMD_DONE;
	user = imap_arg_str(&cmd->args.v[0]);
	password = imap_arg_str(&cmd->args.v[1]);
	if (user == NULL || password == NULL) {
		imap_reply_bad(cmd, "NUL in user name or password");
		free(user);
		free(password);
		return CMD_DONE;
	}
	imap_login_start(cmd, user, password);
	explicit_bzero(password, strlen(password));
	free(user);
	free(password);
	return CMD_WAIT;
}

static void
sasl_end(struct imap_session *s)
{
	auth_sasl_free(s->sasl);
	s->sasl = NULL;
}

/* Run one SASL step with the client's response (NULL: none yet). */
static void
sasl_step(struct imap_session *s, const char *resp, size_t len)
{
	struct imap_cmd *cmd = s->cmd;
	const char *challenge, *errstr = NULL;

	switch (auth_sasl_step(s->sasl, resp, len, &challenge, &errstr)) {
	case AUTH_SASL_CONTINUE:
		conn_printf(s->conn, "+ %s\r\n", challenge);
		return;
	case AUTH_SASL_CANCEL:
		sasl_end(s);
		imap_reply_bad(cmd, "Authentication cancelled");
		imap_cmd_finish(cmd);
		return;
	case AUTH_SASL_BAD:
		sasl_end(s);
		imap_reply_bad(cmd, "%s", errstr);
		imap_cmd_finish(cmd);
		return;
	case AUTH_SASL_DONE:
		break;
	}
	imap_login_start(cmd, s->sasl->user, s->sasl->password);
	sasl_end(s);
}

enum cmd_result
imap_cmd_authenticate(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	enum auth_sasl_mech mech;

	if (cmd->args.n < 1 || cmd->args.n > 2 ||
	    a[0].type != IMAP_ARG_ATOM ||
	    (cmd->args.n == 2 && a[1].type != IMAP_ARG_ATOM)) {
		imap_reply_bad(cmd, "Syntax: AUTHENTICATE mechanism "
		    "[initial-response]");
		return CMD_DONE;
	}
	if (!login_allowed(cmd))
		return CMD_DONE;
	if (auth_sasl_mech_find(a[0].p, a[0].len, &mech) != 0) {
		imap_reply_no(cmd, "Unsupported authentication mechanism");
		return CMD_DONE;
	}
	s->sasl = auth_sasl_new(mech);
	s->cmd = cmd;
	/* RFC 4959 3: an initial response, "=" for an empty one. */
	if (cmd->args.n == 2)
		sasl_step(s, a[1].p, a[1].len);
	else
		sasl_step(s, NULL, 0);
	return CMD_WAIT;
}

void
imap_sasl_response(struct imap_session *s, const char *line, size_t len)
{
	sasl_step(s, line, len);
}

void
imap_login_fini(struct imap_session *s)
{
	sasl_end(s);
	if (s->delay_ev != NULL)
		event_free(s->delay_ev);
	s->delay_ev = NULL;
	if (s->has_user_slot)
		slot_release(s->account.id);
	s->has_user_slot = false;
}
