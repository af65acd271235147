/* The capabilities petrel announces (RFC 3501 6.1.1, 7.2.1): fewer
 * before TLS and sign-in, where LOGIN is off unless allowed
 * (LOGINDISABLED, RFC 3501 6.2.3).
 * SPDX-License-Identifier: ISC */
#include "imap_int.h"
#include "lib/conn.h"

void
imap_capability_write(struct imap_session *s, struct buf *out)
{
	bool is_tls = s->conn != NULL && conn_is_tls(s->conn);

	/* Both revisions: a client wanting rev2 says ENABLE IMAP4rev2
	 * (RFC 9051 Appendix A). LITERAL+ includes LITERAL- (RFC 7888).
	 * UTF8=ACCEPT can be enabled but is not announced: a server that
	 * announces it must refuse an APPEND with 8-bit header fields from
	 * every client that did not enable it (RFC 6855 4), which would
	 * turn away real mail that sync and migration tools copy as it
	 * is (docs/IMAP.md). */
	buf_adds(out, "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE "
	    "IDLE NAMESPACE");
	if (s->state == IMAP_ST_NOAUTH) {
		if (!is_tls && s->srv->tls != NULL)
			buf_adds(out, " STARTTLS");
		if (imap_plaintext_allowed(s))
			buf_adds(out, " AUTH=PLAIN AUTH=LOGIN");
		else
			buf_adds(out, " LOGINDISABLED");
		return;
	}
	buf_adds(out, " UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE "
	    "LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC ESEARCH SEARCHRES "
	    "BINARY "
	    "STATUS=SIZE");
	buf_addf(out, " APPENDLIMIT=%llu",
	    (unsigned long long)s->srv->max_literal);
}
