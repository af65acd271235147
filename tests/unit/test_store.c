/* Tests for the store (src/store): every function of store.h, group commit
 * from many threads, single-instance bodies, expunge atomicity and a full
 * disk (on a small tmpfs when we may mount one). They run against the
 * embedded store, and against PostgreSQL when PETREL_TEST_STORE is a URL
 * (store_loc.h; tests/run pgstore); the few that check what only the
 * embedded store has (files, SQLite itself) are skipped there.
 * SPDX-License-Identifier: ISC */
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "store_loc.h"

/* Bigger than what a delivery keeps in memory (store_int.h). */
#define STORE_MEM_TEST	(300 * 1024)

struct fx {
	char		 root[64];
	char		*data;
	char		*loc;		/* what store_open() gets */
	char		*mnt;		/* tmpfs to unmount */
	struct iopool	*pool;
	struct store	*st;
	int64_t		 uid_a, uid_b, uid_c;
};

struct waiter {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		n_done;
	int		n_fail;
	int		result;
	char		err[256];
	pthread_t	thread;
	bool		is_bad_err;
	struct event_base *base;	/* loopbreak at n_want */
	int		n_want;
};

/* Helpers. */

static size_t
count_files(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	size_t n = 0;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			n += count_files(path);
		else
			n++;
		free(path);
	}
	closedir(d);
	return n;
}

static int64_t	sql_int(struct fx *f, const char *sql);

/* Body files of the embedded store (PostgreSQL keeps none). */
static size_t
body_files(struct fx *f)
{
	char *path;
	size_t n;

	if (test_store_pg() != NULL)
		return 0;
	path = xasprintf("%s/bodies", f->data);
	n = count_files(path);

	free(path);
	return n;
}

/* Temporary body files (PostgreSQL has none). */
static size_t
tmp_files(struct fx *f)
{
	char *path;
	size_t n;

	if (test_store_pg() != NULL)
		return 0;
	path = xasprintf("%s/tmp", f->data);
	n = count_files(path);

	free(path);
	return n;
}

/* Run one SQL query straight on the store's database; returns column 0 of
 * the first row as an integer. */
static int64_t
sql_int(struct fx *f, const char *sql)
{
	return test_store_sql_int(f->data, sql);
}

/* Bodies kept, as files or inline in their rows (small ones); rows in
 * PostgreSQL. */
static size_t
stored_bodies(struct fx *f)
{
	if (test_store_pg() != NULL)
		return (size_t)sql_int(f, "SELECT count(*) FROM bodies");
	return body_files(f) + (size_t)sql_int(f, "SELECT count(*) FROM "
	    "bodies WHERE data IS NOT NULL");
}

static void
sql_exec(struct fx *f, const char *sql)
{
	test_store_sql_exec(f->data, sql);
}

static void
waiter_init(struct waiter *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
}

static void
waiter_fini(struct waiter *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

static void
waiter_done(void *arg, int result, const char *err)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->mu);
	w->n_done++;
	w->result = result;
	w->thread = pthread_self();
	/* No cmocka asserts here: this may run on another thread. */
	if (result != 0) {
		w->n_fail++;
		w->is_bad_err |= err == NULL;
		snprintf(w->err, sizeof(w->err), "%s", err ? err : "(null)");
	} else
		w->is_bad_err |= err != NULL;
	if (w->base != NULL && w->n_done == w->n_want)
		event_base_loopbreak(w->base);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
waiter_wait(struct waiter *w, int n)
{
	pthread_mutex_lock(&w->mu);
	while (w->n_done < n)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	assert_false(w->is_bad_err);
}

/* Deliver body to the users (each into mailbox, NULL for INBOX) and wait.
 * Returns done()'s result; err (may be NULL) gets the reason. */
static int
deliver(struct store *st, const int64_t *users, size_t n_users,
    const char *mailbox, const void *body, size_t len, char *err,
    size_t errsize)
{
	struct store_delivery *d;
	struct waiter w;
	char *e = NULL;
	size_t i;
	int rc;

	d = store_delivery_new(st, &e);
	assert_non_null(d);
	if (store_delivery_write(d, body, len) == -1) {
		if (err != NULL)
			snprintf(err, errsize, "write: %s", strerror(errno));
		store_delivery_abort(d);
		return -1;
	}
	assert_int_equal(store_delivery_size(d), len);
	for (i = 0; i < n_users; i++)
		store_delivery_add(d, users[i], mailbox);
	waiter_init(&w);
	store_delivery_commit(d, NULL, waiter_done, &w);
	waiter_wait(&w, 1);
	rc = w.result;
	if (err != NULL)
		snprintf(err, errsize, "%s", w.err);
	waiter_fini(&w);
	return rc;
}

static int
deliver_str(struct fx *f, int64_t user, const char *mailbox, const char *s)
{
	return deliver(f->st, &user, 1, mailbox, s, strlen(s), NULL, 0);
}

static struct store_mailbox
mbox_get(struct fx *f, int64_t user, const char *name)
{
	struct store_mailbox mb;

	memset(&mb, 0, sizeof(mb));
	assert_int_equal(store_mailbox_find(f->st, user, name, &mb), 1);
	return mb;
}

static char *
msg_read(struct fx *f, const struct store_msg *m)
{
	char *p = xcalloc(1, (size_t)m->size + 1);
	ssize_t n;
	int fd;

	fd = store_msg_open(f->st, m);
	assert_true(fd >= 0);
	n = read(fd, p, (size_t)m->size + 1);
	assert_int_equal(n, (ssize_t)m->size);
	close(fd);
	return p;
}

static void
fx_open_store(struct fx *f)
{
	char *err = NULL;

	f->st = store_open(f->loc != NULL ? f->loc : f->data, f->pool, &err);
	if (f->st == NULL)
		fail_msg("store_open: %s", err);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/petrel-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->data = xasprintf("%s/data", f->root);
	f->loc = test_store_location(f->data);
	f->pool = iopool_new(4);
	fx_open_store(f);
	*state = f;
	return 0;
}

