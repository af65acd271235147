/* Accounts: address, password hash (auth/password.c) and the standard
 * mailboxes every new account gets (defaults.c).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "auth/auth.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/stmt.h"
#include "store/store_int.h"

/* This thread's connection for a change to the account address, whose
 * canonical form goes to addr (STORE_ADDR_MAX bytes); NULL with *err_out
 * set when the address is bad or the database cannot be opened. */
static sqlite3 *
account_db(struct store *st, const char *address, char *addr,
    char **err_out)
{
	const char *errstr;
	sqlite3 *db;

	if (!store_address_valid(address, addr, STORE_ADDR_MAX, &errstr)) {
		(void)store_err(err_out, "%s", errstr);
		return NULL;
	}
	if ((db = store_db(st)) == NULL)
		(void)store_err(err_out, "store: cannot open the database");
	return db;
}

static int
mailbox_create(sqlite3 *db, int64_t user_id, const char *name,
    const char *special_use, char **err_out)
{
	sqlite3_stmt *stmt;
	uint32_t uidvalidity;

	if (store_db_uidvalidity(db, &uidvalidity, err_out) == -1)
		return -1;
	stmt = store_db_prepare(db, "INSERT INTO mailboxes(user_id, name, "
	    "special_use, uidvalidity) VALUES (?, ?, ?, ?)", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	if (special_use != NULL)
		sqlite3_bind_text(stmt, 3, special_use, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, uidvalidity);
	return store_db_step_done(db, stmt, "store", err_out);
}

static int
user_insert(sqlite3 *db, const char *address, const char *hash,
    char **err_out)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "INSERT INTO users(domain_id, address, "
	    "password, created) SELECT id, ?, ?, ? FROM domains "
	    "WHERE name = ?", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (int64_t)time(NULL));
	sqlite3_bind_text(stmt, 4, store_address_domain(address), -1,
	    SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return store_err(err_out, "account %s exists", address);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "no domain %s",
		    store_address_domain(address));
	return 0;
}

static int
user_add_txn(sqlite3 *db, const char *address, const char *hash,
    char **err_out)
{
	int64_t user_id;
	size_t i;

	if (user_insert(db, address, hash, err_out) == -1)
		return -1;
	user_id = sqlite3_last_insert_rowid(db);
	for (i = 0; i < store_n_default_mailboxes; i++) {
		if (mailbox_create(db, user_id, store_default_mailboxes[i].name,
		    store_default_mailboxes[i].special_use, err_out) == -1)
			return -1;
	}
	return 0;
}

int
lite_user_add(struct store *st, const char *address, const char *password,
    char **err_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	char *hash = NULL;
	sqlite3 *db;
	int rc = -1;

	if ((db = account_db(st, address, addr, err_out)) == NULL)
		return -1;
	/* Hash before taking the write lock: it costs tens of ms. */
	if ((hash = auth_password_hash(password, &errstr)) == NULL)
		return store_err(err_out, "%s", errstr);
	if (store_db_begin(db, err_out) == -1)
		goto fail;
	if (user_add_txn(db, addr, hash, err_out) == -1) {
		store_db_rollback(db);
		goto fail;
	}
	rc = store_db_commit(db, err_out);
fail:
	explicit_bzero(hash, strlen(hash));
	free(hash);
	return rc;
}

/* The account's id in the current transaction: 1, 0 or -1. */
static int
user_id_get(sqlite3 *db, const char *address, int64_t *id_out)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "SELECT id FROM users WHERE address = ?",
	    NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The bodies the account's messages use: candidates for removal. */
static int
user_body_ids(sqlite3 *db, int64_t user_id, int64_t **ids, size_t *n)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "SELECT DISTINCT m.body_id FROM messages "
	    "m JOIN mailboxes b ON m.mailbox_id = b.id WHERE b.user_id = ?",
	    NULL);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, user_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
user_del_txn(sqlite3 *db, const char *address, char ***names,
    size_t *n_names, char **err_out)
{
	int64_t user_id, *ids = NULL;
	size_t n_ids = 0;
	int rc;

	if ((rc = user_id_get(db, address, &user_id)) != 1)
		return rc == 0 ? store_err(err_out, "no account %s", address) :
		    store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (user_body_ids(db, user_id, &ids, &n_ids) == -1) {
		rc = store_err(err_out, "store: %s", sqlite3_errmsg(db));
		goto fail;
	}
	/* Mailboxes and messages follow by ON DELETE CASCADE. */
	rc = store_db_exec_id(db, "DELETE FROM users WHERE id = ?", user_id,
	    err_out);
	if (rc == 0)
		rc = store_db_bodies_gc(db, ids, n_ids, names, n_names,
		    err_out);
fail:
	free(ids);
	return rc;
}

