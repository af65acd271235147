/* Mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE and
 * STATUS (RFC 3501 6.3.3-6.3.7, 6.3.10; CONDSTORE HIGHESTMODSEQ, RFC 7162
 * 3.1.2; SIZE and DELETED, RFC 9051 6.3.11), with the response codes of
 * RFC 5530.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

/* A name a mailbox may have: no empty levels, no NUL or control. */
static bool
name_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || name[0] == '/' || name[len - 1] == '/' ||
	    strstr(name, "//") != NULL)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '*' || name[i] == '%')
			return false;
	return true;
}

static char *
one_name(struct imap_cmd *cmd, const char *syntax)
{
	char *name;

	if (cmd->args.n != 1 || (name = imap_mailbox_from_client(
	    cmd->session, &cmd->args.v[0])) == NULL) {
		imap_reply_bad(cmd, "Syntax: %s", syntax);
		return NULL;
	}
	return name;
}

static void
reply_result(struct imap_cmd *cmd, int rc, char *err)
{
	switch (rc) {
	case 0:
		imap_reply_ok(cmd, "%s completed", cmd->name);
		break;
	case STORE_EXISTS:
		imap_reply_no(cmd, "[ALREADYEXISTS] Mailbox exists");
		break;
	case STORE_NOTFOUND:
		imap_reply_no(cmd, "[NONEXISTENT] No such mailbox");
		break;
	case STORE_REFUSED:
		imap_reply_no(cmd, "[CANNOT] Not allowed for this mailbox");
		break;
	default:
		log_warnx("imap session=%s event=%s error=\"%s\"",
		    cmd->session->id, cmd->name, err ? err : "?");
		imap_reply_no(cmd, "[SERVERBUG] %s failed", cmd->name);
	}
	free(err);
}

enum cmd_result
imap_cmd_create(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	char *name, *err = NULL;
	size_t len;
	int rc;

	if ((name = one_name(cmd, "CREATE mailbox")) == NULL)
		return CMD_DONE;
	/* RFC 3501 6.3.3: a trailing separator says "will have children". */
	len = strlen(name);
	if (len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	if (!name_valid(name)) {
		free(name);
		imap_reply_no(cmd, "[CANNOT] Invalid mailbox name");
		return CMD_DONE;
	}
	rc = store_mailbox_create(s->srv->store, s->account.id, name, NULL,
	    &err);
	reply_result(cmd, rc, err);
	free(name);
	return CMD_DONE;
}

struct mbox_job {
	struct imap_cmd	*cmd;
	char		*from;
	char		*to;
	int		 rc;
	char		*err;
};

static void
mbox_work(void *arg)
{
	struct mbox_job *j = arg;
	struct imap_session *s = j->cmd->session;

	if (j->to == NULL)
		j->rc = store_mailbox_delete(s->srv->store, s->account.id,
		    j->from, &j->err);
	else
		j->rc = store_mailbox_rename(s->srv->store, s->account.id,
		    j->from, j->to, &j->err);
}

static void
mbox_done(void *arg)
{
	struct mbox_job *j = arg;
	struct imap_cmd *cmd = j->cmd;

	if (imap_job_done(cmd->session)) {
		reply_result(cmd, j->rc, j->err);
		j->err = NULL;
		imap_cmd_finish(cmd);
	}
	free(j->err);
	free(j->from);
	free(j->to);
	free(j);
}

/* DELETE and RENAME may remove bodies or move many messages: on the pool. */
static enum cmd_result
mbox_start(struct imap_cmd *cmd, char *from, char *to)
{
	struct imap_session *s = cmd->session;
	struct mbox_job *j = xcalloc(1, sizeof(*j));

	j->cmd = cmd;
	j->from = from;
	j->to = to;
	imap_job_start(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), mbox_work, mbox_done,
	    j);
	return CMD_WAIT;
}

enum cmd_result
imap_cmd_delete(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	char *name;

	if ((name = one_name(cmd, "DELETE mailbox")) == NULL)
		return CMD_DONE;
	if (s->view != NULL && strcmp(s->view->mb.name, name) == 0) {
		/* Deleting the selected mailbox: leave it first. */
		imap_session_set_state(s, IMAP_ST_AUTH);
	}
	return mbox_start(cmd, name, NULL);
}

