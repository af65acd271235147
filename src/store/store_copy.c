/* Copying a whole store into another (petrel store copy), between any two
 * backends: domains, accounts with their password hashes, aliases,
 * mailboxes with UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, subscriptions,
 * and messages with their UIDs, flags, keywords, MODSEQs, dates and
 * bodies. It streams: a few hundred message rows and one body at a time
 * in memory. What the target has already is left alone, so running it
 * again after an interruption finishes the copy.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "store/backend.h"

#define ROWS_BATCH	256

struct copy {
	struct store		*from;
	struct store		*to;
	store_copy_fn		*progress;
	void			*arg;
	char			**err_out;
	struct buf		 body;
};

static int
body_read(struct copy *cp, const struct store_row *row)
{
	char blk[65536];
	ssize_t n;
	int fd;

	buf_reset(&cp->body);
	if ((fd = store_row_open(cp->from, row)) == -1)
		return store_err(cp->err_out, "message uid %u: cannot read "
		    "its body: %s", row->uid, strerror(errno));
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		buf_add(&cp->body, blk, (size_t)n);
	close(fd);
	if (n == -1)
		return store_err(cp->err_out, "message uid %u: %s", row->uid,
		    strerror(errno));
	return 0;
}

/* The messages of one mailbox, in UID order, a batch at a time. */
static int
messages_copy(struct copy *cp, int64_t from_id, int64_t to_id,
    size_t *n_copied)
{
	struct store_row *rows;
	uint32_t lo = 1;
	size_t i, n;
	int rc = 0;

	do {
		if (store_rows_get(cp->from, from_id, lo, UINT32_MAX, 0, 0,
		    ROWS_BATCH, &rows, &n) == -1)
			return store_err(cp->err_out, "cannot read messages");
		for (i = 0; i < n && rc == 0; i++) {
			rc = body_read(cp, &rows[i]);
			if (rc == 0)
				rc = cp->to->ops->copy_message(cp->to, to_id,
				    &rows[i], cp->body.data, cp->body.len,
				    cp->err_out);
			lo = rows[i].uid + 1;
		}
		*n_copied += i;
		store_rows_free(rows, n);
	} while (rc == 0 && n == ROWS_BATCH && lo != 0);
	return rc;
}

static int
mailbox_copy(struct copy *cp, int64_t from_uid, int64_t to_uid,
    const struct store_mailbox_info *mi, size_t *n_copied)
{
	struct store_copy_mailbox cm;
	struct store_mailbox mb;
	int64_t to_id;

	if (store_mailbox_find(cp->from, from_uid, mi->name, &mb) != 1)
		return store_err(cp->err_out, "mailbox %s: cannot read it",
		    mi->name);
	cm.name = mi->name;
	cm.special_use = mi->special_use;
	cm.uidvalidity = mb.uidvalidity;
	cm.uidnext = mb.uidnext;
	cm.highestmodseq = mb.highestmodseq;
	cm.is_noselect = mi->is_noselect;
	if (cp->to->ops->copy_mailbox(cp->to, to_uid, &cm, &to_id,
	    cp->err_out) == -1)
		return -1;
	return messages_copy(cp, mb.id, to_id, n_copied);
}

static int
subscriptions_copy(struct copy *cp, int64_t from_uid, int64_t to_uid)
{
	char **names;
	size_t i, n;
	int rc = 0;

	if (store_subscription_list(cp->from, from_uid, &names, &n) == -1)
		return store_err(cp->err_out, "cannot read subscriptions");
	for (i = 0; i < n && rc == 0; i++)
		rc = store_subscription_set(cp->to, to_uid, names[i], true,
		    cp->err_out);
	store_strings_free(names, n);
	return rc;
}

static int
user_copy(struct copy *cp, const char *address)
{
	struct store_mailbox_info *mv;
	struct store_user u;
	size_t i, n_mv, n_msgs = 0;
	char *hash = NULL;
	int64_t to_uid;
	int rc;

	if (cp->from->ops->user_get(cp->from, address, &u, &hash) != 1)
		return store_err(cp->err_out, "account %s: cannot read it",
		    address);
	rc = cp->to->ops->copy_user(cp->to, address, hash, &to_uid,
	    cp->err_out);
	free(hash);
	if (rc == -1)
		return -1;
	if (store_mailbox_list(cp->from, u.id, &mv, &n_mv) == -1)
		return store_err(cp->err_out, "account %s: cannot list its "
		    "mailboxes", address);
	for (i = 0; i < n_mv && rc == 0; i++)
		rc = mailbox_copy(cp, u.id, to_uid, &mv[i], &n_msgs);
	store_mailbox_list_free(mv, n_mv);
	if (rc == 0)
		rc = subscriptions_copy(cp, u.id, to_uid);
	if (rc == 0 && cp->progress != NULL)
		cp->progress(cp->arg, address, n_mv, n_msgs);
	return rc;
}

/* Each name the from-list has and the to-list does not, to add(). */
static int
domains_copy(struct copy *cp)
{
	char **names;
	size_t i, n;
	int rc = 0;

	if (store_domain_list(cp->from, &names, &n) == -1)
		return store_err(cp->err_out, "cannot list domains");
	for (i = 0; i < n && rc == 0; i++)
		if (store_domain_find(cp->to, names[i]) == 0)
			rc = store_domain_add(cp->to, names[i], cp->err_out);
	store_strings_free(names, n);
	return rc;
}

static bool
has_line(char **lines, size_t n, const char *line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i], line) == 0)
			return true;
	return false;
}

static int
aliases_copy(struct copy *cp)
{
	char **src, **dst, *sp;
	size_t i, n_src, n_dst;
	int rc = 0;

	if (store_alias_list(cp->from, NULL, &src, &n_src) == -1 ||
	    store_alias_list(cp->to, NULL, &dst, &n_dst) == -1)
		return store_err(cp->err_out, "cannot list aliases");
	for (i = 0; i < n_src && rc == 0; i++) {
		if (has_line(dst, n_dst, src[i]) ||
		    (sp = strchr(src[i], ' ')) == NULL)
			continue;
		*sp = '\0';
		rc = store_alias_add(cp->to, src[i], sp + 1, cp->err_out);
	}
	store_strings_free(src, n_src);
	store_strings_free(dst, n_dst);
	return rc;
}

int
store_copy(struct store *from, struct store *to, store_copy_fn *progress,
    void *arg, char **err_out)
{
	struct copy cp = { from, to, progress, arg, err_out, BUF_INIT };
	char **users;
	size_t i, n;
	int rc;

	if ((rc = domains_copy(&cp)) == -1)
		return -1;
	if (store_user_list(from, NULL, &users, &n) == -1)
		return store_err(err_out, "cannot list accounts");
	for (i = 0; i < n && rc == 0; i++)
		rc = user_copy(&cp, users[i]);
	store_strings_free(users, n);
	buf_free(&cp.body);
	if (rc == 0)
		rc = aliases_copy(&cp);
	return rc;
}
