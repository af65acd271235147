/* Reading the server's replies (RFC 5321 4.2): "code-text" lines up to a
 * "code text" line, enhanced status codes (RFC 3463, RFC 2034), and the
 * extension list of an EHLO reply (RFC 5321 4.1.1.1).
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <string.h>

#include "lib/str.h"
#include "smtp_client.h"

void
smtp_client_reply_init(struct smtp_client_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text);
}

void
smtp_client_reply_fini(struct smtp_client_reply *r)
{
	buf_free(&r->text);
}

void
smtp_client_reply_reset(struct smtp_client_reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
	r->is_done = false;
	buf_reset(&r->text);
}

/* "x.y.z" at p whose class matches the reply code (RFC 3463 2, RFC 2034
 * 4); its length, or 0. */
static size_t
enh_len(const char *p, size_t len, int code)
{
	size_t i = 0, part, digits;

	if (len < 5 || p[0] != '0' + code / 100 || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < len && isdigit((unsigned char)p[i]);
		    i++)
			digits++;
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0 && (i >= len || p[i++] != '.'))
			return 0;
	}
	return i == len || p[i] == ' ' ? i : 0;
}

int
smtp_client_reply_feed(struct smtp_client_reply *r, const char *line,
    size_t len)
{
	int code;
	size_t n;

	if (r->is_done)
		smtp_client_reply_reset(r);
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	if (r->nlines > 0 && code != r->code)
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	r->code = code;
	if (r->nlines++ > 0)
		buf_addc(&r->text, '\n');
	if (len > 4) {
		buf_add(&r->text, line + 4, len - 4);
		if (r->nlines == 1 && (n = enh_len(line + 4, len - 4, code)) &&
		    n < sizeof(r->enh)) {
			memcpy(r->enh, line + 4, n);
			r->enh[n] = '\0';
		}
	}
	/* A bare "250" ends a reply too (RFC 5321 4.2: the text is
	 * optional). */
	r->is_done = len == 3 || line[3] == ' ';
	return r->is_done ? 1 : 0;
}

void
smtp_client_reply_summary(const struct smtp_client_reply *r, char *out,
    size_t len)
{
	size_t i, o = 0;
	char c;

	if (len == 0)
		return;
	if (len < 5) {
		out[0] = '\0';
		return;
	}
	out[o++] = (char)('0' + (r->code / 100) % 10);
	out[o++] = (char)('0' + (r->code / 10) % 10);
	out[o++] = (char)('0' + r->code % 10);
	if (r->text.len > 0)
		out[o++] = ' ';
	for (i = 0; i < r->text.len && o + 1 < len; i++) {
		c = r->text.data[i];
		if (c == '\n')
			c = ' ';
		else if (c == '"')
			c = '\'';
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		out[o++] = c;
	}
	out[o] = '\0';
}

static void
ext_auth(const char *p, size_t len, struct smtp_client_ext *out)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == '='))
			i++;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (str_ieq(p + start, i - start, "PLAIN"))
			out->has_auth_plain = true;
		else if (str_ieq(p + start, i - start, "LOGIN"))
			out->has_auth_login = true;
	}
}

static void
ext_line(const char *p, size_t len, struct smtp_client_ext *out)
{
	const char *errstr;
	size_t kw;

	for (kw = 0; kw < len && p[kw] != ' ' && p[kw] != '='; kw++)
		;
	if (str_ieq(p, kw, "PIPELINING"))
		out->has_pipelining = true;
	else if (str_ieq(p, kw, "8BITMIME"))
		out->has_8bitmime = true;
	else if (str_ieq(p, kw, "STARTTLS"))
		out->has_starttls = true;
	else if (str_ieq(p, kw, "SMTPUTF8"))
		out->has_smtputf8 = true;
	else if (str_ieq(p, kw, "DSN"))
		out->has_dsn = true;
	else if (str_ieq(p, kw, "AUTH"))
		ext_auth(p + kw, len - kw, out);
	else if (str_ieq(p, kw, "SIZE")) {
		out->has_size = true;
		if (kw + 1 < len) {
			out->max_size = str_to_uint_n(p + kw + 1,
			    len - kw - 1, 0, UINT64_MAX, &errstr);
			if (errstr != NULL)
				out->max_size = 0;
		}
	}
}

void
smtp_client_ext_parse(const struct smtp_client_reply *r,
    struct smtp_client_ext *out)
{
	const char *p = r->text.data, *nl;
	size_t len = r->text.len, n;
	bool is_first = true;

	memset(out, 0, sizeof(*out));
	while (len > 0) {
		nl = str_chr(p, len, '\n');
		n = nl != NULL ? (size_t)(nl - p) : len;
		/* The first line is the server's greeting to us. */
		if (!is_first)
			ext_line(p, n, out);
		is_first = false;
		if (nl == NULL)
			break;
		p = nl + 1;
		len -= n + 1;
	}
}
