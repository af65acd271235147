/* store.h's functions as calls through the backend's table (backend.h),
 * and store_open() choosing the backend from its argument: a
 * postgresql:// or postgres:// URL selects PostgreSQL, anything else is a
 * data directory for the embedded SQLite store.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/log.h"
#include "store/backend.h"
#include "store/pg_int.h"
#include "store/store_int.h"

int
store_err(char **err_out, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (err_out == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	*err_out = s;
	return -1;
}

static bool
is_postgresql(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0;
}

struct store *
store_open(const char *location, struct iopool *pool, char **err_out)
{
	if (is_postgresql(location))
		return pg_open(location, pool, err_out);
	return lite_open(location, pool, err_out);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

int
store_domain_add(struct store *st, const char *domain, char **err_out)
{
	return st->ops->domain_add(st, domain, err_out);
}

int
store_domain_del(struct store *st, const char *domain, char **err_out)
{
	return st->ops->domain_del(st, domain, err_out);
}

int
store_domain_list(struct store *st, char ***names_out, size_t *n_out)
{
	return st->ops->domain_list(st, names_out, n_out);
}

int
store_domain_find(struct store *st, const char *domain)
{
	return st->ops->domain_find(st, domain);
}

int
store_user_add(struct store *st, const char *address, const char *password,
    char **err_out)
{
	return st->ops->user_add(st, address, password, err_out);
}

int
store_user_del(struct store *st, const char *address, char **err_out)
{
	return st->ops->user_del(st, address, err_out);
}

int
store_user_passwd(struct store *st, const char *address, const char *password,
    char **err_out)
{
	return st->ops->user_passwd(st, address, password, err_out);
}

int
store_user_list(struct store *st, const char *domain, char ***addresses_out,
    size_t *n_out)
{
	return st->ops->user_list(st, domain, addresses_out, n_out);
}

int
store_user_find(struct store *st, const char *address,
    struct store_user *out)
{
	return st->ops->user_get(st, address, out, NULL);
}

int
store_user_check_password(struct store *st, const char *address,
    const char *password, struct store_user *out)
{
	struct store_user user;
	char *hash = NULL;
	int rc;

	rc = st->ops->user_get(st, address, &user, &hash);
	if (rc != 1) {
		/* Unknown or unreadable: spend the time of a real check. */
		auth_password_check_dummy(password);
		return rc;
	}
	rc = auth_password_check(password, hash) ? 1 : 0;
	free(hash);
	if (rc == 1 && out != NULL)
		*out = user;
	return rc;
}

struct store_delivery *
store_delivery_new(struct store *st, char **err_out)
{
	return st->ops->delivery_new(st, err_out);
}

int
store_delivery_write(struct store_delivery *d, const void *p, size_t len)
{
	return store_delivery_owner(d)->ops->delivery_write(d, p, len);
}

uint64_t
store_delivery_size(const struct store_delivery *d)
{
	return store_delivery_owner(d)->ops->delivery_size(d);
}

void
store_delivery_add(struct store_delivery *d, int64_t user_id,
    const char *mailbox)
{
	store_delivery_owner(d)->ops->delivery_add(d, user_id, mailbox);
}

void
store_delivery_set_date(struct store_delivery *d, time_t internal_date)
{
	store_delivery_owner(d)->ops->delivery_set_date(d, internal_date);
}

void
store_delivery_commit(struct store_delivery *d, struct event_base *base,
    store_delivery_done_fn *done, void *arg)
{
	store_delivery_owner(d)->ops->delivery_commit(d, base, done, arg);
}

void
store_delivery_abort(struct store_delivery *d)
{
	if (d != NULL)
		store_delivery_owner(d)->ops->delivery_abort(d);
}

int
store_mailbox_find(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return st->ops->mailbox_find(st, user_id, name, out);
}

int
store_mailbox_lookup(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return st->ops->mailbox_lookup(st, user_id, name, out);
}

int
store_mailbox_messages(struct store *st, int64_t mailbox_id,
    struct store_msg **msgs_out, size_t *n_out)
{
	return st->ops->mailbox_messages(st, mailbox_id, msgs_out, n_out);
}

int
store_msg_open(struct store *st, const struct store_msg *msg)
{
	return st->ops->msg_open(st, msg);
}

int
store_msgs_expunge(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, char **err_out)
{
	return st->ops->msgs_expunge(st, mailbox_id, uids, n, err_out);
}

int
store_alias_add(struct store *st, const char *address, const char *target,
    char **err_out)
{
	return st->ops->alias_add(st, address, target, err_out);
}

int
store_alias_del(struct store *st, const char *address, const char *target,
    char **err_out)
{
	return st->ops->alias_del(st, address, target, err_out);
}

int
store_alias_list(struct store *st, const char *domain, char ***lines_out,
    size_t *n_out)
{
	return st->ops->alias_list(st, domain, lines_out, n_out);
}

int
store_mailbox_list(struct store *st, int64_t user_id,
    struct store_mailbox_info **out, size_t *n_out)
{
	return st->ops->mailbox_list(st, user_id, out, n_out);
}

int
store_mailbox_create(struct store *st, int64_t user_id, const char *name,
    const char *special_use, char **err_out)
{
	return st->ops->mailbox_create(st, user_id, name, special_use, err_out);
}

