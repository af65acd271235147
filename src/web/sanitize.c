/* The HTML mail sanitiser. Mail is hostile, so it is parsed into the tree a
 * browser would build (gumbo implements the HTML5 tree construction, so
 * mis-nested and malformed markup lands where the browser puts it), and
 * only an allow-list of HTML elements, attributes, URL schemes and CSS is
 * written back out, freshly serialised and escaped. Everything else (SVG
 * and MathML whole, scripts, event handlers, frames, forms, base, meta)
 * is dropped. The result is shown in a sandboxed frame without scripts
 * under a Content-Security-Policy that blocks what might slip through.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "lib/str.h"
#include "web_int.h"

#define MAX_DEPTH	400	/* deeper content is dropped */

enum action {
	ACT_UNWRAP,	/* drop the tag, keep what it holds */
	ACT_KEEP,	/* write the element with allowed attributes */
	ACT_DROP,	/* drop the element and everything in it */
};

struct ctx {
	const struct web_sanitize_opts	*opts;
	struct web_sanitize_result	*res;
	struct buf			*out;
};

static const GumboTag keep_tags[] = {
	GUMBO_TAG_A, GUMBO_TAG_ABBR, GUMBO_TAG_ACRONYM, GUMBO_TAG_ADDRESS,
	GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE, GUMBO_TAG_B, GUMBO_TAG_BDI,
	GUMBO_TAG_BDO, GUMBO_TAG_BIG, GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_BR,
	GUMBO_TAG_CAPTION, GUMBO_TAG_CENTER, GUMBO_TAG_CITE, GUMBO_TAG_CODE,
	GUMBO_TAG_COL, GUMBO_TAG_COLGROUP, GUMBO_TAG_DD, GUMBO_TAG_DEL,
	GUMBO_TAG_DETAILS, GUMBO_TAG_DFN, GUMBO_TAG_DIV, GUMBO_TAG_DL,
	GUMBO_TAG_DT, GUMBO_TAG_EM, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,
	GUMBO_TAG_FONT, GUMBO_TAG_FOOTER, GUMBO_TAG_H1, GUMBO_TAG_H2,
	GUMBO_TAG_H3, GUMBO_TAG_H4, GUMBO_TAG_H5, GUMBO_TAG_H6,
	GUMBO_TAG_HEADER, GUMBO_TAG_HR, GUMBO_TAG_I, GUMBO_TAG_IMG,
	GUMBO_TAG_INS, GUMBO_TAG_KBD, GUMBO_TAG_LI, GUMBO_TAG_MAIN,
	GUMBO_TAG_MARK, GUMBO_TAG_NAV, GUMBO_TAG_OL, GUMBO_TAG_P,
	GUMBO_TAG_PRE, GUMBO_TAG_Q, GUMBO_TAG_RP, GUMBO_TAG_RT,
	GUMBO_TAG_RUBY, GUMBO_TAG_S, GUMBO_TAG_SAMP, GUMBO_TAG_SECTION,
	GUMBO_TAG_SMALL, GUMBO_TAG_SPAN, GUMBO_TAG_STRIKE, GUMBO_TAG_STRONG,
	GUMBO_TAG_SUB, GUMBO_TAG_SUMMARY, GUMBO_TAG_SUP, GUMBO_TAG_TABLE,
	GUMBO_TAG_TBODY, GUMBO_TAG_TD, GUMBO_TAG_TFOOT, GUMBO_TAG_TH,
	GUMBO_TAG_THEAD, GUMBO_TAG_TIME, GUMBO_TAG_TR, GUMBO_TAG_TT,
	GUMBO_TAG_U, GUMBO_TAG_UL, GUMBO_TAG_VAR, GUMBO_TAG_WBR,
};

/* Dropped with their content: active content, frames, forms' controls,
 * document metadata, media, raw-text elements and templates. <style> is
 * handled on its own. */
static const GumboTag drop_tags[] = {
	GUMBO_TAG_SCRIPT, GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE,
	GUMBO_TAG_IFRAME, GUMBO_TAG_FRAME, GUMBO_TAG_FRAMESET,
	GUMBO_TAG_NOFRAMES, GUMBO_TAG_OBJECT, GUMBO_TAG_EMBED,
	GUMBO_TAG_APPLET, GUMBO_TAG_PARAM, GUMBO_TAG_NOEMBED, GUMBO_TAG_BASE,
	GUMBO_TAG_BASEFONT, GUMBO_TAG_LINK, GUMBO_TAG_META, GUMBO_TAG_TITLE,
	GUMBO_TAG_INPUT, GUMBO_TAG_BUTTON, GUMBO_TAG_SELECT,
	GUMBO_TAG_OPTION, GUMBO_TAG_OPTGROUP, GUMBO_TAG_DATALIST,
	GUMBO_TAG_TEXTAREA, GUMBO_TAG_KEYGEN, GUMBO_TAG_OUTPUT,
	GUMBO_TAG_ISINDEX, GUMBO_TAG_MENUITEM, GUMBO_TAG_SVG,
	GUMBO_TAG_MATH, GUMBO_TAG_IMAGE, GUMBO_TAG_AUDIO, GUMBO_TAG_VIDEO,
	GUMBO_TAG_SOURCE, GUMBO_TAG_TRACK, GUMBO_TAG_CANVAS, GUMBO_TAG_MAP,
	GUMBO_TAG_AREA, GUMBO_TAG_BGSOUND, GUMBO_TAG_XMP,
	GUMBO_TAG_PLAINTEXT, GUMBO_TAG_LISTING, GUMBO_TAG_NEXTID,
	GUMBO_TAG_STYLE, GUMBO_TAG_HEAD,
};

