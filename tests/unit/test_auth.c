/* Tests for password hashes (src/auth/password.c): yescrypt hashes, bcrypt
 * accepted, malformed hashes refused, the dummy check and the
 * constant-time comparison.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth/auth.h"

/* "secret" with bcrypt, cost 4, as another system would have made it. */
#define BCRYPT_SECRET \
	"$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW"

static void
test_hash_yescrypt(void **state)
{
	const char *errstr = "unset";
	char *h1, *h2;

	(void)state;
	h1 = auth_password_hash("correct horse", &errstr);
	assert_non_null(h1);
	assert_null(errstr);
	assert_memory_equal(h1, "$y$", 3);
	h2 = auth_password_hash("correct horse", &errstr);
	assert_non_null(h2);
	assert_string_not_equal(h1, h2);	/* fresh salt each time */
	assert_true(auth_password_check("correct horse", h1));
	assert_true(auth_password_check("correct horse", h2));
	assert_false(auth_password_check("correct horsE", h1));
	assert_false(auth_password_check("correct horse ", h1));
	assert_false(auth_password_check("", h1));
	assert_false(auth_password_check(NULL, h1));
	free(h1);
	free(h2);
}

static void
test_hash_refused(void **state)
{
	char long_pw[AUTH_PASSWORD_MAX + 2];
	const char *errstr;

	(void)state;
	assert_null(auth_password_hash("", &errstr));
	assert_string_equal(errstr, "empty password");
	assert_null(auth_password_hash(NULL, &errstr));
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_null(auth_password_hash(long_pw, &errstr));
	assert_string_equal(errstr, "password too long");
}

static void
test_check_bcrypt(void **state)
{
	(void)state;
	assert_true(auth_password_check("secret", BCRYPT_SECRET));
	assert_false(auth_password_check("Secret", BCRYPT_SECRET));
}

static const char *const bad_hashes[] = {
	"",
	"*",
	"!",
	"secret",
	"$1$abcdefgh$ZcG4ZtbA2hWk3.qqFJCh01",		/* MD5-crypt */
	("$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9Y"
	    "terLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"),	/* SHA-512 */
	"$y$",
	"$y$j9T$",
	"$2b$04$short",
	"$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIr",
};

static void
test_check_bad_hashes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_hashes) / sizeof(*bad_hashes); i++) {
		assert_false(auth_password_check("secret", bad_hashes[i]));
		assert_false(auth_password_check("", bad_hashes[i]));
	}
	assert_false(auth_password_check("secret", NULL));
}

/* The CPU time of fn, the least of three runs: this thread's CPU clock
 * does not count the time other processes take the core, so a loaded
 * machine does not skew the comparison. */
static double
seconds_of(bool (*fn)(const char *, const char *), const char *pw,
    const char *hash)
{
	struct timespec a, b;
	double t, best = 1e9;
	int i;

	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		(void)fn(pw, hash);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		t = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t < best)
			best = t;
	}
	return best;
}

static bool
dummy_fn(const char *pw, const char *hash)
{
	(void)hash;
	return auth_password_check_dummy(pw);
}

static void
test_dummy_costs_like_real(void **state)
{
	const char *errstr;
	double real, dummy, bad;
	char *h;

	(void)state;
	h = auth_password_hash("pw", &errstr);
	assert_non_null(h);
	assert_false(auth_password_check_dummy("pw"));
	assert_false(auth_password_check_dummy(NULL));
	/* Warm up, then compare: the dummy and a malformed hash must cost
	 * about as much as a real check (a generous factor: this is a
	 * smoke test, not a timing attack). */
	(void)seconds_of(auth_password_check, "pw", h);
	real = seconds_of(auth_password_check, "pw", h);
	dummy = seconds_of(dummy_fn, "pw", NULL);
	bad = seconds_of(auth_password_check, "pw", "garbage");
	assert_true(dummy > real / 4 && dummy < real * 4);
	assert_true(bad > real / 4 && bad < real * 4);
	free(h);
}

static const struct {
	const char	*a;
	const char	*b;
	bool		 is_equal;
} ct_table[] = {
	{ "",		"",		true },
	{ "abc",	"abc",		true },
	{ "abc",	"abd",		false },
	{ "abc",	"ab",		false },
	{ "ab",		"abc",		false },
	{ "\x80z",	"\x80z",	true },
	{ "a",		"",		false },
};

static void
test_equal_ct(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ct_table) / sizeof(*ct_table); i++)
		assert_int_equal(auth_equal_ct(ct_table[i].a,
		    strlen(ct_table[i].a), ct_table[i].b,
		    strlen(ct_table[i].b)), ct_table[i].is_equal);
	/* Bytes after a NUL count too. */
	assert_false(auth_equal_ct("a\0b", 3, "a\0c", 3));
	assert_true(auth_equal_ct("a\0b", 3, "a\0b", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_yescrypt),
		cmocka_unit_test(test_hash_refused),
		cmocka_unit_test(test_check_bcrypt),
		cmocka_unit_test(test_check_bad_hashes),
		cmocka_unit_test(test_dummy_costs_like_real),
		cmocka_unit_test(test_equal_ct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
