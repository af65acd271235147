/* The sanitiser's checks of CSS and URLs. CSS is judged on its characters:
 * no escapes, no comments, no at-rules but @media, and no function but
 * colours and calc(), which keeps out url(), expression(), image(),
 * var() and whatever a browser invents next. URLs are normalised the way
 * a browser's URL parser would (blanks and controls stripped) before the
 * scheme is compared with the allow-list.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "web_int.h"

/* Properties a style attribute may set: text, colour, box and table
 * layout. Not position, z-index, content, cursor, transforms, filters,
 * animations or anything vendor-prefixed. */
static const char *const properties[] = {
	"background-color", "border", "border-bottom", "border-bottom-color",
	"border-bottom-style", "border-bottom-width", "border-collapse",
	"border-color", "border-left", "border-left-color",
	"border-left-style", "border-left-width", "border-radius",
	"border-right", "border-right-color", "border-right-style",
	"border-right-width", "border-spacing", "border-style", "border-top",
	"border-top-color", "border-top-style", "border-top-width",
	"border-width", "caption-side", "clear", "color", "direction",
	"display", "empty-cells", "float", "font", "font-family", "font-size",
	"font-style", "font-variant", "font-weight", "height",
	"letter-spacing", "line-height", "list-style-position",
	"list-style-type", "margin", "margin-bottom", "margin-left",
	"margin-right", "margin-top", "max-height", "max-width",
	"min-height", "min-width", "opacity", "overflow-wrap", "padding",
	"padding-bottom", "padding-left", "padding-right", "padding-top",
	"table-layout", "text-align", "text-decoration", "text-indent",
	"text-transform", "unicode-bidi", "vertical-align", "white-space",
	"width", "word-break", "word-spacing", "word-wrap",
};

static const char *const functions[] = {
	"rgb", "rgba", "hsl", "hsla", "calc",
};

/* Extra functions a selector may use in a <style> sheet. */
static const char *const selector_functions[] = {
	"not", "is", "where", "nth-child", "nth-last-child", "nth-of-type",
	"nth-last-of-type", "lang", "dir",
};

static bool
in_list(const char *p, size_t len, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_ieq(p, len, list[i]))
			return true;
	return false;
}

static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Every "(" must follow an allowed function name directly. */
static bool
functions_ok(const char *p, size_t len, bool in_sheet)
{
	size_t i, start;

	for (i = 0; i < len; i++) {
		if (p[i] != '(')
			continue;
		start = i;
		while (start > 0 && is_ident_char(p[start - 1]))
			start--;
		/* A "(" after no name opens a block (a media feature), not a
		 * function (CSS Syntax 4.3.4). */
		if (start == i)
			continue;
		if (in_list(p + start, i - start, functions,
		    sizeof(functions) / sizeof(functions[0])))
			continue;
		if (in_sheet && in_list(p + start, i - start,
		    selector_functions, sizeof(selector_functions) /
		    sizeof(selector_functions[0])))
			continue;
		return false;
	}
	return true;
}

/* Characters of a declaration value: no escapes, markup, comments,
 * colons (no scheme can follow) or anything that ends the declaration
 * early. */
static bool
value_ok(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch < 0x20 && ch != '\t')
			return false;
		if (strchr("\\<>@&;:{}`*=\x7f", ch) != NULL && ch != '\0')
			return false;
	}
	return len > 0 && functions_ok(p, len, false);
}

static void
add_declaration(const char *d, size_t len, struct buf *out,
    unsigned *dropped)
{
	const char *colon = memchr(d, ':', len), *name, *val;
	size_t nlen, vlen;

	if (colon == NULL) {
		(*dropped)++;
		return;
	}
	name = d;
	nlen = (size_t)(colon - d);
	val = colon + 1;
	vlen = len - nlen - 1;
	str_trim(&name, &nlen);
	str_trim(&val, &vlen);
	if (!in_list(name, nlen, properties, sizeof(properties) /
	    sizeof(properties[0])) || !value_ok(val, vlen)) {
		(*dropped)++;
		return;
	}
	if (out->len > 0)
		buf_adds(out, "; ");
	while (nlen-- > 0) {
		char c = *name++;

		buf_addc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
	buf_adds(out, ": ");
	buf_add(out, val, vlen);
}

unsigned
web_sanitize_style(const char *p, size_t len, struct buf *out)
{
	unsigned dropped = 0;
	size_t i, start = 0;
	char quote = 0;

	/* Comments and escapes could hide anything: refuse the attribute. */
	for (i = 0; i < len; i++)
		if (p[i] == '\\' || p[i] == '\0' || (p[i] == '/' &&
		    i + 1 < len && p[i + 1] == '*'))
			return 1;
	for (i = 0; i <= len; i++) {
		if (i < len && quote != 0) {
			if (p[i] == quote)
				quote = 0;
			continue;
		}
		if (i < len && (p[i] == '"' || p[i] == '\'')) {
			quote = p[i];
			continue;
		}
		if (i < len && p[i] != ';')
			continue;
		if (quote != 0) {
			dropped++;
			break;
		}
		if (i > start && !(i - start == 1 && p[start] == ' '))
			add_declaration(p + start, i - start, out, &dropped);
		start = i + 1;
	}
	return dropped;
}

bool
web_css_sheet_is_safe(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\\' || ch == '<' || ch == '\0' || ch == '`' ||
		    (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r'))
			return false;
		if (ch == '/' && i + 1 < len && p[i + 1] == '*')
			return false;
		/* @media only: no @import, @font-face, @namespace... */
		if (ch == '@' && !str_iprefix(p + i, len - i, "@media "))
			return false;
	}
	if (memmem(p, len, "://", 3) != NULL)
		return false;
	return functions_ok(p, len, true);
}

static bool
is_url_blank(unsigned char c)
{
	return c <= 0x20;
}

bool
web_url_is_safe_link(const char *p, size_t len, struct buf *out)
{
	struct buf u = BUF_INIT;
	const char *colon;
	size_t i, slen;
	bool ok;

	/* The URL parser strips leading and trailing C0 controls and
	 * spaces, and removes every tab and newline inside. */
	while (len > 0 && is_url_blank((unsigned char)p[0])) {
		p++;
		len--;
	}
	while (len > 0 && is_url_blank((unsigned char)p[len - 1]))
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f) {
			buf_free(&u);
			return false;
		}
		buf_addc(&u, (char)c);
	}
	colon = u.len ? memchr(u.data, ':', u.len) : NULL;
	slen = colon ? (size_t)(colon - u.data) : 0;
	ok = colon != NULL && (str_ieq(u.data, slen, "http") ||
	    str_ieq(u.data, slen, "https") || str_ieq(u.data, slen,
	    "mailto"));
	if (ok)
		buf_add(out, u.data, u.len);
	buf_free(&u);
	return ok;
}
