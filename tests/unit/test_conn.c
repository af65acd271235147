/* Unit tests: src/lib/conn.c, over a socketpair and a real event loop.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/buf.h"
#include "lib/conn.h"

struct probe {
	struct conn	*c;
	struct buf	 lines;		/* "line|crlf\n" or "TOO-LONG\n" */
	int		 inputs;
	int		 ends;
	enum conn_end	 why;
	int		 closed;
	bool		 read_lines;
};

static void
probe_input(struct conn *c, void *arg)
{
	struct probe *p = arg;
	const char *line;
	size_t len;
	bool crlf;
	int r;

	p->inputs++;
	if (!p->read_lines)
		return;
	while ((r = conn_readline(c, &line, &len, &crlf)) != 0) {
		if (r < 0) {
			buf_adds(&p->lines, "TOO-LONG\n");
			continue;
		}
		buf_add(&p->lines, line, len);
		buf_adds(&p->lines, crlf ? "|crlf\n" : "|lf\n");
	}
}

static void
probe_end(struct conn *c, void *arg, enum conn_end why)
{
	struct probe *p = arg;

	p->ends++;
	p->why = why;
	conn_free(c);
	p->c = NULL;
}

static void
probe_closed(struct conn *c, void *arg)
{
	struct probe *p = arg;

	p->closed++;
	conn_free(c);
	p->c = NULL;
}

static const struct conn_cb probe_cb = {
	.input = probe_input,
	.end = probe_end,
	.closed = probe_closed,
};

struct fixture {
	struct event_base	*base;
	int			 peer;
	struct probe		 probe;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->base = event_base_new();
	f->peer = sv[1];
	f->probe.read_lines = true;
	f->probe.c = conn_new(f->base, sv[0], (struct sockaddr *)&ss,
	    sizeof(sa_family_t), NULL, 0, NULL, &probe_cb, &f->probe);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	conn_free(f->probe.c);
	close(f->peer);
	buf_free(&f->probe.lines);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
spin(struct fixture *f)
{
	int i;

	for (i = 0; i < 20; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	usleep(1000);
	for (i = 0; i < 20; i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static void
send_str(struct fixture *f, const char *s)
{
	assert_int_equal(write(f->peer, s, strlen(s)), (ssize_t)strlen(s));
	spin(f);
}

static void
test_lines(void **state)
{
	struct fixture *f = *state;

	send_str(f, "HELO a\r\nfoo\nbar");
	assert_string_equal(buf_cstr(&f->probe.lines),
	    "HELO a|crlf\nfoo|lf\n");
	send_str(f, "\r\n\r\n");
	assert_string_equal(buf_cstr(&f->probe.lines),
	    "HELO a|crlf\nfoo|lf\nbar|crlf\n|crlf\n");
}

static void
test_too_long(void **state)
{
	struct fixture *f = *state;

	conn_set_max_line(f->probe.c, 10);
	/* 8 octets and CRLF fit; 9 and CRLF do not. */
	send_str(f, "12345678\r\n123456789\r\nok\r\n");
	assert_string_equal(buf_cstr(&f->probe.lines),
	    "12345678|crlf\nTOO-LONG\nok|crlf\n");
	/* An over-long line that arrives in pieces is reported once. */
	buf_reset(&f->probe.lines);
	send_str(f, "abcdefghijkl");
	send_str(f, "mnopqrstuvwxyz");
	send_str(f, "still the same line\r\nnext\r\n");
	assert_string_equal(buf_cstr(&f->probe.lines), "TOO-LONG\nnext|crlf\n");
}

static void
test_pause_resume(void **state)
{
	struct fixture *f = *state;

	conn_pause(f->probe.c);
	send_str(f, "one\r\ntwo\r\n");
	assert_string_equal(buf_cstr(&f->probe.lines), "");
	conn_resume(f->probe.c);
	spin(f);
	assert_string_equal(buf_cstr(&f->probe.lines),
	    "one|crlf\ntwo|crlf\n");
}

static void
test_close_after_flush(void **state)
{
	struct fixture *f = *state;
	char got[64];
	ssize_t n;

	conn_printf(f->probe.c, "221 %s\r\n", "bye");
	conn_close_after_flush(f->probe.c);
	spin(f);
	assert_int_equal(f->probe.closed, 1);
	assert_int_equal(f->probe.ends, 0);
	n = read(f->peer, got, sizeof(got));
	assert_int_equal(n, 9);
	assert_memory_equal(got, "221 bye\r\n", 9);
	assert_int_equal(read(f->peer, got, sizeof(got)), 0);	/* EOF */
}

static void
test_peer_eof(void **state)
{
	struct fixture *f = *state;

	shutdown(f->peer, SHUT_WR);
	spin(f);
	assert_int_equal(f->probe.ends, 1);
	assert_int_equal(f->probe.why, CONN_END_EOF);
}

static void
test_active_count(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conn_active(), 1);
	conn_free(f->probe.c);
	f->probe.c = NULL;
	assert_int_equal(conn_active(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_after_flush, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peer_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_count, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
