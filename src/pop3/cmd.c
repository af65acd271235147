/* POP3 commands (RFC 1939 4-7, RFC 2449 CAPA, RFC 2595 STLS) and the table
 * that says in which state each is allowed.
 * SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conn.h"
#include "lib/iopool.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "pop3_int.h"

static pop3_cmd_fn cmd_capa, cmd_stls, cmd_quit,
    cmd_stat, cmd_list, cmd_uidl, cmd_retr, cmd_top, cmd_dele, cmd_rset,
    cmd_noop;

#define IN_AUTH		0x1
#define IN_TRANS	0x2

static const struct {
	const char	*verb;
	pop3_cmd_fn	*fn;
	unsigned	 states;
} commands[] = {
	{ "AUTH",	pop3_cmd_auth,	IN_AUTH },
	{ "CAPA",	cmd_capa,	IN_AUTH | IN_TRANS },
	{ "DELE",	cmd_dele,	IN_TRANS },
	{ "LIST",	cmd_list,	IN_TRANS },
	{ "NOOP",	cmd_noop,	IN_TRANS },
	{ "PASS",	pop3_cmd_pass,	IN_AUTH },
	{ "QUIT",	cmd_quit,	IN_AUTH | IN_TRANS },
	{ "RETR",	cmd_retr,	IN_TRANS },
	{ "RSET",	cmd_rset,	IN_TRANS },
	{ "STAT",	cmd_stat,	IN_TRANS },
	{ "STLS",	cmd_stls,	IN_AUTH },
	{ "TOP",	cmd_top,	IN_TRANS },
	{ "UIDL",	cmd_uidl,	IN_TRANS },
	{ "USER",	pop3_cmd_user,	IN_AUTH },
};

pop3_cmd_fn *
pop3_cmd_find(const char *verb, size_t len, enum pop3_state state,
    const char **errstr)
{
	unsigned bit = state == POP3_ST_AUTH ? IN_AUTH : IN_TRANS;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!str_ieq(verb, len, commands[i].verb))
			continue;
		if ((commands[i].states & bit) == 0) {
			*errstr = state == POP3_ST_AUTH ?
			    "Not allowed before login" :
			    "Not allowed after login";
			return NULL;
		}
		return commands[i].fn;
	}
	*errstr = "Unknown command";
	return NULL;
}

/* Parse a message number argument; 0 after a reply was sent. A message
 * marked as deleted may not be referred to (RFC 1939 5). */
static size_t
msg_number(struct pop3_session *s, const char *args, size_t len)
{
	const char *errstr;
	uint64_t n;

	n = str_to_uint_n(args, len, 1, UINT32_MAX, &errstr);
	if (errstr != NULL) {
		pop3_reply_bad(s, "Bad message number");
		return 0;
	}
	if (n > s->nmsgs) {
		pop3_reply_err(s, "No such message, only %zu in maildrop",
		    s->nmsgs);
		return 0;
	}
	if (s->deleted[n - 1]) {
		pop3_reply_err(s, "Message %llu already deleted",
		    (unsigned long long)n);
		return 0;
	}
	return (size_t)n;
}

static void
cmd_capa(struct pop3_session *s, const char *args, size_t len)
{
	(void)args;
	(void)len;
	pop3_reply_ok(s, "Capability list follows");
	conn_printf(s->conn, "TOP\r\nUIDL\r\nRESP-CODES\r\n"
	    "AUTH-RESP-CODE\r\nPIPELINING\r\n");
	/* RFC 2595 4 and RFC 5034 6: no plain passwords where they would
	 * cross the network in the clear. */
	if (pop3_plaintext_allowed(s))
		conn_printf(s->conn, "USER\r\nSASL PLAIN LOGIN\r\n");
	if (s->srv->tls != NULL && !conn_is_tls(s->conn) &&
	    s->state == POP3_ST_AUTH)
		conn_printf(s->conn, "STLS\r\n");
	conn_printf(s->conn, "IMPLEMENTATION petrel\r\n.\r\n");
}

static void
cmd_stls(struct pop3_session *s, const char *args, size_t len)
{
	(void)args;
	if (len > 0) {
		pop3_reply_bad(s, "STLS takes no arguments");
		return;
	}
	if (s->srv->tls == NULL || conn_is_tls(s->conn)) {
		pop3_reply_err(s, "TLS not available");
		return;
	}
	pop3_reply_ok(s, "Begin TLS negotiation");
	s->user[0] = '\0';
	conn_starttls(s->conn, s->srv->tls);
}

struct update_job {
	struct pop3_session	*s;
	uint32_t		*uids;
	size_t			 n;
	int			 result;
	char			*err;
};

static void
update_work(void *arg)
{
	struct update_job *j = arg;

	j->result = store_msgs_expunge(j->s->srv->store, j->s->mailbox.id,
	    j->uids, j->n, &j->err);
}

