/* Tests for the store's IMAP additions (src/store/mbox_ops.c, status.c,
 * rows.c, flags.c, copy.c, append.c, notify.c) and the schema migration
 * from version 1.
 * SPDX-License-Identifier: ISC */
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
#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "store_loc.h"

struct fx {
	char		 root[64];
	struct iopool	*pool;
	struct store	*st;
	int64_t		 uid;
	struct store_mailbox inbox;
};

static const char MSG[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Hello there\r\n"
    "Date: Tue, 2 Jan 2024 11:00:00 +0100\r\n"
    "\r\n"
    "Body text\r\n";

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_user u;
	char *err = NULL, *loc;

	snprintf(f->root, sizeof(f->root), "/tmp/petrel-store-imap-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->pool = iopool_new(2);
	loc = test_store_location(f->root);
	f->st = store_open(loc, f->pool, &err);
	free(loc);
	assert_non_null(f->st);
	assert_int_equal(store_domain_add(f->st, "example.org", &err), 0);
	assert_int_equal(store_user_add(f->st, "bob@example.org", "pw", &err),
	    0);
	assert_int_equal(store_user_find(f->st, "bob@example.org", &u), 1);
	f->uid = u.id;
	assert_int_equal(store_mailbox_find(f->st, f->uid, "INBOX",
	    &f->inbox), 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	iopool_free(f->pool);
	test_rm_tree(f->root);
	free(f);
	return 0;
}

static uint32_t
append(struct fx *f, int64_t mailbox_id, uint32_t flags, const char *kw)
{
	uint32_t uidvalidity, uid;
	char *err = NULL;

	assert_int_equal(store_append(f->st, mailbox_id, MSG, sizeof(MSG) - 1,
	    flags, kw, 1700000000, &uidvalidity, &uid, &err), 0);
	return uid;
}

static bool
listed(struct fx *f, const char *name, bool *is_noselect)
{
	struct store_mailbox_info *v;
	size_t n, i;
	bool found = false;

	assert_int_equal(store_mailbox_list(f->st, f->uid, &v, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0) {
			found = true;
			if (is_noselect != NULL)
				*is_noselect = v[i].is_noselect;
		}
	}
	store_mailbox_list_free(v, n);
	return found;
}

static void
test_create_delete(void **state)
{
	struct fx *f = *state;
	char *err = NULL;
	bool ns;

	assert_int_equal(store_mailbox_create(f->st, f->uid, "a/b/c", NULL,
	    &err), 0);
	assert_true(listed(f, "a", NULL) && listed(f, "a/b", NULL));
	assert_int_equal(store_mailbox_create(f->st, f->uid, "a/b", NULL,
	    &err), STORE_EXISTS);
	assert_int_equal(store_mailbox_create(f->st, f->uid, "inbox", NULL,
	    &err), STORE_EXISTS);
	assert_int_equal(store_mailbox_delete(f->st, f->uid, "INBOX", &err),
	    STORE_REFUSED);
	assert_int_equal(store_mailbox_delete(f->st, f->uid, "nope", &err),
	    STORE_NOTFOUND);
	/* With children: kept as \Noselect, then refused. */
	assert_int_equal(store_mailbox_delete(f->st, f->uid, "a", &err), 0);
	assert_true(listed(f, "a", &ns) && ns);
	assert_int_equal(store_mailbox_delete(f->st, f->uid, "a", &err),
	    STORE_REFUSED);
	assert_int_equal(store_mailbox_delete(f->st, f->uid, "a/b/c", &err),
	    0);
	assert_false(listed(f, "a/b/c", NULL));
	/* CREATE of a \Noselect name makes it a mailbox again. */
	assert_int_equal(store_mailbox_create(f->st, f->uid, "a", NULL, &err),
	    0);
	assert_true(listed(f, "a", &ns) && !ns);
}

static void
test_rename(void **state)
{
	struct fx *f = *state;
	struct store_mailbox mb;
	char *err = NULL;

	assert_int_equal(store_mailbox_create(f->st, f->uid, "x/y", NULL,
	    &err), 0);
	assert_int_equal(store_subscription_set(f->st, f->uid, "x/y", true,
	    &err), 0);
	assert_int_equal(store_mailbox_rename(f->st, f->uid, "x", "z/w",
	    &err), 0);
	assert_true(listed(f, "z/w/y", NULL) && listed(f, "z", NULL));
	assert_false(listed(f, "x", NULL));
	assert_int_equal(store_mailbox_rename(f->st, f->uid, "z", "Sent",
	    &err), STORE_EXISTS);
	assert_int_equal(store_mailbox_rename(f->st, f->uid, "q", "r",
	    &err), STORE_NOTFOUND);
	assert_int_equal(store_mailbox_rename(f->st, f->uid, "z", "z/in",
	    &err), STORE_REFUSED);
	/* INBOX: messages move, INBOX stays, its UIDs stay used. */
	append(f, f->inbox.id, 0, NULL);
	append(f, f->inbox.id, 0, NULL);
	assert_int_equal(store_mailbox_rename(f->st, f->uid, "INBOX", "old",
	    &err), 0);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "old", &mb), 1);
	assert_int_equal(mb.count, 2);
	assert_int_equal(mb.uidnext, 3);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "INBOX", &mb), 1);
	assert_int_equal(mb.count, 0);
	assert_int_equal(mb.uidnext, 3);
}

