/* Unit tests: the webmail's HTTP/1.1 request parser (src/web/http.c), its
 * small helpers (util.c), the router (route.c), sign-in sessions and CSRF
 * tokens (auth.c) and multipart/form-data (multipart.c). Every parser
 * row is fed whole, byte by byte, and from an exact-size copy without a
 * terminating NUL.
 * SPDX-License-Identifier: ISC */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web/web_int.h"

struct row {
	const char	*in;
	int		 result;	/* of the last feed: 1, 0, -1 */
	int		 status;	/* on -1 */
	enum http_method method;
	const char	*path;
	const char	*query;
	const char	*body;
	bool		 keep_alive;
};

#define OK(in, m, path, q, body, ka) \
	{ in, 1, 0, m, path, q, body, ka }
#define BAD(in, st) \
	{ in, -1, st, HTTP_GET, NULL, NULL, NULL, false }
#define MORE(in) \
	{ in, 0, 0, HTTP_GET, NULL, NULL, NULL, false }

static const struct row rows[] = {
	OK("GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET, "/", NULL, "",
	    true),
	OK("GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET, "/x", "y=1",
	    "", true),
	OK("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_HEAD, "/x", NULL, "",
	    true),
	OK("GET / HTTP/1.0\r\n\r\n", HTTP_GET, "/", NULL, "", false),
	OK("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_GET, "/",
	    NULL, "", true),
	OK("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    HTTP_GET, "/", NULL, "", false),
	OK("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n",
	    HTTP_GET, "/", NULL, "", false),
	/* Bare LF line ends (RFC 9112 2.2) and empty lines first. */
	OK("\r\n\r\nGET /lf HTTP/1.1\nHost: a\n\n", HTTP_GET, "/lf", NULL,
	    "", true),
	OK("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
	    HTTP_POST, "/p", NULL, "hello", true),
	OK("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	    HTTP_POST, "/p", NULL, "", true),
	OK("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Content-Length: 3\r\n\r\nabc", HTTP_PUT, "/p", NULL, "abc", true),
	OK("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
	    HTTP_POST, "/c", NULL, "hello world", true),
	OK("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "A\r\n0123456789\r\n0\r\n\r\n", HTTP_POST, "/c", NULL,
	    "0123456789", true),
	OK("DELETE /d HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_DELETE, "/d", NULL,
	    "", true),
	OK("PATCH /d HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
	    HTTP_PATCH, "/d", NULL, "{}", true),
	OK("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OPTIONS, "*", NULL,
	    "", true),
	OK("GET http://a/abs?q HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET,
	    "/abs", "q", "", true),
	OK("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX:  v  \r\n\r\n",
	    HTTP_GET, "/", NULL, "", true),
	MORE("GET / HTTP/1.1\r\nHost: a\r\n"),
	MORE("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"),
	MORE("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhel"),
	BAD("GET / HTTP/1.1\r\n\r\n", 400),			/* no Host */
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	BAD("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501),
	BAD("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501),
	BAD("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
	BAD("GET /\r\nHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
	BAD("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
	BAD("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
	BAD("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
	BAD("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\n\r\n", 411),
	BAD("PUT /p HTTP/1.1\r\nHost: a\r\n\r\n", 411),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n",
	    413),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nab", 400),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
	    "chunked\r\n\r\n", 501),
	BAD("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nzz\r\n", 400),
	BAD("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n3\r\nabcd\r\n", 400),
	BAD("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nFFFFFFFFFFFFFFFFFF\r\n", 413),
	BAD("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n200000\r\n", 413),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nExpect: nothing\r\n\r\n", 417),
};

static void
check_row(const struct row *w, struct http_parser *p, int r)
{
	const struct http_request *q = &p->req;

	assert_int_equal(r, w->result);
	if (r < 0) {
		assert_int_equal(p->status, w->status);
		assert_non_null(p->errstr);
		return;
	}
	if (r == 0)
		return;
	assert_int_equal(q->method, w->method);
	assert_int_equal(q->pathlen, strlen(w->path));
	assert_memory_equal(q->path, w->path, q->pathlen);
	if (w->query == NULL)
		assert_null(q->query);
	else {
		assert_int_equal(q->querylen, strlen(w->query));
		assert_memory_equal(q->query, w->query, q->querylen);
	}
	assert_int_equal(q->body.len, strlen(w->body));
	if (q->body.len > 0)
		assert_memory_equal(q->body.data, w->body, q->body.len);
	assert_int_equal(q->keep_alive, w->keep_alive);
}

/* Feed in pieces of step bytes (0: all at once) from an exact copy. */
static void
run_row(const struct row *w, size_t step)
{
	struct http_parser p;
	size_t len = strlen(w->in), off = 0, n, used;
	char *copy = malloc(len ? len : 1);
	int r = 0;

	memcpy(copy, w->in, len);
	http_parser_init(&p, NULL);
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		r = http_parser_feed(&p, copy + off, n, &used);
		assert_true(used <= n);
		off += used;
		if (r != 0)
			break;
		assert_int_equal(used, n);
	}
	if (r == 1)
		assert_int_equal(off, len);	/* no row has a second one */
	check_row(w, &p, r);
	http_parser_fini(&p);
	free(copy);
}

static void
test_parser_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("row %zu\n", i);
		run_row(&rows[i], 0);
		run_row(&rows[i], 1);
		run_row(&rows[i], 7);
	}
}

static void
test_parser_headers(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nHOST: a.test\r\n"
	    "Cookie: a=1; petrel_sid=abc\r\nX-Thing:\tv 1\t\r\n\r\n";
	struct http_parser p;
	const char *v;
	size_t used, len;

	(void)state;
	http_parser_init(&p, NULL);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1, &used), 1);
	v = http_header_get(&p.req, "host", &len);
	assert_non_null(v);
	assert_int_equal(len, 6);
	assert_memory_equal(v, "a.test", 6);
	v = http_header_get(&p.req, "x-thing", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "v 1", 3);
	assert_null(http_header_get(&p.req, "missing", &len));
	http_parser_fini(&p);
}

/* Two requests in one read: answered one after the other. */
static void
test_parser_pipelined(void **state)
{
	static const char in[] = "POST /a HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *p = in;
	size_t len = sizeof(in) - 1, used;
	struct http_parser ps;
	const char *want[] = { "/a", "/b", "/c" };
	int i;

	(void)state;
	http_parser_init(&ps, NULL);
	for (i = 0; i < 3; i++) {
		assert_int_equal(http_parser_feed(&ps, p, len, &used), 1);
		assert_int_equal(ps.req.pathlen, 2);
		assert_memory_equal(ps.req.path, want[i], 2);
		p += used;
		len -= used;
		http_parser_reset(&ps);
	}
	assert_int_equal(len, 0);
	http_parser_fini(&ps);
}

static void
test_parser_limits(void **state)
{
	struct http_limits lim;
	struct http_parser p;
	struct buf b = BUF_INIT;
	size_t used, i;

	(void)state;
	http_limits_default(&lim);
	/* 414: a long target. */
	buf_adds(&b, "GET /");
	for (i = 0; i < lim.max_target + 10; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
	http_parser_init(&p, &lim);
	assert_int_equal(http_parser_feed(&p, b.data, b.len, &used), -1);
	assert_int_equal(p.status, 414);
	http_parser_fini(&p);
	/* 414 too when the request line alone passes the head limit. */
	buf_reset(&b);
	buf_adds(&b, "GET /");
	for (i = 0; i < lim.max_head + 10; i++)
		buf_addc(&b, 'a');
	http_parser_init(&p, &lim);
	assert_int_equal(http_parser_feed(&p, b.data, b.len, &used), -1);
	assert_int_equal(p.status, 414);
	http_parser_fini(&p);
	/* 431: too many fields, and a head too large. */
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < lim.max_headers + 1; i++)
		buf_addf(&b, "X-%zu: v\r\n", i);
	buf_adds(&b, "\r\n");
	http_parser_init(&p, &lim);
	assert_int_equal(http_parser_feed(&p, b.data, b.len, &used), -1);
	assert_int_equal(p.status, 431);
	http_parser_fini(&p);
	buf_reset(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 40; i++) {
		buf_addf(&b, "X-%zu: ", i);
		for (size_t j = 0; j < 1000; j++)
			buf_addc(&b, 'v');
		buf_adds(&b, "\r\n");
	}
	http_parser_init(&p, &lim);
	assert_int_equal(http_parser_feed(&p, b.data, b.len, &used), -1);
	assert_int_equal(p.status, 431);
	http_parser_fini(&p);
	buf_free(&b);
}

static void
test_expect_continue(void **state)
{
	static const char head[] = "POST /u HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n";
	struct http_parser p;
	size_t used;

	(void)state;
	http_parser_init(&p, NULL);
	assert_int_equal(http_parser_feed(&p, head, sizeof(head) - 1, &used),
	    0);
	assert_true(http_parser_has_head(&p));
	assert_true(p.req.expect_continue);
	assert_int_equal(http_parser_feed(&p, "ok", 2, &used), 1);
	http_parser_fini(&p);
}

static void
test_url_helpers(void **state)
{
	struct buf b = BUF_INIT;
	const char *v;
	size_t len;

	(void)state;
	assert_true(web_url_decode("a%20b+c%2F", 10, true, &b));
	assert_string_equal(buf_cstr(&b), "a b c/");
	buf_reset(&b);
	assert_true(web_url_decode("a+b", 3, false, &b));
	assert_string_equal(buf_cstr(&b), "a+b");
	buf_reset(&b);
	assert_false(web_url_decode("%2", 2, false, &b));
	buf_reset(&b);
	assert_false(web_url_decode("%zz", 3, false, &b));
	buf_reset(&b);
	assert_false(web_url_decode("a%00", 4, false, &b));
	buf_reset(&b);
	web_url_encode("a b/é", 6, &b);
	assert_string_equal(buf_cstr(&b), "a%20b%2F%C3%A9");
	buf_reset(&b);
	assert_true(web_query_get("x=1&offset=20&l", 15, "offset", &b));
	assert_string_equal(buf_cstr(&b), "20");
	buf_reset(&b);
	assert_true(web_query_get("x=1&l", 5, "l", &b));
	assert_false(web_query_get("xoffset=1", 9, "offset", &b));
	assert_false(web_query_get(NULL, 0, "x", &b));
	assert_true(web_cookie_get("a=1; petrel_sid=abc ;b=2", 24,
	    "petrel_sid", &v, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(v, "abc", 3);
	assert_true(web_cookie_get("s=\"q\"", 5, "s", &v, &len));
	assert_int_equal(len, 1);
	assert_false(web_cookie_get("xpetrel_sid=1", 13, "petrel_sid", &v,
	    &len));
	assert_false(web_cookie_get("", 0, "a", &v, &len));
	buf_reset(&b);
	web_html_escape("<a href=\"x\">&'", 14, &b);
	assert_string_equal(buf_cstr(&b),
	    "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	buf_free(&b);
}

static void
h_a(struct web_req *r)
{
	(void)r;
}

static void
h_b(struct web_req *r)
{
	(void)r;
}

static const struct web_route table[] = {
	{ HTTP_M(HTTP_GET), "/api/folders", h_a, 0 },
	{ HTTP_M(HTTP_POST), "/api/folders", h_b, 0 },
	{ HTTP_M(HTTP_GET), "/api/folders/:f/messages/:uid", h_b, 0 },
	{ 0, NULL, NULL, 0 },
};

static void
test_router(void **state)
{
	const struct web_route *rt = NULL;
	char *params[WEB_MAX_PARAMS] = { NULL };
	size_t n;
	unsigned allow;

	(void)state;
	assert_int_equal(web_route_find(table, HTTP_GET, "/api/folders", 12,
	    &rt, params, &n, &allow), WEB_ROUTE_FOUND);
	assert_ptr_equal(rt->fn, h_a);
	assert_int_equal(web_route_find(table, HTTP_HEAD, "/api/folders", 12,
	    &rt, params, &n, &allow), WEB_ROUTE_FOUND);
	assert_int_equal(web_route_find(table, HTTP_POST, "/api/folders", 12,
	    &rt, params, &n, &allow), WEB_ROUTE_FOUND);
	assert_ptr_equal(rt->fn, h_b);
	assert_int_equal(web_route_find(table, HTTP_DELETE, "/api/folders",
	    12, &rt, params, &n, &allow), WEB_ROUTE_NO_METHOD);
	assert_int_equal(allow, HTTP_M(HTTP_GET) | HTTP_M(HTTP_POST));
	assert_int_equal(web_route_find(table, HTTP_GET,
	    "/api/folders/Sent%2FOld/messages/42", 35, &rt, params, &n,
	    &allow), WEB_ROUTE_FOUND);
	assert_int_equal(n, 2);
	assert_string_equal(params[0], "Sent/Old");
	assert_string_equal(params[1], "42");
	web_params_free(params, n);
	assert_int_equal(web_route_find(table, HTTP_GET,
	    "/api/folders//messages/42", 25, &rt, params, &n, &allow),
	    WEB_ROUTE_NO_PATH);
	assert_int_equal(web_route_find(table, HTTP_GET, "/api/folders/x",
	    14, &rt, params, &n, &allow), WEB_ROUTE_NO_PATH);
	assert_int_equal(web_route_find(table, HTTP_GET,
	    "/api/folders/%00/messages/1", 27, &rt, params, &n, &allow),
	    WEB_ROUTE_NO_PATH);
	assert_int_equal(web_route_find(table, HTTP_GET, "/api/folders/",
	    13, &rt, params, &n, &allow), WEB_ROUTE_NO_PATH);
}

static void
test_sessions(void **state)
{
	struct web_sessions *t = web_sessions_new(60, 3600);
	struct web_login a, b, f;

	(void)state;
	web_sessions_create(t, 7, "a@x.test", 1000, &a);
	web_sessions_create(t, 7, "a@x.test", 1000, &b);
	assert_int_equal(strlen(a.id), WEB_TOKEN_LEN);
	assert_string_not_equal(a.id, b.id);	/* rotation: new each time */
	assert_string_not_equal(a.csrf, b.csrf);
	assert_string_not_equal(a.id, a.csrf);
	assert_int_equal(web_sessions_count(t), 2);
	assert_int_equal(web_sessions_find(t, a.id, WEB_TOKEN_LEN, 1030, &f),
	    1);
	assert_int_equal(f.user_id, 7);
	assert_string_equal(f.address, "a@x.test");
	assert_true(web_csrf_check(&f, a.csrf, WEB_TOKEN_LEN));
	assert_false(web_csrf_check(&f, b.csrf, WEB_TOKEN_LEN));
	assert_false(web_csrf_check(&f, a.csrf, WEB_TOKEN_LEN - 1));
	assert_false(web_csrf_check(&f, NULL, 0));
	assert_false(web_csrf_check(&f, "", 0));
	/* Wrong length, wrong characters, unknown. */
	assert_int_equal(web_sessions_find(t, a.id, 10, 1030, &f), 0);
	assert_int_equal(web_sessions_find(t, a.csrf, WEB_TOKEN_LEN, 1030,
	    &f), 0);
	/* Idle for 60 s: a is touched at 1030, so alive at 1080; b not. */
	assert_int_equal(web_sessions_find(t, b.id, WEB_TOKEN_LEN, 1061, &f),
	    0);
	assert_int_equal(web_sessions_count(t), 1);
	assert_int_equal(web_sessions_find(t, a.id, WEB_TOKEN_LEN, 1080, &f),
	    1);
	web_sessions_remove(t, a.id, WEB_TOKEN_LEN);
	assert_int_equal(web_sessions_find(t, a.id, WEB_TOKEN_LEN, 1081, &f),
	    0);
	assert_int_equal(web_sessions_count(t), 0);
	web_sessions_free(t);
}

static void
test_session_lifetime_and_uploads(void **state)
{
	struct web_sessions *t = web_sessions_new(600, 100);
	struct web_login a, f;
	struct buf d = BUF_INIT, n = BUF_INIT, ty = BUF_INIT;
	char id[WEB_UPLOAD_ID_LEN + 1], id2[WEB_UPLOAD_ID_LEN + 1];
	int i;

	(void)state;
	web_sessions_create(t, 1, "u@x.test", 0, &a);
	for (i = 1; i <= 100; i += 30)
		assert_int_equal(web_sessions_find(t, a.id, WEB_TOKEN_LEN, i,
		    &f), 1);
	assert_true(web_sessions_upload_add(t, a.id, "a.bin", "x/y", "abc", 3,
	    5, id));
	assert_false(web_sessions_upload_add(t, a.id, "b.bin", "x/y", "abc",
	    3, 5, id2));
	assert_true(web_sessions_upload_get(t, a.id, id, &d, &n, &ty));
	assert_int_equal(d.len, 3);
	assert_string_equal(buf_cstr(&n), "a.bin");
	assert_false(web_sessions_upload_get(t, a.csrf, id, &d, &n, &ty));
	assert_false(web_sessions_upload_del(t, a.id, "nope"));
	assert_true(web_sessions_upload_del(t, a.id, id));
	assert_true(web_sessions_upload_add(t, a.id, "b.bin", "x/y", "abcd",
	    4, 5, id2));
	/* At most 100 s after sign-in, however active. */
	assert_int_equal(web_sessions_find(t, a.id, WEB_TOKEN_LEN, 101, &f),
	    0);
	buf_free(&d);
	buf_free(&n);
	buf_free(&ty);
	web_sessions_free(t);
}

static void
test_multipart(void **state)
{
	static const char ct[] = "multipart/form-data; boundary=\"XyZ\"";
	static const char body[] = "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"a b.bin\"\r\nContent-Type: application/x-thing\r\n"
	    "\r\n\x00\x01--X\r\n\r\n--XyZ--\r\n";
	struct web_form f;
	const char *errstr;

	(void)state;
	assert_int_equal(web_form_parse(ct, sizeof(ct) - 1, body,
	    sizeof(body) - 1, 10, &f, &errstr), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].name, "note");
	assert_null(f.v[0].filename);
	assert_int_equal(f.v[0].len, 2);
	assert_string_equal(f.v[1].filename, "a b.bin");
	assert_string_equal(f.v[1].type, "application/x-thing");
	assert_int_equal(f.v[1].len, 7);
	assert_memory_equal(f.v[1].data, "\x00\x01--X\r\n", 7);
	web_form_free(&f);
	/* Limits and malformed bodies. */
	assert_int_equal(web_form_parse(ct, sizeof(ct) - 1, body,
	    sizeof(body) - 1, 1, &f, &errstr), -1);
	assert_int_equal(web_form_parse("text/plain", 10, body,
	    sizeof(body) - 1, 10, &f, &errstr), -1);
	assert_int_equal(web_form_parse(ct, sizeof(ct) - 1, body, 40, 10, &f,
	    &errstr), -1);
	assert_int_equal(web_form_parse(ct, sizeof(ct) - 1, "--XyZ\r\n\r\n"
	    "x\r\n--XyZ--", 20, 10, &f, &errstr), -1);
	assert_int_equal(web_form_parse(ct, sizeof(ct) - 1, "", 0, 10, &f,
	    &errstr), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_rows),
		cmocka_unit_test(test_parser_headers),
		cmocka_unit_test(test_parser_pipelined),
		cmocka_unit_test(test_parser_limits),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_url_helpers),
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_session_lifetime_and_uploads),
		cmocka_unit_test(test_multipart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
