/* FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8) with CHANGEDSINCE (RFC 7162
 * 3.1.4.1): messages are read from the store in batches and answered one
 * by one while the socket takes output; a big body range is streamed
 * from the stored file as the output drains, so no FETCH holds a whole
 * message in memory. Messages whose ENVELOPE/BODYSTRUCTURE are not in
 * the parse cache yet are parsed on the I/O pool, a batch at a time,
 * while the loop serves its other sessions.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define BATCH		512		/* messages per store query */
#define BATCH_SPAN	4096		/* UIDs one query may cover */
#define OUT_HIGH	(512 * 1024)	/* queued output before we wait */
#define CHUNK		(128 * 1024)

struct fetch_run {
	struct fetch_spec spec;
	uint64_t	 changedsince;
	bool		 has_vanished;	/* VANISHED modifier (RFC 7162) */
	uint32_t	*uids;		/* what was asked, ascending */
	size_t		 n;
	size_t		 pos;		/* next uid to load */
	struct store_row *rows;
	size_t		 n_rows;
	size_t		 ri;		/* current row */
	size_t		 item;		/* next item of the current row */
	bool		 in_row;
	bool		 is_failed;
	bool		 is_unknown_cte;	/* a BINARY item got NIL */
	struct fetch_msg msg;
	uint64_t	 s_off;		/* the range being streamed */
	uint64_t	 s_left;
	struct buf	 out;
};

static void
run_free(void *arg)
{
	struct fetch_run *fr = arg;

	imap_fetch_msg_fini(&fr->msg);
	imap_fetch_spec_free(&fr->spec);
	store_rows_free(fr->rows, fr->n_rows);
	free(fr->uids);
	buf_free(&fr->out);
	free(fr);
}

static bool
uid_wanted(const struct fetch_run *fr, uint32_t uid)
{
	size_t lo = 0, hi = fr->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (fr->uids[mid] < uid)
			lo = mid + 1;
		else if (fr->uids[mid] > uid)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* RFC 3501 6.4.5: a body item without PEEK sets \Seen. */
static void
batch_mark_seen(struct imap_session *s, struct fetch_run *fr)
{
	struct store_flags_result *res;
	uint32_t *uids = xcalloc(fr->n_rows + 1, sizeof(*uids));
	size_t i, k = 0, n_res, j = 0;

	for (i = 0; i < fr->n_rows; i++)
		if (!(fr->rows[i].flags & STORE_F_SEEN))
			uids[k++] = fr->rows[i].uid;
	if (k > 0 && store_flags_update(s->srv->store, s->view->mb.id, uids,
	    k, STORE_FLAGS_ADD, STORE_F_SEEN, NULL, 0, 0, &res, &n_res,
	    NULL) == 0) {
		for (i = 0; i < n_res; i++) {
			while (j < fr->n_rows && fr->rows[j].uid < res[i].uid)
				j++;
			if (j < fr->n_rows && fr->rows[j].uid == res[i].uid) {
				fr->rows[j].flags = res[i].flags;
				fr->rows[j].modseq = res[i].modseq;
			}
		}
		if (n_res > 0 && s->view->modseq + 1 == res[0].modseq)
			s->view->modseq = res[0].modseq;
		imap_fetch_spec_add(&fr->spec, FETCH_FLAGS);
		store_flags_results_free(res, n_res);
	}
	free(uids);
}

/* A batch with messages the parse cache lacks (the indexer has not
 * reached them yet): reading and parsing their bodies would hold up every
 * session of the loop, so a pool thread fills the cache and loads the
 * rows, and the FETCH goes on when it is done. */
struct fill_job {
	struct imap_cmd	*cmd;
	struct store	*st;
	int64_t		 mailbox_id;
	uint32_t	 lo, hi;
	uint64_t	 changedsince;
	struct store_row *rows;
	size_t		 n;
	int		 rc;
};

enum batch { BATCH_END, BATCH_READY, BATCH_WAIT };

/* The rows are in: what they need before they are answered. */
static void
batch_ready(struct imap_session *s, struct fetch_run *fr)
{
	if (fr->spec.sets_seen && !s->view->is_readonly)
		batch_mark_seen(s, fr);
}

static void
fill_work(void *arg)
{
	struct fill_job *j = arg;

	j->rc = store_rows_get(j->st, j->mailbox_id, j->lo, j->hi,
	    j->changedsince, STORE_ROW_CACHE, SIZE_MAX, &j->rows, &j->n);
}

static void
fill_done(void *arg)
{
	struct fill_job *j = arg;
	struct imap_cmd *cmd = j->cmd;
	struct fetch_run *fr;

	if (imap_job_done(cmd->session)) {
		fr = cmd->state;
		fr->rows = j->rows;
		fr->n_rows = j->n;
		j->rows = NULL;
		j->n = 0;
		if (j->rc == -1)
			fr->is_failed = true;
		else
			batch_ready(cmd->session, fr);
		imap_cmd_resume(cmd);
	}
	store_rows_free(j->rows, j->n);
	free(j);
}

static void
fill_start(struct imap_cmd *cmd, uint32_t lo, uint32_t hi)
{
	struct imap_session *s = cmd->session;
	struct fetch_run *fr = cmd->state;
	struct fill_job *j = xcalloc(1, sizeof(*j));

	j->cmd = cmd;
	j->st = s->srv->store;
	j->mailbox_id = s->view->mb.id;
	j->lo = lo;
	j->hi = hi;
	j->changedsince = fr->changedsince;
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), fill_work, fill_done,
	    j);
}

