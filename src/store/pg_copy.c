/* COPY and MOVE between mailboxes of one account (RFC 3501 6.4.7,
 * RFC 6851), where a copy shares the body of the original, and APPEND
 * (RFC 3501 6.3.11), in the PostgreSQL store, as copy.c and append.c for
 * SQLite. The target mailbox row is locked for its UIDs (RFC 4315).
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xalloc.h"
#include "store/pg_int.h"

/* Lock the target: 1 found, 0 no such selectable mailbox, -1 error. */
static int
target_get(struct pg_thread *c, int64_t id, struct store_target *t)
{
	PGresult *res;
	int rc;

	res = pg_query(c, "SELECT uidnext, uidvalidity, highestmodseq FROM "
	    "mailboxes WHERE id = $1 AND NOT noselect FOR UPDATE", "i", id);
	if (res == NULL)
		return -1;
	if ((rc = PQntuples(res) == 1)) {
		t->id = id;
		t->uidnext = (uint32_t)pg_int(res, 0, 0);
		t->uidvalidity = (uint32_t)pg_int(res, 0, 1);
		t->modseq = (uint64_t)pg_int(res, 0, 2) + 1;
	}
	PQclear(res);
	return rc;
}

static int
target_bump(struct pg_thread *c, const struct store_target *t)
{
	return pg_exec(c, "UPDATE mailboxes SET uidnext = $1, highestmodseq "
	    "= $2 WHERE id = $3", "iii", (int64_t)t->uidnext,
	    (int64_t)t->modseq, t->id);
}

struct copy_ctx {
	uint32_t	*src;
	uint32_t	*dst;
	size_t		 n;
};

static int
copy_rows(struct pg_thread *c, int64_t from_id, struct store_target *t,
    const uint32_t *uids, size_t n, struct copy_ctx *cc)
{
	uint64_t done;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t->uidnext >= UINT32_MAX)
			return -1;
		if (pg_exec_n(c, &done, "INSERT INTO messages(mailbox_id, uid, "
		    "body_id, flags, modseq, internal_date, size, keywords) "
		    "SELECT $1, $2, body_id, flags, $3, internal_date, size, "
		    "keywords FROM messages WHERE mailbox_id = $4 AND uid = $5",
		    "iiiii", t->id, (int64_t)t->uidnext, (int64_t)t->modseq,
		    from_id, (int64_t)uids[i]) == -1)
			return -1;
		if (done == 1) {
			cc->src[cc->n] = uids[i];
			cc->dst[cc->n++] = t->uidnext++;
		}
	}
	return 0;
}

static int
move_rows(struct pg_thread *c, int64_t from_id, struct copy_ctx *cc)
{
	size_t i;

	for (i = 0; i < cc->n; i++)
		if (pg_exec(c, "DELETE FROM messages WHERE mailbox_id = $1 AND "
		    "uid = $2", "ii", from_id, (int64_t)cc->src[i]) == -1)
			return -1;
	/* RFC 7162 3.2.10.1: the expunge in the source raises its modseq. */
	if (cc->n > 0)
		return pg_exec(c, "UPDATE mailboxes SET highestmodseq = "
		    "highestmodseq + 1 WHERE id = $1", "i", from_id);
	return 0;
}

