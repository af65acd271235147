/* LIST and LSUB (RFC 3501 6.3.8-6.3.9) with LIST-EXTENDED (RFC 5258:
 * selection and return options, several patterns), CHILDREN (RFC 3348),
 * SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819). The hierarchy
 * separator is "/"; "*" matches anything, "%" anything but "/".
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define SEL_SUBSCRIBED		0x01
#define SEL_RECURSIVE		0x02
#define SEL_SPECIAL		0x04
#define RET_SUBSCRIBED		0x10
#define RET_CHILDREN		0x20
#define RET_SPECIAL		0x40
#define RET_STATUS		0x80

struct list_req {
	unsigned		 opts;
	char			**patterns;
	size_t			 n_patterns;
	const struct imap_arg	*status;	/* RETURN STATUS (...) */
	bool			 is_lsub;
	struct store_mailbox_info *boxes;
	size_t			 n_boxes;
	char			**subs;
	size_t			 n_subs;
};

/* RFC 3501 6.3.8 wildcards; INBOX matches case-insensitively. */
static bool
match(const char *pat, const char *name)
{
	for (; *pat != '\0'; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (;; name++) {
				if (match(pat + 1, name))
					return true;
				if (*name == '\0' || (*pat == '%' &&
				    *name == '/'))
					return false;
			}
		}
		if (*pat != *name)
			return false;
	}
	return *name == '\0';
}

static bool
pattern_match(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_patterns; i++) {
		if (match(r->patterns[i], name))
			return true;
		if (strcmp(name, "INBOX") == 0 && strncasecmp(
		    r->patterns[i], "INBOX", 5) == 0 && match(
		    r->patterns[i] + 5, ""))
			return true;
	}
	return false;
}

static bool
has_children(const struct list_req *r, const char *name, bool subscribed)
{
	size_t len = strlen(name), i;

	if (subscribed) {
		for (i = 0; i < r->n_subs; i++)
			if (strncmp(r->subs[i], name, len) == 0 &&
			    r->subs[i][len] == '/')
				return true;
		return false;
	}
	for (i = 0; i < r->n_boxes; i++)
		if (strncmp(r->boxes[i].name, name, len) == 0 &&
		    r->boxes[i].name[len] == '/')
			return true;
	return false;
}

static bool
is_subscribed(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_subs; i++)
		if (strcmp(r->subs[i], name) == 0)
			return true;
	return false;
}

static void
list_line(struct imap_session *s, const struct list_req *r,
    const struct store_mailbox_info *mi, const char *name, bool is_sub,
    bool child_info)
{
	struct buf b = BUF_INIT;
	size_t start;

	buf_addf(&b, "%s (", r->is_lsub ? "LSUB" : "LIST");
	start = b.len;
	if (mi == NULL)
		buf_adds(&b, r->is_lsub ? "\\Noselect " : "\\NonExistent ");
	else if (mi->is_noselect)
		buf_adds(&b, "\\Noselect ");
	if (!r->is_lsub)
		buf_adds(&b, has_children(r, name, false) ?
		    "\\HasChildren " : "\\HasNoChildren ");
	if (is_sub && !r->is_lsub && (r->opts & (SEL_SUBSCRIBED |
	    RET_SUBSCRIBED)))
		buf_adds(&b, "\\Subscribed ");
	if (mi != NULL && mi->special_use != NULL && !r->is_lsub) {
		buf_adds(&b, mi->special_use);
		buf_addc(&b, ' ');
	}
	if (b.len > start)
		b.len--;
	buf_adds(&b, ") \"/\" ");
	imap_mailbox_to_client(s, name, &b);
	if (child_info)
		buf_adds(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_untagged(s, "%s", buf_cstr(&b));
	if ((r->opts & RET_STATUS) && mi != NULL && !mi->is_noselect) {
		buf_reset(&b);
		buf_adds(&b, "STATUS ");
		imap_mailbox_to_client(s, name, &b);
		buf_addc(&b, ' ');
		if (imap_status_write(s, mi->id, r->status, &b) == 0)
			imap_untagged(s, "%s", buf_cstr(&b));
	}
	buf_free(&b);
}

static const struct store_mailbox_info *
box_find(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_boxes; i++)
		if (strcmp(r->boxes[i].name, name) == 0)
			return &r->boxes[i];
	return NULL;
}

