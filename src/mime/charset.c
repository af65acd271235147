/* Charsets to UTF-8 (RFC 2046 4.1.2 names, RFC 2978 registry): UTF-8
 * checks, fast paths for US-ASCII, ISO-8859-1 and windows-1252, iconv for
 * the rest. An unknown charset is reported to the caller, never guessed.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "lib/str.h"
#include "mime.h"

#define REPL	"\xef\xbf\xbd"		/* U+FFFD */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 4), or 0 for
 * an ill-formed one; *bad is how many octets the maximal ill-formed
 * subpart spans (Unicode 15 3.9, as Python and browsers count). */
static size_t
utf8_seq(const unsigned char *s, size_t left, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (i >= left || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

bool
mime_utf8_is_valid(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, n, bad;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, len - i, &bad)) == 0)
			return false;
		i += n;
	}
	return true;
}

void
mime_utf8_sanitize(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, start = 0, n, bad;

	if (len == 0)
		return;		/* p may be NULL: an empty part */
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, len - i, &bad)) > 0) {
			i += n;
			continue;
		}
		buf_add(out, p + start, i - start);
		buf_add(out, REPL, 3);
		i += bad;
		start = i;
	}
	buf_add(out, p + start, i - start);
}

static void
add_cp(struct buf *out, unsigned cp)
{
	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(out, (char)(0xC0 | cp >> 6));
		buf_addc(out, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_addc(out, (char)(0xE0 | cp >> 12));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_addc(out, (char)(0x80 | (cp & 0x3F)));
	}
}

/* windows-1252 0x80..0x9F (WHATWG encoding standard); 0 is unmapped. */
static const unsigned short cp1252_hi[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void
from_8bit(const char *p, size_t len, bool is_1252, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;

	buf_reserve(out, len);
	for (i = 0; i < len; i++) {
		if (s[i] < 0x80)
			buf_addc(out, (char)s[i]);
		else if (is_1252 && s[i] < 0xA0 && cp1252_hi[s[i] - 0x80] == 0)
			buf_add(out, REPL, 3);
		else if (is_1252 && s[i] < 0xA0)
			add_cp(out, cp1252_hi[s[i] - 0x80]);
		else
			add_cp(out, s[i]);
	}
}

enum cs_kind { CS_UTF8, CS_ASCII, CS_LATIN1, CS_1252, CS_ICONV };

struct cs_alias {
	const char	*name;
	enum cs_kind	 kind;
	const char	*iconv;
};

/* Names iconv lacks or gets wrong in mail. */
static const struct cs_alias cs_aliases[] = {
	{ "utf-8", CS_UTF8, NULL },
	{ "utf8", CS_UTF8, NULL },
	{ "us-ascii", CS_ASCII, NULL },
	{ "ascii", CS_ASCII, NULL },
	{ "ansi_x3.4-1968", CS_ASCII, NULL },
	{ "iso-8859-1", CS_LATIN1, NULL },
	{ "iso8859-1", CS_LATIN1, NULL },
	{ "latin1", CS_LATIN1, NULL },
	{ "windows-1252", CS_1252, NULL },
	{ "cp1252", CS_1252, NULL },
	{ "ks_c_5601-1987", CS_ICONV, "CP949" },
	{ "iso-8859-8-i", CS_ICONV, "ISO-8859-8" },
	{ "x-sjis", CS_ICONV, "SHIFT_JIS" },
	{ "unicode-1-1-utf-7", CS_ICONV, "UTF-7" },
};

/* Lowercase the name, drop an RFC 2231 language ("utf-8*en"). */
static bool
cs_norm(const char *cs, char *out, size_t size)
{
	size_t i;

	for (i = 0; cs[i] != '\0' && cs[i] != '*'; i++) {
		if (i + 1 >= size)
			return false;
		out[i] = (char)(cs[i] >= 'A' && cs[i] <= 'Z' ?
		    cs[i] + 32 : cs[i]);
	}
	out[i] = '\0';
	return i > 0;
}

static enum cs_kind
cs_kind(const char *name, const char **iconv_name)
{
	size_t i;

	*iconv_name = name;
	for (i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++)
		if (strcmp(name, cs_aliases[i].name) == 0) {
			if (cs_aliases[i].iconv != NULL)
				*iconv_name = cs_aliases[i].iconv;
			return cs_aliases[i].kind;
		}
	return CS_ICONV;
}

/* Run iconv over the input; undecodable octets become U+FFFD. */
static void
run_iconv(iconv_t cd, const char *p, size_t len, struct buf *out)
{
	char *in = (char *)(uintptr_t)p;
	size_t inleft = len;

	for (;;) {
		char *o;
		size_t oleft, r;

		buf_reserve(out, inleft * 4 + 16);
		o = out->data + out->len;
		oleft = out->cap - out->len - 1;
		r = iconv(cd, inleft ? &in : NULL, inleft ? &inleft : NULL,
		    &o, &oleft);
		out->len = (size_t)(o - out->data);
		if (r != (size_t)-1 && inleft == 0)
			break;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		buf_add(out, REPL, 3);
		if (errno == EINVAL || inleft == 0)
			break;
		in++;
		inleft--;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
}

int
mime_charset_to_utf8(const char *charset, const char *p, size_t len,
    struct buf *out)
{
	const char *iname;
	char name[64];
	iconv_t cd;

	if (!cs_norm(charset, name, sizeof(name)))
		return -1;
	switch (cs_kind(name, &iname)) {
	case CS_UTF8:
		mime_utf8_sanitize(p, len, out);
		return 0;
	case CS_ASCII:
		/* Mislabelled 8-bit text: UTF-8 if it is, else 1252. */
		if (mime_utf8_is_valid(p, len))
			buf_add(out, p, len);
		else
			from_8bit(p, len, true, out);
		return 0;
	case CS_LATIN1:
		from_8bit(p, len, false, out);
		return 0;
	case CS_1252:
		from_8bit(p, len, true, out);
		return 0;
	case CS_ICONV:
		break;
	}
	if ((cd = iconv_open("UTF-8", iname)) == (iconv_t)-1)
		return -1;
	run_iconv(cd, p, len, out);
	iconv_close(cd);
	return 0;
}

bool
mime_charset_is_known(const char *charset)
{
	const char *iname;
	char name[64];
	iconv_t cd;

	if (!cs_norm(charset, name, sizeof(name)))
		return false;
	if (cs_kind(name, &iname) != CS_ICONV)
		return true;
	if ((cd = iconv_open("UTF-8", iname)) == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}