/* A store with example.org and three accounts a, b and c. */
static int
setup_users(void **state)
{
	struct store_user u;
	struct fx *f;
	char *err = NULL;

	setup(state);
	f = *state;
	assert_int_equal(store_domain_add(f->st, "example.org", &err), 0);
	assert_int_equal(store_user_add(f->st, "a@example.org", "pa", &err),
	    0);
	assert_int_equal(store_user_add(f->st, "b@example.org", "pb", &err),
	    0);
	assert_int_equal(store_user_add(f->st, "c@example.org", "pc", &err),
	    0);
	assert_int_equal(store_user_find(f->st, "a@example.org", &u), 1);
	f->uid_a = u.id;
	assert_int_equal(store_user_find(f->st, "b@example.org", &u), 1);
	f->uid_b = u.id;
	assert_int_equal(store_user_find(f->st, "c@example.org", &u), 1);
	f->uid_c = u.id;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	iopool_free(f->pool);
	/* Also after a failed assertion in the middle of the test. */
	if (f->mnt != NULL)
		(void)umount2(f->mnt, MNT_DETACH);
	free(f->mnt);
	test_rm_tree(f->root);
	free(f->data);
	free(f->loc);
	free(f);
	return 0;
}

/* Open and close. */

static void
test_open_creates(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	int64_t version;
	char *path;

	if (test_store_pg() == NULL) {
		path = xasprintf("%s/bodies/ff", f->data);
		assert_int_equal(stat(path, &sb), 0);
		free(path);
		path = xasprintf("%s/tmp", f->data);
		assert_int_equal(stat(path, &sb), 0);
		free(path);
	}
	/* One row per migration applied, each applied once. */
	version = sql_int(f, "SELECT max(version) FROM schema_version");
	assert_true(version >= 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM schema_version"),
	    version);
	store_close(f->st);
	fx_open_store(f);	/* reopening an existing store */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM schema_version"),
	    version);
	store_close(NULL);
}

static void
test_open_journal_mode(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	char *path;

	TEST_STORE_LITE_ONLY();
	path = xasprintf("%s/store.db", f->data);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	free(path);
}

static void
test_open_fails(void **state)
{
	struct fx *f = *state;
	char *err = NULL, *path;

	path = xasprintf("%s/no/such/dir", f->root);
	assert_null(store_open(path, f->pool, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "No such file"));
	free(err);
	free(path);
}

static void
test_open_newer_schema(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	sql_exec(f, "INSERT INTO schema_version VALUES (99)");
	store_close(f->st);
	f->st = store_open(f->loc, f->pool, &err);
	assert_null(f->st);
	assert_non_null(strstr(err, "newer"));
	free(err);
	sql_exec(f, "DELETE FROM schema_version WHERE version = 99");
	fx_open_store(f);
}

