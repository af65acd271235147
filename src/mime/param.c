/* MIME parameters (RFC 2045 5.1) with RFC 2231 continuations, charsets
 * and languages, parsed tolerantly and written back folded.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "mime_int.h"

#define SEG_MAX		100	/* continuation numbers we keep */
#define PIECE_MAX	60	/* octets of one written continuation */

struct seg {
	char		*name;		/* base name, lowercase */
	unsigned	 num;		/* continuation number */
	bool		 has_num;
	bool		 is_enc;	/* "*" at the end: %-encoded */
	char		*val;		/* unquoted value */
	size_t		 idx;		/* order of appearance */
};

struct segs {
	struct seg	*v;
	size_t		 n;
};

/* The end of a parameter: the next ";" outside quotes and comments. */
static size_t
param_end(const char *p, size_t len, size_t i)
{
	bool in_q = false;
	int depth = 0;

	for (; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && (in_q || depth > 0))
			i++;
		else if (p[i] == '"' && depth == 0)
			in_q = !in_q;
		else if (!in_q && p[i] == '(')
			depth++;
		else if (!in_q && p[i] == ')' && depth > 0)
			depth--;
		else if (!in_q && depth == 0 && p[i] == ';')
			return i;
	}
	return len;
}

/* The value after "=": a quoted string, or text up to a comment. */
static char *
value_of(const char *p, size_t len)
{
	struct buf o = BUF_INIT;
	struct lex lx;
	struct lex_tok t;
	const char *c;

	str_trim(&p, &len);
	if (len > 0 && p[0] == '"') {
		mime_lex_init(&lx, p, len, true);
		mime_lex_next(&lx, &t);
		mime_lex_unquote(t.p, t.len, &o);
		buf_cstr(&o);
		return buf_release(&o);
	}
	/* RFC 2045 5.1 allows comments; values like "----=_Part" hold
	 * tspecials in the wild, so the rest is taken as it is. */
	if ((c = str_chr(p, len, '(')) != NULL) {
		len = (size_t)(c - p);
		str_trim(&p, &len);
	}
	mime_hdr_unfold(p, len, &o);
	buf_cstr(&o);
	return buf_release(&o);
}

/* Split "name*3*" into its parts; false for an empty name. */
static bool
seg_name(const char *p, size_t len, struct seg *s)
{
	const char *star = str_chr(p, len, '*');
	const char *errstr;
	size_t nlen = star ? (size_t)(star - p) : len;

	if (nlen == 0)
		return false;
	s->name = xstrndup(p, nlen);
	str_lower(s->name);
	if (star == NULL)
		return true;
	p = star + 1;
	len -= nlen + 1;
	if (len > 0 && p[len - 1] == '*') {
		s->is_enc = true;
		len--;
	} else if (len == 0) {
		/* "name*": one extended value (RFC 2231 4). */
		s->is_enc = true;
		return true;
	}
	s->num = (unsigned)str_to_uint_n(p, len, 0, SEG_MAX, &errstr);
	if (errstr != NULL) {
		free(s->name);
		return false;
	}
	s->has_num = true;
	return true;
}

static void
segs_add(struct segs *ss, const char *p, size_t len)
{
	const char *eq = str_chr(p, len, '=');
	struct seg s;
	size_t nlen;
	const char *n = p;

	if (eq == NULL)
		return;
	memset(&s, 0, sizeof(s));
	nlen = (size_t)(eq - p);
	while (nlen > 0 && strchr(" \t\r\n", *n) != NULL) {
		n++;
		nlen--;
	}
	while (nlen > 0 && strchr(" \t\r\n", n[nlen - 1]) != NULL)
		nlen--;
	if (!seg_name(n, nlen, &s))
		return;
	s.val = value_of(eq + 1, len - (size_t)(eq + 1 - p));
	s.idx = ss->n;
	ss->v = xreallocarray(ss->v, ss->n + 1, sizeof(*ss->v));
	ss->v[ss->n++] = s;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Extended forms sort after plain ones, then by number. */
	if ((x->has_num || x->is_enc) != (y->has_num || y->is_enc))
		return (x->has_num || x->is_enc) ? 1 : -1;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static void
pct_decode(const char *s, struct buf *out)
{
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			buf_addc(out, (char)(hi << 4 | lo));
			s += 2;
		} else
			buf_addc(out, *s);
	}
}

