/* Accounts and mailboxes written by a store copy (store_copy.c) into the
 * PostgreSQL store, with the source's own password hash and UID numbers;
 * messages go through pg_copy.c (pg_copy_message).
 * SPDX-License-Identifier: ISC */
#include <time.h>

#include "store/pg_int.h"

/* The id in column 0 of the one row of res; clears res. 0 or -1. */
static int
id_take(PGresult *res, int64_t *id_out)
{
	int rc = -1;

	if (res != NULL && PQntuples(res) == 1) {
		*id_out = pg_int(res, 0, 0);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int
pg_copy_user(struct store *st, const char *address, const char *hash,
    int64_t *id_out, char **err_out)
{
	const char *domain = store_address_domain(address);
	struct pg_conn *c;

	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_exec(c, "INSERT INTO users(domain_id, address, password, "
	    "created) SELECT id, $1, $2, $3 FROM domains WHERE name = $4 "
	    "ON CONFLICT (address) DO NOTHING", "ssis", address, hash,
	    (int64_t)time(NULL), domain) == -1)
		return pg_fail(c, err_out);
	if (id_take(pg_query(c, "SELECT id FROM users WHERE address = $1",
	    "s", address), id_out) == -1)
		return store_err(err_out, "no domain %s", domain);
	return 0;
}

int
pg_copy_mailbox(struct store *st, int64_t user_id,
    const struct store_copy_mailbox *mb, int64_t *id_out, char **err_out)
{
	struct pg_conn *c;

	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (id_take(pg_query(c, "INSERT INTO mailboxes(user_id, name, "
	    "special_use, uidvalidity, uidnext, highestmodseq, noselect) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7::integer::boolean) ON "
	    "CONFLICT (user_id, name) DO UPDATE SET uidnext = "
	    "greatest(mailboxes.uidnext, excluded.uidnext), highestmodseq = "
	    "greatest(mailboxes.highestmodseq, excluded.highestmodseq) "
	    "RETURNING id", "issiiii", user_id, mb->name, mb->special_use,
	    (int64_t)mb->uidvalidity, (int64_t)mb->uidnext,
	    (int64_t)mb->highestmodseq, (int64_t)mb->is_noselect),
	    id_out) == -1)
		return pg_fail(c, err_out);
	return 0;
}
