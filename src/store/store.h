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

#define STORE_FULL	(-9)	/* no space left for the message */

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
/* Commit: takes d. done(arg, 0, NULL) on success; on failure (always a
 * temporary one) done(arg, STORE_FULL, reason) when the disk is full and
 * done(arg, -1, reason) otherwise (an I/O error); reason is only valid
 * during the call. done runs on base's loop thread (or on a store
 * thread when base is NULL). */
void	store_delivery_commit(struct store_delivery *d, struct event_base *base,
	    store_delivery_done_fn *done, void *arg);
/* Abandon: takes d and removes its temporary file. NULL is a no-op. */
void	store_delivery_abort(struct store_delivery *d);

/* Mailboxes and messages. */
int	store_mailbox_find(struct store *st, int64_t user_id,
	    const char *name, struct store_mailbox *out);
/* As store_mailbox_find() without the message count (out->count is 0):
 * one indexed lookup, however many messages the mailbox holds. */
int	store_mailbox_lookup(struct store *st, int64_t user_id,
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

/* ---- Aliases (issue 4) --------------------------------------------------
 * An alias maps an address of a hosted domain to one or more targets: local
 * accounts, other aliases, or addresses elsewhere (forwarding). "@domain"
 * is the domain's catch-all, used when no account or alias matches. */

#define STORE_ALIAS_DEPTH	8	/* aliases of aliases followed */

/* Add address -> target; the address's domain must be hosted; the target
 * is any valid address. */
int	store_alias_add(struct store *st, const char *address,
	    const char *target, char **err_out);
/* Remove one target, or every target of the address when target is NULL. */
int	store_alias_del(struct store *st, const char *address,
	    const char *target, char **err_out);
/* "address target" lines, sorted (of one domain when domain is not NULL);
 * free with store_strings_free(). */
int	store_alias_list(struct store *st, const char *domain,
	    char ***lines_out, size_t *n_out);
/* Resolve a recipient of a hosted domain to its final addresses: the
 * account itself, its user+tag base (RFC 5233), aliases (followed up to
 * STORE_ALIAS_DEPTH deep), then the catch-all. 1 with a heap array of
 * heap strings (accounts of this store, or remote addresses; free with
 * store_strings_free()), 0 when nothing matches, -1 on error. */
int	store_rcpt_resolve(struct store *st, const char *address,
	    char ***targets_out, size_t *n_out);

/* ---- IMAP support (issue 6) ----------------------------------------
 * Mailbox management, subscriptions, per-message flags and keywords with
 * CONDSTORE mod-sequences (RFC 7162), copy and move, append, a cache of
 * each body's IMAP parse, and change notification for IDLE. Unless marked
 * blocking, these only read or write metadata without waiting for an
 * fsync and may run on an event loop. */

/* Results besides 0 and -1 for the mailbox calls below. */
#define STORE_EXISTS		(-2)	/* the name is taken */
#define STORE_NOTFOUND		(-3)	/* no such mailbox */
#define STORE_REFUSED		(-4)	/* not allowed (INBOX, \Noselect) */

struct store_mailbox_info {
	int64_t	 id;
	char	*name;			/* heap */
	char	*special_use;		/* heap "\\Sent", or NULL */
	bool	 is_subscribed;
	bool	 is_noselect;		/* a name kept for its children */
};

/* Every mailbox of an account, sorted by name; free with
 * store_mailbox_list_free(). 0 or -1. */
int	store_mailbox_list(struct store *st, int64_t user_id,
	    struct store_mailbox_info **out, size_t *n_out);
void	store_mailbox_list_free(struct store_mailbox_info *v, size_t n);
/* Create name and any missing parents (names split at '/'); a \Noselect
 * name of that name becomes a mailbox again. special_use may be NULL.
 * 0, STORE_EXISTS, or -1 with *err_out set. */
int	store_mailbox_create(struct store *st, int64_t user_id,
	    const char *name, const char *special_use, char **err_out);
/* Delete a mailbox and its messages (RFC 3501 6.3.4). One with children
 * keeps its name as \Noselect; INBOX is refused (STORE_REFUSED), as is a
 * \Noselect name with children. 0, STORE_NOTFOUND, STORE_REFUSED or -1.
 * Blocking (bodies no mailbox uses are deleted). */
int	store_mailbox_delete(struct store *st, int64_t user_id,
	    const char *name, char **err_out);
/* Rename a mailbox and its children (RFC 3501 6.3.5); renaming INBOX
 * moves its messages into a new mailbox and leaves INBOX empty. 0,
 * STORE_NOTFOUND, STORE_EXISTS or -1. Blocking for INBOX. */
int	store_mailbox_rename(struct store *st, int64_t user_id,
	    const char *from, const char *to, char **err_out);
/* Subscribed names (which need not exist), sorted. */
int	store_subscription_list(struct store *st, int64_t user_id,
	    char ***names_out, size_t *n_out);
int	store_subscription_set(struct store *st, int64_t user_id,
	    const char *name, bool is_on, char **err_out);

struct store_status {
	uint32_t	messages;
	uint32_t	unseen;
	uint32_t	deleted;
	uint32_t	uidnext;
	uint32_t	uidvalidity;
	uint64_t	highestmodseq;
	uint64_t	size;		/* octets of all messages */
};

/* The counters of a mailbox (STATUS). 1, 0 when gone, -1. */
int	store_mailbox_status(struct store *st, int64_t mailbox_id,
	    struct store_status *out);
/* The quick part of it: uidnext and highestmodseq, which change with
 * every delivery, flag change and expunge. 1, 0 when gone, -1. */
int	store_mailbox_state(struct store *st, int64_t mailbox_id,
	    uint32_t *uidnext_out, uint64_t *highestmodseq_out);
/* UIDs of the messages in [lo, hi], ascending, as a heap array. */
int	store_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t **uids_out, size_t *n_out);
/* UIDs in [lo, hi] expunged (or moved out) at mod-sequence since or
 * later, ascending, as a heap array, for QRESYNC's VANISHED (RFC 7162
 * 3.2.5); may hold a UID the client already saw vanish, which the RFC
 * allows. 0; 1 when records that old were dropped (the store keeps a
 * bounded number, RFC 7162 3.2.6); -1 on error or when the backend keeps
 * no such record. Unless 0, the caller answers with every UID of the
 * range the mailbox no longer holds. */
