/* The HTTP/1.1 request parser (RFC 9112): request line (3), field lines
 * (5), message body length (6.3) with Content-Length and chunked transfer
 * coding (7.1), fed in pieces of any size. Anything ambiguous that could
 * let two parsers disagree about where a request ends is refused.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "web_int.h"

#define CHUNK_LINE_MAX	1024

static const char *const method_names[] = {
	[HTTP_GET] = "GET",
	[HTTP_HEAD] = "HEAD",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_PATCH] = "PATCH",
	[HTTP_DELETE] = "DELETE",
	[HTTP_OPTIONS] = "OPTIONS",
};

void
http_limits_default(struct http_limits *lim)
{
	lim->max_target = 8 * 1024;
	lim->max_head = 32 * 1024;
	lim->max_headers = 100;
	lim->max_body = 1024 * 1024;
}

void
http_parser_init(struct http_parser *p, const struct http_limits *lim)
{
	memset(p, 0, sizeof(*p));
	if (lim != NULL)
		p->lim = *lim;
	else
		http_limits_default(&p->lim);
	buf_init(&p->head);
	buf_init(&p->line);
	buf_init(&p->req.body);
}

void
http_parser_fini(struct http_parser *p)
{
	buf_free(&p->head);
	buf_free(&p->line);
	buf_free(&p->req.body);
	free(p->req.headers);
	p->req.headers = NULL;
}

void
http_parser_reset(struct http_parser *p)
{
	struct buf body = p->req.body;

	buf_reset(&p->head);
	buf_reset(&p->line);
	buf_reset(&body);
	free(p->req.headers);
	memset(&p->req, 0, sizeof(p->req));
	p->req.body = body;
	p->state = HTTP_PS_HEAD;
	p->line_start = 0;
	p->trailer_len = 0;
	p->remaining = 0;
	p->status = 0;
	p->errstr = NULL;
}

bool
http_parser_has_head(const struct http_parser *p)
{
	return p->state != HTTP_PS_HEAD && p->state != HTTP_PS_ERROR;
}

const char *
http_method_name(enum http_method m)
{
	return method_names[m];
}

static int
fail(struct http_parser *p, int status, const char *errstr)
{
	p->state = HTTP_PS_ERROR;
	p->status = status;
	p->errstr = errstr;
	return -1;
}

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_token(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)p[i]))
			return false;
	return true;
}

/* Request-target characters: visible ASCII (RFC 3986), no blanks. */
static bool
is_target(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return false;
	return len > 0;
}

static int
parse_method(struct http_parser *p, const char *m, size_t len)
{
	size_t i;

	if (!is_token(m, len))
		return fail(p, 400, "bad method");
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strlen(method_names[i]) == len &&
		    memcmp(method_names[i], m, len) == 0) {
			p->req.method = (enum http_method)i;
			return 0;
		}
	/* Methods are case-sensitive (RFC 9110 9.1). */
	return fail(p, 501, "method not implemented");
}

/* origin-form, or absolute-form reduced to its path (RFC 9112 3.2.2);
 * "*" only for OPTIONS. */
static int
parse_target(struct http_parser *p, const char *t, size_t len)
{
	struct http_request *r = &p->req;
	const char *q;

	if (len > p->lim.max_target)
		return fail(p, 414, "request-target too long");
	if (!is_target(t, len))
		return fail(p, 400, "bad request-target");
	if (len == 1 && t[0] == '*' && r->method == HTTP_OPTIONS)
		;
	else if (t[0] != '/') {
		size_t skip = str_iprefix(t, len, "http://") ? 7 :
		    str_iprefix(t, len, "https://") ? 8 : 0;
		const char *s = skip ? memchr(t + skip, '/', len - skip) : NULL;

		if (s == NULL)
			return fail(p, 400, "bad request-target");
		len -= (size_t)(s - t);
		t = s;
	}
	r->target = t;
	r->targetlen = len;
	q = memchr(t, '?', len);
	r->path = t;
	r->pathlen = q ? (size_t)(q - t) : len;
	if (memchr(t, '#', len) != NULL)
		return fail(p, 400, "fragment in request-target");
	if (q != NULL) {
		r->query = q + 1;
		r->querylen = len - r->pathlen - 1;
	}
	return 0;
}

