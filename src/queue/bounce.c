/* Delivery status notifications: a multipart/report (RFC 6522) with a
 * human-readable part, a message/delivery-status part (RFC 3464 2) and
 * the original message or its header (RFC 3461 4.3 RET), sent from the
 * null reverse-path (RFC 5321 6.1) so that it is never bounced itself.
 * Status codes follow RFC 3463.
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "queue/qdb.h"
#include "queue/queue_int.h"

static bool
is_status(const char *p)
{
	/* class "." subject "." detail, RFC 3463 2 */
	if ((p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
		return false;
	p += 2;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == ' ' || *p == '\0';
}

void
queue_reply_status(const char *reply, enum queue_status st, char *out,
    size_t outlen)
{
	size_t n;

	if (strlen(reply) > 4 && is_status(reply + 4)) {
		n = strcspn(reply + 4, " ");
		snprintf(out, outlen, "%.*s", (int)n, reply + 4);
		return;
	}
	switch (st) {
	case QUEUE_OK:
		snprintf(out, outlen, "2.0.0");
		break;
	case QUEUE_TEMP:
		snprintf(out, outlen, "4.0.0");
		break;
	default:
		snprintf(out, outlen, "5.0.0");
		break;
	}
}

static const char *
action_of(enum queue_dsn_kind k)
{
	switch (k) {
	case QUEUE_DSN_DELAYED:
		return "delayed";
	case QUEUE_DSN_DELIVERED:
		return "delivered";
	case QUEUE_DSN_RELAYED:
		return "relayed";
	default:
		return "failed";
	}
}

static const char *
subject_of(enum queue_dsn_kind k)
{
	switch (k) {
	case QUEUE_DSN_DELAYED:
		return "Delayed Mail (still being retried)";
	case QUEUE_DSN_DELIVERED:
	case QUEUE_DSN_RELAYED:
		return "Successful Mail Delivery Report";
	default:
		return "Undelivered Mail Returned to Sender";
	}
}

static void
date_of(time_t t, char *out, size_t len)
{
	if (!mime_date_format(t, 0, out, len))
		str_copy(out, "Thu, 1 Jan 1970 00:00:00 +0000", len);
}

/* ORCPT is "type;xtext" (RFC 3461 4.2): decode the "+XX" escapes. */
static void
add_xtext_decoded(struct buf *b, const char *p)
{
	unsigned v;

	for (; *p != '\0'; p++) {
		if (p[0] == '+' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2x", &v) == 1) {
			buf_addc(b, (char)v);
			p += 2;
		} else
			buf_addc(b, *p);
	}
}

static void
write_human(const struct queue_dsn *d, struct buf *b)
{
	size_t i;

	buf_addf(b, "This is the mail system at host %s.\r\n\r\n",
	    d->hostname);
	switch (d->kind) {
	case QUEUE_DSN_FAILED:
		buf_adds(b, "I'm sorry to have to inform you that your "
		    "message could not\r\nbe delivered to one or more "
		    "recipients. It's attached below.\r\n");
		break;
	case QUEUE_DSN_DELAYED:
		buf_adds(b, "Your message could not be delivered yet. The "
		    "mail system will\r\nkeep trying; you need not send it "
		    "again.\r\n");
		break;
	default:
		buf_adds(b, "Your message was successfully delivered to the "
		    "destination(s)\r\nlisted below.\r\n");
		break;
	}
	buf_adds(b, "\r\n");
	for (i = 0; i < d->nrcpts; i++)
		buf_addf(b, "<%s>: %s\r\n", d->rcpts[i].address,
		    d->rcpts[i].reply);
}

static void
write_rcpt_fields(const struct queue_dsn *d, const struct queue_dsn_rcpt *r,
    struct buf *b)
{
	char date[MIME_DATE_LEN];
	size_t hlen;

	buf_addf(b, "\r\nFinal-Recipient: rfc822; %s\r\n", r->address);
	if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL) {
		buf_adds(b, "Original-Recipient: ");
		add_xtext_decoded(b, r->orcpt);
		buf_adds(b, "\r\n");
	}
	buf_addf(b, "Action: %s\r\nStatus: %s\r\n", action_of(d->kind),
	    r->status);
	if (r->relay != NULL && r->relay[0] != '\0' &&
	    strcmp(r->relay, "local") != 0) {
		hlen = strcspn(r->relay, "[");
		buf_addf(b, "Remote-MTA: dns; %.*s\r\n", (int)hlen, r->relay);
	}
	/* Our own reasons come as SMTP-style replies too. */
	if (r->reply != NULL && r->reply[0] != '\0')
		buf_addf(b, "Diagnostic-Code: smtp; %s\r\n", r->reply);
	date_of(time(NULL), date, sizeof(date));
	if (d->kind == QUEUE_DSN_FAILED || d->kind == QUEUE_DSN_DELAYED)
		buf_addf(b, "Last-Attempt-Date: %s\r\n", date);
	if (d->kind == QUEUE_DSN_DELAYED) {
		date_of(d->retry_until, date, sizeof(date));
		buf_addf(b, "Will-Retry-Until: %s\r\n", date);
	}
}

