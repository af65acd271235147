/* Unit tests: src/store/alias.c, aliases, catch-alls and the resolution of
 * recipients.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/iopool.h"
#include "store/store.h"
#include "store_loc.h"

struct fx {
	char		 dir[64];
	struct iopool	*pool;
	struct store	*st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *err = NULL, *loc;

	snprintf(f->dir, sizeof(f->dir), "/tmp/petrel-alias-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->pool = iopool_new(1);
	loc = test_store_location(f->dir);
	f->st = store_open(loc, f->pool, &err);
	free(loc);
	assert_non_null(f->st);
	assert_int_equal(store_domain_add(f->st, "example.test", &err), 0);
	assert_int_equal(store_domain_add(f->st, "other.test", &err), 0);
	assert_int_equal(store_user_add(f->st, "a@example.test", "pw", &err),
	    0);
	assert_int_equal(store_user_add(f->st, "b@example.test", "pw", &err),
	    0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	iopool_free(f->pool);
	test_rm_tree(f->dir);
	free(f);
	return 0;
}

/* Resolve and compare with the expected targets, space-separated. */
static void
expect(struct store *st, const char *address, const char *want)
{
	char **t, got[512] = "";
	size_t n, i;
	int r;

	r = store_rcpt_resolve(st, address, &t, &n);
	assert_int_not_equal(r, -1);
	for (i = 0; i < n; i++) {
		strcat(got, i ? " " : "");
		strcat(got, t[i]);
	}
	store_strings_free(t, n);
	assert_string_equal(got, want);
	assert_int_equal(r, want[0] != '\0');
}

static void
test_accounts_and_tags(void **state)
{
	struct fx *f = *state;

	expect(f->st, "a@example.test", "a@example.test");
	expect(f->st, "A@Example.TEST", "a@example.test");
	expect(f->st, "a+news@example.test", "a@example.test");
	expect(f->st, "nobody@example.test", "");
	expect(f->st, "+x@example.test", "");
	expect(f->st, "not an address", "");
}

static void
test_aliases(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	assert_int_equal(store_alias_add(f->st, "team@example.test",
	    "a@example.test", &err), 0);
	assert_int_equal(store_alias_add(f->st, "team@example.test",
	    "b@example.test", &err), 0);
	assert_int_equal(store_alias_add(f->st, "boss@example.test",
	    "team@example.test", &err), 0);
	assert_int_equal(store_alias_add(f->st, "out@example.test",
	    "x@far.example", &err), 0);
	expect(f->st, "team@example.test", "a@example.test b@example.test");
	expect(f->st, "boss@example.test", "a@example.test b@example.test");
	expect(f->st, "out@example.test", "x@far.example");
	expect(f->st, "team+x@example.test", "a@example.test b@example.test");
	/* Duplicates, bad input and unknown domains change nothing. */
	assert_int_equal(store_alias_add(f->st, "team@example.test",
	    "a@example.test", &err), -1);
	assert_non_null(strstr(err, "exists"));
	free(err);
	assert_int_equal(store_alias_add(f->st, "x@nowhere.test",
	    "a@example.test", &err), -1);
	assert_non_null(strstr(err, "no domain"));
	free(err);
	assert_int_equal(store_alias_add(f->st, "bad address",
	    "a@example.test", &err), -1);
	free(err);
	assert_int_equal(store_alias_add(f->st, "me@example.test",
	    "me@example.test", &err), -1);
	free(err);
	expect(f->st, "me@example.test", "");
	/* Removal of one target, then of all. */
	assert_int_equal(store_alias_del(f->st, "team@example.test",
	    "a@example.test", &err), 0);
	expect(f->st, "boss@example.test", "b@example.test");
	assert_int_equal(store_alias_del(f->st, "team@example.test", NULL,
	    &err), 0);
	expect(f->st, "team@example.test", "");
	assert_int_equal(store_alias_del(f->st, "team@example.test", NULL,
	    &err), -1);
	free(err);
}

static void
test_catchall_and_loops(void **state)
{
	struct fx *f = *state;
	char **lines, *err = NULL;
	size_t n;

	assert_int_equal(store_alias_add(f->st, "@example.test",
	    "b@example.test", &err), 0);
	expect(f->st, "anything@example.test", "b@example.test");
	expect(f->st, "a@example.test", "a@example.test");
	expect(f->st, "anything@other.test", "");
	/* A loop ends at the depth limit and goes nowhere. */
	assert_int_equal(store_alias_add(f->st, "l1@other.test",
	    "l2@other.test", &err), 0);
	assert_int_equal(store_alias_add(f->st, "l2@other.test",
	    "l1@other.test", &err), 0);
	expect(f->st, "l1@other.test", "");
	assert_int_equal(store_alias_list(f->st, "other.test", &lines, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "l1@other.test l2@other.test");
	store_strings_free(lines, n);
	assert_int_equal(store_alias_list(f->st, NULL, &lines, &n), 0);
	assert_int_equal(n, 3);
	store_strings_free(lines, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accounts_and_tags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchall_and_loops, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
