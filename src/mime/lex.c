/* The lexer for structured header fields: atoms (RFC 5322 3.2.3), quoted
 * strings (3.2.4), comments (3.2.2), domain literals (3.4.1), and the
 * tokens and tspecials of MIME (RFC 2045 5.1). Blanks and line breaks
 * between tokens are skipped; unterminated constructs end at the end.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "mime_int.h"

bool
mime_is_atext(unsigned char c)
{
	if (c >= 128)
		return true;
	if (c <= 32 || c == 127)
		return false;
	return strchr("()<>[]:;@\\,.\"", c) == NULL;
}

static bool
is_tspecial(unsigned char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

void
mime_lex_init(struct lex *lx, const char *p, size_t len, bool is_mime)
{
	lx->p = p;
	lx->len = len;
	lx->pos = 0;
	lx->is_mime = is_mime;
	lx->has_ws = false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Scan to the closing delimiter, honouring quoted pairs (and nesting for
 * comments). Returns the length of the contents. */
static size_t
scan_delimited(struct lex *lx, char close, bool is_nested)
{
	size_t start = lx->pos, depth = 1;

	while (lx->pos < lx->len) {
		char c = lx->p[lx->pos];

		if (c == '\\' && lx->pos + 1 < lx->len) {
			lx->pos += 2;
			continue;
		}
		if (is_nested && c == '(')
			depth++;
		else if (c == close && --depth == 0) {
			lx->pos++;
			return lx->pos - 1 - start;
		}
		lx->pos++;
	}
	return lx->pos - start;
}

static bool
is_atom_char(const struct lex *lx, unsigned char c)
{
	if (c <= 32 || c == 127)
		return false;
	if (lx->is_mime)
		return c >= 128 || !is_tspecial(c);
	return mime_is_atext(c);
}

enum lex_kind
mime_lex_next(struct lex *lx, struct lex_tok *t)
{
	unsigned char c;

	t->is_ws_before = lx->has_ws;
	lx->has_ws = false;
	while (lx->pos < lx->len && is_blank(lx->p[lx->pos])) {
		lx->pos++;
		t->is_ws_before = true;
	}
	if (lx->pos >= lx->len)
		return t->kind = LEX_END;
	c = (unsigned char)lx->p[lx->pos];
	t->c = (char)c;
	t->p = lx->p + lx->pos + 1;
	if (c == '"') {
		lx->pos++;
		t->len = scan_delimited(lx, '"', false);
		return t->kind = LEX_QSTRING;
	}
	if (c == '(') {
		lx->pos++;
		t->len = scan_delimited(lx, ')', true);
		lx->has_ws = true;
		return t->kind = LEX_COMMENT;
	}
	if (c == '[' && !lx->is_mime) {
		t->p = lx->p + lx->pos;
		lx->pos++;
		scan_delimited(lx, ']', false);
		t->len = (size_t)(lx->p + lx->pos - t->p);
		return t->kind = LEX_DOMLIT;
	}
	t->p = lx->p + lx->pos;
	if (!is_atom_char(lx, c)) {
		lx->pos++;
		t->len = 1;
		return t->kind = LEX_SPECIAL;
	}
	while (lx->pos < lx->len &&
	    is_atom_char(lx, (unsigned char)lx->p[lx->pos]))
		lx->pos++;
	t->len = (size_t)(lx->p + lx->pos - t->p);
	return t->kind = LEX_ATOM;
}

enum lex_kind
mime_lex_next_nc(struct lex *lx, struct lex_tok *t)
{
	bool ws = false;

	while (mime_lex_next(lx, t) == LEX_COMMENT)
		ws = true;
	if (ws)
		t->is_ws_before = true;
	return t->kind;
}

void
mime_lex_unquote(const char *p, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '\\' && i + 1 < len)
			c = p[++i];
		/* Line breaks are folding, also quoted; NUL is never text. */
		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		buf_addc(out, c);
	}
}
