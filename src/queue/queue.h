/* The mail queue: a durable spool for mail that cannot be delivered at once
 * (remote recipients, local ones the store cannot take now), a scheduler
 * that routes each recipient (transport map, relay host, DNS MX with RFC
 * 5321 5.1 and RFC 7505) and hands messages to transports the daemon
 * installs, retries with backoff, and DSN bounces (RFC 3461-3464).
 * docs/QUEUE.md describes the design.
 *
 * Threads: a struct queue is shared by every thread. Receiving
 * (queue_msg_*) works from any event loop; done() comes back on the loop
 * given to commit. The scheduler runs on a thread of its own with its own
 * event_base, and every transport callback runs there.
 *
 * Errors: functions that can fail return -1 (or NULL) and, where they take
 * char **err_out, set it to a heap string the caller frees.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QUEUE_H
#define PETREL_QUEUE_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct event_base;
struct iopool;
struct queue;
struct queue_msg;
struct queue_sched;

#define QUEUE_ID_LEN		16	/* hex digits of a queue id */
#define QUEUE_ADDR_MAX		256	/* RFC 5321 4.5.3.1.3 */
#define QUEUE_XTEXT_MAX		500	/* ENVID and ORCPT values */
#define QUEUE_REPLY_MAX		512	/* a remote reply kept for logs */
#define QUEUE_RELAY_MAX		320	/* "host[address]:port" */

/* DSN NOTIFY (RFC 3461 4.1), the same values as the SMTP server's;
 * 0 means "not given": FAILURE and DELAY. */
#define QUEUE_NOTIFY_NEVER	0x1
#define QUEUE_NOTIFY_SUCCESS	0x2
#define QUEUE_NOTIFY_FAILURE	0x4
#define QUEUE_NOTIFY_DELAY	0x8

/* Open the queue under data_dir/queue (body files and queue.db), creating
 * it on first use. pool runs the durable writes and must outlive the
 * queue. pg_url is the store's postgresql:// URL on a cluster node (the
 * queue's tables are created or upgraded there, queue_pg_prepare(), and
 * every message, body included, lives there; only tmp/ is used under
 * data_dir/queue), or NULL or "" for the embedded queue. */
struct queue	*queue_open(const char *data_dir, struct iopool *pool,
		    const char *pg_url, char **err_out);
/* With a PostgreSQL store (url, its postgresql:// URL): create or upgrade
 * the queue's own tables in that database (queue/pg_schema.c), so that
 * every node finds them at its version; an error naming the problem when
 * the database cannot be reached or holds a newer queue schema (docs/
 * QUEUE.md, "Cluster"). 0, or -1 with *err_out. */
int		 queue_pg_prepare(const char *url, char **err_out);
/* Wait for commits in flight, then close. The scheduler must be stopped
 * first. NULL is a no-op. */
void		 queue_close(struct queue *q);

/* ---- Receiving a message ------------------------------------------ */

/* Start a message from sender ("" for the null reverse-path of a bounce;
 * such a message is never bounced). NULL with *err_out set when the spool
 * cannot take a file now. */
struct queue_msg *queue_msg_new(struct queue *q, const char *sender,
		    char **err_out);
/* The queue id, QUEUE_ID_LEN hex digits, for "250 queued as". */
const char	*queue_msg_id(const struct queue_msg *m);
/* Add a recipient: a local@domain address, its NOTIFY flags and the ORCPT
 * value as given ("rfc822;u@example.org", or NULL). */
void		 queue_msg_add_rcpt(struct queue_msg *m, const char *address,
		    unsigned notify, const char *orcpt);
/* ESMTP parameters of MAIL: BODY=8BITMIME, SMTPUTF8, RET=HDRS (else the
 * full message comes back in a bounce) and ENVID (NULL for none). */
void		 queue_msg_set_params(struct queue_msg *m, bool is_8bitmime,
		    bool is_utf8, bool ret_hdrs, const char *envid);
/* Append message bytes (CRLF line ends). 0, or -1 with errno set (ENOSPC,
 * EDQUOT, EIO); after a failure the message can only be aborted. */
int		 queue_msg_write(struct queue_msg *m, const void *p,
		    size_t len);

typedef void queue_done_fn(void *arg, int result, const char *err);

