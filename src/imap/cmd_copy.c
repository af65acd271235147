/* COPY, MOVE and their UID forms (RFC 3501 6.4.7, RFC 6851) with the
 * COPYUID response code (RFC 4315 3). The copy runs on the I/O pool: its
 * commit waits for the disk.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct copy_job {
	struct imap_cmd	*cmd;
	int64_t		 from_id;
	int64_t		 to_id;
	uint32_t	*uids;
	size_t		 n;
	bool		 is_move;
	int		 rc;
	char		*err;
	uint32_t	 uidvalidity;
	uint32_t	*src;
	uint32_t	*dst;
	size_t		 n_done;
};

static void
copy_work(void *arg)
{
	struct copy_job *j = arg;

	j->rc = store_msgs_copy(j->cmd->session->srv->store, j->from_id,
	    j->to_id, j->uids, j->n, j->is_move, &j->uidvalidity, &j->src,
	    &j->dst, &j->n_done, &j->err);
}

static void
copy_reply(struct imap_cmd *cmd, struct copy_job *j)
{
	struct imap_session *s = cmd->session;
	struct buf b = BUF_INIT;

	if (j->rc == STORE_NOTFOUND) {
		imap_reply_no(cmd, "[TRYCREATE] No such mailbox");
		return;
	}
	if (j->rc != 0) {
		log_warnx("imap session=%s event=copy error=\"%s\"", s->id,
		    j->err ? j->err : "?");
		imap_reply_no(cmd, "[SERVERBUG] %s failed", cmd->name);
		return;
	}
	if (j->n_done > 0) {
		buf_addf(&b, "[COPYUID %u ", j->uidvalidity);
		imap_seqset_write(j->src, j->n_done, &b);
		buf_addc(&b, ' ');
		imap_seqset_write(j->dst, j->n_done, &b);
		buf_adds(&b, "] ");
	}
	if (j->is_move && b.len > 0) {
		/* RFC 6851 4.3: COPYUID comes untagged, before EXPUNGEs. */
		b.len--;
		imap_untagged(s, "OK %s Moved", buf_cstr(&b));
		buf_reset(&b);
	}
	imap_reply_ok(cmd, "%s%s%s completed", buf_cstr(&b),
	    cmd->is_uid ? "UID " : "", cmd->name);
	buf_free(&b);
}

static void
copy_done(void *arg)
{
	struct copy_job *j = arg;
	struct imap_cmd *cmd = j->cmd;

	if (imap_job_done(cmd->session)) {
		copy_reply(cmd, j);
		imap_cmd_finish(cmd);
	}
	free(j->uids);
	free(j->src);
	free(j->dst);
	free(j->err);
	free(j);
}

static enum cmd_result
copy_common(struct imap_cmd *cmd, bool is_move)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	struct store_mailbox mb;
	struct copy_job *j;
	char *name;

	if (cmd->args.n != 2 || a[0].type != IMAP_ARG_ATOM ||
	    (name = imap_mailbox_from_client(s, &a[1])) == NULL) {
		imap_reply_bad(cmd, "Syntax: %s set mailbox", cmd->name);
		return CMD_DONE;
	}
	if (is_move && s->view->is_readonly) {
		free(name);
		imap_reply_no(cmd, "[READ-ONLY] Mailbox is read-only");
		return CMD_DONE;
	}
	if (store_mailbox_find(s->srv->store, s->account.id, name, &mb) != 1) {
		free(name);
		imap_reply_no(cmd, "[TRYCREATE] No such mailbox");
		return CMD_DONE;
	}
	free(name);
	j = xcalloc(1, sizeof(*j));
	j->cmd = cmd;
	j->from_id = s->view->mb.id;
	j->to_id = mb.id;
	j->is_move = is_move;
	if (imap_view_set(s, a[0].p, a[0].len, cmd->is_uid, &j->uids,
	    &j->n) == -1) {
		free(j);
		imap_reply_bad(cmd, "Invalid message set");
		return CMD_DONE;
	}
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), copy_work, copy_done,
	    j);
	return CMD_WAIT;
}

enum cmd_result
imap_cmd_copy(struct imap_cmd *cmd)
{
	return copy_common(cmd, false);
}

enum cmd_result
imap_cmd_move(struct imap_cmd *cmd)
{
	return copy_common(cmd, true);
}
