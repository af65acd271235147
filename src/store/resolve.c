/* The resolution of a recipient address of a hosted domain to the accounts
 * and forwarding addresses that get its mail (store_rcpt_resolve()),
 * shared by the backends: it walks accounts, domains and alias rows
 * through the backend's lookups.
 * SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/backend.h"

/* The resolution in progress: the final addresses found so far. */
struct resolve {
	struct store	 *st;
	char		**out;
	size_t		  n;
};

static void
resolve_add(struct resolve *r, const char *address)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->out[i], address) == 0)
			return;
	r->out = xreallocarray(r->out, r->n + 1, sizeof(*r->out));
	r->out[r->n++] = xstrdup(address);
}

static int	resolve_address(struct resolve *r, const char *address,
		    int depth);

/* Follow the alias rows of key ("a@b" or "@b"): 1 when any target got
 * somewhere, 0 when there are none, -1 on error. */
static int
resolve_alias(struct resolve *r, const char *key, int depth)
{
	char **targets = NULL;
	size_t n = 0, i;
	int rc, found = 0;

	if (r->st->ops->alias_targets(r->st, key, &targets, &n) == -1)
		return -1;
	for (i = 0; i < n && found >= 0; i++) {
		rc = store_domain_find(r->st,
		    store_address_domain(targets[i]));
		if (rc == 0) {
			resolve_add(r, targets[i]);	/* forwarding */
			found = 1;
		} else if (rc < 0 ||
		    (rc = resolve_address(r, targets[i], depth + 1)) < 0)
			found = -1;
		else if (rc > 0)
			found = 1;
	}
	store_strings_free(targets, n);
	return found;
}

/* "user+tag@domain" -> "user@domain" into out; false without a tag. */
static bool
plus_base(const char *address, char *out, size_t outsize)
{
	const char *plus = strchr(address, '+');
	const char *at = strrchr(address, '@');
	size_t llen;

	if (plus == NULL || at == NULL || plus > at || plus == address)
		return false;
	llen = (size_t)(plus - address);
	if (llen + strlen(at) + 1 > outsize)
		return false;
	memcpy(out, address, llen);
	memcpy(out + llen, at, strlen(at) + 1);
	return true;
}

static int
resolve_address(struct resolve *r, const char *address, int depth)
{
	char base[STORE_ALIAS_BUF];
	const char *catchall;
	int rc;

	if (depth > STORE_ALIAS_DEPTH)
		return 0;	/* a loop, or too deep: goes nowhere */
	rc = store_user_find(r->st, address, NULL);
	if (rc != 0) {
		if (rc > 0)
			resolve_add(r, address);
		return rc;
	}
	if ((rc = resolve_alias(r, address, depth)) != 0)
		return rc;
	if (plus_base(address, base, sizeof(base))) {
		if ((rc = resolve_address(r, base, depth + 1)) != 0)
			return rc;
	}
	/* The catch-all: "@domain". */
	catchall = strchr(address, '@');
	return catchall ? resolve_alias(r, catchall, depth) : 0;
}

int
store_rcpt_resolve(struct store *st, const char *address,
    char ***targets_out, size_t *n_out)
{
	struct resolve r = { st, NULL, 0 };
	char addr[STORE_ALIAS_BUF];
	const char *errstr;
	int rc;

	*targets_out = NULL;
	*n_out = 0;
	if (!store_address_valid(address, addr, sizeof(addr), &errstr))
		return 0;
	rc = resolve_address(&r, addr, 0);
	if (rc <= 0 || r.n == 0) {
		store_strings_free(r.out, r.n);
		return rc < 0 ? -1 : 0;
	}
	*targets_out = r.out;
	*n_out = r.n;
	return 1;
}
