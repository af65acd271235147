/* The streaming MIME parser: fed a message in pieces, it builds the part
 * tree with the byte offsets of every header and body (RFC 2045, RFC 2046
 * 5.1 multipart with preamble, epilogue and a missing close delimiter,
 * 5.2.1 message/rfc822, RFC 6532 3.7 message/global). It keeps a line's
 * worth of state and the tree, never a body, so memory stays bounded.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime_int.h"

enum pstate {
	ST_HDR,		/* reading cur's header */
	ST_BODY,	/* in cur's body (a leaf) */
	ST_PREAMBLE,	/* cur is a multipart before its first delimiter */
	ST_EPILOGUE,	/* cur is a multipart after its close delimiter */
};

struct bnd {
	const char		*s;
	size_t			 len;
	struct mime_part	*mp;
};

struct mime_parser {
	struct mime_limits	 lim;
	struct mime_part	*root;
	struct mime_part	*cur;
	enum pstate		 st;
	struct bnd		*stack;		/* open boundaries */
	size_t			 nstack;
	size_t			*nl_body;	/* per depth: LFs before body */
	size_t			 nparts;
	size_t			 hdr_bytes;	/* field values kept */
	bool			 is_opaque;	/* no more structure: a limit */

	size_t			 off;		/* offset of the next octet */
	size_t			 nl;		/* LFs before off */
	char			 last;		/* last octet fed */

	/* The current line. */
	size_t			 line_off;
	size_t			 line_len;
	struct buf		 line;		/* its start, when kept */
	size_t			 line_cap;
	bool			 is_over;	/* longer than kept */
	bool			 prev_cr;
	unsigned		 line_flags;	/* octets seen in a header line */

	/* The CRLF before a delimiter belongs to it (RFC 2046 5.1.1), so
	 * each line break is pending until the next line shows whether it
	 * is a delimiter. */
	size_t			 content_end;
	size_t			 nl_content;	/* LFs before content_end */
	size_t			 last_len;	/* last line's length */

	/* The header field being gathered. */
	struct buf		 field;
	size_t			 field_name;	/* name length */
	size_t			 field_val;	/* value offset */
	bool			 has_field;
	unsigned		 nfields;
};

void
mime_limits_default(struct mime_limits *lim)
{
	lim->max_depth = 50;
	lim->max_parts = 10000;
	lim->max_fields = 1000;
	lim->max_field_len = 64 * 1024;
	lim->max_hdr_bytes = 8 * 1024 * 1024;
	lim->max_boundary = 200;
}

static struct mime_part *
part_new(struct mime_parser *ps, struct mime_part *parent, size_t hdr_off)
{
	struct mime_part *p = xcalloc(1, sizeof(*p));

	p->parent = parent;
	p->hdr_off = p->body_off = p->end_off = hdr_off;
	if (parent != NULL) {
		p->depth = parent->depth + 1;
		if (parent->last != NULL)
			parent->last->next = p;
		else
			parent->child = p;
		parent->last = p;
		parent->nchildren++;
	}
	ps->nparts++;
	return p;
}

struct mime_parser *
mime_parser_new(const struct mime_limits *lim)
{
	struct mime_parser *ps = xcalloc(1, sizeof(*ps));

	if (lim != NULL)
		ps->lim = *lim;
	else
		mime_limits_default(&ps->lim);
	if (ps->lim.max_depth < 1)
		ps->lim.max_depth = 1;
	if (ps->lim.max_parts < 1)
		ps->lim.max_parts = 1;
	ps->stack = xreallocarray(NULL, ps->lim.max_depth + 1,
	    sizeof(*ps->stack));
	ps->nl_body = xreallocarray(NULL, ps->lim.max_depth + 2,
	    sizeof(*ps->nl_body));
	ps->root = ps->cur = part_new(ps, NULL, 0);
	ps->st = ST_HDR;
	return ps;
}

void
mime_parser_free(struct mime_parser *ps)
{
	if (ps == NULL)
		return;
	mime_part_free(ps->root);
	free(ps->stack);
	free(ps->nl_body);
	buf_free(&ps->line);
	buf_free(&ps->field);
	free(ps);
}

/* ---- header fields ------------------------------------------------- */

static void
field_finish(struct mime_parser *ps)
{
	struct mime_part *p = ps->cur;
	const char *v;
	size_t vlen;
	int i;

	if (!ps->has_field)
		return;
	ps->has_field = false;
	if (++ps->nfields > ps->lim.max_fields) {
		p->flags |= MIME_PF_HDR_TRUNC;
		return;
	}
	i = mime_hf_lookup(ps->field.data, ps->field_name);
	if (i < 0 || p->fields[i] != NULL)
		return;
	v = ps->field.data + ps->field_val;
	vlen = ps->field.len - ps->field_val;
	str_trim(&v, &vlen);
	if (ps->hdr_bytes + vlen > ps->lim.max_hdr_bytes) {
		p->flags |= MIME_PF_HDR_TRUNC;
		return;
	}
	ps->hdr_bytes += vlen + 1;
	p->fields[i] = xstrndup(v, vlen);
}

