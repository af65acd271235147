/* Unit tests for the streaming MIME parser (src/mime/mime.c, part.c):
 * trees with offsets and line counts for hand-checked messages, each fed
 * whole (a copy without a trailing NUL), byte by byte and in uneven
 * chunks; IMAP section numbers; limits against hostile input.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static char *
exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	return c;
}

/* One line per part, indented by depth. */
static void
dump(const struct mime_part *p, struct buf *o)
{
	const struct mime_part *c;

	buf_addf(o, "%*s%s/%s %zu %zu %zu %zu %x\n", (int)p->depth * 2, "",
	    p->type, p->subtype, p->hdr_off, p->body_off, p->end_off,
	    p->body_lines, p->flags);
	for (c = p->child; c != NULL; c = c->next)
		dump(c, o);
}

static struct mime_part *
parse_chunks(const char *m, size_t len, size_t chunk)
{
	struct mime_parser *ps = mime_parser_new(NULL);
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = chunk ? chunk : 1 + i % 7;
		if (n > len - i)
			n = len - i;
		mime_parser_feed(ps, m + i, n);
	}
	return mime_parser_finish(ps);
}

static const struct {
	const char	*msg;
	const char	*tree;
} rows[] = {
	{ "Subject: x\r\n\r\nhello\r\n",
	  "text/plain 0 14 21 1 0\n" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\none\r\ntwo\r\n--b\r\n\r\n"
	  "three\r\n--b--\r\nepilogue\r\n",
	  "multipart/mixed 0 45 129 11 0\n"
	  "  text/plain 60 88 96 2 0\n"
	  "  text/plain 103 105 110 1 0\n" },
	/* Bare LF; an inner multipart closed by the outer delimiter; an
	 * encapsulated message. */
	{ "Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\n"
	  "Content-Type: multipart/alternative; boundary=i\n\n--i\n\nA\n"
	  "--i\n\nB\n--o\nContent-Type: message/rfc822\n\nSubject: in\n\n"
	  "body\n--o--\n",
	  "multipart/mixed 0 45 170 16 0\n"
	  "  multipart/alternative 49 98 111 6 1\n"
	  "    text/plain 102 103 104 1 0\n"
	  "    text/plain 109 110 111 1 0\n"
	  "  message/rfc822 116 146 163 3 0\n"
	  "    text/plain 146 159 163 1 0\n" },
	/* Transport padding after a delimiter; "--bx" is no delimiter; no
	 * final line break. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b \t\r\n\r\n"
	  "x\r\n--bx\r\n--b--",
	  "multipart/mixed 0 45 68 5 0\n"
	  "  text/plain 52 54 61 2 0\n" },
	/* RFC 2046 5.1.5: digest parts default to message/rfc822. */
	{ "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
	  "Subject: a\r\n\r\nA\r\n--d\r\nContent-Type: text/plain\r\n\r\nB\r\n"
	  "--d--\r\n",
	  "multipart/digest 0 46 113 10 0\n"
	  "  message/rfc822 51 53 68 3 0\n"
	  "    text/plain 53 67 68 1 0\n"
	  "  text/plain 75 103 104 1 0\n" },
	/* A header cut by a delimiter; an empty body. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: text/plain\r\n--b\r\n\r\n\r\n--b--\r\n",
	  "multipart/mixed 0 45 92 6 0\n"
	  "  text/plain 50 74 74 0 80\n"
	  "  text/plain 81 83 83 0 0\n" },
	/* A multipart without boundary is a leaf. */
	{ "Content-Type: multipart/mixed\r\n\r\n--b\r\nx\r\n",
	  "multipart/mixed 0 33 41 2 100\n" },
	/* A line that is no header field starts the body. */
	{ "From: a\r\nnot a header line\r\nmore\r\n",
	  "text/plain 0 9 34 2 80\n" },
	/* No close delimiter: the last line break is the delimiter's, as
	 * if it were at the end. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nlast\n",
	  "multipart/mixed 0 43 53 3 1\n"
	  "  text/plain 47 48 52 1 0\n" },
	/* 8-bit and NUL in a body, 8-bit in a header. */
	{ "Subject: caf\xc3\xa9\r\n\r\na\x80\r\n",
	  "text/plain 0 18 23 2 2c\n" },
	/* Header only. */
	{ "Subject: x", "text/plain 0 10 10 0 80\n" },
	{ "", "text/plain 0 0 0 0 80\n" },
	/* Invalid type: text/plain (RFC 2045 5.2); case and comments. */
	{ "Content-Type: junk\r\n\r\nx", "text/plain 0 22 23 1 0\n" },
	{ "content-type: (c) Text / HTML (c); charset=x\r\n\r\n",
	  "text/html 0 48 48 0 0\n" },
	/* message/rfc822 in base64 (not allowed) stays a leaf. */
	{ "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: "
	  "base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n",
	  "message/rfc822 0 67 89 1 0\n" },
};

