/* reply, reply-all and forward for `petrel mail`: the recipients from
 * Reply-To or From (and To and Cc for all), "Re:"/"Fwd:" subjects, the
 * original quoted, In-Reply-To and References (RFC 5322 3.6.4), a
 * forward inline or as a message/rfc822 attachment (RFC 2046 5.2.1).
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "mail_int.h"

/* The unfolded raw value of a field, or NULL. */
static char *
field_raw(const struct buf *msg, const char *name)
{
	struct mime_field f;
	struct buf v = BUF_INIT;

	if (!mime_hdr_find(msg->data, msg->len, name, &f))
		return NULL;
	mime_hdr_unfold(f.value, f.valuelen, &v);
	return buf_release(&v);
}

static char *
subject_prefixed(const struct buf *msg, const char *prefix)
{
	struct buf subj = BUF_INIT, out = BUF_INIT;

	mail_show_header(msg->data, msg->len, "Subject", &subj);
	if (!str_iprefix(subj.data != NULL ? subj.data : "", subj.len,
	    prefix))
		buf_addf(&out, "%s ", prefix);
	buf_add(&out, subj.data != NULL ? subj.data : "", subj.len);
	buf_free(&subj);
	return buf_release(&out);
}

/* True when the addr-spec appears in list (a written address list). */
static bool
addr_in(struct buf *list, const char *spec)
{
	return list->len > 0 && strcasestr(buf_cstr(list), spec) != NULL;
}

/* Append the mailboxes of field name to list, skipping the account's
 * own address and those already in list or in other. */
static void
addrs_add(const struct buf *msg, const char *name, const char *self,
    struct buf *list, struct buf *other)
{
	struct mime_addr_list l = { NULL, 0 };
	struct mime_field f;
	struct mime_addr_list one;
	struct buf spec = BUF_INIT;
	size_t i;

	if (!mime_hdr_find(msg->data, msg->len, name, &f))
		return;
	mime_addr_parse(f.value, f.valuelen, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != MIME_ADDR_MAILBOX)
			continue;
		buf_reset(&spec);
		mime_addr_spec_write(&l.v[i], &spec);
		if (strcasecmp(buf_cstr(&spec), self) == 0 ||
		    addr_in(list, buf_cstr(&spec)) ||
		    addr_in(other, buf_cstr(&spec)))
			continue;
		one.v = &l.v[i];
		one.n = 1;
		if (list->len > 0)
			buf_adds(list, ", ");
		mime_addr_list_write(&one, 0, MIME_WRITE_UTF8, list);
	}
	buf_free(&spec);
	mime_addr_list_free(&l);
}

/* "On DATE, SENDER wrote:" and the text with "> " before each line. */
static void
quote_add(const struct buf *msg, struct buf *body)
{
	struct buf text = BUF_INIT, from = BUF_INIT, date = BUF_INIT;
	size_t i;
	bool is_bol = true;

	mail_show_text(msg->data, msg->len, &text);
	mail_show_header(msg->data, msg->len, "From", &from);
	mail_show_header(msg->data, msg->len, "Date", &date);
	if (body->len > 0 && body->data[body->len - 1] != '\n')
		buf_addc(body, '\n');
	buf_addf(body, "\nOn %s, %s wrote:\n", buf_cstr(&date),
	    buf_cstr(&from));
	for (i = 0; i < text.len; i++) {
		if (is_bol)
			buf_adds(body, text.data[i] == '>' ? ">" : "> ");
		buf_addc(body, text.data[i]);
		is_bol = text.data[i] == '\n';
	}
	if (!is_bol)
		buf_addc(body, '\n');
	buf_free(&text);
	buf_free(&from);
	buf_free(&date);
}

static void
references_set(struct mail_draft *d, const struct buf *msg)
{
	char *id = field_raw(msg, "Message-ID");
	char *refs = field_raw(msg, "References");

	if (id != NULL) {
		d->in_reply_to = xstrdup(id);
		d->references = refs != NULL ? xasprintf("%s %s", refs, id) :
		    xstrdup(id);
	}
	free(id);
	free(refs);
}

