/* Unit tests for src/lib/net.c: the listener list parser, addresses as text,
 * listening and connecting sockets on the loopback interface.
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/net.h"
#include "lib/xalloc.h"

/* The parsed list as text, "a, b", for comparison. */
static char *
list_text(const struct net_addr_list *list)
{
	struct buf b = BUF_INIT;
	char addr[NET_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < list->count; i++) {
		assert_int_equal(list->addrs[i].len,
		    list->addrs[i].ss.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		buf_addf(&b, "%s%s", i ? ", " : "", net_addr_str(
		    (const struct sockaddr *)&list->addrs[i].ss, addr,
		    sizeof(addr)));
	}
	return buf_release(&b);
}

/* Parse s from an exact-size heap copy, so that reading past the end is
 * caught by ASan; returns the list as text or "ERR: message". */
static char *
parse_copy(const char *s, size_t len)
{
	struct net_addr_list list;
	char *copy = xmalloc(len), *err = NULL, *text;

	memcpy(copy, s, len);
	if (net_listen_parse(copy, len, &list, &err) == -1) {
		assert_null(list.addrs);
		assert_int_equal(list.count, 0);
		text = xasprintf("ERR: %s", err);
		free(err);
	} else {
		text = list_text(&list);
		net_addr_list_fini(&list);
	}
	free(copy);
	return text;
}

/* Every prefix of s must parse or fail cleanly. */
static void
parse_prefixes(const char *s)
{
	size_t i;

	for (i = 0; i <= strlen(s); i++)
		free(parse_copy(s, i));
}

static const struct {
	const char	*in;
	const char	*out;
} good[] = {
	{ "", "" },
	{ "   \t ", "" },
	{ "127.0.0.1:2525", "127.0.0.1:2525" },
	{ "127.0.0.1:2525, [::1]:2525", "127.0.0.1:2525, [::1]:2525" },
	{ "127.0.0.1:2525,[::1]:2525", "127.0.0.1:2525, [::1]:2525" },
	{ " 127.0.0.1:25 ,\t[::1]:25 ", "127.0.0.1:25, [::1]:25" },
	{ "*:25", "0.0.0.0:25, [::]:25" },
	{ "*:587, 127.0.0.2:587", "0.0.0.0:587, [::]:587, 127.0.0.2:587" },
	{ "0.0.0.0:1", "0.0.0.0:1" },
	{ "[::]:65535", "[::]:65535" },
	{ "[2001:db8::1]:25", "[2001:db8::1]:25" },
	{ "[::ffff:192.0.2.1]:25", "[::ffff:192.0.2.1]:25" },
	{ "[fe80::1%lo]:25", "[fe80::1%lo]:25" },
	{ "192.0.2.1:025", "192.0.2.1:25" },
	{ "127.0.0.1:25, 127.0.0.1:26", "127.0.0.1:25, 127.0.0.1:26" },
};

static const struct {
	const char	*in;
	const char	*err;
} bad[] = {
	{ "127.0.0.1", "'127.0.0.1': missing port" },
	{ "127.0.0.1:", "'127.0.0.1:': port must be 1 to 65535" },
	{ "127.0.0.1:0", "'127.0.0.1:0': port must be 1 to 65535" },
	{ "127.0.0.1:65536", "'127.0.0.1:65536': port must be 1 to 65535" },
	{ "127.0.0.1:99999999999999999999999", "port must be 1 to 65535" },
	{ "127.0.0.1:-1", "port must be 1 to 65535" },
	{ "127.0.0.1:+25", "port must be 1 to 65535" },
	{ "127.0.0.1:2x", "port must be 1 to 65535" },
	{ "localhost:25", "'localhost:25': not an IP address (host names "
	    "are not allowed)" },
	{ "mail.example.org:25", "not an IP address" },
	{ "1.2.3:25", "not an IP address" },
	{ "1.2.3.4.5:25", "not an IP address" },
	{ "256.0.0.1:25", "not an IP address" },
	{ "0x7f.0.0.1:25", "not an IP address" },
	{ "garbage", "'garbage': missing port" },
	{ ":25", "':25': missing address (*:port means all addresses)" },
	{ "::1:25", "an IPv6 address needs brackets" },
	{ "[::1]", "'[::1]': missing port" },
	{ "[::1]25", "'[::1]25': missing port" },
	{ "[::1]:", "port must be 1 to 65535" },
	{ "[::1]:0", "port must be 1 to 65535" },
	{ "[::1:25", "'[::1:25': unclosed '['" },
	{ "[", "unclosed '['" },
	{ "[]:25", "not an IPv6 address" },
	{ "[127.0.0.1]:25", "not an IPv6 address" },
	{ "[fe80::1%nosuchif0]:25", "unknown interface" },
	{ "[::1]:25]", "port must be 1 to 65535" },
	{ "*", "missing port" },
	{ "*:", "port must be 1 to 65535" },
	{ "*:0", "port must be 1 to 65535" },
	{ "*:70000", "port must be 1 to 65535" },
	{ "127.0.0.1:25,", "empty entry in the list" },
	{ ",127.0.0.1:25", "empty entry in the list" },
	{ "127.0.0.1:25,,[::1]:25", "empty entry in the list" },
	{ "127.0.0.1:25 [::1]:25", "expected ',' between addresses" },
	{ "127.0.0.1:25, 127.0.0.1:25", "'127.0.0.1:25': address listed "
	    "twice" },
	{ "*:25, [::]:25", "'[::]:25': address listed twice" },
	{ "0.0.0.0:25, *:25", "'*:25': address listed twice" },
	{ "127.0.0.1:25, junk", "'junk': missing port" },
	{ "1111111111111111111111111111111111111111111111111111111111111111"
	    "1111:25", "'11111111111111111111111111111111111111111111111111"
	    "11111111111111...': not an IP address" },
};

static void
test_parse_good(void **state)
{
	size_t i;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		text = parse_copy(good[i].in, strlen(good[i].in));
		if (strcmp(text, good[i].out) != 0)
			fail_msg("'%s': got '%s', want '%s'", good[i].in,
			    text, good[i].out);
		free(text);
		parse_prefixes(good[i].in);
	}
}

