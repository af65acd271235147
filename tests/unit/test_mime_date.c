/* Unit tests for src/mime/date.c: RFC 5322 3.3 and the obsolete forms of
 * 4.3, on copies without a trailing NUL; formatting and its round trip.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static char *
exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	return c;
}

static const struct {
	const char	*in;
	int		 rc;
	long long	 t;
	int		 tz;
} rows[] = {
	/* RFC 5322 A.1.1 */
	{ "Fri, 21 Nov 1997 09:55:06 -0600", 0, 880127706, -360 },
	{ "21 Nov 1997 09:55:06 -0600", 0, 880127706, -360 },
	{ "Tue, 1 Jul 2003 10:52:37 +0200", 0, 1057049557, 120 },
	{ "Thu, 13 Feb 1969 23:32:54 -0330", 0, -27723426, -210 },
	/* RFC 5322 A.6.3: comments and blanks anywhere. */
	{ "Thu,\r\n 13\r\n Feb\r\n 1969\r\n 23:32\r\n -0330 (Newfoundland "
	    "Time)", 0, -27723480, -210 },
	/* 4.3: two- and three-digit years, alphabetic zones. */
	{ "Fri, 21 Nov 97 09:55:06 GMT", 0, 880106106, 0 },
	{ "21 Nov 49 09:55:06 UT", 0, 2521101306LL, 0 },
	{ "21 Nov 103 09:55:06 EST", 0, 1069426506, -300 },
	{ "Mon, 5 Jan 2004 10:00:00 PDT", 0, 1073322000, -420 },
	/* Military and unknown zones are -0000. */
	{ "Mon, 5 Jan 2004 10:00:00 Z", 0, 1073296800, 0 },
	{ "Mon, 5 Jan 2004 10:00:00 CEST", 0, 1073296800, 0 },
	/* No zone, no seconds, asctime order. */
	{ "5 Jan 2004 10:00", 0, 1073296800, 0 },
	{ "Mon Jan  5 10:00:00 2004", 0, 1073296800, 0 },
	{ "Monday, 05-Jan-2004 10:00:00 +0000", 0, 1073296800, 0 },
	{ "29 Feb 2004 00:00:00 +0000", 0, 1078012800, 0 },
	{ "31 Dec 9999 23:59:59 +0000", 0, 253402300799LL, 0 },
	{ "30 Jun 2012 23:59:60 +0000", 0, 1341100800, 0 },
	/* Bad. */
	{ "", -1, 0, 0 },
	{ "yesterday", -1, 0, 0 },
	{ "30 Feb 2004 00:00:00 +0000", -1, 0, 0 },
	{ "5 Jan 2004 24:00:00 +0000", -1, 0, 0 },
	{ "5 Foo 2004 10:00:00 +0000", -1, 0, 0 },
	{ "Jan 2004", -1, 0, 0 },
};

static void
test_parse(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t = 0;
		int tz = 0, rc;
		char *c;

		len = strlen(rows[i].in);
		c = exact(rows[i].in, len);
		rc = mime_date_parse(c, len, &t, &tz);
		if (rc != rows[i].rc || (rc == 0 &&
		    ((long long)t != rows[i].t || tz != rows[i].tz)))
			fail_msg("row %zu: rc %d t %lld tz %d", i, rc,
			    (long long)t, tz);
		free(c);
	}
}

static void
test_format(void **state)
{
	char s[MIME_DATE_LEN];
	time_t t;
	int tz;

	(void)state;
	assert_true(mime_date_format(880127706, -360, s, sizeof(s)));
	assert_string_equal(s, "Fri, 21 Nov 1997 09:55:06 -0600");
	assert_true(mime_date_format(0, 0, s, sizeof(s)));
	assert_string_equal(s, "Thu, 1 Jan 1970 00:00:00 +0000");
	assert_true(mime_date_format(1057049557, 330, s, sizeof(s)));
	assert_string_equal(s, "Tue, 1 Jul 2003 14:22:37 +0530");
	assert_false(mime_date_format(0, 0, s, 10));
	mime_date_now(s, sizeof(s));
	assert_int_equal(mime_date_parse(s, strlen(s), &t, &tz), 0);
	assert_true(t > 1700000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
