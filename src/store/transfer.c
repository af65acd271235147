/* store_copy(): one whole store into another through store.h alone, so
 * that any pair of backends works (the embedded store into PostgreSQL and
 * back). Accounts keep their password hashes; mailboxes their
 * UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ; messages their UIDs, flags,
 * keywords and internal dates, so that IMAP and POP3 clients see the same
 * mail under the same names and need not resynchronise.
 *
 * Resuming: whatever the target already holds is kept (an account, a
 * mailbox with the same UIDVALIDITY, a message with the same UID); only
 * what is missing is copied. A body shared by several mailboxes of one
 * account (a COPY, a message to several folders) stays shared: its first
 * copy is filed with APPEND, later ones with COPY.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "store/backend.h"

#define ROWS_PER_STEP	256

/* Where the first copy of a source body went, for the current account. */
struct body_seen {
	int64_t		src_body_id;	/* 0: free slot */
	int64_t		mailbox_id;
	uint32_t	uid;
	int64_t		internal_date;
};

struct copy {
	struct store		*from;
	struct store		*to;
	store_copy_progress_fn	*progress;
	void			*arg;
	char			**err_out;
	struct body_seen	*seen;		/* open addressing */
	size_t			 seen_cap;	/* a power of 2 */
	size_t			 seen_n;
};

/* Set *c->err_out to "<what>: <err>" (err: a heap reason, taken; NULL for
 * a generic one). Returns -1. */
static int fail(struct copy *c, char *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct copy *c, char *err, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		what = NULL;
	va_end(ap);
	if (c->err_out != NULL && what != NULL)
		store_err(c->err_out, "%s: %s", what,
		    err ? err : "store error");
	free(what);
	free(err);
	return -1;
}

static void
report(struct copy *c, const char *line)
{
	if (c->progress != NULL)
		c->progress(c->arg, line);
}

/* ---- the shared-body table -------------------------------------------- */

static struct body_seen *
seen_slot(struct body_seen *v, size_t cap, int64_t id)
{
	size_t i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL) & (cap - 1);

	while (v[i].src_body_id != 0 && v[i].src_body_id != id)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static void
seen_add(struct copy *c, int64_t src_body_id, int64_t mailbox_id,
    uint32_t uid, int64_t internal_date)
{
	struct body_seen *old = c->seen, *s;
	size_t i, old_cap = c->seen_cap;

	if ((c->seen_n + 1) * 2 > c->seen_cap) {
		c->seen_cap = old_cap ? old_cap * 2 : 1024;
		c->seen = xcalloc(c->seen_cap, sizeof(*c->seen));
		for (i = 0; i < old_cap; i++)
			if (old[i].src_body_id != 0)
				*seen_slot(c->seen, c->seen_cap,
				    old[i].src_body_id) = old[i];
		free(old);
	}
	s = seen_slot(c->seen, c->seen_cap, src_body_id);
	if (s->src_body_id == 0)
		c->seen_n++;
	s->src_body_id = src_body_id;
	s->mailbox_id = mailbox_id;
	s->uid = uid;
	s->internal_date = internal_date;
}

static const struct body_seen *
seen_find(const struct copy *c, int64_t src_body_id)
{
	const struct body_seen *s;

	if (c->seen_cap == 0)
		return NULL;
	s = seen_slot(c->seen, c->seen_cap, src_body_id);
	return s->src_body_id == src_body_id ? s : NULL;
}

static void
seen_clear(struct copy *c)
{
	free(c->seen);
	c->seen = NULL;
	c->seen_cap = c->seen_n = 0;
}

/* ---- messages ----------------------------------------------------------- */

/* Read a whole body from fd (closed). 0 or -1. */
static int
body_read(int fd, struct buf *out)
{
	char blk[65536];
	ssize_t n;

	buf_reset(out);
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		buf_add(out, blk, (size_t)n);
	close(fd);
	return n == 0 ? 0 : -1;
}

/* Split a space-separated keyword list into a heap array of pointers
 * into the heap copy *copy_out (its spaces become NULs). */
