/* Mailboxes and their messages in the PostgreSQL store, as mailbox.c for
 * SQLite: lookup, listing in UID order, opening a body (a memfd holding
 * it), and expunge (RFC 3501 6.4.3) in one transaction.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "store/pg_int.h"

/* The mailbox called name; its message count too when with_count (a
 * count(*) over its messages: the lookup alone skips it). 1, 0 or -1. */
static int
mailbox_get(struct store *st, int64_t user_id, const char *name,
    bool with_count, struct store_mailbox *out)
{
	struct pg_thread *c;
	PGresult *res;
	int rc;

	/* INBOX is case-insensitive, RFC 3501 5.1. */
	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	if (with_count)
		res = pg_query(c, "SELECT id, uidvalidity, uidnext, "
		    "highestmodseq, (SELECT count(*) FROM messages WHERE "
		    "mailbox_id = mailboxes.id) FROM mailboxes WHERE "
		    "user_id = $1 AND name = $2", "is", user_id, name);
	else
		res = pg_query(c, "SELECT id, uidvalidity, uidnext, "
		    "highestmodseq, 0 FROM mailboxes WHERE user_id = $1 AND "
		    "name = $2", "is", user_id, name);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) > 0;
	if (rc && out != NULL) {
		out->id = pg_int(res, 0, 0);
		out->user_id = user_id;
		(void)str_copy(out->name, name, sizeof(out->name));
		out->uidvalidity = (uint32_t)pg_int(res, 0, 1);
		out->uidnext = (uint32_t)pg_int(res, 0, 2);
		out->highestmodseq = (uint64_t)pg_int(res, 0, 3);
		out->count = (uint32_t)pg_int(res, 0, 4);
	}
	PQclear(res);
	return rc;
}

int
pg_mailbox_find(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return mailbox_get(st, user_id, name, true, out);
}

int
pg_mailbox_lookup(struct store *st, int64_t user_id, const char *name,
    struct store_mailbox *out)
{
	return mailbox_get(st, user_id, name, false, out);
}

int
pg_mailbox_messages(struct store *st, int64_t mailbox_id,
    struct store_msg **msgs_out, size_t *n_out)
{
	struct store_msg *msgs, *m;
	struct pg_thread *c;
	PGresult *res;
	int i, n;

	*msgs_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT id, body_id, uid, flags, size, modseq, "
	    "internal_date FROM messages WHERE mailbox_id = $1 ORDER BY uid",
	    "i", mailbox_id);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	msgs = xcalloc(n ? (size_t)n : 1, sizeof(*msgs));
	for (i = 0; i < n; i++) {
		m = &msgs[i];
		m->id = pg_int(res, i, 0);
		m->body_id = pg_int(res, i, 1);
		m->uid = (uint32_t)pg_int(res, i, 2);
		m->flags = (uint32_t)pg_int(res, i, 3);
		m->size = (uint64_t)pg_int(res, i, 4);
		m->modseq = (uint64_t)pg_int(res, i, 5);
		m->internal_date = pg_int(res, i, 6);
	}
	PQclear(res);
	if (n == 0)
		free(msgs);
	else
		*msgs_out = msgs;
	*n_out = (size_t)n;
	return 0;
}

int
pg_msg_open(struct store *st, const struct store_msg *msg)
{
	return pg_body_open(st, msg->body_id);
}

/* Delete the messages with these UIDs, collecting their bodies' ids;
 * UIDs no longer there are skipped (another session was first). */
static int
expunge_txn(struct pg_thread *c, int64_t mailbox_id, const uint32_t *uids,
    size_t n, char **err_out)
{
	int64_t *ids;
	size_t i, n_ids = 0;
	PGresult *res;
	int rc = 0;

	/* RFC 7162 3.2.10.1: an expunge raises the mailbox's modseq; this
	 * also locks the mailbox row and tells whether it exists. */
	res = pg_query(c, "UPDATE mailboxes SET highestmodseq = "
	    "highestmodseq + 1 WHERE id = $1 RETURNING id", "i", mailbox_id);
	if (res == NULL)
		return pg_fail(c, err_out);
	rc = PQntuples(res);
	PQclear(res);
	if (rc == 0)
		return store_err(err_out, "no mailbox with id %lld",
		    (long long)mailbox_id);
	ids = xcalloc(n, sizeof(*ids));
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		res = pg_query(c, "DELETE FROM messages WHERE mailbox_id = $1 "
		    "AND uid = $2 RETURNING body_id", "ii", mailbox_id,
		    (int64_t)uids[i]);
		if (res == NULL)
			rc = -1;
		else if (PQntuples(res) > 0)
			ids[n_ids++] = pg_int(res, 0, 0);
		PQclear(res);
	}
	if (rc == 0)
		rc = pg_bodies_gc(c, ids, n_ids);
	free(ids);
	return rc == 0 ? 0 : pg_fail(c, err_out);
}

int
pg_msgs_expunge(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, char **err_out)
{
	struct pg_thread *c;

	if (n == 0)
		return 0;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if (pg_begin(c) == -1)
		return pg_fail(c, err_out);
	if (expunge_txn(c, mailbox_id, uids, n, err_out) == -1) {
		pg_rollback(c);
		return -1;
	}
	if (pg_commit(c) == -1)
		return pg_fail(c, err_out);
	return 0;
}

int
pg_mailbox_set_uids(struct store *st, int64_t mailbox_id,
    uint32_t uidvalidity, uint32_t uidnext, uint64_t highestmodseq,
    char **err_out)
{
	struct pg_thread *c;
	uint64_t n = 0;

	if (uidvalidity == 0 || uidnext == 0)
		return store_err(err_out, "UIDVALIDITY and UIDNEXT must not "
		    "be 0");
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	/* UIDs only ever grow within one UIDVALIDITY (RFC 3501 2.3.1.1):
	 * uidnext must stay above every UID the mailbox holds. Nothing is
	 * \Recent after the move: the mark goes to uidnext. */
	if (pg_exec_n(c, &n, "UPDATE mailboxes SET uidvalidity = $1, "
	    "uidnext = $2, recent_uid = $2, highestmodseq = "
	    "greatest(highestmodseq, $3) WHERE id = $4 AND $2 > coalesce(("
	    "SELECT max(uid) FROM messages WHERE mailbox_id = $4), 0)",
	    "iiii", (int64_t)uidvalidity, (int64_t)uidnext,
	    (int64_t)highestmodseq, mailbox_id) == -1)
		return pg_fail(c, err_out);
	if (n == 0)
		return store_err(err_out, "mailbox %lld is gone or holds UIDs "
		    "from %u up", (long long)mailbox_id, uidnext);
	return 0;
}
