/* The SMTP client session before a transaction: the greeting (RFC 5321
 * 3.1; a 4xx or 5xx greeting sends us to the next host, 5.1), EHLO with
 * the HELO fallback (4.1.1.1), STARTTLS (RFC 3207) per the route's TLS
 * policy, and AUTH PLAIN or LOGIN (RFC 4954, RFC 4616) for smart hosts.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "client_int.h"
#include "lib/b64.h"
#include "lib/log.h"
#include "lib/tls.h"

#define CLIENT_BEV_FLAGS	(BEV_OPT_CLOSE_ON_FREE | \
				 BEV_OPT_DEFER_CALLBACKS)

static void
fail_reply(struct client_conn *cc, const char *what)
{
	char s[QUEUE_REPLY_MAX];
	struct buf reason = BUF_INIT;

	smtp_client_reply_summary(&cc->reply, s, sizeof(s));
	buf_addf(&reason, "%s (%s)", s, what);
	client_host_fail(cc, buf_cstr(&reason), false);
	buf_free(&reason);
}

static void
send_ehlo(struct client_conn *cc)
{
	cc->state = CS_EHLO;
	client_send(cc, "EHLO %s\r\n", cc->c->p.helo_name);
}

static SSL_CTX *
tls_ctx(struct client_conn *cc)
{
	struct smtp_client *c = cc->c;
	char *err = NULL;

	if (cc->route->tls != QUEUE_TLS_VERIFY)
		return c->tls_may;
	if (c->tls_verify == NULL &&
	    (c->tls_verify = tls_client_ctx_new(c->p.tls_ca_file, true,
	    &err)) == NULL) {
		log_warnx("smtp-client event=tls error=\"%s\"", err);
		free(err);
	}
	return c->tls_verify;
}

static void
start_tls(struct client_conn *cc)
{
	struct bufferevent *filter;
	SSL_CTX *ctx = tls_ctx(cc);
	SSL *ssl;

	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL) {
		client_host_fail(cc, "451 4.7.5 Cannot set up TLS", false);
		return;
	}
	if (!tls_client_set_host(ssl, cc->tls_host)) {
		SSL_free(ssl);
		client_host_fail(cc, "451 4.7.5 Bad TLS host name", false);
		return;
	}
	filter = bufferevent_openssl_filter_new(cc->c->base, cc->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, CLIENT_BEV_FLAGS);
	if (filter == NULL)
		fatalx("smtp-client: bufferevent_openssl_filter_new failed");
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	cc->bev = filter;
	cc->state = CS_HANDSHAKE;
	client_conn_attach(cc);
}

void
client_session_tls_done(struct client_conn *cc)
{
	SSL *ssl = bufferevent_openssl_get_ssl(cc->bev);
	char info[128];

	cc->is_tls = true;
	log_debug("smtp-client event=tls relay=%s %s verify=%s", cc->relay,
	    tls_describe(ssl, info, sizeof(info)),
	    SSL_get_verify_result(ssl) == X509_V_OK ? "ok" : "fail");
	send_ehlo(cc);
}

static void
auth_start(struct client_conn *cc)
{
	const struct queue_route *r = cc->route;
	struct buf plain = BUF_INIT, b64 = BUF_INIT;

	if (cc->ext.has_auth_plain) {
		/* RFC 4616 2: authzid NUL authcid NUL passwd */
		buf_addc(&plain, '\0');
		buf_adds(&plain, r->auth_user);
		buf_addc(&plain, '\0');
		buf_adds(&plain, r->auth_password);
		b64_encode(plain.data, plain.len, &b64);
		cc->state = CS_AUTH;
		client_send_secret(cc, "AUTH PLAIN %s\r\n", buf_cstr(&b64));
		explicit_bzero(plain.data, plain.len);
		explicit_bzero(b64.data, b64.len);
	} else {
		cc->state = CS_AUTH_LOGIN_USER;
		client_send(cc, "AUTH LOGIN\r\n");
	}
	buf_free(&plain);
	buf_free(&b64);
}