/* RFC 3501 6.3.9: a subscribed name the pattern does not match (with
 * "%") shows through its nearest parents that it does match: those not
 * subscribed themselves are listed once, as \Noselect, so that the
 * client can walk down to the name. */
static void
lsub_parents(struct imap_session *s, struct list_req *r)
{
	char **done = NULL, *parent, *slash;
	size_t n_done = 0, i, k;

	for (i = 0; i < r->n_subs; i++) {
		if (pattern_match(r, r->subs[i]))
			continue;
		parent = xstrdup(r->subs[i]);
		while ((slash = strrchr(parent, '/')) != NULL) {
			*slash = '\0';
			if (is_subscribed(r, parent) ||
			    !pattern_match(r, parent))
				continue;
			for (k = 0; k < n_done && strcmp(done[k], parent) != 0;
			    k++)
				;
			if (k < n_done)
				continue;
			list_line(s, r, NULL, parent, false, false);
			done = xreallocarray(done, n_done + 1, sizeof(*done));
			done[n_done++] = xstrdup(parent);
		}
		free(parent);
	}
	store_strings_free(done, n_done);
}

static void
list_subscribed(struct imap_session *s, struct list_req *r)
{
	const struct store_mailbox_info *mi;
	size_t i;

	for (i = 0; i < r->n_subs; i++) {
		if (!pattern_match(r, r->subs[i]))
			continue;
		mi = box_find(r, r->subs[i]);
		list_line(s, r, mi, r->subs[i], true, false);
	}
	if (r->is_lsub)
		lsub_parents(s, r);
	/* RFC 5258 3.5: a parent whose children are subscribed. */
	if (!(r->opts & SEL_RECURSIVE))
		return;
	for (i = 0; i < r->n_boxes; i++) {
		if (is_subscribed(r, r->boxes[i].name) ||
		    !pattern_match(r, r->boxes[i].name) ||
		    !has_children(r, r->boxes[i].name, true))
			continue;
		list_line(s, r, &r->boxes[i], r->boxes[i].name, false, true);
	}
}

static void
list_all(struct imap_session *s, struct list_req *r)
{
	const struct store_mailbox_info *mi;
	size_t i;

	for (i = 0; i < r->n_boxes; i++) {
		mi = &r->boxes[i];
		if (!pattern_match(r, mi->name))
			continue;
		if ((r->opts & SEL_SPECIAL) && mi->special_use == NULL)
			continue;
		list_line(s, r, mi, mi->name, is_subscribed(r, mi->name),
		    false);
	}
}

static int
parse_opts(const struct imap_arg *list, struct list_req *r, bool is_return)
{
	const struct imap_arg *a;
	size_t i;

	for (i = 0; i < list->n; i++) {
		a = &list->list[i];
		if (!is_return && imap_arg_is_atom(a, "SUBSCRIBED"))
			r->opts |= SEL_SUBSCRIBED | RET_SUBSCRIBED;
		else if (!is_return && imap_arg_is_atom(a, "RECURSIVEMATCH"))
			r->opts |= SEL_RECURSIVE;
		else if (!is_return && imap_arg_is_atom(a, "SPECIAL-USE"))
			r->opts |= SEL_SPECIAL;
		else if (!is_return && imap_arg_is_atom(a, "REMOTE"))
			continue;
		else if (is_return && imap_arg_is_atom(a, "SUBSCRIBED"))
			r->opts |= RET_SUBSCRIBED;
		else if (is_return && imap_arg_is_atom(a, "CHILDREN"))
			r->opts |= RET_CHILDREN;
		else if (is_return && imap_arg_is_atom(a, "SPECIAL-USE"))
			r->opts |= RET_SPECIAL;
		else if (is_return && imap_arg_is_atom(a, "STATUS") &&
		    i + 1 < list->n && list->list[i + 1].type ==
		    IMAP_ARG_LIST) {
			r->opts |= RET_STATUS;
			r->status = &list->list[++i];
		} else
			return -1;
	}
	/* RFC 5258 3.1: RECURSIVEMATCH needs another selection option. */
	if ((r->opts & SEL_RECURSIVE) && !(r->opts & SEL_SUBSCRIBED))
		return -1;
	return 0;
}

