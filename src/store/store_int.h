/* Inside the SQLite store: the shared struct store, per-thread connections,
 * SQL helpers, body files and the group committer.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_INT_H
#define PETREL_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "store/store.h"

/* Body names: 16 random bytes in hex; the first two digits pick the
 * directory bodies/XX/, which keeps directories small. */
#define STORE_BODY_NAME_LEN	32

struct store_conn;

struct store {
	char			*dir;
	struct iopool		*pool;
	int			 lock_fd;	/* flock on dir/lock */
	pthread_key_t		 conn_key;
	/* lock guards the fields below it. */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct store_conn	*conns;		/* every thread's */
	unsigned		 in_flight;	/* not yet done */
	/* The committer's queue: deliveries whose body is durable. */
	struct store_delivery	*pending_head;
	struct store_delivery	*pending_tail;
	bool			 is_closing;
	bool			 has_committer;
	pthread_t		 committer;
};

struct store_rcpt {
	int64_t	 user_id;
	char	*mailbox;
};

/* A delivery keeps a body up to this size in memory and writes it on a
 * pool thread at commit, so that an event loop never waits for the disk
 * (creating a file can wait for another thread's fsync). */
#define STORE_DELIVERY_MEM_MAX	(256 * 1024)

struct store_delivery {
	struct store		*st;
	struct store_delivery	*next;		/* committer queue */
	struct buf		 mem;		/* a small body */
	int			 fd;		/* -1 until it is big */
	char			 name[STORE_BODY_NAME_LEN + 1];
	uint64_t		 size;
	int			 write_errno;	/* sticky */
	int64_t			 internal_date;
	struct store_rcpt	*rcpts;
	size_t			 n_rcpts;
	bool			 has_tmp_name;	/* named in tmp/ */
	bool			 is_renamed;	/* has its final name */
	bool			 is_full;	/* failed for want of space */
	struct event_base	*base;
	store_delivery_done_fn	*done;
	void			*done_arg;
	char			*err;		/* why it failed */
};

/* store.c */
/* This thread's connection, opened on first use; NULL (logged) on error. */
sqlite3	*store_db(struct store *st);
/* Set *err_out (when not NULL) to a formatted heap string. Returns -1. */
int	 store_err(char **err_out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* schema.c */
/* Create or migrate the schema to the current version. 0 or -1. */
int	 store_schema_apply(sqlite3 *db, char **err_out);

/* db.c: small SQL helpers. Each returns 0 or -1 with *err_out set. */
int	 store_db_exec(sqlite3 *db, const char *sql, char **err_out);
/* Run one statement with ?1 bound to id. */
int	 store_db_exec_id(sqlite3 *db, const char *sql, int64_t id,
	    char **err_out);
int	 store_db_begin(sqlite3 *db, char **err_out);
int	 store_db_commit(sqlite3 *db, char **err_out);
void	 store_db_rollback(sqlite3 *db);
/* Prepare sql; NULL with *err_out set on error. */
sqlite3_stmt *store_db_prepare(sqlite3 *db, const char *sql, char **err_out);
/* A heap string naming the last error of db ("disk full" for SQLITE_FULL). */
char	*store_db_errstr(sqlite3 *db, const char *what);
/* Step stmt, collecting column 0 of each row into a heap array of heap
 * strings appended to *out; finalizes stmt. 0 or -1 (*out freed). */
int	 store_db_strings(sqlite3_stmt *stmt, char ***out, size_t *n_out);
/* A fresh, unique UIDVALIDITY; inside a write transaction. */
int	 store_db_uidvalidity(sqlite3 *db, uint32_t *out, char **err_out);
/* Delete the rows of bodies in ids[] that no message refers to any more,
 * adding their names to *names (a heap array of heap strings). Inside a
 * write transaction. */
int	 store_db_bodies_gc(sqlite3 *db, const int64_t *ids, size_t n,
	    char ***names, size_t *n_names, char **err_out);

/* valid.c: syntax checks; each copies a lowercase form into out. */
bool	 store_domain_valid(const char *domain, char *out, size_t outsize,
	    const char **errstr);
bool	 store_address_valid(const char *address, char *out, size_t outsize,
	    const char **errstr);
/* The domain part of a valid, lowercase address. */
const char *store_address_domain(const char *address);

/* sweep.c: remove body files no row refers to (a crash between a body's
 * rename and its transaction). Only while no other process has the store. */
void	 store_sweep_orphans(struct store *st);

/* reserve.c: space held back so that deletions work on a full disk.
 * take is best effort; release returns whether there was a reserve. */
void	 store_reserve_take(struct store *st);
bool	 store_reserve_release(struct store *st);

/* msgfile.c: body files. Paths are heap strings. */
char	*store_msgfile_tmp_path(struct store *st, const char *name);
char	*store_msgfile_path(struct store *st, const char *name);
char	*store_msgfile_dir(struct store *st, const char *name);
/* Open a new temporary body file for writing: unnamed (O_TMPFILE) in
 * tmp/, so that a crash or an abort leaves nothing behind, or a file named
 * tmp/<name> (*has_name_out) where the filesystem cannot. -1 with errno. */
int	 store_msgfile_open_tmp(struct store *st, const char *name,
	    bool *has_name_out);
/* Give the temporary file fd its final name path: rename a named one,
 * link an unnamed one. 0 or -1 with errno set. */
int	 store_msgfile_link(struct store *st, int fd, const char *name,
	    bool has_name);
/* Unlink the final files of names[] and free the array. */
void	 store_msgfile_unlink_names(struct store *st, char **names,
	    size_t n);
/* Create dir/tmp and dir/bodies/00..ff. 0 or -1 with *err_out set. */
int	 store_msgfile_init(struct store *st, char **err_out);
/* Remove leftover temporary files (only when no other process uses the
 * store). */
void	 store_msgfile_clean_tmp(struct store *st);
/* A short reason for errno, for done() and logs. */
const char *store_msgfile_reason(int errnum);

/* delivery.c, commit.c */
void	 store_delivery_free(struct store_delivery *d);
/* Report d's result to its done() on its loop, then free it. */
void	 store_delivery_finish(struct store_delivery *d, int result);
/* Queue d (its body durable under its final name) for the committer. */
void	 store_commit_enqueue(struct store_delivery *d);
void	*store_commit_main(void *arg);

#endif
