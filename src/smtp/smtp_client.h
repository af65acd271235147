/* The SMTP client (RFC 5321) that the queue's remote transport runs on:
 * asynchronous on the scheduler's libevent loop, EHLO with a HELO
 * fallback, STARTTLS (RFC 3207) opportunistic or required, PIPELINING
 * (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152) with a 7-bit downgrade
 * through the MIME library, SMTPUTF8 (RFC 6531), DSN (RFC 3461), AUTH
 * PLAIN and LOGIN (RFC 4954) to smart hosts, and a connection cache: the
 * messages for one destination share a connection (RSET between them)
 * up to a number per connection.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SMTP_CLIENT_H
#define PETREL_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "queue/queue.h"

struct smtp_client;

struct smtp_client_params {
	const char	*helo_name;		/* our name in EHLO */
	unsigned	 messages_per_connection;	/* 0: no cap */
	unsigned	 idle_seconds;		/* keep an idle connection */
	unsigned	 connect_timeout;	/* seconds */
	unsigned	 command_timeout; /* RFC 5321 4.5.3.2: 5 minutes */
	unsigned	 data_timeout;		/* for the reply to "." (10m) */
	const char	*tls_ca_file;		/* for tls=verify; "" system */
};

/* Counters since smtp_client_new(), for logs, tests and benchmarks. */
struct smtp_client_stats {
	uint64_t	 connections;		/* TCP connections opened */
	uint64_t	 transactions;		/* MAIL commands sent */
	uint64_t	 messages;		/* final 2xx replies to "." */
};

/* A client; it runs on the loop given to the transport's start(). NULL
 * with *err_out when the TLS contexts cannot be made. */
struct smtp_client *smtp_client_new(const struct smtp_client_params *p,
		    char **err_out);
/* Close every connection at once. NULL is a no-op. Call it after the
 * scheduler stopped (which calls the transport's stop()). */
void		 smtp_client_free(struct smtp_client *c);
/* Fill *t with the queue transport that delivers through c. */
void		 smtp_client_transport(struct smtp_client *c,
		    struct queue_transport *t);
/* A copy of the counters (read on the loop's thread, or after it ended). */
void		 smtp_client_get_stats(const struct smtp_client *c,
		    struct smtp_client_stats *out);

/* ---- Replies (exposed for tests and fuzzing) ----------------------- */

#define SMTP_CLIENT_LINE_MAX	4096	/* longer reply lines are an error */

/* A reply being read, line by line (RFC 5321 4.2). */
struct smtp_client_reply {
	int		 code;		/* 0 before the first line */
	char		 enh[16];	/* "5.1.1" (RFC 3463), or "" */
	struct buf	 text;		/* each line's text, LF-separated */
	unsigned	 nlines;
	bool		 is_done;
};

void	 smtp_client_reply_init(struct smtp_client_reply *r);
void	 smtp_client_reply_fini(struct smtp_client_reply *r);
/* Forget the last reply to read the next one. */
void	 smtp_client_reply_reset(struct smtp_client_reply *r);
/* Feed one line without its line end. 1 when the reply is complete, 0
 * when more lines follow, -1 when the line is not a reply line (no
 * three-digit code 2xx-5xx, a code that changes inside a multiline
 * reply, or a bad separator). */
int	 smtp_client_reply_feed(struct smtp_client_reply *r, const char *line,
	    size_t len);
/* The reply on one line for logs and DSNs, "550 5.1.1 text more text",
 * with control characters and '"' replaced, truncated to len - 1. */
void	 smtp_client_reply_summary(const struct smtp_client_reply *r,
	    char *out, size_t len);

/* What an EHLO reply offers (RFC 5321 4.1.1.1). */
struct smtp_client_ext {
	bool		 has_pipelining;
	bool		 has_8bitmime;
	bool		 has_starttls;
	bool		 has_smtputf8;
	bool		 has_dsn;
	bool		 has_size;
	bool		 has_auth_plain;
	bool		 has_auth_login;
	uint64_t	 max_size;	/* SIZE value, 0 when none given */
};

/* Read the extensions from the lines after the first of an EHLO reply. */
void	 smtp_client_ext_parse(const struct smtp_client_reply *r,
	    struct smtp_client_ext *out);

#endif
