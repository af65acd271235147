/* Reverse- and forward-paths of MAIL and RCPT (RFC 5321 4.1.2), with the
 * UTF-8 extension of RFC 6531 3.3. A source route (A-d-l) is accepted and
 * ignored, as RFC 5321 4.1.1.3 and appendix C ask.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "lib/str.h"
#include "smtp_int.h"

struct cursor {
	const char	*p;
	size_t		 len;
	size_t		 i;
};

static int
peek(const struct cursor *c)
{
	return c->i < c->len ? (unsigned char)c->p[c->i] : -1;
}

static bool
is_atext(int ch)
{
	/* RFC 5322 3.2.3, plus UTF8-non-ascii from RFC 6531 3.3. */
	if (ch < 0)
		return false;
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch >= 0x80)
		return true;
	return strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL && ch != '\0';
}

static bool
is_let_dig(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch >= 0x80;
}

/* Domain = sub-domain *("." sub-domain), or an address literal. */
static bool
parse_domain(struct cursor *c, char *out, size_t outlen)
{
	size_t start = c->i, n;

	if (peek(c) == '[') {
		c->i++;
		while (c->i < c->len && c->p[c->i] != ']') {
			int ch = peek(c);

			if (ch <= 32 || ch >= 127 || ch == '[' || ch == '\\')
				return false;
			c->i++;
		}
		if (peek(c) != ']')
			return false;
		c->i++;
	} else {
		for (;;) {
			if (!is_let_dig(peek(c)))
				return false;
			while (is_let_dig(peek(c)) || peek(c) == '-')
				c->i++;
			if (c->p[c->i - 1] == '-')
				return false;
			if (peek(c) != '.')
				break;
			c->i++;
		}
	}
	n = c->i - start;
	if (n > SMTP_DOMAIN_MAX || n >= outlen)
		return false;
	memcpy(out, c->p + start, n);
	out[n] = '\0';
	if (out[0] != '[')
		str_lower(out);
	return true;
}

/* Local-part = Dot-string / Quoted-string; kept as sent. */
static bool
parse_local(struct cursor *c, char *out, size_t outlen)
{
	size_t start = c->i, n;

	if (peek(c) == '"') {
		c->i++;
		for (;;) {
			int ch = peek(c);

			if (ch == '"')
				break;
			if (ch == '\\') {
				c->i++;
				ch = peek(c);
				if (ch < 32 || ch > 126)
					return false;
			} else if (ch < 32 || ch == 127)
				return false;
			c->i++;
		}
		c->i++;
	} else {
		for (;;) {
			if (!is_atext(peek(c)))
				return false;
			while (is_atext(peek(c)))
				c->i++;
			if (peek(c) != '.')
				break;
			c->i++;
		}
	}
	n = c->i - start;
	if (n > SMTP_LOCAL_MAX * 2 || n >= outlen)
		return false;
	memcpy(out, c->p + start, n);
	out[n] = '\0';
	return true;
}

/* A-d-l ":" (a source route): parsed only to be skipped. */
static bool
skip_source_route(struct cursor *c)
{
	char ignored[SMTP_DOMAIN_MAX + 1];

	while (peek(c) == '@') {
		c->i++;
		if (!parse_domain(c, ignored, sizeof(ignored)))
			return false;
		if (peek(c) == ',') {
			c->i++;
			continue;
		}
		if (peek(c) != ':')
			return false;
		c->i++;
		return true;
	}
	return true;
}

int
smtp_path_parse(const char *p, size_t len, struct smtp_path *out,
    const char **errstr)
{
	struct cursor c = { p, len, 0 };

	memset(out, 0, sizeof(*out));
	/* Tolerate "FROM: <a@b>": many clients send the space. */
	while (peek(&c) == ' ')
		c.i++;
	if (peek(&c) != '<') {
		*errstr = "path must be enclosed in <>";
		return -1;
	}
	c.i++;
	if (peek(&c) == '>') {
		out->is_null = true;
		return (int)c.i + 1;
	}
	if (!skip_source_route(&c)) {
		*errstr = "bad source route";
		return -1;
	}
	if (!parse_local(&c, out->local, sizeof(out->local))) {
		*errstr = "bad local part";
		return -1;
	}
	if (peek(&c) == '@') {
		c.i++;
		if (!parse_domain(&c, out->domain, sizeof(out->domain))) {
			*errstr = "bad domain";
			return -1;
		}
	} else if (!str_ieq(out->local, strlen(out->local), "postmaster")) {
		/* RFC 5321 4.1.1.3: only <Postmaster> may omit the domain. */
		*errstr = "address must have a domain";
		return -1;
	}
	if (peek(&c) != '>') {
		*errstr = "path must end with >";
		return -1;
	}
	if (c.i - 1 > SMTP_PATH_MAX) {
		*errstr = "path too long";
		return -1;
	}
	return (int)c.i + 1;
}

void
smtp_path_str(const struct smtp_path *path, char *out, size_t outlen)
{
	if (path->is_null)
		snprintf(out, outlen, "%s", "");
	else if (path->domain[0] == '\0')
		snprintf(out, outlen, "%s", path->local);
	else
		snprintf(out, outlen, "%s@%s", path->local, path->domain);
}

bool
smtp_path_is_utf8(const struct smtp_path *path)
{
	const char *p;

	for (p = path->local; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	for (p = path->domain; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	return false;
}
