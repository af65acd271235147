/* Commands valid in any state or right after sign-in: CAPABILITY, NOOP,
 * LOGOUT (RFC 3501 6.1), STARTTLS (6.2.1), ID (RFC 2971), ENABLE
 * (RFC 5161) and NAMESPACE (RFC 2342).
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "imap_int.h"
#include "lib/conn.h"
#include "lib/log.h"
#include "lib/str.h"

enum cmd_result
imap_cmd_capability(struct imap_cmd *cmd)
{
	struct buf b = BUF_INIT;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "CAPABILITY takes no arguments");
		return CMD_DONE;
	}
	imap_capability_write(cmd->session, &b);
	imap_untagged(cmd->session, "CAPABILITY %s", buf_cstr(&b));
	buf_free(&b);
	imap_reply_ok(cmd, "CAPABILITY completed");
	return CMD_DONE;
}

enum cmd_result
imap_cmd_noop(struct imap_cmd *cmd)
{
	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "NOOP takes no arguments");
		return CMD_DONE;
	}
	/* RFC 3501 6.1.2: the tagged OK brings the untagged updates. */
	imap_reply_ok(cmd, "NOOP completed");
	return CMD_DONE;
}

enum cmd_result
imap_cmd_logout(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "LOGOUT takes no arguments");
		return CMD_DONE;
	}
	imap_untagged(s, "BYE Logging out");
	imap_session_set_state(s, IMAP_ST_LOGOUT);
	imap_reply_ok(cmd, "LOGOUT completed");
	imap_session_close(s);
	return CMD_DONE;
}

enum cmd_result
imap_cmd_starttls(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "STARTTLS takes no arguments");
		return CMD_DONE;
	}
	if (s->srv->tls == NULL || conn_is_tls(s->conn)) {
		imap_reply_bad(cmd, "TLS is not available");
		return CMD_DONE;
	}
	imap_reply_ok(cmd, "Begin TLS negotiation now");
	/* RFC 3501 6.2.1: what was sent before the handshake is dropped. */
	imap_reader_reset(&s->rd);
	conn_starttls(s->conn, s->srv->tls);
	log_info("imap session=%s event=starttls", s->id);
	return CMD_DONE;
}

enum cmd_result
imap_cmd_id(struct imap_cmd *cmd)
{
	const struct imap_arg *a = cmd->args.v;

	/* RFC 2971 3.3: "(" field value pairs ")" or NIL. */
	if (cmd->args.n != 1 || (a[0].type != IMAP_ARG_NIL &&
	    (a[0].type != IMAP_ARG_LIST || a[0].n % 2 != 0 ||
	    a[0].n > 60))) {
		imap_reply_bad(cmd, "Syntax: ID (field value ...) or ID NIL");
		return CMD_DONE;
	}
	imap_untagged(cmd->session, "ID (\"name\" \"petrel\")");
	imap_reply_ok(cmd, "ID completed");
	return CMD_DONE;
}

enum cmd_result
imap_cmd_enable(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct buf b = BUF_INIT;
	size_t i;

	if (cmd->args.n == 0) {
		imap_reply_bad(cmd, "Syntax: ENABLE capability ...");
		return CMD_DONE;
	}
	for (i = 0; i < cmd->args.n; i++) {
		if (cmd->args.v[i].type != IMAP_ARG_ATOM) {
			buf_free(&b);
			imap_reply_bad(cmd, "Syntax: ENABLE capability ...");
			return CMD_DONE;
		}
		/* RFC 5161 3.1: report only what was newly enabled. */
		if (imap_arg_is_atom(&cmd->args.v[i], "CONDSTORE") &&
		    !s->has_condstore) {
			s->has_condstore = true;
			buf_adds(&b, " CONDSTORE");
		}
		/* RFC 7162 3.2.3: QRESYNC turns CONDSTORE on too. */
		if (imap_arg_is_atom(&cmd->args.v[i], "QRESYNC") &&
		    !s->has_qresync) {
			s->has_qresync = s->has_condstore = true;
			buf_adds(&b, " QRESYNC");
		}
		/* RFC 9051 Appendix A: names in UTF-8, ESEARCH answers, no
		 * \Recent from now on. */
		if (imap_arg_is_atom(&cmd->args.v[i], "IMAP4rev2") &&
		    !s->has_rev2) {
			s->has_rev2 = true;
			buf_adds(&b, " IMAP4rev2");
		}
		/* RFC 6855 3: names and quoted strings in UTF-8, APPEND
		 * of 8-bit headers. */
		if (imap_arg_is_atom(&cmd->args.v[i], "UTF8=ACCEPT") &&
		    !s->has_utf8) {
			s->has_utf8 = true;
			buf_adds(&b, " UTF8=ACCEPT");
		}
	}
	imap_untagged(s, "ENABLED%s", buf_cstr(&b));
	buf_free(&b);
	imap_reply_ok(cmd, "ENABLE completed");
	return CMD_DONE;
}

enum cmd_result
imap_cmd_namespace(struct imap_cmd *cmd)
{
	if (cmd->args.n != 0) {
		imap_reply_bad(cmd, "NAMESPACE takes no arguments");
		return CMD_DONE;
	}
	/* RFC 2342 5: one personal namespace, "/" as the separator. */
	imap_untagged(cmd->session, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_reply_ok(cmd, "NAMESPACE completed");
	return CMD_DONE;
}