static void
update_done(void *arg)
{
	struct update_job *j = arg;
	struct pop3_session *s = j->s;

	s->is_job_pending = false;
	if (j->result == 0) {
		log_info("pop3 session=%s event=update deleted=%zu", s->id,
		    j->n);
		pop3_reply_ok(s, "%s signing off (%zu messages deleted)",
		    s->srv->hostname, j->n);
	} else {
		log_warnx("pop3 session=%s event=update error=\"%s\"", s->id,
		    j->err ? j->err : "unknown");
		pop3_reply_err(s, "[SYS/TEMP] Some deleted messages not "
		    "removed");
	}
	free(j->uids);
	free(j->err);
	free(j);
	if (s->is_gone) {
		pop3_session_done_busy(s, POP3_ST_TRANS);	/* frees s */
		return;
	}
	pop3_session_done_busy(s, POP3_ST_TRANS);
	pop3_session_close(s);
}

static void
cmd_quit(struct pop3_session *s, const char *args, size_t len)
{
	struct update_job *j;
	size_t i;

	(void)args;
	(void)len;
	if (s->state == POP3_ST_AUTH) {
		pop3_reply_ok(s, "%s signing off", s->srv->hostname);
		pop3_session_close(s);
		return;
	}
	/* RFC 1939 6: the UPDATE state. */
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->uids = xcalloc(s->nmsgs ? s->nmsgs : 1, sizeof(*j->uids));
	for (i = 0; i < s->nmsgs; i++)
		if (s->deleted[i])
			j->uids[j->n++] = s->msgs[i].uid;
	if (j->n == 0) {
		free(j->uids);
		free(j);
		pop3_reply_ok(s, "%s signing off", s->srv->hostname);
		pop3_session_close(s);
		return;
	}
	s->is_job_pending = true;
	pop3_session_busy(s);
	iopool_submit(s->srv->pool, conn_base(s->conn), update_work,
	    update_done, j);
}

static void
cmd_stat(struct pop3_session *s, const char *args, size_t len)
{
	uint64_t size = 0;
	size_t i, n = 0;

	(void)args;
	(void)len;
	for (i = 0; i < s->nmsgs; i++) {
		if (s->deleted[i])
			continue;
		n++;
		size += s->msgs[i].size;
	}
	pop3_reply_ok(s, "%zu %llu", n, (unsigned long long)size);
}

/* LIST and UIDL: one message, or a multi-line listing of all. */
static void
list_messages(struct pop3_session *s, const char *args, size_t len,
    bool uidl)
{
	size_t i, n;

	if (len > 0) {
		if ((n = msg_number(s, args, len)) == 0)
			return;
		if (uidl)
			pop3_reply_ok(s, "%zu %u.%u", n, s->mailbox.uidvalidity,
			    s->msgs[n - 1].uid);
		else
			pop3_reply_ok(s, "%zu %llu", n,
			    (unsigned long long)s->msgs[n - 1].size);
		return;
	}
	pop3_reply_ok(s, "Listing follows");
	for (i = 0; i < s->nmsgs; i++) {
		if (s->deleted[i])
			continue;
		if (uidl)
			conn_printf(s->conn, "%zu %u.%u\r\n", i + 1,
			    s->mailbox.uidvalidity, s->msgs[i].uid);
		else
			conn_printf(s->conn, "%zu %llu\r\n", i + 1,
			    (unsigned long long)s->msgs[i].size);
	}
	conn_write(s->conn, ".\r\n", 3);
}

static void
cmd_list(struct pop3_session *s, const char *args, size_t len)
{
	list_messages(s, args, len, false);
}

static void
cmd_uidl(struct pop3_session *s, const char *args, size_t len)
{
	/* RFC 1939 7: the unique-id must not change between sessions;
	 * UIDVALIDITY.UID does not. */
	list_messages(s, args, len, true);
}

static void
cmd_retr(struct pop3_session *s, const char *args, size_t len)
{
	size_t n;

	if ((n = msg_number(s, args, len)) == 0)
		return;
	pop3_stream_start(s, n, -1);
}

static void
cmd_top(struct pop3_session *s, const char *args, size_t len)
{
	const char *sp = str_chr(args, len, ' ');
	const char *errstr;
	uint64_t lines;
	size_t n;

	if (sp == NULL) {
		pop3_reply_bad(s, "Syntax: TOP msg lines");
		return;
	}
	lines = str_to_uint_n(sp + 1, len - (size_t)(sp - args) - 1, 0,
	    LONG_MAX, &errstr);
	if (errstr != NULL) {
		pop3_reply_bad(s, "Bad line count");
		return;
	}
	if ((n = msg_number(s, args, (size_t)(sp - args))) == 0)
		return;
	pop3_stream_start(s, n, (long)lines);
}

static void
cmd_dele(struct pop3_session *s, const char *args, size_t len)
{
	size_t n;

	if ((n = msg_number(s, args, len)) == 0)
		return;
	s->deleted[n - 1] = true;
	pop3_reply_ok(s, "Message %zu deleted", n);
}

static void
cmd_rset(struct pop3_session *s, const char *args, size_t len)
{
	(void)args;
	(void)len;
	memset(s->deleted, 0, s->nmsgs * sizeof(bool));
	pop3_reply_ok(s, "Maildrop has %zu messages", s->nmsgs);
}

static void
cmd_noop(struct pop3_session *s, const char *args, size_t len)
{
	(void)args;
	(void)len;
	pop3_reply_ok(s, "Ok");
}
