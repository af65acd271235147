/* Hosted domains: the part after @ of every account.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

#define DOMAIN_BUF	256

int
lite_domain_add(struct store *st, const char *domain, char **err_out)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return store_err(err_out, "%s", errstr);
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, "INSERT INTO domains(name) VALUES (?)",
	    err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return store_err(err_out, "domain %s exists", name);
	if (rc != SQLITE_DONE)
		return store_db_fail(db, "store", err_out);
	return 0;
}

/* The id of a domain, in the current transaction: 1, 0 or -1. */
static int
domain_id(sqlite3 *db, const char *name, int64_t *id_out)
{
	sqlite3_stmt *stmt;
	int rc;

	/* Every RCPT asks: a kept statement (stmt.c). */
	stmt = store_stmt(db, "SELECT id FROM domains WHERE name = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Delete the domain unless an account still uses it. */
static int
domain_del_txn(sqlite3 *db, const char *name, char **err_out)
{
	sqlite3_stmt *stmt;
	int64_t id;
	int rc;

	if ((rc = domain_id(db, name, &id)) != 1)
		return rc == 0 ? store_err(err_out, "no domain %s", name) :
		    store_err(err_out, "store: %s", sqlite3_errmsg(db));
	stmt = store_db_prepare(db, "DELETE FROM domains WHERE id = ? AND "
	    "NOT EXISTS (SELECT 1 FROM users WHERE domain_id = ?)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "domain %s still has accounts",
		    name);
	return 0;
}

int
lite_domain_del(struct store *st, const char *domain, char **err_out)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	sqlite3 *db;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return store_err(err_out, "%s", errstr);
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	if (store_db_begin(db, err_out) == -1)
		return -1;
	if (domain_del_txn(db, name, err_out) == -1) {
		store_db_rollback(db);
		return -1;
	}
	return store_db_commit(db, err_out);
}

int
lite_domain_list(struct store *st, char ***names_out, size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*names_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT name FROM domains ORDER BY name",
	    NULL);
	if (stmt == NULL)
		return -1;
	return store_db_strings(stmt, names_out, n_out);
}

int
lite_domain_find(struct store *st, const char *domain)
{
	char name[DOMAIN_BUF];
	const char *errstr;
	sqlite3 *db;
	int64_t id;

	if (!store_domain_valid(domain, name, sizeof(name), &errstr))
		return 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	return domain_id(db, name, &id);
}

void
store_strings_free(char **strings, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(strings[i]);
	free(strings);
}
