/* The IMAP command reader and parser (RFC 3501 2.2, 4, 9): a command is
 * lines and literals, "{n}" (synchronizing: the client waits for "+") or
 * "{n+}" (LITERAL+, RFC 7888); the reader assembles them with the literal
 * text inline, refusing a literal over the limit before a byte of it is
 * read, and the parser turns the whole into atoms, strings and lists.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "imap_int.h"
#include "lib/str.h"
#include "mime/mime.h"
#include "lib/xalloc.h"

void
imap_reader_init(struct imap_reader *r, size_t max_line,
    uint64_t max_literal)
{
	memset(r, 0, sizeof(*r));
	r->max_line = max_line;
	r->max_literal = max_literal;
}

void
imap_reader_fini(struct imap_reader *r)
{
	buf_free(&r->text);
}

void
imap_reader_reset(struct imap_reader *r)
{
	buf_reset(&r->text);
	r->lit_left = 0;
	if (r->text.cap > IMAP_CMD_MAX)
		buf_free(&r->text);
}

/* A literal marker "{digits}" or "{digits+}" at the end of the line. */
static bool
literal_marker(const char *line, size_t len, uint64_t *n, bool *is_sync)
{
	const char *errstr;
	size_t end = len, start;

	if (len < 3 || line[len - 1] != '}')
		return false;
	end = len - 1;
	*is_sync = true;
	if (line[end - 1] == '+') {
		*is_sync = false;
		end--;
	}
	for (start = end; start > 0 && line[start - 1] >= '0' &&
	    line[start - 1] <= '9'; start--)
		;
	if (start == end || start == 0 || line[start - 1] != '{' ||
	    end - start > 20)
		return false;
	*n = str_to_uint_n(line + start, end - start, 0, UINT64_MAX, &errstr);
	return errstr == NULL;
}

/* Whether the command being read is APPEND, whose literals may be big. */
static bool
is_append(const char *p, size_t len)
{
	const char *sp = str_chr(p, len, ' ');

	if (sp == NULL)
		return false;
	len -= (size_t)(sp - p) + 1;
	return str_iprefix(sp + 1, len, "APPEND ");
}

int
imap_reader_line(struct imap_reader *r, const char *line, size_t len,
    uint64_t *lit_out, bool *sync_out, bool *too_big_out,
    const char **errstr)
{
	uint64_t max;
	bool is_sync;

	*too_big_out = false;
	if (r->text.len + len + 2 > IMAP_CMD_MAX + r->max_line) {
		*errstr = "Command too long";
		return -1;
	}
	buf_add(&r->text, line, len);
	buf_add(&r->text, "\r\n", 2);
	if (!literal_marker(line, len, lit_out, &is_sync))
		return 1;
	max = is_append(r->text.data, r->text.len) ? r->max_literal :
	    IMAP_SMALL_LITERAL;
	if (*lit_out > max || r->text.len + *lit_out > IMAP_CMD_MAX + max) {
		/* RFC 7889 4 and RFC 4469: TOOBIG, before any of it. */
		*errstr = "[TOOBIG] Literal too big";
		*too_big_out = true;
		*sync_out = is_sync;
		return -1;
	}
	*sync_out = is_sync;
	r->lit_left = *lit_out;
	buf_reserve(&r->text, (size_t)*lit_out);
	return 0;
}

size_t
imap_reader_literal(struct imap_reader *r, const char *p, size_t len)
{
	size_t n = len < r->lit_left ? len : (size_t)r->lit_left;

	buf_add(&r->text, p, n);
	r->lit_left -= n;
	return n;
}

static bool
is_tag_char(unsigned char c)
{
	/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">. */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '%' && c != '*' && c != '"' && c != '\\' && c != '+';
}

