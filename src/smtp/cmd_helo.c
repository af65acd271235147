/* HELO and EHLO (RFC 5321 4.1.1.1) and the extensions EHLO announces.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "lib/conn.h"
#include "smtp_int.h"

/* Keep the client's name for Received: lines, refusing anything that is
 * not a plausible domain or address literal. */
static bool
save_helo(struct smtp_session *s, const char *args, size_t len)
{
	size_t i;

	while (len > 0 && args[len - 1] == ' ')
		len--;
	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)args[i];

		if (ch <= ' ' || ch == 127 || ch == '(' || ch == ')' ||
		    ch == '\\' || ch == '"')
			return false;
	}
	memcpy(s->helo, args, len);
	s->helo[len] = '\0';
	return true;
}

static bool
greet(struct smtp_session *s, const char *args, size_t len, const char *verb)
{
	if (!save_helo(s, args, len)) {
		smtp_reply_error(s, 501, "5.5.4", verb[0] == 'E' ?
		    "Syntax: EHLO domain-or-address" :
		    "Syntax: HELO domain");
		return false;
	}
	/* RFC 5321 4.1.4: a new greeting resets any transaction. */
	smtp_session_reset(s);
	s->state = SMTP_ST_READY;
	return true;
}

void
smtp_cmd_helo(struct smtp_session *s, const char *args, size_t len)
{
	if (!greet(s, args, len, "HELO"))
		return;
	s->is_esmtp = false;
	smtp_reply(s, 250, NULL, "%s", s->srv->hostname);
}

void
smtp_cmd_ehlo(struct smtp_session *s, const char *args, size_t len)
{
	if (!greet(s, args, len, "EHLO"))
		return;
	s->is_esmtp = true;
	smtp_reply_more(s, 250, "%s greets %s", s->srv->hostname, s->helo);
	smtp_reply_more(s, 250, "PIPELINING");
	smtp_reply_more(s, 250, "SIZE %llu",
	    (unsigned long long)s->srv->max_message_size);
	if (s->srv->tls != NULL && !conn_is_tls(s->conn))
		smtp_reply_more(s, 250, "STARTTLS");
	/* RFC 6409 4.3 and RFC 4954 4: AUTH on the submission ports, and
	 * only once the connection is encrypted. */
	if (s->mode != SMTP_MODE_MX && conn_is_tls(s->conn) && !s->is_auth)
		smtp_reply_more(s, 250, "AUTH PLAIN LOGIN");
	smtp_reply_more(s, 250, "8BITMIME");
	smtp_reply_more(s, 250, "ENHANCEDSTATUSCODES");
	smtp_reply_more(s, 250, "CHUNKING");
	smtp_reply_more(s, 250, "DSN");
	smtp_reply(s, 250, NULL, "SMTPUTF8");
}
