/* The 8-bit to 7-bit downgrade of a whole message, for a next hop without
 * 8BITMIME (RFC 6152 3): 8-bit leaves re-encoded (RFC 2045 6), encoded
 * parts left alone, message/rfc822 downgraded inside since it may not be
 * encoded (RFC 2046 5.2.1), 8-bit header text turned into encoded words
 * (RFC 2047) and parameters into RFC 2231 form.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "mime_int.h"

struct dg {
	const char	*msg;
	size_t		 len;
	struct buf	*out;
	int		 rc;
};

#define PF_8BIT	(MIME_PF_BODY_8BIT | MIME_PF_BODY_NUL | MIME_PF_LONG_LINE)

/* Append p with 8-bit octets and NULs (which only junk holds in a
 * preamble, an epilogue or an encoded body) replaced. */
static void
put7(struct buf *out, const char *p, size_t len)
{
	size_t i, s = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < 0x80 && p[i] != 0)
			continue;
		buf_add(out, p + s, i - s);
		buf_addc(out, '?');
		s = i + 1;
	}
	buf_add(out, p + s, len - s);
}

static void
copy7(struct dg *d, size_t a, size_t b)
{
	put7(d->out, d->msg + a, b - a);
}

static bool
needs_work(const struct mime_part *p)
{
	const struct mime_part *c;

	if (p->flags & (MIME_PF_HDR_8BIT | PF_8BIT))
		return true;
	for (c = p->child; c != NULL; c = c->next)
		if (needs_work(c))
			return true;
	return false;
}

static bool
is_addr_field(const char *n, size_t len)
{
	static const char *const names[] = { "from", "to", "cc", "bcc",
	    "reply-to", "sender", "resent-from", "resent-to", "resent-cc",
	    "resent-bcc", "resent-sender" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_ieq(n, len, names[i]))
			return true;
	return false;
}

/* An address field: display names encoded; a UTF-8 address itself cannot
 * be made 7-bit (that takes SMTPUTF8, RFC 6531). */
static void
field_addr(struct dg *d, const struct mime_field *f)
{
	struct mime_addr_list l = { NULL, 0 };
	size_t i;

	mime_addr_parse(f->value, f->valuelen, &l);
	for (i = 0; i < l.n; i++)
		if ((l.v[i].local && mime_has_8bit(l.v[i].local,
		    strlen(l.v[i].local))) || (l.v[i].domain &&
		    mime_has_8bit(l.v[i].domain, strlen(l.v[i].domain))))
			d->rc = -1;
	buf_add(d->out, f->name, f->namelen);
	buf_adds(d->out, ": ");
	mime_addr_list_write(&l, f->namelen + 2, 0, d->out);
	buf_add(d->out, "\r\n", 2);
	mime_addr_list_free(&l);
}

/* Content-Type or Content-Disposition with 8-bit parameter values. */
static void
field_params(struct dg *d, const struct mime_field *f)
{
	struct mime_params ps = { NULL, 0 };
	struct buf name = BUF_INIT;
	const char *main;
	size_t mainlen, col, i;

	mime_params_parse(f->value, f->valuelen, &main, &mainlen, &ps);
	buf_add(d->out, f->name, f->namelen);
	buf_adds(d->out, ": ");
	put7(d->out, main, mainlen);
	col = f->namelen + 2 + mainlen;
	for (i = 0; i < ps.n; i++) {
		/* An 8-bit name is junk; a value is encoded as needed. */
		buf_reset(&name);
		put7(&name, ps.v[i].name, strlen(ps.v[i].name));
		mime_param_write(buf_cstr(&name), ps.v[i].is_ext ?
		    ps.v[i].value : ps.v[i].raw, &col, d->out);
	}
	buf_free(&name);
	buf_add(d->out, "\r\n", 2);
	mime_params_free(&ps);
}

static void
field_text(struct dg *d, const struct mime_field *f)
{
	struct buf v = BUF_INIT, name = BUF_INIT;

	mime_hdr_decode(f->value, f->valuelen, &v);
	buf_add(&name, f->name, f->namelen);
	mime_hdr_write(d->out, buf_cstr(&name), buf_cstr(&v), 0);
	buf_free(&v);
	buf_free(&name);
}

static void
field_7bit(struct dg *d, const struct mime_field *f)
{
	if (!mime_has_8bit(f->value, f->valuelen)) {
		buf_add(d->out, d->msg + f->off, f->len);
		return;
	}
	if (is_addr_field(f->name, f->namelen))
		field_addr(d, f);
	else if (str_ieq(f->name, f->namelen, "content-type") ||
	    str_ieq(f->name, f->namelen, "content-disposition"))
		field_params(d, f);
	else
		field_text(d, f);
}

