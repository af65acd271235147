/* Authentication shared by every protocol: password hashes today; SASL
 * mechanisms and login throttling join them here.
 *
 * Password hashes are yescrypt ("$y$") for new passwords; bcrypt ("$2b$",
 * "$2y$") hashes are accepted when checking, so accounts imported from other
 * systems keep working. Every hash goes through libcrypt's crypt_r(). All
 * functions here are blocking (a hash costs tens of milliseconds of CPU):
 * call them from an iopool job, never straight from an event loop.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_AUTH_H
#define PETREL_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest password accepted, in octets; longer ones never match. */
#define AUTH_PASSWORD_MAX	1024

/* Hash password with yescrypt and a fresh random salt. Returns a heap
 * string the caller frees, or NULL with *errstr set to a static string
 * (empty or over-long password, libcrypt failure). */
char	*auth_password_hash(const char *password, const char **errstr);
/* Check password against a stored hash: true when it matches. A NULL,
 * malformed or unsupported hash never matches, and then costs as much time
 * as a real check, as does auth_password_check_dummy(). */
bool	 auth_password_check(const char *password, const char *hash);
/* Spend the time of one real check and return false: for an unknown
 * account, so that timing does not tell which accounts exist. */
bool	 auth_password_check_dummy(const char *password);
/* Compare two byte strings in time that depends only on their lengths. */
bool	 auth_equal_ct(const void *a, size_t alen, const void *b, size_t blen);

/* XXX: login throttling (per address and per client IP) goes here, between
 * the protocols and the password check, once its issue lands. */

#endif