int
store_mailbox_delete(struct store *st, int64_t user_id, const char *name,
    char **err_out)
{
	return st->ops->mailbox_delete(st, user_id, name, err_out);
}

int
store_mailbox_rename(struct store *st, int64_t user_id, const char *from,
    const char *to, char **err_out)
{
	return st->ops->mailbox_rename(st, user_id, from, to, err_out);
}

int
store_subscription_list(struct store *st, int64_t user_id, char ***names_out,
    size_t *n_out)
{
	return st->ops->subscription_list(st, user_id, names_out, n_out);
}

int
store_subscription_set(struct store *st, int64_t user_id, const char *name,
    bool is_on, char **err_out)
{
	return st->ops->subscription_set(st, user_id, name, is_on, err_out);
}

int
store_mailbox_status(struct store *st, int64_t mailbox_id,
    struct store_status *out)
{
	return st->ops->mailbox_status(st, mailbox_id, out);
}

int
store_mailbox_state(struct store *st, int64_t mailbox_id, uint32_t *uidnext_out,
    uint64_t *highestmodseq_out)
{
	return st->ops->mailbox_state(st, mailbox_id, uidnext_out,
	    highestmodseq_out);
}

int
store_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	return st->ops->mailbox_uids(st, mailbox_id, lo, hi, uids_out, n_out);
}

int
store_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	*uids_out = NULL;
	*n_out = 0;
	if (st->ops->vanished == NULL)
		return -1;
	return st->ops->vanished(st, mailbox_id, since, lo, hi, uids_out,
	    n_out);
}

int
store_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t *count_out)
{
	return st->ops->mailbox_count(st, mailbox_id, lo, hi, count_out);
}

int
store_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
    uint32_t *uid_out)
{
	return st->ops->mailbox_first_unseen(st, mailbox_id, uid_out);
}

int
store_mailbox_keywords(struct store *st, int64_t mailbox_id, char ***names_out,
    size_t *n_out)
{
	return st->ops->mailbox_keywords(st, mailbox_id, names_out, n_out);
}

uint32_t
store_recent_take(struct store *st, int64_t mailbox_id, uint32_t uidnext)
{
	return st->ops->recent_take(st, mailbox_id, uidnext);
}

int
store_rows_get(struct store *st, int64_t mailbox_id, uint32_t lo, uint32_t hi,
    uint64_t changedsince, unsigned what, size_t limit,
    struct store_row **rows_out, size_t *n_out)
{
	return st->ops->rows_get(st, mailbox_id, lo, hi, changedsince, what,
	    limit, rows_out, n_out);
}

int
store_row_open(struct store *st, const struct store_row *row)
{
	return st->ops->row_open(st, row);
}

int
store_flags_update(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, enum store_flags_op op, uint32_t flags,
    const char *const *keywords, size_t n_keywords, uint64_t unchangedsince,
    struct store_flags_result **out, size_t *n_out, char **err_out)
{
	return st->ops->flags_update(st, mailbox_id, uids, n, op, flags,
	    keywords, n_keywords, unchangedsince, out, n_out, err_out);
}

int
store_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
    const uint32_t *uids, size_t n, bool is_move, uint32_t *uidvalidity_out,
    uint32_t **src_out, uint32_t **dst_out, size_t *n_out, char **err_out)
{
	return st->ops->msgs_copy(st, from_id, to_id, uids, n, is_move,
	    uidvalidity_out, src_out, dst_out, n_out, err_out);
}

int
store_append(struct store *st, int64_t mailbox_id, const void *p, size_t len,
    uint32_t flags, const char *keywords, time_t date,
    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out)
{
	return st->ops->append(st, mailbox_id, p, len, flags, keywords, date,
	    uidvalidity_out, uid_out, err_out);
}

int
store_text_search(struct store *st, const char *needle, bool body_only,
    int64_t **ids_out, size_t *n_out)
{
	return st->ops->text_search(st, needle, body_only, ids_out, n_out);
}

void
store_notify_mailbox(struct store *st, int64_t mailbox_id)
{
	st->ops->notify_mailbox(st, mailbox_id);
}

int
store_web_order(struct store *st, int64_t mailbox_id, uint32_t **uids_out,
    size_t *n_out)
{
	return st->ops->web_order(st, mailbox_id, uids_out, n_out);
}

int
store_web_counts(struct store *st, int64_t mailbox_id, uint32_t *total_out,
    uint32_t *unseen_out)
{
	return st->ops->web_counts(st, mailbox_id, total_out, unseen_out);
}

int
store_user_hash(struct store *st, const char *address, char **hash_out)
{
	*hash_out = NULL;
	return st->ops->user_get(st, address, NULL, hash_out);
}

int
store_user_restore(struct store *st, const char *address, const char *hash,
    char **err_out)
{
	return st->ops->user_restore(st, address, hash, err_out);
}

int
store_mailbox_set_uids(struct store *st, int64_t mailbox_id,
    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
    char **err_out)
{
	return st->ops->mailbox_set_uids(st, mailbox_id, uidvalidity, uidnext,
	    highestmodseq, err_out);
}