static bool
attr_char(unsigned char c)
{
	return c > 32 && c < 127 && strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL;
}

static void
pct_encode(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (attr_char(c))
			buf_addc(out, (char)c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

/* Split "charset'lang'" off the first encoded segment (RFC 2231 4). */
static const char *
ext_prefix(const char *v, struct mime_param *mp)
{
	const char *q1 = strchr(v, '\''), *q2;

	if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	if (q1 > v)
		mp->charset = xstrndup(v, (size_t)(q1 - v));
	if (q2 > q1 + 1)
		mp->lang = xstrndup(q1 + 1, (size_t)(q2 - q1 - 1));
	return q2 + 1;
}

/* Join the segments [a, b) of one name into a parameter. */
static bool
join(struct seg *v, size_t a, size_t b, struct mime_param *mp)
{
	struct buf octets = BUF_INIT, raw = BUF_INIT, val = BUF_INIT;
	bool ok = true, is_ext = v[a].is_enc;
	size_t i;

	for (i = a; i < b; i++) {
		const char *s = v[i].val;

		if (i == a && v[i].is_enc)
			s = ext_prefix(s, mp);
		if (v[i].is_enc) {
			pct_decode(s, &octets);
			buf_adds(&raw, s);
		} else {
			buf_adds(&octets, s);
			pct_encode(s, strlen(s), &raw);
		}
	}
	mp->is_ext = is_ext;
	if (is_ext) {
		mp->raw = xasprintf("%s'%s'%s", mp->charset ? mp->charset : "",
		    mp->lang ? mp->lang : "", buf_cstr(&raw));
		if (mime_charset_to_utf8(mp->charset ? mp->charset :
		    "us-ascii", buf_cstr(&octets), octets.len, &val) == -1) {
			mime_utf8_sanitize(octets.data, octets.len, &val);
			ok = false;
		}
	} else {
		mp->raw = xstrdup(buf_cstr(&octets));
		/* Encoded words in a value break RFC 2047 5 but are what
		 * many agents write for file names; read them. */
		ok = mime_ew_decode_text(octets.data, octets.len, &val);
	}
	buf_cstr(&val);
	mp->value = buf_release(&val);
	buf_free(&octets);
	buf_free(&raw);
	return ok;
}

static void
params_add(struct mime_params *ps, struct mime_param *mp)
{
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n++] = *mp;
}

/* Build parameters from sorted segments: per name, the extended group
 * when there is one (it carries the charset), else the plain value. */
static bool
segs_build(struct segs *ss, struct mime_params *out)
{
	size_t i = 0, j, k;
	bool ok = true;

	while (i < ss->n) {
		struct mime_param mp;

		for (j = i; j < ss->n && strcmp(ss->v[j].name,
		    ss->v[i].name) == 0; j++)
			;
		for (k = i; k < j && !(ss->v[k].has_num || ss->v[k].is_enc);
		    k++)
			;
		memset(&mp, 0, sizeof(mp));
		mp.name = xstrdup(ss->v[i].name);
		/* A plain duplicate: the first one counts. */
		if (!join(ss->v, k < j ? k : i, k < j ? j : i + 1, &mp))
			ok = false;
		params_add(out, &mp);
		i = j;
	}
	return ok;
}

bool
mime_params_parse(const char *p, size_t len, const char **main,
    size_t *mainlen, struct mime_params *out)
{
	struct segs ss = { NULL, 0 };
	size_t i, e;
	bool ok;

	e = param_end(p, len, 0);
	*main = p;
	*mainlen = e;
	str_trim(main, mainlen);
	for (i = e + 1; i < len; i = e + 1) {
		e = param_end(p, len, i);
		segs_add(&ss, p + i, e - i);
	}
	if (ss.n > 1)
		qsort(ss.v, ss.n, sizeof(*ss.v), seg_cmp);
	ok = segs_build(&ss, out);
	for (i = 0; i < ss.n; i++) {
		free(ss.v[i].name);
		free(ss.v[i].val);
	}
	free(ss.v);
	return ok;
}

const struct mime_param *
mime_params_find(const struct mime_params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

const char *
mime_params_get(const struct mime_params *ps, const char *name)
{
	const struct mime_param *mp = mime_params_find(ps, name);

	return mp ? mp->value : NULL;
}

void
mime_params_free(struct mime_params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].value);
		free(ps->v[i].raw);
		free(ps->v[i].charset);
		free(ps->v[i].lang);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

/* ---- writing ---------------------------------------------------------- */

static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *s) != NULL)
			return false;
	return true;
}

