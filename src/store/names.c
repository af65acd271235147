/* Mailbox hierarchy names, shared by the backends: names split at '/'
 * (RFC 3501 5.1.1), their superior names and their children.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "store/backend.h"

int
store_name_parents(const char *name, store_name_fn *fn, void *arg)
{
	char *copy = xstrdup(name), *slash;
	int rc = 0;

	for (slash = strchr(copy, '/'); slash != NULL && rc == 0;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (copy[0] != '\0')
			rc = fn(arg, copy);
		*slash = '/';
	}
	free(copy);
	return rc;
}

bool
store_name_is_below(const char *name, const char *parent)
{
	size_t plen = strlen(parent);

	return strncmp(name, parent, plen) == 0 && name[plen] == '/';
}

int
store_name_rename_check(const char **from, const char *to)
{
	if (strcasecmp(*from, "INBOX") == 0)
		*from = "INBOX";
	if (strcasecmp(to, "INBOX") == 0)
		return STORE_EXISTS;
	/* A mailbox cannot become its own child. */
	if (store_name_is_below(to, *from))
		return STORE_REFUSED;
	return 0;
}
