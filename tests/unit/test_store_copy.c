/* store_copy() (src/store/store_copy.c): an embedded store with accounts,
 * aliases, folders (one \Noselect), subscriptions and messages with
 * flags and keywords is copied into the store under test (store_loc.h:
 * PostgreSQL with PETREL_TEST_STORE, else another data directory) and
 * must come out the same, numbers included; a second run changes
 * nothing, and a run after a lost message brings it back.
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

#include "lib/iopool.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "store_loc.h"

struct fx {
	char		 root[64];
	struct iopool	*pool;
	struct store	*from;
	struct store	*to;
};

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int64_t
user_id(struct store *st, const char *address)
{
	struct store_user u;

	assert_int_equal(store_user_find(st, address, &u), 1);
	return u.id;
}

static int64_t
mailbox_id(struct store *st, int64_t uid, const char *name)
{
	struct store_mailbox mb;

	assert_int_equal(store_mailbox_find(st, uid, name, &mb), 1);
	return mb.id;
}

static void
append(struct store *st, int64_t mbox, const char *text, uint32_t flags,
    const char *keywords)
{
	uint32_t uv, uid;
	char *err = NULL;

	if (store_append(st, mbox, text, strlen(text), flags, keywords,
	    1700000000, &uv, &uid, &err) != 0)
		fail_msg("append: %s", err);
}

/* What a test copies: two accounts, aliases, folders, mail. */
static void
source_fill(struct store *st)
{
	const char *kw[] = { "$Important" };
	struct store_flags_result *res;
	int64_t a, b, inbox;
	uint32_t uid = 2;
	char *err = NULL;
	size_t n;
	int i;

	assert_int_equal(store_domain_add(st, "example.org", &err), 0);
	assert_int_equal(store_user_add(st, "a@example.org", "pa", &err), 0);
	assert_int_equal(store_user_add(st, "b@example.org", "pb", &err), 0);
	assert_int_equal(store_alias_add(st, "team@example.org",
	    "b@example.org", &err), 0);
	assert_int_equal(store_alias_add(st, "@example.org",
	    "a@example.org", &err), 0);
	a = user_id(st, "a@example.org");
	b = user_id(st, "b@example.org");
	inbox = mailbox_id(st, a, "INBOX");
	for (i = 0; i < 5; i++)
		append(st, inbox, "Subject: hi\r\n\r\nmessage\r\n",
		    i % 2 ? STORE_F_SEEN : 0, i == 3 ? "$Work" : NULL);
	/* A gap in the UIDs, and a flag change with its own MODSEQ. */
	assert_int_equal(store_msgs_expunge(st, inbox, &uid, 1, &err), 0);
	uid = 4;
	assert_int_equal(store_flags_update(st, inbox, &uid, 1,
	    STORE_FLAGS_ADD, STORE_F_FLAGGED, kw, 1, 0, &res, &n, &err), 0);
	store_flags_results_free(res, n);
	assert_int_equal(store_mailbox_create(st, a, "Work/2026", NULL,
	    &err), 0);
	append(st, mailbox_id(st, a, "Work/2026"), "Subject: w\r\n\r\nw\r\n",
	    STORE_F_ANSWERED, NULL);
	assert_int_equal(store_mailbox_delete(st, a, "Work", &err), 0);
	assert_int_equal(store_subscription_set(st, a, "Work/2026", true,
	    &err), 0);
	append(st, mailbox_id(st, b, "Sent"), "Subject: s\r\n\r\ns\r\n", 0,
	    NULL);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *from, *to, *err = NULL;

	snprintf(f->root, sizeof(f->root), "/tmp/petrel-copy-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->pool = iopool_new(1);
	from = xasprintf("%s/from", f->root);
	to = xasprintf("%s/to", f->root);
	f->from = store_open(from, f->pool, &err);
	assert_non_null(f->from);
	source_fill(f->from);
	free(from);
	from = test_store_location(to);
	f->to = store_open(from, f->pool, &err);
	if (f->to == NULL)
		fail_msg("store_open: %s", err);
	free(from);
	free(to);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->to);
	store_close(f->from);
	iopool_free(f->pool);
	(void)nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *
body(struct store *st, const struct store_row *r)
{
	char *p = xcalloc(1, (size_t)r->size + 1);
	int fd = store_row_open(st, r);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, p, (size_t)r->size + 1), (ssize_t)r->size);
	close(fd);
	return p;
}

