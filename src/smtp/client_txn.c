/* The SMTP client's mail transaction (RFC 5321 3.3): RSET on a reused
 * connection, MAIL with SIZE, BODY, SMTPUTF8 and DSN parameters, one RCPT
 * per recipient, DATA, the message with dot-stuffing (4.5.2) streamed
 * from the spool under flow control, and the reply to ".". With
 * PIPELINING (RFC 2920) the commands up to DATA go in one write; without
 * it, one at a time, stopping early when MAIL fails or no RCPT was taken.
 * A message with 8-bit content for a server without 8BITMIME is made
 * 7-bit first (RFC 6152 3, mime_downgrade()).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "client_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mime/mime.h"

#define BODY_CHUNK	(64 * 1024)
#define BODY_HIGH	(256 * 1024)	/* output queued before we wait */
#define BODY_LOW	(64 * 1024)	/* refill below this */

/* The code of a reply line we made ourselves ("451 4.4.2 ..."). */
static int
code_of(const char *reply)
{
	if (reply[0] < '2' || reply[0] > '5')
		return 451;
	return (reply[0] - '0') * 100 + 51;
}

static enum queue_status
status_of(int code)
{
	if (code / 100 == 2)
		return QUEUE_OK;
	if (code / 100 == 5)
		return QUEUE_PERM;
	return QUEUE_TEMP;
}

static void
rcpt_set(struct queue_job_rcpt *r, enum queue_status st, const char *reply)
{
	r->status = st;
	snprintf(r->reply, sizeof(r->reply), "%s", reply);
}

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Does the envelope need SMTPUTF8 (RFC 6531 3.4)? */
static bool
needs_utf8(const struct queue_job *job)
{
	size_t i;

	if (!job->is_utf8)
		return false;
	if (!is_ascii(job->sender))
		return true;
	for (i = 0; i < job->nrcpts; i++)
		if (!is_ascii(job->rcpts[i].address))
			return true;
	return false;
}

static void
send_mail(struct client_conn *cc)
{
	const struct queue_job *job = cc->job;
	const struct smtp_client_ext *x = &cc->ext;
	struct buf b = BUF_INIT;

	buf_addf(&b, "MAIL FROM:<%s>", job->sender);
	if (x->has_size)
		buf_addf(&b, " SIZE=%llu", (unsigned long long)job->size);
	if (job->is_8bitmime && x->has_8bitmime)
		buf_adds(&b, " BODY=8BITMIME");
	if (needs_utf8(job))
		buf_adds(&b, " SMTPUTF8");
	if (x->has_dsn && job->ret_hdrs)
		buf_adds(&b, " RET=HDRS");
	if (x->has_dsn && job->envid != NULL)
		buf_addf(&b, " ENVID=%s", job->envid);
	client_send(cc, "%s\r\n", buf_cstr(&b));
	buf_free(&b);
}

static void
send_rcpt(struct client_conn *cc, size_t i)
{
	const struct queue_job_rcpt *r = &cc->job->rcpts[i];
	struct buf b = BUF_INIT;

	buf_addf(&b, "RCPT TO:<%s>", r->address);
	if (cc->ext.has_dsn && r->notify != 0) {
		if (r->notify & QUEUE_NOTIFY_NEVER)
			buf_adds(&b, " NOTIFY=NEVER");
		else
			buf_addf(&b, " NOTIFY=%s%s%s%s%s",
			    r->notify & QUEUE_NOTIFY_SUCCESS ? "SUCCESS" : "",
			    (r->notify & QUEUE_NOTIFY_SUCCESS) &&
			    (r->notify & 0xc) ? "," : "",
			    r->notify & QUEUE_NOTIFY_FAILURE ? "FAILURE" : "",
			    (r->notify & QUEUE_NOTIFY_FAILURE) &&
			    (r->notify & QUEUE_NOTIFY_DELAY) ? "," : "",
			    r->notify & QUEUE_NOTIFY_DELAY ? "DELAY" : "");
	}
	if (cc->ext.has_dsn && r->orcpt != NULL)
		buf_addf(&b, " ORCPT=%s", r->orcpt);
	client_send(cc, "%s\r\n", buf_cstr(&b));
	buf_free(&b);
}