static void
write_status(const struct queue_dsn *d, struct buf *b)
{
	char date[MIME_DATE_LEN];
	size_t i;

	buf_adds(b, "Content-Type: message/delivery-status\r\n\r\n");
	buf_addf(b, "Reporting-MTA: dns; %s\r\n", d->hostname);
	buf_addf(b, "X-Petrel-Queue-ID: %s\r\n", d->id);
	if (d->envid != NULL)
		buf_addf(b, "Original-Envelope-Id: %s\r\n", d->envid);
	date_of(d->arrival, date, sizeof(date));
	buf_addf(b, "Arrival-Date: %s\r\n", date);
	for (i = 0; i < d->nrcpts; i++)
		write_rcpt_fields(d, &d->rcpts[i], b);
}

static void
write_header(const struct queue_dsn *d, const char *boundary, struct buf *b)
{
	char date[MIME_DATE_LEN], mid[QUEUE_ID_LEN + 1];

	mime_date_now(date, sizeof(date));
	str_random_hex(mid, QUEUE_ID_LEN / 2);
	buf_addf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	    d->hostname);
	buf_addf(b, "To: <%s>\r\n", d->sender);
	buf_addf(b, "Subject: %s\r\n", subject_of(d->kind));
	buf_addf(b, "Date: %s\r\n", date);
	buf_addf(b, "Message-ID: <%s.dsn@%s>\r\n", mid, d->hostname);
	/* RFC 3834 5: no auto-reply to this. */
	buf_adds(b, "Auto-Submitted: auto-replied\r\n");
	buf_adds(b, "MIME-Version: 1.0\r\n");
	buf_addf(b, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n",
	    boundary);
	buf_adds(b, "This is a MIME-encapsulated message.\r\n\r\n");
}

void
queue_dsn_write(const struct queue_dsn *d, const char *orig, size_t len,
    struct buf *out)
{
	char boundary[64], rnd[17];

	str_random_hex(rnd, 8);
	snprintf(boundary, sizeof(boundary), "%s/%s", rnd, d->hostname);
	write_header(d, boundary, out);
	buf_addf(out, "--%s\r\nContent-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	write_human(d, out);
	buf_addf(out, "\r\n--%s\r\nContent-Description: Delivery report\r\n",
	    boundary);
	write_status(d, out);
	if (d->ret_hdrs)
		buf_addf(out, "\r\n--%s\r\nContent-Description: Undelivered "
		    "Message Headers\r\nContent-Type: text/rfc822-headers\r\n"
		    "\r\n", boundary);
	else
		buf_addf(out, "\r\n--%s\r\nContent-Description: Undelivered "
		    "Message\r\nContent-Type: message/rfc822\r\n\r\n",
		    boundary);
	buf_add(out, orig, len);
	if (len > 0 && orig[len - 1] != '\n')
		buf_adds(out, "\r\n");
	buf_addf(out, "\r\n--%s--\r\n", boundary);
}

int
queue_inject_bounce(struct queue *q, struct qdb *db, const char *rcpt,
    const struct buf *b, bool is_8bit, bool is_utf8)
{
	struct queue_msg *m;
	int rc;

	m = queue_msg_alloc(q, "");
	queue_msg_add_rcpt(m, rcpt, QUEUE_NOTIFY_NEVER, NULL);
	queue_msg_set_params(m, is_8bit, is_utf8, true, NULL);
	m->size = b->len;
	if ((rc = db->ops->insert(db, m, b)) == 0)
		log_info("queue event=dsn id=%s to=<%s> size=%llu", m->id,
		    rcpt, (unsigned long long)m->size);
	queue_msg_free(m);
	return rc;
}