/* Attributes with plain values on any kept element; href, src and style
 * are checked on their own. */
static const char *const keep_attrs[] = {
	"abbr", "align", "alt", "bgcolor", "border", "cellpadding",
	"cellspacing", "class", "clear", "color", "cols", "colspan",
	"compact", "datetime", "dir", "face", "headers", "height", "hspace",
	"lang", "noshade", "nowrap", "open", "reversed", "rows", "rowspan",
	"scope", "size", "span", "start", "summary", "title", "type",
	"valign", "value", "vspace", "width",
};

static bool
tag_in(GumboTag tag, const GumboTag *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == tag)
			return true;
	return false;
}

static enum action
tag_action(const GumboElement *el)
{
	/* Foreign content (SVG, MathML) has its own parsing rules and
	 * scriptable attributes: none of it is shown. */
	if (el->tag_namespace != GUMBO_NAMESPACE_HTML)
		return ACT_DROP;
	if (tag_in(el->tag, keep_tags, sizeof(keep_tags) /
	    sizeof(keep_tags[0])))
		return ACT_KEEP;
	if (tag_in(el->tag, drop_tags, sizeof(drop_tags) /
	    sizeof(drop_tags[0])))
		return ACT_DROP;
	return ACT_UNWRAP;
}

static bool
attr_is_plain(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keep_attrs) / sizeof(keep_attrs[0]); i++)
		if (strcmp(keep_attrs[i], name) == 0)
			return true;
	return false;
}

static void
write_attr(struct ctx *c, const char *name, const char *v, size_t len)
{
	buf_addf(c->out, " %s=\"", name);
	web_html_escape(v, len, c->out);
	buf_addc(c->out, '"');
}

/* A data: URL of a raster image in base64, nothing else. */
static bool
is_data_image(const char *p, size_t len)
{
	static const char *const types[] = { "data:image/png;base64,",
	    "data:image/gif;base64,", "data:image/jpeg;base64,",
	    "data:image/webp;base64," };
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i]);
		if (len <= n || !str_iprefix(p, len, types[i]))
			continue;
		for (; n < len; n++)
			if (!((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' &&
			    p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
			    p[n] == '+' || p[n] == '/' || p[n] == '='))
				return false;
		return true;
	}
	return false;
}

/* img src: cid: to the part's URL, remote images only when allowed,
 * inline raster data. */
static void
write_img_src(struct ctx *c, const char *v)
{
	struct buf url = BUF_INIT, norm = BUF_INIT;
	size_t len = strlen(v);

	if (web_url_is_safe_link(v, len, &norm) &&
	    !str_iprefix(norm.data, norm.len, "mailto:")) {
		if (c->opts->allow_remote)
			write_attr(c, "src", norm.data, norm.len);
		else {
			c->res->remote_blocked++;
			buf_adds(c->out, " data-petrel-blocked=\"1\"");
		}
	} else if (str_iprefix(v, len, "cid:") && c->opts->cid != NULL &&
	    c->opts->cid(v + 4, len - 4, &url, c->opts->cid_arg))
		write_attr(c, "src", url.data, url.len);
	else if (is_data_image(v, len))
		write_attr(c, "src", v, len);
	else
		c->res->removed++;
	buf_free(&url);
	buf_free(&norm);
}

static void
write_attrs(struct ctx *c, const GumboElement *el, bool *has_href)
{
	struct buf tmp = BUF_INIT;
	unsigned i;

	*has_href = false;
	for (i = 0; i < el->attributes.length; i++) {
		const GumboAttribute *a = el->attributes.data[i];
		size_t len = strlen(a->value);

		buf_reset(&tmp);
		if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE)
			c->res->removed++;
		else if (strcmp(a->name, "style") == 0) {
			c->res->removed += web_sanitize_style(a->value, len,
			    &tmp);
			if (tmp.len > 0)
				write_attr(c, "style", tmp.data, tmp.len);
		} else if (strcmp(a->name, "href") == 0 &&
		    el->tag == GUMBO_TAG_A && !*has_href &&
		    web_url_is_safe_link(a->value, len, &tmp)) {
			write_attr(c, "href", tmp.data, tmp.len);
			*has_href = true;
		} else if (strcmp(a->name, "src") == 0 &&
		    el->tag == GUMBO_TAG_IMG)
			write_img_src(c, a->value);
		else if (attr_is_plain(a->name))
			write_attr(c, a->name, a->value, len);
		else
			c->res->removed++;
	}
	buf_free(&tmp);
}