int	store_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
	    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out);
/* Messages with uid in [lo, hi]. */
int	store_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t *count_out);
/* The lowest UID without \Seen: 1 with *uid_out set, 0 when none. */
int	store_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
	    uint32_t *uid_out);
/* Keywords ever set in the mailbox, sorted (heap strings). */
int	store_mailbox_keywords(struct store *st, int64_t mailbox_id,
	    char ***names_out, size_t *n_out);

/* \Recent (RFC 3501 2.3.2): the first session to see a message gets it;
 * a mark is kept per mailbox. Returns the lowest UID this caller may
 * report as recent and moves the mark to uidnext; uidnext 0 only looks
 * (UINT32_MAX on error). Thread-safe. */
uint32_t store_recent_take(struct store *st, int64_t mailbox_id,
	    uint32_t uidnext);

/* One message with what IMAP shows of it. */
struct store_row {
	int64_t		 id;
	int64_t		 body_id;
	uint32_t	 uid;
	uint32_t	 flags;		/* STORE_F_* */
	uint64_t	 modseq;
	uint64_t	 size;
	int64_t		 internal_date;
	char		*keywords;	/* heap, space-separated, "" none */
	/* The parse cache (STORE_ROW_CACHE), heap strings or NULL: */
	char		*envelope;	/* RFC 3501 7.4.2 ENVELOPE */
	char		*body;		/* BODY */
	char		*bodystructure;	/* BODYSTRUCTURE */
	char		*header;	/* the raw header, up to its blank line */
	size_t		 header_len;
	int64_t		 sent_date;	/* Date: (0 when absent) */
};

#define STORE_ROW_CACHE		0x01	/* fill the cache fields */
#define STORE_ROW_TEXT		0x02	/* and index the text of messages
					 * not in the text index yet (slow:
					 * each such body is parsed once) */
#define STORE_ROW_NOPARSE	0x04	/* with STORE_ROW_CACHE: only what
					 * the cache holds; a message not in
					 * it keeps NULL fields, nothing is
					 * read or parsed (a backend may
					 * ignore it and fill) */

/* Messages with uid in [lo, hi] and modseq > changedsince, in UID order,
 * at most limit of them; a heap array freed with store_rows_free(). With
 * STORE_ROW_CACHE a message not yet in the cache is parsed and cached
 * (reads its body file). 0 or -1. */
int	store_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint64_t changedsince, unsigned what, size_t limit,
	    struct store_row **rows_out, size_t *n_out);
void	store_rows_free(struct store_row *rows, size_t n);
/* As store_msg_open() for a row. */
int	store_row_open(struct store *st, const struct store_row *row);

enum store_flags_op {
	STORE_FLAGS_SET,
	STORE_FLAGS_ADD,
	STORE_FLAGS_REMOVE,
};

/* The outcome for one message of store_flags_update(). */
struct store_flags_result {
	uint32_t	 uid;
	uint32_t	 flags;
	char		*keywords;	/* heap */
	uint64_t	 modseq;
	bool		 is_changed;
	bool		 is_failed;	/* UNCHANGEDSINCE refused it */
};

/* Change flags and keywords of the messages with these UIDs in one
 * transaction (RFC 3501 6.4.6). Changed messages get one new mod-sequence
 * (RFC 7162 3.1); with unchangedsince > 0 a message whose modseq is higher
 * is left alone and marked failed (RFC 7162 3.1.3). UIDs no longer in
 * the mailbox are skipped. Results are in UID order, a heap array freed
 * with store_flags_results_free(). Flag changes are durable with the
 * next synced commit (like Dovecot's default), not each on its own. */
int	store_flags_update(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, enum store_flags_op op,
	    uint32_t flags, const char *const *keywords, size_t n_keywords,
	    uint64_t unchangedsince, struct store_flags_result **out,
	    size_t *n_out, char **err_out);