static void
test_subscriptions(void **state)
{
	struct fx *f = *state;
	char **names, *err = NULL;
	size_t n;

	assert_int_equal(store_subscription_list(f->st, f->uid, &names, &n),
	    0);
	assert_int_equal(n, 6);		/* the new account's mailboxes */
	store_strings_free(names, n);
	assert_int_equal(store_subscription_set(f->st, f->uid, "ghost", true,
	    &err), 0);
	assert_int_equal(store_subscription_set(f->st, f->uid, "Junk", false,
	    &err), 0);
	assert_int_equal(store_subscription_list(f->st, f->uid, &names, &n),
	    0);
	assert_int_equal(n, 6);
	assert_string_equal(names[5], "ghost");	/* ASCII order */
	store_strings_free(names, n);
}

static void
test_status_and_uids(void **state)
{
	struct fx *f = *state;
	struct store_status ss;
	uint32_t *uids, u, count;
	uint64_t modseq;
	size_t n;

	append(f, f->inbox.id, STORE_F_SEEN, NULL);
	append(f, f->inbox.id, STORE_F_DELETED, NULL);
	append(f, f->inbox.id, 0, "$Work");
	assert_int_equal(store_mailbox_status(f->st, f->inbox.id, &ss), 1);
	assert_int_equal(ss.messages, 3);
	assert_int_equal(ss.unseen, 2);
	assert_int_equal(ss.deleted, 1);
	assert_int_equal(ss.uidnext, 4);
	assert_int_equal(ss.size, 3 * (sizeof(MSG) - 1));
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &u, &modseq),
	    1);
	assert_int_equal(u, 4);
	assert_int_equal(modseq, ss.highestmodseq);
	assert_int_equal(store_mailbox_uids(f->st, f->inbox.id, 2, 10, &uids,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 2);
	free(uids);
	assert_int_equal(store_mailbox_count(f->st, f->inbox.id, 1, 2,
	    &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_mailbox_first_unseen(f->st, f->inbox.id, &u),
	    1);
	assert_int_equal(u, 2);
	assert_int_equal(store_mailbox_status(f->st, 999999, &ss), 0);
}

static void
test_rows_cache(void **state)
{
	struct fx *f = *state;
	struct store_row *rows;
	size_t n;

	append(f, f->inbox.id, 0, "a b");
	append(f, f->inbox.id, 0, NULL);
	assert_int_equal(store_rows_get(f->st, f->inbox.id, 1, UINT32_MAX, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].keywords, "a b");
	assert_non_null(rows[0].envelope);
	assert_non_null(strstr(rows[0].envelope, "\"Hello there\""));
	assert_non_null(strstr(rows[0].bodystructure, "\"PLAIN\""));
	assert_int_equal(rows[0].header_len, sizeof(MSG) - 1 - 11);
	assert_int_equal(rows[0].sent_date, 1704189600);
	assert_int_equal(rows[0].internal_date, 1700000000);
	store_rows_free(rows, n);
	/* Second time from the cache; without it, no cache fields. */
	assert_int_equal(store_rows_get(f->st, f->inbox.id, 2, 2, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(rows[0].body);
	store_rows_free(rows, n);
	assert_int_equal(store_rows_get(f->st, f->inbox.id, 1, 2, 0, 0, 1,
	    &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_null(rows[0].envelope);
	store_rows_free(rows, n);
}

static void
test_flags_condstore(void **state)
{
	struct fx *f = *state;
	struct store_flags_result *r;
	const char *kw[] = { "$Label", "Other" };
	uint32_t uids[] = { 1, 2, 7 }, u;
	uint64_t m0, m1;
	char **names, *err = NULL;
	size_t n;

	append(f, f->inbox.id, 0, NULL);
	append(f, f->inbox.id, STORE_F_SEEN, NULL);
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &u, &m0), 1);
	assert_int_equal(store_flags_update(f->st, f->inbox.id, uids, 3,
	    STORE_FLAGS_ADD, STORE_F_FLAGGED, kw, 2, 0, &r, &n, &err), 0);
	assert_int_equal(n, 2);		/* UID 7 does not exist */
	assert_int_equal(r[0].flags, STORE_F_FLAGGED);
	assert_string_equal(r[0].keywords, "$Label Other");
	assert_int_equal(r[1].flags, STORE_F_FLAGGED | STORE_F_SEEN);
	assert_int_equal(r[0].modseq, m0 + 1);
	assert_true(r[0].is_changed && r[1].is_changed);
	store_flags_results_free(r, n);
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &u, &m1), 1);
	assert_int_equal(m1, m0 + 1);
	/* Unchanged: no new modseq. */
	assert_int_equal(store_flags_update(f->st, f->inbox.id, uids, 1,
	    STORE_FLAGS_ADD, STORE_F_FLAGGED, NULL, 0, 0, &r, &n, &err), 0);
	assert_false(r[0].is_changed);
	store_flags_results_free(r, n);
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &u, &m1), 1);
	assert_int_equal(m1, m0 + 1);
	/* UNCHANGEDSINCE below the message's modseq fails it. */
	assert_int_equal(store_flags_update(f->st, f->inbox.id, uids, 2,
	    STORE_FLAGS_REMOVE, STORE_F_FLAGGED, kw, 1, m0, &r, &n, &err), 0);
	assert_true(r[0].is_failed && r[1].is_failed);
	store_flags_results_free(r, n);
	assert_int_equal(store_flags_update(f->st, f->inbox.id, uids, 2,
	    STORE_FLAGS_SET, STORE_F_DRAFT, NULL, 0, 0, &r, &n, &err), 0);
	assert_int_equal(r[0].flags, STORE_F_DRAFT);
	assert_string_equal(r[0].keywords, "");
	store_flags_results_free(r, n);
	assert_int_equal(store_mailbox_keywords(f->st, f->inbox.id, &names,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "$Label");
	store_strings_free(names, n);
}

