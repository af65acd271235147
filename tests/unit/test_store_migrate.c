/* Schema upgrades from every earlier version, for the backend under test
 * (store_loc.h): build the schema of version v with its migrations, put
 * an account, a mailbox with its UIDVALIDITY, UIDNEXT and MODSEQ, a
 * message with flags and a body (and an alias from the version that has
 * them) in it with plain SQL, then open it with the current code and
 * check that everything is intact and the store works on.
 * SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/auth.h"
#include "lib/buf.h"
#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store_loc.h"

#define UIDVALIDITY	1234567
#define UIDNEXT		8
#define MODSEQ		20
#define BODY_NAME	"0123456789abcdef0123456789abcdef"
#define ALIAS_VERSION	3	/* the SQLite schema that added aliases */

static const char BODY[] = "From: a@example.org\r\nSubject: old\r\n\r\n"
    "kept across the upgrade\r\n";

/* The same rows for both backends, bar the body. */
static void
rows_insert(const char *dir, bool has_aliases)
{
	const char *errstr;
	char *hash, *sql;

	hash = auth_password_hash("old-pw", &errstr);
	assert_non_null(hash);
	sql = xasprintf("INSERT INTO domains(id, name) VALUES (1, "
	    "'example.org'); INSERT INTO users(id, domain_id, address, "
	    "password, created) VALUES (1, 1, 'a@example.org', '%s', 0); "
	    "INSERT INTO mailboxes(id, user_id, name, uidvalidity, uidnext, "
	    "highestmodseq) VALUES (1, 1, 'INBOX', %d, %d, %d); "
	    "INSERT INTO messages(id, mailbox_id, uid, body_id, flags, "
	    "modseq, internal_date, size) VALUES (1, 1, %d, 1, 5, %d, "
	    "1700000000, %zu);", hash, UIDVALIDITY, UIDNEXT, MODSEQ,
	    UIDNEXT - 1, MODSEQ - 1, sizeof(BODY) - 1);
	test_store_sql_exec(dir, sql);
	free(sql);
	free(hash);
	if (has_aliases)
		test_store_sql_exec(dir, "INSERT INTO aliases(address, "
		    "target, domain_id) VALUES ('b@example.org', "
		    "'a@example.org', 1)");
}

/* The embedded store at version v: schema, rows and the body's file. */
static void
lite_build(const char *dir, int version)
{
	char *path, *sql, *err = NULL;
	sqlite3 *db;
	int fd;

	assert_int_equal(mkdir(dir, 0700), 0);
	path = xasprintf("%s/store.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	free(path);
	if (store_schema_apply_upto(db, version, &err) == -1)
		fail_msg("schema %d: %s", version, err);
	sqlite3_close(db);
	sql = xasprintf("INSERT INTO bodies(id, name, size, created) VALUES "
	    "(1, '" BODY_NAME "', %zu, 0)", sizeof(BODY) - 1);
	test_store_sql_exec(dir, sql);
	free(sql);
	path = xasprintf("%s/bodies", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/bodies/01", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/bodies/01/" BODY_NAME, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, BODY, sizeof(BODY) - 1),
	    (ssize_t)sizeof(BODY) - 1);
	close(fd);
	free(path);
	rows_insert(dir, version >= ALIAS_VERSION);
}

/* PostgreSQL at version v: schema, rows, the body in the database, and
 * the sequences moved past the ids given. */
static void
pg_build(int version)
{
	struct buf sql = BUF_INIT;
	PGconn *pg = test_pg_connect();
	char *err = NULL;
	size_t i;

	if (pg_schema_apply_upto(pg, version, &err) == -1)
		fail_msg("schema %d: %s", version, err);
	PQfinish(pg);
	buf_addf(&sql, "INSERT INTO bodies(id, size, created, data) VALUES "
	    "(1, %zu, 0, '\\x", sizeof(BODY) - 1);
	for (i = 0; i < sizeof(BODY) - 1; i++)
		buf_addf(&sql, "%02x", (unsigned char)BODY[i]);
	buf_adds(&sql, "')");
	test_pg_exec(buf_cstr(&sql));
	buf_free(&sql);
	rows_insert(NULL, true);
	test_pg_exec("INSERT INTO subscriptions VALUES (1, 'INBOX'); "
	    "SELECT setval('domains_id_seq', 1), "
	    "setval('users_id_seq', 1), setval('mailboxes_id_seq', 1), "
	    "setval('bodies_id_seq', 1), setval('messages_id_seq', 1)");
}

