/* The part tree: reading a part's MIME fields (RFC 2045 5-6, RFC 2183
 * Content-Disposition), defaults (RFC 2045 5.2, RFC 2046 5.1.5), IMAP
 * section numbers (RFC 3501 6.4.5), and freeing.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime_int.h"

/* type "/" subtype from the text before the parameters. */
static bool
type_parse(const char *p, size_t len, char **type, char **subtype)
{
	struct lex lx;
	struct lex_tok a, s, b;

	mime_lex_init(&lx, p, len, true);
	if (mime_lex_next_nc(&lx, &a) != LEX_ATOM ||
	    mime_lex_next_nc(&lx, &s) != LEX_SPECIAL || s.c != '/' ||
	    mime_lex_next_nc(&lx, &b) != LEX_ATOM)
		return false;
	*type = xstrndup(a.p, a.len);
	*subtype = xstrndup(b.p, b.len);
	str_lower(*type);
	str_lower(*subtype);
	return true;
}

static void
eval_type(struct mime_part *p)
{
	const char *v = p->fields[MIME_HF_CONTENT_TYPE], *main;
	size_t mainlen;
	bool is_digest = p->parent != NULL &&
	    strcmp(p->parent->type, "multipart") == 0 &&
	    strcmp(p->parent->subtype, "digest") == 0;

	if (v != NULL) {
		if (!mime_params_parse(v, strlen(v), &main, &mainlen,
		    &p->params))
			p->flags |= MIME_PF_BAD_CHARSET;
		/* RFC 2045 5.2: an invalid type is taken as text/plain. */
		if (type_parse(main, mainlen, &p->type, &p->subtype))
			return;
		is_digest = false;
	}
	/* RFC 2046 5.1.5: in a digest the default is message/rfc822. */
	p->type = xstrdup(is_digest ? "message" : "text");
	p->subtype = xstrdup(is_digest ? "rfc822" : "plain");
}

static enum mime_cte
cte_parse(const char *v)
{
	static const struct { const char *n; enum mime_cte c; } t[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY }, { "base64", MIME_CTE_BASE64 },
		{ "quoted-printable", MIME_CTE_QP },
	};
	struct lex lx;
	struct lex_tok a;
	size_t i;

	if (v == NULL)
		return MIME_CTE_7BIT;
	mime_lex_init(&lx, v, strlen(v), true);
	if (mime_lex_next_nc(&lx, &a) != LEX_ATOM)
		return MIME_CTE_OTHER;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (str_ieq(a.p, a.len, t[i].n))
			return t[i].c;
	return MIME_CTE_OTHER;
}

static void
eval_disposition(struct mime_part *p)
{
	const char *v = p->fields[MIME_HF_DISPOSITION], *main;
	size_t mainlen;

	if (v == NULL)
		return;
	if (!mime_params_parse(v, strlen(v), &main, &mainlen,
	    &p->disp_params))
		p->flags |= MIME_PF_BAD_CHARSET;
	p->disposition = xstrndup(main, mainlen);
	str_lower(p->disposition);
}

static void
eval_filename(struct mime_part *p)
{
	const char *f = mime_params_get(&p->disp_params, "filename");
	size_t len;

	if (f == NULL)
		f = mime_params_get(&p->params, "name");
	if (f == NULL)
		return;
	len = strlen(f);
	str_trim(&f, &len);
	p->filename = xstrndup(f, len);
}

void
mime_part_eval(struct mime_part *p)
{
	if (p->type != NULL)
		return;
	eval_type(p);
	p->cte = cte_parse(p->fields[MIME_HF_CTE]);
	eval_disposition(p);
	eval_filename(p);
}

