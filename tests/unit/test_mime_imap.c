/* Unit tests for src/mime/envelope.c and bodystructure.c: the IMAP
 * ENVELOPE, BODY and BODYSTRUCTURE of RFC 3501 7.4.2, checked by hand
 * (the first row is the example of RFC 3501 8).
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static const struct {
	const char	*msg;
	const char	*envelope;
	const char	*body;
	const char	*bodystructure;
} rows[] = {
	{ "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
	  "From: Terry Gray <gray@cac.washington.edu>\r\n"
	  "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	  "To: imap@cac.washington.edu\r\n"
	  "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
	  "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	  "\r\n"
	  "line one\r\nline two\r\n",
	  "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg "
	  "summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
	  "\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" "
	  "\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" "
	  "\"cac.washington.edu\")) ((NIL NIL \"imap\" "
	  "\"cac.washington.edu\")) ((NIL NIL \"minutes\" "
	  "\"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" "
	  "\"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\")",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	  "20 2)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	  "20 2 NIL NIL NIL NIL)" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n"
	  "\r\n"
	  "--b\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Language: en, fr\r\n"
	  "\r\n"
	  "hello\r\nworld\r\n"
	  "--b\r\n"
	  "Content-Type: application/pdf; name*=utf-8''%E2%82%AC.pdf\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "Content-Disposition: attachment; filename=\"x y.pdf\"\r\n"
	  "Content-ID: <id1@x>\r\n"
	  "Content-Description: A file\r\n"
	  "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	  "Content-Location: http://x/y\r\n"
	  "\r\n"
	  "AAAA\r\n"
	  "--b\r\n"
	  "Content-Type: message/rfc822\r\n"
	  "\r\n"
	  "Subject: inner\r\nFrom: a@b.c\r\n\r\ninner body\r\n"
	  "--b--\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1)"
	  "(\"APPLICATION\" \"PDF\" (\"NAME*\" \"utf-8''%E2%82%AC.pdf\") "
	  "\"<id1@x>\" \"A file\" \"BASE64\" 4)"
	  "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 41 (NIL \"inner\" "
	  "((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL "
	  "\"a\" \"b.c\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" "
	  "(\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 0) 3) \"MIXED\")",
	  "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1 "
	  "NIL NIL (\"en\" \"fr\") NIL)"
	  "(\"APPLICATION\" \"PDF\" (\"NAME*\" \"utf-8''%E2%82%AC.pdf\") "
	  "\"<id1@x>\" \"A file\" \"BASE64\" 4 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
	  "(\"ATTACHMENT\" (\"FILENAME\" \"x y.pdf\")) NIL \"http://x/y\")"
	  "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 41 (NIL \"inner\" "
	  "((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL "
	  "\"a\" \"b.c\")) NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" "
	  "(\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 0 NIL NIL NIL NIL) "
	  "3 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)" },
	/* Groups, quoting, a missing domain, empty Sender, 8-bit text as a
	 * literal, Reply-To of its own, In-Reply-To. */
	{ "Subject: caf\xc3\xa9\r\n"
	  "From: =?utf-8?q?J=C3=B6rg?= <j@x.org>\r\n"
	  "Sender:\r\n"
	  "Reply-To: r@x.org\r\n"
	  "To: \"Joe \\\"Q\\\" Public\" <\"joe q\"@x.org>, Undisclosed:;, "
	  "local\r\n"
	  "In-Reply-To: <a@b>\r\n"
	  "\r\n",
	  "(NIL {5}\r\ncaf\xc3\xa9 ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" "
	  "\"x.org\")) ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.org\")) "
	  "((NIL NIL \"r\" \"x.org\")) ((\"Joe \\\"Q\\\" Public\" NIL "
	  "\"joe q\" \"x.org\")(NIL NIL \"Undisclosed\" NIL)"
	  "(NIL NIL NIL NIL)(NIL NIL \"local\" \".MISSING-HOST-NAME.\")) NIL "
	  "NIL \"<a@b>\" NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	  "0 0)", NULL },
	/* Parameters as written (UW IMAP and Dovecot): plain ones first,
	 * then RFC 2231 pieces joined per name in number order (a plain
	 * piece among encoded ones %-escaped), kept apart when a number is
	 * missing; the default charset only for a text part without any. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/plain; format=flowed\r\n\r\nx\r\n"
	  "--b\r\nContent-Type: application/pdf; name*1=\"b%\"; "
	  "name*0*=utf-8''a; n*2=z; n*0=y; name=plain\r\n"
	  "Content-Disposition: attachment; filename*1=b; filename*0=a\r\n"
	  "\r\ny\r\n--b--\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((\"TEXT\" \"PLAIN\" (\"FORMAT\" \"flowed\") NIL NIL \"7BIT\" 1 0)"
	  "(\"APPLICATION\" \"PDF\" (\"NAME\" \"plain\" \"N*0\" \"y\" \"N*2\" "
	  "\"z\" \"NAME*\" \"utf-8''ab%25\") NIL NIL \"7BIT\" 1) \"MIXED\")",
	  "((\"TEXT\" \"PLAIN\" (\"FORMAT\" \"flowed\") NIL NIL \"7BIT\" 1 0 "
	  "NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"plain\" "
	  "\"N*0\" \"y\" \"N*2\" \"z\" \"NAME*\" \"utf-8''ab%25\") NIL NIL "
	  "\"7BIT\" 1 NIL (\"ATTACHMENT\" (\"FILENAME\" \"ab\")) NIL NIL) "
	  "\"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)" },
	/* A multipart without parts still has one (RFC 3501 9), a digest
	 * part defaults to message/rfc822, an unknown encoding is kept. */
	{ "Content-Type: multipart/digest; boundary=d\r\n\r\n"
	  "--d\r\n\r\nSubject: s\r\n\r\nx\r\n"
	  "--d\r\nContent-Type: multipart/alternative; boundary=e\r\n"
	  "Content-Transfer-Encoding: x-weird\r\n\r\n"
	  "no parts\r\n"
	  "--d--\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 15 (NIL \"s\" NIL "
	  "NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	  "\"US-ASCII\") NIL NIL \"7BIT\" 1 0) 2)((\"TEXT\" \"PLAIN\" "
	  "(\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"ALTERNATIVE\") "
	  "\"DIGEST\")", NULL },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_part *root;
		struct buf o = BUF_INIT;

		root = mime_parse(rows[i].msg, strlen(rows[i].msg), NULL);
		mime_envelope_write(root, &o);
		if (strcmp(buf_cstr(&o), rows[i].envelope) != 0)
			fail_msg("row %zu envelope:\n%s", i, buf_cstr(&o));
		buf_reset(&o);
		mime_bodystructure_write(root, false, &o);
		if (strcmp(buf_cstr(&o), rows[i].body) != 0)
			fail_msg("row %zu body:\n%s", i, buf_cstr(&o));
		buf_reset(&o);
		mime_bodystructure_write(root, true, &o);
		if (rows[i].bodystructure != NULL &&
		    strcmp(buf_cstr(&o), rows[i].bodystructure) != 0)
			fail_msg("row %zu bodystructure:\n%s", i, buf_cstr(&o));
		mime_part_free(root);
		buf_free(&o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
