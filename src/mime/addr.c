/* Addresses (RFC 5322 3.4): address lists with groups, display names
 * (quoted strings, comments, encoded words per RFC 2047 5), quoted local
 * parts, domain literals, the obsolete forms of 4.4 (routes, CFWS around
 * dots, null members) and UTF-8 (RFC 6532 3.2); and writing them back.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "mime_int.h"

struct toks {
	struct lex_tok	*v;
	size_t		 n;
};

static void
toks_read(const char *p, size_t len, struct toks *t)
{
	struct lex lx;
	struct lex_tok tok;

	/* Every token takes at least one octet. */
	t->v = xreallocarray(NULL, len + 1, sizeof(*t->v));
	t->n = 0;
	mime_lex_init(&lx, p, len, false);
	while (mime_lex_next(&lx, &tok) != LEX_END)
		t->v[t->n++] = tok;
}

static bool
is_sp(const struct lex_tok *t, char c)
{
	return t->kind == LEX_SPECIAL && t->c == c;
}

/* The phrase in tokens [a, b): words joined by one space where the input
 * had blanks, quotes removed, comments dropped. */
static char *
phrase_raw(const struct toks *t, size_t a, size_t b)
{
	struct buf o = BUF_INIT;
	size_t i;

	for (i = a; i < b; i++) {
		const struct lex_tok *k = &t->v[i];

		if (k->kind == LEX_COMMENT)
			continue;
		if (o.len > 0 && k->is_ws_before)
			buf_addc(&o, ' ');
		if (k->kind == LEX_QSTRING)
			mime_lex_unquote(k->p, k->len, &o);
		else
			buf_add(&o, k->p, k->len);
	}
	if (o.len == 0)
		return NULL;
	return buf_release(&o);
}

static char *
decode_name(const char *raw)
{
	struct buf o = BUF_INIT;

	if (raw == NULL)
		return NULL;
	mime_ew_decode_text(raw, strlen(raw), &o);
	return buf_release(&o);
}

/* The first comment in [a, b), for "addr (Name)" without a phrase. */
static char *
comment_name(const struct toks *t, size_t a, size_t b)
{
	struct buf o = BUF_INIT;
	size_t i;

	for (i = a; i < b; i++)
		if (t->v[i].kind == LEX_COMMENT) {
			mime_lex_unquote(t->v[i].p, t->v[i].len, &o);
			if (o.len > 0)
				return buf_release(&o);
		}
	buf_free(&o);
	return NULL;
}

/* A closed domain literal of dtext and blanks (RFC 5322 3.4.1). */
static bool
is_domlit(const struct lex_tok *k)
{
	size_t i;

	if (k->len < 2 || k->p[k->len - 1] != ']')
		return false;
	for (i = 1; i + 1 < k->len; i++)
		if (k->p[i] == 0 || strchr("[]\\\r\n", k->p[i]) != NULL)
			return false;
	return true;
}

/* May token k be part of a local part (is_local) or a domain? Words and
 * dots; quoted strings only on the left, literals on the right. */
static bool
is_addr_tok(const struct lex_tok *k, bool is_local)
{
	switch (k->kind) {
	case LEX_ATOM:
		return true;
	case LEX_QSTRING:
		return is_local;
	case LEX_DOMLIT:
		return !is_local && is_domlit(k);
	case LEX_SPECIAL:
		return k->c == '.';
	default:
		return false;
	}
}

/* Concatenate words and dots of a local part or domain, dropping the
 * CFWS that obs-local-part and obs-domain allow around dots. */
static char *
join_words(const struct toks *t, size_t a, size_t b, bool is_local)
{
	struct buf o = BUF_INIT;
	size_t i;

	for (i = a; i < b; i++) {
		const struct lex_tok *k = &t->v[i];

		if (!is_addr_tok(k, is_local))
			continue;
		if (is_local && o.len > 0 && k->is_ws_before &&
		    !is_sp(k, '.') && !is_sp(&t->v[i - 1], '.'))
			buf_addc(&o, ' ');
		if (k->kind == LEX_QSTRING)
			mime_lex_unquote(k->p, k->len, &o);
		else
			buf_add(&o, k->p, k->len);
	}
	return buf_release(&o);
}

/* The obsolete route as written, comments and blanks dropped. */
static char *
route_text(const struct toks *t, size_t a, size_t b)
{
	struct buf o = BUF_INIT;
	size_t i;

	for (i = a; i < b; i++)
		if (t->v[i].kind != LEX_COMMENT)
			buf_add(&o, t->v[i].p, t->v[i].len);
	return buf_release(&o);
}

