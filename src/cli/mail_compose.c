/* Composing and sending for `petrel mail`: the body from standard input
 * or $EDITOR, attachments typed from their contents and name, the
 * message built with the MIME library, submitted over SMTP and copied to
 * the Sent folder over IMAP.
 * SPDX-License-Identifier: ISC */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "mail_int.h"

int
mail_file_read(const char *path, struct buf *out)
{
	char tmp[65536];
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (fd != STDIN_FILENO)
				close(fd);
			return -1;
		}
		buf_add(out, tmp, (size_t)n);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

static const struct {
	const char	*magic;
	size_t		 len;
	const char	*type;
} magics[] = {
	{ "%PDF-", 5, "application/pdf" },
	{ "\x89PNG\r\n\x1a\n", 8, "image/png" },
	{ "\xff\xd8\xff", 3, "image/jpeg" },
	{ "GIF87a", 6, "image/gif" },
	{ "GIF89a", 6, "image/gif" },
	{ "PK\x03\x04", 4, "application/zip" },
	{ "\x1f\x8b", 2, "application/gzip" },
};

static const struct {
	const char	*ext;
	const char	*type;
} exts[] = {
	{ "txt", "text/plain" }, { "html", "text/html" },
	{ "htm", "text/html" }, { "csv", "text/csv" },
	{ "pdf", "application/pdf" }, { "png", "image/png" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "zip", "application/zip" },
	{ "gz", "application/gzip" }, { "json", "application/json" },
	{ "eml", "message/rfc822" }, { "ics", "text/calendar" },
	{ "svg", "image/svg+xml" }, { "xml", "application/xml" },
};

const char *
mail_file_type(const char *name, const void *p, size_t len)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	/* Contents first: a name can lie, a signature rarely does. */
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len &&
		    memcmp(p, magics[i].magic, magics[i].len) == 0)
			return magics[i].type;
	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
			if (strcasecmp(dot + 1, exts[i].ext) == 0)
				return exts[i].type;
	}
	if (memchr(p, '\0', len) == NULL && mime_utf8_is_valid(p, len))
		return "text/plain";
	return "application/octet-stream";
}

/* Run $EDITOR (vi) on a temporary file and read it back into body. */
static int
body_edit(struct buf *body)
{
	const char *editor = getenv("EDITOR");
	char path[] = "/tmp/petrel-mail-XXXXXX";
	char *cmd;
	int fd, status, rc = -1;

	if (editor == NULL || *editor == '\0')
		editor = "vi";
	if ((fd = mkstemp(path)) == -1) {
		fprintf(stderr, "petrel mail: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	cmd = xasprintf("%s '%s'", editor, path);
	status = system(cmd);
	free(cmd);
	if (status != 0 || !WIFEXITED(status))
		fprintf(stderr, "petrel mail: the editor failed; not sent\n");
	else if (mail_file_read(path, body) == -1)
		fprintf(stderr, "petrel mail: %s: %s\n", path, strerror(errno));
	else
		rc = 0;
	unlink(path);
	return rc;
}

int
mail_draft_body(struct mail_draft *d)
{
	if (d->has_body)
		return 0;
	if (isatty(STDIN_FILENO)) {
		if (body_edit(&d->body) == -1)
			return -1;
	} else if (mail_file_read("-", &d->body) == -1) {
		fprintf(stderr, "petrel mail: stdin: %s\n", strerror(errno));
		return -1;
	}
	d->has_body = true;
	return 0;
}

/* Every addr-spec of the list text into *v. -1 when none parsed. */
static int
rcpts_add(const struct buf *list, char ***v, size_t *n)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;
	size_t i;

	if (list->len == 0)
		return 0;
	mime_addr_parse(list->data, list->len, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX || l.v[i].domain == NULL)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrdup(buf_cstr(&spec));
	}
	mime_addr_list_free(&l);
	buf_free(&spec);
	return 0;
}

static int
attach_all(struct mime_build *b, const struct mail_draft *d)
{
	struct buf data = BUF_INIT;
	const char *base;
	size_t i;

	for (i = 0; i < d->nattach; i++) {
		buf_reset(&data);
		if (mail_file_read(d->attach[i], &data) == -1) {
			fprintf(stderr, "petrel mail: attachment %s: %s\n",
			    d->attach[i], strerror(errno));
			buf_free(&data);
			return -1;
		}
		base = strrchr(d->attach[i], '/');
		base = base != NULL ? base + 1 : d->attach[i];
		mime_build_attach(b, base, mail_file_type(base, data.data,
		    data.len), data.data, data.len);
	}
	buf_free(&data);
	return 0;
}

static void
headers_add(struct mime_build *b, const struct mail_account *acct,
    struct mail_draft *d)
{
	mime_build_header(b, "From", acct->from != NULL ? acct->from :
	    acct->user);
	if (d->to.len > 0)
		mime_build_header(b, "To", buf_cstr(&d->to));
	if (d->cc.len > 0)
		mime_build_header(b, "Cc", buf_cstr(&d->cc));
	if (d->reply_to != NULL)
		mime_build_header(b, "Reply-To", d->reply_to);
	mime_build_header(b, "Subject", d->subject != NULL ? d->subject :
	    "");
	if (d->in_reply_to != NULL)
		mime_build_header(b, "In-Reply-To", d->in_reply_to);
	if (d->references != NULL)
		mime_build_header(b, "References", d->references);
}

