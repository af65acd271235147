/* Inside the SQLite store (the embedded backend): its struct, per-thread
 * connections, SQL helpers, body files and the group committer. Its
 * implementations of store.h's operations are named lite_* and reach the
 * callers through lite_ops (backend.h).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_INT_H
#define PETREL_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "store/backend.h"
#include "store/store.h"

/* Body names: 16 random bytes in hex; the first two digits pick the
 * directory bodies/XX/, which keeps directories small. */
#define STORE_BODY_NAME_LEN	32

struct store_conn;

/* How long a connection waits for another's write lock. */
#define STORE_BUSY_TIMEOUT_MS	30000

struct lite_store {
	struct store		 base;		/* first: ops */
	char			*dir;
	struct iopool		*pool;
	int			 lock_fd;	/* flock on dir/lock */
	pthread_key_t		 conn_key;
	/* lock guards the fields below it. */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct store_conn	*conns;		/* every thread's */
	unsigned		 in_flight;	/* not yet done */
	uint64_t		 n_commits_started;	/* deliveries ever */
	/* The committer's queue: deliveries whose body is durable. The
	 * committer alone sleeps on commit_cond, so that a delivery wakes
	 * it and no other thread (cond is for in_flight reaching zero). */
	pthread_cond_t		 commit_cond;
	struct store_delivery	*pending_head;
	struct store_delivery	*pending_tail;
	bool			 is_closing;
	bool			 has_committer;
	pthread_t		 committer;
	/* The indexer sleeps on index_cond until is_index_due. */
	pthread_cond_t		 index_cond;
	bool			 is_index_due;
	bool			 has_indexer;
	pthread_t		 indexer;
	/* The checkpointer sleeps on checkpoint_cond. */
	pthread_cond_t		 checkpoint_cond;
	bool			 is_checkpoint_due;
	int			 wal_pages;	/* at the last commit past due */
	bool			 has_checkpointer;
	pthread_t		 checkpointer;
};

/* A body up to this size is kept in memory while it arrives and then
 * stored inline, as a BLOB in its bodies row, in the committer's
 * transaction: no file to create, no fsync of its own, one WAL fsync for
 * a whole batch (creating one inode per message was most of the kernel
 * time of a delivery). Bigger ones become files, written and synced on a
 * pool thread so that an event loop never waits for the disk. Most mail
 * is a few KiB; SQLite's "Internal Versus External BLOBs" finds blobs up
 * to about 100 KiB faster read from the database than from files, and up
 * to 256 KiB they cost little more, while a big attachment as a file
 * keeps the WAL and its checkpoint copies short. */
#define STORE_BODY_INLINE_MAX	(256 * 1024)

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
	bool			 is_inline;	/* stored in its row */
	bool			 is_full;	/* failed for want of space */
	struct event_base	*base;
	store_delivery_done_fn	*done;
	void			*done_arg;
	char			*err;		/* why it failed */
};

static inline struct lite_store *
lite_of(struct store *st)
{
	return (struct lite_store *)st;
}

/* store.c */
/* This thread's connection, opened on first use; NULL (logged) on error. */
sqlite3	*store_db(struct store *st);
/* Open the store under data_dir, creating it on first use. */
struct store *lite_open(const char *data_dir, struct iopool *pool,
	    char **err_out);

/* The operations of store.h, one file per group as in store.h. */
extern const struct store_ops lite_ops;
void	lite_close(struct store *st);
int	lite_domain_add(struct store *st, const char *domain, char **err_out);
int	lite_domain_del(struct store *st, const char *domain, char **err_out);
int	lite_domain_list(struct store *st, char ***names_out, size_t *n_out);
int	lite_domain_find(struct store *st, const char *domain);
int	lite_user_add(struct store *st, const char *address,
	    const char *password, char **err_out);
int	lite_user_del(struct store *st, const char *address, char **err_out);
int	lite_user_passwd(struct store *st, const char *address,
	    const char *password, char **err_out);
int	lite_user_list(struct store *st, const char *domain,
	    char ***addresses_out, size_t *n_out);
int	lite_user_get(struct store *st, const char *address,
	    struct store_user *out, char **hash_out);
struct store_delivery *lite_delivery_new(struct store *st, char **err_out);
int	lite_delivery_write(struct store_delivery *d, const void *p,
	    size_t len);
uint64_t	lite_delivery_size(const struct store_delivery *d);
void	lite_delivery_add(struct store_delivery *d, int64_t user_id,
	    const char *mailbox);
