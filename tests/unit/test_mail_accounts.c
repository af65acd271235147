/* Unit tests: src/cli/mail_account.c (accounts.conf) and the IMAP data
 * tokenizer of src/cli/mail_imap_parse.c.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/mail_int.h"

/* Parse text from a heap copy followed by junk instead of a NUL. */
static int
parse(const char *text, struct mail_accounts *a, struct buf *err)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	int rc;

	memcpy(copy, text, len);
	copy[len] = '=';
	rc = mail_accounts_parse(copy, len, a, err);
	free(copy);
	return rc;
}

static void
test_full(void **state)
{
	struct mail_accounts a = { NULL, 0 };
	struct buf err = BUF_INIT;
	struct mail_account *m;

	(void)state;
	assert_int_equal(parse(
	    "# comment\n"
	    "[work]\r\n"
	    "  imap = mail.example.org:993 \n"
	    "imap_tls = implicit\n"
	    "smtp = [2001:db8::1]:587\n"
	    "user = me@example.org\n"
	    "password_command = pass show mail\n"
	    "ca_file = /etc/ca.pem\n"
	    "\n"
	    "[home]\n"
	    "tls = none\n"
	    "pop3 = pop.example.net:110\n"
	    "pop3_tls = none\n"
	    "user = me\n"
	    "from = Me <me@example.net>\n"
	    "sent = none", &a, &err), 0);
	assert_int_equal(a.n, 2);
	m = mail_accounts_find(&a, "work");
	assert_non_null(m);
	assert_string_equal(m->imap.host, "mail.example.org");
	assert_string_equal(m->imap.port, "993");
	assert_int_equal(m->imap.tls, MAIL_TLS_IMPLICIT);
	assert_string_equal(m->smtp.host, "2001:db8::1");
	assert_string_equal(m->smtp.port, "587");
	assert_int_equal(m->smtp.tls, MAIL_TLS_STARTTLS);
	assert_string_equal(m->password_command, "pass show mail");
	assert_string_equal(m->ca_file, "/etc/ca.pem");
	assert_null(m->pop3.host);
	assert_ptr_equal(mail_accounts_find(&a, NULL), m);
	m = mail_accounts_find(&a, "home");
	assert_non_null(m);
	assert_int_equal(m->pop3.tls, MAIL_TLS_NONE);
	assert_int_equal(m->smtp.tls, MAIL_TLS_NONE);
	assert_string_equal(m->from, "Me <me@example.net>");
	assert_string_equal(m->sent, "none");
	assert_null(m->password_command);
	assert_null(mail_accounts_find(&a, "other"));
	mail_accounts_free(&a);
	buf_free(&err);
}

static const struct {
	const char	*in;
	const char	*err;
} bad_rows[] = {
	{ "user = x\n", "line 1: key outside a [section]" },
	{ "[a]\nimap = host\n", "line 2: expected host:port" },
	{ "[a]\nimap = host:\n", "line 2: expected host:port" },
	{ "[a]\nimap = :143\n", "line 2: expected host:port" },
	{ "[a]\nimap_tls = maybe\n", "line 2: expected starttls, implicit "
	  "or none" },
	{ "[a]\ncolour = blue\n", "line 2: unknown key" },
	{ "[a]\ntls = yes\n", "line 2: expected starttls, implicit or "
	  "none" },
	{ "[a]\nuser\n", "line 2: expected key = value" },
	{ "[a]\nuser =\n", "line 2: expected key = value" },
	{ "[a\n", "line 1: expected [name]" },
	{ "[]\n", "line 1: expected [name]" },
	{ "[a]\nimap = h:1\n", "account a: no user" },
	{ "[a]\nuser = u\n", "account a: neither imap nor pop3" },
	{ "[a]\nimap = h:1\nuser = u\n[a]\n", "line 4: account defined "
	  "twice" },
};

static void
test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct mail_accounts a = { NULL, 0 };
		struct buf err = BUF_INIT;

		assert_int_equal(parse(bad_rows[i].in, &a, &err), -1);
		assert_string_equal(buf_cstr(&err), bad_rows[i].err);
		mail_accounts_free(&a);
		buf_free(&err);
	}
}

static void
test_empty(void **state)
{
	struct mail_accounts a = { NULL, 0 };
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(parse("", &a, &err), 0);
	assert_int_equal(parse("# nothing\n\n", &a, &err), 0);
	assert_int_equal(a.n, 0);
	assert_null(mail_accounts_find(&a, NULL));
	buf_free(&err);
}

static void
test_tok(void **state)
{
	static const char in[] = "1 FETCH (FLAGS (\\Seen) "
	    "BODY[HEADER.FIELDS (DATE)] {5}\r\nab)\r\n \"q \\\" x\" NIL)";
	static const char *const want[] = { "1", "FETCH", "(", "FLAGS", "(",
	    "\\Seen", ")", "BODY[HEADER.FIELDS (DATE)]", "ab)\r\n",
	    "q \\\" x", NULL, ")" };
	struct mail_imap_tok t = { in, sizeof(in) - 1, 0 };
	const char *v;
	size_t vlen, i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(mail_imap_tok_next(&t, &v, &vlen),
		    want[i] != NULL && (strcmp(want[i], "(") == 0 ||
		    strcmp(want[i], ")") == 0) ? 2 : 1);
		if (want[i] == NULL)
			assert_null(v);
		else {
			assert_int_equal(vlen, strlen(want[i]));
			assert_memory_equal(v, want[i], vlen);
		}
	}
	assert_int_equal(mail_imap_tok_next(&t, &v, &vlen), 0);
	/* A quoted "(" is a value, not a parenthesis. */
	t.p = "(\"(\" x) y";
	t.len = strlen(t.p);
	t.pos = 0;
	mail_imap_tok_skip(&t);
	assert_true(mail_imap_tok_item(&t, &v, &vlen));
	assert_memory_equal(v, "y", 1);
	t.p = "NIL )";
	t.len = 5;
	t.pos = 0;
	assert_false(mail_imap_tok_item(&t, &v, &vlen));
	assert_false(mail_imap_tok_item(&t, &v, &vlen));
	t.p = in;
	t.len = sizeof(in) - 1;
	t.pos = 0;
	mail_imap_tok_next(&t, &v, &vlen);
	mail_imap_tok_next(&t, &v, &vlen);
	mail_imap_tok_skip(&t);
	assert_int_equal(mail_imap_tok_next(&t, &v, &vlen), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_tok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
