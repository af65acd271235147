/* Authentication shared by every protocol: password hashes, SASL
 * mechanisms and login throttling.
 *
 * Password hashes are yescrypt ("$y$") for new passwords; bcrypt ("$2b$",
 * "$2y$") hashes are accepted when checking, so accounts imported from other
 * systems keep working. Every hash goes through libcrypt's crypt_r(). The
 * password functions are blocking (a hash costs tens of milliseconds of
 * CPU): call them from an iopool job, never straight from an event loop.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_AUTH_H
#define PETREL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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

/* Login throttling, one table for every protocol (and so for every
 * listener). Thread-safe.
 *
 * Per client address: failures make the next attempt wait, doubling up
 * to 16 s, and AUTH_THROTTLE_ADDR_BLOCK failures, each within
 * AUTH_THROTTLE_ADDR_WINDOW seconds of the one before, refuse the address
 * until that long after the last. A success clears the address. */
#define AUTH_THROTTLE_ADDR_BLOCK	10
#define AUTH_THROTTLE_ADDR_WINDOW	900
struct sockaddr;
/* Seconds to wait before answering the next attempt from peer. */
unsigned auth_throttle_delay(const struct sockaddr *peer);
bool	 auth_throttle_is_blocked(const struct sockaddr *peer);
void	 auth_throttle_failed(const struct sockaddr *peer);
void	 auth_throttle_succeeded(const struct sockaddr *peer);

/* Per account (the name as typed, any case), whatever the address: after
 * max_failures failures, each within window seconds of the one before,
 * the account is refused until window seconds after the last; a success
 * clears it. The time is passed in. */
#define AUTH_THROTTLE_ACCOUNT_MAX	10
#define AUTH_THROTTLE_ACCOUNT_WINDOW	900
/* Set the limits (the defaults above until then); call before any
 * thread uses the throttle. */
void	 auth_throttle_account_limits(unsigned max_failures,
	    unsigned window);
/* Seconds until user may try again: 0 when it may now. */
unsigned auth_throttle_account_wait(const char *user, time_t now);
void	 auth_throttle_account_failed(const char *user, time_t now);
void	 auth_throttle_account_succeeded(const char *user, time_t now);

/* Both at once, as every sign-in uses them. The seconds until a sign-in
 * as user from peer may be tried, 0 when it may now: the address's block
 * (AUTH_THROTTLE_ADDR_WINDOW) or the account's wait. */
unsigned auth_throttle_wait(const struct sockaddr *peer, const char *user);
/* Count a checked password for the address and the account. */
void	 auth_throttle_outcome(const struct sockaddr *peer, const char *user,
	    bool is_ok);

/* SASL (RFC 4422) mechanisms PLAIN (RFC 4616) and LOGIN, shared by SMTP
 * AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE. The
 * protocol moves base64 text back and forth; this decodes it, runs the
 * mechanism and yields the user name and password to check. */
enum auth_sasl_mech {
	AUTH_SASL_PLAIN,
	AUTH_SASL_LOGIN,
};

enum auth_sasl_result {
	AUTH_SASL_CONTINUE,	/* send *challenge_out, read a response */
	AUTH_SASL_DONE,		/* user and password are set */
	AUTH_SASL_CANCEL,	/* the client sent "*" */
	AUTH_SASL_BAD,		/* malformed: *errstr says why */
};

#define AUTH_USER_MAX	256

struct auth_sasl {
	enum auth_sasl_mech	 mech;
	int			 step;
	char			 user[AUTH_USER_MAX];
	char			 password[AUTH_PASSWORD_MAX + 1];
};

/* The mechanism named p[0..len) (case-insensitive): 0 and *out set, or -1
 * when petrel does not offer it. */
int	auth_sasl_mech_find(const char *p, size_t len,
	    enum auth_sasl_mech *out);
void	auth_sasl_init(struct auth_sasl *sasl, enum auth_sasl_mech mech);
/* Feed the client's next response, as the base64 text it sent; NULL for
 * "no initial response". "=" is the empty response (RFC 4954 4). The
 * challenge is static base64 text. */
enum auth_sasl_result auth_sasl_step(struct auth_sasl *sasl,
	    const char *resp, size_t len, const char **challenge_out,
	    const char **errstr);
/* Wipe the secrets. */
void	auth_sasl_fini(struct auth_sasl *sasl);
/* A session's exchange on the heap: auth_sasl_init() on a new one, which
 * the caller frees with auth_sasl_free() (secrets wiped; NULL: nothing). */
struct auth_sasl *auth_sasl_new(enum auth_sasl_mech mech);
void	auth_sasl_free(struct auth_sasl *sasl);

#endif
