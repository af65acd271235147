/* The reading commands of `petrel mail` over IMAP: list (FETCH of FLAGS
 * and a few header fields, RFC 3501 6.4.5), read and save.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "mail_int.h"

struct mail_imap *
mail_imap_session(struct mail_ctx *mc, bool is_readonly)
{
	struct mail_imap *im;

	if ((im = mail_imap_open(mc->acct, mc->password)) == NULL)
		return NULL;
	if (mail_imap_select(im, mc->folder, is_readonly) == -1) {
		fprintf(stderr, "petrel mail: cannot open folder %s\n",
		    mc->folder);
		mail_imap_close(im);
		return NULL;
	}
	return im;
}

unsigned
mail_msgno(struct mail_imap *im, const char *s)
{
	const char *errstr;
	unsigned n;

	n = (unsigned)str_to_uint(s, 1, UINT32_MAX, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "petrel mail: bad message number '%s'\n", s);
		return 0;
	}
	if (n > im->exists) {
		fprintf(stderr, "petrel mail: no message %u (the folder has "
		    "%u)\n", n, im->exists);
		return 0;
	}
	return n;
}

/* "N F A D" from a FLAGS list. */
static void
flags_show(struct mail_imap_tok *t, char out[5])
{
	const char *v;
	size_t vlen;

	memcpy(out, "N   ", 5);
	if (!mail_imap_tok_open(t))
		return;
	while (mail_imap_tok_item(t, &v, &vlen)) {
		if (str_ieq(v, vlen, "\\Seen"))
			out[0] = ' ';
		else if (str_ieq(v, vlen, "\\Flagged"))
			out[1] = 'F';
		else if (str_ieq(v, vlen, "\\Answered"))
			out[2] = 'A';
		else if (str_ieq(v, vlen, "\\Deleted"))
			out[3] = 'D';
	}
}

static void
sender_show(const char *h, size_t hlen, struct buf *out)
{
	struct mime_addr_list l = { NULL, 0 };
	struct mime_field f;

	if (mime_hdr_find(h, hlen, "From", &f))
		mime_addr_parse(f.value, f.valuelen, &l);
	if (l.n > 0 && l.v[0].kind == MIME_ADDR_MAILBOX) {
		if (l.v[0].name != NULL)
			buf_adds(out, l.v[0].name);
		else
			mime_addr_spec_write(&l.v[0], out);
	}
	mime_addr_list_free(&l);
}

