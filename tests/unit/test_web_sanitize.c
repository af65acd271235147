/* Unit tests: the HTML mail sanitiser (src/web/sanitize.c,
 * sanitize_css.c). Every file of the hostile corpus tests/data/hostile-
 * html/ is sanitised and the output parsed again the way a browser would:
 * only allowed elements and attributes may be in it, no URL that could
 * run script or load anything unasked. Tables check that ordinary mail
 * survives, and the URL and CSS rules one by one.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <gumbo.h>

#include "lib/str.h"
#include "web/web_int.h"

#define CORPUS	"tests/data/hostile-html"

static const char *const allowed_attrs[] = {
	"abbr", "align", "alt", "bgcolor", "border", "cellpadding",
	"cellspacing", "class", "clear", "color", "cols", "colspan",
	"compact", "datetime", "dir", "face", "headers", "height", "hspace",
	"lang", "noshade", "nowrap", "open", "reversed", "rows", "rowspan",
	"scope", "size", "span", "start", "summary", "title", "type",
	"valign", "value", "vspace", "width", "href", "src", "style",
	"target", "rel", "data-petrel-blocked", "charset", "name", "content",
};

static const GumboTag never[] = {
	GUMBO_TAG_SCRIPT, GUMBO_TAG_IFRAME, GUMBO_TAG_FRAME,
	GUMBO_TAG_FRAMESET, GUMBO_TAG_OBJECT, GUMBO_TAG_EMBED,
	GUMBO_TAG_APPLET, GUMBO_TAG_FORM, GUMBO_TAG_INPUT, GUMBO_TAG_BUTTON,
	GUMBO_TAG_BASE, GUMBO_TAG_LINK, GUMBO_TAG_SVG, GUMBO_TAG_MATH,
	GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE, GUMBO_TAG_TEXTAREA,
	GUMBO_TAG_SELECT, GUMBO_TAG_VIDEO, GUMBO_TAG_AUDIO, GUMBO_TAG_SOURCE,
	GUMBO_TAG_MAP, GUMBO_TAG_AREA, GUMBO_TAG_XMP, GUMBO_TAG_PLAINTEXT,
	GUMBO_TAG_TITLE, GUMBO_TAG_KEYGEN, GUMBO_TAG_ISINDEX,
	GUMBO_TAG_UNKNOWN,
};

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void
check_url(const char *name, const char *v, bool allow_api)
{
	if (strcmp(name, "href") == 0) {
		assert_true(strncasecmp(v, "http:", 5) == 0 ||
		    strncasecmp(v, "https:", 6) == 0 ||
		    strncasecmp(v, "mailto:", 7) == 0);
		return;
	}
	/* src: a part of the message, or inline raster data. */
	if (allow_api && strncmp(v, "/api/", 5) == 0)
		return;
	assert_true(strncmp(v, "data:image/png;base64,", 22) == 0 ||
	    strncmp(v, "data:image/gif;base64,", 22) == 0 ||
	    strncmp(v, "data:image/jpeg;base64,", 23) == 0 ||
	    strncmp(v, "data:image/webp;base64,", 23) == 0);
}

static void
check_css(const char *v)
{
	assert_false(contains_ci(v, "url("));
	assert_false(contains_ci(v, "expression"));
	assert_false(contains_ci(v, "binding"));
	assert_false(contains_ci(v, "behavior"));
	assert_false(contains_ci(v, "@import"));
	assert_false(contains_ci(v, "position"));
	assert_null(strchr(v, '\\'));
	assert_null(strstr(v, "://"));
}

static void
check_attr(const GumboAttribute *a, bool allow_api)
{
	size_t i;
	bool ok = false;

	assert_int_equal(a->attr_namespace, GUMBO_ATTR_NAMESPACE_NONE);
	assert_false(strncasecmp(a->name, "on", 2) == 0);
	for (i = 0; i < sizeof(allowed_attrs) / sizeof(allowed_attrs[0]); i++)
		if (strcmp(a->name, allowed_attrs[i]) == 0)
			ok = true;
	if (!ok)
		print_error("attribute %s survived\n", a->name);
	assert_true(ok);
	if (strcmp(a->name, "href") == 0 || strcmp(a->name, "src") == 0)
		check_url(a->name, a->value, allow_api);
	if (strcmp(a->name, "style") == 0)
		check_css(a->value);
}