static int
add_pattern(struct imap_session *s, struct list_req *r, const char *ref,
    const struct imap_arg *a)
{
	struct buf b = BUF_INIT;
	char *pat, *full;

	if (a->type == IMAP_ARG_LIST || (pat = imap_arg_str(a)) == NULL)
		return -1;
	full = xasprintf("%s%s", ref, pat);
	free(pat);
	/* IMAP4rev2 and UTF8=ACCEPT patterns are UTF-8 as they are (RFC
	 * 9051 5.1, RFC 6855 3). */
	if (imap_is_utf8(s) ||
	    imap_mutf7_decode(full, strlen(full), &b) == -1) {
		buf_free(&b);
		buf_adds(&b, full);
	}
	free(full);
	r->patterns = xreallocarray(r->patterns, r->n_patterns + 1,
	    sizeof(*r->patterns));
	r->patterns[r->n_patterns++] = b.len ? buf_release(&b) : xstrdup("");
	return 0;
}

/* Parse the arguments into r. 0, or -1 for bad syntax. */
static int
list_parse(struct imap_cmd *cmd, struct list_req *r)
{
	const struct imap_arg *a = cmd->args.v;
	size_t n = cmd->args.n, i = 0, k;
	char *ref;
	int rc = 0;

	if (!r->is_lsub && n > 0 && a[0].type == IMAP_ARG_LIST) {
		if (parse_opts(&a[0], r, false) == -1)
			return -1;
		i++;
	}
	if (n < i + 2 || a[i].type == IMAP_ARG_LIST ||
	    (ref = imap_arg_str(&a[i])) == NULL)
		return -1;
	if (a[i + 1].type == IMAP_ARG_LIST && !r->is_lsub) {
		for (k = 0; k < a[i + 1].n && rc == 0; k++)
			rc = add_pattern(cmd->session, r, ref,
			    &a[i + 1].list[k]);
	} else
		rc = add_pattern(cmd->session, r, ref, &a[i + 1]);
	free(ref);
	i += 2;
	if (rc == 0 && i < n) {
		if (r->is_lsub || i + 2 != n ||
		    !imap_arg_is_atom(&a[i], "RETURN") ||
		    a[i + 1].type != IMAP_ARG_LIST)
			return -1;
		rc = parse_opts(&a[i + 1], r, true);
	}
	return rc == 0 && r->n_patterns > 0 ? 0 : -1;
}

static void
list_req_free(struct list_req *r)
{
	size_t i;

	for (i = 0; i < r->n_patterns; i++)
		free(r->patterns[i]);
	free(r->patterns);
	store_mailbox_list_free(r->boxes, r->n_boxes);
	store_strings_free(r->subs, r->n_subs);
}

static enum cmd_result
list_common(struct imap_cmd *cmd, bool is_lsub)
{
	struct imap_session *s = cmd->session;
	struct store *st = s->srv->store;
	struct list_req r;

	memset(&r, 0, sizeof(r));
	r.is_lsub = is_lsub;
	if (list_parse(cmd, &r) == -1) {
		list_req_free(&r);
		imap_reply_bad(cmd, "Syntax: %s [(options)] reference pattern "
		    "[RETURN (options)]", cmd->name);
		return CMD_DONE;
	}
	/* RFC 3501 6.3.8: an empty pattern asks for the separator. */
	if (r.n_patterns == 1 && r.patterns[0][0] == '\0' &&
	    r.opts == 0) {
		imap_untagged(s, "%s (\\Noselect) \"/\" \"\"", cmd->name);
		list_req_free(&r);
		imap_reply_ok(cmd, "%s completed", cmd->name);
		return CMD_DONE;
	}
	if (store_mailbox_list(st, s->account.id, &r.boxes, &r.n_boxes) ==
	    -1 || store_subscription_list(st, s->account.id, &r.subs,
	    &r.n_subs) == -1) {
		list_req_free(&r);
		imap_reply_no(cmd, "[SERVERBUG] Cannot list mailboxes");
		return CMD_DONE;
	}
	if (is_lsub || (r.opts & SEL_SUBSCRIBED))
		list_subscribed(s, &r);
	else
		list_all(s, &r);
	list_req_free(&r);
	imap_reply_ok(cmd, "%s completed", cmd->name);
	return CMD_DONE;
}

enum cmd_result
imap_cmd_list(struct imap_cmd *cmd)
{
	return list_common(cmd, false);
}

enum cmd_result
imap_cmd_lsub(struct imap_cmd *cmd)
{
	return list_common(cmd, true);
}
