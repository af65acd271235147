/* Unit tests for src/mime/downgrade.c: the 7-bit copy of a message has no
 * 8-bit octet and no line over 998, keeps its tree, and decodes to the
 * same bodies and header text as the original.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static const struct {
	const char	*msg;
	size_t		 len;		/* 0: strlen */
	int		 rc;
} rows[] = {
	{ "Subject: caf\xc3\xa9 au lait\r\n"
	  "From: J\xc3\xb6rg <j@x.org>\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "Gr\xc3\xbc\xc3\x9f" "e\r\nzwei \r\n", 0, 0 },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "pre\xff" "amble\r\n"
	  "--b\r\nContent-Type: application/octet-stream; name=\"\xc3\xa9.bin\""
	  "\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\xff\r\nz\r\n"
	  "--b\r\nContent-Type: message/rfc822\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "Subject: inner \xc3\xa9\r\n\r\ninner \xc3\xa9\r\n"
	  "--b--\r\nepi\xfe\r\n", 275, 0 },
	{ "From: j\xc3\xb6rg@x.org\r\n\r\nbody \xc3\xa9\r\n", 0, -1 },
	{ "Subject: plain\r\n\r\nalready 7-bit\r\n", 0, 0 },
	{ NULL, 0, 0 },		/* long lines, filled in */
};

static void
collect(struct mime_part *p, void *arg)
{
	struct mime_part ***v = arg;

	*(*v)++ = p;
}

static void
check(const char *m, size_t len, int want_rc)
{
	struct buf out = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct mime_part *ra, *rb, *pa[64], *pb[64], **qa = pa, **qb = pb;
	size_t i, col = 0, n;
	int rc;

	rc = mime_downgrade(m, len, &out);
	assert_int_equal(rc, want_rc);
	for (i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		if (want_rc == 0 && (c >= 0x80 || c == 0))
			fail_msg("8-bit at %zu:\n%s", i, buf_cstr(&out));
		col = c == '\n' ? 0 : col + 1;
		assert_true(col <= 999);
	}
	ra = mime_parse(m, len, NULL);
	rb = mime_parse(out.data, out.len, NULL);
	mime_part_walk(ra, collect, &qa);
	mime_part_walk(rb, collect, &qb);
	assert_int_equal(qa - pa, qb - pb);
	n = (size_t)(qa - pa);
	for (i = 0; i < n; i++) {
		assert_string_equal(pa[i]->type, pb[i]->type);
		assert_string_equal(pa[i]->subtype, pb[i]->subtype);
		if (pa[i]->child != NULL)
			continue;
		buf_reset(&a);
		buf_reset(&b);
		mime_part_decode(pa[i], m, len, &a);
		mime_part_decode(pb[i], out.data, out.len, &b);
		assert_int_equal(a.len, b.len);
		if (a.len > 0)
			assert_memory_equal(a.data, b.data, a.len);
		if (pa[i]->fields[MIME_HF_SUBJECT] != NULL) {
			buf_reset(&a);
			buf_reset(&b);
			mime_hdr_decode(pa[i]->fields[MIME_HF_SUBJECT],
			    strlen(pa[i]->fields[MIME_HF_SUBJECT]), &a);
			mime_hdr_decode(pb[i]->fields[MIME_HF_SUBJECT],
			    strlen(pb[i]->fields[MIME_HF_SUBJECT]), &b);
			assert_string_equal(buf_cstr(&a), buf_cstr(&b));
		}
		assert_string_equal(mime_part_filename(pa[i]) ?
		    mime_part_filename(pa[i]) : "", mime_part_filename(pb[i]) ?
		    mime_part_filename(pb[i]) : "");
	}
	mime_part_free(ra);
	mime_part_free(rb);
	buf_free(&out);
	buf_free(&a);
	buf_free(&b);
}

static void
test_rows(void **state)
{
	struct buf lng = BUF_INIT;
	size_t i;

	(void)state;
	buf_adds(&lng, "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	for (i = 0; i < 500; i++)
		buf_adds(&lng, "QUJD");
	buf_adds(&lng, "\r\n--b\r\n\r\n");
	for (i = 0; i < 1500; i++)
		buf_addc(&lng, (char)('a' + i % 26));
	buf_adds(&lng, "\r\n--b--\r\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *m = rows[i].msg ? rows[i].msg : buf_cstr(&lng);
		size_t len = rows[i].len ? rows[i].len : strlen(m);

		check(m, len, rows[i].rc);
	}
	buf_free(&lng);
}

static void
test_untouched(void **state)
{
	static const char m[] = "Subject: plain\r\n\r\nalready 7-bit\r\n";
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(mime_downgrade(m, sizeof(m) - 1, &out), 0);
	assert_int_equal(out.len, sizeof(m) - 1);
	assert_memory_equal(out.data, m, out.len);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