static void
test_trees(void **state)
{
	size_t i, len, chunk;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *c;

		len = strlen(rows[i].msg);
		if (strstr(rows[i].msg, "a\x80\r\n") != NULL)
			len++;		/* keep the NUL that follows */
		c = exact(rows[i].msg, len);
		for (chunk = 0; chunk <= 3; chunk++) {
			struct buf o = BUF_INIT;
			struct mime_part *root;

			root = chunk == 3 ? mime_parse(c, len, NULL) :
			    parse_chunks(c, len, chunk == 2 ? 4096 : chunk);
			dump(root, &o);
			if (strcmp(buf_cstr(&o), rows[i].tree) != 0)
				fail_msg("row %zu chunk %zu:\n%s", i, chunk,
				    buf_cstr(&o));
			mime_part_free(root);
			buf_free(&o);
		}
		free(c);
	}
}

static void
test_fields(void **state)
{
	static const char m[] =
	    "Subject: first\r\n"
	    "SUBJECT: second\r\n"
	    "Content-Type: text/plain;\r\n"
	    "\tcharset=\"ISO-8859-1\"; name*=utf-8''%E2%82%AC.txt\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable \r\n"
	    "Content-Disposition: ATTACHMENT; filename=\" x.txt \"\r\n"
	    "\r\nbody";
	struct mime_part *p = mime_parse(m, sizeof(m) - 1, NULL);

	(void)state;
	assert_string_equal(p->fields[MIME_HF_SUBJECT], "first");
	assert_string_equal(p->fields[MIME_HF_CONTENT_TYPE],
	    "text/plain;\tcharset=\"ISO-8859-1\"; name*=utf-8''%E2%82%AC.txt");
	assert_int_equal(p->cte, MIME_CTE_QP);
	assert_string_equal(p->disposition, "attachment");
	assert_string_equal(mime_part_filename(p), "x.txt");
	assert_string_equal(mime_part_charset(p), "ISO-8859-1");
	assert_string_equal(mime_params_get(&p->params, "name"),
	    "\xe2\x82\xac.txt");
	assert_null(p->fields[MIME_HF_FROM]);
	mime_part_free(p);
}

static void
test_sections(void **state)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: multipart/alternative; boundary=i\n\n--i\n\nA\n"
	    "--i\n\nB\n--i--\n--o\nContent-Type: message/rfc822\n\n"
	    "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nC\n--x\n\nD\n"
	    "--x--\n--o\nContent-Type: message/rfc822\n\nSubject: e\n\nE\n"
	    "--o--\n";
	static const char *const secs[] = { "1", "1.1", "1.2", "2", "2.1",
	    "2.2", "3", "3.1" };
	static const char *const bodies[] = { NULL, "A", "B", NULL, "C", "D",
	    NULL, "E" };
	struct mime_part *root = mime_parse(m, sizeof(m) - 1, NULL), *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct buf s = BUF_INIT;

		p = mime_part_find(root, secs[i], strlen(secs[i]));
		assert_non_null(p);
		if (bodies[i] != NULL) {
			assert_int_equal(p->end_off - p->body_off, 1);
			assert_int_equal(m[p->body_off], bodies[i][0]);
		}
		mime_part_section(p, &s);
		assert_string_equal(buf_cstr(&s), secs[i]);
		buf_free(&s);
	}
	assert_ptr_equal(mime_part_find(root, "", 0), root);
	assert_null(mime_part_find(root, "4", 1));
	assert_null(mime_part_find(root, "1.3", 3));
	assert_null(mime_part_find(root, "1.1.1", 5));
	assert_null(mime_part_find(root, "0", 1));
	assert_null(mime_part_find(root, "1.", 2));
	assert_null(mime_part_find(root, "x", 1));
	/* The message of part 2 is a multipart: its section is "2". */
	p = mime_part_message(mime_part_find(root, "2", 1));
	assert_true(mime_part_is_multipart(p));
	mime_part_free(root);

	/* A single-part message: its body is "1". */
	root = mime_parse("Subject: x\n\nbody\n", 17, NULL);
	assert_ptr_equal(mime_part_find(root, "1", 1), root);
	assert_null(mime_part_find(root, "2", 1));
	assert_null(mime_part_find(root, "1.1", 3));
	mime_part_free(root);
}