/* Walk the output as a browser parses it. */
static void
check_node(const GumboNode *n, bool allow_api, unsigned depth)
{
	const GumboElement *el;
	unsigned i;

	if (n->type != GUMBO_NODE_ELEMENT)
		return;
	el = &n->v.element;
	assert_int_equal(el->tag_namespace, GUMBO_NAMESPACE_HTML);
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (el->tag == never[i]) {
			print_error("element %s survived\n",
			    gumbo_normalized_tagname(el->tag));
			fail();
		}
	if (el->tag == GUMBO_TAG_META)
		for (i = 0; i < el->attributes.length; i++)
			assert_false(strcasecmp(((GumboAttribute *)
			    el->attributes.data[i])->name, "http-equiv") == 0);
	if (el->tag == GUMBO_TAG_STYLE && el->children.length > 0)
		check_css(((GumboNode *)el->children.data[0])->v.text.text);
	for (i = 0; i < el->attributes.length; i++)
		check_attr(el->attributes.data[i], allow_api);
	for (i = 0; i < el->children.length; i++)
		check_node(el->children.data[i], allow_api, depth + 1);
}

static void
check_output(const char *out, size_t len, bool allow_api)
{
	GumboOutput *g = gumbo_parse_with_options(&kGumboDefaultOptions, out,
	    len);

	check_node(g->root, allow_api, 0);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	/* No resource of the corpus is named in the output at all. */
	assert_false(contains_ci(out, "evil.test"));
	assert_false(contains_ci(out, "remote.test"));
	assert_false(contains_ci(out, "<script"));
}

static bool
cid_map(const char *cid, size_t len, struct buf *out, void *arg)
{
	(void)arg;
	if (len == 1 && cid[0] == 'a') {
		buf_adds(out, "/api/folders/INBOX/messages/1/parts/0.2?inline=1");
		return true;
	}
	return false;
}

static char *
read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len_out = b.len;
	return buf_release(&b);
}

static void
test_hostile_corpus(void **state)
{
	struct web_sanitize_opts opts = { false, cid_map, NULL };
	struct web_sanitize_result res;
	struct dirent *de;
	DIR *d = opendir(CORPUS);
	unsigned files = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct buf path = BUF_INIT, out = BUF_INIT;
		size_t len;
		char *html;

		if (strstr(de->d_name, ".html") == NULL)
			continue;
		buf_addf(&path, "%s/%s", CORPUS, de->d_name);
		html = read_file(buf_cstr(&path), &len);
		print_message("%s\n", de->d_name);
		web_sanitize_html(html, len, &opts, &out, &res);
		check_output(buf_cstr(&out), out.len, true);
		files++;
		free(html);
		buf_free(&path);
		buf_free(&out);
	}
	closedir(d);
	assert_true(files >= 40);
}

static const struct {
	const char	*in;
	const char	*want;	/* a substring of the output */
} keep_rows[] = {
	{ "<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>" },
	{ "<a href=\"https://example.org/a?b=1&amp;c=2\">x</a>",
	  "<a href=\"https://example.org/a?b=1&amp;c=2\" target=\"_blank\" "
	  "rel=\"noopener noreferrer\">x</a>" },
	{ "<a href=\"mailto:a@example.org\">m</a>",
	  "href=\"mailto:a@example.org\"" },
	{ "<a href=\" https://x.test/\n\">x</a>", "href=\"https://x.test/\"" },
	{ "<a href=\"/relative\">r</a>", "<a>r</a>" },
	{ "<table border=1 cellpadding=\"2\"><tr><td colspan=2 "
	  "bgcolor=\"#fff\">c</td></tr></table>",
	  "<table border=\"1\" cellpadding=\"2\"><tbody><tr><td colspan=\"2\""
	  " bgcolor=\"#fff\">c</td></tr></tbody></table>" },
	{ "<p style=\"color: red; position: fixed; background: url(x)\">s</p>",
	  "<p style=\"color: red\">s</p>" },
	{ "<span style=\"font-family: 'Comic Sans', serif;COLOR:rgb(1, 2, 3)"
	  "\">f</span>", "style=\"font-family: &#39;Comic Sans&#39;, serif; "
	  "color: rgb(1, 2, 3)\"" },
	{ "<img src=\"cid:a\" alt=\"logo\">",
	  "<img src=\"/api/folders/INBOX/messages/1/parts/0.2?inline=1\" "
	  "alt=\"logo\">" },
	{ "<img src=\"https://remote.test/x.png\" width=10>",
	  "<img data-petrel-blocked=\"1\" width=\"10\">" },
	{ "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
	  "<img src=\"data:image/png;base64,iVBORw0KGgo=\">" },
	{ "<style>p { color: blue } @media (max-width: 600px) { p { "
	  "margin: 0 } }</style><p>x</p>", "<style>p { color: blue }" },
	{ "<o:p>Outlook</o:p><custom-el>kept text</custom-el>",
	  "Outlook" },
	{ "<p>1 &lt; 2 &amp; 3</p>", "<p>1 &lt; 2 &amp; 3</p>" },
	{ "<ul><li>a<li>b</ul><br><hr>",
	  "<ul><li>a</li><li>b</li></ul><br><hr>" },
	{ "<blockquote type=cite>q</blockquote>",
	  "<blockquote type=\"cite\">q</blockquote>" },
};

