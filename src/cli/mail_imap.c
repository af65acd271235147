/* A small blocking IMAP4rev1 client (RFC 3501) for `petrel mail`: tagged
 * commands, untagged responses with their literals read inline (7.5),
 * STARTTLS (6.2.1), LOGIN, SELECT, APPEND with a synchronising literal.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail_int.h"

/* If line ends with "{n}" or "{n+}", n; else -1. */
static long long
literal_len(const struct buf *line)
{
	const char *errstr;
	size_t end = line->len, start;
	uint64_t n;

	if (end < 3 || line->data[end - 1] != '}')
		return -1;
	end--;
	if (line->data[end - 1] == '+')
		end--;
	start = end;
	while (start > 0 && line->data[start - 1] >= '0' &&
	    line->data[start - 1] <= '9')
		start--;
	if (start == end || start == 0 || line->data[start - 1] != '{')
		return -1;
	n = str_to_uint_n(line->data + start, end - start, 0,
	    (uint64_t)1 << 40, &errstr);
	return errstr != NULL ? -1 : (long long)n;
}

/* Read one whole response into im->resp: its lines with CRLF between
 * them, literals appended after their "{n}" CRLF. 0, or -1. */
static int
resp_read(struct mail_imap *im)
{
	struct buf line = BUF_INIT;
	long long n;
	int rc = -1;

	buf_reset(&im->resp);
	for (;;) {
		if (mail_conn_line(im->conn, &line) == -1)
			goto fail;
		buf_add(&im->resp, line.data, line.len);
		if ((n = literal_len(&line)) < 0)
			break;
		buf_adds(&im->resp, "\r\n");
		if (mail_conn_read(im->conn, (size_t)n, &im->resp) == -1)
			goto fail;
	}
	rc = 0;
fail:
	buf_free(&line);
	return rc;
}

/* Read until the tagged response for tag. 0 for OK, -1 otherwise. */
static int
resp_wait(struct mail_imap *im, const char *tag, mail_imap_cb *cb,
    void *arg)
{
	size_t tlen = strlen(tag);

	for (;;) {
		if (resp_read(im) == -1)
			return -1;
		if (im->resp.len >= 2 && memcmp(im->resp.data, "* ", 2) == 0) {
			if (cb != NULL)
				cb(im->resp.data + 2, im->resp.len - 2, arg);
			continue;
		}
		if (im->resp.len > tlen && memcmp(im->resp.data, tag,
		    tlen) == 0 && im->resp.data[tlen] == ' ')
			break;
	}
	if (str_iprefix(im->resp.data + tlen + 1, im->resp.len - tlen - 1,
	    "OK"))
		return 0;
	fprintf(stderr, "petrel mail: %s: %s\n", im->conn->host,
	    buf_cstr(&im->resp) + tlen + 1);
	return -1;
}