int
imap_parse_head(const char *p, size_t len, const char **tag,
    size_t *tag_len, const char **name, size_t *name_len, size_t *rest_out,
    const char **errstr)
{
	size_t i = 0, j;

	while (i < len && is_tag_char((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= len || p[i] != ' ') {
		*errstr = "Missing or bad tag";
		*tag = NULL;
		return -1;
	}
	*tag = p;
	*tag_len = i;
	for (j = ++i; j < len && p[j] != ' ' && p[j] != '\r'; j++) {
		if (!((p[j] >= 'A' && p[j] <= 'Z') ||
		    (p[j] >= 'a' && p[j] <= 'z') || p[j] == '-' ||
		    (p[j] >= '0' && p[j] <= '9'))) {
			*errstr = "Bad command name";
			return -1;
		}
	}
	if (j == i || j - i >= 32) {
		*errstr = "Missing or bad command name";
		return -1;
	}
	*name = p + i;
	*name_len = j - i;
	*rest_out = j;
	return 0;
}

struct parser {
	const char	*p;
	size_t		 len;
	size_t		 pos;
	size_t		 count;
	struct imap_args *args;
	const char	*errstr;
};

static bool
is_atom_char(unsigned char c)
{
	/* Liberal: everything but the delimiters. "%*\\]" are allowed for
	 * LIST patterns, flags and fetch items. */
	return c > 0x20 && c != 0x7f && c != '(' && c != ')' && c != '"' &&
	    c != '{';
}

static int
parse_atom(struct parser *ps, struct imap_arg *a)
{
	size_t start = ps->pos;
	int depth = 0;

	while (ps->pos < ps->len) {
		unsigned char c = (unsigned char)ps->p[ps->pos];

		/* BODY[HEADER.FIELDS (A B)]: spaces and parentheses are
		 * part of the atom inside brackets. */
		if (c == '[')
			depth++;
		else if (c == ']' && depth > 0)
			depth--;
		else if (depth == 0 && !is_atom_char(c))
			break;
		else if (depth > 0 && (c == '\r' || c == '\n'))
			break;
		ps->pos++;
	}
	if (ps->pos == start || depth != 0) {
		ps->errstr = "Bad atom";
		return -1;
	}
	a->type = IMAP_ARG_ATOM;
	a->p = ps->p + start;
	a->len = ps->pos - start;
	if (str_ieq(a->p, a->len, "NIL"))
		a->type = IMAP_ARG_NIL;
	return 0;
}

static int
parse_quoted(struct parser *ps, struct imap_arg *a)
{
	struct buf *sb = &ps->args->strings;
	size_t start = sb->len;
	char c;

	ps->pos++;
	while (ps->pos < ps->len) {
		c = ps->p[ps->pos++];
		if (c == '"') {
			a->type = IMAP_ARG_QUOTED;
			/* Offsets now; pointers once strings stops growing. */
			a->p = NULL;
			a->n = start;
			a->len = sb->len - start;
			buf_addc(sb, '\0');
			return 0;
		}
		if (c == '\\' && ps->pos < ps->len &&
		    (ps->p[ps->pos] == '"' || ps->p[ps->pos] == '\\'))
			c = ps->p[ps->pos++];
		else if (c == '\\' || c == '\r' || c == '\n' || c == '\0')
			break;
		buf_addc(sb, c);
	}
	ps->errstr = "Bad quoted string";
	return -1;
}

static int
parse_literal(struct parser *ps, struct imap_arg *a)
{
	const char *errstr;
	size_t end, start = ps->pos + 1;
	uint64_t n;

	for (end = start; end < ps->len && ps->p[end] >= '0' &&
	    ps->p[end] <= '9'; end++)
		;
	n = str_to_uint_n(ps->p + start, end - start, 0, UINT32_MAX,
	    &errstr);
	if (errstr == NULL && end < ps->len && ps->p[end] == '+')
		end++;
	if (errstr != NULL || end + 3 > ps->len || ps->p[end] != '}' ||
	    ps->p[end + 1] != '\r' || ps->p[end + 2] != '\n' ||
	    n > ps->len - end - 3) {
		ps->errstr = "Bad literal";
		return -1;
	}
	a->type = IMAP_ARG_LITERAL;
	a->p = ps->p + end + 3;
	a->len = (size_t)n;
	ps->pos = end + 3 + (size_t)n;
	return 0;
}

static int parse_list(struct parser *ps, struct imap_arg **v, size_t *n,
    char close, unsigned depth);

static int
parse_one(struct parser *ps, struct imap_arg *a, unsigned depth)
{
	memset(a, 0, sizeof(*a));
	if (++ps->count > IMAP_ARGS_MAX) {
		ps->errstr = "Too many arguments";
		return -1;
	}
	switch (ps->p[ps->pos]) {
	case '"':
		return parse_quoted(ps, a);
	case '{':
		return parse_literal(ps, a);
	case '~':
		/* literal8 (RFC 3516 4.4, RFC 9051 4.3): octets that may hold
		 * NUL, only meant for APPEND. */
		if (ps->pos + 1 < ps->len && ps->p[ps->pos + 1] == '{') {
			ps->pos++;
			a->is_literal8 = true;
			return parse_literal(ps, a);
		}
		return parse_atom(ps, a);
	case '(':
		if (depth >= IMAP_DEPTH_MAX) {
			ps->errstr = "Too deeply nested";
			return -1;
		}
		ps->pos++;
		a->type = IMAP_ARG_LIST;
		return parse_list(ps, &a->list, &a->n, ')', depth + 1);
	default:
		return parse_atom(ps, a);
	}
}

/* Items separated by single spaces up to close (')' or the CRLF). */
static int
parse_list(struct parser *ps, struct imap_arg **v, size_t *n, char close,
    unsigned depth)
{
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	for (;;) {
		if (ps->pos >= ps->len)
			break;
		if (ps->p[ps->pos] == close) {
			ps->pos++;
			return 0;
		}
		if (*n > 0 || close == '\r') {
			if (ps->p[ps->pos] != ' ')
				break;
			ps->pos++;
			if (ps->pos >= ps->len)
				break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		/* Counted even when it failed: what it holds gets freed. */
		if (parse_one(ps, &(*v)[(*n)++], depth) == -1)
			return -1;
	}
	if (ps->errstr == NULL)
		ps->errstr = "Unexpected end of command";
	return -1;
}

static void
fix_strings(struct imap_arg *v, size_t n, const char *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].type == IMAP_ARG_QUOTED) {
			v[i].p = base + v[i].n;
			v[i].n = 0;
		} else if (v[i].type == IMAP_ARG_LIST)
			fix_strings(v[i].list, v[i].n, base);
	}
}

