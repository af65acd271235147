/* Asynchronous DNS for routing, c-ares on the scheduler's libevent loop:
 * c-ares tells which sockets to watch (ARES_OPT_SOCK_STATE_CB), an event
 * per socket feeds ares_process_fd(), one timer serves ares_timeout().
 * MX lookup per RFC 5321 5.1 (preference order, equal preferences
 * shuffled, no MX records means the domain itself), null MX per RFC 7505,
 * then A and AAAA for every host. Every answer's TTL is carried along, so
 * that the route is kept as long as DNS allows (dest.c, RFC 2308 for
 * negative answers).
 * SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <event2/event.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

#define DNS_TIMEOUT_MS	3000
#define DNS_TRIES	2
#define DNS_MAX_HOSTS	16	/* MX hosts tried per destination */

struct dns_sock {
	ares_socket_t	 fd;
	struct event	*ev;
	struct queue_dns *dns;
};

struct queue_dns {
	struct event_base	*base;
	ares_channel		 channel;
	struct event		*timer;
	struct dns_sock		**socks;
	size_t			 nsocks;
};

struct lookup {
	struct queue_dns	*dns;
	char			*host;
	unsigned		 port;
	queue_dns_fn		*cb;
	void			*arg;
	char			**names;
	size_t			 nnames;
	struct queue_host	*hosts;		/* one per name */
	size_t			 pending;
	bool			 had_temp;
	bool			 is_implicit;	/* no MX: the domain itself */
	long			 ttl;		/* smallest seen, -1: none */
	char			 detail[128];
};

static void
ttl_min(long *ttl, long v)
{
	if (v >= 0 && (*ttl < 0 || v < *ttl))
		*ttl = v;
}

static pthread_once_t	 ares_once = PTHREAD_ONCE_INIT;

static void
ares_lib_init(void)
{
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		fatalx("dns: ares_library_init failed");
}

static void	timer_arm(struct queue_dns *dns);

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock *s = arg;
	struct queue_dns *dns = s->dns;

	ares_process_fd(dns->channel,
	    (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	timer_arm(dns);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct queue_dns *dns = arg;

	(void)fd;
	(void)what;
	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	timer_arm(dns);
}

static void
timer_arm(struct queue_dns *dns)
{
	struct timeval tv, *tvp;

	if (dns->timer == NULL)
		return;
	tvp = ares_timeout(dns->channel, NULL, &tv);
	if (tvp == NULL)
		evtimer_del(dns->timer);
	else
		evtimer_add(dns->timer, tvp);
}

static void
sock_drop(struct queue_dns *dns, size_t i)
{
	event_free(dns->socks[i]->ev);
	free(dns->socks[i]);
	dns->socks[i] = dns->socks[--dns->nsocks];
}

/* c-ares opens, changes or closes a socket. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct queue_dns *dns = data;
	struct dns_sock *s;
	short what = EV_PERSIST;
	size_t i;

	for (i = 0; i < dns->nsocks; i++)
		if (dns->socks[i]->fd == fd)
			break;
	if (i < dns->nsocks)
		sock_drop(dns, i);
	if (!readable && !writable)
		return;
	what |= readable ? EV_READ : 0;
	what |= writable ? EV_WRITE : 0;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->dns = dns;
	s->ev = event_new(dns->base, fd, what, on_sock, s);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1)
		fatalx("dns: cannot watch a socket");
	dns->socks = xreallocarray(dns->socks, dns->nsocks + 1,
	    sizeof(*dns->socks));
	dns->socks[dns->nsocks++] = s;
}

struct queue_dns *
queue_dns_new(struct event_base *base, const char *servers, char **err_out)
{
	struct queue_dns *dns = xcalloc(1, sizeof(*dns));
	struct ares_options opts;
	int mask, rc;

	pthread_once(&ares_once, ares_lib_init);
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = dns;
	opts.timeout = DNS_TIMEOUT_MS;
	opts.tries = DNS_TRIES;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	if (servers != NULL && servers[0] != '\0') {
		/* A configured server answers for everything: no
		 * /etc/hosts, so tests see only their own records. */
		opts.lookups = (char *)(uintptr_t)"b";
		mask |= ARES_OPT_LOOKUPS;
	}
	dns->base = base;
	if ((rc = ares_init_options(&dns->channel, &opts, mask)) !=
	    ARES_SUCCESS) {
		queue_err(err_out, "dns: %s", ares_strerror(rc));
		free(dns);
		return NULL;
	}
	if (servers != NULL && servers[0] != '\0' &&
	    (rc = ares_set_servers_ports_csv(dns->channel, servers)) !=
	    ARES_SUCCESS) {
		queue_err(err_out, "dns.server '%s': %s", servers,
		    ares_strerror(rc));
		ares_destroy(dns->channel);
		free(dns);
		return NULL;
	}
	dns->timer = evtimer_new(base, on_timer, dns);
	return dns;
}

