/* IMAP strings for ENVELOPE and BODYSTRUCTURE (RFC 3501 4.3, 9: quoted
 * when the text allows, a literal otherwise).
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "mime_int.h"

#define QUOTED_MAX	4096

void
mime_imap_string(struct buf *out, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
			break;
	}
	if (i < len || len > QUOTED_MAX) {
		buf_addf(out, "{%zu}\r\n", len);
		buf_add(out, p, len);
		return;
	}
	buf_addc(out, '"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, p[i]);
	}
	buf_addc(out, '"');
}

void
mime_imap_nstring(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_adds(out, "NIL");
	else
		mime_imap_string(out, s, strlen(s));
}

void
mime_imap_upper(struct buf *out, const char *s)
{
	struct buf u = BUF_INIT;

	for (; *s != '\0'; s++)
		buf_addc(&u, (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s));
	mime_imap_string(out, u.data ? u.data : "", u.len);
	buf_free(&u);
}
