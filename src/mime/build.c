/* The message builder: header fields encoded and folded (RFC 5322 2.1.1,
 * RFC 2047), a UTF-8 text body with an optional HTML alternative (RFC
 * 2046 5.1.4), inline parts for it (multipart/related, RFC 2387, RFC 2392
 * Content-ID), attachments (base64, RFC 2231 names) and forwarded
 * messages (message/rfc822), with fresh boundaries, Date and Message-ID.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime_int.h"

enum bkind { BK_ATTACH, BK_INLINE, BK_FORWARD };

struct bpart {
	enum bkind	 kind;
	char		*type;
	char		*name;
	char		*cid;
	struct buf	 data;
};

struct mime_build {
	unsigned	 flags;
	struct buf	 hdr;
	bool		 has_date;
	bool		 has_msgid;
	char		*domain;	/* for the Message-ID */
	struct buf	 text;
	struct buf	 html;
	bool		 has_text;
	bool		 has_html;
	struct bpart	*parts;
	size_t		 nparts;
};

/* A rendered part: its Content-* fields and its body. */
struct node {
	struct buf	 hdr;
	struct buf	 body;
};

struct mime_build *
mime_build_new(unsigned flags)
{
	struct mime_build *b = xcalloc(1, sizeof(*b));

	b->flags = flags;
	return b;
}

void
mime_build_free(struct mime_build *b)
{
	size_t i;

	if (b == NULL)
		return;
	buf_free(&b->hdr);
	buf_free(&b->text);
	buf_free(&b->html);
	for (i = 0; i < b->nparts; i++) {
		free(b->parts[i].type);
		free(b->parts[i].name);
		free(b->parts[i].cid);
		buf_free(&b->parts[i].data);
	}
	free(b->parts);
	free(b->domain);
	free(b);
}

static bool
is_addr_field(const char *name)
{
	static const char *const names[] = { "from", "to", "cc", "bcc",
	    "reply-to", "sender" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_ieq(name, strlen(name), names[i]))
			return true;
	return false;
}

static void
addr_field(struct mime_build *b, const char *name, const char *value)
{
	struct mime_addr_list l = { NULL, 0 };
	size_t i;

	mime_addr_parse(value, strlen(value), &l);
	buf_adds(&b->hdr, name);
	buf_adds(&b->hdr, ": ");
	mime_addr_list_write(&l, strlen(name) + 2,
	    b->flags & MIME_BUILD_UTF8 ? MIME_WRITE_UTF8 : 0, &b->hdr);
	buf_add(&b->hdr, "\r\n", 2);
	for (i = 0; i < l.n && b->domain == NULL; i++)
		if (str_ieq(name, strlen(name), "from") &&
		    l.v[i].domain != NULL)
			b->domain = xstrdup(l.v[i].domain);
	mime_addr_list_free(&l);
}

void
mime_build_header(struct mime_build *b, const char *name, const char *value)
{
	size_t n = strlen(name);

	/* The builder owns the MIME fields. */
	if (str_iprefix(name, n, "content-") ||
	    str_ieq(name, n, "mime-version"))
		return;
	if (str_ieq(name, n, "date"))
		b->has_date = true;
	if (str_ieq(name, n, "message-id"))
		b->has_msgid = true;
	if (is_addr_field(name))
		addr_field(b, name, value);
	else
		mime_hdr_write(&b->hdr, name, value,
		    b->flags & MIME_BUILD_UTF8 ? MIME_WRITE_UTF8 : 0);
}

/* Canonical text (RFC 2046 4.1.1): every line break is CRLF. */
static void
canon_text(const char *p, size_t len, struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_reserve(out, len + len / 16);
	for (i = 0; i < len; i++) {
		if (p[i] == '\r') {
			if (i + 1 < len && p[i + 1] == '\n')
				i++;
			buf_add(out, "\r\n", 2);
		} else if (p[i] == '\n')
			buf_add(out, "\r\n", 2);
		else
			buf_addc(out, p[i]);
	}
}

void
mime_build_text(struct mime_build *b, const char *p, size_t len)
{
	canon_text(p, len, &b->text);
	b->has_text = true;
}

void
mime_build_html(struct mime_build *b, const char *p, size_t len)
{
	canon_text(p, len, &b->html);
	b->has_html = true;
}

static void
part_add(struct mime_build *b, enum bkind kind, const char *name,
    const char *type, const char *cid, const void *p, size_t len)
{
	struct bpart *bp;

	b->parts = xreallocarray(b->parts, b->nparts + 1, sizeof(*b->parts));
	bp = &b->parts[b->nparts++];
	memset(bp, 0, sizeof(*bp));
	bp->kind = kind;
	bp->type = xstrdup(type ? type : "application/octet-stream");
	bp->name = name ? xstrdup(name) : NULL;
	bp->cid = cid ? xstrdup(cid) : NULL;
	buf_add(&bp->data, p, len);
}