static void
test_copy_move(void **state)
{
	struct fx *f = *state;
	struct store_mailbox arch;
	uint32_t uids[] = { 1, 3, 9 }, *src, *dst, uv;
	struct store_row *rows;
	char *err = NULL;
	size_t n;

	append(f, f->inbox.id, STORE_F_FLAGGED, "k1");
	append(f, f->inbox.id, 0, NULL);
	append(f, f->inbox.id, 0, NULL);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "Archive", &arch),
	    1);
	assert_int_equal(store_msgs_copy(f->st, f->inbox.id, arch.id, uids, 3,
	    false, &uv, &src, &dst, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uv, arch.uidvalidity);
	assert_int_equal(src[1], 3);
	assert_int_equal(dst[0], 1);
	assert_int_equal(dst[1], 2);
	free(src);
	free(dst);
	assert_int_equal(store_rows_get(f->st, arch.id, 1, 1, 0, 0, SIZE_MAX,
	    &rows, &n), 0);
	assert_int_equal(rows[0].flags, STORE_F_FLAGGED);
	assert_string_equal(rows[0].keywords, "k1");
	store_rows_free(rows, n);
	assert_int_equal(store_msgs_copy(f->st, f->inbox.id, arch.id, uids, 1,
	    true, &uv, &src, &dst, &n, &err), 0);
	assert_int_equal(dst[0], 3);
	free(src);
	free(dst);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "INBOX",
	    &f->inbox), 1);
	assert_int_equal(f->inbox.count, 2);
	assert_int_equal(store_msgs_copy(f->st, f->inbox.id, 999999, uids, 1,
	    false, &uv, &src, &dst, &n, &err), STORE_NOTFOUND);
	/* Expunging the copies' originals leaves the copies readable. */
	uids[0] = 3;
	assert_int_equal(store_msgs_expunge(f->st, f->inbox.id, uids, 1,
	    &err), 0);
	assert_int_equal(store_rows_get(f->st, arch.id, 2, 2, 0, 0, SIZE_MAX,
	    &rows, &n), 0);
	assert_true(store_row_open(f->st, &rows[0]) >= 0);
	store_rows_free(rows, n);
}

