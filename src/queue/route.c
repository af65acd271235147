/* Routing: which next hop a recipient domain goes to. The transport map
 * (a file of "domain = nexthop [tls=...]" lines, ".domain" for its
 * subdomains) wins, then the relay host, else the domain's MX records
 * (RFC 5321 5.1). A next hop in brackets, "[host]:port", is used as it is
 * (A/AAAA only); without brackets its MX records are looked up, as in
 * Postfix.
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "queue/queue_int.h"

struct map_entry {
	char			*domain; /* lowercase; ".x" = subdomains */
	struct queue_nexthop	 nh;
	char			*key;
};

struct queue_routes {
	struct map_entry	*map;
	size_t			 nmap;
	bool			 has_relay;
	struct queue_nexthop	 relay;
	unsigned		 smtp_port;
	enum queue_tls		 default_tls;
};

bool
queue_tls_parse(const char *s, enum queue_tls *out)
{
	if (strcmp(s, "none") == 0)
		*out = QUEUE_TLS_NONE;
	else if (strcmp(s, "may") == 0 || strcmp(s, "opportunistic") == 0)
		*out = QUEUE_TLS_MAY;
	else if (strcmp(s, "encrypt") == 0 || strcmp(s, "required") == 0)
		*out = QUEUE_TLS_ENCRYPT;
	else if (strcmp(s, "verify") == 0)
		*out = QUEUE_TLS_VERIFY;
	else
		return false;
	return true;
}

void
queue_nexthop_fini(struct queue_nexthop *nh)
{
	free(nh->host);
	free(nh->auth_user);
	if (nh->auth_password != NULL)
		explicit_bzero(nh->auth_password, strlen(nh->auth_password));
	free(nh->auth_password);
	memset(nh, 0, sizeof(*nh));
}

/* " tls=VALUE" options after the host. */
static int
parse_options(const char *p, size_t len, struct queue_nexthop *out,
    const char **errstr)
{
	char word[32];
	size_t n;

	while (len > 0) {
		str_trim(&p, &len);
		for (n = 0; n < len && p[n] != ' ' && p[n] != '\t'; n++)
			;
		if (n == 0)
			break;
		if (n >= sizeof(word) || !str_iprefix(p, n, "tls=")) {
			*errstr = "unknown option (expected tls=...)";
			return -1;
		}
		memcpy(word, p + 4, n - 4);
		word[n - 4] = '\0';
		if (!queue_tls_parse(word, &out->tls)) {
			*errstr = "tls= takes none, may, encrypt or verify";
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
parse_port(const char *p, size_t len, unsigned *out, const char **errstr)
{
	*out = (unsigned)str_to_uint_n(p, len, 1, 65535, errstr);
	if (*errstr != NULL) {
		*errstr = "bad port";
		return -1;
	}
	return 0;
}

int
queue_nexthop_parse(const char *p, size_t len, unsigned def_port,
    enum queue_tls def_tls, struct queue_nexthop *out, const char **errstr)
{
	const char *end, *host;
	size_t hlen, n;

	memset(out, 0, sizeof(*out));
	out->port = def_port;
	out->tls = def_tls;
	str_trim(&p, &len);
	for (n = 0; n < len && p[n] != ' ' && p[n] != '\t'; n++)
		;
	end = p + n;
	if (n > 0 && p[0] == '[') {
		const char *rb = str_chr(p, n, ']');

		if (rb == NULL) {
			*errstr = "missing ']'";
			return -1;
		}
		host = p + 1;
		hlen = (size_t)(rb - host);
		if (rb + 1 < end && (rb[1] != ':' ||
		    parse_port(rb + 2, (size_t)(end - rb - 2), &out->port,
		    errstr) == -1)) {
			*errstr = *errstr ? *errstr : "junk after ']'";
			return -1;
		}
	} else {
		const char *colon = str_chr(p, n, ':');

		out->is_mx = true;
		host = p;
		hlen = colon ? (size_t)(colon - p) : n;
		if (colon != NULL && parse_port(colon + 1,
		    (size_t)(end - colon - 1), &out->port, errstr) == -1)
			return -1;
	}
	if (hlen == 0 || hlen > 255) {
		*errstr = "bad host name";
		return -1;
	}
	if (parse_options(end, len - n, out, errstr) == -1)
		return -1;
	out->host = xstrndup(host, hlen);
	str_lower(out->host);
	return 0;
}

static void
nexthop_key(const struct queue_nexthop *nh, struct buf *out)
{
	if (nh->is_mx)
		buf_addf(out, "nh:%s:%u", nh->host, nh->port);
	else
		buf_addf(out, "nh:[%s]:%u", nh->host, nh->port);
}

/* One "domain = nexthop" line; 0 (also for blank and comment lines) or
 * -1 with *errstr. */
static int
map_line(struct queue_routes *r, char *line, const char **errstr)
{
	char *eq, *hash;
	const char *d, *v;
	size_t dlen, vlen;
	struct map_entry *e;
	struct buf key = BUF_INIT;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	d = line;
	dlen = strlen(line);
	str_trim(&d, &dlen);
	if (dlen == 0)
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		*errstr = "expected 'domain = nexthop'";
		return -1;
	}
	dlen = (size_t)(eq - d);
	str_trim(&d, &dlen);
	v = eq + 1;
	vlen = strlen(v);
	r->map = xreallocarray(r->map, r->nmap + 1, sizeof(*r->map));
	e = &r->map[r->nmap];
	if (dlen == 0 || queue_nexthop_parse(v, vlen, r->smtp_port,
	    r->default_tls, &e->nh, errstr) == -1) {
		*errstr = *errstr ? *errstr : "empty domain";
		return -1;
	}
	e->domain = xstrndup(d, dlen);
	str_lower(e->domain);
	nexthop_key(&e->nh, &key);
	e->key = buf_release(&key);
	r->nmap++;
	return 0;
}

static int
map_load(struct queue_routes *r, const char *path, char **err_out)
{
	const char *errstr = NULL;
	char line[1024];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "re")) == NULL)
		return queue_err(err_out, "transport_map %s: %s", path,
		    strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if ((rc = map_line(r, line, &errstr)) == -1)
			queue_err(err_out, "%s:%u: %s", path, lineno, errstr);
	}
	fclose(f);
	return rc;
}