static void
field_add(struct mime_parser *ps, const char *p, size_t len)
{
	if (ps->field.len + len > ps->lim.max_field_len) {
		ps->cur->flags |= MIME_PF_HDR_TRUNC;
		len = ps->lim.max_field_len > ps->field.len ?
		    ps->lim.max_field_len - ps->field.len : 0;
	}
	buf_add(&ps->field, p, len);
}

/* ---- structure ------------------------------------------------------ */

static bool
is_identity(enum mime_cte cte)
{
	return cte == MIME_CTE_7BIT || cte == MIME_CTE_8BIT ||
	    cte == MIME_CTE_BINARY;
}

/* Enter a multipart's body: push its boundary (RFC 2046 5.1.1). */
static bool
enter_multipart(struct mime_parser *ps, struct mime_part *p)
{
	const struct mime_param *b = mime_params_find(&p->params, "boundary");
	size_t len;

	if (b == NULL || (len = strlen(b->raw)) == 0) {
		p->flags |= MIME_PF_NO_BOUNDARY;
		return false;
	}
	/* Blanks cannot end a boundary (bcharsnospace); drop them. */
	while (len > 0 && (b->raw[len - 1] == ' ' || b->raw[len - 1] == '\t'))
		len--;
	if (len == 0 || len > ps->lim.max_boundary) {
		p->flags |= MIME_PF_NO_BOUNDARY;
		return false;
	}
	if (p->depth >= ps->lim.max_depth || ps->is_opaque) {
		p->flags |= MIME_PF_LIMIT;
		return false;
	}
	ps->stack[ps->nstack].s = b->raw;
	ps->stack[ps->nstack].len = len;
	ps->stack[ps->nstack].mp = p;
	ps->nstack++;
	ps->st = ST_PREAMBLE;
	return true;
}

/* Enter an encapsulated message (RFC 2046 5.2.1): a child whose header
 * starts where the body does. Encoded ones (not allowed for rfc822,
 * allowed for global) stay leaves. */
static bool
enter_message(struct mime_parser *ps, struct mime_part *p)
{
	if (!is_identity(p->cte))
		return false;
	if (p->depth >= ps->lim.max_depth || ps->is_opaque ||
	    ps->nparts >= ps->lim.max_parts) {
		p->flags |= MIME_PF_LIMIT;
		return false;
	}
	ps->cur = part_new(ps, p, p->body_off);
	ps->st = ST_HDR;
	return true;
}

/* The header of cur ended; its body starts at body_off. */
static void
header_done(struct mime_parser *ps, size_t body_off, size_t nl_body)
{
	struct mime_part *p = ps->cur;

	field_finish(ps);
	ps->nfields = 0;
	p->body_off = body_off;
	ps->nl_body[p->depth] = nl_body;
	mime_part_eval(p);
	ps->st = ST_BODY;
	if (strcmp(p->type, "multipart") == 0) {
		enter_multipart(ps, p);
		return;
	}
	if (strcmp(p->type, "message") == 0 &&
	    (strcmp(p->subtype, "rfc822") == 0 ||
	    strcmp(p->subtype, "global") == 0))
		enter_message(ps, p);
}

/* Close part p at offset e: its body ends there. */
static void
close_part(struct mime_parser *ps, struct mime_part *p, size_t e,
    size_t nl_e, bool is_lf_end)
{
	/* The blank line after a header can be the line break before a
	 * delimiter: then the header ends before it and the body is empty
	 * (and so is a message in that body, which starts there too). */
	if (e < p->hdr_off)
		p->hdr_off = e;
	if (e < p->body_off)
		p->body_off = e;
	p->end_off = e > p->body_off ? e : p->body_off;
	p->body_lines = p->body_nl = 0;
	if (e > p->body_off) {
		p->body_nl = nl_e - ps->nl_body[p->depth];
		p->body_lines = p->body_nl + !is_lf_end;
	}
}

/* A header cut short by a delimiter or the end: no body. */
static void
header_cut(struct mime_parser *ps, size_t at)
{
	struct mime_part *p = ps->cur;

	field_finish(ps);
	ps->nfields = 0;
	p->flags |= MIME_PF_NO_BLANK;
	p->body_off = at > p->hdr_off ? at : p->hdr_off;
	ps->nl_body[p->depth] = ps->nl_content;
	mime_part_eval(p);
}