static void
test_parse_bad(void **state)
{
	size_t i;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = parse_copy(bad[i].in, strlen(bad[i].in));
		if (strncmp(text, "ERR: ", 5) != 0 ||
		    strstr(text, bad[i].err) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].in, text,
			    bad[i].err);
		free(text);
		parse_prefixes(bad[i].in);
	}
}

/* An embedded NUL must not cut the address short. */
static void
test_parse_nul(void **state)
{
	static const char *const in[] = {
		"[::1\0junk]:25", "127.0.0.1\0:25", "127.0.0.1:25\0",
	};
	static const size_t len[] = { 13, 13, 13 };
	size_t i;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		text = parse_copy(in[i], len[i]);
		if (strstr(text, "ERR: ") != text)
			fail_msg("row %zu: got '%s'", i, text);
		free(text);
	}
}

static void
test_parse_wildcard_families(void **state)
{
	struct net_addr_list list;
	char *err;

	(void)state;
	assert_int_equal(net_listen_parse("*:25", 4, &list, &err), 0);
	assert_int_equal(list.count, 2);
	assert_int_equal(list.addrs[0].ss.ss_family, AF_INET);
	assert_int_equal(list.addrs[1].ss.ss_family, AF_INET6);
	assert_int_equal(net_addr_port((struct sockaddr *)&list.addrs[1].ss),
	    25);
	net_addr_list_fini(&list);
	assert_null(list.addrs);
	net_addr_list_fini(&list);
}

