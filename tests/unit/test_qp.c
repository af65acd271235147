/* Unit tests for src/lib/qp.c: decoding by the rules of RFC 2045 6.7 and
 * the tolerant cases (whole, byte by byte, without a trailing NUL), and
 * encoding with 76-column lines that decodes back.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/qp.h"

static char *
exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	return c;
}

static const struct {
	const char	*in;
	const char	*out;
} dec_rows[] = {
	{ "", "" },
	{ "plain text", "plain text" },
	{ "caf=C3=A9", "caf\xc3\xa9" },
	{ "lower=c3=a9", "lower\xc3\xa9" },		/* robust: lowercase */
	{ "soft=\r\nbreak", "softbreak" },
	{ "soft=\nbreak", "softbreak" },		/* bare LF */
	{ "hard\r\nbreak", "hard\r\nbreak" },
	{ "hard\nbreak", "hard\nbreak" },
	/* Rule 3: trailing blanks go, also after a soft break "=". */
	{ "trail  \r\nx", "trail\r\nx" },
	{ "trail \t\nx", "trail\nx" },
	{ "soft= \t\r\nx", "softx" },
	{ "mid  dle", "mid  dle" },
	{ "end  ", "end" },
	/* Broken escapes are kept literally. */
	{ "a=zz", "a=zz" },
	{ "a=4g", "a=4g" },
	{ "a==41", "a=A" },
	{ "a=4", "a=4" },
	{ "a= b", "a= b" },
	{ "end=", "end" },
	{ "a\rb", "a\rb" },				/* a lone CR is data */
	{ "x=3D=3d", "x==" },
	{ "=00=FF", "\0\xff" },
};

static void
test_decode(void **state)
{
	size_t i, j, len, outlen;
	int mode;

	(void)state;
	for (i = 0; i < sizeof(dec_rows) / sizeof(dec_rows[0]); i++) {
		len = strlen(dec_rows[i].in);
		outlen = strlen(dec_rows[i].out);
		if (strcmp(dec_rows[i].in, "=00=FF") == 0)
			outlen = 2;
		for (mode = 0; mode < 2; mode++) {
			struct buf out = BUF_INIT;
			struct qp_dec d;
			char *c = exact(dec_rows[i].in, len);

			qp_dec_init(&d);
			if (mode == 1)
				for (j = 0; j < len; j++)
					qp_dec_update(&d, c + j, 1, &out);
			else
				qp_dec_update(&d, c, len, &out);
			qp_dec_final(&d, &out);
			if (out.len != outlen || (outlen > 0 &&
			    memcmp(out.data, dec_rows[i].out, outlen) != 0))
				fail_msg("row %zu mode %d: got \"%.*s\"", i,
				    mode, (int)out.len, out.data);
			buf_free(&out);
			free(c);
		}
	}
}

static const struct {
	const char	*in;
	const char	*out;
	bool		 is_binary;
} enc_rows[] = {
	{ "hello", "hello", false },
	{ "a=b", "a=3Db", false },
	{ "caf\xc3\xa9", "caf=C3=A9", false },
	{ "line\nnext", "line\r\nnext", false },
	{ "line\r\nnext\r\n", "line\r\nnext\r\n", false },
	{ "trail \nx", "trail=20\r\nx", false },
	{ "trail\t", "trail=09", false },
	{ "From me\nFrom you", "=46rom me\r\n=46rom you", false },
	{ ".\n", "=2E\r\n", false },
	{ "a\r\nb", "a=0D=0Ab", true },
	{ "\x01\x7f", "=01=7F", false },
};

static void
test_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(enc_rows) / sizeof(enc_rows[0]); i++) {
		struct buf out = BUF_INIT;
		struct qp_enc e;

		qp_enc_init(&e, enc_rows[i].is_binary);
		qp_enc_update(&e, enc_rows[i].in, strlen(enc_rows[i].in), &out);
		qp_enc_final(&e, &out);
		if (out.len != strlen(enc_rows[i].out) ||
		    memcmp(out.data, enc_rows[i].out, out.len) != 0)
			fail_msg("row %zu: got \"%.*s\"", i, (int)out.len,
			    out.data);
		buf_free(&out);
	}
}

/* Random octets in binary mode and random text in text mode: lines stay
 * within 76 columns, nothing ends in a blank, and decoding gives back the
 * input (text with its line breaks made CRLF). */
static void
test_roundtrip(void **state)
{
	static const char alpha[] = "ab =\t\n\xc3\xa9.F";
	char data[2000];
	struct buf enc = BUF_INIT, dec = BUF_INIT, want = BUF_INIT;
	unsigned seed = 3;
	size_t i, n, col;
	int bin;

	(void)state;
	for (n = 1; n < sizeof(data); n = n * 3 + 1) {
		for (bin = 0; bin < 2; bin++) {
			struct qp_enc e;
			struct qp_dec d;

			buf_reset(&want);
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				data[i] = bin ? (char)(seed >> 16) :
				    alpha[(seed >> 16) % (sizeof(alpha) - 1)];
				if (!bin && data[i] == '\n')
					buf_addc(&want, '\r');
				buf_addc(&want, data[i]);
			}
			buf_reset(&enc);
			buf_reset(&dec);
			qp_enc_init(&e, bin);
			for (i = 0; i < n; i += 7)
				qp_enc_update(&e, data + i,
				    n - i < 7 ? n - i : 7, &enc);
			qp_enc_final(&e, &enc);
			for (i = 0, col = 0; i < enc.len; i++) {
				if (enc.data[i] == '\n') {
					assert_true(col <= 77);
					assert_true(i < 2 || (enc.data[i - 2] !=
					    ' ' && enc.data[i - 2] != '\t'));
					col = 0;
				} else
					col++;
			}
			qp_dec_init(&d);
			qp_dec_update(&d, enc.data, enc.len, &dec);
			qp_dec_final(&d, &dec);
			assert_int_equal(dec.len, want.len);
			assert_memory_equal(dec.data, want.data, want.len);
		}
	}
	buf_free(&enc);
	buf_free(&dec);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