static size_t
rcpt_base(const struct client_conn *cc)
{
	return cc->cmds[0] == CS_CMD_RSET ? 2 : 1;
}

static void
send_cmd(struct client_conn *cc)
{
	size_t i = cc->nsent++;

	switch (cc->cmds[i]) {
	case CS_CMD_RSET:
		client_send(cc, "RSET\r\n");
		break;
	case CS_CMD_MAIL:
		send_mail(cc);
		break;
	case CS_CMD_RCPT:
		send_rcpt(cc, i - rcpt_base(cc));
		break;
	case CS_CMD_DATA:
		client_send(cc, "DATA\r\n");
		break;
	}
}

/* Checks before any command: a refusal here costs nothing. true when
 * the job was finished. */
static bool
txn_precheck(struct client_conn *cc)
{
	struct queue_job *job = cc->job;
	char reply[QUEUE_REPLY_MAX];
	size_t i;

	reply[0] = '\0';
	if (cc->ext.max_size > 0 && job->size > cc->ext.max_size)
		snprintf(reply, sizeof(reply), "552 5.3.4 Message too big for "
		    "%s (limit %llu)", cc->relay,
		    (unsigned long long)cc->ext.max_size);
	else if (needs_utf8(job) && !cc->ext.has_smtputf8)
		snprintf(reply, sizeof(reply), "553 5.6.7 %s does not support "
		    "SMTPUTF8, needed for these addresses", cc->relay);
	if (reply[0] == '\0')
		return false;
	for (i = 0; i < job->nrcpts; i++)
		rcpt_set(&job->rcpts[i], QUEUE_PERM, reply);
	client_job_finish(cc);
	return true;
}

void
client_txn_start(struct client_conn *cc)
{
	struct queue_job *job = cc->job;
	size_t i, n = 0;

	cc->state = CS_TXN;
	cc->ncmds = cc->nsent = cc->nreplied = 0;
	for (i = 0; i < job->nrcpts; i++)
		rcpt_set(&job->rcpts[i], QUEUE_TEMP, "");
	if (txn_precheck(cc))
		return;
	free(cc->cmds);
	free(cc->accepted);
	cc->cmds = xcalloc(job->nrcpts + 3, sizeof(*cc->cmds));
	cc->accepted = xcalloc(job->nrcpts, sizeof(*cc->accepted));
	if (cc->is_reused)
		cc->cmds[n++] = CS_CMD_RSET;
	cc->cmds[n++] = CS_CMD_MAIL;
	for (i = 0; i < job->nrcpts; i++)
		cc->cmds[n++] = CS_CMD_RCPT;
	cc->cmds[n++] = CS_CMD_DATA;
	cc->ncmds = n;
	cc->naccepted = 0;
	cc->is_mail_failed = cc->is_data_refused = false;
	cc->needs_downgrade = job->is_8bitmime && !cc->ext.has_8bitmime;
	cc->c->stats.transactions++;
	if (cc->ext.has_pipelining)
		while (cc->nsent < cc->ncmds)
			send_cmd(cc);
	else
		send_cmd(cc);
}

/* Without PIPELINING: send the next command, or end the transaction
 * early when MAIL failed or no recipient was taken. */
static void
send_next(struct client_conn *cc)
{
	enum cs_cmd next = cc->cmds[cc->nsent];

	if ((next == CS_CMD_RCPT && cc->is_mail_failed) ||
	    (next == CS_CMD_DATA && cc->naccepted == 0)) {
		cc->ncmds = cc->nsent;
		return;
	}
	send_cmd(cc);
}

/* The transaction is over: a recipient without an answer (a pipelined
 * command cut short) is tried again later. */
