/* Aliases and catch-alls in the PostgreSQL store, as alias.c for SQLite;
 * resolve.c walks them.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "store/pg_int.h"

int
pg_alias_add(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[STORE_ALIAS_BUF], dest[STORE_ALIAS_BUF];
	const char *domain;
	struct pg_thread *c;
	uint64_t n = 0;

	if (store_alias_args(address, target, addr, dest, err_out) == -1)
		return -1;
	if (strcmp(addr, dest) == 0)
		return store_err(err_out, "an alias cannot point to itself");
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	domain = store_alias_domain(addr);
	if (pg_exec_n(c, &n, "INSERT INTO aliases(address, target, "
	    "domain_id) SELECT $1, $2, id FROM domains WHERE name = $3",
	    "sss", addr, dest, domain) == -1)
		return pg_is_unique(c) ? store_err(err_out, "alias %s -> %s "
		    "exists", addr, dest) : pg_fail(c, err_out);
	if (n == 0)
		return store_err(err_out, "no domain %s", domain);
	return 0;
}

int
pg_alias_del(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[STORE_ALIAS_BUF], dest[STORE_ALIAS_BUF];
	struct pg_thread *c;
	uint64_t n = 0;

	if (store_alias_args(address, target, addr, dest, err_out) == -1)
		return -1;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_exec_n(c, &n, "DELETE FROM aliases WHERE address = $1 AND "
	    "($2::text IS NULL OR target = $2)", "ss", addr,
	    target != NULL ? dest : NULL) == -1)
		return pg_fail(c, err_out);
	if (n == 0)
		return store_err(err_out, "no alias %s%s%s", addr,
		    target ? " -> " : "", target ? dest : "");
	return 0;
}

int
pg_alias_list(struct store *st, const char *domain, char ***lines_out,
    size_t *n_out)
{
	struct pg_thread *c;

	*lines_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT a.address || ' ' || a.target "
	    "FROM aliases a JOIN domains d ON d.id = a.domain_id "
	    "WHERE $1::text IS NULL OR d.name = lower($1) "
	    "ORDER BY a.address COLLATE \"C\", a.target COLLATE \"C\"", "s",
	    domain), lines_out, n_out);
}

int
pg_alias_targets(struct store *st, const char *key, char ***targets_out,
    size_t *n_out)
{
	struct pg_thread *c;

	*targets_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT target FROM aliases WHERE "
	    "address = $1 ORDER BY target COLLATE \"C\"", "s", key),
	    targets_out, n_out);
}