static void
test_open_cleans_tmp(void **state)
{
	struct fx *f = *state;
	char *path;
	int fd;

	TEST_STORE_LITE_ONLY();
	path = xasprintf("%s/tmp/leftover", f->data);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	store_close(f->st);
	fx_open_store(f);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

static void
test_open_keeps_tmp_of_others(void **state)
{
	struct fx *f = *state;
	struct store *other;
	char *err = NULL, *path;
	int fd;

	TEST_STORE_LITE_ONLY();
	/* A second process (here a second store) must not remove the first
	 * one's files in progress. */
	path = xasprintf("%s/tmp/in-progress", f->data);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	other = store_open(f->data, f->pool, &err);
	assert_non_null(other);
	assert_int_equal(access(path, F_OK), 0);
	store_close(other);
	free(path);
}

/* Domains. */

static const struct {
	const char	*in;
	const char	*stored;	/* NULL: refused */
} domain_table[] = {
	{ "example.org",		"example.org" },
	{ "Mail.EXAMPLE.net",		"mail.example.net" },
	{ "localhost",			"localhost" },
	{ "a-b.c0.example",		"a-b.c0.example" },
	{ "",				NULL },
	{ ".example.org",		NULL },
	{ "example.org.",		NULL },
	{ "exa..mple.org",		NULL },
	{ "-example.org",		NULL },
	{ "example-.org",		NULL },
	{ "exa mple.org",		NULL },
	{ "exa\tmple.org",		NULL },
	{ "exam_ple.org",		NULL },
	{ "ex@mple.org",		NULL },
	{ "[192.0.2.1]",		NULL },
	{ "b\xc3\xa4r.example",		NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".org",			NULL },	/* 64-octet label */
};

static void
test_domain_table(void **state)
{
	struct fx *f = *state;
	char **names;
	size_t i, n, n_ok = 0;
	char *err;
	int rc;

	for (i = 0; i < sizeof(domain_table) / sizeof(*domain_table); i++) {
		err = NULL;
		rc = store_domain_add(f->st, domain_table[i].in, &err);
		if (domain_table[i].stored == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			assert_int_equal(store_domain_find(f->st,
			    domain_table[i].in), 0);
		} else {
			assert_int_equal(rc, 0);
			assert_null(err);
			assert_int_equal(store_domain_find(f->st,
			    domain_table[i].stored), 1);
			assert_int_equal(store_domain_find(f->st,
			    domain_table[i].in), 1);
			n_ok++;
		}
		free(err);
	}
	assert_int_equal(store_domain_list(f->st, &names, &n), 0);
	assert_int_equal(n, n_ok);
	assert_string_equal(names[0], "a-b.c0.example");
	assert_string_equal(names[1], "example.org");
	assert_string_equal(names[2], "localhost");
	assert_string_equal(names[3], "mail.example.net");
	store_strings_free(names, n);
}

static void
test_domain_long(void **state)
{
	struct fx *f = *state;
	char name[300];
	char *err = NULL;
	size_t i;

	/* 63-octet labels: 4 of them make 255 octets, over 253. */
	for (i = 0; i < 255; i++)
		name[i] = (i % 64 == 63) ? '.' : 'a';
	name[255] = '\0';
	assert_int_equal(store_domain_add(f->st, name, &err), -1);
	free(err);
	name[191] = '\0';	/* three labels */
	err = NULL;
	assert_int_equal(store_domain_add(f->st, name, &err), 0);
	assert_int_equal(store_domain_find(f->st, name), 1);
}

static void
test_domain_dup_and_del(void **state)
{
	struct fx *f = *state;
	char **names;
	char *err = NULL;
	size_t n;

	assert_int_equal(store_domain_add(f->st, "example.org", &err), 0);
	assert_int_equal(store_domain_add(f->st, "EXAMPLE.org", &err), -1);
	assert_non_null(strstr(err, "exists"));
	free(err);
	err = NULL;
	assert_int_equal(store_domain_del(f->st, "example.net", &err), -1);
	assert_non_null(strstr(err, "no domain"));
	free(err);
	err = NULL;
	assert_int_equal(store_domain_del(f->st, "bad domain", &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_domain_del(f->st, "Example.ORG", &err), 0);
	assert_int_equal(store_domain_find(f->st, "example.org"), 0);
	assert_int_equal(store_domain_list(f->st, &names, &n), 0);
	assert_int_equal(n, 0);
	store_strings_free(names, n);
}

static void
test_domain_del_with_users(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	assert_int_equal(store_domain_del(f->st, "example.org", &err), -1);
	assert_non_null(strstr(err, "still has accounts"));
	free(err);
	assert_int_equal(store_domain_find(f->st, "example.org"), 1);
	err = NULL;
	assert_int_equal(store_user_del(f->st, "a@example.org", &err), 0);
	assert_int_equal(store_user_del(f->st, "b@example.org", &err), 0);
	assert_int_equal(store_user_del(f->st, "c@example.org", &err), 0);
	assert_int_equal(store_domain_del(f->st, "example.org", &err), 0);
	assert_null(err);
}

/* Accounts. */

static const struct {
	const char	*in;
	const char	*stored;	/* NULL: refused */
} address_table[] = {
	{ "x@example.org",			"x@example.org" },
	{ "John.Doe@Example.ORG",		"john.doe@example.org" },
	{ "a+tag@example.org",			"a+tag@example.org" },
	{ "!#$%&'*+-/=?^_`{|}~@example.org",
	  "!#$%&'*+-/=?^_`{|}~@example.org" },
	{ "",					NULL },
	{ "x",					NULL },
	{ "@example.org",			NULL },
	{ "x@",					NULL },
	{ "x@@example.org",			NULL },
	{ "x@y@example.org",			NULL },
	{ ".x@example.org",			NULL },
	{ "x.@example.org",			NULL },
	{ "x..y@example.org",			NULL },
	{ "x y@example.org",			NULL },
	{ "\"x y\"@example.org",		NULL },
	{ "x\r@example.org",			NULL },
	{ "x\x7f@example.org",			NULL },
	{ "(c)x@example.org",			NULL },
	{ "x@example..org",			NULL },
	{ "x@unknown.example",			NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@example.org",			NULL },	/* 65 octets */
};

static void
test_user_table(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	char **addrs;
	size_t i, n, n_ok = 0;
	char *err;
	int rc;

	assert_int_equal(store_domain_add(f->st, "example.org", NULL), 0);
	for (i = 0; i < sizeof(address_table) / sizeof(*address_table);
	    i++) {
		err = NULL;
		rc = store_user_add(f->st, address_table[i].in, "secret", &err);
		if (address_table[i].stored == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			assert_int_equal(store_user_find(f->st,
			    address_table[i].in, &u), 0);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(store_user_find(f->st,
			    address_table[i].in, &u), 1);
			assert_string_equal(u.address,
			    address_table[i].stored);
			n_ok++;
		}
		free(err);
	}
	assert_int_equal(store_user_list(f->st, NULL, &addrs, &n), 0);
	assert_int_equal(n, n_ok);
	store_strings_free(addrs, n);
	/* Bad input changed nothing: only the good rows made mailboxes. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM mailboxes"),
	    (int64_t)n_ok * 6);
}

static void
test_user_add_mailboxes(void **state)
{
	static const char *const names[] = { "INBOX", "Sent", "Drafts",
	    "Trash", "Junk", "Archive" };
	struct fx *f = *state;
	struct store_mailbox mb, prev;
	size_t i;

	memset(&prev, 0, sizeof(prev));
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		mb = mbox_get(f, f->uid_a, names[i]);
		assert_int_equal(mb.user_id, f->uid_a);
		assert_string_equal(mb.name, names[i]);
		assert_int_equal(mb.uidnext, 1);
		assert_int_equal(mb.count, 0);
		assert_true(mb.highestmodseq >= 1);
		assert_true(mb.uidvalidity > prev.uidvalidity);
		prev = mb;
	}
	mb = mbox_get(f, f->uid_a, "inbox");
	assert_string_equal(mb.name, "INBOX");
	assert_int_equal(store_mailbox_find(f->st, f->uid_a, "sent", &mb), 0);
	assert_int_equal(store_mailbox_find(f->st, f->uid_a, "Nope", &mb), 0);
	assert_int_equal(store_mailbox_find(f->st, 999999, "INBOX", &mb), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM mailboxes WHERE "
	    "special_use = '\\Junk'"), 3);
}

static void
test_user_dup_and_unknown_domain(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	assert_int_equal(store_user_add(f->st, "A@Example.org", "x", &err),
	    -1);
	assert_non_null(strstr(err, "exists"));
	free(err);
	err = NULL;
	assert_int_equal(store_user_add(f->st, "a@example.net", "x", &err),
	    -1);
	assert_non_null(strstr(err, "no domain"));
	free(err);
	err = NULL;
	assert_int_equal(store_user_add(f->st, "d@example.org", "", &err), -1);
	assert_non_null(strstr(err, "empty password"));
	free(err);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM users"), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM mailboxes"), 18);
}

static void
test_user_list(void **state)
{
	struct fx *f = *state;
	char **addrs;
	size_t n;

	assert_int_equal(store_domain_add(f->st, "example.net", NULL), 0);
	assert_int_equal(store_user_add(f->st, "z@example.net", "pz", NULL),
	    0);
	assert_int_equal(store_user_list(f->st, NULL, &addrs, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(addrs[0], "a@example.org");
	assert_string_equal(addrs[3], "z@example.net");
	store_strings_free(addrs, n);
	assert_int_equal(store_user_list(f->st, "EXAMPLE.NET", &addrs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(addrs[0], "z@example.net");
	store_strings_free(addrs, n);
	assert_int_equal(store_user_list(f->st, "nowhere.example", &addrs,
	    &n), 0);
	assert_int_equal(n, 0);
	store_strings_free(addrs, n);
}

static void
test_user_password(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	char *err = NULL;

	memset(&u, 0, sizeof(u));
	assert_int_equal(store_user_check_password(f->st, "A@example.org",
	    "pa", &u), 1);
	assert_int_equal(u.id, f->uid_a);
	assert_string_equal(u.address, "a@example.org");
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "pb", &u), 0);
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "", NULL), 0);
	assert_int_equal(store_user_check_password(f->st, "x@example.org",
	    "pa", &u), 0);
	assert_int_equal(store_user_check_password(f->st, "not an address",
	    "pa", &u), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM users WHERE "
	    "password LIKE '$y$%'"), 3);
	assert_int_equal(store_user_passwd(f->st, "a@example.org", "new",
	    &err), 0);
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "pa", NULL), 0);
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "new", NULL), 1);
	assert_int_equal(store_user_passwd(f->st, "x@example.org", "new",
	    &err), -1);
	assert_non_null(strstr(err, "no account"));
	free(err);
	err = NULL;
	assert_int_equal(store_user_passwd(f->st, "a@example.org", "",
	    &err), -1);
	free(err);
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "new", NULL), 1);
}

static void
test_user_bcrypt_hash(void **state)
{
	struct fx *f = *state;

	/* An account imported with a bcrypt hash ("secret", cost 4). */
	sql_exec(f, "UPDATE users SET password = '$2b$04$abcdefghijklmnopqr"
	    "stuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW' WHERE address = "
	    "'a@example.org'");
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "secret", NULL), 1);
	assert_int_equal(store_user_check_password(f->st, "a@example.org",
	    "pa", NULL), 0);
}

static void
test_user_del(void **state)
{
	struct fx *f = *state;
	int64_t ab[2];
	char *err = NULL;
	char **addrs;
	size_t n;

	ab[0] = f->uid_a;
	ab[1] = f->uid_b;
	/* One message for a alone, one shared by a and b. */
	assert_int_equal(deliver_str(f, f->uid_a, NULL, "only a\r\n"), 0);
	assert_int_equal(deliver(f->st, ab, 2, NULL, "a and b\r\n", 9, NULL,
	    0), 0);
	assert_int_equal(stored_bodies(f), 2);
	assert_int_equal(store_user_del(f->st, "A@example.org", &err), 0);
	assert_null(err);
	assert_int_equal(store_user_find(f->st, "a@example.org", NULL), 0);
	assert_int_equal(stored_bodies(f), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM bodies"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM mailboxes"), 12);
	assert_int_equal(mbox_get(f, f->uid_b, "INBOX").count, 1);
	assert_int_equal(store_user_del(f->st, "a@example.org", &err), -1);
	assert_non_null(strstr(err, "no account"));
	free(err);
	err = NULL;
	assert_int_equal(store_user_del(f->st, "bad", &err), -1);
	free(err);
	assert_int_equal(store_user_list(f->st, NULL, &addrs, &n), 0);
	assert_int_equal(n, 2);
	store_strings_free(addrs, n);
}

