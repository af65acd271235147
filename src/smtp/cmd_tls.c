/* STARTTLS (RFC 3207).
 * SPDX-License-Identifier: ISC */
#include "lib/conn.h"
#include "lib/log.h"
#include "smtp_int.h"

void
smtp_cmd_starttls(struct smtp_session *s, const char *args, size_t len)
{
	(void)args;
	if (len > 0) {
		smtp_reply_error(s, 501, "5.5.4", "STARTTLS takes no arguments");
		return;
	}
	if (conn_is_tls(s->conn)) {
		smtp_reply_error(s, 503, "5.5.1", "TLS already active");
		return;
	}
	if (s->srv->tls == NULL) {
		smtp_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* RFC 3207 4.2: forget everything learnt before TLS, including any
	 * commands the client pipelined after STARTTLS. */
	smtp_session_reset(s);
	s->state = SMTP_ST_GREET;
	s->helo[0] = '\0';
	s->is_esmtp = false;
	conn_starttls(s->conn, s->srv->tls);
	log_info("smtp session=%s event=starttls", s->id);
}
