/* RCPT TO (RFC 5321 4.1.1.3) with the DSN parameters NOTIFY and ORCPT
 * (RFC 3461 4.1-4.2): only local users are accepted here; every other
 * domain is refused, so the server is never an open relay.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "smtp_int.h"
#include "store/store.h"

/* NOTIFY=NEVER, or a list of SUCCESS, FAILURE and DELAY. */
static bool
parse_notify(const char *v, size_t vlen, unsigned *out)
{
	size_t i = 0, start;

	*out = 0;
	while (i <= vlen) {
		start = i;
		while (i < vlen && v[i] != ',')
			i++;
		if (str_ieq(v + start, i - start, "NEVER"))
			*out |= SMTP_NOTIFY_NEVER;
		else if (str_ieq(v + start, i - start, "SUCCESS"))
			*out |= SMTP_NOTIFY_SUCCESS;
		else if (str_ieq(v + start, i - start, "FAILURE"))
			*out |= SMTP_NOTIFY_FAILURE;
		else if (str_ieq(v + start, i - start, "DELAY"))
			*out |= SMTP_NOTIFY_DELAY;
		else
			return false;
		i++;
	}
	/* NEVER stands alone (RFC 3461 4.1). */
	return (*out & SMTP_NOTIFY_NEVER) == 0 || *out == SMTP_NOTIFY_NEVER;
}

/* ORCPT=addr-type;xtext */
static bool
valid_orcpt(const char *v, size_t vlen)
{
	const char *semi = str_chr(v, vlen, ';');
	size_t tlen;

	if (semi == NULL || vlen > SMTP_XTEXT_MAX)
		return false;
	tlen = (size_t)(semi - v);
	return tlen > 0 && smtp_xtext_valid(semi + 1, vlen - tlen - 1);
}

static bool
rcpt_param(struct smtp_session *s, const char *p, size_t len)
{
	const char *eq = str_chr(p, len, '=');
	size_t klen = eq ? (size_t)(eq - p) : len;
	size_t vlen = eq ? len - klen - 1 : 0;
	struct smtp_rcpt *r = &s->rcpt_new;

	if (eq != NULL && str_ieq(p, klen, "NOTIFY")) {
		if (!parse_notify(eq + 1, vlen, &r->notify)) {
			smtp_reply_error(s, 501, "5.5.4", "Bad NOTIFY value");
			return false;
		}
		return true;
	}
	if (eq != NULL && str_ieq(p, klen, "ORCPT")) {
		if (!valid_orcpt(eq + 1, vlen)) {
			smtp_reply_error(s, 501, "5.5.4", "Bad ORCPT value");
			return false;
		}
		memcpy(r->orcpt, eq + 1, vlen);
		r->orcpt[vlen] = '\0';
		return true;
	}
	smtp_reply_error(s, 555, "5.5.4", "Unsupported RCPT parameter");
	return false;
}

/* Add a destination (once), with the DSN parameters of the RCPT being
 * handled; a forwarded address keeps the original one as ORCPT (RFC 3461
 * 4.2). */
static void
add_target(struct smtp_session *s, const char *address, int64_t user_id,
    const char *original)
{
	struct smtp_target *t;
	size_t i;

	for (i = 0; i < s->ntargets; i++)
		if (strcmp(s->targets[i].address, address) == 0)
			return;
	s->targets = xreallocarray(s->targets, s->ntargets + 1,
	    sizeof(*s->targets));
	t = &s->targets[s->ntargets++];
	memset(t, 0, sizeof(*t));
	str_copy(t->address, address, sizeof(t->address));
	t->user_id = user_id;
	t->notify = s->rcpt_new.notify;
	if (s->rcpt_new.orcpt[0] != '\0')
		str_copy(t->orcpt, s->rcpt_new.orcpt, sizeof(t->orcpt));
	else if (user_id == 0 && strcmp(address, original) != 0)
		snprintf(t->orcpt, sizeof(t->orcpt), "rfc822;%s", original);
	if (user_id == 0)
		s->has_remote = true;
}

/* A resolved address: an account here, or (aliases that forward) an
 * address elsewhere. 1 when it takes the mail, 0 when not, -1 on error. */
