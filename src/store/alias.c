/* Aliases, catch-alls and the resolution of a recipient address of a hosted
 * domain to the accounts and forwarding addresses that get its mail.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

#define ALIAS_BUF	512

/* "@domain" (a catch-all) or a full address, made lowercase into out. */
static bool
alias_address_valid(const char *address, char *out, size_t outsize,
    const char **errstr)
{
	if (address[0] == '@') {
		out[0] = '@';
		return store_domain_valid(address + 1, out + 1, outsize - 1,
		    errstr);
	}
	return store_address_valid(address, out, outsize, errstr);
}

int
lite_alias_add(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[ALIAS_BUF], dest[ALIAS_BUF];
	const char *errstr;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (!alias_address_valid(address, addr, sizeof(addr), &errstr))
		return store_err(err_out, "alias %s: %s", address, errstr);
	if (!store_address_valid(target, dest, sizeof(dest), &errstr))
		return store_err(err_out, "target %s: %s", target, errstr);
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
	sqlite3_bind_text(stmt, 3, addr[0] == '@' ? addr + 1 :
	    store_address_domain(addr), -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return store_err(err_out, "alias %s -> %s exists", addr, dest);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "no domain %s", addr[0] == '@' ?
		    addr + 1 : store_address_domain(addr));
	return 0;
}

int
lite_alias_del(struct store *st, const char *address, const char *target,
    char **err_out)
{
	char addr[ALIAS_BUF], dest[ALIAS_BUF];
	const char *errstr;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (!alias_address_valid(address, addr, sizeof(addr), &errstr))
		return store_err(err_out, "alias %s: %s", address, errstr);
	if (target != NULL &&
	    !store_address_valid(target, dest, sizeof(dest), &errstr))
		return store_err(err_out, "target %s: %s", target, errstr);
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

/* The resolution in progress: the final addresses found so far. */
struct resolve {
	sqlite3	*db;
	char	**out;
	size_t	 n;
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

/* 1 when the query with one text parameter yields a row. sql is a string
 * literal: every RCPT runs these, so they are kept prepared (stmt.c). */
static int
exists(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt *stmt = store_stmt(db, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int	resolve_address(struct resolve *r, const char *address,
		    int depth);

/* Follow the alias rows of key ("a@b" or "@b"): 1 when any target got
 * somewhere, 0 when there are none, -1 on error. */
static int
resolve_alias(struct resolve *r, const char *key, int depth)
{
	sqlite3_stmt *stmt;
	char **targets = NULL;
	size_t n = 0, i;
	int rc, found = 0;

	/* All targets first: the recursion below uses the same statement. */
	stmt = store_stmt(r->db, "SELECT target FROM aliases WHERE "
	    "address = ? ORDER BY target");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		targets = xreallocarray(targets, n + 1, sizeof(*targets));
		targets[n++] = xstrdup((const char *)
		    sqlite3_column_text(stmt, 0));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_strings_free(targets, n);
		return -1;
	}
	for (i = 0; i < n && found >= 0; i++) {
		rc = exists(r->db, "SELECT 1 FROM domains WHERE name = ?",
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
	char base[ALIAS_BUF];
	const char *catchall;
	int rc;

	if (depth > STORE_ALIAS_DEPTH)
		return 0;	/* a loop, or too deep: goes nowhere */
	rc = exists(r->db, "SELECT 1 FROM users WHERE address = ?", address);
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
lite_rcpt_resolve(struct store *st, const char *address,
    char ***targets_out, size_t *n_out)
{
	struct resolve r = { NULL, NULL, 0 };
	char addr[ALIAS_BUF];
	const char *errstr;
	int rc;

	*targets_out = NULL;
	*n_out = 0;
	if (!store_address_valid(address, addr, sizeof(addr), &errstr))
		return 0;
	if ((r.db = store_db(st)) == NULL)
		return -1;
	rc = resolve_address(&r, addr, 0);
	if (rc <= 0 || r.n == 0) {
		store_strings_free(r.out, r.n);
		return rc < 0 ? -1 : 0;
	}
	*targets_out = r.out;
	*n_out = r.n;
	return 1;
}