static void
put_piece(struct buf *piece, size_t *col, struct buf *out)
{
	buf_addc(out, ';');
	(*col)++;
	mime_fold_word(out, col, piece->data, piece->len, false);
	buf_reset(piece);
}

static void
quote_into(const char *s, size_t n, struct buf *o)
{
	size_t i;

	buf_addc(o, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(o, '\\');
		buf_addc(o, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
	}
	buf_addc(o, '"');
}

void
mime_param_write(const char *name, const char *value, size_t *col,
    struct buf *out)
{
	struct buf enc = BUF_INIT, piece = BUF_INIT;
	size_t n = strlen(value), i, k, num = 0;
	bool is_ext = mime_has_8bit(value, n);

	if (!is_ext && n + strlen(name) < PIECE_MAX + 10) {
		buf_addf(&piece, "%s=", name);
		if (is_token(value))
			buf_adds(&piece, value);
		else
			quote_into(value, n, &piece);
		put_piece(&piece, col, out);
		buf_free(&piece);
		return;
	}
	/* RFC 2231 3 and 4: numbered pieces, %-encoded UTF-8 when needed. */
	if (is_ext) {
		buf_adds(&enc, "utf-8''");
		pct_encode(value, n, &enc);
	} else
		buf_add(&enc, value, n);
	for (i = 0; i < enc.len; i = k, num++) {
		k = i + PIECE_MAX < enc.len ? i + PIECE_MAX : enc.len;
		/* Keep a %XX triplet whole. */
		if (is_ext && k < enc.len && k >= i + 2 &&
		    (enc.data[k - 1] == '%' || enc.data[k - 2] == '%'))
			k -= enc.data[k - 1] == '%' ? 1 : 2;
		buf_addf(&piece, "%s*%zu%s=", name, num, is_ext ? "*" : "");
		if (is_ext)
			buf_add(&piece, enc.data + i, k - i);
		else
			quote_into(enc.data + i, k - i, &piece);
		put_piece(&piece, col, out);
	}
	buf_free(&enc);
	buf_free(&piece);
}

/* ---- IMAP body-fld-param ------------------------------------------- */

/* One parameter as written, for the IMAP list: RFC 2231 pieces carry
 * their number and whether they are %-encoded. */
struct iparam {
	char		*name;		/* lowercase, without "*n*" */
	char		*val;		/* unquoted */
	unsigned	 num;
	bool		 is_piece;	/* "name*", "name*n" or "name*n*" */
	bool		 is_enc;
};

/* Split "name*3*" into name, number and encoding; false when what
 * follows the "*" is not an RFC 2231 suffix (then it is a plain name). */
static bool
ipiece(char *name, struct iparam *ip)
{
	char *star = strchr(name, '*'), *s;
	unsigned long n = 0;

	if (star == NULL || star == name)
		return false;
	for (s = star + 1; *s >= '0' && *s <= '9' && n <= SEG_MAX; s++)
		n = n * 10 + (unsigned long)(*s - '0');
	if (n > SEG_MAX)
		return false;
	/* "name*" is one encoded value (RFC 2231 4), "name*n*" a piece. */
	ip->is_enc = s == star + 1 || *s == '*';
	if (*s == '*')
		s++;
	if (*s != '\0')
		return false;
	*star = '\0';
	ip->num = (unsigned)n;
	ip->is_piece = true;
	return true;
}

static int
ipiece_cmp(const void *a, const void *b)
{
	const struct iparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->num < y->num ? -1 : x->num > y->num;
}

static void
iparam_put(const char *name, const char *suffix, const char *val,
    size_t vlen, bool *is_first, struct buf *out)
{
	char *n = xasprintf("%s%s", name, suffix);

	buf_adds(out, *is_first ? "(" : " ");
	*is_first = false;
	mime_imap_upper(out, n);
	buf_addc(out, ' ');
	mime_imap_string(out, val, vlen);
	free(n);
}

/* The pieces [a, b) of one name: joined into "name" or "name*" when
 * numbered 0, 1, 2, ... (plain pieces %-escaped among encoded ones, so
 * the value stays one RFC 2231 string); else each as written. */
static void
ipieces_put(const struct iparam *v, size_t a, size_t b, bool *is_first,
    struct buf *out)
{
	struct buf j = BUF_INIT;
	bool has_enc = false, is_seq = true;
	const char *s;
	size_t i;

	for (i = a; i < b; i++) {
		has_enc |= v[i].is_enc;
		is_seq &= v[i].num == i - a;
	}
	if (!is_seq) {
		for (i = a; i < b; i++) {
			char *suffix = xasprintf("*%u%s", v[i].num,
			    v[i].is_enc ? "*" : "");

			iparam_put(v[i].name, suffix, v[i].val,
			    strlen(v[i].val), is_first, out);
			free(suffix);
		}
		return;
	}
	if (has_enc && !v[a].is_enc)
		buf_adds(&j, "''");
	for (i = a; i < b; i++) {
		for (s = v[i].val; *s != '\0'; s++) {
			if (has_enc && !v[i].is_enc && *s == '%')
				buf_adds(&j, "%25");
			else
				buf_addc(&j, *s);
		}
	}
	iparam_put(v[a].name, has_enc ? "*" : "", j.data ? j.data : "", j.len,
	    is_first, out);
	buf_free(&j);
}

bool
mime_params_imap_write(const char *v, struct buf *out)
{
	struct iparam *pieces = NULL, ip;
	size_t len = v ? strlen(v) : 0, npieces = 0, i, e, k;
	bool is_first = true;

	if (v == NULL)
		return false;
	for (i = param_end(v, len, 0) + 1; i < len; i = e + 1) {
		const char *eq, *n;
		size_t nlen;

		e = param_end(v, len, i);
		if ((eq = str_chr(v + i, e - i, '=')) == NULL)
			continue;
		n = v + i;
		nlen = (size_t)(eq - n);
		str_trim(&n, &nlen);
		if (nlen == 0)
			continue;
		memset(&ip, 0, sizeof(ip));
		ip.name = xstrndup(n, nlen);
		str_lower(ip.name);
		ip.val = value_of(eq + 1, e - (size_t)(eq + 1 - v));
		if (!ipiece(ip.name, &ip)) {
			/* Plain parameters first, in their order. */
			iparam_put(ip.name, "", ip.val, strlen(ip.val),
			    &is_first, out);
			free(ip.name);
			free(ip.val);
			continue;
		}
		pieces = xreallocarray(pieces, npieces + 1, sizeof(*pieces));
		pieces[npieces++] = ip;
	}
	/* Then the RFC 2231 ones, by name and piece number whatever order
	 * they came in (RFC 2231 3 does not ask for order). */
	if (npieces > 1)
		qsort(pieces, npieces, sizeof(*pieces), ipiece_cmp);
	for (i = 0; i < npieces; i = k) {
		for (k = i; k < npieces && strcmp(pieces[k].name,
		    pieces[i].name) == 0; k++)
			;
		ipieces_put(pieces, i, k, &is_first, out);
	}
	for (i = 0; i < npieces; i++) {
		free(pieces[i].name);
		free(pieces[i].val);
	}
	free(pieces);
	if (!is_first)
		buf_addc(out, ')');
	return !is_first;
}