static const char **
keywords_split(const char *list, char **copy_out, size_t *n_out)
{
	const char **v = NULL;
	size_t n = 0, len;
	char *p;

	*copy_out = p = xstrdup(list ? list : "");
	while (*p != '\0') {
		if (*p == ' ') {
			p++;
			continue;
		}
		len = strcspn(p, " ");
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = p;
		p += len;
		if (*p == ' ')
			*p++ = '\0';
	}
	*n_out = n;
	return v;
}

/* File the second or later copy of a body with COPY (sharing it), then
 * give it this message's own flags and keywords. */
static int
msg_share(struct copy *c, const struct body_seen *s, int64_t mailbox_id,
    const struct store_row *row, char **err)
{
	struct store_flags_result *res = NULL;
	uint32_t uidvalidity, *src = NULL, *dst = NULL, uid = s->uid;
	const char **kw;
	size_t n = 0, n_kw, n_res = 0;
	char *kw_copy;
	int rc;

	rc = store_msgs_copy(c->to, s->mailbox_id, mailbox_id, &uid, 1, false,
	    &uidvalidity, &src, &dst, &n, err);
	if (rc == 0 && (n != 1 || dst[0] != row->uid))
		rc = -1;
	free(src);
	free(dst);
	if (rc != 0)
		return -1;
	kw = keywords_split(row->keywords, &kw_copy, &n_kw);
	rc = store_flags_update(c->to, mailbox_id, &row->uid, 1,
	    STORE_FLAGS_SET, row->flags, kw, n_kw, 0, &res, &n_res, err);
	store_flags_results_free(res, n_res);
	free(kw);
	free(kw_copy);
	return rc;
}

static int
msg_copy(struct copy *c, const struct store_mailbox *src_mb,
    int64_t mailbox_id, const struct store_row *row, struct buf *body,
    char **err)
{
	const struct body_seen *s;
	uint32_t uidvalidity, uid;
	int fd;

	/* The next UID of the target mailbox is this message's own. */
	if (store_mailbox_set_uids(c->to, mailbox_id, src_mb->uidvalidity,
	    row->uid, 0, err) == -1)
		return -1;
	s = seen_find(c, row->body_id);
	if (s != NULL && s->internal_date == row->internal_date)
		return msg_share(c, s, mailbox_id, row, err);
	if ((fd = store_row_open(c->from, row)) == -1 ||
	    body_read(fd, body) == -1) {
		*err = xstrdup("cannot read the message body");
		return -1;
	}
	if (store_append(c->to, mailbox_id, body->data, body->len, row->flags,
	    row->keywords, (time_t)row->internal_date, &uidvalidity, &uid,
	    err) != 0)
		return -1;
	if (uid != row->uid) {
		*err = xstrdup("the target gave the message another UID");
		return -1;
	}
	seen_add(c, row->body_id, mailbox_id, row->uid, row->internal_date);
	return 0;
}

/* Copy the messages of src_mb missing from the target mailbox, in UID
 * order, a step of rows at a time. Counts into *copied and *kept. */
