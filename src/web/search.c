/* The webmail's search query: words, each looked for anywhere in From,
 * To, Cc, Subject or the text, or in one of them with a prefix
 * ("from:ann", "body:x"); a message matches when every word does
 * (case-insensitive). Pure: the body text comes from a callback, read
 * only when a body word is not already found in the header.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "web_int.h"

static const struct {
	const char	*name;
	unsigned	 field;
} fields[] = {
	{ "from", WEB_SF_FROM }, { "to", WEB_SF_TO },
	{ "subject", WEB_SF_SUBJECT }, { "body", WEB_SF_BODY },
};

unsigned
web_search_field(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (strcasecmp(name, fields[i].name) == 0)
			return fields[i].field;
	return 0;
}

/* The field of a "name:word" prefix, moving *w past it; 0 without one.
 * A bare "from:" is a word of its own. */
static unsigned
prefix_field(const char **w, size_t len)
{
	size_t i, plen;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		plen = strlen(fields[i].name);
		if (len > plen + 1 && strncasecmp(*w, fields[i].name,
		    plen) == 0 && (*w)[plen] == ':') {
			*w += plen + 1;
			return fields[i].field;
		}
	}
	return 0;
}

size_t
web_search_parse(const char *q, unsigned def, struct web_search *s)
{
	const char *w, *end;
	unsigned f;

	memset(s, 0, sizeof(*s));
	for (w = q; *w != '\0' && s->n < WEB_SEARCH_TERMS_MAX; w = end) {
		while (*w == ' ' || *w == '\t')
			w++;
		if (*w == '\0')
			break;
		end = w + strcspn(w, " \t");
		f = prefix_field(&w, (size_t)(end - w));
		s->terms[s->n].fields = f != 0 ? f : def;
		s->terms[s->n++].word = xstrndup(w, (size_t)(end - w));
	}
	return s->n;
}

void
web_search_free(struct web_search *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->terms[i].word);
	memset(s, 0, sizeof(*s));
}

static bool
field_has(const char *head, size_t len, const char *name, const char *word)
{
	struct buf v = BUF_INIT;
	bool has;

	has = web_hdr_get(head, len, name, true, &v) &&
	    strcasestr(buf_cstr(&v), word) != NULL;
	buf_free(&v);
	return has;
}

static bool
head_has(const char *head, size_t len, const struct web_search_term *t)
{
	return ((t->fields & WEB_SF_FROM) &&
	    field_has(head, len, "From", t->word)) ||
	    ((t->fields & WEB_SF_TO) && (field_has(head, len, "To", t->word) ||
	    field_has(head, len, "Cc", t->word))) ||
	    ((t->fields & WEB_SF_SUBJECT) &&
	    field_has(head, len, "Subject", t->word));
}

bool
web_search_matches(const struct web_search *s, const char *head,
    size_t len, web_search_body_fn *body, void *arg)
{
	struct buf text = BUF_INIT;
	bool has_text = false, ok = true;
	size_t i;

	/* Header words first: a body is read only when they leave it
	 * open. */
	for (i = 0; ok && i < s->n; i++)
		if (!(s->terms[i].fields & WEB_SF_BODY))
			ok = head_has(head, len, &s->terms[i]);
	for (i = 0; ok && i < s->n; i++) {
		if (!(s->terms[i].fields & WEB_SF_BODY) ||
		    head_has(head, len, &s->terms[i]))
			continue;
		if (!has_text) {
			body(arg, &text);
			has_text = true;
		}
		ok = strcasestr(buf_cstr(&text), s->terms[i].word) != NULL;
	}
	buf_free(&text);
	return ok;
}
