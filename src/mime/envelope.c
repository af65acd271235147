/* The IMAP ENVELOPE (RFC 3501 7.4.2) of a message header kept by the
 * parser: raw field values, address structures, groups.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "mime_int.h"

/* RFC 3501 keeps a NIL host for groups; an address without a domain
 * gets the placeholder UW IMAP uses. */
#define MISSING_HOST	".MISSING-HOST-NAME."

static void
address(const struct mime_addr *a, struct buf *out)
{
	buf_addc(out, '(');
	if (a->kind == MIME_ADDR_GROUP_END) {
		buf_adds(out, "NIL NIL NIL NIL)");
		return;
	}
	if (a->kind == MIME_ADDR_GROUP_START) {
		buf_adds(out, "NIL NIL ");
		mime_imap_nstring(out, a->name_raw ? a->name_raw : "");
		buf_adds(out, " NIL)");
		return;
	}
	mime_imap_nstring(out, a->name_raw);
	buf_addc(out, ' ');
	mime_imap_nstring(out, a->route);
	buf_addc(out, ' ');
	/* The local part unquoted, as UW IMAP and Dovecot give it: the
	 * IMAP string already delimits it (RFC 3501 7.4.2 "mailbox name"),
	 * and clients join it with "@" and the host themselves. */
	mime_imap_nstring(out, a->local);
	buf_addc(out, ' ');
	mime_imap_nstring(out, a->domain ? a->domain : MISSING_HOST);
	buf_addc(out, ')');
}

/* Append an address list; false (nothing written) when it is empty. */
static bool
addresses(const char *v, struct buf *out)
{
	struct mime_addr_list l = { NULL, 0 };
	size_t i;

	if (v == NULL)
		return false;
	mime_addr_parse(v, strlen(v), &l);
	if (l.n == 0) {
		mime_addr_list_free(&l);
		return false;
	}
	buf_addc(out, '(');
	for (i = 0; i < l.n; i++)
		address(&l.v[i], out);
	buf_addc(out, ')');
	mime_addr_list_free(&l);
	return true;
}

void
mime_envelope_write(const struct mime_part *msg, struct buf *out)
{
	char *const *f = msg->fields;

	buf_addc(out, '(');
	mime_imap_nstring(out, f[MIME_HF_DATE]);
	buf_addc(out, ' ');
	mime_imap_nstring(out, f[MIME_HF_SUBJECT]);
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_FROM], out))
		buf_adds(out, "NIL");
	/* Sender and Reply-To default to From when absent or empty. */
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_SENDER], out) &&
	    !addresses(f[MIME_HF_FROM], out))
		buf_adds(out, "NIL");
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_REPLY_TO], out) &&
	    !addresses(f[MIME_HF_FROM], out))
		buf_adds(out, "NIL");
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_TO], out))
		buf_adds(out, "NIL");
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_CC], out))
		buf_adds(out, "NIL");
	buf_addc(out, ' ');
	if (!addresses(f[MIME_HF_BCC], out))
		buf_adds(out, "NIL");
	buf_addc(out, ' ');
	mime_imap_nstring(out, f[MIME_HF_IN_REPLY_TO]);
	buf_addc(out, ' ');
	mime_imap_nstring(out, f[MIME_HF_MESSAGE_ID]);
	buf_addc(out, ')');
}