void
mime_build_attach(struct mime_build *b, const char *name, const char *type,
    const void *p, size_t len)
{
	part_add(b, BK_ATTACH, name, type, NULL, p, len);
}

void
mime_build_inline(struct mime_build *b, const char *cid, const char *name,
    const char *type, const void *p, size_t len)
{
	part_add(b, BK_INLINE, name, type, cid, p, len);
}

void
mime_build_forward(struct mime_build *b, const char *p, size_t len)
{
	part_add(b, BK_FORWARD, NULL, "message/rfc822", NULL, p, len);
}

/* ---- rendering --------------------------------------------------------- */

static void
node_free(struct node *n)
{
	buf_free(&n->hdr);
	buf_free(&n->body);
}

static void
b64_body(const char *p, size_t len, struct buf *out)
{
	struct b64_enc e;

	b64_enc_init(&e, 76);
	b64_enc_update(&e, p, len, out);
	b64_enc_final(&e, out);
	/* The line break before the delimiter is the delimiter's. */
	if (out->len >= 2)
		out->len -= 2;
}

struct tstats {
	size_t	 n8;
	size_t	 maxline;
	bool	 has_ctl;
};

static void
text_stats(const char *p, size_t len, struct tstats *st)
{
	size_t i, col = 0;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n') {
			col = 0;
			continue;
		}
		if (c != '\r' && ++col > st->maxline)
			st->maxline = col;
		if (c >= 0x80)
			st->n8++;
		else if ((c < 32 && c != '\t' && c != '\r') || c == 127)
			st->has_ctl = true;
	}
}

/* A text leaf: 7bit when it can, 8bit when allowed and lines are short,
 * base64 when mostly non-ASCII, quoted-printable otherwise. */
static void
text_node(struct mime_build *b, const char *sub, const struct buf *t,
    struct node *n)
{
	struct tstats st;
	struct qp_enc q;
	const char *p = t->data ? t->data : "";
	const char *cte;

	text_stats(p, t->len, &st);
	buf_addf(&n->hdr, "Content-Type: text/%s; charset=%s\r\n", sub,
	    st.n8 ? "utf-8" : "us-ascii");
	if (!st.has_ctl && st.maxline <= 78 &&
	    (st.n8 == 0 || (b->flags & MIME_BUILD_8BIT))) {
		cte = st.n8 ? "8bit" : "7bit";
		buf_add(&n->body, p, t->len);
	} else if (st.n8 * 3 > t->len) {
		cte = "base64";
		b64_body(p, t->len, &n->body);
	} else {
		cte = "quoted-printable";
		qp_enc_init(&q, false);
		qp_enc_update(&q, p, t->len, &n->body);
		qp_enc_final(&q, &n->body);
	}
	buf_addf(&n->hdr, "Content-Transfer-Encoding: %s\r\n", cte);
}

static void
name_params(const char *field, const char *value, const char *pname,
    const char *name, struct buf *out)
{
	size_t col = strlen(field) + 2 + strlen(value);

	buf_addf(out, "%s: %s", field, value);
	if (name != NULL)
		mime_param_write(pname, name, &col, out);
	buf_add(out, "\r\n", 2);
}

static void forward_body(struct mime_build *, const struct buf *,
    struct node *);

static void
bpart_node(struct mime_build *b, struct bpart *bp, struct node *n)
{
	if (bp->kind == BK_FORWARD) {
		forward_body(b, &bp->data, n);
		return;
	}
	name_params("Content-Type", bp->type, "name", bp->name, &n->hdr);
	buf_adds(&n->hdr, "Content-Transfer-Encoding: base64\r\n");
	name_params("Content-Disposition", bp->kind == BK_INLINE ? "inline" :
	    "attachment", "filename", bp->name, &n->hdr);
	if (bp->cid != NULL)
		buf_addf(&n->hdr, "Content-ID: <%s>\r\n", bp->cid);
	b64_body(bp->data.data ? bp->data.data : "", bp->data.len, &n->body);
}

/* A forwarded message, CRLF and, without 8BITMIME, made 7-bit: RFC 2046
 * 5.2.1 forbids encoding message/rfc822. */