static void
test_keeps_mail(void **state)
{
	struct web_sanitize_opts opts = { false, cid_map, NULL };
	struct web_sanitize_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keep_rows) / sizeof(keep_rows[0]); i++) {
		struct buf out = BUF_INIT;

		web_sanitize_html(keep_rows[i].in, strlen(keep_rows[i].in),
		    &opts, &out, &res);
		if (strstr(buf_cstr(&out), keep_rows[i].want) == NULL) {
			print_error("row %zu: want %s\nin %s\n", i,
			    keep_rows[i].want, buf_cstr(&out));
			fail();
		}
		buf_free(&out);
	}
}

static void
test_remote_images(void **state)
{
	static const char in[] = "<img src=\"https://remote.test/a.png\">"
	    "<img src=\"http://remote.test/b.png\"><img src=\"cid:zz\">";
	struct web_sanitize_opts opts = { false, cid_map, NULL };
	struct web_sanitize_result res;
	struct buf out = BUF_INIT;

	(void)state;
	web_sanitize_html(in, sizeof(in) - 1, &opts, &out, &res);
	assert_int_equal(res.remote_blocked, 2);
	assert_null(strstr(buf_cstr(&out), "remote.test"));
	buf_reset(&out);
	opts.allow_remote = true;
	web_sanitize_html(in, sizeof(in) - 1, &opts, &out, &res);
	assert_int_equal(res.remote_blocked, 0);
	assert_non_null(strstr(buf_cstr(&out),
	    "src=\"https://remote.test/a.png\""));
	assert_non_null(strstr(buf_cstr(&out),
	    "src=\"http://remote.test/b.png\""));
	buf_free(&out);
}

static const struct {
	const char	*in;
	bool		 ok;
} link_rows[] = {
	{ "https://a.test/", true },
	{ "HTTP://a.test/", true },
	{ "mailto:x@y", true },
	{ "  http://a.test/  ", true },
	{ "ht\ttp://a.test/", true },
	{ "javascript:alert(1)", false },
	{ "JAVASCRIPT:alert(1)", false },
	{ "java\tscript:alert(1)", false },
	{ "java\nscript:alert(1)", false },
	{ "\x01javascript:alert(1)", false },
	{ " \x0e javascript:alert(1)", false },
	{ "vbscript:x", false },
	{ "data:text/html,x", false },
	{ "file:///etc/passwd", false },
	{ "/relative", false },
	{ "//proto.relative/", false },
	{ "relative:with/colon", false },
	{ "http\x7f://x", false },
	{ "", false },
	{ "https", false },
};

static void
test_links(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(link_rows) / sizeof(link_rows[0]); i++) {
		struct buf out = BUF_INIT;
		bool ok = web_url_is_safe_link(link_rows[i].in,
		    strlen(link_rows[i].in), &out);

		if (ok != link_rows[i].ok)
			print_error("row %zu: %s\n", i, link_rows[i].in);
		assert_int_equal(ok, link_rows[i].ok);
		if (ok)
			assert_null(strpbrk(buf_cstr(&out), "\t\r\n "));
		buf_free(&out);
	}
}