static bool
rows_cached(const struct fetch_run *fr)
{
	size_t i;

	for (i = 0; i < fr->n_rows; i++)
		if (fr->rows[i].envelope == NULL)
			return false;
	return true;
}

/* Load the next batch of rows: on the loop when the cache has them all,
 * else on the pool (BATCH_WAIT: fill_done() resumes the command). */
static enum batch
batch_load(struct imap_cmd *cmd, struct fetch_run *fr)
{
	struct imap_session *s = cmd->session;
	size_t end = fr->pos;
	uint32_t lo, hi;
	unsigned what;

	store_rows_free(fr->rows, fr->n_rows);
	fr->rows = NULL;
	fr->n_rows = fr->ri = 0;
	if (fr->pos >= fr->n)
		return BATCH_END;
	while (end + 1 < fr->n && end + 1 - fr->pos < BATCH &&
	    fr->uids[end + 1] - fr->uids[fr->pos] < BATCH_SPAN)
		end++;
	lo = fr->uids[fr->pos];
	hi = fr->uids[end];
	fr->pos = end + 1;
	what = fr->spec.needs_cache ? STORE_ROW_CACHE | STORE_ROW_NOPARSE : 0;
	if (store_rows_get(s->srv->store, s->view->mb.id, lo, hi,
	    fr->changedsince, what, SIZE_MAX, &fr->rows, &fr->n_rows) == -1) {
		fr->is_failed = true;
		return BATCH_READY;
	}
	if (fr->spec.needs_cache && !rows_cached(fr)) {
		store_rows_free(fr->rows, fr->n_rows);
		fr->rows = NULL;
		fr->n_rows = 0;
		fill_start(cmd, lo, hi);
		return BATCH_WAIT;
	}
	batch_ready(s, fr);
	return BATCH_READY;
}

static void
flush(struct imap_session *s, struct fetch_run *fr)
{
	if (fr->out.len > 0) {
		imap_write(s, fr->out.data, fr->out.len);
		buf_reset(&fr->out);
	}
}

static void
row_begin(struct imap_session *s, struct fetch_run *fr)
{
	struct store_row *r = &fr->rows[fr->ri];

	memset(&fr->msg, 0, sizeof(fr->msg));
	fr->msg.fd = -1;
	fr->msg.row = r;
	fr->msg.msn = imap_view_msn(s->view, r->uid);
	fr->msg.is_recent = imap_view_shows_recent(s, r->uid);
	fr->in_row = true;
	fr->item = 0;
	buf_add(&fr->out, "* ", 2);
	imap_put_uint(&fr->out, fr->msg.msn);
	buf_add(&fr->out, " FETCH (", 8);
}

static void
row_end(struct fetch_run *fr)
{
	buf_adds(&fr->out, ")\r\n");
	imap_fetch_msg_fini(&fr->msg);
	fr->in_row = false;
	fr->ri++;
}

/* Send more of the streamed range. A plain connection hands all of it to
 * the kernel (sendfile, no copy here); under TLS it is read into the
 * output buffer a chunk at a time, as output drains. -1 on a read
 * error. */
static int
stream_more(struct imap_session *s, struct fetch_run *fr)
{
	size_t want = (size_t)fr->s_left;

	if (conn_is_tls(s->conn) && want > CHUNK)
		want = CHUNK;
	if (conn_write_file(s->conn, fr->msg.fd, (off_t)fr->s_off, want) ==
	    -1)
		return -1;
	fr->s_off += want;
	fr->s_left -= want;
	return 0;
}

/* One step: a streamed chunk, an item, or the start or end of a row.
 * 0 go on, 1 all done, 2 wait for the pool, -1 failed. */
static int
step(struct imap_cmd *cmd, struct fetch_run *fr)
{
	struct imap_session *s = cmd->session;
	const struct fetch_item *it;
	int rc;

	if (fr->s_left > 0)
		return stream_more(s, fr);
	if (fr->in_row) {
		if (fr->item == fr->spec.n) {
			row_end(fr);
			return 0;
		}
		it = &fr->spec.v[fr->item];
		if (fr->item++ > 0)
			buf_addc(&fr->out, ' ');
		rc = imap_fetch_item_write(s, it, &fr->msg, &fr->out,
		    &fr->s_off, &fr->s_left);
		fr->is_unknown_cte |= fr->msg.is_unknown_cte;
		if (rc == 1)
			flush(s, fr);
		return rc == -1 ? -1 : 0;
	}
	while (fr->ri < fr->n_rows && (!uid_wanted(fr, fr->rows[fr->ri].uid) ||
	    imap_view_msn(s->view, fr->rows[fr->ri].uid) == 0))
		fr->ri++;
	if (fr->ri < fr->n_rows) {
		row_begin(s, fr);
		return 0;
	}
	if (fr->is_failed)
		return -1;
	switch (batch_load(cmd, fr)) {
	case BATCH_END:
		return 1;
	case BATCH_WAIT:
		return 2;
	case BATCH_READY:
		break;
	}
	return fr->is_failed ? -1 : 0;
}

