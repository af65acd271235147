/* BDAT (RFC 3030 CHUNKING): the message in chunks of announced size,
 * neither dot-stuffed nor scanned for an end marker. Every chunk is read
 * whole before it is answered, even one that is refused, so that its bytes
 * are never taken for commands.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/conn.h"
#include "lib/str.h"
#include "smtp_int.h"

/* Read the chunk and throw it away, then answer with this error. */
static void
bdat_discard(struct smtp_session *s, enum smtp_state after, int code,
    const char *enh, const char *text)
{
	s->bdat_discard = true;
	s->bdat_after = after;
	s->bdat_code = code;
	s->bdat_enh = enh;
	s->bdat_text = text;
	s->state = SMTP_ST_BDAT;
	smtp_bdat_input(s);
}

void
smtp_cmd_bdat(struct smtp_session *s, const char *args, size_t len)
{
	const char *sp = str_chr(args, len, ' ');
	size_t nlen = sp ? (size_t)(sp - args) : len;
	const char *errstr;
	uint64_t size;
	bool last = false;

	size = str_to_uint_n(args, nlen, 0, UINT64_MAX, &errstr);
	if (sp != NULL)
		last = str_ieq(sp + 1, len - nlen - 1, "LAST");
	if (errstr != NULL || (sp != NULL && !last)) {
		/* Without a size we cannot tell the chunk from the commands
		 * after it: the only safe way on is to close. */
		smtp_reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]");
		smtp_session_close(s);
		return;
	}
	s->bdat_left = size;
	s->bdat_last = last;
	if (s->state != SMTP_ST_RCPT) {
		bdat_discard(s, s->state, 503, "5.5.1", s->state ==
		    SMTP_ST_MAIL ? "No valid recipients" :
		    "Need MAIL and RCPT before BDAT");
		return;
	}
	if (!smtp_msg_is_open(s) && !smtp_msg_begin(s)) {
		smtp_session_reset(s);
		bdat_discard(s, SMTP_ST_READY, 451, "4.3.0",
		    "Cannot store mail now, try later");
		return;
	}
	s->state = SMTP_ST_BDAT;
	smtp_bdat_input(s);
}

/* A chunk has been read whole: answer it. */
static void
bdat_chunk_done(struct smtp_session *s)
{
	if (s->bdat_discard) {
		s->bdat_discard = false;
		s->state = s->bdat_after;
		smtp_reply_error(s, s->bdat_code, s->bdat_enh, s->bdat_text);
		return;
	}
	if (s->bdat_last || s->data_error != SMTP_DATA_OK) {
		/* Commits, or refuses with the recorded reason. */
		smtp_msg_end(s);
		return;
	}
	s->state = SMTP_ST_RCPT;
	smtp_reply(s, 250, "2.0.0", "%llu octets received",
	    (unsigned long long)s->data_size);
}

void
smtp_bdat_input(struct smtp_session *s)
{
	char chunk[16 * 1024];
	size_t n;

	while (s->bdat_left > 0) {
		n = conn_read(s->conn, chunk, s->bdat_left < sizeof(chunk) ?
		    (size_t)s->bdat_left : sizeof(chunk));
		if (n == 0)
			return;		/* more to come */
		s->bdat_left -= n;
		if (!s->bdat_discard)
			smtp_msg_write(s, chunk, n);
	}
	bdat_chunk_done(s);
}