static void
date_show(const char *h, size_t hlen, char out[32])
{
	struct mime_field f;
	struct tm tm;
	time_t t;
	int tz;

	str_copy(out, "?", 32);
	if (mime_hdr_find(h, hlen, "Date", &f) &&
	    mime_date_parse(f.value, f.valuelen, &t, &tz) == 0 &&
	    localtime_r(&t, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

/* One FETCH response of list: "N FETCH (FLAGS (...) BODY[...] {n}...)". */
static void
list_cb(const char *p, size_t len, void *arg)
{
	struct mail_imap_tok t = { p, len, 0 };
	struct buf from = BUF_INIT, subj = BUF_INIT;
	const char *v, *num = NULL, *hdr = "";
	size_t vlen, numlen = 0, hlen = 0;
	char flags[5] = "N   ", date[32];

	(void)arg;
	if (!mail_imap_tok_item(&t, &num, &numlen) ||
	    !mail_imap_tok_item(&t, &v, &vlen) ||
	    !str_ieq(v, vlen, "FETCH") || !mail_imap_tok_open(&t))
		return;
	while (mail_imap_tok_item(&t, &v, &vlen)) {
		if (str_ieq(v, vlen, "FLAGS"))
			flags_show(&t, flags);
		else if (str_iprefix(v, vlen, "BODY[")) {
			if (!mail_imap_tok_item(&t, &hdr, &hlen)) {
				hdr = "";
				hlen = 0;
			}
		} else
			mail_imap_tok_skip(&t);
	}
	sender_show(hdr, hlen, &from);
	mail_show_header(hdr, hlen, "Subject", &subj);
	date_show(hdr, hlen, date);
	printf("%4.*s %s %-16s %-24.24s %s\n", (int)numlen, num, flags, date,
	    buf_cstr(&from), buf_cstr(&subj));
	buf_free(&from);
	buf_free(&subj);
}

struct nums {
	unsigned	*v;
	size_t		 n;
};

/* "SEARCH 1 4 9". */
static void
search_cb(const char *p, size_t len, void *arg)
{
	struct nums *ns = arg;
	struct mail_imap_tok t = { p, len, 0 };
	const char *v, *errstr;
	size_t vlen;
	unsigned n;

	if (!mail_imap_tok_item(&t, &v, &vlen) ||
	    !str_ieq(v, vlen, "SEARCH"))
		return;
	while (mail_imap_tok_item(&t, &v, &vlen)) {
		n = (unsigned)str_to_uint_n(v, vlen, 1, UINT32_MAX, &errstr);
		if (errstr != NULL)
			continue;
		ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(*ns->v));
		ns->v[ns->n++] = n;
	}
}

int
mail_search_nums(struct mail_imap *im, const char *criteria,
    unsigned **out, size_t *nout)
{
	struct nums ns = { NULL, 0 };

	if (mail_imap_cmd(im, search_cb, &ns, "SEARCH %s", criteria) == -1) {
		free(ns.v);
		return -1;
	}
	*out = ns.v;
	*nout = ns.n;
	return 0;
}

int
mail_list_fetch(struct mail_imap *im, const unsigned *v, size_t from, size_t to)
{
	struct buf set = BUF_INIT;
	size_t i;
	int rc;

	for (i = from; i < to; i++)
		buf_addf(&set, "%s%u", i > from ? "," : "", v[i]);
	rc = mail_imap_cmd(im, list_cb, NULL, "FETCH %s (FLAGS "
	    "BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])", buf_cstr(&set));
	buf_free(&set);
	return rc;
}

int
mail_cmd_list(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	const char *errstr = NULL;
	unsigned *v = NULL;
	size_t n = 0, count = 20, page = 1, from, to;
	bool is_unread = false;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "n:p:u")) != -1) {
		switch (ch) {
		case 'n':
			count = str_to_uint(optarg, 1, 100000, &errstr);
			break;
		case 'p':
			page = str_to_uint(optarg, 1, 1000000, &errstr);
			break;
		case 'u':
			is_unread = true;
			break;
		default:
			return 2;
		}
		if (errstr != NULL) {
			fprintf(stderr, "petrel mail: -%c %s: %s\n", ch,
			    optarg, errstr);
			return 2;
		}
	}
	if ((im = mail_imap_session(mc, true)) == NULL)
		return 1;
	if (mail_search_nums(im, is_unread ? "UNSEEN" : "ALL", &v, &n) == -1)
		goto fail;
	/* Page 1 holds the newest messages, in folder order. */
	to = (page - 1) * count < n ? n - (page - 1) * count : 0;
	from = to > count ? to - count : 0;
	if (to == from)
		printf("no %smessages in %s\n", is_unread ? "unread " : "",
		    mc->folder);
	else if (mail_list_fetch(im, v, from, to) == -1)
		goto fail;
	rc = 0;
fail:
	free(v);
	mail_imap_close(im);
	return rc;
}

int
mail_cmd_read(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	struct buf msg = BUF_INIT;
	unsigned n;
	int rc = 1;

	if (argc != 2)
		return 2;
	if ((im = mail_imap_session(mc, false)) == NULL)
		return 1;
	if ((n = mail_msgno(im, argv[1])) == 0 ||
	    mail_imap_fetch_msg(im, n, false, &msg) == -1)
		goto fail;
	mail_show_message(msg.data, msg.len, stdout);
	rc = 0;
fail:
	buf_free(&msg);
	mail_imap_close(im);
	return rc;
}

int
mail_cmd_save(struct mail_ctx *mc, int argc, char **argv)
{
	struct mail_imap *im;
	struct buf msg = BUF_INIT;
	unsigned n;
	int rc = 1;

	if (argc != 3 && argc != 4)
		return 2;
	if ((im = mail_imap_session(mc, true)) == NULL)
		return 1;
	if ((n = mail_msgno(im, argv[1])) == 0 ||
	    mail_imap_fetch_msg(im, n, true, &msg) == -1 ||
	    mail_save_part(msg.data, msg.len, argv[2],
	    argc == 4 ? argv[3] : NULL) == -1)
		goto fail;
	rc = 0;
fail:
	buf_free(&msg);
	mail_imap_close(im);
	return rc;
}
