/* A client connection on one event loop: a libevent bufferevent, plain or
 * TLS, with a line reader that enforces a hard length limit, an idle
 * timeout, STARTTLS upgrade of the live connection, and flow control for
 * output. The protocol session that owns a conn is told about input, about
 * drained output and about the end of the connection through callbacks.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_CONN_H
#define PETREL_CONN_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct event_base;
struct conn;

enum conn_end {
	CONN_END_EOF,		/* the peer closed */
	CONN_END_TIMEOUT,	/* idle for longer than the timeout */
	CONN_END_ERROR,		/* socket or TLS error */
};

struct conn_cb {
	/* New input is waiting (call conn_readline() until it returns 0). */
	void	(*input)(struct conn *c, void *arg);
	/* Output fell below the low-water mark set by conn_set_drain(). */
	void	(*drain)(struct conn *c, void *arg);
	/* The connection is over; the owner must call conn_free(). Not called
	 * after conn_free() or for a conn_close_after_flush() that finished. */
	void	(*end)(struct conn *c, void *arg, enum conn_end why);
	/* A conn_close_after_flush() finished: the owner must free c. */
	void	(*closed)(struct conn *c, void *arg);
};

/* Take over the accepted socket fd. tls non-NULL starts implicit TLS
 * (RFC 8314) at once. Counts towards conn_active(). */
struct conn	*conn_new(struct event_base *base, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct sockaddr *local, socklen_t locallen,
		    SSL_CTX *tls, const struct conn_cb *cb, void *arg);
/* Close at once, dropping unsent output. NULL is a no-op. */
void		 conn_free(struct conn *c);
/* Stop reading, send what is queued, then call cb->closed. */
void		 conn_close_after_flush(struct conn *c);
/* End every connection of the calling thread's loop, through each owner's
 * end (or closed) callback, which must free it. For a loop that stops. */
void		 conn_close_all(void);
/* Connections open in this process, on every loop. */
unsigned	 conn_active(void);

/* Longest line accepted by conn_readline(), counting the line end. */
void		 conn_set_max_line(struct conn *c, size_t max);
/* Idle timeout in seconds for reading and writing (0 = none). */
void		 conn_set_timeout(struct conn *c, unsigned seconds);

/* Read one line. 1: *line_out (without its line end, valid until the next
 * read) and *len_out are set, and *crlf_out tells whether it ended in CRLF
 * rather than a bare LF. 0: no whole line yet. -1: the line is longer than
 * the limit; its bytes up to the next LF are discarded and reading goes on
 * with the line after it. */
int		 conn_readline(struct conn *c, const char **line_out,
		    size_t *len_out, bool *crlf_out);
/* Take up to max bytes of raw input (BDAT chunks): returns the count, 0
 * when nothing waits. A partial line the line reader saw is not lost. */
size_t		 conn_read(struct conn *c, void *out, size_t max);
/* Bytes of input waiting. */
size_t		 conn_input_len(struct conn *c);
/* Drop all waiting input (e.g. after STARTTLS, RFC 3207 4.2). */
void		 conn_input_drop(struct conn *c);
/* Stop and restart delivering input callbacks (while a command waits). */
void		 conn_pause(struct conn *c);
void		 conn_resume(struct conn *c);

void		 conn_write(struct conn *c, const void *p, size_t len);
void		 conn_printf(struct conn *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Queue len octets of file fd from off (fd stays the caller's): handed
 * to the kernel (sendfile) on a plain connection, read straight into the
 * output buffer under TLS. 0, or -1 when the file cannot be read. */
int		 conn_write_file(struct conn *c, int fd, off_t off, size_t len);
/* Bytes queued for output and not yet sent. */
size_t		 conn_output_len(struct conn *c);
/* Call cb->drain once output falls to low bytes or fewer (0 = off). */
void		 conn_set_drain(struct conn *c, size_t low);

/* Start TLS on the live connection (STARTTLS, STLS). Queued output is sent
 * in the clear first; waiting input is dropped. */
void		 conn_starttls(struct conn *c, SSL_CTX *tls);
bool		 conn_is_tls(const struct conn *c);
/* "TLSv1.3 cipher=... bits=256", or "" without TLS. */
const char	*conn_tls_info(struct conn *c);
/* Peer and local addresses, as "192.0.2.1" (no port) and with ports. */
const char	*conn_peer_host(const struct conn *c);
const char	*conn_peer_str(const struct conn *c);
const struct sockaddr *conn_peer_addr(const struct conn *c);
bool		 conn_peer_is_loopback(const struct conn *c);
/* Connections open from the same client address when this one began,
 * this one included (for a per-client limit). */
unsigned	 conn_peer_conns(const struct conn *c);
struct event_base *conn_base(const struct conn *c);

#endif