static struct mime_addr *
list_add(struct mime_addr_list *l, enum mime_addr_kind kind)
{
	struct mime_addr *a;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* addr-spec in [a, b): local "@" domain, split at the last "@". */
static void
addr_spec(const struct toks *t, size_t a, size_t b, struct mime_addr *m)
{
	size_t i, at = b;

	for (i = a; i < b; i++)
		if (is_sp(&t->v[i], '@'))
			at = i;
	m->local = join_words(t, a, at, true);
	if (at < b) {
		m->domain = join_words(t, at + 1, b, false);
		if (m->domain[0] == '\0') {
			free(m->domain);
			m->domain = NULL;
		}
	}
}

/* "<" [route ":"] addr-spec ">" starting at token lt. */
static void
angle_addr(const struct toks *t, size_t lt, size_t b, struct mime_addr *m)
{
	size_t i, gt = b, colon = lt;

	for (i = lt + 1; i < b; i++) {
		if (is_sp(&t->v[i], '>')) {
			gt = i;
			break;
		}
		if (is_sp(&t->v[i], ':'))
			colon = i;
	}
	if (colon > lt) {
		/* RFC 5322 4.4: keep the route, but it SHOULD be ignored. */
		m->route = route_text(t, lt + 1, colon);
		lt = colon;
	}
	addr_spec(t, lt + 1, gt, m);
}

static bool
has_content(const struct toks *t, size_t a, size_t b)
{
	size_t i;

	for (i = a; i < b; i++)
		if (t->v[i].kind != LEX_COMMENT)
			return true;
	return false;
}

/* One mailbox in tokens [a, b); false when there is none. */
static bool
mailbox(const struct toks *t, size_t a, size_t b, struct mime_addr_list *l)
{
	struct mime_addr *m;
	size_t i;

	if (!has_content(t, a, b))
		return false;
	m = list_add(l, MIME_ADDR_MAILBOX);
	for (i = a; i < b && !is_sp(&t->v[i], '<'); i++)
		;
	if (i < b) {
		m->name_raw = phrase_raw(t, a, i);
		angle_addr(t, i, b, m);
	} else {
		addr_spec(t, a, b, m);
		m->name_raw = comment_name(t, a, b);
	}
	m->name = decode_name(m->name_raw);
	if (m->local[0] == '\0' && m->domain == NULL) {
		/* "<>" or nothing usable: not a mailbox. */
		free(m->name);
		free(m->name_raw);
		free(m->local);
		free(m->route);
		l->n--;
		return false;
	}
	return true;
}

/* Where the entry starting at a ends: at a "," or ";" outside angle
 * brackets. *is_group is set when a ":" comes first outside brackets
 * and before any "@", which makes [a, end) a group's name. */
static size_t
entry_end(const struct toks *t, size_t a, bool *is_group)
{
	size_t i;
	bool in_angle = false, seen_at = false;

	*is_group = false;
	for (i = a; i < t->n; i++) {
		const struct lex_tok *k = &t->v[i];

		if (k->kind != LEX_SPECIAL)
			continue;
		if (k->c == '<')
			in_angle = true;
		else if (k->c == '>')
			in_angle = false;
		else if (in_angle)
			continue;
		else if (k->c == '@')
			seen_at = true;
		else if (k->c == ',' || k->c == ';')
			return i;
		else if (k->c == ':' && !seen_at) {
			*is_group = true;
			return i;
		}
	}
	return t->n;
}

size_t
mime_addr_parse(const char *p, size_t len, struct mime_addr_list *out)
{
	struct toks t;
	struct mime_addr *g;
	size_t i = 0, e, nbox = 0;
	bool is_group, in_group = false;

	toks_read(p, len, &t);
	while (i < t.n) {
		e = entry_end(&t, i, &is_group);
		if (is_group) {
			g = list_add(out, MIME_ADDR_GROUP_START);
			g->name_raw = phrase_raw(&t, i, e);
			g->name = decode_name(g->name_raw);
			in_group = true;
		} else if (mailbox(&t, i, e, out))
			nbox++;
		if (e < t.n && is_sp(&t.v[e], ';') && in_group) {
			list_add(out, MIME_ADDR_GROUP_END);
			in_group = false;
		}
		i = e + 1;
	}
	if (in_group)
		list_add(out, MIME_ADDR_GROUP_END);
	free(t.v);
	return nbox;
}

void
mime_addr_list_free(struct mime_addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].name_raw);
		free(l->v[i].local);
		free(l->v[i].domain);
		free(l->v[i].route);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- writing ---------------------------------------------------------- */