static int
copy_txn(struct pg_thread *c, int64_t from_id, int64_t to_id,
    const uint32_t *uids, size_t n, bool is_move, struct copy_ctx *cc,
    uint32_t *uidvalidity)
{
	struct store_target t;
	int rc;

	if ((rc = target_get(c, to_id, &t)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	*uidvalidity = t.uidvalidity;
	rc = copy_rows(c, from_id, &t, uids, n, cc);
	if (rc == 0 && cc->n > 0)
		rc = target_bump(c, &t);
	if (rc == 0 && cc->n > 0 && from_id != to_id)
		rc = pg_exec(c, "INSERT INTO keywords SELECT $1, name FROM "
		    "keywords WHERE mailbox_id = $2 ON CONFLICT DO NOTHING",
		    "ii", to_id, from_id);
	if (rc == 0 && is_move)
		rc = move_rows(c, from_id, cc);
	return rc;
}

int
pg_msgs_copy(struct store *st, int64_t from_id, int64_t to_id,
    const uint32_t *uids, size_t n, bool is_move, uint32_t *uidvalidity_out,
    uint32_t **src_out, uint32_t **dst_out, size_t *n_out, char **err_out)
{
	struct copy_ctx cc;
	struct pg_thread *c;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	memset(&cc, 0, sizeof(cc));
	cc.src = xcalloc(n ? n : 1, sizeof(*cc.src));
	cc.dst = xcalloc(n ? n : 1, sizeof(*cc.dst));
	if ((rc = pg_begin(c)) == 0)
		rc = copy_txn(c, from_id, to_id, uids, n, is_move, &cc,
		    uidvalidity_out);
	if (rc == 0 && pg_commit(c) == 0) {
		*src_out = cc.src;
		*dst_out = cc.dst;
		*n_out = cc.n;
		store_notify_mailbox(st, to_id);
		return 0;
	}
	if (rc != STORE_NOTFOUND)
		pg_fail(c, err_out);
	pg_rollback(c);
	free(cc.src);
	free(cc.dst);
	return rc == 0 ? -1 : rc;
}

/* The keywords of an appended message, for the mailbox's FLAGS. */
static int
keywords_add(struct pg_thread *c, int64_t mailbox_id, const char *list)
{
	const char *p = list, *sp;
	char *word;
	size_t len;
	int rc = 0;

	while (p != NULL && *p != '\0' && rc == 0) {
		sp = strchr(p, ' ');
		len = sp ? (size_t)(sp - p) : strlen(p);
		word = xstrndup(p, len);
		rc = pg_exec(c, "INSERT INTO keywords VALUES ($1, $2) ON "
		    "CONFLICT DO NOTHING", "is", mailbox_id, word);
		free(word);
		p += len + (sp != NULL);
	}
	return rc;
}

struct append_msg {
	const void	*p;
	size_t		 len;
	uint32_t	 flags;
	const char	*keywords;
	int64_t		 date;
};

static int
append_txn(struct pg_thread *c, int64_t mailbox_id, const struct append_msg *m,
    uint32_t *uidvalidity, uint32_t *uid)
{
	struct store_target t;
	PGresult *res;
	int64_t body_id;
	int rc;

	if ((rc = target_get(c, mailbox_id, &t)) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	if (t.uidnext >= UINT32_MAX)
		return -1;
	res = pg_query(c, "INSERT INTO bodies(size, created, data) VALUES "
	    "($1, $2, $3) RETURNING id", "iib", (int64_t)m->len,
	    (int64_t)time(NULL), m->p, m->len);
	if (res == NULL)
		return -1;
	body_id = pg_int(res, 0, 0);
	PQclear(res);
	*uid = t.uidnext++;
	*uidvalidity = t.uidvalidity;
	if (pg_exec(c, "INSERT INTO messages(mailbox_id, uid, body_id, flags, "
	    "modseq, internal_date, size, keywords) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, $8)", "iiiiiiis", mailbox_id, (int64_t)*uid, body_id,
	    (int64_t)m->flags, (int64_t)t.modseq, m->date, (int64_t)m->len,
	    m->keywords ? m->keywords : "") == -1 ||
	    target_bump(c, &t) == -1)
		return -1;
	return keywords_add(c, mailbox_id, m->keywords);
}

int
pg_append(struct store *st, int64_t mailbox_id, const void *p, size_t len,
    uint32_t flags, const char *keywords, time_t date,
    uint32_t *uidvalidity_out, uint32_t *uid_out, char **err_out)
{
	struct append_msg m = { p, len, flags, keywords, (int64_t)date };
	struct pg_thread *c;
	int rc;

	if ((c = pg_conn_get(st)) == NULL)
		return pg_fail(NULL, err_out);
	if ((rc = pg_begin(c)) == 0)
		rc = append_txn(c, mailbox_id, &m, uidvalidity_out, uid_out);
	/* Durable when COMMIT returns: synchronous_commit is on. */
	if (rc == 0 && pg_commit(c) == 0) {
		store_notify_mailbox(st, mailbox_id);
		return 0;
	}
	if (rc != STORE_NOTFOUND)
		pg_fail(c, err_out);
	pg_rollback(c);
	return rc == 0 ? -1 : rc;
}