/* Delivery. */

static void
test_delivery_basic(void **state)
{
	static const char body[] = "Subject: hi\r\n\r\nHello.\r\n";
	struct fx *f = *state;
	struct store_delivery *d;
	struct store_mailbox mb;
	struct store_msg *msgs;
	struct waiter w;
	size_t n;
	char *p;

	d = store_delivery_new(f->st, NULL);
	assert_non_null(d);
	assert_int_equal(store_delivery_write(d, body, 10), 0);
	assert_int_equal(store_delivery_write(d, body + 10,
	    sizeof(body) - 11), 0);
	assert_int_equal(store_delivery_size(d), sizeof(body) - 1);
	store_delivery_add(d, f->uid_a, "INBOX");
	store_delivery_set_date(d, 1700000000);
	/* The temporary file has no name (O_TMPFILE) until it is durable. */
	assert_int_equal(tmp_files(f) + stored_bodies(f), 0);
	waiter_init(&w);
	store_delivery_commit(d, NULL, waiter_done, &w);
	waiter_wait(&w, 1);
	assert_int_equal(w.result, 0);
	waiter_fini(&w);
	assert_int_equal(tmp_files(f), 0);
	/* A small body is kept inline: no file at all. */
	assert_int_equal(body_files(f), 0);
	assert_int_equal(stored_bodies(f), 1);
	mb = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(mb.count, 1);
	assert_int_equal(mb.uidnext, 2);
	assert_int_equal(store_mailbox_messages(f->st, mb.id, &msgs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].uid, 1);
	assert_int_equal(msgs[0].flags, 0);
	assert_int_equal(msgs[0].size, sizeof(body) - 1);
	assert_int_equal(msgs[0].internal_date, 1700000000);
	assert_int_equal(msgs[0].modseq, mb.highestmodseq);
	p = msg_read(f, &msgs[0]);
	assert_string_equal(p, body);
	free(p);
	free(msgs);
	/* Nothing reached b. */
	assert_int_equal(mbox_get(f, f->uid_b, "INBOX").count, 0);
}

static void
test_delivery_default_date(void **state)
{
	struct fx *f = *state;
	struct store_msg *msgs;
	time_t before = time(NULL);
	size_t n;

	assert_int_equal(deliver_str(f, f->uid_a, NULL, "x\r\n"), 0);
	assert_int_equal(store_mailbox_messages(f->st,
	    mbox_get(f, f->uid_a, "INBOX").id, &msgs, &n), 0);
	assert_int_equal(n, 1);
	assert_true(msgs[0].internal_date >= before);
	assert_true(msgs[0].internal_date <= time(NULL));
	free(msgs);
}

