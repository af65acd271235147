/* Mailbox counters, UID lists, keywords, \Recent marks and expunged UIDs
 * (QRESYNC) for IMAP in the PostgreSQL store, as status.c, notify.c and
 * vanished.c for SQLite.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "lib/xalloc.h"
#include "store/pg_int.h"

/* Whether res holds the one row a lookup found. */
#define ONE_ROW(res)	((res) != NULL && PQntuples(res) == 1)

int
pg_mailbox_state(struct store *st, int64_t mailbox_id, uint32_t *uidnext_out,
    uint64_t *highestmodseq_out)
{
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT uidnext, highestmodseq FROM mailboxes "
	    "WHERE id = $1 AND NOT noselect", "i", mailbox_id);
	if (res == NULL)
		return -1;
	if ((rc = ONE_ROW(res))) {
		*uidnext_out = (uint32_t)pg_int(res, 0, 0);
		*highestmodseq_out = (uint64_t)pg_int(res, 0, 1);
	}
	PQclear(res);
	return rc;
}

int
pg_mailbox_status(struct store *st, int64_t mailbox_id,
    struct store_status *out)
{
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT b.uidnext, b.highestmodseq, b.uidvalidity, "
	    "count(m.id), count(m.id) FILTER (WHERE (m.flags & 1) = 0), "
	    "count(m.id) FILTER (WHERE (m.flags & 8) != 0), "
	    "coalesce(sum(m.size), 0) FROM mailboxes b LEFT JOIN messages m "
	    "ON m.mailbox_id = b.id WHERE b.id = $1 AND NOT b.noselect "
	    "GROUP BY b.id", "i", mailbox_id);
	if (res == NULL)
		return -1;
	if ((rc = ONE_ROW(res))) {
		out->uidnext = (uint32_t)pg_int(res, 0, 0);
		out->highestmodseq = (uint64_t)pg_int(res, 0, 1);
		out->uidvalidity = (uint32_t)pg_int(res, 0, 2);
		out->messages = (uint32_t)pg_int(res, 0, 3);
		out->unseen = (uint32_t)pg_int(res, 0, 4);
		out->deleted = (uint32_t)pg_int(res, 0, 5);
		out->size = (uint64_t)pg_int(res, 0, 6);
	}
	PQclear(res);
	return rc;
}

int
pg_mailbox_uids(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	struct pg_thread *c;

	*uids_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_uids(pg_query(c, "SELECT uid FROM messages WHERE "
	    "mailbox_id = $1 AND uid BETWEEN $2 AND $3 ORDER BY uid", "iii",
	    mailbox_id, (int64_t)lo, (int64_t)hi), uids_out, n_out);
}

int
pg_mailbox_count(struct store *st, int64_t mailbox_id, uint32_t lo,
    uint32_t hi, uint32_t *count_out)
{
	struct pg_thread *c;
	PGresult *res;

	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	res = pg_query(c, "SELECT count(*) FROM messages WHERE mailbox_id = "
	    "$1 AND uid BETWEEN $2 AND $3", "iii", mailbox_id, (int64_t)lo,
	    (int64_t)hi);
	if (!ONE_ROW(res)) {
		PQclear(res);
		return -1;
	}
	*count_out = (uint32_t)pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int
pg_mailbox_first_unseen(struct store *st, int64_t mailbox_id,
    uint32_t *uid_out)
{
	struct pg_thread *c;
	PGresult *res;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	/* Matches the partial index messages_unseen. */
	res = pg_query(c, "SELECT min(uid) FROM messages WHERE mailbox_id = "
	    "$1 AND (flags & 1) = 0", "i", mailbox_id);
	if (!ONE_ROW(res)) {
		PQclear(res);
		return -1;
	}
	if ((rc = !pg_null(res, 0, 0)))
		*uid_out = (uint32_t)pg_int(res, 0, 0);
	PQclear(res);
	return rc;
}

int
pg_mailbox_keywords(struct store *st, int64_t mailbox_id, char ***names_out,
    size_t *n_out)
{
	struct pg_thread *c;

	*names_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_strings(pg_query(c, "SELECT name FROM keywords WHERE "
	    "mailbox_id = $1 ORDER BY name COLLATE \"C\"", "i", mailbox_id),
	    names_out, n_out);
}

static uint32_t
recent_get(struct pg_thread *c, const char *sql, int64_t mailbox_id)
{
	PGresult *res = pg_query(c, sql, "i", mailbox_id);
	uint32_t first = UINT32_MAX;

	if (ONE_ROW(res))
		first = (uint32_t)pg_int(res, 0, 0);
	PQclear(res);
	return first;
}

uint32_t
pg_recent_take(struct store *st, int64_t mailbox_id, uint32_t uidnext)
{
	struct pg_thread *c;
	uint32_t first;

	if ((c = pg_conn_get(st)) == NULL)
		return UINT32_MAX;
	first = recent_get(c, "SELECT recent_uid FROM mailboxes WHERE "
	    "id = $1", mailbox_id);
	/* Most of the time nothing new arrived: no write then. */
	if (uidnext == 0 || first == UINT32_MAX || first >= uidnext)
		return first;
	/* The row lock makes the first session on any node the one that
	 * gets the new messages as \Recent. */
	if (pg_begin(c) == -1)
		return UINT32_MAX;
	first = recent_get(c, "SELECT recent_uid FROM mailboxes WHERE "
	    "id = $1 FOR UPDATE", mailbox_id);
	if (first != UINT32_MAX && first < uidnext &&
	    pg_exec(c, "UPDATE mailboxes SET recent_uid = $2 WHERE id = $1",
	    "ii", mailbox_id, (int64_t)uidnext) == -1)
		first = UINT32_MAX;
	if (pg_commit(c) == -1)
		first = UINT32_MAX;
	return first;
}

void
pg_notify_mailbox(struct store *st, int64_t mailbox_id)
{
	struct pg_thread *c;
	PGresult *res;

	if ((c = pg_conn_get(st)) == NULL)
		return;
	res = pg_query(c, "SELECT user_id FROM mailboxes WHERE id = $1", "i",
	    mailbox_id);
	if (ONE_ROW(res))
		store_notify_user(st, pg_int(res, 0, 0));
	PQclear(res);
}

int
pg_vanished(struct store *st, int64_t mailbox_id, uint64_t since,
    uint32_t lo, uint32_t hi, uint32_t **uids_out, size_t *n_out)
{
	struct pg_thread *c;

	*uids_out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return -1;
	return pg_uids(pg_query(c, "SELECT uid FROM vanished WHERE "
	    "mailbox_id = $1 AND modseq >= $2 AND uid BETWEEN $3 AND $4 "
	    "ORDER BY uid", "iiii", mailbox_id, (int64_t)since, (int64_t)lo,
	    (int64_t)hi), uids_out, n_out);
}
