/* The webmail: an HTTP/1.1 server (RFC 9110, RFC 9112) on the connection
 * layer that serves the browser app from a directory and a JSON API over
 * the store, with cookie sessions, CSRF tokens and an HTML sanitiser for
 * the mail it shows. docs/WEB-API.md describes the API.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_WEB_H
#define PETREL_WEB_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct iopool;
struct queue;
struct store;
struct web_sessions;
struct web_views;

struct web_server {
	const char		*hostname;
	struct store		*store;
	struct queue		*queue;		/* outbound; NULL: local only */
	struct iopool		*pool;		/* password checks */
	SSL_CTX			*tls;		/* for listen.https */
	const char		*root;		/* the browser app (http.root) */
	unsigned		 timeout;	/* idle seconds between requests */
	uint64_t		 max_body;	/* largest request body */
	struct web_sessions	*sessions;	/* signed-in users, shared */
	struct web_views	*views;		/* folder lists, shared */
	unsigned		 login_delay;	/* seconds after a failure */
};

/* Start an HTTP session on the accepted socket fd; implicit_tls for
 * listen.https. When busy is set the client gets 503 and the connection
 * is closed. */
void	web_session_start(const struct web_server *srv,
	    struct event_base *base, int fd, const struct sockaddr *peer,
	    socklen_t peerlen, bool implicit_tls, bool busy);

/* The table of signed-in sessions, shared by every worker thread (it has
 * its own lock). A session ends idle seconds after its last request, and
 * at the latest lifetime seconds after sign-in. Free with
 * web_sessions_free(); NULL is a no-op. */
struct web_sessions *web_sessions_new(unsigned idle, unsigned lifetime);
void	web_sessions_free(struct web_sessions *t);

/* The cache of folder views (counts and order of the message list),
 * shared by every worker thread (it has its own lock). Free with
 * web_views_free(); NULL is a no-op. */
struct web_views *web_views_new(void);
void	web_views_free(struct web_views *vs);

#endif
