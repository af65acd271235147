/* HTTP responses: the status line, the security fields every response
 * carries (CSP, nosniff, no referrer, no framing), whole bodies, JSON, and
 * bodies streamed from a file with flow control and, for attachments,
 * base64 or quoted-printable decoding on the way (RFC 9112 7.1 chunked).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conn.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mime/mime.h"
#include "web_int.h"

#define STREAM_CHUNK	(64 * 1024)
#define STREAM_HIGH	(256 * 1024)

/* The app: its own scripts and styles only; images also from blob: and
 * data: (previews of uploads); frames only from itself (the message). */
static const char app_csp[] = "default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; frame-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void
web_reply_header(struct web_req *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char value[1024];

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	/* A value with a line break would add fields: petrel's own bug. */
	if (strpbrk(value, "\r\n") != NULL)
		fatalx("web_reply_header: line break in %s", name);
	buf_addf(&r->headers, "%s: %s\r\n", name, value);
}

static void
add_security(struct web_req *r, struct buf *h)
{
	buf_addf(h, "Content-Security-Policy: %s\r\n",
	    r->csp ? r->csp : app_csp);
	buf_adds(h, "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Cross-Origin-Resource-Policy: same-origin\r\n"
	    "Cross-Origin-Opener-Policy: same-origin\r\n"
	    "Permissions-Policy: camera=(), microphone=(), geolocation=(), "
	    "payment=(), usb=()\r\n");
	buf_addf(h, "X-Frame-Options: %s\r\n",
	    r->is_frameable ? "SAMEORIGIN" : "DENY");
	if (r->is_tls)
		buf_adds(h, "Strict-Transport-Security: max-age=31536000\r\n");
}

void
web_reply_head(struct web_req *r, int status, const char *ctype,
    int64_t length)
{
	struct web_session *s = r->session;
	struct buf h = BUF_INIT;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_addf(&h, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
	    http_status_text(status), date);
	if (ctype != NULL)
		buf_addf(&h, "Content-Type: %s\r\n", ctype);
	if (length >= 0 && status != 204 && status != 304)
		buf_addf(&h, "Content-Length: %lld\r\n", (long long)length);
	else if (length < 0 && r->http->minor >= 1)
		buf_adds(&h, "Transfer-Encoding: chunked\r\n");
	else if (length < 0)
		s->must_close = true;
	if (s->must_close || !r->http->keep_alive)
		buf_adds(&h, "Connection: close\r\n");
	else if (r->http->minor == 0)
		buf_adds(&h, "Connection: keep-alive\r\n");
	buf_addf(&h, "Cache-Control: %s\r\n", r->cache ? r->cache :
	    "no-store");
	add_security(r, &h);
	buf_add(&h, r->headers.data, r->headers.len);
	buf_adds(&h, "\r\n");
	conn_write(s->conn, h.data, h.len);
	buf_free(&h);
	log_debug("web session=%s event=reply method=%s path=\"%.*s\" "
	    "status=%d", s->id, http_method_name(r->http->method),
	    (int)(r->http->pathlen > 200 ? 200 : r->http->pathlen),
	    r->http->path ? r->http->path : "", status);
}

void
web_reply(struct web_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	struct web_session *s = r->session;

	if (r->is_done)
		fatalx("web_reply: the request was answered already");
	r->is_done = true;
	if (s->conn == NULL)
		return;
	web_reply_head(r, status, ctype, (int64_t)len);
	if (r->http->method != HTTP_HEAD && status != 204 && status != 304)
		conn_write(s->conn, body, len);
	web_session_finish(s);
}

void
web_reply_json(struct web_req *r, int status, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) :
	    NULL;

	json_decref(obj);
	if (text == NULL) {
		log_warnx("web session=%s event=json-error",
		    r->session->id);
		text = xstrdup("{\"error\":\"internal error\"}");
		status = 500;
	}
	web_reply(r, status, "application/json", text, strlen(text));
	free(text);
}

void
web_reply_error(struct web_req *r, int status, const char *fmt, ...)
{
	va_list ap;
	char text[512];
	bool is_api = r->http->pathlen >= 5 &&
	    memcmp(r->http->path, "/api/", 5) == 0;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (is_api)
		web_reply_json(r, status, json_pack("{s:s, s:i}", "error", text,
		    "status", status));
	else
		web_reply(r, status, "text/plain; charset=utf-8", text,
		    strlen(text));
}

void
web_reply_stream(struct web_req *r, int status, const char *ctype, int fd,
    uint64_t off, uint64_t len, int cte)
{
	struct web_session *s = r->session;
	struct web_stream *st = &s->stream;
	bool decodes = cte == MIME_CTE_BASE64 || cte == MIME_CTE_QP;

	r->is_done = true;
	memset(st, 0, sizeof(*st));
	st->fd = fd;
	st->off = off;
	st->left = len;
	st->cte = cte;
	st->is_chunked = decodes && r->http->minor >= 1;
	b64_dec_init(&st->b64);
	qp_dec_init(&st->qp);
	web_reply_head(r, status, ctype, decodes ? -1 : (int64_t)len);
	if (r->http->method == HTTP_HEAD)
		st->left = 0;
	s->state = WEB_ST_STREAM;
	conn_set_drain(s->conn, STREAM_HIGH / 4);
	web_stream_more(s);
}

static void
stream_write(struct web_session *s, const char *p, size_t len)
{
	if (len == 0)
		return;
	if (s->stream.is_chunked)
		conn_printf(s->conn, "%zx\r\n", len);
	conn_write(s->conn, p, len);
	if (s->stream.is_chunked)
		conn_write(s->conn, "\r\n", 2);
}

static void
stream_decode(struct web_stream *st, const char *p, size_t len,
    struct buf *out)
{
	if (st->cte == MIME_CTE_BASE64)
		b64_dec_update(&st->b64, p, len, out);
	else if (st->cte == MIME_CTE_QP)
		qp_dec_update(&st->qp, p, len, out);
	else
		buf_add(out, p, len);
}

static void
stream_finish(struct web_session *s)
{
	struct web_stream *st = &s->stream;
	struct buf out = BUF_INIT;

	if (s->req.http->method != HTTP_HEAD) {
		if (st->cte == MIME_CTE_QP)
			qp_dec_final(&st->qp, &out);
		stream_write(s, out.data, out.len);
		if (st->is_chunked)
			conn_write(s->conn, "0\r\n\r\n", 5);
	}
	buf_free(&out);
	close(st->fd);
	st->fd = -1;
	conn_set_drain(s->conn, 0);
	s->state = WEB_ST_BUSY;
	web_session_finish(s);
}

void
web_stream_more(struct web_session *s)
{
	struct web_stream *st = &s->stream;
	char chunk[STREAM_CHUNK];
	struct buf out = BUF_INIT;
	ssize_t n;

	while (st->left > 0 && conn_output_len(s->conn) < STREAM_HIGH) {
		n = pread(st->fd, chunk, st->left < sizeof(chunk) ?
		    (size_t)st->left : sizeof(chunk), (off_t)st->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Half a body is out: only closing tells the client
			 * that it is incomplete. */
			log_warn("web session=%s event=read-body", s->id);
			s->must_close = true;
			st->is_chunked = false;	/* no last-chunk: broken */
			st->left = 0;
			break;
		}
		st->off += (uint64_t)n;
		st->left -= (uint64_t)n;
		buf_reset(&out);
		stream_decode(st, chunk, (size_t)n, &out);
		stream_write(s, out.data, out.len);
	}
	buf_free(&out);
	if (st->left == 0)
		stream_finish(s);
}
