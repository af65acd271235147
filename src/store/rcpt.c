/* The recipients of a delivery, shared by the backends: one entry per
 * user (a message is filed once per user, whatever the RCPTs).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "store/backend.h"

void
store_rcpt_add(struct store_rcpt **v, size_t *n, int64_t user_id,
    const char *mailbox)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].user_id == user_id)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].user_id = user_id;
	/* INBOX is case-insensitive, RFC 3501 5.1. */
	if (mailbox == NULL || strcasecmp(mailbox, "INBOX") == 0)
		mailbox = "INBOX";
	(*v)[*n].mailbox = xstrdup(mailbox);
	(*n)++;
}

void
store_rcpts_free(struct store_rcpt *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].mailbox);
	free(v);
}
