/* SMTP client internals: the client, its connections and their states.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_SMTP_CLIENT_INT_H
#define PETREL_SMTP_CLIENT_INT_H

#include <openssl/ssl.h>

#include "smtp_client.h"

struct bufferevent;
struct event;
struct event_base;

/* Where a connection stands (RFC 5321 3, 4.1). */
enum cs_state {
	CS_CONNECT,
	CS_GREET,
	CS_EHLO,
	CS_HELO,
	CS_STARTTLS,
	CS_HANDSHAKE,
	CS_AUTH,		/* AUTH PLAIN, or AUTH LOGIN's last step */
	CS_AUTH_LOGIN_USER,
	CS_AUTH_LOGIN_PASS,
	CS_TXN,			/* commands of a transaction in flight */
	CS_BODY,		/* sending the message */
	CS_DOT,			/* waiting for the reply to "." */
	CS_IDLE,		/* in the cache */
	CS_QUIT,
};

/* A command of a transaction whose reply is awaited. */
enum cs_cmd {
	CS_CMD_RSET,
	CS_CMD_MAIL,
	CS_CMD_RCPT,
	CS_CMD_DATA,
};

struct client_conn {
	struct smtp_client	*c;
	struct client_conn	*next;		/* every conn of the client */
	struct client_conn	*prev;
	struct bufferevent	*bev;
	struct event		*idle_ev;
	enum cs_state		 state;
	char			*key;		/* the job's nexthop */
	struct smtp_client_reply reply;
	struct smtp_client_ext	 ext;
	bool			 is_dead; /* closed, waiting to be freed */
	bool			 is_tls;
	bool			 is_esmtp;
	bool			 is_reused;	/* a job came from the cache */
	unsigned		 nmsgs;
	char			 relay[QUEUE_RELAY_MAX];
	char			 tls_host[256];

	/* The job and where it stands. */
	struct queue_job	*job;
	const struct queue_route *route;
	size_t			 host_i;
	size_t			 addr_i;
	char			 last_err[QUEUE_REPLY_MAX];
	bool			 is_last_perm;
	/* The transaction. */
	enum cs_cmd		*cmds;
	size_t			 ncmds;
	size_t			 nsent;
	size_t			 nreplied;
	bool			 *accepted;
	size_t			 naccepted;
	bool			 is_mail_failed;
	bool			 is_data_refused;
	bool			 needs_downgrade;
	int			 body_fd;
	bool			 body_bol;	/* at the start of a line */
	struct buf		 body;		/* a downgraded message */
	size_t			 body_off;
};

struct smtp_client {
	struct smtp_client_params	 p;
	char				*helo_name;
	char				*ca_file;
	struct event_base		*base;
	SSL_CTX				*tls_may;	/* no verification */
	SSL_CTX				*tls_verify;
	struct client_conn		*conns;
	struct client_conn		*dead;		/* to free */
	struct event			*reap_ev;
	struct smtp_client_stats	 stats;
	bool				 is_stopping;
};

/* client.c */
/* The job is over (every recipient has its status): hand it back and
 * keep the connection for the next job, or close it. */
void	client_job_finish(struct client_conn *cc);
/* This host failed before a transaction started (reason is a reply line
 * such as "451 4.4.1 ..."): try the next address or host. */
void	client_host_fail(struct client_conn *cc, const char *reason,
	    bool is_perm);
void	client_conn_free(struct client_conn *cc);
/* Close the socket now (the job goes on or finishes without it). */
void	client_conn_drop(struct client_conn *cc);
/* Read and write timeout in seconds. */
void	client_conn_timeout(struct client_conn *cc, unsigned seconds);
void	client_send(struct client_conn *cc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same for a line that holds a secret: traced as [redacted]. */
void	client_send_secret(struct client_conn *cc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Set cc->bev's callbacks and timeout and enable it (a new bufferevent,
 * or the TLS filter put on top of the old one). */
void	client_conn_attach(struct client_conn *cc);

/* client_session.c: greeting, EHLO/HELO, STARTTLS, AUTH. */
void	client_session_reply(struct client_conn *cc);
void	client_session_tls_done(struct client_conn *cc);

/* client_txn.c: MAIL, RCPT, DATA and the message. */
void	client_txn_start(struct client_conn *cc);
void	client_txn_reply(struct client_conn *cc);
/* Output drained while sending the message: send more. */
void	client_txn_pump(struct client_conn *cc);
/* The connection broke: every recipient without a final status gets
 * reason (a temporary failure). */
void	client_txn_abort(struct client_conn *cc, const char *reason);

#endif