void	store_flags_results_free(struct store_flags_result *r, size_t n);

/* Copy (or move) messages into another mailbox of the same account: the
 * copies share the bodies, keep flags, keywords and internal dates, and
 * get new UIDs (RFC 4315 COPYUID, RFC 6851). Heap arrays of the source
 * UIDs copied and their new UIDs, in order. 0, STORE_NOTFOUND (target
 * gone) or -1. Blocking. */
int	store_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
	    const uint32_t *uids, size_t n, bool is_move,
	    uint32_t *uidvalidity_out, uint32_t **src_out, uint32_t **dst_out,
	    size_t *n_out, char **err_out);

/* Append a message (the CRLF text p[0..len)) to one mailbox with flags,
 * keywords (space-separated, may be NULL) and internal date, durable when
 * this returns 0 (RFC 3501 6.3.11). Sets the mailbox's UIDVALIDITY and
 * the new UID (RFC 4315 APPENDUID). 0, STORE_NOTFOUND or -1. Blocking. */
int	store_append(struct store *st, int64_t mailbox_id, const void *p,
	    size_t len, uint32_t flags, const char *keywords, time_t date,
	    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out);

/* The text index for SEARCH BODY and TEXT: the bodies whose decoded text
 * (header and text parts, in UTF-8; body_only: without the top-level
 * header) holds needle, ignoring case, as a sorted heap array of body ids
 * (struct store_row body_id). Bodies are indexed soon after delivery
 * (the SQLite store's indexer) or when store_rows_get() with
 * STORE_ROW_TEXT sees them, so a caller fills those first. -1 when the
 * index cannot answer (needle under 3 characters, or an error): the
 * caller then reads the messages. */
int	store_text_search(struct store *st, const char *needle,
	    bool body_only, int64_t **ids_out, size_t *n_out);

/* Change notification: a watch calls fn(arg) on base's loop soon after
 * something changed in any mailbox of the account (a delivery, another
 * session's flags, expunge, copy or append). Thread-safe. */
struct store_watch;
typedef void store_watch_fn(void *arg);

struct store_watch *store_watch_new(struct store *st, int64_t user_id,
	    struct event_base *base, store_watch_fn *fn, void *arg);
/* Stop watching; fn is not called after this. NULL is a no-op. Call it
 * on the watch's loop thread. */
void	store_watch_free(struct store_watch *w);
/* Wake every watch of the account. Any thread. */
void	store_notify_user(struct store *st, int64_t user_id);
/* The same for the owner of a mailbox. */
void	store_notify_mailbox(struct store *st, int64_t mailbox_id);

/* ---- Webmail support (issue 8) --------------------------------------
 * What the webmail needs beyond the IMAP calls (src/store/web_*.c). */

/* The UIDs of a mailbox's messages newest first (internal date, then
 * UID), from one walk of an index: a heap array the caller frees. 0 or
 * -1. */
int	store_web_order(struct store *st, int64_t mailbox_id,
	    uint32_t **uids_out, size_t *n_out);
/* Messages in the mailbox and those without \Seen, from indexes alone
 * (store_mailbox_status() also sums sizes, which reads every row). 0 or
 * -1. */
int	store_web_counts(struct store *st, int64_t mailbox_id,
	    uint32_t *total_out, uint32_t *unseen_out);

/* ---- Copying a whole store (issue 9, src/store/transfer.c) -----------
 * `petrel store copy` moves every domain, account, alias, mailbox and
 * message from one store to another (the embedded one to PostgreSQL and
 * back) with the UIDVALIDITY, UIDs, flags, keywords and internal dates
 * that clients have cached, so that none of them resynchronises. */

/* The stored password hash of an account: 1 with *hash_out (heap), 0 when
 * there is no such account, -1 on error. */
int	store_user_hash(struct store *st, const char *address,
	    char **hash_out);
/* Create the account with this password hash (and the standard
 * mailboxes), or give an existing account this hash. */
int	store_user_restore(struct store *st, const char *address,
	    const char *hash, char **err_out);
/* Give a mailbox this UIDVALIDITY and UIDNEXT, so that the next message
 * filed into it gets exactly that UID, and raise its HIGHESTMODSEQ to at
 * least highestmodseq. Refused (-1) when uidnext is not above every UID
 * the mailbox holds: UIDs never go back (RFC 3501 2.3.1.1). */
int	store_mailbox_set_uids(struct store *st, int64_t mailbox_id,
	    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
	    char **err_out);

/* Copy everything in from into to. Resumable: what to already holds
 * (an account, a mailbox with the same UIDVALIDITY, a message with the
 * same UID) is kept, so running it again after an interruption finishes
 * the work. Memory is bounded by the largest message and the number of
 * messages of one account. progress (may be NULL) hears one line per
 * mailbox. 0, or -1 with *err_out. Blocking. */
typedef void store_copy_progress_fn(void *arg, const char *line);
int	store_copy(struct store *from, struct store *to,
	    store_copy_progress_fn *progress, void *arg, char **err_out);

#endif