static void
rows_same(struct fx *f, int64_t from_id, int64_t to_id)
{
	struct store_row *a, *b;
	size_t na, nb, i;
	char *pa, *pb;

	assert_int_equal(store_rows_get(f->from, from_id, 1, UINT32_MAX, 0, 0,
	    SIZE_MAX, &a, &na), 0);
	assert_int_equal(store_rows_get(f->to, to_id, 1, UINT32_MAX, 0, 0,
	    SIZE_MAX, &b, &nb), 0);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_int_equal(a[i].uid, b[i].uid);
		assert_int_equal(a[i].flags, b[i].flags);
		assert_int_equal(a[i].modseq, b[i].modseq);
		assert_int_equal(a[i].internal_date, b[i].internal_date);
		assert_int_equal(a[i].size, b[i].size);
		assert_string_equal(a[i].keywords, b[i].keywords);
		pa = body(f->from, &a[i]);
		pb = body(f->to, &b[i]);
		assert_string_equal(pa, pb);
		free(pa);
		free(pb);
	}
	store_rows_free(a, na);
	store_rows_free(b, nb);
}

/* Every mailbox of the account the same in both stores. */
static void
account_same(struct fx *f, const char *address, const char *password)
{
	struct store_mailbox_info *va, *vb;
	struct store_mailbox ma, mb;
	struct store_user ua, ub;
	size_t na, nb, i;

	assert_int_equal(store_user_find(f->from, address, &ua), 1);
	assert_int_equal(store_user_check_password(f->to, address, password,
	    &ub), 1);
	assert_int_equal(store_mailbox_list(f->from, ua.id, &va, &na), 0);
	assert_int_equal(store_mailbox_list(f->to, ub.id, &vb, &nb), 0);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_string_equal(va[i].name, vb[i].name);
		assert_int_equal(va[i].is_noselect, vb[i].is_noselect);
		assert_int_equal(va[i].is_subscribed, vb[i].is_subscribed);
		assert_int_equal(va[i].special_use == NULL,
		    vb[i].special_use == NULL);
		assert_int_equal(store_mailbox_find(f->from, ua.id,
		    va[i].name, &ma), 1);
		assert_int_equal(store_mailbox_find(f->to, ub.id, vb[i].name,
		    &mb), 1);
		assert_int_equal(ma.uidvalidity, mb.uidvalidity);
		assert_int_equal(ma.uidnext, mb.uidnext);
		assert_true(mb.highestmodseq >= ma.highestmodseq);
		rows_same(f, ma.id, mb.id);
	}
	store_mailbox_list_free(va, na);
	store_mailbox_list_free(vb, nb);
}

static void
copy_ok(struct fx *f)
{
	char *err = NULL;

	if (store_copy(f->from, f->to, NULL, NULL, &err) != 0)
		fail_msg("store_copy: %s", err);
}

static void
test_copy_everything(void **state)
{
	struct fx *f = *state;
	char **targets, **lines;
	size_t n;

	copy_ok(f);
	account_same(f, "a@example.org", "pa");
	account_same(f, "b@example.org", "pb");
	assert_int_equal(store_alias_list(f->to, NULL, &lines, &n), 0);
	assert_int_equal(n, 2);
	store_strings_free(lines, n);
	assert_int_equal(store_rcpt_resolve(f->to, "nobody@example.org",
	    &targets, &n), 1);
	assert_string_equal(targets[0], "a@example.org");
	store_strings_free(targets, n);
}

static void
test_copy_again_and_resume(void **state)
{
	struct fx *f = *state;
	int64_t a, inbox;
	uint32_t uid = 5;
	char *err = NULL;

	copy_ok(f);
	copy_ok(f);		/* nothing more, nothing twice */
	account_same(f, "a@example.org", "pa");
	/* As if the first run had stopped before this message. */
	a = user_id(f->to, "a@example.org");
	inbox = mailbox_id(f->to, a, "INBOX");
	assert_int_equal(store_msgs_expunge(f->to, inbox, &uid, 1, &err), 0);
	copy_ok(f);
	account_same(f, "a@example.org", "pa");
	account_same(f, "b@example.org", "pb");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_everything, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy_again_and_resume,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