static int	cmd_va(struct mail_imap *, mail_imap_cb *, void *,
		    const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

static int
cmd_va(struct mail_imap *im, mail_imap_cb *cb, void *arg, const char *fmt,
    va_list ap)
{
	char tag[16], *s;
	int n, rc;

	snprintf(tag, sizeof(tag), "a%u", ++im->tag);
	if ((n = vasprintf(&s, fmt, ap)) == -1)
		fatal("vasprintf");
	rc = mail_conn_printf(im->conn, "%s %s\r\n", tag, s);
	free(s);
	if (rc == -1)
		return -1;
	return resp_wait(im, tag, cb, arg);
}

int
mail_imap_cmd(struct mail_imap *im, mail_imap_cb *cb, void *arg,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cmd_va(im, cb, arg, fmt, ap);
	va_end(ap);
	return rc;
}

void
mail_imap_quote(struct buf *out, const char *s)
{
	const char *p;

	/* RFC 3501 4.3: quoted strings are 7-bit without CR and LF. */
	for (p = s; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n' || (unsigned char)*p >= 0x80)
			break;
	if (*p != '\0') {
		buf_addf(out, "{%zu+}\r\n%s", strlen(s), s);
		return;
	}
	buf_addc(out, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(out, '\\');
		buf_addc(out, *p);
	}
	buf_addc(out, '"');
}

static int
greet(struct mail_imap *im, const struct mail_account *acct)
{
	if (resp_read(im) == -1)
		return -1;
	if (!str_iprefix(im->resp.data, im->resp.len, "* OK")) {
		fprintf(stderr, "petrel mail: %s: not an IMAP server: %s\n",
		    im->conn->host, buf_cstr(&im->resp));
		return -1;
	}
	if (acct->imap.tls != MAIL_TLS_STARTTLS)
		return 0;
	if (mail_imap_cmd(im, NULL, NULL, "STARTTLS") == -1) {
		fprintf(stderr, "petrel mail: %s: the server refused "
		    "STARTTLS\n", im->conn->host);
		return -1;
	}
	return mail_conn_starttls(im->conn, acct->ca_file);
}

static int
login(struct mail_imap *im, const char *user, const char *password)
{
	struct buf cmd = BUF_INIT;
	char tag[16];
	int rc;

	snprintf(tag, sizeof(tag), "a%u", ++im->tag);
	buf_addf(&cmd, "%s LOGIN ", tag);
	mail_imap_quote(&cmd, user);
	buf_addc(&cmd, ' ');
	mail_imap_quote(&cmd, password);
	buf_adds(&cmd, "\r\n");
	rc = mail_conn_write(im->conn, cmd.data, cmd.len);
	explicit_bzero(cmd.data, cmd.len);
	buf_free(&cmd);
	if (rc == 0)
		rc = resp_wait(im, tag, NULL, NULL);
	if (rc == -1)
		fprintf(stderr, "petrel mail: login as %s failed\n", user);
	return rc;
}

struct mail_imap *
mail_imap_open(const struct mail_account *acct, const char *password)
{
	struct mail_imap *im;
	struct mail_conn *c;

	if (acct->imap.host == NULL) {
		fprintf(stderr, "petrel mail: account %s has no imap server\n",
		    acct->name);
		return NULL;
	}
	if ((c = mail_conn_open(&acct->imap, acct->ca_file)) == NULL)
		return NULL;
	im = xcalloc(1, sizeof(*im));
	im->conn = c;
	if (greet(im, acct) == -1 || login(im, acct->user, password) == -1) {
		mail_conn_free(im->conn);
		buf_free(&im->resp);
		free(im);
		return NULL;
	}
	return im;
}

void
mail_imap_close(struct mail_imap *im)
{
	if (im == NULL)
		return;
	if (!im->conn->is_eof)
		mail_imap_cmd(im, NULL, NULL, "LOGOUT");
	mail_conn_free(im->conn);
	buf_free(&im->resp);
	free(im);
}

int
mail_imap_append(struct mail_imap *im, const char *mailbox,
    const char *flags, const struct buf *msg)
{
	struct buf cmd = BUF_INIT;
	char tag[16];
	int rc = -1;

	snprintf(tag, sizeof(tag), "a%u", ++im->tag);
	buf_addf(&cmd, "%s APPEND ", tag);
	mail_imap_quote(&cmd, mailbox);
	buf_addf(&cmd, " %s {%zu}\r\n", flags, msg->len);
	if (mail_conn_write(im->conn, cmd.data, cmd.len) == -1)
		goto fail;
	/* RFC 3501 7.5: wait for the continuation before the literal. */
	if (resp_read(im) == -1)
		goto fail;
	if (im->resp.len == 0 || im->resp.data[0] != '+') {
		fprintf(stderr, "petrel mail: %s: APPEND to %s refused: %s\n",
		    im->conn->host, mailbox, buf_cstr(&im->resp));
		goto fail;
	}
	if (mail_conn_write(im->conn, msg->data, msg->len) == -1 ||
	    mail_conn_write(im->conn, "\r\n", 2) == -1)
		goto fail;
	rc = resp_wait(im, tag, NULL, NULL);
fail:
	buf_free(&cmd);
	return rc;
}

static void
select_cb(const char *p, size_t len, void *arg)
{
	struct mail_imap *im = arg;
	const char *errstr, *sp = str_chr(p, len, ' ');
	uint64_t n;

	if (sp == NULL || !str_ieq(sp + 1, len - (size_t)(sp + 1 - p),
	    "EXISTS"))
		return;
	n = str_to_uint_n(p, (size_t)(sp - p), 0, UINT32_MAX, &errstr);
	if (errstr == NULL)
		im->exists = (unsigned)n;
}

int
mail_imap_select(struct mail_imap *im, const char *mailbox,
    bool is_readonly)
{
	struct buf q = BUF_INIT;
	int rc;

	mail_imap_quote(&q, mailbox);
	im->exists = 0;
	rc = mail_imap_cmd(im, select_cb, im, "%s %s",
	    is_readonly ? "EXAMINE" : "SELECT", buf_cstr(&q));
	buf_free(&q);
	return rc;
}

struct fetch_arg {
	struct buf	*out;
	bool		 has_body;
};

/* "N FETCH (... BODY[] {n}CRLF...)": keep the literal. */
static void
fetch_cb(const char *p, size_t len, void *arg)
{
	struct fetch_arg *fa = arg;
	struct mail_imap_tok t = { p, len, 0 };
	const char *v;
	size_t vlen;

	if (!mail_imap_tok_item(&t, &v, &vlen) ||
	    !mail_imap_tok_item(&t, &v, &vlen) ||
	    !str_ieq(v, vlen, "FETCH") || !mail_imap_tok_open(&t))
		return;
	while (mail_imap_tok_item(&t, &v, &vlen)) {
		if (str_ieq(v, vlen, "BODY[]")) {
			if (mail_imap_tok_item(&t, &v, &vlen)) {
				buf_add(fa->out, v, vlen);
				fa->has_body = true;
			}
			continue;
		}
		mail_imap_tok_skip(&t);
	}
}

int
mail_imap_fetch_msg(struct mail_imap *im, unsigned n, bool is_peek,
    struct buf *out)
{
	struct fetch_arg fa = { out, false };

	if (mail_imap_cmd(im, fetch_cb, &fa, "FETCH %u %s", n,
	    is_peek ? "BODY.PEEK[]" : "BODY[]") == -1)
		return -1;
	if (!fa.has_body) {
		fprintf(stderr, "petrel mail: no message %u\n", n);
		return -1;
	}
	return 0;
}
