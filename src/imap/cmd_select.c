/* SELECT and EXAMINE (RFC 3501 6.3.1-6.3.2, CONDSTORE RFC 7162 3.2.5),
 * CHECK, CLOSE, EXPUNGE (6.4.1-6.4.3), UID EXPUNGE (RFC 4315 2.1) and
 * UNSELECT (RFC 3691). Expunges run on the I/O pool: they may wait for
 * the disk.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* The select parameters: (CONDSTORE) (RFC 7162 3.1.8) or (QRESYNC (...))
 * (3.2.5), the latter only once enabled. 0, -1 bad syntax, -2 not
 * enabled. */
static int
select_params(struct imap_session *s, const struct imap_arg *a,
    struct imap_qresync *q, bool *has_qresync)
{
	*has_qresync = false;
	if (a->type != IMAP_ARG_LIST || a->n == 0 || a->n > 2)
		return -1;
	if (a->n == 1)
		return imap_arg_is_atom(&a->list[0], "CONDSTORE") ? 0 : -1;
	if (!imap_arg_is_atom(&a->list[0], "QRESYNC"))
		return -1;
	if (!s->has_qresync)
		return -2;
	if (imap_qresync_parse(&a->list[1], q) == -1)
		return -1;
	*has_qresync = true;
	return 0;
}

static enum cmd_result
select_common(struct imap_cmd *cmd, bool is_readonly)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	struct imap_qresync q;
	bool has_qresync = false;
	char *name;
	int rc = 0;

	if (cmd->args.n < 1 || cmd->args.n > 2 || (cmd->args.n == 2 &&
	    (rc = select_params(s, &a[1], &q, &has_qresync)) != 0)) {
		if (rc == -2)
			imap_reply_bad(cmd, "ENABLE QRESYNC first");
		else
			imap_reply_bad(cmd, "Syntax: %s mailbox [(CONDSTORE)]"
			    " or [(QRESYNC (uidvalidity modseq [uids]))]",
			    cmd->name);
		return CMD_DONE;
	}
	if ((name = imap_mailbox_from_client(s, &a[0])) == NULL) {
		if (has_qresync)
			imap_qresync_free(&q);
		imap_reply_bad(cmd, "Bad mailbox name");
		return CMD_DONE;
	}
	if (s->state == IMAP_ST_SELECTED) {
		/* RFC 7162 3.2.11: the old mailbox is closed first. */
		imap_session_set_state(s, IMAP_ST_AUTH);
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	}
	if (cmd->args.n == 2)
		s->has_condstore = true;
	if (imap_view_open(s, name, is_readonly, cmd) == 0) {
		if (has_qresync)
			imap_qresync_select(s, &q);
		imap_reply_ok(cmd, "[%s] %s completed", is_readonly ?
		    "READ-ONLY" : "READ-WRITE", cmd->name);
	}
	if (has_qresync)
		imap_qresync_free(&q);
	free(name);
	return CMD_DONE;
}

enum cmd_result
imap_cmd_select(struct imap_cmd *cmd)
{
	return select_common(cmd, false);
}

enum cmd_result
imap_cmd_examine(struct imap_cmd *cmd)
{
	return select_common(cmd, true);
}

enum cmd_result
imap_cmd_check(struct imap_cmd *cmd)
{
	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "CHECK takes no arguments");
		return CMD_DONE;
	}
	/* Every change is committed as it is made. */
	imap_reply_ok(cmd, "CHECK completed");
	return CMD_DONE;
}

enum cmd_result
imap_cmd_unselect(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "UNSELECT takes no arguments");
		return CMD_DONE;
	}
	imap_session_set_state(s, IMAP_ST_AUTH);
	imap_reply_ok(cmd, "UNSELECT completed");
	return CMD_DONE;
}

struct expunge_job {
	struct imap_cmd	*cmd;
	int64_t		 mailbox_id;
	uint32_t	*uids;
	size_t		 n;
	bool		 is_close;
	int		 result;
	char		*err;
};