/* "--" boundary ["--"] blanks: the stack level matched, or -1. */
static int
boundary_match(struct mime_parser *ps, const char *s, size_t len,
    bool *is_close)
{
	size_t k, i, n;

	if (len < 3 || s[0] != '-' || s[1] != '-')
		return -1;
	for (k = ps->nstack; k-- > 0;) {
		n = ps->stack[k].len;
		if (len < n + 2 || memcmp(s + 2, ps->stack[k].s, n) != 0)
			continue;
		i = n + 2;
		*is_close = len >= i + 2 && s[i] == '-' && s[i + 1] == '-';
		if (*is_close)
			i += 2;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			return (int)k;
	}
	return -1;
}

/* A delimiter of stack level k ends every part opened inside it. */
static void
on_boundary(struct mime_parser *ps, size_t k, bool is_close, size_t next,
    size_t nl_next)
{
	struct mime_part *mp = ps->stack[k].mp, *p;
	size_t e = ps->content_end;
	bool is_lf = ps->last_len == 0;

	if (ps->st == ST_HDR)
		header_cut(ps, e);
	for (p = ps->cur; p != mp; p = p->parent)
		close_part(ps, p, e, ps->nl_content, is_lf);
	while (ps->nstack > k + 1)
		ps->stack[--ps->nstack].mp->flags |= MIME_PF_NO_END;
	if (is_close) {
		ps->nstack = k;
		ps->cur = mp;
		ps->st = ST_EPILOGUE;
	} else {
		ps->cur = part_new(ps, mp, next);
		ps->st = ST_HDR;
	}
	ps->content_end = next;
	ps->nl_content = nl_next;
	ps->last_len = 0;
}

/* Try the current line as a delimiter; true when it was one. */
static bool
try_boundary(struct mime_parser *ps, size_t clen, size_t next,
    size_t nl_next)
{
	bool is_close = false;
	int k;

	if (ps->nstack == 0 || ps->is_opaque || ps->is_over ||
	    ps->line.len < clen || clen < 3)
		return false;
	if ((k = boundary_match(ps, ps->line.data, clen, &is_close)) < 0)
		return false;
	if (!is_close && ps->nparts >= ps->lim.max_parts) {
		/* The limit: the rest is opaque body of what is open. */
		ps->is_opaque = true;
		ps->stack[k].mp->flags |= MIME_PF_PARTS_LIMIT;
		return false;
	}
	on_boundary(ps, (size_t)k, is_close, next, nl_next);
	return true;
}

/* ---- lines ----------------------------------------------------------- */

static void
account(struct mime_parser *ps, size_t eol)
{
	ps->content_end = eol;
	ps->nl_content = ps->nl;
	ps->last_len = eol - ps->line_off;
}

static void line_dispatch(struct mime_parser *, size_t, size_t, size_t);

static void
hdr_line(struct mime_parser *ps, size_t clen, size_t eol, size_t next)
{
	const char *s = ps->line.data ? ps->line.data : "";
	size_t kept = ps->line.len < clen ? ps->line.len : clen;
	size_t nl_next = ps->nl + (next > eol && ps->last == '\n');
	size_t namelen = 0, valoff = 0;

	switch (mime_hdr_line_kind(s, kept, &namelen, &valoff)) {
	case HDR_LINE_BLANK:
		account(ps, eol);
		header_done(ps, next, nl_next);
		return;
	case HDR_LINE_CONT:
		if (ps->has_field)
			field_add(ps, s, kept);
		break;
	case HDR_LINE_FIELD:
		field_finish(ps);
		buf_reset(&ps->field);
		ps->has_field = true;
		ps->field_name = namelen;
		ps->field_val = valoff;
		field_add(ps, s, kept);
		break;
	case HDR_LINE_OTHER:
		if (ps->line_off == 0 && mime_hdr_is_mbox_from(s, kept))
			break;
		/* Not a header line: the body starts here, with it. */
		ps->cur->flags |= MIME_PF_NO_BLANK;
		header_done(ps, ps->line_off, ps->nl);
		if (ps->st == ST_BODY)
			ps->cur->flags |= ps->line_flags;
		line_dispatch(ps, clen, eol, next);
		return;
	}
	if (ps->is_over)
		ps->cur->flags |= MIME_PF_HDR_TRUNC;
	account(ps, eol);
}

/* A complete line: content [line_off, eol), next line at next. */
static void
line_dispatch(struct mime_parser *ps, size_t clen, size_t eol, size_t next)
{
	size_t nl_next = ps->nl + (next > eol && ps->last == '\n');

	if (try_boundary(ps, clen, next, nl_next))
		return;
	if (ps->st == ST_HDR) {
		hdr_line(ps, clen, eol, next);
		return;
	}
	if (clen > 998)
		ps->cur->flags |= MIME_PF_LONG_LINE;
	account(ps, eol);
}

