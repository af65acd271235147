/* Unit tests: login throttling (src/auth/throttle.c): growing delays and
 * refusal per client address (IPv4 and IPv6), limits per account in any
 * case, windows that pass, successes that clear, and a table that stays
 * bounded under many keys.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth/auth.h"

static const struct sockaddr *
addr4(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return (const struct sockaddr *)ss;
}

static const struct sockaddr *
addr6(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	return (const struct sockaddr *)ss;
}

static void
test_address(void **state)
{
	static const unsigned delays[] = { 1, 2, 4, 8, 16, 16, 16, 16, 16, 16 };
	struct sockaddr_storage a, b;
	const struct sockaddr *pa = addr4(&a, "192.0.2.1");
	const struct sockaddr *pb = addr4(&b, "192.0.2.2");
	size_t i;

	(void)state;
	assert_int_equal(auth_throttle_delay(pa), 0);
	assert_false(auth_throttle_is_blocked(pa));
	for (i = 0; i < AUTH_THROTTLE_ADDR_BLOCK; i++) {
		assert_false(auth_throttle_is_blocked(pa));
		auth_throttle_failed(pa);
		assert_int_equal(auth_throttle_delay(pa), delays[i]);
	}
	assert_true(auth_throttle_is_blocked(pa));
	assert_false(auth_throttle_is_blocked(pb));
	assert_int_equal(auth_throttle_delay(pb), 0);
	auth_throttle_succeeded(pa);
	assert_false(auth_throttle_is_blocked(pa));
	assert_int_equal(auth_throttle_delay(pa), 0);
}

/* An IPv4 client seen over an IPv6 socket is the same client. */
static void
test_address_mapped(void **state)
{
	struct sockaddr_storage a, b, c;
	const struct sockaddr *v4 = addr4(&a, "198.51.100.7");
	const struct sockaddr *mapped = addr6(&b, "::ffff:198.51.100.7");
	const struct sockaddr *v6 = addr6(&c, "2001:db8::7");
	struct sockaddr unix_sa;

	(void)state;
	auth_throttle_failed(v4);
	auth_throttle_failed(mapped);
	assert_int_equal(auth_throttle_delay(v4), 2);
	assert_int_equal(auth_throttle_delay(v6), 0);
	auth_throttle_failed(v6);
	assert_int_equal(auth_throttle_delay(v6), 1);
	auth_throttle_succeeded(mapped);
	assert_int_equal(auth_throttle_delay(v4), 0);
	/* Other families are not throttled. */
	memset(&unix_sa, 0, sizeof(unix_sa));
	unix_sa.sa_family = AF_UNIX;
	auth_throttle_failed(&unix_sa);
	assert_int_equal(auth_throttle_delay(&unix_sa), 0);
	assert_false(auth_throttle_is_blocked(&unix_sa));
}

static void
test_account(void **state)
{
	time_t t = 100000;
	int i;

	(void)state;
	auth_throttle_account_limits(3, 60);
	for (i = 0; i < 3; i++) {
		assert_int_equal(auth_throttle_account_wait("a@x", t), 0);
		auth_throttle_account_failed("a@x", t);
	}
	/* Locked however it is typed; others are not. */
	assert_int_equal(auth_throttle_account_wait("a@x", t), 61);
	assert_int_equal(auth_throttle_account_wait("A@X", t + 10), 51);
	assert_int_equal(auth_throttle_account_wait("b@x", t), 0);
	/* The window passes. */
	assert_int_equal(auth_throttle_account_wait("a@x", t + 60), 1);
	assert_int_equal(auth_throttle_account_wait("a@x", t + 61), 0);
	/* Failures further apart than the window do not add up. */
	auth_throttle_account_failed("c@x", t);
	auth_throttle_account_failed("c@x", t + 100);
	auth_throttle_account_failed("c@x", t + 200);
	assert_int_equal(auth_throttle_account_wait("c@x", t + 200), 0);
	/* A success clears the account. */
	auth_throttle_account_failed("d@x", t);
	auth_throttle_account_failed("d@x", t);
	auth_throttle_account_succeeded("D@x", t);
	auth_throttle_account_failed("d@x", t);
	assert_int_equal(auth_throttle_account_wait("d@x", t), 0);
	auth_throttle_account_limits(AUTH_THROTTLE_ACCOUNT_MAX,
	    AUTH_THROTTLE_ACCOUNT_WINDOW);
}

/* Far more keys than the table holds: it forgets the oldest, and a
 * fresh account is still counted. */
static void
test_account_many(void **state)
{
	char user[AUTH_USER_MAX + 40];
	time_t t = 200000;
	int i;

	(void)state;
	auth_throttle_account_limits(2, 600);
	for (i = 0; i < 50000; i++) {
		snprintf(user, sizeof(user), "u%d@example.org", i);
		auth_throttle_account_failed(user, t + i / 100);
	}
	auth_throttle_account_failed("victim@example.org", t + 600);
	auth_throttle_account_failed("victim@example.org", t + 600);
	assert_true(auth_throttle_account_wait("victim@example.org",
	    t + 600) > 0);
	/* A very long name is cut, not refused. */
	memset(user, 'x', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_int_equal(auth_throttle_account_wait(user, t), 0);
	auth_throttle_account_limits(AUTH_THROTTLE_ACCOUNT_MAX,
	    AUTH_THROTTLE_ACCOUNT_WINDOW);
}

/* What a sign-in checks and records: the address and the account
 * together. */
static void
test_both(void **state)
{
	struct sockaddr_storage a, b;
	const struct sockaddr *pa = addr4(&a, "192.0.2.10");
	const struct sockaddr *pb = addr4(&b, "192.0.2.11");
	int i;

	(void)state;
	auth_throttle_account_limits(2, 60);
	assert_int_equal(auth_throttle_wait(pa, "e@x"), 0);
	auth_throttle_outcome(pa, "e@x", false);
	auth_throttle_outcome(pb, "e@x", false);
	/* The account is locked from any address, the addresses are not. */
	assert_true(auth_throttle_wait(pb, "e@x") > 0);
	assert_true(auth_throttle_wait(addr4(&b, "192.0.2.12"), "E@x") > 0);
	assert_int_equal(auth_throttle_wait(pa, "f@x"), 0);
	assert_int_equal(auth_throttle_delay(pa), 1);
	/* A success clears the address and the account. */
	auth_throttle_outcome(pa, "f@x", false);
	auth_throttle_outcome(pa, "f@x", true);
	assert_int_equal(auth_throttle_delay(pa), 0);
	assert_int_equal(auth_throttle_wait(pa, "f@x"), 0);
	/* A blocked address waits the address window, whatever the account. */
	auth_throttle_account_limits(1000, 60);
	for (i = 0; i < AUTH_THROTTLE_ADDR_BLOCK; i++)
		auth_throttle_outcome(pa, "g@x", false);
	assert_int_equal(auth_throttle_wait(pa, "h@x"),
	    AUTH_THROTTLE_ADDR_WINDOW);
	auth_throttle_succeeded(pa);
	auth_throttle_account_limits(AUTH_THROTTLE_ACCOUNT_MAX,
	    AUTH_THROTTLE_ACCOUNT_WINDOW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_address_mapped),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_account_many),
		cmocka_unit_test(test_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