void
queue_dns_free(struct queue_dns *dns)
{
	if (dns == NULL)
		return;
	event_free(dns->timer);
	dns->timer = NULL;
	/* Runs every pending callback with ARES_EDESTRUCTION and closes
	 * the sockets through sock_state(). */
	ares_destroy(dns->channel);
	while (dns->nsocks > 0)
		sock_drop(dns, 0);
	free(dns->socks);
	free(dns);
}

void
queue_route_fini(struct queue_route *route)
{
	size_t i;

	for (i = 0; i < route->nhosts; i++) {
		free(route->hosts[i].name);
		free(route->hosts[i].addrs);
		free(route->hosts[i].addrlens);
	}
	free(route->hosts);
	memset(route, 0, sizeof(*route));
}

void
queue_mx_order(unsigned *prefs, char **names, size_t n)
{
	size_t i, j, k;
	unsigned tp;
	char *tn;

	/* Insertion sort by preference (n is small). */
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && prefs[j - 1] > prefs[j]; j--) {
			tp = prefs[j], prefs[j] = prefs[j - 1],
			    prefs[j - 1] = tp;
			tn = names[j], names[j] = names[j - 1],
			    names[j - 1] = tn;
		}
	}
	/* RFC 5321 5.1: randomize among equal preferences (Fisher-Yates
	 * within each run). */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && prefs[j] == prefs[i]; j++)
			;
		for (k = j - 1; k > i; k--) {
			size_t r = i + (size_t)arc4random_uniform(
			    (uint32_t)(k - i + 1));

			tn = names[k], names[k] = names[r], names[r] = tn;
		}
	}
}

static void
lookup_free(struct lookup *l)
{
	size_t i;

	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->hosts);
	free(l->host);
	free(l);
}

/* Every address lookup has answered: hand over the hosts that have
 * addresses, in MX order. */
static void
lookup_finish(struct lookup *l)
{
	struct queue_route route;
	size_t i;

	memset(&route, 0, sizeof(route));
	route.hosts = xcalloc(l->nnames, sizeof(*route.hosts));
	for (i = 0; i < l->nnames; i++) {
		if (l->hosts[i].naddrs == 0) {
			free(l->hosts[i].name);
			continue;
		}
		route.hosts[route.nhosts++] = l->hosts[i];
	}
	if (route.nhosts > 0)
		l->cb(l->arg, QUEUE_DNS_OK, &route, "", l->ttl);
	else {
		queue_route_fini(&route);
		l->cb(l->arg, l->had_temp ? QUEUE_DNS_TEMP : QUEUE_DNS_NOHOST,
		    NULL, l->detail, l->ttl);
	}
	lookup_free(l);
}

struct addr_req {
	struct lookup	*l;
	size_t		 idx;
};

static void
add_addr(struct queue_host *h, const struct sockaddr *sa, socklen_t len,
    unsigned port)
{
	struct sockaddr_storage *ss;

	if (len > sizeof(*ss) || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return;
	h->addrs = xreallocarray(h->addrs, h->naddrs + 1, sizeof(*h->addrs));
	h->addrlens = xreallocarray(h->addrlens, h->naddrs + 1,
	    sizeof(*h->addrlens));
	ss = &h->addrs[h->naddrs];
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, sa, len);
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	h->addrlens[h->naddrs++] = len;
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct addr_req *req = arg;
	struct lookup *l = req->l;
	struct queue_host *h = &l->hosts[req->idx];
	struct ares_addrinfo_node *n;
	struct ares_addrinfo_cname *c;

	(void)timeouts;
	if (status == ARES_SUCCESS && res != NULL) {
		for (n = res->nodes; n != NULL; n = n->ai_next) {
			add_addr(h, n->ai_addr, (socklen_t)n->ai_addrlen,
			    l->port);
			ttl_min(&l->ttl, n->ai_ttl);
		}
		for (c = res->cnames; c != NULL; c = c->next)
			ttl_min(&l->ttl, c->ttl);
	} else if (status != ARES_ENOTFOUND && status != ARES_ENODATA) {
		l->had_temp = true;
		snprintf(l->detail, sizeof(l->detail), "%s: %s", h->name,
		    ares_strerror(status));
	} else if (l->detail[0] == '\0')
		snprintf(l->detail, sizeof(l->detail), "%s: no address",
		    h->name);
	if (res != NULL)
		ares_freeaddrinfo(res);
	free(req);
	if (--l->pending == 0)
		lookup_finish(l);
}

static void
resolve_hosts(struct lookup *l)
{
	struct ares_addrinfo_hints hints;
	struct addr_req *req;
	size_t i, n = l->nnames;

	l->hosts = xcalloc(n, sizeof(*l->hosts));
	l->pending = n;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (i = 0; i < n; i++) {
		l->hosts[i].name = xstrdup(l->names[i]);
		req = xcalloc(1, sizeof(*req));
		req->l = l;
		req->idx = i;
		ares_getaddrinfo(l->dns->channel, l->names[i], NULL, &hints,
		    on_addrinfo, req);
	}
}

static void
set_single_name(struct lookup *l)
{
	l->names = xcalloc(1, sizeof(*l->names));
	l->names[0] = xstrdup(l->host);
	l->nnames = 1;
}