void	lite_delivery_set_date(struct store_delivery *d, time_t internal_date);
void	lite_delivery_commit(struct store_delivery *d, struct event_base *base,
	    store_delivery_done_fn *done, void *arg);
void	lite_delivery_abort(struct store_delivery *d);
int	lite_mailbox_find(struct store *st, int64_t user_id, const char *name,
	    struct store_mailbox *out);
int	lite_mailbox_lookup(struct store *st, int64_t user_id,
	    const char *name, struct store_mailbox *out);
int	lite_mailbox_messages(struct store *st, int64_t mailbox_id,
	    struct store_msg **msgs_out, size_t *n_out);
int	lite_msg_open(struct store *st, const struct store_msg *msg);
int	lite_msgs_expunge(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, char **err_out);
int	lite_alias_add(struct store *st, const char *address,
	    const char *target, char **err_out);
int	lite_alias_del(struct store *st, const char *address,
	    const char *target, char **err_out);
int	lite_alias_list(struct store *st, const char *domain, char ***lines_out,
	    size_t *n_out);
int	lite_alias_targets(struct store *st, const char *key,
	    char ***targets_out, size_t *n_out);
int	lite_mailbox_list(struct store *st, int64_t user_id,
	    struct store_mailbox_info **out, size_t *n_out);
int	lite_mailbox_create(struct store *st, int64_t user_id, const char *name,
	    const char *special_use, char **err_out);
int	lite_mailbox_delete(struct store *st, int64_t user_id, const char *name,
	    char **err_out);
int	lite_mailbox_rename(struct store *st, int64_t user_id, const char *from,
	    const char *to, char **err_out);
int	lite_subscription_list(struct store *st, int64_t user_id,
	    char ***names_out, size_t *n_out);
int	lite_subscription_set(struct store *st, int64_t user_id,
	    const char *name, bool is_on, char **err_out);
int	lite_mailbox_status(struct store *st, int64_t mailbox_id,
	    struct store_status *out);
int	lite_mailbox_state(struct store *st, int64_t mailbox_id,
	    uint32_t *uidnext_out, uint64_t *highestmodseq_out);
int	lite_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t **uids_out, size_t *n_out);
int	lite_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t *count_out);
int	lite_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
	    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out);
/* The expunged-UID records kept per mailbox (schema step 9). */
#define STORE_VANISHED_KEEP	1000
/* Inside the transaction that recorded some: drop all but the newest keep
 * records of the mailbox, remembering the highest modseq dropped. */
int	lite_vanished_bound(sqlite3 *db, int64_t mailbox_id, size_t keep);
int	lite_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
	    uint32_t *uid_out);
int	lite_mailbox_keywords(struct store *st, int64_t mailbox_id,
	    char ***names_out, size_t *n_out);
uint32_t	lite_recent_take(struct store *st, int64_t mailbox_id,
	    uint32_t uidnext);
int	lite_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint64_t changedsince, unsigned what, size_t limit,
	    struct store_row **rows_out, size_t *n_out);
int	lite_row_open(struct store *st, const struct store_row *row);
int	lite_flags_update(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, enum store_flags_op op,
	    uint32_t flags, const char *const *keywords, size_t n_keywords,
	    uint64_t unchangedsince, struct store_flags_result **out,
	    size_t *n_out, char **err_out);
int	lite_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
	    const uint32_t *uids, size_t n, bool is_move,
	    uint32_t *uidvalidity_out, uint32_t **src_out, uint32_t **dst_out,
	    size_t *n_out, char **err_out);
int	lite_append(struct store *st, int64_t mailbox_id, const void *p,
	    size_t len, uint32_t flags, const char *keywords, time_t date,
	    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out);
int	lite_text_search(struct store *st, const char *needle, bool body_only,
	    int64_t **ids_out, size_t *n_out);
void	lite_notify_mailbox(struct store *st, int64_t mailbox_id);
int	lite_web_order(struct store *st, int64_t mailbox_id,
	    uint32_t **uids_out, size_t *n_out);
int	lite_web_counts(struct store *st, int64_t mailbox_id,
	    uint32_t *total_out, uint32_t *unseen_out);
int	lite_user_restore(struct store *st, const char *address,
	    const char *hash, char **err_out);
int	lite_mailbox_set_uids(struct store *st, int64_t mailbox_id,
	    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
	    char **err_out);

