/* Inside the PostgreSQL store (the cluster backend): its struct, the
 * per-thread connections with their prepared statements, the schema, the
 * group committer and the LISTEN/NOTIFY listener. Several petrel
 * processes share one database; bodies live in it (bytea), so nodes share
 * no filesystem. Its implementations of store.h's operations are named
 * pg_* and reach the callers through pg_ops (backend.h).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_PG_INT_H
#define PETREL_STORE_PG_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "lib/buf.h"
#include "store/backend.h"
#include "store/store.h"

struct pg_thread;
struct pg_delivery;

struct pg_store {
	struct store		 base;		/* first: ops */
	char			*url;		/* libpq connection URI */
	struct iopool		*pool;
	pthread_key_t		 conn_key;
	/* lock guards conns. */
	pthread_mutex_t		 lock;
	struct pg_thread	*conns;		/* every thread's */
	struct store_queue	 commits;	/* deliveries to file */
	bool			 has_committer;
	pthread_t		 committer;
	/* The listener (pg_listen.c). */
	char			 node[17];	/* this process, in NOTIFYs */
	bool			 has_listener;
	int			 listen_stop[2];	/* a pipe: wakes it */
	PGconn			*listen_pg;	/* until the thread has it */
	pthread_t		 listener;
};

static inline struct pg_store *
pg_of(struct store *st)
{
	return (struct pg_store *)st;
}

/* One connection per thread, as for SQLite: libpq connections must not be
 * used by two threads at once. (Not "struct pg_conn": that is the tag of
 * libpq's own PGconn, and reusing it would let one pass for the other.) */
struct pg_thread {
	struct pg_thread	*next;
	struct pg_store		*st;		/* NULL: pg_thread_new()'s */
	const char		*url;		/* to reconnect to */
	PGconn			*pg;
	/* Statements prepared on this connection, keyed by the address of
	 * their SQL text (a string literal). */
	const char		**prepared;
	size_t			 n_prepared;
	char			*err;		/* the last error, heap */
	bool			 in_txn;	/* since pg_begin() */
	char			 sqlstate[6];	/* of the last error */
};

/* pg_conn.c */
/* This thread's connection, (re)connected when needed; NULL when the
 * database cannot be reached (logged). */
struct pg_thread	*pg_conn_get(struct store *st);
/* Close every connection (the store closes). */
void	 pg_conns_close(struct pg_store *st);
/* The pthread key's destructor: the thread's connection goes. */
void	 pg_conn_key_destroy(void *arg);
/* Open a connection to url: NULL with *err_out naming the problem. */
PGconn	*pg_connect(const char *url, char **err_out);
/* Run sql, a command of a connection's setup, on pg: 0, or -1 with pg
 * closed and *err_out "store: what: <the server's message>". */
int	 pg_setup_exec(PGconn *pg, const char *sql, const char *what,
	    char **err_out);
/* A connection outside the store's per-thread key (the queue's threads),
 * reconnected like the store's; url is borrowed and must outlive it.
 * NULL with *err_out. pg_thread_free(NULL) does nothing. */
struct pg_thread *pg_thread_new(const char *url, char **err_out);
void	 pg_thread_free(struct pg_thread *c);
/* Run sql (a string literal: prepared once per connection and kept) with
 * parameters described by types, one character each: 'i' an int64_t, 's'
 * a const char * (NULL for SQL NULL), 'b' a const void * and a size_t
 * (bytea). Results come as text, except with pg_query_bin() where they
 * come binary (for bytea). NULL on error, with c->err and c->sqlstate
 * set; otherwise a result to PQclear(). */
PGresult *pg_query(struct pg_thread *c, const char *sql, const char *types,
	    ...);
PGresult *pg_query_bin(struct pg_thread *c, const char *sql,
	    const char *types, ...);
/* pg_query() for statements whose rows do not matter: 0 or -1; with
 * n_out, the number of rows affected. */
int	 pg_exec(struct pg_thread *c, const char *sql, const char *types, ...);
int	 pg_exec_n(struct pg_thread *c, uint64_t *n_out, const char *sql,
	    const char *types, ...);
