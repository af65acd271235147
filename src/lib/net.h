/* Addresses and sockets: listener lists from the config file, listening and
 * connecting sockets (non-blocking, close-on-exec), and addresses as text for
 * logs and for Received: headers (RFC 5321 4.1.3 address literals, 4.4).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_NET_H
#define PETREL_NET_H

#include <sys/socket.h>

#include <stddef.h>

/* Room for any text net_addr_str(), net_addr_host() or net_addr_literal()
 * writes, NUL included. */
#define NET_ADDRSTRLEN	128

/* One socket address with its length, as bind(2) and connect(2) take it. */
struct net_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/* An array of addresses, embedded in its owner. */
struct net_addr_list {
	struct net_addr	*addrs;
	size_t		 count;
};

/* Parse a listener list from p[0..len): addresses separated by commas with
 * optional spaces or tabs around them. Each is "a.b.c.d:port",
 * "[ipv6]:port" (a zone such as "[fe80::1%eth0]:port" is allowed) or
 * "*:port", which means 0.0.0.0:port and [::]:port, so it yields two
 * addresses. Host names are refused: a listener binds before DNS can be
 * trusted. The port is 1 to 65535. An empty or all-blank list means no
 * listeners (count 0). An address listed twice is an error.
 * Returns 0 and fills *out, which the caller releases with
 * net_addr_list_fini(); or returns -1 with *out empty and *err_out a heap
 * string naming the bad entry ("'127.0.0.1': missing port") that the caller
 * frees. */
int	 net_listen_parse(const char *p, size_t len,
	    struct net_addr_list *out, char **err_out);
/* Free the array; the list is then empty and may be reused. */
void	 net_addr_list_fini(struct net_addr_list *list);

/* Open a listening TCP socket on ss: non-blocking, close-on-exec,
 * SO_REUSEADDR, and IPV6_V6ONLY for IPv6 so that "*:port" can bind both
 * families. Returns the descriptor, or -1 with *err_out a heap string the
 * caller frees ("cannot listen on 127.0.0.1:25: Permission denied"). */
int	 net_listen(const struct sockaddr_storage *ss, socklen_t len,
	    int backlog, char **err_out);

/* Start a non-blocking TCP connection to sa, first binding to the local
 * address bind_sa unless it is NULL. Returns the descriptor (close-on-exec)
 * once the connection is under way: wait until it is writable, then call
 * net_connect_error(). Returns -1 with *err_out a heap string the caller
 * frees ("cannot connect to 192.0.2.1:25: Network is unreachable"). */
int	 net_connect_nonblock(const struct sockaddr *sa, socklen_t len,
	    const struct sockaddr *bind_sa, socklen_t bind_len, char **err_out);
/* The outcome of a connection started by net_connect_nonblock(), once the
 * socket is writable: 0 when it is established, else the errno value. */
int	 net_connect_error(int fd);

/* Write sa as "127.0.0.1:25", "[::1]:25" or "[fe80::1%eth0]:25" into out,
 * always NUL-terminated, truncated when outlen < NET_ADDRSTRLEN; "unix"
 * for a Unix-domain socket and "unknown" for other families. Returns out,
 * for use in log calls. */
const char *net_addr_str(const struct sockaddr *sa, char *out, size_t outlen);
/* The same without the port: "127.0.0.1", "::1". */
const char *net_addr_host(const struct sockaddr *sa, char *out,
	    size_t outlen);
/* The address as an RFC 5321 4.1.3 address literal for Received: headers:
 * "[192.0.2.1]", "[IPv6:2001:db8::1]". An IPv4-mapped IPv6 address is
 * written as IPv4; an IPv6 zone is left out. Other families give "". */
const char *net_addr_literal(const struct sockaddr *sa, char *out,
	    size_t outlen);
/* The port of an IPv4 or IPv6 address in host order; 0 for other
 * families. */
int	 net_addr_port(const struct sockaddr *sa);

#endif
