/* Unit tests for src/mime/build.c: what the builder writes parses back to
 * what went in (headers, text, HTML, attachments, inline parts, a
 * forwarded message), lines stay within 78 columns, nothing 8-bit goes
 * out unless allowed, and boundaries and Message-IDs are fresh.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static const char *const texts[] = {
	"",
	"Hello,\nplain ASCII text.\n",
	"Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln,\r\nline two\r\n",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7"
	"\xab\xa0\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n"
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n",
	"From the start\n.\ntrailing blanks   \nend without newline",
	NULL,		/* a long line, filled in below */
};

static char longline[3000];

struct want {
	const char	*text;
	bool		 has_html;
	bool		 has_att;
	bool		 has_inline;
	bool		 has_fwd;
	unsigned	 flags;
};

static const char fwd[] =
    "From: x@y.org\nSubject: fwd\nContent-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\nunicode \xc3\xa9\n";
static const char html[] = "<p>Hello <img src=\"cid:img1\"></p>\n";
static const unsigned char bin[] = { 0, 1, 2, 0xff, 0xfe, '\r', '\n', 'x' };

static void
canon(const char *s, struct buf *o)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r' && s[1] == '\n')
			s++;
		if (*s == '\n' || *s == '\r')
			buf_add(o, "\r\n", 2);
		else
			buf_addc(o, *s);
	}
}

static void
check_lines(const struct buf *m, unsigned flags)
{
	size_t i, col = 0;

	for (i = 0; i < m->len; i++) {
		unsigned char c = (unsigned char)m->data[i];

		if (c == '\n') {
			assert_true(i > 0 && m->data[i - 1] == '\r');
			col = 0;
			continue;
		}
		if (c >= 0x80 && !(flags & (MIME_BUILD_8BIT | MIME_BUILD_UTF8)))
			fail_msg("8-bit octet at %zu", i);
		if (c != '\r' && ++col > 78)
			fail_msg("line over 78 at %zu", i);
	}
}

static const struct mime_part *
find_type(const struct mime_part *p, const char *type, const char *sub)
{
	const struct mime_part *c, *r;

	if (strcmp(p->type, type) == 0 && strcmp(p->subtype, sub) == 0)
		return p;
	for (c = p->child; c != NULL; c = c->next)
		if ((r = find_type(c, type, sub)) != NULL)
			return r;
	return NULL;
}

static void
check_body(const struct mime_part *p, const struct buf *m, const char *want,
    size_t len)
{
	struct buf d = BUF_INIT;

	assert_non_null(p);
	mime_part_decode(p, m->data, m->len, &d);
	if (d.len != len)
		fail_msg("decoded \"%s\" (%zu), want \"%.*s\"", buf_cstr(&d),
		    d.len, (int)len, want);
	if (len > 0)
		assert_memory_equal(d.data, want, len);
	buf_free(&d);
}

static void
check_headers(const struct mime_part *root)
{
	struct mime_addr_list l = { NULL, 0 };
	struct buf s = BUF_INIT;
	const char *subj = root->fields[MIME_HF_SUBJECT];
	time_t t;
	int tz;

	mime_hdr_decode(subj, strlen(subj), &s);
	assert_string_equal(buf_cstr(&s), "R\xc3\xa9sum\xc3\xa9 of the "
	    "meeting \xe2\x80\x94 with a subject long enough to need folding "
	    "more than once, surely");
	mime_addr_parse(root->fields[MIME_HF_TO],
	    strlen(root->fields[MIME_HF_TO]), &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "J\xc3\xb6rg M\xc3\xbcller");
	assert_string_equal(l.v[0].local, "jm");
	assert_string_equal(l.v[1].name, "Smith, John");
	assert_non_null(root->fields[MIME_HF_MESSAGE_ID]);
	assert_non_null(strstr(root->fields[MIME_HF_MESSAGE_ID],
	    "@example.org>"));
	assert_int_equal(mime_date_parse(root->fields[MIME_HF_DATE],
	    strlen(root->fields[MIME_HF_DATE]), &t, &tz), 0);
	mime_addr_list_free(&l);
	buf_free(&s);
}

static void
build(const struct want *w, struct buf *out)
{
	struct mime_build *b = mime_build_new(w->flags);

	mime_build_header(b, "From", "Alice <alice@example.org>");
	mime_build_header(b, "To", "J\xc3\xb6rg M\xc3\xbcller <jm@x.org>, "
	    "\"Smith, John\" <js@x.org>");
	mime_build_header(b, "Subject", "R\xc3\xa9sum\xc3\xa9 of the meeting "
	    "\xe2\x80\x94 with a subject long enough to need folding more "
	    "than once, surely");
	mime_build_header(b, "Content-Type", "ignored/by-builder");
	if (w->text != NULL)
		mime_build_text(b, w->text, strlen(w->text));
	if (w->has_html)
		mime_build_html(b, html, strlen(html));
	if (w->has_inline)
		mime_build_inline(b, "img1", "dot.png", "image/png", bin,
		    sizeof(bin));
	if (w->has_att) {
		mime_build_attach(b, "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c"
		    "\xac.pdf", "application/pdf", bin, sizeof(bin));
		mime_build_attach(b, NULL, NULL, "plain", 5);
	}
	if (w->has_fwd)
		mime_build_forward(b, fwd, sizeof(fwd) - 1);
	mime_build_write(b, out);
	mime_build_free(b);
}

