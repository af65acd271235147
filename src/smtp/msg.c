/* The message being received, whether it came with DATA or BDAT: the
 * trace fields (RFC 5321 4.4), the size limit (RFC 1870), writing to the
 * store in blocks, and the reply that waits until the store has made the
 * message durable.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/conn.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/net.h"
#include "lib/str.h"
#include "queue/queue.h"
#include "smtp_int.h"
#include "store/store.h"

/* Message bytes are handed to the store in blocks of this size. */
#define MSG_FLUSH_SIZE	(64 * 1024)

static void	rfc5322_date(char *out, size_t outlen);

/* Hand bytes to whichever sink the message has. 0, or -1 with errno. */
static int
sink_write(struct smtp_session *s, const void *p, size_t len)
{
	if (s->qmsg != NULL)
		return queue_msg_write(s->qmsg, p, len);
	return store_delivery_write(s->delivery, p, len);
}

static void
msg_flush(struct smtp_session *s)
{
	if (s->data.len == 0 || s->data_error != SMTP_DATA_OK)
		return;
	if (sink_write(s, s->data.data, s->data.len) < 0) {
		s->data_error = SMTP_DATA_WRITE_FAILED;
		s->data_errno = errno;
	}
	buf_reset(&s->data);
}

/* The protocol name of RFC 3848 and RFC 6531 4.3. */
static const char *
with_protocol(struct smtp_session *s)
{
	bool tls = conn_is_tls(s->conn);

	if (!s->is_esmtp)
		return "SMTP";
	if (s->is_utf8)
		return tls ? (s->is_auth ? "UTF8SMTPSA" : "UTF8SMTPS") :
		    (s->is_auth ? "UTF8SMTPA" : "UTF8SMTP");
	if (s->is_auth)
		return tls ? "ESMTPSA" : "ESMTPA";
	return tls ? "ESMTPS" : "ESMTP";
}

static void
add_trace_fields(struct smtp_session *s)
{
	char date[64], literal[NET_ADDRSTRLEN];

	rfc5322_date(date, sizeof(date));
	net_addr_literal(conn_peer_addr(s->conn), literal, sizeof(literal));
	/* Return-Path: only at final delivery (RFC 5321 4.4): here when the
	 * store takes the message, else when the queue delivers it. */
	if (s->delivery != NULL)
		buf_addf(&s->data, "Return-Path: <%s>\r\n", s->mail_from);
	buf_addf(&s->data, "Received: from %s (%s)\r\n", s->helo, literal);
	buf_addf(&s->data, "\tby %s (petrel) with %s id %s\r\n",
	    s->srv->hostname, with_protocol(s), s->msg_id);
	if (conn_is_tls(s->conn))
		buf_addf(&s->data, "\t(using %s)\r\n", conn_tls_info(s->conn));
	if (s->nrcpts == 1)
		buf_addf(&s->data, "\tfor <%s>; %s\r\n", s->rcpts[0].address,
		    date);
	else
		buf_addf(&s->data, "\t; %s\r\n", date);
}

/* A message with a target elsewhere goes whole to the queue, which also
 * files the local copies: one durable commit, so a failure can never
 * leave half the recipients served. Otherwise it goes straight to the
 * store, with no second hop between acceptance and the mailbox. */
static bool
open_sink(struct smtp_session *s, char **err)
{
	const struct smtp_target *t;
	size_t i;

	if (!s->has_remote) {
		s->delivery = store_delivery_new(s->srv->store, err);
		if (s->delivery == NULL)
			return false;
		for (i = 0; i < s->ntargets; i++)
			store_delivery_add(s->delivery, s->targets[i].user_id,
			    "INBOX");
		return true;
	}
	s->qmsg = queue_msg_new(s->srv->queue, s->mail_from, err);
	if (s->qmsg == NULL)
		return false;
	queue_msg_set_params(s->qmsg, s->is_8bitmime, s->is_utf8,
	    s->ret_hdrs, s->envid[0] ? s->envid : NULL);
	for (i = 0; i < s->ntargets; i++) {
		t = &s->targets[i];
		queue_msg_add_rcpt(s->qmsg, t->address, t->notify,
		    t->orcpt[0] ? t->orcpt : NULL);
	}
	return true;
}