static void
test_delivery_three_users_one_body(void **state)
{
	struct fx *f = *state;
	struct store_msg *msgs[3];
	int64_t users[3];
	size_t i, n;
	char *p;

	users[0] = f->uid_a;
	users[1] = f->uid_b;
	users[2] = f->uid_c;
	assert_int_equal(deliver(f->st, users, 3, NULL, "shared\r\n", 8, NULL,
	    0), 0);
	assert_int_equal(stored_bodies(f), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM bodies"), 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_mailbox_messages(f->st,
		    mbox_get(f, users[i], "INBOX").id, &msgs[i], &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(msgs[i]->body_id, msgs[0]->body_id);
		p = msg_read(f, msgs[i]);
		assert_string_equal(p, "shared\r\n");
		free(p);
	}
	/* Expunging from two keeps the body; from the last removes it. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_msgs_expunge(f->st,
		    mbox_get(f, users[i], "INBOX").id, &msgs[i]->uid, 1, NULL),
		    0);
		assert_int_equal(stored_bodies(f), i < 2 ? 1 : 0);
		if (i < 2) {
			p = msg_read(f, msgs[2]);
			free(p);
		}
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM bodies"), 0);
	assert_int_equal(store_msg_open(f->st, msgs[0]), -1);
	for (i = 0; i < 3; i++)
		free(msgs[i]);
}

static void
test_delivery_uids_increase(void **state)
{
	struct fx *f = *state;
	struct store_mailbox mb;
	struct store_msg *msgs;
	char text[32];
	size_t i, n;
	char *p;

	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "message %zu\r\n", i);
		assert_int_equal(deliver_str(f, f->uid_a, NULL, text), 0);
	}
	mb = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(mb.count, 10);
	assert_int_equal(mb.uidnext, 11);
	assert_int_equal(store_mailbox_messages(f->st, mb.id, &msgs, &n), 0);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++) {
		assert_int_equal(msgs[i].uid, i + 1);
		if (i > 0)
			assert_true(msgs[i].modseq > msgs[i - 1].modseq);
		snprintf(text, sizeof(text), "message %zu\r\n", i);
		p = msg_read(f, &msgs[i]);
		assert_string_equal(p, text);
		free(p);
	}
	/* UIDs never come back, even after an expunge. */
	assert_int_equal(store_msgs_expunge(f->st, mb.id, &msgs[9].uid, 1,
	    NULL), 0);
	assert_int_equal(deliver_str(f, f->uid_a, NULL, "later\r\n"), 0);
	free(msgs);
	assert_int_equal(store_mailbox_messages(f->st, mb.id, &msgs, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(msgs[9].uid, 11);
	free(msgs);
}

static void
test_delivery_same_user_twice(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;
	struct waiter w;

	d = store_delivery_new(f->st, NULL);
	assert_int_equal(store_delivery_write(d, "x\r\n", 3), 0);
	store_delivery_add(d, f->uid_a, "INBOX");
	store_delivery_add(d, f->uid_a, "Junk");
	store_delivery_add(d, f->uid_b, NULL);
	store_delivery_add(d, f->uid_a, NULL);
	waiter_init(&w);
	store_delivery_commit(d, NULL, waiter_done, &w);
	waiter_wait(&w, 1);
	assert_int_equal(w.result, 0);
	waiter_fini(&w);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 1);
	assert_int_equal(mbox_get(f, f->uid_a, "Junk").count, 0);
	assert_int_equal(mbox_get(f, f->uid_b, "INBOX").count, 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM messages"), 2);
}

static void
test_delivery_folders(void **state)
{
	struct fx *f = *state;

	assert_int_equal(deliver_str(f, f->uid_a, "Junk", "spam\r\n"), 0);
	assert_int_equal(deliver_str(f, f->uid_a, "inbox", "ham\r\n"), 0);
	/* A folder that does not exist (any more): INBOX instead. */
	assert_int_equal(deliver_str(f, f->uid_a, "Gone", "ham\r\n"), 0);
	assert_int_equal(mbox_get(f, f->uid_a, "Junk").count, 1);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 2);
}

static void
test_delivery_unknown_user(void **state)
{
	struct fx *f = *state;
	int64_t users[2];
	char err[256];

	/* The account vanished between RCPT and commit: a temporary
	 * failure, and nothing is filed for anyone. */
	users[0] = f->uid_a;
	users[1] = 987654;
	assert_int_equal(deliver(f->st, users, 2, NULL, "x\r\n", 3, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no account"));
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 0);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").uidnext, 1);
	assert_int_equal(stored_bodies(f), 0);
	assert_int_equal(tmp_files(f), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM bodies"), 0);
	/* The store goes on. */
	assert_int_equal(deliver_str(f, f->uid_a, NULL, "y\r\n"), 0);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 1);
}

static void
test_delivery_no_recipients(void **state)
{
	struct fx *f = *state;
	char err[256];

	assert_int_equal(deliver(f->st, NULL, 0, NULL, "x\r\n", 3, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "recipients"));
	assert_int_equal(stored_bodies(f) + tmp_files(f), 0);
}

static void
test_delivery_abort(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;

	d = store_delivery_new(f->st, NULL);
	assert_non_null(d);
	assert_int_equal(store_delivery_write(d, "half a mess", 11), 0);
	store_delivery_add(d, f->uid_a, NULL);
	store_delivery_abort(d);
	store_delivery_abort(NULL);
	assert_int_equal(tmp_files(f), 0);
	assert_int_equal(stored_bodies(f), 0);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 0);
}

static void
test_delivery_large(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;
	struct store_msg *msgs;
	struct waiter w;
	char chunk[8192], *p;
	size_t i, n, total = 4 * STORE_MEM_TEST;

	d = store_delivery_new(f->st, NULL);
	for (i = 0; i < total; i += sizeof(chunk)) {
		memset(chunk, 'a' + (int)(i / sizeof(chunk) % 26),
		    sizeof(chunk));
		assert_int_equal(store_delivery_write(d, chunk, sizeof(chunk)),
		    0);
	}
	total = i;
	store_delivery_add(d, f->uid_a, NULL);
	waiter_init(&w);
	store_delivery_commit(d, NULL, waiter_done, &w);
	waiter_wait(&w, 1);
	assert_int_equal(w.result, 0);
	waiter_fini(&w);
	assert_int_equal(tmp_files(f), 0);
	/* Too big to keep inline: a file. */
	assert_int_equal(stored_bodies(f), 1);
	assert_int_equal(body_files(f), test_store_pg() ? 0 : 1);
	assert_int_equal(store_mailbox_messages(f->st,
	    mbox_get(f, f->uid_a, "INBOX").id, &msgs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].size, total);
	p = msg_read(f, &msgs[0]);
	for (i = 0; i < total; i += sizeof(chunk))
		assert_int_equal(p[i], 'a' + (int)(i / sizeof(chunk) % 26));
	free(p);
	free(msgs);
}

static void
test_delivery_large_abort(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;
	char chunk[8192];
	size_t i;

	memset(chunk, 'x', sizeof(chunk));
	d = store_delivery_new(f->st, NULL);
	for (i = 0; i < 2 * STORE_MEM_TEST; i += sizeof(chunk))
		assert_int_equal(store_delivery_write(d, chunk, sizeof(chunk)),
		    0);
	store_delivery_abort(d);
	assert_int_equal(tmp_files(f) + stored_bodies(f), 0);
}

static void
test_delivery_empty_body(void **state)
{
	struct fx *f = *state;
	struct store_msg *msgs;
	size_t n;

	assert_int_equal(deliver_str(f, f->uid_a, NULL, ""), 0);
	assert_int_equal(store_mailbox_messages(f->st,
	    mbox_get(f, f->uid_a, "INBOX").id, &msgs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].size, 0);
	free(msgs);
}

#define CONC_THREADS	8
#define CONC_PER_THREAD	40

struct conc_arg {
	struct fx	*f;
	int		 idx;
	struct waiter	 w;
};

static void *
conc_main(void *arg)
{
	struct conc_arg *ca = arg;
	struct store_delivery *d;
	char text[64];
	int i, len;

	/* Each thread keeps all of its deliveries in flight at once. */
	for (i = 0; i < CONC_PER_THREAD; i++) {
		d = store_delivery_new(ca->f->st, NULL);
		if (d == NULL)
			abort();
		len = snprintf(text, sizeof(text), "thread %d msg %d\r\n",
		    ca->idx, i);
		if (store_delivery_write(d, text, (size_t)len) == -1)
			abort();
		store_delivery_add(d, ca->f->uid_a, NULL);
		store_delivery_add(d, ca->f->uid_b, "Archive");
		store_delivery_commit(d, NULL, waiter_done, &ca->w);
	}
	pthread_mutex_lock(&ca->w.mu);
	while (ca->w.n_done < CONC_PER_THREAD)
		pthread_cond_wait(&ca->w.cv, &ca->w.mu);
	pthread_mutex_unlock(&ca->w.mu);
	return NULL;
}

static void
conc_check(struct fx *f, int64_t user, const char *mailbox)
{
	struct store_mailbox mb;
	struct store_msg *msgs;
	size_t i, n;

	mb = mbox_get(f, user, mailbox);
	assert_int_equal(mb.count, CONC_THREADS * CONC_PER_THREAD);
	assert_int_equal(mb.uidnext, CONC_THREADS * CONC_PER_THREAD + 1);
	assert_int_equal(store_mailbox_messages(f->st, mb.id, &msgs, &n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(msgs[i].uid, i + 1);
		assert_true(msgs[i].modseq <= mb.highestmodseq);
	}
	free(msgs);
}

static void
test_delivery_concurrent(void **state)
{
	struct conc_arg ca[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	struct fx *f = *state;
	int i;

	for (i = 0; i < CONC_THREADS; i++) {
		ca[i].f = f;
		ca[i].idx = i;
		waiter_init(&ca[i].w);
		assert_int_equal(pthread_create(&th[i], NULL, conc_main,
		    &ca[i]), 0);
	}
	for (i = 0; i < CONC_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ca[i].w.n_fail, 0);
		assert_false(ca[i].w.is_bad_err);
		waiter_fini(&ca[i].w);
	}
	conc_check(f, f->uid_a, "INBOX");
	conc_check(f, f->uid_b, "Archive");
	assert_int_equal(stored_bodies(f), CONC_THREADS * CONC_PER_THREAD);
	assert_int_equal(tmp_files(f), 0);
	/* Group commit filed several deliveries per transaction: fewer
	 * transactions than messages is not observable here, but every
	 * message is there exactly once per recipient. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM messages"),
	    2 * CONC_THREADS * CONC_PER_THREAD);
}

static void
test_delivery_on_event_base(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;
	struct event_base *base;
	struct waiter w;
	int i;

	base = event_base_new();
	assert_non_null(base);
	waiter_init(&w);
	w.base = base;
	w.n_want = 5;
	for (i = 0; i < 5; i++) {
		d = store_delivery_new(f->st, NULL);
		assert_int_equal(store_delivery_write(d, "x\r\n", 3), 0);
		store_delivery_add(d, f->uid_c, NULL);
		store_delivery_commit(d, base, waiter_done, &w);
	}
	assert_int_equal(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
	assert_int_equal(w.n_done, 5);
	assert_int_equal(w.n_fail, 0);
	assert_false(w.is_bad_err);
	/* done() ran on the loop's thread, this one. */
	assert_true(pthread_equal(w.thread, pthread_self()));
	waiter_fini(&w);
	event_base_free(base);
	assert_int_equal(mbox_get(f, f->uid_c, "INBOX").count, 5);
}

static void
test_close_waits_for_deliveries(void **state)
{
	struct fx *f = *state;
	struct store_delivery *d;
	struct waiter w;
	int i;

	waiter_init(&w);
	for (i = 0; i < 20; i++) {
		d = store_delivery_new(f->st, NULL);
		assert_int_equal(store_delivery_write(d, "x\r\n", 3), 0);
		store_delivery_add(d, f->uid_a, NULL);
		store_delivery_commit(d, NULL, waiter_done, &w);
	}
	store_close(f->st);
	assert_int_equal(w.n_done, 20);
	assert_int_equal(w.n_fail, 0);
	waiter_fini(&w);
	fx_open_store(f);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 20);
}

/* Expunge. */

static int64_t
fill_inbox(struct fx *f, int64_t user, int n)
{
	char text[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "m%d\r\n", i + 1);
		assert_int_equal(deliver_str(f, user, NULL, text), 0);
	}
	return mbox_get(f, user, "INBOX").id;
}

