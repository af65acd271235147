/* Modified UTF-7 mailbox names (RFC 3501 5.1.3): printable ASCII stands
 * for itself ("&" as "&-"), everything else is UTF-16 in modified base64
 * ("," for "/") between "&" and "-".
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "imap_int.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64chars, c) : NULL;

	return p != NULL ? (int)(p - b64chars) : -1;
}

static void
utf8_put(uint32_t cp, struct buf *out)
{
	if (cp < 0x80)
		buf_addc(out, (char)cp);
	else if (cp < 0x800) {
		buf_addc(out, (char)(0xc0 | (cp >> 6)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(out, (char)(0xe0 | (cp >> 12)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(out, (char)(0xf0 | (cp >> 18)));
		buf_addc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Decode the base64 run p[0..len) (between "&" and "-"). */
static int
decode_run(const char *p, size_t len, struct buf *out)
{
	uint32_t bits = 0, hi = 0, u;
	unsigned nbits = 0;
	size_t i, units = 0;
	int v;

	for (i = 0; i < len; i++) {
		if ((v = b64_value(p[i])) < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			utf8_put(0x10000 + ((hi - 0xd800) << 10) +
			    (u - 0xdc00), out);
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff)
			hi = u;
		else if ((u >= 0xdc00 && u <= 0xdfff) ||
		    (u >= 0x20 && u < 0x7f))
			return -1;	/* lone low surrogate, or ASCII */
		else
			utf8_put(u, out);
	}
	/* Leftover bits must be zero padding, less than one unit. */
	if (hi != 0 || units == 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	return 0;
}

int
imap_mutf7_decode(const char *p, size_t len, struct buf *out)
{
	bool was_run = false;
	size_t i = 0, j;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f)
			return -1;
		if (c != '&') {
			buf_addc(out, (char)c);
			i++;
			was_run = false;
			continue;
		}
		for (j = i + 1; j < len && p[j] != '-'; j++)
			;
		if (j >= len)
			return -1;
		if (j == i + 1) {
			buf_addc(out, '&');
			was_run = false;
		} else if (was_run || decode_run(p + i + 1, j - i - 1,
		    out) == -1)
			return -1;	/* two runs in a row: one is the form */
		else
			was_run = true;
		i = j + 1;
	}
	return 0;
}

/* One UTF-8 character at p; its code point, or -1. */
static long
utf8_get(const unsigned char *p, size_t len, size_t *used)
{
	unsigned n, i;
	uint32_t cp;

	if (p[0] < 0x80) {
		*used = 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return -1;
	if (n > len)
		return -1;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = n;
	return (long)cp;
}

static void
flush_bits(uint32_t *bits, unsigned *nbits, struct buf *out)
{
	while (*nbits >= 6) {
		*nbits -= 6;
		buf_addc(out, b64chars[(*bits >> *nbits) & 0x3f]);
	}
}

static void
put_unit(uint32_t u, uint32_t *bits, unsigned *nbits, struct buf *out)
{
	*bits = (*bits << 16) | u;
	*nbits += 16;
	flush_bits(bits, nbits, out);
}

int
imap_mutf7_encode(const char *p, size_t len, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)p;
	bool in_b64 = false;
	uint32_t bits = 0;
	unsigned nbits = 0;
	size_t i = 0, used;
	long cp;

	while (i < len) {
		if ((cp = utf8_get(u + i, len - i, &used)) < 0)
			return -1;
		i += used;
		if (cp >= 0x20 && cp < 0x7f) {
			if (in_b64) {
				if (nbits > 0)
					buf_addc(out, b64chars[(bits <<
					    (6 - nbits)) & 0x3f]);
				buf_addc(out, '-');
				in_b64 = false;
				bits = nbits = 0;
			}
			buf_adds(out, cp == '&' ? "&-" : "");
			if (cp != '&')
				buf_addc(out, (char)cp);
			continue;
		}
		if (!in_b64) {
			buf_addc(out, '&');
			in_b64 = true;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_unit(0xd800 + ((uint32_t)cp >> 10), &bits, &nbits,
			    out);
			put_unit(0xdc00 + ((uint32_t)cp & 0x3ff), &bits,
			    &nbits, out);
		} else
			put_unit((uint32_t)cp, &bits, &nbits, out);
	}
	if (in_b64) {
		if (nbits > 0)
			buf_addc(out, b64chars[(bits << (6 - nbits)) & 0x3f]);
		buf_addc(out, '-');
	}
	return 0;
}