enum cmd_result
imap_cmd_rename(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	char *from, *to;

	if (cmd->args.n != 2 ||
	    (from = imap_mailbox_from_client(s, &cmd->args.v[0])) == NULL) {
		imap_reply_bad(cmd, "Syntax: RENAME from to");
		return CMD_DONE;
	}
	if ((to = imap_mailbox_from_client(s, &cmd->args.v[1])) == NULL) {
		free(from);
		imap_reply_bad(cmd, "Syntax: RENAME from to");
		return CMD_DONE;
	}
	if (!name_valid(to)) {
		free(from);
		free(to);
		imap_reply_no(cmd, "[CANNOT] Invalid mailbox name");
		return CMD_DONE;
	}
	return mbox_start(cmd, from, to);
}

static enum cmd_result
subscribe(struct imap_cmd *cmd, bool is_on)
{
	struct imap_session *s = cmd->session;
	char *name, *err = NULL;
	int rc;

	if ((name = one_name(cmd, is_on ? "SUBSCRIBE mailbox" :
	    "UNSUBSCRIBE mailbox")) == NULL)
		return CMD_DONE;
	rc = store_subscription_set(s->srv->store, s->account.id, name, is_on,
	    &err);
	reply_result(cmd, rc, err);
	free(name);
	return CMD_DONE;
}

enum cmd_result
imap_cmd_subscribe(struct imap_cmd *cmd)
{
	return subscribe(cmd, true);
}

enum cmd_result
imap_cmd_unsubscribe(struct imap_cmd *cmd)
{
	return subscribe(cmd, false);
}

/* Append the STATUS items asked for in list to out: 0 or -1 (bad). */
int
imap_status_write(struct imap_session *s, int64_t mailbox_id,
    const struct imap_arg *list, struct buf *out)
{
	struct store *st = s->srv->store;
	struct store_status ss;
	uint32_t mark, recent = 0;
	const struct imap_arg *a;
	size_t i;

	if (store_mailbox_status(st, mailbox_id, &ss) != 1)
		return -2;
	buf_addc(out, '(');
	for (i = 0; i < list->n; i++) {
		a = &list->list[i];
		if (i > 0)
			buf_addc(out, ' ');
		if (imap_arg_is_atom(a, "MESSAGES"))
			buf_addf(out, "MESSAGES %u", ss.messages);
		else if (imap_arg_is_atom(a, "RECENT")) {
			mark = store_recent_take(st, mailbox_id, 0);
			if (mark != UINT32_MAX)
				(void)store_mailbox_count(st, mailbox_id,
				    mark, UINT32_MAX, &recent);
			buf_addf(out, "RECENT %u", recent);
		} else if (imap_arg_is_atom(a, "UIDNEXT"))
			buf_addf(out, "UIDNEXT %u", ss.uidnext);
		else if (imap_arg_is_atom(a, "UIDVALIDITY"))
			buf_addf(out, "UIDVALIDITY %u", ss.uidvalidity);
		else if (imap_arg_is_atom(a, "UNSEEN"))
			buf_addf(out, "UNSEEN %u", ss.unseen);
		else if (imap_arg_is_atom(a, "HIGHESTMODSEQ"))
			buf_addf(out, "HIGHESTMODSEQ %llu",
			    (unsigned long long)ss.highestmodseq);
		else if (imap_arg_is_atom(a, "SIZE"))
			buf_addf(out, "SIZE %llu", (unsigned long long)ss.size);
		else if (imap_arg_is_atom(a, "DELETED"))
			buf_addf(out, "DELETED %u", ss.deleted);
		else
			return -1;
	}
	buf_addc(out, ')');
	return 0;
}

enum cmd_result
imap_cmd_status(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *a = cmd->args.v;
	struct store_mailbox mb;
	struct buf b = BUF_INIT;
	char *name;
	int rc;

	if (cmd->args.n != 2 || a[1].type != IMAP_ARG_LIST || a[1].n == 0 ||
	    (name = imap_mailbox_from_client(s, &a[0])) == NULL) {
		imap_reply_bad(cmd, "Syntax: STATUS mailbox (items)");
		return CMD_DONE;
	}
	if (store_mailbox_find(s->srv->store, s->account.id, name, &mb) != 1) {
		free(name);
		imap_reply_no(cmd, "[NONEXISTENT] No such mailbox");
		return CMD_DONE;
	}
	buf_adds(&b, "STATUS ");
	imap_mailbox_to_client(s, name, &b);
	buf_addc(&b, ' ');
	rc = imap_status_write(s, mb.id, &a[1], &b);
	if (rc == 0) {
		imap_untagged(s, "%s", buf_cstr(&b));
		imap_reply_ok(cmd, "STATUS completed");
	} else if (rc == -1)
		imap_reply_bad(cmd, "Unknown STATUS item");
	else
		imap_reply_no(cmd, "[NONEXISTENT] No such mailbox");
	buf_free(&b);
	free(name);
	return CMD_DONE;
}