/* The UIDs with \Deleted among the view's (or those of set). */
static int
deleted_uids(struct imap_session *s, const struct imap_seqset *set,
    uint32_t **out, size_t *n_out)
{
	struct imap_view *v = s->view;
	struct store_row *rows;
	size_t n, i, k = 0;

	*out = NULL;
	*n_out = 0;
	if (v->n == 0)
		return 0;
	if (store_rows_get(s->srv->store, v->mb.id, 1, v->uids[v->n - 1], 0,
	    0, SIZE_MAX, &rows, &n) == -1)
		return -1;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (i = 0; i < n; i++)
		if ((rows[i].flags & STORE_F_DELETED) && (set == NULL ||
		    imap_seqset_has(set, rows[i].uid)))
			(*out)[k++] = rows[i].uid;
	*n_out = k;
	store_rows_free(rows, n);
	return 0;
}

static void
expunge_work(void *arg)
{
	struct expunge_job *j = arg;

	struct store *st = j->cmd->session->srv->store;

	j->result = store_msgs_expunge(st, j->mailbox_id, j->uids, j->n,
	    &j->err);
	/* Other sessions of the account learn of it (IDLE). */
	if (j->result == 0 && j->n > 0)
		store_notify_mailbox(st, j->mailbox_id);
}

static void
expunge_done(void *arg)
{
	struct expunge_job *j = arg;
	struct imap_cmd *cmd = j->cmd;
	struct imap_session *s = cmd->session;

	if (imap_job_done(s)) {
		if (j->result == -1) {
			log_warnx("imap session=%s event=expunge error=\"%s\"",
			    s->id, j->err);
			imap_reply_no(cmd, "[SERVERBUG] Expunge failed");
		} else if (j->is_close) {
			/* RFC 3501 6.4.2: no EXPUNGE responses for CLOSE. */
			imap_session_set_state(s, IMAP_ST_AUTH);
			imap_reply_ok(cmd, "CLOSE completed");
		} else
			imap_reply_ok(cmd, "%s completed", cmd->is_uid ?
			    "UID EXPUNGE" : "EXPUNGE");
		imap_cmd_finish(cmd);
	}
	free(j->uids);
	free(j->err);
	free(j);
}

static enum cmd_result
expunge_start(struct imap_cmd *cmd, const struct imap_seqset *set,
    bool is_close)
{
	struct imap_session *s = cmd->session;
	struct expunge_job *j = xcalloc(1, sizeof(*j));

	j->cmd = cmd;
	j->mailbox_id = s->view->mb.id;
	j->is_close = is_close;
	if (deleted_uids(s, set, &j->uids, &j->n) == -1) {
		free(j);
		imap_reply_no(cmd, "[SERVERBUG] Cannot read the mailbox");
		return CMD_DONE;
	}
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), expunge_work,
	    expunge_done, j);
	return CMD_WAIT;
}

enum cmd_result
imap_cmd_close(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "CLOSE takes no arguments");
		return CMD_DONE;
	}
	if (s->view->is_readonly) {
		imap_session_set_state(s, IMAP_ST_AUTH);
		imap_reply_ok(cmd, "CLOSE completed");
		return CMD_DONE;
	}
	return expunge_start(cmd, NULL, true);
}

enum cmd_result
imap_cmd_expunge(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	struct imap_seqset set;
	enum cmd_result r;

	if (cmd->args.n != (cmd->is_uid ? 1u : 0u) || (cmd->is_uid &&
	    a[0].type != IMAP_ARG_ATOM)) {
		imap_reply_bad(cmd, cmd->is_uid ? "Syntax: UID EXPUNGE set" :
		    "EXPUNGE takes no arguments");
		return CMD_DONE;
	}
	if (s->view->is_readonly) {
		imap_reply_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return CMD_DONE;
	}
	if (!cmd->is_uid)
		return expunge_start(cmd, NULL, false);
	if (a[0].len == 1 && a[0].p[0] == '$')
		imap_view_saved_seqset(s->view, &set);	/* RFC 5182 */
	else if (imap_seqset_parse(a[0].p, a[0].len, s->view->n ?
	    s->view->uids[s->view->n - 1] : 0, &set) == -1) {
		imap_reply_bad(cmd, "Bad UID set");
		return CMD_DONE;
	}
	r = expunge_start(cmd, &set, false);
	imap_seqset_free(&set);
	return r;
}
