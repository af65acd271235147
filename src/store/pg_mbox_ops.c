/* Mailbox management for IMAP in the PostgreSQL store, as mbox_ops.c for
 * SQLite: listing, CREATE with missing parents, DELETE that keeps a name
 * with children as \Noselect, RENAME with its children and the INBOX rule
 * (RFC 3501 6.3.3-6.3.5), and subscriptions (RFC 3501 6.3.6-6.3.7).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "store/pg_int.h"

int
pg_mailbox_list(struct store *st, int64_t user_id,
    struct store_mailbox_info **out, size_t *n_out)
{
	struct store_mailbox_info *v, *mi;
	struct pg_thread *c;
	PGresult *res;
	int i, n;

	*out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT id, name, special_use, noselect, EXISTS "
	    "(SELECT 1 FROM subscriptions s WHERE s.user_id = m.user_id AND "
	    "s.name = m.name) FROM mailboxes m WHERE user_id = $1 "
	    "ORDER BY name COLLATE \"C\"", "i", user_id);
	if (res == NULL)
		return -1;
	if ((n = PQntuples(res)) > 0) {
		v = xcalloc((size_t)n, sizeof(*v));
		for (i = 0; i < n; i++) {
			mi = &v[i];
			mi->id = pg_int(res, i, 0);
			mi->name = pg_strdup(res, i, 1);
			mi->special_use = pg_strdup(res, i, 2);
			mi->is_noselect = *PQgetvalue(res, i, 3) == 't';
			mi->is_subscribed = *PQgetvalue(res, i, 4) == 't';
		}
		*out = v;
		*n_out = (size_t)n;
	}
	PQclear(res);
	return 0;
}

/* 1 with *id and *is_noselect set, 0 when absent, -1 on error. The row
 * stays locked to the end of the transaction. */
static int
mbox_lookup(struct pg_thread *c, int64_t user_id, const char *name,
    int64_t *id, bool *is_noselect)
{
	PGresult *res;
	int rc;

	res = pg_query(c, "SELECT id, noselect FROM mailboxes WHERE "
	    "user_id = $1 AND name = $2 FOR UPDATE", "is", user_id, name);
	if (res == NULL)
		return -1;
	if ((rc = PQntuples(res) > 0)) {
		*id = pg_int(res, 0, 0);
		*is_noselect = *PQgetvalue(res, 0, 1) == 't';
	}
	PQclear(res);
	return rc;
}

/* Create one level; a \Noselect name becomes selectable again with a
 * fresh UIDVALIDITY (RFC 3501 6.3.4). */
static int
create_one(struct pg_thread *c, int64_t user_id, const char *name,
    const char *special_use, bool is_last)
{
	bool is_noselect = false;
	uint32_t uidvalidity;
	int64_t id;
	int rc;

	if ((rc = mbox_lookup(c, user_id, name, &id, &is_noselect)) == -1)
		return -1;
	if (rc == 0)
		return pg_mailbox_insert(c, user_id, name, is_last ?
		    special_use : NULL, false);
	if (!is_noselect)
		return is_last ? STORE_EXISTS : 0;
	if (!is_last)
		return 0;
	if (pg_uidvalidity(c, &uidvalidity) == -1)
		return -1;
	return pg_exec(c, "UPDATE mailboxes SET noselect = false, "
	    "uidvalidity = $2 WHERE id = $1", "ii", id, (int64_t)uidvalidity);
}

struct parent_ctx {
	struct pg_thread	*c;
	int64_t		 user_id;
};

static int
create_parent(void *arg, const char *name)
{
	struct parent_ctx *pc = arg;

	return create_one(pc->c, pc->user_id, name, NULL, false);
}

/* RFC 3501 6.3.3: create the superior names of name as well. */
static int
create_parents(struct pg_thread *c, int64_t user_id, const char *name)
{
	struct parent_ctx pc = { c, user_id };

	return store_name_parents(name, create_parent, &pc);
}

/* Commit after rc == 0; the result for the caller. */
static int
finish(struct store *st, struct pg_thread *c, int64_t user_id, int rc,
    char **err_out)
{
	if (rc == 0 && pg_commit(c) == 0) {
		store_notify_user(st, user_id);
		return 0;
	}
	if (rc == 0 || rc == -1)
		pg_fail(c, err_out);
	pg_rollback(c);
	return rc == 0 ? -1 : rc;
}

int
pg_mailbox_create(struct store *st, int64_t user_id, const char *name,
    const char *special_use, char **err_out)
{
	struct pg_thread *c;
	int rc;

	if (strcasecmp(name, "INBOX") == 0)
		return STORE_EXISTS;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	rc = create_parents(c, user_id, name);
	if (rc == 0)
		rc = create_one(c, user_id, name, special_use, true);
	return finish(st, c, user_id, rc, err_out);
}

