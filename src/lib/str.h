/* Length-counted string helpers. Parsers in petrel take (p, len) and never
 * rely on a terminating NUL; these helpers follow the same rule.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_STR_H
#define PETREL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy src into dst of size dstsize, always NUL-terminated. Returns false
 * when src did not fit (dst then holds a truncated copy). */
bool	 str_copy(char *dst, const char *src, size_t dstsize);
/* Parse a decimal number in [min, max] from a NUL-terminated string.
 * On error returns 0 and sets *errstr to a static string; else *errstr is
 * NULL. */
uint64_t str_to_uint(const char *s, uint64_t min, uint64_t max,
	    const char **errstr);
/* The same for the len bytes at p. */
uint64_t str_to_uint_n(const char *p, size_t len, uint64_t min, uint64_t max,
	    const char **errstr);
/* ASCII case-insensitive comparison of p[0..len) with the C string s. */
bool	 str_ieq(const char *p, size_t len, const char *s);
/* True when p[0..len) starts with prefix, ASCII case-insensitive. */
bool	 str_iprefix(const char *p, size_t len, const char *prefix);
/* Strip leading and trailing spaces and tabs from (*p, *len). */
void	 str_trim(const char **p, size_t *len);
/* Lowercase ASCII letters in place. */
void	 str_lower(char *s);
/* Find byte c in p[0..len); NULL when absent. */
const char *str_chr(const char *p, size_t len, char c);
/* Write n random bytes as 2n lowercase hex digits plus NUL into out. */
void	 str_random_hex(char *out, size_t n);

#endif