static void
count(struct mime_part *p, void *arg)
{
	size_t *n = arg;

	(void)p;
	(*n)++;
}

static unsigned
max_depth(const struct mime_part *p)
{
	const struct mime_part *c;
	unsigned d = p->depth, k;

	for (c = p->child; c != NULL; c = c->next)
		if ((k = max_depth(c)) > d)
			d = k;
	return d;
}

static bool
has_flag(const struct mime_part *p, unsigned f)
{
	const struct mime_part *c;

	if (p->flags & f)
		return true;
	for (c = p->child; c != NULL; c = c->next)
		if (has_flag(c, f))
			return true;
	return false;
}

static void
test_limit_depth(void **state)
{
	struct buf m = BUF_INIT;
	struct mime_part *root;
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		buf_addf(&m, "Content-Type: multipart/mixed; "
		    "boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	buf_adds(&m, "\r\nleaf\r\n");
	for (i = 199; i >= 0; i--)
		buf_addf(&m, "--b%d--\r\n", i);
	for (i = 0; i < 200; i++)
		buf_adds(&m, "Content-Type: message/rfc822\r\n\r\n");
	root = mime_parse(m.data, m.len, NULL);
	assert_int_equal(max_depth(root), 50);
	assert_true(has_flag(root, MIME_PF_LIMIT));
	mime_part_free(root);
	buf_free(&m);
}

static void
test_limit_parts(void **state)
{
	struct buf m = BUF_INIT;
	struct mime_part *root;
	struct mime_limits lim;
	size_t n = 0;
	int i;

	(void)state;
	buf_adds(&m, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 300; i++)
		buf_adds(&m, "--b\r\n\r\nx\r\n");
	buf_adds(&m, "--b--\r\n");
	mime_limits_default(&lim);
	lim.max_parts = 100;
	root = mime_parse(m.data, m.len, &lim);
	mime_part_walk(root, count, &n);
	assert_int_equal(n, 100);
	assert_true(root->flags & MIME_PF_PARTS_LIMIT);
	/* The rest is the last part's body: even the close delimiter. */
	assert_int_equal(root->last->end_off, m.len - 2);
	mime_part_free(root);
	buf_free(&m);
}

static void
test_limit_fields(void **state)
{
	struct buf m = BUF_INIT;
	struct mime_part *root;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++)
		buf_addf(&m, "X-F%d: v\r\n", i);
	buf_adds(&m, "Subject: ");
	for (i = 0; i < 100000; i++)
		buf_adds(&m, "aaaaaaaaa\r\n ");
	buf_adds(&m, "\r\n\r\nbody");
	root = mime_parse(m.data, m.len, NULL);
	assert_true(root->flags & MIME_PF_HDR_TRUNC);
	/* Past the field limit nothing is kept, but the header still ends
	 * at the blank line. */
	assert_null(root->fields[MIME_HF_SUBJECT]);
	assert_int_equal(root->body_off, m.len - 4);
	mime_part_free(root);

	buf_reset(&m);
	buf_adds(&m, "Subject: ");
	for (i = 0; i < 100000; i++)
		buf_adds(&m, "aaaaaaaaa\r\n ");
	buf_adds(&m, "\r\n\r\nbody");
	root = mime_parse(m.data, m.len, NULL);
	assert_true(root->flags & MIME_PF_HDR_TRUNC);
	assert_true(strlen(root->fields[MIME_HF_SUBJECT]) <= 64 * 1024);
	assert_int_equal(root->body_off, m.len - 4);
	mime_part_free(root);
	buf_free(&m);
}

static void
test_decode(void **state)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n"
	    "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9 =\r\nsoft\r\n"
	    "--b\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nraw=41\r\n"
	    "--b--\r\n";
	static const char *const want[] = { "hello", "caf\xc3\xa9 soft",
	    "raw=41" };
	struct mime_part *root = mime_parse(m, sizeof(m) - 1, NULL), *p;
	size_t i;

	(void)state;
	for (i = 0, p = root->child; p != NULL; p = p->next, i++) {
		struct buf o = BUF_INIT;

		mime_part_decode(p, m, sizeof(m) - 1, &o);
		assert_string_equal(buf_cstr(&o), want[i]);
		buf_free(&o);
	}
	assert_int_equal(i, 3);
	assert_int_equal(root->child->next->next->cte, MIME_CTE_OTHER);
	mime_part_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trees),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_limit_fields),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