static void
test_append_recent(void **state)
{
	struct fx *f = *state;
	uint32_t uv, uid;
	char *err = NULL;

	assert_int_equal(store_append(f->st, 999999, MSG, 3, 0, NULL, 0, &uv,
	    &uid, &err), STORE_NOTFOUND);
	free(err);
	/* A mailbox nobody looked at: everything is recent, once. */
	assert_int_equal(append(f, f->inbox.id, 0, NULL), 1);
	assert_int_equal(store_recent_take(f->st, f->inbox.id, 0), 1);
	assert_int_equal(store_recent_take(f->st, f->inbox.id, 2), 1);
	assert_int_equal(store_recent_take(f->st, f->inbox.id, 2), 2);
	assert_int_equal(store_recent_take(f->st, f->inbox.id, 0), 2);
}

/* Run sql on the store's database from a connection of its own: the
 * count in column 0 of its first row, or 0. */
static int64_t
sql_count(struct fx *f, const char *sql)
{
	char *path = xasprintf("%s/store.db", f->root);
	sqlite3_stmt *stmt;
	sqlite3 *db;
	int64_t n = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	assert_int_equal(sqlite3_finalize(stmt), SQLITE_OK);
	sqlite3_close(db);
	free(path);
	return n;
}

/* Let the indexer (which fills both caches soon after APPEND) finish with
 * the mailbox's n bodies, then empty both caches behind its back: it does
 * not come back to bodies it has done, so what follows tests the filling
 * on demand. */
static void
caches_empty(struct fx *f, int64_t n)
{
	int i;

	if (test_store_pg() != NULL)
		return;		/* no indexer: PostgreSQL fills on demand */
	for (i = 0; i < 3000 && (sql_count(f, "SELECT count(*) FROM "
	    "text_index") < n || sql_count(f, "SELECT count(*) FROM cache") <
	    n); i++)
		usleep(10 * 1000);
	(void)sql_count(f, "DELETE FROM cache");
	(void)sql_count(f, "DELETE FROM text_index");
}

