/* DATA (RFC 5321 4.1.1.4): the message as lines ended by CRLF.CRLF, with
 * dot-stuffing undone (4.5.2).
 * SPDX-License-Identifier: ISC */
#include "lib/conn.h"
#include "smtp_int.h"

void
smtp_cmd_data(struct smtp_session *s, const char *args, size_t len)
{
	(void)args;
	if (len > 0) {
		smtp_reply_error(s, 501, "5.5.4", "DATA takes no arguments");
		return;
	}
	if (s->state != SMTP_ST_RCPT || smtp_msg_is_open(s)) {
		/* RFC 3030 3: no DATA in a transaction that used BDAT. */
		smtp_reply_error(s, 503, "5.5.1", s->state == SMTP_ST_MAIL ?
		    "No valid recipients" : smtp_msg_is_open(s) ?
		    "DATA after BDAT" : "Need MAIL and RCPT before DATA");
		return;
	}
	if (!smtp_msg_begin(s)) {
		smtp_reply(s, 451, "4.3.0", "Cannot store mail now, try later");
		return;
	}
	s->data_prev_crlf = true;
	s->state = SMTP_ST_DATA;
	conn_set_timeout(s->conn, s->srv->data_timeout);
	smtp_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

void
smtp_data_too_long(struct smtp_session *s)
{
	/* The rest of the message is still read, up to the final dot, so
	 * that its lines are not taken for commands. */
	if (s->data_error == SMTP_DATA_OK)
		s->data_error = SMTP_DATA_LINE_TOO_LONG;
	s->data_prev_crlf = true;
}

void
smtp_data_line(struct smtp_session *s, const char *line, size_t len,
    bool crlf)
{
	bool prev_crlf = s->data_prev_crlf;

	/* Only CRLF "." CRLF ends the message: a dot on a line ended by a
	 * bare LF is data, so that no other MTA can be tricked into seeing
	 * a different end of message (SMTP smuggling). */
	s->data_prev_crlf = crlf;
	if (len == 1 && line[0] == '.' && crlf && prev_crlf) {
		smtp_msg_end(s);
		return;
	}
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	/* A bare LF is stored as CRLF: stored messages use CRLF. */
	smtp_msg_write(s, line, len);
	smtp_msg_write(s, "\r\n", 2);
}
