/* The IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2 and the grammar of 9:
 * body-type-1part, body-type-mpart, body-ext-1part, body-ext-mpart),
 * computed from the parse tree.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "mime_int.h"

#define EMPTY_PART \
	"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)"
#define EMPTY_ENVELOPE	"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

static void part_write(const struct mime_part *, bool, struct buf *);

/* body-fld-param: NIL, or names uppercased with values as written. */
static void
params(const char *field, struct buf *out)
{
	if (!mime_params_imap_write(field, out))
		buf_adds(out, "NIL");
}

static void
disposition(const struct mime_part *p, struct buf *out)
{
	if (p->disposition == NULL || p->disposition[0] == '\0') {
		buf_adds(out, "NIL");
		return;
	}
	buf_addc(out, '(');
	mime_imap_upper(out, p->disposition);
	buf_addc(out, ' ');
	params(p->fields[MIME_HF_DISPOSITION], out);
	buf_addc(out, ')');
}

/* body-fld-lang: one string, or a list of the comma-separated tags. */
static void
language(const char *v, struct buf *out)
{
	const char *t[32];
	size_t tl[32], n = 0, len, i;
	const char *p = v, *c;

	if (v == NULL) {
		buf_adds(out, "NIL");
		return;
	}
	while (*p != '\0' && n < 32) {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		t[n] = p;
		tl[n] = len;
		str_trim(&t[n], &tl[n]);
		if (tl[n] > 0)
			n++;
		p += len + (c != NULL);
	}
	if (n == 0) {
		buf_adds(out, "NIL");
		return;
	}
	if (n > 1)
		buf_addc(out, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(out, ' ');
		mime_imap_string(out, t[i], tl[i]);
	}
	if (n > 1)
		buf_addc(out, ')');
}

static void
ext_tail(const struct mime_part *p, struct buf *out)
{
	buf_addc(out, ' ');
	disposition(p, out);
	buf_addc(out, ' ');
	language(p->fields[MIME_HF_LANGUAGE], out);
	buf_addc(out, ' ');
	mime_imap_nstring(out, p->fields[MIME_HF_LOCATION]);
}

static void
multipart(const struct mime_part *p, bool is_ext, struct buf *out)
{
	const struct mime_part *c;

	buf_addc(out, '(');
	for (c = p->child; c != NULL; c = c->next)
		part_write(c, is_ext, out);
	/* body-type-mpart needs one part at least. */
	if (p->child == NULL)
		buf_adds(out, EMPTY_PART);
	buf_addc(out, ' ');
	mime_imap_upper(out, p->subtype);
	if (is_ext) {
		buf_addc(out, ' ');
		params(p->fields[MIME_HF_CONTENT_TYPE], out);
		ext_tail(p, out);
	}
	buf_addc(out, ')');
}

static void
encoding(const struct mime_part *p, struct buf *out)
{
	static const char *const names[] = { "7BIT", "8BIT", "BINARY",
	    "QUOTED-PRINTABLE", "BASE64" };

	if (p->cte == MIME_CTE_OTHER)
		mime_imap_upper(out, p->fields[MIME_HF_CTE]);
	else
		buf_addf(out, "\"%s\"", names[p->cte]);
}

/* body-fields: params id description encoding octets. */
static void
body_fields(const struct mime_part *p, struct buf *out)
{
	/* A text part without parameters has the default charset of
	 * RFC 2045 5.2 spelt out, as UW IMAP and Dovecot do. */
	if (!mime_params_imap_write(p->fields[MIME_HF_CONTENT_TYPE], out))
		buf_adds(out, strcmp(p->type, "text") == 0 ?
		    "(\"CHARSET\" \"US-ASCII\")" : "NIL");
	buf_addc(out, ' ');
	mime_imap_nstring(out, p->fields[MIME_HF_ID]);
	buf_addc(out, ' ');
	mime_imap_nstring(out, p->fields[MIME_HF_DESCRIPTION]);
	buf_addc(out, ' ');
	encoding(p, out);
	buf_addf(out, " %zu", p->end_off - p->body_off);
}

static void
single(const struct mime_part *p, bool is_ext, struct buf *out)
{
	const struct mime_part *m;

	buf_addc(out, '(');
	mime_imap_upper(out, p->type);
	buf_addc(out, ' ');
	mime_imap_upper(out, p->subtype);
	buf_addc(out, ' ');
	body_fields(p, out);
	/* body-fld-lines counts line breaks: a last line cut short by the
	 * delimiter's CRLF (RFC 2046 5.1.1) is not counted, as in UW IMAP
	 * and Dovecot. */
	if (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0) {
		/* body-type-msg: envelope, body, lines. */
		buf_addc(out, ' ');
		if ((m = mime_part_message(p)) != NULL) {
			mime_envelope_write(m, out);
			buf_addc(out, ' ');
			part_write(m, is_ext, out);
		} else
			buf_adds(out, EMPTY_ENVELOPE " " EMPTY_PART);
		buf_addf(out, " %zu", p->body_nl);
	} else if (strcmp(p->type, "text") == 0)
		buf_addf(out, " %zu", p->body_nl);
	if (is_ext) {
		buf_addc(out, ' ');
		mime_imap_nstring(out, p->fields[MIME_HF_MD5]);
		ext_tail(p, out);
	}
	buf_addc(out, ')');
}

static void
part_write(const struct mime_part *p, bool is_ext, struct buf *out)
{
	if (mime_part_is_multipart(p))
		multipart(p, is_ext, out);
	else
		single(p, is_ext, out);
}

void
mime_bodystructure_write(const struct mime_part *msg, bool is_extended,
    struct buf *out)
{
	part_write(msg, is_extended, out);
}