static void
free_list(struct imap_arg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].type == IMAP_ARG_LIST)
			free_list(v[i].list, v[i].n);
	free(v);
}

int
imap_parse_args(const char *p, size_t len, struct imap_args *args,
    const char **errstr)
{
	struct parser ps;

	memset(args, 0, sizeof(*args));
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.len = len;
	ps.args = args;
	/* The text ends in CRLF: the reader put it there. */
	if (parse_list(&ps, &args->v, &args->n, '\r', 0) == -1 ||
	    ps.pos >= len || p[ps.pos] != '\n' || ps.pos + 1 != len) {
		*errstr = ps.errstr ? ps.errstr : "Junk after the command";
		imap_args_free(args);
		return -1;
	}
	buf_addc(&args->strings, '\0');
	fix_strings(args->v, args->n, args->strings.data);
	return 1;
}

void
imap_args_free(struct imap_args *args)
{
	free_list(args->v, args->n);
	buf_free(&args->strings);
	args->v = NULL;
	args->n = 0;
}

char *
imap_arg_str(const struct imap_arg *arg)
{
	/* literal8 is for APPEND's message only (RFC 3516 4.4). */
	if (arg->type == IMAP_ARG_LIST || arg->is_literal8)
		return NULL;
	if (arg->type == IMAP_ARG_NIL)
		return xstrdup("NIL");
	if (memchr(arg->p, '\0', arg->len) != NULL)
		return NULL;
	return xstrndup(arg->p, arg->len);
}

bool
imap_arg_is_atom(const struct imap_arg *arg, const char *s)
{
	return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
	    str_ieq(arg->p, arg->len, s);
}

bool
imap_arg_is_string(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_QUOTED ||
	    (arg->type == IMAP_ARG_LITERAL && !arg->is_literal8);
}

bool
imap_args_quoted_utf8(const struct imap_arg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].type == IMAP_ARG_LIST &&
		    !imap_args_quoted_utf8(v[i].list, v[i].n))
			return false;
		if (v[i].type == IMAP_ARG_QUOTED &&
		    !mime_utf8_is_valid(v[i].p, v[i].len))
			return false;
	}
	return true;
}
