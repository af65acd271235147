/* The router: a table of method sets and path patterns, where a segment
 * ":name" matches any one segment, handed to the handler %-decoded.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "web_int.h"

/* The next segment of p[0..len) after the leading '/'. */
static bool
next_segment(const char **p, size_t *len, const char **seg, size_t *seglen)
{
	const char *slash;

	if (*len == 0 || **p != '/')
		return false;
	(*p)++;
	(*len)--;
	slash = memchr(*p, '/', *len);
	*seg = *p;
	*seglen = slash ? (size_t)(slash - *p) : *len;
	*p += *seglen;
	*len -= *seglen;
	return true;
}

/* Does path match pattern? Captures go into params (heap strings). */
static bool
match(const char *pattern, const char *path, size_t len, char **params,
    size_t *nparams)
{
	const char *pp = pattern, *seg, *pseg;
	size_t plen = strlen(pattern), seglen, pseglen;
	struct buf b = BUF_INIT;

	*nparams = 0;
	while (next_segment(&pp, &plen, &pseg, &pseglen)) {
		if (!next_segment(&path, &len, &seg, &seglen))
			goto fail;
		if (pseglen > 0 && pseg[0] == ':') {
			if (seglen == 0 || *nparams == WEB_MAX_PARAMS)
				goto fail;
			buf_reset(&b);
			if (!web_url_decode(seg, seglen, false, &b))
				goto fail;
			params[(*nparams)++] = buf_release(&b);
		} else if (seglen != pseglen || memcmp(seg, pseg, seglen) != 0)
			goto fail;
	}
	if (len == 0)
		return true;
fail:
	buf_free(&b);
	web_params_free(params, *nparams);
	*nparams = 0;
	return false;
}

enum web_route_match
web_route_find(const struct web_route *table, enum http_method method,
    const char *path, size_t len, const struct web_route **route_out,
    char **params, size_t *nparams, unsigned *allow_out)
{
	enum web_route_match m = WEB_ROUTE_NO_PATH;
	/* HEAD is GET without the body (RFC 9110 9.3.2). */
	unsigned bit = HTTP_M(method == HTTP_HEAD ? HTTP_GET : method);
	const struct web_route *rt;

	*allow_out = 0;
	*nparams = 0;
	for (rt = table; rt->pattern != NULL; rt++) {
		if (!match(rt->pattern, path, len, params, nparams))
			continue;
		if (rt->methods & bit) {
			*route_out = rt;
			return WEB_ROUTE_FOUND;
		}
		web_params_free(params, *nparams);
		*nparams = 0;
		*allow_out |= rt->methods;
		m = WEB_ROUTE_NO_METHOD;
	}
	return m;
}

void
web_params_free(char **params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(params[i]);
		params[i] = NULL;
	}
}
