/* The store's backends behind store.h: each backend (the embedded SQLite
 * store, store_int.h; PostgreSQL, pg_int.h) fills a struct store_ops with
 * its implementation of every operation that touches data, and embeds a
 * struct store as the first member of its own store struct. dispatch.c
 * implements store.h's functions as calls through st->ops; helpers that
 * touch no data (the *_free functions, validation, the watch registry)
 * are shared by all backends.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STORE_BACKEND_H
#define PETREL_STORE_BACKEND_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct store_ops {
	void (*close)(struct store *st);
	int (*domain_add)(struct store *st, const char *domain, char **err_out);
	int (*domain_del)(struct store *st, const char *domain, char **err_out);
	int (*domain_list)(struct store *st, char ***names_out, size_t *n_out);
	int (*domain_find)(struct store *st, const char *domain);
	int (*user_add)(struct store *st, const char *address,
	    const char *password, char **err_out);
	int (*user_del)(struct store *st, const char *address, char **err_out);
	int (*user_passwd)(struct store *st, const char *address,
	    const char *password, char **err_out);
	int (*user_list)(struct store *st, const char *domain,
	    char ***addresses_out, size_t *n_out);
	/* Read an account: 1, 0 or -1; with hash_out, its password hash
	 * (heap). store_user_find() and the password check use it. */
	int (*user_get)(struct store *st, const char *address,
	    struct store_user *out, char **hash_out);
	struct store_delivery *(*delivery_new)(struct store *st,
	    char **err_out);
	int (*delivery_write)(struct store_delivery *d, const void *p,
	    size_t len);
	uint64_t (*delivery_size)(const struct store_delivery *d);
	void (*delivery_add)(struct store_delivery *d, int64_t user_id,
	    const char *mailbox);
	void (*delivery_set_date)(struct store_delivery *d,
	    time_t internal_date);
	void (*delivery_commit)(struct store_delivery *d,
	    struct event_base *base, store_delivery_done_fn *done, void *arg);
	void (*delivery_abort)(struct store_delivery *d);
	int (*mailbox_find)(struct store *st, int64_t user_id, const char *name,
	    struct store_mailbox *out);
	int (*mailbox_lookup)(struct store *st, int64_t user_id,
	    const char *name, struct store_mailbox *out);
	int (*mailbox_messages)(struct store *st, int64_t mailbox_id,
	    struct store_msg **msgs_out, size_t *n_out);
	int (*msg_open)(struct store *st, const struct store_msg *msg);
	int (*msgs_expunge)(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, char **err_out);
	int (*alias_add)(struct store *st, const char *address,
	    const char *target, char **err_out);
	int (*alias_del)(struct store *st, const char *address,
	    const char *target, char **err_out);
	int (*alias_list)(struct store *st, const char *domain,
	    char ***lines_out, size_t *n_out);
	/* The targets of one alias row key ("a@b" or "@b"), sorted; 0 or
	 * -1. store_rcpt_resolve() (resolve.c) walks them. */
	int (*alias_targets)(struct store *st, const char *key,
	    char ***targets_out, size_t *n_out);
	int (*mailbox_list)(struct store *st, int64_t user_id,
	    struct store_mailbox_info **out, size_t *n_out);
	int (*mailbox_create)(struct store *st, int64_t user_id,
	    const char *name, const char *special_use, char **err_out);
	int (*mailbox_delete)(struct store *st, int64_t user_id,
	    const char *name, char **err_out);
	int (*mailbox_rename)(struct store *st, int64_t user_id,
	    const char *from, const char *to, char **err_out);
	int (*subscription_list)(struct store *st, int64_t user_id,
	    char ***names_out, size_t *n_out);
	int (*subscription_set)(struct store *st, int64_t user_id,
	    const char *name, bool is_on, char **err_out);
	int (*mailbox_status)(struct store *st, int64_t mailbox_id,
	    struct store_status *out);
	int (*mailbox_state)(struct store *st, int64_t mailbox_id,
	    uint32_t *uidnext_out, uint64_t *highestmodseq_out);
	int (*mailbox_uids)(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t **uids_out, size_t *n_out);
	int (*mailbox_count)(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint32_t *count_out);
	/* Optional (NULL: store_vanished() fails, IMAP falls back). */
	int (*vanished)(struct store *st, int64_t mailbox_id, uint64_t since,
	    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out);
	int (*mailbox_first_unseen)(struct store *st, int64_t mailbox_id,
	    uint32_t *uid_out);
	int (*mailbox_keywords)(struct store *st, int64_t mailbox_id,
	    char ***names_out, size_t *n_out);
	uint32_t (*recent_take)(struct store *st, int64_t mailbox_id,
	    uint32_t uidnext);
	int (*rows_get)(struct store *st, int64_t mailbox_id, uint32_t lo,
	    uint32_t hi, uint64_t changedsince, unsigned what, size_t limit,
	    struct store_row **rows_out, size_t *n_out);
	int (*row_open)(struct store *st, const struct store_row *row);
	int (*flags_update)(struct store *st, int64_t mailbox_id,
	    const uint32_t *uids, size_t n, enum store_flags_op op,
	    uint32_t flags, const char *const *keywords, size_t n_keywords,
	    uint64_t unchangedsince, struct store_flags_result **out,
	    size_t *n_out, char **err_out);
	int (*msgs_copy)(struct store *st, int64_t from_id, int64_t to_id,
	    const uint32_t *uids, size_t n, bool is_move,
	    uint32_t *uidvalidity_out, uint32_t **src_out, uint32_t **dst_out,
	    size_t *n_out, char **err_out);
	int (*append)(struct store *st, int64_t mailbox_id, const void *p,
	    size_t len, uint32_t flags, const char *keywords, time_t date,
	    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out);
	int (*text_search)(struct store *st, const char *needle, bool body_only,
	    int64_t **ids_out, size_t *n_out);
	void (*notify_mailbox)(struct store *st, int64_t mailbox_id);
	int (*web_order)(struct store *st, int64_t mailbox_id,
	    uint32_t **uids_out, size_t *n_out);
	int (*web_counts)(struct store *st, int64_t mailbox_id,
	    uint32_t *total_out, uint32_t *unseen_out);
	int (*user_restore)(struct store *st, const char *address,
	    const char *hash, char **err_out);
	int (*mailbox_set_uids)(struct store *st, int64_t mailbox_id,
	    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
	    char **err_out);
	/* Optional (NULL: nothing to do): tell the other processes sharing
	 * the store that an account changed, after the local watches woke. */
	void (*notify_remote)(struct store *st, int64_t user_id);
};