static int
parse_version(struct http_parser *p, const char *v, size_t len)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return fail(p, 400, "bad HTTP version");
	if (v[5] != '1')
		return fail(p, 505, "HTTP version not supported");
	p->req.minor = v[7] - '0';
	p->req.keep_alive = p->req.minor >= 1;
	return 0;
}

/* method SP request-target SP HTTP-version (RFC 9112 3): single spaces;
 * the lenient whitespace of 3 is not taken, it hides smuggling. */
static int
parse_request_line(struct http_parser *p, const char *l, size_t len)
{
	const char *sp1, *sp2;

	sp1 = memchr(l, ' ', len);
	if (sp1 == NULL)
		return fail(p, 400, "bad request line");
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - l));
	if (sp2 == NULL)
		return fail(p, 400, "bad request line");
	if (parse_method(p, l, (size_t)(sp1 - l)) < 0 ||
	    parse_target(p, sp1 + 1, (size_t)(sp2 - sp1 - 1)) < 0)
		return -1;
	return parse_version(p, sp2 + 1, len - (size_t)(sp2 + 1 - l));
}

/* field-value characters (RFC 9110 5.5): no NUL, CR, LF or other
 * controls but HTAB. */
static bool
is_field_value(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static int
add_field(struct http_parser *p, char *l, size_t len)
{
	struct http_request *r = &p->req;
	struct http_header *h;
	char *colon = memchr(l, ':', len);
	const char *v;
	size_t vlen, i;

	if (l[0] == ' ' || l[0] == '\t')
		return fail(p, 400, "obsolete line folding");
	if (colon == NULL || !is_token(l, (size_t)(colon - l)))
		return fail(p, 400, "bad header field");
	if (r->nheaders >= p->lim.max_headers)
		return fail(p, 431, "too many header fields");
	v = colon + 1;
	vlen = len - (size_t)(v - l);
	str_trim(&v, &vlen);
	if (!is_field_value(v, vlen))
		return fail(p, 400, "bad header field value");
	for (i = 0; l + i < colon; i++)
		if (l[i] >= 'A' && l[i] <= 'Z')
			l[i] = (char)(l[i] - 'A' + 'a');
	h = &r->headers[r->nheaders++];
	h->name = l;
	h->namelen = (size_t)(colon - l);
	h->value = v;
	h->valuelen = vlen;
	return 0;
}

const char *
http_header_get(const struct http_request *r, const char *name,
    size_t *len_out)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].namelen == n &&
		    memcmp(r->headers[i].name, name, n) == 0) {
			*len_out = r->headers[i].valuelen;
			return r->headers[i].value;
		}
	return NULL;
}

/* Does the comma-separated list p[0..len) hold the token tok? */
static bool
list_has(const char *p, size_t len, const char *tok)
{
	const char *e, *item;
	size_t ilen;

	while (len > 0) {
		e = memchr(p, ',', len);
		item = p;
		ilen = e ? (size_t)(e - p) : len;
		str_trim(&item, &ilen);
		if (str_ieq(item, ilen, tok))
			return true;
		if (e == NULL)
			break;
		len -= (size_t)(e + 1 - p);
		p = e + 1;
	}
	return false;
}

/* Every Content-Length field must carry the same decimal number
 * (RFC 9112 6.3 rule 5). */
static int
content_length(struct http_parser *p, bool *has_out)
{
	struct http_request *r = &p->req;
	const char *errstr;
	uint64_t n;
	size_t i;

	*has_out = false;
	for (i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];

		if (h->namelen != 14 || memcmp(h->name, "content-length",
		    14) != 0)
			continue;
		n = str_to_uint_n(h->value, h->valuelen, 0, UINT64_MAX / 2,
		    &errstr);
		if (errstr != NULL || (*has_out && n != r->content_length))
			return fail(p, 400, "bad Content-Length");
		r->content_length = n;
		*has_out = true;
	}
	return 0;
}

/* RFC 9112 6.1 and 6.3: chunked must be the only and final coding; a
 * request with both Transfer-Encoding and Content-Length is refused as a
 * smuggling attempt, and so is Transfer-Encoding in HTTP/1.0. */