/* Fetch message argv[1] (peeking) into msg and read the new text. */
static struct mail_imap *
original_get(struct mail_ctx *mc, const char *num, unsigned *n_out,
    struct buf *msg, struct mail_draft *d)
{
	struct mail_imap *im;

	if ((im = mail_imap_session(mc, false)) == NULL)
		return NULL;
	if ((*n_out = mail_msgno(im, num)) == 0 ||
	    mail_imap_fetch_msg(im, *n_out, true, msg) == -1 ||
	    mail_draft_body(d) == -1) {
		mail_imap_close(im);
		return NULL;
	}
	return im;
}

int
mail_cmd_reply(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_draft d;
	struct mail_imap *im;
	struct buf msg = BUF_INIT;
	struct mime_field f;
	const char *self = mc->acct->from != NULL ? mc->acct->from :
	    mc->acct->user;
	unsigned n;
	int rc = 1;

	if (argc != 2)
		return 2;
	memset(&d, 0, sizeof(d));
	if ((im = original_get(mc, argv[1], &n, &msg, &d)) == NULL)
		goto fail;
	addrs_add(&msg, mime_hdr_find(msg.data, msg.len, "Reply-To", &f) ?
	    "Reply-To" : "From", "", &d.to, &d.cc);
	if (strcmp(argv[0], "reply-all") == 0) {
		addrs_add(&msg, "To", self, &d.cc, &d.to);
		addrs_add(&msg, "Cc", self, &d.cc, &d.to);
	}
	d.subject = subject_prefixed(&msg, "Re:");
	references_set(&d, &msg);
	quote_add(&msg, &d.body);
	if (mail_draft_send(mc, &d) == -1)
		goto fail;
	/* RFC 3501 2.3.2: \Answered. */
	mail_imap_cmd(im, NULL, NULL, "STORE %u +FLAGS.SILENT (\\Answered)",
	    n);
	rc = 0;
fail:
	mail_imap_close(im);
	buf_free(&msg);
	mail_draft_free(&d);
	return rc;
}

static void
forward_inline(const struct buf *msg, struct buf *body)
{
	static const char *const names[] = { "From", "Date", "Subject",
	    "To", "Cc" };
	struct buf v = BUF_INIT;
	size_t i;

	if (body->len > 0 && body->data[body->len - 1] != '\n')
		buf_addc(body, '\n');
	buf_adds(body, "\n---------- Forwarded message ----------\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		mail_show_header(msg->data, msg->len, names[i], &v);
		if (v.len > 0)
			buf_addf(body, "%s: %s\n", names[i], buf_cstr(&v));
	}
	buf_addc(body, '\n');
	buf_reset(&v);
	mail_show_text(msg->data, msg->len, &v);
	buf_add(body, v.data, v.len);
	buf_free(&v);
}

int
mail_cmd_forward(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_draft d;
	struct mail_imap *im;
	struct buf msg = BUF_INIT;
	bool is_attached = false;
	unsigned n;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "a")) != -1) {
		if (ch != 'a')
			return 2;
		is_attached = true;
	}
	if (argc - optind < 2)
		return 2;
	memset(&d, 0, sizeof(d));
	if ((im = original_get(mc, argv[optind], &n, &msg, &d)) == NULL)
		goto fail;
	for (optind++; optind < argc; optind++) {
		if (d.to.len > 0)
			buf_adds(&d.to, ", ");
		buf_adds(&d.to, argv[optind]);
	}
	d.subject = subject_prefixed(&msg, "Fwd:");
	if (is_attached)
		buf_add(&d.forward, msg.data, msg.len);
	else
		forward_inline(&msg, &d.body);
	if (mail_draft_send(mc, &d) == -1)
		goto fail;
	rc = 0;
fail:
	mail_imap_close(im);
	buf_free(&msg);
	mail_draft_free(&d);
	return rc;
}
