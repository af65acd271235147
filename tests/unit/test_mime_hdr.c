/* Unit tests for src/mime/hdr.c and encword.c: the header/body split,
 * field iteration (obsolete syntax, bare LF, mbox From), unfolding,
 * decoding encoded words into UTF-8, and writing folded fields. Parsers
 * run on copies without a trailing NUL.
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

/* Fields as "name=value|" with the value unfolded. */
static void
dump_fields(const char *p, size_t len, struct buf *out)
{
	struct mime_hdr_iter it;
	struct mime_field f;

	mime_hdr_iter_init(&it, p, len);
	while (mime_hdr_next(&it, &f) == 1) {
		buf_add(out, f.name, f.namelen);
		buf_addc(out, '=');
		mime_hdr_unfold(f.value, f.valuelen, out);
		buf_addc(out, '|');
	}
}

static const struct {
	const char	*msg;
	const char	*fields;
	size_t		 body;
} split_rows[] = {
	{ "A: 1\r\nB: 2\r\n\r\nbody", "A=1|B=2|", 14 },
	{ "A: 1\nB: 2\n\nbody", "A=1|B=2|", 11 },
	{ "Subject: a\r\n b\r\n\tc\r\n\r\n", "Subject=a b\tc|", 22 },
	/* RFC 5322 4.5.8: blanks before the colon. */
	{ "Subject : old\r\n\r\n", "Subject=old|", 17 },
	/* A line that is no field starts the body. */
	{ "A: 1\r\nnot a header\r\nmore\r\n", "A=1|", 6 },
	/* An mbox separator first is skipped. */
	{ "From a@b Mon Jan  1 00:00:00 2024\nA: 1\n\nx", "A=1|", 40 },
	/* A continuation with nothing before it is skipped. */
	{ " lost\r\nA: 1\r\n\r\n", "A=1|", 15 },
	/* No body at all, and no final line break. */
	{ "A: 1", "A=1|", 4 },
	{ "A:\r\n\r\n", "A=|", 6 },
	{ "", "", 0 },
	{ "\r\nbody", "", 2 },
	/* 8-bit field names are not fields (RFC 5322 3.6.8). */
	{ "X\xc3\xa9: v\r\n\r\n", "", 0 },
};

static void
test_split(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]); i++) {
		struct buf out = BUF_INIT;
		char *c;

		len = strlen(split_rows[i].msg);
		c = exact(split_rows[i].msg, len);
		dump_fields(c, len, &out);
		if (strcmp(buf_cstr(&out), split_rows[i].fields) != 0)
			fail_msg("row %zu: fields %s", i, buf_cstr(&out));
		if (mime_hdr_split(c, len) != split_rows[i].body)
			fail_msg("row %zu: body at %zu", i,
			    mime_hdr_split(c, len));
		buf_free(&out);
		free(c);
	}
}

static void
test_find(void **state)
{
	static const char m[] = "To: a\r\nsubject: one\r\nSUBJECT: two\r\n"
	    "\r\nSubject: body\r\n";
	struct mime_field f;
	char *c = exact(m, sizeof(m) - 1);

	(void)state;
	assert_true(mime_hdr_find(c, sizeof(m) - 1, "Subject", &f));
	assert_int_equal(f.valuelen, 3);
	assert_memory_equal(f.value, "one", 3);
	assert_int_equal(f.off, 7);
	assert_int_equal(f.len, 14);
	assert_false(mime_hdr_find(c, sizeof(m) - 1, "Cc", &f));
	free(c);
}

static const struct {
	const char	*in;
	const char	*out;
	bool		 is_ok;
} dec_rows[] = {
	{ "plain", "plain", true },
	{ "=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9", true },
	{ "=?ISO-8859-1?Q?a=E9b?=", "a\xc3\xa9" "b", true },
	{ "=?utf-8?B?w6k=?=", "\xc3\xa9", true },
	/* RFC 2047 6.2: blanks between encoded words go, others stay. */
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab", true },
	{ "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab", true },
	{ "x =?utf-8?q?a?= y", "x a y", true },
	{ "=?utf-8?q?a_b?=", "a b", true },
	/* A character split across words survives. */
	{ "=?utf-8?B?ww==?= =?utf-8?B?qQ==?=", "\xc3\xa9", true },
	{ "=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=", "\xc3\xa9", true },
	/* RFC 2231 5: a language after "*". */
	{ "=?utf-8*en?q?hi?=", "hi", true },
	/* Unknown charset: kept as written, and reported. */
	{ "=?x-nope?q?hi?= ok", "=?x-nope?q?hi?= ok", false },
	/* Not encoded words. */
	{ "=?utf-8?x?hi?=", "=?utf-8?x?hi?=", true },
	{ "=?utf-8?q?unterminated", "=?utf-8?q?unterminated", true },
	{ "a=?b", "a=?b", true },
	/* Raw UTF-8 is kept (RFC 6532); raw Latin-1 read as 1252. */
	{ "gr\xc3\xbc\xc3\x9f" "e", "gr\xc3\xbc\xc3\x9f" "e", true },
	{ "gr\xfc\xdf" "e \x80", "gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac", true },
	{ "=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
	    "\xd0\xb5\xd1\x82", true },
	{ "=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", true },
	/* Broken UTF-8 inside a word becomes U+FFFD. */
	{ "=?utf-8?q?a=FFb?=", "a\xef\xbf\xbd" "b", true },
};