static const struct {
	const char	*in;
	const char	*want;
} style_rows[] = {
	{ "color:red", "color: red" },
	{ "color: red; ; font-weight: bold;", "color: red; font-weight: bold" },
	{ "COLOR: Red !important", "color: Red !important" },
	{ "background-color: #fff; background: url(x)",
	  "background-color: #fff" },
	{ "width: expression(alert(1))", "" },
	{ "width: calc(100% - 2px)", "width: calc(100% - 2px)" },
	{ "color: red; -moz-binding: url(x)", "color: red" },
	{ "behavior: url(x.htc)", "" },
	{ "color: red /* comment */", "" },
	{ "color: \\72 ed", "" },
	{ "font-family: \"a;b\"; color: blue", "color: blue" },
	{ "font-family: \"unterminated; color: blue", "" },
	{ "position: absolute; top: 0", "" },
	{ "color: var(--x)", "" },
	{ "color: red; z-index: 10; content: 'x'", "color: red" },
	{ "margin: 0 auto; padding: 1em 2px", "margin: 0 auto; padding: 1em "
	  "2px" },
	{ "color: <red>", "" },
	{ "nocolon", "" },
};

static void
test_styles(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(style_rows) / sizeof(style_rows[0]); i++) {
		struct buf out = BUF_INIT;

		web_sanitize_style(style_rows[i].in, strlen(style_rows[i].in),
		    &out);
		if (strcmp(buf_cstr(&out), style_rows[i].want) != 0)
			print_error("row %zu: got '%s'\n", i, buf_cstr(&out));
		assert_string_equal(buf_cstr(&out), style_rows[i].want);
		buf_free(&out);
	}
}

static const struct {
	const char	*in;
	bool		 ok;
} sheet_rows[] = {
	{ "p { color: red }", true },
	{ "@media (max-width: 600px) { td { display: block } }", true },
	{ "tr:nth-child(2n) td { color: rgb(0,0,0) }", true },
	{ "p { background: url(x) }", false },
	{ "@import 'x.css';", false },
	{ "@font-face { font-family: x }", false },
	{ "p { color: red } </style><script>", false },
	{ "p { b\\61 ckground: u\\72l(x) }", false },
	{ "p { width: expression(alert(1)) }", false },
	{ "p { c/**/olor: red }", false },
	{ "p { background-image: image-set('x' 1x) }", false },
	{ "p { x: '//evil.test' } a { y: 'http://x' }", false },
};

static void
test_sheets(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sheet_rows) / sizeof(sheet_rows[0]); i++) {
		if (web_css_sheet_is_safe(sheet_rows[i].in,
		    strlen(sheet_rows[i].in)) != sheet_rows[i].ok)
			print_error("row %zu: %s\n", i, sheet_rows[i].in);
		assert_int_equal(web_css_sheet_is_safe(sheet_rows[i].in,
		    strlen(sheet_rows[i].in)), sheet_rows[i].ok);
	}
}

/* The output parses back to itself: no markup changes meaning on the way
 * (mutation XSS). Sanitising it again gives the same document. */
static void
test_stable(void **state)
{
	struct web_sanitize_opts opts = { true, NULL, NULL };
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(CORPUS);

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct buf path = BUF_INIT;
		size_t len;
		char *html;

		if (strstr(de->d_name, ".html") == NULL)
			continue;
		buf_addf(&path, "%s/%s", CORPUS, de->d_name);
		html = read_file(buf_cstr(&path), &len);
		buf_reset(&a);
		buf_reset(&b);
		web_sanitize_html(html, len, &opts, &a, NULL);
		web_sanitize_html(a.data, a.len, &opts, &b, NULL);
		/* The second run sees the first's own <style> skeleton. */
		if (strstr(buf_cstr(&b), strstr(buf_cstr(&a), "<body>")) ==
		    NULL) {
			print_error("%s unstable:\n%s\n%s\n", de->d_name,
			    strstr(buf_cstr(&a), "<body>"),
			    strstr(buf_cstr(&b), "<body>"));
			fail();
		}
		free(html);
		buf_free(&path);
	}
	closedir(d);
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_corpus),
		cmocka_unit_test(test_keeps_mail),
		cmocka_unit_test(test_remote_images),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_sheets),
		cmocka_unit_test(test_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
