/* Hosted domains in the PostgreSQL store, as domain.c for SQLite.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "store/pg_int.h"

#define DOMAIN_BUF	256

int
pg_domain_add(struct store *st, const char *domain, char **err_out)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	struct pg_thread *c;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return store_err(err_out, "%s", errstr);
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_exec(c, "INSERT INTO domains(name) VALUES ($1)", "s",
	    name) == -1)
		return pg_is_unique(c) ? store_err(err_out, "domain %s exists",
		    name) : pg_fail(c, err_out);
	return 0;
}

int
pg_domain_del(struct store *st, const char *domain, char **err_out)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	struct pg_thread *c;
	PGresult *res;
	int n;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return store_err(err_out, "%s", errstr);
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	/* One statement: whether it exists, and deleted unless in use. */
	res = pg_query(c, "WITH d AS (SELECT id FROM domains WHERE name = $1),"
	    " del AS (DELETE FROM domains WHERE id IN (SELECT id FROM d) AND "
	    "NOT EXISTS (SELECT 1 FROM users u, d WHERE u.domain_id = d.id) "
	    "RETURNING id) SELECT (SELECT count(*) FROM d), "
	    "(SELECT count(*) FROM del)", "s", name);
	if (res == NULL)
		return pg_fail(c, err_out);
	n = (int)pg_int(res, 0, 0) * 2 + (int)pg_int(res, 0, 1);
	PQclear(res);
	if (n == 0)
		return store_err(err_out, "no domain %s", name);
	if (n == 2)
		return store_err(err_out, "domain %s still has accounts",
		    name);
	return 0;
}

int
pg_domain_list(struct store *st, char ***names_out, size_t *n_out)
{
	struct pg_thread *c;

	*names_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT name FROM domains ORDER BY "
	    "name COLLATE \"C\"", ""), names_out, n_out);
}

int
pg_domain_find(struct store *st, const char *domain)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT 1 FROM domains WHERE name = $1", "s", name);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}
