/* SASL mechanisms PLAIN (RFC 4616) and LOGIN for every protocol that
 * authenticates: decoding the client's base64 responses and producing the
 * user name and password to check.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"

/* base64 of "Username:" and "Password:", the de-facto LOGIN prompts. */
#define LOGIN_USER_PROMPT	"VXNlcm5hbWU6"
#define LOGIN_PASS_PROMPT	"UGFzc3dvcmQ6"

int
auth_sasl_mech_find(const char *p, size_t len, enum auth_sasl_mech *out)
{
	if (str_ieq(p, len, "PLAIN"))
		*out = AUTH_SASL_PLAIN;
	else if (str_ieq(p, len, "LOGIN"))
		*out = AUTH_SASL_LOGIN;
	else
		return -1;
	return 0;
}

void
auth_sasl_init(struct auth_sasl *sasl, enum auth_sasl_mech mech)
{
	memset(sasl, 0, sizeof(*sasl));
	sasl->mech = mech;
}

void
auth_sasl_fini(struct auth_sasl *sasl)
{
	explicit_bzero(sasl, sizeof(*sasl));
}

struct auth_sasl *
auth_sasl_new(enum auth_sasl_mech mech)
{
	struct auth_sasl *sasl = xmalloc(sizeof(*sasl));

	auth_sasl_init(sasl, mech);
	return sasl;
}

void
auth_sasl_free(struct auth_sasl *sasl)
{
	if (sasl != NULL) {
		auth_sasl_fini(sasl);
		free(sasl);
	}
}

/* Copy a decoded field; false when it is too long or holds a NUL. */
static bool
take(char *dst, size_t dstsize, const char *p, size_t len)
{
	if (len >= dstsize || memchr(p, '\0', len) != NULL)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

/* RFC 4616 2: [authzid] NUL authcid NUL passwd. */
static enum auth_sasl_result
plain(struct auth_sasl *sasl, const char *p, size_t len, const char **errstr)
{
	const char *nul1 = memchr(p, '\0', len), *nul2;
	size_t zlen, ulen;

	if (nul1 == NULL ||
	    (nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 - p) - 1)) ==
	    NULL) {
		*errstr = "PLAIN needs authzid NUL authcid NUL password";
		return AUTH_SASL_BAD;
	}
	zlen = (size_t)(nul1 - p);
	ulen = (size_t)(nul2 - nul1 - 1);
	if (!take(sasl->user, sizeof(sasl->user), nul1 + 1, ulen) ||
	    !take(sasl->password, sizeof(sasl->password), nul2 + 1,
	    len - (size_t)(nul2 - p) - 1) || ulen == 0) {
		*errstr = "bad user name or password";
		return AUTH_SASL_BAD;
	}
	/* Acting for another user (authzid) is not offered. */
	if (zlen > 0 && (zlen != ulen || memcmp(p, nul1 + 1, ulen) != 0)) {
		*errstr = "authorization identity must equal the user";
		return AUTH_SASL_BAD;
	}
	return AUTH_SASL_DONE;
}

static enum auth_sasl_result
login(struct auth_sasl *sasl, const char *p, size_t len,
    const char **challenge_out, const char **errstr)
{
	if (sasl->step == 1) {
		if (!take(sasl->user, sizeof(sasl->user), p, len) ||
		    len == 0) {
			*errstr = "bad user name";
			return AUTH_SASL_BAD;
		}
		*challenge_out = LOGIN_PASS_PROMPT;
		return AUTH_SASL_CONTINUE;
	}
	if (!take(sasl->password, sizeof(sasl->password), p, len)) {
		*errstr = "bad password";
		return AUTH_SASL_BAD;
	}
	return AUTH_SASL_DONE;
}

/* Free a buffer that held a secret. */
static void
wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

enum auth_sasl_result
auth_sasl_step(struct auth_sasl *sasl, const char *resp, size_t len,
    const char **challenge_out, const char **errstr)
{
	struct buf dec = BUF_INIT;
	enum auth_sasl_result r;

	*challenge_out = "";
	if (resp != NULL && len == 1 && resp[0] == '*')
		return AUTH_SASL_CANCEL;
	if (resp == NULL && sasl->step == 0) {
		/* No initial response: ask for the first one. */
		sasl->step = 1;
		*challenge_out = sasl->mech == AUTH_SASL_LOGIN ?
		    LOGIN_USER_PROMPT : "";
		return AUTH_SASL_CONTINUE;
	}
	if (sasl->step == 0)
		sasl->step = 1;
	if (resp == NULL || (!(len == 1 && resp[0] == '=') &&
	    b64_decode(resp, len, &dec) != 0)) {
		wipe(&dec);
		*errstr = "response is not valid base64";
		return AUTH_SASL_BAD;
	}
	buf_reserve(&dec, 0);
	if (sasl->mech == AUTH_SASL_PLAIN)
		r = plain(sasl, dec.data, dec.len, errstr);
	else
		r = login(sasl, dec.data, dec.len, challenge_out, errstr);
	sasl->step++;
	wipe(&dec);
	return r;
}
