/* What the protocol servers' sessions (SMTP, POP3, IMAP, HTTP) do alike
 * with the conn they own: open it with their limits and log the connect,
 * name why it ended, and let it go while a callback still holds the
 * session.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SESSION_H
#define PETREL_SESSION_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "conn.h"

/* The conn of a new session: conn_new() on the accepted socket fd with
 * the session's callbacks and arg (tls non-NULL for implicit TLS), its
 * longest line and idle timeout in seconds; then the info line
 * "<proto> session=<id> event=connect client=<address>". The caller owns
 * the conn. */
struct conn	*session_conn_open(const char *proto, const char *id,
		    struct event_base *base, int fd, const struct sockaddr *peer,
		    socklen_t peerlen, SSL_CTX *tls, const struct conn_cb *cb,
		    void *arg, size_t max_line, unsigned timeout);
/* Why a conn ended, as the disconnect log lines say it: "timeout", "eof"
 * or "error". A static string. */
const char	*session_end_reason(enum conn_end why);
/* The connection is over while a pool job or the store will still call
 * back with the session: free the conn now and set *connp to NULL and
 * *is_gone_out to true, which tells that callback to free the session. */
void		 session_conn_drop(struct conn **connp, bool *is_gone_out);

#endif