static int
messages_copy(struct copy *c, const struct store_mailbox *src_mb,
    int64_t mailbox_id, size_t *copied, size_t *kept, char **err)
{
	struct store_row *rows;
	uint32_t lo = 1, last, *have;
	struct buf body;
	size_t n, n_have, i, k;
	int rc = 0;

	buf_init(&body);
	for (;;) {
		if (store_rows_get(c->from, src_mb->id, lo, UINT32_MAX, 0, 0,
		    ROWS_PER_STEP, &rows, &n) == -1) {
			*err = xstrdup("cannot list the source messages");
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		if (store_mailbox_uids(c->to, mailbox_id, rows[0].uid,
		    rows[n - 1].uid, &have, &n_have) == -1) {
			*err = xstrdup("cannot list the target messages");
			store_rows_free(rows, n);
			rc = -1;
			break;
		}
		for (i = k = 0; rc == 0 && i < n; i++) {
			while (k < n_have && have[k] < rows[i].uid)
				k++;
			if (k < n_have && have[k] == rows[i].uid)
				(*kept)++;
			else if ((rc = msg_copy(c, src_mb, mailbox_id,
			    &rows[i], &body, err)) == 0)
				(*copied)++;
		}
		last = rows[n - 1].uid;
		free(have);
		store_rows_free(rows, n);
		if (rc == -1 || last == UINT32_MAX)
			break;
		lo = last + 1;
	}
	buf_free(&body);
	return rc;
}

/* ---- mailboxes, accounts, the rest -------------------------------------- */

/* The target mailbox for src_mb, created when missing; refused when it
 * already holds messages under another UIDVALIDITY. */
static int
mailbox_target(struct copy *c, const struct store_user *user,
    const struct store_mailbox_info *info,
    const struct store_mailbox *src_mb, struct store_mailbox *out,
    char **err)
{
	int rc;

	rc = store_mailbox_find(c->to, user->id, info->name, out);
	if (rc == 0) {
		rc = store_mailbox_create(c->to, user->id, info->name,
		    info->special_use, err);
		if (rc != 0 && rc != STORE_EXISTS)
			return -1;
		rc = store_mailbox_find(c->to, user->id, info->name, out);
	}
	if (rc != 1) {
		*err = xstrdup("cannot create the mailbox");
		return -1;
	}
	if (out->count == 0)
		return store_mailbox_set_uids(c->to, out->id,
		    src_mb->uidvalidity, 1, 0, err);
	if (out->uidvalidity != src_mb->uidvalidity) {
		*err = xstrdup("it already holds other messages (another "
		    "UIDVALIDITY)");
		return -1;
	}
	return 0;
}

static int
mailbox_copy(struct copy *c, const struct store_user *src_user,
    const struct store_user *user, const struct store_mailbox_info *info)
{
	struct store_mailbox src_mb, mb;
	size_t copied = 0, kept = 0;
	char *err = NULL, *line;

	if (store_mailbox_find(c->from, src_user->id, info->name,
	    &src_mb) != 1)
		return fail(c, xstrdup("cannot read the source mailbox"),
		    "%s %s", user->address, info->name);
	if (mailbox_target(c, user, info, &src_mb, &mb, &err) == -1 ||
	    messages_copy(c, &src_mb, mb.id, &copied, &kept, &err) == -1 ||
	    store_mailbox_set_uids(c->to, mb.id, src_mb.uidvalidity,
	    src_mb.uidnext, src_mb.highestmodseq, &err) == -1)
		return fail(c, err, "%s %s", user->address, info->name);
	if (asprintf(&line, "%s %s: %zu copied, %zu already there",
	    user->address, info->name, copied, kept) != -1) {
		report(c, line);
		free(line);
	}
	return 0;
}

static bool
has_string(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The target account subscribes to exactly the source's names (a new
 * account starts with every standard mailbox subscribed). */
static int
subscriptions_copy(struct copy *c, const struct store_user *src_user,
    const struct store_user *user)
{
	char **src = NULL, **dst = NULL, *err = NULL;
	size_t n_src = 0, n_dst = 0, i;
	int rc = 0;

	if (store_subscription_list(c->from, src_user->id, &src,
	    &n_src) == -1 ||
	    store_subscription_list(c->to, user->id, &dst, &n_dst) == -1)
		rc = fail(c, xstrdup("cannot list them"), "%s subscriptions",
		    user->address);
	for (i = 0; rc == 0 && i < n_dst; i++)
		if (!has_string(src, n_src, dst[i]) &&
		    store_subscription_set(c->to, user->id, dst[i], false,
		    &err) == -1)
			rc = fail(c, err, "%s subscription %s", user->address,
			    dst[i]);
	for (i = 0; rc == 0 && i < n_src; i++)
		if (!has_string(dst, n_dst, src[i]) &&
		    store_subscription_set(c->to, user->id, src[i], true,
		    &err) == -1)
			rc = fail(c, err, "%s subscription %s", user->address,
			    src[i]);
	store_strings_free(src, n_src);
	store_strings_free(dst, n_dst);
	return rc;
}

static int
user_copy(struct copy *c, const char *address)
{
	struct store_user src_user, user;
	struct store_mailbox_info *boxes = NULL;
	char *hash = NULL, *err = NULL;
	size_t n_boxes = 0, i;
	int rc = -1;

	if (store_user_find(c->from, address, &src_user) != 1 ||
	    store_user_hash(c->from, address, &hash) != 1)
		return fail(c, xstrdup("cannot read the account"), "%s", address);
	if (store_user_restore(c->to, address, hash, &err) == -1 ||
	    store_user_find(c->to, address, &user) != 1) {
		free(hash);
		return fail(c, err, "%s", address);
	}
	explicit_bzero(hash, strlen(hash));
	free(hash);
	if (store_mailbox_list(c->from, src_user.id, &boxes, &n_boxes) == -1) {
		fail(c, xstrdup("cannot list the mailboxes"), "%s", address);
		goto out;
	}
	/* Sorted by name, so parents come before their children; a
	 * \Noselect name comes back by itself when a child is created. */
	for (i = 0; i < n_boxes; i++)
		if (!boxes[i].is_noselect &&
		    mailbox_copy(c, &src_user, &user, &boxes[i]) == -1)
			goto out;
	if (subscriptions_copy(c, &src_user, &user) == -1)
		goto out;
	rc = 0;
out:
	seen_clear(c);
	store_mailbox_list_free(boxes, n_boxes);
	return rc;
}

static int
domains_copy(struct copy *c)
{
	char **names, *err = NULL;
	size_t n, i;
	int rc = 0;

	if (store_domain_list(c->from, &names, &n) == -1)
		return fail(c, xstrdup("cannot list them"), "domains");
	for (i = 0; i < n && rc == 0; i++)
		if (store_domain_find(c->to, names[i]) != 1 &&
		    store_domain_add(c->to, names[i], &err) == -1)
			rc = fail(c, err, "domain %s", names[i]);
	store_strings_free(names, n);
	return rc;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
aliases_copy(struct copy *c)
{
	char **src, **dst, *err = NULL, *sp;
	size_t n_src, n_dst, i;
	int rc = 0;

	if (store_alias_list(c->from, NULL, &src, &n_src) == -1)
		return fail(c, xstrdup("cannot list them"), "aliases");
	if (store_alias_list(c->to, NULL, &dst, &n_dst) == -1) {
		store_strings_free(src, n_src);
		return fail(c, xstrdup("cannot list the target's"),
		    "aliases");
	}
	if (n_dst > 0)		/* dst may be NULL: qsort wants a base */
		qsort(dst, n_dst, sizeof(*dst), line_cmp);
	for (i = 0; i < n_src && rc == 0; i++) {
		if (n_dst > 0 && bsearch(&src[i], dst, n_dst, sizeof(*dst),
		    line_cmp))
			continue;
		if ((sp = strchr(src[i], ' ')) == NULL)
			continue;
		*sp = '\0';
		if (store_alias_add(c->to, src[i], sp + 1, &err) == -1)
			rc = fail(c, err, "alias %s -> %s", src[i], sp + 1);
	}
	store_strings_free(src, n_src);
	store_strings_free(dst, n_dst);
	return rc;
}

int
store_copy(struct store *from, struct store *to,
    store_copy_progress_fn *progress, void *arg, char **err_out)
{
	struct copy c;
	char **users;
	size_t n, i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.from = from;
	c.to = to;
	c.progress = progress;
	c.arg = arg;
	c.err_out = err_out;
	if (domains_copy(&c) == -1)
		return -1;
	if (store_user_list(from, NULL, &users, &n) == -1)
		return fail(&c, xstrdup("cannot list them"), "accounts");
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = user_copy(&c, users[i]);
	store_strings_free(users, n);
	if (rc == 0)
		rc = aliases_copy(&c);
	return rc;
}
