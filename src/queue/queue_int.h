/* Inside the queue: the shared struct queue, the spool files, the group
 * committer, the database helpers, routing, DNS and bounces.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QUEUE_INT_H
#define PETREL_QUEUE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "lib/buf.h"
#include "queue/queue.h"

struct event_base;
struct qdb;

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
	bool			 is_full;	/* err is a full disk */
};

struct queue {
	char			*dir;		/* data_dir/queue */
	char			*pg_url;	/* a cluster node's database,
						 * or NULL: queue.db */
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
/* Remove a message's body file (embedded: bodies/<id>) once its row is
 * gone; nothing on a cluster node, where the body went with the row. */
void	 queue_body_remove(struct queue *q, const char *id);
/* Wake the running scheduler, if any (any thread). */
void	 queue_wake(struct queue *q);

/* sched.c: ask the scheduler for a pass soon (any thread). */
void	 queue_sched_wake(struct queue_sched *s);

/* db.c */
/* A new connection to queue.db (WAL, synchronous FULL, busy timeout);
 * NULL with *err_out set. */
sqlite3	*queue_db_open(struct queue *q, char **err_out);
/* Create or upgrade the schema to this petrel's version; an error when
 * queue.db is newer. */
int	 queue_db_schema(sqlite3 *db, char **err_out);
/* PRAGMA user_version, or -1. */
int	 queue_db_version(sqlite3 *db);
int	 queue_db_exec(sqlite3 *db, const char *sql, char **err_out);
sqlite3_stmt *queue_db_prepare(sqlite3 *db, const char *sql, char **err_out);
/* Column col of st's row as a heap string, NULL for SQL NULL. */
char	*queue_db_text(sqlite3_stmt *st, int col);
char	*queue_db_errstr(sqlite3 *db);

/* pg_schema.c: the queue's tables in PostgreSQL up to version upto
 * (tests build old schemas); the current version. */
int	 queue_pg_schema_upto(PGconn *pg, int upto, char **err_out);
int	 queue_pg_schema_version(void);
/* The database's clock in whole seconds, as lease_expires is kept: the
 * nodes' own clocks need not agree. */
#define QUEUE_PG_NOW	"floor(extract(epoch from now()))::bigint"

/* sweep.c: remove tmp/ files and bodies no message refers to (on a
 * cluster node, where bodies are rows, only tmp/). Only while this
 * process holds the spool lock exclusively. */
void	 queue_sweep(struct queue *q);

/* spool.c */
void	*queue_commit_main(void *arg);
/* A message without a spool file (a bounce, whose body is at hand). */
struct queue_msg *queue_msg_alloc(struct queue *q, const char *sender);
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
 * it (free with queue_route_fini()). ttl is the smallest TTL of the
 * records used (for a negative answer the RFC 2308 one), -1 when none
 * was given. */
typedef void queue_dns_fn(void *arg, enum queue_dns_status status,
	    struct queue_route *route, const char *detail, long ttl);

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
/* The TTLs of the DNS message abuf[0..alen): the smallest of its answer
 * section in *pos, and the negative-caching TTL of RFC 2308 5 (the lesser
 * of the authority SOA's TTL and MINIMUM) in *neg; -1 when absent. */
void	 queue_dns_ttls(const unsigned char *abuf, int alen, long *pos,
	    long *neg);
/* How many seconds a destination keeps a routing result with DNS TTL
 * ttl (-1: none given): a positive route between ROUTE_TTL_MIN and
 * ROUTE_TTL_MAX; a permanent failure (NXDOMAIN, null MX, no address)
 * between NEG_TTL_MIN and NEG_TTL_MAX, NEG_TTL_DEFAULT without a TTL; a
 * temporary failure not at all (0). */
unsigned queue_route_ttl(enum queue_dns_status st, long ttl);

#define ROUTE_TTL_MIN		10
#define ROUTE_TTL_MAX		3600
#define NEG_TTL_MIN		10
#define NEG_TTL_MAX		300
#define NEG_TTL_DEFAULT		60
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
/* Queue a new message from <> to rcpt with body b, inside db's open
 * transaction. 0 or -1 (qdb_err(db)). */
int	 queue_inject_bounce(struct queue *q, struct qdb *db, const char *rcpt,
	    const struct buf *b, bool is_8bit, bool is_utf8);

/* ---- The scheduler's insides (sched.c, dest.c, result.c) ---------- */

/* A message loaded for delivery: it stays in memory (and in the temp
 * table busy) while any of its jobs runs. */
struct sched_msg {
	int64_t		 rowid;
	char		 id[QUEUE_ID_LEN + 1];
	char		*sender;
	char		*envid;
	bool		 is_8bitmime;
	bool		 is_utf8;
	bool		 ret_hdrs;
	bool		 is_warned;
	uint64_t	 size;
	int64_t		 created;
	char		*body_path;
	unsigned	 njobs;		/* jobs not yet written back */
	unsigned	 refs;		/* jobs alive */
	unsigned	 nwaiting;	/* jobs waiting at destinations */
	bool		 is_deleted;	/* its last recipient left */
};

/* A due recipient as the backend reads it; the scheduler adds where it
 * goes. */
struct sched_due {
	int64_t		 rowid;
	int64_t		 msg_rowid;
	char		*address;
	char		*domain;
	char		*orcpt;
	unsigned	 notify;
	unsigned	 attempts;
	char		*key;		/* set by the scheduler */
	bool		 is_local;
	struct queue_nexthop nh;	/* copy; host borrowed */
};

/* The queue's persistence seam, as far as the scheduler's reads and
 * claims go: backend_lite.c (queue.db, this node's spool) marks a claimed
 * message busy for this scheduler; backend_pg.c (a cluster's database)
 * leases it to this node (owner, expiry, FOR UPDATE SKIP LOCKED), renews
 * the leases while jobs run and takes the cluster-wide per-destination
 * slots. Receiving, writing results back and administration go through
 * the data seam, qdb.h. Everything runs on the scheduler's loop thread;
 * the ops after release are optional (NULL in the embedded backend:
 * nothing to check). */
struct queue_backend {
	const char	*name;
	/* The scheduler's connection; s->base exists. 0, or -1 with
	 * *err_out. */
	int		(*open)(struct queue_sched *s, char **err_out);
	/* Before s->base goes. */
	void		(*close)(struct queue_sched *s);
	/* Up to limit recipients due at now whose messages are not held
	 * and not claimed; *out a heap array. With leases, their messages
	 * are leased to this node by the call. */
	size_t		(*due)(struct queue_sched *s, int64_t now, size_t limit,
			    struct sched_due **out);
	/* Claim a message for this scheduler and load it; NULL when it is
	 * gone (or, with leases, taken by another node). */
	struct sched_msg *(*claim)(struct queue_sched *s, int64_t msg_rowid);
	/* Its jobs are written back: another pass may take it again. */
	void		(*release)(struct queue_sched *s, int64_t msg_rowid);
	/* After a pass: give up what due() took that claim() did not load
	 * (rows the scheduler could not route now). */
	void		(*pass_done)(struct queue_sched *s);
	/* Just before a job of m starts: 1 it may, 0 not now (the claim may
	 * have run out; wait for a renewal), -1 never (another node has
	 * the message). */
	int		(*may_start)(struct queue_sched *s,
			    const struct sched_msg *m);
	/* One of the max connection slots of destination key, shared by
	 * every node: its number, or -1 when all are taken (or unknown). */
	int		(*slot_take)(struct queue_sched *s, const char *key,
			    unsigned max);
	void		(*slot_give)(struct queue_sched *s, const char *key,
			    int slot);
	/* Other nodes' schedulers send from the same queue: what one
	 * leases, the others cannot send, so each takes only what it can
	 * start soon. */
	bool		 is_shared;
};

extern const struct queue_backend queue_backend_lite;
extern const struct queue_backend queue_backend_pg;
/* Free what due() returned (and the keys the scheduler added). */
void	 sched_due_free(struct sched_due *rows, size_t n);
/* sched.c: the most messages the scheduler keeps loaded (and, on a
 * cluster node, leased) at once. */
size_t	 sched_active_max(const struct queue_sched *s);

/* backend_pg.c: renew this node's leases now (its timer does, every
 * lease_time / 3; tests call it). 0, or -1 when the database did not
 * answer. */
int	 queue_pg_renew(struct queue_sched *s);
/* The node id that owns this node's leases (data_dir/queue/node-id). */
const char *queue_pg_node(struct queue_sched *s);

/* A resolved route shared by the jobs that use it. */
struct sched_route {
	unsigned		 refs;
	struct queue_route	 r;
};

struct sched_dest;

struct sched_job {
	struct queue_job	 job;		/* job.priv is this */
	struct queue_sched	*sched;
	struct sched_msg	*msg;
	struct sched_dest	*dest;
	struct sched_route	*route;
	int64_t			*rowids;	/* one per job.rcpts[] */
	unsigned		*attempts;
	bool			 is_started;
	bool			 is_local;
	int			 slot;		/* cluster slot held, or -1 */
	double			 started;	/* monotonic seconds */
	struct sched_job	*next;
};

enum sched_route_state {
	SCHED_ROUTE_NONE,
	SCHED_ROUTE_PENDING,
	SCHED_ROUTE_OK,
	SCHED_ROUTE_FAILED,	/* a cached permanent failure */
};

struct sched_dest {
	struct sched_dest	*next;		/* hash chain */
	struct queue_sched	*sched;
	char			*key;
	bool			 is_local;
	struct queue_nexthop	 nh;		/* remote only */
	enum sched_route_state	 rstate;
	struct sched_route	*route;
	int64_t			 rexpires;
	enum queue_status	 rfail_status;	/* SCHED_ROUTE_FAILED */
	char			*rfail_reply;
	struct sched_job	*wait_head;
	struct sched_job	*wait_tail;
	unsigned		 nwaiting;
	unsigned		 nactive;
	double			 job_secs;	/* average job time, 0: none
						 * finished yet */
	double			 grown_at;	/* monotonic seconds of the
						 * last added connection */
	bool			 has_reuse_time;	/* job_secs is from jobs
						 * over open connections */
	int			*spares;	/* cluster slots of finished
						 * jobs, kept for the next */
	unsigned		 nspares;
	double			 spare_at;	/* the last kept (monotonic) */
};

/* A destination opens a further connection only when the jobs waiting
 * there would keep the open ones busy longer than SCHED_DRAIN_SECONDS,
 * and at most one per SCHED_GROW_SECONDS (dest.c). */
#define SCHED_DRAIN_SECONDS	2.0
#define SCHED_GROW_SECONDS	1.0

#define SCHED_DEST_BUCKETS	1024

struct queue_sched {
	struct queue		*q;
	const struct queue_backend *be;
	struct queue_params	 p;
	struct queue_routes	*routes;
	pthread_t		 thread;
	int			 lock_fd;
	struct event_base	*base;
	struct event		*wake_ev;
	struct event		*timer_ev;
	struct event		*flush_ev;
	struct event		*stop_ev;
	sqlite3			*db;
	struct queue_dns	*dns;
	struct sched_dest	*dests[SCHED_DEST_BUCKETS];
	unsigned		 nactive_remote;
	unsigned		 nstarted;	/* jobs in transports */
	unsigned		 nmsgs;		/* loaded */
	bool			 is_total_blocked;
	bool			 needs_rekick;	/* a job waits for a lease
						 * renewal or a cluster slot */
	unsigned		 nspare;	/* slots kept, all dests */
	void			*be_state;	/* the backend's own */
	bool			 has_more_due;
	bool			 is_stopping;
	bool			 can_finish;	/* transports told to stop */
	bool			 is_finished;
	struct sched_job	*done_head;	/* finished, to write back */
	struct sched_job	*done_tail;
	/* The writer thread (writer.c) and what it shares with the loop,
	 * under w_lock. */
	struct qdb		*wdb;		/* the writer's connection */
	pthread_t		 w_thread;
	bool			 has_writer;
	pthread_mutex_t		 w_lock;
	pthread_cond_t		 w_cond;
	struct sched_job	*w_in;		/* being written */
	struct sched_job	*w_out;		/* written, to release */
	bool			 w_is_ok;	/* w_out's transaction */
	bool			 w_is_stopping;	/* as when w_in was given */
	bool			 w_quit;
};

/* dest.c */
/* Monotonic seconds. */
double	 queue_mono_now(void);
/* Queue job at its destination (made on first use) and start what the
 * limits allow. */
void	 sched_dest_add(struct queue_sched *s, const char *key, bool is_local,
	    const struct queue_nexthop *nh, struct sched_job *job);
/* A job of d is back from its transport: the counts, and the average
 * job time that decides how many connections d needs. */
void	 sched_dest_job_done(struct sched_dest *d, struct sched_job *j);
/* Start waiting jobs of d, or of every destination. */
void	 sched_dest_kick(struct queue_sched *s, struct sched_dest *d);
void	 sched_dest_kick_all(struct queue_sched *s);
/* Give back the cluster slot d kept for a next job that did not come,
 * once the connection its last job left open has closed (idle_time). */
void	 sched_dest_settle(struct sched_dest *d);
void	 sched_dests_settle(struct queue_sched *s);
/* Free every destination (the scheduler stops). */
void	 sched_dests_free(struct queue_sched *s);
void	 sched_route_unref(struct sched_route *r);

/* result.c */
/* Write the results of the finished jobs of batch in one transaction on
 * s->wdb, send DSNs, drop what is delivered. 0, or -1 when nothing was
 * written. Any thread, one at a time. */
int	 sched_record(struct queue_sched *s, struct sched_job *batch);
/* Then, on the loop thread: free the jobs, and the messages they were
 * the last of (with their bodies when they left the queue and is_ok). */
void	 sched_release(struct sched_job *batch, bool is_ok);
void	 sched_job_free(struct sched_job *j);
/* writer.c: the write-back thread. The loop hands it the finished jobs
 * while it is idle; it writes them (sched_record) and wakes the loop's
 * flush_ev, whose handler releases them (sched_writer_collect) and hands
 * over the next batch. So the loop never waits for a disk sync, and jobs
 * that finish meanwhile share the next transaction. */
int	 sched_writer_start(struct queue_sched *s, char **err_out);
/* Release a written batch, if any, then hand over the finished jobs if
 * the writer is idle. Loop thread. */
void	 sched_writer_collect(struct queue_sched *s);
/* Wait for the batch in the writer, end the thread, then write what is
 * left on this thread. Loop thread, when no job runs any more. */
void	 sched_writer_stop(struct queue_sched *s);

/* Drop a job that never ran (the scheduler stops): its recipients stay
 * queued as they were. */
void	 sched_job_drop(struct sched_job *j);
/* Finish a job that never reached a transport, with one status and reply
 * for every recipient. */
void	 sched_job_fail(struct sched_job *j, enum queue_status st,
	    const char *reply);

#endif
