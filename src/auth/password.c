/* Password hashes through libcrypt's crypt_r(): yescrypt for new hashes,
 * yescrypt or bcrypt accepted when checking, and a dummy check of the same
 * cost for unknown accounts.
 * SPDX-License-Identifier: ISC */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Hash prefixes we accept when checking. */
static const char *const accepted_prefixes[] = { "$y$", "$2b$", "$2y$" };

static pthread_once_t	 dummy_once = PTHREAD_ONCE_INIT;
static char		*dummy_hash;

static bool
hash_is_accepted(const char *hash)
{
	size_t i, n;

	if (hash == NULL)
		return false;
	for (i = 0; i < sizeof(accepted_prefixes) / sizeof(*accepted_prefixes);
	    i++) {
		n = strlen(accepted_prefixes[i]);
		if (strncmp(hash, accepted_prefixes[i], n) == 0)
			return true;
	}
	return false;
}

/* crypt_r() into a heap crypt_data (it is about 32 KiB, too big for a
 * loop's stack). Returns a heap copy of the result or NULL. */
static char *
crypt_heap(const char *password, const char *setting)
{
	struct crypt_data *cd;
	char *out, *res = NULL;

	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r(password, setting, cd);
	/* libcrypt reports failure as NULL or as a string starting with '*'
	 * that can never match a real hash. */
	if (out != NULL && out[0] != '*')
		res = xstrdup(out);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return res;
}

char *
auth_password_hash(const char *password, const char **errstr)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char *hash;

	*errstr = NULL;
	if (password == NULL || password[0] == '\0') {
		*errstr = "empty password";
		return NULL;
	}
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		*errstr = "password too long";
		return NULL;
	}
	/* Count 0 picks libcrypt's default cost; NULL random bytes make it
	 * read the salt from the kernel. */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		*errstr = "cannot make a yescrypt salt";
		return NULL;
	}
	if ((hash = crypt_heap(password, salt)) == NULL)
		*errstr = "yescrypt failed";
	return hash;
}

static void
dummy_init(void)
{
	const char *errstr;

	dummy_hash = auth_password_hash("petrel dummy password", &errstr);
	if (dummy_hash == NULL)
		fatalx("auth: cannot make the dummy hash: %s", errstr);
}

bool
auth_password_check_dummy(const char *password)
{
	char *out;

	pthread_once(&dummy_once, dummy_init);
	out = crypt_heap(password != NULL ? password : "", dummy_hash);
	free(out);
	return false;
}

bool
auth_password_check(const char *password, const char *hash)
{
	char *out;
	bool is_match;

	if (password == NULL || strlen(password) > AUTH_PASSWORD_MAX ||
	    !hash_is_accepted(hash))
		return auth_password_check_dummy(password);
	if ((out = crypt_heap(password, hash)) == NULL)
		return false;
	is_match = auth_equal_ct(out, strlen(out), hash, strlen(hash));
	explicit_bzero(out, strlen(out));
	free(out);
	return is_match;
}

bool
auth_equal_ct(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *pa = a, *pb = b;
	unsigned char diff = 0;
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		diff |= pa[i] ^ pb[i];
	return diff == 0;
}