static void
test_expunge(void **state)
{
	static const uint32_t some[] = { 2, 4 }, again[] = { 2, 99, 5 };
	struct fx *f = *state;
	struct store_mailbox before, after;
	struct store_msg *msgs;
	int64_t mbox;
	size_t n;

	mbox = fill_inbox(f, f->uid_a, 5);
	before = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(store_msgs_expunge(f->st, mbox, some, 2, NULL), 0);
	after = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(after.count, 3);
	assert_true(after.highestmodseq > before.highestmodseq);
	assert_int_equal(after.uidnext, before.uidnext);
	assert_int_equal(stored_bodies(f), 3);
	/* UIDs already gone are skipped; the rest goes. */
	assert_int_equal(store_msgs_expunge(f->st, mbox, again, 3, NULL), 0);
	assert_int_equal(store_mailbox_messages(f->st, mbox, &msgs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(msgs[0].uid, 1);
	assert_int_equal(msgs[1].uid, 3);
	free(msgs);
	assert_int_equal(stored_bodies(f), 2);
	assert_int_equal(store_msgs_expunge(f->st, mbox, NULL, 0, NULL), 0);
}

static void
test_expunge_bad_mailbox(void **state)
{
	static const uint32_t one[] = { 1 };
	struct fx *f = *state;
	char *err = NULL;

	(void)fill_inbox(f, f->uid_a, 1);
	assert_int_equal(store_msgs_expunge(f->st, 424242, one, 1, &err), -1);
	assert_non_null(strstr(err, "no mailbox"));
	free(err);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 1);
}

static void
test_expunge_all_or_nothing(void **state)
{
	static const uint32_t uids[] = { 1, 3, 5 };
	struct fx *f = *state;
	struct store_mailbox before, after;
	char *err = NULL;
	int64_t mbox;

	mbox = fill_inbox(f, f->uid_a, 5);
	before = mbox_get(f, f->uid_a, "INBOX");
	/* Make the third removal fail after two have happened. */
	if (test_store_pg() != NULL)
		sql_exec(f, "CREATE FUNCTION fail_uid5() RETURNS trigger "
		    "LANGUAGE plpgsql AS $$BEGIN IF old.uid = 5 THEN RAISE "
		    "EXCEPTION 'injected'; END IF; RETURN old; END$$; "
		    "CREATE TRIGGER fail_uid5 BEFORE DELETE ON messages FOR "
		    "EACH ROW EXECUTE FUNCTION fail_uid5()");
	else
		sql_exec(f, "CREATE TRIGGER fail_uid5 BEFORE DELETE ON "
		    "messages WHEN old.uid = 5 BEGIN SELECT RAISE(ABORT, "
		    "'injected'); END");
	assert_int_equal(store_msgs_expunge(f->st, mbox, uids, 3, &err), -1);
	assert_non_null(err);
	free(err);
	after = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(after.count, 5);
	assert_int_equal(after.highestmodseq, before.highestmodseq);
	assert_int_equal(stored_bodies(f), 5);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM bodies"), 5);
	sql_exec(f, test_store_pg() != NULL ? "DROP TRIGGER fail_uid5 ON "
	    "messages" : "DROP TRIGGER fail_uid5");
	assert_int_equal(store_msgs_expunge(f->st, mbox, uids, 3, NULL), 0);
	assert_int_equal(mbox_get(f, f->uid_a, "INBOX").count, 2);
	assert_int_equal(stored_bodies(f), 2);
}

/* A full disk: on a 2 MiB tmpfs, fill the disk first with bodies (write
 * fails), then leave a page or two so that bodies fit but the database
 * does not (SQLITE_FULL at commit). Each time nothing half-written may
 * remain, and once space is back the store works again. */

static void
check_consistent(struct fx *g)
{
	struct store_mailbox mb = mbox_get(g, g->uid_a, "INBOX");

	assert_int_equal(tmp_files(g), 0);
	assert_int_equal(body_files(g), sql_int(g, "SELECT count(*) FROM "
	    "bodies WHERE data IS NULL"));
	assert_int_equal(mb.count, sql_int(g, "SELECT count(*) FROM "
	    "messages"));
	assert_int_equal(mb.count, stored_bodies(g));
}

static int
fill_disk(const char *path)
{
	static const char chunk[4096];
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk))
		;
	return fd;
}

