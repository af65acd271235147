/* Addresses and sockets: the listener list parser, listening and connecting
 * sockets, and addresses as text (RFC 5321 4.1.3 address literals).
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "str.h"
#include "xalloc.h"

/* How much of a bad entry an error message quotes. */
#define SHOW	64
#define NOT_IP	"not an IP address (host names are not allowed)"

static int
fail(char **err_out, const char *p, size_t len, const char *why)
{
	*err_out = xasprintf("'%.*s%s': %s", (int)(len > SHOW ? SHOW : len),
	    p, len > SHOW ? "..." : "", why);
	return -1;
}

static bool
port_parse(const char *p, size_t len, in_port_t *port_out)
{
	const char *errstr;
	uint64_t v;

	v = str_to_uint_n(p, len, 1, 65535, &errstr);
	if (errstr != NULL)
		return false;
	*port_out = htons((in_port_t)v);
	return true;
}

static void
list_add(struct net_addr_list *list, const void *sa, socklen_t len)
{
	struct net_addr *a;

	list->addrs = xreallocarray(list->addrs, list->count + 1,
	    sizeof(*list->addrs));
	a = &list->addrs[list->count++];
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, sa, len);
	a->len = len;
}

/* "[addr%zone]:port"; p[0] is '['. */
static int
parse_v6(const char *p, size_t len, struct net_addr_list *list,
    char **err_out)
{
	struct sockaddr_in6 sin6;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	const char *end;
	char *zone;
	size_t hlen;

	if ((end = str_chr(p, len, ']')) == NULL)
		return fail(err_out, p, len, "unclosed '['");
	if (end + 1 == p + len || end[1] != ':')
		return fail(err_out, p, len, "missing port");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	if (!port_parse(end + 2, (size_t)(p + len - end - 2), &sin6.sin6_port))
		return fail(err_out, p, len, "port must be 1 to 65535");
	hlen = (size_t)(end - p - 1);
	if (hlen == 0 || hlen >= sizeof(host))
		return fail(err_out, p, len, "not an IPv6 address");
	memcpy(host, p + 1, hlen);
	host[hlen] = '\0';
	if ((zone = strchr(host, '%')) != NULL) {
		*zone++ = '\0';
		if ((sin6.sin6_scope_id = if_nametoindex(zone)) == 0)
			return fail(err_out, p, len, "unknown interface");
	}
	if (inet_pton(AF_INET6, host, &sin6.sin6_addr) != 1)
		return fail(err_out, p, len, "not an IPv6 address");
	list_add(list, &sin6, sizeof(sin6));
	return 0;
}

/* "*:port": every IPv4 and every IPv6 address. */
static int
parse_any(const char *p, size_t len, struct net_addr_list *list,
    char **err_out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	if (!port_parse(p + 2, len - 2, &sin.sin_port))
		return fail(err_out, p, len, "port must be 1 to 65535");
	sin6.sin6_port = sin.sin_port;
	list_add(list, &sin, sizeof(sin));
	list_add(list, &sin6, sizeof(sin6));
	return 0;
}

/* "a.b.c.d:port". */
static int
parse_v4(const char *p, size_t len, struct net_addr_list *list,
    char **err_out)
{
	struct sockaddr_in sin;
	char host[INET_ADDRSTRLEN];
	const char *colon;
	size_t hlen;

	if ((colon = str_chr(p, len, ':')) == NULL)
		return fail(err_out, p, len, "missing port");
	if (str_chr(colon + 1, (size_t)(p + len - colon - 1), ':') != NULL)
		return fail(err_out, p, len,
		    "an IPv6 address needs brackets, as in [::1]:25");
	hlen = (size_t)(colon - p);
	if (hlen == 0)
		return fail(err_out, p, len,
		    "missing address (*:port means all addresses)");
	if (hlen >= sizeof(host))
		return fail(err_out, p, len, NOT_IP);
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return fail(err_out, p, len, NOT_IP);
	if (!port_parse(colon + 1, (size_t)(p + len - colon - 1),
	    &sin.sin_port))
		return fail(err_out, p, len, "port must be 1 to 65535");
	list_add(list, &sin, sizeof(sin));
	return 0;
}

static bool
addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)&a->ss;
	b6 = (const struct sockaddr_in6 *)&b->ss;
	return a6->sin6_port == b6->sin6_port &&
	    a6->sin6_scope_id == b6->sin6_scope_id &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

static int
parse_entry(const char *p, size_t len, struct net_addr_list *list,
    char **err_out)
{
	size_t i, first = list->count;
	int rc;

	if (len == 0) {
		*err_out = xstrdup("empty entry in the list");
		return -1;
	}
	/* The address parsers below work on C strings. */
	if (str_chr(p, len, '\0') != NULL)
		return fail(err_out, p, len, "NUL byte in the address");
	if (str_chr(p, len, ' ') != NULL || str_chr(p, len, '\t') != NULL)
		return fail(err_out, p, len,
		    "expected ',' between addresses");
	if (p[0] == '[')
		rc = parse_v6(p, len, list, err_out);
	else if (len >= 2 && p[0] == '*' && p[1] == ':')
		rc = parse_any(p, len, list, err_out);
	else
		rc = parse_v4(p, len, list, err_out);
	if (rc == -1)
		return -1;
	for (; first < list->count; first++)
		for (i = 0; i < first; i++)
			if (addr_equal(&list->addrs[i], &list->addrs[first]))
				return fail(err_out, p, len,
				    "address listed twice");
	return 0;
}