/* schema.c */
/* Create or migrate the schema to the current version. 0 or -1. */
int	 store_schema_apply(sqlite3 *db, char **err_out);
/* Apply the migrations up to version only (tests build old schemas). */
int	 store_schema_apply_upto(sqlite3 *db, int version, char **err_out);
int	 store_schema_version(void);

/* db.c: small SQL helpers. Each returns 0 or -1 with *err_out set. */
/* A failed statement's report: *err_out (when err_out is not NULL) from
 * store_db_errstr(db, what); returns -1. */
int	 store_db_fail(sqlite3 *db, const char *what, char **err_out);
/* Step stmt once and finalize it: 0 when it ran to its end, else
 * store_db_fail(db, what, err_out). */
int	 store_db_step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what,
	    char **err_out);
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
/* The same for sql, with ?1 bound to id, on this thread's connection;
 * *out NULL and *n_out 0 first. */
int	 store_db_strings_of(struct store *st, const char *sql, int64_t id,
	    char ***out, size_t *n_out);
/* Step stmt (a kept one, from store_stmt()), collecting column 0 of each
 * row as a UID into a heap array (first room for first_cap, doubling);
 * resets stmt. 0, or -1 with the outputs untouched. */
int	 store_db_uids(sqlite3_stmt *stmt, size_t first_cap,
	    uint32_t **uids_out, size_t *n_out);
/* Bind an inline body's octets (at most STORE_BODY_INLINE_MAX) to column
 * col, static: an empty one too, which a NULL pointer would make SQL
 * NULL, the mark of a body kept as a file. */
void	 store_db_bind_body(sqlite3_stmt *stmt, int col, const void *p,
	    size_t len);
/* A fresh, unique UIDVALIDITY; inside a write transaction. */
int	 store_db_uidvalidity(sqlite3 *db, uint32_t *out, char **err_out);
/* Delete the rows of bodies in ids[] that no message refers to any more,
 * adding the names of those kept as files to *names (a heap array of heap
 * strings). Inside a write transaction. */
int	 store_db_bodies_gc(sqlite3 *db, const int64_t *ids, size_t n,
	    char ***names, size_t *n_names, char **err_out);

/* copy.c: read the target of COPY, MOVE or APPEND: 1, 0 when there is
 * no such selectable mailbox, -1 on error. */
int	 lite_target_get(sqlite3 *db, int64_t id, struct store_target *t);

/* body.c: a body, inline or a file. open returns a readable descriptor
 * at offset 0 (a sealed memfd for an inline body), -1 with errno; read
 * appends the whole body to out, 0 or -1. */
int	 store_body_open(struct store *st, sqlite3 *db, int64_t body_id);
int	 store_body_read(struct store *st, sqlite3 *db, int64_t body_id,
	    struct buf *out);

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

/* rows.c: the parse cache. lite_cache_build parses body r->body_id into
 * r's cache fields, and its text into thdr and tbody when thdr is not
 * NULL; -1 when the body is unreadable. store_cache_insert writes r's
 * cache fields with ins ("INSERT OR REPLACE INTO cache VALUES (?, ?, ?,
 * ?, ?, ?)"). */
int	 lite_cache_build(struct store *st, sqlite3 *db, struct store_row *r,
	    struct buf *thdr, struct buf *tbody);
void	 store_cache_insert(sqlite3_stmt *ins, const struct store_row *r);

/* indexer.c: the thread that fills the parse cache and the text index
 * after delivery; kick says new bodies were committed. start and stop
 * from lite_open() and lite_close(). */
void	 store_indexer_start(struct store *st);
void	 store_indexer_kick(struct store *st);
void	 store_indexer_stop(struct store *st);

/* checkpoint.c: WAL checkpoints on their own thread. watch hooks a new
 * connection's commits; start and stop from lite_open() and lite_close()
 * (checkpoint_cond is initialised there, before any connection). */
void	 store_checkpoint_watch(struct lite_store *st, sqlite3 *db);
void	 store_checkpoint_start(struct lite_store *st);
void	 store_checkpoint_stop(struct lite_store *st);

/* delivery.c, commit.c */
void	 store_delivery_free(struct store_delivery *d);
/* Report d's result to its done() on its loop, then free it. */
void	 store_delivery_finish(struct store_delivery *d, int result);
/* Queue d (its body durable under its final name) for the committer. */
void	 store_commit_enqueue(struct store_delivery *d);
void	*store_commit_main(void *arg);

#endif
