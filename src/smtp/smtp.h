/* The SMTP server (RFC 5321): one session per connection on the loop that
 * accepted it. Mail for local users is filed into the store; the reply to
 * the end of DATA is sent only once the store has made the message durable.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SMTP_H
#define PETREL_SMTP_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct iopool;
struct queue;
struct store;

/* What a listener is for (RFC 6409, RFC 8314). */
enum smtp_mode {
	SMTP_MODE_MX,		/* port 25: mail for local users */
	SMTP_MODE_SUBMISSION,	/* port 587: STARTTLS, then AUTH */
	SMTP_MODE_SUBMISSIONS,	/* port 465: implicit TLS, then AUTH */
};

/* Settings shared by every session; the daemon owns it and keeps it alive
 * for as long as sessions run. */
struct smtp_server {
	const char	*hostname;	/* in the greeting and Received: */
	struct store	*store;
	struct queue	*queue;		/* NULL: no mail to other domains */
	struct iopool	*pool;		/* password checks */
	SSL_CTX		*tls;		/* NULL: no STARTTLS */
	uint64_t	 max_message_size;
	size_t		 max_line;	/* with CRLF; RFC 5321: >= 1000 */
	unsigned	 max_recipients;
	unsigned	 max_errors;	/* bad commands before 421 */
	unsigned	 max_commands;	/* per session */
	unsigned	 max_per_client; /* connections from one address */
	unsigned	 timeout;	/* idle seconds (RFC 5321 4.5.3.2) */
	unsigned	 data_timeout;	/* seconds between DATA blocks */
	bool		 any_sender;	/* authenticated users may send as
					 * any address */
};

/* Start a session on the accepted socket fd. When busy is set, the client
 * gets 421 and the connection is closed (a connection limit was reached). */
void	smtp_session_start(const struct smtp_server *srv,
	    struct event_base *base, int fd, const struct sockaddr *peer,
	    socklen_t peerlen, enum smtp_mode mode, bool busy);

#endif