static enum cmd_result
fetch_continue(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct fetch_run *fr = cmd->state;
	int rc = 0;

	while (s->conn != NULL && rc == 0 &&
	    conn_output_len(s->conn) + fr->out.len < OUT_HIGH) {
		rc = step(cmd, fr);
		if (fr->out.len >= 64 * 1024)
			flush(s, fr);
	}
	flush(s, fr);
	if (rc == 0)
		return CMD_AGAIN;
	if (rc == 2)
		return CMD_WAIT;
	if (rc == -1) {
		/* Half a response may be out: the only honest end. */
		log_warnx("imap session=%s event=fetch-read-error", s->id);
		imap_untagged(s, "BYE Cannot read a message");
		imap_session_close(s);
		return CMD_DONE;
	}
	if (fr->is_unknown_cte)
		imap_reply_no(cmd, "[UNKNOWN-CTE] A part's transfer encoding "
		    "is unknown");
	else
		imap_reply_ok(cmd, "%s completed", cmd->is_uid ?
		    "UID FETCH" : "FETCH");
	return CMD_DONE;
}

/* (CHANGEDSINCE modseq [VANISHED]) (RFC 7162 3.1.4.1, 3.2.6): VANISHED
 * only with UID FETCH, CHANGEDSINCE and QRESYNC enabled. */
static int
modifiers(struct imap_cmd *cmd, const struct imap_arg *a,
    struct fetch_run *fr)
{
	const char *errstr;
	size_t i;

	if (a->type != IMAP_ARG_LIST || a->n == 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		if (imap_arg_is_atom(&a->list[i], "VANISHED") &&
		    !fr->has_vanished) {
			fr->has_vanished = true;
			continue;
		}
		if (!imap_arg_is_atom(&a->list[i], "CHANGEDSINCE") ||
		    fr->changedsince != 0 || i + 1 == a->n ||
		    a->list[i + 1].type != IMAP_ARG_ATOM)
			return -1;
		i++;
		fr->changedsince = str_to_uint_n(a->list[i].p, a->list[i].len,
		    1, INT64_MAX, &errstr);
		if (errstr != NULL)
			return -1;
	}
	if (fr->changedsince == 0 || (fr->has_vanished &&
	    (!cmd->is_uid || !cmd->session->has_qresync)))
		return -1;
	cmd->session->has_condstore = true;
	imap_fetch_spec_add(&fr->spec, FETCH_MODSEQ);
	return 0;
}

/* UID FETCH set (... VANISHED): the UIDs of set expunged since
 * CHANGEDSINCE, before the FETCH responses (RFC 7162 3.2.6). */
static int
vanished_report(struct imap_session *s, const struct imap_arg *a,
    uint64_t since)
{
	struct imap_seqset set;
	const struct imap_view *v = s->view;

	/* "*" reaches the last UID given out: the last messages may be the
	 * ones gone. */
	if (imap_seqset_parse(a->p, a->len, v->uidnext - 1, &set) == -1)
		return -1;
	imap_vanished_earlier(s, since, &set);
	imap_seqset_free(&set);
	return 0;
}

enum cmd_result
imap_cmd_fetch(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	struct fetch_run *fr;

	if (cmd->state != NULL)
		return fetch_continue(cmd);
	if (cmd->args.n < 2 || cmd->args.n > 3 || a[0].type != IMAP_ARG_ATOM) {
		imap_reply_bad(cmd, "Syntax: FETCH set items [(modifiers)]");
		return CMD_DONE;
	}
	fr = xcalloc(1, sizeof(*fr));
	fr->msg.fd = -1;
	cmd->state = fr;
	cmd->state_free = run_free;
	if (imap_fetch_spec_parse(&a[1], &fr->spec) == -1 ||
	    (cmd->args.n == 3 && modifiers(cmd, &a[2], fr) == -1)) {
		imap_reply_bad(cmd, "Bad FETCH items");
		return CMD_DONE;
	}
	if (imap_view_set(s, a[0].p, a[0].len, cmd->is_uid, &fr->uids,
	    &fr->n) == -1 || (fr->has_vanished && vanished_report(s, &a[0],
	    fr->changedsince) == -1)) {
		imap_reply_bad(cmd, "Invalid message set");
		return CMD_DONE;
	}
	if (cmd->is_uid)
		imap_fetch_spec_add(&fr->spec, FETCH_UID);
	/* RFC 7162 3.2.4: with CONDSTORE on, FLAGS come with MODSEQ. */
	for (size_t i = 0; s->has_condstore && i < fr->spec.n; i++)
		if (fr->spec.v[i].kind == FETCH_FLAGS)
			imap_fetch_spec_add(&fr->spec, FETCH_MODSEQ);
	return fetch_continue(cmd);
}
