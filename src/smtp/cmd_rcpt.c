/* RCPT TO (RFC 5321 4.1.1.3): only local users are accepted here; every
 * other domain is refused, so the server is never an open relay.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "smtp_int.h"
#include "store/store.h"

static bool
rcpt_param(struct smtp_session *s, const char *p, size_t len)
{
	(void)p;
	(void)len;
	smtp_reply_error(s, 555, "5.5.4", "Unsupported RCPT parameter");
	return false;
}

/* Find the local account for a path; false after a reply was sent. */
static bool
find_user(struct smtp_session *s, const struct smtp_path *path,
    char *address, size_t addrlen, struct store_user *user)
{
	int r;

	if (path->domain[0] == '\0') {
		/* <Postmaster> (RFC 5321 4.1.1.3) of this host. */
		snprintf(address, addrlen, "postmaster@%s", s->srv->hostname);
	} else {
		r = store_domain_find(s->srv->store, path->domain);
		if (r < 0)
			goto tempfail;
		if (r == 0) {
			smtp_reply(s, 550, "5.7.1", "Relaying denied");
			return false;
		}
		smtp_path_str(path, address, addrlen);
	}
	r = store_user_find(s->srv->store, address, user);
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
	if (!smtp_params_each(s, args + 3 + used, len - 3 - (size_t)used,
	    rcpt_param))
		return;
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
	str_copy(r->address, address, sizeof(r->address));
	r->user_id = user.id;
	s->state = SMTP_ST_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
}
