/* SEARCH and UID SEARCH (RFC 3501 6.4.4) with CHARSET UTF-8 and US-ASCII,
 * ESEARCH result options (RFC 4731) and the MODSEQ of the matches (RFC
 * 7162 3.1.5). The search runs on the I/O pool, which may read many
 * message files, over a copy of the session's UID map.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define SEARCH_BATCH	2048

#define RET_MIN		0x01
#define RET_MAX		0x02
#define RET_ALL		0x04
#define RET_COUNT	0x08
#define RET_SAVE	0x10	/* SEARCHRES (RFC 5182 2.1) */

#define SEARCH_PARTS	4	/* pool jobs for a search that reads bodies */

struct search_job;

/* A slice of the UID map searched by one pool job. */
struct search_part {
	struct search_job	*j;
	size_t			 from;
	size_t			 to;
	uint32_t		*hits;
	size_t			 n_hits;
	uint64_t		 max_modseq;
	bool			 is_failed;
};

struct search_job {
	struct imap_cmd		*cmd;
	struct imap_search	*q;
	struct store		*st;
	struct imap_view	 view;		/* uids is our copy */
	unsigned		 ret;
	bool			 is_esearch;
	struct search_part	 parts[SEARCH_PARTS];
	unsigned		 n_parts;
	unsigned		 n_left;	/* parts still running */
	struct event_base	*base;		/* the session's loop */
	uint32_t		*hits;		/* uids or msns, merged */
	size_t			 n_hits;
	uint64_t		 max_modseq;
	bool			 is_failed;
};

static void
search_batch(struct search_part *pt, size_t from, size_t to)
{
	struct search_job *j = pt->j;
	const struct imap_view *v = &j->view;
	struct store_row *rows;
	size_t n, i, k = from;
	unsigned what = imap_search_needs_cache(j->q) ? STORE_ROW_CACHE : 0;

	if (store_rows_get(j->st, v->mb.id, v->uids[from], v->uids[to - 1],
	    0, what, SIZE_MAX, &rows, &n) == -1) {
		pt->is_failed = true;
		return;
	}
	for (i = 0; i < n; i++) {
		while (k < to && v->uids[k] < rows[i].uid)
			k++;
		if (k >= to || v->uids[k] != rows[i].uid)
			continue;
		if (!imap_search_match(j->q, j->st, &rows[i], (uint32_t)k + 1,
		    imap_view_is_recent(v, rows[i].uid)))
			continue;
		pt->hits[pt->n_hits++] = j->cmd->is_uid ? rows[i].uid :
		    (uint32_t)k + 1;
		if (rows[i].modseq > pt->max_modseq)
			pt->max_modseq = rows[i].modseq;
	}
	store_rows_free(rows, n);
}

static void
search_work(void *arg)
{
	struct search_part *pt = arg;
	size_t from, to;

	pt->hits = xcalloc(pt->to - pt->from + 1, sizeof(*pt->hits));
	for (from = pt->from; from < pt->to && !pt->is_failed; from = to) {
		to = from + SEARCH_BATCH < pt->to ? from + SEARCH_BATCH :
		    pt->to;
		search_batch(pt, from, to);
	}
}

/* The parts cover consecutive slices: their hits join in order. */
static void
parts_merge(struct search_job *j)
{
	struct search_part *pt;
	unsigned i;

	j->hits = xcalloc(j->view.n + 1, sizeof(*j->hits));
	for (i = 0; i < j->n_parts; i++) {
		pt = &j->parts[i];
		if (pt->n_hits > 0)
			memcpy(j->hits + j->n_hits, pt->hits, pt->n_hits *
			    sizeof(*pt->hits));
		j->n_hits += pt->n_hits;
		if (pt->max_modseq > j->max_modseq)
			j->max_modseq = pt->max_modseq;
		j->is_failed |= pt->is_failed;
		free(pt->hits);
		pt->hits = NULL;
	}
}

static void
esearch_reply(struct imap_cmd *cmd, struct search_job *j)
{
	struct buf b = BUF_INIT;

	/* RFC 4731 3.1. */
	buf_addf(&b, "ESEARCH (TAG \"%s\")%s", cmd->tag, cmd->is_uid ?
	    " UID" : "");
	if ((j->ret & RET_MIN) && j->n_hits > 0)
		buf_addf(&b, " MIN %u", j->hits[0]);
	if ((j->ret & RET_MAX) && j->n_hits > 0)
		buf_addf(&b, " MAX %u", j->hits[j->n_hits - 1]);
	if (j->ret & RET_COUNT)
		buf_addf(&b, " COUNT %zu", j->n_hits);
	if ((j->ret & RET_ALL) && j->n_hits > 0) {
		buf_adds(&b, " ALL ");
		imap_seqset_write(j->hits, j->n_hits, &b);
	}
	if (imap_search_has_modseq(j->q) && j->n_hits > 0)
		buf_addf(&b, " MODSEQ %llu",
		    (unsigned long long)j->max_modseq);
	imap_untagged(cmd->session, "%s", buf_cstr(&b));
	buf_free(&b);
}