static void
line_end(struct mime_parser *ps, bool has_lf)
{
	size_t next = ps->line_off + ps->line_len;
	size_t eol = next;

	if (has_lf)
		eol -= 1 + ps->prev_cr;
	line_dispatch(ps, eol - ps->line_off, eol, next);
	ps->line_len = 0;
	ps->is_over = false;
	buf_reset(&ps->line);
}

/* Whether to keep the start of a line that begins with c: headers whole
 * (up to the field limit), body lines only when they may be delimiters. */
static size_t
keep_cap(struct mime_parser *ps, char c)
{
	if (ps->st == ST_HDR)
		return ps->lim.max_field_len;
	if (c == '-' && ps->nstack > 0 && !ps->is_opaque)
		return ps->lim.max_boundary + 68;
	return 0;
}

static bool
has_high(const char *p, size_t n)
{
	uint64_t w, acc = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ULL) != 0;
}

static void
scan_octets(struct mime_parser *ps, const char *p, size_t n)
{
	struct mime_part *c = ps->cur;

	if (ps->st == ST_HDR) {
		/* Kept per line too: a line that ends the header without
		 * being a field is body. */
		if (has_high(p, n)) {
			c->flags |= MIME_PF_HDR_8BIT;
			ps->line_flags |= MIME_PF_BODY_8BIT;
		}
		if (memchr(p, 0, n) != NULL)
			ps->line_flags |= MIME_PF_BODY_NUL;
		return;
	}
	if (!(c->flags & MIME_PF_BODY_8BIT) && has_high(p, n))
		c->flags |= MIME_PF_BODY_8BIT;
	if (!(c->flags & MIME_PF_BODY_NUL) && memchr(p, 0, n) != NULL)
		c->flags |= MIME_PF_BODY_NUL;
}

/* n octets of the current line, the last one LF when has_lf. */
static void
line_take(struct mime_parser *ps, const char *p, size_t n, bool has_lf)
{
	if (ps->line_len == 0) {
		ps->line_off = ps->off;
		ps->line_cap = keep_cap(ps, p[0]);
		ps->prev_cr = false;
		ps->line_flags = 0;
	}
	if (ps->line_cap > 0) {
		size_t room = ps->line_cap - ps->line.len;

		if (n > room)
			ps->is_over = true;
		buf_add(&ps->line, p, n > room ? room : n);
	}
	scan_octets(ps, p, n);
	if (has_lf)
		ps->prev_cr = n >= 2 ? p[n - 2] == '\r' : ps->prev_cr;
	else
		ps->prev_cr = p[n - 1] == '\r';
	ps->line_len += n;
	ps->off += n;
	ps->last = p[n - 1];
}

void
mime_parser_feed(struct mime_parser *ps, const char *p, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) + 1 : len;

		line_take(ps, p, n, nl != NULL);
		if (nl != NULL) {
			line_end(ps, true);
			ps->nl++;
		}
		p += n;
		len -= n;
	}
}

struct mime_part *
mime_parser_finish(struct mime_parser *ps)
{
	struct mime_part *root, *p, *mp;

	if (ps->line_len > 0)
		line_end(ps, false);
	p = ps->cur;
	if (ps->nstack > 0) {
		/* A missing close delimiter is taken as being at the end: the
		 * last line break is its (RFC 2046 5.1.1), as for any other. */
		mp = ps->stack[ps->nstack - 1].mp;
		if (ps->st == ST_HDR)
			header_cut(ps, ps->content_end);
		for (; p != mp; p = p->parent)
			close_part(ps, p, ps->content_end, ps->nl_content,
			    ps->last_len == 0);
	} else if (ps->st == ST_HDR)
		header_cut(ps, ps->off);
	for (; p != NULL; p = p->parent)
		close_part(ps, p, ps->off, ps->nl, ps->last == '\n');
	while (ps->nstack > 0)
		ps->stack[--ps->nstack].mp->flags |= MIME_PF_NO_END;
	root = ps->root;
	ps->root = NULL;
	mime_parser_free(ps);
	return root;
}

struct mime_part *
mime_parse(const char *p, size_t len, const struct mime_limits *lim)
{
	struct mime_parser *ps = mime_parser_new(lim);

	mime_parser_feed(ps, p, len);
	return mime_parser_finish(ps);
}

int
mime_parse_file(const char *path, const struct mime_limits *lim,
    struct mime_part **out)
{
	struct mime_parser *ps;
	char *blk;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	ps = mime_parser_new(lim);
	blk = xmalloc(64 * 1024);
	while ((n = read(fd, blk, 64 * 1024)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			free(blk);
			mime_parser_free(ps);
			close(fd);
			errno = saved;
			return -1;
		}
		mime_parser_feed(ps, blk, (size_t)n);
	}
	free(blk);
	close(fd);
	*out = mime_parser_finish(ps);
	return 0;
}
