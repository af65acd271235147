/* Unit tests: src/lib/str.c
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/str.h"

static void
test_copy(void **state)
{
	char small[4];

	(void)state;
	assert_true(str_copy(small, "abc", sizeof(small)));
	assert_string_equal(small, "abc");
	assert_false(str_copy(small, "abcd", sizeof(small)));
	assert_string_equal(small, "abc");
	assert_false(str_copy(small, "x", 0));
}

static const struct {
	const char	*in;
	uint64_t	 min, max, want;
	bool		 ok;
} uint_rows[] = {
	{ "0", 0, 10, 0, true },
	{ "10", 0, 10, 10, true },
	{ "11", 0, 10, 0, false },
	{ "5", 6, 10, 0, false },
	{ "", 0, 10, 0, false },
	{ "1x", 0, 10, 0, false },
	{ "-1", 0, 10, 0, false },
	{ " 1", 0, 10, 0, false },
	{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, true },
	{ "18446744073709551616", 0, UINT64_MAX, 0, false },
};

static void
test_to_uint(void **state)
{
	const char *errstr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uint_rows) / sizeof(uint_rows[0]); i++) {
		uint64_t v = str_to_uint(uint_rows[i].in, uint_rows[i].min,
		    uint_rows[i].max, &errstr);
		char *copy;

		assert_int_equal(errstr == NULL, uint_rows[i].ok);
		assert_true(v == uint_rows[i].want);
		/* The same without a terminating NUL. */
		copy = malloc(strlen(uint_rows[i].in) + 1);
		memcpy(copy, uint_rows[i].in, strlen(uint_rows[i].in));
		v = str_to_uint_n(copy, strlen(uint_rows[i].in),
		    uint_rows[i].min, uint_rows[i].max, &errstr);
		assert_int_equal(errstr == NULL, uint_rows[i].ok);
		assert_true(v == uint_rows[i].want);
		free(copy);
	}
}

static void
test_case_helpers(void **state)
{
	const char *p = "  Hello World \t";
	size_t len = strlen(p);
	char s[] = "MiXeD";

	(void)state;
	assert_true(str_ieq("HELO", 4, "helo"));
	assert_false(str_ieq("HEL", 3, "helo"));
	assert_false(str_ieq("HELOX", 5, "helo"));
	assert_true(str_iprefix("from:<a>", 8, "FROM:"));
	assert_false(str_iprefix("fro", 3, "FROM:"));
	str_trim(&p, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(p, "Hello World", 11);
	str_lower(s);
	assert_string_equal(s, "mixed");
	assert_null(str_chr("abc", 3, 'd'));
	assert_null(str_chr("abc", 0, 'a'));
	assert_non_null(str_chr("abc", 3, 'c'));
}

static void
test_random_hex(void **state)
{
	char a[17], b[17];
	size_t i;

	(void)state;
	str_random_hex(a, 8);
	str_random_hex(b, 8);
	assert_int_equal(strlen(a), 16);
	for (i = 0; i < 16; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_to_uint),
		cmocka_unit_test(test_case_helpers),
		cmocka_unit_test(test_random_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