static bool
is_dot_atom(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (s[i] != '.' && !mime_is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

static void
quoted(const char *s, struct buf *out)
{
	buf_addc(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(out, '\\');
		if (*s != '\r' && *s != '\n')
			buf_addc(out, *s);
	}
	buf_addc(out, '"');
}

void
mime_addr_spec_write(const struct mime_addr *a, struct buf *out)
{
	if (is_dot_atom(a->local))
		buf_adds(out, a->local);
	else
		quoted(a->local, out);
	if (a->domain != NULL) {
		buf_addc(out, '@');
		buf_adds(out, a->domain);
	}
}

/* A phrase of atoms separated by single spaces can go as it is. */
static bool
is_atom_phrase(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == ' ')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' && (s[i + 1] == ' ' || s[i + 1] == '\0'))
			return false;
		if (s[i] != ' ' && !mime_is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The display name as words ready to fold (space-separated). */
static void
phrase_words(const char *name, unsigned flags, size_t col, struct buf *w)
{
	size_t n = strlen(name);
	bool looks_ew = strstr(name, "=?") != NULL;

	if ((!(flags & MIME_WRITE_UTF8) && mime_has_8bit(name, n)) ||
	    looks_ew)
		mime_encword_encode(name, n, MIME_EW_PHRASE, col, w);
	else if (is_atom_phrase(name))
		buf_adds(w, name);
	else
		quoted(name, w);
}

/* Put the words of w (split at spaces) with folding. */
static void
put_words(struct buf *out, size_t *col, const struct buf *w, bool *is_first)
{
	size_t i = 0, s;
	bool in_q = false, in_lit = false;

	/* No fold inside a quoted string or a domain literal. */
	while (i < w->len) {
		for (s = i; i < w->len && (in_q || in_lit ||
		    w->data[i] != ' '); i++) {
			if (w->data[i] == '\\')
				i++;
			else if (w->data[i] == '"' && !in_lit)
				in_q = !in_q;
			else if (w->data[i] == '[' && !in_q)
				in_lit = true;
			else if (w->data[i] == ']' && !in_q)
				in_lit = false;
		}
		if (i > w->len)
			i = w->len;
		mime_fold_word(out, col, w->data + s, i - s, *is_first);
		*is_first = false;
		i++;
	}
}

static void
write_entry(const struct mime_addr *a, unsigned flags, const char *tail,
    struct buf *out, size_t *col, bool *is_first)
{
	struct buf w = BUF_INIT;

	if (a->name != NULL && a->name[0] != '\0')
		phrase_words(a->name, flags, *is_first ? *col : *col + 1,
		    &w);
	if (a->kind == MIME_ADDR_GROUP_START) {
		buf_addc(&w, ':');
	} else {
		if (w.len > 0)
			buf_addc(&w, ' ');
		if (a->name != NULL && a->name[0] != '\0')
			buf_addc(&w, '<');
		mime_addr_spec_write(a, &w);
		if (a->name != NULL && a->name[0] != '\0')
			buf_addc(&w, '>');
	}
	buf_adds(&w, tail);
	put_words(out, col, &w, is_first);
	buf_free(&w);
}

void
mime_addr_list_write(const struct mime_addr_list *l, size_t col,
    unsigned flags, struct buf *out)
{
	size_t i;
	bool is_first = true;

	for (i = 0; i < l->n; i++) {
		const struct mime_addr *a = &l->v[i];
		bool is_last = i + 1 == l->n;
		bool next_end = !is_last &&
		    l->v[i + 1].kind == MIME_ADDR_GROUP_END;

		if (a->kind == MIME_ADDR_GROUP_END) {
			/* ";" ends the group, "," separates what follows. */
			buf_adds(out, is_last ? ";" : ";,");
			col += is_last ? 1 : 2;
			continue;
		}
		if (a->kind == MIME_ADDR_GROUP_START && next_end) {
			write_entry(a, flags, "", out, &col, &is_first);
			continue;
		}
		write_entry(a, flags, is_last || next_end ||
		    a->kind == MIME_ADDR_GROUP_START ? "" : ",", out, &col,
		    &is_first);
	}
}