struct store {
	const struct store_ops	*ops;
};

/* Every backend's struct store_delivery begins with its struct store *,
 * which is how the dispatcher finds the operations of a delivery. */
static inline struct store *
store_delivery_owner(const struct store_delivery *d)
{
	return *(struct store *const *)(const void *)d;
}

/* Set *err_out (when not NULL) to a formatted heap string. Returns -1. */
int	 store_err(char **err_out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* valid.c: syntax checks; each copies a lowercase form into out. */
bool	 store_domain_valid(const char *domain, char *out, size_t outsize,
	    const char **errstr);
bool	 store_address_valid(const char *address, char *out, size_t outsize,
	    const char **errstr);
/* The domain part of a valid, lowercase address. */
const char *store_address_domain(const char *address);
/* Characters, not octets, of UTF-8 text (the text index needs three). */
size_t	 store_utf8_chars(const char *s);
/* An alias row key: "@domain" (a catch-all) or a full address. */
bool	 store_alias_valid(const char *address, char *out, size_t outsize,
	    const char **errstr);
/* The room for an alias row's key or target. */
#define STORE_ALIAS_BUF	512
/* An alias command's address and target, checked into addr and dest
 * (STORE_ALIAS_BUF bytes each); a NULL target (remove every target of
 * address) is not looked at. 0, or -1 with *err_out set. */
int	 store_alias_args(const char *address, const char *target,
	    char *addr, char *dest, char **err_out);
/* The hosted domain an alias row key belongs to. */
const char *store_alias_domain(const char *alias);

/* defaults.c: the mailboxes of a new account. */
struct store_default_mailbox {
	const char	*name;
	const char	*special_use;	/* RFC 6154 2 */
};
extern const struct store_default_mailbox store_default_mailboxes[];
extern const size_t store_n_default_mailboxes;

/* copy.c, pg_copy.c: the mailbox that COPY, MOVE or APPEND adds to. */
struct store_target {
	int64_t		id;
	uint32_t	uidnext;
	uint32_t	uidvalidity;
	uint64_t	modseq;		/* for what is added */
};

/* rcpt.c: a delivery's recipients. */
struct store_rcpt {
	int64_t	 user_id;
	char	*mailbox;
};
/* Add one unless its user is there already. */
void	 store_rcpt_add(struct store_rcpt **v, size_t *n, int64_t user_id,
	    const char *mailbox);
void	 store_rcpts_free(struct store_rcpt *v, size_t n);

/* cache.c: parse the message msg[0..len) into r's cache fields (heap
 * strings: envelope, body, bodystructure, header, header_len, sent_date)
 * and, when thdr is not NULL, the text to index into thdr (the header)
 * and tbody (the rest). */
struct buf;
void	 store_cache_build(const char *msg, size_t len, struct store_row *r,
	    struct buf *thdr, struct buf *tbody);
/* Move the cache fields that store_cache_build() filled in from to r. */
void	 store_cache_move(struct store_row *r, const struct store_row *from);
/* Free r's cache fields. */
void	 store_cache_free(struct store_row *r);

/* flagmath.c: what one STORE does to a message. */
struct store_flags_change {
	enum store_flags_op	 op;
	uint32_t		 flags;
	const char *const	*keywords;
	size_t			 n_keywords;
};
uint32_t store_flags_apply(const struct store_flags_change *ch,
	    uint32_t old);
/* The new space-separated keyword list (heap) from the old one. */
char	*store_keywords_apply(const struct store_flags_change *ch,
	    const char *old);
/* Apply ch to r, a message's flags, keywords and modseq as read: true
 * when it changes (r then holds its new flags, keywords and modseq, the
 * new one), false when it stays (r->is_failed when UNCHANGEDSINCE
 * refused it). */
bool	 store_flags_result_apply(const struct store_flags_change *ch,
	    uint64_t unchangedsince, uint64_t modseq,
	    struct store_flags_result *r);

/* names.c: mailbox hierarchy names, split at '/'. */
typedef int store_name_fn(void *arg, const char *name);
/* Call fn(arg, p) for each superior name p of name, outermost first,
 * until one returns non-zero; returns that, or 0. */
int	 store_name_parents(const char *name, store_name_fn *fn, void *arg);
/* Whether name is a child (at any depth) of parent. */
bool	 store_name_is_below(const char *name, const char *parent);
/* What RENAME may do whatever the store holds (RFC 3501 6.3.5): 0 with
 * *from spelled "INBOX" when it names INBOX in any case; STORE_EXISTS
 * when to is INBOX; STORE_REFUSED when to is below from. */
int	 store_name_rename_check(const char **from, const char *to);

/* queue.c: the group committer's queue. Items are deliveries, linked
 * through a pointer of theirs at next_off (offsetof their next). */
struct store_queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	size_t		 next_off;
	void		*head;
	void		*tail;
	unsigned	 in_flight;	/* held, not yet released */
	bool		 is_closing;
};
void	 store_queue_init(struct store_queue *q, size_t next_off);
void	 store_queue_fini(struct store_queue *q);
/* A delivery starts (commit) and ends (its done() posted). */
void	 store_queue_hold(struct store_queue *q);
void	 store_queue_release(struct store_queue *q);
void	 store_queue_push(struct store_queue *q, void *item);
/* Wait for items and take all of them (a list through their links);
 * NULL once the queue closes. */
void	*store_queue_take(struct store_queue *q);
/* Wait until nothing is held, then make store_queue_take() return NULL. */
void	 store_queue_close(struct store_queue *q);

/* watch.c: wake the local watches of one account, or of every account
 * (after notifications may have been missed). Any thread. */
void	 store_watch_wake(struct store *st, int64_t user_id);
void	 store_watch_wake_all(struct store *st);
/* Whether any watch exists in this process (a quick, racy hint). */
bool	 store_watch_any(void);

#endif