static void
plain_reply(struct imap_cmd *cmd, struct search_job *j)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "SEARCH");
	for (i = 0; i < j->n_hits; i++)
		buf_addf(&b, " %u", j->hits[i]);
	if (imap_search_has_modseq(j->q) && j->n_hits > 0)
		buf_addf(&b, " (MODSEQ %llu)",
		    (unsigned long long)j->max_modseq);
	imap_untagged(cmd->session, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* SEARCH RETURN (SAVE ...) sets "$" to the UIDs found, only the MIN and
 * MAX ones when those are the other options (RFC 5182 2.4); a failed
 * search empties it. */
static void
save_result(struct imap_session *s, struct search_job *j)
{
	uint32_t *uids = xcalloc(j->n_hits + 1, sizeof(*uids));
	size_t i, n = 0;
	bool is_minmax = (j->ret & (RET_ALL | RET_COUNT)) == 0 &&
	    (j->ret & (RET_MIN | RET_MAX)) != 0;

	for (i = 0; i < j->n_hits && !j->is_failed; i++) {
		if (is_minmax && !((i == 0 && (j->ret & RET_MIN)) ||
		    (i + 1 == j->n_hits && (j->ret & RET_MAX))))
			continue;
		uids[n++] = j->cmd->is_uid ? j->hits[i] :
		    j->view.uids[j->hits[i] - 1];
	}
	if (s->view != NULL)
		imap_view_save(s->view, uids, n);
	free(uids);
}

static void
search_done(void *arg)
{
	struct search_part *part = arg;
	struct search_job *j = part->j;
	struct imap_cmd *cmd = j->cmd;

	if (--j->n_left > 0)
		return;
	parts_merge(j);
	if (imap_job_done(cmd->session)) {
		if (j->ret & RET_SAVE)
			save_result(cmd->session, j);
		if (j->is_failed)
			imap_reply_no(cmd, "[SERVERBUG] Search failed");
		else {
			/* SAVE alone asks for no ESEARCH (RFC 5182 2.1). */
			if (j->is_esearch && j->ret != RET_SAVE)
				esearch_reply(cmd, j);
			else if (!j->is_esearch)
				plain_reply(cmd, j);
			imap_reply_ok(cmd, "%s completed", cmd->is_uid ?
			    "UID SEARCH" : "SEARCH");
		}
		imap_cmd_finish(cmd);
	}
	imap_search_free(j->q);
	free(j->view.uids);
	free(j->hits);
	free(j);
}

/* RETURN (...) and CHARSET before the keys; *i is the first key. */
static int
search_options(struct imap_cmd *cmd, struct search_job *j, size_t *i)
{
	const struct imap_arg *a = cmd->args.v, *o;
	size_t k;

	if (*i + 1 < cmd->args.n && imap_arg_is_atom(&a[*i], "RETURN") &&
	    a[*i + 1].type == IMAP_ARG_LIST) {
		j->is_esearch = true;
		j->ret = 0;
		o = &a[*i + 1];
		for (k = 0; k < o->n; k++) {
			if (imap_arg_is_atom(&o->list[k], "MIN"))
				j->ret |= RET_MIN;
			else if (imap_arg_is_atom(&o->list[k], "MAX"))
				j->ret |= RET_MAX;
			else if (imap_arg_is_atom(&o->list[k], "ALL"))
				j->ret |= RET_ALL;
			else if (imap_arg_is_atom(&o->list[k], "COUNT"))
				j->ret |= RET_COUNT;
			else if (imap_arg_is_atom(&o->list[k], "SAVE"))
				j->ret |= RET_SAVE;
			else
				return -1;
		}
		if (j->ret == 0)
			j->ret = RET_ALL;	/* RFC 4731 3.1 */
		*i += 2;
	}
	if (*i + 1 < cmd->args.n && imap_arg_is_atom(&a[*i], "CHARSET")) {
		/* RFC 6855 3: no charset once UTF8=ACCEPT is on. */
		if (cmd->session->has_utf8)
			return -1;
		if (!imap_arg_is_atom(&a[*i + 1], "UTF-8") &&
		    !imap_arg_is_atom(&a[*i + 1], "US-ASCII") &&
		    !(imap_arg_is_string(&a[*i + 1]) && (str_ieq(a[*i + 1].p,
		    a[*i + 1].len, "UTF-8") || str_ieq(a[*i + 1].p,
		    a[*i + 1].len, "US-ASCII"))))
			return -2;
		*i += 2;
	}
	return 0;
}

/* A search that reads message files runs in slices on several pool
 * threads; the others are quick enough for one. */
static void
parts_start(struct search_job *j, struct event_base *base)
{
	size_t n = j->view.n, per;
	unsigned i;

	j->n_parts = imap_search_needs_body(j->q) && n >= 2 * SEARCH_BATCH ?
	    SEARCH_PARTS : 1;
	per = (n + j->n_parts - 1) / j->n_parts;
	j->n_left = j->n_parts;
	for (i = 0; i < j->n_parts; i++) {
		j->parts[i].j = j;
		j->parts[i].from = i * per < n ? i * per : n;
		j->parts[i].to = (i + 1) * per < n ? (i + 1) * per : n;
		iopool_submit(j->cmd->session->srv->pool, base, search_work,
		    search_done, &j->parts[i]);
	}
}

/* Before BODY or TEXT: every message into the parse cache and the text
 * index (the first search of a mailbox pays for that), then the index
 * answers those keys. */
static void
prepare_work(void *arg)
{
	struct search_job *j = arg;
	const struct imap_view *v = &j->view;
	struct store_row *rows;
	size_t from = 0, to, n;

	/* What this session's earlier searches brought in stays there: the
	 * cache and the index live as long as the bodies. */
	while (from < v->n && v->uids[from] < v->indexed_below)
		from++;
	for (; from < v->n; from = to) {
		to = from + SEARCH_BATCH < v->n ? from + SEARCH_BATCH : v->n;
		if (store_rows_get(j->st, v->mb.id, v->uids[from],
		    v->uids[to - 1], 0, STORE_ROW_CACHE | STORE_ROW_TEXT,
		    SIZE_MAX, &rows,
		    &n) == 0)
			store_rows_free(rows, n);
	}
	imap_search_prepare(j->q, j->st);
}

static void
prepare_done(void *arg)
{
	struct search_job *j = arg;
	struct imap_view *v = j->cmd->session->view;

	if (!j->cmd->session->is_gone && v != NULL &&
	    v->mb.id == j->view.mb.id && j->view.n > 0)
		v->indexed_below = j->view.uids[j->view.n - 1] + 1;
	parts_start(j, j->base);
}

static void
search_start(struct imap_session *s, struct search_job *j)
{
	j->base = conn_base(s->conn);
	imap_job_start(s);
	if (imap_search_has_text_keys(j->q))
		iopool_submit(s->srv->pool, j->base, prepare_work,
		    prepare_done, j);
	else
		parts_start(j, j->base);
}

enum cmd_result
imap_cmd_search(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct search_job *j = xcalloc(1, sizeof(*j));
	const char *errstr = "Bad search options";
	size_t i = 0;
	int rc;

	j->cmd = cmd;
	j->st = s->srv->store;
	/* IMAP4rev2 answers every SEARCH with ESEARCH, ALL by default
	 * (RFC 9051 6.4.4, 7.3.4). */
	if (s->has_rev2) {
		j->is_esearch = true;
		j->ret = RET_ALL;
	}
	if ((rc = search_options(cmd, j, &i)) != 0 ||
	    (j->q = imap_search_parse(s, cmd->args.v + i, cmd->args.n - i,
	    &errstr)) == NULL) {
		if (rc == -2 && (j->ret & RET_SAVE))
			imap_view_save(s->view, NULL, 0);
		if (rc == -2)
			imap_reply_no(cmd, "[BADCHARSET (UTF-8 US-ASCII)] "
			    "Unsupported charset");
		else
			imap_reply_bad(cmd, "%s", errstr);
		free(j);
		return CMD_DONE;
	}
	if (imap_search_has_modseq(j->q))
		s->has_condstore = true;
	j->view = *s->view;
	j->view.uids = xreallocarray(NULL, s->view->n + 1, sizeof(uint32_t));
	if (s->view->n > 0)
		memcpy(j->view.uids, s->view->uids, s->view->n *
		    sizeof(uint32_t));
	search_start(s, j);
	return CMD_WAIT;
}
