/* The queue's data seam: one connection to where the queue's messages
 * live, with the statements that receiving (spool.c), writing results
 * back (result.c, bounce.c) and administration (admin.c) need. Two
 * implementations: qdb_lite.c on this node's queue.db and bodies/ files,
 * qdb_pg.c on the cluster's PostgreSQL tables (queue_msgs with the body
 * in the row, queue_rcpts). The callers keep the logic; only the SQL and
 * where a body is kept differ. The scheduler's reads and claims are the
 * other seam, struct queue_backend.
 *
 * A struct qdb is used by one thread at a time. Every operation returns
 * -1 on failure with the reason in qdb_err(db) (a "queue: ..." string
 * valid until the next call). A PostgreSQL connection that broke is
 * opened again by the next begin (or statement outside a transaction).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_QUEUE_QDB_H
#define PETREL_QUEUE_QDB_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "queue/queue.h"

struct qdb;
struct queue_msg;

/* A recipient's attempt, as result.c writes it back: dsn is 0 while it
 * stays queued, else QUEUE_DSN_* + 1 with its status code while it waits
 * for its message's report. */
struct qdb_attempt {
	int64_t		 rcpt_id;
	unsigned	 attempts;
	int64_t		 next_attempt;
	const char	*reply;
	const char	*relay;
	int		 dsn;
	const char	*dsn_status;
};

/* A recipient a message's report may cover (qdb_ops.report_load), as
 * stored; heap strings, orcpt NULL when none. */
struct qdb_report {
	char		*address;
	char		*orcpt;
	char		*reply;
	char		*relay;
	char		*dsn_status;
	int		 dsn;
	unsigned	 notify;
};

struct qdb_ops {
	const char	*name;
	void	(*close)(struct qdb *db);
	int	(*begin)(struct qdb *db);
	/* Durable when it returns 0 (synchronous=FULL, synchronous_commit
	 * on). On failure the transaction is rolled back. */
	int	(*commit)(struct qdb *db);
	void	(*rollback)(struct qdb *db);

	/* Insert m's envelope and recipients, inside a transaction. body
	 * NULL: the body is m's spool file (embedded: bodies/<id>, already
	 * durable; PostgreSQL: tmp/<id>, read into the row). Else body is
	 * the message (a bounce): embedded writes bodies/<id> durably
	 * first. */
	int	(*insert)(struct qdb *db, const struct queue_msg *m,
		    const struct buf *body);

	/* The writer (result.c). Row ids are queue.db's or queue_msgs' and
	 * queue_rcpts' ids. */
	int	(*rcpt_update)(struct qdb *db, const struct qdb_attempt *a);
	int	(*rcpt_delete)(struct qdb *db, int64_t rcpt_id);
	/* The recipients of msg_id marked for a DSN, and with warn those
	 * still queued after an attempt, by id: a heap array for
	 * qdb_report_free(). */
	int	(*report_load)(struct qdb *db, int64_t msg_id, bool warn,
		    struct qdb_report **out, size_t *n_out);
	int	(*msg_set_warned)(struct qdb *db, int64_t msg_id);
	/* Delete msg_id's recipients whose report went. */
	int	(*msg_drop_reported)(struct qdb *db, int64_t msg_id);
	int	(*msg_rcpts_left)(struct qdb *db, int64_t msg_id,
		    int64_t *n_out);
	int	(*msg_delete)(struct qdb *db, int64_t msg_id);

	/* Administration by queue id (admin.c). info: the message qid, or
	 * every message oldest first when qid is NULL, as queue_list()
	 * returns them. flush (qid NULL: all), remove and hold return the
	 * number of rows changed (recipients for flush, messages for the
	 * others). body: 1 with the message in out, 0 when no such
	 * message. */
	int	(*info)(struct qdb *db, const char *qid,
		    struct queue_info **out, size_t *n_out);
	int	(*flush)(struct qdb *db, const char *qid);
	int	(*remove)(struct qdb *db, const char *qid);
	int	(*hold)(struct qdb *db, const char *qid, bool is_held);
	int	(*body)(struct qdb *db, const char *qid, struct buf *out);
};

struct qdb {
	const struct qdb_ops	*ops;
	struct queue		*q;
	char			*err;	/* the last error, heap */
	bool			 is_full; /* it was a full disk (here, or
					   * the database server's) */
};

/* A connection for the calling thread: PostgreSQL when q->pg_url is set,
 * else queue.db. NULL with *err_out. qdb_close(NULL) does nothing. */
struct qdb	*qdb_open(struct queue *q, char **err_out);
void		 qdb_close(struct qdb *db);
const char	*qdb_err(const struct qdb *db);
/* Set db's error; returns -1. */
int		 qdb_fail(struct qdb *db, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 qdb_report_free(struct qdb_report *v, size_t n);
/* The domain of an address ("" without an @). */
const char	*qdb_domain_of(const char *address);
/* Append the file at path to out: 1, 0 when there is no such file, -1
 * (db's error set). */
int		 qdb_read_file(struct qdb *db, const char *path,
		    struct buf *out);
/* Append a recipient row to info (the strings are taken). */
void		 qdb_info_add_rcpt(struct queue_info *info, char *address,
		    unsigned attempts, time_t next_attempt, char *last_reply,
		    char *last_relay);

/* The two kinds: open one for q. */
struct qdb	*qdb_lite_open(struct queue *q, char **err_out);
struct qdb	*qdb_pg_open(struct queue *q, char **err_out);

#endif