/* The MX records; 0, or -1 when the answer ended the lookup. */
static int
take_mx(struct lookup *l, unsigned char *abuf, int alen)
{
	struct ares_mx_reply *mx = NULL, *r;
	unsigned *prefs;
	size_t n = 0;

	if (ares_parse_mx_reply(abuf, alen, &mx) != ARES_SUCCESS || mx == NULL)
		return 0;
	for (r = mx; r != NULL; r = r->next)
		n++;
	/* RFC 7505 3: one MX with preference 0 and the root as exchange. */
	if (n == 1 && (mx->host[0] == '\0' || strcmp(mx->host, ".") == 0)) {
		ares_free_data(mx);
		l->cb(l->arg, QUEUE_DNS_NULLMX, NULL, "null MX", l->ttl);
		return -1;
	}
	l->names = xcalloc(n, sizeof(*l->names));
	prefs = xcalloc(n, sizeof(*prefs));
	for (r = mx; r != NULL && l->nnames < DNS_MAX_HOSTS; r = r->next) {
		if (r->host[0] == '\0' || strcmp(r->host, ".") == 0)
			continue;
		prefs[l->nnames] = r->priority;
		l->names[l->nnames++] = xstrdup(r->host);
	}
	ares_free_data(mx);
	queue_mx_order(prefs, l->names, l->nnames);
	free(prefs);
	return 0;
}

static void
on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup *l = arg;
	long pos, neg;

	(void)timeouts;
	if (abuf != NULL && alen > 0) {
		queue_dns_ttls(abuf, alen, &pos, &neg);
		ttl_min(&l->ttl, status == ARES_SUCCESS ? pos : neg);
	}
	if (status == ARES_ENOTFOUND) {
		l->cb(l->arg, QUEUE_DNS_NXDOMAIN, NULL, "no such domain",
		    l->ttl);
		lookup_free(l);
		return;
	}
	if (status != ARES_SUCCESS && status != ARES_ENODATA) {
		l->cb(l->arg, QUEUE_DNS_TEMP, NULL, ares_strerror(status), -1);
		lookup_free(l);
		return;
	}
	if (status == ARES_SUCCESS && take_mx(l, abuf, alen) == -1) {
		lookup_free(l);
		return;
	}
	if (l->nnames == 0) {
		/* RFC 5321 5.1: no MX, the domain is its own host. */
		l->is_implicit = true;
		set_single_name(l);
	}
	resolve_hosts(l);
}

/* The length of the (possibly compressed) name at p, or 0 when it runs
 * past end. */
static size_t
name_skip(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;

	while (q < end) {
		if ((*q & 0xc0) == 0xc0)
			return q + 2 <= end ? (size_t)(q + 2 - p) : 0;
		if (*q == 0)
			return (size_t)(q + 1 - p);
		q += *q + 1;
	}
	return 0;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
queue_dns_ttls(const unsigned char *abuf, int alen, long *pos, long *neg)
{
	const unsigned char *p = abuf, *end = abuf + alen, *rd;
	unsigned qd, an, ns, i, type, rdlen;
	size_t n;
	long ttl;

	*pos = *neg = -1;
	if (alen < HFIXEDSZ)
		return;
	qd = (unsigned)(p[4] << 8 | p[5]);
	an = (unsigned)(p[6] << 8 | p[7]);
	ns = (unsigned)(p[8] << 8 | p[9]);
	p += HFIXEDSZ;
	for (i = 0; i < qd; i++) {
		if ((n = name_skip(p, end)) == 0 || p + n + QFIXEDSZ > end)
			return;
		p += n + QFIXEDSZ;
	}
	for (i = 0; i < an + ns; i++) {
		if ((n = name_skip(p, end)) == 0 || p + n + RRFIXEDSZ > end)
			return;
		p += n;
		type = (unsigned)(p[0] << 8 | p[1]);
		/* RFC 2181 8: a TTL with the top bit set counts as 0. */
		ttl = get32(p + 4) & 0x80000000u ? 0 : (long)get32(p + 4);
		rdlen = (unsigned)(p[8] << 8 | p[9]);
		rd = p + RRFIXEDSZ;
		if (rd + rdlen > end)
			return;
		if (i < an)
			ttl_min(pos, ttl);
		else if (type == T_SOA && rdlen >= 20) {
			/* RFC 2308 5: the lesser of the SOA's own TTL and
			 * its MINIMUM field (the last of its rdata). */
			ttl_min(&ttl, (long)get32(rd + rdlen - 4));
			ttl_min(neg, ttl);
		}
		p = rd + rdlen;
	}
}

void
queue_dns_resolve(struct queue_dns *dns, const char *host, unsigned port,
    bool is_mx, queue_dns_fn *cb, void *arg)
{
	struct lookup *l = xcalloc(1, sizeof(*l));

	l->dns = dns;
	l->host = xstrdup(host);
	l->port = port;
	l->cb = cb;
	l->arg = arg;
	l->ttl = -1;
	if (is_mx)
		ares_query(dns->channel, host, C_IN, T_MX, on_mx, l);
	else {
		set_single_name(l);
		resolve_hosts(l);
	}
	timer_arm(dns);
}