static void
test_text_index(void **state)
{
	static const char b64[] = "From: a@example.org\r\nSubject: "
	    "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "S8O2bG5lciBEb20K\r\n";	/* "Kölner Dom" */
	struct fx *f = *state;
	struct store_row *rows;
	uint32_t uv, uid;
	int64_t *ids;
	char *err = NULL;
	size_t n, n_ids;

	append(f, f->inbox.id, 0, NULL);
	assert_int_equal(store_append(f->st, f->inbox.id, b64,
	    sizeof(b64) - 1, 0, NULL, 0, &uv, &uid, &err), 0);
	caches_empty(f, 2);
	/* Not looked at yet: nothing indexed. */
	assert_int_equal(store_text_search(f->st, "kölner", false, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 0);
	free(ids);
	assert_int_equal(store_rows_get(f->st, f->inbox.id, 1, 2, 0,
	    STORE_ROW_CACHE, SIZE_MAX, &rows, &n), 0);
	store_rows_free(rows, n);
	/* The cache alone does not index; STORE_ROW_TEXT does. */
	assert_int_equal(store_text_search(f->st, "kölner", false, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 0);
	free(ids);
	assert_int_equal(store_rows_get(f->st, f->inbox.id, 1, 2, 0,
	    STORE_ROW_TEXT, SIZE_MAX, &rows, &n), 0);
	assert_non_null(rows[1].envelope);
	assert_int_equal(store_text_search(f->st, "KÖLNER dom", false, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 1);
	assert_int_equal(ids[0], rows[1].body_id);
	free(ids);
	assert_int_equal(store_text_search(f->st, "grüße", true, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 0);		/* header, not body */
	free(ids);
	assert_int_equal(store_text_search(f->st, "grüße", false, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 1);
	free(ids);
	assert_int_equal(store_text_search(f->st, "body text", true, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 1);
	assert_int_equal(ids[0], rows[0].body_id);
	free(ids);
	assert_int_equal(store_text_search(f->st, "\"q", false, &ids,
	    &n_ids), -1);			/* too short */
	store_rows_free(rows, n);
	/* Expunged and collected: out of the index too. */
	uid = 1;
	assert_int_equal(store_msgs_expunge(f->st, f->inbox.id, &uid, 1,
	    &err), 0);
	assert_int_equal(store_text_search(f->st, "body text", true, &ids,
	    &n_ids), 0);
	assert_int_equal(n_ids, 0);
	free(ids);
}

static int fired;

static void
on_change(void *arg)
{
	fired++;
	event_base_loopbreak(arg);
}

static void
test_watch(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct store_watch *w;
	struct timeval tv = { 5, 0 };

	fired = 0;
	w = store_watch_new(f->st, f->uid, base, on_change, base);
	store_notify_user(f->st, f->uid + 1);	/* someone else */
	append(f, f->inbox.id, 0, NULL);	/* notifies the owner */
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_int_equal(fired, 1);
	store_watch_free(w);
	store_watch_free(NULL);
	store_notify_user(f->st, f->uid);	/* nothing left to wake */
	event_base_free(base);
}

/* QRESYNC's expunged UIDs (RFC 7162 3.2.5): an expunge and a MOVE out of
 * the mailbox record the UIDs with a mod-sequence at or after the one the
 * client knew. */
static void
test_vanished(void **state)
{
	struct fx *f = *state;
	struct store_mailbox mb, archive;
	uint32_t *uids, *src, *dst, uv, uid;
	uint64_t before;
	char *err = NULL;
	size_t n;
	int i;

	for (i = 0; i < 4; i++)
		append(f, f->inbox.id, 0, NULL);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "INBOX", &mb), 1);
	before = mb.highestmodseq;
	uid = 2;
	assert_int_equal(store_msgs_expunge(f->st, f->inbox.id, &uid, 1,
	    &err), 0);
	assert_int_equal(store_vanished(f->st, f->inbox.id, before, 1,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 2);
	free(uids);
	assert_int_equal(store_vanished(f->st, f->inbox.id, before + 100, 1,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 0);
	free(uids);
	assert_int_equal(store_mailbox_find(f->st, f->uid, "Archive",
	    &archive), 1);
	uid = 3;
	assert_int_equal(store_msgs_copy(f->st, f->inbox.id, archive.id, &uid,
	    1, true, &uv, &src, &dst, &n, &err), 0);
	free(src);
	free(dst);
	assert_int_equal(store_vanished(f->st, f->inbox.id, before, 1,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 2);
	assert_int_equal(uids[1], 3);
	free(uids);
	assert_int_equal(store_vanished(f->st, f->inbox.id, before, 3, 3,
	    &uids, &n), 0);
	assert_int_equal(n, 1);
	free(uids);
}

/* A database made by schema version 1 upgrades in place. */
/* The expunged-UID record is bounded (schema step 9): past the newest
 * STORE_VANISHED_KEEP (1000) the oldest go, and store_vanished() then
 * says so for a modseq that old instead of answering a partial list. */
static void
test_vanished_bound(void **state)
{
	struct fx *f = *state;
	uint32_t *uids, *src, *dst, uv, next, i;
	uint64_t before, big, later;
	char *err = NULL;
	size_t n, n_copied;

	TEST_STORE_LITE_ONLY();
	append(f, f->inbox.id, 0, NULL);
	/* 1024 messages, the copies sharing the one body. */
	for (i = 0; i < 10; i++) {
		assert_int_equal(store_mailbox_uids(f->st, f->inbox.id, 1,
		    UINT32_MAX, &uids, &n), 0);
		assert_int_equal(store_msgs_copy(f->st, f->inbox.id,
		    f->inbox.id, uids, n, false, &uv, &src, &dst, &n_copied,
		    &err), 0);
		assert_int_equal(n_copied, n);
		free(uids);
		free(src);
		free(dst);
	}
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &next,
	    &before), 1);
	assert_int_equal(next, 1025);
	/* One expunge of 1023: all are recorded, the oldest 23 dropped. */
	assert_int_equal(store_mailbox_uids(f->st, f->inbox.id, 2,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 1023);
	assert_int_equal(store_msgs_expunge(f->st, f->inbox.id, uids, n,
	    &err), 0);
	free(uids);
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &next,
	    &big), 1);
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT count(*) FROM vanished"), 1000);
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT min(uid) FROM vanished"), 25);
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT modseq FROM vanished_floor"), (int64_t)big);
	/* Asked from before the expunge (or at it): the list would miss
	 * UIDs 2..24, so the store says it cannot answer. */
	assert_int_equal(store_vanished(f->st, f->inbox.id, before, 1,
	    UINT32_MAX, &uids, &n), 1);
	assert_null(uids);
	assert_int_equal(store_vanished(f->st, f->inbox.id, big, 1,
	    UINT32_MAX, &uids, &n), 1);
	/* Later expunges are answered exactly. */
	assert_int_equal(store_vanished(f->st, f->inbox.id, big + 1, 1,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 0);
	i = 1;
	assert_int_equal(store_msgs_expunge(f->st, f->inbox.id, &i, 1,
	    &err), 0);
	assert_int_equal(store_mailbox_state(f->st, f->inbox.id, &next,
	    &later), 1);
	assert_int_equal(store_vanished(f->st, f->inbox.id, big + 1, 1,
	    UINT32_MAX, &uids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 1);
	free(uids);
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT count(*) FROM vanished"), 1000);
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT modseq FROM vanished_floor"), (int64_t)big);
	/* The floor goes with the UIDVALIDITY, like the records. */
	test_store_sql_exec(f->root, "UPDATE mailboxes SET uidvalidity = "
	    "uidvalidity + 1 WHERE name = 'INBOX'");
	assert_int_equal(test_store_sql_int(f->root,
	    "SELECT count(*) FROM vanished_floor"), 0);
}

static void
test_migration(void **state)
{
	char root[64], *path, *err = NULL;
	struct iopool *pool = iopool_new(1);
	struct store *st;
	sqlite3 *db;
	struct store_user u;
	struct store_status ss;
	struct store_mailbox mb;

	(void)state;
	TEST_STORE_LITE_ONLY();
	snprintf(root, sizeof(root), "/tmp/petrel-store-mig-XXXXXX");
	assert_non_null(mkdtemp(root));
	st = store_open(root, pool, &err);
	assert_non_null(st);
	assert_int_equal(store_domain_add(st, "example.org", &err), 0);
	assert_int_equal(store_user_add(st, "a@example.org", "pw", &err), 0);
	store_close(st);
	/* Take it back to version 1. */
	path = xasprintf("%s/store.db", root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* Later versions' tables go too (aliases 3, text index 4,
	 * vanished 6, inline bodies 7, vanished_floor 9). */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER mailboxes_floor_gc; "
	    "DROP TRIGGER mailboxes_floor_reset; DROP TABLE vanished_floor; "
	    "DROP TRIGGER messages_vanished; "
	    "DROP TRIGGER messages_moved; DROP TRIGGER mailboxes_vanished_gc; "
	    "DROP TRIGGER mailboxes_vanished_reset; DROP TABLE vanished; "
	    "ALTER TABLE bodies DROP COLUMN data; "
	    "DROP TABLE IF EXISTS aliases; "
	    "DROP TRIGGER IF EXISTS bodies_text_gc; DROP TABLE IF EXISTS "
	    "text_index; "
	    "DROP TABLE cache; DROP TABLE keywords; DROP TRIGGER "
	    "mailboxes_subscribe; DROP TABLE subscriptions; DROP INDEX "
	    "messages_unseen; DROP INDEX messages_modseq; ALTER TABLE "
	    "messages DROP COLUMN keywords; ALTER TABLE mailboxes DROP COLUMN "
	    "noselect; ALTER TABLE mailboxes DROP COLUMN recent_uid; DELETE "
	    "FROM schema_version WHERE version > 1;", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	free(path);
	st = store_open(root, pool, &err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_user_find(st, "a@example.org", &u), 1);
	assert_int_equal(store_mailbox_find(st, u.id, "INBOX", &mb), 1);
	assert_int_equal(store_mailbox_status(st, mb.id, &ss), 1);
	store_close(st);
	iopool_free(pool);
	test_rm_tree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_delete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_and_uids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rows_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flags_condstore, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy_move, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_recent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text_index, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vanished_bound, setup,
		    teardown),
		cmocka_unit_test(test_migration),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
