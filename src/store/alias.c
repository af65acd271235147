/* Aliases and catch-alls in the SQLite store; resolve.c walks them.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

int
lite_alias_add(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[STORE_ALIAS_BUF], dest[STORE_ALIAS_BUF];
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (store_alias_args(address, target, addr, dest, err_out) == -1)
		return -1;
	if (strcmp(addr, dest) == 0)
		return store_err(err_out, "an alias cannot point to itself");
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, "INSERT INTO aliases(address, target, "
	    "domain_id) SELECT ?1, ?2, id FROM domains WHERE name = ?3",
	    err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, store_alias_domain(addr), -1,
	    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return store_err(err_out, "alias %s -> %s exists", addr, dest);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "no domain %s",
		    store_alias_domain(addr));
	return 0;
}

int
lite_alias_del(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[STORE_ALIAS_BUF], dest[STORE_ALIAS_BUF];
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (store_alias_args(address, target, addr, dest, err_out) == -1)
		return -1;
	if ((db = store_db(st)) == NULL)
		return store_err(err_out, "store: cannot open the database");
	stmt = store_db_prepare(db, "DELETE FROM aliases WHERE address = ?1 "
	    "AND (?2 IS NULL OR target = ?2)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	if (target != NULL)
		sqlite3_bind_text(stmt, 2, dest, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "no alias %s%s%s", addr,
		    target ? " -> " : "", target ? dest : "");
	return 0;
}

int
lite_alias_list(struct store *st, const char *domain, char ***lines_out,
    size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*lines_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	stmt = store_db_prepare(db, "SELECT a.address || ' ' || a.target "
	    "FROM aliases a JOIN domains d ON d.id = a.domain_id "
	    "WHERE ?1 IS NULL OR d.name = lower(?1) "
	    "ORDER BY a.address, a.target", NULL);
	if (stmt == NULL)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	return store_db_strings(stmt, lines_out, n_out);
}

int
lite_alias_targets(struct store *st, const char *key, char ***targets_out,
    size_t *n_out)
{
	sqlite3_stmt *stmt;
	sqlite3 *db;
	char **v = NULL;
	size_t n = 0;
	int rc;

	*targets_out = NULL;
	*n_out = 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	/* Every RCPT asks: a kept statement (stmt.c). */
	stmt = store_stmt(db, "SELECT target FROM aliases WHERE "
	    "address = ? ORDER BY target");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_strings_free(v, n);
		return -1;
	}
	*targets_out = v;
	*n_out = n;
	return 0;
}
