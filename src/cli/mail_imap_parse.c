/* A tokenizer for the data in IMAP responses (RFC 3501 4 and 9): atoms,
 * numbers, quoted strings, literals already read inline, NIL and
 * parentheses.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "mail_int.h"

static void
skip_sp(struct mail_imap_tok *t)
{
	while (t->pos < t->len && t->p[t->pos] == ' ')
		t->pos++;
}

/* A quoted string: the value is the text between the quotes with the
 * escapes still in (callers print what they get; escapes are rare). */
static void
quoted(struct mail_imap_tok *t, const char **v, size_t *vlen)
{
	size_t start = ++t->pos;

	while (t->pos < t->len && t->p[t->pos] != '"') {
		if (t->p[t->pos] == '\\' && t->pos + 1 < t->len)
			t->pos++;
		t->pos++;
	}
	*v = t->p + start;
	*vlen = t->pos - start;
	if (t->pos < t->len)
		t->pos++;
}

/* "{n}" CRLF and n octets. */
static int
literal(struct mail_imap_tok *t, const char **v, size_t *vlen)
{
	const char *errstr, *close;
	size_t start = t->pos + 1;
	uint64_t n;

	close = str_chr(t->p + start, t->len - start, '}');
	if (close == NULL)
		return 0;
	n = str_to_uint_n(t->p + start, (size_t)(close - t->p) - start, 0,
	    t->len, &errstr);
	t->pos = (size_t)(close - t->p) + 1;
	if (errstr != NULL || t->pos + 2 > t->len)
		return 0;
	t->pos += 2;
	if (n > t->len - t->pos)
		n = t->len - t->pos;
	*v = t->p + t->pos;
	*vlen = (size_t)n;
	t->pos += (size_t)n;
	return 1;
}

int
mail_imap_tok_next(struct mail_imap_tok *t, const char **v, size_t *vlen)
{
	size_t start, depth = 0;
	char c;

	skip_sp(t);
	if (t->pos >= t->len)
		return 0;
	c = t->p[t->pos];
	if (c == '(' || c == ')') {
		*v = t->p + t->pos++;
		*vlen = 1;
		return 2;
	}
	if (c == '"') {
		quoted(t, v, vlen);
		return 1;
	}
	if (c == '{')
		return literal(t, v, vlen);
	/* An atom, with "[...]" kept whole so that "BODY[1.2]" is one. */
	start = t->pos;
	while (t->pos < t->len) {
		c = t->p[t->pos];
		if (c == '[')
			depth++;
		else if (c == ']' && depth > 0)
			depth--;
		else if (depth == 0 && (c == ' ' || c == '(' || c == ')'))
			break;
		t->pos++;
	}
	*v = t->p + start;
	*vlen = t->pos - start;
	if (str_ieq(*v, *vlen, "NIL")) {
		*v = NULL;
		*vlen = 0;
	}
	return 1;
}

void
mail_imap_tok_skip(struct mail_imap_tok *t)
{
	const char *v;
	size_t vlen, depth = 0;
	int r;

	do {
		if ((r = mail_imap_tok_next(t, &v, &vlen)) == 0)
			return;
		if (r == 2 && *v == '(')
			depth++;
		else if (r == 2 && depth > 0)
			depth--;
	} while (depth > 0);
}

bool
mail_imap_tok_open(struct mail_imap_tok *t)
{
	const char *v;
	size_t vlen;

	return mail_imap_tok_next(t, &v, &vlen) == 2 && *v == '(';
}

bool
mail_imap_tok_item(struct mail_imap_tok *t, const char **v, size_t *vlen)
{
	return mail_imap_tok_next(t, v, vlen) == 1 && *v != NULL;
}
