/* Unit tests: src/lib/session.c, over a socketpair and a real event loop.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/conn.h"
#include "lib/session.h"

/* The results of conn_readline(), in order: 1 a line, -1 too long. */
struct probe {
	int	results[4];
	int	n;
};

static void
probe_input(struct conn *c, void *arg)
{
	struct probe *p = arg;
	const char *line;
	size_t len;
	bool crlf;
	int r;

	while ((r = conn_readline(c, &line, &len, &crlf)) != 0)
		if (p->n < 4)
			p->results[p->n++] = r;
}

static const struct conn_cb probe_cb = {
	.input = probe_input,
};

static void
test_open_and_drop(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct event_base *base = event_base_new();
	struct probe p = { { 0 }, 0 };
	struct conn *c;
	bool is_gone = false;
	int sv[2], i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = session_conn_open("test", "abc", base, sv[0],
	    (struct sockaddr *)&ss, sizeof(sa_family_t), NULL, &probe_cb, &p,
	    8, 60);
	assert_non_null(c);
	/* The line limit counts the line end: "12345\r\n" fits in 8. */
	assert_int_equal(write(sv[1], "12345\r\n123456789\r\n", 18), 18);
	for (i = 0; i < 20 && p.n < 2; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(p.n, 2);
	assert_int_equal(p.results[0], 1);
	assert_int_equal(p.results[1], -1);
	session_conn_drop(&c, &is_gone);
	assert_null(c);
	assert_true(is_gone);
	close(sv[1]);
	event_base_free(base);
}

static void
test_end_reason(void **state)
{
	(void)state;
	assert_string_equal(session_end_reason(CONN_END_TIMEOUT), "timeout");
	assert_string_equal(session_end_reason(CONN_END_EOF), "eof");
	assert_string_equal(session_end_reason(CONN_END_ERROR), "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_drop),
		cmocka_unit_test(test_end_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