/* done()'s result when the failure was a full disk (the queue's, or a
 * cluster's database server's), for SMTP's 452 4.3.1. */
#define QUEUE_FULL	(-2)

/* Commit: takes m. The body is synced and renamed, then the envelope is
 * inserted in a transaction shared with other commits (group commit).
 * done(arg, 0, NULL) once all of it is durable, or done(arg, -1 or
 * QUEUE_FULL, reason) on a temporary failure (nothing of the message
 * remains); reason is valid only during the call. done runs on base's loop thread, or on a queue
 * thread when base is NULL. A running scheduler is woken. */
void		 queue_msg_commit(struct queue_msg *m, struct event_base *base,
		    queue_done_fn *done, void *arg);
/* Abandon: takes m and removes its file. NULL is a no-op. */
void		 queue_msg_abort(struct queue_msg *m);

/* ---- Transports ---------------------------------------------------- */

enum queue_status {
	QUEUE_OK,		/* the next hop took it (2xx) */
	QUEUE_TEMP,		/* try again later (4xx, no connection) */
	QUEUE_PERM,		/* give up and bounce (5xx) */
};

enum queue_tls {
	QUEUE_TLS_NONE,		/* never STARTTLS */
	QUEUE_TLS_MAY,		/* STARTTLS when offered (RFC 7435) */
	QUEUE_TLS_ENCRYPT,	/* STARTTLS required, certificate not checked */
	QUEUE_TLS_VERIFY,	/* STARTTLS required, certificate checked */
};

/* One host to try, with its addresses in the order to try them. */
struct queue_host {
	char		*name;		/* MX name, relay name, or literal */
	struct sockaddr_storage *addrs;	/* port set */
	socklen_t	*addrlens;
	size_t		 naddrs;
};

/* Where a job goes: hosts in order (MX preference, equal ones shuffled),
 * and what the session must do there. Owned by the scheduler; valid until
 * queue_job_done(). */
struct queue_route {
	struct queue_host *hosts;
	size_t		 nhosts;
	enum queue_tls	 tls;
	const char	*auth_user;	/* NULL: no AUTH */
	const char	*auth_password;
};

struct queue_job_rcpt {
	const char	*address;
	const char	*orcpt;		/* NULL when none */
	unsigned	 notify;	/* QUEUE_NOTIFY_* */
	/* Set by the transport. */
	enum queue_status status;
	bool		 dsn_relayed;	/* passed to a DSN-capable hop */
	char		 reply[QUEUE_REPLY_MAX];	/* "550 5.1.1 ..." */
};

/* A message and those of its recipients that go to one destination. The
 * transport fills in each recipient's status and reply, relay, then calls
 * queue_job_done() once. */
struct queue_job {
	char		 id[QUEUE_ID_LEN + 1];
	const char	*sender;
	const char	*envid;		/* NULL when none */
	bool		 is_8bitmime;
	bool		 is_utf8;
	bool		 ret_hdrs;
	uint64_t	 size;
	const char	*body_path;	/* the spool file, CRLF line ends */
	const char	*nexthop;	/* the destination, for logs and the
					 * connection cache */
	const struct queue_route *route;	/* NULL for local delivery */
	struct queue_job_rcpt *rcpts;
	size_t		 nrcpts;
	char		 relay[QUEUE_RELAY_MAX];	/* set by the transport:
					 * "mx.example.org[192.0.2.1]:25" */
	bool		 is_reused;	/* set by the transport: it went over
					 * a connection already open */
	void		*priv;		/* the scheduler's */
};

/* The transport is done with job: every recipient has its status. Call on
 * the scheduler's loop thread. */
void		 queue_job_done(struct queue_job *job);

/* A transport: function pointers the daemon installs. Every call runs on
 * the scheduler's thread. */
struct queue_transport {
	/* The scheduler starts: base is its loop. 0, or -1 with *err_out. */
	int	(*start)(void *arg, struct event_base *base, char **err_out);
	/* 1 when this transport takes mail for domain (lowercase), 0 when
	 * not, -1 when it cannot tell now. NULL: it takes every domain. */
	int	(*accepts)(void *arg, const char *domain);
	/* Deliver; queue_job_done() later (or before returning). */
	void	(*deliver)(void *arg, struct queue_job *job);
	/* The scheduler stops: finish every job at once (QUEUE_TEMP) and
	 * close every connection. */
	void	(*stop)(void *arg);
	void	*arg;
};

