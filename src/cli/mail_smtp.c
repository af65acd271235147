/* A blocking SMTP submission client for one message (RFC 6409): EHLO,
 * STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH PLAIN (RFC 4954,
 * RFC 4616), MAIL, RCPT, DATA with dot-stuffing (RFC 5321 4.5.2), 8-bit
 * data declared (RFC 6152) or downgraded. Replies and EHLO keywords are
 * read with the queue's SMTP client parser (smtp_client.h).
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/b64.h"
#include "mime/mime.h"
#include "smtp/smtp_client.h"
#include "mail_int.h"

/* Read one reply (RFC 5321 4.2.1) with the queue's reply parser. 0, or
 * -1 printed. */
static int
reply_read(struct mail_conn *c, struct smtp_client_reply *r)
{
	struct buf line = BUF_INIT;
	int rc;

	smtp_client_reply_reset(r);
	do {
		if (mail_conn_line(c, &line) == -1) {
			buf_free(&line);
			return -1;
		}
		rc = smtp_client_reply_feed(r, line.data, line.len);
	} while (rc == 0);
	buf_free(&line);
	if (rc == -1) {
		fprintf(stderr, "petrel mail: %s: bad SMTP reply\n", c->host);
		return -1;
	}
	return 0;
}

/* Expect a reply in the class want (2 or 3), left in r. 0, or -1 with
 * the server's words printed. */
static int
expect(struct mail_conn *c, struct smtp_client_reply *r, int want,
    const char *what)
{
	char summary[512];

	if (reply_read(c, r) == -1)
		return -1;
	if (r->code / 100 == want)
		return 0;
	smtp_client_reply_summary(r, summary, sizeof(summary));
	fprintf(stderr, "petrel mail: %s: %s refused: %s\n", c->host, what,
	    summary);
	return -1;
}

static int
ehlo(struct mail_conn *c, struct smtp_client_reply *r,
    struct smtp_client_ext *ext)
{
	if (mail_conn_printf(c, "EHLO localhost\r\n") == -1 ||
	    expect(c, r, 2, "EHLO") == -1)
		return -1;
	smtp_client_ext_parse(r, ext);
	return 0;
}

static int
greet(struct mail_conn *c, const struct mail_account *acct,
    struct smtp_client_reply *r, struct smtp_client_ext *ext)
{
	if (expect(c, r, 2, "connection") == -1 || ehlo(c, r, ext) == -1)
		return -1;
	if (acct->smtp.tls != MAIL_TLS_STARTTLS)
		return 0;
	if (!ext->has_starttls) {
		fprintf(stderr, "petrel mail: %s: the server does not offer "
		    "STARTTLS\n", c->host);
		return -1;
	}
	if (mail_conn_printf(c, "STARTTLS\r\n") == -1 ||
	    expect(c, r, 2, "STARTTLS") == -1 ||
	    mail_conn_starttls(c, acct->ca_file) == -1)
		return -1;
	/* RFC 3207 4.2: forget what was learnt before TLS. */
	return ehlo(c, r, ext);
}

static int
auth_plain(struct mail_conn *c, struct smtp_client_reply *r,
    const struct smtp_client_ext *ext, const char *user,
    const char *password)
{
	struct buf raw = BUF_INIT, enc = BUF_INIT;
	int rc;

	if (!ext->has_auth_plain) {
		fprintf(stderr, "petrel mail: %s: the server offers no AUTH "
		    "PLAIN\n", c->host);
		return -1;
	}
	buf_addc(&raw, '\0');
	buf_adds(&raw, user);
	buf_addc(&raw, '\0');
	buf_adds(&raw, password);
	b64_encode(raw.data, raw.len, &enc);
	rc = mail_conn_printf(c, "AUTH PLAIN %s\r\n", buf_cstr(&enc));
	if (rc == 0)
		rc = expect(c, r, 2, "login (AUTH PLAIN)");
	explicit_bzero(raw.data, raw.len);
	explicit_bzero(enc.data, enc.len);
	buf_free(&raw);
	buf_free(&enc);
	return rc;
}

/* Send msg dot-stuffed, every line ended with CRLF, then ".". */
static int
data_write(struct mail_conn *c, const struct buf *msg)
{
	struct buf out = BUF_INIT;
	size_t i;
	bool is_bol = true;
	int rc;

	for (i = 0; i < msg->len; i++) {
		char ch = msg->data[i];

		if (is_bol && ch == '.')
			buf_addc(&out, '.');
		if (ch == '\n' && (i == 0 || msg->data[i - 1] != '\r'))
			buf_addc(&out, '\r');
		buf_addc(&out, ch);
		is_bol = ch == '\n';
	}
	if (!is_bol)
		buf_adds(&out, "\r\n");
	buf_adds(&out, ".\r\n");
	rc = mail_conn_write(c, out.data, out.len);
	buf_free(&out);
	return rc;
}

static bool
is_8bit(const struct buf *msg)
{
	size_t i;

	for (i = 0; i < msg->len; i++)
		if ((unsigned char)msg->data[i] >= 0x80)
			return true;
	return false;
}

static int
transaction(struct mail_conn *c, struct smtp_client_reply *r,
    const struct smtp_client_ext *ext, const char *sender, char **rcpts,
    size_t nrcpts, const struct buf *msg)
{
	bool has_8bit = is_8bit(msg);
	size_t i;

	/* RFC 6152: declare 8-bit data (the caller downgraded the message
	 * when the server cannot take it). */
	if (mail_conn_printf(c, "MAIL FROM:<%s>%s\r\n", sender,
	    has_8bit && ext->has_8bitmime ? " BODY=8BITMIME" : "") == -1 ||
	    expect(c, r, 2, "sender") == -1)
		return -1;
	for (i = 0; i < nrcpts; i++) {
		if (mail_conn_printf(c, "RCPT TO:<%s>\r\n", rcpts[i]) == -1)
			return -1;
		if (expect(c, r, 2, rcpts[i]) == -1)
			return -1;
	}
	if (mail_conn_printf(c, "DATA\r\n") == -1 ||
	    expect(c, r, 3, "DATA") == -1 || data_write(c, msg) == -1 ||
	    expect(c, r, 2, "message") == -1)
		return -1;
	return 0;
}

int
mail_smtp_send(const struct mail_account *acct, const char *password,
    const char *sender, char **rcpts, size_t nrcpts, const struct buf *msg)
{
	struct smtp_client_reply r;
	struct smtp_client_ext ext;
	struct buf seven = BUF_INIT;
	struct mail_conn *c;
	int rc = -1;

	if (acct->smtp.host == NULL) {
		fprintf(stderr, "petrel mail: account %s has no smtp server\n",
		    acct->name);
		return -1;
	}
	if ((c = mail_conn_open(&acct->smtp, acct->ca_file)) == NULL)
		return -1;
	smtp_client_reply_init(&r);
	memset(&ext, 0, sizeof(ext));
	if (greet(c, acct, &r, &ext) == -1 ||
	    auth_plain(c, &r, &ext, acct->user, password) == -1)
		goto fail;
	if (!ext.has_8bitmime && is_8bit(msg)) {
		mime_downgrade(msg->data, msg->len, &seven);
		msg = &seven;
	}
	if (transaction(c, &r, &ext, sender, rcpts, nrcpts, msg) == -1)
		goto fail;
	mail_conn_printf(c, "QUIT\r\n");
	rc = 0;
fail:
	smtp_client_reply_fini(&r);
	buf_free(&seven);
	mail_conn_free(c);
	return rc;
}
