/* Flags and keywords of messages (RFC 3501 6.4.6 STORE) with CONDSTORE
 * mod-sequences (RFC 7162 3.1) in the PostgreSQL store, as flags.c for
 * SQLite: the mailbox row is locked first, so changes from several nodes
 * take one new mod-sequence each, in order; flagmath.c computes the new
 * values.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/pg_int.h"

/* Update one message; 1 when it exists (result filled), 0 when not. */
static int
update_one(struct pg_thread *c, const struct store_flags_change *ch,
    int64_t mailbox_id, uint32_t uid, uint64_t unchangedsince,
    uint64_t modseq, struct store_flags_result *r)
{
	PGresult *res;

	res = pg_query(c, "SELECT flags, keywords, modseq FROM messages "
	    "WHERE mailbox_id = $1 AND uid = $2", "ii", mailbox_id,
	    (int64_t)uid);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->flags = (uint32_t)pg_int(res, 0, 0);
	r->keywords = pg_strdup(res, 0, 1);
	r->modseq = (uint64_t)pg_int(res, 0, 2);
	PQclear(res);
	if (!store_flags_result_apply(ch, unchangedsince, modseq, r))
		return 1;
	if (pg_exec(c, "UPDATE messages SET flags = $1, keywords = $2, "
	    "modseq = $3 WHERE mailbox_id = $4 AND uid = $5", "isiii",
	    (int64_t)r->flags, r->keywords, (int64_t)modseq, mailbox_id,
	    (int64_t)uid) == -1)
		return -1;
	return 1;
}

/* The keywords the call sets, for the mailbox's FLAGS. */
static int
keywords_note(struct pg_thread *c, const struct store_flags_change *ch,
    int64_t mailbox_id)
{
	size_t i;

	for (i = 0; i < ch->n_keywords && ch->op != STORE_FLAGS_REMOVE; i++)
		if (pg_exec(c, "INSERT INTO keywords VALUES ($1, $2) ON "
		    "CONFLICT DO NOTHING", "is", mailbox_id,
		    ch->keywords[i]) == -1)
			return -1;
	return 0;
}

/* 1 when something changed, 0 when not, -1 on error. */
static int
update_txn(struct pg_thread *c, const struct store_flags_change *ch,
    int64_t mailbox_id, const uint32_t *uids, size_t n,
    uint64_t unchangedsince, struct store_flags_result *res,
    size_t *n_res)
{
	bool is_changed = false;
	uint64_t modseq;
	PGresult *r;
	size_t i;
	int rc = 0;

	/* Lock the mailbox: the next mod-sequence is ours alone. */
	r = pg_query(c, "SELECT highestmodseq FROM mailboxes WHERE id = $1 "
	    "FOR UPDATE", "i", mailbox_id);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	modseq = (uint64_t)pg_int(r, 0, 0) + 1;
	PQclear(r);
	for (i = 0; i < n && rc != -1; i++) {
		rc = update_one(c, ch, mailbox_id, uids[i], unchangedsince,
		    modseq, &res[*n_res]);
		if (rc == 1)
			is_changed |= res[(*n_res)++].is_changed;
	}
	if (rc == -1)
		return -1;
	if (!is_changed)
		return 0;
	if (keywords_note(c, ch, mailbox_id) == -1 ||
	    pg_exec(c, "UPDATE mailboxes SET highestmodseq = $2 WHERE "
	    "id = $1", "ii", mailbox_id, (int64_t)modseq) == -1)
		return -1;
	return 1;
}

int
pg_flags_update(struct store *st, int64_t mailbox_id, const uint32_t *uids,
    size_t n, enum store_flags_op op, uint32_t flags,
    const char *const *keywords, size_t n_keywords, uint64_t unchangedsince,
    struct store_flags_result **out, size_t *n_out, char **err_out)
{
	struct store_flags_change ch = { op, flags, keywords, n_keywords };
	struct store_flags_result *res;
	struct pg_thread *c;
	size_t n_res = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	res = xcalloc(n ? n : 1, sizeof(*res));
	rc = pg_begin(c);
	if (rc == 0)
		rc = update_txn(c, &ch, mailbox_id, uids, n, unchangedsince,
		    res, &n_res);
	if (rc >= 0 && pg_commit(c) == 0) {
		if (rc == 1)
			store_notify_mailbox(st, mailbox_id);
		*out = res;
		*n_out = n_res;
		return 0;
	}
	pg_fail(c, err_out);
	pg_rollback(c);
	store_flags_results_free(res, n_res);
	return -1;
}
