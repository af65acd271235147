/* What every new account gets, whatever the backend: its standard
 * mailboxes with their RFC 6154 special uses.
 * SPDX-License-Identifier: ISC */
#include "store/backend.h"

const struct store_default_mailbox store_default_mailboxes[] = {
	{ "INBOX",	NULL },
	{ "Sent",	"\\Sent" },
	{ "Drafts",	"\\Drafts" },
	{ "Trash",	"\\Trash" },
	{ "Junk",	"\\Junk" },
	{ "Archive",	"\\Archive" },
};

const size_t store_n_default_mailboxes = sizeof(store_default_mailboxes) /
    sizeof(*store_default_mailboxes);