static void
forward_body(struct mime_build *b, const struct buf *m, struct node *n)
{
	struct buf canon = BUF_INIT;
	struct tstats st;

	canon_text(m->data ? m->data : "", m->len, &canon);
	text_stats(canon.data ? canon.data : "", canon.len, &st);
	buf_adds(&n->hdr, "Content-Type: message/rfc822\r\n");
	if ((st.n8 > 0 && !(b->flags & MIME_BUILD_8BIT)) || st.maxline > 998)
		mime_downgrade(canon.data ? canon.data : "", canon.len,
		    &n->body);
	else
		buf_add(&n->body, canon.data, canon.len);
	text_stats(n->body.data ? n->body.data : "", n->body.len, &st);
	buf_addf(&n->hdr, "Content-Transfer-Encoding: %s\r\n",
	    st.n8 ? "8bit" : "7bit");
	buf_free(&canon);
}

static bool
contains(const struct buf *b, const char *s)
{
	return b->len > 0 && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* A multipart of the given children, which it frees. The boundary is
 * random and checked against the content (RFC 2046 5.1.1). */
static void
multi_node(const char *sub, struct node *kids, size_t n, struct node *out)
{
	char hex[25], bnd[48];
	size_t i;
	bool clash;

	do {
		str_random_hex(hex, 12);
		snprintf(bnd, sizeof(bnd), "=_petrel_%s", hex);
		clash = false;
		for (i = 0; i < n; i++)
			clash |= contains(&kids[i].body, bnd);
	} while (clash);
	buf_addf(&out->hdr, "Content-Type: multipart/%s;\r\n"
	    " boundary=\"%s\"\r\n", sub, bnd);
	for (i = 0; i < n; i++) {
		buf_addf(&out->body, "--%s\r\n", bnd);
		buf_add(&out->body, kids[i].hdr.data, kids[i].hdr.len);
		buf_add(&out->body, "\r\n", 2);
		buf_add(&out->body, kids[i].body.data, kids[i].body.len);
		buf_add(&out->body, "\r\n", 2);
		node_free(&kids[i]);
	}
	buf_addf(&out->body, "--%s--\r\n", bnd);
}

/* The HTML, with its inline parts when there are some. */
static void
html_node(struct mime_build *b, struct node *out)
{
	struct node *kids;
	size_t i, n = 1;

	kids = xcalloc(b->nparts + 1, sizeof(*kids));
	text_node(b, "html", &b->html, &kids[0]);
	for (i = 0; i < b->nparts; i++)
		if (b->parts[i].kind == BK_INLINE)
			bpart_node(b, &b->parts[i], &kids[n++]);
	if (n == 1)
		*out = kids[0];
	else
		multi_node("related", kids, n, out);
	free(kids);
}

static void
body_node(struct mime_build *b, struct node *out)
{
	struct node kids[2];

	memset(kids, 0, sizeof(kids));
	if (b->has_html && !b->has_text) {
		html_node(b, out);
		return;
	}
	text_node(b, "plain", &b->text, &kids[0]);
	if (!b->has_html) {
		*out = kids[0];
		return;
	}
	html_node(b, &kids[1]);
	multi_node("alternative", kids, 2, out);
}

static void
root_node(struct mime_build *b, struct node *out)
{
	struct node *kids = xcalloc(b->nparts + 1, sizeof(*kids));
	size_t i, n = 1;

	memset(out, 0, sizeof(*out));
	body_node(b, &kids[0]);
	for (i = 0; i < b->nparts; i++)
		if (b->parts[i].kind != BK_INLINE || !b->has_html)
			bpart_node(b, &b->parts[i], &kids[n++]);
	if (n == 1)
		*out = kids[0];
	else
		multi_node("mixed", kids, n, out);
	free(kids);
}

static void
ids(struct mime_build *b, struct buf *out)
{
	char date[MIME_DATE_LEN], hex[33], host[256];

	if (!b->has_date) {
		mime_date_now(date, sizeof(date));
		buf_addf(out, "Date: %s\r\n", date);
	}
	if (!b->has_msgid) {
		str_random_hex(hex, 16);
		if (b->domain == NULL && gethostname(host, sizeof(host)) == 0)
			host[sizeof(host) - 1] = '\0';
		else
			str_copy(host, b->domain ? b->domain : "localhost",
			    sizeof(host));
		buf_addf(out, "Message-ID: <%s@%s>\r\n", hex, host);
	}
	buf_adds(out, "MIME-Version: 1.0\r\n");
}

void
mime_build_write(struct mime_build *b, struct buf *out)
{
	struct node root;

	root_node(b, &root);
	buf_add(out, b->hdr.data, b->hdr.len);
	ids(b, out);
	buf_add(out, root.hdr.data, root.hdr.len);
	buf_add(out, "\r\n", 2);
	buf_add(out, root.body.data, root.body.len);
	node_free(&root);
}
