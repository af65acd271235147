/* IDLE (RFC 2177): after "+ idling" the session reports changes as they
 * happen, woken on its own loop by the store's change notification,
 * until the client sends DONE.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/str.h"

static void
on_change(void *arg)
{
	struct imap_session *s = arg;

	/* RFC 2177 3: EXPUNGE may be sent while idling. */
	if (s->is_idle && s->state == IMAP_ST_SELECTED)
		imap_view_sync(s, true);
}

enum cmd_result
imap_cmd_idle(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "IDLE takes no arguments");
		return CMD_DONE;
	}
	imap_write(s, "+ idling\r\n", 10);
	imap_session_idle(s, true);
	s->watch = store_watch_new(s->srv->store, s->account.id,
	    conn_base(s->conn), on_change, s);
	on_change(s);
	return CMD_WAIT;
}

void
imap_cmd_idle_line(struct imap_session *s, const char *line, size_t len)
{
	struct imap_cmd *cmd = s->cmd;

	store_watch_free(s->watch);
	s->watch = NULL;
	imap_session_idle(s, false);
	if (str_ieq(line, len, "DONE"))
		imap_reply_ok(cmd, "IDLE terminated");
	else
		imap_reply_bad(cmd, "Expected DONE");
	imap_cmd_finish(cmd);
}
