/* Unit tests: src/lib/buf.c
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

static void
test_add_and_cstr(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "hello");
	buf_addc(&b, ' ');
	buf_add(&b, "world!!", 5);
	assert_int_equal(b.len, 11);
	assert_string_equal(buf_cstr(&b), "hello world");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_addf_grows(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];
	size_t i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_addf(&b, "%d-%s", 42, "a");
	buf_addf(&b, "%s", big);
	assert_int_equal(b.len, 4 + sizeof(big) - 1);
	assert_memory_equal(b.data, "42-a", 4);
	for (i = 4; i < b.len; i++)
		assert_int_equal(b.data[i], 'x');
	buf_free(&b);
}

static void
test_binary_and_consume(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add(&b, "a\0b\0c", 5);
	assert_int_equal(b.len, 5);
	buf_consume(&b, 2);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "b\0c", 3);
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	buf_adds(&b, "abc");
	buf_truncate(&b, 1);
	assert_string_equal(buf_cstr(&b), "a");
	buf_reset(&b);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_release(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	buf_adds(&b, "owned");
	s = buf_release(&b);
	assert_string_equal(s, "owned");
	assert_null(b.data);
	free(s);
	/* Releasing an empty buffer still gives a string. */
	s = buf_release(&b);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_cstr),
		cmocka_unit_test(test_addf_grows),
		cmocka_unit_test(test_binary_and_consume),
		cmocka_unit_test(test_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