/* A plain command without parameters (BEGIN, SAVEPOINT...). 0 or -1. */
int	 pg_cmd(struct pg_thread *c, const char *sql);
int	 pg_begin(struct pg_thread *c);
int	 pg_commit(struct pg_thread *c);
void	 pg_rollback(struct pg_thread *c);
/* Set *err_out to "store: <the last error>"; returns -1. */
int	 pg_fail(struct pg_thread *c, char **err_out);
/* Whether the last error was a unique violation, a conflict between
 * transactions (deadlock, serialization) worth a retry, or the database
 * server's disk full. */
bool	 pg_is_unique(const struct pg_thread *c);
bool	 pg_is_conflict(const struct pg_thread *c);
bool	 pg_is_disk_full(const struct pg_thread *c);
/* Values of a text result. */
int64_t	 pg_int(const PGresult *res, int row, int col);
bool	 pg_null(const PGresult *res, int row, int col);
char	*pg_strdup(const PGresult *res, int row, int col);
/* The text in column 0 of every row, appended to a heap array of heap
 * strings; clears res. 0, or -1 (on a NULL res). */
int	 pg_strings(PGresult *res, char ***out, size_t *n_out);
/* Column 0 of every row as UIDs, a heap array; clears res. 0, or -1 (on
 * a NULL res). */
int	 pg_uids(PGresult *res, uint32_t **uids_out, size_t *n_out);

/* pg_schema.c */
/* Create or migrate the schema to the current version. 0 or -1. */
int	 pg_schema_apply(PGconn *pg, char **err_out);
/* Apply the migrations up to version only (tests build old schemas). */
int	 pg_schema_apply_upto(PGconn *pg, int version, char **err_out);
int	 pg_schema_version(void);

/* pg_db.c: helpers shared by the operations. */
/* A fresh, unique UIDVALIDITY; inside a transaction. */
int	 pg_uidvalidity(struct pg_thread *c, uint32_t *out);
/* Delete the bodies of ids[] that no message refers to any more. */
int	 pg_bodies_gc(struct pg_thread *c, const int64_t *ids, size_t n);
/* A file descriptor (a memfd) holding the body, at offset 0; -1 with
 * errno set. */
int	 pg_body_open(struct store *st, int64_t body_id);
/* Write p[0..len) to a new memfd. -1 with errno. */
int	 pg_memfd(const void *p, size_t len);

/* pg_user.c: insert a mailbox with a fresh UIDVALIDITY, and its
 * subscription when is_subscribed. 0 or -1. */
int	 pg_mailbox_insert(struct pg_thread *c, int64_t user_id,
	    const char *name, const char *special_use, bool is_subscribed);

/* pg_commit.c: the group committer. */
void	 pg_commit_enqueue(struct pg_delivery *d);
void	*pg_commit_main(void *arg);

/* pg_listen.c: LISTEN/NOTIFY between the processes sharing the store. */
int	 pg_listen_start(struct pg_store *st, char **err_out);
void	 pg_listen_stop(struct pg_store *st);
void	 pg_notify_remote(struct store *st, int64_t user_id);
/* NOTIFY the users of ids, a PostgreSQL array ("{1,2}"), inside the
 * caller's transaction (sent at its COMMIT) or at once. 0 or -1. */
int	 pg_notify_users(struct pg_thread *c, const char *ids);

/* pg_open.c */
struct store *pg_open(const char *url, struct iopool *pool, char **err_out);
extern const struct store_ops pg_ops;

/* The operations of store.h (pg_*.c, one file per group). */
void	pg_close(struct store *st);
int	pg_domain_add(struct store *st, const char *domain, char **err_out);
int	pg_domain_del(struct store *st, const char *domain, char **err_out);
int	pg_domain_list(struct store *st, char ***names_out, size_t *n_out);
int	pg_domain_find(struct store *st, const char *domain);
int	pg_user_add(struct store *st, const char *address,
	    const char *password, char **err_out);
int	pg_user_del(struct store *st, const char *address, char **err_out);
int	pg_user_passwd(struct store *st, const char *address,
	    const char *password, char **err_out);
int	pg_user_list(struct store *st, const char *domain,
	    char ***addresses_out, size_t *n_out);
int	pg_user_get(struct store *st, const char *address,
	    struct store_user *out, char **hash_out);
struct store_delivery *pg_delivery_new(struct store *st, char **err_out);
int	pg_delivery_write(struct store_delivery *d, const void *p,
	    size_t len);