/* 1 when name has children, 0 when not, -1 on error. */
static int
has_children(struct pg_thread *c, int64_t user_id, const char *name)
{
	PGresult *res;
	int rc;

	res = pg_query(c, "SELECT 1 FROM mailboxes WHERE user_id = $1 AND "
	    "left(name, length($2) + 1) = $2 || '/' LIMIT 1", "is", user_id,
	    name);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

/* Remove every message of the mailbox and the bodies no one else uses. */
static int
empty_mailbox(struct pg_thread *c, int64_t id)
{
	int64_t *ids;
	PGresult *res;
	int i, n, rc;

	res = pg_query(c, "DELETE FROM messages WHERE mailbox_id = $1 "
	    "RETURNING body_id", "i", id);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	ids = xcalloc(n ? (size_t)n : 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = pg_int(res, i, 0);
	PQclear(res);
	rc = pg_bodies_gc(c, ids, (size_t)n);
	free(ids);
	return rc;
}

static int
delete_txn(struct pg_thread *c, int64_t user_id, const char *name)
{
	bool is_noselect = false;
	int64_t id;
	int rc, kids;

	if ((rc = mbox_lookup(c, user_id, name, &id, &is_noselect)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	if ((kids = has_children(c, user_id, name)) == -1)
		return -1;
	/* RFC 3501 6.3.4: a \Noselect name with children cannot go. */
	if (kids && is_noselect)
		return STORE_REFUSED;
	if (empty_mailbox(c, id) == -1)
		return -1;
	if (kids)
		return pg_exec(c, "UPDATE mailboxes SET noselect = true, "
		    "highestmodseq = highestmodseq + 1 WHERE id = $1", "i", id);
	return pg_exec(c, "DELETE FROM mailboxes WHERE id = $1", "i", id);
}

int
pg_mailbox_delete(struct store *st, int64_t user_id, const char *name,
    char **err_out)
{
	struct pg_thread *c;

	if (strcasecmp(name, "INBOX") == 0)
		return STORE_REFUSED;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	return finish(st, c, user_id, delete_txn(c, user_id, name), err_out);
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and
 * leaves INBOX empty; its UIDs stay used. INBOX's row is locked first
 * (by its modseq bump), as a delivery locks it. */
static int
rename_inbox(struct pg_thread *c, int64_t user_id, const char *to)
{
	if (pg_exec(c, "UPDATE mailboxes SET highestmodseq = highestmodseq "
	    "+ 1 WHERE user_id = $1 AND name = 'INBOX'", "i", user_id) == -1 ||
	    pg_exec(c, "UPDATE messages SET mailbox_id = (SELECT id FROM "
	    "mailboxes WHERE user_id = $1 AND name = $2) WHERE mailbox_id = "
	    "(SELECT id FROM mailboxes WHERE user_id = $1 AND name = "
	    "'INBOX')", "is", user_id, to) == -1 ||
	    pg_exec(c, "UPDATE mailboxes t SET uidnext = i.uidnext, "
	    "highestmodseq = i.highestmodseq FROM mailboxes i WHERE "
	    "t.user_id = $1 AND t.name = $2 AND i.user_id = $1 AND "
	    "i.name = 'INBOX'", "is", user_id, to) == -1)
		return -1;
	return 0;
}

static int
rename_txn(struct pg_thread *c, int64_t user_id, const char *from,
    const char *to)
{
	bool is_noselect;
	int64_t id;
	int rc;

	if ((rc = mbox_lookup(c, user_id, from, &id, &is_noselect)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	if ((rc = mbox_lookup(c, user_id, to, &id, &is_noselect)) != 0)
		return rc == 1 ? STORE_EXISTS : -1;
	if ((rc = has_children(c, user_id, to)) != 0)
		return rc == 1 ? STORE_EXISTS : -1;
	if (strcmp(from, "INBOX") == 0) {
		if (pg_mailbox_insert(c, user_id, to, NULL, false) == -1)
			return -1;
		return rename_inbox(c, user_id, to);
	}
	/* The subscriptions follow, replacing any of the new names. */
	if (pg_exec(c, "UPDATE mailboxes SET name = $3 || substr(name, "
	    "length($2) + 1) WHERE user_id = $1 AND (name = $2 OR "
	    "left(name, length($2) + 1) = $2 || '/')", "iss", user_id, from,
	    to) == -1 ||
	    pg_exec(c, "DELETE FROM subscriptions WHERE user_id = $1 AND "
	    "name IN (SELECT $3 || substr(name, length($2) + 1) FROM "
	    "subscriptions WHERE user_id = $1 AND (name = $2 OR "
	    "left(name, length($2) + 1) = $2 || '/'))", "iss", user_id, from,
	    to) == -1 ||
	    pg_exec(c, "UPDATE subscriptions SET name = $3 || substr(name, "
	    "length($2) + 1) WHERE user_id = $1 AND (name = $2 OR "
	    "left(name, length($2) + 1) = $2 || '/')", "iss", user_id, from,
	    to) == -1)
		return -1;
	return 0;
}

int
pg_mailbox_rename(struct store *st, int64_t user_id, const char *from,
    const char *to, char **err_out)
{
	struct pg_thread *c;
	int rc;

	if ((rc = store_name_rename_check(&from, to)) != 0)
		return rc;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	rc = create_parents(c, user_id, to);
	if (rc == 0)
		rc = rename_txn(c, user_id, from, to);
	return finish(st, c, user_id, rc, err_out);
}

int
pg_subscription_list(struct store *st, int64_t user_id, char ***names_out,
    size_t *n_out)
{
	struct pg_thread *c;

	*names_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT name FROM subscriptions WHERE "
	    "user_id = $1 ORDER BY name COLLATE \"C\"", "i", user_id),
	    names_out, n_out);
}

int
pg_subscription_set(struct store *st, int64_t user_id, const char *name,
    bool is_on, char **err_out)
{
	struct pg_thread *c;
	int rc;

	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (is_on)
		rc = pg_exec(c, "INSERT INTO subscriptions(user_id, name) "
		    "VALUES ($1, $2) ON CONFLICT DO NOTHING", "is", user_id,
		    name);
	else
		rc = pg_exec(c, "DELETE FROM subscriptions WHERE user_id = $1 "
		    "AND name = $2", "is", user_id, name);
	return rc == 0 ? 0 : pg_fail(c, err_out);
}
