/* Inside the queue: the shared struct queue, the spool files, the group
 * committer, the database helpers, routing, DNS and bounces.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QUEUE_INT_H
#define PETREL_QUEUE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "queue/queue.h"

struct event_base;

struct queue_rcpt_in {
	char		*address;
	unsigned	 notify;
	char		*orcpt;
};

struct queue_msg {
	struct queue		*q;
	struct queue_msg	*next;		/* in the committer's list */
	int			 fd;
	char			 id[QUEUE_ID_LEN + 1];
	char			*sender;
	struct queue_rcpt_in	*rcpts;
	size_t			 nrcpts;
	bool			 is_8bitmime;
	bool			 is_utf8;
	bool			 ret_hdrs;
	char			*envid;
	uint64_t		 size;
	int			 write_errno;
	bool			 is_renamed;
	int64_t			 created;
	struct event_base	*base;
	queue_done_fn		*done;
	void			*done_arg;
	char			*err;
};

struct queue {
	char			*dir;		/* data_dir/queue */
	struct iopool		*pool;
	int			 lock_fd;
	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 cond;
	struct queue_msg	*pending_head;
	struct queue_msg	*pending_tail;
	unsigned		 in_flight;
	bool			 is_closing;
	bool			 has_committer;
	pthread_t		 committer;
	struct queue_sched	*sched;		/* to wake, or NULL */
};

/* queue.c */
int	 queue_err(char **err_out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Paths as heap strings. */
char	*queue_tmp_path(struct queue *q, const char *id);
/* Write all of p; 0 or -1 with errno set. */
int	 queue_file_write(int fd, const void *p, size_t len);
/* fsync a directory; 0 or -1 with errno set. */
int	 queue_sync_dir(const char *path);
/* Wake the running scheduler, if any (any thread). */
void	 queue_wake(struct queue *q);

/* sched.c: ask the scheduler for a pass soon (any thread). */
void	 queue_sched_wake(struct queue_sched *s);

/* db.c */
/* A new connection to queue.db (WAL, synchronous FULL, busy timeout);
 * NULL with *err_out set. */
sqlite3	*queue_db_open(struct queue *q, char **err_out);
int	 queue_db_schema(sqlite3 *db, char **err_out);
int	 queue_db_exec(sqlite3 *db, const char *sql, char **err_out);
sqlite3_stmt *queue_db_prepare(sqlite3 *db, const char *sql, char **err_out);
char	*queue_db_errstr(sqlite3 *db);
/* Insert m (envelope and recipients) inside an open transaction. */
int	 queue_db_insert(sqlite3 *db, const struct queue_msg *m,
	    char **err_out);

/* spool.c */
void	*queue_commit_main(void *arg);
void	 queue_msg_free(struct queue_msg *m);
/* Sync, close and rename the body of m into bodies/; 0 or -1 (m->err). */
int	 queue_msg_sync(struct queue_msg *m);

/* route.c: the routing table (transport map and relay host). */
struct queue_nexthop {
	char		*host;		/* name or address literal */
	unsigned	 port;
	bool		 is_mx;		/* look up MX for host */
	enum queue_tls	 tls;
	char		*auth_user;
	char		*auth_password;
};

struct queue_routes;

/* Build the table from params; NULL with *err_out on a bad setting. */
struct queue_routes *queue_routes_new(const struct queue_params *params,
	    char **err_out);
void	 queue_routes_free(struct queue_routes *r);
/* The next hop for domain, with its key for the destination table
 * ("mx:example.org", "relay", "map:[192.0.2.1]:2525"). */
const struct queue_nexthop *queue_routes_find(struct queue_routes *r,
	    const char *domain, struct queue_nexthop *mx_out,
	    struct buf *key_out);
/* Parse a next hop "[host]:port", "host:port" or "host" with an optional
 * " tls=..." after it (the transport map and relay.host syntax). 0, or -1
 * with *errstr. */
int	 queue_nexthop_parse(const char *p, size_t len, unsigned def_port,
	    enum queue_tls def_tls, struct queue_nexthop *out,
	    const char **errstr);
void	 queue_nexthop_fini(struct queue_nexthop *nh);

/* dns.c: c-ares on a libevent loop. */
enum queue_dns_status {
	QUEUE_DNS_OK,
	QUEUE_DNS_TEMP,		/* timeout, SERVFAIL, refused */
	QUEUE_DNS_NXDOMAIN,	/* no such domain */
	QUEUE_DNS_NULLMX,	/* RFC 7505 */
	QUEUE_DNS_NOHOST,	/* no address for any host */
};

struct queue_dns;

/* The answer: hosts with addresses in the order to try; the callee owns
 * it (free with queue_route_fini()). */
typedef void queue_dns_fn(void *arg, enum queue_dns_status status,
	    struct queue_route *route, const char *detail);

struct queue_dns *queue_dns_new(struct event_base *base, const char *servers,
	    char **err_out);
/* Cancels lookups in flight (their callbacks run with QUEUE_DNS_TEMP). */
void	 queue_dns_free(struct queue_dns *dns);
/* Resolve a next hop: MX (RFC 5321 5.1: by preference, equal ones
 * shuffled; no MX means the domain itself; RFC 7505 null MX), or the
 * host's A and AAAA records when is_mx is false. */
void	 queue_dns_resolve(struct queue_dns *dns, const char *host,
	    unsigned port, bool is_mx, queue_dns_fn *cb, void *arg);
void	 queue_route_fini(struct queue_route *route);
/* Sort MX records by preference and shuffle equal ones (exposed for
 * tests): prefs[i] belongs to names[i]; both arrays are permuted. */
void	 queue_mx_order(unsigned *prefs, char **names, size_t n);

/* bounce.c: DSN messages (RFC 3464, RFC 6522). */
enum queue_dsn_kind {
	QUEUE_DSN_FAILED,
	QUEUE_DSN_DELAYED,
	QUEUE_DSN_DELIVERED,
	QUEUE_DSN_RELAYED,
};

struct queue_dsn_rcpt {
	const char	*address;
	const char	*orcpt;
	const char	*reply;		/* remote reply or our reason */
	const char	*relay;		/* "" when none */
	const char	*status;	/* "5.1.1" */
};

struct queue_dsn {
	enum queue_dsn_kind	 kind;
	const char		*hostname;
	const char		*id;
	const char		*envid;
	const char		*sender;	/* the original sender */
	time_t			 arrival;
	time_t			 retry_until;	/* delay warnings */
	bool			 ret_hdrs;
	const struct queue_dsn_rcpt *rcpts;
	size_t			 nrcpts;
};

/* Append the DSN message (CRLF) for the original message orig[0..len). */
void	 queue_dsn_write(const struct queue_dsn *dsn, const char *orig,
	    size_t len, struct buf *out);
/* The enhanced status code in a reply ("550 5.1.1 x" gives "5.1.1"), or
 * a default from the reply code class, into out (at least 12 bytes). */
void	 queue_reply_status(const char *reply, enum queue_status st,
	    char *out, size_t outlen);
/* Queue a new message from <> to rcpt with body b. 0 or -1. */
int	 queue_inject_bounce(struct queue *q, sqlite3 *db, const char *rcpt,
	    const struct buf *b, bool is_8bit, bool is_utf8, char **err_out);

#endif