/* ---- The scheduler ------------------------------------------------- */

struct queue_params {
	const char	*hostname;	/* Reporting-MTA, bounce sender */
	unsigned	 retry_min;	/* seconds before the first retry */
	unsigned	 retry_max;	/* backoff doubles up to this */
	unsigned	 delay_warning;	/* 0: never warn */
	unsigned	 lifetime;	/* then give up and bounce */
	unsigned	 max_connections;	/* remote jobs at once */
	unsigned	 max_per_destination;
	unsigned	 lease_time;	/* seconds a cluster node's claim on
					 * a message lasts unless renewed */
	unsigned	 idle_time;	/* seconds the remote transport keeps
					 * an idle connection (a cluster
					 * node's slot lasts as long) */
	const char	*relay_host;	/* "" or NULL: deliver by MX */
	enum queue_tls	 relay_tls;
	const char	*relay_auth_user;
	const char	*relay_auth_password_file;
	const char	*transport_map;	/* path, or "" */
	const char	*dns_server;	/* "host:port" list, "" = system */
	unsigned	 smtp_port;	/* port for MX hosts (25) */
	enum queue_tls	 default_tls;	/* for MX delivery */
	const struct queue_transport *local;	/* may be NULL */
	const struct queue_transport *remote;
};

/* Parse "none", "may"/"opportunistic", "encrypt"/"required", "verify".
 * false when unknown. */
bool		 queue_tls_parse(const char *s, enum queue_tls *out);

/* Start the scheduler on a new thread. Reads the transport map and the
 * relay password now. NULL with *err_out on a bad setting. Only one
 * scheduler per data_dir may run (a lock file). */
struct queue_sched *queue_sched_start(struct queue *q,
		    const struct queue_params *params, char **err_out);
/* Stop it: connections are closed, jobs in flight stay queued for the next
 * start. NULL is a no-op. */
void		 queue_sched_stop(struct queue_sched *s);

/* ---- Administration (works whether or not the scheduler runs) ------ */

struct queue_info_rcpt {
	char		*address;
	unsigned	 attempts;
	time_t		 next_attempt;
	char		*last_reply;	/* "" before the first attempt */
	char		*last_relay;
};

struct queue_info {
	char		 id[QUEUE_ID_LEN + 1];
	char		*sender;
	uint64_t	 size;
	time_t		 created;
	bool		 is_held;
	/* Cluster: the node whose lease on the message holds (heap), and
	 * for how many more seconds; NULL when no node is sending it. */
	char		*lease_owner;
	unsigned	 lease_left;
	struct queue_info_rcpt *rcpts;
	size_t		 nrcpts;
};

/* Every queued message, oldest first, as a heap array: the caller
 * releases the entries with queue_info_free(), then the array with
 * free(). 0 or -1. */
int		 queue_list(struct queue *q, struct queue_info **out,
		    size_t *n_out, char **err_out);
void		 queue_info_free(struct queue_info *v, size_t n);
/* 1 with *out filled (release with queue_info_free(out, 1)), 0 when no such
 * message, -1 on error. */
int		 queue_show(struct queue *q, const char *id,
		    struct queue_info *out, char **err_out);
/* Append the message's body (as queued, CRLF line ends) to out: from its
 * file, or on a cluster node from its row. 1, 0 when no such message, -1
 * on error. */
int		 queue_body(struct queue *q, const char *id, struct buf *out,
		    char **err_out);
/* The path of an embedded queue's body file, bodies/<id> (heap string);
 * a cluster node keeps no body files. */
char		*queue_body_path(struct queue *q, const char *id);
/* Retry now: one message, or every message when id is NULL. Returns the
 * number of messages touched, or -1. */
int		 queue_flush(struct queue *q, const char *id, char **err_out);
/* Remove a message without a bounce. 1 done, 0 not found, -1 error. */
int		 queue_delete(struct queue *q, const char *id, char **err_out);
/* Keep a message from delivery until released. 1, 0 or -1. */
int		 queue_hold(struct queue *q, const char *id, bool is_held,
		    char **err_out);

#endif
