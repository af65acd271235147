/* The connection handling every protocol session shares (see session.h).
 * SPDX-License-Identifier: ISC */
#include "log.h"
#include "session.h"

struct conn *
session_conn_open(const char *proto, const char *id, struct event_base *base,
    int fd, const struct sockaddr *peer, socklen_t peerlen, SSL_CTX *tls,
    const struct conn_cb *cb, void *arg, size_t max_line, unsigned timeout)
{
	struct conn *c;

	c = conn_new(base, fd, peer, peerlen, NULL, 0, tls, cb, arg);
	conn_set_max_line(c, max_line);
	conn_set_timeout(c, timeout);
	log_info("%s session=%s event=connect client=%s", proto, id,
	    conn_peer_str(c));
	return c;
}

const char *
session_end_reason(enum conn_end why)
{
	return why == CONN_END_TIMEOUT ? "timeout" :
	    why == CONN_END_EOF ? "eof" : "error";
}

void
session_conn_drop(struct conn **connp, bool *is_gone_out)
{
	conn_free(*connp);
	*connp = NULL;
	*is_gone_out = true;
}