static int
body_framing(struct http_parser *p)
{
	struct http_request *r = &p->req;
	const char *te;
	size_t len, n = 0, i;
	bool has_cl;

	if (content_length(p, &has_cl) < 0)
		return -1;
	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].namelen == 17 && memcmp(r->headers[i].name,
		    "transfer-encoding", 17) == 0)
			n++;
	te = http_header_get(r, "transfer-encoding", &len);
	if (te == NULL)
		return 0;
	if (has_cl || r->minor == 0 || n > 1)
		return fail(p, 400, "ambiguous message framing");
	if (!str_ieq(te, len, "chunked"))
		return fail(p, 501, "transfer coding not implemented");
	r->is_chunked = true;
	return 0;
}

static int
check_fields(struct http_parser *p)
{
	struct http_request *r = &p->req;
	const char *v;
	size_t len, i, hosts = 0;

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].namelen == 4 &&
		    memcmp(r->headers[i].name, "host", 4) == 0)
			hosts++;
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1. */
	if (hosts > 1 || (hosts == 0 && r->minor >= 1))
		return fail(p, 400, "missing or repeated Host");
	if (body_framing(p) < 0)
		return -1;
	if ((v = http_header_get(r, "connection", &len)) != NULL) {
		if (list_has(v, len, "close"))
			r->keep_alive = false;
		else if (list_has(v, len, "keep-alive"))
			r->keep_alive = true;
	}
	if ((v = http_header_get(r, "expect", &len)) != NULL) {
		if (!str_ieq(v, len, "100-continue"))
			return fail(p, 417, "expectation not supported");
		r->expect_continue = r->minor >= 1;
	}
	return 0;
}

/* The head is complete in p->head: split it into lines and parse. */
static int
parse_head(struct http_parser *p)
{
	char *s = p->head.data, *end = s + p->head.len, *nl;
	size_t len;
	bool first = true;

	p->req.headers = xcalloc(p->lim.max_headers + 1,
	    sizeof(*p->req.headers));
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		len = (size_t)(nl - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		if (memchr(s, '\r', len) != NULL || memchr(s, '\0', len))
			return fail(p, 400, "bare CR or NUL in head");
		if (first) {
			if (parse_request_line(p, s, len) < 0)
				return -1;
			first = false;
		} else if (add_field(p, s, len) < 0)
			return -1;
		s = nl + 1;
	}
	return check_fields(p);
}

/* After the head: where does the body come from? (RFC 9112 6.3) */
static int
start_body(struct http_parser *p)
{
	struct http_request *r = &p->req;
	bool wants_body = r->method == HTTP_POST || r->method == HTTP_PUT ||
	    r->method == HTTP_PATCH;
	size_t cl_len;

	if (r->is_chunked) {
		p->state = HTTP_PS_CHUNK_SIZE;
		return 0;
	}
	if (r->content_length > p->lim.max_body)
		return fail(p, 413, "body too large");
	if (wants_body && http_header_get(r, "content-length", &cl_len) ==
	    NULL)
		return fail(p, 411, "length required");
	p->remaining = r->content_length;
	buf_reserve(&r->body, (size_t)r->content_length);
	p->state = p->remaining > 0 ? HTTP_PS_BODY : HTTP_PS_DONE;
	return 0;
}

/* Take head bytes line by line until the empty line; RFC 9112 2.2: a
 * bare LF ends a line too, and empty lines before the request line are
 * skipped. */
static int
feed_head(struct http_parser *p, const char *d, size_t len, size_t *used)
{
	const char *nl;
	size_t n, linelen;

	while (*used < len) {
		if (p->head.len == 0 && (d[*used] == '\r' ||
		    d[*used] == '\n')) {
			(*used)++;
			continue;
		}
		nl = memchr(d + *used, '\n', len - *used);
		n = nl ? (size_t)(nl - (d + *used)) + 1 : len - *used;
		if (p->head.len + n > p->lim.max_head) {
			if (p->head.len == 0 || memchr(p->head.data, '\n',
			    p->head.len) == NULL)
				return fail(p, 414, "request line too long");
			return fail(p, 431, "header section too large");
		}
		buf_add(&p->head, d + *used, n);
		*used += n;
		if (nl == NULL)
			return 0;
		linelen = p->head.len - p->line_start;
		p->line_start = p->head.len;
		if (linelen == 1 || (linelen == 2 &&
		    p->head.data[p->head.len - 2] == '\r')) {
			if (parse_head(p) < 0 || start_body(p) < 0)
				return -1;
			return 1;
		}
	}
	return 0;
}

