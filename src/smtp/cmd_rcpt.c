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

/* "user+tag@domain" -> "user@domain" (RFC 5233 subaddressing); false
 * when the address has no tag. */
static bool
plus_base(const char *address, char *out, size_t outlen)
{
	const char *plus = strchr(address, '+'), *at = strrchr(address, '@');

	if (plus == NULL || at == NULL || plus > at || plus == address)
		return false;
	return snprintf(out, outlen, "%.*s%s", (int)(plus - address), address,
	    at) < (int)outlen;
}

/* Find the local account for a path; false after a reply was sent. */
static bool
find_user(struct smtp_session *s, const struct smtp_path *path,
    char *address, size_t addrlen, struct store_user *user)
{
	char base[SMTP_PATH_MAX + 1];
	int r;

	if (path->domain[0] == '\0') {
		/* <Postmaster> (RFC 5321 4.1.1.3) of this host. */
		snprintf(address, addrlen, "postmaster@%s", s->srv->hostname);
	} else {
		r = store_domain_find(s->srv->store, path->domain);
		if (r < 0)
			goto tempfail;
		if (r == 0 && !smtp_session_is_submission(s)) {
			smtp_reply(s, 550, "5.7.1", "Relaying denied");
			return false;
		}
		if (r == 0) {
			/* XXX #5: remote recipients go to the queue. */
			smtp_reply(s, 451, "4.4.3", "Delivery to other domains "
			    "is not available yet, try later");
			return false;
		}
		smtp_path_str(path, address, addrlen);
	}
	r = store_user_find(s->srv->store, address, user);
	if (r == 0 && plus_base(address, base, sizeof(base)))
		r = store_user_find(s->srv->store, base, user);
	if (r < 0)
		goto tempfail;
	if (r == 0) {
		smtp_reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: "
		    "User unknown", address);
		return false;
	}
	return true;

tempfail:
	smtp_reply(s, 451, "4.3.0", "Temporary lookup failure, try later");
	return false;
}

void
smtp_cmd_rcpt(struct smtp_session *s, const char *args, size_t len)
{
	struct smtp_path path;
	struct store_user user;
	struct smtp_rcpt *r;
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
	if (!find_user(s, &path, address, sizeof(address), &user))
		return;
	s->rcpts = xreallocarray(s->rcpts, s->nrcpts + 1, sizeof(*s->rcpts));
	r = &s->rcpts[s->nrcpts++];
	*r = s->rcpt_new;
	str_copy(r->address, address, sizeof(r->address));
	r->user_id = user.id;
	s->state = SMTP_ST_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
}