int
net_listen_parse(const char *p, size_t len, struct net_addr_list *out,
    char **err_out)
{
	const char *comma, *e;
	size_t n, elen;

	out->addrs = NULL;
	out->count = 0;
	str_trim(&p, &len);
	if (len == 0)
		return 0;
	for (;;) {
		comma = str_chr(p, len, ',');
		n = comma != NULL ? (size_t)(comma - p) : len;
		e = p;
		elen = n;
		str_trim(&e, &elen);
		if (parse_entry(e, elen, out, err_out) == -1) {
			net_addr_list_fini(out);
			return -1;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
		len -= n + 1;
	}
}

void
net_addr_list_fini(struct net_addr_list *list)
{
	free(list->addrs);
	list->addrs = NULL;
	list->count = 0;
}

/* Set *err_out to "cannot <what> <address>: <reason>", close fd unless it
 * is -1, and return -1 with errno preserved. */
static int
sock_fail(char **err_out, const char *what, const struct sockaddr *sa,
    int fd)
{
	char addr[NET_ADDRSTRLEN];
	int saved = errno;

	if (fd != -1)
		close(fd);
	*err_out = xasprintf("cannot %s %s: %s", what,
	    net_addr_str(sa, addr, sizeof(addr)), strerror(saved));
	errno = saved;
	return -1;
}

int
net_listen(const struct sockaddr_storage *ss, socklen_t len, int backlog,
    char **err_out)
{
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	int fd, on = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return sock_fail(err_out, "listen on", sa, -1);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return sock_fail(err_out, "listen on", sa, fd);
	/* Without V6ONLY, [::]:25 would also take IPv4 and "*:25" could
	 * not bind 0.0.0.0:25 beside it. */
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		return sock_fail(err_out, "listen on", sa, fd);
	if (bind(fd, sa, len) == -1 || listen(fd, backlog) == -1)
		return sock_fail(err_out, "listen on", sa, fd);
	return fd;
}

int
net_connect_nonblock(const struct sockaddr *sa, socklen_t len,
    const struct sockaddr *bind_sa, socklen_t bind_len, char **err_out)
{
	int fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return sock_fail(err_out, "connect to", sa, -1);
	if (bind_sa != NULL && bind(fd, bind_sa, bind_len) == -1)
		return sock_fail(err_out, "bind to", bind_sa, fd);
	if (connect(fd, sa, len) == -1 && errno != EINPROGRESS)
		return sock_fail(err_out, "connect to", sa, fd);
	return fd;
}

int
net_connect_error(int fd)
{
	socklen_t len;
	int error = 0;

	len = sizeof(error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		return errno;
	return error;
}

/* The address of an IPv4 or IPv6 sa without the port, with an IPv6 zone
 * when there is one. False for other families. */
static bool
host_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char ifname[IF_NAMESIZE];
	size_t n;

	/* Copy out: the caller's sockaddr may sit in a byte buffer. */
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		return inet_ntop(AF_INET, &sin.sin_addr, out, outlen) != NULL;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	memcpy(&sin6, sa, sizeof(sin6));
	if (inet_ntop(AF_INET6, &sin6.sin6_addr, out, outlen) == NULL)
		return false;
	if (sin6.sin6_scope_id == 0)
		return true;
	n = strlen(out);
	if (if_indextoname(sin6.sin6_scope_id, ifname) != NULL)
		snprintf(out + n, outlen - n, "%%%s", ifname);
	else
		snprintf(out + n, outlen - n, "%%%u", sin6.sin6_scope_id);
	return true;
}

const char *
net_addr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[NET_ADDRSTRLEN];

	if (!host_format(sa, host, sizeof(host)))
		snprintf(out, outlen, "%s",
		    sa->sa_family == AF_UNIX ? "unix" : "unknown");
	else if (sa->sa_family == AF_INET)
		snprintf(out, outlen, "%s:%d", host, net_addr_port(sa));
	else
		snprintf(out, outlen, "[%s]:%d", host, net_addr_port(sa));
	return out;
}

const char *
net_addr_host(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[NET_ADDRSTRLEN];

	if (!host_format(sa, host, sizeof(host)))
		snprintf(out, outlen, "%s",
		    sa->sa_family == AF_UNIX ? "unix" : "unknown");
	else
		snprintf(out, outlen, "%s", host);
	return out;
}

const char *
net_addr_literal(const struct sockaddr *sa, char *out, size_t outlen)
{
	struct sockaddr_in6 sin6;
	struct in_addr in;
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		net_addr_host(sa, host, sizeof(host));
		snprintf(out, outlen, "[%s]", host);
		return out;
	}
	if (sa->sa_family != AF_INET6) {
		snprintf(out, outlen, "%s", "");
		return out;
	}
	memcpy(&sin6, sa, sizeof(sin6));
	if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
		memcpy(&in, &sin6.sin6_addr.s6_addr[12], sizeof(in));
		inet_ntop(AF_INET, &in, host, sizeof(host));
		snprintf(out, outlen, "[%s]", host);
		return out;
	}
	/* RFC 5321 4.1.3 has no syntax for a zone, so it is left out. */
	inet_ntop(AF_INET6, &sin6.sin6_addr, host, sizeof(host));
	snprintf(out, outlen, "[IPv6:%s]", host);
	return out;
}

int
net_addr_port(const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		return ntohs(sin.sin_port);
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		return ntohs(sin6.sin6_port);
	}
	return 0;
}