static void
txn_finish(struct client_conn *cc)
{
	struct queue_job *job = cc->job;
	size_t i;

	for (i = 0; i < job->nrcpts; i++)
		if (job->rcpts[i].reply[0] == '\0')
			rcpt_set(&job->rcpts[i], QUEUE_TEMP, "451 4.4.2 No "
			    "reply for this recipient");
	cc->nreplied = cc->ncmds;
	client_job_finish(cc);
}

/* Read the message into memory and make it 7-bit. false when the job
 * was finished (unreadable, or it cannot be converted). */
static bool
body_downgrade(struct client_conn *cc)
{
	struct buf raw = BUF_INIT;
	char chunk[BODY_CHUNK];
	ssize_t n;
	size_t i;
	bool is_8bit = false;

	while ((n = read(cc->body_fd, chunk, sizeof(chunk))) > 0)
		buf_add(&raw, chunk, (size_t)n);
	for (i = 0; i < raw.len && !is_8bit; i++)
		is_8bit = (unsigned char)raw.data[i] >= 0x80;
	buf_reset(&cc->body);
	if (!is_8bit)
		buf_add(&cc->body, raw.data, raw.len);
	else if (mime_downgrade(raw.data, raw.len, &cc->body) == -1) {
		buf_free(&raw);
		return false;
	}
	log_debug("smtp-client event=downgrade id=%s relay=%s 8bit=%s",
	    cc->job->id, cc->relay, is_8bit ? "yes" : "no");
	buf_free(&raw);
	close(cc->body_fd);
	cc->body_fd = -1;
	cc->body_off = 0;
	return true;
}

/* 354: send the message. */
static void
body_start(struct client_conn *cc)
{
	char reason[QUEUE_REPLY_MAX];

	cc->body_fd = open(cc->job->body_path, O_RDONLY | O_CLOEXEC);
	if (cc->body_fd == -1) {
		snprintf(reason, sizeof(reason), "451 4.3.0 Cannot read the "
		    "queued message: %s", strerror(errno));
		client_txn_abort(cc, reason);
		return;
	}
	if (cc->needs_downgrade && !body_downgrade(cc)) {
		client_txn_abort(cc, "554 5.6.3 Conversion to 7 bits "
		    "required but not possible");
		return;
	}
	cc->state = CS_BODY;
	cc->body_bol = true;
	bufferevent_setwatermark(cc->bev, EV_WRITE, BODY_LOW, 0);
	client_txn_pump(cc);
}

/* Append p[0..len) with a "." added before each line that starts with
 * one (RFC 5321 4.5.2). */
static void
dot_stuff(struct client_conn *cc, struct evbuffer *out, const char *p,
    size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (cc->body_bol && p[i] == '.') {
			evbuffer_add(out, p + start, i - start);
			evbuffer_add(out, ".", 1);
			start = i;
		}
		cc->body_bol = p[i] == '\n';
	}
	evbuffer_add(out, p + start, len - start);
}

static ssize_t
body_read(struct client_conn *cc, char *out, size_t max)
{
	size_t n;

	if (cc->body_fd != -1)
		return read(cc->body_fd, out, max);
	n = cc->body.len - cc->body_off;
	if (n > max)
		n = max;
	memcpy(out, cc->body.data + cc->body_off, n);
	cc->body_off += n;
	return (ssize_t)n;
}

void
client_txn_pump(struct client_conn *cc)
{
	struct evbuffer *out = bufferevent_get_output(cc->bev);
	char chunk[BODY_CHUNK];
	ssize_t n;

	while (evbuffer_get_length(out) < BODY_HIGH) {
		if ((n = body_read(cc, chunk, sizeof(chunk))) < 0) {
			client_txn_abort(cc, "451 4.3.0 Cannot read the "
			    "queued message");
			return;
		}
		if (n == 0) {
			evbuffer_add_printf(out, "%s.\r\n",
			    cc->body_bol ? "" : "\r\n");
			bufferevent_setwatermark(cc->bev, EV_WRITE, 0, 0);
			cc->state = CS_DOT;
			/* RFC 5321 4.5.3.2.6: 10 minutes for this reply. */
			client_conn_timeout(cc, cc->c->p.data_timeout);
			return;
		}
		dot_stuff(cc, out, chunk, (size_t)n);
	}
}