static void
test_decode(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(dec_rows) / sizeof(dec_rows[0]); i++) {
		struct buf out = BUF_INIT;
		char *c;
		bool ok;

		len = strlen(dec_rows[i].in);
		c = exact(dec_rows[i].in, len);
		ok = mime_hdr_decode(c, len, &out);
		if (strcmp(buf_cstr(&out), dec_rows[i].out) != 0 ||
		    ok != dec_rows[i].is_ok)
			fail_msg("row %zu: \"%s\" ok %d", i, buf_cstr(&out),
			    ok);
		buf_free(&out);
		free(c);
	}
}

/* Every line at most 78 columns unless one word is longer, none over
 * 998; continuation lines start with a blank. */
static void
check_lines(const struct buf *b)
{
	size_t i, col = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r') {
			assert_true(b->data[i + 1] == '\n');
			assert_true(col <= 78);
			if (i + 2 < b->len)
				assert_true(b->data[i + 2] == ' ' ||
				    b->data[i + 2] == '\t');
			col = 0;
			i++;
		} else {
			col++;
		}
	}
}

static void
test_write(void **state)
{
	static const char *const values[] = {
		"short",
		"a rather long subject line that will certainly need to be "
		"folded somewhere because it goes on and on and on",
		"caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e with "
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e and more words here to "
		"make it long enough to fold twice over",
		"looks like =?utf-8?q?an_encoded_word?= but is not",
		"injected\r\nBcc: victim@example.org",
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
		"\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f"
		"\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0"
		"\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct buf out = BUF_INIT, dec = BUF_INIT, want = BUF_INIT;
		struct mime_field f;
		size_t k;

		mime_hdr_write(&out, "Subject", values[i], 0);
		check_lines(&out);
		for (k = 0; k < out.len; k++)
			assert_true((unsigned char)out.data[k] < 0x80);
		assert_true(mime_hdr_find(out.data, out.len, "Subject", &f));
		assert_int_equal(f.off + f.len, out.len);
		mime_hdr_decode(f.value, f.valuelen, &dec);
		buf_adds(&want, values[i]);
		for (k = 0; k < want.len; k++)
			if (want.data[k] == '\r' || want.data[k] == '\n')
				want.data[k] = ' ';
		if (strcmp(buf_cstr(&dec), buf_cstr(&want)) != 0)
			fail_msg("row %zu: \"%s\"", i, buf_cstr(&dec));
		buf_free(&out);
		buf_free(&dec);
		buf_free(&want);
	}
}

static void
test_write_utf8(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	mime_hdr_write(&out, "Subject", "gr\xc3\xbc\xc3\x9f" "e",
	    MIME_WRITE_UTF8);
	assert_string_equal(buf_cstr(&out), "Subject: gr\xc3\xbc\xc3\x9f"
	    "e\r\n");
	buf_reset(&out);
	mime_hdr_write(&out, "Subject", "gr\xc3\xbc\xc3\x9f" "e", 0);
	/* B is shorter here than Q. */
	assert_string_equal(buf_cstr(&out),
	    "Subject: =?utf-8?B?Z3LDvMOfZQ==?=\r\n");
	buf_free(&out);
}

static void
test_charset(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	assert_true(mime_charset_is_known("UTF-8"));
	assert_true(mime_charset_is_known("windows-1251"));
	assert_true(mime_charset_is_known("ks_c_5601-1987"));
	assert_false(mime_charset_is_known("x-no-such-charset"));
	assert_int_equal(mime_charset_to_utf8("x-no-such", "a", 1, &out), -1);
	assert_int_equal(out.len, 0);
	assert_int_equal(mime_charset_to_utf8("windows-1252", "\x80\x81", 2,
	    &out), 0);
	assert_string_equal(buf_cstr(&out), "\xe2\x82\xac\xef\xbf\xbd");
	buf_reset(&out);
	/* Ill-formed UTF-8: each maximal subpart one U+FFFD. */
	mime_utf8_sanitize("a\xe2\x82" "b\xc0\xaf", 6, &out);
	assert_string_equal(buf_cstr(&out), "a\xef\xbf\xbd" "b"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* An empty part may come as NULL (the fuzzer found the offset). */
	buf_reset(&out);
	mime_utf8_sanitize(NULL, 0, &out);
	assert_int_equal(out.len, 0);
	assert_false(mime_utf8_is_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_true(mime_utf8_is_valid("\xf4\x8f\xbf\xbf", 4));
	assert_false(mime_utf8_is_valid("\xf4\x90\x80\x80", 4));
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_write_utf8),
		cmocka_unit_test(test_charset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
