/* libFuzzer harness: the HTML mail sanitiser (src/web/sanitize.c). Besides
 * memory errors it stops on any output that, parsed again as a browser
 * would, holds a script, foreign content, an event handler or a URL other
 * than http, https, mailto, a petrel part or inline raster data.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gumbo.h>

#include "web/web_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
cid(const char *p, size_t len, struct buf *out, void *arg)
{
	(void)arg;
	if (len > 0 && p[0] == 'a') {
		buf_adds(out, "/api/folders/INBOX/messages/1/parts/0.1");
		return true;
	}
	return false;
}

static void
check_attr(const GumboAttribute *a)
{
	const char *v = a->value;

	if (strncasecmp(a->name, "on", 2) == 0 || strcmp(a->name,
	    "srcdoc") == 0 || strcmp(a->name, "srcset") == 0)
		abort();
	if (strcmp(a->name, "href") == 0 && strncasecmp(v, "http:", 5) &&
	    strncasecmp(v, "https:", 6) && strncasecmp(v, "mailto:", 7))
		abort();
	if (strcmp(a->name, "src") == 0 && strncmp(v, "/api/", 5) &&
	    strncmp(v, "data:image/", 11) && strncasecmp(v, "http:", 5) &&
	    strncasecmp(v, "https:", 6))
		abort();
	if (strcmp(a->name, "style") == 0 && (strcasestr(v, "url(") ||
	    strcasestr(v, "expression(") || strchr(v, '\\')))
		abort();
}

static void
check(const GumboNode *n)
{
	const GumboElement *el;
	unsigned i;

	if (n->type != GUMBO_NODE_ELEMENT)
		return;
	el = &n->v.element;
	if (el->tag_namespace != GUMBO_NAMESPACE_HTML ||
	    el->tag == GUMBO_TAG_SCRIPT || el->tag == GUMBO_TAG_IFRAME ||
	    el->tag == GUMBO_TAG_OBJECT || el->tag == GUMBO_TAG_EMBED ||
	    el->tag == GUMBO_TAG_FORM || el->tag == GUMBO_TAG_BASE ||
	    el->tag == GUMBO_TAG_LINK || el->tag == GUMBO_TAG_TEMPLATE)
		abort();
	for (i = 0; i < el->attributes.length; i++)
		check_attr(el->attributes.data[i]);
	for (i = 0; i < el->children.length; i++)
		check(el->children.data[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_sanitize_opts opts = { false, cid, NULL };
	struct buf out = BUF_INIT;
	GumboOutput *g;
	char *p;

	if (size == 0 || size > 64 * 1024)
		return 0;
	opts.allow_remote = data[0] & 1;
	/* An exact-size copy, so that ASan sees any read past the end. */
	p = malloc(size);
	memcpy(p, data, size);
	web_sanitize_html(p, size, &opts, &out, NULL);
	g = gumbo_parse_with_options(&kGumboDefaultOptions, out.data, out.len);
	check(g->root);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	buf_free(&out);
	free(p);
	return 0;
}
