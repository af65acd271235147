/* The IMAP4rev1 server (RFC 3501) with the extensions listed in
 * docs/IMAP.md, IMAP4rev2 (RFC 9051) included: one session per connection
 * on the loop that accepted it, reaching mail only through the store.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_IMAP_H
#define PETREL_IMAP_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct iopool;
struct store;

struct imap_server {
	const char	*hostname;
	struct store	*store;
	struct iopool	*pool;		/* password checks, expunge, copy */
	SSL_CTX		*tls;		/* NULL: no STARTTLS */
	unsigned	 timeout;	/* idle seconds (RFC 3501 5.4) */
	size_t		 max_line;	/* one command line */
	uint64_t	 max_literal;	/* APPENDLIMIT (RFC 7889) */
	unsigned	 max_per_user;	/* connections of one account */
	unsigned	 max_errors;	/* bad commands before BYE */
	unsigned	 auth_cache_ttl; /* seconds a checked password is
					  * remembered (0: never) */
	bool		 plaintext_anywhere; /* LOGIN without TLS off
					      * loopback too */
};

/* Start a session on the accepted socket fd; implicit_tls for imaps. When
 * busy is set the client gets BYE and the connection is closed. */
void	imap_session_start(const struct imap_server *srv,
	    struct event_base *base, int fd, const struct sockaddr *peer,
	    socklen_t peerlen, bool implicit_tls, bool busy);

#endif