/* Deliver size-octet bodies until one fails; returns how many worked. */
static int
full_disk_fill(struct fx *g, size_t size)
{
	char *big = xmalloc(size), err[256];
	int i, rc = 0;

	memset(big, 'x', size);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = deliver(g->st, &g->uid_a, 1, NULL, big, size, err,
		    sizeof(err));
	free(big);
	/* The caller's write failed (errno ENOSPC), or the commit did. */
	assert_true(rc == -1 || rc == STORE_FULL);
	assert_true(strstr(err, "No space left") != NULL ||
	    strstr(err, "disk full") != NULL);
	return i - 1;
}

static bool
full_disk_stage_db(struct fx *g, const char *filler)
{
	char err[256];
	bool is_db_full = false;
	struct stat sb;
	int fd, i, rc;

	fd = fill_disk(filler);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(ftruncate(fd, sb.st_size - 8192), 0);
	close(fd);
	for (i = 0; i < 50 && !is_db_full; i++) {
		rc = deliver(g->st, &g->uid_a, 1, NULL, "x\r\n", 3, err,
		    sizeof(err));
		if (rc == 0)
			continue;
		/* Either the body or the database ran out of room. */
		assert_int_equal(rc, STORE_FULL);
		check_consistent(g);
		is_db_full = strstr(err, "write:") == NULL;
		if (is_db_full)
			assert_non_null(strstr(err, "disk full"));
	}
	return is_db_full;
}

static void
expunge_all(struct fx *g)
{
	struct store_mailbox mb = mbox_get(g, g->uid_a, "INBOX");
	struct store_msg *msgs;
	uint32_t *uids;
	size_t i, n;
	char *err = NULL;

	assert_int_equal(store_mailbox_messages(g->st, mb.id, &msgs, &n), 0);
	uids = xcalloc(n, sizeof(*uids));
	for (i = 0; i < n; i++)
		uids[i] = msgs[i].uid;
	if (store_msgs_expunge(g->st, mb.id, uids, n, &err) == -1)
		fail_msg("expunge: %s", err);
	free(uids);
	free(msgs);
}

static void
test_full_disk(void **state)
{
	struct fx *f = *state, g;
	char *mnt, *filler, *reserve, *err = NULL;
	struct store_user u;
	int n, fd;

	TEST_STORE_LITE_ONLY();
	mnt = xasprintf("%s/mnt", f->root);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0700") == -1) {
		print_message("skipping the full-disk test: cannot mount a "
		    "tmpfs (%s); run as root\n", strerror(errno));
		free(mnt);
		skip();
	}
	f->mnt = mnt;
	memset(&g, 0, sizeof(g));
	g.data = xasprintf("%s/data", mnt);
	g.pool = f->pool;
	fx_open_store(&g);
	assert_int_equal(store_domain_add(g.st, "example.org", &err), 0);
	assert_int_equal(store_user_add(g.st, "a@example.org", "pw", &err), 0);
	assert_int_equal(store_user_find(g.st, "a@example.org", &u), 1);
	g.uid_a = u.id;

	/* Space an administrator frees later. */
	reserve = xasprintf("%s/reserve", mnt);
	fd = open(reserve, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(posix_fallocate(fd, 0, 256 * 1024), 0);
	close(fd);
	/* Big bodies go to a file at once: write() fails for the caller. */
	n = full_disk_fill(&g, 3 * STORE_MEM_TEST);
	assert_true(n >= 1);
	check_consistent(&g);
	/* Small ones go inline into the transaction: done() reports it. */
	(void)full_disk_fill(&g, 16 * 1024);
	check_consistent(&g);
	/* Some space back: expunge works and frees the bodies. */
	assert_int_equal(unlink(reserve), 0);
	expunge_all(&g);
	assert_int_equal(stored_bodies(&g), 0);
	/* Bodies fit, the database does not. */
	filler = xasprintf("%s/filler", mnt);
	assert_true(full_disk_stage_db(&g, filler));
	check_consistent(&g);

	/* Space comes back: the store works again. */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(deliver(g.st, &g.uid_a, 1, NULL, "back\r\n", 6, NULL,
	    0), 0);
	check_consistent(&g);
	store_close(g.st);
	g.st = NULL;
	/* sqlite's own check, with the store closed. */
	fx_open_store(&g);
	check_consistent(&g);
	store_close(g.st);
	assert_int_equal(sql_int(&g, "SELECT count(*) FROM pragma_"
	    "integrity_check WHERE integrity_check = 'ok'"), 1);
	free(filler);
	free(reserve);
	free(g.data);
}

/* Poll until sql (a count) reaches want, for up to 30 s. */
static int64_t
sql_wait(struct fx *f, const char *sql, int64_t want)
{
	int64_t got = -1;
	int i;

	for (i = 0; i < 3000 && (got = sql_int(f, sql)) != want; i++)
		usleep(10 * 1000);
	return got;
}