void
client_txn_abort(struct client_conn *cc, const char *reason)
{
	struct queue_job *job = cc->job;
	size_t i;

	for (i = 0; i < job->nrcpts; i++)
		if (cc->accepted == NULL || cc->accepted[i] ||
		    job->rcpts[i].reply[0] == '\0')
			rcpt_set(&job->rcpts[i], status_of(code_of(reason)),
			    reason);
	client_conn_drop(cc);
	client_job_finish(cc);
}

/* The reply to one command of the transaction. */
static void
on_cmd_reply(struct client_conn *cc, enum cs_cmd cmd, size_t idx,
    const char *s)
{
	struct queue_job *job = cc->job;
	enum queue_status st = status_of(cc->reply.code);
	size_t i;

	switch (cmd) {
	case CS_CMD_RSET:
		break;
	case CS_CMD_MAIL:
		if (st == QUEUE_OK)
			break;
		cc->is_mail_failed = true;
		for (i = 0; i < job->nrcpts; i++)
			rcpt_set(&job->rcpts[i], st, s);
		break;
	case CS_CMD_RCPT:
		if (cc->is_mail_failed)
			break;
		if (st == QUEUE_OK) {
			cc->accepted[idx] = true;
			cc->naccepted++;
		} else
			rcpt_set(&job->rcpts[idx], st, s);
		break;
	case CS_CMD_DATA:
		if (cc->is_mail_failed || cc->naccepted == 0 ||
		    cc->reply.code == 354)
			break;
		cc->is_data_refused = true;
		for (i = 0; i < job->nrcpts; i++)
			if (cc->accepted[i])
				rcpt_set(&job->rcpts[i], st, s);
		break;
	}
}

/* The reply to "." decides for every accepted recipient. */
static void
on_dot_reply(struct client_conn *cc, const char *s)
{
	struct queue_job *job = cc->job;
	enum queue_status st = status_of(cc->reply.code);
	size_t i;

	if (!cc->is_data_refused) {
		for (i = 0; i < job->nrcpts; i++) {
			if (!cc->accepted[i])
				continue;
			rcpt_set(&job->rcpts[i], st, s);
			job->rcpts[i].dsn_relayed = cc->ext.has_dsn;
		}
		if (st == QUEUE_OK) {
			cc->nmsgs++;
			cc->c->stats.messages++;
		}
	}
	txn_finish(cc);
}

void
client_txn_reply(struct client_conn *cc)
{
	char s[QUEUE_REPLY_MAX];
	size_t idx;
	enum cs_cmd cmd;

	smtp_client_reply_summary(&cc->reply, s, sizeof(s));
	if (cc->state == CS_DOT) {
		on_dot_reply(cc, s);
		return;
	}
	if (cc->nreplied >= cc->nsent) {
		client_txn_abort(cc, "451 4.5.0 Unexpected reply from server");
		return;
	}
	idx = cc->nreplied - (cc->nreplied >= rcpt_base(cc) ?
	    rcpt_base(cc) : cc->nreplied);
	cmd = cc->cmds[cc->nreplied++];
	if (cmd == CS_CMD_RSET && cc->reply.code / 100 != 2) {
		client_txn_abort(cc, "451 4.4.2 RSET refused on a cached "
		    "connection");
		return;
	}
	on_cmd_reply(cc, cmd, idx, s);
	if (cmd == CS_CMD_DATA && cc->reply.code == 354) {
		if (cc->is_mail_failed || cc->naccepted == 0) {
			/* A pipelined DATA the server should have refused:
			 * end it with an empty message and ignore that. */
			cc->is_data_refused = true;
			cc->state = CS_DOT;
			client_send(cc, ".\r\n");
		} else
			body_start(cc);
		return;
	}
	if (!cc->ext.has_pipelining && cc->nsent == cc->nreplied &&
	    cc->nsent < cc->ncmds)
		send_next(cc);
	if (cc->nreplied == cc->ncmds)
		txn_finish(cc);
}