static void
done_cb(void *arg, int result, const char *err)
{
	(void)err;
	*(int *)arg = result == 0 ? 1 : -1;
}

/* What version v left must be there, and the store must work on. */
static void
check_upgraded(struct store *st, bool has_aliases)
{
	struct store_mailbox mb;
	struct store_delivery *d;
	struct store_user u;
	struct store_msg *msgs;
	char buf[256], **targets, **subs;
	size_t n, n_subs;
	ssize_t len;
	int fd, done = 0;

	assert_int_equal(store_user_check_password(st, "a@example.org",
	    "old-pw", &u), 1);
	assert_int_equal(store_mailbox_find(st, u.id, "INBOX", &mb), 1);
	assert_int_equal(mb.uidvalidity, UIDVALIDITY);
	assert_int_equal(mb.uidnext, UIDNEXT);
	assert_int_equal(mb.highestmodseq, MODSEQ);
	assert_int_equal(store_mailbox_messages(st, mb.id, &msgs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].uid, UIDNEXT - 1);
	assert_int_equal(msgs[0].flags, 5);
	assert_int_equal(msgs[0].internal_date, 1700000000);
	fd = store_msg_open(st, &msgs[0]);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(len, (ssize_t)sizeof(BODY) - 1);
	assert_memory_equal(buf, BODY, sizeof(BODY) - 1);
	free(msgs);
	assert_int_equal(store_subscription_list(st, u.id, &subs, &n_subs), 0);
	assert_true(n_subs >= 1);
	store_strings_free(subs, n_subs);
	if (has_aliases) {
		assert_int_equal(store_rcpt_resolve(st, "b@example.org",
		    &targets, &n), 1);
		assert_string_equal(targets[0], "a@example.org");
		store_strings_free(targets, n);
	}
	/* A new message takes the next UID, not one used before. */
	d = store_delivery_new(st, NULL);
	assert_int_equal(store_delivery_write(d, "new\r\n", 5), 0);
	store_delivery_add(d, u.id, NULL);
	store_delivery_commit(d, NULL, done_cb, &done);
	while (done == 0)
		usleep(1000);
	assert_int_equal(done, 1);
	assert_int_equal(store_mailbox_find(st, u.id, "INBOX", &mb), 1);
	assert_int_equal(mb.uidnext, UIDNEXT + 1);
	assert_true(mb.highestmodseq > MODSEQ);
}

static void
test_upgrade_from_every_version(void **state)
{
	struct iopool *pool = iopool_new(1);
	char root[64], *dir, *loc, *err = NULL;
	struct store *st;
	int v, last;

	(void)state;
	last = test_store_pg() != NULL ? pg_schema_version() :
	    store_schema_version();
	for (v = 1; v < last; v++) {
		snprintf(root, sizeof(root), "/tmp/petrel-migrate-XXXXXX");
		assert_non_null(mkdtemp(root));
		dir = xasprintf("%s/data", root);
		loc = test_store_location(dir);
		if (test_store_pg() != NULL)
			pg_build(v);
		else
			lite_build(dir, v);
		st = store_open(loc, pool, &err);
		if (st == NULL)
			fail_msg("from version %d: %s", v, err);
		assert_int_equal(test_store_sql_int(dir, "SELECT max(version) "
		    "FROM schema_version"), last);
		check_upgraded(st, test_store_pg() != NULL ||
		    v >= ALIAS_VERSION);
		store_close(st);
		test_rm_tree(root);
		free(dir);
		free(loc);
	}
	iopool_free(pool);
}

/* A store made by this version opens again unchanged (no migration). */
static void
test_current_version_reopens(void **state)
{
	struct iopool *pool = iopool_new(1);
	char root[64], *dir, *loc, *err = NULL;
	struct store *st;
	int64_t before;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/petrel-migrate-XXXXXX");
	assert_non_null(mkdtemp(root));
	dir = xasprintf("%s/data", root);
	loc = test_store_location(dir);
	st = store_open(loc, pool, &err);
	assert_non_null(st);
	store_close(st);
	before = test_store_sql_int(dir, "SELECT count(*) FROM "
	    "schema_version");
	st = store_open(loc, pool, &err);
	assert_non_null(st);
	store_close(st);
	assert_int_equal(test_store_sql_int(dir, "SELECT count(*) FROM "
	    "schema_version"), before);
	test_rm_tree(root);
	free(dir);
	free(loc);
	iopool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_from_every_version),
		cmocka_unit_test(test_current_version_reopens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