bool
smtp_msg_is_open(const struct smtp_session *s)
{
	return s->delivery != NULL || s->qmsg != NULL;
}

bool
smtp_msg_begin(struct smtp_session *s)
{
	char *err = NULL;

	if (!open_sink(s, &err)) {
		log_warnx("smtp session=%s event=data error=\"%s\"", s->id,
		    err ? err : "unknown");
		free(err);
		return false;
	}
	if (s->qmsg != NULL)
		str_copy(s->msg_id, queue_msg_id(s->qmsg), sizeof(s->msg_id));
	else
		str_random_hex(s->msg_id, SMTP_ID_LEN / 2);
	s->data_size = 0;
	s->data_error = SMTP_DATA_OK;
	s->in_header = smtp_session_is_submission(s);
	s->has_msgid = s->has_date = false;
	add_trace_fields(s);
	return true;
}

/* Header lines longer than this end the look for missing fields. */
#define HDR_LINE_MAX	(64 * 1024)

static void	msg_put(struct smtp_session *s, const void *p, size_t len);

static void
rfc5322_date(char *out, size_t outlen)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* RFC 6409 8.2-8.3: a submission server may add the Message-ID: and
 * Date: a message lacks; they go at the end of the header section. */
static void
add_missing_fields(struct smtp_session *s)
{
	char date[64], id[33];
	struct buf f = BUF_INIT;

	if (!s->has_date) {
		rfc5322_date(date, sizeof(date));
		buf_addf(&f, "Date: %s\r\n", date);
	}
	if (!s->has_msgid) {
		str_random_hex(id, 16);
		buf_addf(&f, "Message-ID: <%s@%s>\r\n", id, s->srv->hostname);
	}
	msg_put(s, f.data, f.len);
	buf_free(&f);
}

/* One whole header line (with its line end) has arrived. */
static void
hdr_line_done(struct smtp_session *s)
{
	struct buf *l = &s->hdr_line;

	if (l->len <= 2 && (l->len == 1 || l->data[0] == '\r')) {
		add_missing_fields(s);
		s->in_header = false;
	} else if (str_iprefix(l->data, l->len, "Message-ID:"))
		s->has_msgid = true;
	else if (str_iprefix(l->data, l->len, "Date:"))
		s->has_date = true;
	msg_put(s, l->data, l->len);
	buf_reset(l);
}

/* Pass header bytes through line by line, watching the field names. */
static void
hdr_scan(struct smtp_session *s, const char *p, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0 && s->in_header) {
		nl = memchr(p, '\n', len);
		n = nl ? (size_t)(nl - p) + 1 : len;
		buf_add(&s->hdr_line, p, n);
		p += n;
		len -= n;
		if (nl != NULL)
			hdr_line_done(s);
		else if (s->hdr_line.len > HDR_LINE_MAX) {
			msg_put(s, s->hdr_line.data, s->hdr_line.len);
			buf_reset(&s->hdr_line);
			s->in_header = false;
		}
	}
	if (len > 0)
		msg_put(s, p, len);
}

void
smtp_msg_write(struct smtp_session *s, const void *p, size_t len)
{
	if (s->in_header)
		hdr_scan(s, p, len);
	else
		msg_put(s, p, len);
}

static void
msg_put(struct smtp_session *s, const void *p, size_t len)
{
	s->data_size += len;
	if (s->data_size > s->srv->max_message_size &&
	    s->data_error == SMTP_DATA_OK)
		s->data_error = SMTP_DATA_TOO_BIG;
	if (s->data_error != SMTP_DATA_OK)
		return;
	buf_add(&s->data, p, len);
	if (s->data.len >= MSG_FLUSH_SIZE)
		msg_flush(s);
}

