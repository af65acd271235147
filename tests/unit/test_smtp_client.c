/* Tests for the SMTP client's reply parser and EHLO extension list
 * (src/smtp/client_reply.c). Each reply is fed line by line from copies
 * without a terminating NUL.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_client.h"

struct reply_case {
	const char	*lines[4];
	int		 rc;		/* of the last line fed */
	int		 code;
	const char	*enh;
	const char	*summary;
};

static const struct reply_case cases[] = {
	{ { "250 OK" }, 1, 250, "", "250 OK" },
	{ { "250" }, 1, 250, "", "250" },
	{ { "550 5.1.1 <u@x>: no such user" }, 1, 550, "5.1.1",
	  "550 5.1.1 <u@x>: no such user" },
	{ { "250-mx.example", "250-PIPELINING", "250 SIZE 1000" }, 1, 250,
	  "", "250 mx.example PIPELINING SIZE 1000" },
	{ { "451-4.3.0 first", "451 4.3.0 second" }, 1, 451, "4.3.0",
	  "451 4.3.0 first 4.3.0 second" },
	{ { "250-first" }, 0, 250, "", "250 first" },
	{ { "250-a", "251 b" }, -1, 250, "", NULL },
	{ { "199 no" }, -1, 0, "", NULL },
	{ { "25" }, -1, 0, "", NULL },
	{ { "250x" }, -1, 0, "", NULL },
	{ { "abc def" }, -1, 0, "", NULL },
	{ { "550 4.1.1 class differs" }, 1, 550, "",
	  "550 4.1.1 class differs" },
	{ { "354 \"go\"\tahead" }, 1, 354, "", "354 'go'?ahead" },
};

static int
feed_copy(struct smtp_client_reply *r, const char *line)
{
	size_t n = strlen(line);
	char *p = malloc(n ? n : 1);
	int rc;

	memcpy(p, line, n);
	rc = smtp_client_reply_feed(r, p, n);
	free(p);
	return rc;
}

static void
test_reply_table(void **state)
{
	struct smtp_client_reply r;
	char s[QUEUE_REPLY_MAX];
	size_t i, k;
	int rc = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smtp_client_reply_init(&r);
		for (k = 0; k < 4 && cases[i].lines[k] != NULL; k++)
			if ((rc = feed_copy(&r, cases[i].lines[k])) == -1)
				break;
		assert_int_equal(rc, cases[i].rc);
		if (cases[i].summary != NULL) {
			assert_int_equal(r.code, cases[i].code);
			assert_string_equal(r.enh, cases[i].enh);
			smtp_client_reply_summary(&r, s, sizeof(s));
			assert_string_equal(s, cases[i].summary);
		}
		smtp_client_reply_fini(&r);
	}
}

static void
test_reply_reuse(void **state)
{
	struct smtp_client_reply r;

	(void)state;
	smtp_client_reply_init(&r);
	assert_int_equal(feed_copy(&r, "250 first"), 1);
	/* A new reply starts after a complete one. */
	assert_int_equal(feed_copy(&r, "354 go"), 1);
	assert_int_equal(r.code, 354);
	assert_int_equal(r.nlines, 1);
	smtp_client_reply_fini(&r);
}

static void
test_summary_truncates(void **state)
{
	struct smtp_client_reply r;
	char s[8];

	(void)state;
	smtp_client_reply_init(&r);
	assert_int_equal(feed_copy(&r, "250 0123456789"), 1);
	smtp_client_reply_summary(&r, s, sizeof(s));
	assert_string_equal(s, "250 012");
	smtp_client_reply_fini(&r);
}

static void
test_ext_parse(void **state)
{
	static const char *lines[] = { "250-mx.example greets you",
	    "250-PIPELINING", "250-SIZE 35882577", "250-8BITMIME",
	    "250-STARTTLS", "250-AUTH=LOGIN", "250-AUTH PLAIN CRAM-MD5",
	    "250-DSN", "250-SMTPUTF8", "250 ENHANCEDSTATUSCODES" };
	struct smtp_client_reply r;
	struct smtp_client_ext x;
	size_t i;

	(void)state;
	smtp_client_reply_init(&r);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		feed_copy(&r, lines[i]);
	assert_true(r.is_done);
	smtp_client_ext_parse(&r, &x);
	assert_true(x.has_pipelining && x.has_8bitmime && x.has_starttls);
	assert_true(x.has_dsn && x.has_smtputf8 && x.has_size);
	assert_true(x.has_auth_plain && x.has_auth_login);
	assert_int_equal(x.max_size, 35882577);
	smtp_client_reply_fini(&r);
}

static void
test_ext_minimal(void **state)
{
	struct smtp_client_reply r;
	struct smtp_client_ext x;

	(void)state;
	smtp_client_reply_init(&r);
	feed_copy(&r, "250-PIPELINING is only the greeting text");
	feed_copy(&r, "250 SIZE");
	smtp_client_ext_parse(&r, &x);
	assert_false(x.has_pipelining);
	assert_true(x.has_size);
	assert_int_equal(x.max_size, 0);
	smtp_client_reply_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_reuse),
		cmocka_unit_test(test_summary_truncates),
		cmocka_unit_test(test_ext_parse),
		cmocka_unit_test(test_ext_minimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