/* A line of the chunked coding (chunk-size, trailer) into p->line;
 * 1 when whole (without its line end), 0 when more is needed. */
static int
chunk_line(struct http_parser *p, const char *d, size_t len, size_t *used)
{
	const char *nl = memchr(d + *used, '\n', len - *used);
	size_t n = nl ? (size_t)(nl - (d + *used)) + 1 : len - *used;

	if (p->line.len + n > CHUNK_LINE_MAX)
		return fail(p, 400, "chunk line too long");
	buf_add(&p->line, d + *used, n);
	*used += n;
	if (nl == NULL)
		return 0;
	p->line.len--;
	if (p->line.len > 0 && p->line.data[p->line.len - 1] == '\r')
		p->line.len--;
	return 1;
}

/* chunk-size [ chunk-ext ] (RFC 9112 7.1): hex digits, extensions
 * ignored. */
static int
chunk_size(struct http_parser *p)
{
	uint64_t n = 0;
	size_t i;
	int digits = 0;

	for (i = 0; i < p->line.len; i++) {
		char c = p->line.data[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (c | 0x20) - 'a' + 10;
		else
			break;
		if (++digits > 15)
			return fail(p, 413, "chunk too large");
		n = n * 16 + (uint64_t)v;
	}
	if (digits == 0 || (i < p->line.len && p->line.data[i] != ';' &&
	    p->line.data[i] != ' ' && p->line.data[i] != '\t'))
		return fail(p, 400, "bad chunk size");
	if (p->req.body.len + n > p->lim.max_body)
		return fail(p, 413, "body too large");
	buf_reset(&p->line);
	p->remaining = n;
	p->state = n > 0 ? HTTP_PS_CHUNK_DATA : HTTP_PS_TRAILER;
	return 0;
}

static int
feed_chunked(struct http_parser *p, const char *d, size_t len, size_t *used)
{
	size_t n;
	int r;

	switch (p->state) {
	case HTTP_PS_CHUNK_SIZE:
		if ((r = chunk_line(p, d, len, used)) <= 0)
			return r;
		return chunk_size(p);
	case HTTP_PS_CHUNK_DATA:
		n = len - *used;
		if (n > p->remaining)
			n = (size_t)p->remaining;
		buf_add(&p->req.body, d + *used, n);
		*used += n;
		if ((p->remaining -= n) == 0)
			p->state = HTTP_PS_CHUNK_END;
		return 0;
	case HTTP_PS_CHUNK_END:
		if ((r = chunk_line(p, d, len, used)) <= 0)
			return r;
		if (p->line.len != 0)
			return fail(p, 400, "chunk data too long");
		p->state = HTTP_PS_CHUNK_SIZE;
		return 0;
	default:
		/* Trailer fields are read and dropped (RFC 9112 7.1.2). */
		if ((r = chunk_line(p, d, len, used)) <= 0)
			return r;
		p->trailer_len += p->line.len;
		if (p->trailer_len > p->lim.max_head)
			return fail(p, 431, "trailer section too large");
		if (p->line.len == 0)
			p->state = HTTP_PS_DONE;
		buf_reset(&p->line);
		return 0;
	}
}

int
http_parser_feed(struct http_parser *p, const char *data, size_t len,
    size_t *used_out)
{
	size_t n;
	int r;

	*used_out = 0;
	for (;;) {
		switch (p->state) {
		case HTTP_PS_ERROR:
			return -1;
		case HTTP_PS_DONE:
			return 1;
		case HTTP_PS_HEAD:
			r = feed_head(p, data, len, used_out);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;
			continue;
		case HTTP_PS_BODY:
			n = len - *used_out;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			buf_add(&p->req.body, data + *used_out, n);
			*used_out += n;
			if ((p->remaining -= n) == 0)
				p->state = HTTP_PS_DONE;
			break;
		default:
			if (feed_chunked(p, data, len, used_out) < 0)
				return -1;
			break;
		}
		if (p->state != HTTP_PS_DONE && *used_out == len)
			return 0;
	}
}

const char *
http_status_text(int status)
{
	static const struct {
		int		 code;
		const char	*text;
	} texts[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" },
		{ 204, "No Content" }, { 206, "Partial Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 411, "Length Required" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" }, { 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == status)
			return texts[i].text;
	return "Unknown";
}
