/* Small pieces of the web: %-encoding of URLs (RFC 3986 2.1), query
 * strings (application/x-www-form-urlencoded), the Cookie field
 * (RFC 6265 5.4) and HTML escaping.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "web_int.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
web_url_decode(const char *p, size_t len, bool is_form, struct buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (p[i] == '+' && is_form) {
			buf_addc(out, ' ');
			continue;
		}
		if (p[i] != '%') {
			buf_addc(out, p[i]);
			continue;
		}
		if (i + 2 >= len)
			return false;
		hi = hexval(p[i + 1]);
		lo = hexval(p[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return false;
		buf_addc(out, (char)(hi * 16 + lo));
		i += 2;
	}
	return true;
}

void
web_url_encode(const char *p, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_addc(out, (char)c);
		else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
}

bool
web_query_get(const char *q, size_t qlen, const char *name, struct buf *out)
{
	size_t nlen = strlen(name);
	const char *amp, *item;
	size_t ilen;

	while (q != NULL && qlen > 0) {
		amp = memchr(q, '&', qlen);
		item = q;
		ilen = amp ? (size_t)(amp - q) : qlen;
		if (ilen >= nlen && memcmp(item, name, nlen) == 0 &&
		    (ilen == nlen || item[nlen] == '=')) {
			if (ilen == nlen)
				return true;
			return web_url_decode(item + nlen + 1,
			    ilen - nlen - 1, true, out);
		}
		if (amp == NULL)
			break;
		qlen -= (size_t)(amp + 1 - q);
		q = amp + 1;
	}
	return false;
}

bool
web_cookie_get(const char *p, size_t len, const char *name,
    const char **val_out, size_t *vlen_out)
{
	size_t nlen = strlen(name);
	const char *semi, *item, *eq;
	size_t ilen;

	while (len > 0) {
		semi = memchr(p, ';', len);
		item = p;
		ilen = semi ? (size_t)(semi - p) : len;
		str_trim(&item, &ilen);
		eq = memchr(item, '=', ilen);
		if (eq != NULL && (size_t)(eq - item) == nlen &&
		    memcmp(item, name, nlen) == 0) {
			*val_out = eq + 1;
			*vlen_out = ilen - nlen - 1;
			/* A quoted cookie-value (RFC 6265 4.1.1). */
			if (*vlen_out >= 2 && (*val_out)[0] == '"' &&
			    (*val_out)[*vlen_out - 1] == '"') {
				(*val_out)++;
				*vlen_out -= 2;
			}
			return true;
		}
		if (semi == NULL)
			break;
		len -= (size_t)(semi + 1 - p);
		p = semi + 1;
	}
	return false;
}

void
web_html_escape(const char *p, size_t len, struct buf *out)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		const char *rep;

		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		buf_add(out, p + start, i - start);
		buf_adds(out, rep);
		start = i + 1;
	}
	buf_add(out, p + start, len - start);
}
