/* The SMTP command table, and the commands too small for a file of their
 * own: RSET, NOOP, QUIT, VRFY, HELP (RFC 5321 4.1.1.5-4.1.1.10).
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "smtp_int.h"

static const struct {
	const char	*verb;
	smtp_cmd_fn	*fn;
} commands[] = {
	{ "AUTH",	smtp_cmd_auth },
	{ "BDAT",	smtp_cmd_bdat },
	{ "DATA",	smtp_cmd_data },
	{ "EHLO",	smtp_cmd_ehlo },
	{ "HELO",	smtp_cmd_helo },
	{ "HELP",	smtp_cmd_help },
	{ "MAIL",	smtp_cmd_mail },
	{ "NOOP",	smtp_cmd_noop },
	{ "QUIT",	smtp_cmd_quit },
	{ "RCPT",	smtp_cmd_rcpt },
	{ "RSET",	smtp_cmd_rset },
	{ "STARTTLS",	smtp_cmd_starttls },
	{ "VRFY",	smtp_cmd_vrfy },
};

smtp_cmd_fn *
smtp_cmd_find(const char *verb, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (str_ieq(verb, len, commands[i].verb))
			return commands[i].fn;
	return NULL;
}

void
smtp_cmd_rset(struct smtp_session *s, const char *args, size_t len)
{
	(void)args;
	if (len > 0) {
		smtp_reply_error(s, 501, "5.5.4", "RSET takes no arguments");
		return;
	}
	smtp_session_reset(s);
	if (s->state != SMTP_ST_GREET)
		s->state = SMTP_ST_READY;
	smtp_reply(s, 250, "2.0.0", "Ok");
}

void
smtp_cmd_noop(struct smtp_session *s, const char *args, size_t len)
{
	/* RFC 5321 4.1.1.9: a parameter string, if any, is ignored. */
	(void)args;
	(void)len;
	smtp_reply(s, 250, "2.0.0", "Ok");
}

void
smtp_cmd_quit(struct smtp_session *s, const char *args, size_t len)
{
	(void)args;
	if (len > 0) {
		smtp_reply_error(s, 501, "5.5.4", "QUIT takes no arguments");
		return;
	}
	smtp_reply(s, 221, "2.0.0", "%s closing connection",
	    s->srv->hostname);
	smtp_session_close(s);
}

void
smtp_cmd_vrfy(struct smtp_session *s, const char *args, size_t len)
{
	/* RFC 5321 3.5.3: 252 when we will not confirm an address; telling
	 * which users exist would help address harvesters. */
	(void)args;
	if (len == 0) {
		smtp_reply_error(s, 501, "5.5.4", "VRFY needs an address");
		return;
	}
	smtp_reply(s, 252, "2.1.5",
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

void
smtp_cmd_help(struct smtp_session *s, const char *args, size_t len)
{
	(void)args;
	(void)len;
	smtp_reply_more(s, 214, "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP");
	smtp_reply(s, 214, "2.0.0", "QUIT VRFY HELP STARTTLS BDAT AUTH");
}
