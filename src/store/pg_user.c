/* Accounts in the PostgreSQL store, as user.c for SQLite: address,
 * password hash (auth/password.c) and the standard mailboxes.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"

int
pg_mailbox_insert(struct pg_thread *c, int64_t user_id, const char *name,
    const char *special_use, bool is_subscribed)
{
	uint32_t uidvalidity;

	if (pg_uidvalidity(c, &uidvalidity) == -1 ||
	    pg_exec(c, "INSERT INTO mailboxes(user_id, name, special_use, "
	    "uidvalidity) VALUES ($1, $2, $3, $4)", "issi", user_id, name,
	    special_use, (int64_t)uidvalidity) == -1)
		return -1;
	if (is_subscribed && pg_exec(c, "INSERT INTO subscriptions VALUES "
	    "($1, $2) ON CONFLICT DO NOTHING", "is", user_id, name) == -1)
		return -1;
	return 0;
}

/* The connection for a change to the account address, whose canonical
 * form goes to addr (STORE_ADDR_MAX bytes); NULL with *err_out set when
 * the address is bad or the database is unavailable. */
static struct pg_thread *
account_conn(struct store *st, const char *address, char *addr,
    char **err_out)
{
	const char *errstr;
	struct pg_thread *c;

	if (!store_address_valid(address, addr, STORE_ADDR_MAX, &errstr)) {
		(void)store_err(err_out, "%s", errstr);
		return NULL;
	}
	if ((c = pg_conn_get(st)) == NULL)
		(void)pg_fail(NULL, err_out);
	return c;
}

/* Set the password hash of address; *n_out says whether it exists. */
static int
passwd_set(struct pg_thread *c, const char *address, const char *hash,
    uint64_t *n_out)
{
	return pg_exec_n(c, n_out, "UPDATE users SET password = $1 WHERE "
	    "address = $2", "ss", hash, address);
}

static int
user_add_txn(struct pg_thread *c, const char *address, const char *hash,
    char **err_out)
{
	const char *domain = store_address_domain(address);
	PGresult *res;
	int64_t user_id;
	size_t i;

	res = pg_query(c, "INSERT INTO users(domain_id, address, password, "
	    "created) SELECT id, $1, $2, $3 FROM domains WHERE name = $4 "
	    "RETURNING id", "ssis", address, hash, (int64_t)time(NULL),
	    domain);
	if (res == NULL)
		return pg_is_unique(c) ? store_err(err_out, "account %s "
		    "exists", address) : pg_fail(c, err_out);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return store_err(err_out, "no domain %s", domain);
	}
	user_id = pg_int(res, 0, 0);
	PQclear(res);
	for (i = 0; i < store_n_default_mailboxes; i++) {
		if (pg_mailbox_insert(c, user_id,
		    store_default_mailboxes[i].name,
		    store_default_mailboxes[i].special_use, true) == -1)
			return pg_fail(c, err_out);
	}
	return 0;
}

int
pg_user_add(struct store *st, const char *address, const char *password,
    char **err_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	struct pg_thread *c;
	char *hash;
	int rc = -1;

	if ((c = account_conn(st, address, addr, err_out)) == NULL)
		return -1;
	if ((hash = auth_password_hash(password, &errstr)) == NULL)
		return store_err(err_out, "%s", errstr);
	if (pg_begin(c) == -1)
		pg_fail(c, err_out);
	else if (user_add_txn(c, addr, hash, err_out) == -1)
		pg_rollback(c);
	else if ((rc = pg_commit(c)) == -1)
		pg_fail(c, err_out);
	explicit_bzero(hash, strlen(hash));
	free(hash);
	return rc;
}

int
pg_user_del(struct store *st, const char *address, char **err_out)
{
	char addr[STORE_ADDR_MAX];
	struct pg_thread *c;
	int64_t *ids = NULL;
	PGresult *res;
	int i, n, rc;

	if ((c = account_conn(st, address, addr, err_out)) == NULL)
		return -1;
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	/* The bodies its messages use, before the cascade removes them. */
	res = pg_query(c, "SELECT DISTINCT m.body_id FROM messages m JOIN "
	    "mailboxes b ON m.mailbox_id = b.id JOIN users u ON "
	    "b.user_id = u.id WHERE u.address = $1", "s", addr);
	if (res == NULL)
		goto fail;
	n = PQntuples(res);
	ids = xcalloc(n ? (size_t)n : 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = pg_int(res, i, 0);
	PQclear(res);
	res = pg_query(c, "DELETE FROM users WHERE address = $1 RETURNING id",
	    "s", addr);
	if (res == NULL)
		goto fail;
	rc = PQntuples(res);
	PQclear(res);
	if (rc == 0) {
		pg_rollback(c);
		free(ids);
		return store_err(err_out, "no account %s", addr);
	}
	if (pg_bodies_gc(c, ids, (size_t)n) == -1 || pg_commit(c) == -1)
		goto fail;
	free(ids);
	return 0;
fail:
	rc = pg_fail(c, err_out);
	pg_rollback(c);
	free(ids);
	return rc;
}

int
pg_user_passwd(struct store *st, const char *address, const char *password,
    char **err_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	struct pg_thread *c;
	uint64_t n = 0;
	char *hash;
	int rc;

	if ((c = account_conn(st, address, addr, err_out)) == NULL)
		return -1;
	if ((hash = auth_password_hash(password, &errstr)) == NULL)
		return store_err(err_out, "%s", errstr);
	rc = passwd_set(c, addr, hash, &n);
	explicit_bzero(hash, strlen(hash));
	free(hash);
	if (rc == -1)
		return pg_fail(c, err_out);
	if (n == 0)
		return store_err(err_out, "no account %s", addr);
	return 0;
}

int
pg_user_list(struct store *st, const char *domain, char ***addresses_out,
    size_t *n_out)
{
	char name[256];
	const char *errstr;
	struct pg_thread *c;

	*addresses_out = NULL;
	*n_out = 0;
	if (domain != NULL &&
	    !store_domain_valid(domain, name, sizeof(name), &errstr))
		return 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT u.address FROM users u JOIN "
	    "domains d ON u.domain_id = d.id WHERE $1::text IS NULL OR "
	    "d.name = $1 ORDER BY u.address COLLATE \"C\"", "s",
	    domain != NULL ? name : NULL), addresses_out, n_out);
}

/* Read an account: 1, 0 or -1; *hash_out (heap) when hash_out != NULL. */
int
pg_user_get(struct store *st, const char *address, struct store_user *out,
    char **hash_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if (!store_address_valid(address, addr, sizeof(addr), &errstr))
		return 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT id, password FROM users WHERE address = $1",
	    "s", addr);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) > 0;
	if (rc && out != NULL) {
		out->id = pg_int(res, 0, 0);
		str_copy(out->address, addr, sizeof(out->address));
	}
	if (rc && hash_out != NULL)
		*hash_out = pg_strdup(res, 0, 1);
	PQclear(res);
	return rc;
}

int
pg_user_restore(struct store *st, const char *address, const char *hash,
    char **err_out)
{
	char addr[STORE_ADDR_MAX];
	struct pg_thread *c;
	uint64_t n = 0;

	if ((c = account_conn(st, address, addr, err_out)) == NULL)
		return -1;
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	if (passwd_set(c, addr, hash, &n) == -1) {
		pg_fail(c, err_out);
		pg_rollback(c);
		return -1;
	}
	if (n == 0 && user_add_txn(c, addr, hash, err_out) == -1) {
		pg_rollback(c);
		return -1;
	}
	return pg_commit(c) == -1 ? pg_fail(c, err_out) : 0;
}