uint64_t	pg_delivery_size(const struct store_delivery *d);
void	pg_delivery_add(struct store_delivery *d, int64_t user_id,
	    const char *mailbox);
void	pg_delivery_set_date(struct store_delivery *d, time_t internal_date);
void	pg_delivery_commit(struct store_delivery *d, struct event_base *base,
	    store_delivery_done_fn *done, void *arg);
void	pg_delivery_abort(struct store_delivery *d);
int	pg_mailbox_find(struct store *st, int64_t user_id, const char *name,
	    struct store_mailbox *out);
int	pg_mailbox_messages(struct store *st, int64_t mailbox_id,
	    struct store_msg **msgs_out, size_t *n_out);
int	pg_msg_open(struct store *st, const struct store_msg *msg);
int	pg_msgs_expunge(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, char **err_out);
int	pg_alias_add(struct store *st, const char *address,
	    const char *target, char **err_out);
int	pg_alias_del(struct store *st, const char *address,
	    const char *target, char **err_out);
int	pg_alias_list(struct store *st, const char *domain, char ***lines_out,
	    size_t *n_out);
int	pg_alias_targets(struct store *st, const char *key,
	    char ***targets_out, size_t *n_out);
int	pg_mailbox_list(struct store *st, int64_t user_id,
	    struct store_mailbox_info **out, size_t *n_out);
int	pg_mailbox_create(struct store *st, int64_t user_id, const char *name,
	    const char *special_use, char **err_out);
int	pg_mailbox_delete(struct store *st, int64_t user_id, const char *name,
	    char **err_out);
int	pg_mailbox_rename(struct store *st, int64_t user_id, const char *from,
	    const char *to, char **err_out);
int	pg_subscription_list(struct store *st, int64_t user_id,
	    char ***names_out, size_t *n_out);
int	pg_subscription_set(struct store *st, int64_t user_id,
	    const char *name, bool is_on, char **err_out);
int	pg_mailbox_status(struct store *st, int64_t mailbox_id,
	    struct store_status *out);
int	pg_mailbox_state(struct store *st, int64_t mailbox_id,
	    uint32_t *uidnext_out, uint64_t *highestmodseq_out);
int	pg_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t **uids_out, size_t *n_out);
int	pg_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t *count_out);
int	pg_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
	    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out);
int	pg_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
	    uint32_t *uid_out);
int	pg_mailbox_keywords(struct store *st, int64_t mailbox_id,
	    char ***names_out, size_t *n_out);
uint32_t	pg_recent_take(struct store *st, int64_t mailbox_id,
	    uint32_t uidnext);
int	pg_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint64_t changedsince, unsigned what, size_t limit,
	    struct store_row **rows_out, size_t *n_out);
int	pg_row_open(struct store *st, const struct store_row *row);
int	pg_flags_update(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, enum store_flags_op op,
	    uint32_t flags, const char *const *keywords, size_t n_keywords,
	    uint64_t unchangedsince, struct store_flags_result **out,
	    size_t *n_out, char **err_out);
int	pg_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
	    const uint32_t *uids, size_t n, bool is_move,
	    uint32_t *uidvalidity_out, uint32_t **src_out, uint32_t **dst_out,
	    size_t *n_out, char **err_out);
int	pg_append(struct store *st, int64_t mailbox_id, const void *p,
	    size_t len, uint32_t flags, const char *keywords, time_t date,
	    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out);
int	pg_text_search(struct store *st, const char *needle, bool body_only,
	    int64_t **ids_out, size_t *n_out);
void	pg_notify_mailbox(struct store *st, int64_t mailbox_id);
int	pg_web_order(struct store *st, int64_t mailbox_id,
	    uint32_t **uids_out, size_t *n_out);
int	pg_mailbox_lookup(struct store *st, int64_t user_id, const char *name,
	    struct store_mailbox *out);
int	pg_user_restore(struct store *st, const char *address,
	    const char *hash, char **err_out);
int	pg_mailbox_set_uids(struct store *st, int64_t mailbox_id,
	    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
	    char **err_out);
int	pg_web_counts(struct store *st, int64_t mailbox_id,
	    uint32_t *total_out, uint32_t *unseen_out);

#endif
