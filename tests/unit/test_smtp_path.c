/* Unit tests: src/smtp/path.c, the reverse- and forward-path parser.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_int.h"

static const struct {
	const char	*in;
	int		 used;		/* -1: must fail */
	const char	*addr;		/* as smtp_path_str() writes it */
	bool		 is_null;
} rows[] = {
	{ "<a@example.org>", 15, "a@example.org", false },
	{ "<A.B@Example.ORG> SIZE=10", 17, "A.B@example.org", false },
	{ " <a@b.c>", 8, "a@b.c", false },
	{ "<>", 2, "", true },
	{ "<\"john doe\"@example.org>", 24, "\"john doe\"@example.org", false },
	{ "<\"a\\\"b\"@x.org>", 14, "\"a\\\"b\"@x.org", false },
	{ "<@relay.example,@r2.example:u@x.org>", 36, "u@x.org", false },
	{ "<u@[192.0.2.1]>", 15, "u@[192.0.2.1]", false },
	{ "<u@[IPv6:2001:db8::1]>", 22, "u@[IPv6:2001:db8::1]", false },
	{ "<Postmaster>", 12, "Postmaster", false },
	{ "<user@b\xc3\xbc""cher.example>", 22, "user@b\xc3\xbc""cher.example",
	  false },
	{ "a@example.org", -1, NULL, false },
	{ "<a@example.org", -1, NULL, false },
	{ "<a>", -1, NULL, false },
	{ "<a@>", -1, NULL, false },
	{ "<@x.org>", -1, NULL, false },
	{ "<a..b@x.org>", -1, NULL, false },
	{ ".a@x.org>", -1, NULL, false },
	{ "<a@-x.org>", -1, NULL, false },
	{ "<a@x-.org>", -1, NULL, false },
	{ "<a@x..org>", -1, NULL, false },
	{ "<a b@x.org>", -1, NULL, false },
	{ "<a@x.org%y.org>", -1, NULL, false },
	{ "<\"unterminated@x.org>", -1, NULL, false },
	{ "<a@[1.2.3.4>", -1, NULL, false },
	{ "<a@x.org\r>", -1, NULL, false },
	{ "", -1, NULL, false },
	{ "<", -1, NULL, false },
};

static void
check_row(size_t i, const char *p, size_t len)
{
	struct smtp_path path;
	const char *errstr = NULL;
	char out[SMTP_PATH_MAX + 1];
	int used;

	used = smtp_path_parse(p, len, &path, &errstr);
	if (rows[i].used < 0) {
		assert_int_equal(used, -1);
		assert_non_null(errstr);
		return;
	}
	assert_int_equal(used, rows[i].used);
	assert_int_equal(path.is_null, rows[i].is_null);
	smtp_path_str(&path, out, sizeof(out));
	assert_string_equal(out, rows[i].addr);
}

static void
test_paths(void **state)
{
	size_t i, len;
	char *copy;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = strlen(rows[i].in);
		check_row(i, rows[i].in, len);
		/* Again from a copy with no terminating NUL. */
		copy = malloc(len ? len : 1);
		memcpy(copy, rows[i].in, len);
		check_row(i, copy, len);
		free(copy);
	}
}

static void
test_too_long(void **state)
{
	struct smtp_path path;
	const char *errstr;
	char p[600];

	(void)state;
	/* A local part of 65 octets is over RFC 5321 4.5.3.1.1 only when
	 * counted with quotes; 200 is over every limit. */
	memset(p, 'a', sizeof(p));
	p[0] = '<';
	memcpy(p + 201, "@x.org>", 7);
	assert_int_equal(smtp_path_parse(p, 208, &path, &errstr), -1);
	/* A domain over 255 octets. */
	memset(p, 'a', sizeof(p));
	memcpy(p, "<u@", 3);
	p[300] = '>';
	assert_int_equal(smtp_path_parse(p, 301, &path, &errstr), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