static void
log_message(struct smtp_session *s, int code)
{
	struct buf to = BUF_INIT;
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		buf_addf(&to, "%s<%s>", i ? "," : "", s->rcpts[i].address);
	log_info("smtp session=%s event=message id=%s from=<%s> to=%s "
	    "size=%llu client=%s tls=%s user=%s queued=%s result=%d", s->id,
	    s->msg_id, s->mail_from, buf_cstr(&to),
	    (unsigned long long)s->data_size,
	    s->conn ? conn_peer_str(s->conn) : "gone",
	    s->conn && conn_is_tls(s->conn) ? "yes" : "no",
	    s->is_auth ? s->auth_user : "-", s->has_remote ? "yes" : "no", code);
	buf_free(&to);
}

static void
on_committed(void *arg, int result, const char *err)
{
	struct smtp_session *s = arg;

	s->delivery = NULL;	/* the store or the queue took it */
	s->qmsg = NULL;
	if (result == 0) {
		log_message(s, 250);
		smtp_reply(s, 250, "2.0.0", "Ok: queued as %s", s->msg_id);
	} else if (result == STORE_FULL || result == QUEUE_FULL) {
		log_warnx("smtp session=%s event=commit id=%s error=\"%s\"",
		    s->id, s->msg_id, err);
		log_message(s, 452);
		smtp_reply(s, 452, "4.3.1", "Insufficient system storage");
	} else {
		log_warnx("smtp session=%s event=commit id=%s error=\"%s\"",
		    s->id, s->msg_id, err);
		log_message(s, 451);
		smtp_reply(s, 451, "4.3.0", "Cannot store mail now, try later");
	}
	smtp_session_reset(s);
	s->state = SMTP_ST_READY;
	smtp_session_resume(s);
}

/* Refuse the message for the reason recorded while it came in. */
static void
msg_refuse(struct smtp_session *s)
{
	switch (s->data_error) {
	case SMTP_DATA_TOO_BIG:
		log_message(s, 552);
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed "
		    "limit of %llu",
		    (unsigned long long)s->srv->max_message_size);
		break;
	case SMTP_DATA_LINE_TOO_LONG:
		log_message(s, 500);
		smtp_reply(s, 500, "5.5.2", "Line too long (RFC 5321 limit "
		    "is 1000 octets)");
		break;
	default:
		log_warnx("smtp session=%s event=write id=%s error=\"%s\"",
		    s->id, s->msg_id, strerror(s->data_errno));
		if (file_errno_is_full(s->data_errno)) {
			log_message(s, 452);
			smtp_reply(s, 452, "4.3.1",
			    "Insufficient system storage");
		} else {
			log_message(s, 451);
			smtp_reply(s, 451, "4.3.0",
			    "Local error in processing");
		}
		break;
	}
	smtp_session_reset(s);
	s->state = SMTP_ST_READY;
}

void
smtp_msg_end(struct smtp_session *s)
{
	struct store_delivery *d;
	struct queue_msg *m;

	conn_set_timeout(s->conn, s->srv->timeout);
	if (s->in_header) {
		/* A message of header fields only. */
		if (s->hdr_line.len == 0)
			add_missing_fields(s);
		else
			msg_put(s, s->hdr_line.data, s->hdr_line.len);
		buf_reset(&s->hdr_line);
		s->in_header = false;
	}
	msg_flush(s);
	if (s->data_error != SMTP_DATA_OK) {
		msg_refuse(s);
		return;
	}
	d = s->delivery;
	m = s->qmsg;
	s->state = SMTP_ST_COMMIT;
	smtp_session_pause(s);
	if (m != NULL)
		queue_msg_commit(m, conn_base(s->conn), on_committed, s);
	else
		store_delivery_commit(d, conn_base(s->conn), on_committed, s);
}
