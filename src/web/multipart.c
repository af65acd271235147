/* multipart/form-data (RFC 7578) for attachment uploads: the body split at
 * its boundary delimiters (RFC 2046 5.1.1), each part's name, file name
 * and type from its header. The parts point into the request body.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define BOUNDARY_MAX	70	/* RFC 2046 5.1.1 */

static bool
get_boundary(const char *ct, size_t len, struct buf *dash)
{
	struct mime_params ps = { NULL, 0 };
	const char *main, *b;
	size_t mainlen;
	bool ok = false;

	mime_params_parse(ct, len, &main, &mainlen, &ps);
	if (mainlen == 19 && strncasecmp(main, "multipart/form-data",
	    19) == 0 && (b = mime_params_get(&ps, "boundary")) != NULL &&
	    b[0] != '\0' && strlen(b) <= BOUNDARY_MAX) {
		buf_adds(dash, "--");
		buf_adds(dash, b);
		ok = true;
	}
	mime_params_free(&ps);
	return ok;
}

/* Name, file name and type from the part header p[0..len). */
static bool
part_header(const char *p, size_t len, struct web_formpart *fp)
{
	struct mime_params ps = { NULL, 0 };
	struct mime_field f;
	struct buf v = BUF_INIT;
	const char *main, *s;
	size_t mainlen;
	bool ok = false;

	if (!mime_hdr_find(p, len, "Content-Disposition", &f))
		return false;
	mime_hdr_unfold(f.value, f.valuelen, &v);
	mime_params_parse(v.data ? v.data : "", v.len, &main, &mainlen, &ps);
	if (mainlen == 9 && strncasecmp(main, "form-data", 9) == 0 &&
	    (s = mime_params_get(&ps, "name")) != NULL) {
		fp->name = xstrdup(s);
		if ((s = mime_params_get(&ps, "filename")) != NULL)
			fp->filename = xstrdup(s);
		ok = true;
	}
	mime_params_free(&ps);
	buf_reset(&v);
	if (ok && mime_hdr_find(p, len, "Content-Type", &f)) {
		mime_hdr_unfold(f.value, f.valuelen, &v);
		fp->type = xstrndup(v.data ? v.data : "", v.len);
	}
	buf_free(&v);
	return ok;
}

/* Past the delimiter line at p (after "--boundary"): "--" closes, else
 * transport padding and CRLF. Returns the offset of the next line, or
 * 0 for the close delimiter, or -1 when malformed. */
static long
after_delimiter(const char *p, size_t len)
{
	size_t i = 0;

	if (len >= 2 && p[0] == '-' && p[1] == '-')
		return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
		return (long)i + 2;
	if (i < len && p[i] == '\n')
		return (long)i + 1;
	return -1;
}

static int
add_part(const char *p, size_t len, struct web_form *out, size_t max)
{
	struct web_formpart fp = { NULL, NULL, NULL, NULL, 0 };
	size_t hlen = mime_hdr_split(p, len);

	if (out->n >= max || hlen == 0 || hlen > len || !part_header(p, hlen,
	    &fp)) {
		free(fp.name);
		free(fp.filename);
		free(fp.type);
		return -1;
	}
	fp.data = p + hlen;
	fp.len = len - hlen;
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	out->v[out->n++] = fp;
	return 0;
}

static int
fail(struct web_form *out, const char **errstr, const char *why)
{
	web_form_free(out);
	*errstr = why;
	return -1;
}

int
web_form_parse(const char *ctype, size_t ctlen, const char *body, size_t len,
    size_t max_parts, struct web_form *out, const char **errstr)
{
	struct buf dash = BUF_INIT, delim = BUF_INIT;
	const char *p, *end = body + len, *next;
	long skip;

	memset(out, 0, sizeof(*out));
	if (!get_boundary(ctype, ctlen, &dash))
		return fail(out, errstr, "not multipart/form-data");
	buf_addf(&delim, "\r\n%s", buf_cstr(&dash));
	/* The first delimiter may open the body (no preamble). */
	if (len >= dash.len && memcmp(body, dash.data, dash.len) == 0)
		p = body + dash.len;
	else if ((p = memmem(body, len, delim.data, delim.len)) != NULL)
		p += delim.len;
	for (;;) {
		if (p == NULL || (skip = after_delimiter(p,
		    (size_t)(end - p))) < 0) {
			buf_free(&dash);
			buf_free(&delim);
			return fail(out, errstr, "malformed multipart body");
		}
		if (skip == 0)
			break;
		p += skip;
		next = memmem(p, (size_t)(end - p), delim.data, delim.len);
		if (next == NULL || add_part(p, (size_t)(next - p), out,
		    max_parts) < 0) {
			buf_free(&dash);
			buf_free(&delim);
			return fail(out, errstr, "malformed or too many parts");
		}
		p = next + delim.len;
	}
	buf_free(&dash);
	buf_free(&delim);
	return 0;
}

void
web_form_free(struct web_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].filename);
		free(f->v[i].type);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