/* The indexer fills the parse cache and the text index after delivery,
 * with no FETCH or SEARCH asking; reopened, it works through a backlog
 * (a store whose caches are empty, as one from before the indexer). */
static void
test_indexer(void **state)
{
	struct fx *f = *state;
	struct store_mailbox mb;
	struct store_row *rows;
	int64_t *ids;
	char text[64];
	size_t n;
	int i;

	TEST_STORE_LITE_ONLY();		/* PostgreSQL caches on first use */
	for (i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "Subject: m%d\r\n\r\nword%dword\r\n",
		    i, i);
		assert_int_equal(deliver_str(f, f->uid_a, NULL, text), 0);
	}
	assert_int_equal(sql_wait(f, "SELECT count(*) FROM cache", 40), 40);
	assert_int_equal(sql_wait(f, "SELECT count(*) FROM text_index", 40),
	    40);
	/* What it wrote is what a FETCH would have built. */
	mb = mbox_get(f, f->uid_a, "INBOX");
	assert_int_equal(store_rows_get(f->st, mb.id, 7, 7, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(rows[0].envelope, "\"m6\""));
	store_rows_free(rows, n);
	assert_int_equal(store_text_search(f->st, "word39word", true, &ids,
	    &n), 0);
	assert_int_equal(n, 1);
	free(ids);

	store_close(f->st);
	f->st = NULL;
	sql_exec(f, "DELETE FROM cache; DELETE FROM text_index;");
	fx_open_store(f);
	assert_int_equal(sql_wait(f, "SELECT count(*) FROM cache", 40), 40);
	assert_int_equal(sql_wait(f, "SELECT count(*) FROM text_index", 40),
	    40);
}

/* The checkpointer copies the WAL into the database file on its own
 * thread once it passes 1,000 pages: after 5 MB of inline bodies the
 * database file holds them, with no commit having run the checkpoint. */
static void
test_checkpointer(void **state)
{
	struct fx *f = *state;
	char *body, *path;
	struct stat sb;
	int i;

	TEST_STORE_LITE_ONLY();
	body = xmalloc(16 * 1024);
	memset(body, 'c', 16 * 1024);
	for (i = 0; i < 320; i++)
		assert_int_equal(deliver(f->st, &f->uid_a, 1, NULL, body,
		    16 * 1024, NULL, 0), 0);
	free(body);
	path = xasprintf("%s/store.db", f->data);
	for (i = 0; i < 3000; i++) {
		assert_int_equal(stat(path, &sb), 0);
		if (sb.st_size >= 320 * 16 * 1024)
			break;
		usleep(10 * 1000);
	}
	free(path);
	assert_true(sb.st_size >= 320 * 16 * 1024);
}

/* A store from before inline bodies (schema version 6) keeps all its
 * bodies as files: after the migration they read as before (the body and
 * the parse cache), new small bodies go inline next to them, and an
 * expunge still removes the file. */
static void
test_migration_file_bodies(void **state)
{
	static const char old[] = "Subject: old\r\n\r\nkept as a file\r\n";
	static const char name[] = "ab0000000000000000000000000000ff";
	static const uint32_t both[] = { 1, 2 };
	struct fx *f = *state;
	struct store_mailbox mb;
	struct store_msg *msgs;
	struct store_row *rows;
	char *path, *sql, *p;
	size_t n;
	int fd;

	TEST_STORE_LITE_ONLY();
	mb = mbox_get(f, f->uid_a, "INBOX");
	store_close(f->st);
	f->st = NULL;
	sql_exec(f, "ALTER TABLE bodies DROP COLUMN data; "
	    "DELETE FROM schema_version WHERE version > 6;");
	path = xasprintf("%s/bodies/ab/%s", f->data, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, old, sizeof(old) - 1),
	    (ssize_t)sizeof(old) - 1);
	close(fd);
	sql = xasprintf("INSERT INTO bodies(id, name, size, created) VALUES "
	    "(77, '%s', %zu, 0); INSERT INTO messages(mailbox_id, uid, "
	    "body_id, modseq, internal_date, size) VALUES (%lld, 1, 77, 2, 0, "
	    "%zu); UPDATE mailboxes SET uidnext = 2, highestmodseq = 2 WHERE "
	    "id = %lld;", name, sizeof(old) - 1, (long long)mb.id,
	    sizeof(old) - 1, (long long)mb.id);
	sql_exec(f, sql);
	free(sql);

	fx_open_store(f);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_info("
	    "'bodies') WHERE name = 'data'"), 1);
	assert_int_equal(deliver_str(f, f->uid_a, NULL,
	    "Subject: new\r\n\r\ninline\r\n"), 0);
	assert_int_equal(body_files(f), 1);
	assert_int_equal(stored_bodies(f), 2);
	assert_int_equal(store_mailbox_messages(f->st, mb.id, &msgs, &n), 0);
	assert_int_equal(n, 2);
	p = msg_read(f, &msgs[0]);
	assert_string_equal(p, old);
	free(p);
	p = msg_read(f, &msgs[1]);
	assert_string_equal(p, "Subject: new\r\n\r\ninline\r\n");
	free(p);
	free(msgs);
	assert_int_equal(store_rows_get(f->st, mb.id, 1, UINT32_MAX, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(rows[0].envelope, "\"old\""));
	assert_non_null(strstr(rows[1].envelope, "\"new\""));
	store_rows_free(rows, n);

	assert_int_equal(store_msgs_expunge(f->st, mb.id, both, 2, NULL), 0);
	assert_int_equal(stored_bodies(f), 0);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_journal_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_cleans_tmp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_keeps_tmp_of_others,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_domain_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_domain_dup_and_del, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_domain_del_with_users,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_user_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_user_add_mailboxes,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(
		    test_user_dup_and_unknown_domain, setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_user_list, setup_users,
		    teardown),
		cmocka_unit_test_setup_teardown(test_user_password,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_user_bcrypt_hash,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_user_del, setup_users,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delivery_basic,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_default_date,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(
		    test_delivery_three_users_one_body, setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_uids_increase,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_same_user_twice,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_folders,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_unknown_user,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_no_recipients,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_abort,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_empty_body,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_large,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_large_abort,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_concurrent,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_on_event_base,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_waits_for_deliveries, setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_expunge, setup_users,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expunge_bad_mailbox,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_expunge_all_or_nothing,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_indexer, setup_users,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpointer, setup_users,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_file_bodies,
		    setup_users, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup,
		    teardown),
	};

	if (evthread_use_pthreads() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
