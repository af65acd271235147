/* SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 3463), and
 * the wire trace.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>

#include "lib/conn.h"
#include "lib/log.h"
#include "smtp_int.h"

static void reply_line(struct smtp_session *, int, char, const char *,
    const char *, va_list) __attribute__((format(printf, 5, 0)));

static void
reply_line(struct smtp_session *s, int code, char sep, const char *enh,
    const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (enh != NULL)
		conn_printf(s->conn, "%d%c%s %s\r\n", code, sep, enh, text);
	else
		conn_printf(s->conn, "%d%c%s\r\n", code, sep, text);
	if (log_trace_on("smtp"))
		log_debug("smtp session=%s trace=out line=\"%d%c%s %s\"", s->id,
		    code, sep, enh ? enh : "", text);
}

void
smtp_reply(struct smtp_session *s, int code, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	if (s->conn == NULL)
		return;
	va_start(ap, fmt);
	reply_line(s, code, ' ', enh, fmt, ap);
	va_end(ap);
}

void
smtp_reply_more(struct smtp_session *s, int code, const char *fmt, ...)
{
	va_list ap;

	if (s->conn == NULL)
		return;
	va_start(ap, fmt);
	reply_line(s, code, '-', NULL, fmt, ap);
	va_end(ap);
}

void
smtp_reply_error(struct smtp_session *s, int code, const char *enh,
    const char *text)
{
	smtp_reply(s, code, enh, "%s", text);
	if (++s->errors < s->srv->max_errors)
		return;
	log_info("smtp session=%s event=too-many-errors client=%s", s->id,
	    conn_peer_str(s->conn));
	smtp_reply(s, 421, "4.7.0", "%s Too many errors, closing connection",
	    s->srv->hostname);
	smtp_session_close(s);
}
