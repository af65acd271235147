/* The one interface to accounts, mailboxes, messages and flags. Protocol code
 * never touches SQL or files directly, so the backend can change (embedded
 * SQLite today, PostgreSQL for a cluster) without touching it.
 *
 * Threads: a struct store is shared by every thread of the process; each
 * thread gets its own database connection inside. Calls marked "blocking"
 * may wait for the disk (fsync) or the CPU (password hashes): call them from
 * an iopool job, never straight from an event loop. Unmarked calls only read
 * metadata and are quick enough for a loop.
 *
 * Errors: functions that can fail return -1 and, where they take char
 * **err_out, set it to a heap string naming the problem (the caller frees
 * it). Lookups return 1 when found, 0 when not, -1 on error.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_H
#define PETREL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct iopool;
struct store;

#define STORE_ADDR_MAX		256	/* local@domain, RFC 5321 4.5.3.1.3 */
#define STORE_MAILBOX_MAX	512

/* System flags (RFC 3501 2.3.2); \Recent is per session, not stored. */
#define STORE_F_SEEN		0x01
#define STORE_F_ANSWERED	0x02
#define STORE_F_FLAGGED		0x04
#define STORE_F_DELETED		0x08
#define STORE_F_DRAFT		0x10

struct store_user {
	int64_t	id;
	char	address[STORE_ADDR_MAX];	/* lowercase local@domain */
};

struct store_mailbox {
	int64_t		id;
	int64_t		user_id;
	char		name[STORE_MAILBOX_MAX];
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint64_t	highestmodseq;
	uint32_t	count;		/* messages in the mailbox */
};

struct store_msg {
	int64_t		id;		/* this mailbox entry */
	int64_t		body_id;	/* the stored body, shared by copies */
	uint32_t	uid;
	uint32_t	flags;		/* STORE_F_* */
	uint64_t	size;		/* octets of the stored body (CRLF) */
	uint64_t	modseq;
	int64_t		internal_date;	/* seconds since the epoch */
};

/* Open the store under data_dir, creating it (directories, schema) on first
 * use. pool runs the store's durable writes; it must outlive the store. */
struct store	*store_open(const char *data_dir, struct iopool *pool,
		    char **err_out);
/* Wait for deliveries in flight, then close. store_close(NULL) is a no-op. */
void		 store_close(struct store *st);

/* Domains (lowercase, validated as RFC 5321 domains). */
int	store_domain_add(struct store *st, const char *domain, char **err_out);
/* Refuses while the domain still has users. */
int	store_domain_del(struct store *st, const char *domain, char **err_out);
/* Heap array of heap strings, sorted; free with store_strings_free(). */
int	store_domain_list(struct store *st, char ***names_out, size_t *n_out);
int	store_domain_find(struct store *st, const char *domain);
void	store_strings_free(char **strings, size_t n);

/* Accounts. The domain must exist. A new account gets INBOX, Sent, Drafts,
 * Trash, Junk and Archive. Passwords are kept only as yescrypt hashes.
 * Blocking (hashing). */
int	store_user_add(struct store *st, const char *address,
	    const char *password, char **err_out);
/* Deletes the account, its mailboxes and messages. Blocking. */
int	store_user_del(struct store *st, const char *address, char **err_out);
int	store_user_passwd(struct store *st, const char *address,
	    const char *password, char **err_out);
/* Addresses of all accounts (of one domain when domain is not NULL). */
int	store_user_list(struct store *st, const char *domain,
	    char ***addresses_out, size_t *n_out);
/* Find an account by address (case-insensitive). */
int	store_user_find(struct store *st, const char *address,
	    struct store_user *out);
/* Check a password: 1 when it matches, 0 when the account is unknown or the
 * password is wrong (both take the same time), -1 on error. Blocking. */
int	store_user_check_password(struct store *st, const char *address,
	    const char *password, struct store_user *out);

/* Delivery: write a message once, then file it into one or more mailboxes.
 * The body is written as given (the caller supplies CRLF line ends) to a
 * temporary file; commit makes it durable (file fsync, rename, directory
 * fsync) and then adds it to every mailbox in one transaction that many
 * deliveries share (group commit). Only when done() reports 0 may the
 * caller acknowledge the message. Nothing of a failed or aborted delivery
 * remains. */
struct store_delivery;

typedef void store_delivery_done_fn(void *arg, int result, const char *err);

struct store_delivery *store_delivery_new(struct store *st, char **err_out);
/* 0 on success; -1 on a write error with errno set (ENOSPC, EDQUOT, EIO),
 * after which the delivery can only be aborted. */
int	store_delivery_write(struct store_delivery *d, const void *p,
	    size_t len);
/* Octets written so far. */
uint64_t store_delivery_size(const struct store_delivery *d);
/* Add a recipient mailbox; the same user twice is filed once. */
void	store_delivery_add(struct store_delivery *d, int64_t user_id,
	    const char *mailbox);
void	store_delivery_set_date(struct store_delivery *d, time_t internal_date);
/* Commit: takes d. done(arg, 0, NULL) on success, done(arg, -1, reason)
 * on failure (a temporary failure: disk full, I/O error); reason is only
 * valid during the call. done runs on base's loop thread (or on a store
 * thread when base is NULL). */
void	store_delivery_commit(struct store_delivery *d, struct event_base *base,
	    store_delivery_done_fn *done, void *arg);
/* Abandon: takes d and removes its temporary file. NULL is a no-op. */
void	store_delivery_abort(struct store_delivery *d);

/* Mailboxes and messages. */
int	store_mailbox_find(struct store *st, int64_t user_id,
	    const char *name, struct store_mailbox *out);
/* Every message of a mailbox in UID order, as a heap array (free()). */
int	store_mailbox_messages(struct store *st, int64_t mailbox_id,
	    struct store_msg **msgs_out, size_t *n_out);
/* Open a message body for reading: a file descriptor the caller closes. */
int	store_msg_open(struct store *st, const struct store_msg *msg);
/* Remove the messages with these UIDs from the mailbox, all or none;
 * a body no mailbox refers to any more is deleted. Blocking. */
int	store_msgs_expunge(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, char **err_out);

#endif