/* Copy the header of p, rewriting 8-bit fields and, when cte is set,
 * the transfer encoding (added before the blank line if absent). */
static void
header(struct dg *d, const struct mime_part *p, const char *cte)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t pos = p->hdr_off, end = p->body_off;
	bool done = false;

	mime_hdr_iter_init(&it, d->msg + p->hdr_off, end - p->hdr_off);
	while (mime_hdr_next(&it, &f) == 1) {
		f.off += p->hdr_off;
		copy7(d, pos, f.off);
		pos = f.off + f.len;
		if (cte != NULL && str_ieq(f.name, f.namelen,
		    "content-transfer-encoding")) {
			if (!done)
				buf_addf(d->out, "%.*s: %s\r\n",
				    (int)f.namelen, f.name, cte);
			done = true;
			continue;
		}
		field_7bit(d, &f);
	}
	if (cte != NULL && !done) {
		if (p->parent == NULL &&
		    !mime_hdr_find(d->msg, p->body_off, "MIME-Version", &f))
			buf_adds(d->out, "MIME-Version: 1.0\r\n");
		buf_addf(d->out, "Content-Transfer-Encoding: %s\r\n", cte);
	}
	copy7(d, pos, end);
}

static void part(struct dg *, const struct mime_part *);

/* Encode octets afresh: quoted-printable for text, base64 otherwise. */
static void
encode(struct dg *d, const char *p, size_t n, bool is_qp, bool is_text)
{
	struct b64_enc e;
	struct qp_enc q;

	if (is_qp) {
		qp_enc_init(&q, !is_text);
		qp_enc_update(&q, p, n, d->out);
		qp_enc_final(&q, d->out);
		return;
	}
	b64_enc_init(&e, 76);
	b64_enc_update(&e, p, n, d->out);
	b64_enc_final(&e, d->out);
	/* The line break before a delimiter is the delimiter's. */
	if (d->out->len >= 2)
		d->out->len -= 2;
}

static void
leaf(struct dg *d, const struct mime_part *p)
{
	struct buf dec = BUF_INIT;
	bool is_text = strcmp(p->type, "text") == 0 && !(p->flags &
	    MIME_PF_BODY_NUL);
	bool is_enc = p->cte == MIME_CTE_BASE64 || p->cte == MIME_CTE_QP;

	if (!(p->flags & PF_8BIT) ||
	    (is_enc && !(p->flags & MIME_PF_LONG_LINE))) {
		header(d, p, NULL);
		/* An encoded body with 8-bit junk: the junk goes. */
		copy7(d, p->body_off, p->end_off);
		return;
	}
	if (is_enc) {
		/* Lines too long: decode and wrap again, same encoding. */
		header(d, p, NULL);
		mime_part_decode(p, d->msg, d->len, &dec);
		encode(d, dec.data ? dec.data : "", dec.len,
		    p->cte == MIME_CTE_QP, is_text);
		buf_free(&dec);
		return;
	}
	header(d, p, is_text ? "quoted-printable" : "base64");
	encode(d, d->msg + p->body_off, p->end_off - p->body_off, is_text,
	    is_text);
}

static void
multipart(struct dg *d, const struct mime_part *p)
{
	const struct mime_part *c;
	size_t pos = p->body_off;

	header(d, p, NULL);
	for (c = p->child; c != NULL; c = c->next) {
		copy7(d, pos, c->hdr_off);
		part(d, c);
		pos = c->end_off;
	}
	copy7(d, pos, p->end_off);
}

static void
part(struct dg *d, const struct mime_part *p)
{
	const struct mime_part *m;

	if (!needs_work(p)) {
		buf_add(d->out, d->msg + p->hdr_off, p->end_off - p->hdr_off);
		return;
	}
	if (p->flags & MIME_PF_LIMIT) {
		/* Not parsed, so it cannot be fixed. */
		buf_add(d->out, d->msg + p->hdr_off, p->end_off - p->hdr_off);
		d->rc = -1;
		return;
	}
	if (p->flags & MIME_PF_PARTS_LIMIT)
		d->rc = -1;
	if (mime_part_is_multipart(p)) {
		multipart(d, p);
	} else if ((m = mime_part_message(p)) != NULL) {
		header(d, p, p->cte == MIME_CTE_7BIT ? NULL : "7bit");
		part(d, m);
	} else
		leaf(d, p);
}

int
mime_downgrade(const char *msg, size_t len, struct buf *out)
{
	struct mime_part *root = mime_parse(msg, len, NULL);
	struct dg d = { msg, len, out, 0 };

	part(&d, root);
	/* Whatever the tree does not cover (nothing, normally). */
	buf_add(out, msg + root->end_off, len - root->end_off);
	mime_part_free(root);
	return d.rc;
}