static bool
is_void(GumboTag tag)
{
	return tag == GUMBO_TAG_BR || tag == GUMBO_TAG_HR ||
	    tag == GUMBO_TAG_IMG || tag == GUMBO_TAG_WBR ||
	    tag == GUMBO_TAG_COL;
}

static void	walk(struct ctx *c, const GumboNode *n, unsigned depth);

static void
walk_children(struct ctx *c, const GumboVector *children, unsigned depth)
{
	unsigned i;

	for (i = 0; i < children->length; i++)
		walk(c, children->data[i], depth + 1);
}

static void
walk_element(struct ctx *c, const GumboElement *el, unsigned depth)
{
	const char *name;
	bool has_href;

	switch (tag_action(el)) {
	case ACT_DROP:
		c->res->removed++;
		return;
	case ACT_UNWRAP:
		walk_children(c, &el->children, depth);
		return;
	case ACT_KEEP:
		break;
	}
	/* The name comes from gumbo's table, never from the input. */
	name = gumbo_normalized_tagname(el->tag);
	buf_addf(c->out, "<%s", name);
	write_attrs(c, el, &has_href);
	if (has_href)
		buf_adds(c->out, " target=\"_blank\" "
		    "rel=\"noopener noreferrer\"");
	buf_addc(c->out, '>');
	if (is_void(el->tag))
		return;
	walk_children(c, &el->children, depth);
	buf_addf(c->out, "</%s>", name);
}

static void
walk(struct ctx *c, const GumboNode *n, unsigned depth)
{
	if (depth > MAX_DEPTH) {
		c->res->removed++;
		return;
	}
	switch (n->type) {
	case GUMBO_NODE_ELEMENT:
		walk_element(c, &n->v.element, depth);
		break;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
		web_html_escape(n->v.text.text, strlen(n->v.text.text),
		    c->out);
		break;
	default:
		/* Comments, CDATA (foreign content only), templates. */
		break;
	}
}

/* <style> elements anywhere: kept only when the whole sheet is safe. */
static void
collect_styles(struct ctx *c, const GumboNode *n, struct buf *sheets,
    unsigned depth)
{
	const GumboElement *el;
	unsigned i;

	if (n->type != GUMBO_NODE_ELEMENT || depth > MAX_DEPTH)
		return;
	el = &n->v.element;
	if (el->tag_namespace != GUMBO_NAMESPACE_HTML)
		return;
	if (el->tag == GUMBO_TAG_STYLE) {
		for (i = 0; i < el->children.length; i++) {
			const GumboNode *t = el->children.data[i];
			const char *s;

			if (t->type != GUMBO_NODE_TEXT &&
			    t->type != GUMBO_NODE_WHITESPACE)
				continue;
			s = t->v.text.text;
			if (web_css_sheet_is_safe(s, strlen(s)))
				buf_adds(sheets, s);
			else
				c->res->removed++;
		}
		return;
	}
	if (tag_action(el) == ACT_DROP && el->tag != GUMBO_TAG_HEAD)
		return;
	for (i = 0; i < el->children.length; i++)
		collect_styles(c, el->children.data[i], sheets, depth + 1);
}

static const GumboNode *
find_body(const GumboNode *root)
{
	unsigned i;

	for (i = 0; i < root->v.element.children.length; i++) {
		const GumboNode *n = root->v.element.children.data[i];

		if (n->type == GUMBO_NODE_ELEMENT &&
		    n->v.element.tag == GUMBO_TAG_BODY)
			return n;
	}
	return NULL;
}

void
web_sanitize_html(const char *html, size_t len,
    const struct web_sanitize_opts *opts, struct buf *out,
    struct web_sanitize_result *res)
{
	struct web_sanitize_result dummy;
	GumboOptions gopts = kGumboDefaultOptions;
	GumboOutput *g;
	const GumboNode *body;
	struct buf sheets = BUF_INIT;
	struct ctx c = { opts, res ? res : &dummy, out };

	memset(c.res, 0, sizeof(*c.res));
	gopts.max_errors = 0;
	g = gumbo_parse_with_options(&gopts, html, len);
	collect_styles(&c, g->root, &sheets, 0);
	/* The browser must build the tree gumbo built: the same mode. */
	if (g->document->v.document.doc_type_quirks_mode !=
	    GUMBO_DOCTYPE_QUIRKS)
		buf_adds(out, "<!DOCTYPE html>\n");
	buf_adds(out, "<html><head><meta charset=\"utf-8\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><style>"
	    "body{margin:8px;font:15px/1.45 system-ui,sans-serif;"
	    "overflow-wrap:anywhere}img{max-width:100%;height:auto}"
	    "img[data-petrel-blocked]{display:inline-block;min-width:1em;"
	    "min-height:1em;background:#eee}</style>");
	if (sheets.len > 0) {
		buf_adds(out, "<style>");
		buf_add(out, sheets.data, sheets.len);
		buf_adds(out, "</style>");
	}
	buf_adds(out, "</head><body>");
	if ((body = find_body(g->root)) != NULL)
		walk_children(&c, &body->v.element.children, 1);
	buf_adds(out, "</body></html>");
	buf_free(&sheets);
	gumbo_destroy_output(&gopts, g);
}
