/* Length-counted string helpers.
 * SPDX-License-Identifier: ISC */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "str.h"

bool
str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize == 0)
		return false;
	if (len >= dstsize) {
		memcpy(dst, src, dstsize - 1);
		dst[dstsize - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}

uint64_t
str_to_uint_n(const char *p, size_t len, uint64_t min, uint64_t max,
    const char **errstr)
{
	uint64_t v = 0;
	size_t i;

	*errstr = NULL;
	if (len == 0) {
		*errstr = "empty number";
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9') {
			*errstr = "not a number";
			return 0;
		}
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*errstr = "too large";
			return 0;
		}
		v = v * 10 + d;
	}
	if (v < min) {
		*errstr = "too small";
		return 0;
	}
	if (v > max) {
		*errstr = "too large";
		return 0;
	}
	return v;
}

uint64_t
str_to_uint(const char *s, uint64_t min, uint64_t max, const char **errstr)
{
	return str_to_uint_n(s, strlen(s), min, max, errstr);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool
str_ieq(const char *p, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || lower((unsigned char)p[i]) !=
		    lower((unsigned char)s[i]))
			return false;
	return s[len] == '\0';
}

bool
str_iprefix(const char *p, size_t len, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != '\0'; i++)
		if (i >= len || lower((unsigned char)p[i]) !=
		    lower((unsigned char)prefix[i]))
			return false;
	return true;
}

void
str_trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)lower((unsigned char)*s);
}

const char *
str_chr(const char *p, size_t len, char c)
{
	return len ? memchr(p, c, len) : NULL;
}

void
str_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t i;

	if (n > sizeof(raw))
		fatalx("str_random_hex: %zu bytes is too many", n);
	if (getrandom(raw, n, 0) != (ssize_t)n)
		fatal("getrandom");
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
}