static void
auth_login_step(struct client_conn *cc, const char *secret)
{
	struct buf b64 = BUF_INIT;

	b64_encode(secret, strlen(secret), &b64);
	client_send_secret(cc, "%s\r\n", buf_cstr(&b64));
	explicit_bzero(b64.data, b64.len);
	buf_free(&b64);
}

/* EHLO (or HELO) done: STARTTLS, AUTH, or the transaction. */
static void
after_ehlo(struct client_conn *cc)
{
	const struct queue_route *r = cc->route;
	bool wants_auth = r->auth_user != NULL && r->auth_user[0] != '\0';

	if (!cc->is_tls && r->tls != QUEUE_TLS_NONE && cc->ext.has_starttls) {
		cc->state = CS_STARTTLS;
		client_send(cc, "STARTTLS\r\n");
		return;
	}
	if (!cc->is_tls && r->tls >= QUEUE_TLS_ENCRYPT) {
		client_host_fail(cc, "451 4.7.4 TLS is required but the "
		    "server does not offer STARTTLS", false);
		return;
	}
	if (wants_auth && !cc->is_tls && r->tls != QUEUE_TLS_NONE) {
		client_host_fail(cc, "451 4.7.4 Not sending credentials "
		    "without TLS", false);
		return;
	}
	if (wants_auth && (cc->ext.has_auth_plain || cc->ext.has_auth_login)) {
		auth_start(cc);
		return;
	}
	client_txn_start(cc);
}

static void
on_ehlo(struct client_conn *cc)
{
	int code = cc->reply.code;

	if (cc->state == CS_EHLO && code / 100 == 2) {
		cc->is_esmtp = true;
		smtp_client_ext_parse(&cc->reply, &cc->ext);
		after_ehlo(cc);
	} else if (cc->state == CS_EHLO && code / 100 == 5 && !cc->is_tls) {
		/* RFC 5321 4.1.4: an older server; say HELO. */
		cc->state = CS_HELO;
		client_send(cc, "HELO %s\r\n", cc->c->p.helo_name);
	} else if (cc->state == CS_HELO && code / 100 == 2) {
		memset(&cc->ext, 0, sizeof(cc->ext));
		after_ehlo(cc);
	} else
		fail_reply(cc, cc->state == CS_EHLO ? "EHLO" : "HELO");
}

static void
on_auth(struct client_conn *cc)
{
	const struct queue_route *r = cc->route;
	int code = cc->reply.code;

	if (cc->state == CS_AUTH_LOGIN_USER && code == 334) {
		cc->state = CS_AUTH_LOGIN_PASS;
		auth_login_step(cc, r->auth_user);
	} else if (cc->state == CS_AUTH_LOGIN_PASS && code == 334) {
		cc->state = CS_AUTH;
		auth_login_step(cc, r->auth_password);
	} else if (cc->state == CS_AUTH && code / 100 == 2) {
		log_debug("smtp-client event=auth relay=%s user=%s result=ok",
		    cc->relay, r->auth_user);
		client_txn_start(cc);
	} else
		fail_reply(cc, "AUTH");
}

void
client_session_reply(struct client_conn *cc)
{
	switch (cc->state) {
	case CS_GREET:
		if (cc->reply.code / 100 != 2)
			fail_reply(cc, "greeting");
		else
			send_ehlo(cc);
		break;
	case CS_EHLO:
	case CS_HELO:
		on_ehlo(cc);
		break;
	case CS_STARTTLS:
		if (cc->reply.code == 220)
			start_tls(cc);
		else if (cc->route->tls >= QUEUE_TLS_ENCRYPT)
			fail_reply(cc, "STARTTLS");
		else {
			/* Opportunistic: go on in the clear. */
			cc->ext.has_starttls = false;
			after_ehlo(cc);
		}
		break;
	case CS_AUTH:
	case CS_AUTH_LOGIN_USER:
	case CS_AUTH_LOGIN_PASS:
		on_auth(cc);
		break;
	default:
		fail_reply(cc, "unexpected reply");
		break;
	}
}