void
mime_part_free(struct mime_part *part)
{
	struct mime_part *c, *next;
	int i;

	if (part == NULL)
		return;
	for (c = part->child; c != NULL; c = next) {
		next = c->next;
		mime_part_free(c);
	}
	free(part->type);
	free(part->subtype);
	mime_params_free(&part->params);
	mime_params_free(&part->disp_params);
	free(part->disposition);
	free(part->filename);
	for (i = 0; i < MIME_HF_COUNT; i++)
		free(part->fields[i]);
	free(part);
}

bool
mime_part_is_multipart(const struct mime_part *part)
{
	return strcmp(part->type, "multipart") == 0 &&
	    !(part->flags & (MIME_PF_NO_BOUNDARY | MIME_PF_LIMIT));
}

struct mime_part *
mime_part_message(const struct mime_part *part)
{
	if (strcmp(part->type, "message") != 0 || mime_part_is_multipart(part))
		return NULL;
	return part->child;
}

const char *
mime_part_filename(const struct mime_part *part)
{
	return part->filename;
}

const char *
mime_part_charset(const struct mime_part *part)
{
	return mime_params_get(&part->params, "charset");
}

/* The first part numbered under n: a multipart's children, the body of
 * a message (itself when not a multipart), or the encapsulated one's. */
static struct mime_part *
sec_first(struct mime_part *n, bool is_msg)
{
	struct mime_part *m;

	if (mime_part_is_multipart(n))
		return n->child;
	if (is_msg)
		return n;
	if ((m = mime_part_message(n)) != NULL)
		return sec_first(m, true);
	return NULL;
}

struct mime_part *
mime_part_find(struct mime_part *root, const char *sec, size_t len)
{
	struct mime_part *n = root, *c;
	bool is_msg = true;
	const char *errstr, *dot;
	uint64_t k;
	size_t l;

	while (len > 0) {
		dot = str_chr(sec, len, '.');
		l = dot ? (size_t)(dot - sec) : len;
		k = str_to_uint_n(sec, l, 1, 100000, &errstr);
		if (errstr != NULL || (dot != NULL && l + 1 == len))
			return NULL;
		if ((c = sec_first(n, is_msg)) == NULL)
			return NULL;
		if (c == n && k != 1)
			return NULL;
		while (c != n && --k > 0 && c != NULL)
			c = c->next;
		if (c == NULL)
			return NULL;
		n = c;
		is_msg = false;
		sec += dot ? l + 1 : l;
		len -= dot ? l + 1 : l;
	}
	return n;
}

static unsigned
sibling_index(const struct mime_part *p)
{
	const struct mime_part *c;
	unsigned i = 1;

	for (c = p->parent->child; c != p; c = c->next)
		i++;
	return i;
}

/* The section of a message part's body: "1" for a root that is not a
 * multipart, else its own section. */
static void
section_numbered(const struct mime_part *p, struct buf *out)
{
	if (p->parent == NULL && !mime_part_is_multipart(p))
		buf_addc(out, '1');
	else
		mime_part_section(p, out);
}

void
mime_part_section(const struct mime_part *part, struct buf *out)
{
	const struct mime_part *parent = part->parent;
	size_t start = out->len;

	if (parent == NULL)
		return;
	if (strcmp(parent->type, "message") == 0) {
		/* The encapsulated message: its body is "n.1" unless it is
		 * a multipart, whose parts are "n.1", "n.2"... */
		section_numbered(parent, out);
		if (!mime_part_is_multipart(part))
			buf_adds(out, ".1");
		return;
	}
	if (parent->parent != NULL &&
	    strcmp(parent->parent->type, "message") == 0)
		section_numbered(parent->parent, out);
	else if (parent->parent != NULL)
		mime_part_section(parent, out);
	if (out->len > start)
		buf_addc(out, '.');
	buf_addf(out, "%u", sibling_index(part));
}

void
mime_part_walk(struct mime_part *root,
    void (*fn)(struct mime_part *, void *), void *arg)
{
	struct mime_part *c;

	fn(root, arg);
	for (c = root->child; c != NULL; c = c->next)
		mime_part_walk(c, fn, arg);
}
