/* Unit tests: src/lib/session.c, over a socketpair and a real event loop.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/conn.h"
#include "lib/session.h"

/* Input stays in the conn for the test to read; count the calls. */
static void
count_input(struct conn *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
}

static const struct conn_cb counting_cb = {
	.input = count_input,
};

/* A conn opened with a line limit and a timeout, read, then dropped as
 * when a callback still holds the session; and the end reasons. */
static void
test_session_conn(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct event_base *base = event_base_new();
	struct conn *c;
	const char *line;
	size_t len;
	bool crlf, is_gone = false;
	int sv[2], inputs = 0, i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = session_conn_open("test", "abc", base, sv[0],
	    (struct sockaddr *)&ss, sizeof(sa_family_t), NULL, &counting_cb,
	    &inputs, 8, 60);
	assert_non_null(c);
	/* The line limit counts the line end: "12345\r\n" fits in 8. */
	assert_int_equal(write(sv[1], "12345\r\n123456789\r\n", 18), 18);
	for (i = 0; i < 100 && inputs == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(inputs > 0);
	assert_int_equal(conn_readline(c, &line, &len, &crlf), 1);
	assert_int_equal(len, 5);
	assert_int_equal(conn_readline(c, &line, &len, &crlf), -1);
	session_conn_drop(&c, &is_gone);
	assert_null(c);
	assert_true(is_gone);
	close(sv[1]);
	event_base_free(base);

	assert_string_equal(session_end_reason(CONN_END_TIMEOUT), "timeout");
	assert_string_equal(session_end_reason(CONN_END_EOF), "eof");
	assert_string_equal(session_end_reason(CONN_END_ERROR), "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_conn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