static char *
read_secret(const char *path, char **err_out)
{
	char line[1024];
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		queue_err(err_out, "relay.auth_password_file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return xstrdup(line);
}

static int
relay_load(struct queue_routes *r, const struct queue_params *p,
    char **err_out)
{
	const char *errstr = NULL;
	const char *user = p->relay_auth_user;
	const char *pwfile = p->relay_auth_password_file;

	if (queue_nexthop_parse(p->relay_host, strlen(p->relay_host),
	    r->smtp_port, p->relay_tls, &r->relay, &errstr) == -1)
		return queue_err(err_out, "relay.host '%s': %s",
		    p->relay_host, errstr);
	r->has_relay = true;
	if (user == NULL || user[0] == '\0')
		return 0;
	r->relay.auth_user = xstrdup(user);
	if (pwfile == NULL || pwfile[0] == '\0')
		return queue_err(err_out, "relay.auth_user needs "
		    "relay.auth_password_file");
	if ((r->relay.auth_password = read_secret(pwfile, err_out)) == NULL)
		return -1;
	return 0;
}

struct queue_routes *
queue_routes_new(const struct queue_params *p, char **err_out)
{
	struct queue_routes *r = xcalloc(1, sizeof(*r));

	r->smtp_port = p->smtp_port ? p->smtp_port : 25;
	r->default_tls = p->default_tls;
	if (p->relay_host != NULL && p->relay_host[0] != '\0' &&
	    relay_load(r, p, err_out) == -1)
		goto fail;
	if (p->transport_map != NULL && p->transport_map[0] != '\0' &&
	    map_load(r, p->transport_map, err_out) == -1)
		goto fail;
	return r;
fail:
	queue_routes_free(r);
	return NULL;
}

void
queue_routes_free(struct queue_routes *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nmap; i++) {
		free(r->map[i].domain);
		free(r->map[i].key);
		queue_nexthop_fini(&r->map[i].nh);
	}
	free(r->map);
	queue_nexthop_fini(&r->relay);
	free(r);
}

static bool
map_matches(const char *pattern, const char *domain)
{
	size_t plen = strlen(pattern), dlen = strlen(domain);

	if (pattern[0] != '.')
		return strcmp(pattern, domain) == 0;
	return dlen > plen && strcmp(domain + dlen - plen, pattern) == 0;
}

const struct queue_nexthop *
queue_routes_find(struct queue_routes *r, const char *domain,
    struct queue_nexthop *mx_out, struct buf *key_out)
{
	size_t i;

	for (i = 0; i < r->nmap; i++) {
		if (map_matches(r->map[i].domain, domain)) {
			buf_adds(key_out, r->map[i].key);
			return &r->map[i].nh;
		}
	}
	if (r->has_relay) {
		buf_adds(key_out, "relay");
		return &r->relay;
	}
	/* The domain itself, by MX; mx_out borrows domain. */
	memset(mx_out, 0, sizeof(*mx_out));
	mx_out->host = (char *)(uintptr_t)domain;
	mx_out->port = r->smtp_port;
	mx_out->is_mx = true;
	mx_out->tls = r->default_tls;
	buf_addf(key_out, "mx:%s", domain);
	return mx_out;
}
