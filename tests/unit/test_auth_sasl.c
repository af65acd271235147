/* Unit tests: src/auth/sasl.c (PLAIN, LOGIN) and src/auth/throttle.c.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth.h"

static const struct {
	const char		*resp;	/* base64 as sent; NULL: none */
	enum auth_sasl_result	 want;
	const char		*user, *password;
} plain_rows[] = {
	/* "\0u@x\0pw" */
	{ "AHVAeABwdw==", AUTH_SASL_DONE, "u@x", "pw" },
	/* "u@x\0u@x\0pw": authzid equal to the user is fine */
	{ "dUB4AHVAeABwdw==", AUTH_SASL_DONE, "u@x", "pw" },
	/* "v@x\0u@x\0pw": acting for another user is not */
	{ "dkB4AHVAeABwdw==", AUTH_SASL_BAD, NULL, NULL },
	/* "\0u@x" only one NUL */
	{ "AHVAeA==", AUTH_SASL_BAD, NULL, NULL },
	/* "\0\0pw": empty user */
	{ "AABwdw==", AUTH_SASL_BAD, NULL, NULL },
	{ "not base64!", AUTH_SASL_BAD, NULL, NULL },
	{ "=", AUTH_SASL_BAD, NULL, NULL },
	{ "*", AUTH_SASL_CANCEL, NULL, NULL },
};

static void
test_plain(void **state)
{
	struct auth_sasl sasl;
	const char *ch, *errstr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(plain_rows) / sizeof(plain_rows[0]); i++) {
		auth_sasl_init(&sasl, AUTH_SASL_PLAIN);
		assert_int_equal(auth_sasl_step(&sasl, plain_rows[i].resp,
		    strlen(plain_rows[i].resp), &ch, &errstr),
		    plain_rows[i].want);
		if (plain_rows[i].want == AUTH_SASL_DONE) {
			assert_string_equal(sasl.user, plain_rows[i].user);
			assert_string_equal(sasl.password,
			    plain_rows[i].password);
		}
		auth_sasl_fini(&sasl);
	}
	/* Without an initial response: an empty challenge first. */
	auth_sasl_init(&sasl, AUTH_SASL_PLAIN);
	assert_int_equal(auth_sasl_step(&sasl, NULL, 0, &ch, &errstr),
	    AUTH_SASL_CONTINUE);
	assert_string_equal(ch, "");
	assert_int_equal(auth_sasl_step(&sasl, "AHVAeABwdw==", 12, &ch,
	    &errstr), AUTH_SASL_DONE);
	auth_sasl_fini(&sasl);
}

static void
test_login(void **state)
{
	struct auth_sasl sasl, *heap;
	const char *ch, *errstr;
	enum auth_sasl_mech mech;

	(void)state;
	assert_int_equal(auth_sasl_mech_find("login", 5, &mech), 0);
	assert_int_equal(mech, AUTH_SASL_LOGIN);
	assert_int_equal(auth_sasl_mech_find("CRAM-MD5", 8, &mech), -1);
	auth_sasl_init(&sasl, AUTH_SASL_LOGIN);
	assert_int_equal(auth_sasl_step(&sasl, NULL, 0, &ch, &errstr),
	    AUTH_SASL_CONTINUE);
	assert_string_equal(ch, "VXNlcm5hbWU6");
	assert_int_equal(auth_sasl_step(&sasl, "dUB4", 4, &ch, &errstr),
	    AUTH_SASL_CONTINUE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");
	assert_int_equal(auth_sasl_step(&sasl, "cHc=", 4, &ch, &errstr),
	    AUTH_SASL_DONE);
	assert_string_equal(sasl.user, "u@x");
	assert_string_equal(sasl.password, "pw");
	auth_sasl_fini(&sasl);
	/* The user name as the initial response (SASL-IR), on the heap as
	 * the sessions keep it. */
	heap = auth_sasl_new(AUTH_SASL_LOGIN);
	assert_int_equal(heap->mech, AUTH_SASL_LOGIN);
	assert_int_equal(auth_sasl_step(heap, "dUB4", 4, &ch, &errstr),
	    AUTH_SASL_CONTINUE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");
	assert_int_equal(auth_sasl_step(heap, "*", 1, &ch, &errstr),
	    AUTH_SASL_CANCEL);
	auth_sasl_free(heap);
	auth_sasl_free(NULL);
}

static void
test_throttle(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in b = { .sin_family = AF_INET };
	int i;

	(void)state;
	a.sin_addr.s_addr = htonl(0x0a000001);
	b.sin_addr.s_addr = htonl(0x0a000002);
	assert_int_equal(auth_throttle_delay((struct sockaddr *)&a), 0);
	auth_throttle_failed((struct sockaddr *)&a);
	assert_int_equal(auth_throttle_delay((struct sockaddr *)&a), 1);
	auth_throttle_failed((struct sockaddr *)&a);
	assert_int_equal(auth_throttle_delay((struct sockaddr *)&a), 2);
	for (i = 0; i < 7; i++)
		auth_throttle_failed((struct sockaddr *)&a);
	assert_int_equal(auth_throttle_delay((struct sockaddr *)&a), 16);
	assert_false(auth_throttle_is_blocked((struct sockaddr *)&a));
	auth_throttle_failed((struct sockaddr *)&a);
	assert_true(auth_throttle_is_blocked((struct sockaddr *)&a));
	/* Another address is not affected; success clears. */
	assert_false(auth_throttle_is_blocked((struct sockaddr *)&b));
	auth_throttle_succeeded((struct sockaddr *)&a);
	assert_false(auth_throttle_is_blocked((struct sockaddr *)&a));
	assert_int_equal(auth_throttle_delay((struct sockaddr *)&a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_throttle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