int
lite_user_del(struct store *st, const char *address, char **err_out)
{
	char addr[STORE_ADDR_MAX];
	char **names = NULL;
	size_t n_names = 0;
	sqlite3 *db;

	if ((db = account_db(st, address, addr, err_out)) == NULL)
		return -1;
	if (store_db_begin(db, err_out) == -1)
		return -1;
	if (user_del_txn(db, addr, &names, &n_names, err_out) == -1 ||
	    store_db_commit(db, err_out) == -1) {
		store_db_rollback(db);
		store_strings_free(names, n_names);
		return -1;
	}
	/* Only now that no row refers to them may the files go. */
	store_msgfile_unlink_names(st, names, n_names);
	return 0;
}

static int
passwd_set(sqlite3 *db, const char *address, const char *hash,
    char **err_out)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_db_prepare(db, "UPDATE users SET password = ? "
	    "WHERE address = ?", err_out);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return store_err(err_out, "no account %s", address);
	return 0;
}

int
lite_user_passwd(struct store *st, const char *address,
    const char *password, char **err_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	char *hash;
	sqlite3 *db;
	int rc;

	if ((db = account_db(st, address, addr, err_out)) == NULL)
		return -1;
	if ((hash = auth_password_hash(password, &errstr)) == NULL)
		return store_err(err_out, "%s", errstr);
	rc = passwd_set(db, addr, hash, err_out);
	explicit_bzero(hash, strlen(hash));
	free(hash);
	return rc;
}

int
lite_user_list(struct store *st, const char *domain, char ***addresses_out,
    size_t *n_out)
{
	char name[256];
	const char *errstr;
	sqlite3_stmt *stmt;
	sqlite3 *db;

	*addresses_out = NULL;
	*n_out = 0;
	if (domain != NULL &&
	    !store_domain_valid(domain, name, sizeof(name), &errstr))
		return 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	if (domain == NULL)
		stmt = store_db_prepare(db, "SELECT address FROM users "
		    "ORDER BY address", NULL);
	else
		stmt = store_db_prepare(db, "SELECT u.address FROM users u "
		    "JOIN domains d ON u.domain_id = d.id WHERE d.name = ? "
		    "ORDER BY u.address", NULL);
	if (stmt == NULL)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
	return store_db_strings(stmt, addresses_out, n_out);
}

/* Read an account: 1, 0 or -1; *hash_out (heap) when hash_out != NULL. */
int
lite_user_get(struct store *st, const char *address, struct store_user *out,
    char **hash_out)
{
	char addr[STORE_ADDR_MAX];
	const char *errstr;
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int rc;

	if (!store_address_valid(address, addr, sizeof(addr), &errstr))
		return 0;
	if ((db = store_db(st)) == NULL)
		return -1;
	/* Every RCPT and login asks: a kept statement (stmt.c). */
	stmt = store_stmt(db, "SELECT id, password FROM users "
	    "WHERE address = ?");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && out != NULL) {
		out->id = sqlite3_column_int64(stmt, 0);
		str_copy(out->address, addr, sizeof(out->address));
	}
	if (rc == SQLITE_ROW && hash_out != NULL)
		*hash_out = xstrdup((const char *)
		    sqlite3_column_text(stmt, 1));
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
lite_user_restore(struct store *st, const char *address, const char *hash,
    char **err_out)
{
	char addr[STORE_ADDR_MAX];
	int64_t user_id;
	sqlite3 *db;
	int rc;

	if ((db = account_db(st, address, addr, err_out)) == NULL)
		return -1;
	if (store_db_begin(db, err_out) == -1)
		return -1;
	rc = user_id_get(db, addr, &user_id);
	if (rc == 1)
		rc = passwd_set(db, addr, hash, err_out);
	else if (rc == 0)
		rc = user_add_txn(db, addr, hash, err_out);
	else
		rc = store_err(err_out, "store: %s", sqlite3_errmsg(db));
	if (rc == 0)
		return store_db_commit(db, err_out);
	store_db_rollback(db);
	return -1;
}
