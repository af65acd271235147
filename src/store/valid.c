/* Syntax of hosted domains and account addresses: RFC 5321 4.1.2 (a
 * dot-atom local part, no quoted strings) and RFC 1035 2.3.4 host names,
 * with the length limits of RFC 5321 4.5.3.1. Both are kept lowercase.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "store/store_int.h"

/* RFC 5321 4.5.3.1.1; RFC 1035 2.3.4 (without the root label); RFC 5321
 * 4.5.3.1.3 (the path without its angle brackets). */
#define LOCAL_MAX	64
#define DOMAIN_MAX	253
#define LABEL_MAX	63
#define ADDRESS_MAX	254

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* atext, RFC 5322 3.2.3. */
static bool
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

static void
lower_copy(char *out, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[i] = p[i];
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	}
	out[len] = '\0';
}

static bool
domain_check(const char *p, size_t len, const char **errstr)
{
	size_t i, label = 0;

	if (len == 0 || len > DOMAIN_MAX) {
		*errstr = len == 0 ? "empty domain" : "domain too long";
		return false;
	}
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			if (label == 0 || p[i - 1] == '-') {
				*errstr = "bad domain label";
				return false;
			}
			label = 0;
			continue;
		}
		if (!is_alnum((unsigned char)p[i]) &&
		    (p[i] != '-' || label == 0)) {
			*errstr = "bad character in domain";
			return false;
		}
		if (++label > LABEL_MAX) {
			*errstr = "domain label too long";
			return false;
		}
	}
	return true;
}

static bool
local_check(const char *p, size_t len, const char **errstr)
{
	size_t i;

	if (len == 0 || len > LOCAL_MAX) {
		*errstr = len == 0 ? "empty local part" : "local part too long";
		return false;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (i == 0 || i == len - 1 || p[i - 1] == '.') {
				*errstr = "bad dot in local part";
				return false;
			}
		} else if (!is_atext((unsigned char)p[i])) {
			*errstr = "bad character in local part";
			return false;
		}
	}
	return true;
}

bool
store_domain_valid(const char *domain, char *out, size_t outsize,
    const char **errstr)
{
	size_t len;

	*errstr = NULL;
	if (domain == NULL) {
		*errstr = "empty domain";
		return false;
	}
	len = strlen(domain);
	if (!domain_check(domain, len, errstr))
		return false;
	if (len >= outsize) {
		*errstr = "domain too long";
		return false;
	}
	lower_copy(out, domain, len);
	return true;
}

bool
store_address_valid(const char *address, char *out, size_t outsize,
    const char **errstr)
{
	const char *at;
	size_t len;

	*errstr = NULL;
	if (address == NULL || (at = strchr(address, '@')) == NULL) {
		*errstr = "address without @";
		return false;
	}
	len = strlen(address);
	if (!local_check(address, (size_t)(at - address), errstr) ||
	    !domain_check(at + 1, strlen(at + 1), errstr))
		return false;
	if (len > ADDRESS_MAX || len >= outsize) {
		*errstr = "address too long";
		return false;
	}
	lower_copy(out, address, len);
	return true;
}

const char *
store_address_domain(const char *address)
{
	const char *at = strchr(address, '@');

	return at != NULL ? at + 1 : address + strlen(address);
}

bool
store_alias_valid(const char *address, char *out, size_t outsize,
    const char **errstr)
{
	if (address[0] == '@') {
		out[0] = '@';
		return store_domain_valid(address + 1, out + 1, outsize - 1,
		    errstr);
	}
	return store_address_valid(address, out, outsize, errstr);
}

int
store_alias_args(const char *address, const char *target, char *addr,
    char *dest, char **err_out)
{
	const char *errstr;

	if (!store_alias_valid(address, addr, STORE_ALIAS_BUF, &errstr))
		return store_err(err_out, "alias %s: %s", address, errstr);
	if (target != NULL &&
	    !store_address_valid(target, dest, STORE_ALIAS_BUF, &errstr))
		return store_err(err_out, "target %s: %s", target, errstr);
	return 0;
}

const char *
store_alias_domain(const char *alias)
{
	return alias[0] == '@' ? alias + 1 : store_address_domain(alias);
}

size_t
store_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