/* Build the message into out. 0, or -1 printed. */
static int
draft_build(struct mail_ctx *mc, struct mail_draft *d, struct buf *out)
{
	struct mime_build *b = mime_build_new(MIME_BUILD_8BIT);
	int rc = -1;

	headers_add(b, mc->acct, d);
	mime_build_text(b, d->body.data != NULL ? d->body.data : "",
	    d->body.len);
	if (attach_all(b, d) == -1)
		goto fail;
	if (d->forward.len > 0)
		mime_build_forward(b, d->forward.data, d->forward.len);
	mime_build_write(b, out);
	rc = 0;
fail:
	mime_build_free(b);
	return rc;
}

static void
sent_copy(struct mail_ctx *mc, const struct buf *msg)
{
	const char *sent = mc->acct->sent != NULL ? mc->acct->sent : "Sent";
	struct mail_imap *im;

	if (mc->acct->imap.host == NULL || strcmp(sent, "none") == 0)
		return;
	if ((im = mail_imap_open(mc->acct, mc->password)) == NULL ||
	    mail_imap_append(im, sent, "(\\Seen)", msg) == -1)
		fprintf(stderr, "petrel mail: sent, but no copy kept in %s\n",
		    sent);
	mail_imap_close(im);
}

/* The envelope sender: user when it is an address, else the address in
 * from. A heap string. */
static char *
sender_get(const struct mail_account *acct)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf spec = BUF_INIT;

	if (strchr(acct->user, '@') != NULL || acct->from == NULL)
		return xstrdup(acct->user);
	mime_addr_parse(acct->from, strlen(acct->from), &l);
	if (l.n > 0 && l.v[0].kind == MIME_ADDR_MAILBOX)
		mime_addr_spec_write(&l.v[0], &spec);
	else
		buf_adds(&spec, acct->user);
	mime_addr_list_free(&l);
	return buf_release(&spec);
}

int
mail_draft_send(struct mail_ctx *mc, struct mail_draft *d)
{
	struct buf msg = BUF_INIT;
	char **rcpts = NULL;
	size_t nrcpts = 0, i;
	char *sender = NULL;
	int rc = -1;

	rcpts_add(&d->to, &rcpts, &nrcpts);
	rcpts_add(&d->cc, &rcpts, &nrcpts);
	rcpts_add(&d->bcc, &rcpts, &nrcpts);
	if (nrcpts == 0) {
		fprintf(stderr, "petrel mail: no recipient\n");
		goto fail;
	}
	/* Attachments first: a missing file must not cost a typed body. */
	if (draft_build(mc, d, &msg) == -1)
		goto fail;
	buf_reset(&msg);
	if (mail_draft_body(d) == -1 || draft_build(mc, d, &msg) == -1)
		goto fail;
	sender = sender_get(mc->acct);
	if (mail_smtp_send(mc->acct, mc->password, sender, rcpts, nrcpts,
	    &msg) == -1)
		goto fail;
	sent_copy(mc, &msg);
	rc = 0;
fail:
	for (i = 0; i < nrcpts; i++)
		free(rcpts[i]);
	free(rcpts);
	free(sender);
	buf_free(&msg);
	return rc;
}

void
mail_draft_free(struct mail_draft *d)
{
	buf_free(&d->to);
	buf_free(&d->cc);
	buf_free(&d->bcc);
	free(d->subject);
	free(d->reply_to);
	free(d->in_reply_to);
	free(d->references);
	buf_free(&d->body);
	free(d->attach);
	buf_free(&d->forward);
}

static void
list_add(struct buf *b, const char *s)
{
	if (b->len > 0)
		buf_adds(b, ", ");
	buf_adds(b, s);
}

int
mail_cmd_send(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_draft d;
	int ch, rc;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt(argc, argv, "a:b:c:r:s:")) != -1) {
		switch (ch) {
		case 'a':
			d.attach = xreallocarray(d.attach, d.nattach + 1,
			    sizeof(*d.attach));
			d.attach[d.nattach++] = optarg;
			break;
		case 'b':
			list_add(&d.bcc, optarg);
			break;
		case 'c':
			list_add(&d.cc, optarg);
			break;
		case 'r':
			free(d.reply_to);
			d.reply_to = xstrdup(optarg);
			break;
		case 's':
			free(d.subject);
			d.subject = xstrdup(optarg);
			break;
		default:
			mail_draft_free(&d);
			return 2;
		}
	}
	for (; optind < argc; optind++)
		list_add(&d.to, argv[optind]);
	rc = mail_draft_send(mc, &d) == 0 ? 0 : 1;
	mail_draft_free(&d);
	return rc;
}