static int
add_resolved(struct smtp_session *s, const char *target,
    const char *original)
{
	struct store_user user;
	int r;

	if ((r = store_user_find(s->srv->store, target, &user)) == 1) {
		add_target(s, user.address, user.id, original);
		return 1;
	}
	if (r < 0 || (r = store_domain_find(s->srv->store,
	    strrchr(target, '@') + 1)) != 0)
		return r < 0 ? -1 : 0;	/* hosted, but no such account */
	if (s->srv->queue == NULL) {
		log_warnx("smtp session=%s event=forward-skipped alias=%s "
		    "target=%s reason=\"no queue\"", s->id, original, target);
		return 0;
	}
	add_target(s, target, 0, original);
	return 1;
}

/* Resolve a recipient of a hosted domain (accounts, user+tag, aliases,
 * catch-all) and add its accounts; false after a reply was sent. */
static bool
resolve_local(struct smtp_session *s, const char *address)
{
	char **targets;
	size_t n, i;
	int r, found = 0;

	r = store_rcpt_resolve(s->srv->store, address, &targets, &n);
	if (r < 0)
		goto tempfail;
	for (i = 0; i < n && r >= 0; i++) {
		r = add_resolved(s, targets[i], address);
		found |= r > 0;
	}
	store_strings_free(targets, n);
	if (r < 0)
		goto tempfail;
	if (!found) {
		smtp_reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: "
		    "User unknown", address);
		return false;
	}
	return true;

tempfail:
	smtp_reply(s, 451, "4.3.0", "Temporary lookup failure, try later");
	return false;
}

/* Drop the targets a refused RCPT added (an alias may resolve to some
 * before a lookup fails). */
static void
forget_targets(struct smtp_session *s, size_t keep)
{
	size_t i;

	s->ntargets = keep;
	s->has_remote = false;
	for (i = 0; i < keep; i++)
		s->has_remote |= s->targets[i].user_id == 0;
}

/* Decide where the mail of a path goes; false after a reply was sent. */
static bool
route_rcpt(struct smtp_session *s, const struct smtp_path *path,
    char *address, size_t addrlen)
{
	int r;

	if (path->domain[0] == '\0') {
		/* <Postmaster> (RFC 5321 4.1.1.3) of this host. */
		snprintf(address, addrlen, "postmaster@%s", s->srv->hostname);
		return resolve_local(s, address);
	}
	smtp_path_str(path, address, addrlen);
	if ((r = store_domain_find(s->srv->store, path->domain)) < 0) {
		smtp_reply(s, 451, "4.3.0", "Temporary lookup failure, try "
		    "later");
		return false;
	}
	if (r == 1)
		return resolve_local(s, address);
	if (!smtp_session_is_submission(s)) {
		smtp_reply(s, 550, "5.7.1", "Relaying denied");
		return false;
	}
	if (s->srv->queue == NULL) {
		smtp_reply(s, 451, "4.3.2", "Delivery to other domains is "
		    "not configured");
		return false;
	}
	add_target(s, address, 0, address);
	return true;
}

void
smtp_cmd_rcpt(struct smtp_session *s, const char *args, size_t len)
{
	struct smtp_path path;
	struct smtp_rcpt *r;
	size_t ntargets = s->ntargets;
	char address[SMTP_PATH_MAX + 1];
	const char *errstr;
	int used;

	if (s->state != SMTP_ST_MAIL && s->state != SMTP_ST_RCPT) {
		smtp_reply_error(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (!str_iprefix(args, len, "TO:")) {
		smtp_reply_error(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	used = smtp_path_parse(args + 3, len - 3, &path, &errstr);
	if (used < 0 || path.is_null) {
		smtp_reply_error(s, 501, "5.1.3", used < 0 ? errstr :
		    "A recipient cannot be <>");
		return;
	}
	memset(&s->rcpt_new, 0, sizeof(s->rcpt_new));
	if (!smtp_params_each(s, args + 3 + used, len - 3 - (size_t)used,
	    rcpt_param))
		return;
	if (!s->is_utf8 && smtp_path_is_utf8(&path)) {
		smtp_reply_error(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		return;
	}
	if (s->nrcpts >= s->srv->max_recipients) {
		/* RFC 5321 4.5.3.1.10: 452, and the client sends the rest
		 * in another transaction. */
		smtp_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (!route_rcpt(s, &path, address, sizeof(address))) {
		forget_targets(s, ntargets);
		return;
	}
	s->rcpts = xreallocarray(s->rcpts, s->nrcpts + 1, sizeof(*s->rcpts));
	r = &s->rcpts[s->nrcpts++];
	*r = s->rcpt_new;
	str_copy(r->address, address, sizeof(r->address));
	s->state = SMTP_ST_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
}