static void
sin_make(struct sockaddr_in *sin, const char *ip, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((in_port_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
sin6_make(struct sockaddr_in6 *sin6, const char *ip, int port)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((in_port_t)port);
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
}

static void
test_addr_text(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct sockaddr sa;
	char out[NET_ADDRSTRLEN], small[8];

	(void)state;
	sin_make(&sin, "192.0.2.1", 25);
	assert_string_equal(net_addr_str((struct sockaddr *)&sin, out,
	    sizeof(out)), "192.0.2.1:25");
	assert_string_equal(net_addr_host((struct sockaddr *)&sin, out,
	    sizeof(out)), "192.0.2.1");
	assert_string_equal(net_addr_literal((struct sockaddr *)&sin, out,
	    sizeof(out)), "[192.0.2.1]");
	assert_int_equal(net_addr_port((struct sockaddr *)&sin), 25);

	sin6_make(&sin6, "2001:db8::1", 587);
	assert_string_equal(net_addr_str((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[2001:db8::1]:587");
	assert_string_equal(net_addr_host((struct sockaddr *)&sin6, out,
	    sizeof(out)), "2001:db8::1");
	assert_string_equal(net_addr_literal((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[IPv6:2001:db8::1]");

	sin6_make(&sin6, "::ffff:192.0.2.7", 25);
	assert_string_equal(net_addr_literal((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[192.0.2.7]");

	sin6_make(&sin6, "fe80::1", 25);
	sin6.sin6_scope_id = if_nametoindex("lo");
	assert_string_equal(net_addr_str((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[fe80::1%lo]:25");
	assert_string_equal(net_addr_literal((struct sockaddr *)&sin6, out,
	    sizeof(out)), "[IPv6:fe80::1]");
	sin6.sin6_scope_id = 999999;
	assert_string_equal(net_addr_host((struct sockaddr *)&sin6, out,
	    sizeof(out)), "fe80::1%999999");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_string_equal(net_addr_str((struct sockaddr *)&sun, out,
	    sizeof(out)), "unix");
	assert_string_equal(net_addr_literal((struct sockaddr *)&sun, out,
	    sizeof(out)), "");
	assert_int_equal(net_addr_port((struct sockaddr *)&sun), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	assert_string_equal(net_addr_host(&sa, out, sizeof(out)), "unknown");

	sin_make(&sin, "192.0.2.1", 25);
	assert_string_equal(net_addr_str((struct sockaddr *)&sin, small,
	    sizeof(small)), "192.0.2");
}

static void
fd_check_flags(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, &len),
	    0);
	assert_int_not_equal(on, 0);
}

static void
wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	assert_int_equal(poll(&pfd, 1, 5000), 1);
}

/* Listen on ss with port 0, connect to the port the kernel chose, accept. */
static void
listen_connect(struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_storage bound, peer;
	socklen_t blen = sizeof(bound), plen = sizeof(peer);
	struct pollfd pfd;
	char *err = NULL;
	int lfd, cfd, afd;

	lfd = net_listen(ss, len, 16, &err);
	assert_null(err);
	assert_true(lfd >= 0);
	fd_check_flags(lfd);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&bound, &blen),
	    0);
	assert_int_not_equal(net_addr_port((struct sockaddr *)&bound), 0);

	cfd = net_connect_nonblock((struct sockaddr *)&bound, blen, NULL, 0,
	    &err);
	assert_null(err);
	assert_true(cfd >= 0);
	assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	wait_writable(cfd);
	assert_int_equal(net_connect_error(cfd), 0);

	pfd.fd = lfd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	afd = accept(lfd, (struct sockaddr *)&peer, &plen);
	assert_true(afd >= 0);
	assert_int_equal(peer.ss_family, ss->ss_family);
	close(afd);
	close(cfd);
	close(lfd);
}

static void
test_listen_connect_v4(void **state)
{
	struct sockaddr_storage ss;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	sin_make((struct sockaddr_in *)&ss, "127.0.0.1", 0);
	listen_connect(&ss, sizeof(struct sockaddr_in));
}

static bool
have_ipv6(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return false;
	sin6_make(&sin6, "::1", 0);
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

static void
test_listen_connect_v6(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int);
	int fd, on = 0;
	char *err = NULL;

	(void)state;
	if (!have_ipv6())
		skip();
	memset(&ss, 0, sizeof(ss));
	sin6_make((struct sockaddr_in6 *)&ss, "::1", 0);
	listen_connect(&ss, sizeof(struct sockaddr_in6));

	fd = net_listen(&ss, sizeof(struct sockaddr_in6), 4, &err);
	assert_true(fd >= 0);
	assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len),
	    0);
	assert_int_not_equal(on, 0);
	close(fd);
}

/* "*:port" binds both families on one port thanks to IPV6_V6ONLY. */
static void
test_listen_wildcard_both(void **state)
{
	struct sockaddr_storage ss;
	struct net_addr_list list;
	socklen_t len = sizeof(ss);
	char spec[32], *err = NULL;
	int fd4, fd6;

	(void)state;
	if (!have_ipv6())
		skip();
	memset(&ss, 0, sizeof(ss));
	sin_make((struct sockaddr_in *)&ss, "0.0.0.0", 0);
	fd4 = net_listen(&ss, sizeof(struct sockaddr_in), 4, &err);
	assert_true(fd4 >= 0);
	assert_int_equal(getsockname(fd4, (struct sockaddr *)&ss, &len), 0);
	close(fd4);
	snprintf(spec, sizeof(spec), "*:%d",
	    net_addr_port((struct sockaddr *)&ss));
	assert_int_equal(net_listen_parse(spec, strlen(spec), &list, &err),
	    0);
	fd4 = net_listen(&list.addrs[0].ss, list.addrs[0].len, 4, &err);
	assert_null(err);
	fd6 = net_listen(&list.addrs[1].ss, list.addrs[1].len, 4, &err);
	assert_null(err);
	assert_true(fd4 >= 0 && fd6 >= 0);
	close(fd4);
	close(fd6);
	net_addr_list_fini(&list);
}

static void
test_listen_errors(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char want[128], *err = NULL;
	int fd;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	sin_make((struct sockaddr_in *)&ss, "127.0.0.1", 0);
	fd = net_listen(&ss, sizeof(struct sockaddr_in), 4, &err);
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(net_listen(&ss, len, 4, &err), -1);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%d: %s",
	    net_addr_port((struct sockaddr *)&ss), strerror(EADDRINUSE));
	assert_string_equal(err, want);
	free(err);
	close(fd);

	/* TEST-NET-3 (RFC 5737) is on no interface here. */
	sin_make((struct sockaddr_in *)&ss, "203.0.113.1", 2525);
	assert_int_equal(net_listen(&ss, sizeof(struct sockaddr_in), 4, &err),
	    -1);
	snprintf(want, sizeof(want), "cannot listen on 203.0.113.1:2525: %s",
	    strerror(EADDRNOTAVAIL));
	assert_string_equal(err, want);
	free(err);
}

static void
test_connect_errors(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in local;
	socklen_t len = sizeof(ss);
	char want[128], *err = NULL;
	int fd;

	(void)state;
	/* A port nobody listens on: the port of a socket just closed. */
	memset(&ss, 0, sizeof(ss));
	sin_make((struct sockaddr_in *)&ss, "127.0.0.1", 0);
	fd = net_listen(&ss, sizeof(struct sockaddr_in), 4, &err);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	close(fd);
	fd = net_connect_nonblock((struct sockaddr *)&ss, len, NULL, 0, &err);
	if (fd == -1) {
		assert_non_null(strstr(err, "cannot connect to 127.0.0.1:"));
		free(err);
	} else {
		wait_writable(fd);
		assert_int_equal(net_connect_error(fd), ECONNREFUSED);
		close(fd);
	}

	/* Binding to an address that is not ours fails before connecting. */
	sin_make(&local, "203.0.113.1", 0);
	fd = net_connect_nonblock((struct sockaddr *)&ss, len,
	    (struct sockaddr *)&local, sizeof(local), &err);
	assert_int_equal(fd, -1);
	snprintf(want, sizeof(want), "cannot bind to 203.0.113.1:0: %s",
	    strerror(EADDRNOTAVAIL));
	assert_string_equal(err, want);
	free(err);

	/* Binding to a local address works. */
	sin_make(&local, "127.0.0.1", 0);
	fd = net_connect_nonblock((struct sockaddr *)&ss, len,
	    (struct sockaddr *)&local, sizeof(local), &err);
	if (fd >= 0)
		close(fd);
	else
		free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_parse_wildcard_families),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_listen_connect_v4),
		cmocka_unit_test(test_listen_connect_v6),
		cmocka_unit_test(test_listen_wildcard_both),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_connect_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
