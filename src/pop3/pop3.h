/* The POP3 server (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS): one session per
 * connection on the loop that accepted it, reading the user's INBOX from
 * the store. Deletions happen only in the UPDATE state, all or nothing.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_POP3_H
#define PETREL_POP3_H

#include <sys/socket.h>

#include <stdbool.h>

#include <openssl/ssl.h>

struct event_base;
struct iopool;
struct store;

struct pop3_server {
	const char	*hostname;
	struct store	*store;
	struct iopool	*pool;		/* password checks and expunges */
	SSL_CTX		*tls;		/* NULL: no STLS */
	unsigned	 timeout;	/* idle seconds (RFC 1939 3: >= 600) */
	unsigned	 max_errors;	/* bad commands before the end */
	bool		 plaintext_anywhere; /* USER/PASS without TLS off
					      * loopback too */
};

/* Start a session on the accepted socket fd; implicit_tls for pop3s. When
 * busy is set the client gets -ERR and the connection is closed. */
void	pop3_session_start(const struct pop3_server *srv,
	    struct event_base *base, int fd, const struct sockaddr *peer,
	    socklen_t peerlen, bool implicit_tls, bool busy);

#endif