static void
check_parts(const struct want *w, const struct mime_part *root,
    const struct buf *m)
{
	const struct mime_part *p;
	struct buf c = BUF_INIT;

	if (w->text != NULL || !w->has_html) {
		canon(w->text ? w->text : "", &c);
		check_body(find_type(root, "text", "plain"), m,
		    c.data ? c.data : "", c.len);
		buf_reset(&c);
	}
	if (w->has_html) {
		canon(html, &c);
		check_body(find_type(root, "text", "html"), m, c.data, c.len);
	}
	if (w->has_inline) {
		p = find_type(root, "image", "png");
		check_body(p, m, (const char *)bin, sizeof(bin));
		assert_string_equal(p->fields[MIME_HF_ID], "<img1>");
		assert_string_equal(p->parent->subtype, w->has_html ?
		    "related" : "mixed");
	}
	if (w->has_att) {
		p = find_type(root, "application", "pdf");
		check_body(p, m, (const char *)bin, sizeof(bin));
		assert_string_equal(mime_part_filename(p),
		    "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.pdf");
		assert_string_equal(p->disposition, "attachment");
		check_body(find_type(root, "application", "octet-stream"), m,
		    "plain", 5);
	}
	if (w->has_fwd) {
		p = find_type(root, "message", "rfc822");
		assert_non_null(mime_part_message(p));
		check_body(find_type(p, "text", "plain"), m,
		    "unicode \xc3\xa9\r\n", 12);
	}
	buf_free(&c);
}

static void
test_roundtrip(void **state)
{
	static const unsigned flagsets[] = { 0, MIME_BUILD_8BIT,
	    MIME_BUILD_8BIT | MIME_BUILD_UTF8 };
	size_t i, f, k;

	(void)state;
	memset(longline, 'w', sizeof(longline) - 1);
	for (k = 80; k < sizeof(longline) - 1; k += 81)
		longline[k] = k % 5 ? ' ' : '\n';
	longline[1100] = 'x';
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (f = 0; f < 3; f++) {
			for (k = 0; k < 16; k++) {
				struct want w = { texts[i], k & 1,
				    (k & 2) != 0, (k & 4) != 0, (k & 8) != 0,
				    flagsets[f] };
				struct buf m = BUF_INIT;
				struct mime_part *root;

				if (w.text == NULL)
					w.text = longline;
				if (i == 0 && (k & 1))
					w.text = NULL;	/* HTML only */
				build(&w, &m);
				check_lines(&m, w.flags);
				root = mime_parse(m.data, m.len, NULL);
				check_headers(root);
				check_parts(&w, root, &m);
				mime_part_free(root);
				buf_free(&m);
			}
		}
	}
}

static void
test_fresh(void **state)
{
	struct want w = { "x", true, true, false, false, 0 };
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct mime_part *ra, *rb;

	(void)state;
	build(&w, &a);
	build(&w, &b);
	ra = mime_parse(a.data, a.len, NULL);
	rb = mime_parse(b.data, b.len, NULL);
	assert_string_not_equal(ra->fields[MIME_HF_MESSAGE_ID],
	    rb->fields[MIME_HF_MESSAGE_ID]);
	assert_string_not_equal(mime_params_get(&ra->params, "boundary"),
	    mime_params_get(&rb->params, "boundary"));
	assert_string_not_equal(mime_params_get(&ra->params, "boundary"),
	    mime_params_get(&ra->child->params, "boundary"));
	mime_part_free(ra);
	mime_part_free(rb);
	buf_free(&a);
	buf_free(&b);
}

static void
test_encodings(void **state)
{
	static const struct { const char *text; unsigned flags;
	    const char *cte; } rows[] = {
		{ "ascii\n", 0, "7bit" },
		{ "caf\xc3\xa9\n", 0, "quoted-printable" },
		{ "caf\xc3\xa9\n", MIME_BUILD_8BIT, "8bit" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n", 0, "base64" },
		{ "bell\a\n", MIME_BUILD_8BIT, "quoted-printable" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_build *b = mime_build_new(rows[i].flags);
		struct buf m = BUF_INIT;
		struct mime_part *root;

		mime_build_text(b, rows[i].text, strlen(rows[i].text));
		mime_build_write(b, &m);
		root = mime_parse(m.data, m.len, NULL);
		assert_string_equal(root->fields[MIME_HF_CTE], rows[i].cte);
		mime_part_free(root);
		mime_build_free(b);
		buf_free(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
