/* petrel mail against a POP3 account (RFC 1939): list, read, save and
 * delete, with STLS (RFC 2595) or implicit TLS and USER/PASS. Messages
 * stay on the server unless deleted by the delete command.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/str.h"
#include "mime/mime.h"
#include "mail_int.h"

/* Read a status line; 0 for "+OK", -1 (printed with what) otherwise. */
static int
status(struct mail_conn *c, const char *what)
{
	struct buf line = BUF_INIT;
	int rc = -1;

	if (mail_conn_line(c, &line) == -1)
		goto fail;
	if (str_iprefix(line.data, line.len, "+OK"))
		rc = 0;
	else
		fprintf(stderr, "petrel mail: %s: %s refused: %s\n", c->host,
		    what, buf_cstr(&line));
fail:
	buf_free(&line);
	return rc;
}

/* A multi-line response after its "+OK", dot-unstuffed (RFC 1939 3). */
static int
multiline(struct mail_conn *c, struct buf *out)
{
	struct buf line = BUF_INIT;
	int rc = -1;

	for (;;) {
		if (mail_conn_line(c, &line) == -1)
			goto fail;
		if (line.len == 1 && line.data[0] == '.')
			break;
		if (line.len > 0 && line.data[0] == '.')
			buf_add(out, line.data + 1, line.len - 1);
		else
			buf_add(out, line.data, line.len);
		buf_adds(out, "\r\n");
	}
	rc = 0;
fail:
	buf_free(&line);
	return rc;
}

static int
pop3_login(struct mail_conn *c, const struct mail_ctx *mc)
{
	const struct mail_account *acct = mc->acct;
	int rc;

	if (status(c, "connection") == -1)
		return -1;
	if (acct->pop3.tls == MAIL_TLS_STARTTLS &&
	    (mail_conn_printf(c, "STLS\r\n") == -1 ||
	    status(c, "STLS") == -1 ||
	    mail_conn_starttls(c, acct->ca_file) == -1))
		return -1;
	if (mail_conn_printf(c, "USER %s\r\n", acct->user) == -1 ||
	    status(c, "USER") == -1)
		return -1;
	rc = mail_conn_printf(c, "PASS %s\r\n", mc->password);
	if (rc == 0 && (rc = status(c, "PASS")) == -1)
		fprintf(stderr, "petrel mail: login as %s failed\n",
		    acct->user);
	return rc;
}

/* The number of messages (STAT). */
static int
pop3_count(struct mail_conn *c, unsigned *n_out)
{
	struct buf line = BUF_INIT;
	const char *errstr = "bad STAT reply", *sp;
	int rc = -1;

	if (mail_conn_printf(c, "STAT\r\n") == -1 ||
	    mail_conn_line(c, &line) == -1)
		goto fail;
	if (str_iprefix(line.data, line.len, "+OK ")) {
		sp = str_chr(line.data + 4, line.len - 4, ' ');
		*n_out = (unsigned)str_to_uint_n(line.data + 4, sp != NULL ?
		    (size_t)(sp - line.data - 4) : line.len - 4, 0,
		    UINT32_MAX, &errstr);
	}
	if (errstr != NULL)
		fprintf(stderr, "petrel mail: %s: %s\n", c->host, errstr);
	else
		rc = 0;
fail:
	buf_free(&line);
	return rc;
}

static int
pop3_get(struct mail_conn *c, unsigned n, bool is_head, struct buf *out)
{
	if (is_head)
		mail_conn_printf(c, "TOP %u 0\r\n", n);
	else
		mail_conn_printf(c, "RETR %u\r\n", n);
	if (status(c, is_head ? "TOP" : "RETR") == -1)
		return -1;
	return multiline(c, out);
}

static int
list_one(struct mail_conn *c, unsigned n)
{
	struct buf h = BUF_INIT, from = BUF_INIT, subj = BUF_INIT;
	struct mime_field f;
	struct tm tm;
	time_t t;
	int tz;
	char date[32] = "?";

	if (pop3_get(c, n, true, &h) == -1) {
		buf_free(&h);
		return -1;
	}
	mail_show_header(h.data, h.len, "From", &from);
	mail_show_header(h.data, h.len, "Subject", &subj);
	if (mime_hdr_find(h.data, h.len, "Date", &f) &&
	    mime_date_parse(f.value, f.valuelen, &t, &tz) == 0 &&
	    localtime_r(&t, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	printf("%4u      %-16s %-24.24s %s\n", n, date, buf_cstr(&from),
	    buf_cstr(&subj));
	buf_free(&h);
	buf_free(&from);
	buf_free(&subj);
	return 0;
}

static unsigned
msgno(const char *s, unsigned count)
{
	const char *errstr;
	unsigned n = (unsigned)str_to_uint(s, 1, UINT32_MAX, &errstr);

	if (errstr != NULL || n > count) {
		fprintf(stderr, "petrel mail: no message %s (the mailbox has "
		    "%u)\n", s, count);
		return 0;
	}
	return n;
}

/* Run one command on the open session. */
static int
pop3_run(struct mail_conn *c, unsigned count, int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	unsigned i, n = 0;
	int rc = -1;

	if (strcmp(argv[0], "list") == 0) {
		if (count == 0)
			printf("no messages in INBOX\n");
		for (i = 1; i <= count; i++)
			if (list_one(c, i) == -1)
				goto fail;
		rc = 0;
	} else if (argc < 2 || (n = msgno(argv[1], count)) == 0)
		goto fail;
	else if (strcmp(argv[0], "read") == 0 && argc == 2) {
		if ((rc = pop3_get(c, n, false, &msg)) == 0)
			mail_show_message(msg.data, msg.len, stdout);
	} else if (strcmp(argv[0], "save") == 0 && (argc == 3 || argc == 4)) {
		if ((rc = pop3_get(c, n, false, &msg)) == 0)
			rc = mail_save_part(msg.data, msg.len, argv[2],
			    argc == 4 ? argv[3] : NULL);
	} else if (strcmp(argv[0], "delete") == 0 && argc == 2) {
		if (mail_conn_printf(c, "DELE %u\r\n", n) == 0)
			rc = status(c, "DELE");
	}
fail:
	buf_free(&msg);
	return rc;
}

int
mail_pop3_main(struct mail_ctx *mc, int argc, char **argv)
{
	static const char *const cmds[] = { "list", "read", "save",
	    "delete" };
	struct mail_conn *c;
	unsigned count = 0;
	size_t i;
	int rc = 1;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i]) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "petrel mail: %s: not available over POP3 "
		    "(account %s)\n", argv[0], mc->acct->name);
		return 1;
	}
	if ((c = mail_conn_open(&mc->acct->pop3, mc->acct->ca_file)) == NULL)
		return 1;
	if (pop3_login(c, mc) == 0 && pop3_count(c, &count) == 0 &&
	    pop3_run(c, count, argc, argv) == 0) {
		/* RFC 1939 6: QUIT commits a DELE. */
		if (mail_conn_printf(c, "QUIT\r\n") == 0 &&
		    status(c, "QUIT") == 0)
			rc = 0;
	}
	mail_conn_free(c);
	return rc;
}
